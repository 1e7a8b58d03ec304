"""One real `justif serve` process per module, on SQLite and the folder store of its own home,
with small limits so that the refusals are cheap to reach."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from pipeline.store import db
from pipeline.store.backends import NewBackend, create_backend
from tests.support.api_server import ServerProcess, start_serve
from tests.support.webhook_receiver import Receiver

MAX_BODY_BYTES = 3_000_000
MAX_FILES = 5
MAX_FILE_BYTES = 1_000_000
RATE_BURST = 40
SERVER_ENV = {
    "JUSTIF_API_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
    "JUSTIF_API_MAX_FILES": str(MAX_FILES),
    "JUSTIF_LIMIT_MAX_BYTES": str(MAX_FILE_BYTES),
    "JUSTIF_API_RATE_PER_MINUTE": "600",
    "JUSTIF_API_RATE_BURST": str(RATE_BURST),
    "JUSTIF_API_QUEUE_POLL_S": "0.2",
    "JUSTIF_API_WEBHOOK_POLL_S": "0.3",
    # No document-type model is trained in tests: ready all the same.
    "JUSTIF_API_REQUIRE_MODEL": "false",
}


@pytest.fixture(scope="module")
def api_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("api-home")


@pytest.fixture(scope="module")
def sessions(api_home: Path) -> sessionmaker[Session]:
    url = f"sqlite:///{api_home / 'justif.db'}"
    db.upgrade_database(url)
    return db.session_factory(db.make_engine(url))


@pytest.fixture(scope="module")
def backends(sessions: sessionmaker[Session]) -> dict[str, NewBackend]:
    return {name: create_backend(sessions, name) for name in ("alpha", "beta", "throttled")}


@pytest.fixture(scope="module")
def receiver(backends: dict[str, NewBackend]) -> Iterator[Receiver]:
    receiver = Receiver(secret=backends["alpha"].callback_secret).start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def server(api_home: Path, backends: dict[str, NewBackend]) -> Iterator[ServerProcess]:
    process = start_serve(api_home, SERVER_ENV)
    yield process
    process.stop()


def client(server: ServerProcess, backend: NewBackend | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {backend.token}"} if backend else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


def wait_done(
    http: httpx.Client, dossier_id: str, *, version: int = 1, timeout_s: float = 240
) -> dict[str, Any]:
    """Poll until the dossier's report of `version` is there (or it failed)."""
    deadline = time.monotonic() + timeout_s
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = http.get(f"/api/v1/dossiers/{dossier_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] == "failed" or (
            body["status"] == "done" and body["report_version"] == version
        ):
            return body
        time.sleep(0.5)
    raise AssertionError(f"dossier {dossier_id} not done in time: {body.get('status')}")
