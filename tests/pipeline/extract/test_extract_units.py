"""Extractors on hand-written page texts: label variants, OCR noise, absent and invalid values."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.extract import extract_fields
from pipeline.extract.dates import parse_date
from pipeline.extract.identifiers import parse_company_number, parse_iban
from pipeline.fields import DocType, FieldName
from pipeline.types import Box, PageReading, PieceReading, Quality, TextSource, Word

AS_OF = date(2026, 11, 26)


def piece(
    text: str, source: TextSource = TextSource.TEXT_LAYER, confidence: float = 1.0
) -> PieceReading:
    """A one-page reading of `text`, one word box per word (laid out on a grid)."""
    words = []
    for row, line in enumerate(text.splitlines()):
        for col, token in enumerate(line.split()):
            box = Box(x0=col * 0.05, y0=row * 0.02, x1=col * 0.05 + 0.04, y1=row * 0.02 + 0.015)
            words.append(Word(text=token, box=box, confidence=confidence))
    page = PageReading(
        n=1,
        text_source=source,
        text=text,
        words=words,
        confidence=confidence,
        quality=Quality(blur=100.0, dpi=300.0, contrast=0.8, blank=False),
        width_px=2480,
        height_px=3508,
    )
    return PieceReading(sha256="0" * 64, pages=[page])


def values(text: str, doc_type: DocType, **kwargs: object) -> dict[FieldName, str]:
    found = extract_fields(piece(text, **kwargs), doc_type, as_of=AS_OF, trust=None)  # type: ignore[arg-type]
    return {name: f.value for name, f in found.fields.items()}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/03/2025", date(2025, 3, 12)),
        ("12.03.25", date(2025, 3, 12)),
        ("le 2025-03-12", date(2025, 3, 12)),
        ("12 mars 2025", date(2025, 3, 12)),
        ("1er février 2024", date(2024, 2, 1)),
        ("Fait le 3 AOÛT 2026", date(2026, 8, 3)),
        ("30 10 2006", date(2006, 10, 30)),
        ("l2/O3/2025", date(2025, 3, 12)),  # OCR: l for 1, O for 0
    ],
)
def test_french_dates(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["31/02/2025", "Réf. 2644C80953652", "06 53 65 23 75", "1985,85 €"]
)
def test_not_dates(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("holder_label", "iban_label"),
    [
        ("Titulaire du compte", "IBAN :"),
        ("Nom du titulaire :", "Identifiant international de compte"),
        ("Intitulé du compte", "IBAN"),
    ],
)
def test_rib_label_variants(holder_label: str, iban_label: str) -> None:
    text = (
        f"Banque Exemple\n{holder_label}\nMme Anne-Sophie LE GALL\n"
        f"{iban_label} FR76 3000 4758 4304 6782 5823 814\nBIC : BNPAFRPPXXX\n"
    )
    found = values(text, DocType.BANK_DETAILS)
    assert found[FieldName.IBAN] == "FR7630004758430467825823814"
    assert found[FieldName.BIC] == "BNPAFRPPXXX"
    assert found[FieldName.ACCOUNT_HOLDER] == "Mme Anne-Sophie LE GALL"


def test_iban_ocr_lookalikes_repaired_only_when_checksum_passes() -> None:
    repaired = parse_iban("IBAN FR76 3OO0 4758 43O4 6782 5823 8I4")
    assert repaired is not None and repaired.valid
    assert repaired.value == "FR7630004758430467825823814"


def test_broken_iban_kept_as_read_and_flagged() -> None:
    text = "Titulaire : M. Jean DUPONT\nIBAN : FR76 3000 4758 4304 6782 5823 815\n"
    found = extract_fields(piece(text), DocType.BANK_DETAILS, as_of=AS_OF, trust=None)
    assert found.fields[FieldName.IBAN].value == "FR7630004758430467825823815"
    assert FieldName.IBAN in found.invalid


def test_siret_with_spaces_and_broken_siret() -> None:
    good = parse_company_number("N° SIRET : 913 492 526 000 29")
    assert good is not None and good.valid and good.value == "91349252600029"
    bad = parse_company_number("Siret 91349252600028")
    assert bad is not None and not bad.valid


def test_kbis_numero_d_identification_gives_siren() -> None:
    text = (
        "Extrait Kbis à jour au 22.11.2026\n"
        "Numéro d'identification : 913 492 526 R.C.S. Lyon\n"
        "Dénomination : TRANSPORTS PELTIER SAS\n"
        "Gérant : M. KERGOAT Danielle\n"
    )
    found = values(text, DocType.COMPANY_EXTRACT)
    assert found[FieldName.SIREN] == "913492526"
    assert found[FieldName.COMPANY_NAME] == "TRANSPORTS PELTIER SAS"
    assert found[FieldName.DOCUMENT_DATE] == "2026-11-22"


def test_tax_notice_labels_and_thousands_separators() -> None:
    text = (
        "AVIS D'IMPÔT 2026\nIMPÔT SUR LES REVENUS de l'année 2025\n"
        "N° fiscal : 13 85 565 970 201\nRéférence de l'avis : 26 84 B04 678 258\n"
        "Revenu fiscal de référence : 38\u202f772 €\n"
    )
    found = values(text, DocType.TAX_NOTICE)
    assert found[FieldName.FISCAL_NUMBER] == "1385565970201"
    assert found[FieldName.TAX_REFERENCE] == "2684B04678258"
    assert found[FieldName.REFERENCE_INCOME] == "38772"
    assert found[FieldName.TAX_YEAR] == "2025"


def test_identity_labels_valable_jusqu_au_and_delivrance() -> None:
    text = (
        "Nom : MARTIN\nPrénom(s) : Chloé, Anne\nNé(e) le : 04.07.1990\n"
        "Date de délivrance : 12 mars 2020\nValable jusqu'au : 11 mars 2030\n"
    )
    found = values(text, DocType.IDENTITY_CARD)
    assert found[FieldName.LAST_NAME] == "MARTIN"
    assert found[FieldName.FIRST_NAMES] == "Chloé, Anne"
    assert found[FieldName.BIRTH_DATE] == "1990-07-04"
    assert found[FieldName.ISSUE_DATE] == "2020-03-12"
    assert found[FieldName.EXPIRY_DATE] == "2030-03-11"


def test_absent_fields_are_not_returned() -> None:
    found = values("Relevé de compte\nSolde : 12,00 €\n", DocType.BANK_DETAILS)
    assert FieldName.IBAN not in found and FieldName.ACCOUNT_HOLDER not in found
    assert values("Certificat\n", DocType.SCHOOL_CERTIFICATE) == {}


def test_ocr_evidence_carries_word_confidence_and_box() -> None:
    text = "Titulaire : M. Jean DUPONT\nIBAN : FR76 3000 4758 4304 6782 5823 814\n"
    found = extract_fields(
        piece(text, source=TextSource.OCR, confidence=0.6),
        DocType.BANK_DETAILS,
        as_of=AS_OF,
        trust=None,
    )
    holder = found.fields[FieldName.ACCOUNT_HOLDER].evidence
    assert holder.source is TextSource.OCR and holder.confidence == pytest.approx(0.6)
    assert holder.box is not None and holder.page == 1
    iban = found.fields[FieldName.IBAN].evidence
    assert iban.confidence >= 0.95  # checksum-validated


def test_mrz_overrides_printed_values_when_valid() -> None:
    text = (
        "PASSEPORT\nNom / Surname\nKERGOAT\nPrénoms / Given names\nLéa, Patricia, Mélanie\n"
        "Date de naissance\n12 06 1979\nDate d'expiration\n26 05 2027\n"
        "P<FRAKERGOAT<<LEA<PATRICIA<MELANIE<<<<<<<<<<\n75XL304676FRA9706121F2705262<<<<<<<<<<<<<<08\n"
    )
    found = extract_fields(piece(text), DocType.PASSPORT, as_of=AS_OF, trust=None)
    assert found.mrz is not None and found.mrz.valid
    birth = found.fields[FieldName.BIRTH_DATE]
    assert birth.value == "1997-06-12" and birth.evidence.source is TextSource.MRZ
    # Names agree with the MRZ: the printed spelling (accents) stays.
    assert found.fields[FieldName.FIRST_NAMES].value == "Léa, Patricia, Mélanie"
    assert found.fields[FieldName.DOCUMENT_NUMBER].value == "75XL30467"


def test_mrz_with_bad_check_digit_does_not_override() -> None:
    text = (
        "Date de naissance\n12 06 1997\n"
        "P<FRAKERGOAT<<LEA<PATRICIA<MELANIE<<<<<<<<<<\n75XL304676FRA9706131F2705262<<<<<<<<<<<<<<08\n"
    )
    found = extract_fields(piece(text), DocType.PASSPORT, as_of=AS_OF, trust=None)
    assert found.mrz is not None and not found.mrz.valid
    assert found.fields[FieldName.BIRTH_DATE].evidence.source is TextSource.TEXT_LAYER
    assert found.fields[FieldName.MRZ].evidence.confidence < 1.0


# A French RIB's IBAN and the bank / branch / account / key table printed beside it.
RIB_IBAN = "FR7630004008230001045678943"
RIB_TABLE = "Code banque Code guichet N° de compte Clé RIB\n30004 00823 00010456789 43\n"


def rib_page(iban_line: str, table: str = RIB_TABLE, source: TextSource = TextSource.OCR) -> str:
    text = f"Relevé d'identité bancaire\n{table}IBAN : {iban_line}\nTitulaire : M. Jean DUPONT\n"
    found = extract_fields(piece(text, source=source, confidence=0.9), DocType.BANK_DETAILS,
                           as_of=AS_OF, trust=None)  # fmt: skip
    iban = found.fields[FieldName.IBAN]
    return iban.value if FieldName.IBAN not in found.invalid else f"invalid:{iban.value}"


@pytest.mark.parametrize(
    "iban_line",
    [
        "FR76 3000 4008 0104 5678 943",  # a group lost by the OCR
        "FR76 KUMI 4008 2300 0104 5678 943",  # the bank code read as letters
    ],
)
def test_misread_iban_is_settled_by_the_rib_table(iban_line: str) -> None:
    assert rib_page(iban_line) == RIB_IBAN
    # The key column lost too: the IBAN line's last two digits are the RIB key.
    no_key = RIB_TABLE.replace(" 43\n", "\n")
    assert rib_page(iban_line, no_key) == RIB_IBAN
    # Labels inline with the values ("Banque 30004 Guichet 00823 ...").
    inline = "Banque 30004 Guichet 00823 Compte 00010456789 Clé 43\n"
    assert rib_page(iban_line, inline) == RIB_IBAN


def test_rib_table_never_overrules_a_wrong_iban() -> None:
    lost_group = "FR76 3000 4008 0104 5678 943"
    # A table whose account differs fails the RIB key and the IBAN's check digits.
    other_account = RIB_TABLE.replace("00010456789", "00010456788")
    assert rib_page(lost_group, other_account).startswith("invalid:")
    # A well-formed IBAN that fails its key is maybe a wrong number, whatever the table says.
    one_digit_off = "FR76 3000 4008 2300 0104 5678 944"
    assert rib_page(one_digit_off) == "invalid:FR7630004008230001045678944"
    # A text layer prints what the document says: a broken IBAN there is broken.
    assert rib_page(lost_group, source=TextSource.TEXT_LAYER).startswith("invalid:")


@pytest.mark.parametrize(
    ("iban_line", "as_read"),
    [
        # a smudged digit read as a bracket
        ("FR76 300) 4008 2300 0104 5678 943", "FR76300?4008230001045678943"),
        # the bank code's first digits read as two letters and a bracket, one lost
        ("FR76 Kl) 4008 2300 0104 5678 943", "FR76KL?4008230001045678943"),
    ],
)
def test_iban_with_a_character_read_as_a_mark_is_settled_by_the_rib_table(
    iban_line: str, as_read: str
) -> None:
    assert rib_page(iban_line) == RIB_IBAN
    no_key = RIB_TABLE.replace(" 43\n", "\n")
    assert rib_page(iban_line, no_key) == RIB_IBAN
    # Without a table to settle it, the mark stays an unknown character: invalid.
    assert rib_page(iban_line, table="") == f"invalid:{as_read}"


def test_a_line_of_capitals_is_no_iban() -> None:
    # "IB" in a company name looks like check digits; without digits it is no IBAN.
    assert parse_iban("THIBAULT ELECTRICITE SASU") is None
    assert parse_iban("STIBOLT LOGISTIQUE ET TRANSPORTS") is None
    assert parse_iban("IBAN : FR76 3000 4008 2300 0104 5678 943") is not None


def test_iban_lost_by_the_ocr_is_the_rib_table_when_its_key_checks() -> None:
    inline = "Banque 30004 Guichet 00823 Compte 00010456789 Clé 43\n"
    text = f"Vos coordonnées bancaires\nTitulaire\nM. Jean DUPONT\n{inline}"
    found = extract_fields(piece(text, source=TextSource.OCR, confidence=0.9),
                           DocType.BANK_DETAILS, as_of=AS_OF, trust=None)  # fmt: skip
    assert found.fields[FieldName.IBAN].value == RIB_IBAN
    assert FieldName.IBAN not in found.invalid
    # A row whose key fails (a misread account, or a planted wrong number) gives nothing.
    wrong = text.replace("00010456789", "00010456788")
    found = extract_fields(piece(wrong, source=TextSource.OCR, confidence=0.9),
                           DocType.BANK_DETAILS, as_of=AS_OF, trust=None)  # fmt: skip
    assert FieldName.IBAN not in found.fields
