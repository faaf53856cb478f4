"""The palette and the pure chart builders: specs carry titles, legends and one colour per activation."""

import altair as alt
import pytest

from core.engine.activations import ACTIVATIONS
from core.engine.mlp import MAXOUT
from core.lab.explorer import DERIVATIVE, FUNCTION, batch_response, curves, saturation_bands
from pages.ui.activation_charts import batch_histogram_chart, curve_chart, saturation_band_layer
from pages.ui.palette import ACTIVATION_COLORS, activation_color, color_scale, label

NAMES = ["relu", "sigmoid", "tanh"]


def spec(chart) -> dict:
    # Streamlit sends any number of rows; Altair's default 5,000-row guard is for notebooks.
    with alt.data_transformers.disable_max_rows():
        return chart.to_dict()


def layers(chart_spec: dict) -> list[dict]:
    """Every single-view spec inside a (possibly nested) layer spec."""
    if "layer" in chart_spec:
        return [view for child in chart_spec["layer"] for view in layers(child)]
    return [chart_spec]


def mark_type(view: dict) -> str:
    mark = view["mark"]
    return mark["type"] if isinstance(mark, dict) else mark


# --- palette -----------------------------------------------------------------------------------------


def test_every_activation_and_maxout_has_its_own_colour():
    assert set(ACTIVATION_COLORS) == {*ACTIVATIONS, MAXOUT}
    colours = [activation_color(name) for name in ACTIVATION_COLORS]
    assert len(set(colours)) == len(colours)
    assert all(colour.startswith("#") and len(colour) == 7 for colour in colours)


def lab(hex_colour: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB hex colour, for perceptual colour distances."""
    linear = []
    for i in (1, 3, 5):
        c = int(hex_colour[i : i + 2], 16) / 255
        linear.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = linear
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t):
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_relu_sigmoid_tanh_are_perceptually_far_apart():
    relu, sigmoid, tanh = (lab(activation_color(name)) for name in NAMES)
    for a, b in [(relu, sigmoid), (relu, tanh), (sigmoid, tanh)]:
        assert sum((p - q) ** 2 for p, q in zip(a, b, strict=True)) ** 0.5 > 30  # CIE76 delta E


def test_labels_come_from_the_registry():
    assert label("leaky_relu") == "Leaky ReLU" == ACTIVATIONS["leaky_relu"].label
    assert label("relu") == "ReLU"
    assert label(MAXOUT) == "Maxout"
    with pytest.raises(ValueError, match="Valid choices"):
        label("nope")
    with pytest.raises(ValueError, match="Valid choices"):
        activation_color("nope")


def test_color_scale_maps_labels_to_fixed_colours_in_order():
    scale = color_scale(["tanh", "relu", "relu"]).to_dict()
    assert scale["domain"] == ["Tanh", "ReLU"]
    assert scale["range"] == [activation_color("tanh"), activation_color("relu")]


# --- curve charts --------------------------------------------------------------------------------------


def test_curve_chart_has_titles_legend_and_palette_colours():
    chart_spec = spec(curve_chart(curves(NAMES, -5, 5, n=101), FUNCTION))
    assert chart_spec["title"] == "Function f(x)"
    lines = [view for view in layers(chart_spec) if mark_type(view) == "line"]
    assert len(lines) == 1
    encoding = lines[0]["encoding"]
    assert encoding["x"]["title"] == "x (pre-activation)"
    assert encoding["y"]["title"] == FUNCTION
    assert encoding["color"]["legend"]["orient"] == "top"
    assert encoding["color"]["title"] == "Activation"
    assert encoding["color"]["scale"]["domain"] == ["ReLU", "Sigmoid", "Tanh"]
    assert encoding["color"]["scale"]["range"] == [activation_color(name) for name in NAMES]
    assert encoding["detail"]["field"] == "piece"  # jumps are not drawn as slopes


def test_derivative_chart_marks_the_convention_at_zero():
    chart_spec = spec(curve_chart(curves(NAMES, -5, 5, n=101), DERIVATIVE))
    assert chart_spec["title"] == "Derivative f′(x)"
    points = [view for view in layers(chart_spec) if mark_type(view) == "point"]
    assert len(points) == 1
    # Only ReLU jumps at 0 among these three; its dot sits at f'(0) = 0.
    dataset = chart_spec["datasets"][points[0]["data"]["name"]]
    assert [(row["label"], row["x"], row["value"]) for row in dataset] == [("ReLU", 0.0, 0.0)]


def test_bands_are_shaded_with_edges_inside_the_window():
    data = curves(NAMES, -10, 10, n=201)
    bands = saturation_bands(NAMES, 0.01, -10, 10)
    chart_spec = spec(curve_chart(data, DERIVATIVE, bands, (-10, 10)))
    views = layers(chart_spec)
    rects = [view for view in views if mark_type(view) == "rect"]
    assert len(rects) == 1 and rects[0]["encoding"]["x2"]["field"] == "end"
    assert rects[0]["encoding"]["color"]["legend"] is None  # the lines own the legend
    dashed = [view for view in views if mark_type(view) == "rule" and "strokeDash" in view["mark"]]
    edges = chart_spec["datasets"][dashed[0]["data"]["name"]]
    # sigmoid and tanh saturate on both sides: two inner edges each; ReLU hard on the left, its edge at 0; the
    # window edges excluded
    assert sorted(row["label"] for row in edges) == ["ReLU", "Sigmoid", "Sigmoid", "Tanh", "Tanh"]
    assert all(-10 < row["edge"] < 10 for row in edges)


def test_band_layer_alone_and_empty_bands():
    bands = saturation_bands(["sigmoid"], 0.01, -10, 10)
    assert spec(saturation_band_layer(bands, ["sigmoid"], (-10, 10)))["layer"]
    empty = bands.iloc[0:0]
    chart_spec = spec(curve_chart(curves(["sigmoid"], -10, 10, n=51), FUNCTION, empty))
    assert not [view for view in layers(chart_spec) if mark_type(view) == "rect"]


def test_curve_chart_rejects_unknown_function():
    with pytest.raises(ValueError, match="function must be"):
        curve_chart(curves(NAMES), "f''(x)")


def test_curve_chart_with_every_activation_wraps_its_legend():
    chart_spec = spec(curve_chart(curves(list(ACTIVATIONS), n=101), FUNCTION))
    (lines,) = [view for view in layers(chart_spec) if mark_type(view) == "line"]
    assert lines["encoding"]["color"]["legend"]["columns"] == 3
    assert len(lines["encoding"]["color"]["scale"]["domain"]) == len(ACTIVATIONS)


# --- histogram -----------------------------------------------------------------------------------------------


def test_histogram_of_one_activation_is_titled_by_it():
    histogram = batch_response(["relu"], sigma=1.0, n=1_000, bins=20).histogram
    chart_spec = spec(batch_histogram_chart(histogram, height=150))
    assert chart_spec["title"] == "ReLU"
    assert chart_spec["height"] == 150
    encoding = chart_spec["encoding"]
    assert encoding["x"]["title"] == "output f(x)"
    assert encoding["y"]["title"] == "share of batch"
    assert encoding["y2"] == {"datum": 0}  # vertical bars from zero
    assert encoding["color"]["legend"] is None  # the title names the activation


def test_histogram_of_several_activations_has_a_legend():
    histogram = batch_response(NAMES, sigma=1.0, n=1_000, bins=20).histogram
    chart_spec = spec(batch_histogram_chart(histogram))
    assert "title" not in chart_spec
    color = chart_spec["encoding"]["color"]
    assert color["title"] == "Activation" and color["legend"]["orient"] == "top"
    assert color["scale"]["range"] == [activation_color(name) for name in NAMES]
