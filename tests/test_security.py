"""Security settings of a shared deployment: server config, shared state, and what may be unpickled."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".streamlit" / "config.toml"


def test_server_config_keeps_xsrf_and_cors_on_and_caps_uploads():
    server = tomllib.loads(CONFIG.read_text()).get("server", {})
    assert server.get("enableXsrfProtection", True) is True
    assert server.get("enableCORS", True) is True
    assert isinstance(server.get("maxUploadSize"), int) and 1 <= server["maxUploadSize"] <= 50


def _sources(*folders: str) -> list[Path]:
    return [p for folder in folders for p in (ROOT / folder).rglob("*.py")]


def test_no_cache_resource_holds_training_state():
    # st.cache_resource is shared by every session of the server: a mutable run there would be visible
    # (and steerable) from other visitors' sessions. Per-session state lives in st.session_state.
    users = [f"{p.relative_to(ROOT)}:{n}" for p in [ROOT / "app.py", *_sources("pages", "core")]
             for n, line in enumerate(p.read_text().splitlines(), 1) if "cache_resource" in line]
    assert users == []


def test_every_np_load_in_core_refuses_pickles():
    calls = []
    for path in _sources("core"):
        text = path.read_text()
        for match in re.finditer(r"np\.load\(", text):
            depth, end = 0, match.end() - 1
            for end in range(match.end() - 1, len(text)):
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                if depth == 0:
                    break
            calls.append((path.name, text[match.start():end + 1]))
    assert calls, "no np.load found: update this test if loading moved"
    assert all("allow_pickle=False" in call for _, call in calls), calls
