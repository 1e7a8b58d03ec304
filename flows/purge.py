"""The `purge-expired` flow (nightly): retention rules live in pipeline/store/retention.py."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, task

from flows import prefect_runtime as runtime
from pipeline.rules.procedures import load_procedures
from pipeline.store import retention


@task(
    name="purge-dossier",
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=runtime.retry_on_storage_error,
    task_run_name="purge-{expired.dossier_id}",
)
def purge_dossier_task(expired: retention.Expired, now: datetime) -> int:
    return retention.purge_dossier(
        runtime.store(), runtime.database(), expired, now=now
    ).deleted_keys


@flow(name="purge-expired", log_prints=False)
def purge_expired(now: datetime | None = None) -> list[str]:
    """Purge every dossier past its retention at `now` (default: the current time)."""
    now = now or datetime.now(UTC)
    expired = retention.expired_dossiers(
        runtime.database(), load_procedures(runtime.settings().procedures_dir), now=now
    )
    for item in expired:
        purge_dossier_task(item, now)
    return [item.dossier_id for item in expired]
