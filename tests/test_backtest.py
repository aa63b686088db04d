"""Backtest windows and the long table, checked with test models that know the answer.

The models here are defined in this file (an oracle that returns the true future, a constant,
one that fails on purpose), so these tests do not depend on the real model families.
"""

from __future__ import annotations

import pickle
from functools import partial

import numpy as np
import pandas as pd
import pytest

from forecast.backtest import (
    Windows,
    backtest,
    backtest_job,
    backtest_series,
    cutoffs,
    longest_horizon,
    resolve_models,
)
from forecast.errors import SchemaError, UsageError
from forecast.metrics import score
from forecast.models.base import Forecaster, future_index
from forecast.table import KEY, iter_series

LEVELS = (80, 95)


# --- test models --------------------------------------------------------------------------


class Oracle(Forecaster):
    """Forecasts the true future: given every full series, it finds the one it is fit on."""

    name = "oracle"

    def __init__(self, truths=()):
        self.truths = truths

    def _fit(self, y, X):
        matches = [t for t in self.truths if t.reindex(y.index).equals(y)]
        self.truth_ = matches[0]

    def _predict(self, h, X_future, levels):
        f = self.truth_.reindex(future_index(self.y_, h)).to_numpy()
        out = pd.DataFrame({"forecast": f})
        for level in levels:
            out[f"lower_{level}"] = f * 0.9
            out[f"upper_{level}"] = f * 1.1
        return out


class Constant(Forecaster):
    name = "constant"

    def __init__(self, value=100.0):
        self.value = value

    def _fit(self, y, X):
        pass

    def _predict(self, h, X_future, levels):
        out = pd.DataFrame({"forecast": np.full(h, self.value)})
        for level in levels:
            out[f"lower_{level}"] = self.value - level / 10
            out[f"upper_{level}"] = self.value + level / 10
        return out


class Picky(Constant):
    """Fails on expensive series, as a real model fails on a hard one."""

    name = "picky"

    def _fit(self, y, X):
        if y.mean() > 500:
            raise RuntimeError("cannot fit prices this high")


class Echo(Forecaster):
    """Forecasts the exogenous column ``x``; checks X arrives aligned with y."""

    name = "echo"
    supports_exog = True
    supports_intervals = False

    def __init__(self):
        pass

    def _fit(self, y, X):
        assert X.index.equals(y.index)

    def _predict(self, h, X_future, levels):
        assert len(X_future) == h
        return pd.DataFrame({"forecast": X_future["x"].to_numpy()})


class ShortPrediction(Constant):
    """A buggy model whose predict drops the last period."""

    def predict(self, h, X_future=None, levels=(80, 95)):
        return super().predict(h, X_future, levels).iloc[:-1]


# --- data -----------------------------------------------------------------------------


def monthly(n: int, start: str = "2020-01-01", level: float = 100.0, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = level * np.exp(0.1 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.03, n))
    index = pd.date_range(start, periods=n, freq="MS", name="date")
    return pd.Series(values, index=index, name="price")


def weekly(n: int, start: str = "2024-01-01") -> pd.Series:
    y = monthly(n, level=50.0, seed=3)
    y.index = pd.date_range(start, periods=n, freq="W-MON", name="date")
    return y


def price_table(series: dict[tuple, pd.Series]) -> pd.DataFrame:
    frames = []
    for key, y in series.items():
        frame = y.dropna().rename("price").reset_index()
        for column, value in zip(KEY, key, strict=True):
            frame[column] = value
        frame["flags"] = ""
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def periods_ahead(y: pd.Series, bt: pd.DataFrame) -> np.ndarray:
    """date - cutoff in periods of y's grid."""
    return y.index.get_indexer(bt["date"]) - y.index.get_indexer(bt["cutoff"])


def oracle_factory(*series):
    return lambda: Oracle(truths=series)


# --- Windows and cutoffs -------------------------------------------------------------------


def test_step_defaults_to_horizon():
    assert Windows(horizon=6).step == 6
    assert Windows(horizon=6, step=1).step == 1
    assert Windows() == Windows(12, 3, 12, 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"horizon": 0},
        {"n_windows": 0},
        {"step": 0},
        {"horizon": "3"},
        {"horizon": 2.5},
        {"horizon": True},
        {"min_train": -1},
    ],
)
def test_windows_rejects_bad_values(kwargs):
    with pytest.raises(UsageError):
        Windows(**kwargs)


def test_windows_is_frozen_and_picklable():
    w = Windows(6, 2)
    with pytest.raises(AttributeError):
        w.horizon = 3
    assert pickle.loads(pickle.dumps(w)) == w


@pytest.mark.parametrize(
    ("windows", "min_train", "expected"),
    [
        (Windows(6, 3), 1, ["2021-06-01", "2021-12-01", "2022-06-01"]),
        (Windows(6, 3, step=1), 1, ["2022-04-01", "2022-05-01", "2022-06-01"]),
        (Windows(12, 1), 1, ["2021-12-01"]),
        # Positions 23, 17, 11, 5: the last holds 6 prices < 12, so n_windows is a maximum.
        (Windows(12, 5, step=6), 12, ["2020-12-01", "2021-06-01", "2021-12-01"]),
        (Windows(12, 5, step=6, min_train=12), 1, ["2020-12-01", "2021-06-01", "2021-12-01"]),
        (Windows(30, 3), 10, []),
    ],
)
def test_cutoffs_on_a_36_month_series(windows, min_train, expected):
    y = monthly(36)  # 2020-01 .. 2022-12
    assert cutoffs(y, windows, min_train) == [pd.Timestamp(d) for d in expected]


def test_min_train_counts_observed_prices_not_periods():
    y = monthly(36)
    y.iloc[:6] = np.nan  # six missing months at the start
    # Without the gap position 11 (2020-12) holds 12 prices; with it only 6.
    assert cutoffs(y, Windows(12, 5, step=6), 12) == [
        pd.Timestamp("2021-06-01"),
        pd.Timestamp("2021-12-01"),
    ]


def test_weekly_cutoffs():
    y = weekly(20)  # Mondays 2024-01-01 .. 2024-05-13
    assert cutoffs(y, Windows(4, 2)) == [pd.Timestamp("2024-03-18"), pd.Timestamp("2024-04-15")]


def test_a_cutoff_in_a_gap_moves_back_to_the_last_price_before_it():
    # Prices stop for 20 months (a real WFP gap): a cutoff there would score "steps 7-12"
    # on prices 20-26 months after the model's last one.
    y = monthly(72)
    y.iloc[40:50] = np.nan
    windows = Windows(horizon=12, n_windows=3, step=12)
    found = cutoffs(y, windows, min_train=12, on_price=True)
    # 59: 12 before the end; 47 fell in the gap and moved back to 39, its last price
    # (scoring 50-51 as 11-12 steps ahead); then 27.
    assert found == [y.index[27], y.index[39], y.index[59]]
    bt = backtest_series(y, oracle_factory(y), windows)
    last_price = y.dropna().index
    for cutoff in bt["cutoff"].unique():
        assert pd.Timestamp(cutoff) in last_price


def test_cutoffs_need_a_regular_datetime_index():
    with pytest.raises(SchemaError):
        cutoffs(pd.Series([1.0, 2.0, 3.0]), Windows(1, 1))
    irregular = pd.Series(
        [1.0, 2.0, 3.0, 4.0],
        index=pd.to_datetime(["2020-01-01", "2020-02-01", "2020-05-01", "2020-06-01"]),
    )
    with pytest.raises(SchemaError):
        cutoffs(irregular, Windows(1, 1))


# --- backtest_series ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y", "windows"),
    [
        (monthly(48), Windows(12, 3)),
        (monthly(40), Windows(6, 4, step=2)),
        (weekly(80), Windows(8, 3, step=5)),
    ],
    ids=["monthly", "monthly-overlapping", "weekly"],
)
def test_oracle_backtest_invariants(y, windows):
    bt = backtest_series(y, oracle_factory(y), windows, LEVELS)
    h = windows.horizon
    assert list(bt.columns) == [
        "cutoff",
        "date",
        "step",
        "actual",
        "forecast",
        "lower_80",
        "upper_80",
        "lower_95",
        "upper_95",
        "error",
    ]
    assert (bt["error"] == "").all()
    assert (bt["cutoff"] < bt["date"]).all()
    ahead = periods_ahead(y, bt)
    assert (ahead >= 1).all() and (ahead <= h).all()
    assert (ahead == bt["step"].to_numpy()).all()
    assert bt["date"].max() == y.index[-1]  # the last window ends on the last date, no later
    assert sorted(bt["cutoff"].unique()) == cutoffs(y, windows)
    assert bt["cutoff"].nunique() == windows.n_windows
    for _, window in bt.groupby("cutoff"):
        assert window["step"].tolist() == list(range(1, h + 1))
        assert periods_ahead(y, window).max() == h
    assert np.allclose(bt["actual"], bt["forecast"])
    assert bt["actual"].to_numpy() == pytest.approx(y.reindex(bt["date"]).to_numpy())


def test_each_window_trains_only_up_to_its_cutoff():
    seen = []

    class Spy(Constant):
        def _fit(self, y, X):
            seen.append(y.index[-1])

    y = monthly(36)
    bt = backtest_series(y, Spy, Windows(6, 3))
    # The factory's probe instance (read for min_length) is never fit.
    assert seen == sorted(bt["cutoff"].unique())


def test_oracle_scores_zero_and_full_coverage():
    y = monthly(60)
    bt = backtest_series(y, oracle_factory(y), Windows(12, 3), LEVELS)
    s = score(bt, history=y, by=())
    assert s.loc[0, "n"] == 36 and s.loc[0, "failed"] == 0
    for name in ("mae", "rmse", "mape", "smape", "mase"):
        assert s.loc[0, name] == pytest.approx(0, abs=1e-12)
    assert s.loc[0, "coverage_80"] == 1 and s.loc[0, "coverage_95"] == 1


def test_gaps_keep_their_rows_with_nan_actual():
    y = monthly(48)
    y.iloc[[40, 45]] = np.nan
    bt = backtest_series(y, oracle_factory(y), Windows(12, 2))
    assert len(bt) == 24
    gap_dates = y.index[[40, 45]]
    assert bt.loc[bt["date"].isin(gap_dates), "actual"].isna().all()
    s = score(bt, history=y, by=())
    assert s.loc[0, "n"] == 22
    assert s.loc[0, "mae"] == 0 and s.loc[0, "mase"] == 0


def test_short_series_gets_fewer_windows_and_too_short_a_failure_row():
    bt = backtest_series(monthly(30), Constant, Windows(12, 3))
    assert bt["cutoff"].nunique() == 2  # positions 17 and 5; the third would start before 0

    bt = backtest_series(monthly(10), Constant, Windows(12, 3))
    assert len(bt) == 1
    assert bt.loc[0, "cutoff"] is pd.NaT
    assert bt.loc[0, "error"].startswith("too short")


def test_model_min_length_limits_windows():
    class NeedsTwoYears(Constant):
        min_length = 24

    bt = backtest_series(monthly(48), NeedsTwoYears, Windows(6, 5))
    # Cutoffs at positions 41, 35, 29, 23 hold >= 24 prices; 17 does not.
    assert bt["cutoff"].nunique() == 4


def test_models_share_the_windows_a_seasonal_naive_needs_on_weekly_prices():
    # snaive declares 13 prices (a monthly season plus one); on weekly prices it needs 53.
    # The shared windows were set from the 13, snaive failed on the ones before week 53,
    # and the leaderboard then ranked it on fewer series than naive.
    from forecast.models import make_model

    y = weekly(80)
    assert make_model("snaive").needs(y) == 53 and make_model("naive").needs(y) == 2
    models = resolve_models(["naive", "snaive"])
    out = backtest_job(
        (("Rice", "M", "Wholesale", "kg", "THB"), y), models=models, windows=Windows(12, 3)
    )
    assert (out["error"].fillna("") == "").all()
    cuts = out.groupby("model")["cutoff"].apply(lambda c: sorted(set(c)))
    # Weeks 68 and 56 hold 53 prices or more; week 44 (the third window) does not.
    assert cuts["naive"] == cuts["snaive"] and len(cuts["naive"]) == 2


def test_a_series_too_short_for_the_shared_windows_names_the_model_that_set_them():
    # 18 monthly prices, 12 steps ahead: 6 before the one cutoff. Naive needs 2, but the
    # shared windows need 13 (snaive's); "naive needs 13" read as false on the leaderboard.
    models = resolve_models(["naive", "snaive"])
    out = backtest_job((("Rice", "M", "Wholesale", "kg", "VND"), monthly(18)), models=models)
    errors = out.groupby("model")["error"].first()
    assert errors["naive"].startswith("too short to backtest: 18 prices")
    assert (
        "needs 13 up to a cutoff (snaive's need: every model is scored on the same"
        in (errors["naive"])
    )
    assert errors["naive"] == errors["snaive"]  # one reason, said once for the series
    # Alone, a model shares its windows with none: no model is named.
    alone = backtest_job(
        (("Rice", "M", "Wholesale", "kg", "VND"), monthly(13)), models={"naive": models["naive"]}
    )
    assert alone["error"].iloc[0].endswith("needs 2 up to a cutoff and 12 periods after it")


def test_a_failing_window_is_a_row_not_an_exception():
    class PickyEarly(Constant):
        def _fit(self, y, X):
            if len(y) < 20:
                raise RuntimeError("too little history")

    # Cutoffs at positions 17, 23, 29: only the first trains on fewer than 20 prices.
    bt = backtest_series(monthly(36), PickyEarly, Windows(6, 3, step=6))
    failed = bt[bt["error"] != ""]
    assert len(failed) == 1
    assert failed["error"].iloc[0] == "RuntimeError: too little history"
    assert failed["cutoff"].iloc[0] == pd.Timestamp("2021-06-01")
    assert failed["date"].isna().all() and failed["forecast"].isna().all()
    assert (bt.loc[bt["error"] == "", "step"].value_counts() == 2).all()


def test_a_prediction_on_the_wrong_dates_is_recorded():
    bt = backtest_series(monthly(24), ShortPrediction, Windows(3, 1))
    assert len(bt) == 1
    assert bt.loc[0, "error"].startswith("ValueError: predict returned 2 rows")


def test_models_without_intervals_get_nan_bounds():
    y = monthly(24)
    X = pd.DataFrame({"x": y * 2})
    bt = backtest_series(y, Echo, Windows(6, 2), LEVELS, X=X)
    assert (bt["error"] == "").all()
    assert np.allclose(bt["forecast"], 2 * bt["actual"])  # X_future aligned to forecast dates
    assert bt[["lower_80", "upper_95"]].isna().all().all()


def test_ctrl_c_is_not_swallowed():
    class Interrupted(Constant):
        def _fit(self, y, X):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backtest_series(monthly(24), Interrupted, Windows(3, 1))


def test_bad_levels_raise_up_front():
    with pytest.raises(UsageError):
        backtest_series(monthly(24), Constant, Windows(3, 1), levels=(80, 120))


# --- backtest over a PriceTable ----------------------------------------------------------------

RICE = ("Rice", "An Giang", "Wholesale", "kg", "VND")
COCONUT = ("Coconut", "Mỏ Cày Bắc", "Farmgate", "nut", "VND")
DURIAN = ("Durian", "Mỏ Cày Bắc", "Farmgate", "kg", "VND")


@pytest.fixture
def three_series():
    return {
        RICE: monthly(48, level=8000.0, seed=1),
        COCONUT: monthly(48, level=100.0, seed=2),
        DURIAN: monthly(10, level=60000.0, seed=4),  # too short for any window
    }


def test_backtest_over_a_price_table(three_series):
    prices = price_table(three_series)
    models = {
        "oracle": oracle_factory(*three_series.values()),
        "constant": Constant,
        "picky": Picky,
    }
    bt = backtest(prices, models, Windows(12, 2), LEVELS)
    assert list(bt.columns[:6]) == [*KEY, "model"]
    assert list(bt.columns[6:]) == [
        "cutoff",
        "date",
        "step",
        "actual",
        "forecast",
        "lower_80",
        "upper_80",
        "lower_95",
        "upper_95",
        "error",
        "seconds",
    ]
    assert (bt["seconds"] >= 0).all()
    ok = bt[bt["error"] == ""]
    assert (ok["cutoff"] < ok["date"]).all()
    # Two full series x 3 models, except picky on rice (mean 8000 > 500): 2 failed windows.
    per = ok.groupby(["commodity", "model"]).size()
    assert per.to_dict() == {
        ("Coconut", "constant"): 24,
        ("Coconut", "oracle"): 24,
        ("Coconut", "picky"): 24,
        ("Rice", "constant"): 24,
        ("Rice", "oracle"): 24,
    }
    failures = bt[bt["error"] != ""]
    rice_picky = failures[(failures["commodity"] == "Rice") & (failures["model"] == "picky")]
    assert len(rice_picky) == 2 and rice_picky["error"].str.contains("RuntimeError").all()
    durian = failures[failures["commodity"] == "Durian"]
    assert len(durian) == 3 and durian["error"].str.startswith("too short").all()

    s = score(bt, history=prices)
    s = s.set_index("model")
    assert s.loc["oracle", "mae"] == pytest.approx(0) and s.loc["oracle", "mase"] == 0
    assert s.loc["oracle", "coverage_95"] == 1
    assert s.loc["picky", "failed"] == 3 and s.loc["picky", "n"] == 24


def test_feature_failure_fails_that_series_only(three_series):
    prices = price_table({k: three_series[k] for k in (RICE, COCONUT)})

    def features(key, dates):
        if key == RICE:
            raise KeyError("no calendar for rice")
        return pd.DataFrame({"x": np.arange(len(dates), dtype=float) + 1}, index=dates)

    bt = backtest(prices, {"echo": Echo}, Windows(6, 2), features=features)
    rice = bt[bt["commodity"] == "Rice"]
    assert len(rice) == 1 and rice["error"].iloc[0].startswith("features: KeyError")
    coconut = bt[bt["commodity"] == "Coconut"]
    assert (coconut["error"] == "").all() and len(coconut) == 12
    # The feature is the period number, 1-based, so a forecast equals the date's position + 1.
    y = three_series[COCONUT]
    assert (coconut["forecast"].to_numpy() == y.index.get_indexer(coconut["date"]) + 1).all()


def test_unknown_model_name_is_a_usage_error(three_series):
    with pytest.raises(UsageError, match="unknown model"):
        backtest(price_table(three_series), ["naive", "no-such-model"])
    with pytest.raises(UsageError):
        resolve_models({})
    with pytest.raises(UsageError):
        resolve_models({"x": "naive"})


def test_job_pickles_for_process_engines(three_series):
    factories = resolve_models(["naive", "ets"])
    assert list(factories) == ["naive", "ets"]
    job = partial(backtest_job, models=factories, windows=Windows(6, 2), levels=LEVELS)
    item = (RICE, three_series[RICE])
    job_back, item_back = pickle.loads(pickle.dumps((job, item)))
    assert job_back.keywords["models"]["ets"].args == ("ets",)
    assert item_back[1].equals(item[1])


def test_job_maps_over_iter_series(three_series):
    prices = price_table({k: three_series[k] for k in (RICE, COCONUT)})
    job = partial(backtest_job, models={"constant": Constant}, windows=Windows(6, 2))
    mapped = pd.concat(map(job, iter_series(prices)), ignore_index=True)
    sequential = backtest(prices, {"constant": Constant}, Windows(6, 2))
    # Everything but the wall time is the same.
    pd.testing.assert_frame_equal(
        mapped.drop(columns="seconds"), sequential.drop(columns="seconds")
    )


def test_backtest_job_labels_rows(three_series):
    y = three_series[COCONUT]
    bt = backtest_job((COCONUT, y), models={"constant": Constant}, windows=Windows(6, 1))
    assert (bt[list(KEY)].drop_duplicates().to_numpy() == [list(COCONUT)]).all()
    assert (bt["model"] == "constant").all()


def test_empty_price_table_gives_empty_frame_with_columns():
    empty = pd.DataFrame(columns=[*KEY, "date", "price", "flags"]).astype(
        {"date": "datetime64[ns]", "price": float}
    )
    bt = backtest(empty, {"constant": Constant}, Windows(3, 1))
    assert bt.empty
    assert list(bt.columns) == [
        *KEY,
        "model",
        "cutoff",
        "date",
        "step",
        "actual",
        "forecast",
        "lower_80",
        "upper_80",
        "lower_95",
        "upper_95",
        "error",
    ]


def test_models_share_cutoffs_set_by_the_most_demanding(three_series):
    class NeedsTwoYears(Constant):
        min_length = 24

    prices = price_table({RICE: three_series[RICE]})  # 48 months
    bt = backtest(prices, {"constant": Constant, "two-years": NeedsTwoYears}, Windows(6, 5))
    by_model = bt.groupby("model")["cutoff"].unique()
    # Alone, Constant would also get the cutoff at position 17; shared windows drop it.
    assert list(by_model["constant"]) == list(by_model["two-years"])
    assert len(by_model["constant"]) == 4


def inflating_then_calm(seed: int) -> pd.Series:
    """48 months rising about 3 % a month (a currency's hyperinflation), then 24 calm ones."""
    rng = np.random.default_rng(seed)
    steps = np.r_[0.03 + rng.normal(0, 0.005, 48), rng.normal(0, 0.005, 24)]
    index = pd.date_range("2015-01-01", periods=72, freq="MS", name="date")
    return pd.Series(1000 * np.exp(np.cumsum(steps)), index=index, name="price")


def test_backtest_auto_gets_the_currency_inflation_forecast_would_have_at_its_cutoff():
    """Auto in a backtest window is told its currency's inflation as measured on the prices
    up to the cutoff, as ``cropcast forecast`` run that day tells it: the window forecasts
    what the forecast did. The calm last two years (no inflation in the whole file) must
    not leak into a window whose cutoff is still in the inflating years."""
    from forecast.auto import INFLATION_RATE, currency_inflation
    from forecast.evaluation import backtest_prices
    from forecast.forecasting import ForecastSpec, forecast_prices

    # Three commodities: a currency's inflation is its commodities' (one's is a boom).
    kinds = (("Bread", "Beirut"), ("Rice", "Tripoli"), ("Sugar", "Saida"))
    prices = price_table(
        {(c, m, "Retail", "kg", "LBP"): inflating_then_calm(i) for i, (c, m) in enumerate(kinds)}
    )
    assert currency_inflation(prices)["LBP"] < INFLATION_RATE  # the whole file: calm by now
    table, _ = backtest_prices(
        prices, ["auto"], Windows(12, 3), LEVELS, engine="local", use_calendar=False
    )
    cutoff = pd.Timestamp("2018-12-01")  # the last inflating month: the middle window's cutoff
    assert cutoff in set(table["cutoff"])

    spec = ForecastSpec(model="auto", horizon=12, levels=LEVELS, use_calendar=False)
    that_day = forecast_prices(prices[prices["date"] <= cutoff], spec, engine="local")
    for result in that_day.series:
        assert "drift(window=24)" in result.explain["candidates"], result.explain["notes"]
        window = table[(table["market"] == result.key[1]) & (table["cutoff"] == cutoff)]
        np.testing.assert_allclose(window["forecast"], result.forecast["forecast"], rtol=1e-9)
        for column in ("lower_95", "upper_95"):
            np.testing.assert_allclose(window[column], result.forecast[column], rtol=1e-9)


@pytest.mark.parametrize("currency", ["LBP", "VND"])  # with and without inflation at cutoffs
def test_backtest_auto_at_a_short_horizon_forecasts_what_forecast_would(currency):
    """``backtest --horizon 3`` scores the auto ``forecast --horizon 3`` runs: fitted as that
    forecast fits it (for at least ``LEAST_FITTED_STEPS``), not as its own windows are long."""
    from forecast.evaluation import backtest_prices
    from forecast.forecasting import ForecastSpec, forecast_prices

    kinds = (("Bread", "Beirut"), ("Rice", "Tripoli"), ("Sugar", "Saida"))
    prices = price_table(
        {(c, m, "Retail", "kg", currency): inflating_then_calm(i) for i, (c, m) in enumerate(kinds)}
    )
    table, _ = backtest_prices(
        prices, ["auto"], Windows(3, 2, 6), LEVELS, engine="local", use_calendar=False
    )
    cutoff = table["cutoff"].min()
    spec = ForecastSpec(model="auto", horizon=3, levels=LEVELS, use_calendar=False)
    that_day = forecast_prices(prices[prices["date"] <= cutoff], spec, engine="local")
    for result in that_day.series:
        window = table[(table["market"] == result.key[1]) & (table["cutoff"] == cutoff)]
        assert len(window) == 3
        for column in ("forecast", "lower_80", "upper_95"):
            np.testing.assert_allclose(window[column], result.forecast[column], rtol=1e-9)


@pytest.mark.parametrize("min_train", [1, 2, 5])
def test_the_longest_horizon_is_the_last_that_leaves_a_window(min_train):
    y = pd.Series(
        [np.nan, 1.0, 2.0, np.nan, 3.0, 4.0, 5.0, 6.0, 7.0],
        index=pd.date_range("2020-01-01", periods=9, freq="MS"),
    )
    longest = longest_horizon(y, min_train)
    assert cutoffs(y, Windows(horizon=longest, n_windows=1), min_train)
    assert not cutoffs(y, Windows(horizon=longest + 1, n_windows=1), min_train)
    assert longest_horizon(y.iloc[:2], 2) == 0  # one price: no window at all


# --- interpolated estimates: never trained on past the cutoff, never scored ------------------


def _gap_filled_prices() -> pd.DataFrame:
    """36 months of prices whose months 30 and 31 cleaning filled in, log-linearly between
    month 29 (100) and month 32 (200), and flagged ``interpolated``, as cleaning does."""
    dates = pd.date_range("2020-01-01", periods=36, freq="MS")
    price = np.linspace(80.0, 99.0, 36)
    price[29], price[32] = 100.0, 200.0
    price[30], price[31] = 100.0 * 2 ** (1 / 3), 100.0 * 2 ** (2 / 3)
    flags = [""] * 36
    flags[30] = flags[31] = "interpolated"
    return pd.DataFrame(
        {
            "date": dates,
            "commodity": "Rice",
            "market": "Cần Thơ",
            "price_type": "Retail",
            "unit": "kg",
            "currency": "VND",
            "price": price,
            "flags": flags,
        }
    )


def test_a_window_ending_in_a_filled_gap_never_trains_on_the_price_after_it():
    """The estimates at months 30-31 are made from month 32's price: a cutoff at month 31
    must forecast from month 29's real price, as a file cut at the cutoff would, so it
    moves back to month 29, the last price a file cut then holds, and month 32 is 3 steps
    ahead of it, not 1."""
    prices = _gap_filled_prices()
    table = backtest(prices, ["naive"], Windows(horizon=3, n_windows=3, step=1))
    cuts = set(pd.to_datetime(table["cutoff"]))
    assert not cuts & {pd.Timestamp("2022-07-01"), pd.Timestamp("2022-08-01")}
    row = table[pd.to_datetime(table["date"]) == pd.Timestamp("2022-09-01")].set_index("cutoff")
    from_june = row.loc[pd.Timestamp("2022-06-01")]
    assert from_june["step"] == 3
    assert from_june["forecast"] == pytest.approx(100.0)
    assert from_june["actual"] == pytest.approx(200.0)


def test_estimates_are_not_scored_as_actual_prices():
    from forecast.evaluation import backtest_prices, leaderboard

    prices = _gap_filled_prices()
    windows = Windows(horizon=1, n_windows=6, step=1)
    table, seconds = backtest_prices(prices, ["naive"], windows, engine="local", use_calendar=False)
    estimated = table["date"].isin(pd.to_datetime(["2022-07-01", "2022-08-01"]))
    # Nothing is scored against them: their one-month windows, with no price to score, give
    # way to earlier ones, so six windows still each score a real price.
    assert not estimated.any()
    assert len(table) == 6 and table["actual"].notna().all()
    board = leaderboard(table, prices, seconds)
    assert board.loc[0, "mase"] > 0


def test_a_window_inside_a_gap_is_skipped_for_the_one_before_it():
    """WFP did not report the Mekong months of 2019-2020: a window there has nothing to
    score, and the series was ranked on fewer windows than asked."""
    dates = pd.date_range("2010-01-01", periods=60, freq="MS")
    y = pd.Series(np.linspace(100.0, 160.0, 60), index=dates)
    y.iloc[40:52] = np.nan  # one whole window's months, no price
    windows = Windows(horizon=6, n_windows=3)
    got = cutoffs(y, windows)
    assert len(got) == 3
    for cutoff in got:
        after = y[cutoff:].iloc[1:7]
        assert after.notna().any()
    assert got == [dates[35], dates[47], dates[53]]  # 41 falls in the gap; 47 scores 52-53
    # On prices (a reported backtest): 47 moves back to 39, the last price before it, whose
    # window (40-45) is all gap and gives way to 33; then 27. (It scored months 52-53 as
    # 5-6 steps ahead of a cutoff whose model's last price was 13-14 months before them.)
    priced = cutoffs(y, windows, on_price=True)
    assert priced == [dates[27], dates[33], dates[53]]
    assert y[priced].notna().all()


def test_forecasts_measure_inflation_and_count_prices_on_real_prices_only(monkeypatch):
    import forecast.auto as auto
    from forecast.bulletin.facts import too_few_prices
    from forecast.forecasting import ForecastSpec, forecast_prices

    prices = _gap_filled_prices()
    seen = []
    real = auto.currency_inflation
    monkeypatch.setattr(auto, "currency_inflation", lambda p: seen.append(p) or real(p))
    forecast_prices(prices, ForecastSpec(horizon=3, use_calendar=False), engine="local")
    assert seen and seen[0]["price"].isna().sum() == 2  # the two estimates, blanked
    # 36 rows, 34 real prices: short of a model needing 35, as the forecast counts them.
    from forecast.models import model_class

    monkeypatch.setattr(model_class("ets"), "min_length", 35)
    assert too_few_prices(prices, "ets") == (tuple(prices.iloc[0][list(KEY)]),)
