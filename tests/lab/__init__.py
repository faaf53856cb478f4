"""Tests of the maths behind each page (core/lab)."""
