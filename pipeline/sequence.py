"""The sequence of justif, once: intake → read → classify → extract → rules → decide → report.

Every caller runs the stages through this module: the `check-dossier` flow
(which adds only the fan-out of pages over workers and the retries), the CLI's
`inspect` and `check`, the demo and the benchmarks.

- intake and read (`read_piece`; `plan_reading` / `assemble_reading` when a
  flow spreads a long piece's pages over workers): an untrusted file is
  inspected and its pages read in an isolated child; a refusal or any failure
  becomes the piece's `error`, never an exception;
- classify: the classifier is passed in as `pipeline.classify.TypeClassifier`
  (`pipeline` never imports `classifiers`, `flows`, `justif` or `prefect`);
- extract: the fields of the piece's type (`rules/analysis.extract_piece`);
- rules: the piece's own checks, legibility and authenticity
  (`rules/analysis.assess_piece`), then the procedure's rules per requirement;
- decide: accepted, incomplete or to review (`decide/decision.decide`);
- report: the decision with each piece's reading summary and stage timings
  (`decide/report.with_readings`, the contract in `decide/models.py`).

`check_piece` is what `justif inspect` prints for one file, `check_dossier`
the report of a dossier whose pieces are read.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.classify import Classification, TypeClassifier
from pipeline.codes.twoddoc.trust import TrustList
from pipeline.decide.decision import PieceInput, decide
from pipeline.decide.models import DossierReport, FieldReport, InspectResult, PageSummary, Timings
from pipeline.decide.report import unique_names, with_readings
from pipeline.read.fanout import ReadingPlan, assemble_reading, plan_cached, plan_reading
from pipeline.read.piece import ReadOptions, read_piece
from pipeline.rules.analysis import assess_piece, extract_piece
from pipeline.rules.applicants import parse_applicant
from pipeline.rules.procedures import Procedure
from pipeline.store.dossiers import Manifest
from pipeline.store.storage import ObjectStore
from pipeline.types import PieceReading

__all__ = [
    "CheckedPiece",
    "ReadOptions",
    "ReadingPlan",
    "assemble_reading",
    "check_dossier",
    "check_piece",
    "classify_piece",
    "inspect_file",
    "plan_cached",
    "plan_reading",
    "read_piece",
]


@dataclass(frozen=True)
class CheckedPiece:
    """One piece after every per-piece stage: what the decision takes, and where time went."""

    reading: PieceReading
    classification: Classification | None
    piece: PieceInput
    timings: Timings


def inspect_file(
    path: Path,
    options: ReadOptions,
    classifier: TypeClassifier | None,
    *,
    cache: ObjectStore | None,
    as_of: date,
    trust: TrustList | None,
    with_text: bool = False,
) -> InspectResult:
    """One file read and checked on its own, as `justif inspect` prints it."""
    reading = read_piece(path, options, cache=cache)  # intake and read
    checked = check_piece(path.name, reading, classifier, as_of=as_of, trust=trust)
    return inspect_result(str(path), checked, with_text=with_text)


def classify_piece(
    reading: PieceReading, classifier: TypeClassifier | None
) -> tuple[Classification | None, float]:
    """The piece's type, and the seconds it took."""
    started = time.perf_counter()
    classification = classifier.classify(reading) if classifier else None
    return classification, time.perf_counter() - started


def check_piece(
    file: str,
    reading: PieceReading,
    classifier: TypeClassifier | None,
    *,
    as_of: date,
    trust: TrustList | None,
    classified: tuple[Classification | None, float] | None = None,
) -> CheckedPiece:
    """Classify, extract and check one read piece (an unreadable one keeps its error).

    `classified` is the piece's classification and its time when already made
    (a content sent twice in one dossier is classified once).
    """
    classification, classify_s = classified or classify_piece(reading, classifier)
    started = time.perf_counter()
    extraction = extract_piece(reading, classification, as_of=as_of, trust=trust)
    extracted = time.perf_counter()
    piece = assess_piece(file, reading, classification, extraction)
    timings = Timings(
        intake=reading.intake_seconds,
        read=reading.read_seconds,
        signals=reading.signals_seconds,
        classify=classify_s,
        extract=extracted - started,
        rules=time.perf_counter() - extracted,
    )
    return CheckedPiece(reading, classification, piece, timings)


def check_dossier(
    manifest: Manifest,
    procedure: Procedure,
    readings: Mapping[str, PieceReading],
    classifier: TypeClassifier | None,
    trust: TrustList | None,
) -> DossierReport:
    """The dossier's report from its pieces' readings (by SHA-256): classify, extract, decide."""
    as_of = manifest.effective_as_of
    applicant = parse_applicant(procedure.applicant, manifest.applicant)
    classified = {sha: classify_piece(reading, classifier) for sha, reading in readings.items()}
    checked = [
        check_piece(
            name,
            readings[entry.sha256],
            classifier,
            as_of=as_of,
            trust=trust,
            classified=classified[entry.sha256],
        )
        for name, entry in zip(unique_names(manifest), manifest.files, strict=True)
    ]
    decided = decide(
        procedure, applicant, [c.piece for c in checked], as_of, dossier_id=manifest.dossier_id
    )
    return with_readings(decided, [(c.reading, c.classification, c.timings) for c in checked])


def inspect_result(file: str, checked: CheckedPiece, *, with_text: bool = False) -> InspectResult:
    """The `justif inspect --json` object of one checked piece."""
    reading, classification, piece = checked.reading, checked.classification, checked.piece
    return InspectResult(
        file=file,
        sha256=reading.sha256,
        kind=reading.intake.kind if reading.intake else None,
        type=classification.type if classification else None,
        confidence=round(classification.confidence, 4) if classification else None,
        type_guess=classification.best_guess if classification else None,
        pages=[PageSummary.of(page, with_text=with_text) for page in reading.pages],
        fields={
            str(field.name): FieldReport(value=field.value, evidence=field.evidence)
            for field in piece.fields
        },
        checks=piece.checks,
        warnings=list(reading.intake.warnings) if reading.intake else [],
        error=reading.error,
        seconds=round(reading.seconds, 3),
        timings=checked.timings.rounded(),
    )
