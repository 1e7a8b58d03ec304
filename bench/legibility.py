"""Legibility calibration: where do the page-quality figures say OCR stops being trustworthy?

    .venv/bin/python -m bench.legibility [--pages 48] [--seed 20261126] [--out FILE.json]

a) French text pages with known text (`fixtures/textpages.py`), each degraded
   by `fixtures/scan.py` with a random mix of optical blur, low resolution,
   sensor noise, JPEG compression and washed-out ink (contrast), read by the
   real reading path (`read_pages`: preprocessing, tesseract, quality figures);
b) per page: character accuracy of the OCR text against the truth (1 -
   normalised Levenshtein distance) beside the legibility figures
   (`pipeline/read/legibility.py`: sharpness, contrast) and the OCR mean confidence;
c) the thresholds (`choose`): OCR confidence in the middle of the gap between
   *bad* pages (accuracy < BAD: OCR not trustworthy) and *good* ones
   (accuracy ≥ GOOD); sharpness and contrast as floors under every good page.
   They are chosen on a calibration half and measured on the other half (a
   second seed), so the figures are not those they were tuned on; the best
   exact fit on a grid is printed for comparison;
d) the same figures for the generator's clean scans and photos and for its
   planted "unreadable" defect (quality only, no OCR): what the thresholds do
   to real-looking uploads.
Not a test: it prints figures and writes them as JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from rapidfuzz.distance import Levenshtein

from fixtures.scan import ScanStyle, degrade
from fixtures.textpages import french_page_text, text_page_image

SEED = 20261126
# OCR text is trusted at GOOD character accuracy and distrusted under BAD
# (between the two, a flag is neither required nor a false alarm).
GOOD = 0.95
BAD = 0.90
SHARPNESS_GRID = (0.0, 0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8)
CONTRAST_GRID = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
CONFIDENCE_GRID = (0.0, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85)


@dataclass(frozen=True)
class Sample:
    """One degraded page: how it was degraded, what the pipeline measured, how well OCR read it."""

    blur_px: float
    dpi: int
    noise_sigma: float
    jpeg_quality: int
    ink_factor: float  # 1: ink as printed; 0.2: a nearly empty toner cartridge
    sharpness: float
    contrast: float
    confidence: float
    accuracy: float


@dataclass(frozen=True)
class Thresholds:
    sharpness: float
    contrast: float
    confidence: float

    def flags(self, sample: Sample) -> bool:
        return (
            sample.sharpness < self.sharpness
            or sample.contrast < self.contrast
            or sample.confidence < self.confidence
        )


def wash_out(page: Image.Image, ink_factor: float) -> Image.Image:
    """Lighten the ink towards white paper: ink at `ink_factor` of its printed darkness."""
    grey = np.asarray(page.convert("L"), dtype=np.float32)
    return Image.fromarray((255 - (255 - grey) * ink_factor).clip(0, 255).astype(np.uint8))


def random_style(rng: np.random.Generator) -> tuple[ScanStyle, float]:
    """A degradation spanning fine scans to the unusable: log-uniform blur, low dpi, noise.

    A third of the pages get a phone photo's uneven light and perspective.
    """
    photo = bool(rng.random() < 1 / 3)
    style = ScanStyle(
        rotation_deg=float(rng.uniform(-2, 2)),
        noise_sigma=float(rng.uniform(2, 25)),
        # Most pages near where reading fails (1-2.5 px of blur, pale ink),
        # a few clearly fine or clearly gone on either side.
        blur_px=float(np.exp(rng.uniform(np.log(0.3), np.log(3.5)))),
        jpeg_quality=int(rng.integers(30, 95)),
        dpi=int(rng.choice([100, 120, 150, 200, 300])),
        uneven_light=float(rng.uniform(0.15, 0.45)) if photo else 0.0,
        perspective=float(rng.uniform(0.01, 0.05)) if photo else 0.0,
        grey=True,
    )
    ink = float(rng.choice([1.0, 1.0, 0.7, 0.5, 0.4, 0.3]))
    return style, ink


def make_page(
    rng: np.random.Generator, folder: Path, index: int
) -> tuple[str, Path, ScanStyle, float]:
    text = french_page_text(rng, lines=12)
    style, ink = random_style(rng)
    clean = text_page_image(text, folder, dpi=300)
    scan = degrade(wash_out(clean, ink), style, rng, source_dpi=300)
    path = folder / f"page-{index:03d}.png"
    scan.save(path, dpi=(style.dpi, style.dpi))
    return text, path, style, ink


def accuracy(truth: str, read: str) -> float:
    """Character accuracy on whitespace-normalised text."""
    return 1.0 - Levenshtein.normalized_distance(" ".join(truth.split()), " ".join(read.split()))


def measure(text: str, path: Path, style: ScanStyle, ink: float) -> Sample:
    from pipeline.errors import PieceError
    from pipeline.read.reading import read_pages
    from pipeline.types import FileKind

    try:
        page = read_pages(path, FileKind.PNG, languages="fra", page_workers=1, with_signals=False)[
            0
        ]
        quality, confidence, read = page.quality, page.confidence, page.text
    except PieceError:
        # OCR gave up on the page (tesseract's time limit): nothing was read.
        from pipeline.read.legibility import measure_quality

        with Image.open(path) as image:
            quality = measure_quality(np.asarray(image.convert("L")), float(style.dpi))
        confidence, read = 0.0, ""
    sample = Sample(
        blur_px=round(style.blur_px, 2),
        dpi=style.dpi,
        noise_sigma=round(style.noise_sigma, 1),
        jpeg_quality=style.jpeg_quality,
        ink_factor=ink,
        sharpness=quality.blur,
        contrast=quality.contrast,
        confidence=round(confidence, 3),
        accuracy=round(accuracy(text, read), 4),
    )
    print(f"  {path.name}: {json.dumps(asdict(sample))}", flush=True)
    return sample


def sample_pages(count: int, seed: int, folder: Path) -> list[Sample]:
    rng = np.random.default_rng(seed)
    pages = [make_page(rng, folder, i) for i in range(count)]
    # One tesseract per core, as the reading stage runs it.
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda p: measure(*p), pages))


def choose(samples: Sequence[Sample]) -> Thresholds:
    """Thresholds from the calibration pages: OCR confidence decides, image figures are floors.

    Confidence: the middle of the gap between the most confident bad page and
    the least confident good page (the widest margin on both sides; when the
    two overlap, just above the bad page). Sharpness and contrast alone do not
    separate good from bad (noise raises the sharpness figure, a pale but sharp
    print reads perfectly), so they are floors at half the lowest value seen on
    a good page: they flag only what no good page ever looked like.
    """
    good = [s for s in samples if s.accuracy >= GOOD]
    bad = [s for s in samples if s.accuracy < BAD]
    worst_bad = max((s.confidence for s in bad), default=0.0)
    least_good = min((s.confidence for s in good), default=1.0)
    overlap = least_good <= worst_bad
    confidence = worst_bad + 0.01 if overlap else (worst_bad + least_good) / 2
    return Thresholds(
        sharpness=round(min((s.sharpness for s in good), default=0.0) / 2, 3),
        contrast=round(min((s.contrast for s in good), default=0.0) / 2, 3),
        confidence=round(confidence, 3),
    )


def choose_on_grid(samples: Sequence[Sample]) -> Thresholds:
    """For comparison: the least strict grid triple letting no bad page through
    and flagging the fewest good ones (it fits the calibration pages exactly,
    which the held-out pages show to be too tight)."""
    best: tuple[int, float, Thresholds] | None = None
    for triple in itertools.product(SHARPNESS_GRID, CONTRAST_GRID, CONFIDENCE_GRID):
        cut = Thresholds(*triple)
        if any(not cut.flags(s) for s in samples if s.accuracy < BAD):
            continue
        false_flags = sum(cut.flags(s) for s in samples if s.accuracy >= GOOD)
        key = (false_flags, sum(triple), cut)
        if best is None or key[:2] < best[:2]:
            best = key
    assert best is not None, "the grid always holds a triple flagging every page"
    return best[2]


def score(samples: Sequence[Sample], cut: Thresholds) -> dict[str, object]:
    good = [s for s in samples if s.accuracy >= GOOD]
    bad = [s for s in samples if s.accuracy < BAD]
    return {
        "pages": len(samples),
        "good_pages": len(good),
        "bad_pages": len(bad),
        "bad_passed": sum(not cut.flags(s) for s in bad),
        "good_flagged": sum(cut.flags(s) for s in good),
        "worst_accuracy_passed": min(
            (s.accuracy for s in samples if not cut.flags(s)), default=None
        ),
    }


def single_figure_cuts(samples: Sequence[Sample]) -> dict[str, float]:
    """Per figure alone, the lowest threshold letting no bad page through (for comparison)."""
    bad = [s for s in samples if s.accuracy < BAD]
    return {
        "sharpness_alone": max((s.sharpness for s in bad), default=0.0),
        "contrast_alone": max((s.contrast for s in bad), default=0.0),
        "confidence_alone": max((s.confidence for s in bad), default=0.0),
    }


def generated_quality(count: int, seed: int, folder: Path) -> dict[str, list[dict[str, float]]]:
    """Quality figures (no OCR) of the generator's scans, photos and unreadable pieces."""
    from fixtures.generator.api import generate_document
    from fixtures.generator.model import Defect, Rendering
    from pipeline.fields import DocType
    from pipeline.intake.inspection import sniff
    from pipeline.read.legibility import measure_quality
    from pipeline.read.pages import iter_page_images

    types = [t for t in DocType if t is not DocType.ID_PHOTO]
    kinds = {
        "scan": (Rendering.SCAN, None),
        "photo": (Rendering.PHOTO, None),
        "unreadable": (Rendering.SCAN, Defect.UNREADABLE),
    }
    out: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for i in range(count):
        doc_type = types[i % len(types)]
        for kind, (rendering, defect) in kinds.items():
            doc = generate_document(
                doc_type,
                folder / "gen",
                seed=seed + i,
                name=f"{kind}-{i}",
                rendering=rendering,
                defect=defect,
            )
            for file in doc.files:
                path = folder / "gen" / Path(file.path).name
                for page in iter_page_images(path, sniff(path)):
                    quality = measure_quality(page.image, page.dpi)
                    out[kind].append(
                        {"sharpness": quality.blur, "contrast": quality.contrast, "dpi": page.dpi}
                    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=48, help="pages per half")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--generated", type=int, default=12, help="generated pieces per kind")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--recompute", type=Path, default=None, help="thresholds from a previous --out, no OCR"
    )
    args = parser.parse_args()
    if args.recompute:
        saved = json.loads(args.recompute.read_text(encoding="utf-8"))
        samples = [Sample(**s) for s in saved["samples"]]
        calibration, held_out = samples[: len(samples) // 2], samples[len(samples) // 2 :]
        generated = saved["generated"]
    else:
        with tempfile.TemporaryDirectory(prefix="justif-bench-legibility-") as work:
            folder = Path(work)
            calibration = sample_pages(args.pages, args.seed, folder)
            held_out = sample_pages(args.pages, args.seed + 1, folder)
            generated = generated_quality(args.generated, args.seed + 2, folder)
    cut = choose(calibration)
    grid_cut = choose_on_grid(calibration)
    figures = {
        "good": GOOD,
        "bad": BAD,
        "chosen": asdict(cut),
        "calibration": score(calibration, cut),
        "held_out": score(held_out, cut),
        "grid_chosen": asdict(grid_cut),
        "grid_held_out": score(held_out, grid_cut),
        "single_figure_cuts": single_figure_cuts(calibration),
        "generated_flagged": {
            kind: sum(p["sharpness"] < cut.sharpness or p["contrast"] < cut.contrast for p in pages)
            for kind, pages in generated.items()
        },
        "generated_pages": {kind: len(pages) for kind, pages in generated.items()},
        "samples": [asdict(s) for s in calibration + held_out],
        "generated": generated,
    }
    print_figures(figures, calibration + held_out)
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")


def print_figures(figures: dict[str, object], samples: Sequence[Sample]) -> None:
    print("blur_px dpi noise jpeg ink | sharpness contrast confidence | accuracy")
    for s in sorted(samples, key=lambda s: s.accuracy):
        print(
            f"{s.blur_px:5.2f} {s.dpi:4d} {s.noise_sigma:5.1f} {s.jpeg_quality:3d} "
            f"{s.ink_factor:4.2f} | {s.sharpness:7.3f} {s.contrast:6.3f} {s.confidence:6.3f} "
            f"| {s.accuracy:.3f}"
        )
    generated = figures["generated"]
    assert isinstance(generated, dict)
    for kind, pages in generated.items():
        sharp = sorted(p["sharpness"] for p in pages)
        contrast = sorted(p["contrast"] for p in pages)
        print(
            f"generated {kind}: {len(pages)} pages, sharpness min {sharp[0]:.3f} "
            f"median {sharp[len(sharp) // 2]:.3f} max {sharp[-1]:.3f}; contrast min "
            f"{contrast[0]:.3f} median {contrast[len(contrast) // 2]:.3f} max {contrast[-1]:.3f}"
        )
    keys = ("chosen", "calibration", "held_out", "grid_chosen", "grid_held_out")
    for key in (*keys, "single_figure_cuts", "generated_flagged"):
        print(f"{key}: {json.dumps(figures[key])}")


if __name__ == "__main__":
    main()
