"""Retention on a real local store and SQLite database, with a fake clock (`now` passed in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.rules.procedures import load_procedures
from pipeline.store import db, keys, retention
from pipeline.store.storage import LocalStore

DECIDED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SHA_A, SHA_B, SHA_SHARED = "a" * 64, "b" * 64, "c" * 64


@pytest.fixture
def world(tmp_path: Path) -> tuple[LocalStore, sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    db.upgrade_database(url)
    return LocalStore(tmp_path / "store"), db.session_factory(db.make_engine(url))


def _dossier(
    store: LocalStore,
    sessions: sessionmaker[Session],
    dossier_id: str,
    procedure: str,
    shas: list[str],
    decided_at: datetime | None,
) -> None:
    with sessions.begin() as session:
        session.add(
            db.Dossier(
                id=dossier_id, procedure=procedure, decided_at=decided_at, created_at=DECIDED
            )
        )
        for position, sha in enumerate(shas, start=1):
            session.add(
                db.Piece(
                    dossier_id=dossier_id,
                    sha256=sha,
                    original_name=f"f{position}.pdf",
                    position=position,
                    size_bytes=3,
                    status=db.PieceState.VALID,
                )
            )
    for sha in shas:
        store.put_bytes(keys.original_key(dossier_id, sha), b"PDF")
        store.put_json(keys.reading_key(dossier_id, sha), {"pages": [{"text": "Jean Dupont"}]})
        store.put_json(keys.page_cache_key(sha, 1), {"page": {"text": "Jean Dupont"}})
    report = {
        "dossier_id": dossier_id,
        "decision": "complete",
        "pieces": [
            {
                "sha256": s,
                "fields": {"nom": {"value": "Dupont", "evidence": "Jean Dupont"}},
                "pages": [{"n": 1, "chars": 11}],
            }
            for s in shas
        ],
    }
    store.put_json(keys.report_key(dossier_id), report)
    store.put_json(keys.report_history_key(dossier_id, "20250301T120000Z"), report)


def test_nothing_expires_before_the_end_of_the_retention(world) -> None:
    store, sessions = world
    _dossier(store, sessions, "dossier-one", "bourse-sanitaire-sociale", [SHA_A], DECIDED)
    procedures = load_procedures()
    just_before = DECIDED + timedelta(days=365) - timedelta(seconds=1)
    assert retention.expired_dossiers(sessions, procedures, now=just_before) == []
    at_end = retention.expired_dossiers(sessions, procedures, now=DECIDED + timedelta(days=365))
    assert [e.dossier_id for e in at_end] == ["dossier-one"]


def test_undecided_and_longer_retention_dossiers_are_kept(world) -> None:
    store, sessions = world
    _dossier(store, sessions, "dossier-open", "bourse-sanitaire-sociale", [SHA_A], None)
    _dossier(store, sessions, "dossier-firm", "aide-entreprise", [SHA_B], DECIDED)  # 1825 days
    now = DECIDED + timedelta(days=400)
    assert retention.expired_dossiers(sessions, load_procedures(), now=now) == []


def test_purge_deletes_documents_keeps_stripped_reports_and_audits(world) -> None:
    store, sessions = world
    _dossier(
        store, sessions, "dossier-old", "bourse-sanitaire-sociale", [SHA_A, SHA_SHARED], DECIDED
    )
    # The shared file is still needed by a recent dossier: its page cache must stay.
    recent = DECIDED + timedelta(days=300)
    _dossier(store, sessions, "dossier-new", "bourse-sanitaire-sociale", [SHA_SHARED], recent)
    now = DECIDED + timedelta(days=366)
    [expired] = retention.expired_dossiers(sessions, load_procedures(), now=now)
    purged = retention.purge_dossier(store, sessions, expired, now=now)

    assert sorted(purged.originals) == sorted([SHA_A, SHA_SHARED])
    prefix = keys.dossier_prefix("dossier-old")
    assert list(store.list(prefix + "files/")) == []
    assert list(store.list(prefix + "readings/")) == []
    assert list(store.list(keys.page_cache_prefix(SHA_A))) == []
    assert store.exists(keys.page_cache_key(SHA_SHARED, 1))
    assert store.exists(keys.original_key("dossier-new", SHA_SHARED))
    for key in [keys.report_key("dossier-old"), *store.list(prefix + "reports/")]:
        kept = store.get_json(key)
        assert kept["decision"] == "complete" and kept["purged_at"] == now.isoformat()
        assert "Jean" not in str(kept) and kept["pieces"][0]["pages"][0]["chars"] == 11

    with sessions() as session:
        events = session.scalars(
            select(db.AuditEvent).where(db.AuditEvent.dossier_id == "dossier-old")
        ).all()
    by_action = sorted(e.action for e in events)
    assert by_action == ["dossier.purged", "piece.original_deleted", "piece.original_deleted"]
    assert all(e.at == now for e in events)
    assert {e.detail["sha256"] for e in events if e.action == "piece.original_deleted"} == {
        SHA_A,
        SHA_SHARED,
    }
    summary = next(e for e in events if e.action == "dossier.purged")
    assert summary.detail["reason"] == "retention_expired"
    assert summary.detail["retention_days"] == 365
    assert summary.detail["expires_at"] == (DECIDED + timedelta(days=365)).isoformat()

    # Purged once: a later night finds nothing more to do for it.
    later = retention.expired_dossiers(sessions, load_procedures(), now=now + timedelta(days=1))
    assert later == []


def test_the_shared_cache_goes_when_its_last_dossier_is_purged(world) -> None:
    store, sessions = world
    _dossier(store, sessions, "dossier-old", "bourse-sanitaire-sociale", [SHA_SHARED], DECIDED)
    _dossier(
        store,
        sessions,
        "dossier-two",
        "bourse-sanitaire-sociale",
        [SHA_SHARED],
        DECIDED + timedelta(days=10),
    )
    now = DECIDED + timedelta(days=400)
    expired = retention.expired_dossiers(sessions, load_procedures(), now=now)
    assert [e.dossier_id for e in expired] == ["dossier-old", "dossier-two"]
    retention.purge_dossier(store, sessions, expired[0], now=now)
    assert store.exists(keys.page_cache_key(SHA_SHARED, 1))
    retention.purge_dossier(store, sessions, expired[1], now=now)
    assert not store.exists(keys.page_cache_key(SHA_SHARED, 1))
