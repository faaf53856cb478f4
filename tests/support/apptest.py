"""Headless page runs (Streamlit's AppTest), started from app.py as a visitor would."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

# AppTest resolves relative paths against the calling file, so anchor them at the repo root.
ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def page_path(name: str) -> str:
    return str(ROOT / "pages" / f"{name}.py")


def start(page: str | None = None, params: dict | None = None, timeout: float = 60, state: dict | None = None
          ) -> AppTest:
    """Run app.py, then switch to ``page`` (a name under pages/), opened with the link query ``params`` and with
    ``state`` already in its session state; fail on any exception."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    for key, value in (state or {}).items():
        at.session_state[key] = value
    if page is not None:
        at.query_params.update(params or {})
        at.switch_page(page_path(page))
        at.run()
        assert not at.exception, [e.message for e in at.exception]
    return at


def charts(at: AppTest) -> list:
    return list(at.get("vega_lite_chart"))


def button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)
