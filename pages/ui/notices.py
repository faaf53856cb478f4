"""Notices the pages share: work over the engine's cap, runs that diverged, link settings that were ignored."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.lab.convergence import UNSTABLE_FACTOR

TOO_HEAVY = ":material/hourglass:"  # the icon of a notice that settings are over the engine's work cap
DIVERGED_ARENA = "The learning rate is most likely too high for it; the other runs go on."


def within_cap(compute, *args):
    """``compute(*args)``, or None after a notice when the engine refuses the work as over its cap (ValueError)."""
    try:
        return compute(*args)
    except ValueError as error:
        st.warning(str(error), icon=TOO_HEAVY)
        return None


def divergence_notices(diverged: pd.DataFrame, consequence: str = DIVERGED_ARENA) -> None:
    """One warning per diverged run (``core.io.history.divergences``), ending with what it means on this page."""
    for _, row in diverged.iterrows():
        st.warning(f"{row['label']} (seed {row['seed']}) diverged at epoch {row['epoch']}: its loss or weights "
                   f"stopped being finite. {consequence}", icon=":material/warning:")


def instability_notices(unstable: pd.DataFrame) -> None:
    """One warning per unstable run (``core.lab.convergence.instabilities``): finite, but far from learning."""
    for _, row in unstable.iterrows():
        st.warning(f"{row['label']} (seed {row['seed']}) is unstable: its training loss rose from "
                   f"{row['loss_at_init']:.3g} at init to {row['peak_loss']:.3g} (above {UNSTABLE_FACTOR:g}× its start "
                   f"from epoch {row['epoch']}), though still finite. The learning rate is most likely too high for "
                   "it.", icon=":material/trending_up:")


def ignored_link_notice(ignored: list[str]) -> None:
    """The settings of the link the page was opened with that were not valid, each with why."""
    if ignored:
        st.warning("These link settings were not valid and were ignored (their defaults are used): "
                   + "; ".join(ignored) + ".", icon=":material/link_off:")
