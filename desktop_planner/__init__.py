"""desktop_planner: offline sales territory alignment."""

__version__ = "0.1.0"
