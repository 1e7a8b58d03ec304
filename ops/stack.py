"""A production-like justif stack on one machine, as real processes on loopback.

SeaweedFS (S3), PostgreSQL (Debian's server binaries), a Prefect server on that
PostgreSQL, a `process` work pool with one worker, and the deployments of
prefect.yaml. Used by `make stack` / `make stack-stop` and by the end-to-end
test, which starts the same parts in a temporary folder.

Every process is started in its own session, its PID is recorded in
`<root>/stack.json`, and stopping sends a signal to exactly those process groups.

    python -m ops.stack start [--root .stack]
    python -m ops.stack stop  [--root .stack]
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ops import seaweed
from ops.seaweed import free_ports  # also for callers of ops.stack.free_ports

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin: weed, prefect
PG_BIN = Path(os.environ.get("JUSTIF_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"  # PostgreSQL refuses to run as root: the server runs as this user
POOL = "justif"
BUCKET = "justif"
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0

# Which signal stops which process cleanly (a Prefect worker ignores SIGTERM).
_STOP_SIGNAL = {
    "worker": signal.SIGINT,
    "prefect-server": signal.SIGTERM,
    "postgres": signal.SIGINT,  # PostgreSQL's "fast" shutdown
    "seaweedfs": signal.SIGTERM,
}


class StackError(RuntimeError):
    """A part of the stack did not start; the message ends with the tail of its log."""


@dataclass
class StackState:
    """What a running stack is made of; written to `<root>/stack.json` (mode 0600)."""

    root: str
    s3_port: int = 0
    s3_access_key: str = ""
    s3_secret_key: str = ""
    weed_ports: dict[str, int] = field(default_factory=dict)
    pg_port: int = 0
    pg_password: str = ""
    prefect_port: int = 0
    pids: dict[str, int] = field(default_factory=dict)  # part name -> PID (a session leader)

    @property
    def s3_endpoint(self) -> str:
        return f"127.0.0.1:{self.s3_port}"

    def database_url(self, name: str = "justif", driver: str = "psycopg") -> str:
        return f"postgresql+{driver}://justif:{self.pg_password}@127.0.0.1:{self.pg_port}/{name}"

    @property
    def prefect_api_url(self) -> str:
        return f"http://127.0.0.1:{self.prefect_port}/api"

    def save(self) -> None:
        path = Path(self.root) / "stack.json"
        path.write_text(json.dumps(asdict(self), indent=2))
        path.chmod(0o600)

    @classmethod
    def load(cls, root: Path) -> StackState:
        return cls(**json.loads((root / "stack.json").read_text()))


# ---------------------------------------------------------------------------
# Environments
# ---------------------------------------------------------------------------


def prefect_client_env(state: StackState) -> dict[str, str]:
    """Environment for anything that talks to the stack's Prefect server (CLI, worker)."""
    root = Path(state.root)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "JUSTIF_", "DASK_"))
    }
    env.update(
        {
            "PREFECT_API_URL": state.prefect_api_url,
            "PREFECT_HOME": str(root / "prefect-client"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "DO_NOT_TRACK": "1",
            "PATH": f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}",
        }
    )
    return env


def justif_env(state: StackState) -> dict[str, str]:
    """The JUSTIF_* settings of the stack: what a worker (and a submitting script) needs."""
    root = Path(state.root)
    return {
        "JUSTIF_HOME": str(root / "home"),
        "JUSTIF_S3_ENDPOINT": state.s3_endpoint,
        "JUSTIF_S3_ACCESS_KEY": state.s3_access_key,
        "JUSTIF_S3_SECRET_KEY": state.s3_secret_key,
        "JUSTIF_S3_BUCKET": BUCKET,
        "JUSTIF_DATABASE_URL": state.database_url(),
        "OMP_THREAD_LIMIT": "1",
        "DASK_TEMPORARY_DIRECTORY": str(root / "dask"),
    }


def worker_env(state: StackState) -> dict[str, str]:
    return {**prefect_client_env(state), **justif_env(state)}


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------


def _spawn(
    name: str,
    command: list[str],
    state: StackState,
    *,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start one part in its own session (so that it outlives `make` and stops as a group)."""
    log_path = Path(state.root) / "logs" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            cwd=cwd or Path(state.root),
            start_new_session=True,
            user=user,
            group=user,
            extra_groups=[] if user else None,
        )
    state.pids[name] = process.pid
    state.save()
    return process


def _log_tail(state: StackState, name: str, lines: int = 25) -> str:
    path = Path(state.root) / "logs" / f"{name}.log"
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_until(name: str, state: StackState, process: subprocess.Popen[bytes], ready) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{name} exited with {process.returncode}:\n{_log_tail(state, name)}")
        if ready():
            return
        time.sleep(0.3)
    raise StackError(f"{name} not ready in {START_TIMEOUT_S:.0f} s:\n{_log_tail(state, name)}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_part(name: str, pid: int) -> None:
    """Stop the process group that `pid` leads (we started it as a session leader)."""
    stop = _STOP_SIGNAL.get(name, signal.SIGTERM)
    for sig, wait_s in ((stop, STOP_TIMEOUT_S), (stop, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            _reap(pid)
            if not _pid_alive(pid):
                return
            time.sleep(0.2)


def _reap(pid: int) -> None:
    # Not our child when stopped from another process (make stack-stop): nothing to reap.
    with suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


# ---------------------------------------------------------------------------
# The parts
# ---------------------------------------------------------------------------


def start_seaweedfs(state: StackState) -> None:
    """Start `weed mini` on free ports with the stack's S3 credentials (made on first start)."""
    folder = Path(state.root) / "seaweedfs"
    seaweed.prepare_folder(folder)
    if not state.s3_access_key:
        state.s3_access_key, state.s3_secret_key = seaweed.new_credentials()
    config = seaweed.write_s3_config(folder, state.s3_access_key, state.s3_secret_key)
    state.weed_ports = seaweed.pick_ports()
    state.s3_port = state.weed_ports["s3.port"]
    command = seaweed.weed_command(BIN / "weed", folder, state.weed_ports, config)
    process = _spawn("seaweedfs", command, state)
    _wait_until("seaweedfs", state, process, lambda: seaweed.s3_answers(state.s3_endpoint))


def _server_user() -> str | None:
    """PostgreSQL's user when we are root (it refuses to run as root), else ourselves."""
    return PG_USER if os.geteuid() == 0 else None


def start_postgres(state: StackState) -> None:
    """initdb (first time) and start a private cluster on a free port, then create the DBs."""
    user = _server_user()
    folder = Path(state.root) / "postgres"
    data = folder / "data"
    folder.mkdir(parents=True, exist_ok=True)
    # The server user must reach its folders: root's temporary folders are 0700.
    for path in (Path(state.root), folder):
        path.chmod(0o755)
    if user:
        _check_reachable(folder.parent, user)
        owner = pwd.getpwnam(user)
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    if not (data / "PG_VERSION").exists():
        state.pg_password = secrets.token_urlsafe(18)
        _initdb(folder, data, state.pg_password, user)
    [state.pg_port] = free_ports(1)
    command = [
        str(PG_BIN / "postgres"),
        "-D",
        str(data),
        "-p",
        str(state.pg_port),
        "-k",
        str(folder),  # the unix socket stays in our folder, not /var/run/postgresql
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "max_connections=100",
    ]
    process = _spawn("postgres", command, state, user=user)
    _wait_until("postgres", state, process, lambda: _postgres_answers(state))
    _create_databases(state)


def _check_reachable(folder: Path, user: str) -> None:
    """Fail early and clearly when the server user cannot traverse to its folder."""
    for path in (folder, *folder.parents):
        if not path.stat().st_mode & 0o001:
            raise StackError(
                f"{path} is not searchable by other users, so {user!r} cannot reach the stack "
                "folder: choose a root under a world-searchable folder (e.g. /tmp or the repo)"
            )


def _initdb(folder: Path, data: Path, password: str, user: str | None) -> None:
    pwfile = folder / "pwfile"
    pwfile.write_text(password + "\n")
    if user:
        owner = pwd.getpwnam(user)
        os.chown(pwfile, owner.pw_uid, owner.pw_gid)
    pwfile.chmod(0o600)
    try:
        subprocess.run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "justif",
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
            user=user,
            group=user,
            extra_groups=[] if user else None,
            cwd=folder,
        )
    except subprocess.CalledProcessError as e:
        raise StackError(f"initdb failed:\n{e.stderr.decode(errors='replace')}") from e
    finally:
        pwfile.unlink(missing_ok=True)


def _postgres_answers(state: StackState) -> bool:
    import psycopg

    try:
        with psycopg.connect(_pg_dsn(state, "postgres"), connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def _pg_dsn(state: StackState, dbname: str) -> str:
    return (
        f"host=127.0.0.1 port={state.pg_port} user=justif "
        f"password={state.pg_password} dbname={dbname}"
    )


def _create_databases(state: StackState) -> None:
    import psycopg

    with psycopg.connect(_pg_dsn(state, "postgres"), autocommit=True) as connection:
        existing = {row[0] for row in connection.execute("SELECT datname FROM pg_database")}
        for name in ("justif", "prefect"):
            if name not in existing:
                connection.execute(f'CREATE DATABASE "{name}"')


def start_prefect_server(state: StackState) -> None:
    [state.prefect_port] = free_ports(1)
    env = prefect_client_env(state)
    env.pop("PREFECT_API_URL")
    env.update(
        {
            "PREFECT_HOME": str(Path(state.root) / "prefect-server"),
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": state.database_url("prefect", "asyncpg"),
            "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        }
    )
    command = [
        str(BIN / "prefect"),
        "server",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(state.prefect_port),
    ]
    process = _spawn("prefect-server", command, state, env=env)
    _wait_until(
        "prefect-server", state, process, lambda: _health_ok(state.prefect_api_url + "/health")
    )


def _health_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def prefect_cli(state: StackState, *args: str, timeout_s: float = 180.0) -> str:
    """Run a `prefect` command against the stack's server from the repository folder."""
    result = subprocess.run(
        [str(BIN / "prefect"), "--no-prompt", *args],
        env=prefect_client_env(state),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    if result.returncode != 0:
        raise StackError(f"prefect {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def deploy(state: StackState) -> None:
    """Create the process work pool and every deployment of prefect.yaml."""
    prefect_cli(state, "work-pool", "create", POOL, "--type", "process", "--overwrite")
    prefect_cli(state, "deploy", "--all")


def start_worker(state: StackState, name: str = "worker") -> subprocess.Popen[bytes]:
    command = [str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--name", name]
    process = _spawn(name, command, state, env=worker_env(state), cwd=REPO)
    time.sleep(1.0)
    if process.poll() is not None:
        raise StackError(f"the worker exited with {process.returncode}:\n{_log_tail(state, name)}")
    return process


def start_stack(root: Path, *, worker: bool = True) -> StackState:
    """Start every part; on failure, stop what was started and raise StackError."""
    root.mkdir(parents=True, exist_ok=True)
    state = StackState(root=str(root.resolve()))
    try:
        start_seaweedfs(state)
        start_postgres(state)
        start_prefect_server(state)
        deploy(state)
        if worker:
            start_worker(state)
    except BaseException:
        stop_stack(state)
        raise
    state.save()
    return state


def stop_stack(state: StackState) -> list[str]:
    """Stop the parts this stack started, newest first, by their recorded PIDs."""
    stopped = []
    for name, pid in reversed(list(state.pids.items())):
        stop_part(name, pid)
        stopped.append(name)
    seaweed.remove_grpc_sockets(state.weed_ports)
    state.pids.clear()
    state.save()
    return stopped


# ---------------------------------------------------------------------------
# Command line (make stack / make stack-stop)
# ---------------------------------------------------------------------------


def _print_usage(state: StackState) -> None:
    root = Path(state.root)
    env_file = root / "env.sh"
    lines = [
        f"export {k}={v!r}"
        for k, v in worker_env(state).items()
        if k.startswith(("JUSTIF_", "PREFECT_API_URL", "PREFECT_HOME", "OMP_"))
    ]
    env_file.write_text("\n".join(lines) + "\n")
    env_file.chmod(0o600)
    print(
        f"""
justif stack running (root {root}):
  S3 (SeaweedFS)   http://{state.s3_endpoint}  bucket {BUCKET}
  PostgreSQL       127.0.0.1:{state.pg_port}  databases justif, prefect
  Prefect UI       http://127.0.0.1:{state.prefect_port}
  Worker           pool {POOL!r}, PIDs in {root / "stack.json"}, logs in {root / "logs"}

Submit a dossier (stored, then checked by the `check-dossier` deployment):
  source {env_file}
  .venv/bin/python -m ops.submit --procedure bourse-sanitaire-sociale FILE...
or drop it into the bucket for `ingest-incoming` (runs every minute):
  incoming/<batch>/<file>... then incoming/<batch>/manifest.json last
    {{"procedure": "bourse-sanitaire-sociale", "applicant": {{...}},
     "files": [{{"name": "<file>"}}]}}
Watch it: http://127.0.0.1:{state.prefect_port}/runs  ·  stop everything: make stack-stop
"""
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.stack")
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--root", type=Path, default=REPO / ".stack")
    args = parser.parse_args(argv)
    if args.action == "start":
        if (args.root / "stack.json").exists() and StackState.load(args.root).pids:
            print(f"a stack is already running from {args.root}: make stack-stop first")
            return 1
        if args.root.exists():
            shutil.rmtree(args.root)  # a stopped stack's data is not kept between starts
        try:
            state = start_stack(args.root)
        except StackError as e:
            print(f"the stack did not start: {e}", file=sys.stderr)
            return 1
        _print_usage(state)
        return 0
    if not (args.root / "stack.json").exists():
        print("no stack to stop")
        return 0
    stopped = stop_stack(StackState.load(args.root))
    print("stopped: " + (", ".join(stopped) or "nothing"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
