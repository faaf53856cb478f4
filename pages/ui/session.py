"""Session-state helpers: each browser session owns its runs; nothing mutable is shared between users."""

from __future__ import annotations

import streamlit as st

from core.data import load_dataset
from core.experiment import Experiment
from core.live import LiveRun


@st.cache_data(max_entries=64, show_spinner=False)
def cached_dataset(name: str, n_samples: int, noise: float, test_size: float, seed: int):
    """Datasets are immutable and shared safely; the cache spares reloading them on every rerun."""
    return load_dataset(name, n_samples=n_samples, noise=noise, test_size=test_size, seed=seed)


def dataset_for(experiment: Experiment):
    return cached_dataset(experiment.dataset, experiment.n_samples, experiment.noise, experiment.test_size,
                          experiment.first_seed)


def live_run(key: str, experiment: Experiment) -> tuple[LiveRun, bool]:
    """This session's run for ``key``; a new one (and True) when the experiment's settings changed."""
    run: LiveRun | None = st.session_state.get(key)
    if run is not None and run.experiment == experiment:
        return run, False
    st.session_state[key] = LiveRun(experiment, dataset=dataset_for(experiment))
    return st.session_state[key], run is not None


def reset_run(key: str) -> None:
    run: LiveRun | None = st.session_state.get(key)
    if run is not None:
        st.session_state[key] = LiveRun(run.experiment, dataset=run.dataset)
