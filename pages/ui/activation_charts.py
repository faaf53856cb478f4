"""Pure chart builders for activation functions: tidy DataFrame in, ``alt.Chart`` out.

Inputs are the long-form frames of ``core.lab.explorer``. Every chart colours activations through
``pages.ui.palette.color_scale`` so an activation looks the same everywhere, and every chart has
axis titles and a legend (or a title naming its one activation).
"""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt
import pandas as pd

from core.lab.explorer import DERIVATIVE, FUNCTION
from pages.ui.palette import NEUTRAL, color_scale, label

X_TITLE = "x (pre-activation)"
LEGEND_COLUMNS = 3
LEGEND_ROW_HEIGHT = 21  # pixels one extra legend row takes


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
    names = list(names)
    return alt.Color(
        "label:N",
        scale=color_scale(names),
        title="Activation",
        # Rows of at most three entries: one long top row would run past a half-width panel.
        legend=alt.Legend(
            orient="top",
            columns=min(len(names), LEGEND_COLUMNS) or 1,
            symbolStrokeWidth=4,
        )
        if legend
        else None,
    )


def saturation_band_layer(
    bands: pd.DataFrame,
    names: Iterable[str],
    x_domain: tuple[float, float] | None = None,
    opacity: float = 0.1,
) -> alt.LayerChart:
    """Shaded x-stretches (columns activation, start, end) where an activation's |f′(x)| is tiny.

    Each band is tinted with its activation's colour and spans the full height of the chart it is
    layered on. Its edges inside ``x_domain`` get a dashed line in the same colour, so overlapping
    bands (sigmoid's and tanh's) still read apart.
    """
    names = list(names)
    labelled = with_labels(bands)
    tooltip = [
        alt.Tooltip("label:N", title="Saturates"),
        alt.Tooltip("start:Q", title="from x", format=".2f"),
        alt.Tooltip("end:Q", title="to x", format=".2f"),
    ]
    shading = (
        alt.Chart(labelled)
        .mark_rect(opacity=opacity)
        .encode(x=alt.X("start:Q"), x2="end:Q", color=_color(names, legend=False), tooltip=tooltip)
    )
    low, high = x_domain if x_domain is not None else (float("-inf"), float("inf"))
    edges = pd.concat(
        [
            labelled.loc[labelled["start"] > low, ["label", "start"]].rename(columns={"start": "edge"}),
            labelled.loc[labelled["end"] < high, ["label", "end"]].rename(columns={"end": "edge"}),
        ],
        ignore_index=True,
    )
    edge_lines = (
        alt.Chart(edges)
        .mark_rule(strokeDash=[5, 4], strokeWidth=1.5, opacity=0.9)
        .encode(
            x=alt.X("edge:Q"),
            color=_color(names, legend=False),
            tooltip=[alt.Tooltip("label:N", title="Saturation edge"), alt.Tooltip("edge:Q", title="x", format=".2f")],
        )
    )
    return alt.layer(shading, edge_lines)


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
    height: int = 420,
    title: str | None = None,
) -> alt.LayerChart:
    """One panel of ``core.lab.explorer.curves``: f(x) or f′(x) against x, one line per activation.

    ``bands`` (from ``core.lab.explorer.saturation_bands``) are shaded underneath. Lines are split into
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
            # A few pixels of headroom, so a curve along the top of the range (ReLU's f′ = 1) stays visible.
            y=alt.Y("value:Q", title=function, scale=alt.Scale(padding=8)),
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
        layers.append(saturation_band_layer(bands, names, x_domain))
    if x_domain[0] <= 0 <= x_domain[1]:
        layers.extend(_reference_rules())
    layers.append(lines)
    if function == DERIVATIVE:
        layers.append(_convention_points(panel, names))
    # Independent legends: only the lines draw one, so its symbols are solid strokes, not pale bands.
    # Each extra legend row takes room from the plot inside the fixed height, so give it back.
    legend_rows = max(1, -(-len(names) // LEGEND_COLUMNS))
    return (
        alt.layer(*layers)
        .resolve_legend(color="independent")
        .properties(title=title, height=height + LEGEND_ROW_HEIGHT * (legend_rows - 1))
    )


def _convention_points(derivative: pd.DataFrame, names: list[str]) -> alt.Chart:
    """A dot at f′(0) for curves that jump at 0 (ReLU, Leaky ReLU): the value our convention picks."""
    jumps = derivative.groupby("activation")["piece"].transform("max") > 0
    at_zero = derivative[jumps & (derivative["x"] == 0)]
    return (
        alt.Chart(with_labels(at_zero))
        .mark_point(filled=True, size=80, opacity=1)
        .encode(
            x="x:Q",
            y="value:Q",
            color=_color(names, legend=False),
            tooltip=[
                alt.Tooltip("label:N", title="Activation"),
                alt.Tooltip("value:Q", title="f′(0), by convention", format="g"),
            ],
        )
    )


def batch_histogram_chart(histogram: pd.DataFrame, height: int = 200, title: str | None = None) -> alt.Chart:
    """Output histogram of a batch (from ``core.lab.explorer.batch_response(...).histogram``).

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
