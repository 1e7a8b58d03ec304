"""One suite for both object stores: a local folder and a real S3 server (SeaweedFS)."""

from __future__ import annotations

import hashlib
import http.server
import io
import random
import threading
from pathlib import Path

import pytest
from minio import Minio

from pipeline.errors import ConfigurationError, ObjectNotFound, StorageError
from pipeline.settings import Settings
from pipeline.store.storage import (
    S3_PART_BYTES,
    InvalidKey,
    LocalStore,
    ObjectStore,
    S3Store,
    check_key,
    open_store,
)
from tests.support.s3server import S3Server

BIG_BYTES = 2 * S3_PART_BYTES + 3 * 1024 * 1024  # three S3 parts, the last one partial


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    return request.getfixturevalue("s3_store")


class GeneratedStream(io.RawIOBase):
    """A one-way stream of seeded random bytes that records how much was asked per read."""

    def __init__(self, size: int, seed: int = 7) -> None:
        self._left = size
        self._random = random.Random(seed)
        self.digest = hashlib.sha256()
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = min(len(buffer), self._left)
        self.largest_read = max(self.largest_read, len(buffer))
        data = self._random.randbytes(size)
        buffer[:size] = data
        self._left -= size
        self.digest.update(data)
        return size


def sha256_of_object(store: ObjectStore, key: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    largest_chunk = 0
    with store.open(key) as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
            largest_chunk = max(largest_chunk, len(chunk))
    return digest.hexdigest(), largest_chunk


def test_bytes_round_trip(store: ObjectStore) -> None:
    data = b"\x00\x01" + "données".encode()
    store.put_bytes("dossiers/abc123/manifest.bin", data)
    assert store.get_bytes("dossiers/abc123/manifest.bin") == data
    assert store.size("dossiers/abc123/manifest.bin") == len(data)


def test_overwrite_replaces_content(store: ObjectStore) -> None:
    store.put_bytes("a/b", b"first version, longer")
    store.put_bytes("a/b", b"second")
    assert store.get_bytes("a/b") == b"second"


def test_put_file_and_download(store: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "source.pdf"
    source.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 100)
    store.put_file("dossiers/abc123/files/x", source, content_type="application/pdf")
    target = tmp_path / "out" / "copy.pdf"
    target.parent.mkdir()
    store.download("dossiers/abc123/files/x", target)
    assert target.read_bytes() == source.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["copy.pdf"]  # no temp file left


def test_large_stream_is_uploaded_and_read_in_parts(store: ObjectStore) -> None:
    source = GeneratedStream(BIG_BYTES)
    store.put_stream("big/object", source)
    # Neither store asked the source for more than one S3 part at a time (minio asks
    # for one byte more, to learn whether the part is the last one).
    assert 0 < source.largest_read <= S3_PART_BYTES + 1
    assert store.size("big/object") == BIG_BYTES
    digest, largest_chunk = sha256_of_object(store, "big/object")
    assert digest == source.digest.hexdigest()
    assert largest_chunk <= 1024 * 1024


def test_large_file_upload_is_multipart_on_s3(s3_store: S3Store, s3_server: S3Server) -> None:
    s3_store.put_stream("big/object", GeneratedStream(BIG_BYTES))
    client = Minio(
        endpoint=s3_server.endpoint,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
        secure=False,
    )
    etag = client.stat_object(bucket_name=s3_store.bucket, object_name="big/object").etag
    # A multipart ETag ends with "-<number of parts>".
    assert etag is not None and etag.endswith("-3")


def test_exists_and_missing(store: ObjectStore) -> None:
    assert not store.exists("nothing/here")
    store.put_bytes("some/thing", b"x")
    assert store.exists("some/thing")
    assert not store.exists("some")  # a "folder" is not an object


def test_missing_key_raises_object_not_found(store: ObjectStore, tmp_path: Path) -> None:
    with pytest.raises(ObjectNotFound) as caught, store.open("missing/key"):
        pass
    assert caught.value.code == "OBJECT_NOT_FOUND"
    assert "introuvable" in caught.value.message_fr
    with pytest.raises(ObjectNotFound):
        store.get_json("missing/key.json")
    with pytest.raises(ObjectNotFound):
        store.size("missing/key")
    with pytest.raises(ObjectNotFound):
        store.download("missing/key", tmp_path / "never")
    assert not (tmp_path / "never").exists()


def test_list_is_recursive_sorted_and_prefix_filtered(store: ObjectStore) -> None:
    keys = ["dossiers/b/files/2", "dossiers/a/manifest.json", "dossiers/a/files/1", "cache/x"]
    keys += ["dossiers/ab/report.json", "dossiers/a/files/0"]
    for key in keys:
        store.put_bytes(key, key.encode())
    assert list(store.list("")) == sorted(keys)
    assert list(store.list("dossiers/a/")) == [
        "dossiers/a/files/0",
        "dossiers/a/files/1",
        "dossiers/a/manifest.json",
    ]
    # A prefix is a string prefix, as in S3, not a folder name.
    assert list(store.list("dossiers/a")) == sorted(k for k in keys if k.startswith("dossiers/a"))
    assert list(store.list("dossiers/a/files/1")) == ["dossiers/a/files/1"]
    assert list(store.list("nothing/")) == []


def test_delete_is_idempotent(store: ObjectStore) -> None:
    store.put_bytes("dossiers/a/files/1", b"x")
    store.put_bytes("dossiers/a/files/2", b"y")
    store.delete("dossiers/a/files/1")
    store.delete("dossiers/a/files/1")
    store.delete("never/existed")
    assert not store.exists("dossiers/a/files/1")
    assert list(store.list("")) == ["dossiers/a/files/2"]


def test_copy(store: ObjectStore) -> None:
    store.put_bytes("models/doctype/1/model.skops", b"weights")
    store.copy("models/doctype/1/model.skops", "models/doctype/current/model.skops")
    assert store.get_bytes("models/doctype/current/model.skops") == b"weights"
    with pytest.raises(ObjectNotFound):
        store.copy("models/none", "models/other")


def test_json_helpers(store: ObjectStore) -> None:
    value = {"procédure": "bourse", "pièces": [1, 2.5, None, True], "nom": "Élodie Dupré"}
    store.put_json("dossiers/a/manifest.json", value)
    assert store.get_json("dossiers/a/manifest.json") == value
    assert "Élodie".encode() in store.get_bytes("dossiers/a/manifest.json")  # UTF-8, not \\u


BAD_KEYS = [
    "",
    "/etc/passwd",
    "../outside",
    "a/../../outside",
    "a/./b",
    "a//b",
    "a/",
    "a\\b",
    "..",
    "a/\x00b",
    "a/\nb",
    "x" * 1025,
    "a/.justif-tmp-123.part",
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_invalid_keys_are_refused(store: ObjectStore, key: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidKey):
        store.put_bytes(key, b"x")
    with pytest.raises(InvalidKey):
        store.exists(key)
    with pytest.raises(InvalidKey):
        store.delete(key)
    with pytest.raises(InvalidKey), store.open(key):
        pass
    # Nothing was written anywhere near the store.
    assert not (tmp_path / "outside").exists()
    assert list(store.list("")) == []


def test_check_key_accepts_the_layout() -> None:
    for key in ("dossiers/0f3a/files/" + "a" * 64, "cache/pages/abc/1.json", "models/x/current"):
        assert check_key(key) == key


def test_local_store_refuses_symlink_escape(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    store = LocalStore(tmp_path / "store")
    (tmp_path / "store" / "link").symlink_to(outside)
    with pytest.raises(InvalidKey):
        store.get_bytes("link/secret")


def test_local_store_write_is_atomic(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    store.put_bytes("a/b", b"old")

    class Failing(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            raise OSError("source disconnected")

    with pytest.raises(StorageError):
        store.put_stream("a/b", Failing())  # type: ignore[arg-type]
    assert store.get_bytes("a/b") == b"old"
    assert sorted(p.name for p in (tmp_path / "store" / "a").iterdir()) == ["b"]


def test_local_store_prunes_empty_folders(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    store.put_bytes("dossiers/a/files/1", b"x")
    store.delete("dossiers/a/files/1")
    assert list((tmp_path / "store").iterdir()) == []


def test_wrong_credentials_give_a_clear_storage_error(s3_server: S3Server) -> None:
    with pytest.raises(StorageError) as caught:
        S3Store(s3_server.endpoint, s3_server.access_key, "not-the-secret", "test-denied")
    error = caught.value
    assert not isinstance(error, ObjectNotFound)
    assert error.code == "STORAGE_ERROR"
    assert "refusé l'accès" in error.message_fr
    assert error.detail is not None and "SignatureDoesNotMatch" in error.detail
    assert error.__cause__ is not None


def test_unreachable_server_is_a_storage_error_after_bounded_retries(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        endpoint = f"127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(StorageError) as caught:
        S3Store(endpoint, "key", "secret-key", "justif", attempts=2, backoff_s=0.01)
    assert "indisponible" in caught.value.message_fr


def test_invalid_bucket_name_is_a_configuration_error(s3_server: S3Server) -> None:
    with pytest.raises(ConfigurationError):
        S3Store(s3_server.endpoint, s3_server.access_key, s3_server.secret_key, "No_Such")


def test_open_store_follows_settings(tmp_path: Path, s3_server: S3Server) -> None:
    local = open_store(Settings(home=tmp_path))
    assert isinstance(local, LocalStore) and local.root == (tmp_path / "store").resolve()
    remote = open_store(
        Settings(
            home=tmp_path,
            s3_endpoint=s3_server.url,
            s3_access_key=s3_server.access_key,
            s3_secret_key=s3_server.secret_key,  # type: ignore[arg-type]
            s3_bucket="test-open-store",
        )
    )
    assert isinstance(remote, S3Store)
    remote.put_bytes("k", b"v")
    assert remote.get_bytes("k") == b"v"


class ScriptedS3:
    """A tiny real HTTP server that answers every object request with one fixed S3 error.

    Stands in for an overloaded or misconfigured S3 server, to count how often
    S3Store retries. Bucket requests (HEAD, region) succeed so the store can be built.
    """

    def __init__(self, status: int, code: str) -> None:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>scripted</Message><Resource>/</Resource><RequestId>1</RequestId></Error>"
        ).encode()
        location = b'<?xml version="1.0" encoding="UTF-8"?><LocationConstraint/>'
        self.object_requests = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                if self.path.endswith("?location="):  # minio asks the bucket's region first
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(location)))
                    self.end_headers()
                    self.wfile.write(location)
                    return
                outer.object_requests += 1
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedS3:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("status", "code", "expected_requests", "message"),
    [
        (503, "SlowDown", 3, "indisponible"),
        (500, "InternalError", 3, "indisponible"),
        (403, "AccessDenied", 1, "refusé l'accès"),
        (400, "InvalidRequest", 1, "erreur inattendue"),
    ],
)
def test_only_transient_errors_are_retried_and_boundedly(
    status: int, code: str, expected_requests: int, message: str
) -> None:
    with ScriptedS3(status, code) as server:
        store = S3Store(server.endpoint, "key", "secret-key", "justif", attempts=3, backoff_s=0.01)
        with pytest.raises(StorageError) as caught:
            store.get_bytes("dossiers/a/manifest.json")
    assert server.object_requests == expected_requests
    assert message in caught.value.message_fr
    assert caught.value.detail is not None and code in caught.value.detail
