"""The recycling page over real HTTP and in a real browser: figures with qualifier and
source, the chart data equal to the service's figures, targets with progress (unknown
where no rate is known), the JSON twin, the nav link, Chinese on request, and a 422 page
naming a bad filter."""

from __future__ import annotations

import html as htmllib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_support import running

import live_http
from critmin.services import recycling as service
from critmin.store.migrate import upgrade

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('recycling') / 'c.db'}"
    upgrade(url)
    with running(url) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def site(base):
    with live_http.client(base_url=base, timeout=60) as client:
        yield client


def _figure(page: str, chart_id: str) -> dict:
    m = re.search(
        rf'<script type="application/json" id="{chart_id}-data">(.*?)</script>', page, re.S
    )
    assert m, f"no {chart_id} on the page"
    return json.loads(htmllib.unescape(m.group(1)))


def test_page_tables_charts_and_twin(site):
    r = site.get("/recycling")
    assert r.status_code == 200, r.text
    page = r.text
    assert 'href="/recycling" aria-current="page"' in page
    rates = service.rates()
    for f in rates:
        assert f'data-key="{f["key"]}"' in page
        assert htmllib.escape(f["quote"], quote=False) in page or f["quote"] in page
    assert "about 28%" in page and "at most 20%" in page and "withheld" in page
    shares = _figure(page, "chart-recycling-shares")
    drawn = sorted(v for t in shares["data"] for v in t["x"])
    assert drawn == sorted(f["value"] for f in rates if f["unit"] == "percent" and f["value"])
    progress = _figure(page, "chart-recycling-progress")
    assert progress["data"][0]["x"] == [70, 60] and progress["data"][1]["x"] == [None, None]
    assert "No current rate known: progress not computed" in page
    assert "Proposal in an analysis (not adopted)" in page and "about 10,000 t/yr" in page
    assert "EOL-RIR" in page and 'href="/measures"' in page
    twin = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)"', page)
    got = site.get(htmllib.unescape(twin.group(1)))
    assert got.status_code == 200 and len(got.json()["figures"]) == len(rates)


def test_filters_and_bad_filter(site):
    page = site.get("/recycling", params={"mineral": "gallium", "country": "JPN"}).text
    assert 'data-key="csis-jpn-gallium-domestic-scrap-feed"' in page
    assert 'data-key="usgs-2025-usa-gallium-old-scrap"' not in page
    bad = site.get("/recycling", params={"mineral": "unobtainium"})
    assert bad.status_code == 422 and "unobtainium" in bad.text


def test_chinese_page(site):
    page = site.get("/recycling", params={"lang": "zh"}).text
    assert "回收:报废回收数据、目标与进展" in page and ">回收<" in page
    assert "约 28%" in page and "分析报告中的建议(未采纳)" in page
    assert "Recycling figures" not in page


@pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"), reason="needs Chromium at /usr/bin/chromium"
)
def test_charts_draw_in_a_real_browser(base):
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        tab = browser.new_page(base_url=base)
        tab.on("pageerror", lambda e: problems.append(str(e)))
        tab.goto("/recycling?lang=zh")
        for chart in ("chart-recycling-shares", "chart-recycling-progress"):
            tab.wait_for_selector(f"#{chart} .main-svg", timeout=30_000)
            assert tab.locator(f"#{chart} .bars .point").count() > 0
        assert "回收目标与当前回收率" in tab.locator("#chart-recycling-progress").inner_text()
        browser.close()
    assert not problems, problems
