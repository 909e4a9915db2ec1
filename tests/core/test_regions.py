import numpy as np
import pytest
import shapely

from desktop_planner.core.contiguity import ContiguityChecker
from desktop_planner.core.model import UNASSIGNED, Accounts
from desktop_planner.core.regions import FALLBACK_SPACING_M, MARGIN_SPACINGS, RegionMap
from tests.conftest import make_plan


def grid(nx=10, ny=7, step=0.1):
    """Accounts on a regular lon/lat grid near the equator, where Web Mercator is nearly square."""
    lon, lat = np.meshgrid(np.arange(nx) * step, np.arange(ny) * step)
    return Accounts.from_columns(lon=lon.ravel(), lat=lat.ravel())


def assert_tiles_study_area(region_map, accounts, assignment):
    """No gaps, no overlaps, every account inside its own territory's region."""
    regions = list(region_map.regions.values()) + [region_map.unassigned]
    total = sum(r.area for r in regions)
    assert total == pytest.approx(region_map.study_area.area, rel=1e-9)
    assert shapely.union_all(regions).area == pytest.approx(total, rel=1e-9)
    for i, (x, y) in enumerate(zip(accounts.x, accounts.y)):
        tid = assignment[i]
        own = region_map.unassigned if tid == UNASSIGNED else region_map.regions[tid]
        assert own.distance(shapely.Point(x, y)) < 1e-6


def same_shape(g1, g2):
    return shapely.symmetric_difference(g1, g2).area <= 1e-9 * max(g1.area, g2.area, 1.0)


def test_regions_tile_the_default_study_area():
    plan = make_plan(300, 3, unassigned=10)
    scenario = plan.active
    region_map = RegionMap(plan.accounts)
    regions = region_map.build(scenario.territory_ids(), scenario.assignment)
    assert set(regions) == {1, 2, 3}
    assert not region_map.unassigned.is_empty
    assert_tiles_study_area(region_map, plan.accounts, scenario.assignment)


def test_default_study_area_follows_the_accounts_not_their_convex_hull():
    # an L of accounts: the empty corner of its convex hull stays outside
    lon, lat = np.meshgrid(np.arange(20) * 0.05, np.arange(20) * 0.05)
    keep = (lon.ravel() < 0.3) | (lat.ravel() < 0.3)
    accounts = Accounts.from_columns(lon=lon.ravel()[keep], lat=lat.ravel()[keep])
    region_map = RegionMap(accounts)
    area = region_map.study_area
    points = shapely.points(np.column_stack((accounts.x, accounts.y)))
    assert shapely.contains(area, points).all()
    corner = shapely.Point(accounts.x.max(), accounts.y.max())
    assert not area.contains(corner)
    # buffered about one spacing beyond the outermost accounts, not far more
    assert area.exterior.distance(shapely.Point(accounts.x.min(), accounts.y.min())) == pytest.approx(
        MARGIN_SPACINGS * region_map.spacing, rel=0.2)


def test_a_user_study_area_clips_the_regions():
    accounts = grid()
    box = shapely.box(accounts.x.min() - 1000, accounts.y.min() - 1000, np.median(accounts.x), accounts.y.max())
    region_map = RegionMap(accounts, study_area=box)
    assignment = np.where(accounts.lon < 0.25, 1, 2)
    region_map.build([1, 2], assignment)
    assert shapely.union_all(list(region_map.regions.values())).equals(box)


def test_cells_are_computed_once():
    plan = make_plan(100, 3)
    region_map = RegionMap(plan.accounts)
    region_map.build(plan.active.territory_ids(), plan.active.assignment)
    cells = region_map.cells
    region_map.build(plan.active.territory_ids(), plan.active.assignment)
    assert region_map.cells is cells


def test_update_recomputes_only_what_changed_and_matches_a_fresh_build():
    plan = make_plan(300, 3)
    scenario = plan.active
    region_map = RegionMap(plan.accounts)
    region_map.build(scenario.territory_ids(), scenario.assignment)
    untouched = region_map.regions[3]
    edited = scenario.assignment.copy()
    edited[np.flatnonzero(edited == 1)[:20]] = 2
    changed = region_map.update(scenario.territory_ids(), edited)
    assert set(changed) == {1, 2}
    assert region_map.regions[3] is untouched
    fresh = RegionMap(plan.accounts)
    fresh.build(scenario.territory_ids(), edited)
    for tid in (1, 2, 3):
        assert same_shape(region_map.regions[tid], fresh.regions[tid])
    assert {(b.a, b.b) for b in region_map.borders()} == {(b.a, b.b) for b in fresh.borders()}


def test_update_follows_added_and_removed_territories():
    accounts = grid()
    assignment = np.where(accounts.lon < 0.45, 1, 2)
    region_map = RegionMap(accounts)
    region_map.build([1, 2], assignment)
    assert region_map.update([1, 2, 3], assignment) == {3: shapely.Polygon()}
    removed = np.where(assignment == 2, UNASSIGNED, assignment)
    changed = region_map.update([1, 3], removed)
    assert set(region_map.regions) == {1, 3} and set(changed) == set()
    assert region_map.unassigned.area == pytest.approx(region_map.study_area.area - region_map.regions[1].area)
    assert region_map.borders() == []


def test_accounts_at_one_spot_share_a_cell_owned_by_the_majority():
    accounts = Accounts.from_columns(lon=[0.0, 0.0, 0.0, 0.1, 0.2, 0.2], lat=[0.0, 0.0, 0.0, 0.1, 0.0, 0.0])
    region_map = RegionMap(accounts)
    assignment = np.array([2, 1, 2, 1, 1, 3])
    region_map.build([1, 2, 3], assignment)
    assert len(region_map.spots) == 3
    assert region_map.regions[2].contains(shapely.Point(accounts.x[0], accounts.y[0]))  # two votes to one
    assert region_map.regions[1].contains(shapely.Point(accounts.x[4], accounts.y[4]))  # a tie: smaller id
    assert region_map.regions[3].is_empty
    # unassigned accounts do not vote
    assignment = np.array([UNASSIGNED, UNASSIGNED, 3, 1, 1, 3])
    region_map.update([1, 2, 3], assignment)
    assert region_map.regions[3].contains(shapely.Point(accounts.x[0], accounts.y[0]))


def test_label_points_lie_inside_the_largest_piece():
    plan = make_plan(300, 3)
    region_map = RegionMap(plan.accounts)
    region_map.build(plan.active.territory_ids(), plan.active.assignment)
    labels = region_map.label_points()
    assert set(labels) == {1, 2, 3}
    for tid, (x, y) in labels.items():
        assert region_map.regions[tid].contains(shapely.Point(x, y))


def test_borders_are_shared_lines_and_never_the_study_area_edge():
    accounts = grid()
    assignment = np.where(accounts.lon < 0.45, 1, 2)
    region_map = RegionMap(accounts)
    region_map.build([1, 2], assignment)
    [border] = region_map.borders()
    assert (border.a, border.b) == (1, 2)
    assert border.line.geom_type == "LineString"
    x_mid = (accounts.x[accounts.lon == 0.4][0] + accounts.x[accounts.lon == 0.5][0]) / 2
    assert np.allclose(shapely.get_coordinates(border.line)[:, 0], x_mid)
    assert shapely.intersection(border.line, region_map.study_area.exterior).length == pytest.approx(0, abs=1e-6)
    # from edge to edge of the study area
    assert border.line.length == pytest.approx(region_map.regions[1].intersection(
        shapely.LineString([(x_mid, -1e7), (x_mid, 1e7)])).length, rel=1e-6)


def test_nearest_border_snaps_onto_it():
    accounts = grid()
    region_map = RegionMap(accounts)
    region_map.build([1, 2], np.where(accounts.lon < 0.45, 1, 2))
    [border] = region_map.borders()
    x_mid = shapely.get_coordinates(border.line)[0, 0]
    y = float(np.median(accounts.y))
    found, (px, py) = region_map.nearest_border(x_mid + 500, y, max_distance=1000)
    assert found == border and (px, py) == pytest.approx((x_mid, y))
    assert region_map.nearest_border(x_mid + 5000, y, max_distance=1000) is None


def test_three_territories_meet_at_a_corner():
    accounts = grid(12, 12)
    lon, lat = accounts.lon, accounts.lat
    assignment = np.where(lat >= 0.55, 3, np.where(lon < 0.55, 1, 2))
    region_map = RegionMap(accounts)
    region_map.build([1, 2, 3], assignment)
    borders = {(b.a, b.b): b.line for b in region_map.borders()}
    assert set(borders) == {(1, 2), (1, 3), (2, 3)}
    corner = shapely.intersection_all(list(borders.values()))
    assert corner.geom_type == "Point"
    assert_tiles_study_area(region_map, accounts, assignment)


def test_all_accounts_in_one_territory():
    plan = make_plan(50, 1)
    region_map = RegionMap(plan.accounts)
    region_map.build([1], plan.active.assignment)
    assert same_shape(region_map.regions[1], region_map.study_area)
    assert region_map.borders() == []
    assert region_map.nearest_border(plan.accounts.x[0], plan.accounts.y[0], 1e9) is None


@pytest.mark.parametrize("lons, lats, assignment, owners, n_lines", [
    ([], [], [], [], 0),
    ([0.0], [0.0], [1], [1], 0),
    ([0.0, 0.1], [0.0, 0.1], [1, 2], [1, 2], 1),
    ([0.0, 0.1, 0.2, 0.3], [0.0, 0.0, 0.0, 0.0], [1, 2, 2, 1], [1, 2, 2, 1], 2),  # collinear: two strips
    ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1, 2, 2], [2, 2, 2], 0),  # one spot: the majority owns it
])
def test_very_few_accounts(lons, lats, assignment, owners, n_lines):
    accounts = Accounts.from_columns(lon=lons, lat=lats)
    region_map = RegionMap(accounts)
    region_map.build([1, 2], np.array(assignment, dtype=np.int64))
    assert sum(len(shapely.get_parts(b.line)) for b in region_map.borders()) == n_lines
    if lons:
        assert region_map.study_area.area > 0
        assert_tiles_study_area(region_map, accounts, owners)
    else:
        assert region_map.regions == {1: shapely.Polygon(), 2: shapely.Polygon()}
    if len(set(zip(lons, lats))) == 1:
        assert region_map.spacing == FALLBACK_SPACING_M


def test_piece_outlines_of_a_split_territory():
    accounts = grid()
    # territory 1 holds the first and last columns, territory 2 everything between
    assignment = np.where((accounts.lon < 0.05) | (accounts.lon > 0.85), 1, 2)
    region_map = RegionMap(accounts)
    region_map.build([1, 2], assignment)
    _, labels = ContiguityChecker(accounts).pieces(np.array([1, 2]), assignment)
    outlines = region_map.piece_outlines(labels)
    assert set(outlines) == {1}
    left, right = outlines[1]
    assert left.area >= right.area
    assert same_shape(shapely.union(left, right), region_map.regions[1])
    assert left.intersection(right).area == 0


class DictCache:
    """store.derived_cache.FileCache's interface over a dict: what `put` hands over is stored at once."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], bytes] = {}
        self.gets = 0

    def get(self, key, variant=""):
        self.gets += 1
        return self.entries.get((key, variant))

    def put(self, key, data, variant=""):
        self.entries[(key, variant)] = data


def test_prepared_from_a_cache_the_regions_are_the_same():
    plan = make_plan(300, 3, unassigned=10)
    scenario = plan.active
    fresh = RegionMap(plan.accounts)
    fresh.build(scenario.territory_ids(), scenario.assignment)
    cache = DictCache()
    first = RegionMap(plan.accounts)
    first.prepare(cache)  # computes the study area and the cells, and hands both to the cache
    assert len(cache.entries) == 2
    cached = RegionMap(plan.accounts)
    cached.prepare(cache)
    assert cached._cells is None  # noqa: SLF001 -- the cells came from the cache, as arrays
    cached.build(scenario.territory_ids(), scenario.assignment)
    assert cached.study_area.equals(fresh.study_area)
    for tid, region in fresh.regions.items():
        assert same_shape(cached.regions[tid], region)
    assert same_shape(cached.unassigned, fresh.unassigned)


def test_a_pickled_region_map_with_its_arrays_in_files_updates_like_the_original(tmp_path):
    import pickle
    plan = make_plan(400, 10)  # more than PARALLEL_MERGES territories: merged in threads, with tile pieces kept
    scenario = plan.active
    region_map = RegionMap(plan.accounts)
    region_map.prepare()
    region_map.build(scenario.territory_ids(), scenario.assignment)
    region_map.spill_to = str(tmp_path)
    copy = pickle.loads(pickle.dumps(region_map))
    assert any(tmp_path.iterdir())  # the large arrays went to files
    edited = scenario.assignment.copy()
    edited[np.flatnonzero(edited == 1)[:20]] = 2
    expected = region_map.update(scenario.territory_ids(), edited)
    got = copy.update(scenario.territory_ids(), edited)
    assert set(got) == set(expected) == {1, 2}
    for tid in expected:
        assert same_shape(got[tid], expected[tid])
    assert {(b.a, b.b) for b in copy.borders()} == {(b.a, b.b) for b in region_map.borders()}


def test_repeated_edits_merged_from_tile_pieces_match_a_fresh_build(monkeypatch):
    import desktop_planner.core.regions as regions_module
    monkeypatch.setattr(regions_module, "TILE_SPOTS", 16)  # many tiles for 300 accounts
    plan = make_plan(300, 3)
    scenario = plan.active
    region_map = RegionMap(plan.accounts)
    region_map.build(scenario.territory_ids(), scenario.assignment)
    edited = scenario.assignment.copy()
    rng = np.random.default_rng(3)
    for step in range(6):  # moves here and there, some undone: pieces kept and re-merged tile by tile
        rows = rng.choice(len(edited), 15, replace=False)
        edited[rows] = rng.choice(scenario.territory_ids(), 15)
        region_map.update(scenario.territory_ids(), edited)
        fresh = RegionMap(plan.accounts)
        fresh.build(scenario.territory_ids(), edited)
        for tid in scenario.territory_ids().tolist():
            assert same_shape(region_map.regions[tid], fresh.regions[tid]), (step, tid)
        assert_tiles_study_area(region_map, plan.accounts, edited)


def test_tile_pieces_made_elsewhere_serve_the_first_edit(monkeypatch):
    import desktop_planner.core.regions as regions_module
    monkeypatch.setattr(regions_module, "TILE_SPOTS", 16)
    plan = make_plan(300, 3)
    scenario = plan.active
    maker = RegionMap(plan.accounts)
    maker.assign(scenario.territory_ids(), scenario.assignment)  # as the pieces process does
    region_map = RegionMap(plan.accounts)
    region_map.build(scenario.territory_ids(), scenario.assignment)
    region_map.use_tile_pieces(maker.tile_pieces())
    edited = scenario.assignment.copy()
    edited[np.flatnonzero(edited == 1)[:20]] = 2
    region_map.update(scenario.territory_ids(), edited)
    fresh = RegionMap(plan.accounts)
    fresh.build(scenario.territory_ids(), edited)
    for tid in scenario.territory_ids().tolist():
        assert same_shape(region_map.regions[tid], fresh.regions[tid])
