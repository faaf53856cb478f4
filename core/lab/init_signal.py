"""The signal at init: how the spread of the hidden outputs changes through depth for each init, and why an
all-zero init never learns more than one unit per layer.

This is the experiment of Stanford's CS231n notes ("Neural Networks Part 2", weight initialisation; after
Glorot & Bengio 2010 and He et al. 2015): push data through a deep, freshly initialised network and look at each
layer's outputs. With zero biases, layer l + 1's pre-activation has variance fan_in * Var(w) * E[h_l²], so:

* 0.01 * N(0, 1) ("small"): each tanh layer multiplies the spread by about 0.01 * sqrt(fan_in), and the signal
  collapses to 0 (tanh is about linear near 0);
* Xavier (Var(w) = 2 / (fan_in + fan_out), 1 / n for equal widths): about right for tanh near 0, but ReLU keeps
  E[h²] = E[z²] / 2, so its signal's variance halves at every layer;
* He (Var(w) = 2 / fan_in): the factor 2 undoes ReLU's halving, and its variance holds (He et al. 2015, eq. 10);
* 2 x He (twice He's standard deviation, four times its variance): ReLU's signal doubles at every layer, and tanh
  units are pushed towards ±1;
* zero: every hidden output is f(0) (0 for tanh and ReLU, 0.5 for sigmoid), the same for every unit.

Layers are numbered from 1 (the first hidden layer, input side) as in ``core.lab.neurons``; every statistic is over
all (row, unit) pairs of one layer. Inputs are the first ``n_samples`` standardised training rows of a dataset (or
any rows given to ``signal_profile``). Biases are 0, the engine's default.

Heavy calls check their work first (``core.engine.limits.check_work``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from core.engine.limits import check_work, dense_work
from core.engine.mlp import MLP, ActivationLayer
from core.engine.training import TrainConfig, check_epoch_work, train_many, training_work
from core.lab.neurons import activation_histograms

# scheme -> (engine init, multiplier of every weight); display labels in SCHEME_LABELS
SCHEMES: dict[str, tuple[str, float]] = {
    "small": ("small", 1.0),
    "xavier": ("xavier", 1.0),
    "he": ("he", 1.0),
    "he_x2": ("he", 2.0),
    "zero": ("zero", 1.0),
}
SCHEME_LABELS = {"small": "0.01 · N(0, 1)", "xavier": "Xavier", "he": "He", "he_x2": "2 × He", "zero": "Zero"}
ACTIVATIONS = ("tanh", "relu", "sigmoid")
SATURATED_SLOPE = 0.01  # the guide's threshold: |f'| < 0.01 is saturated (sigmoid beyond ±4.6, tanh beyond ±3)
PROFILE_COLUMNS = ["activation", "init", "seed", "layer", "mean", "std", "pre_std", "saturated"]
SYMMETRY_COLUMNS = ["init", "epoch", "layer", "units", "distinct_units", "distinct_exact", "spread"]


def _check_scheme(scheme: str) -> tuple[str, float]:
    if scheme not in SCHEMES:
        raise ValueError(f"Unknown init {scheme!r}. Valid choices: {', '.join(SCHEMES)}.")
    return SCHEMES[scheme]


def _check_shape(depth: int, width: int) -> None:
    if not (1 <= int(depth) and 1 <= int(width)):
        raise ValueError(f"Need depth >= 1 and width >= 1, got depth={depth}, width={width}.")


def signal_network(n_inputs: int, activation: str, scheme: str, depth: int, width: int, seed: int = 0) -> MLP:
    """A network of ``depth`` hidden layers of ``width`` units at init, with zero biases. ``scheme`` is a key of
    SCHEMES: the engine's init ("small", "xavier", "he", "zero"), or "he_x2", He's draws times 2."""
    init, multiplier = _check_scheme(scheme)
    _check_shape(depth, width)
    net = MLP([int(n_inputs), *[int(width)] * int(depth), 2], activation=activation, init=init, seed=seed)
    for W in net.weights:
        W *= multiplier
    return net


def _saturated_share(layer, z: np.ndarray) -> float:
    """Share of (row, unit) pairs where |f'(z)| < SATURATED_SLOPE (for ReLU: z <= 0, its hard zero slope)."""
    if not isinstance(layer, ActivationLayer):
        return float("nan")
    with np.errstate(all="ignore"):
        return float((np.abs(layer.activation.derivative(z)) < SATURATED_SLOPE).mean())


def _profile_rows(net: MLP, X: np.ndarray) -> list[tuple[int, float, float, float, float]]:
    with np.errstate(all="ignore"):  # 2 x He through 30 ReLU layers grows by 2^30: large, still finite in float64
        zs, hs, _ = net.trace(X)
    return [(layer, float(h.mean()), float(h.std()), float(z.std()), _saturated_share(kind, z))
            for layer, (z, h, kind) in enumerate(zip(zs, hs, net.layers, strict=True), start=1)]


def signal_profile(X, activation: str, scheme: str, depth: int, width: int, seed: int = 0) -> pd.DataFrame:
    """Per hidden layer of a network at init (``signal_network``) on the rows X: the mean and standard deviation
    of its outputs h, the standard deviation of its pre-activations z (``pre_std``), and ``saturated``, the share
    of outputs where |f'(z)| < 0.01. Columns: layer (1 = first), mean, std, pre_std, saturated."""
    X = np.asarray(X, dtype=np.float64)
    _check_shape(depth, width)
    check_work(len(X) * dense_work([X.shape[1], *[int(width)] * int(depth), 2]),
               f"Tracing {len(X):,} rows through {depth} × {width} units", "choose fewer rows, or fewer or "
               "narrower layers")
    rows = _profile_rows(signal_network(X.shape[1], activation, scheme, depth, width, seed), X)
    return pd.DataFrame(rows, columns=["layer", "mean", "std", "pre_std", "saturated"])


def _seeds(seeds: int | Iterable[int]) -> list[int]:
    seeds = list(range(int(seeds))) if isinstance(seeds, int | np.integer) else [int(s) for s in seeds]
    if not seeds:
        raise ValueError("Need at least one seed.")
    return seeds


def signal_work(n_rows: int, n_features: int, n_networks: int, depth: int, width: int) -> float:
    """Work of tracing ``n_rows`` rows through ``n_networks`` networks of depth x width (one forward pass each)."""
    return n_networks * n_rows * dense_work([n_features, *[int(width)] * int(depth), 2])


def signal_frame(ds, activations: Sequence[str] = ACTIVATIONS, schemes: Sequence[str] = tuple(SCHEMES),
                 depth: int = 30, width: int = 100, seeds: int | Iterable[int] = 2,
                 n_samples: int = 256) -> pd.DataFrame:
    """CS231n's picture on real data: per (activation, init scheme, seed, layer) the statistics of
    ``signal_profile``, on the first ``n_samples`` standardised training rows of ``ds``.

    Columns: activation, init (a key of SCHEMES; labels in SCHEME_LABELS), seed, layer, mean, std, pre_std,
    saturated."""
    seeds = _seeds(seeds)
    for scheme in schemes:
        _check_scheme(scheme)
    _check_shape(depth, width)
    X = ds.X_train[:n_samples]
    check_work(signal_work(len(X), X.shape[1], len(activations) * len(schemes) * len(seeds), depth, width),
               f"Tracing {len(X):,} rows through {len(activations) * len(schemes) * len(seeds)} networks of "
               f"{depth} × {width} units", "choose fewer activations, inits or seeds, fewer or narrower layers, "
               "or fewer rows")
    rows = []
    for activation in activations:
        for scheme in schemes:
            for seed in seeds:
                net = signal_network(X.shape[1], activation, scheme, depth, width, seed)
                rows += [(activation, scheme, seed, *r) for r in _profile_rows(net, X)]
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS)


def signal_histograms(ds, activation: str, scheme: str, depth: int = 10, width: int = 100, seed: int = 0,
                      n_samples: int = 256, bins: int = 40, layers: Iterable[int] | None = None,
                      value_range: tuple[float, float] | None = None) -> pd.DataFrame:
    """Histograms of the hidden outputs of one network at init, per layer (``core.lab.neurons.activation_histograms``:
    layer, bin_start, bin_end, count, share), with activation and init columns. ``value_range`` fixes one range for
    every layer (e.g. (-1, 1) for tanh, so the layers compare bar for bar); by default each layer spans its values."""
    X = ds.X_train[:n_samples]
    check_work(signal_work(len(X), X.shape[1], 1, depth, width), f"Tracing {len(X):,} rows through {depth} × "
               f"{width} units", "choose fewer or narrower layers, or fewer rows")
    net = signal_network(X.shape[1], activation, scheme, depth, width, seed)
    ranges = None if value_range is None else [tuple(value_range)] * int(depth)
    frame = activation_histograms(net, X, bins=bins, value_ranges=ranges, layers=layers)
    frame.insert(0, "init", scheme)
    frame.insert(0, "activation", activation)
    return frame


def end_values(frame: pd.DataFrame, layers: Sequence[int] = (10, 30)) -> pd.DataFrame:
    """From ``signal_frame``: the mean over seeds of each layer's std, one row per (activation, init), one column
    per requested layer (e.g. the values at depth 10 and 30)."""
    picked = frame[frame["layer"].isin(layers)]
    return picked.pivot_table(index=["activation", "init"], columns="layer", values="std", aggfunc="mean")


# --- zero init: symmetry that training never breaks ------------------------------------------------------------


def _distinct(vectors: np.ndarray, tolerance: float) -> int:
    """How many different rows: a row joins the first representative within ``tolerance`` (max abs difference)."""
    representatives: list[np.ndarray] = []
    for v in vectors:
        if not any(np.abs(v - r).max() <= tolerance for r in representatives):
            representatives.append(v)
    return len(representatives)


def unit_symmetry(model: MLP, relative_tolerance: float = 1e-6) -> pd.DataFrame:
    """Per hidden layer: units, and how many distinct incoming weight vectors (weights and bias) its units have.

    ``distinct_exact`` counts bit-identical vectors; ``distinct_units`` counts vectors further apart than
    ``relative_tolerance`` times the layer's largest |parameter| (float32 rounding can split identical units by an
    ulp); ``spread`` is the largest |w_j - w_1| over units j and entries, over that largest |parameter| (0 when all
    are 0)."""
    rows = []
    for layer, (W, b) in enumerate(zip(model.weights[:-1], model.biases[:-1], strict=True), start=1):
        vectors = np.vstack([W, b[None, :]]).T.astype(np.float64)
        scale = float(np.abs(vectors).max())
        spread = float(np.abs(vectors - vectors[:1]).max()) / scale if scale > 0 else 0.0
        rows.append((layer, len(vectors), _distinct(vectors, relative_tolerance * scale),
                     len(np.unique(vectors, axis=0)), spread))
    return pd.DataFrame(rows, columns=["layer", "units", "distinct_units", "distinct_exact", "spread"])


def zero_init_symmetry(ds, activation: str = "sigmoid", hidden_layers: Sequence[int] = (32, 32, 32),
                       epochs: int = 5, learning_rate: float = 0.1, batch_size: int = 32, seed: int = 0,
                       inits: Sequence[str] = ("zero",), dtype: str = "float64") -> pd.DataFrame:
    """Train networks from each init of ``inits`` (e.g. "zero" and a control such as "small") side by side via
    ``core.engine.training.train_many`` and report ``unit_symmetry`` at every epoch (0 = at init).

    With every weight 0, all units of a layer compute the same function, receive the same gradient and take the
    same step, so they stay identical for ever: one distinct unit per layer at every epoch. For tanh and ReLU
    (f(0) = 0) the hidden outputs are all 0, so no weight receives any gradient and nothing but the output biases
    moves; for sigmoid (f(0) = 0.5) the weights move, in lockstep. Columns: init, epoch, layer, units,
    distinct_units, distinct_exact, spread."""
    configs = [TrainConfig(activation=activation, hidden_layers=tuple(hidden_layers), epochs=epochs,
                           learning_rate=learning_rate, batch_size=batch_size, init=init, seed=seed, dtype=dtype)
               for init in inits]
    check_epoch_work(ds, configs)
    check_work(training_work(ds, configs), f"Training {len(configs)} network(s) of {len(hidden_layers)} hidden "
               f"layers for {epochs} epochs", "choose fewer epochs, fewer or narrower layers")
    trainer = train_many(ds, configs)
    frames = []
    for records in trainer:
        for record in records:
            frame = unit_symmetry(trainer.model(record.run))
            frame.insert(0, "epoch", record.epoch)
            frame.insert(0, "init", configs[record.run].init)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)[SYMMETRY_COLUMNS]
