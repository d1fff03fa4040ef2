"""The /exposure page over real HTTP: the synthetic example labelled synthetic, headline
numbers and chokepoints equal to the exposure service's, the paths graph's data, the
JSON twin, clear 404 and 422 pages, and an organisation's private network invisible to
everyone else (not listed, 404 like a missing one, no numbers)."""

from __future__ import annotations

import html as htmllib
import json
import re
from pathlib import Path

import httpx
import pytest
from web_support import World

import live_http
from critmin.services import exposure

TOY = Path(__file__).parents[1] / "ingest" / "samples" / "network_toy"


def _client(base_url: str, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return live_http.client(base_url=base_url, headers=headers, timeout=60)


def _figure(page: str, chart_id: str) -> dict:
    m = re.search(rf'<script type="application/json" id="{chart_id}-data">(.*?)</script>',
                  page, re.S)
    assert m, f"no {chart_id} on the page"
    return json.loads(htmllib.unescape(m.group(1)))


def test_synthetic_example_numbers_and_graph(base_url: str) -> None:
    with _client(base_url) as anon:
        r = anon.get("/exposure", params={"country": "JPN"})
        assert r.status_code == 200, r.text
        page = htmllib.unescape(r.text)
        twin = anon.get("/api/v1/dashboard/exposure", params={"country": "JPN"}).json()
    expected = exposure.dashboard(exposure.demo(), country_code="JPN")
    head = expected["headline"]
    assert "Supply-network exposure to Japan" in page and "Synthetic network." in page
    assert f"{100 * head['share']:.1f} %" in page
    assert f"{100 * head['weighted_mean']:.1f} %" in page
    assert twin["synthetic"] is True and twin["headline"]["exposed"] == head["exposed"]
    assert twin["chokepoints"] == expected["chokepoints"]
    table = page.split('id="chokepoints-table"')[1].split("</table>")[0]
    first = expected["chokepoints"][0]
    assert first["id"].replace("->", " → ") in table and first["country_label"] in table
    assert "Firm or facility" in table or "Supply link" in table
    graph = _figure(r.text, "chart-paths")
    names = [t["name"] for t in graph["data"]]
    assert names[0] == "Supply link" and "End product" in names and "In Japan" in names
    drawn = sum(len(t["x"]) for t in graph["data"][1:])
    assert drawn == len(expected["paths"]["nodes"])
    assert 'href="/exposure" aria-current="page"' in r.text


def test_bad_requests_get_clear_pages(base_url: str) -> None:
    with _client(base_url) as anon:
        missing = anon.get("/exposure", params={"network": "424242"})
        assert missing.status_code == 404 and "no supply network" in missing.text
        bad = anon.get("/exposure", params={"country": "Atlantis"})
        assert bad.status_code == 422 and "unknown country" in bad.text
        assert anon.get("/api/v1/dashboard/exposure",
                        params={"network": "drop table"}).status_code == 422


def test_private_network_stays_with_its_owner(base_url: str, world: World) -> None:
    files = {k: (f"{k}.csv", (TOY / f"{k}.csv").read_bytes()) for k in ("nodes", "edges")}
    with _client(base_url, world.editor) as acme, _client(base_url, world.partner) as partner, \
            _client(base_url, world.outsider) as outsider, _client(base_url) as anon:  # fmt: skip
        made = acme.post("/api/v1/exposure/networks", params={"name": "acme-secret-net"},
                         files=files)  # fmt: skip
        assert made.status_code == 201, made.text
        nid = made.json()["id"]
        own = acme.get("/exposure", params={"network": str(nid), "country": "CHN"})
        assert own.status_code == 200
        text = htmllib.unescape(own.text)
        assert "acme-secret-net" in text and "Synthetic network." not in text
        assert "Exposed at any tier" in text
        missing = anon.get("/exposure", params={"network": "999999"})
        for other in (partner, outsider, anon):
            listing = other.get("/exposure").text
            assert "acme-secret-net" not in listing
            hidden = other.get("/exposure", params={"network": str(nid)})
            assert hidden.status_code == 404
            notice = re.search(r'role="alert">(.*?)</p>', hidden.text).group(1)
            assert notice == re.search(r'role="alert">(.*?)</p>', missing.text).group(1) \
                .replace("999999", str(nid))
            twin = other.get("/api/v1/dashboard/exposure", params={"network": str(nid)})
            assert twin.status_code == 404 and "refiner" not in twin.text


@pytest.mark.parametrize("country", ["CHN", "China"])
def test_country_by_code_or_name(base_url: str, country: str) -> None:
    with _client(base_url) as anon:
        r = anon.get("/api/v1/dashboard/exposure", params={"country": country})
    assert r.status_code == 200
    assert r.json()["headline"]["targets"]["countries"][0]["code"] == "CHN"
