"""The missed-lines completion reads only where text was missed, within a time limit;
a page's optional passes (completion, orientation) stop when its budget is spent."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from fixtures.generator.api import generate_document
from pipeline.errors import OcrFailed
from pipeline.fields import DocType
from pipeline.read.coverage import missed_text
from pipeline.read.ocr import OcrResult, ocr_page, with_missed_lines
from pipeline.read.preprocess import prepare_for_ocr
from pipeline.read.upright import looks_like_noise, read_upright
from pipeline.types import Box, Word
from tests.conftest import require_tool
from tests.support.reading_docs import SCAN_WORDS, scanned_page


@pytest.fixture(autouse=True)
def _tesseract() -> None:
    require_tool("tesseract")


def put_lines(page: np.ndarray, lines: list[str], x: int, y: int) -> None:
    for row, text in enumerate(lines):
        cv2.putText(
            page, text, (x, y + 70 * row), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 20, 3, cv2.LINE_AA
        )


def two_block_page() -> np.ndarray:
    """An upper block (name, street) and a lower right block (dates) far apart."""
    page = np.full((1400, 1600), 245, np.uint8)
    put_lines(page, ["Assure Louise MARTIN", "12 rue des Lilas"], 100, 150)
    put_lines(page, ["Periode du 1 novembre 2026", "au 31 octobre 2027"], 700, 1000)
    return page


def upper_only_read(page: np.ndarray) -> OcrResult:
    """A psm 3 read that dropped the lower block, as it sometimes does on photos."""
    top_only = page.copy()
    top_only[600:] = 245
    return ocr_page(top_only, "eng")


def test_missed_letters_make_one_region_around_the_dropped_block() -> None:
    page = two_block_page()
    partial = upper_only_read(page)
    (region,) = missed_text(page, partial.words).regions
    # The lower block (x 700-1300, y 960-1090) and nothing of the upper one.
    assert region.x0 < 700 and region.x1 > 1200
    assert 850 < region.y0 < 980 and 1070 < region.y1 < 1200
    whole = ocr_page(page, "eng")
    assert missed_text(page, whole.words).regions == []


def test_completion_puts_the_lines_read_in_a_region_back_on_the_page() -> None:
    page = two_block_page()
    partial = upper_only_read(page)
    completed = with_missed_lines(page, partial, "eng")
    added = completed.words[len(partial.words) :]
    assert "novembre 2026" in completed.text and completed.text.count("MARTIN") == 1
    (novembre,) = [w for w in added if w.text == "novembre"]
    # Page coordinates, not those of the stacked regions: the word sits in the lower block.
    assert 0.65 < novembre.box.y0 < novembre.box.y1 < 0.8
    assert 0.45 < novembre.box.x0 < 0.85


def test_scraps_read_in_a_signature_are_not_added() -> None:
    page = two_block_page()
    rng = np.random.default_rng(7)
    for _ in range(60):  # a signature's strokes, left of the dropped block
        start = (int(rng.integers(150, 550)), int(rng.integers(900, 1250)))
        points = np.cumsum(rng.integers(-18, 19, (6, 2)), axis=0) + start
        cv2.polylines(page, [points.astype(np.int32)], False, 40, 3, cv2.LINE_AA)
    partial = upper_only_read(page)

    def added_lines(result: OcrResult) -> list[str]:
        return result.text[len(partial.text) :].strip().split("\n\n")

    everything = with_missed_lines(page, partial, "eng", min_line_confidence=0.0)
    completed = with_missed_lines(page, partial, "eng")
    assert len(added_lines(everything)) > len(added_lines(completed))
    assert "novembre 2026" in completed.text
    for word in completed.words[len(partial.words) :]:
        assert word.confidence >= 0.3  # scraps at 0.0-0.2 went with their lines


def test_completion_past_its_time_limit_keeps_the_first_read() -> None:
    page = two_block_page()
    partial = upper_only_read(page)
    assert with_missed_lines(page, partial, "eng", timeout_s=0.001) == partial


@pytest.mark.slow
def test_a_grainy_tint_left_out_of_the_read_adds_no_junk_words(tmp_path: Path) -> None:
    # A generated CV photographed: its grey sidebar leaves thousands of specks
    # outside every word. Cropped alone, tesseract's own threshold fell inside
    # the grain and psm 11 read hundreds of junk words there (7.8 s).
    doc = generate_document(DocType.RESUME, tmp_path, seed=630011, name="cv", rendering="photo")
    photo = np.asarray(Image.open(tmp_path / doc.files[0].path).convert("L"))
    page = prepare_for_ocr(photo, 200.0).image
    first = ocr_page(page, "fra+eng", try_inverted=False)
    assert missed_text(page, first.words).worth_rereading
    # A generous limit: the junk must be avoided, not cut short by the time limit.
    completed = with_missed_lines(page, first, "fra+eng", timeout_s=60)
    assert len(completed.words) - len(first.words) <= 5


def test_a_read_of_noise_is_told_from_a_poor_read_of_text() -> None:
    def words(good: int, junk: int) -> OcrResult:
        box = Box(x0=0.1, y0=0.1, x1=0.2, y1=0.15)
        found = [Word(text="Martin", box=box, confidence=0.9)] * good
        found += [Word(text="~;", box=box, confidence=0.3)] * junk
        return OcrResult("", found, 0.5)

    assert looks_like_noise(words(good=20, junk=1400))  # an "unreadable" scan: 1-3 % good
    assert not looks_like_noise(words(good=7, junk=58))  # a poor card photo on A4: 11 %
    assert not looks_like_noise(words(good=0, junk=12))  # psm 3 found almost nothing


@pytest.mark.slow
def test_a_first_read_past_its_time_limit_makes_the_page_unreadable(tmp_path: Path) -> None:
    image = np.asarray(scanned_page(tmp_path).convert("L"))
    with pytest.raises(OcrFailed):
        read_upright(image, 300, "fra", read_timeout_s=0.001)
    result, _, _ = read_upright(image, 300, "fra")
    assert {w for w in SCAN_WORDS if w in result.text} == set(SCAN_WORDS)


@pytest.mark.slow
def test_a_spent_budget_skips_the_turned_reread(tmp_path: Path) -> None:
    upside_down = scanned_page(tmp_path).transpose(Image.Transpose.ROTATE_180)
    image = np.asarray(upside_down.convert("L"))
    started = time.perf_counter()
    result, rotation, _ = read_upright(image, 300, "fra", budget_s=0.0)
    assert rotation % 360 < 5 or rotation % 360 > 355  # no turn tried
    assert not set(SCAN_WORDS) <= set(result.text.split())
    assert time.perf_counter() - started < 30
    turned, rotation, _ = read_upright(image, 300, "fra")
    assert round(rotation / 90) % 4 == 2
    assert {w for w in SCAN_WORDS if w in turned.text} == set(SCAN_WORDS)


def card_with_a_dropped_name_row() -> tuple[np.ndarray, OcrResult]:
    """A card-sized page: a dozen words read, one short name row (~25 letters) left out."""
    page = np.full((700, 1100), 245, np.uint8)
    put_lines(
        page,
        ["REPUBLIQUE FRANCAISE", "CARTE D IDENTITE N 1908", "Sexe F Nee le 25 08 1979"],
        60,
        80,
    )
    put_lines(page, ["ep. D ALMEIDA Agnes Louise"], 60, 520)
    top_only = page.copy()
    top_only[400:] = 245
    return page, ocr_page(top_only, "eng")


def test_a_short_dropped_row_on_a_page_with_words_read_is_worth_a_second_look() -> None:
    page, partial = card_with_a_dropped_name_row()
    missed = missed_text(page, partial.words)
    assert len(partial.words) >= 10
    assert missed.outside < 50  # under the bar that keeps faces from being re-read
    assert missed.worth_rereading
    # as many blobs beside no word read (a face's eyes and hair) are not
    assert not missed._replace(words_read=0).worth_rereading
