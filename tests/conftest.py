"""Test-wide settings.

Hypothesis runs derandomised by default, so CI on a clean clone sees the same examples every time; set
HYPOTHESIS_PROFILE=explore to search new ones locally.
"""

import os

import pytest
from hypothesis import settings

from tests.support.browser import CHROMIUM_FLAGS, chromium_path

settings.register_profile("default", derandomize=True, deadline=None)
settings.register_profile("explore", derandomize=False, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="module")
def chromium():
    """Debian's headless Chromium through Playwright. Without it, browser tests skip locally with the reason,
    and fail under CI=true, where .ci/run must have installed it."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing under CI: .ci/run must apt-get install chromium.")
        pytest.skip("Chromium is not installed (apt-get install -y chromium); browser tests skipped locally.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
