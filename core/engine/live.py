"""A live run: an experiment being trained epoch by epoch, with its history so far.

The Arena keeps one ``LiveRun`` per browser session and page (in ``st.session_state``). It is a client of a
training service (``core.engine.service``), which does the engine work: the server's pool of worker processes,
or, when none is given, the in-process service of scripts and tests. Two ways to train it:

- ``advance``/``step`` train now and wait for the epochs, for a time budget or a number of epochs;
- ``play`` lets the service train it in slices, in turn with every other playing run, so the engine never waits for
  the browser. It holds a *lease*: it stops by itself ``lease`` seconds after the last ``play`` call, so a run whose
  viewer closed the tab stops within seconds. ``pause`` stops it at once.

``extend`` plans more epochs for a run ("train more"); ``place`` says where a playing run waits for a worker.

A subclass measures more of the networks at every epoch boundary by returning an observer from ``observer()``
(``core.engine.slices``): it runs where the epochs are trained, and its rows (``observed()``) arrive with the
records of the same epochs. ``core.lab.linear_regions.RegionRun`` counts regions this way.

Readers (``history``, ``model``, or a whole redraw inside ``frozen()``) see one consistent state between two
slices, and never hold the training up: a slice that returns meanwhile is seen by the next reader.
Plain Python: it never touches Streamlit, and tests drive it directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from contextlib import contextmanager

import pandas as pd

from core.engine import slices
from core.engine.service import QueuePlace, TrainingService, local_service
from core.io.history import bands, records_to_frame
from core.settings import Experiment

LEASE_SECONDS = 2.0  # a playing run stops this long after its viewer last asked it to go on


class LiveRun:
    def __init__(self, experiment: Experiment, dataset=None, service: TrainingService | None = None,
                 owner: Hashable | None = None):
        """``owner`` (e.g. a session's token and a page) holds one live run at a time: when this run plays, the
        owner's previous one stops."""
        self.experiment = experiment
        self.owner = owner
        self.dataset = dataset if dataset is not None else experiment.load_data()
        self.configs = experiment.configs()
        self.service = service if service is not None else local_service()
        self._frames: list[pd.DataFrame] = []  # the records converted so far (reader side only)
        self._bands: list[pd.DataFrame] = []  # core.io.history.bands of those records, every metric
        self._converted = 0
        self._reading = threading.RLock()  # re-entrant: a reader inside frozen() may call history() and model()
        self._depth = 0
        self._job = self.service.open(self.dataset, self.configs, owner, self.observer())  # epoch 0: at init
        self._view = self.service.view(self._job)

    # -- what the run is now (inside frozen(): as it was when the block began) -------------------------------

    @property
    def epoch(self) -> int:
        """The last epoch whose records are in the history."""
        state = self._current().state
        return 0 if state is None else slices.epoch_of(state)

    @property
    def epochs(self) -> int:
        """The epochs planned: the experiment's, plus every ``extend``."""
        state = self._current().state
        return self.experiment.epochs if state is None else slices.planned_epochs(state)

    @property
    def done(self) -> bool:
        state = self._current().state
        return state is not None and slices.is_done(state)

    @property
    def error(self) -> str | None:
        """Why the service stopped training it, if it failed while playing (the page says so)."""
        return self._current().error

    @property
    def compute_seconds(self) -> float:
        """Engine time spent on this run so far, wherever it ran."""
        return self._current().compute_seconds

    @property
    def playing(self) -> bool:
        """Whether the service is training it in turn now (playing, within its lease, not done)."""
        return self.service.playing(self._job)

    def observer(self):
        """A picklable ``observe(trainer, records) -> list`` called after every epoch where it is trained, or None
        (``core.engine.slices``). Called once, before epoch 0: a subclass sets what it needs first."""
        return None

    def observed(self) -> list:
        """The observer's rows so far, in order, as far as the records go (inside ``frozen()``: as the block began)."""
        with self.frozen():
            return self._job.observed[:self._view.observed]

    def pace(self) -> tuple[int, float]:
        """Epochs trained while playing and the wall time they took, waits for a worker included: the pace a viewer
        sees (``core.engine.pace.remaining_seconds`` turns it into the time left)."""
        return self.service.pace(self._job)

    def _current(self):
        if not self._depth:
            self._view = self.service.view(self._job)
        return self._view

    # -- training now ----------------------------------------------------------------------------------------

    def step(self) -> int:
        """Train one epoch; returns how many epochs it recorded."""
        return self.advance(max_epochs=1)

    def advance(self, seconds: float = 0.0, max_epochs: int | None = None) -> int:
        """Train until ``seconds`` have passed (at least one epoch) or ``max_epochs`` epochs are done, and wait for
        them. Pauses the run first."""
        if max_epochs is not None:
            return self.service.run(self._job, max_epochs) if max_epochs > 0 else 0
        start, epochs = time.perf_counter(), 0
        while True:
            per_epoch = self.service.epoch_seconds(self._job)
            left = seconds - (time.perf_counter() - start)
            batch = max(1, int(left / per_epoch)) if per_epoch > 0 and left > 0 else 1
            gained = self.service.run(self._job, batch)
            epochs += gained
            if not gained or time.perf_counter() - start >= seconds:
                return epochs

    def extend(self, epochs: int) -> None:
        """Plan ``epochs`` more epochs ("train more"), continuing the same weights, optimiser state and shuffling
        streams; pauses the run (``play`` goes on). Training E epochs and then N more gives exactly the records of
        E + N epochs under a constant or step schedule; a cosine schedule starts a new cycle over the N epochs
        (``core.engine.optim.phased_learning_rate``). ValueError beyond MAX_EPOCHS in all."""
        self.service.extend(self._job, epochs)

    # -- training in turn ------------------------------------------------------------------------------------

    def play(self, lease: float = LEASE_SECONDS) -> None:
        """Let the service train it until done, paused, or ``lease`` seconds after the last ``play`` call.

        Call it again on every redraw to keep the run going."""
        self.service.play(self._job, lease)

    def pause(self) -> None:
        """Stop after the slice it is training (and wait for it): from then on the run stays where it is."""
        self.service.pause(self._job)

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the training stops meanwhile (done, paused, failed or out of lease): a
        live page that waits here between redraws shows the end of a run as soon as it comes."""
        self.service.wait(self._job, seconds)

    def place(self) -> QueuePlace | None:
        """Where this run waits for a worker while it plays (runs ahead of it, estimated seconds), or None."""
        return self.service.place(self._job)

    @contextmanager
    def frozen(self):
        """One consistent state for the duration of the block (a page's redraw): every reader inside it sees the
        run as it was when the block began, while the service trains on."""
        with self._reading:
            if not self._depth:
                self._view = self.service.view(self._job)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1

    # -- reading ---------------------------------------------------------------------------------------------

    def history(self) -> pd.DataFrame:
        """Every record so far as one tidy long DataFrame (see core.io.history)."""
        with self.frozen():
            self._convert()
            return self._frames[0]

    def bands(self) -> pd.DataFrame:
        """``core.io.history.bands`` of the history, every metric: mean, min and max over seeds per epoch.

        Kept up to date slice by slice, so a live page's redraw aggregates only the epochs that are new."""
        with self.frozen():
            self._convert()
            return self._bands[0]

    def _convert(self) -> None:
        """Convert the records that arrived since the last call. They always hold whole epochs (a slice returns
        whole epochs), so their bands are final."""
        new = self._job.records[self._converted:self._view.records]
        if new:
            self._converted += len(new)
            frame = records_to_frame(new)
            self._frames = [pd.concat([*self._frames, frame], ignore_index=True)]
            self._bands = [pd.concat([*self._bands, bands(frame)], ignore_index=True)]

    def model(self, run: int):
        """A copy of one run's network as it is now (it does not change as training goes on)."""
        with self.frozen():
            return slices.model(self._view.state, self.configs, self.dataset.task, run)

    def runs(self) -> pd.DataFrame:
        """run, activation key (a per-layer network's "tanh>relu" too), label and seed of every run, in config order."""
        return pd.DataFrame([{"run": i, "activation": c.activation_key, "label": c.label, "seed": c.seed}
                             for i, c in enumerate(self.configs)])
