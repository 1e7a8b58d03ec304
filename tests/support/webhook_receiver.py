"""A webhook receiver for tests and the bench: a real HTTP server on loopback that checks
every signature with its own HMAC code (not justif's), and can be told to fail first."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Delivery:
    event_id: str
    timestamp: int
    signature_ok: bool
    body: dict[str, Any]
    status: int  # what the receiver answered


@dataclass
class Receiver:
    secret: str
    fail_first: int = 0  # answer 503 to this many requests before accepting
    tolerance_s: int = 300
    requests: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/justif"

    def accepted(self) -> list[Delivery]:
        with self.lock:
            return [d for d in self.requests if d.status == 200]

    def verify(self, headers: Any, raw: bytes) -> tuple[bool, int]:
        """The recipe of docs/api.md, written independently of pipeline.webhooks.signing."""
        stamp = headers.get("X-Justif-Timestamp", "")
        sent = headers.get("X-Justif-Signature", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > self.tolerance_s:
            return False, 0
        expected = hmac.new(self.secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256)
        good = "v1=" + expected.hexdigest()
        return any(hmac.compare_digest(good, s.strip()) for s in sent.split(",")), int(stamp)

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ok, stamp = receiver.verify(self.headers, raw)
                with receiver.lock:
                    failing = len(receiver.requests) < receiver.fail_first
                    status = 401 if not ok else 503 if failing else 200
                    receiver.requests.append(
                        Delivery(
                            event_id=self.headers.get("X-Justif-Event-Id", ""),
                            timestamp=stamp,
                            signature_ok=ok,
                            body=json.loads(raw) if ok else {},
                            status=status,
                        )
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
