"""The Linear Regions page's maths: maps of the input plane, region counts while a run trains, depth against width
after training, and a 1-D fit with its kinks. Built on ``core.lab.regions`` (patterns, counts, bounds, exact kinks).

* **Region maps.** On a grid over a 2-D dataset (``plane_points``: the training and test points with a margin of
  0.5, as ``region_sweep`` uses), each cell gets its region's stable key (``core.lab.regions.region_keys``), the
  class the network predicts there, and how fast the network's input-gradient changes there.
* **How fast the gradient changes.** ``input_jacobian`` is the exact Jacobian of the network's logits (its outputs
  before softmax) with respect to its input, by forward-mode differentiation through each layer (ReLU′(0) = 0, as
  in the engine; maxout: the winning piece's slope). ``gradient_change`` is, per cell, the largest difference of
  that Jacobian (Frobenius norm) to the four neighbouring cells' divided by their distance. A piecewise-linear
  network has one constant Jacobian on each region, so the change is exactly 0 inside a region and non-zero only
  next to a region boundary where the function bends; tanh and sigmoid networks are smooth and their gradient
  changes everywhere. Differences below ``UNCHANGED_TOLERANCE`` times the largest |Jacobian| on the grid count as 0
  (floating-point rounding).
* **Counts while training.** ``RegionRun`` is a ``LiveRun`` that counts the regions of each kinked activation's
  first seed on the same grid at epoch 0, every ``count_every`` epochs and at the last epoch.
* **After training.** ``trained_region_sweep``: the shapes of ``region_sweep`` (depth × width at a fixed number of
  units) trained on the data, counted at init and after training.
* **One input.** ``fit_1d``: a ReLU network trained on the sine regression set; its fitted function exactly
  (``pieces_1d``) and every unit's switch (``breakpoints_1d``).

Counts on a grid are the regions holding at least one cell centre: a lower bound on the regions crossing the
grid's box. numpy and pandas only; heavy calls check their work first (``check_work``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from core.engine.data import load_dataset
from core.engine.limits import check_work
from core.engine.live import LiveRun
from core.engine.mlp import MLP, MaxoutLayer
from core.engine.training import (
    EpochRecord,
    TrainConfig,
    config_work,
    network_work,
    output_size,
    train_many,
    training_work,
)
from core.lab.boundary import grid
from core.lab.regions import (
    KINKED,
    breakpoints_1d,
    count_regions,
    pieces_1d,
    region_keys,
    shallow_max,
    shapes_for,
    upper_bound,
)

MAP_RESOLUTION = 160  # grid points per axis of a region map and of the counts beside it
MARGIN = 0.5  # around the data, as region_sweep's grid
COUNTS_PER_RUN = 25  # region counts over a live run: about this many, evenly spaced
UNCHANGED_TOLERANCE = 1e-9
SMOOTH = ("tanh", "sigmoid")  # the contrast: smooth activations, no regions
PLANE_COLUMNS = ["x", "y", "x2", "y2", "region", "predicted", "change"]
COUNT_COLUMNS = ["activation", "label", "epoch", "regions"]
TRAINED_SWEEP_COLUMNS = ["activation", "depth", "width", "units", "seed", "stage", "regions", "test_accuracy",
                         "shallow_max", "upper_bound"]
SWEEP_DEPTHS = (1, 2, 3, 4, 6)  # the depth sweep's shapes: each depth that divides the number of units
SWEEP_LEARNING_RATE = 0.1
LINE_DATASET = "sine"
ONE_KINK = ("relu", "leaky_relu")  # one kink per unit, at z = 0: a first-layer unit switches at x = −b/w


def is_kinked(activation: str) -> bool:
    """Whether a network of this one activation is piecewise linear (ReLU, Leaky ReLU, maxout)."""
    return activation in KINKED


# --- the plane: regions, predictions and how fast the gradient changes --------------------------------------


def plane_points(ds, resolution: int = MAP_RESOLUTION) -> tuple[np.ndarray, float, float]:
    """Cell centres of a resolution × resolution grid over a 2-D dataset's training and test points (with a
    margin of 0.5), and the cell width and height."""
    if ds.n_features != 2:
        raise ValueError(f"A map of the input plane needs a 2-D dataset, got {ds.n_features} features.")
    return grid(np.concatenate([ds.X_train, ds.X_test]), resolution, MARGIN)


def input_jacobian(model: MLP, X) -> np.ndarray:
    """∂(logits)/∂x at every row of X, shape (rows, outputs, inputs), exactly, by forward-mode differentiation:
    each input direction's tangent goes through every layer (z' = h'W; h' = f′(z) z', or the winning piece's z'
    for maxout). The logits are the network's last affine output, before softmax."""
    X = np.asarray(X, dtype=np.float64)
    n_inputs = model.layer_sizes[0]
    check_work(len(X) * (1 + n_inputs) * network_work(model), f"The input-gradient of {len(X):,} points",
               "choose a coarser grid, or fewer or narrower layers")
    with np.errstate(all="ignore"):  # a blown-up network may overflow; its Jacobian is then not finite
        zs = model.trace(X)[0]
        tangent = np.broadcast_to(np.eye(n_inputs), (len(X), n_inputs, n_inputs))
        for W, z, layer in zip(model.weights[:-1], zs, model.layers, strict=True):
            dz = tangent @ W.astype(np.float64)
            z = z.astype(np.float64)
            if isinstance(layer, MaxoutLayer):
                pieces = layer.pieces
                winner = z.reshape(len(X), 1, -1, pieces).argmax(axis=-1)[..., None]  # the same for each direction
                dz = np.take_along_axis(dz.reshape(len(X), n_inputs, -1, pieces), winner, axis=-1)[..., 0]
            else:
                dz = dz * layer.activation.derivative(z)[:, None, :]
            tangent = dz
        jacobian = tangent @ model.weights[-1].astype(np.float64)
    return np.ascontiguousarray(jacobian.transpose(0, 2, 1))


def gradient_change(jacobian: np.ndarray, resolution: int, cell_width: float, cell_height: float) -> np.ndarray:
    """Per cell of a resolution × resolution grid (x varying fastest, as ``grid``): the largest ‖J(neighbour) −
    J(cell)‖_F over its four neighbours, divided by their distance: how fast the input-gradient changes there.
    Differences within ``UNCHANGED_TOLERANCE`` × the largest ‖J‖ on the grid are rounding and count as 0."""
    J = jacobian.reshape(resolution, resolution, -1)
    scale = float(np.nanmax(np.linalg.norm(J, axis=-1))) if J.size else 0.0
    floor = UNCHANGED_TOLERANCE * scale
    along_x = np.linalg.norm(np.diff(J, axis=1), axis=-1)  # between columns j and j + 1
    along_y = np.linalg.norm(np.diff(J, axis=0), axis=-1)  # between rows i and i + 1
    along_x = np.where(along_x > floor, along_x, 0.0) / cell_width
    along_y = np.where(along_y > floor, along_y, 0.0) / cell_height
    change = np.zeros((resolution, resolution))
    change[:, 1:] = np.maximum(change[:, 1:], along_x)
    change[:, :-1] = np.maximum(change[:, :-1], along_x)
    change[1:, :] = np.maximum(change[1:, :], along_y)
    change[:-1, :] = np.maximum(change[:-1, :], along_y)
    return change.ravel()


@dataclass(frozen=True)
class Plane:
    """One network on the plane's grid. ``frame``: one row per cell, x, y, x2, y2 (cell corners), region (the
    stable key of its activation pattern; -1 for a smooth network), predicted (class index), change (see
    ``gradient_change``). ``regions``: distinct activation patterns on the grid (None for a smooth network).
    ``unchanged``: the share of cells whose gradient equals all four neighbours'."""

    frame: pd.DataFrame
    regions: int | None
    unchanged: float


def plane(model: MLP, ds, resolution: int = MAP_RESOLUTION) -> Plane:
    """The network's regions (when it is piecewise linear), predictions and gradient change on the plane grid."""
    points, width, height = plane_points(ds, resolution)
    kinked = all(is_kinked(name) or name == "linear" for name in model.activations)
    keys, regions = region_keys(model, points) if kinked else (np.full(len(points), -1, dtype=np.int64), None)
    with np.errstate(all="ignore"):
        predicted = model.trace(points)[2].argmax(axis=1)
    change = gradient_change(input_jacobian(model, points), resolution, width, height)
    frame = pd.DataFrame({"x": points[:, 0] - width / 2, "y": points[:, 1] - height / 2,
                          "x2": points[:, 0] + width / 2, "y2": points[:, 1] + height / 2,
                          "region": keys.astype(np.int64), "predicted": predicted, "change": change})
    return Plane(frame, regions, float(np.mean(change == 0)))


# --- region counts while a live run trains ----------------------------------------------------------------


def observe_regions(points: np.ndarray, counted: dict[int, str], count_every: int, trainer,
                    records: Sequence[EpochRecord]) -> list[tuple[str, str, int, int]]:
    """``RegionRun``'s observer: (activation, label, epoch, regions) of each counted run's network whose count is
    due at this epoch (every ``count_every`` epochs and the last planned one), unless it diverged."""
    rows = []
    for record in records:
        due = record.epoch % count_every == 0 or record.epoch == trainer.planned
        if record.run in counted and due and not record.diverged:
            rows.append((record.activation, record.label, record.epoch, count_regions(trainer.model(record.run),
                                                                                         points)))
    return rows


class RegionRun(LiveRun):
    """A live run that also counts, on the plane grid (``plane_points``), the linear regions of each kinked
    activation's first seed: at epoch 0, every ``count_every`` epochs and at the last epoch (about
    ``COUNTS_PER_RUN`` counts). A run that diverged is no longer counted."""

    def __init__(self, experiment, dataset=None, resolution: int = MAP_RESOLUTION, **options):
        dataset = dataset if dataset is not None else experiment.load_data()
        self.points = plane_points(dataset, resolution)[0]
        self.count_every = max(1, -(-experiment.epochs // COUNTS_PER_RUN))
        self._counted = {experiment.first_run(name): name for name in experiment.activations if is_kinked(name)}
        for name in self._counted.values():
            cfg = experiment.config(name, experiment.first_seed)
            check_work(len(self.points) * config_work(cfg, 2, output_size(dataset)),
                       f"Counting regions on {len(self.points):,} grid points", "choose fewer or narrower layers")
        super().__init__(experiment, dataset, **options)  # options: LiveRun's service and owner

    def observer(self):
        return partial(observe_regions, self.points, self._counted, self.count_every)

    def region_counts(self) -> pd.DataFrame:
        """activation, label, epoch, regions: every count so far, in the order they were made."""
        rows = self.observed()
        return pd.DataFrame(rows, columns=COUNT_COLUMNS)


# --- depth against width, at init and after training ---------------------------------------------------------


def trained_region_sweep(ds, total_units: int = 24, depths: Iterable[int] = SWEEP_DEPTHS,
                         activation: str = "relu", seeds: int | Sequence[int] = 3, epochs: int = 100,
                         learning_rate: float = SWEEP_LEARNING_RATE, batch_size: int = 32, init: str = "auto",
                         resolution: int = MAP_RESOLUTION) -> pd.DataFrame:
    """Each shape of ``shapes_for(total_units, depths)`` (1 × 24, 2 × 12, ...) trained on a 2-D dataset with plain
    SGD for ``epochs`` epochs, every shape and seed on the same data and batches (``train_many``); its regions on the
    plane grid counted at init (stage "init", the engine's zero biases) and after training (stage "trained").

    Columns: activation, depth, width, units, seed, stage, regions, test_accuracy, shallow_max (1 + N + N(N−1)/2
    for N units in one layer) and upper_bound (``core.lab.regions.upper_bound``; NaN for maxout)."""
    if ds.n_features != 2 or ds.task != "classification":
        raise ValueError("The trained sweep needs a 2-D classification dataset.")
    seeds = list(range(int(seeds))) if isinstance(seeds, int | np.integer) else [int(s) for s in seeds]
    if not seeds:
        raise ValueError("Need at least one seed.")
    shapes = shapes_for(int(total_units), depths)
    configs = [TrainConfig(activation=activation, hidden_layers=(width,) * depth, epochs=epochs,
                           learning_rate=learning_rate, batch_size=batch_size, init=init, seed=seed)
               for depth, width in shapes for seed in seeds]
    points = plane_points(ds, resolution)[0]
    counting = 2 * len(points) * sum(config_work(cfg, 2, output_size(ds)) for cfg in configs)
    check_work(training_work(ds, configs) + counting, f"Training {len(configs)} networks for {epochs} epochs and "
               "counting their regions", "choose fewer epochs, seeds or depths")
    trainer = train_many(ds, configs)
    rows, last = [], {}
    for records in trainer:
        for record in records:
            last[record.run] = record
            if record.epoch == 0:
                rows.append(_sweep_row(configs[record.run], "init", count_regions(trainer.model(record.run), points),
                                       record.test_accuracy))
    for run, record in sorted(last.items()):
        regions = np.nan if record.diverged else count_regions(trainer.model(run), points)
        rows.append(_sweep_row(configs[run], "trained", regions, record.test_accuracy))
    return pd.DataFrame(rows, columns=TRAINED_SWEEP_COLUMNS)


def _sweep_row(cfg: TrainConfig, stage: str, regions, accuracy) -> tuple:
    depth, width = len(cfg.hidden_layers), cfg.hidden_layers[0]
    bound = upper_bound(cfg.hidden_activations[0], 2, cfg.hidden_layers)
    return (cfg.hidden_activations[0], depth, width, depth * width, cfg.seed, stage, regions, accuracy,
            shallow_max(depth * width, 2), np.nan if bound is None else float(bound))


def sweep_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (stage, depth, width): the mean, min and max of the regions over seeds, with the bounds. Works on
    ``region_sweep`` frames too (give them a ``stage`` column)."""
    keys = ["stage", "depth", "width", "units"]
    grouped = frame.groupby(keys, sort=True)
    summary = grouped["regions"].agg(mean="mean", low="min", high="max", seeds="count").reset_index()
    bounds = grouped[["shallow_max", "upper_bound"]].first().reset_index(drop=True)
    return pd.concat([summary, bounds], axis=1)


# --- one input: a ReLU network fitting the sine set ---------------------------------------------------------


@dataclass(frozen=True)
class Fit1D:
    """A 1-input network trained on the sine set. ``points``: x, y, split (the data, standardised as trained on);
    ``pieces``: the fitted function exactly, one row per linear piece (``pieces_1d``); ``breakpoints``: every unit's
    switch inside the range (``breakpoints_1d``); ``first_layer``: each first-layer unit's x = −b/w (NaN for a unit
    with w = 0) and whether it lies inside the range; ``r2``: the training R² at the last epoch."""

    points: pd.DataFrame
    pieces: pd.DataFrame
    breakpoints: pd.DataFrame
    first_layer: pd.DataFrame
    r2: float
    low: float
    high: float


def fit_1d(hidden_layers: Sequence[int] = (8, 8), epochs: int = 500, learning_rate: float = 0.1,
           activation: str = "relu", batch_size: int = 32, n_samples: int = 500, noise: float = 0.2,
           seed: int = 0) -> Fit1D:
    """Train a network of ``activation`` (ReLU by default) on the sine regression set (y = sin 2x + noise) with
    plain SGD, then read its fitted function and kinks exactly over the data's range."""
    if activation not in ONE_KINK:
        raise ValueError(f"The 1-D view needs an activation with one kink per unit ({', '.join(ONE_KINK)}), got "
                         f"{activation}.")
    ds = load_dataset(LINE_DATASET, n_samples=n_samples, noise=noise, seed=seed)
    cfg = TrainConfig(activation=activation, hidden_layers=tuple(hidden_layers), epochs=epochs,
                      learning_rate=learning_rate, batch_size=batch_size, init="auto", seed=seed)
    check_work(training_work(ds, [cfg]), f"Training a {len(cfg.hidden_layers)}-layer network for {epochs} epochs",
               "choose fewer epochs, or fewer or narrower layers")
    trainer = train_many(ds, [cfg])
    last = None
    for records in trainer:
        last = records[0]
    model = trainer.model(0)
    X = np.concatenate([ds.X_train, ds.X_test])[:, 0]
    low, high = float(X.min()), float(X.max())
    points = pd.DataFrame({"x": X, "y": np.concatenate([ds.y_train, ds.y_test])[:, 0],
                           "split": ["train"] * len(ds.X_train) + ["test"] * len(ds.X_test)})
    W, b = model.weights[0][0].astype(np.float64), model.biases[0].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        switch = np.where(W != 0, -b / W, np.nan)
    first_layer = pd.DataFrame({"unit": np.arange(1, len(switch) + 1), "x": switch})
    first_layer["inside"] = (first_layer["x"] > low) & (first_layer["x"] < high)
    r2 = np.nan if last.diverged else 1.0 - 2.0 * last.train_loss
    return Fit1D(points, pieces_1d(model, low, high), breakpoints_1d(model, low, high), first_layer, float(r2),
                 low, high)
