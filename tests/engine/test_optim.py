"""Optimisers and schedules held against independent references: scikit-learn's own MLP optimisers
(same update rules), Adam's formula written out by hand, and closed forms for the schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from core.engine.optim import SCHEDULES, SGD, Adam, make_optimizer, scheduled_learning_rate

SHAPES = [(3, 4), (4,), (2, 3, 5)]
STEPS = 6
LR = 0.05


def _random_params(seed: int = 0, shapes=SHAPES) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


def _random_grads(rng, shapes=SHAPES) -> list[np.ndarray]:
    return [rng.standard_normal(shape) for shape in shapes]


def _copy(arrays):
    return [a.copy() for a in arrays]


def _run_ours(optimizer_factory, steps: int = STEPS, lr: float = LR, seed: int = 0):
    params = _random_params(seed)
    optimizer = optimizer_factory(params)
    rng = np.random.default_rng(seed + 100)
    history = []
    for _ in range(steps):
        grads = _random_grads(rng)
        ids = [id(p) for p in params]
        optimizer.step(params, _copy(grads), lr)  # ours may use grads as scratch space
        assert [id(p) for p in params] == ids  # updated in place, never rebound
        history.append(_copy(params))
    return history


def _run_sklearn(sklearn_factory, steps: int = STEPS, seed: int = 0):
    params = _random_params(seed)
    optimizer = sklearn_factory(params)
    rng = np.random.default_rng(seed + 100)
    history = []
    for _ in range(steps):
        optimizer.update_params(params, _random_grads(rng))
        history.append(_copy(params))
    return history


def _assert_histories_equal(ours, reference, atol: float = 1e-12):
    assert len(ours) == len(reference)
    for step, (mine, theirs) in enumerate(zip(ours, reference, strict=True)):
        for p, q in zip(mine, theirs, strict=True):
            np.testing.assert_allclose(p, q, rtol=0, atol=atol, err_msg=f"step {step + 1}")


# --- against scikit-learn's optimisers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("momentum", "nesterov"),
    [(0.0, False), (0.9, False), (0.5, False), (0.9, True), (0.6, True)],
    ids=["plain", "momentum-0.9", "momentum-0.5", "nesterov-0.9", "nesterov-0.6"],
)
def test_sgd_matches_sklearn(momentum, nesterov):
    ours = _run_ours(lambda params: SGD(params, momentum=momentum, nesterov=nesterov))
    reference = _run_sklearn(lambda params: SGDOptimizer(
        params, learning_rate_init=LR, lr_schedule="constant", momentum=momentum, nesterov=nesterov))
    _assert_histories_equal(ours, reference)


def test_plain_sgd_is_p_minus_lr_grad():
    params = _random_params()
    start = _copy(params)
    grads = _random_grads(np.random.default_rng(5))
    SGD(params).step(params, _copy(grads), 0.3)
    for p, p0, g in zip(params, start, grads, strict=True):
        np.testing.assert_allclose(p, p0 - 0.3 * g, rtol=0, atol=1e-15)


def test_momentum_actually_changes_the_path():
    """A guard that the momentum comparison above is not vacuous."""
    plain = _run_ours(lambda params: SGD(params))
    heavy = _run_ours(lambda params: SGD(params, momentum=0.9))
    nesterov = _run_ours(lambda params: SGD(params, momentum=0.9, nesterov=True))
    assert not np.allclose(plain[-1][0], heavy[-1][0])
    assert not np.allclose(heavy[-1][0], nesterov[-1][0])


@pytest.mark.parametrize("lr", [1e-3, 0.05, 1.0])
def test_adam_matches_sklearn(lr):
    ours = _run_ours(lambda params: Adam(params), lr=lr, steps=10)
    reference = _run_sklearn(lambda params: AdamOptimizer(params, learning_rate_init=lr), steps=10)
    _assert_histories_equal(ours, reference)


def test_adam_first_two_steps_by_hand():
    """Kingma & Ba, Algorithm 1 with the paper's reordering (section 2):
    alpha_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); theta -= alpha_t * m_t / (sqrt(v_t) + eps)."""
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    rng = np.random.default_rng(7)
    p0 = rng.standard_normal((4, 3))
    g1, g2 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    p = p0.copy()
    adam = Adam([p])
    adam.step([p], [g1.copy()], lr)

    m1, v1 = (1 - b1) * g1, (1 - b2) * g1**2
    p1 = p0 - lr * math.sqrt(1 - b2) / (1 - b1) * m1 / (np.sqrt(v1) + eps)
    np.testing.assert_allclose(p, p1, rtol=0, atol=1e-12)
    # Bias correction makes the first step ~lr against the sign of the gradient, whatever its size
    # (up to eps's share, ~3e-7 / |g|).
    assert np.abs(g1).min() > 1e-3
    np.testing.assert_allclose(p - p0, -lr * np.sign(g1), rtol=1e-3)
    # The textbook form (m_hat / (sqrt(v_hat) + eps)) agrees up to where eps sits.
    textbook = p0 - lr * (m1 / (1 - b1)) / (np.sqrt(v1 / (1 - b2)) + eps)
    np.testing.assert_allclose(p - p0, textbook - p0, rtol=1e-3)

    adam.step([p], [g2.copy()], lr)
    m2 = b1 * m1 + (1 - b1) * g2
    v2 = b2 * v1 + (1 - b2) * g2**2
    p2 = p1 - lr * math.sqrt(1 - b2**2) / (1 - b1**2) * m2 / (np.sqrt(v2) + eps)
    np.testing.assert_allclose(p, p2, rtol=0, atol=1e-12)
    textbook2 = p1 - lr * (m2 / (1 - b1**2)) / (np.sqrt(v2 / (1 - b2**2)) + eps)
    np.testing.assert_allclose(p - p1, textbook2 - p1, rtol=1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_updates_keep_dtype(dtype):
    for optimizer_class, kwargs in [(SGD, {}), (SGD, {"momentum": 0.9, "nesterov": True}), (Adam, {})]:
        params = [p.astype(dtype) for p in _random_params()]
        optimizer = optimizer_class(params, **kwargs)
        grads = [g.astype(dtype) for g in _random_grads(np.random.default_rng(3))]
        optimizer.step(params, grads, 0.1)
        assert all(p.dtype == dtype for p in params)


# --- a leading model axis ------------------------------------------------------------------------

MODELS = 3
STACKED_SHAPES = [(MODELS, 4, 3), (MODELS, 1, 3)]  # a weight stack and a bias stack as training holds them


def _optimizers():
    return [
        ("sgd", lambda params: SGD(params)),
        ("momentum", lambda params: SGD(params, momentum=0.9)),
        ("nesterov", lambda params: SGD(params, momentum=0.8, nesterov=True)),
        ("adam", lambda params: Adam(params)),
    ]


@pytest.mark.parametrize(("name", "factory"), _optimizers(), ids=[n for n, _ in _optimizers()])
def test_stacked_update_equals_per_model_updates(name, factory):
    stacked = _random_params(11, STACKED_SHAPES)
    per_model = [[p[m].copy() for p in stacked] for m in range(MODELS)]
    stacked_opt = factory(stacked)
    model_opts = [factory(params) for params in per_model]
    rng = np.random.default_rng(12)
    for step in range(5):
        grads = _random_grads(rng, STACKED_SHAPES)
        lr = 0.1 / (step + 1)
        stacked_opt.step(stacked, _copy(grads), lr)
        for m in range(MODELS):
            model_opts[m].step(per_model[m], [g[m].copy() for g in grads], lr)
    for m in range(MODELS):
        for p, q in zip(stacked, per_model[m], strict=True):
            np.testing.assert_allclose(p[m], q, rtol=0, atol=1e-14)


def _state(optimizer) -> list[np.ndarray]:
    if isinstance(optimizer, Adam):
        return [*optimizer.m, *optimizer.v]
    return list(optimizer.velocity)


@pytest.mark.parametrize(("name", "factory"), _optimizers(), ids=[n for n, _ in _optimizers()])
def test_reset_zeroes_only_that_models_state(name, factory):
    params = _random_params(21, STACKED_SHAPES)
    optimizer = factory(params)
    rng = np.random.default_rng(22)
    for _ in range(3):
        optimizer.step(params, _random_grads(rng, STACKED_SHAPES), 0.1)
    before = _copy(_state(optimizer))
    optimizer.reset(1)  # must not fail even when there is no state (plain SGD)
    after = _state(optimizer)
    assert len(after) == len(before)
    if name != "sgd":
        assert len(after) > 0
    for old, new in zip(before, after, strict=True):
        assert np.all(old[1] != 0)  # it really had state to clear
        assert np.all(new[1] == 0)
        np.testing.assert_array_equal(new[0], old[0])
        np.testing.assert_array_equal(new[2], old[2])


def test_reset_model_then_step_matches_a_fresh_momentum_optimizer():
    """After reset(m), model m continues exactly like a freshly started optimiser from its current weights."""
    params = _random_params(31, STACKED_SHAPES)
    optimizer = SGD(params, momentum=0.9)
    rng = np.random.default_rng(32)
    for _ in range(3):
        optimizer.step(params, _random_grads(rng, STACKED_SHAPES), 0.1)
    optimizer.reset(2)
    fresh_params = [p[2].copy() for p in params]
    fresh = SGD(fresh_params, momentum=0.9)
    grads = _random_grads(rng, STACKED_SHAPES)
    fresh.step(fresh_params, [g[2].copy() for g in grads], 0.1)
    optimizer.step(params, grads, 0.1)
    for p, q in zip(params, fresh_params, strict=True):
        np.testing.assert_allclose(p[2], q, rtol=0, atol=1e-15)


# --- factory and schedules -----------------------------------------------------------------------


def test_make_optimizer_builds_each_kind():
    params = _random_params()
    assert isinstance(make_optimizer("sgd", params), SGD)
    momentum = make_optimizer("sgd", params, momentum=0.9, nesterov=True)
    assert isinstance(momentum, SGD) and momentum.momentum == 0.9 and momentum.nesterov
    assert isinstance(make_optimizer("adam", params), Adam)


@pytest.mark.parametrize("name", ["rmsprop", "SGD", "", "Adam"])
def test_make_optimizer_unknown_name(name):
    with pytest.raises(ValueError, match=r"Unknown optimizer .*Valid choices: sgd, adam"):
        make_optimizer(name, _random_params())


def test_constant_schedule():
    for epoch in (1, 2, 50, 100):
        assert scheduled_learning_rate(0.3, epoch, 100, "constant") == 0.3
    assert scheduled_learning_rate(0.3, 7, 10) == 0.3  # the default


def test_step_schedule_epochs_are_one_based():
    base, step_size, gamma = 0.4, 3, 0.5
    expected = {1: 0.4, 2: 0.4, 3: 0.4, 4: 0.2, 5: 0.2, 6: 0.2, 7: 0.1, 10: 0.05}
    for epoch, lr in expected.items():
        got = scheduled_learning_rate(base, epoch, 20, "step", step_size=step_size, gamma=gamma)
        assert got == pytest.approx(lr, rel=1e-15), epoch
    # gamma 1 is a constant rate
    assert scheduled_learning_rate(0.4, 99, 100, "step", step_size=1, gamma=1.0) == 0.4


@pytest.mark.parametrize("epochs", [10, 50, 101])
def test_cosine_schedule(epochs):
    base = 0.2
    assert scheduled_learning_rate(base, 1, epochs, "cosine") == pytest.approx(base, rel=1e-15)
    for epoch in range(1, epochs + 1):
        closed_form = base / 2 * (1 + math.cos(math.pi * (epoch - 1) / epochs))
        got = scheduled_learning_rate(base, epoch, epochs, "cosine")
        assert got == pytest.approx(closed_form, rel=1e-12, abs=1e-15)
        assert 0 < got <= base
    if epochs % 2 == 0:  # halfway through (epoch - 1 == epochs / 2) the rate is half
        assert scheduled_learning_rate(base, epochs // 2 + 1, epochs, "cosine") == pytest.approx(base / 2)
    rates = [scheduled_learning_rate(base, e, epochs, "cosine") for e in range(1, epochs + 1)]
    assert all(a > b for a, b in zip(rates, rates[1:], strict=False))  # strictly decreasing


@pytest.mark.parametrize("schedule", ["linear", "Cosine", "", "exponential"])
def test_unknown_schedule_lists_choices(schedule):
    with pytest.raises(ValueError, match=r"Unknown schedule .*Valid choices: constant, step, cosine"):
        scheduled_learning_rate(0.1, 1, 10, schedule)
    assert SCHEDULES == ("constant", "step", "cosine")
