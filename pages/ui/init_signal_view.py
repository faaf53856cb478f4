"""Signal at init: a section of the Gradient Flow page, the forward view beside its backward one.

Stanford's CS231n notes push data through a deep network at init and look at each layer's outputs. Here: tanh, ReLU
and sigmoid under 0.01·N(0, 1), Xavier, He, 2 × He and zero init, on real data (``core.lab.init_signal``); the
per-layer spread, per-layer histograms of one network, and zero init's symmetry through training. Its settings are
the ``SIGNAL`` table, kept in the URL under ``signal.``. Layout and state only: the maths is in core, the charts in
``pages.ui.init_charts``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.lab.init_signal import (
    ACTIVATIONS,
    SCHEMES,
    end_values,
    signal_frame,
    signal_histograms,
    zero_init_symmetry,
)
from core.settings import EXPERIMENT, SIGNAL, SIGNAL_SCHEMES
from pages.ui import init_charts
from pages.ui.notices import ignored_link_notice, within_cap
from pages.ui.palette import label
from pages.ui.render import show
from pages.ui.session import cached_dataset
from pages.ui.settings_form import SettingsForm

PREFIX = "signal"
HISTOGRAM_PANELS = 10  # CS231n shows ten layers; deeper networks show ten evenly spread ones
SYMMETRY_LAYERS = (32, 32, 32)
SYMMETRY_CONTROL = "small"  # trained beside zero init: the same network from 0.01·N(0, 1)
SYMMETRY_KEY = "signal.symmetry_trained"
VALUE_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}  # fixed bins; ReLU's range changes by decades per layer


def _data(dataset: str) -> tuple:
    """``cached_dataset``'s arguments: the generated sets at the lab's default size and noise, seed 0."""
    return dataset, EXPERIMENT["n_samples"].default, EXPERIMENT["noise"].default, EXPERIMENT["test_size"].default, 0


@st.cache_data(show_spinner="Pushing data through 30 networks at init…", max_entries=16)
def cached_signal(dataset: str, depth: int, width: int, seeds: int) -> pd.DataFrame:
    return signal_frame(cached_dataset(*_data(dataset)), ACTIVATIONS, tuple(SCHEMES), depth, width, seeds)


@st.cache_data(show_spinner=False, max_entries=32)
def cached_histograms(dataset: str, activation: str, scheme: str, depth: int, width: int) -> pd.DataFrame:
    return signal_histograms(cached_dataset(*_data(dataset)), activation, scheme, depth, width,
                             layers=histogram_layers(depth), value_range=VALUE_RANGES.get(activation))


@st.cache_data(show_spinner="Training from zero init and from 0.01·N(0, 1)…", max_entries=16)
def cached_symmetry(dataset: str, activation: str, epochs: int) -> pd.DataFrame:
    return zero_init_symmetry(cached_dataset(*_data(dataset)), activation, SYMMETRY_LAYERS, epochs=epochs,
                              inits=("zero", SYMMETRY_CONTROL))


def histogram_layers(depth: int) -> list[int]:
    return sorted({int(round(x)) for x in np.linspace(1, depth, min(depth, HISTOGRAM_PANELS))})


def scientific(value: float) -> str:
    """0.62, 1.7 × 10⁻⁵, 0: a std as a projector can show it."""
    if value == 0 or not np.isfinite(value):
        return f"{value:g}"
    if 0.01 <= abs(value) < 1000:
        return f"{value:.2g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(str.maketrans('-0123456789', '⁻⁰¹²³⁴⁵⁶⁷⁸⁹'))}"


def init_signal_section(present: bool) -> None:
    """The whole section: its settings (in the URL under ``signal.``), the spread, histograms and symmetry."""
    st.subheader("At init, forward: how far the signal gets")
    form = SettingsForm(PREFIX, SIGNAL)
    values = form.finish()
    ignored_link_notice(form.ignored)
    st.markdown(
        "The gradients above flow backward; the signal they started from flows forward. CS231n's experiment: push "
        "real data through a deep network at init and look at each layer's outputs. With zero biases a layer's "
        "pre-activation variance is fan_in × Var(w) × E[h²] of the layer before, so the init scale decides whether "
        "the spread shrinks, holds or grows with depth (Glorot & Bengio 2010; He et al. 2015).")
    columns = st.columns(4)
    for column, name in zip(columns, ("dataset", "depth", "width", "seeds"), strict=True):
        form.widget(column, name)
    dataset, depth, width, seeds = (values[n] for n in ("dataset", "depth", "width", "seeds"))
    frame = within_cap(cached_signal, dataset, depth, width, seeds)
    if frame is None:
        return
    show(st, init_charts.std_chart(init_charts.std_data(frame, SIGNAL_SCHEMES), list(ACTIVATIONS), SIGNAL_SCHEMES),
         width="content")
    st.markdown(spread_reading(frame, depth, width))
    if not present:
        histograms(form, values, frame)
        symmetry(form, values)


def spread_reading(frame: pd.DataFrame, depth: int, width: int) -> str:
    """A table of the std at the first and last layer for every (activation, init), measured, with the factor per
    layer between them, and what each init does."""
    ends = end_values(frame, sorted({1, depth}))
    header = "| | " + " | ".join(SIGNAL_SCHEMES[s] for s in SCHEMES) + " |\n|---|" + "---|" * len(SCHEMES)
    rows = []
    for name in ACTIVATIONS:
        cells = []
        for scheme in SCHEMES:
            first, last = ends.loc[(name, scheme), 1], ends.loc[(name, scheme), depth]
            cell = f"{scientific(first)} → {scientific(last)}" if depth > 1 else scientific(first)
            if depth > 1 and first > 0 and last > 0:
                cell += f" (×{scientific((last / first) ** (1 / (depth - 1)))} per layer)"
            cells.append(cell)
        rows.append(f"| **{label(name)}** | " + " | ".join(cells) + " |")
    gain = 0.01 * np.sqrt(width)
    return (f"Standard deviation of the outputs, layer 1 → layer {depth} (mean over seeds):\n\n{header}\n"
            + "\n".join(rows) + "\n\n"
            f"0.01·N(0, 1) multiplies the spread of tanh (near 0, about the identity) by about 0.01·√{width} = "
            f"{gain:.2g} per layer, and ReLU's by that over √2: the signal, and the gradients that depend on it, "
            "collapse. Xavier's Var(w) = 2/(fan_in + fan_out) suits tanh near 0, but ReLU zeroes the negative half, "
            "so its variance halves at every layer (×0.71 in spread). He's Var(w) = 2/fan_in undoes that halving; "
            "2 × He (twice He's standard deviation) doubles ReLU's spread at every layer and pushes tanh towards "
            "±1, where it saturates. Zero init makes every output f(0): 0 for tanh and ReLU, 0.5 for sigmoid, with "
            "no spread at all. Sigmoid's outputs are not centred on 0: their mean stays near 0.5.")


def histograms(form, values, frame: pd.DataFrame) -> None:
    """Per-layer histograms of one network at init: CS231n's picture."""
    name_col, init_col, _ = st.columns([1, 1, 2])
    name = form.widget(name_col, "histogram_activation")
    scheme = form.widget(init_col, "histogram_init")
    bars = within_cap(cached_histograms, values["dataset"], name, scheme, values["depth"], values["width"])
    if bars is None:
        return
    stds = frame[(frame["activation"] == name) & (frame["init"] == scheme) & (frame["seed"] == frame["seed"].min())]
    show(st, init_charts.histogram_chart(bars, stds[["layer", "std"]], name), width="content")
    fixed = VALUE_RANGES.get(name)
    st.caption(f"{label(name)} with {SIGNAL_SCHEMES[scheme]} init, seed 0, every output of the layer over the data's "
               f"first 256 training rows; "
               + (f"every layer on the same bins from {fixed[0]:g} to {fixed[1]:g}." if fixed else
                  "each layer on bins spanning its own outputs (ReLU's scale changes by decades from layer to "
                  "layer)."))


def symmetry(form, values) -> None:
    """Zero init: every unit of a layer identical, and training keeps them so."""
    st.markdown("**Zero init: every unit of a layer is the same unit.** With every weight 0, the units of a layer "
                "compute the same function, receive the same gradient and take the same step, so no amount of "
                "training makes them differ.")
    name_col, epochs_col, button_col, _ = st.columns([1, 1, 1, 1], vertical_alignment="bottom")
    name = form.widget(name_col, "symmetry_activation")
    epochs = form.widget(epochs_col, "symmetry_epochs")
    settings = (values["dataset"], name, epochs)
    if button_col.button("Train both", key="signal.train_symmetry", icon=":material/play_arrow:", width="stretch",
                         help=f"{' × '.join(map(str, SYMMETRY_LAYERS))} units, SGD with learning rate 0.1, batch 32, "
                              "seed 0, from zero init and from 0.01·N(0, 1)"):
        st.session_state[SYMMETRY_KEY] = settings
    if st.session_state.get(SYMMETRY_KEY) != settings:
        st.caption("Press **Train both** to train this network from zero init and from 0.01·N(0, 1) side by side.")
        return
    frame = within_cap(cached_symmetry, *settings)
    if frame is None:
        return
    show(st, init_charts.symmetry_chart(frame, name, SIGNAL_SCHEMES), width="stretch")
    last = frame[frame["epoch"] == frame["epoch"].max()]
    zero, control = (last[last["init"] == init] for init in ("zero", SYMMETRY_CONTROL))
    low, high = control["distinct_units"].min(), control["distinct_units"].max()
    st.markdown(
        f"After {epochs} epochs: zero init has **{zero['distinct_units'].max()} distinct unit(s)** of "
        f"{zero['units'].max()} in every layer (largest difference between two units: "
        f"{zero['spread'].max():.2g} of the largest weight); from 0.01·N(0, 1), "
        f"**{low if low == high else f'{low}–{high}'}** of {control['units'].max()}."
        + (" Tanh's and ReLU's f(0) = 0 makes every hidden output 0, so no hidden weight gets any gradient: only "
           "the output biases learn." if name in ("tanh", "relu") else
           " Sigmoid's f(0) = 0.5 lets the weights move, but in lockstep."))
