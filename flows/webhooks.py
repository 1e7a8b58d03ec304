"""The `deliver-webhooks` flow: one pass over the outbox, for deployments where no
`justif serve` process delivers them (every minute from prefect.yaml)."""

from __future__ import annotations

import random

import httpx
from prefect import flow

from flows import prefect_runtime as runtime
from pipeline.store import db
from pipeline.webhooks.delivery import deliver_due

TIMEOUT_S = 10.0


@flow(name="deliver-webhooks", log_prints=False)
def deliver_webhooks(limit: int = 200) -> dict[str, int]:
    """Deliver the webhooks due now; returns how many were delivered, retried, dead-lettered."""
    with httpx.Client(timeout=TIMEOUT_S) as client:
        counts = deliver_due(
            runtime.database(),
            runtime.store(),
            client,
            now=db.utc_now(),
            rng=random.Random(),
            limit=limit,
        )
    return {"delivered": counts.delivered, "retried": counts.retried, "dead": counts.dead}
