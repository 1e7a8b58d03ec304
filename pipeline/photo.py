"""Background measurement of an identity photo, for the `one_face_plain_background` rule.

Only the background is measured here; faces are counted by
`pipeline.signals.count_faces` (OpenCV cascades) while the page image is at
hand, and the caller provides `face_count` (see `rules.PhotoMeasurement`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# The border ring examined, as a fraction of the shorter side: the face sits in the middle.
BORDER_FRACTION = 0.08
# Sides are examined down to this fraction of the height (shoulders start lower).
SIDES_DOWN_TO = 0.6
# Colour distance (0-255 per channel, Euclidean) under which a border pixel is "background".
BACKGROUND_TOLERANCE = 28.0


def border_pixels(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    """Top band and the upper part of the side bands of `image` (H x W or H x W x C), N x C.

    The bottom is left out: shoulders and clothes fill it on a proper photo.
    """
    if image.ndim == 2:
        image = image[:, :, np.newaxis]
    height, width = image.shape[:2]
    channels = image.shape[2]
    band = max(1, int(min(height, width) * BORDER_FRACTION))
    side_end = int(height * SIDES_DOWN_TO)
    ring = np.concatenate(
        [
            image[:band].reshape(-1, channels),
            image[band:side_end, :band].reshape(-1, channels),
            image[band:side_end, width - band :].reshape(-1, channels),
        ]
    )
    return ring.astype(np.float64)


def background_uniformity(image: npt.NDArray[np.uint8]) -> float:
    """Share (0..1) of the border ring close to its median colour: 1.0 for a plain background."""
    if image.size == 0 or min(image.shape[:2]) < 8:
        raise ValueError("image too small to measure a background")
    ring = border_pixels(image)
    median = np.median(ring, axis=0)
    distance = np.linalg.norm(ring - median, axis=1)
    return float(np.mean(distance <= BACKGROUND_TOLERANCE))
