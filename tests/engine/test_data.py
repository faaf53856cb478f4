"""Tests for core.engine.data, held against independent facts: published dataset sizes, scikit-learn's own
split, the geometry of the generators and hand-recomputed standardisation."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.model_selection import train_test_split

from core.engine.data import (
    DATASETS,
    Dataset,
    dataset_from_frame,
    drop_missing,
    encode_features,
    guess_task,
    load_dataset,
)
from core.engine.limits import MAX_CLASSES, MAX_COLUMNS, MAX_ROWS, MAX_SAMPLES, MIN_SAMPLES

GENERATED = ["moons", "circles", "blobs", "xor", "spiral", "sine"]
BUNDLED = ["iris", "wine", "breast_cancer", "digits", "diabetes"]
GENERATED_CLASSIFIERS = ["moons", "circles", "blobs", "xor", "spiral"]


def raw_features(ds: Dataset, X: np.ndarray) -> np.ndarray:
    """Undo the standardisation, to check geometry in the generator's own units."""
    return X * ds.feature_scale + ds.feature_mean


def all_raw(ds: Dataset) -> tuple[np.ndarray, np.ndarray]:
    X = raw_features(ds, np.vstack([ds.X_train, ds.X_test]))
    y = np.concatenate([ds.y_train, ds.y_test])
    return X, y


# ---------------------------------------------------------------------------------------------
# Catalogue and shapes
# ---------------------------------------------------------------------------------------------


def test_catalogue_lists_every_required_dataset_with_consistent_metadata():
    assert set(GENERATED + BUNDLED) == set(DATASETS)
    for name, info in DATASETS.items():
        assert info.name == name
        assert info.label and info.description.endswith(".")
        assert info.kind == ("generated" if name in GENERATED else "bundled")
        assert info.uses_n_samples == info.uses_noise == (name in GENERATED)
    assert {n for n, i in DATASETS.items() if i.task == "regression"} == {"diabetes", "sine"}


# Sizes and class counts are the published facts about each bundled set; a float test_size gives
# ceil(test_size * n) test rows in scikit-learn.
@pytest.mark.parametrize(
    ("name", "n_rows", "n_features", "n_classes"),
    [
        ("iris", 150, 4, 3),
        ("wine", 178, 13, 3),
        ("breast_cancer", 569, 30, 2),
        ("digits", 1797, 64, 10),
        ("diabetes", 442, 10, 0),
    ],
)
def test_bundled_shapes_and_classes(name, n_rows, n_features, n_classes):
    ds = load_dataset(name)
    n_test = math.ceil(0.25 * n_rows)
    assert ds.X_train.shape == (n_rows - n_test, n_features)
    assert ds.X_test.shape == (n_test, n_features)
    assert ds.n_features == n_features
    assert len(ds.feature_names) == n_features
    assert ds.n_classes == n_classes == len(ds.class_names)
    assert ds.description == DATASETS[name].description
    assert ds.target_name
    assert not ds.is_2d


def test_iris_concrete_numbers():
    ds = load_dataset("iris", test_size=0.25)
    assert ds.X_train.shape == (112, 4) and ds.X_test.shape == (38, 4)
    assert ds.class_names == ["setosa", "versicolor", "virginica"]
    assert ds.feature_names[0] == "sepal length (cm)"


def test_digits_and_breast_cancer_class_names():
    assert load_dataset("digits").class_names == [str(d) for d in range(10)]
    assert load_dataset("breast_cancer").class_names == ["malignant", "benign"]


@pytest.mark.parametrize("name", list(DATASETS))
def test_array_conventions(name):
    ds = load_dataset(name, n_samples=200)
    for X in (ds.X_train, ds.X_test):
        assert X.dtype == np.float64 and X.flags.c_contiguous and X.ndim == 2
    assert ds.task == DATASETS[name].task
    if ds.task == "classification":
        for y in (ds.y_train, ds.y_test):
            assert y.dtype == np.int64 and y.shape == (len(y),)
        assert set(np.unique(ds.y_train)) == set(range(ds.n_classes))
        assert set(np.unique(ds.y_test)) == set(range(ds.n_classes))
        assert (ds.target_mean, ds.target_scale) == (0.0, 1.0)
    else:
        assert ds.y_train.dtype == np.float64 and ds.y_train.shape == (len(ds.X_train), 1)
        assert ds.y_test.shape == (len(ds.X_test), 1)
        assert ds.class_names == [] and ds.n_classes == 0


@pytest.mark.parametrize("name", GENERATED)
def test_generated_sets_respect_n_samples_and_are_balanced(name):
    ds = load_dataset(name, n_samples=101, test_size=0.2)
    assert len(ds.X_train) + len(ds.X_test) == 101
    assert len(ds.X_test) == math.ceil(0.2 * 101)
    expected_features = 1 if name == "sine" else 2
    assert ds.n_features == expected_features and ds.is_2d == (expected_features == 2)
    if name in GENERATED_CLASSIFIERS:
        counts = np.bincount(np.concatenate([ds.y_train, ds.y_test]))
        assert counts.max() - counts.min() <= 1


def test_blobs_has_three_classes():
    ds = load_dataset("blobs")
    assert ds.n_classes == 3 and ds.is_2d


def test_bundled_sets_ignore_n_samples_and_noise():
    default = load_dataset("wine", seed=3)
    other = load_dataset("wine", n_samples=5, noise=99, seed=3)  # out of range, but unused
    np.testing.assert_array_equal(default.X_train, other.X_train)
    np.testing.assert_array_equal(default.y_test, other.y_test)


# ---------------------------------------------------------------------------------------------
# Split and standardisation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["iris", "breast_cancer", "digits", "blobs"])
def test_split_is_stratified(name):
    ds = load_dataset(name, seed=7)
    y_all = np.concatenate([ds.y_train, ds.y_test])
    proportions = np.bincount(y_all) / len(y_all)
    for y in (ds.y_train, ds.y_test):
        expected = proportions * len(y)
        assert np.all(np.abs(np.bincount(y, minlength=ds.n_classes) - expected) <= 1)


@pytest.mark.parametrize("name", list(DATASETS))
def test_training_features_are_standardised_and_test_features_are_not_forced(name):
    ds = load_dataset(name, seed=1)
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0.0, atol=1e-10)
    train_std = ds.X_train.std(axis=0)
    constant = ds.feature_scale == 1.0
    np.testing.assert_allclose(train_std[~constant], 1.0, rtol=1e-10)
    # The test set is scaled with training statistics, so its mean is close to 0 but not exactly.
    assert np.abs(ds.X_test.mean(axis=0)).max() > 1e-6


@pytest.mark.parametrize(
    ("name", "loader"),
    [("iris", load_iris), ("digits", load_digits), ("diabetes", lambda: load_diabetes(scaled=False))],
)
def test_standardisation_equals_manual_training_statistics(name, loader):
    bunch = loader()
    task = DATASETS[name].task
    stratify = bunch.target if task == "classification" else None
    X_train, X_test, y_train, y_test = train_test_split(
        bunch.data, bunch.target, test_size=0.3, random_state=11, stratify=stratify
    )
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[std == 0] = 1.0

    ds = load_dataset(name, test_size=0.3, seed=11)

    np.testing.assert_array_equal(ds.X_train, (X_train - mean) / std)
    np.testing.assert_array_equal(ds.X_test, (X_test - mean) / std)
    if task == "classification":
        np.testing.assert_array_equal(ds.y_train, y_train)
        np.testing.assert_array_equal(ds.y_test, y_test)
    else:
        y_mean, y_std = y_train.mean(), y_train.std()
        assert ds.target_mean == pytest.approx(y_mean) and ds.target_scale == pytest.approx(y_std)
        np.testing.assert_allclose(ds.y_train[:, 0], (y_train - y_mean) / y_std, rtol=1e-12)
        np.testing.assert_allclose(ds.unscale_target(ds.y_test)[:, 0], y_test, rtol=1e-12)


def test_digits_constant_training_pixels_get_scale_one_and_stay_finite():
    ds = load_dataset("digits", seed=0)
    constant = load_digits().data[:, 0]  # the top-left pixel is blank in every image
    assert np.all(constant == 0)
    assert ds.feature_scale[0] == 1.0
    assert np.all(ds.X_train[:, 0] == 0.0)
    assert np.isfinite(ds.X_test).all()


def test_regression_targets_are_standardised_with_training_statistics():
    ds = load_dataset("diabetes")
    assert ds.y_train.mean() == pytest.approx(0.0, abs=1e-12)
    assert ds.y_train.std() == pytest.approx(1.0)
    assert 100 < ds.target_mean < 200  # diabetes progression is measured on a ~25..346 scale
    assert abs(ds.y_test.mean()) > 1e-6


# ---------------------------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DATASETS))
def test_same_arguments_give_identical_arrays_and_another_seed_differs(name):
    first = load_dataset(name, n_samples=300, noise=0.1, seed=5)
    second = load_dataset(name, n_samples=300, noise=0.1, seed=5)
    for attribute in ("X_train", "X_test", "y_train", "y_test"):
        np.testing.assert_array_equal(getattr(first, attribute), getattr(second, attribute))
    other = load_dataset(name, n_samples=300, noise=0.1, seed=6)
    assert not np.array_equal(first.X_train, other.X_train)


# ---------------------------------------------------------------------------------------------
# Generator geometry and noise
# ---------------------------------------------------------------------------------------------


def test_noiseless_moons_lie_exactly_on_their_arcs():
    X, y = all_raw(load_dataset("moons", n_samples=400, noise=0.0))
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-9)
    assert np.all(upper[:, 1] >= -1e-9)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-9)
    assert np.all(lower[:, 1] <= 0.5 + 1e-9)


def test_moons_noise_is_the_spread_around_the_arc():
    X, y = all_raw(load_dataset("moons", n_samples=6000, noise=0.1))
    radial = np.hypot(X[y == 0, 0], X[y == 0, 1]) - 1.0
    assert radial.std() == pytest.approx(0.1, rel=0.15)


def test_noiseless_circles_have_radii_one_and_one_half():
    X, y = all_raw(load_dataset("circles", n_samples=300, noise=0.0))
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-9)
    np.testing.assert_allclose(radius[y == 1], 0.5, atol=1e-9)


def test_xor_labels_are_sign_agreement_and_noise_blurs_them():
    X, y = all_raw(load_dataset("xor", n_samples=1000, noise=0.0))
    assert np.all(np.abs(X) <= 1.0 + 1e-9)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(np.int64))
    X, y = all_raw(load_dataset("xor", n_samples=1000, noise=0.5))
    assert np.mean(y != (X[:, 0] * X[:, 1] > 0)) > 0.05
    assert np.abs(X).max() > 1.0


def test_noiseless_spiral_arms_follow_their_curves_half_a_turn_apart():
    X, y = all_raw(load_dataset("spiral", n_samples=400, noise=0.0))
    radius = np.hypot(X[:, 0], X[:, 1])
    away_from_centre = radius > 1e-6
    angle = np.arctan2(X[:, 0], X[:, 1])  # points are (r sin t, r cos t)
    expected = 1.75 * 2 * np.pi * radius / 5.0 + np.pi * y
    wrapped = np.angle(np.exp(1j * (angle - expected)))
    np.testing.assert_allclose(wrapped[away_from_centre], 0.0, atol=1e-9)
    assert radius.max() < 5.0


def test_blobs_spread_grows_with_noise():
    for noise in (0.0, 0.5):
        X, y = all_raw(load_dataset("blobs", n_samples=6000, noise=noise))
        for label in range(3):
            assert X[y == label].std(axis=0) == pytest.approx([1.0 + 2 * noise] * 2, rel=0.1)


def test_sine_target_is_sin_2x_plus_noise():
    ds = load_dataset("sine", n_samples=500, noise=0.0)
    x = raw_features(ds, ds.X_train)[:, 0]
    assert np.all(np.abs(x) <= 3.0 + 1e-9)
    np.testing.assert_allclose(ds.unscale_target(ds.y_train)[:, 0], np.sin(2 * x), atol=1e-9)
    ds = load_dataset("sine", n_samples=8000, noise=0.3)
    x = raw_features(ds, ds.X_train)[:, 0]
    residual = ds.unscale_target(ds.y_train)[:, 0] - np.sin(2 * x)
    assert residual.std() == pytest.approx(0.3, rel=0.1)


# ---------------------------------------------------------------------------------------------
# Argument validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "mnist"}, r"Unknown dataset 'mnist'\. Valid names: moons, circles, .*digits"),
        (
            {"name": "moons", "n_samples": MIN_SAMPLES - 1},
            rf"n_samples must be .* from {MIN_SAMPLES} to 100,000",
        ),
        ({"name": "moons", "n_samples": MAX_SAMPLES + 1}, r"n_samples .*got 100001"),
        ({"name": "spiral", "n_samples": 200.0}, r"n_samples must be a whole number"),
        ({"name": "moons", "noise": -0.1}, r"noise must be a number from 0 to 5"),
        ({"name": "xor", "noise": 5.5}, r"noise must be a number from 0 to 5"),
        ({"name": "xor", "noise": float("nan")}, r"noise must be a number from 0 to 5"),
        ({"name": "iris", "test_size": 0.04}, r"test_size must be a fraction from 0\.05 to 0\.9"),
        ({"name": "iris", "test_size": 0.91}, r"test_size must be a fraction from 0\.05 to 0\.9"),
        ({"name": "iris", "seed": -1}, r"seed must be a whole number from 0"),
        ({"name": "iris", "seed": 1.5}, r"seed must be a whole number"),
        ({"name": "iris", "seed": True}, r"seed must be a whole number"),
        ({"name": "blobs", "n_samples": 20, "test_size": 0.05}, r"each side needs at least one row of each"),
    ],
)
def test_invalid_arguments_raise_helpful_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_dataset(**kwargs)


def test_test_size_bounds_are_closed():
    assert len(load_dataset("iris", test_size=0.05).X_test) == 8
    assert len(load_dataset("iris", test_size=0.9).X_test) == 135
    assert len(load_dataset("moons", n_samples=MIN_SAMPLES).y_train) == 15


# ---------------------------------------------------------------------------------------------
# The user's own table
# ---------------------------------------------------------------------------------------------


def numeric_table(n_rows: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "row_id": np.arange(n_rows),
            "height": rng.normal(170, 10, n_rows),
            "smoker": np.arange(n_rows) % 3 == 0,
            "label": np.arange(n_rows) % 3,
            "price": rng.uniform(1, 1000, n_rows),
        }
    )


def row_ids(ds: Dataset, X: np.ndarray) -> np.ndarray:
    column = ds.feature_names.index("row_id")
    return np.rint(raw_features(ds, X)[:, column]).astype(int)


def test_frame_classification_happy_path():
    df = numeric_table().drop(columns="price")
    ds = dataset_from_frame(df, "label", test_size=0.25, seed=2, name="mine")
    assert ds.name == "mine" and ds.task == "classification" and ds.target_name == "label"
    assert ds.X_train.shape == (30, 3) and ds.X_test.shape == (10, 3)
    assert ds.feature_names == ["row_id", "height", "smoker"]
    assert ds.class_names == ["0", "1", "2"] and ds.n_classes == 3
    assert ds.y_train.dtype == np.int64
    # Each label decodes, through class_names, to that row's original target.
    ids = row_ids(ds, ds.X_train)
    decoded = [ds.class_names[label] for label in ds.y_train]
    assert decoded == [str(v) for v in df["label"].to_numpy()[ids]]
    # Booleans are used as 0/1.
    smoker = raw_features(ds, ds.X_train)[:, 2]
    np.testing.assert_allclose(smoker, df["smoker"].to_numpy()[ids].astype(float), atol=1e-12)
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0.0, atol=1e-12)


def test_frame_regression_happy_path():
    df = numeric_table().drop(columns="label")
    ds = dataset_from_frame(df, "price")
    assert ds.task == "regression" and ds.class_names == [] and ds.n_classes == 0
    assert ds.y_train.shape == (30, 1) and ds.y_train.dtype == np.float64
    ids = row_ids(ds, ds.X_test)
    np.testing.assert_allclose(ds.unscale_target(ds.y_test)[:, 0], df["price"].to_numpy()[ids])
    assert ds.y_train.mean() == pytest.approx(0.0, abs=1e-12)


def test_frame_string_target_classes_are_sorted_text():
    df = numeric_table()
    df["animal"] = np.array(["dog", "cat", "ant", "cat"])[np.arange(40) % 4]
    ds = dataset_from_frame(df.drop(columns="label"), "animal")
    assert ds.task == "classification"
    assert ds.class_names == ["ant", "cat", "dog"]
    ids = row_ids(ds, ds.X_train)
    assert [ds.class_names[c] for c in ds.y_train] == list(df["animal"].to_numpy()[ids])


def test_frame_integer_valued_float_target_reads_as_whole_numbers():
    df = numeric_table()
    df["grade"] = (np.arange(40) % 2 + 1).astype(float)
    ds = dataset_from_frame(df.drop(columns="label"), "grade")
    assert ds.class_names == ["1", "2"]


def test_frame_task_can_be_forced():
    ds = dataset_from_frame(numeric_table(), "label", task="regression")
    assert ds.task == "regression" and ds.y_train.shape == (30, 1)


def test_frame_low_cardinality_text_feature_is_one_hot_encoded():
    df = numeric_table()
    df["colour"] = np.array(["red", "green", "blue"])[np.arange(40) % 3]
    ds = dataset_from_frame(df, "label")
    assert ds.feature_names[-3:] == ["colour=blue", "colour=green", "colour=red"]
    one_hot = raw_features(ds, ds.X_train)[:, -3:]
    np.testing.assert_allclose(one_hot.sum(axis=1), 1.0, atol=1e-12)
    ids = row_ids(ds, ds.X_train)
    chosen = np.array(["blue", "green", "red"])[one_hot.argmax(axis=1)]
    assert list(chosen) == list(df["colour"].to_numpy()[ids])


def test_encode_features_refuses_text_with_many_values():
    df = pd.DataFrame({"city": [f"town {i}" for i in range(12)], "x": range(12), "y": [0, 1] * 6})
    with pytest.raises(ValueError, match=r"'city' \(12 distinct values\).*Drop these columns"):
        encode_features(df, "y")
    assert list(encode_features(df, "y", max_levels=12).columns)[:2] == ["city=town 0", "city=town 1"]
    with pytest.raises(ValueError, match=r"Non-numeric feature columns .*'city'"):
        dataset_from_frame(df, "y")


def test_encode_features_refuses_name_clashes():
    df = pd.DataFrame({"colour": ["red", "blue"] * 6, "colour=red": range(12), "y": [0, 1, 1] * 4})
    with pytest.raises(ValueError, match=r"Two feature columns would both be named 'colour=red'"):
        encode_features(df, "y")


def frame_with(**columns) -> pd.DataFrame:
    base = {"x": np.arange(20, dtype=float), "y": [0, 1] * 10}
    base.update(columns)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("df", "target", "message"),
    [
        (pd.DataFrame(), "y", r"The table is empty"),
        (pd.DataFrame({"x": [], "y": []}), "y", r"The table is empty"),
        (frame_with(), "label", r"Target column 'label' is not in the table\. Available columns: 'x', 'y'"),
        (frame_with().drop(columns="x"), "y", r"no feature columns besides the target 'y'"),
        (frame_with().head(9), "y", r"only 9 rows; at least 10"),
        (frame_with(x=[np.nan] + [1.0] * 19), "y", r"Missing or infinite values in column\(s\) 'x'"),
        (frame_with(x=[np.inf] + [1.0] * 19), "y", r"Missing or infinite values in column\(s\) 'x'"),
        (frame_with(y=[None] + ["a", "b"] * 9 + ["a"]), "y", r"Missing .* column\(s\) 'y'"),
        (frame_with(y=[1] * 20), "y", r"only one class \('1'\)"),
        (frame_with(y=[0] * 19 + [1]), "y", r"fewer than 2 rows in target 'y': '1'"),
        (frame_with(x=[2e12] + [1.0] * 19), "y", r"Feature column 'x' holds values beyond ±1e\+12"),
        (frame_with(y=np.linspace(0, 1e13, 20)), "y", r"Target column 'y' holds values beyond"),
    ],
    ids=[
        "no-columns",
        "no-rows",
        "missing-target",
        "no-features",
        "too-few-rows",
        "nan",
        "inf",
        "missing-target-value",
        "one-class",
        "lonely-class",
        "huge-feature",
        "huge-target",
    ],
)
def test_bad_tables_are_refused_with_a_reason(df, target, message):
    with pytest.raises(ValueError, match=message):
        dataset_from_frame(df, target)


def test_regression_needs_a_numeric_target():
    with pytest.raises(ValueError, match=r"Regression needs a numeric target, but 'y' is"):
        dataset_from_frame(frame_with(y=["a", "b"] * 10), "y", task="regression")


def test_frame_caps_on_rows_and_columns():
    too_long = pd.DataFrame({"x": np.zeros(MAX_ROWS + 1), "y": np.arange(MAX_ROWS + 1) % 2})
    with pytest.raises(ValueError, match=r"100,001 rows; the limit is 100,000"):
        dataset_from_frame(too_long, "y")
    too_wide = pd.DataFrame(
        np.zeros((20, MAX_COLUMNS + 1)), columns=[f"c{i}" for i in range(MAX_COLUMNS + 1)]
    )
    with pytest.raises(ValueError, match=r"201 columns; the limit is 200"):
        dataset_from_frame(too_wide, "c0")


def test_frame_cap_on_classes_is_the_output_layers_cap():
    """A network has at most MAX_CLASSES outputs, and no weights format stores more: a table with more classes is
    refused when it becomes a Dataset, not later when its trained weights are downloaded."""
    def table(n_classes: int) -> pd.DataFrame:
        labels = np.repeat([f"c{i:03d}" for i in range(n_classes)], 4)
        return pd.DataFrame({"x": np.arange(len(labels), dtype=float), "y": labels})

    dataset = dataset_from_frame(table(MAX_CLASSES), "y")
    assert dataset.n_classes == MAX_CLASSES == 512
    with pytest.raises(ValueError, match=r"The target 'y' has 513 classes; at most 512 are supported"):
        dataset_from_frame(table(MAX_CLASSES + 1), "y")
    with pytest.raises(ValueError, match=r"has 513 classes"):  # a forced task is checked too
        dataset_from_frame(table(MAX_CLASSES + 1).assign(y=lambda f: f["y"].str[1:].astype(int)), "y",
                           task="classification")


def test_frame_cap_on_one_hot_features():
    levels = [f"v{i}" for i in range(10)]
    df = pd.DataFrame({f"t{c}": levels * 2 for c in range(101)})
    df["y"] = [0, 1] * 10
    with pytest.raises(ValueError, match=r"1,010 feature columns; the limit is 1,000"):
        dataset_from_frame(df, "y")


def test_frame_other_argument_errors():
    df = numeric_table()
    with pytest.raises(ValueError, match=r"task must be one of classification, regression"):
        dataset_from_frame(df, "label", task="clustering")
    with pytest.raises(ValueError, match=r"test_size must be a fraction"):
        dataset_from_frame(df, "label", test_size=0.99)
    with pytest.raises(ValueError, match=r"seed must be a whole number"):
        dataset_from_frame(df, "label", seed=-3)
    with pytest.raises(ValueError, match=r"Column names must be unique; repeated: 'x'"):
        dataset_from_frame(pd.DataFrame(np.zeros((20, 3)), columns=["x", "x", "y"]), "y")
    with pytest.raises(TypeError, match=r"needs a pandas DataFrame"):
        dataset_from_frame(df.to_numpy(), "label")


def test_frame_split_too_small_for_classes():
    df = frame_with(y=[0, 1, 2, 3, 4] * 4)
    with pytest.raises(ValueError, match=r"each of the 5 classes"):
        dataset_from_frame(df, "y", test_size=0.05)


def test_frame_is_deterministic():
    df = numeric_table()
    first, second = dataset_from_frame(df, "label", seed=4), dataset_from_frame(df, "label", seed=4)
    np.testing.assert_array_equal(first.X_train, second.X_train)
    np.testing.assert_array_equal(first.y_test, second.y_test)


def test_drop_missing_drops_rows_with_gaps_or_infinities_only():
    df = pd.DataFrame(
        {
            "a": [1.0, np.nan, 3.0, -np.inf, 5.0],
            "b": ["x", "y", None, "z", "w"],
            "c": [True, False, True, False, True],
        },
        index=[10, 11, 12, 13, 14],
    )
    clean, n_dropped = drop_missing(df)
    assert n_dropped == 3
    assert list(clean.index) == [10, 14]
    assert list(clean.columns) == ["a", "b", "c"]
    assert drop_missing(clean)[1] == 0


@pytest.mark.parametrize(
    ("values", "task"),
    [
        (["cat", "dog", "cat"], "classification"),
        ([True, False, True], "classification"),
        ([0, 1, 2, 1, 0], "classification"),
        ([1.0, 2.0, np.nan, 2.0], "classification"),
        (list(range(21)), "regression"),
        (list(range(20)), "classification"),
        ([0.5, 1.0, 1.5], "regression"),
    ],
)
def test_guess_task(values, task):
    assert guess_task(pd.Series(values)) == task
