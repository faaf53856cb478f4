"""Pure chart builders for the signal at init (Gradient Flow's forward view): tidy DataFrame in, ``alt.Chart`` out.

Inputs come from ``core.lab.init_signal``: ``signal_frame`` (activation, init, seed, layer, mean, std, ...),
``signal_histograms`` (layer, bin_start, bin_end, count, share) and ``zero_init_symmetry`` (init, epoch, layer,
units, distinct_units, ...). Activations are coloured through the palette; init schemes are told apart by panel
(the spread) or by dash (the symmetry chart), never by an activation's colour.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from pages.ui.deep_charts import log_scale
from pages.ui.palette import ACTIVATION_TOOLTIP, NEUTRAL, activation_color, color_scale, label

PANEL_WIDTH = 110
PANEL_HEIGHT = 220
HISTOGRAM_WIDTH = 100
HISTOGRAM_HEIGHT = 90
LEGEND = alt.Legend(orient="top", symbolStrokeWidth=4, symbolOpacity=1, title=None)


def std_data(frame: pd.DataFrame, scheme_labels: dict[str, str]) -> pd.DataFrame:
    """Per (activation, init, layer): the mean, min and max over seeds of the layer's output std, with display
    labels; ``zero`` marks a std that is exactly 0 for every seed (no point on a log scale), and ``note`` numbers
    the activations of one init whose std is 0 at layer 1 (the panel's lines of text), else -1."""
    keys = ["activation", "init", "layer"]
    grouped = frame.groupby(keys, sort=False)["std"]
    data = grouped.agg(mean="mean", low="min", high="max").reset_index()
    data.insert(1, "label", data["activation"].map(label))
    data["init_label"] = data["init"].map(scheme_labels)
    data["zero"] = data["high"] == 0
    first = data["zero"] & (data["layer"] == data["layer"].min())
    data["note"] = -1
    data.loc[first, "note"] = data[first].groupby("init").cumcount()
    return data


def std_chart(data: pd.DataFrame, names, schemes: dict[str, str]) -> alt.ConcatChart:
    """One panel per init scheme: each layer's output std against depth, a line per activation (log scale, shared
    by every panel, band = min–max over seeds). An activation whose outputs all equal f(0) has std 0 at every layer,
    which a log scale cannot show: the panel says so in words. One frame for the whole chart (each panel filters
    it), as Streamlit draws a concatenation reliably only with its data at the top."""
    positive = data[~data["zero"] & (data["mean"] > 0)]
    y_scale, y_axis = log_scale([*positive["low"][positive["low"] > 0], *positive["high"]])
    depth = int(data["layer"].max()) if len(data) else 1
    x = alt.X("layer:Q", title="hidden layer", scale=alt.Scale(domain=[1, depth], nice=False),
              axis=alt.Axis(format="d", tickMinStep=1, tickCount=4))
    color = alt.Color("label:N", scale=color_scale(names), legend=LEGEND)
    panels = []
    for i, (scheme, scheme_label) in enumerate(schemes.items()):
        own = alt.Chart().transform_filter(alt.datum.init == scheme)
        shown = own.transform_filter("!datum.zero && datum.mean > 0").encode(x=x)
        y_title = "std of the layer's outputs (log)" if i == 0 else None
        axis = y_axis if i == 0 else alt.Axis(values=y_axis.values, labels=False, ticks=False, grid=True)
        layers = [
            shown.mark_area(opacity=0.18).encode(y=alt.Y("low:Q", scale=y_scale, axis=axis, title=y_title),
                                                 y2="high:Q", color=color),
            shown.mark_line(strokeWidth=2.5).encode(
                y=alt.Y("mean:Q", scale=y_scale, axis=axis, title=y_title), color=color,
                tooltip=[ACTIVATION_TOOLTIP, alt.Tooltip("init_label:N", title="init"), "layer:Q",
                         alt.Tooltip("mean:Q", format=".3g", title="std (mean over seeds)")]),
            *(own.transform_filter(alt.datum.note == row).transform_calculate(text="datum.label + ': std 0'")
              .mark_text(align="left", baseline="top", fontSize=13, dx=6, dy=6 + 18 * row).encode(
                  x=alt.value(0), y=alt.value(0), text="text:N", color=color)
              for row in range(len(names)))]  # one line of text per activation: a yOffset channel breaks the view
        panels.append(alt.layer(*layers).properties(
            width=PANEL_WIDTH, height=PANEL_HEIGHT, title=alt.TitleParams(scheme_label, anchor="start")))
    return alt.concat(*panels, data=data, columns=len(panels)).resolve_scale(y="shared", color="shared")


def histogram_chart(histograms: pd.DataFrame, stds: pd.DataFrame, name: str, columns: int = 5) -> alt.ConcatChart:
    """CS231n's picture: one histogram per chosen layer of one network at init, in the activation's colour, each
    titled with its layer and subtitled with that layer's std (``stds``: layer, std)."""
    std_of = dict(zip(stds["layer"], stds["std"], strict=True))
    panels = []
    for layer, bars in histograms.groupby("layer", sort=True):
        subtitle = f"std {std_of.get(layer, np.nan):.2g}"
        panels.append(alt.Chart(bars).mark_rect(color=activation_color(name)).encode(
            x=alt.X("bin_start:Q", title=None, scale=alt.Scale(zero=False, nice=False),
                    axis=alt.Axis(format="~g", labelOverlap=True, tickCount=3)),
            x2="bin_end:Q",
            y=alt.Y("share:Q", title=None, axis=alt.Axis(format="~%", tickCount=3)),
            y2=alt.datum(0),
            tooltip=[alt.Tooltip("bin_start:Q", format=".3g", title="from"),
                     alt.Tooltip("bin_end:Q", format=".3g", title="to"), alt.Tooltip("share:Q", format=".1%")],
        ).properties(width=HISTOGRAM_WIDTH, height=HISTOGRAM_HEIGHT, title=alt.TitleParams(
            f"layer {layer}", subtitle=subtitle, anchor="start")))
    return alt.concat(*panels, columns=columns)


def symmetry_chart(frame: pd.DataFrame, name: str, scheme_labels: dict[str, str]) -> alt.Chart:
    """Distinct units per hidden layer over training, one line per (init, layer): zero init in the activation's
    colour, the control in grey, layers told apart by dash."""
    data = frame.assign(init_label=frame["init"].map(scheme_labels), layer_label="layer " + frame["layer"].astype(str))
    inits = list(dict.fromkeys(data["init_label"]))
    colors = [activation_color(name) if init == scheme_labels.get("zero") else NEUTRAL for init in inits]
    units = int(frame["units"].max()) if len(frame) else 1
    ticks = sorted({1, *range(0, units + 1, max(1, units // 4))} - {0})
    return alt.Chart(data).mark_line(strokeWidth=3).encode(
        x=alt.X("epoch:Q", title="epoch", axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("distinct_units:Q", title="distinct units in the layer", scale=alt.Scale(domain=[0, units]),
                axis=alt.Axis(values=ticks)),
        color=alt.Color("init_label:N", scale=alt.Scale(domain=inits, range=colors),
                        legend=alt.Legend(orient="top", title="init", symbolStrokeWidth=4,
                                          symbolType="stroke")),
        strokeDash=alt.StrokeDash("layer_label:N", legend=alt.Legend(orient="top", title=None,
                                                                      symbolType="stroke", symbolStrokeWidth=3)),
        detail="layer_label:N",
        tooltip=[alt.Tooltip("init_label:N", title="init"), "layer:Q", "epoch:Q", "distinct_units:Q", "units:Q",
                 alt.Tooltip("spread:Q", format=".3g")],
    ).properties(height=300, title=alt.TitleParams(
        f"{label(name)}: how many of a layer's {units} units differ", anchor="start", color=activation_color(name)))
