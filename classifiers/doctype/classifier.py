"""A trained document-type model behind the pipeline's `TypeClassifier` interface."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from classifiers.doctype.features import feature_matrix, is_portrait
from pipeline.classification import Classification
from pipeline.fields import DocType
from pipeline.types import PieceReading

# An identity photo shows a face filling the frame, which the face detector finds
# on nearly all of them. Without one, `id_photo` keeps only this share of its
# probability: a card photographed too poorly to read gives a few specks of text,
# as an identity photo does, and must not be typed an identity photo for that.
PORTRAIT_MISS_RATE = 0.1


def condition_on_portrait(
    proba: np.ndarray, classes: np.ndarray, portrait: Sequence[bool]
) -> np.ndarray:
    """Probabilities updated with whether each reading shows a portrait-sized face.

    The share taken from `id_photo` is spread evenly over the other types, not in
    proportion to them: that the document is no identity photo says nothing of
    which other type it is, so it must not make the runner-up a confident answer
    (a blurred identity card would then be typed a passport).
    """
    column = np.flatnonzero(classes == DocType.ID_PHOTO.value)
    if not column.size or len(classes) < 2:
        return proba
    updated = proba.copy()
    without = ~np.asarray(portrait, dtype=bool)
    taken = updated[without, column[0]] * (1.0 - PORTRAIT_MISS_RATE)
    updated[without, column[0]] -= taken
    others = np.ones(len(classes), dtype=bool)
    others[column[0]] = False
    updated[np.ix_(without, others)] += (taken / (len(classes) - 1))[:, None]
    return updated


def shows_portrait(reading: PieceReading) -> bool:
    return any(page.signals is not None and is_portrait(page.signals) for page in reading.pages)


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
        proba = np.asarray(self.pipeline.predict_proba(feature_matrix(readings)))
        return condition_on_portrait(proba, self.classes, [shows_portrait(r) for r in readings])

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
