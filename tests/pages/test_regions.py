"""The Linear Regions page headless (AppTest): its maps and counts, Step and Reset, the sweep's button, the 1-D fit,
presenter mode, and bad input (a bad link, no activation, work over the cap)."""

from __future__ import annotations

from core.lab.linear_regions import MAP_RESOLUTION, fit_1d, plane, plane_points
from core.lab.regions import count_regions
from core.settings import REGIONS, regions_experiment
from tests.support.apptest import button, charts, start

KINKED_LABELS = ["ReLU: regions", "Leaky ReLU: regions", "Maxout: regions"]
MAPS = 5  # one per activation by default
DECISION_SURFACES = 5


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def text(at) -> str:
    return " ".join(block.value for block in (*at.markdown, *at.caption))


def test_the_default_page_maps_every_activation_and_counts_the_kinked_ones():
    at = start("regions")
    assert at.title[0].value == "Linear Regions"
    shown = metrics(at)
    assert list(shown) == [*KINKED_LABELS, "Tanh: regions", "Sigmoid: regions"]
    assert shown["Tanh: regions"] == shown["Sigmoid: regions"] == "none"
    run = at.session_state["regions.run"]
    points = plane_points(run.dataset, MAP_RESOLUTION)[0]
    for name, key in zip(("relu", "leaky_relu", "maxout"), KINKED_LABELS, strict=True):
        assert shown[key] == f"{count_regions(run.model(run.experiment.first_run(name)), points):,}"
    # maps, decision surfaces, counts over training, the depth sweep, the 1-D fit
    assert len(charts(at)) == MAPS + DECISION_SURFACES + 3
    assert not at.error and not at.warning and not at.exception
    assert "If ReLU looks linear, why is it non-linear?" in [h.value for h in at.subheader]
    words = text(at)
    for citation in ("Montúfar", "Serra", "Hanin & Rolnick (2019)"):
        assert citation in words


def test_step_trains_one_epoch_and_the_counts_follow_the_networks():
    at = start("regions")
    button(at, "regions.step").click().run()
    assert not at.exception
    run = at.session_state["regions.run"]
    assert run.epoch == 1
    relu = run.model(run.experiment.first_run("relu"))
    assert metrics(at)["ReLU: regions"] == f"{plane(relu, run.dataset).regions:,}"
    assert "since init" in text(at)
    button(at, "regions.reset").click().run()
    assert at.session_state["regions.run"].epoch == 0
    assert type(at.session_state["regions.run"]).__name__ == "RegionRun"


def test_the_sweep_shows_counts_falling_with_depth_at_init_and_the_button_adds_the_trained_ones():
    at = start("regions")
    reading = next(block.value for block in at.markdown if block.value.startswith("From 1 × 24"))
    assert "at init (the engine's zero biases): **48** →" in reading  # 24 lines through the origin: 48 cones
    assert "after" not in reading
    button(at, "regions.train_sweep").click().run()
    assert not at.exception
    reading = next(block.value for block in at.markdown if block.value.startswith("From 1 × 24"))
    assert "after 100 epochs of training" in reading
    assert "*After training:*" in text(at)


def test_the_1d_fit_reports_the_engines_kinks():
    at = start("regions")
    fit = fit_1d(hidden_layers=(8, 8), epochs=500)
    kinks = fit.breakpoints[fit.breakpoints["kink"]]["x"].nunique()
    assert f"joined at **{kinks}** kinks" in text(at)
    assert f"Training R² {fit.r2:.2f}" in text(at)


def test_presenter_mode_keeps_the_maps_and_counts_and_drops_the_decision_surfaces():
    at = start("regions", {"mode": "present"})
    assert list(metrics(at))[:3] == KINKED_LABELS
    assert len(charts(at)) == MAPS + 3
    assert not at.exception


def test_a_link_sets_the_experiment_and_a_bad_value_is_ignored_with_a_notice():
    values = {**REGIONS.defaults(), "activations": ("relu", "tanh"), "hidden_layers": (4,), "dataset": "circles"}
    query = {**REGIONS.to_query(values, "regions", full=True), "regions.epochs": ["banana"]}
    at = start("regions", query)
    run = at.session_state["regions.run"]
    assert run.experiment == regions_experiment({**values, "epochs": REGIONS["epochs"].default})
    assert list(metrics(at)) == ["ReLU: regions", "Tanh: regions"]
    assert any("epochs=banana" in w.value for w in at.warning)


def test_no_activation_asks_for_one_and_trains_nothing_and_the_settings_stay_to_choose_one():
    at = start("regions")
    at.multiselect(key="regions.activations").set_value([]).run()
    assert not at.exception
    assert any("Choose at least one activation" in i.value for i in at.info)
    assert not at.metric
    # the sidebar's settings are drawn after the maps, or before the page stops: here, so one can be chosen again
    assert len(at.sidebar.multiselect) == 1 and len(at.sidebar.expander) == 3
    at.sidebar.multiselect(key="regions.activations").set_value(["relu"]).run()
    assert list(metrics(at)) == ["ReLU: regions"]


def test_only_smooth_activations_show_no_regions_and_no_count_chart():
    at = start("regions", {"regions.activations": ["tanh", "sigmoid"]})
    assert metrics(at) == {"Tanh: regions": "none", "Sigmoid: regions": "none"}
    assert not at.exception
    assert "Gradient constant in 0% of cells" in text(at)


def test_settings_over_the_work_cap_are_refused_in_words():
    at = start("regions", {"regions.layers": ["512"] * 8, "regions.n_samples": ["100000"]})
    assert not at.exception
    assert at.error or at.warning
    message = " ".join(e.value for e in (*at.error, *at.warning))
    assert "cannot run" in message or "over the cap" in message

