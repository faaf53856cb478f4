"""A live run: an experiment being trained epoch by epoch, with its history so far.

The Arena keeps one ``LiveRun`` per browser session (in ``st.session_state``). Two ways to train it:

- ``advance``/``step`` train in the caller's thread, for a time budget or a number of epochs;
- ``play`` trains in a background thread, so the engine never waits for the browser to redraw.
  The thread holds a *lease*: it stops by itself ``lease`` seconds after the last ``play`` call,
  so a run whose viewer closed the tab stops within seconds. ``pause`` stops it at once.

Readers (``history``, ``model``, or a whole redraw inside ``frozen()``) get a consistent state between two
epochs: the trainer only changes under a lock, and a waiting reader gets that lock at the next epoch boundary.
Plain Python: it never touches Streamlit, and tests drive it directly.
"""

from __future__ import annotations

import copy
import threading
import time
from contextlib import contextmanager

import pandas as pd

from core.engine.training import EpochRecord, MultiTrainer
from core.io.history import bands, records_to_frame
from core.settings import Experiment

LEASE_SECONDS = 2.0  # a playing run stops this long after its viewer last asked it to go on


class LiveRun:
    def __init__(self, experiment: Experiment, dataset=None):
        self.experiment = experiment
        self.dataset = dataset if dataset is not None else experiment.load_data()
        self.configs = experiment.configs()
        self.trainer = MultiTrainer(self.dataset, self.configs)
        self.epochs = experiment.epochs
        self.compute_seconds = 0.0  # time spent in the engine, for the UI-overhead figure
        self.played_epochs = 0  # epochs trained by the background thread...
        self.played_seconds = 0.0  # ...and the wall time they took, redraws that held it still included (``pace``)
        self.error: str | None = None  # set if the background thread failed (the page says so)
        self._records: list[EpochRecord] = []  # appended under the lock, one epoch at a time
        self._frames: list[pd.DataFrame] = []  # the records converted so far (reader side only)
        self._bands: list[pd.DataFrame] = []  # core.io.history.bands of those records, every metric
        self._converted = 0
        self._epoch = 0
        self._done = False
        self._lock = threading.RLock()  # re-entrant: a reader inside frozen() may call history() and model()
        self._reader_waiting = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()  # set while no background thread trains (see wait)
        self._idle.set()
        self._worker: threading.Thread | None = None
        self._lease_until = 0.0
        self.step()  # epoch 0: the networks at init

    @property
    def epoch(self) -> int:
        """The last epoch whose records are in the history."""
        return self._epoch

    @property
    def done(self) -> bool:
        return self._done

    @property
    def playing(self) -> bool:
        """Whether the background thread is training right now."""
        return self._worker is not None and self._worker.is_alive()

    # -- training in the caller's thread ------------------------------------------------------------------

    def step(self) -> int:
        """Train one epoch (the first call records epoch 0); returns how many epochs it recorded."""
        return self.advance(max_epochs=1)

    def advance(self, seconds: float = 0.0, max_epochs: int | None = None) -> int:
        """Train until ``seconds`` have passed (at least one epoch) or ``max_epochs`` epochs are done.

        Pauses the background thread first, so only one thread ever trains.
        """
        self.pause()
        start, epochs = time.perf_counter(), 0
        while self._train_epoch():
            epochs += 1
            if max_epochs is not None and epochs >= max_epochs:
                break
            if max_epochs is None and time.perf_counter() - start >= seconds:
                break
        return epochs

    def _train_epoch(self) -> bool:
        """One epoch (or epoch 0's measurement) under the lock; False when there was nothing left to train."""
        with self._lock:
            if self._done:
                return False
            start = time.perf_counter()
            try:
                records = next(self.trainer)
            except StopIteration:
                records = []
            self.compute_seconds += time.perf_counter() - start
            if records:
                self._records.extend(records)
                self._epoch = records[-1].epoch
                self.after_epoch(records)
            self._done = self.trainer.done or not records
            return bool(records)

    def after_epoch(self, records: list[EpochRecord]) -> None:
        """Called with each epoch's records (epoch 0's included) while the trainer holds still, under the lock: a
        subclass measures more of the networks here (``core.lab.linear_regions.RegionRun`` counts regions).
        Readers see what it stores at the same epoch boundary as the records."""

    # -- training in the background -----------------------------------------------------------------------

    def play(self, lease: float = LEASE_SECONDS) -> None:
        """Train in a background thread until done, paused, or ``lease`` seconds after the last ``play`` call.

        Call it again on every redraw to keep the run going; it starts the thread only when none runs.
        """
        self._lease_until = time.monotonic() + lease
        if self._done or self.playing:
            return
        self._stop.clear()
        self._idle.clear()
        self._worker = threading.Thread(target=self._work, name="relu-lab-live-run", daemon=True)
        self._worker.start()

    def pause(self) -> None:
        """Stop the background thread after the epoch it is training (and wait for it)."""
        self._stop.set()
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join()
        self._worker = None

    def _work(self) -> None:
        try:
            last = time.perf_counter()
            while not self._stop.is_set() and time.monotonic() < self._lease_until and self._train_epoch():
                while self._reader_waiting.is_set() and not self._stop.is_set():
                    time.sleep(0.0005)  # let the waiting reader take the lock before the next epoch
                now = time.perf_counter()
                self.played_epochs += 1
                self.played_seconds += now - last
                last = now
        except Exception as error:  # noqa: BLE001 - reported on the page instead of dying silently
            self.error = f"{type(error).__name__}: {error}"
        finally:
            self._idle.set()

    def pace(self) -> tuple[int, float]:
        """Epochs the background thread has trained and the wall time they took: the pace a viewer sees while it
        plays (``core.engine.pace.remaining_seconds`` turns it into the time left)."""
        return self.played_epochs, self.played_seconds

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the background training stops meanwhile (done, paused or failed): a live
        page that waits here between redraws shows the end of a run as soon as it comes, not up to one wait later."""
        self._idle.wait(seconds)

    @contextmanager
    def frozen(self):
        """Hold the trainer still between two epochs for the duration of the block (a page's redraw): the
        redraw sees one consistent state, and it does not fight the training thread for the interpreter."""
        self._reader_waiting.set()
        try:
            with self._lock:
                self._reader_waiting.clear()
                yield
        finally:
            self._reader_waiting.clear()

    # -- reading ------------------------------------------------------------------------------------------

    def history(self) -> pd.DataFrame:
        """Every record so far as one tidy long DataFrame (see core.io.history)."""
        self._convert()
        return self._frames[0]

    def bands(self) -> pd.DataFrame:
        """``core.io.history.bands`` of the history, every metric: mean, min and max over seeds per epoch.

        Kept up to date epoch by epoch, so a live page's redraw aggregates only the epochs that are new."""
        self._convert()
        return self._bands[0]

    def _convert(self) -> None:
        """Convert the records that arrived since the last call. They always hold whole epochs (the trainer
        adds an epoch's records at once, under the lock), so their bands are final."""
        with self.frozen():
            new = self._records[self._converted:]
            self._converted += len(new)
        if new:
            frame = records_to_frame(new)
            self._frames = [pd.concat([*self._frames, frame], ignore_index=True)]
            self._bands = [pd.concat([*self._bands, bands(frame)], ignore_index=True)]

    def model(self, run: int):
        """A copy of one run's network as it is now (it does not change as training goes on)."""
        with self.frozen():
            return copy.deepcopy(self.trainer.model(run))

    def runs(self) -> pd.DataFrame:
        """run, activation key (a per-layer network's "tanh>relu" too), label and seed of every run, in config order."""
        return pd.DataFrame([{"run": i, "activation": c.activation_key, "label": c.label, "seed": c.seed}
                             for i, c in enumerate(self.configs)])
