"""Shared widgets: the sidebar controls that define an experiment.

Each function draws widgets and returns plain values; pages turn them into an ``Experiment``.
Widget keys are stable (``<page>.<setting>``) and bound to the URL's query parameters, so a copied
link opens the same experiment; Streamlit drops a crafted or out-of-range value and keeps the default.
"""

from __future__ import annotations

import streamlit as st

from core.data import DATASETS
from core.experiment import MAX_SEEDS, OPTIMIZER_CHOICES, Experiment
from core.mlp import HIDDEN_CHOICES
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


def dataset_controls(prefix: str, defaults: Experiment) -> dict:
    """Dataset, its size and noise, and the train share."""
    names = list(DATASETS)
    dataset = st.selectbox("Dataset", names, index=names.index(defaults.dataset), key=f"{prefix}.dataset", bind=BIND,
                           format_func=lambda n: DATASETS[n].label)
    info = DATASETS[dataset]
    st.caption(info.description)
    n_samples = st.slider("Samples", 100, 3000, defaults.n_samples, step=50, key=f"{prefix}.n_samples", bind=BIND,
                          disabled=not info.uses_n_samples,
                          help=None if info.uses_n_samples else "A bundled dataset has a fixed size.")
    noise = st.slider("Noise", 0.0, 1.0, float(defaults.noise), step=0.05, key=f"{prefix}.noise", bind=BIND,
                      disabled=not info.uses_noise)
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
