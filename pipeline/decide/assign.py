"""Assignment of a dossier's files to the requirements of its procedure, by document type.

Every file goes to at most one requirement; exact duplicates and files of a
type no requirement accepts are `unexpected`, files of unknown type (unreadable,
or a guess) `unassigned`.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from pipeline.decide.inputs import PieceInput
from pipeline.rules.checks import Check, CheckCode, duplicate_file, type_mismatch
from pipeline.rules.procedures import Procedure


class Assignment(BaseModel):
    by_requirement: dict[str, list[str]]  # requirement id -> files, in upload order
    unexpected: dict[str, Check]  # file -> why it serves no requirement
    unassigned: list[
        str
    ]  # files of unknown type (unreadable, or abstained on a type nobody accepts)


def is_abstained(piece: PieceInput, procedure: Procedure) -> bool:
    """A readable piece whose type is a guess (or unknown): its type is for a human to confirm."""
    if piece.error is not None or piece.companion_of is not None:
        return False
    # A type told from text too garbled to trust (a legibility doubt) is a guess too:
    # a washed-out scan's noise was typed a CV at 0.86.
    illegible = any(c.code is CheckCode.LEGIBILITY_LOW for c in piece.checks)
    return (
        piece.doc_type is None
        or piece.abstained
        or illegible
        or piece.confidence < procedure.type_threshold
    )


def assign_pieces(pieces: Sequence[PieceInput], procedure: Procedure) -> Assignment:
    """Give each file to at most one requirement, greedily in procedure order.

    Files of one type go to the first requirement accepting it that still has
    room (`max_files`); when all are full the first accepting one takes it, so
    recto and verso always end up together. Exact duplicates and files of a
    type no requirement accepts are `unexpected`.
    """
    by_requirement: dict[str, list[str]] = {req.id: [] for req in procedure.requirements}
    unexpected: dict[str, Check] = {}
    unassigned: list[str] = []
    first_of_sha: dict[str, str] = {}
    for piece in pieces:
        if piece.sha256 in first_of_sha:
            unexpected[piece.file] = duplicate_file(piece.file, first_of_sha[piece.sha256])
            continue
        first_of_sha[piece.sha256] = piece.file
        target = _target_requirement(piece, procedure, by_requirement)
        if target is not None:
            by_requirement[target].append(piece.file)
        elif piece.doc_type is None or is_abstained(piece, procedure):
            unassigned.append(piece.file)
        else:
            unexpected[piece.file] = type_mismatch(piece.file, piece.doc_type, procedure.code)
    return Assignment(by_requirement=by_requirement, unexpected=unexpected, unassigned=unassigned)


def _target_requirement(
    piece: PieceInput, procedure: Procedure, taken: dict[str, list[str]]
) -> str | None:
    if piece.doc_type is None:
        hinted = piece.requirement_hint
        return hinted if hinted in taken else None
    accepting = [req for req in procedure.requirements if piece.doc_type in req.accept]
    for req in accepting:
        if req.max_files is None or len(taken[req.id]) < req.max_files:
            return req.id
    return accepting[0].id if accepting else None
