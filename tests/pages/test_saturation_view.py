"""Neurons' where-sigmoid-saturates section headless (AppTest), and its chart builders."""

from __future__ import annotations

import pandas as pd

from core.lab.saturation import SaturationExperiment, SaturationRun, top_layer
from pages.ui import saturation_charts
from pages.ui.palette import activation_color
from pages.ui.saturation_view import INIT_NAMES, reading
from tests.support.apptest import button, start

SMALL = {"saturation.epochs": ["50"], "saturation.depth": ["4"]}


def test_the_section_trains_nothing_until_asked_then_plays_and_steps():
    at = start("neurons", SMALL)
    assert "Where sigmoid saturates: the top layer driven to 0" in [h.value for h in at.subheader]
    assert "saturation.run" not in at.session_state
    button(at, "saturation.start").click().run()
    assert not at.exception
    assert at.session_state["saturation.playing"] is True  # AppTest does not fire the live timer: pause, then step
    button(at, "saturation.play").click().run()
    button(at, "saturation.reset").click().run()
    run = at.session_state["saturation.run"]
    assert isinstance(run, SaturationRun) and run.epoch == 0 and run.experiment.epochs == 50
    text = next(block.value for block in at.markdown if block.value.startswith("Top hidden layer's mean output"))
    top = top_layer(run.statistics())
    assert f"{top.loc[0, ('sigmoid', 'standard')]:.2f} at init" in text
    button(at, "saturation.step").click().run()
    assert not at.exception
    run = at.session_state["saturation.run"]
    assert run.epoch == 1
    text = next(block.value for block in at.markdown if block.value.startswith("Top hidden layer's mean output"))
    top = top_layer(run.statistics())
    assert f"{top.loc[1, ('sigmoid', 'standard')]:.2f} at epoch 1" in text and "test accuracy" in text
    assert "Glorot & Bengio (2010" in " ".join(block.value for block in at.markdown)
    button(at, "saturation.reset").click().run()
    assert at.session_state["saturation.run"].epoch == 0


def test_a_bad_link_value_is_ignored_with_a_notice():
    at = start("neurons", {"saturation.depth": ["7"]})
    assert not at.exception
    assert any("depth=7" in w.value for w in at.warning)
    button(at, "saturation.start").click().run()
    assert at.session_state["saturation.run"].experiment == SaturationExperiment()
    button(at, "saturation.play").click().run()  # pause: the background thread stops before the test ends


def curves() -> pd.DataFrame:
    rows = []
    for activation, init, first, low in (("sigmoid", "standard", 0.5, 0.02), ("tanh", "standard", 0.0, 0.0)):
        for epoch, mean in enumerate([first, first / 2, low, low, first / 2 + 0.01]):
            for layer in (1, 2):
                rows.append((activation, init, 0, epoch, layer, mean if layer == 2 else 0.5, 0.1, mean - 0.1,
                             mean + 0.1, 0.0, 0.1 * epoch))
    return pd.DataFrame(rows, columns=["activation", "init", "seed", "epoch", "layer", "mean", "std", "low", "high",
                                       "saturated", "test_accuracy"])


def test_reading_reports_the_fall_the_lowest_point_and_the_recovery_from_the_frame():
    text = reading(curves())
    assert "**Sigmoid, standard U[±1/√n]**: 0.50 at init, 0.25 at epoch 1, lowest 0.02 at epoch 2" in text
    assert "back above 0.25 at epoch 4, now 0.26, test accuracy 40%" in text
    assert "**Tanh, standard U[±1/√n]**: 0.00 at init, 0.00 at epoch 1, now 0.01" in text


def test_chart_has_a_panel_per_network_in_its_activations_colour_and_shades_per_layer():
    spec = saturation_charts.saturation_chart(curves(), INIT_NAMES, 4).to_dict()
    titles = [panel["title"] for panel in spec["hconcat"]]
    assert [t["text"] for t in titles] == ["Sigmoid, standard U[±1/√n] init", "Tanh, standard U[±1/√n] init"]
    assert [t["color"] for t in titles] == [activation_color("sigmoid"), activation_color("tanh")]
    colors = spec["hconcat"][0]["layer"][1]["encoding"]["color"]["scale"]["range"]
    assert colors[-1] == activation_color("sigmoid") and colors[0] != colors[-1]
    assert spec["hconcat"][0]["layer"][1]["encoding"]["y"]["scale"]["domain"] == [0.0, 1.0]
    assert spec["hconcat"][1]["layer"][1]["encoding"]["y"]["scale"]["domain"] == [-1.0, 1.0]


def test_shade_mixes_with_white():
    assert saturation_charts.shade("#D55E00", 1.0) == "#D55E00"
    assert saturation_charts.shade("#D55E00", 0.0) == "#FFFFFF"
    assert saturation_charts.layer_shades("relu", 3)[-1] == "#D55E00"
