"""The tidy history (``core.io.history``) as CSV text, and back.

Columns ``epoch, run, activation, seed, layer, metric, value, diverged``, plus any extra columns such as a sweep's
``depth, width, lr``; floats are written with ``repr`` (the shortest text that reads back to the same float), so a
history round-trips exactly. The reader is strict and bounded: anything else raises a ``ValueError``.
"""

from __future__ import annotations

import io

import pandas as pd

from core.engine.limits import MAX_HISTORY_COLUMNS, MAX_HISTORY_CSV_CHARS
from core.io.history import COLUMNS
from core.io.strict import check_record_widths, fail, text_of

_HISTORY_DTYPES = {"epoch": "int64", "run": "int64", "activation": "object", "label": "object", "seed": "int64",
                   "layer": "int64",
                   "metric": "object", "value": "float64", "diverged": "bool"}
_BOOLS = {"True": True, "False": False}


def _format_column(series: pd.Series) -> pd.Series:
    """Text for one column: floats via repr (exact round trip), bools as True/False, the rest as str."""
    if pd.api.types.is_bool_dtype(series):
        return series.map(lambda v: "True" if v else "False")
    if pd.api.types.is_float_dtype(series):
        return pd.Series([repr(float(v)) for v in series], index=series.index, dtype=object)
    return series


def history_csv(frame: pd.DataFrame) -> str:
    """The tidy history (``core.io.history.records_to_frame``) as CSV text; ``read_history_csv`` reads it back exactly.

    Columns are written in the frame's order (extra columns, e.g. a sweep's ``depth, width, lr``,
    are kept); the index is not written. Floats are written with ``repr``, the shortest text that
    parses back to the identical float (NaN as ``nan``).
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        fail(f"Not a history frame: missing column(s) {', '.join(missing)}.")
    text = pd.DataFrame({c: _format_column(frame[c]) for c in frame.columns})
    return text.to_csv(index=False, lineterminator="\n")


def _parse_int_column(values: pd.Series, name: str) -> pd.Series:
    try:
        return pd.Series([int(v) for v in values], index=values.index, dtype="int64")
    except (ValueError, OverflowError) as err:
        raise ValueError(f"Column {name!r} must hold whole numbers: {err}") from err


def _parse_float_column(values: pd.Series, name: str) -> pd.Series:
    try:
        return pd.Series([float(v) for v in values], index=values.index, dtype="float64")
    except ValueError as err:
        raise ValueError(f"Column {name!r} must hold numbers: {err}") from err


def _parse_bool_column(values: pd.Series, name: str) -> pd.Series:
    bad = set(values) - set(_BOOLS)
    if bad:
        fail(f"Column {name!r} must hold True or False, got {sorted(bad)[:3]}.")
    return pd.Series([_BOOLS[v] for v in values], index=values.index, dtype=bool)


def _infer_column(values: pd.Series) -> pd.Series:
    """An extra column: whole numbers -> int64, numbers -> float64, True/False -> bool, else text."""
    if len(values) and set(values) <= set(_BOOLS):
        return _parse_bool_column(values, "")
    for parse in (_parse_int_column, _parse_float_column):
        try:
            return parse(values, "")
        except ValueError:
            continue
    return values.astype(object)


def read_history_csv(text) -> pd.DataFrame:
    """A history frame from ``history_csv`` text, with the dtypes ``records_to_frame`` gives.

    ``epoch, run, seed, layer`` are int64, ``value`` float64, ``diverged`` bool, ``activation`` and
    ``metric`` object; extra columns are inferred (int, float, bool, else text). Raises ValueError
    for anything that is not such a CSV. Bounded: the text's size is capped, then every record's fields are counted
    (at most ``MAX_HISTORY_COLUMNS``, no row wider than the header) before pandas builds a column.
    """
    text = text_of(text, "history CSV", MAX_HISTORY_CSV_CHARS)
    check_record_widths(text, ",", "history CSV", MAX_HISTORY_COLUMNS,
                        f": the history has {len(COLUMNS)} (a sweep adds depth, width and lr).")
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ValueError(f"The history CSV could not be read: {err}") from err
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        fail(f"The history CSV lacks the column(s) {', '.join(missing)}.")
    out = {}
    for name in raw.columns:
        values = raw[name]
        kind = _HISTORY_DTYPES.get(name)
        if kind == "int64":
            out[name] = _parse_int_column(values, name)
        elif kind == "float64":
            out[name] = _parse_float_column(values, name)
        elif kind == "bool":
            out[name] = _parse_bool_column(values, name)
        elif kind == "object":
            out[name] = values.astype(object)
        else:
            out[name] = _infer_column(values)
    return pd.DataFrame(out, columns=list(raw.columns))
