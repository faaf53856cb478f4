"""Sessions are isolated: two visitors on the Arena never see each other's experiment or progress.

Headless: two AppTest sessions side by side. In a real browser: one server, three browser contexts
at once, each on its own shared link. The browser half skips locally without Chromium, but never
under CI=true (there a missing browser is a failure), like tests/test_browser.py.
"""

from __future__ import annotations

import re

import pytest

from tests.support.apptest import button, charts, start
from tests.support.browser import ROOT, streamlit_server, wait_idle

COUNTER = re.compile(r"^Epoch (\d+) / (\d+)$")


def counter(at) -> str:
    matches = [p.proto.text for p in at.get("progress") if COUNTER.match(p.proto.text)]
    assert len(matches) == 1, matches
    return matches[0]


def widget(at, key):
    return next(w for w in (*at.multiselect, *at.select_slider, *at.selectbox, *at.slider) if w.key == key)


def test_two_headless_sessions_keep_their_own_experiment_and_progress():
    a, b = start("arena"), start("arena")
    widget(a, "arena.activations").set_value(["relu", "leaky_relu"]).run()
    widget(b, "arena.activations").set_value(["tanh"]).run()
    widget(b, "arena.dataset").set_value("xor").run()
    # Interleave the clicks: A steps twice, B three times, A once more.
    for session, times in ((a, 2), (b, 3), (a, 1)):
        for _ in range(times):
            button(session, "arena.step").click().run()
            assert not session.exception, [e.message for e in session.exception]
    assert counter(a) == "Epoch 3 / 200"
    assert counter(b) == "Epoch 3 / 200"
    assert widget(a, "arena.activations").value == ["relu", "leaky_relu"]
    assert widget(a, "arena.dataset").value == "moons"
    assert widget(b, "arena.activations").value == ["tanh"]
    assert widget(b, "arena.dataset").value == "xor"
    a_specs, b_specs = chart_text(a), chart_text(b)
    assert "Leaky ReLU" in a_specs and "Leaky ReLU" not in b_specs
    # Stepping B again leaves A where it was, charts included.
    button(b, "arena.step").click().run()
    a.run()
    assert counter(b) == "Epoch 4 / 200" and counter(a) == "Epoch 3 / 200"
    assert chart_text(a) == a_specs


@pytest.mark.timeout(600)
def test_sessions_playing_at_once_through_the_pool_each_see_only_their_own_run():
    """Three sessions train at the same time in the server's worker processes: each sees its own experiment, its
    own counter and exactly the records its experiment gives in one process."""
    import pandas as pd

    from core.engine.service import ProcessSlices
    from core.engine.training import train_many
    from core.io.history import records_to_frame
    from pages.ui.session import training_service

    service = training_service()
    assert isinstance(service.executor, ProcessSlices)
    assert service.executor.wait_ready(120), service.executor.start_error
    sessions = {"a": start("arena"), "b": start("arena"), "c": start("arena")}
    widget(sessions["a"], "arena.activations").set_value(["relu", "leaky_relu"]).run()
    widget(sessions["b"], "arena.activations").set_value(["tanh"]).run()
    widget(sessions["b"], "arena.dataset").set_value("xor").run()
    widget(sessions["c"], "arena.activations").set_value(["elu"]).run()
    widget(sessions["c"], "arena.seeds").set_value(2).run()
    for name in "ab":  # Play: each plays in the pool while the other sessions' scripts run
        button(sessions[name], "arena.play").click().run()
    for _ in range(2):
        button(sessions["c"], "arena.step").click().run()
    runs = {name: at.session_state["arena.run"] for name, at in sessions.items()}
    assert len({run.owner for run in runs.values()}) == 3
    assert all(run.service is service for run in runs.values())
    while not (runs["a"].done and runs["b"].done):  # a session's fragment timer keeps its run playing
        for name in "ab":
            sessions[name].run()
            assert not sessions[name].exception, [e.message for e in sessions[name].exception]
    for at in sessions.values():
        at.run()
        assert not at.exception, [e.message for e in at.exception]
    assert counter(sessions["a"]) == counter(sessions["b"]) == "Epoch 200 / 200"
    assert counter(sessions["c"]) == "Epoch 2 / 200"
    texts = {name: chart_text(at) for name, at in sessions.items()}
    assert "Leaky ReLU" in texts["a"] and "Leaky ReLU" not in texts["b"] + texts["c"]
    assert "Tanh" in texts["b"] and "Tanh" not in texts["a"] + texts["c"]
    assert "ELU" in texts["c"].replace("Leaky ReLU", "") and "ELU" not in texts["b"]
    for name, run in runs.items():
        epochs = run.epoch
        expected = records_to_frame([r for records in train_many(run.dataset, run.configs) for r in records
                                     if r.epoch <= epochs])
        seconds = expected["metric"] == "epoch_seconds"
        ours = run.history()
        pd.testing.assert_frame_equal(ours[~seconds].reset_index(drop=True), expected[~seconds].reset_index(drop=True),
                                      check_exact=True, obj=name)


def chart_text(at) -> str:
    return "\n".join(sorted(str(c.proto) for c in charts(at)))


# shared link -> (Step presses, the activation chips it must show)
LINKS = {
    "arena?arena.activations=ReLU": (1, ["ReLU"]),
    "arena?arena.activations=Tanh&arena.dataset=XOR": (2, ["Tanh"]),
    "arena?arena.activations=ELU&arena.seeds=2": (3, ["ELU"]),
}


def chips(page) -> list[str]:
    """The chosen activations, as the Arena's activations multiselect shows them (its label, then one line per chip)."""
    text = page.locator("[data-testid=stSidebar] .st-key-arena-activations [data-testid=stMultiSelect]").inner_text()
    return sorted(line.strip() for line in text.splitlines()[1:] if line.strip())


@pytest.mark.browser
def test_three_browser_sessions_on_one_server_each_see_only_their_own_link(chromium):
    (ROOT / "artifacts").mkdir(exist_ok=True)
    with streamlit_server() as url:
        contexts = [chromium.new_context(viewport={"width": 1440, "height": 900}) for _ in LINKS]
        try:
            pages = [context.new_page() for context in contexts]
            for page, link in zip(pages, LINKS, strict=True):
                page.goto(f"{url}/{link}")
            for page in pages:
                page.get_by_text("Epoch 0 / 200", exact=True).wait_for(timeout=60_000)
                wait_idle(page)
            # Press Step round-robin, so the sessions' reruns overlap on the server.
            for press in range(max(steps for steps, _ in LINKS.values())):
                for page, (steps, _) in zip(pages, LINKS.values(), strict=True):
                    if press < steps:
                        page.get_by_role("button", name="Step").click()
                        wait_idle(page)
            for page, (link, (steps, names)) in zip(pages, LINKS.items(), strict=True):
                page.get_by_text(f"Epoch {steps} / 200", exact=True).wait_for(timeout=30_000)
                wait_idle(page)
                assert page.locator("[data-testid=stException]").count() == 0, link
                assert page.get_by_text(re.compile(r"^Epoch \d+ / 200$")).inner_text() == f"Epoch {steps} / 200"
                assert chips(page) == names, link
        finally:
            for context in contexts:
                context.close()
