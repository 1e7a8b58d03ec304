"""The `check-dossier` flow: read every piece of a stored dossier, check it, persist the report.

The stages and their order are `pipeline/sequence.py`'s; this flow adds only
what a flow is for: the fan-out of a dossier's pages over workers (threads or
Dask) and the retries of storage failures. Each task is a few lines around one
library call and passes object keys and small plans, never document bytes or
texts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from prefect import flow, task, unmapped
from pydantic import BaseModel

from flows import prefect_runtime as runtime
from pipeline import sequence
from pipeline.decide import report
from pipeline.read import fanout
from pipeline.read.piece import ReadOptions
from pipeline.store import keys, state
from pipeline.store.dossiers import load_manifest, store_dossier
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


def _fetch(dossier_id: str, sha256: str) -> fanout.Fetch:
    """Fetches the piece's original when called: only if a step needs the file itself."""
    return partial(_original, dossier_id, sha256)


@task(
    name="plan-piece",
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=runtime.retry_on_storage_error,
    task_run_name="plan-piece-{sha256:.12}",
)
def plan_piece_task(dossier_id: str, sha256: str) -> fanout.ReadingPlan:
    """Intake's outcome and the pages still to read; the first batch is read on the way."""
    return sequence.plan_reading(
        _fetch(dossier_id, sha256),
        _read_options(),
        cache=runtime.store(),
        sha256=sha256,
        first_pages=runtime.settings().page_batch_size,
    )


@task(
    name="read-pages",
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=runtime.retry_on_storage_error,
    task_run_name="read-pages-{sha256:.12}-{pages}",
)
def read_pages_task(dossier_id: str, sha256: str, pages: list[int]) -> fanout.BatchDone:
    """Read a batch of pages into the page cache; the texts stay there, not in the result.

    Intake's outcome is in the cache since the plan: the file is not inspected again.
    """
    with _original(dossier_id, sha256) as local:
        sequence.read_piece(
            local, _read_options(), cache=runtime.store(), sha256=sha256, pages=pages
        )
    return fanout.BatchDone(sha256=sha256, pages=pages, worker=fanout.worker_identity())


@task(
    name="assemble-piece",
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=runtime.retry_on_storage_error,
    task_run_name="assemble-piece-{plan.sha256:.12}",
)
def assemble_piece_task(dossier_id: str, plan: fanout.ReadingPlan, fresh_pages: list[int]) -> str:
    """One reading per piece from its plan and the page cache, stored under the dossier."""
    cache = runtime.store()
    reading = sequence.assemble_reading(
        plan,
        _read_options(),
        cache=cache,
        fetch=_fetch(dossier_id, plan.sha256),
        fresh_pages=frozenset(fresh_pages),
    )
    key = keys.reading_key(dossier_id, plan.sha256)
    cache.put_json(key, reading.model_dump(mode="json"))
    return key


def read_phase(dossier_id: str) -> ReadPhase:
    """Plan each distinct piece, fan the pages left over out in batches, reassemble.

    Runs inside a flow; the flow's task runner (threads or Dask) spreads the
    plans and the batches.
    """
    manifest = load_manifest(runtime.store(), dossier_id)
    unique = list(dict.fromkeys(entry.sha256 for entry in manifest.files))
    plans = [future.result() for future in plan_piece_task.map(unmapped(dossier_id), unique)]
    size = runtime.settings().page_batch_size
    work = [
        (plan.sha256, batch) for plan in plans for batch in fanout.page_batches(plan.todo, size)
    ]
    reads = read_pages_task.map(
        unmapped(dossier_id), [sha for sha, _ in work], [batch for _, batch in work]
    )
    done = [
        fanout.BatchDone(sha256=plan.sha256, pages=plan.done, worker=plan.worker)
        for plan in plans
        if plan.done
    ]
    done += [future.result() for future in reads]
    fresh = {
        sha: [n for batch in done if batch.sha256 == sha for n in batch.pages] for sha in unique
    }
    assembled = assemble_piece_task.map(
        unmapped(dossier_id), plans, [fresh[plan.sha256] for plan in plans]
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
    built = sequence.check_dossier(
        manifest,
        runtime.procedure(manifest.procedure),
        readings,
        runtime.classifier(),
        runtime.trust_list(),
    ).model_dump(mode="json")
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


def check_files(
    files: list[Path],
    procedure: str,
    applicant: dict[str, Any],
    as_of: date | None,
    *,
    on_stored: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Store the files as one dossier and check it with the flow; returns the report.

    `on_stored` is told the dossier's id once it is stored, before the check.
    Raises the `JustifError` of an invalid submission or a storage failure.
    """
    manifest = store_dossier(
        runtime.store(),
        procedure=procedure,
        files=[(path.name, path) for path in files],
        applicant=applicant,
        as_of=as_of,
    )
    if on_stored:
        on_stored(manifest.dossier_id)
    return check_dossier(manifest.dossier_id)
