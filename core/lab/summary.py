"""The summary table of an experiment (the Arena's, the command line's, the reports'): one row per activation over
its seeds, every column measured on the same yardstick for every run (``core.lab.convergence``), and a one-line
definition of every column (``column_help``).

Mean ± standard deviation appear only where an activation has several seeds; NaN means "not measurable" (every
seed diverged, or the target was not reached) and is shown as such, never as a number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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

ACCURACY, SPREAD, R2, RMSE, LOSS = "test accuracy", "± sd", "test R²", "test RMSE", "test loss"
REACHED, SECONDS, MEAN_LOSS = "runs reaching it", "seconds to reach it", "mean train loss"
SPARSITY, DEAD, TIME, DIVERGED, UNSTABLE = "sparsity", "dead units", "ms / epoch", "diverged runs", "unstable runs"


def epochs_column(target: Target | None) -> str:
    return f"epochs to {target.text}" if target is not None else "epochs to target"


def _mean(values) -> float:
    """Mean of the finite values; NaN (and no warning) when there are none, e.g. every seed diverged."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(finite.mean()) if finite.size else np.nan


def _sd(values) -> float:
    """Sample standard deviation of the finite values; NaN with fewer than two."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(finite.std(ddof=1)) if finite.size > 1 else np.nan


def _last_values(run: pd.DataFrame) -> pd.Series:
    """A run's values at its last epoch, indexed by (metric, layer)."""
    last = run[run["epoch"] == run["epoch"].max()]
    return last.set_index(["metric", "layer"])["value"]


def _layer_mean(last: pd.Series, metric: str) -> float:
    """A per-layer metric at the last epoch, averaged over hidden layers (NaN when the run has none)."""
    values = last[last.index.get_level_values("metric") == metric]
    return float(values.mean()) if len(values) else np.nan


def _regression_scores(test_loss: float, dataset) -> tuple[float, float]:
    """Test R² and RMSE in the target's own units, from the ½-MSE loss on standardised targets."""
    variance = float(np.var(np.asarray(dataset.y_test, dtype=float)))
    r2 = 1.0 - 2.0 * test_loss / variance if variance > 0 else np.nan
    return r2, float(np.sqrt(2.0 * test_loss) * dataset.target_scale)


def summary(frame: pd.DataFrame, dataset=None) -> pd.DataFrame:
    """Per activation over seeds. Classification: final test accuracy (± sd with several seeds); regression: test
    R² and RMSE when ``dataset`` is given, else the test loss. Then epochs to the experiment's fixed target (mean
    over the runs that reach it) and how many do, the seconds that took, the mean training loss over the run,
    sparsity and dead units (averaged over hidden layers), time per epoch, and runs that diverged or were unstable.
    ``target_of(table)`` is the target (``core.lab.convergence.Target``), kept as plain data in the table's attrs."""
    target = fixed_target(frame)
    curves = learning_curves(frame).set_index(["run", "epoch"])["value"] if len(frame) else pd.Series(dtype=float)
    unstable = set(instabilities(frame)["run"])
    classifier = "train_accuracy" in set(frame["metric"])
    several = frame.groupby("activation")["run"].nunique().max() > 1 if len(frame) else False
    rows = []
    for activation, runs in frame.groupby("activation", sort=False):
        measured: dict[str, list] = {}
        for run_id, run in runs.groupby("run"):
            last = _last_values(run)
            by_epoch = run.set_index(["metric", "epoch"])["value"]
            reached_at = epochs_to_target(curves.xs(run_id), target) if target is not None else np.nan
            test_loss = last.get(("test_loss", 0), np.nan)
            values = {
                ACCURACY: last.get(("test_accuracy", 0), np.nan), LOSS: test_loss,
                "epochs": reached_at, SECONDS: seconds_to_epoch(by_epoch.xs("epoch_seconds"), reached_at),
                MEAN_LOSS: mean_training_loss(by_epoch.xs("train_loss")),
                SPARSITY: _layer_mean(last, "sparsity"), DEAD: _layer_mean(last, "dead_fraction"),
                TIME: 1000 * by_epoch.xs("epoch_seconds").drop(0, errors="ignore").mean(),
                DIVERGED: bool(run["diverged"].any()), UNSTABLE: run_id in unstable,
            }
            if not classifier and dataset is not None and np.isfinite(test_loss):
                values[R2], values[RMSE] = _regression_scores(test_loss, dataset)
            for name, value in values.items():
                measured.setdefault(name, []).append(value)
        row = {"activation": activation, **({"label": runs["label"].iloc[0]} if "label" in runs else {}),
               "seeds": runs["run"].nunique()}
        if classifier:
            row[ACCURACY] = _mean(measured[ACCURACY])
            if several:
                row[SPREAD] = _sd(measured[ACCURACY])
        elif R2 in measured:
            row[R2], row[RMSE] = _mean(measured[R2]), _mean(measured[RMSE])
        else:
            row[LOSS] = _mean(measured[LOSS])
        reached = np.isfinite(np.asarray(measured["epochs"], dtype=float))
        row[epochs_column(target)] = _mean(measured["epochs"])
        row[REACHED] = int(reached.sum())
        row[SECONDS] = _mean(measured[SECONDS])
        row[MEAN_LOSS] = _mean(measured[MEAN_LOSS])
        row[SPARSITY], row[DEAD], row[TIME] = (_mean(measured[name]) for name in (SPARSITY, DEAD, TIME))
        row[DIVERGED], row[UNSTABLE] = int(sum(measured[DIVERGED])), int(sum(measured[UNSTABLE]))
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs["target"] = None if target is None else {"metric": target.metric, "value": target.value}
    return table


def target_of(table: pd.DataFrame) -> Target | None:
    """The target a ``summary`` (or ``display_table``) table measured every run against."""
    target = table.attrs.get("target")
    return None if target is None else Target(**target)


def column_help(table: pd.DataFrame) -> dict[str, str]:
    """A one-line definition of every column of a ``summary`` table, for tooltips, captions and reports."""
    target = target_of(table)
    reach = target.text if target is not None else "the target"
    help_text = {
        "activation": "The hidden layers' activation.",
        "label": "The hidden layers' activation.",
        "seeds": "Runs of this activation, one per seed (initial draws and batches).",
        ACCURACY: "Share of the test set classified correctly at the last epoch, mean over seeds.",
        SPREAD: "Sample standard deviation of the test accuracy over seeds.",
        R2: "1 − the test set's mean squared error over its variance, at the last epoch, mean over seeds.",
        RMSE: "Root mean squared error on the test set, in the target's own units, at the last epoch.",
        LOSS: "Loss on the test set at the last epoch (cross-entropy or ½ MSE), mean over seeds.",
        epochs_column(target): f"First epoch at which a run's training set reached {reach}, the same target for "
                               "every run (chosen as the most demanding round value at least half the runs reach); "
                               "mean over the runs that reached it.",
        REACHED: f"How many of this activation's runs reached {reach}.",
        SECONDS: f"Training time until {reach} was reached, mean over the runs that reached it.",
        MEAN_LOSS: "Training loss averaged over every epoch from 0 to the last (area under its curve per epoch): "
                   "lower means it learned faster or further.",
        SPARSITY: "Share of exact zeros among hidden outputs on the training set at the last epoch, averaged over "
                  "hidden layers.",
        DEAD: "Share of hidden units that output 0 for every training sample at the last epoch, averaged over "
              "hidden layers.",
        TIME: "Wall time of a training epoch: the shared matrix work split evenly, plus each activation's own cost.",
        DIVERGED: "Runs whose loss or weights stopped being finite (they stop there).",
        UNSTABLE: f"Runs whose training loss, still finite, rose above {UNSTABLE_FACTOR:g} × its value at init: "
                  "the learning rate is too high for them.",
    }
    return {column: help_text[column] for column in table.columns if column in help_text}


def _text(value, fmt: str, missing: str = "–") -> str:
    return missing if value is None or not np.isfinite(value) else format(value, fmt)


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """A ``summary`` table as people read it, every cell text: labels for activations, percentages, "not
    reached" for a target no run of it reached, "–" for what could not be measured (never "NaN")."""
    target = target_of(table)
    epochs = epochs_column(target)
    formats = {ACCURACY: ".1%", SPREAD: ".1%", R2: ".3f", RMSE: ".4g", LOSS: ".4f", SECONDS: ".2f",
               MEAN_LOSS: ".4f", SPARSITY: ".1%", DEAD: ".1%", TIME: ".2f"}
    shown = {"activation": table["label"] if "label" in table else table["activation"], "seeds": table["seeds"]}
    for column in table.columns:
        if column in ("activation", "label", "seeds"):
            continue
        values = table[column]
        if column == epochs:
            shown[column] = [_text(v, ".1f" if v != round(v) else ".0f", "not reached") if np.isfinite(v)
                             else "not reached" for v in values]
        elif column == REACHED:
            shown[column] = [f"{k} of {n}" for k, n in zip(values, table["seeds"], strict=True)]
        elif column in formats:
            shown[column] = [_text(v, formats[column]) for v in values]
        else:
            shown[column] = [str(v) for v in values]
    out = pd.DataFrame(shown)
    out.attrs["target"] = table.attrs.get("target")
    return out
