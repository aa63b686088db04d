"""Kin: a short series borrows the moves of the same commodity in other markets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.auto import AutoForecaster, last_price_errors
from forecast.forecasting import ForecastSpec, forecast_prices
from forecast.kin import MAX_KIN_ERRORS, KinPools, kin_of
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
            ("Maize", "A", "LKR"): _walk(12, 0.50, 4),  # another commodity: not kin
        },
        starts={"A": "2023-07-01"},
    )
    pools = KinPools(table, horizon=12, window=240)
    series = {key: y for key, y in iter_series(table)}
    a, b = ("Rice", "A", "Retail", "kg", "LKR"), ("Rice", "B", "Retail", "kg", "LKR")
    kin = pools.for_series(a, series[a])
    # B's moves from the months A has prices for (and the season before its last), not
    # B's older years, and not A's own moves (A brings those itself).
    b_moves = last_price_errors(series[b], 12, 240)
    since = series[b].index.get_loc(pd.Timestamp("2023-06-01"))  # A's last month - 12
    np.testing.assert_array_equal(kin, b_moves[since:])
    assert pools.for_series(b, series[b]) is None  # long enough for its own backtest
    c, maize = ("Rice", "C", "Retail", "kg", "USD"), ("Maize", "A", "Retail", "kg", "LKR")
    assert pools.for_series(c, series[c]) is None  # alone in its group
    assert pools.for_series(maize, series[maize]) is None
    assert kin_of(a) == ("Rice", "Retail", "LKR")


def test_kin_are_capped_evenly_across_the_group():
    table = _table({("Rice", f"M{i}", "LKR"): _walk(300, 0.05, i) for i in range(4)})
    table = pd.concat([table, _table({("Rice", "New", "LKR"): _walk(10, 0.05, 9)})])
    new = ("Rice", "New", "Retail", "kg", "LKR")
    kin = KinPools(table, 12, 240).for_series(new, dict(iter_series(table))[new])
    assert kin.shape == (MAX_KIN_ERRORS, 12)
    # Evenly spaced rows: the first and the last market both keep their share.
    first = last_price_errors(next(iter_series(table))[1], 12, 240)
    assert np.isin(kin[:, 0], first[:, 0]).sum() > MAX_KIN_ERRORS // 5


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
    table = _table({("Rice", "A", "LKR"): [100.0], ("Rice", "B", "LKR"): _walk(30, 0.05, 7)})
    spec = ForecastSpec(horizon=3, use_calendar=False)
    run = forecast_prices(table, spec, engine="local")
    one = run.forecasts[run.forecasts["market"] == "A"]
    assert (one["model"] == "last").all() and np.allclose(one["forecast"], 100)
    assert ((one["lower_80"] < 100) & (one["upper_95"] > one["upper_80"])).all()
    assert "kin" in next(s.note for s in run.series if s.key[1] == "A")
    alone = forecast_prices(table[table["market"] == "A"], spec, engine="local").forecasts
    assert alone[["lower_80", "upper_80"]].isna().all().all()


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


@pytest.mark.skipif(
    not (SHARED / "wfp" / "wfp_food_prices_lka.csv").exists(),
    reason="needs ../shared/data (the real WFP Sri Lanka file), beside the checkout in CI",
)
def test_short_sri_lanka_series_score_better_ranges_with_kin_than_without():
    """On real short series, ranges with the kin's moves score better on the held-out last
    6 months (interval score: width, plus 2 / alpha times the miss, on log prices)."""
    from forecast.clean import CleanOptions, clean
    from forecast.io import read_prices

    prices = clean(
        read_prices(SHARED / "wfp" / "wfp_food_prices_lka.csv"), CleanOptions(freq="monthly")
    ).prices
    prices = prices[prices["commodity"].isin(["Tomatoes", "Carrots", "Cabbage"])]
    last = prices.groupby(list(KEY))["date"].transform("max")
    train = prices[prices["date"] <= last - pd.DateOffset(months=6)]
    test = prices[prices["date"] > last - pd.DateOffset(months=6)]
    spec = ForecastSpec(horizon=6, use_calendar=False)
    with_kin = forecast_prices(train, spec, engine="local").forecasts
    assert len(with_kin) == 6 * with_kin.groupby(list(KEY)).ngroups
    pools = KinPools(train, 6, 240)
    rows = []
    for key, y in iter_series(train):
        assert pools.for_series(key, y) is not None  # every one of these short series has kin
        fc = AutoForecaster(horizon=6).fit(y).predict(6, levels=(95,))
        fc["date"] = fc.index
        rows.append(fc.assign(**dict(zip(KEY, key, strict=True))))
    without = pd.concat(rows, ignore_index=True)

    def interval_score(fc):
        joined = fc.merge(test, on=[*KEY, "date"])
        lo, hi, y = (np.log(joined[c]) for c in ("lower_95", "upper_95", "price"))
        miss = np.maximum(lo - y, 0) + np.maximum(y - hi, 0)
        return float(np.mean(hi - lo + 2 / 0.05 * miss)), len(joined)

    (kin_score, n), (own_score, m) = interval_score(with_kin), interval_score(without)
    assert n == m > 300
    assert kin_score < own_score
