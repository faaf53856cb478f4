"""Speed of learning on screen: each activation's epochs to one fixed training error, at its own best learning rate,
as a ratio to ReLU's (``core.lab.learning_speed``). Lessons shows the lab's two measurements; the Arena measures its
own experiment on request."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.io.report import dataset_title
from core.lab.learning_speed import SpeedSetup, learning_speed, ratio_text, setup_for
from core.lab.summary import target_of
from pages.ui.estimate import progress_bar
from pages.ui.notices import within_cap
from pages.ui.palette import label


def ratio_metrics(ratios: pd.DataFrame, setup: SpeedSetup, title: str) -> None:
    """One metric per activation: ReLU's epochs to the target, every other activation's as a ratio to ReLU's (per
    seed: median, and the min–max under it), then what was measured."""
    ratios = ratios.set_index("activation")
    st.markdown(f"**{title}**, target {setup.yardstick.text}:")
    others = [a for a in ratios.index if a != "relu"]
    columns = st.columns(len(others) + 1)
    relu = ratios.loc["relu"]
    reached = f"{relu['epochs_median']:.0f}" if relu["reached"] else "not reached"
    columns[0].metric("ReLU: epochs to the target", reached, border=True,
                      help=f"Median over the {int(relu['reached'])} seeds that reached it; best rate "
                           f"{relu['best_rate']:g}")
    for column, activation in zip(columns[1:], others, strict=True):
        row = ratios.loc[activation]
        with column:
            value = f"{row['epoch_ratio_median']:.1f}× ReLU's" if row["paired"] else "not reached"
            st.metric(f"{label(activation)}: epochs", value, border=True,
                      help=f"Best rate {row['best_rate']:g}; {int(row['reached'])} of {int(row['seeds'])} "
                           "seeds reached the target")
            seconds = f"; seconds {ratio_text(row, 'second')}" if row["paired"] else ""
            st.caption(ratio_text(row) + seconds + (" · best rate at the edge of the sweep" if row["rate_at_edge"]
                                                    else ""))
    st.caption(setup.describe() + ". Ratios are per seed: each activation at its best rate over ReLU at its own; "
               "seconds are the training passes' time on this server.")


def arena_section(run, table: pd.DataFrame, key: str) -> None:
    """The Arena's own experiment measured the lesson's way, on request: its data, network, batch and epochs, 5 seeds,
    learning rates from a tenth to ten times its own, against the target its summary used."""
    experiment = run.experiment
    try:
        setup = setup_for(experiment, target_of(table), dataset_title(experiment))
    except ValueError:
        return  # a regression, or nothing to compare with ReLU: the summary says enough
    with st.expander("Speed of learning: each activation at its own best learning rate", icon=":material/speed:"):
        st.markdown(
            f"The summary above compares the activations at one learning rate, {experiment.learning_rate:g}, which "
            "may suit one better than another. Krizhevsky et al. (2012) compared ReLU and tanh each at the rate "
            f"that trained it fastest. This trains {setup.work_units} networks on this run's data, every activation "
            f"at {len(setup.rates)} learning rates over {setup.seeds} seeds, and counts the epochs each needs to "
            f"reach {setup.yardstick.text}.")
        done_key = f"{key}.result"
        measured = st.session_state.get(done_key)
        if measured is not None and (measured[0] != setup or measured[1] is not run):
            measured = None  # another experiment (or another upload) since
        if st.button("Measure", icon=":material/timer:", key=f"{key}.measure"):
            bar, report = progress_bar(st, "Training", unit="learning rate")
            ratios = within_cap(lambda: learning_speed(setup, run.dataset, report)[1])
            bar.empty()
            measured = st.session_state[done_key] = (setup, run, ratios) if ratios is not None else None
        if measured is not None:
            ratio_metrics(measured[2], setup, "This experiment")

