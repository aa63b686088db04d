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
from forecast.typical_year import (  # noqa: F401  (seasonal_index: forecast.plots' own)
    MIN_MONTHS_A_YEAR,
    MIN_MONTHS_WITH_LEVEL,
    MIN_YEARS,
    seasonal_index,
)


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
