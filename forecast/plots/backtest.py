"""How past forecasts did: the actual prices against the forecasts made at each cutoff."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from forecast.plots.common import (
    HISTORY_COLOUR,
    apply_font,
    date_freq,
    figure_and_axes,
    fit_limits,
    period_name,
    plot_prices,
    price_formatter,
    series_unit_label,
    style_date_axis,
    tidy_axes,
    words,
)
from forecast.plots.common import (
    unit_label as _unit_label,
)
from forecast.plots.fan import forecast_levels
from forecast.table import KEY

#: How strongly each forecast's range is tinted, on the chart and in its legend swatch.
BAND_ALPHA = 0.12


def _one_series(table: pd.DataFrame, what: str) -> None:
    key_columns = [c for c in KEY if c in table.columns]
    if key_columns and table[key_columns].drop_duplicates().shape[0] > 1:
        raise ValueError(f"the {what} holds several series; pass the rows of one series")


def backtest_chart(
    history: pd.Series,
    backtest_table: pd.DataFrame,
    *,
    title: str,
    model: str | None = None,
    unit_label: str | None = None,
    ax: Axes | None = None,
    lang: str = "en",
) -> Figure:
    """Actual prices and, from each cutoff, the forecast made then with its narrowest range.

    Parameters
    ----------
    history
        The series' prices on a DatetimeIndex (the actuals, with some context before).
    backtest_table
        One series' rows of :func:`forecast.evaluation.backtest_prices`: ``cutoff``, ``date``,
        ``forecast``, ``lower_L``/``upper_L`` and ``model``.
    title
        The chart title.
    model
        Which model to show when the table holds several.
    unit_label
        The y axis label; by default from the table's ``currency`` and ``unit``.
    ax
        Draw on this axes (its figure is returned); ``None`` makes a new figure.
    lang
        ``"en"`` or ``"vi"``.

    Raises
    ------
    ValueError
        When the table holds several series, several models and no ``model``, or nothing.
    """
    text = words(lang)
    _one_series(backtest_table, "backtest table")
    table = backtest_table
    if "model" in table.columns:
        names = sorted(table["model"].dropna().unique())
        if model is not None:
            table = table[table["model"] == model]
            if table.empty:
                raise ValueError(f"no rows for model {model!r}; the table has {', '.join(names)}")
        elif len(names) > 1:
            raise ValueError(f"the table holds models {', '.join(names)}: choose one with model=")
        model = model or (names[0] if names else None)
    table = table.dropna(subset=["forecast"])
    if table.empty:
        raise ValueError("the backtest table has no forecasts")
    if unit_label is None and set(KEY) <= set(table.columns):
        unit_label = series_unit_label(tuple(table[c].iloc[0] for c in KEY), lang)
    elif unit_label is None and {"currency", "unit"} <= set(table.columns):
        unit_label = _unit_label(table["currency"].iloc[0], table["unit"].iloc[0], lang)
    levels = forecast_levels(table)
    level = levels[0] if levels else None

    cutoffs = sorted(pd.to_datetime(table["cutoff"].unique()))
    # Each forecast is named by the period it was made from: weekly cutoffs by their week,
    # two of the same month would both read "Forecast from Oct 2025".
    freq = date_freq(history.index, table["date"], cutoffs)
    first_cutoff, last_date = cutoffs[0], pd.Timestamp(table["date"].max())
    # Context before the first cutoff: as long as the windows, and at least a year.
    context = max(last_date - first_cutoff, pd.Timedelta(days=366))
    start = first_cutoff - context
    history = history.sort_index().astype(float)
    shown = history.loc[start : max(last_date, history.index[-1])]

    fig, ax = figure_and_axes(ax, (10, 5.2))
    tidy_axes(ax)
    plot_prices(ax, shown, color=HISTORY_COLOUR, lw=2, zorder=3)
    handles: list = [Line2D([], [], color=HISTORY_COLOUR, lw=2, label=text["actual"])]
    colours = colormaps["plasma"](np.linspace(0.08, 0.72, len(cutoffs)))
    # The ranges count in the limits: the chart shows how far the prices strayed from them.
    core, bands = [shown.to_numpy()], []
    for cutoff, colour in zip(cutoffs, colours, strict=True):
        rows = table[table["cutoff"] == cutoff].sort_values("date")
        dates = pd.DatetimeIndex(rows["date"])
        values = rows["forecast"].to_numpy(float)
        anchor = history.get(cutoff, np.nan)
        if np.isfinite(anchor):  # start the line at the price known at the cutoff
            dates = pd.DatetimeIndex([cutoff]).append(dates)
            values = np.r_[anchor, values]
        ax.plot(dates, values, color=colour, lw=1.8, linestyle="--", zorder=4)
        if level is not None:
            lower = rows[f"lower_{level}"].to_numpy(float)
            upper = rows[f"upper_{level}"].to_numpy(float)
            band_dates = pd.DatetimeIndex(rows["date"])
            if np.isfinite(anchor):
                band_dates = pd.DatetimeIndex([cutoff]).append(band_dates)
                lower, upper = np.r_[anchor, lower], np.r_[anchor, upper]
            ax.fill_between(
                band_dates, lower, upper, color=colour, alpha=BAND_ALPHA, lw=0, zorder=2
            )
            core += [lower, upper]
            bands.append(Patch(facecolor=colour, alpha=BAND_ALPHA, lw=0))
        ax.axvline(cutoff, color=colour, lw=1, linestyle=":", alpha=0.9, zorder=1)
        if np.isfinite(anchor):
            ax.plot([cutoff], [anchor], "D", color=colour, ms=6, mec="white", zorder=5)
        core.append(values)
        handles.append(
            Line2D(
                [],
                [],
                color=colour,
                lw=1.8,
                linestyle="--",
                marker="D",
                ms=5,
                mec="white",
                label=text["from"].format(date=period_name(cutoff, freq, lang)),
            )
        )
    labels = [handle.get_label() for handle in handles]
    if bands:  # the ranges are in each forecast's colour: a swatch of them, one stripe each
        handles.append(tuple(bands))
        labels.append(text["range"].format(level=level))
    ax.set_ylim(*fit_limits(np.concatenate(core), np.array([])))
    ax.set_xlim(shown.index[0], max(last_date, shown.index[-1]))
    style_date_axis(ax, lang)
    ax.yaxis.set_major_formatter(price_formatter(lang))
    if unit_label:
        ax.set_ylabel(unit_label)
    ax.set_title(title, loc="left", fontsize=13, fontweight="bold")
    ax.legend(
        handles=handles,
        labels=labels,
        handler_map={tuple: HandlerTuple(ndivide=None, pad=0)},
        loc="upper center",
        bbox_to_anchor=(0.5, -0.07),
        fontsize=9,
        frameon=False,
        ncol=3,
        title=text["model"].format(model=model) if model else None,
        title_fontsize=9,
    )
    apply_font(ax)
    return fig
