"""When do prices usually peak? The typical year, month by month, against the harvest."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from forecast.plots.common import (
    HARVEST_ALPHA,
    HARVEST_COLOUR,
    HISTORY_COLOUR,
    PEAK_ALPHA,
    apply_font,
    figure_and_axes,
    format_percent,
    harvest_handles,
    harvest_profile,
    month_name,
    tidy_axes,
    words,
)

#: A year counts when it has prices in at least this many months: the mean of a half year
#: (say January to June) would make those months look average whatever the season does.
MIN_MONTHS_A_YEAR = 10
#: The fewest such years for a "typical" year to mean anything.
MIN_YEARS = 2
#: Fewest months with a typical level for a chart: 25 months gave one dot, July's.
MIN_MONTHS_WITH_LEVEL = 6


def seasonal_index(history: pd.Series) -> pd.DataFrame:
    """The typical price of each calendar month relative to the year around it, in %.

    Each month's price is compared with the centred 12-month average around it (a "2x12"
    moving average of log prices, the classical decomposition's trend):
    ``100 * (price / average - 1)``, ``-3.0`` being 3 % below it. Against its own calendar
    year's mean instead, a rising year made every December look dear and every January
    cheap (for coconut oil December's value followed the year's change with r = 0.93). Only
    years with prices in at least ``MIN_MONTHS_A_YEAR`` months count, and a month counts
    where the average around it has prices in 11 of its 13 months. Weekly prices are first
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
    index = y.index + pd.to_timedelta(np.where(y.index.day_of_week == 0, 3, 0), unit="D")
    monthly = y.groupby([index.year, index.month]).mean()
    monthly.index.names = ["year", "month"]
    months_a_year = monthly.groupby(level="year").size()
    years = months_a_year.index[months_a_year >= MIN_MONTHS_A_YEAR]
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


def _month_runs(months: list[int], lang: str) -> str:
    """[7, 8, 9, 10, 12] -> "Jul–Oct, Dec": runs of consecutive months as spans."""
    runs: list[list[int]] = []
    for month in sorted(months):
        if runs and month == runs[-1][-1] + 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    return ", ".join(
        month_name(run[0], lang) + (f"–{month_name(run[-1], lang)}" if len(run) > 1 else "")
        for run in runs
    )


def _percent_formatter(lang: str) -> FuncFormatter:
    def fmt(value: float, _pos) -> str:
        if abs(value) < 1e-9:
            return "0%"
        text = f"{value:+g}%".replace("-", "−")
        return text.replace(".", ",") if lang == "vi" else text

    return FuncFormatter(fmt)


def seasonal_profile(
    history: pd.Series,
    *,
    title: str,
    harvest_rows: pd.DataFrame | list[int] | None = None,
    ax: Axes | None = None,
    lang: str = "en",
) -> Figure:
    """The typical year: price by calendar month vs the 12 months around, with the harvest.

    A median line over the middle half of years (interquartile band), the peak and trough
    months named, harvest months shaded (peak months darker).

    Parameters
    ----------
    history
        One series' prices on a DatetimeIndex (see :func:`seasonal_index`).
    title
        The chart title.
    harvest_rows
        Calendar rows of the commodity (:func:`forecast.calendar.match_commodity`), or month
        numbers; ``None`` or no rows: no shading.
    ax
        Draw on this axes (its figure is returned); ``None`` makes a new figure.
    lang
        ``"en"`` or ``"vi"``.

    Raises
    ------
    ValueError
        When the series is too short for a profile (see :func:`seasonal_index`).
    """
    text = words(lang)
    index = seasonal_index(history)
    fig, ax = figure_and_axes(ax, (9, 5))
    tidy_axes(ax)
    months = index["month"].to_numpy()

    profile = harvest_profile(harvest_rows)
    from forecast.calendar import PEAK

    for month in range(1, 13):
        if profile[month] > 0:
            alpha = PEAK_ALPHA if profile[month] >= PEAK else HARVEST_ALPHA
            ax.axvspan(month - 0.5, month + 0.5, color=HARVEST_COLOUR, alpha=alpha, lw=0, zorder=0)

    ax.axhline(0, color="#868e96", linewidth=1, linestyle=(0, (4, 3)), zorder=1)
    ax.fill_between(
        months, index["q25"], index["q75"], color=HISTORY_COLOUR, alpha=0.16, lw=0, zorder=2
    )
    ax.plot(months, index["median"], color=HISTORY_COLOUR, lw=2.2, marker="o", ms=5, zorder=3)

    median = index.set_index("month")["median"]
    peak, trough = int(median.idxmax()), int(median.idxmin())
    span = float(np.nanmax(index["q75"]) - np.nanmin(index["q25"])) or 1.0
    # With months of no level (seen in one year only) the dearest and cheapest months are
    # unknown: "usually lowest: Feb" while July, the real trough, had no level misled.
    marked = () if median.isna().any() else ((peak, "highest", 1), (trough, "lowest", -1))
    for month, key, sign in marked:
        value = float(median[month])
        ax.plot([month], [value], "o", ms=10, mfc="none", mec=HISTORY_COLOUR, mew=1.8, zorder=4)
        ax.annotate(
            text[key].format(month=month_name(month, lang), pct=format_percent(value, lang)),
            (month, value),
            xytext=(0, 18 * sign),
            textcoords="offset points",
            ha="right" if month >= 10 else "left" if month <= 3 else "center",
            va="bottom" if sign > 0 else "top",
            fontsize=10,
            fontweight="bold",
            color=HISTORY_COLOUR,
            arrowprops={"arrowstyle": "-", "color": HISTORY_COLOUR, "lw": 1},
            zorder=5,
        )
    low = min(float(np.nanmin(index["q25"])), 0.0)
    high = max(float(np.nanmax(index["q75"])), 0.0)
    ax.set_ylim(low - 0.22 * span, high + 0.22 * span)  # room for the two labels
    ax.set_xlim(0.5, 12.5)
    ax.set_xticks(range(1, 13), [month_name(m, lang) for m in range(1, 13)])
    ax.yaxis.set_major_formatter(_percent_formatter(lang))
    ax.set_ylabel(text["season_ylabel"])
    ax.set_title(title, loc="left", fontsize=13, fontweight="bold")
    if median.isna().any():  # said on the chart, where the line stops
        missing = _month_runs([int(m) for m in median.index[median.isna()]], lang)
        ax.text(
            0.99,
            0.02,
            text["no_level"].format(months=missing),
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=9,
            color="#495057",
        )

    counted = int(index["years"].max())
    fewest = int(index.loc[index["median"].notna(), "years"].min())
    handles = [
        Line2D(
            [],
            [],
            color=HISTORY_COLOUR,
            lw=2.2,
            marker="o",
            ms=5,
            # Months seen in fewer years say so: "median of 2–3 years a month".
            label=text["median" if fewest == counted else "median_range"].format(
                n=counted,
                fewest=fewest,
                first=index.attrs["first_year"],
                last=index.attrs["last_year"],
            ),
        ),
        Patch(facecolor=HISTORY_COLOUR, alpha=0.16, label=text["iqr"]),
        Line2D([], [], color="#868e96", lw=1, linestyle=(0, (4, 3)), label=text["average"]),
        *harvest_handles(profile, harvest_rows, lang),
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        ncol=3,
        fontsize=9,
        frameon=False,
    )
    apply_font(ax)
    return fig
