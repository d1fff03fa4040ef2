"""The /alerts page over real HTTP: recent alerts with series and mineral labels (never
internal codes), its JSON twin, a mineral filter, and no trace of an organisation's
private alerts for anyone else."""

from __future__ import annotations

import html as htmllib
import re

import httpx
from web_support import World

import live_http

SRC = "Synthetic test series"
CSV = ("series,market,mineral,form,currency,unit,date,value,source,sharing\n"
       f"acme-secret-jump,Secret desk,gallium,,USD,kg,2024-01-01,100,{SRC},owner\n"
       f"acme-secret-jump,Secret desk,gallium,,USD,kg,2024-01-25,145,{SRC},owner\n")


def _client(base_url: str, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return live_http.client(base_url=base_url, headers=headers, timeout=30)


def test_alerts_page_labels_filter_and_privacy(base_url: str, world: World) -> None:
    with _client(base_url, world.editor) as acme, _client(base_url) as anon, \
            _client(base_url, world.partner) as partner, \
            _client(base_url, world.outsider) as outsider:  # fmt: skip
        imported = acme.post("/api/v1/prices/import", content=CSV,
                             headers={"Content-Type": "text/csv"})  # fmt: skip
        assert imported.status_code == 200, imported.text
        page = anon.get("/alerts")
        assert page.status_code == 200
        text = htmllib.unescape(page.text)
        # the bundled "> 43% within a month" of Rotterdam gallium, as a lower bound
        assert "Gallium, Rotterdam (USD/kg)" in text and "lower bound" in text
        assert 'href="/api/v1/monitor/alerts"' in page.text
        assert "ga-rotterdam-low-purity" not in text  # labels, not series keys
        only = htmllib.unescape(anon.get("/alerts", params={"mineral": "Tungsten"}).text)
        cells = re.findall(r'<a href="/minerals/(\w+)">', only)
        assert cells and set(cells) == {"tungsten"}
        assert anon.get("/alerts", params={"mineral": "kryptonite"}).status_code == 422
        assert "Secret desk" in acme.get("/alerts").text
        for other in (anon, partner, outsider):
            assert "Secret desk" not in other.get("/alerts").text
            assert "acme-secret" not in other.get("/api/v1/monitor/alerts").text
