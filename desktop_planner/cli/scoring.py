"""`desktop-planner score`: define the account score (a weighted sum of normalised columns, with tiers), score every
account, or show the definition and how the scores fall per tier and per territory."""

from __future__ import annotations

import json
from pathlib import Path

from desktop_planner.cli.common import EXIT_OK, BadInput, add_team_argument, open_project, pick_scenario


def add_parser(sub) -> None:
    p = sub.add_parser("score", help="score accounts by a weighted sum of their columns, with tiers; without "
                       "options, show the score definition and the scores per tier and territory")
    p.add_argument("project", type=Path)
    p.add_argument("--component", action="append", metavar="COLUMN:WEIGHT[:METHOD]",
                   help="a part of the score, repeatable: 'arr:0.5' (min-max), 'employees:0.2:rank', "
                   "'arr:0.5:cap=5M', 'industry:0.3:Healthcare=100,Technology=80,*=20' (points per category)")
    p.add_argument("--tiers", metavar="A=70,B=40,C=0", help="tier names and the least score of each")
    p.add_argument("--feeds-potential", action="store_true",
                   help="the score stands in for potential (the imported potential is kept and comes back when "
                   "the score stops feeding it)")
    p.add_argument("--spec", type=Path, metavar="SCORE.json", help="the whole definition as JSON (as --show --json "
                   "prints it)")
    p.add_argument("--remove", action="store_true", help="remove the score (and give potential back)")
    p.add_argument("--scenario", help="with the show: the scenario whose territories to show (default: active)")
    add_team_argument(p)
    p.add_argument("--json", action="store_true", help="print the definition and the distribution as JSON")


def _definition(args, bad_input):
    from desktop_planner.core.scoring import ScoreDefinition, ScoringError, definition_from_json, parse_component, \
        parse_tiers
    try:
        if args.spec is not None:
            try:
                text = args.spec.read_text(encoding="utf-8-sig")
            except OSError as exc:
                raise bad_input(f"{args.spec}: cannot be read ({exc.strerror or exc})") from None
            definition = definition_from_json(text)
            if definition is None:
                raise bad_input(f"{args.spec}: holds no score definition (to remove the score, use --remove)")
            return definition
        return ScoreDefinition(components=tuple(parse_component(c) for c in args.component),
                               tiers=parse_tiers(args.tiers) if args.tiers else (),
                               feeds_potential=args.feeds_potential)
    except ScoringError as exc:
        raise bad_input(str(exc)) from None


def run_score(args, bad_input=BadInput) -> int:
    from desktop_planner.core.commands import CommandError
    from desktop_planner.core.history import History
    from desktop_planner.core.team_commands import SetScoring
    from desktop_planner.store.opening import ProjectError

    setting = bool(args.component) or args.spec is not None or args.remove
    if not setting and (args.tiers or args.feeds_potential):
        raise bad_input("--tiers and --feeds-potential go with --component (or use --spec)")
    if sum([bool(args.component), args.spec is not None, args.remove]) > 1:
        raise bad_input("give the score as --component options, or as --spec, or --remove it: one of them")
    if setting:
        definition = None if args.remove else _definition(args, bad_input)
        project, plan = open_project(args.project, all_accounts=True)
        with project:
            try:
                History(plan, project).do(SetScoring(definition))
            except (CommandError, ProjectError) as exc:
                raise bad_input(str(exc)) from None
        print(f"{args.project}: " + ("score removed" if definition is None else
                                     f"{len(plan.accounts):,} accounts scored"))
    project, plan = open_project(args.project, read_only=True, team=args.team)
    with project:
        _show(args, plan, pick_scenario(plan, args.scenario))
    return EXIT_OK


def _show(args, plan, scenario) -> None:
    import numpy as np
    from desktop_planner.core.scoring import score_summary
    definition = plan.scoring
    if definition is None:
        print(json.dumps({"definition": None}) if args.json else
              f"{args.project}: no score defined (desktop-planner score PROJECT --component COLUMN:WEIGHT ...)")
        return
    score = plan.accounts.score
    tiers = [t.name for t in definition.tiers]
    tier_index = np.array([tiers.index(t) if t in tiers else -1 for t in plan.accounts.tier.tolist()])
    names = [t.name for t in scenario.territories.values()]
    by_tier = score_summary(score, tier_index, tiers)
    by_territory = score_summary(score, scenario.territory_index(), names)
    if args.json:
        def plain(rows):  # NaN is not JSON: a group without scores has null figures
            return [{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()} for row in rows]
        print(json.dumps({"definition": json.loads(definition.to_json()), "scenario": scenario.name,
                          "by_tier": plain(by_tier), "by_territory": plain(by_territory)}, ensure_ascii=False))
        return
    parts = ", ".join(f"{c.column} × {c.weight:g} ({c.method}{f', cap {c.cap:g}' if c.cap else ''})"
                      for c in definition.components)
    print(f"Score = {parts}" + ("; it stands in for potential" if definition.feeds_potential else ""))
    if tiers:
        print("Tiers: " + ", ".join(f"{t.name} from {t.min_score:g}" for t in definition.tiers))
    for title, rows in (("tier", by_tier), (f"territory of {scenario.name!r}", by_territory)):
        print(f"By {title}: count, min, quartiles, max")
        for row in rows:
            if row["count"]:
                print(f"  {row['label']}: {row['count']:,}  {row['min']:.1f} | {row['q1']:.1f} {row['median']:.1f} "
                      f"{row['q3']:.1f} | {row['max']:.1f}")
            else:
                print(f"  {row['label']}: no accounts")
