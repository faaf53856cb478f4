"""The Training Arena headless: controls, counter, resets, live charts, divergence and empty states."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path

import altair as alt
import numpy as np
import pytest

from core.engine.training import train_many
from pages.ui import arena_views
from pages.ui.palette import ACTIVATION_COLORS
from tests.support.apptest import button, charts, start

COUNTER = re.compile(r"^Epoch (\d+) / (\d+)$")


def counter(at) -> str:
    texts = [p.proto.text for p in at.get("progress")]
    matches = [t for t in texts if COUNTER.match(t)]
    assert len(matches) == 1, texts
    return matches[0]


def widget(at, key):
    return next(w for w in (*at.multiselect, *at.select_slider, *at.selectbox, *at.slider) if w.key == key)


@pytest.fixture
def arena():
    return start("arena")


def test_arena_opens_on_the_default_experiment_at_epoch_zero(arena):
    assert counter(arena) == "Epoch 0 / 200"
    assert widget(arena, "arena.activations").value == ["relu", "sigmoid", "tanh"]
    assert widget(arena, "arena.dataset").value == "moons"
    # loss, accuracy, gradient profile, gradient over time, sparsity, dead units, the classes' legend, 3 decision
    # surfaces and the network diagram
    assert len(charts(arena)) == 11


def test_step_advances_one_epoch_and_reset_returns_to_zero(arena):
    button(arena, "arena.step").click().run()
    assert counter(arena) == "Epoch 1 / 200"
    button(arena, "arena.step").click().run()
    assert counter(arena) == "Epoch 2 / 200"
    assert any(s.value.startswith("Summary") for s in arena.subheader)
    button(arena, "arena.reset").click().run()
    assert not arena.exception
    assert counter(arena) == "Epoch 0 / 200"


def test_changing_the_activation_set_resets_the_experiment(arena):
    button(arena, "arena.step").click().run()
    assert counter(arena) == "Epoch 1 / 200"
    widget(arena, "arena.activations").set_value(["relu", "leaky_relu"]).run()
    assert not arena.exception
    assert counter(arena) == "Epoch 0 / 200"
    # six training charts, the classes' legend, two decision surfaces, the network diagram
    assert len(charts(arena)) == 6 + 1 + 2 + 1


def test_no_activation_gives_a_friendly_empty_state(arena):
    widget(arena, "arena.activations").set_value([]).run()
    assert not arena.exception
    assert any("Choose at least one activation" in i.value for i in arena.info)
    assert not charts(arena)
    widget(arena, "arena.activations").set_value(["tanh"]).run()  # mended: the reader's choice stands
    assert widget(arena, "arena.activations").value == ["tanh"]
    assert arena.session_state["arena.run"].experiment.activations == ("tanh",)


def test_a_diverging_run_is_flagged_with_its_likely_cause_and_the_page_survives(arena):
    widget(arena, "arena.activations").set_value(["relu", "linear"]).run()
    widget(arena, "arena.learning_rate").set_value(100.0).run()
    widget(arena, "arena.hidden_layers.depth").set_value(4).run()
    for _ in range(3):  # in float32 every run diverges in its first epoch, which ends the experiment
        if button(arena, "arena.step").disabled:
            break
        button(arena, "arena.step").click().run()
        assert not arena.exception
    warnings = [w.value for w in arena.warning]
    assert any("diverged" in w and "learning rate" in w for w in warnings), warnings


def test_a_regression_dataset_trains_without_accuracy(arena):
    widget(arena, "arena.dataset").set_value("sine").run()
    button(arena, "arena.step").click().run()
    assert not arena.exception
    assert counter(arena) == "Epoch 1 / 200"
    assert any("regression" in i.value for i in arena.info)


def test_several_seeds_and_maxout_run(arena):
    widget(arena, "arena.activations").set_value(["relu", "maxout"]).run()
    widget(arena, "arena.seeds").set_value(3).run()
    button(arena, "arena.step").click().run()
    assert not arena.exception
    assert counter(arena) == "Epoch 1 / 200"


def test_a_shared_link_reproduces_the_settings():
    from streamlit.testing.v1 import AppTest

    from core.engine.data import DATASETS
    from tests.support.apptest import APP

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(str(Path(APP).parent / "pages" / "arena.py"))
    # A hand-written link may name a choice by its display label (as the page shows it) or its registry name.
    at.query_params.update({"arena.dataset": DATASETS["circles"].label, "arena.activations": ["ReLU", "elu"],
                            "arena.seeds": "3", "arena.learning_rate": "0.03", "arena.layers": ["8", "8", "8"]})
    at.run()
    assert not at.exception
    assert widget(at, "arena.dataset").value == "circles"
    assert widget(at, "arena.activations").value == ["relu", "elu"]
    assert widget(at, "arena.seeds").value == 3
    assert widget(at, "arena.learning_rate").value == 0.03
    assert widget(at, "arena.hidden_layers.depth").value == 3
    assert widget(at, "arena.hidden_layers.width").value == 8
    assert at.session_state["arena.run"].experiment.hidden_layers == (8, 8, 8)


def test_a_link_over_the_engines_work_cap_gets_its_reason_not_a_run():
    """Every activation x 10 seeds at 8 x 128 with batch 1 on 3,000 samples: one epoch would take minutes."""
    from core.engine.activations import ACTIVATIONS
    from core.engine.limits import MAX_WORK, format_work
    from pages.ui.palette import label

    at = start("arena", {"arena.activations": [label(n) for n in (*ACTIVATIONS, "maxout")], "arena.seeds": "10",
                         "arena.layers": ["128"] * 8, "arena.batch_size": "1",
                         "arena.n_samples": "3000", "arena.test_size": "0.1"})
    assert not at.exception
    assert widget(at, "arena.seeds").value == 10 and widget(at, "arena.batch_size").value == 1  # the link was taken
    [error] = at.error
    assert error.value.startswith("These settings cannot run: One epoch of training 100 networks of 8 × 128 units "
                                  "on 2,700 samples would need about ")
    assert f"over the cap of {format_work(MAX_WORK)}" in error.value and "a larger batch" in error.value
    assert "arena.run" not in at.session_state and not charts(at)
    widget(at, "arena.activations").set_value(["relu"])
    widget(at, "arena.batch_size").set_value(128)
    widget(at, "arena.seeds").set_value(2).run()  # within the cap again: the experiment appears
    assert not at.exception and not at.error
    assert counter(at) == "Epoch 0 / 200"


def test_presenter_mode_keeps_the_main_charts_only():
    from streamlit.testing.v1 import AppTest

    from tests.support.apptest import APP

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(str(Path(APP).parent / "pages" / "arena.py"))
    at.query_params["mode"] = "present"
    at.run()
    assert not at.exception
    assert len(charts(at)) == 2 + 1 + 3  # loss and accuracy, the classes' legend and three decision surfaces
    button(at, "arena.step").click().run()
    assert not any(s.value.startswith("Summary") for s in at.subheader)


def test_share_and_export_offers_the_link_and_six_downloads(arena):
    button(arena, "arena.step").click().run()
    labels = [b.proto.label for b in arena.get("download_button")]
    assert labels == ["History (CSV)", "Config (JSON)", "Report (HTML)", "Report (Markdown)",
                      "Weights: ReLU (.npz)", "Weights: ReLU (JSON)"]
    assert any("?" in c.value or c.value == "" for c in arena.code)  # the link (AppTest has no browser URL)


# --- the HTML report, as a click on its button downloads it -----------------------------------------

REPORT_STEPS = 3
IMAGE = re.compile(r'<h3>([^<]*)</h3>\n<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="([^"]*)">')


@pytest.fixture(scope="module")
def html_report():
    """(the Arena after a few steps, the HTML its "Report (HTML)" button downloads, its charts by title).

    The button is lazy: Streamlit registers a callable and runs it on the click, outside the script run.
    The test records the callables as they are registered and calls the report's as the server would.
    """
    from streamlit.runtime.media_file_manager import MediaFileManager

    deferred = {}
    register = MediaFileManager.add_deferred

    def record(self, data_callable, *args, **kwargs):
        file_id = register(self, data_callable, *args, **kwargs)
        deferred[file_id] = data_callable
        return file_id

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MediaFileManager, "add_deferred", record)
        at = start("arena")
        for _ in range(REPORT_STEPS):
            button(at, "arena.step").click().run()
    buttons = {b.proto.label: b.proto for b in at.get("download_button")}
    report = buttons["Report (HTML)"]
    assert report.deferred_file_id and not report.url  # built only when clicked
    text = deferred[report.deferred_file_id]()
    assert all(heading == alt for heading, alt in IMAGE.findall(text))  # each chart drawn in, under its title
    return at, text, {html.unescape(title): spec for title, spec in arena_views.report_charts(
        at.session_state["arena.run"]).items() if html.escape(title) in dict(IMAGE.findall(text))}


def color_scales(spec) -> list[dict]:
    """Every colour scale in a (layered) spec."""
    found = []
    if isinstance(spec, dict):
        scale = spec.get("color", {}).get("scale") if isinstance(spec.get("color"), dict) else None
        if scale is not None:
            found.append(scale)
        for value in spec.values():
            found += color_scales(value)
    elif isinstance(spec, list):
        for value in spec:
            found += color_scales(value)
    return found


def test_the_html_report_holds_the_runs_settings_summary_and_charts(html_report):
    at, text, charts = html_report
    run = at.session_state["arena.run"]
    assert run.epoch == REPORT_STEPS
    assert text.startswith("<!DOCTYPE html>") and "<h1>ReLU Lab report: Two moons</h1>" in text
    assert '<tr><td>activations</td><td>ReLU, Sigmoid, Tanh</td></tr>' in text
    from core.lab.summary import display_table

    for _, row in display_table(arena_views.summary_frame(run)).iterrows():  # as the page shows it: 86.4%, ReLU
        assert f'<tr><td>{row["activation"]}</td><td class="number">1</td><td>{row["test accuracy"]}</td>' in text
    assert list(charts) == ["Loss (cross-entropy)", "Accuracy", "Gradient norm by layer, now",
                            "Gradient norm per layer over training", "Sparsity: share of exact zeros",
                            "Dead units: 0 for every training sample", "Decision boundary: ReLU",
                            "Decision boundary: Sigmoid", "Decision boundary: Tanh"]
    assert text.count('<img src="data:image/svg+xml;base64,') == len(charts) and "<script" not in text
    assert not re.search(r"https?:|//", re.sub(r'src="data:[^"]*"', "", text))  # nothing to fetch: opens offline
    assert len(text.encode()) < 1_500_000  # surfaces on a 40 x 40 grid, data to 4 significant digits


def test_the_html_reports_curves_are_the_runs_in_its_activations_colours(html_report):
    at, _, charts = html_report
    names = list(at.session_state["arena.run"].experiment.activations)
    labels = ["ReLU", "Sigmoid", "Tanh"]
    for title, splits in (("Loss (cross-entropy)", {"train", "test"}), ("Accuracy", {"train", "test"})):
        spec = charts[title]
        scales = color_scales(spec)
        assert scales and all(s == {"domain": labels, "range": [ACTIVATION_COLORS[n] for n in names]} for s in scales)
        curves = [row for row in spec["data"]["values"] if row["kind"] == "curve"]
        assert {(row["label"], row["epoch"], row["group"]) for row in curves} == {
            (label, epoch, split) for label in labels for epoch in range(REPORT_STEPS + 1) for split in splits}
        assert all(isinstance(row["mean"], float) and row["mean"] > 0 for row in curves)
    assert [charts[f"Decision boundary: {label}"]["title"]["color"] for label in labels] == [
        ACTIVATION_COLORS[name] for name in names]


def test_every_chart_of_the_html_report_is_valid_vega_lite(html_report):
    """vl-convert (a test dependency only) renders each embedded spec as Vega-Lite would in the browser."""
    vl_convert = pytest.importorskip("vl_convert")
    version = ".".join(alt.VEGALITE_VERSION.split(".")[:2])
    if version not in vl_convert.get_vegalite_versions():
        pytest.skip(f"vl-convert {vl_convert.__version__} does not bundle Vega-Lite {version}")
    _, _, charts = html_report
    svgs = {title: vl_convert.vegalite_to_svg(spec, vl_version=version) for title, spec in charts.items()}
    assert all(svg.startswith("<svg") for svg in svgs.values())
    for name in ("relu", "sigmoid", "tanh"):
        assert f'stroke="{ACTIVATION_COLORS[name]}"'.lower() in svgs["Loss (cross-entropy)"].lower()


def test_every_setting_round_trips_through_the_widgets_and_back_to_the_url():
    """A link that changes every setting: the widgets show it, the run is that experiment, and the URL the page
    writes back (only what differs from the defaults) opens it again."""
    from core.settings import ARENA
    from tests.test_settings import EVERYTHING_CHANGED

    query = ARENA.to_query(EVERYTHING_CHANGED.to_dict(), "arena")
    at = start("arena", query)
    assert not at.exception and not at.warning
    assert at.session_state["arena.run"].experiment == EVERYTHING_CHANGED
    written = {key: at.query_params.get_all(key) if hasattr(at.query_params, "get_all") else at.query_params[key]
               for key in at.query_params}
    again = start("arena", written)
    assert again.session_state["arena.run"].experiment == EVERYTHING_CHANGED


def test_a_learning_rate_far_too_high_is_flagged_as_unstable_while_still_finite():
    """lr 100 on two moons: losses in the hundreds, accuracy at chance, nothing non-finite yet. Each run gets a
    notice naming the likely cause, and the summary counts it apart from runs that diverged."""
    at = start("arena", {"arena.learning_rate": "100", "arena.epochs": "10"})
    for _ in range(3):
        button(at, "arena.step").click().run()
    assert not at.exception
    notices = [w.value for w in at.warning if "is unstable" in w.value]
    assert len(notices) == 3 and all("learning rate is most likely too high" in n for n in notices)
    table = at.session_state["arena.run"].history()
    from core.lab.summary import summary

    counted = summary(table).set_index("activation")
    assert (counted["unstable runs"] >= 1).all() and (counted["diverged runs"] == 0).all()


def test_a_regression_run_shows_its_fit_and_its_summary_speaks_of_r2():
    at = start("arena", {"arena.dataset": "sine", "arena.epochs": "20"})
    button(at, "arena.step").click().run()
    assert not at.exception
    assert "The fit" in [s.value for s in at.subheader]
    assert any("fitted curve" in str(c.spec).lower() for c in charts(at))
    shown = at.dataframe[0].value
    assert "test R²" in shown.columns and "test RMSE" in shown.columns and "test accuracy" not in shown.columns


def test_the_default_experiments_summary_does_not_rank_sigmoid_the_fastest_learner():
    at = start("arena", {"arena.epochs": "200"})
    at.session_state["arena.run"].advance(seconds=1e9)  # train to the end, as Play would
    at.run()
    assert not at.exception and at.session_state["arena.run"].done
    shown = at.dataframe[0].value.set_index("activation")
    [epochs] = [c for c in shown.columns if c.startswith("epochs to train error")]
    sigmoid = shown.loc["Sigmoid", epochs]
    faster = [shown.loc[name, epochs] for name in ("ReLU", "Tanh")]
    assert sigmoid == "not reached" or all(float(sigmoid) > float(value) for value in faster)


def test_a_finished_run_offers_more_epochs_and_trains_them_from_where_it_stopped():
    at = start("arena", {"arena.epochs": "3", "arena.activations": ["relu", "tanh"]})
    for _ in range(3):
        button(at, "arena.step").click().run()
    assert counter(at) == "Epoch 3 / 3"
    run = at.session_state["arena.run"]
    before = run.model(0).forward(run.dataset.X_test)
    more = button(at, "arena.play")
    assert more.label == "+3 epochs" and not more.disabled
    more.click().run()
    assert not at.exception
    run = at.session_state["arena.run"]
    assert run.epochs == 6
    run.wait(60)  # the service trains the three more while the page waits
    assert run.done and run.epoch == 6
    at.run()
    assert counter(at) == "Epoch 6 / 6"
    history = run.history()
    assert sorted(history["epoch"].unique()) == list(range(7))
    # the same run went on: its first 3 epochs are the ones that were on screen, and the 6 are those of one run
    # planned for 6 from the start (constant learning rate)
    direct = train_many(run.dataset, [dataclasses.replace(c, epochs=6) for c in run.configs])
    expected = [(r.epoch, r.run, r.train_loss) for records in direct for r in records]
    losses = history[history["metric"] == "train_loss"].sort_values(["epoch", "run"])
    assert list(zip(losses["epoch"], losses["run"], losses["value"], strict=True)) == expected
    np.testing.assert_array_equal(direct.model(0).forward(run.dataset.X_test), run.model(0).forward(
        run.dataset.X_test))
    assert not np.array_equal(before, run.model(0).forward(run.dataset.X_test))
    # the curves' x axis follows the longer run
    spec = json.loads(charts(at)[0].proto.spec)
    domains = re.findall(r'"field": "epoch", "scale": \{"domain": \[(\d+), (\d+)\]', json.dumps(spec))
    assert domains and set(domains) == {("0", "6")}


def test_a_deep_networks_live_maps_label_every_layer_though_their_spec_is_built_before_the_data():
    # render.draw builds a live chart's spec from the frame's empty head: the maps' layers come from the network,
    # not from the data (a spec built with layers [1] drew nothing for 8 layers)
    at = start("arena", {"arena.layers": ["8"] * 8, "arena.epochs": "5",
                         "arena.activations": ["relu", "leaky_relu", "elu", "tanh", "sigmoid"]})
    button(at, "arena.step").click().run()
    assert not at.exception
    maps = {json.loads(c.proto.spec)["concat"][0]["encoding"]["y"]["title"]: json.loads(c.proto.spec)
            for c in charts(at) if '"concat"' in c.proto.spec}
    rows = {"weight matrix": tuple(range(1, 10)), "hidden layer": tuple(range(1, 9))}  # 9 matrices, 8 layers
    assert set(maps) == set(rows)
    sparsity_and_dead = [json.loads(c.proto.spec) for c in charts(at) if '"hidden layer"' in c.proto.spec]
    assert len(sparsity_and_dead) == 2
    for spec in [maps["weight matrix"], *sparsity_and_dead]:
        title = spec["concat"][0]["encoding"]["y"]["title"]
        assert {tuple(panel["encoding"]["y"]["scale"]["domain"]) for panel in spec["concat"]} == {rows[title]}
        assert len(spec["concat"]) == 5 and "datasets" not in spec  # every panel draws the data sent


def test_a_finished_run_measures_its_speed_of_learning_at_each_activations_best_rate():
    at = start("arena", {"arena.epochs": "15", "arena.activations": ["relu", "tanh"], "arena.samples": "120",
                         "arena.layers": ["8"]})
    run = at.session_state["arena.run"]
    run.advance(max_epochs=15)
    at.run()
    assert run.done and not at.exception
    expander = next(e for e in at.expander if e.label.startswith("Speed of learning"))
    assert not [m for m in at.metric if m.label.startswith("ReLU: epochs")]
    button(at, "arena.learning_speed.measure").click().run(timeout=120)
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "ReLU: epochs to the target" in labels and "Tanh: epochs" in labels
    tanh = next(m for m in at.metric if m.label == "Tanh: epochs")
    assert tanh.value == "not reached" or re.fullmatch(r"\d+\.\d× ReLU's", tanh.value)
    assert any("learning rates 0.01, 0.03, 0.1, 0.3, 1" in c.value for c in at.caption), expander
    at.run()  # kept on the next rerun
    assert "ReLU: epochs to the target" in [m.label for m in at.metric]
