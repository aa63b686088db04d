"""Which periods of each series have a price: one row per series, a bar per priced period."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import date2num
from matplotlib.figure import Figure

from forecast.plots.common import apply_font, figure_and_axes, style_date_axis

#: Series a coverage chart draws unless told otherwise: those with the most prices.
COVERAGE_LONGEST = 40
#: Inches per series row, and around the rows (title, date axis).
_ROW_INCHES, _FRAME_INCHES = 0.22, 1.3


def coverage_chart(
    prices: pd.DataFrame,
    *,
    title: str = "Periods with a price",
    longest: int | None = COVERAGE_LONGEST,
    lang: str = "en",
    ax: Axes | None = None,
) -> Figure:
    """One row per series of ``prices``, a bar over every period that has a price.

    Each priced period is drawn as a bar one period wide, so a lone month between two empty
    ones shows as well as a run of years (a line between consecutive prices drew nothing for
    it). Rows with no price (NaN, e.g. cleaning's estimates blanked by
    :func:`forecast.table.observed_prices`) are gaps.

    With more than ``longest`` series (``None``: no limit) only the ``longest`` with the most
    prices are drawn, in key order, and a note under the chart says how many were left out and
    how to choose; the figure is as tall as its rows need. The keys drawn are in
    ``fig.coverage_keys``, the number left out in ``fig.coverage_left_out``.
    """
    from forecast.table import iter_series, series_label

    series = [(key, y) for key, y in iter_series(prices) if y.notna().any()]
    left_out = 0
    if longest is not None and len(series) > longest:
        counts = sorted(range(len(series)), key=lambda i: -int(series[i][1].notna().sum()))
        keep = set(counts[:longest])
        left_out = len(series) - len(keep)
        series = [item for i, item in enumerate(series) if i in keep]
    height = max(3.0, _FRAME_INCHES + _ROW_INCHES * len(series) + 0.3 * bool(left_out))
    fig, ax = figure_and_axes(ax, (11, height))
    for row, (_, y) in enumerate(series):
        priced = y.notna().to_numpy()
        step = y.index.freq or pd.tseries.frequencies.to_offset(pd.infer_freq(y.index) or "MS")
        starts = y.index[priced & ~pd.Series(priced).shift(1, fill_value=False).to_numpy()]
        ends = y.index[priced & ~pd.Series(priced).shift(-1, fill_value=False).to_numpy()]
        spans = [
            (date2num(start), date2num(end + step) - date2num(start))
            for start, end in zip(starts, ends, strict=True)
        ]
        # An edge as wide as a hairline keeps a one-period bar visible on a decades-long axis.
        ax.broken_barh(
            spans, (row - 0.35, 0.7), facecolor="#1d3557", edgecolor="#1d3557", linewidth=0.6
        )
    ax.set_yticks(range(len(series)), [series_label(key) for key, _ in series], fontsize=8)
    ax.set_ylim(len(series) - 0.5, -0.5)
    ax.xaxis_date()
    style_date_axis(ax, lang)
    ax.set_title(title, loc="left", fontweight="bold")
    ax.grid(axis="x", color="#dddddd")
    ax.set_axisbelow(True)
    if left_out:
        ax.set_xlabel(
            f"The {len(series)} series with the most prices; {left_out:,} more left out\n"
            "(choose with select_series, or draw them all with longest=None)",
            fontsize=9,
            loc="left",
        )
    apply_font(ax)
    fig.coverage_keys = [key for key, _ in series]
    fig.coverage_left_out = left_out
    return fig
