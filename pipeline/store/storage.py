"""Object storage: one interface, a local folder (embedded default) and S3 (MinIO in production).

The only module that imports `minio`. Objects are streamed, never read whole,
except small JSON documents through `get_json`/`put_json`.
"""

from __future__ import annotations

import io
import json
import logging
import os
import random
import shutil
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from urllib.parse import urlsplit

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import CopySource
from minio.datatypes import Object
from minio.error import InvalidResponseError, S3Error, ServerError
from urllib3 import BaseHTTPResponse

from pipeline.errors import ConfigurationError, ObjectNotFound, StorageError, StorageUnavailable
from pipeline.settings import Settings

log = logging.getLogger(__name__)


class ObjectStore(ABC):
    """Keys are '/'-separated strings (see DESIGN.md §6); never built from user file names."""

    @abstractmethod
    def put_file(
        self, key: str, path: Path, *, content_type: str = "application/octet-stream"
    ) -> None:
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

    # --- helpers with a portable default; S3Store overrides them server-side ---

    @abstractmethod
    def size(self, key: str) -> int:
        """Size of the object in bytes; raises ObjectNotFound."""

    def copy(self, source_key: str, target_key: str) -> None:
        """Copy one object to another key, streaming it."""
        with self.open(source_key) as stream:
            self.put_stream(target_key, stream)


# ---------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------

CHUNK_BYTES = 1024 * 1024
S3_PART_BYTES = 10 * 1024 * 1024
_TMP_PREFIX = ".justif-tmp-"
_MAX_KEY_BYTES = 1024  # S3's limit, applied to both stores so they accept the same keys


class InvalidKey(ValueError):
    """A key that could escape the store root or that S3 would not accept: a bug in the caller."""


def check_key(key: str) -> str:
    """Return `key` if it is a safe relative '/'-separated key, else raise InvalidKey."""
    if not key or len(key.encode()) > _MAX_KEY_BYTES:
        raise InvalidKey(f"invalid key length: {key!r}")
    if "\\" in key or key.startswith("/") or any(ord(ch) < 32 for ch in key):
        raise InvalidKey(f"invalid character or absolute key: {key!r}")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidKey(f"empty or relative segment in key: {key!r}")
        if segment.startswith(_TMP_PREFIX):
            raise InvalidKey(f"reserved segment in key: {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """A listing prefix: empty (everything) or a key start, possibly ending with '/'."""
    if prefix:
        check_key(prefix.removesuffix("/"))
    return prefix


# ---------------------------------------------------------------------------
# Local folder
# ---------------------------------------------------------------------------

_NOT_FOUND_FR = "Le document demandé est introuvable dans le stockage."
_LOCAL_FAILED_FR = (
    "Le stockage local des documents a échoué : vérifiez l'espace disque et les droits."
)


class LocalStore(ObjectStore):
    """A folder on local disk; the embedded default. Writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageError(_LOCAL_FAILED_FR, detail=f"cannot create {self.root}: {e}") from e

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        path = self.root / check_key(key)
        # Defence in depth: a symlink planted inside the root must not lead outside it.
        if not path.resolve().is_relative_to(self.root):
            raise InvalidKey(f"key resolves outside the store: {key!r}")
        return path

    def put_file(
        self, key: str, path: Path, *, content_type: str = "application/octet-stream"
    ) -> None:
        with path.open("rb") as stream:
            self.put_stream(key, stream, content_type=content_type)

    def put_stream(
        self, key: str, stream: BinaryIO, *, content_type: str = "application/octet-stream"
    ) -> None:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _atomic_copy(stream, target)
        except OSError as e:
            raise StorageError(_LOCAL_FAILED_FR, detail=f"cannot write {key}: {e}") from e

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        path = self._path(key)
        try:
            stream = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as e:
            raise ObjectNotFound(_NOT_FOUND_FR, detail=f"no object {key}") from e
        except OSError as e:
            raise StorageError(_LOCAL_FAILED_FR, detail=f"cannot read {key}: {e}") from e
        with stream:
            yield stream

    def download(self, key: str, path: Path) -> None:
        with self.open(key) as stream:
            _atomic_copy(stream, path)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(_NOT_FOUND_FR, detail=f"no object {key}")
        return path.stat().st_size

    def list(self, prefix: str) -> Iterator[str]:
        check_prefix(prefix)
        # Walk only the deepest folder the prefix names; the rest is a string filter,
        # which gives S3's semantics ("dossiers/ab" matches "dossiers/abc/...").
        folder = self.root.joinpath(*prefix.split("/")[:-1])
        keys: list[str] = []
        for dirpath, _dirnames, filenames in os.walk(folder):
            for name in filenames:
                if name.startswith(_TMP_PREFIX):
                    continue
                key = (Path(dirpath) / name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return iter(sorted(keys))

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except IsADirectoryError:
            return  # a "folder" is not an object: nothing to delete
        except OSError as e:
            raise StorageError(_LOCAL_FAILED_FR, detail=f"cannot delete {key}: {e}") from e
        self._prune_empty_folders(path.parent)

    def _prune_empty_folders(self, folder: Path) -> None:
        # Keeps the tree the same shape as an S3 listing, where folders do not exist.
        while folder != self.root:
            try:
                folder.rmdir()
            except OSError:
                return  # not empty, or already gone
            folder = folder.parent


def _atomic_copy(stream: BinaryIO, target: Path) -> None:
    """Copy `stream` to `target` in chunks; readers see the old file or the whole new one."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=_TMP_PREFIX, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as tmp:
            shutil.copyfileobj(stream, tmp, CHUNK_BYTES)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


# ---------------------------------------------------------------------------
# S3 (MinIO in production, SeaweedFS in tests)
# ---------------------------------------------------------------------------

_S3_UNAVAILABLE_FR = (
    "Le stockage des documents est indisponible pour le moment : réessayez plus tard."
)
_S3_DENIED_FR = (
    "Le stockage des documents a refusé l'accès : vérifiez la clé d'accès, la clé secrète "
    "et les droits sur le bucket (JUSTIF_S3_ACCESS_KEY, JUSTIF_S3_SECRET_KEY)."
)
_S3_FAILED_FR = "Le stockage des documents a renvoyé une erreur inattendue."
_S3_BAD_CONFIG_FR = "La configuration du stockage S3 est invalide (adresse ou nom de bucket)."

_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchObject", "ResourceNotFound", "NotFound"})
_DENIED_CODES = frozenset(
    {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}
)
_TRANSIENT_CODES = frozenset(
    {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "RequestTimeTooSkewed"}
)

_T = TypeVar("_T")


class S3Store(ObjectStore):
    """One bucket of an S3 server, through the `minio` client; created if missing.

    Transient failures (connection errors, 5xx, SlowDown) are retried `attempts`
    times with exponential backoff, only for calls whose input can be replayed.
    """

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str | None = None,
        attempts: int = 4,
        backoff_s: float = 0.25,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 120.0,
    ) -> None:
        host, secure = _split_endpoint(endpoint, secure)
        self.endpoint = host
        self.bucket = bucket
        self._attempts = max(1, attempts)
        self._backoff_s = backoff_s
        # Our own pool: bounded timeouts, and no urllib3 retries so that ours are the only ones.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout_s, read=read_timeout_s),
            retries=False,
            maxsize=10,
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        )
        try:
            self._client = Minio(
                endpoint=host,
                access_key=access_key,
                secret_key=secret_key,
                secure=secure,
                region=region,
                http_client=http,
            )
        except ValueError as e:
            raise ConfigurationError(_S3_BAD_CONFIG_FR, detail=f"endpoint {host!r}: {e}") from e
        self._ensure_bucket()

    def __repr__(self) -> str:
        return f"S3Store(endpoint={self.endpoint!r}, bucket={self.bucket!r})"

    # --- error handling, in one place ---

    def _call(self, what: str, action: Callable[[], _T]) -> _T:
        """Run one S3 call, retrying transient failures and translating errors."""
        for attempt in range(1, self._attempts + 1):
            try:
                return action()
            except _CLIENT_ERRORS as e:
                if attempt < self._attempts and _is_transient(e):
                    delay = self._backoff_s * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
                    log.warning("transient S3 error on %s (attempt %d): %s", what, attempt, e)
                    time.sleep(delay)
                    continue
                raise _translate(e, what) from e
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _ensure_bucket(self) -> None:
        what = f"bucket {self.bucket}"
        try:
            exists = self._call(what, lambda: self._client.bucket_exists(bucket_name=self.bucket))
            if not exists:
                self._call(what, lambda: self._client.make_bucket(bucket_name=self.bucket))
        except ValueError as e:  # minio validates bucket names locally
            raise ConfigurationError(_S3_BAD_CONFIG_FR, detail=f"{what}: {e}") from e
        except StorageError as e:
            code = e.__cause__.code if isinstance(e.__cause__, S3Error) else None
            if code == "BucketAlreadyOwnedByYou":
                return  # created concurrently by another process: fine
            if code == "InvalidBucketName":
                raise ConfigurationError(_S3_BAD_CONFIG_FR, detail=f"{what}: {code}") from e
            raise

    # --- ObjectStore ---

    def put_file(
        self, key: str, path: Path, *, content_type: str = "application/octet-stream"
    ) -> None:
        check_key(key)
        size = path.stat().st_size

        def upload() -> None:
            # Reopened on every attempt, so a retry replays the whole file.
            with path.open("rb") as stream:
                self._client.put_object(
                    bucket_name=self.bucket,
                    object_name=key,
                    data=stream,
                    length=size,
                    content_type=content_type,
                    part_size=S3_PART_BYTES,
                    num_parallel_uploads=1,
                )

        self._call(f"put {key}", upload)

    def put_stream(
        self, key: str, stream: BinaryIO, *, content_type: str = "application/octet-stream"
    ) -> None:
        check_key(key)
        start = stream.tell() if stream.seekable() else None

        def upload() -> None:
            self._client.put_object(
                bucket_name=self.bucket,
                object_name=key,
                data=stream,
                length=-1,
                content_type=content_type,
                part_size=S3_PART_BYTES,
                num_parallel_uploads=1,
            )

        if start is None:
            # A consumed one-way stream cannot be replayed: one attempt only.
            try:
                upload()
            except _CLIENT_ERRORS as e:
                raise _translate(e, f"put {key}") from e
            return

        def replayable_upload() -> None:
            stream.seek(start)
            upload()

        self._call(f"put {key}", replayable_upload)

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        check_key(key)
        what = f"get {key}"
        response = self._call(
            what, lambda: self._client.get_object(bucket_name=self.bucket, object_name=key)
        )
        try:
            yield io.BufferedReader(_S3Reader(response, what), CHUNK_BYTES)
        finally:
            response.close()
            response.release_conn()

    def download(self, key: str, path: Path) -> None:
        with self.open(key) as stream:
            _atomic_copy(stream, path)

    def exists(self, key: str) -> bool:
        try:
            self._stat(key)
        except ObjectNotFound:
            return False
        return True

    def size(self, key: str) -> int:
        size = self._stat(key).size
        if size is None:
            raise StorageError(_S3_FAILED_FR, detail=f"stat {key}: no size in answer")
        return size

    def _stat(self, key: str) -> Object:
        check_key(key)
        return self._call(
            f"stat {key}",
            lambda: self._client.stat_object(bucket_name=self.bucket, object_name=key),
        )

    def list(self, prefix: str) -> Iterator[str]:
        check_prefix(prefix)
        return self._list(prefix)

    def _list(self, prefix: str) -> Iterator[str]:
        last: str | None = None
        for attempt in range(1, self._attempts + 1):
            try:
                # Resume after the last key seen, so a retry never repeats or skips keys.
                for obj in self._client.list_objects(
                    bucket_name=self.bucket, prefix=prefix or None, recursive=True, start_after=last
                ):
                    if obj.object_name is None or obj.is_dir:
                        continue
                    last = obj.object_name
                    yield obj.object_name
                return
            except _CLIENT_ERRORS as e:
                if attempt < self._attempts and _is_transient(e):
                    time.sleep(self._backoff_s * 2 ** (attempt - 1))
                    continue
                raise _translate(e, f"list {prefix}") from e

    def delete(self, key: str) -> None:
        check_key(key)
        # S3 answers 204 for a missing key, so deletion is idempotent by itself.
        self._call(
            f"delete {key}",
            lambda: self._client.remove_object(bucket_name=self.bucket, object_name=key),
        )

    def copy(self, source_key: str, target_key: str) -> None:
        check_key(source_key)
        check_key(target_key)
        source = CopySource(bucket_name=self.bucket, object_name=source_key)
        self._call(
            f"copy {source_key}",
            lambda: self._client.copy_object(
                bucket_name=self.bucket, object_name=target_key, source=source
            ),
        )


class _S3Reader(io.RawIOBase):
    """A readable view of an S3 GET answer that raises StorageError instead of urllib3 errors."""

    def __init__(self, response: BaseHTTPResponse, what: str) -> None:
        self._response = response
        self._what = what

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._response.read(len(buffer))
        except _CLIENT_ERRORS as e:
            # Mid-stream failures are not retried: the caller has already consumed bytes.
            raise _translate(e, self._what) from e
        size = len(data)
        buffer[:size] = data
        return size


_CLIENT_ERRORS: tuple[type[Exception], ...] = (
    S3Error,
    ServerError,
    InvalidResponseError,
    urllib3.exceptions.HTTPError,
)


def _split_endpoint(endpoint: str, secure: bool) -> tuple[str, bool]:
    """Accept 'host:port' or a URL; a URL's scheme decides TLS."""
    if "://" not in endpoint:
        return endpoint, secure
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ConfigurationError(_S3_BAD_CONFIG_FR, detail=f"endpoint {endpoint!r}")
    return parts.netloc, parts.scheme == "https"


def _status_of(error: Exception) -> int | None:
    if isinstance(error, S3Error):
        return error.response.status
    if isinstance(error, ServerError):
        return error.status_code
    return None


def _is_transient(error: Exception) -> bool:
    if isinstance(error, urllib3.exceptions.HTTPError):
        return True  # connection refused/reset, timeouts, truncated answers
    if isinstance(error, S3Error) and error.code in _TRANSIENT_CODES:
        return True
    status = _status_of(error)
    return status is not None and (status >= 500 or status == 429)


def _translate(error: Exception, what: str) -> StorageError:
    """The StorageError (or ObjectNotFound) for a client error; `what` names the call, not data."""
    code = error.code if isinstance(error, S3Error) else type(error).__name__
    detail = f"S3 {what}: {code} (HTTP {_status_of(error)})"
    if isinstance(error, S3Error) and error.code in _NOT_FOUND_CODES:
        return ObjectNotFound(_NOT_FOUND_FR, detail=detail)
    if isinstance(error, S3Error) and error.code in _DENIED_CODES:
        return StorageError(_S3_DENIED_FR, detail=detail)
    if _is_transient(error):
        return StorageUnavailable(_S3_UNAVAILABLE_FR, detail=f"{detail}: {error}")
    return StorageError(_S3_FAILED_FR, detail=detail)


def open_store(settings: Settings) -> ObjectStore:
    """The store the settings describe: S3 when an endpoint is set, else the local folder."""
    if settings.s3_endpoint:
        return S3Store(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key.get_secret_value(),
            settings.s3_bucket,
            secure=settings.s3_secure,
            region=settings.s3_region,
        )
    return LocalStore(settings.store_path)
