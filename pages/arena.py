"""Training Arena: several activations trained side by side, live, on identical data, seeds and batches."""

import streamlit as st

from core.experiment import Experiment
from core.history import thin
from pages.ui import arena_views as views
from pages.ui.controls import dataset_controls, network_controls, training_controls
from pages.ui.presenter import presenting
from pages.ui.session import live_run, transport

RUN_KEY = "arena.run"
PLAYING_KEY = "arena.playing"
TICK_SECONDS = 0.2  # engine time per redraw while playing: a few redraws a second
DETAILS_EVERY = 1.0  # seconds between redraws of the per-layer charts and decision surfaces while playing

st.title("Training Arena")
st.caption("Every activation below trains on the same data, from the same initial draws and on the same "
           "batches for each seed — the only difference is the activation.")

with st.sidebar:
    with st.expander("Data", expanded=True):
        data_values = dataset_controls("arena", Experiment())
    with st.expander("Network", expanded=True):
        network_values = network_controls("arena", Experiment())
    with st.expander("Training", expanded=True):
        training_values = training_controls("arena", Experiment())

if not network_values["activations"]:
    st.info("Choose at least one activation in the sidebar to start an experiment.")
    st.stop()
try:
    experiment = Experiment(**data_values, **network_values, **training_values)
    run, changed = live_run(RUN_KEY, experiment)
except ValueError as error:
    st.error(f"These settings cannot run: {error}")
    st.stop()

if changed:
    st.session_state[PLAYING_KEY] = False
    st.toast("Settings changed: the experiment was reset to epoch 0.")
playing = st.session_state.setdefault(PLAYING_KEY, False) and not run.done
present = presenting()


transport("arena", run, playing, start_label="Play")


def live():
    """Reruns on its own while playing: trains for a small time budget, then redraws the main charts."""
    now_playing = st.session_state.get(PLAYING_KEY) and not run.done
    if now_playing:
        run.advance(TICK_SECONDS)
    views.live_view(run, thin(run.history(), 120 if now_playing else 300), present)
    if now_playing and run.done:  # the end: stop the timers and show everything, summary included
        st.session_state[PLAYING_KEY] = False
        st.rerun()


def details():
    """Per-layer charts and decision surfaces: redrawn about once a second while playing, so the browser
    spends its time on the curves a room is watching."""
    now_playing = bool(st.session_state.get(PLAYING_KEY)) and not run.done
    views.detail_view(run, thin(run.history(), 120 if now_playing else 300), present, now_playing,
                      "arena.boundaries")


st.fragment(live, run_every=0.05 if playing else None)()
st.fragment(details, run_every=DETAILS_EVERY if playing else None)()

if not playing and run.epoch > 0 and not present:
    st.subheader("Summary" if run.done else f"Summary at epoch {run.epoch}")
    table = views.summary_table(run)
    views.confusion(run, "arena.confusion")
    views.share_and_export(run, table, "arena.export")
