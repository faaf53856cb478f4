"""core.lab.summary recomputed by hand from the records: one row per activation over its seeds."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from core.engine.data import load_dataset
from core.engine.training import EpochRecord, TrainConfig, train_many
from core.io.history import records_to_frame
from core.lab.convergence import Target
from core.lab.summary import column_help, epochs_column, summary, target_of

HIDDEN = (6, 5)
EPOCHS = 6


def flat(ds, configs) -> list[EpochRecord]:
    return [rec for records in train_many(ds, configs) for rec in records]


@pytest.fixture(scope="module")
def records():
    moons = load_dataset("moons", n_samples=120, noise=0.2, seed=0)
    return flat(moons, [TrainConfig(activation=a, hidden_layers=HIDDEN, epochs=EPOCHS, batch_size=16,
                                    learning_rate=0.2, seed=s) for a in ("relu", "tanh") for s in (0, 1, 2)])


def record(run, epoch, *, activation="relu", seed=0, diverged=False, train_loss=0.5, test_loss=0.6,
           train_accuracy=0.8, test_accuracy=0.75, epoch_seconds=0.01) -> EpochRecord:
    return EpochRecord(run=run, label=activation.upper(), activation=activation, seed=seed, epoch=epoch,
                       train_loss=train_loss, test_loss=test_loss, train_accuracy=train_accuracy,
                       test_accuracy=test_accuracy, grad_norms=(1.0, 2.0), sparsity=(0.5, 0.25),
                       dead_fraction=(0.0, 0.125), mean_activation=(0.3, 0.2), learning_rate=0.1,
                       epoch_seconds=epoch_seconds, diverged=diverged)


def trapezoid_mean(values: list[float]) -> float:
    return sum((a + b) / 2 for a, b in zip(values, values[1:], strict=False)) / (len(values) - 1)


def test_summary_matches_a_manual_computation(records):
    table = summary(records_to_frame(records))
    target = target_of(table)
    table = table.set_index("activation")
    assert list(table.index) == ["relu", "tanh"] and list(table["label"]) == ["ReLU", "Tanh"]
    # the target, by hand: the most demanding rung of the error ladder that half of the six runs reach
    best = {r.run: min(1 - x.train_accuracy for x in records if x.run == r.run) for r in records}
    rungs = [t for t in (0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0.02, 0.01)
             if 2 * sum(b <= t for b in best.values()) >= len(best)]
    assert target == Target("train error", rungs[-1])
    for key in ("relu", "tanh"):
        runs = sorted({r.run for r in records if r.activation == key})
        finals, reached, seconds_to, mean_loss, sparsity, dead, seconds = [], [], [], [], [], [], []
        for run in runs:
            history = sorted((r for r in records if r.run == run), key=lambda r: r.epoch)
            last = history[-1]
            finals.append(last.test_accuracy)
            hit = next((r.epoch for r in history if 1 - r.train_accuracy <= target.value), None)
            if hit is not None:
                reached.append(hit)
                seconds_to.append(sum(r.epoch_seconds for r in history if 0 < r.epoch <= hit))
            mean_loss.append(trapezoid_mean([r.train_loss for r in history]))
            sparsity.append(sum(last.sparsity) / len(last.sparsity))
            dead.append(sum(last.dead_fraction) / len(last.dead_fraction))
            seconds += [r.epoch_seconds for r in history if r.epoch > 0]
        row = table.loc[key]
        assert row["seeds"] == 3
        assert row["test accuracy"] == pytest.approx(statistics.mean(finals), rel=1e-12)
        assert row["± sd"] == pytest.approx(statistics.stdev(finals), rel=1e-9, abs=1e-15)
        assert row["runs reaching it"] == len(reached)
        if reached:
            assert row[epochs_column(target)] == pytest.approx(statistics.mean(reached))
            assert row["seconds to reach it"] == pytest.approx(statistics.mean(seconds_to), rel=1e-9)
        else:
            assert math.isnan(row[epochs_column(target)])
        assert row["mean train loss"] == pytest.approx(statistics.mean(mean_loss), rel=1e-12)
        assert row["sparsity"] == pytest.approx(statistics.mean(sparsity), rel=1e-12)
        assert row["dead units"] == pytest.approx(statistics.mean(dead), rel=1e-12, abs=1e-15)
        # Every run has the same number of trained epochs, so the mean of run means is the plain mean.
        assert row["ms / epoch"] == pytest.approx(1000 * statistics.mean(seconds), rel=1e-9)
        assert row["diverged runs"] == 0 and row["unstable runs"] == 0


def test_one_seed_has_no_spread_column_and_a_target_nobody_reaches_is_nan_not_zero():
    recs = [record(0, e, train_accuracy=a, test_accuracy=a, epoch_seconds=s)
            for e, (a, s) in enumerate([(0.2, 0.0), (0.3, 0.002), (0.45, 0.004)])]
    table = summary(records_to_frame(recs))
    row = table.iloc[0]
    assert "± sd" not in table.columns  # no "± NaN" with one seed
    assert row["seeds"] == 1 and row["test accuracy"] == 0.45
    assert target_of(table) == Target("train error", 0.5)  # error 0.55 at best: not even the first rung
    assert math.isnan(row["epochs to train error ≤ 50%"]) and row["runs reaching it"] == 0
    assert row["ms / epoch"] == pytest.approx(3.0)  # epoch 0 (the init measurement) is left out


def test_diverged_and_unstable_runs_are_counted_apart():
    recs = [record(0, 0, seed=0), record(0, 1, seed=0),
            record(1, 0, seed=1), record(1, 1, seed=1, diverged=True, train_loss=math.nan, test_loss=math.nan),
            record(2, 0, activation="tanh", train_loss=0.5), record(2, 1, activation="tanh", train_loss=60.0),
            record(3, 0, activation="tanh", seed=1, diverged=True, test_loss=math.inf)]
    table = summary(records_to_frame(recs)).set_index("activation")
    assert table.loc["relu", "diverged runs"] == 1 and table.loc["relu", "unstable runs"] == 0
    assert table.loc["tanh", "diverged runs"] == 1 and table.loc["tanh", "unstable runs"] == 1
    assert table.loc["relu", "test accuracy"] == pytest.approx(0.75)


def test_regression_has_r2_and_rmse_in_the_targets_units_with_its_dataset_and_the_loss_without():
    sine = load_dataset("sine", n_samples=80, noise=0.1, seed=0)
    records = flat(sine, [TrainConfig(activation="tanh", hidden_layers=(4,), epochs=2, learning_rate=0.05, seed=s)
                          for s in (0, 1)])
    table = summary(records_to_frame(records), sine)
    assert "test accuracy" not in table.columns and "test loss" not in table.columns
    losses = [r.test_loss for r in records if r.epoch == 2]
    variance = float(np.var(sine.y_test))
    assert table.loc[0, "test R²"] == pytest.approx(statistics.mean(1 - 2 * x / variance for x in losses))
    assert table.loc[0, "test RMSE"] == pytest.approx(
        statistics.mean(math.sqrt(2 * x) * sine.target_scale for x in losses))
    assert target_of(table).metric == "train R²"
    without = summary(records_to_frame(records))
    assert without.loc[0, "test loss"] == pytest.approx(statistics.mean(losses), rel=1e-12)


def test_every_column_has_a_one_line_definition(records):
    table = summary(records_to_frame(records))
    definitions = column_help(table)
    assert set(definitions) == set(table.columns)
    assert target_of(table).text in definitions[epochs_column(target_of(table))]
