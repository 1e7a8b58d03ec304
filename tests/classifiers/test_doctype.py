"""Document-type classifier: training on a tiny generated set, persistence, abstention."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from classifiers.doctype.classifier import (
    DoctypeModel,
    condition_on_portrait,
    has_scarce_evidence,
    may_be_identity_photo,
    temper_scarce,
)
from classifiers.doctype.evaluate import (
    choose_ocr_threshold,
    choose_threshold,
    evaluate_probabilities,
    expected_calibration_error,
)
from classifiers.doctype.features import (
    CHAR_TEXT_COLUMN,
    NumericFeature,
    char_text,
    document_code,
    mrz_kind,
    normalise_text,
    numeric_features,
    sample_row,
)
from classifiers.doctype.lexicon import LEXICON_GROUPS, LexiconGroup, lexicon_scores
from classifiers.doctype.model import WORD_PARAMS, shared_vocabulary
from classifiers.doctype.noise import ocr_debris, ocr_noise, one_side_scan, simulate_scan
from classifiers.doctype.plan import HOLDOUT_TEMPLATES, SetSpec, TrainingPlan
from classifiers.doctype.samples import Sample
from classifiers.doctype.store import (
    CURRENT_KEY,
    FORMAT_VERSION,
    MODEL_PREFIX,
    ModelVersionMismatch,
    UntrustedModel,
    current_version,
    load_model,
    make_card,
    promote,
    save_model,
    version_key,
)
from classifiers.doctype.train import (
    TrainingResult,
    calibration_folds,
    fit_pipeline,
    promote_if_better,
)
from fixtures.generator.registry import template_ids
from justif.models_cli import ensure_model
from pipeline.classify import Classification, TypeClassifier
from pipeline.errors import CorruptFile, OcrFailed
from pipeline.fields import DocType
from pipeline.read.signals import measure_signals
from pipeline.settings import Settings
from pipeline.store.storage import LocalStore, open_store
from pipeline.types import PageReading, PieceReading, Quality, TextSource
from training import doctype as dataset_module
from training.doctype import build_sample_set, train_doctype

# No real OCR here (seconds per card photo): bench.doctype measures it.
TINY = TrainingPlan(
    count=39,
    validation_count=13,
    seed=11,
    validation_seed=12,
    workers=2,
    ocr_count=0,
    validation_ocr_count=0,
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    return train_doctype(tmp_path_factory.mktemp("doctype"), TINY)


@pytest.fixture(scope="module")
def fresh_samples(tmp_path_factory: pytest.TempPathFactory) -> list[Sample]:
    """Born-digital documents of the training templates, seeds never used in training."""
    work = tmp_path_factory.mktemp("fresh")
    spec = SetSpec(count=13, seed=99, exclude=HOLDOUT_TEMPLATES, simulate_share=0.0)
    return build_sample_set(spec, work / "docs", cache_dir=work / "readings", workers=2).samples


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


@pytest.mark.slow
def test_training_data_is_balanced_and_excludes_held_out_templates(tiny: TrainingResult) -> None:
    train_templates = {s.template_id for s in tiny.train}
    assert not train_templates & set(HOLDOUT_TEMPLATES)
    assert {s.template_id for s in tiny.validation} <= set(HOLDOUT_TEMPLATES)
    assert {s.label for s in tiny.train} == set(DocType)


@pytest.mark.slow
def test_features_never_include_file_names_or_paths(tiny: TrainingResult) -> None:
    sample = tiny.train[0]
    text = sample_row(sample.reading)[0]
    assert isinstance(text, str) and "doc_0" not in text and ".pdf" not in text
    vocabulary = tiny.model.pipeline.named_steps["features"].named_transformers_["words"]
    assert not [w for w in vocabulary.vocabulary_ if "doc_" in w or "pdf" in w or "/tmp" in w]


@pytest.mark.slow
def test_tiny_model_types_clear_documents(
    tiny: TrainingResult, fresh_samples: list[Sample]
) -> None:
    assert isinstance(tiny.model, TypeClassifier)
    guesses = [tiny.model.classify(s.reading) for s in fresh_samples]
    right = sum(g.best_guess is s.label for g, s in zip(guesses, fresh_samples, strict=True))
    assert right / len(fresh_samples) >= 0.85
    assert 0.5 <= tiny.model.threshold <= 1.0
    card = tiny.model.card
    assert card["format_version"] == FORMAT_VERSION and card["versions"]["sklearn"]
    assert card["training_data_sha256"] and card["training"]["validation_documents"] == 13
    # Each born-digital validation document is read twice: text layer and simulated scan.
    assert card["metrics"]["validation"]["documents"] == len(tiny.validation) > 13


@pytest.mark.slow
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
    assert tiny.model.ocr_threshold is not None
    assert loaded.ocr_threshold == tiny.model.ocr_threshold >= tiny.model.threshold


@pytest.mark.slow
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


def test_a_model_file_with_an_untrusted_type_is_refused(tmp_path: Path) -> None:
    """A model file naming a function (here `operator.add`) never loads, whatever its card."""
    import operator

    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    store = LocalStore(tmp_path)
    version = "untrusted"
    store.put_bytes(
        version_key(version, "model.skops"), sio.dumps(FunctionTransformer(func=operator.add))
    )
    card = make_card(version=version, data_hash="0" * 64, threshold=0.5, metrics={}, extra={})
    store.put_json(version_key(version, "card.json"), card)
    promote(store, version)
    with pytest.raises(UntrustedModel) as refused:
        load_model(store)
    assert "_operator.add" in (refused.value.detail or "")


@pytest.mark.slow
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


@pytest.mark.slow
def test_abstains_below_threshold(tiny: TrainingResult, fresh_samples: list[Sample]) -> None:
    reading = fresh_samples[0].reading
    strict = DoctypeModel(tiny.model.pipeline, threshold=1.01, card=tiny.model.card)
    lenient = DoctypeModel(tiny.model.pipeline, threshold=0.0, card=tiny.model.card)
    abstained = strict.classify(reading)
    answered = lenient.classify(reading)
    assert abstained.abstained and abstained.type is None and abstained.best_guess is not None
    assert not answered.abstained and answered.type is answered.best_guess
    assert abstained.confidence == pytest.approx(answered.confidence)
    # Each of the 13 probabilities is rounded to 6 decimals.
    assert sum(answered.probabilities.values()) == pytest.approx(1.0, abs=1e-5)


def _ocr_page(**overrides: object) -> PageReading:
    """A one-page OCR reading with no text; `overrides` set any other field."""
    fields: dict[str, object] = {
        "n": 1,
        "text_source": TextSource.OCR,
        "text": "",
        "confidence": 0.3,
        "quality": Quality(blur=100.0, dpi=300.0, contrast=0.5, blank=False),
        "width_px": 800,
        "height_px": 600,
    }
    return PageReading.model_validate({**fields, **overrides})


@pytest.mark.slow
def test_blank_or_failed_reading_is_not_typed_confidently(tiny: TrainingResult) -> None:
    blank_page = _ocr_page(
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


@pytest.mark.slow
def test_simulated_scan_is_ocr_with_noisy_text(tiny: TrainingResult) -> None:
    clean = next(s for s in tiny.train if s.source == "text_layer" and s.reading.pages[0].text)
    scan = simulate_scan(clean.reading, clean.label, np.random.default_rng(1))
    assert all(p.text_source is TextSource.OCR for p in scan.pages)
    assert scan.pages[0].text != clean.reading.pages[0].text


@pytest.mark.slow
def test_one_side_of_a_card_is_a_sample_of_its_own(tiny: TrainingResult) -> None:
    two_sided = [s for s in tiny.train if len(s.reading.pages) == 2 and s.source == "text_layer"]
    assert two_sided, "the tiny set has two-sided cards"
    card = two_sided[0]
    side = one_side_scan(card.reading, card.label, np.random.default_rng(4))
    assert len(side.pages) == 1 and side.pages[0].n == 1
    assert side.pages[0].text_source is TextSource.OCR
    # Some of a single side's words, not the whole card's.
    assert len(side.text.split()) < len(card.reading.text.split())
    # Training sets hold such one-side samples beside the whole cards.
    assert any(len(s.reading.pages) == 1 and s.label == card.label for s in tiny.train)


def test_threshold_selection_and_calibration_error() -> None:
    classes = np.array(["a", "b"], dtype=object)
    y_true = np.array(["a"] * 90 + ["b"] * 10, dtype=object)
    proba = np.array([[0.95, 0.05]] * 90 + [[0.6, 0.4]] * 10)  # the 10 "b" are wrong at 0.6
    assert choose_threshold(y_true, proba, classes) == pytest.approx(0.61)
    # Mistakes made with certainty: no threshold below 1 qualifies, and 1 would answer
    # nothing; the near-certain fallback applies.
    certain = np.array([[0.95, 0.05]] * 90 + [[1.0, 0.0]] * 10)
    assert choose_threshold(y_true, certain, classes) == pytest.approx(0.95)
    metrics = evaluate_probabilities(y_true, proba, classes, 0.61)
    assert metrics["coverage"] == pytest.approx(0.9)
    assert metrics["accuracy_answered"] == 1.0 and metrics["wrong_above_threshold"] == 0.0
    assert metrics["confusion"] == [[90, 0], [10, 0]]
    perfect = np.array([[1.0, 0.0]] * 90 + [[0.0, 1.0]] * 10)
    assert expected_calibration_error(y_true, perfect, classes) == pytest.approx(0.0)
    assert json.dumps(metrics)  # the card stores it as JSON


@pytest.mark.slow
def test_ensure_model_trains_only_when_missing(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", s3_endpoint="")
    store = open_store(settings)
    assert current_version(store) is None
    smallest = TrainingPlan(
        count=26,
        validation_count=13,
        seed=21,
        validation_seed=22,
        ocr_count=0,
        validation_ocr_count=0,
    )
    first = ensure_model(settings, plan=smallest)
    saved = sorted(store.list(MODEL_PREFIX + "/"))
    assert current_version(store) == first.version and saved
    second = ensure_model(settings, plan=smallest)
    assert second.version == first.version
    assert sorted(store.list(MODEL_PREFIX + "/")) == saved  # loaded: nothing trained or written


def test_lexicon_scores_real_wording_not_template_phrases() -> None:
    """Wording of real issuers' documents, absent from the generator's templates."""
    samples = {
        LexiconGroup.BANK_DETAILS: "Relevé d’identité bancaire — IBAN FR76 3000 — BIC AGRIFRPP "
        "Domiciliation : CA Paris — Titulaire du compte",
        LexiconGroup.PROOF_OF_ADDRESS: "Votre facture d'électricité et de gaz naturel. "
        "Consommation 1 234 kWh, point de livraison n° 0123, abonnement",
        LexiconGroup.PASSPORT: "REISEPASS / PASSPORT / PASSEPORT Typ/Type P "
        "Code of issuing State D",
        LexiconGroup.RESIDENCE_PERMIT: "AUFENTHALTSTITEL / RESIDENCE PERMIT / TITRE DE SÉJOUR",
        LexiconGroup.RESUME: "WORK EXPERIENCE ... EDUCATION ... SKILLS ... LANGUAGES",
    }
    for group, text in samples.items():
        scores = dict(zip(LEXICON_GROUPS, lexicon_scores(normalise_text(text)), strict=True))
        assert max(scores, key=lambda g: scores[g]) is group, (group, scores)
    # Word boundaries: "ribambelle" is no RIB, "passeports" is not "passeport" + noise.
    scores = dict(zip(LEXICON_GROUPS, lexicon_scores("une ribambelle"), strict=True))
    assert scores[LexiconGroup.BANK_DETAILS] == 0.0


def test_vocabulary_drops_terms_of_a_single_template() -> None:
    texts = ["iban titulaire zorglub"] * 4 + ["iban titulaire domiciliation"] * 4
    texts += ["facture electricite"] * 4
    templates = ["a.one"] * 4 + ["a.two"] * 4 + ["b.one"] * 4
    vocabulary = shared_vocabulary(texts, templates, WORD_PARAMS, 100)
    assert "iban" in vocabulary and "titulaire" in vocabulary
    assert "zorglub" not in vocabulary and "domiciliation" not in vocabulary


def test_calibration_folds_hold_out_whole_templates() -> None:
    y = np.array(["a"] * 6 + ["b"] * 6, dtype=object)
    templates = np.array(
        ["a.1", "a.1", "a.2", "a.2", "a.3", "a.3"] * 1 + ["b.1"] * 2 + ["b.2"] * 2 + ["b.3"] * 2,
        dtype=object,
    )
    folds = calibration_folds(y, templates)
    assert isinstance(folds, list) and len(folds) == 3
    for fit_rows, calibration_rows in folds:
        assert not set(templates[fit_rows]) & set(templates[calibration_rows])
    # One template for a class: no template-wise split is possible, plain folds.
    assert calibration_folds(y, np.array(["a.1"] * 6 + ["b.1"] * 6, dtype=object)) == 3


def test_a_failed_reading_is_skipped_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One unreadable document (here truncated on disk before the real reader opens it)
    must not stop a dataset build: it is skipped and reported, the rest is read."""
    real_read = dataset_module.read_generated

    def truncate_second_then_read(path: Path, cache_dir: Path) -> PieceReading:
        if path.stem == "doc_00001":
            path.write_bytes(path.read_bytes()[:200])
        return real_read(path, cache_dir)

    monkeypatch.setattr(dataset_module, "read_generated", truncate_second_then_read)
    spec = SetSpec(
        count=4,
        seed=5,
        include=("bank_details.*", "company_extract.*", "identity_card.*", "tax_notice.*"),
        simulate_share=0.0,
    )
    # In-process (one worker), so the truncation above applies.
    built = build_sample_set(spec, tmp_path / "docs", cache_dir=tmp_path / "readings", workers=1)
    assert [f.index for f in built.failures] == [1]
    failure = built.failures[0]
    assert failure.reason == "CORRUPT_FILE"
    assert failure.template_id.startswith(failure.label.value)
    assert len(built.samples) == 3
    assert failure.label not in {s.label for s in built.samples}


def test_only_reading_outcomes_are_skipped_bugs_escape() -> None:
    # pipeline/read/ocr.py turns tesseract's failures and time limits into OcrFailed.
    assert dataset_module._is_reading_failure(OcrFailed("échec"))
    assert dataset_module._is_reading_failure(CorruptFile("illisible"))
    assert not dataset_module._is_reading_failure(RuntimeError("bug"))
    assert not dataset_module._is_reading_failure(RecursionError("bug"))
    assert not dataset_module._is_reading_failure(ValueError("bug"))


def test_mrz_document_code_read_from_ocr_text_when_the_band_is_missing() -> None:
    def kind(text: str) -> dict[str, float]:
        return {k.value: v for k, v in mrz_kind([], text).items() if v}

    assert kind("RÉPUBLIQUE FRANÇAISE\nIDFRAMARTIN<<<<<<<<<<<<0L0 adresse") == {"mrz_identity": 1.0}
    assert kind("1DFRA MARTIN<<<<<<<<") == {"mrz_identity": 1.0}  # OCR read I as 1, split the line
    assert kind("P<FRAMARTIN<<JEAN<<<<<<<<<<<<") == {"mrz_passport": 1.0}
    assert kind("IRFRAX<<<<<<<<<<<") == {"mrz_permit": 1.0}
    # Upper-case headings and filler runs without a document code are not an MRZ.
    assert kind("ATTESTATION DE VIGILANCE <<<") == {}
    assert kind("nom <<<<<<<<<<0i0m0") == {}
    # Debris of a card photo: "CARTE" cut to "ARTE" beside fillers is no permit code.
    assert kind("<<AUR N\n\nARTE <<<<\n\n<<") == {}


def test_debris_simulation_keeps_fragments_only() -> None:
    text = "CARTE NATIONALE D'IDENTITÉ\nNom : MARTIN\nPrénoms : Jeanne\nIDFRAMARTIN<<<<<<<<<<<<"
    first = ocr_debris(text, np.random.default_rng(4))
    assert first == ocr_debris(text, np.random.default_rng(4))
    assert 0 < len(first) < len(text)
    assert "NATIONALE" not in first and "MARTIN" not in first


def test_real_ocr_goes_to_the_requested_types_only() -> None:
    cards = frozenset({DocType.PASSPORT, DocType.IDENTITY_CARD})
    chosen = dataset_module._real_ocr_indices(
        SetSpec(count=52, seed=0, ocr_count=6, ocr_types=cards)
    )
    types = [t for t in DocType]
    assert len(chosen) == 6
    assert {types[i % len(types)] for i in chosen} == {DocType.PASSPORT, DocType.IDENTITY_CARD}
    assert dataset_module._real_ocr_indices(SetSpec(count=10, seed=0, ocr_count=3)) == frozenset(
        {0, 1, 2}
    )


def _scores(text: str) -> dict[LexiconGroup, float]:
    return dict(zip(LEXICON_GROUPS, lexicon_scores(normalise_text(text)), strict=True))


def test_lexicon_tolerates_ocr_confusions_and_merged_words() -> None:
    clean = _scores("Attestation de vigilance URSSAF")[LexiconGroup.URSSAF_CERTIFICATE]
    misread = _scores("Attestation de vigiIance URS5AF")[LexiconGroup.URSSAF_CERTIFICATE]
    assert clean > 0 and misread == clean
    assert _scores("BULLETIN DE PA1E")[LexiconGroup.PAYSLIP] > 0  # I read as 1, folded to 0
    assert _scores("certificatde scolarité")[LexiconGroup.SCHOOL_CERTIFICATE] > 0
    # Short terms are matched exactly: folding would make "cle" (RIB key) of every "de".
    assert _scores("la maison de la plage")[LexiconGroup.BANK_DETAILS] == 0.0


def test_iban_shape_counts_for_bank_details() -> None:
    with_iban = _scores("Titulaire : M. X  FR76 3000 6000 0112 3456 7890 189")
    without = _scores("Titulaire : M. X")
    assert with_iban[LexiconGroup.BANK_DETAILS] > without[LexiconGroup.BANK_DETAILS]


def test_document_code_skips_a_leading_speck() -> None:
    assert document_code("PIDFRABOULAY<<<<<<<<<<<<") == "ID"  # not a passport
    assert document_code("P<FRAMARTIN<<JEAN") == "P<"
    assert document_code("IRFRAX<<<<") == "IR"
    assert document_code("XXXXXXXX") == ""


def _face_reading(ratio: float) -> PieceReading:
    signals = measure_signals(np.full((60, 80, 3), 200, dtype=np.uint8), "")
    page = _ocr_page(signals=signals.model_copy(update={"faces": 1, "largest_face_ratio": ratio}))
    return PieceReading(sha256="0" * 64, pages=[page])


def test_a_card_portrait_is_not_a_portrait_photo() -> None:
    def faces(ratio: float) -> tuple[float, float]:
        values = dict(zip(NumericFeature, numeric_features(_face_reading(ratio)), strict=True))
        return values[NumericFeature.FACE], values[NumericFeature.SMALL_FACE]

    assert faces(0.02) == (0.0, 1.0)  # a card's printed portrait, photographed whole
    assert faces(0.25) == (1.0, 0.0)  # an identity photo


def test_validation_reads_each_born_digital_document_twice() -> None:
    spec = TrainingPlan().validation_spec()
    assert spec.keep_clean and spec.simulate_share == 1.0
    assert set(spec.include or ()) == set(HOLDOUT_TEMPLATES)


def test_no_portrait_takes_id_photo_probability_without_crowning_the_runner_up() -> None:
    classes = np.asarray(["id_photo", "identity_card", "passport"], dtype=object)
    proba = np.asarray([[0.74, 0.24, 0.02], [0.74, 0.24, 0.02]])
    updated = condition_on_portrait(proba, classes, [False, True])
    assert updated.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert np.array_equal(updated[1], proba[1])  # a portrait: unchanged
    assert updated[0, 0] == pytest.approx(0.074)
    # The share taken is spread evenly: the identity card gains no more than the passport.
    assert updated[0, 1] - 0.24 == pytest.approx(updated[0, 2] - 0.02)
    assert updated[0].max() < 0.6  # nothing is answered with confidence


def _photo_reading(*, uniformity: float, text: str, aspect_ratio: float) -> PieceReading:
    signals = measure_signals(np.full((60, 80, 3), 200, dtype=np.uint8), "")
    signals = signals.model_copy(
        update={"background_uniformity": uniformity, "aspect_ratio": aspect_ratio}
    )
    return PieceReading(sha256="0" * 64, pages=[_ocr_page(signals=signals, text=text)])


def test_a_faceless_plain_textless_image_may_still_be_an_identity_photo() -> None:
    # The detector missed the face of a photo: plain border, no text, photo-shaped.
    assert may_be_identity_photo(_photo_reading(uniformity=1.0, text="' .", aspect_ratio=0.78))
    # A card photographed on a table: busy border, debris of text.
    debris = "RÉPUBL QUE FRAN 1DFRA<<< Nom DUP0NT né le"
    assert not may_be_identity_photo(_photo_reading(uniformity=0.6, text="", aspect_ratio=0.78))
    assert not may_be_identity_photo(_photo_reading(uniformity=1.0, text=debris, aspect_ratio=0.78))
    # A scan (A4, either way up) giving no text is not left to pass for a photo.
    assert not may_be_identity_photo(_photo_reading(uniformity=1.0, text="", aspect_ratio=0.707))
    assert not may_be_identity_photo(_photo_reading(uniformity=1.0, text="", aspect_ratio=1.414))
    assert may_be_identity_photo(_face_reading(0.25))


def test_character_ngrams_see_ocr_confusions_as_the_clean_text() -> None:
    clean = char_text(normalise_text("Attestation de vigilance URSSAF"))
    assert char_text(normalise_text("Attestati0n de vigiIance URS5AF")) == clean
    assert char_text(normalise_text("Attcstation dc vigilancc URSSAF")) == clean
    assert sample_row(_photo_reading(uniformity=1.0, text="vigiIance", aspect_ratio=1.0))[
        CHAR_TEXT_COLUMN
    ] == char_text("vigilance")


def test_ocr_readings_get_their_own_threshold_from_their_own_mistakes() -> None:
    classes = np.asarray(["a", "b"], dtype=object)
    # 1000 text layers, all right; 100 OCR readings, 2 of them wrong at 0.78.
    proba = np.asarray([[0.9, 0.1]] * 1098 + [[0.78, 0.22]] * 2)
    y = np.asarray(["a"] * 1098 + ["b"] * 2, dtype=object)
    ocr = np.asarray([False] * 1000 + [True] * 100)
    overall = choose_threshold(y, proba, classes)
    assert overall == 0.5  # 2 mistakes in 1100 readings pass the selection targets
    assert choose_ocr_threshold(y, proba, classes, ocr, overall) == pytest.approx(0.79)
    assert choose_ocr_threshold(y, proba, classes, np.zeros(1100, dtype=bool), 0.6) == 0.6
    # Never below the threshold of all readings.
    assert choose_ocr_threshold(y, proba, classes, ~ocr & (y == "a"), 0.7) == 0.7
    # Per-reading thresholds: the card keeps the lowest as `threshold`, a number.
    metrics = evaluate_probabilities(y, proba, classes, np.where(ocr, 0.79, 0.5))
    assert metrics["threshold"] == 0.5 and metrics["thresholds"] == [0.5, 0.79]
    assert metrics["wrong_above_threshold"] == 0.0 and metrics["coverage"] == 1098 / 1100


def test_the_ocr_threshold_applies_to_readings_with_an_ocr_page() -> None:
    model = DoctypeModel(pipeline=Pipeline([("none", "passthrough")]), threshold=0.6)
    model.ocr_threshold = 0.8
    text_page = _ocr_page(text_source=TextSource.TEXT_LAYER, text="Facture")
    scanned = PieceReading(sha256="0" * 64, pages=[text_page, _ocr_page(text="Facture")])
    digital = PieceReading(sha256="0" * 64, pages=[text_page])
    assert list(model.thresholds_for([scanned, digital])) == [0.8, 0.6]
    model.ocr_threshold = None
    assert model.threshold_for(scanned) == 0.6


def _text_reading(text: str) -> PieceReading:
    signals = measure_signals(np.full((600, 800, 3), 120, dtype=np.uint8), "")
    return PieceReading(sha256="0" * 64, pages=[_ocr_page(signals=signals, text=text)])


def test_debris_of_a_photo_is_scarce_evidence_an_mrz_or_a_page_of_text_is_not() -> None:
    assert has_scarce_evidence(_text_reading("ms:gil ise . t | ~ <<<0 CARTE"))
    assert not has_scarce_evidence(_text_reading("ms:gil\nIDFRAMARTIN<<<<<<<<<<<<0L0"))
    page = (
        "Attestation d'hébergement : je soussigné certifie héberger à mon domicile "
        "Mme X. depuis le 1er mars."
    )
    assert not has_scarce_evidence(_text_reading(page))


def test_scarce_evidence_spreads_probabilities_and_keeps_the_best_guess() -> None:
    proba = np.asarray([[0.7, 0.2, 0.1], [0.7, 0.2, 0.1]])
    tempered = temper_scarce(proba, [True, False])
    assert np.array_equal(tempered[1], proba[1])
    assert tempered[0].sum() == pytest.approx(1.0)
    assert tempered[0].argmax() == 0 and tempered[0].max() < 0.5


@pytest.mark.slow
def test_debris_reading_is_abstained_with_a_best_guess(tiny: TrainingResult) -> None:
    result = tiny.model.classify(_text_reading("ms:gil ise . t | ~ <<<0 CARTE NAL"))
    assert result.abstained and result.type is None
    assert result.best_guess is not None and result.confidence < tiny.model.threshold
