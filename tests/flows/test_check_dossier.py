"""The check-dossier flow end to end on the embedded defaults, under a real Prefect harness."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from flows import prefect_runtime as runtime
from flows.check_dossier import check_dossier
from pipeline.store import db, keys
from pipeline.store.dossiers import store_dossier
from tests.conftest import require_tool
from tests.support.dossier_files import APPLICANT, write_small_dossier


@pytest.fixture(scope="module")
def dossier_report(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> dict:
    require_tool("tesseract")
    files = write_small_dossier(tmp_path_factory.mktemp("dossier"))
    manifest = store_dossier(
        runtime.store(),
        procedure="bourse-sanitaire-sociale",
        files=[(path.name, path) for path in files.values()],
        applicant=APPLICANT,
    )
    return check_dossier(manifest.dossier_id)


def _piece(report: dict, name: str) -> dict:
    return next(piece for piece in report["pieces"] if piece["file"] == name)


def test_every_piece_is_read_by_the_right_path(dossier_report: dict) -> None:
    pdf = _piece(dossier_report, "certificat.pdf")
    assert [page["text_source"] for page in pdf["pages"]] == ["text_layer"]
    scan = _piece(dossier_report, "quittance.jpg")
    assert [page["text_source"] for page in scan["pages"]] == ["ocr"]
    assert scan["pages"][0]["chars"] > 150
    reading = runtime.store().get_json(
        keys.reading_key(dossier_report["dossier_id"], scan["sha256"])
    )
    assert "loyer" in reading["pages"][0]["text"].lower()


def test_a_broken_file_becomes_an_unreadable_piece_not_a_failed_flow(dossier_report: dict) -> None:
    empty = _piece(dossier_report, "vide.pdf")
    assert empty["status"] == "unreadable"
    assert empty["error"]["code"] == "EMPTY_FILE"
    assert "vide" in empty["error"]["message"].lower()


def test_report_and_state_are_persisted(dossier_report: dict) -> None:
    dossier_id = dossier_report["dossier_id"]
    assert runtime.store().get_json(keys.report_key(dossier_id)) == dossier_report
    with runtime.database()() as session:
        dossier = session.get(db.Dossier, dossier_id)
        assert dossier is not None
        pieces = session.scalars(select(db.Piece).where(db.Piece.dossier_id == dossier_id)).all()
        statuses = sorted(piece.status for piece in pieces)
        assert len(statuses) == 3 and "unreadable" in statuses
        assert dossier.decision == dossier_report["decision"]


def test_without_a_type_model_nothing_is_decided_for_the_citizen(dossier_report: dict) -> None:
    # No model is trained in this session's store: types are unknown, so a
    # person decides; the pipeline never refuses on a guess.
    assert dossier_report["decision"] == "to_review"
    statuses = {piece["file"]: piece["status"] for piece in dossier_report["pieces"]}
    assert statuses["vide.pdf"] == "unreadable"
    assert statuses["certificat.pdf"] == "doubtful"


def test_second_run_is_served_from_the_page_cache(dossier_report: dict) -> None:
    again = check_dossier(dossier_report["dossier_id"])
    scan = _piece(again, "quittance.jpg")
    assert all(page["cached"] for page in scan["pages"])
    first = _piece(dossier_report, "quittance.jpg")
    assert [p["chars"] for p in scan["pages"]] == [p["chars"] for p in first["pages"]]
