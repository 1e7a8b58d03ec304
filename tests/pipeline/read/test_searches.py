"""Page searches gated on the evidence at hand: skipped only where they cannot find anything.

One real OCR read of a scanned page of text (tesseract); a real identity photo
and a real DataMatrix are then laid in its blank lower part, where the read
found no words, and the gated signals are compared with a full search.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fixtures.generator.api import generate_document
from fixtures.scan import ScanStyle, degrade
from fixtures.textpages import french_page_text, text_page_image
from pipeline.read.searches import Searches, searches_for
from pipeline.read.signals import measure_signals
from pipeline.read.upright import UprightRead, read_upright_page
from pipeline.types import Box, Word
from tests.conftest import require_tool

PAYLOAD = "DC04FR000001" + "A" * 40


@pytest.fixture(scope="module")
def page_of_text(tmp_path_factory: pytest.TempPathFactory) -> UprightRead:
    """A scanned A4 page, 25 lines of French text over its upper part, read by OCR."""
    require_tool("tesseract")
    folder = tmp_path_factory.mktemp("searches")
    text = french_page_text(np.random.default_rng(11), lines=25)
    style = ScanStyle(rotation_deg=0.0, noise_sigma=6.0, blur_px=0.6, dpi=300)
    scan = np.asarray(degrade(text_page_image(text, folder), style, np.random.default_rng(11)))
    read = read_upright_page(scan, 300.0, "fra")
    assert read.whole_page and len(read.result.words) > 100
    return read


def _with_patch(page: np.ndarray, patch: np.ndarray) -> np.ndarray:
    """`page` with `patch` laid in its lower left, below the text."""
    out = page.copy()
    height, width = page.shape[:2]
    top, left = int(height * 0.72), int(width * 0.1)
    out[top : top + patch.shape[0], left : left + patch.shape[1]] = patch
    return out


def _id_photo(tmp_path: Path) -> np.ndarray:
    doc = generate_document("id_photo", tmp_path, seed=3)
    with Image.open(tmp_path / doc.files[0].path) as image:
        photo = image.convert("L")
    return np.asarray(photo.resize((photo.width * 700 // photo.height, 700)))


def _datamatrix() -> np.ndarray:
    import zxingcpp

    code = zxingcpp.create_barcode(PAYLOAD, zxingcpp.BarcodeFormat.DataMatrix)
    image = np.asarray(code.to_image(scale=8, add_quiet_zones=True))
    return image if image.ndim == 2 else image[..., 0]


def _signals_both_ways(read: UprightRead, page: np.ndarray) -> tuple[object, object, Searches]:
    searches = searches_for(page, read.result.words)
    gated = measure_signals(
        page, read.result.text, upright=page, words=read.result.words, searches=searches
    )
    full = measure_signals(page, read.result.text, upright=page, words=read.result.words)
    return gated, full, searches


def test_a_page_of_text_skips_the_face_and_code_searches(page_of_text: UprightRead) -> None:
    gated, full, searches = _signals_both_ways(page_of_text, page_of_text.upright)
    assert searches == Searches(faces=False, datamatrix=False)
    assert gated == full


def test_a_photo_beside_the_text_is_searched_and_found(
    page_of_text: UprightRead, tmp_path: Path
) -> None:
    page = _with_patch(page_of_text.upright, _id_photo(tmp_path))
    gated, full, searches = _signals_both_ways(page_of_text, page)
    assert searches.faces
    assert gated == full
    assert full.faces >= 1  # type: ignore[attr-defined]


def test_a_datamatrix_beside_the_text_is_searched_and_read(page_of_text: UprightRead) -> None:
    page = _with_patch(page_of_text.upright, _datamatrix())
    gated, full, searches = _signals_both_ways(page_of_text, page)
    assert searches.datamatrix
    assert gated == full
    assert full.datamatrix == [PAYLOAD]  # type: ignore[attr-defined]


def test_little_confident_text_runs_every_search() -> None:
    page = np.full((1400, 1000), 245, np.uint8)
    doubtful = [Word(text="ESPACE", box=Box(x0=0.1, y0=0.1, x1=0.3, y1=0.12), confidence=0.3)]
    confident = [Word(text="Nom", box=Box(x0=0.1, y0=0.2, x1=0.2, y1=0.22), confidence=0.95)]
    assert searches_for(page, []) == Searches.everything()
    assert searches_for(page, doubtful * 200) == Searches.everything()
    assert searches_for(page, confident * 50) == Searches.everything()  # 150 letters


def test_background_is_measured_on_the_first_page_only(page_of_text: UprightRead) -> None:
    page = page_of_text.upright
    first = measure_signals(page, "", first_page=True)
    later = measure_signals(page, "", first_page=False)
    assert first.plain_background is not None and first.background_uniformity > 0
    assert later.plain_background is None and later.background_uniformity == 0.0
    assert (later.faces, later.datamatrix, later.ink_ratio) == (
        first.faces,
        first.datamatrix,
        first.ink_ratio,
    )
