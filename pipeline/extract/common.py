"""Field finders shared by the document families: labelled dates and texts, addresses."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from datetime import date

from pipeline.extract.dates import FoundDate, find_dates
from pipeline.extract.identifiers import POSTCODE_CITY
from pipeline.extract.text import (
    DocText,
    Hit,
    Line,
    fold,
    fuzzy_labelled_values,
    label_pattern,
    labelled_values,
    make_field,
)
from pipeline.fields import ExtractedField, FieldName

DOCUMENT_DATE_LABELS = label_pattern(
    r"date d'edition", r"edite(?:e)? le", r"etabli(?:e)? le", r"date d'etablissement",
    r"date de (?:la )?facture", r"facture du", r"date d'emission", r"emis(?:e)? le",
    r"delivre(?:e)? le", r"fait a [^,]+,? le", r"fait le", r"a jour au", r"extrait kbis du",
    r"date du document",
)  # fmt: skip
STREET = re.compile(
    r"\d|\b(?:rue|avenue|av|bd|boulevard|chemin|place|allee|impasse|route|quai|cours"
    r"|lieu[- ]dit|residence|bp)\b"
)
# Last resorts, tried only when no specific label carries a date.
GENERIC_DATE_LABELS = label_pattern(r"date", r"le", r"du", r"au")


# Evidence of a date read through digit look-alikes ("l2/O3/2025") or a misspelt
# month is capped here, under the rules' strong-evidence threshold: a refusal
# must not rest on a character the OCR may have guessed.
DOUBTFUL_DATE_CONFIDENCE = 0.6


def page_dates(doc: DocText, page_no: int) -> list[date]:
    """Every date printed on one page, in reading order."""
    return [
        found.day
        for line in doc.lines
        if line.page.n == page_no
        for found in find_dates(line.folded)
    ]


def dated_field(doc: DocText, name: FieldName, found: FoundDate, hit: Hit) -> ExtractedField:
    """A date field with its evidence: weakened when look-alikes were read as digits, and
    with the page's other dates as alternatives (a rule may doubt rather than refuse)."""
    field = make_field(name, found.day.isoformat(), hit)
    evidence = field.evidence
    if found.corrected:
        evidence = evidence.model_copy(
            update={"confidence": min(evidence.confidence, DOUBTFUL_DATE_CONFIDENCE)}
        )
    others = {day.isoformat() for day in page_dates(doc, hit.page_no)} - {field.value}
    return field.model_copy(update={"evidence": evidence, "alternatives": sorted(others)})


def find_date(
    doc: DocText, labels: re.Pattern[str], fuzzy: Sequence[str] = ()
) -> tuple[Hit, FoundDate] | None:
    """The first date written at or below one of the labels.

    `fuzzy`: plain folded spellings of the labels, looked for by similarity on
    OCR'd pages when no label matches exactly.
    """
    candidates = itertools.chain(labelled_values(doc, labels), fuzzy_labelled_values(doc, fuzzy))
    for line, text in candidates:
        # Under a label, a date may have lost its separators ("03111967").
        found = find_dates(fold(text), compact=True)
        if found:
            first = found[0]
            return Hit(line, text[first.start : first.end]), first
    return None


def date_field(
    doc: DocText, name: FieldName, labels: re.Pattern[str], fuzzy: Sequence[str] = ()
) -> ExtractedField | None:
    found = find_date(doc, labels, fuzzy)
    if found is None:
        return None
    hit, day = found
    return dated_field(doc, name, day, hit)


def any_date(doc: DocText, *, exclude: set[date] | None = None) -> tuple[Hit, FoundDate] | None:
    """The first date of the document, skipping `exclude` (birth dates...)."""
    for line in doc.lines:
        for found in find_dates(line.folded):
            if exclude and found.day in exclude:
                continue
            return Hit(line, line.text[found.start : found.end]), found
    return None


def document_date(doc: DocText, *, exclude: set[date] | None = None) -> ExtractedField | None:
    """Date of issue: a labelled one first, else the first date printed."""
    for labels in (DOCUMENT_DATE_LABELS, GENERIC_DATE_LABELS):
        for line, text in labelled_values(doc, labels):
            for found in find_dates(fold(text)):
                if not (exclude and found.day in exclude):
                    hit = Hit(line, text[found.start : found.end])
                    return dated_field(doc, FieldName.DOCUMENT_DATE, found, hit)
    fallback = any_date(doc, exclude=exclude)
    if fallback is None:
        return None
    hit, found = fallback
    return dated_field(doc, FieldName.DOCUMENT_DATE, found, hit)


def text_field(
    doc: DocText,
    name: FieldName,
    labels: re.Pattern[str],
    clean: Callable[[str], str | None],
    fuzzy: Sequence[str] = (),
) -> ExtractedField | None:
    """The first value at or below a label that `clean` accepts (and trims).

    `fuzzy`: as for `find_date`.
    """
    candidates = itertools.chain(labelled_values(doc, labels), fuzzy_labelled_values(doc, fuzzy))
    for line, text in candidates:
        value = clean(text)
        if value:
            return make_field(name, value, Hit(line, value))
    return None


def _postcode_line(line: Line) -> tuple[str, str, str] | None:
    """(street part before the postcode on the same line, postcode, city) of an address line."""
    match = POSTCODE_CITY.search(line.text)
    if match is None:
        return None
    before = line.text[: match.start()].strip(" ,;–-")
    return before, match[1], match[2].strip()


def address_fields(
    doc: DocText,
    after: Line | None,
    *,
    within: int = 4,
    label: re.Pattern[str] | None = None,
) -> list[ExtractedField]:
    """Street line, postcode and city of the first 'postcode city' line below `after`.

    With `label`, the anchor line itself is searched too, after that label.
    """
    lines = doc.following(after, within) if after is not None else doc.lines
    if after is not None and label is not None:
        lines = [after, *lines]
    for i, line in enumerate(lines):
        parts = _postcode_line(line)
        if parts is None:
            continue
        street, postcode, city = parts
        labelled = label.search(fold(street)) if label and street else None
        if labelled:
            street = street[labelled.end() :].strip(" :,")
        fields = [
            make_field(FieldName.POSTCODE, postcode, Hit(line, postcode)),
            make_field(FieldName.CITY, city, Hit(line, city)),
        ]
        street_hit = Hit(line, street) if street else None
        if street_hit is None and i and lines[i - 1] is not after:
            street_hit = Hit(lines[i - 1], lines[i - 1].text)
        if street_hit and STREET.search(fold(street_hit.raw)):
            fields.append(make_field(FieldName.ADDRESS_LINE, street_hit.raw, street_hit))
        return fields
    return []
