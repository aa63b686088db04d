"""Backtest a PriceTable across series in parallel, and rank the models.

``forecast.backtest`` generates the windows for one series and ``forecast.metrics`` scores
them; this module maps the per-series job over every series with the engine and turns the
scores into the leaderboard ``cropcast backtest`` prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial

import pandas as pd

from forecast.backtest import Windows, backtest_job, cutoffs, resolve_models
from forecast.checks import check_levels
from forecast.errors import UsageError
from forecast.forecasting import harvest_features_for
from forecast.metrics import score
from forecast.models import make_model, model_class
from forecast.models.base import Forecaster, season_length
from forecast.table import KEY, checked_prices, iter_series, observed_prices


def _calendar_features(key: tuple, dates: pd.DatetimeIndex, calendar) -> pd.DataFrame | None:
    return harvest_features_for(key, dates, calendar)


class AutoAsOfCutoff(Forecaster):
    """``auto`` given its currency's inflation as measured on the prices up to the window's
    cutoff, the last date it is fitted on: what ``cropcast forecast`` run that day would
    have given it (``forecast_prices`` measures it on the whole file), and no later price.

    ``rates`` maps a cutoff to the rate of the series' currency; a cutoff it does not know
    gets none, as a currency without enough monthly series does.

    One difference remains: ``forecast`` gives a series too short to backtest (or whose
    price never moved) the moves of its kin in other markets for its ranges
    (:mod:`forecast.kin`); here it gets only its own, as pooling kin as of every cutoff
    would. Point forecasts are the same; such a series' ranges differ (they covered a few
    points more or less on the Sri Lanka coconut series). The short-history benchmark
    (``benchmarks/short.py``) measures the ranges with kin.
    """

    name = "auto"
    supports_exog = True

    def __init__(self, rates: Mapping[pd.Timestamp, float], horizon: int = 12):
        self.rates = rates
        self.horizon = horizon

    @property
    def min_length(self) -> int:
        return model_class("auto").min_length

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        rate = self.rates.get(y.index[-1])
        from forecast.auto import fitted_steps

        horizon = fitted_steps(self.horizon)  # as `cropcast forecast` fits it
        self.auto_ = make_model("auto", horizon=horizon, currency_inflation=rate)
        self.auto_.fit(y, X)
        self.explain_ = self.auto_.explain_

    def _predict(self, h: int, X_future: pd.DataFrame | None, levels: tuple) -> pd.DataFrame:
        return self.auto_.predict(h, X_future, levels)


def inflation_at_cutoffs(
    prices: pd.DataFrame, windows: Windows, measured_on: pd.DataFrame
) -> dict[str, dict]:
    """Currency -> {cutoff -> rate}: :func:`forecast.auto.currency_inflation` of
    ``measured_on`` up to each cutoff the backtest of a monthly series of ``prices`` can
    have. Weekly prices are never judged inflating (``steady_inflation``): their cutoffs
    need no rate."""
    from forecast.auto import currency_inflation

    every = set()
    for _key, y in iter_series(prices):
        if season_length(y) != 12:
            continue
        # Every cutoff backtest_job may use; it uses fewer when a model needs more history.
        every.update(cutoffs(y, windows, on_price=True))  # backtest_series' cutoffs
    rates: dict[str, dict] = {}
    for cutoff in sorted(every):
        known_then = measured_on[measured_on["date"] <= cutoff]
        for currency, rate in currency_inflation(known_then).items():
            rates.setdefault(currency, {})[cutoff] = rate
    return rates


def backtest_with_inflation(series, *, models: Mapping, inflation: Mapping, **options):
    """:func:`forecast.backtest.backtest_job`, with ``auto`` (by name) told its currency's
    inflation at each cutoff (``inflation`` from :func:`inflation_at_cutoffs`)."""
    key, _y = series
    rates = inflation.get(key[KEY.index("currency")])
    if rates and "auto" in models:
        horizon = options["windows"].horizon
        models = {**models, "auto": partial(AutoAsOfCutoff, rates, horizon)}
    return backtest_job(series, models=models, **options)


def series_failed(item, error: BaseException, models, levels) -> pd.DataFrame:
    """Failure rows for a series whose job failed outright (its worker process died twice)."""
    key, y = item
    # The job's own failure rows (one per model, as for a series too short to backtest),
    # carrying this error as their message.
    rows = backtest_job((key, y.iloc[:0]), models=models, levels=levels)
    rows["error"] = f"{type(error).__name__}: {error}"
    return rows


def backtest_prices(
    prices: pd.DataFrame,
    models: Sequence[str],
    windows: Windows = Windows(),
    levels: Sequence[float] = (80, 95),
    *,
    engine: str = "processes",
    n_jobs: int | None = None,
    scheduler=None,
    use_calendar: bool = True,
    on_done: Callable[[], None] | None = None,
    currency_prices: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Backtest ``models`` on every series; returns the long table and seconds per model.

    ``auto`` measures its currency's inflation on ``currency_prices`` up to each cutoff
    (default: ``prices``): the whole file when ``prices`` is a selection of it, as
    ``forecast_prices(kin_prices=...)`` does.
    """
    from forecast.engine import run_jobs

    levels = check_levels(levels)
    if not isinstance(windows, Windows):  # windows=3 failed as AttributeError rows
        raise UsageError(
            f"windows must be a Windows, not {type(windows).__name__} {windows!r}",
            "backtest_prices",
            "Pass e.g. Windows(horizon=12, n_windows=3)",
        )
    # Interpolated estimates are made from the price after them: a window must neither
    # train on one past its cutoff nor be scored against one.
    prices = observed_prices(checked_prices(prices))
    # A name alone is one model: list("naive") made models n, a, i, v, e.
    factories = resolve_models(models)
    if "auto" in factories:  # fitted for the steps asked, as `cropcast forecast` fits it
        from forecast.auto import fitted_steps

        factories["auto"] = partial(make_model, "auto", horizon=fitted_steps(windows.horizon))
    features = None
    if use_calendar:
        from forecast.calendar import load_calendar

        features = partial(_calendar_features, calendar=load_calendar())
    options = {"windows": windows, "levels": levels, "features": features}
    job = partial(backtest_job, models=factories, **options)
    if "auto" in factories:
        every = prices if currency_prices is None else observed_prices(currency_prices)
        inflation = inflation_at_cutoffs(prices, windows, every)
        job = partial(backtest_with_inflation, models=factories, inflation=inflation, **options)
    scored_failure = partial(series_failed, models=factories, levels=levels)

    def failed(item, error):
        from forecast.engine import NoWorkerError, SeriesNotRunError

        if isinstance(error, NoWorkerError):  # its windows were said "failed", and exit 0
            raise SeriesNotRunError("nothing was backtested") from None
        return scored_failure(item, error)

    jobs = run_jobs(
        job, iter_series(prices), engine=engine, n_jobs=n_jobs, scheduler=scheduler, on_error=failed
    )
    frames = []
    for frame in jobs:
        frames.append(frame)
        if on_done is not None:
            on_done()
    table = (
        pd.concat(frames, ignore_index=True)
        .sort_values([*KEY, "model", "cutoff", "date"], kind="stable")
        .reset_index(drop=True)
    )
    seconds = table.groupby([*KEY, "model"])["seconds"].first().groupby("model").sum().to_dict()
    return table, seconds


def leaderboard(
    table: pd.DataFrame, prices: pd.DataFrame, seconds: dict[str, float] | None = None
) -> pd.DataFrame:
    """One row per model: mean per-series MASE (and its median, which a few series far off
    sway less) and sMAPE, interval coverage, failures, time.

    ``series``: the series scored (the means are over them); ``failed``: the series where
    the model failed on a window or that were too short to backtest.

    Sorted by mean MASE (lower is better). MASE is averaged over series (each series scaled
    by its own seasonal-naive error), the way the M competitions rank methods.
    """
    # score() takes the MASE scale from real prices only, as the backtest windows saw them.
    per_series = score(table, ("mase", "smape", "coverage"), history=prices, by=(*KEY, "model"))
    cover = [c for c in per_series.columns if c.startswith("coverage_")]
    # Coverage pools every scored point; averaging per-series shares would overweight short series.
    pooled = score(table, ("coverage",), by=("model",)).set_index("model")[cover]
    # Series counts, not rows: ``series`` is how many series the means are over (scored on
    # at least one window), ``failed`` how many had a window fail or were too short.
    # (Counting rows said 1,442 series beside means over 738, and mixed a too-short series'
    # one failure row with a failing model's one per window.)
    board = (
        per_series.assign(scored=per_series["n"] > 0, failed=per_series["failed"] > 0)
        .groupby("model")
        .agg(
            series=("scored", "sum"),
            mase=("mase", "mean"),
            median_mase=("mase", "median"),
            smape=("smape", "mean"),
            failed=("failed", "sum"),
        )
    )
    board = board.join(pooled)
    if seconds:
        board["seconds"] = pd.Series(seconds)
    return board.sort_values("mase").reset_index()
