"""Loading a geography unit layer and placing the accounts in it: shared by `desktop-planner units` (cli/units.py)
and the window's "Unit layer…" dialog, which runs `unit_layer_task` in a child process (no Qt here).

    layer, placement = load_and_place("us-counties", lon, lat, postcodes)      # only the states with accounts
    layer, placement = load_and_place("bricks.gpkg", lon, lat, postcodes, id_column="BRICK", name_column="NAME")

Every failure the user can mend (a missing or unreadable file, an unknown column, rows that cannot be units) is
an io.unit_layers.UnitLayerError whose message names the file and the reason. Heavy modules (pyogrio, the ZIP
cells) are imported inside the functions, so importing this module costs the CLI's other commands nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from desktop_planner.core.region_cells import spill, unspill
from desktop_planner.core.units import DEFAULT_SNAP_KM, NOT_PLACED, Placement, UnitLayer, place_accounts, unit_adjacency

STATE_SNAP_KM = 25.0  # an account this far off a state's (generalised) coastline still counts as in the state


def account_states(lon, lat) -> set[str]:
    """Postal codes of the US states the accounts lie in (or near: 25 km off a coastline still counts)."""
    from desktop_planner.io.unit_layers import us_states
    states = us_states()
    placement = place_accounts(states, lon, lat, snap_km=STATE_SNAP_KM)
    found = placement.unit[placement.unit != NOT_PLACED]
    return set(states.ids[sorted(set(found.tolist()))].tolist())


def load_and_place(spec: str, lon, lat, postcodes=None, id_column: str | None = None, name_column: str | None = None,
                   layer_name: str | None = None, all_states: bool = False, snap_km: float = DEFAULT_SNAP_KM,
                   progress=None) -> tuple[UnitLayer, Placement] | None:
    """The layer (a built-in US layer only for the states holding accounts, unless `all_states`) and where each
    account lies in it: by postcode first on the ZIP layer. `progress(fraction, text)` returning False (Cancel)
    stops at the next step, and the answer is None."""
    from desktop_planner.io.geocode import normalise_us_postcode
    from desktop_planner.io.unit_layers import BUILT_IN, load_unit_layer

    def step(fraction: float, text: str) -> bool:
        return progress is None or progress(fraction, text) is not False

    builtin = spec in BUILT_IN
    states = None
    if builtin and not all_states:
        if not step(0.0, "Finding the states that hold accounts"):
            return None
        states = account_states(lon, lat)
    if not step(0.1, f"Reading {describe(spec)}"):
        return None
    layer = load_unit_layer(spec if builtin else Path(spec), id_column, name_column, states=states,
                            layer_name=layer_name)
    if not step(0.7, f"Placing {len(lon):,} accounts in {len(layer):,} units"):
        return None
    by_zip = layer.kind == "us-zip"
    placement = place_accounts(layer, lon, lat, postcodes if by_zip else None,
                               normalise_us_postcode if by_zip else None, snap_km=snap_km)
    step(1.0, "Done")
    return layer, placement


def describe(spec: str) -> str:
    names = {"us-states": "the US states", "us-counties": "the US counties", "us-zip": "the US ZIP areas"}
    return names.get(spec, Path(spec).name)


def unit_layer_task(spec: str, lon, lat, postcodes, folder: str | None = None, *, id_column: str | None = None,
                    name_column: str | None = None, layer_name: str | None = None, all_states: bool = False,
                    snap_km: float = DEFAULT_SNAP_KM, progress=None):
    """What the window's child process runs. The account columns come as region_cells.spill files (or arrays);
    the answer is (layer, placement, unit adjacency), each spilled into `folder` when given (the layer made picklable by
    portable_layer), or None when cancelled. A UnitLayerError is raised as it is, its message for the user."""
    from desktop_planner.store.unit_map_shapes import portable_layer
    lon, lat = np.asarray(unspill(lon), dtype=np.float64), np.asarray(unspill(lat), dtype=np.float64)
    postcodes = unspill(postcodes)
    found = load_and_place(spec, lon, lat, None if postcodes is None else np.asarray(postcodes, dtype=object),
                           id_column, name_column, layer_name, all_states, snap_km, progress)
    if found is None:
        return None
    layer, placement = found
    if progress is not None and progress(0.95, "Finding neighbouring units") is False:
        return None
    # The adjacency (for giving units without accounts the territory around them) is found here too: ~1 s for
    # every US ZIP area, which the window would otherwise spend frozen.
    edges = unit_adjacency(layer)
    return spill(portable_layer(layer), folder), spill(placement, folder), spill(edges, folder)


def task_result(value) -> tuple[UnitLayer, Placement, np.ndarray] | None:
    """The parent's side of `unit_layer_task`'s answer: (layer, placement, unit adjacency)."""
    if value is None:
        return None
    layer, placement, edges = value
    return unspill(layer), unspill(placement), np.asarray(unspill(edges))


# -- a layer file's layers and columns, for choosing them --------------------------------------------------------

def file_columns(path: Path, layer_name: str | None = None) -> tuple[list[str], str, list[str]]:
    """The file's layer names, the layer chosen (`layer_name` when the file has it, else the first polygon
    layer) and its columns. Reads only the file's description (milliseconds)."""
    from desktop_planner.io.unit_layers import describe_layer_file
    names, _, _ = describe_layer_file(Path(path))
    return describe_layer_file(Path(path), layer_name if layer_name in names else None)


def guess_column(fields: list[str], what: str) -> str | None:
    """The column the CLI would take for the unit "id" or "name" when none is named (None: no guess)."""
    from desktop_planner.io.unit_layers import ID_GUESSES, NAME_GUESSES
    for guess in ID_GUESSES if what == "id" else NAME_GUESSES:
        folded = [f for f in fields if f.lower() == guess]
        if folded:
            return folded[0]
    return None


def summary_text(report: dict, shown: int = 5) -> str:
    """cli.units.unit_report in words for the window (the first `shown` accounts not placed named)."""
    approx = " — APPROXIMATE areas, not the real ZIP boundaries" if report["approximate"] else ""
    lines = [f"Unit layer {report['layer']} ({report['source']}){approx}",
             f"{report['units']:,} units; {report['units_assigned']:,} assigned to a territory in scenario "
             f"{report['scenario']!r}"]
    how = ", ".join(f"{n:,} by {k}" for k, n in sorted(report["placed_by"].items()))
    lines.append(f"Accounts placed: {report['placed']:,} of {report['accounts']:,}" + (f" ({how})" if how else ""))
    if report["not_placed"]:
        lines.append(f"Not placed: {report['not_placed']:,} (kept, with no unit):")
        lines += [f"    {item['account_id']} {item['name'] or ''}: {item['reason']}"
                  for item in report["not_placed_accounts"][:shown]]
        if report["not_placed"] > shown:
            lines.append(f"    … and {report['not_placed'] - shown:,} more")
    if report["moved"] is not None:
        lines.append(f"{report['moved']:,} accounts moved to follow their unit's territory")
    lines.append(f"Exceptions (named accounts keeping their own territory): {report['exceptions']:,}")
    if report["off_unit"]:
        lines.append(f"Accounts not in their unit's territory and not marked as exceptions: {report['off_unit']:,}")
    return "\n".join(lines)
