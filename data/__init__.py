"""The embedded default data, installed as the package `cropcast_data` (see pyproject.toml)."""
