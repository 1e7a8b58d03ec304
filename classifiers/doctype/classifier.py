"""A trained document-type model behind the pipeline's `TypeClassifier` interface."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from classifiers.doctype.features import (
    feature_matrix,
    is_portrait,
    mrz_kind,
    normalise_text,
    raw_text,
)
from pipeline.classify import Classification
from pipeline.fields import DocType
from pipeline.types import PieceReading, TextSource

# An identity photo shows a face filling the frame, which the face detector finds
# on nearly all of them. Without one, `id_photo` keeps only this share of its
# probability: a card photographed too poorly to read gives a few specks of text,
# as an identity photo does, and must not be typed an identity photo for that.
PORTRAIT_MISS_RATE = 0.1
# The face detector also misses real faces (a tilted head, a shadow, glasses). An
# image with a plain border all round and next to no text is an identity photo's
# other marks (the regulation's plain light background, no writing): such a reading
# is left to the model. A card photographed on a table has neither (measured on
# real OCR of card photos: border uniformity 0.5-0.7 and 50-300 characters). A page
# of A4 shape is a scan, never left to the model this way: a card on a scanner's
# white lid has a plain border and may give no text either.
PLAIN_BACKGROUND = 0.85
MAX_PHOTO_CHARACTERS = 12
A4_RATIO = 210 / 297
A4_TOLERANCE = 0.02
# A reading with fewer letters than this, no MRZ document code and nothing of an
# identity photo is the debris OCR makes of a poor photo: it says too little of the
# type for any answer. The model still ranks types on it (the best guess is kept)
# but its probabilities are mostly replaced by an even spread. Measured on the
# validation and development readings: of such readings answered above the
# threshold, 3 of 4 were wrong (a residence-permit receipt typed "other" at 0.70
# from "ms:gil ise . t | ~ <<<0").
MIN_LETTERS = 60
SCARCE_EVIDENCE_WEIGHT = 0.3


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


def temper_scarce(proba: np.ndarray, scarce: Sequence[bool]) -> np.ndarray:
    """Probabilities of readings with scarce evidence pulled towards an even spread
    (their ranking, hence the best guess, is kept)."""
    rows = np.asarray(scarce, dtype=bool)
    if not rows.any():
        return proba
    updated = proba.copy()
    even = 1.0 / proba.shape[1]
    updated[rows] = SCARCE_EVIDENCE_WEIGHT * proba[rows] + (1 - SCARCE_EVIDENCE_WEIGHT) * even
    return updated


def has_scarce_evidence(reading: PieceReading) -> bool:
    """Fewer than MIN_LETTERS letters read and no MRZ document code."""
    text = raw_text(reading)
    letters = sum(c.isalpha() for c in normalise_text(text))
    if letters >= MIN_LETTERS:
        return False
    signals = [page.signals for page in reading.pages if page.signals is not None]
    return not any(mrz_kind(signals, text).values())


def shows_portrait(reading: PieceReading) -> bool:
    return any(page.signals is not None and is_portrait(page.signals) for page in reading.pages)


def may_be_identity_photo(reading: PieceReading) -> bool:
    """A portrait-sized face was found, or the image looks like a photo whose face the
    detector missed: one page, a plain border and almost no text."""
    if shows_portrait(reading):
        return True
    if len(reading.pages) != 1 or reading.pages[0].signals is None:
        return False
    signals = reading.pages[0].signals
    ratio = signals.aspect_ratio
    a4 = ratio > 0 and abs(min(ratio, 1 / ratio) - A4_RATIO) <= A4_TOLERANCE
    characters = sum(c.isalnum() for c in raw_text(reading))
    plain = signals.background_uniformity >= PLAIN_BACKGROUND
    return plain and not a4 and characters < MAX_PHOTO_CHARACTERS


@dataclass
class DoctypeModel:
    """Fitted pipeline, abstention thresholds and model card; implements TypeClassifier.

    `threshold` applies to readings of text layers; `ocr_threshold`, when set, to
    readings with an OCR'd page (scans and photos), whose mistakes come at higher
    confidence than the text layer's.
    """

    pipeline: Pipeline
    threshold: float
    card: dict[str, Any] = field(default_factory=dict)
    ocr_threshold: float | None = None

    @property
    def version(self) -> str:
        return str(self.card.get("version", ""))

    @property
    def classes(self) -> np.ndarray:
        return np.asarray(self.pipeline.classes_)

    def threshold_for(self, reading: PieceReading) -> float:
        if self.ocr_threshold is not None and is_ocr_reading(reading):
            return self.ocr_threshold
        return self.threshold

    def thresholds_for(self, readings: Sequence[PieceReading]) -> np.ndarray:
        return np.asarray([self.threshold_for(r) for r in readings], dtype=float)

    def predict_proba(self, readings: list[PieceReading]) -> np.ndarray:
        proba = np.asarray(self.pipeline.predict_proba(feature_matrix(readings)))
        photo = [may_be_identity_photo(r) for r in readings]
        proba = condition_on_portrait(proba, self.classes, photo)
        scarce = [not p and has_scarce_evidence(r) for p, r in zip(photo, readings, strict=True)]
        return temper_scarce(proba, scarce)

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
        abstained = confidence < self.threshold_for(reading)
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


def is_ocr_reading(reading: PieceReading) -> bool:
    """Some page of the reading was OCR'd (a scan or a photo), not taken from a text layer."""
    return any(page.text_source is TextSource.OCR for page in reading.pages)


def _no_evidence(reading: PieceReading) -> bool:
    """Blank pages without a face say nothing of the type: abstain rather than guess
    (a text-less reading otherwise looks like an identity photo)."""
    return all(
        page.quality.blank and (page.signals is None or page.signals.faces == 0)
        for page in reading.pages
    )
