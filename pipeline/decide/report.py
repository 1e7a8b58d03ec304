"""The dossier report of DESIGN.md §7: the decision, and per piece what its reading says.

`decide` gives the decision's part (statuses, requirements, messages);
`with_readings` adds each piece's file kind, page summaries, intake warnings,
time and stage timings. The report carries summaries, fields with their
evidence and French messages, never full page texts (those stay in the
readings). The stages are chained in `pipeline/sequence.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pipeline.classify import Classification
from pipeline.decide.models import DossierReport, PageSummary, Timings
from pipeline.store import keys
from pipeline.store.dossiers import Manifest
from pipeline.store.storage import ObjectStore
from pipeline.types import PieceReading


def unique_names(manifest: Manifest) -> list[str]:
    """File names as uploaded, made unique within the dossier ("a.pdf", "a (2).pdf")."""
    seen: dict[str, int] = {}
    names = []
    for entry in manifest.files:
        count = seen.get(entry.name, 0) + 1
        seen[entry.name] = count
        if count == 1:
            names.append(entry.name)
        else:
            stem, dot, suffix = entry.name.rpartition(".")
            names.append(f"{stem} ({count}).{suffix}" if dot else f"{entry.name} ({count})")
    return names


def with_readings(
    decided: DossierReport,
    pieces: Sequence[tuple[PieceReading, Classification | None, Timings]],
) -> DossierReport:
    """The decided report with, for each piece (in the report's order), what its reading says."""
    reported = [
        piece.model_copy(
            update={
                "kind": reading.intake.kind if reading.intake else None,
                "pages": [PageSummary.of(page) for page in reading.pages],
                "warnings": list(reading.intake.warnings) if reading.intake else [],
                "seconds": round(reading.seconds, 3),
                "type_guess": classification.best_guess if classification else None,
                "timings": timings.rounded(),
            }
        )
        for piece, (reading, classification, timings) in zip(decided.pieces, pieces, strict=True)
    ]
    return decided.model_copy(
        update={"pieces": reported, "generated_at": datetime.now(UTC).isoformat()}
    )


def save_report(store: ObjectStore, report: dict[str, Any]) -> None:
    """Write the latest report and keep the previous ones under reports/."""
    dossier_id = report["dossier_id"]
    stamp = report["generated_at"].replace(":", "").replace("+", "Z")
    store.put_json(keys.report_history_key(dossier_id, stamp), report)
    store.put_json(keys.report_key(dossier_id), report)
