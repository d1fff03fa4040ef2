"""Report endpoints: the Section 232-style dossier, the mineral briefing and the stockpile
adequacy report as HTML, PDF or the JSON data model behind them (every figure with its
source). Shared records are read through the caller's view; the language comes from
``lang`` or ``Accept-Language``. Bad input is a 422 naming the field."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response

from critmin.api.deps import CallerDep, SessionDep
from critmin.api.reads import dumps
from critmin.api.replies import PRIVATE, private_error
from critmin.services import reports as service

router = APIRouter(prefix="/reports", tags=["reports"])

Mineral = Annotated[str, Query(min_length=1, max_length=40, description="Mineral, e.g. tungsten.")]
Format = Annotated[
    Literal["html", "pdf", "json"],
    Query(description="html or pdf: the rendered report; json: its data model."),
]
Lang = Annotated[
    str | None,
    Query(max_length=20, description="en or zh (default: the Accept-Language header, else en)."),
]
AsOf = Annotated[
    str | None,
    Query(
        max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$", description="Report date (default today)."
    ),
]
AcceptLanguage = Annotated[str | None, Header(alias="Accept-Language", max_length=500)]

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report: HTML, PDF or its JSON data model.",
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"type": "object"}},
        },
    },
    422: {
        "description": "Bad mineral, country, language, date or format.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
}


def _reply(
    request: Request,
    kind: str,
    session: Any,
    caller: Any,
    *,
    mineral: str,
    country: str | None,
    fmt: str,
    lang: str | None,
    accept: str | None,
    as_of: str | None,
) -> Response:
    """The report, from the response cache while no record has changed (the key holds the
    caller's view, so one organisation's report is never served to another)."""
    from critmin import i18n
    from critmin.api.cache import etag_of, generation, visibility_key
    from critmin.web.render import SECURITY_HEADERS

    try:
        chosen = i18n.parse(lang) if lang else i18n.negotiate(accept)
        day = service.today_or(as_of).isoformat()
        key = ("reports", kind, mineral, country, fmt, chosen, day, visibility_key(caller))

        def make() -> tuple[bytes, str]:
            rep = service.build(session, caller, kind, mineral=mineral, country=country,
                                as_of=day, lang=chosen)  # fmt: skip
            body = dumps(rep.to_dict()) if fmt == "json" else service.render(rep, fmt)
            return body, etag_of(body)

        cached = request.app.state.response_cache.get_or_render(
            key, lambda: generation(session), make
        )
    except (service.ReportError, i18n.UnknownLanguage) as exc:
        return private_error(422, str(exc), [{"field": "query", "problem": str(exc)}])
    if fmt == "json":
        return Response(cached.body, media_type="application/json", headers=PRIVATE)
    headers = {
        **SECURITY_HEADERS,
        **PRIVATE,
        "Content-Language": i18n.tag(chosen),
        "ETag": cached.etag,
        "Vary": "Authorization, Cookie, Accept-Language",
    }
    if fmt == "pdf":
        name = f"{kind}-{service.check_mineral(mineral)}"
        name += f"-{service.check_country(country or 'USA')}" if kind == "dossier" else ""
        headers["Content-Disposition"] = f'inline; filename="{name}-{chosen}.pdf"'
    return Response(cached.body, media_type=service.MEDIA_TYPES[fmt], headers=headers)


@router.get(
    "/dossier", summary="Section 232-style dossier for a mineral and a country", responses=RESPONSES
)
def dossier(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    mineral: Mineral = "tungsten",
    country: Annotated[str, Query(min_length=2, max_length=60)] = "USA",
    format: Format = "html",
    lang: Lang = None,  # noqa: A002
    as_of: AsOf = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    """Imports and sources, domestic production and capacity, substitutes, economic
    importance, concentration, export controls in force, a ban scenario with GDP loss,
    stockpile adequacy, the pipeline and outlook; every figure with its source."""
    return _reply(
        request,
        "dossier",
        session,
        caller,
        mineral=mineral,
        country=country,
        fmt=format,
        lang=lang,
        accept=accept_language,
        as_of=as_of,
    )


@router.get("/briefing", summary="One-page mineral briefing", responses=RESPONSES)
def briefing(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    mineral: Mineral = "gallium",
    format: Format = "html",
    lang: Lang = None,  # noqa: A002
    as_of: AsOf = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    """Concentration, prices and the two-market spread, measures timeline, pipeline,
    criticality and the scenario headline."""
    return _reply(
        request,
        "briefing",
        session,
        caller,
        mineral=mineral,
        country=None,
        fmt=format,
        lang=lang,
        accept=accept_language,
        as_of=as_of,
    )


@router.get("/stockpile", summary="Stockpile adequacy report", responses=RESPONSES)
def stockpile(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    mineral: Mineral = "gallium",
    format: Format = "html",
    lang: Lang = None,  # noqa: A002
    as_of: AsOf = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    """Requirement, inventory and coverage, the procurement plan and its uncertainty."""
    return _reply(
        request,
        "stockpile",
        session,
        caller,
        mineral=mineral,
        country=None,
        fmt=format,
        lang=lang,
        accept=accept_language,
        as_of=as_of,
    )
