"""An experiment as JSON, and back: ``{"format": "relu-lab-experiment", "format_version": 1, "experiment": {...}}``.

The reader is strict and bounded (``core.io.strict``); the settings are checked by the one table that defines them
(``core.settings.EXPERIMENT``): a setting left out takes its default, anything else that is not a valid experiment
raises a ``ValueError`` that names the setting and says what a valid value is.
"""

from __future__ import annotations

import json

from core.engine.limits import MAX_CONFIG_CHARS
from core.io.strict import FORMAT_VERSION, check_format, check_keys, fail, parse_json
from core.settings import Experiment

EXPERIMENT_FORMAT = "relu-lab-experiment"


def config_json(experiment: Experiment) -> str:
    """The experiment as JSON (indent 2, sorted keys) under a format marker; ``experiment_from_json`` reads it."""
    document = {"format": EXPERIMENT_FORMAT, "format_version": FORMAT_VERSION, "experiment": experiment.to_dict()}
    return json.dumps(document, indent=2, sort_keys=True, allow_nan=False)


def experiment_from_json(text) -> Experiment:
    """The Experiment in ``config_json`` text. ValueError for invalid JSON, wrong types, unknown keys or values
    out of range; settings left out take the Experiment's defaults."""
    document = parse_json(text, "experiment config", MAX_CONFIG_CHARS)
    check_keys(document, ("format", "format_version", "experiment"), "experiment config")
    check_format(document, EXPERIMENT_FORMAT, "ReLU Lab experiment config")
    settings = document["experiment"]
    if not isinstance(settings, dict):
        fail("The experiment settings must be a JSON object.")
    return Experiment.from_dict(settings)
