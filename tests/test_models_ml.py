"""Machine-learning model families (Prophet, gradient boosting): the shared battery plus the
behaviour each promises.

Real data: An Giang wholesale rice (WFP, VND/kg, actual rows, with its real 2019-2020 gap).
Synthetic data (fixed seeds) keep the suite meaningful where the shared data is absent.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
import pytest
from model_checks import check_estimator, check_forecast_frame

from forecast.calendar import TET_DATES
from forecast.errors import UsageError
from forecast.models import make_model
from forecast.models.gbm import GBM, conformal_quantiles, exog_frame, holdout_split
from forecast.models.prophet import (
    ProphetDefault,
    ProphetModel,
    tet_dates,
    weekly_holidays,
)

LEVELS = (50, 80, 95)


def monthly(values, start: str = "2005-01-01") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq="MS", name="date")
    return pd.Series(np.asarray(values, dtype=float), index=index, name="price")


def seasonal_series(n: int = 180, seed: int = 7) -> pd.Series:
    """Log price = level + a small random walk + a 20% harvest-season swing (period 12)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    season = 0.2 * np.sin(2 * np.pi * t / 12)
    return monthly(np.exp(np.log(6000) + np.cumsum(rng.normal(0, 0.01, n)) + season))


def seasonal_returns(n: int = 192, seed: int = 1) -> pd.Series:
    """Monthly log changes with a fixed seasonal mean (+-4 %) and 1 % noise."""
    rng = np.random.default_rng(seed)
    months = pd.date_range("2005-01-01", periods=n, freq="MS").month.to_numpy()
    changes = 0.04 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 0.01, n)
    return monthly(1000 * np.exp(np.cumsum(changes)))


def log_mae(forecast: pd.Series, actual: pd.Series) -> float:
    return float(np.mean(np.abs(np.log(forecast.to_numpy() / actual.to_numpy()))))


# --- the shared battery ------------------------------------------------------------------

FACTORIES = {"prophet": ProphetModel, "prophet_default": ProphetDefault, "gbm": GBM}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FACTORIES))
def test_battery_synthetic(name):
    # Ten years: enough windows for every GBM step, and the suite stays quick.
    check_estimator(FACTORIES[name], seasonal_series(120))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FACTORIES))
def test_battery_real_series(name, an_giang):
    assert an_giang.isna().sum() >= 20  # the real gap is there
    check_estimator(FACTORIES[name], an_giang)


@pytest.mark.parametrize(("name", "cls"), [("prophet", ProphetModel), ("gbm", GBM)])
def test_registry_names(name, cls):
    model = make_model(name)
    assert type(model) is cls and model.name == name
    assert model.supports_exog and model.supports_intervals


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: ProphetModel(seasonality="yes"), "seasonality"),
        (lambda: ProphetModel(n_samples=0), "n_samples"),
        (lambda: ProphetModel(seasonality=-1), "seasonality"),
        (lambda: GBM(lags=0), "lags"),
        (lambda: GBM(learning_rate=0), "learning_rate"),
    ],
)
def test_bad_params_raise_in_fit(factory, message):
    model = factory()  # __init__ only stores
    with pytest.raises(UsageError, match=message):
        model.fit(seasonal_series(60))


# --- exogenous features --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("factory", [ProphetModel, GBM])
def test_regressor_that_explains_prices_improves_forecast(factory):
    # y = base * exp(0.2 * X): with X_future known, the price is predictable; without, not.
    rng = np.random.default_rng(3)
    index = pd.date_range("2005-01-01", periods=192, freq="MS")
    X = pd.DataFrame({"driver": rng.normal(0, 1, len(index))}, index=index)
    y = pd.Series(5000 * np.exp(0.2 * X["driver"].to_numpy()), index=index)
    history, actual = y.iloc[:-12], y.iloc[-12:]
    with_x = factory().fit(history, X.iloc[:-12]).predict(6, X.iloc[-12:], levels=LEVELS)
    without = factory().fit(history).predict(6, levels=LEVELS)
    check_forecast_frame(with_x, history, 6, LEVELS)
    actual = actual.iloc[:6]
    assert log_mae(with_x["forecast"], actual) < 0.6 * log_mae(without["forecast"], actual)


def test_exog_constant_and_missing_future_values():
    # A constant column is skipped; a missing X_future repeats last year's calendar values.
    y = seasonal_series(60)
    X = pd.DataFrame(
        {"harvest_intensity": (y.index.month.isin([3, 4])).astype(float), "constant": 1.0},
        index=y.index,
    )
    model = GBM(min_length=36).fit(y, X)
    assert model.exog_columns_ == ["harvest_intensity"]
    future = pd.date_range(y.index[-1], periods=13, freq="MS")[1:]
    filled = exog_frame(model.X_, None, future, "MS", 12)
    assert filled["harvest_intensity"].tolist() == future.month.isin([3, 4]).astype(float).tolist()
    check_forecast_frame(model.predict(12), y, 12)


def test_prophet_regressor_with_gaps_and_no_future_values():
    # Prophet refuses NaN regressors: gaps in X are filled, and a missing X_future repeats
    # the calendar of a year earlier.
    y = seasonal_series(72)
    X = pd.DataFrame({"harvest_intensity": y.index.month.isin([3, 4]).astype(float)}, y.index)
    X.iloc[30:33] = np.nan
    model = ProphetModel().fit(y, X)
    assert model.regressors_ == ["harvest_intensity"]
    check_forecast_frame(model.predict(12, levels=LEVELS), y, 12, LEVELS)


def test_non_numeric_exog_is_refused():
    y = seasonal_series(60)
    X = pd.DataFrame({"season": "wet"}, index=y.index)
    with pytest.raises(TypeError, match="season"):
        GBM().fit(y, X)


# --- Prophet ---------------------------------------------------------------------------------


def test_prophet_builds_a_new_model_on_every_fit():
    y = seasonal_series(48)
    model = ProphetModel().fit(y)
    first = model.model_
    model.fit(y)
    assert model.model_ is not first
    assert ProphetModel().fit(y).model_ is not model.model_


def test_prophet_prints_nothing_and_restores_logging(capfd, caplog):
    caplog.set_level(logging.INFO)
    before = {name: logging.getLogger(name).level for name in ("cmdstanpy", "prophet")}
    ProphetModel().fit(seasonal_series(48)).predict(6)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert not [r for r in caplog.records if r.name.startswith(("cmdstanpy", "prophet"))]
    assert {name: logging.getLogger(name).level for name in before} == before


def test_prophet_forecasts_do_not_depend_on_the_unit_or_the_horizon():
    """Review: the same prices in đồng and in thousand đồng (x1e-3), or x1e7, were forecast
    0.6-2 % apart (upper_95 5.7 %): Prophet scaled the raw log prices by their largest
    value. And a 1-month forecast's month differed from a 12-month forecast's first."""
    y = seasonal_series(60)
    levels = (80, 95)
    base = ProphetModel().fit(y).predict(12, levels=levels)
    for factor in (1e-3, 1e7):
        scaled = ProphetModel().fit(y * factor).predict(12, levels=levels) / factor
        np.testing.assert_allclose(scaled.to_numpy(), base.to_numpy(), rtol=1e-6)
    model = ProphetModel().fit(y)
    for h in (1, 3):
        pd.testing.assert_frame_equal(model.predict(h, levels=levels), base.iloc[:h])


def test_prophet_intervals_nested_and_seasonal(an_giang):
    forecast = ProphetModel().fit(an_giang).predict(12, levels=LEVELS)
    check_forecast_frame(forecast, an_giang, 12, LEVELS)
    # Sampled quantiles: every level widens somewhere, and the 95% band is not degenerate.
    width = np.log(forecast["upper_95"] / forecast["lower_95"])
    assert (width > 0.02).all()
    assert forecast["forecast"].between(0.5 * an_giang.min(), 2 * an_giang.max()).all()


def test_prophet_monthly_uses_order_five_yearly_seasonality_only():
    model = ProphetModel().fit(seasonal_series(60)).model_
    assert set(model.seasonalities) == {"yearly"}
    assert model.seasonalities["yearly"]["fourier_order"] == 5
    assert model.holidays is None and model.country_holidays is None


def test_prophet_short_series_has_no_yearly_seasonality():
    model = ProphetModel().fit(seasonal_series(24)).model_  # 23 months apart: under 2 years
    assert "yearly" not in model.seasonalities


def test_prophet_under_two_years_of_prices_gets_naive_with_a_note():
    """18 prices gave Prophet's trend 95 % ranges 250 times wide; such a series gets naive."""
    from forecast.forecasting import ForecastSpec, forecast_series

    y = seasonal_series(18)
    with pytest.raises(ValueError, match="prophet needs at least 24 prices, got 18"):
        ProphetModel().fit(y)
    key = ("Rice", "Bạc Liêu", "Wholesale", "kg", "VND")
    result = forecast_series((key, y), ForecastSpec("prophet", 12, use_calendar=False))
    assert result.model == "naive" and "prophet needs at least 24 prices" in result.note
    upper = result.forecast["upper_95"] / result.forecast["lower_95"]
    assert (upper < 10).all()


def weekly_with_tet_demand(weeks: int = 260, seed: int = 5) -> tuple[pd.Series, pd.DatetimeIndex]:
    """Weekly (Monday) prices 15 % higher in the two weeks before Tết."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2016-01-04", periods=weeks, freq="W-MON", name="date")
    tet = pd.to_datetime(list(TET_DATES))
    tet_week = tet - pd.to_timedelta(tet.day_of_week, unit="D")
    before_tet = tet_week - pd.Timedelta(weeks=1)
    before_tet = before_tet.union(tet_week - pd.Timedelta(weeks=2))
    bump = np.where(index.isin(before_tet), 0.15, 0.0)
    return pd.Series(np.exp(9 + bump + rng.normal(0, 0.01, weeks)), index=index), before_tet


def test_prophet_weekly_learns_the_tet_weeks():
    y, before_tet = weekly_with_tet_demand()
    model = ProphetModel().fit(y)
    assert "Tết" in model.model_.train_holiday_names.tolist()
    forecast = model.predict(52, levels=LEVELS)
    check_forecast_frame(forecast, y, 52, LEVELS)
    pre_tet = forecast.loc[forecast.index.isin(before_tet), "forecast"]
    assert len(pre_tet) == 2
    assert (pre_tet > 1.1 * forecast["forecast"].median()).all()


def test_weekly_holidays_snap_to_the_week_holding_them():
    index = pd.date_range("2023-01-02", periods=104, freq="W-MON")
    table = weekly_holidays("VN", index, range(2023, 2026))
    tet = table.loc[table["holiday"] == "Tết", "ds"]
    # Tết 2024 fell on Saturday 10 February: its week starts Monday 5 February.
    assert pd.Timestamp("2024-02-05") in set(tet)
    assert pd.Timestamp("2024-01-29") in set(table.loc[table["holiday"] == "Tết -1 week", "ds"])
    assert table["ds"].dt.day_of_week.eq(0).all()
    assert not table["holiday"].str.contains("observed|Day off").any()


def test_tet_table_matches_holidays_package_and_backs_it_up(monkeypatch):
    years = range(2000, 2041)
    assert [d.strftime("%Y-%m-%d") for d in tet_dates(years)] == list(TET_DATES)

    import prophet.make_holidays

    def unavailable(*args, **kwargs):
        raise AttributeError("Holidays in VN are not currently supported!")

    monkeypatch.setattr(prophet.make_holidays, "make_holidays_df", unavailable)
    assert list(tet_dates(range(2024, 2026)).strftime("%Y-%m-%d")) == ["2024-02-10", "2025-01-29"]


def test_prophet_daily_data_adds_country_holidays():
    rng = np.random.default_rng(2)
    index = pd.date_range("2021-01-01", periods=3 * 365, freq="D")
    y = pd.Series(np.exp(8 + rng.normal(0, 0.02, len(index))), index=index)
    model = ProphetModel(seasonality=3).fit(y)
    assert model.model_.country_holidays == "VN"
    assert "weekly" in model.model_.seasonalities
    check_forecast_frame(model.predict(14), y, 14)


def test_prophet_daily_falls_back_to_tet_table(monkeypatch):
    import prophet.forecaster

    def unavailable(country):
        raise AttributeError(f"Holidays in {country} are not currently supported!")

    monkeypatch.setattr(prophet.forecaster, "get_holiday_names", unavailable)
    index = pd.date_range("2022-01-01", periods=2 * 365, freq="D")
    y = pd.Series(np.exp(8 + np.random.default_rng(4).normal(0, 0.02, len(index))), index=index)
    model = ProphetModel(seasonality=3).fit(y)
    assert "Tết" in model.model_.train_holiday_names.tolist()
    with pytest.raises(UsageError, match="XX"):
        ProphetModel(holidays_country="XX").fit(y)


def test_prophet_default_is_plain_prophet_on_raw_prices():
    y = seasonal_series(60)
    model = ProphetDefault().fit(y)
    assert model.model_.history["y"].max() == pytest.approx(y.max())  # raw, not logs
    assert model.model_.interval_width == 0.8
    assert not model.supports_exog


# --- GBM -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_gbm_learns_seasonal_returns_better_than_naive():
    y = seasonal_returns()
    history, actual = y.iloc[:-12], y.iloc[-12:]
    forecast = GBM().fit(history).predict(12, levels=LEVELS)
    check_forecast_frame(forecast, history, 12, LEVELS)
    naive = pd.Series(history.iloc[-1], index=actual.index)
    assert log_mae(forecast["forecast"], actual) < 0.5 * log_mae(naive, actual)


def test_gbm_falls_back_to_naive_on_a_short_series():
    y = seasonal_series(30)
    model = GBM(lags=24, min_length=24).fit(y)
    assert model.fallback_ == "naive"
    forecast = model.predict(6, levels=LEVELS)
    check_forecast_frame(forecast, y, 6, LEVELS)
    np.testing.assert_allclose(forecast["forecast"], y.iloc[-1])
    assert (forecast["upper_80"] - forecast["lower_80"]).is_monotonic_increasing
    assert GBM().fit(seasonal_series(120)).fallback_ is None


def test_gbm_intervals_nested_and_widen_with_horizon(an_giang):
    model = GBM().fit(an_giang)
    forecast = model.predict(12, levels=LEVELS)
    check_forecast_frame(forecast, an_giang, 12, LEVELS)
    for level in LEVELS:
        width = np.log(forecast[f"upper_{level}"] / forecast[f"lower_{level}"])
        assert (np.diff(width) >= -1e-12).all()  # equal steps may differ in the last bit
    # The trust weights stay in [0, 1]: the trees only move the forecast away from naive.
    assert all(0 <= weight <= 1 for _, weight, _ in model.horizon_models_.values())


@pytest.mark.slow
def test_gbm_trailing_gap_forecasts_from_last_price():
    y = seasonal_series(120)
    gappy = pd.concat([y, monthly([np.nan, np.nan], start="2015-01-01")])
    gappy.index.freq = "MS"
    shifted = GBM().fit(gappy).predict(4)
    direct = GBM().fit(y).predict(6).iloc[2:]
    check_forecast_frame(shifted, gappy, 4)
    np.testing.assert_allclose(shifted.to_numpy(), direct.to_numpy(), rtol=1e-9)


def test_gbm_steps_too_long_for_the_history_are_naive():
    y = seasonal_series(48)
    model = GBM().fit(y)
    forecast = model.predict(24)
    # 48 months, 12 lags: a 24-step target leaves 12 windows, too few to train and hold out.
    assert model.horizon_models_[24][0] is None
    assert forecast["forecast"].iloc[-1] == pytest.approx(y.iloc[-1])
    check_forecast_frame(forecast, y, 24)


def test_gbm_fit_predict_is_fast_on_twenty_years():
    y = seasonal_returns(240)
    GBM().fit(y.iloc[:60]).predict(2)  # import scikit-learn outside the clock
    start = time.process_time()
    GBM().fit(y).predict(12)
    # About 1 s of CPU on a laptop; the bound only catches a lost early stop or thread limit.
    assert time.process_time() - start < 8


def test_conformal_quantiles_rank_rule_and_gaussian_tail():
    errors = np.arange(1.0, 20.0)  # 19 errors: 1, 2, ..., 19
    widths = conformal_quantiles(errors, (50, 80, 95, 99))
    # ceil(20 * 0.5) = 10th, ceil(20 * 0.8) = 16th, ceil(20 * 0.95) = 19th smallest error.
    assert widths[:3].tolist() == [10.0, 16.0, 19.0]
    assert widths[3] >= 19.0  # beyond what 19 errors can support: Gaussian, never below max
    assert np.all(np.diff(widths) >= 0)
    unsorted = conformal_quantiles(errors, (95, 50))
    assert unsorted.tolist() == [19.0, 10.0]


@pytest.mark.parametrize(("n_windows", "k"), [(20, 1), (150, 1), (150, 12), (400, 6)])
def test_holdout_split_keeps_training_targets_before_the_holdout(n_windows, k):
    origins = np.arange(12, 12 + n_windows)
    train, cal = holdout_split(origins, k)
    assert not (train & cal).any()
    assert cal.sum() == min(max(8, round(0.25 * n_windows)), 60)
    assert cal[-cal.sum() :].all()  # the holdout is the most recent windows
    # No training target reaches past the first holdout origin.
    assert (origins[train] + k).max() <= origins[cal].min()
    assert train.sum() == n_windows - cal.sum() - (k - 1)


def test_worker_pools_import_prophet_without_a_word_on_stderr():
    """Workers import a model's libraries before its first fit (``model_imports``); for
    Prophet that printed "Importing plotly failed" through ``--quiet``. A fresh interpreter,
    as a worker is."""
    import subprocess
    import sys

    from forecast.models import model_imports

    def stderr_of(modules):
        code = f"import importlib\nfor m in {list(modules)!r}: importlib.import_module(m)\n"
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    assert stderr_of(model_imports("prophet")) == ""
    assert stderr_of(model_imports("prophet_default")) == ""
    import importlib.util

    if importlib.util.find_spec("plotly") is None:  # the line workers used to print
        assert "plotly" in stderr_of(["prophet"])
