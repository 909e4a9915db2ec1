"""Teams in the real window, on the team demo at 20,000 accounts (an Enterprise field team, an SMB inside-sales
team, a Healthcare overlay): switching the team shown (its map, panel and the others' outlines) and changing the
score (every account rescored, every team's view loaded again, the Scores dock redrawn), each timed to the end of
the repaint that follows, as the planner sees it.
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QApplication

from desktop_planner.core.scoring import Component, ScoreDefinition, Tier
from desktop_planner.core.team_commands import SetScoring
from desktop_planner.io.demo_teams import create_team_demo
from tests.benchmarks.windows import bench_window

ACCOUNTS = 20_000
SWITCH_TARGET_MS, SCORE_TARGET_MS = 300.0, 2000.0
TEAMS = ("SMB inside sales", "Enterprise field")


def _repainted(window) -> None:
    QApplication.processEvents()
    window.grab()  # the whole window painted, as a screen would show it


def run(bench) -> None:
    def build(path) -> None:
        started = time.perf_counter()
        create_team_demo(path, ACCOUNTS, seed=1)
        bench.record(f"teams: build the team demo ({ACCOUNTS:,} accounts, 3 teams)",
                     (time.perf_counter() - started) * 1000, target=None)

    with bench_window(build=build) as (window, _path):
        _repainted(window)
        _measure(bench, window)


def _measure(bench, window) -> None:
    views = window.team_views
    turn = iter(range(10**9))

    def switch() -> None:
        views.switch(TEAMS[next(turn) % 2])
        _repainted(window)

    switch(), switch()  # each team's view loaded once, as after a first look at each
    bench.record("teams: switch the team shown (map, panel, outlines) incl. repaint",
                 bench.median_ms(switch, repeat=9), target=SWITCH_TARGET_MS)

    window.score_dock.show()
    _repainted(window)
    definitions = [ScoreDefinition((Component("arr", w), Component("employees", 1 - w, "rank")),
                                   (Tier("A", 60), Tier("B", 30), Tier("C", 0))) for w in (0.7, 0.5)]
    step = iter(range(10**9))

    def rescore() -> None:
        assert views.apply(SetScoring(definitions[next(step) % 2]))
        _repainted(window)

    bench.record("teams: change the score (rescore all, reload every team, Scores dock) incl. repaint",
                 bench.median_ms(rescore, repeat=5), target=SCORE_TARGET_MS)
