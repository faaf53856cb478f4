"""The page files (run by app.py's st.navigation) and, in pages/ui, their shared helpers.

Streamlit treats a folder named ``pages`` beside the entry script as an old-style (v1) multipage
app until ``st.navigation`` first runs in the process. If the very first request a fresh server
gets is a deep link such as ``/arena``, it would run that page alone, without app.py's layout and
navigation — and stay that way for everyone. The first import of this package therefore switches
that mode off and, inside such a run, reruns it so that app.py routes it.
"""

from streamlit.runtime.pages_manager import PagesManager

if PagesManager.uses_pages_directory:
    PagesManager.uses_pages_directory = False
    import streamlit as st
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx() is not None:
        st.rerun()
