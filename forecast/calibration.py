"""Are the ranges honest? Nominal interval level against the coverage a backtest reached.

An 80 % range should hold the actual price about 80 % of the time. A backtest
(:func:`forecast.evaluation.backtest_prices`) asked for several levels at once, say 50, 60,
70, 80, 90 and 95, gives one point per level: the share of actual prices that fell inside
that range. Points on the diagonal are honest; below it the ranges are too narrow
(overconfident), above it too wide.

Coverage itself is :func:`forecast.metrics.coverage`, so this table and the leaderboard's
``coverage_L`` columns always agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecast.errors import UsageError
from forecast.metrics import interval_levels, score

CALIBRATION_COLUMNS = ("level", "nominal", "coverage", "n", "gap")


def _suffixes(table: pd.DataFrame, levels: Sequence[float] | None) -> list[str]:
    """The ``lower_<suffix>`` column suffixes for ``levels`` (all found when ``None``)."""
    found = interval_levels(table)
    if levels is None:
        if not found:
            raise UsageError(
                "the backtest table has no interval columns (lower_L, upper_L)",
                "calibration_table",
                "Backtest with levels, e.g. levels=(50, 80, 95)",
            )
        return found
    by_value = {float(s): s for s in found}
    out = []
    for level in levels:
        try:
            out.append(by_value[float(level)])
        except (KeyError, TypeError, ValueError):
            raise UsageError(
                f"no level {level} in the backtest table",
                "calibration_table(levels=...)",
                f"Levels found: {', '.join(found) or 'none'}",
            ) from None
    return out


def calibration_table(
    backtest_table: pd.DataFrame,
    levels: Sequence[float] | None = None,
    by: Sequence[str] = ("model",),
) -> pd.DataFrame:
    """Nominal interval level against the coverage actually reached, per group and level.

    Parameters
    ----------
    backtest_table
        Output of :func:`forecast.evaluation.backtest_prices` (or ``forecast.backtest``):
        ``actual``, ``lower_L`` and ``upper_L`` columns, failure rows allowed (not scored).
    levels
        The levels to report, in percent; ``None`` takes every level in the table.
    by
        Grouping columns: ``("model",)`` (default), ``("model", "step")`` to see coverage
        fall with the horizon, ``(*KEY, "model")`` per series, or ``()`` overall.

    Returns
    -------
    pd.DataFrame
        The ``by`` columns, then ``level`` (percent, as asked), ``nominal`` (``level / 100``),
        ``coverage`` (share of actuals inside the range, 0 to 1), ``n`` (actuals with both
        bounds, the points behind the share) and ``gap`` (``coverage - nominal``: negative
        means ranges too narrow). One row per group and level, levels ascending.

    Raises
    ------
    UsageError
        When a requested level (or any level, for ``levels=None``) is not in the table, or a
        ``by`` column is missing.
    """
    by = list(by)
    suffixes = _suffixes(backtest_table, levels)
    table = backtest_table.reset_index(drop=True)
    scores = score(table, [f"coverage_{s}" for s in suffixes], by=by)
    actual = table["actual"].to_numpy(dtype=float)
    parts = []
    for suffix in suffixes:
        lower = table[f"lower_{suffix}"].to_numpy(dtype=float)
        upper = table[f"upper_{suffix}"].to_numpy(dtype=float)
        scored = np.isfinite(actual) & np.isfinite(lower) & np.isfinite(upper)
        value = float(suffix)
        part = scores[by].copy()
        part["level"] = int(value) if value.is_integer() else value
        part["nominal"] = value / 100
        part["coverage"] = scores[f"coverage_{suffix}"].to_numpy(dtype=float)
        if by:
            counts = (
                table[by]
                .assign(n=scored.astype(int))
                .groupby(by, sort=True, dropna=False)["n"]
                .sum()
                .reset_index()
            )
            part = part.merge(counts, on=by, how="left")
        else:
            part["n"] = int(scored.sum())
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["gap"] = out["coverage"] - out["nominal"]
    order = [*by, "nominal"]
    return out.sort_values(order, kind="stable").reset_index(drop=True)[[*by, *CALIBRATION_COLUMNS]]


__all__ = ["CALIBRATION_COLUMNS", "calibration_table"]
