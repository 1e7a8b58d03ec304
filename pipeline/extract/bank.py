"""Relevé d'identité bancaire: IBAN, BIC, account holder, bank."""

from __future__ import annotations

from pipeline.extract.identifiers import (
    Identifier,
    iban_from_rib_row,
    iban_of_rib_row,
    parse_bic,
    parse_iban,
    parse_rib_row,
)
from pipeline.extract.people import CIVILITY, clean_name, cut_at_column_gap
from pipeline.extract.text import DocText, Hit, label_pattern, labelled_values, make_field
from pipeline.fields import ExtractedField, FieldName
from pipeline.types import TextSource

IBAN_LABELS = label_pattern(
    r"iban", r"identifiant international de compte(?: bancaire)?",
    r"international bank account number",
    r"n° de compte international",
)  # fmt: skip
BIC_LABELS = label_pattern(
    r"bic",
    r"code bic",
    r"swift",
    r"bank identifier code",
    r"code d'identification (?:de la banque|bancaire)",
)
HOLDER_LABELS = label_pattern(
    r"titulaire(?: du compte)?", r"nom du titulaire", r"intitule du compte", r"account holder",
    r"account owner", r"beneficiaire", r"au nom de",
)  # fmt: skip


def _iban(doc: DocText) -> ExtractedField | None:
    candidates = [*labelled_values(doc, IBAN_LABELS), *((line, line.text) for line in doc.lines)]
    for line, text in candidates:
        ident = parse_iban(text)
        if ident is not None:
            if not ident.valid and line.page.text_source is TextSource.OCR:
                # a text layer is what is printed: a broken IBAN there is a wrong one
                ident = _rebuilt_from_rib_table(doc, ident) or ident
            return make_field(
                FieldName.IBAN, ident.value, Hit(line, ident.raw), validated=ident.valid
            )
    return _iban_from_rib_table(doc)


def _iban_from_rib_table(doc: DocText) -> ExtractedField | None:
    """No IBAN line read (a framed box the OCR left out): the RIB table, key checked, gives it."""
    for line in doc.lines:
        row = parse_rib_row(line.text)
        ident = iban_of_rib_row(row) if row else None
        if ident is not None:
            return make_field(FieldName.IBAN, ident.value, Hit(line, line.text), validated=True)
    return None


def _rebuilt_from_rib_table(doc: DocText, read: Identifier) -> Identifier | None:
    """The IBAN line failed its key: the RIB's bank/branch/account table may settle it."""
    for line in doc.lines:
        row = parse_rib_row(line.text)
        rebuilt = iban_from_rib_row(read, row) if row else None
        if rebuilt is not None:
            return rebuilt
    return None


def _bic(doc: DocText) -> ExtractedField | None:
    for line, text in labelled_values(doc, BIC_LABELS):
        ident = parse_bic(text)
        if ident is not None:
            return make_field(FieldName.BIC, ident.value, Hit(line, ident.raw), validated=True)
    return None


def _holder(doc: DocText) -> ExtractedField | None:
    for line, text in labelled_values(doc, HOLDER_LABELS):
        if text.rstrip().endswith(":"):
            continue
        start = CIVILITY.match(text)
        name = clean_name(text[start.end() :] if start else text)
        if not name or (len(name.split()) < 2 and not start):
            continue
        raw = cut_at_column_gap(line, text[: text.index(name) + len(name)])
        return make_field(FieldName.ACCOUNT_HOLDER, raw, Hit(line, raw))
    return None


def extract_bank_details(doc: DocText) -> list[ExtractedField]:
    found = [_iban(doc), _bic(doc), _holder(doc)]
    return [f for f in found if f is not None]
