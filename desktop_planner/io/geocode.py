"""Offline placement of US postcodes at their centroid, and their state, from the `zipcodes` package's data.

A spreadsheet that read a ZIP code as a number dropped its leading zero: '07201' (Elizabeth, NJ) became 7201.
Padding it back is right only where the row's state agrees: 'check_us_postcode' says so, or names the conflict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

ZIP_PATTERN = re.compile(r"^\s*(\d{5})(?:[-\s]?\d{4})?\s*$")
STATE_NAMES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "delaware": "DE", "district of columbia": "DC", "washington dc": "DC", "florida": "FL",
    "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS",
    "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI",
    "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY", "north carolina": "NC",
    "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI",
    "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
    "virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
    "puerto rico": "PR", "guam": "GU", "us virgin islands": "VI", "virgin islands": "VI", "american samoa": "AS",
    "northern mariana islands": "MP", "washington d c": "DC",
}
# Two-letter codes: the states' and the armed forces' post offices (AA, AE, AP) and the freely associated states.
STATE_CODES = frozenset(STATE_NAMES.values()) | {"AA", "AE", "AP", "FM", "MH", "PW"}
# How a country column says United States, in the languages of io/header_names.py.
US_NAMES = frozenset({"us", "usa", "u s", "u s a", "united states", "united states of america", "america",
                      "vereinigte staaten", "etats unis", "estados unidos", "verenigde staten", "840"})


@lru_cache(maxsize=1)
def _zip_tables() -> tuple[dict[str, tuple[float, float]], dict[str, str]]:
    """(ZIP -> (lon, lat) of its centroid, ZIP -> state code); a ZIP without a centroid still has its state."""
    import zipcodes
    places, states = {}, {}
    for entry in zipcodes.list_all():
        states[entry["zip_code"]] = entry.get("state")
        try:
            lat, lon = float(entry["lat"]), float(entry["long"])
        except (TypeError, ValueError, KeyError):
            continue
        if lat or lon:
            places[entry["zip_code"]] = (lon, lat)
    return places, states


def normalise_us_postcode(text: str) -> str | None:
    """'02139', '02139-4307', '2139' (a leading zero lost by a spreadsheet) -> '02139'; None if not a ZIP."""
    if text is None:
        return None
    if len(text) == 5 and text.isdigit():  # the common case, without a regular expression
        return text
    text = str(text).strip()
    if re.fullmatch(r"\d{3,4}", text):
        text = text.zfill(5)
    match = ZIP_PATTERN.match(text)
    return match.group(1) if match else None


def locate_us_postcode(text: str) -> tuple[float, float] | None:
    """(lon, lat) of a US ZIP code's centroid, or None when unknown."""
    code = normalise_us_postcode(text)
    return None if code is None else _zip_tables()[0].get(code)


def zip_state(code: str) -> str | None:
    """The state code of a five-digit ZIP code ('07201' -> 'NJ'), None when unknown."""
    return _zip_tables()[1].get(code)


@lru_cache(maxsize=4096)  # a state column holds a few dozen spellings, over a million rows
def us_state_code(text: str | None) -> str | None:
    """'AR', 'ar', 'Arkansas', 'New Jersey' -> the two-letter code; None for anything else."""
    if not text:
        return None
    key = " ".join(re.sub(r"[^a-z]+", " ", text.lower()).split())
    if key.upper() in STATE_CODES:
        return key.upper()
    return STATE_NAMES.get(key)


@lru_cache(maxsize=4096)
def is_us_country(text: str | None) -> bool | None:
    """Whether a country cell says United States; None when it is empty (the file does not say)."""
    if not text or not text.strip():
        return None
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split()) in US_NAMES


@dataclass(frozen=True)
class PostcodeCheck:
    code: str | None  # the ZIP code to keep ('07201' for a mended '7201'); None when it cannot be trusted
    conflict: str | None  # why the ZIP and the state disagree ("ZIP 7201 (07201) is in NJ, the state is AR")


def check_us_postcode(text: str, state: str | None) -> PostcodeCheck:
    """A US ZIP code checked against the row's state. A short code ('7201') is padded only when no state is given
    or the state confirms it; a code in another state than the row's is a conflict, and then no code is kept (it
    would place the account, or count it in a ZIP area, in the wrong state)."""
    code = normalise_us_postcode(text)
    given = us_state_code(state)
    if code is None or given is None:
        return PostcodeCheck(code, None)
    found = zip_state(code)
    if found is None or found == given:
        return PostcodeCheck(code, None)
    shown = text.strip() if text.strip() == code else f"{text.strip()} ({code})"
    return PostcodeCheck(None, f"ZIP {shown} is in {found}, the state is {given}")
