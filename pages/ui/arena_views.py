"""The Arena's views: live charts, decision surfaces, summary, and share & export.

Each function draws one part of the page from a ``LiveRun``; the maths stays in core/. The charts are
built as ``Panel``s, so the page draws them and the HTML report embeds the very same charts.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from urllib.parse import urlencode

import altair as alt
import pandas as pd
import streamlit as st

from core.engine.live import LiveRun
from core.io.config import config_json
from core.io.history import divergences, thin
from core.io.history_csv import history_csv
from core.io.report import report_html, report_markdown
from core.io.weights import check_exportable, weights_json, weights_npz
from core.lab.boundary import (
    chance_accuracy,
    confusion_frame,
    data_frame_1d,
    decision_surface,
    fit_frame,
    parity_frame,
    points_frame,
)
from core.lab.convergence import instabilities
from core.lab.summary import column_help, display_table, summary, target_of
from core.settings import UPLOAD
from pages.ui import training_charts as charts
from pages.ui.network_view import network_view
from pages.ui.notices import divergence_notices, instability_notices
from pages.ui.palette import label
from pages.ui.presenter import CHART_HEIGHT, LINE_WIDTH, projected
from pages.ui.render import draw, show
from pages.ui.session import epoch_counter

# Seconds between redraws of the per-layer charts and decision surfaces while playing. Seven charts at once cost
# the browser about as much as two redraws of the curves; every 2 s (against 1 s) the default experiment played
# to its end at 1.4x the engine's time instead of 1.8x, with the browser on its own CPU (tests/perf_arena.py).
DETAILS_EVERY = 2.0
BOUNDARY_RESOLUTION = 80  # cells per axis: each surface is one small image, cheap to send and to redraw
PLAYING_EPOCHS = 60  # epochs a curve keeps while playing (core.io.history.thin): less for the browser to redraw
PAUSED_EPOCHS = 300  # ... and once paused or finished, on the page and in the HTML report
REPORT_DIGITS = 4  # significant digits of the report's chart data, as its tables show numbers
REPORT_CHART_WIDTH = 640  # px: on the page a curve fills its column; in the report it gets a fixed width
REPORT_BOUNDARY_SIZE = 260
HOVER_RESOLUTION = 20  # cells per axis of the invisible grid that answers a hover with class and probability
MAX_BOUNDARIES_PER_ROW = 6


def boundary_size(count: int, present: bool) -> int:
    """Pixels per side of each decision surface, so that ``count`` of them fit one row: at 1280 px in presenter
    mode (sidebar closed) and at 1600 px with the sidebar open."""
    room = 1000 if present else 1080  # presenting, the legend takes a column of the row
    return int(max(110, min(170 if present else 250, room / min(count, MAX_BOUNDARIES_PER_ROW) - 60)))


@dataclass(frozen=True, eq=False)
class Panel:
    """One chart: its spec-cache key for ``render.draw``, its title, its data and the builder that makes the
    chart from data. The page draws panels; the HTML report embeds the same ones as Vega-Lite specs."""

    key: Hashable
    title: str
    data: pd.DataFrame
    make: Callable[[pd.DataFrame], alt.TopLevelMixin]
    width: str = "stretch"  # as render.draw: "stretch" fills the column, "content" keeps the chart's own size

    def draw(self, container) -> None:
        draw(container, self.key, self.data, self.make, width=self.width)


@dataclass(frozen=True)
class Style:
    """What a chart's spec depends on besides its data (so cached specs are keyed on it)."""

    names: tuple[str, ...]
    epochs: int
    several_seeds: bool
    present: bool

    def lines(self, chart_id: str, data: pd.DataFrame, title: str, y_title: str, groups: tuple[str, ...],
              log: bool = False, domain=None, dash: str = "split",
              reference: bool = False) -> Panel:
        """Curves over epochs; ``groups`` are the dashes' groups (the hover's tooltip lists each)."""
        return Panel((chart_id, self, reference, groups), title, data, lambda d: charts.line_chart(
            d, list(self.names), title, y_title, log, domain, self.epochs, dash, self.several_seeds, False,
            LINE_WIDTH[self.present], CHART_HEIGHT[self.present], start_marker=True, reference=reference,
            groups=groups))


@dataclass(frozen=True)
class Incidents:
    """Runs that went wrong so far: diverged (no longer finite) and unstable (loss far above its start)."""

    diverged: pd.DataFrame
    unstable: pd.DataFrame


def incidents(history: pd.DataFrame) -> Incidents:
    return Incidents(divergences(history), instabilities(history))


def _style(run: LiveRun, present: bool) -> Style:
    experiment = run.experiment
    return Style(experiment.activations, run.epochs, experiment.seeds > 1, present)


DEEP = 3  # above this many hidden layers, per-layer lines become one layer × epoch map per activation


def main_panels(run: LiveRun, band: pd.DataFrame, marks: Incidents, present: bool) -> list[Panel]:
    """Loss, and accuracy for a classifier (on a fixed 0–1 axis, chance level marked): train and test, from the
    run's (thinned) ``bands``."""
    is_classifier = run.dataset.task == "classification"
    style = _style(run, present)
    splits = ("train", "test")
    panels = [style.lines("loss", charts.split_data(band, {"train_loss": "train", "test_loss": "test"}, True,
                                                    marks.diverged, marks.unstable),
                          "Loss (cross-entropy)" if is_classifier else "Loss (½ MSE)", "loss", splits, log=True)]
    if is_classifier:
        accuracy = charts.split_data(band, {"train_accuracy": "train", "test_accuracy": "test"}, False,
                                     marks.diverged, marks.unstable)
        panels.append(style.lines("accuracy", charts.with_reference(accuracy, chance_accuracy(run.dataset), "chance"),
                                  "Accuracy", "accuracy", splits, domain=[0, 1], reference=True))
    return panels


def main_charts(run: LiveRun, band: pd.DataFrame, marks: Incidents, present: bool, left, right) -> None:
    """Loss and accuracy, train and test, in two placeholders side by side (a regression: its fit, on the right,
    in the details below)."""
    loss, *accuracy = main_panels(run, band, marks, present)
    loss.draw(left)
    if accuracy:
        accuracy[0].draw(right)
    else:
        right.info("A regression has no accuracy: its fit is drawn below, and the summary gives R² and RMSE.",
                   icon=":material/show_chart:")


def _layer_panel(style: Style, chart_id: str, band: pd.DataFrame, metric: str, title: str, value_title: str,
                 marks: Incidents, log: bool, layers: int) -> Panel:
    """A per-layer metric over training: lines per layer and activation, or (more than ``DEEP`` hidden layers) a
    map per activation with every one of the ``layers`` labelled."""
    if layers <= DEEP:
        return style.lines(chart_id, charts.layer_data(band, metric, log, marks.diverged, marks.unstable), title,
                           value_title, charts.layer_groups(band, metric), log=log, domain=None if log else [0, 1],
                           dash="layer")
    data = band[band["metric"] == metric][["activation", "label", "layer", "epoch", "mean"]]
    matrices = metric == "grad_norm"  # a gradient norm per weight matrix: one more than the hidden layers
    rows, row_title = (range(1, layers + 2), "weight matrix") if matrices else (range(1, layers + 1), "hidden layer")
    return Panel((chart_id, "map", style, layers), title, data, lambda d: charts.layer_heatmap(
        d, list(style.names), title, value_title, log, style.epochs, None if log else [0, 1], rows, row_title),
        width="content")


def layer_panels(run: LiveRun, band: pd.DataFrame, marks: Incidents) -> list[Panel]:
    """Per-layer gradient norms (now, and over training), sparsity and dead units, from the run's ``bands``."""
    style = _style(run, present=False)
    layers = len(run.experiment.hidden_layers)
    profile_title = "Gradient norm by layer, now"
    return [
        Panel(("grad_profile", style), profile_title, charts.profile_data(band, "grad_norm"),
              lambda d: charts.profile_chart(d, list(style.names), profile_title, "‖∂L/∂W‖ (log)",
                                             x_title="weight matrix (1 = input side)",
                                             show_bands=style.several_seeds)),
        _layer_panel(style, "grad_time", band, "grad_norm", "Gradient norm per layer over training",
                     "‖∂L/∂W‖ (log)", marks, True, layers),
        _layer_panel(style, "sparsity", band, "sparsity", "Sparsity: share of exact zeros", "fraction of zeros",
                     marks, False, layers),
        _layer_panel(style, "dead", band, "dead_fraction", "Dead units: 0 for every training sample",
                     "fraction of units", marks, False, layers)]


def layer_charts(run: LiveRun, band: pd.DataFrame, marks: Incidents) -> None:
    """Per-layer gradient norms (now, and over training), sparsity and dead units, two by two."""
    panels = layer_panels(run, band, marks)
    for row in (panels[:2], panels[2:]):
        for column, panel in zip(st.columns(2), row, strict=True):
            panel.draw(column)


def has_boundaries(run: LiveRun) -> bool:
    return run.dataset.is_2d and run.dataset.task == "classification"


def boundary_frames(run: LiveRun, resolution: int) -> list[pd.DataFrame]:
    """One ``boundary_data`` frame per activation: its first seed's decision surface under the data points."""
    dataset = run.dataset
    points = points_frame(dataset)
    frames = []
    for name in run.experiment.activations:
        model = run.model(run.experiment.first_run(name))
        surface = decision_surface(model, dataset.X_train, resolution, dataset.class_names)
        hover = decision_surface(model, dataset.X_train, HOVER_RESOLUTION, dataset.class_names)
        frames.append(charts.boundary_data(surface, points, dataset.class_names, hover))
    return frames


def boundary_panels(run: LiveRun, frames: list[pd.DataFrame], size: int, legend: bool = False) -> list[Panel]:
    """The decision-surface charts of ``boundary_frames``, all on the first frame's grid, their axes named after
    the two (standardised) features; ``legend`` on each (a report's charts stand alone; the page draws one legend
    for the row)."""
    class_names, features = run.dataset.class_names, run.dataset.feature_names
    show_test, discretize = run.experiment.show_test, run.experiment.discretize  # the view-only settings
    x_lo, y_lo = frames[0][["x", "y"]].min()
    x_hi, y_hi = frames[0][["x2", "y2"]].max()
    domain = (x_lo, x_hi, y_lo, y_hi)
    axes = tuple(features[:2])  # standardised: said once under the row (decision_boundaries)
    return [Panel(("boundary", name, legend, size, tuple(class_names), domain, axes, show_test, discretize),
                  f"Decision boundary: {label(name)}", charts.surface_view(frame, discretize),
                  lambda d, name=name: charts.boundary_view(d, class_names, name, label(name), size, legend=legend,
                                                            domain=domain, axis_titles=axes, show_test=show_test,
                                                            discretize=discretize), width="content")
            for name, frame in zip(run.experiment.activations, frames, strict=True)]


@dataclass(frozen=True, eq=False)
class Details:
    """What the per-layer charts and the pictures of the fit show: the run's thinned bands, its incidents, its
    decision-surface frames (2-D classification) or fit frames (regression), all at one epoch."""

    run: LiveRun
    epoch: int
    band: pd.DataFrame
    marks: Incidents
    boundaries: list[pd.DataFrame] | None  # None when the data has no 2-D decision surface
    fits: pd.DataFrame | None  # a regression's fitted curves (1 input) or predictions against the truth
    at: float  # time.monotonic() when taken, or when play began (see details)
    playing: bool


def details(run: LiveRun, key: str, playing: bool) -> Details:
    """The run's ``Details`` for the page, kept in session state under ``key``.

    While paused they are always current. While playing they are retaken at most every ``DETAILS_EVERY``
    seconds (the detail fragment's timer; half of it is enough, as timers drift): when play starts, the ones
    on screen stay up for the first interval, so pressing Play costs no extra redraw. Only taking them holds
    the engine still (``LiveRun.frozen``): drawing the ones on screen again lets it train on."""
    cached: Details | None = st.session_state.get(key)
    now = time.monotonic()
    if cached is not None and cached.run is run:
        if playing and not cached.playing:
            cached = st.session_state[key] = dataclasses.replace(cached, at=now, playing=True)
        current = cached.epoch == run.epoch and cached.playing == playing  # (curves are thinned harder in play)
        due = not playing or now - cached.at >= DETAILS_EVERY / 2
        if current or not due:
            return cached
    with run.frozen():  # one epoch for every chart; drawing from the snapshot then needs no lock
        band = thin(run.bands(), PLAYING_EPOCHS if playing else PAUSED_EPOCHS)
        cached = st.session_state[key] = Details(
            run, run.epoch, band, incidents(run.history()),
            boundary_frames(run, BOUNDARY_RESOLUTION) if has_boundaries(run) else None, fit_frames(run), now,
            playing)
    return cached


def fit_frames(run: LiveRun) -> pd.DataFrame | None:
    """A regression's picture, each activation's first seed: its fitted curve over one input, or its test
    predictions against the truth. None for a classifier."""
    dataset = run.dataset
    if dataset.task != "regression":
        return None
    make = fit_frame if dataset.n_features == 1 else parity_frame
    frames = [make(run.model(run.experiment.first_run(name)), dataset).assign(activation=name, label=label(name))
              for name in run.experiment.activations]
    return pd.concat(frames, ignore_index=True)


def fit_panels(run: LiveRun, fits: pd.DataFrame, present: bool) -> list[Panel]:
    """The regression's picture as a panel: the fitted curves over the data, or predicted against actual."""
    dataset, names = run.dataset, list(run.experiment.activations)
    target = dataset.target_name
    height = CHART_HEIGHT[present]
    if dataset.n_features == 1:
        points = data_frame_1d(dataset)
        title = "Fitted curve of each activation (first seed) over the data"
        return [Panel(("fit", tuple(names), present), title, fits, lambda d: charts.fit_chart(
            d, points, names, title, dataset.feature_names[0], target, height))]
    title = f"Test set: predicted against actual {target} (first seed)"
    return [Panel(("parity", tuple(names), present), title, fits,
                  lambda d: charts.parity_chart(d, names, title, target, height))]


def regression_fit(run: LiveRun, shown: Details, present: bool) -> None:
    if shown.fits is None:
        return
    st.subheader("The fit", help="Each activation's first seed, in the target's own units.")
    for panel in fit_panels(run, shown.fits, present):
        panel.draw(st.container())


def decision_boundaries(run: LiveRun, shown: Details, present: bool = False) -> None:
    """Decision surfaces for 2-D classification from the live weights (each activation's first seed): one row of
    up to six, under one legend for the classes and the train/test shapes."""
    if shown.boundaries is None:
        return
    names = run.experiment.activations
    if not present:
        st.subheader("Decision boundaries", help="First seed of each activation, over the two features standardised "
                                                 "on the training set (mean 0, standard deviation 1). Hover over a "
                                                 "surface for the predicted class and its probability there.")
    panels = boundary_panels(run, shown.boundaries, boundary_size(len(names), present))
    per_row = min(len(panels), MAX_BOUNDARIES_PER_ROW)
    if present:  # the legend beside the row: the room needs the height
        *columns, key = st.columns([1] * per_row + [0.7], vertical_alignment="center")
        show(key, charts.boundary_legend(run.dataset.class_names, run.experiment.show_test, vertical=True),
             width="content")
    else:
        show(st, charts.boundary_legend(run.dataset.class_names, run.experiment.show_test), width="content")
        columns = st.columns(per_row)
    for i, panel in enumerate(panels):
        panel.draw(columns[i % len(columns)])


def summary_frame(run: LiveRun) -> pd.DataFrame:
    """The run's summary (``core.lab.summary``), every run measured against the experiment's one target."""
    return summary(run.history(), run.dataset)


def summary_table(run: LiveRun) -> pd.DataFrame:
    """The summary as a table people read, each column's definition in its header's tooltip, and the target
    every run is measured against said in words. Returns the table shown (the reports print the same)."""
    table = summary_frame(run)
    shown = display_table(table)
    help_text = column_help(shown)
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={column: st.column_config.TextColumn(column, help=help_text.get(column))
                                for column in shown.columns})
    target = target_of(table)
    if target is not None:
        st.caption(f"Every run is measured against one target, {target.text}: the most demanding round value that "
                   "at least half of the runs reach. Hover over a column's name for its definition.")
    return shown


def confusion(run: LiveRun, key: str) -> None:
    if run.dataset.task != "classification":
        return
    names = list(run.experiment.activations)
    chosen = st.selectbox("Confusion matrix for", names, format_func=label, key=key)
    frame = confusion_frame(run.model(run.experiment.first_run(chosen)), run.dataset.X_test, run.dataset.y_test,
                            run.dataset.class_names)
    show(st, charts.confusion_chart(frame, f"{label(chosen)}, seed {run.experiment.first_seed}, test set"))


def _report_spec(panel: Panel) -> dict:
    """A panel's chart as a compact spec for a file, built as the live page builds it (``render.draw``: the
    spec from empty data, the data at its top level, only the columns it names), with a fixed width for charts
    that fill a column on the page, and numbers to ``REPORT_DIGITS`` significant digits."""
    chart = projected(panel.make(panel.data.head(0)), present=False)  # the page's text sizes
    spec = charts.spec_without_data(chart.properties(width=REPORT_CHART_WIDTH) if panel.width == "stretch" else chart)
    data = charts.used_columns(panel.data, spec)
    columns = list(data.columns)
    values = {column: [_json_value(v) for v in data[column].astype(object)] for column in columns}
    spec["data"] = {"values": [dict(zip(columns, row, strict=True)) for row in zip(*values.values(), strict=True)]}
    return spec


def _json_value(value):
    """A data cell as JSON: floats to ``REPORT_DIGITS`` significant digits, NaN and missing as null."""
    if isinstance(value, float):
        return float(f"{value:.{REPORT_DIGITS}g}") if math.isfinite(value) else None
    return None if value is None or value is pd.NA else value


def report_charts(run: LiveRun, history: pd.DataFrame | None = None, band: pd.DataFrame | None = None
                  ) -> dict[str, dict]:
    """The run's charts as Vega-Lite specs with their data, title -> spec, for ``core.io.report.report_html``:
    the page's own panels (loss, accuracy, per-layer charts, decision surfaces for 2-D classification),
    curves thinned to ``PAUSED_EPOCHS`` epochs as on the paused page, surfaces on the page's grid (see
    ``_report_spec``). ``history`` and ``band`` pin the run's state (by default, as it is now)."""
    history = run.history() if history is None else history
    marks = incidents(history)
    shown = thin(run.bands() if band is None else band, PAUSED_EPOCHS)
    panels = main_panels(run, shown, marks, present=False) + layer_panels(run, shown, marks)
    if has_boundaries(run):
        panels += boundary_panels(run, boundary_frames(run, BOUNDARY_RESOLUTION), REPORT_BOUNDARY_SIZE, legend=True)
    fits = fit_frames(run)
    if fits is not None:
        panels += fit_panels(run, fits, present=False)
    return {panel.title: _report_spec(panel) for panel in panels}


def run_report_html(run: LiveRun, table: pd.DataFrame, history: pd.DataFrame | None = None,
                    band: pd.DataFrame | None = None) -> str:
    """The HTML report of the run, its charts pinned to the Vega, Vega-Lite and vega-embed versions Altair uses."""
    return report_html(run.experiment, table, report_charts(run, history, band), vegalite_version=alt.VEGALITE_VERSION,
                       vega_version=alt.VEGA_VERSION, vegaembed_version=alt.VEGAEMBED_VERSION)


def share_link() -> str:
    """This page's URL with every setting in its query string (the widgets are bound to it)."""
    base = st.context.url or ""
    query = [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]
    return f"{base}?{urlencode(query)}" if query else base


def share_and_export(run: LiveRun, table: pd.DataFrame, key: str) -> None:
    """Copy link, and downloads (each built only when clicked): the run's data and reports in one row, a
    network's weights in the next."""
    experiment = run.experiment
    history, band = run.history(), run.bands()  # the charts of the HTML report show the run as the table does
    with st.expander("Share and export", icon=":material/ios_share:"):
        st.markdown("**Link to this experiment** — opening it reproduces the same settings, seeds and first picture.")
        st.code(share_link(), language=None, wrap_lines=True)
        if experiment.dataset == UPLOAD:
            st.caption("The link carries every setting but not your table: whoever opens it uploads the same CSV.")
        columns = st.columns(4)
        columns[0].download_button("History (CSV)", lambda: history_csv(history), "relu-lab-history.csv",
                                   "text/csv", icon=":material/table:", width="stretch", on_click="ignore")
        columns[1].download_button("Config (JSON)", config_json(experiment), "relu-lab-experiment.json",
                                   "application/json", icon=":material/settings:", width="stretch",
                                   on_click="ignore")
        columns[2].download_button("Report (HTML)", lambda: run_report_html(run, table, history, band),
                                   "relu-lab-report.html", "text/html", icon=":material/analytics:",
                                   width="stretch", on_click="ignore")
        columns[3].download_button("Report (Markdown)", lambda: report_markdown(experiment, table),
                                   "relu-lab-report.md", "text/markdown", icon=":material/description:",
                                   width="stretch", on_click="ignore")
        columns = st.columns(3, vertical_alignment="bottom")
        chosen = columns[0].selectbox("Weights of", list(experiment.activations), format_func=label,
                                      key=f"{key}.weights")
        cfg = run.configs[run.experiment.first_run(chosen)]
        stem = f"relu-lab-{chosen.replace('>', '-')}-seed{cfg.seed}"  # "tanh>relu": '>' is no file name on Windows
        try:  # said before the buttons: a refusal must never happen inside a download's callback
            check_exportable(run.model(run.experiment.first_run(chosen)), cfg, run.dataset)
            refused = None
        except ValueError as error:
            refused = str(error)
        columns[1].download_button(f"Weights: {label(chosen)} (.npz)",
                                   lambda: weights_npz(run.model(run.experiment.first_run(chosen)), cfg, run.dataset),
                                   f"{stem}.npz", "application/octet-stream",
                                   icon=":material/download:", width="stretch", on_click="ignore",
                                   disabled=refused is not None)
        columns[2].download_button(f"Weights: {label(chosen)} (JSON)",
                                   lambda: weights_json(run.model(run.experiment.first_run(chosen)), cfg,
                                                        run.dataset),
                                   f"{stem}.json", "application/json",
                                   icon=":material/data_object:", width="stretch", on_click="ignore",
                                   disabled=refused is not None)
        if refused is not None:
            st.warning(f"These weights cannot be exported: {refused}", icon=":material/block:")
        st.caption("Weights carry their input scaler and load back with numpy's allow_pickle=False (Open weights, "
                   "below, shows one's decision boundary over the raw features). The HTML report holds its charts as "
                   "images, so it opens offline. On this page, a chart's toolbar (⋯) downloads it as PNG.")


@dataclass(frozen=True)
class LiveSlots:
    """Where ``live_view`` draws: placeholders made once per fragment run, redrawn in place while it plays."""

    counter: object
    notices: object
    left: object
    right: object


def live_slots(counter=None) -> LiveSlots:
    """The live view's placeholders; ``counter`` is where the epoch counter goes (presenter mode: the transport's
    row), else above the curves."""
    counter, notices = counter.empty() if counter is not None else st.empty(), st.empty()
    left, right = st.columns(2)
    return LiveSlots(counter, notices, left.empty(), right.empty())


def live_view(run: LiveRun, present: bool, playing: bool, slots: LiveSlots) -> None:
    """What changes every redraw while training: the counter, divergence notices, loss and accuracy."""
    epoch_counter(run, slots.counter)
    marks = incidents(run.history())
    if not (marks.diverged.empty and marks.unstable.empty):  # (a new slot each fragment run; incidents stay)
        with slots.notices.container():
            divergence_notices(marks.diverged)
            instability_notices(marks.unstable)
    main_charts(run, thin(run.bands(), PLAYING_EPOCHS if playing else PAUSED_EPOCHS), marks, present, slots.left,
                slots.right)


def detail_view(run: LiveRun, present: bool, playing: bool, key: str) -> None:
    """What a room can follow at a slower pace: per-layer charts (not in presenter mode) and decision surfaces,
    from the run's ``details`` kept under ``key``."""
    shown = details(run, key, playing)
    if not present:
        layer_charts(run, shown.band, shown.marks)
    decision_boundaries(run, shown, present)
    network_view(run, shown, present, f"{key}.network")
    regression_fit(run, shown, present)
    drawn = (([] if present else ["per-layer charts"]) + ([] if shown.boundaries is None else ["decision surfaces"])
             + ([] if shown.fits is None else ["fit"]))
    if shown.playing and drawn:  # the curves above move on meanwhile
        st.caption(f"The {' and '.join(drawn)} show epoch {shown.epoch}; while training they refresh every "
                   f"{DETAILS_EVERY:g} seconds.")
