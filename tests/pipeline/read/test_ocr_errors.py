"""Tesseract's refusals at the OCR door: outcomes with codes, never raw pytesseract errors."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import OcrFailed
from pipeline.read.ocr import detect_orientation, ocr_page
from tests.conftest import require_tool


def test_orientation_of_a_page_with_too_few_characters_is_no_turn() -> None:
    require_tool("tesseract")
    page = np.full((600, 400), 255, dtype=np.uint8)
    page[280:300, 180:200] = 0  # one blot: OSD refuses such pages
    orientation = detect_orientation(page)
    assert (orientation.rotate_deg, orientation.confidence) == (0, 0.0)


def test_a_tesseract_time_limit_becomes_ocr_failed() -> None:
    require_tool("tesseract")
    noise = np.random.default_rng(0).integers(0, 256, size=(3000, 3000), dtype=np.uint8)
    with pytest.raises(OcrFailed) as raised:
        ocr_page(noise, "fra", timeout_s=0.05)
    assert raised.value.code == "OCR_FAILED"
    assert "time" in (raised.value.detail or "")
