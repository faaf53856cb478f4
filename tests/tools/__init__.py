"""Tests of the command-line tools (core/tools)."""
