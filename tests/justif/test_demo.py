"""The demo dossiers keep the composition their outcomes rely on; each decision is explained."""

from __future__ import annotations

import json
from pathlib import Path

from justif.demo import DEMO_DOSSIERS, explain_decision, generate, piece_files


def _truths(folder: Path) -> list[dict[str, object]]:
    return [json.loads(path.with_suffix(".json").read_text()) for path in piece_files(folder)]


def test_demo_dossiers_have_the_composition_their_outcome_needs(tmp_path: Path) -> None:
    folders = generate(tmp_path / "demo")
    accepted, incomplete, review = (_truths(f) for f in folders)
    assert [d for _, d, _, _ in DEMO_DOSSIERS] == [None, "expired", None]
    # Accepted: every piece born-digital, none defective.
    assert all(t["rendering"] == "born_digital" and not t["defects"] for t in accepted)
    # Incomplete: the expired piece is born-digital (its dates are strong evidence).
    [expired] = [t for t in incomplete if t["defects"]]
    assert expired["defects"] == ["expired"] and expired["rendering"] == "born_digital"
    # To review: the accepted dossier's born-digital pieces, the applicant
    # declaring another surname with the same given name and no birth name.
    assert review == accepted
    declared = json.loads((folders[2] / "applicant.json").read_text())
    original = json.loads((folders[0] / "applicant.json").read_text())
    assert declared["first_name"] == original["first_name"]
    assert declared["last_name"] != original["last_name"] and "birth_name" not in declared


def _report(decision: str, statuses: dict[str, str], doubts: list[str]) -> dict[str, object]:
    return {
        "decision": decision,
        "requirements": [{"label": label, "status": s} for label, s in statuses.items()],
        "pieces": [
            {"checks": [{"code": code, "status": "doubt"} for code in doubts]},
            {"checks": [{"code": "EXPIRED", "status": "ok"}]},
        ],
    }


def test_each_decision_is_explained_in_french() -> None:
    accepted = explain_decision(_report("accepted", {"Identité": "ok", "RIB": "ok"}, []))
    assert accepted.startswith("les 2 pièces exigées")
    incomplete = explain_decision(
        _report("incomplete", {"Pièce d'identité": "invalid", "RIB": "ok"}, [])
    )
    assert "1 exigence non satisfaite" in incomplete and "Pièce d'identité" in incomplete
    assert "RIB" not in incomplete
    review = explain_decision(
        _report("to_review", {"RIB": "doubt"}, ["LEGIBILITY_LOW", "TYPE_UNCERTAIN"])
    )
    assert review.startswith("2 contrôles en doute (LEGIBILITY_LOW, TYPE_UNCERTAIN)")
    assert "agent" in review
