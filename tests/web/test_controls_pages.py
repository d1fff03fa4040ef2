"""The export-control page as a timeline: each date at its own precision, the computed
status as of a chosen date (a suspended ban shown as suspended), statutory milestones
marked derived, undated measures counted, and the chart drawing vague dates as periods."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

import live_http


@pytest.fixture(scope="module")
def anon(base_url: str) -> Iterator[httpx.Client]:
    with live_http.client(base_url=base_url, timeout=30) as client:
        yield client


BAN = r'id="m-cn-2024-12-us-ban-ga-ge-sb-superhard".*?(?=<li id="m-|</ol>)'


def text_of(html: str) -> str:
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_page_shows_states_as_of_a_date_precision_and_milestones(anon):
    html = anon.get("/measures", params={"mineral": "gallium", "as_of": "2026-03-01"}).text
    page = text_of(html)
    ban = re.search(BAN, html, flags=re.S)
    assert 'data-state="suspended"' in ban.group(0)
    assert "Suspended by China suspends its ban on gallium" in text_of(ban.group(0))
    assert "announced 2023-07-03 · effective 2023-08-01" in page  # day precision now
    assert "effective 2025-11-09 · expires 2026-11-27" in page
    assert "· effective 2025-05 " in page  # the May 2025 campaign: month precision
    assert "As of 2026-03-01:" in page and "1 suspended" in page
    later = anon.get("/measures", params={"mineral": "gallium", "as_of": "2026-12-15"}).text
    ban = re.search(BAN, later, flags=re.S)
    assert 'data-state="in_force"' in ban.group(0)
    tungsten = text_of(anon.get("/measures", params={"mineral": "tungsten"}).text)
    assert "Commerce report due (270 days after initiation): 2026-01-17 (derived, not stated" in (
        tungsten)
    assert "HS 2841801000 (China customs tariff 2025): Ammonium paratungstate" in tungsten
    assert anon.get("/measures", params={"as_of": "2026-02-30"}).status_code == 422


def test_chart_draws_each_date_at_its_own_precision(anon):
    html = anon.get("/measures", params={"mineral": "gallium"}).text
    fig = json.loads(re.search(r'id="chart-measures-data">(.*?)</script>', html, re.S).group(1))
    traces = {t["name"]: t for t in fig["data"]}
    # the May 2025 campaign is known to the month: a band over May 2025
    vague = traces["effective (month or year only)"]
    assert "2025-05-01" in vague["x"] and "2025-05-31" in vague["x"]
    exact = traces["effective"]  # the licensing's 1 August 2023 and the suspension: markers
    assert "2023-08-01" in exact["x"] and "2025-11-09" in exact["x"]
