"""Piece rules named in procedure files, and the check constructors the pipeline uses.

A rule is a small function `(fields, applicant, context, param) -> list[Check]`
registered in `RULES` under the name procedure YAML files use. Rules never
refuse on weak evidence: their failures go through `checks.ko_or_doubt`, and a
field they need but cannot find is a `doubt`, never a `ko`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter
from stdnum import iban as stdnum_iban
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from pipeline.fields import (
    DOC_TYPE_LABELS_FR,
    IDENTITY_DOC_TYPES,
    DocType,
    ExtractedField,
    FieldName,
)
from pipeline.rules.applicants import (
    Applicant,
    ApplicantKind,
    CompanyApplicant,
    PersonApplicant,
)
from pipeline.rules.checks import (
    Check,
    CheckEvidence,
    CheckStatus,
    doubt,
    ko_or_doubt,
    make_check,
    ok,
)
from pipeline.rules.messages import (
    MESSAGES,
    NAME_DOUBTS_FR,
    OTHER_DATE_FR,
    CheckCode,
    format_percent_fr,
)
from pipeline.rules.names import (
    NameMatch,
    NameReason,
    NameVerdict,
    PersonName,
    match_company,
    match_person,
    normalise,
    tokens,
)
from pipeline.types import TextSource

if TYPE_CHECKING:
    from pipeline.rules.procedures import Procedure

Fields = Mapping[FieldName, ExtractedField]

FIELD_LABELS_FR: dict[FieldName | str, str] = {
    FieldName.EXPIRY_DATE: "date d'expiration",
    FieldName.DOCUMENT_DATE: "date du document",
    FieldName.TAX_YEAR: "année des revenus",
    FieldName.SCHOOL_YEAR: "année scolaire",
    FieldName.HOLDER_NAME: "nom du titulaire",
    FieldName.LAST_NAME: "nom",
    FieldName.ACCOUNT_HOLDER: "titulaire du compte",
    FieldName.IBAN: "IBAN",
    FieldName.SIREN: "numéro SIREN",
    "photo": "visage sur la photo",
}

# CNI issued 2004-2013 to adults stay valid 5 years beyond the printed date (décret 2013-1188).
CNI_EXTENSION_ISSUED = (date(2004, 1, 1), date(2013, 12, 31))
CNI_EXTENSION_YEARS = 5
PRINTED_CNI_YEARS = 10  # the validity printed on the cards the decree extends
# During the summer holidays a certificate for the coming school year may not exist yet.
SUMMER_MONTHS = frozenset({7, 8})
SCHOOL_YEAR_STARTS_MONTH = 9
# Tax notices for year N-1 arrive from late July; before September the N-2 one may be the latest.
TAX_NOTICE_MONTH = 9
PHOTO_MIN_BACKGROUND_UNIFORMITY = 0.80
FUTURE_DATE_TOLERANCE = timedelta(days=1)


class PhotoMeasurement(BaseModel):
    """Measured on the photo image by the caller (face detector, background analysis)."""

    face_count: int = Field(ge=0)
    background_uniformity: float = Field(ge=0.0, le=1.0)  # 1.0: perfectly plain


@dataclass(frozen=True)
class RuleContext:
    """What a rule may know besides the fields: the date of reference and the piece's type."""

    as_of: date
    procedure: Procedure
    doc_type: DocType | None = None
    photo: PhotoMeasurement | None = None
    # The pieces' page texts: a name rule refuses only if the applicant is printed nowhere.
    texts: tuple[str, ...] = ()


RuleFunc = Callable[[Fields, Applicant, RuleContext, Any], list[Check]]


@dataclass(frozen=True)
class Rule:
    name: str
    func: RuleFunc
    param: TypeAdapter[Any] | None  # None: a bare rule name, no parameter
    applicants: frozenset[ApplicantKind] = frozenset(ApplicantKind)


# ---------------------------------------------------------------- helpers


def field_missing(field: FieldName | str) -> Check:
    """A rule needed a field that was not read: a human looks, the citizen is not refused."""
    return doubt(
        CheckCode.FIELD_MISSING,
        field=str(field),
        field_label=FIELD_LABELS_FR.get(field, str(field)),
    )


def date_missing(field: FieldName) -> Check:
    return doubt(CheckCode.DATE_MISSING, field=str(field))


def parse_iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def fr_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def read_by_ocr(*fields: ExtractedField) -> bool:
    """Whether a name may carry reading errors: OCR'd text, or an MRZ, whose check
    digits do not cover the names (an MRZ is itself OCR'd on a scan or photo)."""
    return any(f.evidence.source in (TextSource.OCR, TextSource.MRZ) for f in fields)


# ---------------------------------------------------------------- dates


def not_expired(fields: Fields, applicant: Applicant, ctx: RuleContext, param: None) -> list[Check]:
    expiry_field = fields.get(FieldName.EXPIRY_DATE)
    expiry = parse_iso_date(expiry_field.value) if expiry_field else None
    if expiry_field is None or expiry is None:
        return [date_missing(FieldName.EXPIRY_DATE)]
    used = [expiry_field]
    params: dict[str, Any] = {"expiry": fr_date(expiry), "as_of": fr_date(ctx.as_of)}
    if expiry >= ctx.as_of:
        return [ok(CheckCode.EXPIRED, used, **params)]
    extended = _cni_extension(fields, ctx, expiry)
    if extended is CheckStatus.OK:
        return [ok(CheckCode.EXPIRED, used, **params)]
    if extended is CheckStatus.DOUBT:
        return [doubt(CheckCode.EXPIRED, used, **params)]
    valid = other_reading_fits(expiry_field, ctx.as_of, date.max)
    if valid is not None:
        return [doubt_other_date(CheckCode.EXPIRED, expiry_field, valid, **params)]
    return [ko_or_doubt(CheckCode.EXPIRED, used, **params)]


def _cni_extension(fields: Fields, ctx: RuleContext, expiry: date) -> CheckStatus:
    """ok: still valid thanks to the 15-year rule; doubt: maybe; ko: no extension applies."""
    if ctx.doc_type is not DocType.IDENTITY_CARD:
        return CheckStatus.KO
    extended = expiry.replace(year=expiry.year + CNI_EXTENSION_YEARS)
    if extended < ctx.as_of:
        return CheckStatus.KO
    issue_field = fields.get(FieldName.ISSUE_DATE)
    issue = parse_iso_date(issue_field.value) if issue_field else None
    if issue is None:
        # covered 10-year cards expired 2014-2023: without the issue date we cannot tell
        issued_guess = expiry.replace(year=expiry.year - 10)
        in_window = CNI_EXTENSION_ISSUED[0] <= issued_guess <= CNI_EXTENSION_ISSUED[1]
        return CheckStatus.DOUBT if in_window else CheckStatus.KO
    if not CNI_EXTENSION_ISSUED[0] <= issue <= CNI_EXTENSION_ISSUED[1]:
        return CheckStatus.KO
    if expiry > issue.replace(year=issue.year + PRINTED_CNI_YEARS) + timedelta(days=31):
        # Already the 15-year date (estimated from the old card's MRZ): extending it
        # again would accept a card that expired.
        return CheckStatus.KO
    birth_field = fields.get(FieldName.BIRTH_DATE)
    birth = parse_iso_date(birth_field.value) if birth_field else None
    if birth is None:
        return CheckStatus.DOUBT
    return CheckStatus.OK if _age_years(birth, issue) >= 18 else CheckStatus.KO


def _age_years(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def max_age_days(fields: Fields, applicant: Applicant, ctx: RuleContext, param: int) -> list[Check]:
    date_field = fields.get(FieldName.DOCUMENT_DATE)
    issued = parse_iso_date(date_field.value) if date_field else None
    if date_field is None or issued is None:
        return [date_missing(FieldName.DOCUMENT_DATE)]
    age_days = (ctx.as_of - issued).days
    params: dict[str, Any] = {
        "document_date": fr_date(issued),
        "max_age_days": param,
        "age_days": age_days,
        "as_of": fr_date(ctx.as_of),
    }
    if issued > ctx.as_of + FUTURE_DATE_TOLERANCE:
        # a date in the future is a misreading or a forgery: never a refusal on its own
        return [doubt(CheckCode.DATE_IN_FUTURE, [date_field], **params)]
    if age_days > param:
        recent = other_reading_fits(date_field, ctx.as_of - timedelta(days=param), ctx.as_of)
        if recent is not None:
            return [doubt_other_date(CheckCode.TOO_OLD, date_field, recent, **params)]
        return [ko_or_doubt(CheckCode.TOO_OLD, [date_field], **params)]
    return [ok(CheckCode.TOO_OLD, [date_field], **params)]


def other_reading_fits(read: ExtractedField, earliest: date, latest: date) -> date | None:
    """Another date OCR'd on the same page within [earliest, latest], if any.

    An OCR'd date can be misread at high word confidence ("14.09.2026" as
    "14.09.2016"); when another date on the page would pass, the page may carry
    the right one elsewhere: a person looks, the citizen is not refused.
    """
    if not read_by_ocr(read):
        return None
    fitting = [d for d in map(parse_iso_date, read.alternatives) if d and earliest <= d <= latest]
    return max(fitting, default=None)


def doubt_other_date(code: CheckCode, read: ExtractedField, other: date, **params: Any) -> Check:
    check = doubt(code, [read], **params)
    note = OTHER_DATE_FR.format(other=fr_date(other))
    return check.model_copy(update={"officer_message": f"{check.officer_message} {note}"})


def _year_of(field: ExtractedField | None) -> int | None:
    if field is None:
        return None
    match = re.fullmatch(r"\s*(\d{4})\s*", field.value)
    return int(match.group(1)) if match else None


def income_year(fields: Fields, applicant: Applicant, ctx: RuleContext, param: str) -> list[Check]:
    year_field = fields.get(FieldName.TAX_YEAR)
    found = _year_of(year_field)
    if year_field is None or found is None:
        return [field_missing(FieldName.TAX_YEAR)]
    expected = ctx.as_of.year - 1 if param == "previous" else ctx.as_of.year
    params: dict[str, Any] = {"found": found, "expected": expected}
    if found == expected:
        return [ok(CheckCode.WRONG_YEAR, [year_field], **params)]
    if param == "previous" and found == expected - 1 and ctx.as_of.month < TAX_NOTICE_MONTH:
        # the notice for `expected` may not be issued yet: the latest one is for a human to judge
        return [doubt(CheckCode.WRONG_YEAR, [year_field], **params)]
    return [ko_or_doubt(CheckCode.WRONG_YEAR, [year_field], **params)]


_SCHOOL_YEAR = re.compile(r"\s*(\d{4})\s*[-/–]\s*(\d{4}|\d{2})\s*")


def parse_school_year(value: str) -> int | None:
    """'2025-2026', '2025/26' -> 2025 (the starting year); None if malformed."""
    match = _SCHOOL_YEAR.fullmatch(value)
    if not match:
        return None
    start, end = int(match.group(1)), match.group(2)
    end_year = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
    return start if end_year == start + 1 else None


def current_school_year_start(as_of: date) -> int:
    """The school year running on `as_of` starts in September."""
    return as_of.year if as_of.month >= SCHOOL_YEAR_STARTS_MONTH else as_of.year - 1


def school_year(fields: Fields, applicant: Applicant, ctx: RuleContext, param: str) -> list[Check]:
    year_field = fields.get(FieldName.SCHOOL_YEAR)
    start = parse_school_year(year_field.value) if year_field else None
    if year_field is None or start is None:
        return [field_missing(FieldName.SCHOOL_YEAR)]
    current = current_school_year_start(ctx.as_of)
    params: dict[str, Any] = {
        "found": f"{start}-{start + 1}",
        "expected": f"{current}-{current + 1}",
    }
    if start == current:
        return [ok(CheckCode.WRONG_YEAR, [year_field], **params)]
    if ctx.as_of.month in SUMMER_MONTHS and start == current + 1:
        # in summer, people apply for the coming year: its certificate is the right one
        return [ok(CheckCode.WRONG_YEAR, [year_field], **params)]
    return [ko_or_doubt(CheckCode.WRONG_YEAR, [year_field], **params)]


# ---------------------------------------------------------------- names


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


def _maybe_usage_name(
    result: NameMatch, expected: PersonName, first: ExtractedField | None
) -> bool:
    """A surname mismatch that a marriage may explain is for a person to judge, not a refusal.

    Identity documents (their MRZ above all) carry the birth name; an applicant
    who gave only a usage name and no birth name cannot be told apart from
    someone else by the surname alone when the given name is the same.
    """
    if result.verdict is not NameVerdict.MISMATCH or expected.birth_name or first is None:
        return False
    given = set(normalise(first.value).split())
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


def _benefit_of_doubt(
    result: NameMatch,
    expected: PersonName,
    first: ExtractedField | None,
    texts: tuple[str, ...],
) -> NameMatch:
    """A mismatch a usage name or another person's field may explain becomes uncertain."""
    if _maybe_usage_name(result, expected, first):
        return NameMatch(
            verdict=NameVerdict.UNCERTAIN, score=result.score, reason=NameReason.MAYBE_USAGE_NAME
        )
    if _named_elsewhere(result, expected, texts):
        return NameMatch(
            verdict=NameVerdict.UNCERTAIN, score=result.score, reason=NameReason.OTHER_PERSON_NAMED
        )
    if _misread_tail(result, expected, first):
        return NameMatch(
            verdict=NameVerdict.UNCERTAIN, score=result.score, reason=NameReason.MISREAD_TAIL
        )
    return result


def _misread_tail(result: NameMatch, expected: PersonName, first: ExtractedField | None) -> bool:
    """A read given name made of the expected one and up to 3 stray characters: an MRZ's
    fillers read as letters ("MAELLEKX" for MAËLLE<<), not another person."""
    if result.verdict is not NameVerdict.MISMATCH or first is None or not read_by_ocr(first):
        return False
    read = normalise(first.value).split()
    wanted = normalise(expected.first_names).split()
    if not read or not wanted:
        return False
    return read[0].startswith(wanted[0]) and len(read[0]) - len(wanted[0]) <= 3


def _verdict_rank(result: NameMatch) -> int:
    return [NameVerdict.MATCH, NameVerdict.UNCERTAIN, NameVerdict.MISMATCH].index(result.verdict)


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
            result = min(result, whole, key=_verdict_rank)
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


# ---------------------------------------------------------------- numbers


def iban_valid(fields: Fields, applicant: Applicant, ctx: RuleContext, param: None) -> list[Check]:
    iban_field = fields.get(FieldName.IBAN)
    if iban_field is None:
        return [field_missing(FieldName.IBAN)]
    compact = stdnum_iban.compact(iban_field.value)
    if stdnum_iban.is_valid(compact):
        return [ok(CheckCode.IBAN_INVALID, [iban_field], iban=compact)]
    return [_checksum_failed(CheckCode.IBAN_INVALID, iban_field, iban=compact)]


def _checksum_failed(code: CheckCode, read: ExtractedField, **params: Any) -> Check:
    """A failed check key refuses only on printed text: on OCR'd text (or an MRZ) a
    failed key is first the sign of a misread character, however sure the OCR was."""
    if read_by_ocr(read):
        return doubt(code, [read], **params)
    return ko_or_doubt(code, [read], **params)


def siren_matches(
    fields: Fields, applicant: Applicant, ctx: RuleContext, param: None
) -> list[Check]:
    """The company on the document (SIREN, or a SIRET's first 9 digits) is the applicant company."""
    if not isinstance(applicant, CompanyApplicant):
        raise TypeError(
            "siren_matches needs a company applicant (the procedure loader enforces it)"
        )
    siret = fields.get(FieldName.SIRET)
    # A SIRET whose Luhn key fails is mistyped or altered, whatever its SIREN says.
    checks = [] if siret is None else [_siret_checksum(siret)]
    read = fields.get(FieldName.SIREN) or siret
    if read is None:
        return [field_missing(FieldName.SIREN)]
    digits = re.sub(r"\D", "", read.value)[:9]
    params: dict[str, Any] = {"found": digits, "expected": applicant.siren}
    if len(digits) == 9 and digits == applicant.siren:
        return [*checks, ok(CheckCode.SIREN_MISMATCH, [read], **params)]
    if not stdnum_siren.is_valid(digits):
        # A SIREN that fails its own Luhn key was misread (or mistyped): no proof of
        # another company.
        return [*checks, doubt(CheckCode.SIREN_MISMATCH, [read], **params)]
    return [*checks, ko_or_doubt(CheckCode.SIREN_MISMATCH, [read], **params)]


def _siret_checksum(siret: ExtractedField) -> Check:
    compact = stdnum_siret.compact(siret.value)
    if stdnum_siret.is_valid(compact):
        return ok(CheckCode.SIRET_INVALID, [siret], siret=compact)
    return _checksum_failed(CheckCode.SIRET_INVALID, siret, siret=compact)


# ---------------------------------------------------------------- photo


def one_face_plain_background(
    fields: Fields, applicant: Applicant, ctx: RuleContext, param: None
) -> list[Check]:
    """Exactly one face on a plain background, from the caller's measurement of the image."""
    photo = ctx.photo
    if photo is None:
        return [field_missing("photo")]
    params: dict[str, Any] = {
        "face_count": photo.face_count,
        "background_uniformity": format_percent_fr(photo.background_uniformity),
        "min_uniformity": format_percent_fr(PHOTO_MIN_BACKGROUND_UNIFORMITY),
    }
    if photo.face_count == 1 and photo.background_uniformity >= PHOTO_MIN_BACKGROUND_UNIFORMITY:
        return [ok(CheckCode.PHOTO_INVALID, **params)]
    if photo.face_count == 0 and photo.background_uniformity >= PHOTO_MIN_BACKGROUND_UNIFORMITY:
        # face detectors miss real faces (tilt, glasses, light): a human looks
        return [doubt(CheckCode.PHOTO_INVALID, **params)]
    return [make_check(CheckCode.PHOTO_INVALID, CheckStatus.KO, **params)]


# ---------------------------------------------------------------- registry

RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("not_expired", not_expired, None),
        Rule("max_age_days", max_age_days, TypeAdapter(Annotated[int, Field(gt=0, strict=True)])),
        Rule("income_year", income_year, TypeAdapter(Literal["previous", "current"])),
        Rule("school_year", school_year, TypeAdapter(Literal["current"])),
        Rule("name_matches_applicant", name_matches_applicant, None),
        Rule("holder_matches_applicant", holder_matches_applicant, None),
        Rule("iban_valid", iban_valid, None),
        Rule("siren_matches", siren_matches, None, frozenset({ApplicantKind.COMPANY})),
        Rule("one_face_plain_background", one_face_plain_background, None),
    )
}

# ---------------------------------------------------------------- pipeline check constructors


def mrz_invalid(fields: list[ExtractedField], detail: str) -> Check:
    """MRZ check digits do not add up; weak OCR of the MRZ makes it a doubt."""
    return ko_or_doubt(CheckCode.MRZ_INVALID, fields, detail=detail)


def twoddoc_invalid(detail: str) -> Check:
    """The 2D-Doc signature or format is wrong: a cryptographic fact, not a reading."""
    return make_check(CheckCode.TWODDOC_INVALID, CheckStatus.KO, detail=detail)


def twoddoc_mismatch(text_field: ExtractedField, twoddoc_value: str) -> Check:
    return ko_or_doubt(
        CheckCode.TWODDOC_MISMATCH,
        [text_field],
        field=str(text_field.name),
        found=text_field.value,
        expected=twoddoc_value,
    )


def legibility_low(page: int, detail: str) -> Check:
    check = doubt(CheckCode.LEGIBILITY_LOW, page=page, detail=detail)
    # The page as evidence: the fields read on it are weak evidence too (analysis).
    return check.model_copy(update={"evidence": [CheckEvidence(page=page)]})


def other_side_verified(why: str, companion: str, pages: list[int]) -> Check:
    """A card side, illegible or of uncertain type (`why`, French), whose holder the
    verified MRZ of its other side establishes."""
    check = ok(CheckCode.OTHER_SIDE_VERIFIED, why=why, companion=companion)
    return check.model_copy(update={"evidence": [CheckEvidence(page=page) for page in pages]})


def type_uncertain(doc_type: DocType | None, confidence: float, threshold: float) -> Check:
    """The classifier abstained: its best guess is below the procedure's threshold."""
    return doubt(
        CheckCode.TYPE_UNCERTAIN,
        doc_type_label=DOC_TYPE_LABELS_FR[doc_type] if doc_type else "inconnu",
        confidence=format_percent_fr(confidence),
        threshold=format_percent_fr(threshold),
    )


def type_mismatch(file: str, doc_type: DocType, procedure_code: str) -> Check:
    return make_check(
        CheckCode.TYPE_MISMATCH,
        CheckStatus.KO,
        file=file,
        doc_type_label=DOC_TYPE_LABELS_FR[doc_type],
        procedure=procedure_code,
    )


def missing_piece(label: str, accepted: list[DocType], count: int, min_files: int) -> Check:
    return make_check(
        CheckCode.MISSING_PIECE,
        CheckStatus.KO,
        label=label,
        accepted=", ".join(DOC_TYPE_LABELS_FR[t] for t in accepted),
        count=count,
        min_files=min_files,
    )


def duplicate_file(file: str, original: str) -> Check:
    return make_check(CheckCode.DUPLICATE_FILE, CheckStatus.KO, file=file, original=original)
