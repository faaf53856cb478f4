"""Neurons: what the hidden units do — exact zeros, dead units, means — and how ReLU units die."""

import time

import pandas as pd
import streamlit as st

from core.engine.live import LiveRun
from core.engine.training import network_for
from core.io.history import divergences, thin
from core.lab.neurons import SCENARIOS, check_experiment, dead_units_verdict, dying_at_init, snapshot
from core.settings import NEURONS, Experiment
from pages.ui import neuron_charts, training_charts
from pages.ui.estimate import progress_bar, run_estimate
from pages.ui.notices import TOO_HEAVY, divergence_notices, ignored_link_notice, within_cap
from pages.ui.palette import label
from pages.ui.render import show
from pages.ui.saturation_view import saturation_section
from pages.ui.session import dataset_for, epoch_counter, live_run, redraws, transport
from pages.ui.settings_form import SettingsForm, apply_settings
from pages.ui.shared import shared_results
from pages.ui.shell import page_header, page_shell

present = page_shell()

PREFIX = "neurons"
RUN_KEY = "neurons.run"
PLAYING_KEY = "neurons.playing"
SCENARIO_KEY = "neurons.scenario"
MONTE_CARLO_KEY = "neurons.monte_carlo"
LAYER_KEY = "neurons.histogram_layer"
FRAMES_KEY = "neurons.frames"
REDRAW_EVERY = 0.25  # seconds between redraws while the engine trains in the background
REFRESH_SECONDS = 1.0  # while playing, unit maps and histograms are recomputed at most this often
MONTE_CARLO_WIDTHS = (2, 3, 4)
MONTE_CARLO_DEPTH = 30


def shared_dying_at_init(n_seeds: int) -> pd.DataFrame:
    """The Monte Carlo for ``n_seeds``, computed once per server (``SharedResults``: deterministic, and it reports
    its progress, which ``st.cache_data`` could not replay), with a progress bar while it is computed."""
    store = shared_results("neurons.dying_at_init")
    entry = store.latest(n_seeds)
    if entry is None:
        bar, report = progress_bar(st, f"Drawing {n_seeds:,} ReLU networks per width and depth:", unit="layer")
        entry = store.get(n_seeds, lambda relay: dying_at_init(MONTE_CARLO_WIDTHS, range(1, MONTE_CARLO_DEPTH + 1),
                                                               n_seeds=n_seeds, progress=relay), progress=report)
        bar.empty()
    return entry.value


def load_scenario(name: str) -> None:
    """Runs before the script: set every sidebar widget, start a fresh run and let it play."""
    apply_settings(PREFIX, NEURONS, SCENARIOS[name].to_dict())
    st.session_state.pop(RUN_KEY, None)
    st.session_state[SCENARIO_KEY] = name
    st.session_state[PLAYING_KEY] = True


def describe(experiment: Experiment) -> str:
    """A scenario's settings in one sentence, from the table's own labels."""
    depth, width = len(experiment.hidden_layers), experiment.hidden_layers[0]
    shown = {name: NEURONS[name].display(getattr(experiment, name)) for name in ("dataset", "init", "optimizer")}
    return (f"{shown['dataset']}, {depth} hidden layers × {width} units, {shown['init']} init, hidden biases "
            f"start at {experiment.bias_init:g}, {shown['optimizer']} with learning rate "
            f"{experiment.learning_rate:g} (batch {experiment.batch_size}), {experiment.epochs} epochs, "
            f"seed {experiment.first_seed}; " + ", ".join(label(n) for n in experiment.activations) + " side by side.")


def neuron_frames(run: LiveRun, shown: list[str], layer: int) -> dict[str, pd.DataFrame]:
    """Histograms (of one layer), zero counts, unit states and means of each activation's first seed,
    at init and now."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for name in shown:
        r = run.experiment.first_run(name)
        frames = snapshot(network_for(run.configs[r], run.dataset), run.model(r), run.dataset.X_train,
                          histogram_layers=[layer])
        for key, frame in frames.items():
            parts.setdefault(key, []).append(frame.assign(activation=name, label=label(name)))
    return {key: pd.concat(frames, ignore_index=True) for key, frames in parts.items()}


def verdicts(run: LiveRun, shown: list[str], frames: dict[str, pd.DataFrame] | None, diverged: pd.DataFrame,
             history: pd.DataFrame):
    """Dead units now against init, and test accuracy, for each activation's first seed."""
    latest = history[history["epoch"] == history.groupby("run")["epoch"].transform("max")]
    names = run.experiment.activations
    columns = st.columns(len(names))
    accuracies, dead_counts = {}, []
    for column, name in zip(columns, names, strict=True):
        r = run.experiment.first_run(name)
        accuracy = latest[(latest["run"] == r) & (latest["metric"] == "test_accuracy")]["value"]
        note = f"test accuracy {accuracy.iloc[0]:.1%}" if len(accuracy) and pd.notna(accuracy.iloc[0]) else ""
        if note:
            accuracies[name] = float(accuracy.iloc[0])
        if name not in shown:
            epoch = diverged.loc[diverged["run"] == r, "epoch"].iloc[0]
            column.metric(label(name), "diverged", f"at epoch {epoch}", delta_color="off", delta_arrow="off")
            continue
        units = frames["units"][frames["units"]["activation"] == name]
        before = frames["units_init"][frames["units_init"]["activation"] == name]
        dead, dead_before = int(units["dead"].sum()), int(before["dead"].sum())
        column.metric(label(name), f"{dead} of {len(units)} units dead", f"{dead - dead_before:+d} since init",
                      delta_color="inverse" if dead != dead_before else "off", delta_arrow="off")
        dead_counts.append((name, dead, dead_before))
        stuck = int((units["no_gradient"] & ~units["dead"]).sum())
        if stuck:
            note += f"{'; ' if note else ''}{stuck} more units with f′ = 0 for every input"
        if note:
            column.caption(note)
    if run.done and accuracies:  # at the end, say plainly whether the units lost cost accuracy in this run
        best = max(accuracies, key=accuracies.get)
        sentences = [dead_units_verdict(label(name), dead, dead_before, accuracies.get(name, float("nan")),
                                        label(best), accuracies[best]) for name, dead, dead_before in dead_counts]
        for sentence in filter(None, sentences):
            st.caption(sentence)


def current_frames(run: LiveRun, shown: list[str], layer: int) -> tuple[dict[str, pd.DataFrame] | None, int]:
    """The neuron frames and the epoch they show: recomputed at most once a second while playing."""
    if not shown:
        return None, run.epoch
    cached = st.session_state.get(FRAMES_KEY)
    now = time.monotonic()
    if cached is not None and cached["run"] is run and cached["view"] == (layer, tuple(shown)):
        waiting = st.session_state.get(PLAYING_KEY) and not run.done and now - cached["at"] < REFRESH_SECONDS
        if cached["epoch"] == run.epoch or waiting:
            return cached["frames"], cached["epoch"]
    frames = neuron_frames(run, shown, layer)
    st.session_state[FRAMES_KEY] = {"run": run, "epoch": run.epoch, "view": (layer, tuple(shown)), "at": now,
                                    "frames": frames}
    return frames, run.epoch


def live_view(run: LiveRun, status=None):
    """Reruns on its own while playing, one redraw per run (the whole section below is redrawn); the counter goes
    in ``status`` when given (presenter mode: the transport's row)."""
    counter = status.empty() if status is not None else None
    for playing in redraws("neurons", run, REDRAW_EVERY):  # ends with the page's rerun once the run is done
        neurons_view(run, playing, counter)


def neurons_view(run: LiveRun, playing: bool, counter=None):
    experiment = run.experiment
    names = list(experiment.activations)
    epoch_counter(run, counter, run_estimate(run, playing) if playing else None)
    history = run.history()
    diverged = divergences(history)
    divergence_notices(diverged, "Training stopped it, so it has no units to show below.")
    shown = [n for n in names if experiment.first_run(n) not in set(diverged["run"])]
    depth = len(experiment.hidden_layers)
    if st.session_state.get(LAYER_KEY) not in range(1, depth + 1):
        st.session_state[LAYER_KEY] = 1
    layer = st.session_state[LAYER_KEY]
    frames, drawn_at = current_frames(run, shown, layer)
    verdicts(run, shown, frames, diverged, history)
    if frames is None:
        return
    if drawn_at != run.epoch:
        st.caption(f"Units, histograms and means drawn at epoch {drawn_at}; they refresh about once a second "
                   "while training.")

    st.subheader("Dead units", help="First seed of each activation, on the training set, at the current epoch.")
    if counter is None:  # presenting (the counter in the top row), the chart without the paragraph
        st.markdown(
            "A ReLU unit is **dead** when its pre-activation is ≤ 0 for every training input: its output is 0 and "
            "relu′ is 0 for every input, so the loss gradient of its incoming weights and bias is 0 and plain SGD "
            "never changes them again (momentum and Adam can keep moving them for a while). Only a change in an "
            "earlier layer could revive it, and the first layer's inputs never change. Leaky ReLU's slope α > 0 for "
            "x < 0 keeps a gradient for every input, so its units cannot die. ELU's αeˣ cannot be exactly 0 either, "
            "but far to the left it is tiny: grey marks a unit whose output is not 0 but whose f′ is exactly 0 in "
            "floating point for every input (deep saturation, e.g. ELU stuck at −α), just as stuck.")
    show(st, neuron_charts.dead_unit_map(frames["units"], shown), width="content")

    st.subheader("Histograms of each layer's outputs")
    st.radio("Hidden layer", list(range(1, depth + 1)), horizontal=True, key=LAYER_KEY,
             format_func=lambda n: f"layer {n}")
    st.markdown(
        "Each bar is the share of the layer's outputs (all training samples × all units) in that bin, at init "
        "and now on the same bins. ReLU sends every negative pre-activation to exactly 0, so its histogram has "
        "a spike at 0; Leaky ReLU sends a negative x to αx, and ELU to α(eˣ − 1), a value in (−α, 0): neither is "
        "0. The subtitles count exact zeros separately from outputs that are merely close to 0.")
    zeros = frames["zeros"][frames["zeros"]["layer"] == layer]
    show(st, neuron_charts.histogram_grid(frames["histograms"], zeros, shown), width="content")

    st.subheader("Sparsity and dead units over training")
    band = thin(run.bands(), 200)
    left, right = st.columns(2)
    show(left, training_charts.layer_lines(band, names, "sparsity", "Sparsity: share of exact zeros",
                                                  "fraction of zeros", domain=[0, 1], epochs=run.epochs),
                      width="stretch")
    show(right, training_charts.layer_lines(band, names, "dead_fraction",
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
    show(left, neuron_charts.mean_activation_chart(means, shown, symlog=bool(spread > 100)), width="stretch")
    now = means[means["when"] == "now"].groupby("label", sort=False)["mean"].mean()
    right.markdown(
        "ReLU never outputs a negative number, so a layer's mean output is positive (0 only if the whole layer "
        "is dead): ReLU is not zero-centred. That matters twice. For one sample, all of a next-layer unit's "
        "incoming weights get gradients of the same sign (averaging over a batch softens this). And the positive "
        "mean shifts the next layer's inputs, which slows learning; ELU's α(eˣ − 1) < 0 for x < 0 pulls its means "
        "towards 0 and reduces that shift (Clevert et al. 2015). Tanh is odd, so with zero biases on standardised "
        "inputs its means start near 0.")
    right.markdown("Now, averaged over layers: " + "; ".join(f"{a} **{m:.3g}**" for a, m in now.items()) + ".")
    if "tanh" not in names:
        right.caption("Add Tanh to the activations in the sidebar to see a zero-centred one beside them.")


def monte_carlo() -> None:
    """Lu et al.'s (2019) dying-at-init experiment, on demand (it draws thousands of networks)."""
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
    shares = within_cap(shared_dying_at_init, n_seeds) if st.session_state.get(MONTE_CARLO_KEY) else None
    if shares is not None:
        show(st, neuron_charts.dying_curve(shares), width="stretch")
        at = shares.set_index(["depth", "width"])["share_collapsed"]
        lines = [f"width {w}: {at[(3, w)]:.1%} at depth 3, {at[(10, w)]:.1%} at depth 10, "
                 f"{at[(MONTE_CARLO_DEPTH, w)]:.1%} at depth {MONTE_CARLO_DEPTH}" for w in MONTE_CARLO_WIDTHS]
        st.markdown(f"Measured over {n_seeds:,} networks each — " + "; ".join(lines) + ".")


TITLE = "Neurons: sparsity and dead units"
if not present:  # presenting, the title shares the transport's row
    page_header(
        TITLE,
        "What the hidden units output, which of them have stopped learning, and why. Every number on this "
        "page is measured on the training set of the run below.",
        present,
    )

form = SettingsForm(PREFIX, NEURONS, validate=lambda values: Experiment(**values))
form.panels_later(st.sidebar, {"Data": "data", "Network": "network", "Training": "training"})  # after the first chart
values = form.finish()
ignored_link_notice(form.ignored)



def scenario_buttons() -> None:
    """One button per scenario; each loads its settings (presenting: below the transport's row)."""
    if not present:
        st.markdown("**One-click scenarios** — the same data, initial draws and batches for ReLU, Leaky ReLU and "
                    "ELU:")
    for column, name in zip(st.columns([2, 2, 3]), SCENARIOS, strict=False):
        column.button(name, on_click=load_scenario, args=(name,), width="stretch", key=f"neurons.scenario.{name}",
                      icon=":material/science:", help=describe(SCENARIOS[name]))


if not present:
    scenario_buttons()

if not values["activations"]:
    st.info("Choose at least one activation in the sidebar to start an experiment.")
    form.stop()
try:
    experiment = Experiment(**values)
    dataset = dataset_for(experiment)
except ValueError as error:
    st.error(f"These settings cannot run: {error}")
    form.stop()
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
        form.stop()

scenario = st.session_state.get(SCENARIO_KEY)
if scenario is not None and SCENARIOS.get(scenario) != experiment:
    scenario = st.session_state[SCENARIO_KEY] = None
if scenario is not None:
    st.info(f"**{scenario}.** {describe(experiment)}", icon=":material/science:")
if changed:
    form.forget_ignored()
    st.session_state[PLAYING_KEY] = False
    st.toast("Settings changed: the experiment was reset to epoch 0.")
playing = run is not None and st.session_state.setdefault(PLAYING_KEY, False) and not run.done

if run is not None:
    status = transport("neurons", run, playing, start_label="Train", title=TITLE if present else None,
                       estimate=None if playing else run_estimate(run))
    if present:
        scenario_buttons()
    st.fragment(live_view, run_every=REDRAW_EVERY if playing else None)(run, status if present else None)
form.draw_panels()

monte_carlo()
saturation_section(present)  # where sigmoid saturates, trained live (pages/ui/saturation_view.py)
