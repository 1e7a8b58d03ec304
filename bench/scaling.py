"""Scaling benchmark: pages/minute of the check flow's read phase on 1 and 2 Dask workers.

    .venv/bin/python -m bench.scaling [--pages 12] [--dpi 200] [--out bench/out/scaling.json]

The same scanned dossier (one image-only PDF, every page OCR'd) is read by the
read phase of `check-dossier` (plan -> page-batch tasks -> reassembly) under a
prefect-dask `DaskTaskRunner` on a `LocalCluster` of N worker processes, one
thread each, with an empty page cache every time. Wall time includes starting
the cluster (~1.5 s), as a flow run pays it. Not a test: prints figures, writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

DEFAULT_OUT = Path("bench/out/scaling.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="justif-bench-scaling-"))
    _isolate(scratch)

    from prefect import flow
    from prefect.testing.utilities import prefect_test_harness

    from fixtures.scanned_dossier import write_scanned_pdf
    from flows import prefect_runtime as runtime
    from flows.check_dossier import ReadPhase, read_phase
    from pipeline.store.dossiers import store_dossier

    @flow(name="read-phase-bench")
    def probe(dossier_id: str) -> ReadPhase:
        return read_phase(dossier_id)

    pdf = write_scanned_pdf(scratch / "scan.pdf", args.pages, seed=3, dpi=args.dpi)
    results = []
    with prefect_test_harness(server_startup_timeout=120):
        for workers in args.workers:
            # A fresh store each time: an empty page cache, so every page is really read.
            os.environ["JUSTIF_HOME"] = str(scratch / f"home-{workers}")
            runtime.settings.cache_clear()
            runtime.store.cache_clear()
            manifest = store_dossier(
                runtime.store(), procedure="bourse-sanitaire-sociale", files=[("scan.pdf", pdf)]
            )
            runner = runtime.dask_task_runner(local_workers=workers)
            started = time.perf_counter()
            phase = probe.with_options(task_runner=runner)(manifest.dossier_id)
            seconds = time.perf_counter() - started
            pages = sum(len(batch.pages) for batch in phase.batches)
            used = len({batch.worker for batch in phase.batches})
            results.append(
                {
                    "dask_workers": workers,
                    "pages": pages,
                    "seconds": round(seconds, 2),
                    "pages_per_minute": round(pages / seconds * 60, 1),
                    "processes_used": used,
                }
            )
            print(
                f"{workers} worker(s): {pages} pages in {seconds:.1f} s "
                f"= {pages / seconds * 60:.1f} pages/min ({used} processes used)"
            )
    base = results[0]["pages_per_minute"]
    for row in results:
        row["speedup"] = round(row["pages_per_minute"] / base, 2)
    report = {
        "pages": args.pages,
        "dpi": args.dpi,
        "cpu_count": os.cpu_count(),
        "page_batch_size": 1,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


def _isolate(scratch: Path) -> None:
    """Keep Prefect, Dask and justif away from the user's folders; one page per task."""
    os.environ.update(
        {
            "PREFECT_HOME": str(scratch / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
            "DO_NOT_TRACK": "1",
            "DASK_TEMPORARY_DIRECTORY": str(scratch / "dask"),
            "DASK_LOGGING__DISTRIBUTED": "warning",
            "OMP_THREAD_LIMIT": "1",
            "JUSTIF_PAGE_BATCH_SIZE": "1",
            "JUSTIF_PAGE_WORKERS": "1",
        }
    )
    os.environ.pop("PREFECT_API_URL", None)


if __name__ == "__main__":
    main()
