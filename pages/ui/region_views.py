"""The Linear Regions page's parts: the live maps and counts, the explanation, the depth sweep and the 1-D fit.

Each function draws one part from a ``RegionRun`` or from cached engine results; the maths is in
``core.lab.linear_regions`` and ``core.lab.regions``, the charts in ``pages.ui.region_charts``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from core.io.history import divergences
from core.lab.linear_regions import (
    MAP_RESOLUTION,
    SWEEP_DEPTHS,
    SWEEP_LEARNING_RATE,
    Fit1D,
    Plane,
    RegionRun,
    fit_1d,
    is_kinked,
    plane,
    sweep_summary,
    trained_region_sweep,
)
from core.lab.regions import region_sweep
from pages.ui import arena_views, region_charts
from pages.ui.notices import divergence_notices, within_cap
from pages.ui.palette import label
from pages.ui.render import show
from pages.ui.session import cached_dataset, epoch_counter

PLANES_KEY = "regions.planes"
TRAINED_KEY = "regions.trained_sweep"
RANDOM_BIAS_STD = 1.0  # Hanin & Rolnick's random networks have random biases: the sweep's second line at init
MAIN_WIDTH = {False: 1000, True: 1180}  # px a row of maps may fill: beside the sidebar, and presenting at 1280 px
MAP_SIZE = (150, 300)  # smallest and largest side of one map, px
MAP_SIZE_PRESENT = 190  # at most, presenting: the maps and their counts fit a 1280 × 720 projector


# --- cached engine work: pure, keyed on the settings ---------------------------------------------------------


@st.cache_data(show_spinner="Counting regions at init for every shape…", max_entries=32)
def cached_sweep(data: tuple, units: int, activation: str, seeds: int, bias_std: float) -> pd.DataFrame:
    return region_sweep(cached_dataset(*data), total_units=units, depths=SWEEP_DEPTHS, activation=activation,
                        seeds=seeds, resolution=MAP_RESOLUTION, bias_std=bias_std)


@st.cache_data(show_spinner="Training every shape and counting its regions…", max_entries=16)
def cached_trained_sweep(data: tuple, units: int, activation: str, seeds: int, epochs: int) -> pd.DataFrame:
    return trained_region_sweep(cached_dataset(*data), total_units=units, depths=SWEEP_DEPTHS, activation=activation,
                                seeds=seeds, epochs=epochs, learning_rate=SWEEP_LEARNING_RATE)


@st.cache_data(show_spinner="Fitting the sine curve…", max_entries=16)
def cached_fit(layers: tuple, epochs: int) -> Fit1D:
    return fit_1d(hidden_layers=layers, epochs=epochs)


# --- the live part --------------------------------------------------------------------------------------------


def map_size(columns: int, present: bool) -> int:
    low, high = MAP_SIZE
    return int(min(MAP_SIZE_PRESENT if present else high, max(low, MAIN_WIDTH[present] / columns - 24)))


class Planes(Mapping):
    """Each activation's first seed on the plane at one epoch (None once it diverged). The networks are taken
    together, so every map shows the same epoch; each is mapped on first use, so the first map is on screen before
    the next one is computed."""

    def __init__(self, run: RegionRun):
        with run.frozen():  # the models and the epoch they show, together
            self.epoch = run.epoch
            diverged = set(divergences(run.history())["run"])
            runs = {name: run.experiment.first_run(name) for name in run.experiment.activations}
            self._models = {name: None if r in diverged else run.model(r) for name, r in runs.items()}
        self._dataset = run.dataset
        self._mapped: dict[str, Plane | None] = {}

    def __getitem__(self, name: str) -> Plane | None:
        if name not in self._mapped:
            model = self._models[name]
            self._mapped[name] = None if model is None else plane(model, self._dataset)
        return self._mapped[name]

    def __iter__(self):
        return iter(self._models)

    def __len__(self) -> int:
        return len(self._models)


def current_planes(run: RegionRun) -> Planes:
    """The run's ``Planes`` at its current epoch, kept in session state: a rerun at the same epoch draws without
    recomputing."""
    cached = st.session_state.get(PLANES_KEY)
    if cached is not None and cached["run"] is run and cached["epoch"] == run.epoch:
        return cached["planes"]
    planes = Planes(run)
    st.session_state[PLANES_KEY] = {"run": run, "epoch": planes.epoch, "planes": planes}
    return planes


def initial_counts(run: RegionRun) -> dict[str, int]:
    counts = run.region_counts()
    at_init = counts[counts["epoch"] == 0]
    return dict(zip(at_init["activation"], at_init["regions"], strict=True))


def live_maps(run: RegionRun, present: bool, counter=None) -> None:
    """The counter (in ``counter`` when given), one map per activation with its number, the decision surfaces and
    the counts over training."""
    names = list(run.experiment.activations)
    epoch_counter(run, counter)
    divergence_notices(divergences(run.history()), "Its map stops at the epoch before.")
    planes = current_planes(run)
    at_init = initial_counts(run)
    size = map_size(len(names), present)
    for column, name in zip(st.columns(len(names)), names, strict=True):
        with column:
            one_map(name, planes[name], at_init.get(name), size, present)
    if not present:
        map_legend()
    if not present and arena_views.has_boundaries(run):
        st.caption("Below each map, the same network's decision surface: circles train, triangles test.")
        panels = arena_views.boundary_panels(run, arena_views.boundary_frames(run, 80), size)
        for column, panel in zip(st.columns(len(names)), panels, strict=True):
            panel.draw(column)
    kinked = [n for n in names if is_kinked(n)]
    if kinked:
        counts = with_now(run.region_counts(), planes, run.epoch)
        chart, note = st.columns([3, 2], gap="large")
        show(chart, region_charts.count_chart(counts, kinked, run.epochs), width="stretch")
        note.markdown(count_reading(counts, kinked))
        note.caption(f"Counted on the maps' {MAP_RESOLUTION} × {MAP_RESOLUTION} grid at epoch 0, every "
                     f"{run.count_every} epochs and at the epoch shown: the regions holding at least one grid point, "
                     "a lower bound on the regions crossing the box.")


def one_map(name: str, shown: Plane | None, at_init: int | None, size: int, present: bool) -> None:
    if shown is None:
        st.warning(f"{label(name)} diverged: no map.", icon=":material/warning:")
        return
    kinked = is_kinked(name)
    notes = [f"gradient constant in {shown.unchanged:.0%} of cells"]
    # The number first, so that it stays on a projector's first screen; its help is for laptops (no room beside a
    # presenter's large label).
    if kinked:
        st.metric(f"{label(name)}: regions", f"{shown.regions:,}", help=None if present else
                  "Linear regions: distinct on/off patterns of the hidden units (maxout: winning pieces) over the "
                  "map's grid.")
        if at_init is not None:
            notes.insert(0, f"{shown.regions - at_init:+,d} since init")
    else:
        st.metric(f"{label(name)}: regions", "none", help=None if present else
                  "A smooth activation has no kinks, so no input has a neighbourhood where the network is linear.")
    title = label(name) if kinked else f"{label(name)}: smooth"
    show(st, region_charts.plane_map(shown.frame, name, kinked, title, size),
         width="content")
    st.caption(" · ".join(notes).capitalize())


def with_now(counts: pd.DataFrame, planes: Mapping[str, Plane | None], epoch: int) -> pd.DataFrame:
    """The run's scheduled counts and, for each kinked activation not counted at ``epoch``, its map's count now."""
    counted = set(zip(counts["activation"], counts["epoch"], strict=True))
    now = [(name, label(name), epoch, shown.regions) for name, shown in planes.items()
           if shown is not None and shown.regions is not None and (name, epoch) not in counted]
    return pd.concat([counts, pd.DataFrame(now, columns=counts.columns)], ignore_index=True) if now else counts


def count_reading(counts: pd.DataFrame, names: list[str]) -> str:
    """Regions at init and now for each kinked activation, in words."""
    lines = []
    for name in names:
        own = counts[counts["activation"] == name]
        if own.empty:
            continue
        first, last = own.iloc[0], own.iloc[-1]
        change = f"{last['regions'] / first['regions']:.1f}×" if first["regions"] else "—"
        lines.append(f"- **{label(name)}**: {first['regions']:,} at init → {last['regions']:,} at epoch "
                     f"{last['epoch']} ({change})")
    return "Regions on the grid, first seed:\n" + "\n".join(lines)


def map_legend() -> None:
    st.caption("Each colour is one linear region: one on/off pattern of every hidden unit (maxout: which piece wins), "
               "where the network is one affine function. Grey lines are region boundaries, black is the decision "
               "boundary. At init the engine's biases are 0, so every region is a cone from the origin. Tanh and "
               "sigmoid networks are smooth and have no linear regions: their maps show how fast the input-gradient "
               "of the network's logits changes, white where it does not change at all, darker where it changes "
               "faster.")


# --- why ReLU is not linear -------------------------------------------------------------------------------------


def explanation(run: RegionRun, sweep: pd.DataFrame | None, trained: pd.DataFrame | None) -> None:
    """The question answered exactly, each claim with the lab's own number beside it."""
    st.subheader("If ReLU looks linear, why is it non-linear?")
    planes = current_planes(run)
    kinked = [n for n in run.experiment.activations if is_kinked(n) and planes.get(n) is not None]
    smooth = [n for n in run.experiment.activations if not is_kinked(n) and planes.get(n) is not None]
    lines = ["ReLU(x) = max(0, x) is linear for x < 0 and for x > 0, with one kink at 0. A network of ReLU units is "
             "therefore **piecewise linear**: fix which units are on and which are off (an *activation pattern*) and "
             "every layer becomes an affine map, so the whole network is one affine function on the inputs sharing "
             "that pattern — one **linear region**. It is not linear: a linear function has one gradient everywhere "
             "and a straight decision boundary, while this one's gradient changes from region to region, and only "
             "where some unit switches on or off."]
    if kinked:
        name = kinked[0]
        shown = planes[name]
        lines.append(f"*Measured, epoch {run.epoch}:* the {label(name)} network above has **{shown.regions:,}** "
                     f"regions on the grid, and its input-gradient is exactly the same as all four neighbours' in "
                     f"**{shown.unchanged:.0%}** of the cells: it changes only along region boundaries.")
    if smooth:
        lines.append("*Measured:* " + "; ".join(f"{label(n)}'s gradient is constant in **{planes[n].unchanged:.0%}**"
                                               for n in smooth) + " of the cells: smooth, no regions at all.")
    st.markdown("\n\n".join(lines))
    if sweep is not None:
        summary = sweep_summary(sweep.assign(stage="init"))
        first, last = summary.iloc[0], summary.iloc[-1]
        st.markdown(
            f"- **Depth can multiply the regions — at most.** Montúfar, Pascanu, Cho & Bengio (2014) built deep ReLU "
            f"networks with exponentially more regions than any one-layer network of as many units. *Here, for "
            f"{int(first['units'])} units in 2-D:* one layer can make at most **{int(first['shallow_max']):,}** "
            f"regions (1 + n + n(n − 1)/2); Serra, Tjandraatmadja & Ramalingam's (2018) upper bound allows "
            f"**{int(last['upper_bound']):,}** for {int(last['depth'])} layers × {int(last['width'])}.\n"
            f"- **A random network is nowhere near that.** Hanin & Rolnick (2019) proved that at init the average "
            f"number of regions along a line grows with the total number of units, not exponentially with depth, and "
            f"found counts far below the maximum after training too. *Here, at init:* **{first['mean']:.0f}** "
            f"regions for {int(first['depth'])} × {int(first['width'])} and **{last['mean']:.0f}** for "
            f"{int(last['depth'])} × {int(last['width'])} (mean over {int(first['seeds'])} seeds): the count "
            f"*{'falls' if last['mean'] < first['mean'] else 'does not fall'}* with depth."
            + (trained_sentence(trained) if trained is not None else " Train every shape below to see what training "
               "does to these counts."))


def trained_sentence(trained: pd.DataFrame) -> str:
    summary = sweep_summary(trained)
    after = summary[summary["stage"] == "trained"]
    first, last = after.iloc[0], after.iloc[-1]
    return (f" *After training:* **{first['mean']:.0f}** and **{last['mean']:.0f}**, far below both bounds, and not "
            "growing exponentially with depth.")


# --- depth against width at a fixed number of units ---------------------------------------------------------------


def sweep_section(form, data: tuple, present: bool) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Regions against depth at a fixed number of units, at init (always) and after training (on request), against
    the bounds. Returns the sweep at init and the trained one (None when not computed or over the cap)."""
    st.subheader("Depth against width, at a fixed number of units")
    units_col, act_col, seeds_col, epochs_col, button_col = st.columns([2, 2, 1.5, 2, 2.5],
                                                                       vertical_alignment="bottom")
    units = form.widget(units_col, "sweep_units")
    activation = form.widget(act_col, "sweep_activation")
    seeds = form.widget(seeds_col, "sweep_seeds")
    epochs = form.widget(epochs_col, "sweep_epochs")
    settings = (data, units, activation, seeds, epochs)
    if button_col.button("Train every shape", key="regions.train_sweep", icon=":material/play_arrow:", width="stretch",
                         help=f"Plain SGD, learning rate {SWEEP_LEARNING_RATE:g}, batch 32, on the sidebar's dataset; "
                              "every shape and seed on the same batches"):
        st.session_state[TRAINED_KEY] = settings
    sweep = within_cap(cached_sweep, data, units, activation, seeds, 0.0)
    if sweep is None:
        return None, None
    random_biases = within_cap(cached_sweep, data, units, activation, seeds, RANDOM_BIAS_STD)
    trained = None
    if st.session_state.get(TRAINED_KEY) == settings:
        trained = within_cap(cached_trained_sweep, data, units, activation, seeds, epochs)
    parts = [sweep.assign(stage="init")]
    stages = {"init": "at init (the engine's zero biases)"}
    if random_biases is not None:
        parts.append(random_biases.assign(stage="init_random_bias"))
        stages["init_random_bias"] = f"at init, biases N(0, {RANDOM_BIAS_STD:g})"
    if trained is not None:
        parts.append(trained[trained["stage"] == "trained"])
        stages["trained"] = f"after {epochs} epochs of training"
    summary = sweep_summary(pd.concat(parts, ignore_index=True))
    chart, words = st.columns([3, 2], gap="large")
    show(chart, region_charts.sweep_chart(region_charts.sweep_data(summary, stages), activation, units),
         width="stretch")
    words.markdown(sweep_reading(summary, stages))
    if trained is None:
        words.caption("Press **Train every shape** to add the counts after training.")
    return sweep, trained


def sweep_reading(summary: pd.DataFrame, stages: dict[str, str]) -> str:
    """Each measured series from the shallowest to the deepest shape, and the bounds there."""
    rows = summary.sort_values("depth")
    first_depth, last_depth = rows["depth"].min(), rows["depth"].max()
    lines = []
    for stage, name in stages.items():
        own = rows[rows["stage"] == stage].set_index("depth")
        if own.empty:
            continue
        start, end = own.loc[first_depth], own.loc[last_depth]
        lines.append(f"- {name}: **{start['mean']:.0f}** → **{end['mean']:.0f}** "
                     f"(min–max over seeds {end['low']:.0f}–{end['high']:.0f} at {last_depth} layers)")
    bounds = rows[rows["stage"] == next(iter(stages))].set_index("depth")
    last = bounds.loc[last_depth]
    shapes = f"{first_depth} × {int(bounds.loc[first_depth, 'width'])} → {last_depth} × {int(last['width'])}"
    bound = (f"; the upper bound grows to {last['upper_bound']:,.0f}" if pd.notna(last["upper_bound"])
             else "; no bound is stated here for maxout")
    return (f"From {shapes}, regions on the grid:\n" + "\n".join(lines)
            + f"\n\nOne layer of {int(last['units'])} units can make at most {last['shallow_max']:,.0f}{bound}. "
              "\"Depth multiplies regions\" is a statement about that maximum, not about a random init.")


# --- one input: the kinks of a fitted function ------------------------------------------------------------------------


def line_section(form, present: bool) -> None:
    st.subheader("One input: every kink is a unit switching")
    layers_col, epochs_col, _ = st.columns([2, 2, 3])
    layers = form.widget(layers_col, "line_layers")
    epochs = form.widget(epochs_col, "line_epochs")
    fit = within_cap(cached_fit, tuple(layers), epochs)
    if fit is None:
        return
    kinks = fit.breakpoints[fit.breakpoints["kink"]]
    chart, words = st.columns([3, 2], gap="large")
    title = f"ReLU {' × '.join(map(str, layers))} fitted to y = sin 2x + noise: {kinks['x'].nunique()} kinks"
    show(chart, region_charts.fit_chart(region_charts.fit_data(fit.points, fit.pieces, fit.breakpoints), "relu", title),
         width="stretch")
    inside = fit.first_layer[fit.first_layer["inside"]]
    from_first = kinks[kinks["layer"] == 1]
    words.markdown(
        f"A ReLU network with one input computes a piecewise-linear curve: here **{len(fit.pieces)}** straight "
        f"pieces over the data's range, joined at **{kinks['x'].nunique()}** kinks (dots). A first-layer unit "
        f"max(0, wx + b) switches at x = −b/w: **{len(inside)}** of the {len(fit.first_layer)} first-layer units "
        f"switch inside the range, and **{len(from_first)}** kinks are theirs"
        + (f"; the other {len(kinks) - len(from_first)} are where a deeper unit switches." if len(layers) > 1 else
           ".")
        + f" Training R² {fit.r2:.2f} after {epochs} epochs of SGD.")
    lost = len(fit.breakpoints) - len(kinks)
    if lost:
        words.caption(f"{lost} switch(es) move no kink into the curve: a unit whose change does not reach the output "
                      "(e.g. behind units that are all off there).")
