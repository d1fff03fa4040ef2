"""The project edit form for editors of the owning organisation.

A submission becomes a PATCH through :func:`critmin.services.tracker.patch`, with the
version the form was rendered from (optimistic concurrency: a stale version is a
friendly 412 "changed by someone else").
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from critmin.api.deps import AsciiId, CallerDep, SessionDep, get_caller, get_session
from critmin.i18n import _
from critmin.services import access, tracker
from critmin.services.auth import Caller
from critmin.services.projects import ProjectNotFound
from critmin.web.csrf import FormDep
from critmin.web.forms import LEVELS, STATUSES, form_values, parse_edit
from critmin.web.render import error_page, render

router = APIRouter(include_in_schema=False)
# Committed before the response is sent, so the redirect target already sees the change.
WriteSessionDep = Annotated[Session, Depends(get_session, scope="function")]
ProjectId = Annotated[AsciiId, Path()]


def _form(
    request: Request, project: dict[str, Any], values: dict[str, Any], *,
    errors: dict[str, str] | None = None, conflict: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    return render(
        request, "edit.html",
        {"project": project, "values": values, "errors": errors or {}, "conflict": conflict,
         "statuses": STATUSES, "levels": LEVELS, "sections": access.SECTIONS},
        status_code=status_code, json_url=f"/api/v1/dashboard/projects/{project['id']}",
    )  # fmt: skip


def _editable(
    request: Request, session: Session, caller: Caller, project_id: int
) -> tuple[Any, Response | None]:
    """The project row, or the response to send instead (login, 403 or 404)."""
    if caller.anonymous:
        target = quote(f"/projects/{project_id}/edit")
        return None, RedirectResponse(f"/login?next={target}", status_code=303)
    try:
        row = tracker.get_visible(session=session, caller=caller, id=project_id)
    except ProjectNotFound as exc:
        return None, error_page(request, 404, _("Not found"), str(exc))
    if not access.can_edit(row, caller):
        return None, error_page(
            request, 403, _("Not allowed"),
            _("Only editors of the organisation that owns this project may edit it."),
        )  # fmt: skip
    return row, None


@router.get("/projects/{project_id}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, session: SessionDep, caller: CallerDep, project_id: ProjectId
) -> Response:
    row, refusal = _editable(request, session, caller, project_id)
    if refusal is not None:
        return refusal
    project = tracker.to_public(row, caller)
    return _form(request, project, form_values(project))


@router.post("/projects/{project_id}/edit", response_class=HTMLResponse)
def edit_submit(
    request: Request, session: WriteSessionDep, form: FormDep, project_id: ProjectId
) -> Response:
    caller = get_caller(request, session)
    row, refusal = _editable(request, session, caller, project_id)
    if refusal is not None:
        return refusal
    current = tracker.to_public(row, caller)
    changes, errors, version = parse_edit(form, current)
    if errors or version is None:
        return _form(request, current, {**form_values(current), **form}, errors=errors,
                     status_code=422)  # fmt: skip
    if not changes:
        return RedirectResponse(f"/projects/{project_id}?saved=none", status_code=303)
    try:
        tracker.patch(session=session, caller=caller, id=project_id, changes=changes,
                      if_match=version)  # fmt: skip
    except tracker.PreconditionFailed:
        session.expire_all()
        fresh = tracker.to_public(
            tracker.get_visible(session=session, caller=caller, id=project_id), caller
        )
        return _form(request, fresh, form_values(fresh), conflict=changes, status_code=412)
    except tracker.InvalidRecord as exc:
        errs = {e["field"].split(".")[0]: e["problem"] for e in exc.errors}
        return _form(request, current, {**form_values(current), **form}, errors=errs,
                     status_code=422)  # fmt: skip
    except tracker.Forbidden as exc:
        return error_page(request, 403, _("Not allowed"), str(exc))
    return RedirectResponse(f"/projects/{project_id}?saved=1", status_code=303)
