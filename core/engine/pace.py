"""How long a computation will take: its work (``core.engine.limits``: multiply-adds and their equivalents) at the
engine's measured rate, and, once it runs, the time left at the pace it has kept so far.

The rate is measured on the machine at hand (``calibrate``: a small real training run, timed in this thread's CPU
time), once per process and precision (``engine_rate``). CPU time makes it the engine's speed rather than the
machine's load at that moment: on a 2-core server shared with other work (load 8), three calibrations in CPU time
agreed within 3 % where three in wall time spread over 3x. An estimate is therefore the time at full speed; a busy
server takes longer, and the rate varies with the kind of work too (heavy Arena runs took 0.7-1.25x their estimate
in CPU time; see also MAX_WORK in ``core.engine.limits``). So an estimate is "about" a number, and a running
computation's own pace, in wall time, replaces it as soon as there is one (``remaining_seconds``).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence

from core.engine.data import load_dataset
from core.engine.limits import check
from core.engine.training import TrainConfig, train_many, training_work

SHOW_ABOVE_SECONDS = 5.0  # a page shows an estimate before and during a run expected to take longer than this
CALIBRATION_SECONDS = 0.2  # the calibration trains at least this long (and at least one epoch)...
CALIBRATION_MAX_EPOCHS = 400  # ...unless it has trained this many epochs by then
# A run of the lab's kind, sized like the runs that get an estimate: three activations in one stack, two hidden layers
# of 64, mini-batches of 32. (Calibrated on 32-32, wide and many-seed runs took half their estimate.)
CALIBRATION_DATA = {"name": "moons", "n_samples": 500, "noise": 0.2, "seed": 0}
CALIBRATION_ACTIVATIONS = ("relu", "sigmoid", "tanh")
CALIBRATION_HIDDEN = (64, 64)


def calibrate(dtype: str = "float32", clock: Callable[[], float] = time.thread_time,
              min_seconds: float = CALIBRATION_SECONDS) -> float:
    """The engine's rate on this machine: work per second of a small real training run in ``dtype``.

    Trains ``CALIBRATION_ACTIVATIONS`` on ``CALIBRATION_DATA`` epoch by epoch until ``min_seconds`` of ``clock``
    have passed (or ``CALIBRATION_MAX_EPOCHS``), after the measurement at init, which is not timed (it is the
    warm-up), and divides the epochs' ``training_work`` by their time.
    """
    ds = load_dataset(**CALIBRATION_DATA)
    configs = [TrainConfig(activation=name, hidden_layers=CALIBRATION_HIDDEN, epochs=CALIBRATION_MAX_EPOCHS,
                           batch_size=32, learning_rate=0.05, dtype=dtype) for name in CALIBRATION_ACTIVATIONS]
    trainer = train_many(ds, configs)
    next(trainer)  # epoch 0
    epochs, start = 0, clock()
    while True:
        next(trainer)
        epochs += 1
        elapsed = clock() - start
        if elapsed >= min_seconds or epochs >= CALIBRATION_MAX_EPOCHS:
            break
    check(elapsed > 0, "The clock did not advance during the calibration run.")
    return training_work(ds, configs, epochs=epochs, at_init=False) / elapsed


@functools.cache
def engine_rate(dtype: str = "float32") -> float:
    """``calibrate(dtype)``, measured once per process."""
    return calibrate(dtype)


def seconds_for(work: float, rate: float) -> float:
    """Seconds that ``work`` takes at ``rate`` (work per second)."""
    check(rate > 0, f"A rate must be positive, got {rate!r}.")
    check(work >= 0, f"Work cannot be negative, got {work!r}.")
    return work / rate


def training_seconds(ds, configs: Sequence[TrainConfig], rate: float, epochs: int | None = None,
                     at_init: bool = True) -> float:
    """Seconds ``train_many(ds, configs)`` takes at ``rate``: ``training_work`` (same arguments) over it."""
    return seconds_for(training_work(ds, configs, epochs=epochs, at_init=at_init), rate)


def remaining_seconds(left: float, done: float, elapsed: float) -> float | None:
    """Seconds still needed for ``left`` more steps (epochs) at the pace of the ``done`` ones, which took
    ``elapsed`` seconds; None before any step is done."""
    check(left >= 0 and done >= 0 and elapsed >= 0, "Steps and seconds cannot be negative.")
    if done == 0:
        return None
    return left * elapsed / done


def worth_showing(seconds: float | None) -> bool:
    """Whether a page shows an estimate of ``seconds``: only for a run expected to take over SHOW_ABOVE_SECONDS."""
    return seconds is not None and seconds > SHOW_ABOVE_SECONDS
