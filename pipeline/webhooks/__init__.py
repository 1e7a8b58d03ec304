"""Signed webhooks to procedure backends: signing, verification, delivery from the outbox."""
