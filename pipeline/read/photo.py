"""Background measurement of an identity photo, for the `one_face_plain_background` rule.

Only the background is measured here; faces are counted by
`pipeline.read.signals.count_faces` (OpenCV cascades) while the page image is at
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
# The ring is judged by square tiles of this fraction of the shorter side...
TILE_FRACTION = 0.06
# ...each plain when at most this share of its pixels is off the background.
MAX_OFF_BACKGROUND_SHARE = 0.02


def border_mask(height: int, width: int) -> npt.NDArray[np.bool_]:
    """The top band and the upper part of the side bands of a `height` x `width` image.

    The bottom is left out: shoulders and clothes fill it on a proper photo.
    """
    band = max(1, int(min(height, width) * BORDER_FRACTION))
    side_end = int(height * SIDES_DOWN_TO)
    mask = np.zeros((height, width), dtype=bool)
    mask[:band] = True
    mask[band:side_end, :band] = True
    mask[band:side_end, width - band :] = True
    return mask


def border_pixels(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    """The pixels of `border_mask` of `image` (H x W or H x W x C), N x C."""
    if image.ndim == 2:
        image = image[:, :, np.newaxis]
    return image[border_mask(*image.shape[:2])].astype(np.float64)


def background_uniformity(image: npt.NDArray[np.uint8]) -> float:
    """Share (0..1) of the border ring close to its median colour: 1.0 for one plain colour.

    A document-classifier feature (how much of a page's edge is bare); the
    identity-photo rule uses `plain_background_share`, which tolerates light.
    """
    if image.size == 0 or min(image.shape[:2]) < 8:
        raise ValueError("image too small to measure a background")
    ring = border_pixels(image)
    median = np.median(ring, axis=0)
    distance = np.linalg.norm(ring - median, axis=1)
    return float(np.mean(distance <= BACKGROUND_TOLERANCE))


def plain_background_share(image: npt.NDArray[np.uint8]) -> float:
    """Share (0..1) of the border ring's tiles that are plain: 1.0 for a plain background.

    A pixel is background when it is close to a surface fitted to the ring
    (quadratic in x and y, per channel), not to one colour: a plain wall beside
    a window or a lamp goes from light to darker across a selfie (200 to 240
    across the width scored 58 % against one median colour). A tile is plain
    when almost all its pixels are: a pattern of thin lines leaves most pixels
    on the wall colour but crosses many tiles (19 of 40 generated wallpapers
    scored over 80 % counted by pixel, none by tile).
    """
    if image.size == 0 or min(image.shape[:2]) < 8:
        raise ValueError("image too small to measure a background")
    height, width = image.shape[:2]
    mask = border_mask(height, width)
    off_background = np.zeros((height, width), dtype=np.float64)
    off_background[mask] = ~_close_to_smooth_surface(border_pixels(image), mask)
    tile = max(2, int(min(height, width) * TILE_FRACTION))
    rows, cols = height // tile, width // tile
    in_ring = _tile_means(mask.astype(np.float64), tile, rows, cols) >= 0.99
    off_share = _tile_means(off_background, tile, rows, cols)[in_ring]
    if off_share.size == 0:  # a ring thinner than a tile: judge it by pixels
        return float(1.0 - off_background[mask].mean())
    return float(np.mean(off_share <= MAX_OFF_BACKGROUND_SHARE))


def _close_to_smooth_surface(
    ring: npt.NDArray[np.float64], mask: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Which ring pixels lie within the tolerance of a smooth surface fitted to the ring."""
    height, width = mask.shape
    ys, xs = np.nonzero(mask)
    design = _quadratic_design(ys / height, xs / width)
    inliers = np.ones(len(ring), dtype=bool)
    # Twice: the second fit leaves out what the first could not explain (hair or a
    # shoulder reaching the ring), so that it does not bend the surface.
    for _ in range(2):
        if not inliers.any():
            break
        coefficients, *_ = np.linalg.lstsq(design[inliers], ring[inliers], rcond=None)
        inliers = np.linalg.norm(ring - design @ coefficients, axis=1) <= BACKGROUND_TOLERANCE
    return inliers


def _tile_means(
    values: npt.NDArray[np.float64], tile: int, rows: int, cols: int
) -> npt.NDArray[np.float64]:
    cropped = values[: rows * tile, : cols * tile]
    return cropped.reshape(rows, tile, cols, tile).mean(axis=(1, 3))


def _quadratic_design(
    y: npt.NDArray[np.float64], x: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Columns 1, x, y, x², xy, y² of the pixel positions (0..1): a smooth surface's terms."""
    return np.column_stack([np.ones_like(x), x, y, x * x, x * y, y * y])
