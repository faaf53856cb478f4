"""LiveRun: an experiment trained step by step gives the same history and models as train_many."""

from __future__ import annotations

import threading
import time
from functools import partial

import numpy as np
import pandas as pd
import pytest

from core.engine import slices
from core.engine.live import LiveRun
from core.engine.training import train_many
from core.io.history import bands, records_to_frame
from core.settings import Experiment

EXPERIMENT = Experiment(epochs=5, n_samples=100, activations=("relu", "tanh"), seeds=2, hidden_layers=(8, 8))
RUNS = 4  # 2 activations x 2 seeds
ROWS_PER_RECORD = 4 + 1 + 1 + 3 + 3 * 2  # scalars, lr, seconds, grad norms, 3 stats x 2 hidden layers


@pytest.fixture(scope="module")
def dataset():
    return EXPERIMENT.load_data()


@pytest.fixture(scope="module")
def direct(dataset):
    """The same experiment trained directly: the records of every epoch and the trainer at the end."""
    trainer = train_many(dataset, EXPERIMENT.configs())
    records = [rec for recs in trainer for rec in recs]
    return records, trainer


def without_seconds(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(value=frame["value"].where(frame["metric"] != "epoch_seconds", 0.0))


def test_starts_at_epoch_zero_with_one_record_per_run(dataset):
    live = LiveRun(EXPERIMENT, dataset=dataset)
    assert live.dataset is dataset
    assert live.epoch == 0
    assert not live.done
    assert live.epochs == 5
    assert live.configs == EXPERIMENT.configs()
    history = live.history()
    assert set(history["epoch"]) == {0}
    assert sorted(history["run"].unique()) == list(range(RUNS))
    assert len(history) == RUNS * ROWS_PER_RECORD
    assert history.groupby("run").size().tolist() == [ROWS_PER_RECORD] * RUNS


def test_loads_its_own_data_when_none_is_given(dataset):
    live = LiveRun(EXPERIMENT)
    np.testing.assert_array_equal(live.dataset.X_train, dataset.X_train)
    np.testing.assert_array_equal(live.dataset.y_test, dataset.y_test)


def test_step_advances_exactly_one_epoch(dataset):
    live = LiveRun(EXPERIMENT, dataset=dataset)
    before = len(live.history())
    assert live.step() == 1
    assert live.epoch == 1
    history = live.history()
    assert sorted(history["epoch"].unique()) == [0, 1]
    assert len(history) == before + RUNS * ROWS_PER_RECORD


def test_advance_by_epochs_and_by_time(dataset):
    live = LiveRun(EXPERIMENT, dataset=dataset)
    assert live.advance(max_epochs=3) == 3
    assert live.epoch == 3
    assert sorted(live.history()["epoch"].unique()) == [0, 1, 2, 3]
    gained = live.advance(seconds=0)  # a zero budget still trains one epoch
    assert gained >= 1
    assert live.epoch == 3 + gained


def test_runs_to_done_then_stops(dataset):
    live = LiveRun(EXPERIMENT, dataset=dataset)
    # A generous time budget stops at the last epoch rather than running on.
    assert live.advance(seconds=60) == 5
    assert live.done
    assert live.epoch == 5
    rows = len(live.history())
    assert rows == RUNS * ROWS_PER_RECORD * 6
    assert live.advance(seconds=1) == 0
    assert live.advance(max_epochs=3) == 0
    assert live.step() == 0
    assert len(live.history()) == rows


def test_history_equals_records_to_frame_of_train_many(dataset, direct):
    records, _ = direct
    live = LiveRun(EXPERIMENT, dataset=dataset)
    live.step()
    live.advance(max_epochs=2)
    partial = live.history()
    expected_partial = records_to_frame([r for r in records if r.epoch <= 3])
    pd.testing.assert_frame_equal(without_seconds(partial), without_seconds(expected_partial), check_exact=True)
    while not live.done:
        live.advance(seconds=0)
    history = live.history()
    expected = records_to_frame(records)
    pd.testing.assert_frame_equal(without_seconds(history), without_seconds(expected), check_exact=True)
    # The wall-time rows are there for every record, with a time for every trained epoch.
    seconds = history[history["metric"] == "epoch_seconds"]
    assert len(seconds) == RUNS * 6
    assert (seconds.loc[seconds["epoch"] == 0, "value"] == 0).all()
    assert (seconds.loc[seconds["epoch"] > 0, "value"] > 0).all()


def test_bands_kept_epoch_by_epoch_equal_the_bands_of_the_whole_history(dataset):
    live = LiveRun(EXPERIMENT, dataset=dataset)
    seen = [live.bands()]  # epoch 0 alone
    live.advance(max_epochs=2)
    seen.append(live.bands())
    live.advance(max_epochs=3)
    for so_far, epochs in zip([*seen, live.bands()], (1, 3, 6), strict=True):
        assert so_far["epoch"].nunique() == epochs
    pd.testing.assert_frame_equal(live.bands(), bands(live.history()), check_exact=True)
    assert (live.bands()["seeds"] == 2).all()  # each row aggregates both seeds of its activation


def test_bands_of_a_diverging_run_stop_with_it(dataset):
    """A run that diverged yields no more records: later epochs aggregate the seeds still training."""
    wild = Experiment(epochs=6, n_samples=100, activations=("relu", "linear"), seeds=2, hidden_layers=(8,) * 4,
                      learning_rate=100.0)
    live = LiveRun(wild, dataset=dataset)
    live.advance(seconds=60)
    pd.testing.assert_frame_equal(live.bands(), bands(live.history()), check_exact=True)
    linear = live.bands()[live.bands()["activation"] == "linear"]
    assert linear["epoch"].max() < 6 <= live.bands()["epoch"].max()  # ReLU trains on after linear diverged


def test_compute_seconds_accumulate(dataset):
    live = LiveRun(EXPERIMENT, dataset=dataset)
    first = live.compute_seconds
    assert first > 0
    live.step()
    assert live.compute_seconds > first


def test_models_predict_like_the_directly_trained_ones(dataset, direct):
    _, trainer = direct
    live = LiveRun(EXPERIMENT, dataset=dataset)
    live.advance(seconds=60)
    for run in range(RUNS):
        ours, theirs = live.model(run), trainer.model(run)
        np.testing.assert_array_equal(ours.forward(dataset.X_test), theirs.forward(dataset.X_test))
        np.testing.assert_array_equal(ours.predict(dataset.X_train), theirs.predict(dataset.X_train))
        assert ours.activations == [EXPERIMENT.configs()[run].hidden_activations[0]] * 2


def test_model_is_a_snapshot_taken_between_epochs(dataset):
    live = LiveRun(EXPERIMENT, dataset=dataset)
    model = live.model(0)
    before = model.forward(dataset.X_test).copy()
    live.step()
    np.testing.assert_array_equal(model.forward(dataset.X_test), before)  # the copy stays as it was
    assert not np.array_equal(live.model(0).forward(dataset.X_test), before)  # a new one has trained on


def test_play_in_the_background_gives_the_same_history_and_models(dataset, direct):
    records, trainer = direct
    live = LiveRun(EXPERIMENT, dataset=dataset)
    live.play()
    deadline = time.monotonic() + 60
    while not live.done and time.monotonic() < deadline:
        live.history()  # readers while it trains must neither block it nor see half an epoch
        time.sleep(0.001)
    assert live.done and live.epoch == 5
    live.pause()
    assert not live.playing and live.error is None
    pd.testing.assert_frame_equal(without_seconds(live.history()), without_seconds(records_to_frame(records)),
                                  check_exact=True)
    seconds = live.bands()["metric"] == "epoch_seconds"
    pd.testing.assert_frame_equal(live.bands()[~seconds], bands(records_to_frame(records))[~seconds],
                                  check_exact=True)
    for run in range(RUNS):
        np.testing.assert_array_equal(live.model(run).forward(dataset.X_test),
                                      trainer.model(run).forward(dataset.X_test))


def test_pace_counts_only_the_epochs_trained_while_playing(dataset):
    live = LiveRun(EXPERIMENT, dataset=dataset)
    live.step()  # a Step in the caller's thread: not the pace of play
    assert live.pace() == (0, 0.0)
    live.play()
    deadline = time.monotonic() + 60
    while not live.done and time.monotonic() < deadline:
        live.wait(0.05)
    live.pause()
    epochs, seconds = live.pace()
    assert live.done and epochs == 4 and seconds > 0


def test_pause_stops_the_thread_and_play_resumes_where_it_stopped(dataset, direct):
    records, _ = direct
    long = Experiment(epochs=400, n_samples=100, activations=("relu", "tanh"), seeds=2, hidden_layers=(8, 8))
    live = LiveRun(long, dataset=dataset)
    live.play()
    time.sleep(0.05)
    live.pause()
    assert not live.playing
    paused_at = live.epoch
    assert 0 < paused_at < 400
    time.sleep(0.05)
    assert live.epoch == paused_at  # nothing trains while paused
    assert sorted(live.history()["epoch"].unique()) == list(range(paused_at + 1))
    live.play()
    deadline = time.monotonic() + 60
    while not live.done and time.monotonic() < deadline:
        time.sleep(0.01)
    assert live.done and live.epoch == 400
    assert sorted(live.history()["epoch"].unique()) == list(range(401))  # no epoch lost or repeated


@pytest.mark.timeout(60)
def test_wait_returns_when_the_background_training_stops(dataset):
    live = LiveRun(EXPERIMENT, dataset=dataset)
    live.play()
    live.wait(3600)  # an hour, unless the run ends first: a page waiting between redraws draws the end at once
    assert live.done and live.epoch == 5 and not live.playing
    long = LiveRun(Experiment(epochs=5000, n_samples=100, activations=("relu",), hidden_layers=(8,)), dataset=dataset)
    long.play()
    pausing = threading.Timer(0.05, long.pause)
    pausing.start()
    long.wait(3600)  # ... or is paused
    pausing.join()
    assert not long.done and not long.playing
    long.wait(0.01)  # nothing trains: a plain short sleep


def test_the_thread_stops_when_its_lease_runs_out(dataset):
    long = Experiment(epochs=5000, n_samples=100, activations=("relu",), hidden_layers=(8,))
    live = LiveRun(long, dataset=dataset)
    live.play(lease=0.1)
    time.sleep(0.5)
    assert not live.playing  # nobody renewed it: it stopped on its own
    stopped_at = live.epoch
    assert 0 < stopped_at < 5000
    time.sleep(0.1)
    assert live.epoch == stopped_at


def test_step_while_playing_pauses_first(dataset):
    long = Experiment(epochs=5000, n_samples=100, activations=("relu",), hidden_layers=(8,))
    live = LiveRun(long, dataset=dataset)
    live.play()
    time.sleep(0.02)
    assert live.playing
    before = live.epoch
    assert live.step() == 1
    assert not live.playing
    assert live.epoch >= before + 1
    after = live.epoch
    time.sleep(0.05)
    assert live.epoch == after


@pytest.mark.timeout(60)
def test_a_failure_in_the_background_is_reported_not_lost(dataset, monkeypatch):
    live = LiveRun(EXPERIMENT, dataset=dataset)

    def broken(*args):
        raise MemoryError("no room for the next epoch")

    monkeypatch.setattr(slices, "advance", broken)  # what every slice runs, wherever it runs
    live.play()
    live.wait(3600)  # returns once the training stopped
    assert not live.playing
    assert live.error == "MemoryError: no room for the next epoch"


def test_runs_lists_each_config(dataset):
    runs = LiveRun(EXPERIMENT, dataset=dataset).runs()
    assert runs.to_dict("records") == [
        {"run": 0, "activation": "relu", "label": "ReLU", "seed": 0},
        {"run": 1, "activation": "relu", "label": "ReLU", "seed": 1},
        {"run": 2, "activation": "tanh", "label": "Tanh", "seed": 0},
        {"run": 3, "activation": "tanh", "label": "Tanh", "seed": 1},
    ]


def watch_predictions(X, trainer, records):
    """An observer (module level: it pickles by reference, as one sent to a worker must)."""
    return [([r.epoch for r in records], trainer.model(0).predict(X))]


class Watching(LiveRun):
    def observer(self):
        return partial(watch_predictions, self.dataset.X_test)


def test_an_observer_sees_every_epochs_records_with_the_trainer_at_that_epoch(dataset, direct):
    live = Watching(EXPERIMENT, dataset=dataset)
    live.step()  # a Step and play both observe
    live.play()
    while not live.done:
        live.wait(0.05)
    live.pause()
    seen = live.observed()
    assert [epochs for epochs, _ in seen] == [[epoch] * RUNS for epoch in range(EXPERIMENT.epochs + 1)]
    np.testing.assert_array_equal(seen[-1][1], direct[1].model(0).predict(dataset.X_test))
    with live.frozen():  # a reader sees the rows of the epochs it sees, no more
        assert len(live.observed()) == live.epoch + 1


def test_a_per_layer_network_is_keyed_by_its_activation_key_everywhere(dataset):
    live = LiveRun(EXPERIMENT.replace(activations=("relu", "tanh>relu")), dataset=dataset)
    live.step()
    assert list(live.runs()["activation"]) == ["relu", "relu", "tanh>relu", "tanh>relu"]
    assert set(live.history()["activation"]) == {"relu", "tanh>relu"}
    assert set(live.history()["label"]) == {"ReLU", "Tanh → ReLU"}
    assert live.model(2).activations == ["tanh", "relu"]
