"""The Linear Regions page's maths (core.lab.linear_regions) against independent references: central finite
differences for the input Jacobian, count_regions and separately trained networks for the counts, the first
layer's −b/w for the 1-D kinks, and hand computations for the summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.engine.mlp import MLP
from core.engine.training import TrainConfig, train_many
from core.lab.linear_regions import (
    COUNTS_PER_RUN,
    RegionRun,
    fit_1d,
    gradient_change,
    input_jacobian,
    plane,
    plane_points,
    sweep_summary,
    trained_region_sweep,
)
from core.lab.regions import count_regions, region_ids, region_keys, region_sweep
from core.settings import Experiment

SMALL = Experiment(n_samples=120, activations=("relu", "leaky_relu", "maxout", "tanh"), hidden_layers=(6, 5),
                   epochs=9)


@pytest.fixture(scope="module")
def moons():
    return SMALL.load_data()


def random_biases(net: MLP, seed: int = 0) -> MLP:
    rng = np.random.default_rng(seed)
    for b in net.biases:
        b[:] = rng.normal(0, 0.5, size=b.shape)
    return net


def logits(net: MLP, X: np.ndarray) -> np.ndarray:
    return net.trace(X)[2]


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid", "maxout", ["tanh", "relu"]])
def test_the_input_jacobian_matches_central_finite_differences(activation):
    net = random_biases(MLP([2, 7, 5, 3], activation=activation, seed=3, maxout_pieces=3))
    X = np.random.default_rng(1).normal(size=(40, 2))
    J = input_jacobian(net, X)
    assert J.shape == (40, 3, 2)
    h = 1e-6
    for k in range(2):
        step = np.zeros(2)
        step[k] = h
        numeric = (logits(net, X + step) - logits(net, X - step)) / (2 * h)
        # Away from a kink the network is smooth here; a point within h of a kink would differ, and has
        # probability ~0 with these random points.
        np.testing.assert_allclose(J[:, :, k], numeric, rtol=1e-5, atol=1e-7)


def test_the_gradient_is_exactly_constant_inside_a_region_and_changes_only_next_to_a_boundary(moons):
    net = random_biases(MLP([2, 8, 8, 2], activation="relu", seed=2))
    resolution = 60
    points, width, height = plane_points(moons, resolution)
    change = gradient_change(input_jacobian(net, points), resolution, width, height).reshape(resolution, resolution)
    ids = region_ids(net, points).reshape(resolution, resolution)
    padded = np.pad(ids, 1, mode="edge")
    interior = ((padded[1:-1, 2:] == ids) & (padded[1:-1, :-2] == ids) & (padded[2:, 1:-1] == ids)
                & (padded[:-2, 1:-1] == ids))
    assert (change[interior] == 0).all()  # one affine function: one Jacobian
    assert (change[~interior] >= 0).all() and (change[~interior] > 0).mean() > 0.5


def test_a_smooth_network_has_a_changing_gradient_everywhere(moons):
    net = MLP([2, 8, 8, 2], activation="tanh", seed=2)
    resolution = 50
    points, width, height = plane_points(moons, resolution)
    change = gradient_change(input_jacobian(net, points), resolution, width, height)
    assert (change > 0).all()


def test_gradient_change_by_hand_on_a_tiny_grid():
    # A 3 x 3 grid whose Jacobian is 0 except the centre cell, which is 1 (one output, two inputs: (1, 1)).
    J = np.zeros((9, 1, 2))
    J[4] = [[1.0, 1.0]]
    change = gradient_change(J, 3, 0.5, 2.0).reshape(3, 3)
    # The centre differs from all four neighbours by √2: along x over 0.5, along y over 2.
    assert change[1, 1] == pytest.approx(np.sqrt(2) / 0.5)
    assert change[1, 0] == change[1, 2] == pytest.approx(np.sqrt(2) / 0.5)
    assert change[0, 1] == change[2, 1] == pytest.approx(np.sqrt(2) / 2.0)
    assert change[0, 0] == change[2, 2] == 0


def test_region_keys_partition_the_rows_as_region_ids_and_stay_put_when_the_patterns_do(moons):
    net = random_biases(MLP([2, 8, 6, 2], activation="relu", seed=5))
    X = plane_points(moons, 40)[0]
    keys, count = region_keys(net, X)
    ids = region_ids(net, X)
    assert count == count_regions(net, X) == len(np.unique(ids))
    pairs = pd.DataFrame({"key": keys, "id": ids}).drop_duplicates()
    assert len(pairs) == count == pairs["key"].nunique()  # one key per region, one region per key
    net.weights[-1] *= -3.0  # the output layer changes the function, not the hidden units' patterns
    np.testing.assert_array_equal(region_keys(net, X)[0], keys)
    net.biases[0][:] += 5.0  # every first-layer unit moves: the patterns, and so the keys, change
    assert not np.array_equal(region_keys(net, X)[0], keys)


def test_plane_counts_what_count_regions_counts_and_reports_predictions(moons):
    net = random_biases(MLP([2, 8, 8, 2], activation="maxout", seed=1))
    shown = plane(net, moons, resolution=50)
    points = plane_points(moons, 50)[0]
    assert shown.regions == count_regions(net, points)
    np.testing.assert_array_equal(shown.frame["predicted"], net.predict(points))
    assert list(shown.frame.columns) == ["x", "y", "x2", "y2", "region", "predicted", "change"]
    assert 0 < shown.unchanged < 1
    smooth = plane(MLP([2, 8, 2], activation="sigmoid", seed=1), moons, resolution=50)
    assert smooth.regions is None and (smooth.frame["region"] == -1).all() and smooth.unchanged == 0


def test_region_run_counts_the_kinked_networks_as_separately_trained_ones_at_the_scheduled_epochs(moons):
    run = RegionRun(SMALL, dataset=moons, resolution=40)
    assert run.count_every == max(1, -(-SMALL.epochs // COUNTS_PER_RUN)) == 1
    run.advance(seconds=1e9)
    counts = run.region_counts()
    assert set(counts["activation"]) == {"relu", "leaky_relu", "maxout"}  # tanh has no regions to count
    points = plane_points(moons, 40)[0]
    kinked = ("relu", "leaky_relu", "maxout")
    trainer = train_many(moons, [SMALL.config(name, 0) for name in kinked])  # without tanh: same seed, same batches
    for records in trainer:
        epoch = records[0].epoch
        expected = [count_regions(trainer.model(i), points) for i in range(3)]
        got = counts[counts["epoch"] == epoch].set_index("activation").loc[list(kinked)]
        assert got["regions"].tolist() == expected, epoch


def test_region_run_counts_about_twenty_five_times_however_long_the_run():
    long = Experiment(n_samples=60, activations=("relu",), hidden_layers=(4,), epochs=100)
    run = RegionRun(long, resolution=20)
    assert run.count_every == 4
    run.advance(seconds=1e9)
    assert run.region_counts()["epoch"].tolist() == list(range(0, 101, 4))


def test_a_smooth_only_region_run_counts_nothing(moons):
    run = RegionRun(SMALL.replace(activations=("tanh", "sigmoid")), dataset=moons, resolution=20)
    run.step()
    assert run.region_counts().empty


def test_the_trained_sweep_starts_where_region_sweep_does_and_counts_the_trained_networks(moons):
    frame = trained_region_sweep(moons, total_units=12, depths=(1, 2, 3), seeds=2, epochs=3, resolution=40)
    at_init = frame[frame["stage"] == "init"].sort_values(["depth", "seed"])
    reference = region_sweep(moons, total_units=12, depths=(1, 2, 3), seeds=2, resolution=40).sort_values(
        ["depth", "seed"])
    assert at_init["regions"].tolist() == reference["regions"].tolist()
    assert at_init["upper_bound"].tolist() == reference["upper_bound"].tolist()
    points = plane_points(moons, 40)[0]
    cfg = TrainConfig(activation="relu", hidden_layers=(4, 4, 4), epochs=3, learning_rate=0.1, init="auto", seed=1)
    trainer = train_many(moons, [cfg])
    for _ in trainer:
        pass
    trained = frame[(frame["stage"] == "trained") & (frame["depth"] == 3) & (frame["seed"] == 1)]
    assert trained["regions"].item() == count_regions(trainer.model(0), points)


def test_the_trained_sweep_refuses_work_over_the_cap(moons):
    with pytest.raises(ValueError, match="over the cap"):
        trained_region_sweep(moons, total_units=48, seeds=5, epochs=5000)


def test_sweep_summary_by_hand():
    frame = pd.DataFrame({"stage": ["init"] * 4, "depth": [1, 1, 2, 2], "width": [4, 4, 2, 2], "units": [4] * 4,
                          "regions": [8, 6, 5, 3], "shallow_max": [11] * 4, "upper_bound": [11.0, 11.0, 9.0, 9.0]})
    summary = sweep_summary(frame)
    assert summary[["depth", "mean", "low", "high", "seeds"]].values.tolist() == [[1, 7.0, 6, 8, 2], [2, 4.0, 3, 5, 2]]
    assert summary["upper_bound"].tolist() == [11.0, 9.0]


def test_the_1d_fit_kinks_are_its_units_switch_points():
    one_layer = fit_1d(hidden_layers=(6,), epochs=30)
    inside = one_layer.first_layer[one_layer.first_layer["inside"]]
    kinks = one_layer.breakpoints[one_layer.breakpoints["kink"]]
    # One hidden layer: every kink is a first-layer unit switching at x = −b/w, and each such switch inside the range
    # is a kink unless its output weight is 0.
    np.testing.assert_allclose(np.sort(kinks["x"]), np.sort(inside["x"]), rtol=0, atol=1e-9)
    assert (kinks["layer"] == 1).all()
    pieces = one_layer.pieces
    assert len(pieces) == len(kinks) + 1
    assert pieces["start"].iloc[0] == one_layer.low and pieces["end"].iloc[-1] == one_layer.high
    ends = pieces["intercept"] + pieces["slope"] * pieces["end"]
    starts = pieces["intercept"] + pieces["slope"] * pieces["start"]
    np.testing.assert_allclose(ends.to_numpy()[:-1], starts.to_numpy()[1:], atol=1e-9)  # continuous
    assert 0 < one_layer.r2 <= 1


def test_the_1d_fit_refuses_an_activation_without_one_kink_per_unit():
    with pytest.raises(ValueError, match="one kink per unit"):
        fit_1d(activation="tanh")
    with pytest.raises(ValueError, match="2-D"):
        plane_points(Experiment(dataset="sine").load_data())
