"""The training service: the engine work of every live run, cut into slices and scheduled fairly over workers.

**Processes.** A web server runs its sessions as threads of one interpreter; training there too, each session's
epochs fought the others' and the redraws for the interpreter's lock (8 sessions together finished slower than
one after another). The server's service (``shared_service``) trains in a pool of worker processes instead, one per
core by default (``RELU_LAB_WORKERS``), started once per server process, in the background, from a fork server
(``spawn`` where there is none): the server runs threads, and forking a threaded process is unsafe. A worker exits
when the server does, however it ends (it watches its parent). With ``RELU_LAB_DASK_SCHEDULER=tcp://HOST:8786`` the
slices go to a Dask cluster instead (``distributed.Client.submit``), ``core`` shipped to its workers as the CLI does.
Scripts, tests and the CLI get ``local_service``: the engine in their own interpreter, on one background thread.

**Scheduling.** A playing run is trained in slices of about ``SLICE_SECONDS`` of engine time (one to a
hundred epochs, sized from the run's own measured epochs). Runs take turns, round-robin by slice: a run whose slice
is done goes to the back of the queue, so every playing run moves, and at most one slice per worker is in
flight, so the queue, not the pool, decides the order. Synchronous requests (a Step, the networks at init, or a
script's ``advance``) go first: a person waits for them; one under ``INLINE_SECONDS`` of engine time runs in the
server itself, where it costs less than its trip to a worker. A run stops getting slices when it is paused, done,
failed, replaced by its page's next run (one live run per ``owner``: a session and a page), or when its lease runs
out (its viewer left: nobody asked it to go on for ``lease`` seconds).

**What streams back.** Each slice returns its epochs' records, and the run's state at its end: the weights the
decision surfaces and the Neurons page read arrive with it, once a slice rather than every epoch.

**Plain data.** A run's state, data and configs are plain data and a slice is the pure function
``core.engine.slices.advance``, so the records are those of ``train_many`` in one process, whoever trains it.
"""

from __future__ import annotations

import atexit
import math
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from dataclasses import dataclass, field

from core.engine import slices
from core.engine.training import EpochRecord, TrainConfig, training_work

# Engine time per slice. With W workers busy, a playing run gets a slice every N / W slices, so a session's counter
# moves every N / W x SLICE_SECONDS (0.4 s for 8 sessions on 2 workers); and since a live page skips a redraw that
# has nothing new, the server redraws at most W / SLICE_SECONDS times a second in all, however many sessions play:
# longer slices spare the server, shorter ones make counters move more often. A slice's own cost (its trip to a
# worker and back, the trainer rebuilt from its state) is about 1 ms.
SLICE_SECONDS = 0.1
# Until a run's epochs are measured, their cost is estimated from the engine's cost model (core.engine.limits):
# this many multiply-adds a second is the median measured on a 2-core server.
WORK_PER_SECOND = 1.7e10
FIRST_SLICE_MARGIN = 4.0  # an epoch took 0.5x to 3.5x the estimate (4 experiments, tiny to digits 64-64)
INLINE_SECONDS = 0.01  # a synchronous request estimated under this runs in the caller's thread (TrainingService.run)
# Workers run at a lower CPU priority than the server: on a machine with as many workers as cores, the server's
# page reruns and redraws (what every visitor waits on) take a core first, and training takes the rest.
WORKER_NICENESS = 15
WARM_UP_HOLD = 0.2  # seconds a warm-up task keeps its worker busy (see ProcessSlices._warm_up)
ENV_WORKERS = "RELU_LAB_WORKERS"
ENV_DASK_SCHEDULER = "RELU_LAB_DASK_SCHEDULER"


def default_workers() -> int:
    """``RELU_LAB_WORKERS``, else one per core this process may use: the cores it may run on, or fewer when its
    container's CPU quota (cgroup ``cpu.max``) allows less, as on a hosted tier."""
    configured = os.environ.get(ENV_WORKERS, "").strip()
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise ValueError(f"{ENV_WORKERS} must be a whole number of at least 1, got {configured!r}.")
        return int(configured)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cpu_quota()
    return max(1, min(cores, math.ceil(quota))) if quota else cores


def cpu_quota(path: str = "/sys/fs/cgroup/cpu.max") -> float | None:
    """The cores this process's cgroup (v2) may use in all, or None when it sets no limit (or there is none)."""
    try:
        with open(path) as limit:
            quota, period = limit.read().split()[:2]
    except (OSError, ValueError):
        return None
    return None if quota == "max" else int(quota) / int(period)


# -- executors: where slices run -------------------------------------------------------------------------------


class InProcessSlices:
    """The engine in this interpreter, on one background thread; synchronous requests run in the caller's thread.
    What scripts, tests and the CLI use: one user, no processes to start."""

    name = "in-process"
    inline = True  # synchronous requests run in the caller's thread
    ready = True
    sends_data = True

    def __init__(self):
        self.workers = 1
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="relu-lab-slices")

    def submit(self, digest: str, data, configs, state, epochs: int, observe=None):
        return self._pool.submit(slices.train_slice, data, configs, state, epochs, observe)

    def recover(self, error: BaseException) -> None:
        pass

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def worker_started() -> None:
    """In each worker process, first: Ctrl-C in a terminal reaches the whole process group, but the server shuts
    its pool down itself; and a worker exits when the server does, even one killed without a chance to do so."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(WORKER_NICENESS)  # the server's reruns and redraws go first when the cores are shared
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), name="relu-lab-parent-watch", daemon=True).start()


def _exit_with(parent) -> None:
    parent.join()  # returns when the parent process has ended
    os._exit(0)


def _warm(hold: float = 0.0) -> int:
    time.sleep(hold)
    return os.getpid()


def worker_context():
    """A fork server whose workers start with the engine imported, or ``spawn`` where there is none. Never plain
    ``fork``: the server runs threads, and a child forked from a threaded process can inherit a held lock."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # "__main__" too: a worker then finds the server's main module already imported, rather than importing it
        # again itself (``streamlit run`` has the streamlit command as its main module).
        context.set_forkserver_preload(["__main__", "core.engine.slices"])
        return context
    return multiprocessing.get_context("spawn")


class ProcessSlices:
    """Worker processes on this machine, started in the background: until they are up (``ready``), synchronous
    requests run in the caller's thread, so a page's first picture never waits for them."""

    name = "processes"
    inline = False
    sends_data = False  # a worker keeps the datasets it was sent (slices.run_slice): send them only when missing

    def __init__(self, workers: int | None = None):
        self.workers = workers or default_workers()
        self._ready = threading.Event()
        self._lock = threading.RLock()
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False
        self.start_error: str | None = None
        self.pids: list[int] = []
        self._start()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def _start(self) -> None:
        with self._lock:
            self._ready.clear()
            pool = self._pool = ProcessPoolExecutor(self.workers, mp_context=worker_context(),
                                                    initializer=worker_started)
        threading.Thread(target=self._warm_up, args=(pool,), name="relu-lab-pool-start", daemon=True).start()

    def _warm_up(self, pool: ProcessPoolExecutor) -> None:
        """Start every worker now, not at the first slices. The pool starts a worker for a submission that finds
        none idle, so each warm-up task keeps its worker busy a moment, until every worker has answered."""
        try:
            pids: set[int] = set()
            for _ in range(5):
                futures = [pool.submit(_warm, WARM_UP_HOLD) for _ in range(self.workers)]
                wait_for_futures(futures)
                pids |= {future.result() for future in futures}
                if len(pids) >= self.workers:
                    break
            self.pids = sorted(pids)
        except Exception as error:  # noqa: BLE001 - reported; slices that need the pool then fail with it
            self.start_error = f"{type(error).__name__}: {error}"
            return
        if pool is self._pool:
            self._ready.set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def submit(self, digest: str, data, configs, state, epochs: int, observe=None):
        return self._pool.submit(slices.run_slice, digest, data, configs, state, epochs, observe)

    def recover(self, error: BaseException) -> None:
        """A worker died (killed, out of memory): its pool takes no more work, so start another (once, however many
        slices failed with it)."""
        if not isinstance(error, BrokenExecutor) or self._closed:
            return
        with self._lock:
            broken = self._pool
            try:
                broken.submit(_warm).cancel()
                return  # this pool works: another call already replaced the broken one
            except BrokenExecutor:
                pass
            broken.shutdown(wait=False, cancel_futures=True)
            self._start()

    def close(self) -> None:
        self._closed = True
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class DaskSlices:
    """A Dask cluster: each slice is one ``Client.submit`` of ``slices.run_slice``, which travels by value
    (``scale_out.portable``) with plain-data arguments, and the package ``core`` is sent to the workers first.
    A run's data is scattered once and passed by reference."""

    name = "dask"
    inline = False
    ready = True
    sends_data = True

    def __init__(self, scheduler: str | None = None, client=None):
        from core.tools import scale_out

        if client is None:
            client, self._own_client = scale_out._dask_client(scheduler)
        else:
            self._own_client = False
        self.client = client
        scale_out.ship_package(client)
        self._task = scale_out.portable(slices.run_slice)
        self.workers = max(1, sum(client.nthreads().values()))
        self._scattered: dict[str, object] = {}  # digest -> the future of the scattered data, the last few
        self._lock = threading.Lock()

    def submit(self, digest: str, data, configs, state, epochs: int, observe=None):
        with self._lock:
            reference = self._scattered.pop(digest, None)
            if reference is None:
                reference = self.client.scatter(data, hash=False)
            self._scattered[digest] = reference
            while len(self._scattered) > 4 * slices.CACHED_DATASETS:
                self._scattered.pop(next(iter(self._scattered)))
        return self.client.submit(self._task, digest, reference, configs, state, epochs, observe, pure=False)

    def recover(self, error: BaseException) -> None:
        pass

    def close(self) -> None:
        self._scattered.clear()
        if self._own_client:
            self.client.close()


def executor_from_environment():
    """The server's executor: a Dask cluster when ``RELU_LAB_DASK_SCHEDULER`` names a scheduler, else worker
    processes on this machine."""
    scheduler = os.environ.get(ENV_DASK_SCHEDULER, "").strip()
    return DaskSlices(scheduler) if scheduler else ProcessSlices()


# -- the service ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuePlace:
    """Where a playing run waits: runs served before its next slice, and estimates in seconds."""

    ahead: int  # runs that get a worker before this one
    next_in: float  # until its next slice starts
    finish_in: float  # until it is done, at the share of the workers it gets now
    workers: int
    playing: int  # runs playing on this service


@dataclass(eq=False, repr=False)
class Job:
    """One run as the service knows it: its data, configs and state (plain data), its records so far, and its place
    in the schedule. Every field is the service's, changed under its lock; a LiveRun reads them through
    ``TrainingService.view``."""

    data: dict
    digest: str
    configs: list  # plain dicts (slices.plain_configs)
    owner: Hashable | None
    first_epoch_seconds: float  # the engine's estimate, until a slice measures it
    observe: Callable | None = None  # measures more at each epoch boundary, where the slice runs (slices.advance)
    state: dict | None = None
    records: list[EpochRecord] = field(default_factory=list)
    observed: list = field(default_factory=list)  # the observer's rows, epoch 0's first
    error: str | None = None
    compute_seconds: float = 0.0
    epoch_seconds: float | None = None  # measured: a slice's engine time per epoch
    active: bool = False  # playing: wants slices while its lease lasts
    lease_until: float = 0.0
    in_flight: bool = False  # a slice of it is with a worker
    queued: bool = False
    played_epochs: int = 0  # epochs trained while it played...
    played_seconds: float = 0.0  # ...and the wall time they took, turns waited for included (TrainingService.pace)
    played_since: float = 0.0  # when the last of those epochs came back (or play began)
    slice_log: list[int] = field(default_factory=list)  # the service's dispatch numbers of this run's slices

    @property
    def epoch(self) -> int:
        return 0 if self.state is None else slices.epoch_of(self.state)

    @property
    def planned(self) -> int:
        return self.configs[0]["epochs"] if self.state is None else slices.planned_epochs(self.state)

    @property
    def done(self) -> bool:
        return self.state is not None and slices.is_done(self.state)


@dataclass(frozen=True)
class View:
    """A consistent look at a job between two slices."""

    records: int  # how many of job.records (a list that only grows) belong to this view
    observed: int  # how many of job.observed (it only grows too)
    state: dict | None
    error: str | None
    compute_seconds: float


@dataclass(eq=False, repr=False)
class _Request:
    job: Job
    epochs: int
    with_data: bool
    waiter: threading.Event | None = None  # synchronous: the caller waits on it
    error: BaseException | None = None
    started: float = 0.0
    retried: bool = False


class RoundRobin:
    """The order in which runs get workers: synchronous requests first, in arrival order; then playing runs in turn,
    one slice each, a run whose slice came back joining the back of the line. Plain logic, no threads."""

    def __init__(self):
        self.urgent: deque = deque()
        self.ready: deque = deque()

    def add(self, job) -> None:
        self.ready.append(job)

    def add_urgent(self, request, first: bool = False) -> None:
        (self.urgent.appendleft if first else self.urgent.append)(request)

    def remove(self, job) -> None:
        self.ready = deque(waiting for waiting in self.ready if waiting is not job)

    def next(self, eligible: Callable[[object], bool]):
        """The next urgent request, else the first ready job that is ``eligible``; the ineligible ones met on the
        way leave the line. Returns (urgent request or None, job or None, jobs that left)."""
        if self.urgent:
            return self.urgent.popleft(), None, []
        left = []
        while self.ready:
            job = self.ready.popleft()
            if eligible(job):
                return None, job, left
            left.append(job)
        return None, None, left

    def ahead_of(self, job) -> int | None:
        """How many are served before ``job``; None if it is not in line."""
        for position, waiting in enumerate(self.ready):
            if waiting is job:
                return len(self.urgent) + position
        return None


class TrainingService:
    """Trains every run it is given on ``executor``, fairly: see the module's docstring."""

    def __init__(self, executor=None, slice_seconds: float = SLICE_SECONDS,
                 clock: Callable[[], float] = time.monotonic, inline_seconds: float = INLINE_SECONDS):
        self.executor = executor if executor is not None else InProcessSlices()
        self.slice_seconds = slice_seconds
        self.inline_seconds = inline_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._changed = threading.Condition(self._lock)  # a job's records, state or playing changed
        self._line = RoundRobin()
        self._running = 0
        self._dispatched = 0
        self._owners: dict[Hashable, Job] = {}
        self._slice_wall = slice_seconds  # the mean wall time of a slice, dispatch to return (recent ones weigh more)
        self._closed = False
        self._thread = threading.Thread(target=self._dispatch, name="relu-lab-scheduler", daemon=True)
        self._thread.start()

    # -- what LiveRun calls ---------------------------------------------------------------------------------

    def open(self, ds, configs: list[TrainConfig], owner: Hashable | None = None,
             observe: Callable | None = None) -> Job:
        """A new job for ``configs`` on ``ds``, with the records of epoch 0 (the networks at init); ``observe``
        measures more at every epoch boundary (``core.engine.slices``)."""
        data = slices.training_data(ds)
        first = training_work(ds, configs, epochs=1, at_init=False) / WORK_PER_SECOND
        job = Job(data, slices.data_digest(data), slices.plain_configs(configs), owner, first, observe)
        self.run(job, 0)
        return job

    def run(self, job: Job, epochs: int) -> int:
        """Train ``job`` ``epochs`` epochs now (0 on a new job: epoch 0) and wait for them; returns how many epochs
        it recorded. Pauses the job first. Goes to the first free worker, before every playing run; but runs in
        the caller's thread for an in-process service, while the worker processes are still starting, or when it
        is so small (under ``inline_seconds``, as one Step of the default experiment) that the trip to a worker,
        and the wait for one, would cost more than the work."""
        with self._lock:
            self._stop(job)
            self._settle(job)
            if job.done:
                return 0
            state, before = job.state, len(job.records)
            estimate = max(epochs, 1) * self._per_epoch(job)
        if self.executor.inline or not self.executor.ready or estimate <= self.inline_seconds:
            new_state, rows, seconds, observed = slices.advance(job.data, job.configs, state, epochs, job.observe)
            with self._lock:
                self._apply(job, new_state, slices.epoch_records(rows), seconds, observed)
                self._changed.notify_all()
        else:
            request = _Request(job, epochs, with_data=self.executor.sends_data, waiter=threading.Event())
            with self._lock:
                if self._closed:
                    raise RuntimeError("The training service is shut down.")
                self._line.add_urgent(request)
                self._wake.notify()
            request.waiter.wait()
            if request.error is not None:
                raise request.error
        with self._lock:
            return len({record.epoch for record in job.records[before:]})

    def play(self, job: Job, lease: float) -> None:
        """Let ``job`` take its turns until it is done or paused, or ``lease`` seconds after the last call."""
        with self._lock:
            job.lease_until = self._clock() + lease
            if job.done or job.error is not None or self._closed:
                return
            if not job.active:
                job.active = True
                job.played_since = self._clock()
                previous = self._owners.get(job.owner) if job.owner is not None else None
                if previous is not None and previous is not job:
                    self._stop(previous)  # one live run per owner: the page's new run replaces its old one
                if job.owner is not None:
                    self._owners[job.owner] = job
            if not job.in_flight and not job.queued:
                job.queued = True
                self._line.add(job)
                self._wake.notify()

    def pause(self, job: Job) -> None:
        """Take ``job`` out of turn, and wait for a slice of it still with a worker (its epochs are kept): from
        then on it stays at the epoch it shows."""
        with self._lock:
            self._stop(job)
            self._settle(job)

    def extend(self, job: Job, epochs: int) -> None:
        """Pause ``job`` and plan ``epochs`` more epochs for it (``slices.extend``)."""
        with self._lock:
            self._stop(job)
            self._settle(job)
            job.state = slices.extend(job.state, epochs)
            self._changed.notify_all()

    def playing(self, job: Job) -> bool:
        with self._lock:
            return self._playing(job)

    def epoch_seconds(self, job: Job) -> float:
        """``job``'s engine time per epoch: measured by its slices, or until then the engine's estimate (with a
        margin)."""
        with self._lock:
            return self._per_epoch(job)

    @staticmethod
    def _per_epoch(job: Job) -> float:
        return job.epoch_seconds or FIRST_SLICE_MARGIN * job.first_epoch_seconds

    def view(self, job: Job) -> View:
        with self._lock:
            return View(len(job.records), len(job.observed), job.state, job.error, job.compute_seconds)

    def wait(self, job: Job, seconds: float) -> None:
        """Sleep ``seconds``, or less: until ``job`` stops playing (done, paused, failed, out of lease)."""
        deadline = self._clock() + seconds
        with self._lock:
            while self._playing(job):
                remaining = min(deadline, job.lease_until) - self._clock()
                if remaining <= 0:
                    return
                self._changed.wait(remaining)

    def pace(self, job: Job) -> tuple[int, float]:
        """Epochs trained while ``job`` played, and the wall time they took (waits for a turn included): the pace
        its viewer sees (``core.engine.pace.remaining_seconds`` turns it into the time left)."""
        with self._lock:
            return job.played_epochs, job.played_seconds

    def place(self, job: Job) -> QueuePlace | None:
        """Where ``job`` waits for its next slice, or None when it is not waiting in line."""
        with self._lock:
            ahead = self._line.ahead_of(job)
            if ahead is None or not self._playing(job):
                return None
            workers = max(1, self.executor.workers)
            playing = len(self._line.ready) + self._running
            next_in = (ahead // workers + 1) * self._slice_wall
            per_slice = max(1, self._slice_epochs(job))
            turns = math.ceil(max(job.planned - job.epoch, 0) / per_slice)
            finish_in = next_in + max(turns - 1, 0) * self._slice_wall * max(playing / workers, 1.0)
            return QueuePlace(ahead, next_in, finish_in, workers, playing)

    def counts(self) -> dict:
        """Workers, slices in flight, runs waiting in line: for the benchmark and the tests."""
        with self._lock:
            return {"workers": self.executor.workers, "running": self._running, "waiting": len(self._line.ready),
                    "urgent": len(self._line.urgent), "dispatched": self._dispatched,
                    "slice_seconds": self._slice_wall}

    def close(self) -> None:
        """Stop scheduling and shut the executor down (its worker processes exit)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            waiting = list(self._line.urgent)
            self._line.urgent.clear()
            self._wake.notify_all()
            self._changed.notify_all()
        for request in waiting:
            request.error = RuntimeError("The training service is shut down.")
            request.waiter.set()
        self._thread.join()
        self.executor.close()

    @property
    def closed(self) -> bool:
        return self._closed

    # -- inside, under the lock ------------------------------------------------------------------------------

    def _playing(self, job: Job) -> bool:
        return job.active and self._clock() < job.lease_until and not job.done and job.error is None

    def _stop(self, job: Job) -> None:
        """Out of turn: no more slices (one still with a worker comes back and is kept)."""
        job.active = False
        if job.queued:
            job.queued = False
            self._line.remove(job)
        if job.owner is not None and self._owners.get(job.owner) is job:
            del self._owners[job.owner]
        self._changed.notify_all()

    def _settle(self, job: Job) -> None:
        """Wait (releasing the lock) until no slice of ``job`` is with a worker."""
        while job.in_flight and not self._closed:
            self._changed.wait()

    def _slice_epochs(self, job: Job) -> int:
        """Epochs for about ``slice_seconds`` of the run's measured epochs; one until a slice has measured them."""
        if not job.epoch_seconds:
            return 1
        wanted = self.slice_seconds / job.epoch_seconds
        return int(max(1, min(job.planned - job.epoch, round(wanted))))

    def _apply(self, job: Job, state: dict, records: list[EpochRecord], seconds: float, observed: list,
               played: bool = False) -> None:
        trained = slices.epoch_of(state) - job.epoch if job.state is not None else 0
        job.state = state
        job.records.extend(records)
        job.observed.extend(observed)
        job.compute_seconds += seconds
        if played and trained > 0:
            now = self._clock()
            job.played_epochs += trained
            job.played_seconds += now - job.played_since
            job.played_since = now
        if trained > 0:
            measured = seconds / trained
            job.epoch_seconds = measured if job.epoch_seconds is None else 0.5 * (job.epoch_seconds + measured)

    def _dispatch(self) -> None:
        """The scheduler's thread: whenever a worker is free, hand it the next slice in line."""
        while True:
            with self._lock:
                request = None
                while request is None:
                    if self._closed:
                        return
                    if self._running < self.executor.workers:
                        request = self._next_request()
                    if request is None:
                        self._wake.wait(self._until_a_lease_ends())
                self._running += 1
                self._dispatched += 1
                request.job.slice_log.append(self._dispatched)
                request.started = self._clock()
                job = request.job
                data = job.data if request.with_data else None
                arguments = (job.digest, data, job.configs, job.state, request.epochs, job.observe)
            try:
                future = self.executor.submit(*arguments)
            except Exception as error:  # noqa: BLE001 - a pool that takes no more work: the run says why
                self._finished(request, None, error)
                continue
            future.add_done_callback(lambda done, request=request: self._returned(request, done))

    def _next_request(self) -> _Request | None:
        urgent, job, left = self._line.next(self._playing)
        for gone in left:  # paused, done or out of lease: out of turn (a viewer who left drops the run here)
            gone.queued = False
            self._stop(gone)
        if urgent is not None:
            return urgent
        if job is None:
            return None
        job.queued, job.in_flight = False, True
        return _Request(job, self._slice_epochs(job), with_data=self.executor.sends_data)

    def _until_a_lease_ends(self) -> float | None:
        """How long the scheduler may sleep: until the first lease in line runs out (to drop that run), or until
        woken."""
        leases = [job.lease_until for job in self._line.ready]
        return max(min(leases) - self._clock(), 0.001) if leases else None

    def _returned(self, request: _Request, future) -> None:
        try:
            result = future.result()
        except BaseException as error:  # noqa: BLE001 - the run, or the synchronous caller, is told
            self._finished(request, None, error)
        else:
            self._finished(request, result, None)

    def _finished(self, request: _Request, result: dict | None, error: BaseException | None) -> None:
        """A slice came back (in the executor's thread): keep its epochs, and put its run back in line if it
        still plays."""
        if error is not None:
            self.executor.recover(error)
        records = slices.epoch_records(result["records"]) if result and "records" in result else []
        job = request.job
        with self._lock:
            self._running -= 1
            self._wake.notify()
            if result is not None and "missing" in result:  # the worker lacks this run's data: again, with it
                request.with_data = True
                self._line.add_urgent(request, first=True)
                return
            if isinstance(error, BrokenExecutor) and not request.retried and not self._closed:
                # A worker died under this slice (or another in its pool): a slice is a pure function, so run it
                # once more on the new pool; a slice that kills its worker twice fails the run.
                request.retried = True
                self._line.add_urgent(request, first=True)
                return
            wall = self._clock() - request.started
            self._slice_wall = 0.8 * self._slice_wall + 0.2 * wall
            if request.waiter is None:
                job.in_flight = False
            if error is not None and request.waiter is None:
                job.error = f"{type(error).__name__}: {error}"
                self._stop(job)
            elif error is None:
                self._apply(job, result["state"], records, result["seconds"], result["observed"],
                            played=request.waiter is None)
                if job.active and not job.queued:
                    if self._playing(job):
                        job.queued = True
                        self._line.add(job)
                    else:
                        self._stop(job)  # done, or its viewer left
            self._changed.notify_all()
            request.error = error
        if request.waiter is not None:
            request.waiter.set()


_services: dict[str, TrainingService] = {}
_services_lock = threading.Lock()


def _service(name: str, make: Callable[[], object]) -> TrainingService:
    with _services_lock:
        service = _services.get(name)
        if service is None or service.closed:
            service = _services[name] = TrainingService(make())
            atexit.register(service.close)
        return service


def shared_service() -> TrainingService:
    """The web server's service, one per process: worker processes (or a Dask cluster, see
    ``executor_from_environment``), started at the first call and shut down when the process exits."""
    return _service("shared", executor_from_environment)


def local_service() -> TrainingService:
    """The in-process service: what a LiveRun made without one trains on (scripts, tests, the CLI)."""
    return _service("local", InProcessSlices)
