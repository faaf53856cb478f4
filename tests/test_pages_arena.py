"""The Training Arena headless: controls, counter, resets, live charts, divergence and empty states."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.apptest import button, charts, start

COUNTER = re.compile(r"^Epoch (\d+) / (\d+)$")


def counter(at) -> str:
    texts = [p.proto.text for p in at.get("progress")]
    matches = [t for t in texts if COUNTER.match(t)]
    assert len(matches) == 1, texts
    return matches[0]


def widget(at, key):
    return next(w for w in (*at.multiselect, *at.select_slider, *at.selectbox, *at.slider) if w.key == key)


@pytest.fixture
def arena():
    return start("arena")


def test_arena_opens_on_the_default_experiment_at_epoch_zero(arena):
    assert counter(arena) == "Epoch 0 / 200"
    assert widget(arena, "arena.activations").value == ["relu", "sigmoid", "tanh"]
    assert widget(arena, "arena.dataset").value == "moons"
    # loss, accuracy, gradient profile, gradient over time, sparsity, dead units, 3 decision surfaces
    assert len(charts(arena)) == 9


def test_step_advances_one_epoch_and_reset_returns_to_zero(arena):
    button(arena, "arena.step").click().run()
    assert counter(arena) == "Epoch 1 / 200"
    button(arena, "arena.step").click().run()
    assert counter(arena) == "Epoch 2 / 200"
    assert any(s.value.startswith("Summary") for s in arena.subheader)
    button(arena, "arena.reset").click().run()
    assert not arena.exception
    assert counter(arena) == "Epoch 0 / 200"


def test_changing_the_activation_set_resets_the_experiment(arena):
    button(arena, "arena.step").click().run()
    assert counter(arena) == "Epoch 1 / 200"
    widget(arena, "arena.activations").set_value(["relu", "leaky_relu"]).run()
    assert not arena.exception
    assert counter(arena) == "Epoch 0 / 200"
    assert len(charts(arena)) == 6 + 2


def test_no_activation_gives_a_friendly_empty_state(arena):
    widget(arena, "arena.activations").set_value([]).run()
    assert not arena.exception
    assert any("Choose at least one activation" in i.value for i in arena.info)
    assert not charts(arena)


def test_a_diverging_run_is_flagged_with_its_likely_cause_and_the_page_survives(arena):
    widget(arena, "arena.activations").set_value(["relu", "linear"]).run()
    widget(arena, "arena.learning_rate").set_value(100.0).run()
    widget(arena, "arena.depth").set_value(4).run()
    for _ in range(3):
        button(arena, "arena.step").click().run()
        assert not arena.exception
    warnings = [w.value for w in arena.warning]
    assert any("diverged" in w and "learning rate" in w for w in warnings), warnings


def test_a_regression_dataset_trains_without_accuracy(arena):
    widget(arena, "arena.dataset").set_value("sine").run()
    button(arena, "arena.step").click().run()
    assert not arena.exception
    assert counter(arena) == "Epoch 1 / 200"
    assert any("regression" in i.value for i in arena.info)


def test_several_seeds_and_maxout_run(arena):
    widget(arena, "arena.activations").set_value(["relu", "maxout"]).run()
    widget(arena, "arena.seeds").set_value(3).run()
    button(arena, "arena.step").click().run()
    assert not arena.exception
    assert counter(arena) == "Epoch 1 / 200"


def test_a_shared_link_reproduces_the_settings():
    from streamlit.testing.v1 import AppTest

    from core.data import DATASETS
    from tests.apptest import APP

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(str(Path(APP).parent / "pages" / "arena.py"))
    # Selection widgets put their display labels in the URL, as the browser's address bar shows them.
    at.query_params.update({"arena.dataset": DATASETS["circles"].label, "arena.activations": ["ReLU", "ELU"],
                            "arena.seeds": "3", "arena.learning_rate": "0.03", "arena.depth": "3"})
    at.run()
    assert not at.exception
    assert widget(at, "arena.dataset").value == "circles"
    assert widget(at, "arena.activations").value == ["relu", "elu"]
    assert widget(at, "arena.seeds").value == 3
    assert widget(at, "arena.learning_rate").value == 0.03
    assert widget(at, "arena.depth").value == 3


def test_presenter_mode_keeps_the_main_charts_only():
    from streamlit.testing.v1 import AppTest

    from tests.apptest import APP

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(str(Path(APP).parent / "pages" / "arena.py"))
    at.query_params["mode"] = "present"
    at.run()
    assert not at.exception
    assert len(charts(at)) == 2 + 3  # loss and accuracy, and the three decision surfaces
    button(at, "arena.step").click().run()
    assert not any(s.value.startswith("Summary") for s in at.subheader)


def test_share_and_export_offers_the_link_and_five_downloads(arena):
    button(arena, "arena.step").click().run()
    labels = [b.proto.label for b in arena.get("download_button")]
    assert labels[:2] == ["History (CSV)", "Config (JSON)"]
    weights = [lab for lab in labels if lab.startswith("Weights: ReLU")]
    assert weights == ["Weights: ReLU (.npz)", "Weights: ReLU (JSON)"]
    assert "Report (Markdown)" in labels
    assert any("?" in c.value or c.value == "" for c in arena.code)  # the link (AppTest has no browser URL)
