"""Strict reading, shared by every reader of a file a user sends: text within a size cap, JSON with no NaN or
duplicate keys, exact key sets and a format marker. Anything malformed raises a ``ValueError`` that says what is
wrong, never another exception."""

from __future__ import annotations

import json
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


def check_format(data: dict, expected: str, what: str) -> None:
    if data["format"] != expected:
        fail(f"Not a {what}: format is {data['format']!r}, expected {expected!r}.")
    if not is_whole(data["format_version"]) or data["format_version"] != FORMAT_VERSION:
        fail(f"Unsupported {what} format_version {data['format_version']!r}; this version reads {FORMAT_VERSION}.")
