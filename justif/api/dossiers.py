"""`/api/v1/dossiers`: submit, poll, list, add pieces, read report versions."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from justif.api import submission as intake
from justif.api.context import ApiContext, backend, context, owned_submission
from justif.api.errors import ApiError
from justif.api.schemas import (
    Accepted,
    DossierOut,
    DossierPage,
    DossierSummary,
    ReportVersionOut,
)
from justif.api.uploads import receive_files
from pipeline.errors import ObjectNotFound
from pipeline.store import db, keys, submissions
from pipeline.store.dossiers import ManifestFile, load_manifest

router = APIRouter(prefix="/dossiers", tags=["dossiers"])
Ctx = Annotated[ApiContext, Depends(context)]
Backend = Annotated[db.ApiBackend, Depends(backend)]


def _status_url(request: Request, dossier_id: str) -> str:
    return str(request.url_for("get_dossier", dossier_id=dossier_id))


def _accepted(request: Request, sub: db.ApiSubmission, *, replayed: bool) -> JSONResponse:
    body = Accepted(
        id=sub.dossier_id,
        status=sub.state,
        status_url=_status_url(request, sub.dossier_id),
        version=sub.version,
    )
    headers = {"Location": body.status_url}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body.model_dump(mode="json"), status_code=202, headers=headers)


@router.post(
    "",
    status_code=202,
    response_model=Accepted,
    summary="Déposer un dossier",
    description="Stores the originals and the manifest, queues the check and answers at once.",
)
def submit_dossier(
    request: Request,
    ctx: Ctx,
    who: Backend,
    procedure: Annotated[str, Form(min_length=1, max_length=100, description="procedure code")],
    applicant: Annotated[
        str, Form(min_length=2, description="applicant identity, a JSON object (README)")
    ],
    files: Annotated[
        list[UploadFile], File(min_length=1, description="the pieces, one part per file")
    ],
    callback_url: Annotated[str | None, Form(max_length=2000)] = None,
    external_ref: Annotated[str | None, Form(max_length=200)] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    found = intake.check_procedure(procedure, ctx.settings.procedures_dir)
    applicant_data = intake.check_applicant(applicant, found)
    callback = intake.check_callback_url(callback_url)
    ref = intake.check_text(external_ref, field="external_ref", max_chars=200)
    key = intake.check_text(idempotency_key, field="Idempotency-Key", max_chars=200)
    with tempfile.TemporaryDirectory(prefix="justif-upload-") as folder:
        uploads = receive_files(
            files,
            Path(folder),
            max_files=ctx.api.max_files,
            max_file_bytes=ctx.settings.limits.max_bytes,
        )
        received = intake.receive_dossier(
            ctx.sessions,
            ctx.store,
            backend_id=who.id,
            procedure=found.code,
            applicant=applicant_data,
            uploads=uploads,
            external_ref=ref,
            callback_url=callback,
            idempotency_key=key,
        )
    return _accepted(request, received.submission, replayed=not received.created)


@router.get("", response_model=DossierPage, summary="Lister ses dossiers")
def list_dossiers(
    request: Request,
    ctx: Ctx,
    who: Backend,
    external_ref: Annotated[str | None, Query(max_length=200)] = None,
    status: db.SubmissionState | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> DossierPage:
    rows, total = submissions.list_submissions(
        ctx.sessions, who.id, external_ref=external_ref, state=status, limit=limit, offset=offset
    )
    decisions = _decisions(ctx, [row.dossier_id for row in rows])
    items = [
        DossierSummary(
            id=row.dossier_id,
            status=row.state,
            procedure=decisions[row.dossier_id][0],
            external_ref=row.external_ref,
            created_at=row.created_at,
            version=row.version,
            decision=decisions[row.dossier_id][1],
            status_url=_status_url(request, row.dossier_id),
        )
        for row in rows
    ]
    return DossierPage(items=items, total=total, limit=limit, offset=offset)


def _decisions(ctx: ApiContext, ids: list[str]) -> dict[str, tuple[str, str | None]]:
    with ctx.sessions() as session:
        rows = session.query(db.Dossier).filter(db.Dossier.id.in_(ids)).all() if ids else []
    return {row.id: (row.procedure, row.decision) for row in rows}


@router.get(
    "/{dossier_id}",
    response_model=DossierOut,
    summary="État et rapport d'un dossier",
)
def get_dossier(request: Request, ctx: Ctx, who: Backend, dossier_id: str) -> DossierOut:
    sub = owned_submission(ctx, who, dossier_id)
    versions = submissions.report_versions(ctx.sessions, dossier_id)
    report = _report(ctx, versions[-1].report_key) if versions else None
    with ctx.sessions() as session:
        dossier = session.get(db.Dossier, dossier_id)
    return DossierOut(
        id=sub.dossier_id,
        status=sub.state,
        procedure=dossier.procedure if dossier else "",
        external_ref=sub.external_ref,
        created_at=sub.created_at,
        updated_at=sub.updated_at,
        version=sub.version,
        report_version=versions[-1].version if versions else None,
        failure=sub.failure if sub.state == db.SubmissionState.FAILED else None,
        report=report,
        reports=[_version_out(request, dossier_id, v) for v in versions],
    )


@router.get(
    "/{dossier_id}/reports/{version}",
    summary="Un rapport précédent",
    response_model=dict[str, Any],
)
def get_report_version(ctx: Ctx, who: Backend, dossier_id: str, version: int) -> dict[str, Any]:
    owned_submission(ctx, who, dossier_id)
    for row in submissions.report_versions(ctx.sessions, dossier_id):
        if row.version == version:
            report = _report(ctx, row.report_key)
            if report is not None:
                return report
    raise ApiError(404, "REPORT_NOT_FOUND", "Aucun rapport pour cette version.", field="version")


@router.post(
    "/{dossier_id}/files",
    status_code=202,
    response_model=Accepted,
    summary="Ajouter des pièces",
    description="Pieces sent after an `incomplete` decision: the dossier is checked again and "
    "its report gets a new version; earlier versions stay readable.",
)
def add_files(
    request: Request,
    ctx: Ctx,
    who: Backend,
    dossier_id: str,
    files: Annotated[list[UploadFile], File(min_length=1, description="the added pieces")],
) -> JSONResponse:
    owned_submission(ctx, who, dossier_id)
    with tempfile.TemporaryDirectory(prefix="justif-upload-") as folder:
        uploads = receive_files(
            files,
            Path(folder),
            max_files=ctx.api.max_files,
            max_file_bytes=ctx.settings.limits.max_bytes,
        )
        version = submissions.reserve_new_version(ctx.sessions, dossier_id)
        if version is None:
            raise ApiError(
                409,
                "DOSSIER_BUSY",
                "Le dossier est en cours de vérification : ajoutez les pièces quand son état "
                "est done ou failed.",
            )
        manifest = load_manifest(ctx.store, dossier_id)
        for upload in uploads:
            key = keys.original_key(dossier_id, upload.sha256)
            if not ctx.store.exists(key):
                ctx.store.put_file(key, upload.path)
        added = [
            ManifestFile(name=u.name, sha256=u.sha256, size_bytes=u.size_bytes) for u in uploads
        ]
        manifest = manifest.model_copy(update={"files": [*manifest.files, *added]})
        ctx.store.put_json(keys.manifest_key(dossier_id), manifest.model_dump(mode="json"))
    with ctx.sessions.begin() as session:
        session.add(
            db.AuditEvent(
                actor=f"backend:{who.id}",
                action="dossier.pieces_added",
                dossier_id=dossier_id,
                detail={"pieces": len(uploads), "version": version},
            )
        )
    submissions.release(ctx.sessions, dossier_id)
    sub = submissions.get_submission(ctx.sessions, dossier_id)
    assert sub is not None
    return _accepted(request, sub, replayed=False)


def _report(ctx: ApiContext, key: str) -> dict[str, Any] | None:
    try:
        report: dict[str, Any] = ctx.store.get_json(key)
    except ObjectNotFound:
        return None
    return report


def _version_out(request: Request, dossier_id: str, row: db.ReportVersion) -> ReportVersionOut:
    url = request.url_for("get_report_version", dossier_id=dossier_id, version=row.version)
    return ReportVersionOut(
        version=row.version, decision=row.decision, created_at=row.created_at, url=str(url)
    )
