"""MRZ look-alike corrections: check digits decide, and only where they can."""

from __future__ import annotations

from datetime import date

from fixtures.mrz_compose import compose_fr_cni_old, compose_td1, compose_td3
from pipeline.codes.mrz.corrections import field_corrections
from pipeline.codes.mrz.find import find_mrz
from pipeline.codes.mrz.parse import parse_mrz
from pipeline.codes.mrz.reading import CORRECTED_CONFIDENCE, MrzReading
from pipeline.extract.authenticity import apply_mrz
from pipeline.fields import Evidence, ExtractedField, FieldName
from pipeline.types import PageReading, Quality, TextSource

AS_OF = date(2026, 11, 1)
HOLDER = {
    "surname": "LE BIHAN",
    "given_names": "GAELLE VIRGINIE",
    "sex": "F",
    "birth_date": date(1970, 5, 8),
    "expiry_date": date(2027, 10, 16),
}


def _td1(number: str = "00PRJ52CZ") -> list[str]:
    return compose_td1(document_number=number, nationality="MAR", **HOLDER)


def _swap(line: str, position: int, char: str) -> str:
    return line[:position] + char + line[position + 1 :]


def test_expiry_digit_misread_is_corrected_by_both_check_digits() -> None:
    lines = _td1()
    assert lines[1][8:14] == "271016"
    noisy = [lines[0], _swap(lines[1], 11, "6"), lines[2]]  # 271016 read 271616
    reading = parse_mrz(noisy, as_of=AS_OF)
    assert reading.valid
    assert reading.corrections == 1
    assert reading.expiry_date == "2027-10-16"
    assert reading.lines == noisy  # the lines as read: parsing them again corrects again
    again = find_mrz("\n".join(reading.lines), as_of=AS_OF)
    assert again is not None and again.corrections == 1
    fields = {f.name: f for f in reading.to_fields(page=1)}
    assert fields[FieldName.EXPIRY_DATE].evidence.confidence == CORRECTED_CONFIDENCE


def test_digit_that_is_no_look_alike_is_not_corrected() -> None:
    lines = _td1()
    noisy = [lines[0], _swap(lines[1], 10, "4"), lines[2]]  # 1 read 4: not a look-alike
    reading = parse_mrz(noisy, as_of=AS_OF)
    assert not reading.valid
    assert "expiry_date" in reading.failed_checks


def test_document_number_letter_digit_swap_is_corrected() -> None:
    lines = compose_td3(document_number="21AB12345", **HOLDER)
    noisy = [lines[0], "21AB1Z" + lines[1][6:]]  # 2 read Z
    reading = parse_mrz(noisy, as_of=AS_OF)
    assert reading.valid
    assert reading.document_number == "21AB12345"


def test_two_passing_corrections_leave_the_number_as_read() -> None:
    # 5VAVRBZEY and SVAVRB2EY both match check digit 8, and the composite check
    # weighs the number like its own check digit: nothing can tell them apart.
    assert set(field_corrections("SVAVRBZEY", "8", "X" * 9, composite_independent=False)) == {
        "5VAVRBZEY",
        "SVAVRB2EY",
    }
    lines = compose_td1(document_number="5VAVRBZEY", **HOLDER)
    reading = parse_mrz(["IDFRAS" + lines[0][6:], lines[1], lines[2]], as_of=AS_OF)
    assert not reading.valid
    assert reading.document_number == "SVAVRBZEY"


def test_old_card_birth_date_is_never_corrected() -> None:
    # Its composite weighs the birth date like its own check digit: no second opinion.
    lines = compose_fr_cni_old(
        document_number="080575004242",
        office="750123",
        surname="MOREAU",
        given_names="LUC ANDRE",
        birth_date=date(1975, 6, 8),
        sex="M",
    )
    assert lines[1][27:33] == "750608"
    reading = parse_mrz([lines[0], _swap(lines[1], 32, "6")], as_of=AS_OF)
    assert not reading.valid


def test_passport_filler_after_document_code_restored() -> None:
    line1, line2 = compose_td3(document_number="21AB12345", **HOLDER)
    reading = parse_mrz([line1.replace("P<", "P", 1), line2], as_of=AS_OF)
    assert (reading.issuing_country, reading.surname) == ("FRA", "LE BIHAN")
    assert reading.given_names == "GAELLE VIRGINIE"


def _page() -> PageReading:
    quality = Quality(blur=50.0, dpi=300.0, contrast=0.8, blank=False)
    return PageReading(
        n=1, text_source=TextSource.OCR, text="", confidence=0.9, quality=quality,
        width_px=1000, height_px=700, seconds=0.1,
    )  # fmt: skip


def _printed(name: FieldName, value: str) -> ExtractedField:
    evidence = Evidence(page=1, source=TextSource.OCR, confidence=0.6)
    return ExtractedField(name=name, value=value, evidence=evidence)


def test_printed_value_confirms_a_corrected_mrz_value() -> None:
    lines = _td1()
    reading = parse_mrz([lines[0], _swap(lines[1], 11, "6"), lines[2]], as_of=AS_OF)
    fields = {
        FieldName.EXPIRY_DATE: _printed(FieldName.EXPIRY_DATE, "2027-10-16"),
        FieldName.BIRTH_DATE: _printed(FieldName.BIRTH_DATE, "1970-05-09"),  # misread
    }
    apply_mrz(fields, reading, _page())
    assert fields[FieldName.EXPIRY_DATE].evidence.confidence == 1.0
    assert fields[FieldName.BIRTH_DATE].value == "1970-05-08"
    assert fields[FieldName.BIRTH_DATE].evidence.confidence == CORRECTED_CONFIDENCE


def test_empty_personal_number_check_digit_misread() -> None:
    line1, line2 = compose_td3(document_number="83WH59463", **HOLDER)
    assert line2[28:43] == "<" * 14 + "0"
    reading = parse_mrz([line1, line2[:42] + "9" + line2[43:]], as_of=AS_OF)
    assert reading.valid and reading.corrections == 1
    # A filled personal number has a real check digit: never replaced.
    filled = compose_td3(document_number="83WH59463", personal_number="AB12", **HOLDER)
    wrong = str((int(filled[1][42]) + 1) % 10)
    assert not parse_mrz([filled[0], filled[1][:42] + wrong + filled[1][43:]], as_of=AS_OF).valid


def test_page_ocr_fillers_read_as_lower_case_letters() -> None:
    text = (
        "Titre de séjour\n"
        "IRFRA00PRJ52CZ1ecccecccceccccc\n"
        "7005082F2710165MAR<<<<ececc<<<0\n"
        "LE<BIHAN<<GAELLE<VIRGINIE<<«<<<\n"
    )
    reading = find_mrz(text, as_of=AS_OF)
    assert reading is not None and reading.valid, reading
    assert reading.surname == "LE BIHAN"
    # Words of a sentence keep their letters: only an MRZ-like line is cleaned so.
    assert find_mrz("Date de naissance : 08.05.1970\nCélestine Lecerf\n", as_of=AS_OF) is None


def test_page_text_and_band_reread_lines_are_assembled() -> None:
    from pipeline.extract.authenticity import read_mrz
    from pipeline.types import PageSignals, PieceReading

    right = _td1()
    # The page OCR misread the document number (no look-alike), the band re-read the
    # birth date: neither verifies alone.
    page_text = "\n".join([right[0].replace("PRJ", "PRK"), right[1], right[2]])
    band = [right[0], right[1].replace("700508", "700548"), right[2]]
    signals = PageSignals(aspect_ratio=1.4, colourfulness=0.0, ink_ratio=0.1, faces=1,
                          mrz_lines=band)  # fmt: skip
    page = _page().model_copy(update={"text": page_text, "signals": signals})
    found = read_mrz(PieceReading(sha256="0" * 64, pages=[page]), as_of=AS_OF)
    assert found is not None
    reading, _ = found
    assert reading.valid and reading.document_number == "00PRJ52CZ"
    # Alone, neither verifies on the characters as read.
    assert not parse_mrz(band, as_of=AS_OF).valid
    alone = parse_mrz(page_text.splitlines(), as_of=AS_OF)
    assert not alone.valid or alone.corrections


def test_three_reads_vote_character_by_character() -> None:
    from pipeline.codes.mrz.band import combine_readings

    right = _td1()
    # Each read misreads another character of line 2 (no look-alike repairs them):
    # no line as read is right, the position-wise majority is.
    damaged = [
        _swap(right[1], 2, "4"),  # birth date
        _swap(right[1], 10, "4"),  # expiry date
        _swap(right[1], 29, "4"),  # composite check digit
    ]
    reads = [parse_mrz([right[0], line, right[2]], as_of=AS_OF) for line in damaged]
    assert not any(r.valid for r in reads)
    combined = combine_readings(reads, AS_OF)
    assert combined is not None and combined.valid
    assert combined.lines == right
    assert not combine_readings(reads[:2], AS_OF).valid  # type: ignore[union-attr]


def test_field_check_digit_misread_is_corrected_by_the_composite() -> None:
    holder = HOLDER | {"birth_date": date(1970, 1, 2)}
    line1, line2 = compose_td3(document_number="21AB12345", **holder)
    assert line2[19] == "8"
    reading = parse_mrz([line1, _swap(line2, 19, "0")], as_of=AS_OF)  # 8 read 0
    assert reading.valid and reading.corrections == 1
    assert reading.birth_date == "1970-01-02"
    # The composite digit has no check above it: a misread one stays a failure.
    wrong = "8" if line2[43] == "0" else "0" if line2[43] in "86" else "4"
    assert not parse_mrz([line1, _swap(line2, 43, wrong)], as_of=AS_OF).valid


def _old_card_reading() -> tuple[list[str], MrzReading]:
    lines = compose_fr_cni_old(
        document_number="140375004242",  # issued March 2014, to an adult: 15 years
        office="750123",
        surname="MOREAU",
        given_names="LUC ANDRE",
        birth_date=date(1975, 6, 8),
        sex="M",
    )
    return lines, parse_mrz(lines, as_of=AS_OF)


def _page_with(text: str) -> PageReading:
    return _page().model_copy(update={"text": text})


def test_old_card_expiry_takes_the_printed_day_of_the_estimated_month() -> None:
    lines, reading = _old_card_reading()
    assert reading.valid and reading.expiry_estimated
    estimate = reading.expiry_date
    assert estimate[:7] == "2029-03"
    fields: dict[FieldName, ExtractedField] = {}
    # The label was not read, the dates were: issue date and expiry (printed compact).
    text = "Carte valabe jusqu au :\n17032029\nDélivrée le : 18.03.2014\n" + "\n".join(lines)
    apply_mrz(fields, reading, _page_with(text))
    expiry = fields[FieldName.EXPIRY_DATE]
    assert expiry.value == "2029-03-17"
    assert expiry.evidence.source is TextSource.OCR


def test_old_card_expiry_stays_the_estimate_without_one_printed_day() -> None:
    _, reading = _old_card_reading()
    estimate = reading.expiry_date
    for text in ("Délivrée le : 18.03.2014", "17.03.2029 ou 19.03.2029 ?"):
        fields: dict[FieldName, ExtractedField] = {}
        apply_mrz(fields, reading, _page_with(text))
        assert fields[FieldName.EXPIRY_DATE].value == estimate
        assert fields[FieldName.EXPIRY_DATE].evidence.source is TextSource.MRZ


def test_a_filler_read_as_k_after_a_name_is_settled_by_the_printed_name() -> None:
    holder = {**HOLDER, "surname": "GERARDK"}  # 'GERARD<' read 'GERARDK': no check digit sees it
    reading = parse_mrz(compose_td1(document_number="00PRJ52CZ", **holder), as_of=AS_OF)
    assert reading.valid
    fields = {FieldName.LAST_NAME: _printed(FieldName.LAST_NAME, "GÉRARD")}
    apply_mrz(fields, reading, _page())
    assert fields[FieldName.LAST_NAME].value == "GÉRARD"
    assert fields[FieldName.LAST_NAME].evidence.confidence == 1.0
    # Another letter is another name: the MRZ wins.
    other = parse_mrz(
        compose_td1(document_number="00PRJ52CZ", **{**HOLDER, "surname": "GERARDO"}), as_of=AS_OF
    )
    fields = {FieldName.LAST_NAME: _printed(FieldName.LAST_NAME, "GÉRARD")}
    apply_mrz(fields, other, _page())
    assert fields[FieldName.LAST_NAME].value == "GERARDO"
