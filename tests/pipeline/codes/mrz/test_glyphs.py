"""MRZ lines read glyph by glyph against OCR-B, on generated card photos and drawn MRZs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from fixtures.generator.api import generate_document
from fixtures.scan import ScanStyle, degrade
from pipeline.codes.mrz.band import (
    is_upside_down_fragment,
    mrz_bands,
    read_band_glyphs,
    upright_for_mrz,
)
from pipeline.codes.mrz.find import find_mrz
from pipeline.codes.mrz.glyphs import ocrb_font_path, read_line_glyphs
from pipeline.fields import DocType
from pipeline.read.ocr import ocr_page
from pipeline.read.pages import PageImage
from pipeline.read.preprocess import prepare_for_ocr
from pipeline.read.reading import read_image
from pipeline.read.signals import mrz_lines_of_page
from pipeline.types import Box, Word

AS_OF = date(2025, 6, 1)
# TD1 lines of a made-up card; every check digit is right (6, 3, 0 and composite 0).
TD1 = [
    "IDFRAX4RTBPFW46<<<<<<<<<<<<<<<",
    "9007253F3505160FRA<<<<<<<<<<<0",
    "MARTIN<<CLAIRE<ANNE<<<<<<<<<<<",
]


@pytest.fixture(autouse=True)
def _needs_ocrb() -> None:
    assert ocrb_font_path() is not None, "fonts-ocr-b is missing (run `make test`)"


def photographed_mrz(lines: list[str], *, seed: int) -> np.ndarray:
    """The lines drawn in OCR-B at a card photo's size (~20 px capitals), then degraded
    like a phone photo (blur, noise, JPEG, uneven light, perspective)."""
    path = ocrb_font_path()
    assert path is not None
    font = ImageFont.truetype(str(path), 28)
    page = Image.new("L", (900, 60 + 40 * len(lines)), 240)
    draw = ImageDraw.Draw(page)
    for row, line in enumerate(lines):
        draw.text((40, 30 + 40 * row), line, fill=25, font=font)
    rng = np.random.default_rng(seed)
    style = ScanStyle(
        noise_sigma=7.0, blur_px=1.0, jpeg_quality=70, uneven_light=0.3, perspective=0.01
    )
    return np.asarray(degrade(page, style, rng, source_dpi=300).convert("L"))


def glyph_lines(grey: np.ndarray) -> list[str]:
    texts = [read_band_glyphs(grey, band) for band in mrz_bands(grey, [])]
    return [line for text in texts for line in text.splitlines()]


@pytest.mark.parametrize("seed", [1, 2])
def test_a_photographed_mrz_is_read_exactly(seed: int) -> None:
    read = glyph_lines(photographed_mrz(TD1, seed=seed))
    # Look-alikes (5/S, 0/O) may come out in the other class; the MRZ's character
    # classes put them back, without any check-digit correction.
    reading = find_mrz("\n".join(read), as_of=AS_OF)
    assert reading is not None and reading.valid and reading.corrections == 0
    assert reading.lines == TD1


def test_a_wrong_check_digit_is_read_as_printed_and_fails() -> None:
    forged = [TD1[0], TD1[1][:-1] + "7", TD1[2]]  # composite check digit changed
    read = glyph_lines(photographed_mrz(forged, seed=3))
    reading = find_mrz("\n".join(read), as_of=AS_OF)
    # Read as printed, not made to verify.
    assert reading is not None and not reading.valid
    assert "composite" in reading.failed_checks
    assert reading.lines[1][-1] == "7"


def test_ordinary_text_is_not_an_mrz() -> None:
    page = np.full((160, 1400), 235, np.uint8)
    for row in range(2):
        cv2.putText(
            page,
            "Date de naissance 12 03 1990 Adresse rue des Lilas 75011 Paris",
            (20, 60 + 60 * row),
            cv2.FONT_HERSHEY_SIMPLEX,
            1.0,
            30,
            2,
            cv2.LINE_AA,
        )
    text = "\n".join(glyph_lines(page))
    reading = find_mrz(text, as_of=AS_OF)
    assert reading is None or not reading.valid
    assert read_line_glyphs(np.full((40, 600), 230, np.uint8)) is None  # blank: nothing


@pytest.mark.parametrize(
    ("doc_type", "seed"),
    [
        (DocType.IDENTITY_CARD, 4100),  # cni_new
        (DocType.IDENTITY_CARD, 4101),  # cni_old (2 lines of 36)
        (DocType.RESIDENCE_PERMIT, 4102),  # resident card
    ],
)
def test_generated_card_photos_verify_without_tesseract(
    doc_type: DocType, seed: int, tmp_path: Path
) -> None:
    generated = generate_document(doc_type, tmp_path, seed=seed, rendering="photo")
    file = generated.files[0]
    photo = np.asarray(Image.open(tmp_path / file.path).convert("L"))
    grey = prepare_for_ocr(photo, 300.0).grey
    assert grey is not None
    readings = [find_mrz(read_band_glyphs(grey, band), as_of=AS_OF) for band in mrz_bands(grey, [])]
    assert any(
        r is not None and r.valid and r.lines == file.fields["mrz"].split("\n") for r in readings
    )


def test_upside_down_mrz_words_turn_the_page() -> None:
    grey = np.zeros((100, 200), np.uint8)
    grey[:10, :20] = 255  # a mark in the top left corner
    words = [
        Word(text=">>>>>>>>>>>>>ZO", box=Box(x0=0.1, y0=0.8, x1=0.5, y1=0.9), confidence=0.9),
        Word(text="TIVHAVU", box=Box(x0=0.6, y0=0.8, x1=0.9, y1=0.9), confidence=0.9),
    ]
    turned, turned_words = upright_for_mrz(grey, words)
    assert turned[-1, -1] == 255 and turned[0, 0] == 0  # the mark went to the bottom right
    assert turned_words[0].text == "OZ<<<<<<<<<<<<<"
    box = turned_words[0].box
    assert (box.x0, box.y0, box.x1, box.y1) == pytest.approx((0.5, 0.1, 0.9, 0.2))
    # An upright MRZ (and a page with a few stray '>') stays as it is.
    upright_words = [Word(text="IDFRA<<<<<<<>>", box=words[0].box, confidence=0.9)]
    same, _ = upright_for_mrz(grey, upright_words)
    assert same is grey


def test_card_photo_page_signals_carry_the_verified_mrz(tmp_path: Path) -> None:
    """Real tesseract page OCR, then the MRZ re-read of the page signals."""
    generated = generate_document(DocType.IDENTITY_CARD, tmp_path, seed=4102, rendering="photo")
    file = generated.files[0]
    image = np.asarray(Image.open(tmp_path / file.path).convert("RGB"))
    prepared = prepare_for_ocr(image, 300.0)
    assert prepared.grey is not None
    page = ocr_page(prepared.image, "fra+eng", try_inverted=False)
    height, width = image.shape[:2]
    lines = mrz_lines_of_page(
        image,
        page.text,
        width / height,
        from_ocr=True,
        faces=1,
        upright=prepared.grey,
        words=page.words,
    )
    assert lines == file.fields["mrz"].split("\n")


def test_upside_down_fragments_count_as_mrz_fragments() -> None:
    assert is_upside_down_fragment(">>>>>>>>>3NNZTIDONOAGVWVN>>SINO")
    assert not is_upside_down_fragment("IDFRA<<<<<<<<<<<<")  # upright: the other test
    assert not is_upside_down_fragment("Nationalité >")


@pytest.mark.slow
def test_upside_down_card_photo_read_end_to_end(tmp_path: Path) -> None:
    """A card photographed upside down: page OCR, orientation and the MRZ re-read for real."""
    generated = generate_document(DocType.RESIDENCE_PERMIT, tmp_path, seed=4102, rendering="photo")
    file = generated.files[0]
    image = np.asarray(Image.open(tmp_path / file.path).convert("RGB"))
    page = read_image(PageImage(n=1, image=cv2.rotate(image, cv2.ROTATE_180), dpi=300.0), "fra+eng")
    assert page.signals is not None
    assert page.signals.mrz_lines == file.fields["mrz"].split("\n")
