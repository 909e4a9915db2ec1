"""`desktop-planner settings`: the parameters behind every measure (visits and minutes a visit, per score tier, per
segment and by default, stops a day, circuity, speed, the balance tolerance, the overnight and flight rules). List
them, print one, or set one.

A value is set the way the window's settings dialog sets it: one SetSettings command through the History, so it
is checked by the project file's own rules (Settings.validate), written in one transaction and recorded in the
change log like any edit.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path

from desktop_planner.cli.common import add_team_argument, EXIT_OK, BadInput, open_project
from desktop_planner.core.settings import BALANCE_MEASURES, Settings

# Settings that hold a figure per segment or per score tier: KEY.SEGMENT, KEY.TIER.
KEYED_BY = {"tier_visits_per_year": "TIER", "tier_visit_minutes": "TIER",
            "segment_visits_per_year": "SEGMENT", "segment_visit_minutes": "SEGMENT"}
UNSET = "default"  # a segment's or tier's VALUE that removes its own figure, so the next figure down applies
DESCRIPTIONS = {
    "default_visits_per_year": "visits a year of an account without its own figure or its segment's",
    "default_visit_minutes": "minutes a visit of an account without its own figure or its segment's",
    "segment_visits_per_year": "visits a year in this segment",
    "segment_visit_minutes": "minutes a visit in this segment",
    "tier_visits_per_year": "visits a year of an account of this score tier (before its segment's)",
    "tier_visit_minutes": "minutes a visit of an account of this score tier (before its segment's)",
    "stops_per_day": "visits a rep makes in a day; the trip from home is shared by them",
    "circuity": "road km per straight-line km",
    "speed_kmh": "average driving speed, km/h",
    "tolerance": "balance tolerance, a fraction (0.1 or 10% = ±10 %)",
    "balance_measure": "what balancing evens out: " + ", ".join(BALANCE_MEASURES),
    "overnight_km": "one-way road km beyond which a visit is an overnight trip",
    "night_hours": "working hours charged per night away (0: nights are counted only)",
    "flight_km": "straight-line km beyond which a visit is flown",
    "flight_hours": "travel hours of one flown visit",
}
DEFAULT_OF = {"segment_visits_per_year": "default_visits_per_year", "segment_visit_minutes": "default_visit_minutes",
              "tier_visits_per_year": "the segment's figure", "tier_visit_minutes": "the segment's figure"}


def add_parser(sub) -> None:
    p = sub.add_parser("settings", help="list the travel and workload settings, print one, or set one")
    p.add_argument("project", type=Path)
    add_team_argument(p)
    p.add_argument("key", nargs="?", metavar="KEY", help="a setting, e.g. circuity or "
                   "segment_visits_per_year.Enterprise or tier_visits_per_year.A (without KEY: list them all)")
    p.add_argument("value", nargs="?", metavar="VALUE", help=f"set KEY to this value, as one change in the "
                   f"project's history; {UNSET!r} removes a segment's or tier's own figure")
    p.add_argument("--json", action="store_true", help="list every setting as one JSON object")


def run_settings(args) -> int:
    if args.json and args.key is not None:
        raise BadInput("--json lists every setting: leave out KEY")
    project, plan = open_project(args.project, read_only=args.value is None, team=args.team)  # setting takes the writer lock
    with project:
        settings = plan.settings
        keys = _table_keys(plan)
        if args.json:
            print(json.dumps(asdict(settings), ensure_ascii=False))
        elif args.key is None:
            print(f"{plan.name}: settings (change one with `desktop-planner settings PROJECT KEY VALUE`)")
            print(_table(settings, keys))
        elif args.value is None:
            name, segment = _parse_key(args.key, keys)
            if name in KEYED_BY and segment is None:
                print(_table(settings, keys, only=name))
            else:
                print(_shown(settings, name, segment))
        else:
            _set(args, project, plan, keys)
    return EXIT_OK


def _table_keys(plan) -> dict[str, list[str]]:
    """Per keyed setting, what a figure can be set for: the accounts' segments, or the score's tiers, and the keys
    that have a figure already."""
    segments = {str(s) for s in plan.accounts.segment if s}
    tiers = {t.name for t in plan.scoring.tiers} if plan.scoring is not None else set()
    return {name: sorted((segments if kind == "SEGMENT" else tiers).union(getattr(plan.settings, name)))
            for name, kind in KEYED_BY.items()}


def _keys() -> list[str]:
    return [f"{f.name}.{KEYED_BY[f.name]}" if f.name in KEYED_BY else f.name for f in fields(Settings)]


def _what(name: str) -> str:
    return KEYED_BY[name].lower()


def _parse_key(key: str, keys: dict[str, list[str]]) -> tuple[str, str | None]:
    name, dot, segment = key.partition(".")
    if name not in DESCRIPTIONS or (dot and name not in KEYED_BY):
        raise BadInput(f"unknown setting {key!r}; the settings are: {', '.join(_keys())}")
    if dot and segment not in keys[name]:
        what = _what(name)
        raise BadInput(f"{key}: no {what} {segment!r} ({what}s: {', '.join(keys[name]) or 'none'}"
                       + ("; tiers come from `desktop-planner score`" if what == "tier" else "") + ")")
    return name, segment if dot else None


def _shown(settings: Settings, name: str, segment: str | None) -> str:
    value = getattr(settings, name)
    if segment is not None:
        value = value.get(segment)
        if value is None:
            return UNSET
    return value if isinstance(value, str) else f"{value:.10g}"


def _table(settings: Settings, keys: dict[str, list[str]], only: str | None = None) -> str:
    """KEY, value and meaning per line; each segment's and tier's figures on lines of their own."""
    rows = []
    for f in fields(Settings):
        if only is not None and f.name != only:
            continue
        if f.name not in KEYED_BY:
            rows.append((f.name, _shown(settings, f.name, None), DESCRIPTIONS[f.name]))
            continue
        if not keys[f.name]:  # said, so that the setting is not a secret until a score has tiers
            rows.append((f.name, "none", f"no {_what(f.name)}s yet" + (
                ": give the score tiers with `desktop-planner score PROJECT --tiers`" if _what(f.name) == "tier"
                else "")))
        for segment in keys[f.name]:
            shown = _shown(settings, f.name, segment)
            meaning = (f"not set: {DEFAULT_OF[f.name]} applies" if shown == UNSET else DESCRIPTIONS[f.name])
            rows.append((f"{f.name}.{segment}", shown, meaning))
    width, value_width = max(len(row[0]) for row in rows), max(len(row[1]) for row in rows)
    return "\n".join(f"{key:<{width}}  {value:>{value_width}}  {meaning}" for key, value, meaning in rows)


def _parsed(key: str, name: str, segment: str | None, text: str):
    """The VALUE as the setting stores it; its range is left to Settings.validate, which says what is allowed."""
    if name == "balance_measure":
        return text
    if segment is not None and text == UNSET:
        return None
    share = name == "tolerance" and text.endswith("%")
    try:
        value = float(text[:-1] if share else text)
    except ValueError:
        extra = f", or {UNSET!r} to use {DEFAULT_OF[name]}" if segment is not None else ""
        raise BadInput(f"{key}: expected a number{extra}, got {text!r}") from None
    return value / 100 if share else value


def _set(args, project, plan, keys: dict[str, list[str]]) -> None:
    from desktop_planner.core.commands import CommandError, SetSettings
    from desktop_planner.core.history import History
    from desktop_planner.store.opening import ProjectError

    name, segment = _parse_key(args.key, keys)
    if name in KEYED_BY and segment is None:
        what = _what(name)
        raise BadInput(f"{args.key} holds a figure per {what}: set one as {name}.{KEYED_BY[name]} ({what}s: "
                       f"{', '.join(keys[name]) or 'none'})")
    value = _parsed(args.key, name, segment, args.value)
    before = _shown(plan.settings, name, segment)
    if segment is not None:  # a new table, so that the command's inverse keeps the old one whole
        table = dict(getattr(plan.settings, name))
        if value is None:
            table.pop(segment, None)
        else:
            table[segment] = value
        value = table
    if value == getattr(plan.settings, name):
        print(f"{args.project}: {args.key} is already {before}; nothing changed")
        return
    try:
        History(plan, project).do(SetSettings(**{name: value}))
    except (CommandError, ProjectError) as exc:
        raise BadInput(str(exc)) from None
    print(f"{args.project}: {args.key} {before} → {_shown(plan.settings, name, segment)} (one change in the "
          "project's change log)")
