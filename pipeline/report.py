"""The dossier report of DESIGN.md §7, built from the manifest and the piece readings.

The report is what backends and case officers see: it carries summaries and
French messages, never full page texts (those stay in the readings).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pipeline import keys
from pipeline.dossiers import Manifest
from pipeline.storage import ObjectStore
from pipeline.types import PageReading, PieceReading


def page_summary(page: PageReading, *, with_text: bool = False) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "n": page.n,
        "text_source": page.text_source.value,
        "quality": page.quality.model_dump(mode="json"),
        "chars": page.chars,
        "confidence": round(page.confidence, 3),
        "seconds": round(page.seconds, 3),
        "cached": page.cached,
    }
    if with_text:
        summary["text"] = page.text
    return summary


def piece_summary(name: str, reading: PieceReading) -> dict[str, Any]:
    return {
        "file": name,
        "sha256": reading.sha256,
        "kind": reading.intake.kind.value if reading.intake else None,
        "type": None,
        "confidence": None,
        "status": "unreadable" if reading.error else "pending",
        "requirement": None,
        "pages": [page_summary(page) for page in reading.pages],
        "fields": {},
        "checks": [],
        "error": reading.error.model_dump() if reading.error else None,
        "seconds": round(reading.seconds, 3),
    }


def build_report(manifest: Manifest, readings: list[PieceReading]) -> dict[str, Any]:
    by_sha = {reading.sha256: reading for reading in readings}
    pieces = [piece_summary(entry.name, by_sha[entry.sha256]) for entry in manifest.files]
    return {
        "dossier_id": manifest.dossier_id,
        "procedure": manifest.procedure,
        "as_of": manifest.effective_as_of.isoformat(),
        "decision": None,
        "pieces": pieces,
        "requirements": [],
        "messages": [],
        "generated_at": datetime.now(UTC).isoformat(),
    }


def save_report(store: ObjectStore, report: dict[str, Any]) -> None:
    """Write the latest report and keep the previous ones under reports/."""
    dossier_id = report["dossier_id"]
    stamp = report["generated_at"].replace(":", "").replace("+", "Z")
    store.put_json(keys.report_history_key(dossier_id, stamp), report)
    store.put_json(keys.report_key(dossier_id), report)
