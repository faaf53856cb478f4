"""What the hidden units of a network are doing: activation histograms, exact zeros, dead units, means.

Everything here reads a network (a ``core.engine.mlp.MLP``, e.g. ``MultiTrainer.model(run)``) on a data
set and returns a tidy DataFrame; layers are numbered 1.. like ``EpochRecord.sparsity``.

Definitions, the same as the training records use:

* an *exact zero* is an output equal to 0.0; a *near zero* is a non-zero output with |h| < 1e-3;
* a unit is *dead* on ``X`` when its output is exactly 0 for every row of ``X`` — for ReLU that
  means its pre-activation is <= 0 for every input, so ``relu'`` is 0 for every input and gradient
  descent never changes its incoming weights again;
* a unit has *no gradient* on ``X`` when ``f'(pre-activation)`` is exactly 0 for every row. For
  ReLU that is the same as dead; a saturated ELU, sigmoid or tanh can get there with a non-zero
  output once its pre-activation is so large that the derivative underflows to 0.

It also holds the page's one-click scenarios and the Monte Carlo estimate of how often a deep,
narrow ReLU network is dead at initialisation (Lu et al. 2019, "Dying ReLU and Initialization").

The heavy calls check their work first (``core.engine.training.check_work``): a request over ``MAX_WORK`` raises
a ValueError saying what it would cost and what to choose instead, before anything is computed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from core.engine.activations import relu
from core.engine.limits import check_work, dense_work
from core.engine.mlp import MLP, ActivationLayer, init_scale
from core.engine.training import check_epoch_work, network_work
from core.settings import NEURONS, Experiment

NEAR_ZERO = 1e-3
HISTOGRAM_COLUMNS = ["layer", "bin_start", "bin_end", "count", "share"]


def _hidden(model: MLP, X) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Pre-activations and outputs of every hidden layer; a blown-up network may overflow, by design."""
    with np.errstate(all="ignore"):
        zs, hs, _ = model.trace(X)
    return zs, hs


# --- histograms and zeros ------------------------------------------------------------------------
# Each public function traces the network once; the private ``_*_frame`` helpers work on a trace, so
# ``snapshot`` can build everything the page draws from one forward pass per network.


def _histogram(values: np.ndarray, bins: int, value_range: tuple[float, float] | None) -> pd.DataFrame:
    values = values[np.isfinite(values)]
    if value_range is None:
        if not values.size:
            return pd.DataFrame(columns=["bin_start", "bin_end", "count"])
        value_range = (float(values.min()), float(values.max()))
    low, high = value_range
    if not low < high:  # one value only: a unit-wide bin around it, as np.histogram does
        low, high = low - 0.5, high + 0.5
    with np.errstate(all="ignore"):  # a bin width near the float64 limit overflows harmlessly
        counts, edges = np.histogram(values, bins=bins, range=(low, high))
    return pd.DataFrame({"bin_start": edges[:-1], "bin_end": edges[1:], "count": counts})


def _histogram_frame(hs: list[np.ndarray], bins: int, value_ranges, layers: Iterable[int] | None) -> pd.DataFrame:
    frames = []
    for layer in layers if layers is not None else range(1, len(hs) + 1):
        h = hs[layer - 1]
        value_range = value_ranges[layer - 1] if value_ranges is not None else None
        frame = _histogram(h.ravel(), bins, value_range)
        frame.insert(0, "layer", layer)
        frame["share"] = frame["count"] / h.size
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[HISTOGRAM_COLUMNS].astype(
        {"layer": int, "bin_start": float, "bin_end": float, "count": int, "share": float})


def activation_histograms(model: MLP, X, bins: int = 40,
                          value_ranges: Sequence[tuple[float, float] | None] | None = None,
                          layers: Iterable[int] | None = None) -> pd.DataFrame:
    """Histogram of every hidden layer's outputs over ``X``: columns layer, bin_start, bin_end, count, share.

    Exact zeros are counted in the bin that holds 0, so each layer's counts add up to
    n_samples x units (outputs that are no longer finite are left out); ``share`` is count over
    that total. ``value_ranges`` fixes each layer's (low, high); by default it spans the layer's values.
    ``layers`` (numbered from 1) limits it to some layers.
    """
    return _histogram_frame(_hidden(model, X)[1], bins, value_ranges, layers)


def _finite_range(*arrays: np.ndarray) -> tuple[float, float] | None:
    finite = [a[np.isfinite(a)] for a in arrays]
    finite = [a for a in finite if a.size]
    if not finite:
        return None
    return float(min(a.min() for a in finite)), float(max(a.max() for a in finite))


def _before_after_frame(before: list[np.ndarray], after: list[np.ndarray], bins: int,
                        layers: Iterable[int] | None) -> pd.DataFrame:
    ranges = [_finite_range(a, b) for a, b in zip(before, after, strict=True)]
    layers = list(layers) if layers is not None else None
    return pd.concat([_histogram_frame(before, bins, ranges, layers).assign(when="at init"),
                      _histogram_frame(after, bins, ranges, layers).assign(when="now")], ignore_index=True)


def histograms_before_after(initial: MLP, current: MLP, X, bins: int = 40,
                            layers: Iterable[int] | None = None) -> pd.DataFrame:
    """``activation_histograms`` of the network at init and now, on shared bins per layer, with a ``when``
    column ("at init", "now"): the two histograms of a layer can be compared bar for bar."""
    return _before_after_frame(_hidden(initial, X)[1], _hidden(current, X)[1], bins, layers)


def _zero_frame(hs: list[np.ndarray]) -> pd.DataFrame:
    rows = []
    for layer, h in enumerate(hs, start=1):
        magnitude = np.abs(h)
        rows.append({"layer": layer, "exact_zeros": int((h == 0).sum()),
                     "near_zeros": int(((magnitude > 0) & (magnitude < NEAR_ZERO)).sum()), "total": int(h.size)})
    return pd.DataFrame(rows, columns=["layer", "exact_zeros", "near_zeros", "total"])


def zero_counts(model: MLP, X) -> pd.DataFrame:
    """Per hidden layer: exact zeros, near zeros (0 < |h| < 1e-3, counted apart from exact ones) and the total."""
    return _zero_frame(_hidden(model, X)[1])


# --- dead units and means ------------------------------------------------------------------------


def _derivative(layer, z: np.ndarray) -> np.ndarray:
    if isinstance(layer, ActivationLayer):
        with np.errstate(all="ignore"):
            return layer.activation.derivative(z)
    return np.ones_like(z)  # maxout: the gradient always reaches the winning piece


def _dead_frame(model: MLP, zs: list[np.ndarray], hs: list[np.ndarray]) -> pd.DataFrame:
    frames = []
    for layer, (z, h, kind) in enumerate(zip(zs, hs, model.layers, strict=True), start=1):
        active = (h != 0).mean(axis=0)
        gradient = (_derivative(kind, z) != 0).mean(axis=0) if kind.pieces == 1 else np.ones(h.shape[1])
        frames.append(pd.DataFrame({"layer": layer, "unit": np.arange(1, h.shape[1] + 1), "dead": active == 0,
                                    "active_share": active, "gradient_share": gradient,
                                    "no_gradient": gradient == 0}))
    return pd.concat(frames, ignore_index=True)


def dead_map(model: MLP, X) -> pd.DataFrame:
    """One row per hidden unit: layer, unit, dead, active_share, gradient_share, no_gradient.

    ``dead``: the output is exactly 0 for every row of X (``EpochRecord.dead_fraction`` is the
    mean of this per layer). ``active_share``: the share of rows where the output is non-zero.
    ``gradient_share``: the share of rows where f'(pre-activation) != 0; ``no_gradient`` when it is 0.
    """
    return _dead_frame(model, *_hidden(model, X))


def _mean_frame(hs: list[np.ndarray]) -> pd.DataFrame:
    with np.errstate(all="ignore"):
        means = [float(h.mean(dtype=np.float64)) for h in hs]
    return pd.DataFrame({"layer": np.arange(1, len(hs) + 1), "mean": means})


def mean_activation(model: MLP, X) -> pd.DataFrame:
    """Mean output of each hidden layer over X and its units: positive for ReLU, about 0 for tanh."""
    return _mean_frame(_hidden(model, X)[1])


def snapshot(initial: MLP, current: MLP, X, bins: int = 40,
             histogram_layers: Iterable[int] | None = None) -> dict[str, pd.DataFrame]:
    """Everything above for one network at init and now, from one forward pass each.

    Keys: ``histograms`` (``histograms_before_after``), ``zeros`` and ``means`` (with a ``when``
    column), ``units`` and ``units_init`` (``dead_map`` now and at init).
    """
    check_work(len(X) * (network_work(initial) + network_work(current)),
               f"Tracing two networks of {len(initial.layers)} hidden layers over {len(X):,} rows",
               "choose fewer or narrower layers, or fewer samples")
    zs_before, hs_before = _hidden(initial, X)
    zs_after, hs_after = _hidden(current, X)
    return {
        "histograms": _before_after_frame(hs_before, hs_after, bins, histogram_layers),
        "zeros": pd.concat([_zero_frame(hs_before).assign(when="at init"), _zero_frame(hs_after).assign(when="now")],
                           ignore_index=True),
        "means": pd.concat([_mean_frame(hs_before).assign(when="at init"), _mean_frame(hs_after).assign(when="now")],
                           ignore_index=True),
        "units": _dead_frame(current, zs_after, hs_after),
        "units_init": _dead_frame(initial, zs_before, hs_before),
    }


def check_experiment(experiment: Experiment, ds) -> float:
    """The work of one epoch of ``experiment`` on ``ds`` (core.engine.training.check_epoch_work, which every
    train_many also checks), or a ValueError when it is over MAX_WORK: the page asks before building a run."""
    return check_epoch_work(ds, experiment.configs())


# --- one-click scenarios -------------------------------------------------------------------------

SCENARIO_ACTIVATIONS = NEURONS["activations"].default  # the page's own default trio: ReLU, Leaky ReLU, ELU

# What these scenarios do is measured, not assumed: the Neurons page trains them live and states what the run shows
# (dead_units_verdict), and tests/lab/test_neurons.py checks their direction (ReLU loses units and stays dead,
# Leaky ReLU keeps all of its units and learns). The learning rate is 3 rather than the 20 write-ups often quote:
# at 20 no activation learns here (the run teaches the learning rate, not the activation). At 3, ReLU ends with most
# of its units dead and at chance, while Leaky ReLU learns: here dead units cost accuracy; Lessons' lesson 5 runs a
# learning rate (2) where they do not.
SCENARIOS: dict[str, Experiment] = {
    "Large negative bias": Experiment(
        dataset="moons", n_samples=500, noise=0.2, test_size=0.25, activations=SCENARIO_ACTIVATIONS,
        hidden_layers=(16, 16), init="he", bias_init=-3.0, optimizer="sgd", learning_rate=1.0, batch_size=32,
        epochs=200, seeds=1, first_seed=0),
    "Excessive learning rate": Experiment(
        dataset="moons", n_samples=500, noise=0.2, test_size=0.25, activations=SCENARIO_ACTIVATIONS,
        hidden_layers=(16, 16), init="he", bias_init=0.0, optimizer="sgd", learning_rate=3.0, batch_size=32,
        epochs=100, seeds=1, first_seed=0),
}


def dead_units_verdict(label: str, dead: int, dead_at_init: int, accuracy: float, best_label: str,
                       best_accuracy: float, margin: float = 0.02) -> str | None:
    """One sentence on whether the units an activation lost in training cost it accuracy, against the best
    activation of the same run (same data, draws and batches), or None when it lost none. Within ``margin`` of the
    best counts as no cost: dead units do not always mean worse accuracy, on easy data the units left can do."""
    lost = dead - dead_at_init
    if lost <= 0 or not np.isfinite(accuracy):
        return None
    units = "unit" if lost == 1 else "units"
    if best_label == label or accuracy >= best_accuracy - margin:
        return (f"{label} lost {lost} {units} in training and still scores {accuracy:.1%}: dead units do not always "
                "cost accuracy; on easy data the units left can be enough.")
    return (f"{label} lost {lost} {units} in training and scores {accuracy:.1%}, against {best_label}'s "
            f"{best_accuracy:.1%} on the same data, draws and batches: here the dead units cost it (they do not "
            "always: on easy data the units left can be enough).")


# --- dying at init: Monte Carlo ------------------------------------------------------------------


def dying_at_init(widths: Iterable[int] = (2, 3, 4), depths: Iterable[int] = range(1, 31), n_seeds: int = 2000,
                  n_samples: int = 200, n_features: int = 2, seed: int = 0,
                  progress: Callable[[int, int], object] | None = None) -> pd.DataFrame:
    """Share of freshly initialised ReLU networks whose output is constant over the data, by width and depth.

    Setting (as in Lu et al. 2019): He-normal weights (std sqrt(2 / fan_in)), zero biases, ``depth``
    hidden ReLU layers of ``width`` units on ``n_samples`` standard-normal inputs of ``n_features``
    dimensions (what standardised data looks like). A network is *collapsed* when its last hidden
    layer's output is identical for every input, so whatever the output layer, it predicts the same
    thing everywhere. With zero biases that happens when some layer is entirely dead (0 for every input).

    A collapsed layer makes every later layer constant too, so a network of depth d is collapsed
    exactly when the first d layers of a deeper one with the same draws are: one pass through the
    deepest network per seed gives the whole curve. Seeds are a leading array axis.

    ``progress(done, total)`` is called after each layer drawn, of ``total`` = widths x greatest depth (the layers
    a width no longer needs, once all its networks have collapsed, count as done).

    Returns columns width, depth, share_collapsed, n_seeds.
    """
    depths = sorted({int(d) for d in depths})
    widths = [int(w) for w in widths]
    if not depths or depths[0] < 1:
        raise ValueError("depths must be whole numbers >= 1.")
    if not widths or min(widths) < 1:
        raise ValueError("widths must be whole numbers >= 1.")
    if n_seeds < 1 or n_samples < 2 or n_features < 1:
        raise ValueError("n_seeds >= 1, n_samples >= 2 and n_features >= 1 are needed.")
    # every network at the greatest depth, none collapsing early (an upper bound); no output layer (size 0)
    work = sum(n_seeds * n_samples * dense_work([n_features, *[w] * depths[-1], 0]) for w in widths)
    check_work(work, f"Drawing {n_seeds:,} networks of up to {depths[-1]} layers for {len(widths)} width"
               f"{'s' if len(widths) > 1 else ''} on {n_samples:,} inputs",
               "choose fewer networks, fewer or narrower layers, or fewer inputs")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    rows, total = [], len(widths) * depths[-1]
    for position, width in enumerate(widths):
        collapsed_at = np.full(n_seeds, np.inf)  # the first depth at which each network is constant
        live = np.arange(n_seeds)  # networks not collapsed yet; the collapsed stay so
        h = np.broadcast_to(X, (n_seeds, n_samples, n_features))
        for depth in range(1, depths[-1] + 1):
            fan_in = h.shape[-1]
            W = rng.standard_normal((n_seeds, fan_in, width))[live] * init_scale("he", fan_in, width)
            h = relu(h @ W)
            constant = (h == h[:, :1, :]).all(axis=(1, 2))
            collapsed_at[live[constant]] = depth
            live, h = live[~constant], h[~constant]
            if progress is not None:
                progress(position * depths[-1] + (depth if live.size else depths[-1]), total)
            if not live.size:
                break
        for depth in depths:
            rows.append({"width": width, "depth": depth, "share_collapsed": float((collapsed_at <= depth).mean()),
                         "n_seeds": n_seeds})
    return pd.DataFrame(rows, columns=["width", "depth", "share_collapsed", "n_seeds"])
