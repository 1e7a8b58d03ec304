"""Background uniformity on generated photos: plain, noisy-but-plain, busy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.read.photo import background_uniformity, plain_background_share
from pipeline.rules.photo_rules import PHOTO_MIN_BACKGROUND_UNIFORMITY

Measure = Callable[[np.ndarray], float]


def portrait(background: np.ndarray) -> np.ndarray:
    """A head-and-shoulders silhouette drawn over `background` (H x W x 3)."""
    image = background.copy()
    height, width = image.shape[:2]
    cv2.ellipse(image, (width // 2, height // 2 - 20), (60, 80), 0, 0, 360, (150, 170, 210), -1)
    cv2.ellipse(image, (width // 2, height), (130, 90), 0, 180, 360, (60, 60, 90), -1)
    return image


BOTH_MEASURES = pytest.mark.parametrize(
    "measure", [background_uniformity, plain_background_share], ids=["pixels", "tiles"]
)


@BOTH_MEASURES
def test_plain_background_scores_high_even_with_sensor_noise(measure: Measure) -> None:
    rng = np.random.default_rng(7)
    plain = np.full((450, 350, 3), 225, np.uint8)
    noisy = np.clip(plain.astype(int) + rng.normal(0, 6, plain.shape), 0, 255).astype(np.uint8)
    assert measure(portrait(plain)) >= 0.95
    assert measure(portrait(noisy)) >= PHOTO_MIN_BACKGROUND_UNIFORMITY


@BOTH_MEASURES
def test_busy_background_scores_low(measure: Measure) -> None:
    rng = np.random.default_rng(7)
    # a room behind the person: large patches of unrelated colours
    busy = np.full((450, 350, 3), 200, np.uint8)
    for _ in range(40):
        x, y = (int(v) for v in rng.integers(0, 350, 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        cv2.rectangle(busy, (x, y), (x + 60, y + 90), colour, -1)
    stripes = np.zeros((450, 350, 3), np.uint8)
    stripes[:, ::40] = 255
    stripes = cv2.dilate(stripes, np.ones((1, 15), np.uint8))
    assert measure(portrait(busy)) < PHOTO_MIN_BACKGROUND_UNIFORMITY
    assert measure(portrait(stripes)) < PHOTO_MIN_BACKGROUND_UNIFORMITY


def test_plain_wall_lit_from_one_side_is_plain() -> None:
    height, width = 450, 350
    across = np.linspace(180, 245, width)[np.newaxis, :, np.newaxis]
    down = np.linspace(0, -15, height)[:, np.newaxis, np.newaxis]
    wall = np.broadcast_to(across + down, (height, width, 3)).astype(np.uint8).copy()
    assert plain_background_share(portrait(wall)) >= 0.95
    assert background_uniformity(portrait(wall)) < 0.5  # one median colour cannot fit it


@pytest.mark.parametrize("seed", range(6))
def test_wallpaper_of_thin_lines_is_not_plain(seed: int) -> None:
    from fixtures.generator.templates.misc import draw_face

    rng = np.random.default_rng(seed)
    assert plain_background_share(np.asarray(draw_face(rng, plain=False))) < (
        PHOTO_MIN_BACKGROUND_UNIFORMITY
    )
    assert plain_background_share(np.asarray(draw_face(rng))) >= 0.95


@BOTH_MEASURES
def test_grayscale_and_tiny_images(measure: Measure) -> None:
    assert measure(np.full((100, 80), 200, np.uint8)) == 1.0
    with pytest.raises(ValueError):
        measure(np.zeros((4, 4), np.uint8))


# Generated identity photos whose face the cascade misses on the plain grey
# image (tones too close); found on the equalised one.
LOW_CONTRAST_FACE_SEEDS = (3, 25, 38)


@pytest.mark.parametrize("seed", LOW_CONTRAST_FACE_SEEDS)
def test_low_contrast_face_is_counted(seed: int, tmp_path: Path) -> None:
    from PIL import Image

    from fixtures.generator.api import generate_document
    from pipeline.read.signals import count_faces

    doc = generate_document("id_photo", tmp_path, seed=seed)
    with Image.open(tmp_path / doc.files[0].path) as image:
        grey = np.asarray(image.convert("L"))
    assert count_faces(grey)[0] == 1


def test_no_face_on_a_page_of_text() -> None:
    from pipeline.read.signals import count_faces

    page = np.full((1200, 900), 245, np.uint8)
    for row in range(60, 1150, 28):
        cv2.putText(page, "Quittance de loyer du mois de mars", (50, row), 0, 0.7, 30, 2)
    assert count_faces(page) == (0, 0.0)


def test_only_a_page_with_little_text_gets_the_second_look(tmp_path: Path) -> None:
    from PIL import Image

    from fixtures.generator.api import generate_document
    from pipeline.read.signals import SECOND_LOOK_MAX_LETTERS, measure_signals

    doc = generate_document("id_photo", tmp_path, seed=LOW_CONTRAST_FACE_SEEDS[0])
    with Image.open(tmp_path / doc.files[0].path) as image:
        photo = np.asarray(image.convert("RGB"))
    assert measure_signals(photo, "").faces == 1
    # The same image said to carry a page of text: one cascade run, as any text page.
    text = "Quittance de loyer du mois de mars " * 20
    assert sum(c.isalpha() for c in text) >= SECOND_LOOK_MAX_LETTERS
    assert measure_signals(photo, text).faces == 0


# --- portrait look: faces the Haar cascade misses on both the grey and the equalised image ---

# Generated identity photos (generate_document("id_photo", seed=...)) of dark
# skin under light-brown hair: the tones are close, and before the local-contrast
# look none of them had a face (three clean dossiers of the seed-770000 run went
# to review that way).
PORTRAIT_LOOK_SEEDS = (89, 117, 140)  # tight crop, booth, studio


def require_portrait_cascade() -> None:
    """Skip locally when Debian's opencv-data is missing, fail in CI."""
    import os

    from pipeline.read.signals import _portrait_detector

    if _portrait_detector() is None:
        reason = "the LBP face cascade is missing (apt-get install opencv-data)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def generated_photo(tmp_path: Path, seed: int) -> np.ndarray:
    from PIL import Image

    from fixtures.generator.api import generate_document

    doc = generate_document("id_photo", tmp_path, seed=seed)
    with Image.open(tmp_path / doc.files[0].path) as image:
        return np.asarray(image.convert("RGB"))


@pytest.mark.parametrize("seed", PORTRAIT_LOOK_SEEDS)
def test_face_found_only_by_the_portrait_look_is_counted(seed: int, tmp_path: Path) -> None:
    from pipeline.read.signals import count_faces, find_portrait_faces

    require_portrait_cascade()
    grey = cv2.cvtColor(generated_photo(tmp_path, seed), cv2.COLOR_RGB2GRAY)
    equalised = cv2.equalizeHist(grey)
    assert count_faces(grey, second_look=False) == (0, 0.0)
    assert count_faces(equalised, second_look=False) == (0, 0.0)
    assert len(find_portrait_faces(grey)) == 1
    faces, largest = count_faces(grey)
    assert faces == 1
    assert largest > 0.05  # a portrait-sized face, as the classifier expects


def faceless_head(tmp_path: Path, seed: int) -> np.ndarray:
    """A generated identity photo whose face is painted over with a flat oval: no eyes, no mouth."""
    photo = generated_photo(tmp_path, seed).copy()
    height, width = photo.shape[:2]
    centre = (width // 2, int(height * 0.47))
    axes = (int(width * 0.27), int(height * 0.27))
    flat = tuple(int(v) for v in photo[int(height * 0.47), int(width * 0.2)])
    cv2.ellipse(photo, centre, axes, 0, 0, 360, flat, -1)
    return photo


@pytest.mark.parametrize("seed", PORTRAIT_LOOK_SEEDS)
def test_no_face_on_a_head_without_a_face_or_a_plain_wall(seed: int, tmp_path: Path) -> None:
    from pipeline.read.signals import count_faces

    require_portrait_cascade()
    head = cv2.cvtColor(faceless_head(tmp_path, seed), cv2.COLOR_RGB2GRAY)
    assert count_faces(head)[0] == 0
    rng = np.random.default_rng(seed)
    wall = np.clip(rng.normal(200, 8, (640, 600)), 0, 255).astype(np.uint8)
    assert count_faces(wall)[0] == 0


def test_two_people_side_by_side_are_two_faces() -> None:
    from fixtures.generator.templates.misc import draw_face
    from pipeline.read.signals import count_faces

    rng = np.random.default_rng(4)
    pair = np.concatenate([np.asarray(draw_face(rng)), np.asarray(draw_face(rng))], axis=1)
    assert count_faces(cv2.cvtColor(pair, cv2.COLOR_RGB2GRAY))[0] == 2


def test_busy_background_behind_a_found_face_is_still_refused() -> None:
    from fixtures.generator.templates.misc import draw_face
    from pipeline.read.signals import measure_signals

    require_portrait_cascade()
    busy = np.asarray(draw_face(np.random.default_rng(117), plain=False))
    signals = measure_signals(busy, "")
    assert signals.faces == 1
    assert signals.plain_background is not None
    assert signals.plain_background < PHOTO_MIN_BACKGROUND_UNIFORMITY


def test_distinct_boxes_keeps_one_box_per_face() -> None:
    from pipeline.read.signals import _distinct_boxes

    same_face = [(100, 100, 80, 80), (104, 98, 90, 90), (300, 100, 80, 80)]
    assert _distinct_boxes(same_face) == [(104, 98, 90, 90), (300, 100, 80, 80)]


def test_the_photo_rule_measures_the_tiled_background_when_it_was_measured() -> None:
    from pipeline.rules.analysis import photo_measurement
    from pipeline.types import PageReading, PageSignals, PieceReading, Quality, TextSource

    def reading(plain: float | None) -> PieceReading:
        signals = PageSignals(
            aspect_ratio=0.78,
            colourfulness=20.0,
            ink_ratio=0.1,
            faces=1,
            background_uniformity=0.4,
            plain_background=plain,
        )
        page = PageReading(
            n=1,
            text_source=TextSource.OCR,
            text="",
            confidence=0.0,
            quality=Quality(blur=500.0, dpi=300.0, contrast=0.6, blank=False),
            width_px=413,
            height_px=531,
            signals=signals,
        )
        return PieceReading(sha256="0" * 64, pages=[page])

    measured = photo_measurement(reading(0.97))
    assert measured is not None and measured.background_uniformity == 0.97
    older = photo_measurement(reading(None))  # a reading cached before the tiled measure
    assert older is not None and older.background_uniformity == 0.4
