from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from pipeline.read.legibility import measure_quality
from pipeline.read.page_cache import load_cached_pages, save_page
from pipeline.read.pages import capped_render_dpi, image_effective_dpi, load_image_frame
from pipeline.store.storage import LocalStore
from pipeline.types import Box, PageReading, Quality, TextSource, Word
from tests.support.reading_docs import scanned_page

SHA = "ab" * 32


def a_reading(n: int) -> PageReading:
    word = Word(text="Châteauroux", box=Box(x0=0.1, y0=0.2, x1=0.3, y1=0.25), confidence=0.9)
    return PageReading(
        n=n,
        text_source=TextSource.OCR,
        text="Fait à Châteauroux",
        words=[word],
        confidence=0.9,
        quality=Quality(blur=120.0, dpi=300.0, contrast=0.8, blank=False),
        width_px=2480,
        height_px=3508,
        rotation_deg=1.5,
    )


def test_page_cache_round_trip_and_version_miss(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    save_page(store, SHA, "engine-1", a_reading(1))
    save_page(store, SHA, "engine-1", a_reading(2))
    assert list(store.list(f"cache/pages/{SHA}/")) == [
        f"cache/pages/{SHA}/1.json",
        f"cache/pages/{SHA}/2.json",
    ]
    cached = load_cached_pages(store, SHA, "engine-1")
    assert cached == {1: a_reading(1), 2: a_reading(2)}
    assert load_cached_pages(store, SHA, "engine-2") == {}
    assert load_cached_pages(store, "cd" * 32, "engine-1") == {}


def test_legibility_separates_sharp_blurred_and_blank(tmp_path: Path) -> None:
    sharp = np.asarray(scanned_page(tmp_path).convert("L"))
    blurred = cv2.GaussianBlur(sharp, (0, 0), 4.0)
    blank = np.full_like(sharp, 248)
    blank = np.clip(blank + np.random.default_rng(0).normal(0, 4, blank.shape), 0, 255)
    sharp_q = measure_quality(sharp, 300)
    blurred_q = measure_quality(blurred, 300)
    blank_q = measure_quality(blank.astype(np.uint8), 300)
    assert not sharp_q.blank and not blurred_q.blank and blank_q.blank
    assert sharp_q.blur > 4 * blurred_q.blur
    assert sharp_q.contrast > 0.6
    # Same page at another resolution: same order of sharpness (normalised scale).
    half = cv2.resize(sharp, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    half_q = measure_quality(half, 150)
    assert half_q.dpi == 150
    assert 0.5 < half_q.blur / sharp_q.blur < 2.0


def test_exif_orientation_and_dpi_heuristics(tmp_path: Path) -> None:
    image = Image.new("L", (300, 200), 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: the camera says rotate 90 degrees clockwise
    path = tmp_path / "photo.jpg"
    image.save(path, exif=exif, dpi=(72, 72))
    page = load_image_frame(path, 1, max_pixels=10_000_000)
    assert page.image.shape == (300, 200)
    # 72 dpi would make a 4-inch page; 300 px long side as A4 gives ~26 dpi.
    assert page.dpi == image_effective_dpi(300, 200, (72, 72))
    assert image_effective_dpi(2480, 3508, (300, 300)) == 300
    assert round(image_effective_dpi(2480, 3508, None)) == 300
    assert round(image_effective_dpi(2480, 3508, (72, 72))) == 300
    # A 100-inch square page would be 900 megapixels at 300 dpi.
    assert capped_render_dpi(7200, 7200, dpi=300, max_pixels=80_000_000) < 90
    assert capped_render_dpi(595, 842, dpi=300, max_pixels=80_000_000) == 300
