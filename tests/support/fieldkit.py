"""Build extracted fields and applicants directly, as the extractor will (it comes later)."""

from __future__ import annotations

from datetime import date

from pipeline.fields import Evidence, ExtractedField, FieldName
from pipeline.rules.applicants import Address, CompanyApplicant, PersonApplicant, Representative
from pipeline.types import Box, TextSource

STRONG = 0.97
WEAK = 0.55


def field(
    name: FieldName,
    value: str,
    *,
    confidence: float = 1.0,
    source: TextSource = TextSource.TEXT_LAYER,
) -> ExtractedField:
    return ExtractedField(
        name=name,
        value=value,
        evidence=Evidence(
            page=1,
            box=Box(x0=0.1, y0=0.2, x1=0.5, y1=0.25),
            source=source,
            confidence=confidence,
            raw=value,
        ),
    )


def ocr(name: FieldName, value: str, confidence: float = STRONG) -> ExtractedField:
    return field(name, value, confidence=confidence, source=TextSource.OCR)


def fields(*items: ExtractedField) -> dict[FieldName, ExtractedField]:
    return {f.name: f for f in items}


def person(**overrides: object) -> PersonApplicant:
    data: dict[str, object] = {
        "first_name": "Anne",
        "last_name": "Martin",
        "birth_name": "Dupont",
        "birth_date": date(2001, 5, 14),
        "address": Address(line="12 rue des Lilas", postcode="69003", city="Lyon"),
    }
    data.update(overrides)
    return PersonApplicant.model_validate(data)


# A SIRET with a valid Luhn checksum (SIREN 732829320).
SIRET = "73282932000074"


def company(**overrides: object) -> CompanyApplicant:
    data: dict[str, object] = {
        "company_name": "Boulangerie Martin SARL",
        "siret": SIRET,
        "representative": Representative(first_name="Luc", last_name="Moreau"),
    }
    data.update(overrides)
    return CompanyApplicant.model_validate(data)
