"""Cost measurements (core.lab.speed): frame shapes, ReLU as the reference, positive times. Tiny sizes only:
the numbers themselves depend on the machine and its load, so no test asserts a speed."""

import numpy as np
import pytest

from core.engine.data import load_dataset
from core.lab.speed import machine_info, network_epoch_costs, repeats_for, sweep_sizes


def test_sweep_sizes_frame_and_reference():
    calls = []
    frame = sweep_sizes(["relu", "sigmoid"], sizes=(1_000, 2_000), dtypes=(np.float32, np.float64), repeats=1,
                        progress=lambda done, total: calls.append((done, total)))
    assert list(frame.columns) == ["activation", "label", "size", "dtype", "pass", "seconds", "relative_to_relu"]
    assert len(frame) == 2 * 2 * 2 * 2
    assert set(frame["dtype"]) == {"float32", "float64"}
    assert set(frame["pass"]) == {"forward", "backward"}
    assert set(frame["size"]) == {1_000, 2_000}
    assert (frame["seconds"] > 0).all()
    relu = frame[frame["activation"] == "relu"]
    assert (relu["relative_to_relu"] == 1.0).all()
    assert calls[-1] == (8, 8) and [done for done, _ in calls] == list(range(1, 9))


def test_sweep_measures_relu_even_when_not_asked():
    frame = sweep_sizes(["tanh"], sizes=(500,), dtypes=(np.float32,), repeats=1)
    assert set(frame["activation"]) == {"tanh"} and set(frame["label"]) == {"Tanh"}
    assert np.isfinite(frame["relative_to_relu"]).all() and (frame["relative_to_relu"] > 0).all()


def test_small_arrays_get_more_repeats():
    assert repeats_for(1_000, 5) == 200
    assert repeats_for(10_000, 5) == 50
    assert repeats_for(1_000_000, 5) == 5
    assert repeats_for(10, 1) == 200


@pytest.fixture(scope="module")
def tiny():
    return load_dataset("moons", n_samples=100)


def test_network_epoch_costs(tiny):
    calls = []
    frame = network_epoch_costs(tiny, ["relu", "tanh", "maxout"], (8,), 16, epochs=2, repeats=2,
                                progress=lambda done, total: calls.append((done, total)))
    assert list(frame.columns) == ["activation", "label", "seconds_per_epoch", "relative_to_relu"]
    assert frame["activation"].tolist() == ["relu", "tanh", "maxout"]
    assert frame["label"].tolist() == ["ReLU", "Tanh", "Maxout"]
    assert (frame["seconds_per_epoch"] > 0).all()
    assert frame.loc[frame["activation"] == "relu", "relative_to_relu"].item() == 1.0
    assert calls[-1] == (6, 6)


def test_network_costs_without_relu_still_use_it_as_reference(tiny):
    frame = network_epoch_costs(tiny, ["sigmoid"], (4,), 32, epochs=1, repeats=1)
    assert frame["activation"].tolist() == ["sigmoid"]
    assert frame["relative_to_relu"].item() > 0


def test_machine_info():
    info = machine_info()
    assert info["cores"] >= 1
    assert info["numpy"] == np.__version__
    assert set(info) == {"cores", "numpy", "blas", "blas_version", "blas_threads"}
    if info["blas"] is not None:
        assert info["blas_threads"] >= 1
