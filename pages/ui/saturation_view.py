"""Where sigmoid saturates: a section of the Neurons page (Glorot & Bengio 2010, Figure 2), trained live.

A sigmoid network of 4 or 5 hidden layers with the then-standard init U[−1/√n, 1/√n], beside tanh with the same init
and sigmoid with the normalised (Xavier) init, trained on digits with plain SGD on batches of 10; after every epoch
each hidden layer's outputs on 300 training rows are measured (``core.lab.saturation.SaturationRun``). Play, Step and
Reset are the live pages' own (``pages.ui.session``). Its settings are the ``SATURATION`` table, in the URL under
``saturation.``. Layout and state only; the charts are in ``pages.ui.saturation_charts``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.lab.saturation import COMBOS, SaturationExperiment, SaturationRun, top_layer
from core.settings import INIT_LABELS, SATURATION
from pages.ui import saturation_charts
from pages.ui.notices import TOO_HEAVY, ignored_link_notice
from pages.ui.palette import label
from pages.ui.render import show
from pages.ui.session import live_run, redraws, transport
from pages.ui.settings_form import SettingsForm

PREFIX = "saturation"
RUN_KEY = "saturation.run"
PLAYING_KEY = "saturation.playing"
STARTED_KEY = "saturation.started"
REDRAW_EVERY = 1.0  # seconds between redraws while training: an epoch here takes about a second
INIT_NAMES = {"standard": "standard U[±1/√n]", "xavier": "normalised (Xavier)"}
LOW = 0.1  # a sigmoid layer's mean output below this counts as driven towards 0 (its saturated side)


def saturation_section(present: bool) -> None:
    """The whole section; its own settings, transport and live chart."""
    st.divider()
    st.subheader("Where sigmoid saturates: the top layer driven to 0")
    st.markdown(
        "Glorot & Bengio (2010, Figure 2) trained deep sigmoid networks with the then-standard init "
        "U[−1/√n, 1/√n] and watched each hidden layer: the top hidden layer (next to the output) was pushed to 0, "
        "sigmoid's saturated side, early in training, and came back only slowly; tanh, and the normalised init, fared "
        "better. Here the same experiment trains on digits, 100 units per layer, plain SGD on batches of 10.")
    form = SettingsForm(PREFIX, SATURATION)
    values = form.finish()
    ignored_link_notice(form.ignored)
    for column, name in zip(st.columns(4), ("depth", "learning_rate", "epochs", "seed"), strict=True):
        form.widget(column, name)
    experiment = SaturationExperiment(depth=values["depth"], learning_rate=values["learning_rate"],
                                      epochs=values["epochs"], seed=values["seed"])
    if not st.session_state.get(STARTED_KEY):  # nothing heavy until asked: the rest of the page stays quick
        st.button("Train", key="saturation.start", type="primary", icon=":material/play_arrow:", on_click=start,
                  help="Three networks on digits, about a second per epoch on a 2-core server")
        st.caption(f"Trains sigmoid and tanh with the standard init and sigmoid with the normalised init for "
                   f"{values['epochs']} epochs, live; Pause, Step and Reset appear once it starts.")
        return
    try:
        run, changed = live_run(RUN_KEY, experiment, kind=SaturationRun)
    except ValueError as error:
        st.warning(str(error), icon=TOO_HEAVY)
        return
    if changed:
        st.session_state[PLAYING_KEY] = False
    playing = st.session_state.setdefault(PLAYING_KEY, False) and not run.done
    transport(PREFIX, run, playing, start_label="Train")

    def live() -> None:
        for _ in redraws(PREFIX, run, REDRAW_EVERY):  # ends with the page's rerun once the run is done
            live_view(run, present)

    st.fragment(live, run_every=REDRAW_EVERY if playing else None)()


def start() -> None:
    st.session_state[STARTED_KEY] = True
    st.session_state[PLAYING_KEY] = True


def live_view(run: SaturationRun, present: bool) -> None:
    st.progress(run.epoch / run.epochs, text=f"Epoch {run.epoch} / {run.epochs}")
    frame = run.statistics()
    chart = saturation_charts.saturation_chart(frame, INIT_NAMES, run.epochs)
    show(st, chart, width="content")
    st.markdown(reading(frame))
    if not present:
        st.caption("Lines: each hidden layer's mean output over the first 300 training rows, from light (layer 1, "
                   "input side) to full colour (the top layer); band: the top layer's 2nd to 98th percentile. "
                   f"“Driven towards 0”: a sigmoid layer's mean below {LOW:g}; “back”: above half its value at init.")


def reading(frame: pd.DataFrame) -> str:
    """The top layer's mean for each (activation, init) at init, after epoch 1 and 5, its lowest, when it came
    back, and the test accuracy now: every number from the frame."""
    top = top_layer(frame)
    accuracy = frame.groupby(["activation", "init", "epoch"])["test_accuracy"].first()
    lines = []
    for activation, init in COMBOS:
        if (activation, init) not in top.columns:
            continue
        curve = top[(activation, init)].dropna()
        now = int(curve.index.max())
        parts = [f"{curve.loc[e]:.2f} at {'init' if e == 0 else f'epoch {e}'}" for e in (0, 1, 5) if e in curve.index]
        if activation == "sigmoid" and now > 0:
            lowest = int(curve.idxmin())
            parts.append(f"lowest {curve.min():.2f} at epoch {lowest}")
            back = curve[(curve.index > lowest) & (curve >= curve.iloc[0] / 2)]
            if curve.min() < LOW:
                parts.append(f"back above {curve.iloc[0] / 2:.2f} at epoch {int(back.index[0])}" if len(back) else
                             f"not back above {curve.iloc[0] / 2:.2f} by epoch {now}")
        parts.append(f"now {curve.loc[now]:.2f}, test accuracy {accuracy.loc[(activation, init, now)]:.0%}")
        lines.append(f"- **{label(activation)}, {INIT_NAMES.get(init, INIT_LABELS.get(init, init))}**: "
                     + ", ".join(parts))
    return f"Top hidden layer's mean output (epoch {int(top.index.max())}):\n" + "\n".join(lines)
