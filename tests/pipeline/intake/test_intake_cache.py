"""Intake's outcome is cached beside the page cache, refusals included: inspected once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from fixtures.textpages import french_page_text, write_text_pdf
from pipeline.read.fanout import assemble_reading, plan_cached, plan_reading
from pipeline.read.page_cache import load_intake
from pipeline.read.piece import ReadOptions, read_piece
from pipeline.settings import Limits
from pipeline.store.storage import LocalStore
from pipeline.types import FileKind


def _pdf(tmp_path: Path, pages: int) -> Path:
    rng = np.random.default_rng(4)
    return write_text_pdf(
        tmp_path / "piece.pdf", [french_page_text(rng, lines=8) for _ in range(pages)]
    )


class Fetches:
    """Gives a local file like the flow's download, counting how often it is asked for."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0

    @contextmanager
    def __call__(self) -> Iterator[Path]:
        self.count += 1
        yield self.path


def test_a_piece_read_once_is_served_from_the_caches_without_its_file(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    options = ReadOptions(limits=Limits(), page_workers=1)
    pdf = _pdf(tmp_path, 2)
    sha = "ef" * 32
    assert plan_cached(options, cache=store, sha256=sha) is None

    first = read_piece(pdf, options, cache=store, sha256=sha)
    assert first.error is None and first.intake is not None
    outcome = load_intake(store, sha, options.limits)
    assert outcome is not None and outcome.report == first.intake and outcome.error is None

    # The file is gone: only the caches can answer, so nothing is parsed again.
    pdf.unlink()
    again = read_piece(pdf, options, cache=store, sha256=sha)
    assert again.error is None and again.intake == first.intake
    assert again.intake_seconds == 0.0
    assert [p.text for p in again.pages] == [p.text for p in first.pages]
    assert all(page.cached for page in again.pages)
    plan = plan_cached(options, cache=store, sha256=sha)
    assert plan is not None and plan.todo == []
    whole = assemble_reading(plan, options, cache=store, fetch=Fetches(pdf))
    assert [p.n for p in whole.pages] == [1, 2] and all(p.cached for p in whole.pages)


def test_a_plan_reads_the_first_batch_and_assembly_never_inspects_again(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    options = ReadOptions(limits=Limits(), page_workers=1)
    pdf = _pdf(tmp_path, 3)
    sha = "cd" * 32
    fetch = Fetches(pdf)
    plan = plan_reading(fetch, options, cache=store, sha256=sha, first_pages=2)
    assert fetch.count == 1
    assert plan.intake is not None and plan.intake.kind is FileKind.PDF
    assert plan.intake.page_count == 3 and plan.done == [1, 2] and plan.todo == [3]
    assert plan.intake_seconds > 0
    assert plan_reading(fetch, options, cache=store, sha256=sha, first_pages=2).todo == [3]
    assert fetch.count == 1  # planned again from the caches alone

    read_piece(pdf, options, cache=store, sha256=sha, pages=plan.todo)
    whole = assemble_reading(plan, options, cache=store, fetch=fetch, fresh_pages=frozenset({3}))
    assert fetch.count == 1  # every page in the cache: the file is not fetched
    assert [p.n for p in whole.pages] == [1, 2, 3] and not any(p.cached for p in whole.pages)
    assert whole.intake_seconds == plan.intake_seconds

    stricter = ReadOptions(limits=Limits(max_pages=2), page_workers=1)
    assert load_intake(store, sha, stricter.limits) is None
    # Under the stricter limits the file is refused again, not served from the cache.
    refused = read_piece(pdf, stricter, cache=store, sha256=sha)
    assert refused.error is not None and refused.error.code == "TOO_MANY_PAGES"


def test_a_refusal_is_cached_and_the_file_not_parsed_again(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    options = ReadOptions(limits=Limits(max_pages=2), page_workers=1)
    pdf = _pdf(tmp_path, 3)
    sha = "ab" * 32
    fetch = Fetches(pdf)
    plan = plan_reading(fetch, options, cache=store, sha256=sha, first_pages=2)
    assert plan.error is not None and plan.error.code == "TOO_MANY_PAGES" and plan.todo == []
    outcome = load_intake(store, sha, options.limits)
    assert outcome is not None and outcome.error == plan.error

    pdf.unlink()  # a second parse would now fail otherwise
    again = read_piece(pdf, options, cache=store, sha256=sha)
    assert again.error == plan.error
    assert plan_reading(fetch, options, cache=store, sha256=sha, first_pages=2).error == plan.error
    assert fetch.count == 1
    assembled = assemble_reading(plan, options, cache=store, fetch=fetch)
    assert assembled.error == plan.error and fetch.count == 1
