"""A user's CSV file, read defensively and turned into a ``Dataset``.

``read_csv_bytes`` takes the raw bytes of an upload and returns a DataFrame, or refuses with a
``ValueError`` whose message says, in plain English, what is wrong and what to do. Every step costs time
linear in the file's size, and each cap is checked before the step it protects:

1. the size, before decoding anything; binary data is refused; UTF-8 (with or without a byte-order mark),
   else Latin-1;
2. the delimiter: a comma, semicolon, tab or vertical bar, guessed from the first records of a bounded sample
   (``guess_delimiter``); with a semicolon, a decimal comma ("1,5") is read as a decimal mark when the file
   has no decimal points (European spreadsheets);
3. every record's fields are counted (``core.io.strict.check_record_widths``) before pandas builds a column:
   at most ``MAX_COLUMNS``, and no row wider than the header;
4. the header is split by pandas itself and its names are checked after parsing (unique, not empty), so the
   names checked are the names the table gets;
5. pandas' C parser reads at most ``MAX_ROWS + 1`` rows: no ``eval``, no converters, nothing executable (and
   never ``pickle``).

``prepare_upload`` drops rows with missing values (reporting how many) and hands the rest to
``core.engine.data.dataset_from_frame``, which does the encoding, the checks on the target and the split.

Nothing here imports streamlit.
"""

from __future__ import annotations

import io
import re
import warnings

import pandas as pd

from core.engine.data import Dataset, dataset_from_frame, drop_missing
from core.engine.limits import (
    DELIMITER_SAMPLE_CHARS,
    DELIMITER_SAMPLE_RECORDS,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
)
from core.io.strict import check_record_widths, csv_records, fail

DELIMITERS = ",;\t|"
# Control characters that never occur in a text table (tab, newline and carriage return are fine).
_C0_CONTROLS = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_C1_CONTROLS = re.compile(r"[\x80-\x9f]")
_FIELDS_ERROR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
# A number in a semicolon-separated field, with a decimal comma ("-1,5", ",5", "2,5e3") or a decimal point.
_DECIMAL_COMMA = re.compile(r"(?:^|;)[ ]*[+-]?\d*,\d+(?:[eE][+-]?\d+)?[ ]*(?=;|\r|\n|$)", re.M)
_DECIMAL_POINT = re.compile(r"(?:^|;)[ ]*[+-]?\d*\.\d+(?:[eE][+-]?\d+)?[ ]*(?=;|\r|\n|$)", re.M)
_FIRST_TEXT = re.compile(r"\S")
_TOO_WIDE_ADVICE = f" (and {MAX_ROWS:,} rows). Keep only the columns you need."


def _megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:.1f} MB"


def _decode(data: bytes) -> str:
    """UTF-8 (a byte-order mark is skipped), else Latin-1; binary data is refused."""
    if b"\x00" in data:
        fail("This file contains binary data (NUL bytes), so it is not a CSV text file. "
             "Export the table as CSV and upload that.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # every byte is a Latin-1 character; the checks below catch junk
        if len(_C1_CONTROLS.findall(text)) > max(3, len(text) // 100):
            fail("This file is neither UTF-8 nor Latin-1 text; it looks like binary data. "
                 "Save the table as CSV (UTF-8) and upload that.")
    if _C0_CONTROLS.search(text):
        fail("This file contains control characters that do not occur in a CSV text file; "
             "it looks like binary data. Save the table as CSV (UTF-8) and upload that.")
    return text


def _sample_widths(text: str, delimiter: str) -> list[int]:
    """Field counts of the first records within the sample, which starts at the first line that is not blank (a
    record the sample cuts off is left out)."""
    first_text = _FIRST_TEXT.search(text)
    start = 0 if first_text is None else max(text.rfind("\n", 0, first_text.start()),
                                             text.rfind("\r", 0, first_text.start())) + 1
    sample = text[start:start + DELIMITER_SAMPLE_CHARS]
    records = csv_records(sample, delimiter, "file", skipinitialspace=True)
    widths = [len(fields) for _, (_, fields) in zip(range(DELIMITER_SAMPLE_RECORDS + 1), records, strict=False)]
    if start + len(sample) < len(text) and len(widths) > 1:
        widths.pop()
    return widths[:DELIMITER_SAMPLE_RECORDS]


def guess_delimiter(text: str) -> str:
    """The delimiter among ``DELIMITERS`` that splits the header and gives every sampled row as many fields as the
    header, the most fields if several do (a comma in "length (cm, mean);width" splits every row alike, in two),
    the first in ``DELIMITERS`` on a tie; else the first that splits the header. Work bounded by the sample
    (``DELIMITER_SAMPLE_CHARS``), however large the file: csv.Sniffer's cost grew with the square of it."""
    consistent, splitting = [], []
    for delimiter in DELIMITERS:
        widths = _sample_widths(text, delimiter)
        if widths and widths[0] > 1:
            splitting.append(delimiter)
            if all(width == widths[0] for width in widths):
                consistent.append((widths[0], delimiter))
    if consistent:
        return max(consistent, key=lambda pair: pair[0])[1]  # max keeps the first of equals
    if splitting:
        return splitting[0]
    fail("The header row has a single column: could not find a delimiter (comma, semicolon, tab or "
         "vertical bar). A table needs a target column and at least one feature column, separated by commas.")


def decimal_mark(text: str, delimiter: str) -> str:
    """"," for a semicolon-separated file whose numbers have decimal commas and none a decimal point (as European
    spreadsheets write them); "." otherwise. One linear pass of two anchored patterns."""
    if delimiter == ";" and _DECIMAL_COMMA.search(text) and not _DECIMAL_POINT.search(text):
        return ","
    return "."


def _header_names(text: str, delimiter: str) -> list[str]:
    """The header's names as pandas splits them (its own parser, on the first record), stripped; refused when
    two are the same or one is empty. pandas would rename them ("x.1", "Unnamed: 2") and hide the mistake."""
    try:
        header = pd.read_csv(io.StringIO(text), sep=delimiter, engine="c", header=None, nrows=1, dtype=str,
                             keep_default_na=False, na_filter=False, skipinitialspace=True, index_col=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError, OverflowError, MemoryError):
        fail("The file could not be read as a CSV table (unbalanced quotes or malformed rows). "
             "Check it opens cleanly in a spreadsheet and export it again.")
    names = [str(name).strip() for name in header.iloc[0]] if len(header) else []
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        fail(f"Duplicate column names: {', '.join(repr(n) for n in repeated)}. Each column needs its own name.")
    if any(not n for n in names):
        fail("A column has an empty name in the header row. Give every column a name.")
    return names


def _parse(text: str, delimiter: str, names: list[str]) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(io.StringIO(text), sep=delimiter, engine="c", header=0, names=names,
                               nrows=MAX_ROWS + 1, index_col=False, skipinitialspace=True,
                               decimal=decimal_mark(text, delimiter))
    except pd.errors.ParserWarning:
        fail("The first data row has more fields than the header row. Every row needs one value per column.")
    except pd.errors.EmptyDataError:
        fail("The file has no header row. The first line must name the columns.")
    except pd.errors.ParserError as error:
        match = _FIELDS_ERROR.search(str(error))
        if match:
            expected, line, saw = match.groups()
            fail(f"Line {line} has {saw} fields but the header has {expected}. "
                 "Every row needs one value per column (check for stray delimiters or unquoted text).")
        fail("The file could not be read as a CSV table (unbalanced quotes or malformed rows). "
             "Check it opens cleanly in a spreadsheet and export it again.")
    except (UnicodeError, OverflowError, MemoryError):
        fail("The file could not be read as a CSV table. Export it again as plain CSV.")


def read_csv_bytes(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> pd.DataFrame:
    """Parse an uploaded CSV file's bytes into a DataFrame, or raise ValueError saying what is wrong."""
    if not isinstance(data, bytes | bytearray | memoryview):
        fail(f"Expected the file's bytes; got {type(data).__name__}.")
    data = bytes(data)
    if len(data) > max_bytes:  # before any decoding or parsing
        fail(f"The file is {_megabytes(len(data))}; the limit is {_megabytes(max_bytes)}. "
             f"Upload a sample of at most {MAX_ROWS:,} rows.")
    if not data.strip():
        fail("The file is empty. Upload a CSV file with a header row and rows of data.")
    text = _decode(data)
    if not text.strip():
        fail("The file is empty. Upload a CSV file with a header row and rows of data.")
    delimiter = guess_delimiter(text)
    check_record_widths(text, delimiter, "file", MAX_COLUMNS, _TOO_WIDE_ADVICE, skipinitialspace=True)
    frame = _parse(text, delimiter, _header_names(text, delimiter))
    if frame.shape[1] < 2:
        fail("The table has a single column: could not find a delimiter that splits the rows. "
             "A table needs a target column and at least one feature column.")
    if frame.shape[0] == 0:
        fail("The file has a header row but no data rows.")
    if frame.shape[0] > MAX_ROWS:
        fail(f"The file has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,} rows "
             f"(and {MAX_COLUMNS} columns). Upload a random sample.")
    return frame


def prepare_upload(df: pd.DataFrame, target: str, task: str | None = None, test_size: float = 0.25, seed: int = 0,
                   name: str = "uploaded") -> tuple[Dataset, list[str]]:
    """Drop rows with missing values, then build the Dataset; returns it and notes for the user."""
    if target not in df.columns:
        fail(f"Target column {target!r} is not in the table.")
    empty = [str(c) for c in df.columns if df[c].isna().all()]
    if len(empty) == df.shape[1]:
        fail("Every cell of the table is missing (empty or NaN); there is nothing to train on.")
    if target in empty:
        fail(f"The target column {target!r} has no values (every cell is missing). Choose another target column.")
    if empty:
        fail(f"Column(s) {', '.join(repr(c) for c in empty)} have no values (every cell is missing). "
              "Remove them and upload again.")
    kept, dropped = drop_missing(df)
    notes = []
    if dropped:
        if kept.empty:
            fail(f"Every one of the {len(df):,} rows has a missing value, so nothing is left to train on. "
                  "Fill the gaps or remove the columns that have them.")
        notes.append(f"Dropped {dropped:,} rows with missing values ({len(kept):,} of {len(df):,} rows kept).")
    dataset = dataset_from_frame(kept, target, task=task, test_size=test_size, seed=seed, name=name)
    return dataset, notes
