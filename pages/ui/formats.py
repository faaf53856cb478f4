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
