"""The demo with teams (an Enterprise field team, an SMB inside-sales team, a Healthcare overlay) as the team tests
use it: made once per module, and a CRM file that raises some SMB accounts' revenue over the Enterprise line."""

from __future__ import annotations

import csv
import json
import sqlite3

from desktop_planner.cli.main import main

FIELD, SMB, HEALTH = "Enterprise field", "SMB inside sales", "Healthcare specialists"


def make_team_demo(folder, accounts: int, seed: int = 3):
    path = folder / "teams.tplan"
    assert main(["demo", str(path), "--teams", "--accounts", str(accounts), "--seed", str(seed)]) == 0
    return path


def raised_revenue_csv(project_path, out, most: int) -> list[str]:
    """Write the project's accounts to `out` as a CRM export, doubling the ARR of up to `most` SMB accounts
    between 600k and 1M (so that they cross the field team's 1M line); their external ids."""
    conn = sqlite3.connect(project_path)
    try:
        rows = conn.execute("SELECT external_id, name, lat, lon, potential, segment, industry, attrs FROM accounts"
                            ).fetchall()
    finally:
        conn.close()
    raised = []
    with open(out, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Account ID", "Account Name", "Latitude", "Longitude", "Potential", "Segment", "Industry",
                         "ARR", "Employees"])
        for ext, name, lat, lon, potential, segment, industry, attrs in rows:
            figures = json.loads(attrs)
            arr = figures["ARR"]
            if 600_000 <= arr < 1_000_000 and figures["Employees"] < 5000 and len(raised) < most:
                arr = arr * 2
                raised.append(ext)
            writer.writerow([ext, name, lat, lon, potential, segment, industry, arr, figures["Employees"]])
    return raised
