"""A live run's training as plain data and one pure function, so that any executor can train a slice of it.

A run is its **data** (``training_data``: the arrays and the task), its **configs** and its **state**
(``MultiTrainer.state``: the weights, the optimiser's state, each run's shuffling stream, which runs are alive,
the epoch and the epochs planned). All three are plain data: dicts, lists, strings, numbers and numpy arrays, so
they pickle without ``core`` (a Dask scheduler unpickles every task it schedules and need not have ``core``).

``advance(data, configs, state, epochs) -> (state, records, ...)`` trains ``epochs`` more epochs from ``state``
(from the networks at init, epoch 0's records first, when ``state`` is None) and touches nothing it was given: the
records of a run trained in slices, in any process, equal those of ``train_many`` in one go (tested).

An **observer** measures more of the networks where they are trained, at every epoch boundary: a picklable
``observe(trainer, records) -> list`` (a module-level function, or a ``functools.partial`` of one, so it travels
to a worker by reference) called after each epoch, epoch 0's included; the rows it returns come back with the
slice, in order. The Linear Regions page counts regions this way, the saturation lab takes its statistics.

``run_slice`` is the entry point a worker process runs: it keeps the last few datasets it was sent, by digest, so
that a run's data crosses to a worker once rather than with every slice.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, fields
from types import SimpleNamespace

import numpy as np

from core.engine.mlp import MLP
from core.engine.training import EpochRecord, MultiTrainer, TrainConfig, check_more_epochs

RECORD_FIELDS = tuple(f.name for f in fields(EpochRecord) if f.name != "extra")
DATA_FIELDS = ("X_train", "y_train", "X_test", "y_test")
CACHED_DATASETS = 8  # per worker process: the datasets of the last few runs it trained


def training_data(ds) -> dict:
    """What training reads of a dataset, as plain data (no ``Dataset`` class, no names)."""
    return {"task": ds.task, "n_classes": int(ds.n_classes), **{name: np.asarray(getattr(ds, name))
                                                                for name in DATA_FIELDS}}


def data_digest(data: dict) -> str:
    """A digest of the training data: equal for equal data, whoever loaded it."""
    digest = hashlib.sha256(f"{data['task']}:{data['n_classes']}".encode())
    for name in DATA_FIELDS:
        array = np.ascontiguousarray(data[name])
        digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.data)
    return digest.hexdigest()[:32]


def plain_configs(configs) -> list[dict]:
    return [asdict(cfg) for cfg in configs]


def train_configs(plain: list[dict]) -> list[TrainConfig]:
    return [TrainConfig(**cfg) for cfg in plain]


def plain_records(records: list[EpochRecord]) -> list[tuple]:
    return [tuple(getattr(record, name) for name in RECORD_FIELDS) for record in records]


def epoch_records(rows: list[tuple]) -> list[EpochRecord]:
    return [EpochRecord(*row) for row in rows]


def advance(data: dict, configs: list[dict], state: dict | None, epochs: int,
            observe: Callable | None = None) -> tuple[dict, list[tuple], float, list]:
    """Train ``epochs`` epochs from ``state`` (None: start from the networks at init and record epoch 0 first).

    Returns the new state, the records (plain tuples in ``RECORD_FIELDS`` order, epoch by epoch, each epoch in
    config order), the seconds spent training (the observer's time included) and the observer's rows. Stops early
    when every run is done. Pure: ``state`` is read, never changed."""
    started = time.perf_counter()
    ds = SimpleNamespace(**data)
    cfgs = train_configs(configs)
    if state is None:
        trainer, remaining = MultiTrainer(ds, cfgs), epochs + 1  # + 1: the measurement at init
    else:
        trainer, remaining = MultiTrainer.from_state(ds, cfgs, state), epochs
    records: list[EpochRecord] = []
    observed: list = []
    while remaining > 0 and not trainer.done:
        try:
            epoch = next(trainer)
        except StopIteration:
            break
        records += epoch
        if observe is not None and epoch:
            observed += observe(trainer, epoch)
        remaining -= 1
    return trainer.state(), plain_records(records), time.perf_counter() - started, observed


def extend(state: dict, epochs: int) -> dict:
    """``state`` with ``epochs`` more epochs planned for every stack (``MultiTrainer.extend``)."""
    epochs = check_more_epochs(planned_epochs(state), epochs)
    return {**state, "stacks": [{**stack, "phases": [*stack["phases"], epochs]} for stack in state["stacks"]]}


def epoch_of(state: dict) -> int:
    return max(stack["epoch"] for stack in state["stacks"])


def planned_epochs(state: dict) -> int:
    return max(sum(stack["phases"]) for stack in state["stacks"])


def is_done(state: dict) -> bool:
    """``MultiTrainer.done`` of the trainer this state came from."""
    return state["started"] and all(s["epoch"] >= sum(s["phases"]) or not np.any(s["alive"]) for s in state["stacks"])


def model(state: dict, configs: list[TrainConfig], task: str, run: int) -> MLP:
    """A copy of one run's network in ``state`` (the weights of ``MultiTrainer.model(run)`` at that epoch)."""
    for stack in state["stacks"]:
        if run in stack["runs"]:
            row = np.array(stack["values"][stack["runs"].index(run)])  # a copy: the network owns its arrays
            break
    else:
        raise ValueError(f"No run {run} in this state.")
    arrays, start = [], 0
    for shape in stack["shapes"]:
        size = int(np.prod(shape))
        arrays.append(row[start:start + size].reshape(shape))
        start += size
    n = len(arrays) // 2
    weights, biases = arrays[:n], [b[0] for b in arrays[n:]]
    cfg = configs[run]
    return MLP.from_parameters(weights, biases, list(cfg.hidden_activations), task, cfg.maxout_pieces, cfg.features,
                               **cfg.activation_params())


_datasets: OrderedDict[str, dict] = OrderedDict()  # a worker's datasets by digest (see run_slice)


def run_slice(digest: str, data: dict | None, configs: list[dict], state: dict | None, epochs: int,
              observe: Callable | None = None) -> dict:
    """A worker's entry point: ``advance`` on the data of ``digest``, from ``data`` when it is given (and kept for
    the next slices), else from the worker's own copy. Returns ``{"missing": digest}`` when the worker has no copy
    (it never saw this data, or forgot it): the caller then sends the slice again with its data."""
    if data is not None:
        _datasets[digest] = data
    elif digest not in _datasets:
        return {"missing": digest}
    _datasets.move_to_end(digest)
    while len(_datasets) > CACHED_DATASETS:
        _datasets.popitem(last=False)
    return train_slice(_datasets[digest], configs, state, epochs, observe)


def train_slice(data: dict, configs: list[dict], state: dict | None, epochs: int,
                observe: Callable | None = None) -> dict:
    """``advance`` with its results as one dict: the state, the records, the seconds and the observer's rows."""
    state, records, seconds, observed = advance(data, configs, state, epochs, observe)
    return {"state": state, "records": records, "seconds": seconds, "observed": observed}
