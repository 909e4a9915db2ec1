"""How often each account is visited and for how long: its own figure, else its score tier's, else its segment's,
else the project's default (DESIGN.md, service hours). The measures and the optimizer's shortfall reasons both
read them here, so that they never disagree.
"""

from __future__ import annotations

import re

import numpy as np

from desktop_planner.core.model import Accounts
from desktop_planner.core.settings import Settings


def effective_visits_and_minutes(accounts: Accounts, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Per account visits a year and minutes a visit: the account's own figure, else its score tier's, else its
    segment's default, else the project default."""
    # NaN where neither the tier nor the segment has a figure; the tier's comes first.
    seg_visits, seg_minutes = (
        np.where(np.isnan(tier := _per_segment(accounts.tier, by_tier)), _per_segment(accounts.segment, by_seg), tier)
        for by_tier, by_seg in ((settings.tier_visits_per_year, settings.segment_visits_per_year),
                                (settings.tier_visit_minutes, settings.segment_visit_minutes)))
    visits = np.where(np.isnan(accounts.visits_per_year),
                      np.where(np.isnan(seg_visits), settings.default_visits_per_year, seg_visits),
                      accounts.visits_per_year)
    minutes = np.where(np.isnan(accounts.visit_minutes),
                       np.where(np.isnan(seg_minutes), settings.default_visit_minutes, seg_minutes),
                       accounts.visit_minutes)
    return visits, minutes


def segment_key(segment: str) -> str:
    """A segment's name as settings look it up: case, spaces and punctuation ignored ('Mid-Market', 'mid market'
    and 'MidMarket' are 'Mid-market'). A CRM's picklist and the settings seldom spell a segment alike, and a miss
    silently gives its accounts the project's default visits instead of the segment's."""
    return re.sub(r"[\W_]+", "", str(segment).casefold())


def _per_segment(segments: np.ndarray, defaults: dict[str, float]) -> np.ndarray:
    """The segment's default per account, NaN where the segment has none: its own spelling first, else
    segment_key's. Resolved once per distinct segment, then looked up per account at dictionary speed."""
    nan = float("nan")
    if not defaults:  # nothing set (tiers, most often): no lookup per account
        return np.full(len(segments), nan)
    by_key = {segment_key(name): value for name, value in reversed(defaults.items())}  # the first spelling wins
    resolved = {s: defaults.get(s, by_key.get(segment_key(s), nan)) for s in set(segments.tolist()) if s is not None}
    get = resolved.get
    return np.fromiter((get(s, nan) for s in segments), dtype=np.float64, count=len(segments))
