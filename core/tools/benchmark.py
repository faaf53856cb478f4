"""Engine benchmark: our engine against scikit-learn's MLPClassifier and against the floor, a lean numpy loop.

    python -m core.tools.benchmark [--epochs 30] [--repeats 5] [--dtypes float64 float32] [--json out.json]

The work: digits (standardised, 25 % test split), hidden (64, 64), batch 32, plain SGD at learning rate 0.05,
no momentum, no L2, every epoch run (sklearn's ``n_iter_no_change`` is set past the epoch count); one ReLU
model, and ReLU, sigmoid and tanh x 5 seeds (15 models; ours and the lean loop train them as one stack,
sklearn one after another).

Three contenders run in this one process, alternated (their order rotates every repeat), and medians are
compared, so drifts in machine load hit all of them alike:

* scikit-learn's ``MLPClassifier`` (its own training only);
* our engine (``train`` / ``train_many``, every per-epoch metric of the records);
* the lean reference loop below, written only for this benchmark: plain numpy, the same training and the same
  per-epoch metrics, with nothing else. It is numpy's floor on the machine at hand; it starts from the engine's
  initial weights and follows the engine's arithmetic, so it computes the very same numbers (the tests hold it
  to that), and the benchmark checks its final accuracies against ours.

All three run with the BLAS thread count the engine trains with (``core.engine.training.BLAS_THREADS``).
Targets: ours <= 0.5x sklearn (one model, float64), 0.4x (one, float32), 0.85x (15, float64), 0.42x (15,
float32), and <= 1.1x the lean loop everywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info, threadpool_limits

from core.engine import training
from core.engine.data import load_dataset
from core.engine.mlp import row_max  # the maximum over a short last axis, column by column: plain numpy
from core.engine.training import TrainConfig, network_for, train, train_many

HIDDEN = (64, 64)
BATCH = 32
LEARNING_RATE = 0.05
SEEDS = range(5)
# sklearn calls the sigmoid "logistic"
ACTIVATIONS = {"relu": "relu", "sigmoid": "logistic", "tanh": "tanh"}
CASES = {"one ReLU model": [("relu", 0)], "15 models (3 x 5)": [(a, s) for a in ACTIVATIONS for s in SEEDS]}
TARGETS_VS_SKLEARN = {("one ReLU model", "float64"): 0.5, ("one ReLU model", "float32"): 0.4,
                      ("15 models (3 x 5)", "float64"): 0.85, ("15 models (3 x 5)", "float32"): 0.42}
TARGET_VS_LEAN = 1.1
CONTENDERS = ("sklearn", "ours", "lean")


def benchmark_config(activation: str, seed: int, epochs: int, dtype: str) -> TrainConfig:
    return TrainConfig(activation=activation, hidden_layers=HIDDEN, epochs=epochs, batch_size=BATCH,
                       learning_rate=LEARNING_RATE, optimizer="sgd", momentum=0.0, init="auto", seed=seed,
                       dtype=dtype)


def _sklearn_model(activation: str, seed: int, epochs: int) -> MLPClassifier:
    return MLPClassifier(hidden_layer_sizes=HIDDEN, activation=ACTIVATIONS[activation], solver="sgd",
                         learning_rate_init=LEARNING_RATE, momentum=0.0, nesterovs_momentum=False,
                         batch_size=BATCH, alpha=0.0, max_iter=epochs, n_iter_no_change=epochs + 1, tol=0.0,
                         shuffle=True, random_state=seed)


# --- the floor: a lean reference loop, plain numpy, written only for this benchmark -------------------------
# One stack of M networks with the same shapes, trained in lockstep along a leading model axis (one network: no
# model axis at all). Each activation owns a contiguous slice of the models. Buffers are allocated once and
# every step writes into them (out=, in place); the parameters and their gradients are views of one flat
# buffer each, so one SGD update serves them all.


def _lean_relu(z, h, scratch, mask):
    np.maximum(z, 0, out=h)


def _lean_sigmoid(z, h, scratch, mask):
    # exp only ever sees -|z|: r = 1 / (1 + e) for z >= 0, r * e below, which is r * max(e, z >= 0)
    np.greater_equal(z, 0, out=mask)
    np.abs(z, out=scratch)
    np.negative(scratch, out=scratch)
    np.exp(scratch, out=scratch)
    np.add(scratch, 1, out=h)
    np.divide(1, h, out=h)
    h *= np.maximum(scratch, mask, out=scratch)


def _lean_tanh(z, h, scratch, mask):
    np.tanh(z, out=h)


def _lean_relu_backward(delta, h, scratch, mask):
    delta *= np.greater(h, 0, out=mask)


def _lean_sigmoid_backward(delta, h, scratch, mask):
    np.subtract(1, h, out=scratch)
    scratch *= h
    delta *= scratch


def _lean_tanh_backward(delta, h, scratch, mask):
    np.multiply(h, h, out=scratch)
    np.subtract(1, scratch, out=scratch)
    delta *= scratch


LEAN_FORWARD = {"relu": _lean_relu, "sigmoid": _lean_sigmoid, "tanh": _lean_tanh}
LEAN_BACKWARD = {"relu": _lean_relu_backward, "sigmoid": _lean_sigmoid_backward, "tanh": _lean_tanh_backward}


def _lean_all_rows(flags):
    """flags.all(axis=-2), folding the rows in halves (in place): a few passes over whole blocks instead of one
    call per row."""
    n = flags.shape[-2]
    while n > 1:
        half = n // 2
        np.logical_and(flags[..., :half, :], flags[..., n - half:n, :], out=flags[..., :half, :])
        n -= half
    return flags[..., 0, :]


def _segments(activations: list[str], stacked: bool) -> list[tuple[slice, str]]:
    """[(models, activation), ...] for runs of equal activations; the whole array when there is no model axis."""
    if not stacked:
        return [(slice(None), activations[0])]
    segments, start = [], 0
    for m in range(1, len(activations) + 1):
        if m == len(activations) or activations[m] != activations[start]:
            segments.append((slice(start, m), activations[start]))
            start = m
    return segments


def _apply(segments, functions, *arrays):
    for rows, name in segments:
        functions[name](*(a[rows] for a in arrays))


def _flat_views(store: np.ndarray, shapes, stacked: bool) -> list[np.ndarray]:
    """Views of consecutive blocks of ``store`` (models x values) with the given per-model shapes."""
    views, offset = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        view = store[:, offset:offset + size].reshape(len(store), *shape)
        views.append(view if stacked else view[0])
        offset += size
    return views


def _lean_arrays(lead: tuple, rows: int, units: list[int], n_out: int, dtype, wide_first: bool) -> dict:
    """Every array one pass over ``rows`` rows writes: per hidden layer z, h, delta, a scratch and a mask; the
    logits. ``wide_first``: the first z laid out (rows, models, units), as the one product for a stack writes it."""
    def layer(u):
        return np.empty((*lead, rows, u), dtype)

    arrays = {"z": [layer(u) for u in units], "h": [layer(u) for u in units], "delta": [layer(u) for u in units],
              "scratch": [layer(u) for u in units], "mask": [np.empty((*lead, rows, u), bool) for u in units],
              "out": layer(n_out)}
    if wide_first and lead:
        arrays["z"][0] = np.empty((rows, *lead, units[0]), dtype).transpose(1, 0, 2)
    return arrays


def _first_rows(arrays: dict, rows: int) -> dict:
    return {k: [a[..., :rows, :] for a in v] if isinstance(v, list) else v[..., :rows, :] for k, v in arrays.items()}


def lean_train(ds, configs: list[TrainConfig]) -> list[dict]:
    """Train ``configs`` (one stack: same shapes, SGD without momentum, activations grouped) on ``ds``; returns one
    dict of per-epoch metrics (arrays with one value per model) for epoch 0 and every epoch after it."""
    cfg = configs[0]
    dtype = np.dtype(cfg.dtype)
    stacked = len(configs) > 1
    M, n, batch = len(configs), len(ds.X_train), min(cfg.batch_size, len(ds.X_train))
    nets = [network_for(c, ds) for c in configs]  # the engine's starting weights: the same networks
    shapes = [W.shape for W in nets[0].weights]
    L = len(shapes)
    param_shapes = [*shapes, *((1, fan_out) for _, fan_out in shapes)]
    flat = np.empty((M, sum(int(np.prod(s)) for s in param_shapes)), dtype)
    grads = np.empty_like(flat)
    params, grad_params = _flat_views(flat, param_shapes, stacked), _flat_views(grads, param_shapes, stacked)
    for m, net in enumerate(nets):
        for p, value in zip(params, [*net.weights, *net.biases], strict=True):
            target = p[m] if stacked else p
            target[...] = value.reshape(target.shape)
    Ws, Bs, gWs, gBs = params[:L], params[L:], grad_params[:L], grad_params[L:]
    segments = _segments([c.hidden_activations[0] for c in configs], stacked)
    lead = (M,) if stacked else ()
    units, n_out = [fan_out for _, fan_out in shapes[:-1]], shapes[-1][1]
    step = _lean_arrays(lead, batch, units, n_out, dtype, wide_first=False)
    steps = {batch: step, n % batch: _first_rows(step, n % batch)}
    X_train, X_test = ds.X_train.astype(dtype), ds.X_test.astype(dtype)
    data = (X_train, np.eye(ds.n_classes, dtype=dtype)[ds.y_train], ds.y_train,
            X_test, np.eye(ds.n_classes, dtype=dtype)[ds.y_test], ds.y_test)
    measuring = (_lean_arrays(lead, n, units, n_out, dtype, wide_first=True),
                 _lean_arrays(lead, len(X_test), units, n_out, dtype, wide_first=True))
    shufflers = [np.random.default_rng([c.seed, 1]) for c in configs]
    X = np.empty((*lead, n, X_train.shape[1]), dtype)
    T = np.empty((*lead, n, ds.n_classes), dtype)
    history = [_lean_measure(data, measuring, Ws, Bs, segments, stacked)]
    for _ in range(cfg.epochs):
        order = np.stack([rng.permutation(n) for rng in shufflers])
        order = order if stacked else order[0]
        np.take(X_train, order, axis=0, out=X, mode="clip")
        np.take(data[1], order, axis=0, out=T, mode="clip")
        for start in range(0, n, batch):
            stop = min(start + batch, n)
            rows = stop - start
            a = steps[rows]
            h = X[..., start:stop, :]
            hs = [h]
            for W, b, z, hz, s, mask in zip(Ws[:-1], Bs[:-1], a["z"], a["h"], a["scratch"], a["mask"], strict=True):
                np.matmul(h, W, out=z)
                z += b
                _apply(segments, LEAN_FORWARD, z, hz, s, mask)
                hs.append(hz)
                h = hz
            o = a["out"]
            np.matmul(h, Ws[-1], out=o)
            o += Bs[-1]
            # softmax cross-entropy: (softmax(o) - T) / rows, in place
            o -= row_max(o)
            np.exp(o, out=o)
            o /= o.sum(axis=-1, keepdims=True)
            o -= T[..., start:stop, :]
            o /= rows
            delta = o
            for i in range(L - 1, -1, -1):
                np.matmul(hs[i].swapaxes(-1, -2), delta, out=gWs[i])
                np.add.reduce(delta, axis=-2, keepdims=True, out=gBs[i])
                if i:
                    d = a["delta"][i - 1]
                    np.matmul(delta, Ws[i].swapaxes(-1, -2), out=d)
                    _apply(segments, LEAN_BACKWARD, d, hs[i], a["scratch"][i - 1], a["mask"][i - 1])
                    delta = d
            grads *= cfg.learning_rate
            flat -= grads
        history.append(_lean_measure(data, measuring, Ws, Bs, segments, stacked))
    return history


def _lean_forward(X, a, Ws, Bs, segments, stacked):
    """Every hidden output and the logits for the rows of ``X``, into the arrays ``a``."""
    hs, h = [X], X
    for i, (W, b) in enumerate(zip(Ws[:-1], Bs[:-1], strict=True)):
        z = a["z"][i]
        if i == 0 and stacked:  # one wide product serves every model
            wide = z.transpose(1, 0, 2).reshape(len(X), -1)
            np.matmul(X, W.transpose(1, 0, 2).reshape(W.shape[1], -1), out=wide)
        else:
            np.matmul(h, W, out=z)
        z += b
        h = a["h"][i]
        _apply(segments, LEAN_FORWARD, z, h, a["scratch"][i], a["mask"][i])
        hs.append(h)
    out = np.matmul(h, Ws[-1], out=a["out"])
    out += Bs[-1]
    return hs, out


def _lean_measure(data, measuring, Ws, Bs, segments, stacked) -> dict:
    """The engine's per-epoch metrics, for every model: losses, accuracies, gradient norms, sparsity, dead units,
    mean activations."""
    X, T, y, X_test, T_test, y_test = data
    train, test = measuring
    hs, out = _lean_forward(X, train, Ws, Bs, segments, stacked)
    train_loss, delta = _lean_loss_and_gradient(out, T)
    grad_norms = []
    for i in range(len(Ws) - 1, -1, -1):
        g = hs[i].swapaxes(-1, -2) @ delta
        grad_norms.append(np.sqrt((g * g).sum(axis=(-2, -1), dtype=np.float64)))
        if i:
            delta = np.matmul(delta, Ws[i].swapaxes(-1, -2), out=train["delta"][i - 1])
            _apply(segments, LEAN_BACKWARD, delta, hs[i], train["scratch"][i - 1], train["mask"][i - 1])
    test_out = _lean_forward(X_test, test, Ws, Bs, segments, stacked)[1]
    test_loss, _ = _lean_loss_and_gradient(test_out, T_test)
    zeros = [h == 0 for h in hs[1:]]
    per_model = [z if stacked else z[None] for z in zeros]
    sparsity = [np.array([np.count_nonzero(m) for m in z]) / z[0].size for z in per_model]
    dead = [_lean_all_rows(z).mean(axis=-1) for z in per_model]  # after the counts: it folds the zeros in place
    return {
        "train_loss": train_loss, "test_loss": test_loss,
        "train_accuracy": (out.argmax(axis=-1) == y).mean(axis=-1),
        "test_accuracy": (test_out.argmax(axis=-1) == y_test).mean(axis=-1),
        "grad_norms": grad_norms[::-1],
        "sparsity": sparsity, "dead_fraction": dead,
        "mean_activation": [h.mean(axis=(-2, -1), dtype=np.float64) for h in hs[1:]],
    }


def _lean_loss_and_gradient(out, T):
    """Mean cross-entropy of the logits ``out`` and its gradient, (softmax - T) / n."""
    shifted = out - row_max(out)
    grad = np.exp(shifted)
    total = grad.sum(axis=-1, keepdims=True)
    loss = (np.log(total[..., 0]) - (shifted * T).sum(axis=-1)).mean(axis=-1)
    grad /= total
    grad -= T
    grad /= out.shape[-2]
    return loss, grad


# --- the three contenders -----------------------------------------------------------------------------------


def run_sklearn(ds, runs, epochs, dtype) -> list[float]:
    X_train, X_test = ds.X_train.astype(dtype), ds.X_test.astype(dtype)
    accuracies = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for activation, seed in runs:
            model = _sklearn_model(activation, seed, epochs).fit(X_train, ds.y_train)
            accuracies.append(model.score(X_test, ds.y_test))
    return accuracies


def run_ours(ds, runs, epochs, dtype) -> list[float]:
    configs = [benchmark_config(a, s, epochs, dtype) for a, s in runs]
    if len(configs) == 1:
        return [[record.test_accuracy for record in train(ds, configs[0])][-1]]
    for records in train_many(ds, configs):
        last = records
    return [r.test_accuracy for r in last]


def run_lean(ds, runs, epochs, dtype) -> list[float]:
    history = lean_train(ds, [benchmark_config(a, s, epochs, dtype) for a, s in runs])
    return np.atleast_1d(history[-1]["test_accuracy"]).tolist()


RUNNERS: dict[str, Callable] = {"sklearn": run_sklearn, "ours": run_ours, "lean": run_lean}


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def _timed(fn) -> tuple[dict, object]:
    """Wall and CPU seconds of ``fn()``, and its result. With BLAS on one thread the CPU time is the contender's
    own work, without the waits of a machine shared with other processes."""
    start = {clock: read() for clock, read in CLOCKS.items()}
    result = fn()
    return {clock: read() - start[clock] for clock, read in CLOCKS.items()}, result


def measure_case(ds, runs, epochs: int, dtype: str, repeats: int, threads: int) -> dict:
    """Each contender ``repeats`` times, alternated, the order rotated every repeat; medians and ratios per clock."""
    seconds = {clock: {name: [] for name in CONTENDERS} for clock in CLOCKS}
    accuracy = {}
    for repeat in range(repeats):
        order = CONTENDERS[repeat % 3:] + CONTENDERS[:repeat % 3]
        for name in order:
            with threadpool_limits(threads, user_api="blas"):
                times, accuracy[name] = _timed(lambda name=name: RUNNERS[name](ds, runs, epochs, dtype))
            for clock, t in times.items():
                seconds[clock][name].append(t)
    result = {"seconds": seconds, "test_accuracy_mean": {name: float(np.mean(acc)) for name, acc in accuracy.items()},
              "lean_equals_ours": accuracy["lean"] == accuracy["ours"]}
    for clock in CLOCKS:
        med = {name: statistics.median(times) for name, times in seconds[clock].items()}
        result[clock] = {"median": med, "ours_vs_sklearn": med["ours"] / med["sklearn"],
                         "ours_vs_lean": med["ours"] / med["lean"], "lean_vs_sklearn": med["lean"] / med["sklearn"]}
    return result


def _verdict(value: float, target: float) -> str:
    return f"{value:.2f} (<= {target:g} {'met' if value <= target else 'NOT met'})"


def _row(case: str, dtype: str, figures: dict) -> str:
    med = figures["median"]
    return (f"{case:<19}{dtype:<9}{med['sklearn']:>8.3f}s{med['ours']:>8.3f}s{med['lean']:>8.3f}s   "
            f"{_verdict(figures['ours_vs_sklearn'], TARGETS_VS_SKLEARN[case, dtype]):<24}"
            f"{_verdict(figures['ours_vs_lean'], TARGET_VS_LEAN):<22}{figures['lean_vs_sklearn']:>6.2f}")


HEADER = (f"{'work':<19}{'dtype':<9}{'sklearn':>9}{'ours':>9}{'lean':>9}   {'ours/sklearn':<24}{'ours/lean':<22}"
          f"{'lean/sklearn':>6}")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30, help="epochs per fit (default 30)")
    parser.add_argument("--repeats", type=int, default=5, help="alternating repeats; medians reported (default 5)")
    parser.add_argument("--dtypes", nargs="+", choices=("float64", "float32"), default=["float64", "float32"])
    parser.add_argument("--cases", nargs="+", choices=("one", "many"), default=["one", "many"])
    parser.add_argument("--blas-threads", type=int, default=training.BLAS_THREADS,
                        help=f"BLAS threads for all three (default: the engine's, {training.BLAS_THREADS})")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    training.BLAS_THREADS = args.blas_threads  # for measuring the choice: the engine trains with it too

    ds = load_dataset("digits", test_size=0.25, seed=0)
    blas = sorted({f"{i['internal_api']} {i['version']}" for i in threadpool_info() if i["user_api"] == "blas"})
    print(f"digits {ds.X_train.shape[0]} train / {ds.X_test.shape[0]} test, hidden {HIDDEN}, batch {BATCH}, "
          f"SGD lr {LEARNING_RATE}, {args.epochs} epochs, medians of {args.repeats} alternated repeats")
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, BLAS {', '.join(blas)} with "
          f"{args.blas_threads} thread(s), numpy {np.__version__}, Python {platform.python_version()}")
    figures = {"epochs": args.epochs, "repeats": args.repeats, "blas_threads": args.blas_threads,
               "cores": os.cpu_count(), "numpy": np.__version__, "python": platform.python_version(), "cases": {}}
    chosen = [name for name, key in zip(CASES, ("one", "many"), strict=True) if key in args.cases]
    print(f"wall time\n{HEADER}  test accuracy ours / lean / sklearn")
    for dtype in args.dtypes:
        for case in chosen:
            result = measure_case(ds, CASES[case], args.epochs, dtype, args.repeats, args.blas_threads)
            figures["cases"][f"{case}, {dtype}"] = result
            acc = result["test_accuracy_mean"]
            print(f"{_row(case, dtype, result['wall'])}  {acc['ours']:.4f} / {acc['lean']:.4f}"
                  f"{'' if result['lean_equals_ours'] else ' (DIFFER)'} / {acc['sklearn']:.4f}", flush=True)
    print(f"CPU time (each contender's own work: BLAS runs in this thread when it has one)\n{HEADER}")
    for key, result in figures["cases"].items():
        case, dtype = key.rsplit(", ", 1)
        print(_row(case, dtype, result["cpu"]))
    print(f"load at the end {os.getloadavg()[0]:.1f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(figures, fh, indent=2)
    return figures


if __name__ == "__main__":
    main()
