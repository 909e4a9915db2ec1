"""Issue 13 stress test: two processes edit one project at once through the public paths (the History over a
ProjectFile, as the app does, and the command line's balance). Bounded: a few seconds.

The file must end consistent (integrity, every assignment pointing into its own scenario, every account with a
row in every scenario, each account's last audit row agreeing with its assignment), every change a process
committed must be in the audit trail, and every change it was refused must not be."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 3.0


def run_workers(path, tmp_path, seconds=SECONDS):
    logs = []
    workers = []
    for name, seed, mode in (("alpha", 1, "cli"), ("beta", 2, "gui")):
        out = tmp_path / f"{name}.jsonl"
        logs.append(out)
        workers.append(subprocess.Popen([sys.executable, "-m", "tests.store.stress_worker", str(path), name,
                                         str(seconds), str(seed), str(out), mode], cwd=ROOT))
    for worker in workers:
        assert worker.wait(timeout=seconds + 60) == 0
    return [json.loads(line) for out in logs for line in out.read_text().splitlines()]


def check_consistent(path) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute(
            "SELECT COUNT(*) FROM assignments a LEFT JOIN territories t ON t.id = a.territory_id "
            "WHERE a.territory_id IS NOT NULL AND (t.id IS NULL OR t.scenario_id != a.scenario_id)").fetchone() == (0,)
        accounts = conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0]
        for sid, rows in conn.execute("SELECT s.id, COUNT(a.account_id) FROM scenarios s "
                                      "LEFT JOIN assignments a ON a.scenario_id = s.id GROUP BY s.id"):
            assert rows == accounts, f"scenario {sid}: {rows} assignment rows for {accounts} accounts"
        disagree = conn.execute("""
            SELECT COUNT(*) FROM (
                SELECT c.scenario_id, c.account_id, c.to_territory_id FROM changes c
                JOIN (SELECT scenario_id, account_id, MAX(id) AS last FROM changes
                      WHERE scenario_id IS NOT NULL AND account_id IS NOT NULL GROUP BY scenario_id, account_id) l
                  ON l.last = c.id) c
            JOIN assignments a ON a.scenario_id = c.scenario_id AND a.account_id = c.account_id
            WHERE a.territory_id IS NOT c.to_territory_id""").fetchone()[0]
        assert disagree == 0
        added = [r[0] for r in conn.execute("SELECT to_territory_id FROM changes WHERE action = 'territory' "
                                            "AND from_territory_id IS NULL AND account_id IS NULL")]
        assert len(added) == len(set(added)), "a territory id was given out twice"
    finally:
        conn.close()


def test_two_processes_editing_one_project(tmp_path):
    path = tmp_path / "shared.tplan"
    ProjectFile.create(path, make_plan(n=300, k=4)).close()
    entries = run_workers(path, tmp_path)
    committed = {e["committed"]: e["kind"] for e in entries if "committed" in e}
    refused = {e["refused"] for e in entries if "refused" in e}
    in_use = [e for e in entries if "in_use" in e]
    assert committed and in_use  # both wrote, and each was refused while the other held the project
    # The holder is named (or, in the instant before it has written its name, said to be opening it).
    assert all("already open by" in e["in_use"] or "opening it for writing just now" in e["in_use"] for e in in_use)
    check_consistent(path)
    conn = sqlite3.connect(path)
    labels = {r[0] for r in conn.execute("SELECT DISTINCT label FROM changes")}
    scenarios = {r[0] for r in conn.execute("SELECT name FROM scenarios")}
    conn.close()
    for label, kind in committed.items():
        if kind == "balance":
            assert label in scenarios
        else:
            assert any(label in (text or "") for text in labels), f"{label} was committed but is not in the file"
    for label in refused:
        assert label not in scenarios and not any(label == text for text in labels)
