"""The object-store key layout of DESIGN.md §6, written once.

Keys are built from ids and digests that justif made itself, never from the
names of uploaded files.
"""

from __future__ import annotations

import re

_DOSSIER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{5,63}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _checked_dossier(dossier_id: str) -> str:
    if not _DOSSIER_ID.match(dossier_id):
        raise ValueError(f"invalid dossier id {dossier_id!r}")
    return dossier_id


def _checked_sha(sha256: str) -> str:
    if not _SHA256.match(sha256):
        raise ValueError(f"invalid sha256 {sha256!r}")
    return sha256


def dossier_prefix(dossier_id: str) -> str:
    return f"dossiers/{_checked_dossier(dossier_id)}/"


def manifest_key(dossier_id: str) -> str:
    return dossier_prefix(dossier_id) + "manifest.json"


def original_key(dossier_id: str, sha256: str) -> str:
    return dossier_prefix(dossier_id) + f"files/{_checked_sha(sha256)}"


def reading_key(dossier_id: str, sha256: str) -> str:
    """Full reading of one piece (pages, words, quality), written by the reading task."""
    return dossier_prefix(dossier_id) + f"readings/{_checked_sha(sha256)}.json"


def report_key(dossier_id: str) -> str:
    return dossier_prefix(dossier_id) + "report.json"


def report_history_key(dossier_id: str, stamp: str) -> str:
    return dossier_prefix(dossier_id) + f"reports/{stamp}.json"


def page_cache_prefix(sha256: str) -> str:
    return f"cache/pages/{_checked_sha(sha256)}/"


def page_cache_key(sha256: str, page_no: int) -> str:
    if page_no < 1:
        raise ValueError("page numbers are 1-based")
    return page_cache_prefix(sha256) + f"{page_no}.json"


def intake_cache_key(sha256: str) -> str:
    """Intake report of one file content, beside its page cache (read once per content)."""
    return f"cache/intake/{_checked_sha(sha256)}.json"
