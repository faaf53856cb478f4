"""Presenter mode: for a projector. ``?mode=present`` (or the sidebar toggle) collapses the sidebar,
enlarges text and lines, and pages show their main charts only."""

from __future__ import annotations

import altair as alt
import streamlit as st

PARAM, VALUE = "mode", "present"

# Static CSS (never user text): larger type and a little more room for a room of 50 people.
PRESENTER_CSS = """
<style>
  html, body, [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 21px; }
  [data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 2.5rem; padding-right: 2.5rem;
                                         padding-top: 3rem; }
  h1 { font-size: 2.9rem !important; }
  [data-testid="stProgress"] p { font-size: 1.5rem; font-weight: 600; }
  [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p { font-size: 2.4rem; font-weight: 600; }
  button p { font-size: 1.2rem; }
</style>
"""


def presenting() -> bool:
    return st.query_params.get(PARAM) == VALUE


def _toggle_changed() -> None:
    if st.session_state["presenter.toggle"]:
        st.query_params[PARAM] = VALUE
    elif PARAM in st.query_params:
        del st.query_params[PARAM]


def apply_presenter_mode() -> bool:
    """Called once by app.py before the page runs: the toggle, and the styling when it is on."""
    on = presenting()
    if on:
        st.set_page_config(initial_sidebar_state="collapsed")
        st.html(PRESENTER_CSS)
    st.sidebar.toggle("Presenter mode", value=on, key="presenter.toggle", on_change=_toggle_changed,
                      help="For a projector: larger text and lines, the main charts only. Same as ?mode=present.")
    return on


LINE_WIDTH = {False: 2.5, True: 4.5}
CHART_HEIGHT = {False: 290, True: 380}


def for_projector(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart with axis, legend and title text large enough for the back row (presenter mode)."""
    return (chart.configure_axis(labelFontSize=16, titleFontSize=17).configure_legend(labelFontSize=16)
            .configure_title(fontSize=20))


def projected(chart: alt.TopLevelMixin, present: bool) -> alt.TopLevelMixin:
    """``for_projector(chart)`` when presenting, else the chart as it is."""
    return for_projector(chart) if present else chart
