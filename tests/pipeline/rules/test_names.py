"""Name matching on a table of French names: same person written differently, and other people."""

from __future__ import annotations

import pytest

from pipeline.rules.company_names import match_company
from pipeline.rules.names import NameVerdict, PersonName, match_person, normalise

M, X, U = NameVerdict.MATCH, NameVerdict.MISMATCH, NameVerdict.UNCERTAIN

DUPONT_JEAN = PersonName("Dupont", "Jean")
MARTIN_ANNE_NEE_DUPONT = PersonName("Martin", "Anne", "Dupont")

# (applicant, name read on the document, read by OCR?, expected verdict)
FULL_LINE_CASES = [
    # same person, other spelling
    (DUPONT_JEAN, "M. Jean DUPONT", False, M),
    (DUPONT_JEAN, "DUPONT Jean", False, M),
    (DUPONT_JEAN, "dupont jean", False, M),
    (DUPONT_JEAN, "Monsieur DUPONT JEAN", False, M),
    (PersonName("Lefèvre", "Hélène"), "Mme LEFEVRE HELENE", False, M),
    (PersonName("Martin", "Jean-Pierre"), "MARTIN JEAN PIERRE", False, M),
    (PersonName("Martin", "Jean Pierre"), "Monsieur Jean-Pierre Martin", False, M),
    (MARTIN_ANNE_NEE_DUPONT, "DUPONT épouse MARTIN Anne", False, M),
    (MARTIN_ANNE_NEE_DUPONT, "Mme MARTIN née DUPONT Anne", False, M),
    (PersonName("Martin", "Anne"), "Mme MARTIN née DUPONT Anne", False, M),
    (PersonName("Dupont", "Anne"), "Mme MARTIN née DUPONT Anne", False, M),
    (PersonName("Martin", "Anne"), "DUPONT Anne nom d'usage MARTIN", False, M),
    (PersonName("Durand", "Paulette"), "Mme veuve DURAND Paulette", False, M),
    (PersonName("N'Diaye", "Aminata"), "NDIAYE AMINATA", False, M),
    (PersonName("N'Diaye", "Aminata"), "N DIAYE Aminata", False, M),
    (PersonName("Ndiaye", "Aminata"), "Mme N'DIAYE Aminata", False, M),
    (PersonName("de La Fontaine", "Jean"), "LAFONTAINE Jean", False, M),
    (PersonName("de La Fontaine", "Jean"), "M. Jean DE LA FONTAINE", False, M),
    (PersonName("Lafontaine", "Jean"), "Jean de La Fontaine", False, M),
    (PersonName("de Gaulle", "Charles"), "GAULLE Charles", False, M),
    (PersonName("Dupont-Moretti", "Éric"), "DUPONT MORETTI ERIC", False, M),
    (PersonName("Müller", "Zoé"), "MULLER ZOE", False, M),
    (PersonName("Le Goff", "Yann"), "LEGOFF Yann", False, M),
    (PersonName("Da Silva", "João"), "M DA SILVA JOAO", False, M),
    (PersonName("Cœur", "Agnès"), "COEUR AGNES", False, M),
    (DUPONT_JEAN, "M OU MME DUPONT JEAN", False, M),
    (DUPONT_JEAN, "M. ET MME JEAN DUPONT", False, M),
    (PersonName("Martin", "Anne"), "DUPONT Jean ou MARTIN Anne", False, M),
    # one wrong letter: tolerated from OCR, a human decides otherwise
    (DUPONT_JEAN, "DUPONT JEAM", True, M),
    (DUPONT_JEAN, "DUP0NT JEAN", True, M),
    (PersonName("Lefebvre", "Sophie"), "LEFEBVBE SOPHIE", True, M),
    (DUPONT_JEAN, "Jean DUPOND", True, M),
    (DUPONT_JEAN, "Jean DUPOND", False, U),
    # not enough to tell
    (DUPONT_JEAN, "M DUPONT", False, U),
    (DUPONT_JEAN, "J. DUPONT", False, U),
    # another person
    (DUPONT_JEAN, "Pierre DUPONT", False, X),
    (DUPONT_JEAN, "Jeanne DUPONT", False, X),
    (DUPONT_JEAN, "Jeanne DUPONT", True, X),
    (DUPONT_JEAN, "Jean DURAND", False, X),
    (DUPONT_JEAN, "Jean MARTIN", False, X),
    (DUPONT_JEAN, "DUPUIS JEAN", True, X),
    (DUPONT_JEAN, "M. ou Mme MARTIN", False, X),
    (PersonName("Martin", "Anne"), "Anne MARTINEZ", False, X),
    (PersonName("N'Diaye", "Aminata"), "DIALLO AMINATA", False, X),
    (MARTIN_ANNE_NEE_DUPONT, "DURAND épouse LEROY Anne", False, X),
    (PersonName("Li", "Wei"), "LU WEI", True, X),
    (PersonName("Roux", "Léa"), "Léo ROUX", False, X),
    (PersonName("Roux", "Léa"), "Léo ROUX", True, X),
]


@pytest.mark.parametrize(("expected", "read", "by_ocr", "verdict"), FULL_LINE_CASES)
def test_full_name_line(
    expected: PersonName, read: str, by_ocr: bool, verdict: NameVerdict
) -> None:
    result = match_person(expected, full_name=read, ocr=by_ocr)
    assert result.verdict is verdict, result.reason


# (applicant, last_name, first_names, birth_name, ocr, verdict): separate fields of an ID card
STRUCTURED_CASES = [
    (PersonName("Bernard", "Claire"), "BERNARD", "Marie, Claire, Anne", None, False, M),
    (PersonName("Bernard", "Marie"), "BERNARD", "MARIE CLAIRE ANNE", None, False, M),
    (PersonName("Bernard", "Claire"), "BERNARD", "Marie, Anne", None, False, X),
    (MARTIN_ANNE_NEE_DUPONT, "DUPONT", "Anne", None, False, M),
    (MARTIN_ANNE_NEE_DUPONT, "MARTIN", "Anne, Louise", "DUPONT", False, M),
    (PersonName("Martin", "Anne"), "LEROY", "Anne", None, False, X),
    (PersonName("Martin", "Anne"), "MARTIN", "Paul", None, False, X),
    (PersonName("Martin", "Anne"), "MARTIN", None, None, False, U),
    (PersonName("Nguyen", "Thi Mai"), "NGUYEN", "THI MAI", None, False, M),
    (PersonName("Nguyen", "Thi Mai"), "NGUYEM", "THI MAI", None, True, M),
]


@pytest.mark.parametrize(
    ("expected", "last", "first", "birth", "by_ocr", "verdict"), STRUCTURED_CASES
)
def test_identity_fields(
    expected: PersonName,
    last: str,
    first: str | None,
    birth: str | None,
    by_ocr: bool,
    verdict: NameVerdict,
) -> None:
    result = match_person(expected, last_name=last, first_names=first, birth_name=birth, ocr=by_ocr)
    assert result.verdict is verdict, result.reason


def test_score_is_high_for_a_match_and_lower_for_another_person() -> None:
    same = match_person(DUPONT_JEAN, full_name="M. DUPONT Jean")
    other = match_person(DUPONT_JEAN, full_name="Mme LEROY Sylvie")
    assert same.score == 100.0
    assert other.score < 60.0


def test_score_follows_the_surname_when_the_given_name_is_equal() -> None:
    # A whole-name similarity scored this 93/100: the shared given name carried it.
    other = match_person(PersonName("Gérard", "Mélanie"), last_name="EVRARD", first_names="MELANIE")
    married = match_person(
        PersonName("Gérard", "Mélanie"),
        last_name="GÉRARD",
        first_names="MÉLANIE",
        birth_name="ÉVRARD",
    )
    assert other.verdict is NameVerdict.MISMATCH
    assert other.score < 70.0
    assert married.score == 100.0


def test_score_is_that_of_the_given_name_when_only_it_differs() -> None:
    result = match_person(DUPONT_JEAN, full_name="M. DUPONT Paul")
    assert result.score < 50.0


def test_normalise_strips_accents_apostrophes_and_punctuation() -> None:
    assert normalise("  N’Diaye-Lefèvre, Éloïse ") == "ndiaye lefevre eloise"


def test_needs_a_name() -> None:
    with pytest.raises(ValueError):
        match_person(DUPONT_JEAN)


@pytest.mark.parametrize(
    ("expected", "read", "verdict"),
    [
        ("Boulangerie Martin SARL", "SARL BOULANGERIE MARTIN", M),
        ("Boulangerie Martin", "Sté Boulangerie-Martin", M),
        ("Alpha Conseil SAS", "ALPHA CONSEIL", M),
        ("Alpha Conseil SAS", "ALPHA CONSEILS", M),
        ("Alpha Conseil SAS", "Beta Industrie SAS", X),
        ("Menuiserie Dubois", "Menuiserie Durand", X),
    ],
)
def test_company_names(expected: str, read: str, verdict: NameVerdict) -> None:
    assert match_company(expected, read).verdict is verdict


def test_company_with_extra_words_is_for_a_human() -> None:
    assert match_company("Menuiserie Dubois", "MENUISERIE DUBOIS ET FILS").verdict is U
