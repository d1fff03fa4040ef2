"""``critmin scrap change``, ``withdraw`` and ``unmatch`` on a real SQLite database: the
version guards every change (a stale one is refused and nothing changes), only the
owner's organisation changes or withdraws its listing (another one is refused, a hidden
listing is "not found" like a missing one), bad input names the field (exit 2), and an
accepted match is withdrawn with its version and reason."""

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


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    eng = make_engine(url)
    with transaction(eng) as s:
        sync_catalogue(s)
        ensure_datasets(s)
        load_curated(s)
        auth.create_org(session=s, name="Recycler", groups=["MSP"])
        auth.create_org(session=s, name="Buyer", groups=["MSP"])
        auth.create_org(session=s, name="Outsider")
    eng.dispose()
    for side, name, org in (("offer", "scrap-offers-example.csv", "Recycler"),
                            ("request", "scrap-requests-example.json", "Buyer")):  # fmt: skip
        res = invoke(side, str(EXAMPLES / name), "--org", org, "--db", url)
        assert res.exit_code == 0, res.output
    return url


def invoke(*args: str):
    return runner.invoke(app, ["scrap", *args], catch_exceptions=False)


def listings(db: str) -> dict[str, dict]:
    res = invoke("listings", "--db", db, "--format", "json")
    return {r["reference"]: r for r in json.loads(res.stdout)}


def test_change_quantity_price_and_window_at_the_version_seen(db):
    de = listings(db)["DE-INS-01"]
    assert de["price_formula"] == "85% of APT mid" and de["version"] == 1
    res = invoke("change", str(de["id"]), "--version", "1", "--quantity", "25", "--price",
                 "31000", "--open-ended", "--org", "Recycler", "--db", db,
                 "--format", "json")  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert (out["quantity_t"], out["price_usd_per_t"], out["price_formula"]) == (25, 31000, None)
    assert out["available_to"] is None and out["version"] == 2 and out["side"] == "offer"
    table = invoke("change", str(de["id"]), "--version", "2", "--sharing", "public",
                   "--from", "2026-02-01", "--to", "2026-12-31", "--org", "Recycler",
                   "--db", db)  # fmt: skip
    assert table.exit_code == 0, table.output
    assert f"Scrap listing {de['id']} changed: now version 3" in table.stdout
    now = listings(db)["DE-INS-01"]
    assert (now["sharing"], now["available_from"], now["available_to"]) == (
        "public", "2026-02-01", "2026-12-31")  # fmt: skip


def test_stale_version_is_a_conflict_and_changes_nothing(db):
    de = listings(db)["DE-INS-01"]
    ok = invoke("change", str(de["id"]), "--version", "1", "--quantity", "22", "--org",
                "Recycler", "--db", db)  # fmt: skip
    assert ok.exit_code == 0, ok.output
    stale = invoke("change", str(de["id"]), "--version", "1", "--quantity", "30", "--org",
                   "Recycler", "--db", db)  # fmt: skip
    assert stale.exit_code == 1
    assert f"scrap listing {de['id']} is no longer at version 1" in stale.output
    assert "reload it and try again" in stale.output
    gone = invoke("withdraw", str(de["id"]), "--version", "1", "--org", "Recycler", "--db", db)
    assert gone.exit_code == 1 and "no longer at version 1" in gone.output
    now = listings(db)["DE-INS-01"]
    assert now["quantity_t"] == 22 and now["version"] == 2


def test_bad_input_names_the_field_with_exit_code_2(db):
    de = listings(db)["DE-INS-01"]
    base = [str(de["id"]), "--version", "1", "--org", "Recycler", "--db", db]
    neg = invoke("change", *base, "--quantity", "-5")
    assert neg.exit_code == 2 and "quantity_t" in neg.output
    back = invoke("change", *base, "--to", "2025-01-01")
    assert back.exit_code == 2 and "available_to" in back.output
    date = invoke("change", *base, "--from", "soon")
    assert date.exit_code == 2 and "available_from" in date.output
    both = invoke("change", *base, "--to", "2026-12-31", "--open-ended")
    assert both.exit_code == 2 and "--open-ended" in both.output
    nothing = invoke("change", *base)
    assert nothing.exit_code == 2 and "nothing to change" in nothing.output
    share = invoke("change", *base, "--sharing", "everyone")
    assert share.exit_code == 2 and "sharing" in share.output
    no_version = invoke("withdraw", str(de["id"]), "--org", "Recycler", "--db", db)
    assert no_version.exit_code == 2 and "--version" in no_version.output
    assert listings(db)["DE-INS-01"]["version"] == 1


def test_another_organisation_cannot_change_or_withdraw_the_listing(db):
    ref = listings(db)
    de, jp = ref["DE-INS-01"], ref["JP-RQ-SLUDGE"]  # Recycler's; Buyer's, partners only
    other = invoke("change", str(de["id"]), "--version", "1", "--quantity", "1", "--org",
                   "Buyer", "--db", db)  # fmt: skip
    assert other.exit_code == 1
    assert "only editors of the organisation that owns this listing may change it" in other.output
    other = invoke("withdraw", str(de["id"]), "--version", "1", "--org", "Buyer", "--db", db)
    assert other.exit_code == 1 and "may withdraw it" in other.output
    local = invoke("withdraw", str(de["id"]), "--version", "1", "--db", db)
    assert local.exit_code == 1 and "may withdraw it" in local.output
    # the outsider is no partner: Buyer's partners-only request is as missing as id 9999
    hidden = invoke("withdraw", str(jp["id"]), "--version", "1", "--org", "Outsider", "--db", db)
    missing = invoke("withdraw", "9999", "--version", "1", "--org", "Outsider", "--db", db)
    assert hidden.exit_code == missing.exit_code == 1
    assert f"no scrap listing with id {jp['id']}" in hidden.output
    assert "JP-RQ" not in hidden.output and "Buyer" not in hidden.output
    after = listings(db)
    assert after["DE-INS-01"] == de and after["JP-RQ-SLUDGE"] == jp


def test_withdraw_a_listing(db):
    wha = listings(db)["US-WHA-07"]
    res = invoke("withdraw", str(wha["id"]), "--version", "1", "--org", "Recycler", "--db", db)
    assert res.exit_code == 0, res.output
    assert f"scrap listing {wha['id']} withdrawn" in res.stdout
    assert "US-WHA-07" not in listings(db)
    again = invoke("withdraw", str(wha["id"]), "--version", "2", "--org", "Recycler",
                   "--db", db, "--format", "json")  # fmt: skip
    assert again.exit_code == 1 and f"no scrap listing with id {wha['id']}" in again.output
    cn = listings(db)["CN-SLU-03"]
    res = invoke("withdraw", str(cn["id"]), "--version", "1", "--org", "Recycler", "--db", db,
                 "--format", "json")  # fmt: skip
    assert res.exit_code == 0 and json.loads(res.stdout) == {
        "id": cn["id"], "status": "withdrawn", "version": 2}  # fmt: skip


def test_unmatch_an_accepted_match(db):
    ref = listings(db)
    o, r = ref["DE-INS-01"], ref["US-RQ-CARBIDE"]
    acc = invoke("accept", "--offer", str(o["id"]), "--request", str(r["id"]),
                 "--offer-version", "1", "--request-version", "1", "--as-of", "2026-03-01",
                 "--org", "Buyer", "--db", db, "--format", "json")  # fmt: skip
    assert acc.exit_code == 0, acc.output
    match = json.loads(acc.stdout)
    shown = json.loads(invoke("match", "--mineral", "tungsten", "--as-of", "2026-03-01",
                              "--db", db, "--format", "json").stdout)  # fmt: skip
    (pair,) = [m for m in shown if m["offer"]["id"] == o["id"] and m["request"]["id"] == r["id"]]
    assert (pair["match_id"], pair["match_version"]) == (match["id"], match["version"])
    assert listings(db)["DE-INS-01"]["quantity_t"] == 20
    low = invoke("change", str(o["id"]), "--version", "2", "--quantity", "10", "--org",
                 "Recycler", "--db", db)  # fmt: skip
    assert low.exit_code == 2 and "must not be below the 15 t already matched" in low.output
    mid = str(match["id"])
    outsider = invoke("unmatch", mid, "--version", "1", "--org", "Outsider", "--db", db)
    assert outsider.exit_code == 1 and f"no scrap match with id {mid}" in outsider.output
    stale = invoke("unmatch", mid, "--version", "9", "--org", "Recycler", "--db", db)
    assert stale.exit_code == 1 and f"match {mid} is no longer at version 9" in stale.output
    assert listings(db)["DE-INS-01"]["free_t"] == 5
    ok = invoke("unmatch", mid, "--version", str(match["version"]), "--reason",
                "buyer's furnace is down", "--org", "Recycler", "--db", db)  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert f"match {mid} withdrawn: 15 t free again on offer {o['id']}" in ok.stdout
    after = listings(db)
    assert after["DE-INS-01"]["free_t"] == 20 and after["US-RQ-CARBIDE"]["status"] == "open"
    again = invoke("unmatch", mid, "--version", "2", "--org", "Recycler", "--db", db)
    assert again.exit_code == 1 and "only an accepted match can be withdrawn" in again.output
    hist = json.loads(invoke("history", "--match", mid, "--db", db, "--format", "json").stdout)
    assert [(h["action"], h["by"], h["reason"]) for h in hist][-1] == (
        "withdraw", "Recycler (editor)", "buyer's furnace is down")  # fmt: skip


def test_messages_in_chinese(db):
    from critmin import i18n

    de = listings(db)["DE-INS-01"]
    try:
        res = runner.invoke(app, ["--lang", "zh", "scrap", "change", str(de["id"]),
                                  "--version", "1", "--quantity", "21", "--org", "Recycler",
                                  "--db", db])  # fmt: skip
        assert res.exit_code == 0 and f"废料挂牌 {de['id']} 已修改：当前为第 2 版" in res.stdout
        res = runner.invoke(app, ["--lang", "zh", "scrap", "withdraw", str(de["id"]),
                                  "--version", "1", "--org", "Recycler", "--db", db])  # fmt: skip
        assert res.exit_code == 1 and "已不再是第 1 版" in res.output
        res = runner.invoke(app, ["--lang", "zh", "scrap", "withdraw", str(de["id"]),
                                  "--version", "2", "--org", "Recycler", "--db", db])  # fmt: skip
        assert res.exit_code == 0 and f"废料挂牌 {de['id']} 已撤回" in res.stdout
    finally:
        i18n.set_language("en")
