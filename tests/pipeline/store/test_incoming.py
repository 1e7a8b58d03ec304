"""The incoming/ drop zone on a real local store: valid batches, replays, malformed manifests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.errors import InvalidIncoming
from pipeline.rules.procedures import load_procedures
from pipeline.store import incoming, keys
from pipeline.store.dossiers import load_manifest
from pipeline.store.storage import LocalStore

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
PROCEDURES = load_procedures()
APPLICANT = {
    "first_name": "Zoé",
    "last_name": "Lefèvre",
    "birth_date": "2004-05-17",
    "address": {"line": "3 rue des Tanneurs", "postcode": "21000", "city": "Dijon"},
}


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "store")


def _drop(store: LocalStore, batch: str, manifest: object, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        store.put_bytes(f"incoming/{batch}/{name}", data)
    raw = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    store.put_bytes(f"incoming/{batch}/manifest.json", raw)


def _valid(files: list[str]) -> dict[str, object]:
    return {
        "procedure": "bourse-sanitaire-sociale",
        "applicant": APPLICANT,
        "files": [{"name": name} for name in files],
    }


def test_a_batch_becomes_one_dossier_with_its_files(store: LocalStore) -> None:
    _drop(
        store,
        "lot-001",
        _valid(["rib.pdf", "avis d'impôt.pdf"]),
        {"rib.pdf": b"%PDF-1 a", "avis d'impôt.pdf": b"%PDF-1 b"},
    )
    assert incoming.pending_batches(store) == ["lot-001"]
    done = incoming.ingest_batch(store, PROCEDURES, "lot-001", now=NOW)
    assert done.created
    manifest = load_manifest(store, done.dossier_id)
    assert [f.name for f in manifest.files] == ["rib.pdf", "avis d'impôt.pdf"]
    assert manifest.submitted_at == NOW
    assert manifest.applicant["last_name"] == "Lefèvre"
    assert (
        store.get_bytes(keys.original_key(done.dossier_id, manifest.files[0].sha256)) == b"%PDF-1 a"
    )


def test_a_batch_seen_again_is_never_created_twice(store: LocalStore) -> None:
    _drop(store, "lot-002", _valid(["a.pdf"]), {"a.pdf": b"%PDF-1 a"})
    first = incoming.ingest_batch(store, PROCEDURES, "lot-002", now=NOW)
    again = incoming.ingest_batch(store, PROCEDURES, "lot-002", now=datetime.now(UTC))
    assert again.dossier_id == first.dossier_id and not again.created
    assert load_manifest(store, first.dossier_id).submitted_at == NOW  # untouched
    assert incoming.needs_check(store, first.dossier_id)
    store.put_json(keys.report_key(first.dossier_id), {"dossier_id": first.dossier_id})
    assert not incoming.needs_check(store, first.dossier_id)


def test_clearing_removes_the_batch(store: LocalStore) -> None:
    _drop(store, "lot-003", _valid(["a.pdf"]), {"a.pdf": b"x"})
    incoming.ingest_batch(store, PROCEDURES, "lot-003", now=NOW)
    incoming.clear_batch(store, "lot-003")
    assert list(store.list("incoming/")) == []
    assert incoming.pending_batches(store) == []


@pytest.mark.parametrize(
    ("manifest", "files", "expected"),
    [
        (b"{not json", {}, "JSON valide"),
        ({"procedure": "bourse-sanitaire-sociale", "files": []}, {}, "« files »"),
        ({**_valid(["a.pdf"]), "procedure": "permis-de-chasse"}, {"a.pdf": b"x"}, "inconnue"),
        (_valid(["a.pdf", "b.pdf"]), {"a.pdf": b"x"}, "n° 2"),
        (_valid(["a.pdf", "a.pdf"]), {"a.pdf": b"x"}, "deux fois"),
        (_valid(["error.json"]), {}, "réservé"),
        (_valid(["../../dossiers/x"]), {}, "« files.0.name »"),
        ({**_valid(["a.pdf"]), "extra": 1}, {"a.pdf": b"x"}, "« extra »"),
        ({**_valid(["a.pdf"]), "applicant": {"first_name": "Zoé"}}, {"a.pdf": b"x"}, "demandeur"),
    ],
)
def test_a_malformed_batch_is_refused_and_reported_in_place(
    store: LocalStore, manifest: object, files: dict[str, bytes], expected: str
) -> None:
    _drop(store, "lot-bad", manifest, files)
    with pytest.raises(InvalidIncoming) as caught:
        incoming.ingest_batch(store, PROCEDURES, "lot-bad", now=NOW)
    assert expected in caught.value.message_fr
    incoming.report_invalid(store, "lot-bad", caught.value, now=NOW)
    report = store.get_json("incoming/lot-bad/error.json")
    assert report["code"] == "INVALID_INCOMING" and expected in report["message"]
    assert store.exists("incoming/lot-bad/manifest.json")  # left in place
    assert incoming.pending_batches(store) == []  # and not looked at again
    assert list(store.list("dossiers/")) == []


def test_pending_ignores_batches_without_manifest_and_nested_keys(store: LocalStore) -> None:
    store.put_bytes("incoming/uploading/a.pdf", b"x")
    store.put_bytes("incoming/lot-9/sub/manifest.json", b"{}")
    _drop(store, "lot-10", _valid(["a.pdf"]), {"a.pdf": b"x"})
    assert incoming.pending_batches(store) == ["lot-10"]
