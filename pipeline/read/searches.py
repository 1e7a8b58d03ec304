"""Which costly searches a page image can reward: faces, DataMatrix codes, background measures.

The face cascade (~0.1 s a page), the DataMatrix decoder (~0.1 s at 300 dpi)
and the background measures (~0.1 s) ran on every page. A face or a code is
a patch of ink that reads as no word; on a page of text, what is left once
the confidently read words are blanked out is dots, rules and scraps, too
small to hold either. So on a page of text the searches run only where such
a patch exists. Every search runs where that evidence is missing or weak: a
page read as a cut-out or a crop (the words cover only part of it), a page
with little confident text (identity photos, cards, whose portraits may be
faint).

The gates only skip searches that cannot find anything, so the signals (and
the classifier and checks built on them) are those of a full search;
tests/pipeline/read/test_searches.py compares both on real pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.read.preprocess import ink_mask
from pipeline.types import Word

# The page is examined on a copy this wide: enough to see a 1 cm patch on A4.
GATE_WIDTH_PX = 900
# Words read at least this confidently, mostly letters, are text: their boxes
# are blanked. Tesseract's scraps on a photo or a code are doubtful (< 0.5).
WORD_CONFIDENCE = 0.6
# The face cascade's smallest window is 1/12 of the shorter side of the page
# (signals.count_faces); a patch half that size in both directions could still
# hold the eyes and mouth it keys on.
FACE_PATCH_SHARE = 1 / 24
# A 2D-Doc is at least ~1 cm wide, 1/21 of an A4 page's width and 1/5 of a
# card's: patches down to a third of the smaller of these are searched.
CODE_PATCH_SHARE = 1 / 60
# Ink a few pixels apart is one patch: the modules of a code, the features of a face.
JOIN_PX = 3
# A blanked word is at most this many times the median height of the page's words.
MAX_LINE_HEIGHTS = 1.5
# Only pages of text are judged: with fewer letters read confidently than this
# (identity photos, cards, whose faces may be faint) every search runs, as the
# faces' second look does (signals.SECOND_LOOK_MAX_LETTERS).
MIN_TEXT_LETTERS = 300


@dataclass(frozen=True)
class Searches:
    """The searches worth running on one page."""

    faces: bool = True
    datamatrix: bool = True

    @classmethod
    def everything(cls) -> Searches:
        return cls()


def searches_for(frame: np.ndarray, words: Sequence[Word]) -> Searches:
    """The searches a page can reward, judged on `frame` (the whole page, grey or
    RGB, in the frame the `words` boxes are relative to)."""
    text_words = [word for word in words if _is_text(word)]
    if sum(c.isalpha() for word in text_words for c in word.text) < MIN_TEXT_LETTERS:
        return Searches.everything()
    patch = largest_patch_share(frame, _blanked(words, text_words))
    return Searches(faces=patch >= FACE_PATCH_SHARE, datamatrix=patch >= CODE_PATCH_SHARE)


def largest_patch_share(frame: np.ndarray, words: Sequence[Word]) -> float:
    """The smaller side of the largest patch of ink outside `words`' boxes, as a share
    of the page's shorter side (0 when there is none)."""
    grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    width = grey.shape[1]
    scale = min(1.0, GATE_WIDTH_PX / max(width, 1))
    if scale < 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if min(grey.shape[:2]) < 8:
        return 1.0
    ink = ink_mask(grey)
    small_h, small_w = grey.shape[:2]
    for word in words:
        box = word.box
        ink[
            int(box.y0 * small_h) : int(np.ceil(box.y1 * small_h)) + 1,
            int(box.x0 * small_w) : int(np.ceil(box.x1 * small_w)) + 1,
        ] = 0
    joined = cv2.dilate(ink, np.ones((JOIN_PX, JOIN_PX), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    if count <= 1:
        return 0.0
    sides = np.minimum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])
    return float(sides.max()) / min(small_h, small_w)


def _blanked(words: Sequence[Word], text_words: Sequence[Word]) -> list[Word]:
    """The words whose boxes are blanked: the text words, and the confident short
    ones ("à", "n°", "l'") read between them, none taller than a line of text.

    A box taller than the page's lines is never blanked: even a confident
    "word" read over a photo or a code cannot hide it.
    """
    line_height = float(np.median([word.box.y1 - word.box.y0 for word in text_words]))
    return [
        word
        for word in words
        if word.box.y1 - word.box.y0 <= MAX_LINE_HEIGHTS * line_height
        and (_is_text(word) or (word.confidence >= WORD_CONFIDENCE and len(word.text) <= 2))
    ]


def _is_text(word: Word) -> bool:
    letters = sum(c.isalnum() for c in word.text)
    return word.confidence >= WORD_CONFIDENCE and letters >= 2 and letters >= 0.6 * len(word.text)
