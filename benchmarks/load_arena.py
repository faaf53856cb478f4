"""Load check: N concurrent browser sessions play the Arena's default experiment on one server.

Not a test (pytest does not collect it). Run it as::

    python -m benchmarks.load_arena --sessions 5

It starts one Streamlit server, opens N contexts in one headless Chromium, presses Play in each
and waits for "Epoch 200 / 200", then prints per session whether it finished and how long it
took, the median, and the server's peak resident memory (VmHWM of the streamlit process).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse

from tests.support.browser import CHROMIUM_FLAGS, ROOT, chromium_path, streamlit_server

DONE = "Epoch 200 / 200"


def server_pid(port: int) -> int | None:
    out = subprocess.run(["pgrep", "-f", f"server.port {port}"], capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else None


def memory_kb(pid: int) -> dict[str, int]:
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0])
    return fields


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds each session may take")
    args = parser.parse_args(argv)
    path = chromium_path()
    if path is None:
        print("Chromium is not installed (apt-get install -y chromium).", file=sys.stderr)
        return 2
    import asyncio

    from playwright.async_api import async_playwright  # noqa: F401 - fail early if missing

    (ROOT / "artifacts").mkdir(exist_ok=True)
    with streamlit_server() as url:
        pid = server_pid(urlparse(url).port)
        peak = {"VmHWM": 0, "VmRSS": 0}
        stop = threading.Event()

        def sample():
            while not stop.is_set() and pid:
                try:
                    now = memory_kb(pid)
                except OSError:
                    return
                peak["VmHWM"] = max(peak["VmHWM"], now.get("VmHWM", 0))
                peak["VmRSS"] = max(peak["VmRSS"], now.get("VmRSS", 0))
                stop.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        results = asyncio.run(drive(url, path, args.sessions, args.timeout))
        stop.set()
        sampler.join()
    print(f"\nArena load: {args.sessions} concurrent sessions, default experiment, one server (pid {pid})")
    for i, (finished, seconds, last) in enumerate(results):
        print(f"  session {i + 1}: {'finished' if finished else 'NOT finished'} in {seconds:.1f} s (last: {last})")
    times = [s for f, s, _ in results if f]
    print(f"  finished: {len(times)} / {len(results)}")
    if times:
        print(f"  median time to finish: {statistics.median(times):.1f} s (min {min(times):.1f}, max {max(times):.1f})")
    print(f"  server peak RSS (VmHWM): {peak['VmHWM'] / 1024:.0f} MiB; highest sampled VmRSS: "
          f"{peak['VmRSS'] / 1024:.0f} MiB")
    return 0 if len(times) == len(results) else 1


async def drive(url: str, path: str, sessions: int, timeout: float) -> list[tuple[bool, float, str]]:
    import asyncio

    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            return await asyncio.gather(*(one_session(browser, url, timeout) for _ in range(sessions)))
        finally:
            await browser.close()


async def one_session(browser, url: str, timeout: float) -> tuple[bool, float, str]:
    import asyncio

    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = await context.new_page()
        await page.goto(f"{url}/arena")
        counter = page.get_by_text(re.compile(r"^Epoch \d+ / 200$"))
        await counter.wait_for(timeout=120_000)
        await page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=120_000)
        await page.get_by_role("button", name="Play").click()
        started = time.monotonic()
        last = ""
        while time.monotonic() - started < timeout:
            try:
                last = await counter.inner_text(timeout=30_000)
            except Exception:  # noqa: BLE001 - the element is being redrawn; look again
                last = last or "?"
            if last == DONE:
                return True, time.monotonic() - started, last
            await asyncio.sleep(0.1)
        return False, time.monotonic() - started, last
    finally:
        await context.close()


if __name__ == "__main__":
    sys.exit(main())
