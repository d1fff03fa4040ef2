"""The dashboard in a real browser: headless Chromium (/usr/bin/chromium) driven by
Playwright against uvicorn on loopback. Skipped only when Chromium is absent and CI
is unset; in CI these tests must run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright
from web_support import ARTIFACTS, World, decode_session

from critmin.services import auth, tracker
from critmin.store.db import make_engine, transaction

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Chromium at /usr/bin/chromium (required when CI is set)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A fresh browser context (no cookies) whose requests may only reach our server."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def guard(route: Route) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    problems: list[str] = []
    tab.on(  # script errors and CSP violations; HTTP statuses are checked by the tests
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    tab.on("pageerror", lambda e: problems.append(str(e)))
    yield tab
    context.close()
    assert not outside, f"requests left the app: {outside}"
    assert not problems, f"browser errors: {problems}"


def log_in(page: Page, token: str) -> None:
    page.goto("/login")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    assert page.locator("header .who").get_by_role("button", name="Log out").is_visible()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def test_overview_charts_render(page: Page) -> None:
    page.goto("/minerals/gallium")
    for chart in ("#chart-concentration", "#chart-prices-1", "#chart-pipeline"):
        page.wait_for_selector(f"{chart} .main-svg")
    assert page.locator("#chart-concentration .bars .point").count() >= 3
    screenshot(page, "overview-gallium.png")


def test_outlook_charts_render(page: Page) -> None:
    page.goto("/outlook?mineral=gallium&from=2025&to=2035")
    page.wait_for_selector("#chart-outlook .main-svg")
    page.wait_for_selector("#chart-share .main-svg")
    assert page.locator("#chart-outlook .scatterlayer .trace").count() >= 4
    screenshot(page, "outlook-gallium.png")


def test_offtake_charts_render(page: Page) -> None:
    page.goto("/offtake")
    page.wait_for_selector("#chart-offtake-buyers .main-svg")
    page.wait_for_selector("#chart-offtake-producer .main-svg")
    assert page.locator("#chart-offtake-buyers .bars .point").count() == 6  # 3 buyers x 2
    assert page.locator("#retrofit-ranking tbody tr").count() == 2
    screenshot(page, "offtake-gallium.png")


def test_market_monitor_chart_renders_with_measures_marked(page: Page) -> None:
    page.goto("/minerals/gallium/monitor")
    page.wait_for_selector("#chart-monitor .main-svg")
    assert page.locator("#chart-monitor .scatterlayer .trace").count() >= 2
    assert page.locator("#chart-monitor .shapelayer path").count() >= 3  # measure marks
    page.get_by_label("Currency").select_option("USD")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_selector("#chart-monitor .main-svg")
    screenshot(page, "monitor-gallium.png")


def test_scenario_charts_render(page: Page) -> None:
    page.goto("/scenarios?mineral=gallium&country=CHN&level=0.8&draws=300&seed=2")
    page.wait_for_selector("#chart-industry .main-svg")
    page.wait_for_selector("#chart-sweep .main-svg")
    assert page.locator("#chart-industry .bars .point").count() >= 1
    assert page.locator("#chart-sweep .scatterlayer .trace").count() == 3  # band + median
    page.get_by_label("Restriction level", exact=True).fill("0.5")
    page.get_by_role("button", name="Run scenario").click()
    page.wait_for_url("**level=0.5**")
    page.wait_for_selector("#chart-sweep .main-svg")
    assert "level 0.5" in page.locator("#result-h").inner_text()
    screenshot(page, "scenario-gallium.png")


def test_stockpile_plan_chart_renders(page: Page) -> None:
    page.goto("/stockpile?mineral=gallium&target_t=20&years=2&shelf_life_years=1&seed=1")
    page.wait_for_selector("#chart-stockpile .main-svg")
    # four age cohorts stacked plus the target line
    assert page.locator("#chart-stockpile .scatterlayer .trace").count() == 5
    assert page.locator("#purchases tbody tr").count() >= 1
    page.get_by_label("Target (t)").fill("10")
    page.get_by_role("button", name="Plan").click()
    page.wait_for_url("**target_t=10**")
    page.wait_for_selector("#chart-stockpile .main-svg")
    assert "10 t" in page.locator("#plan-h").inner_text()
    screenshot(page, "stockpile-gallium.png")


def test_exposure_graph_renders(page: Page) -> None:
    page.goto("/exposure?country=CHN")
    page.wait_for_selector("#chart-paths .main-svg")
    assert page.locator("#chart-paths .scatterlayer .trace").count() >= 3  # links + firms
    assert "Synthetic network" in page.locator("#synthetic-note").inner_text()
    page.get_by_label("Country", exact=True).fill("KOR")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**country=KOR**")
    page.wait_for_selector("#chart-paths .main-svg")
    assert "South Korea" in page.locator("h1").inner_text()
    screenshot(page, "exposure-synthetic.png")


def test_measures_timeline_renders(page: Page) -> None:
    page.goto("/measures")
    page.wait_for_selector("#chart-measures .main-svg")
    gallium = page.locator("ul.chains li").filter(has_text="gallium")  # scrap measures chain too
    gallium.first.locator("a").nth(1).click()
    assert page.url.endswith("#m-cn-2025-11-us-gallium-ban-suspension")


def test_bad_token_shows_an_error(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("API token").fill("cm_nope_nope")
    page.get_by_role("button", name="Log in").click()
    assert page.locator("#login-error").is_visible()
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert "token" not in decode_session(cookies.get("critmin_session"))
    page.goto("/")
    assert page.get_by_role("link", name="Log in").is_visible()


def test_editor_filters_opens_edits_and_sees_history(page: Page, world: World) -> None:
    log_in(page, world.editor)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    page.get_by_label("Mineral").select_option("gallium")
    page.get_by_label("Stage").select_option("recycling")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/projects?mineral=gallium&stage=recycling*")
    rows = page.locator("#projects tbody tr")
    assert rows.count() >= 2
    for stage in rows.locator("td:nth-child(3)").all_inner_texts():
        assert stage == "Recycling"  # the label, not the code
    page.get_by_label("Search").fill("acme")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name="Acme Recovery Plant").click()
    page.wait_for_url(f"**/projects/{world.public_id}")
    assert "USD 50,000,000" in page.locator("#fin-needed").inner_text()  # owner sees financing
    page.locator("#edit-link").click()
    page.get_by_label("Status").select_option("construction")
    page.get_by_label("Capacity (t/yr)").fill("15.5")
    page.get_by_label("Notes").fill("Construction started; commissioning in 2028.")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**/projects/{world.public_id}?saved=1")
    assert page.locator("#status").inner_text() == "Construction"
    assert page.locator("#capacity").inner_text() == "15.5 t/yr"
    latest = page.locator("#change-log tbody tr").first
    assert "Acme Gallium (editor)" in latest.inner_text()
    assert "Status: Announced → Construction" in latest.inner_text()  # labels, not codes


def test_stale_edit_shows_changed_by_someone_else(page: Page, world: World) -> None:
    log_in(page, world.editor)
    page.goto(f"/projects/{world.owner_id}/edit")
    engine = make_engine(world.url)  # meanwhile a colleague saves a change
    try:
        with transaction(engine) as s:
            colleague = auth.authenticate(session=s, token=world.editor)
            row = tracker.get_visible(session=s, caller=colleague, id=world.owner_id)
            tracker.patch(session=s, caller=colleague, id=world.owner_id,
                          changes={"notes": "edited elsewhere"}, if_match=row.version)  # fmt: skip
    finally:
        engine.dispose()
    page.get_by_label("Start year").fill("2031")
    page.get_by_role("button", name="Save changes").click()
    assert page.locator("#conflict").is_visible()
    assert "changed by someone else" in page.locator("#conflict").inner_text()
    assert page.get_by_label("Notes").input_value() == "edited elsewhere"


def test_viewer_sees_no_edit_form(page: Page, world: World) -> None:
    log_in(page, world.viewer)
    page.goto(f"/projects/{world.public_id}")
    assert page.locator("#edit-link").count() == 0
    assert page.locator("#fin-needed").is_visible()  # same organisation: owner-level sections
    response = page.goto(f"/projects/{world.public_id}/edit")
    assert response is not None and response.status == 403
    assert page.locator("#edit-form").count() == 0


def _boxes_overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])  # fmt: skip


@pytest.mark.parametrize("width", [1280, 600])  # wide (two columns) and narrow (one)
@pytest.mark.parametrize(
    "path,charts",
    [
        ("/minerals/gallium", ["#chart-concentration", "#chart-prices-1", "#chart-pipeline"]),
        ("/outlook?mineral=gallium&from=2025&to=2035", ["#chart-outlook", "#chart-share"]),
        ("/measures", ["#chart-measures"]),
    ],
)
def test_the_toolbar_never_covers_a_chart_title(
    page: Page, path: str, charts: list[str], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(path)
    for chart in charts:
        page.wait_for_selector(f"{chart} .main-svg")
        page.hover(chart)  # the toolbar shows on hover
        bar = page.locator(f"{chart} .modebar").first.bounding_box()
        title = page.locator(f"{chart} .gtitle").first.bounding_box()
        assert bar and title, chart
        assert not _boxes_overlap(bar, title), (chart, bar, title)
    screenshot(page, f"titles{path.split('?')[0].replace('/', '-')}-{width}.png")


def test_timeline_keeps_labels_whole_and_lists_undated_measures(page: Page) -> None:
    page.goto("/measures")
    page.wait_for_selector("#chart-measures .main-svg")
    ticks = page.locator("#chart-measures .ytick text")
    lines = "el => Array.from(el.querySelectorAll('tspan.line')).map(s => s.textContent).join(' ')"
    labels = [" ".join((ticks.nth(i).evaluate(lines) or ticks.nth(i).text_content()).split())
              for i in range(ticks.count())]  # fmt: skip
    assert "China export control on gallium extraction technology (ion exchange / resin from " \
        "alumina mother liquor)" in " ".join(labels)  # fmt: skip
    assert not any(label.endswith("…") for label in labels)
    chart = page.locator("#chart-measures").bounding_box()
    for i in range(ticks.count()):  # no label is cut at the chart's edge
        box = ticks.nth(i).bounding_box()
        assert box and box["x"] >= chart["x"] - 1, labels[i]
    legend = " ".join(page.locator("#chart-measures .legendtext").all_text_contents())
    assert "effective (month or year only)" in legend
    undated = page.locator("#undated li")
    assert undated.count() == 4
    assert "Japan semiconductor export controls on China (context)" in undated.all_inner_texts()
    status = page.locator("#m-cn-2025-11-us-gallium-ban-suspension [data-status]").inner_text()
    assert "derived" not in status and "2026-11-27" in status  # a stated day
    status = page.locator(
        "#m-cn-2020-recycled-copper-aluminium-standards [data-status]").inner_text()
    assert "expired 2024-11-14 (derived" in status  # a derived expiry says so
    screenshot(page, "measures-timeline.png")
