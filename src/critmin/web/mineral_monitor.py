"""The per-mineral market monitor page (``/minerals/{mineral}/monitor``)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from critmin.api.deps import CallerDep, SessionDep
from critmin.services import mineral_monitor as service
from critmin.web import pages
from critmin.web.monitor_charts import monitor_figure

router = APIRouter(include_in_schema=False)


@router.get("/minerals/{mineral}/monitor", response_class=HTMLResponse)
def monitor_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    mineral: str,
    a: str | None = Query(None, max_length=120),
    b: str | None = Query(None, max_length=120),
    currency: str = Query("USD", max_length=3),
    country: str | None = Query(None, max_length=3),
) -> HTMLResponse:
    params = {"a": a, "b": b, "currency": currency, "country": country}
    return pages.render_page(
        request, "mineral_monitor.html",
        pages.twin_url(f"/minerals/{mineral}/monitor", params),
        lambda: service.mineral_monitor(session=session, caller=caller, mineral=mineral, a=a,
                                        b=b, currency=currency, country=country),
        lambda data: {"monitor_fig": monitor_figure(data)},
    )  # fmt: skip
