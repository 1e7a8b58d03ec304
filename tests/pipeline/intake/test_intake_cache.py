"""The intake report is cached beside the page cache, so a piece is inspected and parsed once."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fixtures.textpages import french_page_text, write_text_pdf
from pipeline.read.fanout import cached_pages_to_read, pages_to_read
from pipeline.read.page_cache import load_intake
from pipeline.read.piece import ReadOptions, read_cached_piece, read_piece
from pipeline.settings import Limits
from pipeline.store.storage import LocalStore
from pipeline.types import FileKind


def _pdf(tmp_path: Path, pages: int) -> Path:
    rng = np.random.default_rng(4)
    return write_text_pdf(
        tmp_path / "piece.pdf", [french_page_text(rng, lines=8) for _ in range(pages)]
    )


def test_a_piece_read_once_is_served_from_the_caches_without_its_file(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    options = ReadOptions(limits=Limits(), page_workers=1)
    pdf = _pdf(tmp_path, 2)
    sha = "ef" * 32
    assert read_cached_piece(options, cache=store, sha256=sha) is None

    first = read_piece(pdf, options, cache=store, sha256=sha)
    assert first.error is None and first.intake is not None
    assert load_intake(store, sha, options.limits) == first.intake

    # The file is gone: only the caches can answer, so nothing is parsed again.
    pdf.unlink()
    again = read_piece(pdf, options, cache=store, sha256=sha)
    assert again.error is None and again.intake == first.intake
    assert [p.text for p in again.pages] == [p.text for p in first.pages]
    assert all(page.cached for page in again.pages)
    whole = read_cached_piece(options, cache=store, sha256=sha)
    assert whole is not None and [p.n for p in whole.pages] == [1, 2]


def test_a_missing_page_or_other_limits_are_cache_misses(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    options = ReadOptions(limits=Limits(), page_workers=1)
    pdf = _pdf(tmp_path, 3)
    sha = "cd" * 32
    assert cached_pages_to_read(options, cache=store, sha256=sha) is None
    assert pages_to_read(pdf, options, cache=store, sha256=sha) == [1, 2, 3]
    report = load_intake(store, sha, options.limits)
    assert report is not None and report.kind is FileKind.PDF and report.page_count == 3

    read_piece(pdf, options, cache=store, sha256=sha, pages=[1, 2])
    assert cached_pages_to_read(options, cache=store, sha256=sha) == [3]
    assert read_cached_piece(options, cache=store, sha256=sha) is None  # page 3 missing

    stricter = ReadOptions(limits=Limits(max_pages=2), page_workers=1)
    assert load_intake(store, sha, stricter.limits) is None
    # Under the stricter limits the file is refused again, not served from the cache.
    refused = read_piece(pdf, stricter, cache=store, sha256=sha)
    assert refused.error is not None and refused.error.code == "TOO_MANY_PAGES"
