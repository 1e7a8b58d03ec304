"""Small, grainy, blurred card photos: denoised and deblurred before they are enlarged.

Real tesseract on generated documents (fixtures.generator, rendering "photo":
a card on a table, 200-300 dpi, sensor grain, optical blur, JPEG).
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fixtures.generator.api import generate_document
from fixtures.generator.render import render_pages
from fixtures.scan import ScanStyle, degrade
from pipeline.read.ocr import ocr_page
from pipeline.read.preprocess import (
    MIN_DEBLUR_SIGMA_PX,
    SHARPEN_MIN_SCALE,
    blur_to_undo,
    denoise_grain,
    edge_spread,
    prepare_for_ocr,
    text_scale,
    to_grey,
)
from tests.conftest import require_tool

PHOTO_DPI = 200.0  # what a photo's dpi is taken to be; its letters set the scale


def fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", plain)


def card_values(truth: dict[str, object], *, with_number: bool = True) -> list[str]:
    """The recto's values worth finding, folded; dates as DD MM YYYY."""
    fields = dict(truth["fields"])  # type: ignore[call-overload]
    names = ["last_name", "first_names"] + (["document_number"] if with_number else [])
    values = [str(fields[name]) for name in names]
    for name in ("birth_date", "expiry_date"):
        year, month, day = str(fields[name]).split("-")
        values.append(f"{day}{month}{year}")
    return [fold(value) for value in values]


def values_read(path: Path) -> int:
    truth = json.loads(path.with_suffix(".json").read_text())
    grey = to_grey(np.asarray(Image.open(path).convert("RGB")))
    prepared = prepare_for_ocr(grey, PHOTO_DPI)
    text = fold(ocr_page(prepared.image, "fra+eng", try_inverted=False).text)
    return sum(value in text for value in card_values(truth))


def test_values_of_small_grainy_card_photos_are_read(tmp_path: Path) -> None:
    require_tool("tesseract")
    # Two card rectos photographed at ~200 dpi (8-10 px capitals, blur, grain):
    # enlarged as they were, tesseract read none of their names, dates or
    # numbers (0 of 10); denoised and deblurred first, it reads 4.
    found = 0
    for seed in (660000, 660012):
        doc = generate_document(
            "identity_card",
            tmp_path,
            seed=seed,
            name=f"c{seed}",
            rendering="photo",
            split_sides=True,
        )
        recto = next(f.path for f in doc.files if "recto" in f.path)
        found += values_read(tmp_path / recto)
    assert found >= 3


def rendered_card(tmp_path: Path, *, blur_px: float) -> np.ndarray:
    """A card recto at 200 dpi with sensor grain and JPEG, blurred by `blur_px`."""
    doc = generate_document(
        "identity_card",
        tmp_path,
        seed=661000,
        name="k",
        rendering="born_digital",
        template_id="identity_card.eu_bilingual",
    )
    page = render_pages((tmp_path / doc.files[0].path).read_bytes(), 300)[0]
    style = ScanStyle(blur_px=blur_px, noise_sigma=6.0, jpeg_quality=75, dpi=200)
    return np.asarray(degrade(page, style, np.random.default_rng(1)).convert("L"))


def test_only_a_blurred_page_is_deblurred(tmp_path: Path) -> None:
    # A sharp card is left sharp (deconvolved, its letters ring and tesseract's
    # confidence drops); a 1-px blur is measured and undone.
    sharp = rendered_card(tmp_path, blur_px=0.0)
    blurred = rendered_card(tmp_path, blur_px=1.0)
    assert text_scale(sharp, PHOTO_DPI) >= SHARPEN_MIN_SCALE
    assert blur_to_undo(edge_spread(denoise_grain(sharp))) < MIN_DEBLUR_SIGMA_PX
    assert blur_to_undo(edge_spread(denoise_grain(blurred))) >= 0.8


def test_sharp_small_card_reads_as_well_as_before(tmp_path: Path) -> None:
    require_tool("tesseract")
    sharp = rendered_card(tmp_path, blur_px=0.0)
    truth = json.loads((tmp_path / "k.json").read_text())
    result = ocr_page(prepare_for_ocr(sharp, PHOTO_DPI).image, "fra+eng", try_inverted=False)
    text = fold(result.text)
    # Its names and dates, as before (its 9-letter number, 7 px high, never was).
    assert all(value in text for value in card_values(truth, with_number=False))
    assert result.confidence >= 0.85


@pytest.mark.parametrize("seed", [741500, 741503])
def test_a4_scans_are_not_sharpened(tmp_path: Path, seed: int) -> None:
    # Scans are the bulk of the pieces: their letters need no enlarging worth
    # the name, so they keep their grain and blur as they are (and their time).
    doc = generate_document("proof_of_address", tmp_path, seed=seed, rendering="scan")
    path = tmp_path / doc.files[0].path
    if path.suffix == ".pdf":  # read as justif reads a scanned PDF: rendered at 300 dpi
        image, dpi = render_pages(path.read_bytes(), 300)[0], 300.0
    else:
        image = Image.open(path)
        dpi = float(image.info.get("dpi", (300, 300))[0])
    assert text_scale(to_grey(np.asarray(image.convert("RGB"))), dpi) < SHARPEN_MIN_SCALE
