"""Session-state helpers: each browser session owns its runs; nothing mutable is shared between users.

The engine work of every session's runs goes to the server's one training service (``core.engine.service``: worker
processes, taking turns by slice). A session reaches only its own runs: the ``LiveRun`` objects in its own session
state, which the service knows by nothing a user could name, and its owner token (one live run per page).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import streamlit as st

from core.engine.data import load_dataset
from core.engine.limits import MAX_EPOCHS
from core.engine.live import LiveRun
from core.engine.service import TrainingService, shared_service
from core.settings import Experiment

OWNER_KEY = "session.owner"  # this session's random token: with a page's run key, the owner of its one live run


@st.cache_data(max_entries=64, show_spinner=False)
def cached_dataset(name: str, n_samples: int, noise: float, test_size: float, seed: int):
    """Datasets are immutable and shared safely; the cache spares reloading them on every rerun."""
    return load_dataset(name, n_samples=n_samples, noise=noise, test_size=test_size, seed=seed)


def dataset_for(experiment: Experiment):
    return cached_dataset(experiment.dataset, experiment.n_samples, experiment.noise, experiment.test_size,
                          experiment.first_seed)


def training_service() -> TrainingService:
    """The server's training service, one per process, started (in the background) by the first page that trains."""
    return shared_service()


def owner(key: str) -> tuple[str, str]:
    """Who holds the live run under ``key``: this session (its random token) and that key. The service lets an
    owner play one run at a time."""
    return st.session_state.setdefault(OWNER_KEY, secrets.token_hex(16)), key


def live_run(key: str, experiment: Experiment, dataset=None, dataset_key: str | None = None,
             kind: type[LiveRun] = LiveRun) -> tuple[LiveRun, bool]:
    """This session's run for ``key``; a new one (and True) when the experiment's settings changed (a view-only
    setting changes only how the run is drawn: the run is kept, with the new view).

    ``dataset`` is given for data that has no registry name (an upload, ``experiment.dataset == "upload"``);
    ``dataset_key`` (the upload's content hash) then tells one upload from another, so a new file resets the run.
    ``kind`` is the class of run: a ``LiveRun`` subclass measures more after each epoch (Reset keeps the class).
    """
    run: LiveRun | None = st.session_state.get(key)
    if (run is not None and type(run) is kind and run.experiment == experiment
            and getattr(run, "dataset_key", None) == dataset_key):
        run.experiment = experiment  # equal experiments train the same runs; view-only settings may differ
        return run, False
    if run is not None:
        run.pause()  # the old experiment stops training before the new one may start
    new_run = kind(experiment, dataset=dataset if dataset is not None else dataset_for(experiment),
                   service=training_service(), owner=owner(key))
    new_run.dataset_key = dataset_key
    st.session_state[key] = new_run
    return new_run, run is not None


def reset_run(key: str) -> None:
    run: LiveRun | None = st.session_state.get(key)
    if run is not None:
        run.pause()
        new_run = type(run)(run.experiment, dataset=run.dataset, service=run.service, owner=run.owner)
        new_run.dataset_key = getattr(run, "dataset_key", None)
        st.session_state[key] = new_run


SHORTCUTS = {"play": "Space", "step": "Right", "reset": "Home"}  # R is Streamlit's own (rerun), so Reset is Home


def epoch_counter(run: LiveRun, where=None, note: str | None = None) -> None:
    """The run's progress bar, "Epoch k / N" (and `` · note``, e.g. the time left), in ``where`` (presenter mode:
    the transport's last column, see ``transport``; or a placeholder), else in the page's flow; and while it waits
    for a worker on a busy server, its place in line (``queue_text``) under it."""
    text = f"Epoch {run.epoch} / {run.epochs}" + (f" · {note}" if note else "")
    where = where if where is not None else st
    waiting = queue_text(run.place())
    if waiting is None:
        where.progress(run.epoch / run.epochs, text=text)
        return
    with where.container():
        st.progress(run.epoch / run.epochs, text=text)
        st.caption(waiting, help="Every session's training runs in one pool of worker processes, in turns of a "
                                 "fraction of a second each, so every counter moves.")


def more_epochs(run: LiveRun) -> int:
    """How many more epochs a finished run is offered: its experiment's own epochs, within ``MAX_EPOCHS`` in all;
    0 for a run not at the end of its plan (still training, or stopped early because every network diverged)."""
    if run.epoch < run.epochs:
        return 0
    return max(0, min(run.experiment.epochs, MAX_EPOCHS - run.epochs))


def transport(prefix: str, run: LiveRun, playing: bool, start_label: str = "Play", title: str | None = None,
              estimate: str | None = None):
    """Play/Pause, Step and Reset for the live run under ``<prefix>.run``, each with a keyboard shortcut (Space,
    →, Home); with ``title``, the page's title on the same row (presenter mode: one line for both); with
    ``estimate`` (``pages.ui.estimate.run_estimate``), a caption under Play. Returns the row's last column, for the
    run's status (presenter mode puts the epoch counter there).

    A run that finished its epochs offers more instead of Play: "+N epochs" continues it (``LiveRun.extend``: the
    same weights, optimiser state and shuffling; a cosine schedule starts a new cycle), N the experiment's own epochs
    up to ``MAX_EPOCHS`` in all. ``<prefix>.playing`` is the flag a page's fragment reads to keep the run playing
    (see ``redraws``).
    """
    run_key, playing_key = f"{prefix}.run", f"{prefix}.playing"
    more = more_epochs(run)

    def toggle_play():
        playing_now = st.session_state[playing_key] = not st.session_state.get(playing_key, False)
        if playing_now:
            st.session_state[run_key].play()  # the engine starts now, while the page redraws
        else:
            st.session_state[run_key].pause()

    def step():
        st.session_state[playing_key] = False
        st.session_state[run_key].step()

    def train_more():
        st.session_state[run_key].extend(more)
        st.session_state[playing_key] = True
        st.session_state[run_key].play()

    def reset():
        st.session_state[playing_key] = False
        reset_run(run_key)

    widths = [2.0, 1.4, 1.6, 3.0] if title is None else [2.0, 1.6, 1.1, 1.3, 2.0]  # room for "+200 epochs", keys
    columns = st.columns(widths, vertical_alignment="center")
    if title is not None:
        columns[0].markdown(f"### {title}")
    play_col, step_col, reset_col = columns[-4:-1] if title is not None else columns[:3]
    if run.done and more:
        play_col.button(f"+{more:,} epochs", on_click=train_more, type="primary", width="stretch",
                        icon=":material/add:", key=f"{prefix}.play", shortcut=SHORTCUTS["play"],
                        help=f"Train {more:,} more epochs from where the networks are now (same weights, optimiser "
                             "state and shuffling; a cosine schedule starts a new cycle). Key: Space.")
    else:
        label = "Finished" if run.done else "Pause" if playing else start_label if run.epoch == 0 else "Resume"
        play_col.button(label, on_click=toggle_play, type="primary", disabled=run.done, width="stretch",
                        icon=":material/pause:" if playing else ":material/play_arrow:", key=f"{prefix}.play",
                        shortcut=SHORTCUTS["play"], help=f"{'Pause' if playing else 'Train, live'}. Key: Space.")
    if estimate:
        play_col.caption(f":material/schedule: {estimate}")
    step_col.button("Step", on_click=step, icon=":material/skip_next:", disabled=run.done, width="stretch",
                    key=f"{prefix}.step", shortcut=SHORTCUTS["step"], help="Train one epoch. Key: →.")
    reset_col.button("Reset", on_click=reset, icon=":material/restart_alt:", width="stretch", key=f"{prefix}.reset",
                     shortcut=SHORTCUTS["reset"],
                     help="Back to the networks at init. Key: Home (R is Streamlit's own key, to rerun the page).")
    return columns[-1]


def _keep_playing(prefix: str, run: LiveRun) -> bool:
    """For a page's live fragment: renew the run's background training while ``<prefix>.playing`` is set.

    Returns whether it is playing. A failure in the training thread stops play and is shown, not lost.
    """
    playing_key = f"{prefix}.playing"
    if run.error:
        st.session_state[playing_key] = False
        st.error(f"Training stopped: {run.error}. Press Reset, or choose smaller settings.", icon=":material/error:")
        return False
    playing = bool(st.session_state.get(playing_key)) and not run.done
    if playing:
        run.play()
    return playing


def redraws(prefix: str, run: LiveRun, every: float, span: float = 0.0) -> Iterator[bool]:
    """For a page's live fragment: one item per redraw, whether the run is playing (``_keep_playing``).

    While it plays, one fragment run redraws every ``every`` seconds for about ``span`` seconds, and the fragment's
    own timer brings the next run: the browser and the server pay a script run's overhead once per ``span``
    rather than once per redraw. The fragment must then draw into placeholders (``st.empty``), so that each
    redraw replaces the last. Paused, or with ``span`` 0, it is one redraw per run.

    The wait between two redraws ends early if the training stops (``LiveRun.wait``): once the run is done, the
    next redraw shows its last epoch at once; after ``every`` seconds, time for it to reach the browser, the
    page reruns with play stopped, to show its summary. (A rerun at once would drop the redraw's
    messages not yet sent: a new script run clears them, and the room would wait for the whole page.)

    A redraw that would show the epoch already on screen is skipped (the run waits its turn on a busy server), but
    each fragment run draws at least once: what a fragment run does not draw disappears."""
    playing_key, start, shown = f"{prefix}.playing", time.monotonic(), None
    while True:
        playing = _keep_playing(prefix, run)  # False once done: the redraw that follows shows the end
        if shown is None or not playing or run.epoch != shown:
            shown = run.epoch
            yield playing
        if not st.session_state.get(playing_key):  # paused, or the training thread failed
            return
        if not playing:  # done: the end is drawn
            time.sleep(every)
            st.session_state[playing_key] = False
            st.rerun()
        if time.monotonic() - start + every > span:
            return
        run.wait(every)  # the service trains meanwhile (it needs no redraw to go on), maybe to the end


def queue_text(place) -> str | None:
    """What a session waiting for a worker reads under its counter (``LiveRun.place``), or None when nobody is
    ahead of it."""
    if place is None or place.ahead < 1:
        return None
    runs = "run" if place.ahead == 1 else "runs"
    workers = "worker" if place.workers == 1 else "workers"
    return (f"Busy server: {place.ahead} {runs} ahead of yours, about {place.next_in:.1f} s. {place.playing} runs "
            f"take turns on {place.workers} {workers}; yours is done in about {place.finish_in:.0f} s.")
