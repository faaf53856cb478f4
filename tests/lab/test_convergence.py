"""core.lab.convergence against hand-made histories: one target for every run, epochs and seconds to reach it, the
mean training loss (area under the curve), and the instability rule."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.lab.convergence import (
    UNSTABLE_FACTOR,
    Target,
    epochs_to_target,
    fixed_target,
    instabilities,
    learning_curves,
    mean_training_loss,
    seconds_to_epoch,
)


def history(curves: dict[int, dict[str, list[float]]], activation: str = "relu") -> pd.DataFrame:
    """A tidy history from per-run metric curves (one value per epoch from 0): {run: {metric: [...]}}."""
    rows = []
    for run, metrics in curves.items():
        for metric, values in metrics.items():
            rows += [{"epoch": e, "run": run, "activation": activation, "label": activation.upper(), "seed": run,
                      "layer": 0, "metric": metric, "value": v, "diverged": not math.isfinite(v)}
                     for e, v in enumerate(values)]
    return pd.DataFrame(rows)


def test_training_error_is_one_minus_training_accuracy_and_r2_comes_from_the_loss():
    frame = history({0: {"train_accuracy": [0.5, 0.8], "train_loss": [0.7, 0.4]}})
    curves = learning_curves(frame)
    assert list(curves["metric"].unique()) == ["train error"]
    np.testing.assert_allclose(curves["value"], [0.5, 0.2])
    regression = learning_curves(history({0: {"train_loss": [0.5, 0.05]}}))
    assert list(regression["metric"].unique()) == ["train R²"]
    np.testing.assert_allclose(regression["value"], [0.0, 0.9])  # 1 − 2 × ½MSE on unit-variance targets


def test_the_target_is_the_most_demanding_rung_half_the_runs_reach():
    # best training errors 3%, 4%, 14%: 5% is reached by two of three, 2% by none
    frame = history({0: {"train_accuracy": [0.5, 0.9, 0.97]}, 1: {"train_accuracy": [0.5, 0.96, 0.95]},
                     2: {"train_accuracy": [0.5, 0.8, 0.86]}})
    assert fixed_target(frame) == Target("train error", 0.05)
    # with four runs, two of four is half: 2% counts
    four = history({0: {"train_accuracy": [0.5, 0.99]}, 1: {"train_accuracy": [0.5, 0.985]},
                    2: {"train_accuracy": [0.5, 0.9]}, 3: {"train_accuracy": [0.5, 0.6]}})
    assert fixed_target(four) == Target("train error", 0.02)
    # nobody learns: the least demanding rung, which nobody reaches either
    stuck = history({0: {"train_accuracy": [0.3, 0.35]}, 1: {"train_accuracy": [0.4, 0.45]}})
    assert fixed_target(stuck) == Target("train error", 0.5)
    assert fixed_target(history({0: {"train_loss": [0.5, 0.02]}, 1: {"train_loss": [0.5, 0.3]}})) == \
        Target("train R²", 0.95)
    assert fixed_target(history({})) is None


def test_epochs_to_target_is_the_first_epoch_that_reaches_it_and_nan_if_none():
    target = Target("train error", 0.1)
    curve = pd.Series([0.5, 0.3, np.nan, 0.09, 0.12, 0.05], index=range(6))
    assert epochs_to_target(curve, target) == 3.0  # the NaN is skipped, the later rise does not matter
    assert math.isnan(epochs_to_target(pd.Series([0.5, 0.2], index=[0, 1]), target))
    assert epochs_to_target(pd.Series([0.05], index=[0]), target) == 0.0
    r2 = Target("train R²", 0.9)
    assert epochs_to_target(pd.Series([0.0, 0.95], index=[0, 10]), r2) == 10.0
    assert Target("train error", 0.05).text == "train error ≤ 5%" and r2.text == "train R² ≥ 0.9"


def test_seconds_to_an_epoch_add_up_the_training_epochs_only():
    seconds = pd.Series([0.7, 0.1, 0.2, 0.3], index=[0, 1, 2, 3])  # epoch 0 is the measurement at init
    assert seconds_to_epoch(seconds, 2.0) == pytest.approx(0.3)
    assert seconds_to_epoch(seconds, 0.0) == 0.0
    assert math.isnan(seconds_to_epoch(seconds, np.nan))


def test_the_mean_training_loss_is_the_area_under_its_curve_per_epoch():
    # trapezoids: (1 + 0.5)/2 + (0.5 + 0.25)/2 = 1.125 over 2 epochs
    assert mean_training_loss(pd.Series([1.0, 0.5, 0.25], index=[0, 1, 2])) == pytest.approx(0.5625)
    # uneven epochs (a thinned history): (1 + 0.5)/2 × 2 + (0.5 + 0.5)/2 × 3 = 3 over 5 epochs
    assert mean_training_loss(pd.Series([1.0, 0.5, 0.5], index=[0, 2, 5])) == pytest.approx(0.6)
    assert math.isnan(mean_training_loss(pd.Series([1.0, np.nan], index=[0, 1])))  # diverged
    assert math.isnan(mean_training_loss(pd.Series([1.0], index=[0])))


def test_a_run_is_unstable_when_its_finite_loss_climbs_past_ten_times_its_start():
    assert UNSTABLE_FACTOR == 10.0
    frame = pd.concat([
        history({0: {"train_loss": [0.7, 0.6, 8.0, 300.0]}}),  # 8 > 7 at epoch 2: unstable, peak 300
        history({1: {"train_loss": [0.7, 6.9, 0.5]}}, "tanh"),  # just below 7: not unstable
        history({2: {"train_loss": [0.7, math.nan]}}, "sigmoid"),  # diverged, never above while finite
        history({3: {"train_loss": [0.7, 50.0, math.inf]}}, "elu"),  # unstable first, then diverged
    ], ignore_index=True)
    out = instabilities(frame)
    assert out.to_dict("records") == [
        {"run": 0, "activation": "relu", "label": "RELU", "seed": 0, "epoch": 2, "loss_at_init": 0.7,
         "peak_loss": 300.0},
        {"run": 3, "activation": "elu", "label": "ELU", "seed": 3, "epoch": 1, "loss_at_init": 0.7,
         "peak_loss": 50.0}]
    assert instabilities(frame, factor=1000).empty


def test_the_default_experiment_does_not_rank_sigmoid_the_fastest_learner():
    """On two moons sigmoid levels off at a higher training error: on the fixed target it is last or never
    there, and its mean training loss is the highest (the old "epochs to 90 % of final" ranked it first)."""
    from core.engine.training import train_many
    from core.io.history import records_to_frame
    from core.lab.summary import epochs_column, summary, target_of
    from core.settings import Experiment

    experiment = Experiment()
    records = [r for epoch in train_many(experiment.load_data(), experiment.configs()) for r in epoch]
    table = summary(records_to_frame(records)).set_index("activation")
    column = epochs_column(target_of(table))
    sigmoid, others = table.loc["sigmoid"], table.drop(index="sigmoid")
    assert math.isnan(sigmoid[column]) or (sigmoid[column] > others[column]).all()
    assert (sigmoid["mean train loss"] > others["mean train loss"]).all()
