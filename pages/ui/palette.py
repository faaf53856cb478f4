"""The one place for colours: each activation has one fixed colour on every chart and page.

The ten colours come from Okabe–Ito and Paul Tol's schemes, chosen so that any two stay at least 10 CIEDE2000
units apart for normal vision and with simulated deuteranopia and protanopia (closest pair: 10.9;
tests/pages/test_palette.py measures it). ReLU gets the strongest hue (vermillion), Leaky ReLU its family's
orange, sigmoid blue and tanh bluish green; linear is grey, "no activation".
"""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt

from core.engine.mlp import LAYER_SEPARATOR, MAXOUT, activation_label

ACTIVATION_COLORS: dict[str, str] = {
    "relu": "#D55E00",  # vermillion (Okabe–Ito)
    "leaky_relu": "#E69F00",  # orange: ReLU's family (Okabe–Ito)
    "sigmoid": "#0077BB",  # blue (Tol vibrant)
    "tanh": "#009E73",  # bluish green (Okabe–Ito)
    "linear": "#6E6E6E",  # grey: "no activation"
    "elu": "#CC79A7",  # reddish purple (Okabe–Ito)
    "gelu": "#56B4E9",  # sky blue (Okabe–Ito)
    "silu": "#762A83",  # purple
    "softplus": "#225555",  # dark cyan (Tol dark)
    MAXOUT: "#225522",  # dark green (Tol dark)
}

# A per-layer network ("tanh>relu"): black, at least 16 CIEDE2000 units from every activation's colour with each
# vision tests/pages/test_palette.py checks. An experiment compares one per-layer network at a time (core.settings).
PER_LAYER_COLOR = "#000000"

# Every chart names an activation by its label column (frames keep the key in "activation").
ACTIVATION_TOOLTIP = alt.Tooltip("label:N", title="activation")

# Shading and reference lines that belong to no activation.
NEUTRAL = "#9E9E9E"

# Classes on decision surfaces and confusion matrices: purple and green first, apart from every activation's
# colour, so a class is never mistaken for an activation.
CLASS_COLORS = ["#7B3294", "#1B7837", "#B35806", "#2D004B", "#5AAE61", "#8C510A", "#C2A5CF", "#01665E", "#DFC27D",
                "#4D4D4D"]

# Signs on the network diagram (weights, and unit outputs around 0): ColorBrewer's RdBu ends, a diverging pair that
# colour-blind viewers tell apart; white is 0.
NEGATIVE, POSITIVE = "#B2182B", "#2166AC"



def _check(name: str) -> None:
    if name not in ACTIVATION_COLORS:
        raise ValueError(f"No colour for activation {name!r}. Valid choices: {', '.join(ACTIVATION_COLORS)}.")


def label(name: str) -> str:
    """Display label of an activation key, e.g. "Leaky ReLU", "Maxout", "Tanh → ReLU" (the engine's one label)."""
    return activation_label(name)


def activation_color(name: str) -> str:
    """The activation's colour as a hex string; a per-layer network's key ("tanh>relu") has PER_LAYER_COLOR."""
    if LAYER_SEPARATOR in str(name):
        activation_label(name)  # a ValueError naming the valid choices for a layer that is none of them
        return PER_LAYER_COLOR
    _check(name)
    return ACTIVATION_COLORS[name]


def color_scale(names: Iterable[str]) -> alt.Scale:
    """Altair colour scale over the activations' display labels, in the given order.

    Charts encode colour on the label column with this scale, so each activation keeps its colour
    however many others share the chart.
    """
    names = list(dict.fromkeys(names))
    return alt.Scale(domain=[label(name) for name in names], range=[activation_color(name) for name in names])
