"""Prices in the unit the depot quotes them in: coconuts by the chục, not by the nut.

Cleaning puts every series in one canonical unit, so that markets compare: a chục (12 to 16
nuts, as the market counts it) becomes nuts. A farmer reads "Dừa khô 156.000đ/chục", not
"13.000đ/trái", a number no depot quotes. So a bulletin made from a file whose series was
written per chục (most of its prices) quotes that series per chục again: its prices, its
forecasts and last period's forecasts, times the nuts in a chục (``--chuc``, default 12).
Made from the store, which keeps nuts, it quotes coconuts in đồng by the chục, as the
Mekong Delta's depots do.
Forecasts are made in logs, so a forecast per chục is the forecast per nut times the chục.
"""

from __future__ import annotations

import pandas as pd

from forecast.clean.units import CHUC, from_chuc
from forecast.table import interpolated

#: Columns holding prices, in price tables and forecast tables alike.
_PRICE_COLUMNS = ("price", "forecast", "actual")


def written_per_chuc(report, prices: pd.DataFrame, chuc_size: int = 12) -> set[tuple]:
    """The (commodity, market, price_type, currency) whose prices the file wrote per chục:
    more than half of the series' prices, as ``report`` (a cleaning report) converted them."""
    if report is None:
        return set()
    rows: dict[tuple, int] = {}
    for c in report.conversions:
        if from_chuc(c, chuc_size):
            key = (c["commodity"], c["market"], c["price_type"], c["currency"])
            rows[key] = rows.get(key, 0) + int(c["rows"])
    if not rows:
        return set()
    nuts = prices[prices["unit"] == "nut"]
    written = nuts[~interpolated(nuts)]
    counts = written.groupby(["commodity", "market", "price_type", "currency"]).size()
    return {key for key, n in rows.items() if 2 * n > int(counts.get(key, 0))}


def coconuts_by_the_nut(prices: pd.DataFrame, calendar=None) -> set[tuple]:
    """The (commodity, market, price_type, currency) of coconut series in đồng per nut.

    With no file to say how a series was written (the store keeps canonical units, and so
    does the embedded data), the depot's custom decides: in the Mekong Delta coconuts are
    quoted by the chục. Coconut oil and watermelon ("Dưa") are not coconuts.
    """
    from forecast.calendar import load_calendar, match_commodity

    nuts = prices[(prices["unit"] == "nut") & (prices["currency"] == "VND")]
    if nuts.empty:
        return set()
    calendar = load_calendar() if calendar is None else calendar
    keys = nuts[["commodity", "market", "price_type", "currency"]].drop_duplicates()
    return {
        tuple(key)
        for key in keys.itertuples(index=False)
        if "Coconut" in set(match_commodity(key.commodity, calendar)["commodity"])
    }


def quote_per_chuc(frame: pd.DataFrame | None, keys: set[tuple], chuc_size: int = 12):
    """``frame`` (prices or forecasts) with the series in ``keys`` per chục: every price
    column (price, forecast, actual, lower_L, upper_L) times ``chuc_size``, unit ``chục``."""
    if frame is None or not keys or frame.empty:
        return frame
    series = pd.MultiIndex.from_frame(frame[["commodity", "market", "price_type", "currency"]])
    rows = series.isin(list(keys)) & (frame["unit"] == "nut").to_numpy()
    if not rows.any():
        return frame
    out = frame.copy()
    columns = [c for c in out.columns if c in _PRICE_COLUMNS or c.startswith(("lower_", "upper_"))]
    out.loc[rows, columns] = out.loc[rows, columns] * chuc_size
    out.loc[rows, "unit"] = CHUC
    return out


__all__ = ["coconuts_by_the_nut", "quote_per_chuc", "written_per_chuc"]
