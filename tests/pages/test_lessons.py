"""The Lessons page headless (AppTest): every lesson renders its numbers, and its button opens the preset."""

from __future__ import annotations

import pytest

from core.lab import lessons
from core.lab.learning_speed import MOONS
from tests.support.apptest import button, charts, start

TABS = ["1 · Linear", "2 · ReLU′", "3 · Vanishing", "4 · Sparsity", "5 · Dying ReLU", "6 · Maxout", "7 · Speed",
        "8 · Regions", "9 · Depth", "10 · Init scale", "11 · Saturation", "12 · 6× faster?"]
ARENA_TITLE, EXPLORER_TITLE = "Training Arena", "Activation Explorer"
NEURONS_TITLE, SPEED_TITLE = "Neurons: sparsity and dead units", "Speed"


def widget(at, key):
    return next(w for w in (*at.multiselect, *at.select_slider, *at.selectbox, *at.slider) if w.key == key)


def open_lesson(number: int):
    at = start("lessons")
    if number > 1:
        at.query_params["lesson"] = TABS[number - 1]  # the tab is bound to the URL, as a shared link opens it
        at.run()
        assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_page_opens_on_lesson_one_with_its_claim_numbers_and_button():
    at = start("lessons")
    assert at.title[0].value == "Lessons"
    assert [tab.label for tab in at.tabs] == TABS
    # Only the open lesson runs: one bordered lesson, one open button, one misconception.
    assert [b.key for b in at.button if b.key.startswith("lessons.open.")] == ["lessons.open.1"]
    assert len(at.warning) == 1 and "Misconception" in at.warning[0].value
    measured = lessons.linear_vs_relu()
    values = {m.label: m.value for m in at.metric}
    assert values == {"Linear (none): test accuracy": f"{measured['linear']:.0%}",
                      "ReLU: test accuracy": f"{measured['relu']:.0%}"}
    assert not at.error


@pytest.mark.parametrize("number", range(1, len(TABS) + 1))
def test_every_lesson_renders_clean_with_numbers_and_a_misconception(number):
    at = open_lesson(number)
    assert at.metric, "the lesson's measured numbers"
    assert all(m.value for m in at.metric)
    assert not any("nan" in m.value.lower() for m in at.metric)
    assert len(at.warning) == 1 and at.warning[0].value.startswith("**Misconception:**")
    assert [b.key for b in at.button if b.key.startswith("lessons.open.")] == [f"lessons.open.{number}"]
    assert not at.error


def test_next_moves_the_workshop_on_one_lesson():
    at = start("lessons")
    button(at, "lessons.next.1").click().run()
    assert not at.exception
    assert at.query_params["lesson"] == TABS[1]
    assert [m.label for m in at.metric] == ["f′(−1)", "f′(0)", "f′(1)"]
    assert [m.value for m in at.metric] == ["0", "0", "1"]


def test_the_numbers_match_the_engine():
    at = open_lesson(3)
    ratios = lessons.vanishing_ratios()
    labels = [m.label for m in at.metric]
    assert labels == ["Sigmoid (Xavier)", "Tanh (Xavier)", "ReLU (He)"]
    assert at.metric[0].value.endswith("10⁻⁶") and ratios["sigmoid"] < 1e-5
    at = open_lesson(5)
    dying = lessons.dying_units()
    assert at.metric[0].label == "ReLU: dead units"
    assert at.metric[0].value == f"{dying['relu']['dead_after']} of {dying['relu']['units']}"
    assert at.metric[1].value == f"0 of {dying['leaky_relu']['units']}"
    at = open_lesson(7)
    text = " ".join(c.value for c in at.caption)
    assert "measured on this server" in text and "vary" in text


def click_open(number: int):
    at = open_lesson(number)
    button(at, f"lessons.open.{number}").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_lesson_1_opens_the_arena_with_linear_against_relu_on_circles():
    at = click_open(1)
    assert at.title[0].value == ARENA_TITLE
    assert widget(at, "arena.activations").value == ["linear", "relu"]
    assert widget(at, "arena.dataset").value == "circles"
    assert widget(at, "arena.noise").value == 0.1
    assert widget(at, "arena.epochs").value == 100
    # six training charts, the classes' legend, a decision surface per activation, the network diagram
    assert len(charts(at)) == 6 + 1 + 2 + 1


def test_lesson_2_opens_the_explorer_with_relu_only():
    at = click_open(2)
    assert at.title[0].value == EXPLORER_TITLE
    assert at.multiselect(key="explorer.activations").value == ["relu"]
    assert any(r"\max(0, x)" in latex.value for latex in at.latex)


def test_lesson_3_opens_the_arena_eight_layers_deep_with_sigmoid_and_relu():
    at = click_open(3)
    assert at.title[0].value == ARENA_TITLE
    assert sorted(widget(at, "arena.activations").value) == ["relu", "sigmoid"]
    assert widget(at, "arena.hidden_layers.depth").value == 8
    assert widget(at, "arena.init").value == "auto"  # He for ReLU, Xavier for sigmoid, as the lesson measured


def test_lesson_4_opens_the_arena_with_relu_and_tanh():
    at = click_open(4)
    assert at.title[0].value == ARENA_TITLE
    assert widget(at, "arena.activations").value == ["relu", "tanh"]
    assert widget(at, "arena.bias_init").value == 0.0


def test_lesson_5_opens_the_dying_relu_preset_with_a_bias_of_minus_three():
    at = click_open(5)
    assert at.title[0].value == NEURONS_TITLE
    assert widget(at, "neurons.activations").value == ["relu", "leaky_relu", "elu"]
    assert widget(at, "neurons.bias_init").value == -3.0
    assert widget(at, "neurons.learning_rate").value == 1.0
    assert widget(at, "neurons.epochs").value == 100
    # At epoch 0 the page counts the same dead units the lesson quotes.
    dying = lessons.dying_units()["relu"]
    assert at.metric[0].label == "ReLU" and at.metric[0].value.startswith(f"{dying['dead_at_init']} of 32 units dead")


def test_lesson_6_opens_the_arena_with_relu_leaky_relu_and_maxout():
    at = click_open(6)
    assert at.title[0].value == ARENA_TITLE
    assert widget(at, "arena.activations").value == ["relu", "leaky_relu", "maxout"]
    assert widget(at, "arena.dataset").value == "moons"


def test_lesson_7_opens_the_speed_page():
    # A server whose router leaves Speed out opens the Explorer instead; AppTest finds every file in pages/, so
    # here Speed always opens.
    at = click_open(7)
    assert at.title[0].value == SPEED_TITLE
    assert not at.query_params.get("lesson")


REGIONS_TITLE, FLOW_TITLE = "Linear Regions", "Gradient Flow"


def test_lesson_8_quotes_the_regions_the_engine_counts():
    at = open_lesson(8)
    numbers = lessons.linear_regions_numbers()
    values = {m.label: m.value for m in at.metric}
    assert values["ReLU: regions at init"] == f"{numbers['relu']['at_init']:,}"
    assert values[f"ReLU: after {numbers['epochs']} epochs"] == f"{numbers['relu']['after']:,}"
    assert values["Tanh: gradient constant"] == "0% of cells"


@pytest.mark.parametrize("number", [8, 9])
def test_lessons_8_and_9_open_linear_regions_with_its_default_experiment(number):
    at = click_open(number)
    assert at.title[0].value == REGIONS_TITLE
    assert widget(at, "regions.activations").value == ["relu", "leaky_relu", "maxout", "tanh", "sigmoid"]
    assert at.slider(key="regions.hidden_layers.depth").value == 2
    assert widget(at, "regions.sweep_units").value == 24
    run = at.session_state["regions.run"]
    assert run.experiment == lessons.REGIONS_LESSON and run.epoch == 0
    # At epoch 0 the page counts the regions lesson 8 quotes.
    at_init = lessons.linear_regions_numbers()["relu"]["at_init"]
    assert {m.label: m.value for m in at.metric}["ReLU: regions"] == f"{at_init:,}"


def test_lesson_9_quotes_the_sweep_at_init_falling_with_depth():
    at = open_lesson(9)
    summary = lessons.depth_numbers()
    values = {m.label: m.value for m in at.metric}
    assert values["1 × 24, at init"] == f"{summary.iloc[0]['mean']:.0f}" == "48"
    assert "At init the count falls with depth" in " ".join(c.value for c in at.caption)


def test_lesson_10_opens_gradient_flow_with_the_signal_section_on_tanh_at_a_small_init():
    at = click_open(10)
    assert at.title[0].value == FLOW_TITLE
    assert at.selectbox(key="signal.histogram_activation").value == "tanh"
    assert at.selectbox(key="signal.histogram_init").value == "small"
    assert at.slider(key="signal.depth").value == 30
    ends = lessons.init_signal_numbers()
    text = " ".join(block.value for block in at.markdown)
    assert "8.2 × 10⁻³¹" in text and ends.loc[("tanh", "small"), 30] < 1e-20


def test_lesson_11_opens_neurons_with_the_saturation_section_at_its_defaults():
    at = click_open(11)
    assert at.title[0].value == NEURONS_TITLE
    assert widget(at, "saturation.depth").value == 4
    assert widget(at, "saturation.epochs").value == 100
    assert widget(at, "saturation.learning_rate").value == 0.3


def test_lesson_12_quotes_the_measured_ratios_and_opens_the_arena_over_five_seeds():
    at = open_lesson(12)
    ratios = lessons.learning_speed_numbers(MOONS).set_index("activation")
    tanh = [m.value for m in at.metric if m.label == "Tanh: epochs"]
    assert tanh[0] == f"{ratios.loc['tanh', 'epoch_ratio_median']:.1f}× ReLU's"
    at = click_open(12)
    assert at.title[0].value == ARENA_TITLE
    assert widget(at, "arena.activations").value == ["relu", "tanh", "sigmoid"]
    assert widget(at, "arena.learning_rate").value == 1.0
    assert at.slider(key="arena.seeds").value == 5
