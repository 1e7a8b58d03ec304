"""Whole-path benchmark: justif as users run it, through its command line, against plain tesseract.

    .venv/bin/python -m bench.wholepath [--pages 6] [--repeats 1] [--json]

Every justif figure is the wall time of a `python -m justif.cli ...` subprocess,
start-up included, as a user at a terminal or a script waiting on it sees it:

a) scanned pages: `--pages` French A4 pages with known text, rendered at 300 dpi
   and degraded as scans (fixtures.scan), read by `justif inspect --json --text
   --no-cache` in two forms, one image PDF of all pages and one PNG file per
   page, against the baseline of the same run: a naive loop of
   `pytesseract.image_to_string(page, lang="fra")` over the same page images,
   tesseract's default threading, timed around the loop only. Pages/minute,
   the ratio to the baseline (target >= 3) and character accuracy against the
   ground truth (1 - normalised Levenshtein distance);
b) `justif --help` (target < 0.5 s);
c) `justif inspect` of a born-digital one-page PDF (target < 1.5 s);
d) a cold `justif check` of a generated 5-piece dossier: a fresh JUSTIF_HOME
   per run (the installed document-type model copied in), so each run pays the
   store, database and Prefect's ephemeral start-up (target p50 <= 6 s).

Repeated runs give the median. Not a test: figures and ratios are printed and,
with `--json`, written as one JSON object on stdout (`--out` also saves it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench.reading import accuracy, make_scanned_pages, run_baseline

SEED = 20240611
DOSSIER_SEED = 646_100
DOSSIER_PROCEDURE = "bourse-sanitaire-sociale"  # five pieces
AS_OF = date(2026, 11, 26)
TARGETS = {
    "pdf_ratio": 3.0,
    "png_ratio": 3.0,
    "help_s": 0.5,
    "digital_pdf_s": 1.5,
    "check_p50_s": 6.0,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]) if __doc__ else None,
    )
    parser.add_argument("--pages", type=int, default=6, help="scanned A4 pages (default 6)")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each timing (median)")
    parser.add_argument(
        "--startup-runs", type=int, default=3, help="runs of --help and of the born-digital inspect"
    )
    parser.add_argument("--check-runs", type=int, default=3, help="cold `justif check` runs")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the scanned pages")
    parser.add_argument("--dossier-seed", type=int, default=DOSSIER_SEED)
    parser.add_argument("--skip-check", action="store_true", help="leave out d) (Prefect)")
    parser.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    parser.add_argument("--out", type=Path, help="also write the JSON summary to this file")
    args = parser.parse_args()
    log = sys.stderr if args.json else sys.stdout
    with tempfile.TemporaryDirectory(prefix="justif-wholepath-") as folder:
        figures = run_all(Path(folder), args, log)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n")
    if args.json:
        print(json.dumps(figures))
    else:
        print_table(figures)


def run_all(folder: Path, args: argparse.Namespace, log: Any) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)},
        "pages": args.pages,
        "repeats": args.repeats,
        "seed": args.seed,
    }
    texts, scans = make_scanned_pages(folder, args.pages, seed=args.seed)
    pdf = image_pdf(scans, folder / "scans.pdf")
    baseline = _median_run(args.repeats, lambda: run_baseline(folder))
    figures["baseline"] = scanned_figures(texts, baseline["texts"], baseline["seconds"])
    print(f"baseline: {json.dumps(figures['baseline'])}", file=log, flush=True)
    for form, files in (("image_pdf", [pdf]), ("png_files", scans)):
        run = _median_run(args.repeats, lambda files=files: inspect_texts(files))
        form_figures = scanned_figures(texts, run["texts"], run["seconds"])
        form_figures["ratio"] = round(
            form_figures["pages_per_minute"] / figures["baseline"]["pages_per_minute"], 2
        )
        form_figures["timings"] = run["timings"]
        figures[form] = form_figures
        print(f"{form}: {json.dumps(form_figures)}", file=log, flush=True)
    runs = max(1, args.startup_runs)
    figures["help_s"] = _median([wall([*cli(), "--help"]) for _ in range(runs)])
    print(f"justif --help: {figures['help_s']} s", file=log, flush=True)
    digital = born_digital_pdf(folder, args.seed)
    figures["digital_pdf_s"] = _median(
        [wall([*cli(), "inspect", str(digital), "--json", "--no-cache"]) for _ in range(runs)]
    )
    print(f"inspect born-digital PDF: {figures['digital_pdf_s']} s", file=log, flush=True)
    if not args.skip_check:
        figures["check"] = bench_check(folder, args.dossier_seed, args.check_runs, log)
    figures["machine"]["load_average_1m_end"] = round(os.getloadavg()[0], 2)
    figures["targets"] = TARGETS
    return figures


# a) scanned pages -----------------------------------------------------------------


def image_pdf(scans: list[Path], path: Path) -> Path:
    """One PDF holding the page images at 300 dpi, as a scanner writes them (JPEG inside)."""
    frames = [Image.open(scan).convert("L") for scan in scans]
    frames[0].save(path, save_all=True, append_images=frames[1:], resolution=300.0, quality=90)
    return path


def inspect_texts(files: list[Path]) -> dict[str, Any]:
    """Wall time of one `justif inspect` call on `files`, the text of every page in
    order, and the per-stage timings of each piece when its JSON carries them."""
    command = [*cli(), "inspect", *map(str, files), "--json", "--text", "--no-cache"]
    started = time.perf_counter()
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    results = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    errors = [r["error"] for r in results if r.get("error")]
    if errors:
        raise RuntimeError(f"justif inspect reported errors: {errors}")
    texts = [page.get("text", "") for result in results for page in result["pages"]]
    timings = [result.get("timings") for result in results if result.get("timings")]
    return {"seconds": seconds, "texts": texts, "timings": timings}


def scanned_figures(texts: list[str], read: list[str], seconds: float) -> dict[str, Any]:
    if len(read) != len(texts):
        raise RuntimeError(f"{len(read)} pages read, {len(texts)} expected")
    scores = [accuracy(truth, got) for truth, got in zip(texts, read, strict=True)]
    return {
        "seconds": round(seconds, 2),
        "pages_per_minute": round(len(texts) / seconds * 60, 2),
        "char_accuracy": round(float(np.mean(scores)), 4),
        "min_page_accuracy": round(float(np.min(scores)), 4),
    }


# b, c) start-up and a born-digital page ---------------------------------------------


def born_digital_pdf(folder: Path, seed: int) -> Path:
    from fixtures.textpages import french_page_text, write_text_pdf

    rng = np.random.default_rng(seed + 1)
    return write_text_pdf(folder / "digital.pdf", [french_page_text(rng, lines=48)])


# d) cold check of a dossier -------------------------------------------------------


def bench_check(folder: Path, seed: int, runs: int, log: Any) -> dict[str, Any]:
    from fixtures.generator.api import generate_dossier

    dossier = generate_dossier(
        DOSSIER_PROCEDURE, np.random.default_rng(seed), AS_OF, folder / "dossier"
    )
    expected = json.loads((dossier / "expected.json").read_text(encoding="utf-8"))
    pieces = [str(dossier / Path(piece).name) for piece in expected["pieces"]]
    models = _installed_models()
    prefect_home = folder / "prefect"
    seconds, decisions = [], []
    for run in range(runs):
        home = folder / f"home-{run}"
        if models is not None:
            shutil.copytree(models, home / "store" / "models")
        env = {**os.environ, "JUSTIF_HOME": str(home), "PREFECT_HOME": str(prefect_home)}
        env.pop("PREFECT_API_URL", None)
        command = [
            *cli(),
            "check",
            *pieces,
            "--procedure",
            DOSSIER_PROCEDURE,
            "--applicant",
            str(dossier / "applicant.json"),
            "--as-of",
            AS_OF.isoformat(),
            "--json",
        ]
        started = time.perf_counter()
        out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
        seconds.append(round(time.perf_counter() - started, 2))
        decisions.append(json.loads(out.stdout)["decision"])
        print(f"check run {run + 1}: {seconds[-1]} s, {decisions[-1]}", file=log, flush=True)
    return {
        "procedure": DOSSIER_PROCEDURE,
        "pieces": len(pieces),
        "runs_s": seconds,
        "p50_s": round(statistics.median(seconds), 2),
        "decisions": decisions,
        "model_installed": models is not None,
    }


def _installed_models() -> Path | None:
    """The models folder of the configured (or default) home, when a model is installed."""
    from pipeline.settings import Settings

    models = Settings().store_path / "models"
    return models if models.is_dir() else None


# helpers --------------------------------------------------------------------------


def cli() -> list[str]:
    return [sys.executable, "-m", "justif.cli"]


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def _median_run(repeats: int, run: Any) -> dict[str, Any]:
    """The run whose time is the median of `repeats` runs."""
    runs = sorted((run() for _ in range(max(1, repeats))), key=lambda r: r["seconds"])
    return dict(runs[len(runs) // 2])


def print_table(figures: dict[str, Any]) -> None:
    base = figures["baseline"]
    n = figures["pages"]
    rows = [
        (
            f"baseline: pytesseract loop, {n} PNG pages",
            f"{base['pages_per_minute']} pages/min",
            f"accuracy {base['char_accuracy']}",
        ),
    ]
    for form, label in (("image_pdf", "one image PDF"), ("png_files", f"{n} PNG files")):
        got = figures[form]
        rows.append(
            (
                f"justif inspect, {label}",
                f"{got['pages_per_minute']} pages/min",
                f"x{got['ratio']} (target >= 3), accuracy {got['char_accuracy']}",
            )
        )
    rows.append(("justif --help", f"{figures['help_s']} s", "target < 0.5 s"))
    rows.append(("inspect, born-digital 1 page", f"{figures['digital_pdf_s']} s", "target < 1.5 s"))
    if "check" in figures:
        check = figures["check"]
        rows.append(
            (
                f"cold check, {check['pieces']}-piece dossier",
                f"p50 {check['p50_s']} s",
                f"target <= 6 s; runs {check['runs_s']}",
            )
        )
    width = max(len(row[0]) for row in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>18}  {note}")
    machine = figures["machine"]
    print(
        f"({machine['cpus']} cores, load {machine['load_average_1m']} -> "
        f"{machine['load_average_1m_end']})"
    )


if __name__ == "__main__":
    main()
