"""The stockpile page over real HTTP: the plan chart's data equal to the service's plan,
the purchases table and cost band, the adequacy summary, the JSON twin, the nav link, and
a 422 page naming the bad field."""

from __future__ import annotations

import html as htmllib
import json
import re

import pytest
from web_support import running

import live_http

PARAMS = {"mineral": "gallium", "target_t": "20", "years": "2", "shelf_life_years": "1",
          "exclude_origin": "CHN", "seed": "4"}


@pytest.fixture(scope="module")
def site(bundled_db_url):
    with running(bundled_db_url) as base, live_http.client(base_url=base, timeout=120) as client:
        yield client


def _figure(html: str, chart_id: str) -> dict:
    m = re.search(rf'<script type="application/json" id="{chart_id}-data">(.*?)</script>',
                  html, re.S)
    assert m, f"no {chart_id} on the page"
    return json.loads(htmllib.unescape(m.group(1)))


def test_page_chart_matches_the_json_twin(site):
    r = site.get("/stockpile", params=PARAMS)
    assert r.status_code == 200, r.text
    page = r.text
    assert 'href="/stockpile" aria-current="page"' in page
    fig = _figure(page, "chart-stockpile")
    twin = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)"', page)
    got = site.get(htmllib.unescape(twin.group(1)))
    assert got.status_code == 200, (twin.group(1), got.text)
    rep = got.json()
    plan = rep["plan"]
    stacked = [t for t in fig["data"] if t.get("stackgroup") == "age"]
    total = [sum(v) for v in zip(*(t["y"] for t in stacked), strict=True)]
    assert total == pytest.approx(plan["inventory_t"], abs=1e-5)
    assert fig["data"][-1]["y"] == pytest.approx(plan["target_t"])
    assert plan["target_t"][-1] == 20.0 and plan["inventory_t"][-1] >= 20 - 1e-6
    assert page.count("<tr><td>") >= len(plan["purchases"])
    assert "Japan primary producers" in page or "idle capacity" in page
    assert "Adequacy assessment" in page and "US consumption" in page
    assert "cost-band" in page and "P50 (USD)" in page


def test_bad_input_is_a_422_page_naming_the_field(site):
    r = site.get("/stockpile", params={**PARAMS, "years": "two"})
    assert r.status_code == 422 and "years" in r.text
    r = site.get("/stockpile", params={**PARAMS, "exclude_origin": "China"})
    assert r.status_code == 422 and "three-letter" in r.text
