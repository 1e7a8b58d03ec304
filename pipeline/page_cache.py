"""Cache of page readings in the object store, keyed by (sha256, page, engine version).

One small JSON object per page under `cache/pages/<sha256>/<page>.json`. The
engine version (tesseract, its languages, justif's reading version) is stored
inside: a reading made by another engine is a miss, so upgrading tesseract or
the preprocessing re-reads pages instead of serving stale text.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from pipeline.keys import page_cache_key, page_cache_prefix
from pipeline.storage import ObjectStore
from pipeline.types import PageReading

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
