"""Reading benchmark: OCR speed and accuracy vs plain tesseract, text layer vs pdfplumber, memory.

    .venv/bin/python -m bench.reading [--pages 12] [--out bench/results/reading.json]

a) N French A4 pages with known text, rendered at 300 dpi and degraded as scans;
b) baseline `pytesseract.image_to_string(page, lang="fra")`, default tesseract
   threading, one page after the other, vs justif's `read_pages` on the same
   pages (one multi-page TIFF, its normal parallel path): pages/minute and
   character accuracy (1 - normalised Levenshtein distance);
c) born-digital PDF: justif's text-layer path vs pdfplumber `extract_text()`;
d) peak RSS of a child process reading a 300-page PDF.
Not a test: it prints figures and ratios, and writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from rapidfuzz.distance import Levenshtein

from fixtures.scan import ScanStyle, degrade
from fixtures.textpages import french_page_text, text_page_image, write_text_pdf
from pipeline.types import FileKind

SEED = 20240611
DEFAULT_OUT = Path("bench/results/reading.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--digital-pages", type=int, default=50)
    parser.add_argument("--memory-pages", type=int, default=300)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--baseline-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--memory-pdf", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_dir:
        return run_baseline_child(args.baseline_dir)
    if args.memory_pdf:
        return run_memory_child(args.memory_pdf)
    with tempfile.TemporaryDirectory(prefix="justif-bench-") as folder:
        figures = run_all(Path(folder), args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nfigures written to {args.out}")


def run_all(folder: Path, args: argparse.Namespace) -> dict[str, object]:
    texts, scans = make_scanned_pages(folder, args.pages)
    figures: dict[str, object] = {
        "machine": {"cpus": os.cpu_count(), "load_average_1m": os.getloadavg()[0]}
    }
    figures["ocr"] = bench_ocr(folder, texts, scans)
    print(json.dumps(figures["ocr"]), flush=True)
    figures["text_layer"] = bench_text_layer(folder, args.digital_pages)
    print(json.dumps(figures["text_layer"]), flush=True)
    figures["memory"] = bench_memory(folder, args.memory_pages)
    print(json.dumps(figures["memory"]), flush=True)
    figures["machine"]["load_average_1m_end"] = os.getloadavg()[0]  # type: ignore[index]
    print_table(figures)
    return figures


# a) pages -------------------------------------------------------------------


def make_scanned_pages(
    folder: Path, count: int, *, seed: int = SEED
) -> tuple[list[str], list[Path]]:
    """Ground-truth texts and their degraded 300-dpi scans, saved losslessly (PNG)."""
    rng = np.random.default_rng(seed)
    texts, paths = [], []
    for i in range(count):
        text = french_page_text(rng, lines=40)
        style = ScanStyle(
            rotation_deg=float(rng.uniform(-2.0, 2.0)),
            noise_sigma=float(rng.uniform(4, 8)),
            blur_px=float(rng.uniform(0.4, 0.8)),
            jpeg_quality=85,
            dpi=300,
        )
        scan = degrade(text_page_image(text, folder), style, rng)
        path = folder / f"scan-{i:02d}.png"
        scan.save(path, dpi=(300, 300))
        texts.append(text)
        paths.append(path)
    return texts, paths


def accuracy(truth: str, read: str) -> float:
    """Character accuracy on whitespace-normalised text."""
    return 1.0 - Levenshtein.normalized_distance(" ".join(truth.split()), " ".join(read.split()))


# b) OCR ---------------------------------------------------------------------


def bench_ocr(folder: Path, texts: list[str], scans: list[Path]) -> dict[str, object]:
    baseline = run_baseline(folder)
    tiff = folder / "scans.tif"
    frames = [Image.open(path) for path in scans]
    frames[0].save(tiff, save_all=True, append_images=frames[1:], dpi=(300, 300))
    from pipeline.read.reading import read_pages  # sets OMP_THREAD_LIMIT=1 for its tesseract

    started = time.perf_counter()
    pages = read_pages(tiff, _kind("tiff"), languages="fra", page_workers=0, with_signals=False)
    justif_s = time.perf_counter() - started
    started = time.perf_counter()
    read_pages(tiff, _kind("tiff"), languages="fra", page_workers=0, with_signals=True)
    signals_s = time.perf_counter() - started
    justif_acc = [accuracy(t, p.text) for t, p in zip(texts, pages, strict=True)]
    base_acc = [accuracy(t, r) for t, r in zip(texts, baseline["texts"], strict=True)]
    n = len(texts)
    base_ppm = n / baseline["seconds"] * 60
    justif_ppm = n / justif_s * 60
    return {
        "with_signals_pages_per_minute": round(n / signals_s * 60, 2),
        "pages": n,
        "baseline": {
            "seconds": round(baseline["seconds"], 2),
            "pages_per_minute": round(base_ppm, 2),
            "char_accuracy": round(float(np.mean(base_acc)), 5),
        },
        "justif": {
            "seconds": round(justif_s, 2),
            "pages_per_minute": round(justif_ppm, 2),
            "char_accuracy": round(float(np.mean(justif_acc)), 5),
            "min_page_accuracy": round(float(np.min(justif_acc)), 5),
        },
        "speedup": round(justif_ppm / base_ppm, 2),
    }


def run_baseline(folder: Path) -> dict[str, Any]:
    # A child without OMP_THREAD_LIMIT: tesseract's default threading, as a
    # plain pytesseract user gets it (importing pipeline.read.ocr would set it).
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    out = subprocess.run(
        [sys.executable, "-m", "bench.reading", "--baseline-dir", str(folder)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout))


def run_baseline_child(folder: Path) -> None:
    import pytesseract

    assert "OMP_THREAD_LIMIT" not in os.environ
    texts = []
    started = time.perf_counter()
    for path in sorted(folder.glob("scan-*.png")):
        with Image.open(path) as page:
            texts.append(pytesseract.image_to_string(page, lang="fra"))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "texts": texts}))


# c) text layer --------------------------------------------------------------


def bench_text_layer(folder: Path, count: int) -> dict[str, object]:
    import pdfplumber

    from pipeline.read.reading import read_pages

    rng = np.random.default_rng(SEED + 1)
    pdf = write_text_pdf(
        folder / "digital.pdf", [french_page_text(rng, lines=48) for _ in range(count)]
    )
    started = time.perf_counter()
    pages = read_pages(pdf, _kind("pdf"), page_workers=0, with_signals=False)
    justif_s = time.perf_counter() - started
    assert all(page.text_source == "text_layer" and page.words for page in pages)
    started = time.perf_counter()
    read_pages(pdf, _kind("pdf"), page_workers=0, with_signals=True)
    signals_s = time.perf_counter() - started
    started = time.perf_counter()
    with pdfplumber.open(str(pdf)) as document:
        for page in document.pages:
            page.extract_text()
    plumber_s = time.perf_counter() - started
    return {
        "pages": count,
        "justif_pages_per_second": round(count / justif_s, 1),
        "pdfplumber_pages_per_second": round(count / plumber_s, 1),
        "speedup": round(plumber_s / justif_s, 1),
        "with_signals_pages_per_second": round(count / signals_s, 1),
    }


# d) memory ------------------------------------------------------------------


def bench_memory(folder: Path, count: int) -> dict[str, object]:
    rng = np.random.default_rng(SEED + 2)
    pdf = write_text_pdf(
        folder / "long.pdf", [french_page_text(rng, lines=48) for _ in range(count)]
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bench.reading", "--memory-pdf", str(pdf)], check=True)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"pages": count, "peak_rss_mb": round(peak_kib / 1024, 1), "seconds": round(seconds, 1)}


def run_memory_child(pdf: Path) -> None:
    from pipeline.read.reading import read_pages

    pages = read_pages(pdf, _kind("pdf"), page_workers=0, with_signals=False)
    assert len(pages) > 0
    # ru_maxrss is in KiB on Linux: this process, and its largest waited-for child.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"peak_rss_mb": round(own, 1), "largest_child_rss_mb": round(child, 1)}))


def _kind(name: str) -> FileKind:

    return FileKind(name)


def print_table(figures: dict[str, object]) -> None:
    ocr = figures["ocr"]
    layer = figures["text_layer"]
    memory = figures["memory"]
    assert isinstance(ocr, dict) and isinstance(layer, dict) and isinstance(memory, dict)
    rows = [
        (
            "OCR baseline (pytesseract, default)",
            f"{ocr['baseline']['pages_per_minute']} pages/min",
            f"accuracy {ocr['baseline']['char_accuracy']}",
        ),
        (
            "OCR justif read_pages",
            f"{ocr['justif']['pages_per_minute']} pages/min",
            f"accuracy {ocr['justif']['char_accuracy']}",
        ),
        ("OCR speedup (target >= 3)", f"x{ocr['speedup']}", ""),
        ("Text layer pdfplumber", f"{layer['pdfplumber_pages_per_second']} pages/s", ""),
        ("Text layer justif", f"{layer['justif_pages_per_second']} pages/s", ""),
        ("Text layer speedup (target >= 10)", f"x{layer['speedup']}", ""),
        (
            f"Peak RSS, {memory['pages']}-page PDF (target < 1024)",
            f"{memory['peak_rss_mb']} MB",
            f"{memory['seconds']} s",
        ),
    ]
    width = max(len(row[0]) for row in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>16}  {note}")


if __name__ == "__main__":
    main()
