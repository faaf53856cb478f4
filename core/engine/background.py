"""Slow measurements started once per server, in a worker process of their own, before anyone asks for them.

Some of the lab's numbers take seconds of engine work: lesson 12's speed of learning trains 135 networks. A server
starts such work when its first visitor arrives (``Background``), in one process of the training service's kind
(``core.engine.service.worker_started``: a fork server's child, at a lower CPU priority than the server, gone when
the server goes), so by the time a workshop reaches the lesson its number is there. A page that asks sooner waits
for that same computation (``result``); it never starts a second one. If the process cannot start or dies (killed,
out of memory), ``result`` computes the number in the caller's process instead, once. The worker exits when its
last task is done.

The tasks are plain functions of plain arguments (pickled to the worker), run in the order given.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import BrokenExecutor, CancelledError, Future, ProcessPoolExecutor

from core.engine.service import worker_context, worker_started

Task = tuple[Callable, tuple]


class Background:
    """Named tasks, each ``(function, arguments)``, started at once in one worker process, in order."""

    def __init__(self, tasks: Mapping[str, Task]):
        self.tasks = dict(tasks)
        self._here: dict[str, object] = {}  # results computed in this process, when the worker could not
        self._lock = threading.Lock()
        self.start_error: str | None = None
        self._futures: dict[str, Future] = {}
        try:
            self._pool = ProcessPoolExecutor(1, mp_context=worker_context(), initializer=worker_started)
            self._futures = {name: self._pool.submit(fn, *args) for name, (fn, args) in self.tasks.items()}
            if self._futures:  # the worker's memory back once the last task is done (from a thread of its own: a
                # future's callbacks run in the pool's own thread, which its shutdown must not wait for)
                last = list(self._futures.values())[-1]
                last.add_done_callback(lambda _: threading.Thread(target=self.close, daemon=True).start())
        except (OSError, RuntimeError, BrokenExecutor) as error:  # no processes here: compute on request
            self._pool = None
            self.start_error = f"{type(error).__name__}: {error}"
        atexit.register(self.close)

    def done(self, name: str) -> bool:
        """Whether ``result(name)`` would return at once: the worker has finished it (or it was computed here)."""
        future = self._futures.get(name)
        return name in self._here or (future is not None and future.done() and not _lost(future))

    def result(self, name: str):
        """The task's result: the worker's (waiting for it), else computed here. A task's own error is raised."""
        future = self._futures.get(name)
        if future is not None:
            try:
                return future.result()
            except (BrokenExecutor, CancelledError):  # the worker died, or the pool closed first: compute it here
                pass
        with self._lock:  # one computation per task, however many sessions ask at once
            if name not in self._here:
                fn, args = self.tasks[name]
                self._here[name] = fn(*args)
            return self._here[name]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


def _lost(future: Future) -> bool:
    """A finished future whose task never ran to its end in the worker (the worker died, or the pool was closed)."""
    return future.cancelled() or isinstance(future.exception(), BrokenExecutor)
