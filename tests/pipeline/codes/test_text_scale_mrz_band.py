"""Text-size-driven scaling, dark surroundings of photos, and MRZ band location."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.codes.mrz.band import band_from_words, bands_from_lines, mrz_bands
from pipeline.codes.mrz.lines import MrzLineTest, mrz_line
from pipeline.read.preprocess import (
    KEEP_TEXT_PX,
    blank_dark_surroundings,
    estimate_text_height,
    letter_heights,
    text_scale,
)
from pipeline.types import Box, Word

WORDS = "Nom Prenom Date de naissance 12 03 1990 Adresse rue des Lilas 75011 Paris"


def text_image(font_scale: float, *, width: int = 2000, lines: int = 12) -> np.ndarray:
    """A light page of `lines` lines of text drawn at `font_scale`, with paper noise."""
    rng = np.random.default_rng(7)
    line_px = int(40 * font_scale)
    page = np.full((line_px * (lines + 2), width), 235, np.uint8)
    for row in range(lines):
        origin = (int(10 * font_scale), line_px * (row + 1))
        cv2.putText(
            page,
            WORDS,
            origin,
            cv2.FONT_HERSHEY_SIMPLEX,
            font_scale,
            30,
            max(1, round(2 * font_scale)),
            cv2.LINE_AA,
        )
    noise = rng.normal(0, 6, page.shape)
    return np.clip(page + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("font_scale", [0.5, 1.0, 2.0])
def test_text_height_follows_the_letters_size(font_scale: float) -> None:
    measured = estimate_text_height(text_image(font_scale, width=int(2400 * font_scale)))
    assert measured is not None
    # Hershey capitals are ~23 px high at scale 1; lower case letters less.
    assert 12 * font_scale <= measured <= 26 * font_scale + 3


@pytest.mark.parametrize("font_scale", [0.45, 0.6, 2.5])
def test_scale_brings_letters_into_tesseract_range(font_scale: float) -> None:
    image = text_image(font_scale, width=int(2400 * font_scale))
    measured = estimate_text_height(image)
    assert measured is not None
    # Whatever dpi is claimed (a card photo's estimate is wrong), the letters decide.
    scaled = measured * text_scale(image, dpi=300.0)
    assert KEEP_TEXT_PX[0] - 2 <= scaled <= KEEP_TEXT_PX[1] + 2


def test_page_in_range_is_not_rescaled_and_blank_page_trusts_dpi() -> None:
    image = text_image(1.3, width=3000)
    measured = estimate_text_height(image)
    assert measured is not None and KEEP_TEXT_PX[0] <= measured <= KEEP_TEXT_PX[1]
    assert text_scale(image, dpi=100.0) == 1.0
    blank = np.full((1000, 800), 240, np.uint8)
    assert estimate_text_height(blank) is None
    assert text_scale(blank, dpi=150.0) == pytest.approx(2.0)


def test_dark_table_around_a_photographed_card_is_blanked() -> None:
    rng = np.random.default_rng(3)
    photo = rng.integers(20, 90, (900, 1200)).astype(np.uint8)  # textured dark table
    card = text_image(0.8, width=700, lines=8)
    photo[200 : 200 + card.shape[0], 250:950] = card
    binary = cv2.threshold(photo, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    cleaned = blank_dark_surroundings(binary, photo)
    assert (cleaned[:150, :] == 255).all()  # the table is gone
    inside = slice(200 + 40, 200 + card.shape[0] - 40), slice(300, 900)
    # The card's letters are kept.
    assert (cleaned[inside] == 0).sum() == (binary[inside] == 0).sum()


def test_a_header_band_cut_by_the_photo_edge_is_kept_though_it_reaches_the_edge() -> None:
    # A bill photographed with its dark header band cut by the top of the photo: the
    # band reaches the edge as a table would, but it was recognised as a banner
    # (and turned black-on-white) before: it keeps its letters.
    rng = np.random.default_rng(5)
    photo = rng.integers(20, 90, (900, 1200)).astype(np.uint8)  # table on the left
    page = text_image(0.8, width=1000, lines=10)
    photo[150 : 150 + page.shape[0], 200:1200] = page
    photo[:150, 200:1200] = 50  # the header band, cut by the top edge
    binary = cv2.threshold(photo, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    banner = np.zeros(photo.shape, bool)
    banner[:150, 200:1200] = True
    binary[60:90, 400:700] = 0  # its letters, as the inversion left them
    kept = blank_dark_surroundings(binary, photo, keep=banner)
    assert (kept[60:90, 400:700] == 0).all()
    assert (kept[:, :150] == 255).all()  # the table is still gone
    # without it, the band went with the table
    assert (blank_dark_surroundings(binary, photo)[60:90, 400:700] == 255).all()


def test_mrz_fragments_include_fillers_misread_by_page_ocr() -> None:
    fragment = MrzLineTest.FRAGMENT
    assert mrz_line("IDFRAARMUE9T8V2<<<<<<<<<", fragment)
    assert mrz_line("TBV2ccccececececece", fragment)
    assert mrz_line("Préfecture", fragment) is None
    assert mrz_line("cccccccccccc", fragment) is None


def test_band_from_words_grows_to_hold_missed_lines() -> None:
    line = Word(
        text="0702142M3212242FRA<<<<<<4", box=Box(x0=0.3, y0=0.80, x1=0.7, y1=0.82), confidence=0.5
    )
    other = Word(text="Nom", box=Box(x0=0.1, y0=0.1, x1=0.15, y1=0.12), confidence=0.9)
    band = band_from_words((1000, 2000), [other, line])
    assert band is not None
    letter = 20  # 0.02 of 1000 px
    assert band.y0 <= 800 - 2 * letter and band.y1 >= 820 + 2 * letter  # a line above and below
    assert band.x0 < 600 and band.x1 >= 1400
    assert band_from_words((1000, 2000), [other]) is None


def test_bands_from_lines_finds_a_stack_of_equal_long_lines() -> None:
    page = np.full((1400, 1800), 240, np.uint8)
    for row, text in enumerate(["Carte de test", "Nom : DUPONT"]):
        cv2.putText(page, text, (100, 150 + 80 * row), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 20, 2)
    mrz = [
        "IDFRAX4RTBPFW46<<<<<<<<<<<<<<<",
        "9007138F3002119FRA<<<<<<<<<<<6",
        "MARTIN<<MAELYS<GAELLE<MARIE<<<",
    ]
    for row, text in enumerate(mrz):
        cv2.putText(page, text, (150, 1000 + 60 * row), cv2.FONT_HERSHEY_PLAIN, 2.6, 20, 2)
    bands = bands_from_lines(page)
    assert bands, "the MRZ stack was not found"
    top = bands[0]
    assert top.y0 <= 1000 - 30 and top.y1 >= 1000 + 120
    (text_width, _), _ = cv2.getTextSize(mrz[0], cv2.FONT_HERSHEY_PLAIN, 2.6, 2)
    assert top.x0 <= 150 and top.x1 >= 150 + text_width
    assert mrz_bands(page, [])[0] == top


def test_reads_of_one_mrz_are_assembled_line_by_line() -> None:
    from datetime import date

    from pipeline.codes.mrz.band import combine_readings
    from pipeline.codes.mrz.parse import parse_mrz

    as_of = date(2026, 11, 26)
    right = [
        "IDFRAYB18YACFM1<<<<<<<<<<<<<<<",
        "5711037F3402225FRA<<<<<<<<<<<0",
        "DAVID<<MELANIE<ZOE<<<<<<<<<<<<",
    ]
    assert parse_mrz(right, as_of=as_of).valid
    # One read got the document number wrong, the other the birth date (3 read 4: no
    # look-alike the check digits could correct on their own).
    first = parse_mrz([right[0].replace("YACFM", "YACFN"), right[1], right[2]], as_of=as_of)
    second = parse_mrz([right[0], right[1].replace("5711037", "5711047"), right[2]], as_of=as_of)
    assert not first.valid and not second.valid
    combined = combine_readings([first, second], as_of)
    assert combined is not None and combined.valid and combined.lines == right
    assert combine_readings([first], as_of) is not None
    assert not combine_readings([first], as_of).valid  # type: ignore[union-attr]


def test_little_blurred_text_on_a_large_page_is_measured_by_its_words() -> None:
    # A card's back photocopied alone on A4: a few short lines whose blurred
    # letters run together, too few separate letters for the usual estimate.
    page = np.full((3508, 2480), 248, np.uint8)
    lines = ["Adresse", "49, avenue Valentin", "97400 Saint-Denis", "Carte valable jusqu'au"]
    for row, text in enumerate([*lines, "26 05 2036", "delivree le 27 05 2021", "Prefecture"]):
        cv2.putText(page, text, (300, 400 + 120 * row), cv2.FONT_HERSHEY_SIMPLEX, 0.55, 20, 2)
    page = cv2.GaussianBlur(page, (5, 5), 1.5)
    assert letter_heights(page).size < 30
    measured = estimate_text_height(page)
    assert measured is not None and 9 <= measured <= 18
    # So the page is enlarged for them, not kept at the scale its dpi claims.
    assert text_scale(page, dpi=300.0) > 1.4
