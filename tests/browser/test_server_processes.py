"""The training service's worker processes never outlive the server: stopped (SIGTERM, as a host stops it) or
killed outright (SIGKILL: no shutdown code runs), a real ``streamlit run`` leaves no process behind.

A real browser plays the Arena first, so the pool has started and trained. The test waits for the processes to go
(pytest-timeout ends a wait that never ends); nothing here depends on how fast that is.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support.browser import ROOT, play_to_end, streamlit_server, wait_idle


def server_pid(url: str) -> int:
    port = urlparse(url).port
    found = subprocess.run(["pgrep", "-f", f"server.port {port}"], capture_output=True, text=True).stdout.split()
    assert len(found) == 1, found
    return int(found[0])


def stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat's fields after the command name (state first), or None once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2:].split()


def descendants(root: int) -> dict[int, str]:
    """Every living process below ``root``: pid -> its start time (to tell it from a later process of that pid)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = {}, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        fields = stat(pid)
        if fields is not None and fields[0] != "Z":
            found[pid] = fields[19]
            todo += children.get(pid, [])
    return found


def alive(pid: int, started: str) -> bool:
    fields = stat(pid)
    return fields is not None and fields[0] != "Z" and fields[19] == started


@pytest.mark.browser
@pytest.mark.timeout(300)
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["terminated", "killed"])
def test_no_worker_process_outlives_the_server(chromium, stop):
    (ROOT / "artifacts").mkdir(exist_ok=True)
    with streamlit_server() as url:
        server = server_pid(url)
        page = chromium.new_page(viewport={"width": 1440, "height": 900})
        try:
            page.goto(f"{url}/arena")
            page.get_by_text("Epoch 0 / 200", exact=True).wait_for(timeout=60_000)
            wait_idle(page)
            play_to_end(page)  # trained by the pool
        finally:
            page.close()
        workers = descendants(server)
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in workers]
        pool = [pid for pid, command in zip(workers, commands, strict=True) if b"multiprocessing" in command]
        assert len(pool) >= 2, commands  # a fork server and at least one worker (one per core)
        os.kill(server, stop)
        while stat(server) is not None and stat(server)[0] != "Z":
            time.sleep(0.05)
    while left := [pid for pid, started in workers.items() if alive(pid, started)]:
        time.sleep(0.05)
    assert not left
