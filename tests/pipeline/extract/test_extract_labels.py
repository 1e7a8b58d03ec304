"""Fields that are never labels: the label vocabulary, and values found beside or under
their label when the text order puts a label where the value was expected."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.extract import extract_fields
from pipeline.extract.labels import is_label, looks_like_label, only_label
from pipeline.extract.people import clean_name
from pipeline.fields import DocType, FieldName
from pipeline.types import Box, PageReading, PieceReading, Quality, TextSource, Word

AS_OF = date(2026, 11, 26)
ROW = 0.03  # height of a text line, page-relative
NAME_FIELDS = (
    FieldName.LAST_NAME,
    FieldName.FIRST_NAMES,
    FieldName.BIRTH_NAME,
    FieldName.HOLDER_NAME,
    FieldName.ACCOUNT_HOLDER,
)


def page(
    cells: list[tuple[str, float, float] | tuple[str, float, float, float]],
    text: str,
    source: TextSource = TextSource.OCR,
) -> PieceReading:
    """A page whose words sit at the given places (with an optional word confidence)
    and whose text, in reading order, is `text`."""
    words = []
    for cell in cells:
        phrase, x0, y0 = cell[:3]
        confidence = cell[3] if len(cell) > 3 else 0.9
        x = x0
        for token in phrase.split():
            width = 0.012 * len(token)
            box = Box(x0=x, y0=y0, x1=x + width, y1=y0 + ROW * 0.7)
            words.append(Word(text=token, box=box, confidence=confidence))
            x += width + 0.01
    reading = PageReading(
        n=1,
        text_source=source,
        text=text,
        words=words,
        confidence=0.8,
        quality=Quality(blur=50.0, dpi=300.0, contrast=0.8, blank=False),
        width_px=1000,
        height_px=1000,
    )
    return PieceReading(sha256="0" * 64, pages=[reading])


def fields(reading: PieceReading, doc_type: DocType) -> dict[FieldName, str]:
    found = extract_fields(reading, doc_type, as_of=AS_OF, trust=None)
    return {name: f.value for name, f in found.fields.items()}


@pytest.mark.parametrize(
    "text",
    [
        "Nom", "NOM D'USAGE", "Nom d'usage / Alternate name", "Déclarant", "Déclarant 1",
        "Titulaire", "Nom de l'abonné", "Prénoms", "Prénom(s) :", "Adresse",
        "Date de naissance", "Sexe", "Nationalité", "Surname", "Given names",
        "sn usage NOM D'USAGE", "Geven names", "Sumarme", "(Account Owner", "MARTIN Prénoms",
    ],
)  # fmt: skip
def test_labels_are_labels(text: str) -> None:
    assert is_label(text)


@pytest.mark.parametrize(
    "text",
    ["MARTIN", "Jean-Pierre", "DE LA TOUR", "JAMES", "LE COMTE", "Martial", "Gilles",
     "M. Jean DUPONT", "ENTREPRISE TEST SAS", "N'Diaye", "Anne-Marie LE GALL"],
)  # fmt: skip
def test_names_are_not_labels(text: str) -> None:
    assert not is_label(text)
    assert not looks_like_label(text)


def test_a_value_after_a_label_is_not_only_a_label() -> None:
    # The rest of a label's line is kept when it holds a value.
    assert not only_label("Date of birth 12.03.1990")
    assert not only_label("Nom : MARTIN")
    assert only_label("NOM D'USAGE / Alternate name")


def test_clean_name_never_returns_a_label_and_stops_where_one_starts() -> None:
    assert clean_name("Déclarant") is None
    assert clean_name("Nom de l'abonné") is None
    assert clean_name("MARTIN Prénoms Léa") == "MARTIN"


def test_tax_notice_names_under_declarant_headings() -> None:
    """A notice prints "Déclarant 1 | Déclarant 2" as column headings, the names under
    them; the text layer's order joins the headings on one line."""
    cells = [
        ("Déclarant 1", 0.10, 0.20),
        ("Déclarant 2", 0.50, 0.20),
        ("DURAND Paul", 0.10, 0.24),
        ("DURAND Claire", 0.50, 0.24),
    ]
    text = "AVIS D'IMPÔT\nDéclarant 1 Déclarant 2\nDURAND Paul DURAND Claire\n"
    got = fields(page(cells, text, TextSource.TEXT_LAYER), DocType.TAX_NOTICE)
    assert got[FieldName.HOLDER_NAME] == "DURAND Paul"


def test_bill_subscriber_label_with_its_value_beside_it() -> None:
    """A telecom bill's "Nom de l'abonné" box: the OCR reads the label column first, so
    the next line is another label; the value is right of the label on its row."""
    cells = [
        ("Nom de l'abonné", 0.10, 0.30),
        ("Paul DURAND", 0.45, 0.30),
        ("Adresse de facturation", 0.10, 0.34),
        ("12 rue des Lilas 69003 Lyon", 0.45, 0.34),
    ]
    text = (
        "FACTURE\nNom de l'abonné\nAdresse de facturation\nPaul DURAND\n"
        "12 rue des Lilas 69003 Lyon\n"
    )
    got = fields(page(cells, text), DocType.PROOF_OF_ADDRESS)
    assert got.get(FieldName.HOLDER_NAME) == "Paul DURAND"


def test_card_usage_name_row_heading_a_column_reads_the_value_under_it() -> None:
    """The 2021 card's bilingual label "NOM D'USAGE / Alternate name" is read on one line
    and its English half on the next: neither is the usage name."""
    cells = [
        ("NOM / Surname", 0.40, 0.20),
        ("BERNARD", 0.40, 0.235),
        ("NOM D'USAGE", 0.40, 0.40),
        ("/ Alternate name", 0.53, 0.40),
        ("ép. FONTAINE", 0.40, 0.435),
    ]
    text = "NOM / Surname\nBERNARD\nNOM D'USAGE / Alternate name\nép. FONTAINE\n"
    got = fields(page(cells, text), DocType.IDENTITY_CARD)
    assert got[FieldName.LAST_NAME] == "FONTAINE"
    assert got[FieldName.BIRTH_NAME] == "BERNARD"


def test_blank_card_template_yields_no_names() -> None:
    """A card whose values are blanked: labels only, and letters the OCR saw in the
    background, weakly read, some left of the labels in the photo's place."""
    cells = [
        ("NOM / Surname", 0.40, 0.20),
        ("BH ee Fe", 0.05, 0.21, 0.3),  # in the photo's place, left of the labels
        ("Prénoms / Given names", 0.40, 0.33),
        ("Sie LANTA", 0.44, 0.37, 0.25),
        ("NOM D'USAGE / Alternate name", 0.40, 0.60),
        ("Wy", 0.80, 0.60, 0.44),
    ]
    text = (
        "NOM / Surname\nx ii\nBH ee Fe\nPrénoms / Given names\nSie LANTA\n"
        "NOM D'USAGE / Alternate name Wy\n"
    )
    got = fields(page(cells, text), DocType.IDENTITY_CARD)
    assert not any(name in got for name in NAME_FIELDS), got


def test_a_line_left_of_its_label_is_not_its_value() -> None:
    # MOREL is too far under the label for the position lookup: the text order finds it.
    cells = [("Nom :", 0.40, 0.20), ("GARNIER", 0.05, 0.23), ("MOREL", 0.40, 0.30)]
    text = "Nom :\nGARNIER\nMOREL\n"
    got = fields(page(cells, text), DocType.IDENTITY_CARD)
    assert got[FieldName.LAST_NAME] == "MOREL"


def test_rib_holder_label_with_its_english_half_reads_the_line_under_it() -> None:
    cells = [
        ("Titulaire du compte (Account Owner)", 0.55, 0.50),
        ("Mme Lucie FAURE", 0.57, 0.53),
    ]
    text = "RIB\nTitulaire du compte (Account Owner\nMme Lucie FAURE\n"
    got = fields(page(cells, text), DocType.BANK_DETAILS)
    assert got[FieldName.ACCOUNT_HOLDER] == "Mme Lucie FAURE"


def test_a_sentence_is_not_a_name() -> None:
    """A born-digital insurance certificate's sentence after its "Assuré" heading was
    taken as the holder's name."""
    assert clean_name("Ce contrat garantit notamment les risques locatifs") is None
    assert clean_name("Jean-Pierre de la Tour") == "Jean-Pierre de la Tour"
    text = (
        "ATTESTATION D'ASSURANCE HABITATION\nAssuré\n"
        "Ce contrat garantit notamment les risques locatifs\n"
    )
    got = fields(page([], text, TextSource.TEXT_LAYER), DocType.PROOF_OF_ADDRESS)
    assert FieldName.HOLDER_NAME not in got


@pytest.mark.parametrize(
    "title",
    [
        "Avis d'impôt 2026 sur les revenus de l'année 2025",
        "Avis d'impôt 2026 sur les revenus de\nl'année 2025",  # a title cut by the layout
        "Impôt sur les revenus 2026\nAvis d'impôt 2026",  # the notice's year after "revenus"
        "AVIS D'IMPÔT 2026",
        "Revenus 2025 – impôt 2026",
    ],
)
def test_income_year_is_the_labelled_one_never_the_notice_year(title: str) -> None:
    text = f"{title}\nDéclarant 1 : M. Paul DURAND\nRevenu fiscal de référence : 31 200 €\n"
    got = fields(page([], text, TextSource.TEXT_LAYER), DocType.TAX_NOTICE)
    assert got[FieldName.TAX_YEAR] == "2025"


def test_a_labelled_income_year_that_the_notice_year_contradicts_is_weak() -> None:
    text = "Avis d'impôt 2026\nrevenus de l'année 2023\n"
    found = extract_fields(
        page([], text, TextSource.TEXT_LAYER), DocType.TAX_NOTICE, as_of=AS_OF, trust=None
    )
    year = found.fields[FieldName.TAX_YEAR]
    assert year.value == "2023" and year.evidence.confidence < 0.7


def test_a_sentence_after_par_is_no_issuer() -> None:
    text = "CARTE\nNom : MOREL\nsociété par actions simplifiée au capital de\n"
    assert FieldName.ISSUER not in fields(
        page([], text, TextSource.TEXT_LAYER), DocType.IDENTITY_CARD
    )
    text = "CARTE\nNom : MOREL\nDélivrée par : Préfecture de la Gironde\n"
    got = fields(page([], text, TextSource.TEXT_LAYER), DocType.IDENTITY_CARD)
    assert got[FieldName.ISSUER] == "Préfecture de la Gironde"
