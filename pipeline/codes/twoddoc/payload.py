"""The 2D-Doc payload: header, message fields (perimeter 01 table) and the decoded `TwoDDoc`.

See the package docstring for the layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from pipeline.errors import PieceError
from pipeline.fields import Evidence, ExtractedField, FieldName
from pipeline.types import TextSource

GS, RS, US = "\x1d", "\x1e", "\x1f"
_EPOCH = date(2000, 1, 1)
_HEADER_LENGTHS = {1: 22, 2: 22, 3: 24, 4: 26}


class InvalidTwoDDoc(PieceError):
    """A DataMatrix that claims to be a 2D-Doc but does not follow the specification."""

    code = "TWODDOC_INVALID"


class SignatureStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN_CERTIFICATE = "unknown_certificate"
    ABSENT = "absent"


# --- field table (perimeter 01) -----------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    label_fr: str
    min_len: int
    max_len: int | None  # None: unbounded; min == max: fixed length, no separator

    @property
    def fixed(self) -> bool:
        return self.max_len is not None and self.min_len == self.max_len


# Data identifiers of perimeter 01 used by the documents justif checks (ANTS spec,
# "Identifiants de données"): common ones, invoices/proof of address, tax notice, payslip.
FIELD_SPECS: dict[str, FieldSpec] = {
    "01": FieldSpec("Identifiant unique du document", 0, None),
    "06": FieldSpec("Date de l'association entre le document et le code 2D-Doc", 4, 4),
    "08": FieldSpec("Date d'expiration du document", 4, 4),
    "10": FieldSpec("Ligne 1 de l'adresse postale du bénéficiaire de la prestation", 0, 38),
    "11": FieldSpec("Qualité et/ou titre du bénéficiaire de la prestation", 0, 38),
    "12": FieldSpec("Prénom du bénéficiaire de la prestation", 0, 38),
    "13": FieldSpec("Nom du bénéficiaire de la prestation", 0, 38),
    "14": FieldSpec("Ligne 1 de l'adresse postale du destinataire de la facture", 0, 38),
    "18": FieldSpec("Numéro de la facture", 0, None),
    "19": FieldSpec("Numéro de client", 0, None),
    "1A": FieldSpec("Numéro du contrat", 0, None),
    "1D": FieldSpec("Montant TTC de la facture", 0, 16),
    "20": FieldSpec("Ligne 2 de l'adresse postale du point de service", 0, 38),
    "21": FieldSpec("Ligne 3 de l'adresse postale du point de service", 0, 38),
    "22": FieldSpec("Ligne 4 de l'adresse postale du point de service", 0, 38),
    "23": FieldSpec("Ligne 5 de l'adresse postale du point de service", 0, 38),
    "24": FieldSpec("Code postal du point de service", 5, 5),
    "25": FieldSpec("Localité du point de service", 0, 32),
    "26": FieldSpec("Pays du point de service", 2, 2),
    "40": FieldSpec("Numéro fiscal", 13, 13),
    "41": FieldSpec("Revenu fiscal de référence", 0, 12),
    "42": FieldSpec("Situation du foyer", 0, None),
    "43": FieldSpec("Nombre de parts", 0, 5),
    "44": FieldSpec("Référence de l'avis d'impôt", 13, 13),
    "45": FieldSpec("Année des revenus", 4, 4),
    "46": FieldSpec("Déclarant 1", 0, 38),
    "47": FieldSpec("Numéro fiscal du déclarant 1", 13, 13),
    "48": FieldSpec("Déclarant 2", 0, 38),
    "49": FieldSpec("Numéro fiscal du déclarant 2", 13, 13),
    "4A": FieldSpec("Date de mise en recouvrement", 8, 8),
    "50": FieldSpec("SIRET de l'employeur", 14, 14),
    "53": FieldSpec("Début de période", 4, 4),
    "54": FieldSpec("Fin de période", 4, 4),
    "58": FieldSpec("Salaire net imposable", 0, 11),
    "5C": FieldSpec("Salaire net", 0, 11),
    "5M": FieldSpec("Dénomination sociale", 0, 38),
}

# Canonical names per document type (perimeter 01): 00/01/02 proof of address
# (specific, invoice, housing tax notice), 04 income tax notice, 06 payslip.
_ADDRESS_MAP = {
    "10": FieldName.HOLDER_NAME,
    "12": FieldName.FIRST_NAMES,
    "13": FieldName.LAST_NAME,
    "22": FieldName.ADDRESS_LINE,
    "24": FieldName.POSTCODE,
    "25": FieldName.CITY,
}
CANONICAL_FIELDS: dict[str, dict[str, FieldName]] = {
    "00": _ADDRESS_MAP,
    "01": _ADDRESS_MAP,
    "02": _ADDRESS_MAP,
    "04": {
        "46": FieldName.HOLDER_NAME,
        "47": FieldName.FISCAL_NUMBER,
        "40": FieldName.FISCAL_NUMBER,
        "44": FieldName.TAX_REFERENCE,
        "41": FieldName.REFERENCE_INCOME,
        "45": FieldName.TAX_YEAR,
        "22": FieldName.ADDRESS_LINE,
        "24": FieldName.POSTCODE,
        "25": FieldName.CITY,
    },
    "06": {
        "10": FieldName.HOLDER_NAME,
        "50": FieldName.SIRET,
        "5M": FieldName.EMPLOYER,
        "5C": FieldName.NET_PAY,
        "53": FieldName.PAY_PERIOD,
    },
}
_DATE4_FIELDS = {"06", "08", "53", "54"}


# --- models -----------------------------------------------------------------


class TwoDDocHeader(BaseModel):
    version: int
    ca_id: str
    cert_id: str
    document_date: str | None  # ISO
    signature_date: str | None  # ISO
    document_type: str
    perimeter: str = "01"
    country: str | None = None  # version 04 only
    length: int


class TwoDDoc(BaseModel):
    header: TwoDDocHeader
    fields: dict[str, str]  # data identifier -> value as encoded
    truncated: list[str] = Field(default_factory=list)  # identifiers cut short by the issuer
    annex: str = ""  # after the signature: not signed, never trusted
    signature: SignatureStatus

    def canonical(self) -> dict[FieldName, str]:
        """Signed values under justif's field names, normalised (ISO dates, '/' -> spaces)."""
        mapping = CANONICAL_FIELDS.get(self.header.document_type, {})
        out: dict[FieldName, str] = {}
        for code, name in mapping.items():
            if code in self.fields and name not in out:
                out[name] = canonical_value(code, self.fields[code])
        if self.header.document_date and self.header.document_type in ("00", "01", "02"):
            out[FieldName.DOCUMENT_DATE] = self.header.document_date
        return out

    def to_fields(self, *, page: int | None = None) -> list[ExtractedField]:
        """Fields with 2D-Doc evidence; confidence 1.0 only for a valid signature."""
        confidence = 1.0 if self.signature is SignatureStatus.VALID else 0.3
        return [
            ExtractedField(
                name=name,
                value=value,
                evidence=Evidence(page=page, source=TextSource.TWODDOC, confidence=confidence),
            )
            for name, value in self.canonical().items()
        ]


def canonical_value(code: str, value: str) -> str:
    if code == "10":
        # 'MME/SPECIMEN/NATACHA': civility, surname, first name.
        return " ".join(part for part in value.split("/") if part)
    if code in _DATE4_FIELDS:
        day = date4(value)
        if code == "53" and day:
            return day.strftime("%Y-%m")
        return day.isoformat() if day else value
    return value.strip()


# --- parsing ----------------------------------------------------------------


def date4(text: str) -> date | None:
    """4 hex digits = days since 2000-01-01; 'FFFF' means no date."""
    if text.upper() == "FFFF":
        return None
    try:
        return _EPOCH + timedelta(days=int(text, 16))
    except ValueError as e:
        raise InvalidTwoDDoc(
            "Le code 2D-Doc contient une date illisible.", detail="bad date4"
        ) from e


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def parse_header(payload: str) -> TwoDDocHeader:
    if not payload.startswith("DC") or not payload[2:4].isdigit():
        raise InvalidTwoDDoc("Ce code n'est pas un 2D-Doc.", detail="no DC marker")
    version = int(payload[2:4])
    length = _HEADER_LENGTHS.get(version)
    if length is None:
        raise InvalidTwoDDoc(
            "Ce 2D-Doc utilise une version non prise en charge.", detail=f"version {version}"
        )
    if len(payload) < length:
        raise InvalidTwoDDoc("Le code 2D-Doc est incomplet.", detail="short header")
    return TwoDDocHeader(
        version=version,
        ca_id=payload[4:8],
        cert_id=payload[8:12],
        document_date=_iso(date4(payload[12:16])),
        signature_date=_iso(date4(payload[16:20])),
        document_type=payload[20:22],
        perimeter=payload[22:24] if version >= 3 else "01",
        country=payload[24:26] if version >= 4 else None,
        length=length,
    )


def parse_message(message: str) -> tuple[dict[str, str], list[str]]:
    """Data fields of the message zone: (identifier -> value, truncated identifiers)."""
    fields: dict[str, str] = {}
    truncated: list[str] = []
    pos = 0
    while pos < len(message):
        code = message[pos : pos + 2]
        spec = FIELD_SPECS.get(code)
        pos += 2
        if spec is not None and spec.fixed:
            assert spec.max_len is not None
            value = message[pos : pos + spec.max_len]
            if len(value) != spec.max_len:
                raise InvalidTwoDDoc("Le code 2D-Doc est incomplet.", detail=f"short {code}")
            pos += spec.max_len
        else:
            # Unknown identifiers are read as variable-length: the issuer may use
            # identifiers newer than this table, and GS still delimits them.
            end = _next_separator(message, pos)
            value = message[pos:end]
            if end < len(message) and message[end] == RS:
                truncated.append(code)
            pos = end + 1 if end < len(message) else end
        if not re.fullmatch(r"[0-9A-Z]{2}", code):
            raise InvalidTwoDDoc("Le code 2D-Doc est mal formé.", detail="bad identifier")
        fields[code] = value
    return fields, truncated


def _next_separator(text: str, start: int) -> int:
    ends = [i for i in (text.find(GS, start), text.find(RS, start)) if i >= 0]
    return min(ends) if ends else len(text)


def split_payload(payload: str) -> tuple[str, str | None, str]:
    """(signed part, base32 signature or None, annex)."""
    signed, sep, rest = payload.partition(US)
    if not sep:
        return signed, None, ""
    match = re.match(r"[A-Z2-7]*", rest)
    signature = match.group() if match else ""
    annex = rest[len(signature) :].lstrip(GS)
    return signed, signature or None, annex
