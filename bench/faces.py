"""Face counting on generated identity photos: how often is the one face found?

    .venv/bin/python -m bench.faces [--seeds 0:300] [--pairs 30]

a) one generated identity photo per seed (`generate_document("id_photo",
   seed=...)`: every template, skin tone and framing the generator draws):
   how many have exactly one face by `count_faces`, and which looks found it
   (grey, equalised, portrait look on the local-contrast image);
b) photos that must not count one face: generated photos with the face painted
   over, plain walls with sensor noise, pages of text (want 0), and two
   generated photos side by side (want 2).
Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from fixtures.generator.api import generate_document
from fixtures.generator.templates.misc import draw_face
from pipeline.read.signals import FACE_WIDTH_PX, count_faces, find_portrait_faces


def photo_grey(folder: Path, seed: int) -> tuple[str, np.ndarray]:
    doc = generate_document("id_photo", folder, seed=seed, name="photo")
    with Image.open(folder / doc.files[0].path) as image:
        return doc.template_id, np.asarray(image.convert("L"))


def which_look(grey: np.ndarray) -> str:
    """The first look that finds a face, as `count_faces` tries them (on its copy)."""
    scale = min(1.0, FACE_WIDTH_PX / grey.shape[1])
    grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if count_faces(grey, second_look=False)[0] > 0:
        return "grey"
    if count_faces(cv2.equalizeHist(grey), second_look=False)[0] > 0:
        return "equalised"
    return "portrait" if len(find_portrait_faces(grey)) > 0 else "none"


def faceless(seed: int) -> Iterator[tuple[str, np.ndarray, int]]:
    rng = np.random.default_rng(seed)
    photo = np.asarray(draw_face(rng).convert("L")).copy()
    height, width = photo.shape
    flat = int(photo[int(height * 0.47), int(width * 0.2)])
    cv2.ellipse(photo, (width // 2, 250), (110, 140), 0, 0, 360, flat, -1)
    yield "face painted over", photo, 0
    wall = np.clip(rng.normal(rng.integers(150, 250), 8, (531, 413)), 0, 255)
    yield "plain wall", wall.astype(np.uint8), 0
    page = np.full((1100, 850), 245, np.uint8)
    for row in range(60, 1050, 30):
        cv2.putText(page, "Facture n 12345 du mois de mars", (40, row), 0, 0.6, 30, 1 + seed % 2)
    yield "page of text", page, 0
    pair = np.concatenate([np.asarray(draw_face(rng).convert("L")) for _ in range(2)], axis=1)
    yield "two people", pair, 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0:300", help="first:last (exclusive) photo seeds")
    parser.add_argument("--pairs", type=int, default=30, help="seeds of the refusal cases")
    args = parser.parse_args()
    first, last = (int(v) for v in args.seeds.split(":"))
    looks: Counter[str] = Counter()
    misses: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(first, last):
            template, grey = photo_grey(Path(tmp), seed)
            faces = count_faces(grey)[0]
            looks[which_look(grey)] += 1
            if faces != 1:
                misses.append(f"{seed} ({template}: {faces})")
    total = last - first
    print(f"a) one face on {total - len(misses)} of {total} identity photos (seeds {args.seeds})")
    print(f"   first look that finds it: {dict(looks)}")
    print(f"   not one face: {', '.join(misses) or 'none'}")
    right: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for seed in range(args.pairs):
        for name, grey, wanted in faceless(seed):
            seen[name] += 1
            right[name] += count_faces(grey)[0] == wanted
    for name in seen:
        print(f"b) {name}: right count on {right[name]} of {seen[name]} (seeds 0:{args.pairs})")


if __name__ == "__main__":
    main()
