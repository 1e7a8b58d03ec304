"""The report contract: every key `justif check --json` and `justif inspect --json` print.

`decide` fills the decision's part of these models (statuses, requirements,
messages); `pipeline/decide/report.py` adds what the reading says of each piece
(kind, pages, warnings, time). DESIGN.md §7 and README describe the JSON.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from pipeline.fields import DocType, Evidence, FieldName
from pipeline.rules.checks import Check, Decision, PieceStatus, RequirementStatus
from pipeline.types import ErrorInfo, FileKind, PageReading, Quality, TextSource


class FieldReport(BaseModel):
    value: str
    evidence: Evidence


class PageSummary(BaseModel):
    """One page as the JSON shows it: how it was read and how legible it is, not its words."""

    n: int
    text_source: TextSource
    quality: Quality
    chars: int
    confidence: float
    seconds: float
    cached: bool
    text: str | None = None  # only when asked for (`justif inspect --text`)

    @model_serializer(mode="wrap")
    def _without_absent_text(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # The key is there only when the text was asked for, so a report never carries texts.
        data: dict[str, Any] = handler(self)
        if self.text is None:
            data.pop("text", None)
        return data

    @classmethod
    def of(cls, page: PageReading, *, with_text: bool = False) -> PageSummary:
        return cls(
            n=page.n,
            text_source=page.text_source,
            quality=page.quality,
            chars=page.chars,
            confidence=round(page.confidence, 3),
            seconds=round(page.seconds, 3),
            cached=page.cached,
            text=page.text if with_text else None,
        )


class Timings(BaseModel):
    """Seconds per stage for one piece in this run; work served from a cache counts 0.

    `read` and `signals` are summed over pages (pages are read side by side, so
    they can exceed the piece's wall time); `rules` is the piece's own checks.
    """

    intake: float = 0.0
    read: float = 0.0  # text of each page: text layer, or rendering, preprocessing and OCR
    signals: float = 0.0  # faces, MRZ band, 2D-Doc, colour
    classify: float = 0.0
    extract: float = 0.0
    rules: float = 0.0

    def rounded(self) -> Timings:
        return Timings(**{name: round(value, 3) for name, value in self})


class PieceReport(BaseModel):
    file: str
    sha256: str
    type: DocType | None
    confidence: float
    status: PieceStatus
    requirement: str | None
    fields: dict[FieldName, FieldReport]
    checks: list[Check]
    error: ErrorInfo | None = None
    # From the reading, added by report.with_readings:
    kind: FileKind | None = None  # real file type (None: refused before it was known)
    pages: list[PageSummary] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)  # intake's warning codes
    seconds: float = 0.0  # wall time of the piece's reading
    type_guess: DocType | None = None  # the classifier's best guess, even when it abstained
    timings: Timings = Field(default_factory=Timings)


class RequirementReport(BaseModel):
    id: str
    label: str
    optional: bool
    status: RequirementStatus
    pieces: list[str]
    checks: list[Check]  # the rules' checks on the merged pieces, and MISSING_PIECE


class DossierReport(BaseModel):
    """The `justif check --json` contract (DESIGN.md §7), plus `as_of` and `qa_sample`."""

    dossier_id: str
    procedure: str
    as_of: date
    decision: Decision
    qa_sample: bool
    pieces: list[PieceReport]
    requirements: list[RequirementReport]
    messages: list[str]  # French, for the applicant: what to send
    generated_at: str | None = None  # ISO 8601, UTC; set when the report is built


class InspectResult(BaseModel):
    """One object of `justif inspect --json` (DESIGN.md §7): one file read and checked alone."""

    file: str
    sha256: str
    kind: FileKind | None
    type: DocType | None  # None: the classifier abstained, or the file is unreadable
    confidence: float | None
    type_guess: DocType | None
    pages: list[PageSummary]
    fields: dict[str, FieldReport]
    checks: list[Check]
    warnings: list[str]
    error: ErrorInfo | None
    seconds: float
    timings: Timings
