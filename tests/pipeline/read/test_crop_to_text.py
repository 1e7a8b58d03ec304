"""A card scanned alone on an A4 sheet: the page is cut down to its text before
it is enlarged for the card's small letters.

Real tesseract on generated documents (fixtures.generator, rendering "scan").
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from fixtures.generator.api import generate_document
from pipeline.read.ocr import ocr_page
from pipeline.read.preprocess import (
    CROP_ABOVE_SCALED_PIXELS,
    crop_to_text,
    prepare_for_ocr,
    to_grey,
)
from tests.conftest import require_tool


def fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", plain)


def card_on_a4(tmp_path: Path) -> tuple[np.ndarray, dict[str, object]]:
    # Seed 0 puts the recto alone on a 200-dpi A4 sheet: 7 px letters ask for
    # a 2.9x enlargement of 3.9 megapixels of mostly blank, grainy paper.
    generate_document(
        "identity_card",
        tmp_path,
        seed=0,
        name="card",
        template_id="identity_card.eu_bilingual",
        rendering="scan",
        split_sides=True,
    )
    path = next(p for p in tmp_path.glob("card_recto.*") if p.suffix != ".json")
    truth = json.loads(path.with_suffix(".json").read_text())
    return to_grey(np.asarray(Image.open(path).convert("RGB"))), truth


def test_a_card_alone_on_a4_is_cut_down_to_the_card(tmp_path: Path) -> None:
    grey, _ = card_on_a4(tmp_path)
    cropped = crop_to_text(grey)
    assert cropped.size < 0.15 * grey.size
    # What was cut away is blank paper: its darkest tenth-percentile is paper-light.
    mask = np.ones(grey.shape, bool)
    rows, cols = np.where(cv2.matchTemplate(grey, cropped, cv2.TM_SQDIFF) == 0)
    top, left = int(rows[0]), int(cols[0])
    mask[top : top + cropped.shape[0], left : left + cropped.shape[1]] = False
    assert np.percentile(grey[mask], 1) > 150


def test_the_enlarged_card_stays_small_and_its_values_are_read(tmp_path: Path) -> None:
    require_tool("tesseract")
    grey, truth = card_on_a4(tmp_path)
    prepared = prepare_for_ocr(grey, 200.0)
    assert prepared.image.size < CROP_ABOVE_SCALED_PIXELS
    text = fold(ocr_page(prepared.image, "fra+eng", try_inverted=False).text)
    fields = dict(truth["fields"])  # type: ignore[call-overload]
    for name in ("birth_date", "expiry_date"):
        year, month, day = str(fields[name]).split("-")
        assert f"{day}{month}{year}" in text


def test_a_page_full_of_text_is_kept_whole(tmp_path: Path) -> None:
    generate_document("proof_of_address", tmp_path, seed=3, name="bill", rendering="scan")
    path = next(p for p in tmp_path.glob("bill*") if p.suffix != ".json")
    grey = to_grey(np.asarray(Image.open(path).convert("RGB")))
    assert crop_to_text(grey).shape == grey.shape
