"""A micro-benchmark of activation functions: forward and backward cost, relative to ReLU.

Backward is timed the way ``core.mlp`` backprop does it: the forward output is already known, so
the cost is f′ (from the output where that is cheaper) times the upstream gradient.
Timings are medians of several runs after a warm-up call; they vary by machine and load, so read
them as ratios, not absolutes.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from core.activations import ACTIVATIONS, get_activation

REFERENCE = "relu"


def _median_seconds(work: Callable[[], object], repeats: int) -> float:
    work()  # warm-up: first-touch page faults and lazy imports are not the function's cost
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def time_activation(
    name: str,
    size: int = 1_000_000,
    dtype=np.float32,
    repeats: int = 7,
    seed: int = 0,
    **params: float,
) -> dict[str, float]:
    """Median seconds for one forward pass and one backward pass over ``size`` N(0, 1) inputs.

    Returns ``{"forward": seconds, "backward": seconds}``.
    """
    if size < 1 or repeats < 1:
        raise ValueError(f"Need size >= 1 and repeats >= 1, got size={size}, repeats={repeats}.")
    activation = get_activation(name, **params)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(int(size)).astype(dtype)
    upstream = rng.standard_normal(int(size)).astype(dtype)
    outputs = activation.forward(x)
    return {
        "forward": _median_seconds(lambda: activation.forward(x), repeats),
        "backward": _median_seconds(lambda: upstream * activation.derivative_given_output(x, outputs), repeats),
    }


def relative_costs(
    names: Iterable[str] | None = None,
    size: int = 1_000_000,
    dtype=np.float32,
    repeats: int = 5,
) -> pd.DataFrame:
    """Forward and backward time of each activation (registry defaults), and the ratio to ReLU's.

    ReLU is always measured, as the reference, even when it is not among ``names``.
    Columns: activation, forward_s, backward_s, forward_rel, backward_rel (ReLU = 1.0).
    """
    names = list(ACTIVATIONS if names is None else names)
    timings = {name: time_activation(name, size, dtype, repeats) for name in dict.fromkeys([REFERENCE, *names])}
    reference = timings[REFERENCE]
    return pd.DataFrame(
        [
            {
                "activation": name,
                "forward_s": timings[name]["forward"],
                "backward_s": timings[name]["backward"],
                "forward_rel": timings[name]["forward"] / reference["forward"],
                "backward_rel": timings[name]["backward"] / reference["backward"],
            }
            for name in names
        ],
        columns=["activation", "forward_s", "backward_s", "forward_rel", "backward_rel"],
    )
