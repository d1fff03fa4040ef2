"""The supply-demand balance per mineral and year, every input with its source.

Production and year-end stocks come from the USGS statistics (``production_stats``);
imports and exports from the bundled CEPII BACI flows of the HS codes BACI's product
table assigns to the mineral (HS 1992). Trade is in metric tons as traded (gross
weight): no metal-content factor is applied, so for ores, concentrates and compounds
the trade terms overstate the contained metal; each code and the conversion used is
listed. World rows: every flow is one country's import and another's export, so world
net trade is zero and apparent consumption is world production.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from critmin.analytics.balance import apparent_consumption, stock_change
from critmin.domain.countries import country_name
from critmin.domain.vocab import UnknownValue, resolve_mineral
from critmin.ingest.countries import REFERENCE_DIR
from critmin.services import access
from critmin.services.auth import Caller
from critmin.services.tracker import InvalidRecord
from critmin.store.tables import Dataset, MineralRow, ProductionStat, TradeFlow

PRODUCTION = ("production", "production:mine", "production_primary",
              "production_refinery:primary")  # fmt: skip
"""USGS measures read as production, in this order of preference (first with a value)."""
TONS_TO = {"t": 1.0, "kg": 1_000.0}
PRODUCTS = REFERENCE_DIR / "baci" / "product-codes.csv"


@lru_cache(maxsize=1)
def _products() -> pd.DataFrame:
    frame = pd.read_csv(PRODUCTS, dtype=str, keep_default_na=False)
    return frame[frame["critical_mineral"] != ""]


def hs_codes_for(mineral: str, name: str) -> list[dict[str, str]]:
    """The HS 1992 codes BACI's product table assigns to the mineral, with descriptions."""
    table = _products()
    words = table["critical_mineral"].str.lower()
    hit = words.str.startswith(name.lower()) | words.str.startswith(mineral.replace("_", " "))
    return [{"hs6": r.hs6, "description": r.description, "nomenclature": "HS1992"}
            for r in table[hit].itertuples()]  # fmt: skip


def _bad(field: str, problem: str) -> InvalidRecord:
    return InvalidRecord([{"field": field, "problem": problem}])


def _num(value: Any) -> float | None:
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    return None if missing else float(value)


def _production(session: Session, mineral: str, country: str | None) -> tuple[pd.Series, dict]:
    s = ProductionStat
    stmt = select(s.measure, s.year, s.value, s.unit, s.estimated, s.dataset_id, s.locator).where(
        s.mineral == mineral, s.measure.in_(PRODUCTION), s.value.is_not(None))
    stmt = stmt.where(s.country == country) if country else stmt.where(
        s.country.is_(None), s.country_label == "world")  # fmt: skip
    frame = pd.DataFrame(session.execute(stmt).all(),
                         columns=["measure", "year", "value", "unit", "estimated", "dataset_id",
                                  "locator"])  # fmt: skip
    rank = {m: i for i, m in enumerate(PRODUCTION)}
    frame = frame.assign(rank=frame["measure"].map(rank)).sort_values(["year", "rank"])
    first = frame.drop_duplicates("year").set_index("year")
    return first["value"], first.to_dict("index")


def _stocks(session: Session, mineral: str, country: str | None) -> tuple[pd.Series, str | None]:
    if not country:
        return pd.Series(dtype=float), None
    s = ProductionStat
    stmt = select(s.measure, s.year, s.value).where(
        s.mineral == mineral, s.country == country, s.measure.like("stocks%"),
        s.value.is_not(None)).order_by(s.measure)  # fmt: skip
    frame = pd.DataFrame(session.execute(stmt).all(), columns=["measure", "year", "value"])
    if frame.empty:
        return pd.Series(dtype=float), None
    measure = frame["measure"].iloc[0]
    return frame[frame["measure"] == measure].set_index("year")["value"], measure


def _trade(session: Session, codes: list[str], country: str | None) -> tuple[pd.Series, ...]:
    t = TradeFlow.__table__.c
    stmt = select(t.year, t.exporter, t.importer, t.quantity_t).where(t.hs6.in_(codes))
    frame = pd.DataFrame(session.execute(stmt).all(),
                         columns=["year", "exporter", "importer", "quantity_t"])
    if country:
        imports = frame[frame["importer"] == country].groupby("year")["quantity_t"]
        exports = frame[frame["exporter"] == country].groupby("year")["quantity_t"]
    else:
        imports = exports = frame.groupby("year")["quantity_t"]
    years = pd.Index(sorted(frame["year"].unique()))
    # min_count=1: a year whose flows all lack a quantity is unknown, not 0
    return (imports.sum(min_count=1).reindex(years, fill_value=0.0),
            exports.sum(min_count=1).reindex(years, fill_value=0.0))  # fmt: skip


def balance(session: Session, caller: Caller, mineral: str, country: str | None = None,
            years: Sequence[int] | None = None) -> dict[str, Any]:  # fmt: skip
    """Production, imports, exports, apparent consumption and stock change per year,
    each with its unit and source (JSON-ready). ``country`` ISO3, None for the world."""
    access.check_caller(caller)
    try:
        code = resolve_mineral(mineral)
    except UnknownValue as exc:
        raise _bad("mineral", str(exc)) from None
    row = session.get(MineralRow, code)
    if row is None:
        raise _bad("mineral", f"a mineral of the catalogue, not {mineral!r}")
    iso = None
    if country:
        iso = country.strip().upper()
        try:
            place = country_name(iso)
        except Exception:  # noqa: BLE001 - any unknown code is a bad request
            raise _bad("country", f"an ISO3 country code, not {country!r}") from None
    else:
        place = "World"
    production, prod_rows = _production(session, code, iso)
    units = {r["unit"] for r in prod_rows.values()}
    unit = units.pop() if len(units) == 1 else row.quantity_unit
    factor = TONS_TO.get(unit)
    codes = hs_codes_for(code, row.name)
    hs = [c["hs6"] for c in codes]
    imports, exports = _trade(session, hs, iso) if hs and factor else (pd.Series(dtype=float),) * 2
    stocks, stock_measure = _stocks(session, code, iso)
    table = apparent_consumption(production, imports * (factor or 1), exports * (factor or 1),
                                 stock_change(stocks) if len(stocks) else None)  # fmt: skip
    if years:
        table = table[table.index.isin(list(years))]
    usgs = {d.id: d for d in session.scalars(select(Dataset).where(Dataset.code.like("usgs%")))}
    baci = session.scalar(select(Dataset).where(Dataset.code == "baci-hs92"))
    trade_source = {"source": baci.title if baci else "CEPII BACI HS92",
                    "citation": baci.citation if baci else None, "hs_codes": hs}  # fmt: skip
    out = []
    for year, r in table.iterrows():
        p = prod_rows.get(year)
        ds = usgs.get(p["dataset_id"]) if p else None
        trade_known = year in imports.index
        out.append({
            "year": int(year),
            "production": {"value": _num(r["production"]), "unit": unit,
                           "measure": p["measure"] if p else None,
                           "estimated": bool(p["estimated"]) if p else None,
                           "source": ds.title if ds else None,
                           "locator": p["locator"] if p else None},
            "imports": {"value": _num(r["imports"]) if trade_known else None, "unit": unit,
                        "basis": "gross weight as traded", **trade_source},
            "exports": {"value": _num(r["exports"]) if trade_known else None, "unit": unit,
                        "basis": "gross weight as traded", **trade_source},
            "net_imports": {"value": _num(r["net_imports"]), "unit": unit},
            "apparent_consumption": {"value": _num(r["apparent"]), "unit": unit,
                                     "formula": "production + imports - exports"},
            "stock_change": {"value": _num(r["stock_change"]), "unit": unit,
                             "status": "known" if _num(r["stock_change"]) is not None
                             else "unknown", "measure": stock_measure},
            "apparent_after_stocks": {"value": _num(r["after_stocks"]), "unit": unit,
                                      "formula": "apparent consumption - stock change"},
        })  # fmt: skip
    return {
        "mineral": code, "mineral_label": row.name, "country": iso, "country_label": place,
        "unit": unit, "hs_codes": codes,
        "conversion": {"from": "t", "to": unit, "factor": factor,
                       "content": "none: trade is gross weight as traded, not metal content"},
        "years": out,
    }
