"""The alerts page: recent alert events the caller may see, with series and mineral
labels, from the same service call as its JSON twin (``/api/v1/monitor/alerts``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from critmin.api.deps import CallerDep, SessionDep
from critmin.domain.vocab import UnknownValue, resolve_mineral
from critmin.i18n import N_, _
from critmin.services import monitor
from critmin.services.present import mineral_label
from critmin.web.render import error_page, render

router = APIRouter(include_in_schema=False)
# The rule kinds and the built-in rules' titles (services.monitor_rules), translated when shown.
RULE_WORDS = (
    N_("Price change over a window"), N_("Ratio between two markets"),
    N_("New or changed measure"), N_("Trade drop (year on year)"),
    N_("Measure about to expire"), N_("Stockpile lot about to expire"),
    N_("Price up more than 40% within 30 days (every series)"),
    N_("New or changed export-control measure (any mineral, last 30 days)"),
    N_("Measure expiring within 30 days (any mineral)"),
    N_("Stockpile lot expiring within 90 days (any mineral, public lots)"),
)  # fmt: skip
LIMIT = 100


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    mineral: str | None = Query(None, max_length=40),
    limit: int = Query(LIMIT, ge=1, le=monitor.MAX_LIMIT),
) -> HTMLResponse:
    try:
        code = resolve_mineral(mineral) if mineral else None
    except UnknownValue as exc:
        return error_page(request, 422, _("Invalid request"), str(exc))
    rows = monitor.events(session=session, caller=caller, mineral=code, limit=limit)
    params = {k: v for k, v in (("mineral", code), ("limit", limit if limit != LIMIT else None))
              if v}  # fmt: skip
    twin = "/api/v1/monitor/alerts" + (f"?{urlencode(params)}" if params else "")
    data: dict[str, Any] = {"mineral": code, "mineral_label": mineral_label(code),
                            "alerts": rows, "limit": limit}  # fmt: skip
    return render(request, "alerts.html", {"data": data}, json_url=twin)
