"""Retention: what to delete once a procedure's retention period after the decision is over.

Deleted: the originals, the full readings (page texts) and the page cache of
every file no longer needed by a dossier still within its retention. Kept: the
manifest (file names and digests), the reports with every text and evidence
stripped, and the database rows, so the outcome stays explainable. Each
deletion leaves an audit event (what, when, why). Time is a parameter (`now`),
never read from the clock here, so the rules are tested with a fake clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.rules.procedures import Procedure
from pipeline.store import db, keys
from pipeline.store.storage import ObjectStore

log = logging.getLogger(__name__)

ACTOR = "flow:purge-expired"
PURGED = "dossier.purged"
ORIGINAL_DELETED = "piece.original_deleted"
# Report entries that may quote the documents: dropped from the kept reports.
_TEXT_KEYS = frozenset({"text", "evidence", "words"})


@dataclass(frozen=True)
class Expired:
    dossier_id: str
    procedure: str
    decided_at: datetime
    expires_at: datetime
    retention_days: int


@dataclass(frozen=True)
class Purged:
    dossier_id: str
    originals: list[str]  # sha256 of the deleted originals
    deleted_keys: int


def expired_dossiers(
    sessions: sessionmaker[Session], procedures: dict[str, Procedure], *, now: datetime
) -> list[Expired]:
    """Decided dossiers whose retention ended at or before `now` and not purged yet."""
    with sessions() as session:
        purged = set(
            session.scalars(select(db.AuditEvent.dossier_id).where(db.AuditEvent.action == PURGED))
        )
        decided = session.execute(
            select(db.Dossier.id, db.Dossier.procedure, db.Dossier.decided_at)
            .where(db.Dossier.decided_at.is_not(None))
            .order_by(db.Dossier.decided_at)
        ).all()
    expired: list[Expired] = []
    for dossier_id, code, decided_at in decided:
        procedure = procedures.get(code)
        if procedure is None or decided_at is None or dossier_id in purged:
            continue  # an unknown procedure keeps its documents: never guess a period
        expires_at = decided_at + timedelta(days=procedure.retention_days)
        if expires_at <= now:
            expired.append(
                Expired(dossier_id, code, decided_at, expires_at, procedure.retention_days)
            )
    return expired


def strip_texts(value: Any) -> Any:
    """A copy of a report with every text, word and evidence entry removed."""
    if isinstance(value, dict):
        return {k: strip_texts(v) for k, v in value.items() if k not in _TEXT_KEYS}
    if isinstance(value, list):
        return [strip_texts(item) for item in value]
    return value


def purge_dossier(
    store: ObjectStore, sessions: sessionmaker[Session], expired: Expired, *, now: datetime
) -> Purged:
    """Delete the dossier's documents and texts, keep a stripped report, audit every deletion.

    Safe to run again after a crash: deleting a missing object is not an error,
    and the final audit event is what marks the dossier as purged.
    """
    prefix = keys.dossier_prefix(expired.dossier_id)
    originals = [key.rsplit("/", 1)[1] for key in store.list(prefix + "files/")]
    shas = _dossier_shas(sessions, expired.dossier_id) | set(originals)
    deleted = 0
    for key in [*store.list(prefix + "files/"), *store.list(prefix + "readings/")]:
        store.delete(key)
        deleted += 1
    for sha in sorted(shas - _shas_still_needed(sessions, expired.dossier_id)):
        for key in store.list(keys.page_cache_prefix(sha)):
            store.delete(key)
            deleted += 1
    for key in [keys.report_key(expired.dossier_id), *store.list(prefix + "reports/")]:
        if store.exists(key):
            store.put_json(key, {**strip_texts(store.get_json(key)), "purged_at": now.isoformat()})
    _audit(sessions, expired, originals, deleted, now=now)
    log.info("dossier %s purged (%d objects)", expired.dossier_id, deleted)
    return Purged(expired.dossier_id, originals, deleted)


def _dossier_shas(sessions: sessionmaker[Session], dossier_id: str) -> set[str]:
    with sessions() as session:
        return set(
            session.scalars(select(db.Piece.sha256).where(db.Piece.dossier_id == dossier_id))
        )


def _shas_still_needed(sessions: sessionmaker[Session], dossier_id: str) -> set[str]:
    """Digests that another dossier not yet purged still uses: their page cache stays."""
    with sessions() as session:
        purged = select(db.AuditEvent.dossier_id).where(db.AuditEvent.action == PURGED)
        rows = session.scalars(
            select(db.Piece.sha256).where(
                db.Piece.dossier_id != dossier_id, db.Piece.dossier_id.not_in(purged)
            )
        )
        return set(rows)


def _audit(
    sessions: sessionmaker[Session],
    expired: Expired,
    originals: list[str],
    deleted: int,
    *,
    now: datetime,
) -> None:
    why = {
        "reason": "retention_expired",
        "procedure": expired.procedure,
        "retention_days": expired.retention_days,
        "decided_at": expired.decided_at.isoformat(),
        "expires_at": expired.expires_at.isoformat(),
    }
    with sessions.begin() as session:
        for sha in originals:
            session.add(
                db.AuditEvent(
                    at=now,
                    actor=ACTOR,
                    action=ORIGINAL_DELETED,
                    dossier_id=expired.dossier_id,
                    detail={"sha256": sha, **why},
                )
            )
        session.add(
            db.AuditEvent(
                at=now,
                actor=ACTOR,
                action=PURGED,
                dossier_id=expired.dossier_id,
                detail={"originals": len(originals), "deleted_objects": deleted, **why},
            )
        )
