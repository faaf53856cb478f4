"""Command-line tools: the lab headless (cli) and the engine benchmark."""
