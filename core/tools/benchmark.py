"""Engine benchmark: our numpy engine against scikit-learn's MLPClassifier, side by side.

    python -m core.tools.benchmark [--epochs 30] [--repeats 3] [--dtype float64] [--json out.json]

Both run in this one process on the same work: digits (standardised, 25 % test split), hidden
(64, 64), batch 32, plain SGD at learning rate 0.05, no momentum, no L2, every epoch run
(sklearn's ``n_iter_no_change`` is set past the epoch count). Runs alternate between the two
engines and the medians are compared, so drifts in machine load hit both sides alike. Our
timings include every per-epoch metric (full-training-set loss, accuracy, gradient norms,
sparsity, dead units, test loss and accuracy); sklearn's include only its own training.

Targets: one ReLU model <= 0.2x sklearn's time; ReLU, sigmoid and tanh x 5 seeds (15 models)
through ``train_many`` <= 0.1x the time of 15 sequential sklearn fits.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info

from core.engine.data import load_dataset
from core.engine.training import TrainConfig, train, train_many

HIDDEN = (64, 64)
BATCH = 32
LEARNING_RATE = 0.05
SEEDS = range(5)
# sklearn calls the sigmoid "logistic"
ACTIVATIONS = {"relu": "relu", "sigmoid": "logistic", "tanh": "tanh"}
TARGET_SINGLE = 0.2
TARGET_MANY = 0.1


def _config(activation: str, seed: int, epochs: int, dtype: str) -> TrainConfig:
    return TrainConfig(activation=activation, hidden_layers=HIDDEN, epochs=epochs, batch_size=BATCH,
                       learning_rate=LEARNING_RATE, optimizer="sgd", momentum=0.0, init="auto", seed=seed,
                       dtype=dtype)


def _sklearn_model(activation: str, seed: int, epochs: int) -> MLPClassifier:
    return MLPClassifier(hidden_layer_sizes=HIDDEN, activation=ACTIVATIONS[activation], solver="sgd",
                         learning_rate_init=LEARNING_RATE, momentum=0.0, nesterovs_momentum=False,
                         batch_size=BATCH, alpha=0.0, max_iter=epochs, n_iter_no_change=epochs + 1, tol=0.0,
                         shuffle=True, random_state=seed)


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run_sklearn(ds, activations, seeds, epochs, dtype):
    X_train, X_test = ds.X_train.astype(dtype), ds.X_test.astype(dtype)
    accuracies = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for activation in activations:
            for seed in seeds:
                model = _sklearn_model(activation, seed, epochs).fit(X_train, ds.y_train)
                accuracies.append(model.score(X_test, ds.y_test))
    return accuracies


def run_ours_single(ds, epochs, dtype):
    return [record.test_accuracy for record in train(ds, _config("relu", 0, epochs, dtype))][-1]


def run_ours_many(ds, epochs, dtype):
    configs = [_config(a, s, epochs, dtype) for a in ACTIVATIONS for s in SEEDS]
    for records in train_many(ds, configs):
        last = records
    return [r.test_accuracy for r in last]


def training_flops(ds, epochs: int, n_models: int) -> float:
    """Multiply-adds x 2 of the matrix products our engine performs, metrics included."""
    sizes = [ds.X_train.shape[1], *HIDDEN, ds.n_classes]
    per_sample = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    first = sizes[0] * sizes[1]
    fwd_bwd = 2 * (3 * per_sample - first)  # forward, weight gradients, input gradients (none for X)
    n_train, n_test = len(ds.X_train), len(ds.X_test)
    per_epoch = n_train * fwd_bwd * 2 + n_test * 2 * per_sample  # training pass + metrics pass + test
    return float(per_epoch * epochs * n_models)


def gemm_peak(dtype, n: int = 1024, repeats: int = 5) -> float:
    """This machine's matrix-product throughput in GFLOP/s, on one large square product."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((n, n)).astype(dtype)
    a @ b
    best = min(_timed(lambda: a @ b)[0] for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30, help="epochs per fit (default 30)")
    parser.add_argument("--repeats", type=int, default=3, help="alternating repeats; medians reported")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    ds = load_dataset("digits", test_size=0.25, seed=0)
    times = {"sk_single": [], "ours_single": [], "sk_many": [], "ours_many": []}
    for _ in range(args.repeats):
        t, sk_acc = _timed(lambda: run_sklearn(ds, ["relu"], [0], args.epochs, args.dtype))
        times["sk_single"].append(t)
        t, our_acc = _timed(lambda: run_ours_single(ds, args.epochs, args.dtype))
        times["ours_single"].append(t)
        t, sk_many_acc = _timed(lambda: run_sklearn(ds, list(ACTIVATIONS), SEEDS, args.epochs, args.dtype))
        times["sk_many"].append(t)
        t, our_many_acc = _timed(lambda: run_ours_many(ds, args.epochs, args.dtype))
        times["ours_many"].append(t)
    med = {k: statistics.median(v) for k, v in times.items()}
    peak = gemm_peak(args.dtype)
    achieved = training_flops(ds, args.epochs, 15) / med["ours_many"] / 1e9
    blas = next((i for i in threadpool_info() if i.get("user_api") == "blas"), {})
    figures = {
        "epochs": args.epochs, "repeats": args.repeats, "dtype": args.dtype,
        "cores": os.cpu_count(), "blas": f"{blas.get('internal_api', '?')} {blas.get('version', '')} "
                                         f"({blas.get('num_threads', '?')} threads)",
        "python": platform.python_version(), "numpy": np.__version__,
        "seconds": med,
        "ratio_single": med["ours_single"] / med["sk_single"],
        "ratio_many": med["ours_many"] / med["sk_many"],
        "gemm_peak_gflops": peak, "achieved_gflops": achieved, "gemm_fraction": achieved / peak,
        "test_accuracy_ours": our_acc, "test_accuracy_sklearn": sk_acc[0],
        "test_accuracy_many_ours_mean": float(np.mean(our_many_acc)),
        "test_accuracy_many_sklearn_mean": float(np.mean(sk_many_acc)),
    }
    print(f"digits {ds.X_train.shape[0]} train / {ds.X_test.shape[0]} test, hidden {HIDDEN}, batch {BATCH}, "
          f"SGD lr {LEARNING_RATE}, {args.epochs} epochs, {args.dtype}, medians of {args.repeats}")
    print(f"machine: {figures['cores']} cores, BLAS {figures['blas']}, numpy {np.__version__}")
    print(f"  one ReLU model      ours {med['ours_single']:.3f} s   sklearn {med['sk_single']:.3f} s   "
          f"ratio {figures['ratio_single']:.3f}  (target <= {TARGET_SINGLE})")
    print(f"  15 models (3 x 5)   ours {med['ours_many']:.3f} s   sklearn {med['sk_many']:.3f} s   "
          f"ratio {figures['ratio_many']:.3f}  (target <= {TARGET_MANY})")
    print(f"  GEMM: {achieved:.1f} GFLOP/s achieved of {peak:.1f} peak ({figures['gemm_fraction']:.1%})")
    print(f"  test accuracy, one ReLU model: ours {our_acc:.4f}  sklearn {sk_acc[0]:.4f}  "
          f"(difference {100 * (our_acc - sk_acc[0]):+.2f} points)")
    print(f"  test accuracy, 15-model mean: ours {figures['test_accuracy_many_ours_mean']:.4f}  "
          f"sklearn {figures['test_accuracy_many_sklearn_mean']:.4f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(figures, fh, indent=2)
    return figures


if __name__ == "__main__":
    main()
