"""core.io.export: exact round trips (history CSV, experiment JSON, weights .npz/JSON, predictions bit for bit),
strict refusal of malformed files (always ValueError), no pickles, size caps, and the Markdown and HTML reports."""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import json
import pickle
import re
import zipfile
from html.parser import HTMLParser

import altair as alt
import numpy as np
import pandas as pd
import pytest

from core.engine import limits
from core.engine.data import load_dataset
from core.engine.live import LiveRun
from core.engine.mlp import MLP
from core.engine.training import TrainConfig, train_many
from core.io import export
from core.io.export import (
    config_json,
    experiment_from_json,
    history_csv,
    model_from_json,
    model_from_npz,
    read_history_csv,
    report_html,
    report_markdown,
    weights_json,
    weights_npz,
)
from core.io.history import records_to_frame, summary
from core.settings import UPLOAD, Experiment

EPOCHS = 3


def flat(ds, configs):
    return [rec for records in train_many(ds, configs) for rec in records]


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", n_samples=100, noise=0.2, seed=0)


@pytest.fixture(scope="module")
def blobs():
    return load_dataset("blobs", n_samples=90, noise=0.3, seed=1)


@pytest.fixture(scope="module")
def sine():
    return load_dataset("sine", n_samples=80, noise=0.1, seed=0)


# --- history CSV ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def history(moons):
    """Stable and diverging runs: NaN values and True flags are part of what must round-trip."""
    configs = [TrainConfig(activation=a, hidden_layers=(5, 4), epochs=EPOCHS, batch_size=16, learning_rate=lr, seed=s)
               for a, lr in (("relu", 0.1), ("tanh", 0.1), ("linear", 50.0)) for s in (0, 1)]
    return records_to_frame(flat(moons, configs))


def test_history_round_trips_exactly_with_dtypes(history):
    assert history["diverged"].any() and history["value"].isna().any()
    text = history_csv(history)
    assert text.splitlines()[0] == "epoch,run,activation,seed,layer,metric,value,diverged"
    back = read_history_csv(text)
    pd.testing.assert_frame_equal(back, history, check_exact=True)
    assert back["epoch"].dtype == np.int64 and back["diverged"].dtype == bool and back["activation"].dtype == object


def test_history_floats_are_written_at_full_precision(history):
    text = history_csv(history)
    finite = history["value"].dropna()
    assert any(repr(float(v)) in text for v in finite if len(repr(float(v))) > 12)
    assert np.array_equal(read_history_csv(text)["value"].to_numpy(), history["value"].to_numpy(), equal_nan=True)


def test_regression_and_live_histories_round_trip(sine):
    configs = [TrainConfig(activation="relu", hidden_layers=(3,), epochs=EPOCHS, seed=0),
               TrainConfig(activation=("tanh", "relu"), hidden_layers=(3, 2), epochs=EPOCHS, seed=1)]
    frame = records_to_frame(flat(sine, configs))
    assert "test_accuracy" not in set(frame["metric"])
    assert "Tanh → ReLU" in set(frame["activation"])
    pd.testing.assert_frame_equal(read_history_csv(history_csv(frame)), frame, check_exact=True)
    live = LiveRun(Experiment(n_samples=60, epochs=2, hidden_layers=(3,)))
    live.advance(max_epochs=2)
    pd.testing.assert_frame_equal(read_history_csv(history_csv(live.history())), live.history(), check_exact=True)


def test_extra_columns_and_empty_frames_round_trip(history):
    swept = history.assign(depth=2, width=np.int64(5), lr=0.1)
    pd.testing.assert_frame_equal(read_history_csv(history_csv(swept)), swept, check_exact=True)
    empty = records_to_frame([])
    pd.testing.assert_frame_equal(read_history_csv(history_csv(empty)), empty)


@pytest.mark.parametrize("text", [
    "",
    "a,b\n1,2\n",
    "epoch,run,activation,seed,layer,metric,value\n0,0,ReLU,0,0,test_loss,1.0\n",
    "epoch,run,activation,seed,layer,metric,value,diverged\nx,0,ReLU,0,0,test_loss,1.0,False\n",
    "epoch,run,activation,seed,layer,metric,value,diverged\n0.5,0,ReLU,0,0,test_loss,1.0,False\n",
    "epoch,run,activation,seed,layer,metric,value,diverged\n0,0,ReLU,0,0,test_loss,one,False\n",
    "epoch,run,activation,seed,layer,metric,value,diverged\n0,0,ReLU,0,0,test_loss,1.0,maybe\n",
    "epoch,run,activation,seed,layer,metric,value,diverged\n0,0,ReLU,0,0,test_loss,,False\n",
    b"\xff\xfe\x00",
])
def test_malformed_history_csv_raises_value_error(text):
    with pytest.raises(ValueError):
        read_history_csv(text)


def test_history_csv_needs_a_history_frame():
    with pytest.raises(ValueError, match="missing column"):
        history_csv(pd.DataFrame({"epoch": [0]}))


# --- experiment JSON ------------------------------------------------------------------------------

NON_DEFAULT = Experiment(dataset="circles", n_samples=321, noise=0.05, test_size=0.3,
                         activations=("leaky_relu", "elu", "maxout"), hidden_layers=(8, 4, 2), init="xavier",
                         bias_init=-0.5, optimizer="adam", learning_rate=0.003, batch_size=17, epochs=42, l2=1e-4,
                         seeds=3, first_seed=7, leaky_alpha=0.2, elu_alpha=0.7, maxout_pieces=3)


@pytest.mark.parametrize("experiment", [Experiment(), NON_DEFAULT, Experiment(dataset="iris", activations="tanh")])
def test_experiment_round_trips(experiment):
    text = config_json(experiment)
    assert experiment_from_json(text) == experiment
    assert experiment_from_json(text.encode()) == experiment  # an upload arrives as bytes
    assert config_json(experiment_from_json(text)) == text


def test_config_json_is_sorted_indented_and_marked():
    text = config_json(NON_DEFAULT)
    document = json.loads(text)
    assert document["format"] == "relu-lab-experiment" and document["format_version"] == 1
    assert text == json.dumps(document, indent=2, sort_keys=True)
    assert document["experiment"] == NON_DEFAULT.to_dict()


def test_settings_left_out_take_the_defaults():
    text = json.dumps({"format": "relu-lab-experiment", "format_version": 1, "experiment": {"epochs": 9}})
    assert experiment_from_json(text) == Experiment(epochs=9)


def _config_text(**settings) -> str:
    return json.dumps({"format": "relu-lab-experiment", "format_version": 1, "experiment": settings})


MALFORMED_CONFIGS = {
    "not json": "{not json",
    "empty": "",
    "nan constant": '{"format": "relu-lab-experiment", "format_version": 1, "experiment": {"noise": NaN}}',
    "top-level list": "[]",
    "no format": json.dumps({"experiment": {}}),
    "other format": json.dumps({"format": "relu-lab-weights", "format_version": 1, "experiment": {}}),
    "future version": json.dumps({"format": "relu-lab-experiment", "format_version": 2, "experiment": {}}),
    "bool version": json.dumps({"format": "relu-lab-experiment", "format_version": True, "experiment": {}}),
    "unknown top key": json.dumps({"format": "relu-lab-experiment", "format_version": 1, "experiment": {}, "x": 1}),
    "settings not object": json.dumps({"format": "relu-lab-experiment", "format_version": 1, "experiment": [1]}),
    "duplicate key": '{"format": "relu-lab-experiment", "format_version": 1, "format_version": 1, "experiment": {}}',
    "unknown setting": _config_text(colour="red"),
    "seeds as text": _config_text(seeds="3"),
    "seeds as bool": _config_text(seeds=True),
    "epochs as float": _config_text(epochs=10.0),
    "activations as text": _config_text(activations="relu"),
    "activations with a number": _config_text(activations=["relu", 3]),
    "activations nested": _config_text(activations=[["relu"]]),
    "hidden as float list": _config_text(hidden_layers=[4.5]),
    "noise as text": _config_text(noise="0.2"),
    "unknown dataset": _config_text(dataset="mnist"),
    "unknown activation": _config_text(activations=["relu", "swishy"]),
    "too many seeds": _config_text(seeds=11),
    "zero epochs": _config_text(epochs=0),
    "huge width": _config_text(hidden_layers=[10_000]),
    "negative lr": _config_text(learning_rate=-0.1),
    "few samples for bundled set": _config_text(dataset="iris", n_samples=5),
    "unused alpha out of range": _config_text(leaky_alpha=50.0),
    "unknown optimizer": _config_text(optimizer="rmsprop"),
    "huge integer": '{"format": "relu-lab-experiment", "format_version": 1, "experiment": {"epochs": 1' + "0" * 5000
                    + "}}",
    "deep nesting": "[" * 40_000 + "]" * 40_000,
    "too long": " " * (limits.MAX_CONFIG_CHARS + 1),
    "not utf-8": b"\xff\xfe{}",
    "not text": 42,
}


@pytest.mark.parametrize("text", MALFORMED_CONFIGS.values(), ids=MALFORMED_CONFIGS.keys())
def test_malformed_experiment_json_raises_value_error(text):
    with pytest.raises(ValueError):
        experiment_from_json(text)


def test_experiment_errors_say_what_is_wrong():
    with pytest.raises(ValueError, match="colour"):
        experiment_from_json(_config_text(colour="red"))
    with pytest.raises(ValueError, match="seeds"):
        experiment_from_json(_config_text(seeds="3"))
    with pytest.raises(ValueError, match="not valid JSON"):
        experiment_from_json("{not json")


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
    monkeypatch.setattr(export, "MAX_NPZ_BYTES", 10_000)
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


def test_weights_json_is_capped_in_size(monkeypatch):
    monkeypatch.setattr(export, "MAX_WEIGHTS_JSON_CHARS", 100)
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


# --- Markdown report ------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))


@pytest.fixture(scope="module")
def run_summary(history):
    return summary(history)


def test_report_has_title_settings_summary_and_charts(run_summary):
    experiment = Experiment(activations=("relu", "tanh"), seeds=2, hidden_layers=(5, 4), epochs=EPOCHS)
    text = report_markdown(experiment, run_summary, {"Test accuracy": PNG, "Loss | log": PNG})
    assert text.startswith("# ReLU Lab report: Two moons\n")
    assert "ReLU, Tanh trained side by side" in text
    for name in experiment.to_dict():
        assert re.search(rf"^\| {name} \| ", text, flags=re.M), name
    assert "| hidden_layers | 5, 4 |" in text
    header = "| " + " | ".join(run_summary.columns) + " |"
    assert header in text
    assert text.count("\n| ReLU |") == 1
    uris = re.findall(r"!\[([^\]]*)\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", text)
    assert [alt for alt, _ in uris] == ["Test accuracy", "Loss | log"]
    assert all(base64.b64decode(data) == PNG for _, data in uris)


def test_report_on_an_uploaded_table_names_it_as_such(run_summary):
    experiment = Experiment(dataset=UPLOAD)
    assert report_markdown(experiment, run_summary).startswith("# ReLU Lab report: your own table (CSV)\n")
    assert "<h1>ReLU Lab report: your own table (CSV)</h1>" in report_html(experiment, run_summary, {})


def test_report_is_deterministic_and_date_free(run_summary):
    experiment = Experiment()
    first = report_markdown(experiment, run_summary)
    assert first == report_markdown(experiment, run_summary)
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", first)
    assert "data:image" not in first


def test_report_escapes_pipes_and_refuses_non_png():
    frame = pd.DataFrame({"activation": ["a|b"], "value": [float("nan")]})
    text = report_markdown(Experiment(), frame)
    assert "| a\\|b | — |" in text
    with pytest.raises(ValueError, match="PNG"):
        report_markdown(Experiment(), frame, {"chart": b"GIF89a"})


# --- HTML report ----------------------------------------------------------------------------------

XSS = "</script><script>alert(1)</script><!--"


class Page(HTMLParser):
    """The page as an HTML parser (and a browser) reads it: a <script>'s text ends at the first "</script"."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.headings: list[str] = []
        self._open: tuple[str, dict, list[str]] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "h3"):
            self._open = (tag, dict(attrs), [])

    def handle_endtag(self, tag):
        if self._open is not None and self._open[0] == tag:
            _, attrs, data = self._open
            if tag == "script":
                self.scripts.append((attrs, "".join(data)))
            else:
                self.headings.append("".join(data))
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open[2].append(data)

    def specs(self) -> list:
        return [json.loads(data) for attrs, data in self.scripts if attrs.get("type") == "application/json"]

    def sources(self) -> list[str]:
        return [attrs["src"] for attrs, _ in self.scripts if "src" in attrs]


def line_spec(frame: pd.DataFrame, title: str = "Loss") -> dict:
    return alt.Chart(frame, title=title).mark_line().encode(x="epoch:Q", y="value:Q", color="activation:N").to_dict()


@pytest.fixture(scope="module")
def html_charts(history) -> dict[str, dict]:
    loss = history[(history["metric"] == "train_loss") & (history["seed"] == 0)]
    accuracy = history[(history["metric"] == "test_accuracy") & (history["seed"] == 0)]
    return {"Loss (cross-entropy)": line_spec(loss.dropna()), "Test accuracy": line_spec(accuracy, "Accuracy")}


def test_html_report_has_the_settings_summary_and_one_embedded_chart_per_spec(run_summary, html_charts):
    experiment = Experiment(activations=("relu", "tanh"), seeds=2, hidden_layers=(5, 4), epochs=EPOCHS)
    text = report_html(experiment, run_summary, html_charts)
    page = Page(text)
    assert text.startswith("<!DOCTYPE html>\n")
    assert "<title>ReLU Lab report: Two moons</title>" in text and "<h1>ReLU Lab report: Two moons</h1>" in text
    # The same sentence as the Markdown report: one source for both.
    sentence = report_markdown(experiment, run_summary).splitlines()[2]
    assert f"<p>{sentence}</p>" in text
    for name, value in experiment.to_dict().items():
        shown = ", ".join(map(str, value)) if isinstance(value, tuple) else export._cell_text(value)
        assert re.search(rf"<tr><td>{name}</td><td( class=\"number\")?>{re.escape(shown)}</td></tr>", text), name
    header = "<thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in run_summary.columns) + "</tr></thead>"
    assert header in text
    for _, row in run_summary.iterrows():
        assert f"<tr><td>{row['activation']}</td>" in text
        assert f'<td class="number">{export._cell_text(row["test accuracy"])}</td>' in text
    # Each chart: its title as a heading, a view, its spec as JSON that reads back equal, one vegaEmbed call.
    assert page.headings == list(html_charts)
    assert page.specs() == list(html_charts.values())
    ids = [f"chart-{i}" for i in range(len(html_charts))]
    assert re.findall(r'vegaEmbed\("#(chart-\d+)", spec\("(chart-\d+)"\)', text) == [(i, i) for i in ids]
    assert [attrs["id"] for tag, attrs in page.tags if tag == "div"] == ids
    assert len(page.specs()[0]["datasets"]) == 1 and next(iter(page.specs()[0]["datasets"].values()))


def test_html_report_loads_the_libraries_altair_loads_and_says_charts_need_a_connection(html_charts):
    frame = pd.DataFrame({"epoch": [0, 1], "value": [1.0, 0.5], "activation": ["ReLU", "ReLU"]})
    chart = alt.Chart(frame).mark_line().encode(x="epoch:Q", y="value:Q")
    altair_sources = re.findall(r'<script type="text/javascript" src="([^"]+)"></script>', chart.to_html())
    assert altair_sources == [f"https://cdn.jsdelivr.net/npm/vega@{alt.VEGA_VERSION}",
                              f"https://cdn.jsdelivr.net/npm/vega-lite@{alt.VEGALITE_VERSION}",
                              f"https://cdn.jsdelivr.net/npm/vega-embed@{alt.VEGAEMBED_VERSION}"]
    assert alt.SCHEMA_VERSION == f"v{alt.VEGALITE_VERSION}"
    # The defaults and the specs' $schema pin the same versions; passing Altair's values changes nothing.
    text = report_html(Experiment(), None, html_charts)
    assert Page(text).sources() == altair_sources
    assert text == report_html(Experiment(), None, html_charts, vegalite_version=alt.VEGALITE_VERSION,
                               vega_version=alt.VEGA_VERSION, vegaembed_version=alt.VEGAEMBED_VERSION)
    scripts = [attrs for tag, attrs in Page(text).tags if tag == "script" and "src" in attrs]
    assert all(attrs["onerror"] == "chartsUnavailable()" for attrs in scripts)
    assert "<noscript>" in text and "JavaScript is turned off, so the charts cannot be drawn" in text
    assert "they need an internet connection" in text
    assert "Each chart&#x27;s … menu saves it as PNG or SVG" in text
    assert "did not load from cdn.jsdelivr.net" in text  # the message chartsUnavailable() writes in each view
    assert "No results." in text


def test_html_report_without_charts_loads_no_scripts():
    text = report_html(Experiment(), pd.DataFrame(), {})
    assert "<script" not in text and "Charts" not in text
    assert "<h2>Summary</h2>\n<p>No results.</p>" in text


def test_html_report_escapes_every_text_and_no_string_can_end_its_script(monkeypatch):
    info = dataclasses.replace(export.DATASETS["moons"], label=f"Moons {XSS}")
    monkeypatch.setitem(export.DATASETS, "moons", info)
    frame = pd.DataFrame({f"col {XSS}": [f"label {XSS}"], "x & y": [1.5]})
    charts = {
        f"Title {XSS}": line_spec(pd.DataFrame({"epoch": [0], "value": [1.0], "activation": [XSS]}), XSS),
        "Field names": {"$schema": alt.SCHEMA_URL, "mark": "bar", "title": {"text": XSS, "subtitle": "a & b > c"},
                        "data": {"values": [{XSS: 1, "b": "<img src=x onerror=alert(1)>"}]},
                        "encoding": {"x": {"field": XSS, "type": "quantitative"}},
                        "description": "\u2028line separators\u2029 and <!-- comments -->"},
    }
    text = report_html(Experiment(), frame, charts)
    page = Page(text)
    # Only the page's own elements: 2 JSON specs, the fallback, 3 libraries and the drawing script.
    assert [attrs.get("type", attrs.get("src", "")) for attrs, _ in page.scripts] == [
        "application/json", "application/json", "", *page.sources(), ""]
    assert len(page.sources()) == 3
    assert sum(1 for tag, _ in page.tags if tag in ("script", "img")) == 7
    # The specs read back exactly, crafted strings included, and hold no raw "<", ">" or "&".
    assert page.specs() == list(charts.values())
    for attrs, data in page.scripts:
        if attrs.get("type") == "application/json":
            assert not set("<>&\u2028\u2029") & set(data)
    assert page.headings == list(charts)
    # Text outside scripts is HTML-escaped: no crafted tag survives anywhere in the page.
    assert XSS not in text and "<script>alert" not in text and "<img" not in text and "<!--" not in text
    assert f"<title>ReLU Lab report: Moons {html.escape(XSS)}</title>" in text
    assert f"<h1>ReLU Lab report: Moons {html.escape(XSS)}</h1>" in text
    assert f"<th>col {html.escape(XSS)}</th><th>x &amp; y</th>" in text
    assert f"<td>label {html.escape(XSS)}</td>" in text
    assert f"<h3>Title {html.escape(XSS)}</h3>" in text


@pytest.mark.parametrize("charts, message", [
    ([], "charts must be a dict"),
    (None, "charts must be a dict"),
    ({"Loss": "not a spec"}, "must be a Vega-Lite spec as a dict"),
    ({"Loss": [{"mark": "line"}]}, "must be a Vega-Lite spec as a dict"),
    ({"Loss": alt.Chart(pd.DataFrame({"a": [1]})).mark_point()}, r"as a dict \(e.g. chart.to_dict\(\)\)"),
    ({3: {"mark": "line"}}, "Chart titles must be non-empty text"),
    ({" ": {"mark": "line"}}, "Chart titles must be non-empty text"),
    ({"Loss": {"mark": "line", "data": {"values": [{"a": float("nan")}]}}}, "not plain JSON"),
    ({"Loss": {"mark": "line", "data": {"values": [{"a": np.arange(2)}]}}}, "not plain JSON"),
    ({"Loss": {"$schema": "https://vega.github.io/schema/vega/v6.json"}}, "is not a Vega-Lite spec"),
    ({"A": {"$schema": alt.SCHEMA_URL}, "B": {"$schema": "https://vega.github.io/schema/vega-lite/v5.20.1.json"}},
     "mix Vega-Lite versions"),
    ({"Loss": {"mark": "line"}}, "Give vegalite_version"),
])
def test_html_report_refuses_what_is_not_a_dict_of_spec_dicts(charts, message):
    with pytest.raises(ValueError, match=message):
        report_html(Experiment(), pd.DataFrame(), charts)


def test_html_report_refuses_a_bad_experiment_summary_or_version():
    spec = {"$schema": alt.SCHEMA_URL, "mark": "line"}
    with pytest.raises(ValueError, match="Expected an Experiment"):
        report_html(Experiment().to_dict(), pd.DataFrame(), {"Loss": spec})
    with pytest.raises(ValueError, match="Expected the summary as a DataFrame"):
        report_html(Experiment(), [["ReLU", 0.9]], {"Loss": spec})
    with pytest.raises(ValueError, match="vegalite_version is 5.20.1"):
        report_html(Experiment(), None, {"Loss": spec}, vegalite_version="5.20.1")
    for name in ("vega_version", "vegaembed_version", "vegalite_version"):
        with pytest.raises(ValueError, match=name):
            report_html(Experiment(), None, {"Loss": spec}, **{name: '6"><script>alert(1)</script>'})
    # A spec without $schema is drawn with the Vega-Lite version given.
    text = report_html(Experiment(), None, {"Loss": {"mark": "line"}}, vegalite_version="6.4.1")
    assert "https://cdn.jsdelivr.net/npm/vega-lite@6.4.1" in text


def test_html_report_is_deterministic_and_date_free(run_summary, html_charts):
    first = report_html(Experiment(), run_summary, html_charts)
    reordered = {title: dict(reversed(spec.items())) for title, spec in html_charts.items()}
    assert first == report_html(Experiment(), run_summary.copy(), reordered)
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", first)
