"""The store (forecast.store): schema and migrations, ingest rules, conservation, bad files,
locks, the forecast archive and accuracy. Command-line and process-killing tests are in
test_store_cli.py.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from forecast.clean import CleanOptions
from forecast.errors import InputError
from forecast.store import (
    CURRENT_VERSION,
    StoreBusyError,
    accuracy,
    archive_forecasts,
    archived_forecasts,
    audit,
    export_prices,
    forecast_runs,
    ingest_file,
    load_prices,
    open_store,
    previous_forecasts,
    store_info,
)
from forecast.store.schema import MIGRATIONS, schema_version, user_tables
from forecast.table import KEY

SERIES = (("Rice", "An Giang", 10_000.0), ("Coffee", "Dak Lak", 90_000.0))
WEEKLY = CleanOptions(freq="weekly")


def price(base: float, i: int) -> float:
    """A smooth, wiggly, reproducible price for month ``i``."""
    return round(base * math.exp(0.01 * i + 0.04 * math.sin(i)), 2)


def price_file(
    path: Path,
    months: range = range(24),
    *,
    series=SERIES,
    change: dict | None = None,
    drop: tuple = (),
    bad_rows: int = 0,
    weekly: bool = False,
) -> Path:
    """A price file in the contract's columns, as an analyst would type it.

    ``change`` maps (series index, month) to a price; ``drop`` lists (series index, month)
    left out (a one-month hole is interpolated); ``bad_rows`` appends unreadable prices.
    """
    rows = []
    for s, (commodity, market, base) in enumerate(series):
        for i in months:
            if (s, i) in drop:
                continue
            if weekly:
                date = pd.Timestamp("2018-01-03") + pd.Timedelta(weeks=i)
            else:
                date = pd.Timestamp("2016-01-15") + pd.DateOffset(months=i)
            value = (change or {}).get((s, i), price(base, i))
            rows.append([f"{date:%Y-%m-%d}", commodity, market, "Wholesale", "kg", "VND", value])
    for j in range(bad_rows):
        rows.append(["2016-02-15", "Rice", "An Giang", "Wholesale", "kg", "VND", f"n/a{j}"])
    frame = pd.DataFrame(
        rows, columns=["date", "commodity", "market", "price_type", "unit", "currency", "price"]
    )
    frame.to_csv(path, index=False)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path):
    return open_store(tmp_path / "store.duckdb", create=True)


def count(store, sql: str) -> int:
    with store.reading() as con:
        return int(con.execute(sql).fetchone()[0])


# --- schema and migrations ---------------------------------------------------------------------


def test_new_store_has_every_table_at_the_current_version(store, tmp_path):
    with store.reading() as con:
        assert schema_version(con) == CURRENT_VERSION
        tables = set(user_tables(con))
        versions = [v for (v,) in con.execute("SELECT version FROM cropcast_schema").fetchall()]
    assert {"prices", "ingests", "rejected", "revisions", "forecast_runs", "forecasts"} <= tables
    assert sorted(versions) == list(range(1, CURRENT_VERSION + 1))
    # Built beside its name and linked into place: no temporary file is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.duckdb"]


def test_a_store_half_made_by_a_killed_process_is_cleared_away(tmp_path):
    """A process killed while making the store left '.store.duckdb.PID.new' for good: the
    next one cleared only its own PID's. A running process's file is left alone."""
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    left = tmp_path / f".store.duckdb.{int(dead.stdout)}.new"
    left.write_bytes(b"half a store")
    (tmp_path / f"{left.name}.wal").write_bytes(b"")
    living = tmp_path / f".store.duckdb.{os.getppid()}.new"
    living.write_bytes(b"another process making it now")
    open_store(tmp_path / "store.duckdb", create=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [living.name, "store.duckdb"]


def test_store_at_version_0_is_migrated(tmp_path):
    path = tmp_path / "v0.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE cropcast_schema "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL, what VARCHAR NOT NULL)"
    )
    con.close()
    store = open_store(path)
    with store.reading() as con:
        assert schema_version(con) == CURRENT_VERSION
        assert {"prices", "forecast_runs"} <= set(user_tables(con))
    assert audit(store) == []


def test_store_at_version_1_is_migrated_and_keeps_its_prices(tmp_path):
    """A store as the first release wrote it (price history, no forecast archive), by hand."""
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE cropcast_schema "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL, what VARCHAR NOT NULL)"
    )
    con.execute("INSERT INTO cropcast_schema VALUES (1, now(), 'price history')")
    for statement in MIGRATIONS[0][1]:
        con.execute(statement)
    con.execute(
        "INSERT INTO ingests VALUES (1, 'old.csv', 'abc', 10, 'table', 'monthly', "
        "1, 1, 0, 0, 0, 1, 0, 0, now(), '{}')"
    )
    con.execute(
        "INSERT INTO prices VALUES ('Rice', 'An Giang', 'Wholesale', 'kg', 'VND', "
        "DATE '2015-01-01', 7000, '', 'old.csv', 1)"
    )
    con.close()
    store = open_store(path)
    with store.reading() as con:
        assert schema_version(con) == CURRENT_VERSION
        assert "forecast_runs" in user_tables(con)
    prices = load_prices(store)
    assert prices["price"].tolist() == [7000.0]
    assert audit(store) == []


def test_newer_schema_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "future.duckdb"
    open_store(path, create=True)
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO cropcast_schema VALUES (99, now(), 'from the future')")
    con.close()
    before = sha(path)
    with pytest.raises(InputError, match="schema version 99"):
        open_store(path)
    assert sha(path) == before


# --- ingest rules --------------------------------------------------------------------------------


def test_same_file_again_adds_nothing_and_says_so(store, tmp_path):
    path = price_file(tmp_path / "a.csv")
    first = ingest_file(store, path)
    assert first.status == "added" and first.added == 48
    again = ingest_file(store, path)
    assert again.status == "duplicate" and again.ingest_id == first.ingest_id
    # The same bytes under another name are the same file.
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    assert ingest_file(store, copy).status == "duplicate"
    assert count(store, "SELECT count(*) FROM ingests") == 1
    assert count(store, "SELECT count(*) FROM prices") == 48


def test_new_value_for_a_stored_period_is_kept_as_a_revision(store, tmp_path):
    ingest_file(store, price_file(tmp_path / "a.csv"))
    old = price(SERIES[0][2], 5)
    later = price_file(tmp_path / "b.csv", range(30), change={(0, 5): 12_345.0})
    result = ingest_file(store, later)
    assert (result.added, result.unchanged, result.revised) == (12, 47, 1)
    assert result.revisions[["old_price", "new_price"]].values.tolist() == [[old, 12_345.0]]
    assert result.revisions["old_source"].tolist() == ["a.csv"]
    prices = load_prices(store)
    rice = prices[prices["commodity"] == "Rice"].set_index("date")["price"]
    assert rice[pd.Timestamp("2016-06-01")] == 12_345.0
    with store.reading() as con:
        kept = con.execute("SELECT old_price, new_price, old_source FROM revisions").fetchall()
    assert kept == [(old, 12_345.0, "a.csv")]


def test_an_estimate_never_replaces_a_price_but_an_observation_replaces_an_estimate(
    store, tmp_path
):
    # a.csv leaves a one-month hole (filled by interpolation); b.csv observes it.
    holey = ingest_file(store, price_file(tmp_path / "a.csv", drop=((0, 7),)))
    assert holey.report.interpolated == 1
    full = ingest_file(store, price_file(tmp_path / "b.csv"))
    assert full.revised == 1 and full.estimates_replaced == 1
    # c.csv has a hole there again: its estimate must not replace the observed price.
    again = ingest_file(store, price_file(tmp_path / "c.csv", range(25), drop=((0, 7),)))
    assert again.report.interpolated == 1 and again.revised == 0 and again.added == 2
    rice = load_prices(store).query("commodity == 'Rice'").set_index("date")
    assert rice.loc[pd.Timestamp("2016-08-01"), "price"] == price(SERIES[0][2], 7)
    assert rice.loc[pd.Timestamp("2016-08-01"), "flags"] == ""
    assert audit(store) == []


def lua_file(path: Path, prices: dict[str, float], commodity: str = "Lúa") -> Path:
    """A small hand-made file: one series, ``{date: price}``."""
    rows = [[d, commodity, "Chợ A", "Retail", "kg", "VND", v] for d, v in prices.items()]
    columns = ["date", "commodity", "market", "price_type", "unit", "currency", "price"]
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return path


def test_a_price_the_file_cannot_read_is_read_as_the_stored_series_says(store, tmp_path):
    """'56.500' nghìn đồng, alone in its file, was read as thousands (56.5 million đồng a
    kilo) beside 25 stored weeks near 56,000, and committed as a revision."""
    mondays = pd.date_range("2025-05-05", periods=25, freq="W-MON")
    history = {f"{d:%Y-%m-%d}": 56_000 + 40 * i for i, d in enumerate(mondays)}
    ingest_file(store, lua_file(tmp_path / "history.csv", history, commodity="Bưởi"))

    def week(name: str, date: str, price: str, currency: str, unit: str = "kg") -> Path:
        path = tmp_path / name
        path.write_text(
            "date,commodity,market,price_type,unit,currency,price\n"
            f'{date},Bưởi,Chợ A,Retail,{unit},{currency},"{price}"\n',
            encoding="utf-8",
        )
        return path

    stored = load_prices(store).set_index("date")["price"]
    ingest_file(store, week("w1.csv", "2025-10-27", "56.500", "nghìn đồng"))
    ingest_file(store, week("w2.csv", "2025-11-03", "57.100", "đồng"))  # đồng: thousands
    ingest_file(store, week("w3.csv", "2025-11-10", "565.000", "đồng", unit="yến"))
    now = load_prices(store).set_index("date")["price"]
    assert now[pd.Timestamp("2025-10-27")] == pytest.approx(56_500)
    assert now[pd.Timestamp("2025-11-03")] == pytest.approx(57_100)
    assert now[pd.Timestamp("2025-11-10")] == pytest.approx(56_500)
    assert len(now) == len(stored) + 3


def test_estimates_follow_the_real_prices_that_arrive_around_them(store, tmp_path):
    def stored(commodity="Lúa"):
        return load_prices(store).query("commodity == @commodity").set_index("date")

    jan, feb, mar, apr = (pd.Timestamp(f"2024-0{m}-01") for m in (1, 2, 3, 4))
    ingest_file(store, lua_file(tmp_path / "a.csv", {"2024-01-01": 7000, "2024-04-01": 8000}))
    assert stored().loc[mar, "price"] == pytest.approx(7000 * (8000 / 7000) ** (2 / 3))

    # February's real price comes: March is interpolated again between 9,000 and 8,000.
    b = ingest_file(store, lua_file(tmp_path / "b.csv", {"2024-02-01": 9000}))
    assert (b.added, b.unchanged, b.revised, len(b.reestimated)) == (0, 0, 1, 1)
    assert b.to_dict()["prices_reestimated"] == 1
    lua = stored()
    assert lua.loc[mar, "price"] == pytest.approx((9000 * 8000) ** 0.5)
    assert lua.loc[mar, "flags"] == "interpolated"
    assert lua["price"].to_dict() == pytest.approx(
        {jan: 7000, feb: 9000, mar: (9000 * 8000) ** 0.5, apr: 8000}
    )
    # A revised neighbour moves it again; every old estimate is kept, as a revision.
    ingest_file(store, lua_file(tmp_path / "c.csv", {"2024-04-01": 8800}))
    assert stored().loc[mar, "price"] == pytest.approx((9000 * 8800) ** 0.5)
    with store.reading() as con:
        march = con.execute(
            "SELECT ingest_id, old_price, new_price, old_source, new_flags FROM revisions "
            "WHERE date = '2024-03-01' ORDER BY ingest_id"
        ).fetchall()
    assert [(i, source, flags) for i, _, _, source, flags in march] == [
        (2, "a.csv", "interpolated"),
        (3, "b.csv", "interpolated"),
    ]
    assert march[0][1] == pytest.approx(7000 * (8000 / 7000) ** (2 / 3))
    assert march[1][1:3] == pytest.approx(((9000 * 8000) ** 0.5, (9000 * 8800) ** 0.5))
    assert count(store, "SELECT count(*) FROM revisions WHERE new_flags = ''") == 2
    assert audit(store) == []

    # A file whose own estimate ignores a stored real price is corrected as it goes in
    # (nothing committed was replaced, so no revision); a weekly series the same way.
    ingest_file(store, lua_file(tmp_path / "d.csv", {"2024-02-01": 500}, "Gạo"))
    d = ingest_file(
        store, lua_file(tmp_path / "e.csv", {"2024-01-01": 400, "2024-04-01": 800}, "Gạo")
    )
    assert (d.added, d.unchanged, len(d.reestimated)) == (3, 1, 0)
    assert stored("Gạo").loc[mar, "price"] == pytest.approx((500 * 800) ** 0.5)
    weeks = {"2024-01-01": 100, "2024-01-22": 200}
    ingest_file(store, lua_file(tmp_path / "w1.csv", weeks, "Tiêu"), options=WEEKLY)
    ingest_file(store, lua_file(tmp_path / "w2.csv", {"2024-01-08": 300}, "Tiêu"), options=WEEKLY)
    assert stored("Tiêu").loc[pd.Timestamp("2024-01-15"), "price"] == pytest.approx(
        (300 * 200) ** 0.5
    )
    assert audit(store) == []


def weekly_files(tmp_path: Path, prices: list[float], name: str = "w") -> list[Path]:
    """One file per week, one pomelo price each, as a depot sends them."""
    start = pd.Timestamp("2026-01-05")
    return [
        lua_file(tmp_path / f"{name}{i:02d}.csv", {f"{start + pd.Timedelta(weeks=i):%Y-%m-%d}": p})
        for i, p in enumerate(prices)
    ]


def stored_marks(store) -> dict:
    return load_prices(store).set_index("date")["flags"].map(lambda f: "outlier" in f).to_dict()


def test_a_typo_in_a_week_file_is_marked_against_the_stored_history(store, tmp_path):
    """One price per file is too few for cleaning to see a slipped zero; the store's history
    is not. The price is kept as written, marked, and the ingest names it."""
    weeks = [46_000 * (1.01 ** (i % 3)) for i in range(12)] + [460_000]
    results = [ingest_file(store, f, options=WEEKLY) for f in weekly_files(tmp_path, weeks)]
    assert [len(r.outliers) for r in results[:-1]] == [0] * 12
    typo = results[-1].outliers
    assert len(typo) == 1
    row = typo.iloc[0]
    assert (row["date"], row["price"], row["mark"]) == (
        pd.Timestamp("2026-03-30"),
        460_000,
        "flagged",
    )
    assert 46_000 <= row["local_median"] <= 46_000 * 1.03
    marks = stored_marks(store)
    assert [d for d, m in marks.items() if m] == [pd.Timestamp("2026-03-30")]
    assert load_prices(store)["price"].max() == 460_000  # kept, never changed
    with store.reading() as con:
        (report,) = con.execute("SELECT report FROM ingests WHERE ingest_id = 13").fetchone()
    recorded = json.loads(report)
    assert recorded["outliers"][0]["price"] == 460_000
    assert results[-1].to_dict()["outliers"][0]["mark"] == "flagged"
    assert audit(store) == []


def test_a_jump_the_next_weeks_confirm_loses_its_mark(store, tmp_path):
    """At the end of a series a real jump looks like a spike; the weeks after it show the
    new level, and the mark comes off (as cleaning the whole history would leave it)."""
    weeks = [40_000 * (1.01 ** (i % 3)) for i in range(10)] + [56_000] * 4
    results = [ingest_file(store, f, options=WEEKLY) for f in weekly_files(tmp_path, weeks)]
    jump = pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=10)
    flagged = [r.outliers for r in results if len(r.outliers)]
    assert flagged and flagged[0].iloc[0]["date"] == jump
    assert flagged[0].iloc[0]["mark"] == "flagged"
    assert not any(stored_marks(store).values())
    cleared = pd.concat(flagged).query("mark == 'cleared'")
    assert jump in set(cleared["date"])
    assert audit(store) == []


@pytest.mark.parametrize("country", ["vnm", "tha"])
def test_outlier_marks_of_files_ingested_year_by_year_match_the_whole_file(
    country, shared_data, tmp_path
):
    """A real WFP file cut into one file per year and ingested in order ends with the outlier
    marks that cleaning the whole file gives: the store judges each price on its history."""
    from forecast.clean import clean
    from forecast.io import read_prices

    source = shared_data / "wfp" / f"wfp_food_prices_{country}.csv"
    raw = pd.read_csv(source, dtype=str, keep_default_na=False)
    tags = raw.iloc[:1] if raw.iloc[0, 0].startswith("#") else raw.iloc[:0]  # HXL row
    body = raw.iloc[len(tags) :]
    years = pd.to_datetime(body["date"], format="mixed").dt.year
    store = open_store(tmp_path / "years.duckdb", create=True)
    for year, part in body.groupby(years):
        path = tmp_path / f"{country}_{year}.csv"
        pd.concat([tags, part]).to_csv(path, index=False)
        try:
            ingest_file(store, path)
        except InputError:  # a year of nothing but the mirror's 'forecast' rows
            continue

    def marked(prices: pd.DataFrame) -> set:
        flags = prices["flags"].astype(str)
        real = prices[~flags.str.contains("interpolated") & flags.str.contains("outlier")]
        return set(map(tuple, real[[*KEY, "date"]].astype(str).to_numpy()))

    whole = clean(read_prices(source), CleanOptions()).prices
    assert marked(load_prices(store)) == marked(whole)
    assert audit(store) == []


def test_file_that_fails_cleaning_leaves_the_store_unchanged(store, tmp_path):
    ingest_file(store, price_file(tmp_path / "a.csv"))
    before = sha(store.path)
    bad = tmp_path / "bad.csv"
    bad.write_text("date,commodity,market,price_type,unit,currency,price\n" + "x,y,z,w,kg,VND,?\n")
    with pytest.raises(InputError):
        ingest_file(store, bad)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    with pytest.raises(InputError):
        ingest_file(store, wrong)
    assert sha(store.path) == before
    assert count(store, "SELECT count(*) FROM ingests") == 1


def test_pieces_join_a_history_stored_under_the_old_name(store, tmp_path):
    """Eggs priced per "Unit" were stored as "nut" before counts of pieces became "unit":
    the next file joins that history instead of starting a second series."""
    eggs = (("Eggs", "Colombo", 40.0),)

    def eggs_file(name, months):
        path = price_file(tmp_path / name, months, series=eggs)
        path.write_text(path.read_text().replace(",kg,", ",Unit,"))
        return path

    ingest_file(store, eggs_file("old.csv", range(24)))
    with store.writing() as con:  # what the older cropcast wrote
        con.execute("UPDATE prices SET unit = 'nut'")
    result = ingest_file(store, eggs_file("new.csv", range(20, 30)))
    assert result.units_kept == [
        {
            "series": "Eggs | Colombo | Wholesale | VND/nut",
            "file_unit": "unit",
            "stored_unit": "nut",
        }
    ]
    assert result.to_dict()["units_kept"] == result.units_kept
    assert (result.added, result.unchanged) == (6, 4)
    prices = load_prices(store)
    assert prices["unit"].unique().tolist() == ["nut"] and len(prices) == 30
    # Forecasts of the file's "unit" series are archived under the stored name, where
    # accuracy will meet them.
    from forecast.forecasting import ForecastSpec, forecast_prices

    spec = ForecastSpec(model="naive", horizon=2, use_calendar=False)
    run = forecast_prices(prices.assign(unit="unit"), spec, engine="local")
    archive_forecasts(store, run, spec, prices["date"].max(), source="new.csv")
    with store.reading() as con:
        units = con.execute("SELECT DISTINCT unit FROM forecasts").fetchall()
        levels = con.execute("SELECT DISTINCT unit FROM forecast_intervals").fetchall()
    assert units == levels == [("nut",)]
    # A series already stored under the new name is left as it is.
    fresh = open_store(tmp_path / "fresh.duckdb", create=True)
    ingest_file(fresh, eggs_file("first.csv", range(12)))
    again = ingest_file(fresh, eggs_file("second.csv", range(24)))
    assert again.units_kept == [] and load_prices(fresh)["unit"].unique().tolist() == ["unit"]


def test_series_on_another_frequency_is_refused_whole(store, tmp_path):
    ingest_file(store, price_file(tmp_path / "monthly.csv"))
    before = sha(store.path)
    weekly = price_file(tmp_path / "weekly.csv", range(20), weekly=True)
    with pytest.raises(InputError, match="monthly in the store but weekly"):
        ingest_file(store, weekly)
    assert sha(store.path) == before
    # Another series may be weekly: one frequency per series, not per store.
    other = price_file(tmp_path / "pepper.csv", range(20), series=(("Pepper", "Chư Sê", 1e5),))
    ingest_file(store, other)
    weekly_pepper = price_file(
        tmp_path / "pepper-weekly.csv", range(20), series=(("Pepper", "Gia Lai", 1e5),), weekly=True
    )
    assert ingest_file(store, weekly_pepper).added == 20


def test_counts_conserve_across_the_tables(store, tmp_path):
    files = [
        price_file(tmp_path / "a.csv", range(18), bad_rows=3),
        price_file(tmp_path / "b.csv", range(24), change={(0, 3): 1.0, (1, 4): 2.0}),
        price_file(tmp_path / "c.csv", range(30), drop=((1, 26),), change={(0, 3): 3.0}),
        price_file(
            tmp_path / "w.csv", range(12), series=(("Pepper", "Gia Lai", 1e5),), weekly=True
        ),
    ]
    results = [ingest_file(store, f) for f in files] + [ingest_file(store, files[1])]
    assert [r.status for r in results] == ["added"] * 4 + ["duplicate"]
    for r in results[:4]:
        rep = r.report
        assert rep.rows_in == rep.rows_kept + rep.rows_merged + rep.rows_rejected
        assert rep.rows_kept + rep.interpolated == r.added + r.unchanged + r.revised
    assert results[0].report.rows_rejected == 3
    with store.reading() as con:
        log = con.execute("SELECT * FROM ingests").df()
        n_prices = con.execute("SELECT count(*) FROM prices").fetchone()[0]
        n_revisions = con.execute("SELECT count(*) FROM revisions").fetchone()[0]
        n_rejected = con.execute("SELECT count(*) FROM rejected").fetchone()[0]
        refused = con.execute("SELECT reason, original FROM rejected ORDER BY file_row").fetchall()
    assert (log["rows_in"] == log["rows_kept"] + log["rows_merged"] + log["rows_rejected"]).all()
    assert n_rejected == log["rows_rejected"].sum() == 3
    assert n_revisions == log["prices_revised"].sum() == 4  # b: 2; c: 2 (3.0, and back)
    # Every value ever written either stands in prices or was moved to revisions, once.
    assert n_prices + n_revisions == (log["prices_added"] + log["prices_revised"]).sum()
    assert n_prices == log["prices_added"].sum()
    # The refused rows are kept as written, each with its reason.
    assert refused[0][0] == "price 'n/a0' is not a number"
    assert json.loads(refused[0][1])["price"] == "n/a0"
    assert audit(store) == []
    info = store_info(store)
    assert (info["ingests"], info["revisions"], info["rejected_rows"]) == (4, 4, 3)
    assert info["series_by_freq"] == {"monthly": 2, "weekly": 1}


# --- bad database files ------------------------------------------------------------------------


def _filled_store(path: Path, tmp_path: Path) -> Path:
    store = open_store(path, create=True)
    ingest_file(store, price_file(tmp_path / "fill.csv", range(120)))
    return path


def _make_bad(kind: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{kind}.duckdb"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("date,price\n2020-01-01,5\n")
    elif kind == "csv-named":
        path = tmp_path / "prices.csv"
        path.write_text("date,price\n2020-01-01,5\n")
    elif kind == "random":
        path.write_bytes(bytes(range(256)) * 64)
    elif kind == "other-duckdb":
        con = duckdb.connect(str(path))
        con.execute("CREATE TABLE sales (id INTEGER, amount DOUBLE)")
        con.execute("INSERT INTO sales VALUES (1, 2.5)")
        con.close()
    elif kind == "empty-duckdb":
        duckdb.connect(str(path)).close()
    elif kind == "table-dropped":  # was DuckDB's multi-line CatalogException
        _filled_store(path, tmp_path)
        con = duckdb.connect(str(path))
        con.execute("DROP TABLE revisions")
        con.close()
    else:
        _filled_store(path, tmp_path)
        data = bytearray(path.read_bytes())
        if kind == "truncated":
            data = data[: len(data) // 3]
        elif kind == "headers-damaged":
            data[4096:12288] = b"\x5a" * 8192
        elif kind == "blocks-damaged":
            data[12288:] = b"\x5a" * (len(data) - 12288)
        elif kind == "second-half-damaged":  # metadata intact: found when the data is read
            half = len(data) // 2
            data[half:] = b"\x5a" * (len(data) - half)
        path.write_bytes(bytes(data))
    return path


BAD_KINDS = [
    "empty",
    "text",
    "csv-named",
    "random",
    "other-duckdb",
    "empty-duckdb",
    "table-dropped",
    "truncated",
    "headers-damaged",
    "blocks-damaged",
    "second-half-damaged",
]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_database_file_is_refused_and_left_untouched(kind, tmp_path):
    path = _make_bad(kind, tmp_path)
    before = sha(path)
    prices = price_file(tmp_path / "new.csv", range(6))

    def use_it():
        store = open_store(path, create=True)
        load_prices(store)
        ingest_file(store, prices)

    with pytest.raises(InputError) as caught:
        use_it()
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)
    assert sha(path) == before
    assert not (tmp_path / f"{path.name}.wal").exists()


# --- locks -------------------------------------------------------------------------------------


def test_busy_store_waits_then_says_so(store, tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
            "print('locked', flush=True); time.sleep(float(sys.argv[2]))",
            str(store.path),
            "1.5",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        start = time.monotonic()
        with pytest.raises(StoreBusyError, match="in use by another cropcast process"):
            open_store(store.path, wait=0.3)
        assert time.monotonic() - start < 5
        # With time to wait, it gets its turn when the other process lets go.
        assert open_store(store.path, wait=30).path == store.path
    finally:
        holder.kill()
        holder.wait()


# --- export ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_round_trip(fmt, store, tmp_path):
    from forecast.datasets import read_price_table

    ingest_file(store, price_file(tmp_path / "a.csv", drop=((0, 4),)))
    out = tmp_path / f"out.{fmt}"
    assert export_prices(store, out) == 48
    back = read_price_table(out)
    stored = load_prices(store)
    pd.testing.assert_frame_equal(
        back[list(KEY) + ["date", "flags"]].astype(str),
        stored[list(KEY) + ["date", "flags"]].astype(str),
    )
    assert (back["price"] - stored["price"]).abs().max() <= 1e-6 * stored["price"].max()


# --- forecast archive and accuracy ---------------------------------------------------------------


def test_archive_previous_forecasts_and_accuracy(store, tmp_path):
    from forecast.forecasting import ForecastSpec, forecast_prices

    ingest_file(store, price_file(tmp_path / "a.csv", range(24)))
    assert previous_forecasts(store) is None and accuracy(store).empty
    prices = load_prices(store)
    spec = ForecastSpec(model="naive", horizon=6, levels=(80, 95), use_calendar=False)
    run = forecast_prices(prices, spec, engine="local")
    run_id = archive_forecasts(store, run, spec, prices["date"].max())
    assert run_id == 1
    runs = forecast_runs(store)
    assert runs[["model", "horizon", "levels", "n_series"]].values.tolist() == [
        ["naive", 6, "80,95", 2]
    ]
    back = archived_forecasts(store, run_id)
    assert list(back.columns[: len(run.forecasts.columns)]) == list(run.forecasts.columns)
    pd.testing.assert_frame_equal(
        back[run.forecasts.columns].reset_index(drop=True),
        run.forecasts.sort_values([*KEY, "date"]).reset_index(drop=True),
        check_dtype=False,
    )
    # Nothing issued before the latest prices yet: the run saw them.
    assert previous_forecasts(store) is None

    # Later prices arrive; month 26 of coffee is a hole, filled by interpolation (not scored).
    ingest_file(store, price_file(tmp_path / "b.csv", range(30), drop=((1, 26),)))
    earlier = previous_forecasts(store)
    assert earlier["run_id"].unique().tolist() == [1]
    assert (earlier["cutoff"] == pd.Timestamp("2017-12-01")).all()
    assert {"lower_80", "upper_95", "model"} <= set(earlier.columns)
    # As of a date before the run, there was nothing to check.
    assert previous_forecasts(store, "2017-06-01") is None

    table = accuracy(store).set_index("commodity")
    assert table.loc["Rice", "n"] == 6 and table.loc["Coffee", "n"] == 5
    last = price(SERIES[0][2], 23)
    actual = [price(SERIES[0][2], i) for i in range(24, 30)]
    expected_mae = sum(abs(a - last) for a in actual) / 6
    assert table.loc["Rice", "mae"] == pytest.approx(expected_mae)
    expected_mape = 100 * sum(abs(a - last) / a for a in actual) / 6
    assert table.loc["Rice", "mape"] == pytest.approx(expected_mape)
    assert 0 <= table.loc["Rice", "coverage_80"] <= table.loc["Rice", "coverage_95"] <= 1
    overall = accuracy(store, by=("model",))
    assert overall["n"].tolist() == [11] and overall["runs"].tolist() == [1]


def test_a_forecast_fitted_on_a_price_since_corrected_is_not_checked(store, tmp_path):
    """A typo the next file corrected: the run fitted on it forecast from a price that never
    was, and the bulletin's accuracy line would blame the forecast. That series' line goes;
    the other series, whose prices stood, keep theirs."""
    from forecast.forecasting import ForecastSpec, forecast_prices

    typo = {(0, 23): price(SERIES[0][2], 23) * 10}
    ingest_file(store, price_file(tmp_path / "a.csv", range(24), change=typo))
    prices = load_prices(store)
    spec = ForecastSpec(model="naive", horizon=6, levels=(80, 95), use_calendar=False)
    archive_forecasts(store, forecast_prices(prices, spec, engine="local"), spec, "2017-12-01")
    ingest_file(store, price_file(tmp_path / "b.csv", range(24, 27)))
    assert set(previous_forecasts(store)["commodity"]) == {"Rice", "Coffee"}
    # The correction: Rice's December was 10 times too high.
    ingest_file(store, price_file(tmp_path / "fix.csv", range(23, 24)))
    assert set(previous_forecasts(store)["commodity"]) == {"Coffee"}
    assert audit(store) == []


def test_a_late_price_that_fills_an_estimate_keeps_the_previous_forecast(store, tmp_path):
    """A market reporting late replaces an interpolated estimate: no price the run trusted
    changed, so its forecasts are still checked."""
    from forecast.forecasting import ForecastSpec, forecast_prices

    ingest_file(store, price_file(tmp_path / "a.csv", range(24), drop=((0, 20),)))
    prices = load_prices(store)
    spec = ForecastSpec(model="naive", horizon=6, levels=(80, 95), use_calendar=False)
    archive_forecasts(store, forecast_prices(prices, spec, engine="local"), spec, "2017-12-01")
    ingest_file(store, price_file(tmp_path / "b.csv", range(24, 27)))
    late = ingest_file(store, price_file(tmp_path / "late.csv", range(20, 21), series=SERIES[:1]))
    assert late.estimates_replaced == 1
    assert set(previous_forecasts(store)["commodity"]) == {"Rice", "Coffee"}


def test_a_series_that_lags_the_others_is_scored_from_its_own_last_price(store, tmp_path):
    from forecast.forecasting import ForecastSpec, forecast_prices

    # Coffee's December 2017 is not in yet when the run is made: its forecast starts there,
    # on the run's as_of (Rice's last month), and is scored when that price comes.
    ingest_file(store, price_file(tmp_path / "a.csv", range(24), drop=((1, 23),)))
    prices = load_prices(store)
    spec = ForecastSpec(model="naive", horizon=3, levels=(80,), use_calendar=False)
    run = forecast_prices(prices, spec, engine="local")
    run_id = archive_forecasts(store, run, spec, prices["date"].max())
    cutoffs = archived_forecasts(store, run_id).groupby("commodity")["cutoff"].first()
    assert cutoffs.to_dict() == {
        "Coffee": pd.Timestamp("2017-11-01"),
        "Rice": pd.Timestamp("2017-12-01"),
    }
    assert previous_forecasts(store) is None

    ingest_file(store, price_file(tmp_path / "b.csv", range(26)))
    table = accuracy(store).set_index("commodity")
    assert table.loc["Coffee", "n"] == 3 and table.loc["Rice", "n"] == 2
    assert table.loc["Coffee", "first"] == pd.Timestamp("2017-12-01")
    coffee = [price(SERIES[1][2], i) for i in range(23, 26)]
    last = price(SERIES[1][2], 22)
    assert table.loc["Coffee", "mae"] == pytest.approx(sum(abs(a - last) for a in coffee) / 3)
    # A bulletin as of December 2017 can already check Coffee's December (not Rice's).
    earlier = previous_forecasts(store, "2017-12-01")
    assert earlier["commodity"].unique().tolist() == ["Coffee"]
    assert (earlier["cutoff"] < earlier["date"]).all()


# --- property: whatever the sequence of files, no price is lost or silently rewritten ----------


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # first month
            st.integers(3, 12),  # months
            st.dictionaries(st.integers(0, 15), st.sampled_from([50.0, 80.0, 120.0]), max_size=3),
            st.sets(st.integers(1, 14), max_size=3),  # months left out (short gaps interpolate)
        ),
        min_size=1,
        max_size=4,
    )
)
# A revised neighbour re-estimates the month-2 estimate an earlier file wrote.
@example([(0, 6, {}, {2}), (0, 2, {1: 50.0}, set())])
def test_any_sequence_of_files_keeps_every_price(tmp_path_factory, files):
    from forecast.clean import CleanOptions, clean
    from forecast.clean.base import join_marks, split_marks
    from forecast.clean.outliers import MIN_POINTS, hampel
    from forecast.store import ingest_clean

    store = open_store(tmp_path_factory.mktemp("seq") / "s.duckdb", create=True)
    expected: dict = {}  # date -> (price, flags, file that wrote it): the rules, written out again

    def between(a, b) -> int:
        return (b.year - a.year) * 12 + b.month - a.month

    seen = set()
    written = 0
    for n, (first, length, changes, drops) in enumerate(files):
        months = [m for m in range(first, first + length) if m not in drops or m == first]
        frame = pd.DataFrame(
            {
                "date": [
                    f"{pd.Timestamp('2019-01-15') + pd.DateOffset(months=m):%Y-%m-%d}"
                    for m in months
                ],
                "commodity": "Rice",
                "market": "An Giang",
                "price_type": "Wholesale",
                "unit": "kg",
                "currency": "VND",
                "price": [str(changes.get(m, 100.0 + m)) for m in months],
            }
        )
        digest = hashlib.sha256(frame.to_csv().encode()).hexdigest()
        result = clean(frame, CleanOptions(freq="monthly"))
        outcome = ingest_clean(store, result, file_name=f"f{n}.csv", sha256=digest)
        if digest in seen:
            assert outcome.status == "duplicate"
            continue
        seen.add(digest)
        for row in result.prices.itertuples(index=False):
            new, estimate = (row.price, row.flags, n), "interpolated" in row.flags.split(";")
            old = expected.get(row.date)
            if old is None:
                expected[row.date] = new
                written += 1
            elif estimate:
                continue
            elif not math.isclose(old[0], row.price, rel_tol=1e-9) or "interpolated" in old[1]:
                expected[row.date] = new
                written += 1
        # Estimates follow the real prices now on either side (log-linear in months); one
        # an earlier file wrote that moves is one more value written (its old one revised).
        real = sorted((d, v) for d, (v, f, _) in expected.items() if "interpolated" not in f)
        for date, (value, flags, by) in list(expected.items()):
            before = [r for r in real if r[0] < date]
            after = [r for r in real if r[0] > date]
            if "interpolated" not in flags or not before or not after:
                continue
            (d0, p0), (d1, p1) = before[-1], after[0]
            share = between(d0, date) / between(d0, d1)
            fresh = math.exp(math.log(p0) + (math.log(p1) - math.log(p0)) * share)
            if not math.isclose(fresh, value, rel_tol=1e-9):
                expected[date] = (fresh, flags, n)
                written += by != n
        # Outlier marks: those of the whole stored history of real prices (a mark changes,
        # the price and who wrote it do not).
        hits = [False] * len(real)
        if len(real) >= MIN_POINTS:
            hits = hampel(np.log([v for _, v in real]))[0]
        for (date, _), hit in zip(real, hits, strict=True):
            value, flags, by = expected[date]
            marks = split_marks(flags)
            expected[date] = (
                value,
                join_marks(marks | {"outlier"} if hit else marks - {"outlier"}),
                by,
            )
    stored = load_prices(store)
    assert dict(zip(stored["date"], stored["flags"], strict=True)) == {
        d: f for d, (_, f, _) in expected.items()
    }
    assert dict(zip(stored["date"], stored["price"], strict=True)) == pytest.approx(
        {d: v for d, (v, _, _) in expected.items()}, rel=1e-9
    )
    assert (
        count(store, "SELECT count(*) FROM prices") + count(store, "SELECT count(*) FROM revisions")
        == written
    )
    assert audit(store) == []


def test_a_reading_is_what_changes_stored_prices_however_it_is_written():
    """Options name a new reading of the same bytes only when they change what is stored:
    flags listed in another order, or as a list, are the defaults; a report-only option
    (min_length) or today's date are no reading at all."""
    from forecast.clean import CleanOptions
    from forecast.store.ingest import _reading

    plain = [
        CleanOptions(),
        CleanOptions(keep_flags=["aggregate", "actual"]),
        CleanOptions(min_length=5),
        CleanOptions(today=pd.Timestamp("2030-01-01").date()),
    ]
    assert {_reading(o, None, {}) for o in plain} == {""}
    chuc = _reading(CleanOptions(chuc_size=14), None, None)
    assert chuc and chuc != _reading(CleanOptions(chuc_size=16), None, None)
    assert _reading(None, {"price": "Giá", "date": "Ngày"}, None) == _reading(
        None, {"date": "Ngày", "price": "Giá"}, None
    )


def test_a_reading_that_yields_the_stored_prices_is_the_file_again(store, tmp_path):
    """Options were hashed as given: --freq monthly on a file its dates made monthly was a
    "new reading" whose prices undid a later file's correction. A reading is known by what
    it yields (content_sha256, kept in the ingest's report); the same prices add nothing."""
    a = price_file(tmp_path / "a.csv")
    first = ingest_file(store, a)
    fixed = {(0, 20): price(SERIES[0][2], 20) * 1.1}
    fix = ingest_file(store, price_file(tmp_path / "fix.csv", range(18, 24), change=fixed))
    assert fix.revised == len(fixed)
    before = load_prices(store)
    revisions = count(store, "SELECT count(*) FROM revisions")
    for options in (CleanOptions(freq="monthly"), CleanOptions(chuc_size=14)):
        again = ingest_file(store, a, options=options)
        assert (again.status, again.ingest_id) == ("duplicate", first.ingest_id), options
        assert again.same_prices  # known by its prices, not by the options given
    pd.testing.assert_frame_equal(load_prices(store), before)
    assert count(store, "SELECT count(*) FROM revisions") == revisions
    with store.reading() as con:
        (recorded,) = con.execute(
            "SELECT json_extract_string(report, '$.content_sha256') FROM ingests "
            "WHERE ingest_id = ?",
            [first.ingest_id],
        ).fetchone()
    assert recorded and recorded != first.sha256
    # The content is the prices: the same bytes' readings differ only where prices do.
    from forecast.clean import clean
    from forecast.io import read_prices
    from forecast.store.ingest import content_sha256

    raw = read_prices(a)
    plain = clean(raw, CleanOptions())
    assert content_sha256(first.sha256, plain) == recorded
    plain.prices.loc[plain.prices.index[0], "price"] *= 2
    assert content_sha256(first.sha256, plain) != recorded


def test_naming_the_sheet_read_by_default_is_the_file_again(store, tmp_path):
    """The --sheet given went into content_sha256: a workbook ingested without it (its first
    sheet read), then corrected by a later file, and ingested again with --sheet naming that
    same sheet was a "new reading" whose prices undid the correction. The prices read tell
    the sheets apart; the option as written does not."""
    book = tmp_path / "book.xlsx"
    with pd.ExcelWriter(book) as writer:
        for name, series in (("VNM", SERIES[:1]), ("THA", SERIES[1:2])):
            frame = pd.read_csv(price_file(tmp_path / f"{name}.csv", series=series), dtype=str)
            frame.to_excel(writer, sheet_name=name, index=False)
    first = ingest_file(store, book)  # reads VNM, the first sheet
    assert first.status == "added" and first.report.rows_kept == 24
    fixed = {(0, 20): price(SERIES[0][2], 20) * 1.1}
    fix = price_file(tmp_path / "fix.csv", range(18, 24), series=SERIES[:1], change=fixed)
    assert ingest_file(store, fix).revised == 1
    before = load_prices(store)
    revisions = count(store, "SELECT count(*) FROM revisions")
    named = ingest_file(store, book, sheet="VNM")
    assert (named.status, named.ingest_id) == ("duplicate", first.ingest_id)
    assert named.same_prices
    pd.testing.assert_frame_equal(load_prices(store), before)  # the correction stands
    assert count(store, "SELECT count(*) FROM revisions") == revisions
    # The other sheet's prices are other prices: an ingest of their own.
    other = ingest_file(store, book, sheet="THA")
    assert (other.status, other.added) == ("added", 24)
    # Named first, then read by default: the same sheet again either way.
    again = open_store(tmp_path / "again.duckdb", create=True)
    assert ingest_file(again, book, sheet="VNM").status == "added"
    assert ingest_file(again, book).status == "duplicate"


def dd_mm_file(path: Path, prices: dict) -> Path:
    """Monthly prices of one series dated dd/mm/yyyy on the 1st, as a depot writes them:
    read mm/dd (--monthfirst) each year's twelve fold into its January."""
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    rows += [f"{m:%d/%m/%Y},Bưởi,Mỏ Cày,Retail,kg,VND,{p}" for m, p in prices.items()]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_the_reading_a_misreading_replaced_is_put_back_when_read_again(store, tmp_path):
    """A file read dd/mm, then misread (--monthfirst, which revised each January), then
    read dd/mm again was "already in the store as ingest #1": its content was #1's, though
    the store held the misreading's prices, and the only way back was removing the series.
    A reading is the file again only while the store holds its prices where readings of the
    same bytes wrote them; where another reading replaced them, it puts them back. Values
    other files corrected stand, before the misreading or after it."""
    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    base = {m: 40_000.0 + 500 * i for i, m in enumerate(months)}
    path = dd_mm_file(tmp_path / "gia_thang.csv", base)
    misread = CleanOptions(dayfirst=False, freq="monthly")

    def stored() -> dict:
        prices = load_prices(store)
        return dict(zip(prices["date"], prices["price"], strict=True))

    first = ingest_file(store, path)
    assert first.status == "added" and stored() == base
    before = {months[18]: 49_999.0, months[21]: 51_111.0}  # corrected before the misreading
    ingest_file(store, dd_mm_file(tmp_path / "sua1.csv", before))
    mis = ingest_file(store, path, options=misread)
    assert (mis.status, mis.added, mis.revised) == ("added", 0, 2)  # the two Januaries
    after = {months[12]: 47_777.0}  # a January corrected after the misreading
    ingest_file(store, dd_mm_file(tmp_path / "sua2.csv", after))
    held = stored()
    assert held[months[0]] != base[months[0]]  # the misreading's, still
    revisions = count(store, "SELECT count(*) FROM revisions")
    back = ingest_file(store, path)  # as first read: its sha256, the fast path, was #1's
    assert (back.status, back.added, back.revised) == ("added", 0, 1), back
    assert back.put_back == [{"ingest_id": mis.ingest_id, "file": "gia_thang.csv", "prices": 1}]
    assert back.to_dict()["put_back_over"] == back.put_back
    assert count(store, "SELECT count(*) FROM revisions") == revisions + 1
    assert stored() == base | before | after  # every correction by another file stands
    # The store holds this reading now: the file again, by its options or by its prices.
    for options in (None, CleanOptions(dayfirst=True)):
        again = ingest_file(store, path, options=options)
        assert (again.status, again.ingest_id) == ("duplicate", back.ingest_id), options
    assert stored() == base | before | after and audit(store) == []
    # The misreading asked for again is a new word too: it puts its January back.
    mis_again = ingest_file(store, path, options=misread)
    assert (mis_again.status, mis_again.revised) == ("added", 1)
    assert [b["ingest_id"] for b in mis_again.put_back] == [back.ingest_id]
    assert stored()[months[0]] == held[months[0]]
    # And the dd/mm reading with --dayfirst (known by its prices) undoes it again.
    dayfirst = ingest_file(store, path, options=CleanOptions(dayfirst=True))
    assert (dayfirst.status, dayfirst.revised) == ("added", 1)
    assert stored() == base | before | after and audit(store) == []
    # Each records its bytes' sha256 (the sha256 of the first, read as it is).
    with store.reading() as con:
        recorded = con.execute(
            "SELECT DISTINCT json_extract_string(report, '$.bytes_sha256') FROM ingests "
            "WHERE file_name = 'gia_thang.csv'"
        ).fetchall()
    assert recorded == [(first.sha256,)]


def test_a_removed_series_leaves_the_prices_and_keeps_its_own_aside(store, tmp_path):
    """A file ingested under another spelling could never be taken out: its series stayed
    in every forecast. Removal moves its prices to ``removals``; the counts still conserve,
    and a later file of it adds them again."""
    from forecast.store.removal import matching_series, remove_series

    ingest_file(store, price_file(tmp_path / "a.csv"))
    before = load_prices(store)
    assert matching_series(store, ["Coffee"])["prices"].tolist() == [24]
    gone = remove_series(store, ["Coffee|Dak Lak"])
    assert gone["commodity"].tolist() == ["Coffee"]
    after = load_prices(store)
    assert set(after["commodity"]) == {"Rice"} and len(after) == len(before) - 24
    assert count(store, "SELECT count(*) FROM removals") == 24
    assert audit(store) == [] and store_info(store)["removed"] == 24
    assert remove_series(store, ["Coffee"]).empty  # nothing left to match
    ingest_file(store, price_file(tmp_path / "b.csv", range(24, 30)))
    assert audit(store) == [] and set(load_prices(store)["commodity"]) == {"Rice", "Coffee"}


@pytest.mark.slow
def test_stored_frequencies_read_each_ingests_report_once_not_per_price(shared_data, tmp_path):
    """Review: after a national file, `ingest` and `data list` ended in DuckDB's 'Out of
    Memory' (18.8 GiB): the query of each series' frequency joined every price row to its
    ingest's whole report (3.5 MB for 240,000 rows). Within 200 MB it now answers."""
    import duckdb

    from forecast.store.contents import SERIES_FREQUENCY

    path = tmp_path / "national.duckdb"
    ingest_file(open_store(path, create=True), shared_data / "wfp" / "wfp_food_prices_lka.csv")
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET memory_limit = '200MB'")
    con.execute("SET threads = 1")
    frequencies = con.execute(SERIES_FREQUENCY).df()
    assert len(frequencies) > 1000 and set(frequencies["freq"]) == {"monthly"}
    # The query as it was: the report joined whole, its word read per price row.
    subquery = SERIES_FREQUENCY[SERIES_FREQUENCY.index("(\n") : SERIES_FREQUENCY.index(") i") + 1]
    whole_report = SERIES_FREQUENCY.replace(subquery, "ingests").replace(
        "max(i.freq)", "max(json_extract_string(i.report, '$.freq'))"
    )
    assert "i.report" in whole_report and "SELECT ingest_id" not in whole_report
    with pytest.raises(duckdb.OutOfMemoryException):  # the query as it was
        con.execute(whole_report).df()
    con.close()
