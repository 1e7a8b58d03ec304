"""Process-wide defaults set before Prefect is imported: quiet, private, no telemetry."""

from __future__ import annotations

import os

_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "DO_NOT_TRACK": "1",
    # The ephemeral API server migrates its SQLite database on a cold start; on
    # a busy 2-core machine that can exceed Prefect's 20 s default.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    # Tesseract's own threads are slower than one process per page on few cores.
    "OMP_THREAD_LIMIT": "1",
}


def apply_defaults() -> None:
    for name, value in _DEFAULTS.items():
        os.environ.setdefault(name, value)
