"""Names by layout: usage names on identity documents, addressees, a sentence's common words."""

from __future__ import annotations

from datetime import date

from fixtures.mrz_compose import compose_td3
from pipeline.extract import extract_fields
from pipeline.extract.identity import split_usage_name
from pipeline.extract.people import clean_name, split_postal_name
from pipeline.fields import DocType, FieldName
from pipeline.types import TextSource
from tests.pipeline.extract.test_extract_units import AS_OF, piece, values


def test_usage_name_after_the_birth_name() -> None:
    assert split_usage_name("SAINT-JEAN ép. DAVID") == ("SAINT-JEAN", "DAVID")
    assert split_usage_name("MARTIN épouse DUMAS") == ("MARTIN", "DUMAS")
    assert split_usage_name("Martin veuve Dumas") == ("Martin", "Dumas")
    assert split_usage_name("LE GALL") is None
    assert split_usage_name("Nom d'usage : ép. DUMAS") is None  # a label, not a birth name


# The passport MRZ of Nathalie SAINT-JEAN, married DAVID: it carries the birth name.
SAINT_JEAN_MRZ = compose_td3(
    document_number="21AB12345",
    surname="SAINT JEAN",
    given_names="NATHALIE",
    sex="F",
    birth_date=date(1980, 5, 26),
    expiry_date=date(2030, 2, 2),
)


def test_printed_usage_name_is_the_last_name_and_the_mrz_the_birth_name() -> None:
    mrz = SAINT_JEAN_MRZ
    text = "PASSEPORT\nNom / Surname\nSAINT-JEAN ép. DAVID\nPrénoms / Given names\nNathalie\n"
    reading = piece(text + "\n".join(mrz))
    found = extract_fields(reading, DocType.PASSPORT, as_of=AS_OF, trust=None).fields
    assert found[FieldName.LAST_NAME].value == "DAVID"
    assert found[FieldName.BIRTH_NAME].value == "SAINT-JEAN"
    assert found[FieldName.BIRTH_NAME].evidence.confidence == 1.0  # the MRZ agrees


def test_mrz_surname_wins_over_a_different_printed_name_without_usage_marker() -> None:
    mrz = SAINT_JEAN_MRZ
    text = "PASSEPORT\nNom / Surname\nDAVID\nPrénoms / Given names\nNathalie\n"
    found = extract_fields(piece(text + "\n".join(mrz)), DocType.PASSPORT, as_of=AS_OF, trust=None)
    assert found.fields[FieldName.LAST_NAME].value == "SAINT JEAN"


def test_usage_name_row_of_a_residence_permit() -> None:
    text = "TITRE DE SÉJOUR\nNom : RIBEIRO\nNom d'usage : ép. KERGOAT\nPrénom(s) : Marthe\n"
    found = values(text, DocType.RESIDENCE_PERMIT)
    assert (found[FieldName.LAST_NAME], found[FieldName.BIRTH_NAME]) == ("KERGOAT", "RIBEIRO")
    plain = values("TITRE DE SÉJOUR\nNom : RIBEIRO\nPrénom(s) : Marthe\n", DocType.RESIDENCE_PERMIT)
    assert plain[FieldName.LAST_NAME] == "RIBEIRO"
    assert FieldName.BIRTH_NAME not in plain


def test_bilingual_usage_name_label_is_no_name() -> None:
    rows = "TITRE DE SÉJOUR\nNom / Surname\nRIBEIRO\nNom d'usage / Alternate name\n"
    found = values(rows + "ép. KERGOAT\nPrénoms / Given names\nMarthe\n", DocType.RESIDENCE_PERMIT)
    assert (found[FieldName.LAST_NAME], found[FieldName.BIRTH_NAME]) == ("KERGOAT", "RIBEIRO")


def test_the_english_half_of_a_given_names_label_is_no_given_name() -> None:
    # Page OCR may cut "Prénoms / Given names" after the slash.
    page = "PASSEPORT\nNom / Surname\nPOULAIN\nPrénoms /\nGiven names\nPaul\n"
    assert values(page, DocType.PASSPORT)[FieldName.FIRST_NAMES] == "Paul"


def test_addressee_in_capitals_is_first_name_then_surname() -> None:
    assert split_postal_name("MME ZOÉ BRUN") == ("BRUN", "ZOÉ")
    assert split_postal_name("MME ANNE MARIE LEGALL") is None  # where does the surname start?
    # A surname particle tells where the surname starts.
    assert split_postal_name("MME ANOUK LE GALL") == ("LE GALL", "ANOUK")
    assert split_postal_name("M. JOSÉ DA SILVA") == ("DA SILVA", "JOSÉ")
    assert split_postal_name("MME ANNE MARIE DE LA TOUR") == ("DE LA TOUR", "ANNE MARIE")
    assert split_postal_name("M. PAUL DE") is None  # a particle alone is no surname
    assert split_postal_name("Mme Zoé BRUN") is None  # capitals already tell
    bill = "GAZ DE VILLE\nFacture du 02/11/2026\nMME ZOÉ BRUN\n12 rue des Lilas\n21000 DIJON\n"
    found = values(bill, DocType.PROOF_OF_ADDRESS)
    assert (found[FieldName.LAST_NAME], found[FieldName.FIRST_NAMES]) == ("BRUN", "ZOÉ")


def test_long_addressee_in_capitals_is_not_split() -> None:
    bill = "GAZ DE VILLE\nMME ANNE MARIE LEGALL\n12 rue des Lilas\n21000 DIJON\n"
    found = values(bill, DocType.PROOF_OF_ADDRESS)
    assert found[FieldName.HOLDER_NAME] == "MME ANNE MARIE LEGALL"
    assert FieldName.LAST_NAME not in found


def test_long_addressee_with_a_particle_is_split_at_the_particle() -> None:
    bill = "GAZ DE VILLE\nMME ANNE MARIE LE GALL\n12 rue des Lilas\n21000 DIJON\n"
    found = values(bill, DocType.PROOF_OF_ADDRESS)
    assert (found[FieldName.LAST_NAME], found[FieldName.FIRST_NAMES]) == ("LE GALL", "ANNE MARIE")


def test_common_words_before_a_name_are_dropped() -> None:
    assert clean_name("l'élève William PERRIN, né le 3 mars 2010") == "William PERRIN"
    assert clean_name("l’enfant Léa ROUX") == "Léa ROUX"
    assert clean_name("de La Fontaine Jean") == "de La Fontaine Jean"  # a particle stays
    assert clean_name("Jean de La Fontaine") == "Jean de La Fontaine"


def test_usage_name_split_to_a_line_of_its_own_by_ocr() -> None:
    text = (
        "PASSEPORT\nNom ; Surname\n\nDUPUY\n\nPrénoms / Given names\nAlice, Clémence\n"
        "Passeport n° 15DX76462\nép. BENARD\nDate de naissance\n04.08.1985\n"
    )
    found = values(text, DocType.PASSPORT, source=TextSource.OCR, confidence=0.8)
    assert (found[FieldName.LAST_NAME], found[FieldName.BIRTH_NAME]) == ("BENARD", "DUPUY")
    # "ép." inside a sentence is no usage line.
    plain = values("PASSEPORT\nNom\nDUPUY\nNote : voir ép. suivante\n", DocType.PASSPORT)
    assert plain[FieldName.LAST_NAME] == "DUPUY"
    assert FieldName.BIRTH_NAME not in plain


def _card_with_dates(*printed: str) -> str:
    mrz = compose_td3(
        document_number="21AB12345",
        surname="DUPUY",
        given_names="ALICE",
        sex="F",
        birth_date=date(1985, 8, 4),
        expiry_date=date(2035, 11, 14),
    )
    return "PASSEPORT\nD3te dc d6l1vr4nce\n" + "\n".join(printed) + "\n" + "\n".join(mrz)


def test_issue_date_by_elimination_under_an_unreadable_label() -> None:
    reading = piece(_card_with_dates("04.08.1985", "15.11.2025", "14.11.2035"), TextSource.OCR)
    found = extract_fields(reading, DocType.PASSPORT, as_of=AS_OF, trust=None).fields
    assert found[FieldName.ISSUE_DATE].value == "2025-11-15"
    assert found[FieldName.ISSUE_DATE].evidence.confidence <= 0.6  # a guess, never strong


def test_no_issue_date_when_elimination_leaves_two_or_a_future_one() -> None:
    two = _card_with_dates("04.08.1985", "15.11.2025", "01.02.2020", "14.11.2035")
    assert FieldName.ISSUE_DATE not in values(two, DocType.PASSPORT)
    future = _card_with_dates("04.08.1985", "15.11.2030")  # after AS_OF: no issue date
    assert FieldName.ISSUE_DATE not in values(future, DocType.PASSPORT)


def _passport(printed_given: str, mrz_given: str) -> dict[FieldName, str]:
    mrz = compose_td3(
        document_number="21AB12345",
        surname="MARTIN",
        given_names=mrz_given,
        sex="M",
        birth_date=date(1985, 8, 4),
        expiry_date=date(2035, 11, 14),
    )
    text = f"PASSEPORT\nNom / Surname\nMARTIN\nPrénoms / Given names\n{printed_given}\n"
    return values(text + "\n".join(mrz), DocType.PASSPORT)


def test_printed_given_names_kept_when_the_mrz_holds_only_the_first_ones() -> None:
    assert _passport("Pierre-Louis, Benoît", "PIERRE LOUIS")[FieldName.FIRST_NAMES] == (
        "Pierre-Louis, Benoît"
    )
    # Names compare whole: the MRZ's "JEAN" is not the printed "Jeanne".
    assert _passport("Jeanne", "JEAN")[FieldName.FIRST_NAMES] == "JEAN"


def test_a_civility_alone_is_no_name() -> None:
    # The OCR lost the name after it: better no holder than "Mme" (a false NAME_MISMATCH).
    assert clean_name("Mme") is None
    assert clean_name("MONSIEUR ") is None
    assert clean_name("Mme Zoé BRUN") == "Mme Zoé BRUN"
    assert clean_name("Madeleine") == "Madeleine"


def test_labels_and_lower_case_sentences_are_no_name() -> None:
    assert clean_name("FOURNIER Date de naissance 12/03/2010") == "FOURNIER"
    assert clean_name("Date de naissance FOURNIER") is None
    assert clean_name("du lundi au samedi de") is None


def test_usage_name_line_whose_label_and_birth_name_the_ocr_garbled() -> None:
    # "SAINT-JEAN ép. DAVID" read as "Dame ép. DAVID", its "Nom / Surname" label lost:
    # the usage name stays the last name and the MRZ gives the birth name.
    text = "PASSEPORT\nDame ép. DAVID\nPrénoms / Given names\nNathalie\n"
    reading = piece(text + "\n".join(SAINT_JEAN_MRZ), source=TextSource.OCR, confidence=0.7)
    found = extract_fields(reading, DocType.PASSPORT, as_of=AS_OF, trust=None).fields
    assert found[FieldName.LAST_NAME].value == "DAVID"
    assert found[FieldName.BIRTH_NAME].value == "SAINT JEAN"
    assert found[FieldName.BIRTH_NAME].evidence.source is TextSource.MRZ
    # A sentence with a marker in it is no name line: the MRZ surname is the last name.
    sentence = "PASSEPORT\nLe titulaire ép. DAVID est autorisé à voyager\nNathalie\n"
    reading = piece(sentence + "\n".join(SAINT_JEAN_MRZ), source=TextSource.OCR)
    plain = extract_fields(reading, DocType.PASSPORT, as_of=AS_OF, trust=None).fields
    assert plain[FieldName.LAST_NAME].value == "SAINT JEAN"
    assert FieldName.BIRTH_NAME not in plain


def test_usage_name_line_alone_keeps_the_usage_name_and_the_mrz_gives_the_birth_name() -> None:
    # Only "ép. DAVID" was read (the surname row above it lost): still a usage name.
    text = "PASSEPORT\nép. DAVID\nPrénoms / Given names\nNathalie\n"
    reading = piece(text + "\n".join(SAINT_JEAN_MRZ), source=TextSource.OCR, confidence=0.7)
    found = extract_fields(reading, DocType.PASSPORT, as_of=AS_OF, trust=None).fields
    assert found[FieldName.LAST_NAME].value == "DAVID"
    assert found[FieldName.BIRTH_NAME].value == "SAINT JEAN"
    # A blurred photo's "ép." read without its dot, its "é" as "@"
    for misread in ("@p DAVID", "ep DAVID", "Ep. DAVID"):
        reading = piece(
            f"PASSEPORT\n{misread}\nNathalie\n" + "\n".join(SAINT_JEAN_MRZ),
            source=TextSource.OCR,
            confidence=0.7,
        )
        found = extract_fields(reading, DocType.PASSPORT, as_of=AS_OF, trust=None).fields
        assert found[FieldName.LAST_NAME].value == "DAVID", misread
    # "Epinal" is a town, not a marker
    reading = piece(
        "PASSEPORT\nEpinal\nNathalie\n" + "\n".join(SAINT_JEAN_MRZ), source=TextSource.OCR
    )
    found = extract_fields(reading, DocType.PASSPORT, as_of=AS_OF, trust=None).fields
    assert found[FieldName.LAST_NAME].value == "SAINT JEAN"


def test_the_english_half_of_a_name_label_is_no_name_even_misread() -> None:
    # Page OCR put each half of "Nom / Surname" and "Prénoms / Given names" on its own
    # line, and misread one ("Geven names"): label words only are no name.
    page = "CARTE NATIONALE D'IDENTITÉ\nNom\nSurname\nMARTIN\nPrénoms\nGeven names\nAnne\n"
    found = values(page, DocType.IDENTITY_CARD, source=TextSource.OCR, confidence=0.8)
    assert found[FieldName.LAST_NAME] == "MARTIN"
    assert found[FieldName.FIRST_NAMES] == "Anne"
    # Names that merely look like label words stay names.
    names = "CARTE NATIONALE D'IDENTITÉ\nNom\nSUZANNE\nPrénoms\nGwen\n"
    kept = values(names, DocType.IDENTITY_CARD, source=TextSource.OCR, confidence=0.8)
    assert (kept[FieldName.LAST_NAME], kept[FieldName.FIRST_NAMES]) == ("SUZANNE", "Gwen")


def test_a_label_whose_rn_was_read_m_is_no_name() -> None:
    # A grainy card photo's "Surname" read "Sumarme": "rn" -> "m" and "m" -> "rm".
    page = "CARTE NATIONALE D'IDENTITÉ\nNom\nSumarme\nMARTIN\nPrénoms\nGiven names\nAnne\n"
    found = values(page, DocType.IDENTITY_CARD, source=TextSource.OCR, confidence=0.8)
    assert found[FieldName.LAST_NAME] == "MARTIN"
    # A surname a few letters from the label stays a name.
    names = "CARTE NATIONALE D'IDENTITÉ\nNom\nSUMNER\nPrénoms\nAnne\n"
    kept = values(names, DocType.IDENTITY_CARD, source=TextSource.OCR, confidence=0.8)
    assert kept[FieldName.LAST_NAME] == "SUMNER"


def test_a_symbol_read_before_a_name_value_is_no_part_of_it() -> None:
    # A table's rule or a logo read as "©" between the label and the student's name.
    page = "Certificat de scolarité\nNom © FOURNIER\nPrénom Benoît\nAnnée universitaire 2026-2027\n"
    found = values(page, DocType.SCHOOL_CERTIFICATE, source=TextSource.OCR, confidence=0.9)
    assert (found[FieldName.LAST_NAME], found[FieldName.FIRST_NAMES]) == ("FOURNIER", "Benoît")
    # Digits are not symbols: an address or a number after the label is still no name.
    number = "Certificat de scolarité\nNom 75001 PARIS\nPrénom Benoît\n"
    assert FieldName.LAST_NAME not in values(number, DocType.SCHOOL_CERTIFICATE)
