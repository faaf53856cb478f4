"""Pure chart builders for the network diagram: ``core.lab.network.NetworkPicture`` in, one tidy frame
(``diagram_data``), then ``alt.LayerChart`` out (``network_chart``).

Every node is a thumbnail of its values over the input plane on a diverging scale of its own (white = 0, ``POSITIVE``
above, ``NEGATIVE`` below, full colour at the node's largest |value|, so a small unit's hinge shows as clearly as a
large one's; its range is in its tooltip); every edge is a weight, its colour its sign and its width and opacity its
size.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core.lab.network import HIDDEN, INPUT, MORE_LAYERS, MORE_UNITS, OUTPUT, NetworkPicture
from pages.ui.palette import NEGATIVE, NEUTRAL, POSITIVE, activation_color, label
from pages.ui.training_charts import diverging_rgb, png_data_uri

WIDTH = 780  # px at most: the Arena's main column at 1280 px with the sidebar open
THUMBNAIL = 56  # px per side of a node's picture, at most
COLUMN_STEP = 140  # px between the centres of two columns, at most
GAP = 22  # px at least between two columns' pictures, for the edges
ROW_STEP = 68  # px between the centres of two nodes of a column
SIDE = 90  # px beside the outer columns for the inputs' and outputs' names
TOP = 56  # px above the nodes for the columns' two-line titles
EDGE_WIDTH = (0.4, 6.0)  # px, from weight 0 to the largest |weight| drawn
EDGE_OPACITY = (0.15, 0.85)
SIGN_SCALE = alt.Scale(domain=["negative", "positive"], range=[NEGATIVE, POSITIVE])


def thumbnail(values: np.ndarray, resolution: int) -> str:
    """One node's values (the grid's cells, x fastest from the lowest y) as a PNG data URI, top row = largest y;
    full colour at their largest |value| (all white when they are 0 everywhere)."""
    largest = float(np.abs(values).max()) if len(values) else 0.0
    rgb = diverging_rgb(0.5 + 0.5 * np.clip(values / (largest if largest > 0 else 1.0), -1, 1), NEGATIVE, POSITIVE)
    rgba = np.hstack([rgb, np.full((len(values), 1), 255.0)])
    pixels = np.clip(np.rint(rgba), 0, 255).astype(np.uint8).reshape(resolution, resolution, 4)
    return png_data_uri(pixels[::-1])


def column_title(row) -> str:
    """A column's title: what its nodes are (two lines: "Layer 1", "16 ReLU")."""
    if row.kind == INPUT:
        return "Inputs"
    if row.kind == OUTPUT:
        return "Outputs"
    if row.kind == HIDDEN:
        return f"Layer {row.layer}\n{row.units} {label(row.activation)}"
    return ""


def diagram_data(picture: NetworkPicture, task: str) -> pd.DataFrame:
    """One frame for ``network_chart``: kind "edge" rows (x, y, x2, y2, weight, sign, size = |weight| as a share of the
    largest drawn, tooltip texts), kind
    "node" rows (x, y, url, name and its range on the plane), kind "more" rows (x, y, text) and kind "title" rows
    (x, text). ``task`` words what an output node shows."""
    nodes = picture.nodes
    drawn = nodes[nodes["unit"] >= 0]
    grouped = dict(tuple(picture.values.groupby(["column", "unit"])["value"]))
    urls = [thumbnail(grouped[column, unit].to_numpy(), picture.resolution)
            for column, unit in zip(drawn["column"], drawn["unit"], strict=True)]
    output_what = "probability" if task == "classification" else "prediction (standardised)"
    what = {INPUT: "input (standardised)", HIDDEN: "output", OUTPUT: output_what}
    node_rows = drawn.assign(kind="node", url=urls, what=drawn["kind"].map(what), role=drawn["kind"],
                             where=[_where(row) for row in drawn.itertuples()])
    node_rows = node_rows[["kind", "role", "column", "y", "url", "name", "what", "where", "low", "high",
                           "zero_share"]].rename(columns={"column": "x"})
    more = nodes[nodes["kind"].isin([MORE_UNITS, MORE_LAYERS])]
    more_rows = pd.DataFrame({"kind": "more", "x": more["column"], "y": more["y"],
                              "text": more["name"].str.replace(" more ", " more\n")})  # "+2 more" over "layers"
    edges = picture.edges
    edge_rows = edges.assign(kind="edge", sign=np.where(edges["weight"] < 0, "negative", "positive"),
                             size=edges["weight"].abs() / _largest(edges["weight"]),
                             link=[_link(row) for row in edges.itertuples()])
    edge_rows = edge_rows[["kind", "x", "y", "x2", "y2", "weight", "sign", "size", "link"]]
    titles = pd.DataFrame({"kind": "title", "x": picture.columns["column"],
                           "text": [column_title(row) for row in picture.columns.itertuples()]})
    return pd.concat([edge_rows, node_rows, more_rows, titles], ignore_index=True)


def _largest(weights: pd.Series) -> float:
    """The largest |weight| drawn (1 when there is none, or all are 0): an edge's size is its share of it."""
    largest = float(weights.abs().max()) if len(weights) else 0.0
    return largest if largest > 0 else 1.0


def diagram_shape(picture: NetworkPicture) -> tuple[int, int]:
    """The diagram's columns, and the nodes of its tallest column: what ``network_chart``'s size depends on."""
    return len(picture.columns), int(picture.nodes.groupby("column").size().max())


def _where(node) -> str:
    return "inputs" if node.kind == INPUT else "outputs" if node.kind == OUTPUT else f"layer {node.layer}"


def _link(edge) -> str:
    """An edge's name for its tooltip: from which unit to which, and maxout's piece."""
    source = f"input {edge.source + 1}" if edge.layer == 0 else f"layer {edge.layer}, unit {edge.source + 1}"
    piece = f" (piece {edge.piece + 1} of {edge.pieces})" if edge.pieces > 1 else ""
    return f"{source} → unit {edge.target + 1}{piece}"


def network_chart(data: pd.DataFrame, title: str, activation: str, columns: int, rows: int) -> alt.LayerChart:
    """The diagram of ``diagram_data``: edges under node thumbnails, "+N more" counts, a title per column and the
    inputs' and outputs' names beside them; ``columns`` and ``rows`` (``diagram_shape``) size it, ``activation``
    colours its title. The spec depends on these arguments only, not on the data."""
    half = max(rows, 2) / 2
    step = min(COLUMN_STEP, (WIDTH - 2 * SIDE) / max(columns, 1))  # a deep network's columns close up to fit
    size = int(min(THUMBNAIL, step - GAP))
    x = alt.X("x:Q", scale=alt.Scale(domain=[-0.5 - SIDE / step, columns - 0.5 + SIDE / step],
                                     nice=False, zero=False), axis=None)
    y_scale = alt.Scale(domain=[half, -half - TOP / ROW_STEP], nice=False, zero=False)
    y = alt.Y("y:Q", scale=y_scale, axis=None)
    base = alt.Chart(data)
    edges = base.transform_filter(alt.datum.kind == "edge").mark_rule().encode(
        x=x, y=y, x2="x2:Q", y2="y2:Q",
        color=alt.Color("sign:N", scale=SIGN_SCALE, legend=alt.Legend(orient="top", title="weight", labelFontSize=13,
                                                                       titleFontSize=13, symbolType="stroke",
                                                                       symbolStrokeWidth=4)),
        strokeWidth=alt.StrokeWidth("size:Q", scale=alt.Scale(domain=[0, 1], range=list(EDGE_WIDTH)),
                                    legend=None),
        opacity=alt.Opacity("size:Q", scale=alt.Scale(domain=[0, 1], range=list(EDGE_OPACITY)), legend=None),
        tooltip=[alt.Tooltip("link:N", title="weight"), alt.Tooltip("weight:Q", format=".3g", title="value")])
    node = base.transform_filter(alt.datum.kind == "node")
    pictures = node.mark_image(width=size, height=size, align="center", baseline="middle").encode(
        x=x, y=y, url="url:N")
    frames = node.mark_square(size=(size + 2) ** 2, filled=False, color=NEUTRAL, strokeWidth=1).encode(
        x=x, y=y, tooltip=[alt.Tooltip("where:N", title="in"), alt.Tooltip("name:N", title="node"),
                           alt.Tooltip("what:N", title="shows its"),
                           alt.Tooltip("low:Q", format=".3g", title="least on the plane"),
                           alt.Tooltip("high:Q", format=".3g", title="greatest on the plane"),
                           alt.Tooltip("zero_share:Q", format=".0%", title="share of the plane at exactly 0")])
    more = base.transform_filter(alt.datum.kind == "more").mark_text(fontSize=13, color="#31333F",
                                                                       lineBreak="\n").encode(
        x=x, y=y, text="text:N")
    titles = base.transform_filter(alt.datum.kind == "title").mark_text(
        fontSize=13, fontWeight="bold", color="#31333F", baseline="bottom", lineBreak="\n", limit=step - 4).encode(
        x=x, y=alt.value(TOP - 8), text="text:N")
    names = [node.transform_filter(alt.datum.role == role).mark_text(
        fontSize=12, color="#31333F", align=align, dx=dx, limit=SIDE - 6).encode(x=x, y=y, text="name:N")
        for role, align, dx in ((INPUT, "right", -size / 2 - 5), (OUTPUT, "left", size / 2 + 5))]
    height = int(max(rows, 2) * ROW_STEP + TOP)
    width = int(columns * step + 2 * SIDE)
    return alt.layer(edges, pictures, frames, more, titles, *names).properties(
        width=width, height=height, autosize=alt.AutoSizeParams(type="pad"),
        title=alt.TitleParams(title, color=activation_color(activation), anchor="start")
    ).configure_view(stroke=None)
