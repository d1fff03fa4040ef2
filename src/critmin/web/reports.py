"""The reports page: the three reports with a small form each (mineral, country, language,
format); the forms ask the report endpoints, which read through the caller's view."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from critmin import i18n
from critmin.api.deps import CallerDep
from critmin.web.render import render, request_language

router = APIRouter(include_in_schema=False)


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, caller: CallerDep) -> HTMLResponse:
    """The list of reports and their forms."""
    from critmin.domain.minerals import MINERALS
    from critmin.services.reports_common import mineral_name

    with i18n.use_language(request_language(request)):
        minerals = [(m.code, mineral_name(m.code)) for m in MINERALS]
    return render(request, "reports/index.html", {"minerals": minerals})
