"""A run trained in slices, its state passed along as plain data, gives exactly the records of train_many in one go;
and "train more" (extend) continues the same run."""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from core.engine import slices
from core.engine.data import load_dataset
from core.engine.limits import MAX_EPOCHS
from core.engine.optim import phased_learning_rate, scheduled_learning_rate
from core.engine.training import EpochRecord, MultiTrainer, TrainConfig, train_many


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", n_samples=120, seed=0)


@pytest.fixture(scope="module")
def sine():
    return load_dataset("sine", n_samples=80, seed=1)


def config(**changes) -> TrainConfig:
    return TrainConfig(**{"hidden_layers": (6, 5), "epochs": 9, "batch_size": 16, "learning_rate": 0.1, **changes})


# Every kind of state a trainer carries: momentum and Nesterov velocities, Adam's moments and step count, L2, mixed
# activations in one stack, maxout, two stacks at once, float32, schedules, a run that diverges and freezes.
CASES = {
    "sgd": [config(activation=a, seed=s) for a in ("relu", "tanh") for s in (0, 1)],
    "momentum, nesterov, l2": [config(activation="relu", optimizer="sgd", momentum=0.9, nesterov=True, l2=0.01,
                                      seed=s) for s in (0, 3)],
    "adam, cosine": [config(activation=a, optimizer="adam", learning_rate=0.01, schedule="cosine")
                     for a in ("elu", "sigmoid")],
    "step schedule, float32": [config(activation="leaky_relu", schedule="step", step_size=2, dtype="float32",
                                      seed=s) for s in (0, 1)],
    "maxout and two stacks": [config(activation="maxout", maxout_pieces=3), config(activation="relu", batch_size=7)],
    # the Playground's settings: input features, L1, one activation per layer, a Leaky ReLU's own alpha
    "features, l1, per layer": [config(activation=("tanh", "relu"), features=("x1", "x2", "x1_squared", "sin_x1"),
                                       l1=0.001),
                                config(activation="leaky_relu", alpha=0.2, seed=4)],
    # linear diverges at epochs 1 and 2 (seeds 0 and 1), while the others train on
    "diverging": [config(activation=a, learning_rate=1.0, hidden_layers=(8,) * 4, seed=s)
                  for a in ("relu", "linear", "tanh") for s in (0, 1)],
}


def same_records(ours: list[EpochRecord], theirs: list[EpochRecord]) -> None:
    """Equal to the last bit (NaN equal to NaN), except the wall time each epoch took."""
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_equal(dataclasses.astuple(dataclasses.replace(a, epoch_seconds=0.0)),
                                dataclasses.astuple(dataclasses.replace(b, epoch_seconds=0.0)))


def in_one_go(ds, cfgs) -> list[EpochRecord]:
    return [record for records in train_many(ds, cfgs) for record in records]


def in_slices(ds, cfgs, sizes) -> tuple[list[EpochRecord], dict]:
    """epoch 0, then slices of ``sizes`` epochs (cycled) until done; each slice pickled there and back, as a worker
    process would get and return it."""
    data, plain = slices.training_data(ds), slices.plain_configs(cfgs)
    state, rows, *_ = slices.advance(data, plain, None, 0)
    records, turn = slices.epoch_records(rows), 0
    while not slices.is_done(state):
        task = pickle.loads(pickle.dumps((data, plain, state, sizes[turn % len(sizes)])))
        result = pickle.loads(pickle.dumps(slices.train_slice(*task)))
        state, turn = result["state"], turn + 1
        records += slices.epoch_records(result["records"])
    return records, state


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("sizes", [(1,), (4,), (2, 5, 1)], ids=["1", "4", "2-5-1"])
def test_slices_give_the_records_of_one_go(moons, case, sizes):
    cfgs = CASES[case]
    records, state = in_slices(moons, cfgs, sizes)
    same_records(records, in_one_go(moons, cfgs))
    assert slices.epoch_of(state) == max(r.epoch for r in records)


def test_regression_in_slices(sine):
    cfgs = [config(activation=a, optimizer="sgd", momentum=0.5) for a in ("relu", "softplus")]
    same_records(in_slices(sine, cfgs, (3,))[0], in_one_go(sine, cfgs))


def test_advance_changes_nothing_it_is_given(moons):
    data, plain = slices.training_data(moons), slices.plain_configs(CASES["adam, cosine"])
    state = slices.advance(data, plain, None, 2)[0]
    kept = pickle.dumps((data, plain, state))
    again = slices.advance(data, plain, state, 3)
    assert pickle.dumps((data, plain, state)) == kept
    same_records(slices.epoch_records(slices.advance(data, plain, state, 3)[1]), slices.epoch_records(again[1]))


def test_state_is_plain_data_a_process_without_core_can_unpickle(moons, tmp_path):
    """A Dask scheduler unpickles the tasks it schedules and may have no ``core``: a slice's arguments and result
    must be plain data."""
    data, plain = slices.training_data(moons), slices.plain_configs(CASES["momentum, nesterov, l2"])
    result = slices.train_slice(data, plain, None, 2)
    payload = pickle.dumps((data, plain, result))
    script = ("import sys, pickle, importlib.util; data, configs, result = pickle.loads(sys.stdin.buffer.read()); "
              "assert importlib.util.find_spec('core') is None and not any(m.startswith('core') for m in sys.modules)"
              "; print(len(result['records']), result['state']['stacks'][0]['epoch'], configs[0]['activation'])")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", script], input=payload, cwd=tmp_path, env=env, capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert done.stdout.decode().split() == ["6", "2", "relu"]  # 2 runs x epochs 0, 1, 2


def test_model_from_a_state_is_the_trainers_model(moons):
    cfgs = CASES["maxout and two stacks"] + CASES["sgd"] + CASES["features, l1, per layer"]
    trainer = train_many(moons, cfgs)
    for _ in range(4):
        next(trainer)
    state = trainer.state()
    for run in range(len(cfgs)):
        ours, theirs = slices.model(state, cfgs, moons.task, run), trainer.model(run)
        assert ours.activations == theirs.activations and ours.dtype == theirs.dtype
        assert ours.features == theirs.features
        np.testing.assert_array_equal(ours.forward(moons.X_test), theirs.forward(moons.X_test))
        ours.weights[0][...] = 0  # a copy: the state is untouched
        np.testing.assert_array_equal(slices.model(state, cfgs, moons.task, run).forward(moons.X_test),
                                      theirs.forward(moons.X_test))


def test_a_run_whose_data_a_worker_lacks_asks_for_it(moons):
    data, plain = slices.training_data(moons), slices.plain_configs(CASES["sgd"])
    digest = slices.data_digest(data)
    slices._datasets.clear()
    assert slices.run_slice(digest, None, plain, None, 1) == {"missing": digest}
    first = slices.run_slice(digest, data, plain, None, 1)
    again = slices.run_slice(digest, None, plain, None, 1)  # now kept
    same_records(slices.epoch_records(again["records"]), slices.epoch_records(first["records"]))
    assert slices.data_digest(slices.training_data(load_dataset("moons", n_samples=120, seed=0))) == digest
    assert slices.data_digest(slices.training_data(load_dataset("moons", n_samples=120, seed=1))) != digest


# -- train more ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("schedule", ["constant", "step"])
def test_e_epochs_then_n_more_are_the_records_of_e_plus_n(moons, schedule):
    cfgs = [config(activation=a, seed=s, optimizer="sgd", momentum=0.9, schedule=schedule, step_size=3, epochs=7)
            for a in ("relu", "tanh") for s in (0, 1)]
    longer = [cfg.replace(epochs=12) for cfg in cfgs]
    trainer = train_many(moons, cfgs)
    records = [record for records in trainer for record in records]
    assert trainer.done
    trainer.extend(5)
    assert not trainer.done and trainer.planned == 12
    records += [record for records in trainer for record in records]
    same_records(records, in_one_go(moons, longer))
    # The same through the plain state, in slices of 2, as a LiveRun trains it.
    data, plain = slices.training_data(moons), slices.plain_configs(cfgs)
    state, rows, *_ = slices.advance(data, plain, None, 7)
    state = slices.extend(state, 5)
    rows += slices.advance(data, plain, state, 2)[1]
    state = slices.advance(data, plain, state, 2)[0]
    rows += slices.advance(data, plain, state, 2)[1]  # epochs 10-11
    state = slices.advance(data, plain, state, 2)[0]
    rows += slices.advance(data, plain, state, 9)[1]  # epoch 12, then done
    same_records(slices.epoch_records(rows), in_one_go(moons, longer))


def test_more_epochs_of_a_cosine_schedule_are_a_new_cycle(moons):
    """Cosine anneals over its planned length, so more epochs start a new cycle over them (a warm restart)."""
    cfgs = [config(activation="relu", optimizer="adam", learning_rate=0.02, schedule="cosine", epochs=8, seed=s)
            for s in (0, 1)]
    trainer = train_many(moons, cfgs)
    first = [record for records in trainer for record in records]
    trainer.extend(4)
    trainer.extend(3)
    more = [record for records in trainer for record in records]
    same_records(first, in_one_go(moons, cfgs))  # the first 8 epochs as planned
    rates = {r.epoch: r.learning_rate for r in first + more if r.run == 0}
    expected = {e: scheduled_learning_rate(0.02, e, 8, "cosine") for e in range(1, 9)}
    expected |= {8 + k: scheduled_learning_rate(0.02, k, 4, "cosine") for k in range(1, 5)}
    expected |= {12 + k: scheduled_learning_rate(0.02, k, 3, "cosine") for k in range(1, 4)}
    assert {e: rates[e] for e in range(1, 16)} == expected
    assert rates[9] == 0.02 and rates[13] == 0.02  # each cycle starts from the base rate
    # Extending in slices, through the plain state, gives the same records.
    data, plain = slices.training_data(moons), slices.plain_configs(cfgs)
    state, rows, *_ = slices.advance(data, plain, None, 8)
    state = slices.extend(slices.extend(state, 4), 3)
    for size in (3, 1, 5, 9):
        state, new, *_ = slices.advance(data, plain, state, size)
        rows += new
    same_records(slices.epoch_records(rows), first + more)


def test_phased_learning_rate_with_one_phase_is_the_schedule():
    for schedule in ("constant", "step", "cosine"):
        for epoch in range(1, 31):
            assert phased_learning_rate(0.3, epoch, (30,), schedule, 7, 0.5) == scheduled_learning_rate(
                0.3, epoch, 30, schedule, 7, 0.5)
    assert phased_learning_rate(0.3, 31, (30, 10), "step", 7, 0.5) == scheduled_learning_rate(0.3, 31, 40, "step", 7,
                                                                                               0.5)


def test_more_epochs_are_checked(moons):
    trainer = train_many(moons, [config(epochs=MAX_EPOCHS - 3)])
    for bad in (0, -1, 2.5, "3"):
        with pytest.raises(ValueError, match="whole number of epochs"):
            trainer.extend(bad)
    with pytest.raises(ValueError, match="at most 3 more"):
        trainer.extend(4)
    trainer.extend(3)
    assert trainer.planned == MAX_EPOCHS
    state = MultiTrainer(moons, [config(epochs=MAX_EPOCHS)]).state()
    with pytest.raises(ValueError, match="at most 0 more"):
        slices.extend(state, 1)


def test_a_run_that_diverged_stays_stopped_when_extended(moons):
    cfgs = CASES["diverging"]
    trainer = train_many(moons, cfgs)
    records = [record for records in trainer for record in records]
    stopped = {r.run for r in records if r.diverged}
    assert stopped and len(stopped) < len(cfgs)
    trainer.extend(3)
    more = [record for records in trainer for record in records]
    assert more and not {r.run for r in more} & stopped
