"""The scrap exchange page over real HTTP: matches with legality and reasons, the nav
link and the JSON twin, the listing form and accept/decline buttons for a logged-in
editor (CSRF-checked), a friendly 409 for a stale version, a hostile partner who never sees
a private lot, and the page in Chinese."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from web_support import ARTIFACTS, csrf_of, login, running

import live_http
from critmin.ingest.curated import load_curated
from critmin.ingest.datasets import ensure_datasets
from critmin.services import auth
from critmin.services import scrap as svc
from critmin.services.auth import Caller, Role
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import make_engine, transaction
from critmin.store.migrate import upgrade


def _offer(**over):
    return {"side": "offer", "mineral": "tungsten", "scrap_types": ["carbide_inserts"],
            "grade_pct": 88.0, "quantity_t": 20.0, "country": "DEU", "lat": 51.05,
            "lon": 13.74, "available_from": "2026-01-01", "sharing": "public", **over}  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('scrapweb') / 'critmin.db'}"
    upgrade(url)
    eng = make_engine(url)
    tokens = {}
    with transaction(eng) as s:
        sync_catalogue(s)
        ensure_datasets(s)
        load_curated(s)
        for name in ("Recycler", "Buyer", "Hostile"):
            org = auth.create_org(session=s, name=name, groups=["MSP"])
            tokens[name] = auth.create_token(session=s, org_name=name, role="editor")[1]
        ids = {n: auth.get_org(session=s, name=n).id for n in tokens}
        rec = Caller(org_id=ids["Recycler"], org_name="Recycler", role=Role.EDITOR)
        buy = Caller(org_id=ids["Buyer"], org_name="Buyer", role=Role.EDITOR)
        svc.create_listing(session=s, caller=rec, data=_offer(reference="DE-INS"))
        svc.create_listing(session=s, caller=rec, data=_offer(
            reference="SECRET-LOT", sharing="owner", quantity_t=7.0))  # fmt: skip
        svc.create_listing(session=s, caller=buy, data={
            "side": "request", "mineral": "tungsten", "reference": "US-RQ",
            "scrap_types": ["carbide_inserts"], "grade_min_pct": 85.0, "grade_max_pct": 95.0,
            "quantity_t": 15.0, "country": "USA", "lat": 40.32, "lon": -79.38,
            "available_from": "2026-02-01", "sharing": "public"})  # fmt: skip
        svc.create_listing(session=s, caller=rec, data=_offer(reference="DE-INS-B",
                                                              quantity_t=5.0))  # fmt: skip
        svc.create_listing(session=s, caller=buy, data={
            "side": "request", "mineral": "tungsten", "reference": "US-RQ-B",
            "scrap_types": ["carbide_inserts"], "grade_min_pct": 80.0, "quantity_t": 5.0,
            "country": "USA", "available_from": "2026-02-01", "sharing": "public"})  # fmt: skip
        del org
    eng.dispose()
    with running(url) as base:
        yield base, tokens


def test_page_shows_matches_with_legality_and_the_nav_link(site):
    base, _tokens = site
    r = live_http.get(
        f"{base}/scrap", params={"mineral": "tungsten", "as_of": "2026-03-01"}, timeout=60
    )
    assert r.status_code == 200, r.text
    page = r.text
    assert 'href="/scrap" aria-current="page"' in page and "Scrap exchange" in page
    assert "DE-INS" in page and "US-RQ" in page and "Allowed" in page
    assert "Grade 88 % lies within the requested 85–95 %" in page
    assert "SECRET-LOT" not in page  # anonymous: public lots only
    assert "/api/v1/scrap/matches?mineral=tungsten" in page
    assert "Log in with an editor token" in page and 'action="/scrap/decide"' not in page
    zh = live_http.get(f"{base}/scrap", params={"mineral": "tungsten", "lang": "zh"}, timeout=60)
    assert "废料交易" in zh.text and "撮合" in zh.text
    assert "运输成本按每吨公里 0.1 美元计算" in zh.text


def test_editor_lists_a_lot_and_accepts_with_csrf_and_versions(site):
    base, tokens = site
    with live_http.client(base_url=base, timeout=60) as client:
        assert login(client, tokens["Buyer"]).status_code in (200, 303)
        page = client.get("/scrap", params={"mineral": "tungsten", "as_of": "2026-03-01"}).text
        assert 'id="listing-form"' in page and 'action="/scrap/decide"' in page
        token = csrf_of(page)
        refused = client.post("/scrap/listings", data={"side": "request"})
        assert refused.status_code == 403
        bad = client.post("/scrap/listings", data={
            "csrf_token": token, "side": "request", "mineral": "tungsten",
            "type_carbide_inserts": "on", "grade_min_pct": "90", "grade_max_pct": "80",
            "quantity_t": "5", "country": "USA", "available_from": "2026-02-01"})  # fmt: skip
        assert bad.status_code == 422 and "must not be below grade_min_pct" in bad.text
        ok = client.post("/scrap/listings", data={
            "csrf_token": token, "side": "request", "mineral": "tungsten",
            "reference": "WEB-RQ", "type_solid_carbide": "on", "grade_min_pct": "80",
            "quantity_t": "5", "country": "CAN", "available_from": "2026-02-01",
            "std_iso_14001": "on", "sharing": "partners"})  # fmt: skip
        assert ok.status_code == 303, ok.text
        listed = client.get("/api/v1/scrap/listings", params={"side": "request"}).json()
        web = [x for x in listed["listings"] if x["reference"] == "WEB-RQ"][0]
        assert web["required_standards"] == ["iso_14001"] and web["sharing"] == "partners"
        form = {"csrf_token": token, "action": "accept", "mineral": "tungsten",
                "as_of": "2026-03-01", "offer_id": "1", "request_id": "3",
                "offer_version": "9", "request_version": "1"}  # fmt: skip
        stale = client.post("/scrap/decide", data=form)
        assert stale.status_code == 409 and "no longer at version 9" in stale.text
        done = client.post("/scrap/decide", data={**form, "offer_version": "1"})
        assert done.status_code == 303 and "saved=accept" in done.headers["location"]
        after = client.get(done.headers["location"]).text
        assert "Match accepted." in after and "accepted" in after


def test_hostile_partner_never_sees_the_private_lot(site):
    base, tokens = site
    with live_http.client(base_url=base, timeout=60) as client:
        login(client, tokens["Hostile"])
        page = client.get("/scrap", params={"mineral": "tungsten"}).text
        assert "SECRET-LOT" not in page and ">7.0<" not in page
    with live_http.client(base_url=base, timeout=60) as client:
        login(client, tokens["Recycler"])
        assert "SECRET-LOT" in client.get("/scrap", params={"mineral": "tungsten"}).text


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Chromium at /usr/bin/chromium (required when CI is set)",
)
def test_decline_in_a_real_browser_in_chinese(site):
    from playwright.sync_api import sync_playwright

    base, tokens = site
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
        page = browser.new_context(base_url=base).new_page()
        page.goto("/login")
        page.get_by_label("API token").fill(tokens["Recycler"])
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/")
        page.goto("/scrap?mineral=tungsten&as_of=2026-03-01&lang=zh")
        assert page.get_by_role("heading", name="废料交易", exact=True).is_visible()
        button = page.locator('button[value^="decline-"]').first
        assert button.inner_text() == "拒绝"
        button.click()
        page.wait_for_url("**saved=decline**")
        assert page.locator("#notice").inner_text() == "撮合已拒绝。"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "scrap-zh.png"), full_page=True)
        assert (ARTIFACTS / "scrap-zh.png").stat().st_size > 10_000
        browser.close()
