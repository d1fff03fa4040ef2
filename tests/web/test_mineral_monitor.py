"""The per-mineral market monitor (page and JSON twin) over real HTTP: two markets in one
currency with the spread and ratio on aligned dates, measures marked at the precision of
their dates, the stated changes kept apart from levels, and a hostile partner who learns
nothing about another organisation's private series."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import httpx
import pytest
from web_support import World

import live_http
from critmin.services import auth, prices
from critmin.services.mineral_monitor import default_pair
from critmin.store.db import make_engine, transaction
from critmin.web.monitor_charts import measure_marks, monitor_figure

# October 2024 to January 2025: the bundled FX table has the Federal Reserve's monthly
# averages (7.0881, 7.2063, 7.2807, 7.2957 CNY per USD), so every CNY level converts.
PRIVATE = (
    "series,market,mineral,form,currency,unit,date,value,source,sharing\n"
    "acme-rot,Rotterdam,gallium,,USD,kg,2024-10-15,600,Quotes,owner\n"
    "acme-rot,Rotterdam,gallium,,USD,kg,2024-11-15,660,Quotes,owner\n"
    "acme-rot,Rotterdam,gallium,,USD,kg,2025-01-15,700,Quotes,owner\n"
    "acme-cn,China domestic,gallium,,CNY,kg,2024-10-15,2126.43,Quotes,owner\n"
    "acme-cn,China domestic,gallium,,CNY,kg,2024-11-15,2161.89,Quotes,owner\n"
    "acme-cn,China domestic,gallium,,CNY,kg,2025-01-10,2188.71,Quotes,owner\n"
    "acme-jump,Acme spot,gallium,,USD,kg,2024-10-01,400,Quotes,owner\n"
    "acme-jump,Acme spot,gallium,,USD,kg,2024-10-21,600,Quotes,owner\n"
)
API = "/api/v1/dashboard/minerals/gallium/monitor"
PAIR = {"a": "acme-rot", "b": "acme-cn"}


@pytest.fixture(scope="module")
def filled(world: World) -> World:
    engine = make_engine(world.url)
    with transaction(engine) as s:
        acme = auth.authenticate(session=s, token=world.editor)
        report = prices.import_file(session=s, caller=acme, stream=io.BytesIO(PRIVATE.encode()),
                                    fmt="csv", file="acme.csv")  # fmt: skip
        assert report.observations["added"] == 8
    engine.dispose()
    return world


@pytest.fixture(scope="module")
def clients(filled: World, base_url: str) -> Iterator[dict[str, httpx.Client]]:
    made = {who: live_http.client(base_url=base_url, timeout=60,
                              headers={"Authorization": f"Bearer {token}"} if token else {})
            for who, token in (("acme", filled.viewer), ("partner", filled.partner),
                               ("anon", None))}  # fmt: skip
    yield made
    for c in made.values():
        c.close()


def test_two_markets_in_one_currency_with_spread_and_ratio(clients):
    data = clients["acme"].get(API, params=PAIR).json()
    pair = data["pair"]
    assert data["unit"] == pair["unit"] == "USD/kg"
    # 2126.43 CNY at 7.0881 = 300 USD; 2161.89 at 7.2063 = 300; 2188.71 at 7.2957 = 300
    assert [round(p["value"], 6) for p in pair["b"]["levels"]] == [300, 300, 300]
    rows = {r["date"]: r for r in pair["rows"]}
    assert rows["2024-10-15"]["spread"] == pytest.approx(300)
    assert rows["2024-11-15"]["ratio"] == pytest.approx(2.2)
    # a's 15 January is aligned with b's 10 January (five days older, within 31)
    assert rows["2025-01-15"]["b_date"] == "2025-01-10"
    assert rows["2025-01-15"]["ratio"] == pytest.approx(700 / 300)
    in_cny = clients["acme"].get(API, params={**PAIR, "currency": "CNY"}).json()["pair"]
    assert in_cny["unit"] == "CNY/kg"
    assert in_cny["a"]["levels"][0]["value"] == pytest.approx(600 * 7.0881)
    assert in_cny["rows"][0]["ratio"] == pytest.approx(2)  # a ratio has no currency


def test_page_draws_the_chart_and_marks_measures(clients):
    data = clients["acme"].get(API, params=PAIR).json()
    page = clients["acme"].get("/minerals/gallium/monitor", params=PAIR)
    assert page.status_code == 200
    html = page.text
    assert 'id="chart-monitor"' in html and "Rotterdam and China domestic in USD/kg" in html
    figure = json.loads(re.search(r'id="chart-monitor-data">(.*?)</script>', html, re.S).group(1))
    names = [t["name"] for t in figure["data"]]
    assert names[:4] == ["Rotterdam", "China domestic", "spread (Rotterdam − China domestic)",
                         "ratio (Rotterdam ÷ China domestic)"]
    assert figure["data"][3]["y"] == pytest.approx([2, 2.2, 700 / 300])
    # measures are shapes across the panels: the licensing's effective date is a line if
    # known to the day, else a band over its month
    licensing = next(m for m in data["measures"] if m["effective"] == "2023-08-01")
    precision = licensing.get("effective_precision") or licensing["date_precision"]
    shape = next(s for s in figure["layout"]["shapes"] if s["x0"] == "2023-08-01")
    assert (shape["type"], shape["x1"]) == (
        ("line", "2023-08-01") if precision == "day" else ("rect", "2023-08-31"))


def test_the_public_default_pair_and_stated_changes(clients):
    data = clients["anon"].get(API).json()
    keys = {data["pair"]["a"]["key"], data["pair"]["b"]["key"]}
    assert "ga-rotterdam-low-purity" in keys and not keys & {"acme-rot", "acme-cn"}
    stated = {o["label"] for o in data["stated"]}
    assert any(label.startswith("≥ 43%") for label in stated)  # a lower bound on a change
    html = clients["anon"].get("/minerals/gallium/monitor").text
    assert "Changes and ratios as the sources state them" in html


def test_a_hostile_partner_learns_nothing_of_private_series(clients):
    partner = clients["partner"]
    hidden = partner.get(API, params=PAIR)
    missing = partner.get(API, params={"a": "no-such-a", "b": "no-such-b"})
    assert hidden.status_code == missing.status_code == 404
    assert "acme" not in partner.get(API).text
    assert "acme-rot" not in partner.get("/minerals/gallium/monitor").text
    assert partner.get("/minerals/gallium/monitor", params=PAIR).status_code == 404


def test_alerts_from_the_import_show_to_their_owner_only(clients):
    # the import evaluated the default rule "up more than 40% within 30 days": +50% in 20
    alerts = clients["acme"].get(API, params=PAIR).json()["alerts"]
    jump = [a for a in alerts if a.get("series_label") and "Acme spot" in a["series_label"]]
    assert len(jump) == 1 and jump[0]["date"] == "2024-10-21" and "50" in jump[0]["message"]
    page = clients["acme"].get("/minerals/gallium/monitor", params=PAIR).text
    assert "Latest alerts" in page and "Acme spot" in page
    for who in ("partner", "anon"):
        assert "Acme spot" not in clients[who].get(API).text
        assert "Acme spot" not in clients[who].get("/minerals/gallium/monitor").text


@pytest.mark.parametrize(("params", "status", "needle"), [
    ({"currency": "EUR"}, 422, "USD, CNY"),
    ({"a": "acme-rot"}, 422, "give both"),
    ({"a": "acme-rot", "b": "acme-rot"}, 422, "two different"),
    ({"a": "acme-rot", "b": "usgs-tungsten-ammonium-paratungstate-apt"}, 404, "no such"),
])  # fmt: skip
def test_bad_choices_are_4xx_naming_the_problem(clients, params, status, needle):
    response = clients["acme"].get(API, params=params)
    assert response.status_code == status, response.text
    assert needle in response.json()["detail"]
    assert clients["acme"].get("/minerals/gallium/monitor", params=params).status_code == status


def test_balance_shows_every_input_and_adds_up(clients):
    balance = clients["anon"].get("/api/v1/dashboard/minerals/tungsten/monitor",
                                  params={"country": "CHN"}).json()["balance"]  # fmt: skip
    assert balance["country_label"] == "China" and balance["unit"] == "t"
    rows = {y["year"]: y for y in balance["years"]}
    # USGS MCS 2026, tungsten: China's mine production in 2024, 67,000 t
    assert rows[2024]["production"]["value"] == 67_000
    assert "Mineral Commodity Summaries 2026" in rows[2024]["production"]["source"]
    for y in balance["years"]:
        parts = [y[k]["value"] for k in ("production", "imports", "exports")]
        expected = None if None in parts else parts[0] + parts[1] - parts[2]
        assert y["apparent_consumption"]["value"] == expected
    html = clients["anon"].get("/minerals/tungsten/monitor", params={"country": "CHN"}).text
    assert "Supply and demand: China (t)" in html and 'id="balance-table"' in html
    bad = clients["anon"].get("/api/v1/dashboard/minerals/tungsten/monitor",
                              params={"country": "XXX"})  # fmt: skip
    assert bad.status_code == 422 and "XXX" in bad.json()["detail"]


def test_unknown_mineral_is_404(clients):
    assert clients["anon"].get("/api/v1/dashboard/minerals/unobtainium/monitor").status_code == 404


def test_default_pair_prefers_the_split_between_china_and_abroad():
    def choice(key, market, levels):
        return {"key": key, "market": market, "levels": levels}

    choices = [choice("lme", "London", 40), choice("us", "US average", 30),
               choice("cn", "China domestic", 5), choice("none", "China spot", 0)]  # fmt: skip
    assert default_pair(choices) == ("lme", "cn")
    assert default_pair(choices[:2]) == ("lme", "us")
    assert default_pair([choices[0], choices[3]]) is None


def test_measure_marks_follow_each_dates_precision():
    day = {"title": "Licensing", "start": "2023-07-03", "announced": "2023-07-03",
           "announced_label": "3 July 2023", "effective": "2023-08-01",
           "effective_label": "1 August 2023", "expiry": None, "date_precision": "day"}
    month = {"title": "Campaign", "start": "2025-05-01", "announced": "2025-05-01",
             "announced_label": "May 2025", "effective": None, "expiry": "2026-11-01",
             "expiry_label": "November 2026", "expiry_derived": True,
             "date_precision": "month"}  # fmt: skip
    shapes, hover = measure_marks([day, month])
    lines = [s for s in shapes if s["type"] == "line"]
    bands = [s for s in shapes if s["type"] == "rect"]
    assert [s["x0"] for s in lines] == ["2023-07-03", "2023-08-01"]
    assert [(s["x0"], s["x1"]) for s in bands] == [("2025-05-01", "2025-05-31"),
                                                   ("2026-11-01", "2026-11-30")]
    texts = hover[0]["text"]
    assert "expires November 2026 (derived) (known to the month)" in texts[-1]
    assert monitor_figure({"pair": None}) is None
