"""Dates and names on scanned A4 documents: OCR look-alikes in dates, weak evidence for
guessed digits, other dates of the page as alternatives, table rows read column by
column, addressees in capitals with a surname particle."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.extract import extract_fields
from pipeline.extract.common import DOUBTFUL_DATE_CONFIDENCE
from pipeline.extract.dates import find_dates, parse_date
from pipeline.extract.text import fold
from pipeline.fields import DocType, ExtractedField, FieldName
from pipeline.rules.checks import CheckStatus
from pipeline.rules.context import RuleContext
from pipeline.rules.messages import CheckCode
from pipeline.rules.piece_rules import RULES
from pipeline.rules.procedures import get_procedure
from pipeline.types import Box, PageReading, PieceReading, Quality, TextSource, Word
from tests.support.fieldkit import field, fields, ocr, person

AS_OF = date(2026, 11, 26)
ROW = 0.02  # height of a text line, page-relative
WORD_CONFIDENCE = 0.93
F = FieldName


def scanned(cells: list[tuple[str, float, float]], text: str) -> PieceReading:
    """An OCR'd A4 page whose words sit at the given places and whose text is `text`
    (what layout analysis made of them, e.g. a table read column by column)."""
    words = []
    for phrase, x0, y0 in cells:
        x = x0
        for token in phrase.split():
            width = 0.008 * len(token)
            box = Box(x0=x, y0=y0, x1=x + width, y1=y0 + ROW * 0.7)
            words.append(Word(text=token, box=box, confidence=WORD_CONFIDENCE))
            x += width + 0.006
    page = PageReading(
        n=1,
        text_source=TextSource.OCR,
        text=text,
        words=words,
        confidence=WORD_CONFIDENCE,
        quality=Quality(blur=50.0, dpi=300.0, contrast=0.8, blank=False),
        width_px=2480,
        height_px=3508,
    )
    return PieceReading(sha256="0" * 64, pages=[page])


def lines_page(*lines: str) -> PieceReading:
    """A scanned page of plain lines, one under the other."""
    return scanned([(line, 0.1, 0.1 + i * 0.03) for i, line in enumerate(lines)], "\n".join(lines))


def extracted(reading: PieceReading, doc_type: DocType) -> dict[FieldName, ExtractedField]:
    return extract_fields(reading, doc_type, as_of=AS_OF, trust=None).fields


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected", "corrected"),
    [
        ("1S/03/2025", date(2025, 3, 15), 1),  # S for 5
        ("12/O3/2O25", date(2025, 3, 12), 2),
        ("28.1O.2026", date(2026, 10, 28), 1),
        ("ler mars 2025", date(2025, 3, 1), 1),  # "1er" read "ler"
        ("12 fevner 2025", date(2025, 2, 12), 1),  # misspelt month
        ("3 décernbre 2026", date(2026, 12, 3), 1),
        ("12 mars 2025", date(2025, 3, 12), 0),
        ("12.03.25", date(2025, 3, 12), 0),
    ],
)
def test_dates_read_through_look_alikes_say_so(text: str, expected: date, corrected: int) -> None:
    found = find_dates(fold(text))
    assert [(f.day, f.corrected) for f in found] == [(expected, corrected)]


@pytest.mark.parametrize(
    "text",
    [
        "lO/OS/2O2S",  # more look-alikes than digits: words, not a date
        "Il/Os/lb",
        "12 mois 2025",  # not a month
        "OS OS OSOS",
        "31 févner 2025",  # no 31 February, however spelt
    ],
)
def test_too_doubtful_look_alikes_are_no_date(text: str) -> None:
    assert parse_date(text) is None


def test_a_date_read_through_look_alikes_is_weak_evidence() -> None:
    bill = lines_page("ÉNERGIES DU SUD", "Facture du 1S/10/2026", "Mme Zoé BRUN")
    guessed = extracted(bill, DocType.PROOF_OF_ADDRESS)[F.DOCUMENT_DATE]
    assert guessed.value == "2026-10-15"
    assert guessed.evidence.confidence <= DOUBTFUL_DATE_CONFIDENCE
    clean = lines_page("ÉNERGIES DU SUD", "Facture du 15/10/2026", "Mme Zoé BRUN")
    read = extracted(clean, DocType.PROOF_OF_ADDRESS)[F.DOCUMENT_DATE]
    assert read.value == "2026-10-15"
    assert read.evidence.confidence == pytest.approx(WORD_CONFIDENCE)


def test_the_other_dates_of_the_page_are_kept_as_alternatives() -> None:
    bill = lines_page(
        "Facture du 14/10/2016",
        "Période du 01/09/2026 au 30/09/2026",
        "À payer avant le 30/10/2026",
    )
    found = extracted(bill, DocType.PROOF_OF_ADDRESS)[F.DOCUMENT_DATE]
    assert found.value == "2016-10-14"
    assert found.alternatives == ["2026-09-01", "2026-09-30", "2026-10-30"]
    assert "alternatives" not in found.model_dump()  # not part of the report


# ---------------------------------------------------------------- rules on those dates


def run_rule(rule: str, item: ExtractedField, param: object) -> tuple[CheckStatus, str, CheckCode]:
    context = RuleContext(as_of=AS_OF, procedure=get_procedure("bourse-sanitaire-sociale"))
    (check,) = RULES[rule].func(fields(item), person(), context, param)
    return check.status, check.officer_message, check.code


def test_too_old_ocr_date_is_a_doubt_when_another_page_date_would_pass() -> None:
    misread = ocr(F.DOCUMENT_DATE, "2016-10-14").model_copy(
        update={"alternatives": ["2026-09-30", "2026-10-30"]}
    )
    status, officer, code = run_rule("max_age_days", misread, 90)
    assert (code, status) == (CheckCode.TOO_OLD, CheckStatus.DOUBT)
    assert "Une autre date lue sur la page (30/10/2026) serait recevable" in officer


def test_too_old_is_ko_when_every_page_date_is_old_too() -> None:
    old = ocr(F.DOCUMENT_DATE, "2026-03-02").model_copy(
        update={"alternatives": ["1988-05-04", "2026-02-01", "2026-03-16"]}
    )
    assert run_rule("max_age_days", old, 90)[:1] == (CheckStatus.KO,)


def test_a_text_layer_date_is_exact_whatever_the_other_dates() -> None:
    printed = field(F.DOCUMENT_DATE, "2016-10-14").model_copy(
        update={"alternatives": ["2026-10-30"]}
    )
    assert run_rule("max_age_days", printed, 90)[:1] == (CheckStatus.KO,)


def test_expired_ocr_date_is_a_doubt_when_another_page_date_is_still_valid() -> None:
    misread = ocr(F.EXPIRY_DATE, "2016-05-04").model_copy(
        update={"alternatives": ["1990-02-14", "2026-05-05", "2036-05-04"]}
    )
    status, _officer, code = run_rule("not_expired", misread, None)
    assert (code, status) == (CheckCode.EXPIRED, CheckStatus.DOUBT)
    past_only = misread.model_copy(update={"alternatives": ["1990-02-14", "2006-05-05"]})
    assert run_rule("not_expired", past_only, None)[:1] == (CheckStatus.KO,)


# ---------------------------------------------------------------- tables read by column

# A Kbis-like two-column table: OCR gives the label column, then the value column.
KBIS_CELLS = [
    ("Extrait Kbis du 14.09.2026", 0.10, 0.10),
    ("Immatriculation au RCS, numéro", 0.10, 0.20),
    ("813 497 484 R.C.S. Orléans", 0.55, 0.20),
    ("Dénomination ou raison sociale", 0.10, 0.23),
    ("BESSON GARAGE SA", 0.55, 0.23),
    ("Président / Gérant", 0.10, 0.26),
    ("DA SILVA Grégoire Paul", 0.55, 0.26),
    ("Etablissement principal, SIRET", 0.10, 0.29),
    ("813 497 484 008 53", 0.55, 0.29),
    ("Adresse du siège", 0.10, 0.32),
    ("8, rue de Leroy 45000 Orléans", 0.55, 0.32),
]
KBIS_TEXT = """Extrait Kbis du 14.09.2026
Immatriculation au RCS, numéro
Dénomination ou raison sociale
Président / Gérant
Etablissement principal, SIRET
Adresse du siège
813 497 484 R.C.S. Orléans
BESSON GARAGE SA
DA SILVA Grégoire Paul
813 497 484 008 53
8, rue de Leroy 45000 Orléans"""


def test_table_read_column_by_column_pairs_labels_and_values_by_row() -> None:
    got = extracted(scanned(KBIS_CELLS, KBIS_TEXT), DocType.COMPANY_EXTRACT)
    assert got[F.SIREN].value == "813497484"
    assert got[F.SIRET].value == "81349748400853"
    assert got[F.LEGAL_REPRESENTATIVE].value == "DA SILVA Grégoire Paul"
    assert got[F.COMPANY_NAME].value == "BESSON GARAGE SA"
    assert got[F.DOCUMENT_DATE].value == "2026-09-14"
    assert (got[F.POSTCODE].value, got[F.CITY].value) == ("45000", "Orléans")


def test_a_label_without_a_value_on_its_row_takes_none_from_the_next_row() -> None:
    # The representative's cell is empty: the SIRET row's value is not its name.
    cells = [c for c in KBIS_CELLS if not c[0].startswith("DA SILVA")]
    text = KBIS_TEXT.replace("DA SILVA Grégoire Paul\n", "")
    got = extracted(scanned(cells, text), DocType.COMPANY_EXTRACT)
    assert F.LEGAL_REPRESENTATIVE not in got or "SIRET" not in got[F.LEGAL_REPRESENTATIVE].value


# ---------------------------------------------------------------- which date is the document's


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # The due date and the period come first; the issue date is the unlabelled one.
        (["À payer avant le 30/10/2026", "Période du 01/09/2026 au 30/09/2026",
          "Lyon, 12 octobre 2026"], "2026-10-12"),
        (["Client depuis le 04/05/2011", "Date : 03/10/2026"], "2026-10-03"),
        (["Né le 14/02/1990", "Paris, le 3 septembre 2026"], "2026-09-03"),
        (["Date de mise en recouvrement : 31/07/2026", "Date limite de paiement : 15/09/2026"],
         "2026-07-31"),
        (["Ligne 06 11 78 23 78", "Facture mobile - période 25/10/2026"], "2026-10-25"),
        (["Date d'exigibilité : 15/09/2026", "Lyon, le 5 juillet 2026"], "2026-07-05"),
        (["Avis d'échéance et quittance - 28/10/2026", "À payer le 05/11/2026"], "2026-10-28"),
        (["Date de commencement d'activité : 01/02/2011", "Le 02/10/2026"], "2026-10-02"),
        # Only a period: its first date is better than nothing (a doubt, if anything).
        (["Consommation du 01/09/2026 au 30/09/2026"], "2026-09-01"),
    ],
)  # fmt: skip
def test_the_document_date_is_not_a_due_date_a_period_or_a_birth(
    lines: list[str], expected: str
) -> None:
    got = extracted(lines_page("ÉNERGIES DU SUD", *lines), DocType.PROOF_OF_ADDRESS)
    assert got[F.DOCUMENT_DATE].value == expected


@pytest.mark.parametrize("text", ["06 11 78 23 78", "Tél. 01 02 03 04 05", "01 12 25 44"])
def test_phone_numbers_are_no_dates(text: str) -> None:
    assert parse_date(text) is None


def test_space_separated_dates_side_by_side_are_two_dates() -> None:
    assert [f.day for f in find_dates(fold("| 06 12 2019 05 12 2029"))] == [
        date(2019, 12, 6),
        date(2029, 12, 5),
    ]


# ---------------------------------------------------------------- letterheads


@pytest.mark.parametrize(
    ("first_line", "expected"),
    [
        ("A Lycée Jean Moulin", "Lycée Jean Moulin"),  # a logo read as a letter
        ("L d Institut de formation en soins infirmiers de Niort",
         "Institut de formation en soins infirmiers de Niort"),
        ("Collège George Sand", "Collège George Sand"),
    ],
)  # fmt: skip
def test_school_name_without_the_logo_read_as_letters(first_line: str, expected: str) -> None:
    page = lines_page(
        first_line,
        "Académie de Poitiers - Ministère de l'Éducation nationale",
        "CERTIFICAT DE SCOLARITÉ",
        "La directrice certifie que Raymond MORVAN, née) le 14 mars 2003, est inscrit(e)",
    )
    got = extracted(page, DocType.SCHOOL_CERTIFICATE)
    assert got[F.SCHOOL_NAME].value == expected  # the establishment, not its academy
    assert got[F.BIRTH_DATE].value == "2003-03-14"  # "né(e)" with a lost bracket


def test_a_letterhead_of_stray_words_is_no_school_name() -> None:
    page = lines_page("Mairie de Niort", "Service des écoles de la ville", "CERTIFICAT")
    assert F.SCHOOL_NAME not in extracted(page, DocType.SCHOOL_CERTIFICATE)


def test_payslip_employer_stops_at_the_column_gap_and_the_employee() -> None:
    cells = [
        ("ÉLECTRICITÉ THIERRY EURL", 0.08, 0.05),
        ("Bulletin de salaire", 0.70, 0.05),
        ("Période du 01/10/2026 au 31/10/2026", 0.60, 0.09),
        ("PÂTISSERIE BLONDEL SARL M. Jean-Marc BENARD", 0.08, 0.13),
    ]
    text = "ÉLECTRICITÉ THIERRY EURL Bulletin de salaire\nPériode du 01/10/2026 au 31/10/2026"
    got = extracted(scanned(cells, text), DocType.PAYSLIP)
    assert got[F.EMPLOYER].value == "ÉLECTRICITÉ THIERRY EURL"
    second = scanned(cells[3:], "PÂTISSERIE BLONDEL SARL M. Jean-Marc BENARD")
    assert extracted(second, DocType.PAYSLIP)[F.EMPLOYER].value == "PÂTISSERIE BLONDEL SARL"


def test_siren_and_siret_with_garbled_labels_are_trusted_through_their_key() -> None:
    page = lines_page(
        "Greffe du Tribunal de commerce d'Angers",
        "niet Tirer au RCS, numéro",  # the label, garbled
        "574 640 728 R.C.S. Angers",
        "574 640 728 008 08",
    )
    got = extracted(page, DocType.COMPANY_EXTRACT)
    assert (got[F.SIREN].value, got[F.SIRET].value) == ("574640728", "57464072800808")


def test_unlabelled_numbers_that_fail_their_key_or_disagree_are_not_taken() -> None:
    page = lines_page(
        "Greffe du Tribunal de commerce d'Angers",
        "574 640 729 R.C.S. Angers",  # Luhn key fails: a misreading, not a SIREN
        "Téléphone 0241 887 766",  # no RCS beside it
        "732 829 320 00074",  # a valid SIRET of another company is still taken alone
    )
    got = extracted(page, DocType.COMPANY_EXTRACT)
    assert got[F.SIRET].value == "73282932000074"
    assert got[F.SIREN].value == "732829320"
    other = lines_page("574 640 728 R.C.S. Angers", "732 829 320 00074")
    got = extracted(other, DocType.COMPANY_EXTRACT)
    assert got[F.SIREN].value == "574640728"
    assert F.SIRET not in got  # it does not extend the SIREN


# ---------------------------------------------------------------- married names


@pytest.mark.parametrize(
    ("addressee", "usage", "birth", "first"),
    [
        ("Mme DUPONT épouse MARTIN Marie", "MARTIN", "DUPONT", "Marie"),
        ("Mme Zoé BRUN ép. DAVID", "DAVID", "BRUN", "Zoé"),
        ("Madame Marie MARTIN née DUPONT", "MARTIN", "DUPONT", "Marie"),
        ("Mme Anne-Sophie LE GALL veuve DE LA TOUR", "DE LA TOUR", "LE GALL", "Anne-Sophie"),
    ],
)
def test_married_names_on_a_bill(addressee: str, usage: str, birth: str, first: str) -> None:
    bill = lines_page("GAZ DE VILLE", addressee, "12 rue des Lilas", "21000 DIJON")
    got = extracted(bill, DocType.PROOF_OF_ADDRESS)
    assert (got[F.LAST_NAME].value, got[F.BIRTH_NAME].value) == (usage, birth)
    assert got[F.FIRST_NAMES].value == first
    assert got[F.POSTCODE].value == "21000"


@pytest.mark.parametrize(
    "addressee",
    [
        "Mme Zoé BRUN, née le 12/03/1990",  # a birth date, not a birth name
        "MME BRUN EPOUSE DAVID ZOE",  # all capitals: which word is the given name?
        "Mme Léa ROUX",
    ],
)
def test_no_married_name_without_one(addressee: str) -> None:
    bill = lines_page("GAZ DE VILLE", addressee, "12 rue des Lilas", "21000 DIJON")
    assert F.BIRTH_NAME not in extracted(bill, DocType.PROOF_OF_ADDRESS)


def test_addressee_in_capitals_with_an_arabic_particle() -> None:
    bill = lines_page("M. STÉPHANE BEN SAÏD", "71, AVENUE LE ROUX", "34000 MONTPELLIER")
    got = extracted(bill, DocType.PROOF_OF_ADDRESS)
    assert (got[F.LAST_NAME].value, got[F.FIRST_NAMES].value) == ("BEN SAÏD", "STÉPHANE")


def test_the_seat_address_in_an_attestation_sentence() -> None:
    page = lines_page(
        "ATTESTATION DE VIGILANCE",
        "L'Urssaf atteste que l'entreprise CAMUS SAS, SIREN 162727150, SIRET",
        "16272715000268, dont le siège est situé 6, rue de Blondel, 49000 Angers, est à jour de",
        "ses obligations au 17.10.2026.",
    )
    got = extracted(page, DocType.URSSAF_CERTIFICATE)
    assert (got[F.POSTCODE].value, got[F.CITY].value) == ("49000", "Angers")
    assert got[F.DOCUMENT_DATE].value == "2026-10-17"


def test_tax_notice_reference_and_date_as_the_notice_prints_them() -> None:
    page = lines_page(
        "Finances publiques",
        "M. L'HÔTE Thomas",
        "634, boulevard Prévost",
        "56903 Verdier",
        "Avis d'impôt 2026 — Impôt sur les revenus 2025",
        "Numéro fiscal : 04 S1 54 87 11 495",  # S for 5
        "Réf. de l'avis : 2680D86060463",
        "Date d'exigibilité : 15/09/2026",
        "Date de mise en recouvrement : 5 juillet 2026",
    )
    got = extracted(page, DocType.TAX_NOTICE)
    assert got[F.TAX_REFERENCE].value == "2680D86060463"
    assert got[F.FISCAL_NUMBER].value == "0451548711495"
    assert got[F.DOCUMENT_DATE].value == "2026-07-05"
    assert (got[F.LAST_NAME].value, got[F.FIRST_NAMES].value) == ("L'HÔTE", "Thomas")


def test_a_date_standing_in_for_the_document_date_is_weak_evidence() -> None:
    only_a_period = lines_page("ÉNERGIES DU SUD", "Consommation du 01/09/2026 au 30/09/2026")
    guessed = extracted(only_a_period, DocType.PROOF_OF_ADDRESS)[F.DOCUMENT_DATE]
    assert guessed.evidence.confidence <= DOUBTFUL_DATE_CONFIDENCE
    dated = lines_page("ÉNERGIES DU SUD", "Facture du 02/10/2026", "Consommation du 01/09/2026")
    found = extracted(dated, DocType.PROOF_OF_ADDRESS)[F.DOCUMENT_DATE]
    assert found.evidence.confidence == pytest.approx(WORD_CONFIDENCE)
