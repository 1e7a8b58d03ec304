"""Read MRZ lines glyph by glyph against OCR-B templates, without tesseract.

ICAO 9303 prints every MRZ in OCR-B (ISO 1073-2) at a fixed pitch, so an MRZ
line is a row of separate glyphs of one known font. Tesseract's general-purpose
English model misreads several OCR-B shapes on phone photos (its open-top '4'
as 'G' or 'S', '8' as 'B', fillers as 'K'); matching each glyph's cell against
the font's own shapes does not. The result is only ever a candidate: the MRZ's
check digits decide between it and tesseract's reads.

Needs the OCR-B font (Debian package `fonts-ocr-b`); without it nothing is read
here and the tesseract reads stand alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.codes.mrz.checks import MRZ_CHARSET
from pipeline.codes.mrz.formats import LINE_LENGTHS

log = logging.getLogger(__name__)

OCRB_FONT_PATHS = (
    Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf"),  # Debian fonts-ocr-b
    Path("/usr/share/fonts/truetype/ocr-b/OCRB.ttf"),
)
MRZ_LENGTHS = tuple(LINE_LENGTHS)  # TD1, old French card and TD2, TD3
# Ink levels (0 paper .. 255 full ink) glyphs are cut out at, in turn.
INK_LEVELS = (110.0, 160.0)
# Every glyph cell is compared at this size (width, height): big enough for
# OCR-B's 8/B and 0/O differences, small enough to smooth photo noise.
CELL_SIZE = (20, 28)
RENDER_PX = 120  # font size the templates are drawn at before scaling down
# An MRZ line has 30, 36 or 44 glyphs; a row with fewer is other text.
MIN_GLYPHS = 25
# Ink blobs shorter than this share of the line height are noise or JPEG specks
# ('<' is ~0.5 of a capital's height in OCR-B).
MIN_BLOB_HEIGHT = 0.3
# Photo blur the templates are softened with, as a share of the cell height
# (matching each line against more blurred sets too read worse on blurred photos).
TEMPLATE_BLUR = 0.04


@dataclass(frozen=True)
class Templates:
    chars: str
    vectors: np.ndarray  # one zero-mean unit-norm row per character
    pitch_ratio: float  # character pitch over capital height


def ocrb_font_path() -> Path | None:
    return next((path for path in OCRB_FONT_PATHS if path.exists()), None)


@cache
def ocrb_templates() -> Templates | None:
    """The MRZ characters drawn in OCR-B, each in its cell as a line would hold it."""
    path = ocrb_font_path()
    if path is None:
        log.info("OCR-B font not installed: MRZ glyph matching disabled")
        return None
    font = ImageFont.truetype(str(path), RENDER_PX)
    cap_top, cap_bottom = _ink_rows(_render(font, "H"))
    cap_height = cap_bottom - cap_top
    pitch = font.getlength("H")
    vectors = []
    for char in MRZ_CHARSET:
        canvas = _render(font, char)
        columns = np.flatnonzero(canvas.max(axis=0) > 0)
        centre = (columns[0] + columns[-1]) / 2
        cell = _cut_cell(canvas, centre, cap_top, cap_height, pitch)
        vectors.append(_normalise(cell, blur=TEMPLATE_BLUR))
    return Templates(MRZ_CHARSET, np.stack(vectors), pitch / cap_height)


def _render(font: ImageFont.FreeTypeFont, char: str) -> np.ndarray:
    """The character in white ink (255) on black, with room around it."""
    side = RENDER_PX * 2
    image = Image.new("L", (side, side), 0)
    ImageDraw.Draw(image).text((RENDER_PX // 2, RENDER_PX // 4), char, fill=255, font=font)
    return np.asarray(image, dtype=np.float32)


def _ink_rows(ink: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero(ink.max(axis=1) > 0)
    return int(rows[0]), int(rows[-1]) + 1


def _cut_cell(
    ink: np.ndarray, centre_x: float, top: float, height: float, pitch: float
) -> np.ndarray:
    """The glyph's cell (one pitch wide, one capital high, with a small margin), resized."""
    margin = 0.1 * height
    y0, y1 = round(top - margin), round(top + height + margin)
    x0, x1 = round(centre_x - pitch / 2), round(centre_x + pitch / 2)
    # A glyph at the edge of the crop has part of its cell outside: paper there.
    pad = round(height + pitch)
    padded = cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    cell = padded[y0 + pad : y1 + pad, x0 + pad : x1 + pad]
    if cell.size == 0:
        return np.zeros(CELL_SIZE[::-1], dtype=np.float32)
    return cv2.resize(cell, CELL_SIZE, interpolation=cv2.INTER_AREA)


def _normalise(cell: np.ndarray, *, blur: float = 0.0) -> np.ndarray:
    if blur:
        cell = cv2.GaussianBlur(cell, (0, 0), blur * CELL_SIZE[1])
    vector = cell.astype(np.float32).ravel()
    vector = vector - vector.mean()
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def read_line_glyphs(line: np.ndarray) -> str | None:
    """The MRZ characters of one text line (grey crop, dark ink on light paper, a little
    margin around), or None when it is not a row of at least MIN_GLYPHS glyphs."""
    templates = ocrb_templates()
    if templates is None or line.size == 0:
        return None
    ink = _ink_strength(line)
    reads = [_read_glyphs(ink, level, templates) for level in INK_LEVELS]
    found = [read for read in reads if read is not None]
    if not found:
        return None
    # Blur joins neighbouring glyphs at a low ink level and breaks thin strokes
    # at a high one: the level that finds an MRZ line's length is the right one.
    return min(found, key=lambda read: min(abs(len(read) - n) for n in MRZ_LENGTHS))


def _read_glyphs(ink: np.ndarray, level: float, templates: Templates) -> str | None:
    blobs = _glyph_blobs(ink, level)
    if len(blobs) < MIN_GLYPHS:
        return None
    # The pitch is the same for every glyph (monospace), the height not quite
    # (OCR-B digits stand a little taller than capitals): the scale comes from
    # the pitch. Glyphs share their middle height, along a line that a photo's
    # perspective tilts.
    centres_x = np.array([(x0 + x1) / 2 for x0, _, x1, _ in blobs])
    centres_y = np.array([(y0 + y1) / 2 for _, y0, _, y1 in blobs])
    pitch = float(np.median(np.diff(centres_x)))
    height = pitch / templates.pitch_ratio
    if height <= 2:
        return None
    middle = _middle_line(centres_x, centres_y, height)
    cells = [
        _normalise(_cut_cell(ink, x, float(middle(x)) - height / 2, height, pitch))
        for x in _split_joined(blobs, pitch)
    ]
    scores = np.stack(cells) @ templates.vectors.T
    return "".join(templates.chars[i] for i in scores.argmax(axis=1))


def _split_joined(blobs: list[tuple[int, int, int, int]], pitch: float) -> list[float]:
    """Centre of every glyph: a blob as wide as several pitches is several glyphs
    joined by blur ('<<<' runs touch first)."""
    centres: list[float] = []
    for x0, _, x1, _ in blobs:
        count = max(1, round((x1 - x0) / pitch)) if x1 - x0 > 1.5 * pitch else 1
        centres.extend(x0 + (x1 - x0) * (k + 0.5) / count for k in range(count))
    return centres


def _middle_line(xs: np.ndarray, ys: np.ndarray, height: float) -> np.poly1d:
    """The line through the glyphs' middles, fitted twice to shed stray blobs."""
    fit = np.poly1d(np.polyfit(xs, ys, 1))
    close = np.abs(ys - fit(xs)) <= 0.15 * height
    if close.sum() >= 2:
        fit = np.poly1d(np.polyfit(xs[close], ys[close], 1))
    return fit


def _ink_strength(line: np.ndarray) -> np.ndarray:
    """Ink as 0 (paper) .. 255 (full ink), stretched between the line's paper and ink tones."""
    grey = line.astype(np.float32)
    paper = float(np.percentile(grey, 90))
    ink = float(np.percentile(grey, 3))
    if paper - ink < 10:
        return np.zeros_like(grey)
    return np.clip((paper - grey) * 255.0 / (paper - ink), 0, 255)


def _glyph_blobs(ink: np.ndarray, level: float) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of the glyphs of the line, left to right.

    Blobs overlapping in x are one glyph (a stroke broken by blur or JPEG).
    """
    binary = (ink > level).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count <= 1:
        return []
    # Pieces of the lines above and below reach into the crop from its edges: a
    # glyph of this line has its middle in the crop's middle half.
    crop_height = ink.shape[0]
    middle = [
        (int(x), int(y), int(w), int(h), int(area))
        for x, y, w, h, area in stats[1:count]
        if 0.25 * crop_height <= y + h / 2 <= 0.75 * crop_height
    ]
    if not middle:
        return []
    line_height = float(np.percentile([h for _, _, _, h, _ in middle], 90))
    boxes = sorted(
        (x, y, x + w, y + h)
        for x, y, w, h, area in middle
        if MIN_BLOB_HEIGHT * line_height <= h <= 1.6 * line_height and area >= 4
    )
    merged: list[list[int]] = []
    for x0, y0, x1, y1 in boxes:
        if merged and x0 < merged[-1][2] - 0.3 * (x1 - x0):
            last = merged[-1]
            merged[-1] = [min(last[0], x0), min(last[1], y0), max(last[2], x1), max(last[3], y1)]
        else:
            merged.append([x0, y0, x1, y1])
    return [(a, b, c, d) for a, b, c, d in merged]
