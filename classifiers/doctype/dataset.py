"""Labelled readings for training and evaluation, made with the document generator.

Born-digital documents are generated and read through the real text-layer
reader (fast). OCR of hundreds of scans would not fit the training budget, so
most scans are simulated: the text layer of the same document goes through an
OCR-noise model (character confusions, dropped, merged and split words, lost
lines) and its page signals are shifted as a scan or photo shifts them. A few
documents (`ocr_count`) are really rendered as scans or photos and OCRed, so
the model also sees what tesseract truly makes of them. Readings are cached on
disk by file sha256, so a rerun only generates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from fixtures.generator.api import doc_rng, generate_document
from fixtures.generator.model import Rendering
from fixtures.generator.registry import Template, select_templates
from pipeline.errors import PieceError
from pipeline.fields import IDENTITY_DOC_TYPES, DocType
from pipeline.read import reading as page_reading
from pipeline.read.signals import measure_signals
from pipeline.store.dossiers import sha256_of
from pipeline.types import (
    FileKind,
    PageReading,
    PageSignals,
    PieceReading,
    Quality,
    TextSource,
)

log = logging.getLogger(__name__)

# One template per type never used for fitting: evaluation measures how the
# model copes with a layout and wording it has not seen.
HOLDOUT_TEMPLATES: tuple[str, ...] = (
    "bank_details.rib_online",
    "company_extract.kbis_infogreffe",
    "id_photo.studio",
    "identity_card.cni_old",
    "other.minutes",
    "passport.copy_a4",
    "payslip.simplified",
    "proof_of_address.water",
    "residence_permit.recepisse_a4",
    "resume.sidebar",
    "school_certificate.ifsi",
    "tax_notice.situation_declarative",
    "urssaf_certificate.msa_style",
)
# Types whose real uploads are mostly photos or scans of a card.
CARD_TYPES = IDENTITY_DOC_TYPES | {DocType.ID_PHOTO}
A4_RATIO = 210 / 297
# Share of two-sided card documents that also give a one-side sample in training.
ONE_SIDE_SHARE = 0.5
_CONFUSIONS: dict[str, tuple[str, ...]] = {
    "e": ("c", "é", "o"),
    "é": ("e", "ê", "6"),
    "è": ("e", "é"),
    "a": ("o", "à", "e"),
    "o": ("0", "a", "c"),
    "i": ("l", "1", "í"),
    "l": ("1", "I", "i"),
    "n": ("m", "u", "ri"),
    "m": ("rn", "nn"),
    "u": ("v", "n"),
    "s": ("5", "$"),
    "t": ("f", "l"),
    "c": ("e", "("),
    "r": ("t", "n"),
    "d": ("cl", "a"),
    "0": ("O", "o"),
    "1": ("l", "I", "7"),
    "5": ("S", "s"),
    "8": ("B", "3"),
    "B": ("8", "E"),
    "O": ("0", "Q"),
    "I": ("l", "1"),
    "S": ("5",),
}
_JUNK = ("|", "—", "'", ".", ",", "_", "~", "»", "«", "=", "ii", "Ë", "ï")


class SampleSource(StrEnum):
    TEXT_LAYER = "text_layer"
    SIMULATED_SCAN = "simulated_scan"
    OCR = "ocr"


@dataclass(frozen=True)
class Sample:
    reading: PieceReading
    label: DocType
    template_id: str
    source: SampleSource
    file_sha256: str
    rendering: str = ""  # born_digital / scan / photo of the generated file


@dataclass(frozen=True)
class ReadingFailure:
    """A generated document that could not be read (its sample is skipped)."""

    index: int
    label: DocType
    template_id: str
    reason: str  # error class or code, never document content


@dataclass
class SampleSet:
    """The samples of a build, and the documents skipped because their reading failed."""

    samples: list[Sample]
    failures: list[ReadingFailure]


@dataclass(frozen=True)
class _JobResult:
    samples: list[Sample]
    failure: ReadingFailure | None = None


@dataclass(frozen=True)
class SetSpec:
    """Which generated documents a sample set holds and how each is read.

    `include`/`exclude` select templates (glob patterns); the first
    `ocr_count` documents (of `ocr_types` only, when given) are real scans or
    photos read by OCR; a `simulate_share` of the others also get a simulated
    scan reading, kept beside the clean one with `keep_clean` (training
    augmentation) or replacing it without (an evaluation mix).
    """

    count: int
    seed: int
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None
    ocr_count: int = 0
    ocr_types: frozenset[DocType] | None = None
    simulate_share: float = 0.5
    keep_clean: bool = True


def evaluation_spec(count: int, seed: int, ocr_count: int) -> SetSpec:
    """Documents of the held-out templates only, each read once as a citizen would send it."""
    return SetSpec(
        count=count, seed=seed, include=HOLDOUT_TEMPLATES, ocr_count=ocr_count, keep_clean=False
    )


@dataclass(frozen=True)
class _Job:
    index: int
    spec: SetSpec
    out_dir: Path
    cache_dir: Path
    real_ocr: bool


# --- OCR noise ---


def ocr_noise(text: str, rng: np.random.Generator, level: float) -> str:
    """Text as a mediocre OCR would return it; `level` in 0..1 scales every kind of error."""
    lines = []
    for line in text.splitlines():
        if rng.random() < 0.12 * level:
            continue  # a line lost to a fold, a stain or a crop
        lines.append(" ".join(_noisy_words(line.split(), rng, level)))
    return "\n".join(lines)


def _noisy_words(words: Sequence[str], rng: np.random.Generator, level: float) -> list[str]:
    out: list[str] = []
    for word in words:
        roll = rng.random()
        if roll < 0.06 * level:
            continue
        if roll < 0.10 * level and out:
            out[-1] += word  # two words merged
            continue
        word = "".join(_noisy_char(c, rng, level) for c in word)
        if len(word) > 4 and rng.random() < 0.04 * level:
            cut = int(rng.integers(1, len(word) - 1))
            word = word[:cut] + " " + word[cut:]
        out.append(word)
        if rng.random() < 0.04 * level:
            out.append(_JUNK[int(rng.integers(0, len(_JUNK)))])
    return out


def _noisy_char(char: str, rng: np.random.Generator, level: float) -> str:
    options = _CONFUSIONS.get(char)
    if options and rng.random() < 0.08 * level:
        return options[int(rng.integers(0, len(options)))]
    return char


def simulate_scan(
    reading: PieceReading, doc_type: DocType, rng: np.random.Generator
) -> PieceReading:
    """The reading a scan or phone photo of the same document would give."""
    card = doc_type in CARD_TYPES
    photo = rng.random() < (0.6 if card else 0.25)
    # Tesseract on a phone photo of a small card often returns nothing but debris
    # (measured on real OCR: 50-110 characters of fragments, no face found, no
    # MRZ). Without such readings in training, any debris-only reading looks like
    # an id photo (the only class with almost no text) and is typed confidently.
    debris = photo and card and rng.random() < 0.35
    heavy = photo and card and not debris and rng.random() < 0.4
    level = float(rng.uniform(1.0, 3.0) if heavy else rng.uniform(0.15, 1.0))
    pages = [
        _simulated_page(page, rng, level, photo=photo, debris=debris, card=card)
        for page in reading.pages
    ]
    return reading.model_copy(update={"pages": pages})


def ocr_debris(text: str, rng: np.random.Generator) -> str:
    """What tesseract returns from a photo it cannot read: short fragments of the
    page's characters, garbled, among specks."""
    compact = "".join(text.split())
    tokens = []
    for _ in range(int(rng.integers(4, 28))):
        if not compact or rng.random() < 0.25:
            tokens.append(_JUNK[int(rng.integers(0, len(_JUNK)))])
            continue
        start = int(rng.integers(0, len(compact)))
        piece = compact[start : start + int(rng.integers(1, 7))]
        tokens.append("".join(_noisy_char(c, rng, 3.0) for c in piece))
    lines = [" ".join(tokens[i : i + int(rng.integers(1, 6))]) for i in range(0, len(tokens), 4)]
    return "\n\n".join(lines)


def _simulated_page(
    page: PageReading,
    rng: np.random.Generator,
    level: float,
    *,
    photo: bool,
    debris: bool,
    card: bool,
) -> PageReading:
    signals = page.signals
    if signals is not None:
        signals = _simulated_signals(signals, rng, photo=photo)
        if debris or (level > 1.0 and rng.random() < 0.5):
            # A photo too poor for the text is often too poor for the MRZ band as well.
            signals = signals.model_copy(update={"mrz_lines": []})
        if photo and rng.random() < (0.8 if debris else 0.4):
            # The portrait of a card is small and often tilted in a photo: the face
            # detector misses it (measured: most real card photos show no face).
            signals = signals.model_copy(update={"faces": 0, "largest_face_ratio": 0.0})
        elif card and rng.random() < 0.25:
            # Or finds it, small (measured on real OCR of card photos: ~0.02 of the
            # image), which must not pass for an identity photo.
            ratio = float(rng.uniform(0.005, 0.06))
            signals = signals.model_copy(update={"faces": 1, "largest_face_ratio": ratio})
    text = ocr_debris(page.text, rng) if debris else ocr_noise(page.text, rng, level)
    return page.model_copy(
        update={
            "text": text,
            "words": [],
            "text_source": TextSource.OCR,
            "confidence": float(rng.uniform(0.2, 0.5) if debris else rng.uniform(0.55, 0.95)),
            "signals": signals,
        }
    )


def _simulated_signals(
    signals: PageSignals, rng: np.random.Generator, *, photo: bool
) -> PageSignals:
    if photo:  # the sheet on a table: any framing, some background colour and texture
        ratio = float(rng.uniform(0.55, 1.8))
        colour = signals.colourfulness + float(rng.uniform(5, 40))
        uniformity = float(rng.uniform(0.3, 0.9))
    else:  # scanners give A4, a card lands on an A4 sheet
        ratio = A4_RATIO if rng.random() < 0.8 else signals.aspect_ratio
        colour = signals.colourfulness * float(rng.uniform(0.3, 1.1))
        uniformity = signals.background_uniformity
    return signals.model_copy(
        update={
            "aspect_ratio": ratio,
            "colourfulness": colour,
            "ink_ratio": min(1.0, signals.ink_ratio + float(rng.uniform(0.0, 0.08))),
            "background_uniformity": uniformity,
        }
    )


# --- reading generated files ---


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
    junk = " ".join(_JUNK[int(rng.integers(0, len(_JUNK)))] for _ in range(int(rng.integers(0, 4))))
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


def one_side_scan(
    reading: PieceReading, doc_type: DocType, rng: np.random.Generator
) -> PieceReading:
    """A scan of one side of a two-sided card, alone, as citizens often send them:
    the back of an old identity card (address, dates, issuing prefecture, no
    MRZ) must read as an identity card too."""
    page = reading.pages[int(rng.integers(0, len(reading.pages)))]
    alone = reading.model_copy(update={"pages": [page.model_copy(update={"n": 1})]})
    return simulate_scan(alone, doc_type, rng)


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


def samples_hash(samples: Sequence[Sample]) -> str:
    """Identifies a training set: the files read, their labels and how each was read."""
    digest = hashlib.sha256()
    for sample in samples:
        digest.update(f"{sample.file_sha256}:{sample.label}:{sample.source.value}\n".encode())
    return digest.hexdigest()


def write_manifest(samples: Sequence[Sample], path: Path) -> None:
    """Labels, templates and sources of a sample set (no text), for the model card's folder."""
    rows = [
        {
            "sha256": s.file_sha256,
            "type": s.label.value,
            "template": s.template_id,
            "source": s.source.value,
        }
        for s in samples
    ]
    path.write_text(json.dumps(rows, indent=0) + "\n", encoding="utf-8")
