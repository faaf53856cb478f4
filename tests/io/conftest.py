"""Shared fixtures of the io tests: small datasets and a trained history."""

from __future__ import annotations

import pytest

from core.engine.data import load_dataset
from core.engine.training import TrainConfig, train_many
from core.io.history import records_to_frame

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


@pytest.fixture(scope="module")
def history(moons):
    """Stable and diverging runs: NaN values and True flags are part of what must round-trip."""
    configs = [TrainConfig(activation=a, hidden_layers=(5, 4), epochs=EPOCHS, batch_size=16, learning_rate=lr, seed=s)
               for a, lr in (("relu", 0.1), ("tanh", 0.1), ("linear", 50.0)) for s in (0, 1)]
    return records_to_frame(flat(moons, configs))
