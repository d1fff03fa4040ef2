"""Project endpoints: the shared tracker as partners use it over HTTP.

Every read goes through the sharing rules (a record the caller may not see is a 404
with the same body as a missing one; sections the caller may not see are null).
Writes need an editor token of the owning organisation and, for PATCH, DELETE and
restore, ``If-Match`` with the ETag last read: missing 428, stale 412 (checked after
the caller's right to write: 404 or 403 first, as for any request).

The owning organisation's ETag carries the version (``"p12-v3"``); anyone else's is
derived from the body they see, so it changes only when something they may see does.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from critmin.api.cache import Rendered, etag_of, view_key, visibility_key
from critmin.api.deps import AsciiId, CallerDep, EditorDep, SessionDep
from critmin.api.reads import cached, dumps, read
from critmin.domain.enums import ProjectStatus, Stage
from critmin.domain.vocab import project_filters
from critmin.services import tracker
from critmin.services.auth import Caller
from critmin.store.tables import Project

router = APIRouter(prefix="/projects", tags=["projects"])

ProjectId = Annotated[AsciiId, Path(description="Project id.")]
NO_NUL = r"^[^\x00]*$"
Mineral = Annotated[
    str | None,
    Query(max_length=40, pattern=NO_NUL, description="Mineral code or name, e.g. gallium."),
]
Country = Annotated[
    str | None,
    Query(max_length=80, pattern=NO_NUL,
          description="ISO 3166 alpha-3 code or country name, e.g. CAN or Canada."),
]  # fmt: skip
Search = Annotated[
    str | None,
    Query(max_length=200, pattern=NO_NUL, description="Text in the name, key or operator."),
]
IfMatch = Annotated[str | None, Header(description="The ETag from the last read.")]
ProjectBody = Annotated[
    dict[str, Any],
    Body(
        description="Exchange-format fields (see `critmin schema project`) plus `sharing` "
        "and `section_sharing` ({financing|offtakers|milestones: public|partners|owner}).",
        examples=[{"name": "New name", "financing": {"committed_usd": 12_000_000}}],
    ),
]
READ_ONLY = ("id", "version", "owner_org_id", "deleted", "editable")
PRIVATE = {"Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}
IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


def _json(data: Any, *, status: int = 200, tag: str | None = None, **headers: str) -> Response:
    extra = {**PRIVATE, **headers}
    if tag is not None:
        extra["ETag"] = tag
    return JSONResponse(data, status_code=status, headers=extra)


def _project(row: Project, caller: Caller, *, status: int = 200, **headers: str) -> Response:
    """A project as ``caller`` may see it, with the ETag for that caller."""
    data = tracker.to_public(row, caller)
    return _json(data, status=status, tag=tracker.etag(row, caller, data), **headers)


def _matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an If-None-Match header names ``tag`` (a list, weak or strong, or ``*``)."""
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or tag.removeprefix("W/") in (t.removeprefix("W/") for t in tags)


def _invalid(field: str, problem: str) -> RequestValidationError:
    return RequestValidationError([{"loc": tuple(field.split(".")), "msg": problem}])


def _version(if_match: str | None, project_id: int) -> int:
    """The version named by If-Match: 428 when missing, 412 when not a current ETag of ours."""
    if not if_match or if_match.strip() == "*":
        raise tracker.PreconditionRequired(
            "send If-Match with the ETag from your last read of this project"
        )
    version = tracker.parse_etag(if_match, project_id)
    if version is None:
        raise tracker.PreconditionFailed(f"If-Match {if_match!r} is not this project's ETag")
    return version


@router.get("", summary="List projects the caller may see")
async def list_projects(
    request: Request,
    mineral: Mineral = None,
    stage: Stage | None = None,
    status: ProjectStatus | None = None,
    country: Country = None,
    q: Search = None,
    sort: Annotated[str, Query(max_length=40, description="Field, '-' for descending.")] = "name",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    deleted: Annotated[bool, Query(description="Only your organisation's deleted ones.")] = False,
) -> Response:
    """``{"data": [...], "count": N}``: ``count`` is the total matching, before paging."""
    try:
        tracker.check_sort(sort)
    except ValueError as exc:
        raise _invalid("query.sort", str(exc)) from None
    mineral, country = project_filters(mineral=mineral, country=country)  # 422 if unknown
    filters = {
        "mineral": mineral,
        "stage": stage.value if stage else None,
        "status": status.value if status else None,
        "country": country,
        "q": q,
        "sort": sort,
        "limit": limit,
        "offset": offset,
        "deleted": deleted,
    }

    def work(session: Session, caller: Caller) -> Rendered:
        def render() -> tuple[bytes, str]:
            page = tracker.list_page(session=session, caller=caller, raw_sources=True, **filters)
            body = dumps({"data": page.rows, "count": page.total, "limit": limit, "offset": offset})
            return body, etag_of(body)

        key = ("projects", visibility_key(caller), tuple(sorted(filters.items())))
        return cached(request, session, key, render)

    rendered = await read(request, work)
    headers = {**PRIVATE, "ETag": rendered.etag}
    if _matches(request.headers.get("if-none-match"), rendered.etag):
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type="application/json", headers=headers)


EXPORT_TYPES = {
    200: {
        "description": "The exchange format: JSON, or CSV with `format=csv`.",
        "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/export", summary="Export visible projects in the exchange format", responses=EXPORT_TYPES
)
def export_projects(
    session: SessionDep,
    caller: CallerDep,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
    mineral: Mineral = None,
    stage: Stage | None = None,
    status: ProjectStatus | None = None,
    country: Country = None,
    q: Search = None,
) -> Response:
    """Only what the caller may see; hidden sections are left out (empty in CSV)."""
    mineral, country = project_filters(mineral=mineral, country=country)  # 422 if unknown
    text = tracker.export_text(
        session=session,
        caller=caller,
        fmt=format,
        mineral=mineral,
        stage=stage.value if stage else None,
        status=status.value if status else None,
        country=country,
        q=q,
    )
    media = "text/csv; charset=utf-8" if format == "csv" else "application/json"
    disposition = f'attachment; filename="projects.{format}"'
    return Response(text, media_type=media, headers={**PRIVATE, "Content-Disposition": disposition})


def _run_import(
    session: Session, caller: Caller, raw: bytes, fmt: str, file: str, dry_run: bool
) -> dict[str, Any]:
    report = tracker.import_stream(
        session=session, caller=caller, stream=io.BytesIO(raw), fmt=fmt, file=file,
        dry_run=dry_run,
    )  # fmt: skip
    session.commit()
    keys = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
    return {**report.as_dict(), "keys": keys}


def _format(explicit: str | None, content_type: str, filename: str = "") -> str:
    if explicit:
        return explicit
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix in ("csv", "json", "yaml", "yml"):
        return "yaml" if suffix == "yml" else suffix
    if "csv" in content_type:
        return "csv"
    return "yaml" if "yaml" in content_type else "json"


@router.post(
    "/import", summary="Import projects (atomic; upsert on key)", openapi_extra=IMPORT_BODY
)
async def import_projects(
    request: Request,
    session: SessionDep,
    caller: EditorDep,
    dry_run: bool = False,
    format: Annotated[str | None, Query(pattern="^(json|csv|yaml)$")] = None,
) -> Response:
    """JSON, CSV or YAML body, or a multipart ``file``; all or nothing.

    Keys are your organisation's own: new keys become its projects, keys it already uses
    are updated (another organisation's project with the same key is a different record,
    never touched). For your existing records, fields the file does not state keep their
    values and sharing is never widened (``kept_sharing`` lists records that kept a
    narrower level); a new record whose file states no level is owner-only. Problems
    come back as 422 with ``problems``: ``[{file, row, column, value, expected}]``; a
    record changed by someone else during the import is a 409 (nothing imported).
    """
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        limit = request.app.state.settings.max_body_bytes
        form = await request.form(max_files=1, max_fields=10, max_part_size=limit)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise _invalid("body.file", "a file field named 'file' is required")
        name = upload.filename or "upload"
        raw = await upload.read()
        fmt = _format(format, upload.content_type or "", name)
    else:
        raw = await request.body()
        fmt = _format(format, content_type)
        name = f"request.{fmt}"
    report = await run_in_threadpool(_run_import, session, caller, raw, fmt, name, dry_run)
    return _json(report)


@router.post("", status_code=201, summary="Create a project owned by your organisation")
def create_project(session: SessionDep, caller: EditorDep, body: ProjectBody) -> Response:
    """201 with the project, ``Location`` and ``ETag``; 409 if the key is taken."""
    row = tracker.create(session=session, caller=caller, data=dict(body))
    response = _project(row, caller, status=201, Location=f"/api/v1/projects/{row.id}")
    session.commit()
    return response


@router.get("/{project_id}", summary="One project in full (ETag header)")
async def get_project(
    request: Request,
    project_id: ProjectId,
    if_none_match: Annotated[str | None, Header()] = None,
    deleted: Annotated[bool, Query(description="Also your own deleted project.")] = False,
    curation_notes: Annotated[
        bool, Query(description="Add `curation_note`: how curators compiled the record.")
    ] = False,
) -> Response:
    """The exchange fields plus id, sharing, section_sharing, version; hidden sections null."""

    def work(session: Session, caller: Caller) -> Rendered:
        def render() -> tuple[bytes, str]:
            row = tracker.get_visible(
                session=session, caller=caller, id=project_id, include_deleted=deleted
            )
            data = tracker.to_public(row, caller, curation_notes=curation_notes)
            return dumps(data), tracker.etag(row, caller, data)

        key = ("project", view_key(caller), project_id, deleted, curation_notes)
        return cached(request, session, key, render)

    rendered = await read(request, work)
    headers = {**PRIVATE, "ETag": rendered.etag}
    if _matches(if_none_match, rendered.etag):
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type="application/json", headers=headers)


@router.patch("/{project_id}", summary="Change some fields (If-Match required)")
def patch_project(
    session: SessionDep,
    caller: EditorDep,
    project_id: ProjectId,
    body: ProjectBody,
    if_match: IfMatch = None,
) -> Response:
    """Merge the given fields (``financing`` merges key by key); 412 if someone else
    changed the project since your ETag, 428 without If-Match, 422 naming bad fields."""
    row = tracker.writable(session=session, caller=caller, id=project_id)
    version = _version(if_match, project_id)
    current = tracker.to_public(row, caller)
    changes = dict(body)
    wrong = [
        {"field": k, "problem": "read-only"}
        for k in READ_ONLY
        if k in changes and changes.pop(k) != current[k]
    ]
    if wrong:
        raise tracker.InvalidRecord(wrong)
    row = tracker.patch(
        session=session, caller=caller, id=project_id, changes=changes, if_match=version
    )
    response = _project(row, caller)
    session.commit()
    return response


@router.delete("/{project_id}", summary="Soft-delete a project (If-Match required)")
def delete_project(
    session: SessionDep, caller: EditorDep, project_id: ProjectId, if_match: IfMatch = None
) -> Response:
    """200 with the deleted project and its new ETag (to restore it)."""
    tracker.writable(session=session, caller=caller, id=project_id)
    version = _version(if_match, project_id)
    row = tracker.delete(session=session, caller=caller, id=project_id, if_match=version)
    response = _project(row, caller)
    session.commit()
    return response


@router.post("/{project_id}/restore", summary="Restore your deleted project (If-Match required)")
def restore_project(
    session: SessionDep, caller: EditorDep, project_id: ProjectId, if_match: IfMatch = None
) -> Response:
    tracker.writable(session=session, caller=caller, id=project_id, include_deleted=True)
    version = _version(if_match, project_id)
    row = tracker.delete(
        session=session, caller=caller, id=project_id, if_match=version, restore=True
    )
    response = _project(row, caller)
    session.commit()
    return response


@router.get("/{project_id}/history", summary="The change log of a project")
def project_history(session: SessionDep, caller: CallerDep, project_id: ProjectId) -> Response:
    """Who changed what and when, old -> new; values of hidden sections are left out."""
    entries = tracker.history(session=session, caller=caller, id=project_id)
    return _json({"data": entries, "count": len(entries)})
