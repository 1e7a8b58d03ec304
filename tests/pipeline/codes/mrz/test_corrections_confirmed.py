"""A look-alike-corrected MRZ vouches for its page only when the printed text confirms
every value the correction changed."""

from __future__ import annotations

from datetime import date

from fixtures.mrz_compose import compose_td3
from pipeline.codes.mrz.parse import corrected_fields, parse_mrz
from pipeline.codes.mrz.reading import MrzReading
from pipeline.extract import ExtractedFields
from pipeline.extract.authenticity import corrections_confirmed
from pipeline.fields import FieldName
from pipeline.rules.analysis import verified_mrz_pages
from tests.support.fieldkit import fields, ocr

AS_OF = date(2026, 11, 26)
NUMBER = "67FZ63089"


def _passport_lines() -> list[str]:
    return compose_td3(
        document_number=NUMBER,
        surname="GONCALVES",
        given_names="MAURICE EUGENE",
        birth_date=date(2002, 11, 2),
        sex="M",
        expiry_date=date(2030, 4, 2),
    )


def _number_read_with_letter_o() -> MrzReading:
    # A passport band re-read gave "67FZ63O89": its check digit accepts only the 0.
    line1, line2 = _passport_lines()
    assert line2[6] == "0"
    reading = parse_mrz([line1, line2[:6] + "O" + line2[7:]], as_of=AS_OF)
    assert reading.valid and reading.corrections == 1 and reading.document_number == NUMBER
    return reading


def test_corrected_fields_are_those_the_correction_changed() -> None:
    assert corrected_fields(_number_read_with_letter_o(), as_of=AS_OF) == {
        FieldName.DOCUMENT_NUMBER
    }
    assert corrected_fields(parse_mrz(_passport_lines(), as_of=AS_OF), as_of=AS_OF) == set()


def test_a_correction_the_printed_number_confirms_vouches_for_the_page() -> None:
    mrz = _number_read_with_letter_o()
    printed = fields(ocr(FieldName.DOCUMENT_NUMBER, NUMBER), ocr(FieldName.LAST_NAME, "GONCALVES"))
    assert corrections_confirmed(printed, mrz, as_of=AS_OF)
    extraction = ExtractedFields(mrz=mrz, mrz_page=1, mrz_corrections_confirmed=True)
    assert verified_mrz_pages(extraction) == {1}


def test_a_correction_nothing_printed_confirms_does_not() -> None:
    mrz = _number_read_with_letter_o()
    other_number = fields(ocr(FieldName.DOCUMENT_NUMBER, "67FZ63O89"))
    no_number = fields(ocr(FieldName.LAST_NAME, "GONCALVES"))
    assert not corrections_confirmed(other_number, mrz, as_of=AS_OF)
    assert not corrections_confirmed(no_number, mrz, as_of=AS_OF)
    extraction = ExtractedFields(mrz=mrz, mrz_page=1, mrz_corrections_confirmed=False)
    assert verified_mrz_pages(extraction) == frozenset()


def test_a_check_digit_correction_has_no_value_to_confirm() -> None:
    # The document number's check digit '7' read as its look-alike '1': the values
    # are as read, only the composite check vouches for the corrected digit.
    line1, line2 = _passport_lines()
    assert line2[9] == "7"
    mrz = parse_mrz([line1, line2[:9] + "1" + line2[10:]], as_of=AS_OF)
    assert mrz.valid and mrz.corrections == 1
    assert corrected_fields(mrz, as_of=AS_OF) == set()
    printed = fields(ocr(FieldName.DOCUMENT_NUMBER, NUMBER))
    assert not corrections_confirmed(printed, mrz, as_of=AS_OF)
