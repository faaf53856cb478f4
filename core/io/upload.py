"""A user's CSV file, read defensively and turned into a ``Dataset``.

``read_csv_bytes`` takes the raw bytes of an upload and returns a DataFrame, or refuses with a
``ValueError`` whose message says, in plain English, what is wrong and what to do. It checks the
size before decoding anything, refuses binary data, reads UTF-8 (with or without a byte-order mark)
and falls back to Latin-1, finds a ``;``/tab/``|`` delimiter when a comma does not split the header,
and never reads more than ``MAX_ROWS + 1`` rows. Parsing uses pandas' C parser only: no ``eval``, no
converters, nothing executable (and never ``pickle``).

``prepare_upload`` drops rows with missing values (reporting how many) and hands the rest to
``core.engine.data.dataset_from_frame``, which does the encoding, the checks on the target and the split.

Nothing here imports streamlit.
"""

from __future__ import annotations

import csv
import io
import re
import warnings

import pandas as pd

from core.engine.data import Dataset, dataset_from_frame, drop_missing
from core.engine.limits import MAX_COLUMNS, MAX_ROWS, MAX_UPLOAD_BYTES

DELIMITERS = ",;\t|"
_SNIFF_CHARS = 64 * 1024
# Control characters that never occur in a text table (tab, newline and carriage return are fine).
_C0_CONTROLS = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_C1_CONTROLS = re.compile(r"[\x80-\x9f]")
_FIELDS_ERROR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _fail(message: str) -> None:
    raise ValueError(message)


def _megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:.1f} MB"


def _decode(data: bytes) -> str:
    """UTF-8 (a byte-order mark is skipped), else Latin-1; binary data is refused."""
    if b"\x00" in data:
        _fail("This file contains binary data (NUL bytes), so it is not a CSV text file. "
              "Export the table as CSV and upload that.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # every byte is a Latin-1 character; the checks below catch junk
        if len(_C1_CONTROLS.findall(text)) > max(3, len(text) // 100):
            _fail("This file is neither UTF-8 nor Latin-1 text; it looks like binary data. "
                  "Save the table as CSV (UTF-8) and upload that.")
    if _C0_CONTROLS.search(text):
        _fail("This file contains control characters that do not occur in a CSV text file; "
              "it looks like binary data. Save the table as CSV (UTF-8) and upload that.")
    return text


def _header_fields(text: str, delimiter: str) -> list[str]:
    first_line = next(iter(text.splitlines()), "")
    return next(csv.reader([first_line], delimiter=delimiter), [])


def _sniff_delimiter(text: str) -> str | None:
    try:
        return csv.Sniffer().sniff(text[:_SNIFF_CHARS], delimiters=DELIMITERS).delimiter
    except csv.Error:
        return None


def _choose_delimiter(text: str) -> str:
    """A comma when it splits the header; else the one csv.Sniffer finds among ``DELIMITERS``."""
    if len(_header_fields(text, ",")) > 1:
        return ","
    sniffed = _sniff_delimiter(text)
    if sniffed is not None and len(_header_fields(text, sniffed)) > 1:
        return sniffed
    for delimiter in DELIMITERS[1:]:  # the sniffer can fail on tiny or irregular files
        if len(_header_fields(text, delimiter)) > 1:
            return delimiter
    _fail("The header row has a single column: could not find a delimiter (comma, semicolon, tab or "
          "vertical bar). A table needs a target column and at least one feature column, separated by commas.")
    return ","  # unreachable


def _check_header(fields: list[str]) -> None:
    if len(fields) > MAX_COLUMNS:
        _fail(f"The file has {len(fields):,} columns; the limit is {MAX_COLUMNS} columns "
              f"(and {MAX_ROWS:,} rows). Keep only the columns you need.")
    names = [f.strip() for f in fields]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        _fail(f"Duplicate column names: {', '.join(repr(n) for n in repeated)}. Each column needs its own name.")
    if any(not n for n in names):
        _fail("A column has an empty name in the header row. Give every column a name.")


def _parse(text: str, delimiter: str) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(io.StringIO(text), sep=delimiter, engine="c", nrows=MAX_ROWS + 1, index_col=False,
                               skipinitialspace=True)
    except pd.errors.ParserWarning:
        _fail("The first data row has more fields than the header row. Every row needs one value per column.")
    except pd.errors.EmptyDataError:
        _fail("The file has no header row. The first line must name the columns.")
    except pd.errors.ParserError as error:
        match = _FIELDS_ERROR.search(str(error))
        if match:
            expected, line, saw = match.groups()
            _fail(f"Line {line} has {saw} fields but the header has {expected}. "
                  "Every row needs one value per column (check for stray delimiters or unquoted text).")
        _fail("The file could not be read as a CSV table (unbalanced quotes or malformed rows). "
              "Check it opens cleanly in a spreadsheet and export it again.")
    except (UnicodeError, OverflowError, MemoryError):
        _fail("The file could not be read as a CSV table. Export it again as plain CSV.")
    return pd.DataFrame()  # unreachable


def read_csv_bytes(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> pd.DataFrame:
    """Parse an uploaded CSV file's bytes into a DataFrame, or raise ValueError saying what is wrong."""
    if not isinstance(data, bytes | bytearray | memoryview):
        _fail(f"Expected the file's bytes; got {type(data).__name__}.")
    data = bytes(data)
    if len(data) > max_bytes:  # before any decoding or parsing
        _fail(f"The file is {_megabytes(len(data))}; the limit is {_megabytes(max_bytes)}. "
              f"Upload a sample of at most {MAX_ROWS:,} rows.")
    if not data.strip():
        _fail("The file is empty. Upload a CSV file with a header row and rows of data.")
    text = _decode(data)
    if not text.strip():
        _fail("The file is empty. Upload a CSV file with a header row and rows of data.")
    text = text.lstrip("\r\n")
    delimiter = _choose_delimiter(text)
    _check_header(_header_fields(text, delimiter))
    frame = _parse(text, delimiter)
    if frame.shape[1] < 2:
        _fail("The table has a single column: could not find a delimiter that splits the rows. "
              "A table needs a target column and at least one feature column.")
    if frame.shape[0] == 0:
        _fail("The file has a header row but no data rows.")
    if frame.shape[0] > MAX_ROWS:
        _fail(f"The file has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,} rows "
              f"(and {MAX_COLUMNS} columns). Upload a random sample.")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def prepare_upload(df: pd.DataFrame, target: str, task: str | None = None, test_size: float = 0.25, seed: int = 0,
                   name: str = "uploaded") -> tuple[Dataset, list[str]]:
    """Drop rows with missing values, then build the Dataset; returns it and notes for the user."""
    if target not in df.columns:
        _fail(f"Target column {target!r} is not in the table.")
    empty = [str(c) for c in df.columns if df[c].isna().all()]
    if len(empty) == df.shape[1]:
        _fail("Every cell of the table is missing (empty or NaN); there is nothing to train on.")
    if target in empty:
        _fail(f"The target column {target!r} has no values (every cell is missing). Choose another target column.")
    if empty:
        _fail(f"Column(s) {', '.join(repr(c) for c in empty)} have no values (every cell is missing). "
              "Remove them and upload again.")
    kept, dropped = drop_missing(df)
    notes = []
    if dropped:
        if kept.empty:
            _fail(f"Every one of the {len(df):,} rows has a missing value, so nothing is left to train on. "
                  "Fill the gaps or remove the columns that have them.")
        notes.append(f"Dropped {dropped:,} rows with missing values ({len(kept):,} of {len(df):,} rows kept).")
    dataset = dataset_from_frame(kept, target, task=task, test_size=test_size, seed=seed, name=name)
    return dataset, notes
