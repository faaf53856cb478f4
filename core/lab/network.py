"""A network drawn unit by unit, for 2-D data: every unit's output over the input plane, and the weights between the
units drawn.

Each node of the diagram is an input, a hidden unit or an output, with the values it takes on a grid over the plane
(``core.lab.boundary.grid``, the decision surfaces' own grid), computed by the model's own forward pass, layer by
layer (``MLP.trace``). A ReLU unit shows its hinge (an exact zero on one side of a line), a sigmoid unit its soft
step. At most ``MAX_DIAGRAM_UNITS`` units per layer and ``MAX_DIAGRAM_LAYERS`` hidden layers are drawn; the others
are counted in "more" nodes, and no edge is drawn to or from a unit that is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.engine.limits import MAX_DIAGRAM_LAYERS, MAX_DIAGRAM_UNITS, check_work
from core.engine.mlp import MLP, softmax
from core.engine.training import network_work
from core.lab.boundary import grid

INPUT, HIDDEN, OUTPUT, MORE_UNITS, MORE_LAYERS = "input", "hidden", "output", "more units", "more layers"


@dataclass(frozen=True)
class NetworkPicture:
    """The diagram's data, tidy.

    * ``columns``: one row per column of the diagram: column, layer (0 = inputs, k = hidden layer k, last = outputs),
      kind, units (the layer's size), activation (hidden layers), drawn (units drawn);
    * ``nodes``: one row per node: column, layer, kind, unit (-1 for a "more" node), y (its position, top = 0,
      centred on each column), name, low and high (its least and greatest value on the grid), zero_share (the share
      of the grid where it is exactly 0), more (the units or layers a "more" node stands for, else 0);
    * ``edges``: one row per weight between two drawn units: column (of the receiving layer), layer (the weight
      matrix's index, 0 = input side), source, target, piece (maxout's piece, else 0) of pieces, weight, and the
      positions x, y (source) and x2, y2 (target);
    * ``values``: one row per node and grid cell: column, unit, cell, value; cells run x-fastest from the lowest y,
      ``resolution`` of them per axis over ``extent`` = (x0, x1, y0, y1), the cells' centres.
    """

    columns: pd.DataFrame
    nodes: pd.DataFrame
    edges: pd.DataFrame
    values: pd.DataFrame
    resolution: int
    extent: tuple[float, float, float, float]


def shown_count(size: int, cap: int = MAX_DIAGRAM_UNITS) -> int:
    """How many of a layer's ``size`` units are drawn: all up to ``cap``, else ``cap - 1`` and a "+N more" node in
    the last slot, so a column never holds more than ``cap`` nodes."""
    return size if size <= cap else cap - 1


def output_values(model: MLP, logits: np.ndarray) -> np.ndarray:
    """What an output node shows: a classifier's probability of each class, a regression's prediction."""
    return softmax(logits) if model.task == "classification" else logits


def network_picture(model: MLP, X: np.ndarray, feature_names, output_names, resolution: int = 32
                    ) -> NetworkPicture:
    """The diagram of ``model`` over the plane of the 2-D points ``X`` (the grid covers them with a margin).

    ``feature_names`` name the two inputs, ``output_names`` the outputs (classes, or the regression's target).
    The work (resolution² rows through the network) is checked against ``MAX_WORK`` first."""
    if model.layer_sizes[0] != 2 or np.asarray(X).ndim != 2 or np.asarray(X).shape[1] != 2:
        raise ValueError("A network diagram needs a network of exactly 2 inputs and 2-D points.")
    if len(feature_names) != 2 or len(output_names) != model.layer_sizes[-1]:
        raise ValueError(f"Need 2 feature names and {model.layer_sizes[-1]} output names.")
    points, width, height = grid(np.asarray(X, dtype=float), resolution)
    check_work(len(points) * network_work(model),
               f"A network diagram on {resolution} × {resolution} cells for a network of {len(model.layers)} "
               "hidden layers", "choose fewer or narrower layers")
    with np.errstate(all="ignore"):
        _, hidden, logits = model.trace(points)
        outputs = output_values(model, logits)
    n_hidden = len(model.layers)
    drawn_hidden = min(n_hidden, MAX_DIAGRAM_LAYERS)
    layers = [(0, INPUT, points, None)]
    layers += [(k + 1, HIDDEN, hidden[k], model.activations[k]) for k in range(drawn_hidden)]
    layers.append((n_hidden + 1, OUTPUT, outputs, None))

    column_rows, node_rows, value_parts = [], [], []
    for column, (layer, kind, values, activation) in enumerate(_with_gap(layers, n_hidden - drawn_hidden)):
        if kind == MORE_LAYERS:
            column_rows.append({"column": column, "layer": -1, "kind": kind, "units": 0, "activation": None,
                                "drawn": 0})
            node_rows.append(_node(column, -1, kind, -1, 0.0, f"+{values} more layers", more=values))
            continue
        size = values.shape[1]
        drawn = shown_count(size)
        names = (list(feature_names) if kind == INPUT else list(output_names) if kind == OUTPUT
                 else [f"unit {u + 1}" for u in range(size)])
        slots = drawn + (drawn < size)
        column_rows.append({"column": column, "layer": layer, "kind": kind, "units": size, "activation": activation,
                            "drawn": drawn})
        for unit in range(drawn):
            v = values[:, unit]
            node_rows.append(_node(column, layer, kind, unit, unit - (slots - 1) / 2, str(names[unit]),
                                   float(np.min(v)), float(np.max(v)), float(np.mean(v == 0))))
            value_parts.append(pd.DataFrame({"column": column, "unit": unit, "cell": np.arange(len(v)),
                                             "value": v.astype(float)}))
        if drawn < size:
            node_rows.append(_node(column, layer, MORE_UNITS, -1, drawn - (slots - 1) / 2,
                                   f"+{size - drawn} more", more=size - drawn))
    columns = pd.DataFrame(column_rows)
    nodes = pd.DataFrame(node_rows)
    xs = np.unique(points[:, 0])
    ys = np.unique(points[:, 1])
    extent = (float(xs[0] - width / 2), float(xs[-1] + width / 2), float(ys[0] - height / 2),
              float(ys[-1] + height / 2))
    return NetworkPicture(columns, nodes, edge_frame(model, columns, nodes), pd.concat(value_parts, ignore_index=True),
                          resolution, extent)


def _with_gap(layers: list, hidden_left_out: int) -> list:
    """The diagram's columns: inputs, the hidden layers drawn, a "more layers" column when some are left out, the
    outputs."""
    if not hidden_left_out:
        return layers
    return [*layers[:-1], (-1, MORE_LAYERS, hidden_left_out, None), layers[-1]]


def _node(column: int, layer: int, kind: str, unit: int, y: float, name: str, low: float = np.nan,
          high: float = np.nan, zero_share: float = np.nan, more: int = 0) -> dict:
    return {"column": column, "layer": layer, "kind": kind, "unit": unit, "y": y, "name": name, "low": low,
            "high": high, "zero_share": zero_share, "more": more}


def edge_frame(model: MLP, columns: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    """Every weight between two drawn units of adjacent layers: weight matrix ``layer`` connects model layer
    ``layer`` to ``layer + 1``; a maxout unit receives one weight per piece (its matrix is pieces times wider)."""
    units = nodes[nodes["unit"] >= 0]
    where = {(int(r.layer), int(r.unit)): (int(r.column), float(r.y)) for r in units.itertuples()}
    rows = []
    pieces = [layer.pieces for layer in model.layers] + [1]
    for index, W in enumerate(model.weights):
        sources = sorted(u for (layer, u) in where if layer == index)
        targets = sorted(u for (layer, u) in where if layer == index + 1)
        k = pieces[index]
        for target in targets:
            x2, y2 = where[index + 1, target]
            for piece in range(k):
                for source in sources:
                    x, y = where[index, source]
                    rows.append({"column": x2, "layer": index, "source": source, "target": target, "piece": piece,
                                 "pieces": k, "weight": float(W[source, target * k + piece]), "x": x, "y": y, "x2": x2,
                                 "y2": y2})
    columns = ["column", "layer", "source", "target", "piece", "pieces", "weight", "x", "y", "x2", "y2"]
    return pd.DataFrame(rows, columns=columns)
