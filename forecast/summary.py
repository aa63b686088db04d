"""Series overview: what a PriceTable holds, series by series."""

from __future__ import annotations

import pandas as pd

from forecast.table import FREQ_ALIASES, KEY, infer_freq


def series_overview(prices: pd.DataFrame) -> pd.DataFrame:
    """One row per series: key, ``freq``, ``first``, ``last``, ``count`` and ``missing``.

    ``missing`` counts the periods inside the span that have no price (gaps a model must
    bridge or respect).
    """
    rows = []
    for key, group in prices.groupby(list(KEY), sort=True, observed=True):
        dates = pd.DatetimeIndex(group["date"]).sort_values()
        freq = infer_freq(dates)
        span = len(pd.date_range(dates[0], dates[-1], freq=FREQ_ALIASES[freq]))
        rows.append((*key, freq, dates[0], dates[-1], len(dates), span - len(dates)))
    return pd.DataFrame(rows, columns=[*KEY, "freq", "first", "last", "count", "missing"])
