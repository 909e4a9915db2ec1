"""One of the processes of the concurrent-writers stress test (test_concurrent_writers.py).

Until its time is up it opens the project for writing through the public paths (ProjectFile + History, as the
app does; or the command line's `balance --into`), makes a few changes with labels of its own, and closes it.
Every attempt is logged as one JSON line: committed (with its label) or refused (with the reason).
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

from desktop_planner import cli
from desktop_planner.core.commands import AddTerritory, CommandError, DeleteTerritory, Reassign, movable_accounts
from desktop_planner.core.history import History
from desktop_planner.core.model import Territory
from desktop_planner.core.scenario_commands import EditScenario
from desktop_planner.store.instance_lock import ProjectInUse
from desktop_planner.store.project import ProjectFile


def edit_session(path: Path, name: str, rng: random.Random, counter, log) -> None:
    project = ProjectFile.open(path)  # raises ProjectInUse while the other process writes
    with project:
        plan = project.load_plan()
        history = History(plan, project)
        for _ in range(rng.randint(1, 4)):
            n = next(counter)
            label = f"{name}-{n}"
            scenario = plan.active
            choice = rng.random()
            if choice < 0.15:
                command = AddTerritory(scenario.id, Territory(id=plan.next_territory_id(), name=label))
            elif choice < 0.25 and any(t.name.startswith(name) for t in scenario.territories.values()):
                own = [t for t in scenario.territories.values() if t.name.startswith(name)]
                command = DeleteTerritory(scenario.id, rng.choice(own).id)
            elif choice < 0.3:
                command = EditScenario(scenario.id, notes=label)
            else:
                target = rng.choice(list(scenario.territories))
                picked = np.array(rng.sample(range(len(plan.accounts)), 5))
                if not len(movable_accounts(plan, scenario, picked, target)):
                    continue
                command = Reassign(scenario.id, picked, target, label=label)
            command.label = label
            try:
                history.do(command)
            except CommandError as exc:
                log({"refused": label, "why": str(exc)})
                continue
            log({"committed": history.undo_labels()[0], "kind": type(command).__name__})
            time.sleep(rng.random() * 0.01)


def main(path: str, name: str, seconds: float, seed: int, out: str, use_cli: bool) -> None:
    rng = random.Random(seed)
    counter = iter(range(10**9))
    path = Path(path)
    with open(out, "w") as fh:
        def log(entry):
            fh.write(json.dumps(entry) + "\n")
            fh.flush()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if use_cli and rng.random() < 0.3:
                into = f"{name}-balance-{next(counter)}"
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
                    code = cli.main(["balance", str(path), "--into", into, "--time-limit", "0.3"])
                log({"committed": into, "kind": "balance"} if code == 0 else
                    {"refused": into, "why": err.getvalue().strip()})
                continue
            try:
                edit_session(path, name, rng, counter, log)
            except ProjectInUse as exc:
                log({"in_use": str(exc)})
                time.sleep(rng.random() * 0.02)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6] == "cli")
