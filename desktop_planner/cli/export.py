"""`desktop-planner export`: assignments, summaries, change reports, the audit log, rejected import rows,
territories as polygons and the unit routing list."""

from __future__ import annotations

from pathlib import Path

from desktop_planner.cli.common import EXIT_OK, BadInput, open_project, pick_scenario


def add_parser(sub) -> None:
    export = sub.add_parser("export", help="write assignments, a territory summary, the audit log or rejected "
                            "import rows as CSV")
    export.add_argument("project", type=Path)
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--scenario")
    export.add_argument("--what", choices=("assignments", "summary", "changes", "issues", "territories", "units",
                                           "unit-changes"),
                        default="assignments", help="territories: polygons with measures, to .gpkg or .geojson "
                        "(with a unit layer: the union of each territory's units); units: unit -> territory, the "
                        "CRM routing list; unit-changes: the units that change territory against --baseline (both "
                        "need a unit layer)")
    export.add_argument("--baseline", help="with --what assignments: add where each account was in this scenario; "
                        "with --what changes: the change report against it (else the audit log); with --what "
                        "unit-changes: the scenario compared against (required)")
    export.add_argument("--bom", action="store_true", help="start the file with a UTF-8 byte-order mark (Excel)")


def run_export(args) -> int:
    from desktop_planner.io import export
    project, plan = open_project(args.project, read_only=True)
    with project:
        scenario = pick_scenario(plan, args.scenario)
        try:
            if args.what == "assignments":
                baseline = pick_scenario(plan, args.baseline) if args.baseline else None
                count = export.export_assignments(plan, scenario, args.out, baseline=baseline, bom=args.bom)
            elif args.what == "summary":
                count = export.export_summary(plan, scenario, args.out, bom=args.bom,
                                              contiguity=project.contiguity_checker(plan))
            elif args.what == "changes" and args.baseline:
                count = export.export_change_report(plan, pick_scenario(plan, args.baseline), scenario, args.out,
                                                    bom=args.bom)
            elif args.what == "changes":
                scenario_id = scenario.id if args.scenario else None
                count = export.export_changes(project.conn, args.out, scenario_id, bom=args.bom)
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
    print(f"{args.out}: {count:,} rows ({args.what})")
    return EXIT_OK


def _need_units(args, plan) -> None:
    if plan.units is None:
        raise BadInput(f"{args.project}: has no unit layer (set one with `desktop-planner units {args.project} "
                       f"--layer ...`)")
