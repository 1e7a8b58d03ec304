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

from justif import render
from pipeline.settings import Settings

# (procedure, defect planted, seed): one clean dossier per kind of applicant and
# one with a defect, so the demo shows the whole range of outcomes.
DEMO_DOSSIERS: tuple[tuple[str, str | None, int], ...] = (
    ("bourse-sanitaire-sociale", None, 11),
    ("transport-scolaire", "too_old", 12),
    ("aide-entreprise", None, 13),
)
DEMO_AS_OF = date(2026, 11, 26)


def generate(out_dir: Path) -> list[Path]:
    """Write the demo dossiers (deterministic) and return their folders."""
    from fixtures.generator.api import generate_dossier

    if out_dir.exists():
        shutil.rmtree(out_dir)
    folders = []
    for procedure, defect, seed in DEMO_DOSSIERS:
        folder = out_dir / f"{procedure}-{seed}"
        generate_dossier(procedure, np.random.default_rng(seed), DEMO_AS_OF, folder, defect=defect)
        folders.append(folder)
    return folders


def piece_files(folder: Path) -> list[Path]:
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return [folder / Path(piece).name for piece in expected["pieces"]]


def run(console: Console, out_dir: Path | None) -> list[dict[str, Any]]:
    from justif.cli import run_check
    from justif.models_cli import ensure_model

    settings = Settings()
    out_dir = out_dir or settings.home / "demo"
    model = ensure_model(settings)
    console.print(f"Modèle de classification : version {model.version}")
    console.print(f"Génération de {len(DEMO_DOSSIERS)} dossiers d'exemple dans {out_dir}")
    reports = []
    for folder in generate(out_dir):
        expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        applicant = json.loads((folder / "applicant.json").read_text(encoding="utf-8"))
        started = time.perf_counter()
        report = run_check(
            piece_files(folder), expected["procedure"], applicant, DEMO_AS_OF, quiet=True
        )
        elapsed = time.perf_counter() - started
        render.print_report(console, report)
        planted = ", ".join(expected["defects"]) or "aucun"
        console.print(
            f"Défaut introduit : {planted} — attendu : {expected['decision']} — "
            f"vérifié en {elapsed:.1f} s\n"
        )
        reports.append(report)
    return reports
