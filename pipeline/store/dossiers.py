"""Submitting a dossier: originals stored immutably under their sha256, plus a manifest.

The manifest is the only thing the check flow needs: it is passed by reference
(the dossier id), never as a payload.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from pipeline.store import keys
from pipeline.store.storage import ObjectStore

_CHUNK = 1024 * 1024


class ManifestFile(BaseModel):
    name: str  # the uploaded file name: data for people, never a path
    sha256: str
    size_bytes: int


class Manifest(BaseModel):
    dossier_id: str
    procedure: str
    applicant: dict[str, Any] = Field(default_factory=dict)
    files: list[ManifestFile]
    submitted_at: datetime
    as_of: date | None = None  # "today" for freshness rules; None means the submission date

    @property
    def effective_as_of(self) -> date:
        return self.as_of or self.submitted_at.date()


def new_dossier_id() -> str:
    return uuid.uuid4().hex


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def store_dossier(
    store: ObjectStore,
    *,
    procedure: str,
    files: list[tuple[str, Path]],
    applicant: dict[str, Any] | None = None,
    dossier_id: str | None = None,
    as_of: date | None = None,
    submitted_at: datetime | None = None,
) -> Manifest:
    """Store the originals and the manifest of a new dossier; `files` is (display name, path)."""
    dossier_id = dossier_id or new_dossier_id()
    entries: list[ManifestFile] = []
    for name, path in files:
        sha = sha256_of(path)
        key = keys.original_key(dossier_id, sha)
        if not store.exists(key):  # originals are immutable: same digest, same bytes
            store.put_file(key, path)
        entries.append(ManifestFile(name=name, sha256=sha, size_bytes=path.stat().st_size))
    manifest = Manifest(
        dossier_id=dossier_id,
        procedure=procedure,
        applicant=applicant or {},
        files=entries,
        submitted_at=submitted_at or datetime.now(UTC),
        as_of=as_of,
    )
    store.put_json(keys.manifest_key(dossier_id), manifest.model_dump(mode="json"))
    return manifest


def load_manifest(store: ObjectStore, dossier_id: str) -> Manifest:
    return Manifest.model_validate(store.get_json(keys.manifest_key(dossier_id)))
