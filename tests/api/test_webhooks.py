"""Webhook delivery from the outbox, on a clock the test moves: real SQLite, a real folder
store, a real receiver on loopback that checks signatures with its own HMAC code."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from pipeline.store import backends, db, keys, outbox, submissions
from pipeline.store.dossiers import Manifest, ManifestFile
from pipeline.store.storage import LocalStore
from pipeline.webhooks import signing
from pipeline.webhooks.delivery import deliver_due
from tests.support.webhook_receiver import Receiver

# The outbox stamps rows with the real clock; the test's clock starts a second later.
T0 = db.utc_now() + timedelta(seconds=1)
POLICY = outbox.RetryPolicy()


@pytest.fixture()
def world(tmp_path: Path) -> tuple[sessionmaker[Session], LocalStore]:
    url = f"sqlite:///{tmp_path / 'justif.db'}"
    db.upgrade_database(url)
    return db.session_factory(db.make_engine(url)), LocalStore(tmp_path / "store")


def _reported_dossier(
    sessions: sessionmaker[Session], store: LocalStore, receiver: Receiver
) -> str:
    """A dossier submitted with a callback whose report was just recorded (one outbox row)."""
    backend = backends.create_backend(sessions, "b", callback_secret=receiver.secret)
    manifest = Manifest(
        dossier_id="d" * 32,
        procedure="bourse-sanitaire-sociale",
        files=[ManifestFile(name="a.pdf", sha256="0" * 64, size_bytes=1)],
        submitted_at=T0 - timedelta(seconds=1),
    )
    report = {
        "dossier_id": manifest.dossier_id,
        "decision": "to_review",
        "generated_at": "2026-12-01T09:00:01+00:00",
        "pieces": [],
    }
    store.put_json(submissions.history_key(manifest.dossier_id, report), report)
    with sessions.begin() as session:
        submissions.create_submission(
            session,
            manifest,
            backend_id=backend.id,
            request_sha256="x",
            external_ref="REF",
            callback_url=receiver.url,
            idempotency_key=None,
        )
    with sessions.begin() as session:
        submissions.on_report_recorded(session, manifest.dossier_id, report)
        # Recording the same version again (a check re-run after a crash) adds nothing.
        submissions.on_report_recorded(session, manifest.dossier_id, report)
    return manifest.dossier_id


def _run_until(sessions, store, client, rng, *, until: datetime) -> int:  # type: ignore[no-untyped-def]
    """Deliver at each due time up to `until`; returns the number of passes."""
    passes = 0
    now = T0
    while now <= until:
        deliver_due(sessions, store, client, now=now, rng=rng, policy=POLICY)
        passes += 1
        pending = outbox.list_events(sessions, state=db.OutboxState.PENDING)
        if not pending:
            break
        now = max(now, min(e.next_attempt_at for e in pending))
    return passes


def test_a_receiver_failing_twice_gets_the_event_once_more_not_three_times(
    world: tuple[sessionmaker[Session], LocalStore],
) -> None:
    sessions, store = world
    receiver = Receiver(secret="s3cret", fail_first=2).start()
    try:
        dossier_id = _reported_dossier(sessions, store, receiver)
        with httpx.Client(timeout=5) as client:
            _run_until(sessions, store, client, random.Random(1), until=T0 + timedelta(days=3))
    finally:
        receiver.stop()
    assert [d.status for d in receiver.requests] == [503, 503, 200]
    assert all(d.signature_ok for d in receiver.requests)
    assert len({d.event_id for d in receiver.requests}) == 1  # the same event each time
    (delivered,) = receiver.accepted()
    assert delivered.body["dossier_id"] == dossier_id and delivered.body["version"] == 1
    (event,) = outbox.list_events(sessions)
    assert event.state is db.OutboxState.DELIVERED and event.attempts == 3


def test_dead_letter_after_the_retry_budget_then_replay(
    world: tuple[sessionmaker[Session], LocalStore],
) -> None:
    sessions, store = world
    receiver = Receiver(secret="s3cret", fail_first=10_000).start()
    try:
        _reported_dossier(sessions, store, receiver)
        with httpx.Client(timeout=5) as client:
            _run_until(sessions, store, client, random.Random(2), until=T0 + timedelta(days=3))
            (event,) = outbox.list_events(sessions)
            assert event.state is db.OutboxState.DEAD
            # About 24 h of attempts, backing off: many tries, but far fewer than one a minute.
            assert 10 <= event.attempts <= 40
            assert event.next_attempt_at - T0 > timedelta(hours=23)
            assert event.last_error == "HTTP 503"
            receiver.fail_first = 0
            receiver.requests.clear()
            assert outbox.replay(sessions, event.id, now=T0 + timedelta(days=4))
            deliver_due(
                sessions,
                store,
                client,
                now=T0 + timedelta(days=4),
                rng=random.Random(3),
                policy=POLICY,
            )
    finally:
        receiver.stop()
    assert [d.status for d in receiver.requests] == [200]
    (event,) = outbox.list_events(sessions)
    assert event.state is db.OutboxState.DELIVERED


def test_backoff_doubles_with_jitter_and_a_cap() -> None:
    rng = random.Random(4)
    for attempts in range(1, 15):
        base = min(POLICY.max_delay_s, POLICY.first_delay_s * 2 ** (attempts - 1))
        delay = POLICY.delay_s(attempts, rng)
        assert base * 0.5 <= delay <= base


def test_signature_refuses_a_changed_body_or_an_old_timestamp() -> None:
    body = b'{"a":1}'
    header = signing.signature("k", 1_000, body)
    assert header.startswith("v1=") and len(header) == 3 + 64
    ok = signing.verify("k", timestamp="1000", signature_header=header, body=body, now=1_100)
    assert ok
    assert not signing.verify(
        "k", timestamp="1000", signature_header=header, body=b'{"a":2}', now=1_100
    )
    assert not signing.verify(
        "k", timestamp="1000", signature_header=header, body=body, now=1_000 + 301
    )
    assert not signing.verify(
        "other", timestamp="1000", signature_header=header, body=body, now=1_100
    )


def test_the_outbox_row_exists_only_with_the_report_version(
    world: tuple[sessionmaker[Session], LocalStore],
) -> None:
    sessions, store = world
    receiver = Receiver(secret="s").start()
    try:
        dossier_id = _reported_dossier(sessions, store, receiver)
    finally:
        receiver.stop()
    versions = submissions.report_versions(sessions, dossier_id)
    assert [v.version for v in versions] == [1]
    assert store.exists(versions[0].report_key)
    assert versions[0].report_key == keys.report_history_key(dossier_id, "2026-12-01T090001Z0000")
    assert [(e.dossier_id, e.version) for e in outbox.list_events(sessions)] == [(dossier_id, 1)]
    submission = submissions.get_submission(sessions, dossier_id)
    assert submission is not None and submission.state is db.SubmissionState.DONE
