"""The scrap page's owner actions over real HTTP: the owner's editors (and nobody else)
see a withdraw button and a quantity/price form on their listings and a "withdraw
acceptance" form on their accepted matches; the forms are CSRF-checked and carry the
version, a stale one is a readable 409 on the page that changes nothing, and a hostile
organisation that posts the forms anyway gets 403 (a listing it may see) or 404 (one
hidden from it) and the listing stays as it was."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from web_support import csrf_of, login, running

import live_http
from critmin.ingest.curated import load_curated
from critmin.ingest.datasets import ensure_datasets
from critmin.services import auth
from critmin.services import scrap as svc
from critmin.services.auth import Caller, Role
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import make_engine, transaction
from critmin.store.migrate import upgrade

AS_OF = "2026-03-01"
PAGE = {"mineral": "tungsten", "as_of": AS_OF}


def _offer(**over):
    return {"side": "offer", "mineral": "tungsten", "scrap_types": ["carbide_inserts"],
            "grade_pct": 88.0, "quantity_t": 20.0, "country": "DEU", "lat": 51.05,
            "lon": 13.74, "available_from": "2026-01-01", "sharing": "public", **over}  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('scrapwd') / 'critmin.db'}"
    upgrade(url)
    eng = make_engine(url)
    tokens, ids = {}, {}
    with transaction(eng) as s:
        sync_catalogue(s)
        ensure_datasets(s)
        load_curated(s)
        for name in ("Recycler", "Buyer", "Hostile"):
            auth.create_org(session=s, name=name, groups=["MSP"])
            tokens[name] = auth.create_token(session=s, org_name=name, role="editor")[1]
        orgs = {n: auth.get_org(session=s, name=n).id for n in tokens}
        rec = Caller(org_id=orgs["Recycler"], org_name="Recycler", role=Role.EDITOR)
        buy = Caller(org_id=orgs["Buyer"], org_name="Buyer", role=Role.EDITOR)
        for ref, over in (("R-EDIT", {}), ("R-GONE", {"quantity_t": 5.0}),
                          ("R-SECRET", {"sharing": "owner", "quantity_t": 7.0}),
                          ("R-KEEP", {"quantity_t": 9.0, "price_usd_per_t": 30000.0})):  # fmt: skip
            made = svc.create_listing(session=s, caller=rec, data=_offer(reference=ref, **over))
            ids[ref] = made["id"]
        ids["B-RQ"] = svc.create_listing(session=s, caller=buy, data={
            "side": "request", "mineral": "tungsten", "reference": "B-RQ",
            "scrap_types": ["carbide_inserts"], "grade_min_pct": 85.0, "grade_max_pct": 95.0,
            "quantity_t": 4.0, "country": "USA", "available_from": "2026-02-01",
            "sharing": "public"})["id"]  # fmt: skip
    eng.dispose()
    with running(url) as base:
        yield base, tokens, ids


@contextmanager
def _client(base: str, token: str | None = None) -> Iterator[httpx.Client]:
    """A browser-like client, logged in with ``token`` (anonymous without)."""
    with live_http.client(base_url=base, timeout=60) as client:
        if token:
            assert login(client, token).status_code in (200, 303)
        yield client


def _listing(client, ref: str) -> dict | None:
    found = client.get("/api/v1/scrap/listings", params={"mine": "true"}).json()["listings"]
    return next((x for x in found if x["reference"] == ref), None)


def _actions(page: str) -> set[str]:
    return set(re.findall(r'action="(/scrap/(?:listings|matches)/\d+/\w+)"', page))


def test_only_the_owner_sees_the_controls(site):
    base, tokens, ids = site
    with _client(base, tokens["Recycler"]) as client:
        mine = _actions(client.get("/scrap", params=PAGE).text)
    assert {f"/scrap/listings/{ids['R-EDIT']}/withdraw", f"/scrap/listings/{ids['R-EDIT']}/change",
            f"/scrap/listings/{ids['R-SECRET']}/withdraw"} <= mine  # fmt: skip
    assert f"/scrap/listings/{ids['B-RQ']}/withdraw" not in mine
    with _client(base, tokens["Hostile"]) as client:
        page = client.get("/scrap", params=PAGE).text
        assert _actions(page) == set() and "R-EDIT" in page and "R-SECRET" not in page
    with _client(base) as client:
        assert _actions(client.get("/scrap", params=PAGE).text) == set()


def test_owner_changes_quantity_and_price_and_a_stale_version_changes_nothing(site):
    base, tokens, ids = site
    with _client(base, tokens["Recycler"]) as client:
        token = csrf_of(client.get("/scrap", params=PAGE).text)
        url = f"/scrap/listings/{ids['R-EDIT']}/change"
        form = {"csrf_token": token, **PAGE, "version": "1", "quantity_t": "24",
                "price_usd_per_t": "29500"}  # fmt: skip
        assert client.post(url, data={k: v for k, v in form.items()
                                      if k != "csrf_token"}).status_code == 403  # fmt: skip
        done = client.post(url, data=form)
        assert done.status_code == 303 and "saved=change" in done.headers["location"]
        assert "Listing changed." in client.get(done.headers["location"]).text
        row = _listing(client, "R-EDIT")
        assert (row["quantity_t"], row["price_usd_per_t"], row["version"]) == (24, 29500, 2)
        stale = client.post(url, data={**form, "quantity_t": "3"})
        assert stale.status_code == 409
        assert f"Not saved: scrap listing {ids['R-EDIT']} is no longer at version 1" in stale.text
        assert 'id="listings"' in stale.text  # the page itself, not an error page
        bad = client.post(url, data={**form, "version": "2", "quantity_t": "-3"})
        assert bad.status_code == 422 and "quantity_t" in bad.text and 'id="listings"' in bad.text
        empty = client.post(url, data={**form, "version": "2", "quantity_t": "",
                                       "price_usd_per_t": ""})  # fmt: skip
        assert empty.status_code == 422 and "give a quantity or a price" in empty.text
        row = _listing(client, "R-EDIT")
        assert (row["quantity_t"], row["price_usd_per_t"], row["version"]) == (24, 29500, 2)


def test_owner_withdraws_a_listing_and_a_stale_version_keeps_it(site):
    base, tokens, ids = site
    with _client(base, tokens["Recycler"]) as client:
        token = csrf_of(client.get("/scrap", params=PAGE).text)
        url = f"/scrap/listings/{ids['R-GONE']}/withdraw"
        stale = client.post(url, data={"csrf_token": token, **PAGE, "version": "4"})
        assert stale.status_code == 409 and "no longer at version 4" in stale.text
        assert _listing(client, "R-GONE")["version"] == 1
        done = client.post(url, data={"csrf_token": token, **PAGE, "version": "1"})
        assert done.status_code == 303 and "saved=withdraw" in done.headers["location"]
        page = client.get(done.headers["location"]).text
        assert "Listing withdrawn." in page and "R-GONE" not in page
        assert _listing(client, "R-GONE") is None


def test_hostile_organisation_cannot_withdraw_or_edit_via_the_form(site):
    base, tokens, ids = site
    with _client(base, tokens["Recycler"]) as owner:
        before = {ref: _listing(owner, ref) for ref in ("R-KEEP", "R-SECRET")}
    with _client(base, tokens["Hostile"]) as client:
        token = csrf_of(client.get("/scrap", params=PAGE).text)
        form = {"csrf_token": token, **PAGE, "version": "1", "quantity_t": "1",
                "price_usd_per_t": "1"}  # fmt: skip
        for verb in ("withdraw", "change"):
            seen = client.post(f"/scrap/listings/{ids['R-KEEP']}/{verb}", data=form)
            assert seen.status_code == 403 and "owns this listing" in seen.text
            hidden = client.post(f"/scrap/listings/{ids['R-SECRET']}/{verb}", data=form)
            assert hidden.status_code == 404
            assert f"no scrap listing with id {ids['R-SECRET']}" in hidden.text
            assert "R-SECRET" not in hidden.text
    with _client(base, tokens["Recycler"]) as owner:
        assert {ref: _listing(owner, ref) for ref in before} == before


def test_withdraw_acceptance_by_a_party_only(site):
    base, tokens, ids = site
    with _client(base, tokens["Buyer"]) as buyer:
        token = csrf_of(buyer.get("/scrap", params=PAGE).text)
        accepted = buyer.post("/scrap/decide", data={
            "csrf_token": token, "action": "accept", **PAGE, "offer_id": str(ids["R-KEEP"]),
            "request_id": str(ids["B-RQ"]), "offer_version": "1", "request_version": "1"})
        assert accepted.status_code == 303, accepted.text
        page = buyer.get("/scrap", params=PAGE).text
        found = re.search(r'action="/scrap/matches/(\d+)/withdraw"[^>]*>.*?name="version" '
                          r'value="(\d+)"', page, re.S)  # fmt: skip
        assert found, "no withdraw-acceptance form for the requesting party"
        match_id, version = found.groups()
        url = f"/scrap/matches/{match_id}/withdraw"
    with _client(base, tokens["Hostile"]) as hostile:
        page = hostile.get("/scrap", params=PAGE).text
        assert url not in page
        refused = hostile.post(url, data={"csrf_token": csrf_of(page), **PAGE,
                                          "version": version})  # fmt: skip
        assert refused.status_code == 403 and "offering or the requesting" in refused.text
    with _client(base, tokens["Recycler"]) as recycler:
        page = recycler.get("/scrap", params=PAGE).text
        assert url in page  # the offering party too
        form = {"csrf_token": csrf_of(page), **PAGE, "reason": "lot sold elsewhere"}
        stale = recycler.post(url, data={**form, "version": str(int(version) + 5)})
        assert stale.status_code == 409 and "Not saved: match" in stale.text
        assert _listing(recycler, "R-KEEP")["free_t"] == 5
        done = recycler.post(url, data={**form, "version": version})
        assert done.status_code == 303 and "saved=unmatch" in done.headers["location"]
        assert "Acceptance withdrawn." in recycler.get(done.headers["location"]).text
        assert _listing(recycler, "R-KEEP")["free_t"] == 9
        hist = recycler.get("/api/v1/scrap/history", params={"match_id": match_id}).json()
        assert hist[-1]["action"] == "withdraw" and hist[-1]["reason"] == "lot sold elsewhere"


def test_controls_in_chinese(site):
    base, tokens, ids = site
    with _client(base, tokens["Recycler"]) as client:
        page = client.get("/scrap", params={**PAGE, "lang": "zh"}).text
        assert ">撤回</button>" in page and ">保存修改</button>" in page
        token = csrf_of(page)
        stale = client.post(f"/scrap/listings/{ids['R-KEEP']}/withdraw",
                            data={"csrf_token": token, **PAGE, "version": "99", "lang": "zh"})
        assert stale.status_code == 409 and "已不再是第 99 版" in stale.text
