"""The document alone in a phone photo: its outline found, cut out and flattened.

A photographed sheet or card lies on a table, turned a little and seen in
perspective. Read as it is, the table's texture feeds tesseract's layout
analysis with noise, and a card's dark title banner, which touches the table,
is taken for part of the surroundings and whitened away with it (the banner
says which document it is). Cut out along its outline, the document fills the
image and only its own content is left to read.

The outline is the largest convex quadrilateral of edges that lies inside the
photo and is lighter inside than around it; a second one beside it, as large
or nearly, is the card's other side, and both are cut out and read one under
the other. A page that fills the frame (a scan, a screenshot, a photo taken
close) has none, and is read as it is.
"""

from __future__ import annotations

import cv2
import numpy as np

_WORK_SIDE = 720  # edges are looked for on a copy this long: enough for a card's outline
# A document covers at least this share of a photo of it; smaller quadrilaterals
# are a photo on the card, a stamp, a table cell.
MIN_AREA_SHARE = 0.10
# A second document is at least this share of the first: smaller outlines are
# a photo or a box printed on it.
MIN_SECOND_SHARE = 0.3
# Above this share the "outline" is the frame of the photo itself.
MAX_AREA_SHARE = 0.92
# Inside minus outside median grey (0..255): paper is lighter than the table it lies on.
MIN_BRIGHTNESS_STEP = 25.0
_BORDER_PX = 3  # a quadrilateral touching the frame (within this, on the copy) is cut by it
_INSET = 0.012  # trimmed off each side after flattening: the edge, its shadow, a fitting error


def find_outlines(grey: np.ndarray) -> list[np.ndarray]:
    """Corners of each document in `grey` (4x2 float, clockwise from top-left, in
    pixels of `grey`), top one first; [] when no document outline stands out
    from its surroundings. Several: a card's two sides photographed together."""
    height, width = grey.shape[:2]
    factor = min(1.0, _WORK_SIDE / max(height, width))
    small = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    edges = _edges(small)
    found = [c for c in _candidate_quadrilaterals(edges) if _lighter_inside(small, c)]
    found.sort(key=lambda c: float(cv2.contourArea(c)), reverse=True)
    documents: list[np.ndarray] = []
    for corners in found:
        if documents and cv2.contourArea(corners) < MIN_SECOND_SHARE * cv2.contourArea(
            documents[0]
        ):
            break
        # The same outline is found several times, a little larger or smaller.
        if all(_apart(corners, other) for other in documents):
            documents.append(corners)
    documents.sort(key=lambda c: float(c[:, 1].min()))
    return [_clockwise(_fitted_sides(_clockwise(c), edges) / factor) for c in documents]


def cut_out(grey: np.ndarray, outlines: list[np.ndarray]) -> np.ndarray:
    """The documents inside `outlines`, flattened, one under the other."""
    pieces = [flatten_outline(grey, corners) for corners in outlines]
    if len(pieces) == 1:
        return pieces[0]
    width = max(piece.shape[1] for piece in pieces)
    paper = int(np.median([np.percentile(piece, 90) for piece in pieces]))
    gap = np.full((max(8, pieces[0].shape[0] // 20), width), paper, np.uint8)
    rows: list[np.ndarray] = []
    for piece in pieces:
        padding = ((0, 0), (0, width - piece.shape[1]))
        rows += [np.pad(piece, padding, constant_values=paper), gap]
    return np.vstack(rows[:-1])


def _edges(small: np.ndarray) -> np.ndarray:
    # A strong median blur wipes the grain of a table, a carpet or the paper
    # while keeping the long straight edge between document and table.
    smooth = cv2.medianBlur(small, 7)
    median = float(np.median(smooth))
    return cv2.Canny(smooth, max(10.0, 0.33 * median), max(30.0, 0.66 * median))


def _apart(first: np.ndarray, second: np.ndarray) -> bool:
    """Whether two outlines hold two documents, neither inside nor around the other."""
    return not _contains(first, second.mean(axis=0)) and not _contains(second, first.mean(axis=0))


def _contains(corners: np.ndarray, point: np.ndarray) -> bool:
    where = (float(point[0]), float(point[1]))
    return bool(cv2.pointPolygonTest(corners.astype(np.float32), where, False) >= 0)


def _fitted_sides(corners: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Corners re-placed where straight lines fitted to each side's edge pixels meet.

    The polygon approximation puts corners within a few pixels; a line fitted
    to the whole side is much closer, which matters once the cut is enlarged.
    """
    ys, xs = np.nonzero(edges)
    points = np.stack([xs, ys], axis=1).astype(np.float32)
    lines = []
    for i in range(4):
        start, end = corners[i], corners[(i + 1) % 4]
        near = _points_near_segment(points, start, end, band=4.0)
        if len(near) < 20:
            return corners
        vx, vy, x0, y0 = cv2.fitLine(near, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0]), np.array([vx, vy])))
    fitted = []
    for i in range(4):
        meeting = _intersection(lines[i - 1], lines[i])
        if meeting is None or np.linalg.norm(meeting - corners[i]) > 10.0:
            return corners
        fitted.append(meeting)
    return np.array(fitted, np.float32)


def _points_near_segment(
    points: np.ndarray, start: np.ndarray, end: np.ndarray, *, band: float
) -> np.ndarray:
    direction = end - start
    length = float(np.linalg.norm(direction))
    unit = direction / max(length, 1e-6)
    relative = points - start
    along = relative @ unit
    across = np.abs(relative[:, 0] * unit[1] - relative[:, 1] * unit[0])
    # The ends are left out: corners are rounded on cards and bent on sheets.
    keep = (across <= band) & (along >= 0.1 * length) & (along <= 0.9 * length)
    return points[keep]


def _intersection(
    first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]
) -> np.ndarray | None:
    (p, r), (q, s) = first, second
    cross = float(r[0] * s[1] - r[1] * s[0])
    if abs(cross) < 1e-6:
        return None
    t = float((q - p)[0] * s[1] - (q - p)[1] * s[0]) / cross
    return np.asarray(p + t * r, np.float32)


def _candidate_quadrilaterals(edges: np.ndarray) -> list[np.ndarray]:
    """Convex four-sided outlines of edge contours, of a document's size, inside the frame."""
    closed = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    height, width = edges.shape[:2]
    frame = float(height * width)
    found = []
    for contour in contours:
        hull = cv2.convexHull(contour)
        area = float(cv2.contourArea(hull))
        if not MIN_AREA_SHARE * frame <= area <= MAX_AREA_SHARE * frame:
            continue
        corners = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True).reshape(-1, 2)
        if len(corners) != 4 or not cv2.isContourConvex(corners):
            continue
        xs, ys = corners[:, 0], corners[:, 1]
        inside = (
            xs.min() >= _BORDER_PX
            and ys.min() >= _BORDER_PX
            and xs.max() <= width - 1 - _BORDER_PX
            and ys.max() <= height - 1 - _BORDER_PX
        )
        if inside:
            found.append(corners.astype(np.float32))
    return found


def _lighter_inside(small: np.ndarray, corners: np.ndarray) -> bool:
    inside = np.zeros(small.shape[:2], np.uint8)
    cv2.fillConvexPoly(inside, corners.astype(np.int32), 1)
    # Only a band around the outline counts as outside: further off is the
    # wall or floor beyond the table, lighter than the table itself.
    around = cv2.dilate(inside, np.ones((25, 25), np.uint8)) - inside
    if not around.any():
        return False
    step = float(np.median(small[inside > 0])) - float(np.median(small[around > 0]))
    return step >= MIN_BRIGHTNESS_STEP


def _clockwise(corners: np.ndarray) -> np.ndarray:
    """Corners ordered top-left, top-right, bottom-right, bottom-left."""
    centre = corners.mean(axis=0)
    angles = np.arctan2(corners[:, 1] - centre[1], corners[:, 0] - centre[0])
    ordered = corners[np.argsort(angles)]  # clockwise on screen (y grows downwards)
    start = int(np.argmin(ordered.sum(axis=1)))
    return np.roll(ordered, -start, axis=0).astype(np.float32)


def flatten_outline(grey: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The document inside `corners` as an upright rectangle, at the photo's resolution."""
    top_left, top_right, bottom_right, bottom_left = corners
    width = max(np.linalg.norm(top_right - top_left), np.linalg.norm(bottom_right - bottom_left))
    height = max(np.linalg.norm(bottom_left - top_left), np.linalg.norm(bottom_right - top_right))
    inset_x, inset_y = _INSET * width, _INSET * height
    target = np.array(
        [
            [-inset_x, -inset_y],
            [width - 1 + inset_x, -inset_y],
            [width - 1 + inset_x, height - 1 + inset_y],
            [-inset_x, height - 1 + inset_y],
        ],
        np.float32,
    )
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    size = (round(float(width)), round(float(height)))
    return cv2.warpPerspective(
        grey, matrix, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
