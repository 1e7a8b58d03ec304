"""End to end against the stack's real parts: SeaweedFS, PostgreSQL, Prefect server, a worker.

A backend drops a dossier into `incoming/` through the S3 API; the deployment
`ingest-incoming` (deployed from prefect.yaml) run by a process worker creates
it, checks it, and its results must appear in S3 and its state in PostgreSQL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from ops import stack
from pipeline.store import db, incoming, keys
from pipeline.store.storage import S3Store
from tests.support.dossier_files import APPLICANT, write_small_dossier
from tests.support.stack import running_stack

pytestmark = [pytest.mark.stack, pytest.mark.slow, pytest.mark.timeout(480)]

RESULT_TIMEOUT_S = 240.0


@pytest.fixture(scope="module")
def running() -> Iterator[stack.StackState]:
    yield from running_stack("justif-stack-", worker=False)


def _s3(state: stack.StackState) -> S3Store:
    return S3Store(state.s3_endpoint, state.s3_access_key, state.s3_secret_key, stack.BUCKET)


def _drop(store: S3Store, batch: str, files: list[Path], applicant: dict) -> None:
    for path in files:
        store.put_file(f"incoming/{batch}/{path.name}", path)
    manifest = {
        "procedure": "bourse-sanitaire-sociale",
        "applicant": applicant,
        "files": [{"name": path.name} for path in files],
    }
    store.put_bytes(f"incoming/{batch}/manifest.json", json.dumps(manifest).encode())


def _wait_for(what: str, condition, state: stack.StackState) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + RESULT_TIMEOUT_S
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(1.0)
    log = Path(state.root) / "logs" / "worker.log"
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:]) if log.exists() else ""
    pytest.fail(f"{what} did not happen within {RESULT_TIMEOUT_S:.0f} s; worker log:\n{tail}")


def test_a_dossier_dropped_in_incoming_is_checked_by_the_deployed_flows(
    running: stack.StackState, tmp_path: Path
) -> None:
    state = running
    store = _s3(state)
    files = write_small_dossier(tmp_path / "dossier")
    _drop(store, "lot-e2e-1", list(files.values()), APPLICANT)
    _drop(store, "lot-e2e-bad", [files["pdf"]], {"first_name": "Hélène"})
    dossier_id = incoming.dossier_id_for("lot-e2e-1")

    out = stack.prefect_cli(state, "deployment", "ls")
    for name in ("check-dossier", "ingest-incoming", "purge-expired"):
        assert name in out
    stack.start_worker(state)
    stack.prefect_cli(state, "deployment", "run", "ingest-incoming/ingest-incoming")

    # The batch is cleared only once its dossier is checked (report and state written).
    _wait_for(
        "the batch to be consumed", lambda: not list(store.list("incoming/lot-e2e-1/")), state
    )
    report_key = keys.report_key(dossier_id)
    report = store.get_json(report_key)
    assert report["dossier_id"] == dossier_id
    by_file = {piece["file"]: piece for piece in report["pieces"]}
    assert set(by_file) == {"certificat.pdf", "quittance.jpg", "vide.pdf"}
    assert by_file["quittance.jpg"]["pages"][0]["text_source"] == "ocr"
    assert by_file["vide.pdf"]["error"]["code"] == "EMPTY_FILE"
    for piece in report["pieces"]:
        if not piece["error"]:
            assert store.exists(keys.reading_key(dossier_id, piece["sha256"]))

    engine = db.make_engine(state.database_url())
    try:
        with db.session_factory(engine)() as session:
            dossier = session.get(db.Dossier, dossier_id)
            assert dossier is not None and dossier.procedure == "bourse-sanitaire-sociale"
            pieces = session.scalars(select(db.Piece).where(db.Piece.dossier_id == dossier_id))
            assert sorted(p.original_name for p in pieces) == sorted(by_file)
            actions = session.scalars(
                select(db.AuditEvent.action).where(db.AuditEvent.dossier_id == dossier_id)
            ).all()
            assert "dossier.checked" in actions
    finally:
        engine.dispose()

    # The batch is consumed once; the malformed one stays with its error report.
    _wait_for("the batch clean-up", lambda: not list(store.list("incoming/lot-e2e-1/")), state)
    error = store.get_json("incoming/lot-e2e-bad/error.json")
    assert error["code"] == "INVALID_INCOMING" and "demandeur" in error["message"]
    assert store.exists("incoming/lot-e2e-bad/manifest.json")
