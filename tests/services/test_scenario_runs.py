"""Saved scenario runs on SQLite and PostgreSQL: what is stored comes back unchanged,
with the data versions read from the datasets table and the defaults files; owner-only
runs stay invisible to a hostile partner (a 404 like a missing one)."""

from __future__ import annotations

import hashlib

import pytest

from critmin.ingest.datasets import ensure_datasets
from critmin.ingest.scenario_defaults import DEFAULTS_DIR
from critmin.services import auth
from critmin.services import scenario as scenario_svc
from critmin.services import scenario_runs as svc
from critmin.services.auth import ANONYMOUS, LOCAL, Caller, Role
from critmin.services.entities import NotFound
from critmin.services.tracker import Forbidden
from critmin.store.db import transaction

SPEC = {"mineral": "gallium", "country": "CHN", "level": 1.0, "seed": 3, "draws": 200}


def _ban():
    return scenario_svc.ban("gallium", "CHN", 1.0, seed=3, n_draws=200)


def _callers(s):
    a = auth.create_org(session=s, name="Alpha", groups=["MSP"])
    b = auth.create_org(session=s, name="Beta", groups=["MSP"])
    return tuple(Caller(org_id=o.id, org_name=o.name, role=Role.EDITOR,
                        partner_org_ids=auth.partner_ids(session=s, org_id=o.id))
                 for o in (a, b))  # fmt: skip


def test_saved_run_reloads_with_its_data_versions(engine):
    result = _ban()
    with transaction(engine) as s:
        ensure_datasets(s)
        saved = svc.save(session=s, caller=LOCAL, kind="ban", spec=SPEC, results=result)
    with transaction(engine) as s:
        run = svc.get_run(session=s, caller=ANONYMOUS, run_id=saved["id"])
        listed = svc.list_runs(session=s, caller=ANONYMOUS)
    assert run["results"] == result and run["spec"] == SPEC and run["kind"] == "ban"
    assert (run["sharing"], run["owner_org_id"], run["minerals"]) == ("public", None, ["gallium"])
    versions = {v.get("dataset") or v["file"]: v for v in run["data_versions"]}
    assert versions["usgs-mcs2026-gallium"]["version"].startswith("MCS 2026")
    assert versions["bea-io-2017"]["title"]
    sha = hashlib.sha256((DEFAULTS_DIR / "gallium.yaml").read_bytes()).hexdigest()
    assert versions["reference/scenario_defaults/gallium.yaml"]["sha256"] == sha
    assert [r["id"] for r in listed] == [saved["id"]] and "results" not in listed[0]


def test_sweep_and_spec_runs_name_their_minerals(engine):
    sweep = scenario_svc.sweep("gallium", "CHN", [0.0, 1.0], seed=1, n_draws=100)
    with transaction(engine) as s:
        a = svc.save(session=s, caller=LOCAL, kind="sweep", spec={"levels": [0, 1]},
                     results=sweep)
        b = svc.save(session=s, caller=LOCAL, kind="spec", spec={"scenarios": []},
                     results=[{"name": "x", "results": sweep}])
        assert a["minerals"] == b["minerals"] == ["gallium"]
        assert [r["kind"] for r in svc.list_runs(session=s, caller=LOCAL)] == ["spec", "sweep"]
        assert [r["id"] for r in svc.list_runs(session=s, caller=LOCAL, kind="sweep")] == [a["id"]]
        # a dataset missing from this database is said so, never silently dropped
        assert any("not in this database" in v.get("note", "") for v in a["data_versions"])


def test_hostile_partner_never_sees_an_owner_only_run(engine):
    with transaction(engine) as s:
        alpha, beta = _callers(s)
        own = svc.save(session=s, caller=alpha, kind="ban", spec=SPEC, results={"x": 1})
        shared = svc.save(session=s, caller=alpha, kind="ban", spec=SPEC, results={"x": 2},
                          sharing="partners")
        assert own["sharing"] == "owner" and own["owner_org_id"] == alpha.org_id
        with pytest.raises(NotFound, match=f"no scenario run {own['id']}$"):
            svc.get_run(session=s, caller=beta, run_id=own["id"])
        with pytest.raises(NotFound, match="no scenario run 999999$"):
            svc.get_run(session=s, caller=beta, run_id=999999)
        assert [r["id"] for r in svc.list_runs(session=s, caller=beta)] == [shared["id"]]
        assert svc.get_run(session=s, caller=beta, run_id=shared["id"])["results"] == {"x": 2}
        assert svc.list_runs(session=s, caller=ANONYMOUS) == []
        assert len(svc.list_runs(session=s, caller=alpha)) == 2
        with pytest.raises(NotFound):
            svc.get_run(session=s, caller=ANONYMOUS, run_id=own["id"])


def test_anonymous_cannot_save_and_bad_values_are_named(engine):
    with transaction(engine) as s:
        with pytest.raises(Forbidden, match="authenticated organisation"):
            svc.save(session=s, caller=ANONYMOUS, kind="ban", spec={}, results={})
        with pytest.raises(ValueError, match="kind: expected one of ban, sweep, spec, got 'x'"):
            svc.save(session=s, caller=LOCAL, kind="x", spec={}, results={})
        with pytest.raises(ValueError, match="sharing: expected .* got 'all'"):
            svc.save(session=s, caller=LOCAL, kind="ban", spec={}, results={}, sharing="all")
        with pytest.raises(TypeError):
            svc.list_runs(session=s, caller=None)
        assert svc.list_runs(session=s, caller=LOCAL) == []
