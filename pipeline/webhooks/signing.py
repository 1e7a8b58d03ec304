"""The webhook signature: `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the backend's
callback secret. The timestamp is signed with the body, so a receiver that refuses old
timestamps refuses replays of captured requests."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_S = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def verify(
    secret: str,
    *,
    timestamp: str,
    signature_header: str,
    body: bytes,
    now: float,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> bool:
    """True when the signature matches and the timestamp is within `tolerance_s` of `now`."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance_s:
        return False
    expected = signature(secret, sent_at, body)
    # A header may carry several signatures (secret rotation): any one may match.
    return any(hmac.compare_digest(expected, part.strip()) for part in signature_header.split(","))
