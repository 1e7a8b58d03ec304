"""A requirement's rules run on the files assigned to it, as one piece (recto and verso)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from pipeline.decide.assign import is_abstained
from pipeline.decide.inputs import PieceInput
from pipeline.fields import ExtractedField, FieldName
from pipeline.rules.applicants import Applicant
from pipeline.rules.checks import Check, type_uncertain
from pipeline.rules.context import RuleContext
from pipeline.rules.piece_rules import RULES
from pipeline.rules.procedures import Procedure, Requirement


def merge_fields(pieces: Iterable[PieceInput]) -> dict[FieldName, ExtractedField]:
    """One field set for the files of one piece (recto/verso): the most confident reading wins."""
    merged: dict[FieldName, ExtractedField] = {}
    for piece in pieces:
        for field in piece.fields:
            current = merged.get(field.name)
            if current is None or field.evidence.confidence > current.evidence.confidence:
                merged[field.name] = field
    return merged


def _weakened_if_guessed(piece: PieceInput, procedure: Procedure) -> PieceInput:
    """A file whose type is a guess had its fields looked for as that guess: none is
    surer than the type itself, so a rule they fail is a doubt, never a refusal (a bill
    photo guessed at 0.44 gave "du lundi au samedi de" as its holder)."""
    if not is_abstained(piece, procedure):
        return piece
    fields = [field.at_most(piece.confidence) for field in piece.fields]
    return piece.model_copy(update={"fields": fields})


def own_checks(piece: PieceInput, procedure: Procedure) -> list[Check]:
    """Checks that belong to the file itself, whatever requirement it serves."""
    checks = list(piece.checks)
    if is_abstained(piece, procedure):
        checks.append(type_uncertain(piece.doc_type, piece.confidence, procedure.type_threshold))
    return checks


def run_rules(
    requirement: Requirement,
    pieces: Sequence[PieceInput],
    applicant: Applicant,
    procedure: Procedure,
    as_of: date,
) -> list[Check]:
    fields = merge_fields(_weakened_if_guessed(p, procedure) for p in pieces)
    context = RuleContext(
        as_of=as_of,
        procedure=procedure,
        doc_type=pieces[0].doc_type,
        photo=next((p.photo for p in pieces if p.photo is not None), None),
        texts=tuple(text for p in pieces for text in p.texts),
    )
    checks: list[Check] = []
    for ref in requirement.rules:
        checks.extend(RULES[ref.name].func(fields, applicant, context, ref.param))
    return checks
