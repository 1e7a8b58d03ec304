"""Splitting the reading of a piece into page batches that several workers can share.

A long scanned piece is the unit of work that dominates a dossier's time: its
pages are cut into batches, each batch is read (and written to the page cache)
by whichever worker gets it, and the piece is then reassembled from the cache.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from pydantic import BaseModel

from pipeline.errors import PieceError
from pipeline.intake import inspection as intake
from pipeline.intake import isolation
from pipeline.read import page_cache
from pipeline.read.ocr import engine_version
from pipeline.read.piece import ReadOptions
from pipeline.store.storage import ObjectStore


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


def pages_to_read(
    path: Path, options: ReadOptions, *, cache: ObjectStore, sha256: str
) -> list[int]:
    """Pages of the file that the page cache does not hold yet; none for a refused file.

    A file that intake refuses has nothing to fan out: the reassembly step
    reads it again and records the refusal as the piece's error. An accepted
    file's intake report is cached, so later steps do not inspect it again.
    """
    report = page_cache.load_intake(cache, sha256, options.limits)
    if report is None:
        try:
            report = isolation.run_isolated(
                intake.inspect_file,
                path,
                options.limits,
                timeout_s=options.limits.parse_timeout_s,
                memory_mb=options.limits.parse_memory_mb,
            )
        except PieceError:
            return []
        page_cache.save_intake(cache, sha256, options.limits, report)
    return uncached_pages(report.page_count, cache=cache, sha256=sha256)


def cached_pages_to_read(
    options: ReadOptions, *, cache: ObjectStore, sha256: str
) -> list[int] | None:
    """Like `pages_to_read` from the caches alone; None when the intake report is not cached."""
    report = page_cache.load_intake(cache, sha256, options.limits)
    if report is None:
        return None
    return uncached_pages(report.page_count, cache=cache, sha256=sha256)


def uncached_pages(page_count: int, *, cache: ObjectStore, sha256: str) -> list[int]:
    cached = page_cache.load_cached_pages(cache, sha256, engine_version())
    return [n for n in range(1, page_count + 1) if n not in cached]
