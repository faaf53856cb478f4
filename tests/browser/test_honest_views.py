"""The views that keep charts honest at their edges, in a real browser (issue "Teach it right"): an unstable run's
notices, a regression's fit, and a deep network's per-layer maps. Each is stepped a few epochs, checked for its key
element and saved to artifacts/screens/honest-*.png to be looked at."""

from __future__ import annotations

import pytest

from tests.support.browser import screenshot, wait_idle

pytestmark = pytest.mark.browser

DEEP = "&".join([*(f"arena.layers={8}" for _ in range(8)),
                 *(f"arena.activations={a}" for a in ("relu", "leaky_relu", "elu", "tanh", "sigmoid"))])

# name -> (the link's query, Step presses, a text the view must show)
VIEWS = {
    "unstable": ("arena.learning_rate=100&arena.epochs=10", 3, "is unstable"),
    "regression-fit": ("arena.dataset=sine&arena.epochs=20", 2, "The fit"),
    "deep-layers": (DEEP + "&arena.epochs=10", 2, "The network, unit by unit"),  # the maps are drawn on canvas
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_the_honest_view_shows_itself(server, chromium, name):
    query, steps, text = VIEWS[name]
    context = chromium.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{server}/arena?{query}")
        wait_idle(page)
        for _ in range(steps):
            page.locator(".st-key-arena-step button").first.click()
            wait_idle(page)
        page.wait_for_timeout(1500)  # let Vega finish drawing
        screenshot(page, f"honest-{name}")
        assert page.locator("[data-testid=stException]").count() == 0
        main = page.locator("[data-testid=stMain]")
        assert main.get_by_text(text).count() >= 1
    finally:
        context.close()
