"""Home: what the lab shows, in a few true sentences, and a card into each lab."""

from dataclasses import dataclass

import streamlit as st

from core.lab import lessons
from core.lab.explorer import FUNCTION, SATURATION_THRESHOLD, SATURATION_WINDOW, curves, saturation_intervals
from pages.ui.activation_charts import curve_chart
from pages.ui.formats import ratio
from pages.ui.render import show
from pages.ui.shell import page_shell

present = page_shell()


@dataclass(frozen=True)
class Card:
    page: str
    title: str
    icon: str
    blurb: str


# One entry per page registered in app.py, in the order a workshop would visit them.
CARDS = [
    Card(
        "pages/lessons.py",
        "Lessons",
        ":material/school:",
        "The claims of a workshop, in order, each with the number the lab measured and one click into the "
        "experiment that shows it.",
    ),
    Card(
        "pages/arena.py",
        "Training Arena",
        ":material/model_training:",
        "Press Play and watch ReLU, sigmoid and tanh learn the same data side by side: loss, accuracy, "
        "gradients per layer, sparsity, dead units and decision boundaries, live.",
    ),
    Card(
        "pages/gradient_flow.py",
        "Gradient Flow",
        ":material/trending_down:",
        "Per-layer gradient norms at init and during training: sigmoid's vanish with depth, ReLU with He "
        "init keeps them alive, and a too-large init makes them explode.",
    ),
    Card(
        "pages/neurons.py",
        "Neurons",
        ":material/scatter_plot:",
        "Sparsity and dead units: what each layer outputs, which units died, and one-click scenarios where "
        "ReLU loses units and Leaky ReLU does not.",
    ),
    Card(
        "pages/regions.py",
        "Linear Regions",
        ":material/grid_view:",
        "Why ReLU is not linear: watch a network cut its input plane into linear regions while it learns, count "
        "them against depth, and see every kink of a fitted curve.",
    ),
    Card(
        "pages/explorer.py",
        "Activation Explorer",
        ":material/show_chart:",
        "Plot any activation and its derivative, see where it saturates, "
        "and watch what it does to a batch of random inputs.",
    ),
    Card(
        "pages/speed.py",
        "Speed",
        ":material/speed:",
        "How much cheaper ReLU is, measured on this server: each activation alone, and inside a whole "
        "network, where the matrix products, the loss, the optimiser's update and per-batch overhead take their "
        "share too.",
    ),
]
CARDS_PER_ROW = 3


@st.cache_data(show_spinner=False)
def hero_curves():
    return curves(["relu", "sigmoid", "tanh"], x_min=-5.0, x_max=5.0, n=401)


@st.cache_data(show_spinner=False)
def story_numbers() -> dict:
    """The measured numbers the story quotes: where sigmoid and tanh saturate, and gradients through depth."""
    edges = {name: saturation_intervals(name, SATURATION_THRESHOLD, *SATURATION_WINDOW)[-1][0]
             for name in ("sigmoid", "tanh")}
    return {"edges": edges, "ratios": lessons.vanishing_ratios()}


def story(numbers: dict) -> str:
    edges, ratios = numbers["edges"], numbers["ratios"]
    depth = lessons.VANISHING_DEPTH
    return f"""
- **ReLU** is f(x) = max(0, x): piecewise linear, not linear. f′(x) = 1 for x > 0 and 0 for x < 0;
  at 0 it is not differentiable, and we use f′(0) = 0 by convention.
- **Sigmoid** maps onto the open interval (0, 1), **tanh** onto (−1, 1). Both saturate softly:
  |f′| < {SATURATION_THRESHOLD:g} beyond about ±{edges['sigmoid']:.1f} for sigmoid and ±{edges['tanh']:.1f} for tanh.
  σ′ ≤ 0.25 compounds through depth; tanh′(0) = 1, so tanh loses gradient only where its units saturate.
  Measured at init with {depth} hidden layers, the first layer's gradient is {ratio(ratios['sigmoid'])} of the
  last one's for sigmoid, {ratio(ratios['tanh'])} for tanh and {ratio(ratios['relu'])} for ReLU with He init.
- **ReLU** outputs exact zeros (about half of them at init, with any zero-mean symmetric init and zero biases)
  and is cheap: a comparison forward, a 0/1 mask backward. It is not zero-centred, and its units can die:
  under plain SGD a dead unit stays dead unless an earlier layer changes. Leaky ReLU keeps a gradient
  everywhere; ELU keeps one too, though it fades far to the left.
- ReLU does not stop gradients from exploding: init scale and depth still matter.
- With **no activation**, a network of any depth is one linear model. With ReLU it is **piecewise linear**:
  each on/off pattern of its units is one linear region, and the kinks between them bend its boundaries.
  **Maxout** takes the max of k affine pieces; ReLU, max(z, 0), and Leaky ReLU are its special cases.
- ReLU can go in any hidden layer; the output layer is softmax for classes (sigmoid for a yes/no or
  multi-label output) and the identity for regression.
"""


st.title("ReLU Lab")
st.markdown("#### Why ReLU displaced sigmoid and tanh, and where it fails.")
st.caption("Each point below is an experiment you can run in the labs in seconds, measured live.")

chart_column, story_column = st.columns([3, 2], gap="large")
with chart_column:
    show(st,
        curve_chart(hero_curves(), FUNCTION, title="ReLU, sigmoid and tanh", height=440),
        width="stretch",
    )
with story_column:
    st.markdown(story(story_numbers()))

st.subheader("Labs")
for row_start in range(0, len(CARDS), CARDS_PER_ROW):
    columns = st.columns(CARDS_PER_ROW)
    for column, card in zip(columns, CARDS[row_start : row_start + CARDS_PER_ROW], strict=False):
        with column, st.container(border=True):
            st.markdown(f"**{card.title}**")
            st.caption(card.blurb)
            st.page_link(card.page, label=f"Open {card.title}", icon=card.icon)
