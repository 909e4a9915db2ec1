"""`python -m desktop_planner` and the entry script of the frozen (PyInstaller) build."""

import multiprocessing
import sys

if __name__ == "__main__":
    # First, before anything heavy is imported: in a frozen build the auto-balance job's spawned child starts
    # this same executable, and freeze_support() turns it into the worker (and does nothing otherwise).
    multiprocessing.freeze_support()

    from desktop_planner.cli import main

    sys.exit(main())
