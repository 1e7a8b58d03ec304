"""Labelled readings for training and evaluating the document-type model, made with
the document generator (fixtures/), and the training run that fits on them.

Born-digital documents are generated and read through the real text-layer
reader (fast); most scans are simulated from them (classifiers.doctype.noise).
A few documents (`ocr_count`) are really rendered as scans or photos and
OCRed, so the model also sees what tesseract truly makes of them. Readings are
cached on disk by file sha256, so a rerun only generates.

The generator needs the `[train]` extra (faker, reportlab, fonttools); the
classifier itself never imports it.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifiers.doctype.noise import CARD_TYPES, JUNK, one_side_scan, simulate_scan
from classifiers.doctype.plan import SetSpec, TrainingPlan
from classifiers.doctype.samples import ReadingFailure, Sample, SampleSet, SampleSource
from classifiers.doctype.train import Progress, TrainingResult, fit_doctype, no_progress
from fixtures.generator.api import doc_rng, generate_document
from fixtures.generator.model import Rendering
from fixtures.generator.registry import Template, select_templates
from pipeline.errors import PieceError
from pipeline.fields import DocType
from pipeline.read import reading as page_reading
from pipeline.read.signals import measure_signals
from pipeline.store.dossiers import sha256_of
from pipeline.types import FileKind, PageReading, PieceReading, Quality, TextSource

log = logging.getLogger(__name__)

# Share of two-sided card documents that also give a one-side sample in training.
ONE_SIDE_SHARE = 0.5


@dataclass(frozen=True)
class _JobResult:
    samples: list[Sample]
    failure: ReadingFailure | None = None


@dataclass(frozen=True)
class _Job:
    index: int
    spec: SetSpec
    out_dir: Path
    cache_dir: Path
    real_ocr: bool


def read_generated(path: Path, cache_dir: Path) -> PieceReading:
    """Real reading of one generated (trusted) file, cached by sha256.

    The isolation of `read_piece` guards against hostile files; these come from
    our own generator, so the same readers are called in-process.
    """
    sha = sha256_of(path)
    cached = cache_dir / f"{sha}.json"
    if cached.exists():
        return PieceReading.model_validate_json(cached.read_text(encoding="utf-8"))
    kind = FileKind.PDF if path.suffix == ".pdf" else FileKind.JPEG
    if path.suffix == ".png":
        kind = FileKind.PNG
    pages = page_reading.read_pages(path, kind, page_workers=1)
    result = PieceReading(sha256=sha, pages=pages)
    part = cached.with_suffix(".part")
    part.write_text(result.model_dump_json(), encoding="utf-8")
    part.replace(cached)
    return result


def photo_reading(path: Path, rng: np.random.Generator) -> PieceReading:
    """A portrait photo: signals measured on the real image, OCR returns a few specks."""
    from PIL import Image

    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))
    junk = " ".join(JUNK[int(rng.integers(0, len(JUNK)))] for _ in range(int(rng.integers(0, 4))))
    height, width = pixels.shape[:2]
    page = PageReading(
        n=1,
        text_source=TextSource.OCR,
        text=junk,
        confidence=float(rng.uniform(0.0, 0.5)),
        quality=Quality(blur=100.0, dpi=300.0, contrast=0.5, blank=not junk),
        width_px=width,
        height_px=height,
        signals=measure_signals(pixels, junk),
    )
    return PieceReading(sha256=sha256_of(path), pages=[page])


def _run_job(job: _Job) -> _JobResult:
    """Samples of one document; a failed or timed-out reading is reported, not raised.

    One page of a loaded machine exceeding tesseract's time limit must not
    stop a build of hundreds of documents. Anything else is a bug and escapes.
    """
    try:
        return _JobResult(_make_samples(job))
    except (PieceError, RuntimeError) as error:
        if not _is_reading_failure(error):
            raise
        _, doc_type, template = _job_choice(job)
        template_id = template.id
        reason = getattr(error, "code", None) or type(error).__name__
        log.warning("doctype sample %d (%s) skipped: %s", job.index, template_id, reason)
        return _JobResult([], ReadingFailure(job.index, doc_type, template_id, str(reason)))


def _is_reading_failure(error: Exception) -> bool:
    """An outcome of the reader (a PieceError: bad file, OCR failure, time limit), not a bug."""
    return isinstance(error, PieceError)


def _job_choice(job: _Job) -> tuple[np.random.Generator, DocType, Template]:
    """The job's random stream, with its type and template already drawn from it."""
    spec = job.spec
    rng = doc_rng(spec.seed, job.index)
    doc_type = _types(spec)[job.index % len(_types(spec))]  # balanced classes
    templates = select_templates(doc_type, spec.include, spec.exclude)
    return rng, doc_type, templates[int(rng.integers(0, len(templates)))]


def _make_samples(job: _Job) -> list[Sample]:
    rng, doc_type, template = _job_choice(job)
    rendering = None
    if template.raster is None:
        rendering = Rendering.BORN_DIGITAL
        if job.real_ocr:
            rendering = Rendering.PHOTO if doc_type in CARD_TYPES else Rendering.SCAN
    doc = generate_document(
        doc_type,
        job.out_dir,
        seed=int(rng.integers(0, 2**63)),
        name=f"doc_{job.index:05d}",
        template_id=template.id,
        rendering=rendering,
    )
    path = job.out_dir / doc.files[0].path
    sha = sha256_of(path)
    if template.raster is not None:
        photo = photo_reading(path, rng)
        return [Sample(photo, doc_type, template.id, SampleSource.OCR, sha, "photo")]
    reading = read_generated(path, job.cache_dir)
    made = str(rendering or "")
    if job.real_ocr:
        return [Sample(reading, doc_type, template.id, SampleSource.OCR, sha, made)]
    samples = []
    simulate = rng.random() < job.spec.simulate_share
    if job.spec.keep_clean or not simulate:
        samples.append(Sample(reading, doc_type, template.id, SampleSource.TEXT_LAYER, sha, made))
    if simulate:
        noisy = simulate_scan(reading, doc_type, rng)
        samples.append(Sample(noisy, doc_type, template.id, SampleSource.SIMULATED_SCAN, sha, made))
    two_sided = doc_type in CARD_TYPES and len(reading.pages) == 2
    if job.spec.keep_clean and two_sided and rng.random() < ONE_SIDE_SHARE:
        side = one_side_scan(reading, doc_type, rng)
        samples.append(Sample(side, doc_type, template.id, SampleSource.SIMULATED_SCAN, sha, made))
    return samples


def build_sample_set(
    spec: SetSpec,
    out_dir: Path,
    *,
    cache_dir: Path,
    workers: int = 2,
    on_done: Callable[[], None] = lambda: None,
) -> SampleSet:
    """Generate `spec.count` documents (classes balanced) and read them into labelled samples.

    Documents whose reading fails or times out are skipped and listed in `failures`.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    real_ocr = _real_ocr_indices(spec)
    jobs = [_Job(i, spec, out_dir, cache_dir, i in real_ocr) for i in range(spec.count)]
    built = SampleSet([], [])
    if workers <= 1:
        _collect(map(_run_job, jobs), built, on_done)
    else:
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            _collect(pool.map(_run_job, jobs, chunksize=1), built, on_done)
    if built.failures:
        log.warning("doctype samples: %d of %d documents skipped", len(built.failures), spec.count)
    return built


def _types(spec: SetSpec) -> list[DocType]:
    """The types with at least one selected template, in DocType order."""
    return [t for t in DocType if select_templates(t, spec.include, spec.exclude)]


def _real_ocr_indices(spec: SetSpec) -> frozenset[int]:
    """The documents to scan or photograph and OCR: the first `ocr_count` of `ocr_types`."""
    types = _types(spec)
    eligible = [
        i
        for i in range(spec.count)
        if spec.ocr_types is None or types[i % len(types)] in spec.ocr_types
    ]
    return frozenset(eligible[: spec.ocr_count])


def _collect(results: Iterable[_JobResult], into: SampleSet, on_done: Callable[[], None]) -> None:
    for result in results:
        into.samples.extend(result.samples)
        if result.failure is not None:
            into.failures.append(result.failure)
        on_done()


def build_sets(
    work_dir: Path, plan: TrainingPlan, progress: Progress = no_progress
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
    work_dir: Path, plan: TrainingPlan, progress: Progress = no_progress
) -> TrainingResult:
    """Generate and read the data, then fit, choose the threshold and write the card."""
    started = time.perf_counter()
    train, validation, failures = build_sets(work_dir, plan, progress)
    return fit_doctype(
        train,
        validation,
        plan,
        failures=failures,
        data_seconds=time.perf_counter() - started,
        progress=progress,
    )
