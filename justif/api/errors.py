"""Every error the API answers: a stable `code`, a French `message`, the `field` at fault.

One place turns exceptions into responses, so no handler formats an error itself
and no bad input becomes a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from pipeline.errors import StorageError

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None


class ApiError(HTTPException):
    """An answer other than success. FastAPI lets it through body parsing, so a middleware's
    `receive` may raise it too."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.code = code
        self.message = message
        self.field = field


# Starlette's own refusals (unknown route, wrong method, unparsable body).
_GENERIC = {
    400: ("BAD_REQUEST", "Requête mal formée."),
    404: ("NOT_FOUND", "Ressource introuvable."),
    405: ("METHOD_NOT_ALLOWED", "Méthode non autorisée pour cette adresse."),
    413: ("PAYLOAD_TOO_LARGE", "Requête trop volumineuse."),
}


def error_response(
    status_code: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(code=code, message=message, field=field).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status_code, headers=headers)


# Pydantic's messages are English: the common kinds, in French.
_PROBLEMS = {
    "missing": "champ obligatoire manquant",
    "string_too_long": "valeur trop longue",
    "string_too_short": "valeur trop courte",
    "string_pattern_mismatch": "format incorrect",
    "int_parsing": "nombre entier attendu",
    "greater_than_equal": "valeur trop petite",
    "less_than_equal": "valeur trop grande",
    "enum": "valeur inconnue",
    "literal_error": "valeur inconnue",
}


def _field_of(loc: tuple[Any, ...]) -> str | None:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or None


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match is not Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if isinstance(error, ApiError):
            return error_response(
                error.status_code,
                error.code,
                error.message,
                field=error.field,
                headers=error.headers,
            )
        code, message = _GENERIC.get(error.status_code, ("HTTP_ERROR", "Requête refusée."))
        headers = error.headers
        if error.status_code == 405:
            headers = {"Allow": ", ".join(_allowed_methods(request))}
        return error_response(error.status_code, code, message, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        field = _field_of(tuple(first.get("loc", ())))
        where = f" (champ « {field} »)" if field else ""
        problem = _PROBLEMS.get(str(first.get("type", "")), "valeur incorrecte")
        return error_response(
            422, "VALIDATION_ERROR", f"Requête invalide{where} : {problem}.", field=field
        )

    @app.exception_handler(StorageError)
    async def _storage(_request: Request, error: StorageError) -> JSONResponse:
        # The store is down or refuses us: the backend should retry later, with the same key.
        log.error("object store error: %s (%s)", error.code, error.detail or "")
        return error_response(
            503, "STORAGE_UNAVAILABLE", error.message_fr, headers={"Retry-After": "30"}
        )

    @app.exception_handler(OperationalError)
    async def _database(_request: Request, error: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", type(error.orig).__name__)
        return error_response(
            503,
            "DATABASE_UNAVAILABLE",
            "La base de données est indisponible pour le moment : réessayez plus tard.",
            headers={"Retry-After": "30"},
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, error: Exception) -> JSONResponse:
        # A bug: logged with its traceback (ids and paths only, never a body), answered plainly.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "INTERNAL_ERROR", "Erreur interne : réessayez plus tard.")
