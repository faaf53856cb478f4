"""Tests of the readers, writers and reports (core/io)."""
