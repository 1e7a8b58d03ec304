"""Does the company name read on a document designate the applicant company?"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from pipeline.rules.names import NameMatch, NameReason, NameVerdict, normalise

# Legal forms and filler words that do not identify a company.
LEGAL_FORMS = frozenset(
    {
        "sarl",
        "sas",
        "sasu",
        "sa",
        "eurl",
        "sci",
        "snc",
        "scop",
        "scp",
        "selarl",
        "ei",
        "eirl",
        "micro",
        "entreprise",
        "societe",
        "ste",
        "ets",
        "etablissements",
        "cie",
        "compagnie",
        "et",
        "the",
    }
)
COMPANY_UNCERTAIN_MIN = 90.0


def company_tokens(name: str) -> list[str]:
    return [t for t in normalise(name).split() if t not in LEGAL_FORMS]


def _covered(words: Sequence[str], by: Sequence[str]) -> bool:
    # one letter of slack on long words absorbs plurals and OCR slips ("conseil(s)")
    return all(
        any(Levenshtein.distance(w, b) <= (1 if len(w) >= 5 else 0) for b in by) for w in words
    )


def match_company(expected: str, read: str) -> NameMatch:
    """Compare company names, ignoring legal forms (SARL, SAS...), case, accents and punctuation.

    Every distinctive word must be on both sides: "Menuiserie Dubois" is not
    "Menuiserie Durand" however close the strings are.
    """
    want, got = company_tokens(expected), company_tokens(read)
    if not want or not got:
        return NameMatch(verdict=NameVerdict.UNCERTAIN, score=0, reason=NameReason.NO_COMPANY_NAME)
    score = round(fuzz.token_sort_ratio(" ".join(want), " ".join(got)), 1)
    if "".join(want) == "".join(got) or (_covered(want, got) and _covered(got, want)):
        return NameMatch(
            verdict=NameVerdict.MATCH, score=score, reason=NameReason.COMPANY_NAMES_AGREE
        )
    if _covered(want, got) or _covered(got, want) or score >= COMPANY_UNCERTAIN_MIN:
        return NameMatch(
            verdict=NameVerdict.UNCERTAIN, score=score, reason=NameReason.COMPANY_NAMES_CLOSE
        )
    return NameMatch(
        verdict=NameVerdict.MISMATCH, score=score, reason=NameReason.COMPANY_NAMES_DIFFER
    )
