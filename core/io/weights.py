"""A trained network's weights: ``.npz`` (arrays ``W0..Wn``, ``b0..bn`` and ``meta``) or JSON, and back.

``meta`` is a JSON object: activations per hidden layer, task, maxout_pieces, alpha, dtype, layer_sizes, the
TrainConfig the network was trained with, and (format_version 2) ``data``: the inputs' names and the scaler that
standardised them, the classes' names and a regression target's scaler (``core.io.saved_data``), or null. With it a
loaded network predicts on raw features (``SavedNetwork``). Version 1 files, which have no ``data``, still load.
A network that takes input features of 2-D points (x1², sin x1, ...: ``core.engine.features``) also has
``features``, their names in its inputs' order (files without it load as before).

Nothing is ever unpickled: ``.npz`` files are opened with
``np.load(..., allow_pickle=False)`` after the archive is inspected, so an object array (the only way a pickle can
hide in an ``.npz``) is refused; every size is capped before anything is decompressed or built.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from dataclasses import asdict, dataclass

import numpy as np

from core.engine.activations import ACTIVATIONS
from core.engine.features import check_features
from core.engine.limits import (
    MAX_ALPHA,
    MAX_CLASSES,
    MAX_DEPTH,
    MAX_FEATURES,
    MAX_HIDDEN_UNITS,
    MAX_MAXOUT_PIECES,
    MAX_META_CHARS,
    MAX_NPZ_BYTES,
    MAX_NPZ_MEMBERS,
    MAX_PARAMETERS,
    MAX_WEIGHTS_JSON_CHARS,
    MAX_WIDTH,
    MIN_MAXOUT_PIECES,
    is_number,
    is_whole,
)
from core.engine.mlp import HIDDEN_CHOICES, MAXOUT, MLP, TASKS
from core.engine.training import DTYPES, TrainConfig
from core.io.saved_data import SavedData, data_from_meta
from core.io.strict import brief, check_format, check_keys, fail, parse_json

WEIGHTS_FORMAT = "relu-lab-weights"
WEIGHTS_VERSION = 2  # version 2 added "data"
READ_VERSIONS = (1, 2)
_META_KEYS_V1 = ("format", "format_version", "activations", "task", "maxout_pieces", "alpha", "dtype", "layer_sizes",
                 "train_config")
_META_KEYS = (*_META_KEYS_V1, "data")
FEATURES_KEY = "features"  # in the meta only when the network has input features
_ALPHA_ACTIVATIONS = tuple(name for name, act in ACTIVATIONS.items() if "alpha" in act.params)


def _layer_alphas(model: MLP) -> dict[str, float]:
    """alpha per activation that has one (Leaky ReLU, ELU), as the model's layers hold it."""
    alphas: dict[str, float] = {}
    for name, layer in zip(model.activations, model.layers, strict=True):
        params = dict(getattr(getattr(layer, "activation", None), "params", {}) or {})
        if set(params) - {"alpha"}:
            fail(f"Layer {name!r} has parameters this format cannot store: {', '.join(sorted(params))}.")
        if "alpha" in params:
            if alphas.setdefault(name, float(params["alpha"])) != float(params["alpha"]):
                fail(f"The {name} layers use different alphas; the format stores one alpha.")
    return alphas


def _model_alpha(alphas: dict[str, float]) -> float | None:
    """The one alpha to rebuild these layers with: None when every layer keeps its registry default."""
    if all(value == ACTIVATIONS[name].params["alpha"] for name, value in alphas.items()):
        return None
    values = set(alphas.values())
    if len(values) > 1:
        fail(f"The layers use different alphas ({alphas}); the format stores one alpha.")
    return values.pop()


def _train_config_dict(config: TrainConfig) -> dict:
    data = asdict(config)
    data["hidden_layers"] = list(config.hidden_layers)
    if not isinstance(config.activation, str):
        data["activation"] = list(config.activation)
    if config.features is not None:
        data["features"] = list(config.features)
    return data


def _meta_keys(document) -> tuple[str, ...]:
    """The meta keys of the document's format_version (the newest for anything else: check_format then says why)."""
    return _META_KEYS_V1 if isinstance(document, dict) and document.get("format_version") == 1 and not isinstance(
        document.get("format_version"), bool) else _META_KEYS


def _model_meta(model: MLP, config: TrainConfig | None, dataset) -> dict:
    if not isinstance(model, MLP):
        fail(f"Expected an MLP, got {type(model).__name__}.")
    if config is not None and not isinstance(config, TrainConfig):
        fail(f"config must be a TrainConfig or None, got {type(config).__name__}.")
    pieces = {layer.pieces for name, layer in zip(model.activations, model.layers, strict=True) if name == MAXOUT}
    if len(pieces) > 1:
        fail("The maxout layers have different numbers of pieces; the format stores one.")
    maxout_pieces = pieces.pop() if pieces else (config.maxout_pieces if config is not None else 2)
    alphas = _layer_alphas(model)
    meta = {
        "format": WEIGHTS_FORMAT, "format_version": WEIGHTS_VERSION, "activations": list(model.activations),
        "task": model.task, "maxout_pieces": int(maxout_pieces), "alpha": _model_alpha(alphas),
        "dtype": np.dtype(model.dtype).name, "layer_sizes": [int(s) for s in model.layer_sizes],
        "train_config": None if config is None else _train_config_dict(config),
        "data": None if dataset is None else SavedData.of(dataset).to_meta(),
    }
    if model.features is not None:
        meta[FEATURES_KEY] = list(model.features)
    if config is not None:
        _check_config_matches(config, meta, alphas)
    return meta


def _check_config_matches(config: TrainConfig, meta: dict, alphas: dict[str, float]) -> None:
    """A saved TrainConfig must describe the saved network (the wrong run's config is a silent lie)."""
    if list(config.hidden_activations) != meta["activations"]:
        fail(f"The config's activations {list(config.hidden_activations)} are not the model's {meta['activations']}.")
    if list(config.hidden_layers) != meta["layer_sizes"][1:-1]:
        fail(f"The config's hidden layers {list(config.hidden_layers)} are not the model's "
              f"{meta['layer_sizes'][1:-1]}.")
    if config.dtype != meta["dtype"]:
        fail(f"The config's dtype {config.dtype} is not the model's {meta['dtype']}.")
    if config.features != (None if FEATURES_KEY not in meta else tuple(meta[FEATURES_KEY])):
        fail(f"The config's input features {config.features} are not the model's {meta.get(FEATURES_KEY)}.")
    if MAXOUT in meta["activations"] and config.maxout_pieces != meta["maxout_pieces"]:
        fail(f"The config's maxout_pieces {config.maxout_pieces} is not the model's {meta['maxout_pieces']}.")
    for name, value in alphas.items():
        expected = config.alpha if config.alpha is not None else ACTIVATIONS[name].params["alpha"]
        if float(expected) != value:
            fail(f"The config's alpha for {name} is {expected}, the model's {value}.")


def _check_meta(meta) -> list[tuple[int, int]]:
    """Validate weights metadata; returns the expected (rows, columns) of every weight matrix."""
    check_keys({k: v for k, v in meta.items() if k != FEATURES_KEY} if isinstance(meta, dict) else meta,
               _meta_keys(meta), "weights metadata")
    check_format(meta, WEIGHTS_FORMAT, "ReLU Lab weights file", READ_VERSIONS)
    activations, task, pieces, alpha = meta["activations"], meta["task"], meta["maxout_pieces"], meta["alpha"]
    if meta["dtype"] not in DTYPES:
        fail(f"dtype must be one of {', '.join(DTYPES)}, got {brief(meta['dtype'])}.")
    if task not in TASKS:
        fail(f"task must be one of {', '.join(TASKS)}, got {brief(task)}.")
    if not isinstance(activations, list) or len(activations) > MAX_DEPTH:
        fail(f"activations must be a list of at most {MAX_DEPTH} names, one per hidden layer.")
    for name in activations:
        if not isinstance(name, str) or name not in HIDDEN_CHOICES:
            fail(f"Unknown activation {brief(name)}. Valid choices: {', '.join(HIDDEN_CHOICES)}.")
    if not is_whole(pieces) or not MIN_MAXOUT_PIECES <= pieces <= MAX_MAXOUT_PIECES:
        fail(f"maxout_pieces must be a whole number from 2 to {MAX_MAXOUT_PIECES}, got {brief(pieces)}.")
    if alpha is not None:
        if not is_number(alpha) or not 0 <= alpha <= MAX_ALPHA:
            fail(f"alpha must be null or a number from 0 to {MAX_ALPHA:g}, got {brief(alpha)}.")
        if not any(name in _ALPHA_ACTIVATIONS for name in activations):
            fail(f"alpha applies to {' and '.join(_ALPHA_ACTIVATIONS)} layers only; this network has none.")
    sizes = meta["layer_sizes"]
    if not isinstance(sizes, list) or len(sizes) != len(activations) + 2 or not all(is_whole(s) for s in sizes):
        fail(f"layer_sizes must list {len(activations) + 2} whole numbers: inputs, each hidden layer, outputs.")
    if not 1 <= sizes[0] <= MAX_FEATURES:
        fail(f"The network must take 1 to {MAX_FEATURES} inputs, got {brief(sizes[0])}.")
    if FEATURES_KEY in meta:
        features = meta[FEATURES_KEY]
        if not isinstance(features, list) or len(features) != sizes[0]:
            fail(f"features must list one input feature per input of the network ({sizes[0]}).")
        check_features(features)
    if not all(1 <= s <= MAX_WIDTH for s in sizes[1:-1]):
        fail(f"Each hidden layer must have 1 to {MAX_WIDTH} units, got {brief(sizes[1:-1])}.")
    if sum(sizes[1:-1]) > MAX_HIDDEN_UNITS:
        fail(f"At most {MAX_HIDDEN_UNITS} hidden units in all, got {sum(sizes[1:-1])}.")
    low = 2 if task == "classification" else 1
    if not low <= sizes[-1] <= MAX_CLASSES:
        fail(f"A {task} network needs {low} to {MAX_CLASSES} outputs, got {brief(sizes[-1])}.")
    layer_pieces = [pieces if name == MAXOUT else 1 for name in activations] + [1]
    shapes = [(fan_in, fan_out * k) for fan_in, fan_out, k in zip(sizes[:-1], sizes[1:], layer_pieces, strict=True)]
    n_parameters = sum(rows * cols + cols for rows, cols in shapes)
    if n_parameters > MAX_PARAMETERS:
        fail(f"The network has {n_parameters:,} parameters; at most {MAX_PARAMETERS:,} are accepted.")
    config = meta["train_config"]
    if config is not None:
        _check_train_config(config, meta)
    _saved_data(meta)
    return shapes


def _saved_data(meta: dict) -> SavedData | None:
    """The meta's ``data`` (None in a version 1 file, or when saved without it), checked against its network."""
    if meta.get("data") is None:
        return None
    sizes = meta["layer_sizes"]
    return data_from_meta(meta["data"], sizes[0], sizes[-1], meta["task"])


def _train_config(data) -> TrainConfig:
    if not isinstance(data, dict):
        fail("train_config must be a JSON object or null.")
    data = dict(data)
    for key in ("hidden_layers", "activation", "features"):
        if isinstance(data.get(key), list):
            data[key] = tuple(data[key])
    try:
        return TrainConfig(**data)
    except TypeError as err:
        raise ValueError(f"Invalid train_config: {err}") from err


def _check_train_config(data, meta: dict) -> None:
    config = _train_config(data)
    if list(config.hidden_activations) != meta["activations"] or list(config.hidden_layers) != meta["layer_sizes"][
            1:-1] or config.dtype != meta["dtype"] or list(config.features or []) != meta.get(FEATURES_KEY, []):
        fail("train_config does not describe this network (activations, hidden layers, dtype or input features "
             "differ).")


def _check_array(array, shape: tuple[int, ...], dtype: np.dtype, name: str) -> np.ndarray:
    if not isinstance(array, np.ndarray):
        fail(f"{name} is not an array.")
    if array.dtype != dtype:
        fail(f"{name} has dtype {array.dtype}; the network's dtype is {dtype}.")
    if array.shape != shape:
        fail(f"{name} has shape {array.shape}, expected {shape}.")
    if not np.isfinite(array).all():
        fail(f"{name} holds NaN or infinite values.")
    return np.ascontiguousarray(array)


def _build_model(meta: dict, weights: list, biases: list) -> MLP:
    """Check every array against the metadata's shape chain, then wrap them in an MLP."""
    shapes = _check_meta(meta)
    dtype = np.dtype(meta["dtype"])
    if len(weights) != len(shapes) or len(biases) != len(shapes):
        fail(f"Expected {len(shapes)} weight matrices and bias vectors, got {len(weights)} and {len(biases)}.")
    weights = [_check_array(weights[i], shape, dtype, f"W{i}") for i, shape in enumerate(shapes)]
    biases = [_check_array(biases[i], (shape[1],), dtype, f"b{i}") for i, shape in enumerate(shapes)]
    params = {} if meta["alpha"] is None else {"alpha": float(meta["alpha"])}
    return MLP.from_parameters(weights, biases, meta["activations"], meta["task"], meta["maxout_pieces"],
                               meta.get(FEATURES_KEY), **params)


def _model_parts(model: MLP, config: TrainConfig | None, dataset=None
                 ) -> tuple[dict, list[np.ndarray], list[np.ndarray]]:
    """Meta and arrays to save, checked with the reader's own rules so every saved file loads."""
    meta = _model_meta(model, config, dataset)
    if len(json.dumps(meta, allow_nan=False)) > MAX_META_CHARS:
        fail(f"The network's description (names, scaler and settings) is longer than {MAX_META_CHARS:,} "
             "characters, more than a weights file holds.")
    weights = [np.asarray(W) for W in model.weights]
    biases = [np.asarray(b) for b in model.biases]
    _build_model(meta, weights, biases)
    return meta, weights, biases


def check_exportable(model: MLP, config: TrainConfig | None = None, dataset=None) -> None:
    """Raise the ValueError ``weights_npz`` and ``weights_json`` would raise for this model (config and dataset),
    without writing anything: a page can say why a network cannot be downloaded before it offers the button. The
    check is the writers' own (``_model_parts``), so it can never disagree with them."""
    _model_parts(model, config, dataset)


def weights_npz(model: MLP, config: TrainConfig | None = None, dataset=None) -> bytes:
    """The network as ``.npz`` bytes: ``W0..Wn``, ``b0..bn`` and ``meta`` (a JSON string, never a pickle).

    ``config`` (the run's TrainConfig, optional) is stored for provenance and must describe the model; ``dataset``
    (optional, the ``Dataset`` it was trained on) gives the ``data`` a loaded network predicts on raw features with.
    """
    meta, weights, biases = _model_parts(model, config, dataset)
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
        fail(f"The weights file holds {len(members)} arrays; at most {MAX_NPZ_MEMBERS} are accepted.")
    if not all(m.filename.endswith(".npy") for m in members):
        fail("Not a weights file (.npz): it holds files other than arrays.")
    if sum(m.file_size for m in members) > MAX_NPZ_BYTES:
        fail(f"The weights file unpacks to more than {MAX_NPZ_BYTES:,} bytes.")


def model_from_npz(data: bytes) -> MLP:
    """The MLP in ``weights_npz`` bytes. ValueError for anything else: not an npz, missing or extra arrays,
    object arrays (``allow_pickle=False`` refuses them), wrong shapes or dtypes, NaN weights, bad meta."""
    return network_from_npz(data).model


def network_from_npz(data: bytes) -> SavedNetwork:
    """The ``SavedNetwork`` in ``weights_npz`` bytes, read as strictly as ``model_from_npz``."""
    if not isinstance(data, bytes | bytearray | memoryview):
        fail(f"The weights file must be bytes, got {type(data).__name__}.")
    data = bytes(data)
    if len(data) > MAX_NPZ_BYTES:
        fail(f"The weights file is {len(data):,} bytes; at most {MAX_NPZ_BYTES:,} are accepted.")
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
        fail(f"Not a weights file (.npz): not arrays: {', '.join(not_arrays)}.")
    if "meta" not in arrays:
        fail("The weights file has no 'meta' array.")
    meta_array = arrays.pop("meta")
    if meta_array.shape != () or meta_array.dtype.kind != "U" or meta_array.dtype.itemsize > 4 * MAX_META_CHARS:
        fail("The weights file's 'meta' must be a single JSON string.")
    meta = parse_json(str(meta_array[()]), "weights metadata", MAX_META_CHARS)
    shapes = _check_meta(meta)
    expected = {f"{prefix}{i}" for prefix in "Wb" for i in range(len(shapes))}
    if set(arrays) != expected:
        missing, extra = sorted(expected - set(arrays)), sorted(set(arrays) - expected)
        fail(f"The weights file's arrays do not match its meta: missing {missing or 'none'}, "
              f"unexpected {extra or 'none'}.")
    return _saved(meta, _build_model(meta, [arrays[f"W{i}"] for i in range(len(shapes))],
                                     [arrays[f"b{i}"] for i in range(len(shapes))]))


def weights_json(model: MLP, config: TrainConfig | None = None, dataset=None) -> str:
    """The network as JSON: the ``meta`` keys of ``weights_npz`` plus ``weights`` and ``biases`` as nested lists.

    Numbers are written with ``repr``, so float64 and float32 weights read back bit for bit.
    """
    meta, weights, biases = _model_parts(model, config, dataset)
    document = {**meta, "weights": [W.tolist() for W in weights], "biases": [b.tolist() for b in biases]}
    return json.dumps(document, sort_keys=True, allow_nan=False)


def _numbers(value, shape: tuple[int, ...], dtype: np.dtype, name: str) -> np.ndarray:
    """A nested list of JSON numbers of exactly ``shape`` as an array; bools, strings and nulls refused, and whole
    numbers checked before they are converted: JSON's integers have no size limit, floats do."""
    rows = [value] if len(shape) == 1 else value
    if not isinstance(rows, list) or len(rows) != (1 if len(shape) == 1 else shape[0]):
        fail(f"{name} must be a list of {shape[0]} {'numbers' if len(shape) == 1 else 'rows'}.")
    for row in rows:
        if not isinstance(row, list) or len(row) != shape[-1]:
            fail(f"{name} must have shape {shape}.")
        if not all(type(v) is float or type(v) is int for v in row):
            fail(f"{name} must hold numbers only.")
        if not all(is_number(v) for v in row if type(v) is int):
            fail(f"{name} holds a whole number too large for a float ({sys.float_info.max:.3g} at most).")
    with np.errstate(over="ignore"):  # a number too big for float32 becomes inf, refused just below
        array = np.array(value, dtype=np.float64).astype(dtype)
    return _check_array(array, shape, dtype, name)


def model_from_json(text) -> MLP:
    """The MLP in ``weights_json`` text, checked as strictly as ``model_from_npz``."""
    return network_from_json(text).model


def network_from_json(text) -> SavedNetwork:
    """The ``SavedNetwork`` in ``weights_json`` text, checked as strictly as ``model_from_npz``."""
    document = parse_json(text, "weights JSON", MAX_WEIGHTS_JSON_CHARS)
    optional = (FEATURES_KEY,) if isinstance(document, dict) and FEATURES_KEY in document else ()
    keys = (*_meta_keys(document), *optional)
    check_keys(document, (*keys, "weights", "biases"), "weights JSON")
    meta = {key: document[key] for key in keys}
    shapes = _check_meta(meta)
    dtype = np.dtype(meta["dtype"])
    weights, biases = document["weights"], document["biases"]
    if not isinstance(weights, list) or not isinstance(biases, list) or not len(weights) == len(biases) == len(
            shapes):
        fail(f"weights and biases must be lists of {len(shapes)} arrays each.")
    weights = [_numbers(weights[i], shape, dtype, f"W{i}") for i, shape in enumerate(shapes)]
    biases = [_numbers(biases[i], (shape[1],), dtype, f"b{i}") for i, shape in enumerate(shapes)]
    return _saved(meta, _build_model(meta, weights, biases))


# --- a loaded network, with what it knows of its data --------------------------------------------------------------


@dataclass(frozen=True)
class SavedNetwork:
    """A network read from a weights file: the ``model``, its ``data`` (None for a version 1 file or one saved without
    it), the TrainConfig it was saved with (or None) and the file's ``version``."""

    model: MLP
    data: SavedData | None
    config: TrainConfig | None
    version: int

    def forward_raw(self, X) -> np.ndarray:
        """Class probabilities, or a regression's predictions in the target's own units, for raw features ``X``
        (standardised with the saved scaler first). ValueError when the file holds no scaler."""
        if self.data is None:
            fail("This weights file holds no input scaler: the network can only be given standardised features.")
        with np.errstate(all="ignore"):  # a value the scaler maps beyond float range gives NaN, not a warning
            out = self.model.forward(self.data.standardise(X))
            return out if self.model.task == "classification" else self.data.unscale_target(out)

    def predict_raw(self, X) -> np.ndarray:
        """Class labels, or predictions in the target's own units, for raw features ``X``."""
        out = self.forward_raw(X)
        return out.argmax(axis=1) if self.model.task == "classification" else out


def _saved(meta: dict, model: MLP) -> SavedNetwork:
    config = meta["train_config"]
    return SavedNetwork(model, _saved_data(meta), None if config is None else _train_config(config),
                        int(meta["format_version"]))


def network_from_file(data: bytes, filename: str) -> SavedNetwork:
    """A weights file as a page receives it: ``.npz`` (a zip) or JSON, told apart by the name's ending, or (any
    other name) by the zip's signature."""
    name = str(filename).lower()
    is_npz = name.endswith(".npz") or (not name.endswith(".json") and bytes(data[:2]) == b"PK")
    return network_from_npz(data) if is_npz else network_from_json(data)
