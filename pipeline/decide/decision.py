"""From read pieces to a dossier decision.

`assign_pieces` gives every file of a dossier to one requirement of the
procedure (by document type), `decide` runs the procedure's rules on each
requirement's pieces and derives piece statuses, requirement statuses and the
decision (DESIGN.md §3):

- accepted: every required requirement satisfied by valid pieces, no doubt;
- incomplete: a required requirement is missing or invalid on strong evidence,
  with one French message per problem telling the applicant what to send;
- to_review: anything else (a doubt somewhere); also incomplete dossiers of a
  procedure with `auto_incomplete: false` (messages kept for the officer).

A file whose type is a guess is paired first with a card side whose MRZ
verified, when it can only be that card's other side (`with_companion_sides`).

An optional requirement never makes a dossier incomplete, but a doubt or a
failure on a piece sent for it goes to review. A readable file whose type is
unknown (classifier abstained on a type no requirement accepts) may be the
missing piece, so a missing requirement then means review, not incomplete.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date

from pydantic import BaseModel, Field
from rapidfuzz.distance import Levenshtein

from pipeline.decide.models import DossierReport, FieldReport, PieceReport, RequirementReport
from pipeline.errors import InvalidApplicant, blames_the_file
from pipeline.fields import DOC_TYPE_LABELS_FR, DocType, ExtractedField, FieldName
from pipeline.rules.applicants import Applicant
from pipeline.rules.checks import (
    Check,
    CheckCode,
    CheckStatus,
    Decision,
    PieceStatus,
    RequirementStatus,
    worst_status,
)
from pipeline.rules.messages import format_percent_fr
from pipeline.rules.names import tokens
from pipeline.rules.piece_rules import (
    RULES,
    PhotoMeasurement,
    RuleContext,
    duplicate_file,
    expected_person,
    missing_piece,
    other_side_verified,
    type_mismatch,
    type_uncertain,
)
from pipeline.rules.procedures import Procedure, Requirement
from pipeline.types import ErrorInfo, TextSource


class PieceInput(BaseModel):
    """One uploaded file as the pipeline left it: type, fields and checks so far, or an error."""

    file: str  # name as uploaded; unique within a dossier, the piece's id in the report
    sha256: str
    doc_type: DocType | None = None  # classifier's best guess (None: not classified)
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    abstained: bool = False  # the classifier declined to decide
    error: ErrorInfo | None = None  # set: the file could not be read (unreadable)
    fields: list[ExtractedField] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)  # MRZ, 2D-Doc, legibility...
    photo: PhotoMeasurement | None = None  # for id_photo pieces
    requirement_hint: str | None = None  # upload slot, used only when the type is unknown
    texts: list[str] = Field(default_factory=list)  # page texts, for rules that look beyond fields
    # set on a card side whose type was a guess: the file whose verified MRZ establishes
    # its holder (see with_companion_sides)
    companion_of: str | None = None


class Assignment(BaseModel):
    by_requirement: dict[str, list[str]]  # requirement id -> files, in upload order
    unexpected: dict[str, Check]  # file -> why it serves no requirement
    unassigned: list[
        str
    ]  # files of unknown type (unreadable, or abstained on a type nobody accepts)


# ---------------------------------------------------------------- assignment


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


# ---------------------------------------------------------------- evaluation


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


# ---------------------------------------------------------------- companion sides

# Cards with two sides, one of which carries the MRZ (TD1): a passport has no other side.
_TWO_SIDED = frozenset({DocType.IDENTITY_CARD, DocType.RESIDENCE_PERMIT})
_IDENTITY = _TWO_SIDED | {DocType.PASSPORT}
# What a rule may say of a side that was not legible enough to hold the value.
_SILENT = frozenset({CheckCode.FIELD_MISSING, CheckCode.DATE_MISSING})


def machine_verified(piece: PieceInput, procedure: Procedure) -> bool:
    """A legible card side whose MRZ verified as read, check digit by check digit:
    its holder's names come from the machine-readable zone, not from a guess."""
    if piece.doc_type not in _TWO_SIDED or is_abstained(piece, procedure):
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
        and piece.doc_type in _IDENTITY
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
        _among(word, pools[read.name])
        for read in side.fields
        if read.name in pools
        for word in tokens(read.value)
    )


def _among(word: str, pool: Sequence[str]) -> bool:
    allowed = 1 if len(word) >= 4 else 0
    return any(Levenshtein.distance(word, known) <= allowed for known in pool)


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
    if not wanted & _IDENTITY:
        return False
    return any(
        check.code is CheckCode.TYPE_MISMATCH and by_file[file].doc_type in _IDENTITY
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
