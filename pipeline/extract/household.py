"""Documents about a person at an address: proofs of address and tax notices."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from pipeline.extract.addressee import addressee
from pipeline.extract.common import (
    DOUBTFUL_DATE_CONFIDENCE,
    address_fields,
    document_date,
    text_field,
)
from pipeline.extract.identifiers import Identifier, parse_fiscal_number, parse_tax_reference
from pipeline.extract.people import (
    clean_name,
    cut_at_column_gap,
    people_after_civility,
    split_full_name,
    split_married_name,
    split_postal_name,
    strip_civility,
)
from pipeline.extract.text import (
    DocText,
    Hit,
    Line,
    fold,
    label_pattern,
    labelled_values,
    make_field,
)
from pipeline.fields import ExtractedField, FieldName

HOLDER = label_pattern(
    r"titulaire(?: du contrat| de la ligne)?", r"nom du titulaire", r"locataire", r"assure",
    r"client", r"souscripteur", r"declarant 1", r"declarant", r"destinataire",
    r"nom de l'abonne(?:e)?", r"nom du client",
)  # fmt: skip
FISCAL_NUMBER = label_pattern(
    r"numero fiscal", r"n° fiscal", r"identifiant fiscal", r"numero fiscal du declarant", r"spi"
)
TAX_REFERENCE = label_pattern(r"ref(?:\.|erence)?\s*(?:de l'|d'|de |)\s*avis")
REFERENCE_INCOME = label_pattern(r"revenu fiscal de reference", r"rfr")
# The income year under a label that says it is one, then after "revenus" alone.
INCOME_YEAR = re.compile(
    r"(?:revenus?\s+(?:de l'annee|percus en|de|en)|annee des revenus\s*:?)\s+((?:19|20)\d{2})"
)
TAX_YEAR = re.compile(r"revenus?\s+((?:19|20)\d{2})")
NOTICE_YEAR = re.compile(r"(?:avis d'impot|impot)\s+((?:19|20)\d{2})")
AMOUNT = re.compile(r"(?<![0-9])(\d{1,3}(?:[ \u00a0\u202f■.]\d{3})+|\d+)(?:,\d{2})?\s*(?:€|eur)?")


def person_fields(doc: DocText) -> list[ExtractedField]:
    """Holder name as printed, last/first names when capitals tell them apart, the address."""
    return _holder_fields(doc, people_after_civility(doc))


def addressee_fields(doc: DocText) -> list[ExtractedField]:
    """As `person_fields`, for the person a proof of address is for: the tenant, subscriber
    or hosted person, never its landlord, agency or host."""
    return _holder_fields(doc, addressee(doc))


def _holder_fields(doc: DocText, hits: list[Hit]) -> list[ExtractedField]:
    if not hits:
        labelled = text_field(doc, FieldName.HOLDER_NAME, HOLDER, clean_name)
        if labelled is None:
            return []
        return [labelled]
    hit = hits[0]
    married = _married_fields(hit)
    if married:
        return married + address_fields(doc, hit.line)
    fields = [make_field(FieldName.HOLDER_NAME, hit.raw, hit)]
    # The same person is often printed again with the surname in capitals ("Déclarant 1 :
    # M. DUPONT Jean"); only that tells the surname from the first names.
    same = [h for h in [hit, *people_after_civility(doc)] if _same_words(h.raw, hit.raw)]
    for other in same:
        split = split_full_name(other.raw)
        if split:
            last, first = split
            fields.append(make_field(FieldName.LAST_NAME, last, Hit(other.line, last)))
            fields.append(make_field(FieldName.FIRST_NAMES, first, Hit(other.line, first)))
            break
    address = address_fields(doc, hit.line)
    postal = split_postal_name(hit.raw)
    in_address_block = any(f.name is FieldName.POSTCODE for f in address)
    if len(fields) == 1 and postal and in_address_block:
        last, first = postal
        fields.append(make_field(FieldName.LAST_NAME, last, Hit(hit.line, last)))
        fields.append(make_field(FieldName.FIRST_NAMES, first, Hit(hit.line, first)))
    fields.extend(address)
    return fields


def _married_fields(hit: Hit) -> list[ExtractedField]:
    """Holder, last (usage), birth and given names of "Mme Zoé BRUN ép. DAVID" and the like:
    the name cleaning stops at the marker, so the rest of the line is read again."""
    at = hit.line.text.find(hit.raw)
    if at < 0:
        return []
    text = cut_at_column_gap(hit.line, hit.line.text[at:])
    married = split_married_name(text)
    if married is None:
        return []
    line = hit.line
    holder = text[: text.find(married.usage) + len(married.usage)]
    holder = holder if married.first in holder else text
    return [
        make_field(FieldName.HOLDER_NAME, holder.strip(" ,"), Hit(line, holder.strip(" ,"))),
        make_field(FieldName.LAST_NAME, married.usage, Hit(line, married.usage)),
        make_field(FieldName.BIRTH_NAME, married.birth, Hit(line, married.birth)),
        make_field(FieldName.FIRST_NAMES, married.first, Hit(line, married.first)),
    ]


def _same_words(one: str, other: str) -> bool:
    def words(text: str) -> list[str]:
        return sorted(fold(strip_civility(text)).split())

    return words(one) == words(other)


def extract_proof_of_address(doc: DocText) -> list[ExtractedField]:
    fields = addressee_fields(doc)
    found = document_date(doc)
    return fields + ([found] if found else [])


def _first_labelled(
    doc: DocText, labels: re.Pattern[str], parse: Callable[[str], Identifier | None]
) -> tuple[Line, Identifier] | None:
    for line, text in labelled_values(doc, labels):
        ident = parse(text)
        if ident is not None:
            return line, ident
    return None


def _tax_year(doc: DocText) -> ExtractedField | None:
    """The year of the income: where a label says so ("revenus de l'année 2025"), else
    the notice's own year less one ("Avis d'impôt 2026" is about 2025's income).

    A notice prints two years; the income year is always before the notice's, so a
    "revenus" year that is not is the notice's own ("Impôt sur les revenus 2026"
    beside "Avis d'impôt 2026"); a labelled year that does not follow the notice's
    by one is kept, but as weak evidence for the rules.
    """
    notice = next(_joined_search(doc, NOTICE_YEAR), None)
    notice_year = int(notice[1]) if notice else None
    for pattern in (INCOME_YEAR, TAX_YEAR):
        for line, raw in _joined_search(doc, pattern):
            year = int(raw)
            if notice_year is not None and year >= notice_year:
                continue
            found = make_field(FieldName.TAX_YEAR, raw, Hit(line, raw))
            if notice_year is not None and year != notice_year - 1:
                found = found.at_most(DOUBTFUL_DATE_CONFIDENCE)
            return found
    if notice is None:
        return None
    line, raw = notice
    return make_field(FieldName.TAX_YEAR, str(int(raw) - 1), Hit(line, raw))


def _joined_search(doc: DocText, pattern: re.Pattern[str]) -> Iterator[tuple[Line, str]]:
    """(line, year as printed) of each match of a one-group pattern, also across a line
    break ("sur les revenus de" / "l'année 2025" as a text layer cuts a title)."""
    for at, line in enumerate(doc.lines):
        for match in pattern.finditer(line.folded):
            yield line, line.text[match.start(1) : match.end(1)]
        after = doc.lines[at + 1] if at + 1 < len(doc.lines) else None
        if after is None or after.page is not line.page:
            continue
        joined = f"{line.folded} {after.folded}"
        for match in pattern.finditer(joined):
            # Only what the break cut: a match wholly in one line was found there.
            if match.start() < len(line.folded) < match.start(1):
                start = match.start(1) - len(line.folded) - 1
                yield after, after.text[start : start + 4]


def _reference_income(doc: DocText) -> ExtractedField | None:
    for line, text in labelled_values(doc, REFERENCE_INCOME):
        found = AMOUNT.search(text)
        if found:
            digits = re.sub(r"\D", "", found[1])
            return make_field(
                FieldName.REFERENCE_INCOME, str(int(digits)), Hit(line, found[0].strip())
            )
    return None


def extract_tax_notice(doc: DocText) -> list[ExtractedField]:
    fields = person_fields(doc)
    fiscal = _first_labelled(doc, FISCAL_NUMBER, parse_fiscal_number)
    if fiscal:
        line, ident = fiscal
        fields.append(
            make_field(
                FieldName.FISCAL_NUMBER, ident.value, Hit(line, ident.raw), validated=ident.valid
            )
        )
    reference = _first_labelled(doc, TAX_REFERENCE, parse_tax_reference)
    if reference:
        line, ident = reference
        fields.append(make_field(FieldName.TAX_REFERENCE, ident.value, Hit(line, ident.raw)))
    optional = [_reference_income(doc), _tax_year(doc), document_date(doc)]
    return fields + [f for f in optional if f is not None]


__all__ = [
    "addressee_fields",
    "extract_proof_of_address",
    "extract_tax_notice",
    "person_fields",
    "strip_civility",
]
