"""HTML pages. Each is rendered from the same service call as its JSON twin."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from critmin.api.deps import SessionDep
from critmin.services import projects as service

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)


def install_web(app) -> None:
    """Mount the dashboard pages."""
    app.include_router(router)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/projects")


@router.get("/projects", response_class=HTMLResponse)
def projects_page(
    request: Request,
    session: SessionDep,
    mineral: str | None = Query(None, max_length=40),
) -> HTMLResponse:
    rows = service.list_projects(session=session, mineral=mineral or None, public_only=True)
    return templates.TemplateResponse(
        request,
        "projects.html",
        {"projects": rows, "mineral": mineral or "", "json_url": "/api/v1/projects"},
    )
