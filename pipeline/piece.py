"""The per-piece sequence, written once and read top to bottom.

intake -> pages -> text per page (text layer or OCR, cached) -> (classify ->
extract -> checks, as those stages land). Parsing an untrusted file happens in
an isolated child process with time and memory limits; whatever goes wrong
there becomes `PieceReading.error`, never an exception for the caller.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline import intake, isolation, page_cache, reading
from pipeline.dossiers import sha256_of
from pipeline.errors import PieceError
from pipeline.ocr import engine_version
from pipeline.settings import Limits
from pipeline.storage import ObjectStore
from pipeline.types import ErrorInfo, FileKind, IntakeReport, PageReading, PieceReading

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadOptions:
    limits: Limits
    languages: str = "fra+eng"
    page_workers: int = 0  # 0: one per CPU core


def read_piece(
    path: Path,
    options: ReadOptions,
    *,
    cache: ObjectStore | None = None,
    sha256: str | None = None,
) -> PieceReading:
    """Read every page of one untrusted file; errors are returned in `error`, not raised."""
    started = time.perf_counter()
    sha256 = sha256 or sha256_of(path)
    version = engine_version()
    cached = page_cache.load_cached_pages(cache, sha256, version) if cache else {}
    cached = {n: page.model_copy(update={"cached": True}) for n, page in cached.items()}
    try:
        report, fresh = isolation.run_isolated(
            _read_untrusted,
            path,
            options,
            frozenset(cached),
            timeout_s=options.limits.parse_timeout_s,
            memory_mb=options.limits.parse_memory_mb,
        )
    except PieceError as error:
        log.info("piece %s unreadable: %s", sha256[:12], error.code)
        return PieceReading(
            sha256=sha256,
            error=ErrorInfo(**error.export()),
            seconds=time.perf_counter() - started,
        )
    if cache:
        for page in fresh:
            page_cache.save_page(cache, sha256, version, page)
    pages = sorted([*cached.values(), *fresh], key=lambda page: page.n)
    return PieceReading(
        sha256=sha256, intake=report, pages=pages, seconds=time.perf_counter() - started
    )


def _read_untrusted(
    path: Path, options: ReadOptions, skip_pages: frozenset[int]
) -> tuple[IntakeReport, list[PageReading]]:
    """Runs in the isolated child: everything that parses the file's bytes."""
    report = intake.inspect_file(path, options.limits)
    if report.kind in (FileKind.DOCX, FileKind.TEXT):
        return report, reading.read_text_document_pages(path, report.kind)
    pages = reading.read_pages(
        path,
        report.kind,
        languages=options.languages,
        render_dpi=options.limits.render_dpi,
        max_pixels=options.limits.max_pixels,
        page_workers=options.page_workers,
        skip_pages=skip_pages,
    )
    return report, pages
