"""Shared widgets: the sidebar controls that define an experiment.

Each function draws widgets and returns plain values; pages turn them into an ``Experiment``.
Widget keys are stable (``<page>.<setting>``) and bound to the URL's query parameters, so a copied
link opens the same experiment; Streamlit drops a crafted or out-of-range value and keeps the default.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from core.engine.data import CLASSIFICATION, DATASETS, REGRESSION, Dataset, guess_task
from core.engine.limits import MAX_SEEDS
from core.engine.mlp import HIDDEN_CHOICES
from core.settings import OPTIMIZER_CHOICES, UPLOAD, Experiment
from pages.ui.palette import label

BIND = "query-params"  # every setting lives in the URL, so a link reproduces the experiment
WIDTHS = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128)
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0, 3.0, 10.0, 20.0, 100.0)
BATCH_SIZES = (1, 4, 8, 16, 32, 64, 128, 256, 512)
EPOCHS = (10, 20, 50, 100, 150, 200, 300, 500, 1000, 2000)
L2_CHOICES = (0.0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
INIT_LABELS = {"auto": "Auto (He or Xavier)", "he": "He", "xavier": "Xavier (Glorot)"}
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "SGD + momentum 0.9", "adam": "Adam"}
assert set(OPTIMIZER_LABELS) == set(OPTIMIZER_CHOICES)


TOO_HEAVY = ":material/hourglass:"  # the icon of a notice that settings are over the engine's work cap
UPLOAD_LABEL = "Your CSV…"
UPLOAD_CACHE = "upload_cache"  # st.session_state[f"{prefix}.upload_cache"]: this session's last prepared upload


def dataset_label(name: str) -> str:
    return UPLOAD_LABEL if name == UPLOAD else DATASETS[name].label


def dataset_controls(prefix: str, defaults: Experiment, allow_upload: bool = False) -> dict:
    """Dataset, its size and noise, and the train share; ``allow_upload`` adds "Your CSV…" (value "upload")."""
    names = [*DATASETS, *([UPLOAD] if allow_upload else [])]
    dataset = st.selectbox("Dataset", names, index=names.index(defaults.dataset), key=f"{prefix}.dataset", bind=BIND,
                           format_func=dataset_label)
    info = DATASETS.get(dataset)
    if info is not None:
        st.caption(info.description)
    generated = info is not None and info.uses_n_samples
    n_samples = st.slider("Samples", 100, 3000, defaults.n_samples, step=50, key=f"{prefix}.n_samples", bind=BIND,
                          disabled=not generated,
                          help=None if generated else "A bundled or uploaded dataset has a fixed size.")
    noise = st.slider("Noise", 0.0, 1.0, float(defaults.noise), step=0.05, key=f"{prefix}.noise", bind=BIND,
                      disabled=not generated)
    train_share = st.slider("Training share", 50, 90, round(100 * (1 - defaults.test_size)), step=5, format="%d%%",
                            key=f"{prefix}.train_share", bind=BIND, help="The rest is the test set.")
    return {"dataset": dataset, "n_samples": n_samples, "noise": noise, "test_size": round(1 - train_share / 100, 2)}


def network_controls(prefix: str, defaults: Experiment, max_depth: int = 8) -> dict:
    """Depth, width, the activations to compare and their parameters, init and bias init."""
    depth = st.slider("Hidden layers", 1, max_depth, len(defaults.hidden_layers), key=f"{prefix}.depth", bind=BIND)
    width = st.select_slider("Units per layer", WIDTHS, value=defaults.hidden_layers[0], key=f"{prefix}.width",
                             bind=BIND)
    activations = st.multiselect("Activations to compare", HIDDEN_CHOICES, default=list(defaults.activations),
                                 format_func=label, key=f"{prefix}.activations", bind=BIND,
                                 help="Each is trained on identical data, initial draws and batches.")
    values = {"hidden_layers": (width,) * depth, "activations": tuple(activations)}
    if "leaky_relu" in activations:
        values["leaky_alpha"] = st.slider("Leaky ReLU α", 0.0, 0.5, defaults.leaky_alpha, step=0.01,
                                          key=f"{prefix}.leaky_alpha", bind=BIND)
    if "elu" in activations:
        values["elu_alpha"] = st.slider("ELU α", 0.1, 3.0, defaults.elu_alpha, step=0.1, key=f"{prefix}.elu_alpha",
                                        bind=BIND)
    if "maxout" in activations:
        values["maxout_pieces"] = st.slider("Maxout pieces k", 2, 5, defaults.maxout_pieces,
                                            key=f"{prefix}.maxout_pieces", bind=BIND)
    values["init"] = st.selectbox("Weight init", list(INIT_LABELS), index=list(INIT_LABELS).index(defaults.init),
                                  format_func=INIT_LABELS.get, key=f"{prefix}.init", bind=BIND,
                                  help="Auto picks He for the ReLU family and maxout, Xavier for sigmoid, tanh "
                                       "and linear.")
    values["bias_init"] = st.slider("Hidden bias init", -5.0, 5.0, float(defaults.bias_init), step=0.5,
                                    key=f"{prefix}.bias_init", bind=BIND,
                                    help="A large negative bias switches ReLU units off for every input.")
    return values


def training_controls(prefix: str, defaults: Experiment) -> dict:
    """Optimiser, learning rate, batch size, epochs, L2 and seeds."""
    optimizer = st.selectbox("Optimiser", list(OPTIMIZER_LABELS),
                             index=list(OPTIMIZER_LABELS).index(defaults.optimizer),
                             format_func=OPTIMIZER_LABELS.get, key=f"{prefix}.optimizer", bind=BIND)
    learning_rate = st.select_slider("Learning rate", LEARNING_RATES, value=defaults.learning_rate,
                                     key=f"{prefix}.learning_rate", bind=BIND, format_func=lambda v: f"{v:g}")
    batch_size = st.select_slider("Batch size", BATCH_SIZES, value=defaults.batch_size, key=f"{prefix}.batch_size",
                                  bind=BIND)
    epochs = st.select_slider("Epochs", EPOCHS, value=defaults.epochs, key=f"{prefix}.epochs", bind=BIND)
    l2 = st.select_slider("L2 penalty", L2_CHOICES, value=defaults.l2, key=f"{prefix}.l2", bind=BIND,
                          format_func=lambda v: f"{v:g}")
    seeds = st.slider("Seeds", 1, MAX_SEEDS, defaults.seeds, key=f"{prefix}.seeds", bind=BIND,
                      help="Several seeds draw a mean line with a min–max band.")
    first_seed = st.number_input("First seed", 0, 1_000_000, defaults.first_seed, key=f"{prefix}.first_seed", bind=BIND)
    return {"optimizer": optimizer, "learning_rate": learning_rate, "batch_size": batch_size, "epochs": epochs,
            "l2": l2, "seeds": seeds, "first_seed": int(first_seed)}


# --- your own CSV -----------------------------------------------------------------------------------


def upload_controls(prefix: str, test_size: float = 0.25, seed: int = 0) -> tuple[Dataset | None, dict]:
    """A CSV upload, its target column and task; returns the prepared Dataset (or None) and facts about it.

    The facts: ``key`` (content hash, target and task: a new value means new data), ``name``, ``notes``.
    Bad input gets an ``st.error`` with the reason and None. The prepared Dataset is kept per session in
    ``st.session_state`` (only the latest one), never in a cache shared between users.
    """
    from core.engine.limits import MAX_UPLOAD_BYTES
    from core.io.upload import prepare_upload, read_csv_bytes

    file = st.file_uploader("CSV file", type=["csv", "txt"], key=f"{prefix}.upload",
                            help=f"Up to {MAX_UPLOAD_BYTES // 2**20} MB, 100,000 rows and 200 columns, with a "
                                 "header row. Text columns with few values are one-hot encoded; rows with "
                                 "missing values are dropped.")
    if file is None:
        st.info("Upload a CSV file with a header row, then pick the column to predict.", icon=":material/upload:")
        return None, {}
    if file.size > MAX_UPLOAD_BYTES:  # checked again here: the server's limit is configuration, not a guarantee
        st.error(f"The file is {file.size / 2**20:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB.")
        return None, {}
    data = file.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    cache_key = f"{prefix}.{UPLOAD_CACHE}"
    cached = st.session_state.get(cache_key)
    if cached is None or cached["digest"] != digest:
        try:
            frame, error = read_csv_bytes(data), None
        except ValueError as problem:
            frame, error = None, str(problem)
        cached = {"digest": digest, "frame": frame, "error": error, "prepared": {}}
        st.session_state[cache_key] = cached
    if cached["error"] is not None:
        st.error(f"This file cannot be used: {cached['error']}", icon=":material/error:")
        return None, {}
    frame = cached["frame"]
    columns = [str(c) for c in frame.columns]
    target_key, task_key = f"{prefix}.upload_target", f"{prefix}.upload_task"
    if cached.get("target_for") != digest or st.session_state.get(target_key) not in columns:
        st.session_state[target_key] = columns[-1]  # a new file: its last column, by default
        cached["target_for"] = digest
    target = st.selectbox("Target column (what to predict)", columns, key=target_key)
    if cached.get("task_for") != (digest, target):
        st.session_state[task_key] = guess_task(frame[target])  # a new target: guess again, the user may change it
        cached["task_for"] = (digest, target)
    task = st.radio("Task", [CLASSIFICATION, REGRESSION], key=task_key, horizontal=True, format_func=str.capitalize,
                    help="Guessed from the target column: text or a few whole numbers are classes.")
    facts_key = (target, task, test_size, seed)
    if facts_key not in cached["prepared"]:
        try:
            result = prepare_upload(frame, target, task, test_size, seed, name=file.name)
        except ValueError as problem:
            result = str(problem)
        cached["prepared"] = {facts_key: result}  # only the latest choice: a session holds one prepared table
    result = cached["prepared"][facts_key]
    if isinstance(result, str):
        st.error(f"This table cannot be trained on: {result}", icon=":material/error:")
        return None, {}
    dataset, notes = result
    for note in notes:
        st.info(note, icon=":material/filter_alt:")
    st.caption(dataset.description)
    key = hashlib.sha256(f"{digest}|{target}|{task}".encode()).hexdigest()
    return dataset, {"key": key, "name": file.name, "notes": notes}


# --- link settings that Streamlit ignored -----------------------------------------------------------


def _same_link_value(a, b) -> bool:
    """Equal as URL values: lists element-wise, numbers by value ("3" == "3.0"), text exactly."""
    a_list, b_list = (a if isinstance(a, list) else [a]), (b if isinstance(b, list) else [b])
    if len(a_list) != len(b_list):
        return False
    for x, y in zip(a_list, b_list, strict=True):
        if str(x) == str(y):
            continue
        try:
            if float(x) != float(y):
                return False
        except (TypeError, ValueError):
            return False
    return True


def ignored_link_settings(before: dict, after: dict, prefix: str, defaults: dict | None = None) -> list[str]:
    """The ``key=value`` settings of a link that its widgets did not take (pure; the page shows them).

    ``before``: the URL's query parameters before the widgets ran; ``after``: after they ran. Streamlit
    removes a bound parameter whose value is invalid *or* equal to the widget's default, and rewrites one it
    clamped; so a parameter is ignored when it is gone or changed, unless it spelled the default
    (``defaults``: key -> the default's URL text, see ``link_defaults``).
    """
    defaults = defaults or {}
    ignored = []
    for key, value in before.items():
        if not str(key).startswith(f"{prefix}."):
            continue
        if key in after:
            if _same_link_value(value, after[key]):
                continue
        elif key in defaults and _same_link_value(value, defaults[key]):
            continue
        text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        ignored.append(f"{key.removeprefix(prefix + '.')}={text}")
    return ignored


def link_defaults(prefix: str, defaults: Experiment) -> dict:
    """The URL text of every bound control's default, as Streamlit would write it (labels for choices)."""
    values = {
        "dataset": dataset_label(defaults.dataset), "n_samples": defaults.n_samples, "noise": defaults.noise,
        "train_share": round(100 * (1 - defaults.test_size)), "depth": len(defaults.hidden_layers),
        "width": defaults.hidden_layers[0], "activations": [label(a) for a in defaults.activations],
        "leaky_alpha": defaults.leaky_alpha, "elu_alpha": defaults.elu_alpha, "maxout_pieces": defaults.maxout_pieces,
        "init": INIT_LABELS[defaults.init], "bias_init": defaults.bias_init,
        "optimizer": OPTIMIZER_LABELS[defaults.optimizer], "learning_rate": f"{defaults.learning_rate:g}",
        "batch_size": defaults.batch_size, "epochs": defaults.epochs, "l2": f"{defaults.l2:g}",
        "seeds": defaults.seeds, "first_seed": defaults.first_seed,
    }
    return {f"{prefix}.{name}": value if isinstance(value, list) else str(value) for name, value in values.items()}


def within_cap(compute, *args):
    """``compute(*args)``, or None after a notice when the engine refuses the work as over its cap (ValueError)."""
    try:
        return compute(*args)
    except ValueError as error:
        st.warning(str(error), icon=TOO_HEAVY)
        return None
