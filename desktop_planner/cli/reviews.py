"""`desktop-planner reviews`: the reps' answers to their review sheets (imported with `import --reviews`), the
disputes open and decided, and the workshop's decision on one dispute (`--decide ID --uphold|--reject`), which is
one undoable change like any other, its comments in the audit trail.

The sheets themselves are written by `export --what review-sheets`."""

from __future__ import annotations

import json
from pathlib import Path

from desktop_planner.cli.common import EXIT_OK, BadInput, add_team_argument, open_project, pick_scenario


def add_parser(sub) -> None:
    p = sub.add_parser("reviews", help="list the reps' answers to their review sheets and the disputes; decide a "
                       "dispute (--decide ID --uphold|--reject --comment TEXT)")
    p.add_argument("project", type=Path)
    add_team_argument(p)
    p.add_argument("--scenario", help="the scenario reviewed (default: the active one)")
    p.add_argument("--all", action="store_true", help="list every answer, not only the disputes")
    p.add_argument("--json", action="store_true", help="print the answers and the counts as JSON")
    p.add_argument("--decide", type=int, metavar="REVIEW_ID", help="decide the dispute with this id (see the list)")
    verdict = p.add_mutually_exclusive_group()
    verdict.add_argument("--uphold", action="store_true", help="the rep is right: the account goes back to the "
                         "territory it came from")
    verdict.add_argument("--reject", action="store_true", help="the change stands")
    p.add_argument("--comment", default="", help="the workshop's reason, kept with the decision and in the audit "
                   "trail")


def baseline_of(plan, scenario, name: str | None):
    """The scenario a realignment is read against: `name`, else the one it was made from (as `report` does)."""
    from desktop_planner.cli.report import _made_from
    baseline = pick_scenario(plan, name) if name else _made_from(plan, scenario)
    if baseline.id == scenario.id:
        raise BadInput(f"reviews compare two scenarios: --baseline names {scenario.name!r}, the scenario reviewed")
    return baseline


def run_reviews(args, bad_input=BadInput) -> int:
    deciding = args.decide is not None
    if deciding and not (args.uphold or args.reject):
        raise bad_input("--decide needs the decision: --uphold (the account goes back) or --reject (it stays)")
    if not deciding and (args.uphold or args.reject or args.comment):
        raise bad_input("--uphold, --reject and --comment go with --decide REVIEW_ID")
    project, plan = open_project(args.project, read_only=not deciding, team=args.team)
    with project:
        if deciding:
            from desktop_planner.core.commands import CommandError
            from desktop_planner.core.history import History
            from desktop_planner.core.review_commands import DecideDispute
            from desktop_planner.store.opening import ProjectError
            command = DecideDispute(args.decide, uphold=args.uphold, comment=args.comment, by=project.user)
            try:
                History(plan, project).do(command)
            except (CommandError, ProjectError) as exc:
                raise bad_input(str(exc)) from None
            print(f"{args.project}: {command.label}")
            return EXIT_OK
        scenario = pick_scenario(plan, args.scenario)
        return _print_reviews(args, plan, scenario)


def review_summary(reviews) -> dict:
    """Counts of a scenario's answers: in all and per rep."""
    def counts(rs) -> dict:
        return {"answers": len(rs), "agree": sum(r.verdict == "agree" for r in rs),
                "disputes": sum(r.is_dispute for r in rs), "not_answered": sum(r.verdict is None for r in rs),
                "open": sum(r.is_open for r in rs), "upheld": sum(r.is_dispute and r.upheld is True for r in rs),
                "rejected": sum(r.is_dispute and r.upheld is False for r in rs)}
    reps: dict[str, list] = {}
    for r in reviews:
        reps.setdefault(r.rep, []).append(r)
    return {**counts(reviews), "reps": [{"rep": rep, **counts(rs)} for rep, rs in sorted(reps.items())]}


def review_dict(r) -> dict:
    return {"id": r.id, "account_id": r.external_id, "rep": r.rep, "territory": r.territory, "change": r.kind,
            "from_territory": r.from_territory, "to_territory": r.to_territory, "verdict": r.verdict,
            "comment": r.comment, "source": r.source, "imported_at": r.imported_at,
            "decision": None if r.upheld is None else ("upheld" if r.upheld else "rejected"),
            "decision_comment": r.decision_comment or None, "decided_at": r.decided_at, "decided_by": r.decided_by}


def _print_reviews(args, plan, scenario) -> int:
    from desktop_planner.core.review_commands import reviews_of
    reviews = reviews_of(plan, scenario.id)
    summary = review_summary(reviews)
    listed = reviews if args.all else [r for r in reviews if r.is_dispute]
    listed.sort(key=lambda r: (not r.is_open, r.rep.casefold(), r.id))
    if args.json:
        print(json.dumps({"scenario": scenario.name, "summary": summary,
                          "reviews": [review_dict(r) for r in listed]}, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not reviews:
        others = sorted({s.name for r in reviews_of(plan) for s in [plan.scenarios.get(r.scenario_id)] if s})
        hint = f"; answers were imported for {', '.join(map(repr, others))} (--scenario)" if others else \
            f"; write the sheets with `export {args.project} --what review-sheets --scenario NAME --out FOLDER`"
        print(f"scenario {scenario.name!r}: no review answers imported yet{hint}")
        return EXIT_OK
    print(f"scenario {scenario.name!r}: {summary['answers']:,} answers from {len(summary['reps'])} reps: "
          f"{summary['agree']:,} agree, {summary['disputes']:,} disputes ({summary['open']:,} open, "
          f"{summary['upheld']:,} upheld, {summary['rejected']:,} rejected), {summary['not_answered']:,} not answered")
    print(f"{'rep':<24} {'answers':>7} {'agree':>6} {'dispute':>7} {'open':>5}")
    for rep in summary["reps"]:
        print(f"{rep['rep'][:24]:<24} {rep['answers']:>7,} {rep['agree']:>6,} {rep['disputes']:>7,} {rep['open']:>5,}")
    if not listed:
        return EXIT_OK
    print()
    print(f"{'id':>5}  {'account':<12} {'rep':<20} {'change':<48} {'verdict':<8} {'decision':<9} comment")
    for r in listed:
        change = f"{r.kind}: {r.from_territory or '(unassigned)'} → {r.to_territory or '(unassigned)'}"
        decision = "open" if r.is_open else "" if r.upheld is None else ("upheld" if r.upheld else "rejected")
        comment = r.comment or ""
        if r.decision_comment:
            comment += f"  [workshop: {r.decision_comment}]"
        print(f"{r.id:>5}  {r.external_id[:12]:<12} {r.rep[:20]:<20} {change[:48]:<48} {r.verdict or '-':<8} "
              f"{decision:<9} {comment}")
    if summary["open"]:
        print(f"\ndecide one: desktop-planner reviews {args.project} --decide ID --uphold|--reject --comment TEXT")
    return EXIT_OK


def export_review_sheets(args) -> int:
    """`export --what review-sheets`: a sheet per rep in the folder --out."""
    from desktop_planner.io.review_sheets import ReviewSheetError, write_review_sheets
    if args.model_id or args.type_id:
        raise BadInput("--model-id and --type-id belong to --what crm")
    fmt = args.format or "csv"
    if fmt not in ("csv", "xlsx"):
        raise BadInput(f"review sheets are written as csv or xlsx, not {fmt!r}")
    if args.out.exists() and not args.out.is_dir():
        raise BadInput(f"{args.out}: is a file; --what review-sheets writes a sheet per rep into a folder")
    project, plan = open_project(args.project, read_only=True, team=args.team)
    with project:
        scenario = pick_scenario(plan, args.scenario)
        baseline = baseline_of(plan, scenario, args.baseline)
        try:
            written = write_review_sheets(plan, baseline, scenario, args.out, fmt, bom=args.bom)
        except ReviewSheetError as exc:
            raise BadInput(str(exc)) from None
    if not written:
        print(f"scenario {scenario.name!r} changes no account against {baseline.name!r}: no review sheets written")
        return EXIT_OK
    for path, rows in written:
        print(f"{path}: {rows:,} rows")
    print(f"{len(written)} review sheets for scenario {scenario.name!r} against {baseline.name!r}; when they come "
          f"back: desktop-planner import {args.project} --reviews FILE ... --scenario {scenario.name!r}")
    return EXIT_OK


def import_review_sheets(args, bad_input=BadInput) -> int:
    """`import --reviews FILE ...`: the reps' returned sheets as one undoable step, rejected rows kept."""
    from desktop_planner.core.commands import CommandError, RecordIssues
    from desktop_planner.core.history import History
    from desktop_planner.core.review_commands import ImportReviews
    from desktop_planner.io.review_sheets import ReviewSheetError, read_review_sheets
    from desktop_planner.store.opening import ProjectError
    if args.file is not None:
        raise bad_input("--reviews imports returned review sheets only: import the accounts file on its own")
    if not args.project.exists():
        raise bad_input(f"{args.project}: no such project")
    project, plan = open_project(args.project, team=args.team)
    with project:
        scenario = pick_scenario(plan, args.scenario or _named_in_sheets(plan, args.reviews))
        baseline = baseline_of(plan, scenario, getattr(args, "baseline", None))
        try:
            imported = read_review_sheets(plan, baseline, scenario, args.reviews)
            print(imported.report())
            command = ImportReviews(scenario.id, imported.rows) if len(imported.rows) else None
            if command is not None:
                for source, issues in imported.issues.items():  # each file's rejected rows under its own name
                    if issues:
                        command = RecordIssues(command, source, issues)
                History(plan, project).do(command)
                print(f"{args.project}: {command.label}")
            else:
                for source, issues in imported.issues.items():
                    if issues:
                        project.record_import_issues(source, issues)
        except (ReviewSheetError, CommandError, ProjectError) as exc:
            raise bad_input(str(exc)) from None
    if command is None:
        raise bad_input("no row of the sheets matched a change of the scenario; nothing was imported")
    return EXIT_OK


def _named_in_sheets(plan, paths) -> str | None:
    """The scenario the sheets were written for (their sheet_id), when the project still has it."""
    from desktop_planner.io.review_sheets import sheet_scenario
    name = sheet_scenario(paths)
    return name if name is not None and any(s.name == name for s in plan.scenarios.values()) else None
