"""The one place for colours: each activation has one fixed colour on every chart and page.

Colours come from the Okabe–Ito palette, which stays distinguishable with the common colour-vision
deficiencies, topped up from Paul Tol's muted scheme. ReLU gets the strongest hue (vermillion);
sigmoid (blue) and tanh (bluish green) sit far from it and from each other.
"""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt

from core.engine.mlp import MAXOUT, activation_label

ACTIVATION_COLORS: dict[str, str] = {
    "relu": "#D55E00",  # vermillion
    "leaky_relu": "#E69F00",  # orange: ReLU's family
    "sigmoid": "#0072B2",  # blue
    "tanh": "#009E73",  # bluish green
    "linear": "#6E6E6E",  # grey: "no activation"
    "elu": "#CC79A7",  # reddish purple
    "gelu": "#56B4E9",  # sky blue
    "silu": "#332288",  # indigo
    "softplus": "#999933",  # olive
    MAXOUT: "#882255",  # wine
}

# Every chart names an activation by its label column (frames keep the key in "activation").
ACTIVATION_TOOLTIP = alt.Tooltip("label:N", title="activation")

# Shading and reference lines that belong to no activation.
NEUTRAL = "#9E9E9E"

# Classes on decision surfaces and confusion matrices: purple and green first, apart from every activation's
# colour, so a class is never mistaken for an activation.
CLASS_COLORS = ["#7B3294", "#1B7837", "#B35806", "#2D004B", "#5AAE61", "#8C510A", "#C2A5CF", "#01665E", "#DFC27D",
                "#4D4D4D"]



def _check(name: str) -> None:
    if name not in ACTIVATION_COLORS:
        raise ValueError(f"No colour for activation {name!r}. Valid choices: {', '.join(ACTIVATION_COLORS)}.")


def label(name: str) -> str:
    """Display label of an activation key, e.g. "Leaky ReLU", "Maxout", "Tanh → ReLU" (the engine's one label)."""
    return activation_label(name)


def activation_color(name: str) -> str:
    """The activation's colour as a hex string."""
    _check(name)
    return ACTIVATION_COLORS[name]


def color_scale(names: Iterable[str]) -> alt.Scale:
    """Altair colour scale over the activations' display labels, in the given order.

    Charts encode colour on the label column with this scale, so each activation keeps its colour
    however many others share the chart.
    """
    names = list(dict.fromkeys(names))
    return alt.Scale(domain=[label(name) for name in names], range=[activation_color(name) for name in names])
