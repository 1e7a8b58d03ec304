"""School certificates: pupil or student, school, school year."""

from __future__ import annotations

import re
from datetime import date

from pipeline.extract.common import date_field, document_date, text_field
from pipeline.extract.household import person_fields
from pipeline.extract.identity import BIRTH_DATE, FIRST_NAMES, LAST_NAME
from pipeline.extract.people import clean_name, split_full_name
from pipeline.extract.text import DocText, Hit, label_pattern, make_field
from pipeline.fields import ExtractedField, FieldName

SCHOOL_YEAR = re.compile(r"(?<![0-9])((?:19|20)\d{2})\s*[-/–]\s*((?:19|20)\d{2})(?![0-9])")
SCHOOL_WORDS = re.compile(
    r"\b(?:universite|lycee|college|ecole|institut|ifsi|iut|academie|groupe scolaire|"
    r"conservatoire|cfa|campus|faculte|inspe|etablissement)\b"
)
ESTABLISHMENT_WORDS = re.compile(
    r"\b(?:universite|lycee|college|ecole|institut|ifsi|iut|groupe scolaire|conservatoire"
    r"|cfa|campus|faculte|inspe)\b"
)
SCHOOL_LABELS = label_pattern(
    r"etablissement", r"nom de l'etablissement", r"ecole", r"etablissement scolaire"
)
# "né(e) le" in the certificate's sentence, as OCR reads its brackets: "née) le", "ne(e) le".
BORN_ON = label_pattern(r"nee?(?:\(e\)|\(e|e\)|\))? le")
ATTESTS = re.compile(r"(?:atteste|certifie)(?:nt)? que\s+(?:(?:m\.|mme|mlle|monsieur|madame)\s+)?")
STUDENT_LABELS = label_pattern(r"eleve", r"etudiant(?:e)?", r"nom de l'eleve", r"nom et prenom")


def _school_year(doc: DocText) -> ExtractedField | None:
    for line, match in doc.search(SCHOOL_YEAR):
        start, end = int(match[1]), int(match[2])
        if end == start + 1:
            return make_field(
                FieldName.SCHOOL_YEAR,
                f"{start}-{end}",
                Hit(line, line.text[match.start() : match.end()]),
            )
    return None


def _logo_letters(words: list[str]) -> bool:
    """Whether the words before a school's name are at most a few stray letters."""
    return all(len(w) <= 2 for w in words) and len("".join(words)) <= 4


def _school_name(doc: DocText) -> ExtractedField | None:
    labelled = text_field(
        doc, FieldName.SCHOOL_NAME, SCHOOL_LABELS, lambda t: t.strip(" :") or None
    )
    if labelled is not None and SCHOOL_WORDS.search(labelled.value.lower()):
        return labelled
    # An establishment's own name before the academy or ministry it belongs to.
    for words in (ESTABLISHMENT_WORDS, SCHOOL_WORDS):
        for line in doc.lines[:8]:
            match = words.search(line.folded)
            # A logo in the letterhead is read as a stray letter or two ("A Lycée", "Il Collège").
            lead = line.text[: match.start()].split() if match else []
            if match and _logo_letters(lead) and len(line.text) <= 90:
                name = line.text[match.start() :].strip()
                return make_field(FieldName.SCHOOL_NAME, name, Hit(line, name))
    return None


def _student_in_sentence(doc: DocText) -> list[ExtractedField]:
    """'... atteste que Léa KERGOAT, né(e) le ...' in the certificate's sentence."""
    for line, match in doc.search(ATTESTS):
        name = clean_name(line.text[match.end() :])
        if not name:
            continue
        hit = Hit(line, name)
        fields = [make_field(FieldName.HOLDER_NAME, name, hit)]
        split = split_full_name(name)
        if split:
            fields.append(make_field(FieldName.LAST_NAME, split[0], Hit(line, split[0])))
            fields.append(make_field(FieldName.FIRST_NAMES, split[1], Hit(line, split[1])))
        return fields
    return []


def _student(doc: DocText) -> list[ExtractedField]:
    last = text_field(doc, FieldName.LAST_NAME, LAST_NAME, clean_name)
    first = text_field(doc, FieldName.FIRST_NAMES, FIRST_NAMES, clean_name)
    if last and first:
        holder = make_field(
            FieldName.HOLDER_NAME,
            f"{first.value} {last.value}",
            Hit(next(ln for ln in doc.lines if ln.page.n == last.evidence.page), last.value),
        )
        return [last, first, holder.model_copy(update={"evidence": last.evidence})]
    return _student_in_sentence(doc) or person_fields(doc)


def extract_school_certificate(doc: DocText) -> list[ExtractedField]:
    fields = _student(doc)
    birth = date_field(doc, FieldName.BIRTH_DATE, BIRTH_DATE) or date_field(
        doc, FieldName.BIRTH_DATE, BORN_ON
    )
    exclude = {date.fromisoformat(birth.value)} if birth else None
    found = [birth, _school_name(doc), _school_year(doc), document_date(doc, exclude=exclude)]
    return fields + [f for f in found if f is not None]


__all__ = ["STUDENT_LABELS", "extract_school_certificate"]
