"""The cropcast commands, a module per command or group; ``cli.py`` assembles the app."""
