"""Receiving a dossier: validate the form, store originals and manifest, queue the check.

Nothing is read here: the submission is stored and acknowledged, and a worker
checks it later. With an `Idempotency-Key`, the dossier id is derived from the
backend, the key and the request digest, so that two identical requests racing
each other write the same objects and the database keeps one of them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from justif.api.errors import ApiError
from justif.api.uploads import Upload
from pipeline.errors import InvalidApplicant, ProcedureError
from pipeline.rules.applicants import parse_applicant
from pipeline.rules.procedures import Procedure, get_procedure
from pipeline.store import db, submissions
from pipeline.store.dossiers import new_dossier_id, store_dossier
from pipeline.store.storage import ObjectStore

log = logging.getLogger(__name__)
MAX_KEY_CHARS = 200
MAX_REF_CHARS = 200
MAX_URL_CHARS = 2000


@dataclass(frozen=True)
class Received:
    submission: db.ApiSubmission
    created: bool  # False: an earlier request with the same key and body


def check_procedure(code: str, procedures_dir: Any) -> Procedure:
    try:
        return get_procedure(code, procedures_dir)
    except ProcedureError as error:
        raise ApiError(422, "UNKNOWN_PROCEDURE", error.message_fr, field="procedure") from error


def check_applicant(raw: str, procedure: Procedure) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise ApiError(
            422,
            "INVALID_APPLICANT",
            "Le champ applicant doit être un objet JSON valide.",
            field="applicant",
        ) from error
    if not isinstance(data, dict):
        raise ApiError(
            422,
            "INVALID_APPLICANT",
            "Le champ applicant doit être un objet JSON.",
            field="applicant",
        )
    try:
        parse_applicant(procedure.applicant, data)
    except InvalidApplicant as error:
        raise ApiError(422, "INVALID_APPLICANT", error.message_fr, field="applicant") from error
    return data


def check_callback_url(url: str | None) -> str | None:
    if url is None or url == "":
        return None
    parts = urlsplit(url)
    if len(url) > MAX_URL_CHARS or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiError(
            422,
            "INVALID_CALLBACK_URL",
            "callback_url doit être une adresse http(s) complète (au plus 2000 caractères).",
            field="callback_url",
        )
    return url


def check_text(value: str | None, *, field: str, max_chars: int) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > max_chars or not value.isprintable():
        raise ApiError(
            422,
            "INVALID_FIELD",
            f"Le champ {field} doit être un texte imprimable d'au plus {max_chars} caractères.",
            field=field,
        )
    return value


def request_digest(
    procedure: str,
    applicant: dict[str, Any],
    external_ref: str | None,
    callback_url: str | None,
    uploads: list[Upload],
) -> str:
    """What makes two requests "the same body" for idempotency: fields and file contents."""
    canonical = json.dumps(
        {
            "procedure": procedure,
            "applicant": applicant,
            "external_ref": external_ref,
            "callback_url": callback_url,
            "files": [[u.name, u.sha256] for u in uploads],
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def receive_dossier(
    sessions: sessionmaker[Session],
    store: ObjectStore,
    *,
    backend_id: str,
    procedure: str,
    applicant: dict[str, Any],
    uploads: list[Upload],
    external_ref: str | None,
    callback_url: str | None,
    idempotency_key: str | None,
) -> Received:
    digest = request_digest(procedure, applicant, external_ref, callback_url, uploads)
    if idempotency_key is not None:
        earlier = _earlier(sessions, backend_id, idempotency_key, digest)
        if earlier is not None:
            return Received(earlier, created=False)
        seed = f"{backend_id}\n{idempotency_key}\n{digest}".encode()
        dossier_id = hashlib.sha256(seed).hexdigest()[:32]
    else:
        dossier_id = new_dossier_id()
    manifest = store_dossier(
        store,
        procedure=procedure,
        files=[(u.name, u.path) for u in uploads],
        applicant=applicant,
        dossier_id=dossier_id,
    )
    try:
        with sessions.begin() as session:
            submission = submissions.create_submission(
                session,
                manifest,
                backend_id=backend_id,
                request_sha256=digest,
                external_ref=external_ref,
                callback_url=callback_url,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        # Another request with the same key won the race.
        if idempotency_key is None:
            raise
        earlier = _earlier(sessions, backend_id, idempotency_key, digest)
        if earlier is None:
            raise
        return Received(earlier, created=False)
    log.info("dossier %s submitted by backend %s (%d files)", dossier_id, backend_id, len(uploads))
    return Received(submission, created=True)


def _earlier(
    sessions: sessionmaker[Session], backend_id: str, key: str, digest: str
) -> db.ApiSubmission | None:
    earlier = submissions.find_by_idempotency_key(sessions, backend_id, key)
    if earlier is not None and earlier.request_sha256 != digest:
        raise ApiError(
            409,
            "IDEMPOTENCY_CONFLICT",
            "Cette clé d'idempotence a déjà servi pour un autre envoi : "
            "utilisez une nouvelle clé pour un nouveau dossier.",
            field="Idempotency-Key",
        )
    return earlier
