"""Exports: the history as CSV, an experiment as JSON, a trained network's weights, Markdown and HTML reports.

Everything here may later be read back from a file a user uploads or pastes, so every reader is
strict and bounded:

* nothing is ever unpickled: ``.npz`` files are opened with ``np.load(..., allow_pickle=False)``,
  so an object array (the only way a pickle can hide in an ``.npz``) is refused;
* JSON is parsed with ``json.loads`` only (never evaluated), with ``NaN``/``Infinity`` and duplicate
  keys refused;
* every size is capped *before* the expensive work (decompressing, building arrays) happens;
* anything malformed raises a ``ValueError`` that says what is wrong, never another exception.

Formats:

* history CSV: the tidy long frame of ``core.io.history`` (columns ``epoch, run, activation, seed,
  layer, metric, value, diverged``, plus any extra columns such as a sweep's ``depth, width, lr``),
  floats written with ``repr`` (the shortest text that reads back to the same float);
* experiment JSON: ``{"format": "relu-lab-experiment", "format_version": 1, "experiment": {...}}``;
* weights ``.npz``: arrays ``W0..Wn``, ``b0..bn`` and ``meta``, a 0-d unicode array holding a JSON
  object (activations per hidden layer, task, maxout_pieces, alpha, dtype, layer_sizes, the
  TrainConfig it was trained with); weights JSON: the same ``meta`` keys plus ``weights`` and
  ``biases`` as plain nested lists;
* reports (Markdown, HTML): title, settings and summary table, written for people and never read back;
  the HTML report embeds each chart as a Vega-Lite spec that vega-embed (from the jsDelivr CDN) draws.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
import zipfile
from dataclasses import asdict, dataclass, fields
from typing import NoReturn

import numpy as np
import pandas as pd

from core.engine.activations import ACTIVATIONS
from core.engine.data import DATASETS
from core.engine.limits import (
    MAX_ALPHA,
    MAX_CLASSES,
    MAX_CONFIG_CHARS,
    MAX_DEPTH,
    MAX_FEATURES,
    MAX_HIDDEN_UNITS,
    MAX_HISTORY_CSV_CHARS,
    MAX_MAXOUT_PIECES,
    MAX_META_CHARS,
    MAX_NOISE,
    MAX_NPZ_BYTES,
    MAX_NPZ_MEMBERS,
    MAX_PARAMETERS,
    MAX_SAMPLES,
    MAX_WEIGHTS_JSON_CHARS,
    MAX_WIDTH,
    MIN_MAXOUT_PIECES,
    MIN_SAMPLES,
    is_number,
    is_whole,
)
from core.engine.mlp import HIDDEN_CHOICES, MAXOUT, MLP, TASKS
from core.engine.training import DTYPES, TrainConfig
from core.io.history import COLUMNS
from core.settings import UPLOAD, Experiment

EXPERIMENT_FORMAT = "relu-lab-experiment"
WEIGHTS_FORMAT = "relu-lab-weights"
FORMAT_VERSION = 1

_META_KEYS = ("format", "format_version", "activations", "task", "maxout_pieces", "alpha", "dtype", "layer_sizes",
              "train_config")
_ALPHA_ACTIVATIONS = tuple(name for name, act in ACTIVATIONS.items() if "alpha" in act.params)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- small strict helpers -------------------------------------------------------------------------


def _fail(message: str) -> NoReturn:
    raise ValueError(message)


def _text(data, what: str, max_chars: int) -> str:
    """``data`` as text (an upload may arrive as bytes), refused beyond ``max_chars``."""
    if isinstance(data, bytes | bytearray):
        if len(data) > 4 * max_chars:
            _fail(f"The {what} is too large: at most {max_chars:,} characters.")
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValueError(f"The {what} is not UTF-8 text.") from err
    if not isinstance(data, str):
        _fail(f"The {what} must be text, got {type(data).__name__}.")
    if len(data) > max_chars:
        _fail(f"The {what} is too large: {len(data):,} characters, at most {max_chars:,}.")
    return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows.")


def _no_duplicate_keys(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"Duplicate key {key!r}.")
        out[key] = value
    return out


def _parse_json(data, what: str, max_chars: int):
    """Strict JSON: no NaN/Infinity, no duplicate keys; any parse error becomes a ValueError naming ``what``."""
    text = _text(data, what, max_chars)
    try:
        return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as err:
        raise ValueError(f"The {what} is not valid JSON: {err.msg} (line {err.lineno}, column {err.colno}).") from err
    except ValueError as err:
        raise ValueError(f"The {what} is not valid: {err}") from err
    except RecursionError as err:
        raise ValueError(f"The {what} is nested too deeply.") from err


def _check_keys(data, required: tuple[str, ...], what: str) -> None:
    if not isinstance(data, dict):
        _fail(f"The {what} must be a JSON object.")
    unknown = set(data) - set(required)
    if unknown:
        _fail(f"Unknown key(s) in the {what}: {', '.join(sorted(unknown))}.")
    missing = [key for key in required if key not in data]
    if missing:
        _fail(f"Missing key(s) in the {what}: {', '.join(missing)}.")


def _check_format(data: dict, expected: str, what: str) -> None:
    if data["format"] != expected:
        _fail(f"Not a {what}: format is {data['format']!r}, expected {expected!r}.")
    if not is_whole(data["format_version"]) or data["format_version"] != FORMAT_VERSION:
        _fail(f"Unsupported {what} format_version {data['format_version']!r}; this version reads {FORMAT_VERSION}.")


# --- history CSV ----------------------------------------------------------------------------------

_HISTORY_DTYPES = {"epoch": "int64", "run": "int64", "activation": "object", "seed": "int64", "layer": "int64",
                   "metric": "object", "value": "float64", "diverged": "bool"}
_BOOLS = {"True": True, "False": False}


def _format_column(series: pd.Series) -> pd.Series:
    """Text for one column: floats via repr (exact round trip), bools as True/False, the rest as str."""
    if pd.api.types.is_bool_dtype(series):
        return series.map(lambda v: "True" if v else "False")
    if pd.api.types.is_float_dtype(series):
        return pd.Series([repr(float(v)) for v in series], index=series.index, dtype=object)
    return series


def history_csv(frame: pd.DataFrame) -> str:
    """The tidy history (``core.io.history.records_to_frame``) as CSV text; ``read_history_csv`` reads it back exactly.

    Columns are written in the frame's order (extra columns, e.g. a sweep's ``depth, width, lr``,
    are kept); the index is not written. Floats are written with ``repr``, the shortest text that
    parses back to the identical float (NaN as ``nan``).
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        _fail(f"Not a history frame: missing column(s) {', '.join(missing)}.")
    text = pd.DataFrame({c: _format_column(frame[c]) for c in frame.columns})
    return text.to_csv(index=False, lineterminator="\n")


def _parse_int_column(values: pd.Series, name: str) -> pd.Series:
    try:
        return pd.Series([int(v) for v in values], index=values.index, dtype="int64")
    except (ValueError, OverflowError) as err:
        raise ValueError(f"Column {name!r} must hold whole numbers: {err}") from err


def _parse_float_column(values: pd.Series, name: str) -> pd.Series:
    try:
        return pd.Series([float(v) for v in values], index=values.index, dtype="float64")
    except ValueError as err:
        raise ValueError(f"Column {name!r} must hold numbers: {err}") from err


def _parse_bool_column(values: pd.Series, name: str) -> pd.Series:
    bad = set(values) - set(_BOOLS)
    if bad:
        _fail(f"Column {name!r} must hold True or False, got {sorted(bad)[:3]}.")
    return pd.Series([_BOOLS[v] for v in values], index=values.index, dtype=bool)


def _infer_column(values: pd.Series) -> pd.Series:
    """An extra column: whole numbers -> int64, numbers -> float64, True/False -> bool, else text."""
    if len(values) and set(values) <= set(_BOOLS):
        return _parse_bool_column(values, "")
    for parse in (_parse_int_column, _parse_float_column):
        try:
            return parse(values, "")
        except ValueError:
            continue
    return values.astype(object)


def read_history_csv(text) -> pd.DataFrame:
    """A history frame from ``history_csv`` text, with the dtypes ``records_to_frame`` gives.

    ``epoch, run, seed, layer`` are int64, ``value`` float64, ``diverged`` bool, ``activation`` and
    ``metric`` object; extra columns are inferred (int, float, bool, else text). Raises ValueError
    for anything that is not such a CSV.
    """
    text = _text(text, "history CSV", MAX_HISTORY_CSV_CHARS)
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ValueError(f"The history CSV could not be read: {err}") from err
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        _fail(f"The history CSV lacks the column(s) {', '.join(missing)}.")
    out = {}
    for name in raw.columns:
        values = raw[name]
        kind = _HISTORY_DTYPES.get(name)
        if kind == "int64":
            out[name] = _parse_int_column(values, name)
        elif kind == "float64":
            out[name] = _parse_float_column(values, name)
        elif kind == "bool":
            out[name] = _parse_bool_column(values, name)
        elif kind == "object":
            out[name] = values.astype(object)
        else:
            out[name] = _infer_column(values)
    return pd.DataFrame(out, columns=list(raw.columns))


# --- experiment JSON ------------------------------------------------------------------------------


def config_json(experiment: Experiment) -> str:
    """The experiment as JSON (indent 2, sorted keys) under a format marker; ``experiment_from_json`` reads it."""
    document = {"format": EXPERIMENT_FORMAT, "format_version": FORMAT_VERSION, "experiment": experiment.to_dict()}
    return json.dumps(document, indent=2, sort_keys=True, allow_nan=False)


def _check_setting(name: str, kind: str, value):
    """Type-check one Experiment setting from JSON; returns it in the dataclass's type."""
    if kind == "str":
        if not isinstance(value, str):
            _fail(f"{name} must be text, got {value!r}.")
        return value
    if kind == "int":
        if not is_whole(value):
            _fail(f"{name} must be a whole number, got {value!r}.")
        return value
    if kind == "float":
        if not is_number(value):
            _fail(f"{name} must be a finite number, got {value!r}.")
        return float(value)
    if kind == "tuple[str, ...]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            _fail(f"{name} must be a list of names, got {value!r}.")
        return tuple(value)
    if kind == "tuple[int, ...]":
        if not isinstance(value, list) or not all(is_whole(v) for v in value):
            _fail(f"{name} must be a list of whole numbers, got {value!r}.")
        return tuple(value)
    return value  # a setting added later: Experiment validates it itself


def experiment_from_json(text) -> Experiment:
    """The Experiment in ``config_json`` text. ValueError for invalid JSON, wrong types, unknown keys or values
    out of range; settings left out take the Experiment's defaults."""
    document = _parse_json(text, "experiment config", MAX_CONFIG_CHARS)
    _check_keys(document, ("format", "format_version", "experiment"), "experiment config")
    _check_format(document, EXPERIMENT_FORMAT, "ReLU Lab experiment config")
    settings = document["experiment"]
    if not isinstance(settings, dict):
        _fail("The experiment settings must be a JSON object.")
    kinds = {f.name: f.type for f in fields(Experiment)}
    unknown = set(settings) - set(kinds)
    if unknown:
        _fail(f"Unknown experiment setting(s): {', '.join(sorted(unknown))}.")
    checked = {name: _check_setting(name, kinds[name], value) for name, value in settings.items()}
    # Ranges Experiment checks only when they matter (bundled datasets ignore n_samples and noise, only
    # Leaky ReLU / ELU use their alphas); a file is refused for them all the same.
    if "n_samples" in checked and not MIN_SAMPLES <= checked["n_samples"] <= MAX_SAMPLES:
        _fail(f"n_samples must be from {MIN_SAMPLES} to {MAX_SAMPLES:,}, got {checked['n_samples']}.")
    if "noise" in checked and not 0 <= checked["noise"] <= MAX_NOISE:
        _fail(f"noise must be from 0 to {MAX_NOISE:g}, got {checked['noise']}.")
    for name in ("leaky_alpha", "elu_alpha"):
        if name in checked and not 0 <= checked[name] <= 10:
            _fail(f"{name} must be from 0 to 10, got {checked[name]}.")
    try:
        return Experiment.from_dict(checked)
    except TypeError as err:  # a type the checks above let through; still the file's fault
        raise ValueError(f"Invalid experiment setting: {err}") from err


# --- weights --------------------------------------------------------------------------------------


def _layer_alphas(model: MLP) -> dict[str, float]:
    """alpha per activation that has one (Leaky ReLU, ELU), as the model's layers hold it."""
    alphas: dict[str, float] = {}
    for name, layer in zip(model.activations, model.layers, strict=True):
        params = dict(getattr(getattr(layer, "activation", None), "params", {}) or {})
        if set(params) - {"alpha"}:
            _fail(f"Layer {name!r} has parameters this format cannot store: {', '.join(sorted(params))}.")
        if "alpha" in params:
            if alphas.setdefault(name, float(params["alpha"])) != float(params["alpha"]):
                _fail(f"The {name} layers use different alphas; the format stores one alpha.")
    return alphas


def _model_alpha(alphas: dict[str, float]) -> float | None:
    """The one alpha to rebuild these layers with: None when every layer keeps its registry default."""
    if all(value == ACTIVATIONS[name].params["alpha"] for name, value in alphas.items()):
        return None
    values = set(alphas.values())
    if len(values) > 1:
        _fail(f"The layers use different alphas ({alphas}); the format stores one alpha.")
    return values.pop()


def _train_config_dict(config: TrainConfig) -> dict:
    data = asdict(config)
    data["hidden_layers"] = list(config.hidden_layers)
    if not isinstance(config.activation, str):
        data["activation"] = list(config.activation)
    return data


def _model_meta(model: MLP, config: TrainConfig | None) -> dict:
    if not isinstance(model, MLP):
        _fail(f"Expected an MLP, got {type(model).__name__}.")
    if config is not None and not isinstance(config, TrainConfig):
        _fail(f"config must be a TrainConfig or None, got {type(config).__name__}.")
    pieces = {layer.pieces for name, layer in zip(model.activations, model.layers, strict=True) if name == MAXOUT}
    if len(pieces) > 1:
        _fail("The maxout layers have different numbers of pieces; the format stores one.")
    maxout_pieces = pieces.pop() if pieces else (config.maxout_pieces if config is not None else 2)
    alphas = _layer_alphas(model)
    meta = {
        "format": WEIGHTS_FORMAT, "format_version": FORMAT_VERSION, "activations": list(model.activations),
        "task": model.task, "maxout_pieces": int(maxout_pieces), "alpha": _model_alpha(alphas),
        "dtype": np.dtype(model.dtype).name, "layer_sizes": [int(s) for s in model.layer_sizes],
        "train_config": None if config is None else _train_config_dict(config),
    }
    if config is not None:
        _check_config_matches(config, meta, alphas)
    return meta


def _check_config_matches(config: TrainConfig, meta: dict, alphas: dict[str, float]) -> None:
    """A saved TrainConfig must describe the saved network (the wrong run's config is a silent lie)."""
    if list(config.hidden_activations) != meta["activations"]:
        _fail(f"The config's activations {list(config.hidden_activations)} are not the model's {meta['activations']}.")
    if list(config.hidden_layers) != meta["layer_sizes"][1:-1]:
        _fail(f"The config's hidden layers {list(config.hidden_layers)} are not the model's "
              f"{meta['layer_sizes'][1:-1]}.")
    if config.dtype != meta["dtype"]:
        _fail(f"The config's dtype {config.dtype} is not the model's {meta['dtype']}.")
    if MAXOUT in meta["activations"] and config.maxout_pieces != meta["maxout_pieces"]:
        _fail(f"The config's maxout_pieces {config.maxout_pieces} is not the model's {meta['maxout_pieces']}.")
    for name, value in alphas.items():
        expected = config.alpha if config.alpha is not None else ACTIVATIONS[name].params["alpha"]
        if float(expected) != value:
            _fail(f"The config's alpha for {name} is {expected}, the model's {value}.")


def _check_meta(meta) -> list[tuple[int, int]]:
    """Validate weights metadata; returns the expected (rows, columns) of every weight matrix."""
    _check_keys(meta, _META_KEYS, "weights metadata")
    _check_format(meta, WEIGHTS_FORMAT, "ReLU Lab weights file")
    activations, task, pieces, alpha = meta["activations"], meta["task"], meta["maxout_pieces"], meta["alpha"]
    if meta["dtype"] not in DTYPES:
        _fail(f"dtype must be one of {', '.join(DTYPES)}, got {meta['dtype']!r}.")
    if task not in TASKS:
        _fail(f"task must be one of {', '.join(TASKS)}, got {task!r}.")
    if not isinstance(activations, list) or len(activations) > MAX_DEPTH:
        _fail(f"activations must be a list of at most {MAX_DEPTH} names, one per hidden layer.")
    for name in activations:
        if not isinstance(name, str) or name not in HIDDEN_CHOICES:
            _fail(f"Unknown activation {name!r}. Valid choices: {', '.join(HIDDEN_CHOICES)}.")
    if not is_whole(pieces) or not MIN_MAXOUT_PIECES <= pieces <= MAX_MAXOUT_PIECES:
        _fail(f"maxout_pieces must be a whole number from 2 to {MAX_MAXOUT_PIECES}, got {pieces!r}.")
    if alpha is not None:
        if not is_number(alpha) or not 0 <= alpha <= MAX_ALPHA:
            _fail(f"alpha must be null or a number from 0 to 10, got {alpha!r}.")
        if not any(name in _ALPHA_ACTIVATIONS for name in activations):
            _fail(f"alpha applies to {' and '.join(_ALPHA_ACTIVATIONS)} layers only; this network has none.")
    sizes = meta["layer_sizes"]
    if not isinstance(sizes, list) or len(sizes) != len(activations) + 2 or not all(is_whole(s) for s in sizes):
        _fail(f"layer_sizes must list {len(activations) + 2} whole numbers: inputs, each hidden layer, outputs.")
    if not 1 <= sizes[0] <= MAX_FEATURES:
        _fail(f"The network must take 1 to {MAX_FEATURES} inputs, got {sizes[0]}.")
    if not all(1 <= s <= MAX_WIDTH for s in sizes[1:-1]):
        _fail(f"Each hidden layer must have 1 to {MAX_WIDTH} units, got {sizes[1:-1]}.")
    if sum(sizes[1:-1]) > MAX_HIDDEN_UNITS:
        _fail(f"At most {MAX_HIDDEN_UNITS} hidden units in all, got {sum(sizes[1:-1])}.")
    low = 2 if task == "classification" else 1
    if not low <= sizes[-1] <= MAX_CLASSES:
        _fail(f"A {task} network needs {low} to {MAX_CLASSES} outputs, got {sizes[-1]}.")
    layer_pieces = [pieces if name == MAXOUT else 1 for name in activations] + [1]
    shapes = [(fan_in, fan_out * k) for fan_in, fan_out, k in zip(sizes[:-1], sizes[1:], layer_pieces, strict=True)]
    n_parameters = sum(rows * cols + cols for rows, cols in shapes)
    if n_parameters > MAX_PARAMETERS:
        _fail(f"The network has {n_parameters:,} parameters; at most {MAX_PARAMETERS:,} are accepted.")
    config = meta["train_config"]
    if config is not None:
        _check_train_config(config, meta)
    return shapes


def _check_train_config(data, meta: dict) -> None:
    if not isinstance(data, dict):
        _fail("train_config must be a JSON object or null.")
    data = dict(data)
    for key in ("hidden_layers", "activation"):
        if isinstance(data.get(key), list):
            data[key] = tuple(data[key])
    try:
        config = TrainConfig(**data)
    except TypeError as err:
        raise ValueError(f"Invalid train_config: {err}") from err
    if list(config.hidden_activations) != meta["activations"] or list(config.hidden_layers) != meta["layer_sizes"][
            1:-1] or config.dtype != meta["dtype"]:
        _fail("train_config does not describe this network (activations, hidden layers or dtype differ).")


def _check_array(array, shape: tuple[int, ...], dtype: np.dtype, name: str) -> np.ndarray:
    if not isinstance(array, np.ndarray):
        _fail(f"{name} is not an array.")
    if array.dtype != dtype:
        _fail(f"{name} has dtype {array.dtype}; the network's dtype is {dtype}.")
    if array.shape != shape:
        _fail(f"{name} has shape {array.shape}, expected {shape}.")
    if not np.isfinite(array).all():
        _fail(f"{name} holds NaN or infinite values.")
    return np.ascontiguousarray(array)


def _build_model(meta: dict, weights: list, biases: list) -> MLP:
    """Check every array against the metadata's shape chain, then wrap them in an MLP."""
    shapes = _check_meta(meta)
    dtype = np.dtype(meta["dtype"])
    if len(weights) != len(shapes) or len(biases) != len(shapes):
        _fail(f"Expected {len(shapes)} weight matrices and bias vectors, got {len(weights)} and {len(biases)}.")
    weights = [_check_array(weights[i], shape, dtype, f"W{i}") for i, shape in enumerate(shapes)]
    biases = [_check_array(biases[i], (shape[1],), dtype, f"b{i}") for i, shape in enumerate(shapes)]
    params = {} if meta["alpha"] is None else {"alpha": float(meta["alpha"])}
    return MLP.from_parameters(weights, biases, meta["activations"], meta["task"], meta["maxout_pieces"], **params)


def _model_parts(model: MLP, config: TrainConfig | None) -> tuple[dict, list[np.ndarray], list[np.ndarray]]:
    """Meta and arrays to save, checked with the reader's own rules so every saved file loads."""
    meta = _model_meta(model, config)
    weights = [np.asarray(W) for W in model.weights]
    biases = [np.asarray(b) for b in model.biases]
    _build_model(meta, weights, biases)
    return meta, weights, biases


def weights_npz(model: MLP, config: TrainConfig | None = None) -> bytes:
    """The network as ``.npz`` bytes: ``W0..Wn``, ``b0..bn`` and ``meta`` (a JSON string, never a pickle).

    ``config`` (the run's TrainConfig, optional) is stored for provenance and must describe the model.
    """
    meta, weights, biases = _model_parts(model, config)
    arrays = {f"W{i}": W for i, W in enumerate(weights)}
    arrays.update({f"b{i}": b for i, b in enumerate(biases)})
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True, allow_nan=False))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def _check_zip(data: bytes) -> None:
    """Refuse what is not a small zip of .npy members before numpy decompresses anything (zip bombs)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as err:
        raise ValueError(f"Not a weights file (.npz): {err}") from err
    if len(members) > MAX_NPZ_MEMBERS:
        _fail(f"The weights file holds {len(members)} arrays; at most {MAX_NPZ_MEMBERS} are accepted.")
    if not all(m.filename.endswith(".npy") for m in members):
        _fail("Not a weights file (.npz): it holds files other than arrays.")
    if sum(m.file_size for m in members) > MAX_NPZ_BYTES:
        _fail(f"The weights file unpacks to more than {MAX_NPZ_BYTES:,} bytes.")


def model_from_npz(data: bytes) -> MLP:
    """The MLP in ``weights_npz`` bytes. ValueError for anything else: not an npz, missing or extra arrays,
    object arrays (``allow_pickle=False`` refuses them), wrong shapes or dtypes, NaN weights, bad meta."""
    if not isinstance(data, bytes | bytearray | memoryview):
        _fail(f"The weights file must be bytes, got {type(data).__name__}.")
    data = bytes(data)
    if len(data) > MAX_NPZ_BYTES:
        _fail(f"The weights file is {len(data):,} bytes; at most {MAX_NPZ_BYTES:,} are accepted.")
    _check_zip(data)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except ValueError as err:  # e.g. "Object arrays cannot be loaded when allow_pickle=False"
        raise ValueError(f"The weights file could not be read: {err}") from err
    except Exception as err:  # any other decoding failure of a malformed upload is still the upload's fault
        raise ValueError(f"The weights file could not be read: {type(err).__name__}: {err}") from err
    # NpzFile hands back a member without the .npy magic as raw bytes instead of failing.
    not_arrays = sorted(name for name, value in arrays.items() if not isinstance(value, np.ndarray))
    if not_arrays:
        _fail(f"Not a weights file (.npz): not arrays: {', '.join(not_arrays)}.")
    if "meta" not in arrays:
        _fail("The weights file has no 'meta' array.")
    meta_array = arrays.pop("meta")
    if meta_array.shape != () or meta_array.dtype.kind != "U" or meta_array.dtype.itemsize > 4 * MAX_META_CHARS:
        _fail("The weights file's 'meta' must be a single JSON string.")
    meta = _parse_json(str(meta_array[()]), "weights metadata", MAX_META_CHARS)
    shapes = _check_meta(meta)
    expected = {f"{prefix}{i}" for prefix in "Wb" for i in range(len(shapes))}
    if set(arrays) != expected:
        missing, extra = sorted(expected - set(arrays)), sorted(set(arrays) - expected)
        _fail(f"The weights file's arrays do not match its meta: missing {missing or 'none'}, "
              f"unexpected {extra or 'none'}.")
    return _build_model(meta, [arrays[f"W{i}"] for i in range(len(shapes))],
                        [arrays[f"b{i}"] for i in range(len(shapes))])


def weights_json(model: MLP, config: TrainConfig | None = None) -> str:
    """The network as JSON: the ``meta`` keys of ``weights_npz`` plus ``weights`` and ``biases`` as nested lists.

    Numbers are written with ``repr``, so float64 and float32 weights read back bit for bit.
    """
    meta, weights, biases = _model_parts(model, config)
    document = {**meta, "weights": [W.tolist() for W in weights], "biases": [b.tolist() for b in biases]}
    return json.dumps(document, sort_keys=True, allow_nan=False)


def _numbers(value, shape: tuple[int, ...], dtype: np.dtype, name: str) -> np.ndarray:
    """A nested list of JSON numbers of exactly ``shape`` as an array; bools, strings and nulls refused."""
    rows = [value] if len(shape) == 1 else value
    if not isinstance(rows, list) or len(rows) != (1 if len(shape) == 1 else shape[0]):
        _fail(f"{name} must be a list of {shape[0]} {'numbers' if len(shape) == 1 else 'rows'}.")
    for row in rows:
        if not isinstance(row, list) or len(row) != shape[-1]:
            _fail(f"{name} must have shape {shape}.")
        if not all(type(v) is float or type(v) is int for v in row):
            _fail(f"{name} must hold numbers only.")
    with np.errstate(over="ignore"):  # a number too big for float32 becomes inf, refused just below
        array = np.array(value, dtype=np.float64).astype(dtype)
    return _check_array(array, shape, dtype, name)


def model_from_json(text) -> MLP:
    """The MLP in ``weights_json`` text, checked as strictly as ``model_from_npz``."""
    document = _parse_json(text, "weights JSON", MAX_WEIGHTS_JSON_CHARS)
    _check_keys(document, (*_META_KEYS, "weights", "biases"), "weights JSON")
    meta = {key: document[key] for key in _META_KEYS}
    shapes = _check_meta(meta)
    dtype = np.dtype(meta["dtype"])
    weights, biases = document["weights"], document["biases"]
    if not isinstance(weights, list) or not isinstance(biases, list) or not len(weights) == len(biases) == len(
            shapes):
        _fail(f"weights and biases must be lists of {len(shapes)} arrays each.")
    weights = [_numbers(weights[i], shape, dtype, f"W{i}") for i, shape in enumerate(shapes)]
    biases = [_numbers(biases[i], (shape[1],), dtype, f"b{i}") for i, shape in enumerate(shapes)]
    return _build_model(meta, weights, biases)


# --- reports: what the Markdown and HTML reports share --------------------------------------------


def _cell_text(value) -> str:
    """One table cell's text: numbers to 4 significant digits, NaN and None as a dash, lists joined."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return "—" if not math.isfinite(value) else f"{float(value):.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if value is None:
        return "—"
    return str(value)


UPLOADED_TITLE = "your own table (CSV)"  # a report's title names the data; an upload has no registry name


@dataclass(frozen=True)
class _ReportContent:
    """What every report says, as raw text and values; each format escapes it its own way."""

    title: str
    labels: str  # the activations' labels, comma-separated
    seeds: int
    settings: list[list]  # [setting, value] rows
    summary_header: list[str]
    summary_rows: list[list]  # empty: no results

    def description(self, labels: str) -> str:
        """The one-sentence description, around ``labels`` already escaped for the format."""
        return (f"{labels} trained side by side on identical data, initial draws and batches, "
                f"over {self.seeds} seed(s).")


def _report_content(experiment: Experiment, summary_frame: pd.DataFrame | None) -> _ReportContent:
    if not isinstance(experiment, Experiment):
        _fail(f"Expected an Experiment, got {type(experiment).__name__}.")
    if summary_frame is not None and not isinstance(summary_frame, pd.DataFrame):
        _fail(f"Expected the summary as a DataFrame, got {type(summary_frame).__name__}.")
    info = DATASETS.get(experiment.dataset)
    title = info.label if info is not None else UPLOADED_TITLE if experiment.dataset == UPLOAD else experiment.dataset
    labels = [experiment.config(name, experiment.first_seed).label for name in experiment.activations]
    empty = summary_frame is None or summary_frame.empty
    return _ReportContent(
        title=title, labels=", ".join(labels),
        seeds=experiment.seeds, settings=[[name, value] for name, value in experiment.to_dict().items()],
        summary_header=[] if empty else [str(c) for c in summary_frame.columns],
        summary_rows=[] if empty else summary_frame.to_numpy(dtype=object).tolist())


# --- Markdown report ------------------------------------------------------------------------------


def _cell(value) -> str:
    """One Markdown table cell: ``_cell_text`` with backslashes and pipes escaped, on one line."""
    return _cell_text(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def report_markdown(experiment: Experiment, summary_frame: pd.DataFrame,
                    chart_pngs: dict[str, bytes] | None = None) -> str:
    """A short Markdown report: title, the settings, the summary table and charts (PNG, as data URIs).

    Deterministic (no date): the same inputs give the same text. ``summary_frame`` is
    ``core.io.history.summary`` output (any DataFrame is tabulated as it is).
    """
    content = _report_content(experiment, summary_frame)
    parts = [f"# ReLU Lab report: {_cell(content.title)}", "", content.description(_cell(content.labels)), "",
             "## Settings", "", _table(["setting", "value"], content.settings), "", "## Summary", ""]
    if content.summary_rows:
        parts.append(_table(content.summary_header, content.summary_rows))
    else:
        parts.append("No results.")
    for name, png in (chart_pngs or {}).items():
        if not isinstance(png, bytes | bytearray) or not bytes(png).startswith(_PNG_SIGNATURE):
            _fail(f"Chart {name!r} is not PNG bytes.")
        alt = str(name).replace("[", "(").replace("]", ")").replace("\n", " ")
        encoded = base64.b64encode(bytes(png)).decode("ascii")
        parts += ["", f"## {alt}", "", f"![{alt}](data:image/png;base64,{encoded})"]
    return "\n".join(parts) + "\n"


# --- HTML report ----------------------------------------------------------------------------------
# One self-contained page, as Altair's ``save(format="html")`` writes it: each chart's Vega-Lite spec
# (data inlined) sits in the page as JSON and vega-embed, loaded from the jsDelivr CDN, draws it.
# No vl-convert is needed; without a connection (or without JavaScript) the page says why the charts
# are missing, and the tables still hold the numbers.

CDN_URL = "https://cdn.jsdelivr.net/npm"
# The libraries Altair 6's own HTML output loads (altair.VEGA_VERSION, VEGAEMBED_VERSION); the Vega-Lite
# version comes from the specs' "$schema" (altair.VEGALITE_VERSION). The Arena passes Altair's values in.
VEGA_VERSION = "6"
VEGAEMBED_VERSION = "7"
_VERSION = re.compile(r"\d+(\.\d+){0,2}")
_VEGALITE_SCHEMA = re.compile(r"https://vega\.github\.io/schema/vega-lite/v(\d+(?:\.\d+){0,2})\.json")
# JSON inside <script> must not be able to close the element ("</script>") or open a comment ("<!--"):
# these characters appear in JSON only inside strings, where their \u escapes mean the same.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})

_HTML_STYLE = """\
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; line-height: 1.45;
       max-width: 64rem; margin: 2rem auto; padding: 0 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.note { background: #f5f5f5; border-left: 4px solid #9e9e9e; padding: 0.5rem 1rem; }
.chart { margin: 1.5rem 0; }
.chart-view { min-height: 2rem; }
.chart-error { color: #b00020; }"""

_CHARTS_NOTE = ("The charts are drawn in your browser by Vega-Embed, which this page loads from the jsDelivr CDN "
                "(cdn.jsdelivr.net): they need an internet connection. Each chart's … menu saves it as PNG or SVG.")
_NOSCRIPT_NOTE = ("JavaScript is turned off, so the charts cannot be drawn. The tables above hold the run's numbers; "
                  "each chart's data is in this file as Vega-Lite JSON.")
_OFFLINE_NOTE = ("This chart could not be drawn: the Vega libraries did not load from cdn.jsdelivr.net. The charts "
                 "need an internet connection; the tables above hold the numbers.")
_LOADING_NOTE = "Drawing the chart… (this needs an internet connection)"

# Plain JavaScript, no user text: messages are set with textContent, specs read with JSON.parse.
_HTML_FALLBACK_SCRIPT = """\
<script>
function chartsUnavailable() {
  document.querySelectorAll(".chart-view").forEach(function (view) {
    view.textContent = %s;
    view.className = "chart-view chart-error";
  });
}
</script>"""
_HTML_DRAW_SCRIPT = """\
<script>
(function () {
  if (typeof vegaEmbed !== "function") { chartsUnavailable(); return; }
  var options = %s;
  function spec(id) { return JSON.parse(document.getElementById(id + "-spec").textContent); }
  function failed(id) {
    return function (error) {
      var view = document.getElementById(id);
      view.textContent = "This chart could not be drawn: " + error.message;
      view.className = "chart-view chart-error";
    };
  }
%s
})();
</script>"""
_EMBED_OPTIONS = {"mode": "vega-lite", "actions": {"export": True, "source": False, "compiled": False,
                                                   "editor": False}}


def _script_json(value, what: str) -> str:
    """``value`` as JSON that is safe inside a <script> element (``<``, ``>``, ``&`` as \\u escapes)."""
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ValueError(f"The {what} is not plain JSON: {err}") from err
    return text.translate(_SCRIPT_SAFE)


def _html_table(header: list[str], rows: list[list]) -> str:
    def td(value) -> str:
        number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)
        return f'<td class="number">{html.escape(_cell_text(value))}</td>' if number else \
            f"<td>{html.escape(_cell_text(value))}</td>"

    lines = ["<table>", "<thead><tr>" + "".join(f"<th>{html.escape(_cell_text(h))}</th>" for h in header)
             + "</tr></thead>", "<tbody>"]
    lines += ["<tr>" + "".join(td(v) for v in row) + "</tr>" for row in rows]
    return "\n".join([*lines, "</tbody>", "</table>"])


def _check_version(value, name: str) -> str:
    if not isinstance(value, str) or not _VERSION.fullmatch(value):
        _fail(f"{name} must be a version such as '6' or '6.4.1', got {value!r}.")
    return value


def _check_charts(charts, vegalite_version: str | None) -> tuple[list[tuple[str, str]], str | None]:
    """(title, script-safe JSON) per chart, and the Vega-Lite version to load (None: no charts)."""
    if not isinstance(charts, dict):
        _fail(f"charts must be a dict of chart title -> Vega-Lite spec (a dict), got {type(charts).__name__}.")
    if vegalite_version is not None:
        _check_version(vegalite_version, "vegalite_version")
    checked, schemas = [], set()
    for title, spec in charts.items():
        if not isinstance(title, str) or not title.strip():
            _fail(f"Chart titles must be non-empty text, got {title!r}.")
        if not isinstance(spec, dict):
            _fail(f"Chart {title!r} must be a Vega-Lite spec as a dict (e.g. chart.to_dict()), "
                  f"got {type(spec).__name__}.")
        if "$schema" in spec:
            match = _VEGALITE_SCHEMA.fullmatch(str(spec["$schema"]))
            if match is None:
                _fail(f"Chart {title!r} is not a Vega-Lite spec: $schema is {spec['$schema']!r}.")
            schemas.add(match.group(1))
        checked.append((title, _script_json(spec, f"spec of chart {title!r}")))
    if not checked:
        return [], None
    if len(schemas) > 1:
        _fail(f"The charts mix Vega-Lite versions {', '.join(sorted(schemas))}; one page loads one version.")
    if vegalite_version is None:
        if not schemas:
            _fail("Give vegalite_version: none of the specs names its Vega-Lite version in $schema.")
        vegalite_version = schemas.pop()
    elif schemas and schemas != {vegalite_version}:
        _fail(f"The specs are Vega-Lite {schemas.pop()}, but vegalite_version is {vegalite_version}.")
    return checked, vegalite_version


def report_html(experiment: Experiment, summary_frame: pd.DataFrame, charts: dict[str, dict], *,
                vegalite_version: str | None = None, vega_version: str = VEGA_VERSION,
                vegaembed_version: str = VEGAEMBED_VERSION) -> str:
    """A self-contained HTML report: the Markdown report's title, description, settings and summary, and
    the run's charts drawn by vega-embed from the jsDelivr CDN.

    ``charts`` maps a chart's title to its Vega-Lite spec as a dict (an Altair chart's ``to_dict()``,
    data inlined). Each spec is embedded as JSON with ``<``, ``>`` and ``&`` escaped, so no text in
    it can end its <script> element; every other text on the page is HTML-escaped. The libraries
    are pinned: Vega-Lite to the specs' ``$schema`` version (or ``vegalite_version``, which must
    agree with it), Vega and vega-embed to the given major versions (Altair 6's by default).
    Deterministic (no date): the same inputs give the same text. ValueError for anything that is not
    an Experiment, a DataFrame summary, or a dict of JSON-able Vega-Lite spec dicts.
    """
    content = _report_content(experiment, summary_frame)
    vega_version = _check_version(vega_version, "vega_version")
    vegaembed_version = _check_version(vegaembed_version, "vegaembed_version")
    specs, vegalite_version = _check_charts(charts, vegalite_version)
    title = html.escape(f"ReLU Lab report: {content.title}")
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{title}</title>",
             f"<style>\n{_HTML_STYLE}\n</style>", "</head>", "<body>", f"<h1>{title}</h1>",
             f"<p>{content.description(html.escape(content.labels))}</p>", "<h2>Settings</h2>",
             _html_table(["setting", "value"], content.settings), "<h2>Summary</h2>"]
    if content.summary_rows:
        parts.append(_html_table(content.summary_header, content.summary_rows))
    else:
        parts.append("<p>No results.</p>")
    if specs:
        parts += ["<h2>Charts</h2>", f'<p class="note">{html.escape(_CHARTS_NOTE)}</p>',
                  f'<noscript><p class="note chart-error">{html.escape(_NOSCRIPT_NOTE)}</p></noscript>']
        for i, (name, spec) in enumerate(specs):
            parts += ['<section class="chart">', f"<h3>{html.escape(name)}</h3>",
                      f'<div id="chart-{i}" class="chart-view">{html.escape(_LOADING_NOTE)}</div>',
                      f'<script type="application/json" id="chart-{i}-spec">{spec}</script>', "</section>"]
        parts.append(_HTML_FALLBACK_SCRIPT % _script_json(_OFFLINE_NOTE, "message"))
        for library, version in (("vega", vega_version), ("vega-lite", vegalite_version),
                                 ("vega-embed", vegaembed_version)):
            url = html.escape(f"{CDN_URL}/{library}@{version}")
            parts.append(f'<script src="{url}" onerror="chartsUnavailable()"></script>')
        calls = "\n".join(f'  vegaEmbed("#chart-{i}", spec("chart-{i}"), options).catch(failed("chart-{i}"));'
                          for i in range(len(specs)))
        parts.append(_HTML_DRAW_SCRIPT % (_script_json(_EMBED_OPTIONS, "options"), calls))
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
