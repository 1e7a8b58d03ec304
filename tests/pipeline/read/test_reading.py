from __future__ import annotations

from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from fixtures.textpages import french_page_text, render_pdf_page
from pipeline.read.reading import read_pages
from pipeline.types import FileKind, TextSource
from tests.conftest import require_tool
from tests.support.reading_docs import (
    BANNER_TEXT,
    SCAN_TEXT,
    SCAN_WORDS,
    scanned_page,
    write_banner_pdf,
    write_mixed_pdf,
)


@pytest.fixture(autouse=True)
def _tesseract() -> None:
    require_tool("tesseract")


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Image.Image:
    """A skewed, noisy, slightly blurred scan of SCAN_TEXT."""
    return scanned_page(tmp_path_factory.mktemp("scan"), rotation_deg=1.7)


def found(words: tuple[str, ...], text: str) -> set[str]:
    return {word for word in words if word in text}


def test_skewed_noisy_scan_yields_the_french_words_with_accents(
    tmp_path: Path, scan: Image.Image
) -> None:
    path = tmp_path / "scan.jpg"
    scan.save(path, dpi=(300, 300))
    (page,) = read_pages(path, FileKind.JPEG, languages="fra")
    assert page.text_source is TextSource.OCR
    assert found(SCAN_WORDS, page.text) == set(SCAN_WORDS)
    assert page.confidence > 0.8
    assert page.rotation_deg == pytest.approx(1.7, abs=0.3)
    assert page.quality.dpi == 300 and not page.quality.blank


def test_mixed_pdf_ocrs_only_the_scanned_page(tmp_path: Path, scan: Image.Image) -> None:
    prose = french_page_text(np.random.default_rng(5), lines=12)
    path = write_mixed_pdf(tmp_path / "mixed.pdf", prose, scan)
    first, second = read_pages(path, FileKind.PDF, languages="fra", page_workers=2)
    assert (first.n, second.n) == (1, 2)
    assert first.text_source is TextSource.TEXT_LAYER and first.confidence == 1.0
    assert first.text.split() == prose.split()
    assert second.text_source is TextSource.OCR
    assert found(SCAN_WORDS, second.text) == set(SCAN_WORDS)


def test_skip_pages_reads_only_the_others(tmp_path: Path, scan: Image.Image) -> None:
    prose = french_page_text(np.random.default_rng(6), lines=5)
    path = write_mixed_pdf(tmp_path / "mixed.pdf", prose, scan)
    (only,) = read_pages(path, FileKind.PDF, skip_pages={2})
    assert only.n == 1 and only.text_source is TextSource.TEXT_LAYER


@pytest.mark.slow
@pytest.mark.parametrize("turn", [Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180])
def test_rotated_scan_is_read_upright(
    tmp_path: Path, scan: Image.Image, turn: Image.Transpose
) -> None:
    path = tmp_path / "turned.png"
    scan.transpose(turn).save(path, dpi=(300, 300))
    (page,) = read_pages(path, FileKind.PNG, languages="fra")
    assert found(SCAN_WORDS, page.text) == set(SCAN_WORDS)
    assert round(page.rotation_deg / 90) % 4 in (1, 2, 3)


def test_multipage_tiff_reads_each_frame(tmp_path: Path, scan: Image.Image) -> None:
    blank = Image.new("L", scan.size, 250)
    path = tmp_path / "two.tif"
    scan.convert("L").save(path, save_all=True, append_images=[blank], dpi=(300, 300))
    first, second = read_pages(path, FileKind.TIFF, languages="fra")
    assert found(SCAN_WORDS, first.text) == set(SCAN_WORDS)
    assert second.quality.blank and second.text == ""


@pytest.mark.slow
def test_heic_photo_is_read(tmp_path: Path, scan: Image.Image) -> None:
    path = tmp_path / "photo.heic"
    # Half size (150 dpi, like a phone photo): HEIC encoding of a full page is slow.
    small = scan.convert("RGB").reduce(2)
    pillow_heif.from_pillow(small).save(str(path), quality=90)
    (page,) = read_pages(path, FileKind.HEIC, languages="fra")
    assert len(found(SCAN_WORDS, page.text)) >= len(SCAN_WORDS) - 1
    # HEIC carries no dpi: estimated from the pixel size of an A4 page.
    assert page.quality.dpi == pytest.approx(150, rel=0.02)


def test_white_on_black_banner_is_read(tmp_path: Path) -> None:
    pdf = write_banner_pdf(tmp_path / "banner.pdf", SCAN_TEXT)
    path = tmp_path / "banner.png"
    render_pdf_page(pdf, 0, dpi=300).save(path, dpi=(300, 300))
    (page,) = read_pages(path, FileKind.PNG, languages="fra")
    assert BANNER_TEXT in page.text
    assert found(SCAN_WORDS, page.text) == set(SCAN_WORDS)
