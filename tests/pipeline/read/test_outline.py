"""Phone photos: the document's outline found and cut out; text a layout pass dropped."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.read.coverage import MISSED_TEXT_SHARE, dropped_text, missed_text_share
from pipeline.read.ocr import ocr_page, with_missed_lines
from pipeline.read.outline import cut_out, find_outlines, flatten_outline
from pipeline.read.preprocess import binarise, dark_region_mask, invert_banners, prepare_for_ocr

CARD_W, CARD_H = 856, 540  # an ID-1 card at about 250 dpi


def card(banner: str = "CARTE NATIONALE D'IDENTITE") -> np.ndarray:
    """A light card with a dark title banner along its top edge and a few fields."""
    face = np.full((CARD_H, CARD_W), 225, np.uint8)
    face[:70] = 35
    cv2.putText(face, banner, (40, 48), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 240, 2, cv2.LINE_AA)
    for row, text in enumerate(["NOM MARTIN", "PRENOMS Louise Anne", "NE LE 12 03 1990"]):
        origin = (60, 170 + 80 * row)
        cv2.putText(face, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 1.1, 30, 2, cv2.LINE_AA)
    return face


def photographed(face: np.ndarray, corners: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`face` seen in perspective at `corners` on a textured brown table."""
    rng = np.random.default_rng(5)
    height, width = size
    table = cv2.GaussianBlur(rng.integers(60, 120, (height, width)).astype(np.uint8), (5, 5), 0)
    source = np.float32(
        [[0, 0], [face.shape[1], 0], [face.shape[1], face.shape[0]], [0, face.shape[0]]]
    )
    matrix = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    warped = cv2.warpPerspective(face, matrix, (width, height))
    inside = cv2.warpPerspective(np.full(face.shape, 255, np.uint8), matrix, (width, height)) > 0
    photo = np.where(inside, warped, table)
    return np.clip(photo + rng.normal(0, 4, photo.shape), 0, 255).astype(np.uint8)


TILTED = np.array([[310, 240], [1190, 300], [1160, 860], [270, 800]], np.float32)


def test_card_outline_is_found_in_perspective_on_a_textured_table() -> None:
    photo = photographed(card(), TILTED, (1100, 1500))
    outlines = find_outlines(photo)
    assert len(outlines) == 1
    corners = outlines[0]
    # Clockwise from top-left, each within a few pixels of the truth.
    assert np.abs(corners - TILTED).max() <= 8
    flat = flatten_outline(photo, corners)
    assert flat.shape[1] / flat.shape[0] == pytest.approx(CARD_W / CARD_H, rel=0.08)


def test_cut_card_keeps_its_title_banner_readable() -> None:
    # The banner touches the table: whitening the surroundings used to take it
    # away with the table, and the title says which document this is.
    photo = photographed(card(), TILTED, (1100, 1500))
    prepared = prepare_for_ocr(photo, dpi=200.0)
    text = ocr_page(prepared.image, "eng", try_inverted=False).text.upper()
    assert "NATIONALE" in text
    assert "MARTIN" in text


def test_page_filling_the_frame_has_no_outline() -> None:
    scan = np.full((1400, 1000), 240, np.uint8)
    for row in range(10):
        cv2.putText(
            scan, "Facture du 3 mars", (80, 120 + 110 * row), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 20, 2
        )
    assert find_outlines(scan) == []


def test_document_darker_than_its_surroundings_is_not_cut_out() -> None:
    # A grey card photocopied on a white A4 page: the page is the document.
    page = np.full((1400, 1000), 250, np.uint8)
    page[300:700, 200:800] = 190
    assert find_outlines(page) == []


def test_both_sides_photographed_together_are_cut_out_one_under_the_other() -> None:
    top = np.array([[100, 80], [900, 110], [890, 610], [95, 590]], np.float32)
    bottom = np.array([[120, 800], [920, 790], [925, 1295], [125, 1300]], np.float32)
    photo = photographed(card(), top, (1500, 1000))
    photo[700:] = photographed(card("AUTRE FACE"), bottom, (1500, 1000))[700:]
    outlines = find_outlines(photo)
    assert len(outlines) == 2
    assert np.abs(outlines[0] - top).max() <= 8 and np.abs(outlines[1] - bottom).max() <= 8
    both = cut_out(photo, outlines)
    assert both.shape[0] > 2 * flatten_outline(photo, outlines[0]).shape[0]
    text = ocr_page(prepare_for_ocr(photo, dpi=200.0).image, "eng", try_inverted=False).text
    assert text.upper().index("NATIONALE") < text.upper().index("AUTRE FACE")


def text_block_page() -> np.ndarray:
    page = np.full((1200, 1600), 245, np.uint8)
    lines = ["Assure Louise MARTIN", "12 rue des Lilas", "75011 Paris"]
    for row, text in enumerate(lines):
        cv2.putText(
            page, text, (100, 150 + 70 * row), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 20, 3, cv2.LINE_AA
        )
    lower = [
        "Date edition 1 novembre 2026",
        "Contrat 4471 habitation",
        "Periode du 1 novembre 2026",
    ]
    for row, text in enumerate([*lower, "au 31 octobre 2027 inclus"]):
        cv2.putText(
            page, text, (100, 800 + 70 * row), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 20, 3, cv2.LINE_AA
        )
    return page


def test_words_left_out_of_a_read_are_measured_and_read_back() -> None:
    page = text_block_page()
    top_only = page.copy()
    top_only[600:] = 245
    # A read that dropped the lower block, as psm 3 sometimes does.
    partial = ocr_page(top_only, "eng")
    assert "MARTIN" in partial.text and "novembre" not in partial.text
    assert missed_text_share(page, partial.words) > MISSED_TEXT_SHARE
    assert dropped_text(page, partial.words)
    whole = ocr_page(page, "eng")
    assert missed_text_share(page, whole.words) < MISSED_TEXT_SHARE
    assert not dropped_text(page, whole.words)

    completed = with_missed_lines(page, partial, "eng")
    assert completed.text.startswith(partial.text)  # the first read keeps its lines
    assert "novembre 2026" in completed.text
    assert completed.text.count("MARTIN") == 1  # what was read is not added twice
    assert len(completed.words) > len(partial.words)


def test_nothing_missed_leaves_the_read_as_it_is() -> None:
    page = text_block_page()
    whole = ocr_page(page, "eng")
    assert with_missed_lines(page, whole, "eng") == whole


def test_a_face_is_no_dropped_text() -> None:
    # A few dozen letter-like blobs (eyes, hair) and no word read: nothing to re-read.
    photo = np.full((800, 600), 200, np.uint8)
    cv2.ellipse(photo, (300, 380), (150, 200), 0, 0, 360, 150, -1)
    for x in (240, 360):
        cv2.circle(photo, (x, 330), 14, 40, -1)
    cv2.ellipse(photo, (300, 470), (50, 14), 0, 0, 360, 80, -1)
    assert missed_text_share(photo, []) > MISSED_TEXT_SHARE
    assert not dropped_text(photo, [])


def test_light_grey_card_on_white_paper_is_no_banner_but_a_dark_one_is() -> None:
    # A card photocopied alone on A4: Otsu's threshold falls between the white
    # page and the card's light tint, so the tint looks like a solid dark area.
    page = np.full((1754, 1240), 250, np.uint8)
    page[100:640, 100:956] = 236
    cv2.putText(page, "27 05 2021", (150, 200), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 25, 1)
    noise = np.random.default_rng(2).normal(0, 5, page.shape)
    scanned = np.clip(page + noise, 0, 255).astype(np.uint8)
    assert dark_region_mask(binarise(scanned), 150.0).any()  # by its threshold alone
    assert not dark_region_mask(binarise(scanned), 150.0, grey=scanned).any()
    page[100:170, 100:956] = 35  # a title banner along the card's top
    cv2.putText(page, "TITRE DE SEJOUR", (150, 150), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 240, 2)
    scanned = np.clip(page + noise, 0, 255).astype(np.uint8)
    mask = dark_region_mask(binarise(scanned), 150.0, grey=scanned)
    assert mask[110:160, 120:900].mean() > 0.9
    assert not mask[200:640].any()


def test_a_banner_rim_turns_white_not_into_a_rule_over_the_next_row() -> None:
    # A dark table header (ground 60) with blurred edges, on white paper, and a mask
    # drawn on a 4x smaller copy that overshoots the header by 3 px of paper.
    page = np.full((200, 400), 250, np.uint8)
    page[50:90, 20:380] = 60
    page = cv2.GaussianBlur(page, (0, 0), 1.5)
    mask = np.zeros(page.shape, bool)
    mask[47:93, 17:383] = True
    out = invert_banners(page, mask, 300.0)
    # inside, the header's ground is inverted to a light tone, as before
    assert 180 < int(np.median(out[60:80, 40:360])) < 200
    # its rim and the overshoot are paper: no dark rule above or below the header
    for row in (*range(45, 53), *range(87, 95)):
        assert out[row, 40:360].min() >= 200, row
    # plain inversion, as it was, drew one
    plain = page.copy()
    plain[mask] = 255 - page[mask]
    assert plain[90:93, 40:360].min() < 50
