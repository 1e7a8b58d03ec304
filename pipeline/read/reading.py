"""Read every page of a file: its text layer when usable, else OCR; legibility of each page.

Pages are read in parallel by a thread pool: tesseract is a subprocess, so
threads overlap well, and each worker renders its own page just before
reading it, so memory holds at most one page image per worker.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import numpy as np

from pipeline.errors import OcrFailed
from pipeline.read.coverage import missed_text
from pipeline.read.legibility import measure_quality
from pipeline.read.ocr import (
    MISSED_LINES_TIMEOUT_S,
    OCR_TIMEOUT_S,
    OcrResult,
    detect_orientation,
    ocr_page,
    with_missed_lines,
)
from pipeline.read.pages import (
    IMAGE_KINDS,
    PDFIUM_LOCK,
    TEXT_KINDS,
    PageImage,
    load_image_frame,
    open_pdf,
    page_count,
    read_text_document,
    render_pdf_page,
)
from pipeline.read.preprocess import (
    PreparedPage,
    looks_sideways,
    prepare_for_ocr,
    rotate_quadrant,
    to_grey,
)
from pipeline.read.searches import Searches, searches_for
from pipeline.read.signals import measure_signals
from pipeline.read.textlayer import LayerVerdict, build_layer, scan_text_layer
from pipeline.types import FileKind, PageReading, Quality, TextSource

log = logging.getLogger(__name__)

# Below this mean word confidence, or with fewer words than the ink suggests,
# the page may be sideways or upside down: only then is OSD (costly) run.
ORIENTATION_CHECK_CONFIDENCE = 0.75
ORIENTATION_MIN_CONFIDENCE = 1.5  # tesseract's OSD orientation confidence
# A turned re-read replaces the first read only when clearly better (more
# confident words, and a higher mean confidence): on a poor photo both reads are
# weak, OSD's guess (often 180) is not to be trusted, and an upside-down read of
# small print yields many short confident scraps. A truly upside-down page reads
# next to nothing the first time.
ORIENTATION_MARGIN = 1.5
# A born-digital page has vector text: it is given the sharpness measured on a
# clean 300-dpi render (pipeline.read.legibility scale) instead of being rendered
# just to measure it.
TEXT_LAYER_BLUR = 5.0
# Reading time of one page image beyond which the passes that only improve
# its first read (missed lines, orientation) are skipped or cut short. A clean
# page or photo takes 2-8 s in all on a loaded 2-core machine; a page of noise
# enlarged for its "letters" took 36 s for its first read alone, and over 120 s
# (tesseract's own limit, then an error) for the whole-page psm 11 pass.
PAGE_OCR_BUDGET_S = 40.0
# A first read still running after this long is tesseract making "words" of
# noise: the generator's "unreadable" pages (extreme blur and grain, enlarged
# for their specks) took 36-72 s and gave nothing usable; clean pages and
# photos take 1-5 s on a loaded 2-core machine. The page is then unreadable,
# which tells the citizen to send a sharper copy.
FIRST_READ_TIMEOUT_S = 40.0
# A pass is not started with less time than this left: it would only be cut.
MIN_PASS_S = 2.0
# A first read of noise: at least this many "words", under this share of them
# confident and letter-like (clean pages and photos: 60-95 %; pages of the
# generator's "unreadable" defect: 1-3 %; a poor card photo copied on A4: 11 %).
NOISE_MIN_WORDS = 40
NOISE_GOOD_SHARE = 0.06
# Born-digital pages are rendered at this resolution only to measure their
# signals (faces, colour, 2D-Doc): enough for a DataMatrix, cheap to render.
SIGNAL_DPI = 150
# Vector text and drawings hold no face: below this image coverage, a
# born-digital page skips face detection (the costliest signal).
SIGNAL_MIN_IMAGE_COVERAGE = 0.01


def read_pages(
    path: Path,
    kind: FileKind,
    *,
    languages: str = "fra+eng",
    render_dpi: int = 300,
    max_pixels: int = 80_000_000,
    page_workers: int = 0,
    skip_pages: Collection[int] = frozenset(),
    with_signals: bool = True,
) -> list[PageReading]:
    """Readings of every page not in `skip_pages`, in page order.

    `with_signals=False` reads text and quality only (no `signals`): for callers
    that do not classify, and to measure the reading stage on its own.
    """
    if kind in TEXT_KINDS:
        return [] if 1 in skip_pages else [read_text_file(path, kind)]
    if kind is FileKind.PDF:
        reader: Callable[[int], PageReading] = _PdfReader(
            path, languages, render_dpi, max_pixels, with_signals=with_signals
        )
    elif kind in IMAGE_KINDS:
        reader = _ImageReader(path, languages, max_pixels, with_signals=with_signals)
    else:
        raise ValueError(f"no reader for kind {kind}")
    numbers = [n for n in range(1, page_count(path, kind) + 1) if n not in skip_pages]
    workers = page_workers or os.cpu_count() or 1
    try:
        if workers == 1 or len(numbers) <= 1:
            return [reader(n) for n in numbers]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="justif-page") as pool:
            return list(pool.map(reader, numbers))
    finally:
        if isinstance(reader, _PdfReader):
            reader.close()


def read_text_document_pages(path: Path, kind: FileKind) -> list[PageReading]:
    """A DOCX or text file read as its single page."""
    return [read_text_file(path, kind)]


def read_text_file(path: Path, kind: FileKind) -> PageReading:
    """A DOCX or text file as one page: its text is exact, it has no image to measure."""
    started = time.perf_counter()
    text = read_text_document(path, kind)
    quality = Quality(blur=TEXT_LAYER_BLUR, dpi=0.0, contrast=1.0, blank=not text.strip())
    return PageReading(
        n=1,
        text_source=TextSource.TEXT_LAYER,
        text=text,
        confidence=1.0,
        quality=quality,
        width_px=0,
        height_px=0,
        seconds=time.perf_counter() - started,
    )


def read_image(page: PageImage, languages: str, *, with_signals: bool = True) -> PageReading:
    """OCR one page image: preprocess, read, and fix the orientation if the read is poor."""
    started = time.perf_counter()
    quality = measure_quality(page.image, page.dpi)
    height, width = page.image.shape[:2]
    upright: np.ndarray | None = None
    whole_page = False
    if quality.blank:
        result, rotation = OcrResult("", [], 0.0), 0.0
    else:
        read = read_upright_page(page.image, page.dpi, languages)
        result, rotation, upright = read.result, read.rotation_deg, read.upright
        whole_page = read.whole_page
    read_at = time.perf_counter()
    signals = None
    if with_signals:
        # Words read on a cut-out or a crop say nothing of the rest of the page.
        searches = (
            searches_for(upright, result.words)
            if upright is not None and whole_page
            else Searches.everything()
        )
        signals = measure_signals(
            page.image,
            result.text,
            upright=upright,
            words=result.words,
            searches=searches,
            first_page=page.n == 1,
        )
    done_at = time.perf_counter()
    return PageReading(
        n=page.n,
        text_source=TextSource.OCR,
        text=result.text,
        words=result.words,
        confidence=result.confidence,
        quality=quality,
        width_px=width,
        height_px=height,
        rotation_deg=rotation,
        seconds=done_at - started,
        signals_seconds=done_at - read_at,
        signals=signals,
    )


def ocr_upright(image: np.ndarray, dpi: float, languages: str) -> tuple[OcrResult, float]:
    """OCR result and the rotation applied (quarter turns + deskew), in degrees."""
    result, rotation, _ = read_upright(image, dpi, languages)
    return result, rotation


class UprightRead(NamedTuple):
    result: OcrResult
    rotation_deg: float  # quarter turns + deskew
    upright: np.ndarray  # the grey image read, upright: the words' boxes are relative to it
    whole_page: bool  # False when only a cut-out or a crop of the page was read


def read_upright(
    image: np.ndarray,
    dpi: float,
    languages: str,
    *,
    budget_s: float | None = None,
    read_timeout_s: float | None = None,
) -> tuple[OcrResult, float, np.ndarray]:
    """OCR result, the rotation applied (quarter turns + deskew, in degrees) and the
    grey image that was read, upright (the words' boxes are relative to it)."""
    read = read_upright_page(
        image, dpi, languages, budget_s=budget_s, read_timeout_s=read_timeout_s
    )
    return read.result, read.rotation_deg, read.upright


def read_upright_page(
    image: np.ndarray,
    dpi: float,
    languages: str,
    *,
    budget_s: float | None = None,
    read_timeout_s: float | None = None,
) -> UprightRead:
    """The page read upright: see `UprightRead`.

    OSD costs about as much as reading the page, so it runs only for a page
    whose text lines look vertical (cheap profile test) or whose first read is
    poor (upside down pages have horizontal lines too).

    The first read gets `read_timeout_s` (default FIRST_READ_TIMEOUT_S); past
    it the page is unreadable (OcrFailed). The passes that only improve it (the
    missed-lines completion, the orientation check and the turned re-read)
    share what is left of `budget_s` (default PAGE_OCR_BUDGET_S) and fall back
    to what was read before when it runs out: on a page of noise each pass
    costs as much as the first read and finds nothing.
    """
    started = time.perf_counter()
    grey = to_grey(image)
    turn = 0
    if looks_sideways(grey):
        turn = _osd_turn(grey)
        grey = rotate_quadrant(grey, turn)
    prepared = prepare_for_ocr(grey, dpi)
    result = ocr_page(
        prepared.image,
        languages,
        try_inverted=False,
        timeout_s=FIRST_READ_TIMEOUT_S if read_timeout_s is None else read_timeout_s,
    )
    budget = _Budget(started, PAGE_OCR_BUDGET_S if budget_s is None else budget_s)
    if not looks_like_noise(result):
        missed = missed_text(prepared.image, result.words)
        if missed.worth_rereading and budget.left_s() >= MIN_PASS_S:
            result = with_missed_lines(
                prepared.image,
                result,
                languages,
                missed=missed,
                timeout_s=min(MISSED_LINES_TIMEOUT_S, budget.left_s()),
            )
    first = UprightRead(result, turn + prepared.skew_deg, _grey_of(prepared), prepared.whole_page)
    if not needs_orientation_check(result) or budget.left_s() < MIN_PASS_S:
        return first
    second_turn = _osd_turn(prepared.image, timeout_s=budget.left_s())
    if second_turn == 0 or budget.left_s() < MIN_PASS_S:
        return first
    # The prepared page only needs the quarter turn: cut-out, scale and deskew
    # do not depend on which way up the text is.
    turned = rotate_quadrant(prepared.image, second_turn)
    try:
        second = ocr_page(turned, languages, try_inverted=False, timeout_s=budget.left_s())
    except OcrFailed:
        log.info("turned re-read abandoned: page reading budget spent")
        return first
    clearly_better = (
        _weight(second) > ORIENTATION_MARGIN * _weight(result)
        and second.confidence > result.confidence
    )
    if not clearly_better:
        return first
    rotation = float((turn + second_turn) % 360) + prepared.skew_deg
    return UprightRead(
        second, rotation, rotate_quadrant(_grey_of(prepared), second_turn), prepared.whole_page
    )


class _Budget:
    """What is left of a page's reading time, counted from `started`."""

    def __init__(self, started: float, total_s: float) -> None:
        self.started = started
        self.total_s = total_s

    def left_s(self) -> float:
        return self.total_s - (time.perf_counter() - self.started)


def looks_like_noise(result: OcrResult) -> bool:
    """Whether a first read is what tesseract makes of noise: many "words", few of
    them confident and letter-like (a page of extreme blur, grain or washed-out
    ink, which no second pass turns into text)."""
    if len(result.words) < NOISE_MIN_WORDS:
        return False
    good = sum(1 for word in result.words if word.confidence >= 0.6 and _wordlike(word.text))
    return good < NOISE_GOOD_SHARE * len(result.words)


def _grey_of(prepared: PreparedPage) -> np.ndarray:
    return prepared.grey if prepared.grey is not None else prepared.image


def _osd_turn(grey: np.ndarray, *, timeout_s: float = OCR_TIMEOUT_S) -> int:
    orientation = detect_orientation(grey, timeout_s=timeout_s)
    return orientation.rotate_deg if orientation.confidence >= ORIENTATION_MIN_CONFIDENCE else 0


def needs_orientation_check(result: OcrResult) -> bool:
    return result.confidence < ORIENTATION_CHECK_CONFIDENCE or len(result.words) < 5


def _weight(result: OcrResult) -> float:
    """Confident words read: what makes one reading of a page better than another."""
    return sum(word.confidence for word in result.words if _wordlike(word.text))


def _wordlike(text: str) -> bool:
    # An upside-down MRZ reads as confident runs of '>': symbols are no evidence.
    letters = sum(c.isalnum() for c in text)
    return letters >= 2 and letters >= 0.6 * len(text)


class _PdfReader:
    """Reads one PDF page by number; pdfium calls hold the lock, OCR runs outside it."""

    def __init__(
        self,
        path: Path,
        languages: str,
        render_dpi: int,
        max_pixels: int,
        *,
        with_signals: bool = True,
    ) -> None:
        self.path = path
        self.languages = languages
        self.render_dpi = render_dpi
        self.max_pixels = max_pixels
        self.with_signals = with_signals
        with PDFIUM_LOCK:
            self.document = open_pdf(path)

    def close(self) -> None:
        with PDFIUM_LOCK:
            self.document.close()

    def __call__(self, n: int) -> PageReading:
        started = time.perf_counter()
        with PDFIUM_LOCK:
            page = self.document[n - 1]
            try:
                scan = scan_text_layer(page)
            finally:
                page.close()
            usable = scan.verdict is LayerVerdict.USABLE
            has_images = scan.image_coverage > SIGNAL_MIN_IMAGE_COVERAGE
            image = None
            # A born-digital page is rendered for its signals only where they can
            # say something: page 1 (2D-Doc, layout) and pages carrying images.
            wants_signals = self.with_signals and (n == 1 or has_images)
            if not usable or wants_signals:
                dpi = self.render_dpi if not usable else SIGNAL_DPI
                image = render_pdf_page(self.document, n, dpi=dpi, max_pixels=self.max_pixels)
        if image is not None and not usable:
            log.debug("page %d: text layer %s, OCR", n, scan.verdict)
            return read_image(image, self.languages, with_signals=self.with_signals)
        layer = build_layer(scan)
        width_pt, height_pt = scan.page_size_pt
        signals_at = time.perf_counter()
        signals = (
            measure_signals(
                image.image,
                layer.text,
                from_ocr=False,
                look_for_faces=has_images,
                searches=searches_for(image.image, layer.words),
                first_page=n == 1,
            )
            if image is not None
            else None
        )
        signals_seconds = time.perf_counter() - signals_at
        scale = self.render_dpi / 72.0
        return PageReading(
            n=n,
            text_source=TextSource.TEXT_LAYER,
            text=layer.text,
            words=layer.words,
            confidence=1.0,
            quality=Quality(
                blur=TEXT_LAYER_BLUR, dpi=float(self.render_dpi), contrast=1.0, blank=False
            ),
            width_px=round(width_pt * scale),
            height_px=round(height_pt * scale),
            seconds=time.perf_counter() - started,
            signals_seconds=signals_seconds,
            signals=signals,
        )


class _ImageReader:
    def __init__(
        self, path: Path, languages: str, max_pixels: int, *, with_signals: bool = True
    ) -> None:
        self.path = path
        self.languages = languages
        self.max_pixels = max_pixels
        self.with_signals = with_signals

    def __call__(self, n: int) -> PageReading:
        page = load_image_frame(self.path, n, max_pixels=self.max_pixels)
        return read_image(page, self.languages, with_signals=self.with_signals)
