"""What every page does first: the page config, presenter mode, counting this session's script runs, and (once per
server) starting the background measurements (``pages.ui.shared.background``).

Each page file calls ``page_shell()`` as its first line rather than app.py doing it around ``page.run()``: a page
then looks and behaves the same however it was started (through app.py's ``st.navigation``, or on its own, as
Streamlit runs a page file when a fresh server's first request is a deep link, and as AppTest runs pages).
"""

from __future__ import annotations

import streamlit as st

from pages.ui.presenter import apply_presenter_mode
from pages.ui.settings_form import count_script_run
from pages.ui.shared import background

TITLE, ICON = "ReLU Lab", "🧪"


def page_shell() -> bool:
    """Page config, the run counter (see ``settings_form``), the server's background work and presenter mode;
    returns whether presenter mode is on."""
    st.set_page_config(page_title=TITLE, page_icon=ICON, layout="wide")
    count_script_run()
    background()  # started by the first visitor's first page; the same object for everyone after
    return apply_presenter_mode()


def page_header(title: str, caption: str, present: bool) -> None:
    """The page's title and, off the projector, its one-line caption (presenting, the presenter says it and the
    room needs the height)."""
    st.title(title)
    if not present:
        st.caption(caption)
