"""Check results and the statuses derived from them.

A check is `ok`, `ko` or `doubt`. The one rule that protects citizens from a
guess lives here, in `ko_or_doubt`: a failure read from weak evidence (OCR
confidence under `STRONG_EVIDENCE_MIN_CONFIDENCE`) is reported as a doubt for a
case officer, never as a refusal. Rules must build their failures with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from pipeline.fields import DOC_TYPE_LABELS_FR, DocType, ExtractedField, FieldName
from pipeline.rules.messages import (
    DEFAULT_DOUBT_FR,
    DOUBT_SUFFIX_FR,
    MESSAGES,
    CheckCode,
    format_percent_fr,
)
from pipeline.types import Box, TextSource

# Below this confidence a value is a guess: a failed check becomes a doubt.
# Text layers, MRZ and 2D-Doc read at 1.0; clean 300 dpi OCR reads around 0.9.
STRONG_EVIDENCE_MIN_CONFIDENCE = 0.80


class CheckStatus(StrEnum):
    OK = "ok"
    KO = "ko"
    DOUBT = "doubt"


class PieceStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    DOUBTFUL = "doubtful"
    UNREADABLE = "unreadable"
    UNEXPECTED = "unexpected"


class RequirementStatus(StrEnum):
    OK = "ok"
    MISSING = "missing"
    INVALID = "invalid"
    DOUBT = "doubt"


class Decision(StrEnum):
    ACCEPTED = "accepted"
    INCOMPLETE = "incomplete"
    TO_REVIEW = "to_review"


class CheckEvidence(BaseModel):
    """What a check looked at: one read value and where it was read."""

    field: FieldName | None = None
    value: str | None = None
    page: int | None = None
    box: Box | None = None
    source: TextSource | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)


class Check(BaseModel):
    code: CheckCode
    status: CheckStatus
    message: str  # French, for the citizen
    officer_message: str  # French, for the case officer
    evidence: list[CheckEvidence] = Field(default_factory=list)


def evidence_of(field: ExtractedField) -> CheckEvidence:
    ev = field.evidence
    return CheckEvidence(
        field=field.name,
        value=field.value,
        page=ev.page,
        box=ev.box,
        source=ev.source,
        confidence=ev.confidence,
    )


def is_weak(fields: Iterable[ExtractedField], min_confidence: float) -> bool:
    return any(f.evidence.confidence < min_confidence for f in fields)


def make_check(
    code: CheckCode,
    status: CheckStatus,
    fields: Iterable[ExtractedField] = (),
    **params: Any,
) -> Check:
    """A check with its wording from the message table; `params` fill the placeholders."""
    fields = list(fields)
    wording = MESSAGES[code]
    if status is CheckStatus.OK:
        message = officer = wording.ok.format_map(params)
    else:
        message = wording.citizen.format_map(params)
        officer = wording.officer.format_map(params)
    if status is CheckStatus.DOUBT:
        officer += _doubt_suffix(fields)
    return Check(
        code=code,
        status=status,
        message=message,
        officer_message=officer,
        evidence=[evidence_of(f) for f in fields],
    )


def _doubt_suffix(fields: list[ExtractedField]) -> str:
    if not fields:
        return DEFAULT_DOUBT_FR
    lowest = min(f.evidence.confidence for f in fields)
    return DOUBT_SUFFIX_FR.format(confidence=format_percent_fr(lowest))


def ok(code: CheckCode, fields: Iterable[ExtractedField] = (), **params: Any) -> Check:
    return make_check(code, CheckStatus.OK, fields, **params)


def doubt(code: CheckCode, fields: Iterable[ExtractedField] = (), **params: Any) -> Check:
    return make_check(code, CheckStatus.DOUBT, fields, **params)


def ko_or_doubt(
    code: CheckCode,
    fields: Iterable[ExtractedField],
    *,
    min_confidence: float = STRONG_EVIDENCE_MIN_CONFIDENCE,
    **params: Any,
) -> Check:
    """A failed check: `ko` on strong evidence, `doubt` when any evidence is weak.

    Every failure a rule reports goes through here, so no rule can refuse a
    citizen on a low-confidence reading.
    """
    fields = list(fields)
    status = CheckStatus.DOUBT if is_weak(fields, min_confidence) else CheckStatus.KO
    return make_check(code, status, fields, **params)


def worst_status(checks: Iterable[Check]) -> CheckStatus:
    """ko beats doubt beats ok; no checks at all is ok."""
    statuses = {c.status for c in checks}
    if CheckStatus.KO in statuses:
        return CheckStatus.KO
    if CheckStatus.DOUBT in statuses:
        return CheckStatus.DOUBT
    return CheckStatus.OK


def read_by_ocr(*fields: ExtractedField) -> bool:
    """Whether values may carry reading errors: OCR'd text, or an MRZ, whose check
    digits do not cover the names (an MRZ is itself OCR'd on a scan or photo)."""
    return any(f.evidence.source in (TextSource.OCR, TextSource.MRZ) for f in fields)


# ---------------------------------------------------------------- checks other stages build
# Reading (legibility), codes (MRZ, 2D-Doc), classification (type) and the dossier
# (missing piece, duplicate file) report their findings as checks too.


def mrz_invalid(fields: list[ExtractedField], detail: str) -> Check:
    """MRZ check digits do not add up; weak OCR of the MRZ makes it a doubt."""
    return ko_or_doubt(CheckCode.MRZ_INVALID, fields, detail=detail)


def twoddoc_invalid(detail: str) -> Check:
    """The 2D-Doc signature or format is wrong: a cryptographic fact, not a reading."""
    return make_check(CheckCode.TWODDOC_INVALID, CheckStatus.KO, detail=detail)


def twoddoc_mismatch(text_field: ExtractedField, twoddoc_value: str) -> Check:
    return ko_or_doubt(
        CheckCode.TWODDOC_MISMATCH,
        [text_field],
        field=str(text_field.name),
        found=text_field.value,
        expected=twoddoc_value,
    )


def legibility_low(page: int, detail: str) -> Check:
    check = doubt(CheckCode.LEGIBILITY_LOW, page=page, detail=detail)
    # The page as evidence: the fields read on it are weak evidence too (analysis).
    return check.model_copy(update={"evidence": [CheckEvidence(page=page)]})


def other_side_verified(why: str, companion: str, pages: list[int]) -> Check:
    """A card side, illegible or of uncertain type (`why`, French), whose holder the
    verified MRZ of its other side establishes."""
    check = ok(CheckCode.OTHER_SIDE_VERIFIED, why=why, companion=companion)
    return check.model_copy(update={"evidence": [CheckEvidence(page=page) for page in pages]})


def type_uncertain(doc_type: DocType | None, confidence: float, threshold: float) -> Check:
    """The classifier abstained: its best guess is below the procedure's threshold."""
    return doubt(
        CheckCode.TYPE_UNCERTAIN,
        doc_type_label=DOC_TYPE_LABELS_FR[doc_type] if doc_type else "inconnu",
        confidence=format_percent_fr(confidence),
        threshold=format_percent_fr(threshold),
    )


def type_mismatch(file: str, doc_type: DocType, procedure_code: str) -> Check:
    return make_check(
        CheckCode.TYPE_MISMATCH,
        CheckStatus.KO,
        file=file,
        doc_type_label=DOC_TYPE_LABELS_FR[doc_type],
        procedure=procedure_code,
    )


def missing_piece(label: str, accepted: list[DocType], count: int, min_files: int) -> Check:
    return make_check(
        CheckCode.MISSING_PIECE,
        CheckStatus.KO,
        label=label,
        accepted=", ".join(DOC_TYPE_LABELS_FR[t] for t in accepted),
        count=count,
        min_files=min_files,
    )


def duplicate_file(file: str, original: str) -> Check:
    return make_check(CheckCode.DUPLICATE_FILE, CheckStatus.KO, file=file, original=original)
