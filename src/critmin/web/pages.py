"""HTML pages. Each is rendered from the same service call as its JSON twin
(:mod:`critmin.api.dashboard`), under the caller's sharing rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from critmin.api.deps import CallerDep, SessionDep
from critmin.i18n import N_, _
from critmin.services import controls
from critmin.services import dashboard as service
from critmin.web import alerts, auth, charts, edit, language
from critmin.web.assets import AssetFiles, plotly_js_path
from critmin.web.csrf import CsrfError
from critmin.web.render import error_page, render

API = "/api/v1/dashboard"
# Words the pages show from the services' replies, marked here to be translated there:
# the project list's sort keys, the claim topics and the USGS production measures.
SHOWN_WORDS = (N_("name"), N_("mineral"), N_("country"), N_("status"), N_("stage"),
               N_("capacity (t/yr)"), N_("start year"), N_("id"), N_("last change"),
               N_("Funding"), N_("Capacity outlook"), N_("production"), N_("mine production"),
               N_("refinery production"), N_("primary production"), N_("capacity"),
               N_("Other countries"),
               N_("European Union"), N_("create"), N_("update"), N_("delete"), N_("load"),
               N_("measure"), N_("price"), N_("project"), N_("claim"), N_("viewer"),
               N_("editor"), N_("admin"), N_("public"), N_("partners"), N_("owner"))  # fmt: skip
__all__ = ["install_web", "plotly_js_path", "router"]
router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(edit.router)
router.include_router(alerts.router)
router.include_router(language.router)


def install_web(app: FastAPI) -> None:
    """Mount the dashboard pages, their static files and the CSRF error page."""
    # they use this one's helpers
    from critmin.web import (
        criticality,
        exposure,
        mineral_monitor,
        offtake,
        recycling,
        scenario,
        scrap,
        stockpile,
    )
    from critmin.web import reports as reports_page

    app.include_router(router)
    app.include_router(mineral_monitor.router)
    app.include_router(criticality.router)
    app.include_router(scenario.router)
    app.include_router(exposure.router)
    app.include_router(offtake.router)
    app.include_router(stockpile.router)
    app.include_router(scrap.router)
    app.include_router(recycling.router)
    app.include_router(reports_page.router)
    app.mount("/static", AssetFiles(), name="static")
    app.add_middleware(language.LanguageMiddleware)

    async def _csrf_failed(request: Request, exc: Exception) -> HTMLResponse:
        return error_page(
            request, 403, _("Form refused"), f"{exc}. " + _("Reload the page and try again.")
        )

    app.add_exception_handler(CsrfError, _csrf_failed)


def twin_url(path: str, params: dict[str, Any] | None = None) -> str:
    query = urlencode({k: v for k, v in (params or {}).items() if v not in (None, "")})
    return f"{API}{path}" + (f"?{query}" if query else "")


def render_page(
    request: Request, template: str, json_url: str, build: Callable[[], dict[str, Any]],
    extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> HTMLResponse:  # fmt: skip
    """Render ``template`` from ``build()``; unknown things are 404, bad filters 422."""
    try:
        data = build()
    except service.NotFound as exc:
        return error_page(request, 404, _("Not found"), str(exc))
    except service.BadRequest as exc:
        return error_page(request, 422, _("Invalid request"), str(exc))
    context = {"data": data, **(extra(data) if extra else {})}
    return render(request, template, context, json_url=json_url)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, caller: CallerDep) -> HTMLResponse:
    return render_page(
        request, "home.html", API, lambda: service.minerals_index(session=session, caller=caller)
    )


CurationNotes = Query(False, description="Also show the curators' notes on each record.")


@router.get("/minerals/{mineral}", response_class=HTMLResponse)
def mineral_page(
    request: Request, session: SessionDep, caller: CallerDep, mineral: str,
    curation_notes: bool = CurationNotes,
) -> HTMLResponse:  # fmt: skip
    def extra(data: dict[str, Any]) -> dict[str, Any]:
        return {
            "concentration_fig": charts.concentration_figure(data["concentration"]),
            "price_figs": charts.price_figures(data["prices"]),
            "pipeline_fig": charts.pipeline_figure(data["pipeline"]),
        }

    notes = {"curation_notes": "true" if curation_notes else None}
    return render_page(
        request, "mineral.html", twin_url(f"/minerals/{mineral}", notes),
        lambda: service.mineral_overview(session=session, caller=caller, mineral=mineral,
                                         curation_notes=curation_notes), extra,
    )  # fmt: skip


@router.get("/projects", response_class=HTMLResponse)
def projects_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    mineral: str | None = Query(None, max_length=40),
    stage: str | None = Query(None, max_length=20),
    status: str | None = Query(None, max_length=20),
    country: str | None = Query(None, max_length=80),
    q: str | None = Query(None, max_length=100),
    sort: str = Query("name", max_length=20),
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(service.PER_PAGE, ge=1, le=200),
) -> HTMLResponse:
    filters = {"mineral": mineral, "stage": stage, "status": status, "country": country, "q": q}
    params = {
        **filters,
        "sort": sort if sort != "name" else None,
        "per_page": per_page if per_page != service.PER_PAGE else None,
    }

    def extra(data: dict[str, Any]) -> dict[str, Any]:
        def page_url(n: int) -> str:
            return "/projects?" + urlencode({k: v for k, v in {**params, "page": n}.items() if v})

        return {"page_url": page_url}

    twin = twin_url("/projects", {**params, "page": page if page > 1 else None})
    return render_page(
        request, "projects.html", twin,
        lambda: service.projects_list(session=session, caller=caller, sort=sort, page=page,
                                      per_page=per_page, **filters),
        extra,
    )  # fmt: skip


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_page(
    request: Request, session: SessionDep, caller: CallerDep, project_id: str,
    curation_notes: bool = CurationNotes,
) -> HTMLResponse:  # fmt: skip
    if not (project_id.isascii() and project_id.isdigit()):  # not "١٢" or "+1"
        return error_page(
            request, 404, _("Not found"), _("no project with id %(id)s") % {"id": repr(project_id)}
        )
    notes = {"curation_notes": "true" if curation_notes else None}
    return render_page(
        request, "project.html", twin_url(f"/projects/{project_id}", notes),
        lambda: service.project_view(session=session, caller=caller, id=int(project_id),
                                     curation_notes=curation_notes),  # fmt: skip
        lambda _: {"saved": request.query_params.get("saved")},
    )  # fmt: skip


@router.get("/outlook", response_class=HTMLResponse)
def outlook_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    mineral: str = Query("gallium", max_length=40),
    start: int | None = Query(None, alias="from", ge=1900, le=2200),
    end: int | None = Query(None, alias="to", ge=1900, le=2200),
    include_restarts: bool = Query(False, description="Count possible restarts too."),
) -> HTMLResponse:
    def extra(data: dict[str, Any]) -> dict[str, Any]:
        figs = charts.outlook_figures(data)
        listed = service.projects_list(
            session=session, caller=caller, mineral=mineral, per_page=200
        )["rows"]
        return {
            "capacity_fig": figs[0] if figs else None,
            "share_fig": figs[1] if figs else None,
            "minerals": service.minerals_index(session=session, caller=caller)["minerals"],
            # names in their original language, shown beside the English ones
            "originals": {r["key"]: r["name_original"] for r in listed if r["name_original"]},
        }

    params = {"mineral": mineral, "from": start, "to": end,
              "include_restarts": "true" if include_restarts else None}  # fmt: skip
    return render_page(
        request, "outlook.html", twin_url("/outlook", params),
        lambda: service.outlook(session=session, caller=caller, mineral=mineral, start=start,
                                end=end, include_restarts=include_restarts),
        extra,
    )  # fmt: skip


@router.get("/measures", response_class=HTMLResponse)
def measures_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    mineral: str | None = Query(None, max_length=40),
    curation_notes: bool = CurationNotes,
    as_of: str | None = Query(
        None,
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        description="Statuses as of YYYY-MM-DD (default today).",
    ),
) -> HTMLResponse:
    params = {"mineral": mineral, "curation_notes": "true" if curation_notes else None}
    return render_page(
        request, "measures.html", twin_url("/measures", params),
        lambda: controls.measures(session=session, caller=caller, mineral=mineral or None,
                                 curation_notes=curation_notes,
                                 today=controls.parse_day(as_of, "as_of") if as_of else None),
        lambda data: {"timeline_fig": charts.measures_figure(data["measures"],
                                                             dt.date.fromisoformat(data["today"]))},
    )  # fmt: skip


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, session: SessionDep, caller: CallerDep) -> HTMLResponse:
    return render_page(
        request, "sources.html", twin_url("/sources"),
        lambda: service.sources(session=session, caller=caller),
    )  # fmt: skip


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    return Response(status_code=204)
