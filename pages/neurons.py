"""Neurons: what the hidden units do — exact zeros, dead units, means — and how ReLU units die."""

import time

import pandas as pd
import streamlit as st

from core.engine.data import DATASETS
from core.engine.training import network_for
from core.io.history import divergences, thin
from core.lab.neurons import SCENARIO_ACTIVATIONS, SCENARIOS, check_experiment, dying_at_init, snapshot
from core.settings import Experiment
from pages.ui import neuron_charts, training_charts
from pages.ui.arena_views import divergence_notices
from pages.ui.controls import (
    OPTIMIZER_LABELS,
    TOO_HEAVY,
    dataset_controls,
    network_controls,
    training_controls,
    within_cap,
)
from pages.ui.palette import label
from pages.ui.session import dataset_for, live_run, redraws, transport

PREFIX = "neurons"
RUN_KEY = "neurons.run"
PLAYING_KEY = "neurons.playing"
SCENARIO_KEY = "neurons.scenario"
MONTE_CARLO_KEY = "neurons.monte_carlo"
LAYER_KEY = "neurons.histogram_layer"
FRAMES_KEY = "neurons.frames"
REDRAW_EVERY = 0.25  # seconds between redraws while the engine trains in the background
REFRESH_SECONDS = 1.0  # while playing, unit maps and histograms are recomputed at most this often
DEFAULTS = Experiment(activations=SCENARIO_ACTIVATIONS, hidden_layers=(16, 16), init="auto", learning_rate=0.1,
                      epochs=100)
MONTE_CARLO_WIDTHS = (2, 3, 4)
MONTE_CARLO_DEPTH = 30


@st.cache_data(show_spinner="Drawing thousands of ReLU networks…", max_entries=8)
def cached_dying_at_init(n_seeds: int) -> pd.DataFrame:
    return dying_at_init(MONTE_CARLO_WIDTHS, range(1, MONTE_CARLO_DEPTH + 1), n_seeds=n_seeds)


def widget_values(experiment: Experiment) -> dict:
    """The sidebar's widget state that reproduces ``experiment`` (keys as pages.ui.controls names them)."""
    values = {
        "dataset": experiment.dataset, "n_samples": experiment.n_samples, "noise": experiment.noise,
        "train_share": round(100 * (1 - experiment.test_size)), "depth": len(experiment.hidden_layers),
        "width": experiment.hidden_layers[0], "activations": list(experiment.activations),
        "leaky_alpha": experiment.leaky_alpha, "elu_alpha": experiment.elu_alpha, "init": experiment.init,
        "bias_init": experiment.bias_init, "optimizer": experiment.optimizer,
        "learning_rate": experiment.learning_rate, "batch_size": experiment.batch_size, "epochs": experiment.epochs,
        "l2": experiment.l2, "seeds": experiment.seeds, "first_seed": experiment.first_seed,
    }
    return {f"{PREFIX}.{key}": value for key, value in values.items()}


def load_scenario(name: str) -> None:
    """Runs before the script: set every sidebar widget, start a fresh run and let it play."""
    st.session_state.update(widget_values(SCENARIOS[name]))
    st.session_state.pop(RUN_KEY, None)
    st.session_state[SCENARIO_KEY] = name
    st.session_state[PLAYING_KEY] = True


def describe(experiment: Experiment) -> str:
    depth, width = len(experiment.hidden_layers), experiment.hidden_layers[0]
    return (f"{DATASETS[experiment.dataset].label}, {depth} hidden layers × {width} units, He init, hidden biases "
            f"start at {experiment.bias_init:g}, {OPTIMIZER_LABELS[experiment.optimizer]} with learning rate "
            f"{experiment.learning_rate:g} (batch {experiment.batch_size}), {experiment.epochs} epochs, "
            f"seed {experiment.first_seed}; " + ", ".join(label(n) for n in experiment.activations) + " side by side.")


st.title("Neurons: sparsity and dead units")
st.caption("What the hidden units output, which of them have stopped learning, and why. Every number on this "
           "page is measured on the training set of the run below.")

with st.sidebar:
    with st.expander("Data", expanded=True):
        data_values = dataset_controls(PREFIX, DEFAULTS)
    with st.expander("Network", expanded=True):
        network_values = network_controls(PREFIX, DEFAULTS, max_depth=6)
    with st.expander("Training", expanded=True):
        training_values = training_controls(PREFIX, DEFAULTS)

st.markdown("**One-click scenarios** — the same data, initial draws and batches for ReLU, Leaky ReLU and ELU:")
scenario_columns = st.columns([2, 2, 3])
for column, name in zip(scenario_columns, SCENARIOS, strict=False):
    column.button(name, on_click=load_scenario, args=(name,), width="stretch", key=f"neurons.scenario.{name}",
                  icon=":material/science:", help=describe(SCENARIOS[name]))

if not network_values["activations"]:
    st.info("Choose at least one activation in the sidebar to start an experiment.")
    st.stop()
try:
    experiment = Experiment(**data_values, **network_values, **training_values)
    dataset = dataset_for(experiment)
except ValueError as error:
    st.error(f"These settings cannot run: {error}")
    st.stop()
try:
    check_experiment(experiment, dataset)  # over the engine's work cap: say so, train nothing
except ValueError as error:
    st.warning(str(error), icon=TOO_HEAVY)
    st.session_state[PLAYING_KEY] = False
    run = changed = None
else:
    try:
        run, changed = live_run(RUN_KEY, experiment)
    except ValueError as error:
        st.error(f"These settings cannot run: {error}")
        st.stop()

scenario = st.session_state.get(SCENARIO_KEY)
if scenario is not None and SCENARIOS.get(scenario) != experiment:
    scenario = st.session_state[SCENARIO_KEY] = None
if scenario is not None:
    st.info(f"**{scenario}.** {describe(experiment)}", icon=":material/science:")
if changed:
    st.session_state[PLAYING_KEY] = False
    st.toast("Settings changed: the experiment was reset to epoch 0.")
playing = run is not None and st.session_state.setdefault(PLAYING_KEY, False) and not run.done

if run is not None:
    transport("neurons", run, playing, start_label="Train")
    dataset = run.dataset

names = list(experiment.activations)
X = dataset.X_train


def first_run(name: str) -> int:
    """Run index of an activation's first seed (configs are activation-major)."""
    return experiment.activations.index(name) * experiment.seeds


def neuron_frames(shown: list[str], layer: int) -> dict[str, pd.DataFrame]:
    """Histograms (of one layer), zero counts, unit states and means of each activation's first seed,
    at init and now."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for name in shown:
        r = first_run(name)
        frames = snapshot(network_for(run.configs[r], dataset), run.model(r), X, histogram_layers=[layer])
        for key, frame in frames.items():
            parts.setdefault(key, []).append(frame.assign(activation=name, label=label(name)))
    return {key: pd.concat(frames, ignore_index=True) for key, frames in parts.items()}


def verdicts(shown: list[str], frames: dict[str, pd.DataFrame] | None, diverged: pd.DataFrame,
             history: pd.DataFrame):
    """Dead units now against init, and test accuracy, for each activation's first seed."""
    latest = history[history["epoch"] == history.groupby("run")["epoch"].transform("max")]
    columns = st.columns(len(names))
    for column, name in zip(columns, names, strict=True):
        r = first_run(name)
        accuracy = latest[(latest["run"] == r) & (latest["metric"] == "test_accuracy")]["value"]
        note = f"test accuracy {accuracy.iloc[0]:.1%}" if len(accuracy) and pd.notna(accuracy.iloc[0]) else ""
        if name not in shown:
            epoch = diverged.loc[diverged["run"] == r, "epoch"].iloc[0]
            column.metric(label(name), "diverged", f"at epoch {epoch}", delta_color="off", delta_arrow="off")
            continue
        units = frames["units"][frames["units"]["activation"] == name]
        before = frames["units_init"][frames["units_init"]["activation"] == name]
        dead, dead_before = int(units["dead"].sum()), int(before["dead"].sum())
        column.metric(label(name), f"{dead} of {len(units)} units dead", f"{dead - dead_before:+d} since init",
                      delta_color="inverse" if dead != dead_before else "off", delta_arrow="off")
        stuck = int((units["no_gradient"] & ~units["dead"]).sum())
        if stuck:
            note += f"{'; ' if note else ''}{stuck} more units with f′ = 0 for every input"
        if note:
            column.caption(note)


def current_frames(shown: list[str], layer: int) -> tuple[dict[str, pd.DataFrame] | None, int]:
    """The neuron frames and the epoch they show: recomputed at most once a second while playing."""
    if not shown:
        return None, run.epoch
    cached = st.session_state.get(FRAMES_KEY)
    now = time.monotonic()
    if cached is not None and cached["run"] is run and cached["view"] == (layer, tuple(shown)):
        waiting = st.session_state.get(PLAYING_KEY) and not run.done and now - cached["at"] < REFRESH_SECONDS
        if cached["epoch"] == run.epoch or waiting:
            return cached["frames"], cached["epoch"]
    frames = neuron_frames(shown, layer)
    st.session_state[FRAMES_KEY] = {"run": run, "epoch": run.epoch, "view": (layer, tuple(shown)), "at": now,
                                    "frames": frames}
    return frames, run.epoch


def live_view():
    """Reruns on its own while playing, one redraw per run (the whole section below is redrawn)."""
    for _ in redraws("neurons", run, REDRAW_EVERY):  # ends with the page's rerun once the run is done
        neurons_view()


def neurons_view():
    st.progress(run.epoch / run.epochs, text=f"Epoch {run.epoch} / {run.epochs}")
    history = run.history()
    diverged = divergences(history)
    divergence_notices(diverged, "Training stopped it, so it has no units to show below.")
    shown = [n for n in names if first_run(n) not in set(diverged["run"])]
    depth = len(experiment.hidden_layers)
    if st.session_state.get(LAYER_KEY) not in range(1, depth + 1):
        st.session_state[LAYER_KEY] = 1
    layer = st.session_state[LAYER_KEY]
    frames, drawn_at = current_frames(shown, layer)
    verdicts(shown, frames, diverged, history)
    if frames is None:
        return
    if drawn_at != run.epoch:
        st.caption(f"Units, histograms and means drawn at epoch {drawn_at}; they refresh about once a second "
                   "while training.")

    st.subheader("Dead units", help="First seed of each activation, on the training set, at the current epoch.")
    st.markdown(
        "A ReLU unit is **dead** when its pre-activation is ≤ 0 for every training input: its output is 0 and "
        "relu′ is 0 for every input, so the loss gradient of its incoming weights and bias is 0 and plain SGD "
        "never changes them again. Only a change in an earlier layer could revive it — and the first layer's "
        "inputs never change. Leaky ReLU's "
        "slope α > 0 for x < 0 and ELU's αeˣ keep a gradient, so their units cannot die this way. Grey marks a "
        "unit whose output is not 0 but whose f′ is exactly 0 in floating point for every input (deep saturation, "
        "e.g. ELU stuck at −α) — just as stuck.")
    st.altair_chart(neuron_charts.dead_unit_map(frames["units"], shown), width="content")

    st.subheader("Histograms of each layer's outputs")
    st.radio("Hidden layer", list(range(1, depth + 1)), horizontal=True, key=LAYER_KEY,
             format_func=lambda n: f"layer {n}")
    st.markdown(
        "Each bar is the share of the layer's outputs (all training samples × all units) in that bin, at init "
        "and now on the same bins. ReLU sends every negative pre-activation to exactly 0, so its histogram has "
        "a spike at 0; Leaky ReLU (αx) and ELU (α(eˣ − 1)) send them to small non-zero values. The subtitles "
        "count exact zeros separately from outputs that are merely close to 0.")
    zeros = frames["zeros"][frames["zeros"]["layer"] == layer]
    st.altair_chart(neuron_charts.histogram_grid(frames["histograms"], zeros, shown), width="content")

    st.subheader("Sparsity and dead units over training")
    band = thin(run.bands(), 200)
    left, right = st.columns(2)
    left.altair_chart(training_charts.layer_lines(band, names, "sparsity", "Sparsity: share of exact zeros",
                                                  "fraction of zeros", domain=[0, 1], epochs=run.epochs),
                      width="stretch")
    right.altair_chart(training_charts.layer_lines(band, names, "dead_fraction",
                                                   "Dead units: 0 for every training sample", "fraction of units",
                                                   domain=[0, 1], epochs=run.epochs), width="stretch")
    st.caption("Sparsity is the share of exact zeros among all of a layer's outputs on the training set; the dead "
               "fraction is the share of its units that output 0 for every training sample. With plain SGD a dead "
               "first-layer ReLU unit stays dead for good; a deeper one can only come back if an earlier layer "
               "changes.")

    st.subheader("Mean output per layer: is it zero-centred?")
    means = frames["means"]
    spread = means["mean"].abs().max()
    left, right = st.columns([3, 2])
    left.altair_chart(neuron_charts.mean_activation_chart(means, shown, symlog=bool(spread > 100)), width="stretch")
    now = means[means["when"] == "now"].groupby("label", sort=False)["mean"].mean()
    right.markdown(
        "ReLU never outputs a negative number, so a layer's mean output is positive (0 only if the whole layer "
        "is dead): ReLU is not zero-centred, "
        "and all of a next-layer unit's incoming weights get gradients of one sign for a given sample. Tanh is "
        "odd, so with zero biases on standardised inputs its means start near 0. ELU's α(eˣ − 1) < 0 for x < 0 "
        "pulls its means towards 0.")
    right.markdown("Now, averaged over layers: " + "; ".join(f"{a} **{m:.3g}**" for a, m in now.items()) + ".")
    if "tanh" not in names:
        right.caption("Add Tanh to the activations in the sidebar to see a zero-centred one beside them.")


if run is not None:
    st.fragment(live_view, run_every=REDRAW_EVERY if playing else None)()

st.divider()
st.subheader("Dying at init: deep, narrow ReLU networks")
st.markdown(
    "Before any training, a ReLU layer can be dead for every input. One such layer makes every later layer — and "
    "so the network's output — the same for every input. Lu et al. (2019, *Dying ReLU and Initialization*) show "
    "that at a fixed width this becomes certain as depth grows. Here: He-normal weights, zero biases, "
    f"{MONTE_CARLO_DEPTH} hidden ReLU layers of width {', '.join(map(str, MONTE_CARLO_WIDTHS))} on 200 "
    "standard-normal 2-D inputs; a network counts as collapsed when its last hidden layer's output is identical "
    "for every input.")
mc_left, mc_right = st.columns([1, 3])
n_seeds = mc_left.select_slider("Networks per width and depth", [500, 1000, 2000, 5000], value=2000,
                                key="neurons.mc_seeds")
if mc_right.button("Run the Monte Carlo", icon=":material/casino:", key="neurons.mc_run"):
    st.session_state[MONTE_CARLO_KEY] = True
shares = within_cap(cached_dying_at_init, n_seeds) if st.session_state.get(MONTE_CARLO_KEY) else None
if shares is not None:
    st.altair_chart(neuron_charts.dying_curve(shares), width="stretch")
    at = shares.set_index(["depth", "width"])["share_collapsed"]
    lines = [f"width {w}: {at[(3, w)]:.1%} at depth 3, {at[(10, w)]:.1%} at depth 10, "
             f"{at[(MONTE_CARLO_DEPTH, w)]:.1%} at depth {MONTE_CARLO_DEPTH}" for w in MONTE_CARLO_WIDTHS]
    st.markdown(f"Measured over {n_seeds:,} networks each — " + "; ".join(lines) + ".")
