"""The signal at init (core.lab.init_signal) held against closed forms: the variance recursion of He and Xavier
init on Gaussian inputs, the small init's collapse through tanh, and zero init's symmetry through training."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.engine.data import load_dataset
from core.engine.mlp import MLP
from core.engine.training import TrainConfig, train_many
from core.lab.init_signal import (
    PROFILE_COLUMNS,
    SCHEMES,
    SYMMETRY_COLUMNS,
    end_values,
    signal_frame,
    signal_histograms,
    signal_network,
    signal_profile,
    unit_symmetry,
    zero_init_symmetry,
)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def gaussian(rows: int, n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((rows, n))


def pooled(samples: list[float]) -> tuple[float, float]:
    """Mean and standard error of independent samples."""
    samples = np.asarray(samples)
    return float(samples.mean()), float(samples.std(ddof=1) / math.sqrt(len(samples)))


# --- the numbers are the network's own -----------------------------------------------------------------------


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_profile_is_the_traced_network(scheme):
    X = gaussian(64, 10)
    init, multiplier = SCHEMES[scheme]
    net = MLP([10, 12, 12, 12, 2], activation="tanh", init=init, seed=3)
    hs = net.trace(X)[1]
    h, expected = X, []  # by hand: every weight times the scheme's multiplier, then tanh
    for W in net.weights[:-1]:
        z = h @ (W * multiplier)
        h = np.tanh(z)
        expected.append((h.mean(), h.std(), z.std()))
    frame = signal_profile(X, "tanh", scheme, depth=3, width=12, seed=3)
    assert frame["layer"].tolist() == [1, 2, 3]
    np.testing.assert_allclose(frame[["mean", "std", "pre_std"]].to_numpy(), expected, rtol=1e-12, atol=1e-300)
    if multiplier == 1:
        np.testing.assert_allclose(frame["std"], [h.std() for h in hs], rtol=1e-12)


def test_frame_shape_and_zero_init(digits):
    frame = signal_frame(digits, depth=4, width=16, seeds=2, n_samples=50)
    assert list(frame.columns) == PROFILE_COLUMNS
    assert len(frame) == 3 * len(SCHEMES) * 2 * 4
    zero = frame[frame["init"] == "zero"]
    assert (zero["std"] == 0).all() and (zero["pre_std"] == 0).all()
    assert (zero[zero["activation"] == "sigmoid"]["mean"] == 0.5).all()  # sigmoid(0) for every unit
    assert (zero[zero["activation"] != "sigmoid"]["mean"] == 0).all()
    assert (zero[zero["activation"] == "relu"]["saturated"] == 1).all()  # relu'(0) = 0 by the engine's convention
    table = end_values(frame, layers=(2, 4))
    assert table.shape == (15, 2)


# --- the variance recursion (He et al. 2015, eq. 10) ----------------------------------------------------------


@pytest.mark.parametrize(("scheme", "target"), [("he", 1.0), ("xavier", 0.5)])
def test_relu_variance_recursion(scheme, target):
    """With zero biases, E[z_{l+1}²] = fan_in · Var(w) · E[h_l²] and, z being symmetric, E[h_l²] = E[z_l²] / 2 for
    ReLU: the mean square of the pre-activations is multiplied by fan_in · Var(w) / 2 at every layer, 1 for He
    (Var = 2 / n) and 1/2 for Xavier with equal widths (Var = 2 / (n + n)).

    Each layer's ratio E[z_{l+1}²] / E[z_l²] is a sample: fresh weights at every layer make them independent given
    the layer below. Pooled over 5 layers x 4 seeds (n = 20), the mean must sit within 5 standard errors of the
    closed form, and the standard error itself must be small enough to tell He from Xavier apart."""
    n, depth = 256, 6
    X = gaussian(500, n)
    ratios, first = [], []
    for seed in range(4):
        zs = signal_network(n, "relu", scheme, depth, n, seed).trace(X)[0]
        ms = [float((z * z).mean()) for z in zs]
        ratios += [b / a for a, b in zip(ms[:-1], ms[1:], strict=True)]
        first.append(ms[0] / float((X * X).mean()) / (n * (2 / n if scheme == "he" else 1 / n)))
    mean, error = pooled(ratios)
    assert error < 0.05
    assert abs(mean - target) < 5 * error, (mean, error)
    # the first layer sees Gaussian inputs directly: E[z_1²] = fan_in · Var(w) · E[x²]
    mean, error = pooled(first)
    assert abs(mean - 1) < 5 * error + 0.02, (mean, error)


def test_relu_on_real_data_xavier_halves_he_holds(digits):
    frame = signal_frame(digits, activations=["relu"], schemes=["xavier", "he", "he_x2"], depth=30, width=100,
                         seeds=2, n_samples=200)
    std = frame.groupby(["init", "layer"])["std"].mean()
    per_layer = {init: (std[init][30] / std[init][10]) ** (1 / 20) for init in ("xavier", "he", "he_x2")}
    # std is the square root of a variance that halves (Xavier), holds (He) or quadruples (2 x He) per layer
    assert abs(per_layer["xavier"] - math.sqrt(0.5)) < 0.05
    assert abs(per_layer["he"] - 1) < 0.05
    assert abs(per_layer["he_x2"] - 2) < 0.1


# --- small init through tanh: collapse -----------------------------------------------------------------------


def test_small_init_collapses_tanh():
    """Near 0, tanh(z) = z within |z|³/3, so each layer multiplies the spread by 0.01 · sqrt(fan_in): 0.16 for
    256 units. Pooled over layers 2..8 and 3 seeds, within 5 standard errors of that."""
    n, depth = 256, 8
    X = gaussian(300, n)
    ratios = []
    for seed in range(3):
        frame = signal_profile(X, "tanh", "small", depth, n, seed)
        std = frame["std"].to_numpy()
        ratios += list(std[1:] / std[:-1])
        assert (frame["saturated"] == 0).all()
    mean, error = pooled(ratios)
    assert abs(mean - 0.01 * math.sqrt(n)) < 5 * error and error < 0.01, (mean, error)


def mean_field_fixed_point(weight_variance: float) -> float:
    """q* = weight_variance · E[tanh(sqrt(q*) ξ)²], ξ ~ N(0, 1): the mean square a wide tanh network's pre-activations
    settle at with zero biases (the mean-field recursion of Poole et al. 2016), by Gauss-Hermite quadrature."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(101)
    weights = weights / weights.sum()
    q = 1.0
    for _ in range(500):
        q = weight_variance * float(np.sum(weights * np.tanh(np.sqrt(q) * nodes) ** 2))
    return q


def test_tanh_signal_on_real_data(digits):
    frame = signal_frame(digits, activations=["tanh"], schemes=["small", "he", "he_x2"], depth=30, width=100,
                         seeds=2, n_samples=200)
    std = frame.groupby(["init", "layer"])["std"].mean()
    assert std["small"][10] < 1e-6 and std["small"][30] < 1e-20  # collapsed to 0
    saturated = frame.groupby(["init", "layer"])["saturated"].mean()
    # He (fan_in · Var(w) = 2) and 2 x He (= 8) settle where the mean-field recursion says: E[h²] = q* / (n Var(w))
    for scheme, weight_variance in (("he", 2.0), ("he_x2", 8.0)):
        q = mean_field_fixed_point(weight_variance)
        assert abs(std[scheme][30] - math.sqrt(q / weight_variance)) < 0.03
        # and the share of saturated units (|tanh'| < 0.01, i.e. |z| > atanh(sqrt(0.99))) is P(|sqrt(q*) ξ| > that)
        expected = math.erfc(math.atanh(math.sqrt(0.99)) / math.sqrt(2 * q))
        assert abs(saturated[scheme][30] - expected) < 0.04


def test_histograms(digits):
    frame = signal_histograms(digits, "tanh", "he_x2", depth=5, width=20, n_samples=50, bins=10,
                              value_range=(-1, 1), layers=[1, 5])
    assert frame["layer"].unique().tolist() == [1, 5]
    assert frame.groupby("layer")["count"].sum().tolist() == [50 * 20, 50 * 20]
    assert frame["bin_start"].min() == -1 and frame["bin_end"].max() == 1
    assert (frame["activation"] == "tanh").all() and (frame["init"] == "he_x2").all()


# --- zero init: the symmetry never breaks ----------------------------------------------------------------------


def test_unit_symmetry_counts_distinct_columns():
    net = MLP([3, 4, 5, 2], seed=0)
    net.weights[0][:] = [[1, 1, 2, 1], [0, 0, 0, 0], [3, 3, 3, 3]]
    net.biases[0][:] = [0, 0, 0, 1]
    frame = unit_symmetry(net)
    assert frame["distinct_units"].tolist() == [3, 5] and frame["distinct_exact"].tolist() == [3, 5]
    net.weights[0][0, 2] = 1 + 1e-9  # within 1e-6 of the largest |parameter| (3): the same unit, not bit for bit
    assert unit_symmetry(net).loc[0, ["distinct_units", "distinct_exact"]].tolist() == [2, 3]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_zero_init_units_stay_identical_through_training(digits, activation):
    frame = zero_init_symmetry(digits, activation=activation, hidden_layers=(16, 16), epochs=3,
                               inits=("zero", "small"))
    assert list(frame.columns) == SYMMETRY_COLUMNS
    zero, small = frame[frame["init"] == "zero"], frame[frame["init"] == "small"]
    assert sorted(zero["epoch"].unique()) == [0, 1, 2, 3]
    assert (zero["distinct_exact"] == 1).all() and (zero["spread"] == 0).all()
    assert (small["distinct_units"] == small["units"]).all()  # the control: random draws, every unit its own


def test_zero_init_sigmoid_moves_in_lockstep_tanh_not_at_all(digits):
    """Checked on the trained arrays directly: sigmoid's units all moved, by the same amount; tanh's never moved."""
    configs = [TrainConfig(activation=a, hidden_layers=(8, 8), epochs=2, init="zero") for a in ("sigmoid", "tanh")]
    trainer = train_many(digits, configs)
    for _ in trainer:
        pass
    sigmoid, tanh = trainer.model(0), trainer.model(1)
    for W in sigmoid.weights[:-1]:
        assert np.abs(W).max() > 0
        np.testing.assert_array_equal(W, np.repeat(W[:, :1], W.shape[1], axis=1))
    np.testing.assert_array_equal(sigmoid.weights[-1], np.repeat(sigmoid.weights[-1][:1], 8, axis=0))
    for W in tanh.weights:
        assert not W.any()


def test_unknown_scheme_and_work_cap(digits):
    with pytest.raises(ValueError, match="he_x2"):
        signal_network(4, "relu", "lecun", 2, 4)
    with pytest.raises(ValueError, match="MAX_WORK"):
        signal_frame(digits, depth=30, width=500, seeds=10, n_samples=1000)
