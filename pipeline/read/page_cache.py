"""Cache of page readings in the object store, keyed by (sha256, page, engine version),
and of intake outcomes (a report or a refusal), keyed by (sha256, limits).

One small JSON object per page under `cache/pages/<sha256>/<page>.json`. The
engine version (tesseract, its languages, justif's reading version) is stored
inside: a reading made by another engine is a miss, so upgrading tesseract or
the preprocessing re-reads pages instead of serving stale text.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from pydantic import ValidationError

from pipeline.errors import ObjectNotFound, blames_the_file
from pipeline.settings import Limits
from pipeline.store.keys import intake_cache_key, page_cache_key, page_cache_prefix
from pipeline.store.storage import ObjectStore
from pipeline.types import IntakeOutcome, PageReading

log = logging.getLogger(__name__)

CACHE_FORMAT = 1


def save_page(store: ObjectStore, sha256: str, engine_version: str, page: PageReading) -> None:
    """Store one page reading for this file content and engine."""
    entry = {
        "format": CACHE_FORMAT,
        "engine_version": engine_version,
        "page": page.model_dump(mode="json", exclude={"cached"}),
    }
    store.put_json(page_cache_key(sha256, page.n), entry)


def load_cached_pages(
    store: ObjectStore, sha256: str, engine_version: str
) -> dict[int, PageReading]:
    """Cached readings of this file by page number; entries of another engine are ignored."""
    pages: dict[int, PageReading] = {}
    for key in store.list(page_cache_prefix(sha256)):
        page = _page_from_entry(store.get_json(key), engine_version)
        if page is not None:
            pages[page.n] = page
        else:
            log.debug("page cache miss for %s (other engine or format)", key)
    return pages


def _page_from_entry(entry: Any, engine_version: str) -> PageReading | None:
    if not isinstance(entry, dict):
        return None
    if entry.get("format") != CACHE_FORMAT or entry.get("engine_version") != engine_version:
        return None
    try:
        return PageReading.model_validate(entry.get("page"))
    except ValidationError:
        # A cache entry from an older schema is not an error: read the page again.
        return None


# Bump when intake changes what it checks (refuses something new, or no longer refuses
# something): older outcomes are then misses. 2: the entry holds the outcome (a report
# or a refusal), not only a report.
INTAKE_FORMAT = 2


def limits_digest(limits: Limits) -> str:
    """A short fingerprint of the limits an intake outcome was reached under."""
    return hashlib.sha256(limits.model_dump_json().encode()).hexdigest()[:16]


def save_intake(store: ObjectStore, sha256: str, limits: Limits, outcome: IntakeOutcome) -> None:
    """Store the intake outcome of this content under these limits: a report or a refusal.

    Keyed by the limits too, so a raised limit takes effect at once. A failure
    that may be the machine's (a time limit, a crash: `blames_the_file` false) is
    not stored: the next run tries again.
    """
    if outcome.error is not None and not blames_the_file(outcome.error.code):
        return
    entry = {
        "format": INTAKE_FORMAT,
        "limits": limits_digest(limits),
        "outcome": outcome.model_dump(mode="json"),
    }
    store.put_json(intake_cache_key(sha256), entry)


def load_intake(store: ObjectStore, sha256: str, limits: Limits) -> IntakeOutcome | None:
    """The cached intake outcome of this content under the same limits, or None."""
    try:
        entry = store.get_json(intake_cache_key(sha256))
    except ObjectNotFound:
        return None
    if not isinstance(entry, dict):
        return None
    if entry.get("format") != INTAKE_FORMAT or entry.get("limits") != limits_digest(limits):
        return None
    try:
        return IntakeOutcome.model_validate(entry.get("outcome"))
    except ValidationError:
        return None
