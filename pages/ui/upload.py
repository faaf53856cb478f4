"""Your own CSV in the Arena's Data panel: the file, its target column and task, read and checked by the engine."""

from __future__ import annotations

import hashlib

import streamlit as st

from core.engine.data import CLASSIFICATION, REGRESSION, Dataset, guess_task

UPLOAD_CACHE = "upload_cache"  # st.session_state[f"{prefix}.upload_cache"]: this session's last prepared upload


def upload_controls(prefix: str, test_size: float = 0.25, seed: int = 0) -> tuple[Dataset | None, dict]:
    """A CSV upload, its target column and task; returns the prepared Dataset (or None) and facts about it.

    The facts: ``key`` (content hash, target and task: a new value means new data), ``name``, ``notes``.
    Bad input gets an ``st.error`` with the reason and None. The prepared Dataset is kept per session in
    ``st.session_state`` (only the latest one), never in a cache shared between users.
    """
    from core.engine.limits import MAX_UPLOAD_BYTES
    from core.io.upload import prepare_upload, read_csv_bytes

    file = st.file_uploader("CSV file", type=["csv", "txt"], key=f"{prefix}.upload",
                            help=f"Up to {MAX_UPLOAD_BYTES // 2**20} MB, 100,000 rows and 200 columns, with a "
                                 "header row. Text columns with few values are one-hot encoded; rows with "
                                 "missing values are dropped.")
    if file is None:
        st.info("Upload a CSV file with a header row, then pick the column to predict.", icon=":material/upload:")
        return None, {}
    if file.size > MAX_UPLOAD_BYTES:  # checked again here: the server's limit is configuration, not a guarantee
        st.error(f"The file is {file.size / 2**20:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB.")
        return None, {}
    data = file.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    cache_key = f"{prefix}.{UPLOAD_CACHE}"
    cached = st.session_state.get(cache_key)
    if cached is None or cached["digest"] != digest:
        try:
            frame, error = read_csv_bytes(data), None
        except ValueError as problem:
            frame, error = None, str(problem)
        cached = {"digest": digest, "frame": frame, "error": error, "prepared": {}}
        st.session_state[cache_key] = cached
    if cached["error"] is not None:
        st.error(f"This file cannot be used: {cached['error']}", icon=":material/error:")
        return None, {}
    frame = cached["frame"]
    columns = [str(c) for c in frame.columns]
    target_key, task_key = f"{prefix}.upload_target", f"{prefix}.upload_task"
    if cached.get("target_for") != digest or st.session_state.get(target_key) not in columns:
        st.session_state[target_key] = columns[-1]  # a new file: its last column, by default
        cached["target_for"] = digest
    target = st.selectbox("Target column (what to predict)", columns, key=target_key)
    if cached.get("task_for") != (digest, target):
        st.session_state[task_key] = guess_task(frame[target])  # a new target: guess again, the user may change it
        cached["task_for"] = (digest, target)
    task = st.radio("Task", [CLASSIFICATION, REGRESSION], key=task_key, horizontal=True, format_func=str.capitalize,
                    help="Guessed from the target column: text or a few whole numbers are classes.")
    facts_key = (target, task, test_size, seed)
    if facts_key not in cached["prepared"]:
        try:
            result = prepare_upload(frame, target, task, test_size, seed, name=file.name)
        except ValueError as problem:
            result = str(problem)
        cached["prepared"] = {facts_key: result}  # only the latest choice: a session holds one prepared table
    result = cached["prepared"][facts_key]
    if isinstance(result, str):
        st.error(f"This table cannot be trained on: {result}", icon=":material/error:")
        return None, {}
    dataset, notes = result
    for note in notes:
        st.info(note, icon=":material/filter_alt:")
    st.caption(dataset.description)
    key = hashlib.sha256(f"{digest}|{target}|{task}".encode()).hexdigest()
    return dataset, {"key": key, "name": file.name, "notes": notes}
