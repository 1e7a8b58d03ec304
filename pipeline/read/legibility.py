"""Legibility of a page image: blur, resolution, contrast, blank.

Everything is computed on a copy brought to REFERENCE_DPI, so figures are
comparable whatever the upload's resolution and cheap on huge images.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.types import Quality

# Blur is measured at one physical scale: the variance of the Laplacian grows
# with resolution (edges span fewer pixels), so a 600-dpi and a 200-dpi copy of
# the same sharp page would otherwise differ wildly. 150 dpi keeps body-text
# strokes a couple of pixels wide, enough to see defocus.
REFERENCE_DPI = 150.0
# A page is blank when under this share of its pixels is ink. An empty sheet
# measures 0 (noise and JPEG never drop a pixel a quarter of the grey range
# below the paper); a card verso photocopied alone on A4 (8 short lines)
# measures 0.0009, which the former 0.002 called blank, so it was never read.
BLANK_INK_RATIO = 0.0002
# Ink: darker than the paper by this fraction of the full grey range.
INK_DROP = 0.25


def measure_quality(image: np.ndarray, dpi: float) -> Quality:
    """Legibility figures of one page image (grey or RGB, uint8) of resolution `dpi`."""
    grey = _reference_copy(image, dpi)
    paper = float(np.percentile(grey, 90))
    # 0.1 %: a page of a few lines has well under 1 % ink.
    dark = float(np.percentile(grey, 0.1))
    contrast = max(0.0, paper - dark) / 255.0
    ink_ratio = float((grey < paper - INK_DROP * 255).mean())
    blank = ink_ratio < BLANK_INK_RATIO
    blur = 0.0 if blank else laplacian_sharpness(grey, paper=paper, dark=dark)
    return Quality(blur=round(blur, 3), dpi=round(dpi, 1), contrast=round(contrast, 3), blank=blank)


def laplacian_sharpness(grey: np.ndarray, *, paper: float, dark: float) -> float:
    """Variance of the Laplacian on the contrast-stretched page, over the pixels near ink.

    Stretching grey levels first keeps a pale but sharp print from reading as
    blurred; restricting to a band around ink keeps large margins from
    diluting the figure, so it depends on sharpness, not on how full the page is.
    """
    spread = max(paper - dark, 1.0)
    # Grey levels in 0..1: the figure is in (full grey range)^2, about 5 for a
    # clean 300-dpi render, under 1 for text a reader finds blurred.
    stretched = np.clip((grey.astype(np.float32) - dark) / spread, 0.0, 1.0)
    laplacian = cv2.Laplacian(stretched, cv2.CV_32F, ksize=3)
    ink = (stretched < 1 - INK_DROP).astype(np.uint8)
    near_ink = cv2.dilate(ink, np.ones((5, 5), np.uint8)).astype(bool)
    if not near_ink.any():
        return 0.0
    return float(laplacian[near_ink].var())


def _reference_copy(image: np.ndarray, dpi: float) -> np.ndarray:
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    scale = REFERENCE_DPI / dpi if dpi > 0 else 1.0
    if scale >= 1.0:
        # Upscaling invents no detail: measure low-resolution images as they are.
        return grey
    return cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
