"""`justif demo`: generate sample dossiers from fixtures/ and check them on embedded defaults."""

from __future__ import annotations

import json
import shutil
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

import runtime
from justif import render

# (procedure, defect planted, seed, applicant's declared surname or None).
# Seeds picked for their composition, so each outcome does not hinge on how
# well a scan happens to read (tests/justif/test_demo.py keeps them honest):
# - 19: a clean dossier of five born-digital PDFs -> accepted;
# - 8: a born-digital identity card that expired (its date is in the text
#   layer: strong evidence) -> incomplete, with the message for the applicant;
# - 19 again, the applicant declaring a usage (married) surname and no birth
#   name: every document carries the birth surname with the same given name,
#   which a marriage may explain -> to review (never refused on a guess).
DEMO_DOSSIERS: tuple[tuple[str, str | None, int, str | None], ...] = (
    ("bourse-sanitaire-sociale", None, 19, None),
    ("transport-scolaire", "expired", 8, None),
    ("bourse-sanitaire-sociale", None, 19, "Lefort"),
)
DEMO_AS_OF = date(2026, 11, 26)


def generate(out_dir: Path) -> list[Path]:
    """Write the demo dossiers (deterministic) and return their folders."""
    from fixtures.generator.api import generate_dossier

    if out_dir.exists():
        shutil.rmtree(out_dir)
    folders = []
    for index, (procedure, defect, seed, usage_name) in enumerate(DEMO_DOSSIERS, start=1):
        folder = out_dir / f"{index}-{procedure}-{seed}"
        generate_dossier(procedure, np.random.default_rng(seed), DEMO_AS_OF, folder, defect=defect)
        if usage_name:
            declare_usage_name(folder / "applicant.json", usage_name)
        folders.append(folder)
    return folders


def declare_usage_name(applicant_file: Path, surname: str) -> None:
    """The applicant declares `surname` as a usage name and gives no birth name."""
    applicant = json.loads(applicant_file.read_text(encoding="utf-8"))
    applicant["last_name"] = surname
    applicant.pop("birth_name", None)
    applicant_file.write_text(json.dumps(applicant, ensure_ascii=False, indent=1), encoding="utf-8")


def piece_files(folder: Path) -> list[Path]:
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return [folder / Path(piece).name for piece in expected["pieces"]]


def run(console: Console, out_dir: Path | None) -> list[dict[str, Any]]:
    from flows.check_dossier import check_files
    from justif.models_cli import ensure_model

    settings = runtime.settings()
    out_dir = out_dir or settings.home / "demo"
    model = ensure_model(settings)
    console.print(f"Modèle de classification : version {model.version}")
    console.print(f"Génération de {len(DEMO_DOSSIERS)} dossiers d'exemple dans {out_dir}")
    reports = []
    for folder, (*_, usage_name) in zip(generate(out_dir), DEMO_DOSSIERS, strict=True):
        expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        applicant = json.loads((folder / "applicant.json").read_text(encoding="utf-8"))
        started = time.perf_counter()
        report = check_files(piece_files(folder), expected["procedure"], applicant, DEMO_AS_OF)
        elapsed = time.perf_counter() - started
        render.print_report(console, report)
        planted = ", ".join(expected["defects"]) or "aucun"
        if usage_name:
            planted += (
                f" (demandeur déclaré sous le nom d'usage « {usage_name} », sans nom de naissance)"
            )
        console.print(f"Pourquoi : {explain_decision(report)}", markup=False)
        console.print(f"Défaut introduit : {planted} — vérifié en {elapsed:.1f} s\n")
        reports.append(report)
    return reports


def explain_decision(report: dict[str, Any]) -> str:
    """One French sentence saying why the dossier got its decision (from the report only)."""
    decision = report["decision"]
    requirements = report["requirements"]
    if decision == "accepted":
        return (
            f"les {len(requirements)} pièces exigées ont été reconnues et tous leurs "
            "contrôles sont satisfaits, sans aucun doute."
        )
    if decision == "incomplete":
        failing = [r["label"] for r in requirements if r["status"] in ("missing", "invalid")]
        return (
            f"{_plural(len(failing), 'exigence')} non satisfaite{'s' if len(failing) > 1 else ''} "
            f"sur une preuve certaine ({' ; '.join(failing)}) : le demandeur reçoit les "
            "messages ci-dessus."
        )
    doubts = [
        check["code"]
        for piece in report["pieces"]
        for check in piece["checks"]
        if check["status"] == "doubt"
    ]
    codes = ", ".join(dict.fromkeys(doubts)) or "aucune exigence établie avec certitude"
    return (
        f"{_plural(len(doubts), 'contrôle')} en doute ({codes}) : rien n'autorise un refus, "
        "rien n'autorise une acceptation ; un agent instructeur décide."
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count > 1 else ''}"
