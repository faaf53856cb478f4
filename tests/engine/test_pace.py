"""Time estimates (core.engine.pace): arithmetic with an injected rate, and the calibration's arithmetic on a real
training run with an injected clock. No assertion depends on how fast this machine is."""

import itertools

import pytest

from core.engine.data import load_dataset
from core.engine.pace import (
    CALIBRATION_ACTIVATIONS,
    CALIBRATION_DATA,
    CALIBRATION_HIDDEN,
    SHOW_ABOVE_SECONDS,
    calibrate,
    engine_rate,
    remaining_seconds,
    seconds_for,
    training_seconds,
    worth_showing,
)
from core.engine.training import TrainConfig, training_work

RATE = 1e10  # an injected rate: work per second


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", n_samples=300)


def configs(epochs=50, width=16, activations=("relu", "tanh")):
    return [TrainConfig(activation=a, hidden_layers=(width, width), epochs=epochs) for a in activations]


def test_seconds_are_work_over_rate():
    assert seconds_for(3e10, RATE) == 3.0
    assert seconds_for(0, RATE) == 0.0
    with pytest.raises(ValueError, match="positive"):
        seconds_for(1e9, 0.0)
    with pytest.raises(ValueError, match="negative"):
        seconds_for(-1.0, RATE)


def test_training_seconds_grow_with_the_work(moons):
    base = training_seconds(moons, configs(), RATE)
    assert base == training_work(moons, configs()) / RATE
    assert training_seconds(moons, configs(epochs=100), RATE) > base
    assert training_seconds(moons, configs(width=64), RATE) > base
    assert training_seconds(moons, configs(activations=("relu", "tanh", "sigmoid")), RATE) > base
    assert training_seconds(moons, configs(), RATE / 2) == pytest.approx(2 * base)
    one_more = training_seconds(moons, configs(), RATE, epochs=1, at_init=False)
    assert 0 < one_more < base


def test_remaining_time_follows_the_pace_so_far():
    assert remaining_seconds(left=30, done=10, elapsed=2.0) == pytest.approx(6.0)
    assert remaining_seconds(left=0, done=10, elapsed=2.0) == 0.0
    assert remaining_seconds(left=30, done=0, elapsed=0.0) is None  # no pace yet
    with pytest.raises(ValueError):
        remaining_seconds(left=-1, done=1, elapsed=1.0)


def test_only_long_runs_are_worth_an_estimate():
    assert not worth_showing(None)
    assert not worth_showing(SHOW_ABOVE_SECONDS)
    assert worth_showing(SHOW_ABOVE_SECONDS + 0.1)


def test_calibration_divides_the_work_of_the_epochs_it_trained_by_their_time():
    ticks = itertools.count(step=0.05)  # a clock that advances 0.05 s per reading: 4 epochs reach 0.2 s
    rate = calibrate("float32", clock=lambda: next(ticks), min_seconds=0.2)
    ds = load_dataset(**CALIBRATION_DATA)
    trained = [TrainConfig(activation=a, hidden_layers=CALIBRATION_HIDDEN, epochs=400, batch_size=32,
                           learning_rate=0.05) for a in CALIBRATION_ACTIVATIONS]
    assert rate == pytest.approx(training_work(ds, trained, epochs=4, at_init=False) / 0.2)


def test_calibration_refuses_a_stopped_clock():
    with pytest.raises(ValueError, match="clock"):
        calibrate("float32", clock=lambda: 0.0, min_seconds=0.0)


def test_the_engine_rate_is_measured_once_per_process_and_precision():
    engine_rate.cache_clear()
    first = engine_rate("float32")
    assert first > 0 and engine_rate("float32") == first
    assert engine_rate.cache_info().misses == 1
