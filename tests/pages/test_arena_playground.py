"""The Arena's TensorFlow Playground staples, headless: input features, the L1 penalty, a per-layer network among
the compared activations, and the view-only toggles of the decision surfaces (Show test data, Discretize output)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from tests.pages.test_arena import counter, widget
from tests.support.apptest import button, charts, start


def boundaries(at) -> list:
    """The decision-surface charts (an image layer of kind "surface" or "discrete"; the network diagram's images are
    its units)."""
    surfaces = [{"filter": f"(datum.kind === '{kind}')"} for kind in ("surface", "discrete")]
    return [chart for chart in charts(at) if any(
        layer.get("mark", {}).get("type") == "image" and any(f in layer.get("transform", []) for f in surfaces)
        for layer in json.loads(chart.proto.spec).get("layer", []))]


def boundary_specs(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in boundaries(at)]


def sent(chart):
    """The data a chart was sent as Arrow: render.draw's apart from the spec, or an Altair chart's named dataset."""
    data = chart.proto.data.data if chart.proto.HasField("data") else chart.proto.datasets[0].data.data
    return pa.ipc.open_stream(data).read_all().to_pandas()


def text_input(at, key):
    return next(t for t in at.text_input if t.key == key)


def toggle(at, key):
    return next(t for t in at.toggle if t.key == key)


def test_a_per_layer_network_typed_in_the_network_panel_joins_the_comparison():
    at = start("arena")
    button(at, "arena.step").click().run()
    text_input(at, "arena.activations.add").input("tanh, relu").run()
    assert not at.exception and not at.error
    assert widget(at, "arena.activations").value == ["relu", "sigmoid", "tanh", "tanh>relu"]
    assert counter(at) == "Epoch 0 / 200"  # a new experiment
    run = at.session_state["arena.run"]
    assert [c.hidden_activations for c in run.configs][-1] == ("tanh", "relu")
    assert text_input(at, "arena.activations.add").value == ""
    titles = [spec["title"]["text"] for spec in boundary_specs(at)]
    assert titles == ["ReLU", "Sigmoid", "Tanh", "Tanh → ReLU"]
    assert boundary_specs(at)[-1]["title"]["color"] == "#000000"  # the palette's per-layer colour
    button(at, "arena.step").click().run()
    assert not at.exception and set(run.history()["activation"]) == {"relu", "sigmoid", "tanh", "tanh>relu"}
    # a second one replaces the first: one per-layer network at a time
    text_input(at, "arena.activations.add").input("relu, Leaky ReLU").run()
    assert widget(at, "arena.activations").value == ["relu", "sigmoid", "tanh", "relu>leaky_relu"]


def test_a_bad_per_layer_network_gets_its_reason_never_a_traceback():
    at = start("arena")
    text_input(at, "arena.activations.add").input("tanh, sigmoidal").run()
    assert not at.exception
    [warning] = at.warning
    assert warning.value.startswith("activations: Unknown activation 'sigmoidal' in 'tanh, sigmoidal'")
    assert widget(at, "arena.activations").value == ["relu", "sigmoid", "tanh"]
    text_input(at, "arena.activations.add").input("tanh, relu, relu").run()  # three layers' worth, for two
    assert not at.exception
    [error] = at.error
    assert error.value == ("These settings cannot run: The per-layer network Tanh → ReLU → ReLU names 3 activations, "
                           "but the network has 2 hidden layers: give one activation per hidden layer, or set 3 "
                           "hidden layers.")
    widget(at, "arena.hidden_layers.depth").set_value(3).run()  # now it fits
    assert not at.exception and not at.error
    assert at.session_state["arena.run"].configs[-1].hidden_activations == ("tanh", "relu", "relu")


def test_a_link_with_a_per_layer_network_opens_with_it():
    at = start("arena", {"arena.activations": ["relu", "Tanh → ReLU"]})
    assert not at.exception and not at.warning
    assert widget(at, "arena.activations").value == ["relu", "tanh>relu"]
    assert len(boundary_specs(at)) == 2


def test_the_view_toggles_change_the_surfaces_and_keep_the_run():
    at = start("arena")
    for _ in range(2):
        button(at, "arena.step").click().run()
    run = at.session_state["arena.run"]
    assert toggle(at, "arena.show_test").value is True and toggle(at, "arena.discretize").value is False
    test_filter = {"filter": "((datum.kind === 'point') && (datum.split === 'train'))"}

    def layers(spec, mark):
        return [layer for layer in spec["layer"] if layer["mark"]["type"] == mark]

    [legend] = [c for c in charts(at) if "slot" in c.proto.spec]  # the row's one legend of classes and shapes
    assert list(sent(legend)["text"])[-2:] == ["train", "test"]
    for spec in boundary_specs(at):
        assert test_filter not in layers(spec, "point")[0]["transform"]
        assert {"filter": "(datum.kind === 'surface')"} in layers(spec, "image")[0]["transform"]
    toggle(at, "arena.show_test").set_value(False).run()
    toggle(at, "arena.discretize").set_value(True).run()
    assert not at.exception
    assert at.session_state["arena.run"] is run and counter(at) == "Epoch 2 / 200"  # the same run, not reset
    specs = boundary_specs(at)
    assert len(specs) == 3
    for spec in specs:
        assert test_filter in layers(spec, "point")[0]["transform"]
        assert {"filter": "(datum.kind === 'discrete')"} in layers(spec, "image")[0]["transform"]
    assert at.query_params["arena.show_test"] == "false" and at.query_params["arena.discretize"] == "true"
    [legend] = [c for c in charts(at) if "slot" in c.proto.spec]  # no test points, so none in the legend
    assert list(sent(legend)["text"])[-1] == "train" and "test" not in list(sent(legend)["text"])


def test_input_features_let_a_linear_network_separate_the_circles():
    at = start("arena", {"arena.dataset": "circles", "arena.activations": "linear", "arena.layers": "2",
                         "arena.features": ["x1_squared", "x2_squared"], "arena.noise": "0.1"})
    assert not at.exception
    assert widget(at, "arena.features").value == ["x1_squared", "x2_squared"]
    assert not widget(at, "arena.features").disabled
    run = at.session_state["arena.run"]
    assert run.configs[0].features == ("x1_squared", "x2_squared")
    for _ in range(15):
        button(at, "arena.step").click().run()
    assert not at.exception
    history = run.history()
    final = history[(history["epoch"] == run.epoch) & (history["metric"] == "test_accuracy")]["value"]
    assert float(final.iloc[0]) > 0.95
    # the surfaces are drawn in the x1, x2 plane through the same feature map: a hover cell's probability is the
    # live model's at the cell's centre, a point of the plane
    hover = sent(boundaries(at)[0]).query("kind == 'hover'")
    centres = np.column_stack([(hover["x"] + hover["x2"]) / 2, (hover["y"] + hover["y2"]) / 2])
    assert len(hover) == 400
    np.testing.assert_allclose(hover["confidence"], run.model(0).forward(centres).max(axis=1), rtol=1e-5)
    assert set(sent(boundaries(at)[0])["kind"]) == {"surface", "point", "hover"}  # the image it draws, only


def test_input_features_are_greyed_out_for_a_table_and_l1_reaches_the_runs():
    at = start("arena", {"arena.dataset": "iris", "arena.l1": "0.001"})
    assert not at.exception
    assert widget(at, "arena.features").disabled
    assert widget(at, "arena.l1").value == 0.001
    assert {c.l1 for c in at.session_state["arena.run"].configs} == {0.001}


def test_a_per_layer_networks_weights_download_under_a_portable_file_name(monkeypatch):
    from streamlit.runtime.media_file_manager import MediaFileManager

    from tests.support.apptest import button, start

    names, register = {}, MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        file_id = register(self, data_callable, mimetype, coordinates, file_name, **kwargs)
        names[file_id] = file_name
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    at = start("arena", {"arena.activations": ["relu", "tanh>relu"], "arena.epochs": "3"})
    button(at, "arena.step").click().run()
    next(s for s in at.selectbox if s.key == "arena.export.weights").set_value("tanh>relu").run()
    assert not at.exception
    shown = [names[b.proto.deferred_file_id] for b in at.get("download_button") if b.proto.label.startswith("Weights")]
    assert shown == ["relu-lab-tanh-relu-seed0.npz", "relu-lab-tanh-relu-seed0.json"]
