"""Input features (TensorFlow Playground's seven): closed-form values of the map, the network that applies it to the
points it is handed, training on them (a linear model on x1², x2² separates the circles, one on x1, x2 cannot),
and every consumer of a trained network seeing the inputs training saw."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from core.engine.data import load_dataset
from core.engine.features import FEATURES, RAW_FEATURES, check_features, feature_label, feature_map
from core.engine.mlp import MLP
from core.engine.training import TrainConfig, train, train_many
from core.io.weights import model_from_json, model_from_npz, weights_json, weights_npz
from core.lab.boundary import confusion_frame, decision_surface

POINTS = np.array([[0.5, -2.0], [0.0, math.pi / 2], [-3.0, 1.0]])


def test_the_seven_features_in_closed_form():
    assert FEATURES == ("x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2")
    assert RAW_FEATURES == ("x1", "x2")
    expected = np.array([
        [0.5, -2.0, 0.25, 4.0, -1.0, math.sin(0.5), math.sin(-2.0)],
        [0.0, math.pi / 2, 0.0, math.pi ** 2 / 4, 0.0, 0.0, 1.0],
        [-3.0, 1.0, 9.0, 1.0, -3.0, math.sin(-3.0), math.sin(1.0)],
    ])
    np.testing.assert_allclose(feature_map(POINTS, FEATURES), expected, rtol=0, atol=1e-15)
    # any subset, in the order given
    np.testing.assert_array_equal(feature_map(POINTS, ("sin_x2", "x1")), expected[:, [6, 0]])
    assert [feature_label(f) for f in FEATURES] == ["x₁", "x₂", "x₁²", "x₂²", "x₁·x₂", "sin x₁", "sin x₂"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_map_keeps_the_dtype_and_is_contiguous(dtype):
    out = feature_map(POINTS.astype(dtype), FEATURES)
    assert out.dtype == dtype and out.flags.c_contiguous and out.shape == (3, 7)


@pytest.mark.parametrize(("features", "points", "message"), [
    (("x3",), POINTS, r"Unknown input feature 'x3'\. Valid choices: x1, x2, x1_squared"),
    ((), POINTS, r"features must be a non-empty list"),
    ("x1", POINTS, r"features must be a non-empty list"),
    (("x1", "x1"), POINTS, r"each input feature may be chosen once"),
    (("x1",), np.zeros((4, 3)), r"functions of 2-D points; got inputs of shape \(4, 3\)"),
])
def test_bad_features_or_points_are_refused_with_a_clear_message(features, points, message):
    with pytest.raises(ValueError, match=message):
        feature_map(points, features)


def test_a_network_with_features_takes_points_and_maps_them_first():
    net = MLP([3, 4, 2], activation="tanh", features=("x1_squared", "x1_x2", "sin_x2"), seed=1)
    plain = MLP.from_parameters(net.weights, net.biases, "tanh")
    assert net.n_inputs == 2 and plain.n_inputs == 3
    np.testing.assert_array_equal(net.forward(POINTS), plain.forward(feature_map(POINTS, net.features)))
    with pytest.raises(ValueError, match=r"Expected inputs of shape \(n, 2\)"):
        net.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="takes 2 inputs but 3 input features"):
        MLP([2, 4, 2], features=("x1", "x2", "x1_x2"))
    assert check_features(["x1", "x2"]) == ("x1", "x2")


@pytest.fixture(scope="module")
def circles():
    return load_dataset("circles", n_samples=500, noise=0.1, seed=0)


def _final(ds, features, dtype="float64"):
    config = TrainConfig(activation="linear", hidden_layers=(2,), epochs=100, learning_rate=0.1, init="xavier",
                         features=features, dtype=dtype)
    return list(train(ds, config))[-1]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_linear_network_on_x1_squared_and_x2_squared_separates_the_circles_and_on_x1_x2_it_cannot(circles, dtype):
    """A network with linear hidden units is one affine function of its inputs. On x1, x2 that is a straight line,
    which cannot split a ring from the disc inside it; on x1², x2² a line is a centred ellipse, which can."""
    squares = _final(circles, ("x1_squared", "x2_squared"), dtype)
    raw = _final(circles, None, dtype)
    assert squares.test_accuracy > 0.95 and squares.train_accuracy > 0.95
    assert raw.test_accuracy < 0.65 and raw.train_accuracy < 0.65  # chance is 0.5
    assert _final(circles, RAW_FEATURES, dtype).train_accuracy == pytest.approx(raw.train_accuracy)


def test_features_of_data_that_is_not_2d_are_refused_before_training():
    iris = load_dataset("iris")
    with pytest.raises(ValueError, match="Input features are functions of 2-D points; this dataset has 4 input"):
        train_many(iris, [TrainConfig(features=("x1",))])


def test_every_consumer_of_a_trained_network_sees_the_features_training_saw(circles):
    """The live model of a run maps the points it is handed: its accuracy on the raw test points is the record's,
    its confusion matrix counts the same, its decision surface is its prediction over the grid, and its weights
    export and load back with their features."""
    features = ("x1_squared", "x2_squared", "x1_x2")
    config = TrainConfig(activation="relu", hidden_layers=(4,), epochs=5, features=features, seed=2)
    trainer = train_many(circles, [config, config.replace(activation="tanh")])
    records = list(trainer)[-1]
    for run, record in enumerate(records):
        model = trainer.model(run)
        assert model.features == features and model.layer_sizes[0] == 3
        predicted = model.predict(circles.X_test)
        assert (predicted == circles.y_test).mean() == pytest.approx(record.test_accuracy)
        confusion = confusion_frame(model, circles.X_test, circles.y_test, circles.class_names)
        assert confusion.loc[confusion["true"] == confusion["predicted"], "count"].sum() == (
            predicted == circles.y_test).sum()
        surface = decision_surface(model, circles.X_train, resolution=10, class_names=["0", "1"])
        centres = np.column_stack([(surface["x"] + surface["x2"]) / 2, (surface["y"] + surface["y2"]) / 2])
        np.testing.assert_allclose(surface["p1"], model.forward(centres)[:, 1])
        for loaded in (model_from_npz(weights_npz(model, config if run == 0 else config.replace(activation="tanh"))),
                       model_from_json(weights_json(model))):
            assert loaded.features == features
            np.testing.assert_array_equal(loaded.forward(circles.X_test), model.forward(circles.X_test))


def test_a_weights_file_whose_features_do_not_fit_its_network_is_refused():
    document = json.loads(weights_json(MLP([2, 3, 2], features=("x1", "x1_squared"))))
    document["features"] = ["x1"]
    with pytest.raises(ValueError, match="features must list one input feature per input"):
        model_from_json(json.dumps(document))
    document["features"] = ["x1", "x9"]
    with pytest.raises(ValueError, match="Unknown input feature 'x9'"):
        model_from_json(json.dumps(document))


def test_linear_regions_of_a_network_with_features_are_found_from_the_points():
    """Region ids are activation patterns, so a network with features has them over the plane's points too."""
    from core.lab.regions import count_regions, region_map

    net = MLP([2, 6, 2], activation="relu", features=("x1_squared", "x2_squared"), seed=0)
    plain = MLP.from_parameters(net.weights, net.biases, "relu")
    assert count_regions(net, POINTS) == count_regions(plain, feature_map(POINTS, net.features))
    assert len(region_map(net, POINTS, resolution=5)) == 25
