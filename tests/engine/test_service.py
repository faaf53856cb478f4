"""The training service: fair turns by slice, dropped runs, one live run per owner, and the records of train_many
whoever trains them (this interpreter, worker processes, a Dask cluster).

No test here depends on timing: the scheduling tests hold every slice at a gate the test opens one at a time,
leases run out on a clock the test moves, and waits for background work poll with pytest-timeout against hangs.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import types
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from core.engine import slices
from core.engine.live import LiveRun
from core.engine.service import (
    FIRST_SLICE_MARGIN,
    INLINE_SECONDS,
    InProcessSlices,
    ProcessSlices,
    RoundRobin,
    TrainingService,
)
from core.engine.training import train_many
from core.io.history import records_to_frame
from core.settings import Experiment

pytestmark = pytest.mark.timeout(300)

EXPERIMENT = Experiment(epochs=30, n_samples=100, activations=("relu", "tanh"), seeds=2, hidden_layers=(8, 8))
LONG = Experiment(epochs=5000, n_samples=60, activations=("relu",), hidden_layers=(4,))


@pytest.fixture(scope="module")
def dataset():
    return EXPERIMENT.load_data()


def until(condition, poll: float = 0.005) -> None:
    """Wait for background work (pytest-timeout ends a hang)."""
    while not condition():
        time.sleep(poll)


def without_seconds(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(value=frame["value"].where(frame["metric"] != "epoch_seconds", 0.0))


def reference(ds, experiment: Experiment, epochs: int | None = None) -> pd.DataFrame:
    configs = experiment.configs() if epochs is None else experiment.replace(epochs=epochs).configs()
    return without_seconds(records_to_frame([r for records in train_many(ds, configs) for r in records]))


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class GatedSlices(InProcessSlices):
    """The in-process executor on ``workers`` threads, but each slice waits at a gate until the test lets one
    through; ``inline=False`` sends synchronous requests through the line too, as the process pool does."""

    def __init__(self, workers: int = 1, inline: bool = True):
        super().__init__()
        self._pool = ThreadPoolExecutor(workers)
        self.workers, self.inline = workers, inline
        self.gate = threading.Semaphore(0)

    def submit(self, digest, data, configs, state, epochs, observe=None):
        def held():
            self.gate.acquire()
            return slices.train_slice(data, configs, state, epochs, observe)

        return self._pool.submit(held)

    def close(self):
        self.gate.release(1000)
        super().close()


@pytest.fixture
def gated():
    clock = Clock()
    service = TrainingService(GatedSlices(), clock=clock)
    yield service, clock
    service.close()


def dispatch_order(*runs: LiveRun) -> str:
    """The runs' slices in the order they were handed to a worker, as letters (A = the first run given)."""
    numbered = sorted((number, "ABCDEFGH"[i]) for i, run in enumerate(runs) for number in run._job.slice_log)
    return "".join(letter for _, letter in numbered)


def settled(service: TrainingService) -> bool:
    """The scheduler has caught up: every worker has a slice, or nothing waits."""
    counts = service.counts()
    return counts["running"] == counts["workers"] or not (counts["waiting"] or counts["urgent"])


def release(service: TrainingService, slices_: int = 1) -> None:
    """Let ``slices_`` slices through the gate, one at a time, each returned and the next handed out."""
    for _ in range(slices_):
        until(lambda: settled(service) and service.counts()["running"] > 0)
        before = service.counts()["dispatched"]
        service.executor.gate.release()
        until(lambda before=before: service.counts()["dispatched"] > before or not service.counts()["running"])
        until(lambda: settled(service))


# -- the order of turns --------------------------------------------------------------------------------------


def test_round_robin_serves_urgent_requests_first_then_each_ready_run_in_turn():
    jobs = {name: types.SimpleNamespace(name=name) for name in "ABC"}
    line = RoundRobin()
    for job in jobs.values():
        line.add(job)
    step = types.SimpleNamespace(name="step")
    line.add_urgent(step)
    assert (line.ahead_of(jobs["A"]), line.ahead_of(jobs["C"]), line.ahead_of(step)) == (1, 3, None)
    served = []
    for _ in range(7):
        urgent, job, left = line.next(lambda j: j.name != "B" or len(served) < 3)  # B stops playing after a while
        served.append((urgent or job).name)
        if job is not None:
            line.add(job)  # its slice came back: the back of the line
    assert served == ["step", "A", "B", "C", "A", "C", "A"]  # B left the line when it was no longer eligible
    assert line.ahead_of(jobs["B"]) is None


def test_playing_runs_take_turns_slice_by_slice(gated, dataset):
    service, _ = gated
    runs = [LiveRun(LONG, dataset=dataset, service=service) for _ in range(3)]
    for run in runs:
        run.play(lease=3600)
    release(service, 9)
    assert dispatch_order(*runs) == "ABCABCABCA"  # the tenth is at the gate
    assert all(run.epoch > 0 for run in runs)  # every counter moves
    runs[1].pause()
    release(service, 4)
    assert dispatch_order(*runs) == "ABCABCABCA" + "CACA"  # B left the line; A and C go on in turn


def test_a_run_whose_viewer_left_is_dropped(gated, dataset):
    service, clock = gated
    left, stays = (LiveRun(LONG, dataset=dataset, service=service) for _ in range(2))
    left.play(lease=2)
    stays.play(lease=2)
    release(service, 2)  # left's and stays' first slices
    assert dispatch_order(left, stays) == "ABA"
    clock.now = 1.5
    stays.play(lease=2)  # its viewer is still there: the lease runs to 3.5
    clock.now = 2.5  # left's viewer has not asked for 2 s
    assert not left.playing and stays.playing
    release(service, 3)
    assert dispatch_order(left, stays) == "ABABBB"  # the slice in flight came back; then only stays
    epoch = left.epoch
    assert epoch > 0 and not left._job.queued and not left._job.active
    release(service, 2)
    assert left.epoch == epoch
    left.play(lease=2)  # the viewer is back
    assert left.playing
    release(service, 2)
    assert dispatch_order(left, stays) == "ABABBBBB" + "AB"


def test_pause_waits_for_the_slice_in_flight_and_keeps_it(gated, dataset):
    service, _ = gated
    run = LiveRun(LONG, dataset=dataset, service=service)
    run.play()
    until(lambda: service.counts()["running"] == 1)
    pausing = threading.Thread(target=run.pause)
    pausing.start()
    until(lambda: not run._job.active)  # out of turn at once ...
    assert pausing.is_alive() and run.epoch == 0  # ... but Pause returns once the slice at the gate is back
    service.executor.gate.release()
    pausing.join()
    paused = run.epoch
    assert paused > 0 and not run.playing
    assert service.counts() | {"slice_seconds": 0} == {"workers": 1, "running": 0, "waiting": 0, "urgent": 0,
                                                        "dispatched": 1, "slice_seconds": 0}
    assert sorted(run.history()["epoch"].unique()) == list(range(paused + 1))
    run.play()  # resumes where it stopped
    release(service)
    assert run.epoch > paused


def test_one_live_run_per_owner(gated, dataset):
    service, _ = gated
    first = LiveRun(LONG, dataset=dataset, service=service, owner=("session-a", "arena.run"))
    other = LiveRun(LONG, dataset=dataset, service=service, owner=("session-b", "arena.run"))
    neurons = LiveRun(LONG, dataset=dataset, service=service, owner=("session-a", "neurons.run"))
    for run in (first, other, neurons):
        run.play()
    assert first.playing and other.playing and neurons.playing
    second = LiveRun(LONG, dataset=dataset, service=service, owner=("session-a", "arena.run"))
    second.play()
    assert second.playing and not first.playing  # the page's new run replaced its old one
    assert other.playing and neurons.playing  # another session's, and another page's, play on
    first.play()  # and back: the old one takes over again
    assert first.playing and not second.playing


def test_a_step_goes_before_the_playing_runs(dataset):
    service = TrainingService(GatedSlices(), inline_seconds=0)  # however small, a Step goes to a worker
    try:
        playing = [LiveRun(LONG, dataset=dataset, service=service) for _ in range(2)]
        stepped = LiveRun(LONG, dataset=dataset, service=service)
        service.executor.inline = False  # from now on a Step waits in line, as with worker processes
        for run in playing:
            run.play(lease=3600)
        until(lambda: service.counts()["running"] == 1)
        step = threading.Thread(target=stepped.step)
        step.start()
        until(lambda: service.counts()["urgent"] == 1)
        release(service, 3)
        step.join()
        assert stepped.epoch == 1
        order = dispatch_order(*playing, stepped)
        assert order.index("C") == 1  # right after the slice that was in flight
    finally:
        service.close()


def test_a_waiting_run_knows_its_place(gated, dataset):
    service, _ = gated
    runs = [LiveRun(LONG, dataset=dataset, service=service) for _ in range(3)]
    assert runs[0].place() is None  # not playing
    for run in runs:
        run.play(lease=3600)
    until(lambda: service.counts()["running"] == 1)
    assert runs[0].place() is None  # training now
    second, third = runs[1].place(), runs[2].place()
    assert (second.ahead, third.ahead) == (0, 1)
    assert 0 < second.next_in < third.next_in and third.finish_in > third.next_in
    assert (third.workers, third.playing) == (1, 3)
    release(service)
    assert runs[0].place().ahead == 1 and runs[1].place() is None


def test_extend_continues_the_run_for_more_epochs(dataset):
    run = LiveRun(EXPERIMENT, dataset=dataset)
    run.advance(seconds=600)
    assert run.done and run.epochs == 30
    run.extend(12)
    assert not run.done and run.epochs == 42 and run.epoch == 30
    run.play()
    run.wait(600)
    assert run.done and run.epoch == 42
    pd.testing.assert_frame_equal(without_seconds(run.history()), reference(dataset, EXPERIMENT, epochs=42),
                                  check_exact=True)
    with pytest.raises(ValueError, match="at most"):
        run.extend(10_000)


# -- through worker processes --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pool():
    service = TrainingService(ProcessSlices(2))
    assert service.executor.wait_ready(120), service.executor.start_error
    yield service
    service.close()


def test_the_pool_runs_in_other_processes(pool):
    pids = pool.executor.pids
    assert len(pids) == 2 and os.getpid() not in pids
    for pid in pids:
        os.kill(pid, 0)  # alive


def test_played_through_the_pool_the_records_are_train_manys(pool, dataset):
    runs = [LiveRun(EXPERIMENT.replace(first_seed=seed), dataset=dataset, service=pool) for seed in range(3)]
    for run in runs:
        run.play(lease=600)
    for run in runs:
        run.wait(600)
        assert run.done and run.error is None
    for seed, run in enumerate(runs):
        expected = reference(dataset, EXPERIMENT.replace(first_seed=seed))
        pd.testing.assert_frame_equal(without_seconds(run.history()), expected, check_exact=True)
        direct = train_many(dataset, run.configs)
        for _ in direct:
            pass
        for i in range(len(run.configs)):
            np.testing.assert_array_equal(run.model(i).forward(dataset.X_test), direct.model(i).forward(dataset.X_test))
    assert pool.counts()["dispatched"] >= 3


def test_step_advance_pause_and_extend_through_the_pool(pool, dataset):
    run = LiveRun(EXPERIMENT, dataset=dataset, service=pool)
    assert run.step() == 1 and run.epoch == 1
    assert run.advance(max_epochs=4) == 4 and run.epoch == 5
    run.play(lease=600)
    until(lambda: run.epoch > 5)
    run.pause()
    paused = run.epoch
    until(lambda: pool.counts()["running"] == 0)
    assert run.epoch == paused and not run.playing
    run.advance(seconds=600)
    run.extend(7)
    run.play(lease=600)
    run.wait(600)
    assert run.epoch == 37
    pd.testing.assert_frame_equal(without_seconds(run.history()), reference(dataset, EXPERIMENT, epochs=37),
                                  check_exact=True)


def test_observers_measure_in_the_workers_what_they_measure_here(pool):
    # The Linear Regions page's counts and the saturation lab's statistics are taken where the epochs are
    # trained: through worker processes they equal those of the in-process service, epoch for epoch.
    from core.lab.linear_regions import RegionRun
    from core.lab.saturation import SaturationExperiment, SaturationRun

    regions = Experiment(epochs=12, n_samples=100, activations=("relu", "maxout", "tanh"), hidden_layers=(6, 5))
    saturation = SaturationExperiment(depth=2, width=8, epochs=3, n_samples=200)
    for kind, experiment, read in [(RegionRun, regions, RegionRun.region_counts),
                                   (SaturationRun, saturation, SaturationRun.statistics)]:
        here, there = kind(experiment), kind(experiment, service=pool)
        here.advance(max_epochs=experiment.epochs)
        there.play(lease=600)
        there.wait(600)
        assert there.done and there.error is None, there.error
        pd.testing.assert_frame_equal(read(there), read(here), check_exact=True)
        assert read(there)["epoch"].max() == experiment.epochs


def test_small_synchronous_work_runs_here_the_rest_in_a_worker(pool, dataset):
    run = LiveRun(EXPERIMENT, dataset=dataset, service=pool)
    dispatched = pool.counts()["dispatched"]
    assert pool.inline_seconds > 0
    try:
        pool.inline_seconds = float("inf")  # every Step is "small": computed in the caller's thread
        assert run.step() == 1 and pool.counts()["dispatched"] == dispatched
        pool.inline_seconds = 0.0  # none is: a worker trains it
        assert run.advance(max_epochs=3) == 3 and pool.counts()["dispatched"] == dispatched + 1
    finally:
        pool.inline_seconds = INLINE_SECONDS
    pd.testing.assert_frame_equal(without_seconds(run.history()), reference(dataset, EXPERIMENT, epochs=30)
                                  .query("epoch <= 4").reset_index(drop=True), check_exact=True)


def test_workers_that_die_are_replaced_and_no_record_is_lost(pool, dataset):
    pids = list(pool.executor.pids)
    for pid in pids:  # every worker: whatever is sent to this pool now fails, and is sent again to a new one
        os.kill(pid, signal.SIGKILL)
    run = LiveRun(EXPERIMENT, dataset=dataset, service=pool)
    run.play(lease=600)
    run.wait(600)
    assert run.done and run.error is None
    pd.testing.assert_frame_equal(without_seconds(run.history()), reference(dataset, EXPERIMENT), check_exact=True)
    assert pool.executor.wait_ready(120)
    assert not set(pool.executor.pids) & set(pids)  # a new pool, new workers


# -- through a Dask cluster ------------------------------------------------------------------------------------


def test_played_on_a_dask_cluster_the_records_are_the_in_process_ones(dataset):
    from dask.distributed import Client, LocalCluster

    from core.engine.service import DaskSlices

    local = LiveRun(EXPERIMENT, dataset=dataset)
    local.advance(seconds=600)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        service = TrainingService(DaskSlices(client=client))
        try:
            assert service.executor.workers == 2
            runs = [LiveRun(EXPERIMENT, dataset=dataset, service=service) for _ in range(2)]
            for run in runs:
                run.play(lease=600)
            for run in runs:
                run.wait(600)
            runs[0].step()  # done: nothing more
            stepped = LiveRun(EXPERIMENT, dataset=dataset, service=service)
            assert stepped.advance(max_epochs=3) == 3
        finally:
            service.close()
    for run in runs:
        assert run.done and run.error is None
        pd.testing.assert_frame_equal(without_seconds(run.history()), without_seconds(local.history()),
                                      check_exact=True)
    pd.testing.assert_frame_equal(without_seconds(stepped.history()),
                                  without_seconds(local.history()[local.history()["epoch"] <= 3]),
                                  check_exact=True)


def test_the_default_worker_count_follows_the_setting_the_cores_and_the_cpu_quota(monkeypatch, tmp_path):
    from core.engine import service as module

    monkeypatch.setenv(module.ENV_WORKERS, "3")
    assert module.default_workers() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(module.ENV_WORKERS, bad)
        with pytest.raises(ValueError, match="RELU_LAB_WORKERS"):
            module.default_workers()
    monkeypatch.delenv(module.ENV_WORKERS)
    limit = tmp_path / "cpu.max"
    limit.write_text("150000 100000\n")  # 1.5 cores
    assert module.cpu_quota(str(limit)) == 1.5
    limit.write_text("max 100000\n")
    assert module.cpu_quota(str(limit)) is None
    assert module.cpu_quota(str(tmp_path / "none")) is None
    monkeypatch.setattr(module, "cpu_quota", lambda: 0.078)  # a hosted tier's floor: still one worker
    assert module.default_workers() == 1
    monkeypatch.setattr(module, "cpu_quota", lambda: None)
    assert module.default_workers() == len(os.sched_getaffinity(0))


def test_a_runs_time_per_epoch_is_the_estimate_with_its_margin_until_a_slice_measures_it(dataset):
    service = TrainingService(InProcessSlices())
    try:
        job = service.open(dataset, EXPERIMENT.configs())  # epoch 0 only: nothing trained, nothing measured
        assert job.epoch_seconds is None
        assert service.epoch_seconds(job) == FIRST_SLICE_MARGIN * job.first_epoch_seconds > 0
        service.run(job, 2)
        assert job.epoch_seconds is not None and service.epoch_seconds(job) == job.epoch_seconds > 0
    finally:
        service.close()
