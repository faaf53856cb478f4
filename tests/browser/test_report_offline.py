"""The Arena's HTML report opened in Chromium with the network off: every chart is drawn, and the page asks for
nothing but itself."""

from __future__ import annotations

import pytest

from core.engine.live import LiveRun
from core.settings import Experiment
from pages.ui import arena_views

pytestmark = pytest.mark.browser


def test_the_html_report_draws_every_chart_offline(chromium, tmp_path):
    run = LiveRun(Experiment(epochs=5))
    run.advance(max_epochs=5)
    path = tmp_path / "report.html"
    path.write_text(arena_views.run_report_html(run, arena_views.summary_frame(run)), encoding="utf-8")
    context = chromium.new_context(offline=True)
    page = context.new_page()
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    drawn = page.eval_on_selector_all("img", "images => images.map(i => [i.alt, i.complete, i.naturalWidth])")
    context.close()
    assert [alt for alt, _, _ in drawn] == list(arena_views.report_charts(run))
    assert all(complete and width > 100 for _, complete, width in drawn), drawn
    assert [url for url in asked if not url.startswith(("data:", path.as_uri()))] == []
