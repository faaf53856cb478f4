"""Real-browser tests: every page in Debian's headless Chromium, and the Arena played to its end.

Screenshots go to artifacts/screens/. Without Chromium these tests skip locally with the reason,
but never under CI=true: there a missing browser is a failure.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import quote

import pytest

from tests.support.browser import (
    ROOT,
    engine_seconds,
    first_picture_before_settings,
    play_to_end,
    record_elements,
    screenshot,
    wait_idle,
)

pytestmark = pytest.mark.browser

# page name -> (URL path, how many charts it shows at least on arrival)
PAGES = {"home": ("", 1), "lessons": ("lessons", 0), "arena": ("arena", 10), "gradient_flow": ("gradient_flow", 2),
         "neurons": ("neurons", 2), "explorer": ("explorer", 3), "speed": ("speed", 2), "regions": ("regions", 5)}


DRAWN_CHART = "[data-testid=stMain] [data-testid=stVegaLiteChart] :is(canvas, svg)"
FIRST_PICTURES = ROOT / "artifacts" / "first-pictures.json"
LESSON_12 = "12 · 6× faster?"  # its tab, bound to the URL (tests/pages/test_lessons.py checks the tabs)


def record_first_picture(name: str, seconds: float) -> None:
    """Seconds from navigation to a page's first picture, on a server already serving (no assertion: the machine is
    shared); the closing notes quote them."""
    times = json.loads(FIRST_PICTURES.read_text()) if FIRST_PICTURES.exists() else {}
    times[name] = round(seconds, 2)
    FIRST_PICTURES.write_text(json.dumps(times, indent=2))
    print(f"\n{name}: first picture {seconds:.2f} s after navigation")


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def test_first_request_is_a_deep_link_and_still_gets_the_app_shell(server, page):
    """A fresh server whose first visitor opens /arena must still route through app.py."""
    page.goto(f"{server}/arena")
    wait_idle(page)
    nav = page.locator("[data-testid=stSidebarNav]")
    assert nav.get_by_text("Training Arena").count() == 1
    assert nav.get_by_text("app", exact=True).count() == 0
    assert page.locator("[data-testid=stException]").count() == 0


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_without_exception(server, page, name):
    path, min_charts = PAGES[name]
    page.goto(f"{server}/{path}")
    wait_idle(page)
    page.wait_for_timeout(1500)  # let Vega finish drawing before the screenshot
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("[data-testid=stVegaLiteChart]").count() >= min_charts
    screenshot(page, name)


@pytest.mark.parametrize("path", ["regions", "gradient_flow", "neurons"])
def test_the_first_picture_reaches_the_browser_before_the_sidebars_settings(server, page, path):
    """A browser takes about half a second to lay out a sidebar of settings: the labs send their first chart first
    (``SettingsForm.panels_later``), as the websocket's own frames show."""
    elements = record_elements(page)
    start = time.monotonic()
    page.goto(f"{server}/{path}")
    page.locator(DRAWN_CHART).first.wait_for(timeout=60_000)
    record_first_picture(path, time.monotonic() - start)
    wait_idle(page)
    assert page.locator("[data-testid=stException]").count() == 0
    assert ("sidebar", "slider") in {({0: "main", 1: "sidebar"}.get(root), kind) for root, kind in elements}
    assert first_picture_before_settings(elements), elements[:30]


def test_lesson_12_shows_the_speed_of_learning_the_server_measured_in_the_background(server, page):
    """The server's first page started lesson 12's 135 networks in a worker process of their own
    (``pages.ui.shared.background``): the lesson shows their ratios, and the time to its first number is recorded."""
    start = time.monotonic()
    page.goto(f"{server}/lessons?lesson={quote(LESSON_12)}")
    relu = page.locator("[data-testid=stMain] [data-testid=stMetric]:has-text('ReLU: epochs to the target')").first
    relu.wait_for(timeout=120_000)
    record_first_picture("lesson 12", time.monotonic() - start)
    wait_idle(page)
    assert page.locator("[data-testid=stException]").count() == 0
    values = page.locator("[data-testid=stMain] [data-testid=stMetricValue]").all_inner_texts()
    assert len(values) == 6 and values[0].isdigit() and values[3].isdigit()  # moons, then digits: ReLU's epochs
    assert all("ReLU's" in v or v == "not reached" for i, v in enumerate(values) if i % 3)


def test_arena_plays_the_default_experiment_to_the_end(server, page):
    page.goto(f"{server}/arena")
    wait_idle(page)
    counter = page.get_by_text(re.compile(r"^Epoch \d+ / 200$"))
    assert counter.inner_text() == "Epoch 0 / 200"
    browser_seconds, seen = play_to_end(page)
    page.get_by_text("Summary", exact=True).wait_for(timeout=30_000)
    wait_idle(page)
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("[data-testid=stVegaLiteChart]").count() >= 6
    screenshot(page, "arena-finished")
    # Record the UI's overhead against the engine alone (no timing assertion: the machine is shared).
    engine = engine_seconds()
    report = {"browser_seconds": browser_seconds, "engine_seconds": engine,
              "ratio": browser_seconds / engine, "visible_updates": len(seen) - 1,
              "updates_per_second": (len(seen) - 1) / browser_seconds}
    (ROOT / "artifacts" / "arena-performance.json").write_text(json.dumps(report, indent=2))
    print("\nArena default experiment:", json.dumps(report))


def test_a_shared_link_opens_the_same_experiment(server, page):
    page.goto(f"{server}/arena?arena.dataset=XOR&arena.activations=ReLU&arena.activations=Leaky+ReLU"
              "&arena.seeds=3&arena.learning_rate=0.03&arena.epochs=banana")
    wait_idle(page)
    assert page.locator("[data-testid=stException]").count() == 0
    sidebar = page.locator("[data-testid=stSidebar]")
    assert sidebar.get_by_text("Leaky ReLU").count() >= 1
    assert page.get_by_text("Epoch 0 / 200").count() == 1  # the crafted epochs value fell back to the default
    assert "arena.epochs" not in page.url
    screenshot(page, "arena-shared-link")


def test_presenter_mode_collapses_the_sidebar_and_keeps_the_main_charts(server, page):
    page.goto(f"{server}/arena?mode=present")
    wait_idle(page)
    page.wait_for_timeout(1500)
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("[data-testid=stSidebar][aria-expanded=true]").count() == 0
    assert page.locator("[data-testid=stVegaLiteChart]").count() == 2 + 1 + 3  # curves, legend, surfaces
    screenshot(page, "arena-presenter")
