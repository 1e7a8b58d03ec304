"""Identity card, passport, residence permit: the printed fields (the MRZ is merged later)."""

from __future__ import annotations

import re
from datetime import date

from pipeline.extract.common import date_field, text_field
from pipeline.extract.dates import find_dates
from pipeline.extract.labels import is_label, looks_like_label
from pipeline.extract.people import USAGE_WORD, clean_name, is_sentence
from pipeline.extract.text import (
    DocText,
    Hit,
    label_pattern,
    labelled_values,
    make_field,
)
from pipeline.fields import ExtractedField, FieldName

# Bilingual cards print "Nom d'usage / Alternate name": the English half is label too.
LAST_NAME = label_pattern(
    r"nom(?!\s+de\s+naissance)(?: de famille| d'usage(?:\s*/\s*alternate name)?)?"
    r"(?:\s*/\s*surname)?",
    r"surname",
)
BIRTH_NAME = label_pattern(r"nom de naissance")
USAGE_NAME = label_pattern(r"nom d'usage(?:\s*/\s*alternate name)?", r"alternate name")
PLAIN_LAST_NAME = label_pattern(r"nom(?!\s+de\s+naissance)(?!\s+d'usage)(?:\s*/\s*surname)?")
FIRST_NAMES = label_pattern(r"prenom(?:\(s\)|s)?(?:\s*/\s*given names)?", r"given names")
BIRTH_DATE = label_pattern(
    r"date de naiss(?:ance|\.)?", r"nee?(?:\(e\))? le", r"date of birth", r"ne\(e\) le"
)
EXPIRY_DATE = label_pattern(
    r"date d'expir(?:ation|\.)?", r"valable jusqu'au", r"(?:carte )?valable jusqu'au",
    r"date de fin de validite", r"expire le", r"date of expiry", r"fin de validite",
    r"valid until", r"^au",  # a receipt's "Valable du ... / Au ..." rows
)  # fmt: skip
ISSUE_DATE = label_pattern(
    r"date de delivrance",
    r"delivree? le",
    r"date of issue",
    r"delivre(?:e)? le",
    r"emis le",
    r"valable du",
    r"valide du",
)
DOCUMENT_NUMBER = label_pattern(
    r"n° du document", r"numero du document", r"document no\.?", r"passeport n°",
    r"passport no\.?", r"carte nationale d'identite n°", r"titre n°", r"n° de (?:la )?carte",
    r"numero de titre", r"card no\.?", r"recepisse n°", r"n° de recepisse",
)  # fmt: skip
ISSUER = label_pattern(r"autorite", r"authority", r"delivree? par", r"par")
SEX = label_pattern(r"sexe", r"sex")
NATIONALITY = label_pattern(r"nationalite", r"nationality")
BIRTH_PLACE = label_pattern(r"lieu de naissance", r"place of birth", r"a")

# Plain folded spellings of the labels, for OCR'd pages where they come out garbled.
FUZZY_LAST_NAME = ("nom / surname", "nom de famille", "surname")
FUZZY_FIRST_NAMES = ("prenoms / given names", "prenom(s)", "given names")
FUZZY_BIRTH_DATE = ("date de naissance", "date of birth", "ne(e) le")
FUZZY_EXPIRY_DATE = ("date d'expiration", "valable jusqu'au", "date of expiry", "fin de validite")
FUZZY_ISSUE_DATE = ("date de delivrance", "delivre le", "date of issue")

_DOC_NUMBER = re.compile(r"(?<![A-Z0-9])([A-Z0-9]{8,12})(?![A-Z0-9])")
_SEX = re.compile(r"^(M|F|X)\b")


# A printed usage name after the birth name: "MARTIN ép. DUMAS", "MARTIN épouse DUMAS",
# "MARTIN veuve DUMAS", "MARTIN, nom d'usage : DUMAS".
USAGE_MARKER = re.compile(rf"(?i)[\s,]+(?:{USAGE_WORD}|nom d['’]usage\s*:?)\s+(?=\S)")


def _name_value(text: str) -> str | None:
    # A value line that is itself a label ("Prénom(s) :", "Surname") is not a name.
    if text.rstrip().endswith(":"):
        return None
    name = clean_name(text)
    return None if name is None or is_label(name) else name


def split_usage_name(text: str) -> tuple[str, str] | None:
    """(birth name, usage name) of "MARTIN ép. DUMAS"; None without a usage marker."""
    parts = USAGE_MARKER.split(text.strip(), maxsplit=1)
    if len(parts) != 2 or ":" in parts[0]:  # a label before the marker is no birth name
        return None
    birth, usage = clean_name(parts[0]), clean_name(parts[1])
    return (birth, usage) if birth and usage else None


# A line that starts with a usage word ("ép. DUMAS").
_USAGE_LINE = re.compile(rf"(?i)^\s*{USAGE_WORD}\s+(?=\S)")


def _usage_value(text: str) -> str | None:
    """The value of a "Nom d'usage" row, its own marker dropped ("ép. DUMAS")."""
    marker = _USAGE_LINE.match(text)
    return _name_value(text[marker.end() :] if marker else text)


def _usage_line(doc: DocText) -> ExtractedField | None:
    """A line of its own starting with a usage marker ("ép. DUMAS"): page OCR often
    splits "MARTIN ép. DUMAS" into two lines, the second far from its label; or a
    whole "MARTIN ép. DUMAS" line whose label the OCR lost."""
    for line in doc.lines:
        marker = _USAGE_LINE.match(line.text)
        name = clean_name(line.text[marker.end() :]) if marker else _usage_of_line(line.text)
        if name:
            return make_field(FieldName.LAST_NAME, name, Hit(line, name))
    return None


def _birth_line(doc: DocText) -> ExtractedField | None:
    """The birth name of a whole "MARTIN ép. DUMAS" line (see `_usage_line`)."""
    for line in doc.lines:
        split = _split_name_line(line.text)
        if split:
            return make_field(FieldName.BIRTH_NAME, split[0], Hit(line, split[0]))
    return None


_NAME_LINE_MAX_WORDS = 4  # a surname on each side of the marker, not a sentence


def _split_name_line(text: str) -> tuple[str, str] | None:
    """(birth, usage) of a line that is nothing but "MARTIN ép. DUMAS"."""
    split = split_usage_name(text)
    if split is None or not USAGE_MARKER.search(text):
        return None
    birth, usage = split
    printed = USAGE_MARKER.sub(" ", text).split()
    if printed != [*birth.split(), *usage.split()] or len(printed) > _NAME_LINE_MAX_WORDS:
        return None
    return split


def _usage_of_line(text: str) -> str | None:
    split = _split_name_line(text)
    return split[1] if split else None


def _plain_name_value(text: str) -> str | None:
    """A name that is neither a usage name ("ép. DUMAS") nor the rest of a bilingual
    label ("Nom ; Surname" garbled by OCR)."""
    if _USAGE_LINE.match(text) or looks_like_label(text):
        return None
    return _name_value(text)


def _names(doc: DocText) -> list[ExtractedField | None]:
    """Last name (the usage name when one is printed) and birth name.

    A usage name is looked for in a "Nom d'usage" row, after the birth name in the
    surname row ("MARTIN ép. DUMAS", which the page OCR may also cut short under
    its label, so every value of the row is tried), or on a line of its own.
    """
    usage = (
        text_field(doc, FieldName.LAST_NAME, USAGE_NAME, _usage_value)
        or text_field(doc, FieldName.LAST_NAME, LAST_NAME, _usage_in_surname)
        or _usage_line(doc)
    )
    if usage is not None:
        birth = (
            text_field(doc, FieldName.BIRTH_NAME, BIRTH_NAME, _name_value)
            or text_field(doc, FieldName.BIRTH_NAME, LAST_NAME, _birth_name_in_surname)
            or text_field(doc, FieldName.BIRTH_NAME, LAST_NAME, _plain_name_value, FUZZY_LAST_NAME)
            or _birth_line(doc)
        )
        return [usage, birth]
    return [
        text_field(doc, FieldName.LAST_NAME, LAST_NAME, _name_value, FUZZY_LAST_NAME),
        text_field(doc, FieldName.BIRTH_NAME, BIRTH_NAME, _name_value),
    ]


def _usage_in_surname(text: str) -> str | None:
    split = split_usage_name(text)
    return split[1] if split else None


def _birth_name_in_surname(text: str) -> str | None:
    split = split_usage_name(text)
    return split[0] if split else None


def _document_number(doc: DocText) -> ExtractedField | None:
    for line, text in labelled_values(doc, DOCUMENT_NUMBER):
        found = _DOC_NUMBER.search(text.upper())
        if found and any(c.isdigit() for c in found[1]):
            raw = text[found.start(1) : found.end(1)]
            return make_field(FieldName.DOCUMENT_NUMBER, found[1], Hit(line, raw))
    return None


def _sex(doc: DocText) -> ExtractedField | None:
    for line, text in labelled_values(doc, SEX):
        found = _SEX.match(text.strip().upper())
        if found:
            return make_field(FieldName.SEX, found[1], Hit(line, found[1]))
    return None


def _issuer(text: str) -> str | None:
    value = text.strip(" :.")
    if not 3 <= len(value) <= 80 or re.search(r"\d{2}", value):
        return None
    # A line of prose after a "par" ("actions simplifiée au capital de") issues nothing.
    return None if is_sentence(value.replace(",", " , ").split()) else value


def extract_identity(doc: DocText) -> list[ExtractedField]:
    found = [
        *_names(doc),
        text_field(doc, FieldName.FIRST_NAMES, FIRST_NAMES, _plain_name_value, FUZZY_FIRST_NAMES),
        date_field(doc, FieldName.BIRTH_DATE, BIRTH_DATE, FUZZY_BIRTH_DATE),
        date_field(doc, FieldName.EXPIRY_DATE, EXPIRY_DATE, FUZZY_EXPIRY_DATE),
        date_field(doc, FieldName.ISSUE_DATE, ISSUE_DATE, FUZZY_ISSUE_DATE),
        _document_number(doc),
        _sex(doc),
        text_field(doc, FieldName.ISSUER, ISSUER, _issuer),
    ]
    return [f for f in found if f is not None]


# The only other date an identity document prints is its issue date, which then
# gets this weight as evidence (a guess by elimination, not a read label).
ISSUE_BY_ELIMINATION_CONFIDENCE = 0.6


def issue_date_by_elimination(
    doc: DocText, fields: dict[FieldName, ExtractedField], as_of: date
) -> ExtractedField | None:
    """The issue date when its label was unreadable: the one printed date that is
    neither the birth nor the expiry date, after the birth and not in the future.

    Identity documents print three dates (birth, issue, expiry); with the other
    two known (from the MRZ, say), a single remaining candidate is the issue date.
    Several candidates, or none, give None.
    """
    birth, expiry = fields.get(FieldName.BIRTH_DATE), fields.get(FieldName.EXPIRY_DATE)
    if birth is None or expiry is None or FieldName.ISSUE_DATE in fields:
        return None
    known = {date.fromisoformat(birth.value), date.fromisoformat(expiry.value)}
    candidates: dict[date, Hit] = {}
    for line in doc.lines:
        for found in find_dates(line.folded):
            if found.day not in known and min(known) < found.day <= as_of:
                candidates.setdefault(found.day, Hit(line, line.text[found.start : found.end]))
    if len(candidates) != 1:
        return None
    ((day, hit),) = candidates.items()
    field = make_field(FieldName.ISSUE_DATE, day.isoformat(), hit)
    weaker = min(field.evidence.confidence, ISSUE_BY_ELIMINATION_CONFIDENCE)
    return field.model_copy(
        update={"evidence": field.evidence.model_copy(update={"confidence": weaker})}
    )
