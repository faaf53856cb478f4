"""Training Arena: several activations trained side by side, live, on identical data, seeds and batches."""

import time

import streamlit as st

from core.boundary import confusion_frame, decision_surface, points_frame
from core.experiment import Experiment
from core.history import bands, divergences, summary, thin
from pages.ui import training_charts as charts
from pages.ui.controls import dataset_controls, network_controls, training_controls
from pages.ui.palette import label
from pages.ui.render import draw
from pages.ui.session import live_run, reset_run

RUN_KEY = "arena.run"
PLAYING_KEY = "arena.playing"
TICK_SECONDS = 0.2  # engine time per redraw while playing: ~3 redraws a second
BOUNDARY_EVERY = 1.0  # seconds between decision-surface redraws while playing
BOUNDARY_RESOLUTION = 60

st.title("Training Arena")
st.caption("Every activation below trains on the same data, from the same initial draws and on the same "
           "batches for each seed — the only difference is the activation.")

with st.sidebar:
    with st.expander("Data", expanded=True):
        data_values = dataset_controls("arena", Experiment())
    with st.expander("Network", expanded=True):
        network_values = network_controls("arena", Experiment())
    with st.expander("Training", expanded=True):
        training_values = training_controls("arena", Experiment())

if not network_values["activations"]:
    st.info("Choose at least one activation in the sidebar to start an experiment.")
    st.stop()
try:
    experiment = Experiment(**data_values, **network_values, **training_values)
    run, changed = live_run(RUN_KEY, experiment)
except ValueError as error:
    st.error(f"These settings cannot run: {error}")
    st.stop()

if changed:
    st.session_state[PLAYING_KEY] = False
    st.toast("Settings changed: the experiment was reset to epoch 0.")
playing = st.session_state.setdefault(PLAYING_KEY, False) and not run.done


def toggle_play():
    st.session_state[PLAYING_KEY] = not st.session_state.get(PLAYING_KEY, False)


def step():
    st.session_state[PLAYING_KEY] = False
    st.session_state[RUN_KEY].step()


def reset():
    st.session_state[PLAYING_KEY] = False
    reset_run(RUN_KEY)


play_col, step_col, reset_col, _ = st.columns([1, 1, 1, 5])
play_label = "Finished" if run.done else "Pause" if playing else "Play" if run.epoch == 0 else "Resume"
play_col.button(play_label, on_click=toggle_play,
                type="primary", icon=":material/pause:" if playing else ":material/play_arrow:",
                disabled=run.done, width="stretch", key="arena.play")
step_col.button("Step", on_click=step, icon=":material/skip_next:", disabled=run.done, width="stretch",
                key="arena.step", help="Train one epoch")
reset_col.button("Reset", on_click=reset, icon=":material/restart_alt:", width="stretch",
                 key="arena.reset", help="Back to the networks at init")

names = list(experiment.activations)
dataset = run.dataset
is_classifier = dataset.task == "classification"


def boundary_charts() -> list:
    """One decision surface per activation (its first seed), from the live weights."""
    points = points_frame(dataset)
    out = []
    for name in names:
        first_run = experiment.activations.index(name) * experiment.seeds
        surface = decision_surface(run.model(first_run), dataset.X_train, BOUNDARY_RESOLUTION, dataset.class_names)
        out.append(charts.boundary_chart(surface, points, dataset.class_names, name, label(name),
                                         legend=not out))
    return out


def live_view():
    if st.session_state.get(PLAYING_KEY) and not run.done:
        run.advance(TICK_SECONDS)
    st.progress(run.epoch / run.epochs, text=f"Epoch {run.epoch} / {run.epochs}")
    history = thin(run.history(), 120 if st.session_state.get(PLAYING_KEY) else 300)
    diverged = divergences(run.history())
    for _, row in diverged.iterrows():
        st.warning(f"{row['activation']} (seed {row['seed']}) diverged at epoch {row['epoch']}: its loss or weights "
                   "stopped being finite. The learning rate is most likely too high for it; the other runs go on.",
                   icon=":material/warning:")
    band = bands(history, ["train_loss", "test_loss", "train_accuracy", "test_accuracy", "grad_norm", "sparsity",
                           "dead_fraction"])
    several_seeds = experiment.seeds > 1
    points = run.epoch == 0
    shape = (tuple(names), run.epochs, several_seeds, points)

    def lines(container, chart_id, data, title, y_title, log=False, domain=None, dash="split"):
        draw(container, (chart_id, *shape), data, lambda d: charts.line_chart(
            d, names, title, y_title, log, domain, run.epochs, dash, several_seeds, points))

    left, right = st.columns(2)
    lines(left, "loss", charts.split_data(band, {"train_loss": "train", "test_loss": "test"}, True, diverged),
          "Loss (cross-entropy)" if is_classifier else "Loss (½ MSE)", "loss", log=True)
    if is_classifier:
        lines(right, "accuracy", charts.split_data(band, {"train_accuracy": "train", "test_accuracy": "test"},
                                                    False, diverged), "Accuracy", "accuracy")
    else:
        right.info("Accuracy applies to classification; this dataset is a regression task.")
    left, right = st.columns(2)
    draw(left, ("grad_profile", *shape), charts.profile_data(band, "grad_norm"), lambda d: charts.profile_chart(
        d, names, "Gradient norm by layer, now", "‖∂L/∂W‖ (log)", x_title="weight matrix (1 = input side)",
        show_bands=several_seeds))
    lines(right, "grad_time", charts.layer_data(band, "grad_norm", True, diverged),
          "Gradient norm per layer over training", "‖∂L/∂W‖ (log)", log=True, dash="layer")
    left, right = st.columns(2)
    lines(left, "sparsity", charts.layer_data(band, "sparsity", False, diverged), "Sparsity: share of exact zeros",
          "fraction of zeros", domain=[0, 1], dash="layer")
    lines(right, "dead", charts.layer_data(band, "dead_fraction", False, diverged),
          "Dead units: 0 for every training sample", "fraction of units", domain=[0, 1], dash="layer")
    if dataset.is_2d and is_classifier:
        now = time.monotonic()
        cached = st.session_state.get("arena.boundaries")
        stale = cached is None or cached[0] is not run or cached[1] != run.epoch
        if stale and (not st.session_state.get(PLAYING_KEY) or now - st.session_state.get("arena.boundary_at", 0)
                      >= BOUNDARY_EVERY or run.done):
            cached = (run, run.epoch, boundary_charts())
            st.session_state["arena.boundaries"] = cached
            st.session_state["arena.boundary_at"] = now
        st.subheader("Decision boundaries", help="First seed of each activation; circles train, triangles test.")
        if cached is not None and cached[0] is run:
            columns = st.columns(min(len(names), 4))
            for i, chart in enumerate(cached[2]):
                columns[i % len(columns)].altair_chart(chart, width="content")
            if cached[1] != run.epoch:
                st.caption(f"Surfaces drawn at epoch {cached[1]}; they refresh about once a second while training.")
    if st.session_state.get(PLAYING_KEY) and run.done:
        st.session_state[PLAYING_KEY] = False
        st.rerun()


st.fragment(live_view, run_every=0.05 if playing else None)()

if not playing and run.epoch > 0:
    st.subheader("Summary" if run.done else f"Summary at epoch {run.epoch}")
    table = summary(run.history()).dropna(axis=1, how="all")
    percent = {c: "{:.1%}" for c in ("test accuracy", "± sd", "sparsity", "dead units") if c in table}
    st.dataframe(table.style.format({**percent, "epochs to 90% of final": "{:.0f}", "test loss": "{:.4f}",
                                     "ms / epoch": "{:.2f}"}, na_rep="–"),
                 hide_index=True, width="stretch")
    st.caption("Test accuracy is the mean over seeds (± one standard deviation). \"Epochs to 90% of final\" is the "
               "first epoch whose test accuracy reaches 90% of the final value. Sparsity and dead units are "
               "averaged over hidden layers. Time per epoch splits the shared matrix work evenly and adds each "
               "activation's own cost.")
    if is_classifier:
        chosen = st.selectbox("Confusion matrix for", names, format_func=label, key="arena.confusion")
        first_run = experiment.activations.index(chosen) * experiment.seeds
        confusion = confusion_frame(run.model(first_run), dataset.X_test, dataset.y_test, dataset.class_names)
        st.altair_chart(charts.confusion_chart(confusion, f"{label(chosen)}, seed {experiment.first_seed}, test set"))
