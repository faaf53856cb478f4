"""Pure chart builders for the Linear Regions page: tidy DataFrame in, ``alt.Chart`` out.

Maps of the plane come from ``core.lab.linear_regions.plane`` (one row per grid cell, x varying fastest) and are
drawn as one PNG each (like the Arena's decision surfaces, through ``training_charts.boundary_view``):

* a **region map** gives every linear region a colour made from its stable key (random-looking, the same at every
  epoch for the same activation pattern), draws region boundaries in dark grey and the decision boundary in black;
* a **gradient-change map** (for any network; the page uses it for tanh and sigmoid) is white where the
  input-gradient equals its neighbours' exactly and otherwise darker the faster it changes (log scale), with the
  decision boundary in black.

Counts over training, the depth sweep and the 1-D fit are line charts coloured by activation through the palette;
the bounds, which belong to no activation, are neutral grey.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from pages.ui.deep_charts import log_scale
from pages.ui.palette import ACTIVATION_TOOLTIP, NEUTRAL, activation_color, color_scale, label
from pages.ui.training_charts import boundary_view, png_data_uri

EDGE = np.array([70, 70, 70], dtype=float)  # region boundaries: dark grey
DECISION = np.array([0, 0, 0], dtype=float)  # the decision boundary: black, two cells wide
# White (unchanged) to a dark purple through orange: a sequential ramp for how fast the gradient changes.
CHANGE_RAMP = np.array([[255, 236, 179], [253, 174, 97], [215, 48, 39], [116, 21, 99], [45, 0, 75]], dtype=float)
LEGEND = alt.Legend(orient="top", symbolStrokeWidth=4, symbolOpacity=1, title=None, labelLimit=300)
HEIGHT = 300


def _square(values: np.ndarray) -> np.ndarray:
    n = int(round(np.sqrt(len(values))))
    if n * n != len(values) or n < 2:
        raise ValueError("A plane map must be a square grid of at least 2 × 2 cells.")
    return values.reshape(n, n)


def region_colors(keys: np.ndarray) -> np.ndarray:
    """An RGB colour per region key: a hue and a light, soft tone from the key's bits, so neighbouring regions
    almost always differ and a region keeps its colour while it exists."""
    keys = np.asarray(keys, dtype=np.int64) & 0xFFFFFFFF
    hue = (keys % 360) / 60.0
    saturation = 0.45 + 0.35 * ((keys >> 9) % 16) / 15
    lightness = 0.62 + 0.22 * ((keys >> 13) % 16) / 15
    chroma = (1 - np.abs(2 * lightness - 1)) * saturation
    x = chroma * (1 - np.abs(hue % 2 - 1))
    sector = hue.astype(int) % 6
    zero = np.zeros_like(chroma)
    rgb = np.select([sector[:, None] == k for k in range(6)],
                    [np.stack(parts, axis=1) for parts in ((chroma, x, zero), (x, chroma, zero), (zero, chroma, x),
                                                            (zero, x, chroma), (x, zero, chroma), (chroma, zero, x))])
    return 255 * (rgb + (lightness - chroma / 2)[:, None])


def _edges(grid: np.ndarray, width: int = 1) -> np.ndarray:
    """Cells whose value differs from the next cell along either axis, widened to ``width`` cells."""
    edge = np.zeros(grid.shape, dtype=bool)
    edge[:, :-1] |= grid[:, 1:] != grid[:, :-1]
    edge[:-1, :] |= grid[1:, :] != grid[:-1, :]
    for _ in range(width - 1):
        grown = edge.copy()
        grown[:, 1:] |= edge[:, :-1]
        grown[1:, :] |= edge[:-1, :]
        edge = grown
    return edge


def _image(rgb: np.ndarray) -> np.ndarray:
    """(rows, cols, 3) floats, row 0 = lowest y, as an RGBA uint8 image with its top row first."""
    rgba = np.concatenate([np.clip(np.rint(rgb), 0, 255), np.full(rgb.shape[:2] + (1,), 255.0)], axis=2)
    return rgba.astype(np.uint8)[::-1]


def region_rgba(frame: pd.DataFrame) -> np.ndarray:
    """The region map of a piecewise-linear network's ``plane`` frame as an RGBA image."""
    keys = _square(frame["region"].to_numpy())
    rgb = region_colors(keys.ravel()).reshape(*keys.shape, 3)
    rgb[_edges(keys)] = EDGE
    rgb[_edges(_square(frame["predicted"].to_numpy()), width=2)] = DECISION
    return _image(rgb)


def change_rgba(frame: pd.DataFrame) -> np.ndarray:
    """The gradient-change map of a ``plane`` frame as an RGBA image: white where the change is exactly 0, else
    the ramp on a log scale from the 2nd to the 99th percentile of the non-zero changes."""
    change = _square(frame["change"].to_numpy(dtype=float))
    rgb = np.full(change.shape + (3,), 255.0)
    moving = np.isfinite(change) & (change > 0)
    if moving.any():
        logs = np.log10(change[moving])
        low, high = np.percentile(logs, [2, 99])
        position = np.clip((logs - low) / (high - low) if high > low else np.ones_like(logs), 0, 1)
        steps = position * (len(CHANGE_RAMP) - 1)
        below = np.minimum(steps.astype(int), len(CHANGE_RAMP) - 2)
        share = (steps - below)[:, None]
        rgb[moving] = CHANGE_RAMP[below] * (1 - share) + CHANGE_RAMP[below + 1] * share
    rgb[_edges(_square(frame["predicted"].to_numpy()), width=2)] = DECISION
    return _image(rgb)


def map_data(frame: pd.DataFrame, kinked: bool) -> pd.DataFrame:
    """One image row for ``boundary_view``: the map's extent and PNG (a region map when ``kinked``, else a
    gradient-change map)."""
    image = region_rgba(frame) if kinked else change_rgba(frame)
    return pd.DataFrame({"x": [frame["x"].min()], "x2": [frame["x2"].max()], "y": [frame["y"].min()],
                         "y2": [frame["y2"].max()], "url": [png_data_uri(image)], "kind": ["surface"]})


def plane_map(frame: pd.DataFrame, name: str, kinked: bool, title: str, size: int) -> alt.LayerChart:
    """A region map (``kinked``) or gradient-change map of one activation's network, titled in its colour."""
    return boundary_view(map_data(frame, kinked), [], name, title, size, legend=False).properties(
        title=alt.TitleParams(title, color=activation_color(name), anchor="middle", offset=4))


# --- counts over training ---------------------------------------------------------------------------------


def count_chart(counts: pd.DataFrame, names, epochs: int, height: int = HEIGHT) -> alt.Chart:
    """Regions on the map's grid against epoch, a line per kinked activation (its first seed)."""
    return alt.Chart(counts).mark_line(strokeWidth=3, point=alt.OverlayMarkDef(size=40)).encode(
        x=alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[0, epochs], nice=False),
                axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("regions:Q", title="linear regions on the grid", scale=alt.Scale(zero=True)),
        color=alt.Color("label:N", scale=color_scale(names), legend=LEGEND),
        tooltip=[ACTIVATION_TOOLTIP, "epoch:Q", "regions:Q"],
    ).properties(height=height, title=alt.TitleParams("Linear regions while training", anchor="start"))


# --- depth against width at a fixed number of units -------------------------------------------------------


def sweep_data(summary: pd.DataFrame, stages: dict[str, str]) -> pd.DataFrame:
    """The sweep chart's one frame from ``core.lab.linear_regions.sweep_summary``: the measured stages (renamed by
    ``stages``, in that order) and the two bounds, one row per (series, shape)."""
    shapes = summary.drop_duplicates("depth").sort_values("depth")
    shape = shapes["depth"].astype(str) + " × " + shapes["width"].astype(str)
    parts = []
    for stage, series in stages.items():
        rows = summary[summary["stage"] == stage].sort_values("depth")
        parts.append(pd.DataFrame({"shape": shape.to_numpy(), "depth": rows["depth"].to_numpy(), "series": series,
                                   "value": rows["mean"].to_numpy(), "low": rows["low"].to_numpy(),
                                   "high": rows["high"].to_numpy(), "measured": True}))
    units = int(shapes["units"].iloc[0])
    for series, column in ((f"most for one layer of {units} (Zaslavsky)", "shallow_max"),
                           ("upper bound (Serra et al. 2018)", "upper_bound")):
        if shapes[column].notna().all():
            parts.append(pd.DataFrame({"shape": shape.to_numpy(), "depth": shapes["depth"].to_numpy(),
                                       "series": series, "value": shapes[column].to_numpy(dtype=float),
                                       "low": np.nan, "high": np.nan, "measured": False}))
    return pd.concat(parts, ignore_index=True)


def sweep_chart(data: pd.DataFrame, name: str, units: int, height: int = 400) -> alt.LayerChart:
    """Regions against the shape (depth × width, equal units), log scale: the measured series in the activation's
    colour (dashes tell them apart, band = min–max over seeds) and the bounds in grey."""
    series = list(dict.fromkeys(data["series"]))
    measured = list(dict.fromkeys(data.loc[data["measured"], "series"]))
    colors = [activation_color(name) if s in measured else NEUTRAL for s in series]
    dashes = [[1, 0], [6, 3], [12, 3, 3, 3], [8, 4, 2, 4]]  # apart from the bounds' grey [3, 3] and [10, 4]
    dash = [dashes[measured.index(s) % len(dashes)] if s in measured else [3, 3] if "Zaslavsky" in s else [10, 4]
            for s in series]
    order = list(dict.fromkeys(data.sort_values("depth")["shape"]))
    x = alt.X("shape:N", sort=order, title="hidden layers × units per layer", axis=alt.Axis(labelAngle=0))
    y_scale, y_axis = log_scale([*data["value"], *data["low"].dropna(), *data["high"].dropna()])
    base = alt.Chart(data).encode(x=x)
    legend = alt.Legend(orient="top", columns=2, title=None, symbolType="stroke", symbolSize=400,
                        symbolStrokeWidth=3, symbolOpacity=1, labelLimit=360)  # opaque: the faint bands share it
    color = alt.Color("series:N", scale=alt.Scale(domain=series, range=colors), legend=legend)
    stroke_dash = alt.StrokeDash("series:N", scale=alt.Scale(domain=series, range=dash), legend=legend)
    bands = base.transform_filter(alt.datum.measured).mark_area(opacity=0.15).encode(
        y=alt.Y("low:Q", scale=y_scale, axis=y_axis), y2="high:Q", color=color, detail="series:N")
    lines = base.mark_line(strokeWidth=3, point=alt.OverlayMarkDef(size=50)).encode(
        y=alt.Y("value:Q", scale=y_scale, axis=y_axis, title="linear regions (log scale)"), color=color,
        strokeDash=stroke_dash,
        tooltip=["series:N", "shape:N", alt.Tooltip("value:Q", format=",.0f", title="regions (mean)"),
                 alt.Tooltip("low:Q", format=",.0f", title="min"), alt.Tooltip("high:Q", format=",.0f", title="max")])
    return alt.layer(bands, lines).properties(height=height, title=alt.TitleParams(
        f"{label(name)}: linear regions against depth, {units} hidden units in all", anchor="start",
        color=activation_color(name)))


# --- one input: the fitted function and its kinks ---------------------------------------------------------


def fit_data(points: pd.DataFrame, pieces: pd.DataFrame, breakpoints: pd.DataFrame) -> pd.DataFrame:
    """One frame for the 1-D chart: the data (kind "point"), the fitted function's pieces as line segments
    (kind "curve", ``piece`` numbering them) and the kinks (kind "kink": where the slope changes)."""
    ends = np.concatenate([pieces["start"].to_numpy(), pieces["end"].to_numpy()[-1:]])
    curve = pd.DataFrame({"x": ends, "kind": "curve"})
    slope = np.concatenate([pieces["slope"].to_numpy(), pieces["slope"].to_numpy()[-1:]])
    intercept = np.concatenate([pieces["intercept"].to_numpy(), pieces["intercept"].to_numpy()[-1:]])
    curve["y"] = intercept + slope * ends
    kinks = breakpoints[breakpoints["kink"]].drop_duplicates("x")
    at = np.searchsorted(pieces["start"].to_numpy(), kinks["x"].to_numpy(), side="right") - 1
    kink_rows = pd.DataFrame({"x": kinks["x"].to_numpy(), "layer": kinks["layer"].to_numpy(), "kind": "kink",
                              "y": pieces["intercept"].to_numpy()[at] + pieces["slope"].to_numpy()[at]
                              * kinks["x"].to_numpy()})
    return pd.concat([points.assign(kind="point"), curve, kink_rows], ignore_index=True)


def fit_chart(data: pd.DataFrame, name: str, title: str, height: int = HEIGHT) -> alt.LayerChart:
    """The data in grey, the fitted function in the activation's colour, every kink a vertical rule and a dot."""
    color = activation_color(name)
    base = alt.Chart(data)
    x = alt.X("x:Q", title="x (standardised)", scale=alt.Scale(nice=False))
    dots = base.transform_filter(alt.datum.kind == "point").mark_circle(size=14, color=NEUTRAL, opacity=0.5).encode(
        x=x, y=alt.Y("y:Q", title="y (standardised)"))
    rules = base.transform_filter(alt.datum.kind == "kink").mark_rule(color=color, strokeDash=[3, 3],
                                                                      opacity=0.6).encode(x=x)
    curve = base.transform_filter(alt.datum.kind == "curve").mark_line(color=color, strokeWidth=3).encode(
        x=x, y="y:Q", order="x:Q")
    kinks = base.transform_filter(alt.datum.kind == "kink").mark_point(
        filled=True, size=90, color=color, stroke="black", strokeWidth=1, opacity=1).encode(
        x=x, y="y:Q", tooltip=[alt.Tooltip("x:Q", format=".3f", title="kink at x"),
                               alt.Tooltip("layer:Q", title="unit in hidden layer")])
    return alt.layer(dots, rules, curve, kinks).properties(height=height, title=alt.TitleParams(
        title, anchor="start", color=color))
