"""core.io.config: experiment JSON round trips and strict refusal of malformed configs (always ValueError)."""

from __future__ import annotations

import json

import pytest

from core.engine import limits
from core.io.config import config_json, experiment_from_json
from core.settings import Experiment

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
