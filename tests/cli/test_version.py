"""`desktop-planner --version` answers at once: it prints the version without loading numpy, Qt or pandas."""

from __future__ import annotations

import subprocess
import sys

from desktop_planner import __version__, installed_version
from desktop_planner.cli import main

HEAVY = ("numpy", "PySide6", "pandas", "scipy", "geopandas", "shapely", "pyqtgraph")


def test_version_prints_the_version_and_exits_0(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == f"desktop-planner {installed_version()}"
    assert installed_version() == __version__  # the installed distribution's, which is the package's


def test_version_imports_nothing_heavy():
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "desktop_planner", "--version"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"desktop-planner {installed_version()}"
    # -X importtime: "import time: self | cumulative | [indent]module" on stderr, one line per module loaded.
    loaded = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in run.stderr.splitlines()
              if line.startswith("import time:") and line.count("|") == 2}
    assert "desktop_planner" in loaded  # the parse saw the package itself
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_version_leaves_heavy_modules_out_of_sys_modules():
    code = ("import runpy, sys\n"
            "sys.argv = ['desktop_planner', '--version']\n"
            "try:\n"
            "    runpy.run_module('desktop_planner', run_name='__main__', alter_sys=True)\n"
            "except SystemExit as exc:\n"
            "    code = exc.code\n"
            f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
            "print('EXIT', code, 'HEAVY', ','.join(heavy) or '-')\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    assert lines[0] == f"desktop-planner {installed_version()}"
    assert lines[-1] == "EXIT 0 HEAVY -"
