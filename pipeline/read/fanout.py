"""Splitting the reading of a piece into page batches that several workers can share.

A long scanned piece is the unit of work that dominates a dossier's time. Its
reading is planned once (`plan_reading`: intake's outcome, refusals included,
and the pages still to read, the first batch read on the way), the other pages
are cut into batches read (into the page cache) by whichever worker gets them,
and the piece is reassembled from the plan and the cache
(`assemble_reading`), without parsing the file again.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from pydantic import BaseModel, Field

from pipeline.read import page_cache
from pipeline.read.ocr import engine_version
from pipeline.read.piece import ReadOptions, read_piece
from pipeline.store.storage import ObjectStore
from pipeline.types import ErrorInfo, IntakeReport, PieceReading

# Gives the piece's original as a local file for the time of a `with` block.
Fetch = Callable[[], AbstractContextManager[Path]]


class BatchDone(BaseModel):
    """What one page-batch task did: which pages it read and in which process."""

    sha256: str
    pages: list[int]
    worker: str  # "host:pid", to see how the work was spread


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def page_batches(pages: list[int], batch_size: int) -> list[list[int]]:
    """`pages` cut in order into batches of at most `batch_size`."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return [pages[start : start + batch_size] for start in range(0, len(pages), batch_size)]


class ReadingPlan(BaseModel):
    """Intake's outcome for one content and the pages still to read.

    Small and serialisable: the flow passes it from the planning task to the
    batches and to the assembly, so none of them inspects the file again.
    """

    sha256: str
    intake: IntakeReport | None = None
    error: ErrorInfo | None = None  # set: refused or unreadable, nothing to read
    todo: list[int] = Field(default_factory=list)  # pages not in the page cache yet
    done: list[int] = Field(default_factory=list)  # pages the planning step read itself
    worker: str = ""  # "host:pid" of the planning step, when it read pages
    intake_seconds: float = 0.0  # 0 when intake's outcome came from the cache
    seconds: float = 0.0  # time of the planning step


def plan_cached(options: ReadOptions, *, cache: ObjectStore, sha256: str) -> ReadingPlan | None:
    """The plan from the caches alone (no file needed); None when intake has not run yet."""
    started = time.perf_counter()
    known = page_cache.load_intake(cache, sha256, options.limits)
    if known is None:
        return None
    todo = (
        uncached_pages(known.report.page_count, cache=cache, sha256=sha256)
        if known.report is not None
        else []
    )
    return ReadingPlan(
        sha256=sha256,
        intake=known.report,
        error=known.error,
        todo=todo,
        seconds=time.perf_counter() - started,
    )


def plan_reading(
    fetch: Fetch,
    options: ReadOptions,
    *,
    cache: ObjectStore,
    sha256: str,
    first_pages: int,
) -> ReadingPlan:
    """Intake's outcome and the pages still to read, the file fetched only if needed.

    A content seen for the first time is fetched once, and its intake and first
    `first_pages` pages run in one isolated child: most pieces have a page or
    two, so they need no other read.
    """
    plan = plan_cached(options, cache=cache, sha256=sha256)
    if plan is not None:
        return plan
    started = time.perf_counter()
    with fetch() as local:
        reading = read_piece(
            local, options, cache=cache, sha256=sha256, pages=range(1, first_pages + 1)
        )
    if reading.error is not None or reading.intake is None:
        return ReadingPlan(
            sha256=sha256, error=reading.error, seconds=time.perf_counter() - started
        )
    read = {page.n for page in reading.pages}
    return ReadingPlan(
        sha256=sha256,
        intake=reading.intake,
        todo=[n for n in range(1, reading.intake.page_count + 1) if n not in read],
        done=[page.n for page in reading.pages if not page.cached],
        worker=worker_identity(),
        intake_seconds=reading.intake_seconds,
        seconds=time.perf_counter() - started,
    )


def assemble_reading(
    plan: ReadingPlan,
    options: ReadOptions,
    *,
    cache: ObjectStore,
    fetch: Fetch,
    fresh_pages: frozenset[int] = frozenset(),
) -> PieceReading:
    """One piece's reading from its plan and the page cache; intake is never run again.

    The original is fetched only if a page is still missing from the cache.
    Pages in `fresh_pages` were read by this run's batches: they came through
    the cache but are not reused results.
    """
    started = time.perf_counter()
    if plan.error is not None or plan.intake is None:
        return PieceReading(sha256=plan.sha256, error=plan.error, seconds=plan.seconds)
    pages = page_cache.load_cached_pages(cache, plan.sha256, engine_version())
    missing = [n for n in range(1, plan.intake.page_count + 1) if n not in pages]
    if missing:
        # A batch's pages not in the cache (a cache write lost): read them, intake known.
        with fetch() as local:
            reading = read_piece(local, options, cache=cache, sha256=plan.sha256, pages=missing)
        if reading.error is not None:
            return PieceReading(sha256=plan.sha256, error=reading.error, seconds=plan.seconds)
        pages.update({page.n: page for page in reading.pages})
        fresh_pages = fresh_pages | set(missing)
    reused = frozenset(pages) - fresh_pages - frozenset(plan.done)
    ordered = [
        pages[n].model_copy(update={"cached": n in reused})
        for n in range(1, plan.intake.page_count + 1)
    ]
    return PieceReading(
        sha256=plan.sha256,
        intake=plan.intake,
        pages=ordered,
        seconds=plan.seconds + time.perf_counter() - started,
        intake_seconds=plan.intake_seconds,
    )


def uncached_pages(page_count: int, *, cache: ObjectStore, sha256: str) -> list[int]:
    cached = page_cache.load_cached_pages(cache, sha256, engine_version())
    return [n for n in range(1, page_count + 1) if n not in cached]
