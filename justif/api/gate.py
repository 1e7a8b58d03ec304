"""What every request under /api/ passes before any of its body is read: the size cap,
the bearer token and the backend's rate. A pure ASGI middleware, so that an
unauthenticated or oversized upload is refused without being parsed."""

from __future__ import annotations

from typing import Any

import anyio
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from justif.api.errors import ApiError, error_response
from justif.api.ratelimit import RateLimiter, retry_after_header
from pipeline.store import backends

API_PREFIX = "/api/"


class Gate:
    def __init__(
        self,
        app: ASGIApp,
        *,
        sessions: sessionmaker[Session],
        limiter: RateLimiter,
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.limiter = limiter
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        refusal = await self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, self._capped(receive), send)

    async def _refusal(self, scope: Scope) -> Any:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            return error_response(
                413,
                "PAYLOAD_TOO_LARGE",
                f"Requête trop volumineuse (au plus {self.max_body_bytes} octets).",
            )
        scheme, _, token = headers.get("authorization", "").partition(" ")
        backend = None
        if scheme.lower() == "bearer" and token.strip():
            backend = await anyio.to_thread.run_sync(
                backends.authenticate, self.sessions, token.strip()
            )
        if backend is None:
            return error_response(
                401,
                "UNAUTHENTICATED",
                "Jeton d'accès manquant, invalide ou révoqué (en-tête Authorization: Bearer).",
                headers={"WWW-Authenticate": "Bearer"},
            )
        wait_s = self.limiter.acquire(backend.id)
        if wait_s > 0:
            return error_response(
                429,
                "RATE_LIMITED",
                "Trop de requêtes pour ce service : réessayez après le délai indiqué.",
                headers={"Retry-After": retry_after_header(wait_s)},
            )
        scope.setdefault("state", {})["backend"] = backend
        return None

    def _capped(self, receive: Receive) -> Receive:
        """`receive` that refuses a body growing past the cap (no or a lying Content-Length)."""
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise ApiError(
                        413,
                        "PAYLOAD_TOO_LARGE",
                        f"Requête trop volumineuse (au plus {self.max_body_bytes} octets).",
                    )
            return message

        return capped
