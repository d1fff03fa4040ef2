"""Template rendering for the dashboard: shared context, filters and security headers."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from critmin import i18n
from critmin.i18n import N_, display
from critmin.services.auth import ANONYMOUS
from critmin.services.present import coded, field_label, fmt_num, fmt_pct
from critmin.web.csrf import FIELD, csrf_token

TEMPLATES = Path(__file__).parent / "templates"
PLOTLY_VERSION = importlib.metadata.version("plotly")

# Only our own origin: no CDN, no external fonts, no beacons. Plotly injects styles.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def fmt_change(value: Any) -> str:
    """A change-log value, short enough for a table cell."""
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "…"


templates = Jinja2Templates(directory=str(TEMPLATES))


def _coded(value: object, field: str) -> object:
    """A change-log value as shown, in the current language."""
    shown = coded(value, field)
    return display.text(shown) if isinstance(shown, str) and shown != value else shown


templates.env.filters.update(num=fmt_num, pct=fmt_pct, change=fmt_change, country=display.country,
                             label=display.label, mineral=display.mineral, form=display.form,
                             field=lambda name: i18n.gettext(field_label(name)), coded=_coded,
                             t=display.text, when=display.date)  # fmt: skip
templates.env.globals.update(plotly_version=PLOTLY_VERSION, csrf_field=FIELD,
                              languages=i18n.LANGUAGES,
                              current_language=i18n.current)  # fmt: skip
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
)
LANG_COOKIE = "critmin_lang"
DERIVED = N_("(derived)")
"""Follows a date the source does not state (see :func:`critmin.i18n.display.date`)."""


def request_language(request: Request) -> str:
    """``?lang=``, then the language cookie, then ``Accept-Language``, then English."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        lang = i18n.normalise(chosen)
        if lang:
            return lang
    return i18n.negotiate(request.headers.get("accept-language"))


def _here(request: Request) -> str:
    """This page's path and query without ``lang`` (where the language switch goes back to)."""
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "lang"])
    return request.url.path + (f"?{query}" if query else "")


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    json_url: str | None = None,
) -> HTMLResponse:
    """Render ``name`` with the caller, a lazy CSRF token and the page's JSON twin."""
    lang = request_language(request)
    ctx = {
        "lang": lang,
        "lang_tag": i18n.tag(lang),
        "me": getattr(request.state, "caller", None) or ANONYMOUS,
        "csrf_token": lambda: csrf_token(request),
        "json_url": json_url,
        "path": request.url.path,
        "here": _here(request),
        **(context or {}),
    }
    with i18n.use_language(lang):
        response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Content-Language"] = i18n.tag(lang)
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


def error_page(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    return render(
        request, "error.html", {"title": title, "message": message}, status_code=status_code
    )
