"""Kbis extracts and URSSAF certificates: company name, SIREN/SIRET, representative, address."""

from __future__ import annotations

import re

from pipeline.extract.common import address_fields, address_on_line, document_date, text_field
from pipeline.extract.identifiers import Identifier, parse_company_number, siren_of
from pipeline.extract.labels import looks_like_label
from pipeline.extract.people import clean_name
from pipeline.extract.text import (
    DocText,
    Hit,
    Line,
    fold,
    label_pattern,
    labelled_values,
    make_field,
    text_beside,
)
from pipeline.fields import ExtractedField, FieldName
from pipeline.types import TextSource

SIRET_LABELS = label_pattern(r"(?:n° |numero |no )?siret", r"etablissement principal, siret")
SIREN_LABELS = label_pattern(
    r"(?:n° |numero |no )?siren", r"numero d'identification", r"immatriculation au rcs, numero",
    r"r\.?c\.?s\.? [a-z\- ]+ n°", r"numero unique d'identification",
)  # fmt: skip
COMPANY_LABELS = label_pattern(
    r"denomination(?: sociale)?(?: ou raison sociale)?", r"raison sociale", r"nom commercial",
    r"entreprise", r"societe", r"employeur", r"l'entreprise",
)  # fmt: skip
REPRESENTATIVE_LABELS = label_pattern(
    r"president(?:e)?(?: / gerant)?", r"gerant(?:e)?", r"representant legal", r"directeur general",
    r"dirigeant", r"representant",
)  # fmt: skip
# "dont le siège est situé 6, rue ..., 49000 Angers" in an attestation's sentence.
ADDRESS_LABELS = label_pattern(
    r"adresse du siege", r"siege social", r"adresse",
    r"siege(?: social)? est (?:situe|fixe)(?: au| a)?",
)  # fmt: skip
_LEGAL_FORMS = r"(?:SAS|SASU|SARL|EURL|SA|SCI|SNC|SCOP|EI|EIRL|SELARL|ASSOCIATION)"
_COMPANY = re.compile(
    rf"^[A-Z0-9À-Ý&'’\-. ]*?[A-Z][A-Z0-9À-Ý&'’\-. ]*?(?:\s{_LEGAL_FORMS})?(?=,|\s+SIREN|\s*$)"
)


def company_number(
    doc: DocText, labels: re.Pattern[str], length: int
) -> tuple[Hit, Identifier] | None:
    for line, text in labelled_values(doc, labels):
        ident = parse_company_number(text)
        if ident is not None and len(ident.value) == length:
            return Hit(line, ident.raw), ident
    return None


def company_numbers(doc: DocText) -> list[ExtractedField]:
    fields = []
    siret = company_number(doc, SIRET_LABELS, 14)
    siren = company_number(doc, SIREN_LABELS, 9)
    if siret:
        hit, ident = siret
        fields.append(make_field(FieldName.SIRET, ident.value, hit, validated=ident.valid))
        if siren is None:
            siren = hit, siren_of(ident)
    if siren:
        hit, ident = siren
        fields.append(make_field(FieldName.SIREN, ident.value, hit, validated=ident.valid))
    return fields


RCS = re.compile(r"(?<![a-z])r\.?\s?c\.?\s?s\.?(?![a-z])")


def unlabelled_company_numbers(doc: DocText, found: list[ExtractedField]) -> list[ExtractedField]:
    """SIREN and SIRET whose labels the OCR garbled, trusted only through their Luhn key:
    a SIREN beside "RCS" ("574 640 728 R.C.S. Angers", "RCS Angers 574 640 728"), a
    SIRET anywhere, which must extend the SIREN when there is one."""
    have: dict[FieldName, str] = {f.name: f.value for f in found}
    fields: list[ExtractedField] = []
    for line in doc.lines:
        ident = parse_company_number(line.text)
        if ident is None or not ident.valid:
            continue
        if len(ident.value) == 9 and FieldName.SIREN not in have and RCS.search(line.folded):
            have[FieldName.SIREN] = ident.value
            fields.append(
                make_field(FieldName.SIREN, ident.value, Hit(line, ident.raw), validated=True)
            )
        elif len(ident.value) == 14 and FieldName.SIRET not in have:
            if have.get(FieldName.SIREN, ident.value[:9]) != ident.value[:9]:
                continue
            have[FieldName.SIRET] = ident.value
            fields.append(
                make_field(FieldName.SIRET, ident.value, Hit(line, ident.raw), validated=True)
            )
    if FieldName.SIRET in have and FieldName.SIREN not in have:
        siret = next(f for f in fields if f.name is FieldName.SIRET)
        fields.append(siret.model_copy(update={"name": FieldName.SIREN, "value": siret.value[:9]}))
    return fields


def _company_name(text: str) -> str | None:
    match = _COMPANY.match(text.strip())
    value = match[0].strip(" ,.") if match else None
    return value if value and len(value) >= 2 else None


def _representative(text: str) -> str | None:
    # A table read column by column puts the next row's label under an empty cell.
    return None if looks_like_label(text) else clean_name(text)


def _seat_address(doc: DocText) -> list[ExtractedField]:
    """The seat's street, postcode and city: after or under its label, else on the label's
    row of a table the OCR read column by column."""
    for line, _match in doc.search(ADDRESS_LABELS):
        found = address_fields(doc, line, within=3, label=ADDRESS_LABELS)
        if found:
            return found
    for line, match in doc.search(ADDRESS_LABELS):
        beside = text_beside(line, match) if line.page.text_source is TextSource.OCR else ""
        found = address_on_line(Line(line.page, -1, beside, fold(beside))) if beside else []
        if found:
            return found
    return []


def extract_company(doc: DocText) -> list[ExtractedField]:
    fields = company_numbers(doc)
    fields += unlabelled_company_numbers(doc, fields)
    name = text_field(doc, FieldName.COMPANY_NAME, COMPANY_LABELS, _company_name)
    if name:
        fields.append(name)
    representative = text_field(
        doc, FieldName.LEGAL_REPRESENTATIVE, REPRESENTATIVE_LABELS, _representative
    )
    if representative:
        fields.append(representative)
    fields.extend(_seat_address(doc))
    issued = document_date(doc)
    return fields + ([issued] if issued else [])
