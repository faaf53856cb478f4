"""Capacity: N sessions press Play on the Arena's default experiment at once, on one server.

Not a test (pytest does not collect it; timings on a shared machine make poor assertions). Run it as::

    python -m benchmarks.capacity --sessions 1,2,4,8,16 --repeats 3
    python -m benchmarks.capacity --browsers 1,2,4          # real Chromium sessions on a real server, as a check

**Simulated sessions.** This process is the server: it holds the training service (``shared_service``: the worker
processes a ``streamlit run`` starts), and each session is a thread of it that calls the live run's API the way the
Arena's live fragment does and does the fragment's own server-side work: Play (``LiveRun.play``); then fragment
runs of 1 s, each redrawing every 0.25 s (``pages.ui.session.redraws``, a redraw skipped when no new epoch came),
a redraw being the counter (with the queue place), the history's incidents, the thinned bands and the loss and
accuracy charts built from them and serialised for the browser (Arrow, as Streamlit sends chart data); and every 2 s
the details (per-layer charts and the three decision surfaces), the first 2 s after Play as on the page. What it
leaves out is Streamlit's own work per fragment run (the script runner, the protocol, the websocket) and the
whole page's rerun that pressing Play causes, which the rerun probe below pays in full; the real-browser mode
(``--browsers``) has everything.

**Rerun probe.** Meanwhile, one more session (Streamlit's AppTest, in this process) presses Step on its own Arena
once a second: each press reruns the whole page (its Step through the service, before the playing runs). Its
durations are the server's rerun latency under that load.

For each N it prints: the total time (Play to the last session's last epoch on screen), the median and worst time
to finish, the longest gap between two visible updates of any session (Play to its first new epoch included), the
rerun latency (median, p95) and the throughput against N sessions one after another (N times the N = 1 total, from
the same run), with the load average and the CPU seconds of this process and of the workers.

``--before DIR`` runs the same driver on another checkout (e.g. the commit before the service: each LiveRun then
trains in its own thread of this process, as the server did).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Session:
    """One simulated session: its run, and what its viewer saw."""

    run: object
    updates: list[tuple[float, int]] = field(default_factory=list)  # (seconds since Play, epoch shown)
    finished: float | None = None
    error: str | None = None
    redraws: int = 0
    page_cpu: float = 0.0  # CPU seconds of this session's thread: its redraws and details


class PageWork:
    """The Arena's server-side work for one session: its redraws and its details, as pages/ui/arena_views does
    them (the Panel builders themselves), with each chart's data serialised as Streamlit sends it."""

    def __init__(self):
        import pyarrow as pa

        from pages.ui import arena_views as views
        from pages.ui.training_charts import spec_without_data, used_columns

        self.pa, self.views, self.spec_without_data, self.used_columns = pa, views, spec_without_data, used_columns
        self.specs: dict = {}
        self.last_details = 0.0

    def send(self, panels) -> int:
        sent = 0
        for panel in panels:
            spec = self.specs.get(panel.key)
            if spec is None:
                spec = self.specs[panel.key] = self.spec_without_data(panel.make(panel.data.head(0)))
            table = self.pa.Table.from_pandas(self.used_columns(panel.data, spec), preserve_index=False)
            sink = io.BytesIO()
            with self.pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            sent += sink.tell()
        return sent

    def redraw(self, run) -> int:
        """``views.live_view``: the counter (and the queue place), incidents, loss and accuracy."""
        views = self.views
        f"Epoch {run.epoch} / {run.epochs}"  # noqa: B018 - the counter's text, as the page formats it
        if hasattr(run, "place"):
            run.place()
        marks = views.incidents(run.history())
        band = views.thin(run.bands(), views.PLAYING_EPOCHS)
        return self.send(views.main_panels(run, band, marks, False))

    def details(self, run, now: float) -> int:
        """``views.details`` and ``detail_view`` while playing: every DETAILS_EVERY seconds."""
        views = self.views
        if now - self.last_details < views.DETAILS_EVERY:
            return 0
        self.last_details = now
        with run.frozen():
            band = views.thin(run.bands(), views.PLAYING_EPOCHS)
            marks = views.incidents(run.history())
            frames = views.boundary_frames(run, views.BOUNDARY_RESOLUTION)
        size = views.boundary_size(len(run.experiment.activations), False)
        return self.send(views.layer_panels(run, band, marks) + views.boundary_panels(run, frames, size))


REDRAW_EVERY, FRAGMENT_SECONDS = 0.25, 1.0  # pages/arena.py
PROBE_EVERY = 1.0  # seconds between two of the probe's reruns: in a room, somebody changes something every second


def play(session: Session, go: threading.Barrier, started: list[float], engine_only: bool = False) -> None:
    """Press Play when every session is ready, then run the live fragment until the run is done (``engine_only``:
    no page at all, the run plays to its end)."""
    run, work, cpu = session.run, PageWork(), time.thread_time()
    if engine_only:
        go.wait()
        run.play(lease=3600)
        run.wait(3600)
        session.finished = time.monotonic() - started[0]
        session.updates.append((session.finished, run.epoch))
        return
    try:
        try:
            with run.frozen():
                work.redraw(run)  # the page as it stood before Play: its charts' specs built, as on a loaded page
            work.details(run, time.monotonic())
        except BaseException:
            go.abort()  # nobody waits for a session that cannot start: every round reports it, none hangs
            raise
        go.wait()
        cpu = time.thread_time()
        start = work.last_details = started[0]  # the page keeps the details on screen for 2 s after Play
        run.play()
        shown = run.epoch
        while session.finished is None:
            fragment, drawn = time.monotonic(), False
            while True:
                playing = not run.done
                if playing:
                    run.play()
                if not drawn or not playing or run.epoch != shown:
                    with run.frozen():
                        epoch = run.epoch
                        work.redraw(run)
                    drawn = True
                    session.redraws += 1
                    if epoch != shown:
                        shown = epoch
                        session.updates.append((time.monotonic() - start, epoch))
                work.details(run, time.monotonic())
                if not playing:
                    session.finished = time.monotonic() - start
                    break
                if time.monotonic() - fragment + REDRAW_EVERY > FRAGMENT_SECONDS:
                    break
                run.wait(REDRAW_EVERY)
    except Exception as error:  # noqa: BLE001 - reported in the table
        session.error = f"{type(error).__name__}: {error}"
        if session.finished is None:
            session.finished = float("nan")
    session.page_cpu = time.thread_time() - cpu


class RerunProbe:
    """A real Arena session (AppTest) pressing Step again and again; the seconds each full rerun took."""

    def __init__(self):
        from tests.support.apptest import button, start

        self.at, self.button = start("arena"), button
        self.seconds: list[float] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def press(self) -> float:
        begin = time.perf_counter()
        self.button(self.at, "arena.step").click().run(timeout=120)
        if self.at.exception:
            raise RuntimeError([e.message for e in self.at.exception])
        if self.at.session_state["arena.run"].done:
            self.button(self.at, "arena.reset").click().run(timeout=120)
        return time.perf_counter() - begin

    def start(self) -> None:
        self.seconds, self._stop = [], threading.Event()

        def loop():
            while not self._stop.is_set():
                self.seconds.append(self.press())
                self._stop.wait(PROBE_EVERY)

        self._thread = threading.Thread(target=loop, name="rerun-probe", daemon=True)
        self._thread.start()

    def stop(self) -> list[float]:
        self._stop.set()
        self._thread.join()
        return self.seconds


def worker_pids(service) -> list[int]:
    return list(getattr(getattr(service, "executor", None), "pids", []) or [])


def one_round(n: int, experiment, dataset, service, probe: RerunProbe | None, engine_only: bool = False) -> dict:
    from core.engine.live import LiveRun

    def page_load(i: int):  # the page's first picture: the networks at init
        if service is None:
            return LiveRun(experiment, dataset=dataset)
        return LiveRun(experiment, dataset=dataset, service=service, owner=(f"session-{i}", "arena.run"))

    sessions = [Session(page_load(i)) for i in range(n)]
    started, pids, cpu_before = [0.0], worker_pids(service), []

    def everyone_ready():  # the moment Play is pressed: CPU and reruns count from here, not from the pages' setup
        cpu_before.extend((time.process_time(), sum(cpu_seconds(pid) for pid in pids)))
        if probe is not None:
            probe.start()
        started[0] = time.monotonic()

    go = threading.Barrier(n + 1, action=everyone_ready)
    threads = [threading.Thread(target=play, args=(s, go, started, engine_only), name=f"session-{i}")
               for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    load = os.getloadavg()[0]
    try:
        go.wait()
    except threading.BrokenBarrierError:
        for thread in threads:
            thread.join()
        raise RuntimeError(f"A session failed before Play: {[s.error for s in sessions if s.error]}") from None
    for thread in threads:
        thread.join()
    reruns = probe.stop() if probe is not None else []
    cpu = (time.process_time() - cpu_before[0], sum(cpu_seconds(pid) for pid in pids) - cpu_before[1])
    finished = [s.finished for s in sessions]
    gaps = []
    for s in sessions:
        times = [0.0] + [t for t, _ in s.updates]
        gaps.append(max(b - a for a, b in zip(times, times[1:], strict=False)) if len(times) > 1 else float("nan"))
    return {"n": n, "total": max(finished), "median": statistics.median(finished), "worst": max(finished),
            "gap": max(gaps), "reruns": reruns, "load": load, "server_cpu": cpu[0], "worker_cpu": cpu[1],
            "errors": [s.error for s in sessions if s.error], "redraws": sum(s.redraws for s in sessions),
            "page_cpu": sum(s.page_cpu for s in sessions),
            "epochs": [s.run.epoch for s in sessions]}


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def simulated(sizes: list[int], repeats: int, probe_on: bool, engine_only: bool = False) -> None:
    from core.settings import Experiment

    try:
        from core.engine.service import shared_service
    except ImportError:  # a checkout from before the service: every run trains in a thread of this process
        shared_service = None
    experiment = Experiment()
    dataset = experiment.load_data()
    service = shared_service() if shared_service is not None else None
    if service is not None and hasattr(service.executor, "wait_ready"):
        service.executor.wait_ready(120)
    probe = RerunProbe() if probe_on else None
    idle = [probe.press() for _ in range(8)] if probe is not None else []
    one_round(1, experiment, dataset, service, None)  # warm up: imports, caches, the workers' data
    mode = (f"training service: {service.executor.name}, {service.executor.workers} workers"
            if service is not None else "a thread per run in this process (before the service)")
    print(f"Capacity: the Arena's default experiment ({experiment.epochs} epochs, "
          f"{', '.join(experiment.activations)}), {mode}; {os.cpu_count()} CPUs")
    if idle:
        print(f"rerun latency with no session playing: median {statistics.median(idle):.3f} s, "
              f"max {max(idle):.3f} s ({len(idle)} Step presses)")
    rounds: dict[int, list[dict]] = {n: [] for n in sizes}
    for repeat in range(repeats):
        order = sizes if repeat % 2 == 0 else sizes[::-1]  # alternate: a drifting machine favours no size
        for n in order:
            result = one_round(n, experiment, dataset, service, probe, engine_only)
            rounds[n].append(result)
            print(f"  repeat {repeat + 1} N={n}: total {result['total']:.2f} s, worst gap {result['gap']:.2f} s, "
                  f"reruns {len(result['reruns'])} (p95 {percentile(result['reruns'], 0.95):.3f} s), load "
                  f"{result['load']:.1f}, CPU server {result['server_cpu']:.1f} s (sessions' page work "
                  f"{result['page_cpu']:.1f} s, {result['redraws']} redraws) workers {result['worker_cpu']:.1f} s"
                  + (f", ERRORS {result['errors']}" if result["errors"] else ""), flush=True)
    base = statistics.median(r["total"] for r in rounds[sizes[0]]) / sizes[0]
    if engine_only:
        cores = service.executor.workers if service is not None else 1
        for n in sizes:
            total = statistics.median(r["total"] for r in rounds[n])
            print(f"N={n}: {n / total * 60:.0f} runs a minute, {n / total * 60 / cores:.0f} per worker core")
    print(f"\nMedians of {repeats} repeats (one-after-another: N x {base:.2f} s, the N = {sizes[0]} total per "
          "session)")
    print("| N | total | median to finish | worst to finish | longest gap between updates | rerun p95 (median) "
          "| throughput vs one after another | load | CPU server / workers |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        rs = rounds[n]
        med = {k: statistics.median(r[k] for r in rs) for k in ("total", "median", "worst", "gap", "load",
                                                                 "server_cpu", "worker_cpu")}
        reruns = [s for r in rs for s in r["reruns"]]
        print(f"| {n} | {med['total']:.2f} s | {med['median']:.2f} s | {med['worst']:.2f} s "
              f"| {med['gap']:.2f} s (max {max(r['gap'] for r in rs):.2f}) "
              f"| {percentile(reruns, 0.95) * 1000:.0f} ms ({statistics.median(reruns) * 1000 if reruns else 0:.0f})"
              f" | {n * base / med['total']:.2f}x | {med['load']:.1f} "
              f"| {med['server_cpu']:.1f} / {med['worker_cpu']:.1f} s |")


def browsers(sizes: list[int], repeats: int) -> None:
    """K real Chromium sessions on one real server press Play at once; per K the same columns, from the page's own
    clock (a MutationObserver on the counter, tests/support/browser.py)."""
    import asyncio

    from playwright.async_api import async_playwright

    from tests.support.browser import CHROMIUM_FLAGS, IDLE, ROOT, WATCH_COUNTER, chromium_path, streamlit_server

    (ROOT / "artifacts").mkdir(exist_ok=True)

    async def one(browser, url: str, k: int) -> list[tuple[float, list[float]]]:
        contexts = [await browser.new_context(viewport={"width": 1440, "height": 900}) for _ in range(k)]
        pages = [await context.new_page() for context in contexts]
        try:
            for page in pages:
                await page.goto(f"{url}/arena")
                await page.get_by_text("Epoch 0 / 200", exact=True).wait_for(timeout=120_000)
                await page.wait_for_selector(IDLE, timeout=120_000)
            await asyncio.sleep(1.0)
            for page in pages:
                await page.evaluate(WATCH_COUNTER, 200)
            clicked = await asyncio.gather(*(page.evaluate(
                "() => { const b = [...document.querySelectorAll('button')].find(b => b.innerText.trim()"
                ".endsWith('Play')); const t = performance.now(); b.click(); return t; }") for page in pages))
            await asyncio.gather(*(page.wait_for_function("() => window.__counterDone", timeout=600_000,
                                                          polling=250) for page in pages))
            out = []
            for page, t0 in zip(pages, clicked, strict=True):
                seen = [(t - t0) / 1000 for t, _ in await page.evaluate("() => window.__counterSeen")]
                times = [0.0] + [t for t in seen if t > 0]
                out.append((times[-1], [b - a for a, b in zip(times, times[1:], strict=False)]))
            return out
        finally:
            for context in contexts:
                await context.close()

    async def main(url: str) -> dict[int, list]:
        results: dict[int, list] = {k: [] for k in sizes}
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
            try:
                for repeat in range(repeats):
                    for k in (sizes if repeat % 2 == 0 else sizes[::-1]):
                        load = os.getloadavg()[0]
                        got = await one(browser, url, k)
                        results[k].append((got, load))
                        print(f"  repeat {repeat + 1} K={k}: finished {[round(t, 2) for t, _ in got]} s, "
                              f"longest gap {max(max(g) for _, g in got):.2f} s, load {load:.1f}", flush=True)
            finally:
                await browser.close()
        return results

    with streamlit_server() as url:
        results = asyncio.run(main(url))
    base = statistics.median(max(t for t, _ in got) for got, _ in results[sizes[0]]) / sizes[0]
    print(f"\nReal browsers, medians of {repeats} repeats")
    print("| K | total | median to finish | worst to finish | longest gap between updates | throughput | load |")
    print("|---|---|---|---|---|---|---|")
    for k in sizes:
        totals = [max(t for t, _ in got) for got, _ in results[k]]
        medians = [statistics.median(t for t, _ in got) for got, _ in results[k]]
        gaps = [max(max(g) for _, g in got) for got, _ in results[k]]
        total = statistics.median(totals)
        print(f"| {k} | {total:.2f} s | {statistics.median(medians):.2f} s | {statistics.median(totals):.2f} s "
              f"| {statistics.median(gaps):.2f} s (max {max(gaps):.2f}) | {k * base / total:.2f}x "
              f"| {statistics.median(load for _, load in results[k]):.1f} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="1,2,4,8,16", help="simulated sessions per round, e.g. 1,2,4,8,16")
    parser.add_argument("--browsers", default="", help="real Chromium sessions per round instead, e.g. 1,2,4")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-probe", action="store_true", help="no rerun probe (AppTest) alongside")
    parser.add_argument("--before", metavar="DIR", help="import core and pages from this checkout instead")
    parser.add_argument("--engine-only", action="store_true",
                        help="no page work and no probe: the runs alone, for runs per core per minute")
    args = parser.parse_args(argv)
    if args.before:
        sys.path.insert(0, os.path.abspath(args.before))
        for name in [m for m in sys.modules if m.split(".")[0] in ("core", "pages", "tests")]:
            del sys.modules[name]
    if args.browsers:
        browsers([int(k) for k in args.browsers.split(",")], args.repeats)
    else:
        simulated([int(n) for n in args.sessions.split(",")], args.repeats,
                  not (args.no_probe or args.engine_only), args.engine_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
