"""Session helpers for live pages: several redraws per fragment run while playing, and the end of a played run
is drawn before the page reruns for its summary."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _live_page(epochs: int, span: float, paused_after_first: bool = False):
    """A live fragment body over a stand-in for a LiveRun that finishes after ``epochs`` redraws."""
    import time
    import types

    import streamlit as st

    from pages.ui.session import redraws

    if "p.run" not in st.session_state:
        st.session_state["p.run"] = types.SimpleNamespace(epoch=0, error=None, play=lambda: None, wait=time.sleep)
        st.session_state.update({"p.playing": True, "runs": 0, "draws": []})
    elif paused_after_first:
        st.session_state["p.playing"] = False
    run = st.session_state["p.run"]
    run.done = run.epoch >= epochs
    st.session_state.runs += 1
    slot = st.empty()
    for playing in redraws("p", run, every=0.01, span=span):
        slot.markdown(f"epoch {run.epoch}, playing {playing}")
        st.session_state.draws.append((st.session_state.runs, run.epoch, playing))
        run.epoch = min(run.epoch + 1, epochs)  # the background engine, as far as the page can tell
        run.done = run.epoch >= epochs


def test_redraws_draw_several_times_per_run_into_the_same_placeholder():
    at = AppTest.from_function(_live_page, kwargs={"epochs": 1000, "span": 0.2}).run(timeout=30)
    assert not at.exception
    draws = at.session_state["draws"]
    assert len(draws) >= 5 and all(run == 1 and playing for run, _, playing in draws)
    assert [epoch for _, epoch, _ in draws] == list(range(len(draws)))
    assert [m.value for m in at.markdown] == [f"epoch {len(draws) - 1}, playing True"]  # one element, the last
    assert at.session_state["p.playing"] is True


def test_redraws_draw_the_end_then_rerun_the_page_and_stop_playing():
    at = AppTest.from_function(_live_page, kwargs={"epochs": 3, "span": 5.0}).run(timeout=30)
    assert not at.exception and at.session_state["p.playing"] is False
    # run 1 draws epochs 0-2 playing, then the end; the page then reruns, paused, and redraws once
    assert at.session_state["draws"] == [(1, 0, True), (1, 1, True), (1, 2, True), (1, 3, False), (2, 3, False)]


def test_redraws_stop_when_the_training_thread_failed():
    def page():
        import types

        import streamlit as st

        from pages.ui.session import redraws

        st.session_state.setdefault("p.playing", True)
        st.session_state.setdefault("draws", 0)
        run = types.SimpleNamespace(epoch=5, done=False, error="MemoryError: out of memory", play=lambda: None)
        for playing in redraws("p", run, every=0.01, span=5.0):
            st.session_state.draws += 1
            assert not playing

    at = AppTest.from_function(page).run(timeout=30)
    assert not at.exception and at.session_state["draws"] == 1 and at.session_state["p.playing"] is False
    assert "MemoryError: out of memory" in at.error[0].value


def test_redraws_draw_once_when_paused():
    at = AppTest.from_function(_live_page, kwargs={"epochs": 1000, "span": 0.2, "paused_after_first": True})
    at.run(timeout=30).run(timeout=30)
    assert [draw for draw in at.session_state["draws"] if draw[0] == 2] == [(2, len(at.session_state["draws"]) - 1,
                                                                              False)]


def _run_of_a_kind():
    import streamlit as st

    from core.engine.live import LiveRun
    from core.settings import Experiment
    from pages.ui.session import live_run, reset_run

    class Counting(LiveRun):
        pass

    experiment = Experiment(n_samples=60, activations=("relu",), hidden_layers=(4,), epochs=3)
    plain, _ = live_run("k.run", experiment)
    counting, changed = live_run("k.run", experiment, kind=Counting)  # same settings, another kind: a new run
    again, changed_again = live_run("k.run", experiment, kind=Counting)
    counting.step()
    reset_run("k.run")
    st.session_state["result"] = (type(plain).__name__, type(counting).__name__, changed, again is counting,
                                  changed_again, type(st.session_state["k.run"]).__name__,
                                  st.session_state["k.run"].epoch)


def test_live_run_makes_the_kind_of_run_asked_for_and_reset_keeps_it():
    at = AppTest.from_function(_run_of_a_kind).run(timeout=30)
    assert not at.exception
    assert at.session_state["result"] == ("LiveRun", "Counting", True, True, False, "Counting", 0)


def _waiting_page(epochs_per_wait: list[int]):
    """A live fragment over a stand-in run whose epoch moves by ``epochs_per_wait[i]`` at its i-th wait: a run that
    waits its turn on a busy server gains nothing at some waits."""
    import types

    import streamlit as st

    from pages.ui.session import redraws

    if "p.run" not in st.session_state:
        moves = iter(epochs_per_wait)

        def wait(seconds):
            run.epoch += next(moves, 0)

        run = types.SimpleNamespace(epoch=0, done=False, error=None, play=lambda: None, wait=wait)
        st.session_state.update({"p.run": run, "p.playing": True, "draws": []})
    run = st.session_state["p.run"]
    st.session_state.setdefault("runs", 0)
    st.session_state.runs += 1
    for playing in redraws("p", run, every=0.001, span=0.5):
        st.session_state.draws.append((st.session_state.runs, run.epoch, playing))


def test_redraws_skip_a_redraw_that_would_show_the_same_epoch_but_draw_once_per_run():
    at = AppTest.from_function(_waiting_page, kwargs={"epochs_per_wait": [0, 3, 0, 0, 2, 0, 1]}).run(timeout=30)
    assert not at.exception
    assert at.session_state["draws"] == [(1, 0, True), (1, 3, True), (1, 5, True), (1, 6, True)]
    at.run(timeout=30)  # the fragment's next run: nothing new, still one redraw (what a run does not draw is gone)
    assert at.session_state["draws"][4:] == [(2, 6, True)]


def test_queue_text_says_the_place_and_the_time():
    from core.engine.service import QueuePlace
    from pages.ui.session import queue_text

    assert queue_text(None) is None
    assert queue_text(QueuePlace(ahead=0, next_in=0.05, finish_in=2.0, workers=2, playing=3)) is None
    assert queue_text(QueuePlace(ahead=3, next_in=0.4, finish_in=6.2, workers=2, playing=8)) == (
        "Busy server: 3 runs ahead of yours, about 0.4 s. 8 runs take turns on 2 workers; yours is done in about 6 s.")
    assert queue_text(QueuePlace(ahead=1, next_in=0.1, finish_in=1.0, workers=1, playing=3)).startswith(
        "Busy server: 1 run ahead of yours, about 0.1 s. 3 runs take turns on 1 worker;")
