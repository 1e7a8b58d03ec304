"""The `incoming/` drop zone: dossiers that a backend uploads straight to the bucket.

Layout, written by the backend (manifest last, once every file is uploaded):

    incoming/<batch>/<file name>        the pieces, one object each
    incoming/<batch>/manifest.json      {"procedure", "applicant", "files": [{"name"}], "as_of"}

Each batch becomes exactly one dossier: its id is derived from the batch name,
so a batch seen again (a crash, an overlapping run) maps to the same dossier
and is never created twice. A malformed batch is left in place with an
`error.json` beside its manifest (a French message the backend can show) and is
not looked at again until the backend replaces the manifest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import InvalidApplicant, InvalidIncoming
from pipeline.rules.applicants import parse_applicant
from pipeline.rules.procedures import Procedure
from pipeline.store import keys
from pipeline.store.dossiers import store_dossier
from pipeline.store.storage import ObjectStore

log = logging.getLogger(__name__)

PREFIX = "incoming/"
MANIFEST = "manifest.json"
ERROR = "error.json"
_RESERVED = frozenset({MANIFEST, ERROR})
MAX_MANIFEST_BYTES = 256 * 1024
MAX_FILES = 50
_BATCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_FILE_NAME = re.compile(r"^[^/\\\x00-\x1f]{1,200}$")


class IncomingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_FILE_NAME.pattern)


class IncomingManifest(BaseModel):
    """What a backend writes in `incoming/<batch>/manifest.json`."""

    model_config = ConfigDict(extra="forbid")

    procedure: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    applicant: dict[str, Any] = Field(default_factory=dict)
    files: list[IncomingFile] = Field(min_length=1, max_length=MAX_FILES)
    as_of: date | None = None


@dataclass(frozen=True)
class Ingested:
    """One batch turned into a dossier (now or by an earlier run)."""

    batch: str
    dossier_id: str
    created: bool  # False: the dossier existed already (a batch seen again)


def dossier_id_for(batch: str) -> str:
    """The dossier id of a batch: the same batch name always gives the same dossier."""
    return hashlib.sha256(f"{PREFIX}{batch}".encode()).hexdigest()[:32]


def pending_batches(store: ObjectStore) -> list[str]:
    """Batches with a manifest and no error report, in name order."""
    manifests: set[str] = set()
    errors: set[str] = set()
    for key in store.list(PREFIX):
        parts = key[len(PREFIX) :].split("/")
        if len(parts) != 2:
            continue
        batch, name = parts
        if name == MANIFEST:
            manifests.add(batch)
        elif name == ERROR:
            errors.add(batch)
    return sorted(b for b in manifests - errors if _BATCH.match(b))


def read_incoming_manifest(
    store: ObjectStore, procedures: Mapping[str, Procedure], batch: str
) -> IncomingManifest:
    """The batch's manifest, checked against the procedures, the applicant and the objects."""
    key = f"{PREFIX}{batch}/{MANIFEST}"
    if store.size(key) > MAX_MANIFEST_BYTES:
        raise InvalidIncoming(
            "Le fichier manifest.json est trop volumineux (256 Kio au plus).",
            detail=f"batch {batch}: manifest too large",
        )
    try:
        data = json.loads(store.get_bytes(key))
        manifest = IncomingManifest.model_validate(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InvalidIncoming(
            "Le fichier manifest.json n'est pas un JSON valide.", detail=f"batch {batch}: {e}"
        ) from e
    except ValidationError as e:
        where = ".".join(str(part) for part in e.errors()[0]["loc"]) or "(racine)"
        raise InvalidIncoming(
            f"Le fichier manifest.json est invalide : champ « {where} » manquant ou incorrect.",
            detail=f"batch {batch}: invalid field {where}",
        ) from e
    procedure = procedures.get(manifest.procedure)
    if procedure is None:
        raise InvalidIncoming(
            f"La démarche « {manifest.procedure} » est inconnue.",
            detail=f"batch {batch}: unknown procedure",
        )
    try:
        # Refused here rather than by the check, which would fail again on every pass.
        parse_applicant(procedure.applicant, manifest.applicant)
    except InvalidApplicant as e:
        raise InvalidIncoming(e.message_fr, detail=f"batch {batch}: {e.detail}") from e
    _check_files(store, batch, manifest)
    return manifest


def _check_files(store: ObjectStore, batch: str, manifest: IncomingManifest) -> None:
    names = [entry.name for entry in manifest.files]
    if len(set(names)) != len(names):
        raise InvalidIncoming(
            "Le manifest.json cite deux fois le même fichier.", detail=f"batch {batch}: duplicate"
        )
    for position, name in enumerate(names, start=1):
        if name in _RESERVED or name in (".", ".."):
            raise InvalidIncoming(
                f"Le fichier n° {position} porte un nom réservé.",
                detail=f"batch {batch}: reserved name at {position}",
            )
        if not store.exists(f"{PREFIX}{batch}/{name}"):
            raise InvalidIncoming(
                f"Le fichier n° {position} cité dans manifest.json est absent du dépôt.",
                detail=f"batch {batch}: file {position} missing",
            )


def ingest_batch(
    store: ObjectStore, procedures: Mapping[str, Procedure], batch: str, *, now: datetime
) -> Ingested:
    """Create the batch's dossier unless it exists; raises InvalidIncoming (then reported)."""
    dossier_id = dossier_id_for(batch)
    if store.exists(keys.manifest_key(dossier_id)):
        return Ingested(batch, dossier_id, created=False)
    manifest = read_incoming_manifest(store, procedures, batch)
    with tempfile.TemporaryDirectory(prefix="justif-incoming-") as folder:
        files: list[tuple[str, Path]] = []
        for position, entry in enumerate(manifest.files, start=1):
            local = Path(folder) / str(position)  # never the uploaded name as a path
            store.download(f"{PREFIX}{batch}/{entry.name}", local)
            files.append((entry.name, local))
        # The dossier manifest is written last by store_dossier: its presence means complete.
        store_dossier(
            store,
            procedure=manifest.procedure,
            files=files,
            applicant=manifest.applicant,
            dossier_id=dossier_id,
            as_of=manifest.as_of,
            submitted_at=now,
        )
    log.info("incoming batch turned into dossier %s", dossier_id)
    return Ingested(batch, dossier_id, created=True)


def report_invalid(
    store: ObjectStore, batch: str, error: InvalidIncoming, *, now: datetime
) -> None:
    """Leave the batch in place with an error report the backend can read."""
    store.put_json(
        f"{PREFIX}{batch}/{ERROR}",
        {**error.export(), "batch": batch, "at": now.isoformat()},
    )
    log.warning("incoming batch %s refused: %s", batch, error.detail)


def clear_batch(store: ObjectStore, batch: str) -> None:
    """Remove a batch whose dossier is complete; the manifest goes last (it marks the batch)."""
    for key in sorted(store.list(f"{PREFIX}{batch}/"), key=lambda k: k.endswith(f"/{MANIFEST}")):
        store.delete(key)


def needs_check(store: ObjectStore, dossier_id: str) -> bool:
    """True until the dossier has a report: a checked dossier is never checked again here."""
    return not store.exists(keys.report_key(dossier_id))
