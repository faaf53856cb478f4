"""Pure chart builders for the deep-dive pages (Gradient Flow, Speed): tidy DataFrame in, ``alt.Chart`` out.

Inputs are the frames of ``core.lab.gradient_flow`` and ``core.lab.speed``: their ``activation`` column holds
the activation key a panel selects by, ``label`` its display label, and ``names`` (keys) give each its palette
colour. Weight matrices are numbered as in ``core.lab.gradient_flow``: 1 is the first (input side), the highest the last
(output side). Gradient norms and time ratios span decades, so they are drawn on log scales.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from pages.ui.palette import ACTIVATION_TOOLTIP, NEUTRAL, activation_color, color_scale, label

# Opaque symbols: a band layer shares the legend, and its faint fill must not make the swatches faint.
LEGEND = alt.Legend(orient="top", symbolStrokeWidth=4, symbolOpacity=1,
                    title=None)
NORM_TITLE = "‖∂L/∂W‖ (log scale)"
MATRIX_TITLE = "weight matrix (1 = first, input side)"
# Streamlit fits the whole chart (titles, legend, axes) into its height, so these leave room for the plot.
HEIGHT = 400
PANEL_WIDTH = 220
MAX_DECADE_TICKS = 8
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
PANELS_PER_ROW = 3
DTYPE_DASH = alt.Scale(domain=["float32", "float64"], range=[[1, 0], [6, 3]])  # solid, dashed


def _color(names, legend=LEGEND) -> alt.Color:
    return alt.Color("label:N", scale=color_scale(names), legend=legend, title="activation")


def _title(text: str, subtitle: str | list[str] | None = None, **kwargs) -> alt.TitleParams:
    return alt.TitleParams(text, subtitle=subtitle or "", anchor="start", **kwargs)


def _geometric_spread(frame: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """Geometric mean (the mean of logs, right for values spanning decades), min, max and count over seeds."""
    data = frame[np.isfinite(frame[value]) & (frame[value] > 0)]
    grouped = data.groupby(keys, sort=False)[value]
    return grouped.agg(mean=lambda v: float(10 ** np.log10(v).mean()), low="min", high="max",
                       seeds="count").reset_index()


def decade_label(exponent: int) -> str:
    """10^k with a superscript exponent: "10⁻⁶", and plain "1" and "10" for k = 0 and 1."""
    return {0: "1", 1: "10"}.get(exponent, "10" + str(exponent).translate(_SUPERSCRIPT))


def _log_scale(values) -> tuple[alt.Scale, alt.Axis]:
    """A log scale spanning whole decades around ``values``, ticked and labelled at decades only."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if not len(values):
        values = np.array([0.1, 10.0])
    low, high = int(np.floor(np.log10(values.min()))), int(np.ceil(np.log10(values.max())))
    high = max(high, low + 1)
    step = -(-(high - low) // MAX_DECADE_TICKS)  # ceiling division: at most MAX_DECADE_TICKS labels
    ticks = [10.0**k for k in range(low, high + 1)]
    axis = alt.Axis(values=ticks[::step], labelExpr=_decade_expr(ticks), grid=True)
    return alt.Scale(type="log", domain=[10.0**low, 10.0**high], nice=False), axis


def log_scale(values) -> tuple[alt.Scale, alt.Axis]:
    """A log scale over ``values`` in whole decades, labelled 10⁻⁶, 1, 10, … (for other pages' builders)."""
    return _log_scale(values)


def _decade_expr(ticks) -> str:
    """A Vega label expression that prints each power of ten in ``ticks`` as 10 with a superscript."""
    exponents = [round(float(np.log10(t))) for t in ticks]
    labels = "[" + ",".join(f"'{decade_label(k)}'" for k in exponents) + "]"
    return f"{labels}[round(log(datum.value) / LN10) - ({exponents[0]})]"


def _unit_line(scale: alt.Scale, value: float = 1.0, channel: str = "y") -> alt.Chart:
    """A dashed reference line at ``value`` on the chart's own (log) scale: horizontal on y, vertical on x."""
    encoding = alt.Y if channel == "y" else alt.X
    return alt.Chart(pd.DataFrame({channel: [value]})).mark_rule(color=NEUTRAL, strokeDash=[4, 4]).encode(
        **{channel: encoding(f"{channel}:Q", scale=scale)})


def _lines_with_band(spread: pd.DataFrame, names, x: alt.X, y_title: str, tooltip_x: str,
                     extra_values=(1.0,)) -> list[alt.Chart]:
    scale, axis = _log_scale([*spread["low"], *spread["high"], *extra_values])
    base = alt.Chart(spread).encode(x=x)
    layers = []
    if not spread.empty and spread["seeds"].max() > 1:
        layers.append(base.mark_area(opacity=0.18).encode(
            y=alt.Y("low:Q", scale=scale, axis=axis, title=y_title), y2="high:Q", color=_color(names)))
    layers.append(base.mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=50)).encode(
        y=alt.Y("mean:Q", title=y_title, scale=scale, axis=axis), color=_color(names),
        tooltip=[ACTIVATION_TOOLTIP, tooltip_x, alt.Tooltip("mean:Q", format=".3g", title="geometric mean"),
                 alt.Tooltip("low:Q", format=".3g", title="min"), alt.Tooltip("high:Q", format=".3g", title="max"),
                 alt.Tooltip("seeds:Q")]))
    return layers


# --- Gradient Flow --------------------------------------------------------------------------------


def profile_chart(profile: pd.DataFrame, names, depth: int) -> alt.LayerChart:
    """Gradient norm per weight matrix at init: a line per activation, min-max band over seeds."""
    spread = _geometric_spread(profile, ["activation", "label", "layer"], "grad_norm")
    last = depth + 1
    x = alt.X("layer:Q", title=f"weight matrix (1 = first, input side … {last} = last, output side)",
              scale=alt.Scale(domain=[1, last], nice=False), axis=alt.Axis(format="d", tickMinStep=1))
    layers = _lines_with_band(spread, names, x, NORM_TITLE, alt.Tooltip("layer:Q", title="weight matrix"),
                              extra_values=())
    return alt.layer(*layers).properties(height=HEIGHT, title=_title(
        f"Gradient norm per weight matrix at init, {depth} hidden layers",
        "Line: geometric mean over seeds; band: min–max. Falling to the left = vanishing toward the input."))


def depth_sweep_chart(sweep: pd.DataFrame, names) -> alt.LayerChart:
    """First/last gradient ratio against depth: 1 means no vanishing, far below 1 means vanishing."""
    spread = _geometric_spread(sweep, ["activation", "label", "depth"], "ratio")
    x = alt.X("depth:Q", title="hidden layers (depth)", axis=alt.Axis(format="d", tickMinStep=1),
              scale=alt.Scale(nice=False))
    layers = _lines_with_band(spread, names, x, "first ÷ last (log scale)", alt.Tooltip("depth:Q"))
    scale, _ = _log_scale([*spread["low"], *spread["high"], 1.0])
    return alt.layer(_unit_line(scale), *layers).properties(height=HEIGHT, title=_title(
        "First-layer ÷ last-layer gradient norm, at init, by depth",
        "‖∂L/∂W₁‖ (input side) / ‖∂L/∂W_last‖ (output side). Dashed line: equal; below it: vanishing."))


def heatmap_chart(heatmap: pd.DataFrame, names, epochs: int) -> alt.ConcatChart:
    """One panel per activation: weight matrix (rows) by epoch (columns), colour = log10 of the gradient norm.

    Every panel shares one colour scale, so colours compare across activations; each panel's title is
    the activation's name in its palette colour.
    """
    data = heatmap[np.isfinite(heatmap["grad_norm"]) & (heatmap["grad_norm"] > 0)]
    data = data.assign(log10_norm=np.log10(data["grad_norm"]))
    low, high = (float(data["log10_norm"].min()), float(data["log10_norm"].max())) if len(data) else (0.0, 1.0)
    color = alt.Color("log10_norm:Q", title="log₁₀ ‖∂L/∂W‖", scale=alt.Scale(scheme="viridis", domain=[low, high]),
                      legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=320))
    layers = sorted(heatmap["layer"].unique()) if len(heatmap) else [1]
    step = max(1, round(epochs / 6))
    ticks = list(range(0, epochs + 1, step))
    height = int(min(max(18 * len(layers), 120), 320))
    panels = []
    for i, name in enumerate(names):
        sub = data[data["activation"] == name]
        first_in_row = i % PANELS_PER_ROW == 0
        panels.append(alt.Chart(sub).mark_rect().encode(
            x=alt.X("epoch:O", title="epoch", scale=alt.Scale(domain=list(range(epochs + 1))),
                    axis=alt.Axis(values=ticks, labelAngle=0)),
            y=alt.Y("layer:O", title=MATRIX_TITLE if first_in_row else None, scale=alt.Scale(domain=layers)),
            color=color,
            tooltip=[ACTIVATION_TOOLTIP, alt.Tooltip("epoch:O"), alt.Tooltip("layer:O", title="weight matrix"),
                     alt.Tooltip("grad_norm:Q", format=".3g", title="‖∂L/∂W‖")],
        ).properties(width=PANEL_WIDTH, height=height,
                     title=alt.TitleParams(label(name), color=activation_color(name), anchor="start")))
    return alt.concat(*panels, columns=PANELS_PER_ROW).resolve_scale(color="shared")


def exploding_chart(frame: pd.DataFrame, name: str) -> alt.Chart:
    """Gradient norm per weight matrix at init for each init-scale factor (one activation)."""
    data = frame[np.isfinite(frame["grad_norm"]) & (frame["grad_norm"] > 0)]
    data = data.assign(factor=data["scale"].map(lambda s: f"×{s:g}"))
    order = [f"×{s:g}" for s in sorted(frame["scale"].unique())]
    last = int(frame["layer"].max()) if len(frame) else 1
    y_scale, y_axis = _log_scale(data["grad_norm"])
    return alt.Chart(data).mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=50)).encode(
        x=alt.X("layer:Q", title=f"weight matrix (1 = first, input side … {last} = last, output side)",
                scale=alt.Scale(domain=[1, last], nice=False), axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("grad_norm:Q", title=NORM_TITLE, scale=y_scale, axis=y_axis),
        color=alt.Color("factor:O", title="init std ×", sort=order,
                        scale=alt.Scale(domain=order, scheme="plasma"),
                        legend=alt.Legend(orient="top", symbolStrokeWidth=4)),
        tooltip=[alt.Tooltip("factor:O", title="init std ×"), alt.Tooltip("layer:Q", title="weight matrix"),
                 alt.Tooltip("grad_norm:Q", format=".3g", title="‖∂L/∂W‖")],
    ).properties(height=HEIGHT, title=_title(
        f"{label(name)}: gradient norm per weight matrix when the init std is multiplied",
        "Same initial draws for every factor; only their scale differs.", color=activation_color(name)))


# --- Speed ----------------------------------------------------------------------------------------


def micro_chart(sweep: pd.DataFrame, names, pass_: str, repeats: int) -> alt.LayerChart:
    """One pass (forward or backward) of each activation alone, relative to ReLU, against array size; a vertical
    bar at each point spans the lowest to the highest repeat's ratio."""
    data = sweep[sweep["pass"] == pass_].assign(microseconds=lambda d: d["seconds"] * 1e6)
    sizes = sorted(data["size"].unique().tolist())
    x = alt.X("size:Q", title="array size (elements, log scale)", scale=alt.Scale(type="log", nice=False),
              axis=alt.Axis(values=sizes, labelExpr=_decade_expr(sizes)))
    y_scale, y_axis = _log_scale([*data["low"], *data["high"], 1.0])
    color = _color(names, alt.Legend(orient="bottom", columns=3, symbolStrokeWidth=4, symbolOpacity=1, title=None))
    base = alt.Chart(data).encode(x=x, color=color, detail="dtype:N")
    lines = base.mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=40)).encode(
        y=alt.Y("relative_to_relu:Q", title="time ÷ ReLU's time (log scale)", scale=y_scale, axis=y_axis),
        strokeDash=alt.StrokeDash("dtype:N", scale=DTYPE_DASH, legend=None),  # named in the subtitle
        tooltip=[ACTIVATION_TOOLTIP, "dtype:N", alt.Tooltip("size:Q", format=",d"),
                 alt.Tooltip("relative_to_relu:Q", format=".3g", title="× ReLU (median)"),
                 alt.Tooltip("low:Q", format=".3g", title="lowest repeat"),
                 alt.Tooltip("high:Q", format=".3g", title="highest repeat"),
                 alt.Tooltip("microseconds:Q", format=",.1f", title="µs")])
    bars = base.mark_rule(strokeWidth=1.5, opacity=0.7).encode(y=alt.Y("low:Q", scale=y_scale), y2="high:Q")
    what = "f(x)" if pass_ == "forward" else "f′ × upstream gradient"
    return alt.layer(_unit_line(y_scale), bars, lines).properties(height=HEIGHT + 100, title=_title(
        f"{pass_.capitalize()} pass alone: {what}",
        [f"Solid: float32, dashed: float64. Median of {repeats} repeats; bars: lowest to highest.",
         "Grey dashed line: ReLU = 1."]))


def network_cost_chart(costs: pd.DataFrame, names, close: float, description: str) -> alt.LayerChart:
    """One training epoch of a whole network per activation, as a ratio to ReLU's: a dot at the median, a bar from
    the lowest to the highest repeat, and a shaded band where a ratio counts as close to ReLU's (1 / close..close)."""
    data = costs.assign(ms=costs["seconds_per_epoch"] * 1e3,
                        times=costs["relative_to_relu"].map(lambda r: f"×{r:.2f}"))
    order = data.sort_values("relative_to_relu")["label"].tolist()
    scale, axis = _log_scale([*data["low"], *data["high"], 1 / close, close])
    base = alt.Chart(data).encode(y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelFontSize=13)))
    band = alt.Chart(pd.DataFrame({"low": [1 / close], "high": [close]})).mark_rect(
        color=NEUTRAL, opacity=0.15).encode(x=alt.X("low:Q", scale=scale), x2="high:Q")
    bars = base.mark_rule(strokeWidth=3).encode(
        x=alt.X("low:Q", scale=scale, axis=axis, title="epoch time ÷ ReLU's (log scale)"), x2="high:Q",
        color=_color(names, legend=None))
    dots = base.mark_circle(size=110, opacity=1).encode(
        x=alt.X("relative_to_relu:Q", scale=scale), color=_color(names, legend=None),
        tooltip=[ACTIVATION_TOOLTIP, alt.Tooltip("relative_to_relu:Q", format=".3g", title="× ReLU (median)"),
                 alt.Tooltip("low:Q", format=".3g", title="lowest repeat"),
                 alt.Tooltip("high:Q", format=".3g", title="highest repeat"),
                 alt.Tooltip("ms:Q", format=".2f", title="ms / epoch (median)")])
    text = base.mark_text(align="left", dx=6, dy=-9, fontSize=13).encode(
        x=alt.X("high:Q", scale=scale), text="times:N")
    layers = [band, _unit_line(scale, channel="x"), bars, dots, text]
    return alt.layer(*layers).properties(height=alt.Step(34), title=_title(
        "One training epoch of a whole network, relative to ReLU",
        [description, f"Shaded: within {close - 1:.0%} of ReLU ({1 / close:.2g}× to {close:g}×)."]))

