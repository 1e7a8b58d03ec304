"""Dossier decisions on whole dossiers built from extracted fields."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from pipeline.decide.assign import assign_pieces
from pipeline.decide.decision import (
    DossierReport,
    PieceReport,
    RequirementReport,
    decide,
    in_qa_sample,
)
from pipeline.decide.inputs import PieceInput
from pipeline.errors import InvalidApplicant
from pipeline.fields import DocType, ExtractedField, FieldName
from pipeline.rules.checks import (
    CheckStatus,
    Decision,
    PieceStatus,
    RequirementStatus,
    legibility_low,
    mrz_invalid,
)
from pipeline.rules.context import PhotoMeasurement
from pipeline.rules.messages import CheckCode
from pipeline.rules.procedures import Procedure, Requirement, RuleRef, get_procedure
from pipeline.types import ErrorInfo, TextSource
from tests.support.fieldkit import SIRET, WEAK, company, field, ocr, person

AS_OF = date(2026, 3, 15)
F = FieldName
BOURSE = get_procedure("bourse-sanitaire-sociale")
GOOD_IBAN = "FR7630006000011234567890189"


def piece(
    file: str, doc_type: DocType | None, *items: ExtractedField, **extra: object
) -> PieceInput:
    data: dict[str, object] = {
        "file": file,
        "sha256": hashlib.sha256(file.encode()).hexdigest(),
        "doc_type": doc_type,
        "confidence": 0.95,
        "fields": list(items),
    }
    data.update(extra)
    return PieceInput.model_validate(data)


def id_card(**extra: object) -> PieceInput:
    return piece(
        "cni.pdf",
        DocType.IDENTITY_CARD,
        field(F.LAST_NAME, "MARTIN"),
        field(F.FIRST_NAMES, "Anne, Louise"),
        field(F.EXPIRY_DATE, "2030-01-01"),
        **extra,
    )


def complete_dossier() -> list[PieceInput]:
    return [
        id_card(),
        piece(
            "facture.pdf",
            DocType.PROOF_OF_ADDRESS,
            field(F.HOLDER_NAME, "Mme Anne MARTIN"),
            field(F.DOCUMENT_DATE, "2026-02-20"),
        ),
        piece(
            "avis.pdf",
            DocType.TAX_NOTICE,
            field(F.HOLDER_NAME, "MARTIN ANNE"),
            field(F.TAX_YEAR, "2025"),
        ),
        piece(
            "rib.pdf",
            DocType.BANK_DETAILS,
            field(F.ACCOUNT_HOLDER, "MME MARTIN ANNE"),
            field(F.IBAN, GOOD_IBAN),
        ),
        piece(
            "certificat.pdf",
            DocType.SCHOOL_CERTIFICATE,
            field(F.HOLDER_NAME, "Anne Martin"),
            field(F.SCHOOL_YEAR, "2025-2026"),
        ),
    ]


def replace(pieces: list[PieceInput], file: str, new: PieceInput | None) -> list[PieceInput]:
    out = [new if p.file == file else p for p in pieces]
    return [p for p in out if p is not None]


def run(pieces: list[PieceInput], procedure: Procedure = BOURSE) -> DossierReport:
    return decide(procedure, person(), pieces, AS_OF, dossier_id="D-1")


def piece_of(report: DossierReport, file: str) -> PieceReport:
    return next(p for p in report.pieces if p.file == file)


def requirement_of(report: DossierReport, rid: str) -> RequirementReport:
    return next(r for r in report.requirements if r.id == rid)


def test_complete_valid_dossier_is_accepted() -> None:
    report = run(complete_dossier())
    assert report.decision is Decision.ACCEPTED
    assert report.messages == []
    assert all(p.status is PieceStatus.VALID for p in report.pieces)
    assert all(r.status is RequirementStatus.OK for r in report.requirements)
    assert piece_of(report, "rib.pdf").requirement == "rib"
    assert {c.code for c in piece_of(report, "rib.pdf").checks} == {
        CheckCode.IBAN_INVALID,
        CheckCode.HOLDER_MISMATCH,
    }


def test_missing_piece_makes_it_incomplete_with_a_message_naming_it() -> None:
    report = run(replace(complete_dossier(), "rib.pdf", None))
    assert report.decision is Decision.INCOMPLETE
    assert requirement_of(report, "rib").status is RequirementStatus.MISSING
    assert len(report.messages) == 1
    assert "Pièce manquante" in report.messages[0]
    assert "Relevé d'identité bancaire (RIB) au nom du demandeur" in report.messages[0]


def test_invalid_on_strong_evidence_is_incomplete_one_message_per_problem() -> None:
    expired = id_card().model_copy(
        update={
            "fields": [
                field(F.LAST_NAME, "MARTIN"),
                field(F.FIRST_NAMES, "Anne"),
                field(F.EXPIRY_DATE, "2024-01-01"),
            ]
        }
    )
    old_bill = piece(
        "facture.pdf",
        DocType.PROOF_OF_ADDRESS,
        field(F.HOLDER_NAME, "Mme Anne MARTIN"),
        field(F.DOCUMENT_DATE, "2025-06-01"),
    )
    pieces = replace(replace(complete_dossier(), "cni.pdf", expired), "facture.pdf", old_bill)
    report = run(pieces)
    assert report.decision is Decision.INCOMPLETE
    assert piece_of(report, "cni.pdf").status is PieceStatus.INVALID
    assert requirement_of(report, "identite").status is RequirementStatus.INVALID
    assert len(report.messages) == 2
    assert report.messages[0].startswith("Pièce d'identité en cours de validité : ")
    assert "expiré" in report.messages[0]
    assert report.messages[1].startswith("Justificatif de domicile de moins de 3 mois : ")


def test_weak_evidence_sends_to_review_not_incomplete() -> None:
    weak = id_card().model_copy(
        update={
            "fields": [
                ocr(F.LAST_NAME, "MARTIN"),
                ocr(F.FIRST_NAMES, "Anne"),
                ocr(F.EXPIRY_DATE, "2024-01-01", confidence=WEAK),
            ]
        }
    )
    report = run(replace(complete_dossier(), "cni.pdf", weak))
    assert report.decision is Decision.TO_REVIEW
    assert report.messages == []
    assert piece_of(report, "cni.pdf").status is PieceStatus.DOUBTFUL
    assert requirement_of(report, "identite").status is RequirementStatus.DOUBT


def test_auto_incomplete_false_sends_incomplete_to_review_with_messages() -> None:
    manual = BOURSE.model_copy(update={"auto_incomplete": False})
    report = run(replace(complete_dossier(), "rib.pdf", None), manual)
    assert report.decision is Decision.TO_REVIEW
    assert len(report.messages) == 1 and "Pièce manquante" in report.messages[0]


def test_recto_and_verso_merge_into_one_piece() -> None:
    recto = piece(
        "cni-recto.jpg",
        DocType.IDENTITY_CARD,
        ocr(F.LAST_NAME, "MARTIN"),
        ocr(F.FIRST_NAMES, "Anne"),
    )
    verso = piece("cni-verso.jpg", DocType.IDENTITY_CARD, ocr(F.EXPIRY_DATE, "2031-07-02"))
    pieces = [recto, verso, *complete_dossier()[1:]]
    report = run(pieces)
    assert report.decision is Decision.ACCEPTED
    assert requirement_of(report, "identite").pieces == ["cni-recto.jpg", "cni-verso.jpg"]
    assert piece_of(report, "cni-verso.jpg").requirement == "identite"
    # the recto alone lacks the expiry date: a doubt, not a refusal
    alone = run([recto, *complete_dossier()[1:]])
    assert alone.decision is Decision.TO_REVIEW
    codes = {(c.code, c.status) for c in piece_of(alone, "cni-recto.jpg").checks}
    assert (CheckCode.DATE_MISSING, CheckStatus.DOUBT) in codes


def test_duplicate_file_is_unexpected_and_not_blocking() -> None:
    pieces = complete_dossier()
    copy = pieces[3].model_copy(update={"file": "rib (1).pdf"})
    report = run([*pieces, copy])
    assert report.decision is Decision.ACCEPTED
    dup = piece_of(report, "rib (1).pdf")
    assert dup.status is PieceStatus.UNEXPECTED and dup.requirement is None
    assert dup.checks[-1].code is CheckCode.DUPLICATE_FILE
    assert "rib.pdf" in dup.checks[-1].message
    assert requirement_of(report, "rib").pieces == ["rib.pdf"]


def test_piece_of_an_unexpected_type_is_not_blocking() -> None:
    cv = piece("cv.pdf", DocType.RESUME)
    report = run([*complete_dossier(), cv])
    assert report.decision is Decision.ACCEPTED
    assert piece_of(report, "cv.pdf").status is PieceStatus.UNEXPECTED
    assert piece_of(report, "cv.pdf").checks[-1].code is CheckCode.TYPE_MISMATCH


ENCRYPTED = ErrorInfo(
    code="ENCRYPTED_FILE",
    message="Le fichier est protégé par un mot de passe : envoyez-le sans mot de passe.",
)


def test_unreadable_piece_for_a_missing_requirement_gives_its_error_message() -> None:
    locked = piece("rib-verrouille.pdf", None, error=ENCRYPTED)
    report = run(replace(complete_dossier(), "rib.pdf", locked))
    assert report.decision is Decision.INCOMPLETE
    assert piece_of(report, "rib-verrouille.pdf").status is PieceStatus.UNREADABLE
    assert any("Pièce manquante" in m for m in report.messages)
    assert any("rib-verrouille.pdf" in m and ENCRYPTED.message in m for m in report.messages)


def test_unreadable_piece_in_its_upload_slot_invalidates_the_requirement() -> None:
    locked = piece("rib-verrouille.pdf", None, error=ENCRYPTED, requirement_hint="rib")
    report = run(replace(complete_dossier(), "rib.pdf", locked))
    assert report.decision is Decision.INCOMPLETE
    assert requirement_of(report, "rib").status is RequirementStatus.INVALID
    assert report.messages == [
        "Relevé d'identité bancaire (RIB) au nom du demandeur : le fichier « rib-verrouille.pdf » "
        f"n'a pas pu être lu. {ENCRYPTED.message}"
    ]
    # another, readable RIB makes the unreadable one harmless
    report = run([*complete_dossier(), locked])
    assert report.decision is Decision.ACCEPTED


OCR_TIMED_OUT = ErrorInfo(code="OCR_FAILED", message="La lecture du document a échoué.")


@pytest.mark.parametrize("hint", [None, "rib"])
def test_a_file_we_failed_to_read_on_our_side_goes_to_review_not_back_to_the_citizen(
    hint: str | None,
) -> None:
    # A time limit may be hit because the machine is busy: not strong evidence of a bad file.
    failed = piece("rib.jpg", None, error=OCR_TIMED_OUT, requirement_hint=hint)
    report = run(replace(complete_dossier(), "rib.pdf", failed))
    assert report.decision is Decision.TO_REVIEW
    assert piece_of(report, "rib.jpg").status is PieceStatus.UNREADABLE
    # the same slot with a file at fault still asks the citizen for another one
    locked = piece("rib.jpg", None, error=ENCRYPTED, requirement_hint=hint)
    assert run(replace(complete_dossier(), "rib.pdf", locked)).decision is Decision.INCOMPLETE


def test_an_illegible_file_typed_with_confidence_is_still_a_guess() -> None:
    # A washed-out scan of the RIB whose noise the classifier typed a CV at 0.86:
    # not "another document than expected" and "RIB missing", but a case for review.
    noise = piece(
        "rib-scan.jpg", DocType.RESUME, confidence=0.86, checks=[legibility_low(1, "flou")]
    )
    report = run(replace(complete_dossier(), "rib.pdf", noise))
    assert report.decision is Decision.TO_REVIEW
    # the same file read cleanly is another document, and the RIB is missing
    clean = piece("rib-scan.jpg", DocType.RESUME, confidence=0.86)
    assert run(replace(complete_dossier(), "rib.pdf", clean)).decision is Decision.INCOMPLETE


def test_classifier_abstention_is_a_doubt() -> None:
    unsure = complete_dossier()[3].model_copy(update={"confidence": 0.42, "abstained": True})
    report = run(replace(complete_dossier(), "rib.pdf", unsure))
    assert report.decision is Decision.TO_REVIEW
    checks = piece_of(report, "rib.pdf").checks
    assert any(c.code is CheckCode.TYPE_UNCERTAIN and c.status is CheckStatus.DOUBT for c in checks)
    # under the procedure's threshold counts as abstention even without the flag
    low = complete_dossier()[3].model_copy(update={"confidence": 0.3})
    assert run(replace(complete_dossier(), "rib.pdf", low)).decision is Decision.TO_REVIEW


def test_a_failed_rule_on_a_file_of_guessed_type_is_a_doubt_not_a_refusal() -> None:
    # Fields looked for as a guessed type may be anything: a bill photo guessed at
    # 0.44 gave "du lundi au samedi de" as its holder, read at high word confidence.
    garbled = piece(
        "facture.jpg",
        DocType.PROOF_OF_ADDRESS,
        field(F.HOLDER_NAME, "du lundi au samedi de"),
        field(F.DOCUMENT_DATE, "2026-02-20"),
        confidence=0.44,
        abstained=True,
    )
    report = run(replace(complete_dossier(), "facture.pdf", garbled))
    assert report.decision is Decision.TO_REVIEW
    [mismatch] = [
        c for c in piece_of(report, "facture.jpg").checks if c.code is CheckCode.NAME_MISMATCH
    ]
    assert mismatch.status is CheckStatus.DOUBT
    # The same reading on a confidently typed file refuses.
    sure = garbled.model_copy(update={"confidence": 0.95, "abstained": False})
    assert run(replace(complete_dossier(), "facture.pdf", sure)).decision is Decision.INCOMPLETE


def test_unknown_type_file_may_be_the_missing_piece_so_review_not_incomplete() -> None:
    mystery = piece("scan.jpg", DocType.OTHER, confidence=0.35, abstained=True)
    report = run(replace(complete_dossier(), "rib.pdf", mystery))
    assert report.decision is Decision.TO_REVIEW
    assert piece_of(report, "scan.jpg").status is PieceStatus.DOUBTFUL


def test_a_guess_placed_under_another_requirement_may_be_the_missing_piece() -> None:
    # A blurred RIB scan guessed (under the threshold) as an identity card: the
    # RIB looks missing, but on a guess the dossier goes to a person.
    blurred = piece("scan.jpg", DocType.IDENTITY_CARD, confidence=0.48, abstained=True)
    report = run(replace(complete_dossier(), "rib.pdf", blurred))
    assert report.decision is Decision.TO_REVIEW
    # The same dossier without the guessed file is incomplete: the RIB is missing.
    assert run(replace(complete_dossier(), "rib.pdf", None)).decision is Decision.INCOMPLETE


def test_qa_sampling_is_deterministic_and_keeps_the_decision() -> None:
    always = BOURSE.model_copy(update={"qa_sample_rate": 1.0})
    never = BOURSE.model_copy(update={"qa_sample_rate": 0.0})
    assert run(complete_dossier(), always).qa_sample is True
    assert run(complete_dossier(), always).decision is Decision.ACCEPTED
    assert run(complete_dossier(), never).qa_sample is False
    assert run(replace(complete_dossier(), "rib.pdf", None), always).qa_sample is False
    sampled = [in_qa_sample(f"dossier-{i}", 0.1) for i in range(2000)]
    assert sampled == [in_qa_sample(f"dossier-{i}", 0.1) for i in range(2000)]
    assert 150 < sum(sampled) < 250


def test_company_dossier() -> None:
    procedure = get_procedure("aide-entreprise")
    pieces = [
        piece(
            "kbis.pdf",
            DocType.COMPANY_EXTRACT,
            field(F.SIREN, "732829320"),
            field(F.DOCUMENT_DATE, "2026-02-01"),
        ),
        piece(
            "urssaf.pdf",
            DocType.URSSAF_CERTIFICATE,
            field(F.SIRET, SIRET),
            field(F.DOCUMENT_DATE, "2025-11-01"),
        ),
        piece(
            "rib.pdf",
            DocType.BANK_DETAILS,
            field(F.ACCOUNT_HOLDER, "SARL BOULANGERIE MARTIN"),
            field(F.IBAN, GOOD_IBAN),
        ),
        piece(
            "passeport.pdf",
            DocType.PASSPORT,
            field(F.LAST_NAME, "MOREAU"),
            field(F.FIRST_NAMES, "Luc"),
            field(F.EXPIRY_DATE, "2029-05-05"),
        ),
    ]
    report = decide(procedure, company(), pieces, AS_OF)
    assert report.decision is Decision.ACCEPTED, report.model_dump_json(indent=1)
    other_kbis = replace(
        pieces,
        "kbis.pdf",
        piece(
            "kbis.pdf",
            DocType.COMPANY_EXTRACT,
            field(F.SIREN, "552100554"),
            field(F.DOCUMENT_DATE, "2026-02-01"),
        ),
    )
    report = decide(procedure, company(), other_kbis, AS_OF)
    assert report.decision is Decision.INCOMPLETE
    assert report.messages[0].startswith("Extrait Kbis de moins de 3 mois : ")
    with pytest.raises(InvalidApplicant):
        decide(procedure, person(), pieces, AS_OF)


def test_an_identity_document_of_an_unwanted_kind_may_be_the_missing_one_mistyped() -> None:
    # aide-entreprise wants an identity card or a passport of the representative: a
    # file typed a residence permit may be a card the classifier confused, so a person
    # looks rather than the citizen being told the identity document is missing.
    procedure = get_procedure("aide-entreprise")
    kbis = piece(
        "kbis.pdf",
        DocType.COMPANY_EXTRACT,
        field(F.SIREN, "732829320"),
        field(F.DOCUMENT_DATE, "2026-02-01"),
    )
    urssaf = piece(
        "urssaf.pdf",
        DocType.URSSAF_CERTIFICATE,
        field(F.SIRET, SIRET),
        field(F.DOCUMENT_DATE, "2025-11-01"),
    )
    rib = piece(
        "rib.pdf",
        DocType.BANK_DETAILS,
        field(F.ACCOUNT_HOLDER, "SARL BOULANGERIE MARTIN"),
        field(F.IBAN, GOOD_IBAN),
    )
    permit = piece("titre.jpg", DocType.RESIDENCE_PERMIT, confidence=0.64)
    report = decide(procedure, company(), [kbis, urssaf, rib, permit], AS_OF)
    assert report.decision is Decision.TO_REVIEW
    assert piece_of(report, "titre.jpg").status is PieceStatus.UNEXPECTED
    # a document of another family is no such kin: the identity document is missing
    payslip = piece("bulletin.pdf", DocType.PAYSLIP)
    report = decide(procedure, company(), [kbis, urssaf, rib, payslip], AS_OF)
    assert report.decision is Decision.INCOMPLETE
    # nor is the permit when nothing is missing: it is an extra, unexpected file
    passport = piece(
        "passeport.pdf",
        DocType.PASSPORT,
        field(F.LAST_NAME, "MOREAU"),
        field(F.FIRST_NAMES, "Luc"),
        field(F.EXPIRY_DATE, "2029-05-05"),
    )
    report = decide(procedure, company(), [kbis, urssaf, rib, passport, permit], AS_OF)
    assert report.decision is Decision.ACCEPTED


def test_photo_requirement_uses_the_measurement() -> None:
    procedure = get_procedure("transport-scolaire")
    base = [p for p in complete_dossier() if p.file in {"cni.pdf", "facture.pdf", "certificat.pdf"}]
    good = piece(
        "photo.jpg",
        DocType.ID_PHOTO,
        photo=PhotoMeasurement(face_count=1, background_uniformity=0.93),
    )
    assert run([*base, good], procedure).decision is Decision.ACCEPTED
    group = good.model_copy(
        update={"photo": PhotoMeasurement(face_count=3, background_uniformity=0.93)}
    )
    report = run([*base, group], procedure)
    assert report.decision is Decision.INCOMPLETE
    assert "Photo d'identité récente" in report.messages[0]


def test_assignment_is_greedy_in_procedure_order() -> None:
    two_ids = Procedure(
        code="deux-identites",
        title="Deux identités",
        applicant="person",
        retention_days=30,
        requirements=[
            Requirement(
                id="eleve", label="Identité de l'élève", accept=[DocType.IDENTITY_CARD], max_files=1
            ),
            Requirement(
                id="parent",
                label="Identité du parent",
                accept=[DocType.IDENTITY_CARD, DocType.PASSPORT],
                rules=[RuleRef(name="not_expired")],
            ),
        ],
    )
    pieces = [
        piece("a.pdf", DocType.IDENTITY_CARD),
        piece("b.pdf", DocType.IDENTITY_CARD),
        piece("c.pdf", DocType.PASSPORT),
    ]
    assignment = assign_pieces(pieces, two_ids)
    assert assignment.by_requirement == {"eleve": ["a.pdf"], "parent": ["b.pdf", "c.pdf"]}


def test_optional_requirement_missing_does_not_block() -> None:
    optional = BOURSE.model_copy(
        update={
            "requirements": [
                r.model_copy(update={"optional": True}) if r.id == "scolarite" else r
                for r in BOURSE.requirements
            ]
        }
    )
    report = run(replace(complete_dossier(), "certificat.pdf", None), optional)
    assert report.decision is Decision.ACCEPTED


def test_report_json_matches_the_cli_contract() -> None:
    data = run(complete_dossier()).model_dump(mode="json")
    assert {
        "dossier_id",
        "procedure",
        "decision",
        "pieces",
        "requirements",
        "messages",
        "qa_sample",
        "as_of",
    } <= set(data)
    assert data["decision"] == "accepted" and data["as_of"] == "2026-03-15"
    first = data["pieces"][0]
    assert {
        "file",
        "sha256",
        "type",
        "confidence",
        "status",
        "requirement",
        "fields",
        "checks",
    } <= set(first)
    assert first["type"] == "identity_card"
    assert first["fields"]["last_name"]["value"] == "MARTIN"
    assert first["fields"]["last_name"]["evidence"]["source"] == "text_layer"
    assert {"code", "status", "message", "evidence"} <= set(first["checks"][0])
    assert {"id", "status", "pieces"} <= set(data["requirements"][0])


def test_default_dossier_id_is_stable() -> None:
    a = decide(BOURSE, person(), complete_dossier(), AS_OF)
    b = decide(BOURSE, person(), list(reversed(complete_dossier())), AS_OF)
    assert a.dossier_id == b.dossier_id and len(a.dossier_id) == 16


def test_readable_piece_of_unknown_type_is_doubtful_never_valid() -> None:
    unknown = piece("inconnu.pdf", None, confidence=0.0)
    report = run([*complete_dossier(), unknown])
    assert piece_of(report, "inconnu.pdf").status is PieceStatus.DOUBTFUL
    assert report.decision is Decision.TO_REVIEW


# ---------------------------------------------------------------- companion sides


def mrz_verso(**extra: object) -> PieceInput:
    """A card verso whose MRZ verified as read: holder, number and dates at 1.0."""
    mrz = TextSource.MRZ
    return piece(
        "cni-verso.jpg",
        DocType.IDENTITY_CARD,
        field(F.MRZ, "IDFRAX4RTBPFW46<<<<<<<<<<<<<<<", source=mrz),
        field(F.LAST_NAME, "MARTIN", source=mrz),
        field(F.FIRST_NAMES, "ANNE LOUISE", source=mrz),
        field(F.EXPIRY_DATE, "2030-01-01", source=mrz),
        **extra,
    )


def blurred_recto(*items: ExtractedField, **extra: object) -> PieceInput:
    data: dict[str, object] = {
        "confidence": 0.51,
        "checks": [legibility_low(1, "lecture incertaine (confiance 41 %)")],
    }
    data.update(extra)
    return piece("cni-recto.jpg", DocType.PASSPORT, *items, **data)


def guessed(side: PieceInput, doc_type: DocType) -> PieceInput:
    return side.model_copy(update={"doc_type": doc_type})


def test_an_illegible_side_beside_a_verified_mrz_side_is_part_of_that_card() -> None:
    pieces = [blurred_recto(), mrz_verso(), *complete_dossier()[1:]]
    report = run(pieces)
    assert report.decision is Decision.ACCEPTED
    recto = piece_of(report, "cni-recto.jpg")
    assert recto.requirement == "identite"
    assert recto.type is DocType.IDENTITY_CARD
    assert recto.status is PieceStatus.VALID
    [vouched] = [c for c in recto.checks if c.code is CheckCode.OTHER_SIDE_VERIFIED]
    assert vouched.status is CheckStatus.OK
    assert "cni-verso.jpg" in vouched.officer_message
    assert not any(c.code is CheckCode.LEGIBILITY_LOW for c in recto.checks)
    assert requirement_of(report, "identite").pieces == ["cni-recto.jpg", "cni-verso.jpg"]
    # the few words read on the blurred side are the verso's surname, one letter wrong
    surname_only = blurred_recto(ocr(F.LAST_NAME, "MARTlN", confidence=WEAK))
    assert run([surname_only, *pieces[1:]]).decision is Decision.ACCEPTED
    # the MRZ carries the birth name; the recto prints the applicant's usage name
    birth_mrz = mrz_verso().model_copy(
        update={
            "fields": [
                *mrz_verso().fields[:1],
                field(F.LAST_NAME, "DUPONT", source=TextSource.MRZ),
                *mrz_verso().fields[2:],
            ]
        }
    )
    usage = blurred_recto(ocr(F.LAST_NAME, "MARTIN", confidence=WEAK))
    assert run([usage, birth_mrz, *pieces[2:]]).decision is Decision.ACCEPTED
    # the verso printed the usage name (read weakly) beside the MRZ's birth name
    mrz = TextSource.MRZ
    both = piece(
        "cni-verso.jpg",
        DocType.IDENTITY_CARD,
        field(F.MRZ, "IDFRAX4RTBPFW46<<<<<<<<<<<<<<<", source=mrz),
        ocr(F.LAST_NAME, "MARTIN", confidence=WEAK),
        field(F.BIRTH_NAME, "DUPONT", source=mrz),
        field(F.FIRST_NAMES, "ANNE", source=mrz),
        field(F.EXPIRY_DATE, "2030-01-01", source=mrz),
    )
    assert run([blurred_recto(), both, *pieces[2:]]).decision is Decision.ACCEPTED


def test_a_side_of_uncertain_type_beside_a_verified_mrz_side_is_part_of_that_card() -> None:
    # The old card's verso (address, dates), legible but typed an identity card at 55 %
    verso = piece(
        "cni-verso.jpg", DocType.IDENTITY_CARD, ocr(F.EXPIRY_DATE, "2030-01-01"), confidence=0.55
    )
    recto = mrz_verso().model_copy(update={"file": "cni-recto.jpg", "sha256": "e" * 64})
    report = run([recto, verso, *complete_dossier()[1:]])
    assert report.decision is Decision.ACCEPTED
    [vouched] = [
        c
        for c in piece_of(report, "cni-verso.jpg").checks
        if c.code is CheckCode.OTHER_SIDE_VERIFIED
    ]
    assert "type incertain" in vouched.message and "55\u00a0%" in vouched.message
    # a legible guess that shows another holder's name is no such side
    other = piece(
        "cni-verso.jpg", DocType.IDENTITY_CARD, ocr(F.LAST_NAME, "DURAND"), confidence=0.55
    )
    assert run([recto, other, *complete_dossier()[1:]]).decision is Decision.TO_REVIEW


def test_no_companion_without_a_verified_mrz() -> None:
    # the verso's names read by OCR, not checked by MRZ check digits: a person looks
    ocr_verso = piece(
        "cni-verso.jpg",
        DocType.IDENTITY_CARD,
        ocr(F.LAST_NAME, "MARTIN"),
        ocr(F.FIRST_NAMES, "Anne"),
        ocr(F.EXPIRY_DATE, "2030-01-01"),
    )
    assert run([blurred_recto(), ocr_verso, *complete_dossier()[1:]]).decision is (
        Decision.TO_REVIEW
    )
    # a verified MRZ whose own page has a doubt is no better
    doubtful = mrz_verso(checks=[legibility_low(1, "flou")])
    assert run([blurred_recto(), doubtful, *complete_dossier()[1:]]).decision is (
        Decision.TO_REVIEW
    )
    # a passport is one page: it has no other side to vouch for
    passport = guessed(mrz_verso(), DocType.PASSPORT)
    assert run([blurred_recto(), passport, *complete_dossier()[1:]]).decision is (
        Decision.TO_REVIEW
    )


def test_an_illegible_side_that_shows_something_else_stays_a_doubt() -> None:
    # another surname read on the blurred side, even weakly: two people, a person decides
    other = blurred_recto(ocr(F.LAST_NAME, "DURAND", confidence=WEAK))
    report = run([other, mrz_verso(), *complete_dossier()[1:]])
    assert report.decision is Decision.TO_REVIEW
    assert piece_of(report, "cni-recto.jpg").status is PieceStatus.DOUBTFUL
    # a side with a problem besides legibility (a failed MRZ of its own) is not paired
    broken = blurred_recto(
        checks=[legibility_low(1, "flou"), mrz_invalid([ocr(F.MRZ, "IDFRA<<", WEAK)], "format")]
    )
    assert run([broken, mrz_verso(), *complete_dossier()[1:]]).decision is Decision.TO_REVIEW
    # a blurred file guessed a bank statement is no card side
    rib_guess = guessed(blurred_recto(), DocType.BANK_DETAILS)
    assert run([rib_guess, mrz_verso(), *complete_dossier()[1:]]).decision is Decision.TO_REVIEW


def test_a_paired_side_that_leaves_a_piece_missing_is_still_a_guess() -> None:
    # The blurred file may be the missing RIB typed an identity document: review, not
    # "RIB missing".
    pieces = [blurred_recto(), mrz_verso(), *complete_dossier()[1:3], complete_dossier()[4]]
    report = run(pieces)
    assert report.decision is Decision.TO_REVIEW
    assert piece_of(report, "cni-recto.jpg").status is PieceStatus.DOUBTFUL


def test_only_one_side_per_verified_card() -> None:
    second = blurred_recto().model_copy(update={"file": "autre.jpg", "sha256": "f" * 64})
    report = run([blurred_recto(), second, mrz_verso(), *complete_dossier()[1:]])
    assert report.decision is Decision.TO_REVIEW
    assert piece_of(report, "cni-recto.jpg").status is PieceStatus.VALID
    assert piece_of(report, "autre.jpg").status is PieceStatus.DOUBTFUL
