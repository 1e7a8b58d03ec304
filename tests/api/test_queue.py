"""The check queue on real SQLite: leases, transient retries, failures with a reason."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from justif.api.config import ApiSettings
from justif.api.worker import CheckWorker
from pipeline.errors import StorageUnavailable
from pipeline.store import backends, db, submissions
from pipeline.store.dossiers import Manifest, ManifestFile


@pytest.fixture()
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    url = f"sqlite:///{tmp_path / 'justif.db'}"
    db.upgrade_database(url)
    return db.session_factory(db.make_engine(url))


def _queued(sessions: sessionmaker[Session], dossier_id: str = "a" * 32) -> str:
    backend = backends.create_backend(sessions, f"b-{dossier_id[:4]}")
    manifest = Manifest(
        dossier_id=dossier_id,
        procedure="bourse-sanitaire-sociale",
        files=[ManifestFile(name="a.pdf", sha256="0" * 64, size_bytes=1)],
        submitted_at=db.utc_now() - timedelta(seconds=1),
    )
    with sessions.begin() as session:
        submissions.create_submission(
            session,
            manifest,
            backend_id=backend.id,
            request_sha256="x",
            external_ref=None,
            callback_url=None,
            idempotency_key=None,
        )
    return dossier_id


def test_an_expired_lease_lets_another_worker_take_the_dossier(
    sessions: sessionmaker[Session],
) -> None:
    dossier_id = _queued(sessions)
    now = db.utc_now()
    first = submissions.claim_next(sessions, owner="A", now=now, lease_s=30)
    assert first is not None and first.dossier_id == dossier_id and first.attempts == 1
    assert submissions.claim_next(sessions, owner="B", now=now, lease_s=30) is None
    later = now + timedelta(seconds=31)  # A died: nobody renewed its lease
    second = submissions.claim_next(sessions, owner="B", now=later, lease_s=30)
    assert second is not None and second.attempts == 2
    # A, back from the dead, can no longer renew or fail the dossier.
    assert not submissions.renew_lease(sessions, dossier_id, owner="A", now=later, lease_s=30)


def _run_worker(sessions: sessionmaker[Session], runner, claims: int) -> None:  # type: ignore[no-untyped-def]
    api = ApiSettings(check_max_attempts=3)
    worker = CheckWorker(sessions, api, runner, threading.Event())
    for _ in range(claims):
        # Transient retries wait seconds: the test takes the dossier when due, not sooner.
        with sessions.begin() as session:
            session.query(db.ApiSubmission).update({"next_attempt_at": db.utc_now()})
        claim = submissions.claim_next(sessions, owner=worker.owner, now=db.utc_now(), lease_s=60)
        assert claim is not None
        worker.process(claim)


def test_a_transient_failure_is_retried_then_fails_with_a_reason(
    sessions: sessionmaker[Session],
) -> None:
    dossier_id = _queued(sessions)
    calls: list[str] = []

    def storage_down(dossier: str) -> None:
        calls.append(dossier)
        raise StorageUnavailable("Stockage indisponible.", detail="test: S3 down")

    _run_worker(sessions, storage_down, claims=2)
    submission = submissions.get_submission(sessions, dossier_id)
    assert submission is not None and submission.state is db.SubmissionState.QUEUED
    _run_worker(sessions, storage_down, claims=1)
    submission = submissions.get_submission(sessions, dossier_id)
    assert submission is not None and submission.state is db.SubmissionState.FAILED
    assert submission.failure == {
        "code": "STORAGE_UNAVAILABLE",
        "message": "Stockage indisponible.",
    }
    assert calls == [dossier_id] * 3
    with sessions() as session:
        assert session.get(db.Dossier, dossier_id).status is db.DossierStatus.FAILED


def test_a_bug_fails_at_once_without_internals(sessions: sessionmaker[Session]) -> None:
    dossier_id = _queued(sessions)

    def broken(_dossier: str) -> None:
        raise KeyError("Dupont")  # an exception text may quote a document

    _run_worker(sessions, broken, claims=1)
    submission = submissions.get_submission(sessions, dossier_id)
    assert submission is not None and submission.state is db.SubmissionState.FAILED
    assert submission.failure["code"] == "CHECK_FAILED"
    assert "Dupont" not in str(submission.failure)
