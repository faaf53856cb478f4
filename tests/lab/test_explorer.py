"""core.lab.explorer (the Explorer's maths) and core.lab.speed, checked against closed forms."""

import math

import numpy as np
import pandas as pd
import pytest

from core.engine.activations import ACTIVATIONS
from core.lab.explorer import (
    DERIVATIVE,
    FUNCTION,
    batch_response,
    curves,
    derivative_peak,
    is_saturating,
    saturation_bands,
    saturation_intervals,
)
from core.lab.speed import relative_costs, time_activation

ALL = list(ACTIVATIONS)


def sigmoid_saturation_edge(threshold):
    # sigma(1 - sigma) = t  =>  sigma = (1 - sqrt(1 - 4t)) / 2, and x = logit(sigma)
    s = (1 - math.sqrt(1 - 4 * threshold)) / 2
    return math.log(s / (1 - s))


def tanh_saturation_edge(threshold):
    # 1 - tanh^2 = t  =>  x = atanh(sqrt(1 - t))
    return math.atanh(math.sqrt(1 - threshold))


# --- curves ----------------------------------------------------------------------------------------


def test_curves_long_form_columns_and_size():
    frame = curves(["relu", "sigmoid"], -10, 10, n=801)
    assert list(frame.columns) == ["activation", "x", "function", "value", "piece"]
    assert set(frame["function"]) == {FUNCTION, DERIVATIVE}
    # 801 points already include x = 0, so nothing is added.
    assert len(frame) == 2 * 2 * 801
    assert frame["x"].min() == -10 and frame["x"].max() == 10


def test_curves_values_match_the_registry():
    frame = curves(ALL, -3, 3, n=61)
    for name in ALL:
        rows = frame[(frame["activation"] == name) & (frame["function"] == FUNCTION)]
        np.testing.assert_allclose(rows["value"], ACTIVATIONS[name].forward(rows["x"].to_numpy()))
        rows = frame[(frame["activation"] == name) & (frame["function"] == DERIVATIVE)]
        np.testing.assert_allclose(rows["value"], ACTIVATIONS[name].derivative(rows["x"].to_numpy()))


def test_curves_include_zero_so_the_convention_is_drawn():
    frame = curves(["relu"], -1, 2, n=5)  # the even grid -1, -0.25, 0.5, 1.25, 2 misses 0
    derivative = frame[frame["function"] == DERIVATIVE].set_index("x")["value"]
    assert 0.0 in derivative.index
    assert derivative.loc[0.0] == 0.0  # relu'(0) = 0 by convention


def test_relu_derivative_is_split_at_its_jump_smooth_curves_are_not():
    frame = curves(["relu", "leaky_relu", "sigmoid", "tanh", "gelu"], -1000, 1000, n=801)
    pieces = frame.groupby(["activation", "function"])["piece"].nunique()
    assert pieces[("relu", DERIVATIVE)] == 2
    assert pieces[("leaky_relu", DERIVATIVE)] == 2
    for name in ["relu", "leaky_relu", "sigmoid", "tanh", "gelu"]:
        assert pieces[(name, FUNCTION)] == 1
    for name in ["sigmoid", "tanh", "gelu"]:
        assert pieces[(name, DERIVATIVE)] == 1


def test_curves_take_parameters():
    frame = curves(["leaky_relu"], -2, 2, n=5, params={"leaky_relu": {"alpha": 0.2}})
    at_minus_two = frame[(frame["function"] == FUNCTION) & (frame["x"] == -2)]["value"].item()
    assert at_minus_two == pytest.approx(-0.4)


def test_curves_empty_selection_and_bad_input():
    assert curves([]).empty
    with pytest.raises(ValueError, match="x_min < x_max"):
        curves(["relu"], 1, 1)
    with pytest.raises(ValueError, match="x_min < x_max"):
        curves(["relu"], 2, -2)
    with pytest.raises(ValueError, match="Valid choices"):
        curves(["nope"])


# --- saturation ----------------------------------------------------------------------------------------


def test_sigmoid_saturates_beyond_the_closed_form_edge():
    edge = sigmoid_saturation_edge(0.01)  # about -4.585
    (left, right) = saturation_intervals("sigmoid", 0.01, -10, 10)
    assert left[0] == -10 and right[1] == 10
    assert left[1] == pytest.approx(edge, abs=1e-8)
    assert right[0] == pytest.approx(-edge, abs=1e-8)


def test_tanh_saturates_beyond_the_closed_form_edge():
    edge = tanh_saturation_edge(0.01)  # about 2.993
    (left, right) = saturation_intervals("tanh", 0.01, -10, 10)
    assert left[1] == pytest.approx(-edge, abs=1e-8)
    assert right[0] == pytest.approx(edge, abs=1e-8)


def test_elu_saturates_on_the_left_only_and_respects_alpha():
    (only,) = saturation_intervals("elu", 0.01, -20, 20, alpha=0.5)
    assert only[0] == -20
    assert only[1] == pytest.approx(math.log(0.01 / 0.5), abs=1e-8)


def test_non_saturating_and_out_of_window():
    assert saturation_intervals("linear") == []
    assert saturation_intervals("leaky_relu") == []
    assert saturation_intervals("sigmoid", 0.01, -1, 1) == []
    # Entirely inside the saturated zone: one interval, the whole window.
    assert saturation_intervals("sigmoid", 0.01, 6, 9) == [(6.0, 9.0)]


def test_saturation_bands_list_relus_hard_left_side_and_sigmoid_tanh_on_both():
    bands = saturation_bands(["relu", "sigmoid", "tanh", "linear", "leaky_relu"], 0.01, -10, 10)
    assert list(bands.columns) == ["activation", "start", "end"]
    assert set(bands["activation"]) == {"relu", "sigmoid", "tanh"}
    assert len(bands) == 5
    relu = bands[bands["activation"] == "relu"]
    assert relu[["start", "end"]].values.tolist() == [[-10.0, 0.0]]  # f′ = 0 for x ≤ 0, f′(0) = 0 by convention
    assert saturation_bands([]).empty
    assert is_saturating("relu") and is_saturating("sigmoid") and is_saturating("softplus")
    assert not is_saturating("leaky_relu") and not is_saturating("linear")


def test_derivative_peaks():
    assert derivative_peak("sigmoid") == pytest.approx(0.25)
    assert derivative_peak("tanh") == pytest.approx(1.0)
    assert derivative_peak("relu") == 1.0
    assert derivative_peak("gelu") > 1.0  # GELU's derivative overshoots 1


# --- a batch ---------------------------------------------------------------------------------------------


def test_batch_response_measures_sparsity_and_saturation():
    response = batch_response(["relu", "sigmoid", "tanh", "linear"], sigma=1.0, n=200_000, seed=0)
    summary = response.summary.set_index("activation")
    assert list(response.summary.columns) == [
        "activation",
        "sigma",
        "sparsity",
        "near_zero_gradient",
        "zero_gradient",
        "mean",
        "std",
    ]
    # ReLU: half of a zero-mean batch is exactly 0, and so is its gradient there.
    assert summary.loc["relu", "sparsity"] == pytest.approx(0.5, abs=0.005)
    assert summary.loc["relu", "zero_gradient"] == summary.loc["relu", "sparsity"]
    # Sigmoid and tanh never output exact zeros here, and saturate only in the tails.
    assert summary.loc["sigmoid", "sparsity"] == 0 and summary.loc["tanh", "sparsity"] == 0
    tail = math.erfc(tanh_saturation_edge(0.01) / math.sqrt(2))  # P(|x| > edge) for N(0, 1)
    assert summary.loc["tanh", "near_zero_gradient"] == pytest.approx(tail, abs=0.001)
    # Linear passes the batch through: mean 0, std sigma.
    assert summary.loc["linear", "mean"] == pytest.approx(0.0, abs=0.01)
    assert summary.loc["linear", "std"] == pytest.approx(1.0, abs=0.01)
    # E[relu(x)] = sigma / sqrt(2 pi)
    assert summary.loc["relu", "mean"] == pytest.approx(1 / math.sqrt(2 * math.pi), abs=0.01)


def test_wider_inputs_saturate_sigmoid_more():
    narrow = batch_response(["sigmoid"], sigma=1.0).summary["near_zero_gradient"].item()
    wide = batch_response(["sigmoid"], sigma=8.0).summary["near_zero_gradient"].item()
    assert narrow < 0.001 < 0.5 < wide


def test_batch_histogram_covers_the_batch():
    response = batch_response(["relu", "tanh"], sigma=2.0, n=10_000, bins=40)
    histogram = response.histogram
    assert list(histogram.columns) == ["activation", "bin_start", "bin_end", "count", "fraction"]
    for _, rows in histogram.groupby("activation"):
        assert len(rows) == 40
        assert rows["count"].sum() == 10_000
        assert rows["fraction"].sum() == pytest.approx(1.0)
    relu_first_bin = histogram[histogram["activation"] == "relu"].iloc[0]
    assert relu_first_bin["bin_start"] == 0.0 and relu_first_bin["fraction"] >= 0.5 - 0.02


def test_batch_is_seeded_and_shared_across_activations():
    first = batch_response(["relu"], sigma=1.0, n=5_000, seed=3).summary
    again = batch_response(["relu", "tanh"], sigma=1.0, n=5_000, seed=3).summary
    pd.testing.assert_frame_equal(first, again.iloc[:1])


def test_batch_bad_input():
    with pytest.raises(ValueError, match="sigma"):
        batch_response(["relu"], sigma=0.0)
    with pytest.raises(ValueError, match="sigma"):
        batch_response(["relu"], sigma=float("nan"))
    empty = batch_response([], sigma=1.0)
    assert empty.summary.empty and empty.histogram.empty


# --- speed -------------------------------------------------------------------------------------------------


def test_time_activation_returns_positive_medians():
    timing = time_activation("sigmoid", size=10_000, dtype=np.float32, repeats=3)
    assert set(timing) == {"forward", "backward"}
    assert timing["forward"] > 0 and timing["backward"] > 0
    assert time_activation("leaky_relu", size=1_000, repeats=1, alpha=0.2)["forward"] > 0
    with pytest.raises(ValueError, match="size"):
        time_activation("relu", size=0)


def test_relative_costs_are_relative_to_relu():
    costs = relative_costs(["sigmoid", "relu", "gelu"], size=20_000, repeats=3)
    assert list(costs.columns) == ["activation", "forward_s", "backward_s", "forward_rel", "backward_rel"]
    assert list(costs["activation"]) == ["sigmoid", "relu", "gelu"]
    relu = costs.set_index("activation").loc["relu"]
    assert relu["forward_rel"] == 1.0 and relu["backward_rel"] == 1.0
    assert (costs[["forward_s", "backward_s", "forward_rel", "backward_rel"]] > 0).all().all()
    # ReLU is still the reference when it is not asked for.
    assert len(relative_costs(["tanh"], size=1_000, repeats=1)) == 1
