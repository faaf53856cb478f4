"""The network diagram's builders: a thumbnail per node, edges whose colour is the weight's sign and whose width and
opacity its size; and the Arena drawing it (AppTest)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pytest

from core.engine.mlp import MLP
from core.lab.network import network_picture
from pages.ui.network_charts import diagram_data, diagram_shape, network_chart, thumbnail
from pages.ui.palette import NEGATIVE, POSITIVE, activation_color, label
from tests.pages.test_arena import widget
from tests.pages.test_training_charts import decode_png, hex_rgb
from tests.support.apptest import button, charts, start

X = np.random.default_rng(0).normal(size=(50, 2))


@pytest.fixture(scope="module")
def picture():
    return network_picture(MLP([2, 10, 3, 2], activation="relu", seed=0), X, ["x1", "x2"], ["a", "b"], 10)


def test_a_thumbnail_is_white_at_zero_and_full_colour_at_the_largest_size():
    ramp = np.tile(np.linspace(-2.0, 1.0, 4), 4)  # x fastest: each row runs -2 .. 1
    pixels = decode_png(thumbnail(ramp, 4))
    assert pixels.shape == (4, 4, 4) and (pixels[..., 3] == 255).all()
    assert pixels[0, 0, :3].tolist() == hex_rgb(NEGATIVE)  # -2, the largest |value|
    assert pixels[0, 2, :3].tolist() == [255, 255, 255]  # 0
    assert pixels[0, 3, :3].tolist() == np.rint((np.array(hex_rgb(POSITIVE)) + 255) / 2).astype(int).tolist()
    assert (decode_png(thumbnail(np.zeros(9), 3))[..., :3] == 255).all()  # a dead unit: white everywhere


def test_the_image_rows_go_down_as_y_goes_up():
    values = np.repeat([0.0, 1.0], 2)  # the lower row of cells 0, the upper 1
    pixels = decode_png(thumbnail(values, 2))
    assert pixels[0, 0, :3].tolist() == hex_rgb(POSITIVE) and pixels[1, 0, :3].tolist() == [255, 255, 255]


def test_the_spec_holds_one_image_per_drawn_node(picture):
    data = diagram_data(picture, "classification")
    chart = network_chart(data, "ReLU, seed 0", "relu", *diagram_shape(picture))
    assert isinstance(chart, alt.LayerChart)
    spec = chart.to_dict()
    rows = next(iter(spec["datasets"].values()))
    images = [r for r in rows if r["kind"] == "node"]
    assert len(images) == 2 + 7 + 3 + 2 and all(r["url"].startswith("data:image/png;base64,") for r in images)
    assert {"image", "rule", "square", "text"} <= {layer["mark"]["type"] for layer in spec["layer"]}
    assert spec["title"]["color"] == activation_color("relu")
    more = [r["text"] for r in rows if r["kind"] == "more"]
    assert more == ["+3 more"]
    titles = [r["text"] for r in rows if r["kind"] == "title"]
    assert titles == ["Inputs", "Layer 1\n10 ReLU", "Layer 2\n3 ReLU", "Outputs"]


def test_edges_encode_the_weight(picture):
    data = diagram_data(picture, "classification")
    spec = network_chart(data, "t", "relu", *diagram_shape(picture)).to_dict()
    rule = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rule")
    assert rule["encoding"]["color"]["field"] == "sign"
    assert rule["encoding"]["color"]["scale"] == {"domain": ["negative", "positive"], "range": [NEGATIVE, POSITIVE]}
    assert rule["encoding"]["strokeWidth"]["field"] == "size" and rule["encoding"]["opacity"]["field"] == "size"
    edges = data[data["kind"] == "edge"]
    weights = picture.edges["weight"].to_numpy()
    assert len(edges) == len(weights)
    np.testing.assert_array_equal(edges["weight"], weights)
    assert (edges["sign"] == np.where(weights < 0, "negative", "positive")).all()
    np.testing.assert_allclose(edges["size"], np.abs(weights) / np.abs(weights).max())


def test_the_spec_does_not_depend_on_the_data(picture):
    """The page caches the spec built from no rows (render.draw): it must be the one built from the rows."""
    data = diagram_data(picture, "classification")
    shape = diagram_shape(picture)
    full = network_chart(data, "t", "relu", *shape).to_dict()
    empty = network_chart(data.head(0), "t", "relu", *shape).to_dict()
    for spec in (full, empty):
        spec.pop("datasets"), spec.pop("data")
    assert full == empty


# --- the Arena ----------------------------------------------------------------------------------------------------


def diagram(at):
    return [c for c in charts(at) if '"field": "sign"' in c.proto.spec]


def test_the_arena_draws_the_chosen_activations_network():
    at = start("arena")
    assert any(s.value == "The network, unit by unit" for s in at.subheader)
    chooser = next(s for s in at.selectbox if s.key == "arena.details.network.of")
    assert chooser.label == "Network of" and chooser.options == ["ReLU", "Sigmoid", "Tanh"]
    [chart] = diagram(at)
    assert "ReLU, seed 0" in chart.proto.spec
    assert any("Epoch 0." in c.value for c in at.caption)
    button(at, "arena.step").click().run()
    assert any("Epoch 1." in c.value for c in at.caption)
    chooser = next(s for s in at.selectbox if s.key == "arena.details.network.of")
    chooser.set_value("tanh").run()
    assert not at.exception
    [chart] = diagram(at)
    assert "Tanh, seed 0" in chart.proto.spec and activation_color("tanh") in chart.proto.spec


def test_no_diagram_in_presenter_mode_or_without_2d_data():
    at = start("arena", {"mode": "present"})
    assert not diagram(at) and not any(s.value == "The network, unit by unit" for s in at.subheader)
    at = start("arena", {"arena.dataset": "iris"})
    assert not at.exception and not diagram(at)


def test_a_diverged_run_is_said_to_have_no_network_left():
    at = start("arena")
    widget(at, "arena.activations").set_value(["linear"]).run()
    widget(at, "arena.learning_rate").set_value(100.0).run()
    widget(at, "arena.hidden_layers.depth").set_value(4).run()
    for _ in range(3):
        if button(at, "arena.step").disabled:
            break
        button(at, "arena.step").click().run()
    assert not at.exception
    assert at.session_state["arena.run"].history()["diverged"].any()
    assert not diagram(at)
    assert any(f"{label('linear')}'s first seed diverged at epoch" in i.value and "no network left to draw" in i.value
               for i in at.info)
