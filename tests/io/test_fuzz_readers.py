"""Every reader of user data, fed arbitrary bytes and arbitrary JSON: it returns, or raises a ValueError, and
nothing else, within a time budget.

The readers: an uploaded CSV (``read_csv_bytes``, then ``guess_task`` and ``prepare_upload`` on a column, as the
Arena does), a history CSV (``read_history_csv``), weights (``model_from_npz``, ``model_from_json``) and an
experiment (``experiment_from_json``). Each gets raw input, input built from the format's own pieces (delimiters,
quotes, line separators, decimal commas; zip members and .npy arrays; the keys of a valid document) and valid
documents with parts replaced, so that examples reach past the first check. Integers range up to 400 digits.

The budget is pytest-timeout's (``@pytest.mark.timeout``) for the whole test, not a timing assertion: examples are
small, so a reader that hangs or does more than linear work on one shows up as a timeout, not as a flaky number.
Hypothesis runs derandomised (tests/conftest.py), so every run sees the same examples.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from core.engine.data import guess_task, load_dataset
from core.engine.mlp import MLP
from core.engine.training import TrainConfig
from core.io.config import config_json, experiment_from_json
from core.io.history import records_to_frame
from core.io.history_csv import history_csv, read_history_csv
from core.io.upload import prepare_upload, read_csv_bytes
from core.io.weights import model_from_json, model_from_npz, network_from_file, weights_json, weights_npz
from core.settings import Experiment

EXAMPLES = 300  # per reader (the upload, the one with most to explore, gets twice as many)


def fuzz(max_examples: int = EXAMPLES) -> settings:
    return settings(max_examples=max_examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def read_or_refuse(read, data):
    """``read(data)``, or None when it raises ValueError; any other exception fails the example."""
    try:
        return read(data)
    except ValueError as refusal:
        assert str(refusal), f"{read.__name__} refused with an empty message"
        return None


# --- arbitrary JSON -----------------------------------------------------------------------------------------------

HUGE = 10**400
numbers = st.one_of(st.integers(), st.integers(min_value=-HUGE, max_value=HUGE), st.floats(allow_nan=False),
                    st.sampled_from([0, 1, -1, 2, 0.5, 1e308, -1e-308, 2**53 + 1, 2**64, HUGE, -HUGE]))
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12))
json_values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=5), st.dictionaries(st.text(max_size=8), children, max_size=5)), max_leaves=25)


def dumps(value) -> str:
    return json.dumps(value, allow_nan=True)  # JSON's text, as a file would carry it; infinities included


def replaced(document: dict, keys: list[str]):
    """``document`` with one of ``keys`` (or a new key) set to arbitrary JSON, or removed."""
    return st.tuples(st.sampled_from([*keys, "unknown"]), json_values, st.booleans()).map(
        lambda change: {k: v for k, v in document.items() if not (change[2] and k == change[0])}
        | ({} if change[2] else {change[0]: change[1]}))


# --- the uploaded CSV ---------------------------------------------------------------------------------------------

CSV_PIECES = [",", ";", "\t", "|", '"', '""', "\n", "\r", "\r\n", " ", "\u2028", "\u2029", "\x85", "\ufeff", "x",
              "label", "1", "-2.5", "1,5", "0,25", "1e309", "-1e12", "nan", "NA", "inf", "True", "é", "名", "\\",
              "'", "#", "=", "0x1F", "9" * 30, "a" * 300]
csv_text = st.lists(st.one_of(st.sampled_from(CSV_PIECES), st.text(max_size=4)), max_size=80).map("".join)
# A header and rows in the shape of a table, with pieces that break it here and there.
cell = st.one_of(st.sampled_from(["0", "1", "2", "-1.5", "3,25", "a", "b", "", "nan", "1e400", '"x,y"', "é"]),
                 st.sampled_from(CSV_PIECES))


@st.composite
def tables(draw) -> str:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    width = draw(st.integers(1, 5))
    names = st.sampled_from(["x", "y", "label", "x\u2028", "x\u2029", "x\x85", "\u2029", " x ", ""])
    header = draw(st.lists(st.one_of(names, st.text(max_size=5)), min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(cell, min_size=max(1, width - 1), max_size=width + 1), max_size=25))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return end.join(delimiter.join(row) for row in [header, *rows]) + end


def encodings(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    return st.one_of(text.map(lambda t: t.encode("utf-8")), text.map(lambda t: t.encode("latin-1", "replace")),
                     text.map(lambda t: t.encode("utf-16")))


def upload_as_the_arena_does(data: bytes, column: int, task: str | None) -> None:
    frame = read_or_refuse(read_csv_bytes, data)
    if frame is None:
        return
    assert frame.columns.is_unique and all(isinstance(c, str) and c == c.strip() and c for c in frame.columns)
    target = frame.columns[column % frame.shape[1]]
    assert read_or_refuse(guess_task, frame[target]) is not None  # one column: always a guess
    read_or_refuse(lambda f: prepare_upload(f, target, task), frame)


tasks = st.sampled_from([None, "classification", "regression"])


@pytest.mark.timeout(60)
@fuzz(2 * EXAMPLES)
@given(data=st.one_of(st.binary(max_size=400), encodings(csv_text), encodings(tables())), column=st.integers(0, 9),
       task=tasks)
def test_any_upload_is_read_or_refused_with_a_value_error(data, column, task):
    upload_as_the_arena_does(data, column, task)


# --- the history CSV ----------------------------------------------------------------------------------------------


def _history_text() -> str:
    from core.engine.data import load_dataset
    from core.engine.training import train_many

    dataset = load_dataset("moons", n_samples=40, seed=0)
    configs = [TrainConfig(activation=a, hidden_layers=(2,), epochs=1, batch_size=8, seed=0) for a in ("relu", "tanh")]
    frame = records_to_frame([rec for records in train_many(dataset, configs) for rec in records])
    return history_csv(frame.assign(depth=1, lr=0.1).head(30))


HISTORY = _history_text()
HISTORY_PIECES = [",", '"', "\n", "\r", "\u2028", "True", "False", "nan", "inf", "-1", "0.5", "1e400", "9" * 400,
                  "epoch", "run", "value", "diverged", "ReLU", ""]


@st.composite
def edited_history(draw) -> str:
    """The valid history with a few spans replaced by pieces of the format (or arbitrary text)."""
    text = HISTORY
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        stop = draw(st.integers(start, min(len(text), start + 20)))
        text = text[:start] + draw(st.one_of(st.sampled_from(HISTORY_PIECES), st.text(max_size=5))) + text[stop:]
    return text


@pytest.mark.timeout(60)
@fuzz()
@given(data=st.one_of(st.binary(max_size=400), csv_text, edited_history(), st.text(max_size=200)))
def test_any_history_csv_is_read_or_refused_with_a_value_error(data):
    frame = read_or_refuse(read_history_csv, data)
    if frame is not None:
        assert list(frame.columns[:8]) == HISTORY.splitlines()[0].split(",")[:8] or set(frame.columns) >= {
            "epoch", "run", "activation", "seed", "layer", "metric", "value", "diverged"}


def test_the_edited_history_starts_valid():
    assert read_history_csv(HISTORY).shape == (30, 11)  # the long format's 9 columns and a sweep's 2


# --- weights: .npz ------------------------------------------------------------------------------------------------

MODEL = MLP([2, 3, 2], activation="leaky_relu", seed=0, alpha=0.2)
VALID_NPZ = weights_npz(MODEL)
VALID_WEIGHTS = json.loads(weights_json(MODEL))
VALID_META = {key: value for key, value in VALID_WEIGHTS.items() if key not in ("weights", "biases")}
META_KEYS = sorted(VALID_META)


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)  # an object array is written as a pickle: the reader must refuse it
    return buffer.getvalue()


arrays = st.one_of(
    hnp.arrays(st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.complex128, np.uint8]),
               hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)),
    st.sampled_from([np.zeros((2, 3)), np.zeros(3), np.zeros((3, 2)), np.zeros(2), np.full((2, 3), np.nan),
                     np.array([None, 1.0], dtype=object), np.zeros(2, dtype=[("a", "f8")]), np.array("text")]),
    replaced(VALID_META, META_KEYS).map(lambda meta: np.array(dumps(meta))),
    json_values.map(lambda value: np.array(dumps(value))),
)
member_bytes = st.one_of(arrays.map(_npy), st.binary(max_size=64))
member_names = st.sampled_from(["W0.npy", "W1.npy", "b0.npy", "b1.npy", "meta.npy", "W2.npy", "x.txt", "../W0.npy"])


def _zip(members: dict[str, bytes], compress: bool) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


def _valid_members() -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(VALID_NPZ)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@st.composite
def npz_files(draw) -> bytes:
    """The valid file's members, some replaced, removed or added; or its bytes with a few flipped."""
    if draw(st.booleans()):
        data = bytearray(VALID_NPZ)
        for position in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=4)):
            data[position] ^= draw(st.integers(1, 255))
        return bytes(data)
    members = _valid_members()
    for name in draw(st.lists(member_names, max_size=3)):
        if draw(st.integers(0, 3)) == 0:
            members.pop(name, None)
        else:
            members[name] = draw(member_bytes)
    return _zip(members, draw(st.booleans()))


@pytest.mark.timeout(60)
@fuzz()
@given(data=st.one_of(st.binary(max_size=400), npz_files()))
def test_any_npz_is_read_or_refused_with_a_value_error(data):
    model = read_or_refuse(model_from_npz, data)
    if model is not None:
        assert all(np.isfinite(w).all() for w in model.weights)


# --- weights: JSON ------------------------------------------------------------------------------------------------


@st.composite
def weights_documents(draw):
    """The valid document with a key replaced, or one number (or row) of its weights or biases replaced."""
    if draw(st.booleans()):
        return draw(replaced(VALID_WEIGHTS, sorted(VALID_WEIGHTS)))
    document = json.loads(json.dumps(VALID_WEIGHTS))
    part = document[draw(st.sampled_from(["weights", "biases"]))]
    layer = part[draw(st.integers(0, len(part) - 1))]
    if isinstance(layer[0], list) and draw(st.booleans()):
        layer = layer[draw(st.integers(0, len(layer) - 1))]
    layer[draw(st.integers(0, len(layer) - 1))] = draw(st.one_of(numbers, json_values))
    return document


@pytest.mark.timeout(60)
@fuzz()
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200), json_values.map(dumps),
                      weights_documents().map(dumps)))
def test_any_weights_json_is_read_or_refused_with_a_value_error(text):
    model = read_or_refuse(model_from_json, text)
    if model is not None:
        assert all(np.isfinite(w).all() for w in model.weights)


# --- weights with their data (format 2): names and scaler -----------------------------------------------------------

_MOONS = load_dataset("moons", n_samples=40, seed=0)
VALID_WITH_DATA = json.loads(weights_json(MODEL, None, _MOONS))
DATA_KEYS = sorted(VALID_WITH_DATA["data"])


@st.composite
def data_documents(draw):
    """The valid document with data, with one of the data's keys (or one entry of a list) replaced or removed."""
    document = json.loads(json.dumps(VALID_WITH_DATA))
    if draw(st.booleans()):
        document["data"] = draw(replaced(document["data"], DATA_KEYS))
    else:
        key = draw(st.sampled_from([k for k in DATA_KEYS if isinstance(document["data"][k], list)]))
        part = document["data"][key]
        part[draw(st.integers(0, len(part) - 1))] = draw(st.one_of(numbers, json_values))
    return document


@pytest.mark.timeout(60)
@fuzz()
@given(document=data_documents(), as_npz=st.booleans(), name=st.sampled_from(["w.npz", "w.json", "w", "W.NPZ"]))
def test_any_weights_data_is_read_or_refused_with_a_value_error(document, as_npz, name):
    if as_npz:
        meta = {k: v for k, v in document.items() if k not in ("weights", "biases")}
        members = _valid_members() | {"meta.npy": _npy(np.array(dumps(meta)))}
        data = _zip(members, True)
    else:
        data = dumps(document).encode()
    network = read_or_refuse(lambda d: network_from_file(d, name), data)
    if network is not None and network.data is not None:
        assert np.isfinite(network.data.feature_mean).all() and (network.data.feature_scale > 0).all()
        assert network.forward_raw(np.zeros((3, 2))).shape == (3, 2)


def test_the_fuzzed_documents_start_valid():
    assert model_from_npz(VALID_NPZ).layer_sizes == model_from_json(json.dumps(VALID_WEIGHTS)).layer_sizes == [2, 3, 2]
    assert model_from_npz(_zip(_valid_members(), True)).layer_sizes == [2, 3, 2]
    assert experiment_from_json(json.dumps(VALID_EXPERIMENT)) == Experiment()
    assert network_from_file(json.dumps(VALID_WITH_DATA).encode(), "w.json").data.feature_names == ("x1", "x2")


# --- experiment JSON ----------------------------------------------------------------------------------------------

VALID_EXPERIMENT = json.loads(config_json(Experiment()))
SETTINGS = sorted(VALID_EXPERIMENT["experiment"])


@st.composite
def experiment_documents(draw):
    """The default experiment with one setting (or a key of the envelope) replaced by arbitrary JSON."""
    if draw(st.integers(0, 3)) == 0:
        return draw(replaced(VALID_EXPERIMENT, sorted(VALID_EXPERIMENT)))
    settings_ = draw(replaced(VALID_EXPERIMENT["experiment"], SETTINGS))
    return {**VALID_EXPERIMENT, "experiment": settings_}


@pytest.mark.timeout(60)
@fuzz()
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200), json_values.map(dumps),
                      experiment_documents().map(dumps)))
def test_any_experiment_json_is_read_or_refused_with_a_value_error(text):
    experiment = read_or_refuse(experiment_from_json, text)
    if experiment is not None:
        assert experiment_from_json(config_json(experiment)) == experiment
