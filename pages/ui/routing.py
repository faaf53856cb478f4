"""Routing that cannot take the app down: leave Streamlit's old ``pages/`` directory mode at the first import.

Streamlit treats a folder named ``pages`` beside the entry script as an old-style (v1) multipage app until
``st.navigation`` first runs in the process. If the very first request a fresh server gets is a deep link such as
``/arena``, it runs that page alone, with Streamlit's own list of the files as navigation, and keeps doing so for
every visitor until someone opens the home page. No documented setting turns that detection off, so this module
flips the one class attribute that holds it (``PagesManager.uses_pages_directory``) and reruns such a first run
through app.py.

It is the only use of a Streamlit internal in the lab, and it degrades safely: if a Streamlit release renames or
removes the attribute or its module, nothing fails; at worst a fresh server's first deep-link visitors see the old
navigation until the home page is opened once. ``requirements.txt`` pins the minor versions the suite passed on.
"""

from __future__ import annotations

import importlib

PAGES_MANAGER_MODULE = "streamlit.runtime.pages_manager"
FLAG = "uses_pages_directory"


def _pages_manager():
    """Streamlit's PagesManager class, or None when this Streamlit has no such internal."""
    try:
        return getattr(importlib.import_module(PAGES_MANAGER_MODULE), "PagesManager", None)
    except ImportError:
        return None


def leave_pages_directory_mode() -> bool:
    """Switch Streamlit's v1 ``pages/`` mode off; True when it was on (and, inside a script run, rerun it so that
    app.py routes it). Never raises."""
    manager = _pages_manager()
    if manager is None or getattr(manager, FLAG, None) is not True:
        return False
    try:
        setattr(manager, FLAG, False)
    except (AttributeError, TypeError):
        return False
    _rerun_if_in_a_script_run()
    return True


def _rerun_if_in_a_script_run() -> None:
    import streamlit as st

    if not st.runtime.exists():
        return
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:
        return
    if get_script_run_ctx() is not None:
        st.rerun()
