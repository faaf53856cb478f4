"""Results computed once for the whole server and shared by every visitor: measurements of the machine (the Speed
page), deterministic computations that report their progress while they run (which ``st.cache_data`` cannot
replay), and the slow measurements a server starts in the background when its first visitor arrives (``background``).

``SharedResults`` is plain Python (threads and a lock per key; tests drive it directly). A page gets one per
purpose from ``shared_results(name)``, which ``st.cache_resource`` keeps for the life of the process. It holds no
session's state: every visitor who asks for a key gets the same result, and nothing else.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from core.engine.background import Background
from core.lab.learning_speed import SETUPS
from core.lab.lessons import learning_speed_numbers

WAIT_POLL_SECONDS = 0.25  # how often a waiting visitor's progress bar is updated from the computing one's


@dataclass(frozen=True)
class Entry:
    """One stored result: its value, when it was finished (``time.time()``) and how long it took (seconds)."""

    value: Any
    finished_at: float
    seconds: float


class SharedResults:
    """Keyed results, each computed at most once at a time for the whole process.

    ``get(key, compute)`` returns the stored result, or computes it; a second caller asking for a key that is being
    computed waits for that computation (seeing its progress) and gets the same result, instead of starting one of
    its own. ``since`` asks for a result finished no earlier than that time (a "measure again" pressed then): a
    computation that another caller finished after it is taken as it is. The oldest keys beyond ``max_entries`` are
    forgotten.
    """

    def __init__(self, max_entries: int = 32):
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._locks: dict[Hashable, threading.Lock] = {}
        self._progress: dict[Hashable, tuple] = {}  # the latest progress report of a computation under way
        self._guard = threading.Lock()

    def latest(self, key: Hashable) -> Entry | None:
        """The stored result for ``key``, without computing anything."""
        with self._guard:
            return self._entries.get(key)

    def busy(self, key: Hashable) -> bool:
        """Whether a computation of ``key`` is under way."""
        with self._guard:
            lock = self._locks.get(key)
        return lock is not None and lock.locked()

    def get(self, key: Hashable, compute: Callable[[Callable[..., object]], Any],
            progress: Callable[..., object] | None = None, since: float | None = None) -> Entry:
        """The result for ``key``: stored (finished at ``since`` or later, when given), else computed now.

        ``compute(report)`` gets a function to call with its progress (any arguments); they reach ``progress``,
        and ``progress`` of every caller waiting for the same key.
        """
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        while not lock.acquire(timeout=WAIT_POLL_SECONDS):
            with self._guard:
                report = self._progress.get(key)
            if progress is not None and report is not None:
                progress(*report)
        try:
            entry = self.latest(key)
            if entry is not None and (since is None or entry.finished_at >= since):
                return entry

            def report(*args) -> None:
                with self._guard:
                    self._progress[key] = args
                if progress is not None:
                    progress(*args)

            start = time.perf_counter()
            value = compute(report)
            entry = Entry(value, time.time(), time.perf_counter() - start)
            with self._guard:
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return entry
        finally:
            with self._guard:
                self._progress.pop(key, None)
            lock.release()


@st.cache_resource(show_spinner=False)
def shared_results(name: str) -> SharedResults:
    """The process's one ``SharedResults`` for ``name`` (e.g. "speed"), shared by every session."""
    return SharedResults()


def learning_speed_task(setup: str) -> str:
    return f"learning_speed.{setup}"


@st.cache_resource(show_spinner=False)
def background() -> Background:
    """The process's one ``Background`` (``core.engine.background``), started by the first page anyone opens
    (``page_shell``): lesson 12's speed of learning on two moons, then on digits (135 networks, seconds of work), so
    that it is ready when the lesson is shown. Fixed setups: nothing of any session goes in."""
    return Background({learning_speed_task(name): (learning_speed_numbers, (setup,))
                       for name, setup in SETUPS.items()})
