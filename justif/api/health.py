"""`/healthz` (the process answers) and `/readyz` (store, database and model usable)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from justif.api.context import ApiContext, context
from justif.api.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(ctx: Annotated[ApiContext, Depends(context)]) -> JSONResponse:
    store = _probe(lambda: ctx.store.exists("healthz/probe") or True)
    database = _probe(lambda: _select_one(ctx))
    model = _probe(ctx.model_loaded)
    ready = store and database and (model or not ctx.api.require_model)
    body = Readiness(
        status="ready" if ready else "not_ready", store=store, database=database, model=model
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


def _select_one(ctx: ApiContext) -> bool:
    with ctx.sessions() as session:
        return session.execute(text("SELECT 1")).scalar() == 1


def _probe(check: object) -> bool:
    try:
        return bool(check())  # type: ignore[operator]
    except Exception:  # any failure means "not ready"; the reason is in the component's logs
        return False
