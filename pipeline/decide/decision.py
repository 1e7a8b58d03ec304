"""From read pieces to a dossier decision.

`decide` gives every file of a dossier to one requirement of the procedure
(`assign.assign_pieces`, by document type), runs the procedure's rules on each
requirement's pieces (`evaluate.run_rules`) and derives piece statuses,
requirement statuses and the decision (DESIGN.md §3):

- accepted: every required requirement satisfied by valid pieces, no doubt;
- incomplete: a required requirement is missing or invalid on strong evidence,
  with one French message per problem telling the applicant what to send;
- to_review: anything else (a doubt somewhere); also incomplete dossiers of a
  procedure with `auto_incomplete: false` (messages kept for the officer).

A file whose type is a guess is paired first with a card side whose MRZ
verified, when it can only be that card's other side (`companions`).

An optional requirement never makes a dossier incomplete, but a doubt or a
failure on a piece sent for it goes to review. A readable file whose type is
unknown (classifier abstained on a type no requirement accepts) may be the
missing piece, so a missing requirement then means review, not incomplete.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date

from pydantic import BaseModel

from pipeline.decide.assign import Assignment, assign_pieces, is_abstained
from pipeline.decide.companions import with_companion_sides
from pipeline.decide.evaluate import own_checks, run_rules
from pipeline.decide.inputs import PieceInput
from pipeline.decide.models import DossierReport, FieldReport, PieceReport, RequirementReport
from pipeline.errors import InvalidApplicant, blames_the_file
from pipeline.fields import (
    IDENTITY_DOC_TYPES,
)
from pipeline.rules.applicants import Applicant
from pipeline.rules.checks import (
    Check,
    CheckCode,
    CheckStatus,
    Decision,
    PieceStatus,
    RequirementStatus,
    missing_piece,
    worst_status,
)
from pipeline.rules.procedures import Procedure, Requirement

_STATUS_OF_CHECK = {
    CheckStatus.OK: RequirementStatus.OK,
    CheckStatus.DOUBT: RequirementStatus.DOUBT,
    CheckStatus.KO: RequirementStatus.INVALID,
}
_PIECE_STATUS_OF_CHECK = {
    CheckStatus.OK: PieceStatus.VALID,
    CheckStatus.DOUBT: PieceStatus.DOUBTFUL,
    CheckStatus.KO: PieceStatus.INVALID,
}


class _Evaluated(BaseModel):
    report: RequirementReport
    messages: list[str]


def evaluate_requirement(
    requirement: Requirement,
    pieces: Sequence[PieceInput],
    applicant: Applicant,
    procedure: Procedure,
    as_of: date,
) -> _Evaluated:
    files = [p.file for p in pieces]
    readable = [p for p in pieces if p.error is None]
    if not pieces or (readable and len(readable) < requirement.min_files):
        missing = missing_piece(
            requirement.label, requirement.accept, len(pieces), requirement.min_files
        )
        return _requirement(
            requirement, RequirementStatus.MISSING, files, [missing], [missing.message]
        )
    if not readable:
        messages = [_unreadable_message(p, requirement.label) for p in pieces]
        status = (
            RequirementStatus.INVALID
            if all(_file_at_fault(p) for p in pieces)
            else RequirementStatus.DOUBT
        )
        return _requirement(requirement, status, files, [], messages)
    rule_checks = run_rules(requirement, readable, applicant, procedure, as_of)
    all_checks = rule_checks + [c for p in readable for c in own_checks(p, procedure)]
    status = _STATUS_OF_CHECK[worst_status(all_checks)]
    messages = [
        f"{requirement.label} : {check.message}"
        for check in all_checks
        if check.status is CheckStatus.KO
    ]
    return _requirement(requirement, status, files, rule_checks, messages)


def _requirement(
    requirement: Requirement,
    status: RequirementStatus,
    files: list[str],
    checks: list[Check],
    messages: list[str],
) -> _Evaluated:
    report = RequirementReport(
        id=requirement.id,
        label=requirement.label,
        optional=requirement.optional,
        status=status,
        pieces=files,
        checks=checks,
    )
    return _Evaluated(report=report, messages=messages)


def _file_at_fault(piece: PieceInput) -> bool:
    return piece.error is not None and blames_the_file(piece.error.code)


def _unreadable_message(piece: PieceInput, label: str | None = None) -> str:
    assert piece.error is not None
    prefix = f"{label} : le" if label else "Le"
    return f"{prefix} fichier « {piece.file} » n'a pas pu être lu. {piece.error.message}"


# ---------------------------------------------------------------- decision


def decide(
    procedure: Procedure,
    applicant: Applicant,
    pieces: Sequence[PieceInput],
    as_of: date,
    *,
    dossier_id: str | None = None,
) -> DossierReport:
    """Check every requirement of `procedure` against the dossier's pieces and decide."""
    if applicant.kind is not procedure.applicant:
        raise InvalidApplicant(
            f"La démarche {procedure.code} attend un demandeur de type « {procedure.applicant} ».",
            detail=f"applicant kind {applicant.kind} for a {procedure.applicant} procedure",
        )
    _refuse_duplicate_names(pieces)
    paired = with_companion_sides(pieces, applicant, procedure, as_of)
    if paired != list(pieces):
        report = _decided(procedure, applicant, paired, as_of, dossier_id)
        # A paired side was a guess set aside; were a piece missing, that guess might
        # have been it (a blurred RIB typed an identity card): back to the guess.
        if not any(r.status is RequirementStatus.MISSING for r in report.requirements):
            return report
    return _decided(procedure, applicant, pieces, as_of, dossier_id)


def _decided(
    procedure: Procedure,
    applicant: Applicant,
    pieces: Sequence[PieceInput],
    as_of: date,
    dossier_id: str | None,
) -> DossierReport:
    by_file = {p.file: p for p in pieces}
    assignment = assign_pieces(pieces, procedure)
    evaluated = {
        req.id: evaluate_requirement(
            req,
            [by_file[f] for f in assignment.by_requirement[req.id]],
            applicant,
            procedure,
            as_of,
        )
        for req in procedure.requirements
    }
    requirement_reports = [evaluated[req.id].report for req in procedure.requirements]
    piece_reports = [_piece_report(p, procedure, assignment, evaluated) for p in pieces]
    decision, messages = _decision(procedure, evaluated, assignment, by_file)
    dossier_id = dossier_id or default_dossier_id(procedure, pieces)
    return DossierReport(
        dossier_id=dossier_id,
        procedure=procedure.code,
        as_of=as_of,
        decision=decision,
        qa_sample=decision is Decision.ACCEPTED
        and in_qa_sample(dossier_id, procedure.qa_sample_rate),
        pieces=piece_reports,
        requirements=requirement_reports,
        messages=messages,
    )


def _refuse_duplicate_names(pieces: Sequence[PieceInput]) -> None:
    names = [p.file for p in pieces]
    if len(set(names)) != len(names):
        # the caller must make names unique (they are the pieces' ids): a bug, not bad input
        raise ValueError("piece file names must be unique within a dossier")


def _piece_report(
    piece: PieceInput,
    procedure: Procedure,
    assignment: Assignment,
    evaluated: dict[str, _Evaluated],
) -> PieceReport:
    requirement = next(
        (rid for rid, files in assignment.by_requirement.items() if piece.file in files), None
    )
    checks = own_checks(piece, procedure)
    if piece.error is not None:
        status = PieceStatus.UNREADABLE
    elif piece.file in assignment.unexpected:
        checks.append(assignment.unexpected[piece.file])
        status = PieceStatus.UNEXPECTED
    elif requirement is None:
        status = _PIECE_STATUS_OF_CHECK[worst_status(checks)]
    else:
        checks = evaluated[requirement].report.checks + checks
        status = _PIECE_STATUS_OF_CHECK[worst_status(checks)]
    return PieceReport(
        file=piece.file,
        sha256=piece.sha256,
        type=piece.doc_type,
        confidence=piece.confidence,
        status=status,
        requirement=requirement,
        fields={f.name: FieldReport(value=f.value, evidence=f.evidence) for f in piece.fields},
        checks=checks,
        error=piece.error,
    )


def _decision(
    procedure: Procedure,
    evaluated: dict[str, _Evaluated],
    assignment: Assignment,
    by_file: dict[str, PieceInput],
) -> tuple[Decision, list[str]]:
    required = [evaluated[r.id] for r in procedure.requirements if not r.optional]
    optional = [
        evaluated[r.id]
        for r in procedure.requirements
        if r.optional and evaluated[r.id].report.pieces
    ]
    unassigned = [by_file[f] for f in assignment.unassigned]
    # A readable file whose type is a guess may be the missing piece, even when its
    # guess placed it under another requirement: never "missing" on a guess.
    # So may a file we failed to read for reasons of our own (a time limit on a busy machine).
    guessing = any(p.error is None or not _file_at_fault(p) for p in unassigned) or any(
        is_abstained(p, procedure) for p in by_file.values()
    )
    invalid = [e for e in required if e.report.status is RequirementStatus.INVALID]
    missing = [e for e in required if e.report.status is RequirementStatus.MISSING]
    guessing = guessing or _maybe_mistyped(procedure, missing, assignment, by_file)
    blocking = invalid + ([] if guessing else missing)
    if blocking:
        messages = _unique(m for e in blocking for m in e.messages)
        if missing and not guessing:
            messages += _unique(_unreadable_message(p) for p in unassigned)
        decision = Decision.INCOMPLETE if procedure.auto_incomplete else Decision.TO_REVIEW
        return decision, messages
    doubtful = (
        any(e.report.status is not RequirementStatus.OK for e in required + optional) or guessing
    )
    return (Decision.TO_REVIEW if doubtful else Decision.ACCEPTED), []


def _maybe_mistyped(
    procedure: Procedure,
    missing: Sequence[_Evaluated],
    assignment: Assignment,
    by_file: dict[str, PieceInput],
) -> bool:
    """Whether a file of a type no requirement wants is kin to a missing piece.

    Identity cards, residence permits and passports share their layout, their
    fields and often their MRZ format: the classifier confuses them (a blurred
    identity card photo typed a residence permit at 0.64), and a representative's
    identity then looks missing. A person tells them apart; the citizen is not
    told to send what is already there.
    """
    missing_ids = {e.report.id for e in missing}
    wanted = {t for r in procedure.requirements if r.id in missing_ids for t in r.accept}
    if not wanted & IDENTITY_DOC_TYPES:
        return False
    return any(
        check.code is CheckCode.TYPE_MISMATCH and by_file[file].doc_type in IDENTITY_DOC_TYPES
        for file, check in assignment.unexpected.items()
    )


def _unique(messages: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(messages))


def default_dossier_id(procedure: Procedure, pieces: Sequence[PieceInput]) -> str:
    """Stable id from the procedure and the files' contents, when the caller has none."""
    digest = hashlib.sha256(procedure.code.encode())
    for sha in sorted(p.sha256 for p in pieces):
        digest.update(sha.encode())
    return digest.hexdigest()[:16]


def in_qa_sample(dossier_id: str, rate: float) -> bool:
    """Deterministic: the same dossier is always in (or out of) the quality-control sample."""
    if rate <= 0.0:
        return False
    bucket = int.from_bytes(hashlib.sha256(dossier_id.encode()).digest()[:8], "big") / 2**64
    return bucket < rate
