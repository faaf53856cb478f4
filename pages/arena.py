"""Training Arena: several activations trained side by side, live, on identical data, seeds and batches."""

import streamlit as st

from core.settings import ARENA, UPLOAD, Experiment
from pages.ui import arena_views as views
from pages.ui.estimate import run_estimate
from pages.ui.learning_speed_view import arena_section as learning_speed_section
from pages.ui.notices import ignored_link_notice
from pages.ui.open_files import open_config, open_weights
from pages.ui.session import live_run, redraws, transport
from pages.ui.settings_form import SettingsForm
from pages.ui.shell import page_header, page_shell
from pages.ui.upload import upload_controls

present = page_shell()

PREFIX = "arena"
RUN_KEY = "arena.run"
PLAYING_KEY = "arena.playing"
REDRAW_EVERY = 0.25  # seconds between redraws of the main charts while the engine trains in the background
# Seconds one run of the live fragment lasts while playing, redrawing every REDRAW_EVERY (session.redraws): each
# fragment run costs Streamlit's server and the browser a page's worth of work on top of the charts. Against one
# run per redraw, the default experiment played to its end at 1.6x the engine's time instead of 2.1x, with
# Chromium sharing this VM's 2 cores (medians of 10 runs alternated between the two versions); 2 s gained no more.
FRAGMENT_SECONDS = 1.0

TITLE = "Training Arena"
if not present:  # presenting, the title shares the transport's row: the room needs the charts' height
    page_header(TITLE, "Every activation below trains on the same data, from the same initial draws and on the "
                       "same batches for each seed — the only difference is the activation.", present)

form = SettingsForm(PREFIX, ARENA, validate=lambda values: Experiment(**values))
with st.sidebar:
    boxes = form.panels(st.sidebar, {"Data": "data", "Network": "network", "Training": "training", "View": "view"})
    open_config(PREFIX, ARENA)
values = form.finish()
ignored_link_notice(form.ignored)

uploaded, upload_facts = None, {}
if values["dataset"] == UPLOAD:
    with boxes["data"]:
        uploaded, upload_facts = upload_controls(PREFIX, values["test_size"], values["first_seed"])

if not values["activations"]:
    st.info("Choose at least one activation in the sidebar to start an experiment.")
    st.stop()
if values["dataset"] == UPLOAD and uploaded is None:
    run, changed = st.session_state.get(RUN_KEY), False  # a bad or missing file keeps the previous experiment
    if run is None:
        st.info("Upload a CSV file in the sidebar's Data panel to train on your own table.")
        st.stop()
    st.info("No usable CSV yet (see the Data panel in the sidebar): the previous experiment stays below.")
else:
    try:
        experiment = Experiment(**values)
        run, changed = live_run(RUN_KEY, experiment, dataset=uploaded, dataset_key=upload_facts.get("key"))
    except ValueError as error:
        st.error(f"These settings cannot run: {error}")
        st.stop()

if changed:
    form.forget_ignored()  # new settings: the link's ignored ones no longer matter
    st.session_state[PLAYING_KEY] = False
    st.toast("Settings changed: the experiment was reset to epoch 0.")
playing = st.session_state.setdefault(PLAYING_KEY, False) and not run.done


status = transport("arena", run, playing, start_label="Play", title=TITLE if present else None,
                   estimate=None if playing else run_estimate(run))
live_area = st.container()  # the counter and curves go here; their fragment runs last (see the end)


def live():
    """Reruns on its own while playing: keeps the background training going and redraws the counter and main
    charts from its history so far, several times per run. The engine never waits for the browser."""
    slots = views.live_slots(status if present else None)
    time_left = status.empty()  # beside the transport: the time left of a long run, at its pace so far
    for now_playing in redraws("arena", run, REDRAW_EVERY, FRAGMENT_SECONDS):  # ends with the page's rerun
        with run.frozen():  # one consistent epoch on every chart; the engine waits the few ms this takes
            views.live_view(run, present, now_playing, slots)
        left = run_estimate(run, playing=True) if now_playing else None
        if left:
            time_left.caption(f":material/schedule: {left}")
        else:
            time_left.empty()


def details():
    """Per-layer charts and decision surfaces: redrawn every ``DETAILS_EVERY`` seconds while playing, so the browser
    spends its time on the curves a room is watching."""
    now_playing = bool(st.session_state.get(PLAYING_KEY)) and not run.done
    views.detail_view(run, present, now_playing, "arena.details")


st.fragment(details, run_every=views.DETAILS_EVERY if playing else None)()

if not playing and run.epoch > 0 and not present:
    st.subheader("Summary" if run.done else f"Summary at epoch {run.epoch}")
    table = views.summary_table(run)
    if run.done:
        learning_speed_section(run, table, "arena.learning_speed")
    views.confusion(run, "arena.confusion")
    views.share_and_export(run, table, "arena.export")
if not present:
    open_weights("arena.open_weights")

with live_area:  # last: while playing, its first run goes on redrawing after the rest of the page is drawn
    st.fragment(live, run_every=FRAGMENT_SECONDS if playing else None)()
