"""Training chart builders: the Vega-Lite specs carry titles, axes, the activations' colours, bands and rules."""

from __future__ import annotations

import base64
import struct
import zlib

import altair as alt
import numpy as np
import pandas as pd
import pytest

from core.engine.data import load_dataset
from core.engine.live import LiveRun
from core.engine.mlp import MLP
from core.io.history import bands, divergences
from core.lab.boundary import confusion_frame, decision_surface, points_frame
from core.settings import Experiment
from pages.ui.palette import CLASS_COLORS, activation_color, label
from pages.ui.training_charts import (
    SURFACE_MAX_ALPHA,
    SURFACE_WHITE,
    boundary_chart,
    boundary_data,
    boundary_legend,
    boundary_view,
    confusion_chart,
    layer_lines,
    layer_profile,
    line_chart,
    spec_without_data,
    split_data,
    split_lines,
    surface_rgba,
    surface_view,
    used_columns,
    with_reference,
)

NAMES = ["relu", "sigmoid"]
EPOCHS = 4
METRICS = ["train_loss", "test_loss", "train_accuracy", "test_accuracy", "grad_norm", "sparsity", "mean_activation"]
LOSS = {"train_loss": "train", "test_loss": "test"}


def spec(chart) -> dict:
    with alt.data_transformers.disable_max_rows():
        return chart.to_dict()


def views(chart_spec: dict) -> list[dict]:
    if "layer" in chart_spec:
        return [view for child in chart_spec["layer"] for view in views(child)]
    return [chart_spec]


def mark_type(view: dict) -> str:
    mark = view["mark"]
    return mark["type"] if isinstance(mark, dict) else mark


def marks(chart_spec: dict) -> list[str]:
    return [mark_type(view) for view in views(chart_spec)]


def only(chart_spec: dict, mark: str) -> dict:
    found = [view for view in views(chart_spec) if mark_type(view) == mark]
    assert len(found) == 1, marks(chart_spec)
    return found[0]


def rows(chart_spec: dict, view: dict) -> list[dict]:
    """The data rows a view draws (its own data, or the layer chart's)."""
    data = view.get("data", chart_spec.get("data"))
    return chart_spec["datasets"][data["name"]]


def history(seeds: int) -> pd.DataFrame:
    live = LiveRun(Experiment(epochs=EPOCHS, n_samples=100, activations=tuple(NAMES), seeds=seeds,
                              hidden_layers=(6, 6)))
    live.advance(seconds=60)
    assert live.done
    return live.history()


@pytest.fixture(scope="module")
def two_seeds():
    return bands(history(2), METRICS)


@pytest.fixture(scope="module")
def one_seed():
    return bands(history(1), METRICS)


def assert_activation_colours(chart_spec: dict):
    coloured = [view for view in views(chart_spec) if view["encoding"].get("color", {}).get("field") == "label"]
    assert coloured
    for view in coloured:
        scale = view["encoding"]["color"]["scale"]
        assert scale["domain"] == ["ReLU", "Sigmoid"] == [label(n) for n in NAMES]
        assert scale["range"] == ["#D55E00", "#0077BB"] == [activation_color(n) for n in NAMES]


BUILDERS = {
    "split_lines": lambda frame, **kw: split_lines(frame, NAMES, LOSS, "Loss", "cross-entropy", **kw),
    "layer_lines": lambda frame, **kw: layer_lines(frame, NAMES, "grad_norm", "Gradient norms", "‖∇W‖", **kw),
}


# --- split_lines and layer_lines --------------------------------------------------------------------------


@pytest.mark.parametrize("builder", BUILDERS)
def test_line_charts_carry_title_axes_and_colours(two_seeds, builder):
    chart = BUILDERS[builder](two_seeds)
    assert isinstance(chart, alt.LayerChart)
    d = spec(chart)
    assert d["title"] == {"split_lines": "Loss", "layer_lines": "Gradient norms"}[builder]
    line = only(d, "line")
    assert line["encoding"]["x"]["field"] == "epoch"
    assert line["encoding"]["x"]["title"] == "epoch"
    assert line["encoding"]["y"]["field"] == "mean"
    assert line["encoding"]["y"]["title"] == {"split_lines": "cross-entropy", "layer_lines": "‖∇W‖"}[builder]
    assert line["encoding"]["y"]["scale"].get("type") is None  # linear unless log=True
    assert "domain" not in line["encoding"]["x"].get("scale", {})
    assert_activation_colours(d)


def curve_rows(d: dict, view: dict) -> pd.DataFrame:
    data = pd.DataFrame(rows(d, view))
    return data[data["kind"] == "curve"]


def test_split_lines_draws_the_requested_metrics_dashed_by_split(two_seeds):
    d = spec(split_lines(two_seeds, NAMES, LOSS, "Loss", "cross-entropy"))
    line = only(d, "line")
    assert line["encoding"]["strokeDash"]["field"] == "group"
    assert line["encoding"]["strokeDash"]["scale"]["domain"] == ["train", "test"]
    data = curve_rows(d, line)
    expected = two_seeds[two_seeds["metric"].isin(LOSS)]
    assert len(data) == len(expected) == 2 * 2 * (EPOCHS + 1)
    assert (data["group"] == data["metric"].map(LOSS)).all()
    assert set(data["series"]) == {f"{a} {s}" for a in ("relu", "sigmoid") for s in ("train", "test")}
    merged = data.merge(expected, on=["activation", "metric", "layer", "epoch"], suffixes=("", "_expected"))
    assert len(merged) == len(data)
    assert (merged["mean"] == merged["mean_expected"]).all()


def test_layer_lines_dash_by_layer(two_seeds):
    d = spec(layer_lines(two_seeds, NAMES, "grad_norm", "Gradient norms", "‖∇W‖"))
    line = only(d, "line")
    assert line["encoding"]["strokeDash"]["field"] == "group"
    data = curve_rows(d, line)
    assert set(data["metric"]) == {"grad_norm"}
    assert set(data["group"]) == {"layer 1", "layer 2", "layer 3"}  # 3 weight matrices for (6, 6)
    assert len(data) == 2 * 3 * (EPOCHS + 1)


@pytest.mark.parametrize("builder", BUILDERS)
def test_log_scale(two_seeds, builder):
    d = spec(BUILDERS[builder](two_seeds, log=True))
    assert only(d, "line")["encoding"]["y"]["scale"]["type"] == "log"
    assert only(d, "area")["encoding"]["y"]["scale"]["type"] == "log"
    assert all(row["mean"] > 0 for row in rows(d, only(d, "line")))


def test_log_scale_drops_non_positive_values(two_seeds):
    # Sparsity of a sigmoid layer is exactly 0: nothing to draw on a log axis.
    d = spec(layer_lines(two_seeds, NAMES, "sparsity", "Sparsity", "fraction", log=True))
    data = pd.DataFrame(rows(d, only(d, "line")))
    expected = two_seeds[(two_seeds["metric"] == "sparsity") & (two_seeds["mean"] > 0)]
    assert len(data) == len(expected) < len(two_seeds[two_seeds["metric"] == "sparsity"])
    assert set(data["activation"]) == {"relu"} and set(data["label"]) == {"ReLU"}


@pytest.mark.parametrize("builder", BUILDERS)
def test_band_layer_only_with_several_seeds(one_seed, two_seeds, builder):
    assert "area" not in marks(spec(BUILDERS[builder](one_seed)))
    d = spec(BUILDERS[builder](two_seeds))
    area = only(d, "area")
    assert area["encoding"]["y"]["field"] == "low"
    assert area["encoding"]["y2"]["field"] == "high"
    assert area["encoding"]["color"]["field"] == "label"


@pytest.mark.parametrize("builder", BUILDERS)
def test_rule_layer_marks_diverged_runs(two_seeds, builder):
    """The rule layers are always in the spec (so a page can reuse it) and draw only their own rows: a dashed rule
    where a run diverged, a longer-dashed one where it became unstable."""
    def rule(chart_spec: dict, kind: str) -> dict:
        [found] = [view for view in views(chart_spec) if mark_type(view) == "rule"
                   and {"filter": f"(datum.kind === '{kind}')"} in view.get("transform", [])]
        return found

    for none in (divergences(history(1)), None):
        d = spec(BUILDERS[builder](two_seeds, diverged=none))
        for kind in ("diverged", "unstable"):
            assert (pd.DataFrame(rows(d, rule(d, kind)))["kind"] == "curve").all()
    diverged = pd.DataFrame({"run": [3], "activation": ["sigmoid"], "label": ["Sigmoid"], "seed": [1], "epoch": [2]})
    unstable = diverged.assign(run=1, activation="relu", label="ReLU", seed=0, epoch=1)
    d = spec(BUILDERS[builder](two_seeds, diverged=diverged, unstable=unstable))
    for kind, expected, dash in (("diverged", diverged, [2, 2]), ("unstable", unstable, [8, 4])):
        view = rule(d, kind)
        assert view["mark"]["strokeDash"] == dash
        flagged = pd.DataFrame(rows(d, view)).query(f"kind == '{kind}'")
        assert flagged[["activation", "label", "seed", "epoch"]].to_dict("records") == \
            expected[["activation", "label", "seed", "epoch"]].to_dict("records")
    assert_activation_colours(d)


@pytest.mark.parametrize("builder", BUILDERS)
def test_epoch_axis_spans_the_whole_run(two_seeds, builder):
    d = spec(BUILDERS[builder](two_seeds, epochs=200))
    for view in views(d):
        assert view["encoding"]["x"]["scale"]["domain"] == [0, 200]


def test_points_while_only_epoch_zero(two_seeds):
    first = two_seeds[two_seeds["epoch"] == 0]
    assert only(spec(split_lines(first, NAMES, LOSS, "Loss", "loss")), "line")["mark"]["point"] is True
    assert only(spec(split_lines(two_seeds, NAMES, LOSS, "Loss", "loss")), "line")["mark"]["point"] is False


def test_fixed_y_domain(two_seeds):
    accuracy = {"train_accuracy": "train", "test_accuracy": "test"}
    d = spec(split_lines(two_seeds, NAMES, accuracy, "Accuracy", "accuracy", domain=[0, 1]))
    assert only(d, "line")["encoding"]["y"]["scale"]["domain"] == [0, 1]


# --- layer_profile ---------------------------------------------------------------------------------------


def test_layer_profile_shows_the_last_epoch_against_depth(two_seeds, one_seed):
    chart = layer_profile(two_seeds, NAMES, "grad_norm", "Gradient by depth", "‖∇W‖")
    assert isinstance(chart, alt.LayerChart)
    d = spec(chart)
    assert d["title"] == "Gradient by depth"
    line = only(d, "line")
    assert line["encoding"]["x"]["field"] == "layer"
    assert line["encoding"]["x"]["title"] == "layer (1 = input side)"
    assert line["encoding"]["y"]["title"] == "‖∇W‖"
    assert line["encoding"]["y"]["scale"]["type"] == "log"  # log by default
    assert_activation_colours(d)
    data = pd.DataFrame(rows(d, line))
    assert set(data["epoch"]) == {EPOCHS}
    assert len(data) == 2 * 3
    assert only(d, "area")["encoding"]["y"]["scale"]["type"] == "log"
    assert "area" not in marks(spec(layer_profile(one_seed, NAMES, "grad_norm", "G", "g")))
    linear = spec(layer_profile(two_seeds, NAMES, "mean_activation", "Mean", "mean", log=False, x_title="hidden layer"))
    assert only(linear, "line")["encoding"]["y"]["scale"].get("type") is None
    assert only(linear, "line")["encoding"]["x"]["title"] == "hidden layer"


# --- boundary_chart --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moons_parts():
    live = LiveRun(Experiment(epochs=3, n_samples=100, activations=("relu", "tanh"), hidden_layers=(6, 6)))
    live.advance(seconds=60)
    ds = live.dataset
    surface = decision_surface(live.model(0), ds.X_train, resolution=20)
    return ds, surface, points_frame(ds), live.model(0)


@pytest.fixture(scope="module")
def blobs_parts():
    ds = load_dataset("blobs", n_samples=90, noise=0.3, seed=0)
    model = MLP([2, 5, 3], activation="tanh", init="xavier", seed=0)
    surface = decision_surface(model, ds.X_train, resolution=15, class_names=ds.class_names)
    return ds, surface, points_frame(ds), model


def decode_png(uri: str) -> np.ndarray:
    """An 8-bit RGBA, non-interlaced PNG data URI back to (rows, columns, 4), checking every chunk's CRC."""
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    data = base64.b64decode(uri[len(prefix):])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks = 8, {}
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        at += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour, interlace) == (8, 6, 0)
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, 1 + 4 * width)
    assert (raw[:, 0] == 0).all()  # filter type None on every row
    return raw[:, 1:].reshape(height, width, 4)


def hex_rgb(color: str) -> list[int]:
    return [int(color[k:k + 2], 16) for k in (1, 3, 5)]


def test_two_class_boundary_shades_p1_between_the_class_colours(moons_parts):
    ds, surface, points, _ = moons_parts
    chart = boundary_chart(surface, points, ds.class_names, "relu", "ReLU", size=240)
    assert isinstance(chart, alt.LayerChart)
    d = spec(chart)
    assert d["width"] == d["height"] == 240
    assert d["title"]["text"] == "ReLU"
    assert d["title"]["color"] == activation_color("relu") == "#D55E00"
    image, dots = only(d, "image"), only(d, "point")
    assert image["mark"]["aspect"] is False  # stretched over the grid's extent
    assert image["encoding"]["url"]["field"] == "url"
    assert image["encoding"]["x"]["scale"]["domain"] == [surface["x"].min(), surface["x2"].max()]
    assert image["encoding"]["y"]["scale"]["domain"] == [surface["y"].min(), surface["y2"].max()]
    dot_colours = dots["encoding"]["color"]["scale"]
    assert dot_colours["domain"] == list(ds.class_names)
    assert len(set(dot_colours["range"])) == 2
    # One frame for both layers (so a live page can reuse the spec); each layer filters its kind of row.
    data = pd.DataFrame(rows(d, image))
    assert {"filter": "(datum.kind === 'surface')"} in image["transform"]
    assert {"filter": "(datum.kind === 'point')"} in dots["transform"]
    assert (data["kind"] == "surface").sum() == 1
    assert (data["kind"] == "point").sum() == len(ds.X_train) + len(ds.X_test)
    assert dots["encoding"]["shape"]["field"] == "split"
    # The image is the 20 x 20 grid, top row = largest y; P(class 1) = 0 is a tint of class 0's dot colour
    # (SURFACE_WHITE of white), 1 the same tint of class 1's, 0.5 is white, linearly in between.
    pixels = decode_png(data.loc[data["kind"] == "surface", "url"].iloc[0])
    assert pixels.shape == (20, 20, 4)
    assert (pixels[..., 3] == 255).all()
    p1 = surface["p1"].to_numpy().reshape(20, 20)[::-1]
    low, high = (np.array(hex_rgb(c)) + (255 - np.array(hex_rgb(c))) * SURFACE_WHITE for c in dot_colours["range"])
    for row, col in [(0, 0), (0, 19), (19, 0), (19, 19), (10, 10), (5, 14)]:
        p = p1[row, col]
        expected = low + (255 - low) * 2 * p if p < 0.5 else 255 + (high - 255) * (2 * p - 1)
        assert np.abs(pixels[row, col, :3].astype(int) - expected).max() <= 1, (row, col, p)


def test_surface_image_colours_the_extremes_and_the_middle_exactly():
    grid = pd.DataFrame({"p1": [0.0, 0.5, 1.0, 0.25], "class": ["a", "a", "b", "a"], "confidence": [1, 0.5, 1, 0.75]})
    pixels = surface_rgba(grid, ["a", "b"])
    # grid rows go up in y (row 0 = p1 0 and 0.5), image rows go down: row 0 of the image is the grid's top row
    def tint(color, white):
        return [round(c + (255 - c) * white) for c in hex_rgb(color)]

    assert pixels[1, 0, :3].tolist() == tint(CLASS_COLORS[0], SURFACE_WHITE)
    assert pixels[1, 1, :3].tolist() == [255, 255, 255]
    assert pixels[0, 0, :3].tolist() == tint(CLASS_COLORS[1], SURFACE_WHITE)
    # halfway from the tint to white: half of the colour's distance to white is left, times (1 - SURFACE_WHITE)
    assert pixels[0, 1, :3].tolist() == tint(CLASS_COLORS[0], 1 - 0.5 * (1 - SURFACE_WHITE))
    with pytest.raises(ValueError, match="square grid"):
        surface_rgba(grid.iloc[:3], ["a", "b"])


def test_multi_class_boundary_colours_by_class_faded_by_confidence(blobs_parts):
    ds, surface, points, _ = blobs_parts
    d = spec(boundary_chart(surface, points, ds.class_names, "tanh", "Tanh"))
    image, dots = only(d, "image"), only(d, "point")
    colours = dots["encoding"]["color"]["scale"]
    assert colours["domain"] == list(ds.class_names)
    assert len(colours["range"]) == 3 == len(set(colours["range"]))
    pixels = decode_png(pd.DataFrame(rows(d, image)).query("kind == 'surface'")["url"].iloc[0])
    assert pixels.shape == (15, 15, 4)
    flat = pixels[::-1].reshape(-1, 4)  # back to the grid's order
    for k in range(len(surface)):
        row = surface.iloc[k]
        assert flat[k, :3].tolist() == hex_rgb(colours["range"][list(ds.class_names).index(row["class"])])
        assert abs(int(flat[k, 3]) - 255 * 0.75 * row["confidence"]) <= 0.5 + 1e-9
    assert d["title"]["color"] == activation_color("tanh")
    assert d["width"] == d["height"] == 260


def test_a_discretized_two_class_surface_is_each_cells_predicted_class_at_full_strength(moons_parts):
    ds, surface, points, _ = moons_parts
    names = ["0", "1"]  # (the fixture's surface names its classes by number)
    pixels = surface_rgba(surface, names, discretize=True)[::-1].reshape(-1, 4)  # back to the grid's order
    full = {name: surface_rgba(pd.DataFrame({"p1": [p] * 4, "class": [name] * 4, "confidence": [1.0] * 4}),
                               names)[0, 0].tolist() for name, p in zip(names, (0.0, 1.0), strict=True)}
    assert [pixels[k].tolist() for k in range(len(surface))] == [full[c] for c in surface["class"]]
    assert set(surface["class"]) == set(names)  # both classes appear on this grid


def test_a_discretized_multi_class_surface_drops_the_fading_by_confidence(blobs_parts):
    ds, surface, _, _ = blobs_parts
    shaded, discrete = (surface_rgba(surface, ds.class_names, d)[::-1].reshape(-1, 4) for d in (False, True))
    np.testing.assert_array_equal(shaded[:, :3], discrete[:, :3])  # the same class colours
    assert (discrete[:, 3] == round(255 * SURFACE_MAX_ALPHA)).all() and (shaded[:, 3] < discrete[:, 3]).any()


def test_the_boundary_frame_holds_both_images_and_the_view_draws_one_with_or_without_the_test_points(moons_parts):
    ds, surface, points, _ = moons_parts
    data = boundary_data(surface, points, ds.class_names)
    images = data[data["kind"].isin(["surface", "discrete"])]
    assert list(images["kind"]) == ["surface", "discrete"] and images["url"].nunique() == 2
    assert (images[["x", "x2", "y", "y2"]].nunique() == 1).all()  # one extent
    for discretize in (False, True):
        shown = surface_view(data, discretize)
        kind = "discrete" if discretize else "surface"
        assert set(shown["kind"]) == {kind, "point"}
        for show_test in (True, False):
            d = spec(boundary_view(shown, ds.class_names, "relu", "ReLU", show_test=show_test, discretize=discretize))
            image, dots = only(d, "image"), only(d, "point")
            assert {"filter": f"(datum.kind === '{kind}')"} in image["transform"]
            drawn = pd.DataFrame(rows(d, image))
            assert image["encoding"]["x"]["scale"]["domain"] == [surface["x"].min(), surface["x2"].max()]
            test_filter = "((datum.kind === 'point') && (datum.split === 'train'))"
            assert ({"filter": test_filter} in dots["transform"]) is not show_test
            assert (drawn["kind"] == kind).sum() == 1
    assert "test" not in str(spec(boundary_legend(ds.class_names, show_test=False)))
    assert "test" in str(spec(boundary_legend(ds.class_names, show_test=True)))


@pytest.mark.parametrize("name", ["sigmoid", "leaky_relu", "maxout"])
def test_boundary_title_takes_the_activation_colour(moons_parts, name):
    ds, surface, points, _ = moons_parts
    d = spec(boundary_chart(surface, points, ds.class_names, name, "title"))
    assert d["title"]["color"] == activation_color(name)


# --- confusion_chart ------------------------------------------------------------------------------------


def test_confusion_chart_encodes_predicted_true_and_counts(moons_parts):
    ds, _, _, model = moons_parts
    confusion = confusion_frame(model, ds.X_test, ds.y_test, ds.class_names)
    chart = confusion_chart(confusion, "Test set")
    assert isinstance(chart, alt.LayerChart)
    d = spec(chart)
    assert d["title"] == "Test set"
    cells, text = only(d, "rect"), only(d, "text")
    for view in (cells, text):
        assert view["encoding"]["x"]["field"] == "predicted"
        assert view["encoding"]["x"]["title"] == "predicted class"
        assert view["encoding"]["y"]["field"] == "true"
        assert view["encoding"]["y"]["title"] == "true class"
    assert cells["encoding"]["color"]["field"] == "share"
    assert text["encoding"]["text"]["field"] == "count"
    drawn = rows(d, text)
    assert [(r["true"], r["predicted"], r["count"]) for r in drawn] == list(
        zip(confusion["true"], confusion["predicted"], confusion["count"], strict=True))
    assert sum(r["count"] for r in drawn) == len(ds.y_test)


# --- sending only what a chart uses ---------------------------------------------------------------------------


def test_used_columns_keeps_what_the_spec_names_and_drops_the_rest(two_seeds, one_seed):
    """A live page sends each chart only the columns its spec can read: fields, filters and tooltips."""
    for frame, band_columns in ((two_seeds, {"low", "high"}), (one_seed, set())):
        data = split_data(frame, {"train_loss": "train", "test_loss": "test"}, True)
        chart = line_chart(data, NAMES, "Loss", "loss", log=True, epochs=EPOCHS)
        spec = spec_without_data(chart)
        kept = used_columns(data, spec)
        # "seed" is read only by the divergence rule's tooltip; "layer" stays as the spec has a "layer" key (the
        # check is by name, so it may keep a column it need not, but never drops one the spec reads).
        assert set(kept.columns) == {"activation", "label", "epoch", "mean", "group", "series", "kind", "seed",
                                     "layer"} & set(data.columns) | band_columns
        assert {"metric", "seeds"}.isdisjoint(kept.columns)
        pd.testing.assert_frame_equal(kept, data[list(kept.columns)])
        # Every field the spec reads is still there.
        fields = {view["encoding"][channel]["field"] for view in views(chart.to_dict())
                  for channel in ("x", "y", "y2", "color", "detail", "strokeDash")
                  if "field" in view["encoding"].get(channel, {})}
        assert fields <= set(kept.columns)


def test_used_columns_keeps_a_column_read_only_by_a_filter():
    data = pd.DataFrame({"kind": ["a", "b"], "value": [1.0, 2.0], "unused": [0, 0]})
    chart = alt.Chart(data).mark_point().encode(y="value:Q").transform_filter(alt.datum.kind == "a")
    assert list(used_columns(data, spec_without_data(chart)).columns) == ["kind", "value"]


# --- honest edges: the accuracy axis, deep networks, regression ------------------------------------------------


def test_an_accuracy_axis_spans_0_to_1_with_chance_marked(two_seeds):
    """Noise at chance level must not look like wild swings: the axis is fixed, chance is a grey reference line
    drawn from the chart's own frame (so a live page's fresh frames carry it)."""
    data = with_reference(split_data(two_seeds, {"train_accuracy": "train", "test_accuracy": "test"}), 0.5, "chance")
    d = spec(line_chart(data, NAMES, "Accuracy", "accuracy", domain=[0, 1], epochs=EPOCHS, reference=True))
    assert only(d, "line")["encoding"]["y"]["scale"]["domain"] == [0, 1]
    reference = [view for view in views(d) if mark_type(view) == "rule"
                 and {"filter": "(datum.kind === 'reference')"} in view.get("transform", [])]
    [text] = [view for view in views(d) if mark_type(view) == "text"]
    assert len(reference) == 1 and reference[0]["encoding"]["y"]["scale"]["domain"] == [0, 1]
    assert [(r["mean"], r["group"]) for r in rows(d, reference[0]) if r["kind"] == "reference"] == [(0.5, "chance")]
    assert text["encoding"]["text"]["field"] == "group"


def test_every_live_chart_reads_only_the_frame_the_page_sends():
    """A live page sends each redraw's frame to a cached spec (render.draw): no layer may read data of its own,
    or it would be drawn from the empty frame the spec was built with (the accuracy chart once drew nothing)."""
    from pages.ui import arena_views as views_

    run = LiveRun(Experiment(epochs=EPOCHS, n_samples=100, activations=tuple(NAMES), hidden_layers=(6, 6)))
    run.step()
    band = run.bands()
    marks_ = views_.incidents(run.history())
    for present in (False, True):
        for panel in views_.main_panels(run, band, marks_, present) + views_.layer_panels(run, band, marks_):
            live = spec_without_data(panel.make(panel.data.head(0)))
            assert "datasets" not in live and "data" not in live, panel.title
            assert all("data" not in view for view in views(live)), panel.title


def test_hovering_snaps_to_the_nearest_epoch_with_every_series_in_one_tooltip(two_seeds):
    data = split_data(two_seeds, {"train_loss": "train", "test_loss": "test"}, log=True)
    d = spec(line_chart(data, NAMES, "Loss", "loss", log=True, epochs=EPOCHS, groups=("train", "test")))
    [snap] = d["params"] if "params" in d else [p for view in views(d) for p in view.get("params", [])]
    assert snap["select"]["nearest"] and snap["select"]["fields"] == ["epoch"] and snap["select"]["on"] == "pointerover"
    [rule] = [view for view in views(d) if mark_type(view) == "rule" and any(
        "pivot" in step for step in view.get("transform", []))]
    assert [step for step in rule["transform"] if "pivot" in step] == [
        {"pivot": "series", "value": "mean", "groupby": ["epoch"]}]
    fields = [t["field"] for t in rule["encoding"]["tooltip"]]
    assert fields == ["epoch"] + [f"{name} {split}" for split in ("train", "test") for name in NAMES]
    assert set(fields[1:]) <= set(data["series"])  # each tooltip field is a series the pivot makes


def test_a_deep_network_of_five_activations_gets_one_readable_map_each():
    """8 hidden layers × 5 activations: one layer × epoch map per activation, each titled in its colour, every
    layer labelled on one shared colour scale (lines for 40 layer-activation pairs could not be read)."""
    from pages.ui.training_charts import layer_heatmap

    names = ["relu", "sigmoid", "tanh", "elu", "maxout"]
    band = bands(LiveRun(Experiment(activations=tuple(names), hidden_layers=(4,) * 8, epochs=3,
                                    n_samples=100)).history())
    data = band[band["metric"] == "sparsity"]
    d = spec(layer_heatmap(data, names, "Sparsity", "fraction of zeros", epochs=3, domain=[0, 1]))
    panels = d["concat"]
    assert len(panels) == 5 and d["columns"] == 2 and d["resolve"]["scale"]["color"] == "shared"
    for panel, name in zip(panels, names, strict=True):
        assert panel["title"]["text"] == label(name) and panel["title"]["color"] == activation_color(name)
        assert panel["encoding"]["y"]["scale"]["domain"] == list(range(1, 9))  # every layer, labelled
        assert panel["encoding"]["color"]["scale"]["domain"] == [0, 1]
        assert panel["transform"] == [{"filter": f"(datum.activation === '{name}')"},  # its rows of the one dataset
                                      {"filter": {"field": "mean", "valid": True}}]
    shown = pd.DataFrame(d["datasets"][d["data"]["name"]])
    assert set(shown["activation"]) == set(names) and sorted(shown["layer"].unique()) == list(range(1, 9))
    # A live page builds the spec from no rows and sends the data alone (render.draw): the spec then keeps no data
    # of its own, so every panel draws from what is sent, and its layers come from the network.
    from pages.ui.training_charts import spec_without_data

    live = spec_without_data(layer_heatmap(data.head(0), names, "Sparsity", "fraction of zeros", epochs=3,
                                           domain=[0, 1], layers=range(1, 9)))
    assert "datasets" not in live and "data" not in live
    assert all(panel["encoding"]["y"]["scale"]["domain"] == list(range(1, 9)) for panel in live["concat"])


def test_a_1d_regression_fit_draws_each_activations_curve_over_the_data():
    from core.lab.boundary import data_frame_1d, fit_frame, parity_frame
    from pages.ui.training_charts import fit_chart, parity_chart

    sine = load_dataset("sine", n_samples=60, noise=0.1, seed=0)
    fits = pd.concat([fit_frame(MLP([1, 6, 1], activation=n, task="regression", seed=0), sine, points=50)
                      .assign(activation=n, label=label(n)) for n in NAMES], ignore_index=True)
    d = spec(fit_chart(fits, data_frame_1d(sine), NAMES, "Fit", "x", "y"))
    assert marks(d) == ["point", "line"]
    line = only(d, "line")
    assert line["encoding"]["color"]["field"] == "label" and len(rows(d, line)) == 100
    assert len(rows(d, only(d, "point"))) == 60
    parity = pd.concat([parity_frame(MLP([1, 6, 1], activation=n, task="regression", seed=0), sine)
                        .assign(activation=n, label=label(n)) for n in NAMES], ignore_index=True)
    d = spec(parity_chart(parity, NAMES, "Predicted against actual", "y"))
    assert marks(d) == ["line", "point"] and only(d, "point")["encoding"]["color"]["field"] == "label"
