"""What the flows need beyond the library: the task runner and the retry condition.

The settings, store, database, model, trust list and procedures are built once
per process by `runtime` (free of Prefect, shared with the command line); they
are re-exported here so a flow asks one module for everything.
"""

from __future__ import annotations

from typing import Any

from prefect import Task
from prefect.client.schemas.objects import TaskRun
from prefect.states import State
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from sqlalchemy.exc import OperationalError

from pipeline.errors import StorageUnavailable
from pipeline.settings import Settings
from runtime import classifier, database, procedure, settings, store, trust_list

__all__ = [
    "classifier",
    "dask_task_runner",
    "database",
    "procedure",
    "retry_on_storage_error",
    "settings",
    "store",
    "task_runner",
    "trust_list",
]


def retry_on_storage_error(task: Task[..., Any], task_run: TaskRun, state: State) -> bool:
    """Retry only transient failures of the outside world, never deterministic ones.

    Transient: the object store still unavailable after its client's own retries,
    or the database connection lost (PostgreSQL restarting, failover). A missing
    object, a refused access, bad input or a bug fail at once.
    """
    try:
        state.result()
    except StorageUnavailable:
        return True
    except OperationalError as error:
        return bool(error.connection_invalidated) or _is_connection_failure(error)
    except Exception:
        return False
    return False


def _is_connection_failure(error: OperationalError) -> bool:
    """A connection that could not be made or was cut, as opposed to a failing statement."""
    import psycopg

    return isinstance(error.orig, psycopg.OperationalError) or "database is locked" in str(
        error.orig
    )


def task_runner(config: Settings | None = None) -> TaskRunner[Any]:
    """The runner that fans pages out: a Dask cluster when configured, else local threads.

    `JUSTIF_DASK_ADDRESS` names an existing scheduler (production); else
    `JUSTIF_DASK_LOCAL_WORKERS` > 0 starts a local cluster of that many worker
    processes for the flow run (one machine, several cores).
    """
    config = config or settings()
    if config.dask_address:
        return dask_task_runner(address=config.dask_address)
    if config.dask_local_workers:
        return dask_task_runner(local_workers=config.dask_local_workers)
    return ThreadPoolTaskRunner()


def dask_task_runner(*, address: str = "", local_workers: int = 0) -> TaskRunner[Any]:
    """A prefect-dask runner on a scheduler address, or on a new local cluster of processes."""
    import dask
    from prefect_dask import DaskTaskRunner

    # Reading a file forks an isolated child (pipeline.intake.isolation); daemonic Dask
    # workers may not have children, so workers must not be daemonic.
    dask.config.set({"distributed.worker.daemon": False})
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": local_workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        },
    )
