"""Metric values computed by hand on tiny arrays, properties, and ``score`` on small tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import forecast.metrics as metrics_module
from forecast.errors import UsageError
from forecast.metrics import (
    DEFAULT_METRICS,
    INTERVAL_METRICS,
    METRICS,
    coverage,
    interval_levels,
    mae,
    mape,
    mase,
    mase_scale,
    metric,
    relative_mae_geomean,
    rmse,
    score,
    smape,
    winkler,
)
from forecast.table import KEY

NAN = float("nan")


# --- hand-computed values ----------------------------------------------------------------------


def test_registry_holds_every_metric():
    assert set(DEFAULT_METRICS) <= set(METRICS)
    assert sorted(INTERVAL_METRICS) == ["coverage", "winkler"]


def test_point_metrics_by_hand():
    a, f = [100, 200], [110, 180]
    assert mae(a, f) == 15
    assert rmse(a, f) == pytest.approx(math.sqrt((10**2 + 20**2) / 2))
    assert mape(a, f) == pytest.approx(10)  # 10 % and 10 %
    assert smape([100], [110]) == pytest.approx(200 * 10 / 210)
    assert smape([0], [0]) == 0
    assert smape([1], [0]) == 200  # the top of the M4 scale


def test_nan_actuals_and_forecasts_are_ignored():
    assert mae([1, NAN, 3], [2, 100, NAN]) == 1
    assert rmse([NAN, 4], [0, 2]) == 2
    assert math.isnan(mae([NAN], [1]))
    assert math.isnan(mae([], []))
    assert coverage([NAN, 5], None, lower=[0, 0], upper=[1, 1]) == 0


def test_mase_scale_is_seasonal_when_history_allows():
    y = 10 + np.arange(24.0)  # lag-1 differences 1, lag-12 differences 12
    assert mase_scale(y, m=12) == 12
    assert mase(actual=[30], forecast=[36], y_train=y, m=12) == pytest.approx(6 / 12)


def test_mase_falls_back_to_lag_1_on_short_history():
    y = 10 + np.arange(12.0)  # 12 < m + 1 points: no seasonal pair
    assert mase_scale(y, m=12) == 1
    assert mase([30], [36], y_train=y, m=12) == 6
    # Fewer than 12 seasonal pairs (13 months: one) is a few differences: lag 1.
    for n in (13, 23):
        assert mase_scale(10 + np.arange(float(n)), m=12) == 1
    assert mase_scale(10 + np.arange(24.0), m=12) == 12
    # Pairs are counted where both prices exist: 24 slots with gaps hold one pair.
    gappy = np.full(24, np.nan)
    gappy[[0, 12, 13, 15, 20]] = [10.0, 50.0, 51.0, 52.0, 53.0]
    assert mase_scale(gappy, m=12) == pytest.approx(1.0)  # lag 1: 51 - 50, the one pair
    # A weekly series of 90 weeks has 38 seasonal pairs: seasonal, as before.
    assert mase_scale(10 + np.arange(90.0), m=52) == 52


def test_mase_falls_back_to_lag_1_when_seasonal_scale_is_zero():
    y = np.tile(np.arange(1.0, 13.0), 2)  # a pure seasonal pattern: every lag-12 difference 0
    # Lag 1: eleven steps of 1, one drop of 11, eleven steps of 1, over 23 pairs.
    assert mase_scale(y, m=12) == pytest.approx(33 / 23)


def test_mase_scale_skips_gaps_and_flat_history_gives_nan():
    y = np.array([1.0, 2.0, NAN, 4.0, 6.0])
    assert mase_scale(y, m=1) == pytest.approx((1 + 2) / 2)
    assert mase_scale(np.full(30, 5.0), m=12) == 0
    assert math.isnan(mase([5], [6], y_train=np.full(30, 5.0)))
    with pytest.raises(UsageError):
        mase([1], [1])


def test_coverage_by_hand():
    assert coverage([1, 5, 10], None, lower=[0, 0, 0], upper=[4, 6, 8]) == pytest.approx(2 / 3)
    assert coverage([4], None, lower=[4], upper=[4]) == 1  # the bounds count as inside


def test_winkler_penalises_a_miss():
    # 80 %: alpha 0.2, penalty 2 / 0.2 = 10 per unit outside.
    assert winkler([5], None, lower=[0], upper=[8], level=80) == 8  # inside: the width
    assert winkler([10], None, lower=[0], upper=[8], level=80) == pytest.approx(8 + 10 * 2)
    assert winkler([-1], None, lower=[0], upper=[8], level=80) == pytest.approx(8 + 10 * 1)
    assert winkler([10, NAN], None, lower=[0, 0], upper=[8, 8], level=95) == pytest.approx(
        8 + 2 / 0.05 * 2
    )
    with pytest.raises(UsageError):
        winkler([1], None, lower=[0], upper=[2])


def test_metric_decorator_registers_and_score_uses_it(monkeypatch, table):
    # A copy, so the test leaves the real registry as it found it.
    registry = dict(METRICS)
    monkeypatch.setattr(metrics_module, "METRICS", registry)

    @metric("bias")
    def bias(actual, forecast, *, lower=None, upper=None, level=None, y_train=None, m=12):
        return float(np.nanmean(np.asarray(forecast) - np.asarray(actual)))

    assert registry["bias"] is bias
    s = score(table, metrics=("bias",)).set_index("model")
    assert s.loc["good", "bias"] == pytest.approx(12 / 6)


# --- properties ------------------------------------------------------------------------------

prices = st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False)
pairs = st.lists(st.tuples(prices, prices), min_size=1, max_size=30)


@given(pairs)
def test_point_metric_properties(data):
    a, f = np.array(data).T
    assert 0 <= smape(a, f) <= 200 + 1e-9
    assert mae(a, f) >= 0
    assert mae(a, f) <= rmse(a, f) * (1 + 1e-9) + 1e-9
    assert mape(a, f) >= 0


@given(pairs, st.floats(min_value=1, max_value=99))
def test_interval_metric_properties(data, level):
    a, f = np.array(data).T
    lo, hi = np.minimum(a, f), np.maximum(a, f) * 1.01
    lo_hi = (f * 0.9, f * 1.1)
    assert 0 <= coverage(a, f, lower=lo_hi[0], upper=lo_hi[1]) <= 1
    # The score is never below the mean width, and equals it when every actual is inside.
    width = np.mean(lo_hi[1] - lo_hi[0])
    assert winkler(a, f, lower=lo_hi[0], upper=lo_hi[1], level=level) >= width * (1 - 1e-9)
    assert winkler(a, f, lower=lo, upper=hi, level=level) == pytest.approx(np.mean(hi - lo))


# --- score -----------------------------------------------------------------------------------

RICE = ("Rice", "An Giang", "Wholesale", "kg", "VND")
PEPPER = ("Pepper", "Đắk Lắk", "Farmgate", "kg", "VND")


def history_series(values, start="2020-01-01", freq="MS") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq=freq, name="date")
    return pd.Series(np.asarray(values, dtype=float), index=index, name="price")


def window(key, model, y, cutoff_pos, forecasts, level_pad=1.0, error=""):
    """A hand-made backtest window: forecasts for the periods after y.index[cutoff_pos]."""
    h = len(forecasts)
    dates = y.index[cutoff_pos + 1 : cutoff_pos + 1 + h]
    f = np.asarray(forecasts, dtype=float)
    frame = pd.DataFrame(
        {
            "cutoff": y.index[cutoff_pos],
            "date": dates,
            "step": range(1, h + 1),
            "actual": y.iloc[cutoff_pos + 1 : cutoff_pos + 1 + h].to_numpy(),
            "forecast": f,
            "lower_80": f - level_pad,
            "upper_80": f + level_pad,
            "lower_95": f - 2 * level_pad,
            "upper_95": f + 2 * level_pad,
            "error": error,
        }
    )
    frame.insert(0, "model", model)
    for i, (column, value) in enumerate(zip(KEY, key, strict=True)):
        frame.insert(i, column, value)
    return frame


@pytest.fixture
def two_series():
    rice = history_series(10 + np.arange(36.0))  # lag 12 differences are 12
    pepper = history_series(np.tile([100.0, 120.0], 18))  # lag 12 differences are 0: lag 1, 20
    return {RICE: rice, PEPPER: pepper}


@pytest.fixture
def table(two_series):
    rice, pepper = two_series[RICE], two_series[PEPPER]
    return pd.concat(
        [
            # rice actuals at positions 24, 25 are 34, 35; at 30, 31 are 40, 41
            window(RICE, "good", rice, 23, [34, 37]),  # errors 0, 2
            window(RICE, "good", rice, 29, [40, 41]),  # errors 0, 0
            window(RICE, "bad", rice, 23, [44, 45]),  # errors 10, 10
            window(RICE, "bad", rice, 29, [50, 41]),  # errors 10, 0
            # pepper actuals at 24, 25 are 100, 120
            window(PEPPER, "good", pepper, 23, [100, 130]),  # errors 0, 10
            window(PEPPER, "bad", pepper, 23, [80, 120]),  # errors 20, 0
        ],
        ignore_index=True,
    )


def test_interval_levels_found_in_numeric_order():
    frame = pd.DataFrame(columns=["lower_95", "upper_95", "lower_80", "upper_80", "lower_50"])
    assert interval_levels(frame) == ["80", "95"]


def test_score_by_model(table, two_series):
    s = score(table, history=two_series).set_index("model")
    assert list(s.columns) == [
        "n",
        "failed",
        "mase",
        "smape",
        "mae",
        "rmse",
        "mape",
        "coverage_80",
        "coverage_95",
        "winkler_80",
        "winkler_95",
    ]
    assert s.loc["good", "n"] == 6 and s.loc["good", "failed"] == 0
    assert s.loc["good", "mae"] == pytest.approx((0 + 2 + 0 + 0 + 0 + 10) / 6)
    # Scaled errors: rice / 12, pepper / 20 (its lag-12 scale is 0, lag-1 is 20).
    assert s.loc["good", "mase"] == pytest.approx((2 / 12 + 10 / 20) / 6)
    assert s.loc["bad", "mase"] == pytest.approx((30 / 12 + 20 / 20) / 6)
    # Intervals: +-1 at 80 %, +-2 at 95 %; only the exact forecasts are inside.
    assert s.loc["good", "coverage_80"] == pytest.approx(4 / 6)
    assert s.loc["bad", "coverage_95"] == pytest.approx(2 / 6)


def test_score_by_series_and_mase_matches_registered_function(table, two_series):
    s = score(table, metrics=("mase", "mae"), history=two_series, by=(*KEY, "model"))
    assert len(s) == 4
    rice = two_series[RICE]
    got = s.set_index(["commodity", "model"]).loc[("Rice", "bad"), "mase"]
    # The registered mase per window, averaged with weights n (2 points each).
    windows = [(23, [44, 45]), (29, [50, 41])]
    expected = np.mean(
        [mase(rice.iloc[p + 1 : p + 3], f, y_train=rice.iloc[: p + 1], m=12) for p, f in windows]
    )
    assert got == pytest.approx(expected)


def test_score_overall_and_single_metrics(table, two_series):
    s = score(table, metrics=("mae", "coverage_95"), history=None, by=())
    assert list(s.columns) == ["n", "failed", "mae", "coverage_95"]
    assert s.loc[0, "n"] == 12


def test_score_counts_failures_and_skips_them(table, two_series):
    failure = table.iloc[[0]].copy()
    failure[["actual", "forecast", "lower_80", "upper_80", "lower_95", "upper_95"]] = NAN
    failure["date"] = pd.NaT
    failure["error"] = "RuntimeError: boom"
    s = score(pd.concat([table, failure], ignore_index=True), metrics=("mae",), by=("model",))
    assert s.set_index("model").loc["good", "failed"] == 1
    assert s.set_index("model").loc["good", "n"] == 6


def test_score_with_one_series_history(two_series):
    rice = two_series[RICE]
    bt = window(RICE, "good", rice, 23, [34, 37]).drop(columns=[*KEY, "model"])
    s = score(bt, metrics=("mase",), history=rice, by=())
    assert s.loc[0, "mase"] == pytest.approx(2 / 12 / 2)


def test_weekly_mase_uses_52(two_series):
    weekly = history_series(np.arange(1.0, 121.0), start="2024-01-01", freq="W-MON")
    bt = window(RICE, "m", weekly, 110, [112 + 52, 113]).drop(columns=[*KEY, "model"])  # 2 years
    s = score(bt, metrics=("mase",), history=weekly, by=())
    assert s.loc[0, "mase"] == pytest.approx((52 / 52 + 0) / 2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"metrics": ("mase",)}, "history"),
        ({"metrics": ("nope",)}, "unknown metric"),
        ({"metrics": ("coverage_50",)}, "no level 50"),
        ({"metrics": ("mae",), "by": ("season",)}, "season"),
    ],
)
def test_score_usage_errors(table, kwargs, match):
    with pytest.raises(UsageError, match=match):
        score(table, **kwargs)


def test_score_needs_history_for_every_series(table, two_series):
    with pytest.raises(UsageError, match="no history"):
        score(table, metrics=("mase",), history={RICE: two_series[RICE]})


def test_score_accepts_a_price_table_as_history(table, two_series):
    frames = []
    for key, y in two_series.items():
        frame = y.rename("price").reset_index()
        for column, value in zip(KEY, key, strict=True):
            frame[column] = value
        frame["flags"] = ""
        frames.append(frame)
    from_table = score(table, metrics=("mase",), history=pd.concat(frames, ignore_index=True))
    from_dict = score(table, metrics=("mase",), history=two_series)
    pd.testing.assert_frame_equal(from_table, from_dict)


# --- relative MAE ------------------------------------------------------------------------------


def test_relative_mae_geomean_by_hand():
    scores = pd.DataFrame(
        [
            (*RICE, "naive", 2.0),
            (*RICE, "ets", 1.0),
            (*RICE, "oracle", 0.0),
            (*PEPPER, "naive", 4.0),
            (*PEPPER, "ets", 8.0),
            (*PEPPER, "oracle", 0.0),
        ],
        columns=[*KEY, "model", "mae"],
    )
    rel = relative_mae_geomean(scores, baseline="naive")
    assert rel.name == "relative_mae"
    assert rel["naive"] == 1
    assert rel["ets"] == pytest.approx(1.0)  # 0.5 and 2 cancel in a geometric mean
    assert rel["oracle"] == 0


def test_relative_mae_skips_series_without_a_usable_baseline():
    scores = pd.DataFrame(
        [
            (*RICE, "naive", 0.0),
            (*RICE, "ets", 1.0),
            (*PEPPER, "naive", 4.0),
            (*PEPPER, "ets", 2.0),
        ],
        columns=[*KEY, "model", "mae"],
    )
    assert relative_mae_geomean(scores)["ets"] == pytest.approx(0.5)
    # A baseline's error of float noise (a flat price forecast through logs) is no error:
    # the series is skipped, not a ratio of 1e13 that outweighs every other series.
    noisy = scores.assign(mae=scores["mae"].where(scores["mae"] > 0, 7e-15))
    assert relative_mae_geomean(noisy)["ets"] == pytest.approx(0.5)


def test_relative_mae_usage_errors():
    scores = pd.DataFrame([(*RICE, "ets", 1.0)], columns=[*KEY, "model", "mae"])
    with pytest.raises(UsageError, match="baseline"):
        relative_mae_geomean(scores)
    with pytest.raises(UsageError):
        relative_mae_geomean(scores.drop(columns=list(KEY)))
    with pytest.raises(UsageError, match="more than one"):
        relative_mae_geomean(pd.concat([scores, scores]), baseline="ets")


def test_a_price_on_a_bound_but_for_float_noise_is_inside():
    # A zero-width range around a price that repeats each year: exp(log(50)) is
    # 49.99999999999999, and the price, exactly on it, counted as outside (0 % coverage on
    # a table that, written rounded, held every price).
    actual = np.array([50.0, 50.0, 51.0])
    bound = np.exp(np.log(actual)) * (1 - 1e-15)
    assert coverage(actual, actual, lower=bound, upper=bound) == pytest.approx(1.0)
    # A real miss is still one.
    assert coverage(actual, actual, lower=bound * 1.001, upper=bound * 1.002) == 0.0
