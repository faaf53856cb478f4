"""Shared UI helpers for the pages: one palette and pure chart builders."""
