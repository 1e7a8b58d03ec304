"""The vocabulary of field labels, defined once: a value is never one of them.

Real layouts put labels where a reading in text order expects values: a card's
bilingual labels on two lines ("NOM D'USAGE / Alternate name"), a notice's column
headings ("Déclarant 1 | Déclarant 2") above the names, a bill's "Nom de l'abonné"
in a box of its own. Every extractor asks `is_label` before it keeps a value,
and looks beside or under the label instead when the answer is yes.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from pipeline.extract.folding import fold

# Folded spellings of the labels of people, addresses and identity documents, in
# French and in the English of bilingual cards and passports.
LABELS: tuple[str, ...] = (
    # names
    "nom", "noms", "nom d'usage", "nom de naissance", "nom de famille", "nom patronymique",
    "prenom", "prenoms", "prenom(s)", "nom et prenom", "nom prenom", "nom et prenoms",
    "surname", "given names", "given name", "alternate name", "name", "names",
    "first name", "last name",
    # holders and parties
    "declarant", "declarants", "declarant 1", "declarant 2", "titulaire", "titulaires",
    "titulaire du compte", "titulaire du contrat", "titulaire de la ligne", "nom du titulaire",
    "cotitulaire", "abonne", "nom de l'abonne", "client", "nom du client", "souscripteur",
    "assure", "nom de l'assure", "locataire", "nom du locataire", "beneficiaire",
    "intitule du compte", "account holder", "account owner", "destinataire",
    "representant legal", "raison sociale",
    # the rest of a card or a form
    "adresse", "address", "domicile", "date de naissance", "date of birth",
    "lieu de naissance", "place of birth", "sexe", "sex", "nationalite", "nationality",
    "signature", "signature du titulaire", "date de delivrance", "date of issue",
    "date d'expiration", "date of expiry", "expiry date", "n° du document", "document no",
    "autorite", "authority",
)  # fmt: skip

# Words of labels that no name, company or street is made of alone ("COMTE", "MAILLE",
# "JEUNE" are surnames, so "compte", "taille", "jeune fille" are left out): a value made
# of these only, and the small words between them, is a label in any order ("sn usage
# NOM D'USAGE" is OCR noise and labels).
_CONNECTORS = frozenset({"de", "du", "des", "d", "l", "la", "le", "et", "ou", "of", "s", "n"})
LABEL_WORDS = frozenset(
    {"nom", "noms", "usage", "naissance", "famille", "patronymique", "prenom", "prenoms",
     "surname", "given", "names", "name", "alternate", "declarant", "declarants", "titulaire",
     "titulaires", "cotitulaire", "abonne", "client", "souscripteur", "assure", "locataire",
     "beneficiaire", "intitule", "account", "holder", "owner", "destinataire", "representant",
     "adresse", "address", "domicile", "date", "birth", "lieu", "sexe", "sex", "nationalite",
     "nationality", "signature", "delivrance", "expiration", "expiry", "issue", "document",
     "no", "autorite", "authority", "first", "last"}
)  # fmt: skip
# Long label words the OCR garbles ("Geven names", "Sumame"), matched with slips; the
# short ones are too close to real names ("names" is one letter from "JAMES").
_GARBLED = frozenset(
    {"surname", "given", "prenom", "prenoms", "alternate", "declarant", "titulaire",
     "nationalite", "nationality", "naissance", "signature", "delivrance", "expiration",
     "adresse", "souscripteur", "locataire", "beneficiaire", "destinataire"}
)  # fmt: skip
# Label words that no name, company or address holds as a word of its own: a value
# holding one ran into a label ("MARTIN Prénoms", "Nom de l'abonné M. DUPONT").
_NEVER_IN_VALUES = frozenset(
    {"nom", "noms", "prenom", "prenoms", "surname", "declarant", "declarants", "titulaire",
     "abonne", "souscripteur", "nationalite", "nationality", "naissance", "usage",
     "alternate", "intitule", "sexe", "adresse"}
)  # fmt: skip
# Labels of several words: held anywhere in a value, they make it a label.
_PHRASES = tuple(label for label in LABELS if " " in label or "'" in label)

# A whole value this similar (0-100) to a label is that label read with OCR slips.
FUZZY_LABEL_RATIO = 85.0


def _slips(word: str) -> int:
    """Edits an OCR'd word may differ by from a label word of this length."""
    return 1 if len(word) < 7 else 2


def is_label_word(word: str) -> bool:
    """Whether a folded word is a label's word, OCR slips allowed on the long ones
    ("geven" for "given", "sumame" for "surname": OCR reads "rn" as "m")."""
    if word in LABEL_WORDS:
        return True
    if len(word) < 5:
        return False
    plain = word.replace("rn", "m")
    return any(
        Levenshtein.distance(plain, label.replace("rn", "m")) <= _slips(label)
        for label in _GARBLED
        if abs(len(label) - len(word)) <= 2
    )


def is_label(text: str) -> bool:
    """Whether `text` is, contains, or fuzzily matches a field label.

    True for "Nom", "Déclarant", "Nom de l'abonné", "Prénom(s) :", "sn usage NOM D'USAGE",
    "Geven names", "MARTIN Prénoms"; False for "MARTIN", "Jean-Pierre", "DE LA TOUR".
    """
    folded = fold(text)
    if only_label(text):
        return True
    if any(w in _NEVER_IN_VALUES for w in re.findall(r"[a-z]+", folded)):
        return True
    return any(re.search(rf"(?<![a-z]){re.escape(p)}(?![a-z])", folded) for p in _PHRASES)


def only_label(text: str) -> bool:
    """Whether `text` is nothing but a label (and OCR crumbs): "Prénoms", "NOM D'USAGE /
    Alternate name", "Geven names"; not "Nom : MARTIN" nor "Date of birth 12.03.1990"."""
    tokens = re.findall(r"[a-z]+|\d+", fold(text))
    meaningful = [w for w in tokens if w not in _CONNECTORS]
    # A number is a value ("Date of birth 12.03.1990"), but for a label's own rank
    # ("Déclarant 1").
    if not meaningful or any(w.isdigit() and len(w) > 1 for w in meaningful):
        return False
    meaningful = [w for w in meaningful if not w.isdigit()]
    # An OCR crumb of one or two letters beside label words is noise, not a value.
    if all(is_label_word(w) or len(w) <= 2 for w in meaningful):
        return any(is_label_word(w) for w in meaningful)
    compact = " ".join(meaningful)
    return any(
        fuzz.ratio(compact, " ".join(re.findall(r"[a-z]+", label))) >= FUZZY_LABEL_RATIO
        for label in LABELS
        if len(label) >= 6
    )


# Words whose presence makes a short text a field label rather than a value: the
# label words, and the words of date, number and table labels.
_SHORT_LABEL_WORDS = LABEL_WORDS | {
    "naiss",
    "delivrance",
    "validite",
    "numero",
    "n°",
    "rubrique",
    "siret",
    "siren",
}
_SHORT_LABEL_MAX = 40  # characters: longer texts are sentences or values with a label


def looks_like_label(text: str) -> bool:
    """Whether a short text reads as a field label ("Date de naissance", "Prénom(s)",
    "N° du document"): what sits beside or under a label is skipped when it is one."""
    folded = fold(text)
    if len(folded) > _SHORT_LABEL_MAX:
        return False
    words = re.findall(r"[a-z°]+", folded.replace("n°", " n° "))
    return any(w in _SHORT_LABEL_WORDS for w in words) or is_label(text)


def starts_label(word: str) -> bool:
    """Whether a word of a value is where a label begins ("MARTIN Prénoms"): a value
    read in text order is cut there."""
    return fold(word).strip(",.:;'") in _NEVER_IN_VALUES


__all__ = [
    "LABELS",
    "LABEL_WORDS",
    "is_label",
    "is_label_word",
    "looks_like_label",
    "only_label",
    "starts_label",
]
