"""The `check-dossier` flow: read every piece of a stored dossier and persist the results.

Thin on purpose: each task is a few lines around one library call and passes
object keys, never document bytes or texts.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from prefect import flow, task, unmapped

from flows import runtime
from pipeline import keys, report, state
from pipeline.dossiers import load_manifest
from pipeline.piece import ReadOptions, read_piece
from pipeline.types import PieceReading


@task(
    name="read-piece",
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=runtime.retry_on_storage_error,
    task_run_name="read-piece-{sha256:.12}",
)
def read_piece_task(dossier_id: str, sha256: str) -> str:
    """Read one piece (pages batched inside) and store its full reading; returns its key."""
    settings = runtime.settings()
    store = runtime.store()
    options = ReadOptions(
        limits=settings.limits,
        languages=settings.ocr_languages,
        page_workers=settings.page_workers,
    )
    with tempfile.TemporaryDirectory(prefix="justif-piece-") as folder:
        local = Path(folder) / "original"
        store.download(keys.original_key(dossier_id, sha256), local)
        reading = read_piece(local, options, cache=store, sha256=sha256)
    key = keys.reading_key(dossier_id, sha256)
    store.put_json(key, reading.model_dump(mode="json"))
    return key


@task(
    name="write-report",
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=runtime.retry_on_storage_error,
)
def write_report_task(dossier_id: str, reading_keys: list[str]) -> str:
    store = runtime.store()
    manifest = load_manifest(store, dossier_id)
    readings = [PieceReading.model_validate(store.get_json(key)) for key in reading_keys]
    built = report.build_report(manifest, readings)
    report.save_report(store, built)
    state.record_report(runtime.database(), manifest, built, actor="flow:check-dossier")
    return keys.report_key(dossier_id)


@flow(name="check-dossier", log_prints=False)
def check_dossier(dossier_id: str) -> dict[str, Any]:
    """Check one dossier already stored under dossiers/<id>/; returns the report."""
    manifest = load_manifest(runtime.store(), dossier_id)
    unique = list(dict.fromkeys(entry.sha256 for entry in manifest.files))
    futures = read_piece_task.map(unmapped(dossier_id), unique)
    reading_keys = [future.result() for future in futures]
    report_key = write_report_task(dossier_id, reading_keys)
    result: dict[str, Any] = runtime.store().get_json(report_key)
    return result
