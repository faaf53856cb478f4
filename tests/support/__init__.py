"""Shared test support: headless page runs (AppTest) and the real-browser harness."""
