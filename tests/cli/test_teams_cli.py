"""Teams on the command line, on the demo with an Enterprise field team, an SMB inside-sales team and a Healthcare
overlay: rules assign every account, conflicts are listed, each team balances on its own, a re-import that raises
revenue reports the hand-overs, exports carry the owner per team, scores show per tier and territory."""

import csv
import json

import pytest

from desktop_planner.cli.main import main
from desktop_planner.store.project import ProjectFile
from tests.team_demo import SMB, make_team_demo, raised_revenue_csv



def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    return make_team_demo(tmp_path_factory.mktemp("teams"), 1500)


@pytest.fixture
def demo(demo_file, tmp_path):
    copy = tmp_path / "teams.tplan"
    copy.write_bytes(demo_file.read_bytes())
    return copy


def test_rules_give_every_account_an_exclusive_team_and_list_the_conflicts(demo, capsys):
    code, out, _ = run(capsys, "teams", demo, "--json")
    listed = json.loads(out)
    by_name = {t["team"]: t for t in listed["teams"]}
    assert set(by_name) == {"Enterprise field", SMB, "Healthcare specialists"}
    assert by_name["Enterprise field"]["accounts"] + by_name[SMB]["accounts"] == 1500  # exclusive: a partition
    assert 0 < by_name["Healthcare specialists"]["accounts"] < 1500
    code, out, _ = run(capsys, "teams", demo, "--conflicts", "--json")
    conflicts = json.loads(out)
    assert len(conflicts) == listed["conflicts"] > 0  # the SMB rule forgot large low-revenue accounts
    assert all(c["problem"] == f"claimed by Enterprise field and {SMB}" for c in conflicts)
    # Settling them: the SMB rule also leaves out 5,000+ employees.
    code, out, _ = run(capsys, "teams", demo, "--edit", SMB, "--rule", "arr < 1M and employees < 5000")
    assert code == 0 and "accounts handed over" in out and "0 conflicts" in out


def test_each_team_balances_on_its_own_and_the_others_get_the_new_scenario_too(demo, capsys):
    code, out, _ = run(capsys, "balance", demo, "--team", SMB, "--into", "Balanced", "--measure", "potential",
                       "--time-limit", "20", "--json")
    assert code == 0 and json.loads(out)["scenario"] == "Balanced"
    code, out, _ = run(capsys, "summary", demo, "--team", SMB, "--scenario", "Balanced", "--json")
    smb = json.loads(out)
    assert smb["team"] == SMB and smb["plan"]["unassigned"] == 0
    assert smb["plan"]["max_abs_deviation"]["potential"] <= 0.10 + 1e-9
    assert all(t["contiguous"] for t in smb["territories"])
    before = json.loads(run(capsys, "summary", demo, "--team", "Enterprise field", "--json")[1])
    after = json.loads(run(capsys, "summary", demo, "--team", "Enterprise field", "--scenario", "Balanced",
                           "--json")[1])
    assert [t["accounts"] for t in after["territories"]] == [t["accounts"] for t in before["territories"]]


def test_a_reimport_that_raises_revenue_reports_the_hand_overs(demo, tmp_path, capsys):
    source = tmp_path / "crm.csv"
    raised = raised_revenue_csv(demo, source, most=10)
    code, out, _ = run(capsys, "import", demo, source)
    assert code == 0
    assert f"handed over from {SMB} to Enterprise field: {len(raised)} accounts" in out
    code, out, _ = run(capsys, "teams", demo, "--handovers", "--json")
    assert {h["external_id"] for h in json.loads(out) if h["to_team"] == "Enterprise field"} == set(raised)
    with ProjectFile.open(demo, read_only=True) as project:
        enterprise = project.load_plan(team="Enterprise field")
    assert set(raised) <= set(enterprise.accounts.external_id.tolist())  # now in the Enterprise view


def test_exports_carry_the_team_and_the_owner_in_every_team(demo, tmp_path, capsys):
    owners = tmp_path / "owners.csv"
    assert run(capsys, "export", demo, "--what", "owners", "--out", owners)[0] == 0
    with open(owners, newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 1500
    assert {r["owner_team"] for r in table} == {"Enterprise field", SMB}
    for row in table:  # the owning team's territory is filled, the other exclusive team's is empty
        other = SMB if row["owner_team"] == "Enterprise field" else "Enterprise field"
        assert row[f"{row['owner_team']}: territory"] and not row[f"{other}: territory"]
    overlay = [r for r in table if r["Healthcare specialists: territory"]]
    assert overlay and all(r["owner_team"] for r in overlay)
    smb = tmp_path / "smb.csv"
    assert run(capsys, "export", demo, "--team", SMB, "--out", smb)[0] == 0
    with open(smb, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["team"] for r in rows} == {SMB} and all(r["tier"] in ("A", "B", "C") for r in rows)


def test_scores_show_per_tier_and_territory_and_can_be_redefined(demo, capsys):
    code, out, _ = run(capsys, "score", demo, "--team", "Enterprise field", "--json")
    shown = json.loads(out)
    assert [t["label"] for t in shown["by_tier"]] == ["A", "B", "C"]
    assert sum(t["count"] for t in shown["by_territory"]) == sum(t["count"] for t in shown["by_tier"])
    code, out, _ = run(capsys, "score", demo, "--component", "employees:1:rank", "--tiers", "Top=90,Rest=0",
                       "--feeds-potential")
    assert code == 0 and "1,500 accounts scored" in out
    with ProjectFile.open(demo, read_only=True) as project:
        plan = project.load_plan(all_accounts=True)
    assert set(plan.accounts.tier.tolist()) == {"Top", "Rest"}
    assert (plan.accounts.potential == plan.accounts.score).all()


def test_tier_visits_are_settings_and_drive_the_workload(demo, capsys):
    def service_hours() -> float:
        code, out, _ = run(capsys, "summary", demo, "--team", "Enterprise field", "--json")
        return json.loads(out)["plan"]["totals"]["service_hours"]

    code, out, _ = run(capsys, "settings", demo, "--team", "Enterprise field")
    assert code == 0 and "tier_visits_per_year.A" in out
    before = service_hours()
    code, _, err = run(capsys, "settings", demo, "--team", "Enterprise field", "tier_visits_per_year.A", "48")
    assert code == 0, err
    assert service_hours() > before
    code, _, err = run(capsys, "settings", demo, "tier_visits_per_year.Z", "3")
    assert code == 2 and "no tier 'Z' (tiers: A, B, C" in err


@pytest.mark.parametrize("args, message", [
    (("summary", "{p}", "--team", "Field"), "no team named 'Field'"),
    (("teams", "{p}", "--add", "X", "--rule", "arr >="), "team 'X'"),
    (("teams", "{p}", "--edit", "Nobody", "--rule", ""), "no team named 'Nobody'"),
    (("teams", "{p}", "--add", "Y", "--rule", "revenue > 1"), "revenue"),
    (("score", "{p}", "--component", "industry:1"), "categories"),
])
def test_bad_input_is_refused_with_the_reason_and_the_file_is_unchanged(demo, capsys, args, message):
    original = demo.read_bytes()
    code, _, err = run(capsys, *[a.format(p=demo) for a in args])
    assert code == 2 and message in err
    assert demo.read_bytes() == original
