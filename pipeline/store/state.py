"""Writing dossier outcomes to the relational state store (pipeline/store/db.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from pipeline.store import db, submissions
from pipeline.store.dossiers import Manifest


def record_report(
    sessions: sessionmaker[Session], manifest: Manifest, report: dict[str, Any], *, actor: str
) -> None:
    """Create or refresh the dossier's rows from its latest report, with an audit event.

    Re-running a check replaces the piece rows, so a dossier checked twice is
    stored once.
    """
    decision = report.get("decision")
    with sessions.begin() as session:
        dossier = session.get(db.Dossier, manifest.dossier_id)
        if dossier is None:
            dossier = db.Dossier(
                id=manifest.dossier_id,
                procedure=manifest.procedure,
                applicant=manifest.applicant,
                created_at=manifest.submitted_at,
            )
            session.add(dossier)
        dossier.status = db.DossierStatus.DECIDED if decision else db.DossierStatus.PROCESSING
        dossier.decision = decision
        if decision:
            dossier.decided_at = db.utc_now()
        session.execute(delete(db.Piece).where(db.Piece.dossier_id == manifest.dossier_id))
        for position, (entry, piece) in enumerate(
            zip(manifest.files, report["pieces"], strict=True), start=1
        ):
            session.add(
                db.Piece(
                    dossier_id=manifest.dossier_id,
                    sha256=entry.sha256,
                    original_name=entry.name,
                    position=position,
                    size_bytes=entry.size_bytes,
                    kind=piece.get("kind"),
                    status=piece["status"],
                    doc_type=piece.get("type"),
                    confidence=piece.get("confidence"),
                    page_count=len(piece["pages"]),
                    error_code=(piece.get("error") or {}).get("code"),
                )
            )
        session.add(
            db.AuditEvent(
                actor=actor,
                action="dossier.checked",
                dossier_id=manifest.dossier_id,
                detail={"decision": decision, "pieces": len(manifest.files)},
            )
        )
        # A dossier sent through the HTTP API gets its report version and webhook here,
        # in this transaction: never one without the other.
        submissions.on_report_recorded(session, manifest.dossier_id, report)
