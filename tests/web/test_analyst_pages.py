"""What an analyst meets in the dashboard and the REST API: filters, labels, notes, names,
the share table, the outlook and the export-control timeline (uvicorn on loopback, the
bundled data plus a few partner projects)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from web_support import World

import live_http

GALLIUM_KNOWN = "gallium, germanium, tungsten"
CURATOR_WORDS = re.compile(r"Seed says|Seed:|\(form (left )?null\)|seeds/0|judgement|placeholder")


@pytest.fixture
def anon(base_url: str) -> Iterator[httpx.Client]:
    with live_http.client(base_url=base_url, timeout=30) as client:
        yield client


def text_of(html: str) -> str:
    """The visible text of a page (scripts, including chart data, removed)."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def project_id(client: httpx.Client, key: str) -> int:
    rows = client.get("/api/v1/projects", params={"limit": 500}).json()["data"]
    return next(r["id"] for r in rows if r["key"] == key)


# ---------------------------------------------------------------- filters


@pytest.mark.parametrize(
    "path,params,field,needle",
    [
        ("/api/v1/projects", {"mineral": "gallum"}, "query.mineral", GALLIUM_KNOWN),
        ("/api/v1/projects", {"country": "Korea"}, "query.country", "KOR (South Korea)"),
        ("/api/v1/projects/export", {"mineral": "gallum"}, "query.mineral", GALLIUM_KNOWN),
        ("/api/v1/measures", {"mineral": "gallum"}, "query.mineral", GALLIUM_KNOWN),
        ("/api/v1/measures", {"imposing_country": "Atlantis"}, "query.imposing_country",
         "alpha-3"),
        ("/api/v1/price-series", {"form": "aptt"}, "query.form", "did you mean 'apt'"),
        ("/api/v1/facilities", {"country": "Korea"}, "query.country", "PRK (North Korea)"),
        ("/api/v1/stats/share", {"mineral": "gallum"}, "query.mineral", GALLIUM_KNOWN),
        ("/api/v1/stats/share", {"mineral": "gallium", "measure": "output"}, "query.measure",
         "production, capacity, reserves"),
        ("/api/v1/outlook", {"mineral": "gallum", "from": 2026, "to": 2030}, "query.mineral",
         GALLIUM_KNOWN),
    ],
)  # fmt: skip
def test_api_unknown_filter_values_are_422_naming_the_parameter(anon, path, params, field, needle):
    r = anon.get(path, params=params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert [e["field"] for e in body["errors"]] == [field]
    assert needle in body["errors"][0]["problem"]


def test_api_and_pages_accept_country_and_mineral_names(anon):
    def keys(params: dict) -> list[str]:
        r = anon.get("/api/v1/projects", params={**params, "limit": 500})
        assert r.status_code == 200, r.text
        return [p["key"] for p in r.json()["data"]]

    canada = keys({"country": "CAN"})
    assert canada and keys({"country": "Canada"}) == canada == keys({"country": "canada"})
    assert keys({"country": "Korea, Rep."}) == keys({"country": "KOR"}) != []
    assert keys({"mineral": "Gallium"}) == keys({"mineral": "gallium"})
    china = anon.get("/api/v1/measures", params={"imposing_country": "China", "limit": 500})
    assert china.status_code == 200 and {m["imposing_country"] for m in china.json()["data"]} == {
        "CHN"
    }
    page = anon.get("/projects", params={"country": "Canada"})
    assert page.status_code == 200 and "Rio Tinto Saguenay" in page.text
    twin = anon.get("/api/v1/dashboard/projects", params={"country": "Canada"}).json()
    assert twin["filters"]["country"] == "CAN" and twin["total"] == len(canada)


@pytest.mark.parametrize(
    "path,needle",
    [
        ("/projects?mineral=gallum", GALLIUM_KNOWN),
        ("/projects?country=Korea", "PRK (North Korea)"),
        ("/projects?stage=mining", "extraction, refining, purification, recycling"),
        ("/measures?mineral=gallum", GALLIUM_KNOWN),
        ("/outlook?mineral=gallum", GALLIUM_KNOWN),
        ("/api/v1/dashboard/projects?mineral=gallum", GALLIUM_KNOWN),
        ("/api/v1/dashboard/measures?mineral=gallum", GALLIUM_KNOWN),
    ],
)
def test_pages_refuse_unknown_filter_values_naming_the_known_ones(anon, path, needle):
    r = anon.get(path)
    assert r.status_code == 422 and needle in r.text.replace("&#39;", "'")


# ---------------------------------------------------------------- labels and notes


def test_pages_show_labels_not_codes(anon):
    rio = project_id(anon, "rio-tinto-saguenay-gallium")
    page = text_of(anon.get(f"/projects/{rio}").text)
    assert "Low-purity (primary) gallium" in page and "Bayer liquor (alumina refining)" in page
    assert "Status Feasibility" in page and "Stage Extraction" in page and "Sharing Public" in page
    for code in ("low_purity_gallium", "bayer_liquor", "Status feasibility", "Stage extraction"):
        assert code not in page, code
    measures = text_of(anon.get("/measures").text)
    assert "Technology control" in measures and "End-user control" in measures
    assert "technology_control" not in measures and "end_user_control" not in measures
    assert "cn-2025-11-us-gallium-ban-suspension" not in measures  # links name measures by title
    listing = text_of(anon.get("/projects", params={"per_page": 200}).text)
    assert "Recycling" in listing and " recycling " not in listing.lower().replace("recycling", "x")
    tungsten = anon.get("/minerals/tungsten").text
    figures = [json.loads(f) for f in re.findall(
        r'<script type="application/json" id="chart-prices-\d+-data">(.*?)</script>', tungsten,
        flags=re.S)]  # fmt: skip
    legend = {t["name"] for f in figures for t in f["data"]}
    assert "Rotterdam — Ammonium paratungstate (APT)" in legend
    assert not {n for n in legend if "(apt)" in n or "tungsten_concentrate" in n}
    assert "Ammonium paratungstate (APT)" in text_of(tungsten)  # the observations table


def test_json_keeps_codes_and_adds_labels(anon):
    rio = project_id(anon, "rio-tinto-saguenay-gallium")
    p = anon.get(f"/api/v1/dashboard/projects/{rio}").json()["project"]
    assert (p["feed"], p["feed_label"]) == ("bayer_liquor", "Bayer liquor (alumina refining)")
    assert (p["form"], p["form_label"]) == ("low_purity_gallium", "Low-purity (primary) gallium")
    m = anon.get("/api/v1/dashboard/measures").json()["measures"]
    tech = next(x for x in m if x["measure_type"] == "technology_control")
    assert tech["measure_type_label"] == "Technology control"


def test_curator_notes_and_file_names_are_not_shown_unless_asked(anon):
    chalco = project_id(anon, "chalco-gallium-recovery-aluminium-residues")
    pages = ["/", "/minerals/gallium", "/minerals/tungsten", "/projects?per_page=200",
             f"/projects/{chalco}", "/measures", "/outlook?mineral=gallium", "/sources"]
    for path in pages:
        shown = text_of(anon.get(path).text)
        assert not CURATOR_WORDS.search(shown), (path, CURATOR_WORDS.search(shown))
    api = anon.get(f"/api/v1/projects/{chalco}").json()
    assert "curation_note" not in api and "judgement" not in json.dumps(api)
    asked = anon.get(f"/api/v1/projects/{chalco}", params={"curation_notes": "true"}).json()
    assert "judgement" in asked["curation_note"]
    page = anon.get(f"/projects/{chalco}", params={"curation_notes": "true"}).text
    assert 'id="curation-note"' in page and "judgement" in page
    twin = anon.get("/api/v1/dashboard/measures", params={"curation_notes": "true"}).json()
    assert any("month precision" in (m.get("curation_note") or "") for m in twin["measures"])
    assert "curation_note" not in anon.get("/api/v1/dashboard/measures").json()["measures"][0]


# ---------------------------------------------------------------- names


def test_original_names_beside_english_and_names_sorted_case_insensitively(
    anon, base_url: str, world: World
):
    chalco = project_id(anon, "chalco-gallium-recovery-aluminium-residues")
    detail = anon.get(f"/projects/{chalco}").text
    assert re.search(r"<h1>Aluminum Corporation of China \(Chalco\)[^<]*<span class=\"original\">"
                     r"中铝集团</span>", detail)  # fmt: skip
    listing = anon.get("/projects", params={"mineral": "gallium", "per_page": 200}).text
    assert '<span class="original">中铝集团</span>' in listing
    headers = {"Authorization": f"Bearer {world.editor}"}
    with live_http.client(base_url=base_url, timeout=30, headers=headers) as editor:
        for key, name in (("lower-zeta", "zeta lowercase plant"), ("lower-aard", "aardvark plant")):
            body = {"key": key, "name": name, "mineral": "gallium", "stage": "extraction",
                    "country": "CAN", "status": "announced"}  # fmt: skip
            assert editor.post("/api/v1/projects", json=body).status_code == 201
    names = [p["name"] for p in anon.get("/api/v1/projects", params={"limit": 500}).json()["data"]]
    assert names == sorted(names, key=str.casefold) and names[0] == "aardvark plant"
    desc = [p["name"] for p in anon.get(
        "/api/v1/projects", params={"limit": 500, "sort": "-name"}).json()["data"]]  # fmt: skip
    assert desc == sorted(names, key=str.casefold, reverse=True)
    page = text_of(anon.get("/projects", params={"per_page": 200}).text)
    assert page.index("aardvark plant") < page.index("Acme Recovery Plant")
    assert page.index("Stade refinery") < page.index("zeta lowercase plant")


# ---------------------------------------------------------------- shares


def test_share_api_flags_upper_bounds_and_the_rest(anon):
    data = anon.get(
        "/api/v1/stats/share", params={"mineral": "tungsten", "measure": "reserves"}
    ).json()
    assert data["world_lower_bound"] is True and data["world_total"] == 4_700_000
    assert {s["share_bound"] for s in data["shares"]} == {"upper"}
    assert any("upper bound" in n for n in data["notes"])
    assert 0 < data["residual_share"] < 0.01
    total = sum(s["share"] for s in data["shares"]) + data["other_share"] + data["residual_share"]
    assert total == pytest.approx(1.0)
    usa = next(w for w in data["withheld"] if w["country"] == "USA")
    assert usa["status"] == "not_available" and "(NA)" in usa["status_label"]


def test_mineral_page_share_table_shows_the_rest_and_withheld(anon):
    def table(mineral: str) -> str:
        page = anon.get(f"/minerals/{mineral}").text
        return re.search(r'<table id="share-table">.*?</table>', page, flags=re.S).group(0)

    assert "Other countries" in table("tungsten")
    assert "withheld by USGS to avoid disclosing company proprietary data (W)" in table("antimony")
    twin = anon.get("/api/v1/dashboard/minerals/antimony").json()["concentration"]
    assert sum(r["share"] for r in twin["rows"]) == pytest.approx(1.0)


# ---------------------------------------------------------------- outlook


def test_outlook_page_says_when_no_outlook_can_be_made(anon):
    page = anon.get("/outlook", params={"mineral": "tungsten"})
    assert page.status_code == 200
    assert 'id="no-outlook"' in page.text and "No outlook can be made for tungsten" in page.text
    assert "chart-outlook" not in page.text and "Monte Carlo over" not in page.text
    twin = anon.get("/api/v1/dashboard/outlook", params={"mineral": "tungsten"}).json()
    assert twin["years"] == [] and twin["message"].startswith("No outlook can be made")


def test_outlook_page_explains_skew_and_keeps_restarts_apart(anon):
    params = {"mineral": "gallium", "from": 2025, "to": 2032}
    page = anon.get("/outlook", params=params).text
    assert "lies outside P10–P90" in page and 'class="skewed"' in page
    restarts = re.search(r'<table id="restarts">.*?</table>', page, flags=re.S).group(0)
    assert "Stade refinery" in restarts and "Pavlodar refinery" in restarts
    assert "up to 170 t" in page and "about 24%" in page  # the source's own estimate, apart
    everything = anon.get("/outlook", params={**params, "include_restarts": "true"}).text
    assert 'id="restarts"' not in everything and 'name="include_restarts" value="true" checked' in (
        everything
    )
    twin = anon.get("/api/v1/outlook", params={**params, "include_restarts": "true"}).json()
    assert all(p["counted"] for p in twin["meta"]["projects"])


# ---------------------------------------------------------------- measures


def test_timeline_lists_undated_measures_and_expiry_status(anon):
    data = anon.get("/api/v1/dashboard/measures").json()
    undated = {u["key"] for u in data["undated"]}
    assert "us-2022-2023-semiconductor-export-controls" in undated and len(undated) == 4
    by_key = {m["key"]: m for m in data["measures"]}
    suspension = by_key["cn-2025-11-us-gallium-ban-suspension"]
    assert suspension["expiry_derived"] is False and "derived" not in suspension["status_label"]
    standards = by_key["cn-2020-recycled-copper-aluminium-standards"]  # ends when replaced
    assert standards["expiry_derived"] is True and standards["status"] == "expired"
    assert "derived" in standards["status_label"]
    tariff = by_key["us-2024-section-301-tungsten-tariffs"]
    assert tariff["effective_label"] == "end of 2024" and tariff["date_precision"] == "year"
    page = text_of(anon.get("/measures").text)
    assert "Not on the timeline: no dates given (4)" in page
    assert "Japan semiconductor export controls on China (context)" in page
    assert "expires 2024-11-14 (derived, not stated by the source)" in page
    assert "effective end of 2024" in page
