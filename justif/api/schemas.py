"""Response bodies of the API (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from justif.api.errors import ErrorBody
from pipeline.store.db import SubmissionState


class Accepted(BaseModel):
    id: str
    status: SubmissionState
    status_url: str
    version: int = 1


class ReportVersionOut(BaseModel):
    version: int
    decision: str | None
    created_at: datetime
    url: str


class DossierOut(BaseModel):
    id: str
    status: SubmissionState
    procedure: str
    external_ref: str | None
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="1 at submission, +1 for each batch of added pieces")
    report_version: int | None = Field(description="version of `report`, null before the first")
    failure: ErrorBody | None = None
    report: dict[str, Any] | None = Field(
        default=None, description="the latest report: the `justif check --json` contract"
    )
    reports: list[ReportVersionOut] = Field(default_factory=list)


class DossierSummary(BaseModel):
    id: str
    status: SubmissionState
    procedure: str
    external_ref: str | None
    created_at: datetime
    version: int
    decision: str | None
    status_url: str


class DossierPage(BaseModel):
    items: list[DossierSummary]
    total: int
    limit: int
    offset: int


class RequirementOut(BaseModel):
    id: str
    label: str
    accept: list[str]
    accept_labels: list[str]
    optional: bool
    min_files: int
    max_files: int | None


class ProcedureOut(BaseModel):
    code: str
    title: str
    applicant: str
    requirements: list[RequirementOut]


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    store: bool
    database: bool
    model: bool
