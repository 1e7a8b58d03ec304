"""Document-type classifier: training on a tiny generated set, persistence, abstention."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from classifiers.doctype.classifier import DoctypeModel
from classifiers.doctype.dataset import (
    HOLDOUT_TEMPLATES,
    Sample,
    build_samples,
    ocr_noise,
    simulate_scan,
)
from classifiers.doctype.evaluate import (
    choose_threshold,
    evaluate_probabilities,
    expected_calibration_error,
)
from classifiers.doctype.features import normalise_text, sample_row
from classifiers.doctype.store import (
    CURRENT_KEY,
    ModelVersionMismatch,
    current_version,
    load_model,
    promote,
    save_model,
    version_key,
)
from classifiers.doctype.train import (
    TrainingPlan,
    TrainingResult,
    fit_pipeline,
    promote_if_better,
    train_doctype,
)
from fixtures.generator.registry import template_ids
from pipeline.classification import Classification, TypeClassifier
from pipeline.fields import DocType
from pipeline.storage import LocalStore
from pipeline.types import PageReading, PieceReading, Quality, TextSource

TINY = TrainingPlan(count=39, validation_count=13, seed=11, validation_seed=12, workers=2)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    return train_doctype(tmp_path_factory.mktemp("doctype"), TINY)


@pytest.fixture(scope="module")
def fresh_samples(tmp_path_factory: pytest.TempPathFactory) -> list[Sample]:
    """Born-digital documents of the training templates, seeds never used in training."""
    work = tmp_path_factory.mktemp("fresh")
    return build_samples(
        work / "docs",
        13,
        seed=99,
        cache_dir=work / "readings",
        exclude=HOLDOUT_TEMPLATES,
        simulate_share=0.0,
        workers=2,
    )


def test_holdout_has_one_existing_template_per_type() -> None:
    assert set(HOLDOUT_TEMPLATES) <= set(template_ids())
    held_types = {tid.split(".")[0] for tid in HOLDOUT_TEMPLATES}
    assert held_types == {t.value for t in DocType}
    for doc_type in DocType:  # every type keeps at least one template for training
        assert set(template_ids(doc_type)) - set(HOLDOUT_TEMPLATES)


def test_normalise_text_folds_accents_and_collapses_numbers() -> None:
    assert normalise_text("Échéance  le 12/03/2026\nMontant : 1 234,56 €") == (
        "echeance le 0/0/0 montant : 0 0,0 €"
    )


def test_ocr_noise_is_seeded_and_changes_text() -> None:
    text = "Attestation de scolarité\nL'élève est inscrit pour l'année scolaire en cours"
    first = ocr_noise(text, np.random.default_rng(3), 1.0)
    assert first == ocr_noise(text, np.random.default_rng(3), 1.0)
    assert first != text
    assert ocr_noise(text, np.random.default_rng(3), 0.0) == text.replace("\n", "\n")


def test_training_data_is_balanced_and_excludes_held_out_templates(tiny: TrainingResult) -> None:
    train_templates = {s.template_id for s in tiny.train}
    assert not train_templates & set(HOLDOUT_TEMPLATES)
    assert {s.template_id for s in tiny.validation} <= set(HOLDOUT_TEMPLATES)
    assert {s.label for s in tiny.train} == set(DocType)


def test_features_never_include_file_names_or_paths(tiny: TrainingResult) -> None:
    sample = tiny.train[0]
    text = sample_row(sample.reading)[0]
    assert isinstance(text, str) and "doc_0" not in text and ".pdf" not in text
    vocabulary = tiny.model.pipeline.named_steps["features"].named_transformers_["words"]
    assert not [w for w in vocabulary.vocabulary_ if "doc_" in w or "pdf" in w or "/tmp" in w]


def test_tiny_model_types_clear_documents(
    tiny: TrainingResult, fresh_samples: list[Sample]
) -> None:
    assert isinstance(tiny.model, TypeClassifier)
    guesses = [tiny.model.classify(s.reading) for s in fresh_samples]
    right = sum(g.best_guess is s.label for g, s in zip(guesses, fresh_samples, strict=True))
    assert right / len(fresh_samples) >= 0.85
    assert 0.5 <= tiny.model.threshold <= 1.0
    card = tiny.model.card
    assert card["format_version"] == 1 and card["versions"]["sklearn"]
    assert card["training_data_sha256"] and card["metrics"]["validation"]["documents"] == 13


def test_persistence_round_trip_gives_identical_probabilities(
    tiny: TrainingResult, fresh_samples: list[Sample], tmp_path: Path
) -> None:
    store = LocalStore(tmp_path)
    version = save_model(store, tiny.model)
    promote(store, version)
    loaded = load_model(store)
    readings = [s.reading for s in fresh_samples]
    assert np.array_equal(loaded.predict_proba(readings), tiny.model.predict_proba(readings))
    assert loaded.threshold == tiny.model.threshold and loaded.version == version


@pytest.mark.parametrize(
    ("field", "value"), [("format_version", 0), ("versions", {"sklearn": "0.1.0"})]
)
def test_version_mismatch_is_an_explicit_error(
    tiny: TrainingResult, tmp_path: Path, field: str, value: object
) -> None:
    store = LocalStore(tmp_path)
    version = save_model(store, tiny.model)
    promote(store, version)
    card = store.get_json(version_key(version, "card.json"))
    card[field] = value
    store.put_json(version_key(version, "card.json"), card)
    with pytest.raises(ModelVersionMismatch):
        load_model(store)


def test_promotion_only_when_better(tiny: TrainingResult, tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    rng = np.random.default_rng(0)
    shuffled = [
        Sample(
            s.reading,
            DocType(str(rng.choice(list(DocType)))),
            s.template_id,
            s.source,
            s.file_sha256,
        )
        for s in tiny.train
    ]
    worse = DoctypeModel(
        fit_pipeline(shuffled, random_state=0),
        threshold=tiny.model.threshold,
        card={**tiny.model.card, "version": "worse"},
    )
    assert promote_if_better(store, tiny.model, tiny.validation)  # no current: promoted
    assert not promote_if_better(store, worse, tiny.validation)
    assert current_version(store) == tiny.model.version
    assert store.exists(version_key("worse", "model.skops"))  # kept, not current
    store.put_json(CURRENT_KEY, {"version": "worse"})
    assert promote_if_better(store, tiny.model, tiny.validation)
    assert current_version(store) == tiny.model.version


def test_abstains_below_threshold(tiny: TrainingResult, fresh_samples: list[Sample]) -> None:
    reading = fresh_samples[0].reading
    strict = DoctypeModel(tiny.model.pipeline, threshold=1.01, card=tiny.model.card)
    lenient = DoctypeModel(tiny.model.pipeline, threshold=0.0, card=tiny.model.card)
    abstained = strict.classify(reading)
    answered = lenient.classify(reading)
    assert abstained.abstained and abstained.type is None and abstained.best_guess is not None
    assert not answered.abstained and answered.type is answered.best_guess
    assert abstained.confidence == pytest.approx(answered.confidence)
    assert sum(answered.probabilities.values()) == pytest.approx(1.0, abs=1e-6)


def test_blank_or_failed_reading_is_not_typed_confidently(tiny: TrainingResult) -> None:
    blank_page = PageReading(
        n=1,
        text_source=TextSource.OCR,
        text="",
        confidence=0.0,
        quality=Quality(blur=1.0, dpi=300.0, contrast=0.0, blank=True),
        width_px=2480,
        height_px=3508,
    )
    blank = tiny.model.classify(PieceReading(sha256="0" * 64, pages=[blank_page]))
    assert blank.abstained or (blank.type is DocType.OTHER and blank.confidence < 0.9)
    failed = tiny.model.classify(PieceReading(sha256="0" * 64))
    assert failed == Classification(
        type=None, confidence=0.0, abstained=True, model_version=tiny.model.version
    )


def test_simulated_scan_is_ocr_with_noisy_text(tiny: TrainingResult) -> None:
    clean = next(s for s in tiny.train if s.source == "text_layer" and s.reading.pages[0].text)
    scan = simulate_scan(clean.reading, clean.label, np.random.default_rng(1))
    assert all(p.text_source is TextSource.OCR for p in scan.pages)
    assert scan.pages[0].text != clean.reading.pages[0].text


def test_threshold_selection_and_calibration_error() -> None:
    classes = np.array(["a", "b"], dtype=object)
    y_true = np.array(["a"] * 90 + ["b"] * 10, dtype=object)
    proba = np.array([[0.95, 0.05]] * 90 + [[0.6, 0.4]] * 10)  # the 10 "b" are wrong at 0.6
    assert choose_threshold(y_true, proba, classes) == pytest.approx(0.61)
    metrics = evaluate_probabilities(y_true, proba, classes, 0.61)
    assert metrics["coverage"] == pytest.approx(0.9)
    assert metrics["accuracy_answered"] == 1.0 and metrics["wrong_above_threshold"] == 0.0
    assert metrics["confusion"] == [[90, 0], [10, 0]]
    perfect = np.array([[1.0, 0.0]] * 90 + [[0.0, 1.0]] * 10)
    assert expected_calibration_error(y_true, perfect, classes) == pytest.approx(0.0)
    assert json.dumps(metrics)  # the card stores it as JSON
