"""The fan chart: recent prices, the forecast and its ranges, and the harvest months."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from forecast.plots.common import (
    FORECAST_COLOUR,
    GAP_COLOUR,
    HELD_BACK_COLOUR,
    HISTORY_COLOUR,
    apply_font,
    figure_and_axes,
    fit_limits,
    format_number,
    harvest_handles,
    harvest_profile,
    month_year,
    plot_prices,
    price_formatter,
    shade_harvest_dates,
    shade_tet,
    style_date_axis,
    tidy_axes,
    without_tet,
    words,
)


def forecast_levels(forecast: pd.DataFrame) -> list[int | float]:
    """Interval levels present in a forecast frame (``lower_L`` and ``upper_L``), narrow first."""
    found = []
    for column in forecast.columns:
        match = re.fullmatch(r"lower_(\d+(?:\.\d+)?)", str(column))
        if match and f"upper_{match.group(1)}" in forecast.columns:
            value = float(match.group(1))
            found.append((value, match.group(1)))
    return [int(v) if v.is_integer() else v for v, _ in sorted(found)]


def _dated(forecast: pd.DataFrame) -> pd.DataFrame:
    """The forecast indexed by date, whether dates are a column (the long table) or the index."""
    frame = forecast.set_index("date") if "date" in forecast.columns else forecast
    frame = frame.sort_index()
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise ValueError("the forecast needs dates: a 'date' column or a DatetimeIndex")
    if "forecast" not in frame.columns:
        raise ValueError("the forecast frame has no 'forecast' column")
    return frame


def _model_title(frame: pd.DataFrame, lang: str) -> str | None:
    """'model: ets' when the forecast says which one model made it."""
    if "model" not in frame.columns:
        return None
    names = frame["model"].dropna().unique()
    return words(lang)["model"].format(model=names[0]) if len(names) == 1 else None


def _axes_points(ax: Axes) -> tuple[float, float]:
    """The axes' width and height in points."""
    fig = ax.get_figure()
    box = ax.get_position()
    return box.width * fig.get_figwidth() * 72, box.height * fig.get_figheight() * 72


def _text_points(label: str) -> float:
    """Estimated width in points of ``label`` (its longest line) in bold 10 pt."""
    return 0.62 * 10 * max(len(line) for line in label.splitlines())


def _fitted_label(ax: Axes, label: str) -> str:
    """``label`` on two lines (the price, then its date) when on one it would take more than
    half the axes: a week's date ("tuần 24–30/11/2025") on a phone-width chart made it
    wider than the room left of the dot, and placed right of it, past the axes, it squeezed
    the plot into a strip."""
    if " (" in label and _text_points(label) > 0.45 * _axes_points(ax)[0]:
        return label.replace(" (", "\n(", 1)
    return label


def _label_offset(ax: Axes, history: pd.Series, last_date, last_price: float, label: str):
    """Where the last-price label goes: ``(dy in points, va, ha)``, clear of the recent prices.

    The label sits left of the dot, right-aligned. Its width is estimated from its length;
    candidate boxes above and below, nearest first, are tested against the history line
    and the first one no segment crosses wins (else the least crossed). A history too short
    for the label to fit left of the dot (a few weeks) puts it right of the dot, over the
    fan, rather than across the price axis.
    """
    from matplotlib.dates import date2num

    width_pt, height_pt = _axes_points(ax)
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    lines = label.splitlines()
    label_w = _text_points(label) / width_pt * (xlim[1] - xlim[0])
    label_h = 18 * len(lines) / height_pt * (ylim[1] - ylim[0])
    x = date2num(history.index.to_pydatetime())
    y = history.to_numpy(float)
    ha = "right"
    near = x >= date2num(last_date) - label_w - 0.01 * (xlim[1] - xlim[0])
    if date2num(last_date) - label_w - 0.02 * (xlim[1] - xlim[0]) < xlim[0]:
        ha, near = "left", np.zeros(len(x), bool)  # no history right of the dot
    y = y[near]
    lows, highs = np.fmin(y[:-1], y[1:]), np.fmax(y[:-1], y[1:])
    candidates = []
    for gap_pt in (14, 40, 70):
        gap = gap_pt / height_pt * (ylim[1] - ylim[0])
        for sign in (1, -1):
            lo = last_price + gap if sign > 0 else last_price - gap - label_h
            hi = lo + label_h
            if lo < ylim[0] or hi > ylim[1]:
                continue
            crossed = int(np.sum((highs >= lo) & (lows <= hi)))
            candidates.append((crossed, gap_pt * sign))
            if crossed == 0:
                return gap_pt * sign, "bottom" if sign > 0 else "top", ha
    dy = min(candidates)[1] if candidates else 14
    return dy, "bottom" if dy > 0 else "top", ha


def fan_chart(
    history: pd.Series,
    forecast: pd.DataFrame,
    *,
    title: str,
    unit_label: str,
    harvest_months: pd.DataFrame | list[int] | None = None,
    last_n: int | None = None,
    ax: Axes | None = None,
    lang: str = "en",
    future_harvest_months: pd.DataFrame | list[int] | None = None,
    held_back: pd.Series | None = None,
) -> Figure:
    """Prices so far, then the forecast with its ranges, over the harvest months.

    Parameters
    ----------
    history
        Prices on a DatetimeIndex (one series, e.g. from :func:`forecast.table.iter_series`);
        NaN gaps show as gaps.
    forecast
        The series' forecast: ``date`` (column or index), ``forecast`` and ``lower_L`` /
        ``upper_L`` per level, as in ``ForecastRun.forecasts`` or ``SeriesForecast.forecast``.
        Each level is a band; wider levels are lighter.
    title
        The chart title (e.g. ``series_label(key)``).
    unit_label
        The y axis label, e.g. ``unit_label("VND", "kg", lang)`` -> ``"đồng/kg"``.
    harvest_months
        Calendar rows of the commodity (:func:`forecast.calendar.match_commodity`): harvest
        months are shaded over history and forecast, peak months darker. Month numbers work
        too (no peak). ``None`` or no rows: no shading.
    last_n
        Show only the last ``last_n`` periods of history; ``None`` shows all.
    ax
        Draw on this axes (its figure is returned); ``None`` makes a new figure.
    lang
        ``"en"`` or ``"vi"``: legend words, month names, ``45.000`` for forty-five thousand.
    future_harvest_months
        The harvest months of the forecast period, when they differ from the past's (a
        late-harvest scenario): the past keeps ``harvest_months``, which had drawn past
        harvests two months late too. ``None``: ``harvest_months`` throughout.
    held_back
        Prices the forecast left out as probably mistyped, by date (451.000 among weeks of
        47.000): left out of the line and of the axis, as the forecast left them, and each marked
        with its price, at the axis's edge when beyond it, so the depot sees it and can
        check it, as the bulletin's note asks. ``history`` may hold them or not (a gap, or
        a latest price held back: marked where the forecast starts).

    Returns
    -------
    matplotlib.figure.Figure
        Never shown or saved here; see :func:`forecast.plots.save_figure`.
    """
    text = words(lang)
    if not isinstance(history.index, pd.DatetimeIndex):
        raise ValueError("history needs a DatetimeIndex")
    history = history.sort_index().astype(float)
    held_back = _held_back_in(history, held_back)
    # A gap, as in the bulletin's chart: a line up to 451.000 and down again would still
    # show the typo as a price, and stretch the axis tenfold.
    history = history.mask(history.index.isin(held_back.index))
    observed = history.dropna()
    if observed.empty:
        raise ValueError("history has no prices")
    last_date, last_price = observed.index[-1], float(observed.iloc[-1])
    # Found on the whole history: a window that starts inside a gap has no price before it.
    gaps = unpriced_spans(history)
    if last_n is not None:
        if last_n < 1:
            raise ValueError(f"last_n must be at least 1, not {last_n}")
        history = history.loc[:last_date].iloc[-last_n:]
    frame = _dated(forecast)
    levels = forecast_levels(frame)

    fig, ax = figure_and_axes(ax, (10, 5.2))
    tidy_axes(ax)

    # Forecast lines and bands start at the last price so the fan opens from it.
    dates = pd.DatetimeIndex([last_date]).append(frame.index)
    median = np.r_[last_price, frame["forecast"].to_numpy(float)]
    handles: list = [
        Line2D([], [], color=HISTORY_COLOUR, linewidth=2, label=text["price"]),
        Line2D([], [], color=FORECAST_COLOUR, linewidth=2, linestyle="--", label=text["forecast"]),
    ]
    n_levels = len(levels)
    for i, level in reversed(list(enumerate(levels))):
        # Narrowest band darkest: 0.38 for 80%, 0.16 for 95%.
        alpha = 0.38 - 0.22 * (i / max(n_levels - 1, 1)) if n_levels > 1 else 0.3
        lower = np.r_[last_price, frame[f"lower_{level}"].to_numpy(float)]
        upper = np.r_[last_price, frame[f"upper_{level}"].to_numpy(float)]
        ax.fill_between(
            dates, lower, upper, color=FORECAST_COLOUR, alpha=alpha, linewidth=0, zorder=2
        )
        handles.insert(
            2,
            Patch(facecolor=FORECAST_COLOUR, alpha=alpha, label=text["range"].format(level=level)),
        )
    plot_prices(ax, history, color=HISTORY_COLOUR, linewidth=2, zorder=3)
    ax.plot(dates, median, color=FORECAST_COLOUR, linewidth=2, linestyle="--", zorder=4)

    start, end = history.index[0], frame.index[-1] if len(frame) else last_date
    rows, tet = without_tet(harvest_months)  # the run-up to Tết is dated from Tết day
    profile = harvest_profile(rows)
    # Harvests are shaded where there are prices or forecasts: a planner read the 20 months
    # WFP did not price An Giang's rice as harvests over an empty axis. The gap says so.
    gaps = [(max(left, start), right) for left, right in gaps if right > start]
    for left, right in gaps:
        ax.text(
            left + (right - left) / 2,
            0.5,
            text["no_prices"],
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="center",
            color=GAP_COLOUR,
            fontsize=9,
            style="italic",
        )
    split = end
    if future_harvest_months is not None:
        # The past runs through the last price's period: the forecast starts after it.
        split = frame.index[0] if len(frame) else end
        shade_harvest_dates(ax, split, end, harvest_profile(without_tet(future_harvest_months)[0]))
    for left, right in _between(start, split, gaps):
        shade_harvest_dates(ax, left, right, profile)
    tet = tet and shade_tet(ax, start, end) > 0
    handles += harvest_handles(profile, harvest_months, lang, tet=tet)

    core = np.r_[history.to_numpy(float), median]
    if levels:
        inner, outer = levels[0], levels[-1]
        core = np.r_[core, frame[f"lower_{inner}"], frame[f"upper_{inner}"]]
        outer_values = np.r_[frame[f"lower_{outer}"], frame[f"upper_{outer}"]].astype(float)
    else:
        outer_values = np.array([])
    ax.set_ylim(*fit_limits(core.astype(float), outer_values))
    ax.set_xlim(start, end)
    if levels:
        _say_range_cut(ax, frame, levels[-1], lang)
    # Up to the chart's end: a latest price held back sits where the forecast starts.
    held_back = held_back[(held_back.index >= start) & (held_back.index <= end)]
    if len(held_back):
        marker = _mark_held_back(ax, held_back, lang)
        handles.append(
            Line2D(
                [],
                [],
                color=HELD_BACK_COLOUR,
                marker=marker,
                linestyle="none",
                label=text["held_back"],
            )
        )

    # The last actual price: the number a farmer compares the forecast with.
    label = text["last"].format(value=format_number(last_price, lang), date=_when(history, lang))
    label = _fitted_label(ax, label)
    dy, va, ha = _label_offset(ax, history, last_date, last_price, label)
    ax.plot([last_date], [last_price], "o", color=HISTORY_COLOUR, markersize=7, zorder=5)
    ax.annotate(
        label,
        (last_date, last_price),
        xytext=(-8 if ha == "right" else 8, dy),
        textcoords="offset points",
        ha=ha,
        va=va,
        fontsize=10,
        fontweight="bold",
        color=HISTORY_COLOUR,
        bbox={
            "boxstyle": "round,pad=0.25",
            "facecolor": "white",
            "edgecolor": "none",
            "alpha": 0.85,
        },
        arrowprops={"arrowstyle": "-", "color": HISTORY_COLOUR, "lw": 0.8, "shrinkB": 4}
        if abs(dy) > 14
        else None,
        zorder=6,
    )

    style_date_axis(ax, lang)
    ax.yaxis.set_major_formatter(price_formatter(lang))
    ax.set_ylabel(unit_label)
    ax.set_title(title, loc="left", fontsize=13, fontweight="bold")
    # Below the axes: never on top of prices, whatever their shape.
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.07),
        fontsize=9,
        frameon=False,
        ncol=min(len(handles), 6),
        title=_model_title(frame, lang),
        title_fontsize=9,
    )
    apply_font(ax)
    return fig


#: Months without a price, in a row, that a fan chart marks as a gap (and shades no harvest
#: in): shorter ones are a month or two a publisher skipped.
UNPRICED_MONTHS = 6


def unpriced_spans(history: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """``(start, end)`` of each run of ``UNPRICED_MONTHS`` or more months with no price in
    ``history`` (a series on its grid, gaps NaN), from the last price before it to the first
    after it."""
    priced = history.dropna().index
    spans = []
    for before, after in zip(priced[:-1], priced[1:], strict=True):
        months = (after.year - before.year) * 12 + after.month - before.month - 1
        if months >= UNPRICED_MONTHS:
            spans.append((before, after))
    return spans


def _between(start, end, gaps) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """``[start, end]`` less the ``gaps`` in it."""
    spans, left = [], start
    for gap_start, gap_end in gaps:
        if gap_end <= left or gap_start >= end:
            continue
        if gap_start > left:
            spans.append((left, gap_start))
        left = max(left, gap_end)
    if left < end:
        spans.append((left, end))
    return spans


def _say_range_cut(ax: Axes, frame: pd.DataFrame, level, lang: str) -> None:
    """Where the widest range runs off the chart (the axis fits the prices and the
    narrower range), say how far it goes, at that edge: a 95 % band cut at the top read
    as a range that stopped there."""
    text = words(lang)
    low, high = ax.get_ylim()
    for column, beyond, edge, va in (
        (f"upper_{level}", "beyond_up", high, "top"),
        (f"lower_{level}", "beyond_down", low, "bottom"),
    ):
        values = frame[column].astype(float)
        far = values.max() if va == "top" else values.min()
        if not np.isfinite(far) or (far <= high if va == "top" else far >= low):
            continue
        ax.annotate(
            text[beyond].format(level=f"{float(level):g}", value=format_number(far, lang)),
            (1.0, edge),
            xycoords=("axes fraction", "data"),
            xytext=(-4, -4 if va == "top" else 4),
            textcoords="offset points",
            ha="right",
            va=va,
            fontsize=8,
            color=FORECAST_COLOUR,
        )


def _held_back_in(history: pd.Series, held_back: pd.Series | None) -> pd.Series:
    """The held-back prices from ``history``'s first price on, each at its own price: the
    bulletin's history comes without them (a gap where one was, or, for its latest price,
    no date at all), ``plot``'s still holds them."""
    if held_back is None or not len(held_back):
        return pd.Series(dtype=float, index=pd.DatetimeIndex([]))
    found = pd.Series(held_back.to_numpy(float), index=pd.DatetimeIndex(held_back.index))
    found = found.dropna().sort_index()
    return found[found.index >= history.dropna().index.min()]


def _mark_held_back(ax: Axes, held_back: pd.Series, lang: str) -> str:
    """A cross at each held-back price, with the price beside it; one beyond the axis sits
    at its edge, pointing the way it lies, so the axis keeps the prices the forecast used.
    Returns the first mark's marker, for the legend."""
    from matplotlib.dates import date2num
    from matplotlib.transforms import blended_transform_factory

    low, high = ax.get_ylim()
    left, right = ax.get_xlim()
    edge = blended_transform_factory(ax.transData, ax.transAxes)
    markers = []
    for date, price in zip(date2num(held_back.index.to_pydatetime()), held_back, strict=True):
        label = f"{format_number(price, lang)}?"
        # Left of the mark when the room right of it is short: a latest price held back, at
        # the forecast's start on a phone-sized chart, ran its price out of the chart into
        # the margin, where a longer price would be cut.
        room = (right - date) / (right - left) * _axes_points(ax)[0]
        ha, dx = ("right", -7) if room < 0.62 * 9 * len(label) + 7 else ("left", 7)
        # Just inside the edge: on it, the mark ran into the title.
        if price > high:
            where, transform, marker, va = 0.97, edge, "^", "top"
        elif price < low:
            where, transform, marker, va = 0.03, edge, "v", "bottom"
        else:
            where, transform, marker, va = price, ax.transData, "X", "bottom"
        ax.plot(
            [date],
            [where],
            marker=marker,
            color=HELD_BACK_COLOUR,
            markersize=9,
            linestyle="none",
            transform=transform,
            clip_on=False,
            zorder=6,
        )
        ax.annotate(
            label,
            (date, where),
            xycoords=transform,
            xytext=(dx, -4 if va == "top" else 4),
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=9,
            fontweight="bold",
            color=HELD_BACK_COLOUR,
            zorder=6,
        )
        markers.append(marker)
    return markers[0]


def _when(history: pd.Series, lang: str) -> str:
    """The last price's period: its month, or for weekly prices its week ("tuần 3–9/11/2025"),
    as the bulletin names it (a week's Monday read as a month said "T12/2025")."""
    from forecast.bulletin.wording import period_label

    dates = pd.DatetimeIndex(history.dropna().index)
    weekly = len(dates) > 1 and (dates[-1] - dates[-2]).days < 28
    return period_label(dates[-1], "weekly", lang) if weekly else month_year(dates[-1], lang)
