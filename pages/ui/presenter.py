"""Presenter mode, for a projector at 1280×720: ``?mode=present`` (or P, or the sidebar's button) collapses the
sidebar, trims page headers, enlarges text, lines and chart text for the back row, and pages lay out their main
chart and its number in one screen.

Also here: what every page shows the same way, presenting or not — each activation's chip in its own colour.
"""

from __future__ import annotations

import altair as alt
import streamlit as st

from core.engine.mlp import HIDDEN_CHOICES
from pages.ui.palette import activation_color, label
from pages.ui.training_charts import HEIGHT

PARAM, VALUE = "mode", "present"
KEY = "presenter.switch"
SHORTCUT = "P"

# Static CSS (never user text): larger type, less chrome above the page, more room for the charts.
PRESENTER_CSS = """
<style>
  html, body, [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 20px; }
  [data-testid="stMainBlockContainer"] { max-width: 100%; padding: 2.1rem 1.6rem 1rem 1.6rem; }
  [data-testid="stHeader"], [data-testid="stToolbar"] { background: transparent; pointer-events: none; }
  [data-testid="stHeader"] button, [data-testid="stHeader"] a { pointer-events: auto; }
  h1 { font-size: 1.9rem !important; padding: 0 0 0.2rem 0 !important; }
  h3 { font-size: 1.45rem !important; }
  [data-testid="stProgress"] p { font-size: 1.35rem; font-weight: 600; }
  button p { font-size: 1.15rem; }
  [data-testid="stCaptionContainer"] p { font-size: 1.05rem; }
  [data-testid="stMetricValue"], [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
    font-size: 2.1rem; font-weight: 600; }
  /* Every tab in view (the 12 lessons fit one row at 1280 px): a hidden tab may be the one that is open. */
  [data-testid="stTabs"] [role="tablist"] { flex-wrap: wrap; column-gap: 12px; }
  [data-testid="stTab"] [data-testid="stMarkdownContainer"] p { font-size: 16px !important; }
</style>
"""

# Every chart's text sizes off the projector. Charts leave them to the config, so one place sets them and the
# presenter's sizes below replace them (a size set in a chart itself would stay small on the projector).
BASE_CHART_CONFIG = {"legend": {"labelFontSize": 13, "titleFontSize": 13},
                     "title": {"fontSize": 15, "subtitleFontSize": 12}}

# Vega-Lite text sizes for the back row, merged into every chart's config while presenting.
CHART_CONFIG = {
    "axis": {"labelFontSize": 16, "titleFontSize": 17},
    "legend": {"labelFontSize": 16, "titleFontSize": 16, "symbolSize": 160, "labelLimit": 260},
    "title": {"fontSize": 19, "subtitleFontSize": 15},
    "header": {"labelFontSize": 16, "titleFontSize": 16},
}

LINE_WIDTH = {False: 2.5, True: 4.0}
CHART_HEIGHT = {False: HEIGHT, True: 270}  # presenting, curves and boundaries share one 720-pixel screen


def merged_config(config: dict, extra: dict) -> dict:
    """``config`` with ``extra`` merged in, one level deep (axis, legend, title...)."""
    out = dict(config)
    for key, value in extra.items():
        out[key] = {**out.get(key, {}), **value} if isinstance(value, dict) else value
    return out


def chart_config(present: bool) -> dict:
    """The config every chart gets: its text sizes, larger for the back row while presenting."""
    return merged_config(BASE_CHART_CONFIG, CHART_CONFIG) if present else BASE_CHART_CONFIG


def projected(chart: alt.TopLevelMixin, present: bool) -> alt.TopLevelMixin:
    """The chart with ``chart_config(present)`` merged into its own config."""
    chart = chart.copy()
    config = chart.config.to_dict() if chart.config is not alt.Undefined else {}
    chart.config = alt.Config(**merged_config(config, chart_config(present)))
    return chart


def for_projector(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart with axis, legend and title text large enough for the back row."""
    return projected(chart, True)


def presenting() -> bool:
    return st.query_params.get(PARAM) == VALUE


def _switch() -> None:
    if presenting():
        del st.query_params[PARAM]
    else:
        st.query_params[PARAM] = VALUE


def _readable(hex_color: str) -> str:
    """Black or white text, whichever reads better on ``hex_color`` (WCAG relative luminance)."""
    channels = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if luminance > 0.28 else "#FFFFFF"


def chip_css() -> str:
    """Each chosen activation's chip in its own palette colour, on every page (static CSS from the palette)."""
    rules = [f'[data-testid="stMultiSelect"] span[data-tag][aria-label="{label(name)}"] {{ '
             f"background-color: {activation_color(name)} !important; color: {_readable(activation_color(name))} "
             "!important; }" for name in HIDDEN_CHOICES]
    rules.append('[data-testid="stMultiSelect"] span[data-tag] button { color: inherit !important; }')
    rules.append('[data-testid="stMultiSelectTagsContainer"] { max-height: none !important; flex-wrap: wrap; }')
    return "<style>\n" + "\n".join(rules) + "\n</style>"


def apply_presenter_mode() -> bool:
    """Called by every page first (``page_shell``): the switch (button and P key), the chip colours, and the
    presenter styling when it is on."""
    on = presenting()
    if on:
        st.set_page_config(initial_sidebar_state="collapsed")
        st.html(PRESENTER_CSS)
    st.html(chip_css())
    st.sidebar.button("Leave presenter mode" if on else "Presenter mode", key=KEY, on_click=_switch,
                      icon=":material/co_present:", shortcut=SHORTCUT, width="stretch",
                      help="For a projector: larger text and charts, each page's story in one screen. Key: P. "
                           "Same as adding ?mode=present to the link.")
    return on
