"""Name rules: the person (or company) a document names is the applicant.

The comparisons are `pipeline.rules.names` (people) and `company_names`; the
benefit of the doubt given to a mismatch a reading or a usage name may explain
is `name_doubts`.
"""

from __future__ import annotations

from typing import Any

from pipeline.fields import IDENTITY_DOC_TYPES, ExtractedField, FieldName
from pipeline.rules.applicants import Applicant, CompanyApplicant, PersonApplicant
from pipeline.rules.checks import Check, doubt, ko_or_doubt, ok, read_by_ocr
from pipeline.rules.company_names import match_company
from pipeline.rules.context import Fields, RuleContext, field_missing
from pipeline.rules.messages import MESSAGES, NAME_DOUBTS_FR, CheckCode
from pipeline.rules.name_doubts import benefit_of_doubt
from pipeline.rules.names import (
    NameMatch,
    NameVerdict,
    PersonName,
    match_person,
    tokens,
    verdict_rank,
)


def expected_person(applicant: Applicant) -> PersonName:
    """The person a document must name: the applicant, or a company's representative."""
    if isinstance(applicant, PersonApplicant):
        return PersonName(applicant.last_name, applicant.first_name, applicant.birth_name)
    rep = applicant.representative
    return PersonName(rep.last_name, rep.first_name, rep.birth_name)


def _name_check(
    code: CheckCode, result: NameMatch, used: list[ExtractedField], found: str, expected: str
) -> Check:
    params: dict[str, Any] = {
        "found": found,
        "expected": expected,
        "score": f"{result.score:.0f}/100",
    }
    if result.verdict is NameVerdict.MATCH:
        return ok(code, used, **params)
    if result.verdict is NameVerdict.UNCERTAIN:
        check = doubt(code, used, **params)
        # Why a person must look: the comparison's own reason, not the reading's
        # confidence (an MRZ name read at 100 % may still be a birth name).
        why = NAME_DOUBTS_FR.get(result.reason)
        if why is None:
            return check
        officer = MESSAGES[code].officer.format_map(params) + " " + why
        return check.model_copy(update={"officer_message": officer})
    return ko_or_doubt(code, used, **params)


def _benefit_of_doubt(
    result: NameMatch, expected: PersonName, given: ExtractedField | None, texts: tuple[str, ...]
) -> NameMatch:
    """`names.benefit_of_doubt` for the given-name field read (or the holder line), if any."""
    read = given.value if given is not None else None
    return benefit_of_doubt(
        result, expected, read, texts, ocr=given is not None and read_by_ocr(given)
    )


def _split_of(holder: ExtractedField | None, names: list[ExtractedField]) -> bool:
    """Whether the name fields are the words of the holder line (civility aside), cut in two."""
    if holder is None:
        return False
    split = sorted(tokens(" ".join(f.value for f in names)))
    return bool(split) and split == sorted(tokens(holder.value))


def name_matches_applicant(
    fields: Fields, applicant: Applicant, ctx: RuleContext, param: None
) -> list[Check]:
    """The person named on the document is the applicant (or, for a company, its representative)."""
    expected = expected_person(applicant)
    expected_text = " ".join(filter(None, [expected.first_names, expected.last_name]))
    last = fields.get(FieldName.LAST_NAME)
    if last is not None:
        used = [
            f
            for n in (FieldName.LAST_NAME, FieldName.FIRST_NAMES, FieldName.BIRTH_NAME)
            if (f := fields.get(n))
        ]
        first, birth = fields.get(FieldName.FIRST_NAMES), fields.get(FieldName.BIRTH_NAME)
        result = match_person(
            expected,
            last_name=last.value,
            first_names=first.value if first else None,
            birth_name=birth.value if birth else None,
            ocr=read_by_ocr(*used),
        )
        holder = fields.get(FieldName.HOLDER_NAME)
        if result.verdict is not NameVerdict.MATCH and _split_of(holder, used):
            # The surname was told from the given names by a guess (an all-capitals
            # "M. ROBERT HERVÉ" has no order clue): the whole line, order free, decides.
            assert holder is not None
            whole = match_person(expected, full_name=holder.value, ocr=read_by_ocr(holder))
            result = min(result, whole, key=verdict_rank)
        result = _benefit_of_doubt(result, expected, first, ctx.texts)
        return [
            _name_check(
                CheckCode.NAME_MISMATCH,
                result,
                used,
                " ".join(f.value for f in used),
                expected_text,
            )
        ]
    holder = fields.get(FieldName.HOLDER_NAME)
    if holder is None:
        # Identity documents print a surname row, not a holder line: that is what to look at.
        identity = ctx.doc_type in IDENTITY_DOC_TYPES
        missing = FieldName.LAST_NAME if identity else FieldName.HOLDER_NAME
        return [field_missing(missing)]
    result = match_person(expected, full_name=holder.value, ocr=read_by_ocr(holder))
    result = _benefit_of_doubt(result, expected, None, ctx.texts)
    return [_name_check(CheckCode.NAME_MISMATCH, result, [holder], holder.value, expected_text)]


def holder_matches_applicant(
    fields: Fields, applicant: Applicant, ctx: RuleContext, param: None
) -> list[Check]:
    """The bank account belongs to the applicant (the company itself for a company)."""
    holder = fields.get(FieldName.ACCOUNT_HOLDER)
    if holder is None:
        return [field_missing(FieldName.ACCOUNT_HOLDER)]
    ocr = read_by_ocr(holder)
    if isinstance(applicant, CompanyApplicant):
        result = match_company(applicant.company_name, holder.value)
        expected_text = applicant.company_name
    else:
        expected = expected_person(applicant)
        result = match_person(expected, full_name=holder.value, ocr=ocr)
        expected_text = f"{expected.first_names} {expected.last_name}"
        # As on identity documents: an account under the birth name of an
        # applicant who declared only a usage name is for a person to judge.
        result = _benefit_of_doubt(result, expected, holder, ctx.texts)
    return [_name_check(CheckCode.HOLDER_MISMATCH, result, [holder], holder.value, expected_text)]
