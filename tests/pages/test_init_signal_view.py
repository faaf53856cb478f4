"""Gradient Flow's signal-at-init section headless (AppTest), and its chart builders (pages.ui.init_charts)."""

from __future__ import annotations

import pandas as pd
import pytest

from core.engine.data import load_dataset
from core.lab.init_signal import SCHEMES, end_values, signal_frame, zero_init_symmetry
from core.settings import SIGNAL_SCHEMES
from pages.ui import init_charts
from pages.ui.init_signal_view import histogram_layers, scientific
from pages.ui.palette import activation_color
from tests.support.apptest import button, start

SMALL = {"signal.depth": ["6"], "signal.width": ["32"], "signal.seeds": ["1"]}


def reading(at) -> str:
    return next(block.value for block in at.markdown if block.value.startswith("Standard deviation of the outputs"))


def test_the_section_shows_the_spread_of_every_activation_and_init_as_the_engine_measures_it():
    at = start("gradient_flow", SMALL)
    assert "At init, forward: how far the signal gets" in [h.value for h in at.subheader]
    frame = signal_frame(load_dataset("digits", seed=0), depth=6, width=32, seeds=1)
    ends = end_values(frame, (1, 6))
    text = reading(at)
    for name, label in (("tanh", "Tanh"), ("relu", "ReLU"), ("sigmoid", "Sigmoid")):
        row = next(line for line in text.splitlines() if line.startswith(f"| **{label}**"))
        for scheme in SCHEMES:
            assert f"{scientific(ends.loc[(name, scheme), 1])} → {scientific(ends.loc[(name, scheme), 6])}" in row
    assert not at.exception and not at.error
    assert "Glorot & Bengio 2010" in " ".join(block.value for block in at.markdown)


def test_train_both_shows_zero_init_keeping_one_unit_per_layer():
    at = start("gradient_flow", {**SMALL, "signal.symmetry_epochs": ["5"], "signal.symmetry_activation": ["tanh"]})
    assert any("Train both" in c.value for c in at.caption)
    button(at, "signal.train_symmetry").click().run()
    assert not at.exception
    frame = zero_init_symmetry(load_dataset("digits", seed=0), "tanh", (32, 32, 32), epochs=5,
                               inits=("zero", "small"))
    assert frame[frame["init"] == "zero"]["distinct_units"].eq(1).all()
    text = " ".join(block.value for block in at.markdown)
    assert "After 5 epochs: zero init has **1 distinct unit(s)** of 32" in text
    assert "only the output biases learn" in text


def test_a_link_picks_the_histograms_and_a_bad_value_is_ignored_with_a_notice():
    at = start("gradient_flow", {**SMALL, "signal.histogram_activation": ["ReLU"], "signal.histogram_init": ["he"],
                                 "signal.depth": ["banana"]})
    assert at.selectbox(key="signal.histogram_activation").value == "relu"
    assert at.selectbox(key="signal.histogram_init").value == "he"
    assert any("depth=banana" in w.value for w in at.warning)
    assert not at.exception


def test_work_over_the_cap_is_refused_in_words():
    at = start("gradient_flow", {"signal.depth": ["30"], "signal.width": ["256"], "signal.seeds": ["3"],
                                 "signal.dataset": ["breast_cancer"]})
    assert not at.exception
    assert any("over the cap" in w.value and "choose fewer" in w.value for w in at.warning)


def test_histogram_layers_show_ten_at_most_and_always_the_first_and_last():
    assert histogram_layers(3) == [1, 2, 3]
    layers = histogram_layers(30)
    assert len(layers) == 10 and layers[0] == 1 and layers[-1] == 30


def test_scientific_reads_on_a_projector():
    assert scientific(0.62) == "0.62" and scientific(0.0) == "0"
    assert scientific(1.7e-5) == "1.7 × 10⁻⁵" and scientific(6.7e8) == "6.7 × 10⁸"


def signal_rows() -> pd.DataFrame:
    rows = []
    for name in ("tanh", "relu"):
        for scheme in ("small", "zero"):
            for seed in (0, 1):
                for layer in (1, 2, 3):
                    std = 0.0 if scheme == "zero" else 0.1 ** layer * (1 + seed)
                    rows.append((name, scheme, seed, layer, 0.0, std, std, 0.0))
    return pd.DataFrame(rows, columns=["activation", "init", "seed", "layer", "mean", "std", "pre_std", "saturated"])


def test_std_data_takes_mean_and_range_over_seeds_and_flags_zero_spread():
    data = init_charts.std_data(signal_rows(), SIGNAL_SCHEMES)
    tanh2 = data[(data["activation"] == "tanh") & (data["init"] == "small") & (data["layer"] == 2)].iloc[0]
    assert tanh2["mean"] == pytest.approx(0.015) and tanh2["low"] == pytest.approx(0.01)
    assert tanh2["high"] == pytest.approx(0.02)
    assert tanh2["label"] == "Tanh" and tanh2["init_label"] == SIGNAL_SCHEMES["small"] and not tanh2["zero"]
    notes = data[data["note"] >= 0]
    assert notes[["activation", "init", "layer", "note"]].values.tolist() == [["tanh", "zero", 1, 0],
                                                                               ["relu", "zero", 1, 1]]


def test_std_chart_has_a_panel_per_init_with_the_data_at_the_top_and_palette_colours():
    schemes = {k: SIGNAL_SCHEMES[k] for k in ("small", "zero")}
    spec = init_charts.std_chart(init_charts.std_data(signal_rows(), SIGNAL_SCHEMES), ["tanh", "relu"],
                                 schemes).to_dict()
    assert [panel["title"]["text"] for panel in spec["concat"]] == list(schemes.values())
    assert "data" in spec and all("data" not in layer for panel in spec["concat"] for layer in panel["layer"])
    line = spec["concat"][0]["layer"][1]["encoding"]
    assert line["color"]["scale"]["range"] == [activation_color("tanh"), activation_color("relu")]
    assert line["y"]["scale"]["type"] == "log"
    assert all("yOffset" not in layer.get("encoding", {}) for panel in spec["concat"] for layer in panel["layer"])


def test_histogram_chart_titles_each_layer_with_its_std():
    bars = pd.DataFrame({"layer": [1, 1, 2, 2], "bin_start": [0, 0.5, 0, 0.5], "bin_end": [0.5, 1, 0.5, 1],
                         "count": [1, 3, 2, 2], "share": [0.25, 0.75, 0.5, 0.5]})
    spec = init_charts.histogram_chart(bars, pd.DataFrame({"layer": [1, 2], "std": [0.3, 0.02]}), "relu").to_dict()
    assert [(p["title"]["text"], p["title"]["subtitle"]) for p in spec["concat"]] == [("layer 1", "std 0.3"),
                                                                                        ("layer 2", "std 0.02")]
    assert spec["concat"][0]["mark"]["color"] == activation_color("relu")


def test_symmetry_chart_colours_zero_init_by_the_activation_and_the_control_grey():
    frame = pd.DataFrame({"init": ["zero", "small"], "epoch": [0, 0], "layer": [1, 1], "units": [8, 8],
                          "distinct_units": [1, 8], "distinct_exact": [1, 8], "spread": [0.0, 1.0]})
    spec = init_charts.symmetry_chart(frame, "sigmoid", SIGNAL_SCHEMES).to_dict()
    assert spec["encoding"]["color"]["scale"]["range"] == [activation_color("sigmoid"), init_charts.NEUTRAL]
    assert spec["encoding"]["y"]["scale"]["domain"] == [0, 8]
