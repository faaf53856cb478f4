"""What a trained network predicts over its inputs: a classifier's probability surface on a grid and its confusion
matrix; a regression's fitted curve (one input) or its predictions against the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix

from core.engine.limits import MAX_GRID, check_work
from core.engine.mlp import MLP
from core.engine.training import network_work


def grid(X: np.ndarray, resolution: int = 50, margin: float = 0.5) -> tuple[np.ndarray, float, float]:
    """Cell centres covering the 2-D points X with a margin: (points, cell width, cell height)."""
    if not 2 <= resolution <= MAX_GRID:
        raise ValueError(f"Grid resolution must be from 2 to {MAX_GRID} points per axis.")
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs = np.linspace(low[0], high[0], resolution)
    ys = np.linspace(low[1], high[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    return np.column_stack([xx.ravel(), yy.ravel()]), xs[1] - xs[0], ys[1] - ys[0]


def decision_surface(model, X: np.ndarray, resolution: int = 50, class_names=None) -> pd.DataFrame:
    """One row per grid cell: x, y, x2, y2 (cell corners), predicted class, its probability,
    and ``p1`` = P(class 1) (the natural colour for two classes).

    An ``MLP``'s surface has its work checked first: resolution² forward passes, at most ``MAX_WORK``."""
    if X.shape[1] != 2:
        raise ValueError("A decision surface needs exactly 2 input features.")
    points, width, height = grid(X, resolution)
    if isinstance(model, MLP):
        _check_surface_work(model, resolution)
    with np.errstate(all="ignore"):
        probs = model.forward(points)
    return _surface_frame(points, width, height, probs, class_names)


def _check_surface_work(model: MLP, resolution: int) -> None:
    check_work(resolution ** 2 * network_work(model),
               f"A decision surface of {resolution} × {resolution} cells for a network of {len(model.layers)} "
               "hidden layers", "choose a coarser grid, or fewer or narrower layers")


def _surface_frame(points: np.ndarray, width: float, height: float, probs: np.ndarray, class_names) -> pd.DataFrame:
    """``decision_surface``'s frame from the cells' centres and their class probabilities."""
    probs = np.nan_to_num(probs, nan=1.0 / probs.shape[1])
    predicted = probs.argmax(axis=1)
    names = np.asarray(class_names if class_names is not None else [str(c) for c in range(probs.shape[1])])
    return pd.DataFrame({
        "x": points[:, 0] - width / 2, "y": points[:, 1] - height / 2,
        "x2": points[:, 0] + width / 2, "y2": points[:, 1] + height / 2,
        "class": names[predicted], "confidence": probs.max(axis=1), "p1": probs[:, 1],
    })


SAVED_SPREAD = 3.0  # a loaded network's surface: the training mean ± this many standard deviations of each feature


def saved_surface(network, resolution: int = 50) -> pd.DataFrame:
    """A loaded classifier's (``core.io.weights.SavedNetwork``) decision surface, as ``decision_surface``'s frame.

    With its saved scaler: over raw features, the training mean ± ``SAVED_SPREAD`` standard deviations of each,
    every cell predicted from its raw coordinates through the scaler (``SavedNetwork.forward_raw``). Without one (a
    version 1 file, or one saved without its data): over standardised features, ± ``SAVED_SPREAD``, its classes
    named "class 0", "class 1", ..."""
    model = network.model
    if model.task != "classification" or model.layer_sizes[0] != 2:
        raise ValueError(f"A decision surface needs a classifier of exactly 2 inputs; this network is a {model.task} "
                         f"network of {model.layer_sizes[0]} input(s).")
    corners = np.array([[-SAVED_SPREAD] * 2, [SAVED_SPREAD] * 2])
    data = network.data
    if data is not None:
        corners = corners * data.feature_scale + data.feature_mean
    points, width, height = grid(corners, resolution, margin=0.0)
    _check_surface_work(model, resolution)
    with np.errstate(all="ignore"):
        probs = model.forward(points) if data is None else network.forward_raw(points)
    names = [f"class {c}" for c in range(model.layer_sizes[-1])] if data is None else data.class_names
    return _surface_frame(points, width, height, probs, names)


def points_frame(ds) -> pd.DataFrame:
    """Training and test points of a 2-D dataset, tidy: x, y, class, split."""
    parts = []
    for split, X, y in (("train", ds.X_train, ds.y_train), ("test", ds.X_test, ds.y_test)):
        parts.append(pd.DataFrame({"x": X[:, 0], "y": X[:, 1], "class": np.asarray(ds.class_names)[y],
                                   "split": split}))
    return pd.concat(parts, ignore_index=True)


def confusion_frame(model, X: np.ndarray, y: np.ndarray, class_names) -> pd.DataFrame:
    """Counts of (true, predicted) class pairs on X, tidy, with each true class's share."""
    with np.errstate(all="ignore"):
        predicted = model.predict(X)
    labels = np.arange(len(class_names))
    matrix = confusion_matrix(y, predicted, labels=labels)
    totals = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)
    true_idx, pred_idx = np.meshgrid(labels, labels, indexing="ij")
    names = np.asarray(class_names)
    return pd.DataFrame({"true": names[true_idx.ravel()], "predicted": names[pred_idx.ravel()],
                         "count": matrix.ravel(), "share": share.ravel()})


def fit_frame(model, ds, points: int = 200) -> pd.DataFrame:
    """A 1-D regression's fitted curve: ``points`` evenly spaced inputs over the training data's range (with a 5 %
    margin) and the model's prediction at each, both in the data's own units. Columns: x, prediction."""
    if ds.task != "regression" or ds.n_features != 1:
        raise ValueError("A fitted curve needs a regression dataset with one input feature.")
    if not 2 <= points <= MAX_GRID ** 2:
        raise ValueError(f"points must be from 2 to {MAX_GRID ** 2}.")
    low, high = float(ds.X_train.min()), float(ds.X_train.max())
    margin = 0.05 * (high - low)
    x = np.linspace(low - margin, high + margin, points)
    with np.errstate(all="ignore"):
        predicted = model.forward(x[:, None])[:, 0]
    return pd.DataFrame({"x": x * ds.feature_scale[0] + ds.feature_mean[0],
                         "prediction": ds.unscale_target(predicted)})


def parity_frame(model, ds) -> pd.DataFrame:
    """A regression's test-set predictions against the truth, in the target's own units (the diagonal is perfect).
    Columns: actual, predicted."""
    if ds.task != "regression":
        raise ValueError("Predictions against the truth need a regression dataset.")
    with np.errstate(all="ignore"):
        predicted = model.forward(ds.X_test)[:, 0]
    return pd.DataFrame({"actual": ds.unscale_target(ds.y_test[:, 0]), "predicted": ds.unscale_target(predicted)})


def data_frame_1d(ds) -> pd.DataFrame:
    """A 1-D regression's data in its own units, tidy: x, y, split."""
    parts = [pd.DataFrame({"x": X[:, 0] * ds.feature_scale[0] + ds.feature_mean[0], "y": ds.unscale_target(y[:, 0]),
                           "split": split}) for split, X, y in (("train", ds.X_train, ds.y_train),
                                                                ("test", ds.X_test, ds.y_test))]
    return pd.concat(parts, ignore_index=True)


def chance_accuracy(ds) -> float:
    """The accuracy of always predicting the test set's most common class: the floor an accuracy axis marks."""
    counts = np.bincount(np.asarray(ds.y_test), minlength=max(ds.n_classes, 1))
    return float(counts.max() / counts.sum()) if counts.sum() else float("nan")
