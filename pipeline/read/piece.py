"""Reading one untrusted file: intake, then the text of each page (text layer or OCR, cached).

Parsing the file's bytes happens in an isolated child process with time and
memory limits; whatever goes wrong there (a refusal, a time limit, a parser's
unforeseen exception) becomes `PieceReading.error` with a stable code, never an
exception for the caller. Intake's outcome, refusals included, and each page's
reading are cached in the object store, so a content is inspected once. The
stages after reading (classify, extract, rules, decide) are chained in
`pipeline/sequence.py`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import PieceError
from pipeline.intake import inspection as intake
from pipeline.intake import isolation
from pipeline.intake.untrusted import parsing_untrusted
from pipeline.read import page_cache, reading
from pipeline.read.ocr import engine_version
from pipeline.settings import Limits
from pipeline.store.dossiers import sha256_of
from pipeline.store.storage import ObjectStore
from pipeline.types import (
    ErrorInfo,
    FileKind,
    IntakeOutcome,
    IntakeReport,
    PageReading,
    PieceReading,
)

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
    pages: Collection[int] | None = None,
) -> PieceReading:
    """Read the pages of one untrusted file; errors are returned in `error`, not raised.

    `pages` (1-based) limits the reading to a subset, so that the pages of a
    long piece can be read by several workers and reassembled from the cache.
    """
    started = time.perf_counter()
    sha256 = sha256 or sha256_of(path)
    wanted = frozenset(pages) if pages is not None else None
    version = engine_version()
    cached = page_cache.load_cached_pages(cache, sha256, version) if cache else {}
    cached = {
        n: page.model_copy(update={"cached": True})
        for n, page in cached.items()
        if wanted is None or n in wanted
    }
    known = page_cache.load_intake(cache, sha256, options.limits) if cache else None
    if known is not None and known.error is not None:
        # Refused before under the same limits: the verdict stands, nothing is parsed.
        return PieceReading(sha256=sha256, error=known.error, seconds=time.perf_counter() - started)
    if known is not None and known.report is not None and _all_cached(known.report, wanted, cached):
        # Nothing left to parse: no child, and the caller need not even fetch the file.
        return PieceReading(
            sha256=sha256,
            intake=known.report,
            pages=sorted(cached.values(), key=lambda page: page.n),
            seconds=time.perf_counter() - started,
        )
    try:
        report, fresh, intake_seconds = isolation.run_isolated(
            _read_untrusted,
            path,
            options,
            frozenset(cached),
            wanted,
            known.report if known else None,
            timeout_s=options.limits.parse_timeout_s,
            memory_mb=options.limits.parse_memory_mb,
        )
    except PieceError as error:
        log.info("piece %s unreadable: %s", sha256[:12], error.code)
        info = ErrorInfo(**error.export())
        if cache and known is None:
            page_cache.save_intake(cache, sha256, options.limits, IntakeOutcome(error=info))
        return PieceReading(sha256=sha256, error=info, seconds=time.perf_counter() - started)
    if cache:
        if known is None:
            page_cache.save_intake(cache, sha256, options.limits, IntakeOutcome(report=report))
        for page in fresh:
            page_cache.save_page(cache, sha256, version, page)
    readings = sorted([*cached.values(), *fresh], key=lambda page: page.n)
    return PieceReading(
        sha256=sha256,
        intake=report,
        pages=readings,
        seconds=time.perf_counter() - started,
        intake_seconds=intake_seconds,
    )


def _all_cached(
    report: IntakeReport, wanted: frozenset[int] | None, cached: dict[int, PageReading]
) -> bool:
    every = frozenset(range(1, report.page_count + 1))
    return (every if wanted is None else wanted & every) <= cached.keys()


def _read_untrusted(
    path: Path,
    options: ReadOptions,
    skip_pages: frozenset[int],
    wanted: frozenset[int] | None = None,
    known: IntakeReport | None = None,
) -> tuple[IntakeReport, list[PageReading], float]:
    """Runs in the isolated child: everything that parses the file's bytes.

    `known` is this content's intake report under the same limits, from the
    cache: the checks already passed once, so they are not repeated. Returns
    the report, the pages read and the seconds intake took.
    """
    started = time.perf_counter()
    with parsing_untrusted("inspecting the file"):
        report = known or intake.inspect_file(path, options.limits)
    intake_seconds = 0.0 if known else time.perf_counter() - started
    if wanted is not None:
        # The page count is only known once intake has parsed the file.
        others = {n for n in range(1, report.page_count + 1) if n not in wanted}
        skip_pages = skip_pages | others
    with parsing_untrusted("reading its pages"):
        if report.kind in (FileKind.DOCX, FileKind.TEXT):
            pages = [] if 1 in skip_pages else reading.read_text_document_pages(path, report.kind)
        else:
            pages = reading.read_pages(
                path,
                report.kind,
                languages=options.languages,
                render_dpi=options.limits.render_dpi,
                max_pixels=options.limits.max_pixels,
                page_workers=options.page_workers,
                skip_pages=skip_pages,
            )
    return report, pages, intake_seconds
