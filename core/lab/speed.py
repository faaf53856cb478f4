"""What activations cost: each alone (a micro-benchmark, over array sizes and dtypes) and inside a whole network.

``time_activation`` times one forward and one backward pass of an activation alone. Backward is timed the way
backprop does it: the forward output is already known, so the cost is f′ (from the output where that is cheaper)
times the upstream gradient. ``relative_costs`` and ``sweep_sizes`` turn those timings into ratios to ReLU's.
``network_epoch_costs`` times a whole training epoch of a small network per activation: the matrix products, the
loss, the optimiser's update and Python's per-batch work are the same for every activation, so the activation's own
cost is diluted. Timings are medians of several runs after a warm-up call (``sweep_sizes`` and
``network_epoch_costs`` count this thread's CPU time, which leaves out waiting for a core on a shared machine);
they vary by machine and load, so read them as ratios measured in the same call, not as absolutes.
``sweep_sizes`` and ``network_epoch_costs`` also give each ratio's spread over repeats (min and max of the
per-repeat ratios), and ``verdict`` judges a ratio by that whole spread, so that a conclusion drawn from it does
not flip with the noise.
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
from core.engine.training import TrainConfig, train, train_many
from core.io.history import with_labels

REFERENCE = "relu"


def _cpu_seconds(work: Callable[[], object], calls: int) -> tuple[float, object]:
    """CPU seconds of this thread per call, over ``calls`` calls of ``work``, and what the last call returned.

    CPU time leaves out the time this thread waits for a core on a shared machine, which wall time counts; the
    clock is read once for all the calls, as reading it costs about as much as a call on a tiny array."""
    result = None
    start = time.thread_time()
    for _ in range(calls):
        result = work()
    return (time.thread_time() - start) / calls, result


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

SWEEP_COLUMNS = ["activation", "size", "dtype", "pass", "seconds", "relative_to_relu", "low", "high", "repeats"]
NETWORK_COLUMNS = ["activation", "seconds_per_epoch", "relative_to_relu", "low", "high", "repeats"]
DEFAULT_SIZES = (1e3, 1e4, 1e5, 1e6, 1e7)
PASSES = ("forward", "backward")
SMALL_WORK = 100_000
MAX_SMALL_REPEATS = 200
CLOSE_TO_RELU = 1.25  # "about as costly as ReLU": a ratio between 1 / 1.25 = 0.8 and 1.25


def _with_reference(names: Sequence[str]) -> list[str]:
    """ReLU first (the reference is always measured), then the others once each."""
    return list(dict.fromkeys([REFERENCE, *names]))


def _rotated(names: list[str], repeat: int) -> list[str]:
    """A different name goes first each repeat, so that drifts in the machine's load hit them alike."""
    shift = repeat % len(names)
    return names[shift:] + names[:shift]


def _spread(ratios: Sequence[float]) -> tuple[float, float, float, int]:
    """Median, min and max of per-repeat ratios, and how many repeats they are."""
    return statistics.median(ratios), min(ratios), max(ratios), len(ratios)


def repeats_for(size: int, repeats: int) -> int:
    """More repeats for small arrays (up to ``MAX_SMALL_REPEATS``), so that each median spans enough work
    for one interruption by the OS not to move it; ``repeats`` from ``SMALL_WORK`` elements up."""
    return max(repeats, min(MAX_SMALL_REPEATS, repeats * SMALL_WORK // max(int(size), 1)))


def _case_seconds(activations: dict, x: np.ndarray, upstream: np.ndarray, repeats: int, calls: int,
                  progress: Progress | None) -> dict[tuple[str, str], list[float]]:
    """Per (activation, pass): its CPU seconds per call in each repeat, on the inputs ``x`` (``sweep_sizes``)."""
    for activation in activations.values():  # warm-up: first-touch page faults and lazy imports
        upstream * activation.derivative_given_output(x, activation.forward(x))
    seconds: dict[tuple[str, str], list[float]] = {(n, p): [] for n in activations for p in PASSES}
    done = 0
    for repeat in range(repeats):
        for name in _rotated(list(activations), repeat):
            activation = activations[name]
            forward, outputs = _cpu_seconds(lambda a=activation: a.forward(x), calls)
            backward, _ = _cpu_seconds(lambda a=activation, out=outputs: upstream * a.derivative_given_output(x, out),
                                       calls)
            seconds[name, "forward"].append(forward)
            seconds[name, "backward"].append(backward)
            done += 1
            if progress is not None:
                progress(done, repeats * len(activations))
    return seconds


def sweep_sizes(names: Sequence[str], sizes: Sequence[float] = DEFAULT_SIZES,
                dtypes: Sequence = (np.float32, np.float64), repeats: int = 5,
                progress: Progress | None = None) -> pd.DataFrame:
    """Forward and backward CPU seconds of each activation alone, per array size and dtype, with the ratio to ReLU's
    and its spread over ``repeats`` repeats.

    Every activation, ReLU included, sees the same N(0, 1) inputs. Each repeat times every activation once, in
    an order that rotates from repeat to repeat; one activation's timing in a repeat is the mean CPU time of
    ``repeats_for(size, repeats) // repeats`` calls (many on small arrays, one on large; ``_cpu_seconds``), after
    one untimed warm-up call per activation. A repeat's ratio is the activation's time over ReLU's in the same repeat:
    ``relative_to_relu`` is the median of those ratios, ``low`` and ``high`` their min and max (equal with one
    repeat), ``seconds`` the median of the repeats' timings. ReLU is measured as the reference even when it
    is not in ``names``. ``progress(done, total)`` is called after each timing of one activation in one repeat.
    Columns: activation (key), label, size, dtype ("float32"/"float64"), pass ("forward"/"backward"),
    seconds, relative_to_relu, low, high, repeats.
    """
    if repeats < 1:
        raise ValueError(f"Need repeats >= 1, got {repeats}.")
    measured = _with_reference(names)
    cases = [(np.dtype(dtype), int(size)) for dtype in dtypes for size in sizes]
    if any(size < 1 for _, size in cases):
        raise ValueError(f"Every size must be at least 1, got {list(sizes)}.")
    activations = {name: get_activation(name) for name in measured}
    total, rows = len(cases) * repeats * len(measured), []
    for case, (dtype, size) in enumerate(cases):
        rng = np.random.default_rng(0)
        x, upstream = rng.standard_normal(size).astype(dtype), rng.standard_normal(size).astype(dtype)
        calls = max(1, repeats_for(size, repeats) // repeats)
        start = case * repeats * len(measured)
        seconds = _case_seconds(activations, x, upstream, repeats, calls,
                                None if progress is None else lambda done, _, s=start: progress(s + done, total))
        for name in names:
            for pass_ in PASSES:
                own, reference = seconds[name, pass_], seconds[REFERENCE, pass_]
                ratios = [t / r for t, r in zip(own, reference, strict=True)]
                rows.append((name, size, dtype.name, pass_, statistics.median(own), *_spread(ratios)))
    return with_labels(pd.DataFrame(rows, columns=SWEEP_COLUMNS))


def network_epoch_costs(ds, activations: Sequence[str], hidden: Sequence[int], batch_size: int, epochs: int = 3,
                        repeats: int = 3, learning_rate: float = 0.01, dtype: str = "float64",
                        progress: Progress | None = None) -> pd.DataFrame:
    """Wall time of one training epoch of a whole network, per activation, with its ratio to ReLU's and the
    spread of that ratio over ``repeats`` repeats.

    Each repeat trains a fresh network per activation for ``epochs`` epochs (plain SGD, "auto" init, ``dtype``),
    activations in an order that rotates from repeat to repeat, so that drifts in machine load hit them alike.
    The time is this thread's CPU time for one epoch as the live pages run it: its mini-batch steps and the
    measurements recorded after it (losses, accuracies, gradient norms, sparsity, dead units). A
    repeat's ratio is the median of the activation's epochs over the median of ReLU's in the same repeat:
    ``relative_to_relu`` is the median of those ratios, ``low`` and ``high`` their min and max;
    ``seconds_per_epoch`` is the median over every epoch of every repeat. ReLU is measured as the reference even
    when not in ``activations``.
    Columns: activation (key), label, seconds_per_epoch, relative_to_relu, low, high, repeats.
    """
    measured = _with_reference(activations)
    seconds: dict[str, list[list[float]]] = {name: [] for name in measured}
    total = repeats * len(measured)

    def config(name: str, seed: int, n_epochs: int) -> TrainConfig:
        return TrainConfig(activation=name, hidden_layers=tuple(hidden), epochs=n_epochs, batch_size=batch_size,
                           learning_rate=learning_rate, init="auto", seed=seed, dtype=dtype)

    for _ in train(ds, config(REFERENCE, 0, 1)):  # warm-up: BLAS threads and caches, not any activation's cost
        pass
    for repeat in range(repeats):
        for i, name in enumerate(_rotated(measured, repeat)):
            trainer = train_many(ds, [config(name, repeat, epochs)])
            next(trainer)  # epoch 0: the measurement at init, before any training
            seconds[name].append([_cpu_seconds(lambda t=trainer: next(t), 1)[0] for _ in range(epochs)])
            if progress is not None:
                progress(repeat * len(measured) + i + 1, total)
    rows = []
    for name in activations:
        ratios = [statistics.median(own) / statistics.median(reference)
                  for own, reference in zip(seconds[name], seconds[REFERENCE], strict=True)]
        every_epoch = [s for own in seconds[name] for s in own]
        rows.append((name, statistics.median(every_epoch), *_spread(ratios)))
    return with_labels(pd.DataFrame(rows, columns=NETWORK_COLUMNS))


def verdict(low: float, high: float, close: float = CLOSE_TO_RELU) -> str:
    """Where a ratio to ReLU's stands, judged by its whole spread ``low``..``high``, so that noise cannot flip it:
    "cheaper" (all of it under 1 / close), "close" (all of it within 1 / close..close), "costlier" (all of it
    over close), or "too close to call" (it straddles 1 / close or close)."""
    if high < 1 / close:
        return "cheaper"
    if low > close:
        return "costlier"
    if low >= 1 / close and high <= close:
        return "close"
    return "too close to call"


def clearly_below(low_spread: tuple[float, float], high_spread: tuple[float, float]) -> bool:
    """Whether the first (low, high) spread lies wholly below the second: their order is not the noise's."""
    return low_spread[1] < high_spread[0]


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
