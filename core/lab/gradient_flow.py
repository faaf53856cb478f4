"""Gradient flow through depth: per-layer gradient norms at init, across depths, during training, and
when the init is scaled up.

Numbering, everywhere in this module: a network with ``depth`` hidden layers has ``depth + 1`` weight
matrices. Matrix 1 is the **first** (input side: inputs -> first hidden layer) and matrix ``depth + 1``
the **last** (output side: last hidden layer -> outputs), as in ``core.io.history``. Every norm is the
Frobenius norm of the gradient of the training-set loss with respect to that matrix,
``||dL/dW_l||_F``, from ``MLP.loss_and_gradients``.

Vanishing gradients show as a first/last ratio ``||dL/dW_1|| / ||dL/dW_last||`` far below 1: the
input side is told to change orders of magnitude less than the output side.

Every public measurement checks its work first (``core.engine.training.check_work``): a request over ``MAX_WORK``
raises a ValueError saying what it would cost and what to choose instead, before anything is computed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from core.engine.limits import check_work, dense_work
from core.engine.mlp import MAXOUT, MLP, frobenius_norms
from core.engine.training import TrainConfig, network_for, output_size, train_many, training_work
from core.io.history import records_to_frame, with_labels

PROFILE_COLUMNS = ["activation", "seed", "layer", "grad_norm"]
SWEEP_COLUMNS = ["activation", "depth", "seed", "ratio"]
HEATMAP_COLUMNS = ["activation", "label", "epoch", "layer", "grad_norm"]
EXPLODING_COLUMNS = ["activation", "scale", "layer", "grad_norm"]


def resolved_init(activation: str, init: str) -> str:
    """"he" or "xavier" for ``init`` in ("he", "xavier", "auto"); "auto" follows ``TrainConfig``."""
    return TrainConfig(activation=activation, init=init).resolved_init


def seed_list(seeds: int | Iterable[int]) -> list[int]:
    """``seeds`` as a list: a count n means seeds 0..n-1."""
    if isinstance(seeds, int | np.integer):
        if seeds < 1:
            raise ValueError(f"Need at least one seed, got {seeds}.")
        return list(range(int(seeds)))
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("Need at least one seed.")
    return seeds


def _check_shape(depth: int, width: int) -> None:
    if depth < 1 or width < 1:
        raise ValueError(f"Need depth >= 1 and width >= 1, got depth={depth}, width={width}.")


def _network(ds, activation: str, depth: int, width: int, init: str, seed: int, bias_init: float = 0.0) -> MLP:
    _check_shape(depth, width)
    return network_for(TrainConfig(activation=activation, hidden_layers=(int(width),) * int(depth), init=init,
                                   bias_init=bias_init, seed=seed), ds)


def _training_rows(ds, n_samples: int | None):
    if n_samples is None:
        return ds.X_train, ds.y_train
    return ds.X_train[:n_samples], ds.y_train[:n_samples]


def at_init_work(ds, activations: Sequence[str], depths: Iterable[int], width: int, n_seeds: int,
                 n_samples: int | None = None) -> float:
    """Work (``core.engine.training``'s unit) of measuring the gradients at init of ``n_seeds`` networks per activation
    and depth: one forward and one backward pass (three products a layer) over the training rows used."""
    rows = len(_training_rows(ds, n_samples)[0])
    work = 0.0
    for depth in depths:
        _check_shape(depth, width)
        for name in activations:
            pieces = 2 if name == MAXOUT else 1  # MLP's default maxout_pieces
            sizes = [ds.n_features, *([int(width)] * int(depth)), output_size(ds)]
            work += n_seeds * 3 * rows * dense_work(sizes, pieces)
    return work


def _norms(net: MLP, X, y) -> list[float]:
    _, grad_weights, _ = net.loss_and_gradients(X, y)
    return [float(frobenius_norms(g)) for g in grad_weights]


def gradient_profile(ds, activation: str, depth: int, width: int, init: str, seed: int = 0,
                     n_samples: int | None = None, bias_init: float = 0.0) -> list[float]:
    """||dL/dW_l||_F for l = 1 (first, input side) .. depth + 1 (last, output side), at init.

    L is the loss over the training set (its first ``n_samples`` rows when given); ``init`` may be
    "he", "xavier" or "auto" (He for the ReLU family, Xavier otherwise).
    """
    check_work(at_init_work(ds, [activation], [depth], width, 1, n_samples),
               f"Measuring the gradients of a network of {depth} × {width} units",
               "choose fewer or narrower layers, or fewer samples")
    net = _network(ds, activation, depth, width, init, seed, bias_init)
    return _norms(net, *_training_rows(ds, n_samples))


def profile_frame(ds, activations: Sequence[str], depth: int, width: int, init: str,
                  seeds: int | Iterable[int], n_samples: int | None = None) -> pd.DataFrame:
    """Gradient norms at init, one row per (activation, seed, weight matrix).

    Columns: activation (key), label, seed, layer (1 = first/input side), grad_norm.
    """
    seeds = seed_list(seeds)
    check_work(at_init_work(ds, activations, [depth], width, len(seeds), n_samples),
               f"Measuring the gradients at init of {len(activations) * len(seeds)} networks of {depth} × {width} "
               "units", "choose fewer activations or seeds, fewer or narrower layers, or fewer samples")
    rows = []
    for name in activations:
        for seed in seeds:
            norms = gradient_profile(ds, name, depth, width, init, seed, n_samples)
            rows += [(name, seed, layer, value) for layer, value in enumerate(norms, start=1)]
    return with_labels(pd.DataFrame(rows, columns=PROFILE_COLUMNS))


def first_over_last(norms: Sequence[float]) -> float:
    """||dL/dW_first|| / ||dL/dW_last|| (input side over output side); NaN when the last is 0."""
    first, last = norms[0], norms[-1]
    return first / last if last > 0 else float("nan")


def depth_sweep(ds, activations: Sequence[str], depths: Iterable[int], width: int, init: str,
                seeds: int | Iterable[int], n_samples: int | None = None) -> pd.DataFrame:
    """The first/last gradient ratio at init for each depth: ratio << 1 means vanishing gradients.

    Columns: activation (key), label, depth (hidden layers), seed,
    ratio = ||dL/dW_1|| / ||dL/dW_last|| (first, input-side matrix over last, output-side matrix).
    """
    depths, seeds = [int(d) for d in depths], seed_list(seeds)
    check_work(at_init_work(ds, activations, depths, width, len(seeds), n_samples),
               f"This depth sweep ({len(activations)} activations × {len(depths)} depths × {len(seeds)} seeds, "
               f"width {width})", "choose fewer activations or seeds, a smaller width or fewer depths")
    rows = []
    for name in activations:
        for depth in depths:
            for seed in seeds:
                norms = gradient_profile(ds, name, int(depth), width, init, seed, n_samples)
                rows.append((name, int(depth), seed, first_over_last(norms)))
    return with_labels(pd.DataFrame(rows, columns=SWEEP_COLUMNS))


def log10_ratios(profile: pd.DataFrame) -> pd.Series:
    """Per activation: mean over seeds of log10(first / last) from a ``profile_frame``.

    The mean of logs is the log of the geometric mean, the right average for ratios spanning decades.
    """
    by_run = profile.sort_values("layer").groupby(["activation", "seed"], sort=False)["grad_norm"]
    ratios = by_run.agg(lambda g: first_over_last(g.to_numpy()))
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(ratios)
    return logs.groupby(level="activation", sort=False).mean()


def decades_per_layer(sweep: pd.DataFrame) -> pd.Series:
    """Per activation: the least-squares slope of log10(ratio) against depth (decades per added layer).

    Negative: each added layer shrinks the first layer's gradient relative to the last one's.
    NaN for an activation measured at fewer than two depths.
    """
    out = {}
    for activation, runs in sweep.groupby("activation", sort=False):
        runs = runs[np.isfinite(runs["ratio"]) & (runs["ratio"] > 0)]
        if runs["depth"].nunique() < 2:
            out[activation] = float("nan")
            continue
        out[activation] = float(np.polyfit(runs["depth"], np.log10(runs["ratio"]), 1)[0])
    return pd.Series(out, name="decades_per_layer", dtype=float)


def training_heatmap(ds, activations: Sequence[str], depth: int, width: int, init: str, epochs: int,
                     lr: float, seed: int = 0, batch_size: int = 32, dtype: str = "float64",
                     progress: Callable[[int, int], object] | None = None) -> pd.DataFrame:
    """Gradient norm per weight matrix at every epoch of training (epoch 0 = init), via ``train_many``.

    Each activation trains on the same data, initial draws and batches, in ``dtype`` (the page trains in float32,
    as frameworks do). A run that diverges stops at the epoch it diverged (its non-finite norms are NaN).
    ``progress(epoch, epochs)`` is called after each epoch's records (epoch 0, the measurement at init, first).
    Columns: activation (key), label, epoch, layer (1 = first/input side), grad_norm.
    """
    configs = _heatmap_configs(activations, depth, width, init, epochs, lr, seed, batch_size, dtype)
    _check_heatmap(ds, configs)
    records = []
    for epoch in train_many(ds, configs):
        records += epoch
        if progress is not None:
            progress(epoch[0].epoch, int(epochs))
    frame = records_to_frame(records)
    frame = frame[frame["metric"] == "grad_norm"].rename(columns={"value": "grad_norm"})
    return frame[HEATMAP_COLUMNS].reset_index(drop=True)


def log10_ratio_by_epoch(heatmap: pd.DataFrame) -> pd.DataFrame:
    """From a ``training_heatmap``: log10(first / last) per activation and epoch, finite values only.

    Columns: activation, epoch, log10_ratio.
    """
    rows = []
    for activation, run in heatmap.groupby("activation", sort=False):
        wide = run.pivot(index="epoch", columns="layer", values="grad_norm").sort_index(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log10(wide.iloc[:, 0] / wide.iloc[:, -1])
        rows += [(activation, int(epoch), float(v)) for epoch, v in logs.items() if np.isfinite(v)]
    return pd.DataFrame(rows, columns=["activation", "epoch", "log10_ratio"])


def log10_growth(frame: pd.DataFrame) -> pd.DataFrame:
    """From ``exploding``: log10 of each matrix's gradient norm over its value at the smallest scale.

    Index: scale; columns: layer (1 = first, input side).
    """
    wide = frame.pivot(index="scale", columns="layer", values="grad_norm").sort_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(wide / wide.iloc[0])


def _heatmap_configs(activations: Sequence[str], depth: int, width: int, init: str, epochs: int, lr: float,
                     seed: int, batch_size: int, dtype: str = "float64") -> list[TrainConfig]:
    return [TrainConfig(activation=name, hidden_layers=(int(width),) * int(depth), epochs=int(epochs),
                        batch_size=batch_size, learning_rate=lr, init=init, seed=seed, dtype=dtype)
            for name in activations]


def _check_heatmap(ds, configs: list[TrainConfig]) -> float:
    if not configs:
        raise ValueError("Choose at least one activation to train.")
    cfg = configs[0]
    return check_work(training_work(ds, configs),
                      f"Training {len(configs)} network{'s' if len(configs) > 1 else ''} of {len(cfg.hidden_layers)} "
                      f"× {cfg.hidden_layers[0]} units for {cfg.epochs} epochs",
                      "choose fewer activations, fewer or narrower layers, or fewer samples")


def check_heatmap(ds, activations: Sequence[str], depth: int, width: int, epochs: int,
                  batch_size: int = 32) -> float:
    """The work of ``training_heatmap`` with these settings, or the ValueError it would raise: a page asks
    before it offers the button."""
    return _check_heatmap(ds, _heatmap_configs(activations, depth, width, "auto", epochs, 0.1, 0, batch_size))


def exploding(ds, activation: str, depth: int, width: int, scales: Sequence[float], init: str = "auto",
              seed: int = 0, n_samples: int | None = None) -> pd.DataFrame:
    """Gradient norm per weight matrix at init when every weight matrix is multiplied by ``scale``.

    Multiplying a normal init's weights by ``scale`` multiplies its standard deviation by ``scale``;
    the same draws are used for every scale, so only the scale differs. For ReLU (zero biases) the
    network is positively homogeneous: every matrix's gradient grows by about ``scale ** depth``.
    Columns: activation (key), label, scale, layer (1 = first/input side), grad_norm.
    """
    scales = list(scales)
    check_work(len(scales) * at_init_work(ds, [activation], [depth], width, 1, n_samples),
               f"Measuring {len(scales)} init scales of a network of {depth} × {width} units",
               "choose fewer init scales, fewer or narrower layers, or fewer samples")
    rows = []
    X, y = _training_rows(ds, n_samples)
    for scale in scales:
        if not (np.isfinite(scale) and scale > 0):
            raise ValueError(f"Each scale must be a positive number, got {scale!r}.")
        net = _network(ds, activation, depth, width, init, seed)
        for W in net.weights:
            W *= scale
        with np.errstate(over="ignore", invalid="ignore"):
            norms = _norms(net, X, y)
        rows += [(activation, float(scale), layer, value if np.isfinite(value) else np.nan)
                 for layer, value in enumerate(norms, start=1)]
    return with_labels(pd.DataFrame(rows, columns=EXPLODING_COLUMNS))

