"""`desktop-planner teams`: list the teams and the conflicts of their rules, add, edit or remove a team, name accounts
a team covers or leaves out, list the hand-overs between teams.

Every change is one command through the History (one transaction, in the audit trail) on the view of all accounts,
and reports the accounts it hands over between teams.
"""

from __future__ import annotations

import json
from pathlib import Path

from desktop_planner.cli.common import EXIT_OK, BadInput, open_project


def add_parser(sub) -> None:
    p = sub.add_parser("teams", help="list teams and conflicts; add, edit or remove a team (rule, kind, accounts "
                       "included or excluded); list hand-overs between teams")
    p.add_argument("project", type=Path)
    action = p.add_mutually_exclusive_group()
    action.add_argument("--add", metavar="NAME", help="add a team (with --rule; --overlay for specialists)")
    action.add_argument("--edit", metavar="NAME", help="change a team (--rule, --rename, --overlay/--exclusive)")
    action.add_argument("--remove", metavar="NAME", help="remove a team (its territories are kept for an undo)")
    action.add_argument("--conflicts", action="store_true", help="list accounts no exclusive team covers, or "
                        "that several exclusive teams' rules claim")
    action.add_argument("--handovers", action="store_true", help="list the accounts handed over between teams")
    p.add_argument("--rule", help="which accounts the team covers, e.g. \"arr >= 1M or employees >= 5000\" "
                   "(empty: every account)")
    p.add_argument("--rename", metavar="NEW_NAME")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--overlay", action="store_true", help="the team covers accounts another team owns too")
    kind.add_argument("--exclusive", action="store_true", help="the team owns its accounts (the default)")
    p.add_argument("--include", metavar="IDS", help="with --add/--edit: account ids the team covers whatever the "
                   "rule (comma separated); settles a conflict")
    p.add_argument("--exclude", metavar="IDS", help="with --add/--edit: account ids the team never covers")
    p.add_argument("--json", action="store_true", help="print the list as JSON")


def _changed_teams(args, teams, bad_input):
    from desktop_planner.core.teams import Team, TeamError, parse_id_list
    by_name = {t.name.casefold(): t for t in teams}

    def existing(name):
        team = by_name.get(name.strip().casefold())
        if team is None:
            raise bad_input(f"no team named {name!r} (the project has: "
                            f"{', '.join(t.name for t in teams) or 'no teams yet'})")
        return team
    try:
        include = parse_id_list(args.include) if args.include is not None else None
        exclude = parse_id_list(args.exclude) if args.exclude is not None else None
    except TeamError as exc:
        raise bad_input(str(exc)) from None
    if args.add is not None:
        if args.add.strip().casefold() in by_name:
            raise bad_input(f"there is already a team named {args.add!r}")
        new = Team(id=max([t.id for t in teams] + [0]) + 1, name=args.add.strip(),
                   kind="overlay" if args.overlay else "exclusive", rule=args.rule or "",
                   include=include or frozenset(), exclude=exclude or frozenset())
        return teams + (new,), f"Add team {new.name}"
    if args.remove is not None:
        gone = existing(args.remove)
        return tuple(t for t in teams if t.id != gone.id), f"Remove team {gone.name}"
    team = existing(args.edit)
    changes = {}
    if args.rule is not None:
        changes["rule"] = args.rule
    if args.rename is not None:
        changes["name"] = args.rename.strip()
    if args.overlay or args.exclusive:
        changes["kind"] = "overlay" if args.overlay else "exclusive"
    if include is not None:
        changes["include"] = include
    if exclude is not None:
        changes["exclude"] = exclude
    if not changes:
        raise bad_input("--edit needs something to change: --rule, --rename, --overlay/--exclusive, --include or "
                        "--exclude")
    return tuple(t.with_changes(**changes) if t.id == team.id else t for t in teams), f"Edit team {team.name}"


def run_teams(args, bad_input=BadInput) -> int:
    from desktop_planner.core.commands import CommandError
    from desktop_planner.core.history import History
    from desktop_planner.core.team_commands import SetTeams
    from desktop_planner.core.teams import TeamError, handovers
    from desktop_planner.store.opening import ProjectError
    from desktop_planner.store.team_rows import read_handovers

    changing = any(v is not None for v in (args.add, args.edit, args.remove))
    if not changing and any(v is not None for v in (args.rule, args.rename, args.include, args.exclude)):
        raise bad_input("--rule, --rename, --include and --exclude go with --add or --edit")
    project, plan = open_project(args.project, read_only=not changing, all_accounts=True)
    with project:
        if args.handovers:
            return _print_rows(args, read_handovers(project.conn), "no hand-overs between teams yet")
        try:
            if changing:
                teams, label = _changed_teams(args, plan.teams, bad_input)
                moved = handovers(plan.accounts, plan.teams, plan.accounts, teams, label) if plan.teams else []
                History(plan, project).do(SetTeams(teams, label))
                print(f"{args.project}: {label}; {len(moved):,} accounts handed over between teams")
            if args.conflicts:
                return _print_rows(args, conflict_rows(plan), "no conflicts: every account has one exclusive team")
            _print_teams(args, plan, project.conn)
        except (CommandError, ProjectError, TeamError) as exc:
            raise bad_input(str(exc)) from None
    return EXIT_OK


def conflict_rows(plan) -> list[dict]:
    from desktop_planner.core.teams import team_coverage
    coverage = team_coverage(plan.accounts, plan.teams)
    names = {t.id: t.name for t in plan.teams}
    a = plan.accounts
    return [{"external_id": a.external_id[c.row], "name": a.name[c.row],
             "problem": "no exclusive team covers it" if c.kind == "none"
             else "claimed by " + " and ".join(names[t] for t in c.teams),
             "goes_to": names.get(int(coverage.owner[c.row]), "")} for c in coverage.conflicts]


def team_rows(plan, conn) -> list[dict]:
    from desktop_planner.core.teams import team_coverage
    coverage = team_coverage(plan.accounts, plan.teams)
    counts = coverage.counts()
    rows = []
    for team in plan.teams:
        territories = conn.execute("SELECT COUNT(*) FROM territories t JOIN scenarios s ON s.id = t.scenario_id "
                                   "WHERE s.team_id = ? AND s.id = (SELECT MIN(id) FROM scenarios WHERE team_id = ?)",
                                   (team.id, team.id)).fetchone()[0]
        rows.append({"team": team.name, "kind": team.kind, "rule": team.rule or "(every account)",
                     "accounts": counts[team.id], "territories": territories,
                     "included": len(team.include), "excluded": len(team.exclude),
                     "own_settings": team.settings_json is not None})
    return rows


def _print_teams(args, plan, conn) -> None:
    if not plan.teams:
        if args.json:
            print(json.dumps({"teams": [], "conflicts": 0}))
        else:
            print(f"{args.project}: no teams: one alignment of all {len(plan.accounts):,} accounts. Add one with "
                  "--add NAME --rule RULE.")
        return
    rows, conflicts = team_rows(plan, conn), conflict_rows(plan)
    if args.json:
        print(json.dumps({"teams": rows, "conflicts": len(conflicts)}, ensure_ascii=False))
        return
    for row in rows:
        print(f"{row['team']} ({row['kind']}): {row['rule']}; {row['accounts']:,} accounts, "
              f"{row['territories']} territories" + (f", {row['included']} included" if row["included"] else "")
              + (f", {row['excluded']} excluded" if row["excluded"] else ""))
    print(f"{len(conflicts):,} conflicts" + (" (desktop-planner teams PROJECT --conflicts)" if conflicts else ""))


def _print_rows(args, rows: list[dict], empty: str) -> int:
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    elif not rows:
        print(empty)
    else:
        keys = list(rows[0])
        print("\t".join(keys))
        for row in rows:
            print("\t".join("" if row[k] is None else str(row[k]) for k in keys))
    return EXIT_OK
