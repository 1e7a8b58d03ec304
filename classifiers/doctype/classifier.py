"""A trained document-type model behind the pipeline's `TypeClassifier` interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from classifiers.doctype.features import feature_matrix
from pipeline.classification import Classification
from pipeline.fields import DocType
from pipeline.types import PieceReading


@dataclass
class DoctypeModel:
    """Fitted pipeline, abstention threshold and model card; implements TypeClassifier."""

    pipeline: Pipeline
    threshold: float
    card: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.card.get("version", ""))

    @property
    def classes(self) -> np.ndarray:
        return np.asarray(self.pipeline.classes_)

    def predict_proba(self, readings: list[PieceReading]) -> np.ndarray:
        return np.asarray(self.pipeline.predict_proba(feature_matrix(readings)))

    def classify(self, reading: PieceReading) -> Classification:
        """Best type with its calibrated probability; abstains below the threshold."""
        if reading.error is not None or not reading.pages or _no_evidence(reading):
            return Classification(
                type=None, confidence=0.0, abstained=True, model_version=self.version
            )
        proba = self.predict_proba([reading])[0]
        best = int(proba.argmax())
        guess = DocType(str(self.classes[best]))
        confidence = float(proba[best])
        abstained = confidence < self.threshold
        return Classification(
            type=None if abstained else guess,
            confidence=confidence,
            abstained=abstained,
            best_guess=guess,
            probabilities={
                str(c): round(float(p), 6) for c, p in zip(self.classes, proba, strict=True)
            },
            model_version=self.version,
        )


def _no_evidence(reading: PieceReading) -> bool:
    """Blank pages without a face say nothing of the type: abstain rather than guess
    (a text-less reading otherwise looks like an identity photo)."""
    return all(
        page.quality.blank and (page.signals is None or page.signals.faces == 0)
        for page in reading.pages
    )
