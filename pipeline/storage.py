"""Object storage: one interface, a local folder (embedded default) and S3 (MinIO in production).

The only module that imports `minio`. Objects are streamed, never read whole,
except small JSON documents through `get_json`/`put_json`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, BinaryIO


class ObjectStore(ABC):
    """Keys are '/'-separated strings (see DESIGN.md §6); never built from user file names."""

    @abstractmethod
    def put_file(self, key: str, path: Path, *, content_type: str = "application/octet-stream") -> None:
        """Upload a local file, streaming it."""

    @abstractmethod
    def put_stream(
        self, key: str, stream: BinaryIO, *, content_type: str = "application/octet-stream"
    ) -> None:
        """Upload from a readable binary stream of unknown length."""

    @abstractmethod
    def open(self, key: str) -> AbstractContextManager[BinaryIO]:
        """A readable binary stream of the object; raises ObjectNotFound."""

    @abstractmethod
    def download(self, key: str, path: Path) -> None:
        """Copy the object to a local file, streaming it; raises ObjectNotFound."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list(self, prefix: str) -> Iterator[str]:
        """Keys under `prefix`, recursively, in lexical order."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Delete one object; deleting a missing key is not an error."""

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str = "application/octet-stream"
    ) -> None:
        import io

        self.put_stream(key, io.BytesIO(data), content_type=content_type)

    def get_bytes(self, key: str) -> bytes:
        """Whole object in memory: for small objects (JSON, caches) only."""
        with self.open(key) as stream:
            return stream.read()

    def put_json(self, key: str, value: Any) -> None:
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        self.put_bytes(key, data, content_type="application/json")

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))
