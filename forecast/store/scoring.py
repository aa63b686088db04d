"""How the archived forecasts did, against the prices that arrived after them.

An archived forecast point is scored when the store now holds an observed price for its
series and date, after the last price of that series the run saw (its own cutoff, not the
run's ``as_of``: a series that lagged the others is scored too). Interpolated prices are
estimates, not actuals, and are left out. Prices the store marks as outliers are scored
(a real step in a price that sat still is marked too), and ``cropcast accuracy`` names them:
a typo ("1.180.000" for a chục that sells at 118.000) would decide a series' MAPE. Prices
are the current stored values (revisions applied).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecast.metrics import ON_BOUND, coverage, mae, mape
from forecast.store.archive import _F_KEY, _I_KEY, _KEY, _SERIES_CUTOFFS, _frame, _output
from forecast.store.database import Store
from forecast.table import KEY, select_series

_P_JOIN = " AND ".join(f"p.{c} = f.{c}" for c in (*KEY, "date"))
_I_JOIN = " AND ".join(f"i.{c} = m.{c}" for c in ("run_id", *KEY, "date"))


def forecast_errors(store: Store, *, outliers: bool = False) -> pd.DataFrame:
    """Every archived forecast point that now has an actual (``outliers=True``: only those
    whose actual the store marks as an outlier).

    Columns: the forecast-output columns, then ``run_id``, ``step``, ``cutoff`` (the
    series' last price date the run saw) and ``actual``.
    """
    marked = "list_contains(string_split(p.flags, ';'), 'outlier')"
    matched = f"""
        WITH {_SERIES_CUTOFFS},
        m AS (
            SELECT {_F_KEY}, f.date, f.forecast, f.model, f.run_id, f.step,
                c.cutoff, p.price AS actual
            FROM forecasts f JOIN series_cutoffs c USING (run_id, {_KEY})
            JOIN prices p ON {_P_JOIN}
            WHERE p.date > c.cutoff
                AND NOT list_contains(string_split(p.flags, ';'), 'interpolated')
                {f"AND {marked}" if outliers else ""}
        )"""
    with store.reading() as con:
        points = _frame(con, matched + " SELECT * FROM m", [])
        intervals = _frame(
            con,
            matched
            + f""" SELECT i.run_id, {_I_KEY}, i.date,
                i.level, i.lower, i.upper
            FROM forecast_intervals i SEMI JOIN m ON {_I_JOIN}""",
            [],
        )
    if points.empty:
        return points
    return _output(points, intervals)


def without_float_noise(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """``forecast``, with each one that equals its actual but for float rounding set to the
    actual: a forecast that was right scores an error of 0, not 4e-12."""
    same = np.isclose(forecast, actual, rtol=ON_BOUND, atol=0.0)
    return np.where(same, actual, forecast)


def accuracy(
    store: Store,
    by: Sequence[str] = (*KEY, "model"),
    series: list[str] | None = None,
) -> pd.DataFrame:
    """MAE, MAPE and interval coverage of archived forecasts, per series and model.

    Parameters
    ----------
    by
        Grouping columns; ``("model",)`` for one row per model over all series (MAE then
        mixes price scales; read MAPE and coverage).
    series
        Only series matching these patterns (as ``--series``).

    Returns
    -------
    DataFrame
        ``by``, ``runs`` (archived runs scored), ``n`` (points scored), ``first``/``last``
        (forecast dates scored), ``mae``, ``mape`` (percent), ``coverage_<L>`` (share of
        actuals inside the ``L`` % interval, 0 to 1, per level found). Empty when no
        archived forecast has an actual yet.
    """
    errors = select_series(forecast_errors(store), series)
    levels = [c.split("_", 1)[1] for c in errors.columns if c.startswith("lower_")]
    columns = [*by, "runs", "n", "first", "last", "mae", "mape"]
    columns += [f"coverage_{level}" for level in levels]
    if errors.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for group, part in errors.groupby(list(by), sort=True, dropna=False):
        group = group if isinstance(group, tuple) else (group,)
        row = dict(zip(by, group, strict=True))
        actual, forecast = part["actual"].to_numpy(float), part["forecast"].to_numpy(float)
        forecast = without_float_noise(actual, forecast)
        row |= {
            "runs": int(part["run_id"].nunique()),
            "n": int(np.isfinite(actual - forecast).sum()),
            "first": part["date"].min(),
            "last": part["date"].max(),
            "mae": mae(actual, forecast),
            "mape": mape(actual, forecast),
        }
        for level in levels:
            row[f"coverage_{level}"] = coverage(
                actual,
                forecast,
                lower=part[f"lower_{level}"].to_numpy(float),
                upper=part[f"upper_{level}"].to_numpy(float),
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)
