"""What activations cost: each alone (a micro-benchmark, over array sizes and dtypes) and inside a whole network.

``time_activation`` times one forward and one backward pass of an activation alone. Backward is timed the way
backprop does it: the forward output is already known, so the cost is f′ (from the output where that is cheaper)
times the upstream gradient. ``relative_costs`` and ``sweep_sizes`` turn those timings into ratios to ReLU's.
``network_epoch_costs`` times a whole training epoch of a small network per activation: the matrix products, the
loss, the optimiser's update and Python's per-batch work are the same for every activation, so the activation's own
cost is diluted. Timings are medians of several runs after a warm-up call; they vary by machine and load, so read
them as ratios measured in the same call, not as absolutes.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_info

from core.engine.activations import ACTIVATIONS, get_activation
from core.engine.training import TrainConfig, train
from core.io.history import with_labels

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

Progress = Callable[[int, int], object]  # progress(done, total)

SWEEP_COLUMNS = ["activation", "size", "dtype", "pass", "seconds", "relative_to_relu"]
NETWORK_COLUMNS = ["activation", "seconds_per_epoch", "relative_to_relu"]
DEFAULT_SIZES = (1e3, 1e4, 1e5, 1e6, 1e7)
PASSES = ("forward", "backward")
SMALL_WORK = 100_000
MAX_SMALL_REPEATS = 200


def _with_reference(names: Sequence[str]) -> list[str]:
    """ReLU first (the reference is always measured), then the others once each."""
    return list(dict.fromkeys([REFERENCE, *names]))


def repeats_for(size: int, repeats: int) -> int:
    """More repeats for small arrays (up to ``MAX_SMALL_REPEATS``), so that each median spans enough work
    for one interruption by the OS not to move it; ``repeats`` from ``SMALL_WORK`` elements up."""
    return max(repeats, min(MAX_SMALL_REPEATS, repeats * SMALL_WORK // max(int(size), 1)))


def sweep_sizes(names: Sequence[str], sizes: Sequence[float] = DEFAULT_SIZES,
                dtypes: Sequence = (np.float32, np.float64), repeats: int = 5,
                progress: Progress | None = None) -> pd.DataFrame:
    """Median forward and backward seconds of each activation alone, per array size and dtype.

    Each timing is the median of ``repeats`` runs, or of more for small arrays (``repeats_for``).
    ReLU is measured as the reference even when it is not in ``names``; ``relative_to_relu`` is the
    time over ReLU's for the same size, dtype and pass. ``progress(done, total)`` is called after
    each (activation, size, dtype) measurement.
    Columns: activation (key), label, size, dtype ("float32"/"float64"), pass ("forward"/"backward"),
    seconds, relative_to_relu.
    """
    measured = _with_reference(names)
    jobs = [(np.dtype(dtype), int(size), name) for dtype in dtypes for size in sizes for name in measured]
    timings = {}
    for done, (dtype, size, name) in enumerate(jobs, start=1):
        timings[dtype.name, size, name] = time_activation(name, size, dtype, repeats_for(size, repeats))
        if progress is not None:
            progress(done, len(jobs))
    rows = []
    for dtype, size, name in jobs:
        if name not in names:
            continue
        for pass_ in PASSES:
            seconds = timings[dtype.name, size, name][pass_]
            reference = timings[dtype.name, size, REFERENCE][pass_]
            rows.append((name, size, dtype.name, pass_, seconds, seconds / reference))
    return with_labels(pd.DataFrame(rows, columns=SWEEP_COLUMNS))


def network_epoch_costs(ds, activations: Sequence[str], hidden: Sequence[int], batch_size: int, epochs: int = 3,
                        repeats: int = 3, learning_rate: float = 0.01,
                        progress: Progress | None = None) -> pd.DataFrame:
    """Median wall time of one training epoch of a whole network, per activation, and its ratio to ReLU's.

    Each repeat trains a fresh network per activation for ``epochs`` epochs (plain SGD, "auto" init),
    activations interleaved so that drifts in machine load hit them alike; the median is over every
    epoch of every repeat. The time is ``EpochRecord.epoch_seconds``: the mini-batch passes only,
    not the per-epoch measurements. ReLU is measured as the reference even when not in ``activations``.
    Columns: activation (key), label, seconds_per_epoch, relative_to_relu.
    """
    measured = _with_reference(activations)
    seconds: dict[str, list[float]] = {name: [] for name in measured}
    total = repeats * len(measured)

    def config(name: str, seed: int, n_epochs: int) -> TrainConfig:
        return TrainConfig(activation=name, hidden_layers=tuple(hidden), epochs=n_epochs, batch_size=batch_size,
                           learning_rate=learning_rate, init="auto", seed=seed)

    for _ in train(ds, config(REFERENCE, 0, 1)):  # warm-up: BLAS threads and caches, not any activation's cost
        pass
    for repeat in range(repeats):
        shift = repeat % len(measured)  # a different activation goes first each repeat
        for i, name in enumerate(measured[shift:] + measured[:shift]):
            seconds[name] += [record.epoch_seconds for record in train(ds, config(name, repeat, epochs))
                              if record.epoch > 0]
            if progress is not None:
                progress(repeat * len(measured) + i + 1, total)
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    return with_labels(pd.DataFrame(
        [(name, medians[name], medians[name] / medians[REFERENCE]) for name in activations],
        columns=NETWORK_COLUMNS,
    ))


def machine_info() -> dict:
    """Where the timings were taken: CPU cores, numpy's version and its BLAS (name, version, threads)."""
    blas = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
    # scipy may load a BLAS of its own; numpy's is the one every matrix product here goes through.
    blas.sort(key=lambda pool: "numpy" not in str(pool.get("filepath", "")))
    info = {"cores": os.cpu_count() or 0, "numpy": np.__version__, "blas": None, "blas_version": None,
            "blas_threads": None}
    if blas:
        info.update(blas=blas[0].get("internal_api"), blas_version=blas[0].get("version"),
                    blas_threads=blas[0].get("num_threads"))
    return info
