"""Training the document-type model: data, fit, threshold, card, promotion."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from classifiers.doctype.classifier import DoctypeModel, is_ocr_reading
from classifiers.doctype.dataset import (
    CARD_TYPES,
    HOLDOUT_TEMPLATES,
    ReadingFailure,
    Sample,
    SampleSet,
    SetSpec,
    build_sample_set,
    samples_hash,
)
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
from pipeline.fields import DocType
from pipeline.store.storage import ObjectStore

log = logging.getLogger(__name__)

CALIBRATION_FOLDS = 3
Progress = Callable[[str, int], Callable[[], None]]  # (label, total) -> advance


def _no_progress(label: str, total: int) -> Callable[[], None]:
    return lambda: None


@dataclass(frozen=True)
class TrainingPlan:
    """What `justif train doctype` generates and fits; defaults fit in 3 minutes on 2 cores."""

    count: int = 520  # training documents (40 per type)
    seed: int = 1
    validation_count: int = 390  # held-out templates, for the threshold and promotion
    validation_seed: int = 2
    ocr_count: int = 6  # training documents really scanned or photographed and OCRed
    validation_ocr_count: int = 6  # the same in validation, where the threshold is chosen
    # Real OCR is costly: spend it where the OCR-noise model is least faithful,
    # on photos of cards (tesseract often returns debris of them). Id photos are
    # raster images, measured for real in every set anyway.
    ocr_types: frozenset[DocType] = CARD_TYPES - {DocType.ID_PHOTO}
    holdout: tuple[str, ...] = HOLDOUT_TEMPLATES
    workers: int = 2
    random_state: int = 0

    def training_spec(self) -> SetSpec:
        """Every template but the held-out ones, with simulated scans beside the clean readings."""
        return SetSpec(
            count=self.count,
            seed=self.seed,
            exclude=self.holdout,
            ocr_count=self.ocr_count,
            ocr_types=self.ocr_types,
        )

    def validation_spec(self) -> SetSpec:
        """The held-out templates, every born-digital document read twice: as its text
        layer and as a simulated scan. The threshold is the extreme of the validation
        errors; twice the readings for the same generation cost make it less a
        matter of one or two documents."""
        return SetSpec(
            count=self.validation_count,
            seed=self.validation_seed,
            include=self.holdout,
            ocr_count=self.validation_ocr_count,
            ocr_types=self.ocr_types,
            simulate_share=1.0,
            keep_clean=True,
        )


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


def build_sets(
    work_dir: Path, plan: TrainingPlan, progress: Progress = _no_progress
) -> tuple[list[Sample], list[Sample], list[ReadingFailure]]:
    """Training documents from the non-held-out templates; validation from the held-out ones;
    and the documents of both skipped because their reading failed."""

    def build(spec: SetSpec, name: str, label: str) -> SampleSet:
        return build_sample_set(
            spec,
            work_dir / name,
            cache_dir=work_dir / "readings",  # shared: a file read once is never read again
            workers=plan.workers,
            on_done=progress(label, spec.count),
        )

    train = build(plan.training_spec(), "train", "Documents d'entraînement")
    validation = build(plan.validation_spec(), "validation", "Documents de validation")
    return train.samples, validation.samples, train.failures + validation.failures


def train_doctype(
    work_dir: Path, plan: TrainingPlan, progress: Progress = _no_progress
) -> TrainingResult:
    """Generate and read the data, fit, choose the threshold, and write the card."""
    started = time.perf_counter()
    train, validation, failures = build_sets(work_dir, plan, progress)
    data_done = time.perf_counter()
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
        "data": round(data_done - started, 1),
        "fit": round(fitted - data_done, 1),
        "total": round(time.perf_counter() - started, 1),
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
    return TrainingResult(model, train, validation, seconds, failures)


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
