"""The webhook outbox: one row per report version to announce, delivered until acknowledged.

Rows are written in the same transaction as the report state they announce
(`submissions.on_report_recorded`), so a report is never announced unless it
is recorded, and never recorded without being announced. Delivery claims rows
with a short lease, so that two delivery loops never send the same row at once
and a loop that dies leaves rows that another takes again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Update, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.store import db

EVENT_REPORT_READY = "dossier.report_ready"
State = db.OutboxState


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, about 24 h in all, then dead-letter."""

    first_delay_s: float = 30.0
    max_delay_s: float = 3600.0
    budget_s: float = 24 * 3600.0
    lease_s: float = 60.0

    def delay_s(self, attempts: int, rng: random.Random) -> float:
        """Wait after the `attempts`-th failure: doubling, capped, scaled by a random 0.5-1
        so that receivers coming back up are not hit by every sender at once."""
        base = min(self.max_delay_s, self.first_delay_s * 2 ** max(0, attempts - 1))
        return base * rng.uniform(0.5, 1.0)


@dataclass(frozen=True)
class DueEvent:
    id: str
    dossier_id: str
    version: int
    backend_id: str
    url: str
    event: str
    attempts: int
    budget_from: datetime


def enqueue(session: Session, *, dossier_id: str, version: int, backend_id: str, url: str) -> None:
    session.add(
        db.OutboxEvent(
            dossier_id=dossier_id,
            version=version,
            backend_id=backend_id,
            url=url,
            event=EVENT_REPORT_READY,
        )
    )


def rows_changed(session: Session, statement: Update) -> int:
    """Run an UPDATE and say how many rows it changed (a conditional update is a lock)."""
    return cast("CursorResult[Any]", session.execute(statement)).rowcount


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        db.OutboxEvent.state == State.PENDING,
        db.OutboxEvent.next_attempt_at <= now,
        or_(db.OutboxEvent.lease_until.is_(None), db.OutboxEvent.lease_until < now),
    )


def claim_due(
    sessions: sessionmaker[Session], *, now: datetime, policy: RetryPolicy, limit: int = 20
) -> list[DueEvent]:
    """Lease up to `limit` events due at `now`."""
    claimed: list[DueEvent] = []
    with sessions.begin() as session:
        rows = session.scalars(
            select(db.OutboxEvent)
            .where(_due(now))
            .order_by(db.OutboxEvent.next_attempt_at)
            .limit(limit)
        ).all()
        for row in rows:
            changed = rows_changed(
                session,
                update(db.OutboxEvent)
                .where(db.OutboxEvent.id == row.id, _due(now))
                .values(lease_until=now + timedelta(seconds=policy.lease_s)),
            )
            if changed == 1:
                claimed.append(
                    DueEvent(
                        id=row.id,
                        dossier_id=row.dossier_id,
                        version=row.version,
                        backend_id=row.backend_id,
                        url=row.url,
                        event=row.event,
                        attempts=row.attempts,
                        budget_from=row.budget_from,
                    )
                )
    return claimed


def mark_delivered(sessions: sessionmaker[Session], event_id: str, *, now: datetime) -> None:
    with sessions.begin() as session:
        session.execute(
            update(db.OutboxEvent)
            .where(db.OutboxEvent.id == event_id)
            .values(
                state=State.DELIVERED,
                delivered_at=now,
                lease_until=None,
                attempts=db.OutboxEvent.attempts + 1,
                last_error=None,
            )
        )


def mark_attempt_failed(
    sessions: sessionmaker[Session],
    event: DueEvent,
    *,
    now: datetime,
    error: str,
    policy: RetryPolicy,
    rng: random.Random,
) -> State:
    """Schedule the next attempt, or dead-letter the event once the budget is spent."""
    attempts = event.attempts + 1
    next_at = now + timedelta(seconds=policy.delay_s(attempts, rng))
    dead = next_at > event.budget_from + timedelta(seconds=policy.budget_s)
    with sessions.begin() as session:
        session.execute(
            update(db.OutboxEvent)
            .where(db.OutboxEvent.id == event.id)
            .values(
                state=State.DEAD if dead else State.PENDING,
                attempts=attempts,
                next_attempt_at=next_at,
                lease_until=None,
                last_error=error[:500],
            )
        )
    return State.DEAD if dead else State.PENDING


def list_events(
    sessions: sessionmaker[Session], *, state: State | None = None, limit: int = 50
) -> list[db.OutboxEvent]:
    query = select(db.OutboxEvent).order_by(db.OutboxEvent.created_at.desc()).limit(limit)
    if state is not None:
        query = query.where(db.OutboxEvent.state == state)
    with sessions() as session:
        return list(session.scalars(query))


def replay(sessions: sessionmaker[Session], event_id: str, *, now: datetime) -> bool:
    """Send an event again (dead or delivered) with a fresh retry budget; False if unknown."""
    with sessions.begin() as session:
        changed = rows_changed(
            session,
            update(db.OutboxEvent)
            .where(db.OutboxEvent.id == event_id)
            .values(
                state=State.PENDING,
                next_attempt_at=now,
                budget_from=now,
                attempts=0,
                lease_until=None,
            ),
        )
        if changed != 1:
            return False
        row = session.get(db.OutboxEvent, event_id)
        session.add(
            db.AuditEvent(
                actor="cli",
                action="webhook.replayed",
                dossier_id=row.dossier_id if row else None,
                detail={"event_id": event_id},
            )
        )
        return True
