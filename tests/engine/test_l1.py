"""L1 regularisation: the loss adds l1·Σ|w| over the weights (never the biases) and its gradient is l1·sign(w),
checked against central finite differences in float64 and against the penalty summed independently; the trainer's
flat fast path (one stack or several runs) takes exactly the step the network's own gradient gives.
scikit-learn's MLP has no L1 penalty, so the references here are closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.engine.data import load_dataset
from core.engine.mlp import MLP
from core.engine.training import TrainConfig, train, train_many
from tests.engine.test_mlp import _data, _n_out

L1 = 0.05


def _loss_with_l1(net: MLP, X, y, l1: float, l2: float = 0.0) -> float:
    return net.loss(X, y, l2=l2, l1=l1)


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize(("activation", "l2"), [("tanh", 0.0), ("relu", 0.0), ("softplus", 0.02)])
def test_l1_gradients_match_central_finite_differences_in_float64(task, activation, l2):
    net = MLP([3, 5, 4, _n_out(task)], activation=activation, task=task, seed=2, bias_init=0.1)
    X, y = _data(task)
    # Finite differences see |w|'s kink only within h of 0: every weight here is far from it.
    h = 1e-6
    assert min(float(np.abs(W).min()) for W in net.weights) > 100 * h
    _, grad_w, grad_b = net.loss_and_gradients(X, y, l2=l2, l1=L1)
    for analytic, param in zip([*grad_w, *grad_b], [*net.weights, *net.biases], strict=True):
        numerical = np.zeros_like(param)
        for idx in np.ndindex(param.shape):
            original = param[idx]
            param[idx] = original + h
            plus = _loss_with_l1(net, X, y, L1, l2)
            param[idx] = original - h
            minus = _loss_with_l1(net, X, y, L1, l2)
            param[idx] = original
            numerical[idx] = (plus - minus) / (2 * h)
        np.testing.assert_allclose(analytic, numerical, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_loss_is_the_data_loss_plus_l1_times_the_sum_of_absolute_weights(task):
    net = MLP([3, 5, 4, _n_out(task)], activation="relu", task=task, seed=4, bias_init=0.5)
    X, y = _data(task)
    absolute = math.fsum(abs(float(w)) for W in net.weights for w in W.ravel())  # summed apart from the engine
    assert net.loss(X, y, l1=L1) == pytest.approx(net.loss(X, y) + L1 * absolute, rel=1e-12)
    both = net.loss(X, y) + L1 * absolute + 0.5 * 0.1 * math.fsum(float(w) ** 2 for W in net.weights for w in W.ravel())
    assert net.loss(X, y, l2=0.1, l1=L1) == pytest.approx(both, rel=1e-12)
    for b in net.biases:  # biases are not regularised
        b += 0.7
    assert net.loss(X, y, l1=L1) - net.loss(X, y) == pytest.approx(L1 * absolute, rel=1e-10)


def test_the_gradient_is_l1_times_the_sign_of_each_weight_and_zero_at_zero():
    net = MLP([2, 3, 3], activation="linear", seed=0)
    X, y = _data("classification", n_in=2)
    net.weights[0][0, 0] = 0.0
    _, data_w, _ = net.loss_and_gradients(X, y)
    _, grad_w, grad_b = net.loss_and_gradients(X, y, l1=L1)
    for g, d, W in zip(grad_w, data_w, net.weights, strict=True):
        np.testing.assert_allclose(g - d, L1 * np.sign(W), rtol=0, atol=1e-15)
    assert grad_w[0][0, 0] == data_w[0][0, 0]  # sign(0) = 0: a weight at exactly 0 gets no push


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", n_samples=120, noise=0.2, seed=0)


@pytest.mark.parametrize("activations", [("tanh",), ("relu", "tanh", "maxout")])
def test_one_full_batch_sgd_step_of_the_trainer_is_the_networks_own_l1_gradient_step(moons, activations):
    """The trainer's fast path (the flat parameter array: one run as 2-D arrays, several as a stack) against
    W - lr * dL/dW from MLP.loss_and_gradients, the reference gradient the finite differences hold."""
    lr, l1, l2 = 0.3, 0.02, 0.01
    configs = [TrainConfig(activation=a, hidden_layers=(6, 5), epochs=1, batch_size=len(moons.X_train),
                           learning_rate=lr, l1=l1, l2=l2, seed=3) for a in activations]
    trainer = train_many(moons, configs)
    next(trainer)  # epoch 0: at init
    starts = [trainer.model(i) for i in range(len(configs))]
    expected = []
    for net in starts:
        _, grad_w, grad_b = net.loss_and_gradients(moons.X_train, moons.y_train, l2=l2, l1=l1)
        expected.append([p - lr * g for p, g in zip(net.parameters(), [*grad_w, *grad_b], strict=True)])
    next(trainer)
    for run, params in enumerate(expected):
        for mine, theirs in zip(trainer.model(run).parameters(), params, strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


def test_the_records_gradient_norms_include_the_l1_term_and_the_losses_exclude_it(moons):
    config = TrainConfig(activation="relu", hidden_layers=(8,), epochs=1, l1=0.05, seed=1)
    record = next(iter(train(moons, config)))
    net = MLP([2, 8, 2], activation="relu", seed=1)
    _, grad_w, _ = net.loss_and_gradients(moons.X_train, moons.y_train, l1=0.05)
    assert record.grad_norms == pytest.approx([np.linalg.norm(g) for g in grad_w], rel=1e-10)
    assert record.train_loss == pytest.approx(net.loss(moons.X_train, moons.y_train), rel=1e-12)


def test_under_sgd_an_idle_weight_moves_lr_times_l1_a_step_towards_zero_and_then_hovers_there(moons):
    """Every hidden unit dead (bias -100: z < 0 for every input), so no weight has a data gradient: only the L1
    term moves them, by exactly lr·l1 a step towards 0 while a weight is farther than that, and afterwards it
    hovers within lr·l1 of 0. (Plain SGD with L1 does not set a weight to exactly 0.)"""
    lr, l1, epochs = 0.1, 0.01, 20
    config = TrainConfig(activation="relu", hidden_layers=(6,), epochs=epochs, batch_size=16, learning_rate=lr, l1=l1,
                         bias_init=-100.0, seed=5)
    trainer = train_many(moons, [config])
    next(trainer)
    start = [W.copy() for W in trainer.model(0).weights]
    for _ in trainer:
        pass
    steps = epochs * math.ceil(len(moons.X_train) / 16)
    move = steps * lr * l1
    for W0, W in zip(start, trainer.model(0).weights, strict=True):
        far = np.abs(W0) > move + lr * l1
        np.testing.assert_allclose(W[far], W0[far] - move * np.sign(W0[far]), rtol=0, atol=1e-9)
        assert (np.abs(W[~far]) <= lr * l1 + 1e-12).all()
    assert (np.abs(start[0]) > move + lr * l1).any() and (np.abs(start[0]) <= move).any()  # both cases are met
