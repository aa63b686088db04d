"""Series overview: what a PriceTable holds, series by series."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.table import KEY, infer_freq, interpolated, told_freq


def series_overview(prices: pd.DataFrame) -> pd.DataFrame:
    """One row per series: key, ``freq``, ``first``, ``last``, ``count``, ``estimated`` and
    ``missing``.

    ``count`` is the prices someone wrote; ``missing`` the periods inside the span with
    none (gaps a model must bridge or respect), of which cleaning filled ``estimated`` with
    estimates. A listing that counted those as prices said An Giang had 154 where 152 were
    written.
    """
    columns = [*KEY, "freq", "first", "last", "count", "estimated", "missing"]
    if prices.empty:
        return pd.DataFrame(columns=columns)
    told = told_freq(prices)
    groups = prices.assign(_estimate=interpolated(prices)).groupby(
        list(KEY), sort=True, observed=True
    )
    # Counted for every series at once; only the frequency is judged series by series (a
    # loop of date ranges over 13,000 series took 6 s).
    frame = pd.DataFrame(
        {
            "first": groups["date"].min(),
            "last": groups["date"].max(),
            "rows": groups.size(),
            "estimated": groups["_estimate"].sum().astype(int),
        }
    )
    frame["freq"] = [
        infer_freq(pd.DatetimeIndex(dates).sort_values(), told(key))
        for key, dates in groups["date"]
    ]
    first, last = pd.DatetimeIndex(frame["first"]), pd.DatetimeIndex(frame["last"])
    months = (last.year - first.year) * 12 + (last.month - first.month) + 1
    weeks = (last - first).days // 7 + 1
    span = np.where(frame["freq"] == "weekly", weeks, months)
    frame["count"] = frame["rows"] - frame["estimated"]
    frame["missing"] = span - frame["count"]
    return frame.reset_index()[columns]


def late_last_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """The series whose last price or two come a year or more after the prices before them:
    key, ``last`` (the last price's date), ``before`` (the last one before the gap) and
    ``late`` (the dates after it, a list), in the table's order.

    Most often a mistyped year (2026 for 2021): the series' forecast then starts from that
    one price, five years after its others. A market that reopened with a price or two is
    named too, as its outlook rests on them alone. Series of fewer than four real prices, or
    with fewer than three before the gap, are left out: there is no "before" to judge by;
    so are series whose prices before it were half a year apart or more (yearly prices).
    """
    real = prices.loc[~interpolated(prices), [*KEY, "date"]].dropna()
    if real.empty:
        return pd.DataFrame(columns=[*KEY, "last", "before", "late"])
    # One pass over every series at once, as arrays: a loop over 43,000 series took 9.7 s.
    group = real.groupby(list(KEY), observed=True, sort=False).ngroup().to_numpy()
    # Dates as the table holds them (their unit and time zone: a datetime64[s] year 2500 or
    # a +07:00 date come back as given), compared as integers in that unit.
    dates = pd.DatetimeIndex(real["date"])
    ticks = dates.asi8
    order = np.lexsort((ticks, group))  # series in the table's order, dates ascending
    group, ticks, dates = group[order], ticks[order], dates[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    ends = np.r_[starts[1:], len(group)]
    # A gap of a year or more before position i, within its series.
    year = np.timedelta64(365, "D").astype(f"timedelta64[{dates.unit}]").astype(np.int64)
    gap = np.r_[False, (group[1:] == group[:-1]) & (np.diff(ticks) >= year)]
    # Each series' last such position (-1: none), then how many prices come before and after.
    last_gap = np.maximum.reduceat(np.where(gap, np.arange(len(gap)), -1), starts)
    before, after = last_gap - starts, ends - last_gap
    rows = []
    for i in np.flatnonzero((last_gap >= 0) & (after <= 2) & (before >= 3)):
        if np.median(np.diff(ticks[starts[i] : last_gap[i]])) >= year // 2:
            continue  # prices a year apart all along (a test's annual file): no late one
        first = real.iloc[order[starts[i]]]
        late = list(dates[last_gap[i] : ends[i]])
        key = tuple(first[column] for column in KEY)
        rows.append((*key, late[-1], dates[last_gap[i] - 1], late))
    return pd.DataFrame(rows, columns=[*KEY, "last", "before", "late"])
