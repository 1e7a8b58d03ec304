"""What an MRZ says (`MrzReading`), whether its check digits agree, and the fields it gives."""

from __future__ import annotations

from pydantic import BaseModel, Field

from pipeline.codes.mrz.formats import MrzFormat
from pipeline.fields import Evidence, ExtractedField, FieldName
from pipeline.types import Box, TextSource

# Evidence confidence of values from a look-alike-corrected MRZ (under the 0.8
# that makes a failed rule a refusal rather than a doubt).
CORRECTED_CONFIDENCE = 0.75


class MrzReading(BaseModel):
    """What an MRZ says, and whether its check digits agree."""

    format: MrzFormat
    lines: list[str]
    document_code: str
    issuing_country: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: str | None  # ISO; None if the digits are not a date
    sex: str  # M, F or X (unspecified)
    expiry_date: str | None  # ISO
    expiry_estimated: bool = False  # old French card: derived from the issue month, see docs
    issue_date: str | None = None  # ISO, first day of the month (old French card only)
    optional_data: str = ""
    checks: dict[str, bool] = Field(default_factory=dict)
    # Checked fields whose look-alike characters were corrected (in the values; `lines`
    # stay as read, after the character-class repair) so that their own
    # check digit and the composite one pass (see `field_corrections`).
    corrections: int = 0

    @property
    def dates_valid(self) -> bool:
        return self.birth_date is not None and self.expiry_date is not None

    @property
    def valid(self) -> bool:
        """Every check digit passes and the dates are real dates."""
        return all(self.checks.values()) and self.dates_valid

    @property
    def failed_checks(self) -> list[str]:
        return [name for name, passed in self.checks.items() if not passed]

    def to_fields(self, *, page: int | None = None, box: Box | None = None) -> list[ExtractedField]:
        """Fields with MRZ evidence; confidence 1.0 only when every check digit passes on
        the characters as read. Look-alike corrections (`corrections`) pass the checks
        but may, about once in a hundred, pass them by chance: their values stay
        below the strong-evidence line until the printed text confirms them."""
        confidence = (CORRECTED_CONFIDENCE if self.corrections else 1.0) if self.valid else 0.5
        raw = "\n".join(self.lines)
        values: list[tuple[FieldName, str | None]] = [
            (FieldName.MRZ, raw),
            (FieldName.LAST_NAME, self.surname),
            (FieldName.FIRST_NAMES, self.given_names),
            (FieldName.DOCUMENT_NUMBER, self.document_number),
            (FieldName.NATIONALITY, self.nationality),
            (FieldName.BIRTH_DATE, self.birth_date),
            (FieldName.SEX, self.sex),
            (FieldName.EXPIRY_DATE, self.expiry_date),
            (FieldName.ISSUE_DATE, self.issue_date),
            (FieldName.ISSUER, self.issuing_country),
        ]
        evidence = Evidence(page=page, box=box, source=TextSource.MRZ, confidence=confidence)
        return [
            ExtractedField(name=name, value=value, evidence=evidence.model_copy())
            for name, value in values
            if value
        ]
