"""Linear regions (core.lab.regions, contract path core.regions) held against independent references: activation
patterns recomputed by hand as tuples of bools, the exact region count of a line arrangement in general position
(proved in the setup with intersections and linear programs), the published bounds, maxout's winning pieces
computed directly, and a dense-grid brute force for the exact 1-D kinks."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from core.engine.data import load_dataset
from core.engine.mlp import MLP
from core.engine.training import TrainConfig, train_many
from core.lab.regions import (
    BREAKPOINT_COLUMNS,
    SWEEP_COLUMNS,
    breakpoints_1d,
    montufar_bound,
    pieces_1d,
    region_map,
    region_sweep,
    serra_bound,
    shallow_max,
    shapes_for,
)
from core.regions import count_regions, region_ids

SMOOTH = ["sigmoid", "tanh", "elu", "gelu", "silu", "softplus"]


# --- an independent reference: the patterns by hand -----------------------------------------------------------


def manual_patterns(net: MLP, X: np.ndarray, alpha: float = 0.01, pieces: int = 2) -> list[tuple]:
    """Each row's activation pattern as a tuple of bools, from a forward pass written out here (not the engine's):
    ReLU / Leaky ReLU units contribute z > 0, a maxout unit one bool per piece (is it the first largest)."""
    patterns = []
    for x in X:
        h, bits = x, []
        for W, b, name in zip(net.weights[:-1], net.biases[:-1], net.activations, strict=True):
            z = h @ W + b
            if name == "maxout":
                z = z.reshape(-1, pieces)
                winner = [int(np.argmax(row)) for row in z]
                bits += [k == w for w in winner for k in range(pieces)]
                h = np.array([row[w] for row, w in zip(z, winner, strict=True)])
            elif name == "linear":
                h = z
            else:
                bits += [bool(v > 0) for v in z]
                h = np.where(z > 0, z, 0.0 if name == "relu" else alpha * z)
        patterns.append(tuple(bits))
    return patterns


def assert_same_partition(ids: np.ndarray, patterns: list[tuple]) -> None:
    """ids[i] == ids[j] exactly when patterns[i] == patterns[j]."""
    by_pattern: dict[tuple, set] = {}
    by_id: dict[int, set] = {}
    for i, p in zip(ids.tolist(), patterns, strict=True):
        by_pattern.setdefault(p, set()).add(i)
        by_id.setdefault(i, set()).add(p)
    assert all(len(v) == 1 for v in by_pattern.values())
    assert all(len(v) == 1 for v in by_id.values())


def random_biases(net: MLP, seed: int, std: float = 1.0) -> MLP:
    """Hidden biases drawn N(0, std²), so kinks sit in general position (the engine starts every bias at 0)."""
    rng = np.random.default_rng(seed + 1000)
    for b in net.biases[:-1]:
        b[:] = rng.normal(0.0, std, size=b.shape)
    return net


NETS = [
    ("relu", {}),
    ("leaky_relu", {"alpha": 0.2}),
    ("maxout", {"maxout_pieces": 3}),
    (["relu", "linear", "maxout"], {}),
    (["maxout", "leaky_relu"], {"maxout_pieces": 4}),
]


@pytest.mark.parametrize(("activation", "params"), NETS)
def test_region_ids_partition_the_rows_as_the_patterns_do(activation, params):
    depth = 3 if isinstance(activation, str) else len(activation)
    net = random_biases(MLP([2, *[6, 5, 4][:depth], 3], activation=activation, seed=4, **params), seed=4)
    X = np.random.default_rng(0).uniform(-3, 3, size=(600, 2))
    ids = region_ids(net, X)
    patterns = manual_patterns(net, X, alpha=params.get("alpha", 0.01), pieces=params.get("maxout_pieces", 2))
    assert ids.dtype.kind == "i" and ids.shape == (600,)
    assert_same_partition(ids, patterns)
    assert count_regions(net, X) == len(set(patterns)) == ids.max() + 1
    assert len(set(patterns)) > 10  # a real test: many regions among the rows


def test_wide_and_deep_patterns_pack_beyond_one_byte():
    """8 x 32 units are 256 bits a row: the packed rows span 32 bytes and still compare whole."""
    net = random_biases(MLP([2, *[32] * 8, 2], activation="relu", seed=1), seed=1, std=0.5)
    X = np.random.default_rng(1).uniform(-2, 2, size=(400, 2))
    assert_same_partition(region_ids(net, X), manual_patterns(net, X))


def test_chunked_tracing_gives_the_same_ids(monkeypatch):
    import core.lab.regions as regions

    net = random_biases(MLP([2, 16, 16, 2], activation="relu", seed=2), seed=2)
    X = np.random.default_rng(2).uniform(-3, 3, size=(999, 2))
    whole = region_ids(net, X)
    monkeypatch.setattr(regions, "CHUNK_VALUES", 32 * 7)  # 7 rows a chunk
    np.testing.assert_array_equal(region_ids(net, X), whole)


def test_leaky_relu_splits_at_z_above_zero_not_at_its_output():
    """z = x1: rows with z = 0 exactly join the z < 0 side. With alpha = 1 Leaky ReLU is the identity, yet z > 0 still
    decides its side of the kink."""
    for alpha in (0.01, 1.0):
        net = MLP([2, 1, 2], activation="leaky_relu", alpha=alpha, seed=0)
        net.weights[0][:] = [[1.0], [0.0]]
        X = np.array([[-1.0, 0.0], [0.0, 5.0], [0.0, -5.0], [1e-300, 0.0], [2.0, 1.0]])
        ids = region_ids(net, X)
        assert ids[0] == ids[1] == ids[2] != ids[3] == ids[4]


# --- one layer in 2-D: exactly 1 + n + n(n-1)/2 ----------------------------------------------------------------


def star_lines(n: int) -> tuple[np.ndarray, np.ndarray]:
    """n lines tangent to the unit circle at angles 2 pi i / N (N = n, or n + 1 for even n): z_i = w_i . x - 1.

    N odd: no two tangents are parallel (that needs angles pi apart), and the crossings of tangents k steps apart
    lie on the circle of radius 1/|cos(pi k / N)|, a different radius for each k <= N/2, at distinct angles: no
    three lines meet. The setup below checks both numerically as well."""
    count = n if n % 2 else n + 1
    theta = 2 * np.pi * np.arange(n) / count
    return np.stack([np.cos(theta), np.sin(theta)]), -np.ones(n)


def chebyshev_radii(W: np.ndarray, b: np.ndarray, half: float) -> dict[tuple, float]:
    """For every sign vector of the n lines: the radius of the largest disc inside the box [-half, half]² on which
    every z_i has that sign (a linear program), kept when positive. Those are the arrangement's cells in the box."""
    n = W.shape[1]
    radii = {}
    for signs in itertools.product([1, -1], repeat=n):
        s = np.array(signs)
        norms = np.linalg.norm(W, axis=0)
        rows = [np.r_[-s[i] * W[:, i], norms[i]] for i in range(n)]  # s_i (w_i.x + b_i) >= r |w_i|
        bounds = [s[i] * b[i] for i in range(n)]
        for axis in range(2):
            for direction in (1.0, -1.0):
                row = np.zeros(3)
                row[axis], row[2] = direction, 1.0  # +-x_axis + r <= half
                rows.append(row)
                bounds.append(half)
        result = linprog([0, 0, -1], A_ub=np.array(rows), b_ub=bounds, bounds=[(None, None), (None, None), (0, None)])
        if result.status == 0 and result.x[2] > 1e-9:
            radii[tuple(bool(v > 0) for v in s)] = float(result.x[2])
    return radii


@pytest.mark.parametrize("n", [3, 6, 7])
def test_one_layer_reaches_exactly_one_plus_n_plus_n_choose_two(n):
    W, b = star_lines(n)
    crossings = np.array([np.linalg.solve(np.array([W[:, i], W[:, j]]), -b[[i, j]])
                          for i, j in itertools.combinations(range(n), 2)])
    # general position: no two lines parallel (every pair met above), no three through one point
    gaps = np.linalg.norm(crossings[:, None] - crossings[None], axis=-1)[np.triu_indices(len(crossings), 1)]
    assert gaps.min() > 0.1
    half = np.abs(crossings).max() + 1.0  # every crossing inside the box, 1.0 from its edge
    resolution = 200
    axis = np.linspace(-half, half, resolution)
    spacing = axis[1] - axis[0]
    X = np.column_stack([a.ravel() for a in np.meshgrid(axis, axis)])
    # No grid point on a line (its pattern would be an edge's, not a cell's) ...
    assert np.abs(X @ W + b).min() > 1e-9
    # ... and every cell meeting the box holds a disc wider than the grid's holes: a disc of radius > spacing/sqrt 2
    # inside the box always contains a grid point.
    radii = chebyshev_radii(W, b, half)
    expected = 1 + n + n * (n - 1) // 2
    assert len(radii) == expected == shallow_max(n, 2)
    assert min(radii.values()) > spacing / math.sqrt(2)

    net = MLP([2, n, 2], activation="relu", seed=0)
    net.weights[0][:], net.biases[0][:] = W, b
    assert count_regions(net, X) == expected
    found = {tuple(p) for p in manual_patterns(net, X)}
    assert found == set(radii)  # the very cells the linear programs found


# --- bounds -------------------------------------------------------------------------------------------------


def serra_by_enumeration(n_inputs: int, widths: list[int]) -> int:
    """Serra et al. (2018) Theorem 1 read literally: every tuple (j_1..j_L) with
    0 <= j_l <= min(n_0, n_1 - j_1, ..., n_{l-1} - j_{l-1}, n_l), summing prod C(n_l, j_l)."""
    total = 0
    for js in itertools.product(*[range(w + 1) for w in widths]):
        ok = all(js[l] <= min([n_inputs, *[widths[k] - js[k] for k in range(l)], widths[l]])
                 for l in range(len(widths)))  # noqa: E741 (the theorem's own l)
        if ok:
            total += math.prod(math.comb(w, j) for w, j in zip(widths, js, strict=True))
    return total


@pytest.mark.parametrize("widths", [[5], [2, 2], [3, 1, 4], [6, 6], [4, 3, 2, 5], [1, 1, 1, 1], [8, 2, 8]])
@pytest.mark.parametrize("n_inputs", [1, 2, 3])
def test_bounds(n_inputs, widths):
    serra = serra_bound(n_inputs, widths)
    assert serra == serra_by_enumeration(n_inputs, widths)
    assert serra <= montufar_bound(n_inputs, widths) <= 2 ** sum(widths)
    if len(widths) == 1:
        assert serra == montufar_bound(n_inputs, widths) == shallow_max(widths[0], n_inputs)


def test_bounds_by_hand():
    assert [shallow_max(n) for n in (1, 2, 3, 24)] == [2, 4, 7, 301]  # 1 + n + n(n-1)/2
    # Two ReLUs after two ReLUs in 2-D: of the 4 first-layer cells, the one with both units on keeps 2 dimensions
    # (split into <= 4), the two with one on keep 1 (<= 3 each), the one with both off is a point (1): 11.
    assert serra_bound(2, [2, 2]) == 11 and montufar_bound(2, [2, 2]) == 16
    assert serra_bound(1, [3, 4, 5]) == 4 * 5 * 6  # one input: prod (n_l + 1)
    assert serra_bound(2, [1] * 24) == 25  # a chain of single units: once one is off, all later ones are constant


@settings(max_examples=25, deadline=None)
@given(widths=st.lists(st.integers(1, 6), min_size=1, max_size=3), seed=st.integers(0, 10_000),
       leaky=st.booleans(), bias_std=st.sampled_from([0.3, 1.0, 3.0]))
def test_count_never_exceeds_the_bound(widths, seed, leaky, bias_std):
    activation = "leaky_relu" if leaky else "relu"
    net = random_biases(MLP([2, *widths, 2], activation=activation, seed=seed), seed, bias_std)
    rng = np.random.default_rng(seed)
    axis = np.linspace(-4, 4, 70)
    X = np.concatenate([np.column_stack([a.ravel() for a in np.meshgrid(axis, axis)]),
                        rng.normal(0, 2, size=(500, 2))])
    count = count_regions(net, X)
    assert count == len(set(manual_patterns(net, X)))
    assert count <= montufar_bound(2, widths)
    if not leaky:
        assert count <= serra_bound(2, widths)
    if len(widths) == 1:
        assert count <= shallow_max(widths[0], 2)


# --- maxout: its winning pieces ----------------------------------------------------------------------------------


def test_maxout_regions_are_the_winning_pieces():
    """One maxout layer: a row's region is the tuple of its units' winning pieces, computed here directly."""
    net = random_biases(MLP([2, 4, 2], activation="maxout", maxout_pieces=3, seed=5), seed=5)
    X = np.random.default_rng(5).uniform(-3, 3, size=(2000, 2))
    winners = (X @ net.weights[0] + net.biases[0]).reshape(len(X), 4, 3).argmax(axis=2)
    ids = region_ids(net, X)
    assert_same_partition(ids, [tuple(w) for w in winners])
    assert count_regions(net, X) == len({tuple(w) for w in winners})


def test_one_maxout_unit_of_tangents_has_one_region_per_piece_and_exact_kinks():
    """Pieces z_k = 2 a_k x - a_k² are the tangents of x² at a_k: each wins around a_k, and two neighbours swap
    exactly at (a_k + a_{k+1}) / 2."""
    a = np.array([-1.5, -0.5, 0.25, 1.0])
    net = MLP([1, 1, 1], activation="maxout", maxout_pieces=4, task="regression", seed=0)
    net.weights[0][:] = 2 * a
    net.biases[0][:] = -a * a
    net.weights[1][:] = 1.0
    x = np.linspace(-3, 3, 6001)[:, None]
    assert count_regions(net, x) == 4
    bp = breakpoints_1d(net, -3, 3)
    np.testing.assert_allclose(bp["x"], (a[1:] + a[:-1]) / 2, rtol=0, atol=1e-15)
    assert bp[["before", "after"]].values.tolist() == [[1, 2], [2, 3], [3, 4]]
    np.testing.assert_allclose(pieces_1d(net, -3, 3)["slope"], 2 * a)


# --- errors ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SMOOTH)
def test_smooth_activations_raise_naming_the_activation(name):
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match=name):
        region_ids(MLP([2, 4, 2], activation=name), X)
    with pytest.raises(ValueError, match=rf"layer 2 is {name}"):
        count_regions(MLP([2, 4, 4, 2], activation=["relu", name]), X)


def test_no_kinked_layer_raises():
    with pytest.raises(ValueError, match="no layer with kinks"):
        count_regions(MLP([2, 4, 4, 2], activation="linear"), np.zeros((3, 2)))


def test_too_much_work_is_refused_before_tracing():
    net = MLP([2, *[512] * 8, 2], activation="relu")
    with pytest.raises(ValueError, match="MAX_WORK"):
        region_ids(net, np.broadcast_to(np.zeros(2), (2_000_000, 2)))


def test_region_map_is_a_grid_of_ids():
    ds = load_dataset("moons")
    net = random_biases(MLP([2, 8, 8, 2], seed=0), seed=0)
    frame = region_map(net, ds.X_train, resolution=30)
    assert list(frame.columns) == ["x", "y", "x2", "y2", "region"] and len(frame) == 900
    centres = np.column_stack([(frame["x"] + frame["x2"]) / 2, (frame["y"] + frame["y2"]) / 2])
    assert_same_partition(frame["region"].to_numpy(), manual_patterns(net, centres))


# --- the sweep -----------------------------------------------------------------------------------------------------


def test_shapes_at_a_fixed_number_of_units():
    assert shapes_for(24, [1, 2, 3, 4, 5, 6]) == [(1, 24), (2, 12), (3, 8), (4, 6), (6, 4)]
    with pytest.raises(ValueError):
        shapes_for(7, [2, 3])


def test_region_sweep():
    ds = load_dataset("moons")
    frame = region_sweep(ds, total_units=12, depths=[1, 2, 3], seeds=2, resolution=60, bias_std=1.0)
    assert list(frame.columns) == SWEEP_COLUMNS and len(frame) == 6
    assert (frame["units"] == 12).all() and (frame["shallow_max"] == 79).all()
    assert frame["upper_bound"].tolist() == [float(serra_bound(2, [12 // d] * d)) for d in (1, 1, 2, 2, 3, 3)]
    assert (frame["regions"] <= frame["upper_bound"]).all()
    # the counts are those of the networks TrainConfig builds, with the documented N(0, 1) biases
    from core.lab.boundary import grid
    from core.lab.regions import _sweep_network

    points = grid(np.concatenate([ds.X_train, ds.X_test]), 60, 0.5)[0]
    for row in frame.itertuples():
        net = _sweep_network(ds, "relu", row.depth, row.width, "auto", row.seed, 1.0)
        assert row.regions == len(set(manual_patterns(net, points)))


def test_zero_biases_make_cones():
    """With the engine's zero biases a ReLU net is positively homogeneous: one layer of n units makes 2n cones."""
    ds = load_dataset("moons")
    frame = region_sweep(ds, total_units=10, depths=[1], seeds=3, resolution=100)
    assert (frame["regions"] <= 20).all() and (frame["regions"] >= 16).all()


# --- one input: the exact kinks against a dense grid --------------------------------------------------------------


def states_at(net: MLP, x: float, pieces: int = 2) -> dict[tuple[int, int], int]:
    """(layer, unit) -> state at x, from the hand-written forward pass."""
    bits = manual_patterns(net, np.array([[x]]), alpha=0.2, pieces=pieces)[0]
    states, position = {}, 0
    for layer, (name, width) in enumerate(zip(net.activations, net.layer_sizes[1:-1], strict=True), start=1):
        if name == "linear":
            continue
        for unit in range(1, width + 1):
            if name == "maxout":
                states[(layer, unit)] = bits[position:position + pieces].index(True) + 1
                position += pieces
            else:
                states[(layer, unit)] = int(bits[position])
                position += 1
    return states


def check_against_dense_grid(net: MLP, low: float, high: float, pieces: int = 2) -> int:
    bp = breakpoints_1d(net, low, high)
    assert list(bp.columns) == BREAKPOINT_COLUMNS
    x = np.linspace(low, high, 40_001)
    spacing = x[1] - x[0]
    # the exact pieces reproduce the network's output everywhere
    pc = pieces_1d(net, low, high)
    where = np.minimum(np.searchsorted(pc["end"].to_numpy(), x), len(pc) - 1)
    fitted = pc["intercept"].to_numpy()[where] + pc["slope"].to_numpy()[where] * x
    np.testing.assert_allclose(fitted, net.forward(x[:, None])[:, 0], rtol=0, atol=1e-12)
    # every change of region between neighbouring grid points holds exactly one breakpoint, and vice versa
    xs = np.unique(bp["x"])
    assert np.diff(xs).min() > 2 * spacing  # well separated, so each sits alone between grid points
    changes = np.flatnonzero(np.diff(region_ids(net, x[:, None])))
    assert len(changes) == len(xs) == len(pc) - 1
    assert ((x[changes] < xs) & (xs <= x[changes + 1])).all()
    # the units reported are exactly those whose state differs just left and right of each breakpoint
    for point in xs:
        left, right = states_at(net, point - spacing / 4, pieces), states_at(net, point + spacing / 4, pieces)
        switched = {k for k in left if left[k] != right[k]}
        rows = bp[bp["x"] == point]
        assert switched == set(zip(rows["layer"], rows["unit"], strict=True))
        for row in rows.itertuples():
            assert (row.before, row.after) == (left[(row.layer, row.unit)], right[(row.layer, row.unit)])
    return len(xs)


@pytest.mark.parametrize(("activation", "params"), [
    ("relu", {}), ("leaky_relu", {"alpha": 0.2}), ("maxout", {"maxout_pieces": 3}),
    (["relu", "linear", "maxout"], {"maxout_pieces": 2}),
])
def test_breakpoints_match_a_dense_grid(activation, params):
    net = random_biases(MLP([1, 10, 8, 6, 1], activation=activation, task="regression", seed=3, **params), seed=3)
    assert check_against_dense_grid(net, -3, 3, params.get("maxout_pieces", 2)) >= 8


def test_breakpoints_of_a_network_fitted_to_the_sine():
    ds = load_dataset("sine")
    cfg = TrainConfig(activation="relu", hidden_layers=(12, 12), epochs=20, learning_rate=0.05, seed=0)
    trainer = train_many(ds, [cfg])
    for _ in trainer:
        pass
    net = trainer.model(0)
    low, high = float(ds.X_train.min()), float(ds.X_train.max())
    assert check_against_dense_grid(net, low, high) >= 5
    bp = breakpoints_1d(net, low, high)
    assert bp["kink"].tolist() == (bp["slope_left"] != bp["slope_right"]).tolist()


def test_a_switch_hidden_behind_dead_units_is_no_kink():
    """A first-layer unit switches at x = 0.5, but every unit after it is off: the output's slope stays 0."""
    net = MLP([1, 1, 1, 1], activation="relu", task="regression", seed=0)
    net.weights[0][:], net.biases[0][:] = 1.0, -0.5
    net.weights[1][:], net.biases[1][:] = 1.0, -100.0
    bp = breakpoints_1d(net, -1, 1)
    assert bp[["x", "layer", "unit", "before", "after", "kink"]].values.tolist() == [[0.5, 1, 1, 0, 1, False]]


def test_1d_view_needs_one_input_and_one_output():
    with pytest.raises(ValueError, match="one input"):
        breakpoints_1d(MLP([2, 4, 1], task="regression"), -1, 1)
    with pytest.raises(ValueError, match="low < high"):
        pieces_1d(MLP([1, 4, 1], task="regression"), 1, -1)
    with pytest.raises(ValueError, match="tanh"):
        pieces_1d(MLP([1, 4, 1], activation="tanh", task="regression"), -1, 1)
