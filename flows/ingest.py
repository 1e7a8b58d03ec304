"""The `ingest-incoming` flow: dossiers dropped under incoming/ become checked dossiers, once."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, task

from flows import prefect_runtime as runtime
from flows.check_dossier import check_dossier
from pipeline.errors import InvalidIncoming
from pipeline.rules.procedures import Procedure, load_procedures
from pipeline.store import incoming


def _procedures() -> dict[str, Procedure]:
    return load_procedures(runtime.settings().procedures_dir)


@task(
    name="ingest-batch",
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=runtime.retry_on_storage_error,
    task_run_name="ingest-batch-{batch}",
)
def ingest_batch_task(batch: str) -> str | None:
    """The batch's dossier id, or None when the batch is malformed (reported in place)."""
    store = runtime.store()
    now = datetime.now(UTC)
    try:
        return incoming.ingest_batch(store, _procedures(), batch, now=now).dossier_id
    except InvalidIncoming as error:
        incoming.report_invalid(store, batch, error, now=now)
        return None


@task(name="clear-batch", retries=2, retry_delay_seconds=[1, 5])
def clear_batch_task(batch: str) -> None:
    incoming.clear_batch(runtime.store(), batch)


@flow(name="ingest-incoming", log_prints=False)
def ingest_incoming() -> list[str]:
    """Create and check every complete batch under incoming/; returns the dossiers checked."""
    checked: list[str] = []
    for batch in incoming.pending_batches(runtime.store()):
        dossier_id = ingest_batch_task(batch)
        if dossier_id is None:
            continue
        # A batch seen again after a crash: its dossier may be checked already.
        if incoming.needs_check(runtime.store(), dossier_id):
            check_dossier(dossier_id)
            checked.append(dossier_id)
        clear_batch_task(batch)
    return checked
