"""Does the name read on a document designate the applicant?

French names on documents vary a lot for one person: accents and case dropped,
surname first, hyphens printed as spaces, civility prefixes, married names
("DUPONT épouse MARTIN", "Mme MARTIN née DUPONT", "nom d'usage"), every given
name listed ("Marie, Claire, Anne"), apostrophes (N'Diaye) and particles
(de, du, de La). The matcher is tolerant of all of these, but strict about a
different person: a surname that is not there is a mismatch even when the
first name is equal. Token similarity uses rapidfuzz's Levenshtein distance;
one wrong letter is tolerated only when the text came from OCR.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel
from rapidfuzz.distance import Levenshtein


class NameVerdict(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    UNCERTAIN = "uncertain"


class NameReason(StrEnum):
    """Why a comparison came out as it did (no name inside: fit for logs)."""

    SURNAME_ONE_LETTER_OFF = "surname one letter off"
    SURNAME_NOT_FOUND = "surname not found"
    NO_GIVEN_NAME = "no given name on the document"
    FOUND = "surname and given name found"
    GIVEN_NAME_INITIAL = "given name is an initial"
    GIVEN_NAME_ONE_LETTER_OFF = "given name one letter off"
    GIVEN_NAME_DIFFERS = "given name differs"
    NO_COMPANY_NAME = "empty company name"
    COMPANY_NAMES_AGREE = "company names agree"
    COMPANY_NAMES_CLOSE = "company names close"
    COMPANY_NAMES_DIFFER = "company names differ"
    # a mismatch given the benefit of the doubt (`pipeline.rules.name_doubts`)
    MAYBE_USAGE_NAME = "same first name, other surname: maybe a usage (married) name"
    OTHER_PERSON_NAMED = (
        "the applicant is printed elsewhere on the piece: maybe another person's field"
    )
    MISREAD_TAIL = (
        "the given name read starts with the expected one: stray characters read after it"
    )


class NameMatch(BaseModel):
    verdict: NameVerdict
    score: float  # 0..100, rapidfuzz similarity of the normalised names (informative)
    reason: NameReason


@dataclass(frozen=True)
class PersonName:
    """A name to look for: one usage surname, an optional birth name, given names."""

    last_name: str
    first_names: str
    birth_name: str | None = None


CIVILITIES = frozenset(
    {
        "m",
        "mr",
        "mme",
        "mmes",
        "mm",
        "mlle",
        "mlles",
        "melle",
        "monsieur",
        "madame",
        "mademoiselle",
        "messieurs",
        "mesdames",
        "dr",
        "docteur",
        "me",
        "maitre",
    }
)
# Words that introduce a married, birth or usage name: they carry no identity.
MARKERS = frozenset(
    {
        "epouse",
        "ep",
        "epx",
        "nee",
        "ne",
        "veuve",
        "vve",
        "divorcee",
        "divorce",
        "dusage",
        "usage",
        "nom",
        "noms",
        "naissance",
        "prenom",
        "prenoms",
        "dit",
        "dite",
        "alias",
    }
)
PARTICLES = frozenset(
    {"de", "du", "des", "d", "le", "la", "les", "l", "van", "von", "der", "den", "di", "da"}
)
# Joint holders ("M. OU MME DUPONT", "DUPONT JEAN ET MARTIN ANNE") split into candidates.
JOINT_SEPARATOR = re.compile(r"\s+(?:ou|et)\s+|\s*[&/]\s*")
_APOSTROPHES = "'’ʼ`´"
_NON_LETTERS = re.compile(r"[^a-z]+")
_MAX_WINDOW = 4  # a surname spans at most this many tokens ("de la tour du pin")


def normalise(text: str) -> str:
    """Lower case, no accents, apostrophes joined (n'diaye -> ndiaye), punctuation to spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    no_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    lowered = no_accents.lower().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    for mark in _APOSTROPHES:
        lowered = lowered.replace(mark, "")
    return " ".join(_NON_LETTERS.sub(" ", lowered).split())


def tokens(text: str) -> list[str]:
    """Identity-bearing tokens: civilities and marriage markers removed, particles kept."""
    return [t for t in normalise(text).split() if t not in CIVILITIES and t not in MARKERS]


def _core(words: Sequence[str]) -> list[str]:
    return [w for w in words if w not in PARTICLES]


@dataclass(frozen=True)
class _Found:
    indices: frozenset[int]
    edits: int


def _allowed_edits(word: str, ocr: bool) -> int:
    """Letters a reading may get wrong and still be the same word."""
    if not ocr or len(word) < 4:
        return 0
    return 1


def _find(needle: Sequence[str], hay: Sequence[str], ocr: bool) -> _Found | None:
    """Find a multi-token name in `hay`, best first: token by token, then joined windows.

    Joined windows make "N DIAYE" find "ndiaye" and "DE LA FONTAINE" find
    "lafontaine"; particles are optional on both sides ("de Gaulle" ~ "Gaulle").
    """
    core = _core(needle) or list(needle)
    best: _Found | None = None
    # token by token, order free ("jean pierre" in "pierre jean")
    used: set[int] = set()
    edits = 0
    for word in core:
        hit = _best_token(word, hay, used, ocr)
        if hit is None:
            break
        used.add(hit[0])
        edits += hit[1]
    else:
        best = _Found(frozenset(used), edits)
    # joined windows, with and without particles
    targets = {"".join(core), *_particle_suffixes(needle)}
    for start, end, window in _windows(hay):
        for joined in {"".join(window), "".join(_core(window))} - {""}:
            for target in targets:
                dist = Levenshtein.distance(joined, target)
                if dist <= _allowed_edits(target, ocr) and (best is None or dist < best.edits):
                    best = _Found(frozenset(range(start, end)), dist)
    return best


def _windows(hay: Sequence[str]) -> Iterator[tuple[int, int, Sequence[str]]]:
    """Every run of 1 to _MAX_WINDOW consecutive tokens of `hay`: (start, end, tokens)."""
    for start in range(len(hay)):
        for end in range(start + 1, min(start + _MAX_WINDOW, len(hay)) + 1):
            yield start, end, hay[start:end]


def _particle_suffixes(needle: Sequence[str]) -> set[str]:
    """'de la fontaine' -> {'delafontaine', 'lafontaine', 'fontaine'}: particles optional."""
    suffixes = set()
    for i in range(len(needle)):
        suffixes.add("".join(needle[i:]))
        if needle[i] not in PARTICLES:
            break
    return suffixes


def _best_token(word: str, hay: Sequence[str], used: set[int], ocr: bool) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None
    for i, candidate in enumerate(hay):
        if i in used:
            continue
        dist = Levenshtein.distance(word, candidate)
        if dist <= _allowed_edits(word, ocr) and (best is None or dist < best[1]):
            best = (i, dist)
    return best


def _near_miss(needle: Sequence[str], hay: Sequence[str]) -> bool:
    """One wrong letter outside OCR: maybe a typing slip, maybe another family: a human decides."""
    target = "".join(_core(needle))
    if len(target) < 4:
        return False
    return any(
        Levenshtein.distance("".join(_core(window)), target) <= 1 for _, _, window in _windows(hay)
    )


def _score(expected: PersonName, read: str) -> float:
    """How alike, 0..100, the weaker of the surname and the first given name is to
    the text read.

    One figure over the whole name let an equal given name carry a different
    surname: "EVRARD MELANIE" scored 93 for "Mélanie Gérard". The officer reads
    this score beside a doubt, so it follows the surname as the matcher does.
    """
    hay = tokens(read)
    surnames = [tokens(n) for n in (expected.last_name, expected.birth_name) if n and tokens(n)]
    parts = [max((_similarity(surname, hay) for surname in surnames), default=0.0)]
    given = tokens(expected.first_names)
    if given:
        parts.append(_similarity(given[:1], hay))
    return round(100 * min(parts), 1)


def _similarity(needle: Sequence[str], hay: Sequence[str]) -> float:
    """Best normalised Levenshtein similarity of `needle`, joined, to a window of `hay`."""
    targets = {"".join(_core(needle) or needle), *_particle_suffixes(needle)}
    return max(
        (
            Levenshtein.normalized_similarity(joined, target)
            for _, _, window in _windows(hay)
            for joined in {"".join(window), "".join(_core(window))} - {""}
            for target in targets
        ),
        default=0.0,
    )


def match_person(
    expected: PersonName,
    *,
    full_name: str | None = None,
    last_name: str | None = None,
    first_names: str | None = None,
    birth_name: str | None = None,
    ocr: bool = False,
) -> NameMatch:
    """Compare the applicant's name with what a document says.

    Give either `full_name` (a holder line, any order, civility and markers
    allowed) or the separate `last_name`/`first_names`/`birth_name` fields of
    an identity document. `ocr=True` tolerates one wrong letter per word.
    """
    if last_name:
        read_text = " ".join(filter(None, [first_names, last_name, birth_name]))
        surname_pool = tokens(" ".join(filter(None, [last_name, birth_name])))
        given_pool = tokens(first_names or "")
        result = _match_tokens(expected, surname_pool, given_pool, ocr, structured=True)
        return result.model_copy(update={"score": _score(expected, read_text)})
    if not full_name:
        raise ValueError("match_person needs full_name or last_name")
    candidates = [c for c in JOINT_SEPARATOR.split(normalise_separators(full_name)) if c.strip()]
    results = []
    for candidate in candidates:
        pool = tokens(candidate)
        results.append(_match_tokens(expected, pool, pool, ocr, structured=False))
    best = min(results, key=verdict_rank)
    return best.model_copy(update={"score": _score(expected, full_name)})


def normalise_separators(text: str) -> str:
    # the separators are matched on normalised text so "OU"/"Et" both split
    return normalise(text.replace("&", " et ").replace("/", " et "))


def verdict_rank(result: NameMatch) -> int:
    """MATCH before UNCERTAIN before MISMATCH: the best of several comparisons sorts first."""
    return {NameVerdict.MATCH: 0, NameVerdict.UNCERTAIN: 1, NameVerdict.MISMATCH: 2}[result.verdict]


def _match_tokens(
    expected: PersonName,
    surname_pool: list[str],
    given_pool: list[str],
    ocr: bool,
    *,
    structured: bool,
) -> NameMatch:
    surnames = [tokens(n) for n in (expected.last_name, expected.birth_name) if n and tokens(n)]
    found = None
    for surname in surnames:
        hit = _find(surname, surname_pool, ocr)
        if hit is not None and (found is None or hit.edits < found.edits):
            found = hit
    if found is None:
        if not ocr and any(_near_miss(s, surname_pool) for s in surnames):
            return NameMatch(
                verdict=NameVerdict.UNCERTAIN, score=0, reason=NameReason.SURNAME_ONE_LETTER_OFF
            )
        return NameMatch(verdict=NameVerdict.MISMATCH, score=0, reason=NameReason.SURNAME_NOT_FOUND)
    # In a free holder line the given names are what the surname left over.
    left = (
        given_pool
        if structured
        else [t for i, t in enumerate(given_pool) if i not in found.indices]
    )
    left = _core(left) if not structured else left
    given = tokens(expected.first_names)
    if not left:
        return NameMatch(verdict=NameVerdict.UNCERTAIN, score=0, reason=NameReason.NO_GIVEN_NAME)
    given_hit = _find(given, left, ocr)
    if given_hit is not None:
        return NameMatch(verdict=NameVerdict.MATCH, score=0, reason=NameReason.FOUND)
    if _initials_only(left) and any(t[0] == given[0][0] for t in left if len(t) == 1):
        return NameMatch(
            verdict=NameVerdict.UNCERTAIN, score=0, reason=NameReason.GIVEN_NAME_INITIAL
        )
    if not ocr and _near_miss(given, left):
        return NameMatch(
            verdict=NameVerdict.UNCERTAIN, score=0, reason=NameReason.GIVEN_NAME_ONE_LETTER_OFF
        )
    return NameMatch(verdict=NameVerdict.MISMATCH, score=0, reason=NameReason.GIVEN_NAME_DIFFERS)


def _initials_only(words: Sequence[str]) -> bool:
    return all(len(w) == 1 for w in words)


def among(word: str, pool: Sequence[str], *, ocr: bool) -> bool:
    """Whether `word` is one of the words of `pool`, with the wrong letters a reading
    allows (one in a word of four or more when `ocr`)."""
    return _best_token(word, pool, set(), ocr) is not None
