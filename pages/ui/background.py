"""The server's background measurements (``core.engine.background``), started by the first page anyone opens: the
numbers that take seconds of engine work, so that they are ready when a lesson shows them."""

from __future__ import annotations

import streamlit as st

from core.engine.background import Background
from core.lab.learning_speed import SETUPS


def learning_speed_task(setup: str) -> str:
    return f"learning_speed.{setup}"


@st.cache_resource(show_spinner=False)
def background() -> Background:
    """One per server process: lesson 12's speed of learning on two moons, then on digits (135 networks)."""
    from core.lab.lessons import learning_speed_numbers  # the lessons' module is large: imported once, here

    return Background({learning_speed_task(name): (learning_speed_numbers, (setup,))
                       for name, setup in SETUPS.items()})
