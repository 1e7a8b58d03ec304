"""Who a proof of address is about: the addressee, tenant, subscriber or hosted person.

A quittance, a bill or an attestation d'hébergement prints two sides: the issuer
(bailleur, propriétaire, agence, mandataire, the host who signs "Je soussigné") and
the person the document is for (locataire, titulaire, abonné, client, the hosted
person, the postal address block). Only the latter is the holder; taking the first
name printed made a landlord the holder of a clean dossier's rent receipt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from pipeline.extract.identifiers import POSTCODE_CITY
from pipeline.extract.people import CIVILITY, clean_name, cut_at_column_gap
from pipeline.extract.text import DocText, Hit, Line, words_for


class Role(StrEnum):
    HOLDER = "holder"
    ISSUER = "issuer"
    UNKNOWN = "unknown"


# Folded words announcing the person they precede or head. Word boundaries matter:
# "hebergeant" (the host) must not read as "heberge" (the hosted).
_ISSUER = (
    r"bailleurs?", r"mandataires?", r"agences?", r"gerante?s?",
    r"gestionnaires?", r"syndic", r"administrateur de biens", r"hebergeante?s?",
    r"soussigne(?:\(e\)|e)?", r"signataire", r"signature", r"represente(?:e)? par",
    r"pour le compte de", r"emetteur", r"expediteur", r"fournisseur", r"conseillere?",
    r"interlocut(?:eur|rice)", r"directeur", r"directrice", r"responsable",
)  # fmt: skip
_HOLDER = (
    r"locataires?", r"preneurs?", r"colocataires?", r"titulaires?", r"cotitulaires?",
    r"abonne(?:e|s|es)?", r"clients?", r"clientes?", r"assure(?:e|s|es)?", r"souscripteurs?",
    r"destinataires?", r"occupante?s?", r"beneficiaires?", r"heberge(?:e|s|es|r)?",
    r"recue? de", r"de la part de", r"atteste(?:r)? que", r"certifie(?:r)? que",
    r"declarante?s?(?: \d)?", r"residant", r"domicilie(?:e)? chez",
)  # fmt: skip
_OWNER = r"proprietaires?"


def _role_words(issuer: tuple[str, ...], holder: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(
        r"\b(?:(?P<issuer>" + "|".join(issuer) + r")|(?P<holder>" + "|".join(holder) + r"))"
        r"(?![a-z])"
    )


# Where a home is let or lent, its owner is the issuer; elsewhere (taxe foncière,
# attestation de propriété) "Propriétaire" heads the very person living there.
_LETTING = re.compile(
    r"\b(?:loyers?|quittance|locataires?|bail|location|hebergee?s?|heberger|hebergement)\b"
)
_ROLE_WORDS = _role_words((_OWNER, *_ISSUER), _HOLDER)
_OWNER_ROLE_WORDS = _role_words(_ISSUER, (_OWNER, *_HOLDER))
_LABEL_MAX_WORDS = 6  # a heading line ("Locataire :", "Titulaire du contrat"), not a sentence
_LOOK_UP = 2  # lines above a name where its heading may be
_WRAP_WORDS = 3  # words either side of a line break that still tell a wrapped name's role
_ADDRESS_WITHIN = 4  # lines below a name where its postcode line may be


@dataclass(frozen=True)
class Person:
    hit: Hit
    role: Role
    postal: bool  # followed by a "postcode city" line: an address block


def people_with_roles(doc: DocText) -> list[Person]:
    """Every "civility + name" of the document, with the side of the document it is on."""
    found = []
    letting = any(_LETTING.search(line.folded) for line in doc.lines)
    words = _ROLE_WORDS if letting else _OWNER_ROLE_WORDS
    for line in doc.lines:
        previous_end = 0
        for start, end, hit in _people_on_line(line):
            # Only the words since the previous person on the line speak of this one.
            before = line.folded[previous_end:start]
            role = (
                _role_before(before, words)
                or _role_before(_sentence_start(doc, line, before), words)
                or _role_above(doc, line, hit, words)
            )
            found.append(Person(hit, role or Role.UNKNOWN, _in_address_block(doc, line)))
            previous_end = end
    return found


def addressee(doc: DocText) -> list[Hit]:
    """Names that may be the holder, best first; issuer-side names are never among them.

    The tenant/subscriber side first ("Locataire :", "reçu de Mme X"), then names of
    unknown side; within each, names heading a postal address block first (French mail
    puts the addressee above its address).
    """
    people = [p for p in people_with_roles(doc) if p.role is not Role.ISSUER]
    return [p.hit for p in sorted(people, key=_rank)]  # sorted() is stable: reading order


def _rank(person: Person) -> int:
    # Said to be the tenant/subscriber beats merely heading an address: a sender's
    # block (the landlord's letterhead) heads an address too.
    return (0 if person.role is Role.HOLDER else 2) + (0 if person.postal else 1)


def _people_on_line(line: Line) -> list[tuple[int, int, Hit]]:
    """(start, end, hit) of each civility + name on a line: merged columns may hold two."""
    hits = []
    for match in CIVILITY.finditer(line.text):
        name = clean_name(line.text[match.end() :])
        if not name or len(name.split()) < 2:
            continue
        # The next civility starts another person ("Mme A Barbier Mme B Gérard").
        name = _without_trailing_lower(CIVILITY.split(name + " ", maxsplit=1)[0])
        if len(name.split()) < 2:
            continue
        end = match.end() + line.text[match.end() :].index(name) + len(name)
        raw = cut_at_column_gap(line, line.text[match.start() : end])
        hits.append((match.start(), end, Hit(line, raw)))
    return hits


def _without_trailing_lower(name: str) -> str:
    """A name without the sentence running on after it ("Mme Zoé BRUN la somme de"):
    particles ("de", "le") only ever come before a capitalised word of the name."""
    words = name.split()
    while words and words[-1].islower():
        words.pop()
    return " ".join(words)


def _role_before(folded: str, words: re.Pattern[str]) -> Role | None:
    """Role of the nearest role word before a name on its line ("reçu de", "Bailleur :")."""
    matches = list(words.finditer(folded))
    return _role_of(matches[-1]) if matches else None


def _sentence_start(doc: DocText, line: Line, before: str) -> str:
    """The end of the line above when a sentence wraps just before a name
    ("déclare avoir reçu" / "de Mme Jacqueline GÉRARD")."""
    at = doc.lines.index(line)
    if len(before.split()) > _WRAP_WORDS or at == 0:
        return ""
    above = doc.lines[at - 1]
    # A short line above is a heading, which `_role_above` reads column by column.
    if above.page is not line.page or len(above.text.split()) <= _LABEL_MAX_WORDS:
        return ""
    return " ".join(above.folded.split()[-_WRAP_WORDS:]) + " " + before


def _role_of(match: re.Match[str]) -> Role:
    return Role.ISSUER if match["issuer"] else Role.HOLDER


def _role_above(doc: DocText, line: Line, hit: Hit, words: re.Pattern[str]) -> Role | None:
    """Role announced by a heading just above a name, in the name's column."""
    at = doc.lines.index(line)
    for above in reversed(doc.lines[max(at - _LOOK_UP, 0) : at]):
        if above.page is not line.page or POSTCODE_CITY.search(above.text):
            return None  # another address block ends there
        if CIVILITY.search(above.text):
            return None  # another person's block
        if len(above.text.split()) > _LABEL_MAX_WORDS:
            continue
        matches = [m for m in words.finditer(above.folded) if not _names_itself(above, m)]
        if matches:
            return _role_in_column(above, matches, hit)
    return None


def _names_itself(line: Line, match: re.Match[str]) -> bool:
    """Whether a role word is part of a name on its own line ("Agence Saint-Michel",
    "Agence Foncia"): a letterhead, not a heading over the person below it."""
    return bool(re.match(r" ?[A-ZÀ-Ý]", line.text[match.end() :]))


def _role_in_column(label: Line, matches: list[re.Match[str]], hit: Hit) -> Role | None:
    """The role word over the name's column when a text layer merged two headings
    ("Bailleur : Locataire :" above "Mme A Mme B")."""
    roles = {_role_of(m) for m in matches}
    if len(roles) == 1:
        return roles.pop()
    name_x = _x0(hit.line, hit.raw)
    if name_x is None:
        return None
    lefts = [(x, m) for m in matches if (x := _x0(label, _span(label, m))) is not None]
    # The heading of a column starts at or left of its names: the rightmost such heading.
    left_of = [(x, m) for x, m in lefts if x <= name_x + 0.01]
    if not left_of:
        return None
    return _role_of(max(left_of, key=lambda item: item[0])[1])


def _span(line: Line, match: re.Match[str]) -> str:
    return line.text[match.start() : match.end()]


def _x0(line: Line, raw: str) -> float | None:
    words = words_for(line.page, raw)
    return words[0].box.x0 if words else None


def _in_address_block(doc: DocText, line: Line) -> bool:
    return any(POSTCODE_CITY.search(ln.text) for ln in doc.following(line, _ADDRESS_WITHIN))
