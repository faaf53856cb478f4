"""Strict reading, shared by every reader of a file a user sends: text within a size cap, JSON with no NaN or
duplicate keys, exact key sets and a format marker. Anything malformed raises a ``ValueError`` that says what is
wrong, never another exception."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import NoReturn

from core.engine.limits import is_whole

FORMAT_VERSION = 1


def fail(message: str) -> NoReturn:
    """Raise ``ValueError(message)``: the one way a reader refuses a file."""
    raise ValueError(message)


def text_of(data, what: str, max_chars: int) -> str:
    """``data`` as text (an upload may arrive as bytes), refused beyond ``max_chars``."""
    if isinstance(data, bytes | bytearray):
        if len(data) > 4 * max_chars:
            fail(f"The {what} is too large: at most {max_chars:,} characters.")
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValueError(f"The {what} is not UTF-8 text.") from err
    if not isinstance(data, str):
        fail(f"The {what} must be text, got {type(data).__name__}.")
    if len(data) > max_chars:
        fail(f"The {what} is too large: {len(data):,} characters, at most {max_chars:,}.")
    return data


def brief(value, limit: int = 60) -> str:
    """``repr(value)`` for a message, cut to ``limit`` characters: a file's value can be a thousand digits long."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 1]}…"


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows.")


def _no_duplicate_keys(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"Duplicate key {key!r}.")
        out[key] = value
    return out


def parse_json(data, what: str, max_chars: int):
    """Strict JSON: no NaN/Infinity, no duplicate keys; any parse error becomes a ValueError naming ``what``."""
    text = text_of(data, what, max_chars)
    try:
        return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as err:
        raise ValueError(f"The {what} is not valid JSON: {err.msg} (line {err.lineno}, column {err.colno}).") from err
    except ValueError as err:
        raise ValueError(f"The {what} is not valid: {err}") from err
    except RecursionError as err:
        raise ValueError(f"The {what} is nested too deeply.") from err


def check_keys(data, required: tuple[str, ...], what: str) -> None:
    if not isinstance(data, dict):
        fail(f"The {what} must be a JSON object.")
    unknown = set(data) - set(required)
    if unknown:
        fail(f"Unknown key(s) in the {what}: {', '.join(sorted(unknown))}.")
    missing = [key for key in required if key not in data]
    if missing:
        fail(f"Missing key(s) in the {what}: {', '.join(missing)}.")


def check_format(data: dict, expected: str, what: str, versions: tuple[int, ...] = (FORMAT_VERSION,)) -> None:
    """The format marker is ``expected`` and the format_version one of ``versions``."""
    if data["format"] != expected:
        fail(f"Not a {what}: format is {brief(data['format'])}, expected {expected!r}.")
    if not is_whole(data["format_version"]) or data["format_version"] not in versions:
        fail(f"Unsupported {what} format_version {brief(data['format_version'])}; this version reads "
             f"{' and '.join(str(v) for v in versions)}.")


# --- CSV: the shape of every record, counted before pandas builds anything ----------------------------------------
# pandas builds every column of a wide row before any check of ours could run (a first data row of 600,000 fields
# costs it seconds and gigabytes), so readers count each record's fields first. Python's csv module tokenises as
# pandas' C parser does with its defaults (quote '"', doubled quotes, no escape character; a record ends at \n, \r
# or \r\n outside quotes, never at U+2028 and the like), in C and in time linear in the text.


def csv_records(text: str, delimiter: str, what: str, skipinitialspace: bool = False
                ) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each record of ``text`` that pandas does not skip as blank; the line number is the
    record's last physical line, 1-based. A malformed record raises ValueError."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=skipinitialspace,
                        strict=False)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            if "field larger than field limit" in str(err):
                fail(f"A field of the {what} near line {reader.line_num:,} is longer than "
                     f"{csv.field_size_limit():,} characters: check for an unbalanced quote.")
            fail(f"The {what} could not be read as CSV near line {reader.line_num:,}: {err}.")
        if len(fields) > 1 or (fields and fields[0].strip()):
            yield reader.line_num, fields


def check_record_widths(text: str, delimiter: str, what: str, max_fields: int, too_wide_advice: str,
                        skipinitialspace: bool = False) -> int:
    """The header's field count, once every record is checked: the header has at most ``max_fields`` fields and no
    record has more fields than the header. ValueError otherwise, naming the record's line."""
    header = None
    for line, fields in csv_records(text, delimiter, what, skipinitialspace):
        if header is None:
            header = len(fields)
            if header > max_fields:
                fail(f"The {what} has {header:,} columns; the limit is {max_fields} columns{too_wide_advice}")
        elif len(fields) > header:
            fail(f"Line {line} has {len(fields):,} fields but the header has {header}. Every row needs one value "
                 "per column (check for stray delimiters or unquoted text).")
    if header is None:
        fail(f"The {what} has no header row. The first line must name the columns.")
    return header
