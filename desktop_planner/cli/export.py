"""`desktop-planner export`: assignments, summaries, change reports, the audit log, rejected import rows,
territories as polygons, the unit routing list and the territories in a CRM's own import format."""

from __future__ import annotations

import sys
from pathlib import Path

from desktop_planner.cli.common import add_team_argument, EXIT_OK, BadInput, open_project, pick_scenario

CRM_FORMATS = ("salesforce-etm",)  # io/crm_export.py's formats
SHEET_FORMATS = ("csv", "xlsx")  # io/review_sheets.py's formats


def add_parser(sub) -> None:
    export = sub.add_parser("export", help="write assignments, a territory summary, the moved accounts, the audit "
                            "log or rejected import rows as CSV, territories as polygons, or the plan for a CRM")
    export.add_argument("project", type=Path)
    add_team_argument(export)
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--scenario")
    export.add_argument("--what", choices=("assignments", "summary", "changes", "audit", "issues", "territories",
                                           "units", "unit-changes", "crm", "owners", "review-sheets"),
                        default="assignments", help="changes: the accounts that change territory against --baseline; "
                        "audit: the change log; territories: polygons with measures, to .gpkg or .geojson "
                        "(with a unit layer: the union of each territory's units); units: unit -> territory, the "
                        "CRM routing list; unit-changes: the units that change territory against --baseline (both "
                        "need a unit layer); crm: the territories and assignments in a CRM's import format; owners: with teams, "
                        "every account's territory and rep in each team; review-sheets: one sheet per rep of the "
                        "accounts gained and lost against --baseline, to answer agree/dispute (--out is a folder)")
    export.add_argument("--baseline", help="with --what assignments: add where each account was in this scenario; "
                        "with --what changes: the scenario compared against (default: the one the scenario was made "
                        "from); with --what unit-changes: the scenario compared against (required)")
    export.add_argument("--format", choices=CRM_FORMATS + SHEET_FORMATS,
                        help="with --what crm: the CRM's format (required); with --what review-sheets: csv (the "
                        "default) or xlsx")
    export.add_argument("--model-id", help="with --what crm: the id of the CRM's territory model to load into")
    export.add_argument("--type-id", help="with --what crm: the id of the CRM's territory type of the territories")
    export.add_argument("--bom", action="store_true", help="start the file with a UTF-8 byte-order mark (Excel)")


def run_export(args) -> int:
    from desktop_planner.io import export
    crm_options = {"model_id": args.model_id, "type_id": args.type_id}
    if args.what == "review-sheets":
        from desktop_planner.cli.reviews import export_review_sheets
        return export_review_sheets(args)
    if args.what != "crm" and (args.format or any(crm_options.values())):
        raise BadInput("--format, --model-id and --type-id belong to --what crm")
    if args.what == "crm" and args.format not in CRM_FORMATS:
        raise BadInput(f"--what crm needs the CRM's format: --format {'|'.join(CRM_FORMATS)}")
    project, plan = open_project(args.project, read_only=True, team=args.team)
    label = args.what
    with project:
        scenario = pick_scenario(plan, args.scenario)
        try:
            if args.what == "assignments":
                baseline = pick_scenario(plan, args.baseline) if args.baseline else None
                count = export.export_assignments(plan, scenario, args.out, baseline=baseline, bom=args.bom)
            elif args.what == "summary":
                count = export.export_summary(plan, scenario, args.out, bom=args.bom,
                                              contiguity=project.contiguity_checker(plan))
            elif args.what == "changes" and (args.baseline or scenario.based_on in plan.scenarios):
                baseline = pick_scenario(plan, args.baseline) if args.baseline else plan.scenarios[scenario.based_on]
                count = export.export_change_report(plan, baseline, scenario, args.out, bom=args.bom)
                label = f"changes from {baseline.name!r}"
            elif args.what in ("changes", "audit"):
                if args.what == "changes":  # said on stderr, so a script reading the CSV still gets only the CSV
                    print(f"desktop-planner: scenario {scenario.name!r} was not made from another scenario and no "
                          "--baseline was named: writing the change log instead (as --what audit does)",
                          file=sys.stderr)
                scenario_id = scenario.id if args.scenario else None
                count = export.export_changes(project.conn, args.out, scenario_id, bom=args.bom)
            elif args.what == "owners":
                count = _export_owners(args, project, plan, scenario)
            elif args.what == "crm":
                from desktop_planner.io.crm_export import export_crm
                options = {k: v for k, v in crm_options.items() if v is not None}  # the format's defaults apply
                written = export_crm(plan, scenario, args.out, args.format, **options)
                print("\n".join(str(path) for path in written))
                count = len(written)
            elif args.what == "units":
                _need_units(args, plan)
                count = export.export_units(plan, scenario, args.out, bom=args.bom)
            elif args.what == "unit-changes":
                from desktop_planner.core.unit_changes import UNIT_CHANGE_COLUMNS, unit_change_rows
                _need_units(args, plan)
                if not args.baseline:
                    raise BadInput("--what unit-changes compares two scenarios: name the one to compare against "
                                   "with --baseline NAME")
                rows = unit_change_rows(plan, pick_scenario(plan, args.baseline), scenario)
                count = export.write_csv(args.out, UNIT_CHANGE_COLUMNS, rows, bom=args.bom)
            elif args.what == "territories":
                from desktop_planner.io.territory_export import export_territories
                count = export_territories(plan, scenario, args.out, contiguity=project.contiguity_checker(plan))
            else:
                count = export.export_issues(project.conn, args.out, bom=args.bom)
        except export.ExportError as exc:
            raise BadInput(str(exc)) from None
    print(f"{args.out}: {count:,} rows ({label})")
    return EXIT_OK


def _export_owners(args, project, plan, scenario) -> int:
    from desktop_planner.io.team_export import export_owners
    if not plan.teams:
        raise BadInput(f"{args.project}: has no teams, so every account has one owner: use --what assignments")
    views = {t.id: project.load_plan(team=t.name) for t in plan.teams}
    return export_owners(project.load_plan(all_accounts=True), views, scenario.name, args.out, bom=args.bom)


def _need_units(args, plan) -> None:
    if plan.units is None:
        raise BadInput(f"{args.project}: has no unit layer (set one with `desktop-planner units {args.project} "
                       f"--layer ...`)")
