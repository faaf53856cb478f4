"""A live run: an experiment being trained step by step, with its history so far.

The Arena keeps one ``LiveRun`` per browser session (in ``st.session_state``) and advances it
for a small time budget per redraw, so the controls stay responsive while it trains. Plain
Python: it never touches Streamlit, and tests drive it directly.
"""

from __future__ import annotations

import time

import pandas as pd

from core.experiment import Experiment
from core.history import records_to_frame
from core.training import MultiTrainer


class LiveRun:
    def __init__(self, experiment: Experiment, dataset=None):
        self.experiment = experiment
        self.dataset = dataset if dataset is not None else experiment.load_data()
        self.configs = experiment.configs()
        self.trainer = MultiTrainer(self.dataset, self.configs)
        self.epochs = experiment.epochs
        self._frames: list[pd.DataFrame] = []
        self._history: pd.DataFrame | None = None
        self.compute_seconds = 0.0  # time spent in the engine, for the UI-overhead figure
        self.step()  # epoch 0: the networks at init

    @property
    def epoch(self) -> int:
        return self.trainer.epoch

    @property
    def done(self) -> bool:
        return self.trainer.done

    def step(self) -> int:
        """Train one epoch (the first call records epoch 0); returns how many epochs it recorded."""
        return self.advance(max_epochs=1)

    def advance(self, seconds: float = 0.0, max_epochs: int | None = None) -> int:
        """Train until ``seconds`` have passed (at least one epoch) or ``max_epochs`` epochs are done."""
        start = time.perf_counter()
        new = []
        while not self.trainer.done:
            try:
                new.extend(next(self.trainer))
            except StopIteration:
                break
            if max_epochs is not None and len({r.epoch for r in new}) >= max_epochs:
                break
            if max_epochs is None and time.perf_counter() - start >= seconds:
                break
        self.compute_seconds += time.perf_counter() - start
        if new:
            self._frames.append(records_to_frame(new))
            self._history = None
        return len({r.epoch for r in new})

    def history(self) -> pd.DataFrame:
        """Every record so far as one tidy long DataFrame (see core.history)."""
        if self._history is None:
            self._history = pd.concat(self._frames, ignore_index=True)
            self._frames = [self._history]
        return self._history

    def model(self, run: int):
        return self.trainer.model(run)

    def runs(self) -> pd.DataFrame:
        """run, activation name, label and seed of every run, in config order."""
        return pd.DataFrame([{"run": i, "activation": c.hidden_activations[0], "label": c.label, "seed": c.seed}
                             for i, c in enumerate(self.configs)])
