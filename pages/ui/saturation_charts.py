"""Pure chart builders for where sigmoid saturates (Neurons' section): tidy DataFrame in, ``alt.Chart`` out.

Input: ``core.lab.saturation`` frames (activation, init, seed, epoch, layer, mean, std, low, high, saturated,
test_accuracy). One panel per (activation, init), titled in the activation's palette colour; within a panel the
layers are shades of that colour, from light (layer 1, input side) to full (the top layer), and the top layer's
2nd–98th percentile band is shaded, as in Glorot & Bengio's (2010) Figure 2.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from pages.ui.palette import activation_color, label

PANEL_WIDTH = 190
PANEL_HEIGHT = 240
RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def shade(hex_color: str, weight: float) -> str:
    """``hex_color`` mixed with white: weight 1 is the colour itself, 0 is white."""
    rgb = np.array([int(hex_color[k:k + 2], 16) for k in (1, 3, 5)], dtype=float)
    mixed = 255 - (255 - rgb) * weight
    return "#" + "".join(f"{int(round(v)):02X}" for v in mixed)


def layer_shades(name: str, depth: int) -> list[str]:
    """One colour per hidden layer: the activation's colour from 35% (layer 1) to 100% (the top layer)."""
    return [shade(activation_color(name), 0.35 + 0.65 * (layer - 1) / max(depth - 1, 1))
            for layer in range(1, depth + 1)]


def panel_title(activation: str, init: str, init_labels: dict[str, str]) -> str:
    return f"{label(activation)}, {init_labels.get(init, init)} init"


def saturation_chart(frame: pd.DataFrame, init_labels: dict[str, str], epochs: int) -> alt.HConcatChart:
    """Each hidden layer's mean output over training, one panel per (activation, init), first seed; the top layer
    also with its 2nd–98th percentile band."""
    frame = frame[frame["seed"] == frame["seed"].min()]
    depth = int(frame["layer"].max())
    panels = []
    for (activation, init), own in frame.groupby(["activation", "init"], sort=False):
        data = own.assign(layer_label="layer " + own["layer"].astype(str)
                          + np.where(own["layer"] == depth, " (top)", ""))
        layers = [f"layer {k}" + (" (top)" if k == depth else "") for k in range(1, depth + 1)]
        low, high = RANGES.get(activation, (float(data["low"].min()), float(data["high"].max())))
        x = alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[0, epochs], nice=False),
                  axis=alt.Axis(format="d", tickMinStep=1))
        y_scale = alt.Scale(domain=[low, high], nice=False)
        color = alt.Color("layer_label:N", scale=alt.Scale(domain=layers, range=layer_shades(activation, depth)),
                          legend=alt.Legend(orient="bottom", title=None, symbolStrokeWidth=6,
                                            symbolOpacity=1, columns=2, symbolType="stroke"))
        base = alt.Chart(data).encode(x=x)
        band = base.transform_filter(alt.datum.layer == depth).mark_area(opacity=0.2).encode(
            y=alt.Y("low:Q", scale=y_scale, title="mean output of the layer"), y2="high:Q", color=color)
        lines = base.mark_line(strokeWidth=2.5).encode(
            y=alt.Y("mean:Q", scale=y_scale, title="mean output of the layer"),
            color=color, strokeWidth=alt.condition(alt.datum.layer == depth, alt.value(4), alt.value(2)),
            tooltip=["layer:Q", "epoch:Q", alt.Tooltip("mean:Q", format=".3f"),
                     alt.Tooltip("low:Q", format=".3f", title="2nd percentile"),
                     alt.Tooltip("high:Q", format=".3f", title="98th percentile"),
                     alt.Tooltip("saturated:Q", format=".0%", title="|f′| < 0.01"),
                     alt.Tooltip("test_accuracy:Q", format=".0%", title="test accuracy")])
        panels.append(alt.layer(band, lines).properties(
            width=PANEL_WIDTH, height=PANEL_HEIGHT, title=alt.TitleParams(
                panel_title(activation, init, init_labels), color=activation_color(activation),
                anchor="start")))
    return alt.hconcat(*panels).resolve_scale(color="independent", y="independent")
