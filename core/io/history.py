"""Training records as tidy data: the long frame, its bands over seeds, thinning for display, divergences.

The long format is one row per (epoch, run, layer, metric): columns ``epoch, run, activation, label,
seed, layer, metric, value, diverged``. ``activation`` is the run's activation key (a registry name such as
"relu", or per-layer names joined by ">"), the key every lookup uses; ``label`` is its display label ("ReLU").
``layer`` is 0 for whole-network metrics (losses, accuracies, learning rate, wall time) and 1.. for per-layer
ones; gradient norms are numbered by weight matrix (1 = the input layer's, the last = the output layer's), the
others by hidden layer.
Values that stopped being finite (a diverged run) are kept as NaN and flagged, never plotted silently.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from core.engine.mlp import activation_label

SCALAR_METRICS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "learning_rate", "epoch_seconds")
LAYER_METRICS = ("grad_norms", "sparsity", "dead_fraction", "mean_activation")
COLUMNS = ("epoch", "run", "activation", "label", "seed", "layer", "metric", "value", "diverged")


def with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (with an ``activation`` column of keys) with the display ``label`` column beside it."""
    labels = frame["activation"].map(activation_label) if len(frame) else pd.Series([], dtype=object)
    out = frame.copy()
    out.insert(list(frame.columns).index("activation") + 1, "label", labels.astype(object).to_numpy())
    return out


def records_to_frame(records: Iterable) -> pd.DataFrame:
    """Tidy long DataFrame from EpochRecords (any iterable, e.g. a flattened train_many history)."""
    cols: dict[str, list] = {c: [] for c in COLUMNS}
    epoch, run, activation, label, seed, layer, metric, value, diverged = cols.values()
    for rec in records:
        rows = [(0, name, getattr(rec, name)) for name in SCALAR_METRICS if getattr(rec, name) is not None]
        for name in LAYER_METRICS:
            shown = name.removesuffix("s") if name == "grad_norms" else name
            rows += [(i, shown, v) for i, v in enumerate(getattr(rec, name), start=1)]
        epoch += [rec.epoch] * len(rows)
        run += [rec.run] * len(rows)
        activation += [rec.activation] * len(rows)
        label += [rec.label] * len(rows)
        seed += [rec.seed] * len(rows)
        diverged += [rec.diverged] * len(rows)
        layer += [i for i, _, _ in rows]
        metric += [name for _, name, _ in rows]
        value += [v for _, _, v in rows]
    values = np.array([np.nan if v is None else v for v in value], dtype=float)
    values[~np.isfinite(values)] = np.nan
    # Built column by column from typed arrays (pandas would otherwise infer every column again, and turn the
    # text ones into its string dtype): a live page converts each new epoch's records several times a second.
    return pd.DataFrame({
        "epoch": np.array(epoch, dtype=int), "run": np.array(run, dtype=int),
        "activation": pd.Series(activation, dtype=object), "label": pd.Series(label, dtype=object),
        "seed": np.array(seed, dtype=int),
        "layer": np.array(layer, dtype=int), "metric": pd.Series(metric, dtype=object), "value": values,
        "diverged": np.array(diverged, dtype=bool)})


def thin(frame: pd.DataFrame, max_epochs: int = 200) -> pd.DataFrame:
    """Keep at most ``max_epochs`` evenly spaced epochs (always the first and the last) for display."""
    if max_epochs < 2:
        raise ValueError("thin keeps the first and the last epoch: max_epochs must be at least 2.")
    epochs = np.sort(frame["epoch"].unique())
    if len(epochs) <= max_epochs:
        return frame
    keep = epochs[np.unique(np.linspace(0, len(epochs) - 1, max_epochs).round().astype(int))]
    return frame[frame["epoch"].isin(keep)]


BAND_KEYS = ("activation", "metric", "layer", "epoch")


def bands(frame: pd.DataFrame, metrics: Iterable[str] | None = None) -> pd.DataFrame:
    """Mean, min and max over seeds for each (activation, metric, layer, epoch): lines with spread bands.

    ``metrics=None`` keeps every metric. Rows come in the order their groups first appear; NaN values (a
    diverged seed) are left out of the mean, min, max and ``seeds`` count. Each epoch's rows depend only on
    that epoch's records, so the bands of a history are the bands of its epochs concatenated (``core.engine.live``
    keeps them up to date that way).
    """
    sub = frame if metrics is None else frame[frame["metric"].isin(list(metrics))]
    # A group-by in numpy: pandas' groupby with four aggregations took 10 ms on the few epochs a live page
    # converts several times a second, while the engine waits (this takes about 1 ms).
    key = np.zeros(len(sub), dtype=np.int64)
    for column in BAND_KEYS:
        codes, uniques = pd.factorize(sub[column].to_numpy())
        key = key * max(len(uniques), 1) + codes
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    appearance = np.argsort(first, kind="stable")  # groups in the order they first appear, like sort=False
    rank = np.empty_like(appearance)
    rank[appearance] = np.arange(len(appearance))
    group = rank[group.reshape(-1)]
    values = sub["value"].to_numpy(dtype=float)
    present = ~np.isnan(values)
    count = np.bincount(group, weights=present, minlength=len(first))
    total = np.bincount(group, weights=np.where(present, values, 0.0), minlength=len(first))
    order = np.argsort(group, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(group[order]) != 0]) if len(order) else order
    low = np.minimum.reduceat(np.where(present, values, np.inf)[order], starts) if len(order) else values
    high = np.maximum.reduceat(np.where(present, values, -np.inf)[order], starts) if len(order) else values
    empty, rows = count == 0, first[appearance]
    carried = ["label"] if "label" in sub.columns else []  # a function of the activation key: taken along
    keys = {column: sub[column].to_numpy()[rows] for column in (BAND_KEYS[0], *carried, *BAND_KEYS[1:])}
    return pd.DataFrame({
        **{column: pd.Series(values, dtype=object) if values.dtype == object else values
           for column, values in keys.items()},
        "mean": np.divide(total, count, out=np.full(len(count), np.nan), where=~empty),
        "low": np.where(empty, np.nan, low), "high": np.where(empty, np.nan, high), "seeds": count.astype(np.int64)})


def divergences(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per diverged run: run, activation (and label), seed and the epoch it diverged at."""
    columns = ["run", "activation", *(["label"] if "label" in frame.columns else []), "seed", "epoch"]
    if not frame["diverged"].any():  # the usual case, answered fast: a live page asks several times a second
        return frame.loc[:, columns].iloc[:0].reset_index(drop=True)
    flagged = frame[frame["diverged"]]
    first = {column: (column, "first") for column in columns[1:-1]}
    return flagged.groupby("run", as_index=False).agg(**first, epoch=("epoch", "min"))
