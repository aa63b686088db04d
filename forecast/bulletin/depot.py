"""Prices in the unit the depot quotes them in: coconuts by the chục, if it wrote them so.

Cleaning puts every series in one canonical unit, so that markets compare: a chục (12 to 16
nuts, as the market counts it) becomes nuts. A farmer reads "Dừa khô 156.000đ/chục", not
"13.000đ/trái", a number no depot quotes. So a bulletin quotes a series per chục again when
most of its prices were written per chục: its prices, its forecasts and last period's
forecasts, times the nuts in that chục. A file's cleaning report says how it wrote each
series (``--chuc``, default 12); the store remembers every ingest's report, so a bulletin
made from the store quotes each series as the depot's latest file wrote it (Dừa khô per
chục of 14, Dừa xiêm per trái).
Forecasts are made in logs, so a forecast per chục is the forecast per nut times the chục.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from forecast.clean.units import CHUC, from_chuc
from forecast.table import interpolated, price_columns

#: A series as the depot quotes it: the key without the unit (nut or chục).
_SERIES = ["commodity", "market", "price_type", "currency"]


def _chuc_size(conversion: dict) -> int:
    """The nuts in the chục a conversion divided by (its factor is 1 / size)."""
    return int(round(1 / float(conversion["factor"])))


def written_per_chuc(report, prices: pd.DataFrame) -> dict[tuple, int]:
    """Series (commodity, market, price_type, currency) -> nuts in its chục, for those the
    file wrote per chục: more than half of the series' prices, as ``report`` (a cleaning
    report) converted them."""
    if report is None:
        return {}
    rows: Counter = Counter()
    sizes: dict[tuple, Counter] = {}
    for c in report.conversions:
        if from_chuc(c):
            key = tuple(c[column] for column in _SERIES)
            rows[key] += int(c["rows"])
            sizes.setdefault(key, Counter())[_chuc_size(c)] += int(c["rows"])
    if not rows:
        return {}
    nuts = prices[prices["unit"] == "nut"]
    counts = nuts[~interpolated(nuts)].groupby(_SERIES).size()
    return {
        key: sizes[key].most_common(1)[0][0]
        for key, n in rows.items()
        if 2 * n > int(counts.get(key, 0))
    }


def stored_per_chuc(counts: pd.DataFrame, conversions: list[tuple[int, list[dict]]]):
    """Series -> nuts in its chục, for the stored series whose latest price came from an
    ingest that read it per chục (``forecast.store.written_prices``): a bulletin quotes a
    series as the depot writes it now. A depot that wrote Dừa khô per chục of 12 for a year,
    then per chục of 14, gets it back per chục of 14 (the history's 12 would quote this
    week's 174.000 as 149.143); one that writes Dừa xiêm per trái gets it per trái."""
    read_per_chuc = {
        (ingest_id, tuple(c[column] for column in _SERIES)): _chuc_size(c)
        for ingest_id, found in conversions
        for c in found
        if from_chuc(c)
    }
    if not read_per_chuc:
        return {}
    nuts = counts[counts["unit"] == "nut"]
    latest = nuts.sort_values(["last_date", "ingest_id"]).groupby(_SERIES, sort=False).tail(1)
    sizes = {}
    for row in latest.itertuples(index=False):
        key = tuple(getattr(row, column) for column in _SERIES)
        size = read_per_chuc.get((int(row.ingest_id), key))
        if size is not None:
            sizes[key] = size
    return sizes


def quote_per_chuc(frame: pd.DataFrame | None, sizes: dict[tuple, int]):
    """``frame`` (prices or forecasts) with the series in ``sizes`` per chục: every price
    column (price, forecast, actual, lower_L, upper_L) times the series' chục, unit ``chục``."""
    return _requote(frame, sizes, per_chuc=True)


def series_of(key: tuple) -> tuple:
    """A price key (``forecast.table.KEY``) as ``sizes`` name its series (no unit)."""
    commodity, market, price_type, _unit, currency = key
    return (commodity, market, price_type, currency)


def quote_per_nut(frame: pd.DataFrame | None, sizes: dict[tuple, int]):
    """:func:`quote_per_chuc` undone: the series in ``sizes`` back per nut, as the store
    keeps them (a bulletin's forecasts are archived in the store's units)."""
    return _requote(frame, sizes, per_chuc=False)


def _requote(frame: pd.DataFrame | None, sizes: dict[tuple, int], *, per_chuc: bool):
    if frame is None or not sizes or frame.empty:
        return frame
    series = pd.MultiIndex.from_frame(frame[_SERIES])
    factor = pd.Series(series.map(lambda key: sizes.get(tuple(key))), index=frame.index)
    rows = factor.notna() & (frame["unit"] == ("nut" if per_chuc else CHUC))
    if not rows.any():
        return frame
    out = frame.copy()
    columns = price_columns(out)
    factor = factor[rows].astype(float)
    out.loc[rows, columns] = out.loc[rows, columns].mul(factor if per_chuc else 1 / factor, axis=0)
    out.loc[rows, "unit"] = CHUC if per_chuc else "nut"
    return out


__all__ = [
    "quote_per_chuc",
    "quote_per_nut",
    "series_of",
    "stored_per_chuc",
    "written_per_chuc",
]
