"""`desktop-planner settings`: every measure parameter listed, one printed, one set as one recorded change."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import fields

import pytest

from desktop_planner.cli import main
from desktop_planner.core.settings import Settings
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, make_plan(n=60, k=3)).close()
    return path


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def stored(path) -> Settings:
    with ProjectFile.open(path, read_only=True) as project:
        return project.load_plan().settings


def change_log(path, tmp_path, capsys) -> list[dict]:
    out = tmp_path / "audit.csv"
    assert run(capsys, "export", path, "--what", "audit", "--out", out)[0] == 0
    with open(out, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def travel_hours(path, capsys) -> float:
    code, out, _ = run(capsys, "summary", path, "--json")
    assert code == 0
    return json.loads(out)["plan"]["totals"]["travel_hours"]


def test_the_list_shows_every_setting_with_its_value(project, capsys):
    code, out, err = run(capsys, "settings", project)
    assert code == 0, err
    lines = {line.split()[0]: line.split()[1] for line in out.splitlines()[1:]}
    for f in fields(Settings):
        if f.name.startswith("segment_"):
            assert {f"{f.name}.{s}" for s in ("Enterprise", "Mid-market", "SMB")} <= set(lines)
        else:
            assert f.name in lines
    assert lines["circuity"] == "1.3" and lines["segment_visits_per_year.Enterprise"] == "24"
    assert run(capsys, "settings", project, "speed_kmh")[1] == "60\n"
    assert json.loads(run(capsys, "settings", project, "--json")[1])["stops_per_day"] == 5.0


def test_setting_one_value_is_one_recorded_change_the_measures_follow(project, tmp_path, capsys):
    slower = travel_hours(project, capsys)
    code, out, err = run(capsys, "settings", project, "circuity", "1.6")
    assert code == 0, err
    assert "circuity 1.3 → 1.6" in out
    assert stored(project).circuity == 1.6
    assert travel_hours(project, capsys) > slower  # curvier roads: more hours on them
    log = change_log(project, tmp_path, capsys)
    assert [row["description"] for row in log] == ["Change settings: circuity"]

    # The same value again changes nothing and records nothing.
    code, out, _ = run(capsys, "settings", project, "circuity", "1.6")
    assert code == 0 and "nothing changed" in out
    assert len(change_log(project, tmp_path, capsys)) == 1


def test_a_segment_figure_is_set_and_removed_by_its_dotted_key(project, capsys):
    assert run(capsys, "settings", project, "segment_visits_per_year.Enterprise", "30")[0] == 0
    assert stored(project).segment_visits_per_year == {"Enterprise": 30.0, "Mid-market": 12.0, "SMB": 6.0}
    assert run(capsys, "settings", project, "segment_visits_per_year.Enterprise")[1] == "30\n"
    assert run(capsys, "settings", project, "segment_visits_per_year.Enterprise", "default")[0] == 0
    assert stored(project).segment_visits_per_year == {"Mid-market": 12.0, "SMB": 6.0}
    _, out, _ = run(capsys, "settings", project, "segment_visits_per_year")
    assert "segment_visits_per_year.Enterprise" in out and "default_visits_per_year applies" in out
    assert run(capsys, "settings", project, "tolerance", "5%")[0] == 0
    assert stored(project).tolerance == pytest.approx(0.05)


def test_unusable_keys_and_values_exit_2_saying_why_and_change_nothing(project, capsys):
    before = hashlib.sha256(project.read_bytes()).hexdigest()
    cases = [
        (("circ", "1.5"), "unknown setting 'circ'; the settings are: default_visits_per_year"),
        (("circuity", "-1"), "circuity must be a positive number, got -1.0"),
        (("circuity", "fast"), "circuity: expected a number, got 'fast'"),
        (("tolerance", "nan"), "tolerance must be a fraction"),
        (("balance_measure", "revenue"), "balance_measure must be one of accounts, potential"),
        (("segment_visits_per_year.Retail", "3"), "no segment 'Retail' (segments: Enterprise, Mid-market, SMB)"),
        (("segment_visits_per_year", "3"), "set one as segment_visits_per_year.SEGMENT"),
        (("speed_kmh.fast", "3"), "unknown setting 'speed_kmh.fast'"),
    ]
    for args, message in cases:
        code, _, err = run(capsys, "settings", project, *args)
        assert code == 2 and message in err, (args, err)
    assert hashlib.sha256(project.read_bytes()).hexdigest() == before
