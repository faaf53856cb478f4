"""core.io.history held against the records it came from: the long frame, bands over seeds, thinning, divergences."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.engine.data import load_dataset
from core.engine.training import EpochRecord, TrainConfig, train_many
from core.io.history import bands, divergences, records_to_frame, thin

HIDDEN = (6, 5)
EPOCHS = 6
COLUMNS = ("epoch", "run", "activation", "label", "seed", "layer", "metric", "value", "diverged")


def flat(ds, configs) -> list[EpochRecord]:
    return [rec for records in train_many(ds, configs) for rec in records]


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", n_samples=120, noise=0.2, seed=0)


@pytest.fixture(scope="module")
def configs():
    return [TrainConfig(activation=a, hidden_layers=HIDDEN, epochs=EPOCHS, batch_size=16, learning_rate=0.2, seed=s)
            for a in ("relu", "tanh") for s in (0, 1, 2)]


@pytest.fixture(scope="module")
def records(moons, configs):
    return flat(moons, configs)


@pytest.fixture(scope="module")
def frame(records):
    return records_to_frame(records)


def expected_values(rec: EpochRecord) -> dict[tuple[str, int], float]:
    """Every (metric, layer) -> value the tidy frame should hold for one record."""
    values = {("train_loss", 0): rec.train_loss, ("test_loss", 0): rec.test_loss,
              ("learning_rate", 0): rec.learning_rate, ("epoch_seconds", 0): rec.epoch_seconds}
    if rec.train_accuracy is not None:
        values[("train_accuracy", 0)] = rec.train_accuracy
        values[("test_accuracy", 0)] = rec.test_accuracy
    for metric, per_layer in (("grad_norm", rec.grad_norms), ("sparsity", rec.sparsity),
                              ("dead_fraction", rec.dead_fraction), ("mean_activation", rec.mean_activation)):
        for i, value in enumerate(per_layer):
            values[(metric, i + 1)] = value
    return values


def record(run, epoch, *, label="ReLU", seed=0, diverged=False, train_loss=0.5, test_loss=0.6, train_accuracy=0.8,
           test_accuracy=0.75, grad_norms=(1.0, 2.0, 3.0), sparsity=(0.5, 0.25), dead_fraction=(0.0, 0.125),
           mean_activation=(0.3, 0.2), epoch_seconds=0.01) -> EpochRecord:
    return EpochRecord(run=run, label=label, activation=label.lower(), seed=seed, epoch=epoch, train_loss=train_loss,
                       test_loss=test_loss, train_accuracy=train_accuracy, test_accuracy=test_accuracy,
                       grad_norms=grad_norms, sparsity=sparsity, dead_fraction=dead_fraction,
                       mean_activation=mean_activation, learning_rate=0.1, epoch_seconds=epoch_seconds,
                       diverged=diverged)


# --- records_to_frame ----------------------------------------------------------------------------------


def test_columns_are_the_long_format(frame):
    assert tuple(frame.columns) == COLUMNS


def test_row_count_per_classification_record(records, frame):
    n_hidden = len(HIDDEN)
    per_record = 4 + 1 + 1 + (n_hidden + 1) + 3 * n_hidden  # losses+accuracies, lr, seconds, grads, layer stats
    assert len(records) == 6 * (EPOCHS + 1)
    assert len(frame) == len(records) * per_record == len(records) * 15


def test_values_equal_the_record_fields(records, frame):
    for rec in records:
        rows = frame[(frame["run"] == rec.run) & (frame["epoch"] == rec.epoch)]
        assert set(rows["activation"]) == {rec.activation} and set(rows["label"]) == {rec.label}
        assert set(rows["seed"]) == {rec.seed}
        assert not rows["diverged"].any()
        got = {(m, int(layer)): v for m, layer, v in zip(rows["metric"], rows["layer"], rows["value"], strict=True)}
        assert len(got) == len(rows)
        want = expected_values(rec)
        assert got.keys() == want.keys()
        for key, value in want.items():
            assert got[key] == value, key


def test_frame_labels_and_seeds_follow_the_configs(configs, frame):
    runs = frame.groupby("run").agg(activation=("activation", "first"), seed=("seed", "first"))
    assert list(runs["activation"]) == ["relu"] * 3 + ["tanh"] * 3
    assert list(frame.groupby("run")["label"].first()) == ["ReLU"] * 3 + ["Tanh"] * 3
    assert list(runs["seed"]) == [cfg.seed for cfg in configs]
    assert sorted(frame["epoch"].unique()) == list(range(EPOCHS + 1))


def test_regression_records_have_no_accuracy_rows():
    sine = load_dataset("sine", n_samples=80, noise=0.1, seed=0)
    records = flat(sine, [TrainConfig(activation="tanh", hidden_layers=(4,), epochs=2, learning_rate=0.05)])
    frame = records_to_frame(records)
    assert not frame["metric"].isin(["train_accuracy", "test_accuracy"]).any()
    assert len(frame) == len(records) * (2 + 1 + 1 + 2 + 3 * 1)
    for rec in records:
        rows = frame[frame["epoch"] == rec.epoch]
        got = {(m, int(layer)): v for m, layer, v in zip(rows["metric"], rows["layer"], rows["value"], strict=True)}
        assert got == expected_values(rec)


def test_non_finite_values_become_nan_and_the_run_is_flagged():
    fine = record(0, 0)
    broken = record(0, 1, diverged=True, train_loss=math.nan, test_loss=math.inf, grad_norms=(-math.inf, 2.5, math.nan),
                    mean_activation=(math.inf, 0.1))
    frame = records_to_frame([fine, broken])
    assert frame["value"].dtype == np.float64
    assert not frame.loc[frame["epoch"] == 0, "diverged"].any()
    assert frame.loc[frame["epoch"] == 1, "diverged"].all()
    late = frame[frame["epoch"] == 1].set_index(["metric", "layer"])["value"]
    for key in [("train_loss", 0), ("test_loss", 0), ("grad_norm", 1), ("grad_norm", 3), ("mean_activation", 1)]:
        assert np.isnan(late[key]), key
    assert late[("grad_norm", 2)] == 2.5
    assert late[("mean_activation", 2)] == 0.1
    assert late[("train_accuracy", 0)] == 0.8
    assert not np.isinf(frame["value"]).any()
    assert frame.loc[frame["epoch"] == 0, "value"].notna().all()


def test_empty_history_has_the_columns():
    frame = records_to_frame([])
    assert tuple(frame.columns) == COLUMNS
    assert frame.empty


# --- thin ------------------------------------------------------------------------------------------------


def synthetic(n_epochs: int) -> pd.DataFrame:
    epochs = np.repeat(np.arange(n_epochs), 2)
    return pd.DataFrame({"epoch": epochs, "run": np.tile([0, 1], n_epochs), "value": epochs * 0.5})


@pytest.mark.parametrize(("n_epochs", "max_epochs"), [(501, 200), (101, 10), (7, 2), (1000, 3)])
def test_thin_keeps_first_last_and_at_most_n_evenly_spaced_epochs(n_epochs, max_epochs):
    frame = synthetic(n_epochs)
    thinned = thin(frame, max_epochs)
    kept = np.sort(thinned["epoch"].unique())
    assert kept[0] == 0 and kept[-1] == n_epochs - 1
    assert len(kept) <= max_epochs
    assert len(kept) >= max_epochs - 1  # rounding may merge at most a neighbour, never many
    gaps = np.diff(kept)
    assert gaps.max() - gaps.min() <= 1
    # Whole epochs are kept: both runs' rows, untouched.
    assert len(thinned) == 2 * len(kept)
    pd.testing.assert_frame_equal(thinned, frame[frame["epoch"].isin(kept)])


def test_thin_leaves_short_histories_alone(frame):
    assert thin(frame, EPOCHS + 1) is frame
    assert thin(synthetic(5), 200).equals(synthetic(5))


# --- bands ------------------------------------------------------------------------------------------------


def test_bands_are_mean_min_max_over_seeds(frame):
    metrics = ["test_accuracy", "grad_norm", "sparsity"]
    out = bands(frame, metrics)
    assert set(out.columns) == {"activation", "label", "metric", "layer", "epoch", "mean", "low", "high", "seeds"}
    assert set(out["metric"]) == set(metrics)
    # One row per (activation, metric, layer, epoch): 2 activations x 7 epochs x (1 + 3 + 2) layers.
    assert len(out) == 2 * (EPOCHS + 1) * (1 + len(HIDDEN) + 1 + len(HIDDEN))
    for row in out.itertuples():
        values = frame.loc[(frame["activation"] == row.activation) & (frame["metric"] == row.metric)
                           & (frame["layer"] == row.layer) & (frame["epoch"] == row.epoch), "value"].to_numpy()
        assert len(values) == 3 == row.seeds
        assert row.mean == pytest.approx(sum(values) / 3, rel=1e-12, abs=1e-15)
        assert row.low == min(values)
        assert row.high == max(values)


def test_bands_skip_a_diverged_seed_and_count_the_rest():
    recs = [record(0, 1, seed=0, train_loss=0.4), record(1, 1, seed=1, train_loss=0.8),
            record(2, 1, seed=2, train_loss=math.nan, diverged=True)]
    out = bands(records_to_frame(recs), ["train_loss"]).iloc[0]
    assert (out["mean"], out["low"], out["high"], out["seeds"]) == (pytest.approx(0.6), 0.4, 0.8, 2)


def test_bands_equal_a_pandas_groupby_on_shuffled_rows_with_gaps():
    """Against pandas' own groupby (an independent implementation): rows in any order, NaN seeds, a group whose
    every seed is NaN, negative and tied values; groups come in the order they first appear."""
    rng = np.random.default_rng(7)
    keys = [(a, m, layer, e) for a in ("relu", "tanh", "sigmoid") for m in ("train_loss", "grad_norm")
            for layer in (0, 1, 2) for e in range(4)]
    rows = [(*key, rng.choice([-1.5, 0.0, 2.0, rng.normal()])) for key in keys for _ in range(rng.integers(1, 5))]
    frame = pd.DataFrame(rows, columns=["activation", "metric", "layer", "epoch", "value"])
    frame = frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    frame.loc[rng.random(len(frame)) < 0.2, "value"] = np.nan
    frame.loc[(frame["activation"] == "tanh") & (frame["epoch"] == 2), "value"] = np.nan  # every seed gone
    ours = bands(frame)
    theirs = (frame.groupby(["activation", "metric", "layer", "epoch"], sort=False)["value"]
              .agg(mean="mean", low="min", high="max", seeds="count").reset_index())
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, rtol=1e-12)
    assert (ours["seeds"] == 0).any() and ours.loc[ours["seeds"] == 0, ["mean", "low", "high"]].isna().all().all()
    for metrics in (["grad_norm"], []):
        pd.testing.assert_frame_equal(bands(frame, metrics), bands(frame[frame["metric"].isin(metrics)]))
    assert list(bands(frame.iloc[:0]).columns) == ["activation", "metric", "layer", "epoch", "mean", "low", "high",
                                                   "seeds"]


# --- divergences ------------------------------------------------------------------------------------------


def test_divergences_give_the_first_diverged_epoch_per_run():
    recs = [record(0, e, label="ReLU", seed=0) for e in range(4)]
    recs += [record(1, 0, label="ReLU", seed=1), record(1, 1, label="ReLU", seed=1),
             record(1, 2, label="ReLU", seed=1, diverged=True, train_loss=math.nan)]
    recs += [record(2, 0, label="Tanh", seed=4), record(2, 1, label="Tanh", seed=4, diverged=True),
             record(2, 2, label="Tanh", seed=4, diverged=True)]
    out = divergences(records_to_frame(recs))
    assert list(out.columns) == ["run", "activation", "label", "seed", "epoch"]
    assert out.to_dict("records") == [{"run": 1, "activation": "relu", "label": "ReLU", "seed": 1, "epoch": 2},
                                      {"run": 2, "activation": "tanh", "label": "Tanh", "seed": 4, "epoch": 1}]


def test_no_divergence_gives_an_empty_frame(frame):
    assert divergences(frame).empty
