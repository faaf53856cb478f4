"""Gradient Flow: how strongly each layer is told to change, at init, through depth, during training,
and when the init is too large."""

import time

import numpy as np
import pandas as pd
import streamlit as st

from core.lab.gradient_flow import (
    check_heatmap,
    decades_per_layer,
    depth_sweep,
    exploding,
    log10_growth,
    log10_ratio_by_epoch,
    log10_ratios,
    profile_frame,
    training_heatmap,
)
from core.settings import FLOW, SCALE_CHOICES
from pages.ui import deep_charts as charts
from pages.ui.estimate import progress_bar, work_estimate
from pages.ui.formats import power_of_ten, seconds
from pages.ui.init_signal_view import init_signal_section
from pages.ui.notices import TOO_HEAVY, ignored_link_notice, within_cap
from pages.ui.palette import label
from pages.ui.render import show
from pages.ui.session import cached_dataset
from pages.ui.settings_form import SettingsForm
from pages.ui.shell import page_header, page_shell

present = page_shell()

# What the page measures. The engine refuses any measurement over its work cap (core.engine.limits.MAX_WORK) with a
# message the page shows in place of that section; these sizes keep most settings well within it.
MAX_SWEEP_POINTS = 8  # depths measured in the sweep, evenly spread from 1 to the chosen depth
MAX_SWEEP_SEEDS = 3
MAX_ROWS = 500  # training rows the gradients at init are measured on (the first ones)
SWEEP_ROWS = 250
TRAIN_EPOCHS = 30
TRAIN_DTYPE = "float32"
HEATMAP_KEY = "flow.heatmap"


# --- cached computations (pure; keyed on their arguments) -----------------------------------------


@st.cache_data(show_spinner="Measuring gradients at init…", max_entries=32)
def cached_profile(data: tuple, activations: tuple, depth: int, width: int, init: str, seeds: int) -> pd.DataFrame:
    return profile_frame(cached_dataset(*data), activations, depth, width, init, seeds, n_samples=MAX_ROWS)


@st.cache_data(show_spinner="Measuring gradients at every depth…", max_entries=32)
def cached_sweep(data: tuple, activations: tuple, depths: tuple, width: int, init: str, seeds: int) -> pd.DataFrame:
    return depth_sweep(cached_dataset(*data), activations, depths, width, init, seeds, n_samples=SWEEP_ROWS)


@st.cache_data(show_spinner="Measuring gradients at every init scale…", max_entries=32)
def cached_exploding(data: tuple, activation: str, depth: int, width: int, init: str, scales: tuple) -> pd.DataFrame:
    return exploding(cached_dataset(*data), activation, depth, width, scales, init=init, n_samples=MAX_ROWS)


def sweep_depths(depth: int) -> tuple[int, ...]:
    return tuple(int(d) for d in np.unique(np.linspace(1, depth, min(depth, MAX_SWEEP_POINTS)).round()))


# --- page -----------------------------------------------------------------------------------------

page_header(
    "Gradient Flow",
    "How strongly backprop tells each layer to change: the norm of the loss gradient for every weight "
    "matrix, measured on the training set. Matrix 1 is the first (input side), the highest number the "
    "last (output side).",
    present,
)

form = SettingsForm("flow", FLOW)
form.panels_later(st.sidebar, {"Data": "data", "Network": "network"})  # after the first chart
values = form.finish()
ignored_link_notice(form.ignored)
depth, width, init, seeds = values["depth"], values["width"], values["init"], values["seeds"]

if not values["activations"]:
    st.info("Choose at least one activation in the sidebar to measure its gradients.")
    form.stop()

data = (values["dataset"], values["n_samples"], values["noise"], values["test_size"], 0)
names = tuple(values["activations"])
try:
    dataset = cached_dataset(*data)
except ValueError as error:
    st.error(f"These settings cannot run: {error}")
    form.stop()
rows_note = f" (its first {MAX_ROWS} rows)" if len(dataset.X_train) > MAX_ROWS else ""

# (1) At init
st.subheader("At init", help=f"Loss over the training set{rows_note}, before any training step.")
profile = within_cap(cached_profile, data, names, depth, width, init, seeds)
if profile is not None:
    show(st, charts.profile_chart(profile, names, depth), width="stretch")
    ratios = log10_ratios(profile)
    reading = "; ".join(f"**{label(n)}** {power_of_ten(ratios.get(n, np.nan))}" for n in names)
    st.markdown(f"First matrix's gradient as a share of the last one's (geometric mean over {seeds} "
                f"seed{'s' if seeds > 1 else ''}): {reading}.")
form.draw_panels()

# (1b) The signal at init, forward, beside the backward view above (pages/ui/init_signal_view.py)
init_signal_section(present)

# (2) Through depth
st.subheader("Through depth")
depths = sweep_depths(depth)
sweep_seeds = min(seeds, MAX_SWEEP_SEEDS)
sweep = within_cap(cached_sweep, data, names, depths, width, init, sweep_seeds)
if sweep is not None:
    show(st, charts.depth_sweep_chart(sweep, names), width="stretch")
    st.caption(f"Depths {', '.join(map(str, depths))}; {sweep_seeds} seed{'s' if sweep_seeds > 1 else ''}; the "
               f"first {min(SWEEP_ROWS, len(dataset.X_train))} training rows.")
    if len(depths) > 1:
        slopes = decades_per_layer(sweep)
        st.markdown("Each added layer multiplies the first/last ratio by about (least-squares fit over depths "
                    f"{depths[0]}–{depths[-1]}): " + "; ".join(
                        f"**{label(n)}** {power_of_ten(slopes.get(n, np.nan))}" for n in names) + ".")
    else:
        st.caption("Choose more than one hidden layer to see how the ratio changes with depth.")

# (3) During training
st.subheader("During training")
lr_col, button_col, estimate_col = st.columns([2, 1, 3], vertical_alignment="bottom")
learning_rate = form.widget(lr_col, "learning_rate")
settings = (data, names, depth, width, init, learning_rate, TRAIN_EPOCHS)
try:
    work = check_heatmap(dataset, names, depth, width, TRAIN_EPOCHS)  # the engine's own check, before the button
    too_heavy = False
except ValueError as error:
    too_heavy = True
    st.warning(str(error), icon=TOO_HEAVY)
else:
    if (expected := work_estimate(work, TRAIN_DTYPE)) is not None:
        estimate_col.caption(f":material/schedule: {expected}")
networks = f"{len(names)} network{'s' if len(names) > 1 else ''}"
if button_col.button("Train", type="primary", icon=":material/play_arrow:", key="flow.train", disabled=too_heavy,
                     help=f"{TRAIN_EPOCHS} epochs of SGD in {TRAIN_DTYPE}, batch 32, seed 0, the same batches for all"):
    bar, report = progress_bar(st, f"Training {networks}:")
    start = time.perf_counter()
    try:
        st.session_state[HEATMAP_KEY] = (settings, training_heatmap(
            dataset, names, depth, width, init, TRAIN_EPOCHS, learning_rate, seed=0, dtype=TRAIN_DTYPE,
            progress=report))
        took = seconds(time.perf_counter() - start)
        bar.progress(1.0, text=f"Trained {networks} for {TRAIN_EPOCHS} epochs in {took}.")
    except ValueError as error:
        bar.empty()
        st.error(f"These settings cannot train: {error}")
trained = st.session_state.get(HEATMAP_KEY)
if trained is None:
    st.info(f"Press **Train** to train each network for {TRAIN_EPOCHS} epochs and watch every layer's gradient norm.")
elif trained[0] != settings:
    st.info("The settings changed since the last training. Press **Train** to train with these.")
else:
    heatmap = trained[1]
    show(st, charts.heatmap_chart(heatmap, names, TRAIN_EPOCHS), width="content")
    by_epoch = log10_ratio_by_epoch(heatmap)
    lines = []
    for n in names:
        last_epoch = int(heatmap.loc[heatmap["activation"] == n, "epoch"].max())
        log_ratio = by_epoch[by_epoch["activation"] == n].set_index("epoch")["log10_ratio"]
        if log_ratio.empty:
            lines.append(f"- **{label(n)}**: no finite gradient to compare")
            continue
        line = f"- **{label(n)}**: first ÷ last {power_of_ten(log_ratio.iloc[0])} at init"
        if log_ratio.index[-1] > 0:
            line += f", {power_of_ten(log_ratio.iloc[-1])} at epoch {log_ratio.index[-1]}"
        if last_epoch < TRAIN_EPOCHS:
            line += f" — **diverged** at epoch {last_epoch}: its loss or weights stopped being finite"
        lines.append(line)
    st.markdown("\n".join(lines))

# (4) Exploding
st.subheader("Exploding")
act_col, scale_col = st.columns([1, 2])
explode_name = form.widget(act_col, "explode_activation")
low, high = form.widget(scale_col, "scales")
scales = tuple(s for s in SCALE_CHOICES if low <= s <= high)
blowup = within_cap(cached_exploding, data, explode_name, depth, width, init, scales)
if blowup is not None:
    show(st, charts.exploding_chart(blowup, explode_name), width="stretch")
    if len(scales) > 1:
        growth = log10_growth(blowup)
        base = f"×{scales[0]:g}"
        st.markdown("Relative to " + base + ": " + "; ".join(
            f"**×{s:g}** multiplies the first matrix's gradient by {power_of_ten(growth.loc[s].iloc[0])} and the "
            f"last one's by {power_of_ten(growth.loc[s].iloc[-1])}" for s in scales[1:]) + ".")
    else:
        st.caption("Widen the range to compare init scales.")

# (5) Why
st.subheader("Why")
st.markdown(
    r"""
Backprop multiplies. The gradient reaching hidden layer $l$ is the next layer's, sent back through the
weights and scaled by the activation's derivative at every unit:
$\delta_l = (W_{l+1}\,\delta_{l+1}) \odot f'(z_l)$, and $\partial L/\partial W_l = h_{l-1}\,\delta_l^\top$
(summed over samples). The first matrix's gradient therefore carries a product of $L$ such factors.

- **Sigmoid:** $\sigma'(x) = \sigma(x)\,(1-\sigma(x)) \le 0.25$, with equality only at $x = 0$. When the weights
  pass the signal on with a gain of about 1 (what Xavier init aims for), each layer shrinks the backward signal
  by a factor of 4 or more, so it falls like $0.25^L$: $0.25^{10} \approx 10^{-6}$ after 10 layers.
- **Tanh:** $\tanh'(x) = 1 - \tanh^2(x) \le 1$, with equality only at $x = 0$. Near zero, with Xavier init, it passes
  gradients almost unchanged; it shrinks them only where units saturate.
- **ReLU:** its derivative is exactly 1 wherever a unit is active (0 elsewhere), so the active path has no
  shrinking factor. **He init**, $\operatorname{Var} w = 2/\text{fan\_in}$, keeps the variance of the
  pre-activations constant from layer to layer: ReLU zeroes the negative half of a symmetric input, so
  $\mathbb{E}[\operatorname{relu}(z)^2] = \operatorname{Var}(z)/2$, and
  $\operatorname{Var} z_{l+1} = \text{fan\_in} \cdot \tfrac{2}{\text{fan\_in}} \cdot \tfrac{\operatorname{Var} z_l}{2}
  = \operatorname{Var} z_l$. With equal layer widths the same factor 2 keeps the backward signal's variance
  steady too.
- **Exploding:** the same products grow when each factor exceeds 1. A ReLU network with zero biases is positively
  homogeneous, so multiplying every weight by $c$ multiplies every matrix's gradient by about $c^{L}$
  ($L$ hidden layers), the first matrix's as much as the last one's.
"""
)
