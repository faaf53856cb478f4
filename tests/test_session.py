"""Session helpers for live pages: the end of a played run is drawn before the page reruns for its summary."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _page(done: bool):
    import types

    import streamlit as st

    from pages.ui.session import finish_when_done

    st.session_state.setdefault("runs", 0)
    st.session_state.runs += 1
    st.session_state.setdefault("p.playing", True)
    finish_when_done("p", types.SimpleNamespace(done=done))
    st.write(f"run {st.session_state.runs}")


def test_a_finished_run_is_drawn_once_then_the_page_reruns_and_stops_playing():
    at = AppTest.from_function(_page, kwargs={"done": True}).run()
    assert at.session_state["p.playing"] is True  # this redraw showed the last epoch: no rerun yet
    assert at.session_state["runs"] == 1 and at.session_state["p.end_drawn"] is True
    at.run()  # the next redraw: play stops and the whole page runs again
    assert not at.exception
    assert at.session_state["p.playing"] is False and "p.end_drawn" not in at.session_state
    assert at.session_state["runs"] == 3  # the redraw that requested the rerun, then the rerun itself
    at.run()
    assert at.session_state["runs"] == 4 and at.session_state["p.playing"] is False


def test_a_run_still_training_is_left_alone():
    at = AppTest.from_function(_page, kwargs={"done": False}).run().run()
    assert at.session_state["p.playing"] is True and "p.end_drawn" not in at.session_state
    assert at.session_state["runs"] == 2
