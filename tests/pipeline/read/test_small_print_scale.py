"""Small print beside larger text (an old ID card photocopied on A4) sets the scale."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.read.preprocess import (
    MAX_SMALL_TEXT_UPSCALE,
    SMALL_TEXT_MIN_PX,
    letter_heights,
    small_text_height,
    text_scale,
)

A4_300DPI = (3508, 2480)
FIELDS = ["NOM : DUPONT-AIGNAN", "PRENOMS : ANAEL GABRIEL", "NE LE : 08 06 1999", "A : NANTES"]
MRZ = ["IDFRADUPONT<AIGNAN<<<<<<<<<<<<686053", "1712680598009ANAEL<<GABRIEL9906080M2"]
BODY = "Nous certifions que le titulaire habite a cette adresse depuis 2019"


def put_lines(page: np.ndarray, lines: list[str], top: int, font_scale: float) -> int:
    """Draw `lines` from `top` (px) at `font_scale`; returns the y after the last line."""
    step = int(42 * font_scale)
    for row, text in enumerate(lines):
        y = top + step * (row + 1)
        thickness = max(2, round(1.8 * font_scale))
        cv2.putText(page, text, (150, y), cv2.FONT_HERSHEY_SIMPLEX, font_scale, 25, thickness)
    return top + step * (len(lines) + 1)


def noisy(page: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(11)
    return np.clip(page + rng.normal(0, 5, page.shape), 0, 255).astype(np.uint8)


def card_on_a4(field_scale: float) -> np.ndarray:
    """A card's small fields and its large MRZ, on an otherwise empty A4 page at 300 dpi."""
    page = np.full(A4_300DPI, 240, np.uint8)
    y = put_lines(page, FIELDS, 250, field_scale)
    y = put_lines(page, MRZ, y, 1.1)  # OCR-B MRZ letters measure ~25 px at 300 dpi
    y = put_lines(page, FIELDS, y + 200, field_scale)  # the verso
    return noisy(page)


def body_page(lines: int, *, footer: int = 0) -> np.ndarray:
    """An ordinary A4 letter at 300 dpi: body text, optionally a footer in small print."""
    page = np.full(A4_300DPI, 240, np.uint8)
    y = put_lines(page, [BODY] * lines, 200, 1.3)
    put_lines(page, [BODY.upper()] * footer, y + 100, 0.55)
    return noisy(page)


def test_card_fields_under_a_large_mrz_are_enlarged() -> None:
    page = card_on_a4(0.45)  # ~12 px fields
    heights = letter_heights(page)
    small = small_text_height(heights)
    assert small is not None and small < SMALL_TEXT_MIN_PX
    # The median alone (the MRZ's letters) would keep the page as it is.
    assert float(np.median(heights)) >= 20
    scale = text_scale(page, dpi=300.0)
    assert 1.5 <= scale <= MAX_SMALL_TEXT_UPSCALE
    assert small * scale >= 20  # tesseract's readable range


def test_card_fields_already_readable_are_not_enlarged() -> None:
    page = card_on_a4(0.8)  # ~18 px fields: readable as they are
    assert small_text_height(letter_heights(page)) is None
    assert text_scale(page, dpi=300.0) == 1.0


@pytest.mark.parametrize("footer", [0, 3])
def test_ordinary_letter_keeps_its_size(footer: int) -> None:
    # Lower case x-height against capitals and ascenders is one font, not small
    # print; a few footer lines are no substantial share of the letters.
    page = body_page(30, footer=footer)
    assert small_text_height(letter_heights(page)) is None
    assert text_scale(page, dpi=300.0) == 1.0


def test_small_print_scale_is_capped() -> None:
    page = card_on_a4(0.37)  # ~10 px fields would want 2.2x
    small = small_text_height(letter_heights(page))
    assert small is not None and small <= 10.5
    assert text_scale(page, dpi=300.0) == pytest.approx(MAX_SMALL_TEXT_UPSCALE)


def test_page_enlarged_for_its_median_keeps_that_scale() -> None:
    # The same card at 200 dpi: its median (the MRZ) already asks for ~1.5x.
    page = cv2.resize(card_on_a4(0.45), None, fx=2 / 3, fy=2 / 3, interpolation=cv2.INTER_AREA)
    assert small_text_height(letter_heights(page)) is None
    assert text_scale(page, dpi=200.0) == pytest.approx(26 / float(np.median(letter_heights(page))))
