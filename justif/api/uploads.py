"""Uploaded files, taken as hostile: copied under names we choose, hashed, counted.

The uploaded file name is kept as data for people (the report names the piece
with it), cleaned of paths and control characters; it is never used to build a
path or an object key.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile

from justif.api.errors import ApiError

_CHUNK = 1024 * 1024
MAX_NAME_CHARS = 150


@dataclass(frozen=True)
class Upload:
    name: str  # cleaned display name
    path: Path  # our own temporary copy
    sha256: str
    size_bytes: int


def clean_name(raw: str | None, position: int) -> str:
    """A display name: the last path component, printable, NFC, at most 150 characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[-MAX_NAME_CHARS:] or f"piece-{position}"


def receive_files(
    files: list[UploadFile], folder: Path, *, max_files: int, max_file_bytes: int
) -> list[Upload]:
    """Copy every upload into `folder` (as 1, 2, ...), refusing too many or too large."""
    # A text part named `files` (no file name) is not a file.
    files = [f for f in files if isinstance(f, UploadFile)]
    if not files:
        raise ApiError(
            422, "NO_FILES", "Aucune pièce jointe : envoyez au moins un fichier.", field="files"
        )
    if len(files) > max_files:
        raise ApiError(
            413,
            "TOO_MANY_FILES",
            f"Trop de fichiers ({len(files)}) : au plus {max_files} par envoi.",
            field="files",
        )
    uploads = []
    for position, upload in enumerate(files, start=1):
        target = folder / str(position)
        digest = hashlib.sha256()
        size = 0
        with target.open("wb") as out:
            while chunk := upload.file.read(_CHUNK):
                size += len(chunk)
                if size > max_file_bytes:
                    raise ApiError(
                        413,
                        "FILE_TOO_LARGE",
                        f"Le fichier n° {position} dépasse la taille maximale "
                        f"({max_file_bytes} octets).",
                        field=f"files.{position - 1}",
                    )
                digest.update(chunk)
                out.write(chunk)
        uploads.append(
            Upload(clean_name(upload.filename, position), target, digest.hexdigest(), size)
        )
    return uploads
