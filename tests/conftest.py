"""Shared fixtures.

Tests on the real files in ``../shared/data`` skip with a clear reason where that folder is
absent (a user's fresh clone); tests on the embedded ``data/`` always run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CROPCAST_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real publisher files; skips the test when it is not beside the checkout."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} not present (only in CI and dev checkouts)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(autouse=True)
def _no_stray_store(monkeypatch, tmp_path_factory):
    """Commands read ./cropcast.duckdb when it exists: keep tests off any store in the checkout."""
    monkeypatch.delenv("CROPCAST_DB", raising=False)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(autouse=True)
def _bulletins_of_any_date(monkeypatch):
    """A bulletin dated by prices months before today is noted, and refused to send
    (``forecast.commands.bulletin._check_fresh``); the tests' prices are of years past, so
    that check is off here, and the tests of it turn it back on."""
    import forecast.commands.bulletin as bulletin

    monkeypatch.setattr(bulletin, "STALE_AFTER_PERIODS", 10**9)


@pytest.fixture(scope="session")
def an_giang(shared_data: Path):
    """An Giang wholesale rice, actual WFP rows only, one value per month (gaps as NaN)."""
    import pandas as pd

    raw = pd.read_csv(shared_data / "wfp" / "wfp_food_prices_vnm.csv")
    rows = raw[
        (raw["market"] == "An Giang")
        & (raw["commodity"] == "Rice")
        & (raw["pricetype"] == "Wholesale")
        & (raw["priceflag"] == "actual")
    ]
    # WFP dates are the 15th: key by month.
    month = pd.to_datetime(rows["date"], format="%m/%d/%Y").dt.to_period("M").dt.to_timestamp()
    y = rows.groupby(month.to_numpy())["price"].mean().astype(float).asfreq("MS")
    y.index.name, y.name = "date", "price"
    return y
