"""Opening what the Arena exported: a config file applied to its settings, and a weights file shown as its network's
architecture and decision boundary. Every file goes through the engine's strict readers (``core.io``); a file they
refuse gets their reason and changes nothing."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.engine.limits import MAX_CONFIG_BYTES, MAX_UPLOAD_BYTES
from core.engine.mlp import activation_key
from core.io.config import experiment_from_json
from core.io.weights import SavedNetwork, network_from_file
from core.lab.boundary import SAVED_SPREAD, saved_surface
from core.settings import UPLOAD, Schema
from pages.ui import training_charts as charts
from pages.ui.palette import ACTIVATION_COLORS, label
from pages.ui.render import show
from pages.ui.settings_form import apply_settings

MB = 2**20
SURFACE_RESOLUTION = 80  # cells per axis, as the Arena's own surfaces
HOVER_RESOLUTION = 20
SURFACE_SIZE = 320  # px


def _megabytes(size: int) -> int:
    """The uploader's cap in whole MB (Streamlit's unit), at least 1; the exact cap in bytes is checked after."""
    return max(1, size // MB)


# --- a config file ------------------------------------------------------------------------------------------------


def open_config(prefix: str, schema: Schema) -> None:
    """An uploader that applies an exported config JSON to the page's settings (the widgets of ``prefix``), through
    the same callback a preset uses; what happened to the file last opened is said below it."""
    key = f"{prefix}.open_config"
    st.file_uploader("Open a config", type=["json"], key=key, on_change=_apply_config, args=(prefix, schema, key),
                     max_upload_size=_megabytes(MAX_CONFIG_BYTES),
                     help="A config JSON exported from Share and export: its settings replace the ones above.")
    file, notice = st.session_state.get(key), st.session_state.get(f"{key}.notice")
    if file is None or notice is None or notice[0] != file.file_id:
        return
    _, ok, text = notice
    if ok:
        st.success(text, icon=":material/check_circle:")
    else:
        st.error(text, icon=":material/error:")


def _apply_config(prefix: str, schema: Schema, key: str) -> None:
    """On a new file: read it (size first, then the strict reader) and apply it, or say why not. Runs before the
    page's widgets are drawn, as ``apply_settings`` needs."""
    file = st.session_state.get(key)
    if file is None:
        return
    try:
        if file.size > MAX_CONFIG_BYTES:
            raise ValueError(f"it is {file.size:,} bytes; a config file is at most {MAX_CONFIG_BYTES:,}.")
        experiment = experiment_from_json(file.getvalue())
        apply_settings(prefix, schema, experiment.to_dict())
    except ValueError as error:
        text = f"{file.name} was not applied, and the settings are as they were: {error}"
        st.session_state[f"{key}.notice"] = (file.file_id, False, text)
        return
    text = f"Applied {file.name}: the settings above are the file's."
    if experiment.dataset == UPLOAD:
        text += " It trains on an uploaded table: upload the same CSV in the Data panel."
    st.session_state[f"{key}.notice"] = (file.file_id, True, text)


# --- a weights file -----------------------------------------------------------------------------------------------


def open_weights(key: str) -> None:
    """An expander with an uploader for a weights file (.npz or JSON); an opened network's architecture and, for a
    classifier of 2 inputs, its decision boundary over the raw features (through its saved scaler)."""
    with st.expander("Open weights", icon=":material/file_open:"):
        file = st.file_uploader("A weights file exported from Share and export (.npz or JSON)", type=["npz", "json"],
                                key=key, max_upload_size=_megabytes(MAX_UPLOAD_BYTES),
                                help=f"Up to {MAX_UPLOAD_BYTES // MB} MB. Read without unpickling anything; "
                                     "shapes, numbers and sizes are checked before the network is built.")
        if file is None:
            st.caption("A network opened here shows its architecture and, for a classifier of two inputs, its "
                       "decision boundary over the raw features, through the scaler saved with it.")
            return
        opened = _opened(file, f"{key}.opened")
        if opened["error"] is not None:
            st.error(f"{file.name} cannot be opened: {opened['error']}", icon=":material/error:")
            return
        network: SavedNetwork = opened["network"]
        st.markdown(architecture(network))
        if network.data is None:
            st.info(f"{file.name} holds no input scaler (it is in weights format {network.version}, or was saved "
                    "without its data), so the network only takes standardised features: its boundary is drawn over "
                    f"standardised axes, ±{SAVED_SPREAD:g} around 0.", icon=":material/info:")
        if isinstance(opened["surface"], str):
            st.caption(opened["surface"])
            return
        _boundary(network, opened["surface"], opened["hover"])


def _opened(file, key: str) -> dict:
    """The file read, and its surfaces, once per upload: kept in this session's state for its reruns (a playing
    Arena reruns every second)."""
    cached = st.session_state.get(key)
    if cached is not None and cached["file_id"] == file.file_id:
        return cached
    data = file.getvalue() if file.size <= MAX_UPLOAD_BYTES else None
    opened = {"file_id": file.file_id, "error": None, "network": None, "surface": None, "hover": None}
    try:
        if data is None:
            raise ValueError(f"it is {file.size / MB:.1f} MB; an opened file is at most {MAX_UPLOAD_BYTES // MB} MB.")
        opened["network"] = network_from_file(data, file.name)
    except ValueError as error:
        opened["error"] = str(error)
    else:
        try:
            opened["surface"] = saved_surface(opened["network"], SURFACE_RESOLUTION)
            opened["hover"] = saved_surface(opened["network"], HOVER_RESOLUTION)
        except ValueError as reason:
            opened["surface"] = f"No decision boundary: {reason}"
    st.session_state[key] = opened
    return opened


def architecture(network: SavedNetwork) -> str:
    """The network in one line of Markdown: activations, layer sizes, task, precision, parameters, inputs and
    classes, and the training settings saved with it."""
    model = network.model
    name = label(activation_key(model.activations)) if model.activations else "Linear (no hidden layer)"
    sizes = " → ".join(str(s) for s in model.layer_sizes)
    parameters = sum(p.size for p in model.parameters())
    text = (f"**{name} network**: {sizes} units (inputs → hidden → outputs), {model.task}, {model.dtype.name}, "
            f"{parameters:,} parameters.")
    if network.data is not None:
        text += f" Inputs: {', '.join(network.data.feature_names)}."
        if network.data.class_names:
            text += f" Classes: {', '.join(network.data.class_names)}."
        else:
            text += f" Target: {network.data.target_name}."
    config = network.config
    if config is not None:
        text += (f" Saved with its training settings: optimizer {config.optimizer}, learning rate "
                 f"{config.learning_rate:g}, batch size {config.batch_size}, init {config.init}, seed {config.seed}.")
    return text


def _boundary(network: SavedNetwork, surface: pd.DataFrame, hover: pd.DataFrame) -> None:
    """The loaded classifier's decision surface, its axes the raw features (or standardised ones, with no scaler)."""
    model, data = network.model, network.data
    key = activation_key(model.activations) if model.activations else "linear"
    colour_of = key if key in ACTIVATION_COLORS else model.activations[0]  # a mixed network: its first layer's
    if data is None:
        class_names = [f"class {c}" for c in range(model.layer_sizes[-1])]  # as saved_surface names them
        axes = ("input 1 (standardised)", "input 2 (standardised)")
    else:
        class_names, axes = list(data.class_names), tuple(data.feature_names)
    no_points = pd.DataFrame({"x": [], "y": [], "class": [], "split": []})
    frame = charts.boundary_data(surface, no_points, class_names, hover)
    show(st, charts.boundary_legend(class_names, points=False), width="content")
    show(st, charts.boundary_view(frame, class_names, colour_of, f"Decision boundary: {label(key)}", SURFACE_SIZE,
                                  legend=False, axis_titles=axes), width="content")
    where = ("±{:g} in standardised units" if data is None else
             "the training mean ± {:g} standard deviations of each input, in its own units").format(SAVED_SPREAD)
    st.caption(f"Over {where}; every cell is predicted from its coordinates"
               f"{'' if data is None else ' through the saved scaler'}. Hover for the predicted class and its "
               "probability.")
