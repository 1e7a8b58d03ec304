"""MRZ parsing and checks: composed lines, OCR-noise variants, real OCR of a rendered band."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from fixtures.mrz_compose import (
    MrzHolder,
    compose_fr_cni_old,
    compose_td1,
    compose_td2,
    compose_td3,
)
from pipeline.codes.mrz.checks import check_digit
from pipeline.codes.mrz.find import find_mrz
from pipeline.codes.mrz.formats import MrzFormat
from pipeline.codes.mrz.parse import parse_mrz
from pipeline.codes.validity import fr_cni_old_expiry
from pipeline.fields import FieldName
from pipeline.read.ocr import ocr_page
from pipeline.read.signals import mrz_lines_of_page
from pipeline.types import TextSource
from tests.conftest import require_tool

AS_OF = date(2025, 6, 1)


class Holder(MrzHolder):
    expiry_date: date


HOLDER: Holder = {
    "surname": "DUPONT-MARTIN",
    "given_names": "ANNE MARIE",
    "sex": "F",
    "birth_date": date(1984, 2, 29),
    "expiry_date": date(2031, 7, 14),
}


def _td3() -> list[str]:
    return compose_td3(document_number="21AB12345", **HOLDER)


def _td1(document_number: str = "X4RTBPFW4") -> list[str]:
    return compose_td1(document_number=document_number, **HOLDER)


def test_check_digit_matches_icao_example() -> None:
    # ICAO 9303-3 worked example: document number L898902C3 has check digit 6.
    assert check_digit("L898902C3") == 6
    assert check_digit("740812") == 2


def test_icao_specimen_passport_parses_valid() -> None:
    reading = parse_mrz(
        [
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
        ],
        as_of=date(2010, 1, 1),
    )
    assert reading.valid
    assert (reading.surname, reading.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert (reading.birth_date, reading.expiry_date) == ("1974-08-12", "2012-04-15")


@pytest.mark.parametrize(
    ("lines", "fmt"),
    [
        (_td3(), MrzFormat.TD3),
        (compose_td2(document_number="AB1234567", **HOLDER), MrzFormat.TD2),
        (_td1(), MrzFormat.TD1),
    ],
)
def test_composed_icao_formats_round_trip(lines: list[str], fmt: MrzFormat) -> None:
    reading = parse_mrz(lines, as_of=AS_OF)
    assert reading.format is fmt
    assert reading.valid, reading.checks
    assert reading.surname == "DUPONT MARTIN"
    assert reading.given_names == "ANNE MARIE"
    assert reading.birth_date == "1984-02-29"
    assert reading.expiry_date == "2031-07-14"
    assert reading.sex == "F"
    assert reading.nationality == "FRA"


def test_old_french_card_parses_with_estimated_expiry() -> None:
    lines = compose_fr_cni_old(
        document_number="080575004242",  # issued May 2008, Paris, sequence 4242
        office="750123",
        surname="MOREAU",
        given_names="LUC ANDRE",
        birth_date=date(1975, 6, 7),
        sex="M",
    )
    reading = parse_mrz(lines, as_of=AS_OF)
    assert reading.format is MrzFormat.FR_CNI_OLD
    assert reading.valid, reading.checks
    assert reading.document_number == "080575004242"
    assert (reading.surname, reading.given_names) == ("MOREAU", "LUC ANDRE")
    assert reading.issue_date == "2008-05-01"
    # Issued in 2008 to an adult: 15 years, to the end of the month.
    assert reading.expiry_date == "2023-05-31"
    assert reading.expiry_estimated


def test_old_french_card_validity_rules() -> None:
    adult_2008 = fr_cni_old_expiry(date(2008, 5, 1), date(1975, 6, 7))
    minor_2008 = fr_cni_old_expiry(date(2008, 5, 1), date(1995, 6, 7))
    # From 2014 on, cards issued to adults are printed valid for 15 years.
    adult_2015 = fr_cni_old_expiry(date(2015, 1, 1), date(1975, 6, 7))
    minor_2015 = fr_cni_old_expiry(date(2015, 1, 1), date(2000, 6, 7))
    adult_2003 = fr_cni_old_expiry(date(2003, 5, 1), date(1975, 6, 7))
    assert (adult_2008, minor_2008, adult_2015, minor_2015, adult_2003) == (
        date(2023, 5, 31),
        date(2018, 5, 31),
        date(2030, 1, 31),
        date(2025, 1, 31),
        date(2013, 5, 31),
    )


def test_ocr_noise_is_repaired() -> None:
    line1, line2 = _td3()
    noisy1 = line1.replace("<<", "«<", 1)[:-3] + "KKK"  # trailing fillers dropped or read K
    noisy2 = line2[:10] + line2[10:].replace("0", "O").replace("1", "I")  # letters for digits
    noisy2 = noisy2[:10] + " " + noisy2[10:] + "<"  # a space inside, one character too many
    text = f"RÉPUBLIQUE FRANÇAISE\nPASSEPORT\n{noisy1}\n\n{noisy2}\n"
    reading = find_mrz(text, as_of=AS_OF)
    assert reading is not None
    assert reading.valid, (reading.lines, reading.checks)
    assert reading.document_number == "21AB12345"
    assert reading.given_names == "ANNE MARIE"


def test_fillers_read_as_k_at_the_end_of_optional_data_are_fillers() -> None:
    # Nine 'K' add a multiple of 10 to the weighted sum: the check digits pass either way.
    lines = _td1()
    assert lines[0].endswith("<" * 9)
    noisy = [lines[0][:-9] + "K" * 9, *lines[1:]]
    reading = find_mrz("\n".join(noisy), as_of=AS_OF)
    assert reading is not None and reading.valid
    assert reading.lines[0] == lines[0]
    # Optional data that really ends in letters after a filler keeps them.
    kept = parse_mrz([lines[0][:-9] + "<<<<<<ABC", *lines[1:]], as_of=AS_OF)
    assert kept.lines[0].endswith("ABC")


def test_document_number_confusion_resolved_by_check_digit() -> None:
    lines = _td1("X4RTB0FW1")
    lines[0] = lines[0][:10] + "O" + lines[0][11:13] + "I" + lines[0][14:]
    reading = parse_mrz(lines, as_of=AS_OF)
    assert reading.document_number == "X4RTB0FW1"
    assert reading.valid


@pytest.mark.parametrize(
    ("position", "check"),
    [(9, "document_number"), (19, "birth_date"), (27, "expiry_date"), (43, "composite")],
)
def test_broken_check_digit_is_reported(position: int, check: str) -> None:
    line1, line2 = _td3()
    wrong = str((int(line2[position]) + 1) % 10)
    reading = parse_mrz([line1, line2[:position] + wrong + line2[position + 1 :]], as_of=AS_OF)
    assert not reading.valid
    assert check in reading.failed_checks
    fields = reading.to_fields(page=1)
    assert all(f.evidence.confidence < 1.0 for f in fields)


def test_tampered_birth_date_breaks_its_check_and_the_composite() -> None:
    line1, line2 = _td3()
    tampered = line2[:13] + "9" + line2[14:]  # 1984 -> 1994, check digits kept
    reading = parse_mrz([line1, tampered], as_of=AS_OF)
    assert {"birth_date", "composite"} <= set(reading.failed_checks)


def test_fields_carry_mrz_evidence() -> None:
    fields = {f.name: f for f in parse_mrz(_td3(), as_of=AS_OF).to_fields(page=2)}
    assert fields[FieldName.DOCUMENT_NUMBER].value == "21AB12345"
    assert fields[FieldName.EXPIRY_DATE].value == "2031-07-14"
    evidence = fields[FieldName.LAST_NAME].evidence
    assert (evidence.source, evidence.confidence, evidence.page) == (TextSource.MRZ, 1.0, 2)


def test_two_digit_years() -> None:
    holder: Holder = {**HOLDER, "birth_date": date(1940, 1, 2), "expiry_date": date(2044, 1, 1)}
    lines = compose_td3(document_number="21AB12345", **holder)
    reading = parse_mrz(lines, as_of=AS_OF)
    assert (reading.birth_date, reading.expiry_date) == ("1940-01-02", "2044-01-01")


def test_text_without_mrz_gives_none() -> None:
    assert find_mrz("FACTURE EDF\nMONTANT TTC 42,00 EUR\n", as_of=AS_OF) is None


_FONTS = [
    Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf"),  # Debian fonts-ocr-b
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),
]


def _render_card(lines: list[str], font_path: Path) -> np.ndarray:
    font = ImageFont.truetype(str(font_path), 36)
    width = int(max(font.getlength(line) for line in lines)) + 80
    image = Image.new("L", (width, int(width * 0.63)), 255)
    draw = ImageDraw.Draw(image)
    draw.text((40, 40), "CARTE NATIONALE D'IDENTITÉ", font=font, fill=0)
    top = image.height - 54 * len(lines) - 30
    for i, line in enumerate(lines):
        draw.text((40, top + i * 54), line, font=font, fill=0)
    return np.array(image)


@pytest.mark.parametrize("lines", [_td3(), _td1()])
def test_real_ocr_of_rendered_mrz_band(lines: list[str]) -> None:
    require_tool("tesseract")
    font = next((f for f in _FONTS if f.exists()), None)
    if font is None:
        pytest.skip("no monospace font installed")
    # The product's path: page OCR, then the page's MRZ lines (re-read from the
    # band when the page text does not verify), then parsed.
    card = _render_card(lines, font)
    page = ocr_page(card, languages="fra+eng")
    height, width = card.shape
    found = mrz_lines_of_page(
        card, page.text, width / height, from_ocr=True, faces=0, upright=card, words=page.words
    )
    reading = parse_mrz(found, as_of=AS_OF)
    assert reading.valid, (reading.lines, reading.checks)
    assert reading.birth_date == "1984-02-29"
