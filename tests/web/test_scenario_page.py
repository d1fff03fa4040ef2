"""The scenario page over real HTTP: the form, the results with labels and units, the
charts' data equal to the scenario service's own numbers, the JSON twin, and a 422
page naming the field on bad input."""

from __future__ import annotations

import html as htmllib
import json
import re

import pytest
from web_support import running

import live_http
from critmin.services import scenario

PARAMS = {"mineral": "gallium", "country": "CHN", "level": "0.6", "draws": "400", "seed": "3"}


@pytest.fixture(scope="module")
def site(bundled_db_url):
    with running(bundled_db_url) as base, live_http.client(base_url=base, timeout=120) as client:
        yield client


def _figure(html: str, chart_id: str) -> dict:
    m = re.search(rf'<script type="application/json" id="{chart_id}-data">(.*?)</script>',
                  html, re.S)
    assert m, f"no {chart_id} on the page"
    return json.loads(htmllib.unescape(m.group(1)))


@pytest.fixture(scope="module")
def page(site):
    r = site.get("/scenarios", params=PARAMS)
    assert r.status_code == 200, r.text
    return r.text


def test_page_shows_labels_units_and_assumptions(page):
    assert "Disruption scenario: Gallium withheld by China" in page
    assert "billion USD (2017 economy)" in page and "× baseline price" in page
    assert "Semiconductor and related device manufacturing" in page
    assert ">assumption</span>" in page and ">sourced</span>" in page
    assert "Supply-constrained (linear programme)" in page
    results = page.split("</form>")[1].split("</main>")[0]
    assert "supply_constrained" not in results and "dependent_share" not in results
    assert 'href="/scenarios" aria-current="page"' in page  # nav link


def test_charts_carry_the_service_numbers(page):
    ban = scenario.ban("gallium", "CHN", 0.6, seed=3, n_draws=400)
    sweep = scenario.sweep("gallium", "CHN", [0, 0.25, 0.5, 0.75, 1], seed=3, n_draws=400)
    bars = _figure(page, "chart-industry")["data"]
    assert len(bars) == 1 and bars[0]["type"] == "bar"
    top = ban["by_industry"][0]
    assert bars[0]["customdata"] == [x["industry"] for x in ban["by_industry"]]
    assert bars[0]["y"][0] == pytest.approx(top["gdp_loss_usd"] / 1e9)
    assert bars[0]["y"][0] + bars[0]["error_y"]["array"][0] == pytest.approx(
        top["gdp_loss_high_usd"] / 1e9)
    assert bars[0]["y"][0] - bars[0]["error_y"]["arrayminus"][0] == pytest.approx(
        top["gdp_loss_low_usd"] / 1e9)
    assert "billion USD" in bars[0]["text"][0]
    curve = _figure(page, "chart-sweep")["data"]
    assert [t["name"] for t in curve] == ["P5–P95 low", "P5–P95", "median"]
    assert curve[2]["x"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert curve[2]["y"] == pytest.approx([r["gdp_loss_usd"]["central"] / 1e9 for r in sweep])
    assert curve[0]["y"] == pytest.approx([r["gdp_loss_usd"]["low"] / 1e9 for r in sweep])
    assert curve[1]["y"] == pytest.approx([r["gdp_loss_usd"]["high"] / 1e9 for r in sweep])
    assert curve[2]["y"][0] == 0.0 and curve[2]["y"] == sorted(curve[2]["y"])
    ratio = ban["price_ratio"]
    assert f"{ratio['central']:.2f}" in page and f"{ratio['high']:.2f}" in page


def test_json_twin_matches(site, page):
    assert 'href="/api/v1/dashboard/scenarios?mineral=gallium&amp;country=CHN' in page
    twin = site.get("/api/v1/dashboard/scenarios", params=PARAMS)
    assert twin.status_code == 200, twin.text
    body = twin.json()
    assert body["result"] == scenario.ban("gallium", "CHN", 0.6, seed=3, n_draws=400)
    assert [r["level"] for r in body["sweep"]] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert site.get("/api/v1/dashboard/scenarios", params={"level": "2"}).status_code == 422


@pytest.mark.parametrize(("field", "value", "named"), [
    ("level", "1.5", "Restriction level (level): '1.5'"),
    ("level", "nan", "Restriction level (level): 'nan'"),
    ("draws", "0", "Draws (draws): '0'"),
    ("model", "bogus", "Economy model (model): 'bogus'"),
    ("mineral", "unobtainium", "no scenario defaults for mineral 'unobtainium'"),
])  # fmt: skip
def test_bad_input_is_a_422_page_naming_the_field(site, field, value, named):
    r = site.get("/scenarios", params={**PARAMS, field: value})
    assert r.status_code == 422
    assert "text/html" in r.headers["content-type"]
    assert named in htmllib.unescape(r.text)
