"""The Python API refuses what it would otherwise get wrong in silence or fail on deep inside.

Each case here was found by calling the library as a planner's notebook would: a horizon of
6.0, one model name as a string, an ``X`` on the wrong dates. Each now gets one error that
says what is wrong and how to fix it, or does what was meant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.backtest import Windows
from forecast.errors import SchemaError, UsageError
from forecast.evaluation import backtest_prices, leaderboard
from forecast.forecasting import ForecastSpec, forecast_prices
from forecast.metrics import score
from forecast.models import make_model
from forecast.scenarios import Scenario, compare_outlooks
from forecast.table import select_series, validate
from forecast.typical_year import seasonal_index


def _table(rows: dict[str, np.ndarray], start="2016-01-01") -> pd.DataFrame:
    frames = []
    for commodity, price in rows.items():
        frames.append(
            pd.DataFrame(
                {
                    "commodity": commodity,
                    "market": "An Giang",
                    "price_type": "Wholesale",
                    "unit": "kg",
                    "currency": "VND",
                    "date": pd.date_range(start, periods=len(price), freq="MS"),
                    "price": np.asarray(price, float),
                    "flags": "",
                }
            )
        )
    return validate(pd.concat(frames, ignore_index=True))


def _wavy(n: int, level: float = 8000.0, seed: int = 0) -> np.ndarray:
    months = np.arange(n)
    noise = np.random.default_rng(seed).normal(0, 0.03, n)
    return level * np.exp(0.1 * np.cos(2 * np.pi * months / 12) + noise)


@pytest.fixture
def prices() -> pd.DataFrame:
    return _table({"Rice": _wavy(48), "Coffee": _wavy(48, 60000.0, seed=1)})


@pytest.fixture
def y() -> pd.Series:
    index = pd.date_range("2016-01-01", periods=48, freq="MS")
    return pd.Series(_wavy(48), index=index)


# --- specs and scenarios ---------------------------------------------------------------


def test_a_horizon_of_six_point_zero_is_six_periods(prices):
    spec = ForecastSpec(model="naive", horizon=6.0)
    assert spec.horizon == 6 and isinstance(spec.horizon, int)
    run = forecast_prices(prices, spec, engine="local")
    # A float horizon failed in every model, and every series fell back with a note.
    assert (run.forecasts.groupby("commodity").size() == 6).all()
    assert set(run.forecasts["model"]) == {"naive"}


@pytest.mark.parametrize(
    "changes, said",
    [
        ({"harvest_delay": 1.5}, "harvest_delay 1.5 must be whole months"),
        ({"horizon": 0}, "horizon 0 must be a whole number"),
        ({"model": "prophets"}, "unknown model 'prophets'"),
    ],
)
def test_a_scenario_refuses_what_it_cannot_mean(prices, changes, said):
    with pytest.raises(UsageError, match=said):
        compare_outlooks(prices, {"what if": changes}, ForecastSpec(model="naive"), engine="local")
    with pytest.raises(UsageError, match=said):  # made directly, too
        Scenario(**changes)


def test_compare_outlooks_says_its_arguments_are_the_wrong_kind(prices):
    with pytest.raises(UsageError, match="scenarios must be a dict of name -> changes, got a list"):
        compare_outlooks(prices, ["baseline"])
    with pytest.raises(UsageError, match="spec must be a ForecastSpec, got a dict"):
        compare_outlooks(prices, {"baseline": {}}, {"model": "naive"})


# --- selecting and backtesting ---------------------------------------------------------


def test_one_pattern_as_a_string_is_that_pattern(prices):
    chosen = select_series(prices, "Coffee")
    assert set(chosen["commodity"]) == {"Coffee"}
    assert chosen.equals(select_series(prices, ["Coffee"]))


def test_backtest_takes_one_model_name_as_a_string_and_refuses_a_count_for_windows(prices):
    table, _ = backtest_prices(prices, "naive", Windows(horizon=3, n_windows=2), engine="local")
    assert set(table["model"]) == {"naive"}  # not models 'n', 'a', 'i', 'v', 'e'
    assert (table["error"] == "").all() and len(table) == 2 * 2 * 3  # 2 series, 2 windows
    with pytest.raises(UsageError, match="windows must be a Windows, not int 3"):
        backtest_prices(prices, "naive", 3, engine="local")


def test_score_and_leaderboard_scale_mase_on_the_same_real_prices(prices):
    # Estimates cleaning filled in (flag 'interpolated') are not prices anyone saw: the
    # leaderboard scaled MASE without them and score() with them, so one backtest had two.
    gappy = prices.copy()
    filled = (gappy["commodity"] == "Rice") & gappy["date"].dt.month.isin([3, 4, 5])
    gappy.loc[filled, "flags"] = "interpolated"
    gappy.loc[filled, "price"] *= 1.5
    table, _ = backtest_prices(gappy, "naive", Windows(horizon=3, n_windows=2), engine="local")
    board = leaderboard(table, gappy).set_index("model")
    scored = score(table, ("mase",), history=gappy, by=("commodity", "model"))
    assert board.loc["naive", "mase"] == pytest.approx(scored["mase"].mean())


def test_forecast_and_backtest_check_the_price_table(prices):
    negative = prices.copy()
    negative.loc[5, "price"] = -5.0
    spec = ForecastSpec(model="naive")
    with pytest.raises(SchemaError, match="'price' breaks the rule: must be finite and > 0"):
        forecast_prices(negative, spec, engine="local")
    with pytest.raises(SchemaError, match="'price' breaks the rule"):
        backtest_prices(negative, "naive", engine="local")
    with pytest.raises(SchemaError, match="'unit' breaks the rule: required column is missing"):
        forecast_prices(prices.drop(columns="unit"), spec, engine="local")
    twice = pd.concat([prices, prices.iloc[:1]], ignore_index=True)
    with pytest.raises(SchemaError, match="key plus date must be unique"):
        forecast_prices(twice, spec, engine="local")
    with pytest.raises(UsageError, match="spec must be a ForecastSpec"):
        forecast_prices(prices, {"model": "naive"}, engine="local")


# --- one model, fitted by hand ---------------------------------------------------------


@pytest.mark.parametrize(
    "mangle, error, said",
    [
        (lambda y: y.to_frame("price"), TypeError, r"one pandas Series .* df\['price'\]"),
        (lambda y: pd.concat([y, y.iloc[:1]]), ValueError, "more than one price dated 2016-01-01"),
        (lambda y: y.iloc[::-1], ValueError, "not in order"),
        (
            lambda y: y.set_axis(y.index + pd.Timedelta(days=14)),
            ValueError,
            "y has dates 2016-01-15, 2016-02-15",
        ),
        (lambda y: y.astype(str), TypeError, "prices must be numbers"),
        (lambda y: y.where(y.index != y.index[3], np.inf), ValueError, "must be finite"),
        (lambda y: y.where(y.index != y.index[3], 0.0), ValueError, "must be positive"),
        (
            lambda y: y.set_axis(pd.date_range("2020-01-01", periods=len(y), freq="D")),
            ValueError,
            "takes monthly .* or weekly .* and y has daily prices",
        ),
        (
            lambda y: y.set_axis(pd.date_range("2000-01-01", periods=len(y), freq="QS")),
            ValueError,
            "y has dates 2000-01-01, 2000-04-01",
        ),
    ],
)
@pytest.mark.parametrize("name", ["ets", "snaive"])
def test_fit_refuses_a_series_it_would_fit_wrongly(y, mangle, error, said, name):
    with pytest.raises(error, match=said):
        make_model(name).fit(mangle(y))


def test_prophet_still_takes_daily_prices(y):
    daily = y.set_axis(pd.date_range("2020-01-01", periods=len(y), freq="D"))
    forecast = make_model("prophet_default").fit(daily).predict(3, levels=(80,))
    assert len(forecast) == 3


def test_predict_takes_one_level_and_says_a_text_horizon_is_text(y):
    model = make_model("naive").fit(y)
    assert list(model.predict(3, levels=80).columns) == ["forecast", "lower_80", "upper_80"]
    with pytest.raises(UsageError, match="horizon '3' is not a number"):
        model.predict("3")
    with pytest.raises(UsageError, match="interval levels '80' are not numbers"):
        model.predict(3, levels="80")


@pytest.mark.parametrize("name", ["gbm", "prophet"])
def test_features_off_the_series_dates_are_refused_not_dropped(y, name):
    off = pd.DataFrame({"harvest": np.arange(len(y), dtype=float)})  # indexed 0..n-1
    with pytest.raises(ValueError, match=f"X has no row for {len(y)} of y's {len(y)} priced dates"):
        make_model(name).fit(y, off)
    on = off.set_axis(y.index)
    assert len(make_model(name).fit(y, on).predict(2)) == 2


def test_seasonal_index_refuses_a_price_of_zero_or_less(y):
    assert len(seasonal_index(y)) == 12
    with pytest.raises(ValueError, match="prices must be positive and finite"):
        seasonal_index(y.where(y.index != y.index[7], -3.0))


# --- after a re-review: what the checks must still take --------------------------------


def test_forecast_takes_a_table_read_back_or_with_gaps(prices, tmp_path):
    spec = ForecastSpec(model="naive", horizon=2)
    # A cleaned CSV read back: empty flags are NaN, dates text. Refused by the first checks.
    path = tmp_path / "clean.csv"
    prices.to_csv(path, index=False)
    read = pd.read_csv(path)
    assert read["flags"].isna().all()
    run = forecast_prices(read, spec, engine="local")
    assert len(run.forecasts) == 4 and set(run.forecasts["model"]) == {"naive"}
    # observed_prices leaves NaN where cleaning's estimates were: gaps, not bad prices.
    gappy = prices.copy()
    gappy.loc[gappy.index[[3, 4]], "price"] = np.nan
    run = forecast_prices(gappy, spec, engine="local")
    assert len(run.forecasts) == 4
    table, _ = backtest_prices(gappy, "naive", Windows(horizon=2, n_windows=1), engine="local")
    assert (table["error"] == "").all()


def test_fit_takes_features_on_the_priced_dates_and_numbers_held_as_objects(y):
    gappy = y.copy()
    gappy.iloc[[10, 11]] = np.nan
    X = pd.DataFrame({"harvest": np.arange(len(y), dtype=float)}, index=y.index)
    fitted = make_model("gbm").fit(gappy, X.loc[gappy.dropna().index])
    assert len(fitted.predict(2)) == 2
    assert len(make_model("naive").fit(y.astype(object)).predict(1)) == 1


@pytest.mark.parametrize(
    "index, grid",
    [
        (pd.date_range("2016-01-01", periods=48, freq="MS"), "MS"),
        (pd.date_range("2024-01-01", periods=48, freq="W-MON"), "W-MON"),
    ],
)
def test_fit_says_periods_are_missing_and_how_to_put_them_back(y, index, grid):
    holed = y.set_axis(index).drop(index[[4, 5]])
    with pytest.raises(ValueError, match=rf"y has 46 of the 48 periods .* y.asfreq\('{grid}'\)"):
        make_model("ets").fit(holed)
    assert len(make_model("ets").fit(holed.asfreq(grid)).predict(1)) == 1
