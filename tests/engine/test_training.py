"""The training generators held against independent references: networks built directly with ``MLP``,
full-batch gradient descent written out with ``MLP.loss_and_gradients`` and scikit-learn's own
optimisers, metrics recomputed from ``MLP.hidden_outputs``, and the guide's list of claims with real
values (loss falls, ReLU sparsity at He init, dead units, divergence, train_many == train)."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from core.engine.data import load_dataset
from core.engine.limits import (
    MAX_ABS_BIAS_INIT,
    MAX_ALPHA,
    MAX_BATCH_SIZE,
    MAX_EPOCHS,
    MAX_L1,
    MAX_L2,
    MAX_LEARNING_RATE,
    MAX_RUNS,
    MAX_SEED,
    MAX_WORK,
    format_work,
)
from core.engine.mlp import MLP
from core.engine.training import EpochRecord, TrainConfig, train, train_many, training_work

N_SAMPLES = 200  # 150 training rows: every test here trains in milliseconds
METRIC_FIELDS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "grad_norms", "sparsity",
                 "dead_fraction", "mean_activation", "learning_rate")
IDENTITY_FIELDS = ("run", "label", "activation", "seed", "epoch", "diverged")


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", n_samples=N_SAMPLES, noise=0.2, seed=0)


@pytest.fixture(scope="module")
def sine():
    return load_dataset("sine", n_samples=N_SAMPLES, noise=0.1, seed=0)


@pytest.fixture(scope="module")
def iris():
    return load_dataset("iris", seed=0)


@pytest.fixture(autouse=True)
def no_warnings_at_all():
    """Any warning (not only RuntimeWarning) is a failure: divergence must be flagged, not warned about."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _run(ds, cfg) -> list[EpochRecord]:
    return list(train(ds, cfg))


def _run_many(ds, cfgs) -> list[list[EpochRecord]]:
    return list(train_many(ds, cfgs))


def _per_run(history: list[list[EpochRecord]], run: int) -> list[EpochRecord]:
    return [rec for recs in history for rec in recs if rec.run == run]


def _as_if_alone(history: list[list[EpochRecord]], run: int) -> list[EpochRecord]:
    """One run's records from a train_many history, renumbered as train() numbers its single run."""
    return [dataclasses.replace(rec, run=0) for rec in _per_run(history, run)]


def _n_out(ds) -> int:
    return ds.n_classes if ds.task == "classification" else ds.y_train.reshape(len(ds.y_train), -1).shape[1]


def _mlp_for(ds, cfg: TrainConfig, init: str | None = None) -> MLP:
    """The network the config describes, built directly (the trainer is not involved)."""
    if init is None:
        init = cfg.init
    return MLP([ds.X_train.shape[1], *cfg.hidden_layers, _n_out(ds)], activation=list(cfg.hidden_activations),
               task=ds.task, init=init, bias_init=cfg.bias_init, seed=cfg.seed, dtype=np.dtype(cfg.dtype),
               maxout_pieces=cfg.maxout_pieces, **({} if cfg.alpha is None else {"alpha": cfg.alpha}))


def _expected_metrics(net: MLP, ds, l2: float) -> dict:
    """Every measured field of a record, recomputed from the network's public methods."""
    _, grad_w, _ = net.loss_and_gradients(ds.X_train, ds.y_train, l2=l2)
    hidden = net.hidden_outputs(ds.X_train)
    metrics = {
        "train_loss": net.loss(ds.X_train, ds.y_train),  # the data loss, without the L2 term
        "test_loss": net.loss(ds.X_test, ds.y_test),
        "grad_norms": tuple(float(np.linalg.norm(g)) for g in grad_w),  # Frobenius
        "sparsity": tuple(float(np.mean(h == 0)) for h in hidden),
        "dead_fraction": tuple(float(np.mean(np.all(h == 0, axis=0))) for h in hidden),
        "mean_activation": tuple(float(np.mean(h)) for h in hidden),
    }
    if ds.task == "classification":
        metrics["train_accuracy"] = float(np.mean(net.predict(ds.X_train) == ds.y_train))
        metrics["test_accuracy"] = float(np.mean(net.predict(ds.X_test) == ds.y_test))
    else:
        metrics["train_accuracy"] = metrics["test_accuracy"] = None
    return metrics


def _assert_close(actual, expected, tol: float, what: str = ""):
    if expected is None or actual is None:
        assert actual is None and expected is None, what
        return
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected), what
        np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol, err_msg=what)
    else:
        assert actual == pytest.approx(expected, rel=tol, abs=tol), what


def _assert_record_matches(rec: EpochRecord, expected: dict, tol: float):
    for name, value in expected.items():
        _assert_close(getattr(rec, name), value, tol, f"epoch {rec.epoch}: {name}")


def _assert_same_records(ours: list[EpochRecord], reference: list[EpochRecord], tol: float):
    assert len(ours) == len(reference)
    for a, b in zip(ours, reference, strict=True):
        for name in IDENTITY_FIELDS:
            assert getattr(a, name) == getattr(b, name), (a.epoch, name)
        for name in METRIC_FIELDS:
            _assert_close(getattr(a, name), getattr(b, name), tol, f"epoch {a.epoch}: {name}")


def _without_time(rec: EpochRecord) -> EpochRecord:
    return dataclasses.replace(rec, epoch_seconds=0.0)


def _all_finite(rec: EpochRecord) -> bool:
    values = [rec.train_loss, rec.test_loss, *rec.grad_norms, *rec.mean_activation]
    return all(math.isfinite(v) for v in values)


# --- the epoch-0 record ------------------------------------------------------------------------------

INIT_CASES = [
    ("moons", TrainConfig(activation="relu", hidden_layers=(16, 16), epochs=3)),
    ("moons", TrainConfig(activation="maxout", hidden_layers=(8,), epochs=3, l2=0.01, seed=4, maxout_pieces=3)),
    ("moons", TrainConfig(activation="leaky_relu", alpha=0.2, hidden_layers=(8, 8), epochs=3, bias_init=0.3)),
    ("iris", TrainConfig(activation=("tanh", "relu"), hidden_layers=(10, 6), epochs=3, init="xavier", seed=9)),
    ("sine", TrainConfig(activation="sigmoid", hidden_layers=(12,), epochs=3, l2=0.1, init="xavier")),
]


@pytest.mark.parametrize(("dataset", "cfg"), INIT_CASES, ids=[f"{d}-{c.label}" for d, c in INIT_CASES])
def test_epoch_zero_record_is_the_network_at_init(dataset, cfg, request):
    ds = request.getfixturevalue(dataset)
    first = next(iter(train(ds, cfg)))
    assert first.epoch == 0
    assert first.epoch_seconds == 0.0
    assert first.diverged is False
    net = _mlp_for(ds, cfg)
    expected = _expected_metrics(net, ds, cfg.l2)
    _assert_record_matches(first, expected, 1e-12)
    assert first.train_loss == pytest.approx(net.loss(ds.X_train, ds.y_train), rel=1e-12)
    if cfg.l2:
        # the record's train_loss is the data loss; the L2 term is not in it
        assert net.loss(ds.X_train, ds.y_train, l2=cfg.l2) > first.train_loss + 1e-6


def test_epoch_zero_comes_first_then_one_record_per_epoch(moons):
    records = _run(moons, TrainConfig(epochs=7))
    assert [r.epoch for r in records] == list(range(8))


# --- the story, measured -------------------------------------------------------------------------------


def test_loss_falls_on_moons(moons):
    records = _run(moons, TrainConfig(activation="relu", epochs=50, learning_rate=0.1))
    assert len(records) == 51
    assert records[-1].train_loss < 0.5 * records[0].train_loss
    assert records[-1].test_accuracy > 0.9
    assert records[-1].train_accuracy > 0.9
    assert not any(r.diverged for r in records)


@pytest.mark.parametrize("hidden", [(64, 64), (32, 32, 32)])
def test_relu_sparsity_is_about_half_at_he_init(moons, hidden):
    first = _run(moons, TrainConfig(activation="relu", hidden_layers=hidden, init="he", epochs=1))[0]
    assert len(first.sparsity) == len(hidden)
    for layer, value in enumerate(first.sparsity):
        assert 0.4 <= value <= 0.6, (layer, value)
    for value in first.dead_fraction:
        assert value < 0.25


def test_sigmoid_never_outputs_exact_zeros(moons):
    records = _run(moons, TrainConfig(activation="sigmoid", hidden_layers=(16, 16), epochs=10, learning_rate=0.5))
    for rec in records:
        assert rec.sparsity == (0.0, 0.0)
        assert rec.dead_fraction == (0.0, 0.0)
        assert all(0 < m < 1 for m in rec.mean_activation)  # the open range (0, 1), not zero-centred


def test_negative_bias_kills_relu_units_and_leaky_relu_keeps_them(moons):
    relu_cfg = TrainConfig(activation="relu", hidden_layers=(16, 16), init="he", bias_init=-3.0, epochs=20,
                           learning_rate=0.1)
    trainer = train_many(moons, [relu_cfg])
    history = [next(trainer)]
    net = trainer.model(0)
    dead_at_init = np.all(net.hidden_outputs(moons.X_train)[0] == 0, axis=0)
    first_weights, first_biases = net.weights[0].copy(), net.biases[0].copy()
    history += list(trainer)
    relu = [recs[0] for recs in history]
    assert len(relu) == 21
    assert relu[0].dead_fraction[0] > 0.25
    assert relu[-1].dead_fraction[0] > 0.25
    assert all(any(d > 0 for d in rec.dead_fraction) for rec in relu)
    # a first-layer unit dead on every training sample gets no gradient, so it never learns again
    assert dead_at_init.any()
    np.testing.assert_array_equal(net.weights[0][:, dead_at_init], first_weights[:, dead_at_init])
    np.testing.assert_array_equal(net.biases[0][dead_at_init], first_biases[dead_at_init])

    leaky = _run(moons, relu_cfg.replace(activation="leaky_relu"))
    assert len(leaky) == 21
    for rec in leaky:
        assert rec.dead_fraction == (0.0, 0.0)
        assert rec.sparsity == (0.0, 0.0)  # 0.01 * z is never exactly 0 for z != 0


def test_linear_network_cannot_separate_moons_but_relu_can(moons):
    linear = _run(moons, TrainConfig(activation="linear", hidden_layers=(16, 16), epochs=60, learning_rate=0.05))
    relu = _run(moons, TrainConfig(activation="relu", hidden_layers=(16, 16), epochs=60, learning_rate=0.05))
    assert linear[-1].train_accuracy < 0.92  # a line through moons
    assert relu[-1].train_accuracy > linear[-1].train_accuracy


# --- divergence ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("dataset", "kwargs"), [("sine", {"n_samples": N_SAMPLES}), ("diabetes", {})])
def test_regression_with_huge_learning_rate_is_flagged_and_stopped(dataset, kwargs):
    ds = load_dataset(dataset, seed=0, **kwargs)
    records = _run(ds, TrainConfig(learning_rate=100.0, epochs=30))  # would raise on any warning
    assert records[-1].diverged is True
    assert 1 <= records[-1].epoch < 30  # stopped early: nothing after the flagged record
    assert all(not r.diverged and _all_finite(r) for r in records[:-1])
    assert [r.epoch for r in records] == list(range(len(records)))
    assert records[-1].train_accuracy is None


def test_diverged_run_stops_train_many(sine):
    trainer = train_many(sine, [TrainConfig(learning_rate=100.0, epochs=30)])
    history = list(trainer)
    assert history[-1][0].diverged
    assert trainer.done
    with pytest.raises(StopIteration):
        next(trainer)


def test_classification_with_huge_learning_rate_is_finite_or_flagged(moons):
    for activation in ("relu", "linear", "sigmoid"):
        records = _run(moons, TrainConfig(activation=activation, learning_rate=1e4, epochs=20))
        for i, rec in enumerate(records):
            if rec.diverged:
                assert i == len(records) - 1, activation  # the flagged record is the last one
            else:
                assert _all_finite(rec), (activation, rec.epoch)


def _scaled_frobenius(g: np.ndarray) -> float:
    """||g||_F without overflow: scaled by max |g| first, in float64."""
    g = g.astype(np.float64)
    largest = np.abs(g).max()
    return float(largest * np.sqrt(((g / largest) ** 2).sum())) if largest > 0 else 0.0


EXPLODING = [
    ("blobs", TrainConfig(activation="leaky_relu", hidden_layers=(8, 8), epochs=3, learning_rate=1e4,
                          batch_size=16)),
    ("sine", TrainConfig(activation="silu", hidden_layers=(8, 8), epochs=3, learning_rate=1.0, momentum=0.9,
                         nesterov=True, batch_size=16, dtype="float32")),
]


@pytest.mark.parametrize(("dataset", "cfg"), EXPLODING, ids=[d for d, _ in EXPLODING])
def test_exploding_gradients_are_measured_or_flagged(dataset, cfg):
    """Every record a chart receives is finite or flagged: an unflagged record's grad norms are the
    true Frobenius norms of the (finite) gradients, however large."""
    ds = load_dataset(dataset, n_samples=100, seed=0)
    trainer = train_many(ds, [cfg])
    for (rec,) in trainer:
        if rec.diverged:
            break
        with np.errstate(all="ignore"):
            _, grad_w, _ = trainer.model(0).loss_and_gradients(ds.X_train, ds.y_train, l2=cfg.l2)
        if not all(np.isfinite(g).all() for g in grad_w):
            continue  # the gradient itself overflowed: a flag is the only honest answer, checked next epoch
        expected = [_scaled_frobenius(g) for g in grad_w]
        assert all(math.isfinite(v) for v in rec.grad_norms), (rec.epoch, rec.grad_norms, expected)
        np.testing.assert_allclose(rec.grad_norms, expected, rtol=1e-4)


def test_one_run_diverges_inside_a_stack_while_the_others_train_on(moons):
    """Same architecture and optimiser settings (one stack): a linear net at lr 1e4 blows up in its first
    epoch; a ReLU net whose units are all dead (only its output bias learns, and cross-entropy's bias gradient
    is bounded) and a tanh net (bounded outputs) stay finite."""
    epochs = 12
    cfgs = [
        TrainConfig(activation="linear", learning_rate=1e4, epochs=epochs),
        TrainConfig(activation="relu", learning_rate=1e4, epochs=epochs, bias_init=-100.0),
        TrainConfig(activation="tanh", learning_rate=1e4, epochs=epochs, seed=3),
    ]
    assert len({c.stack_key() for c in cfgs}) == 1
    history = _run_many(moons, cfgs)
    assert len(history) == epochs + 1
    assert [len(recs) for recs in history] == [3, 3] + [2] * (epochs - 1)
    diverging = _per_run(history, 0)
    assert [r.epoch for r in diverging] == [0, 1] and diverging[-1].diverged
    for run in (1, 2):
        survivor = _per_run(history, run)
        assert [r.epoch for r in survivor] == list(range(epochs + 1))
        assert not any(r.diverged for r in survivor)
        assert all(_all_finite(r) for r in survivor)
        # the neighbour's blow-up did not touch it: it is exactly its own run
        _assert_same_records(_as_if_alone(history, run), _run(moons, cfgs[run]), 1e-10)
    assert _per_run(history, 1)[-1].dead_fraction == (1.0, 1.0)


def test_runs_in_different_stacks_are_independent(sine):
    cfgs = [TrainConfig(learning_rate=100.0, epochs=10), TrainConfig(learning_rate=0.05, epochs=10)]
    assert cfgs[0].stack_key() != cfgs[1].stack_key()
    history = _run_many(sine, cfgs)
    assert _per_run(history, 0)[-1].diverged
    steady = _per_run(history, 1)
    assert [r.epoch for r in steady] == list(range(11))
    _assert_same_records(_as_if_alone(history, 1), _run(sine, cfgs[1]), 1e-10)


# --- train_many == train -------------------------------------------------------------------------------


def test_train_many_equals_train_on_each_config(moons):
    base = TrainConfig(hidden_layers=(12, 8), epochs=8, batch_size=32, learning_rate=0.1)
    # activations interleaved in config order, so the stack has to regroup them and put them back
    cfgs = [base.replace(activation=a, seed=s) for s in (0, 1) for a in ("relu", "sigmoid", "tanh")]
    cfgs += [
        base.replace(activation="maxout", seed=2),
        base.replace(activation=("tanh", "relu"), seed=3),
        base.replace(activation="leaky_relu", alpha=0.1, seed=4),
        base.replace(activation="leaky_relu", seed=4),  # the default alpha, next to alpha 0.1
        base.replace(activation="elu", alpha=0.5, bias_init=0.2, seed=1),
        base.replace(activation=("maxout", "tanh"), seed=6),  # a stack of its own: maxout in layer 1 only
        base.replace(activation=("maxout", "relu"), seed=6),
        base.replace(activation="relu", learning_rate=0.03, l2=0.001, seed=5),  # another stack
        base.replace(activation="elu", optimizer="adam", learning_rate=0.01),  # and another
    ]
    assert len({c.stack_key() for c in cfgs}) >= 3
    history = _run_many(moons, cfgs)
    for recs in history:
        assert [r.run for r in recs] == list(range(len(cfgs)))
    for run, cfg in enumerate(cfgs):
        alone = _run(moons, cfg)
        assert all(r.run == 0 for r in alone)
        _assert_same_records(_as_if_alone(history, run), alone, 1e-10)


def test_train_many_equals_train_for_regression(sine):
    cfgs = [TrainConfig(activation=a, hidden_layers=(10,), epochs=6, learning_rate=0.05, seed=s)
            for a in ("relu", "tanh") for s in (0, 7)]
    history = _run_many(sine, cfgs)
    for run, cfg in enumerate(cfgs):
        _assert_same_records(_as_if_alone(history, run), _run(sine, cfg), 1e-10)


def test_same_seed_same_records_different_seed_different(moons):
    cfg = TrainConfig(activation="relu", hidden_layers=(8, 8), epochs=6, learning_rate=0.1, seed=11)
    first = [_without_time(r) for r in _run(moons, cfg)]
    second = [_without_time(r) for r in _run(moons, cfg)]
    assert first == second
    other = [_without_time(r) for r in _run(moons, cfg.replace(seed=12))]
    assert other[0].train_loss != first[0].train_loss  # different init
    assert other[-1].train_loss != first[-1].train_loss
    # and the same seed gives identical records inside a bigger train_many call
    history = _run_many(moons, [cfg.replace(seed=12), cfg, cfg.replace(activation="tanh")])
    assert [_without_time(r) for r in _as_if_alone(history, 1)] == first


# --- every metric, recomputed from the live model -------------------------------------------------------

METRIC_CASES = [
    ("moons", TrainConfig(activation="relu", hidden_layers=(16, 16), l2=0.01, learning_rate=0.1, seed=1)),
    ("moons", TrainConfig(activation="maxout", hidden_layers=(8, 8), learning_rate=0.05, seed=2)),
    ("moons", TrainConfig(activation=("tanh", "relu"), hidden_layers=(8, 8), learning_rate=0.1, bias_init=-0.5)),
    ("iris", TrainConfig(activation="sigmoid", hidden_layers=(10,), optimizer="adam", learning_rate=0.01)),
    ("sine", TrainConfig(activation="tanh", hidden_layers=(16,), l2=0.001, learning_rate=0.05, momentum=0.9)),
]


@pytest.mark.parametrize(("dataset", "cfg"), METRIC_CASES, ids=[f"{d}-{c.label}" for d, c in METRIC_CASES])
def test_records_agree_with_the_live_model(dataset, cfg, request):
    """After k epochs, the record's grad norms, hidden statistics, accuracies and losses equal what
    MLP.loss_and_gradients / hidden_outputs / predict / loss give for trainer.model(run)."""
    ds = request.getfixturevalue(dataset)
    cfg = cfg.replace(epochs=5)
    cfgs = [cfg, cfg.replace(seed=cfg.seed + 1), cfg.replace(bias_init=0.1)]
    trainer = train_many(ds, cfgs)
    for k, recs in enumerate(trainer):
        assert all(r.epoch == k for r in recs)
        if k in (0, 2, 5):
            for rec in recs:
                net = trainer.model(rec.run)
                assert net.weights[0].dtype == np.float64
                _assert_record_matches(rec, _expected_metrics(net, ds, cfg.l2), 1e-10)
    assert k == 5


def test_model_view_is_live(moons):
    trainer = train_many(moons, [TrainConfig(epochs=3, learning_rate=0.1)])
    next(trainer)
    net = trainer.model(0)
    before = net.weights[0].copy()
    next(trainer)
    assert not np.array_equal(net.weights[0], before)


# --- full-batch training against hand-written gradient descent ------------------------------------------


def _expected_learning_rate(cfg: TrainConfig, epoch: int) -> float:
    if cfg.schedule == "constant":
        return cfg.learning_rate
    if cfg.schedule == "step":
        return cfg.learning_rate * cfg.gamma ** ((epoch - 1) // cfg.step_size)
    return cfg.learning_rate * 0.5 * (1 + math.cos(math.pi * (epoch - 1) / cfg.epochs))


def _reference_full_batch(ds, cfg: TrainConfig) -> list[dict]:
    """Gradient descent on the whole training set with MLP's gradients and scikit-learn's optimisers."""
    net = _mlp_for(ds, cfg, init=cfg.resolved_init)
    params = net.parameters()
    if cfg.optimizer == "adam":
        optimizer = AdamOptimizer(params, learning_rate_init=cfg.learning_rate)
    else:
        optimizer = SGDOptimizer(params, learning_rate_init=cfg.learning_rate, lr_schedule="constant",
                                 momentum=cfg.momentum, nesterov=cfg.nesterov)
    history = [_expected_metrics(net, ds, cfg.l2)]
    for epoch in range(1, cfg.epochs + 1):
        lr = _expected_learning_rate(cfg, epoch)
        optimizer.learning_rate_init = optimizer.learning_rate = lr
        _, grad_w, grad_b = net.loss_and_gradients(ds.X_train, ds.y_train, l2=cfg.l2)
        optimizer.update_params(params, [*grad_w, *grad_b])
        history.append({**_expected_metrics(net, ds, cfg.l2), "learning_rate": lr})
    return history


FULL_BATCH = TrainConfig(hidden_layers=(12, 8), epochs=15, batch_size=100_000, learning_rate=0.2)
FULL_BATCH_CASES = [
    ("moons", FULL_BATCH),
    ("moons", FULL_BATCH.replace(activation="tanh", l2=0.01, init="auto")),
    ("moons", FULL_BATCH.replace(momentum=0.9)),
    ("moons", FULL_BATCH.replace(activation="maxout", momentum=0.8, nesterov=True, learning_rate=0.05)),
    ("moons", FULL_BATCH.replace(optimizer="adam", learning_rate=0.01, activation="elu")),
    ("moons", FULL_BATCH.replace(schedule="step", step_size=4, gamma=0.5, learning_rate=0.5)),
    ("moons", FULL_BATCH.replace(schedule="cosine", learning_rate=0.5, activation="sigmoid", init="xavier")),
    ("iris", FULL_BATCH.replace(activation=("tanh", "relu"), momentum=0.5, schedule="cosine")),
    ("sine", FULL_BATCH.replace(activation="tanh", learning_rate=0.1, l2=0.001)),
]


@pytest.mark.parametrize(
    ("dataset", "cfg"), FULL_BATCH_CASES,
    ids=[f"{d}-{c.label}-{c.optimizer}-m{c.momentum}-{c.schedule}" for d, c in FULL_BATCH_CASES])
def test_full_batch_training_equals_hand_written_gradient_descent(dataset, cfg, request):
    ds = request.getfixturevalue(dataset)
    assert cfg.batch_size >= len(ds.X_train)  # one step per epoch on the whole training set
    records = _run(ds, cfg)
    reference = _reference_full_batch(ds, cfg)
    assert len(records) == len(reference) == cfg.epochs + 1
    for rec, expected in zip(records, reference, strict=True):
        _assert_record_matches(rec, expected, 1e-9)


# --- records: order, labels, plain data -----------------------------------------------------------------


def test_records_in_config_order_with_labels(moons):
    cfgs = [
        TrainConfig(activation="tanh", epochs=3, seed=5),
        TrainConfig(activation="relu", epochs=3),
        TrainConfig(activation="sigmoid", epochs=3, learning_rate=0.3),
        TrainConfig(activation="maxout", epochs=3),
        TrainConfig(activation=("tanh", "relu"), epochs=3),
        TrainConfig(activation="leaky_relu", epochs=3, seed=2),
    ]
    history = _run_many(moons, cfgs)
    assert len(history) == 4
    for epoch, recs in enumerate(history):
        assert [r.run for r in recs] == list(range(len(cfgs)))
        assert {r.epoch for r in recs} == {epoch}
        assert [r.label for r in recs] == ["Tanh", "ReLU", "Sigmoid", "Maxout", "Tanh → ReLU", "Leaky ReLU"]
        assert [r.activation for r in recs] == ["tanh", "relu", "sigmoid", "maxout", "tanh>relu", "leaky_relu"]
        assert [r.seed for r in recs] == [5, 0, 0, 0, 0, 2]
        for r in recs:
            assert 0 <= r.train_accuracy <= 1 and 0 <= r.test_accuracy <= 1
            assert len(r.grad_norms) == 3 and len(r.sparsity) == len(r.dead_fraction) == 2


def test_regression_records_have_no_accuracy(sine):
    for rec in _run(sine, TrainConfig(epochs=3)):
        assert rec.train_accuracy is None and rec.test_accuracy is None
        assert rec.train_loss >= 0 and rec.test_loss >= 0


def test_epoch_seconds_per_run(moons):
    cfgs = [TrainConfig(activation=a, epochs=4) for a in ("relu", "tanh", "maxout")]
    history = _run_many(moons, cfgs)
    for recs in history:
        for rec in recs:
            if rec.epoch == 0:
                assert rec.epoch_seconds == 0.0
            else:
                assert 0 < rec.epoch_seconds < 10


def test_records_are_plain_data_for_a_dataframe(moons, sine):
    records = _run(moons, TrainConfig(epochs=3)) + _run(sine, TrainConfig(epochs=2))
    rows = [dataclasses.asdict(r) for r in records]
    frame = pd.DataFrame(rows)
    assert len(frame) == 7
    assert {"run", "label", "activation", "seed", "epoch", "train_loss", "grad_norms", "sparsity",
            "dead_fraction", "diverged", "epoch_seconds"} <= set(frame.columns)
    assert frame["epoch"].tolist() == [0, 1, 2, 3, 0, 1, 2]
    assert frame["train_loss"].dtype == np.float64
    for rec in records:
        for value in dataclasses.astuple(rec):
            assert not isinstance(value, np.ndarray)
        assert type(rec.train_loss) is float and type(rec.epoch) is int
        assert all(type(v) is float for v in (*rec.grad_norms, *rec.sparsity, *rec.dead_fraction))
    long = frame.explode("grad_norms")  # tuples explode into the long format the charts use
    assert len(long) == 7 * 3


# --- dtype, optimisers, schedules, init -----------------------------------------------------------------


def test_float32_stays_float32_and_is_close_to_float64(moons):
    cfg = TrainConfig(activation="tanh", hidden_layers=(16, 16), epochs=5, learning_rate=0.1)
    trainer = train_many(moons, [cfg.replace(dtype="float32")])
    single = [recs[0] for recs in trainer]
    net = trainer.model(0)
    assert all(W.dtype == np.float32 for W in net.weights)
    assert all(b.dtype == np.float32 for b in net.biases)
    double = _run(moons, cfg)
    for a, b in zip(single, double, strict=True):
        assert a.train_loss == pytest.approx(b.train_loss, rel=1e-3)
        assert a.test_loss == pytest.approx(b.test_loss, rel=1e-3)
        np.testing.assert_allclose(a.grad_norms, b.grad_norms, rtol=1e-3)
        np.testing.assert_allclose(a.mean_activation, b.mean_activation, rtol=1e-3, atol=1e-5)
        assert abs(a.train_accuracy - b.train_accuracy) <= 0.02
    assert single[-1].train_loss != double[-1].train_loss  # really computed in another precision


@pytest.mark.parametrize("changes", [
    {"optimizer": "adam", "learning_rate": 0.01},
    {"momentum": 0.9, "learning_rate": 0.02},
    {"momentum": 0.9, "nesterov": True, "learning_rate": 0.02},
], ids=["adam", "momentum", "nesterov"])
def test_adam_and_momentum_reduce_the_loss_on_moons(moons, changes):
    records = _run(moons, TrainConfig(activation="relu", epochs=30, **changes))
    assert records[-1].train_loss < 0.5 * records[0].train_loss
    assert records[-1].test_accuracy > 0.85


def test_optimizer_changes_the_path(moons):
    base = TrainConfig(epochs=3, learning_rate=0.02)
    finals = {_run(moons, base.replace(**c))[-1].train_loss
              for c in ({}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}, {"optimizer": "adam"})}
    assert len(finals) == 4


def test_schedules_set_the_recorded_learning_rate(moons):
    step = _run(moons, TrainConfig(epochs=7, learning_rate=0.4, schedule="step", step_size=3, gamma=0.5))
    assert [r.learning_rate for r in step[1:]] == pytest.approx([0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.1])
    cosine = _run(moons, TrainConfig(epochs=8, learning_rate=0.4, schedule="cosine"))
    assert cosine[1].learning_rate == pytest.approx(0.4)
    assert cosine[5].learning_rate == pytest.approx(0.2)  # halfway: epoch - 1 == epochs / 2
    assert [r.learning_rate for r in cosine[1:]] == pytest.approx(
        [0.2 * (1 + math.cos(math.pi * (e - 1) / 8)) for e in range(1, 9)])
    constant = _run(moons, TrainConfig(epochs=4, learning_rate=0.4))
    assert {r.learning_rate for r in constant} == {0.4}
    # the schedule really is applied: a decaying rate gives another path than the constant one
    assert step[-1].train_loss != _run(moons, TrainConfig(epochs=7, learning_rate=0.4))[-1].train_loss


@pytest.mark.parametrize(("activation", "expected_init"), [
    ("relu", "he"), ("leaky_relu", "he"), ("elu", "he"), ("maxout", "he"),
    ("sigmoid", "xavier"), ("tanh", "xavier"), ("linear", "xavier"), (("tanh", "relu"), "xavier"),
])
def test_auto_init_is_he_for_relu_family_and_xavier_otherwise(moons, activation, expected_init):
    cfg = TrainConfig(activation=activation, hidden_layers=(64, 64), init="auto", epochs=1, seed=6)
    assert cfg.resolved_init == expected_init
    trainer = train_many(moons, [cfg])
    first = next(trainer)[0]
    net = trainer.model(0)
    reference = _mlp_for(moons, cfg, init=expected_init)
    for W, W_ref in zip(net.weights, reference.weights, strict=True):
        np.testing.assert_array_equal(W, W_ref)
    assert first.train_loss == pytest.approx(reference.loss(moons.X_train, moons.y_train), rel=1e-12)
    # the 64 x 64 middle layer: its sample std is the init's (He sqrt(2/64) = 0.177, Xavier sqrt(2/128) = 0.125)
    theory = math.sqrt(2 / 64) if expected_init == "he" else math.sqrt(2 / 128)
    middle = net.weights[1]
    assert middle.std() == pytest.approx(theory, rel=0.1)


# --- validation ----------------------------------------------------------------------------------------

INVALID = [
    ({"activation": "relu6"}, r"Unknown activation 'relu6'\. Valid choices: .*relu.*sigmoid.*maxout"),
    ({"activation": ("tanh", "swish")}, r"Unknown activation 'swish'\. Valid choices"),
    ({"activation": ("tanh",)}, r"Got 1 activations for 2 hidden layers"),
    ({"activation": ("tanh", "relu", "relu")}, r"Got 3 activations for 2 hidden layers"),
    ({"hidden_layers": ()}, r"hidden_layers must be a non-empty"),
    ({"hidden_layers": "16"}, r"hidden_layers must be a non-empty"),
    ({"hidden_layers": (16, 0)}, r"Each hidden layer needs 1 to 512 units"),
    ({"hidden_layers": (513,)}, r"Each hidden layer needs 1 to 512 units"),
    ({"hidden_layers": (16.0,)}, r"whole numbers"),
    ({"hidden_layers": (1,) * 33}, r"At most 32 hidden layers"),
    ({"hidden_layers": (512,) * 9}, r"At most 4096 hidden units"),
    ({"epochs": 0}, r"epochs must be a whole number from 1 to 5000"),
    ({"epochs": 5001}, r"epochs must be a whole number"),
    ({"epochs": 10.0}, r"epochs must be a whole number"),
    ({"epochs": True}, r"epochs must be a whole number"),
    ({"batch_size": 0}, r"batch_size must be a whole number"),
    ({"batch_size": 100_001}, r"batch_size must be a whole number from 1 to 100000"),
    ({"batch_size": 32.0}, r"batch_size must be a whole number"),
    ({"batch_size": True}, r"batch_size must be a whole number"),
    ({"learning_rate": 0}, r"learning_rate must be a number in \(0, 10000\]"),
    ({"learning_rate": -0.1}, r"learning_rate must be"),
    ({"learning_rate": 1.5e4}, r"learning_rate must be"),
    ({"learning_rate": float("nan")}, r"learning_rate must be"),
    ({"learning_rate": float("inf")}, r"learning_rate must be"),
    ({"learning_rate": "0.1"}, r"learning_rate must be"),
    ({"optimizer": "rmsprop"}, r"Unknown optimizer 'rmsprop'\. Valid choices: sgd, adam"),
    ({"momentum": 1.0}, r"momentum must be a number in \[0, 1\)"),
    ({"momentum": -0.1}, r"momentum must be"),
    ({"optimizer": "adam", "momentum": 0.9}, r"momentum applies to the 'sgd' optimizer only"),
    ({"nesterov": True}, r"Nesterov needs a momentum above 0"),
    ({"nesterov": "yes", "momentum": 0.9}, r"nesterov must be True or False"),
    ({"l2": -0.01}, r"l2 must be a number in \[0, 10\]"),
    ({"l2": float("nan")}, r"l2 must be"),
    ({"l2": 10.5}, r"l2 must be a number in \[0, 10\]"),
    ({"l1": -0.01}, r"l1 must be a number in \[0, 10\]"),
    ({"l1": float("nan")}, r"l1 must be"),
    ({"l1": 10.5}, r"l1 must be a number in \[0, 10\]"),
    ({"features": ("x1", "x3")}, r"Unknown input feature 'x3'\. Valid choices: x1, x2, x1_squared"),
    ({"features": ()}, r"features must be a non-empty list"),
    ({"features": "x1"}, r"features must be a non-empty list"),
    ({"features": ("x1", "x1")}, r"features: each input feature may be chosen once"),
    ({"init": "lecun"}, r"Unknown init 'lecun'\. Valid choices: he, xavier, small, zero, standard, auto"),
    ({"bias_init": float("nan")}, r"bias_init must be a number"),
    ({"bias_init": float("-inf")}, r"bias_init must be a number"),
    ({"bias_init": -101}, r"bias_init must be a number in \[-100, 100\]"),
    ({"bias_init": 100.5}, r"bias_init must be a number in \[-100, 100\]"),
    ({"seed": -1}, r"seed must be a whole number"),
    ({"seed": True}, r"seed must be a whole number"),
    ({"seed": 2**32}, r"seed must be a whole number"),
    ({"seed": 1.0}, r"seed must be a whole number"),
    ({"schedule": "exponential"}, r"Unknown schedule 'exponential'\. Valid choices: constant, step, cosine"),
    ({"step_size": 0}, r"step_size must be"),
    ({"step_size": 5001}, r"step_size must be a whole number from 1 to 5000"),
    ({"gamma": 0}, r"gamma must be a number in \(0, 1\]"),
    ({"gamma": 1.5}, r"gamma must be"),
    ({"dtype": "float16"}, r"dtype must be one of float64, float32"),
    ({"activation": "maxout", "maxout_pieces": 1}, r"maxout_pieces must be from 2 to 8"),
    ({"activation": "maxout", "maxout_pieces": 9}, r"maxout_pieces must be from 2 to 8"),
    ({"alpha": 0.2}, r"alpha applies to Leaky ReLU and ELU only"),
    ({"activation": "sigmoid", "alpha": 0.2}, r"alpha applies to Leaky ReLU and ELU only"),
    ({"activation": "leaky_relu", "alpha": -0.5}, r"alpha must be a number in \[0, 10\]"),
    ({"activation": "elu", "alpha": 10.5}, r"alpha must be a number in \[0, 10\]"),
]


@pytest.mark.parametrize(("changes", "message"), INVALID, ids=[str(c) for c, _ in INVALID])
def test_invalid_configs_raise_a_helpful_value_error(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)


# Each numeric setting's valid range (closed or open at either end, as TrainConfig states it).
RANGES = {"epochs": (1, MAX_EPOCHS), "batch_size": (1, MAX_BATCH_SIZE), "learning_rate": (0, MAX_LEARNING_RATE),
          "momentum": (0, 1), "l2": (0, MAX_L2), "l1": (0, MAX_L1),
          "bias_init": (-MAX_ABS_BIAS_INIT, MAX_ABS_BIAS_INIT),
          "seed": (0, MAX_SEED), "step_size": (1, MAX_EPOCHS), "gamma": (0, 1), "maxout_pieces": (2, 8),
          "alpha": (0, MAX_ALPHA)}


def test_the_validation_table_refuses_every_setting_on_both_sides_of_its_range():
    """What the table holds, not how long it is: every field of TrainConfig has an invalid case, each numeric one a
    value below its range and one above it, and the whole-number ones a float and a bool too."""
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    cases: dict[str, list] = {}
    for changes, _ in INVALID:
        for name, value in changes.items():
            cases.setdefault(name, []).append(value)
    assert set(cases) <= fields
    assert set(cases) == fields, f"settings without an invalid case: {sorted(fields - set(cases))}"
    assert set(RANGES) <= fields
    for name, (low, high) in RANGES.items():
        numbers = [v for v in cases[name] if type(v) in (int, float) and math.isfinite(v)]
        assert any(v < low or (v == low and name in ("learning_rate", "gamma")) for v in numbers), (name, numbers)
        assert any(v > high or (v == high and name == "momentum") for v in numbers), (name, numbers)
    for name in ("epochs", "batch_size", "seed"):
        assert {float, bool} <= {type(v) for v in cases[name]}, name
    # Every case says what is wrong: its message names a setting, or says "Unknown" or the layers' count.
    words = fields | {"Unknown", "activations", "hidden layer", "hidden units", "Nesterov", "whole numbers"}
    for _, message in INVALID:
        assert any(word in message for word in words), message


VALID_EDGES = [
    {"learning_rate": 1e4},
    {"learning_rate": 1e-9},
    {"momentum": 0.999, "nesterov": True},
    {"epochs": 1},
    {"epochs": 5000},
    {"batch_size": 1},
    {"hidden_layers": (512,) * 8},  # exactly 4096 units
    {"hidden_layers": (1,) * 32},
    {"hidden_layers": [4, 3]},
    {"hidden_layers": (np.int64(5),)},
    {"seed": 2**32 - 1},
    {"seed": np.int64(3)},
    {"bias_init": -100},
    {"bias_init": 100.0},
    {"l2": 10},
    {"gamma": 1.0},
    {"activation": "leaky_relu", "alpha": 0.0},
    {"activation": ["elu", "leaky_relu"], "alpha": 0.5},
    {"activation": "maxout", "maxout_pieces": 8},
    {"activation": ("maxout", "relu")},
    {"dtype": "float32"},
    {"init": "auto"},
    {"optimizer": "adam", "learning_rate": np.float32(0.01)},
]


@pytest.mark.parametrize("changes", VALID_EDGES, ids=[str(c) for c in VALID_EDGES])
def test_valid_edge_configs_construct(changes):
    cfg = TrainConfig(**changes)
    assert isinstance(cfg.hidden_layers, tuple)
    assert all(type(w) is int for w in cfg.hidden_layers)
    assert len(cfg.hidden_activations) == len(cfg.hidden_layers)
    assert isinstance(hash(cfg), int)  # frozen, hashable: usable as a cache key


def test_list_inputs_become_tuples():
    cfg = TrainConfig(activation=["tanh", "relu"], hidden_layers=[8, 4])
    assert cfg.activation == ("tanh", "relu") and cfg.hidden_layers == (8, 4)
    assert cfg == TrainConfig(activation=("tanh", "relu"), hidden_layers=(8, 4))


def test_train_many_checks_its_config_list(moons):
    with pytest.raises(ValueError, match="at least one"):
        train_many(moons, [])
    with pytest.raises(ValueError, match=f"At most {MAX_RUNS} runs"):
        train_many(moons, [TrainConfig(epochs=1)] * (MAX_RUNS + 1))
    with pytest.raises(ValueError, match="TrainConfig"):
        train_many(moons, [{"activation": "relu"}])


def test_a_mixed_maxout_stack_trains(moons):
    """Per-layer activations that mix maxout with elementwise ones train and match MLP at init."""
    cfg = TrainConfig(activation=("maxout", "relu"), hidden_layers=(6, 6), epochs=4, learning_rate=0.1)
    records = _run(moons, cfg)
    assert records[0].train_loss == pytest.approx(_mlp_for(moons, cfg).loss(moons.X_train, moons.y_train))
    assert records[-1].train_loss < records[0].train_loss
    assert records[0].label == "Maxout → ReLU"


def test_a_diverged_record_reports_no_accuracy():
    """argmax over NaN outputs picks class 0; a diverged run must not pass that off as an accuracy."""
    ds = load_dataset("moons", n_samples=100, seed=0)
    cfg = TrainConfig(activation="linear", hidden_layers=(64,) * 4, learning_rate=1e4, bias_init=50.0, epochs=5)
    last = list(train(ds, cfg))[-1]
    assert last.diverged
    assert math.isnan(last.train_accuracy) and math.isnan(last.test_accuracy)


def test_train_many_refuses_an_epoch_over_the_work_cap():
    """Fifty networks of 8 x 128 with batch 1 on 2,700 rows are refused before a network is built (one such epoch
    takes minutes here); three of them with batch 128 are not. The message gives training_work's count."""
    ds = load_dataset("moons", n_samples=3000, test_size=0.1)
    wide = TrainConfig(hidden_layers=(128,) * 8, batch_size=1, epochs=10)
    configs = [wide.replace(activation=name, seed=seed) for name in ("relu", "tanh", "sigmoid", "elu", "gelu")
               for seed in range(10)]
    with pytest.raises(ValueError) as raised:
        train_many(ds, configs)
    work = training_work(ds, configs, epochs=1, at_init=False)
    assert work > MAX_WORK
    assert str(raised.value) == (
        f"One epoch of training 50 networks of 8 × 128 units on 2,700 samples would need about {format_work(work)} "
        f"multiply-adds, over the cap of {format_work(MAX_WORK)} per request (MAX_WORK): choose fewer activations "
        "or seeds, fewer or narrower layers, a larger batch or fewer samples.")
    with pytest.raises(ValueError, match="MAX_WORK"):
        next(train(ds, wide.replace(hidden_layers=(512,) * 8)))
    light = [cfg.replace(batch_size=128) for cfg in configs[::10][:3]]
    assert training_work(ds, light, epochs=1, at_init=False) <= MAX_WORK
    assert len(next(train_many(ds, light))) == 3
