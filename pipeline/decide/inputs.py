"""What the decision takes for each uploaded file: `PieceInput`."""

from __future__ import annotations

from pydantic import BaseModel, Field

from pipeline.fields import DocType, ExtractedField
from pipeline.rules.checks import Check
from pipeline.rules.context import PhotoMeasurement
from pipeline.types import ErrorInfo


class PieceInput(BaseModel):
    """One uploaded file as the pipeline left it: type, fields and checks so far, or an error."""

    file: str  # name as uploaded; unique within a dossier, the piece's id in the report
    sha256: str
    doc_type: DocType | None = None  # classifier's best guess (None: not classified)
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    abstained: bool = False  # the classifier declined to decide
    error: ErrorInfo | None = None  # set: the file could not be read (unreadable)
    fields: list[ExtractedField] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)  # MRZ, 2D-Doc, legibility...
    photo: PhotoMeasurement | None = None  # for id_photo pieces
    requirement_hint: str | None = None  # upload slot, used only when the type is unknown
    texts: list[str] = Field(default_factory=list)  # page texts, for rules that look beyond fields
    # set on a card side whose type was a guess: the file whose verified MRZ establishes
    # its holder (see with_companion_sides)
    companion_of: str | None = None
