"""Calibrated legibility thresholds: generated unreadable scans are always flagged, clean ones not.

Unreadable scans are read for real (tesseract): their OCR confidence is what
gives them away, as bench/legibility.py measured. Clean scans and photos are
measured by `pipeline.read.legibility` with an OCR confidence set by hand, so that
the image figures are shown not to flag them on their own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.generator.api import generate_document
from fixtures.generator.model import Defect, Rendering
from pipeline.intake.inspection import sniff
from pipeline.read.legibility import measure_quality
from pipeline.read.pages import iter_page_images
from pipeline.read.piece import ReadOptions, read_piece
from pipeline.rules.analysis import MIN_OCR_CONFIDENCE, legibility_checks, photo_sharpness_checks
from pipeline.rules.checks import CheckCode, CheckStatus
from pipeline.settings import Limits
from pipeline.types import Box, PageReading, Quality, TextSource, Word
from tests.conftest import require_tool


def _qualities(
    tmp_path: Path, doc_type: str, rendering: Rendering, defect: Defect | None, seed: int
) -> list[Quality]:
    doc = generate_document(doc_type, tmp_path, seed=seed, rendering=rendering, defect=defect)
    qualities = []
    for file in doc.files:
        path = tmp_path / file.path
        qualities += [measure_quality(p.image, p.dpi) for p in iter_page_images(path, sniff(path))]
    return qualities


def _page(quality: Quality, confidence: float) -> PageReading:
    words = [Word(text="lu", box=Box(x0=0.1, y0=0.1, x1=0.2, y1=0.12), confidence=confidence)]
    return PageReading(
        n=1,
        text_source=TextSource.OCR,
        text="texte lu" if confidence else "",
        words=words if confidence else [],
        confidence=confidence,
        quality=quality,
        width_px=1000,
        height_px=1400,
    )


@pytest.mark.slow
@pytest.mark.parametrize(("doc_type", "seed"), [("identity_card", 32)])
def test_a_generated_unreadable_scan_is_flagged_on_every_page(
    tmp_path: Path, doc_type: str, seed: int
) -> None:
    require_tool("tesseract")
    doc = generate_document(
        doc_type, tmp_path, seed=seed, rendering=Rendering.SCAN, defect=Defect.UNREADABLE
    )
    for file in doc.files:
        reading = read_piece(tmp_path / file.path, ReadOptions(limits=Limits(), languages="fra"))
        if reading.error is not None:
            continue  # refused outright (OCR_FAILED): unreadable, never accepted either
        checks = legibility_checks(reading.pages)
        assert len(checks) == len(reading.pages) > 0
        assert all(c.code is CheckCode.LEGIBILITY_LOW for c in checks)
        assert all(c.status is CheckStatus.DOUBT for c in checks)


@pytest.mark.parametrize(
    ("doc_type", "rendering", "seed"),
    [
        ("proof_of_address", Rendering.SCAN, 41),
        ("bank_details", Rendering.PHOTO, 42),
        ("tax_notice", Rendering.PHOTO, 43),
        ("identity_card", Rendering.SCAN, 44),
    ],
)
def test_clean_scans_and_photos_read_with_confidence_are_not_flagged(
    tmp_path: Path, doc_type: str, rendering: Rendering, seed: int
) -> None:
    for quality in _qualities(tmp_path, doc_type, rendering, None, seed):
        assert legibility_checks([_page(quality, confidence=0.9)]) == []


def test_a_sharp_page_read_with_low_confidence_is_flagged() -> None:
    sharp = Quality(blur=2.0, dpi=300, contrast=0.8, blank=False)
    page = _page(sharp, confidence=MIN_OCR_CONFIDENCE - 0.05)
    [check] = legibility_checks([page])
    assert "lecture incertaine" in check.officer_message
    confident = page.model_copy(update={"confidence": MIN_OCR_CONFIDENCE + 0.05})
    assert legibility_checks([confident]) == []


def test_low_confidence_is_no_doubt_on_a_page_whose_mrz_verified() -> None:
    sharp = Quality(blur=2.0, dpi=300, contrast=0.8, blank=False)
    page = _page(sharp, confidence=MIN_OCR_CONFIDENCE - 0.2)
    assert legibility_checks([page], machine_read=frozenset({1})) == []
    # Another page's MRZ does not vouch for this one, nor does it hide a blur.
    assert len(legibility_checks([page], machine_read=frozenset({2}))) == 1
    blurred = _page(Quality(blur=0.01, dpi=300, contrast=0.8, blank=False), confidence=0.3)
    [check] = legibility_checks([blurred], machine_read=frozenset({1}))
    assert "flou" in check.officer_message and "lecture incertaine" not in check.officer_message


def test_only_an_mrz_verified_as_read_vouches_for_its_page() -> None:
    from datetime import date

    from fixtures.mrz_compose import compose_td1
    from pipeline.codes.mrz.parse import parse_mrz
    from pipeline.extract import ExtractedFields
    from pipeline.rules.analysis import verified_mrz_pages

    lines = compose_td1(
        document_number="X4RTBPFW4",
        surname="MARTIN",
        given_names="ANNE",
        birth_date=date(1990, 5, 17),
        expiry_date=date(2031, 5, 16),
        sex="F",
    )
    as_of = date(2026, 11, 26)
    verified = parse_mrz(lines, as_of=as_of)
    assert verified.valid and verified.corrections == 0
    assert verified_mrz_pages(ExtractedFields(mrz=verified, mrz_page=2)) == {2}
    corrected = verified.model_copy(update={"corrections": 1})
    assert verified_mrz_pages(ExtractedFields(mrz=corrected, mrz_page=2)) == frozenset()
    broken = parse_mrz([lines[0], lines[1][:-1] + "9", lines[2]], as_of=as_of)
    assert not broken.valid
    assert verified_mrz_pages(ExtractedFields(mrz=broken, mrz_page=2)) == frozenset()


def test_a_page_with_ink_but_no_word_read_is_flagged() -> None:
    inked = Quality(blur=1.0, dpi=200, contrast=0.3, blank=False)
    [check] = legibility_checks([_page(inked, confidence=0.0)])
    assert "aucun texte lu" in check.officer_message
    blank = Quality(blur=0.0, dpi=200, contrast=0.1, blank=True)
    [check] = legibility_checks([_page(blank, confidence=0.0)])
    assert "page blanche" in check.officer_message


@pytest.mark.parametrize("seed", [51, 52])
def test_a_blurred_identity_photo_is_a_doubt_and_a_sharp_one_passes(
    tmp_path: Path, seed: int
) -> None:
    sharp = _qualities(tmp_path / "sharp", "id_photo", Rendering.PHOTO, None, seed)
    assert photo_sharpness_checks([_page(q, confidence=0.0) for q in sharp]) == []
    blurred = _qualities(tmp_path / "blur", "id_photo", Rendering.PHOTO, Defect.UNREADABLE, seed)
    [check] = photo_sharpness_checks([_page(q, confidence=0.0) for q in blurred])
    assert (check.code, check.status) == (CheckCode.LEGIBILITY_LOW, CheckStatus.DOUBT)
    assert "photo floue" in check.officer_message


@pytest.mark.parametrize("seed", [61, 62])
def test_a_card_verso_copied_alone_on_a4_is_not_blank(tmp_path: Path, seed: int) -> None:
    doc = generate_document(
        "identity_card",
        tmp_path,
        seed=seed,
        template_id="identity_card.cni_old",
        rendering=Rendering.SCAN,
        split_sides=True,
    )
    [verso] = [f for f in doc.files if f.side == "verso"]
    path = tmp_path / verso.path
    [page] = list(iter_page_images(path, sniff(path)))
    assert not measure_quality(page.image, page.dpi).blank


def test_an_empty_sheet_with_sensor_noise_is_blank() -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    sheet = np.clip(248 + rng.normal(0, 9, (3508, 2480)), 0, 255).astype(np.uint8)
    assert measure_quality(sheet, 300.0).blank


def test_fields_read_on_an_illegible_page_are_weak_evidence() -> None:
    from pipeline.fields import Evidence, ExtractedField, FieldName
    from pipeline.rules.analysis import weakened_on_illegible_pages

    sharp = Quality(blur=2.0, dpi=300, contrast=0.8, blank=False)
    poor = _page(sharp, confidence=0.5)
    good = _page(sharp, confidence=0.95).model_copy(update={"n": 2})
    checks = legibility_checks([poor, good])
    assert len(checks) == 1

    def field(name: FieldName, page: int, source: TextSource) -> ExtractedField:
        evidence = Evidence(page=page, source=source, confidence=0.97)
        return ExtractedField(name=name, value="Mme", evidence=evidence)

    fields = [
        field(FieldName.HOLDER_NAME, 1, TextSource.OCR),  # a civility read alone, confidently
        field(FieldName.LAST_NAME, 2, TextSource.OCR),
        field(FieldName.EXPIRY_DATE, 1, TextSource.MRZ),
    ]
    weakened = weakened_on_illegible_pages(fields, [poor, good], checks)
    assert [f.evidence.confidence for f in weakened] == [0.5, 0.97, 0.97]
