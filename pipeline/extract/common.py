"""Field finders shared by the document families: labelled dates and texts, addresses."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from datetime import date

from pipeline.extract.dates import FoundDate, find_dates
from pipeline.extract.identifiers import POSTCODE_CITY
from pipeline.extract.labels import is_label
from pipeline.extract.text import (
    DocText,
    Hit,
    Line,
    fold,
    fuzzy_labelled_values,
    label_pattern,
    labelled_values,
    make_field,
    words_for,
)
from pipeline.fields import ExtractedField, FieldName
from pipeline.types import TextSource

DOCUMENT_DATE_LABELS = label_pattern(
    r"date d'edition", r"edite(?:e)? le", r"etabli(?:e)? le", r"date d'etablissement",
    r"date de (?:la )?facture", r"facture du", r"date d'emission", r"emis(?:e)? le",
    r"delivre(?:e)? le", r"fait a [^,]+,? le", r"fait le", r"a jour au", r"extrait kbis du",
    r"date du document", r"date de mise en recouvrement", r"date d'envoi", r"en date du",
    r"imprime(?:e)? le", r"genere(?:e)? le", r"date d'impression", r"releve du",
    r"avis (?:d'echeance|etabli)(?: et quittance)?(?: du| le)?", r"quittance du",
)  # fmt: skip
STREET = re.compile(
    r"\d|\b(?:rue|avenue|av|bd|boulevard|chemin|place|allee|impasse|route|quai|cours"
    r"|lieu[- ]dit|residence|bp)\b"
)
# Last resorts, tried only when no specific label carries a date.
GENERIC_DATE_LABELS = label_pattern(r"date", r"le", r"du", r"au")
# Words before a date on its line that give it another role than the document's date:
# due or debit date, period, validity, birth, registration, start of a contract.
OTHER_ROLE = re.compile(
    r"(?<![a-z])(?:echeance|echu|avant|limite|preleve(?:e|ment)?|payer|paiement|periode"
    r"|consommation|valable|validite|jusqu|expir\w*|naissance|nee?|immatricul\w*|debut"
    r"|creation|commencement|cloture|exigib\w*|effet|souscri\w*|depuis|entree|anciennete|au)"
    r"(?![a-z])[^0-9]*$"
)


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


def dated_field(
    doc: DocText, name: FieldName, found: FoundDate, hit: Hit, *, guessed: bool = False
) -> ExtractedField:
    """A date field with its evidence: weakened when look-alikes were read as digits or
    its role is a guess (`guessed`), and with the page's other dates as alternatives (a
    rule may doubt rather than refuse)."""
    field = make_field(name, found.day.isoformat(), hit)
    evidence = field.evidence
    if found.corrected or guessed:
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


def in_other_role(folded: str, found: FoundDate, others: Sequence[FoundDate]) -> bool:
    """Whether a date reads as a due date, a period, a validity or a birth date rather
    than the date the document was issued: by the words before it on its line, or as
    the start of a range ("du 01/09 au 30/09")."""
    if OTHER_ROLE.search(folded[: found.start]):
        return True
    after = [f for f in others if f.start >= found.end]
    return bool(after) and re.fullmatch(r"\s*au\s*", folded[found.end : after[0].start]) is not None


def _after_generic_label(folded: str, found: FoundDate) -> bool:
    before = folded[: found.start].rstrip(" :.-")
    return any(m.end() == len(before) for m in GENERIC_DATE_LABELS.finditer(before))


def document_date(doc: DocText, *, exclude: set[date] | None = None) -> ExtractedField | None:
    """Date of issue: a date under an issue label ("Facture du", "Édité le"), else the
    first date that no word gives another role (due date, period, birth...), after a
    generic label ("Date", "le") first, else the first date printed."""
    for line, text in labelled_values(doc, DOCUMENT_DATE_LABELS):
        folded = fold(text)
        dates = find_dates(folded)
        for found in dates:
            # Lines under a title label ("Avis d'échéance") may hold a period.
            if not (exclude and found.day in exclude) and not in_other_role(folded, found, dates):
                hit = Hit(line, text[found.start : found.end])
                return dated_field(doc, FieldName.DOCUMENT_DATE, found, hit)
    candidates = [
        (line, found)
        for line in doc.lines
        for dates in [find_dates(line.folded)]
        for found in dates
        if not (exclude and found.day in exclude) and not in_other_role(line.folded, found, dates)
    ]
    # A date right after a generic label ("Date :", "Lyon, le") before any other.
    labelled = [c for c in candidates if _after_generic_label(c[0].folded, c[1])]
    for line, found in labelled + candidates:
        hit = Hit(line, line.text[found.start : found.end])
        return dated_field(doc, FieldName.DOCUMENT_DATE, found, hit)
    fallback = any_date(doc, exclude=exclude)
    if fallback is None:
        return None
    hit, found = fallback
    # Every date printed has another role (a period, a due date...): the first one
    # stands in for the document's date, but no refusal may rest on it.
    return dated_field(doc, FieldName.DOCUMENT_DATE, found, hit, guessed=True)


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
        # A label is never a value: the next candidate (under or beside it) is tried.
        if not value or is_label(value):
            continue
        hit = Hit(line, value)
        if name in PERSON_NAMES and ocr_noise(hit):
            continue
        return make_field(name, value, hit)
    return None


# Fields that hold a person's name.
PERSON_NAMES = frozenset(
    {FieldName.LAST_NAME, FieldName.FIRST_NAMES, FieldName.BIRTH_NAME, FieldName.HOLDER_NAME,
     FieldName.ACCOUNT_HOLDER, FieldName.LEGAL_REPRESENTATIVE}
)  # fmt: skip
# OCR reads letters into a card's guilloche and into a blanked box ("Wy", "BH ee Fe"):
# a text none of whose words reached this confidence is such noise, not printed ink.
NOISE_CONFIDENCE = 0.5


def ocr_noise(hit: Hit) -> bool:
    """Whether an OCR'd value is letters the OCR saw in a background: none of its
    words read with confidence (a text layer is never noise)."""
    page = hit.line.page
    if page.text_source is not TextSource.OCR:
        return False
    words = words_for(page, hit.raw)
    if words:
        return max(w.confidence for w in words) < NOISE_CONFIDENCE
    # A value taken under or beside its label by position is made of words that are
    # not consecutive in the OCR's order: each of its words is looked up on its own,
    # and only words read weakly wherever they appear make noise.
    best: list[float] = []
    for token in hit.raw.split():
        same = [w.confidence for w in page.words if _compact(w.text) == _compact(token)]
        if not same:
            return False
        best.append(max(same))
    return bool(best) and max(best) < NOISE_CONFIDENCE


def _compact(text: str) -> str:
    return re.sub(r"[\W_]+", "", fold(text))


def _postcode_line(line: Line) -> tuple[str, str, str] | None:
    """(street part before the postcode on the same line, postcode, city) of an address line."""
    match = POSTCODE_CITY.search(line.text)
    if match is None:
        return None
    before = line.text[: match.start()].strip(" ,;–-")
    return before, match[1], match[2].strip()


def address_on_line(line: Line) -> list[ExtractedField]:
    """Street, postcode and city of one "8, rue de Leroy 45000 Orléans" text."""
    parts = _postcode_line(line)
    if parts is None:
        return []
    street, postcode, city = parts
    fields = [
        make_field(FieldName.POSTCODE, postcode, Hit(line, postcode)),
        make_field(FieldName.CITY, city, Hit(line, city)),
    ]
    if street and STREET.search(fold(street)):
        fields.append(make_field(FieldName.ADDRESS_LINE, street, Hit(line, street)))
    return fields


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
