"""Cost measurements (core.lab.speed): frame shapes, ReLU as the reference, positive times. Tiny sizes only:
the numbers themselves depend on the machine and its load, so no test asserts a speed."""

import numpy as np
import pytest

from core.engine.data import load_dataset
from core.lab.speed import (
    CLOSE_TO_RELU,
    clearly_below,
    machine_info,
    network_epoch_costs,
    repeats_for,
    sweep_sizes,
    verdict,
)


def spreads_hold(frame) -> bool:
    return bool(((frame["low"] <= frame["relative_to_relu"]) & (frame["relative_to_relu"] <= frame["high"])).all())


def test_sweep_sizes_frame_and_reference():
    calls = []
    frame = sweep_sizes(["relu", "sigmoid"], sizes=(1_000, 2_000), dtypes=(np.float32, np.float64), repeats=3,
                        progress=lambda done, total: calls.append((done, total)))
    assert list(frame.columns) == ["activation", "label", "size", "dtype", "pass", "seconds", "relative_to_relu",
                                   "low", "high", "repeats"]
    assert len(frame) == 2 * 2 * 2 * 2
    assert set(frame["dtype"]) == {"float32", "float64"}
    assert set(frame["pass"]) == {"forward", "backward"}
    assert set(frame["size"]) == {1_000, 2_000}
    assert (frame["seconds"] > 0).all()
    relu = frame[frame["activation"] == "relu"]
    assert (relu[["relative_to_relu", "low", "high"]] == 1.0).all().all()
    assert (frame["repeats"] == 3).all() and spreads_hold(frame)
    # one call per activation, repeat, size and dtype
    assert calls[-1] == (24, 24) and [done for done, _ in calls] == list(range(1, 25))


def test_sweep_refuses_bad_sizes_and_repeats():
    with pytest.raises(ValueError, match="repeats"):
        sweep_sizes(["relu"], sizes=(100,), repeats=0)
    with pytest.raises(ValueError, match="size"):
        sweep_sizes(["relu"], sizes=(0,), repeats=1)


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
    assert list(frame.columns) == ["activation", "label", "seconds_per_epoch", "relative_to_relu", "low", "high",
                                   "repeats"]
    assert frame["activation"].tolist() == ["relu", "tanh", "maxout"]
    assert frame["label"].tolist() == ["ReLU", "Tanh", "Maxout"]
    assert (frame["seconds_per_epoch"] > 0).all()
    assert (frame.loc[frame["activation"] == "relu", ["relative_to_relu", "low", "high"]] == 1.0).all().all()
    assert (frame["repeats"] == 2).all() and spreads_hold(frame)
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


def test_verdict_judges_the_whole_spread():
    """A ratio is called close, cheaper or costlier only when every repeat is on that side of the lines at 0.8x
    and 1.25x; a spread that crosses a line is too close to call, however its median falls."""
    assert CLOSE_TO_RELU == 1.25
    assert verdict(0.9, 1.2) == "close"
    assert verdict(0.8, 1.25) == "close"  # on the lines still counts as within
    assert verdict(1.3, 2.0) == "costlier"
    assert verdict(0.3, 0.7) == "cheaper"
    assert verdict(1.1, 1.4) == "too close to call"  # median may be below 1.25: still not called close
    assert verdict(0.7, 0.9) == "too close to call"
    assert verdict(0.5, 3.0) == "too close to call"
    assert verdict(1.0, 1.0) == "close"
    assert verdict(1.3, 1.3, close=1.5) == "close"


def test_clearly_below_needs_separate_spreads():
    assert clearly_below((1.0, 2.0), (2.5, 3.0))
    assert not clearly_below((1.0, 2.6), (2.5, 3.0))
    assert not clearly_below((2.5, 3.0), (1.0, 2.0))
