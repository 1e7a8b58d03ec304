"""Label/value geometry on OCR'd cards, garbled labels, and noisy dates."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.extract import extract_fields
from pipeline.extract.dates import find_dates, parse_date
from pipeline.extract.text import fold
from pipeline.fields import DocType, FieldName
from pipeline.types import Box, PageReading, PieceReading, Quality, TextSource, Word

AS_OF = date(2026, 11, 26)
ROW = 0.03  # height of a text line, page-relative


def word(text: str, x0: float, y0: float) -> Word:
    width = 0.012 * len(text)
    return Word(text=text, box=Box(x0=x0, y0=y0, x1=x0 + width, y1=y0 + ROW * 0.7), confidence=0.8)


def card(cells: list[tuple[str, float, float]], text: str) -> PieceReading:
    """An OCR'd page whose words sit at the given places and whose text is `text`.

    `text` is what layout analysis made of them: labels in one block, values in
    another, as tesseract does on cards.
    """
    words = []
    for phrase, x0, y0 in cells:
        x = x0
        for token in phrase.split():
            words.append(word(token, x, y0))
            x += 0.012 * len(token) + 0.01
    page = PageReading(
        n=1,
        text_source=TextSource.OCR,
        text=text,
        words=words,
        confidence=0.8,
        quality=Quality(blur=50.0, dpi=300.0, contrast=0.8, blank=False),
        width_px=1000,
        height_px=640,
    )
    return PieceReading(sha256="0" * 64, pages=[page])


# Two columns: left "Nom" over "MARTIN", right "Date de naissance" over a date;
# below them "Prénoms" over "Léa, Anne" and "Date d'expiration" over a date.
CELLS = [
    ("NOM / Surname", 0.30, 0.20),
    ("Date de naissance", 0.65, 0.20),
    ("MARTIN", 0.30, 0.235),
    ("14 02 1990", 0.65, 0.235),
    ("Prénoms / Given names", 0.30, 0.30),
    ("Date d'expiration", 0.65, 0.30),
    ("Léa, Anne", 0.30, 0.335),
    ("24.12.2032", 0.65, 0.335),
]
# Labels of a row read as one line, their values as the next one: the line after
# "Date de naissance" is "MARTIN 14 02 1990", and after "NOM" comes a label line.
SPLIT_TEXT = """NOM / Surname Date de naissance
Prénoms / Given names Date d'expiration
MARTIN 14 02 1990
Léa, Anne 24.12.2032"""


def values(reading: PieceReading) -> dict[FieldName, str]:
    found = extract_fields(reading, DocType.IDENTITY_CARD, as_of=AS_OF, trust=None)
    return {name: f.value for name, f in found.fields.items()}


def test_values_printed_under_their_labels_are_read_by_position() -> None:
    got = values(card(CELLS, SPLIT_TEXT))
    assert got[FieldName.LAST_NAME] == "MARTIN"
    assert got[FieldName.FIRST_NAMES] == "Léa, Anne"
    assert got[FieldName.BIRTH_DATE] == "1990-02-14"
    assert got[FieldName.EXPIRY_DATE] == "2032-12-24"


def test_value_under_a_label_has_its_box_as_evidence() -> None:
    found = extract_fields(card(CELLS, SPLIT_TEXT), DocType.IDENTITY_CARD, as_of=AS_OF, trust=None)
    box = found.fields[FieldName.BIRTH_DATE].evidence.box
    assert box is not None and box.x0 == pytest.approx(0.65) and box.y0 == pytest.approx(0.235)


def test_garbled_labels_are_matched_by_similarity() -> None:
    garbled = [
        ("DATE DE NAISSANGE", 0.30, 0.20),
        ("03111967", 0.30, 0.235),
        ("OATE DE DELIVRANOE", 0.65, 0.20),
        ("23 02,2024", 0.65, 0.235),
    ]
    text = "DATE DE NAISSANGE OATE DE DELIVRANOE\n03111967 23 02,2024"
    got = values(card(garbled, text))
    assert got[FieldName.BIRTH_DATE] == "1967-11-03"
    assert got[FieldName.ISSUE_DATE] == "2024-02-23"


def test_fuzzy_labels_are_not_used_on_text_layers() -> None:
    reading = card([("DATE DE NAISSANGE", 0.3, 0.2), ("03 11 1967", 0.3, 0.235)], "")
    page = reading.pages[0].model_copy(
        update={"text_source": TextSource.TEXT_LAYER, "text": "DATE DE NAISSANGE\nx\ny\n03 11 1967"}
    )
    got = values(PieceReading(sha256="0" * 64, pages=[page]))
    assert FieldName.BIRTH_DATE not in got


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22.02 2034", date(2034, 2, 22)),
        ("22,02.2034", date(2034, 2, 22)),
        ("O3 l1 1967", date(1967, 11, 3)),
        ("14 / 02 / 1990", date(1990, 2, 14)),
    ],
)
def test_noisy_date_forms(text: str, expected: date) -> None:
    assert parse_date(text) == expected


def test_compact_dates_only_where_a_date_is_expected_and_real() -> None:
    assert find_dates(fold("03111967")) == []
    assert [f.day for f in find_dates(fold("03111967"), compact=True)] == [date(1967, 11, 3)]
    assert find_dates(fold("31022020"), compact=True) == []  # no 31 February
    assert find_dates(fold("12345678901"), compact=True) == []


def test_receipt_rows_valable_du_au_and_number() -> None:
    text = "Récépissé n° 6FHT4CPUY\nNom BÉNARD\nValable du 2026-02-09\nAu 2027-02-08\n"
    page = card([], text).pages[0].model_copy(update={"text_source": TextSource.TEXT_LAYER})
    got = values(PieceReading(sha256="0" * 64, pages=[page]))
    assert got[FieldName.ISSUE_DATE] == "2026-02-09"
    assert got[FieldName.EXPIRY_DATE] == "2027-02-08"
    assert got[FieldName.DOCUMENT_NUMBER] == "6FHT4CPUY"


def test_names_cut_by_the_mrz_zone_width_are_the_printed_names() -> None:
    from pipeline.extract.authenticity import _same_name

    assert _same_name("Benoît, Emmanuel", "BENOIT EMMANUE", cut=True)
    assert not _same_name("Benoît, Emmanuel", "BENOIT EMMANUE")  # zone not full: not cut
    assert _same_name("L'Hôte", "LHOTE")
    assert not _same_name("Emmanuel", "EMMA")
    assert not _same_name("Dumas", "DAVID")


def test_table_rows_keep_the_value_across_the_column_gap() -> None:
    # A scanned table: label column, value column, one row each.
    cells = [
        ("Nom", 0.10, 0.20),
        ("LEMOINE", 0.50, 0.20),
        ("Prénom", 0.10, 0.235),
        ("Thibaut", 0.50, 0.235),
        ("Date de naissance", 0.10, 0.27),
        ("1996-04-19", 0.50, 0.27),
    ]
    text = "Nom LEMOINE\nPrénom Thibaut\nDate de naissance 1996-04-19"
    got = values(card(cells, text))
    assert got[FieldName.LAST_NAME] == "LEMOINE"
    assert got[FieldName.FIRST_NAMES] == "Thibaut"
    assert got[FieldName.BIRTH_DATE] == "1996-04-19"


def test_value_under_a_label_starts_at_its_leftmost_word_on_a_tilted_scan() -> None:
    # A slightly rotated scan: "ROGER" sits higher than "ATELIER", the line's first word.
    cells = [
        ("Titulaire du compte", 0.10, 0.20),
        ("Domiciliation", 0.55, 0.20),
        ("ATELIER", 0.10, 0.236),
        ("ROGER", 0.194, 0.230),
        ("EURL", 0.264, 0.233),
        ("La Banque Postale", 0.55, 0.222),
    ]
    text = "Titulaire du compte Domiciliation\nATELIER ROGER EURL La Banque Postale\n"
    found = extract_fields(card(cells, text), DocType.BANK_DETAILS, as_of=AS_OF, trust=None)
    assert found.fields[FieldName.ACCOUNT_HOLDER].value == "ATELIER ROGER EURL"
    # Words of the column beside are still no part of it.
    assert "Banque" not in found.fields[FieldName.ACCOUNT_HOLDER].value
