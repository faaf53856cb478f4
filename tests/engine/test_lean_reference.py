"""The benchmark's lean reference loop (``core.tools.benchmark.lean_train``) computes what the engine computes.

The benchmark divides our time by the lean loop's, so the two must do the same work: the same training, the same
per-epoch metrics. The loop starts from the engine's initial weights and follows its arithmetic, so its records
equal the engine's exactly, but for the gradient norms, which it sums without the engine's overflow guard
(a last-digit difference)."""

from __future__ import annotations

import numpy as np
import pytest

from core.engine.data import load_dataset
from core.engine.training import blas_threads_limited, train_many
from core.tools.benchmark import CASES, benchmark_config, lean_train

EXACT = ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "sparsity", "dead_fraction",
         "mean_activation")


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", test_size=0.25, seed=0)


def _engine_values(records, name: str) -> np.ndarray:
    """(models, layers) for per-layer metrics, (models,) for the others."""
    return np.array([getattr(r, name) for r in records], dtype=np.float64)


def _lean_values(metrics: dict, name: str) -> np.ndarray:
    value = metrics[name]
    if isinstance(value, list):  # one array per layer, each with one value per model
        return np.stack([np.atleast_1d(v) for v in value], axis=1).astype(np.float64)
    return np.atleast_1d(value).astype(np.float64)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(CASES))
def test_lean_loop_computes_the_engines_records(digits, case, dtype):
    configs = [benchmark_config(activation, seed, 2, dtype) for activation, seed in CASES[case]]
    engine = list(train_many(digits, configs))
    with blas_threads_limited():  # OpenBLAS's sums depend on its thread count: the engine's, for both
        lean = lean_train(digits, configs)
    assert len(lean) == len(engine) == 3
    for records, metrics in zip(engine, lean, strict=True):
        for name in EXACT:
            np.testing.assert_array_equal(_lean_values(metrics, name), _engine_values(records, name), err_msg=name)
        np.testing.assert_allclose(_lean_values(metrics, "grad_norms"), _engine_values(records, "grad_norms"),
                                   rtol=1e-6 if dtype == "float32" else 1e-13)
