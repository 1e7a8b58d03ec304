"""Find the MRZ band of an upright page image and re-read it with the MRZ alphabet.

The MRZ is 2 or 3 lines of monospace capitals, digits and '<' of equal length,
anywhere on a page (bottom of a card, middle of an A4 copy, beside a second
card on a photo). Its place is found from the image, not assumed: first from
the page OCR's own words that look like MRZ fragments, then by morphology
(stacks of 2-3 long text lines of the same width and left edge). Each band is
cut out, scaled so its letters are ~30 px high (tesseract's sweet spot) and
re-read as one block with a character whitelist.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import cv2
import numpy as np

from pipeline.codes.mrz.lines import MrzLineTest, mrz_line
from pipeline.read.preprocess import KEEP_TEXT_PX, TARGET_TEXT_PX, ink_mask, median_text_height
from pipeline.types import Box, Word

if TYPE_CHECKING:
    from pipeline.codes.mrz.reading import MrzReading

log = logging.getLogger(__name__)

MRZ_WHITELIST = "-c tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
# Heights of an MRZ capital the band is re-read at, in turn: tesseract's sweet
# spot first, then smaller, which on blurred photos counts '<' runs better.
MRZ_LETTER_PX = (30.0, 22.0)
# (letter height, background flattened) of each re-read of a band. Different
# reads misread different characters; `combine_readings` assembles their lines.
MRZ_READS = ((30.0, False), (22.0, False), (30.0, True))
MAX_COMBINATIONS = 81
# '>' read this many times (and over twice as often as '<'): an MRZ upside down.
UPSIDE_DOWN_MIN_FILLERS = 8
MAX_BANDS = 4  # bands re-read per page at most (each costs one small OCR call)


@dataclass(frozen=True)
class Band:
    """A rectangle of the image, in pixels, and the height of its letters."""

    x0: int
    y0: int
    x1: int
    y1: int
    letter_px: float


def mrz_bands(grey: np.ndarray, words: Sequence[Word]) -> list[Band]:
    """Candidate MRZ bands of an upright grey page image, most likely first."""
    bands = bands_from_words(grey.shape[:2], words)
    bands.extend(bands_from_lines(grey))
    return _distinct(bands)[:MAX_BANDS]


def is_upside_down_fragment(text: str) -> bool:
    """Whether a word reads like a piece of an MRZ line turned half a turn ('<' as '>')."""
    return ">" in text and mrz_line(text[::-1].replace(">", "<"), MrzLineTest.FRAGMENT) is not None


def bands_from_words(shape: tuple[int, ...], words: Sequence[Word]) -> list[Band]:
    """Bands around rows of the page OCR's MRZ-looking words, the most filler-rich first.

    Fragments are grouped by vertical proximity (an MRZ is 2-3 adjacent lines);
    a long capitalised heading elsewhere on the page makes a group of its own.
    """
    fragments = sorted(
        (w for w in words if mrz_line(w.text, MrzLineTest.FRAGMENT)), key=lambda w: w.box.y0
    )
    groups: list[list[Word]] = []
    for word in fragments:
        if groups:
            last = groups[-1]
            letter = (last[-1].box.y1 - last[-1].box.y0) or 0.01
            if word.box.y0 - max(w.box.y1 for w in last) <= 2.5 * letter:
                last.append(word)
                continue
        groups.append([word])
    groups.sort(key=_filler_score, reverse=True)
    return [_band_of_group(shape, group) for group in groups[:2]]


def _filler_score(group: Sequence[Word]) -> tuple[int, int]:
    text = "".join(w.text for w in group)
    return sum(c in "<«‹" for c in text) + sum(c in "ceCK" for c in text) // 2, len(text)


def band_from_words(shape: tuple[int, ...], words: Sequence[Word]) -> Band | None:
    """The most likely band around the page OCR's MRZ-looking words, or None."""
    bands = bands_from_words(shape, words)
    return bands[0] if bands else None


def _band_of_group(shape: tuple[int, ...], fragments: Sequence[Word]) -> Band:
    """The band around a group of MRZ-looking words, grown to hold 3 lines."""
    height, width = shape[0], shape[1]
    letter = float(np.median([(w.box.y1 - w.box.y0) * height for w in fragments]))
    top = min(w.box.y0 for w in fragments) * height
    bottom = max(w.box.y1 for w in fragments) * height
    left = min(w.box.x0 for w in fragments) * width
    right = max(w.box.x1 for w in fragments) * width
    # Lines the page OCR missed may sit above or below those it read: an MRZ
    # has up to 3 lines, at ~1.5 letter heights apart.
    spare = 3.5 * letter
    # The page OCR often drops the start of a line (read as another word, or not
    # at all): the band reaches ~20 characters further left.
    return _clip(left - 14 * letter, top - spare, right + 3 * letter, bottom + spare, letter, shape)


def _clip(
    x0: float, y0: float, x1: float, y1: float, letter: float, shape: tuple[int, ...]
) -> Band:
    height, width = shape[0], shape[1]
    return Band(max(0, int(x0)), max(0, int(y0)), min(width, int(x1)), min(height, int(y1)), letter)


def _text_lines(ink: np.ndarray, letter: float) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) of long horizontal runs of letters."""
    gap = max(3, int(letter * 1.2))
    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((1, gap), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    lines = []
    for x, y, w, h, _area in stats[1:count]:
        if 0.6 * letter <= h <= 2.5 * letter and w >= 12 * h:
            lines.append((int(x), int(y), int(w), int(h)))
    return sorted(lines, key=lambda box: box[1])


def bands_from_lines(grey: np.ndarray) -> list[Band]:
    """Stacks of 2-3 long lines of equal width and left edge, lowest first."""
    ink = ink_mask(grey, smoothing=5, window=51)
    # The page was scaled for its letters to be in tesseract's range: a measure
    # outside it is the grain of an enlarged photo, not letters. An MRZ's
    # letters may be two or three times the page's other letters (a card cut
    # out of a photo): its lines are also looked for at larger sizes.
    measured = median_text_height(grey)
    in_range = measured is not None and KEEP_TEXT_PX[0] <= measured <= KEEP_TEXT_PX[1]
    letter = measured if measured is not None and in_range else TARGET_TEXT_PX
    sizes = {letter, max(letter, TARGET_TEXT_PX), 2 * letter}
    bands = [band for letter in sorted(sizes) for band in _line_stacks(ink, letter, grey.shape)]
    return sorted(bands, key=lambda b: -b.y1)


def _line_stacks(ink: np.ndarray, letter: float, shape: tuple[int, ...]) -> list[Band]:
    """Bands around stacks of 2-3 long text lines of letters about `letter` px high."""
    lines = _text_lines(ink, letter)
    bands = []
    for i, first in enumerate(lines):
        stack = [first]
        for other in lines[i + 1 :]:
            last = stack[-1]
            if other[1] - (last[1] + last[3]) > 2.0 * letter:
                break
            if (
                abs(other[0] - first[0]) <= 3 * letter
                and abs(other[2] - first[2]) <= 0.2 * first[2]
            ):
                stack.append(other)
        if len(stack) >= 2:
            x0 = min(s[0] for s in stack)
            x1 = max(s[0] + s[2] for s in stack)
            y0, y1 = stack[0][1], stack[-1][1] + stack[-1][3]
            bands.append(
                _clip(x0 - 2 * letter, y0 - letter, x1 + 2 * letter, y1 + letter, letter, shape)
            )
    return bands


def _distinct(bands: list[Band]) -> list[Band]:
    """Bands without those mostly inside one already listed."""
    kept: list[Band] = []
    for band in bands:
        if not any(_overlap(band, other) > 0.7 for other in kept):
            kept.append(band)
    return kept


def _overlap(a: Band, b: Band) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    if width <= 0 or height <= 0:
        return 0.0
    area = (a.x1 - a.x0) * (a.y1 - a.y0)
    return width * height / max(area, 1)


def band_image(grey: np.ndarray, band: Band, letter_px: float = MRZ_LETTER_PX[0]) -> np.ndarray:
    """The band cut out in grey, letters scaled to `letter_px`, with a white margin.

    Left grey: on blurred photos any fixed threshold fattens the strokes and
    merges the '<' fillers, which tesseract's own thresholding of a small band
    does not.
    """
    crop = grey[band.y0 : band.y1, band.x0 : band.x1]
    scale = letter_px / max(band.letter_px, 1.0)
    if abs(scale - 1.0) > 0.1:
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=interpolation)
    margin = int(letter_px)
    return cv2.copyMakeBorder(crop, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=255)


def flatten_band(image: np.ndarray, letter_px: float) -> np.ndarray:
    """The band divided by its paper tone (a closing wider than the letters): shadows
    and tints gone, the strokes kept grey for tesseract's own threshold."""
    side = int(letter_px * 1.5) | 1
    paper = cv2.morphologyEx(image, cv2.MORPH_CLOSE, np.ones((side, side), np.uint8))
    return cv2.divide(image, np.maximum(paper, 1), scale=255)


def combine_readings(readings: Sequence[MrzReading], as_of: date) -> MrzReading | None:
    """The best reading assembled line by line from several reads of one MRZ.

    Each read of a blurred MRZ gets some lines right and others wrong; the check
    digits tell which assembly is right (they are read, never invented).
    """
    from pipeline.codes.mrz.parse import parse_mrz

    best: MrzReading | None = None
    by_layout: dict[tuple[str, int], list[MrzReading]] = {}
    for reading in readings:
        by_layout.setdefault((reading.format, len(reading.lines)), []).append(reading)
    for (_, count), group in by_layout.items():
        options = [
            _with_consensus(
                list(dict.fromkeys(r.lines[i] for r in group)), [r.lines[i] for r in group]
            )
            for i in range(count)
        ]
        combos = itertools.islice(itertools.product(*options), MAX_COMBINATIONS)
        for lines in combos:
            try:
                candidate = parse_mrz(list(lines), as_of=as_of)
            except ValueError:
                continue
            if best is None or _score(candidate) > _score(best):
                best = candidate
    return best


def _with_consensus(options: list[str], reads: Sequence[str]) -> list[str]:
    """`options` and, from three reads or more, the line made of each position's most
    frequent character: each read of a blurred band misreads other characters."""
    same_length = [line for line in reads if len(line) == len(reads[0])]
    if len(same_length) < 3:
        return options
    voted = "".join(Counter(chars).most_common(1)[0][0] for chars in zip(*same_length, strict=True))
    return options if voted in options else [*options, voted]


def _score(reading: MrzReading) -> tuple[bool, int, int]:
    return reading.valid, sum(reading.checks.values()), -reading.corrections


def read_band_glyphs(grey: np.ndarray, band: Band) -> str:
    """The band's long text lines read glyph by glyph against OCR-B (see `glyphs`)."""
    from pipeline.codes.mrz.glyphs import read_line_glyphs

    crop = grey[band.y0 : band.y1, band.x0 : band.x1]
    if crop.size == 0:
        return ""
    ink = ink_mask(crop, smoothing=5, window=51)
    lines = []
    for x, y, w, h in _text_lines(ink, band.letter_px):
        margin = int(0.4 * h)
        line = crop[max(0, y - margin) : y + h + margin, max(0, x - margin) : x + w + margin]
        read = read_line_glyphs(line)
        if read:
            lines.append(read)
    return "\n".join(lines)


def upright_for_mrz(grey: np.ndarray, words: Sequence[Word]) -> tuple[np.ndarray, list[Word]]:
    """The page and its words turned half a turn when the page OCR read an MRZ upside
    down (its fillers then read as '>'), else as they are.

    Orientation detection needs more text than a photocopied passport page on an
    otherwise empty sheet offers, and such pages come upside down as often as not.
    """
    backwards = sum(w.text.count(">") for w in words)
    forwards = sum(w.text.count("<") + w.text.count("«") for w in words)
    if backwards < UPSIDE_DOWN_MIN_FILLERS or backwards <= 2 * forwards:
        return grey, list(words)
    turned = [
        Word(
            text=w.text[::-1].replace(">", "<"),
            box=Box(x0=1 - w.box.x1, y0=1 - w.box.y1, x1=1 - w.box.x0, y1=1 - w.box.y0),
            confidence=w.confidence,
        )
        for w in words
    ]
    return cv2.rotate(grey, cv2.ROTATE_180), turned


def read_mrz_bands(grey: np.ndarray, words: Sequence[Word]) -> Iterator[str]:
    """Text of each candidate band re-read with the MRZ alphabet, most likely band first.

    `grey` is the upright page image the OCR read, `words` what it read there.
    """
    from pipeline.read.ocr import ocr_page  # the one door to tesseract

    grey, words = upright_for_mrz(grey, words)
    for band in mrz_bands(grey, words):
        # Matching OCR-B glyphs costs a fraction of one tesseract call: first.
        glyph_text = read_band_glyphs(grey, band)
        if glyph_text:
            yield glyph_text
        for letter_px, flat in MRZ_READS:
            image = band_image(grey, band, letter_px)
            if flat:
                image = flatten_band(image, letter_px)
            try:
                read = ocr_page(image, languages="eng", psm=6, config_extra=MRZ_WHITELIST)
            except Exception as error:  # the page's own text is already read: keep it
                log.warning("MRZ band re-read failed: %s", type(error).__name__)
                return
            yield read.text
