"""The dashboard in Simplified Chinese in a real browser (headless Chromium, Playwright,
uvicorn on loopback; no request may leave the app): Chinese text on the overview, a
mineral page, the export-control timeline, the scenario and criticality pages; drawn
with a CJK font, not as empty boxes; the language switch works by clicking; the charts
still render, with Chinese titles; no English left in the navigation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from test_browser import browser, page, pytestmark, screenshot  # noqa: F401 (the fixtures)

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
ENGLISH_NAV = {"Minerals", "Projects", "Outlook", "Criticality", "Scenarios",
               "Supply networks", "Stockpile", "Offtake", "Export controls", "Alerts",
               "Sources", "Log in"}  # fmt: skip

GLYPHS = """(sample) => {
  const h1 = document.querySelector('h1');
  const style = getComputedStyle(h1);
  const canvas = document.createElement('canvas');
  canvas.width = 120; canvas.height = 80;
  const ctx = canvas.getContext('2d');
  const draw = (text) => {
    ctx.clearRect(0, 0, 120, 80);
    ctx.font = style.font; ctx.fillStyle = '#000'; ctx.textBaseline = 'top';
    ctx.fillText(text, 4, 4);
    return Array.from(ctx.getImageData(0, 0, 120, 80).data).join(',');
  };
  const span = document.createElement('span');
  span.style.font = style.font; span.style.whiteSpace = 'nowrap'; span.textContent = sample;
  document.body.appendChild(span);
  const width = span.getBoundingClientRect().width;
  span.remove();
  return {
    cjkFont: document.fonts.check('16px "Noto Sans CJK SC"', sample),
    first: draw(sample[0]), second: draw(sample[1]), tofu: draw('\\uE000'), blank: draw(' '),
    emWidth: width / parseFloat(style.fontSize), chars: sample.length,
  };
}"""


@pytest.fixture
def tab(page: Page) -> Page:  # noqa: F811 (the browser tests' page: only our server answers)
    return page


def in_chinese(tab: Page) -> None:
    tab.set_extra_http_headers(ZH)


def assert_chinese_frame(tab: Page) -> None:
    assert tab.locator("html").get_attribute("lang") == "zh-Hans"
    nav = {t.strip() for t in tab.locator("header nav a, header nav span").all_inner_texts()}
    assert not nav & ENGLISH_NAV, nav & ENGLISH_NAV
    assert {"矿产", "出口管制", "项目"} <= nav


def assert_real_cjk_glyphs(tab: Page, sample: str) -> None:
    """The font knows the characters, two characters draw differently (not the same
    box), neither draws like a character no font has, and a text of n Chinese
    characters, in the heading's font, is about n em wide (full-width glyphs)."""
    g = tab.evaluate(GLYPHS, sample)
    assert g["cjkFont"]
    assert g["first"] != g["blank"] and g["second"] != g["blank"]
    assert g["first"] != g["second"]
    assert g["first"] != g["tofu"] and g["second"] != g["tofu"]
    assert 0.85 * g["chars"] <= g["emWidth"] <= 1.1 * g["chars"], g


def test_overview_in_chinese_with_a_cjk_font(tab: Page) -> None:
    in_chinese(tab)
    tab.goto("/")
    expect(tab.locator("h1")).to_have_text("关键矿产")
    assert_chinese_frame(tab)
    assert_real_cjk_glyphs(tab, "出口管制")
    cards = tab.locator("ul.cards h2").all_inner_texts()
    assert any("镓" in c for c in cards) and any("钨" in c for c in cards)
    screenshot(tab, "zh-overview.png")


def test_mineral_page_charts_in_chinese(tab: Page) -> None:
    in_chinese(tab)
    tab.goto("/minerals/gallium")
    for chart in ("#chart-concentration", "#chart-prices-1", "#chart-pipeline"):
        tab.wait_for_selector(f"{chart} .main-svg")
    assert_chinese_frame(tab)
    assert "占全球" in tab.locator("#chart-concentration .gtitle").text_content()
    bars = tab.locator("#chart-concentration .ytick text").all_text_contents()
    assert "中国" in bars and "China" not in bars
    assert "项目储备" in tab.locator("#chart-pipeline .gtitle").text_content()
    legend = tab.locator("#chart-pipeline .legendtext").all_text_contents()
    assert legend and all(not t.isascii() for t in legend), legend
    expect(tab.locator("#conc-h")).to_have_text("生产集中度")
    assert_real_cjk_glyphs(tab, "生产集中")
    screenshot(tab, "zh-mineral-gallium.png")


def test_export_control_timeline_in_chinese(tab: Page) -> None:
    in_chinese(tab)
    tab.goto("/measures?mineral=gallium")
    tab.wait_for_selector("#chart-measures .main-svg")
    expect(tab.locator("h1")).to_contain_text("出口管制时间线")
    assert_chinese_frame(tab)
    assert tab.locator("#chart-measures .gtitle").text_content() == "出口管制措施时间线"
    tags = set(tab.locator("ol.timeline .tag").all_inner_texts())
    assert "许可要求" in tags and "Licence requirement" not in tags
    assert tab.locator("ol.timeline p.muted").first.inner_text().count("年") >= 1
    ticks = tab.locator("#chart-measures .xtick text").all_text_contents()
    assert ticks and all(t.endswith("月") for t in ticks), ticks  # 2024年7月, not Jul 2024
    screenshot(tab, "zh-measures-gallium.png")


def test_scenario_and_criticality_in_chinese(tab: Page) -> None:
    in_chinese(tab)
    tab.goto("/scenarios?mineral=gallium&country=CHN&level=1&draws=300")
    tab.wait_for_selector("#chart-industry .main-svg")
    tab.wait_for_selector("#chart-sweep .main-svg")
    expect(tab.locator("h1")).to_contain_text("中断情景")
    assert_chinese_frame(tab)
    assert "国内生产总值损失" in tab.locator("#chart-sweep .gtitle").text_content()
    assert "限制水平" in tab.locator("#chart-sweep .xtitle").text_content()
    expect(tab.locator("#scenario-summary")).to_contain_text("美国国内生产总值损失")
    screenshot(tab, "zh-scenario-gallium.png")
    tab.goto("/criticality?region=USA&year=2024")
    expect(tab.locator("h1")).to_contain_text("关键性")
    expect(tab.locator("#criticality-table thead")).to_contain_text("净进口依存度")
    expect(tab.locator("#criticality-table thead")).to_contain_text("赫芬达尔-赫希曼指数")
    assert_chinese_frame(tab)
    screenshot(tab, "zh-criticality.png")


def test_the_language_switch_by_clicking(tab: Page) -> None:
    tab.goto("/measures")
    expect(tab.locator("h1")).to_have_text("Export-control timeline")
    tab.locator("nav.lang").get_by_role("link", name="简体中文").click()
    expect(tab.locator("h1")).to_have_text("出口管制时间线")
    assert tab.url.endswith("/measures")
    assert_chinese_frame(tab)
    tab.wait_for_selector("#chart-measures .main-svg")  # the chart still renders
    tab.locator("header nav").get_by_role("link", name="矿产").click()
    expect(tab.locator("h1")).to_have_text("关键矿产")  # the choice is remembered
    tab.locator("nav.lang").get_by_role("link", name="English").click()
    expect(tab.locator("h1")).to_have_text("Critical minerals")
    assert tab.locator("html").get_attribute("lang") == "en"
