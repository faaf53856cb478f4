"""Decision surfaces, data points and confusion matrices held against the model and scikit-learn."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

from core.engine.data import load_dataset
from core.engine.limits import MAX_GRID, MAX_WORK, format_work
from core.engine.mlp import MLP
from core.engine.training import MultiTrainer, TrainConfig
from core.io.weights import network_from_json, network_from_npz, weights_json, weights_npz
from core.lab.boundary import SAVED_SPREAD, confusion_frame, decision_surface, grid, points_frame, saved_surface


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", n_samples=160, noise=0.2, seed=0)


@pytest.fixture(scope="module")
def blobs():
    return load_dataset("blobs", n_samples=150, noise=0.3, seed=1)


@pytest.fixture(scope="module")
def moons_model(moons):
    trainer = MultiTrainer(moons, [TrainConfig(activation="relu", hidden_layers=(8, 8), epochs=4, learning_rate=0.2)])
    for _ in trainer:
        pass
    assert trainer.epoch == 4
    return trainer.model(0)


@pytest.fixture(scope="module")
def blobs_model(blobs):
    return MLP([2, 6, 3], activation="tanh", init="xavier", seed=3)


def all_points(ds) -> np.ndarray:
    return np.vstack([ds.X_train, ds.X_test])


# --- grid ---------------------------------------------------------------------------------------------


def test_grid_covers_the_data_with_a_margin():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2)) * [3.0, 0.5] + [10.0, -2.0]
    points, width, height = grid(X, resolution=7, margin=0.5)
    assert points.shape == (49, 2)
    xs, ys = np.unique(points[:, 0]), np.unique(points[:, 1])
    assert len(xs) == len(ys) == 7
    np.testing.assert_allclose([xs[0], ys[0]], X.min(axis=0) - 0.5)
    np.testing.assert_allclose([xs[-1], ys[-1]], X.max(axis=0) + 0.5)
    np.testing.assert_allclose(np.diff(xs), width)
    np.testing.assert_allclose(np.diff(ys), height)
    assert width == pytest.approx((X[:, 0].max() - X[:, 0].min() + 1.0) / 6)
    assert height == pytest.approx((X[:, 1].max() - X[:, 1].min() + 1.0) / 6)
    # Every data point lies inside the grid, at least the margin away from its edge.
    assert (X >= points.min(axis=0) + 0.5 - 1e-12).all() and (X <= points.max(axis=0) - 0.5 + 1e-12).all()
    # Each (x, y) pair appears exactly once.
    assert len({tuple(p) for p in points}) == 49


def test_grid_default_margin_and_resolution(moons):
    X = all_points(moons)
    points, width, _ = grid(X)
    assert points.shape == (50 * 50, 2)
    assert points[:, 0].min() == pytest.approx(X[:, 0].min() - 0.5)
    assert width == pytest.approx((X[:, 0].max() - X[:, 0].min() + 1.0) / 49)


@pytest.mark.parametrize("resolution", [2, MAX_GRID])
def test_grid_resolution_bounds_are_inclusive(resolution):
    points, _, _ = grid(np.array([[0.0, 0.0], [1.0, 1.0]]), resolution)
    assert len(points) == resolution**2


@pytest.mark.parametrize("resolution", [-1, 0, 1, MAX_GRID + 1])
def test_grid_resolution_out_of_range_raises(resolution):
    with pytest.raises(ValueError, match=str(MAX_GRID)):
        grid(np.array([[0.0, 0.0], [1.0, 1.0]]), resolution)


# --- decision_surface -------------------------------------------------------------------------------


def test_decision_surface_is_the_model_on_the_cell_centres(moons, moons_model):
    X = all_points(moons)
    surface = decision_surface(moons_model, X, resolution=12)
    assert list(surface.columns) == ["x", "y", "x2", "y2", "class", "confidence", "p1"]
    assert len(surface) == 144
    # Cell centres, computed independently of core.lab.boundary.grid.
    xs = np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 12)
    ys = np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, 12)
    centres = np.array([[x, y] for y in ys for x in xs])
    np.testing.assert_allclose((surface[["x", "y"]].to_numpy() + surface[["x2", "y2"]].to_numpy()) / 2, centres)
    np.testing.assert_allclose(surface["x2"] - surface["x"], xs[1] - xs[0])
    np.testing.assert_allclose(surface["y2"] - surface["y"], ys[1] - ys[0])
    probs = moons_model.forward(centres)
    np.testing.assert_allclose(surface["p1"], probs[:, 1], rtol=1e-12)
    np.testing.assert_allclose(surface["confidence"], probs.max(axis=1), rtol=1e-12)
    assert list(surface["class"]) == [str(c) for c in probs.argmax(axis=1)]
    # The trained model separates the moons: both classes appear on the surface.
    assert set(surface["class"]) == {"0", "1"}


def test_decision_surface_cells_tile_the_plane(moons, moons_model):
    surface = decision_surface(moons_model, all_points(moons), resolution=5)
    lefts, rights = np.unique(surface["x"]), np.unique(surface["x2"])
    np.testing.assert_allclose(rights[:-1], lefts[1:])
    bottoms, tops = np.unique(surface["y"]), np.unique(surface["y2"])
    np.testing.assert_allclose(tops[:-1], bottoms[1:])


def test_decision_surface_with_class_names_and_three_classes(blobs, blobs_model):
    X = all_points(blobs)
    surface = decision_surface(blobs_model, X, resolution=9, class_names=blobs.class_names)
    centres = np.column_stack([(surface["x"] + surface["x2"]) / 2, (surface["y"] + surface["y2"]) / 2])
    probs = blobs_model.forward(centres)
    assert list(surface["class"]) == [blobs.class_names[i] for i in probs.argmax(axis=1)]
    np.testing.assert_allclose(surface["confidence"], probs.max(axis=1), rtol=1e-12)
    np.testing.assert_allclose(surface["p1"], probs[:, 1], rtol=1e-12)
    assert (surface["confidence"] >= 1 / 3 - 1e-12).all()


def test_decision_surface_of_a_nan_model_is_uniform():
    class Broken:
        def forward(self, X):
            return np.full((len(X), 4), np.nan)

    surface = decision_surface(Broken(), np.array([[0.0, 0.0], [1.0, 2.0]]), resolution=3)
    assert (surface["p1"] == 0.25).all()
    assert (surface["confidence"] == 0.25).all()


def test_decision_surface_needs_two_features():
    net = MLP([3, 4, 2], seed=0)
    with pytest.raises(ValueError, match="2 input features"):
        decision_surface(net, np.zeros((5, 3)))


def test_decision_surface_refuses_work_over_the_cap():
    """MAX_GRID caps the cells; the work cap also bounds cells x network (here 200² cells x 8 x 512 maxout)."""
    wide = MLP([2, *[512] * 8, 2], activation="maxout", maxout_pieces=8, seed=0)
    with pytest.raises(ValueError) as raised:
        decision_surface(wide, np.array([[0.0, 0.0], [1.0, 1.0]]), resolution=MAX_GRID)
    message = str(raised.value)
    assert message.startswith("A decision surface of 200 × 200 cells for a network of 8 hidden layers would need "
                              "about 6.1e11 multiply-adds")
    assert f"over the cap of {format_work(MAX_WORK)}" in message and "coarser grid" in message


def test_decision_surface_of_the_arenas_largest_network_is_within_the_cap():
    """The Arena draws 60 x 60 cells; its widgets go up to 8 hidden layers of 128 units, maxout with 5 pieces."""
    net = MLP([2, *[128] * 8, 3], activation="maxout", maxout_pieces=5, seed=0)
    surface = decision_surface(net, np.array([[0.0, 0.0], [1.0, 1.0]]), resolution=60)
    assert len(surface) == 3600


# --- points_frame -------------------------------------------------------------------------------------


def test_points_frame_holds_train_then_test_with_class_names(moons):
    points = points_frame(moons)
    n_train, n_test = len(moons.X_train), len(moons.X_test)
    assert list(points.columns) == ["x", "y", "class", "split"]
    assert len(points) == n_train + n_test == 160
    assert list(points["split"]) == ["train"] * n_train + ["test"] * n_test
    np.testing.assert_array_equal(points[["x", "y"]].to_numpy(), all_points(moons))
    labels = np.concatenate([moons.y_train, moons.y_test])
    assert list(points["class"]) == [moons.class_names[i] for i in labels]
    assert set(points["class"]) == set(moons.class_names)


def test_points_frame_for_three_classes(blobs):
    points = points_frame(blobs)
    counts = Counter(points["class"])
    labels = Counter(np.concatenate([blobs.y_train, blobs.y_test]).tolist())
    assert counts == {blobs.class_names[i]: n for i, n in labels.items()}


# --- confusion_frame ----------------------------------------------------------------------------------


def test_confusion_counts_equal_sklearn(moons, moons_model):
    frame = confusion_frame(moons_model, moons.X_test, moons.y_test, moons.class_names)
    predicted = moons_model.forward(moons.X_test).argmax(axis=1)
    matrix = confusion_matrix(moons.y_test, predicted, labels=[0, 1])
    assert list(frame.columns) == ["true", "predicted", "count", "share"]
    names = moons.class_names
    assert list(zip(frame["true"], frame["predicted"], strict=True)) == [
        (names[0], names[0]), (names[0], names[1]), (names[1], names[0]), (names[1], names[1])]
    assert list(frame["count"]) == matrix.ravel().tolist()
    pairs = Counter(zip(moons.y_test.tolist(), predicted.tolist(), strict=True))
    assert list(frame["count"]) == [pairs[(t, p)] for t in (0, 1) for p in (0, 1)]
    assert frame["count"].sum() == len(moons.y_test)
    np.testing.assert_allclose(frame.groupby("true")["share"].sum(), 1.0)
    np.testing.assert_allclose(frame["share"], (matrix / matrix.sum(axis=1, keepdims=True)).ravel())


def test_confusion_absent_class_has_zero_counts_and_shares(blobs, blobs_model):
    present = blobs.y_test != 2
    X, y = blobs.X_test[present], blobs.y_test[present]
    frame = confusion_frame(blobs_model, X, y, blobs.class_names)
    assert len(frame) == 9
    matrix = confusion_matrix(y, blobs_model.predict(X), labels=[0, 1, 2])
    assert list(frame["count"]) == matrix.ravel().tolist()
    shares = frame.groupby("true", sort=False)["share"].sum()
    np.testing.assert_allclose(shares[[blobs.class_names[0], blobs.class_names[1]]], 1.0)
    assert shares[blobs.class_names[2]] == 0.0
    absent = frame[frame["true"] == blobs.class_names[2]]
    assert (absent["count"] == 0).all() and (absent["share"] == 0).all()


# --- a loaded network's surface -----------------------------------------------------------------------------------


def test_a_loaded_networks_surface_is_over_raw_features_through_its_scaler(moons, moons_model):
    network = network_from_npz(weights_npz(moons_model, None, moons))
    surface = saved_surface(network, 9)
    low = moons.feature_mean - SAVED_SPREAD * moons.feature_scale
    high = moons.feature_mean + SAVED_SPREAD * moons.feature_scale
    centres = np.column_stack([(surface["x"] + surface["x2"]) / 2, (surface["y"] + surface["y2"]) / 2])
    np.testing.assert_allclose(centres.min(axis=0), low)
    np.testing.assert_allclose(centres.max(axis=0), high)
    by_hand = moons_model.forward((centres - moons.feature_mean) / moons.feature_scale)  # standardised by hand
    np.testing.assert_allclose(surface["p1"], by_hand[:, 1], rtol=1e-5, atol=1e-6)
    assert set(surface["class"]) <= set(moons.class_names)
    assert len(surface) == 81


def test_a_loaded_network_without_a_scaler_is_drawn_over_standardised_features(moons_model):
    surface = saved_surface(network_from_json(weights_json(moons_model)), 5)
    assert surface["x"].min() + (surface["x2"] - surface["x"]).iloc[0] / 2 == pytest.approx(-3.0)
    assert set(surface["class"]) <= {"class 0", "class 1"}


def test_only_a_classifier_of_two_inputs_has_a_loaded_surface():
    for model in (MLP([3, 4, 2], seed=0), MLP([2, 4, 1], task="regression", seed=0)):
        with pytest.raises(ValueError, match="classifier of exactly 2 inputs"):
            saved_surface(network_from_npz(weights_npz(model)))
    too_big = MLP([2, 512, 512, 512, 512, 2], seed=0)
    with pytest.raises(ValueError, match="MAX_WORK"):
        saved_surface(network_from_npz(weights_npz(too_big)), MAX_GRID)
