"""Issue 13, the smaller import and export defects: each reproduced, each fixed."""

import csv
import io
import os
import stat
import threading

from desktop_planner.io.account_import import read_accounts
from desktop_planner.io.export import spreadsheet_safe, write_csv
from desktop_planner.io.mapping import MappingError, resolve_mapping

HEADER = "id,name,lat,lon,potential\n"


def imported(tmp_path, body: str, header: str = HEADER):
    path = tmp_path / "a.csv"
    path.write_text(header + body, encoding="utf-8")
    return read_accounts(path)


def test_swapped_latitude_and_longitude_near_antarctica_is_rejected_with_the_reason(tmp_path):
    """Defect: (-75, 40) for a New York account was accepted as a point in Antarctica without a word."""
    result = imported(tmp_path, "A1,Acme,-75.0,40.7,100\nA2,Fine,40.7,-74.0,100\n")
    assert result.accepted == 1 and result.columns["external_id"].tolist() == ["A2"]
    assert "swapped" in result.issues[0].problem and result.issues[0].row_number == 2


def test_a_nul_byte_is_not_stored(tmp_path):
    """Defect: a NUL byte in a name was stored in the project."""
    padding = "".join(f"P{i},Pad,40.0,-74.0,1\n" for i in range(200))  # past the binary-file sniff of the head
    result = imported(tmp_path, padding + "A1,Ac\x00me,40.7,-74.0,100\n")
    assert "A1" not in result.columns["external_id"].tolist()
    issue = [i for i in result.issues if i.row_number == 202][0]
    assert "NUL" in issue.problem and "\x00" not in issue.raw and "Ac\\0me" in issue.raw
    assert all("\x00" not in str(v) for v in result.columns["name"].tolist())


def test_a_10_mb_field_is_rejected_for_its_length_and_its_row_kept(tmp_path):
    """Defect: the csv module's field limit rejected it as 'row has 1 fields' and lost the row."""
    huge = "x" * (10 * 1024 * 1024)
    result = imported(tmp_path, f"A1,{huge},40.7,-74.0,100\nA2,Fine,40.7,-74.0,100\n")
    assert result.columns["external_id"].tolist() == ["A2"]
    (issue,) = result.issues
    assert issue.row_number == 2 and "'name' is 10,485,760 characters long" in issue.problem
    assert issue.raw.startswith("A1,") and "40.7" in issue.raw and len(issue.raw) < 1000


def test_a_huge_header_gives_a_short_message(tmp_path):
    header = [f"column number {i}" for i in range(100_000)]
    try:
        resolve_mapping(header, None)
    except MappingError as exc:
        assert len(str(exc)) < 2000 and "99,980 more" in str(exc)
    else:
        raise AssertionError("no id column: the mapping must be refused")


def test_composed_and_decomposed_ids_are_one_account(tmp_path):
    """Defect: 'Café' typed with a composed and a decomposed é became two accounts."""
    result = imported(tmp_path, "Caf\u00e9,One,40.7,-74.0,100\nCafe\u0301,Two,40.7,-74.0,100\n")
    assert result.accepted == 1 and result.columns["external_id"].tolist() == ["Caf\u00e9"]
    assert "duplicate account id" in result.issues[0].problem


def test_export_neutralises_only_what_a_spreadsheet_would_run(tmp_path):
    """Defect: the CRM id -123 was exported as '-123, which a CRM re-import would not match."""
    for number in ("-123", "+49", "-1.5", "-.5", "+1e5", "-", "+"):
        assert spreadsheet_safe(number) == number
    for formula in ("=1+1", "@SUM(A1)", "-1+2", "+cmd|' /C calc'!A0", "-A1", "\t=x", "\rx", "-2 3"):
        assert spreadsheet_safe(formula) == "'" + formula
    out = tmp_path / "o.csv"
    write_csv(out, ["id"], [["-123"], ["=HYPERLINK(1)"]])
    assert list(csv.reader(io.StringIO(out.read_text()))) == [["id"], ["-123"], ["'=HYPERLINK(1)"]]


def test_exporting_to_a_pipe_writes_into_it_and_leaves_it_a_pipe(tmp_path):
    """Defect: the export wrote beside its target and renamed over it, which turned /dev/null (for root) into a
    plain file; a device or a pipe is now written in place."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    got = []
    reader = threading.Thread(target=lambda: got.append(pipe.read_text()))
    reader.start()
    assert write_csv(pipe, ["a", "b"], [[1, "=SUM(A1)"]]) == 1
    reader.join(timeout=10)
    assert got == ["a,b\n1,'=SUM(A1)\n"] or got == ["a,b\r\n1,'=SUM(A1)\r\n"]
    assert stat.S_ISFIFO(pipe.stat().st_mode)
