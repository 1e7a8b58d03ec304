"""Card sides paired with their verified other side.

A file whose type is a guess (an illegible recto, a side the classifier never
saw) is taken as the other side of an identity card whose MRZ verified, when
nothing it shows disagrees with that card (`with_companion_sides`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pipeline.decide.assign import is_abstained
from pipeline.decide.evaluate import run_rules
from pipeline.decide.inputs import PieceInput
from pipeline.fields import (
    DOC_TYPE_LABELS_FR,
    IDENTITY_DOC_TYPES,
    TWO_SIDED_DOC_TYPES,
    FieldName,
)
from pipeline.rules.applicants import Applicant
from pipeline.rules.checks import Check, CheckCode, CheckStatus, other_side_verified
from pipeline.rules.messages import format_percent_fr
from pipeline.rules.name_rules import expected_person
from pipeline.rules.names import among, tokens
from pipeline.rules.procedures import Procedure
from pipeline.types import TextSource

# What a rule may say of a side that was not legible enough to hold the value.
_SILENT = frozenset({CheckCode.FIELD_MISSING, CheckCode.DATE_MISSING})


def machine_verified(piece: PieceInput, procedure: Procedure) -> bool:
    """A legible card side whose MRZ verified as read, check digit by check digit:
    its holder's names come from the machine-readable zone, not from a guess."""
    if piece.doc_type not in TWO_SIDED_DOC_TYPES or is_abstained(piece, procedure):
        return False
    if any(c.status is not CheckStatus.OK for c in piece.checks):
        return False
    sure = {f.name for f in piece.fields if f.evidence.confidence >= 1.0}
    mrz = next((f for f in piece.fields if f.name is FieldName.MRZ), None)
    # The MRZ surname is the last name, or the birth name beside a printed usage name.
    return (
        mrz is not None
        and mrz.evidence.source is TextSource.MRZ
        and FieldName.MRZ in sure
        and FieldName.FIRST_NAMES in sure
        and bool(sure & {FieldName.LAST_NAME, FieldName.BIRTH_NAME})
    )


def _only_a_guess(piece: PieceInput, procedure: Procedure) -> bool:
    """A readable file guessed to be an identity document, whose one problem is that
    guess: too illegible to tell, or typed under the threshold (a card side the
    classifier never saw, like the old identity card's verso)."""
    return (
        piece.error is None
        and piece.doc_type in IDENTITY_DOC_TYPES
        and is_abstained(piece, procedure)
        and all(
            c.status is CheckStatus.OK or c.code is CheckCode.LEGIBILITY_LOW for c in piece.checks
        )
    )


def _silent_beside(
    side: PieceInput,
    companion: PieceInput,
    applicant: Applicant,
    procedure: Procedure,
    as_of: date,
) -> bool:
    """Whether nothing read on `side`, taken as `companion`'s document, disagrees: no
    rule of its requirement fails but for values it could not read, and every name
    word it shows is one the card's holder bears (two sides of one card, one holder)."""
    requirement = next((r for r in procedure.requirements if companion.doc_type in r.accept), None)
    if requirement is None or not _same_holder(side, companion, applicant):
        return False
    as_companion = side.model_copy(update={"doc_type": companion.doc_type})
    checks = run_rules(requirement, [as_companion], applicant, procedure, as_of)
    return all(
        c.status is CheckStatus.OK or c.code in _SILENT or c.code is CheckCode.NAME_MISMATCH
        for c in checks
    )


def _same_holder(side: PieceInput, companion: PieceInput, applicant: Applicant) -> bool:
    """Every name word read on `side` is one of the same names of `companion` or of the
    applicant (a card prints the usage name its MRZ leaves out), one wrong letter
    allowed in a word of four or more (a blurred side reads some letters wrong)."""
    person = expected_person(applicant)
    known = {f.name: f.value for f in companion.fields}
    surnames = tokens(
        " ".join(
            [person.last_name, person.birth_name or ""]
            + [known.get(n, "") for n in (FieldName.LAST_NAME, FieldName.BIRTH_NAME)]
        )
    )
    pools = {
        FieldName.LAST_NAME: surnames,
        FieldName.BIRTH_NAME: surnames,
        FieldName.FIRST_NAMES: tokens(
            f"{person.first_names} {known.get(FieldName.FIRST_NAMES, '')}"
        ),
    }
    return all(
        among(word, pools[read.name], ocr=True)
        for read in side.fields
        if read.name in pools
        for word in tokens(read.value)
    )


def _vouched(side: PieceInput, companion: PieceInput) -> Check:
    """The ok check that replaces a paired side's doubts, saying what they were."""
    illegible = [c for c in side.checks if c.code is CheckCode.LEGIBILITY_LOW]
    pages = sorted({e.page for c in illegible for e in c.evidence if e.page is not None})
    if illegible:
        why = "peu lisible" + (f" (page {', '.join(map(str, pages))})" if pages else "")
    else:
        label = DOC_TYPE_LABELS_FR[side.doc_type] if side.doc_type else "inconnu"
        why = f"de type incertain (« {label} » à {format_percent_fr(side.confidence)})"
    return other_side_verified(why, companion.file, pages)


def with_companion_sides(
    pieces: Sequence[PieceInput], applicant: Applicant, procedure: Procedure, as_of: date
) -> list[PieceInput]:
    """Pair each identity-document file whose type is a guess with a card side whose
    MRZ verified.

    A blurred recto photo beside a verso whose every MRZ check digit passed adds
    nothing a person could check better: the holder, the number and the dates are
    machine-verified on the verso. Such a side becomes part of the verso's piece,
    its guessed fields set aside, its doubts (legibility, type) replaced by an `ok`
    that says why (OTHER_SIDE_VERIFIED). Only when what little it shows agrees
    with the rules; one side per verified card; the caller keeps this only if no
    piece is then missing.
    """
    verified = [p for p in pieces if machine_verified(p, procedure)]
    out = list(pieces)
    for index, side in enumerate(pieces):
        if not verified or not _only_a_guess(side, procedure):
            continue
        companion = verified[0]
        if not _silent_beside(side, companion, applicant, procedure, as_of):
            continue
        verified.pop(0)
        checks = [c for c in side.checks if c.code is not CheckCode.LEGIBILITY_LOW]
        checks.append(_vouched(side, companion))
        out[index] = side.model_copy(
            update={
                "doc_type": companion.doc_type,
                "fields": [],
                "checks": checks,
                "companion_of": companion.file,
            }
        )
    return out
