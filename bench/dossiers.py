"""Dossier decision benchmark: false acceptance, automation and latency on generated dossiers.

    .venv/bin/python -m bench.dossiers [--count N] [--seed S] [--defect-rate R] [--out F [--resume]]

Generates dossiers for the three shipped procedures (seeds far from those used
in development and tests), some clean and some with one planted defect, and
checks each in this warm process the way the check flow does: read the distinct
pieces side by side, one per core (`--workers`; isolated, text layer or OCR, no
cache), then `pipeline.sequence.check_dossier` (classify with the current model,
extract, apply the procedure's rules, decide). Reports:
- false acceptance: dossiers with a planted defect decided `accepted` (target 0);
- automation: clean dossiers decided `accepted` (target ≥ 85 %), and clean
  dossiers decided `incomplete` (target ≤ 2 %);
- latency per dossier (p50, p95), overall and for 5-piece dossiers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from fixtures.generator.api import dossier_defects, generate_dossier
from pipeline import sequence
from pipeline.read.piece import ReadOptions, read_piece
from pipeline.rules.procedures import get_procedure
from pipeline.settings import Limits, Settings
from pipeline.store.dossiers import Manifest, ManifestFile, sha256_of
from pipeline.types import PieceReading

PROCEDURES = ("bourse-sanitaire-sociale", "transport-scolaire", "aide-entreprise")
AS_OF = date(2026, 11, 26)
BASE_SEED = 700_000  # development and tests use small seeds


def check_folder(
    folder: Path, classifier: Any, options: ReadOptions, *, workers: int
) -> tuple[dict[str, Any], float]:
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    applicant = json.loads((folder / "applicant.json").read_text(encoding="utf-8"))
    files = [folder / Path(piece).name for piece in expected["pieces"]]
    started = time.perf_counter()
    entries = []
    paths: dict[str, Path] = {}
    for path in files:
        sha = sha256_of(path)
        entries.append(ManifestFile(name=path.name, sha256=sha, size_bytes=path.stat().st_size))
        paths.setdefault(sha, path)
    readings = read_concurrently(paths, options, workers=workers)
    manifest = Manifest(
        dossier_id=f"bench-{folder.name}",
        procedure=expected["procedure"],
        applicant=applicant,
        files=entries,
        submitted_at=datetime.now(UTC),
        as_of=AS_OF,
    )
    report = sequence.check_dossier(
        manifest, get_procedure(manifest.procedure), readings, classifier, trust=None
    )
    return report.model_dump(mode="json"), time.perf_counter() - started


def read_concurrently(
    paths: dict[str, Path], options: ReadOptions, *, workers: int
) -> dict[str, PieceReading]:
    """Every distinct piece read as the check flow's thread runner does: pieces side by side."""
    if workers <= 1:
        return {sha: read_piece(path, options, sha256=sha) for sha, path in paths.items()}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bench-piece") as pool:
        futures = {
            sha: pool.submit(read_piece, path, options, sha256=sha) for sha, path in paths.items()
        }
        return {sha: future.result() for sha, future in futures.items()}


def piece_summaries(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Per piece: type, status and what was not ok (no document content)."""
    return [
        {
            "type": piece["type"],
            "confidence": round(piece["confidence"], 3),
            "status": piece["status"],
            "not_ok": [
                f"{c['code']}:{c['status']}" for c in piece["checks"] if c["status"] != "ok"
            ],
            # Legibility figures of OCR'd pages: (sharpness, contrast, OCR confidence).
            "ocr_pages": [
                (p["quality"]["blur"], p["quality"]["contrast"], p["confidence"])
                for p in piece.get("pages", [])
                if p["text_source"] == "ocr"
            ],
        }
        for piece in report["pieces"]
    ]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=30, help="dossiers (≥ 300 for the targets)")
    parser.add_argument("--seed", type=int, default=BASE_SEED)
    parser.add_argument("--defect-rate", type=float, default=0.5)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="per-dossier results (JSON), rewritten after each dossier: a stopped run keeps them",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the dossiers already in --out and go on from the next one (same seed)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="pieces read side by side (default: one per core; 1: one after the other)",
    )
    parser.add_argument(
        "--paired",
        action="store_true",
        help="also time each dossier read one piece after the other, in alternating order "
        "(a before/after latency comparison that shares the machine's load)",
    )
    args = parser.parse_args()
    load_start = os.getloadavg()[0]

    from classifiers.doctype.store import load_model
    from pipeline.store.storage import open_store

    settings = Settings()
    classifier = load_model(open_store(settings))
    options = ReadOptions(limits=Limits(), languages=settings.ocr_languages)
    rng = np.random.default_rng(args.seed)
    rows: list[dict[str, Any]] = []
    if args.resume and args.out and args.out.exists():
        rows = json.loads(args.out.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="justif-bench-dossiers-") as work:
        for index in range(args.count):
            procedure = PROCEDURES[index % len(PROCEDURES)]
            defect = None
            if rng.random() < args.defect_rate:
                options_ = dossier_defects(procedure)
                defect = options_[int(rng.integers(0, len(options_)))]
            if index < len(rows):  # done by the run being resumed; the draws above keep step
                continue
            folder = Path(work) / f"{index:04d}-{procedure}"
            generate_dossier(
                procedure, np.random.default_rng([args.seed, index]), AS_OF, folder, defect=defect
            )
            sequential = None
            if args.paired and index % 2 == 0:
                _, sequential = check_folder(folder, classifier, options, workers=1)
            report, seconds = check_folder(folder, classifier, options, workers=args.workers)
            if args.paired and index % 2 == 1:
                _, sequential = check_folder(folder, classifier, options, workers=1)
            rows.append(
                {
                    "index": index,
                    "procedure": procedure,
                    "defect": defect,
                    "decision": report["decision"],
                    "pieces": len(report["pieces"]),
                    "seconds": round(seconds, 2),
                    "sequential_seconds": round(sequential, 2) if sequential else None,
                    "piece_checks": piece_summaries(report),
                    "checks": sorted(
                        {
                            c["code"]
                            for p in report["pieces"]
                            for c in p["checks"]
                            if c["status"] != "ok"
                        }
                    ),
                }
            )
            print(
                f"{index + 1:4d}/{args.count} {procedure:26s} defect={defect or '-':16s} "
                f"-> {report['decision']:10s} {seconds:5.1f} s",
                flush=True,
            )
            if args.out:
                args.out.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    clean = [r for r in rows if r["defect"] is None]
    defective = [r for r in rows if r["defect"] is not None]
    false_accept = [r for r in defective if r["decision"] == "accepted"]
    accepted_clean = sum(r["decision"] == "accepted" for r in clean)
    incomplete_clean = sum(r["decision"] == "incomplete" for r in clean)
    latencies = [r["seconds"] for r in rows]
    five = [r["seconds"] for r in rows if r["pieces"] == 5]
    print()
    print(f"dossiers: {len(rows)} ({len(clean)} clean, {len(defective)} with a defect)")
    print(f"false acceptance: {len(false_accept)} of {len(defective)} defective dossiers")
    if clean:
        print(
            f"automation: {accepted_clean / len(clean):.1%} of clean dossiers accepted, "
            f"{incomplete_clean / len(clean):.1%} incomplete"
        )
    print(
        f"latency: p50 {percentile(latencies, 50):.1f} s, p95 {percentile(latencies, 95):.1f} s "
        f"(5-piece dossiers: p50 {percentile(five, 50):.1f} s, "
        f"p95 {percentile(five, 95):.1f} s, n={len(five)})"
    )
    paired = [(r["sequential_seconds"], r["seconds"]) for r in rows if r["sequential_seconds"]]
    if paired:
        before, after = zip(*paired, strict=True)
        five_before = [r["sequential_seconds"] for r in rows if r["pieces"] == 5]
        print(
            f"one piece after the other: p50 {percentile(list(before), 50):.1f} s "
            f"(5-piece: {percentile(five_before, 50):.1f} s) vs side by side "
            f"{percentile(list(after), 50):.1f} s; median ratio "
            f"{statistics.median(b / a for b, a in paired):.2f}"
        )
    print(f"load average (1 min): {load_start:.1f} at start, {os.getloadavg()[0]:.1f} at end")
    print("decisions of clean dossiers:", dict(Counter(r["decision"] for r in clean)))
    print(
        "doubt/ko codes on clean dossiers:",
        dict(Counter(code for r in clean for code in r["checks"]).most_common(10)),
    )
    if false_accept:
        print("falsely accepted:", [(r["procedure"], r["defect"]) for r in false_accept])
    print(f"median latency over all: {statistics.median(latencies):.1f} s")


if __name__ == "__main__":
    main()
