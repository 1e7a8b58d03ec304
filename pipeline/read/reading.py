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

import numpy as np

from pipeline.read.legibility import measure_quality
from pipeline.read.ocr import OcrResult
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
from pipeline.read.searches import Searches, searches_for
from pipeline.read.signals import measure_signals
from pipeline.read.textlayer import LayerVerdict, build_layer, scan_text_layer
from pipeline.read.upright import read_upright_page
from pipeline.types import FileKind, PageReading, Quality, TextSource

log = logging.getLogger(__name__)

# A born-digital page has vector text: it is given the sharpness measured on a
# clean 300-dpi render (pipeline.read.legibility scale) instead of being rendered
# just to measure it.
TEXT_LAYER_BLUR = 5.0
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
