"""core.io.weights: weights .npz/JSON round trips with predictions bit for bit, strict refusal of malformed files
(always ValueError), no pickles, size caps."""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
import zipfile

import numpy as np
import pytest

import core.io.weights as weights_io
from core.engine import limits
from core.engine.mlp import MLP
from core.engine.training import TrainConfig, train_many
from core.io.weights import check_exportable, model_from_json, model_from_npz, weights_json, weights_npz
from tests.io.conftest import EPOCHS

# --- weights --------------------------------------------------------------------------------------

CASES = {
    "relu float64": ("moons", dict(activation="relu")),
    "tanh float32": ("moons", dict(activation="tanh", dtype="float32")),
    "leaky_relu alpha": ("moons", dict(activation="leaky_relu", alpha=0.2)),
    "leaky_relu default alpha float32": ("moons", dict(activation="leaky_relu", dtype="float32")),
    "maxout 3 pieces": ("moons", dict(activation="maxout", maxout_pieces=3)),
    "maxout float32": ("blobs", dict(activation="maxout", dtype="float32")),
    "mixed per layer": ("blobs", dict(activation=("tanh", "maxout", "leaky_relu"), hidden_layers=(5, 4, 3),
                                      alpha=0.3)),
    "leaky and elu at their defaults": ("moons", dict(activation=("leaky_relu", "elu"))),
    "leaky and elu share alpha": ("moons", dict(activation=("elu", "leaky_relu"), alpha=0.5)),
    "regression relu": ("sine", dict(activation="relu")),
    "regression mixed float32": ("sine", dict(activation=("sigmoid", "maxout"), dtype="float32")),
    "three classes gelu": ("blobs", dict(activation="gelu")),
}


@pytest.fixture(scope="module")
def trained(moons, blobs, sine):
    """One trained (model, config, dataset) per case, straight from train_many."""
    datasets = {"moons": moons, "blobs": blobs, "sine": sine}
    out = {}
    for name, (ds_name, settings) in CASES.items():
        settings = {"hidden_layers": (5, 4), "epochs": EPOCHS, "batch_size": 16, "seed": 3, **settings}
        cfg = TrainConfig(**settings)
        trainer = train_many(datasets[ds_name], [cfg])
        for _ in trainer:
            pass
        out[name] = (trainer.model(0), cfg, datasets[ds_name])
    return out


def _inputs(ds, n_features):
    grid = np.random.default_rng(0).normal(scale=3.0, size=(200, n_features))
    return np.vstack([ds.X_train, ds.X_test, grid])


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("fmt", ["npz", "json"])
def test_weights_round_trip_gives_identical_predictions(trained, case, fmt):
    model, cfg, ds = trained[case]
    loaded = model_from_npz(weights_npz(model, cfg)) if fmt == "npz" else model_from_json(weights_json(model, cfg))
    X = _inputs(ds, ds.n_features)
    assert np.array_equal(loaded.forward(X), model.forward(X))
    assert loaded.forward(X).dtype == np.dtype(cfg.dtype)
    assert loaded.activations == model.activations and loaded.task == model.task
    assert loaded.layer_sizes == model.layer_sizes
    for a, b in zip([*loaded.weights, *loaded.biases], [*model.weights, *model.biases], strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_a_model_without_config_round_trips():
    model = MLP([3, 6, 2], activation="maxout", task="regression", maxout_pieces=4, seed=2, dtype=np.float32)
    X = np.random.default_rng(1).normal(size=(50, 3))
    for loaded in (model_from_npz(weights_npz(model)), model_from_json(weights_json(model))):
        assert np.array_equal(loaded.forward(X), model.forward(X))


def test_meta_records_what_rebuilds_the_network(trained):
    model, cfg, _ = trained["mixed per layer"]
    with np.load(io.BytesIO(weights_npz(model, cfg)), allow_pickle=False) as archive:
        assert sorted(archive.files) == ["W0", "W1", "W2", "W3", "b0", "b1", "b2", "b3", "meta"]
        meta = json.loads(str(archive["meta"][()]))
    assert meta["activations"] == ["tanh", "maxout", "leaky_relu"] and meta["alpha"] == 0.3
    assert meta["task"] == "classification" and meta["dtype"] == "float64" and meta["maxout_pieces"] == 2
    assert meta["layer_sizes"] == [2, 5, 4, 3, 3]
    assert meta["train_config"]["hidden_layers"] == [5, 4, 3]
    assert json.loads(weights_json(model, cfg))["alpha"] == 0.3


def test_a_config_that_does_not_describe_the_model_is_refused(trained):
    model, cfg, _ = trained["relu float64"]
    for wrong in (cfg.replace(activation="tanh"), cfg.replace(hidden_layers=(5, 5)), cfg.replace(dtype="float32")):
        with pytest.raises(ValueError, match="config"):
            weights_npz(model, wrong)
    leaky, leaky_cfg, _ = trained["leaky_relu alpha"]
    with pytest.raises(ValueError, match="alpha"):
        weights_json(leaky, leaky_cfg.replace(alpha=0.5))


def _meta(**changes) -> dict:
    meta = {"format": "relu-lab-weights", "format_version": 1, "activations": ["relu"], "task": "classification",
            "maxout_pieces": 2, "alpha": None, "dtype": "float64", "layer_sizes": [2, 3, 2], "train_config": None}
    meta.update(changes)
    return meta


def _arrays(meta: dict | None = None) -> dict:
    meta = _meta() if meta is None else meta
    rng = np.random.default_rng(0)
    return {"W0": rng.normal(size=(2, 3)), "b0": np.zeros(3), "W1": rng.normal(size=(3, 2)), "b1": np.zeros(2),
            "meta": np.array(json.dumps(meta))}


def _npz(arrays: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _with(**changes) -> bytes:
    arrays = _arrays()
    for key, value in changes.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    return _npz(arrays)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_the_hand_built_npz_is_valid():
    model = model_from_npz(_npz(_arrays()))
    assert model.layer_sizes == [2, 3, 2]


MALFORMED_NPZ = {
    "text, not bytes": lambda: "not bytes",
    "empty": lambda: b"",
    "random bytes": lambda: bytes(range(256)) * 4,
    "a pickle": lambda: pickle.dumps({"W0": [[1.0]]}),
    "a single .npy": lambda: _npy(np.zeros((2, 3))),
    "truncated": lambda: _npz(_arrays())[:-40],
    "a zip with a text file": lambda: _zip({"W0.npy": _npy(np.zeros((2, 3))), "readme.txt": b"hi"}),
    "a zip with garbage .npy": lambda: _zip({"W0.npy": b"garbage", "meta.npy": b"garbage"}),
    "missing meta": lambda: _with(meta=None),
    "missing W1": lambda: _with(W1=None),
    "missing b0": lambda: _with(b0=None),
    "an extra array": lambda: _with(W2=np.zeros((2, 2))),
    "object array": lambda: _with(W0=np.array([[1.0, None, 2.0], [0.0, 1.0, 2.0]], dtype=object)),
    "object meta": lambda: _with(meta=np.array([{"format": "relu-lab-weights"}], dtype=object)),
    "meta as bytes": lambda: _with(meta=np.array(json.dumps(_meta()).encode())),
    "meta as a 1-d array": lambda: _with(meta=np.array([json.dumps(_meta())])),
    "meta not json": lambda: _with(meta=np.array("{oops")),
    "meta a list": lambda: _with(meta=np.array("[]")),
    "meta with NaN alpha": lambda: _with(meta=np.array(json.dumps(_meta()).replace('"alpha": null', '"alpha": NaN'))),
    "meta unknown key": lambda: _with(meta=np.array(json.dumps(_meta(colour="red")))),
    "meta missing key": lambda: _with(meta=np.array(json.dumps({k: v for k, v in _meta().items() if k != "task"}))),
    "meta wrong format": lambda: _with(meta=np.array(json.dumps(_meta(format="relu-lab-experiment")))),
    "meta future version": lambda: _with(meta=np.array(json.dumps(_meta(format_version=2)))),
    "meta unknown activation": lambda: _with(meta=np.array(json.dumps(_meta(activations=["swish2"])))),
    "meta unknown task": lambda: _with(meta=np.array(json.dumps(_meta(task="ranking")))),
    "meta float16": lambda: _with(meta=np.array(json.dumps(_meta(dtype="float16")))),
    "meta 99 maxout pieces": lambda: _with(meta=np.array(json.dumps(_meta(maxout_pieces=99)))),
    "meta alpha without leaky": lambda: _with(meta=np.array(json.dumps(_meta(alpha=0.1)))),
    "meta layer sizes disagree": lambda: _with(meta=np.array(json.dumps(_meta(layer_sizes=[2, 4, 2])))),
    "meta one-class classifier": lambda: _with(meta=np.array(json.dumps(_meta(layer_sizes=[2, 3, 1])))),
    "meta bad train_config": lambda: _with(meta=np.array(json.dumps(_meta(train_config={"epochs": -1})))),
    "meta train_config unknown key": lambda: _with(meta=np.array(json.dumps(_meta(train_config={"x": 1})))),
    "meta train_config for another net": lambda: _with(meta=np.array(json.dumps(_meta(
        train_config={"activation": "tanh", "hidden_layers": [3]})))),
    "W0 wrong shape": lambda: _with(W0=np.zeros((2, 4))),
    "W1 breaks the chain": lambda: _with(W1=np.zeros((4, 2))),
    "b0 wrong length": lambda: _with(b0=np.zeros(4)),
    "b1 two-dimensional": lambda: _with(b1=np.zeros((1, 2))),
    "NaN weight": lambda: _with(W0=np.array([[np.nan, 0, 0], [0, 0, 0]])),
    "infinite bias": lambda: _with(b0=np.array([0, np.inf, 0])),
    "integer weights": lambda: _with(W0=np.zeros((2, 3), dtype=np.int64)),
    "float32 array in a float64 net": lambda: _with(W1=np.zeros((3, 2), dtype=np.float32)),
    "complex weights": lambda: _with(W0=np.zeros((2, 3), dtype=complex)),
    "structured array": lambda: _with(b0=np.zeros(3, dtype=[("a", "f8")])),
}


@pytest.mark.parametrize("make", MALFORMED_NPZ.values(), ids=MALFORMED_NPZ.keys())
def test_malformed_npz_raises_value_error(make):
    with pytest.raises(ValueError):
        model_from_npz(make())


def test_npz_is_loaded_without_pickle(monkeypatch):
    calls = []
    real_load = np.load

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    model_from_npz(_npz(_arrays()))
    with pytest.raises(ValueError, match="allow_pickle"):
        model_from_npz(_with(W0=np.array([[1.0, None, 2.0], [0.0, 1.0, 2.0]], dtype=object)))
    assert calls and all(kw.get("allow_pickle") is False for kw in calls)


def test_a_zip_bomb_is_refused_before_decompression(monkeypatch):
    monkeypatch.setattr(weights_io, "MAX_NPZ_BYTES", 10_000)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, W0=np.zeros((2, 100_000)), **{k: v for k, v in _arrays().items() if k != "W0"})
    assert len(buffer.getvalue()) < 10_000
    with pytest.raises(ValueError, match="unpacks to more than"):
        model_from_npz(buffer.getvalue())


def _json_weights(**changes) -> str:
    arrays = _arrays()
    document = {**_meta(), "weights": [arrays["W0"].tolist(), arrays["W1"].tolist()],
                "biases": [arrays["b0"].tolist(), arrays["b1"].tolist()]}
    document.update(changes)
    return json.dumps(document)


GOOD = json.loads(_json_weights())
MALFORMED_JSON_WEIGHTS = {
    "not json": "{",
    "a list": "[]",
    "missing weights": json.dumps({k: v for k, v in GOOD.items() if k != "weights"}),
    "an extra key": _json_weights(extra=1),
    "one weight matrix too few": _json_weights(weights=GOOD["weights"][:1]),
    "weights not a list": _json_weights(weights={"W0": 1}),
    "a ragged row": _json_weights(weights=[[[1.0, 2.0, 3.0], [1.0, 2.0]], GOOD["weights"][1]]),
    "a transposed matrix": _json_weights(weights=[np.zeros((3, 2)).tolist(), GOOD["weights"][1]]),
    "numbers as text": _json_weights(biases=[["0", "0", "0"], GOOD["biases"][1]]),
    "a bool": _json_weights(biases=[[True, 0.0, 0.0], GOOD["biases"][1]]),
    "a null": _json_weights(biases=[[None, 0.0, 0.0], GOOD["biases"][1]]),
    "a nested bias": _json_weights(biases=[[[0.0, 0.0, 0.0]], GOOD["biases"][1]]),
    "NaN literal": _json_weights(biases=[["X", 0.0, 0.0], GOOD["biases"][1]]).replace('"X"', "NaN"),
    "Infinity literal": _json_weights(biases=[["X", 0.0, 0.0], GOOD["biases"][1]]).replace('"X"', "-Infinity"),
    "overflow to infinity": _json_weights(biases=[["X", 0.0, 0.0], GOOD["biases"][1]]).replace('"X"', "1e400"),
    "overflow of float32": _json_weights(dtype="float32", biases=[[1e39, 0.0, 0.0], GOOD["biases"][1]]),
    # JSON's integers have no size limit: each of these raised OverflowError on its way to a float.
    "a 400-digit weight": _json_weights(weights=[[[10**400, 0, 0], [0, 0, 0]], GOOD["weights"][1]]),
    "a 400-digit bias": _json_weights(biases=[[0, -(10**400), 0], GOOD["biases"][1]]),
    "a 400-digit alpha": _json_weights(activations=["leaky_relu"], alpha=10**400),
    "a 400-digit layer size": _json_weights(layer_sizes=[10**400, 3, 2]),
    "a 400-digit format version": _json_weights(format_version=10**400),
    "a 5000-digit number": _json_weights(alpha=0).replace('"alpha": 0', '"alpha": ' + "9" * 5000),
    "unknown activation": _json_weights(activations=["relu6"]),
    "33 hidden layers": _json_weights(activations=["relu"] * 33, layer_sizes=[2] + [1] * 33 + [2]),
    "513 units": _json_weights(layer_sizes=[2, 513, 2]),
    "wrong format": _json_weights(format="relu-lab-experiment"),
    "duplicate key": _json_weights()[:-1] + ', "task": "regression"}',
    "not text": 3.5,
}


@pytest.mark.parametrize("text", MALFORMED_JSON_WEIGHTS.values(), ids=MALFORMED_JSON_WEIGHTS.keys())
def test_malformed_weights_json_raises_value_error(text):
    assert model_from_json(_json_weights()).layer_sizes == [2, 3, 2]
    with pytest.raises(ValueError):
        model_from_json(text)


def test_huge_integers_are_refused_with_a_short_message():
    with pytest.raises(ValueError, match=r"W0 holds a whole number too large for a float \(1.8e\+308 at most\)"):
        model_from_json(MALFORMED_JSON_WEIGHTS["a 400-digit weight"])
    with pytest.raises(ValueError, match="alpha must be null or a number from 0 to 10") as caught:
        model_from_json(MALFORMED_JSON_WEIGHTS["a 400-digit alpha"])
    assert len(str(caught.value)) < 200  # the value is shown cut short, not with its 400 digits
    # The largest whole number a float holds is still a number (and then too large for a weight's float32).
    largest = int(np.finfo(np.float64).max)
    assert model_from_json(_json_weights(biases=[[largest, 0, 0], GOOD["biases"][1]])).biases[0][0] == largest
    with pytest.raises(ValueError, match="NaN or infinite"):
        model_from_json(_json_weights(dtype="float32", biases=[[largest, 0, 0], GOOD["biases"][1]]))


def test_check_exportable_raises_what_the_writers_raise_before_anything_is_written(trained):
    """A page asks before it offers the download button; the answer is the writers' own check."""
    for model, config, _ in trained.values():
        assert check_exportable(model, config) is None
        assert check_exportable(model) is None
    too_many_outputs = MLP([2, 4, limits.MAX_CLASSES + 1], seed=0)
    broken = MLP([2, 3, 2], seed=0)
    broken.biases[1][0] = np.inf
    model, config, _ = next(iter(trained.values()))
    for args in ((too_many_outputs,), (broken,), ("not a model",), (model, dataclasses.replace(config, seed=1,
                                                                                              hidden_layers=(7,)))):
        with pytest.raises(ValueError) as refused:
            check_exportable(*args)
        for writer in (weights_npz, weights_json):
            with pytest.raises(ValueError) as written:
                writer(*args)
            assert str(written.value) == str(refused.value)
    with pytest.raises(ValueError, match=f"needs 2 to {limits.MAX_CLASSES} outputs, got 513"):
        check_exportable(too_many_outputs)


def test_weights_json_is_capped_in_size(monkeypatch):
    monkeypatch.setattr(weights_io, "MAX_WEIGHTS_JSON_CHARS", 100)
    with pytest.raises(ValueError, match="too large"):
        model_from_json(_json_weights())


def test_size_caps_hold_at_the_limit_and_refuse_beyond_it():
    deep = MLP([2, *[1] * 32, 2], activation="relu", seed=0)
    assert model_from_json(weights_json(deep)).layer_sizes == deep.layer_sizes
    wide = MLP([2, 512, 2], activation="maxout", maxout_pieces=8, seed=0)
    assert model_from_npz(weights_npz(wide)).weights[0].shape == (2, 4096)
    for too_big in (MLP([2, *[1] * 33, 2], seed=0), MLP([2, 513, 2], seed=0), MLP([2, *[512] * 9, 2], seed=0)):
        with pytest.raises(ValueError):
            weights_npz(too_big)
        with pytest.raises(ValueError):
            weights_json(too_big)
    assert limits.MAX_DEPTH == 32 and limits.MAX_WIDTH == 512


def test_a_diverged_or_broken_model_is_not_written():
    model = MLP([2, 3, 2], seed=0)
    model.weights[0][0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        weights_npz(model)
    with pytest.raises(ValueError):
        weights_npz("not a model")
