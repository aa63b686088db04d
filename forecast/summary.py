"""Series overview: what a PriceTable holds, series by series."""

from __future__ import annotations

import pandas as pd

from forecast.table import FREQ_ALIASES, KEY, infer_freq, interpolated, told_freq


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
    told = told_freq(prices)
    for key, group in prices.groupby(list(KEY), sort=True, observed=True):
        dates = pd.DatetimeIndex(group["date"]).sort_values()
        freq = infer_freq(dates, told(key))
        span = len(pd.date_range(dates[0], dates[-1], freq=FREQ_ALIASES[freq]))
        filled = int(estimate[group.index].sum())
        written = len(dates) - filled
        rows.append((*key, freq, dates[0], dates[-1], written, filled, span - written))
    columns = [*KEY, "freq", "first", "last", "count", "estimated", "missing"]
    return pd.DataFrame(rows, columns=columns)


def late_last_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """The series whose last price or two come a year or more after the prices before them:
    key, ``last`` (the last price's date), ``before`` (the last one before the gap) and
    ``late`` (the dates after it, a list), in the table's order.

    Most often a mistyped year (2026 for 2021): the series' forecast then starts from that
    one price, five years after its others. A market that reopened with a price or two is
    named too, as its outlook rests on them alone. Series of fewer than four real prices, or
    with fewer than three before the gap, are left out: there is no "before" to judge by.
    """
    real = prices.loc[~interpolated(prices), [*KEY, "date"]]
    rows = []
    for key, dates in real.groupby(list(KEY), observed=True, sort=False)["date"]:
        dates = dates.sort_values()
        if len(dates) < 4:
            continue
        late = dates.diff()[lambda gaps: gaps >= pd.Timedelta(days=365)]
        if late.empty:
            continue
        first_late = dates.loc[late.index[-1]]
        after = list(dates[dates >= first_late])
        if len(after) <= 2 and len(dates) - len(after) >= 3:
            rows.append((*key, dates.iloc[-1], dates[dates < first_late].iloc[-1], after))
    return pd.DataFrame(rows, columns=[*KEY, "last", "before", "late"])
