"""What the document-type stage returns, and the interface a classifier offers the pipeline.

The pipeline never imports `classifiers`: it takes any object with a `classify`
method (see `TypeClassifier`), so the model can be swapped or left out.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

from pipeline.fields import DocType
from pipeline.types import PieceReading

TYPE_UNCERTAIN = "TYPE_UNCERTAIN"  # check code of an abstained classification (a doubt)


class Classification(BaseModel):
    """The type of one piece; `type` is None when the classifier abstained."""

    type: DocType | None
    confidence: float = Field(ge=0.0, le=1.0)  # calibrated probability of the best type
    abstained: bool
    best_guess: DocType | None = None  # most probable type, even when abstained
    probabilities: dict[str, float] = Field(default_factory=dict)  # DocType value -> probability
    model_version: str = ""


@runtime_checkable
class TypeClassifier(Protocol):
    def classify(self, reading: PieceReading) -> Classification:
        """Type of one piece from its pages' text and signals (never images)."""
        ...
