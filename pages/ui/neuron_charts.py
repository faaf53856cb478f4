"""Pure chart builders for the Neurons page: tidy DataFrame in, ``alt.Chart`` out.

Inputs come from ``core.lab.neurons`` with an ``activation`` column holding each activation's key and a ``label``
column its display label (as in ``core.io.history``), and ``names`` listing the keys in display order.
Activations are coloured through the palette; the dying-at-init curves are all ReLU, so they use a
neutral grey ramp for width instead, and say so in their legend.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from pages.ui.palette import ACTIVATION_TOOLTIP, NEUTRAL, activation_color, color_scale, label

DEAD = "dead: 0 for every input"
NO_GRADIENT = "no gradient: f′ = 0 for every input"
ALIVE = "alive"
STATES = (ALIVE, DEAD, NO_GRADIENT)
DEAD_COLOR = "#2B2B2B"  # a dark neutral: a dead unit belongs to no activation any more
NO_GRADIENT_COLOR = NEUTRAL
WHEN = ("at init", "now")
WHEN_DASH = alt.Scale(domain=list(WHEN), range=[[5, 3], [1, 0]])
LEGEND_STYLE = {"symbolStrokeWidth": 4}


def _title(text: str, name: str, subtitle: str | None = None) -> alt.TitleParams:
    """A panel title in the activation's own colour."""
    return alt.TitleParams(text, color=activation_color(name), anchor="start", subtitle=subtitle or "",
                           subtitleColor="#444444")


def _percent(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "–"


# --- histograms ------------------------------------------------------------------------------------


def _histogram_panel(bars: pd.DataFrame, name: str, when: str, zeros: pd.DataFrame, width: int,
                     height: int) -> alt.Chart:
    counted = zeros[zeros["when"] == when]
    exact, near, total = (counted[c].sum() for c in ("exact_zeros", "near_zeros", "total"))
    subtitle = f"exact zeros {_percent(exact, total)} · 0 < |h| < 10⁻³: {_percent(near, total)}"
    return alt.Chart(bars[bars["when"] == when]).mark_rect(
        opacity=1.0 if when == "now" else 0.55, stroke="white", strokeWidth=0.3,
    ).encode(
        x=alt.X("bin_start:Q", title="output h of the layer", scale=alt.Scale(zero=False, nice=False),
                axis=alt.Axis(format="~g", labelOverlap=True, tickCount=6)),
        x2="bin_end:Q",
        # √ scale: a few percent of non-zero outputs stay visible beside a spike of exact zeros.
        y=alt.Y("share:Q", title="share of outputs (√ scale)", scale=alt.Scale(type="sqrt"),
                axis=alt.Axis(format="~%")),
        y2=alt.datum(0),
        color=alt.Color("label:N", scale=color_scale([name]), legend=None),
        tooltip=[ACTIVATION_TOOLTIP, alt.Tooltip("when:N"), alt.Tooltip("bin_start:Q", format=".3g",
                                                                                  title="from"),
                 alt.Tooltip("bin_end:Q", format=".3g", title="to"), alt.Tooltip("count:Q"),
                 alt.Tooltip("share:Q", format=".2%")],
    ).properties(title=_title(f"{label(name)} · {when}", name, subtitle), width=width, height=height)


def histogram_grid(histograms: pd.DataFrame, zeros: pd.DataFrame, names, width: int = 400,
                   height: int = 140) -> alt.VConcatChart:
    """One row per activation: its layer's histogram at init and now, side by side on shared bins.

    ``histograms``: activation, when, bin_start, bin_end, count, share (one layer, see
    ``core.lab.neurons.histograms_before_after``); ``zeros``: activation, when, exact_zeros,
    near_zeros, total — the subtitles give exact zeros as their own number.
    """
    rows = []
    for name in names:
        bars = histograms[histograms["activation"] == name]
        counted = zeros[zeros["activation"] == name]
        rows.append(alt.hconcat(*[_histogram_panel(bars, name, when, counted, width, height) for when in WHEN])
                    .resolve_scale(x="shared", y="shared"))
    return alt.vconcat(*rows, spacing=24).resolve_scale(x="independent", y="independent", color="independent")


# --- dead units ------------------------------------------------------------------------------------


def unit_states(units: pd.DataFrame) -> pd.DataFrame:
    """``core.lab.neurons.dead_map`` rows plus a ``state`` column: alive, dead, or no gradient (but not 0)."""
    state = units["dead"].map({True: DEAD, False: ALIVE})
    state = state.where(~(units["no_gradient"] & ~units["dead"]), NO_GRADIENT)
    return units.assign(state=state)


def _dead_panel(units: pd.DataFrame, name: str, cell_width: int, cell_height: int) -> alt.Chart:
    dead = int(units["dead"].sum())
    stuck = int((units["state"] == NO_GRADIENT).sum())
    subtitle = f"{dead} of {len(units)} units dead" + (f", {stuck} with no gradient" if stuck else "")
    scale = alt.Scale(domain=list(STATES), range=[activation_color(name), DEAD_COLOR, NO_GRADIENT_COLOR])
    return alt.Chart(units).mark_rect(stroke="white", strokeWidth=1).encode(
        x=alt.X("layer:O", title="hidden layer", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("unit:O", title="unit", axis=alt.Axis(labelOverlap=True)),
        color=alt.Color("state:N", scale=scale, legend=alt.Legend(orient="bottom", direction="vertical",
                                                                  title="unit", labelLimit=400, **LEGEND_STYLE)),
        tooltip=[ACTIVATION_TOOLTIP, alt.Tooltip("layer:O"), alt.Tooltip("unit:O"),
                 alt.Tooltip("state:N"),
                 alt.Tooltip("active_share:Q", format=".1%", title="inputs with output ≠ 0"),
                 alt.Tooltip("gradient_share:Q", format=".1%", title="inputs with f′ ≠ 0")],
    ).properties(title=_title(label(name), name, subtitle), width=alt.Step(cell_width),
                 height=alt.Step(cell_height))


def dead_unit_map(units: pd.DataFrame, names) -> alt.HConcatChart:
    """Units x layers, one panel per activation titled in its colour: alive cells in the activation's
    colour, dead ones in a dark neutral, saturated ones (output not 0, f′ = 0) in grey.

    ``units``: ``core.lab.neurons.dead_map`` rows with an ``activation`` label column.
    """
    units = unit_states(units)
    n_units = int(units["unit"].max()) if not units.empty else 1
    n_layers = int(units["layer"].max()) if not units.empty else 1
    cell_height = max(3, min(18, 320 // n_units))
    cell_width = max(26, min(56, 220 // n_layers))
    panels = [_dead_panel(units[units["activation"] == name], name, cell_width, cell_height)
              for name in names]
    return alt.hconcat(*panels, spacing=36).resolve_scale(color="independent")


# --- mean activation -------------------------------------------------------------------------------


def mean_activation_chart(means: pd.DataFrame, names, symlog: bool = False, height: int = 290) -> alt.LayerChart:
    """Mean output per hidden layer, at init (dashed) and now (solid), with the zero line for reference.

    ``means``: activation, when, layer, mean. ``symlog`` for means that span many orders of magnitude.
    """
    # A y title longer than the plot is tall pushes the chart's title out of its frame: keep it short.
    y_title = "mean output" + (" (symlog scale)" if symlog else "")
    scale = alt.Scale(type="symlog") if symlog else alt.Scale(zero=True)
    lines = alt.Chart(means).mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=70)).encode(
        x=alt.X("layer:O", title="hidden layer", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("mean:Q", title=y_title, scale=scale, axis=alt.Axis(format=".3~g") if symlog else alt.Axis()),
        color=alt.Color("label:N", scale=color_scale(names),
                        legend=alt.Legend(orient="top", title=None, **LEGEND_STYLE)),
        # The dash is explained in the subtitle: Streamlit's theme draws no symbol for a dash-only legend.
        strokeDash=alt.StrokeDash("when:N", scale=WHEN_DASH, legend=None),
        detail="when:N",
        tooltip=[ACTIVATION_TOOLTIP, alt.Tooltip("when:N"), alt.Tooltip("layer:O"),
                 alt.Tooltip("mean:Q", format=".4g")])
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color=NEUTRAL, strokeDash=[2, 2]).encode(y="zero:Q")
    title = alt.TitleParams("Mean output per hidden layer", subtitle="dashed: at init · solid: now · dotted grey: 0",
                            subtitleColor="#444444", anchor="start")
    return alt.layer(zero, lines).properties(title=title, height=height)


# --- dying at init ---------------------------------------------------------------------------------


def _grey_ramp(n: int) -> list[str]:
    """``n`` greys from near-black to mid-grey: a neutral sequential scheme, no activation's colour."""
    if n == 1:
        return ["#222222"]
    levels = [round(0x22 + (0xA8 - 0x22) * i / (n - 1)) for i in range(n)]
    return [f"#{v:02X}{v:02X}{v:02X}" for v in levels]


def dying_curve(shares: pd.DataFrame, height: int = 320) -> alt.Chart:
    """Share of ReLU networks whose output is constant at init, against depth: one line per width.

    ``shares``: width, depth, share_collapsed (``core.lab.neurons.dying_at_init``). Widths are shaded
    from dark (narrow) to light grey with their own dash, since every network here is ReLU.
    """
    widths = sorted(shares["width"].unique().tolist())
    domain = [str(w) for w in widths]
    data = shares.assign(width_label=shares["width"].astype(str))
    legend = alt.Legend(orient="right", title=["units per layer", "(all ReLU; grey = width,", "not activation)"],
                        symbolType="stroke", symbolStrokeWidth=2.5, symbolSize=500)
    return alt.Chart(data).mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=30)).encode(
        x=alt.X("depth:Q", title="depth (hidden ReLU layers)", axis=alt.Axis(format="d", tickMinStep=1),
                scale=alt.Scale(domain=[0, int(shares["depth"].max())], nice=False)),
        y=alt.Y("share_collapsed:Q", title="constant output (share)",
                scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("width_label:N", scale=alt.Scale(domain=domain, range=_grey_ramp(len(widths))),
                        legend=legend),
        strokeDash=alt.StrokeDash("width_label:N", scale=alt.Scale(
            domain=domain, range=[[1, 0], [6, 3], [2, 2], [8, 2, 2, 2]][: len(widths)] or [[1, 0]]), legend=legend),
        tooltip=[alt.Tooltip("width:Q", title="units per layer"), alt.Tooltip("depth:Q"),
                 alt.Tooltip("share_collapsed:Q", format=".1%", title="constant output"),
                 alt.Tooltip("n_seeds:Q", title="networks drawn")],
    ).properties(title="Dead at init: deep, narrow ReLU networks", height=height)
