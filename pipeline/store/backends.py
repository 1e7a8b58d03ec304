"""Procedure backends allowed to call the HTTP API, and their bearer tokens.

A token is 32 random bytes: its SHA-256 is a safe and fast lookup key (a slow
password hash buys nothing against a secret that cannot be guessed), and only
that digest is stored. The callback secret is stored as is: signing webhooks
needs it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.store import db

TOKEN_PREFIX = "jtf_"


@dataclass(frozen=True)
class NewBackend:
    """What `create_backend` shows once: the token is not kept anywhere."""

    id: str
    name: str
    token: str
    callback_secret: str


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_backend(
    sessions: sessionmaker[Session], name: str, *, callback_secret: str | None = None
) -> NewBackend:
    """Register a backend; raises `ValueError` if the name is taken."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    secret = callback_secret or secrets.token_urlsafe(32)
    with sessions.begin() as session:
        if session.scalar(select(db.ApiBackend).where(db.ApiBackend.name == name)) is not None:
            raise ValueError(f"a backend named {name!r} already exists")
        backend = db.ApiBackend(name=name, token_sha256=token_sha256(token), callback_secret=secret)
        session.add(backend)
        session.flush()
        session.add(
            db.AuditEvent(actor="cli", action="backend.created", detail={"backend": backend.id})
        )
        return NewBackend(id=backend.id, name=name, token=token, callback_secret=secret)


def revoke_backend(sessions: sessionmaker[Session], name: str) -> bool:
    """Refuse the backend's token from now on; False if no active backend has that name."""
    with sessions.begin() as session:
        backend = session.scalar(select(db.ApiBackend).where(db.ApiBackend.name == name))
        if backend is None or backend.revoked_at is not None:
            return False
        backend.revoked_at = db.utc_now()
        session.add(
            db.AuditEvent(actor="cli", action="backend.revoked", detail={"backend": backend.id})
        )
        return True


def authenticate(sessions: sessionmaker[Session], token: str) -> db.ApiBackend | None:
    """The active backend owning `token`, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with sessions() as session:
        backend = session.scalar(
            select(db.ApiBackend).where(db.ApiBackend.token_sha256 == token_sha256(token))
        )
    if backend is None or backend.revoked_at is not None:
        return None
    return backend


def list_backends(sessions: sessionmaker[Session]) -> list[db.ApiBackend]:
    with sessions() as session:
        return list(session.scalars(select(db.ApiBackend).order_by(db.ApiBackend.created_at)))
