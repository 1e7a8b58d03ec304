"""API load benchmark: many backends' submissions against `justif serve` and one worker.

    .venv/bin/python -m bench.api_load [--dossiers 200] [--clients 20] [--kill]
                                       [--out bench/results/api_load.json]

a) D dossiers of 5 generated born-digital documents each (every file distinct,
   so no page cache helps), submitted by C concurrent HTTP clients (httpx) to a
   `justif serve --check-workers 0` process, while a `justif serve --worker-only`
   process checks them one at a time; every dossier asks for a webhook to a
   local receiver that checks every signature with its own HMAC code;
b) submit latency (p50, p95, max) while the worker is busy, and the drain rate
   (dossiers checked per minute, first submission to last report);
c) with --kill: the worker and the server are SIGKILLed halfway through the
   submissions (clients retry with the same Idempotency-Key), and again when
   half the dossiers are checked, while the worker is in the middle of a check;
   both times they are started again;
d) counted at the end, in the database and the store: dossiers (no loss, no
   duplicate), states, report versions, webhooks delivered per report version.
Not a test: it prints figures, and writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from fixtures.generator.api import generate_document
from pipeline.store import backends, db
from pipeline.store.storage import LocalStore
from tests.support.api_server import ServerProcess, start_serve
from tests.support.webhook_receiver import Receiver

TYPES = ("identity_card", "proof_of_address", "tax_notice", "bank_details", "school_certificate")
APPLICANT = {
    "first_name": "Camille",
    "last_name": "Martin",
    "birth_date": "2004-05-06",
    "address": {"line": "3 rue de la Gare", "postcode": "25000", "city": "Besançon"},
}
DEFAULT_OUT = Path("bench/results/api_load.json")


def _make_set(args: tuple[Path, int]) -> list[str]:
    folder, index = args
    paths = []
    for k, doc_type in enumerate(TYPES):
        doc = generate_document(
            doc_type, folder, seed=index * 10 + k, name=f"{index}-{k}", rendering="born_digital"
        )
        paths.extend(str(folder / f.path) for f in doc.files)
    return paths[:5]


def make_files(root: Path, count: int) -> list[list[Path]]:
    folder = root / "files"
    folder.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(2) as pool:
        sets = list(pool.map(_make_set, [(folder, i) for i in range(count)]))
    return [[Path(p) for p in paths] for paths in sets]


class Stack:
    """The API server and the worker, restartable."""

    def __init__(self, home: Path, env: dict[str, str], *, worker: bool = True) -> None:
        self.home, self.env, self.with_worker = home, env, worker
        self.server: ServerProcess | None = None
        self.worker: ServerProcess | None = None
        self.url = ""

    def start(self) -> None:
        self.server = start_serve(self.home, self.env, args=("--check-workers", "0"))
        self.url = self.server.url
        if not self.with_worker:
            return
        # The worker is a batch job beside a latency-bound API on the same 2 cores.
        self.worker = start_serve(
            self.home,
            self.env,
            args=("--worker-only", "--check-workers", "1", "--no-webhooks"),
            nice=10,
        )

    def kill(self) -> None:
        for process in (self.worker, self.server):
            if process is not None:
                process.stop(signal.SIGKILL)

    def stop(self) -> None:
        for process in (self.worker, self.server):
            if process is not None:
                process.stop(signal.SIGINT if process is self.worker else signal.SIGTERM)


def submit_all(
    stack: Stack, token: str, sets: list[list[Path]], clients: int, callback: str, on_half: Any
) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        files = [("files", (p.name, p.read_bytes(), "application/pdf")) for p in sets[index]]
        data = {
            "procedure": "bourse-sanitaire-sociale",
            "applicant": json.dumps(APPLICANT),
            "callback_url": callback,
            "external_ref": f"BENCH-{index}",
        }
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"bench-{index}"}
        retries = 0
        while True:
            started = time.perf_counter()
            try:
                response = httpx.post(
                    stack.url + "/api/v1/dossiers",
                    data=data,
                    files=files,
                    headers=headers,
                    timeout=60,
                )
            except httpx.TransportError:
                response = None
            elapsed = time.perf_counter() - started
            if response is not None and response.status_code == 202:
                break
            retries += 1
            time.sleep(0.5)  # the server is restarting, or busy: same key, same dossier
        with lock:
            results.append(
                {
                    "index": index,
                    "id": response.json()["id"],
                    "seconds": elapsed,
                    "retries": retries,
                }
            )
            if len(results) == len(sets) // 2:
                on_half()

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(len(sets))))
    return results


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processing(sessions: Any) -> list[str]:
    with sessions() as session:
        rows = session.query(db.ApiSubmission.dossier_id).filter(
            db.ApiSubmission.state == db.SubmissionState.PROCESSING
        )
        return [dossier_id for (dossier_id,) in rows]


def states(sessions: Any) -> Counter[str]:
    with sessions() as session:
        rows = session.query(db.ApiSubmission.state).all()
    return Counter(str(state.value) for (state,) in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--kill", action="store_true", help="SIGKILL worker and server halfway")
    parser.add_argument("--timeout-min", type=float, default=120)
    parser.add_argument(
        "--submit-only", action="store_true", help="no worker: measure the submit path alone"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    options = parser.parse_args()
    # `kill PID` stops the servers too (the finally below), as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    root = Path(tempfile.mkdtemp(prefix="justif-api-load-"))
    home = root / "home"
    url = f"sqlite:///{home / 'justif.db'}"
    home.mkdir(parents=True)
    db.upgrade_database(url)
    sessions = db.session_factory(db.make_engine(url))
    backend = backends.create_backend(sessions, "bench")
    receiver = Receiver(secret=backend.callback_secret).start()

    started = time.perf_counter()
    sets = make_files(root, options.dossiers)
    print(f"generated {options.dossiers} x 5 files in {time.perf_counter() - started:.0f} s")

    env = {
        "JUSTIF_API_REQUIRE_MODEL": "false",
        "JUSTIF_API_RATE_PER_MINUTE": "100000",
        "JUSTIF_API_RATE_BURST": "1000",
        "JUSTIF_API_CHECK_LEASE_S": "15",  # a killed worker's dossier is taken again soon
        "JUSTIF_API_QUEUE_POLL_S": "0.5",
        "JUSTIF_API_WEBHOOK_POLL_S": "0.5",
    }
    stack = Stack(home, env, worker=not options.submit_only)
    stack.start()
    time.sleep(3)  # let the worker pay its start-up (Prefect, model) before timing

    def kill_and_restart() -> None:
        if not options.kill:
            return

        def run() -> None:
            stack.kill()
            print("killed the worker and the server (SIGKILL); restarting")
            time.sleep(2)
            stack.start()

        threading.Thread(target=run, daemon=True).start()

    try:
        measure(options, sessions, stack, backend, receiver, sets, kill_and_restart, home)
    finally:
        stack.stop()
        receiver.stop()
        if not options.keep:
            shutil.rmtree(root, ignore_errors=True)


def measure(options, sessions, stack, backend, receiver, sets, kill_and_restart, home):  # type: ignore[no-untyped-def]
    assert stack.server is not None
    server_pid = stack.server.process.pid
    cpu_before = cpu_s(server_pid)
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    results = submit_all(
        stack, backend.token, sets, options.clients, receiver.url, kill_and_restart
    )
    submitted_s = time.perf_counter() - t0
    # Only meaningful without --kill (the server process is replaced halfway).
    server_cpu_ms = (cpu_s(server_pid) - cpu_before) * 1000 if not options.kill else None
    load_during = os.getloadavg()[0]
    if options.submit_only:
        figures = {
            "dossiers": options.dossiers,
            "clients": options.clients,
            "acknowledged": len(results),
            "distinct_ids": len({r["id"] for r in results}),
            **latency_figures(results),
            "submit_phase_s": round(submitted_s, 1),
            "server_cpu_ms_per_submit": round((server_cpu_ms or 0) / options.dossiers, 1),
            "load_average_1min": [round(load_before, 1), round(load_during, 1)],
        }
        report(figures, options.out)
        return
    deadline = t0 + options.timeout_min * 60
    interrupted: list[str] = []  # dossiers being checked when the worker was killed
    while time.perf_counter() < deadline:
        counted = states(sessions)
        if counted.get("done", 0) + counted.get("failed", 0) >= options.dossiers:
            break
        if options.kill and not interrupted and counted.get("done", 0) >= options.dossiers // 2:
            interrupted = processing(sessions)
            if interrupted:  # a check is running: kill both in the middle of it
                stack.kill()
                print(
                    f"killed the worker while it checked {len(interrupted)} dossier(s); restarting"
                )
                time.sleep(2)
                stack.start()
        time.sleep(2)
    drained_s = time.perf_counter() - t0
    while time.perf_counter() < deadline:
        if len({d.event_id for d in receiver.accepted()}) >= options.dossiers:
            break
        time.sleep(1)
    time.sleep(3)  # a late duplicate would show up here

    store = LocalStore(home / "store")
    manifests = [k for k in store.list("dossiers/") if k.endswith("/manifest.json")]
    with sessions() as session:
        versions = session.query(db.ReportVersion).count()
        outbox_rows = session.query(db.OutboxEvent).count()
        interrupted_rows = [session.get(db.ApiSubmission, d) for d in interrupted]
    accepted = receiver.accepted()
    per_version = Counter((d.body["dossier_id"], d.body["version"]) for d in accepted)
    figures = {
        "dossiers": options.dossiers,
        "clients": options.clients,
        "kill": options.kill,
        "acknowledged": len(results),
        "distinct_ids": len({r["id"] for r in results}),
        "submissions_retried": sum(1 for r in results if r["retries"]),
        "db_states": dict(states(sessions)),
        "store_dossiers": len(manifests),
        "report_versions": versions,
        "outbox_rows": outbox_rows,
        "interrupted_checks": [
            {
                "state": str(r.state.value),
                "attempts": r.attempts,
                "reported_version": r.reported_version,
            }
            for r in interrupted_rows
            if r is not None
        ],
        "webhooks_accepted": len(accepted),
        "webhook_versions_delivered": len(per_version),
        "webhook_duplicates": sum(n - 1 for n in per_version.values()),
        "webhook_bad_signatures": sum(1 for d in receiver.requests if not d.signature_ok),
        **latency_figures(results),
        "submit_phase_s": round(submitted_s, 1),
        "server_cpu_ms_per_submit": (
            round(server_cpu_ms / options.dossiers, 1) if server_cpu_ms is not None else None
        ),
        "load_average_1min": [round(load_before, 1), round(load_during, 1)],
        "drain_s": round(drained_s, 1),
        "drain_dossiers_per_min": round(options.dossiers / (drained_s / 60), 1),
    }
    report(figures, options.out)


def latency_figures(results: list[dict[str, Any]]) -> dict[str, float]:
    """Submit latencies of the requests answered at the first try (a retry spans a restart)."""
    latencies = sorted(r["seconds"] * 1000 for r in results if r["retries"] == 0)
    return {
        "submit_ms_p50": round(statistics.median(latencies), 1),
        "submit_ms_p95": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
        "submit_ms_max": round(latencies[-1], 1),
    }


def report(figures: dict[str, Any], out: Path) -> None:
    for key, value in figures.items():
        print(f"{key:28} {value}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
