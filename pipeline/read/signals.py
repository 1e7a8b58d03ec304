"""Signals measured on a page image while it is at hand, for the stages that come later.

Page images exist only inside the isolated reading process; the classifier and
the extractors see these small measurements instead (faces, colour, ink, codes).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from pipeline.codes.mrz.band import is_upside_down_fragment
from pipeline.codes.mrz.lines import MrzLineTest, mrz_line
from pipeline.read.photo import background_uniformity, plain_background_share
from pipeline.read.searches import Searches
from pipeline.types import PageSignals, Word

if TYPE_CHECKING:
    from pipeline.codes.mrz.reading import MrzReading

log = logging.getLogger(__name__)

# The opencv 4 wheels ship the Haar cascades; Debian's opencv-data is a fallback.
CASCADE_DIRS = (
    Path(cv2.data.haarcascades),  # type: ignore[attr-defined]
    Path("/usr/share/opencv4/haarcascades"),
)
FACE_CASCADE = "haarcascade_frontalface_default.xml"
# Local binary patterns compare each pixel with its neighbours only, so this
# cascade keeps working where the Haar one needs global light/dark contrasts.
# Debian's opencv-data ships it; the pip wheels carry only the Haar files.
LBP_FACE_CASCADE = "lbpcascade_frontalface_improved.xml"
LBP_CASCADE_DIRS = (
    Path(cv2.data.haarcascades).parent / "lbpcascades",  # type: ignore[attr-defined]
    Path("/usr/share/opencv4/lbpcascades"),
)
SIGNAL_WIDTH_PX = 900  # colour, ink and background are measured on a copy this wide
# Faces are searched on a smaller copy: the cascade's cost grows with the area,
# and a face worth finding (ID photo, card portrait) spans over 1/12 of the width.
FACE_WIDTH_PX = 480
# Pages with fewer letters than this get the equalised second look for faces:
# identity photos (none) and card photos (a few hundred), not pages of text.
SECOND_LOOK_MAX_LETTERS = 300
# The last look (local-contrast image, LBP cascade) searches only faces at least
# this share of the shorter side: an identity photo's face fills most of it
# (32-36 mm of 45 mm), a selfie's rarely less than a fifth; small false faces
# in textures cannot count there.
PORTRAIT_MIN_FACE_SHARE = 0.2


@cache
def _face_detector() -> cv2.CascadeClassifier | None:
    return _load_cascade(FACE_CASCADE, CASCADE_DIRS)


@cache
def _portrait_detector() -> cv2.CascadeClassifier | None:
    return _load_cascade(LBP_FACE_CASCADE, LBP_CASCADE_DIRS)


def _load_cascade(name: str, folders: Sequence[Path]) -> cv2.CascadeClassifier | None:
    if not hasattr(cv2, "CascadeClassifier"):
        # OpenCV 5 moved the cascades out of the main wheel.
        log.warning("this OpenCV build has no CascadeClassifier: faces are not counted")
        return None
    for folder in folders:
        path = folder / name
        if path.exists():
            return cv2.CascadeClassifier(str(path))
    log.warning("face cascade %s not found in %s", name, folders)
    return None


def measure_signals(
    image: np.ndarray,
    text: str,
    *,
    from_ocr: bool = True,
    look_for_faces: bool = True,
    upright: np.ndarray | None = None,
    words: Sequence[Word] = (),
    searches: Searches | None = None,
    first_page: bool = True,
) -> PageSignals:
    """Signals of one page image (grey or RGB uint8) and the text read from it.

    `upright` is the image the OCR read (turned upright, deskewed, binarised)
    and `words` what it read there: with them the MRZ band is located on the
    page instead of assumed at its bottom.

    `searches` says which of the face and DataMatrix searches the page can
    reward (pipeline.read.searches; default: all). The background measures
    are read from a piece's first page only (classifier, photo rule): on the
    others (`first_page=False`) they are left at their defaults.
    """
    searches = searches or Searches.everything()
    height, width = image.shape[:2]
    scale = min(1.0, SIGNAL_WIDTH_PX / max(width, 1))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    grey = small if small.ndim == 2 else cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    # The second look costs a cascade run (~50 ms); a page of text has no
    # portrait to miss that matters, identity photos and cards have little text.
    second_look = sum(c.isalpha() for c in text) < SECOND_LOOK_MAX_LETTERS
    faces, largest = (
        count_faces(grey, second_look=second_look)
        if look_for_faces and searches.faces
        else (0, 0.0)
    )
    measure_background = first_page and min(small.shape[:2]) >= 8
    return PageSignals(
        aspect_ratio=width / max(height, 1),
        colourfulness=colourfulness(small),
        ink_ratio=float(np.mean(grey < 128)),
        faces=faces,
        largest_face_ratio=largest,
        background_uniformity=background_uniformity(np.asarray(small, dtype=np.uint8))
        if measure_background
        else 0.0,
        plain_background=plain_background_share(np.asarray(small, dtype=np.uint8))
        if measure_background
        else (0.0 if first_page else None),
        datamatrix=find_datamatrix(image) if searches.datamatrix else [],
        mrz_lines=mrz_lines_of_page(
            image,
            text,
            width / max(height, 1),
            from_ocr=from_ocr,
            faces=faces,
            upright=upright,
            words=words,
        ),
    )


def colourfulness(image: np.ndarray) -> float:
    if image.ndim == 2:
        return 0.0
    red, green, blue = (image[..., i].astype(np.float32) for i in range(3))
    rg = red - green
    yb = 0.5 * (red + green) - blue
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(abs(rg.mean()), abs(yb.mean())))


def count_faces(grey: np.ndarray, *, second_look: bool = True) -> tuple[int, float]:
    """Number of frontal faces and the area share of the largest one.

    `second_look` searches two normalised copies too when none was found: the
    equalised image, then portrait-sized faces on the local-contrast image.
    """
    detector = _face_detector()
    if detector is None:
        return -1, 0.0
    scale = min(1.0, FACE_WIDTH_PX / max(grey.shape[1], 1))
    if scale < 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    side = min(grey.shape[:2])
    min_size = (max(24, side // 12),) * 2
    found = detector.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=4, minSize=min_size)
    if len(found) == 0 and second_look:
        # The cascade keys on light/dark contrasts (eyes darker than cheeks) and
        # misses faces whose tones are close: darker skin under dim light, a
        # washed-out print. A second look on the equalised image finds most of
        # them (5 of 6 identity photos missed in the dossier benchmark) and, on
        # pages without a face, found none in our checks.
        equalised = cv2.equalizeHist(grey)
        found = detector.detectMultiScale(
            equalised, scaleFactor=1.1, minNeighbors=4, minSize=min_size
        )
    if len(found) == 0 and second_look:
        found = find_portrait_faces(grey)
    if len(found) == 0:
        return 0, 0.0
    largest = max(int(w) * int(h) for _, _, w, h in found)
    return len(found), largest / float(grey.shape[0] * grey.shape[1])


def find_portrait_faces(grey: np.ndarray) -> Sequence[Sequence[int]]:
    """Portrait-sized faces (x, y, w, h) found on the local-contrast copy of `grey`.

    Equalising the whole image still leaves a dark face on a light background
    flat (the background takes most of the grey levels); tile-wise equalisation
    (CLAHE) spreads the face's own tones, and the LBP cascade compares pixels
    with their neighbours only. Three clean identity photos of dark-skinned
    people in the 300-dossier run (seed 770000) were found only this way.
    """
    detector = _portrait_detector()
    if detector is None:
        return ()
    local = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(grey)
    side = int(min(grey.shape[:2]) * PORTRAIT_MIN_FACE_SHARE)
    min_size = (max(24, side),) * 2
    found = detector.detectMultiScale(local, scaleFactor=1.1, minNeighbors=4, minSize=min_size)
    return _distinct_boxes([tuple(int(v) for v in box) for box in found])


def _distinct_boxes(boxes: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Boxes, largest first, dropping any that mostly overlaps one already kept:
    the cascade may report one face twice at neighbouring scales."""
    kept: list[tuple[int, ...]] = []
    for box in sorted(boxes, key=lambda b: -b[2] * b[3]):
        if not any(_overlap_share(box, other) > 0.3 for other in kept):
            kept.append(box)
    return kept


def _overlap_share(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Intersection area over the smaller box's area."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    return width * height / float(min(a[2] * a[3], b[2] * b[3]))


def find_datamatrix(image: np.ndarray) -> list[str]:
    from pipeline.codes.twoddoc.decode import read_twoddoc_payloads

    try:
        return read_twoddoc_payloads(image)
    except Exception as error:  # a decoder failure must not lose the page's text
        log.warning("DataMatrix decoding failed: %s", type(error).__name__)
        return []


def mrz_like_lines(text: str) -> list[str]:
    return [line for raw in text.splitlines() if (line := mrz_line(raw, MrzLineTest.AS_READ))]


# --- MRZ re-read (field extraction) -------------------------------------------------

# Identity cards are ~1.42 wide for 1 high (ID-1); a passport data page ~1.42 too.
CARD_ASPECT = (1.25, 1.75)
# Titles of identity documents; "identit" alone would match every RIB
# ("Relevé d'identité bancaire").
ID_TITLES = re.compile(
    r"(?i)passeport|passport|carte\s+nationale\s+d.identit|identity\s+card"
    r"|titre\s+de\s+s[ée]jour|residence\s+permit|permis\s+de\s+s[ée]jour"
)
MRZ_WHITELIST = "-c tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
MRZ_BAND_FRACTIONS = (0.4, 1.0)  # bottom share of the page re-read for the MRZ


def mrz_lines_of_page(
    image: np.ndarray,
    text: str,
    aspect: float,
    *,
    from_ocr: bool,
    faces: int,
    upright: np.ndarray | None = None,
    words: Sequence[Word] = (),
) -> list[str]:
    """MRZ lines of a page: from its text when they verify, else re-read from the image.

    Page OCR with layout analysis often splits or garbles the MRZ; re-reading the
    bottom band as one block with the MRZ alphabet only recovers most of them.
    Only pages that look like identity documents pay for the extra OCR.
    """
    from pipeline.codes.mrz.find import find_mrz

    lines = mrz_like_lines(text)
    today = date.today()
    from_text = find_mrz(text, as_of=today)
    if from_text is not None and from_text.valid and (not from_ocr or _confidently_read(words)):
        return from_text.lines
    if not from_ocr:
        # A text layer is exact: re-reading its render cannot do better.
        return from_text.lines if from_text is not None else lines
    card_shaped = CARD_ASPECT[0] <= aspect <= CARD_ASPECT[1]
    fragments = any(
        mrz_line(w.text, MrzLineTest.FRAGMENT) or is_upside_down_fragment(w.text) for w in words
    )
    if not (lines or fragments or (card_shaped and faces > 0) or ID_TITLES.search(text)):
        return lines
    readings = (
        _located_band_readings(upright, words, today)
        if upright is not None
        else _mrz_band_readings(image, today)
    )
    best = None
    for reading in readings:
        if best is None or _rank(reading) > _rank(best):
            best = reading
        if best.valid:
            return best.lines
    # No valid band reading: the page text's, when it is at least as good.
    if from_text is not None and (best is None or _rank(from_text) >= _rank(best)):
        best = from_text
    return best.lines if best is not None else lines


def _rank(reading: MrzReading) -> tuple[bool, int]:
    return reading.valid, sum(reading.checks.values())


# Under this word confidence, MRZ words of the page OCR are re-read even when
# their check digits pass: look-alike misreads can pass them by chance (on a
# generated card photo 'G57M1' read 'GS7MI' still gave the right check digit,
# at word confidence 0.0), and the band reader matches the OCR-B glyphs themselves.
MIN_MRZ_WORD_CONFIDENCE = 0.6


def _confidently_read(words: Sequence[Word]) -> bool:
    mrz_words = [w for w in words if mrz_line(w.text, MrzLineTest.FRAGMENT)]
    return all(w.confidence >= MIN_MRZ_WORD_CONFIDENCE for w in mrz_words)


def _located_band_readings(
    upright: np.ndarray, words: Sequence[Word], today: date
) -> Iterator[MrzReading]:
    from pipeline.codes.mrz.band import combine_readings, read_mrz_bands
    from pipeline.codes.mrz.find import find_mrz

    found_so_far: list[MrzReading] = []
    for band_text in read_mrz_bands(upright, words):
        found = find_mrz(band_text, as_of=today)
        if found is not None:
            found_so_far.append(found)
            yield found
    if len(found_so_far) > 1:
        combined = combine_readings(found_so_far, today)
        if combined is not None:
            yield combined


def _mrz_band_readings(image: np.ndarray, today: date) -> Iterator[MrzReading]:
    from pipeline.codes.mrz.find import find_mrz
    from pipeline.read.ocr import ocr_page

    height = image.shape[0]
    for fraction in MRZ_BAND_FRACTIONS:
        band = image[int(height * (1 - fraction)) :, :]
        try:
            read = ocr_page(band, languages="eng", psm=6, config_extra=MRZ_WHITELIST)
        except Exception as error:  # the page's own text is already read: keep it
            log.warning("MRZ band re-read failed: %s", type(error).__name__)
            return
        found = find_mrz(read.text, as_of=today)
        if found is not None:
            yield found
