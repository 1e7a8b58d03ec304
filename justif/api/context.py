"""What the request handlers share, built once when the server starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from justif.api.config import ApiSettings
from justif.api.errors import ApiError
from pipeline.settings import Settings
from pipeline.store import db, submissions
from pipeline.store.storage import ObjectStore


@dataclass(frozen=True)
class ApiContext:
    api: ApiSettings
    settings: Settings
    sessions: sessionmaker[Session]
    store: ObjectStore
    model_loaded: Any  # callable: whether a document-type model is loaded


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


def backend(request: Request) -> db.ApiBackend:
    """The backend the gate authenticated (every /api/ route is behind it)."""
    found: db.ApiBackend | None = request.scope.get("state", {}).get("backend")
    if found is None:  # a route outside the gate asked for a backend: a bug
        raise ApiError(401, "UNAUTHENTICATED", "Jeton d'accès manquant.")
    return found


def owned_submission(ctx: ApiContext, who: db.ApiBackend, dossier_id: str) -> db.ApiSubmission:
    """The submission if `who` sent it: 404 if unknown, 403 if another backend's."""
    submission = None
    if len(dossier_id) <= 64:
        submission = submissions.get_submission(ctx.sessions, dossier_id)
    if submission is None:
        raise ApiError(404, "DOSSIER_NOT_FOUND", "Dossier inconnu.", field="id")
    if submission.backend_id != who.id:
        raise ApiError(403, "FORBIDDEN", "Ce dossier a été déposé par un autre service.")
    return submission
