"""Numbers as the pages print them for people (and a projector): one place for each format."""

from __future__ import annotations

import math

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def ratio(value: float) -> str:
    """0.29 or 1.3 × 10⁻⁶: a ratio readable on a projector."""
    if not math.isfinite(value):
        return "not measurable"
    if value == 0 or 0.01 <= abs(value) < 100:
        return f"{value:.2g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(SUPERSCRIPT)}"


def percent(value: float) -> str:
    """73% ("diverged" for NaN: a run whose numbers stopped being finite)."""
    return f"{value:.0%}" if value == value else "diverged"


def times(value: float) -> str:
    """2.4× (a factor)."""
    return f"{value:.1f}×"


def power_of_ten(log10: float) -> str:
    """10^x as LaTeX for st.markdown, to one decimal."""
    if not math.isfinite(log10):
        return "not measurable"
    return f"$10^{{{round(log10, 1) + 0.0:.1f}}}$"  # + 0.0 turns -0.0 into 0.0


def seconds(value: float) -> str:
    """A duration as an estimate reads it: "under a second", "4 s", "1 min 20 s", "12 min"."""
    if value < 1:
        return "under a second"
    value = round(value)
    if value < 60:
        return f"{value} s"
    minutes, rest = divmod(value, 60)
    if minutes >= 10 or rest == 0:
        return f"{round(value / 60)} min"
    return f"{minutes} min {rest} s"


def ago(elapsed: float) -> str:
    """How long ago something happened: "just now", "40 s ago", "3 min ago", "2 h ago", "5 days ago"."""
    if elapsed < 10:
        return "just now"
    for unit, size in (("day", 86_400), ("h", 3_600), ("min", 60)):
        if elapsed >= size:
            count = int(elapsed // size)
            return f"{count} {unit}{'s' if unit == 'day' and count > 1 else ''} ago"
    return f"{int(elapsed)} s ago"
