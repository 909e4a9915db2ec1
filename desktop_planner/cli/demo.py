"""`desktop-planner demo`: a demo project from real US postcode locations."""

from __future__ import annotations

from pathlib import Path

from desktop_planner.cli.common import EXIT_OK, BadInput, positive_int


def add_parser(sub) -> None:
    demo = sub.add_parser("demo", help="create a demo project from real US postcode locations")
    demo.add_argument("project", type=Path)
    demo.add_argument("--accounts", type=positive_int, default=5000)
    demo.add_argument("--territories", type=positive_int, default=12)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--region", default="northeast", help="northeast, midwest, south, west or us")
    demo.add_argument("--force", action="store_true", help="overwrite an existing file")
    demo.add_argument("--teams", action="store_true", help="an Enterprise field team, an SMB inside-sales team and "
                      "a Healthcare overlay, with company figures and a weighted score (--territories is ignored)")
    demo.add_argument("--actuals", action="store_true", help="then a year after go-live: a realigned scenario, a "
                      "holdout of its movers and four quarters of actuals and quotas (with --teams: the first team's)")
    demo.add_argument("--actuals-csv", type=Path, metavar="FILE", help="also write the actuals as CSV (implies --actuals)")


def run_demo(args) -> int:
    from desktop_planner.io.demo import build_demo_plan
    from desktop_planner.store.opening import ProjectError
    from desktop_planner.store.project import ProjectFile
    if args.project.exists() and not args.force:
        raise BadInput(f"{args.project}: already exists (use --force to overwrite it)")
    if args.teams:
        _run_team_demo(args)
        return _add_actuals(args)
    try:
        plan = build_demo_plan(args.accounts, args.territories, seed=args.seed, region=args.region)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    try:
        ProjectFile.create(args.project, plan, overwrite=args.force).close()
    except ProjectError as exc:
        raise BadInput(str(exc)) from None
    print(f"{args.project}: {len(plan.accounts):,} accounts, {len(plan.active.territories)} territories "
          f"({plan.name})")
    return _add_actuals(args)


def _add_actuals(args) -> int:
    if not args.actuals and args.actuals_csv is None:
        return EXIT_OK
    from desktop_planner.io.demo_actuals import add_demo_actuals
    from desktop_planner.store.opening import ProjectError
    try:
        result = add_demo_actuals(args.project, seed=args.seed, csv_path=args.actuals_csv)
    except (ValueError, OSError, ProjectError) as exc:
        raise BadInput(f"{args.project}: {exc}") from None
    print(f"  {result.describe()}")
    return EXIT_OK


def _run_team_demo(args) -> int:
    from desktop_planner.io.demo_teams import create_team_demo
    from desktop_planner.store.opening import ProjectError
    try:
        lines = create_team_demo(args.project, args.accounts, seed=args.seed, region=args.region,
                                 overwrite=args.force)
    except (ValueError, ProjectError) as exc:
        raise BadInput(str(exc)) from None
    print(f"{args.project}: {args.accounts:,} accounts in {len(lines)} teams")
    for line in lines:
        print(f"  {line}")
    return EXIT_OK
