"""The disruption-scenario page (``/scenarios``): a form (mineral, restricting country,
restriction level, draws, seed, economy model) and its results: price ratio and
shortfall with the P5-P95 band, US GDP loss by industry, the sweep over restriction
levels and every assumption. Its JSON twin is ``/api/v1/dashboard/scenarios``."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from critmin.i18n import N_, _
from critmin.services import scenario as service
from critmin.services.present import country_label
from critmin.web import pages
from critmin.web.render import error_page, render
from critmin.web.scenario_charts import industry_figure, sweep_figure

router = APIRouter(include_in_schema=False)
# The economy models' names (services.scenario.MODEL_LABELS), translated when shown.
MODEL_WORDS = (N_("Supply-constrained (linear programme)"), N_("Leontief (demand-driven)"))
FIELD_LABELS = {"level": N_("Restriction level"), "draws": N_("Draws"), "seed": N_("Seed"),
                "model": N_("Economy model"), "country": N_("Restricting country"),
                "mineral": N_("Mineral")}  # fmt: skip


class BadField(ValueError):
    """A form field with a value the page cannot use."""

    def __init__(self, field: str, value: str, expected: str) -> None:
        super().__init__(_("%(field)s (%(code)s): %(value)s is not %(expected)s")
                         % {"field": _(FIELD_LABELS[field]), "code": field, "value": repr(value),
                            "expected": expected})  # fmt: skip


def parse_form(
    mineral: str, country: str, level: str, draws: str, seed: str, model: str
) -> dict[str, Any]:
    """The form's strings as service arguments; BadField naming the first bad one."""
    try:
        lv = float(level)
    except ValueError:
        lv = math.nan
    if not (math.isfinite(lv) and 0.0 <= lv <= 1.0):
        raise BadField("level", level, _("a share between 0 and 1"))
    ints = {}
    for name, text, top in (("draws", draws, 20_000), ("seed", seed, 2**32 - 1)):
        low = 1 if name == "draws" else 0
        if not (text.strip().isascii() and text.strip().isdigit() and low <= int(text) <= top):
            raise BadField(
                name,
                text,
                _("a whole number from %(low)s to %(top)s") % {"low": low, "top": f"{top:,}"},
            )
        ints[name] = int(text)
    if model not in service.MODELS:
        raise BadField(
            "model",
            model,
            _("one of %(choices)s") % {"choices": ", ".join(map(_, service.MODEL_LABELS.values()))},
        )
    if not (len(country) == 3 and country.isascii() and country.isalpha()):
        raise BadField("country", country, _("a three-letter ISO code such as CHN"))
    return {
        "mineral": mineral.strip().lower(),
        "country": country.upper(),
        "level": lv,
        "seed": ints["seed"],
        "n_draws": ints["draws"],
        "model": model,
    }


@router.get("/scenarios", response_class=HTMLResponse)
def scenario_page(
    request: Request,
    mineral: str = Query("gallium", max_length=40),
    country: str = Query("CHN", max_length=40),
    level: str = Query("1.0", max_length=40),
    draws: str = Query("2000", max_length=40),
    seed: str = Query("0", max_length=40),
    model: str = Query("supply_constrained", max_length=40),
) -> HTMLResponse:
    form = {"mineral": mineral, "country": country, "level": level, "draws": draws,
            "seed": seed, "model": model}  # fmt: skip
    json_url = pages.twin_url("/scenarios", form)
    try:
        args = parse_form(**form)
        data = service.dashboard(**args)
    except (BadField, service.ScenarioError) as exc:
        return error_page(request, 422, _("Invalid scenario"), str(exc))
    context = {"data": data, "form": form, "country_name": country_label(args["country"]),
               "model_labels": service.MODEL_LABELS,
               "industry_fig": industry_figure(data["result"]),
               "sweep_fig": sweep_figure(data["sweep"])}  # fmt: skip
    return render(request, "scenario.html", context, json_url=json_url)
