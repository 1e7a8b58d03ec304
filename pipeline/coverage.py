"""How much of a page's visible text a tesseract read covered.

Tesseract's automatic layout analysis (psm 3) sometimes drops a whole block
of a page: a framed address block, the right-hand column of a payslip, the
labels of a card. The words it did read are fine; the others are simply
absent, and a name or a date with them. Ink shaped like letters that lies
outside every word read shows it.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.types import Word

# Share of letter-like ink left outside the words read above which a page is
# re-read for its missed lines. Pages read whole leave 0-25 % outside (logos,
# stamps, rules, tiny print); pages with a dropped block 35-75 %.
MISSED_TEXT_SHARE = 0.3
# ... and at least this many blobs: an identity photo's eyes, hair and clothes
# make a few dozen letter-like blobs, and nothing there is text to re-read.
MIN_MISSED_LETTERS = 50
_MARGIN_PX = 3  # a letter's centre this close to a word's box belongs to it


def dropped_text(image: np.ndarray, words: list[Word]) -> bool:
    """Whether a read of `image` giving `words` left out text worth a second look."""
    outside, total = missed_letters(image, words)
    return outside >= MIN_MISSED_LETTERS and outside > MISSED_TEXT_SHARE * total


def missed_text_share(image: np.ndarray, words: list[Word]) -> float:
    """Share of the letter-like ink blobs of `image` (grey, what tesseract read) whose
    centre lies outside every word box of `words`; 0.0 on a page without such ink."""
    outside, total = missed_letters(image, words)
    return outside / total if total else 0.0


def missed_letters(image: np.ndarray, words: list[Word]) -> tuple[int, int]:
    """How many letter-like ink blobs of `image` lie outside every word box, and in all."""
    centres = _letter_centres(image)
    if len(centres) == 0:
        return 0, 0
    height, width = image.shape[:2]
    covered = np.zeros(len(centres), bool)
    xs, ys = centres[:, 0], centres[:, 1]
    for word in words:
        box = word.box
        covered |= (
            (xs >= box.x0 * width - _MARGIN_PX)
            & (xs <= box.x1 * width + _MARGIN_PX)
            & (ys >= box.y0 * height - _MARGIN_PX)
            & (ys <= box.y1 * height + _MARGIN_PX)
        )
    return int((~covered).sum()), len(centres)


def _letter_centres(image: np.ndarray) -> np.ndarray:
    """Centres of the ink blobs that could be letters or runs of touching letters."""
    height = image.shape[0]
    ink = cv2.adaptiveThreshold(
        cv2.medianBlur(image, 3), 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 20
    )
    _, _, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    widths, heights, areas = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    # No width limit: blurred letters of a word often touch. Rules and frames
    # are thin for their size and fail the fill test.
    letters = (
        (heights >= 5)
        & (heights <= height / 15)
        & (widths >= 0.15 * heights)
        & (areas >= 0.15 * widths * heights)
    )
    return np.asarray(centres[1:][letters])
