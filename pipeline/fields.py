"""The contract between field extraction, the document generator's ground truth and the rules.

Every extracted value carries its evidence, so a case officer can see where it
was read and the rules can tell strong evidence from a guess.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from pipeline.types import Box, TextSource


class DocType(StrEnum):
    IDENTITY_CARD = "identity_card"
    PASSPORT = "passport"
    RESIDENCE_PERMIT = "residence_permit"
    PROOF_OF_ADDRESS = "proof_of_address"
    TAX_NOTICE = "tax_notice"
    BANK_DETAILS = "bank_details"
    SCHOOL_CERTIFICATE = "school_certificate"
    COMPANY_EXTRACT = "company_extract"
    URSSAF_CERTIFICATE = "urssaf_certificate"
    PAYSLIP = "payslip"
    ID_PHOTO = "id_photo"
    RESUME = "resume"
    OTHER = "other"


# Identity documents: they name their holder (surname, given names) and carry an MRZ.
IDENTITY_DOC_TYPES = frozenset({DocType.IDENTITY_CARD, DocType.PASSPORT, DocType.RESIDENCE_PERMIT})
# Identity cards with two sides, one of which carries the MRZ (TD1), often uploaded as
# two files; a passport's data page has no other side.
TWO_SIDED_DOC_TYPES = frozenset({DocType.IDENTITY_CARD, DocType.RESIDENCE_PERMIT})


DOC_TYPE_LABELS_FR: dict[DocType, str] = {
    DocType.IDENTITY_CARD: "Carte nationale d'identité",
    DocType.PASSPORT: "Passeport",
    DocType.RESIDENCE_PERMIT: "Titre de séjour",
    DocType.PROOF_OF_ADDRESS: "Justificatif de domicile",
    DocType.TAX_NOTICE: "Avis d'impôt sur le revenu",
    DocType.BANK_DETAILS: "Relevé d'identité bancaire (RIB)",
    DocType.SCHOOL_CERTIFICATE: "Certificat de scolarité",
    DocType.COMPANY_EXTRACT: "Extrait Kbis",
    DocType.URSSAF_CERTIFICATE: "Attestation de vigilance URSSAF",
    DocType.PAYSLIP: "Bulletin de salaire",
    DocType.ID_PHOTO: "Photo d'identité",
    DocType.RESUME: "CV",
    DocType.OTHER: "Autre document",
}


class FieldName(StrEnum):
    """Canonical field names. Dates are ISO `YYYY-MM-DD` strings, amounts are euros as strings."""

    # people
    HOLDER_NAME = (
        "holder_name"  # full name as printed ("M. Jean DUPONT", "DUPONT épouse MARTIN Anne")
    )
    LAST_NAME = "last_name"
    FIRST_NAMES = "first_names"
    BIRTH_NAME = "birth_name"  # nom de naissance when a usage/married name is also printed
    BIRTH_DATE = "birth_date"
    BIRTH_PLACE = "birth_place"
    SEX = "sex"
    NATIONALITY = "nationality"
    # identity documents
    DOCUMENT_NUMBER = "document_number"
    ISSUE_DATE = "issue_date"
    EXPIRY_DATE = "expiry_date"
    ISSUER = "issuer"
    MRZ = "mrz"  # the MRZ lines joined by "\n"
    # address and dated documents
    ADDRESS_LINE = "address_line"
    POSTCODE = "postcode"
    CITY = "city"
    DOCUMENT_DATE = "document_date"  # date of issue of a bill, receipt, certificate, extract
    # tax notice
    TAX_YEAR = "tax_year"  # year of the income ("Revenus 2024" -> "2024")
    FISCAL_NUMBER = "fiscal_number"  # numéro fiscal (13 digits)
    TAX_REFERENCE = "tax_reference"  # référence de l'avis
    REFERENCE_INCOME = "reference_income"  # revenu fiscal de référence
    # bank details
    IBAN = "iban"  # compact, upper case, no spaces
    BIC = "bic"
    ACCOUNT_HOLDER = "account_holder"
    BANK_NAME = "bank_name"
    # companies
    COMPANY_NAME = "company_name"
    SIREN = "siren"
    SIRET = "siret"
    LEGAL_REPRESENTATIVE = "legal_representative"
    # school
    SCHOOL_NAME = "school_name"
    SCHOOL_YEAR = "school_year"  # "2025-2026"
    # payslip
    EMPLOYER = "employer"
    PAY_PERIOD = "pay_period"  # "YYYY-MM"
    NET_PAY = "net_pay"


class Evidence(BaseModel):
    page: int | None = None  # 1-based
    box: Box | None = None
    source: TextSource
    confidence: float = Field(ge=0.0, le=1.0)
    raw: str | None = None  # the text as read, before normalisation


class ExtractedField(BaseModel):
    name: FieldName
    value: str
    evidence: Evidence
    # Other values of the same kind read on the page (ISO dates for a date field), for
    # rules that must not refuse on an OCR'd value when another reading would pass.
    # Not part of the report.
    alternatives: list[str] = Field(default_factory=list, exclude=True)

    def at_most(self, confidence: float) -> ExtractedField:
        """The same field, no surer than `confidence` (what it was read from is in doubt)."""
        if self.evidence.confidence <= confidence:
            return self
        evidence = self.evidence.model_copy(update={"confidence": confidence})
        return self.model_copy(update={"evidence": evidence})
