"""Time estimates and progress as the pages show them: "About 12 s to train" before a long run, and the time left,
at the pace kept so far, while it runs. The arithmetic is core.engine.pace's; this file only words and draws it."""

from __future__ import annotations

import time
from collections.abc import Callable

from core.engine.live import LiveRun
from core.engine.pace import engine_rate, remaining_seconds, seconds_for, training_seconds, worth_showing
from pages.ui.formats import seconds as duration


def work_estimate(work: float, dtype: str = "float32", verb: str = "train") -> str | None:
    """'About 12 s to train' for a computation of ``work`` at the engine's measured rate, or None when it is
    expected to take no more than ``SHOW_ABOVE_SECONDS``."""
    expected = seconds_for(work, engine_rate(dtype))
    return f"About {duration(expected)} to {verb}" if worth_showing(expected) else None


def _run_left(run: LiveRun) -> tuple[float, float]:
    """Seconds the run still needs and seconds it has played: at its own pace once it has played, else at the
    engine's measured rate."""
    left_epochs = run.epochs - run.epoch
    played_epochs, played_seconds = run.pace()
    if played_epochs:
        return remaining_seconds(left_epochs, played_epochs, played_seconds), played_seconds
    rate = engine_rate(run.configs[0].dtype)
    return training_seconds(run.dataset, run.configs, rate, epochs=left_epochs, at_init=False), 0.0


def run_estimate(run: LiveRun, playing: bool = False) -> str | None:
    """For a live run expected to take over ``SHOW_ABOVE_SECONDS`` in all: 'About 12 s to train' before it starts,
    'About 7 s left' while it plays, 'About 7 s to finish' while paused; otherwise None."""
    if run.done:
        return None
    left, played = _run_left(run)
    if not worth_showing(left + played):
        return None
    if playing:
        return f"About {duration(left)} left"
    return f"About {duration(left)} to {'train' if run.epoch == 0 else 'finish'}"


def progress_bar(container, label: str, unit: str = "epoch") -> tuple[object, Callable[[int, int], None]]:
    """A progress bar in ``container`` and the ``progress(done, total)`` callback that moves it; once the run is
    expected to take over ``SHOW_ABOVE_SECONDS`` in all, its text says the time left at the pace so far."""
    bar = container.progress(0.0, text=label)
    start = time.perf_counter()

    def report(done: int, total: int) -> None:
        elapsed = time.perf_counter() - start
        left = remaining_seconds(total - done, done, elapsed)
        text = f"{label} {unit} {done} / {total}"
        if left is not None and worth_showing(elapsed + left):
            text += f" · about {duration(left)} left"
        bar.progress(min(done / total, 1.0) if total else 1.0, text=text)

    return bar, report
