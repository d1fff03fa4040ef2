"""Offtake service: stored projects and agreements through the caller's view (a hostile
partner's private records never change another organisation's numbers nor appear in
them), spec errors naming the field, the worked examples."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from critmin.services import auth
from critmin.services import offtake as svc
from critmin.services.auth import ANONYMOUS, Caller, Role
from critmin.services.offtake_spec import SpecError
from critmin.store.db import transaction
from critmin.store.tables import OfftakeAgreement, Project

EXAMPLES = Path(svc.__file__).parents[1] / "data" / "reference" / "offtake"
SPEC = {
    "mineral": "gallium", "start_year": 2027, "years": 4, "draws": 300,
    "price_model": {"kind": "lognormal", "start": 600, "mu": 0, "sigma": 0.4},
    "floor": {"kind": "fixed", "value": 500},
    "projects": [{"key": "pub-ga", "unit_cost": 400, "offered_share": 1.0}],
    "buyers": [{"name": "Consortium buyer", "commitments": {"pub-ga": 10}}],
    "agreements": "from_store",
}


def _seed(s):
    orgs = {n: auth.create_org(session=s, name=n, groups=g)
            for n, g in (("Alpha", ["MSP"]), ("Beta", ["MSP"]), ("Gamma", []))}
    pub = Project(key="pub-ga", name="Public gallium", mineral="gallium", stage="extraction",
                  country="CAN", status="construction", capacity_tpa=30.0, start_year=2027,
                  sharing="public", owner_org_id=None, section_sharing={})
    secret = Project(key="alpha-secret", name="Alpha secret plant", mineral="gallium",
                     stage="extraction", country="USA", status="financed", capacity_tpa=50.0,
                     sharing="owner", owner_org_id=orgs["Alpha"].id, section_sharing={})
    s.add_all([pub, secret])
    s.flush()
    for buyer, sharing in (("Alpha partners buyer", "partners"), ("Alpha own buyer", "owner")):
        s.add(OfftakeAgreement(project_id=pub.id, buyer=buyer, mineral="gallium",
                               volume_tpa=8.0, floor_price=900.0, price_unit="USD/kg",
                               sharing=sharing, owner_org_id=orgs["Alpha"].id))
    s.flush()
    return {n: Caller(org_id=o.id, org_name=o.name, role=Role.VIEWER,
                      partner_org_ids=auth.partner_ids(session=s, org_id=o.id))
            for n, o in orgs.items()}


def test_hostile_partner_records_never_change_numbers(engine):
    with transaction(engine) as s:
        callers = _seed(s)
        runs = {who: svc.simulate(SPEC, seed=3, session=s, caller=c)
                for who, c in {**callers, "anonymous": ANONYMOUS}.items()}
        base = runs["Gamma"]
        # outsiders: only the public project and the spec's own buyer
        for who in ("Gamma", "anonymous"):
            assert [b["name"] for b in runs[who]["buyers"]] == ["Consortium buyer"]
            assert "Alpha" not in repr(runs[who])
        assert runs["anonymous"]["buyers"] == base["buyers"]
        assert runs["anonymous"]["producers"] == base["producers"]
        # a partner sees the partners-only agreement, not the owner-only one
        assert [b["name"] for b in runs["Beta"]["buyers"]] == ["Consortium buyer",
                                                              "Alpha partners buyer"]
        assert "Alpha own buyer" not in repr(runs["Beta"])
        assert len(runs["Alpha"]["buyers"]) == 3
        # the extra floor at 900 changes the producer's revenue for those who see it
        assert (runs["Alpha"]["producers"][0]["revenue_usd"]["mean"]
                > base["producers"][0]["revenue_usd"]["mean"])
        # a hidden project reads exactly like a missing one
        errs = {}
        for key in ("alpha-secret", "no-such-project"):
            spec = copy.deepcopy(SPEC)
            spec["projects"][0]["key"] = key
            spec["buyers"][0]["commitments"] = {key: 10}
            with pytest.raises(SpecError) as bad:
                svc.simulate(spec, seed=3, session=s, caller=callers["Gamma"])
            errs[key] = bad.value.errors[0]["problem"].replace(key, "K")
        assert errs["alpha-secret"] == errs["no-such-project"]
        # its owner can use it
        spec = copy.deepcopy(SPEC)
        spec["projects"][0]["key"] = "alpha-secret"
        spec["buyers"][0]["commitments"] = {"alpha-secret": 10}
        got = svc.simulate(spec, seed=3, session=s, caller=callers["Alpha"])
        assert got["producers"][0]["completion_p"] == pytest.approx(0.60)  # status financed


def test_stored_project_takes_outlook_defaults(sqlite_engine):
    with transaction(sqlite_engine) as s:
        callers = _seed(s)
        got = svc.simulate(SPEC, seed=1, session=s, caller=callers["Gamma"])
    p = got["producers"][0]
    assert p["completion_p"] == pytest.approx(0.80) and p["capacity_tpa"] == 30.0
    assert p["stored"] is True


def test_spec_errors_name_the_field():
    bad = copy.deepcopy(SPEC)
    bad["price_model"]["sigma"] = -1
    bad["projects"] = [{"name": "x", "unit_cost": 1}]
    with pytest.raises(SpecError) as exc:
        svc.simulate(bad, seed=0)
    fields = {e["field"] for e in exc.value.errors}
    assert "price_model.sigma" in fields
    spec = copy.deepcopy(SPEC)
    spec["projects"] = [{"name": "x", "unit_cost": 1, "completion_p": 0.5,
                         "mean_delay_years": 0}]
    spec["agreements"] = "none"
    with pytest.raises(SpecError) as exc:
        svc.simulate(spec, seed=0)
    assert exc.value.errors[0]["field"] == "projects.0.capacity_tpa"
    spec["projects"][0]["capacity_tpa"] = 5
    with pytest.raises(SpecError, match=r"buyers\.0\.commitments\.pub-ga"):
        svc.simulate(spec, seed=0)
    with pytest.raises(SpecError, match="body"):
        svc.simulate("- a list", seed=0)


def test_worked_example_runs_and_is_seeded():
    a = svc.simulate(EXAMPLES / "gallium_consortium.yaml", seed=7)
    b = svc.simulate(EXAMPLES / "gallium_consortium.yaml", seed=7)
    assert a == b
    assert [x["name"] for x in a["buyers"]] == ["Defense Logistics Agency (DLA)", "JOGMEC",
                                                "EIT RawMaterials"]
    prod = a["producers"][0]
    assert prod["revenue_usd"]["mean"] >= prod["revenue_no_floor_usd"]["mean"]
    assert prod["p_loss_year"] <= prod["p_loss_year_no_floor"]
    assert prod["completion_p_with_floor"] > prod["completion_p"]  # floor above reference
    assert a["benchmark"]["start"] == pytest.approx(687 * 0.5)
    assert a["assumptions"]
    # DLA (tier 1) is served first: never less than its commitment share of the others
    dla, jog = a["buyers"][0]["volume_t"]["mean"], a["buyers"][1]["volume_t"]["mean"]
    assert dla / 15 >= jog / 8 - 1e-9


def test_benchmark_start_in_cny_uses_fx_table():
    spec = copy.deepcopy(SPEC)
    spec.update(agreements="none", projects=[{"name": "P", "capacity_tpa": 10, "unit_cost": 1,
                                              "completion_p": 1, "mean_delay_years": 0}],
                buyers=[{"name": "B", "commitments": {"P": 5}}],
                benchmark={"name": "China domestic", "start": {"value": 2000, "unit": "CNY/kg",
                                                               "date": "2023"}},
                floor={"kind": "indexed", "margin_pct": 10})
    got = svc.simulate(spec, seed=0)
    assert got["benchmark"]["start"] == pytest.approx(2000 / 7.0809)  # FRB 2023 average
    assert got["benchmark"]["fx"]["rate"] == pytest.approx(7.0809)


def test_retrofit_example_ranks_and_support_helps():
    r = svc.retrofit(EXAMPLES / "retrofits.yaml", seed=7)
    ranks = [c["rank"] for c in r["candidates"]]
    assert ranks == [1, 2]
    costs = [c["public_cost_per_t_secured"] for c in r["candidates"]]
    assert costs == sorted(costs)
    for c in r["candidates"]:
        assert c["npv_supported_usd"]["mean"] > c["npv_usd"]["mean"]
        assert c["p_npv_positive_supported"] >= c["p_npv_positive"]
    assert np.isfinite(costs[0])


def test_fit_from_stored_usgs_unit_values(bundled_db_url):
    from sqlalchemy import select as sql_select

    from critmin.analytics.price_paths import fit_annual
    from critmin.store.db import make_engine
    from critmin.store.tables import PriceObservation, PriceSeries

    engine = make_engine(bundled_db_url)
    with transaction(engine) as s:
        series = s.scalars(sql_select(PriceSeries).where(
            PriceSeries.key == "usgs-gallium-import-unit-value")).one()
        levels = [o.value for o in s.scalars(sql_select(PriceObservation).where(
            PriceObservation.series_id == series.id, PriceObservation.kind == "level")
            .order_by(PriceObservation.date))]
        spec = copy.deepcopy(SPEC)
        spec.update(agreements="none", price_model={"kind": "fit_annual",
                                                    "series": "usgs-gallium-import-unit-value"},
                    projects=[{"name": "P", "capacity_tpa": 10, "unit_cost": 1,
                               "completion_p": 1, "mean_delay_years": 0}],
                    buyers=[{"name": "B", "commitments": {"P": 5}}])
        got = svc.simulate(spec, seed=0, session=s, caller=ANONYMOUS)
    engine.dispose()
    assert series.unit == "USD/kg"
    mu, sigma = fit_annual(levels)
    used = got["price_model"]
    assert used["mu"] == pytest.approx(mu) and used["sigma"] == pytest.approx(sigma)
    assert used["start"] == pytest.approx(levels[-1]) and used["observations"] == len(levels)
