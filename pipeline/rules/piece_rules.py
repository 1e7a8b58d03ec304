"""Piece rules named in procedure files: the registry `RULES`, by the name YAML files use.

Each rule lives with its kind (`date_rules`, `name_rules`, `number_rules`,
`photo_rules`); what a rule is and may know is `pipeline.rules.context`. The
checks other stages build (MRZ, 2D-Doc, legibility, type, missing piece...)
are constructed in `pipeline.rules.checks`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from pipeline.rules.applicants import ApplicantKind
from pipeline.rules.context import Rule
from pipeline.rules.date_rules import income_year, max_age_days, not_expired, school_year
from pipeline.rules.name_rules import holder_matches_applicant, name_matches_applicant
from pipeline.rules.number_rules import iban_valid, siren_matches
from pipeline.rules.photo_rules import one_face_plain_background

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
