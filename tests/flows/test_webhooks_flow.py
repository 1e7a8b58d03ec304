"""The `deliver-webhooks` flow body: one outbox pass on the session's embedded store and DB."""

from __future__ import annotations

from flows.webhooks import deliver_webhooks


def test_an_empty_outbox_delivers_nothing() -> None:
    assert deliver_webhooks.fn() == {"delivered": 0, "retried": 0, "dead": 0}
