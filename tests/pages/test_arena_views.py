"""The Arena's detail snapshot: per-layer charts and decision surfaces current while paused, and refreshed at a
lower rate while playing (no extra redraw when Play is pressed)."""

from __future__ import annotations

import itertools
import json
import logging

import pandas as pd
import pyarrow as pa
import pytest

from core.engine.live import LiveRun
from core.io.history import thin
from core.settings import Experiment
from pages.ui import arena_views as views

EXPERIMENT = Experiment(epochs=400, n_samples=100, hidden_layers=(8,), activations=("relu", "tanh"))
_keys = itertools.count()


@pytest.fixture(autouse=True)
def quiet_bare_streamlit():
    """Outside ``streamlit run``, session state works but logs a warning per use."""
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(views.time, "monotonic", lambda: now[0])
    return now


def key() -> str:
    return f"test.details.{next(_keys)}"


def test_paused_details_follow_every_epoch(clock):
    run, k = LiveRun(EXPERIMENT), key()
    first = views.details(run, k, playing=False)
    assert first.epoch == 0 and first.run is run and len(first.boundaries) == 2
    assert views.details(run, k, playing=False) is first  # nothing new: the same snapshot, nothing recomputed
    run.step()
    second = views.details(run, k, playing=False)
    assert second.epoch == 1
    pd.testing.assert_frame_equal(second.band, thin(run.bands(), views.PAUSED_EPOCHS))


def test_pressing_play_keeps_the_shown_details_for_the_first_interval(clock):
    run, k = LiveRun(EXPERIMENT), key()
    shown = views.details(run, k, playing=False)
    run.advance(max_epochs=5)  # what the training thread does meanwhile
    started = views.details(run, k, playing=True)
    assert started.epoch == shown.epoch == 0 and started.playing and started.at == clock[0]
    clock[0] += views.DETAILS_EVERY / 4
    assert views.details(run, k, playing=True).epoch == 0  # not due yet
    clock[0] += views.DETAILS_EVERY / 4
    refreshed = views.details(run, k, playing=True)
    assert refreshed.epoch == 5 and refreshed.at == clock[0]
    assert refreshed.band["epoch"].nunique() == 6  # thinned for play, but 6 epochs are fewer than that


def test_pausing_shows_the_current_epoch_at_once(clock):
    run, k = LiveRun(EXPERIMENT), key()
    views.details(run, k, playing=True)
    run.advance(max_epochs=3)
    assert views.details(run, k, playing=True).epoch == 0
    assert views.details(run, k, playing=False).epoch == 3


def test_pausing_on_the_epoch_last_drawn_redraws_it_as_paused(clock):
    run, k = LiveRun(Experiment(epochs=400, n_samples=60, hidden_layers=(4,), activations=("relu",))), key()
    run.advance(max_epochs=200)
    views.details(run, k, playing=False)
    played = views.details(run, k, playing=True)
    clock[0] += views.DETAILS_EVERY
    run.advance(max_epochs=100)
    played = views.details(run, k, playing=True)
    assert played.epoch == 300 and played.band["epoch"].nunique() == views.PLAYING_EPOCHS
    paused = views.details(run, k, playing=False)  # same epoch: paused now, so drawn in full detail
    assert paused.epoch == 300 and not paused.playing and paused.band["epoch"].nunique() == views.PAUSED_EPOCHS


def test_a_new_run_gets_new_details(clock):
    k = key()
    old = views.details(LiveRun(EXPERIMENT), k, playing=True)
    new_run = LiveRun(EXPERIMENT)
    assert views.details(new_run, k, playing=True).run is new_run is not old.run


def test_curves_while_playing_are_thinned_harder_than_when_paused(clock):
    run = LiveRun(Experiment(epochs=400, n_samples=60, hidden_layers=(4,), activations=("relu",)))
    run.advance(max_epochs=400)
    assert views.details(run, key(), playing=True).band["epoch"].nunique() == views.PLAYING_EPOCHS
    assert views.details(run, key(), playing=False).band["epoch"].nunique() == views.PAUSED_EPOCHS


def test_no_surfaces_for_a_regression_task(clock):
    run = LiveRun(Experiment(dataset="sine", epochs=5, n_samples=60, hidden_layers=(4,), activations=("relu",)))
    assert views.details(run, key(), playing=False).boundaries is None


def test_live_charts_go_out_on_canvas_without_aria_and_with_only_the_columns_they_read():
    from streamlit.testing.v1 import AppTest

    def page():
        import altair as alt
        import pandas as pd
        import streamlit as st

        from pages.ui.render import draw

        data = pd.DataFrame({"epoch": [0, 1, 2], "mean": [1.0, 0.5, 0.25], "unused": ["a", "b", "c"]})
        for _ in range(2):  # the second draw reuses the cached spec
            draw(st.container(), "curve", data, lambda d: alt.Chart(d).mark_line().encode(x="epoch:Q", y="mean:Q"))

    at = AppTest.from_function(page).run(timeout=30)
    assert not at.exception
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2
    for chart in charts:
        spec = json.loads(chart.proto.spec)
        assert spec["usermeta"]["embedOptions"]["renderer"] == "canvas"
        assert spec["config"]["aria"] is False  # canvas never shows ARIA descriptions: Vega need not build them
        assert "data" not in spec and "datasets" not in spec  # the data travels as Arrow, apart from the spec
        sent = pa.ipc.open_stream(chart.proto.data.data).read_all()
        assert set(sent.column_names) == {"epoch", "mean"}  # not "unused"
    assert charts[0].proto.spec == charts[1].proto.spec
