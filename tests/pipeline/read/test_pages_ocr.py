from __future__ import annotations

from pathlib import Path

import docx
import numpy as np
import pytest

from pipeline.errors import CorruptFile, OcrUnavailable
from pipeline.read.ocr import engine_version, ocr_page
from pipeline.read.pages import page_count, read_text_document
from pipeline.read.reading import read_pages
from pipeline.types import FileKind, TextSource
from tests.conftest import require_tool


def test_docx_text_with_tables(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Relevé d'identité bancaire")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "IBAN"
    table.rows[0].cells[1].text = "FR76 3000 6000 0112 3456 7890 189"
    path = tmp_path / "rib.docx"
    document.save(str(path))
    text = read_text_document(path, FileKind.DOCX)
    assert "Relevé d'identité bancaire" in text
    assert "IBAN\tFR76 3000 6000 0112 3456 7890 189" in text
    (page,) = read_pages(path, FileKind.DOCX)
    assert page.text_source is TextSource.TEXT_LAYER and page.text == text


def test_legacy_text_encoding_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes("Quittance de loyer — août, 450 €".encode("cp1252"))
    assert read_text_document(path, FileKind.TEXT) == "Quittance de loyer — août, 450 €"


def test_corrupt_files_are_piece_errors(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n garbage")
    with pytest.raises(CorruptFile):
        page_count(path, FileKind.PDF)
    image = tmp_path / "broken.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(CorruptFile):
        read_pages(image, FileKind.PNG)


def test_engine_version_and_missing_language() -> None:
    require_tool("tesseract")
    version = engine_version()
    assert version.startswith("tesseract-5") and "fra" in version and "justif-read-" in version
    blank = np.full((200, 400), 255, dtype=np.uint8)
    with pytest.raises(OcrUnavailable):
        ocr_page(blank, languages="xyz")
