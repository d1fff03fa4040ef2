"""The reports in a real browser (headless Chromium at /usr/bin/chromium, Playwright,
uvicorn on loopback, the bundled data): the /reports page and its form, the HTML reports
with their charts drawn, every figure carrying its source, and Chinese text rendered
with real glyphs (not the missing-glyph box). Nothing outside the server is reached."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright
from web_support import ARTIFACTS, running

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Chromium at /usr/bin/chromium (required when CI is set)",
)
AS_OF = "2026-11-29"

GLYPH_CHECK = """([text, font]) => {
  const c = document.createElement('canvas'); c.width = 64; c.height = 64;
  const draw = (s) => { const x = c.getContext('2d'); x.clearRect(0, 0, 64, 64);
    x.font = font; x.fillStyle = '#000'; x.fillText(s, 4, 48);
    return Array.from(x.getImageData(0, 0, 64, 64).data.filter((_, i) => i % 4 === 3)); };
  const glyph = draw(text), missing = draw('\\u0378');
  const ink = glyph.filter(v => v > 0).length;
  const same = glyph.every((v, i) => v === missing[i]);
  return {ink, same, width: c.getContext('2d').measureText(text).width};
}"""


@pytest.fixture(scope="module")
def base_url(bundled_db_url: str) -> Iterator[str]:
    with running(bundled_db_url) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1200, "height": 900})
    outside: list[str] = []

    def guard(route: Route) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    yield tab
    context.close()
    assert outside == []


def _figures_sourced(page: Page) -> int:
    """Every figure element has a data-source naming a row of the sources table."""
    return page.evaluate("""() => {
      const figs = Array.from(document.querySelectorAll('[data-source]'));
      for (const f of figs) {
        if (!document.getElementById('src-' + f.dataset.source)) throw new Error(f.dataset.source);
        if (!f.textContent.trim()) throw new Error('empty ' + f.dataset.source);
      }
      return figs.length; }""")


def test_reports_page_form_makes_the_chinese_dossier(page: Page) -> None:
    page.goto("/reports?lang=zh")
    assert page.locator("nav a[href='/reports']").count() == 1
    form = page.locator("#report-dossier form")
    form.locator("select[name=mineral]").select_option("tungsten")
    form.locator("select[name=lang]").select_option("zh")
    form.locator("select[name=format]").select_option("html")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "/api/v1/reports/dossier" in page.url
    assert page.locator("h1").inner_text().startswith("国家安全进口调查档案")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    # charts drawn: inline SVG with size and with their text kept as text
    charts = page.locator("figure.chart svg")
    assert charts.count() >= 3
    box = charts.first.bounding_box()
    assert box and box["width"] > 150 and box["height"] > 50
    assert page.locator("figure.chart svg text").count() > 10
    assert _figures_sourced(page) >= 60
    # Chinese renders with a real CJK glyph in the page's font, about one em wide
    font = page.evaluate("getComputedStyle(document.querySelector('h2')).fontFamily")
    got = page.evaluate(GLYPH_CHECK, ["国", f"32px {font}"])
    assert got["ink"] > 30 and not got["same"], got
    assert 28 <= got["width"] <= 36, got
    # the chart labels too, in the report's font stack
    label = page.locator("figure.chart svg text", has_text="份额").first
    assert label.count() == 1
    assert "Noto Sans CJK SC" in label.evaluate("e => getComputedStyle(e).fontFamily")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-dossier-zh.png"), full_page=False)


def test_briefing_in_english_with_charts(page: Page) -> None:
    page.goto(f"/api/v1/reports/briefing?mineral=gallium&as_of={AS_OF}&lang=en")
    assert page.locator("h1").inner_text() == "Mineral briefing"
    assert page.locator("figure.chart svg").count() >= 2
    assert _figures_sourced(page) >= 30
    shares = page.locator("[data-source='conc.share.0']")
    assert shares.inner_text() == "99.0%"
    page.screenshot(path=str(ARTIFACTS / "report-briefing-en.png"), full_page=False)
