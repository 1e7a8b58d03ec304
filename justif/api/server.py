"""Starting the API: the context from `flows.prefect_runtime` (settings, store, migrated database,
model, trust list, built once), then uvicorn; or the background loops alone."""

from __future__ import annotations

import signal
import threading

from justif.api.app import create_app, start_background
from justif.api.config import ApiSettings
from justif.api.context import ApiContext


def build_context(api: ApiSettings) -> ApiContext:
    from flows import prefect_runtime as runtime

    # Paid once here rather than by the first request or check.
    runtime.classifier()
    runtime.trust_list()
    return ApiContext(
        api=api,
        settings=runtime.settings(),
        sessions=runtime.database(),
        store=runtime.store(),
        model_loaded=lambda: runtime.classifier() is not None,
    )


def serve(api: ApiSettings, *, access_log: bool = False) -> None:
    import uvicorn

    app = create_app(build_context(api))
    uvicorn.run(
        app,
        host=api.host,
        port=api.port,
        log_level="warning",
        # The standard loop: checks run Prefect flows in threads of this process.
        loop="asyncio",
        # Off by default: query strings carry the backends' own references.
        access_log=access_log,
        timeout_graceful_shutdown=10,
    )


def run_workers_only(api: ApiSettings) -> None:
    """Checks and webhooks without HTTP, until SIGINT or SIGTERM."""
    ctx = build_context(api)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    threads = start_background(ctx, stop)
    stop.wait()
    for thread in threads:
        thread.join(timeout=10)
