"""Every procedure rule: a passing case, a failing case, weak evidence turning ko into doubt."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from pipeline.fields import DocType, ExtractedField, FieldName
from pipeline.rules.applicants import Applicant, Representative
from pipeline.rules.checks import (
    Check,
    CheckStatus,
    duplicate_file,
    legibility_low,
    missing_piece,
    mrz_invalid,
    twoddoc_invalid,
    twoddoc_mismatch,
    type_mismatch,
    type_uncertain,
)
from pipeline.rules.context import PhotoMeasurement, RuleContext
from pipeline.rules.date_rules import current_school_year_start, parse_school_year
from pipeline.rules.messages import CheckCode
from pipeline.rules.piece_rules import RULES
from pipeline.rules.procedures import get_procedure
from pipeline.types import TextSource
from tests.support.fieldkit import SIRET, WEAK, company, field, fields, ocr, person

AS_OF = date(2026, 3, 15)
F = FieldName


def run(rule: str, items: list[ExtractedField], **options: Any) -> Check:
    """The one check a rule gives."""
    checks = run_all(rule, items, **options)
    assert len(checks) == 1
    return checks[0]


def run_all(
    rule: str,
    items: list[ExtractedField],
    *,
    applicant: Applicant | None = None,
    param: object = None,
    as_of: date = AS_OF,
    doc_type: DocType | None = None,
    photo: PhotoMeasurement | None = None,
) -> list[Check]:
    applicant = applicant or person()
    code = "aide-entreprise" if applicant.kind == "company" else "bourse-sanitaire-sociale"
    context = RuleContext(
        as_of=as_of, procedure=get_procedure(code), doc_type=doc_type, photo=photo
    )
    return RULES[rule].func(fields(*items), applicant, context, param)


def assert_check(check: Check, code: CheckCode, status: CheckStatus) -> None:
    assert (check.code, check.status) == (code, status), check.officer_message
    assert check.message and check.officer_message


# ---------------------------------------------------------------- not_expired


def test_not_expired_ok_until_the_expiry_day() -> None:
    check = run("not_expired", [field(F.EXPIRY_DATE, "2026-03-15")])
    assert_check(check, CheckCode.EXPIRED, CheckStatus.OK)
    assert check.evidence[0].value == "2026-03-15"


def test_expired_document_is_ko_with_the_date_in_french() -> None:
    check = run("not_expired", [field(F.EXPIRY_DATE, "2026-03-14")])
    assert_check(check, CheckCode.EXPIRED, CheckStatus.KO)
    assert "14/03/2026" in check.message


def test_expired_read_by_weak_ocr_is_a_doubt() -> None:
    check = run("not_expired", [ocr(F.EXPIRY_DATE, "2025-01-01", confidence=WEAK)])
    assert_check(check, CheckCode.EXPIRED, CheckStatus.DOUBT)
    assert "55" in check.officer_message  # the confidence is shown to the officer


def test_expired_read_by_strong_ocr_is_ko() -> None:
    check = run("not_expired", [ocr(F.EXPIRY_DATE, "2025-01-01")])
    assert_check(check, CheckCode.EXPIRED, CheckStatus.KO)


def test_missing_or_garbled_expiry_is_a_doubt() -> None:
    assert_check(run("not_expired", []), CheckCode.DATE_MISSING, CheckStatus.DOUBT)
    garbled = run("not_expired", [field(F.EXPIRY_DATE, "31/02/20x6")])
    assert_check(garbled, CheckCode.DATE_MISSING, CheckStatus.DOUBT)


def test_identity_card_of_2013_issued_to_an_adult_is_still_valid() -> None:
    items = [
        field(F.EXPIRY_DATE, "2023-06-01"),
        field(F.ISSUE_DATE, "2013-06-02"),
        field(F.BIRTH_DATE, "1980-01-01"),
    ]
    check = run("not_expired", items, doc_type=DocType.IDENTITY_CARD)
    assert_check(check, CheckCode.EXPIRED, CheckStatus.OK)
    # the same card issued to a minor had no extension
    minor = [*items[:2], field(F.BIRTH_DATE, "1997-01-01")]
    assert_check(
        run("not_expired", minor, doc_type=DocType.IDENTITY_CARD), CheckCode.EXPIRED, CheckStatus.KO
    )
    # a passport never has the extension
    assert_check(
        run("not_expired", items, doc_type=DocType.PASSPORT), CheckCode.EXPIRED, CheckStatus.KO
    )


def test_an_expiry_that_already_counts_fifteen_years_is_not_extended_again() -> None:
    # Issued 2008 to an adult: the MRZ estimate of the old card says 2023-05-31.
    items = [
        field(F.EXPIRY_DATE, "2023-05-31"),
        field(F.ISSUE_DATE, "2008-05-01"),
        field(F.BIRTH_DATE, "1975-06-07"),
    ]
    check = run("not_expired", items, doc_type=DocType.IDENTITY_CARD)
    assert_check(check, CheckCode.EXPIRED, CheckStatus.KO)


def test_identity_card_possibly_extended_without_issue_date_is_a_doubt() -> None:
    check = run("not_expired", [field(F.EXPIRY_DATE, "2022-06-01")], doc_type=DocType.IDENTITY_CARD)
    assert_check(check, CheckCode.EXPIRED, CheckStatus.DOUBT)


# ---------------------------------------------------------------- max_age_days


@pytest.mark.parametrize(
    ("document_date", "code", "status"),
    [
        ("2026-03-01", CheckCode.TOO_OLD, CheckStatus.OK),
        ("2025-12-15", CheckCode.TOO_OLD, CheckStatus.OK),  # exactly 90 days
        ("2025-12-14", CheckCode.TOO_OLD, CheckStatus.KO),  # 91 days
        ("2026-06-01", CheckCode.DATE_IN_FUTURE, CheckStatus.DOUBT),
    ],
)
def test_max_age_days(document_date: str, code: CheckCode, status: CheckStatus) -> None:
    check = run("max_age_days", [field(F.DOCUMENT_DATE, document_date)], param=90)
    assert_check(check, code, status)


def test_too_old_on_weak_ocr_is_a_doubt() -> None:
    check = run("max_age_days", [ocr(F.DOCUMENT_DATE, "2024-01-10", WEAK)], param=90)
    assert_check(check, CheckCode.TOO_OLD, CheckStatus.DOUBT)


def test_missing_document_date_is_date_missing_doubt() -> None:
    assert_check(run("max_age_days", [], param=90), CheckCode.DATE_MISSING, CheckStatus.DOUBT)


def test_too_old_message_tells_what_to_send() -> None:
    check = run("max_age_days", [field(F.DOCUMENT_DATE, "2025-06-01")], param=90)
    assert "moins de 90 jours" in check.message
    assert "01/06/2025" in check.message


# ---------------------------------------------------------------- income_year


@pytest.mark.parametrize(
    ("as_of", "tax_year", "status"),
    [
        (date(2026, 10, 1), "2025", CheckStatus.OK),
        (date(2026, 10, 1), "2024", CheckStatus.KO),  # the 2025 notice exists since the summer
        (date(2026, 3, 15), "2025", CheckStatus.OK),
        (date(2026, 3, 15), "2024", CheckStatus.DOUBT),  # the 2025 notice is not out yet
        (date(2026, 3, 15), "2023", CheckStatus.KO),
        (date(2026, 3, 15), "2026", CheckStatus.KO),
    ],
)
def test_income_year_previous(as_of: date, tax_year: str, status: CheckStatus) -> None:
    check = run("income_year", [field(F.TAX_YEAR, tax_year)], param="previous", as_of=as_of)
    assert_check(check, CheckCode.WRONG_YEAR, status)


def test_income_year_weak_and_missing() -> None:
    weak = run("income_year", [ocr(F.TAX_YEAR, "2021", WEAK)], param="previous")
    assert_check(weak, CheckCode.WRONG_YEAR, CheckStatus.DOUBT)
    missing = run("income_year", [], param="previous")
    assert_check(missing, CheckCode.FIELD_MISSING, CheckStatus.DOUBT)
    assert "année des revenus" in missing.message


# ---------------------------------------------------------------- school_year


@pytest.mark.parametrize(
    ("as_of", "start"),
    [
        (date(2026, 9, 1), 2026),
        (date(2026, 12, 31), 2026),
        (date(2027, 1, 5), 2026),
        (date(2027, 6, 30), 2026),
        (date(2027, 8, 20), 2026),
    ],
)
def test_current_school_year_starts_in_september(as_of: date, start: int) -> None:
    assert current_school_year_start(as_of) == start


@pytest.mark.parametrize(
    ("as_of", "school_year", "status"),
    [
        (date(2026, 3, 15), "2025-2026", CheckStatus.OK),
        (date(2026, 3, 15), "2025/26", CheckStatus.OK),
        (date(2026, 3, 15), "2024-2025", CheckStatus.KO),
        (date(2026, 9, 10), "2025-2026", CheckStatus.KO),
        (date(2026, 9, 10), "2026-2027", CheckStatus.OK),
        # August: people apply for the coming year, whose certificate is the right one
        (date(2026, 8, 20), "2026-2027", CheckStatus.OK),
        (date(2026, 8, 20), "2025-2026", CheckStatus.OK),
        (date(2026, 8, 20), "2024-2025", CheckStatus.KO),
    ],
)
def test_school_year_current(as_of: date, school_year: str, status: CheckStatus) -> None:
    check = run("school_year", [field(F.SCHOOL_YEAR, school_year)], param="current", as_of=as_of)
    assert_check(check, CheckCode.WRONG_YEAR, status)


def test_school_year_malformed_weak_or_missing_is_a_doubt() -> None:
    for items in ([], [field(F.SCHOOL_YEAR, "2025-2027")], [ocr(F.SCHOOL_YEAR, "2019-2020", WEAK)]):
        assert run("school_year", items, param="current").status is CheckStatus.DOUBT
    assert parse_school_year("2025 – 2026") == 2025
    assert parse_school_year("2025") is None


# ---------------------------------------------------------------- names


def test_name_matches_identity_fields() -> None:
    items = [field(F.LAST_NAME, "MARTIN"), field(F.FIRST_NAMES, "Anne, Louise")]
    assert_check(run("name_matches_applicant", items), CheckCode.NAME_MISMATCH, CheckStatus.OK)


def test_name_matches_birth_name_on_a_holder_line() -> None:
    items = [field(F.HOLDER_NAME, "Mme DUPONT Anne")]  # applicant Anne Martin née Dupont
    assert_check(run("name_matches_applicant", items), CheckCode.NAME_MISMATCH, CheckStatus.OK)


def test_another_person_is_ko_and_names_both_for_the_officer() -> None:
    check = run("name_matches_applicant", [field(F.HOLDER_NAME, "M. Paul LEROY")])
    assert_check(check, CheckCode.NAME_MISMATCH, CheckStatus.KO)
    assert "LEROY" in check.officer_message
    assert "LEROY" not in check.message  # the citizen is told what to send, not what we read


def test_other_surname_with_the_same_given_name_may_be_a_usage_name() -> None:
    # The MRZ of a married woman's card carries her birth name; an applicant who
    # gave only her usage name is sent to a person, never refused.
    card = [field(F.LAST_NAME, "HERNANDEZ"), field(F.FIRST_NAMES, "ANNE GAELLE")]
    usage_only = person(birth_name=None)
    maybe = run("name_matches_applicant", card, applicant=usage_only)
    assert_check(maybe, CheckCode.NAME_MISMATCH, CheckStatus.DOUBT)
    # the officer is told why, not that a reading at 100 % was unsure
    assert "nom de naissance ou d'usage" in maybe.officer_message
    assert "Lecture peu sûre" not in maybe.officer_message
    # A declared birth name that differs too, or another given name: another person.
    declared = run("name_matches_applicant", card)
    assert_check(declared, CheckCode.NAME_MISMATCH, CheckStatus.KO)
    other = [field(F.LAST_NAME, "HERNANDEZ"), field(F.FIRST_NAMES, "Paul")]
    stranger = run("name_matches_applicant", other, applicant=usage_only)
    assert_check(stranger, CheckCode.NAME_MISMATCH, CheckStatus.KO)


def test_account_holder_with_the_same_given_name_may_be_a_usage_name() -> None:
    # The same leniency as on identity documents, and the same limits.
    holder = [field(F.ACCOUNT_HOLDER, "MME ANNE HERNANDEZ")]
    usage_only = person(birth_name=None)
    maybe = run("holder_matches_applicant", holder, applicant=usage_only)
    assert_check(maybe, CheckCode.HOLDER_MISMATCH, CheckStatus.DOUBT)
    declared = run("holder_matches_applicant", holder)
    assert_check(declared, CheckCode.HOLDER_MISMATCH, CheckStatus.KO)
    stranger = [field(F.ACCOUNT_HOLDER, "M PAUL HERNANDEZ")]
    other = run("holder_matches_applicant", stranger, applicant=usage_only)
    assert_check(other, CheckCode.HOLDER_MISMATCH, CheckStatus.KO)


def test_another_name_read_on_a_piece_that_prints_the_applicant_is_a_doubt() -> None:
    # A rent receipt names the landlord and the tenant: the field may hold the wrong one.
    context = RuleContext(
        as_of=AS_OF,
        procedure=get_procedure("bourse-sanitaire-sociale"),
        texts=("Bailleur : Mme Josiane Barbier", "Locataire : Mme Anne MARTIN, 3 rue Haute"),
    )
    landlord = fields(field(F.HOLDER_NAME, "Mme Josiane Barbier"))
    [check] = RULES["name_matches_applicant"].func(landlord, person(), context, None)
    assert_check(check, CheckCode.NAME_MISMATCH, CheckStatus.DOUBT)
    [holder] = RULES["holder_matches_applicant"].func(
        fields(field(F.ACCOUNT_HOLDER, "M GERARD LEBLANC")), person(), context, None
    )
    assert_check(holder, CheckCode.HOLDER_MISMATCH, CheckStatus.DOUBT)
    # The applicant printed nowhere (only the surname, or nothing): still a refusal.
    elsewhere = RuleContext(
        as_of=AS_OF,
        procedure=get_procedure("bourse-sanitaire-sociale"),
        texts=("Bailleur : Mme Josiane Barbier", "Locataire : M. Paul MARTIN"),
    )
    [refused] = RULES["name_matches_applicant"].func(landlord, person(), elsewhere, None)
    assert_check(refused, CheckCode.NAME_MISMATCH, CheckStatus.KO)
    no_text = run("name_matches_applicant", list(landlord.values()))
    assert_check(no_text, CheckCode.NAME_MISMATCH, CheckStatus.KO)


def test_name_mismatch_on_weak_ocr_is_a_doubt() -> None:
    check = run("name_matches_applicant", [ocr(F.HOLDER_NAME, "M. Paul LEROY", WEAK)])
    assert_check(check, CheckCode.NAME_MISMATCH, CheckStatus.DOUBT)


def test_uncertain_name_is_a_doubt_and_missing_name_too() -> None:
    initial = run("name_matches_applicant", [field(F.HOLDER_NAME, "Mme A. MARTIN")])
    assert_check(initial, CheckCode.NAME_MISMATCH, CheckStatus.DOUBT)
    assert_check(run("name_matches_applicant", []), CheckCode.FIELD_MISSING, CheckStatus.DOUBT)


def test_a_missing_name_on_an_identity_document_is_its_surname() -> None:
    on_card = run("name_matches_applicant", [], doc_type=DocType.IDENTITY_CARD)
    on_bill = run("name_matches_applicant", [], doc_type=DocType.PROOF_OF_ADDRESS)
    assert_check(on_card, CheckCode.FIELD_MISSING, CheckStatus.DOUBT)
    assert "« last_name »" in on_card.officer_message
    assert "« holder_name »" in on_bill.officer_message


def test_company_procedure_matches_the_representative() -> None:
    rep = [field(F.LAST_NAME, "MOREAU"), field(F.FIRST_NAMES, "Luc, Henri")]
    ok = run("name_matches_applicant", rep, applicant=company())
    assert_check(ok, CheckCode.NAME_MISMATCH, CheckStatus.OK)
    other = [field(F.LAST_NAME, "MOREAU"), field(F.FIRST_NAMES, "Julie")]
    ko = run("name_matches_applicant", other, applicant=company())
    assert_check(ko, CheckCode.NAME_MISMATCH, CheckStatus.KO)


def test_a_representative_s_declared_birth_name_matches_her_card_s_mrz() -> None:
    # The MRZ carries the birth name; the representative goes by her usage name.
    card = [field(F.LAST_NAME, "RENAULT"), field(F.FIRST_NAMES, "MAGGIE")]
    usage_only = company(representative=Representative(first_name="Maggie", last_name="Marty"))
    maybe = run("name_matches_applicant", card, applicant=usage_only)
    assert_check(maybe, CheckCode.NAME_MISMATCH, CheckStatus.DOUBT)
    declared = company(
        representative=Representative(first_name="Maggie", last_name="Marty", birth_name="Renault")
    )
    sure = run("name_matches_applicant", card, applicant=declared)
    assert_check(sure, CheckCode.NAME_MISMATCH, CheckStatus.OK)


def test_holder_matches_person_and_company() -> None:
    person_ok = run("holder_matches_applicant", [field(F.ACCOUNT_HOLDER, "MME MARTIN ANNE")])
    assert_check(person_ok, CheckCode.HOLDER_MISMATCH, CheckStatus.OK)
    person_ko = run("holder_matches_applicant", [field(F.ACCOUNT_HOLDER, "M GERARD LEBLANC")])
    assert_check(person_ko, CheckCode.HOLDER_MISMATCH, CheckStatus.KO)
    company_ok = run(
        "holder_matches_applicant",
        [field(F.ACCOUNT_HOLDER, "SARL BOULANGERIE MARTIN")],
        applicant=company(),
    )
    assert_check(company_ok, CheckCode.HOLDER_MISMATCH, CheckStatus.OK)
    company_ko = run(
        "holder_matches_applicant",
        [field(F.ACCOUNT_HOLDER, "GARAGE DU CENTRE")],
        applicant=company(),
    )
    assert_check(company_ko, CheckCode.HOLDER_MISMATCH, CheckStatus.KO)
    # the representative's own account is not the company's
    rep_account = run(
        "holder_matches_applicant", [field(F.ACCOUNT_HOLDER, "M LUC MOREAU")], applicant=company()
    )
    assert rep_account.status is CheckStatus.KO
    assert_check(run("holder_matches_applicant", []), CheckCode.FIELD_MISSING, CheckStatus.DOUBT)


# ---------------------------------------------------------------- numbers


def test_iban_valid() -> None:
    good = run("iban_valid", [field(F.IBAN, "FR7630006000011234567890189")])
    assert_check(good, CheckCode.IBAN_INVALID, CheckStatus.OK)
    spaced = run("iban_valid", [field(F.IBAN, "FR76 3000 6000 0112 3456 7890 189")])
    assert spaced.status is CheckStatus.OK
    bad = run("iban_valid", [field(F.IBAN, "FR7630006000011234567890188")])
    assert_check(bad, CheckCode.IBAN_INVALID, CheckStatus.KO)
    weak = run("iban_valid", [ocr(F.IBAN, "FR7630006000011234567890188", WEAK)])
    assert weak.status is CheckStatus.DOUBT
    # OCR sure of every character: a failed key still says a character was misread
    sure = run("iban_valid", [ocr(F.IBAN, "FR7630006000011234567890188", 0.99)])
    assert sure.status is CheckStatus.DOUBT
    assert_check(run("iban_valid", []), CheckCode.FIELD_MISSING, CheckStatus.DOUBT)


def test_siren_matches() -> None:
    applicant = company()
    by_siren = run("siren_matches", [field(F.SIREN, "732 829 320")], applicant=applicant)
    assert_check(by_siren, CheckCode.SIREN_MISMATCH, CheckStatus.OK)
    by_siret = run_all("siren_matches", [field(F.SIRET, SIRET)], applicant=applicant)
    assert [(c.code, c.status) for c in by_siret] == [
        (CheckCode.SIRET_INVALID, CheckStatus.OK),
        (CheckCode.SIREN_MISMATCH, CheckStatus.OK),
    ]
    other = run("siren_matches", [field(F.SIREN, "552100554")], applicant=applicant)
    assert_check(other, CheckCode.SIREN_MISMATCH, CheckStatus.KO)
    assert "552100554" in other.officer_message
    weak = run("siren_matches", [ocr(F.SIREN, "552100554", WEAK)], applicant=applicant)
    assert weak.status is CheckStatus.DOUBT
    missing = run("siren_matches", [], applicant=applicant)
    assert_check(missing, CheckCode.FIELD_MISSING, CheckStatus.DOUBT)


def test_a_siret_with_a_broken_key_is_refused_even_with_the_right_siren() -> None:
    applicant = company()
    broken = SIRET[:-1] + str((int(SIRET[-1]) + 5) % 10)
    checks = run_all("siren_matches", [field(F.SIRET, broken)], applicant=applicant)
    assert_check(checks[0], CheckCode.SIRET_INVALID, CheckStatus.KO)
    assert broken in checks[0].officer_message
    assert checks[1].status is CheckStatus.OK  # the SIREN part still matches
    weak = run_all("siren_matches", [ocr(F.SIRET, broken, WEAK)], applicant=applicant)
    assert weak[0].status is CheckStatus.DOUBT


def test_a_siren_misread_into_an_invalid_number_is_a_doubt_not_another_company() -> None:
    # 732829320 with one digit misread: its Luhn key fails, so it names no company.
    misread = run("siren_matches", [field(F.SIREN, "732820320")], applicant=company())
    assert_check(misread, CheckCode.SIREN_MISMATCH, CheckStatus.DOUBT)


def test_a_name_read_from_an_mrz_with_misread_fillers_is_not_refused() -> None:
    # MRZ names have no check digit: "MAELLEKX" is MAËLLE with its fillers misread.
    applicant = person(first_name="Maëlle", last_name="Dumont", birth_name=None)
    items = [
        field(F.LAST_NAME, "DUMONT", source=TextSource.MRZ),
        field(F.FIRST_NAMES, "MAELLEKX", source=TextSource.MRZ),
    ]
    check = run("name_matches_applicant", items, applicant=applicant)
    assert check.status is not CheckStatus.KO  # OCR tolerance: ok or doubt
    other = [items[0], field(F.FIRST_NAMES, "GERARD", source=TextSource.MRZ)]
    assert run("name_matches_applicant", other, applicant=applicant).status is CheckStatus.KO


def test_siren_rule_refuses_a_person_applicant_loudly() -> None:
    with pytest.raises(TypeError):
        run("siren_matches", [field(F.SIREN, "732829320")])


# ---------------------------------------------------------------- photo


@pytest.mark.parametrize(
    ("faces", "uniformity", "status"),
    [
        (1, 0.95, CheckStatus.OK),
        (2, 0.95, CheckStatus.KO),
        (1, 0.40, CheckStatus.KO),
        (0, 0.95, CheckStatus.DOUBT),  # detectors miss faces: a human looks
    ],
)
def test_one_face_plain_background(faces: int, uniformity: float, status: CheckStatus) -> None:
    photo = PhotoMeasurement(face_count=faces, background_uniformity=uniformity)
    assert_check(run("one_face_plain_background", [], photo=photo), CheckCode.PHOTO_INVALID, status)


def test_photo_without_measurement_is_a_doubt() -> None:
    check = run("one_face_plain_background", [])
    assert_check(check, CheckCode.FIELD_MISSING, CheckStatus.DOUBT)


# ---------------------------------------------------------------- pipeline constructors


def test_pipeline_check_constructors() -> None:
    mrz = ocr(F.MRZ, "IDFRA...", confidence=0.99)
    assert_check(mrz_invalid([mrz], "date de naissance"), CheckCode.MRZ_INVALID, CheckStatus.KO)
    weak_mrz = ocr(F.MRZ, "IDFRA...", confidence=WEAK)
    assert mrz_invalid([weak_mrz], "nom").status is CheckStatus.DOUBT
    assert twoddoc_invalid("signature").status is CheckStatus.KO
    text_name = field(F.HOLDER_NAME, "M JEAN DUPONT")
    assert_check(
        twoddoc_mismatch(text_name, "M PAUL DUPONT"), CheckCode.TWODDOC_MISMATCH, CheckStatus.KO
    )
    assert_check(legibility_low(2, "flou"), CheckCode.LEGIBILITY_LOW, CheckStatus.DOUBT)
    uncertain = type_uncertain(DocType.PASSPORT, 0.41, 0.6)
    assert_check(uncertain, CheckCode.TYPE_UNCERTAIN, CheckStatus.DOUBT)
    assert "Passeport" in uncertain.officer_message and "41" in uncertain.officer_message
    mismatch = type_mismatch("cv.pdf", DocType.RESUME, "aide-entreprise")
    assert "cv.pdf" in mismatch.message
    missing = missing_piece("Extrait Kbis", [DocType.COMPANY_EXTRACT], 0, 1)
    assert "Extrait Kbis" in missing.message
    assert duplicate_file("b.pdf", "a.pdf").code is CheckCode.DUPLICATE_FILE


def test_an_all_capitals_holder_cut_the_wrong_way_round_still_names_the_applicant() -> None:
    # "M. MARTIN ANNE" has no case clue: a surname-last guess gives last name ANNE,
    # first name MARTIN; the holder line itself, order free, settles it.
    guessed = [
        ocr(F.HOLDER_NAME, "MME MARTIN ANNE"),
        ocr(F.LAST_NAME, "ANNE"),
        ocr(F.FIRST_NAMES, "MARTIN"),
    ]
    check = run("name_matches_applicant", guessed, applicant=person(birth_name=None))
    assert_check(check, CheckCode.NAME_MISMATCH, CheckStatus.OK)
    # The line of another person cut the same way stays a refusal...
    other = [
        ocr(F.HOLDER_NAME, "M. LEROY PAUL"),
        ocr(F.LAST_NAME, "PAUL"),
        ocr(F.FIRST_NAMES, "LEROY"),
    ]
    refused = run("name_matches_applicant", other, applicant=person(birth_name=None))
    assert_check(refused, CheckCode.NAME_MISMATCH, CheckStatus.KO)
    # ...and name fields that are not the holder line's words are not overruled by it.
    separate = [
        ocr(F.HOLDER_NAME, "MME MARTIN ANNE"),
        ocr(F.LAST_NAME, "LEROY"),
        ocr(F.FIRST_NAMES, "Paul"),
    ]
    kept = run("name_matches_applicant", separate, applicant=person(birth_name=None))
    assert_check(kept, CheckCode.NAME_MISMATCH, CheckStatus.KO)
