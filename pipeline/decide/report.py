"""The dossier report of DESIGN.md §7, built from the manifest and the piece readings.

Each piece is analysed (type, fields, authenticity, legibility), then the
procedure's rules decide. The report carries summaries, fields with their
evidence and French messages, never full page texts (those stay in the
readings).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pipeline.classify import Classification
from pipeline.codes.twoddoc.trust import TrustList
from pipeline.decide.decision import decide
from pipeline.rules.analysis import analyse_piece
from pipeline.rules.applicants import parse_applicant
from pipeline.rules.procedures import Procedure
from pipeline.store import keys
from pipeline.store.dossiers import Manifest
from pipeline.store.storage import ObjectStore
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


def build_report(
    manifest: Manifest,
    procedure: Procedure,
    readings: Mapping[str, PieceReading],
    classifications: Mapping[str, Classification | None],
    *,
    trust: TrustList | None,
) -> dict[str, Any]:
    """The full report: decision, requirements, messages, and per piece its reading summary."""
    as_of = manifest.effective_as_of
    applicant = parse_applicant(procedure.applicant, manifest.applicant)
    names = unique_names(manifest)
    inputs = [
        analyse_piece(
            name,
            readings[entry.sha256],
            classifications.get(entry.sha256),
            as_of=as_of,
            trust=trust,
        )
        for name, entry in zip(names, manifest.files, strict=True)
    ]
    decided = decide(procedure, applicant, inputs, as_of, dossier_id=manifest.dossier_id)
    report = decided.model_dump(mode="json")
    for piece, entry in zip(report["pieces"], manifest.files, strict=True):
        reading = readings[entry.sha256]
        classification = classifications.get(entry.sha256)
        piece["kind"] = reading.intake.kind.value if reading.intake else None
        piece["pages"] = [page_summary(page) for page in reading.pages]
        piece["warnings"] = reading.intake.warnings if reading.intake else []
        piece["seconds"] = round(reading.seconds, 3)
        if classification is not None:
            piece["type_guess"] = (
                classification.best_guess.value if classification.best_guess else None
            )
    report["generated_at"] = datetime.now(UTC).isoformat()
    return report


def save_report(store: ObjectStore, report: dict[str, Any]) -> None:
    """Write the latest report and keep the previous ones under reports/."""
    dossier_id = report["dossier_id"]
    stamp = report["generated_at"].replace(":", "").replace("+", "Z")
    store.put_json(keys.report_history_key(dossier_id, stamp), report)
    store.put_json(keys.report_key(dossier_id), report)
