"""Training holds BLAS to ``BLAS_THREADS`` threads while an epoch runs, through threadpoolctl, and gives the
process its own setting back afterwards, also when trainers in several threads overlap."""

from __future__ import annotations

import threading

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from core.engine import training
from core.engine.data import load_dataset
from core.engine.training import TrainConfig, blas_threads_limited, train


def _blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", n_samples=200, noise=0.2, seed=0)


def test_blas_is_held_to_blas_threads_during_each_epoch_and_restored_after(moons, monkeypatch):
    seen = []
    original = training._Stack.train_epoch

    def spy(stack):
        seen.append(_blas_threads())
        return original(stack)

    monkeypatch.setattr(training._Stack, "train_epoch", spy)
    monkeypatch.setattr(training, "BLAS_THREADS", 1)
    with threadpool_limits(2, user_api="blas"):
        records = list(train(moons, TrainConfig(epochs=3)))
        after = _blas_threads()
    assert len(records) == 4
    assert seen == [{1}] * 3
    assert after == {2}


def test_overlapping_limits_restore_the_original_only_when_the_last_one_ends():
    with threadpool_limits(2, user_api="blas"):
        with blas_threads_limited():
            assert _blas_threads() == {training.BLAS_THREADS}
            with blas_threads_limited():
                assert _blas_threads() == {training.BLAS_THREADS}
            assert _blas_threads() == {training.BLAS_THREADS}  # the outer user still trains
        assert _blas_threads() == {2}


def test_trainers_in_several_threads_leave_the_setting_as_they_found_it(moons):
    errors = []

    def work(seed):
        try:
            list(train(moons, TrainConfig(epochs=5, seed=seed)))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    with threadpool_limits(2, user_api="blas"):
        threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert _blas_threads() == {2}
    assert not errors
