"""What a piece rule is, what it may know, and the helpers every rule uses.

A rule is a small function `(fields, applicant, context, param) -> list[Check]`
registered in `pipeline.rules.piece_rules.RULES` under the name procedure YAML
files use. Rules never refuse on weak evidence: their failures go through
`checks.ko_or_doubt`, and a field they need but cannot find is a `doubt`, never a `ko`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, TypeAdapter

from pipeline.fields import DocType, ExtractedField, FieldName
from pipeline.rules.applicants import Applicant, ApplicantKind
from pipeline.rules.checks import Check, doubt
from pipeline.rules.messages import CheckCode

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
