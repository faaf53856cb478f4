"""Opening exported files in the Arena headless: a config applied to the settings (or refused, changing nothing), and
a weights file shown as its architecture and decision boundary (or refused with the reader's reason)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.engine.limits import MAX_CONFIG_BYTES
from core.engine.mlp import MLP
from core.io.config import config_json
from core.io.weights import weights_json, weights_npz
from core.settings import Experiment
from tests.pages.test_arena import counter, widget
from tests.support.apptest import button, charts, start


def uploader(at, key: str):
    return next(u for u in at.file_uploader if u.key == key)


def open_file(at, key: str, name: str, data: bytes):
    uploader(at, key).set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, [e.message for e in at.exception]


@pytest.fixture
def arena():
    return start("arena")


def test_an_opened_config_sets_the_arenas_settings_and_its_link(arena):
    experiment = Experiment(dataset="circles", activations=("relu", "leaky_relu"), epochs=50, hidden_layers=(8, 4),
                            learning_rate=0.1)
    open_file(arena, "arena.open_config", "mine.json", config_json(experiment).encode())
    assert widget(arena, "arena.activations").value == ["relu", "leaky_relu"]
    assert widget(arena, "arena.dataset").value == "circles"
    assert counter(arena) == "Epoch 0 / 50"
    assert arena.session_state["arena.run"].experiment == experiment
    assert arena.query_params["arena.dataset"] == "circles" and arena.query_params["arena.epochs"] == "50"
    assert [s.value for s in arena.success] == ["Applied mine.json: the settings above are the file's."]


HOSTILE_CONFIGS = {
    "not JSON": (b"{oops", "not valid JSON"),
    "not UTF-8": (b"\xff\xfe{}", "not UTF-8"),
    "a weights file": (weights_json(MLP([2, 3, 2], seed=0)).encode(), "Unknown key"),
    "a setting out of range": (json.dumps({"format": "relu-lab-experiment", "format_version": 1,
                                           "experiment": {"epochs": 10**400}}).encode(), "epochs"),
    "nested deeply": (b"[" * 100_000 + b"]" * 100_000, "experiment config"),
    "too large": (b" " * (MAX_CONFIG_BYTES + 1), f"at most {MAX_CONFIG_BYTES:,}"),
}


@pytest.mark.parametrize("data,reason", HOSTILE_CONFIGS.values(), ids=HOSTILE_CONFIGS.keys())
def test_a_bad_config_changes_nothing_and_says_why(arena, data, reason):
    button(arena, "arena.step").click().run()
    open_file(arena, "arena.open_config", "bad.json", data)
    [error] = arena.error
    assert error.value.startswith("bad.json was not applied, and the settings are as they were:")
    assert reason in error.value
    assert widget(arena, "arena.activations").value == ["relu", "sigmoid", "tanh"]
    assert counter(arena) == "Epoch 1 / 200"  # the run goes on


def test_opened_weights_show_their_architecture_and_boundary_over_raw_features(arena):
    button(arena, "arena.step").click().run()
    run = arena.session_state["arena.run"]
    model, config = run.model(0), run.configs[0]
    open_file(arena, "arena.open_weights", "relu.npz", weights_npz(model, config, run.dataset))
    texts = [m.value for m in arena.markdown]
    assert any(t.startswith("**ReLU network**: 2 → 16 → 16 → 2 units") and "Inputs: x1, x2." in t
               and f"{sum(p.size for p in model.parameters()):,} parameters" in t for t in texts)
    boundary = [c for c in charts(arena) if "Decision boundary: ReLU" in c.proto.spec and '"x1"' in c.proto.spec]
    assert len(boundary) == 1  # its axes are the raw features, x1 and x2
    assert any("through the saved scaler" in c.value for c in arena.caption)
    assert not arena.error


def test_weights_without_a_scaler_open_with_a_note(arena):
    open_file(arena, "arena.open_weights", "old.json", weights_json(MLP([2, 5, 2], activation="tanh", seed=0)).encode())
    assert any("holds no input scaler" in i.value for i in arena.info)
    assert any("input 1 (standardised)" in c.proto.spec for c in charts(arena))


def test_weights_of_a_network_with_no_surface_say_why(arena):
    open_file(arena, "arena.open_weights", "wide.npz", weights_npz(MLP([3, 4, 2], seed=0)))
    assert any("No decision boundary: A decision surface needs a classifier of exactly 2 inputs" in c.value
               for c in arena.caption)


BAD_WEIGHTS = {
    "random bytes": ("w.npz", bytes(range(256)), "Not a weights file"),
    "wrong shapes": ("w.json", weights_json(MLP([2, 3, 2], seed=0)).replace('"layer_sizes": [2, 3, 2]',
                                                                            '"layer_sizes": [2, 4, 2]').encode(),
                     "W0"),
    "a NaN weight": ("w.json", weights_json(MLP([2, 3, 2], seed=0)).replace("[[", "[[NaN, ", 1).encode(), "NaN"),
    "hostile JSON": ("w.json", b"[" * 100_000, "nested too deeply"),
    "a config": ("w.json", config_json(Experiment()).encode(), "Unknown key"),
}


@pytest.mark.parametrize("name,data,reason", BAD_WEIGHTS.values(), ids=BAD_WEIGHTS.keys())
def test_bad_weights_get_the_readers_reason(arena, name, data, reason):
    open_file(arena, "arena.open_weights", name, data)
    [error] = arena.error
    assert error.value.startswith(f"{name} cannot be opened:") and reason in error.value


def test_no_open_weights_in_presenter_mode():
    at = start("arena", {"mode": "present"})
    assert [u.key for u in at.file_uploader] == ["arena.open_config"]
    assert np.all([e.label != "Open weights" for e in at.expander])
