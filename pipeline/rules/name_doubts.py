"""The benefit of the doubt given to a name mismatch.

A mismatch that something other than another person explains (a usage name, a
second person printed on the piece, an MRZ's fillers read as letters) becomes
uncertain: a person looks, the citizen is not refused.
"""

from __future__ import annotations

from itertools import pairwise

from pipeline.rules.names import NameMatch, NameReason, NameVerdict, PersonName, normalise


def _maybe_usage_name(result: NameMatch, expected: PersonName, given_read: str | None) -> bool:
    """A surname mismatch that a marriage may explain is for a person to judge, not a refusal.

    Identity documents (their MRZ above all) carry the birth name; an applicant
    who gave only a usage name and no birth name cannot be told apart from
    someone else by the surname alone when the given name is the same.
    """
    if result.verdict is not NameVerdict.MISMATCH or expected.birth_name or given_read is None:
        return False
    given = set(normalise(given_read).split())
    wanted = normalise(expected.first_names).split()
    return bool(wanted) and wanted[0] in given


def _named_elsewhere(result: NameMatch, expected: PersonName, texts: tuple[str, ...]) -> bool:
    """A mismatch on a piece that prints the applicant's full name somewhere is for a person.

    Documents name several people (landlord and tenant, employer and
    employee): the field read may be the other one. Only a `ko` is softened.
    """
    if result.verdict is not NameVerdict.MISMATCH or not texts:
        return False
    wanted = normalise(f"{expected.first_names} {expected.last_name}").split()
    if len(wanted) < 2:
        return False
    printed = " ".join(normalise(text) for text in texts).split()
    first, last = wanted[0], wanted[-1]
    # Given name and surname side by side, in either order (forms print "NOM Prénom").
    pairs = set(pairwise(printed))
    return (first, last) in pairs or (last, first) in pairs


def benefit_of_doubt(
    result: NameMatch,
    expected: PersonName,
    given_read: str | None,
    texts: tuple[str, ...],
    *,
    ocr: bool,
) -> NameMatch:
    """A mismatch a usage name or another person's field may explain becomes uncertain.

    `given_read` is the given names read (or the holder line where no given-name
    field is read), `texts` the piece's page texts, `ocr` whether `given_read`
    may carry reading errors.
    """
    if _maybe_usage_name(result, expected, given_read):
        return NameMatch(
            verdict=NameVerdict.UNCERTAIN, score=result.score, reason=NameReason.MAYBE_USAGE_NAME
        )
    if _named_elsewhere(result, expected, texts):
        return NameMatch(
            verdict=NameVerdict.UNCERTAIN, score=result.score, reason=NameReason.OTHER_PERSON_NAMED
        )
    if ocr and _misread_tail(result, expected, given_read):
        return NameMatch(
            verdict=NameVerdict.UNCERTAIN, score=result.score, reason=NameReason.MISREAD_TAIL
        )
    return result


def _misread_tail(result: NameMatch, expected: PersonName, given_read: str | None) -> bool:
    """A read given name made of the expected one and up to 3 stray characters: an MRZ's
    fillers read as letters ("MAELLEKX" for MAËLLE<<), not another person. Only for
    names that may carry reading errors."""
    if result.verdict is not NameVerdict.MISMATCH or given_read is None:
        return False
    read = normalise(given_read).split()
    wanted = normalise(expected.first_names).split()
    if not read or not wanted:
        return False
    return read[0].startswith(wanted[0]) and len(read[0]) - len(wanted[0]) <= 3
