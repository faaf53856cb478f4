"""Presenter mode in Debian's headless Chromium at 1280×720 (a typical projector), on every page.

For each page: no exception; nothing wider than the screen (the document, every chart, every table); the page's
key elements inside the first viewport, measured on element bounding boxes; and a screenshot of the first screen
(artifacts/screens/presenter-<page>.png), and of the same page at 1600×1000 off the projector
(artifacts/screens/laptop-<page>.png). Then the keyboard: P toggles presenter mode, Space plays and pauses, →
steps one epoch and Home resets.
"""

from __future__ import annotations

import re

import pytest

from tests.support.browser import SCREENS, wait_idle

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1280, "height": 720}
LAPTOP = {"width": 1600, "height": 1000}
MAIN = "[data-testid=stMain]"
CHART = f"{MAIN} [data-testid=stVegaLiteChart]"


def button(name: str) -> str:
    return f"{MAIN} button:has-text('{name}')"


# page -> (URL path, selectors whose first match must sit inside the first 1280×720 screen, how many of the page's
# charts must sit inside it whole)
PAGES = {
    "home": ("", [f"{MAIN} h1"], 1),
    "lessons": ("lessons", [f"{MAIN} [data-testid=stMetric]", button("Open in"),
                            f"{MAIN} [data-testid=stTab]:has-text('12 ·')"], 0),  # every lesson's tab in view
    "arena": ("arena", [button("Play"), button("Step"), button("Reset"), f"{MAIN} [data-testid=stProgress]"], 6),
    "gradient_flow": ("gradient_flow", [f"{MAIN} p:has-text('share of the last one')"], 1),
    "neurons": ("neurons", [button("Train"), f"{MAIN} [data-testid=stProgress]", f"{MAIN} [data-testid=stMetric]"], 0),
    "explorer": ("explorer", [f"{MAIN} [data-testid=stMultiSelect]"], 0),
    "speed": ("speed", [f"{MAIN} h3:has-text('Each activation alone')"], 0),
    "regions": ("regions", [button("Train"), f"{MAIN} [data-testid=stMetric]"], 5),
    # six activations: every legend entry, surface and title still fits the screen's width
    "arena-six": ("arena?" + "&".join(f"arena.activations={name}" for name in
                                      ("relu", "leaky_relu", "sigmoid", "tanh", "maxout", "silu")),
                  [button("Play"), f"{MAIN} [data-testid=stProgress]"], 2 + 1 + 6),
}
# The charts every page must at least start on the first screen (top edge above the fold).
FIRST_CHART_STARTS = {"gradient_flow", "neurons", "explorer", "speed", "arena", "arena-six", "regions", "home"}


@pytest.fixture
def projector(chromium):
    context = chromium.new_context(viewport=PROJECTOR)
    page = context.new_page()
    yield page
    context.close()


def inside(box: dict | None, viewport: dict) -> bool:
    return (box is not None and box["x"] >= -1 and box["y"] >= -1 and box["x"] + box["width"] <= viewport["width"] + 1
            and box["y"] + box["height"] <= viewport["height"] + 1)


def overflowing(page) -> list[str]:
    """Charts, tables and the document that are wider than the space they are given."""
    return page.evaluate("""() => {
      const out = [];
      const doc = document.documentElement;
      if (doc.scrollWidth > window.innerWidth + 1) out.push(`document ${doc.scrollWidth} > ${window.innerWidth}`);
      for (const el of document.querySelectorAll('[data-testid=stVegaLiteChart], [data-testid=stDataFrame],'
                                                 + ' [data-testid=stTable]')) {
        const box = el.getBoundingClientRect();
        if (box.right > window.innerWidth + 1) out.push(`${el.dataset.testid} ends at ${box.right}`);
        for (const inner of el.querySelectorAll('canvas, svg.marks')) {
          const b = inner.getBoundingClientRect();
          if (b.right > box.right + 1) out.push(`${el.dataset.testid} drawing ${b.right} past ${box.right}`);
        }
      }
      return out;
    }""")


def settle(page) -> None:
    wait_idle(page, 180_000)
    page.wait_for_timeout(1500)  # let Vega finish drawing


@pytest.mark.parametrize("name", list(PAGES))
def test_presenter_mode_tells_each_page_in_one_projector_screen(server, projector, chromium, name):
    path, selectors, whole_charts = PAGES[name]
    projector.goto(f"{server}/{path}{'&' if '?' in path else '?'}mode=present")
    settle(projector)
    SCREENS.mkdir(parents=True, exist_ok=True)
    projector.screenshot(path=str(SCREENS / f"presenter-{name}.png"))
    assert projector.locator("[data-testid=stException]").count() == 0
    assert projector.locator("[data-testid=stSidebar][aria-expanded=true]").count() == 0
    assert overflowing(projector) == []
    for selector in selectors:
        box = projector.locator(selector).first.bounding_box()
        assert inside(box, PROJECTOR), (selector, box)
    charts = [projector.locator(CHART).nth(i).bounding_box() for i in range(projector.locator(CHART).count())]
    assert sum(inside(box, PROJECTOR) for box in charts) >= whole_charts, charts
    if name in FIRST_CHART_STARTS:
        assert charts and charts[0]["y"] < PROJECTOR["height"], charts[:1]

    laptop = chromium.new_context(viewport=LAPTOP)
    try:
        page = laptop.new_page()
        page.goto(f"{server}/{path}")
        settle(page)
        page.screenshot(path=str(SCREENS / f"laptop-{name}.png"))
        assert page.locator("[data-testid=stException]").count() == 0
        assert overflowing(page) == []
    finally:
        laptop.close()


def counter(page) -> str:
    return page.locator(f"{MAIN} [data-testid=stProgress]").first.inner_text().strip()


def wait_for_counter(page, pattern: str, timeout_ms: int = 60_000) -> None:
    page.wait_for_function(
        "(pattern) => { const el = document.querySelector('[data-testid=stMain] [data-testid=stProgress]');"
        " return el && new RegExp(pattern).test(el.innerText.trim()); }", arg=pattern, timeout=timeout_ms)


def test_the_keyboard_runs_the_arena(server, projector):
    """→ steps, Space plays and pauses, Home resets, P leaves presenter mode and comes back."""
    projector.goto(f"{server}/arena?mode=present&arena.epochs=50")
    settle(projector)
    assert counter(projector) == "Epoch 0 / 50"
    projector.keyboard.press("ArrowRight")
    wait_for_counter(projector, r"^Epoch 1 / 50$")
    projector.keyboard.press(" ")
    wait_for_counter(projector, r"^Epoch ([2-9]|[1-5]\d) / 50$")
    projector.keyboard.press(" ")
    settle(projector)
    paused = counter(projector)
    projector.wait_for_timeout(1500)
    assert counter(projector) == paused or counter(projector) == "Epoch 50 / 50"  # paused, or it had finished
    projector.keyboard.press("Home")
    wait_for_counter(projector, r"^Epoch 0 / 50$")
    projector.keyboard.press("p")
    projector.wait_for_url(re.compile(r"^(?!.*mode=present).*$"), timeout=30_000)
    settle(projector)
    assert projector.locator(f"{MAIN} h1:has-text('Training Arena')").count() == 1  # the page's own header is back
    projector.keyboard.press("p")
    projector.wait_for_url(re.compile(r"mode=present"), timeout=30_000)
    settle(projector)
    assert projector.locator(f"{MAIN} h1:has-text('Training Arena')").count() == 0  # the title is in the top row
    assert projector.locator(f"{MAIN} h3:has-text('Training Arena')").count() == 1
