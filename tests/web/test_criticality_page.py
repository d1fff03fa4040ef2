"""The criticality page over real HTTP on the bundled data: a table with labels and
units, reasons for every missing value, the JSON twin, and the supply-risk vs
economic-importance scatter with the thresholds drawn."""

from __future__ import annotations

import json
import re

import pytest
from web_support import running

import live_http
from critmin.web.criticality import criticality_figure


@pytest.fixture(scope="module")
def site(bundled_db_url):
    with running(bundled_db_url) as base, live_http.client(base_url=base, timeout=60) as client:
        yield client


def test_page_table_labels_units_and_twin(site):
    r = site.get("/criticality", params={"region": "USA", "year": 2024})
    assert r.status_code == 200, r.text
    html = r.text
    assert "Criticality: United States, 2024" in html
    assert "Production concentration (HHI)" in html and "fraction of apparent consumption" in html
    assert re.search(r'<th scope="row">Gallium</th>\s*<td class="num">0\.979</td>', html)
    # no bundled EU inputs: no scatter, a note on how to give them, and reasons in the table
    assert "chart-criticality" not in html and "--inputs FILE" in html
    assert "not bundled: give eu.end_use in the inputs file" in html
    assert "stale trade data" in html  # germanium's HS 811230 ends in 2016
    twin = site.get("/api/v1/criticality", params={"region": "USA", "year": 2024})
    assert 'href="/api/v1/criticality?region=USA&amp;year=2024"' in html
    gallium = next(x for x in twin.json()["data"] if x["mineral"] == "gallium")
    assert gallium["hhi"] == pytest.approx(0.97895, abs=1e-5)
    assert site.get("/criticality", params={"region": "ZZZ"}).status_code == 422


def _row(label, ei, sr):
    return {"mineral_label": label, "eu_economic_importance": ei, "eu_supply_risk": sr,
            "eu_critical": None if ei is None or sr is None else ei >= 2.8 and sr >= 1.0}


def test_scatter_draws_thresholds_and_only_complete_points():
    fig = criticality_figure([_row("A", 3.5, 2.0), _row("B", 1.0, 0.4), _row("C", None, 3.0)])
    assert fig is not None
    trace = fig["data"][0]
    assert trace["text"] == ["A", "B"] and trace["x"] == [3.5, 1.0] and trace["y"] == [2.0, 0.4]
    assert trace["marker"]["symbol"] == ["diamond", "circle"]
    lines = [s for s in fig["layout"]["shapes"] if s["type"] == "line"]
    assert {(s["x0"], s["x1"]) for s in lines if s["x0"] == s["x1"]} == {(2.8, 2.8)}
    assert {s["y0"] for s in lines if s["y0"] == s["y1"]} == {1.0}
    json.dumps(fig)  # plain JSON for the page
    assert criticality_figure([_row("C", None, 3.0)]) is None
