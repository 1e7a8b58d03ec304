"""`justif serve` as a real process on a free loopback port, for the API tests and the bench."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 20) -> None:
        """Signal the process; SIGKILL takes its whole process group (its own session) down,
        as a machine crash would: the reading children and Prefect's server with it."""
        if sig == signal.SIGKILL:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # Whatever it left behind in its session (Prefect's ephemeral server after a kill).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGTERM)


def start_serve(
    home: Path,
    env: dict[str, str],
    *,
    args: tuple[str, ...] = (),
    timeout_s: float = 180,
    nice: int = 0,
) -> ServerProcess:
    """Start `justif serve` and wait until /healthz answers (`--worker-only`: just started).

    `nice` lowers the process's CPU priority (a batch worker beside a latency-bound API).
    """
    port = free_port()
    log = home / f"serve-{port}.log"
    home.mkdir(parents=True, exist_ok=True)
    # Embedded Prefect unless `env` names a server.
    inherited = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    full_env = {
        **inherited,
        "JUSTIF_HOME": str(home),
        "PREFECT_HOME": str(home / "prefect"),
        **env,
        "JUSTIF_API_HOST": "127.0.0.1",
        "JUSTIF_API_PORT": str(port),
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "justif.cli", "serve", *args],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=(lambda: os.nice(nice)) if nice else None,
        )
    server = ServerProcess(process, f"http://127.0.0.1:{port}", log)
    if "--worker-only" in args:
        return server
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"justif serve exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop(signal.SIGKILL)
    raise RuntimeError("justif serve did not answer /healthz in time")
