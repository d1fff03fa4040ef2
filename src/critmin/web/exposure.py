"""The supply-network exposure page (``/exposure``): choose a network (the synthetic
example or a stored one the caller may see) and a country; the headline exposure
numbers, the top chokepoints and the paths from the most exposed end product back to
the country, drawn as a graph. Its JSON twin is ``/api/v1/dashboard/exposure``."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from critmin.api.deps import CallerDep, SessionDep
from critmin.i18n import _
from critmin.services import exposure as service
from critmin.services.entities import NotFound
from critmin.services.tracker import InvalidRecord
from critmin.web import pages
from critmin.web.exposure_charts import paths_figure
from critmin.web.render import error_page, render

router = APIRouter(include_in_schema=False)


@router.get("/exposure", response_class=HTMLResponse)
def exposure_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    network: str = Query(service.DEMO, max_length=40),
    country: str = Query("CHN", max_length=80),
    end: str | None = Query(None, max_length=200),
) -> HTMLResponse:
    form = {"network": network, "country": country, "end": end or ""}
    json_url = pages.twin_url("/exposure", {k: v for k, v in form.items() if v})
    try:
        data = service.page(session=session, caller=caller, network=network,
                            country_code=country, end=end or None)  # fmt: skip
    except NotFound as exc:
        return error_page(request, 404, _("No such network"), str(exc))
    except InvalidRecord as exc:
        detail = "; ".join(f"{e['field']}: {e['problem']}" for e in exc.errors)
        return error_page(request, 422, _("Invalid request"), detail)
    label = data["headline"]["targets"]["countries"][0]["label"]
    context = {"data": data, "form": form, "country_label": label,
               "paths_fig": paths_figure(data["paths"], label)}  # fmt: skip
    return render(request, "exposure.html", context, json_url=json_url)
