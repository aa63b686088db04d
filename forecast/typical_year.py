"""The typical year of a series: each calendar month's price against the year around it.

Notebook 02 draws it, ``cropcast plot --kind season`` charts it, the what-if scenarios of
notebook 04 move it, and the bulletin checks a harvest note against it: all from
:func:`seasonal_index`, over the same years, of the prices someone wrote: each caller
blanks cleaning's estimates first (``forecast.table.observed_prices``). Counted as prices,
the estimates in a filled gap made a year of ten months count in the chart and not in the
bulletin's note, which read one year fewer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: A year counts when it has prices in at least this many months: the mean of a half year
#: (say January to June) would make those months look average whatever the season does.
MIN_MONTHS_A_YEAR = 10
#: The fewest such years for a "typical" year to mean anything.
MIN_YEARS = 2
#: Fewest months with a typical level for a chart: 25 months gave one dot, July's.
MIN_MONTHS_WITH_LEVEL = 6


#: The typical year is that of the last this many years of a series: world prices since
#: 1960 made a typical year that today's markets no longer keep (cocoa's dearest month was
#: September over 1960-2025, July since 2000), and each reader of it once chose its own span.
TYPICAL_YEARS = 25


def seasonal_index(history: pd.Series) -> pd.DataFrame:
    """The typical price of each calendar month relative to the year around it, in %.

    Each month's price is compared with the centred 12-month average around it (a "2x12"
    moving average of log prices, the classical decomposition's trend):
    ``100 * (price / average - 1)``, ``-3.0`` being 3 % below it. Against its own calendar
    year's mean instead, a rising year made every December look dear and every January
    cheap (for coconut oil December's value followed the year's change with r = 0.93). Only
    years with prices in at least ``MIN_MONTHS_A_YEAR`` months count, of the last
    ``TYPICAL_YEARS`` calendar years of the series, and a month counts where the average
    around it has prices in 11 of its 13 months. Weekly prices are first
    averaged by month (a Monday's week counts in the month holding its Thursday, as in
    ``forecast.calendar``).

    Parameters
    ----------
    history
        One series' prices on a DatetimeIndex; NaN is a missing price.

    Returns
    -------
    pd.DataFrame
        Twelve rows, one a month: ``month`` (1–12), ``median``, ``q25``, ``q75`` (quartiles
        across years, in % vs the 12 months around) and ``years`` (how many years have that
        month; fewer than ``MIN_YEARS`` give NaN). ``attrs["first_year"]`` and
        ``attrs["last_year"]`` name the span.

    Raises
    ------
    ValueError
        When fewer than ``MIN_YEARS`` years have enough months.
    """
    if not isinstance(history.index, pd.DatetimeIndex):
        raise ValueError("history needs a DatetimeIndex")
    y = history.dropna().astype(float)
    if not (np.isfinite(y) & (y > 0)).all():  # log() dropped them and typed the rest
        raise ValueError("prices must be positive and finite: history holds one that is not")
    index = y.index + pd.to_timedelta(np.where(y.index.day_of_week == 0, 3, 0), unit="D")
    monthly = y.groupby([index.year, index.month]).mean()
    monthly.index.names = ["year", "month"]
    months_a_year = monthly.groupby(level="year").size()
    years = months_a_year.index[months_a_year >= MIN_MONTHS_A_YEAR]
    # The months before the span still make the average around its first months.
    years = years[years > monthly.index.get_level_values("year").max() - TYPICAL_YEARS]
    if len(years) < MIN_YEARS:
        raise ValueError(
            f"a seasonal profile needs at least {MIN_YEARS} years with prices in "
            f"{MIN_MONTHS_A_YEAR}+ months; this series has {len(years)}"
        )
    logs = np.log(monthly)
    logs.index = pd.PeriodIndex([f"{y}-{m:02d}" for y, m in monthly.index], freq="M")
    logs = logs.reindex(pd.period_range(logs.index.min(), logs.index.max(), freq="M"))
    # Centred 2x12: the mean of the 12-month means ending 5 and 6 months later.
    twelve = logs.rolling(12, min_periods=10).mean()
    around = (twelve.shift(-5) + twelve.shift(-6)) / 2
    enough = logs.notna().astype(float).rolling(13, center=True).sum() >= 11
    relative = 100 * (np.exp(logs - around.where(enough)) - 1)
    relative = relative[relative.index.year.isin(years)].dropna()
    relative.index = pd.MultiIndex.from_arrays(
        [relative.index.year, relative.index.month], names=["year", "month"]
    )
    if relative.index.get_level_values("year").nunique() < MIN_YEARS:
        raise ValueError(
            f"a seasonal profile needs at least {MIN_YEARS} years with prices in "
            f"{MIN_MONTHS_A_YEAR}+ months; this series has "
            f"{relative.index.get_level_values('year').nunique()} with a year around them"
        )
    by_month = relative.groupby(level="month")
    out = pd.DataFrame(
        {
            "median": by_month.median(),
            "q25": by_month.quantile(0.25),
            "q75": by_month.quantile(0.75),
            "years": by_month.size(),
        }
    ).reindex(range(1, 13))
    out["years"] = out["years"].fillna(0).astype(int)
    # A month seen in one year only has no typical level: its "median" was that year's price
    # and its band of no width looked certain (a new store's first half-year).
    out.loc[out["years"] < MIN_YEARS, ["median", "q25", "q75"]] = np.nan
    if out["median"].notna().sum() < MIN_MONTHS_WITH_LEVEL:
        raise ValueError(
            f"a seasonal profile needs {MIN_MONTHS_WITH_LEVEL} months seen in at least "
            f"{MIN_YEARS} years with the 12 months around them (about two and a half years of "
            f"prices); this series has {len(monthly)} months"
        )
    out = out.rename_axis("month").reset_index()
    out.attrs["first_year"], out.attrs["last_year"] = int(years.min()), int(years.max())
    return out


__all__ = [
    "MIN_MONTHS_A_YEAR",
    "MIN_MONTHS_WITH_LEVEL",
    "MIN_YEARS",
    "TYPICAL_YEARS",
    "seasonal_index",
]
