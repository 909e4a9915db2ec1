"""desktop_planner: offline sales territory alignment."""

# The version lives in pyproject.toml; this copy is only for a source tree that is not installed, and
# tests/test_packaging.py fails when the two disagree.
__version__ = "0.1.0"


def installed_version() -> str:
    """The installed distribution's version (a frozen build carries its metadata too), else the package's own.
    What `--version`, Help > About and the bundle's name show."""
    from importlib import metadata
    try:
        return metadata.version("desktop_planner")
    except metadata.PackageNotFoundError:
        return __version__
