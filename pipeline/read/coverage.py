"""How much of a page's visible text a tesseract read covered.

Tesseract's automatic layout analysis (psm 3) sometimes drops a whole block
of a page: a framed address block, the right-hand column of a payslip, the
labels of a card. The words it did read are fine; the others are simply
absent, and a name or a date with them. Ink shaped like letters that lies
outside every word read shows it.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from pipeline.read.preprocess import ink_mask
from pipeline.types import Word

# Share of letter-like ink left outside the words read above which a page is
# re-read for its missed lines. Pages read whole leave 0-25 % outside (logos,
# stamps, rules, tiny print); pages with a dropped block 35-75 %, and a dropped
# name block on an otherwise well-read page 25-26 % (a tax notice photo's
# declarant lines, an ID copy's name and usage-name rows). The threshold sits
# below those with a margin: the re-read covers only the missed regions and
# keeps only confident lines, so a whole-read page re-read for nothing costs
# little (about a tenth more time on 15 clean dossiers of seed 640000).
MISSED_TEXT_SHARE = 0.2
# ... and at least this many blobs: an identity photo's eyes, hair and clothes
# make a few dozen letter-like blobs, and nothing there is text to re-read.
MIN_MISSED_LETTERS = 50
# A page where words were read is no face: there a dropped block counts from
# fewer letters. A card photo holds little text, and its dropped name rows
# ("LEFÈVRE / ép. D'ALMEIDA / Agnès") made 38 blobs, a quarter of the page's.
MIN_MISSED_LETTERS_BESIDE_WORDS = 20
MIN_WORDS_READ = 10
_MARGIN_PX = 3  # a letter's centre this close to a word's box belongs to it
# Missed letters this close (in median letter heights) belong to one region:
# the letters of a line and the lines of a block join, separate blocks do not.
_REGION_REACH_LETTERS = 2.0
# A region is read with this margin around its letters (in median letter
# heights): tesseract needs some white around a line to find it.
_REGION_MARGIN_LETTERS = 1.0
# Fewer missed letters than this in one region is a speck, a stamp's edge or a
# lone digit of a table rule: not worth reading.
_MIN_REGION_LETTERS = 3


class Region(NamedTuple):
    """A rectangle of a page image, in pixels (x1, y1 excluded)."""

    x0: int
    y0: int
    x1: int
    y1: int


class MissedText(NamedTuple):
    regions: list[Region]  # where letter-like ink lies outside every word read
    letter_px: float  # median height of those letters, in pixels (0.0 without any)
    outside: int  # letter-like blobs outside every word
    total: int  # letter-like blobs on the page
    words_read: int  # words of the read that left these out

    @property
    def worth_rereading(self) -> bool:
        """Whether the read left out text worth a second look."""
        enough = self.outside >= MIN_MISSED_LETTERS or (
            self.words_read >= MIN_WORDS_READ and self.outside >= MIN_MISSED_LETTERS_BESIDE_WORDS
        )
        return enough and self.outside > MISSED_TEXT_SHARE * self.total


def dropped_text(image: np.ndarray, words: list[Word]) -> bool:
    """Whether a read of `image` giving `words` left out text worth a second look."""
    return missed_text(image, words).worth_rereading


def missed_text_share(image: np.ndarray, words: list[Word]) -> float:
    """Share of the letter-like ink blobs of `image` (grey, what tesseract read) whose
    centre lies outside every word box of `words`; 0.0 on a page without such ink."""
    outside, total = missed_letters(image, words)
    return outside / total if total else 0.0


def missed_letters(image: np.ndarray, words: list[Word]) -> tuple[int, int]:
    """How many letter-like ink blobs of `image` lie outside every word box, and in all."""
    centres, _ = _letter_blobs(image)
    if len(centres) == 0:
        return 0, 0
    covered = _covered(centres, words, image.shape[:2])
    return int((~covered).sum()), len(centres)


def missed_text(image: np.ndarray, words: list[Word]) -> MissedText:
    """The regions of `image` holding letter-like ink outside every word of `words`:
    blocks of nearby missed letters, each with a margin, clipped to the page."""
    centres, boxes = _letter_blobs(image)
    missed = boxes[~_covered(centres, words, image.shape[:2])]
    if len(missed) == 0:
        return MissedText([], 0.0, 0, len(centres), len(words))
    letter_px = float(np.median(missed[:, 3]))
    regions = _regions_of(missed, letter_px, image.shape[:2])
    return MissedText(regions, letter_px, len(missed), len(centres), len(words))


def _covered(centres: np.ndarray, words: list[Word], shape: tuple[int, ...]) -> np.ndarray:
    """Which blob centres lie in (or within a few pixels of) a word box."""
    height, width = shape[:2]
    covered = np.zeros(len(centres), bool)
    if len(centres) == 0:
        return covered
    xs, ys = centres[:, 0], centres[:, 1]
    for word in words:
        box = word.box
        covered |= (
            (xs >= box.x0 * width - _MARGIN_PX)
            & (xs <= box.x1 * width + _MARGIN_PX)
            & (ys >= box.y0 * height - _MARGIN_PX)
            & (ys <= box.y1 * height + _MARGIN_PX)
        )
    return covered


def _regions_of(boxes: np.ndarray, letter_px: float, shape: tuple[int, ...]) -> list[Region]:
    """Blobs (x, y, w, h rows) grouped into padded rectangles, on a coarse grid.

    A grid of cells one reach wide is far cheaper than dilating a mask of the
    page (an enlarged photo has 20-30 million pixels), and fine enough: a
    region only needs to hold its letters, not hug them.
    """
    height, width = shape[:2]
    cell = max(4, round(_REGION_REACH_LETTERS * letter_px))
    grid = np.zeros((height // cell + 1, width // cell + 1), np.uint8)
    for x, y, w, h in boxes:
        grid[y // cell : (y + h) // cell + 1, x // cell : (x + w) // cell + 1] = 1
    # Touching cells (8-neighbours) join: letters up to one reach apart are one block.
    count, _, stats, _ = cv2.connectedComponentsWithStats(grid, connectivity=8)
    margin = round(_REGION_MARGIN_LETTERS * letter_px)
    regions = []
    for label in range(1, count):
        gx, gy, gw, gh, _ = stats[label]
        inside = _letters_in(boxes, gx * cell, gy * cell, (gx + gw) * cell, (gy + gh) * cell)
        if inside < _MIN_REGION_LETTERS:
            continue
        regions.append(
            Region(
                x0=max(0, gx * cell - margin),
                y0=max(0, gy * cell - margin),
                x1=min(width, (gx + gw) * cell + margin),
                y1=min(height, (gy + gh) * cell + margin),
            )
        )
    return regions


def _letters_in(boxes: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> int:
    xs = boxes[:, 0] + boxes[:, 2] / 2
    ys = boxes[:, 1] + boxes[:, 3] / 2
    return int(((xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)).sum())


def _letter_blobs(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres and boxes (x, y, w, h) of the ink blobs that could be letters or runs
    of touching letters."""
    height = image.shape[0]
    ink = ink_mask(image)
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
    return np.asarray(centres[1:][letters]), np.asarray(stats[1:, :4][letters])
