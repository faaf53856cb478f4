"""Pure chart builders for activation functions: tidy DataFrame in, ``alt.Chart`` out.

Inputs are the long-form frames of ``core.probe``. Every chart colours activations through
``pages.ui.palette.color_scale`` so an activation looks the same everywhere, and every chart has
axis titles and a legend (or a title naming its one activation).
"""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt
import pandas as pd

from core.probe import DERIVATIVE, FUNCTION
from pages.ui.palette import NEUTRAL, color_scale, label

X_TITLE = "x (pre-activation)"


def with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame plus a ``label`` column with each activation's display label (the legend's text)."""
    return frame.assign(label=frame["activation"].map(label))


def _names(*frames: pd.DataFrame | None) -> list[str]:
    """Activation names in order of first appearance across frames."""
    names: list[str] = []
    for frame in frames:
        if frame is not None and not frame.empty:
            names.extend(frame["activation"].tolist())
    return list(dict.fromkeys(names))


def _color(names: Iterable[str], legend: bool = True) -> alt.Color:
    return alt.Color(
        "label:N",
        scale=color_scale(names),
        title="Activation",
        legend=alt.Legend(orient="top", symbolStrokeWidth=4, labelFontSize=13, titleFontSize=13)
        if legend
        else None,
    )


def saturation_band_layer(bands: pd.DataFrame, names: Iterable[str], opacity: float = 0.14) -> alt.Chart:
    """Shaded x-stretches (columns activation, start, end) where an activation's |f′(x)| is tiny.

    Tinted with the activation's colour; spans the full height of the chart it is layered on.
    """
    return (
        alt.Chart(with_labels(bands))
        .mark_rect(opacity=opacity)
        .encode(
            x=alt.X("start:Q"),
            x2="end:Q",
            color=_color(names, legend=False),
            tooltip=[
                alt.Tooltip("label:N", title="Saturates"),
                alt.Tooltip("start:Q", title="from x", format=".2f"),
                alt.Tooltip("end:Q", title="to x", format=".2f"),
            ],
        )
    )


def _reference_rules() -> list[alt.Chart]:
    """Thin axes through the origin, so 'above zero' and 'left of zero' read at a glance."""
    origin = pd.DataFrame({"zero": [0.0]})
    return [
        alt.Chart(origin).mark_rule(color=NEUTRAL, strokeWidth=1).encode(x="zero:Q"),
        alt.Chart(origin).mark_rule(color=NEUTRAL, strokeWidth=1).encode(y="zero:Q"),
    ]


def curve_chart(
    curves: pd.DataFrame,
    function: str = FUNCTION,
    bands: pd.DataFrame | None = None,
    x_domain: tuple[float, float] | None = None,
    height: int = 340,
    title: str | None = None,
) -> alt.LayerChart:
    """One panel of ``core.probe.curves``: f(x) or f′(x) against x, one line per activation.

    ``bands`` (from ``core.probe.saturation_bands``) are shaded underneath. Lines are split into
    the curve's continuous pieces, so ReLU's derivative shows a jump at 0, not a steep slope.
    """
    if function not in (FUNCTION, DERIVATIVE):
        raise ValueError(f"function must be {FUNCTION!r} or {DERIVATIVE!r}, got {function!r}.")
    panel = curves[curves["function"] == function]
    names = _names(panel, bands)
    if x_domain is None:
        x_domain = (float(panel["x"].min()), float(panel["x"].max())) if not panel.empty else (-1.0, 1.0)
    x_scale = alt.Scale(domain=list(x_domain), nice=False, zero=False)
    title = title or ("Function f(x)" if function == FUNCTION else "Derivative f′(x)")

    lines = (
        alt.Chart(with_labels(panel))
        .mark_line(strokeWidth=3, clip=True)
        .encode(
            x=alt.X("x:Q", title=X_TITLE, scale=x_scale),
            y=alt.Y("value:Q", title=function),
            color=_color(names),
            detail="piece:N",
            tooltip=[
                alt.Tooltip("label:N", title="Activation"),
                alt.Tooltip("x:Q", format=".3f"),
                alt.Tooltip("value:Q", title=function, format=".4f"),
            ],
        )
    )
    layers = []
    if bands is not None and not bands.empty:
        layers.append(saturation_band_layer(bands, names))
    if x_domain[0] <= 0 <= x_domain[1]:
        layers.extend(_reference_rules())
    layers.append(lines)
    return alt.layer(*layers).properties(title=title, height=height)


def batch_histogram_chart(histogram: pd.DataFrame, height: int = 200, title: str | None = None) -> alt.Chart:
    """Output histogram of a batch (from ``core.probe.batch_response(...).histogram``).

    The y axis is the share of the whole batch per bin, so ReLU's exact zeros show as one tall bar at
    0. Several activations overlap translucently; a single one gets its label as the title.
    """
    names = _names(histogram)
    single = len(names) == 1
    chart = (
        alt.Chart(with_labels(histogram))
        .mark_bar(opacity=0.85 if single else 0.5, binSpacing=0)
        .encode(
            x=alt.X("bin_start:Q", title="output f(x)", scale=alt.Scale(zero=False, nice=False)),
            x2="bin_end:Q",
            # An explicit baseline keeps the bars vertical: with x and x2 set, Vega-Lite would lay them flat.
            y=alt.Y("fraction:Q", title="share of batch", axis=alt.Axis(format="%"), stack=None),
            y2=alt.datum(0),
            color=_color(names, legend=not single),
            tooltip=[
                alt.Tooltip("label:N", title="Activation"),
                alt.Tooltip("bin_start:Q", title="from", format=".3f"),
                alt.Tooltip("bin_end:Q", title="to", format=".3f"),
                alt.Tooltip("fraction:Q", title="share", format=".2%"),
            ],
        )
    )
    if title is None and single:
        title = label(names[0])
    return chart.properties(height=height, title=title) if title else chart.properties(height=height)
