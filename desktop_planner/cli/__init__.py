"""The command line (`desktop-planner`): see main.py."""

from desktop_planner.cli.main import main

__all__ = ["main"]
