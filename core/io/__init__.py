"""Input and output: tidy histories, file formats (history CSV, experiment JSON, weights), reports, uploads."""
