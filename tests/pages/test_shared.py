"""SharedResults (pages/ui/shared.py): one computation per key for the whole server, concurrent callers waiting
for it, "measure again" semantics, progress relayed to waiters. Driven with threads and events, no timing."""

import threading
import time

import pytest

from pages.ui.shared import SharedResults


def test_computes_once_and_stores():
    store, calls = SharedResults(), []
    first = store.get("k", lambda report: calls.append(1) or "value")
    second = store.get("k", lambda report: calls.append(1) or "other")
    assert first is second and first.value == "value" and calls == [1]
    assert store.latest("k") is first and store.latest("missing") is None
    assert first.seconds >= 0 and first.finished_at <= time.time()


def test_concurrent_callers_share_one_computation_and_its_progress():
    store, started, release = SharedResults(), threading.Event(), threading.Event()
    calls, seen_by_waiter, results = [], [], {}

    def slow(report):
        calls.append(1)
        report(0.5, "halfway")
        started.set()
        release.wait(10)
        return "measured"

    first = threading.Thread(target=lambda: results.setdefault("first", store.get("k", slow)))
    first.start()
    assert started.wait(10)
    assert store.busy("k")
    second = threading.Thread(target=lambda: results.setdefault(
        "second", store.get("k", slow, progress=lambda *args: (seen_by_waiter.append(args), release.set()))))
    second.start()  # it waits, sees the first one's progress (which lets the first one finish), and shares its result
    first.join(10)
    second.join(10)
    assert calls == [1]
    assert results["first"] is results["second"]
    assert seen_by_waiter[0] == (0.5, "halfway")
    assert not store.busy("k")


def test_since_asks_for_a_fresh_result_unless_one_finished_after_it():
    store = SharedResults()
    old = store.get("k", lambda report: 1)
    fresh = store.get("k", lambda report: 2, since=old.finished_at + 1)
    assert fresh.value == 2 and store.latest("k") is fresh
    assert store.get("k", lambda report: 3, since=fresh.finished_at) is fresh  # finished no earlier: kept


def test_a_failed_computation_leaves_nothing_behind():
    store = SharedResults()
    with pytest.raises(RuntimeError):
        store.get("k", lambda report: (_ for _ in ()).throw(RuntimeError("boom")))
    assert store.latest("k") is None and not store.busy("k")
    assert store.get("k", lambda report: "ok").value == "ok"


def test_oldest_keys_are_forgotten():
    store = SharedResults(max_entries=2)
    for key in "abc":
        store.get(key, lambda report, k=key: k)
    assert store.latest("a") is None and store.latest("b").value == "b" and store.latest("c").value == "c"
