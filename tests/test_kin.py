"""Kin: a short series borrows the moves of the same commodity in other markets."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.auto import AutoForecaster, enough_moves, last_price_errors
from forecast.forecasting import ForecastSpec, forecast_prices
from forecast.kin import LEVELS, MAX_KIN_ERRORS, KinPools, kin_of
from forecast.table import KEY, iter_series

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _table(series: dict, starts: dict | None = None) -> pd.DataFrame:
    """A PriceTable from {(commodity, market, currency): monthly prices}, each starting in
    January 2020 or at ``starts[market]``."""
    rows = []
    for (commodity, market, currency), values in series.items():
        start = (starts or {}).get(market, "2020-01-01")
        dates = pd.date_range(start, periods=len(values), freq="MS")
        for date, price in zip(dates, values, strict=True):
            rows.append((commodity, market, "Retail", "kg", currency, date, float(price)))
    return pd.DataFrame(rows, columns=[*KEY, "date", "price"])


def _walk(n: int, step: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100 * np.exp(np.cumsum(rng.normal(0, step, n)))


def test_a_short_series_takes_only_its_kins_moves_and_a_long_one_none():
    table = _table(
        {
            ("Rice", "A", "LKR"): _walk(12, 0.02, 1),  # short
            ("Rice", "B", "LKR"): _walk(60, 0.10, 2),  # long: backtested, no kin
            ("Rice", "C", "USD"): _walk(12, 0.30, 3),  # another currency: not kin
            ("Maize", "A", "LKR"): _walk(12, 0.50, 4),  # another commodity: kin at need
        },
        starts={"A": "2023-07-01"},
    )
    pools = KinPools(table, horizon=12, window=240)
    series = {key: y for key, y in iter_series(table)}
    a, b = ("Rice", "A", "Retail", "kg", "LKR"), ("Rice", "B", "Retail", "kg", "LKR")
    kin = pools.for_series(a, series[a])
    # B's moves that start in the months A spans (and the season before its last), not in
    # B's older or later years, and not A's own moves (A brings those itself).
    b_moves = last_price_errors(series[b], 12, 240)
    since = series[b].index.get_loc(pd.Timestamp("2023-06-01"))  # A's last month - 12
    until = series[b].index.get_loc(pd.Timestamp("2024-06-01"))  # A's last month
    np.testing.assert_array_equal(kin, b_moves[since : until + 1])
    assert pools.for_series(b, series[b]) is None  # long enough for its own backtest
    c, maize = ("Rice", "C", "Retail", "kg", "USD"), ("Maize", "A", "Retail", "kg", "LKR")
    # Alone in its currency: the file's series in other currencies, as a last resort (its
    # range columns were empty); moves are in percent, whatever the currency.
    found = pools.with_source(c, series[c])
    assert found is not None and found[1].startswith("the file's series in other currencies")
    assert kin_of(a) == ("Rice", "Retail", "LKR")
    # Rice A takes Rice only (its own commodity has moves); Maize, with no maize in other
    # markets, takes the other commodities of its price type and currency, Rice A included.
    assert pools.with_source(a, series[a])[1] == LEVELS[0][1]
    broad, source = pools.with_source(maize, series[maize])
    assert source == "other commodities of the same price type and currency"
    rice_a = last_price_errors(series[a], 12, 240)
    assert len(broad) == np.isfinite(rice_a).any(axis=1).sum() + len(kin)
    assert not np.isin(broad[:, 0], last_price_errors(series[maize], 12, 240)[:, 0]).any()


def test_kin_are_capped_evenly_across_the_group():
    # 60 markets of two and a half years: more kin moves in a new market's span than it takes.
    table = _table({("Rice", f"M{i:02d}", "LKR"): _walk(30, 0.05, i) for i in range(60)})
    new = ("Rice", "New", "Retail", "kg", "LKR")
    table = pd.concat(
        [table, _table({new[:2] + ("LKR",): _walk(10, 0.05, 99)}, {"New": "2021-09-01"})]
    )
    series = dict(iter_series(table))
    kin = KinPools(table, 12, 240).for_series(new, series[new])
    assert kin.shape == (MAX_KIN_ERRORS, 12)
    # Evenly spaced rows: the first and the last market both keep their share.
    for market in ("M00", "M59"):
        moves = last_price_errors(series[("Rice", market, "Retail", "kg", "LKR")], 12, 240)
        assert np.isin(kin[:, 0], moves[:, 0]).sum() >= 5


def test_auto_pools_kin_errors_into_a_short_series_ranges():
    y = pd.Series(
        np.r_[np.full(6, 100.0), np.full(6, 101.0)],
        index=pd.date_range("2024-01-01", periods=12, freq="MS"),
    )
    kin = last_price_errors(pd.Series(_walk(120, 0.08, 5), index=pd.RangeIndex(120)), 12, 240)
    alone = AutoForecaster().fit(y).predict(12, levels=(80, 95))
    helped = AutoForecaster(kin_errors=kin).fit(y).predict(12, levels=(80, 95))
    np.testing.assert_allclose(helped["forecast"], alone["forecast"])  # the point is the same
    width = np.log(helped["upper_95"] / helped["lower_95"])
    assert (width > np.log(alone["upper_95"] / alone["lower_95"]) + 0.05).all()
    notes = AutoForecaster(kin_errors=kin).fit(y).explain_["notes"]
    assert any("from kin" in note for note in notes)


def test_auto_ignores_kin_on_a_series_long_enough_to_backtest():
    y = pd.Series(_walk(60, 0.03, 6), index=pd.date_range("2019-01-01", periods=60, freq="MS"))
    kin = np.full((200, 12), 0.9)  # absurd moves: they would show in any range
    plain = AutoForecaster().fit(y).predict(12, levels=(80, 95))
    given = AutoForecaster(kin_errors=kin).fit(y).predict(12, levels=(80, 95))
    pd.testing.assert_frame_equal(plain, given)


def test_a_single_price_gets_its_kins_ranges_and_without_kin_none():
    table = _table(
        {("Rice", "A", "LKR"): [100.0], ("Rice", "B", "LKR"): _walk(30, 0.05, 7)},
        starts={"A": "2022-06-01"},  # B's last month
    )
    spec = ForecastSpec(horizon=3, use_calendar=False)
    run = forecast_prices(table, spec, engine="local")
    one = run.forecasts[run.forecasts["market"] == "A"]
    assert (one["model"] == "last").all() and np.allclose(one["forecast"], 100)
    assert ((one["lower_80"] < 100) & (one["upper_95"] > one["upper_80"])).all()
    assert "kin" in next(s.note for s in run.series if s.key[1] == "A")
    alone = forecast_prices(table[table["market"] == "A"], spec, engine="local").forecasts
    assert alone[["lower_80", "upper_80"]].isna().all().all()


def test_a_single_price_of_a_commodity_no_other_market_has_takes_the_broad_kin():
    table = _table(
        {("Sorghum", "A", "LKR"): [100.0], ("Rice", "B", "LKR"): _walk(30, 0.05, 7)},
        starts={"A": "2022-06-01"},  # B's last month
    )
    run = forecast_prices(table, ForecastSpec(horizon=3, use_calendar=False), engine="local")
    one = run.forecasts[run.forecasts["commodity"] == "Sorghum"]
    assert ((one["lower_95"] < one["lower_80"]) & (one["lower_80"] < 100)).all()
    note = next(s.note for s in run.series if s.key[0] == "Sorghum")
    assert "other commodities of the same price type and currency" in note
    # In another currency: the file's series in other currencies lend their moves (its
    # range columns were empty), and the note says whose they are.
    usd = table.assign(currency=np.where(table["commodity"] == "Sorghum", "USD", "LKR"))
    other = forecast_prices(usd, ForecastSpec(horizon=3, use_calendar=False), engine="local")
    sorghum = other.forecasts[other.forecasts["commodity"] == "Sorghum"]
    assert ((sorghum["lower_95"] < sorghum["lower_80"]) & (sorghum["lower_80"] < 100)).all()
    assert "the file's series in other currencies" in next(
        s.note for s in other.series if s.key[0] == "Sorghum"
    )
    # Alone in the file, nothing moved anywhere: the ranges stay empty, and say so.
    alone = forecast_prices(
        usd[usd["commodity"] == "Sorghum"],
        ForecastSpec(horizon=3, use_calendar=False),
        engine="local",
    )
    assert alone.forecasts[["lower_80", "upper_95"]].isna().all().all()
    assert "no ranges" in alone.series[0].note


def test_too_few_moves_of_its_own_commodity_make_way_for_broader_kin():
    """Meat in a market that opened three months ago: three prices, two moves, too few for
    a range; the file's other commodities have plenty."""
    table = _table(
        {
            ("Meat", "A", "SDG"): [3300.0],
            ("Meat", "B", "SDG"): [3000.0, 3100.0, 3150.0],
            ("Rice", "C", "SDG"): _walk(30, 0.05, 7),  # to 2022-06
        },
        starts={"A": "2022-06-01", "B": "2022-04-01"},
    )
    run = forecast_prices(table, ForecastSpec(horizon=3, use_calendar=False), engine="local")
    meat = run.forecasts[(run.forecasts["commodity"] == "Meat") & (run.forecasts["market"] == "A")]
    assert meat[["lower_80", "upper_95"]].notna().all().all()
    note = next(s.note for s in run.series if s.key[:2] == ("Meat", "A"))
    assert "other commodities of the same price type and currency" in note


def test_a_single_price_with_one_swinging_kin_gets_ranges_that_grow_as_its_kin_did():
    """Sri Lanka, June 2023: 1,000 markets' first prices, and carrots in one other market
    for the year before, swinging back and forth. Its dozen one-month swings grown by
    sqrt(12) gave 95 % ranges of 20.6 to 12,298 around Kandy's 503; its longer moves,
    scaled, say how far the price really went in a year."""
    swings = 400 * np.exp(np.resize([0.0, 0.9, -0.2, 0.7, -0.6, 0.3], 13))
    table = _table(
        {("Carrots", "A", "LKR"): [471.0], ("Carrots", "B", "LKR"): swings},
        starts={"A": "2023-06-01", "B": "2022-06-01"},
    )
    run = forecast_prices(table, ForecastSpec(horizon=12, use_calendar=False), engine="local")
    one = run.forecasts[run.forecasts["market"] == "A"]
    spread = (one["upper_95"] / one["lower_95"]).to_numpy()
    assert (np.diff(spread) >= 0).all() and spread[0] > 1
    # The kin's largest move in any number of months is 0.9 in logs (2.5 times): grown
    # from all its moves by sqrt(12), the 12-month range spanned 2,040 times; capped by its
    # further moves (shrunk, see forecast.auto._scaled_tail), 170 times.
    assert spread[-1] < 250
    assert "the same commodity" in next(s.note for s in run.series if s.key[1] == "A")


def test_a_single_price_alone_in_its_price_type_takes_its_currencys_other_series():
    table = _table(
        {("Yam", "A", "NGN"): [450.0], ("Rice", "B", "NGN"): _walk(30, 0.05, 7)},
        starts={"A": "2022-06-01"},  # B's last month
    )
    wholesale = table.assign(price_type=np.where(table["market"] == "A", "Wholesale", "Retail"))
    run = forecast_prices(wholesale, ForecastSpec(horizon=3, use_calendar=False), engine="local")
    yam = run.forecasts[run.forecasts["commodity"] == "Yam"]
    assert ((yam["lower_95"] < yam["lower_80"]) & (yam["lower_80"] < 450)).all()
    assert (yam["upper_95"] > yam["upper_80"]).all()
    assert "other series in the same currency" in next(
        s.note for s in run.series if s.key[0] == "Yam"
    )


def test_a_long_price_that_never_moved_takes_its_kins_moves_for_its_ranges():
    """Subsidised bread at 50 for six years: no move of its own to measure, so its ranges
    had no width; its kin in other markets say what a change may bring."""
    flat = [50.0] * 72
    flat[30] = flat[31] = 50 * (1 + 1e-13)  # a gap filled in logs between two 50s
    table = _table({("Bread", "A", "SYP"): flat, ("Bread", "B", "SYP"): _walk(72, 0.05, 7)})
    spec = ForecastSpec(horizon=3, use_calendar=False)
    run = forecast_prices(table, spec, engine="local")
    bread = run.forecasts[run.forecasts["market"] == "A"]
    assert np.allclose(bread["forecast"], 50)
    assert ((bread["lower_95"] < bread["lower_80"]) & (bread["lower_80"] < 50)).all()
    assert ((bread["upper_95"] > bread["upper_80"]) & (bread["upper_80"] > 50)).all()
    explain = next(s.explain for s in run.series if s.key[1] == "A")
    assert any("never moved" in note for note in explain["notes"]), explain
    # Alone, nothing to borrow: the ranges hold the price and nothing more, as before.
    alone = forecast_prices(table[table["market"] == "A"], spec, engine="local").forecasts
    assert np.allclose(alone[["lower_95", "upper_95"]], 50)


def test_a_selection_is_forecast_as_in_the_whole_table_when_given_its_kin():
    table = _table({("Rice", m, "LKR"): _walk(14 + 3 * i, 0.06, i) for i, m in enumerate("ABCD")})
    spec = ForecastSpec(horizon=6, use_calendar=False)
    whole = forecast_prices(table, spec, engine="local").forecasts
    part = forecast_prices(
        table[table["market"] == "B"], spec, engine="local", kin_prices=table
    ).forecasts
    pd.testing.assert_frame_equal(
        part.reset_index(drop=True),
        whole[whole["market"] == "B"].reset_index(drop=True),
    )


@pytest.mark.slow
def test_kin_give_the_same_forecasts_on_every_engine():
    table = _table({("Rice", m, "LKR"): _walk(10 + 4 * i, 0.06, i) for i, m in enumerate("ABCDE")})
    spec = ForecastSpec(horizon=6, use_calendar=False)
    local = forecast_prices(table, spec, engine="local").forecasts
    processes = forecast_prices(table, spec, engine="processes", n_jobs=2).forecasts
    pd.testing.assert_frame_equal(local, processes)
    if importlib.util.find_spec("distributed") is not None:  # the optional extra
        dask = forecast_prices(table, spec, engine="dask", n_jobs=2).forecasts
        pd.testing.assert_frame_equal(local, dask)


@pytest.mark.skipif(
    not (SHARED / "wfp" / "wfp_food_prices_lka.csv").exists(),
    reason="needs ../shared/data (the real WFP Sri Lanka file), beside the checkout in CI",
)
def test_short_sri_lanka_series_score_better_ranges_with_kin_than_without():
    """On real short series, ranges with the kin's moves score better on the held-out first
    half of 2025 (interval score: width, plus 2 / alpha times the miss, on log prices).
    Every series is cut at the same date, so no kin move reaches into the held-out months."""
    from forecast.clean import CleanOptions, clean
    from forecast.io import read_prices

    prices = clean(
        read_prices(SHARED / "wfp" / "wfp_food_prices_lka.csv"), CleanOptions(freq="monthly")
    ).prices
    prices = prices[prices["commodity"].isin(["Tomatoes", "Carrots", "Cabbage"])]
    train = prices[prices["date"] < "2025-01-01"]
    test = prices[prices["date"] >= "2025-01-01"]
    spec = ForecastSpec(horizon=6, use_calendar=False)
    with_kin = forecast_prices(train, spec, engine="local").forecasts
    assert len(with_kin) == 6 * with_kin.groupby(list(KEY)).ngroups
    pools = KinPools(train, 6, 240)
    rows, borrowed = [], 0
    for key, y in iter_series(train):
        borrowed += pools.for_series(key, y) is not None
        fc = AutoForecaster(horizon=6).fit(y).predict(6, levels=(95,))
        fc["date"] = fc.index
        rows.append(fc.assign(**dict(zip(KEY, key, strict=True))))
    without = pd.concat(rows, ignore_index=True)
    assert borrowed >= 0.9 * len(rows)  # nearly all of these short series have kin

    def interval_score(fc):
        joined = fc.merge(test, on=[*KEY, "date"])
        lo, hi, y = (np.log(joined[c]) for c in ("lower_95", "upper_95", "price"))
        miss = np.maximum(lo - y, 0) + np.maximum(y - hi, 0)
        return float(np.mean(hi - lo + 2 / 0.05 * miss)), len(joined)

    (kin_score, n), (own_score, m) = interval_score(with_kin), interval_score(without)
    assert n == m > 300
    assert kin_score < own_score


def test_weekly_and_monthly_series_are_not_kin():
    # A store keeps each series' own frequency: a week's move is not a month's.
    monthly = _table({("Rice", "Month", "LKR"): _walk(12, 0.02, 1)}, {"Month": "2024-01-01"})
    weeks = pd.date_range("2023-01-02", periods=104, freq="W-MON")
    weekly = pd.DataFrame({"date": weeks, "price": _walk(104, 0.05, 2)}).assign(
        commodity="Rice", market="Week", price_type="Retail", unit="kg", currency="LKR"
    )
    table = pd.concat([monthly, weekly[monthly.columns]], ignore_index=True)
    series = dict(iter_series(table))
    key = ("Rice", "Month", "Retail", "kg", "LKR")
    assert KinPools(table, 6, 240).for_series(key, series[key]) is None


def test_a_case_twin_is_not_kin_and_a_gappy_series_auto_backtests_takes_none():
    table = _table(
        {
            ("Rice", "Colombo", "LKR"): _walk(12, 0.05, 1),
            ("Rice", "colombo ", "LKR"): _walk(12, 0.05, 1),  # the same market, spelt apart
        }
    )
    series = dict(iter_series(table))
    pools = KinPools(table, 12, 240)
    assert all(pools.for_series(key, y) is None for key, y in series.items())
    # 28 prices over 40 months, the gaps at the end: fewer than 24 + 12 prices, but auto
    # has a backtest window (24 prices before it), so it keeps its own moves.
    values = _walk(40, 0.05, 3)
    values[np.r_[26:30, 31:35, 36:40]] = np.nan
    gappy = _table({("Rice", "Gappy", "LKR"): values, ("Rice", "Other", "LKR"): _walk(40, 0.05, 4)})
    gappy = gappy.dropna()
    series = dict(iter_series(gappy))
    key = ("Rice", "Gappy", "Retail", "kg", "LKR")
    assert series[key].notna().sum() == 28
    assert KinPools(gappy, 12, 240).for_series(key, series[key]) is None


def test_a_single_price_needs_ten_kin_moves_for_a_range():
    table = _table(
        {("Rice", "A", "LKR"): [100.0], ("Rice", "B", "LKR"): [110.0, 120.0]},
        starts={"A": "2020-02-01"},
    )
    run = forecast_prices(table, ForecastSpec(horizon=3, use_calendar=False), engine="local")
    one = run.forecasts[run.forecasts["market"] == "A"]
    assert one[["lower_80", "upper_95"]].isna().all().all()  # one move is not a range


def test_a_group_of_many_markets_keeps_a_bounded_pool_that_covers_every_date():
    from forecast.kin import POOL_ROWS

    table = _table({("Rice", f"M{i:02d}", "LKR"): _walk(250, 0.05, i) for i in range(60)})
    new = ("Rice", "New", "Retail", "kg", "LKR")
    young = _table({("Rice", "New", "LKR"): _walk(12, 0.05, 99)}, {"New": "2039-11-01"})
    table = pd.concat([table, young], ignore_index=True)
    pools = KinPools(table, 12, 240)
    assert all(len(pool.errors) <= POOL_ROWS + 60 for pool in pools._pools.values())
    # Each market keeps a staggered share, so the newest months still hold moves.
    kin = pools.for_series(new, dict(iter_series(table))[new])
    assert kin is not None and len(kin) >= 100


def test_pools_for_many_horizons_from_one_pass_are_those_built_one_by_one():
    # A bulletin's lagging series need pools for several horizons, built in one pass over
    # the file; each must keep exactly the rows a pool built for its horizon alone keeps:
    # the staggered share of a big group depends on the rows that moved within it.
    rng = np.random.default_rng(7)
    group = {
        ("Rice", f"M{i:02d}", "LKR"): _walk(int(rng.integers(3, 40)), 0.05, i) for i in range(300)
    }
    group[("Rice", "Fixed", "LKR")] = np.full(30, 50.0)  # flat: takes kin however long
    group[("Beans", "Alone", "UGX")] = _walk(5, 0.1, 1)  # alone in its currency: whole file
    starts = {f"M{i:02d}": f"20{20 + i % 4}-0{1 + i % 9}-01" for i in range(300)}
    table = _table(group, starts)
    together = KinPools.for_horizons(table, [9, 2, 5, 2], 240)
    assert sorted(together) == [2, 5, 9]
    for horizon, pools in together.items():
        alone = KinPools(table, horizon, 240)
        assert pools._short == alone._short and pools._flat == alone._flat
        assert pools._pools.keys() == alone._pools.keys()
        for pool_key, pool in alone._pools.items():
            np.testing.assert_array_equal(pools._pools[pool_key].errors, pool.errors)
            np.testing.assert_array_equal(pools._pools[pool_key].dates, pool.dates)
            np.testing.assert_array_equal(pools._pools[pool_key].owners, pool.owners)
    # The big group keeps a staggered share, and its shorter pools hold fewer steps.
    big = (0, "Rice", "Retail", "LKR", 12)
    assert together[9]._pools[big].errors.shape[1] == 9
    assert together[2]._pools[big].errors.shape[1] == 2
    assert any(key[0] == 3 for key in together[2]._pools)  # the whole file's level


def test_a_lone_old_price_takes_its_kins_moves_of_other_years():
    """One price in 2015, the file's other series from 2020: none of their moves fall in its
    span, and its forecast had no ranges at all. Their moves of other years stand in, said."""
    table = _table(
        {
            ("Rice", "A", "LKR"): [120.0],
            ("Rice", "B", "LKR"): _walk(60, 0.05, 2),
            ("Rice", "C", "LKR"): _walk(60, 0.05, 3),
        },
        starts={"A": "2015-03-01"},
    )
    pools = KinPools(table, horizon=12, window=240)
    series = {key: y for key, y in iter_series(table)}
    a = ("Rice", "A", "Retail", "kg", "LKR")
    kin, source = pools.with_source(a, series[a])
    assert source.endswith("in other years than its own")
    assert np.isfinite(kin).any() and np.nanmax(np.abs(kin)) > 0
    # A series that has kin moves in its own span keeps those, said plainly.
    moved = _table({("Rice", "A", "LKR"): [120.0], ("Rice", "B", "LKR"): _walk(60, 0.05, 2)})
    pools = KinPools(moved, horizon=12, window=240)
    y = dict(iter_series(moved))[a]
    assert "other years" not in pools.with_source(a, y)[1]
    # A kin with a few moves in its span (four prices of maize in the same months) is too
    # few for a range: plenty of moves of other years come first; the few left its
    # ranges empty. Those few are still taken when nothing else is there.
    few = {("Maize", "A", "LKR"): [120.0], ("Maize", "D", "LKR"): [90.0, 95.0, 92.0, 97.0]}
    crowded = _table(
        {**few, ("Rice", "B", "LKR"): _walk(60, 0.05, 2)},
        starts={"A": "2015-03-01", "D": "2015-03-01"},
    )
    maize = ("Maize", "A", "Retail", "kg", "LKR")
    y = dict(iter_series(crowded))[maize]
    kin, source = KinPools(crowded, horizon=12, window=240).with_source(maize, y)
    assert source.endswith("in other years than its own") and enough_moves(kin)
    alone = _table(few, starts={"A": "2015-03-01", "D": "2015-03-01"})
    kin, source = KinPools(alone, horizon=12, window=240).with_source(maize, y)
    assert "other years" not in source and not enough_moves(kin)
    # A series whose own moves make those few enough keeps them: its own commodity, in
    # its own months (better scored on the design set than other years' moves).
    moved = {**few, ("Maize", "A", "LKR"): _walk(6, 0.03, 5)}
    crowded = _table(
        {**moved, ("Rice", "B", "LKR"): _walk(60, 0.05, 2)},
        starts={"A": "2015-03-01", "D": "2015-03-01"},
    )
    y = dict(iter_series(crowded))[maize]
    kin, source = KinPools(crowded, horizon=12, window=240).with_source(maize, y)
    assert source == LEVELS[0][1]


def test_a_fixed_price_whose_unit_changed_once_is_flat_as_the_models_see_it():
    """Review: bread at 1,500 a 10 kg then 150 a kg for years had ranges of no width
    (150-150), while the same price without the change borrowed its kin's moves."""
    from forecast.kin import flat_series

    months = pd.date_range("2019-01-01", periods=36, freq="MS")
    key = ("Bread", "Colombo", "Retail", "kg", "LKR")
    fixed = [1500.0] * 12 + [150.0] * 24
    frame = pd.DataFrame({"date": months, "price": fixed})
    for column, value in zip(KEY, key, strict=True):
        frame[column] = value
    assert flat_series(frame) == [key]
    moving = frame.assign(price=[1500.0] * 12 + [150.0 + i for i in range(24)])
    assert flat_series(moving) == []


def test_a_fixed_price_with_one_mistyped_price_is_flat_as_the_models_see_it():
    """Review: maize at 50 for years with one 260 (5.2 times, a typo the models leave out)
    had ranges of no width and no note, where the same price with a tenfold typo borrowed
    its kin's moves."""
    from forecast.kin import flat_series

    months = pd.date_range("2019-01-01", periods=36, freq="MS")
    key = ("Maize", "Hanoi", "Retail", "kg", "VND")
    frame = pd.DataFrame({"date": months, "price": [50.0] * 36})
    for column, value in zip(KEY, key, strict=True):
        frame[column] = value
    frame.loc[20, "price"] = 260.0
    assert flat_series(frame) == [key]
    frame.loc[20, "price"] = 4 * 50.0  # four times: a price, kept; the series moved
    assert flat_series(frame) == []
