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
    # (and steerable) from other visitors' sessions. Per-session state lives in st.session_state. The
    # process-wide objects are pages/ui/shared.py's: SharedResults, finished measurements keyed by plain settings,
    # the same for every visitor (tests/pages/test_shared.py), and the Background of fixed measurements, which takes
    # no argument at all; nothing of a session.
    code = re.compile(r"cache_resource\s*[(\n]|@\S*cache_resource|import.*cache_resource")  # not prose about it
    users = [f"{p.relative_to(ROOT)}:{line.strip()}" for p in [ROOT / "app.py", *_sources("pages", "core")]
             for line in p.read_text().splitlines() if code.search(line + "\n")]
    in_shared = [u for u in users if u.startswith("pages/ui/shared.py:")]
    assert [u for u in users if u not in in_shared] == []
    assert in_shared == ["pages/ui/shared.py:@st.cache_resource(show_spinner=False)"] * 2
    text = (ROOT / "pages/ui/shared.py").read_text()
    assert "def shared_results(name: str) -> SharedResults:" in text and "def background() -> Background:" in text
    assert "session_state" not in text.split('"""', 2)[2]  # the module's code never touches a session's state


def test_shared_results_are_asked_for_with_plain_keys_only():
    # A key built from a page's widgets is fine (every visitor asking the same gets the same); a key or a
    # computation that closes over st.session_state would leak one visitor's state to another.
    for path in _sources("pages"):
        text = path.read_text()
        for match in re.finditer(r"store\.get\(", text):
            call = text[match.start():text.index("\n\n", match.start())]
            assert "session_state" not in call, f"{path.relative_to(ROOT)}: {call[:120]}"


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
