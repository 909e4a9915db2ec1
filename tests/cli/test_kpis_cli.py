"""`desktop-planner import --actuals/--quotas`, `quotas` and `kpis` on a small project: actuals imported then read
back as KPIs (--json), quotas suggested and set, and bad input refused with exit status 2 and the file unchanged."""

import hashlib
import json

import pytest

from desktop_planner.cli.main import main
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def project(tmp_path):
    """Two territories: T1 (Rep 1) and T2 (Rep 2); accounts A0000.. by town."""
    path = tmp_path / "p.tplan"
    plan = make_plan(n=12, k=2)
    ProjectFile.create(path, plan).close()
    return path


def members(project) -> dict[int, list[str]]:
    with ProjectFile.open(project, read_only=True) as file:
        plan = file.load_plan()
    ids = plan.accounts.external_id
    return {tid: sorted(ids[plan.active.assignment == tid].tolist()) for tid in plan.active.territories}


def test_import_actuals_then_kpis_as_json(project, tmp_path, capsys):
    t1, t2 = members(project).values()
    csv = tmp_path / "actuals.csv"
    csv.write_text("Account ID,Period,Bookings,Visits,Rep,Owner\n"
                   f"{t1[0]},2026-Q1,100,1,Rep 1,Rep 1\n"
                   f"{t1[0]},2026-Q1,50,0,Rep 1,Rep 1\n"  # added up with the row above: 150
                   f"{t2[0]},2026-Q1,300,2,Rep 2,Rep 2\n"
                   f"{t2[0]},2026-Q1,0,1,Rep 1,Rep 2\n"  # Rep 1 visits T2's account too: an overlap
                   f"{t1[0]},2026-Q2,450,1,Rep 1,Rep 1\n"
                   "NOPE,2026-Q1,5,1,Rep 1,Rep 1\n", encoding="utf-8")
    code, out, _ = run(capsys, "import", project, "--actuals", csv)
    assert code == 0
    assert "read 6 rows, accepted 5, rejected 1" in out and "row 7: account id 'NOPE' is not in the project" in out
    assert "1 rejected rows kept" in out and "--what issues" in out
    code, out, _ = run(capsys, "kpis", project, "--json")
    assert code == 0
    result = json.loads(out)
    assert result["periods"] == ["2026-Q1", "2026-Q2"] and result["scenario"] == "Current plan"
    assert set(result["kpis"]) >= {"quota_attainment", "overlap_rate"}
    rows = {(r["period"], r["territory"]): r for r in result["territories"]}
    assert rows[("2026-Q1", "T1")]["bookings"] == 150.0 and rows[("2026-Q1", "T2")]["bookings"] == 300.0
    assert rows[("2026-Q1", "T2")]["overlap_rate"] == pytest.approx(1 / len(t2))
    assert rows[("2026-Q1", "T1")]["quota_attainment"] is None  # no quota: null, not NaN
    assert rows[("2026-Q2", "T1")]["growth"] == pytest.approx(450 / 150 - 1)
    assert rows[("2026-Q2", "T1")]["growth_base"] == "2026-Q1"
    plan_rows = {r["period"]: r for r in result["plan"]}
    assert plan_rows["2026-Q1"]["revenue"] == 450.0 and plan_rows["2026-Q1"]["accounts"] == 12

    # Quotas: a suggestion for Q1 and one rep set by hand; the KPIs then have attainment.
    code, out, _ = run(capsys, "quotas", project, "--period", "2026-Q1", "--suggest", "--total", "1,000",
                       "--floor", "0.5", "--cap", "2", "--json")
    assert code == 0
    quotas = json.loads(out)
    assert sum(q["quota"] for q in quotas["quotas"]) == pytest.approx(1000.0)
    assert quotas["totals"] == {"2026-Q1": pytest.approx(1000.0)}
    code, out, _ = run(capsys, "quotas", project, "--period", "2026-Q1", "--set", "Rep 1=600")
    assert code == 0 and "Set quotas 2026-Q1" in out and "600.00" in out
    code, out, _ = run(capsys, "kpis", project, "--period", "2026-Q1", "--json")
    result = json.loads(out)
    assert result["periods"] == ["2026-Q1"]
    t1_row = next(r for r in result["territories"] if r["territory"] == "T1")
    assert t1_row["quota"] == 600.0 and t1_row["quota_attainment"] == pytest.approx(150 / 600)
    code, out, _ = run(capsys, "kpis", project)
    assert code == 0 and "2026-Q2 (growth against 2026-Q1)" in out and "Whole plan" in out

    # Quotas from a file, by e-mail-less names and territory names.
    quota_csv = tmp_path / "quotas.csv"
    quota_csv.write_text("Rep,Period,Quota\nRep 1,2026-Q2,400\nT2,2026-Q2,500\n", encoding="utf-8")
    code, out, _ = run(capsys, "import", project, "--quotas", quota_csv)
    assert code == 0 and "accepted 2, rejected 0" in out
    code, out, _ = run(capsys, "quotas", project, "--period", "2026-Q2", "--json")
    assert {q["rep"]: q["quota"] for q in json.loads(out)["quotas"]} == {"Rep 1": 400.0, "Rep 2": 500.0}


def test_a_mapped_column_and_a_date_column(project, tmp_path, capsys):
    t1 = next(iter(members(project).values()))
    csv = tmp_path / "deals.csv"
    csv.write_text(f"Cust;Closed;Value\n{t1[0]};15/03/2026;1.000,00\n{t1[0]};02/01/2026;500,00\n", encoding="utf-8")
    code, _, err = run(capsys, "import", project, "--actuals", csv)
    assert code == 2 and "no column for external_id" in err
    code, out, _ = run(capsys, "import", project, "--actuals", csv, "--map", "Cust=external_id", "--map",
                       "Closed=period", "--map", "Value=bookings", "--quarterly")
    assert code == 0 and "accepted 2" in out
    result = json.loads(run(capsys, "kpis", project, "--json")[1])
    assert result["periods"] == ["2026-Q1"] and result["plan"][0]["revenue"] == 1500.0


@pytest.mark.parametrize("args, message", [
    (["kpis", "{p}", "--period", "soon"], "'soon' is not a period"),
    (["kpis", "{p}", "--scenario", "Nope"], "Nope"),
    (["quotas", "{p}", "--suggest", "--period", "2026-Q1"], "--suggest needs --total"),
    (["quotas", "{p}", "--suggest", "--total", "100"], "need --period"),
    (["quotas", "{p}", "--period", "2026-Q1", "--suggest", "--total", "100", "--floor", "2"], "floor"),
    (["quotas", "{p}", "--period", "2026-Q1", "--suggest", "--total", "lots"], "amount"),
    (["quotas", "{p}", "--period", "2026-Q1", "--set", "Nobody=5"], "no territory has the rep 'Nobody'"),
    (["quotas", "{p}", "--period", "2026-Q1", "--set", "Rep 1=-5"], "Rep 1=-5"),
    (["import", "{p}", "--actuals", "{missing}"], "no such file"),
    (["import", "{p}", "--actuals", "{bad}"], "no row could be imported; nothing was changed"),
    (["import", "{p}", "--actuals", "{bad}", "--actuals-map", "Nope=rep"], "no column 'Nope'"),
    (["import", "{p}", "--quotas-map", "Rep=rep", "--actuals", "{bad}"], "--quotas-map corrects the columns"),
])
def test_bad_input_exits_2_and_changes_nothing(project, tmp_path, capsys, args, message):
    bad = tmp_path / "bad.csv"
    bad.write_text("account,period,bookings\nNOPE,2026-Q1,5\nA0000,later,5\n", encoding="utf-8")
    before = digest(project)
    names = {"p": project, "missing": tmp_path / "missing.csv", "bad": bad}
    code, _, err = run(capsys, *[a.format(**names) for a in args])
    assert code == 2 and message in err
    assert digest(project) == before


def test_no_actuals_yet_and_cohorts_without_a_holdout(project, capsys):
    code, out, _ = run(capsys, "kpis", project)
    assert code == 0 and "no actuals yet" in out
    code, out, _ = run(capsys, "kpis", project, "--json")
    assert code == 0 and json.loads(out)["periods"] == []
    code, _, err = run(capsys, "kpis", project, "--cohorts")
    assert code == 2 and err.strip()
