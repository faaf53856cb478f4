"""Measuring scripts (not tests): the Arena in a real browser against the engine alone, and N sessions on one server."""
