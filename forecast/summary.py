"""Series overview: what a PriceTable holds, series by series."""

from __future__ import annotations

import pandas as pd

from forecast.table import FREQ_ALIASES, KEY, infer_freq, interpolated


def series_overview(prices: pd.DataFrame) -> pd.DataFrame:
    """One row per series: key, ``freq``, ``first``, ``last``, ``count``, ``estimated`` and
    ``missing``.

    ``count`` is the prices someone wrote; ``missing`` the periods inside the span with
    none (gaps a model must bridge or respect), of which cleaning filled ``estimated`` with
    estimates. A listing that counted those as prices said An Giang had 154 where 152 were
    written.
    """
    rows = []
    estimate = pd.Series(interpolated(prices), index=prices.index)
    for key, group in prices.groupby(list(KEY), sort=True, observed=True):
        dates = pd.DatetimeIndex(group["date"]).sort_values()
        freq = infer_freq(dates)
        span = len(pd.date_range(dates[0], dates[-1], freq=FREQ_ALIASES[freq]))
        filled = int(estimate[group.index].sum())
        written = len(dates) - filled
        rows.append((*key, freq, dates[0], dates[-1], written, filled, span - written))
    columns = [*KEY, "freq", "first", "last", "count", "estimated", "missing"]
    return pd.DataFrame(rows, columns=columns)
