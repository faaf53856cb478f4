"""Drawing charts: live pages build each chart's spec once and then send only fresh data (``draw``); every chart,
live or not, gets the presenter's larger text while presenting (``show``)."""

from __future__ import annotations

from collections.abc import Callable, Hashable

import altair as alt
import pandas as pd
import streamlit as st

from pages.ui.presenter import chart_config, merged_config, presenting, projected
from pages.ui.training_charts import spec_without_data, used_columns

SPECS_KEY = "render.specs"
# Vega draws these charts on a canvas rather than in SVG: redrawing a few times a second, Chromium keeps up with
# more updates (measured on the playing Arena). The chart toolbar still downloads a PNG.
CANVAS = {"embedOptions": {"renderer": "canvas"}}
# ARIA attributes exist only in SVG output; on a canvas, the per-mark "description" Vega computes for them (a
# string built with several format() calls for every point of every curve, through Streamlit's expression
# interpreter, on every redraw) is never used. In a CDP profile of the playing Arena it was a quarter of the time
# spent in that interpreter.
NO_ARIA = {"aria": False}


def draw(container, key: Hashable, data: pd.DataFrame, make_chart: Callable[[pd.DataFrame], alt.TopLevelMixin],
         width: str = "stretch") -> None:
    """Draw ``make_chart(data)`` in ``container``; the spec is cached per session under ``key``, and only the
    columns it uses are sent.

    ``key`` must name everything the spec depends on besides the data (chart, activations, epochs,
    band and point flags), so that a cached spec is always the one ``make_chart`` would build.
    """
    specs: dict = st.session_state.setdefault(SPECS_KEY, {})
    present = presenting()
    if (key, present) not in specs:
        if len(specs) > 256:  # a long session with many experiments: forget the old specs
            specs.clear()
        spec = spec_without_data(make_chart(data.head(0)))
        config = merged_config(spec.get("config", {}), {**NO_ARIA, **chart_config(present)})
        specs[key, present] = {**spec, "config": config, "usermeta": CANVAS}
    spec = specs[key, present]
    container.vega_lite_chart(used_columns(data, spec), spec, width=width)


def show(container, chart: alt.TopLevelMixin, **kwargs) -> None:
    """``container.altair_chart(chart)``, with the presenter's larger chart text while presenting."""
    container.altair_chart(projected(chart, presenting()), **kwargs)
