"""The engine's faster forms of numpy reductions give numpy's own results, value for value: the row maximum taken
column by column (``row_max``), the all-rows test folded in halves (``all_rows``) and the zero statistics of the
records (``zero_statistics``, against the boolean means the records used to take)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.engine.mlp import row_max
from core.engine.training import all_rows, zero_statistics


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 2), (300, 2), (3, 375, 2), (15, 32, 10), (1347, 10), (2, 200, 33), (0, 3)])
def test_row_max_is_numpys_max(shape, dtype):
    rng = np.random.default_rng(sum(shape))
    a = (rng.standard_normal(shape) * 10).astype(dtype)
    if a.size:
        a.flat[:: 7] = a.flat[1:: 7][: len(a.flat[:: 7])]  # ties
        a.flat[3:: 11] = 0.0
        a.flat[5:: 13] = -0.0
    expected = a.max(axis=-1, keepdims=True) if a.size else np.empty((0, 1), dtype)
    got = row_max(a)
    assert got.shape == expected.shape and got.dtype == a.dtype
    np.testing.assert_array_equal(got, expected)


def test_row_max_keeps_nan_and_infinities_as_numpy_does():
    a = np.zeros((400, 3))
    a[0] = [np.nan, 1.0, 2.0]
    a[1] = [1.0, np.inf, 2.0]
    a[2] = [-np.inf, -np.inf, -np.inf]
    a[3] = [1.0, np.nan, np.inf]
    np.testing.assert_array_equal(row_max(a), a.max(axis=-1, keepdims=True))


@given(runs=st.integers(1, 4), rows=st.integers(1, 300), units=st.integers(1, 70), share=st.floats(0, 1),
       seed=st.integers(0, 2**16))
def test_all_rows_is_numpys_all(runs, rows, units, share, seed):
    flags = np.random.default_rng(seed).random((runs, rows, units)) < share
    flags[..., 0, : units // 2] = True  # columns where only the last rows decide
    expected = flags.all(axis=-2)
    np.testing.assert_array_equal(all_rows(np.tile(flags, (1, 1, 1))), expected)
    big = np.tile(flags, (1, 1, 1 + 70_000 // flags.size))  # past the size where the halves are folded
    np.testing.assert_array_equal(all_rows(big.copy()), big.all(axis=-2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zero_statistics_equal_the_boolean_means(dtype):
    rng = np.random.default_rng(3)
    h = np.maximum(rng.standard_normal((15, 1347, 64)), 0).astype(dtype)
    h[:, :, :5] = 0  # dead units
    h[2, 7, 9] = -0.0
    h[4] = np.nan  # a diverged run: no zeros, no dead unit
    zeros = h == 0
    sparsity, dead = zero_statistics(h)
    np.testing.assert_array_equal(sparsity, zeros.mean(axis=(-2, -1)))
    np.testing.assert_array_equal(dead, zeros.all(axis=-2).mean(axis=-1))
