"""Weights with their data (format 2): the input scaler saved with the network, so a loaded network predicts on raw
features exactly as the live one does on the standardised ones; old files without it; strict refusal of bad data."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

import core.io.weights as weights_io
from core.engine.data import _make_moons, _make_sine, load_dataset
from core.engine.live import LiveRun
from core.engine.mlp import MLP
from core.io.weights import (
    model_from_json,
    network_from_file,
    network_from_json,
    network_from_npz,
    weights_json,
    weights_npz,
)
from core.settings import Experiment

SAMPLES, NOISE, SEED, TEST_SIZE = 200, 0.2, 3, 0.25


def raw_split(make, stratify: bool):
    """The dataset's raw features and targets, made and split again here as core.engine.data does, not read from it."""
    X, y = make(SAMPLES, NOISE, SEED)
    return train_test_split(X, y, test_size=TEST_SIZE, random_state=SEED, stratify=y if stratify else None)


@pytest.fixture(scope="module")
def live():
    """The Arena's own run after a few epochs: its first seed of each activation."""
    experiment = Experiment(dataset="moons", n_samples=SAMPLES, noise=NOISE, first_seed=SEED, test_size=TEST_SIZE,
                            activations=("relu", "tanh", "maxout"), hidden_layers=(8, 8), epochs=5)
    run = LiveRun(experiment)
    run.advance(max_epochs=5)
    return run


@pytest.mark.parametrize("fmt", ["npz", "json"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "maxout"])
def test_an_exported_network_predicts_on_raw_features_as_the_live_one_did(live, activation, fmt):
    index = live.experiment.first_run(activation)
    model, config, dataset = live.model(index), live.configs[index], live.dataset
    written = (weights_npz if fmt == "npz" else weights_json)(model, config, dataset)
    network = network_from_file(written, f"net.{fmt}")
    X_train_raw, X_test_raw, _, _ = raw_split(_make_moons, stratify=True)
    assert np.array_equal((X_test_raw - dataset.feature_mean) / dataset.feature_scale, dataset.X_test)
    assert np.array_equal(network.forward_raw(X_test_raw), model.forward(dataset.X_test))
    assert np.array_equal(network.predict_raw(X_train_raw), model.predict(dataset.X_train))
    assert network.version == 2 and network.config == config
    assert network.data.feature_names == ("x1", "x2") and network.data.class_names == tuple(dataset.class_names)
    assert np.array_equal(network.data.feature_mean, dataset.feature_mean)
    assert np.array_equal(network.data.feature_scale, dataset.feature_scale)


@pytest.mark.parametrize("fmt", ["npz", "json"])
def test_a_regression_predicts_in_the_targets_own_units(fmt):
    dataset = load_dataset("sine", n_samples=SAMPLES, noise=NOISE, test_size=TEST_SIZE, seed=SEED)
    model = MLP([1, 6, 1], activation="tanh", task="regression", seed=0)
    network = network_from_file((weights_npz if fmt == "npz" else weights_json)(model, None, dataset), f"w.{fmt}")
    _, X_test_raw, _, y_test_raw = raw_split(_make_sine, stratify=False)
    assert np.array_equal(network.forward_raw(X_test_raw), dataset.unscale_target(model.forward(dataset.X_test)))
    assert network.data.class_names == () and network.data.target_name == dataset.target_name
    assert network.data.unscale_target(dataset.y_test[:, 0]) == pytest.approx(y_test_raw)


def _v1_meta() -> dict:
    return {"format": "relu-lab-weights", "format_version": 1, "activations": ["relu"], "task": "classification",
            "maxout_pieces": 2, "alpha": None, "dtype": "float64", "layer_sizes": [2, 3, 2], "train_config": None}


def _arrays(meta: dict) -> dict:
    rng = np.random.default_rng(0)
    return {"W0": rng.normal(size=(2, 3)), "b0": np.zeros(3), "W1": rng.normal(size=(3, 2)), "b1": np.zeros(2),
            "meta": np.array(json.dumps(meta))}


def _npz(meta: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **_arrays(meta))
    return buffer.getvalue()


def _json(meta: dict) -> str:
    arrays = _arrays(meta)
    return json.dumps({**meta, "weights": [arrays["W0"].tolist(), arrays["W1"].tolist()],
                       "biases": [arrays["b0"].tolist(), arrays["b1"].tolist()]})


def test_a_version_1_file_still_loads_and_says_it_has_no_scaler():
    for network in (network_from_npz(_npz(_v1_meta())), network_from_json(_json(_v1_meta()))):
        assert network.version == 1 and network.data is None and network.config is None
        assert network.model.layer_sizes == [2, 3, 2]
        with pytest.raises(ValueError, match="holds no input scaler"):
            network.forward_raw(np.zeros((1, 2)))


def test_a_network_saved_without_its_data_has_none():
    model = MLP([2, 3, 2], seed=0)
    assert json.loads(weights_json(model))["data"] is None and json.loads(weights_json(model))["format_version"] == 2
    assert network_from_npz(weights_npz(model)).data is None


DATA = {"feature_names": ["a", "b"], "feature_mean": [1.0, -2.0], "feature_scale": [0.5, 3.0],
        "class_names": ["no", "yes"], "target_name": "label", "target_mean": 0.0, "target_scale": 1.0}


def _v2_meta(**data_changes) -> dict:
    data = {key: value for key, value in {**DATA, **data_changes}.items() if value != "<drop>"}
    return {**_v1_meta(), "format_version": 2, "data": data}


def test_the_hand_built_version_2_file_is_valid():
    for network in (network_from_npz(_npz(_v2_meta())), network_from_json(_json(_v2_meta()))):
        X = np.array([[1.0, -2.0], [2.0, 4.0]])
        assert np.array_equal(network.forward_raw(X), network.model.forward(np.array([[0.0, 0.0], [2.0, 2.0]])))


BAD_DATA = {
    "names too few": dict(feature_names=["a"]),
    "a name not text": dict(feature_names=["a", 3]),
    "mean too long": dict(feature_mean=[0.0, 0.0, 0.0]),
    "mean as text": dict(feature_mean=["0", 0.0]),
    "mean a bool": dict(feature_mean=[True, 0.0]),
    "mean a null": dict(feature_mean=[None, 0.0]),
    "a 400-digit mean": dict(feature_mean=[10**400, 0.0]),
    "a mean beyond 1e12": dict(feature_mean=[1e13, 0.0]),
    "a zero scale": dict(feature_scale=[0.0, 1.0]),
    "a negative scale": dict(feature_scale=[-1.0, 1.0]),
    "scale not a list": dict(feature_scale={"a": 1}),
    "one class name for two outputs": dict(class_names=["yes"]),
    "class names nested": dict(class_names=[["no"], "yes"]),
    "target name a number": dict(target_name=5),
    "target scale zero": dict(target_scale=0),
    "target mean text": dict(target_mean="0"),
    "a key missing": dict(target_scale="<drop>"),
    "an unknown key": dict(colour="red"),
}


@pytest.mark.parametrize("changes", BAD_DATA.values(), ids=BAD_DATA.keys())
def test_bad_data_is_refused_with_a_value_error_that_names_it(changes):
    for read, write in ((network_from_npz, _npz), (network_from_json, _json)):
        with pytest.raises(ValueError, match="data"):
            read(write(_v2_meta(**changes)))


def test_data_must_be_an_object_or_null_and_only_from_version_2():
    for data in ([], "scaler", 1.0, True):
        with pytest.raises(ValueError, match="data"):
            network_from_json(_json({**_v2_meta(), "data": data}))
    with pytest.raises(ValueError, match="Unknown key"):
        network_from_json(_json({**_v1_meta(), "data": None}))  # version 1 has no data
    with pytest.raises(ValueError, match="Missing key"):
        network_from_json(_json({**_v1_meta(), "format_version": 2}))
    with pytest.raises(ValueError, match="reads 1 and 2"):
        network_from_json(_json({**_v2_meta(), "format_version": 3}))
    NaN = _json(_v2_meta()).replace('"feature_mean": [1.0', '"feature_mean": [NaN')
    with pytest.raises(ValueError, match="NaN"):
        network_from_json(NaN)


def test_a_regression_has_no_class_names():
    meta = {**_v2_meta(), "task": "regression", "layer_sizes": [2, 3, 1]}
    arrays = _arrays(meta)
    document = {**meta, "weights": [arrays["W0"].tolist(), arrays["W1"][:, :1].tolist()],
                "biases": [arrays["b0"].tolist(), [0.0]]}
    with pytest.raises(ValueError, match="class_names must be a list of 0"):
        network_from_json(json.dumps(document))
    document["data"] = {**DATA, "class_names": []}
    assert network_from_json(json.dumps(document)).data.class_names == ()


def test_the_writer_refuses_data_that_does_not_describe_the_network():
    three_features = load_dataset("blobs", n_samples=90, seed=0)  # 2 features, 3 classes
    with pytest.raises(ValueError, match="class_names must be a list of 2"):
        weights_npz(MLP([2, 3, 2], seed=0), None, three_features)
    iris = load_dataset("iris")
    with pytest.raises(ValueError, match="feature_names must be a list of 2"):
        weights_json(MLP([2, 3, 3], seed=0), None, iris)


def test_a_description_longer_than_the_meta_cap_is_not_written(monkeypatch):
    moons = load_dataset("moons", n_samples=60)
    model = MLP([2, 3, 2], seed=0)
    monkeypatch.setattr(weights_io, "MAX_META_CHARS", 300)
    with pytest.raises(ValueError, match="longer than 300 characters"):
        weights_npz(model, None, moons)
    assert model_from_json(weights_json(model)).layer_sizes == [2, 3, 2]  # without its data it fits


def test_a_file_is_told_apart_by_its_name_or_its_signature():
    model = MLP([2, 3, 2], seed=0)
    npz, text = weights_npz(model), weights_json(model)
    for data, name in ((npz, "a.npz"), (npz, "a.NPZ"), (npz, "weights"), (text.encode(), "a.json"),
                       (text.encode(), "weights.txt")):
        assert network_from_file(data, name).model.layer_sizes == [2, 3, 2]
    with pytest.raises(ValueError, match="weights JSON is not UTF-8"):
        network_from_file(npz, "a.json")
    with pytest.raises(ValueError, match="npz"):
        network_from_file(text.encode(), "a.npz")
