"""``critmin stockpile``: the plan's JSON contract, seeded determinism, the infeasible
reason, the adequacy report as JSON and HTML from one call, the inventory, and clear
errors (exit 2)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.store.db import make_engine, transaction
from critmin.store.migrate import upgrade
from critmin.store.tables import StockpileLot

runner = CliRunner()


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    upgrade(url)
    eng = make_engine(url)
    with transaction(eng) as s:
        s.add(StockpileLot(mineral="gallium", quantity=3.0, unit="t", location="Depot A",
                           expires=dt.date.today() + dt.timedelta(days=40)))
    eng.dispose()
    return url


def invoke(*args: str):
    return runner.invoke(app, ["stockpile", *args], catch_exceptions=False)


PLAN = ["plan", "--mineral", "gallium", "--target-t", "50", "--years", "5",
        "--shelf-life-years", "1", "--exclude-origin", "CHN", "--seed", "3", "--paths", "6",
        "--format", "json"]


def test_plan_json_contract_and_seeded(db):
    res = invoke(*PLAN, "--db", db)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["feasible"] is True and out["why_infeasible"] is None
    assert {"month", "supplier", "quantity_t", "cost_usd"} <= set(out["purchases"][0])
    assert isinstance(out["rotations"], list)
    assert set(out["cost_usd"]) >= {"p10", "p50", "p90"}
    assert len(out["coverage_months"]) == 60
    assert out["coverage_months"][-1] == pytest.approx(out["inventory_t"][-1] / (19 / 12))
    assert all(p["country"] != "CHN" for p in out["purchases"])
    again = json.loads(invoke(*PLAN, "--db", db).stdout)
    assert again["cost_usd"] == out["cost_usd"]


def test_budget_makes_it_infeasible_and_says_why(db):
    res = invoke(*PLAN, "--budget-usd", "5000000", "--db", db)
    out = json.loads(res.stdout)
    assert out["feasible"] is False and out["why_infeasible"].startswith("budget")
    assert sum(p["cost_usd"] for p in out["purchases"]
               if p["month_index"] >= 48) <= 5_000_000 + 1


def test_adequacy_json_and_html(db, tmp_path):
    js = invoke("adequacy", "--mineral", "gallium", "--years", "2", "--paths", "4",
                "--format", "json", "--db", db)
    assert js.exit_code == 0, js.output
    rep = json.loads(js.stdout)
    assert rep["inventory"]["total_t"] == 3.0 and len(rep["expiring_lots"]) == 1
    assert {"requirement", "coverage_now_months", "purchases_next_year", "risks"} <= set(rep)
    out = tmp_path / "r.html"
    html = invoke("adequacy", "--mineral", "gallium", "--years", "2", "--paths", "4",
                  "--format", "html", "-o", str(out), "--db", db)
    assert html.exit_code == 0, html.output
    text = out.read_text()
    assert text.startswith("<!doctype html>") and "chart-stockpile-data" in text
    assert "Depot A" not in text or "lot 1" in text


def test_inventory_and_errors(db):
    res = invoke("inventory", "--mineral", "gallium", "--format", "json", "--db", db)
    assert json.loads(res.stdout)["total_t"] == 3.0
    bad = invoke("plan", "--mineral", "unobtainium", "--target-t", "5", "--db", db)
    assert bad.exit_code == 2 and "unobtainium" in bad.output
