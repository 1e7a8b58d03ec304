"""Names of people as documents print them: after a civility or a label, surname first or last."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from pipeline.extract.labels import is_label, starts_label
from pipeline.extract.text import DocText, Hit, Line, words_for

CIVILITY = re.compile(
    r"(?<![A-Za-z])(?:M\.|Mr\.?|Mme\.?|Mlle\.?|Monsieur|Madame|Mademoiselle|MME|MLLE|MONSIEUR|MADAME)"
    r"(?:\s+(?:ou|et)\s+(?:M\.|Mme|MME))?\s+"
)
# A name: words of letters, apostrophes and hyphens (Ben Saïd, N'Diaye, Le Gall-Martin).
NAME_WORDS = re.compile(
    r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’\-]*(?:[ ,]+[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’\-]*)*"
)
# Words a name line may run into when columns merge or a sentence goes on.
# Words that end a name: what follows a name in a sentence, and form labels a
# layout may put right after it ("FOURNIER Date de naissance").
_STOP_WORDS = {"ne", "nee", "né", "née", "est", "demeurant", "domicilie", "domicilié", "domiciliée",
               "titulaire", "iban", "bic", "adresse", "date", "naissance", "prénom", "prénoms",
               "prenom", "prenoms", "sexe", "nationalité", "nationalite", "classe",
               "lieu"}  # fmt: skip
_GAP_FACTOR = 1.2  # a horizontal gap wider than this many word heights separates columns


def strip_civility(text: str) -> str:
    return CIVILITY.sub("", text, count=1).strip()


def cut_at_column_gap(line: Line, raw: str) -> str:
    """`raw` cut where its words on the page jump to another column (text layers merge columns)."""
    words = words_for(line.page, raw)
    aspect = line.page.width_px / max(line.page.height_px, 1)  # boxes are page-relative
    for i in range(1, len(words)):
        before, after = words[i - 1], words[i]
        height = max(before.box.y1 - before.box.y0, 1e-6)
        if (after.box.x0 - before.box.x1) * aspect > _GAP_FACTOR * height:
            return " ".join(w.text for w in words[:i])
    return raw


_LEADING_MARKS = re.compile(r"^[\W_]+")


def clean_name(text: str) -> str | None:
    """The name part at the start of `text`: letters and separators, stop words cut off."""
    # A table rule or a logo read as a symbol before the value ("Nom © FOURNIER",
    # "| MARTIN") is no part of it.
    match = NAME_WORDS.match(_LEADING_MARKS.sub("", text))
    if not match:
        return None
    kept: list[str] = []
    for word in _without_leading_common_words(match[0].replace(",", " , ").split()):
        # A label that follows ("MARTIN Prénoms", a card read in text order) ends it.
        if word.lower().strip(",") in _STOP_WORDS or starts_label(word):
            break
        kept.append(word)
    name = " ".join(kept).replace(" , ", ", ").strip(" ,")
    if is_label(name):  # "Déclarant", "Nom de l'abonné": a label, not a name
        return None
    if is_sentence(kept):
        return None
    # A civility alone ("Mme", its name lost to the OCR) names nobody, nor do words
    # without a capital ("du lundi au samedi de": a sentence, not a name).
    if len(name) < 2 or not strip_civility(name + " "):
        return None
    if not any(word[:1].isupper() for word in name.split()):
        return None
    return name


# A name opens with capitalised words; a sentence soon has lower-case words (of four
# letters or more: the "www" and "net" of a web address make no sentence) that are
# no surname particle ("Ce contrat garantit notamment les risques locatifs"). Only the
# opening words before a comma count: "Josiane Barbier, propriétaire du logement..."
# is a name that a sentence follows (which the callers cut off).
_OPENING_WORDS = 4
_SENTENCE_WORDS = 2


def is_sentence(words: list[str]) -> bool:
    """Whether the words ("," a word of its own) open a sentence rather than a name."""
    opening = []
    for word in words[:_OPENING_WORDS]:
        if word == ",":
            break
        opening.append(word)
    common = [w for w in opening if w[:1].islower() and len(w) >= 4 and w.upper() not in PARTICLES]
    return len(common) >= _SENTENCE_WORDS


def _without_leading_common_words(words: list[str]) -> list[str]:
    """Words from the first that can start a name: a sentence's lower-case words before it
    ("l'élève William PERRIN", "l'enfant Léa ROUX") are not part of it. Particles
    ("de", "le", "d'") are short and only ever follow a capitalised word."""
    start = 0
    while start < len(words) - 1 and _common_word(words[start]):
        start += 1
    return words[start:]


def _common_word(word: str) -> bool:
    letters = word.replace("’", "'")
    return letters.islower() and ("'" in letters.strip("'") or len(letters) >= 4)


def split_full_name(full: str) -> tuple[str, str] | None:
    """(last name, first names) when capitals tell the surname apart ("BEN SAÏD Franck").

    Returns None when the case does not tell (all capitals, all mixed case).
    """
    words = strip_civility(full).replace(",", " ").split()
    upper = [(len(w) > 1 and w.isupper()) or (len(w) == 1 and w.isupper()) for w in words]
    if all(upper) or not any(upper):
        return None
    # Surname first or last: a single block of capitals at one end.
    if upper[0]:
        cut = upper.index(False)
        if any(upper[cut:]):
            return None
        return " ".join(words[:cut]), " ".join(words[cut:])
    cut = upper.index(True)
    if not all(upper[cut:]):
        return None
    return " ".join(words[cut:]), " ".join(words[:cut])


# Surname particles (French, Spanish, Portuguese, Italian, Dutch, Arabic...): in capitals
# they start the surname ("ANOUK LE GALL", "JOSÉ DA SILVA"), never end a given name.
PARTICLES = frozenset(
    {"DE", "DU", "DES", "LE", "LA", "D'", "DA", "DO", "DOS", "DAS", "DI", "DEL", "DELLA",
     "VAN", "VON", "DER", "DEN", "TER", "EL", "AL", "ABOU", "AÏT", "AIT", "BEN", "BOU", "OULD",
     "IBN", "MAC", "MC", "SAINT"}
)  # fmt: skip


def split_postal_name(full: str) -> tuple[str, str] | None:
    """(last name, first names) of an all-capitals addressee "MME ZOÉ BRUN" of a postal
    address block, which French addressing (NF Z10-011) writes civility, first name,
    surname. Two words split so; with more, only a surname particle tells where the
    surname starts ("ANOUK LE GALL", "ANNE MARIE DE LA TOUR"); otherwise where the
    first names end is unknown ("ANNE MARIE LEGALL")."""
    words = strip_civility(full).replace(",", " ").split()
    if len(words) < 2 or not all(w.isupper() for w in words) or words[-1] in PARTICLES:
        return None
    if len(words) == 2:
        return words[1], words[0]
    # The first particle after at least one given name starts the surname, which must
    # end with one name that is not a particle itself.
    for at in range(1, len(words) - 1):
        if words[at] in PARTICLES:
            rest = words[at:]
            if all(w in PARTICLES for w in rest[:-1]) and rest[-1] not in PARTICLES:
                return " ".join(rest), " ".join(words[:at])
            return None
    return None


def find_person_after_civility(doc: DocText, *, lines: list[Line] | None = None) -> Hit | None:
    """First 'M. Jean DUPONT' / 'Mme DUPONT Anne' in the given lines (all lines by default)."""
    return next(iter(people_after_civility(doc, lines=lines)), None)


def people_after_civility(doc: DocText, *, lines: list[Line] | None = None) -> list[Hit]:
    """Every 'M. Jean DUPONT' / 'Mme DUPONT Anne' in the given lines (all lines by default)."""
    hits = []
    for line in lines if lines is not None else doc.lines:
        match = CIVILITY.search(line.text)
        if not match:
            continue
        name = clean_name(line.text[match.end() :])
        if not name or len(name.split()) < 2:
            continue
        start = match.start()
        end = match.end() + line.text[match.end() :].index(name) + len(name)
        hits.append(Hit(line, cut_at_column_gap(line, line.text[start:end])))
    return hits


# "DUPONT épouse MARTIN", "BRUN ép. DAVID", "MARTIN veuve LEROY": birth name, then usage
# name; "MARTIN née DUPONT": usage name, then birth name. A following "le" or a digit
# makes "née" the start of a birth date, not a name.
# The word that introduces a usage (married) name: "ép.", "épouse", "veuve", "vve".
# The OCR of a blurred photo loses the dot and reads "é" as "@" ("@p DALMEIDA").
USAGE_WORD = r"(?:[ée@]p(?:ouse)?\.?|vve\.?|veuve)"
_MARRIED_AFTER_BIRTH = re.compile(rf"(?i)\s+{USAGE_WORD}\s+(?=[A-ZÀ-Ý])")
_BORN = re.compile(r"\s+n[ée]e\s+(?=[A-ZÀ-Ý][A-ZÀ-Ý'’\-]+(?:\s|$|,))")


class MarriedName(NamedTuple):
    usage: str  # the name the person uses: the last name
    birth: str
    first: str


def split_married_name(text: str) -> MarriedName | None:
    """Usage name, birth name and given names of an addressee printed with a married
    name: "DUPONT épouse MARTIN Marie", "Zoé BRUN ép. DAVID", "Marie MARTIN née DUPONT".

    Surnames are the capitals beside the marker; given names the mixed-case words at
    either end. Without given names in mixed case, nothing tells them apart: None.
    """
    words_text = strip_civility(text)
    for marker, birth_first in ((_MARRIED_AFTER_BIRTH, True), (_BORN, False)):
        parts = marker.split(words_text, maxsplit=1)
        if len(parts) != 2:
            continue
        left, right = parts[0].replace(",", " ").split(), parts[1].replace(",", " ").split()
        right = right[: next((i for i, w in enumerate(right) if w.lower() in _STOP_WORDS), None)]
        given_left = _leading(left, lambda w: not _capitals(w))
        given_right = _leading(right[::-1], lambda w: not _capitals(w))[::-1]
        before = left[len(given_left) :]
        after = right[: len(right) - len(given_right)]
        given = given_left + given_right
        if not given or not before or not after or not all(map(_capitals, before + after)):
            return None
        if not all(w[:1].isupper() for w in given):
            return None
        first, second = " ".join(before), " ".join(after)
        birth, usage = (first, second) if birth_first else (second, first)
        return MarriedName(usage=usage, birth=birth, first=" ".join(given))
    return None


def _capitals(word: str) -> bool:
    return word.isupper()


def _leading(words: list[str], keep: Callable[[str], bool]) -> list[str]:
    out = []
    for word in words:
        if not keep(word):
            break
        out.append(word)
    return out
