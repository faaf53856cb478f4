"""Property-based fuzzing of the engine: the network, its gradients, TrainConfig and training.

The properties, stated:

* **Finite in, finite out.** For any finite input with |x| <= 1e3 (and regression targets of the
  same size), a freshly initialised network of 1-4 hidden layers of width 1-8, with any registry
  activation or maxout (one for every layer or mixed per layer), bias_init in [-10, 10], in float32
  or float64, returns a finite forward pass and a finite loss and gradients, raises nothing and
  emits no RuntimeWarning. Float32 is held to the same standard: at these sizes no intermediate
  value can come near float32's range (|z| < 1e3 * (8 * 3)^4 ~ 3e8, squares ~1e17 << 3e38), so a
  non-finite value would be a bug (an exp of a positive number, a 0 / 0), not rounding.
* **Exact gradients.** In float64 the analytic gradients equal central finite differences of
  ``loss`` for every weight and bias. For smooth activations at arbitrary points; for the ReLU
  family and maxout only where every pre-activation (every maxout gap) is at least 1e-4 from a
  kink, so that the finite-difference step cannot straddle one.
* **TrainConfig** rejects every value out of its range or of the wrong type (bools for ints, NaN
  and infinities for floats, strings and containers anywhere) with a ValueError, and accepts
  every valid combination.
* **Training never crashes.** With any learning rate up to the cap (1e4), on every dataset and
  every activation, each run ends at its last epoch or with one record flagged ``diverged``;
  nothing raises or warns, and no record with ``diverged=False`` carries a non-finite number.
"""

from __future__ import annotations

import contextlib
import functools
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from core.engine.activations import ACTIVATIONS
from core.engine.data import DATASETS, load_dataset
from core.engine.limits import MAX_BATCH_SIZE, MAX_DEPTH, MAX_EPOCHS, MAX_HIDDEN_UNITS, MAX_LEARNING_RATE, MAX_WIDTH
from core.engine.mlp import MAXOUT, MLP
from core.engine.training import INIT_CHOICES, TrainConfig, train_many

HIDDEN = (*ACTIVATIONS, MAXOUT)
SMOOTH = ("sigmoid", "tanh", "linear", "gelu", "silu", "softplus")
KINKED = ("relu", "leaky_relu", "elu", MAXOUT)  # ELU's second derivative jumps at 0: treated as kinked



def fuzz(max_examples: int) -> settings:
    return settings(max_examples=max_examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@contextlib.contextmanager
def strict():
    """Every warning is an error inside the block: numpy overflow, divide and invalid too (underflow to 0 is fine)."""
    with warnings.catch_warnings(), np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
        warnings.simplefilter("error")
        yield


@st.composite
def networks(draw, names=HIDDEN, dtypes=(np.float32, np.float64), max_depth=4, max_width=8, magnitude=1e3):
    """(net, X, y): a random small network at init and finite data for it."""
    depth = draw(st.integers(1, max_depth))
    widths = draw(st.lists(st.integers(1, max_width), min_size=depth, max_size=depth))
    mixed = draw(st.booleans())
    activation = (draw(st.lists(st.sampled_from(names), min_size=depth, max_size=depth)) if mixed
                  else draw(st.sampled_from(names)))
    task = draw(st.sampled_from(["classification", "regression"]))
    n_in = draw(st.integers(1, 4))
    n_out = draw(st.integers(2, 4)) if task == "classification" else draw(st.integers(1, 3))
    dtype = draw(st.sampled_from(dtypes))
    params = {}
    used = {activation} if isinstance(activation, str) else set(activation)
    if used & {"leaky_relu", "elu"}:
        params["alpha"] = draw(st.floats(0, 2))
    net = MLP([n_in, *widths, n_out], activation=activation, task=task,
              init=draw(st.sampled_from(["he", "xavier"])), bias_init=draw(st.floats(-10, 10)),
              seed=draw(st.integers(0, 2**32 - 1)), dtype=dtype, maxout_pieces=draw(st.integers(2, 4)), **params)
    n = draw(st.integers(1, 6))
    finite = st.floats(-magnitude, magnitude, allow_nan=False, allow_infinity=False)
    X = draw(hnp.arrays(np.float64, (n, n_in), elements=finite))
    if task == "classification":
        y = np.asarray(draw(st.lists(st.integers(0, n_out - 1), min_size=n, max_size=n)), dtype=np.int64)
    else:
        y = draw(hnp.arrays(np.float64, (n, n_out), elements=finite))
    return net, X, y


# --- finite in, finite out --------------------------------------------------------------------------


@fuzz(300)
@given(case=networks(), l2=st.sampled_from([0.0, 1e-3, 10.0]))
def test_finite_input_gives_finite_outputs_and_gradients_without_warnings(case, l2):
    net, X, y = case
    with strict():
        probs = net.forward(X)
        loss, grad_w, grad_b = net.loss_and_gradients(X, y, l2)
    assert probs.dtype == net.dtype
    assert np.isfinite(probs).all()
    assert math.isfinite(loss)
    if net.task == "classification":
        assert loss >= 0
        np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-4)
    for g, W in zip([*grad_w, *grad_b], [*net.weights, *net.biases], strict=True):
        assert g.shape == W.shape and g.dtype == net.dtype
        assert np.isfinite(g).all()


# --- exact gradients --------------------------------------------------------------------------------


def _kink_distance(net: MLP, X) -> float:
    """How close any kinked hidden unit sits to its kink, over every sample (inf if none)."""
    zs = net.trace(X)[0]
    distance = math.inf
    for z, layer in zip(zs, net.layers, strict=True):
        if layer.name == MAXOUT:
            zk = np.sort(z.reshape(len(z), -1, layer.pieces), axis=-1)
            distance = min(distance, float((zk[..., -1] - zk[..., -2]).min()))
        elif layer.name in KINKED:
            distance = min(distance, float(np.abs(z).min()))
    return distance


def _check_against_finite_differences(net: MLP, X, y, l2: float) -> None:
    loss, grad_w, grad_b = net.loss_and_gradients(X, y, l2)
    eps = 1e-6
    for params, grads in ((net.weights, grad_w), (net.biases, grad_b)):
        for P, G in zip(params, grads, strict=True):
            numeric = np.zeros_like(P)
            for idx in np.ndindex(P.shape):
                old = P[idx]
                P[idx] = old + eps
                up = net.loss(X, y, l2)
                P[idx] = old - eps
                down = net.loss(X, y, l2)
                P[idx] = old
                numeric[idx] = (up - down) / (2 * eps)
            scale = max(1.0, float(np.abs(numeric).max()))
            np.testing.assert_allclose(G, numeric, rtol=1e-4, atol=1e-5 * scale)


small = functools.partial(networks, dtypes=(np.float64,), max_depth=3, max_width=4, magnitude=3.0)


@fuzz(60)
@given(case=small(names=SMOOTH), l2=st.sampled_from([0.0, 0.1]))
def test_gradients_match_finite_differences_for_smooth_activations(case, l2):
    net, X, y = case
    _check_against_finite_differences(net, X, y, l2)


@fuzz(60)
@given(case=small(names=KINKED + SMOOTH), l2=st.sampled_from([0.0, 0.1]), data=st.data())
def test_gradients_match_finite_differences_away_from_kinks(case, l2, data):
    net, X, y = case
    # Redraw the weights with hypothesis too (not just the seeded init), at a unit scale.
    for P in (*net.weights, *net.biases[:-1]):
        P[...] = data.draw(hnp.arrays(np.float64, P.shape, elements=st.floats(-2, 2)))
    assume(_kink_distance(net, X) > 1e-4)
    _check_against_finite_differences(net, X, y, l2)


# --- TrainConfig ------------------------------------------------------------------------------------

NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
JUNK = st.sampled_from([None, "1", "", [1], (1,), {"a": 1}, object(), b"1", np.array([1, 2])])
BOOLS = st.sampled_from([True, False, np.True_])


def bad_int(low: int, high: int | None):
    """Anything that is not a whole number in [low, high]."""
    out = [st.integers(max_value=low - 1)]
    if high is not None:
        out.append(st.integers(min_value=high + 1))
    return st.one_of(*out, BOOLS, NON_FINITE, st.floats(low, high or 1e6).filter(lambda v: v != int(v)),
                     st.just(float(low + 1)), JUNK)


def bad_float(low: float, high: float, low_ok: bool, high_ok: bool):
    """Anything that is not a real number in the range; ``low_ok``/``high_ok``: whether the end itself is valid."""
    out = [st.floats(max_value=low, exclude_max=low_ok, allow_nan=False),
           st.floats(min_value=high, exclude_min=high_ok, allow_nan=False)]
    return st.one_of(*out, BOOLS, NON_FINITE, JUNK)


BAD_VALUES = {
    "activation": st.one_of(st.text().filter(lambda s: s not in HIDDEN), st.just(()), st.just(("relu",) * 7),
                            st.just(["relu", "nope"]), st.just([["relu"], "relu"]), st.integers(), JUNK),
    "hidden_layers": st.one_of(
        st.just(()), st.just([]), st.lists(st.integers(max_value=0), min_size=1, max_size=3),
        st.lists(st.integers(min_value=MAX_WIDTH + 1), min_size=1, max_size=3),
        st.just((1,) * (MAX_DEPTH + 1)), st.just((MAX_WIDTH,) * (MAX_HIDDEN_UNITS // MAX_WIDTH + 1)),
        st.just((16.0, 16)), st.just((True, 4)), st.just(("16",)), st.just("16,16"), st.just(16), st.just(None),
        st.just({16: 1}), st.just((math.nan,))),
    "epochs": bad_int(1, MAX_EPOCHS),
    "batch_size": bad_int(1, MAX_BATCH_SIZE),
    "learning_rate": bad_float(0, MAX_LEARNING_RATE, low_ok=False, high_ok=True),
    "optimizer": st.one_of(st.text().filter(lambda s: s not in ("sgd", "adam")), JUNK, st.integers()),
    "momentum": bad_float(0, 1, low_ok=True, high_ok=False),
    "l2": bad_float(0, 10, low_ok=True, high_ok=True),
    "init": st.one_of(st.text().filter(lambda s: s not in INIT_CHOICES), JUNK),
    "bias_init": bad_float(-100, 100, low_ok=True, high_ok=True),
    "seed": bad_int(0, 2**32 - 1),
    "nesterov": st.one_of(st.integers(), st.just("True"), st.just(None), st.just(1.0)),
    "schedule": st.one_of(st.text().filter(lambda s: s not in ("constant", "step", "cosine")), JUNK),
    "step_size": bad_int(1, MAX_EPOCHS),
    "gamma": bad_float(0, 1, low_ok=False, high_ok=True),
    "dtype": st.one_of(st.text().filter(lambda s: s not in ("float32", "float64")), JUNK,
                       st.just(np.float64), st.just("float16")),
    "maxout_pieces": bad_int(2, 8),
    "alpha": bad_float(0, 10, low_ok=True, high_ok=True).filter(lambda v: v is not None),  # None: the default
}


@st.composite
def valid_configs(draw) -> dict:
    depth = draw(st.integers(1, 6))
    hidden = tuple(draw(st.lists(st.integers(1, MAX_WIDTH), min_size=depth, max_size=depth)))
    mixed = draw(st.booleans())
    activation = (tuple(draw(st.lists(st.sampled_from(HIDDEN), min_size=depth, max_size=depth))) if mixed
                  else draw(st.sampled_from(HIDDEN)))
    names = {activation} if isinstance(activation, str) else set(activation)
    optimizer = draw(st.sampled_from(["sgd", "adam"]))
    momentum = draw(st.floats(0, 1, exclude_max=True)) if optimizer == "sgd" else 0.0
    kw = dict(activation=activation, hidden_layers=hidden, epochs=draw(st.integers(1, MAX_EPOCHS)),
              batch_size=draw(st.integers(1, MAX_BATCH_SIZE)),
              learning_rate=draw(st.floats(0, MAX_LEARNING_RATE, exclude_min=True)),
              optimizer=optimizer, momentum=momentum, l2=draw(st.floats(0, 10)),
              init=draw(st.sampled_from(["he", "xavier", "auto"])), bias_init=draw(st.floats(-100, 100)),
              seed=draw(st.integers(0, 2**32 - 1)), nesterov=momentum > 0 and draw(st.booleans()),
              schedule=draw(st.sampled_from(["constant", "step", "cosine"])),
              step_size=draw(st.integers(1, MAX_EPOCHS)), gamma=draw(st.floats(0, 1, exclude_min=True)),
              dtype=draw(st.sampled_from(["float32", "float64"])), maxout_pieces=draw(st.integers(2, 8)))
    if names & {"leaky_relu", "elu"}:
        kw["alpha"] = draw(st.none() | st.floats(0, 10))
    return kw


def _fits(kw: dict) -> bool:
    return sum(kw["hidden_layers"]) <= MAX_HIDDEN_UNITS


@fuzz(300)
@given(kw=valid_configs())
def test_train_config_accepts_every_valid_combination(kw):
    assume(_fits(kw))
    cfg = TrainConfig(**kw)
    assert cfg.hidden_layers == tuple(kw["hidden_layers"])


@fuzz(600)
@given(kw=valid_configs(), data=st.data())
def test_train_config_rejects_every_invalid_value_with_a_value_error(kw, data):
    assume(_fits(kw))
    field = data.draw(st.sampled_from(sorted(BAD_VALUES)), label="field")
    bad = data.draw(BAD_VALUES[field], label="value")
    if field == "hidden_layers":
        kw["activation"] = "relu"  # so that a per-layer list cannot be the reason for the rejection
    if field == "alpha" and "alpha" not in kw:
        kw["activation"] = "leaky_relu"  # so that alpha is rejected for its value, not for being unused
    kw[field] = bad
    with pytest.raises(ValueError):
        TrainConfig(**kw)


@fuzz(100)
@given(kw=valid_configs(), data=st.data())
def test_train_config_rejects_inconsistent_combinations(kw, data):
    assume(_fits(kw))
    case = data.draw(st.sampled_from(["adam_momentum", "nesterov_without_momentum", "alpha_unused",
                                      "activations_per_layer"]))
    if case == "adam_momentum":
        kw.update(optimizer="adam", momentum=data.draw(st.floats(0, 1, exclude_min=True, exclude_max=True)))
    elif case == "nesterov_without_momentum":
        kw.update(optimizer="sgd", momentum=0.0, nesterov=True)
    elif case == "alpha_unused":
        kw.update(activation=data.draw(st.sampled_from(["relu", "tanh", MAXOUT, "gelu"])), alpha=0.5)
    else:
        n = len(kw["hidden_layers"])
        kw["activation"] = ("relu",) * data.draw(st.integers(0, 8).filter(lambda k: k != n))
    with pytest.raises(ValueError):
        TrainConfig(**kw)


# --- training never crashes -------------------------------------------------------------------------


@functools.cache
def _dataset(name: str):
    return load_dataset(name, n_samples=40, noise=0.3, test_size=0.25, seed=0)


def _finite_record(rec) -> bool:
    numbers = [rec.train_loss, rec.test_loss, rec.learning_rate, rec.epoch_seconds, *rec.grad_norms,
               *rec.sparsity, *rec.dead_fraction, *rec.mean_activation]
    numbers += [a for a in (rec.train_accuracy, rec.test_accuracy) if a is not None]
    return all(math.isfinite(v) for v in numbers)


@pytest.mark.parametrize("dataset", list(DATASETS))
@fuzz(6)
@given(
    lr=st.one_of(st.floats(1e-4, MAX_LEARNING_RATE), st.sampled_from([MAX_LEARNING_RATE, 1e3, 50.0])),
    optimizer=st.sampled_from([("sgd", 0.0), ("sgd", 0.9), ("adam", 0.0)]),
    hidden=st.lists(st.integers(1, 8), min_size=1, max_size=3).map(tuple),
    epochs=st.integers(1, 4), batch_size=st.sampled_from([1, 8, 64]),
    dtype=st.sampled_from(["float32", "float64"]), bias_init=st.sampled_from([0.0, -3.0, 5.0]),
    l2=st.sampled_from([0.0, 0.01]), schedule=st.sampled_from(["constant", "cosine"]),
)
def test_training_with_any_learning_rate_finishes_or_flags_divergence(dataset, lr, optimizer, hidden, epochs,
                                                                       batch_size, dtype, bias_init, l2, schedule):
    ds = _dataset(dataset)
    opt, momentum = optimizer
    configs = [TrainConfig(activation=name, hidden_layers=hidden, epochs=epochs, batch_size=batch_size,
                           learning_rate=lr, optimizer=opt, momentum=momentum, l2=l2, init="auto",
                           bias_init=bias_init, seed=run, dtype=dtype, schedule=schedule)
               for run, name in enumerate(HIDDEN)]
    last = {}
    with strict():
        for records in train_many(ds, configs):
            for rec in records:
                assert rec.run not in last or not last[rec.run].diverged, "a diverged run kept reporting"
                assert rec.diverged or _finite_record(rec), rec
                last[rec.run] = rec
    assert sorted(last) == list(range(len(configs)))
    for run, rec in last.items():
        assert rec.diverged or rec.epoch == configs[run].epochs, (run, rec)
