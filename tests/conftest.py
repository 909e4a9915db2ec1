"""Shared fixtures: small hand-made plans whose figures can be checked by hand."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop_planner.core.model import UNASSIGNED, Accounts, Plan, Scenario, Territory  # noqa: E402
from desktop_planner.core.settings import Settings  # noqa: E402


def make_plan(n: int = 40, k: int = 3, seed: int = 1, unassigned: int = 0) -> Plan:
    """n accounts scattered around three towns in Ohio, k territories, nearest-town assignment."""
    rng = np.random.default_rng(seed)
    towns = np.array([[-83.0, 40.0], [-81.7, 41.5], [-84.5, 39.1]])
    town = rng.integers(0, 3, n)
    lon = towns[town, 0] + rng.normal(0, 0.15, n)
    lat = towns[town, 1] + rng.normal(0, 0.1, n)
    accounts = Accounts.from_columns(
        lon=lon, lat=lat, potential=rng.lognormal(10, 1, n).round(2),
        external_id=[f"A{i:04d}" for i in range(n)], name=[f"Account {i}" for i in range(n)],
        segment=rng.choice(["Enterprise", "Mid-market", "SMB", None], n).tolist(),
        industry=["Retail"] * n, postcode=["43215"] * n,
    )
    territories = {
        i + 1: Territory(id=i + 1, name=f"T{i + 1}", color=f"#{(i * 70) % 256:02x}4080", rep_name=f"Rep {i + 1}",
                         home_lon=float(towns[i % 3, 0]), home_lat=float(towns[i % 3, 1]), region="East")
        for i in range(k)
    }
    assignment = (town % k + 1).astype(np.int64)
    assignment[:unassigned] = UNASSIGNED
    scenario = Scenario(1, "Current plan", territories, assignment, np.zeros(n, dtype=bool))
    return Plan(accounts, {1: scenario}, 1, Settings(), name="Test plan")


@pytest.fixture
def plan() -> Plan:
    return make_plan()


@pytest.fixture
def project_path(tmp_path):
    return tmp_path / "test.tplan"


DEMO_PROJECT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "resources",
                            "demo_northeast.tplan")


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory):
    """The app's cache folder (ZIP cells, unit shapes) of the tests never touches the user's; child processes
    inherit it."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(scope="session")
def counties_demo(tmp_path_factory):
    """The bundled Northeast demo with the US counties as its unit layer, accounts kept where they are as named
    exceptions and the counties without accounts left unassigned (built once per test run: placing 5,000 accounts
    takes a second)."""
    import shutil

    from desktop_planner.cli import main
    path = tmp_path_factory.mktemp("counties_demo") / "demo.tplan"
    shutil.copyfile(DEMO_PROJECT, path)
    assert main(["units", str(path), "--layer", "us-counties", "--keep-exceptions", "--leave-empty"]) == 0
    return path


@pytest.fixture()
def counties_copy(counties_demo, tmp_path):
    """A copy of `counties_demo` that a test may change."""
    import shutil
    path = tmp_path / "demo.tplan"
    shutil.copyfile(counties_demo, path)
    return path
