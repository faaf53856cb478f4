"""Arena speed: the default experiment played in Chromium against the same work in the engine alone.

Not a test (pytest does not collect it; timings on a shared machine make poor assertions). Run it as::

    python -m benchmarks.perf_arena --runs 3          # browser and server share every core, as in CI
    python -m benchmarks.perf_arena --runs 3 --pin    # server on CPU 0, Chromium on the others (like a viewer
                                                 # whose browser runs on their own laptop)

It prints, per run, the seconds from pressing Play to "Epoch 200 / 200" on screen, the visible counter
updates, and the engine's own time for the same train_many work, measured in this process just before and
just after that run, once the page is idle again (this VM's speed drifts by a third over minutes, so each
browser run is paired with the mean of its own two engine runs); then the medians of the per-run ratios and
update rates.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from urllib.parse import urlparse

from tests.support.browser import (
    CHROMIUM_FLAGS,
    chromium_path,
    engine_seconds,
    play_to_end,
    streamlit_server,
    wait_idle,
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pin", action="store_true", help="server on CPU 0, this script and Chromium on the rest")
    args = parser.parse_args(argv)
    path = chromium_path()
    if path is None:
        print("Chromium is not installed (apt-get install -y chromium).", file=sys.stderr)
        return 2
    cpus = sorted(os.sched_getaffinity(0))
    if args.pin and len(cpus) < 2:
        print("--pin needs at least 2 CPUs.", file=sys.stderr)
        return 2
    engine_seconds()  # warm up: imports, caches
    from playwright.sync_api import sync_playwright

    if args.pin:
        os.sched_setaffinity(0, set(cpus[1:]))  # Chromium, started below, inherits this
    results = []
    with streamlit_server() as url, sync_playwright() as playwright:
        if args.pin:
            port = urlparse(url).port
            pids = subprocess.run(["pgrep", "-f", f"server.port {port}"], capture_output=True, text=True).stdout
            for pid in pids.split():
                os.sched_setaffinity(int(pid), {cpus[0]})
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        for i in range(args.runs):
            page.goto(f"{url}/arena")
            wait_idle(page)
            page.wait_for_timeout(1000)
            before = engine_seconds()
            seconds, seen = play_to_end(page)
            wait_idle(page)  # the page's rerun for the summary must not slow the engine run that follows
            engine = (before + engine_seconds()) / 2  # this VM's speed drifts: the mean of just before and after
            results.append((seconds, engine, len(seen) - 1))
            print(f"run {i + 1}: browser {seconds:.2f} s, engine alone {engine:.2f} s, ratio {seconds / engine:.2f}x, "
                  f"{len(seen) - 1} visible updates ({(len(seen) - 1) / seconds:.1f} per second)")
        browser.close()
    seconds = statistics.median(s for s, _, _ in results)
    engine = statistics.median(e for _, e, _ in results)
    ratio = statistics.median(s / e for s, e, _ in results)
    updates = statistics.median(n / s for s, _, n in results)
    mode = "server pinned to one CPU, Chromium on the others" if args.pin else "browser and server share the CPUs"
    print(f"\nArena default experiment ({mode}), median of {args.runs}: browser {seconds:.2f} s, engine alone "
          f"{engine:.2f} s, ratio {ratio:.2f}x, {updates:.1f} visible updates per second")
    return 0


if __name__ == "__main__":
    sys.exit(main())
