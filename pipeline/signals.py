"""Signals measured on a page image while it is at hand, for the stages that come later.

Page images exist only inside the isolated reading process; the classifier and
the extractors see these small measurements instead (faces, colour, ink, codes).
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from pipeline.photo import background_uniformity
from pipeline.types import PageSignals

log = logging.getLogger(__name__)

# The opencv 4 wheels ship the Haar cascades; Debian's opencv-data is a fallback.
CASCADE_DIRS = (
    Path(cv2.data.haarcascades),
    Path("/usr/share/opencv4/haarcascades"),
)
FACE_CASCADE = "haarcascade_frontalface_default.xml"
SIGNAL_WIDTH_PX = 900  # faces and colour are measured on a copy this wide
MRZ_LINE = re.compile(r"^[A-Z0-9<]{25,46}$")


@cache
def _face_detector() -> cv2.CascadeClassifier | None:
    if not hasattr(cv2, "CascadeClassifier"):
        # OpenCV 5 moved the Haar cascades out of the main wheel.
        log.warning("this OpenCV build has no CascadeClassifier: faces are not counted")
        return None
    for folder in CASCADE_DIRS:
        path = folder / FACE_CASCADE
        if path.exists():
            return cv2.CascadeClassifier(str(path))
    log.warning("face cascade %s not found in %s", FACE_CASCADE, CASCADE_DIRS)
    return None


def measure_signals(image: np.ndarray, text: str) -> PageSignals:
    """Signals of one page image (grey or RGB uint8) and the text read from it."""
    height, width = image.shape[:2]
    scale = min(1.0, SIGNAL_WIDTH_PX / max(width, 1))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    grey = small if small.ndim == 2 else cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    faces, largest = count_faces(grey)
    return PageSignals(
        aspect_ratio=width / max(height, 1),
        colourfulness=colourfulness(small),
        ink_ratio=float(np.mean(grey < 128)),
        faces=faces,
        largest_face_ratio=largest,
        background_uniformity=background_uniformity(small) if min(small.shape[:2]) >= 8 else 0.0,
        datamatrix=find_datamatrix(image),
        mrz_lines=mrz_like_lines(text),
    )


def colourfulness(image: np.ndarray) -> float:
    if image.ndim == 2:
        return 0.0
    red, green, blue = (image[..., i].astype(np.float32) for i in range(3))
    rg = red - green
    yb = 0.5 * (red + green) - blue
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(abs(rg.mean()), abs(yb.mean())))


def count_faces(grey: np.ndarray) -> tuple[int, float]:
    """Number of frontal faces and the area share of the largest one."""
    detector = _face_detector()
    if detector is None:
        return -1, 0.0
    side = min(grey.shape[:2])
    found = detector.detectMultiScale(
        grey, scaleFactor=1.1, minNeighbors=6, minSize=(max(24, side // 12),) * 2
    )
    if len(found) == 0:
        return 0, 0.0
    largest = max(int(w) * int(h) for _, _, w, h in found)
    return len(found), largest / float(grey.shape[0] * grey.shape[1])


def find_datamatrix(image: np.ndarray) -> list[str]:
    from pipeline.twoddoc import read_twoddoc_payloads

    try:
        return read_twoddoc_payloads(image)
    except Exception as error:  # a decoder failure must not lose the page's text
        log.warning("DataMatrix decoding failed: %s", type(error).__name__)
        return []


def mrz_like_lines(text: str) -> list[str]:
    lines = [re.sub(r"\s+", "", line).upper() for line in text.splitlines()]
    return [line for line in lines if MRZ_LINE.match(line) and line.count("<") >= 2]
