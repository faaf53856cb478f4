"""The network diagram's data held against a forward pass written out by hand in numpy, and its edges against the
model's own weight matrices."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from core.engine.limits import MAX_DIAGRAM_LAYERS, MAX_DIAGRAM_UNITS, MAX_GRID
from core.engine.mlp import MLP
from core.lab.network import HIDDEN, INPUT, MORE_LAYERS, MORE_UNITS, OUTPUT, network_picture

RESOLUTION = 12
X = np.random.default_rng(0).normal(size=(60, 2))
ELEMENTWISE = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh, "sigmoid": expit,
               "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z)}


def hand_grid(X: np.ndarray, resolution: int) -> np.ndarray:
    """Cell centres over X with a 0.5 margin, x fastest from the lowest y (the decision surfaces' grid)."""
    low, high = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    xs, ys = np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    return np.array([(x, y) for y in ys for x in xs])


def hand_forward(model: MLP, points: np.ndarray) -> list[np.ndarray]:
    """Every layer's values, inputs first and class probabilities last, one unit per column, by hand."""
    values, h = [points], points
    for W, b, name, layer in zip(model.weights[:-1], model.biases[:-1], model.activations, model.layers,
                                 strict=True):
        z = h @ W + b
        if name == "maxout":  # unit j is the max of columns j*k .. j*k + k-1
            h = z.reshape(len(z), -1, layer.pieces).max(axis=2)
        else:
            h = ELEMENTWISE[name](z)
        values.append(h)
    logits = h @ model.weights[-1] + model.biases[-1]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    values.append(e / e.sum(axis=1, keepdims=True))
    return values


def node_values(picture, column: int, unit: int) -> np.ndarray:
    values = picture.values
    rows = values[(values["column"] == column) & (values["unit"] == unit)].sort_values("cell")
    return rows["value"].to_numpy()


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "maxout"])
def test_every_node_shows_the_layer_by_layer_forward_pass(activation):
    model = MLP([2, 5, 4, 3], activation=activation, seed=1, bias_init=0.1)
    picture = network_picture(model, X, ["a", "b"], ["p", "q", "r"], RESOLUTION)
    expected = hand_forward(model, hand_grid(X, RESOLUTION))
    assert list(picture.columns["kind"]) == [INPUT, HIDDEN, HIDDEN, OUTPUT]
    assert list(picture.columns["units"]) == [2, 5, 4, 3]
    for column, layer_values in enumerate(expected):
        for unit in range(layer_values.shape[1]):
            np.testing.assert_allclose(node_values(picture, column, unit), layer_values[:, unit], rtol=1e-12,
                                       atol=1e-12)
            node = picture.nodes[(picture.nodes["column"] == column) & (picture.nodes["unit"] == unit)].iloc[0]
            assert node["low"] == pytest.approx(layer_values[:, unit].min(), abs=1e-12)
            assert node["high"] == pytest.approx(layer_values[:, unit].max(), abs=1e-12)
            assert node["zero_share"] == np.mean(layer_values[:, unit] == 0)
    assert picture.resolution == RESOLUTION and len(picture.values) == (2 + 5 + 4 + 3) * RESOLUTION ** 2
    assert list(picture.nodes[picture.nodes["kind"] == INPUT]["name"]) == ["a", "b"]
    assert list(picture.nodes[picture.nodes["kind"] == OUTPUT]["name"]) == ["p", "q", "r"]


def test_relu_units_show_exact_zeros_on_part_of_the_plane():
    model = MLP([2, 6, 2], activation="relu", seed=0)
    picture = network_picture(model, X, ["a", "b"], ["p", "q"], 20)
    hidden = picture.nodes[picture.nodes["kind"] == HIDDEN]
    assert ((hidden["zero_share"] > 0) & (hidden["zero_share"] < 1)).any()  # a hinge crosses the plane
    assert (hidden["low"] == 0).all() and (hidden["high"] > 0).all()


def test_a_regression_output_shows_its_prediction():
    model = MLP([2, 4, 1], activation="tanh", task="regression", seed=2)
    picture = network_picture(model, X, ["a", "b"], ["y"], RESOLUTION)
    points = hand_grid(X, RESOLUTION)
    prediction = np.tanh(points @ model.weights[0] + model.biases[0]) @ model.weights[1] + model.biases[1]
    np.testing.assert_allclose(node_values(picture, 2, 0), prediction[:, 0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation,pieces", [("relu", 1), ("maxout", 3)])
def test_edges_are_the_models_weights_between_the_drawn_units(activation, pieces):
    model = MLP([2, 5, 4, 3], activation=activation, seed=4, maxout_pieces=3)
    edges = network_picture(model, X, ["a", "b"], ["p", "q", "r"], RESOLUTION).edges
    assert len(edges) == (2 * 5 + 5 * 4) * pieces + 4 * 3
    for index, W in enumerate(model.weights):
        part = edges[edges["layer"] == index]
        k = pieces if index < 2 else 1
        assert len(part) == W.size
        assert (part["pieces"] == k).all()
        for row in part.itertuples():
            assert row.weight == W[row.source, row.target * k + row.piece]
    nodes = {(r.column, r.unit): r.y for r in network_picture(model, X, ["a", "b"], ["p", "q", "r"],
                                                                RESOLUTION).nodes.itertuples()}
    for row in edges.itertuples():  # each edge runs from its source node to its target node
        assert row.x2 == row.x + 1 and nodes[row.x, row.source] == row.y and nodes[row.x2, row.target] == row.y2


def test_wide_layers_draw_a_capped_count_and_say_how_many_more():
    width = MAX_DIAGRAM_UNITS + 5
    model = MLP([2, width, 3], activation="relu", seed=0)
    picture = network_picture(model, X, ["a", "b"], ["p", "q", "r"], RESOLUTION)
    column = picture.nodes[picture.nodes["column"] == 1]
    drawn = MAX_DIAGRAM_UNITS - 1
    assert len(column) == MAX_DIAGRAM_UNITS
    assert list(column["unit"]) == [*range(drawn), -1]
    more = column[column["kind"] == MORE_UNITS].iloc[0]
    assert more["more"] == width - drawn and more["name"] == f"+{width - drawn} more"
    edges = picture.edges
    assert len(edges) == 2 * drawn + drawn * 3
    assert edges[edges["layer"] == 0]["target"].max() == drawn - 1
    assert picture.columns.loc[1, "units"] == width and picture.columns.loc[1, "drawn"] == drawn
    assert picture.nodes["y"].abs().max() == (MAX_DIAGRAM_UNITS - 1) / 2  # centred: slots -3.5 .. 3.5


def test_a_layer_at_the_cap_is_drawn_whole():
    model = MLP([2, MAX_DIAGRAM_UNITS, 2], activation="relu", seed=0)
    picture = network_picture(model, X, ["a", "b"], ["p", "q"], RESOLUTION)
    assert MORE_UNITS not in set(picture.nodes["kind"])
    assert len(picture.edges) == 2 * MAX_DIAGRAM_UNITS + MAX_DIAGRAM_UNITS * 2


def test_deep_networks_draw_the_first_layers_and_count_the_rest():
    depth = MAX_DIAGRAM_LAYERS + 2
    model = MLP([2, *[3] * depth, 2], activation="tanh", seed=0)
    picture = network_picture(model, X, ["a", "b"], ["p", "q"], RESOLUTION)
    kinds = list(picture.columns["kind"])
    assert kinds == [INPUT, *[HIDDEN] * MAX_DIAGRAM_LAYERS, MORE_LAYERS, OUTPUT]
    gap = picture.nodes[picture.nodes["kind"] == MORE_LAYERS].iloc[0]
    assert gap["more"] == 2 and gap["name"] == "+2 more layers"
    assert set(picture.edges["layer"]) == set(range(MAX_DIAGRAM_LAYERS))  # no weight across the gap
    output = picture.nodes[picture.nodes["kind"] == OUTPUT]
    assert list(output["column"]) == [MAX_DIAGRAM_LAYERS + 2] * 2
    expected = hand_forward(model, hand_grid(X, RESOLUTION))[-1]
    np.testing.assert_allclose(node_values(picture, MAX_DIAGRAM_LAYERS + 2, 1), expected[:, 1], rtol=1e-12)


def test_wrong_inputs_are_refused_with_a_value_error():
    model = MLP([2, 3, 2], seed=0)
    with pytest.raises(ValueError, match="2 inputs"):
        network_picture(MLP([3, 3, 2], seed=0), np.zeros((4, 3)), ["a", "b", "c"], ["p", "q"])
    with pytest.raises(ValueError, match="output names"):
        network_picture(model, X, ["a", "b"], ["p"])
    with pytest.raises(ValueError, match="resolution"):
        network_picture(model, X, ["a", "b"], ["p", "q"], MAX_GRID + 1)


def test_the_work_is_checked_before_anything_is_computed():
    huge = MLP([2, *[512] * 4, 2], seed=0, dtype=np.float32)
    with pytest.raises(ValueError, match="MAX_WORK"):
        network_picture(huge, X, ["a", "b"], ["p", "q"], MAX_GRID)
