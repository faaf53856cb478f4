"""Test-wide settings.

Hypothesis runs derandomised by default, so CI on a clean clone sees the same examples every time; set
HYPOTHESIS_PROFILE=explore to search new ones locally.
"""

import os

from hypothesis import settings

settings.register_profile("default", derandomize=True, deadline=None)
settings.register_profile("explore", derandomize=False, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
