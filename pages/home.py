"""Home: what the lab shows, in a few true sentences, and a card into each lab."""

from dataclasses import dataclass

import streamlit as st

from core.lab.explorer import FUNCTION, curves
from pages.ui.activation_charts import curve_chart
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
        "network where the matrix products weigh in.",
    ),
]
CARDS_PER_ROW = 3


@st.cache_data(show_spinner=False)
def hero_curves():
    return curves(["relu", "sigmoid", "tanh"], x_min=-5.0, x_max=5.0, n=401)


st.title("ReLU Lab")
st.markdown("#### Why ReLU displaced sigmoid and tanh, and where it fails.")
st.caption("Each point below is an experiment you can run in the labs in seconds, measured live.")

chart_column, story_column = st.columns([3, 2], gap="large")
with chart_column:
    st.altair_chart(
        curve_chart(hero_curves(), FUNCTION, title="ReLU, sigmoid and tanh", height=440),
        width="stretch",
    )
with story_column:
    st.markdown(
        """
- **ReLU** is f(x) = max(0, x): piecewise linear, not linear. f′(x) = 1 for x > 0 and 0 for x < 0;
  at 0 it is not differentiable, and we use f′(0) = 0 by convention.
- **Sigmoid** maps onto the open interval (0, 1), **tanh** onto (−1, 1). Both saturate: f′ is tiny
  far from 0 and σ′ ≤ 0.25, so gradients shrink layer by layer through depth
  (vanishing gradients).
- **ReLU** outputs exact zeros (sparse activity) and costs one comparison forward and backward.
  It is not zero-centred, and its units can die; Leaky ReLU and ELU keep a gradient for x < 0.
- With **no activation**, a network of any depth is one linear model.
  **Maxout** takes the max of k linear pieces: ReLU is max(x, 0).
- ReLU can go in any hidden layer; a classifier's output layer is softmax or sigmoid.
"""
    )

st.subheader("Labs")
for row_start in range(0, len(CARDS), CARDS_PER_ROW):
    columns = st.columns(CARDS_PER_ROW)
    for column, card in zip(columns, CARDS[row_start : row_start + CARDS_PER_ROW], strict=False):
        with column, st.container(border=True):
            st.markdown(f"**{card.title}**")
            st.caption(card.blurb)
            st.page_link(card.page, label=f"Open {card.title}", icon=card.icon)
