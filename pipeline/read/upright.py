"""One page image read upright: preprocessing, the first OCR read, the lines it
missed, and the orientation fixed when the read is poor, all within a time budget.
"""

from __future__ import annotations

import logging
import time
from typing import NamedTuple

import numpy as np

from pipeline.errors import OcrFailed
from pipeline.read.coverage import missed_text
from pipeline.read.ocr import (
    MISSED_LINES_TIMEOUT_S,
    OCR_TIMEOUT_S,
    OcrResult,
    detect_orientation,
    ocr_page,
    with_missed_lines,
)
from pipeline.read.preprocess import (
    PreparedPage,
    looks_sideways,
    prepare_for_ocr,
    rotate_quadrant,
    to_grey,
)

log = logging.getLogger(__name__)

# Below this mean word confidence, or with fewer words than the ink suggests,
# the page may be sideways or upside down: only then is OSD (costly) run.
ORIENTATION_CHECK_CONFIDENCE = 0.75
ORIENTATION_MIN_CONFIDENCE = 1.5  # tesseract's OSD orientation confidence
# A turned re-read replaces the first read only when clearly better (more
# confident words, and a higher mean confidence): on a poor photo both reads are
# weak, OSD's guess (often 180) is not to be trusted, and an upside-down read of
# small print yields many short confident scraps. A truly upside-down page reads
# next to nothing the first time.
ORIENTATION_MARGIN = 1.5

# Reading time of one page image beyond which the passes that only improve
# its first read (missed lines, orientation) are skipped or cut short. A clean
# page or photo takes 2-8 s in all on a loaded 2-core machine; a page of noise
# enlarged for its "letters" took 36 s for its first read alone, and over 120 s
# (tesseract's own limit, then an error) for the whole-page psm 11 pass.
PAGE_OCR_BUDGET_S = 40.0
# A first read still running after this long is tesseract making "words" of
# noise: the generator's "unreadable" pages (extreme blur and grain, enlarged
# for their specks) took 36-72 s and gave nothing usable; clean pages and
# photos take 1-5 s on a loaded 2-core machine. The page is then unreadable,
# which tells the citizen to send a sharper copy.
FIRST_READ_TIMEOUT_S = 40.0
# A pass is not started with less time than this left: it would only be cut.
MIN_PASS_S = 2.0
# A first read of noise: at least this many "words", under this share of them
# confident and letter-like (clean pages and photos: 60-95 %; pages of the
# generator's "unreadable" defect: 1-3 %; a poor card photo copied on A4: 11 %).
NOISE_MIN_WORDS = 40
NOISE_GOOD_SHARE = 0.06


def ocr_upright(image: np.ndarray, dpi: float, languages: str) -> tuple[OcrResult, float]:
    """OCR result and the rotation applied (quarter turns + deskew), in degrees."""
    result, rotation, _ = read_upright(image, dpi, languages)
    return result, rotation


class UprightRead(NamedTuple):
    result: OcrResult
    rotation_deg: float  # quarter turns + deskew
    upright: np.ndarray  # the grey image read, upright: the words' boxes are relative to it
    whole_page: bool  # False when only a cut-out or a crop of the page was read


def read_upright(
    image: np.ndarray,
    dpi: float,
    languages: str,
    *,
    budget_s: float | None = None,
    read_timeout_s: float | None = None,
) -> tuple[OcrResult, float, np.ndarray]:
    """OCR result, the rotation applied (quarter turns + deskew, in degrees) and the
    grey image that was read, upright (the words' boxes are relative to it)."""
    read = read_upright_page(
        image, dpi, languages, budget_s=budget_s, read_timeout_s=read_timeout_s
    )
    return read.result, read.rotation_deg, read.upright


def read_upright_page(
    image: np.ndarray,
    dpi: float,
    languages: str,
    *,
    budget_s: float | None = None,
    read_timeout_s: float | None = None,
) -> UprightRead:
    """The page read upright: see `UprightRead`.

    OSD costs about as much as reading the page, so it runs only for a page
    whose text lines look vertical (cheap profile test) or whose first read is
    poor (upside down pages have horizontal lines too).

    The first read gets `read_timeout_s` (default FIRST_READ_TIMEOUT_S); past
    it the page is unreadable (OcrFailed). The passes that only improve it (the
    missed-lines completion, the orientation check and the turned re-read)
    share what is left of `budget_s` (default PAGE_OCR_BUDGET_S) and fall back
    to what was read before when it runs out: on a page of noise each pass
    costs as much as the first read and finds nothing.
    """
    started = time.perf_counter()
    grey = to_grey(image)
    turn = 0
    if looks_sideways(grey):
        turn = _osd_turn(grey)
        grey = rotate_quadrant(grey, turn)
    prepared = prepare_for_ocr(grey, dpi)
    result = ocr_page(
        prepared.image,
        languages,
        try_inverted=False,
        timeout_s=FIRST_READ_TIMEOUT_S if read_timeout_s is None else read_timeout_s,
    )
    budget = _Budget(started, PAGE_OCR_BUDGET_S if budget_s is None else budget_s)
    if not looks_like_noise(result):
        missed = missed_text(prepared.image, result.words)
        if missed.worth_rereading and budget.left_s() >= MIN_PASS_S:
            result = with_missed_lines(
                prepared.image,
                result,
                languages,
                missed=missed,
                timeout_s=min(MISSED_LINES_TIMEOUT_S, budget.left_s()),
            )
    first = UprightRead(result, turn + prepared.skew_deg, _grey_of(prepared), prepared.whole_page)
    if not needs_orientation_check(result) or budget.left_s() < MIN_PASS_S:
        return first
    second_turn = _osd_turn(prepared.image, timeout_s=budget.left_s())
    if second_turn == 0 or budget.left_s() < MIN_PASS_S:
        return first
    # The prepared page only needs the quarter turn: cut-out, scale and deskew
    # do not depend on which way up the text is.
    turned = rotate_quadrant(prepared.image, second_turn)
    try:
        second = ocr_page(turned, languages, try_inverted=False, timeout_s=budget.left_s())
    except OcrFailed:
        log.info("turned re-read abandoned: page reading budget spent")
        return first
    clearly_better = (
        _weight(second) > ORIENTATION_MARGIN * _weight(result)
        and second.confidence > result.confidence
    )
    if not clearly_better:
        return first
    rotation = float((turn + second_turn) % 360) + prepared.skew_deg
    return UprightRead(
        second, rotation, rotate_quadrant(_grey_of(prepared), second_turn), prepared.whole_page
    )


class _Budget:
    """What is left of a page's reading time, counted from `started`."""

    def __init__(self, started: float, total_s: float) -> None:
        self.started = started
        self.total_s = total_s

    def left_s(self) -> float:
        return self.total_s - (time.perf_counter() - self.started)


def looks_like_noise(result: OcrResult) -> bool:
    """Whether a first read is what tesseract makes of noise: many "words", few of
    them confident and letter-like (a page of extreme blur, grain or washed-out
    ink, which no second pass turns into text)."""
    if len(result.words) < NOISE_MIN_WORDS:
        return False
    good = sum(1 for word in result.words if word.confidence >= 0.6 and _wordlike(word.text))
    return good < NOISE_GOOD_SHARE * len(result.words)


def _grey_of(prepared: PreparedPage) -> np.ndarray:
    return prepared.grey if prepared.grey is not None else prepared.image


def _osd_turn(grey: np.ndarray, *, timeout_s: float = OCR_TIMEOUT_S) -> int:
    orientation = detect_orientation(grey, timeout_s=timeout_s)
    return orientation.rotate_deg if orientation.confidence >= ORIENTATION_MIN_CONFIDENCE else 0


def needs_orientation_check(result: OcrResult) -> bool:
    return result.confidence < ORIENTATION_CHECK_CONFIDENCE or len(result.words) < 5


def _weight(result: OcrResult) -> float:
    """Confident words read: what makes one reading of a page better than another."""
    return sum(word.confidence for word in result.words if _wordlike(word.text))


def _wordlike(text: str) -> bool:
    # An upside-down MRZ reads as confident runs of '>': symbols are no evidence.
    letters = sum(c.isalnum() for c in text)
    return letters >= 2 and letters >= 0.6 * len(text)
