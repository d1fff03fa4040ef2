"""``critmin scrap``: offers and requests from the documented CSV and JSON examples, the
match contract (offer, request, quantity_t, legal with verdict and measures, score,
reasons) over the bundled export controls, atomic imports that never widen sharing,
accept/decline with versions, and the history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.ingest.curated import load_curated
from critmin.ingest.datasets import ensure_datasets
from critmin.services import auth
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import make_engine, transaction
from critmin.store.migrate import upgrade

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
OFFERS = EXAMPLES / "scrap-offers-example.csv"
REQUESTS = EXAMPLES / "scrap-requests-example.json"
TUNGSTEN = "cn-2025-02-tungsten-export-controls"


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    upgrade(url)
    eng = make_engine(url)
    with transaction(eng) as s:
        sync_catalogue(s)
        ensure_datasets(s)
        load_curated(s)
        auth.create_org(session=s, name="Recycler", groups=["MSP"])
        auth.create_org(session=s, name="Buyer", groups=["MSP"])
    eng.dispose()
    return url


def invoke(*args: str):
    return runner.invoke(app, ["scrap", *args], catch_exceptions=False)


def _load(db):
    res = invoke("offer", str(OFFERS), "--org", "Recycler", "--db", db)
    assert res.exit_code == 0, res.output
    assert "3 offer(s) created, 0 updated" in res.stdout
    res = invoke("request", str(REQUESTS), "--org", "Buyer", "--db", db, "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["created"] == 2


def test_match_json_contract_with_legality(db):
    _load(db)
    res = invoke("match", "--mineral", "tungsten", "--format", "json", "--as-of", "2026-03-01",
                 "--db", db)  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert isinstance(out, list) and len(out) == 2
    for m in out:
        assert {"offer", "request", "quantity_t", "legal", "score", "reasons"} <= set(m)
        assert {"verdict", "measures"} <= set(m["legal"])
    by = {(m["offer"]["reference"], m["request"]["reference"]): m for m in out}
    carbide = by[("DE-INS-01", "US-RQ-CARBIDE")]
    # Germany -> United States: no recorded measure; 15 t = min(20 offered, 15 requested)
    assert carbide["legal"]["verdict"] == "allowed" and carbide["quantity_t"] == 15
    assert carbide["status"] == "proposed"
    sludge = by[("CN-SLU-03", "JP-RQ-SLUDGE")]
    # China -> Japan on 1 March 2026: China's February 2025 tungsten export controls
    assert sludge["legal"]["verdict"] == "licence_required"
    assert TUNGSTEN in [x["key"] for x in sludge["legal"]["measures"] if x["decides"]]
    assert sludge["quantity_t"] == 25 and sludge["distance_km"] is None
    res = invoke("match", "--mineral", "tungsten", "--format", "json", "--as-of", "2026-03-01",
                 "--include-rejected", "--db", db)  # fmt: skip
    rejected = [m for m in json.loads(res.stdout) if m.get("compatible") is False]
    heavy = [m for m in rejected if m["offer"]["reference"] == "US-WHA-07"]
    assert len(heavy) == 2 and all("Scrap type mismatch" in m["reasons"][0] for m in heavy)
    table = invoke("match", "--mineral", "tungsten", "--as-of", "2026-03-01", "--db", db)
    assert table.exit_code == 0 and "USD per tonne-kilometre" in table.stdout


def test_bad_row_names_file_row_column_and_writes_nothing(db, tmp_path):
    bad = tmp_path / "offers.csv"
    lines = OFFERS.read_text().splitlines()
    lines[2] = lines[2].replace(",92,", ",140,")  # row 3: US-WHA-07 at 140 %
    bad.write_text("\n".join(lines) + "\n")
    res = invoke("offer", str(bad), "--org", "Recycler", "--db", db)
    assert res.exit_code == 1
    assert "offers.csv, row 3, column 'grade_pct': got '140'" in res.output
    assert "less than or equal to 100" in res.output and "nothing was imported" in res.output
    listed = invoke("listings", "--db", db, "--format", "json")
    assert json.loads(listed.stdout) == []
    unknown = tmp_path / "o.csv"
    unknown.write_text("mineral,scrap_types,quantity_t,country,available_from,colour\n")
    res = invoke("offer", str(unknown), "--org", "Recycler", "--db", db)
    assert res.exit_code == 1 and "row 1, column 'colour'" in res.output
    res = invoke("offer", str(OFFERS), "--db", db)
    assert res.exit_code == 2 and "--org" in res.output


def test_reimport_never_widens_sharing(db, tmp_path):
    _load(db)
    wider = tmp_path / "again.csv"
    wider.write_text(OFFERS.read_text().replace(",partners,", ",public,"))
    res = invoke("offer", str(wider), "--org", "Recycler", "--db", db)
    assert res.exit_code == 0 and "0 offer(s) created, 3 updated" in res.stdout
    rows = json.loads(invoke("listings", "--db", db, "--format", "json").stdout)
    (de,) = [r for r in rows if r["reference"] == "DE-INS-01"]
    assert de["sharing"] == "partners" and de["version"] == 2


def test_accept_decline_versions_and_history(db):
    _load(db)
    rows = json.loads(invoke("listings", "--db", db, "--format", "json").stdout)
    ref = {r["reference"]: r for r in rows}
    o, r = ref["DE-INS-01"], ref["US-RQ-CARBIDE"]
    args = ["--offer", str(o["id"]), "--request", str(r["id"]), "--as-of", "2026-03-01",
            "--db", db]  # fmt: skip
    stale = invoke("accept", *args, "--offer-version", "5", "--request-version", "1",
                   "--org", "Buyer")  # fmt: skip
    assert stale.exit_code == 1 and "no longer at version 5" in stale.output
    ok = invoke("accept", *args, "--offer-version", "1", "--request-version", "1",
                "--org", "Buyer", "--reason", "fits our furnace")  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "accepted (15 t)" in ok.stdout and "offer 2, request 2" in ok.stdout
    again = invoke("accept", *args, "--offer-version", "2", "--request-version", "2",
                   "--org", "Buyer")  # fmt: skip
    assert again.exit_code == 1 and "already accepted" in again.output
    local = invoke("decline", "--offer", str(ref["CN-SLU-03"]["id"]), "--request",
                   str(ref["JP-RQ-SLUDGE"]["id"]), "--offer-version", "1",
                   "--request-version", "1", "--db", db)  # fmt: skip
    assert local.exit_code == 1 and "editor" in local.output
    hist = json.loads(invoke("history", "--listing", str(o["id"]), "--db", db,
                             "--format", "json").stdout)  # fmt: skip
    assert [(h["action"], h["by"], h["reason"]) for h in hist] == [
        ("accept", "Buyer (editor)", "fits our furnace")
    ]
    left = {x["reference"]: x for x in json.loads(
        invoke("listings", "--db", db, "--format", "json").stdout)}  # fmt: skip
    assert left["DE-INS-01"]["free_t"] == 5 and left["US-RQ-CARBIDE"]["status"] == "matched"


def _reasons_zh(db: str) -> str:
    """The reasons of the licensed matches, built in Chinese by the service."""
    from critmin import i18n
    from critmin.services import scrap_match
    from critmin.services.auth import LOCAL
    from critmin.store.db import make_engine, transaction

    engine = make_engine(db)
    try:
        with i18n.use_language("zh"), transaction(engine) as s:
            out = scrap_match.matches(session=s, caller=LOCAL, mineral="tungsten")
    finally:
        engine.dispose()
    licensed = [r for r in out["matches"] if r["legal"]["verdict"] == "licence_required"]
    assert licensed
    reasons = [x for r in licensed for x in r["reasons"] if x.startswith("需要出口许可证")]
    assert reasons and not any("Licence required:" in x for x in reasons)
    return " ".join(reasons)


def test_messages_in_chinese(db):
    from critmin import i18n

    try:
        res = runner.invoke(app, ["--lang", "zh", "scrap", "offer", str(OFFERS), "--org",
                                  "Recycler", "--db", db])  # fmt: skip
        assert res.exit_code == 0 and "新建报盘 3 条，更新 0 条" in res.stdout
        res = runner.invoke(app, ["--lang", "zh", "scrap", "match", "--mineral", "tungsten",
                                  "--db", db])  # fmt: skip
        assert res.exit_code == 0 and "运输成本按每吨公里 0.1 美元计算" in res.stdout
        assert invoke("request", str(REQUESTS), "--org", "Buyer", "--db", db).exit_code == 0
        res = runner.invoke(app, ["--lang", "zh", "scrap", "match", "--mineral", "tungsten",
                                  "--db", db])  # fmt: skip
        assert "钨废料撮合" in res.stdout and "tungsten" not in res.stdout.split("\n")[0]
        # a reason names the deciding measures by title, without the engine's English frame
        assert "需要出口许可证（China export controls on selected tungsten" in _reasons_zh(db)
        # JSON and CSV are data: the same in every language
        for fmt in ("json", "csv"):
            args = ["scrap", "match", "--mineral", "tungsten", "--db", db, "--format", fmt]
            en, zh = runner.invoke(app, args), runner.invoke(app, ["--lang", "zh", *args])
            assert en.exit_code == zh.exit_code == 0 and zh.stdout == en.stdout
            listed = ["scrap", "listings", "--db", db, "--format", fmt]
            assert runner.invoke(app, ["--lang", "zh", *listed]).stdout == runner.invoke(
                app, listed).stdout
        res = runner.invoke(
            app,
            [
                "--lang",
                "zh",
                "scrap",
                "accept",
                "--offer",
                "99",
                "--request",
                "98",
                "--offer-version",
                "1",
                "--request-version",
                "1",
                "--org",
                "Buyer",
                "--db",
                db,
            ],
        )
        assert res.exit_code == 1 and "没有编号为 99 的废料挂牌" in res.output
    finally:
        i18n.set_language("en")
