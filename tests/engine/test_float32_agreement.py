"""The lab's teaching numbers are the same in float32 as in float64.

Live pages may train in float32, as deep-learning frameworks do (twice the speed of float64 here); gradient checks
stay in float64. These tests run the lab's own demonstrations in both precisions and hold float32 to float64's
numbers: the vanishing first/last gradient ratios at depth 10 and 30, the dead units of the Neurons page's two
scenarios, the sparsity of ReLU at init, and the final accuracy of the Arena's default experiment over 5 seeds.
Measured here (float32 against float64, 5 seeds): every layer's gradient norm at init agrees to 2.5e-6 and the
log10 ratios to 3e-7 decades (the tests allow 1e-4); the scenarios' dead fractions are equal at every epoch but in
the chaotic learning-rate-3 run, where ReLU ends with 84 % of its units dead instead of 91 %; the sparsity at init
is equal but for one value in 43,000 at depth 10; the final accuracies are equal.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.engine.data import load_dataset
from core.engine.mlp import frobenius_norms
from core.engine.training import TrainConfig, network_for, train_many
from core.lab.gradient_flow import first_over_last
from core.lab.neurons import SCENARIOS
from core.settings import Experiment

DTYPES = ("float64", "float32")
SEEDS = range(5)


@pytest.fixture(scope="module")
def moons():
    """The Gradient Flow page's default data: moons, 500 samples."""
    return load_dataset("moons", n_samples=500, noise=0.2, seed=0)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", test_size=0.25, seed=0)


def _gradient_norms(ds, activation: str, init: str, depth: int, seed: int, dtype: str) -> list[float]:
    """||dL/dW_l|| at init for every weight matrix (first = input side), the training set's loss."""
    net = network_for(TrainConfig(activation=activation, hidden_layers=(32,) * depth, init=init, seed=seed,
                                  dtype=dtype), ds)
    _, grad_weights, _ = net.loss_and_gradients(ds.X_train, ds.y_train)
    return [float(frobenius_norms(g)) for g in grad_weights]


def _history(ds, configs: list[TrainConfig], dtype: str) -> list[list]:
    """Each run's records, in config order, trained in ``dtype``."""
    runs = [[] for _ in configs]
    for records in train_many(ds, [c.replace(dtype=dtype) for c in configs]):
        for record in records:
            runs[record.run].append(record)
    return runs


# --- vanishing gradients through depth ------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [10, 30])
@pytest.mark.parametrize(("activation", "init"), [("sigmoid", "xavier"), ("tanh", "xavier"), ("relu", "he")])
def test_gradient_profiles_and_first_over_last_ratios_agree(moons, activation, init, depth):
    for seed in SEEDS:
        norms = {dtype: _gradient_norms(moons, activation, init, depth, seed, dtype) for dtype in DTYPES}
        # every layer's gradient norm, not only the ratio: float32 rounds each product, nothing more
        np.testing.assert_allclose(norms["float32"], norms["float64"], rtol=1e-4)
        ratios = {dtype: first_over_last(norms[dtype]) for dtype in DTYPES}
        assert math.log10(ratios["float32"]) == pytest.approx(math.log10(ratios["float64"]), abs=1e-4)
        # the page's story holds in float32: sigmoid vanishes by decades per layer, ReLU (He) and tanh do not
        if activation == "sigmoid":
            assert ratios["float32"] < (1e-4 if depth == 10 else 1e-15)
        else:
            assert 0.05 < ratios["float32"] < 5


# --- dead units: the Neurons page's scenarios --------------------------------------------------------------------


@pytest.fixture(scope="module")
def scenario_runs():
    """{scenario: {dtype: one record list per activation (relu, leaky_relu, elu)}}"""
    out = {}
    for name, experiment in SCENARIOS.items():
        ds = experiment.load_data()
        out[name] = {dtype: _history(ds, experiment.configs(), dtype) for dtype in DTYPES}
    return out


def test_large_negative_bias_kills_the_same_relu_units_in_float32(scenario_runs):
    runs = scenario_runs["Large negative bias"]
    for run64, run32 in zip(runs["float64"], runs["float32"], strict=True):
        assert len(run32) == len(run64) == 201
        assert [r.dead_fraction for r in run32] == [r.dead_fraction for r in run64], run64[0].activation
        assert [r.sparsity[0] for r in run32] == pytest.approx([r.sparsity[0] for r in run64], abs=1e-3)
        assert run32[-1].test_accuracy == pytest.approx(run64[-1].test_accuracy, abs=0.02)
    relu32 = runs["float32"][0]
    assert relu32[0].dead_fraction == (13 / 16, 1.0)  # 13 of 16 first-layer units, every second-layer one
    assert all(r.dead_fraction == relu32[0].dead_fraction for r in relu32), "they stay dead"


def test_excessive_learning_rate_tells_the_same_story_in_float32(scenario_runs):
    """lr 3 is chaotic: the two precisions part ways within epochs, so this compares the story, not the path."""
    runs = scenario_runs["Excessive learning rate"]
    relu, leaky, elu = (dict(zip(DTYPES, pair, strict=True)) for pair in zip(*runs.values(), strict=True))
    for dtype in DTYPES:
        assert relu[dtype][0].dead_fraction == (0.0, 0.0)
        assert np.mean(relu[dtype][-1].dead_fraction) > 0.6, "most ReLU units die"
        assert not relu[dtype][-1].diverged and len(relu[dtype]) == 101
        assert all(r.dead_fraction == (0.0, 0.0) for r in leaky[dtype]), "Leaky ReLU keeps every unit"
        assert leaky[dtype][-1].test_accuracy > 0.8
        assert [r.epoch for r in elu[dtype]] == [0, 1] and elu[dtype][-1].diverged, "ELU diverges in epoch 1"
    assert np.mean(relu["float32"][-1].dead_fraction) == pytest.approx(np.mean(relu["float64"][-1].dead_fraction),
                                                                       abs=0.15)


# --- sparsity at init ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [(16, 16), (64, 64, 64), (32,) * 10])
@pytest.mark.parametrize("dataset", ["moons", "digits"])
def test_relu_sparsity_at_init_agrees(hidden, dataset, request):
    ds = request.getfixturevalue(dataset)
    configs = [TrainConfig(activation="relu", hidden_layers=hidden, seed=seed) for seed in SEEDS]
    at_init = {dtype: np.array([r.sparsity for r in next(iter(train_many(ds, [c.replace(dtype=dtype)
                                                                              for c in configs])))])
               for dtype in DTYPES}
    # a unit's sign can flip only where its pre-activation is within float32's rounding of 0
    np.testing.assert_allclose(at_init["float32"], at_init["float64"], rtol=0, atol=1e-3)
    assert 0.4 < at_init["float32"].mean() < 0.6, "about half the units are zero at init"


# --- accuracy ---------------------------------------------------------------------------------------------------


def test_arena_default_accuracy_agrees_within_the_seeds_spread():
    """The Arena's default experiment (moons, ReLU/sigmoid/tanh, 16-16, 200 epochs) over 5 seeds."""
    experiment = Experiment(seeds=5)
    ds = experiment.load_data()
    final = {dtype: [run[-1] for run in _history(ds, experiment.configs(), dtype)] for dtype in DTYPES}
    for activation in experiment.activations:
        accuracy = {dtype: np.array([r.test_accuracy for r in final[dtype] if r.activation == activation])
                    for dtype in DTYPES}
        spread = max(accuracy["float64"].std(ddof=1), 1 / len(ds.y_test))
        assert abs(accuracy["float32"].mean() - accuracy["float64"].mean()) <= spread, activation
        assert np.abs(accuracy["float32"] - accuracy["float64"]).max() <= 2 * spread, activation
