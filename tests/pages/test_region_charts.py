"""The Linear Regions page's chart builders (pages.ui.region_charts): pure functions of tidy frames."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import pytest

from pages.ui import region_charts as charts
from pages.ui.palette import NEUTRAL, activation_color
from pages.ui.presenter import chart_config, for_projector


def grid_frame(region: np.ndarray, predicted: np.ndarray, change: np.ndarray | None = None) -> pd.DataFrame:
    """A plane frame of an n x n grid (row 0 = lowest y, x fastest) from n x n arrays."""
    n = region.shape[0]
    ys, xs = np.meshgrid(np.arange(n, dtype=float), np.arange(n, dtype=float), indexing="ij")
    return pd.DataFrame({"x": xs.ravel(), "y": ys.ravel(), "x2": xs.ravel() + 1, "y2": ys.ravel() + 1,
                         "region": region.ravel(), "predicted": predicted.ravel(),
                         "change": np.zeros(n * n) if change is None else change.ravel()})


def test_region_colours_are_a_function_of_the_key_alone_and_valid_rgb():
    keys = np.array([0, 1, 2**31 - 1, 2**32 - 1, 123456789, 123456789])
    colours = charts.region_colors(keys)
    assert colours.shape == (6, 3) and (colours >= 0).all() and (colours <= 255).all()
    np.testing.assert_array_equal(colours[4], colours[5])
    np.testing.assert_array_equal(charts.region_colors(keys[:1]), colours[:1])  # whatever else is on the map
    assert len({tuple(np.round(c)) for c in charts.region_colors(np.arange(1000) * 2654435761 % 2**32)}) > 900


def test_the_region_image_draws_region_and_decision_boundaries_where_they_are():
    region = np.zeros((6, 6), dtype=np.int64)
    region[:, 3:] = 7  # two regions: columns 0-2 and 3-5
    predicted = np.zeros((6, 6), dtype=int)  # one class: no decision boundary
    image = charts.region_rgba(grid_frame(region, predicted))
    assert image.shape == (6, 6, 4) and image.dtype == np.uint8 and (image[..., 3] == 255).all()
    np.testing.assert_array_equal(image[:, 2, :3], np.tile(charts.EDGE, (6, 1)))  # the cell before the change
    assert not (image[:, 0, :3] == charts.EDGE).all()
    predicted[3:, :] = 1  # a decision boundary between rows 2 and 3, drawn two cells wide in black
    image = charts.region_rgba(grid_frame(region, predicted))[::-1]  # back to row 0 = lowest y
    assert (image[2:4, 0, :3] == 0).all() and not (image[0, 0, :3] == 0).all()


def test_the_change_image_is_white_exactly_where_the_gradient_does_not_change():
    change = np.zeros((5, 5))
    change[2, :] = [1, 10, 100, 1000, 10000]
    image = charts.change_rgba(grid_frame(np.full((5, 5), -1), np.zeros((5, 5), dtype=int), change))[::-1]
    assert (image[0, :, :3] == 255).all() and (image[4, :, :3] == 255).all()
    row = image[2, :, :3].astype(int)
    assert not (row == 255).all(axis=1).any()
    assert row[0].sum() > row[-1].sum()  # darker where the gradient changes faster


def test_map_data_is_one_png_over_the_grid_extent():
    frame = grid_frame(np.zeros((4, 4), dtype=np.int64), np.zeros((4, 4), dtype=int))
    data = charts.map_data(frame, kinked=True)
    assert len(data) == 1 and data["kind"].item() == "surface"
    assert (data["x"].item(), data["x2"].item(), data["y"].item(), data["y2"].item()) == (0, 4, 0, 4)
    assert base64.b64decode(data["url"].item().split(",")[1])[:8] == b"\x89PNG\r\n\x1a\n"
    spec = charts.plane_map(frame, "relu", True, "ReLU", 200).to_dict()
    assert spec["title"]["text"] == "ReLU" and spec["title"]["color"] == activation_color("relu")
    assert "fontSize" not in spec["title"] and spec["width"] == spec["height"] == 200  # sized by the config
    projected = for_projector(charts.plane_map(frame, "relu", True, "ReLU", 200)).to_dict()
    assert projected["config"]["title"]["fontSize"] > chart_config(False)["title"]["fontSize"]  # the projector's


def test_count_chart_colours_each_activation_by_the_palette():
    counts = pd.DataFrame({"activation": ["relu", "maxout"], "label": ["ReLU", "Maxout"], "epoch": [0, 0],
                           "regions": [25, 30]})
    spec = charts.count_chart(counts, ["relu", "maxout"], 200).to_dict()
    assert spec["encoding"]["color"]["scale"]["range"] == [activation_color("relu"), activation_color("maxout")]
    assert spec["encoding"]["x"]["scale"]["domain"] == [0, 200]


SUMMARY = pd.DataFrame({
    "stage": ["init", "init", "trained", "trained"], "depth": [1, 2, 1, 2], "width": [4, 2, 4, 2], "units": [4] * 4,
    "mean": [8.0, 5.0, 10.0, 9.0], "low": [8, 4, 9, 8], "high": [8, 6, 11, 10], "seeds": [2] * 4,
    "shallow_max": [11] * 4, "upper_bound": [11.0, 9.0, 11.0, 9.0]})


def test_sweep_data_holds_each_measured_stage_and_both_bounds():
    data = charts.sweep_data(SUMMARY, {"init": "at init", "trained": "trained"})
    assert list(dict.fromkeys(data["series"])) == ["at init", "trained", "most for one layer of 4 (Zaslavsky)",
                                                   "upper bound (Serra et al. 2018)"]
    assert data[data["series"] == "trained"]["value"].tolist() == [10.0, 9.0]
    assert data[data["series"].str.startswith("upper")]["value"].tolist() == [11.0, 9.0]
    assert data["shape"].unique().tolist() == ["1 × 4", "2 × 2"]
    maxout = charts.sweep_data(SUMMARY.assign(upper_bound=np.nan), {"init": "at init"})
    assert not maxout["series"].str.startswith("upper").any()  # no bound is stated for maxout


def test_sweep_chart_draws_measured_series_in_the_activation_colour_and_bounds_in_grey():
    data = charts.sweep_data(SUMMARY, {"init": "at init", "trained": "trained"})
    spec = charts.sweep_chart(data, "relu", 4).to_dict()
    color = spec["layer"][1]["encoding"]["color"]["scale"]
    assert color["range"] == [activation_color("relu")] * 2 + [NEUTRAL] * 2
    assert spec["layer"][1]["encoding"]["y"]["scale"]["type"] == "log"
    assert "4 hidden units" in spec["title"]["text"]
    assert spec["layer"][1]["encoding"]["color"]["legend"]["symbolOpacity"] == 1


def test_fit_data_puts_each_kink_on_the_fitted_curve():
    pieces = pd.DataFrame({"start": [-1.0, 0.0], "end": [0.0, 2.0], "slope": [0.0, 1.0], "intercept": [0.0, 0.0]})
    breakpoints = pd.DataFrame({"x": [0.0], "layer": [1], "unit": [1], "before": [0], "after": [1],
                                "slope_left": [0.0], "slope_right": [1.0], "kink": [True]})
    points = pd.DataFrame({"x": [-0.5, 1.0], "y": [0.1, 0.9], "split": ["train", "test"]})
    data = charts.fit_data(points, pieces, breakpoints)
    curve = data[data["kind"] == "curve"]
    assert curve["x"].tolist() == [-1.0, 0.0, 2.0] and curve["y"].tolist() == [0.0, 0.0, 2.0]
    kink = data[data["kind"] == "kink"]
    assert kink[["x", "y", "layer"]].values.tolist() == [[0.0, 0.0, 1]]
    spec = charts.fit_chart(data, "relu", "a title").to_dict()
    assert spec["title"]["color"] == activation_color("relu")


@pytest.mark.parametrize("make", [
    lambda: charts.count_chart(pd.DataFrame({"activation": ["relu"], "label": ["ReLU"], "epoch": [0],
                                             "regions": [3]}), ["relu"], 10),
    lambda: charts.sweep_chart(charts.sweep_data(SUMMARY, {"init": "at init"}), "relu", 4)])
def test_the_projector_version_enlarges_the_text(make):
    spec = for_projector(make()).to_dict()
    assert spec["config"]["axis"]["labelFontSize"] >= 16 and spec["config"]["legend"]["labelFontSize"] >= 16
