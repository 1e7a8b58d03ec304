"""The purge-expired flow under the Prefect harness, with a fake clock passed as `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from flows import prefect_runtime as runtime
from flows.purge import purge_expired
from pipeline.store import db, keys
from pipeline.store.dossiers import store_dossier

DECIDED = datetime(2020, 1, 6, 10, 0, tzinfo=UTC)  # long before any other test's dossier


def test_purge_expired_deletes_originals_once_retention_is_over(
    prefect_harness: None, tmp_path: Path
) -> None:
    original = tmp_path / "rib.txt"
    original.write_text("RIB de Zoé Lefèvre")
    manifest = store_dossier(
        runtime.store(), procedure="transport-scolaire", files=[("rib.txt", original)]
    )
    sha = manifest.files[0].sha256
    with runtime.database().begin() as session:
        session.add(
            db.Dossier(
                id=manifest.dossier_id,
                procedure="transport-scolaire",
                decided_at=DECIDED,
                status=db.DossierStatus.DECIDED,
            )
        )
    runtime.store().put_json(keys.report_key(manifest.dossier_id), {"pieces": [{"text": "x"}]})

    assert manifest.dossier_id not in purge_expired(now=DECIDED + timedelta(days=364))
    assert runtime.store().exists(keys.original_key(manifest.dossier_id, sha))

    assert purge_expired(now=DECIDED + timedelta(days=365)) == [manifest.dossier_id]
    assert not runtime.store().exists(keys.original_key(manifest.dossier_id, sha))
    assert runtime.store().get_json(keys.report_key(manifest.dossier_id))["pieces"] == [{}]
    with runtime.database()() as session:
        actions = session.scalars(
            select(db.AuditEvent.action).where(db.AuditEvent.dossier_id == manifest.dossier_id)
        ).all()
    assert sorted(actions) == ["dossier.purged", "piece.original_deleted"]
    assert purge_expired(now=DECIDED + timedelta(days=366)) == []
