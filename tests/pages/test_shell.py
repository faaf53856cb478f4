"""The app shell headless (AppTest): the router, Home, and the Activation Explorer's states."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.apptest import start


@pytest.fixture
def explorer() -> AppTest:
    return start("explorer")


def chart_count(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


def test_home_runs_clean_with_its_chart_and_a_card_link():
    at = start()
    assert at.title[0].value == "ReLU Lab"
    assert chart_count(at) == 1
    assert any("max(0, x)" in block.value for block in at.markdown)
    assert at.get("page_link"), "Home links into the labs"


def test_explorer_default_view(explorer):
    assert explorer.title[0].value == "Activation Explorer"
    assert explorer.multiselect(key="explorer.activations").value == ["relu", "sigmoid", "tanh"]
    # f(x) and f'(x) panels plus one histogram per activation
    assert chart_count(explorer) == 2 + 3
    # a function and a derivative formula per activation
    assert len(explorer.latex) == 2 * 3
    assert r"\max(0, x)" in explorer.latex[0].value
    assert not explorer.error and not explorer.info
    assert explorer.table, "properties table"
    assert explorer.dataframe, "batch summary table"
    metric_labels = {metric.label for metric in explorer.metric}
    assert {"Exact zeros", "|f′| < 0.01"} <= metric_labels


def test_saturation_text_shows_computed_edges(explorer):
    text = " ".join(block.value for block in explorer.markdown)
    # computed by core.lab.explorer, not typed in: sigma' < 0.01 beyond |x| = 4.58, tanh' beyond 2.99
    assert "x > 4.58" in text and "x < −4.58" in text
    assert "x > 2.99" in text
    assert "max |f′| = 0.25" in text
    assert "open interval (0, 1)" in text
    assert "f′(0) = 0" in text


def test_alpha_sliders_appear_with_their_activations(explorer):
    assert [slider.key for slider in explorer.slider] == ["explorer.sigma"]
    explorer.multiselect(key="explorer.activations").select("leaky_relu").select("elu").run()
    assert not explorer.exception
    assert {"explorer.leaky_alpha", "explorer.elu_alpha"} <= {slider.key for slider in explorer.slider}
    assert chart_count(explorer) == 2 + 5
    explorer.slider(key="explorer.leaky_alpha").set_value(0.2).run()
    explorer.slider(key="explorer.elu_alpha").set_value(0.5).run()
    assert not explorer.exception
    labels = " ".join(block.value for block in explorer.markdown)
    assert "Leaky ReLU** (α = 0.2)" in labels and "ELU** (α = 0.5)" in labels


def test_every_activation_at_once_and_a_wide_batch(explorer):
    explorer.multiselect(key="explorer.activations").set_value(
        ["relu", "leaky_relu", "sigmoid", "tanh", "linear", "elu", "gelu", "silu", "softplus"]
    ).run()
    explorer.slider(key="explorer.sigma").set_value(5.0).run()
    assert not explorer.exception
    assert chart_count(explorer) == 2 + 9
    assert len(explorer.latex) == 2 * 9


def test_range_changes_and_invalid_range(explorer):
    explorer.number_input(key="explorer.x_min").set_value(-3.0).run()
    explorer.number_input(key="explorer.x_max").set_value(3.0).run()
    assert not explorer.exception and not explorer.error
    assert chart_count(explorer) == 2 + 3
    explorer.number_input(key="explorer.x_min").set_value(5.0).run()
    assert not explorer.exception
    assert explorer.error and "x from" in explorer.error[0].value
    assert chart_count(explorer) == 3  # no broken curve charts; the batch section still works


def test_empty_selection_is_a_friendly_message(explorer):
    explorer.multiselect(key="explorer.activations").set_value([]).run()
    assert not explorer.exception
    assert explorer.info and "Pick at least one activation" in explorer.info[0].value
    assert chart_count(explorer) == 0 and not explorer.latex


def test_shading_toggle_and_remeasure(explorer):
    explorer.toggle(key="explorer.shade").set_value(False).run()
    assert not explorer.exception and chart_count(explorer) == 2 + 3
    explorer.button(key="remeasure").click().run()
    assert not explorer.exception
    assert explorer.session_state["speed_measurement"] == 1
