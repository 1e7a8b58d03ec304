"""Field extraction per document type, each field with its evidence.

`extract_fields(reading, doc_type, as_of=..., trust=...)` is the one entry point.
Printed values are read first (per document family), then the MRZ overrides
them when its check digits pass, then a 2D-Doc with a valid signature overrides
them with its signed values. Findings the rules need (the MRZ and its failed
checks, every 2D-Doc with its signature status and cross-check mismatches) are
returned beside the fields.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from pipeline.codes.mrz.reading import MrzReading
from pipeline.codes.twoddoc.trust import TrustList
from pipeline.extract.authenticity import (
    TwoDDocFinding,
    apply_mrz,
    apply_twoddocs,
    corrections_confirmed,
    read_mrz,
)
from pipeline.extract.bank import extract_bank_details
from pipeline.extract.company import extract_company
from pipeline.extract.household import extract_proof_of_address, extract_tax_notice
from pipeline.extract.identity import extract_identity, issue_date_by_elimination
from pipeline.extract.payslip import extract_payslip
from pipeline.extract.school import extract_school_certificate
from pipeline.extract.text import DocText
from pipeline.fields import IDENTITY_DOC_TYPES, DocType, ExtractedField, FieldName
from pipeline.types import PieceReading

EXTRACTORS: dict[DocType, Callable[[DocText], list[ExtractedField]]] = {
    DocType.IDENTITY_CARD: extract_identity,
    DocType.PASSPORT: extract_identity,
    DocType.RESIDENCE_PERMIT: extract_identity,
    DocType.PROOF_OF_ADDRESS: extract_proof_of_address,
    DocType.TAX_NOTICE: extract_tax_notice,
    DocType.BANK_DETAILS: extract_bank_details,
    DocType.SCHOOL_CERTIFICATE: extract_school_certificate,
    DocType.COMPANY_EXTRACT: extract_company,
    DocType.URSSAF_CERTIFICATE: extract_company,
    DocType.PAYSLIP: extract_payslip,
}


class ExtractedFields(BaseModel):
    """Fields of one piece (first value found per name wins) and what the rules check besides."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    fields: dict[FieldName, ExtractedField] = Field(default_factory=dict)
    invalid: list[FieldName] = Field(default_factory=list)  # read, but their checksum fails
    mrz: MrzReading | None = None
    mrz_page: int | None = None
    # The MRZ needed look-alike corrections, and the printed text shows every corrected value.
    mrz_corrections_confirmed: bool = False
    twoddocs: list[TwoDDocFinding] = Field(default_factory=list)

    def as_list(self) -> list[ExtractedField]:
        return list(self.fields.values())


def extract_fields(
    reading: PieceReading, doc_type: DocType, *, as_of: date, trust: TrustList | None
) -> ExtractedFields:
    """Every field the document type carries that could be read, with its evidence."""
    result = ExtractedFields()
    if reading.error is not None or not reading.pages:
        return result
    doc = DocText(reading.pages)
    extractor = EXTRACTORS.get(doc_type)
    for found in extractor(doc) if extractor else []:
        result.fields.setdefault(found.name, found)
    if doc_type in IDENTITY_DOC_TYPES:
        mrz = read_mrz(reading, as_of=as_of)
        if mrz is not None:
            result.mrz, page = mrz
            result.mrz_page = page.n
            result.mrz_corrections_confirmed = corrections_confirmed(
                result.fields, result.mrz, as_of=as_of
            )
            apply_mrz(result.fields, result.mrz, page)
        issue = issue_date_by_elimination(doc, result.fields, as_of)
        if issue is not None:
            result.fields[FieldName.ISSUE_DATE] = issue
    result.twoddocs = apply_twoddocs(result.fields, reading, trust)
    result.invalid = invalid_identifiers(result.fields)
    return result


def invalid_identifiers(fields: dict[FieldName, ExtractedField]) -> list[FieldName]:
    from pipeline.extract.identifiers import is_valid_identifier

    return [
        name for name, found in fields.items() if is_valid_identifier(name, found.value) is False
    ]


__all__ = ["ExtractedFields", "TwoDDocFinding", "extract_fields"]
