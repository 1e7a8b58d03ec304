"""Who applies: a person or a company, as sent by the procedure backend (JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from stdnum.fr import siret as stdnum_siret

from pipeline.errors import InvalidApplicant


class ApplicantKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Address(_Strict):
    line: str = Field(min_length=1)
    postcode: str = Field(pattern=r"^\d{5}$")
    city: str = Field(min_length=1)


class PersonApplicant(_Strict):
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    birth_name: str | None = None  # nom de naissance, when the usage name differs
    birth_date: date
    address: Address

    @property
    def kind(self) -> ApplicantKind:
        return ApplicantKind.PERSON


class Representative(_Strict):
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    birth_name: str | None = None


class CompanyApplicant(_Strict):
    company_name: str = Field(min_length=1)
    siret: str
    representative: Representative

    @field_validator("siret")
    @classmethod
    def _valid_siret(cls, value: str) -> str:
        compact = stdnum_siret.compact(value)
        if not stdnum_siret.is_valid(compact):
            raise ValueError("invalid SIRET (14 digits with a Luhn checksum)")
        return compact

    @property
    def siren(self) -> str:
        return self.siret[:9]

    @property
    def kind(self) -> ApplicantKind:
        return ApplicantKind.COMPANY


Applicant = PersonApplicant | CompanyApplicant


def parse_applicant(kind: ApplicantKind, data: Mapping[str, Any]) -> Applicant:
    """Validate the backend's applicant JSON for a procedure's applicant kind."""
    model: type[PersonApplicant] | type[CompanyApplicant] = (
        PersonApplicant if kind is ApplicantKind.PERSON else CompanyApplicant
    )
    try:
        return model.model_validate(dict(data))
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(racine)'} : {err['msg']}"
            for err in e.errors()
        )
        raise InvalidApplicant(
            f"Identité du demandeur invalide ({kind.value}) : {problems}",
            detail=f"{len(e.errors())} validation error(s) in the {kind.value} applicant",
        ) from e
