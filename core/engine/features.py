"""Input features: TensorFlow Playground's seven functions of a 2-D point, the one place they are defined.

A network may take, instead of a 2-D point (x1, x2) itself, any of x1, x2, x1², x2², x1·x2, sin x1 and sin x2.
They are computed from the *standardised* coordinates: x1 and x2 are the dataset's two columns after
standardisation with the training set's mean and standard deviation (``core.engine.data``), and the features are
not standardised again (x1² has mean 1 over the training set, sin x1 lies in [-1, 1]). Playground computes them
from its raw coordinates in [-6, 6] instead; here the data's own units differ from set to set, so the standardised
ones are the common scale.

The map belongs to the network: an ``MLP`` built with ``features`` takes raw 2-D points and applies the map first
(``MLP._inputs``), so every caller that hands it points (decision surfaces, confusion matrices, linear regions,
exported weights) sees the same inputs training saw. Training applies it once to the whole training and test sets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from core.engine.limits import check

# name -> (label, the feature of the standardised (x1, x2) columns)
_FEATURES: dict[str, tuple[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    "x1": ("x₁", lambda x1, x2: x1),
    "x2": ("x₂", lambda x1, x2: x2),
    "x1_squared": ("x₁²", lambda x1, x2: x1 * x1),
    "x2_squared": ("x₂²", lambda x1, x2: x2 * x2),
    "x1_x2": ("x₁·x₂", lambda x1, x2: x1 * x2),
    "sin_x1": ("sin x₁", lambda x1, x2: np.sin(x1)),
    "sin_x2": ("sin x₂", lambda x1, x2: np.sin(x2)),
}
FEATURES = tuple(_FEATURES)
RAW_FEATURES = ("x1", "x2")  # the point itself: a network on these is a network on the data's own inputs


def feature_label(name: str) -> str:
    """A feature's label for people: "x₁²" for x1_squared."""
    check_features([name])
    return _FEATURES[name][0]


def check_features(features) -> tuple[str, ...]:
    """``features`` as a tuple of distinct feature names, or a ValueError that lists the valid ones."""
    check(isinstance(features, Sequence) and not isinstance(features, str) and len(features) > 0,
          f"features must be a non-empty list of names from {', '.join(FEATURES)}.")
    for name in features:
        check(isinstance(name, str) and name in _FEATURES,
              f"Unknown input feature {name!r}. Valid choices: {', '.join(FEATURES)}.")
    check(len(set(features)) == len(features), f"features: each input feature may be chosen once; got {features}.")
    return tuple(features)


def feature_map(X, features: Sequence[str]) -> np.ndarray:
    """The features of 2-D points ``X`` (n, 2): an (n, len(features)) C-contiguous array in X's float dtype, one
    column per feature in the order given."""
    features = check_features(features)
    X = np.asarray(X)
    check(X.ndim == 2 and X.shape[1] == 2,
          f"Input features are functions of 2-D points; got inputs of shape {X.shape}.")
    x1, x2 = X[:, 0], X[:, 1]
    out = np.empty((len(X), len(features)), dtype=X.dtype if X.dtype.kind == "f" else np.float64)
    for column, name in enumerate(features):
        out[:, column] = _FEATURES[name][1](x1, x2)
    return out
