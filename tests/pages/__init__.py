"""Page tests: AppTest runs, chart builders and the UI helpers (pages/)."""
