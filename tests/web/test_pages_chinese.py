"""Every dashboard page in Simplified Chinese over real HTTP: status 200, the language
announced, Chinese text, and no English left of the messages the templates and page
modules mark for translation. The JSON twins stay in English (codes and labels)."""

from __future__ import annotations

import html as htmllib
import json
import re

import httpx
import pytest
from test_pages import PAGES

import live_http
from critmin import i18n
from critmin.i18n import catalogue
from critmin.web.offtake import EXAMPLES, SEED

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
MORE = [  # the pages test_pages.py does not list
    "/minerals/gallium/monitor", "/projects/1", "/criticality?region=USA&year=2024",
    "/scenarios?mineral=gallium&country=CHN&level=1&draws=200", "/exposure", "/stockpile",
    "/offtake", "/alerts", "/login", "/logout",
]  # fmt: skip
HAN = re.compile(r"[\u4e00-\u9fff]")
TWIN = re.compile(r'<link rel="alternate" type="application/json" href="([^"]+)">')
POSTED = {  # pages without a JSON twin: the API calls that give the same records
    "/offtake": [("/api/v1/offtake/simulate", "gallium_consortium.yaml"),
                 ("/api/v1/offtake/retrofit", "retrofits.yaml")],
}  # fmt: skip


def english_messages() -> list[str]:
    """Marked messages whose Chinese differs and that read as English prose (two words or
    more, no placeholders or markup): the ones a page must never show in Chinese."""
    with i18n.use_language("zh"):
        return sorted(
            m for m in catalogue.marked_messages()
            if " " in m.strip() and len(m) >= 8 and "%" not in m and "<" not in m
            and i18n.gettext(m) != m
        )  # fmt: skip


ENGLISH = english_messages()


def shown_text(page: str) -> str:
    """What a reader sees or hears: text, titles, labels and placeholders, not scripts."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    attrs = " ".join(re.findall(r'(?:title|aria-label|placeholder|alt)="([^"]*)"', page))
    text = re.sub(r"<[^>]+>", " ", page) + " " + attrs
    return re.sub(r"\s+", " ", htmllib.unescape(text))


def data_text(client: httpx.Client, path: str, url: str | None) -> str:
    """The JSON twin's strings (the records' own words), to tell data from interface."""
    replies = [client.get(htmllib.unescape(url))] if url else []
    replies += [client.post(api, params={"seed": SEED}, content=(EXAMPLES / spec).read_bytes())
                for api, spec in POSTED.get(path, [])]  # fmt: skip
    assert all(r.status_code == 200 for r in replies), [r.text[:200] for r in replies]
    return re.sub(r"\s+", " ", json.dumps([r.json() for r in replies], ensure_ascii=False))


@pytest.fixture(scope="module")
def anon(base_url: str) -> httpx.Client:
    with live_http.client(base_url=base_url, timeout=120) as client:
        yield client


def test_the_check_knows_english_from_chinese() -> None:
    assert "Export-control timeline" in ENGLISH and "Production concentration" in ENGLISH
    assert not any(HAN.search(m) for m in ENGLISH)


@pytest.mark.parametrize("path", [p for p, _twin in PAGES] + MORE)
def test_page_is_in_chinese(anon: httpx.Client, path: str) -> None:
    reply = anon.get(path, headers=ZH)
    assert reply.status_code == 200, reply.text[:300]
    assert reply.headers["content-language"] == "zh-Hans"
    assert '<html lang="zh-Hans">' in reply.text
    shown = shown_text(reply.text)
    assert len(HAN.findall(shown)) >= 20, shown[:300]
    match = TWIN.search(reply.text)
    data = data_text(anon, path, match.group(1) if match else None)
    # an English message on the page that the records do not contain is untranslated
    left = [m for m in ENGLISH if re.search(rf"(?<![\w-]){re.escape(m)}(?![\w-])", shown)
            and m not in data]  # fmt: skip
    assert not left, f"{path}: untranslated {left}"


def test_english_stays_the_default(anon: httpx.Client) -> None:
    page = anon.get("/measures", headers={"Accept-Language": "fr, de"})
    assert page.headers["content-language"] == "en" and '<html lang="en">' in page.text
    assert "Export-control timeline" in page.text and "出口管制时间线" not in page.text


def test_json_twins_keep_english_labels_and_codes(anon: httpx.Client) -> None:
    for url in ("/api/v1/dashboard/measures?lang=zh", "/api/v1/dashboard/measures"):
        body = anon.get(url, headers=ZH).json()
        for m in body["measures"]:
            assert m["measure_type"].isascii() and m["status"].isascii()
            assert not HAN.search(m["measure_type_label"] + m["status_label"])
            assert m["imposing_country_name"].isascii()
        bans = [m for m in body["measures"] if m["measure_type"] == "ban"]
        assert bans and all(m["measure_type_label"] == "Ban" for m in bans)
    home = anon.get("/api/v1/dashboard", headers=ZH).json()
    assert {"code": "gallium", "name": "Gallium"}.items() <= next(
        r for r in home["minerals"] if r["code"] == "gallium"
    ).items()


def test_labels_names_and_dates_are_chinese(anon: httpx.Client) -> None:
    measures = anon.get("/measures?mineral=gallium", headers=ZH).text
    assert "许可要求" in measures and "出口管制时间线" in measures  # licensing, the title
    assert re.search(r"20\d\d年\d{1,2}月", measures)  # dates at month or day precision
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", shown_text(measures).split("来源")[0])
    gallium = anon.get("/minerals/gallium", headers=ZH).text
    assert "<h1>镓" in gallium and "中国" in gallium  # the mineral and the countries
    assert "赫芬达尔-赫希曼指数（HHI）" in gallium
    projects = anon.get("/projects?mineral=gallium", headers=ZH).text
    assert "回收" in projects and "运营中" in projects  # stage and status labels


def test_original_names_stand_beside_english_ones(anon: httpx.Client) -> None:
    rows = anon.get("/api/v1/dashboard/projects", params={"per_page": 200}).json()["rows"]
    named = [r for r in rows if r.get("name_original")]
    assert named, "the bundled projects include names in their original language"
    for lang in ({"Accept-Language": "en"}, ZH):
        page = anon.get("/projects", params={"per_page": 200}, headers=lang).text
        for r in named:
            assert htmllib.escape(r["name"], quote=False) in page
            assert f'<span class="original">{htmllib.escape(r["name_original"])}</span>' in page
    one = anon.get(f"/projects/{named[0]['id']}", headers=ZH).text
    assert 'id="name-original"' in one and "原文名称" in one


def test_error_pages_in_chinese(anon: httpx.Client) -> None:
    missing = anon.get("/minerals/unobtainium", headers=ZH)
    assert missing.status_code == 404 and "<h1>未找到</h1>" in missing.text
    bad = anon.get("/scenarios", params={"level": "2"}, headers=ZH)
    assert bad.status_code == 422 and "<h1>无效情景</h1>" in bad.text
    assert "限制水平（level）：'2' 不是0 到 1 之间的份额" in htmllib.unescape(bad.text)


def test_measure_titles_keep_their_original_language(anon: httpx.Client, base_url: str,
                                                      world) -> None:  # fmt: skip
    law = '<h3>China Export Control Law <span class="original">出口管制法</span>'
    for lang in ({"Accept-Language": "en"}, ZH):
        assert law in anon.get("/measures", headers=lang).text
    found = anon.get("/api/v1/measures", params={"q": "固体废物"}).json()["data"]
    assert [(m["title"], m["title_original"]) for m in found] == [
        ("China ban on imports of solid waste", "关于全面禁止进口固体废物有关事项的公告")]
    body = {"key": "acme-private-cn-rule", "title": "A rule only Acme may see",
            "title_original": "仅限内部的规定", "imposing_country": "CHN",
            "measure_type": "licensing", "sharing": "owner",
            "sources": [{"document": "internal memo", "title": "Memo"}]}  # fmt: skip
    acme = {"Authorization": f"Bearer {world.editor}"}
    made = live_http.post(f"{base_url}/api/v1/measures", json=body, headers=acme)
    assert made.status_code == 201, made.text
    assert made.json()["title_original"] == "仅限内部的规定"
    mine = live_http.get(f"{base_url}/api/v1/measures", params={"q": "仅限内部"}, headers=acme)
    assert [m["key"] for m in mine.json()["data"]] == ["acme-private-cn-rule"]
    for who in ({"Authorization": f"Bearer {world.outsider}"}, {}):  # hostile and anonymous
        seen = live_http.get(f"{base_url}/api/v1/measures", params={"q": "仅限内部"}, headers=who)
        assert seen.status_code == 200 and seen.json()["data"] == []
        page = live_http.get(f"{base_url}/measures", headers={**who, **ZH}).text
        assert "仅限内部的规定" not in page and "A rule only Acme may see" not in page
    gone = live_http.delete(f"{base_url}/api/v1/measures/{made.json()['id']}",
                            headers={**acme, "If-Match": made.headers["etag"]})  # fmt: skip
    assert gone.status_code == 200 and gone.json()["deleted"] is True, gone.text
