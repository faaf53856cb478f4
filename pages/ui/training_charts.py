"""Pure chart builders for training histories: tidy DataFrame in, ``alt.Chart`` out.

Inputs come from ``core.history`` (``bands``: activation, metric, layer, epoch, mean, low, high,
seeds) and ``core.boundary``. Activations are coloured through the palette on every chart; the
min-max band over seeds is drawn only when there is more than one seed.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from pages.ui.palette import activation_color, color_scale

LEGEND = alt.Legend(orient="top", symbolStrokeWidth=4, labelFontSize=13, titleFontSize=13, title=None)
SPLIT_DASH = alt.Scale(domain=["train", "test"], range=[[1, 0], [6, 3]])
HEIGHT = 290
# Class colours for decision surfaces: purple and green stay apart from every activation's colour.
CLASS_COLORS = ["#7B3294", "#1B7837", "#B35806", "#2D004B", "#5AAE61", "#8C510A", "#C2A5CF", "#01665E", "#DFC27D",
                "#4D4D4D"]


def _color(names) -> alt.Color:
    return alt.Color("activation:N", scale=color_scale(names), legend=LEGEND)


def _y(title: str, log: bool, domain=None) -> alt.Y:
    scale = alt.Scale(type="log") if log else alt.Scale(domain=domain) if domain else alt.Scale(zero=False)
    return alt.Y("mean:Q", title=title, scale=scale)


def _bands_layer(base: alt.Chart, frame: pd.DataFrame, names, log: bool) -> list[alt.Chart]:
    if frame.empty or frame["seeds"].max() <= 1:
        return []
    y_scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    return [base.mark_area(opacity=0.18).encode(
        y=alt.Y("low:Q", scale=y_scale), y2="high:Q", color=_color(names), detail="series:N")]


def _diverged_rules(diverged: pd.DataFrame | None, names) -> list[alt.Chart]:
    if diverged is None or diverged.empty:
        return []
    return [alt.Chart(diverged).mark_rule(strokeDash=[2, 2], strokeWidth=2).encode(
        x="epoch:Q", color=_color(names),
        tooltip=[alt.Tooltip("activation:N"), alt.Tooltip("seed:Q"), alt.Tooltip("epoch:Q", title="diverged at")])]


def _epoch_axis(epochs: int | None) -> alt.X:
    """Epochs on x, fixed to the whole run when its length is known, so curves grow left to right."""
    scale = alt.Scale(domain=[0, epochs], nice=False) if epochs else alt.Scale()
    return alt.X("epoch:Q", title="epoch", scale=scale, axis=alt.Axis(format="d", tickMinStep=1))


def _marks(base: alt.Chart, data: pd.DataFrame, width: float) -> alt.Chart:
    """Lines, with points while there are too few epochs to draw a line."""
    few = data["epoch"].nunique() < 2 if not data.empty else True
    return base.mark_line(strokeWidth=width, point=few)


def split_lines(frame: pd.DataFrame, names, metrics: dict[str, str], title: str, y_title: str, log: bool = False,
                diverged: pd.DataFrame | None = None, domain=None, epochs: int | None = None) -> alt.LayerChart:
    """Train and test curves of one quantity (e.g. loss): colour = activation, dash = split."""
    data = frame[frame["metric"].isin(list(metrics))].assign(split=lambda d: d["metric"].map(metrics))
    data = data.assign(series=data["activation"] + " " + data["split"])
    if log:
        data = data[data["mean"] > 0]
    base = alt.Chart(data).encode(x=_epoch_axis(epochs))
    line = _marks(base, data, 2.5).encode(
        y=_y(y_title, log, domain), color=_color(names),
        strokeDash=alt.StrokeDash("split:N", scale=SPLIT_DASH, legend=alt.Legend(orient="top", title=None)),
        detail="series:N",
        tooltip=["activation:N", "split:N", "epoch:Q", alt.Tooltip("mean:Q", format=".4g", title=y_title)])
    layers = [*_bands_layer(base, data, names, log), line, *_diverged_rules(diverged, names)]
    return alt.layer(*layers).properties(title=title, height=HEIGHT)


def layer_lines(frame: pd.DataFrame, names, metric: str, title: str, y_title: str, log: bool = False,
                diverged: pd.DataFrame | None = None, domain=None, epochs: int | None = None) -> alt.LayerChart:
    """A per-layer quantity over epochs: colour = activation, dash = layer."""
    data = frame[frame["metric"] == metric].assign(layer_name=lambda d: "layer " + d["layer"].astype(str))
    data = data.assign(series=data["activation"] + " " + data["layer_name"])
    if log:
        data = data[data["mean"] > 0]
    base = alt.Chart(data).encode(x=_epoch_axis(epochs))
    line = _marks(base, data, 2).encode(
        y=_y(y_title, log, domain), color=_color(names),
        strokeDash=alt.StrokeDash("layer_name:N", title=None, legend=alt.Legend(orient="bottom", title=None)),
        detail="series:N",
        tooltip=["activation:N", alt.Tooltip("layer:Q"), "epoch:Q", alt.Tooltip("mean:Q", format=".4g", title=y_title)])
    layers = [*_bands_layer(base, data, names, log), line, *_diverged_rules(diverged, names)]
    return alt.layer(*layers).properties(title=title, height=HEIGHT)


def layer_profile(frame: pd.DataFrame, names, metric: str, title: str, y_title: str, log: bool = True,
                  x_title: str = "layer (1 = input side)") -> alt.LayerChart:
    """A per-layer quantity at the latest epoch against depth: where gradients vanish, the line falls."""
    data = frame[frame["metric"] == metric]
    if not data.empty:
        data = data[data["epoch"] == data["epoch"].max()]
    if log:
        data = data[data["mean"] > 0]
    base = alt.Chart(data).encode(x=alt.X("layer:O", title=x_title, axis=alt.Axis(labelAngle=0)))
    line = base.mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=60)).encode(
        y=_y(y_title, log), color=_color(names), detail="activation:N",
        tooltip=["activation:N", "layer:O", alt.Tooltip("mean:Q", format=".3g", title=y_title)])
    layers = [*_bands_layer(base, data.assign(series=data["activation"]), names, log), line]
    return alt.layer(*layers).properties(title=title, height=HEIGHT)


def _class_scale(class_names) -> alt.Scale:
    return alt.Scale(domain=list(class_names), range=CLASS_COLORS[: len(class_names)])


def boundary_chart(surface: pd.DataFrame, points: pd.DataFrame, class_names, activation: str, title: str,
                   size: int = 260) -> alt.LayerChart:
    """The model's decision surface with the data on top. Two classes: P(class 1) shaded from one class
    colour to the other; more: the predicted class, faded where the model is unsure."""
    x_scale = alt.Scale(domain=[float(surface["x"].min()), float(surface["x2"].max())], nice=False)
    y_scale = alt.Scale(domain=[float(surface["y"].min()), float(surface["y2"].max())], nice=False)
    cells = alt.Chart(surface).mark_rect(stroke=None)
    if len(class_names) == 2:
        cells = cells.encode(color=alt.Color("p1:Q", scale=alt.Scale(domain=[0, 0.5, 1], range=[
            CLASS_COLORS[0], "#FFFFFF", CLASS_COLORS[1]]), legend=None))
    else:
        cells = cells.encode(color=alt.Color("class:N", scale=_class_scale(class_names), legend=None),
                             opacity=alt.Opacity("confidence:Q", scale=alt.Scale(domain=[0, 1], range=[0, 0.75]),
                                                 legend=None))
    cells = cells.encode(x=alt.X("x:Q", scale=x_scale, title=None, axis=None), x2="x2:Q",
                         y=alt.Y("y:Q", scale=y_scale, title=None, axis=None), y2="y2:Q")
    dots = alt.Chart(points).mark_point(filled=True, size=28, strokeWidth=0.8, stroke="white", opacity=0.95).encode(
        x="x:Q", y="y:Q",
        color=alt.Color("class:N", scale=_class_scale(class_names), legend=alt.Legend(orient="bottom", title="class")),
        shape=alt.Shape("split:N", scale=alt.Scale(domain=["train", "test"], range=["circle", "triangle-up"]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["class:N", "split:N"])
    return alt.layer(cells, dots).properties(
        width=size, height=size,
        title=alt.TitleParams(title, color=activation_color(activation), fontSize=16, anchor="middle"))


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

