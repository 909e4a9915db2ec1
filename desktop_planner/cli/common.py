"""What every command shares: exit codes, the errors that end a command with status 2, argument types, and opening
a project (read-only for the commands that only read)."""

from __future__ import annotations

import argparse
from pathlib import Path

EXIT_OK = 0
EXIT_BAD_INPUT = 2
MAX_MESSAGE_CHARS = 2000  # a reason on standard error stays readable, whatever the input held


def clipped(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return message[:MAX_MESSAGE_CHARS] + f"… ({len(message) - MAX_MESSAGE_CHARS:,} more characters)"


class UsageError(Exception):
    pass


class BadInput(Exception):
    """Input that cannot be used (a bad file, an unknown scenario): reported, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so every bad argument ends with exit status 2 and a reason."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message}")


def size_arg(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1600x1000, got {text!r}") from None
    if not (200 <= w <= 10000 and 200 <= h <= 10000):
        raise argparse.ArgumentTypeError(f"size {text} is out of range (200 to 10000 pixels a side)")
    return w, h


def _whole_number(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"expected a number of at least {least}, got {value}")
    return value


def positive_int(text: str) -> int:
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    return _whole_number(text, 0)


def add_team_argument(parser) -> None:
    parser.add_argument("--team", metavar="NAME", help="in a project with teams: the team to work on (default: "
                        "the first team; `desktop-planner teams PROJECT` lists them)")


def open_project(path: Path, read_only: bool = False, team: str | None = None, all_accounts: bool = False):
    """The project and its plan (with teams: the view of `team`, the first by default). A writing command takes
    the project's writer lock (refused, exit 2, while another process writes it); a reading one opens the file
    read-only and changes no byte."""
    from desktop_planner.store.opening import ProjectError
    from desktop_planner.store.project import ProjectFile
    try:
        project = ProjectFile.open(path, read_only=read_only)
    except ProjectError as exc:
        raise BadInput(str(exc)) from None
    try:
        return project, project.load_plan(team=team, all_accounts=all_accounts)
    except ProjectError as exc:
        project.close()
        raise BadInput(str(exc)) from None


def pick_scenario(plan, name: str | None):
    if name is None:
        return plan.active
    try:
        return plan.scenario_by_name(name)
    except KeyError as exc:
        raise BadInput(exc.args[0]) from None
