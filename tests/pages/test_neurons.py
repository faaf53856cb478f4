"""The Neurons page headless (AppTest), and its pure chart builders."""

import time
from pathlib import Path

import altair as alt
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.engine.data import load_dataset
from core.engine.limits import MAX_WORK, format_work
from core.engine.mlp import HIDDEN_CHOICES, MLP
from core.lab.neurons import dead_map, dying_at_init, histograms_before_after, mean_activation, zero_counts
from pages.ui import neuron_charts
from pages.ui.palette import activation_color, label
from tests.support.apptest import start as start_page

# AppTest resolves relative paths against the calling file, so anchor them at the repo root.
ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGE = str(ROOT / "pages" / "neurons.py")
CHARTS_PER_RUN = 5  # dead-unit map, histograms, sparsity, dead fraction, mean output


def charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


@pytest.fixture
def page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    return at


def test_default_view(page):
    assert page.title[0].value == "Neurons: sparsity and dead units"
    assert page.multiselect(key="neurons.activations").value == ["relu", "leaky_relu", "elu"]
    assert charts(page) == CHARTS_PER_RUN
    assert [m.label for m in page.metric] == ["ReLU", "Leaky ReLU", "ELU"]
    assert not page.error and not page.warning


def test_large_negative_bias_scenario_sets_the_widgets_and_trains(page):
    page.button(key="neurons.scenario.Large negative bias").click().run()
    assert not page.exception
    assert page.slider(key="neurons.bias_init").value == -3.0
    assert page.select_slider(key="neurons.learning_rate").value == 1.0
    assert "Large negative bias" in page.info[0].value
    run = page.session_state["neurons.run"]
    assert run.epoch >= 1
    relu = page.metric[0]
    assert relu.label == "ReLU" and relu.value.startswith("29 of 32 units dead")  # measured by the engine
    assert page.metric[1].value == "0 of 32 units dead"
    assert charts(page) == CHARTS_PER_RUN


@pytest.mark.timeout(120)
def test_excessive_learning_rate_scenario_reports_the_divergence(page):
    page.button(key="neurons.scenario.Excessive learning rate").click().run()
    assert not page.exception
    assert page.select_slider(key="neurons.learning_rate").value == 3.0
    # The scenario plays: the training service trains it in the background, and the page's first picture may be
    # epoch 0. In a browser the fragment's timer redraws it; AppTest fires no timer, so rerun once epoch 1 is in.
    while page.session_state["neurons.run"].epoch < 1:
        time.sleep(0.01)
    page.run()
    assert page.session_state["neurons.run"].epoch >= 1
    assert any("ELU" in w.value and "diverged at epoch 1" in w.value for w in page.warning)
    assert page.metric[2].value == "diverged"
    assert charts(page) == CHARTS_PER_RUN
    # at the end the page says plainly what the dead units cost in this run (ReLU at chance, Leaky ReLU learns)
    run = page.session_state["neurons.run"]
    while not run.done:  # the page's timer would renew the run's lease; AppTest has none, so the test does
        run.play()
        run.wait(0.5)
    page.run()
    verdict = [c.value for c in page.caption if "lost" in c.value and "units in training" in c.value]
    assert len(verdict) == 1 and "here the dead units cost it" in verdict[0], verdict


def test_train_step_reset_and_layer_switch(page):
    # A run long enough not to finish between two clicks however fast the engine or slow the machine: the test
    # must not depend on timing (100 epochs can end before Pause on an idle machine).
    page.select_slider(key="neurons.epochs").set_value(2000).run()
    page.button(key="neurons.play").click().run()  # Train: plays
    assert not page.exception
    page.button(key="neurons.play").click().run()  # Pause
    assert not page.exception and page.session_state["neurons.playing"] is False
    epoch = page.session_state["neurons.run"].epoch
    page.button(key="neurons.step").click().run()
    assert not page.exception and page.session_state["neurons.run"].epoch == epoch + 1
    page.radio(key="neurons.histogram_layer").set_value(2).run()
    assert not page.exception
    page.button(key="neurons.reset").click().run()
    assert not page.exception and page.session_state["neurons.run"].epoch == 0


def test_monte_carlo_section(page):
    page.button(key="neurons.mc_run").click().run()
    assert not page.exception
    assert charts(page) == CHARTS_PER_RUN + 1
    text = " ".join(block.value for block in page.markdown)
    assert "width 2: " in text and "at depth 30" in text and "over 2,000 networks" in text


def test_monte_carlo_at_its_largest_setting(page):
    st.cache_data.clear()
    page.select_slider(key="neurons.mc_seeds").set_value(5000).run()
    page.button(key="neurons.mc_run").click().run()
    assert not page.exception and not page.warning
    assert charts(page) == CHARTS_PER_RUN + 1
    assert "over 5,000 networks" in " ".join(block.value for block in page.markdown)


MAXIMA = {"neurons.layers": ["128"] * 6, "neurons.seeds": "10", "neurons.n_samples": "3000",
          "neurons.test_size": "0.1", "neurons.batch_size": "1", "neurons.epochs": "2000",
          "neurons.maxout_pieces": "5", "neurons.activations": [label(n) for n in HIDDEN_CHOICES]}


def open_link(params: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    at.switch_page(PAGE)
    at.run()
    return at


def test_a_link_with_every_maximum_gets_the_engines_reason_and_trains_nothing():
    """100 networks of 6 x 128 on 2,700 samples, batch 1: before the cap, the first rerun took ~34 s and one
    Step ~7 min. Now the engine's check refuses it before a network is built; the Monte Carlo stays."""
    at = open_link(MAXIMA)
    assert not at.exception and not at.error
    assert at.multiselect(key="neurons.activations").value == list(HIDDEN_CHOICES)  # the link's values were taken
    assert at.slider(key="neurons.hidden_layers.depth").value == 6
    assert at.select_slider(key="neurons.batch_size").value == 1
    assert [w.value for w in at.warning] == [
        "One epoch of training 100 networks of 6 × 128 units on 2,700 samples would need about 1.9e12 "
        f"multiply-adds, over the cap of {format_work(MAX_WORK)} per request (MAX_WORK): choose fewer activations "
        "or seeds, fewer or narrower layers, a larger batch or fewer samples."]
    assert "neurons.run" not in at.session_state
    assert not [b for b in at.button if b.key in ("neurons.play", "neurons.step", "neurons.reset")]
    assert charts(at) == 0 and not at.metric
    at.button(key="neurons.mc_run").click().run()  # the rest of the page still works
    assert not at.exception and charts(at) == 1
    # back within the cap (one activation, 2 x 16): the live run appears
    at.multiselect(key="neurons.activations").set_value(["relu"])
    at.slider(key="neurons.hidden_layers.depth").set_value(2)
    at.select_slider(key="neurons.hidden_layers.width").set_value(16).run()
    assert not at.exception and not at.warning
    assert at.session_state["neurons.run"].epoch == 0 and charts(at) == CHARTS_PER_RUN + 1


def test_the_heaviest_allowed_run_builds_and_steps():
    """Every activation, 10 seeds, 6 x 24 on 1,890 samples, batch 32: one epoch just under the cap."""
    params = {**MAXIMA, "neurons.layers": ["24"] * 6, "neurons.n_samples": "2100", "neurons.batch_size": "32"}
    at = open_link(params)
    assert not at.exception and not any("MAX_WORK" in w.value for w in at.warning)
    assert len(at.session_state["neurons.run"].configs) == 100
    at.button(key="neurons.step").click().run()
    assert not at.exception and at.session_state["neurons.run"].epoch == 1


# --- chart builders ------------------------------------------------------------------------------


def spec(chart) -> dict:
    with alt.data_transformers.disable_max_rows():
        return chart.to_dict()


def frames(names=("relu", "elu")):
    ds = load_dataset("moons", n_samples=200, seed=0)
    out = {"histograms": [], "zeros": [], "units": [], "means": []}
    for name in names:
        init = MLP([2, 8, 8, 2], activation=name, seed=0)
        now = MLP([2, 8, 8, 2], activation=name, seed=1, bias_init=-2.0)
        tag = {"activation": label(name)}
        out["histograms"].append(histograms_before_after(init, now, ds.X_train).assign(**tag))
        for when, model in (("at init", init), ("now", now)):
            out["zeros"].append(zero_counts(model, ds.X_train).assign(when=when, **tag))
            out["means"].append(mean_activation(model, ds.X_train).assign(when=when, **tag))
        out["units"].append(dead_map(now, ds.X_train).assign(**tag))
    return {key: pd.concat(value, ignore_index=True) for key, value in out.items()}


def test_histogram_grid_has_a_row_per_activation_titled_in_its_colour():
    data = frames()
    one_layer = data["histograms"][data["histograms"]["layer"] == 1]
    grid = spec(neuron_charts.histogram_grid(one_layer, data["zeros"][data["zeros"]["layer"] == 1], ["relu", "elu"]))
    assert len(grid["vconcat"]) == 2
    for row, name in zip(grid["vconcat"], ["relu", "elu"], strict=True):
        panels = row["hconcat"]
        assert [p["title"]["text"] for p in panels] == [f"{label(name)} · at init", f"{label(name)} · now"]
        assert all(p["title"]["color"] == activation_color(name) for p in panels)
        assert all("exact zeros" in p["title"]["subtitle"] for p in panels)
        assert all(p["encoding"]["color"]["scale"]["range"] == [activation_color(name)] for p in panels)
        assert all(p["encoding"]["x"]["title"] and p["encoding"]["y"]["title"] for p in panels)


def test_dead_unit_map_colours_dead_units_neutral_and_alive_in_the_activation_colour():
    data = frames()
    chart = spec(neuron_charts.dead_unit_map(data["units"], ["relu", "elu"]))
    for panel, name in zip(chart["hconcat"], ["relu", "elu"], strict=True):
        scale = panel["encoding"]["color"]["scale"]
        assert scale["domain"] == list(neuron_charts.STATES)
        assert scale["range"] == [activation_color(name), neuron_charts.DEAD_COLOR, neuron_charts.NO_GRADIENT_COLOR]
        assert panel["title"]["color"] == activation_color(name)
        assert panel["encoding"]["x"]["title"] == "hidden layer" and panel["encoding"]["y"]["title"] == "unit"
        assert panel["encoding"]["color"]["legend"]["title"] == "unit"


def test_mean_activation_chart_uses_the_palette_and_marks_zero():
    data = frames()
    chart = spec(neuron_charts.mean_activation_chart(data["means"], ["relu", "elu"]))
    lines = chart["layer"][1]
    assert lines["encoding"]["color"]["scale"]["range"] == [activation_color("relu"), activation_color("elu")]
    assert lines["encoding"]["y"]["title"] and lines["encoding"]["x"]["title"] == "hidden layer"
    assert chart["layer"][0]["mark"]["type"] == "rule"


def test_dying_curve_uses_neutral_greys_not_activation_colours():
    chart = spec(neuron_charts.dying_curve(dying_at_init(depths=range(1, 11), n_seeds=200)))
    color = chart["encoding"]["color"]
    assert color["scale"]["domain"] == ["2", "3", "4"]
    assert all(c[1:3] == c[3:5] == c[5:7] for c in color["scale"]["range"])  # greys only
    assert "all ReLU" in " ".join(color["legend"]["title"])
    assert chart["encoding"]["y"]["scale"]["domain"] == [0, 1]
    assert chart["encoding"]["x"]["title"].startswith("depth")


def test_no_activation_asks_for_one_and_the_settings_stay_to_choose_one():
    at = start_page("neurons")
    at.multiselect(key="neurons.activations").set_value([]).run()
    assert not at.exception and "neurons.play" not in [b.key for b in at.button]
    assert any("Choose at least one activation" in i.value for i in at.info)
    assert len(at.sidebar.expander) == 3  # drawn before the page stopped
    at.sidebar.multiselect(key="neurons.activations").set_value(["relu"]).run()
    assert not at.exception and at.session_state["neurons.run"].experiment.activations == ("relu",)
