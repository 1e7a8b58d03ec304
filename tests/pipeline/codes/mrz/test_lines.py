"""The one MRZ-line test, at each of its tolerances, on lines page OCR really gives."""

from __future__ import annotations

from pipeline.codes.mrz.lines import MrzLineTest, mrz_line

TD3_LINE = "P<FRADUPONT<MARTIN<<ANNE<MARIE<<<<<<<<<<<<<<"


def test_repairable_takes_ocr_noise_the_repair_undoes() -> None:
    # Fillers read as '«' and as lower-case 'c' runs, spaces inside the line.
    noisy = "P<FRADUPONT«MARTIN<<ANNE<MARIE<<ccccc<<<< <<<<<<"
    cleaned = noisy.replace("«", "<").replace("c", "<").replace(" ", "")
    assert mrz_line(noisy, MrzLineTest.REPAIRABLE) == cleaned
    assert mrz_line("FACTURE ELECTRICITE DU MOIS DE JUIN", MrzLineTest.REPAIRABLE) is None


def test_as_read_takes_only_lines_already_in_the_alphabet() -> None:
    assert mrz_line(TD3_LINE, MrzLineTest.AS_READ) == TD3_LINE
    assert mrz_line(TD3_LINE.replace("<<ANNE", "«<ANNE"), MrzLineTest.AS_READ) is None
    assert mrz_line("IDFRADUPONT<ANNE", MrzLineTest.AS_READ) is None  # too short


def test_fragment_and_evidence_look_at_single_words() -> None:
    assert mrz_line("TBV2ccccececececece", MrzLineTest.FRAGMENT) is not None
    assert mrz_line("IDFRA<", MrzLineTest.FRAGMENT) is None  # too short to locate a band
    assert mrz_line("IDFRA<", MrzLineTest.EVIDENCE) == "IDFRA<"
    assert mrz_line("Nom", MrzLineTest.EVIDENCE) is None


def test_headed_needs_a_document_code_and_fixes_a_leading_i() -> None:
    assert mrz_line("1DFRADUPONT<<<<<<<<", MrzLineTest.HEADED) == "IDFRADUPONT<<<<<<<<"
    # A card photo's debris "ARTE <<<<" (from "CARTE") is no permit's first line.
    assert mrz_line("ARTE<<<<", MrzLineTest.HEADED) is None
    assert mrz_line("XXFRADUPONT<<<<<<<<", MrzLineTest.HEADED) is None
