"""Tesseract, behind one door: the only module that imports pytesseract.

One `image_to_data` call per page gives both the text and the word boxes; the
text lines are rebuilt from tesseract's block/paragraph/line numbers.

Tesseract's own OpenMP threading is slower than one thread per process on small
machines (ENVIRONMENT.md: 5.4 s vs 3.3 s per page on 2 cores), and justif
parallelises over pages instead. pytesseract starts tesseract with this
process's `os.environ` and offers no way to pass another environment, so the
limit is set here, at import, unless the operator already chose a value.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np
import pytesseract

from pipeline.errors import OcrFailed, OcrUnavailable
from pipeline.read.coverage import MissedText, Region, missed_text
from pipeline.types import Box, Word

log = logging.getLogger(__name__)

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

# Bump when anything that changes the text read from the same page changes
# (preprocessing, psm, thresholds): it is part of the page cache key.
READING_VERSION = "29"  # 29: a banner reaching the photo's edge is kept, not blanked

DEFAULT_PSM = 3  # fully automatic layout: documents have columns, tables, headers
OCR_TIMEOUT_S = 120
# The missed-lines completion reads a fraction of a page: 0.2-2 s on phone
# photos. Past this limit the page is no document worth completing (noise,
# extreme blur) and the first read is kept.
MISSED_LINES_TIMEOUT_S = 10.0
# A line the sparse read adds must be read at least this confidently: a
# portrait, a guilloche or a stamp cut out with a region reads as short
# scraps at 0.05-0.5 ("Se i et à"), which only lower the page's confidence;
# the lines that hold a name, an address or a date read at 0.8-0.96.
MIN_ADDED_LINE_CONFIDENCE = 0.5
# Blank space between stacked regions: two lines of text, at least 20 px.
_GAP_LETTERS = 2.0
_MIN_GAP_PX = 20
_MISSING_LANGUAGE = re.compile(r"Failed loading language|Error opening data file")


class OcrResult(NamedTuple):
    text: str
    words: list[Word]
    confidence: float  # mean word confidence, 0..1; 0 when no word was read


class Orientation(NamedTuple):
    rotate_deg: int  # clockwise rotation that makes the page upright: 0, 90, 180 or 270
    confidence: float  # tesseract's orientation confidence (unbounded, >2 is fairly sure)


def ocr_page(
    image: np.ndarray,
    languages: str = "fra+eng",
    psm: int = DEFAULT_PSM,
    *,
    timeout_s: float = OCR_TIMEOUT_S,
    config_extra: str = "",
    try_inverted: bool = True,
) -> OcrResult:
    """Read a greyscale or binary page image: text with lines, words with relative boxes.

    `config_extra` is appended to tesseract's options (e.g. a character whitelist).
    `try_inverted=False` stops tesseract from re-reading doubtful lines as
    white-on-black (about 20 % of its time on a text page): for images whose
    dark regions were already inverted (`preprocess.prepare_for_ocr`).
    """
    invert = "" if try_inverted else "-c tessedit_do_invert=0"
    config = f"--psm {psm} {invert} {config_extra}".strip()
    data = _run_tesseract("data", image, languages=languages, config=config, timeout_s=timeout_s)
    height, width = image.shape[:2]
    return _result_from_data(data, width=width, height=height)


def with_missed_lines(
    image: np.ndarray,
    first: OcrResult,
    languages: str = "fra+eng",
    *,
    missed: MissedText | None = None,
    timeout_s: float = MISSED_LINES_TIMEOUT_S,
    min_line_confidence: float = MIN_ADDED_LINE_CONFIDENCE,
) -> OcrResult:
    """`first` (a psm 3 read of `image`) completed with the lines a sparse-text
    read (psm 11) finds where `first` read nothing; `first` itself when that
    read finds nothing new or does not finish within `timeout_s`.

    Psm 11 looks for text everywhere, without layout analysis, so it finds the
    blocks psm 3 dropped; but it also cuts "label : value" lines at every wide
    gap, so it only fills in: the lines of `first` keep their structure, and the
    new lines come after them as paragraphs of their own, each read at a mean
    confidence of at least `min_line_confidence`.

    Only the regions holding the missed letters (`missed`, measured here when
    not given) are read, with the words of `first` whitened out, stacked into
    one image: one tesseract run over a fraction of the page instead of the
    whole page read again (psm 11 cost as much as psm 3 on phone photos).
    """
    if missed is None:
        missed = missed_text(image, first.words)
    if not missed.regions:
        return first
    sheet, strips = _stacked_regions(_leftover_ink(image, first.words), missed)
    try:
        sparse = ocr_page(sheet, languages, psm=11, timeout_s=timeout_s, try_inverted=False)
    except OcrFailed:
        # A time limit reached here (or tesseract failing on the leftovers) costs
        # the completion only: the first read stands.
        log.info("missed-lines read abandoned after %.1f s limit", timeout_s)
        return first
    height, width = image.shape[:2]
    placed = [
        _placed_line(line, sheet.shape, strips, (height, width)) for line in _lines_of(sparse)
    ]
    added_lines = [
        line
        for line in placed
        if line
        and _mean_confidence(line) >= min_line_confidence
        and not any(_overlaps(w, first.words) for w in line)
    ]
    if not added_lines:
        return first
    words = first.words + [word for line in added_lines for word in line]
    text = "\n\n".join([first.text, *(" ".join(w.text for w in line) for line in added_lines)])
    mean = sum(word.confidence for word in words) / len(words)
    return OcrResult(text.strip("\n"), words, mean)


def _mean_confidence(words: list[Word]) -> float:
    return sum(word.confidence for word in words) / len(words)


class _Strip(NamedTuple):
    region: Region  # where the strip comes from on the page
    top: int  # where it starts on the stacked sheet


def _leftover_ink(image: np.ndarray, words: list[Word]) -> np.ndarray:
    """A grey copy of `image` with the boxes of `words` painted paper-white, so the
    sparse read spends no time on what was already read, and everything lighter
    than the page's ink threshold white too.

    Tesseract thresholds what it is given as a whole (Otsu): on the full page,
    a grainy tint falls on the paper side; on a crop of that tint alone, the
    threshold falls inside the grain, and psm 11 spends seconds reading
    hundreds of junk "words" there (a CV's grey sidebar: 7.8 s for nothing).
    Ink keeps its grey levels, which the LSTM reads better than a binary image.
    """
    grey = _as_grey(image).copy()
    threshold, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    grey[grey > threshold] = 255
    height, width = grey.shape[:2]
    for word in words:
        box = word.box
        grey[
            int(box.y0 * height) : int(np.ceil(box.y1 * height)),
            int(box.x0 * width) : int(np.ceil(box.x1 * width)),
        ] = 255
    return grey


def _stacked_regions(grey: np.ndarray, missed: MissedText) -> tuple[np.ndarray, list[_Strip]]:
    """The regions of `grey` one under the other on a white sheet, left-aligned and
    apart by a few blank lines, so no text line of the sparse read spans two."""
    gap = max(_MIN_GAP_PX, round(_GAP_LETTERS * missed.letter_px))
    regions = sorted(missed.regions, key=lambda r: (r.y0, r.x0))
    width = max(r.x1 - r.x0 for r in regions)
    height = sum(r.y1 - r.y0 for r in regions) + gap * (len(regions) + 1)
    sheet = np.full((height, width), 255, np.uint8)
    strips, top = [], gap
    for region in regions:
        sheet[top : top + region.y1 - region.y0, : region.x1 - region.x0] = grey[
            region.y0 : region.y1, region.x0 : region.x1
        ]
        strips.append(_Strip(region, top))
        top += region.y1 - region.y0 + gap
    return sheet, strips


def _placed_line(
    line: list[Word],
    sheet_shape: tuple[int, ...],
    strips: list[_Strip],
    page_shape: tuple[int, ...],
) -> list[Word]:
    """The words of a line read on the stacked sheet, with boxes relative to the page;
    empty when the line lies in no strip (a speck in a gap)."""
    sheet_height, sheet_width = sheet_shape[:2]
    centre_y = (line[0].box.y0 + line[0].box.y1) / 2 * sheet_height
    strip = next((s for s in strips if s.top <= centre_y < s.top + s.region.y1 - s.region.y0), None)
    if strip is None:
        return []
    height, width = page_shape[:2]
    dx, dy = strip.region.x0, strip.region.y0 - strip.top
    placed = []
    for word in line:
        box = Box(
            x0=_clamp((word.box.x0 * sheet_width + dx) / width),
            y0=_clamp((word.box.y0 * sheet_height + dy) / height),
            x1=_clamp((word.box.x1 * sheet_width + dx) / width),
            y1=_clamp((word.box.y1 * sheet_height + dy) / height),
        )
        placed.append(word.model_copy(update={"box": box}))
    return placed


def _lines_of(result: OcrResult) -> list[list[Word]]:
    """The words of `result` grouped by text line (its text lists them in order)."""
    lines, position = [], 0
    for line in result.text.split("\n"):
        count = len(line.split())
        if count:
            lines.append(result.words[position : position + count])
            position += count
    return lines


def _overlaps(word: Word, others: list[Word]) -> bool:
    x = (word.box.x0 + word.box.x1) / 2
    y = (word.box.y0 + word.box.y1) / 2
    return any(o.box.x0 <= x <= o.box.x1 and o.box.y0 <= y <= o.box.y1 for o in others)


def detect_orientation(image: np.ndarray, *, timeout_s: float = OCR_TIMEOUT_S) -> Orientation:
    """Orientation of the page by tesseract's OSD; (0, 0.0) when it cannot tell."""
    try:
        osd = _run_tesseract("osd", image, languages="osd", config="", timeout_s=timeout_s)
    except OcrFailed:
        # OSD refuses pages with too few characters: nothing to rotate then.
        return Orientation(0, 0.0)
    return Orientation(int(osd.get("rotate", 0)) % 360, float(osd.get("orientation_conf", 0.0)))


@functools.cache
def engine_version() -> str:
    """Tesseract version, its languages and justif's reading version: the page cache key."""
    try:
        version = str(pytesseract.get_tesseract_version())
        languages = "+".join(sorted(pytesseract.get_languages(config="")))
    except pytesseract.TesseractNotFoundError as e:
        raise _unavailable("tesseract is not installed") from e
    return f"tesseract-{version}/{languages}/justif-read-{READING_VERSION}"


def _run_tesseract(
    kind: str, image: np.ndarray, *, languages: str, config: str, timeout_s: float
) -> dict[str, Any]:
    # An uncompressed PGM is much cheaper to write than pytesseract's default PNG.
    with tempfile.TemporaryDirectory(prefix="justif-ocr-") as folder:
        path = Path(folder) / "page.pgm"
        if not cv2.imwrite(str(path), _as_grey(image)):
            raise RuntimeError("could not write the page image for tesseract")
        try:
            if kind == "osd":
                return dict(
                    pytesseract.image_to_osd(
                        str(path), output_type=pytesseract.Output.DICT, timeout=timeout_s
                    )
                )
            return dict(
                pytesseract.image_to_data(
                    str(path),
                    lang=languages,
                    config=config,
                    output_type=pytesseract.Output.DICT,
                    timeout=timeout_s,
                )
            )
        except pytesseract.TesseractNotFoundError as e:
            raise _unavailable("tesseract is not installed") from e
        except pytesseract.TesseractError as e:
            if _MISSING_LANGUAGE.search(str(e.message)):
                raise _unavailable(f"tesseract language data missing for {languages}") from e
            raise OcrFailed(OCR_FAILED_FR, detail=f"tesseract status {e.status}") from e
        except RuntimeError as e:
            # pytesseract signals its own time limit with a bare RuntimeError.
            if "timeout" not in str(e).lower():
                raise
            raise OcrFailed(OCR_FAILED_FR, detail=f"tesseract timed out after {timeout_s} s") from e


OCR_FAILED_FR = (
    "La lecture d'une page du document a échoué : envoyez une copie plus nette, "
    "de préférence au format PDF."
)


def _as_grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def _unavailable(detail: str) -> OcrUnavailable:
    return OcrUnavailable(
        "La lecture automatique des documents scannés est momentanément indisponible.",
        detail=detail,
    )


def _result_from_data(data: dict[str, Sequence[Any]], *, width: int, height: int) -> OcrResult:
    words: list[Word] = []
    lines: list[list[str]] = []
    paragraph_breaks: set[int] = set()
    current_line: tuple[int, int, int] | None = None
    current_paragraph: tuple[int, int] | None = None
    for i, raw_text in enumerate(data["text"]):
        text = str(raw_text).strip()
        confidence = float(data["conf"][i])
        if not text or confidence < 0:
            continue
        block, paragraph, line = (
            int(data["block_num"][i]),
            int(data["par_num"][i]),
            int(data["line_num"][i]),
        )
        if (block, paragraph, line) != current_line:
            if current_paragraph is not None and (block, paragraph) != current_paragraph:
                paragraph_breaks.add(len(lines))
            current_line, current_paragraph = (block, paragraph, line), (block, paragraph)
            lines.append([])
        lines[-1].append(text)
        words.append(_word(data, i, text, confidence, width=width, height=height))
    rendered = [
        ("\n" if n in paragraph_breaks else "") + " ".join(line) for n, line in enumerate(lines)
    ]
    mean = sum(word.confidence for word in words) / len(words) if words else 0.0
    return OcrResult("\n".join(rendered), words, mean)


def _word(
    data: dict[str, Sequence[Any]], i: int, text: str, confidence: float, *, width: int, height: int
) -> Word:
    left, top = int(data["left"][i]), int(data["top"][i])
    right, bottom = left + int(data["width"][i]), top + int(data["height"][i])
    box = Box(
        x0=_clamp(left / width),
        y0=_clamp(top / height),
        x1=_clamp(right / width),
        y1=_clamp(bottom / height),
    )
    return Word(text=text, box=box, confidence=_clamp(confidence / 100.0))


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))
