"""Offline placement of US postcodes at their centroid, from the `zipcodes` package's data."""

from __future__ import annotations

import re
from functools import lru_cache

ZIP_PATTERN = re.compile(r"^\s*(\d{5})(?:[-\s]?\d{4})?\s*$")


@lru_cache(maxsize=1)
def _zip_table() -> dict[str, tuple[float, float]]:
    import zipcodes
    table = {}
    for entry in zipcodes.list_all():
        try:
            lat, lon = float(entry["lat"]), float(entry["long"])
        except (TypeError, ValueError, KeyError):
            continue
        if lat or lon:
            table[entry["zip_code"]] = (lon, lat)
    return table


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
    return None if code is None else _zip_table().get(code)
