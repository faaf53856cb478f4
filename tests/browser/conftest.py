"""The browser tests' server: a fresh ``streamlit run app.py`` per test module (so a module's first request is a
fresh server's first request), stopped after the module."""

from __future__ import annotations

import pytest

from tests.support.browser import ROOT, streamlit_server


@pytest.fixture(scope="module")
def server(chromium):
    (ROOT / "artifacts").mkdir(exist_ok=True)
    with streamlit_server() as url:
        yield url
