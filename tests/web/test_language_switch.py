"""The dashboard's language: Accept-Language, ?lang=, the switch and its cookie."""

from __future__ import annotations

import live_http


def test_accept_language_gives_chinese_pages(base_url: str) -> None:
    with live_http.client(base_url=base_url, timeout=30) as client:
        zh = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        en = client.get("/", headers={"Accept-Language": "en-GB"})
    assert zh.status_code == en.status_code == 200
    assert '<html lang="zh-Hans">' in zh.text and "出口管制" in zh.text
    assert zh.headers["content-language"] == "zh-Hans"
    assert '<html lang="en">' in en.text and ">Export controls<" in en.text
    assert "出口管制" not in en.text


def test_the_switch_remembers_the_choice_and_stays_on_site(base_url: str) -> None:
    with live_http.client(base_url=base_url, timeout=30) as client:
        switched = client.get("/language", params={"set": "zh", "next": "/measures"})
        assert switched.status_code == 303
        assert switched.headers["location"] == "/measures"
        page = client.get("/measures", headers={"Accept-Language": "en"})
        assert "出口管制" in page.text  # the cookie beats the header
        assert client.get("/?lang=en").headers["content-language"] == "en"
        for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
            away = client.get("/language", params={"set": "en", "next": hostile})
            assert away.headers["location"] == "/"


def test_the_switch_keeps_the_page_query(base_url: str) -> None:
    with live_http.client(base_url=base_url, timeout=30) as client:
        page = client.get("/measures", params={"mineral": "gallium", "lang": "en"})
        assert "next=/measures%3Fmineral%3Dgallium" in page.text
        assert "lang%3D" not in page.text  # the switch itself sets the language
        back = client.get("/language", params={"set": "zh", "next": "/measures?mineral=gallium"})
        assert back.headers["location"] == "/measures?mineral=gallium"
