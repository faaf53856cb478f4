"""The deep-dive pages headless (AppTest): Gradient Flow and Speed, started from the router."""

import re

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.engine.limits import MAX_WORK, format_work
from core.engine.mlp import HIDDEN_CHOICES
from pages.ui.palette import label
from pages.ui.shared import shared_results
from tests.support.apptest import start

CAP = f"over the cap of {format_work(MAX_WORK)}"


SIGNAL_CHARTS = 2  # the signal-at-init section (pages/ui/init_signal_view.py): std per layer, histograms


def charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


def text(at: AppTest) -> str:
    return " ".join(block.value for block in at.markdown)


def exponent(at: AppTest, name: str) -> float:
    """The computed power of ten the page prints after **name** in its first reading."""
    return float(re.search(rf"\*\*{name}\*\* \$10\^{{(-?\d+\.\d)}}\$", text(at)).group(1))


@pytest.fixture
def flow() -> AppTest:
    return start("gradient_flow")


def test_gradient_flow_default_view(flow):
    assert flow.title[0].value == "Gradient Flow"
    assert flow.multiselect(key="flow.activations").value == ["relu", "sigmoid", "tanh"]
    assert charts(flow) == 3 + SIGNAL_CHARTS  # at init, through depth, exploding; training waits for the button
    assert not flow.error and not flow.warning
    assert not flow.button(key="flow.train").disabled
    assert "Press **Train**" in flow.info[0].value
    # the reading is computed: sigmoid's first layer gets ~10^-6 of the last layer's gradient, ReLU's ~10^-0.5
    assert exponent(flow, "Sigmoid") < -4
    assert -1.5 < exponent(flow, "ReLU") < 0.5
    assert "σ'(x)" in text(flow) or r"\sigma'(x)" in text(flow)


def test_train_button_draws_the_heatmaps(flow):
    flow.slider(key="flow.depth").set_value(4).run()
    flow.button(key="flow.train").click().run()
    assert not flow.exception and not flow.error
    assert charts(flow) == 4 + SIGNAL_CHARTS
    assert "at epoch 30" in text(flow)
    flow.slider(key="flow.seeds").set_value(1).run()  # not a training setting: the heatmaps stay
    assert charts(flow) == 4 + SIGNAL_CHARTS
    flow.slider(key="flow.depth").set_value(3).run()
    assert not flow.exception
    assert charts(flow) == 3 + SIGNAL_CHARTS and "settings changed" in flow.info[0].value


def test_edge_settings(flow):
    flow.slider(key="flow.depth").set_value(1).run()
    assert not flow.exception
    assert any("more than one hidden layer" in c.value for c in flow.caption)
    flow.select_slider(key="flow.scales").set_value((2.0, 2.0)).run()
    assert not flow.exception
    assert any("Widen the range" in c.value for c in flow.caption)
    flow.selectbox(key="flow.explode_activation").set_value("tanh").run()
    flow.multiselect(key="flow.activations").set_value(["maxout", "leaky_relu"]).run()
    assert not flow.exception and charts(flow) == 3 + SIGNAL_CHARTS


def test_heavy_training_is_refused_with_a_reason(flow):
    flow.select_slider(key="flow.width").set_value(128).run()  # 3 networks of 10 x 128: ~8x the default work
    assert not flow.exception
    assert [w.value for w in flow.warning] == [
        "Training 3 networks of 10 × 128 units for 30 epochs would need about 3.9e10 multiply-adds, over the cap "
        f"of {format_work(MAX_WORK)} per request (MAX_WORK): choose fewer activations, fewer or narrower layers, "
        "or fewer samples."]
    assert flow.button(key="flow.train").disabled
    assert charts(flow) == 3 + SIGNAL_CHARTS  # the measurements at init are light enough and still drawn


MAXIMA = {"flow.depth": "30", "flow.width": "128", "flow.seeds": "5", "flow.n_samples": "3000",
          "flow.test_size": "0.1", "flow.scales": ["×0.25", "×8"], "flow.explode_activation": "Maxout"}


def test_a_link_with_every_maximum_is_refused_with_the_engines_reasons():
    """Every activation, 30 x 128, 5 seeds, 3000 samples, every init scale for Maxout (before the cap: ~20 s)."""
    st.cache_data.clear()  # compute the measurements, not read them from the cache
    at = start("gradient_flow", {**MAXIMA, "flow.activations": [label(n) for n in HIDDEN_CHOICES]})
    assert at.multiselect(key="flow.activations").value == list(HIDDEN_CHOICES)  # the link's values were taken
    assert at.slider(key="flow.depth").value == 30 and at.select_slider(key="flow.scales").value == (0.25, 8.0)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 3 and all(CAP in w for w in warnings)
    assert warnings[0].startswith("Measuring the gradients at init of 50 networks of 30 × 128 units")
    assert warnings[1].startswith("This depth sweep (10 activations × 8 depths × 3 seeds, width 128)")
    assert warnings[2].startswith("Training 10 networks of 30 × 128 units for 30 epochs")
    assert at.button(key="flow.train").disabled
    # the exploding section (one network, six scales) is within the cap and drawn; the signal section has its own
    # settings (signal.*), at their defaults here
    assert charts(at) == 1 + SIGNAL_CHARTS
    assert not at.error


def test_the_heaviest_allowed_settings_still_draw_every_measurement():
    """Two activations at 30 x 128 over 5 seeds: each measurement at init just under the cap, all drawn."""
    st.cache_data.clear()
    at = start("gradient_flow", {**MAXIMA, "flow.activations": ["ReLU", "Tanh"]})
    assert charts(at) == 3 + SIGNAL_CHARTS
    assert [w.value for w in at.warning if CAP not in w.value] == []
    assert len(at.warning) == 1 and at.warning[0].value.startswith("Training 2 networks")


def test_gradient_flow_empty_selection(flow):
    flow.multiselect(key="flow.activations").set_value([]).run()
    assert not flow.exception
    assert flow.info and "Choose at least one activation" in flow.info[0].value
    assert charts(flow) == 0
    assert len(flow.sidebar.expander) == 2  # the settings are drawn before the page stops: one can be chosen again
    flow.sidebar.multiselect(key="flow.activations").set_value(["relu"]).run()
    assert not any("Choose at least one activation" in i.value for i in flow.info) and charts(flow) > 0
    assert flow.multiselect(key="flow.activations").value == ["relu"]  # the choice kept, not the last valid one


SPEED_LINK = {"speed.repeats": "3", "speed.width": "32"}


def test_speed_is_measured_once_per_server_and_again_for_everyone():
    shared_results.clear()  # a fresh server
    at = start("speed", SPEED_LINK)
    assert at.title[0].value == "Speed"
    assert charts(at) == 3  # forward, backward, whole network
    assert "This server:" in text(at) and "CPU cores" in text(at)
    store = shared_results("speed")
    key = at.session_state["speed.shown"]
    first = store.latest(key)
    micro = first.value["micro"]
    assert list(micro.columns) == ["activation", "label", "size", "dtype", "pass", "seconds", "relative_to_relu",
                                   "low", "high", "repeats"]
    assert set(micro["size"]) == {1_000, 10_000, 100_000, 1_000_000} and (micro["repeats"] == 3).all()
    assert "ReLU's time" in text(at) and "a whole training epoch costs" in text(at)
    assert "Judged by every repeat" in text(at) and "within 25% of ReLU" in text(at)
    assert any("Measured just now on this server" in c.value for c in at.caption)

    other = start("speed", SPEED_LINK)  # a second visitor: the same figures, not measured again
    assert not other.exception and charts(other) == 3
    assert store.latest(other.session_state["speed.shown"]) is first

    at.slider(key="speed.repeats").set_value(4).run()  # new settings: no surprise measurement
    assert not at.exception
    assert at.info and "Measure again" in at.info[0].value
    assert at.session_state["speed.shown"] == key
    at.button(key="speed.measure").click().run()
    assert not at.exception and charts(at) == 3 and not at.info
    again = store.latest(at.session_state["speed.shown"])
    assert again is not first and (again.value["micro"]["repeats"] == 4).all()

    other.slider(key="speed.repeats").set_value(4).run()  # the other visitor now gets that measurement
    assert store.latest(other.session_state["speed.shown"]) is again and not other.info
    other.slider(key="speed.repeats").set_value(3).run()
    other.button(key="speed.measure").click().run()  # measures again for everyone with these settings
    assert store.latest(key) is not first and store.latest(key).finished_at > first.finished_at
