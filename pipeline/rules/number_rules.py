"""Number rules: IBAN and SIREN/SIRET check keys, and the SIREN is the applicant company's."""

from __future__ import annotations

import re
from typing import Any

from stdnum import iban as stdnum_iban
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from pipeline.fields import ExtractedField, FieldName
from pipeline.rules.applicants import Applicant, CompanyApplicant
from pipeline.rules.checks import Check, doubt, ko_or_doubt, ok, read_by_ocr
from pipeline.rules.context import Fields, RuleContext, field_missing
from pipeline.rules.messages import CheckCode


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
