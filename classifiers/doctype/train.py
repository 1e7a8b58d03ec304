"""Training the document-type model on labelled readings: fit, threshold, card, promotion."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from classifiers.doctype.classifier import DoctypeModel, is_ocr_reading
from classifiers.doctype.evaluate import (
    choose_ocr_threshold,
    choose_threshold,
    evaluate_probabilities,
    meets_targets,
)
from classifiers.doctype.features import CHAR_TEXT_COLUMN, TEXT_COLUMN, feature_matrix
from classifiers.doctype.model import (
    CHAR_PARAMS,
    MAX_CHARS,
    MAX_WORDS,
    WORD_PARAMS,
    build_doctype_pipeline,
    shared_vocabulary,
)
from classifiers.doctype.plan import TrainingPlan
from classifiers.doctype.samples import ReadingFailure, Sample, samples_hash
from classifiers.doctype.store import (
    ModelMissing,
    ModelVersionMismatch,
    UntrustedModel,
    load_model,
    make_card,
    new_version,
    promote,
    save_model,
)
from pipeline.store.storage import ObjectStore

log = logging.getLogger(__name__)

CALIBRATION_FOLDS = 3
Progress = Callable[[str, int], Callable[[], None]]  # (label, total) -> advance


def no_progress(label: str, total: int) -> Callable[[], None]:
    return lambda: None


@dataclass
class TrainingResult:
    model: DoctypeModel
    train: list[Sample]
    validation: list[Sample]
    seconds: dict[str, float]
    failures: list[ReadingFailure] = field(default_factory=list)


def labels_of(samples: Sequence[Sample]) -> np.ndarray:
    return np.asarray([s.label.value for s in samples], dtype=object)


def fit_pipeline(samples: Sequence[Sample], *, random_state: int) -> Pipeline:
    """Fit a fresh pipeline on the samples (validation data never passes here).

    The TF-IDF vocabularies keep only terms that several templates print, and
    calibration folds hold out whole templates when every class has enough of
    them: the probabilities then describe a layout never seen, as a real
    document from another issuer is.
    """
    matrix = feature_matrix([s.reading for s in samples])
    y = labels_of(samples)
    templates = np.asarray([s.template_id for s in samples], dtype=object)
    texts = [str(t) for t in matrix[:, TEXT_COLUMN]]
    char_texts = [str(t) for t in matrix[:, CHAR_TEXT_COLUMN]]
    pipeline = build_doctype_pipeline(
        random_state=random_state,
        word_vocabulary=shared_vocabulary(texts, list(templates), WORD_PARAMS, MAX_WORDS),
        char_vocabulary=shared_vocabulary(char_texts, list(templates), CHAR_PARAMS, MAX_CHARS),
    )
    folds = calibration_folds(y, templates)
    pipeline.set_params(classifier__cv=folds)
    pipeline.fit(matrix, y)
    # The splits were only needed to fit; the saved model keeps a plain fold count.
    pipeline.set_params(classifier__cv=CALIBRATION_FOLDS)
    return pipeline


def calibration_folds(
    y: np.ndarray, templates: np.ndarray
) -> int | list[tuple[np.ndarray, np.ndarray]]:
    """Folds that hold out whole templates, or a stratified fold count for tiny sets."""
    per_class = {label: len(set(templates[y == label])) for label in np.unique(y)}
    if min(per_class.values()) >= 2:
        splitter = StratifiedGroupKFold(n_splits=CALIBRATION_FOLDS, shuffle=False)
        return list(splitter.split(np.zeros(len(y)), y, templates))
    # Tiny sets: calibrate on as many folds as the rarest class allows.
    rarest = int(min(np.unique(y, return_counts=True)[1]))
    return max(2, min(CALIBRATION_FOLDS, rarest))


def score(model: DoctypeModel, samples: Sequence[Sample]) -> dict[str, Any]:
    """Metrics of a model on a labelled set at the model's own threshold."""
    readings = [s.reading for s in samples]
    proba = model.predict_proba(readings)
    thresholds = model.thresholds_for(readings)
    return evaluate_probabilities(labels_of(samples), proba, model.classes, thresholds)


def fit_doctype(
    train: list[Sample],
    validation: list[Sample],
    plan: TrainingPlan,
    *,
    failures: Sequence[ReadingFailure] = (),
    data_seconds: float = 0.0,
    progress: Progress = no_progress,
) -> TrainingResult:
    """Fit on `train`, choose the thresholds on `validation`, and write the card.

    The sets come from the caller (training.doctype makes them with the
    document generator); `data_seconds` is what making them took.
    """
    started = time.perf_counter()
    advance = progress("Entraînement", 1)
    pipeline = fit_pipeline(train, random_state=plan.random_state)
    advance()
    fitted = time.perf_counter()
    model = DoctypeModel(pipeline=pipeline, threshold=1.0)
    readings = [s.reading for s in validation]
    proba = model.predict_proba(readings)
    y_valid = labels_of(validation)
    model.threshold = choose_threshold(y_valid, proba, model.classes)
    ocr = np.asarray([is_ocr_reading(r) for r in readings], dtype=bool)
    model.ocr_threshold = choose_ocr_threshold(y_valid, proba, model.classes, ocr, model.threshold)
    metrics = evaluate_probabilities(y_valid, proba, model.classes, model.thresholds_for(readings))
    data_hash = samples_hash(train)
    seconds = {
        "data": round(data_seconds, 1),
        "fit": round(fitted - started, 1),
        "total": round(data_seconds + time.perf_counter() - started, 1),
    }
    model.card = make_card(
        version=new_version(data_hash),
        data_hash=data_hash,
        threshold=model.threshold,
        ocr_threshold=model.ocr_threshold,
        metrics={"validation": metrics, "meets_targets_on_validation": meets_targets(metrics)},
        extra={
            "training": {
                "documents": plan.count,
                "samples": len(train),
                "seed": plan.seed,
                "ocr_documents": plan.ocr_count,
                "validation_ocr_documents": plan.validation_ocr_count,
                "validation_documents": plan.validation_count,
                "validation_seed": plan.validation_seed,
                "holdout_templates": list(plan.holdout),
                "seconds": seconds,
                "skipped_unreadable": len(failures),
            }
        },
    )
    return TrainingResult(model, train, validation, seconds, list(failures))


def promote_if_better(
    store: ObjectStore, candidate: DoctypeModel, evaluation: Sequence[Sample]
) -> bool:
    """Save the candidate; make it current only if it beats the current model on `evaluation`.

    A current model that cannot be loaded (missing, other library versions,
    untrusted) is beaten by any candidate.
    """
    save_model(store, candidate)
    try:
        current = load_model(store)
    except (ModelMissing, ModelVersionMismatch, UntrustedModel) as error:
        log.info("no usable current doctype model (%s): promoting", error.code)
        promote(store, candidate.version)
        return True
    if _rank(score(candidate, evaluation)) > _rank(score(current, evaluation)):
        promote(store, candidate.version)
        return True
    log.info("candidate %s does not beat current %s", candidate.version, current.version)
    return False


def _rank(metrics: dict[str, Any]) -> tuple[bool, float, float]:
    """Meeting the targets first, then accuracy, then lower log loss."""
    return (meets_targets(metrics), metrics["accuracy"], -metrics["log_loss"])
