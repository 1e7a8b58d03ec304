"""Dossiers submitted through the HTTP API: their queue of checks and their report versions.

A submission is a dossier row plus an `ApiSubmission` row (who sent it, its
idempotency key, its callback). Checks are claimed from this table with a
lease: a worker that dies leaves a lease that expires, and another worker (or
the same one restarted) takes the dossier again. A report is recorded once per
version, in the same transaction as the dossier's state, with its webhook.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.store import db, keys, outbox
from pipeline.store.dossiers import Manifest

State = db.SubmissionState


@dataclass(frozen=True)
class Claim:
    """A check a worker now holds: the dossier and the version its report will be."""

    dossier_id: str
    version: int
    attempts: int


def create_submission(
    session: Session,
    manifest: Manifest,
    *,
    backend_id: str,
    request_sha256: str,
    external_ref: str | None,
    callback_url: str | None,
    idempotency_key: str | None,
) -> db.ApiSubmission:
    """Add the dossier and its queued check; the caller commits (IntegrityError on a used key)."""
    session.add(
        db.Dossier(
            id=manifest.dossier_id,
            procedure=manifest.procedure,
            applicant=manifest.applicant,
            status=db.DossierStatus.RECEIVED,
            created_at=manifest.submitted_at,
        )
    )
    session.flush()  # the dossier row first: the submission refers to it
    submission = db.ApiSubmission(
        dossier_id=manifest.dossier_id,
        backend_id=backend_id,
        external_ref=external_ref,
        callback_url=callback_url,
        idempotency_key=idempotency_key,
        request_sha256=request_sha256,
        state=State.QUEUED,
        created_at=manifest.submitted_at,
        next_attempt_at=manifest.submitted_at,
    )
    session.add(submission)
    session.add(
        db.AuditEvent(
            actor=f"backend:{backend_id}",
            action="dossier.submitted",
            dossier_id=manifest.dossier_id,
            detail={"pieces": len(manifest.files)},
        )
    )
    return submission


def find_by_idempotency_key(
    sessions: sessionmaker[Session], backend_id: str, key: str
) -> db.ApiSubmission | None:
    with sessions() as session:
        return session.scalar(
            select(db.ApiSubmission).where(
                db.ApiSubmission.backend_id == backend_id,
                db.ApiSubmission.idempotency_key == key,
            )
        )


def get_submission(sessions: sessionmaker[Session], dossier_id: str) -> db.ApiSubmission | None:
    with sessions() as session:
        return session.get(db.ApiSubmission, dossier_id)


def list_submissions(
    sessions: sessionmaker[Session],
    backend_id: str,
    *,
    external_ref: str | None = None,
    state: State | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[db.ApiSubmission], int]:
    """One page of a backend's submissions, newest first, and how many match in all."""
    where = [db.ApiSubmission.backend_id == backend_id]
    if external_ref is not None:
        where.append(db.ApiSubmission.external_ref == external_ref)
    if state is not None:
        where.append(db.ApiSubmission.state == state)
    with sessions() as session:
        total = session.scalar(select(func.count()).select_from(db.ApiSubmission).where(*where))
        rows = session.scalars(
            select(db.ApiSubmission)
            .where(*where)
            .order_by(db.ApiSubmission.created_at.desc(), db.ApiSubmission.dossier_id)
            .limit(limit)
            .offset(offset)
        ).all()
    return list(rows), int(total or 0)


def report_versions(sessions: sessionmaker[Session], dossier_id: str) -> list[db.ReportVersion]:
    with sessions() as session:
        return list(
            session.scalars(
                select(db.ReportVersion)
                .where(db.ReportVersion.dossier_id == dossier_id)
                .order_by(db.ReportVersion.version)
            )
        )


def reserve_new_version(
    sessions: sessionmaker[Session], dossier_id: str, *, hold_s: float = 60.0
) -> int | None:
    """Queue a new check for pieces about to be added, held for `hold_s` while the caller
    rewrites the manifest (`release` ends the hold; a caller that dies only delays it).

    None unless the dossier is done or failed: a check in progress reads the manifest,
    and two additions at once would overwrite each other's.
    """
    with sessions.begin() as session:
        changed = outbox.rows_changed(
            session,
            update(db.ApiSubmission)
            .where(
                db.ApiSubmission.dossier_id == dossier_id,
                db.ApiSubmission.state.in_([State.DONE, State.FAILED]),
            )
            .values(
                state=State.QUEUED,
                version=db.ApiSubmission.version + 1,
                attempts=0,
                failure=None,
                next_attempt_at=db.utc_now() + timedelta(seconds=hold_s),
            ),
        )
        if changed != 1:
            return None
        submission = session.get(db.ApiSubmission, dossier_id)
        assert submission is not None
        session.refresh(submission)
        _set_dossier_status(session, dossier_id, db.DossierStatus.RECEIVED)
        return submission.version


def release(sessions: sessionmaker[Session], dossier_id: str) -> None:
    """Make a held check due now."""
    with sessions.begin() as session:
        session.execute(
            update(db.ApiSubmission)
            .where(
                db.ApiSubmission.dossier_id == dossier_id,
                db.ApiSubmission.state == State.QUEUED,
            )
            .values(next_attempt_at=db.utc_now())
        )


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(db.ApiSubmission.state == State.QUEUED, db.ApiSubmission.next_attempt_at <= now),
        and_(db.ApiSubmission.state == State.PROCESSING, db.ApiSubmission.lease_until < now),
    )


def claim_next(
    sessions: sessionmaker[Session], *, owner: str, now: datetime, lease_s: float
) -> Claim | None:
    """Take the oldest due check (or one whose worker's lease expired), or None."""
    with sessions.begin() as session:
        candidates = session.scalars(
            select(db.ApiSubmission.dossier_id)
            .where(_claimable(now))
            .order_by(db.ApiSubmission.next_attempt_at)
            .limit(8)
        ).all()
        for dossier_id in candidates:
            # The conditional update is the lock: of two workers, one changes the row.
            changed = outbox.rows_changed(
                session,
                update(db.ApiSubmission)
                .where(db.ApiSubmission.dossier_id == dossier_id, _claimable(now))
                .values(
                    state=State.PROCESSING,
                    lease_owner=owner,
                    lease_until=now + timedelta(seconds=lease_s),
                    attempts=db.ApiSubmission.attempts + 1,
                    running_version=db.ApiSubmission.version,
                ),
            )
            if changed == 1:
                submission = session.get(db.ApiSubmission, dossier_id)
                assert submission is not None
                session.refresh(submission)
                _set_dossier_status(session, dossier_id, db.DossierStatus.PROCESSING)
                return Claim(dossier_id, submission.version, submission.attempts)
    return None


def renew_lease(
    sessions: sessionmaker[Session], dossier_id: str, *, owner: str, now: datetime, lease_s: float
) -> bool:
    with sessions.begin() as session:
        changed = outbox.rows_changed(
            session,
            update(db.ApiSubmission)
            .where(
                db.ApiSubmission.dossier_id == dossier_id,
                db.ApiSubmission.state == State.PROCESSING,
                db.ApiSubmission.lease_owner == owner,
            )
            .values(lease_until=now + timedelta(seconds=lease_s)),
        )
        return changed == 1


def retry_later(
    sessions: sessionmaker[Session],
    dossier_id: str,
    *,
    owner: str,
    at: datetime,
    failure: dict[str, str],
) -> None:
    """Put a check that failed for a transient cause back in the queue."""
    with sessions.begin() as session:
        session.execute(
            update(db.ApiSubmission)
            .where(
                db.ApiSubmission.dossier_id == dossier_id,
                db.ApiSubmission.state == State.PROCESSING,
                db.ApiSubmission.lease_owner == owner,
            )
            .values(
                state=State.QUEUED,
                next_attempt_at=at,
                lease_owner=None,
                lease_until=None,
                failure=failure,
            )
        )


def mark_failed(
    sessions: sessionmaker[Session], dossier_id: str, *, owner: str, failure: dict[str, str]
) -> None:
    """Stop retrying: the dossier is `failed` with a reason (adding pieces queues it again)."""
    with sessions.begin() as session:
        changed = outbox.rows_changed(
            session,
            update(db.ApiSubmission)
            .where(
                db.ApiSubmission.dossier_id == dossier_id,
                db.ApiSubmission.state == State.PROCESSING,
                db.ApiSubmission.lease_owner == owner,
            )
            .values(state=State.FAILED, lease_owner=None, lease_until=None, failure=failure),
        )
        if changed == 1:
            _set_dossier_status(session, dossier_id, db.DossierStatus.FAILED)
            session.add(
                db.AuditEvent(
                    actor="api:worker",
                    action="dossier.failed",
                    dossier_id=dossier_id,
                    detail={"code": failure.get("code")},
                )
            )


def on_report_recorded(session: Session, dossier_id: str, report: dict[str, Any]) -> None:
    """Inside the transaction that records a report: keep it as a report version and queue
    its webhook. Called for every dossier; does nothing for those not sent through the API,
    and nothing for a version already reported (a check run again after a crash)."""
    submission = session.get(db.ApiSubmission, dossier_id)
    if submission is None:
        return
    version = submission.running_version or submission.version
    if submission.reported_version >= version:
        return
    session.add(
        db.ReportVersion(
            dossier_id=dossier_id,
            version=version,
            report_key=history_key(dossier_id, report),
            decision=report.get("decision"),
        )
    )
    submission.reported_version = version
    if version >= submission.version:
        submission.state = State.DONE
        submission.lease_owner = None
        submission.lease_until = None
        submission.failure = None
    if submission.callback_url:
        outbox.enqueue(
            session,
            dossier_id=dossier_id,
            version=version,
            backend_id=submission.backend_id,
            url=submission.callback_url,
        )


def history_key(dossier_id: str, report: dict[str, Any]) -> str:
    """Where `pipeline.decide.report.save_report` keeps this report in the history
    (tests/api check that the key exists after every check)."""
    stamp = str(report["generated_at"]).replace(":", "").replace("+", "Z")
    return keys.report_history_key(dossier_id, stamp)


def _set_dossier_status(session: Session, dossier_id: str, status: db.DossierStatus) -> None:
    session.execute(update(db.Dossier).where(db.Dossier.id == dossier_id).values(status=status))
