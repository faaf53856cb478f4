"""The maths behind the Activation Explorer: curves, where they saturate, and a batch's response.

numpy and pandas only. Every function returns plain data (tidy, long-form DataFrames or lists), so
pages only lay it out and chart builders only draw it.

``params`` arguments map an activation name to its parameters, e.g. ``{"leaky_relu": {"alpha": 0.1}}``;
names without an entry use the registry's defaults.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.engine.activations import Activation, get_activation

FUNCTION = "f(x)"
DERIVATIVE = "f′(x)"
SATURATION_THRESHOLD = 0.01
# Where saturation is described in words: wide enough that every registry function has settled.
SATURATION_WINDOW = (-20.0, 20.0)

Params = Mapping[str, Mapping[str, float]] | None


def bound_activation(name: str, params: Params = None) -> Activation:
    """The registry entry ``name`` with its parameters from ``params`` bound."""
    return get_activation(name, **dict((params or {}).get(name, {})))


def is_saturating(name: str) -> bool:
    """True when the registry says |f′(x)| reaches or tends to 0 on at least one side (ReLU, sigmoid, tanh, ELU...)."""
    return not bound_activation(name).saturating.startswith("no")


def _check_range(x_min: float, x_max: float) -> None:
    if not (math.isfinite(x_min) and math.isfinite(x_max)) or x_min >= x_max:
        raise ValueError(f"Need finite x_min < x_max, got x_min={x_min}, x_max={x_max}.")


def _grid(x_min: float, x_max: float, n: int) -> np.ndarray:
    """An even float64 grid that also holds x = 0 when 0 is inside, so f′(0)'s convention is drawn."""
    _check_range(x_min, x_max)
    if n < 2:
        raise ValueError(f"Need at least 2 grid points, got n={n}.")
    x = np.linspace(x_min, x_max, int(n))
    if x_min < 0 < x_max:
        x = np.union1d(x, [0.0])
    return x


def _pieces(values: np.ndarray) -> np.ndarray:
    """Number each continuous stretch of a sampled curve, so a chart does not draw a jump as a slope.

    A step is a jump when it is large against the curve's span and far larger than both neighbouring
    steps: ReLU's derivative jumps 0 -> 1 at 0; a smooth curve on a coarse grid changes gradually.
    """
    steps = np.abs(np.diff(values))
    span = float(np.ptp(values)) if values.size else 0.0
    if span == 0.0 or steps.size == 0:
        return np.zeros(values.size, dtype=np.int64)
    padded = np.concatenate(([0.0], steps, [0.0]))
    neighbours = np.maximum(padded[:-2], padded[2:])
    jumps = (steps > 0.05 * span) & (steps > 4.0 * neighbours)
    return np.concatenate(([0], np.cumsum(jumps)))


def curves(
    names: Iterable[str],
    x_min: float = -10.0,
    x_max: float = 10.0,
    n: int = 801,
    params: Params = None,
) -> pd.DataFrame:
    """f(x) and f′(x) on an even grid, long form.

    Columns: activation (registry name), x, function ("f(x)" or "f′(x)"), value, and piece (numbers
    the continuous stretches of each curve; ReLU's derivative has two, split at its jump at 0).
    """
    x = _grid(x_min, x_max, n)
    frames = []
    for name in names:
        activation = bound_activation(name, params)
        for function, values in ((FUNCTION, activation.forward(x)), (DERIVATIVE, activation.derivative(x))):
            frames.append(
                pd.DataFrame(
                    {
                        "activation": name,
                        "x": x,
                        "function": function,
                        "value": values,
                        "piece": _pieces(values),
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=["activation", "x", "function", "value", "piece"])
    return pd.concat(frames, ignore_index=True)


def saturation_intervals(
    name: str,
    threshold: float = SATURATION_THRESHOLD,
    x_min: float = -10.0,
    x_max: float = 10.0,
    n: int = 20_001,
    **params: float,
) -> list[tuple[float, float]]:
    """The stretches of [x_min, x_max] where |f′(x)| < threshold, as (start, end) pairs.

    Found on a fine grid, then each boundary inside the window is refined by bisection to ~1e-10, so
    sigmoid with threshold 0.01 gives (x_min, -4.5951...) and (4.5951..., x_max). A stretch that runs
    past the window ends at the window's edge.
    """
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold}.")
    activation = get_activation(name, **params)

    def small(points: np.ndarray) -> np.ndarray:
        return np.abs(activation.derivative(points)) < threshold

    x = _grid(x_min, x_max, n)
    inside = small(x)
    # Runs of saturated grid points: +1 where a run starts, -1 just after it ends.
    flips = np.diff(np.concatenate(([0], inside.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(flips == 1), np.flatnonzero(flips == -1) - 1

    def boundary(inner: float, outer: float) -> float:
        # Bisection between a saturated point and a neighbour that is not: keep the saturated side.
        for _ in range(80):
            middle = 0.5 * (inner + outer)
            if middle in (inner, outer) or abs(outer - inner) < 1e-10:
                break
            if small(np.array([middle]))[0]:
                inner = middle
            else:
                outer = middle
        return inner

    intervals = []
    for start, end in zip(starts, ends, strict=True):
        left = float(x[0]) if start == 0 else boundary(x[start], x[start - 1])
        right = float(x[-1]) if end == x.size - 1 else boundary(x[end], x[end + 1])
        intervals.append((float(left), float(right)))
    return intervals


def saturation_bands(
    names: Iterable[str],
    threshold: float = SATURATION_THRESHOLD,
    x_min: float = -10.0,
    x_max: float = 10.0,
    params: Params = None,
) -> pd.DataFrame:
    """Where each saturating activation has |f′(x)| < threshold, for shading a chart.

    Only activations the registry calls saturating get bands: sigmoid and tanh on both sides, the soft left-side
    ones (ELU, GELU, SiLU, softplus) and ReLU, whose saturation on the left is hard (f′ = 0 exactly for x ≤ 0, by the
    f′(0) = 0 convention). Leaky ReLU and linear never saturate. Columns: activation, start, end.
    """
    rows = [
        {"activation": name, "start": start, "end": end}
        for name in names
        if is_saturating(name)
        for start, end in saturation_intervals(name, threshold, x_min, x_max, **dict((params or {}).get(name, {})))
    ]
    return pd.DataFrame(rows, columns=["activation", "start", "end"])


def derivative_peak(
    name: str,
    x_min: float = SATURATION_WINDOW[0],
    x_max: float = SATURATION_WINDOW[1],
    n: int = 40_001,
    **params: float,
) -> float:
    """max |f′(x)| over the window (sigmoid: 0.25 at x = 0; tanh: 1)."""
    activation = get_activation(name, **params)
    return float(np.max(np.abs(activation.derivative(_grid(x_min, x_max, n)))))


@dataclass(frozen=True)
class BatchResponse:
    """What one batch of N(0, σ²) pre-activations turns into.

    summary: one row per activation — sparsity (fraction of outputs exactly 0), near_zero_gradient
        (fraction with |f′(x)| < threshold), zero_gradient (fraction with f′(x) exactly 0), mean and
        std of the outputs.
    histogram: the outputs binned per activation over that activation's own output span — columns
        activation, bin_start, bin_end, count, fraction (count / batch size).
    """

    summary: pd.DataFrame
    histogram: pd.DataFrame


def batch_response(
    names: Iterable[str],
    sigma: float = 1.0,
    n: int = 100_000,
    seed: int = 0,
    threshold: float = SATURATION_THRESHOLD,
    bins: int = 60,
    params: Params = None,
) -> BatchResponse:
    """Feed the same float64 batch x ~ N(0, σ²) through each activation and measure the outputs."""
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a finite number > 0, got {sigma}.")
    if n < 1 or bins < 1:
        raise ValueError(f"Need n >= 1 and bins >= 1, got n={n}, bins={bins}.")
    x = np.random.default_rng(seed).standard_normal(int(n)) * float(sigma)
    summaries, histograms = [], []
    for name in names:
        activation = bound_activation(name, params)
        outputs = activation.forward(x)
        gradients = activation.derivative(x)
        summaries.append(
            {
                "activation": name,
                "sigma": float(sigma),
                "sparsity": float(np.mean(outputs == 0)),
                "near_zero_gradient": float(np.mean(np.abs(gradients) < threshold)),
                "zero_gradient": float(np.mean(gradients == 0)),
                "mean": float(np.mean(outputs)),
                "std": float(np.std(outputs)),
            }
        )
        low, high = float(outputs.min()), float(outputs.max())
        if high - low < 1e-12:
            low, high = low - 0.5, high + 0.5
        counts, edges = np.histogram(outputs, bins=int(bins), range=(low, high))
        histograms.append(
            pd.DataFrame(
                {
                    "activation": name,
                    "bin_start": edges[:-1],
                    "bin_end": edges[1:],
                    "count": counts,
                    "fraction": counts / x.size,
                }
            )
        )
    summary_columns = ["activation", "sigma", "sparsity", "near_zero_gradient", "zero_gradient", "mean", "std"]
    histogram_columns = ["activation", "bin_start", "bin_end", "count", "fraction"]
    return BatchResponse(
        summary=pd.DataFrame(summaries, columns=summary_columns),
        histogram=(pd.concat(histograms, ignore_index=True) if histograms else pd.DataFrame(columns=histogram_columns)),
    )
