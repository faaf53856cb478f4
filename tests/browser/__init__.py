"""Real-browser tests in Debian's headless Chromium."""
