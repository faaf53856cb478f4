"""How fast and how steadily a run learns, measured against yardsticks that are the same for every run.

Comparing activations by "epochs to 90 % of each run's own final accuracy" rewards a run that levels off early
at a poor value (sigmoid on two moons levels off at 86 % test accuracy and "learns fastest"), and gives a run stuck
at chance 0 epochs. Every measure here uses one yardstick for the whole experiment instead:

* the **training error** of a classifier (1 − training accuracy) or the **training R²** of a regression
  (1 − 2 × the ½-MSE training loss: targets are standardised on the training set, whose variance is then 1);
* ``fixed_target``: one target for every run, a round value chosen from the data: the lowest training error (the
  highest R²) on a fixed ladder that at least half of the runs reach at some epoch. It is always shown with the
  results. ``epochs_to_target`` is the first epoch at which a run reaches it; a run that never does has not
  reached it (NaN, shown as "not reached"), never 0;
* ``mean_training_loss``: the area under a run's training-loss curve from epoch 0 to its last epoch divided by the
  epochs (trapezoid rule): lower means it learned faster or further, on the same scale for every run;
* ``instabilities``: a run is **unstable** when its training loss, while still finite, climbs above
  ``UNSTABLE_FACTOR`` times its value at init (learning rate 100 on two moons: a loss in the hundreds, accuracy at
  chance). That is distinct from a run that **diverged** (its loss or weights stopped being finite).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ERROR_LADDER = (0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0.02, 0.01)  # training error, classification
R2_LADDER = (0.5, 0.75, 0.9, 0.95, 0.98, 0.99)  # training R², regression
UNSTABLE_FACTOR = 10.0
INSTABILITY_COLUMNS = ["run", "activation", "label", "seed", "epoch", "loss_at_init", "peak_loss"]


@dataclass(frozen=True)
class Target:
    """One yardstick for every run: ``metric`` ("train error" or "train R²") must reach ``value``."""

    metric: str
    value: float

    @property
    def lower_is_better(self) -> bool:
        return self.metric == "train error"

    def reached(self, values) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        return values <= self.value if self.lower_is_better else values >= self.value

    @property
    def text(self) -> str:
        """The target as the tables name it: "train error ≤ 5%", "train R² ≥ 0.9"."""
        if self.lower_is_better:
            return f"train error ≤ {self.value:.0%}"
        return f"train R² ≥ {self.value:g}"


def learning_curves(frame: pd.DataFrame) -> pd.DataFrame:
    """Per run and epoch, the quantity the target is about: training error (classification) or training R²
    (regression). Columns: run, activation, label, seed, epoch, metric, value (NaN once a run diverged)."""
    if frame.empty:
        return pd.DataFrame(columns=["run", "activation", "label", "seed", "epoch", "metric", "value"])
    accuracy = frame[frame["metric"] == "train_accuracy"]
    if len(accuracy):
        curves, metric = accuracy.assign(value=1.0 - accuracy["value"]), "train error"
    else:
        loss = frame[frame["metric"] == "train_loss"]
        curves, metric = loss.assign(value=1.0 - 2.0 * loss["value"]), "train R²"
    keep = [c for c in ("run", "activation", "label", "seed", "epoch") if c in frame.columns]
    return curves[keep].assign(metric=metric, value=curves["value"].to_numpy()).reset_index(drop=True)


def fixed_target(frame: pd.DataFrame) -> Target | None:
    """The experiment's one target: the most demanding rung of the ladder that at least half of the runs reach
    at some epoch (the least demanding rung if fewer reach even that); None for an empty history."""
    curves = learning_curves(frame)
    if curves.empty:
        return None
    metric = curves["metric"].iloc[0]
    ladder = ERROR_LADDER if metric == "train error" else R2_LADDER
    best = curves.groupby("run")["value"].agg("min" if metric == "train error" else "max")
    chosen = ladder[0]
    for rung in ladder:
        if Target(metric, rung).reached(best.to_numpy()).sum() * 2 >= len(best):
            chosen = rung
    return Target(metric, chosen)


def epochs_to_target(curve: pd.Series, target: Target) -> float:
    """The first epoch at which a run's curve (indexed by epoch) reaches ``target``; NaN if it never does."""
    curve = curve.dropna().sort_index()
    hits = curve.index[target.reached(curve.to_numpy())]
    return float(hits[0]) if len(hits) else np.nan


def seconds_to_epoch(epoch_seconds: pd.Series, epoch: float) -> float:
    """Training time up to and including ``epoch`` (the sum of the per-epoch times of epochs 1..epoch)."""
    if not np.isfinite(epoch):
        return np.nan
    times = epoch_seconds.sort_index()
    return float(times[(times.index > 0) & (times.index <= epoch)].sum())


def mean_training_loss(curve: pd.Series) -> float:
    """Area under the training-loss curve (indexed by epoch), over the epochs it spans: the trapezoid rule's
    integral divided by last − first epoch. NaN if the run diverged (a non-finite loss) or has one epoch only."""
    curve = curve.sort_index()
    values, epochs = curve.to_numpy(dtype=float), curve.index.to_numpy(dtype=float)
    if len(values) < 2 or not np.isfinite(values).all():
        return np.nan
    area = float(np.sum((values[1:] + values[:-1]) * np.diff(epochs)) / 2)  # the trapezoid rule
    return area / (epochs[-1] - epochs[0])


def instabilities(frame: pd.DataFrame, factor: float = UNSTABLE_FACTOR) -> pd.DataFrame:
    """One row per unstable run: its finite training loss rose above ``factor`` × its loss at init. Columns: run,
    activation, label, seed, epoch (the first epoch above), loss_at_init, peak_loss (the highest finite loss)."""
    loss = frame[frame["metric"] == "train_loss"]
    rows = []
    for run, curve in loss.groupby("run", sort=True):
        curve = curve.sort_values("epoch")
        values = curve["value"].to_numpy(dtype=float)
        if len(values) < 2 or not np.isfinite(values[0]):
            continue
        above = np.flatnonzero(np.isfinite(values) & (values > factor * values[0]))
        if len(above):
            first = curve.iloc[0]
            rows.append({"run": run, "activation": first["activation"],
                         "label": first.get("label", first["activation"]), "seed": first["seed"],
                         "epoch": int(curve["epoch"].iloc[above[0]]), "loss_at_init": float(values[0]),
                         "peak_loss": float(values[np.isfinite(values)].max())})
    return pd.DataFrame(rows, columns=INSTABILITY_COLUMNS)
