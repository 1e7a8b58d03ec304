"""The ASGI application of `justif serve`: the API under /api/v1, health probes, OpenAPI at
/docs and /openapi.json; the review pages will join it under /review."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.security import HTTPBearer

from justif.api import dossiers, errors, health, procedures
from justif.api.context import ApiContext
from justif.api.errors import ErrorBody
from justif.api.gate import Gate
from justif.api.ratelimit import RateLimiter
from justif.api.worker import CheckWorker, WebhookLoop, choose_runner

# Documented on every /api/v1 operation (the gate answers 401 and 429 before the route).
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        400: "malformed request",
        401: "missing, invalid or revoked token",
        403: "another backend's dossier",
        404: "unknown dossier or report",
        409: "idempotency key reused with another body, or dossier being checked",
        413: "request, file count or file too large",
        422: "invalid field (procedure, applicant, callback_url...)",
        429: "rate limit; see Retry-After",
        503: "object store or database unavailable; see Retry-After",
    }.items()
}


def create_app(ctx: ApiContext, *, background: bool = True) -> FastAPI:
    """The app; with `background`, its lifespan also runs the check workers and webhook loop."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        threads = start_background(ctx, stop) if background else []
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=5)

    app = FastAPI(
        title="justif",
        version="1",
        summary="Vérification des pièces justificatives : API des services de démarches.",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    errors.install(app)
    api = APIRouter(
        prefix="/api/v1",
        responses=ERROR_RESPONSES,
        dependencies=[Depends(HTTPBearer(auto_error=False))],
    )
    api.include_router(dossiers.router)
    api.include_router(procedures.router)
    app.include_router(api)
    app.include_router(health.router)
    app.add_middleware(
        Gate,
        sessions=ctx.sessions,
        limiter=RateLimiter(per_minute=ctx.api.rate_per_minute, burst=ctx.api.rate_burst),
        max_body_bytes=ctx.api.max_body_bytes,
    )
    return app


def start_background(ctx: ApiContext, stop: threading.Event) -> list[threading.Thread]:
    threads: list[threading.Thread] = []
    if ctx.api.check_workers:
        runner = choose_runner(ctx.api)
        threads += [
            CheckWorker(ctx.sessions, ctx.api, runner, stop, index=i)
            for i in range(ctx.api.check_workers)
        ]
    if ctx.api.webhooks:
        threads.append(WebhookLoop(ctx.sessions, ctx.store, ctx.api, stop))
    for thread in threads:
        thread.start()
    return threads
