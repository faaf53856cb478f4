"""Activation Explorer: each activation's curve, derivative, formula, properties, cost and batch response."""

import pandas as pd
import streamlit as st

from core.engine.activations import ACTIVATIONS
from core.lab.explorer import (
    DERIVATIVE,
    FUNCTION,
    SATURATION_THRESHOLD,
    SATURATION_WINDOW,
    batch_response,
    bound_activation,
    curves,
    derivative_peak,
    is_saturating,
    saturation_bands,
    saturation_intervals,
)
from core.lab.speed import relative_costs
from core.settings import EXPLORER
from pages.ui.activation_charts import batch_histogram_chart, curve_chart
from pages.ui.notices import ignored_link_notice
from pages.ui.palette import label
from pages.ui.render import show
from pages.ui.settings_form import SettingsForm
from pages.ui.shell import page_header, page_shell

present = page_shell()

DEFAULT_ACTIVATIONS = ["relu", "sigmoid", "tanh"]
BATCH_SIZE = 100_000
COLUMNS_PER_ROW = 3


# --- cached computations (pure; keyed on their arguments) -----------------------------------------


@st.cache_data(show_spinner=False, max_entries=64)
def cached_curves(names: tuple[str, ...], x_min: float, x_max: float, params: dict) -> pd.DataFrame:
    return curves(names, x_min, x_max, params=params)


@st.cache_data(show_spinner=False, max_entries=64)
def cached_bands(names: tuple[str, ...], x_min: float, x_max: float, params: dict) -> pd.DataFrame:
    return saturation_bands(names, SATURATION_THRESHOLD, x_min, x_max, params=params)


@st.cache_data(show_spinner=False, max_entries=64)
def saturation_facts(name: str, params: dict) -> tuple[float, list[tuple[float, float]]]:
    """Peak |f′| and where |f′| < threshold, over a window wide enough to be 'everywhere'."""
    return (
        derivative_peak(name, **params),
        saturation_intervals(name, SATURATION_THRESHOLD, *SATURATION_WINDOW, **params),
    )


@st.cache_data(show_spinner=False, max_entries=32)
def cached_batch(names: tuple[str, ...], sigma: float, params: dict):
    return batch_response(names, sigma, n=BATCH_SIZE, params=params)


@st.cache_data(show_spinner="Timing every activation…", max_entries=16)
def measured_costs(measurement: int) -> pd.DataFrame:
    # Every activation at once, so ratios share one ReLU reference and changing the selection is free.
    # ``measurement`` only keys the cache: "Re-measure" bumps it to force a fresh run.
    return relative_costs(list(ACTIVATIONS)).set_index("activation")


def describe_intervals(intervals: list[tuple[float, float]]) -> str:
    """'x < −4.58 and x > 4.58' from intervals whose ends at the window's edges mean 'and beyond'."""
    low, high = SATURATION_WINDOW
    parts = []
    for start, end in intervals:
        if start <= low and end >= high:
            parts.append("every x")
        elif start <= low:
            parts.append(f"x < {end:.2f}")
        elif end >= high:
            parts.append(f"x > {start:.2f}")
        else:
            parts.append(f"{start:.2f} < x < {end:.2f}")
    return " and ".join(parts).replace("-", "−")


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


# --- controls ----------------------------------------------------------------------------------------

page_header(
    "Activation Explorer",
    "Pick activations to compare their curves, derivatives, formulas, properties and cost, "
    "and what each does to a batch of random inputs. The URL keeps your choices, so you can share it.",
    present,
)

form = SettingsForm("explorer", EXPLORER)
form.finish()
ignored_link_notice(form.ignored)
pick_column, min_column, max_column = st.columns([4, 1, 1], vertical_alignment="bottom")
names = list(form.widget(pick_column, "activations"))
x_min, x_max = form.widget(min_column, "x_min"), form.widget(max_column, "x_max")
params: dict[str, dict[str, float]] = {}
if "leaky_relu" in names or "elu" in names:
    leaky_column, elu_column, _ = st.columns(3)
    for column, name, setting in ((leaky_column, "leaky_relu", "leaky_alpha"), (elu_column, "elu", "elu_alpha")):
        if name in names:
            params[name] = {"alpha": form.widget(column, setting)}

if not names:
    st.info("Pick at least one activation above to see its curve, formula and properties.", icon="👆")
    st.stop()

selection = tuple(names)
activations = {name: bound_activation(name, params) for name in names}

# --- curves --------------------------------------------------------------------------------------------

st.subheader("f(x) and its derivative f′(x)")
if x_min >= x_max:
    st.error(f"The range needs 'x from' below 'x to' (now {x_min:g} ≥ {x_max:g}). Change one of them to plot.")
else:
    shade = form.widget(st, "shade")
    curve_data = cached_curves(selection, x_min, x_max, params)
    bands = cached_bands(selection, x_min, x_max, params) if shade else None
    function_column, derivative_column = st.columns(2)
    show(function_column, curve_chart(curve_data, FUNCTION, bands, (x_min, x_max)), width="stretch")
    show(derivative_column, curve_chart(curve_data, DERIVATIVE, bands, (x_min, x_max)), width="stretch")

saturating = [name for name in names if is_saturating(name)]
notes = []
for name in saturating:
    peak, intervals = saturation_facts(name, params.get(name, {}))
    where = describe_intervals(intervals) or "nowhere"
    notes.append(f"- **{label(name)}**: max |f′| = {peak:.3g}; |f′(x)| < {SATURATION_THRESHOLD:g} for {where}.")
if saturating:
    st.markdown(
        f"**Saturation.** Backprop multiplies the incoming gradient by f′(x) at every unit, so where "
        f"|f′(x)| < {SATURATION_THRESHOLD:g} less than {SATURATION_THRESHOLD:.0%} of it passes back; stacked layers "
        "multiply these factors, so a path through many such units carries almost no gradient.\n" + "\n".join(notes)
    )
if "sigmoid" in names:
    sigmoid_edge = saturation_facts("sigmoid", {})[1][-1][0]
    tanh_edge = saturation_facts("tanh", {})[1][-1][0]
    st.markdown(
        "Sigmoid's derivative is σ′(x) = σ(x)(1 − σ(x)), at most 0.25 (reached at x = 0): each sigmoid unit passes "
        "back at most a quarter of the gradient it receives. Its outputs lie in the open interval (0, 1); they never "
        "reach 0 or 1 (in floating point they round to 0 or 1 far out in the tails). Since σ(x) = (1 + tanh(x/2))/2, "
        f"sigmoid is tanh at half the input, squeezed into (0, 1): it saturates (|f′| < {SATURATION_THRESHOLD:g}) "
        f"only beyond about ±{sigmoid_edge:.1f}, where tanh does beyond about ±{tanh_edge:.1f}."
    )
if "relu" in names:
    st.markdown(
        "**ReLU** is piecewise linear, not linear. It is not differentiable at 0; we use f′(0) = 0 by convention, "
        "as PyTorch and TensorFlow do. It saturates *hard* on the left: f′ = 0 exactly for every x < 0 (Gulcehre "
        "et al. 2016), while ELU, GELU, SiLU and softplus saturate *softly* (their f′ only tends to 0). A unit "
        "whose input is negative for every training example therefore gets no gradient at all: it is dead "
        "(see Neurons)."
    )

# --- formulas --------------------------------------------------------------------------------------------

st.subheader("Formulas")
for row_start in range(0, len(names), COLUMNS_PER_ROW):
    for column, name in zip(st.columns(COLUMNS_PER_ROW), names[row_start : row_start + COLUMNS_PER_ROW], strict=False):
        with column, st.container(border=True):
            activation = activations[name]
            bound = ", ".join(f"{key} = {value:g}" for key, value in activation.params.items())
            st.markdown(f"**{activation.label}**" + (f" ({bound.replace('alpha', 'α')})" if bound else ""))
            st.latex(activation.formula)
            st.latex(activation.derivative_formula)

# --- properties ---------------------------------------------------------------------------------------------

st.subheader("Properties")
measurement = st.session_state.setdefault("speed_measurement", 0)
costs = measured_costs(measurement)
properties = pd.DataFrame(
    [
        {
            "Activation": activation.label,
            "Output range": activation.output_range,
            "Zero-centred": yes_no(activation.zero_centred),
            "Saturates": activation.saturating,
            "Monotonic": yes_no(activation.monotonic),
            "f′(0)": f"{activation.derivative_at_zero:g}",
            "f′(0) note": activation.convention or "differentiable at 0",
            "Forward cost (× ReLU)": f"{costs.loc[name, 'forward_rel']:.1f}×",
            "Backward cost (× ReLU)": f"{costs.loc[name, 'backward_rel']:.1f}×",
        }
        for name, activation in activations.items()
    ]
)
# A static table wraps long cells, so every column stays on screen on a projector.
st.table(properties.set_index("Activation"))
cost_note, remeasure = st.columns([5, 1], vertical_alignment="center")
cost_note.caption(
    "Cost: median time of numpy over 1,000,000 float32 values on this server, relative to ReLU (1.0×). "
    "Backward is f′(x) times the upstream gradient, as backprop computes it. Timings vary by machine and load."
)
if remeasure.button("Re-measure", icon=":material/timer:", key="remeasure"):
    st.session_state["speed_measurement"] = measurement + 1
    st.rerun()

# --- a batch --------------------------------------------------------------------------------------------------

st.subheader("What happens to a batch")
sigma = form.widget(st, "sigma")
st.caption(
    f"Every activation gets the same {BATCH_SIZE:,} inputs. Bars show each output's share of the batch; "
    "exact zeros fall in the bar at 0."
)
batch = cached_batch(selection, sigma, params)
summary = batch.summary.set_index("activation")
for row_start in range(0, len(names), COLUMNS_PER_ROW):
    for column, name in zip(st.columns(COLUMNS_PER_ROW), names[row_start : row_start + COLUMNS_PER_ROW], strict=False):
        with column, st.container(border=True):
            histogram = batch.histogram[batch.histogram["activation"] == name]
            show(st, batch_histogram_chart(histogram, height=250), width="stretch")
            zeros_column, gradient_column = st.columns(2)
            zeros_column.metric(
                "Exact zeros",
                f"{summary.loc[name, 'sparsity']:.1%}",
                help="Sparsity: share of outputs with f(x) exactly 0",
            )
            gradient_column.metric(
                f"|f′| < {SATURATION_THRESHOLD:g}",
                f"{summary.loc[name, 'near_zero_gradient']:.1%}",
                help="Share of inputs where the gradient nearly vanishes (saturation, or ReLU's exact 0)",
            )

st.dataframe(
    summary.reset_index().assign(activation=lambda frame: frame["activation"].map(label)),
    hide_index=True,
    width="stretch",
    column_order=["activation", "sparsity", "near_zero_gradient", "zero_gradient", "mean", "std"],
    column_config={
        "activation": "Activation",
        "sparsity": st.column_config.NumberColumn("Exact zeros", format="percent"),
        "near_zero_gradient": st.column_config.NumberColumn(f"|f′| < {SATURATION_THRESHOLD:g}", format="percent"),
        "zero_gradient": st.column_config.NumberColumn("f′ exactly 0", format="percent"),
        "mean": st.column_config.NumberColumn("Mean output", format="%.3f"),
        "std": st.column_config.NumberColumn("Std of output", format="%.3f"),
    },
)
