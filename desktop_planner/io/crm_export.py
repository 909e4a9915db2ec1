"""A scenario as files a CRM loads, in a folder with a README that says in which order and what to fill in.

salesforce-etm: Salesforce Enterprise Territory Management through Data Loader (Insert, one object per file):
  Territory2.csv                  DeveloperName, Name, Territory2ModelId, Territory2TypeId — one row per territory
  ObjectTerritory2Association.csv ObjectId, Territory2Id, AssociationCause — one row per assigned account
  UserTerritory2Association.csv   UserId, Territory2Id — one row per territory with a rep
Only the columns Salesforce takes are written, so any loader (Data Loader, Bulk API, Workbench) maps them by name.
The associations refer to a territory by its record Id, which Salesforce gives out only when Territory2.csv is
loaded: DeveloperName is no lookup key and the association objects cannot be upserted, so neither Data Loader nor
the Bulk API can find a territory by its code there. Hence two passes: load Territory2.csv, then export again with
the Ids from Data Loader's success file (`territory_ids`), which fills Territory2Id. Every cell the admin must
still fill reads FILL_IN_…, and a load that meets one fails on that row instead of linking the wrong record.
"""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

from desktop_planner.core.model import UNASSIGNED, Plan, Scenario, Territory, territory_codes
from desktop_planner.io.export import ExportError, write_csv
from desktop_planner.io.mapping import column_list
from desktop_planner.io.table_reader import TableError, open_table

CRM_FORMATS = ("salesforce-etm",)
SALESFORCE_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
ACCOUNT_PREFIX, USER_PREFIX = "001", "005"  # the key prefixes of Salesforce's Account and User ids
NAME_MAX_CHARS = 80  # Territory2.Name
MODEL_PLACEHOLDER, TYPE_PLACEHOLDER = "FILL_IN_Territory2ModelId", "FILL_IN_Territory2TypeId"
SHOWN = 5  # examples named in a README line
FILES = ("Territory2.csv", "ObjectTerritory2Association.csv", "UserTerritory2Association.csv", "README.txt")


def export_crm(plan: Plan, scenario: Scenario, out: str | Path, format: str, *, model_id: str | None = None,
               type_id: str | None = None, territory_ids: str | Path | None = None) -> list[Path]:
    """Write the scenario's territories, account and rep assignments for the CRM into the folder `out` (created
    when missing; files of an earlier export there are replaced). model_id, type_id: the Salesforce Ids of the
    territory model and territory type (else FILL_IN_ placeholders); territory_ids: a CSV with the columns Id and
    DeveloperName (Data Loader's success file of Territory2.csv, or a report of Territory2) that fills the
    Territory2Id columns. Returns the files written; ExportError says what is wrong with the input."""
    if format not in CRM_FORMATS:
        raise ExportError(f"unknown CRM format {format!r} (formats: {', '.join(CRM_FORMATS)})")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: is a file; give the name of a folder to write the CRM files into")
    if not scenario.territories:
        raise ExportError(f"scenario {scenario.name!r} has no territories: there is nothing to load into the CRM")
    for given, what in ((model_id, "--model-id (the territory model's Id)"),
                        (type_id, "--type-id (the territory type's Id)")):
        if given is not None and not SALESFORCE_ID.fullmatch(given):
            raise ExportError(f"{what}: {given!r} is not a Salesforce Id (15 or 18 letters and digits, as in "
                              f"the address bar of its page in Setup)")
    codes = territory_codes(scenario)
    _check_salesforce_names(scenario, codes)
    ids = _read_territory_ids(Path(territory_ids), codes) if territory_ids is not None else {}
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"{out}: cannot be created ({exc.strerror or exc})") from None
    return _salesforce_etm(plan, scenario, out, codes, ids, model_id, type_id, territory_ids)


def _developer_name_problem(code: str) -> str | None:
    """Salesforce's rules for a DeveloperName beyond letters, digits and underscores (which codes always are)."""
    if not code[0].isalpha():
        return "must begin with a letter"
    if "__" in code:
        return "must not hold two underscores in a row"
    if code.endswith("_"):
        return "must not end with an underscore"
    return None


def _check_salesforce_names(scenario: Scenario, codes: dict[int, str]) -> None:
    problems = [f"{t.name!r}: code {codes[tid]!r} {_developer_name_problem(codes[tid])}"
                for tid, t in scenario.territories.items() if _developer_name_problem(codes[tid])]
    problems += [f"{t.name!r}: the name has {len(t.name)} characters, Salesforce takes {NAME_MAX_CHARS}"
                 for t in scenario.territories.values() if len(t.name) > NAME_MAX_CHARS]
    if problems:
        raise ExportError("Salesforce would refuse these territories (change their codes or names, e.g. with a reps "
                          "file's Territory Code column): " + "; ".join(problems[:SHOWN])
                          + (f"; … and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""))


def _read_territory_ids(path: Path, codes: dict[int, str]) -> dict[int, str]:
    """Territory id -> Salesforce Territory2 Id, from a file with the columns Id and DeveloperName (any case)."""
    try:
        info, rows = open_table(path)
    except TableError as exc:
        raise ExportError(str(exc)) from None
    keys = [h.strip().lower() for h in info.header]
    if "id" not in keys or "developername" not in keys:
        rows.close()
        raise ExportError(f"{path}: needs the columns Id and DeveloperName, as Data Loader's success file of "
                          f"Territory2.csv has them (columns: {column_list(info.header)})")
    id_at, name_at = keys.index("id"), keys.index("developername")
    by_code: dict[str, str] = {}
    for number, cells, _ in rows:
        if len(cells) <= max(id_at, name_at) or not cells[name_at].strip():
            continue
        record_id = cells[id_at].strip()
        if not SALESFORCE_ID.fullmatch(record_id):
            rows.close()
            raise ExportError(f"{path}: row {number}: {record_id!r} is not a Salesforce Id")
        by_code[cells[name_at].strip().casefold()] = record_id
    return {tid: by_code[code.casefold()] for tid, code in codes.items() if code.casefold() in by_code}


def _salesforce_etm(plan: Plan, scenario: Scenario, out: Path, codes: dict[int, str], ids: dict[int, str],
                    model_id: str | None, type_id: str | None, ids_file) -> list[Path]:
    territories = list(scenario.territories.values())
    territory_id = {t.id: ids.get(t.id, f"FILL_IN_Territory2Id_{codes[t.id]}") for t in territories}
    paths = [out / name for name in FILES]
    write_csv(paths[0], ["DeveloperName", "Name", "Territory2ModelId", "Territory2TypeId"],
              ([codes[t.id], t.name, model_id or MODEL_PLACEHOLDER, type_id or TYPE_PLACEHOLDER]
               for t in territories))
    assigned = [(ext, int(tid)) for ext, tid in zip(plan.accounts.external_id.tolist(), scenario.assignment.tolist())
                if tid != UNASSIGNED]
    write_csv(paths[1], ["ObjectId", "Territory2Id", "AssociationCause"],
              ([ext, territory_id[tid], "Territory2Manual"] for ext, tid in assigned))
    with_rep = [t for t in territories if t.rep_id or t.rep_email or t.rep_name]
    write_csv(paths[2], ["UserId", "Territory2Id"],
              ([t.rep_id or f"FILL_IN_UserId_{t.rep_email or t.rep_name}", territory_id[t.id]] for t in with_rep))
    text = _readme(plan, scenario, territories, assigned, with_rep, ids, model_id, type_id, ids_file)
    tmp = paths[3].with_name(f".{paths[3].name}.partial")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, paths[3])
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"{paths[3]}: cannot be written ({exc.strerror or exc})") from None
    return paths


def _examples(values: list[str]) -> str:
    shown = ", ".join(values[:SHOWN])
    return shown + (f", … ({len(values):,} in all)" if len(values) > SHOWN else "")


def _checks(plan: Plan, territories: list[Territory], assigned, with_rep, ids, model_id, type_id) -> list[str]:
    """What the admin should know before loading: gaps and ids that cannot be what Salesforce expects."""
    checks = [f"Territory2.csv: {column} is a {placeholder} placeholder (step 1)." for column, given, placeholder in
              (("Territory2ModelId", model_id, MODEL_PLACEHOLDER), ("Territory2TypeId", type_id, TYPE_PLACEHOLDER))
              if not given]
    missing_ids = [t.name for t in territories if t.id not in ids]
    if missing_ids:
        checks.append(f"Territory2Id is a FILL_IN_Territory2Id_<DeveloperName> placeholder for {len(missing_ids)} "
                      f"of {len(territories)} territories: {_examples(missing_ids)} (step 3).")
    not_accounts = [ext for ext, _ in assigned if not (SALESFORCE_ID.fullmatch(ext) and ext.startswith(ACCOUNT_PREFIX))]
    if not_accounts:
        checks.append(f"{len(not_accounts):,} of {len(assigned):,} account ids do not look like Salesforce Account "
                      f"Ids (15 or 18 characters starting with {ACCOUNT_PREFIX}): {_examples(not_accounts)}. ObjectId "
                      f"must be the Account's record Id: import the accounts from a Salesforce report that has the "
                      f"Account ID as their id column, or replace these ids before loading.")
    unassigned = len(plan.accounts) - len(assigned)
    if unassigned:
        checks.append(f"{unassigned:,} accounts have no territory in this scenario and are not in "
                      f"ObjectTerritory2Association.csv.")
    no_rep = [t.name for t in territories if t not in with_rep]
    if no_rep:
        checks.append(f"{len(no_rep)} territories have no rep and no row in UserTerritory2Association.csv: "
                      f"{_examples(no_rep)}.")
    no_user = [t.name for t in with_rep if not t.rep_id]
    if no_user:
        checks.append(f"{len(no_user)} territories have a rep but no rep id (UserId is a FILL_IN_UserId_<e-mail or "
                      f"name> placeholder): {_examples(no_user)}. A reps file with a User Id column fills them.")
    not_users = [t.rep_id for t in with_rep if t.rep_id and not (SALESFORCE_ID.fullmatch(t.rep_id)
                                                                 and t.rep_id.startswith(USER_PREFIX))]
    if not_users:
        checks.append(f"{len(not_users)} rep ids do not look like Salesforce User Ids (starting with {USER_PREFIX}): "
                      f"{_examples(not_users)}.")
    return checks or ["Nothing: every cell is filled."]


def _readme(plan: Plan, scenario: Scenario, territories, assigned, with_rep, ids, model_id, type_id,
            ids_file) -> str:
    model = (f"filled with {model_id}" if model_id else
             f"reads {MODEL_PLACEHOLDER}: replace it in every row by the model's Id")
    kind = (f"filled with {type_id}" if type_id else
            f"reads {TYPE_PLACEHOLDER}: replace it in every row by the type's Id")
    step3 = (f"   Done: Territory2Id was filled from {Path(ids_file).name}." if ids_file else
             "   Export again with the success file as the territory ids (command line: --territory-ids FILE;\n"
             "   it needs the columns Id and DeveloperName, so a report or query of Territory2 works too:\n"
             "   SELECT Id, DeveloperName FROM Territory2 WHERE Territory2ModelId = '<model Id>').\n"
             "   That fills Territory2Id in both association files; load those from the new export.")
    checks = "\n".join(textwrap.fill(line, 110, initial_indent="- ", subsequent_indent="  ") for line in
                       _checks(plan, territories, assigned, with_rep, ids, model_id, type_id))
    return f"""Salesforce Enterprise Territory Management: {plan.name}, scenario "{scenario.name}"

{len(territories)} territories, {len(assigned):,} account assignments, {len(with_rep)} rep assignments.
Load with Data Loader (Insert; tick "Show all Salesforce objects"; Auto-Match fields to columns), in this order:

1. In Setup > Territory Models, create a territory model for this plan (it starts in the Planning state,
   so nothing changes for the sales team until you activate it) and have a territory type
   (Setup > Territory Types). Their Ids are in the address bar of their pages (15 or 18 characters).
   Territory2ModelId {model}.
   Territory2TypeId {kind}.
2. Insert Territory2.csv into Territory2. DeveloperName (labelled "Territory Name" in Salesforce) is the
   territory code; Name (labelled "Label") is the territory's name here. Keep the success file.
3. Territory2Id: the Ids Salesforce gave the new territories.
{step3}
4. Insert ObjectTerritory2Association.csv into ObjectTerritory2Association: each account (ObjectId, the
   Account's record Id) into its territory, as a manual assignment (AssociationCause Territory2Manual).
5. Insert UserTerritory2Association.csv into UserTerritory2Association: each rep (UserId, the User's
   record Id) into their territory.
6. Check the model (Setup > Territory Models > View Hierarchy), then activate it.

Check before loading:
{checks}
"""
