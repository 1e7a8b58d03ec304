"""`/api/v1/procedures`: what each procedure requires, for backends building their forms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from justif.api.context import ApiContext, backend, context
from justif.api.schemas import ProcedureOut, RequirementOut
from pipeline.fields import DOC_TYPE_LABELS_FR
from pipeline.rules.procedures import load_procedures
from pipeline.store import db

router = APIRouter(prefix="/procedures", tags=["procedures"])


@router.get("", response_model=list[ProcedureOut], summary="Lister les procédures")
def list_procedures(
    ctx: Annotated[ApiContext, Depends(context)],
    _who: Annotated[db.ApiBackend, Depends(backend)],
) -> list[ProcedureOut]:
    procedures = load_procedures(ctx.settings.procedures_dir)
    return [
        ProcedureOut(
            code=code,
            title=procedure.title,
            applicant=procedure.applicant.value,
            requirements=[
                RequirementOut(
                    id=req.id,
                    label=req.label,
                    accept=[t.value for t in req.accept],
                    accept_labels=[DOC_TYPE_LABELS_FR[t] for t in req.accept],
                    optional=req.optional,
                    min_files=req.min_files,
                    max_files=req.max_files,
                )
                for req in procedure.requirements
            ],
        )
        for code, procedure in sorted(procedures.items())
    ]
