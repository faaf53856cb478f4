"""Speed of learning (core.lab.learning_speed): epochs to the fixed target recomputed from train()'s own records,
the best rate and the per-seed ratios by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.engine.training import TrainConfig, train, train_many
from core.io.history import records_to_frame
from core.lab.learning_speed import (
    DIGITS,
    MOONS,
    RUN_COLUMNS,
    SpeedSetup,
    best_rates,
    race,
    ratio_text,
    speed_ratios,
    speed_runs,
)

TINY = SpeedSetup("moons", (8,), target=0.15, epochs=12, rates=(0.3, 1.0), seeds=2, n_samples=120,
                  activations=("relu", "tanh"))

# ReLU's seeds reach the target by epoch 7, tanh's by epoch 4, sigmoid's never within 12
RACE = SpeedSetup("moons", (8,), target=0.12, epochs=12, rates=(1.0,), seeds=2, n_samples=120,
                  activations=("relu", "tanh", "sigmoid"))


def test_epochs_to_target_are_the_first_epoch_whose_training_error_reaches_it():
    ds = TINY.load_data()
    runs = speed_runs(TINY, ds)
    assert list(runs.columns) == RUN_COLUMNS and len(runs) == 2 * 2 * 2
    for row in runs.itertuples():
        cfg = TrainConfig(activation=row.activation, hidden_layers=(8,), epochs=12, learning_rate=row.learning_rate,
                          init="auto", seed=row.seed)
        errors = [(r.epoch, 1 - r.train_accuracy) for r in train(ds, cfg)]
        hits = [epoch for epoch, error in errors if error <= TINY.target]
        assert (row.epochs == hits[0]) if hits else np.isnan(row.epochs)
        trained = [error for epoch, error in errors if not hits or epoch <= hits[0]]  # at least until it got there
        assert min(trained) >= row.best_error >= min(error for _, error in errors) - 1e-12
        if hits:
            assert row.seconds > 0 or hits[0] == 0
        else:
            assert np.isnan(row.seconds)


def test_a_race_stops_each_activation_once_all_its_seeds_reached_the_target_and_records_what_train_many_does():
    ds = RACE.load_data()
    configs = [cfg for activation in RACE.activations for cfg in RACE.configs(activation, 1.0)]
    raced = records_to_frame(race(ds, configs, RACE.yardstick))
    full = records_to_frame(r for records in train_many(ds, configs) for r in records)
    last = raced.groupby("run")["epoch"].max()
    reached = {}
    for run in range(len(configs)):
        errors = 1 - full[(full["run"] == run) & (full["metric"] == "train_accuracy")].set_index("epoch")["value"]
        reached[run] = errors.index[errors <= RACE.target].min() if (errors <= RACE.target).any() else np.nan
    for activation in RACE.activations:
        runs = [i for i, cfg in enumerate(configs) if cfg.activation == activation]
        hits = [reached[i] for i in runs]
        expected = RACE.epochs if any(np.isnan(hits)) else int(max(hits))  # trained until every seed got there
        assert all(last[i] == expected for i in runs), (activation, hits, [last[i] for i in runs])
    assert last.min() < RACE.epochs == last.max()  # here ReLU and tanh stop early, sigmoid never gets there
    same = full.merge(raced[["run", "epoch"]].drop_duplicates(), on=["run", "epoch"])
    measured = ["run", "epoch", "metric", "layer", "value"]
    pd.testing.assert_frame_equal(without_seconds(same)[measured].reset_index(drop=True),
                                  without_seconds(raced)[measured].reset_index(drop=True))


def without_seconds(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[frame["metric"] != "epoch_seconds"]
    return frame.sort_values(["run", "epoch", "metric", "layer"]).reset_index(drop=True)


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["activation", "learning_rate", "seed", "epochs", "seconds"]).assign(
        best_error=0.0, diverged=False)


RUNS = frame([
    # ReLU: 0.1 reaches in 10 and 12 epochs, 1.0 in 4 and 6: best 1.0
    ("relu", 0.1, 0, 10, 1.0), ("relu", 0.1, 1, 12, 1.2), ("relu", 1.0, 0, 4, 0.4), ("relu", 1.0, 1, 6, 0.6),
    # tanh: 1.0 is faster where it reaches, but only once; 0.1 reaches twice: best 0.1
    ("tanh", 0.1, 0, 8, 1.6), ("tanh", 0.1, 1, 18, 3.6), ("tanh", 1.0, 0, 2, 0.4), ("tanh", 1.0, 1, np.nan, np.nan),
    # sigmoid never reaches it
    ("sigmoid", 0.1, 0, np.nan, np.nan), ("sigmoid", 0.1, 1, np.nan, np.nan),
    ("sigmoid", 1.0, 0, np.nan, np.nan), ("sigmoid", 1.0, 1, np.nan, np.nan)])


def test_the_best_rate_reaches_the_target_in_the_most_seeds_then_the_fewest_epochs():
    assert best_rates(RUNS) == {"relu": 1.0, "tanh": 0.1, "sigmoid": 0.1}


def test_ratios_pair_each_seed_with_relu_at_relus_best_rate():
    ratios = speed_ratios(RUNS).set_index("activation")
    tanh = ratios.loc["tanh"]
    # seed 0: 8 / 4 = 2.0, seed 1: 18 / 6 = 3.0; seconds 1.6 / 0.4 = 4.0 and 3.6 / 0.6 = 6.0
    assert (tanh["epoch_ratio_median"], tanh["epoch_ratio_min"], tanh["epoch_ratio_max"]) == (2.5, 2.0, 3.0)
    assert (tanh["second_ratio_median"], tanh["second_ratio_min"], tanh["second_ratio_max"]) == (5.0, 4.0, 6.0)
    assert tanh["reached"] == 2 and tanh["paired"] == 2 and tanh["epochs_median"] == 13
    assert tanh["rate_at_edge"]  # 0.1 is the smallest rate tried
    assert ratios.loc["relu", "epoch_ratio_median"] == 1.0
    assert ratios.loc["sigmoid", "reached"] == 0 and np.isnan(ratios.loc["sigmoid", "epoch_ratio_median"])
    assert ratio_text(tanh) == "2.5× (2.0–3.0× over 2 seeds)"
    assert ratio_text(tanh, "second") == "5.0× (4.0–6.0× over 2 seeds)"
    assert ratio_text(ratios.loc["sigmoid"]) == "not reached by any of 2 seeds"


def test_setups_compare_every_activation_with_relu_on_a_fixed_target():
    for setup in (MOONS, DIGITS):
        assert setup.activations[0] == "relu" and 0 < setup.target < 0.5 and len(setup.rates) >= 3
        assert setup.yardstick.text.startswith("train error ≤")
        assert "He init for ReLU and Xavier" in setup.describe()


def test_a_regression_set_and_work_over_the_cap_are_refused_in_words():
    with pytest.raises(ValueError, match="classification"):
        speed_runs(SpeedSetup("sine", (4,), 0.1, 2, (0.1,), seeds=1))
    with pytest.raises(ValueError, match="over the cap"):
        speed_runs(SpeedSetup("digits", (512, 512, 512), 0.01, 500, (0.1,), seeds=5, batch_size=1))


def test_an_arena_experiment_is_measured_on_its_own_network_at_rates_around_its_own():
    from core.lab.convergence import Target
    from core.lab.learning_speed import ARENA_SEEDS, setup_for
    from core.settings import Experiment

    experiment = Experiment(activations=("tanh", "sigmoid", "tanh>relu"), hidden_layers=(8, 4), learning_rate=0.3,
                            epochs=40, batch_size=16, n_samples=300, noise=0.1)
    setup = setup_for(experiment, Target("train error", 0.05), "Two moons")
    assert setup.activations == ("relu", "tanh", "sigmoid")  # ReLU added as the reference; per-layer nets left out
    assert setup.rates == pytest.approx((0.03, 0.09, 0.3, 0.9, 3.0))
    assert (setup.hidden_layers, setup.epochs, setup.batch_size, setup.seeds, setup.target) == (
        (8, 4), 40, 16, ARENA_SEEDS, 0.05)
    assert (setup.n_samples, setup.noise) == (300, 0.1) and setup.work_units == 5 * 3 * ARENA_SEEDS
    assert setup_for(experiment.replace(learning_rate=5.0), Target("train error", 0.05), "x").rates[-1] == 10.0
    with pytest.raises(ValueError, match="classification"):
        setup_for(experiment, Target("train R²", 0.9), "Sine")
    with pytest.raises(ValueError, match="classification"):
        setup_for(experiment, None, "Two moons")
    with pytest.raises(ValueError, match="another activation"):
        setup_for(experiment.replace(activations=("relu",)), Target("train error", 0.05), "Two moons")


def test_progress_is_reported_per_learning_rate_and_work_over_the_cap_is_refused_before_training():
    calls = []
    speed_runs(TINY, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]
    calls.clear()
    heavy_last = SpeedSetup("digits", (512, 512, 512), 0.01, 500, (0.1, 0.3), seeds=5, batch_size=1)
    with pytest.raises(ValueError, match="over the cap"):
        speed_runs(heavy_last, progress=lambda done, total: calls.append(done))
    assert calls == []
