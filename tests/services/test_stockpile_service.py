"""The stockpile service on real SQLite: inventory and coverage through the caller's view,
the expiry alert rule (never about a lot its readers may not see), supplier files with
named errors, both requirement rules and the plan with the bundled gallium suppliers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from critmin.services import auth, monitor
from critmin.services import monitor_rules as rules
from critmin.services import stockpile as svc
from critmin.services.auth import ANONYMOUS, LOCAL, Caller, Role
from critmin.store.db import transaction
from critmin.store.tables import StockpileLot

AS_OF = dt.date(2026, 11, 29)


def _world(s):
    a = auth.create_org(session=s, name="Alpha", groups=["MSP"])
    b = auth.create_org(session=s, name="Beta", groups=["MSP"])
    s.add_all([
        StockpileLot(mineral="gallium", quantity=9.5, unit="t", expires=dt.date(2027, 1, 15),
                     location="private vault", owner_org_id=a.id, sharing="owner"),
        StockpileLot(mineral="gallium", quantity=4750.0, unit="kg",
                     acquired=dt.date(2026, 6, 1), shelf_life_days=365, sharing="public"),
        StockpileLot(mineral="gallium", quantity=1.0, unit="t", expires=dt.date(2026, 1, 1),
                     sharing="public"),
    ])
    s.flush()
    return tuple(Caller(org_id=o.id, org_name=o.name, role=Role.EDITOR,
                        partner_org_ids=auth.partner_ids(session=s, org_id=o.id))
                 for o in (a, b))  # fmt: skip


def test_inventory_and_coverage_through_the_view(sqlite_engine):
    with transaction(sqlite_engine) as s:
        alpha, beta = _world(s)
        own = svc.inventory(s, alpha, "gallium", AS_OF)
        other = svc.inventory(s, beta, "gallium", AS_OF)
        anon = svc.inventory(s, ANONYMOUS, "gallium", AS_OF)
    assert own["total_t"] == pytest.approx(14.25)  # 9.5 + 4.75; the expired lot not held
    assert [x["id"] for x in own["expiring_soon"]] == [1]  # 47 days < 90
    assert other["total_t"] == anon["total_t"] == pytest.approx(4.75)
    assert "private vault" not in str(other)
    cov = svc.coverage_by_month(own, 19.0, AS_OF, 3)
    # 2026-12-01, 2027-01-01, 2027-02-01: the 9.5 t lot expires on 2027-01-15
    assert [round(c["inventory_t"], 3) for c in cov] == [14.25, 14.25, 4.75]
    assert cov[0]["coverage_months"] == pytest.approx(14.25 / (19.0 / 12))


def test_expiry_rule_never_reports_a_lot_its_readers_cannot_see(sqlite_engine):
    with transaction(sqlite_engine) as s:
        alpha, beta = _world(s)
        rules.add_rule(session=s, caller=alpha, key="alpha-lots", kind="stockpile_expiry",
                       params={"days": 60}, sharing="owner")
        events = monitor.run(session=s, caller=LOCAL, as_of=AS_OF)
        mine = monitor.events(session=s, caller=alpha, limit=None)
        theirs = monitor.events(session=s, caller=beta, limit=None)
    kinds = {(e["rule"], e["value"]) for e in events if e["kind"] == "stockpile_expiry"}
    # the public default rule (90 days) sees public lots only: none expire within 90 days
    assert kinds == {("alpha-lots", 9.5)}
    assert any("private vault" in e["message"] for e in mine)
    assert not any(e["kind"] == "stockpile_expiry" for e in theirs)


def test_public_lot_raises_the_default_rule(sqlite_engine):
    with transaction(sqlite_engine) as s:
        s.add(StockpileLot(mineral="gallium", quantity=2.0, unit="t",
                           expires=AS_OF + dt.timedelta(days=80), sharing="public"))
        s.flush()
        got = [e for e in monitor.run(session=s, caller=LOCAL, as_of=AS_OF)
               if e["rule"] == "default-stockpile-expiry-90d"]
    assert len(got) == 1 and got[0]["value"] == 2.0 and "within 90 days" in got[0]["message"]


def test_supplier_file_errors_name_file_row_and_field(tmp_path: Path):
    bundled = svc.load_suppliers("gallium")
    assert {r["country"] for r in bundled["rows"]} >= {"JPN", "RUS", "DEU"}
    assert all(s.price_usd_per_t == 580_000 for s in bundled["suppliers"])
    assert all(r["capacity_source"] for r in bundled["rows"])
    bad = tmp_path / "sup.yaml"
    bad.write_text("suppliers:\n  - {name: X, country: JPN, capacity_t_per_year: 5}\n")
    with pytest.raises(svc.StockpileError, match=r"sup.yaml: supplier 1: field "
                       r"'lead_time_months'"):
        svc.load_suppliers("gallium", bad)
    bad.write_text("suppliers:\n  - {name: X, country: JPN, capacity_t_per_year: lots, "
                   "lead_time_months: 1, price_usd_per_t: 5}\n")
    with pytest.raises(svc.StockpileError, match="supplier 1 .'X'.: capacity"):
        svc.load_suppliers("gallium", bad)
    with pytest.raises(svc.StockpileError, match="mineral"):
        svc.load_suppliers("../../etc")


def test_requirement_both_ways_with_inputs():
    req = svc.requirement("gallium", seed=1)
    assert req["demand"]["value_t_per_year"] == pytest.approx(19.0)
    assert "Consumption" in req["demand"]["source"]
    assert [r["requirement_t"] for r in req["months_of_demand"]] == pytest.approx([9.5, 19.0])
    sf = req["shortfall"]
    assert sf["requirement_t"] == pytest.approx(sf["shortfall_t_per_year"])  # 12 months
    # the US share of the market shortfall: share x US consumption, not the market's tonnes
    assert sf["shortfall_t_per_year"] == pytest.approx(sf["shortfall_share"] * 19.0)
    assert 0 < sf["shortfall_t_per_year"] < 19.0


def test_plan_with_bundled_suppliers(sqlite_engine, tmp_path: Path):
    with transaction(sqlite_engine) as s:
        ok = svc.make_plan(s, LOCAL, mineral="gallium", target_t=50, years=5,
                           shelf_life_years=1, exclude_origins=["CHN"], seed=2, n_paths=8,
                           as_of=AS_OF, disruption=False)
        only = tmp_path / "jpn.yaml"
        only.write_text("price_usd_per_t: 580000\nsuppliers:\n  - {name: Japan, country: JPN, "
                        "capacity_t_per_year: 7, lead_time_months: 3}\n")
        short = svc.make_plan(s, LOCAL, mineral="gallium", target_t=50, years=5,
                              shelf_life_years=1, seed=2, n_paths=4, as_of=AS_OF,
                              suppliers_file=only, disruption=False)
    assert ok["feasible"] and ok["inventory_t"][-1] >= 50 - 1e-6
    assert ok["cost_usd"]["p10"] <= ok["cost_usd"]["p50"] <= ok["cost_usd"]["p90"]
    assert not short["feasible"]
    assert "at most 7.0 t" in short["why_infeasible"] and "50.0 t" in short["why_infeasible"]
    assert short["probability_meeting_target"] == 0.0
