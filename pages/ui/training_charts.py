"""Pure chart builders for training histories: tidy DataFrame in, ``alt.Chart`` out.

Inputs come from ``core.io.history`` (``bands``: activation, metric, layer, epoch, mean, low, high,
seeds) and ``core.lab.boundary``. Activations are coloured through the palette on every chart; the
min-max band over seeds is drawn only when there is more than one seed.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from pages.ui.palette import ACTIVATION_TOOLTIP, CLASS_COLORS, NEUTRAL, activation_color, color_scale, label

LEGEND_STYLE = {"symbolStrokeWidth": 4, "title": None}
LEGEND = alt.Legend(orient="right", **LEGEND_STYLE)  # beside the plot: ten entries never run off its edge
SPLIT_DASH = alt.Scale(domain=["train", "test"], range=[[1, 0], [6, 3]])
HEIGHT = 340  # px, the whole chart: title, legend, axes and plot


def _color(names, legend: bool = True, orient: str = "right") -> alt.Color:
    """Colour by activation label through the palette; bands pass legend=False so the legend shows lines."""
    return alt.Color("label:N", scale=color_scale(names),
                     legend=alt.Legend(orient=orient, **LEGEND_STYLE) if legend else None)


def _epoch_axis(epochs: int | None) -> alt.X:
    """Epochs on x, fixed to the whole run when its length is known, so curves grow left to right."""
    scale = alt.Scale(domain=[0, epochs], nice=False) if epochs else alt.Scale()
    return alt.X("epoch:Q", title="epoch", scale=scale, axis=alt.Axis(format="d", tickMinStep=1))


# --- data for line charts: one tidy frame per chart ----------------------------------------------
# Each line chart reads a single frame: its curves (kind "curve") and, for runs that diverged, one
# row per divergence (kind "diverged") drawn as a dashed rule. One frame per chart lets the page
# keep a chart's spec and send only new data on each redraw.


def _curves(frame: pd.DataFrame, rows: np.ndarray, group: np.ndarray, log: bool,
            diverged: pd.DataFrame | None, unstable: pd.DataFrame | None = None) -> pd.DataFrame:
    """The chart's frame: ``frame``'s ``rows`` (only positive means on a log scale) with their ``group`` and
    series (activation + group), then a rule row for each divergence and each unstable run (kinds "diverged"
    and "unstable"). Built from numpy columns in one go: a live page builds it for every redraw while the engine
    waits, and pandas' per-step costs add up."""
    if log:
        rows = rows & (frame["mean"].to_numpy() > 0)
    columns = {column: frame[column].to_numpy()[rows] for column in frame.columns}
    group = group[rows]
    columns.update(group=group, series=columns["activation"].astype(object) + " " + group,
                   kind=np.full(len(group), "curve", dtype=object))
    curves = pd.DataFrame({column: pd.Series(values, dtype=object) if values.dtype == object else values
                           for column, values in columns.items()})
    rules = [marks[["activation", "label", "epoch", "seed"]].assign(kind=kind)
             for kind, marks in (("diverged", diverged), ("unstable", unstable)) if marks is not None and len(marks)]
    return pd.concat([curves, *rules], ignore_index=True) if rules else curves


def split_data(frame: pd.DataFrame, metrics: dict[str, str], log: bool = False,
               diverged: pd.DataFrame | None = None, unstable: pd.DataFrame | None = None) -> pd.DataFrame:
    """Curves of e.g. train and test loss from ``bands``: group = the split, series = activation + split."""
    metric, group = frame["metric"].to_numpy(), np.full(len(frame), None, dtype=object)
    for name, split in metrics.items():
        group[metric == name] = split
    return _curves(frame, group != None, group, log, diverged, unstable)  # noqa: E711 - elementwise, on numpy


def with_reference(data: pd.DataFrame, value: float, name: str) -> pd.DataFrame:
    """``data`` and one row (kind "reference") for a grey line at ``value`` named ``name``, drawn by ``line_chart``
    with ``reference=True``: in the chart's own frame, so a page can send fresh frames to a cached spec."""
    return pd.concat([data, pd.DataFrame({"kind": ["reference"], "mean": [value], "group": [name]})],
                     ignore_index=True)


def layer_groups(frame: pd.DataFrame, metric: str) -> tuple[str, ...]:
    """The groups ``layer_data`` makes for ``metric``: "layer 1", "layer 2"..."""
    return tuple("layer " + str(layer) for layer in sorted(frame.loc[frame["metric"] == metric, "layer"].unique()))


def layer_data(frame: pd.DataFrame, metric: str, log: bool = False, diverged: pd.DataFrame | None = None,
               unstable: pd.DataFrame | None = None) -> pd.DataFrame:
    """Curves of a per-layer metric from ``bands``: group = "layer k", series = activation + layer."""
    rows = frame["metric"].to_numpy() == metric
    group = np.array(["layer " + str(layer) for layer in frame["layer"].to_numpy()], dtype=object)
    return _curves(frame, rows, group, log, diverged, unstable)


def line_chart(data: pd.DataFrame, names, title: str, y_title: str, log: bool = False, domain=None,
               epochs: int | None = None, dash: str = "split", show_bands: bool | None = None,
               points: bool | None = None, stroke_width: float = 2.5, height: int = HEIGHT,
               start_marker: bool = False, reference: bool = False,
               legend: str = "right", groups: Sequence[str] = ()) -> alt.LayerChart:
    """Curves over epochs: colour = activation, dash = ``group`` (split or layer), a min-max band over
    seeds when there are several, a dashed rule where a run diverged and a dotted one where it became unstable.
    ``domain`` fixes the y axis (accuracy: [0, 1], so noise never looks like a swing); ``reference`` draws
    the frame's reference rows (``with_reference``: the chance level) as grey lines. ``legend`` places both
    legends (colours and dashes): "right" (any number of entries fits, and the plot keeps its height) or "top". With
    ``groups`` (e.g. train and test), hovering anywhere over the plot snaps to the nearest epoch: a vertical rule
    there, a dot on every curve, and one tooltip with every activation's value for each group at that epoch."""
    curves = data[data["kind"] == "curve"] if "kind" in data else data
    if show_bands is None:
        show_bands = not curves.empty and curves["seeds"].max() > 1
    if points is None:
        points = curves["epoch"].nunique() < 2
    scale = alt.Scale(type="log") if log else alt.Scale(domain=domain) if domain else alt.Scale(zero=False)
    dash_scale = SPLIT_DASH if dash == "split" else alt.Scale()
    base = alt.Chart().encode(x=_epoch_axis(epochs))  # the data goes on the layer, so a page can swap it
    curve = base.transform_filter(alt.datum.kind == "curve")
    layers = []
    if show_bands:
        layers.append(curve.mark_area(opacity=0.18).encode(
            y=alt.Y("low:Q", scale=scale), y2="high:Q", color=_color(names, legend=False), detail="series:N"))
    layers.append(curve.mark_line(strokeWidth=stroke_width, point=points).encode(
        y=alt.Y("mean:Q", title=y_title, scale=scale), color=_color(names, orient=legend),
        strokeDash=alt.StrokeDash("group:N", scale=dash_scale, legend=alt.Legend(orient=legend, title=None)),
        detail="series:N",
        tooltip=[ACTIVATION_TOOLTIP, alt.Tooltip("group:N", title=dash), "epoch:Q",
                 alt.Tooltip("mean:Q", format=".4g", title=y_title)]))
    if start_marker:  # a dot where each curve starts, so epoch 0 alone is visible without a data-dependent spec
        layers.append(curve.transform_filter(alt.datum.epoch == 0).mark_point(filled=True, size=45).encode(
            y=alt.Y("mean:Q", scale=scale), color=_color(names, legend=False), detail="series:N"))
    for kind, dash_pattern, what in (("diverged", [2, 2], "diverged at epoch"), ("unstable", [8, 4],
                                                                              "unstable from epoch")):
        layers.append(base.transform_filter(alt.datum.kind == kind).mark_rule(
            strokeDash=dash_pattern, strokeWidth=2).encode(
            color=_color(names, legend=False),
            tooltip=[ACTIVATION_TOOLTIP, "seed:Q", alt.Tooltip("epoch:Q", title=what)]))
    if groups:
        layers += _epoch_snap(curve, list(names), list(groups), y_title, scale)
    if reference:
        line = alt.Chart().transform_filter(alt.datum.kind == "reference")
        layers.append(line.mark_rule(color=NEUTRAL, strokeDash=[4, 4], strokeWidth=1.5).encode(
            y=alt.Y("mean:Q", scale=scale), tooltip=[alt.Tooltip("group:N", title="reference"),
                                                     alt.Tooltip("mean:Q", format=".1%", title="value")]))
        layers.append(line.mark_text(align="left", dx=4, dy=-7, color=NEUTRAL, fontSize=12).encode(
            x=alt.value(0), y=alt.Y("mean:Q", scale=scale), text="group:N"))
    return alt.layer(*layers, data=data).resolve_legend(color="independent").properties(title=title, height=height)


def _field(name: str) -> str:
    """A data field name as Vega-Lite reads it: dots and brackets escaped (they would mean nesting)."""
    for char in "\\.[]":
        name = name.replace(char, "\\" + char)
    return name


def _epoch_snap(curve: alt.Chart, names: list[str], groups: list[str], y_title: str, scale: alt.Scale) -> list:
    """The layers that make a hover snap to the nearest epoch: an invisible rule per epoch carrying one tooltip
    (every series' value there, from a pivot of the curves by series), the rule shown at the chosen epoch, and a
    dot on each curve there."""
    nearest = alt.selection_point(name="epoch_snap", nearest=True, on="pointerover", fields=["epoch"], empty=False,
                                  clear="pointerout")
    tooltip = [alt.Tooltip("epoch:Q", title="epoch")] + [
        alt.Tooltip(f"{_field(f'{name} {group}')}:Q", title=f"{label(name)}, {group}" if len(groups) > 1
                    else label(name), format=".4g")
        for group in groups for name in names]
    rule = curve.transform_pivot("series", value="mean", groupby=["epoch"]).mark_rule(
        color=NEUTRAL, strokeWidth=1.5).encode(
        opacity=alt.condition(nearest, alt.value(0.8), alt.value(0)), tooltip=tooltip).add_params(nearest)
    dots = curve.mark_point(filled=True, size=60).encode(
        y=alt.Y("mean:Q", scale=scale, title=y_title), color=_color(names, legend=False), detail="series:N",
        opacity=alt.condition(nearest, alt.value(1), alt.value(0)))
    return [rule, dots]


def split_lines(frame: pd.DataFrame, names, metrics: dict[str, str], title: str, y_title: str, log: bool = False,
                diverged: pd.DataFrame | None = None, domain=None, epochs: int | None = None,
                unstable: pd.DataFrame | None = None) -> alt.LayerChart:
    """Train and test curves of one quantity (e.g. loss): colour = activation, dash = split."""
    return line_chart(split_data(frame, metrics, log, diverged, unstable), names, title, y_title, log, domain, epochs,
                      groups=tuple(dict.fromkeys(metrics.values())))


def layer_lines(frame: pd.DataFrame, names, metric: str, title: str, y_title: str, log: bool = False,
                diverged: pd.DataFrame | None = None, domain=None, epochs: int | None = None,
                unstable: pd.DataFrame | None = None) -> alt.LayerChart:
    """A per-layer quantity over epochs: colour = activation, dash = layer."""
    return line_chart(layer_data(frame, metric, log, diverged, unstable), names, title, y_title, log, domain, epochs,
                      dash="layer", groups=layer_groups(frame, metric))


def profile_data(frame: pd.DataFrame, metric: str, log: bool = True) -> pd.DataFrame:
    """A per-layer metric at the latest epoch of ``bands``, one row per (activation, layer)."""
    data = frame[frame["metric"] == metric]
    if not data.empty:
        data = data[data["epoch"] == data["epoch"].max()]
    return data[data["mean"] > 0] if log else data


def profile_chart(data: pd.DataFrame, names, title: str, y_title: str, log: bool = True,
                  x_title: str = "layer (1 = input side)", show_bands: bool | None = None) -> alt.LayerChart:
    """A per-layer quantity against depth: where gradients vanish, the line falls towards the input."""
    if show_bands is None:
        show_bands = not data.empty and data["seeds"].max() > 1
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    base = alt.Chart(data).encode(x=alt.X("layer:O", title=x_title, axis=alt.Axis(labelAngle=0)))
    layers = []
    if show_bands:
        layers.append(base.mark_area(opacity=0.18).encode(
            y=alt.Y("low:Q", scale=scale), y2="high:Q", color=_color(names, legend=False), detail="activation:N"))
    layers.append(base.mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=60)).encode(
        y=alt.Y("mean:Q", title=y_title, scale=scale), color=_color(names), detail="activation:N",
        tooltip=[ACTIVATION_TOOLTIP, "layer:O", alt.Tooltip("mean:Q", format=".3g", title=y_title)]))
    return alt.layer(*layers).resolve_legend(color="independent").properties(title=title, height=HEIGHT)


def layer_profile(frame: pd.DataFrame, names, metric: str, title: str, y_title: str, log: bool = True,
                  x_title: str = "layer (1 = input side)") -> alt.LayerChart:
    """``profile_chart`` of ``profile_data``: the metric by layer at the latest epoch."""
    return profile_chart(profile_data(frame, metric, log), names, title, y_title, log, x_title)


def spec_without_data(chart: alt.TopLevelMixin) -> dict:
    """A chart's Vega-Lite spec with its main data taken out, to be reused with fresh frames of the same shape.

    Building and validating an Altair chart costs tens of milliseconds; a live page pays it once
    per chart and then only sends data.
    """
    spec = chart.to_dict()
    main = spec.pop("data", {}).get("name")
    datasets = {name: values for name, values in spec.pop("datasets", {}).items() if name != main}
    if datasets:  # a layer's own small data (a reference line) stays in the spec
        spec["datasets"] = datasets
    return spec


def _strings(spec, out: set[str]) -> set[str]:
    """Every string in a spec, keys and values."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            out.add(key)
            _strings(value, out)
    elif isinstance(spec, list):
        for value in spec:
            _strings(value, out)
    elif isinstance(spec, str):
        out.add(spec)
    return out


def used_columns(data: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """``data`` with only the columns ``spec`` can use: a column whose name is in none of the spec's strings
    (fields, filters, tooltips) cannot be, and need not be sent to the browser."""
    strings = _strings(spec, set())
    return data[[column for column in data.columns if any(column in text for text in strings)]]


def _class_scale(class_names) -> alt.Scale:
    return alt.Scale(domain=list(class_names), range=CLASS_COLORS[: len(class_names)])


SURFACE_MAX_ALPHA = 0.75  # several classes: the predicted class's colour at full confidence, over white
SURFACE_WHITE = 0.35  # two classes: share of white in the surface at full certainty, so the dots stand out


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[k:k + 2], 16) for k in (1, 3, 5)], dtype=float)


def diverging_rgb(t: np.ndarray, low: str, high: str, white_share: float = 0.0) -> np.ndarray:
    """Colours (n, 3) as floats for values ``t`` in [0, 1]: ``low``'s colour at 0 through white at 0.5 to ``high``'s at
    1, both ends mixed with ``white_share`` of white."""
    t = np.asarray(t, dtype=float).reshape(-1, 1)
    white = np.full(3, 255.0)
    low_rgb, high_rgb = (_rgb(c) + (white - _rgb(c)) * white_share for c in (low, high))
    return np.where(t < 0.5, low_rgb + (white - low_rgb) * (2 * t), white + (high_rgb - white) * (2 * t - 1))


def surface_rgba(surface: pd.DataFrame, class_names, discretize: bool = False) -> np.ndarray:
    """The decision surface as an image, (rows, columns, RGBA) uint8, top row = largest y.

    Two classes: P(class 1) from a light tint of class 0's dot colour (SURFACE_WHITE of white) through white
    (0.5) to the same tint of class 1's.
    More: the predicted class's colour, its opacity the model's confidence (up to SURFACE_MAX_ALPHA).
    ``discretize`` (TensorFlow Playground's "discretize output"): every cell the colour its predicted class has at
    full certainty (the tint of two classes, the opacity SURFACE_MAX_ALPHA of more), whatever the probability.
    ``surface`` is ``core.lab.boundary.decision_surface`` output (a square grid, x varying fastest).
    """
    n = int(round(np.sqrt(len(surface))))
    if n * n != len(surface) or n < 2:
        raise ValueError("A decision surface must be a square grid of at least 2 x 2 cells.")
    names = list(class_names)
    if len(names) == 2:
        p1 = surface["p1"].to_numpy(dtype=float)
        if discretize:  # the predicted class at full certainty: the argmax is class 1 exactly where p1 > 0.5
            p1 = (p1 > 0.5).astype(float)
        rgb = diverging_rgb(p1, *CLASS_COLORS[:2], white_share=SURFACE_WHITE)
        alpha = np.full((len(surface), 1), 255.0)
    else:
        palette = np.array([_rgb(CLASS_COLORS[k % len(CLASS_COLORS)]) for k in range(len(names))])
        index = pd.Categorical(surface["class"], categories=names).codes
        rgb = palette[index]
        confidence = 1.0 if discretize else surface["confidence"].to_numpy(dtype=float)[:, None]
        alpha = np.broadcast_to(255 * SURFACE_MAX_ALPHA * confidence, (len(surface), 1))
    pixels = np.clip(np.rint(np.hstack([rgb, alpha])), 0, 255).astype(np.uint8)
    return pixels.reshape(n, n, 4)[::-1]  # grid rows go up in y; image rows go down


def png_data_uri(rgba: np.ndarray) -> str:
    """An RGBA uint8 image as a ``data:image/png`` URI (zlib and the PNG chunk layout, no imaging library)."""
    height, width, _ = rgba.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = np.hstack([np.zeros((height, 1), np.uint8), np.ascontiguousarray(rgba, np.uint8).reshape(height, -1)])
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def boundary_data(surface: pd.DataFrame, points: pd.DataFrame, class_names,
                  hover: pd.DataFrame | None = None) -> pd.DataFrame:
    """One frame for a decision-surface chart: the surface as two images of the same extent (kind "surface",
    shaded by probability, and kind "discrete", by predicted class: ``surface_rgba``; each a PNG data URI), the data
    points (kind "point") and, for hovering, a coarse grid of cells (kind "hover": each cell's predicted class and
    its probability). One image instead of a rectangle per cell keeps a redraw cheap for the browser, and the
    browser's smoothing between cells leaves no seams. Both images are in the frame, so switching between them
    (``surface_view``) is a matter of the view, not of the model."""
    extent = {"x": surface["x"].min(), "x2": surface["x2"].max(), "y": surface["y"].min(), "y2": surface["y2"].max()}
    image = pd.DataFrame([{**extent, "url": png_data_uri(surface_rgba(surface, class_names, discretize)), "kind": kind}
                          for kind, discretize in (("surface", False), ("discrete", True))])
    parts = [image, points.assign(kind="point")]
    if hover is not None:
        parts.append(hover[["x", "x2", "y", "y2", "class", "confidence"]].assign(kind="hover"))
    return pd.concat(parts, ignore_index=True)


def boundary_chart(surface: pd.DataFrame, points: pd.DataFrame, class_names, activation: str, title: str,
                   size: int = 260, legend: bool = True) -> alt.LayerChart:
    """The model's decision surface with the data on top. Two classes: P(class 1) shaded from one class
    colour to the other; more: the predicted class, faded where the model is unsure."""
    return boundary_view(boundary_data(surface, points, class_names), class_names, activation, title, size, legend,
                         domain=(surface["x"].min(), surface["x2"].max(), surface["y"].min(), surface["y2"].max()))


def _split_shape(legend: bool) -> alt.Shape:
    return alt.Shape("split:N", scale=alt.Scale(domain=["train", "test"], range=["circle", "triangle-up"]),
                     legend=alt.Legend(orient="top", title=None, symbolSize=90, symbolFillColor="#666666",
                                       symbolStrokeWidth=0) if legend else None)


def surface_view(data: pd.DataFrame, discretize: bool) -> pd.DataFrame:
    """A ``boundary_data`` frame without the image ``boundary_view`` will not draw: less for the browser."""
    return data[data["kind"].to_numpy() != ("surface" if discretize else "discrete")]


def boundary_view(data: pd.DataFrame, class_names, activation: str, title: str, size: int = 260,
                  legend: bool = True, domain: tuple[float, float, float, float] | None = None,
                  axis_titles: tuple[str, str] | None = None, show_test: bool = True,
                  discretize: bool = False) -> alt.LayerChart:
    """``boundary_chart`` from the one frame of ``boundary_data``; ``domain`` = (x0, x1, y0, y1) of the grid.
    ``axis_titles`` names the two features on the axes; hovering a cell shows its predicted class and probability;
    ``show_test=False`` leaves the test points out (TensorFlow Playground's "show test data"); ``discretize`` draws
    the surface by predicted class at full strength instead of by probability ("discretize output")."""
    if domain is None:
        images = data[data["kind"].isin(("surface", "discrete"))]
        domain = (images["x"].min(), images["x2"].max(), images["y"].min(), images["y2"].max())
    x0, x1, y0, y1 = (float(v) for v in domain)
    x_scale = alt.Scale(domain=[x0, x1], nice=False)
    y_scale = alt.Scale(domain=[y0, y1], nice=False)
    x_title, y_title = axis_titles or (None, None)
    axis = {"tickCount": 4, "grid": False}
    base = alt.Chart(data)
    image = "discrete" if discretize else "surface"
    surface = base.transform_filter(alt.datum.kind == image).mark_image(aspect=False).encode(
        x=alt.X("x:Q", scale=x_scale, title=x_title, axis=alt.Axis(**axis) if axis_titles else None), x2="x2:Q",
        y=alt.Y("y:Q", scale=y_scale, title=y_title, axis=alt.Axis(**axis) if axis_titles else None), y2="y2:Q",
        url="url:N")
    hover = base.transform_filter(alt.datum.kind == "hover").mark_rect(opacity=0).encode(
        x="x:Q", x2="x2:Q", y="y:Q", y2="y2:Q",
        tooltip=[alt.Tooltip("class:N", title="predicted class"),
                 alt.Tooltip("confidence:Q", format=".0%", title="its probability")])
    points = alt.datum.kind == "point" if show_test else (alt.datum.kind == "point") & (alt.datum.split == "train")
    dots = base.transform_filter(points).mark_point(
        filled=True, size=28, strokeWidth=0.8, stroke="white", opacity=0.95).encode(
        x="x:Q", y="y:Q",
        color=alt.Color("class:N", scale=_class_scale(class_names),
                        legend=alt.Legend(orient="top", title=None, symbolSize=90)
                        if legend else None),
        shape=_split_shape(legend), tooltip=["class:N", "split:N"])
    # "pad" keeps the plot square: Streamlit's default autosize would squeeze it to make room for the legend.
    return alt.layer(surface, hover, dots).properties(
        width=size, height=size, autosize=alt.AutoSizeParams(type="pad"),
        title=alt.TitleParams(title, color=activation_color(activation), anchor="middle"))


LEGEND_ITEM_WIDTH = 120  # px per entry of ``boundary_legend``


def boundary_legend(class_names, show_test: bool = True, vertical: bool = False, points: bool = True
                    ) -> alt.LayerChart:
    """The classes' colours and the train/test shapes once, for a whole row of decision surfaces: drawn symbols
    and labels in a row (or a column, ``vertical``) — a chart of its own, so it stands whatever the surfaces' sizes.
    ``points=False``: the classes only (a surface with no data points on it)."""
    items = [(str(c), "class", c, "circle") for c in class_names]
    if points:
        items += [("train", "split", None, "circle")] + ([("test", "split", None, "triangle-up")] if show_test else [])
    frame = pd.DataFrame({"text": [t for t, *_ in items], "kind": [k for _, k, *_ in items],
                          "class": [c for _, _, c, _ in items], "shape": [s for *_, s in items],
                          "slot": range(len(items))})
    slot = alt.Scale(domain=[-0.6, len(items) - 0.4], reverse=vertical)  # first item on top
    position = ({"y": alt.Y("slot:Q", axis=None, scale=slot), "x": alt.value(10)} if vertical else
                {"x": alt.X("slot:Q", axis=None, scale=slot), "y": alt.value(12)})
    base = alt.Chart(frame).encode(**position)
    classes = base.transform_filter(alt.datum.kind == "class").mark_point(filled=True, size=130, opacity=1).encode(
        color=alt.Color("class:N", scale=_class_scale(class_names), legend=None),
        shape=alt.Shape("shape:N", scale=None))
    splits = base.transform_filter(alt.datum.kind == "split").mark_point(
        filled=True, size=130, opacity=1, color="#666666").encode(shape=alt.Shape("shape:N", scale=None))
    texts = base.mark_text(align="left", dx=10, fontSize=14, color="#31333F").encode(text="text:N")
    size = ({"width": 24 + 8 * max(len(text) for text, *_ in items), "height": 28 * len(items)} if vertical else
            {"width": LEGEND_ITEM_WIDTH * len(items), "height": 24})
    return alt.layer(classes, splits, texts).properties(**size).configure_view(stroke=None)


def confusion_chart(confusion: pd.DataFrame, title: str) -> alt.LayerChart:
    """True class (rows) against predicted class (columns), shaded by each true class's share."""
    base = alt.Chart(confusion).encode(
        x=alt.X("predicted:N", title="predicted class", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("true:N", title="true class"))
    cells = base.mark_rect().encode(
        color=alt.Color("share:Q", scale=alt.Scale(scheme="greys", domain=[0, 1]), legend=None),
        tooltip=["true:N", "predicted:N", "count:Q", alt.Tooltip("share:Q", format=".0%")])
    text = base.mark_text(fontSize=14).encode(
        text="count:Q", color=alt.condition(alt.datum.share > 0.5, alt.value("white"), alt.value("black")))
    return alt.layer(cells, text).properties(title=title, height=alt.Step(36), width=alt.Step(48))



# --- deep networks: a layer × epoch map per activation -------------------------------------------------------

HEATMAP_PANEL_WIDTH = 215  # two panels and their axes fit half of a 1280 px or 1600 px page
HEATMAP_PANELS_PER_ROW = 2


def layer_heatmap(data: pd.DataFrame, names, title: str, value_title: str, log: bool = False,
                  epochs: int | None = None, domain=None, layers: Sequence[int] | None = None,
                  layer_title: str = "hidden layer") -> alt.ConcatChart:
    """A per-layer metric over training as one small map per activation: layer (rows, every one labelled, named
    ``layer_title``: a hidden layer, or a weight matrix for gradient norms) by epoch (columns), colour = the metric
    (mean over seeds), on one shared colour scale. With more than three layers, lines per layer and activation
    tangle; a map keeps every layer readable.

    ``data``: ``bands`` rows of one metric (activation, label, layer, epoch, mean). ``layers``: the rows to draw, 1
    to the network's depth (a live page builds the spec before the data comes: ``render.draw``); by default the
    data's. Values a log scale cannot show (0, and non-finite ones) are left out in the chart itself, so rows sent
    later are filtered too."""
    keep = alt.FieldGTPredicate(field="mean", gt=0) if log else alt.FieldValidPredicate(field="mean", valid=True)
    # A log colour scale fails in the browser while a live chart has no rows yet (its domain is empty): the colour is
    # log10 of the value on a linear scale instead, said so in the legend; the tooltip gives the value itself.
    shade, shade_title = ("log10", f"log₁₀ {value_title.removesuffix(' (log)')}") if log else ("mean", value_title)
    scale = alt.Scale(scheme="viridis", **({"domain": domain} if domain else {}))
    layers = [int(v) for v in layers] if layers is not None else sorted(int(v) for v in data["layer"].unique()) or [1]
    last = epochs if epochs else int(data["epoch"].max()) if len(data) else 1
    ticks = sorted({0, *range(0, last + 1, max(1, round(last / 4))), last})
    panels = []
    for name in names:  # one dataset for all (a live page sends it alone: render.draw), filtered per panel
        rows = alt.Chart().transform_filter(alt.datum.activation == name).transform_filter(keep)
        if log:
            rows = rows.transform_calculate(log10="log(datum.mean) / LN10")
        panels.append(rows.mark_rect().encode(
            x=alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[0, last], nice=False),
                    bin=alt.Bin(extent=[0, last + 1], step=-(-(last + 1) // 60)),  # whole epochs from the start
                    axis=alt.Axis(values=ticks, format="d")),
            y=alt.Y("layer:O", title=layer_title, scale=alt.Scale(domain=layers),
                    axis=alt.Axis(labelAngle=0, labelOverlap=False)),  # every layer labelled, none dropped
            color=alt.Color(f"{shade}:Q", title=shade_title, scale=scale,
                            legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=220)),
            tooltip=[ACTIVATION_TOOLTIP, alt.Tooltip("layer:O", title=layer_title), "epoch:Q",
                     alt.Tooltip("mean:Q", format=".3g", title=value_title)],
        ).properties(width=HEATMAP_PANEL_WIDTH, height=int(min(max(18 * len(layers), 90), 240)),
                     title=alt.TitleParams(label(name), color=activation_color(name), anchor="start")))
    return alt.concat(*panels, columns=HEATMAP_PANELS_PER_ROW, data=data).resolve_scale(color="shared").properties(
        title=alt.TitleParams(title, anchor="start"))


# --- regression: what the network predicts --------------------------------------------------------------------


def fit_chart(fits: pd.DataFrame, points: pd.DataFrame, names, title: str, x_title: str, y_title: str,
              height: int = HEIGHT) -> alt.LayerChart:
    """A 1-D regression: the data as grey dots, each activation's fitted curve in its colour (ReLU's is visibly
    piecewise linear). ``fits``: activation, label, x, prediction; ``points``: x, y, split."""
    dots = alt.Chart(points).mark_point(filled=True, size=22, opacity=0.45, color=NEUTRAL).encode(
        x=alt.X("x:Q", title=x_title), y=alt.Y("y:Q", title=y_title),
        shape=alt.Shape("split:N", scale=alt.Scale(domain=["train", "test"], range=["circle", "triangle-up"]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["split:N", alt.Tooltip("x:Q", format=".3g"), alt.Tooltip("y:Q", format=".3g")])
    curves = alt.Chart(fits).mark_line(strokeWidth=3).encode(
        x="x:Q", y="prediction:Q", color=_color(names), detail="activation:N",
        tooltip=[ACTIVATION_TOOLTIP, alt.Tooltip("x:Q", format=".3g"),
                 alt.Tooltip("prediction:Q", format=".3g", title="prediction")])
    return alt.layer(dots, curves).resolve_legend(color="independent").properties(title=title, height=height)


def parity_chart(parity: pd.DataFrame, names, title: str, y_title: str, height: int = HEIGHT) -> alt.LayerChart:
    """Any regression: each activation's test predictions against the truth; the grey diagonal is perfect.
    ``parity``: activation, label, actual, predicted."""
    values = parity[["actual", "predicted"]].to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    diagonal = alt.Chart(pd.DataFrame({"actual": [low, high], "predicted": [low, high]})).mark_line(
        color=NEUTRAL, strokeDash=[4, 4]).encode(x="actual:Q", y="predicted:Q")
    dots = alt.Chart(parity).mark_point(filled=True, size=30, opacity=0.7).encode(
        x=alt.X("actual:Q", title=f"actual {y_title}"), y=alt.Y("predicted:Q", title=f"predicted {y_title}"),
        color=_color(names), tooltip=[ACTIVATION_TOOLTIP, alt.Tooltip("actual:Q", format=".3g"),
                                      alt.Tooltip("predicted:Q", format=".3g")])
    return alt.layer(diagonal, dots).resolve_legend(color="independent").properties(title=title, height=height)
