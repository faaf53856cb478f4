"""An experiment as JSON, and back: ``{"format": "relu-lab-experiment", "format_version": 1, "experiment": {...}}``.

The reader is strict and bounded (``core.io.strict``); a setting left out takes its default, anything else that is
not a valid experiment raises a ``ValueError``.
"""

from __future__ import annotations

import json
from dataclasses import fields

from core.engine.limits import MAX_CONFIG_CHARS, MAX_NOISE, MAX_SAMPLES, MIN_SAMPLES, is_number, is_whole
from core.io.strict import FORMAT_VERSION, check_format, check_keys, fail, parse_json
from core.settings import Experiment

EXPERIMENT_FORMAT = "relu-lab-experiment"


def config_json(experiment: Experiment) -> str:
    """The experiment as JSON (indent 2, sorted keys) under a format marker; ``experiment_from_json`` reads it."""
    document = {"format": EXPERIMENT_FORMAT, "format_version": FORMAT_VERSION, "experiment": experiment.to_dict()}
    return json.dumps(document, indent=2, sort_keys=True, allow_nan=False)


def _check_setting(name: str, kind: str, value):
    """Type-check one Experiment setting from JSON; returns it in the dataclass's type."""
    if kind == "str":
        if not isinstance(value, str):
            fail(f"{name} must be text, got {value!r}.")
        return value
    if kind == "int":
        if not is_whole(value):
            fail(f"{name} must be a whole number, got {value!r}.")
        return value
    if kind == "float":
        if not is_number(value):
            fail(f"{name} must be a finite number, got {value!r}.")
        return float(value)
    if kind == "tuple[str, ...]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            fail(f"{name} must be a list of names, got {value!r}.")
        return tuple(value)
    if kind == "tuple[int, ...]":
        if not isinstance(value, list) or not all(is_whole(v) for v in value):
            fail(f"{name} must be a list of whole numbers, got {value!r}.")
        return tuple(value)
    return value  # a setting added later: Experiment validates it itself


def experiment_from_json(text) -> Experiment:
    """The Experiment in ``config_json`` text. ValueError for invalid JSON, wrong types, unknown keys or values
    out of range; settings left out take the Experiment's defaults."""
    document = parse_json(text, "experiment config", MAX_CONFIG_CHARS)
    check_keys(document, ("format", "format_version", "experiment"), "experiment config")
    check_format(document, EXPERIMENT_FORMAT, "ReLU Lab experiment config")
    settings = document["experiment"]
    if not isinstance(settings, dict):
        fail("The experiment settings must be a JSON object.")
    kinds = {f.name: f.type for f in fields(Experiment)}
    unknown = set(settings) - set(kinds)
    if unknown:
        fail(f"Unknown experiment setting(s): {', '.join(sorted(unknown))}.")
    checked = {name: _check_setting(name, kinds[name], value) for name, value in settings.items()}
    # Ranges Experiment checks only when they matter (bundled datasets ignore n_samples and noise, only
    # Leaky ReLU / ELU use their alphas); a file is refused for them all the same.
    if "n_samples" in checked and not MIN_SAMPLES <= checked["n_samples"] <= MAX_SAMPLES:
        fail(f"n_samples must be from {MIN_SAMPLES} to {MAX_SAMPLES:,}, got {checked['n_samples']}.")
    if "noise" in checked and not 0 <= checked["noise"] <= MAX_NOISE:
        fail(f"noise must be from 0 to {MAX_NOISE:g}, got {checked['noise']}.")
    for name in ("leaky_alpha", "elu_alpha"):
        if name in checked and not 0 <= checked[name] <= 10:
            fail(f"{name} must be from 0 to 10, got {checked[name]}.")
    try:
        return Experiment.from_dict(checked)
    except TypeError as err:  # a type the checks above let through; still the file's fault
        raise ValueError(f"Invalid experiment setting: {err}") from err
