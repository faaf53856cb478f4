"""Linear Regions: a ReLU network is piecewise linear; see its regions in the input plane while it learns."""

import streamlit as st

from core.lab.linear_regions import RegionRun
from core.settings import REGIONS, regions_experiment
from pages.ui import region_views as views
from pages.ui.notices import ignored_link_notice
from pages.ui.session import live_run, redraws, transport
from pages.ui.settings_form import SettingsForm
from pages.ui.shell import page_header, page_shell

present = page_shell()

PREFIX = "regions"
RUN_KEY = "regions.run"
PLAYING_KEY = "regions.playing"
REDRAW_EVERY = 1.0  # seconds between redraws while the engine trains: each redraw maps every network anew


TITLE = "Linear Regions"
if not present:  # presenting, the title shares the transport's row
    page_header(
        TITLE,
        "A ReLU network is one affine function on each region of its input where no unit switches on or "
        "off. Every activation below trains on the same data, from the same initial draws and on the same "
        "batches.",
        present,
    )

form = SettingsForm(PREFIX, REGIONS, validate=regions_experiment)
form.panels_later(st.sidebar, {"Data": "data", "Network": "network", "Training": "training"})  # after the maps
values = form.finish()
ignored_link_notice(form.ignored)

if not values["activations"]:
    st.info("Choose at least one activation in the sidebar to draw its map.")
    form.stop()
try:
    run, changed = live_run(RUN_KEY, regions_experiment(values), kind=RegionRun)
except ValueError as error:
    st.error(f"These settings cannot run: {error}")
    form.stop()
if changed:
    form.forget_ignored()
    st.session_state[PLAYING_KEY] = False
    st.toast("Settings changed: the experiment was reset to epoch 0.")
playing = st.session_state.setdefault(PLAYING_KEY, False) and not run.done


def live() -> None:
    """Reruns on its own while playing: one redraw of the maps and counts per run."""
    counter = status.empty() if present else None  # presenting, the counter shares the transport's row
    for _ in redraws(PREFIX, run, REDRAW_EVERY):  # ends with the page's rerun once the run is done
        views.live_maps(run, present, counter)


status = transport(PREFIX, run, playing, start_label="Train", title=TITLE if present else None)
st.fragment(live, run_every=REDRAW_EVERY if playing else None)()
form.draw_panels()

why = st.container()  # the explanation quotes the sweep's numbers: drawn here, once the sweep below has them
data = (values["dataset"], values["n_samples"], values["noise"], values["test_size"], values["first_seed"])
sweep, trained = views.sweep_section(form, data, present)
with why:
    views.explanation(run, sweep, trained)
views.line_section(form, present)
