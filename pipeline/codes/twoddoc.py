"""Decode and verify French 2D-Doc barcodes (ANTS specification "2D-Doc", DataMatrix, C40 text).

Layout (ANTS, "Spécifications techniques des codes à barres 2D-Doc", v3.1.x):
`header + message + US (0x1F) + signature [+ GS (0x1D) + annex]`.
- Header: 'DC', version (2 digits), certification authority id (4), certificate id
  (4), document date (4 hex = days since 2000-01-01, 'FFFF' = none), signature
  date (4 hex, same), document type id (2); from version 03 the perimeter id (2);
  in version 04 also the issuing country (2, ISO 3166 alpha-2). Versions 01/02
  are perimeter 01 implicitly. 22, 24 and 26 characters long.
- Message: data fields `id (2) + value`; a fixed-length value has no separator, a
  variable one ends at GS (or at US if it is the last), and RS (0x1E) ends a value
  the issuer truncated.
- Signature: base32 of the raw ECDSA `r || s` over header + message (P-256 with
  SHA-256 or P-384 with SHA-384, following the certificate's curve).
The annex after the signature is not signed: it is kept apart and never trusted.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path

import numpy as np
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pydantic import BaseModel, Field

from pipeline.errors import ConfigurationError, PieceError
from pipeline.fields import Evidence, ExtractedField, FieldName
from pipeline.types import TextSource

logger = logging.getLogger(__name__)

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
                out[name] = _canonical_value(code, self.fields[code])
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


def _canonical_value(code: str, value: str) -> str:
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


# --- trust list and signature -------------------------------------------------


class TrustList:
    """Certificates of 2D-Doc issuers, keyed by (certification authority id, certificate id).

    Loaded from a JSON bundle or a folder; see docs/2ddoc.md for both formats.
    """

    def __init__(self, certificates: dict[tuple[str, str], x509.Certificate]) -> None:
        self.certificates = certificates

    def get(self, ca_id: str, cert_id: str) -> x509.Certificate | None:
        return self.certificates.get((ca_id, cert_id))

    @classmethod
    def load(cls, path: Path) -> TrustList:
        try:
            if path.is_dir():
                return cls(_load_folder(path))
            return cls(_load_bundle(path))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ConfigurationError(
                "La liste de confiance 2D-Doc est illisible.", detail=f"{path}: {e}"
            ) from e


def _load_bundle(path: Path) -> dict[tuple[str, str], x509.Certificate]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        (entry["ca_id"], entry["cert_id"]): x509.load_pem_x509_certificate(
            entry["pem"].encode("ascii")
        )
        for entry in data["certificates"]
    }


def _load_folder(folder: Path) -> dict[tuple[str, str], x509.Certificate]:
    # Files named <CA id>_<certificate id>.pem or .der, e.g. FR01_FR03.der.
    out: dict[tuple[str, str], x509.Certificate] = {}
    for file in sorted(folder.iterdir()):
        match = re.fullmatch(r"([0-9A-Z]{4})_([0-9A-Z]{4})\.(pem|der|crt|cer)", file.name)
        if not match:
            continue
        raw = file.read_bytes()
        cert = (
            x509.load_pem_x509_certificate(raw)
            if raw.lstrip().startswith(b"-----BEGIN")
            else x509.load_der_x509_certificate(raw)
        )
        out[(match.group(1), match.group(2))] = cert
    return out


_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
    "secp521r1": hashes.SHA512,
}


def verify_signature(signed: str, signature_b32: str, certificate: x509.Certificate) -> bool:
    """ECDSA check of the base32 raw `r || s` signature against the certificate's public key."""
    key = certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name not in _HASHES:
        return False
    try:
        raw = base64.b32decode(signature_b32 + "=" * (-len(signature_b32) % 8))
    except ValueError:
        return False
    half = len(raw) // 2
    if half == 0 or len(raw) % 2:
        return False
    der = encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
    try:
        key.verify(der, signed.encode("latin-1"), ec.ECDSA(_HASHES[key.curve.name]()))
    except InvalidSignature:
        return False
    return True


def parse_twoddoc(payload: str, trust: TrustList | None) -> TwoDDoc:
    """Parse a decoded 2D-Doc and check its signature against the trust list."""
    header = parse_header(payload)
    signed, signature, annex = split_payload(payload)
    fields, truncated = parse_message(signed[header.length :])
    return TwoDDoc(
        header=header,
        fields=fields,
        truncated=truncated,
        annex=annex,
        signature=_signature_status(header, signed, signature, trust),
    )


def _signature_status(
    header: TwoDDocHeader, signed: str, signature: str | None, trust: TrustList | None
) -> SignatureStatus:
    if signature is None:
        return SignatureStatus.ABSENT
    certificate = trust.get(header.ca_id, header.cert_id) if trust else None
    if certificate is None:
        return SignatureStatus.UNKNOWN_CERTIFICATE
    if verify_signature(signed, signature, certificate):
        return SignatureStatus.VALID
    return SignatureStatus.INVALID


# --- reading from an image ----------------------------------------------------


def read_twoddoc_payloads(image: np.ndarray) -> list[str]:
    """Texts of the 2D-Doc DataMatrix codes found in a page image (grey or RGB array)."""
    import zxingcpp  # imported here: only this function needs the native library

    results = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.DataMatrix)
    )
    # `.text` escapes control characters ("<GS>"); the raw bytes keep GS, RS and US.
    texts = [bytes(r.bytes).decode("latin-1") for r in results if r.valid]
    return [text for text in texts if text.startswith("DC")]


def read_twoddocs(image: np.ndarray, trust: TrustList | None) -> list[TwoDDoc]:
    """Every 2D-Doc on a page, parsed and verified; malformed ones are skipped and logged."""
    docs = []
    for payload in read_twoddoc_payloads(image):
        try:
            docs.append(parse_twoddoc(payload, trust))
        except InvalidTwoDDoc as e:
            logger.info("2D-Doc skipped: %s", e.detail)
    return docs


# --- cross-check with the printed page ----------------------------------------


class Mismatch(BaseModel):
    code: str  # 2D-Doc data identifier
    field: FieldName | None
    signed_value: str
    message_fr: str


def normalise_text(text: str) -> str:
    """Upper case, no accents, thousands separators removed, other punctuation as single spaces."""
    stripped = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in stripped if not unicodedata.combining(c)).upper()
    stripped = re.sub(r"(?<=\d)[ \u00a0\u202f.](?=\d{3}\b)", "", stripped)
    return " ".join(re.sub(r"[^0-9A-Z]+", " ", stripped).split())


def _printed_on_page(value: str, page: str) -> bool:
    words = normalise_text(value).split()
    return all(re.search(rf"(?<![0-9A-Z]){re.escape(w)}(?![0-9A-Z])", page) for w in words)


_CIVILITIES = {"M", "MME", "MLLE", "MR", "MRS", "MONSIEUR", "MADAME"}


def cross_check(doc: TwoDDoc, printed: str | Sequence[ExtractedField]) -> list[Mismatch]:
    """Signed canonical fields that the visible document does not show.

    `printed` is the page text, or the fields extracted from it. With text, each
    word of the signed value must appear as a word of the page (accents, case,
    spacing and thousands separators ignored); with fields, values are compared
    after the same normalisation. Fields absent from the extraction are not
    mismatches (nothing to compare), only disagreements are.
    """
    mismatches = []
    mapping = CANONICAL_FIELDS.get(doc.header.document_type, {})
    extracted = None if isinstance(printed, str) else {f.name: f.value for f in printed}
    page = normalise_text(printed) if isinstance(printed, str) else ""
    for code, name in mapping.items():
        if code not in doc.fields:
            continue
        value = _canonical_value(code, doc.fields[code])
        if name is FieldName.HOLDER_NAME:
            value = " ".join(w for w in value.split() if w.upper() not in _CIVILITIES)
        if extracted is None:
            agrees = _printed_on_page(value, page)
        elif name in extracted:
            agrees = sorted(normalise_text(value).split()) == sorted(
                normalise_text(extracted[name]).split()
            )
        else:
            continue
        if not agrees:
            label = FIELD_SPECS[code].label_fr if code in FIELD_SPECS else code
            mismatches.append(
                Mismatch(
                    code=code,
                    field=name,
                    signed_value=value,
                    message_fr=(
                        f"Le champ « {label} » signé dans le code 2D-Doc ne correspond pas "
                        "au texte imprimé sur le document."
                    ),
                )
            )
    return mismatches
