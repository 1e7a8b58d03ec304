"""Which failures the flows' tasks retry: transient outside-world failures only, made for real."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.states import Failed
from sqlalchemy import text

from flows import prefect_runtime as runtime
from flows.check_dossier import read_pages_task
from ops.stack import free_ports
from pipeline.errors import ObjectNotFound, StorageError, StorageUnavailable
from pipeline.store import db
from pipeline.store.storage import LocalStore, S3Store
from tests.support.s3server import S3Server


def _retried(error: BaseException) -> bool:
    return runtime.retry_on_storage_error(read_pages_task, None, Failed(data=error))  # type: ignore[arg-type]


def _raised(action) -> BaseException:  # type: ignore[no-untyped-def]
    with pytest.raises(Exception) as caught:
        action()
    return caught.value


def test_an_unreachable_s3_server_is_retried() -> None:
    [port] = free_ports(1)  # nothing listens there
    error = _raised(
        lambda: S3Store(f"127.0.0.1:{port}", "k", "s", "justif-test", attempts=2, backoff_s=0.01)
    )
    assert isinstance(error, StorageUnavailable)
    assert _retried(error)


def test_refused_credentials_and_missing_objects_are_not_retried(
    s3_server: S3Server, tmp_path: Path
) -> None:
    denied = _raised(
        lambda: S3Store(s3_server.endpoint, s3_server.access_key, "wrong", "justif-test")
    )
    assert isinstance(denied, StorageError) and not isinstance(denied, StorageUnavailable)
    assert not _retried(denied)
    missing = _raised(lambda: LocalStore(tmp_path).get_bytes("dossiers/none/manifest.json"))
    assert isinstance(missing, ObjectNotFound)
    assert not _retried(missing)


def test_a_lost_database_connection_is_retried_a_bad_statement_is_not(tmp_path: Path) -> None:
    [port] = free_ports(1)
    engine = db.make_engine(f"postgresql+psycopg://justif:x@127.0.0.1:{port}/justif")
    unreachable = _raised(lambda: engine.connect().close())
    assert _retried(unreachable)
    sqlite = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with sqlite.connect() as connection:
        bad = _raised(lambda: connection.execute(text("SELECT * FROM no_such_table")))
    assert not _retried(bad)


def test_bugs_and_bad_input_are_not_retried() -> None:
    assert not _retried(ValueError("bug"))
    assert not _retried(KeyError("bug"))
