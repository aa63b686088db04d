"""Forecast accuracy: metric functions registered by name, and :func:`score` for backtests.

Every metric has one signature::

    fn(actual, forecast, *, lower=None, upper=None, level=None, y_train=None, m=12) -> float

and ignores points where ``actual`` or ``forecast`` is NaN (gaps in the series, failed
windows); with no point left it returns NaN. Interval metrics (``coverage``, ``winkler``) are
registered with ``interval=True`` and are reported once per level found in the table, as
``coverage_80``, ``winkler_95`` ...

Scoring is separate from generating forecasts (:mod:`forecast.backtest`), as Prophet keeps
``performance_metrics`` apart from ``cross_validation``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from forecast.errors import UsageError
from forecast.models.base import season_length
from forecast.table import KEY, iter_series, observed_prices

#: Metric name -> function; filled by :func:`metric`.
METRICS: dict[str, Callable[..., float]] = {}
#: Names of metrics that need ``lower``, ``upper`` and ``level``.
INTERVAL_METRICS: set[str] = set()
#: What :func:`score` reports unless told otherwise.
DEFAULT_METRICS: tuple[str, ...] = (
    "mase",
    "smape",
    "mae",
    "rmse",
    "mape",
    "coverage",
    "winkler",
)


def metric(name: str, *, interval: bool = False) -> Callable:
    """Register a metric function under ``name`` (a decorator).

    Parameters
    ----------
    name
        The registry name, and the score column (suffixed ``_<L>`` for interval metrics).
    interval
        The metric scores prediction intervals and needs ``lower``, ``upper``, ``level``.
    """

    def register(fn: Callable[..., float]) -> Callable[..., float]:
        METRICS[name] = fn
        if interval:
            INTERVAL_METRICS.add(name)
        return fn

    return register


def _floats(values) -> np.ndarray:
    return np.asarray(values, dtype=float).ravel()


def _pairs(actual, forecast) -> tuple[np.ndarray, np.ndarray]:
    a, f = _floats(actual), _floats(forecast)
    ok = np.isfinite(a) & np.isfinite(f)
    return a[ok], f[ok]


def _bounds(actual, lower, upper, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if lower is None or upper is None:
        raise UsageError(f"metric '{name}' needs lower and upper interval bounds")
    a, lo, hi = _floats(actual), _floats(lower), _floats(upper)
    ok = np.isfinite(a) & np.isfinite(lo) & np.isfinite(hi)
    return a[ok], lo[ok], hi[ok]


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if values.size else float("nan")


@metric("mae")
def mae(actual, forecast, *, lower=None, upper=None, level=None, y_train=None, m=12) -> float:
    """Mean absolute error, in price units."""
    a, f = _pairs(actual, forecast)
    return _mean(np.abs(a - f))


@metric("rmse")
def rmse(actual, forecast, *, lower=None, upper=None, level=None, y_train=None, m=12) -> float:
    """Root mean squared error, in price units."""
    a, f = _pairs(actual, forecast)
    return float(np.sqrt(_mean((a - f) ** 2)))


@metric("mape")
def mape(actual, forecast, *, lower=None, upper=None, level=None, y_train=None, m=12) -> float:
    """Mean absolute percentage error, in percent (prices are > 0, so it is defined)."""
    a, f = _pairs(actual, forecast)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100 * _mean(np.abs(a - f) / np.abs(a))


@metric("smape")
def smape(actual, forecast, *, lower=None, upper=None, level=None, y_train=None, m=12) -> float:
    """Symmetric MAPE on the M4 scale, 0 to 200: ``200 * mean(|a - f| / (|a| + |f|))``.

    A point where actual and forecast are both 0 counts as a perfect forecast (0).
    """
    a, f = _pairs(actual, forecast)
    num, den = np.abs(a - f), np.abs(a) + np.abs(f)
    ratio = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return 200 * _mean(ratio)


#: Fewest observed seasonal pairs (a price and the one a season before) for the seasonal
#: MASE scale: a year of them, counted as pairs, not as grid slots (a gap holds no price).
MIN_SEASONAL_PAIRS = 12


def mase_scale(y_train, m: int = 12) -> float:
    """In-sample MAE of the seasonal naive forecast: the MASE denominator.

    Parameters
    ----------
    y_train
        The training history in time order on a regular grid, gaps as NaN.
    m
        Season length: 12 for monthly, 52 for weekly.

    Returns
    -------
    float
        ``mean |y_t - y_{t-m}|`` over pairs with both prices observed. It falls back to lag 1
        (the naive forecast) when fewer than ``MIN_SEASONAL_PAIRS`` such pairs exist or the
        seasonal scale is 0, since a zero scale would make every error infinite. With 13
        months the seasonal scale was one difference, and one series scaled on it (a MASE
        of 42) ruled a backtest's mean. May still be 0 (a flat history) or NaN.
    """
    y = _floats(y_train)

    def lag_diffs(lag: int) -> np.ndarray:
        if lag < 1 or len(y) <= lag:
            return np.empty(0)
        diffs = np.abs(y[lag:] - y[:-lag])
        return diffs[np.isfinite(diffs)]

    seasonal = lag_diffs(int(m))
    scale = _mean(seasonal) if len(seasonal) >= MIN_SEASONAL_PAIRS else float("nan")
    if not (np.isfinite(scale) and scale > 0):
        scale = _mean(lag_diffs(1))
    return scale


@metric("mase")
def mase(actual, forecast, *, lower=None, upper=None, level=None, y_train=None, m=12) -> float:
    """Mean absolute scaled error: MAE over the in-sample seasonal naive MAE (see
    :func:`mase_scale`). Scale-free, so it averages across series; < 1 beats the in-sample
    seasonal naive. NaN when the scale is 0 or undefined.
    """
    if y_train is None:
        raise UsageError("metric 'mase' needs the training history y_train")
    scale = mase_scale(y_train, m)
    if not (np.isfinite(scale) and scale > 0):
        return float("nan")
    return mae(actual, forecast) / scale


@metric("coverage", interval=True)
def coverage(actual, forecast, *, lower=None, upper=None, level=None, y_train=None, m=12) -> float:
    """Share of actuals inside ``[lower, upper]``, 0 to 1; near ``level / 100`` is honest."""
    a, lo, hi = _bounds(actual, lower, upper, "coverage")
    return _mean(inside(a, lo, hi).astype(float))


#: Relative float noise: a price within this share of a bound (or of a forecast) is on it.
#: Doubles carry 15-16 digits, and a price carried through logs and back comes out a few of
#: the last ones off: a zero-width range (a price that repeats each year, under snaive) is
#: 49.99999999999999 for 50, and the table, written rounded, says it held.
ON_BOUND = 1e-9


def inside(actual, lower, upper) -> np.ndarray:
    """Whether each actual lies in ``[lower, upper]``, a bound's float noise forgiven."""
    a, lo, hi = (np.asarray(v, dtype=float) for v in (actual, lower, upper))
    slack = ON_BOUND * np.abs(a)
    return (lo - slack <= a) & (a <= hi + slack)


@metric("winkler", interval=True)
def winkler(actual, forecast, *, lower=None, upper=None, level=None, y_train=None, m=12) -> float:
    """Winkler (interval) score, in price units; lower is better.

    The interval's width, plus ``2 / alpha`` times the distance by which the actual falls
    outside it, with ``alpha = 1 - level / 100``: narrow intervals win only if they still
    hold the actuals. Not scale-free, so compare models on the same series.
    """
    if level is None:
        raise UsageError("metric 'winkler' needs the interval level")
    a, lo, hi = _bounds(actual, lower, upper, "winkler")
    alpha = 1 - float(level) / 100
    below = np.clip(lo - a, 0, None)
    above = np.clip(a - hi, 0, None)
    return _mean((hi - lo) + (2 / alpha) * (below + above))


_LEVEL_COLUMN = re.compile(r"^lower_(\d+(?:\.\d+)?)$")


def interval_levels(table: pd.DataFrame) -> list[str]:
    """Level suffixes with both ``lower_L`` and ``upper_L`` columns, in numeric order."""
    found = [m.group(1) for c in table.columns if (m := _LEVEL_COLUMN.match(str(c)))]
    return sorted((s for s in found if f"upper_{s}" in table.columns), key=float)


def _plan(metrics: Sequence[str], levels: list[str]) -> list[tuple[str, str, str | None]]:
    """(output column, metric name, level suffix or None) for each requested metric."""
    plan = []
    for requested in metrics:
        name, _, suffix = requested.partition("_")
        if requested in METRICS and requested not in INTERVAL_METRICS:
            plan.append((requested, requested, None))
        elif requested in INTERVAL_METRICS:
            plan.extend((f"{requested}_{s}", requested, s) for s in levels)
        elif name in INTERVAL_METRICS and suffix:
            if suffix not in levels:
                raise UsageError(
                    f"no level {suffix} in the backtest table for '{requested}'",
                    "metrics",
                    f"Levels found: {', '.join(levels) or 'none'}",
                )
            plan.append((requested, name, suffix))
        else:
            raise UsageError(
                f"unknown metric '{requested}'", "metrics", f"Choose from: {', '.join(METRICS)}"
            )
    return plan


def _history_lookup(history) -> dict[tuple, pd.Series]:
    if isinstance(history, pd.Series):
        return {(): history}
    if isinstance(history, pd.DataFrame):
        # Real prices only, as the backtest's windows saw them (and as leaderboard scales):
        # estimates interpolated by cleaning made the scale differ between the two.
        return dict(iter_series(observed_prices(history)))
    if isinstance(history, Mapping):
        return {tuple(k) if isinstance(k, tuple) else (k,): v for k, v in history.items()}
    raise UsageError(
        "history must be a PriceTable, a dict key -> Series, or one Series", "score(history=...)"
    )


def _mase_scales(table: pd.DataFrame, history) -> pd.Series:
    """Per-row MASE scale from the history up to (and including) each row's cutoff."""
    if history is None:
        raise UsageError(
            "MASE needs the price history to scale errors",
            "score(history=...)",
            "Pass history=prices, or leave 'mase' out of metrics",
        )
    lookup = _history_lookup(history)
    if isinstance(history, pd.Series):
        key_columns = []
    elif all(c in table.columns for c in KEY):
        key_columns = list(KEY)
    else:
        raise UsageError(
            "the table has no series key columns to match history with",
            "score(history=...)",
            "Pass the one series as history=y",
        )
    scales = pd.Series(np.nan, index=table.index)
    # One scale per (series, cutoff), shared by every model and step of that window.
    for group, rows in table.groupby([*key_columns, "cutoff"], sort=False):
        *key, cutoff = group
        try:
            y = lookup[tuple(key)]
        except KeyError:
            raise UsageError(f"no history for series {tuple(key)}", "score(history=...)") from None
        scales.loc[rows.index] = mase_scale(y.loc[:cutoff].to_numpy(), season_length(y))
    return scales


def score(
    table: pd.DataFrame,
    metrics: Sequence[str] = DEFAULT_METRICS,
    history: pd.DataFrame | Mapping[tuple, pd.Series] | pd.Series | None = None,
    by: Sequence[str] = ("model",),
) -> pd.DataFrame:
    """Score a backtest table: one row per group, one column per metric.

    Parameters
    ----------
    table
        Output of :func:`forecast.backtest.backtest` (or ``backtest_series``).
    metrics
        Registered names. An interval metric (``"coverage"``) expands to one column per level
        found in the table (``coverage_80``, ``coverage_95``); ``"coverage_80"`` asks for one.
    history
        The prices the backtest ran on, for MASE: a PriceTable, a dict key -> Series, or one
        Series for a ``backtest_series`` table. Needed only when ``"mase"`` is asked for.
    by
        Columns to group by: ``("model",)``, ``(*KEY, "model")`` for per-series scores, or
        ``()`` for one row overall.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``n`` (points scored: actual and forecast both present),
        ``failed`` (failure rows, see :mod:`forecast.backtest`), then the metric columns.
        Failed windows are not scored, so compare models on ``failed`` too.

    Notes
    -----
    MASE scales each error by its own series' in-sample seasonal naive MAE on the history up
    to the window's cutoff, and averages the scaled errors over the group. That equals the
    registered :func:`mase` per window, averaged with weights ``n``.
    """
    by = list(by)
    table = table.reset_index(drop=True)  # rows are matched to MASE scales by label
    missing = [c for c in [*by, "actual", "forecast"] if c not in table.columns]
    if missing:
        raise UsageError(
            f"column '{missing[0]}' is not in the backtest table",
            "score(by=...)",
            f"Columns: {', '.join(map(str, table.columns))}",
        )
    plan = _plan(metrics, interval_levels(table))
    scales = _mase_scales(table, history) if any(n == "mase" for _, n, _ in plan) else None
    groups = table.groupby(by, sort=True, dropna=False) if by else [((), table)]
    rows = []
    for group, g in groups:
        row = dict(zip(by, group, strict=True))
        a, f = g["actual"].to_numpy(dtype=float), g["forecast"].to_numpy(dtype=float)
        row["n"] = int((np.isfinite(a) & np.isfinite(f)).sum())
        row["failed"] = int((g["error"] != "").sum()) if "error" in g else 0
        for column, name, level in plan:
            if name == "mase":
                s = scales.loc[g.index].to_numpy()
                s = np.where(s > 0, s, np.nan)  # a flat history cannot scale errors
                # |a/s - f/s| == |a - f| / s: the MAE of scaled values is the pooled MASE.
                row[column] = mae(a / s, f / s)
            elif level is None:
                row[column] = METRICS[name](a, f)
            else:
                row[column] = METRICS[name](
                    a, f, lower=g[f"lower_{level}"], upper=g[f"upper_{level}"], level=float(level)
                )
        rows.append(row)
    return pd.DataFrame(rows, columns=[*by, "n", "failed", *(c for c, _, _ in plan)])


def relative_mae_geomean(scores_by_series: pd.DataFrame, baseline: str = "naive") -> pd.Series:
    """Geometric mean over series of ``MAE(model) / MAE(baseline)``, per model.

    Parameters
    ----------
    scores_by_series
        ``score(..., by=(*KEY, "model"))`` output with an ``mae`` column.
    baseline
        The model every other is divided by; it gets 1.

    Returns
    -------
    Series
        Indexed by model, named ``relative_mae``; < 1 beats the baseline. Each model uses the
        series where both it and the baseline have a finite MAE and the baseline's is > 0.
        The geometric mean is the right average of ratios: 0.5 and 2 cancel out.
    """
    key_columns = [c for c in KEY if c in scores_by_series.columns]
    needed = [c for c in ("model", "mae") if c not in scores_by_series.columns]
    if not key_columns or needed:
        raise UsageError(
            "relative MAE needs per-series scores with 'model' and 'mae'",
            "relative_mae_geomean",
            "Use score(..., by=(*KEY, 'model'))",
        )
    if scores_by_series.duplicated([*key_columns, "model"]).any():
        raise UsageError(
            "more than one score row per series and model",
            "relative_mae_geomean",
            "Use score(..., by=(*KEY, 'model'))",
        )
    wide = scores_by_series.set_index([*key_columns, "model"])["mae"].unstack("model")
    if baseline not in wide.columns:
        raise UsageError(
            f"baseline model '{baseline}' is not in the scores",
            "relative_mae_geomean",
            f"Models: {', '.join(map(str, wide.columns))}",
        )
    # An error of float noise is none: a model in logs returns exp(log(60)) = 59.99...99 for
    # a price that stayed at 60, and its MAE of 7e-15 against another's exact 0 made a
    # ratio of 0 or of 4e13, either of which sets the geometric mean of every series (an
    # unseen-data benchmark read SF-AutoETS at 0.000 and auto at 1.58 from one flat series).
    noise = 1e-9 * wide.abs().max(axis=1)
    wide = wide.mask(wide.le(noise, axis=0), 0.0)
    base = wide[baseline].where(wide[baseline] > 0)
    ratios = wide.div(base, axis=0)
    with np.errstate(divide="ignore"):
        # A perfect model (ratio 0) gives log -inf and a geometric mean of 0, as it should.
        logs = np.log(ratios.where(np.isfinite(ratios)))
    out = np.exp(logs.mean(skipna=True))
    out.index.name = "model"
    return out.rename("relative_mae")
