"""Linear regions: where a piecewise-linear network is one affine function, and how many such pieces it has.

A hidden unit of a ReLU or Leaky ReLU layer has one kink, at pre-activation z = 0; a maxout unit's kinks are where
its winning piece changes. Fix which side of its kink every hidden unit is on (its *activation pattern*) and every
layer becomes affine, so the whole network is one affine function on the set of inputs sharing that pattern: an
*activation region*. Each such set is convex (an intersection of half-spaces, given the pattern), hence connected.

Conventions, everywhere in this module:

* ReLU and Leaky ReLU units are "on" where z > 0 and "off" where z <= 0 (relu'(0) = 0, as in the engine); a Leaky
  ReLU with alpha = 1 is the identity, yet its z = 0 is still counted as a kink;
* a maxout unit's state is its winning piece, the first of the largest (numpy's argmax, as ``MaxoutLayer``);
* linear layers have no kink and add nothing; a smooth activation (sigmoid, tanh, ELU, GELU, SiLU, softplus) has
  no linear regions at all, so it raises a ValueError naming the layer;
* hidden layers and their units are numbered from 1, as in ``core.lab.neurons``.

Regions counted on a grid are the regions that hold at least one grid point: a lower bound on the regions
crossing the grid's box, which can miss regions thinner than a cell.

The heavy calls check their work first (``core.engine.limits.check_work``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from math import comb

import numpy as np
import pandas as pd

from core.engine.limits import check_work, dense_work
from core.engine.mlp import MAXOUT, MLP
from core.engine.training import TrainConfig, network_for, network_work, output_size
from core.lab.boundary import grid

KINKED = ("relu", "leaky_relu", MAXOUT)
# Rows traced at once: bounds the pre-activations held in memory (about 8 bytes x 2 arrays x this many values).
CHUNK_VALUES = 2**21
SWEEP_COLUMNS = ["activation", "depth", "width", "units", "seed", "regions", "shallow_max", "upper_bound"]
PIECE_COLUMNS = ["start", "end", "slope", "intercept"]
BREAKPOINT_COLUMNS = ["x", "layer", "unit", "before", "after", "slope_left", "slope_right", "kink"]


# --- which layers have kinks ------------------------------------------------------------------------------


def kinked_layers(model: MLP) -> list[int]:
    """Indexes (from 0) of the hidden layers with kinks; a ValueError for a smooth layer or for none at all."""
    kinked = []
    for index, name in enumerate(model.activations):
        if name in KINKED:
            kinked.append(index)
        elif name != "linear":
            raise ValueError(f"Hidden layer {index + 1} is {name}, a smooth activation with no kinks: its network "
                             "has no linear regions. Linear regions need ReLU, Leaky ReLU or maxout.")
    if not kinked:
        raise ValueError("This network has no layer with kinks (every hidden layer is linear): it is one affine "
                         "function, a single region. Linear regions need ReLU, Leaky ReLU or maxout.")
    return kinked


def _states(model: MLP, index: int, z: np.ndarray) -> np.ndarray:
    """Each unit's side of its kink: 1 where z > 0 and 0 elsewhere, or a maxout unit's winning piece from 0."""
    layer = model.layers[index]
    if layer.pieces > 1:
        return z.reshape(*z.shape[:-1], -1, layer.pieces).argmax(axis=-1)
    return (z > 0).astype(np.int8)


def _pattern_bits(model: MLP, kinked: Sequence[int], zs: list[np.ndarray]) -> np.ndarray:
    """One row of bits per input: the on/off bit of each ReLU unit, the binary digits of each maxout winner."""
    columns = []
    for index in kinked:
        state = _states(model, index, zs[index])
        pieces = model.layers[index].pieces
        if pieces > 1:
            digits = np.arange(int(pieces - 1).bit_length())
            columns.append(((state[..., None] >> digits) & 1).reshape(len(state), -1).astype(bool))
        else:
            columns.append(state.astype(bool))
    return np.concatenate(columns, axis=1)


# --- ids and counts -----------------------------------------------------------------------------------------


def _check_rows(model: MLP, X, what: str) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != model.n_inputs:
        raise ValueError(f"Expected inputs of shape (n, {model.n_inputs}), got {X.shape}.")
    check_work(len(X) * network_work(model),
               f"{what} of {len(X):,} points through a network of {len(model.layers)} hidden layers",
               "choose fewer points (a coarser grid), or fewer or narrower layers")
    return X


def _packed_patterns(model: MLP, X: np.ndarray) -> np.ndarray:
    """The activation pattern of every row of X as packed bytes (rows, bytes), traced in chunks of rows."""
    kinked = kinked_layers(model)
    values_per_row = sum(w * layer.pieces for w, layer in zip(model.layer_sizes[1:-1], model.layers, strict=True))
    chunk = max(1, CHUNK_VALUES // max(values_per_row, 1))
    parts = []
    for start in range(0, len(X), chunk):
        with np.errstate(all="ignore"):  # a blown-up network may overflow; its patterns are still defined
            zs = model.trace(X[start:start + chunk])[0]
        parts.append(np.packbits(_pattern_bits(model, kinked, zs), axis=1))
    if not parts:
        return np.zeros((0, 1), dtype=np.uint8)
    return np.ascontiguousarray(np.concatenate(parts))


def _distinct_patterns(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a packed pattern matrix (sorted) and each row's index among them: each row is viewed as
    one opaque bytes value (a void scalar), so numpy sorts and compares whole patterns at once."""
    rows = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    distinct, inverse = np.unique(rows, return_inverse=True)
    return distinct, inverse.reshape(-1).astype(np.int64)


def _unique_inverse(packed: np.ndarray) -> tuple[int, np.ndarray]:
    """How many distinct rows a packed pattern matrix has, and each row's index among them."""
    distinct, inverse = _distinct_patterns(packed)
    return len(distinct), inverse


def region_ids(model: MLP, X) -> np.ndarray:
    """One int per row of X (0, 1, ... in the sorted order of the patterns): two rows share an id exactly when every
    hidden unit is on the same side of its kink for both (ReLU / Leaky ReLU: z > 0; maxout: the same winning piece).

    A ValueError for a network with a smooth hidden layer, or with no kinked layer at all."""
    X = _check_rows(model, X, "Finding the linear regions")
    return _unique_inverse(_packed_patterns(model, X))[1]


def count_regions(model: MLP, X) -> int:
    """The number of distinct activation patterns among the rows of X: the linear regions that hold a row of X."""
    X = _check_rows(model, X, "Counting the linear regions")
    return _unique_inverse(_packed_patterns(model, X))[0]


def region_keys(model: MLP, X) -> tuple[np.ndarray, int]:
    """A stable key for each row of X, and the number of distinct activation patterns among the rows (exact, as
    ``count_regions``).

    The key is a 32-bit BLAKE2b hash of the row's activation pattern: the same pattern gets the same key whatever
    else changed (training moved the weights, another session, another process), unlike ``region_ids``, which number
    the patterns present in their sorted order. Equal patterns always share a key; two different ones share one with
    probability 2⁻³² per pair, so keys serve to colour a map and the count comes from the patterns themselves."""
    X = _check_rows(model, X, "Finding the linear regions")
    distinct, inverse = _distinct_patterns(_packed_patterns(model, X))
    keys = np.array([int.from_bytes(hashlib.blake2b(pattern.tobytes(), digest_size=4).digest(), "little")
                     for pattern in distinct], dtype=np.uint32)
    return keys[inverse], len(distinct)


def region_map(model: MLP, X, resolution: int = 200, margin: float = 0.5) -> pd.DataFrame:
    """The linear regions of a 2-input network on a grid covering the 2-D points X (``core.lab.boundary.grid``).

    One row per grid cell: x, y, x2, y2 (cell corners) and region (``region_ids`` of the cell centres). A network
    with input features (x1², sin x1, ...) is piecewise linear in its features, not in the points: its regions on
    the plane are the features' regions pulled back, and need not be convex."""
    if model.n_inputs != 2:
        raise ValueError(f"A region map needs a network of 2-D points, got one of {model.n_inputs} inputs.")
    points, width, height = grid(np.asarray(X), resolution, margin)
    ids = region_ids(model, points)
    return pd.DataFrame({"x": points[:, 0] - width / 2, "y": points[:, 1] - height / 2,
                         "x2": points[:, 0] + width / 2, "y2": points[:, 1] + height / 2, "region": ids})


# --- bounds ---------------------------------------------------------------------------------------------------


def shallow_max(units: int, n_inputs: int = 2) -> int:
    """The most regions one hidden layer of ``units`` ReLUs can cut R^n_inputs into: sum_{j <= n_inputs} C(units, j)
    (Zaslavsky 1975, for hyperplanes in general position; any other arrangement has fewer). In 2-D that is
    1 + n + n(n - 1)/2."""
    return sum(comb(int(units), j) for j in range(min(int(n_inputs), int(units)) + 1))


def serra_bound(n_inputs: int, widths: Sequence[int]) -> int:
    """Serra, Tjandraatmadja & Ramalingam (2018), Theorem 1: a ReLU network with n_0 inputs and hidden widths
    n_1..n_L has at most sum over (j_1..j_L) in J of prod_l C(n_l, j_l) linear regions, where J holds every tuple
    with 0 <= j_l <= min(n_0, n_1 - j_1, ..., n_{l-1} - j_{l-1}, n_l). Exact (tight) for one layer, where it is
    ``shallow_max``.

    Summed by dynamic programming over the running minimum m = min(n_0, n_1 - j_1, ...), which is all a later
    layer's range of j depends on: exact integers, without listing the (up to (n_0 + 1)^L) tuples."""
    ways = {int(n_inputs): 1}  # running minimum -> sum of products over the tuples so far that reach it
    for width in (int(w) for w in widths):
        after: dict[int, int] = {}
        for running, total in ways.items():
            for j in range(min(running, width) + 1):
                key = min(running, width - j)
                after[key] = after.get(key, 0) + total * comb(width, j)
        ways = after
    return sum(ways.values())


def montufar_bound(n_inputs: int, widths: Sequence[int]) -> int:
    """Montúfar (2017, "Notes on the number of linear regions of deep neural networks"): at most
    prod_l sum_{j <= d_l} C(n_l, j) regions, d_l = min(n_0, n_1, ..., n_l). It holds for Leaky ReLU too: on a region
    of the earlier layers the network is affine with rank <= d_l, so layer l's n_l kinks act there like hyperplanes
    in a space of dimension d_l. Never below ``serra_bound``, which sharpens it for ReLU."""
    total, dimension = 1, int(n_inputs)
    for width in (int(w) for w in widths):
        dimension = min(dimension, width)
        total *= shallow_max(width, dimension)
    return total


def upper_bound(activation: str, n_inputs: int, widths: Sequence[int]) -> int | None:
    """The bound this module compares to: ``serra_bound`` for ReLU, ``montufar_bound`` for Leaky ReLU, None for
    maxout (no bound is stated here for it)."""
    if activation == "relu":
        return serra_bound(n_inputs, widths)
    if activation == "leaky_relu":
        return montufar_bound(n_inputs, widths)
    return None


# --- depth against width at a fixed number of units ----------------------------------------------------------


def shapes_for(total_units: int, depths: Iterable[int]) -> list[tuple[int, int]]:
    """(depth, width) for each depth that divides ``total_units``: e.g. 24 units give 1 x 24, 2 x 12, 3 x 8, 4 x 6."""
    shapes = []
    for depth in sorted({int(d) for d in depths}):
        if depth < 1:
            raise ValueError(f"Each depth must be at least 1, got {depth}.")
        if total_units % depth == 0:
            shapes.append((depth, total_units // depth))
    if not shapes:
        raise ValueError(f"No depth among {sorted(depths)} divides {total_units} units into equal layers.")
    return shapes


def _sweep_network(ds, activation: str, depth: int, width: int, init: str, seed: int, bias_std: float) -> MLP:
    """The network ``TrainConfig`` builds at init, with its hidden biases drawn N(0, bias_std²) when bias_std > 0."""
    net = network_for(TrainConfig(activation=activation, hidden_layers=(width,) * depth, init=init, seed=seed), ds)
    if bias_std > 0:
        rng = np.random.default_rng([seed, 2])  # its own stream: the weights stay those of the seed
        for b in net.biases[:-1]:
            b[:] = rng.normal(0.0, bias_std, size=b.shape)
    return net


def region_sweep(ds, total_units: int = 24, depths: Iterable[int] = (1, 2, 3, 4, 6), activation: str = "relu",
                 init: str = "auto", seeds: int | Iterable[int] = 3, resolution: int = 200, margin: float = 0.5,
                 bias_std: float = 0.0) -> pd.DataFrame:
    """Linear regions at init against depth, at a fixed number of hidden units, on a 2-D dataset's grid.

    For each depth that divides ``total_units`` (1 x 24, 2 x 12, ...) and each seed, the network ``TrainConfig``
    builds at init (``init`` as there; "auto" is He for ReLU) is traced on a resolution x resolution grid covering
    the training and test points (``core.lab.boundary.grid``), and the regions holding a grid point are counted.

    The engine's biases start at 0, which makes a ReLU network positively homogeneous: every region is then a cone
    from the origin, and a single layer of n units makes only 2n of them. ``bias_std > 0`` draws every hidden bias
    from N(0, bias_std²) instead (as Hanin & Rolnick 2019 study random networks with random biases), so the kinks
    move off the origin.

    Columns: activation, depth, width, units, seed, regions; ``shallow_max`` = 1 + N + N(N - 1)/2, the most regions
    one layer of all N units can make in 2-D (Zaslavsky); ``upper_bound`` (see ``upper_bound``): Serra et al.'s
    (2018) Theorem 1 for ReLU, exact for depth 1, Montúfar's (2017) for Leaky ReLU, NaN for maxout.
    """
    if ds.n_features != 2:
        raise ValueError(f"The region sweep needs a 2-D dataset, got {ds.n_features} features.")
    if not (np.isfinite(bias_std) and bias_std >= 0):
        raise ValueError(f"bias_std must be a number >= 0, got {bias_std!r}.")
    seeds = list(range(int(seeds))) if isinstance(seeds, int | np.integer) else [int(s) for s in seeds]
    if not seeds:
        raise ValueError("Need at least one seed.")
    shapes = shapes_for(int(total_units), depths)
    X = np.concatenate([ds.X_train, ds.X_test])
    points = grid(X, resolution, margin)[0]
    pieces = 2 if activation == MAXOUT else 1  # TrainConfig's default maxout_pieces
    work = sum(len(seeds) * len(points) * dense_work([2, *(width,) * depth, output_size(ds)], pieces)
               for depth, width in shapes)
    check_work(work, f"Counting regions on a {resolution} × {resolution} grid for {len(shapes)} shapes × "
               f"{len(seeds)} seeds", "choose a coarser grid, fewer seeds or fewer depths")
    rows = []
    for depth, width in shapes:
        bound = upper_bound(activation, 2, (width,) * depth)
        for seed in seeds:
            net = _sweep_network(ds, activation, depth, width, init, seed, bias_std)
            rows.append((activation, depth, width, depth * width, seed, count_regions(net, points),
                         shallow_max(depth * width, 2), np.nan if bound is None else float(bound)))
    return pd.DataFrame(rows, columns=SWEEP_COLUMNS)


# --- one input: the exact kinks -------------------------------------------------------------------------------


def _crossings(model: MLP, index: int, ZC: np.ndarray, ZD: np.ndarray, starts, ends):
    """(piece, x) of every kink crossing strictly inside a piece, for pre-activations z = ZC + ZD x on each piece.

    ReLU: x = -c/d where d != 0. Maxout: every x where two of a unit's pieces are equal (a superset of where its
    winner changes; pieces that turn out to keep their winner are merged again afterwards)."""
    pieces = model.layers[index].pieces
    with np.errstate(divide="ignore", invalid="ignore"):
        if pieces == 1:
            roots = -ZC / ZD
        else:
            c = ZC.reshape(len(ZC), -1, pieces)
            d = ZD.reshape(len(ZD), -1, pieces)
            a, b = np.triu_indices(pieces, k=1)
            roots = ((c[..., a] - c[..., b]) / (d[..., b] - d[..., a])).reshape(len(ZC), -1)
    inside = np.isfinite(roots) & (roots > starts[:, None]) & (roots < ends[:, None])
    piece, _ = np.nonzero(inside)
    return piece, roots[inside]


def _split(starts, ends, piece, cuts, tolerance: float):
    """Cut each piece [start, end] at its cuts; cuts closer than ``tolerance`` to a piece's end or to the previous
    cut are dropped (a crossing at a piece's edge changes nothing inside it). Returns new starts, ends, parents."""
    parent = np.concatenate([np.arange(len(starts)), piece])
    points = np.concatenate([starts, cuts])
    order = np.lexsort((points, parent))
    parent, points = parent[order], points[order]
    first = np.r_[True, parent[1:] != parent[:-1]]
    gap_before = np.r_[np.inf, np.diff(points)]
    keep = first | ((gap_before > tolerance) & (ends[parent] - points > tolerance))
    parent, points = parent[keep], points[keep]
    last = np.r_[parent[1:] != parent[:-1], True]
    new_ends = np.where(last, ends[parent], np.r_[points[1:], 0.0])
    return points, new_ends, parent


def _affine_pieces(model: MLP, low: float, high: float):
    """The pieces of [low, high] on which every hidden unit of a 1-input network keeps its state.

    Layer by layer, the layer's input on each piece is affine in x, h = C + D x; its pre-activations are then
    ZC + ZD x, each piece is cut where a unit crosses its kink, every new piece's states are read at its midpoint,
    and neighbours from one parent that ended up with the same states are merged. Returns starts, ends, the states
    of every hidden layer (None for a linear one) and the output's intercepts and slopes, each per piece."""
    starts, ends = np.array([float(low)]), np.array([float(high)])
    C, D = np.zeros((1, 1)), np.ones((1, 1))
    states: list[np.ndarray | None] = []
    tolerance = 1e-12 * (high - low)
    layers = zip(model.weights[:-1], model.biases[:-1], model.layers, model.activations, strict=True)
    for index, (W, b, layer, name) in enumerate(layers):
        check_work(2 * len(starts) * network_work(model), f"Tracing {len(starts):,} affine pieces through a network "
                   f"of {len(model.layers)} hidden layers", "choose a shorter interval, or fewer or narrower layers")
        W, b = W.astype(np.float64), b.astype(np.float64)
        ZC, ZD = C @ W + b, D @ W
        if name == "linear":
            C, D = ZC, ZD
            states.append(None)
            continue
        starts, ends, parent = _split(starts, ends, *_crossings(model, index, ZC, ZD, starts, ends), tolerance)
        ZC, ZD = ZC[parent], ZD[parent]
        states = [None if s is None else s[parent] for s in states]
        state = _states(model, index, ZC + ZD * ((starts + ends) / 2)[:, None])
        same = np.r_[False, (parent[1:] == parent[:-1]) & (state[1:] == state[:-1]).all(axis=1)]
        group_end = np.r_[~same[1:], True]
        keep = ~same
        starts, ends = starts[keep], ends[group_end]
        ZC, ZD, state = ZC[keep], ZD[keep], state[keep]
        states = [None if s is None else s[keep] for s in states]
        states.append(state)
        C, D = _through(layer, name, state, ZC, ZD)
    W, b = model.weights[-1].astype(np.float64), model.biases[-1].astype(np.float64)
    return starts, ends, states, (C @ W + b)[:, 0], (D @ W)[:, 0]


def _through(layer, name: str, state: np.ndarray, ZC: np.ndarray, ZD: np.ndarray):
    """The layer's output, affine on each piece, given its units' states there."""
    if layer.pieces > 1:
        shape = (len(ZC), -1, layer.pieces)
        pick = state[..., None]
        return (np.take_along_axis(ZC.reshape(shape), pick, axis=-1)[..., 0],
                np.take_along_axis(ZD.reshape(shape), pick, axis=-1)[..., 0])
    off = 0.0 if name == "relu" else float(layer.activation.params["alpha"])  # Leaky ReLU's slope for z <= 0
    factor = np.where(state == 1, 1.0, off)
    return ZC * factor, ZD * factor


def _check_1d(model: MLP, low: float, high: float) -> None:
    if model.n_inputs != 1 or model.layer_sizes[-1] != 1:
        raise ValueError(f"The 1-D view needs a network with one input and one output, got "
                         f"{model.n_inputs} and {model.layer_sizes[-1]}.")
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"Need finite low < high, got {low!r} and {high!r}.")
    kinked_layers(model)


def pieces_1d(model: MLP, low: float, high: float) -> pd.DataFrame:
    """The fitted function of a 1-input, 1-output network on [low, high], exactly: one row per linear region,
    in order, with its start, end, slope and intercept (the output is intercept + slope * x on [start, end]).
    Computed by tracking affine pieces layer by layer (see ``breakpoints_1d``), not by sampling."""
    _check_1d(model, low, high)
    starts, ends, _, intercepts, slopes = _affine_pieces(model, low, high)
    return pd.DataFrame({"start": starts, "end": ends, "slope": slopes, "intercept": intercepts})[PIECE_COLUMNS]


def breakpoints_1d(model: MLP, low: float, high: float) -> pd.DataFrame:
    """Every point of (low, high) where a hidden unit of a 1-input, 1-output network crosses its kink, exactly.

    Each unit's pre-activation is affine in x on each piece of the layers before it, so it crosses 0 at most once
    there, at x = -c/d: the pieces are cut layer by layer at those crossings (maxout: where two of a unit's pieces
    are equal and its winner changes). One row per (breakpoint, unit that switches there): x, layer and unit
    (from 1), the unit's state before and after (ReLU / Leaky ReLU: 1 on, 0 off; maxout: the winning piece from 1),
    the output's slope left and right of x, and ``kink``: whether the slope changes there (a unit whose switch is
    lost downstream, e.g. behind units that are all off, moves no kink into the fitted function)."""
    _check_1d(model, low, high)
    starts, ends, states, _, slopes = _affine_pieces(model, low, high)
    rows = []
    for layer, state in enumerate(states, start=1):
        if state is None:
            continue
        offset = 1 if model.layers[layer - 1].pieces > 1 else 0
        left, unit = np.nonzero(state[1:] != state[:-1])
        for i, u in zip(left, unit, strict=True):
            x = float(ends[i]) + 0.0  # a crossing at -0.0 reads as 0
            rows.append((x, layer, int(u) + 1, int(state[i, u]) + offset, int(state[i + 1, u]) + offset,
                         float(slopes[i]), float(slopes[i + 1]), bool(slopes[i] != slopes[i + 1])))
    frame = pd.DataFrame(rows, columns=BREAKPOINT_COLUMNS)
    return frame.sort_values(["x", "layer", "unit"], ignore_index=True)
