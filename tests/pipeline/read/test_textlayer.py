from __future__ import annotations

from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest

from fixtures.textpages import french_page_text, write_text_pdf
from pipeline.read.textlayer import LayerText, LayerVerdict, read_text_layer, score_text
from tests.support.reading_docs import scanned_page, write_image_pdf


def layer_of(path: Path, index: int = 0) -> LayerText:
    document = pdfium.PdfDocument(str(path))
    try:
        page = document[index]
        return read_text_layer(page)
    finally:
        document.close()


def shifted(text: str) -> str:
    """Letters shifted by one, as a broken font encoding maps glyphs to wrong codes."""
    return "".join(chr(ord(c) + 1) if c.isascii() and c.isalpha() else c for c in text)


@pytest.fixture(scope="module")
def prose() -> str:
    return french_page_text(np.random.default_rng(11), lines=30)


def test_born_digital_page_is_usable_with_word_boxes(tmp_path: Path, prose: str) -> None:
    layer = layer_of(write_text_pdf(tmp_path / "digital.pdf", [prose]))
    assert layer.verdict is LayerVerdict.USABLE
    assert layer.text.split() == prose.split()
    first = layer.words[0]
    assert first.text == prose.split()[0]
    # First word of the page: top-left, under the 60 pt margin of an A4 page.
    assert 0.08 < first.box.x0 < 0.12 and 0.05 < first.box.y0 < 0.08
    assert first.box.x1 > first.box.x0 and first.box.y1 > first.box.y0


@pytest.mark.parametrize(
    ("content", "verdict"),
    [
        ("   \n\t  \n", LayerVerdict.TOO_LITTLE_TEXT),
        (".", LayerVerdict.TOO_LITTLE_TEXT),
        ("x", LayerVerdict.TOO_LITTLE_TEXT),
    ],
)
def test_empty_or_stray_text_is_not_usable(
    tmp_path: Path, content: str, verdict: LayerVerdict
) -> None:
    assert layer_of(write_text_pdf(tmp_path / "p.pdf", [content])).verdict is verdict


def test_shifted_glyph_text_is_garbage(tmp_path: Path, prose: str) -> None:
    layer = layer_of(write_text_pdf(tmp_path / "shifted.pdf", [shifted(prose)]))
    assert layer.verdict is LayerVerdict.GARBAGE
    assert not layer.usable


def test_broken_unicode_maps_and_mojibake_score_low(prose: str) -> None:
    assert score_text(prose).score == 1.0
    private_use = "".join(
        "\ue012" if c.isalpha() and i % 3 == 0 else c for i, c in enumerate(prose)
    )
    assert score_text(private_use).score < 0.5
    assert score_text(" ".join(f"(cid:{i % 90})" for i in range(300))).score < 0.5
    mojibake = prose.encode("utf-8").decode("latin-1")
    assert score_text(mojibake).score < 0.5


def test_invisible_text_over_a_scan_is_not_trusted(tmp_path: Path, prose: str) -> None:
    scan = scanned_page(tmp_path)
    path = write_image_pdf(tmp_path / "ocred.pdf", scan, overlay=prose, invisible=True)
    layer = layer_of(path)
    assert layer.image_coverage > 0.95
    assert layer.invisible_ratio == 1.0
    assert layer.verdict is LayerVerdict.INVISIBLE_OVER_IMAGE


def test_scan_with_a_short_visible_header_is_an_image_page(tmp_path: Path) -> None:
    scan = scanned_page(tmp_path)
    header = "Pièce justificative déposée le 3 mars 2025 par le demandeur du dossier"
    path = write_image_pdf(tmp_path / "header.pdf", scan, overlay=header, invisible=False)
    assert layer_of(path).verdict is LayerVerdict.IMAGE_PAGE
