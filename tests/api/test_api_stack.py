"""The API on the production shape: PostgreSQL, S3 (SeaweedFS), a Prefect server, the
`check-dossier` deployment run by a process worker, and a webhook to a local receiver."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ops import stack
from pipeline.store import backends, db, submissions
from pipeline.store.storage import S3Store
from tests.support.api_server import ServerProcess, start_serve
from tests.support.dossier_files import APPLICANT, BORN_DIGITAL_TEXT
from tests.support.stack import running_stack
from tests.support.webhook_receiver import Receiver

pytestmark = [pytest.mark.stack, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def running() -> Iterator[stack.StackState]:
    yield from running_stack("justif-api-stack-", worker=True)


@pytest.fixture(scope="module")
def server(running: stack.StackState) -> Iterator[ServerProcess]:
    env = {
        **stack.worker_env(running),
        "JUSTIF_API_REQUIRE_MODEL": "false",
        "JUSTIF_API_WEBHOOK_POLL_S": "0.5",
    }
    process = start_serve(Path(running.root) / "api", env)
    yield process
    process.stop()


def test_a_dossier_goes_through_the_deployment_on_postgresql_and_s3(
    running: stack.StackState, server: ServerProcess, tmp_path: Path
) -> None:
    from fixtures.textpages import write_text_pdf

    url = running.database_url()
    db.upgrade_database(url)
    engine = db.make_engine(url)
    sessions = db.session_factory(engine)
    backend = backends.create_backend(sessions, "stack")
    receiver = Receiver(secret=backend.callback_secret).start()
    pdf = write_text_pdf(tmp_path / "certificat.pdf", [BORN_DIGITAL_TEXT])
    try:
        with httpx.Client(
            base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {backend.token}"}
        ) as http:
            assert http.get("/readyz").json()["database"] is True
            response = http.post(
                "/api/v1/dossiers",
                data={
                    "procedure": "bourse-sanitaire-sociale",
                    "applicant": json.dumps(APPLICANT),
                    "callback_url": receiver.url,
                },
                files=[("files", ("certificat.pdf", pdf.read_bytes(), "application/pdf"))],
            )
            assert response.status_code == 202, response.text
            dossier_id = response.json()["id"]
            deadline = time.monotonic() + 300
            body: dict = {}
            while time.monotonic() < deadline:
                body = http.get(f"/api/v1/dossiers/{dossier_id}").json()
                if body["status"] in ("done", "failed"):
                    break
                time.sleep(1)
        assert body["status"] == "done", body
        while not receiver.accepted() and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        receiver.stop()
    (delivery,) = receiver.accepted()
    assert delivery.signature_ok and delivery.body["report"] == body["report"]
    store = S3Store(running.s3_endpoint, running.s3_access_key, running.s3_secret_key, stack.BUCKET)
    (version,) = submissions.report_versions(sessions, dossier_id)
    assert store.get_json(version.report_key) == body["report"]
    with sessions() as session:
        assert session.get(db.Dossier, dossier_id).status is db.DossierStatus.DECIDED
    engine.dispose()
