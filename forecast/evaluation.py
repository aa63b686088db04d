"""Backtest a PriceTable across series in parallel, and rank the models.

``forecast.backtest`` generates the windows for one series and ``forecast.metrics`` scores
them; this module maps the per-series job over every series with the engine and turns the
scores into the leaderboard ``cropcast backtest`` prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import pandas as pd

from forecast.backtest import Windows, backtest_job, resolve_models
from forecast.checks import check_levels
from forecast.forecasting import harvest_features_for
from forecast.metrics import score
from forecast.table import KEY, iter_series


def _calendar_features(key: tuple, dates: pd.DatetimeIndex, calendar) -> pd.DataFrame | None:
    return harvest_features_for(key, dates, calendar)


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
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Backtest ``models`` on every series; returns the long table and seconds per model."""
    from forecast.engine import run_jobs

    levels = check_levels(levels)
    factories = resolve_models(list(models))
    features = None
    if use_calendar:
        from forecast.calendar import load_calendar

        features = partial(_calendar_features, calendar=load_calendar())
    job = partial(backtest_job, models=factories, windows=windows, levels=levels, features=features)
    failed = partial(series_failed, models=factories, levels=levels)
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
    """One row per model: mean per-series MASE and sMAPE, interval coverage, failures, time.

    Sorted by mean MASE (lower is better). MASE is averaged over series (each series scaled
    by its own seasonal-naive error), the way the M competitions rank methods.
    """
    per_series = score(table, ("mase", "smape", "coverage"), history=prices, by=(*KEY, "model"))
    cover = [c for c in per_series.columns if c.startswith("coverage_")]
    # Coverage pools every scored point; averaging per-series shares would overweight short series.
    pooled = score(table, ("coverage",), by=("model",)).set_index("model")[cover]
    board = per_series.groupby("model").agg(
        series=("n", "size"),
        mase=("mase", "mean"),
        smape=("smape", "mean"),
        failed=("failed", "sum"),
    )
    board = board.join(pooled)
    if seconds:
        board["seconds"] = pd.Series(seconds)
    return board.sort_values("mase").reset_index()
