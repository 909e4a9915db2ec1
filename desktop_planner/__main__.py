import sys

from desktop_planner.cli import main

sys.exit(main())
