"""Deliver due webhooks from the outbox: POST the report, signed, to the backend's callback URL.

At least once, with a stable `X-Justif-Event-Id` for the receiver to drop a
repeat (a sender that dies between the receiver's answer and recording it
sends the event again). Only a 2xx answer acknowledges; redirects are not
followed (the callback URL is the one registered with the dossier).
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from pipeline.store import db, outbox
from pipeline.store.storage import ObjectStore
from pipeline.webhooks.signing import signature

log = logging.getLogger(__name__)
USER_AGENT = "justif-webhooks/1"


@dataclass
class DeliveryCounts:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


def event_body(
    sessions: sessionmaker[Session], store: ObjectStore, event: outbox.DueEvent
) -> tuple[bytes, str]:
    """The JSON body of an event and the secret to sign it with."""
    with sessions() as session:
        submission = session.get(db.ApiSubmission, event.dossier_id)
        backend = session.get(db.ApiBackend, event.backend_id)
        version = (
            session.query(db.ReportVersion)
            .filter_by(dossier_id=event.dossier_id, version=event.version)
            .one()
        )
    if submission is None or backend is None:
        raise LookupError(f"event {event.id}: submission or backend gone")
    report = store.get_json(version.report_key)
    payload: dict[str, Any] = {
        "event": event.event,
        "event_id": event.id,
        "dossier_id": event.dossier_id,
        "external_ref": submission.external_ref,
        "version": event.version,
        "decision": version.decision,
        "report": report,
    }
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return body, backend.callback_secret


def deliver_due(
    sessions: sessionmaker[Session],
    store: ObjectStore,
    client: httpx.Client,
    *,
    now: datetime,
    rng: random.Random,
    policy: outbox.RetryPolicy | None = None,
    limit: int = 20,
) -> DeliveryCounts:
    """One pass over the events due at `now` (the clock is passed in: tests move it)."""
    policy = policy or outbox.RetryPolicy()
    counts = DeliveryCounts()
    for event in outbox.claim_due(sessions, now=now, policy=policy, limit=limit):
        error = _send(sessions, store, client, event)
        if error is None:
            outbox.mark_delivered(sessions, event.id, now=now)
            counts.delivered += 1
            continue
        # Ids only: a receiver's answer or a URL may carry personal data.
        log.warning("webhook %s for dossier %s failed: %s", event.id, event.dossier_id, error)
        counts.errors.append(error)
        state = outbox.mark_attempt_failed(
            sessions, event, now=now, error=error, policy=policy, rng=rng
        )
        if state is db.OutboxState.DEAD:
            counts.dead += 1
        else:
            counts.retried += 1
    return counts


def _send(
    sessions: sessionmaker[Session],
    store: ObjectStore,
    client: httpx.Client,
    event: outbox.DueEvent,
) -> str | None:
    """None when the receiver acknowledged, else a short reason."""
    try:
        body, secret = event_body(sessions, store, event)
    except Exception as error:  # a missing report is retried: the store may be down
        return f"cannot build the event: {type(error).__name__}"
    # The real time of sending, whatever clock schedules the attempts: receivers compare
    # it with their own clock.
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Justif-Event": event.event,
        "X-Justif-Event-Id": event.id,
        "X-Justif-Timestamp": str(timestamp),
        "X-Justif-Signature": signature(secret, timestamp, body),
    }
    try:
        response = client.post(event.url, content=body, headers=headers, follow_redirects=False)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}"
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"
