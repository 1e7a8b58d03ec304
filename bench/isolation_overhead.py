"""Per-call cost of run_isolated (a forkserver child with preloaded modules).

Run: .venv/bin/python -m bench.isolation_overhead
Prints the first call (forkserver start) and the median of later calls.
"""

from __future__ import annotations

import statistics
import time

from pipeline.intake.isolation import run_isolated


def noop(value: int) -> int:
    return value


def main(calls: int = 30) -> None:
    started = time.perf_counter()
    run_isolated(noop, 0, timeout_s=60, memory_mb=2048)
    first_s = time.perf_counter() - started
    durations = []
    for n in range(calls):
        started = time.perf_counter()
        run_isolated(noop, n, timeout_s=60, memory_mb=2048)
        durations.append(time.perf_counter() - started)
    print(f"first call (starts the forkserver): {first_s * 1000:.0f} ms")
    print(f"per call, median of {calls}: {statistics.median(durations) * 1000:.1f} ms")
    print(f"per call, max: {max(durations) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
