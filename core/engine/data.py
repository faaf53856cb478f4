"""Datasets for ReLU Lab: generated 2-D toys, scikit-learn's bundled tables, and the user's own table.

Every dataset comes out the same way, so the rest of the engine never special-cases one:

* split with scikit-learn's ``train_test_split`` (stratified for classification, so small classes
  are represented on both sides), with ``random_state=seed``;
* features standardised with the *training* set's mean and standard deviation only, so nothing
  about the test set leaks into training (a feature that is constant in the training set gets a
  scale of 1 instead of a division by zero);
* regression targets standardised the same way, because plain SGD on 0.5 * MSE with raw targets
  of size ~150 (diabetes) diverges in the first step; ``target_mean`` and ``target_scale`` convert
  predictions back (``Dataset.unscale_target``).

Array conventions (what ``core.engine.mlp`` and ``core.engine.training`` rely on):

* ``X_train``/``X_test``: float64, C-contiguous, shape (n, n_features);
* classification ``y``: int64 labels 0..C-1, shape (n,);
* regression ``y``: float64, shape (n, 1), two-dimensional so it lines up with the network's
  regression output of shape (n, n_out).

Nothing here imports streamlit and nothing is cached: the UI caches with ``st.cache_data``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_blobs,
    make_circles,
    make_moons,
)
from sklearn.model_selection import train_test_split

from core.engine.limits import (
    MAX_ABS_VALUE,
    MAX_CLASSES,
    MAX_COLUMNS,
    MAX_FEATURES,
    MAX_NOISE,
    MAX_ONE_HOT_LEVELS,
    MAX_ROWS,
    MAX_SAMPLES,
    MAX_SEED,
    MAX_TEST_SIZE,
    MIN_ROWS,
    MIN_SAMPLES,
    MIN_TEST_SIZE,
    is_number,
    is_whole,
)

CLASSIFICATION = "classification"
REGRESSION = "regression"
TASKS = (CLASSIFICATION, REGRESSION)

MAX_CLASSES_TO_GUESS = 20  # an integer-like target with at most this many values is guessed as classes

# Blob centres on the corners of an equilateral triangle of radius 4 (about 6.9 apart), so that
# at the default noise (cluster_std 1.4) the clusters barely touch and at noise 1 they overlap.
_BLOB_CENTRES = np.array([[0.0, 4.0], [-2.0 * math.sqrt(3.0), -2.0], [2.0 * math.sqrt(3.0), -2.0]])
_BLOB_BASE_STD = 1.0
_BLOB_STD_PER_NOISE = 2.0

# Spiral geometry as in TensorFlow Playground: radius 0..5, 1.75 turns per arm, arms half a turn apart.
_SPIRAL_RADIUS = 5.0
_SPIRAL_TURNS = 1.75


@dataclass(frozen=True)
class DatasetInfo:
    """What the UI needs to list a dataset and decide which controls to show, without loading it."""

    name: str
    label: str
    task: str
    kind: str  # "generated" (n_samples, noise, seed apply) or "bundled" (only seed, for the split)
    description: str
    uses_n_samples: bool
    uses_noise: bool


@dataclass(frozen=True, eq=False)
class Dataset:
    """A split, standardised dataset ready for training.

    Classification: ``y_*`` are int64 labels 0..n_classes-1 of shape (n,).
    Regression: ``y_*`` are float64 of shape (n, 1), standardised with the training target's
    mean and standard deviation (``target_mean``, ``target_scale``); ``class_names`` is [] and
    ``n_classes`` 0.
    ``feature_mean``/``feature_scale`` are the training statistics used to standardise X, so a
    plot can show original units: ``X * feature_scale + feature_mean``.
    """

    name: str
    task: str
    X_train: np.ndarray = field(repr=False)
    X_test: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    feature_names: list[str]
    class_names: list[str]
    n_classes: int
    description: str
    target_name: str
    target_mean: float = 0.0
    target_scale: float = 1.0
    feature_mean: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    feature_scale: np.ndarray = field(default_factory=lambda: np.ones(0), repr=False)

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def is_2d(self) -> bool:
        """True when a decision boundary can be drawn directly in feature space."""
        return self.n_features == 2

    def unscale_target(self, y: np.ndarray) -> np.ndarray:
        """Convert standardised regression targets or predictions back to the original units."""
        return np.asarray(y, dtype=np.float64) * self.target_scale + self.target_mean


# --------------------------------------------------------------------------------------------
# Generators: each returns raw (X, y) with classes as balanced as n allows.
# --------------------------------------------------------------------------------------------


def _make_moons(n_samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return make_moons(n_samples=n_samples, noise=noise, random_state=seed)


def _make_circles(n_samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return make_circles(n_samples=n_samples, noise=noise, factor=0.5, random_state=seed)


def _make_blobs(n_samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    # A base spread keeps noise=0 a set of clusters rather than three repeated points.
    cluster_std = _BLOB_BASE_STD + _BLOB_STD_PER_NOISE * noise
    X, y = make_blobs(n_samples=n_samples, centers=_BLOB_CENTRES, cluster_std=cluster_std, random_state=seed)
    return X, y


def _make_xor(n_samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points in [-1, 1]^2, label 1 when both coordinates share a sign, then Gaussian jitter.

    Signs are assigned per class (half the points each), which is the uniform distribution on the
    square conditioned on the class, and guarantees both classes exist even for tiny n.
    """
    rng = np.random.default_rng(seed)
    y = (np.arange(n_samples) % 2).astype(np.int64)
    magnitudes = rng.uniform(0.0, 1.0, size=(n_samples, 2))
    first_sign = rng.choice([-1.0, 1.0], size=n_samples)
    second_sign = np.where(y == 1, first_sign, -first_sign)
    X = magnitudes * np.column_stack([first_sign, second_sign])
    X += noise * rng.standard_normal((n_samples, 2))
    return X, y


def _make_spiral(n_samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two spiral arms half a turn apart, points evenly spaced along each arm (TensorFlow Playground)."""
    rng = np.random.default_rng(seed)
    arm_sizes = (n_samples - n_samples // 2, n_samples // 2)
    points, labels = [], []
    for arm, size in enumerate(arm_sizes):
        progress = np.arange(size) / size
        radius = _SPIRAL_RADIUS * progress
        angle = _SPIRAL_TURNS * 2.0 * np.pi * progress + arm * np.pi
        points.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
        labels.append(np.full(size, arm, dtype=np.int64))
    X = np.concatenate(points)
    X += noise * rng.standard_normal(X.shape)
    return X, np.concatenate(labels)


def _make_sine(n_samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, size=n_samples)
    y = np.sin(2.0 * x) + noise * rng.standard_normal(n_samples)
    return x[:, None], y


@dataclass(frozen=True)
class _GeneratedSource:
    make: Callable[[int, float, int], tuple[np.ndarray, np.ndarray]]
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    target_name: str


_GENERATED: dict[str, _GeneratedSource] = {
    "moons": _GeneratedSource(_make_moons, ("x1", "x2"), ("upper moon", "lower moon"), "moon"),
    "circles": _GeneratedSource(_make_circles, ("x1", "x2"), ("outer circle", "inner circle"), "circle"),
    "blobs": _GeneratedSource(_make_blobs, ("x1", "x2"), ("blob 0", "blob 1", "blob 2"), "blob"),
    "xor": _GeneratedSource(_make_xor, ("x1", "x2"), ("opposite signs", "same sign"), "sign pattern"),
    "spiral": _GeneratedSource(_make_spiral, ("x1", "x2"), ("arm 0", "arm 1"), "arm"),
    "sine": _GeneratedSource(_make_sine, ("x",), (), "y"),
}

# The named sets of 2-D points: decision surfaces and input features (core.engine.features) apply to them.
PLANAR_DATASETS = frozenset(name for name, source in _GENERATED.items() if len(source.feature_names) == 2)

# Bundled tables ship inside scikit-learn, so they load offline (never fetch_*).
_BUNDLED: dict[str, tuple[Callable[[], object], str]] = {
    "iris": (load_iris, "species"),
    "wine": (load_wine, "cultivar"),
    "breast_cancer": (load_breast_cancer, "diagnosis"),
    "digits": (load_digits, "digit"),
    "diabetes": (lambda: load_diabetes(scaled=False), "disease progression"),
}


def _info(name: str, label: str, task: str, description: str) -> DatasetInfo:
    generated = name in _GENERATED
    return DatasetInfo(
        name=name,
        label=label,
        task=task,
        kind="generated" if generated else "bundled",
        description=description,
        uses_n_samples=generated,
        uses_noise=generated,
    )


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        _info(
            "moons",
            "Two moons",
            CLASSIFICATION,
            "Two interleaving half circles (scikit-learn make_moons), which no straight line separates.",
        ),
        _info(
            "circles",
            "Circles",
            CLASSIFICATION,
            "A circle of radius 0.5 inside a circle of radius 1, which no straight line separates.",
        ),
        _info(
            "blobs",
            "Three blobs",
            CLASSIFICATION,
            "Three Gaussian clusters on the corners of a triangle, with spread 1 + 2 × noise.",
        ),
        _info(
            "xor",
            "XOR",
            CLASSIFICATION,
            "Points in the square [-1, 1]² labelled by whether both coordinates share a sign, "
            "which no single line can separate.",
        ),
        _info(
            "spiral",
            "Spiral",
            CLASSIFICATION,
            "Two interleaved spiral arms of 1.75 turns each, as in TensorFlow Playground.",
        ),
        _info(
            "iris",
            "Iris",
            CLASSIFICATION,
            "Fisher's 150 iris flowers: 4 measurements of sepals and petals, 3 species.",
        ),
        _info(
            "wine",
            "Wine",
            CLASSIFICATION,
            "178 Italian wines from 3 cultivars, described by 13 chemical measurements.",
        ),
        _info(
            "breast_cancer",
            "Breast cancer",
            CLASSIFICATION,
            "569 breast masses (Wisconsin diagnostic): 30 cell-nucleus features, malignant or benign.",
        ),
        _info(
            "digits",
            "Digits (8×8)",
            CLASSIFICATION,
            "1,797 handwritten digits as 8×8 grey-level images: 64 pixel features, 10 classes.",
        ),
        _info(
            "diabetes",
            "Diabetes (regression)",
            REGRESSION,
            "442 diabetes patients: 10 baseline measurements predict disease progression one year later.",
        ),
        _info(
            "sine",
            "Sine curve (regression)",
            REGRESSION,
            "y = sin(2x) plus Gaussian noise for x uniform in [-3, 3]: one feature, one smooth target.",
        ),
    )
}


# --------------------------------------------------------------------------------------------
# Argument validation
# --------------------------------------------------------------------------------------------


def _check_name(name: object) -> None:
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}. Valid names: {', '.join(DATASETS)}.")


def _in_range(name: str, value: object, low: float, high: float, what: str = "number", note: str = ""):
    """``value`` as an int (``what`` "whole number") or a float when it lies in [low, high]; else a ValueError that
    names the argument and its range."""
    whole = what == "whole number"
    if not (is_whole(value) if whole else is_number(value)) or not low <= value <= high:
        low_text, high_text = (f"{v:,}" if isinstance(v, int) else f"{v:g}" for v in (low, high))
        raise ValueError(f"{name} must be a {what} from {low_text} to {high_text}{note}; got {value!r}.")
    return int(value) if whole else float(value)


def _check_n_samples(n_samples: object) -> int:
    return _in_range("n_samples", n_samples, MIN_SAMPLES, MAX_SAMPLES, "whole number")


def _check_noise(noise: object) -> float:
    return _in_range("noise", noise, 0.0, MAX_NOISE)


def _check_test_size(test_size: object) -> float:
    return _in_range("test_size", test_size, MIN_TEST_SIZE, MAX_TEST_SIZE, "fraction",
                     " (the share of rows held out for testing)")


def _check_seed(seed: object) -> int:
    return _in_range("seed", seed, 0, MAX_SEED, "whole number")


# --------------------------------------------------------------------------------------------
# Split and standardise: the one path every dataset takes
# --------------------------------------------------------------------------------------------


def _split_sizes(n_rows: int, test_size: float) -> tuple[int, int]:
    """(n_train, n_test) exactly as scikit-learn's train_test_split computes them for a float test_size."""
    n_test = math.ceil(test_size * n_rows)
    n_train = math.floor((1.0 - test_size) * n_rows)
    return n_train, n_test


def _check_split_possible(y: np.ndarray, task: str, test_size: float) -> None:
    """Refuse, in plain words, a split that would leave a side without some class (or without rows)."""
    n_train, n_test = _split_sizes(len(y), test_size)
    if task == CLASSIFICATION:
        n_classes = len(np.unique(y))
        if n_train < n_classes or n_test < n_classes:
            raise ValueError(
                f"With test_size={test_size:g}, {len(y)} rows split into {n_train} training and "
                f"{n_test} test rows, but each side needs at least one row of each of the "
                f"{n_classes} classes. Use more rows or a test_size nearer 0.25."
            )
    elif n_train < 2 or n_test < 1:
        raise ValueError(
            f"With test_size={test_size:g}, {len(y)} rows split into {n_train} training and {n_test} test "
            "rows; training needs at least 2. Use more rows or a smaller test_size."
        )


def _standardiser(X_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Training-set mean and standard deviation per column; constant columns get scale 1."""
    mean = X_train.mean(axis=0)
    scale = X_train.std(axis=0)
    scale[scale == 0.0] = 1.0
    return mean, scale


def _build(
    *,
    name: str,
    task: str,
    X: np.ndarray,
    y: np.ndarray,
    feature_names: list[str],
    class_names: list[str],
    target_name: str,
    description: str,
    test_size: float,
    seed: int,
) -> Dataset:
    X = np.asarray(X, dtype=np.float64)
    if task == CLASSIFICATION:
        y = np.asarray(y, dtype=np.int64)
    else:
        y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    _check_split_possible(y.ravel(), task, test_size)
    stratify = y if task == CLASSIFICATION else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=stratify
    )
    feature_mean, feature_scale = _standardiser(X_train)
    target_mean, target_scale = 0.0, 1.0
    if task == REGRESSION:
        target_means, target_scales = _standardiser(y_train)
        target_mean, target_scale = float(target_means[0]), float(target_scales[0])
        y_train = (y_train - target_mean) / target_scale
        y_test = (y_test - target_mean) / target_scale
    return Dataset(
        name=name,
        task=task,
        X_train=np.ascontiguousarray((X_train - feature_mean) / feature_scale),
        X_test=np.ascontiguousarray((X_test - feature_mean) / feature_scale),
        y_train=np.ascontiguousarray(y_train),
        y_test=np.ascontiguousarray(y_test),
        feature_names=list(feature_names),
        class_names=list(class_names),
        n_classes=len(class_names),
        description=description,
        target_name=target_name,
        target_mean=target_mean,
        target_scale=target_scale,
        feature_mean=feature_mean,
        feature_scale=feature_scale,
    )


# --------------------------------------------------------------------------------------------
# Named datasets
# --------------------------------------------------------------------------------------------


def check_dataset_args(name: str, n_samples: int = 500, noise: float = 0.2, test_size: float = 0.25,
                       seed: int = 0) -> None:
    """Raise the ValueError ``load_dataset`` would raise for these arguments, without loading anything."""
    _check_name(name)
    _check_test_size(test_size)
    _check_seed(seed)
    if name in _GENERATED:
        _check_n_samples(n_samples)
        _check_noise(noise)


def check_split_args(test_size: float = 0.25, seed: int = 0) -> None:
    """Raise the ValueError ``dataset_from_frame`` would raise for this split, without any data."""
    _check_test_size(test_size)
    _check_seed(seed)


def load_dataset(
    name: str, n_samples: int = 500, noise: float = 0.2, test_size: float = 0.25, seed: int = 0
) -> Dataset:
    """Load a named dataset (see ``DATASETS``), split and standardised.

    ``n_samples``, ``noise`` and ``seed`` shape the generated sets; bundled sets ignore
    ``n_samples`` and ``noise`` (they are not even validated), while ``seed`` still drives their split.
    Noise is the standard deviation of Gaussian jitter on the coordinates (moons, circles, xor,
    spiral) or on the target (sine); for blobs it widens the clusters: cluster_std = 1 + 2 * noise.
    The same arguments always give identical arrays.
    """
    _check_name(name)
    test_size = _check_test_size(test_size)
    seed = _check_seed(seed)
    info = DATASETS[name]
    if name in _GENERATED:
        source = _GENERATED[name]
        X, y = source.make(_check_n_samples(n_samples), _check_noise(noise), seed)
        feature_names, class_names, target_name = source.feature_names, source.class_names, source.target_name
    else:
        loader, target_name = _BUNDLED[name]
        bunch = loader()
        X, y = bunch.data, bunch.target
        feature_names = [str(f) for f in bunch.feature_names]
        class_names = [str(c) for c in bunch.target_names] if info.task == CLASSIFICATION else []
    return _build(
        name=name,
        task=info.task,
        X=X,
        y=y,
        feature_names=list(feature_names),
        class_names=list(class_names),
        target_name=target_name,
        description=info.description,
        test_size=test_size,
        seed=seed,
    )


# --------------------------------------------------------------------------------------------
# The user's own table
# --------------------------------------------------------------------------------------------


def _is_numeric_column(series: pd.Series) -> bool:
    """Numbers and booleans (as 0/1) are usable as they are; complex numbers are not."""
    dtype = series.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)


def _sorted_levels(values: pd.Series) -> list:
    """Distinct values in natural order when they are comparable, else ordered by their text."""
    levels = list(pd.unique(values))
    try:
        return sorted(levels)
    except TypeError:
        return sorted(levels, key=str)


def _level_text(value: object) -> str:
    """1.0 reads as "1": integer-valued floats usually come from a CSV column that once held gaps."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _quote_all(names: list) -> str:
    return ", ".join(repr(str(n)) for n in names)


def guess_task(series: pd.Series) -> str:
    """Guess "classification" or "regression" from a target column.

    Text, categories and booleans are classes. Numbers are classes when every value is a whole
    number and there are at most ``MAX_CLASSES_TO_GUESS`` distinct values (labels like 0/1/2 or
    ratings 1..5); otherwise they are a quantity to regress. Missing values are ignored.
    ValueError for anything but one column (``df[name]`` of a table with two columns of that name is a table).
    """
    if not isinstance(series, pd.Series):
        raise ValueError(f"guess_task needs one column (a pandas Series); got {type(series).__name__}. "
                         "Column names must be unique.")
    if not _is_numeric_column(series) or pd.api.types.is_bool_dtype(series.dtype):
        return CLASSIFICATION
    values = series.dropna().to_numpy(dtype=np.float64)
    values = values[np.isfinite(values)]
    whole_numbers = bool(np.all(values == np.round(values)))
    if whole_numbers and len(np.unique(values)) <= MAX_CLASSES_TO_GUESS:
        return CLASSIFICATION
    return REGRESSION


def _missing_mask(df: pd.DataFrame) -> np.ndarray:
    """(rows, columns) booleans: True where a cell is NaN/None/NA, or ±inf in a numeric column."""
    mask = df.isna().to_numpy(copy=True)  # pandas may hand back a read-only view
    for position in range(df.shape[1]):
        column = df.iloc[:, position]
        if _is_numeric_column(column) and not pd.api.types.is_bool_dtype(column.dtype):
            mask[:, position] |= np.isinf(column.to_numpy(dtype=np.float64, na_value=np.nan))
    return mask


def drop_missing(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop rows with a missing (NaN/None) or infinite value in any column.

    Returns the remaining rows (original index kept, so a UI can say which went) and how many
    were dropped. ``dataset_from_frame`` refuses such rows instead, so the choice stays visible.
    """
    bad_rows = _missing_mask(df).any(axis=1)
    return df.loc[~bad_rows], int(bad_rows.sum())


def _check_target_present(df: pd.DataFrame, target: object) -> None:
    if target not in df.columns:
        raise ValueError(
            f"Target column {str(target)!r} is not in the table. "
            f"Available columns: {_quote_all(list(df.columns))}."
        )


def _add_feature(encoded: dict[str, np.ndarray], name: str, values: np.ndarray) -> None:
    """Refuse a name clash (column 'colour=red' beside a one-hot of 'colour') rather than lose a column."""
    if name in encoded:
        raise ValueError(
            f"Two feature columns would both be named {name!r} after one-hot encoding. "
            "Rename a column or value so the names differ."
        )
    encoded[name] = values


def encode_features(df: pd.DataFrame, target: object, max_levels: int = MAX_ONE_HOT_LEVELS) -> pd.DataFrame:
    """All columns except ``target`` as float64 numbers, ready for a network.

    Numeric and boolean columns pass through (booleans as 0/1). A text or categorical column with at
    most ``max_levels`` distinct values becomes one 0/1 column per value, named "column=value", in
    sorted value order; a network cannot use raw text, and one-hot keeps the values unordered. Text
    columns with more values (names, IDs, free text) are refused: one-hot would add a column per
    row-ish value and teach the network nothing.
    """
    _check_target_present(df, target)
    encoded: dict[str, np.ndarray] = {}
    too_many_levels: list[str] = []
    for column in df.columns:
        if column == target:
            continue
        series = df[column]
        if _is_numeric_column(series):
            _add_feature(encoded, str(column), series.to_numpy(dtype=np.float64, na_value=np.nan))
            continue
        n_levels = series.nunique(dropna=True)  # counted before any sorting: a column of IDs has a level per row
        if n_levels > max_levels:
            too_many_levels.append(f"{str(column)!r} ({n_levels} distinct values)")
            continue
        levels = _sorted_levels(series.dropna())
        for level in levels:
            _add_feature(
                encoded, f"{column}={_level_text(level)}", (series == level).to_numpy(dtype=np.float64)
            )
    if too_many_levels:
        raise ValueError(
            f"Non-numeric feature columns with more than {max_levels} distinct values: "
            f"{', '.join(too_many_levels)}. Drop these columns or convert them to numbers."
        )
    return pd.DataFrame(encoded, index=df.index)


def _check_table_shape(df: pd.DataFrame, target: object) -> None:
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise ValueError(
            f"The table is empty. Provide a table with a header row and at least {MIN_ROWS} rows of data."
        )
    if df.shape[0] > MAX_ROWS:
        raise ValueError(f"The table has {df.shape[0]:,} rows; the limit is {MAX_ROWS:,}. Use a sample.")
    if df.shape[1] > MAX_COLUMNS:
        raise ValueError(
            f"The table has {df.shape[1]:,} columns; the limit is {MAX_COLUMNS}. "
            "Keep only the columns you need."
        )
    if not df.columns.is_unique:
        duplicated = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise ValueError(f"Column names must be unique; repeated: {_quote_all(duplicated)}. Rename them.")
    _check_target_present(df, target)
    if df.shape[1] < 2:
        raise ValueError(
            f"The table has no feature columns besides the target {str(target)!r}. Add at least one column "
            "to predict from."
        )
    if df.shape[0] < MIN_ROWS:
        raise ValueError(
            f"The table has only {df.shape[0]} rows; at least {MIN_ROWS} are needed to train and test."
        )


def _check_no_missing(df: pd.DataFrame) -> None:
    has_gap = _missing_mask(df).any(axis=0)
    columns_with_gaps = [column for column, gap in zip(df.columns, has_gap, strict=True) if gap]
    if columns_with_gaps:
        raise ValueError(
            f"Missing or infinite values in column(s) {_quote_all(columns_with_gaps)}. "
            "Remove those rows (or fill the gaps) and try again."
        )


def _check_magnitudes(values: pd.DataFrame, role: str) -> None:
    largest = values.abs().max(axis=0)
    too_large = [column for column, value in largest.items() if value > MAX_ABS_VALUE]
    if too_large:
        columns, verb = ("column", "holds") if len(too_large) == 1 else ("columns", "hold")
        raise ValueError(
            f"{role} {columns} {_quote_all(too_large)} {verb} values beyond ±{MAX_ABS_VALUE:g}, which is "
            "almost surely an error in the data (or units to rescale). Fix or rescale them."
        )


def _encode_classes(target: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Labels 0..C-1 for the sorted distinct target values; refuses what a stratified split cannot take, and more
    than ``MAX_CLASSES`` classes (a network's output layer, and every format that stores one, has at most that many
    outputs: a table with more must be refused here, not when its trained weights are exported)."""
    n_classes = target.nunique(dropna=True)
    if n_classes > MAX_CLASSES:
        raise ValueError(
            f"The target {str(target.name)!r} has {n_classes:,} classes; at most {MAX_CLASSES} are supported. "
            "Choose another target column, merge rare classes, or train a regression on a numeric target."
        )
    levels = _sorted_levels(target)
    names = [_level_text(level) for level in levels]
    if len(levels) < 2:
        raise ValueError(
            f"The target {str(target.name)!r} has only one class ({names[0]!r}); classification needs at "
            "least two. Choose another target column."
        )
    labels = target.map({level: code for code, level in enumerate(levels)}).to_numpy(dtype=np.int64)
    counts = np.bincount(labels, minlength=len(levels))
    lonely = [name for name, count in zip(names, counts, strict=True) if count < 2]
    if lonely:
        raise ValueError(
            f"Classes with fewer than 2 rows in target {str(target.name)!r}: {_quote_all(lonely)}. "
            "Each class needs rows in both the training and the test set; "
            "remove these rows or merge the classes."
        )
    return labels, names


def dataset_from_frame(
    df: pd.DataFrame,
    target: str,
    task: str | None = None,
    test_size: float = 0.25,
    seed: int = 0,
    name: str = "uploaded",
) -> Dataset:
    """Turn a user's own table into a ``Dataset``, or refuse with a message that says what to fix.

    ``task`` is guessed with ``guess_task`` when None. Non-numeric features with few values are
    one-hot encoded (``encode_features``); missing values are refused, not silently dropped
    (``drop_missing`` does that on request). Class names are the sorted distinct target values as text.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"dataset_from_frame needs a pandas DataFrame; got {type(df).__name__}.")
    test_size = _check_test_size(test_size)
    seed = _check_seed(seed)
    _check_table_shape(df, target)
    _check_no_missing(df)
    target_column = df[target]
    if task is None:
        task = guess_task(target_column)
    elif task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)} (or None to guess); got {task!r}.")

    if task == CLASSIFICATION:
        y, class_names = _encode_classes(target_column)  # before the features: the class cap is the cheaper check
    features = encode_features(df, target)
    if features.shape[1] > MAX_FEATURES:
        raise ValueError(
            f"After one-hot encoding the table has {features.shape[1]:,} feature columns; the limit is "
            f"{MAX_FEATURES:,}. Drop some text columns."
        )
    _check_magnitudes(features, "Feature")

    if task == REGRESSION:
        if not _is_numeric_column(target_column) or pd.api.types.is_bool_dtype(target_column.dtype):
            raise ValueError(
                f"Regression needs a numeric target, but {str(target)!r} is {target_column.dtype}. "
                "Choose classification or a numeric target column."
            )
        _check_magnitudes(target_column.to_frame(), "Target")
        y, class_names = target_column.to_numpy(dtype=np.float64), []

    n_rows, n_features = features.shape
    return _build(
        name=name,
        task=task,
        X=features.to_numpy(dtype=np.float64),
        y=y,
        feature_names=list(features.columns),
        class_names=class_names,
        target_name=str(target),
        description=(
            f"Your table {name!r}: {n_rows:,} rows and {n_features} feature(s), predicting {str(target)!r} "
            f"({task})."
        ),
        test_size=test_size,
        seed=seed,
    )
