"""Date rules: validity of identity documents, age of a document, income year, school year."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from pipeline.codes.validity import (
    ADULT_AGE,
    CNI_EXTENSION_ISSUED,
    CNI_EXTENSION_YEARS,
    PRINTED_CNI_YEARS,
    age_on,
)
from pipeline.fields import DocType, ExtractedField, FieldName
from pipeline.rules.applicants import Applicant
from pipeline.rules.checks import Check, CheckStatus, doubt, ko_or_doubt, ok, read_by_ocr
from pipeline.rules.context import (
    Fields,
    RuleContext,
    date_missing,
    field_missing,
    fr_date,
    parse_iso_date,
)
from pipeline.rules.messages import OTHER_DATE_FR, CheckCode

# During the summer holidays a certificate for the coming school year may not exist yet.
SUMMER_MONTHS = frozenset({7, 8})
SCHOOL_YEAR_STARTS_MONTH = 9
# Tax notices for year N-1 arrive from late July; before September the N-2 one may be the latest.
TAX_NOTICE_MONTH = 9
FUTURE_DATE_TOLERANCE = timedelta(days=1)


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
        issued_guess = expiry.replace(year=expiry.year - PRINTED_CNI_YEARS)
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
    return CheckStatus.OK if age_on(birth, issue) >= ADULT_AGE else CheckStatus.KO


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
