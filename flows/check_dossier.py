"""The `check-dossier` flow: read every piece of a stored dossier and persist the results.

Thin on purpose: each task is a few lines around one library call and passes
object keys, never document bytes or texts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prefect import flow, task, unmapped
from pydantic import BaseModel

from flows import runtime
from pipeline.decide import report
from pipeline.read import fanout
from pipeline.read.piece import ReadOptions, read_cached_piece, read_piece
from pipeline.store import keys, state
from pipeline.store.dossiers import load_manifest
from pipeline.types import PieceReading


class ReadPhase(BaseModel):
    """Outcome of the read phase: one reading key per distinct piece, and who read what."""

    reading_keys: list[str]
    batches: list[fanout.BatchDone]


def _read_options() -> ReadOptions:
    settings = runtime.settings()
    return ReadOptions(
        limits=settings.limits,
        languages=settings.ocr_languages,
        page_workers=settings.page_workers,
    )


@contextmanager
def _original(dossier_id: str, sha256: str) -> Iterator[Path]:
    """The piece's original downloaded to a private temporary file, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="justif-piece-") as folder:
        local = Path(folder) / "original"
        runtime.store().download(keys.original_key(dossier_id, sha256), local)
        yield local


class PiecePlan(BaseModel):
    """Pages of one piece still to read in batches, and the batch the planning step read itself."""

    batches: list[list[int]]
    done: fanout.BatchDone | None = None


@task(
    name="plan-piece",
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=runtime.retry_on_storage_error,
    task_run_name="plan-piece-{sha256:.12}",
)
def plan_piece_task(dossier_id: str, sha256: str) -> PiecePlan:
    """Batches of the pages still to read (none when all are cached or the file is refused).

    A content seen for the first time is fetched once, and its intake and first
    batch of pages run in one isolated child: most pieces have a page or two,
    so they need no other read task.
    """
    options, cache = _read_options(), runtime.store()
    size = runtime.settings().page_batch_size
    todo = fanout.cached_pages_to_read(options, cache=cache, sha256=sha256)
    if todo is not None:
        return PiecePlan(batches=fanout.page_batches(todo, size))
    first = list(range(1, size + 1))
    with _original(dossier_id, sha256) as local:
        reading = read_piece(local, options, cache=cache, sha256=sha256, pages=first)
    if reading.error is not None:
        # Refused: the assembly step reads it again and records the refusal.
        return PiecePlan(batches=[])
    rest = fanout.cached_pages_to_read(options, cache=cache, sha256=sha256) or []
    done = fanout.BatchDone(
        sha256=sha256,
        pages=[page.n for page in reading.pages if not page.cached],
        worker=fanout.worker_identity(),
    )
    return PiecePlan(batches=fanout.page_batches(rest, size), done=done)


@task(
    name="read-pages",
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=runtime.retry_on_storage_error,
    task_run_name="read-pages-{sha256:.12}-{pages}",
)
def read_pages_task(dossier_id: str, sha256: str, pages: list[int]) -> fanout.BatchDone:
    """Read a batch of pages into the page cache; the texts stay there, not in the result."""
    with _original(dossier_id, sha256) as local:
        read_piece(local, _read_options(), cache=runtime.store(), sha256=sha256, pages=pages)
    return fanout.BatchDone(sha256=sha256, pages=pages, worker=fanout.worker_identity())


@task(
    name="assemble-piece",
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=runtime.retry_on_storage_error,
    task_run_name="assemble-piece-{sha256:.12}",
)
def assemble_piece_task(dossier_id: str, sha256: str, fresh_pages: list[int]) -> str:
    """One reading per piece from the caches (the original is fetched only if a page is missing)."""
    options, cache = _read_options(), runtime.store()
    reading = read_cached_piece(options, cache=cache, sha256=sha256)
    if reading is None:
        with _original(dossier_id, sha256) as local:
            reading = read_piece(local, options, cache=cache, sha256=sha256)
    # Pages read by this run's batches came through the cache but are not reused results.
    fresh = set(fresh_pages)
    pages = [
        page.model_copy(update={"cached": False}) if page.n in fresh else page
        for page in reading.pages
    ]
    reading = reading.model_copy(update={"pages": pages})
    key = keys.reading_key(dossier_id, sha256)
    cache.put_json(key, reading.model_dump(mode="json"))
    return key


def read_phase(dossier_id: str) -> ReadPhase:
    """Fan the dossier's pages out in batches, then reassemble one reading per piece.

    Runs inside a flow; the flow's task runner (threads or Dask) spreads the
    plans and the batches.
    """
    manifest = load_manifest(runtime.store(), dossier_id)
    unique = list(dict.fromkeys(entry.sha256 for entry in manifest.files))
    plans = [future.result() for future in plan_piece_task.map(unmapped(dossier_id), unique)]
    work = [(sha, batch) for sha, plan in zip(unique, plans, strict=True) for batch in plan.batches]
    reads = read_pages_task.map(
        unmapped(dossier_id), [sha for sha, _ in work], [batch for _, batch in work]
    )
    done = [plan.done for plan in plans if plan.done is not None]
    done += [future.result() for future in reads]
    fresh = {
        sha: [n for batch in done if batch.sha256 == sha for n in batch.pages] for sha in unique
    }
    assembled = assemble_piece_task.map(
        unmapped(dossier_id), unique, [fresh[sha] for sha in unique]
    )
    return ReadPhase(reading_keys=[future.result() for future in assembled], batches=done)


@task(
    name="write-report",
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=runtime.retry_on_storage_error,
)
def write_report_task(dossier_id: str, reading_keys: list[str]) -> str:
    """Classify, extract, apply the procedure's rules and decide; store the report."""
    store = runtime.store()
    manifest = load_manifest(store, dossier_id)
    readings = {
        reading.sha256: reading
        for reading in (PieceReading.model_validate(store.get_json(key)) for key in reading_keys)
    }
    classifier = runtime.classifier()
    classifications = {
        sha: classifier.classify(reading) if classifier else None
        for sha, reading in readings.items()
    }
    built = report.build_report(
        manifest,
        runtime.procedure(manifest.procedure),
        readings,
        classifications,
        trust=runtime.trust_list(),
    )
    report.save_report(store, built)
    state.record_report(runtime.database(), manifest, built, actor="flow:check-dossier")
    return keys.report_key(dossier_id)


@flow(name="check-dossier", log_prints=False, task_runner=runtime.task_runner())
def check_dossier(dossier_id: str) -> dict[str, Any]:
    """Check one dossier already stored under dossiers/<id>/; returns the report."""
    reading_keys = read_phase(dossier_id).reading_keys
    report_key = write_report_task(dossier_id, reading_keys)
    result: dict[str, Any] = runtime.store().get_json(report_key)
    return result
