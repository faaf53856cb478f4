"""The background measurements (core.engine.background) in real worker processes: the work runs in another process,
in order, its results and errors come back, and a worker that cannot start or dies leaves the caller to compute."""

from __future__ import annotations

import os
import time
from concurrent.futures import wait
from pathlib import Path

import numpy as np
import pytest

import core.engine.background as background_module
from core.engine.background import Background


def pid() -> int:
    return os.getpid()


def slow_sum(n: int) -> float:
    return float(np.arange(n, dtype=np.float64).sum())


def refuse(why: str):
    raise ValueError(why)


def die_unless_in(caller: int) -> str:
    """Kills any process but ``caller``'s: a worker that dies mid-task."""
    if os.getpid() != caller:
        os._exit(3)
    return "computed by the caller"


def test_tasks_run_in_a_worker_process_and_their_results_come_back():
    work = Background({"pid": (pid, ()), "sum": (slow_sum, (10_001,)), "again": (pid, ())})
    try:
        worker = work.result("pid")
        assert worker != os.getpid() and work.start_error is None
        assert work.result("sum") == 10_000 * 10_001 / 2  # the closed form of 0 + 1 + ... + 10000
        assert work.result("again") == worker  # one process, tasks in order
        assert work.done("pid") and work.done("sum")
        deadline = time.monotonic() + 60
        while Path(f"/proc/{worker}").exists() and b"Z" not in status(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not Path(f"/proc/{worker}").exists() or b"Z" in status(worker), "the worker outlived its tasks"
    finally:
        work.close()


def status(pid: int) -> bytes:
    """The process's state letter from /proc (Z: ended, not yet reaped), or b"Z" once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return b"Z"
    return text[text.rindex(b")") + 2:][:1]


def test_a_tasks_own_error_reaches_the_caller():
    work = Background({"bad": (refuse, ("no such setup",))})
    try:
        with pytest.raises(ValueError, match="no such setup"):
            work.result("bad")
    finally:
        work.close()


def test_a_worker_that_dies_leaves_the_result_to_the_caller_once():
    work = Background({"dies": (die_unless_in, (os.getpid(),))})
    try:
        wait(list(work._futures.values()))  # the worker has died
        assert not work.done("dies")  # not ready: it is still to be computed, here
        assert work.result("dies") == "computed by the caller"
        assert work.done("dies") and work.result("dies") == "computed by the caller"
    finally:
        work.close()


def test_without_worker_processes_every_result_is_computed_here(monkeypatch):
    def no_processes():
        raise OSError("no semaphores on this host")

    monkeypatch.setattr(background_module, "worker_context", no_processes)
    work = Background({"pid": (pid, ())})
    assert "no semaphores" in work.start_error
    assert not work.done("pid")
    assert work.result("pid") == os.getpid()
    assert work.done("pid")
