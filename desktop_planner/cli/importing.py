"""`desktop-planner import`: accounts (and optionally reps and today's alignment) into a new or existing project."""

from __future__ import annotations

import sys
from pathlib import Path

from desktop_planner.cli.common import add_team_argument

# The fields each file's columns can be mapped to (io/territory_import.py REP_FIELDS and ALIGNMENT_FIELDS), named
# here so that building the parser does not load the importers (pandas) for every command.
REP_FIELD_NAMES = ("name", "code", "rep_name", "rep_id", "rep_email", "home_lat", "home_lon", "home_zip",
                   "capacity_hours", "region", "color")
ALIGNMENT_FIELD_NAMES = ("external_id", "territory", "territory_code", "locked")
# io/actuals_import.py ACTUALS_FIELDS and QUOTA_FIELDS
ACTUALS_FIELD_NAMES = ("external_id", "period", "bookings", "visits", "owner", "rep")
QUOTA_FIELD_NAMES = ("rep", "period", "quota")
# (file option, its column corrections, the option's name on the command line)
TABLE_OPTIONS = (("reps", "reps_map", "--reps-map"), ("alignment", "alignment_map", "--alignment-map"))


def add_parser(sub) -> None:
    p = sub.add_parser("import", help="import accounts from CSV or Excel into a new project, or refresh an "
                       "existing one (matched by account id)")
    p.add_argument("project", type=Path, help="project file; created when it does not exist")
    p.add_argument("file", type=Path, nargs="?", help="accounts: .csv (comma, semicolon or tab) or .xlsx; may be "
                   "left out for an existing project with --reps or --alignment")
    p.add_argument("--reps", type=Path, help="territories/reps CSV: territory, territory code, rep, rep id, e-mail, "
                   "home lat/lon or ZIP, capacity, region")
    p.add_argument("--alignment", type=Path, help="today's alignment CSV: account id, territory (or territory "
                   "code), locked (yes/no); with a unit layer also unit id (ZIP, FIPS, ...), territory: the unit's "
                   "accounts follow it")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                   help="for the accounts file: use COLUMN for FIELD (external_id, name, lat, lon, potential, "
                        "visits_per_year, visit_minutes, segment, industry, postcode); repeatable")
    p.add_argument("--reps-map", action="append", default=[], metavar="COLUMN=FIELD",
                   help=f"for the --reps file: use COLUMN for FIELD ({', '.join(REP_FIELD_NAMES)}); repeatable")
    p.add_argument("--alignment-map", action="append", default=[], metavar="COLUMN=FIELD",
                   help=f"for the --alignment file: use COLUMN for FIELD ({', '.join(ALIGNMENT_FIELD_NAMES)}); "
                        f"repeatable. Each file's columns are matched by name first (case and punctuation do "
                        f"not matter); the columns used, and those left out, are printed per file")
    p.add_argument("--encoding", default="auto", choices=("auto", "utf-8", "utf-8-sig", "cp1252"))
    p.add_argument("--delimiter", choices=(",", ";", "tab", "|"))
    p.add_argument("--remove-missing", action="store_true",
                   help="on a refresh, remove the project's accounts that are not in the file")
    add_team_argument(p)  # the team whose territories --reps and --alignment describe
    p.add_argument("--reviews", type=Path, nargs="+", metavar="FILE", help="the reps' returned review sheets (.csv "
                   "or .xlsx, from `export --what review-sheets`) into an existing project")
    p.add_argument("--scenario", help="with --reviews: the scenario the sheets review (default: the one the sheets "
                   "name, else the active one)")
    p.add_argument("--baseline", help="with --reviews: the scenario the sheets compared against (default: the one "
                   "the scenario was made from)")
    p.add_argument("--actuals", type=Path, metavar="FILE", help="actuals after go-live (.csv or .xlsx): account id, "
                   "period (2026-Q1, 2026-03 or a date), bookings and/or visits, rep, owner at the time (default: "
                   "the rep). Rows of the same account, period and rep are added up; they replace the project's rows "
                   "of that key. One undoable step")
    p.add_argument("--quotas", type=Path, metavar="FILE", help="quotas (.csv or .xlsx) of the team (--team): rep "
                   "(id, e-mail, name or territory name), period, quota. One undoable step")
    p.add_argument("--actuals-map", action="append", default=[], metavar="COLUMN=FIELD",
                   help=f"for the --actuals file: use COLUMN for FIELD ({', '.join(ACTUALS_FIELD_NAMES)}); "
                        f"repeatable (--map does the same when no accounts file is given)")
    p.add_argument("--quotas-map", action="append", default=[], metavar="COLUMN=FIELD",
                   help=f"for the --quotas file: use COLUMN for FIELD ({', '.join(QUOTA_FIELD_NAMES)}); repeatable")
    p.add_argument("--quarterly", action="store_true", help="with --actuals or --quotas: months and dates count "
                   "for their quarter (rows of one quarter are added up)")
    p.add_argument("--replace-periods", action="store_true", help="with --actuals: first remove the project's "
                   "actuals of the periods the file holds (a corrected export replaces its periods whole)")


def run_import(args, bad_input) -> int:
    from desktop_planner.core.commands import CommandError
    from desktop_planner.io.account_import import AccountImportError, read_accounts
    from desktop_planner.io.mapping import MappingError, parse_overrides
    from desktop_planner.io.project_import import plan_from_import
    from desktop_planner.io.table_reader import TableError, open_table
    from desktop_planner.store.opening import ProjectError
    from desktop_planner.store.project import ProjectFile

    if args.reviews:
        from desktop_planner.cli.reviews import import_review_sheets
        return import_review_sheets(args, bad_input)
    if getattr(args, "actuals", None) is not None or getattr(args, "quotas", None) is not None:
        return _import_records(args, bad_input)
    delimiter = "\t" if args.delimiter == "tab" else args.delimiter
    try:
        args.table_overrides = _table_overrides(args)
    except AccountImportError as exc:
        raise bad_input(str(exc)) from None
    if args.file is None:
        return _import_without_accounts(args, bad_input)
    try:
        if args.map:
            info, rows = open_table(args.file, args.encoding, delimiter)
            rows.close()
            overrides = parse_overrides(args.map, info.header)
        else:
            overrides = None
        last = [0.0]

        def progress(fraction: float, message: str) -> bool:
            if sys.stderr.isatty() and fraction - last[0] >= 0.05:
                last[0] = fraction
                print(f"\r{message} ({fraction:.0%})", end="", file=sys.stderr, flush=True)
            return True
        imported = read_accounts(args.file, overrides, args.encoding, delimiter, progress)
    except (AccountImportError, MappingError, TableError) as exc:
        raise bad_input(str(exc)) from None
    print(imported.report())
    if imported.accepted == 0:
        raise bad_input(f"{args.file}: no account could be imported; nothing was changed")
    created = not args.project.exists()
    try:
        if not created:
            project = ProjectFile.open(args.project)  # the writer lock: refused while another process writes it
        else:
            plan = plan_from_import(imported, name=args.file.stem)
            # The accounts and their rejected rows in one transaction (the new file appears whole or not at all).
            project = ProjectFile.create(args.project, plan, issues=(args.file.name, imported.issues))
        with project:
            _import_into(args, project, imported, created)
    except (ProjectError, AccountImportError, CommandError) as exc:
        raise bad_input(str(exc)) from None
    return 0


def _import_into(args, project, imported, created: bool) -> None:
    """The accounts (a refresh of an existing project), then reps and today's alignment: each one command
    saved in one transaction together with the rows it rejected."""
    from desktop_planner.core.account_commands import RefreshAccounts, plan_refresh
    from desktop_planner.core.commands import RecordIssues
    from desktop_planner.core.history import History
    from desktop_planner.core.team_commands import RescoreAfter
    from desktop_planner.store.team_rows import read_handovers

    if not created:
        # Every account, whichever team covers it: the refresh, new scores and the hand-overs they cause are one
        # step.
        plan = project.load_plan(all_accounts=True)
        refresh = plan_refresh(plan, imported.columns, args.remove_missing, imported.fields)
        before = len(read_handovers(project.conn))
        History(plan, project).do(RecordIssues(RescoreAfter(RefreshAccounts(
            imported.columns, args.remove_missing, source=args.file.name, fields=imported.fields)),
            args.file.name, imported.issues))
        print(f"{args.project}: {len(refresh.added):,} new accounts (unassigned), {len(refresh.updated):,} "
              f"updated, {refresh.unchanged:,} unchanged")
        _print_handovers(project, read_handovers(project.conn)[before:])
        if len(refresh.missing):
            what = "removed" if args.remove_missing else "kept (use --remove-missing to remove them)"
            shown = ", ".join(map(str, refresh.missing[:5].tolist()))
            print(f"  {len(refresh.missing):,} accounts are not in the file: {what}; e.g. {shown}")
    else:
        print(f"{args.project}: new project with {imported.accepted:,} accounts")
    if args.reps is not None or args.alignment is not None:
        plan = project.load_plan(team=args.team)
        _import_tables(args, project, plan, History(plan, project))


def _print_handovers(project, handovers: list[dict]) -> None:
    """What the refresh handed over between teams, by pair of teams, with a few account ids each, and where they
    stand in the receiving team's active scenario: unassigned, or back in the territory that team gave them
    before (an account that returns, or one the first team's alignment had from before there were teams)."""
    import numpy as np
    pairs: dict[tuple, list[str]] = {}
    for h in handovers:
        pairs.setdefault((h["from_team"], h["to_team"]), []).append(str(h["external_id"]))
    for (a, b), ids in sorted(pairs.items(), key=lambda item: -len(item[1])):
        shown = ", ".join(ids[:5]) + (", …" if len(ids) > 5 else "")
        print(f"  handed over from {a or 'no team'} to {b or 'no team'}: {len(ids):,} accounts ({shown})")
        if b is None:
            continue
        view = project.load_plan(team=b)
        rows = np.flatnonzero(np.isin(view.accounts.external_id.astype(str), ids))
        unassigned = int((view.active.assignment[rows] < 0).sum())
        if unassigned:
            print(f"    {unassigned:,} arrive unassigned in {view.active.name!r}: assign them on the map or run "
                  f"balance --team {b!r}")
        if len(rows) - unassigned:
            print(f"    {len(rows) - unassigned:,} go back to the territory {b} gave them before, in "
                  f"{view.active.name!r}")


def _import_without_accounts(args, bad_input) -> int:
    """Reps and/or an alignment into an existing project, its accounts as they are."""
    from desktop_planner.core.commands import CommandError
    from desktop_planner.core.history import History
    from desktop_planner.io.account_import import AccountImportError
    from desktop_planner.store.opening import ProjectError
    from desktop_planner.store.project import ProjectFile
    if args.reps is None and args.alignment is None:
        raise bad_input("import needs an accounts file, or --reps or --alignment for an existing project")
    if not args.project.exists():
        raise bad_input(f"{args.project}: no such project (a new project needs an accounts file)")
    try:
        with ProjectFile.open(args.project) as project:
            plan = project.load_plan(team=args.team)
            _import_tables(args, project, plan, History(plan, project))
    except (ProjectError, AccountImportError, CommandError) as exc:
        raise bad_input(str(exc)) from None
    return 0


def _table_overrides(args) -> dict[str, dict[str, str]]:
    """The --reps-map and --alignment-map corrections, checked against their files before anything is imported."""
    from desktop_planner.io.account_import import AccountImportError
    from desktop_planner.io.territory_import import ALIGNMENT_FIELDS, REP_FIELDS, check_overrides, parse_map_items
    overrides = {}
    for (kind, attribute, option), fields in zip(TABLE_OPTIONS, (REP_FIELDS, ALIGNMENT_FIELDS)):
        items = getattr(args, attribute)
        if items and getattr(args, kind) is None:
            raise AccountImportError(f"{option} corrects the columns of --{kind}, which was not given")
        overrides[kind] = parse_map_items(items, fields, option)
        if items:
            check_overrides(getattr(args, kind), overrides[kind])
    return overrides


def _import_tables(args, project, plan, history) -> None:
    from desktop_planner.core.commands import RecordIssues
    from desktop_planner.io.territory_import import ALIGNMENT_FIELDS, REP_FIELDS, import_alignment, import_reps
    for (kind, _, option), fields, reader in zip(TABLE_OPTIONS, (REP_FIELDS, ALIGNMENT_FIELDS),
                                                 (import_reps, import_alignment)):
        path = getattr(args, kind)
        if path is None:
            continue
        result = reader(plan, plan.active, path, args.table_overrides[kind])
        command, issues = result.command, result.issues
        if command is not None:
            history.do(RecordIssues(command, path.name, issues))
        elif issues:
            project.record_import_issues(path.name, issues)
        print(f"{path.name}: {command.label if command else 'nothing to apply'}; {len(issues)} rows rejected")
        print(f"  columns used: {result.describe_columns()}")
        for note in result.notes:
            print(f"  {note}")
        if result.unused:
            print(f"  to use a column: {option} 'COLUMN=FIELD' (fields: {', '.join(fields)})")
        assign = getattr(command, "assign", None)  # a unit alignment: what followed and what stayed
        if assign is not None:
            print(f"  {assign.moved:,} accounts moved with their unit; kept their own territory: "
                  f"{assign.kept_exceptions:,} exceptions, {assign.kept_locked:,} locked")
        for issue in issues[:5]:
            print(f"  row {issue.row_number}: {issue.problem}")
        if len(issues) > 5:
            print(f"  … and {len(issues) - 5:,} more (desktop-planner export PROJECT --what issues)")


def _record_overrides(args, bad_input) -> dict:
    """The --actuals-map and --quotas-map corrections (--map: of the one such file, when there is no accounts file),
    checked against their files before anything is imported."""
    from desktop_planner.io.account_import import AccountImportError
    from desktop_planner.io.actuals_import import ACTUALS_FIELDS, QUOTA_FIELDS
    from desktop_planner.io.territory_import import check_overrides, parse_map_items
    maps = {"actuals": list(args.actuals_map), "quotas": list(args.quotas_map)}
    if args.map and args.file is None:
        given = [kind for kind in maps if getattr(args, kind) is not None]
        if len(given) > 1:
            raise bad_input("--map corrects one file: with --actuals and --quotas, use --actuals-map and --quotas-map")
        maps[given[0]] += args.map
    overrides = {}
    try:
        for kind, fields in (("actuals", ACTUALS_FIELDS), ("quotas", QUOTA_FIELDS)):
            if maps[kind] and getattr(args, kind) is None:
                raise AccountImportError(f"--{kind}-map corrects the columns of --{kind}, which was not given")
            overrides[kind] = parse_map_items(maps[kind], fields, f"--{kind}-map")
            if maps[kind]:
                check_overrides(getattr(args, kind), overrides[kind])
    except AccountImportError as exc:
        raise bad_input(str(exc)) from None
    return overrides


def _import_records(args, bad_input) -> int:
    """--actuals and --quotas, after the accounts, reps and alignment when those are given too. Both files are read
    and checked before either is put; each is one undoable command saved with the rows it rejected."""
    import argparse

    from desktop_planner.core.commands import CommandError, RecordIssues
    from desktop_planner.core.history import History
    from desktop_planner.io.account_import import AccountImportError
    from desktop_planner.io.actuals_import import read_actuals, read_quotas
    from desktop_planner.store.opening import ProjectError
    from desktop_planner.store.project import ProjectFile
    overrides = _record_overrides(args, bad_input)
    if args.file is not None or args.reps is not None or args.alignment is not None:
        run_import(argparse.Namespace(**{**vars(args), "actuals": None, "quotas": None}), bad_input)
    elif not args.project.exists():
        raise bad_input(f"{args.project}: no such project (import its accounts first)")
    fields = {"actuals": ACTUALS_FIELD_NAMES, "quotas": QUOTA_FIELD_NAMES}
    try:
        with ProjectFile.open(args.project) as project:
            steps = []
            for kind in ("actuals", "quotas"):
                path = getattr(args, kind)
                if path is None:
                    continue
                if kind == "actuals":  # actuals are the project's, whichever team covers an account
                    plan = project.load_plan(all_accounts=True)
                    result = read_actuals(plan, path, overrides[kind], args.quarterly, args.replace_periods)
                else:
                    plan = project.load_plan(team=args.team)
                    result = read_quotas(plan, path, overrides[kind], args.quarterly)
                print(result.report())
                if result.unused:
                    print(f"  to use a column: --{kind}-map 'COLUMN=FIELD' (fields: {', '.join(fields[kind])})")
                if result.command is None:
                    raise bad_input(f"{path}: no row could be imported; nothing was changed")
                steps.append((plan, result))
            for plan, result in steps:
                command = RecordIssues(result.command, result.path.name, result.issues)
                History(plan, project).do(command)
                kept = (f"; {result.rejected:,} rejected rows kept (desktop-planner export {args.project} --what "
                        f"issues)" if result.rejected else "")
                print(f"{args.project}: {command.label}{kept}")
    except (ProjectError, AccountImportError, CommandError) as exc:
        raise bad_input(str(exc)) from None
    return 0
