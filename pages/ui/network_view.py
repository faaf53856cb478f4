"""The Arena's network diagram: one activation's first seed drawn unit by unit, for 2-D data (not in presenter mode,
which shows only curves and boundaries). The maths is ``core.lab.network``; the chart ``pages.ui.network_charts``."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.engine.live import LiveRun
from core.engine.mlp import MAXOUT
from core.io.history import divergences
from core.lab.network import MORE_LAYERS, MORE_UNITS, network_picture
from pages.ui.network_charts import diagram_data, diagram_shape, network_chart
from pages.ui.palette import label
from pages.ui.render import draw

RESOLUTION = 32  # cells per axis of each node's picture, shown at 56 px: the browser smooths between cells


def network_view(run: LiveRun, shown, present: bool, key: str) -> None:
    """The diagram of the chosen activation's first seed, taken again when the details on screen (``shown``, the
    Arena's ``Details``) move to another epoch or another activation is chosen, and kept under ``key``."""
    dataset = run.dataset
    if present or not dataset.is_2d:
        return
    st.subheader("The network, unit by unit", help="Each hidden unit's own output over the plane of the decision "
                                                   "surfaces, and the weights between the units drawn.")
    names = list(run.experiment.activations)
    chosen = st.columns([1, 2])[0].selectbox("Network of", names, format_func=label, key=f"{key}.of")
    cached = st.session_state.get(key)
    if cached is None or cached["run"] is not run or cached["stamp"] != (shown.epoch, chosen):
        cached = st.session_state[key] = {"run": run, "stamp": (shown.epoch, chosen), **_take(run, chosen)}
    if cached["problem"]:
        st.info(cached["problem"], icon=":material/info:")
        return
    columns, rows = cached["shape"]
    title = f"{label(chosen)}, seed {run.experiment.first_seed}"
    draw(st, ("network", title, chosen, columns, rows), cached["data"],
         lambda data: network_chart(data, title, chosen, columns, rows), width="content")
    st.caption(_reading(cached))


def _take(run: LiveRun, chosen: str) -> dict:
    """The diagram's frame at the run's current epoch (``problem`` says why there is none)."""
    dataset = run.dataset
    index = run.experiment.first_run(chosen)
    with run.frozen():  # the epoch, the weights and the history together
        epoch = run.epoch
        model = run.model(index)
        diverged = divergences(run.history())
    diverged = diverged[diverged["run"] == index]
    if len(diverged):
        return {"epoch": epoch, "problem": f"{label(chosen)}'s first seed diverged at epoch "
                                           f"{int(diverged['epoch'].iloc[0])}: its loss was no longer finite, so "
                                           "training stopped it and set its weights to zero. There is no network "
                                           "left to draw."}
    outputs = dataset.class_names if dataset.task == "classification" else [dataset.target_name]
    try:
        picture = network_picture(model, dataset.X_train, dataset.feature_names, outputs, RESOLUTION)
    except ValueError as error:
        return {"epoch": epoch, "problem": f"No diagram for this network: {error}"}
    if not (np.isfinite(picture.values["value"]).all() and np.isfinite(picture.edges["weight"]).all()):
        return {"epoch": epoch, "problem": f"At epoch {epoch}, {label(chosen)}'s first seed computes values too "
                                           "large for a finite number: there is nothing to draw."}
    kinds = set(picture.nodes["kind"])
    return {"epoch": epoch, "problem": None, "data": diagram_data(picture, dataset.task),
            "shape": diagram_shape(picture), "left_out": MORE_UNITS in kinds or MORE_LAYERS in kinds,
            "first": model.activations[0]}


def _reading(cached: dict) -> str:
    """How to read the diagram, true of what it shows."""
    text = (f"Epoch {cached['epoch']}. Each picture is its node's value over the decision surfaces' plane "
            "(standardised features): white is 0, blue above and red below, full colour at the node's own largest "
            "|value| (hover for its range). Lines are weights: blue positive, red negative, wider and darker for "
            "larger |w|.")
    if cached["first"] != MAXOUT:
        text += (" A first-layer unit depends on the plane only through one line, w·x + b = 0: ReLU is exactly 0 on "
                 "one side of it and linear on the other; sigmoid and tanh bend smoothly across it.")
    else:
        text += (" A maxout unit is the max of its affine pieces, so it receives one weight per piece from every "
                 "unit drawn before it.")
    if cached["left_out"]:
        text += " Units and layers counted as “more” are not drawn, nor any weight to or from them."
    return text
