"""What a saved network needs to know of its data to predict on raw features: the inputs' names and the scaler that
standardised them (the training set's mean and standard deviation, ``core.engine.data``), the classes' names, and a
regression target's name and scaler. Weights files from version 2 on carry it as the ``data`` object of their meta.

Read strictly: every list has exactly one entry per input (or class), every number is finite, every scale positive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.engine.limits import MAX_ABS_VALUE, is_number
from core.io.strict import brief, check_keys, fail

DATA_KEYS = ("feature_names", "feature_mean", "feature_scale", "class_names", "target_name", "target_mean",
             "target_scale")


@dataclass(frozen=True)
class SavedData:
    """The data side of a saved network (see the module's docstring)."""

    feature_names: tuple[str, ...]
    feature_mean: np.ndarray
    feature_scale: np.ndarray
    class_names: tuple[str, ...]
    target_name: str
    target_mean: float
    target_scale: float

    @classmethod
    def of(cls, dataset) -> SavedData:
        """A dataset's names and scalers (``core.engine.data.Dataset``)."""
        return cls(tuple(str(n) for n in dataset.feature_names), np.asarray(dataset.feature_mean, dtype=np.float64),
                   np.asarray(dataset.feature_scale, dtype=np.float64), tuple(str(n) for n in dataset.class_names),
                   str(dataset.target_name), float(dataset.target_mean), float(dataset.target_scale))

    def to_meta(self) -> dict:
        """Plain JSON data (floats written with repr, so they read back bit for bit)."""
        return {"feature_names": list(self.feature_names), "feature_mean": [float(v) for v in self.feature_mean],
                "feature_scale": [float(v) for v in self.feature_scale], "class_names": list(self.class_names),
                "target_name": self.target_name, "target_mean": self.target_mean, "target_scale": self.target_scale}

    def standardise(self, X) -> np.ndarray:
        """Raw features as the network saw them in training: (X - mean) / scale, column by column."""
        return (np.asarray(X, dtype=np.float64) - self.feature_mean) / self.feature_scale

    def unscale_target(self, y) -> np.ndarray:
        """A regression's standardised predictions in the target's own units."""
        return np.asarray(y, dtype=np.float64) * self.target_scale + self.target_mean


def _names(value, count: int, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) != count or not all(isinstance(v, str) for v in value):
        fail(f"data.{what} must be a list of {count} names (text), got {brief(value)}.")
    return tuple(value)


def _number(value, what: str, positive: bool = False) -> float:
    if not is_number(value) or not abs(value) <= MAX_ABS_VALUE or (positive and not value > 0):
        fail(f"data.{what} must be a {'positive ' if positive else ''}number of size at most {MAX_ABS_VALUE:g}, "
             f"got {brief(value)}.")
    return float(value)


def _numbers(value, count: int, what: str, positive: bool = False) -> np.ndarray:
    if not isinstance(value, list) or len(value) != count:
        fail(f"data.{what} must be a list of {count} numbers, got {brief(value)}.")
    return np.array([_number(v, what, positive) for v in value], dtype=np.float64)


def data_from_meta(value, n_inputs: int, n_outputs: int, task: str) -> SavedData:
    """The ``data`` object of a weights file's meta, checked against the network it describes."""
    check_keys(value, DATA_KEYS, "weights file's data")
    classes = n_outputs if task == "classification" else 0
    if not isinstance(value["target_name"], str):
        fail(f"data.target_name must be text, got {brief(value['target_name'])}.")
    return SavedData(_names(value["feature_names"], n_inputs, "feature_names"),
                     _numbers(value["feature_mean"], n_inputs, "feature_mean"),
                     _numbers(value["feature_scale"], n_inputs, "feature_scale", positive=True),
                     _names(value["class_names"], classes, "class_names"), value["target_name"],
                     _number(value["target_mean"], "target_mean"),
                     _number(value["target_scale"], "target_scale", positive=True))
