"""Real-browser support: a fresh Streamlit server on a free port and Debian's headless Chromium.

Used by the browser tests and by scripts/measurements that need a real page. Playwright's own
browser download is not reachable here; Debian's ``chromium`` package is (``apt-get install -y
chromium``, which ``.ci/run`` does).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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


# Installed in the page before Play: records every new "Epoch N / M" text of the progress counter with its time,
# from a MutationObserver (no polling: a harness that reads the page every few ms would itself slow the page down).
WATCH_COUNTER = """(epochs) => new Promise(resolve => {
  window.__counterSeen = [];
  const read = () => {
    const el = document.querySelector('[data-testid=stProgress]');
    const text = el ? el.textContent.trim() : null;
    const seen = window.__counterSeen;
    if (text && /^Epoch \\d+ \\/ \\d+$/.test(text) && (!seen.length || seen[seen.length - 1][1] !== text)) {
      seen.push([performance.now(), text]);
      if (text === `Epoch ${epochs} / ${epochs}`) { observer.disconnect(); window.__counterDone = true; }
    }
  };
  const observer = new MutationObserver(read);
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  window.__counterDone = false;
  resolve(performance.now());
})"""


def play_to_end(page, epochs: int = 200, limit: float = 240.0) -> tuple[float, list[tuple[float, str]]]:
    """Press Play on the open Arena and wait for "Epoch M / M".

    Returns the seconds from the click to the last epoch on screen, and every distinct counter text seen with
    its time (the visible updates), both as the page's own clock recorded them.
    """
    page.evaluate(WATCH_COUNTER, epochs)
    # the button whose label (a <p> beside its icon and key) is "Play"
    clicked = page.evaluate("() => new Promise(resolve => { const button = [...document.querySelectorAll('button')]"
                            ".find(b => [...b.querySelectorAll('p')].some(p => p.innerText.trim() === 'Play')); "
                            "const t = performance.now(); button.click(); resolve(t); })")
    page.wait_for_function("() => window.__counterDone", timeout=limit * 1000, polling=250)
    seen = [((t - clicked) / 1000, text) for t, text in page.evaluate("() => window.__counterSeen")]
    if not seen or seen[0][1] != "Epoch 0 / " + str(epochs):
        seen.insert(0, (0.0, f"Epoch 0 / {epochs}"))  # the counter as it stood before the click
    return seen[-1][0], seen


def engine_seconds() -> float:
    """The engine alone on the default experiment: the train_many work the Arena's Play does."""
    from core.engine.live import LiveRun
    from core.settings import Experiment

    run = LiveRun(Experiment())
    run.advance(seconds=1e9)
    return run.compute_seconds


MAIN, SIDEBAR = 0, 1  # the first index of a delta's path: the root container it goes to


def record_elements(page) -> list[tuple[int, str]]:
    """Starts recording, on ``page``'s next websocket, every element Streamlit sends, in the order it arrives: (root
    container, element type), e.g. (0, "vega_lite_chart") in the main area, (1, "slider") in the sidebar. The list
    fills as the frames arrive."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    elements: list[tuple[int, str]] = []

    def received(payload) -> None:
        if isinstance(payload, str):
            return
        message = ForwardMsg()
        message.ParseFromString(payload)
        if message.WhichOneof("type") == "delta" and message.delta.WhichOneof("type") == "new_element":
            elements.append((message.metadata.delta_path[0], message.delta.new_element.WhichOneof("type")))

    page.on("websocket", lambda socket: socket.on("framereceived", received))
    return elements


def first_picture_before_settings(elements: list[tuple[int, str]], picture: str = "vega_lite_chart") -> bool:
    """Whether the main area's first ``picture`` arrived before the sidebar's first settings widget."""
    widgets = {"selectbox", "slider", "multiselect", "checkbox", "text_input", "number_input", "radio", "toggle"}
    first_picture = next(i for i, (root, kind) in enumerate(elements) if root == MAIN and kind == picture)
    first_widget = next((i for i, (root, kind) in enumerate(elements) if root == SIDEBAR and kind in widgets),
                        len(elements))
    return first_picture < first_widget
