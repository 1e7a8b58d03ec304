"""What every flow needs from the outside world, built once per process from the settings.

Flows are entry points (a worker imports them directly), so this is one of the
few places allowed to read the configuration.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from prefect import Task
from prefect.client.schemas.objects import TaskRun
from prefect.states import State

from pipeline.errors import StorageError
from pipeline.settings import Settings
from pipeline.storage import ObjectStore, open_store


@cache
def settings() -> Settings:
    return Settings()


@cache
def store() -> ObjectStore:
    return open_store(settings())


@cache
def database() -> Any:
    """A SQLAlchemy session factory on the migrated database."""
    from pipeline import db

    url = settings().resolved_database_url
    db.upgrade_database(url)
    return db.session_factory(db.make_engine(url))


def retry_on_storage_error(task: Task[..., Any], task_run: TaskRun, state: State) -> bool:
    """Retry only transient failures of the outside world, never deterministic ones."""
    try:
        state.result()
    except StorageError:
        return True
    except Exception:
        return False
    return False
