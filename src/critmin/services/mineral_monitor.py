"""The per-mineral market monitor: two markets in one currency and unit, the spread and
ratio beneath, every measure on the time axis at the precision of its date, the stated
changes and ratios, the supply-demand balance and the latest alerts.

Everything is read through the caller's view: series, measures and alerts the caller
may not see are neither drawn nor counted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from critmin.domain.fx import MissingRate
from critmin.services import controls, monitor, prices, trade
from critmin.services.auth import Caller
from critmin.services.controls import BadRequest
from critmin.services.dashboard import NotFound, mineral_info
from critmin.services.entities import NotFound as EntityNotFound
from critmin.services.keys import AmbiguousKey
from critmin.services.tracker import InvalidRecord

CURRENCIES = ("USD", "CNY")
ALERTS_SHOWN = 10
BALANCE_YEARS = 10
TOLERANCE_DAYS = 31
"""How old b's value may be on one of a's dates and still count as aligned."""


def _is_china(choice: dict[str, Any]) -> bool:
    return "china" in (choice.get("market") or "").lower()


def default_pair(choices: list[dict[str, Any]]) -> tuple[str, str] | None:
    """The two series a monitor opens on: an ex-China and a China market when both have
    price levels (the split the controls opened), else the two with the most levels."""
    ranked = sorted((c for c in choices if c["levels"]), key=lambda c: (-c["levels"], c["key"]))
    if len(ranked) < 2:
        return None
    china = [c for c in ranked if _is_china(c)]
    abroad = [c for c in ranked if not _is_china(c)]
    if china and abroad:
        return abroad[0]["key"], china[0]["key"]
    return ranked[0]["key"], ranked[1]["key"]


def _choices(session: Session, caller: Caller, mineral: str) -> list[dict[str, Any]]:
    out = []
    for s in prices.series_choices(session=session, caller=caller, mineral=mineral):
        view = prices.series_view(session=session, caller=caller, ref=s["id"])
        label = s["market"] + (f" ({s['form'].replace('_', ' ')})" if s.get("form") else "")
        out.append({"key": s["key"], "market": s["market"], "label": label, "unit": s["unit"],
                    "levels": len(view["levels"]), "stated": len(view["stated"])})  # fmt: skip
    return out


def _pair(session: Session, caller: Caller, a: str, b: str, currency: str
          ) -> tuple[dict[str, Any] | None, str | None]:  # fmt: skip
    """The compared pair, or None and why when a level cannot be converted."""
    try:
        return prices.compare(session=session, caller=caller, a=a, b=b, currency=currency,
                              unit="kg", tolerance_days=TOLERANCE_DAYS), None  # fmt: skip
    except (EntityNotFound, AmbiguousKey) as exc:
        raise NotFound(str(exc)) from None
    except MissingRate as exc:
        return None, f"These markets cannot be shown in {currency}/kg: {exc}"
    except (InvalidRecord, ValueError) as exc:
        raise BadRequest(str(exc)) from None


def mineral_monitor(
    *,
    session: Session,
    caller: Caller,
    mineral: str,
    a: str | None = None,
    b: str | None = None,
    currency: str = "USD",
    country: str | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """What the monitor page shows for ``mineral`` (404 for an unknown mineral or series,
    422 for a bad currency or a series of another mineral)."""
    info = mineral_info(mineral)
    currency = (currency or "USD").upper()
    if currency not in CURRENCIES:
        raise BadRequest(f"currency: expected one of {', '.join(CURRENCIES)}, got {currency!r}")
    if bool(a) != bool(b):
        raise BadRequest("a and b: give both series keys, or neither for the default pair")
    choices = _choices(session, caller, info["code"])
    chosen = (a, b) if a and b else default_pair(choices)
    pair, problem = None, None
    if chosen:
        if chosen[0] == chosen[1]:
            raise BadRequest("a and b: choose two different series")
        pair, problem = _pair(session, caller, chosen[0], chosen[1], currency)
        for side in ("a", "b") if pair else ():
            if pair[side]["mineral"] != info["code"]:
                raise BadRequest(f"{side}: series {pair[side]['key']!r} is not a "
                                 f"{info['name']} series")  # fmt: skip
    timeline = controls.measures(session=session, caller=caller, mineral=info["code"],
                                 today=today)  # fmt: skip
    stated = [
        {**o, "market": s["market"]}
        for s in ((pair["a"], pair["b"]) if pair else ())
        for o in s["stated"]
    ]
    return {
        "mineral": info,
        "currency": currency,
        "currencies": list(CURRENCIES),
        "unit": pair["unit"] if pair else f"{currency}/kg",
        "series": choices,
        "pair": pair,
        "pair_keys": list(chosen) if chosen else None,
        "pair_problem": problem,
        "stated": sorted(stated, key=lambda o: (o["date"], o["market"])),
        "measures": timeline["measures"],
        "undated_measures": timeline["undated"],
        "today": timeline["today"],
        "alerts": monitor.alerts_for(session, caller, info["code"], ALERTS_SHOWN),
        "balance": _balance(session, caller, info["code"], country),
    }


def _balance(session: Session, caller: Caller, mineral: str, country: str | None
             ) -> dict[str, Any]:  # fmt: skip
    """The supply-demand balance (world, or ``country``) over the latest years that have
    any input, every input with its source."""
    try:
        table = trade.balance(session, caller, mineral, country=country or None)
    except InvalidRecord as exc:
        raise BadRequest(str(exc)) from None
    inputs = ("production", "imports", "exports")
    years = [y for y in table["years"] if any(y[k]["value"] is not None for k in inputs)]
    return {**table, "years": years[-BALANCE_YEARS:], "years_with_data": len(years)}
