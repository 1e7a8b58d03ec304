"""Domain vocabulary of each document type, as real issuers word it.

TF-IDF learns the exact phrasing of our own templates; real documents written
by other issuers (banks, energy suppliers, prefectures, foreign states) share
with ours only the vocabulary their type imposes. These lists hold that
vocabulary: generic terms found across issuers, some in the other languages of
identity documents, never a phrase of one of our templates alone. A term not
present in any training document still counts, because the model weighs the
score of a whole group, not each term.

Terms are written accent-folded and lowercase (as `normalise_text` gives);
words may be separated by any punctuation or spaces in the text ("Type / Type",
"d’identité"). Entries starting with `re:` are regular expressions.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from pipeline.fields import DocType


class LexiconGroup(StrEnum):
    """One score per group: the document types with a vocabulary, plus shared families."""

    BANK_DETAILS = DocType.BANK_DETAILS.value
    TAX_NOTICE = DocType.TAX_NOTICE.value
    PASSPORT = DocType.PASSPORT.value
    IDENTITY_CARD = DocType.IDENTITY_CARD.value
    RESIDENCE_PERMIT = DocType.RESIDENCE_PERMIT.value
    PROOF_OF_ADDRESS = DocType.PROOF_OF_ADDRESS.value
    SCHOOL_CERTIFICATE = DocType.SCHOOL_CERTIFICATE.value
    COMPANY_EXTRACT = DocType.COMPANY_EXTRACT.value
    URSSAF_CERTIFICATE = DocType.URSSAF_CERTIFICATE.value
    PAYSLIP = DocType.PAYSLIP.value
    RESUME = DocType.RESUME.value
    # Labels every identity document carries, whatever its kind or country.
    IDENTITY_COMMON = "identity_common"
    # Commercial paperwork (invoices, quotes, orders): the commonest "other" upload,
    # and what a utility bill must not be confused with.
    COMMERCE = "commerce"
    # Correspondence: letters, notices, minutes.
    CORRESPONDENCE = "correspondence"


LEXICON: dict[LexiconGroup, tuple[str, ...]] = {
    LexiconGroup.BANK_DETAILS: (
        "iban",
        "bic",
        "rib",
        "releve d'identite bancaire",
        "identite bancaire",
        "titulaire du compte",
        "titulaire",
        "domiciliation",
        "code banque",
        "code guichet",
        "guichet",
        "cle rib",
        "numero de compte",
        "n de compte",
        "identifiant international",
        "swift",
        "bank identifier code",
        "international bank account number",
        "agence",
        "banque",
        "compte",
        "cle",
        "coordonnees bancaires",
        "references bancaires",
        "bancaire",
        "virement",
        "virements",
        "bank details",
        # An IBAN as normalised text prints it (digit runs folded): "fr0 0 0 0 0 0 0".
        "re:(?<![a-z0-9])[a-z]{2}0(?: [a-z]?0[a-z]?){4,}",
    ),
    LexiconGroup.TAX_NOTICE: (
        "avis d'impot",
        "avis d'imposition",
        "avis de situation declarative",
        "revenu fiscal de reference",
        "numero fiscal",
        "reference de l'avis",
        "impot sur le revenu",
        "impot sur les revenus",
        "nombre de parts",
        "dgfip",
        "finances publiques",
        "prelevement a la source",
        "situation de famille",
        "revenu brut global",
        "revenu imposable",
        "impots.gouv",
        "centre des finances publiques",
        "sip",
        "declarant",
        "taux de prelevement",
    ),
    LexiconGroup.PASSPORT: (
        "passeport",
        "passport",
        "pasaporte",
        "reisepass",
        "passaporto",
        "passaporte",
        "paspoort",
        "paszport",
        "type type",
        "code pays",
        "country code",
        "code of issuing state",
        "re:p<[a-z<]{3}",
    ),
    LexiconGroup.IDENTITY_CARD: (
        "carte nationale d'identite",
        "carte d'identite",
        "identity card",
        "national identity card",
        "id card",
        "documento de identidad",
        "documento nacional de identidad",
        "personalausweis",
        "carta d'identita",
        "carta di identita",
        "identiteitskaart",
        "cartao de cidadao",
        "dowod osobisty",
        "carte nationale",
        "re:i[d<]fra",
        # The back of the French card issued until 2021 carries no MRZ and no
        # title: its official wording is all there is.
        "carte valable jusqu'au",
        "signature de l'autorite",
    ),
    LexiconGroup.RESIDENCE_PERMIT: (
        "titre de sejour",
        "residence permit",
        "recepisse",
        "carte de sejour",
        "carte de resident",
        "autorisation provisoire de sejour",
        "demande de titre de sejour",
        "aufenthaltstitel",
        "permiso de residencia",
        "permesso di soggiorno",
        "verblijfsvergunning",
        "titre de voyage",
        "vie privee et familiale",
        "ressortissant",
        "etranger",
        "autorise son titulaire a travailler",
        "prefecture",
        "ofii",
    ),
    LexiconGroup.PROOF_OF_ADDRESS: (
        "electricite",
        "gaz",
        "gaz naturel",
        "eau",
        "eau potable",
        "assainissement",
        "abonnement",
        "consommation",
        "kwh",
        "m0",  # m3 after digit folding
        "point de livraison",
        "point de comptage",
        "pdl",
        "pce",
        "compteur",
        "index",
        "quittance",
        "quittance de loyer",
        "loyer",
        "charges",
        "bailleur",
        "locataire",
        "logement",
        "assurance habitation",
        "multirisque habitation",
        "attestation d'assurance",
        "internet",
        "mobile",
        "box",
        "fibre",
        "forfait",
        "ligne fixe",
        "adresse de consommation",
        "lieu de consommation",
        "adresse du logement",
        "fournisseur",
        "echeance",
        "prelevement",
    ),
    LexiconGroup.SCHOOL_CERTIFICATE: (
        "certificat de scolarite",
        "attestation de scolarite",
        "scolarite",
        "annee scolaire",
        "annee universitaire",
        "eleve",
        "etudiant",
        "etudiante",
        "inscrit",
        "inscrite",
        "regulierement inscrit",
        "etablissement",
        "chef d'etablissement",
        "lycee",
        "college",
        "universite",
        "ecole",
        "academie",
        "proviseur",
        "classe de",
    ),
    LexiconGroup.COMPANY_EXTRACT: (
        "kbis",
        "extrait kbis",
        "registre du commerce",
        "registre du commerce et des societes",
        "rcs",
        "greffe",
        "greffier",
        "tribunal de commerce",
        "immatriculation",
        "extrait",
        "forme juridique",
        "capital social",
        "siege social",
        "denomination",
        "activite principale",
        "date de commencement d'activite",
        "gerant",
        "infogreffe",
        "registre national des entreprises",
    ),
    LexiconGroup.URSSAF_CERTIFICATE: (
        "urssaf",
        "attestation de vigilance",
        "vigilance",
        "cotisations",
        "contributions sociales",
        "securite sociale",
        "code de la securite sociale",
        "obligations declaratives",
        "donneur d'ordre",
        "a jour de ses obligations",
        "msa",
        "mutualite sociale agricole",
        "code de securisation",
    ),
    LexiconGroup.PAYSLIP: (
        "bulletin de paie",
        "bulletin de salaire",
        "fiche de paie",
        "salaire brut",
        "salaire de base",
        "net a payer",
        "net imposable",
        "net social",
        "montant net social",
        "net avant impot",
        "cotisations",
        "convention collective",
        "periode du",
        "conges payes",
        "csg",
        "crds",
        "retraite complementaire",
        "prevoyance",
        "salarie",
        "employeur",
        "heures",
        "matricule",
    ),
    LexiconGroup.RESUME: (
        "curriculum vitae",
        "cv",
        "experience",
        "experiences",
        "experience professionnelle",
        "experiences professionnelles",
        "formation",
        "formations",
        "competences",
        "langues",
        "centres d'interet",
        "loisirs",
        "diplomes",
        "stage",
        "profil",
        "permis b",
        "work experience",
        "education",
        "skills",
        "languages",
    ),
    LexiconGroup.IDENTITY_COMMON: (
        "nom",
        "prenoms",
        "prenom",
        "surname",
        "given names",
        "sexe",
        "sex",
        "nationalite",
        "nationality",
        "date de naissance",
        "date of birth",
        "lieu de naissance",
        "place of birth",
        "date d'expiration",
        "date of expiry",
        "valable jusqu'au",
        "date de delivrance",
        "date of issue",
        "signature du titulaire",
        "re:<<",
    ),
    LexiconGroup.COMMERCE: (
        "facture",
        "devis",
        "bon de commande",
        "total ht",
        "total ttc",
        "ht",
        "ttc",
        "tva",
        "montant ht",
        "prix unitaire",
        "quantite",
        "qte",
        "designation",
        "article",
        "remise",
        "conditions de paiement",
        "date d'echeance",
        "siret",
        "reglement",
    ),
    LexiconGroup.CORRESPONDENCE: (
        "objet",
        "madame, monsieur",
        "veuillez agreer",
        "je vous prie",
        "salutations distinguees",
        "cordialement",
        "ordre du jour",
        "proces-verbal",
        "assemblee generale",
        "seance",
        "je soussigne",
        "pour servir et valoir ce que de droit",
    ),
}
LEXICON_GROUPS: tuple[LexiconGroup, ...] = tuple(LexiconGroup)

_EDGE_BEFORE = r"(?<![a-z0-9])"
_EDGE_AFTER = r"(?![a-z0-9])"
_WORD = re.compile(r"[a-z0-9]+")
# Tesseract's commonest confusions, each folded onto one character, applied to
# both the terms and the text so that "attestation de vigiiance" or "so(iales"
# still count. Whole folded classes, not single substitutions: the fold must be
# the same whichever side the confusion happened on. Letters OCR reads as digits
# (O/0, l/1, I/1, S/5, B/8, Z/2) fold onto "0", because `normalise_text` has
# already turned every digit run into "0".
_OCR_FOLD = str.maketrans(
    {
        **dict.fromkeys("oilsbz|!$", "0"),
        "e": "c",
        "(": "c",
    }
)
_OCR_PAIRS = re.compile(r"rn")  # "rn" is read for "m" and the reverse
# Folding makes short terms ambiguous ("cle" and "de" differ by one folded letter).
MIN_FOLDED_LETTERS = 5


def fold_ocr(normalised: str) -> str:
    """Normalised text with OCR-confusable characters folded onto one of each class."""
    return _OCR_PAIRS.sub("m", normalised).translate(_OCR_FOLD)


def _term_pattern(term: str, *, separator: str = r"[^a-z0-9]+") -> str:
    if term.startswith("re:"):
        return term[3:]
    words = _WORD.findall(term)
    # Any run of spaces or punctuation may separate the words: "type / type", "d’identite".
    return _EDGE_BEFORE + separator.join(words) + _EDGE_AFTER


def _folded_pattern(term: str) -> re.Pattern[str] | None:
    """The term as OCR may print it, or None for terms too short or made of a regex."""
    if term.startswith("re:") or sum(c.isalpha() for c in term) < MIN_FOLDED_LETTERS:
        return None
    # OCR also merges words, so the separator may vanish; it may print its own in it.
    return re.compile(_term_pattern(fold_ocr(term), separator=r"[^a-z0-9]*"))


@dataclass(frozen=True)
class _Term:
    exact: re.Pattern[str]
    folded: re.Pattern[str] | None
    # A literal the text must contain for a match (a plain `in` test is far
    # cheaper than running hundreds of patterns over every page).
    exact_key: str
    folded_key: str


def _key(term: str) -> str:
    return "" if term.startswith("re:") else max(_WORD.findall(term), key=len)


def _compile() -> dict[LexiconGroup, list[_Term]]:
    return {
        group: [
            _Term(
                re.compile(_term_pattern(term)),
                _folded_pattern(term),
                _key(term),
                fold_ocr(_key(term)),
            )
            for term in LEXICON.get(group, ())
        ]
        for group in LEXICON_GROUPS
    }


_TERMS = _compile()


def lexicon_scores(normalised: str) -> list[float]:
    """Per group, in LEXICON_GROUPS order: sum over its terms of log(1 + occurrences).

    A term's occurrences are the larger of its exact and its OCR-folded counts.
    The log makes the variety of terms matter more than one repeated word, so a
    page that repeats "formation" ten times is not a CV.
    """
    folded = fold_ocr(normalised)
    return [
        sum(math.log1p(_occurrences(term, normalised, folded)) for term in _TERMS[group])
        for group in LEXICON_GROUPS
    ]


def _occurrences(term: _Term, normalised: str, folded: str) -> int:
    exact = len(term.exact.findall(normalised)) if term.exact_key in normalised else 0
    if term.folded is None or term.folded_key not in folded:
        return exact
    return max(exact, len(term.folded.findall(folded)))
