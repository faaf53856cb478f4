"""Real-browser support: a fresh Streamlit server on a free port and Debian's headless Chromium.

Used by the browser tests and by scripts/measurements that need a real page. Playwright's own
browser download is not reachable here; Debian's ``chromium`` package is (``apt-get install -y
chromium``, which ``.ci/run`` does).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCREENS = ROOT / "artifacts" / "screens"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(timeout: float = 60.0, extra_args: tuple[str, ...] = ()):
    """Start ``streamlit run app.py`` headless on a free port; yield its base URL; stop it after."""
    port = free_port()
    log = open(ROOT / "artifacts" / f"streamlit-{port}.log", "w")  # noqa: SIM115 - closed below
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
         str(port), "--browser.gatherUsageStats", "false", *extra_args],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Streamlit did not start; see {log.name}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until the app's script run has finished and the page has settled."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    page.wait_for_timeout(800)


def screenshot(page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to fit it first."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate(
        "Math.max(...[...document.querySelectorAll("
        "'[data-testid=stMain], [data-testid=stSidebar][aria-expanded=true] [data-testid=stSidebarContent]')]"
        ".map(e => e.scrollHeight), 0)")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height) + 40)})
    page.wait_for_timeout(1000)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    return path


def play_to_end(page, epochs: int = 200, limit: float = 240.0) -> tuple[float, list[tuple[float, str]]]:
    """Press Play on the open Arena and watch its counter until "Epoch M / M".

    Returns the seconds from the click to the last epoch on screen, and every distinct counter text seen with
    its time (the visible updates).
    """
    counter = page.get_by_text(re.compile(rf"^Epoch \d+ / {epochs}$"))
    page.get_by_role("button", name="Play").click()
    started = time.monotonic()
    seen: list[tuple[float, str]] = []
    while True:
        text = counter.inner_text(timeout=30_000)
        if not seen or seen[-1][1] != text:
            seen.append((time.monotonic() - started, text))
        if text == f"Epoch {epochs} / {epochs}":
            return time.monotonic() - started, seen
        assert time.monotonic() - started < limit, f"Arena stuck at {text}"
        page.wait_for_timeout(40)
