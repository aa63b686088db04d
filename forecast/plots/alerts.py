"""Price alerts: the ALPS indicator over time against WFP's bands."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from forecast.anomaly import ALPS_LOW, alps_shown_band, shown_value
from forecast.errors import CropcastError
from forecast.plots.common import (
    HISTORY_COLOUR,
    apply_font,
    figure_and_axes,
    format_number,
    month_year,
    style_date_axis,
    tidy_axes,
    words,
)

#: WFP ALPS bands: (name, from, to, fill colour, text colour); each includes its lower edge.
ALPS_BANDS: tuple[tuple[str, float, float, str, str], ...] = (
    ("normal", -np.inf, 0.25, "#ebfbee", "#2b8a3e"),
    ("stress", 0.25, 1.0, "#fff9db", "#e67700"),
    ("alert", 1.0, 2.0, "#fff0e0", "#d9480f"),
    ("crisis", 2.0, np.inf, "#ffe3e3", "#c92a2a"),
)


#: What the chart draws: WFP's bands, with a price far below its usual level (under
#: ``ALPS_LOW``) shown as low, as the table and the bulletin name it, not in "normal".
DRAWN_BANDS: tuple[tuple[str, float, float, str, str], ...] = (
    ("low", -np.inf, ALPS_LOW, "#e7f5ff", "#1c5fa8"),
    ("normal", ALPS_LOW, 0.25, *ALPS_BANDS[0][3:]),
    *ALPS_BANDS[1:],
)


def alps_band(value: float) -> str:
    """The band an ALPS value falls in: normal < 0.25 <= stress < 1 <= alert < 2 <= crisis."""
    for name, low, high, _, _ in ALPS_BANDS:
        if low <= value < high:
            return name
    return "normal"  # NaN


def _on_grid(values: pd.Series) -> pd.Series:
    """Missing months as NaN, so a gap in prices is a gap in the line, not a straight jump."""
    from forecast.table import FREQ_ALIASES, infer_freq

    try:
        freq = FREQ_ALIASES[infer_freq(values.index)]
    except CropcastError:
        return values
    return values.reindex(pd.date_range(values.index[0], values.index[-1], freq=freq))


def alerts_chart(
    alps_frame: pd.DataFrame,
    *,
    title: str,
    ax: Axes | None = None,
    lang: str = "en",
) -> Figure:
    """ALPS over time on coloured bands (normal, stress, alert, crisis), the latest named.

    Parameters
    ----------
    alps_frame
        One series' rows of ``forecast.anomaly.alps``: ``date`` (column or index) and
        ``alps``; other columns (key, ``price``, ``fitted``, ``band``) are ignored. Bands
        are read from the value with WFP's thresholds, so the chart and the table agree.
    title
        The chart title.
    ax
        Draw on this axes (its figure is returned); ``None`` makes a new figure.
    lang
        ``"en"`` or ``"vi"``.
    """
    text = words(lang)
    from forecast.plots.backtest import _one_series

    _one_series(alps_frame, "ALPS frame")
    frame = alps_frame.set_index("date") if "date" in alps_frame.columns else alps_frame
    if not isinstance(frame.index, pd.DatetimeIndex) or "alps" not in frame.columns:
        raise ValueError("the ALPS frame needs dates (a 'date' column) and an 'alps' column")
    values = frame["alps"].astype(float).sort_index()
    values = _on_grid(values)
    observed = values.dropna()
    if observed.empty:
        raise ValueError("the ALPS frame has no values")

    fig, ax = figure_and_axes(ax, (10, 4.8))
    tidy_axes(ax)
    ax.grid(False)
    low = min(float(observed.min()) - 0.3, -1.5)
    high = max(float(observed.max()) + 0.3, 2.6)
    right_edge = blended_transform_factory(ax.transAxes, ax.transData)
    for name, band_low, band_high, fill, ink in DRAWN_BANDS:
        bottom, top = max(band_low, low), min(band_high, high)
        ax.axhspan(bottom, top, color=fill, lw=0, zorder=0)
        ax.text(  # outside the right edge, where no price can sit under it
            1.008,
            (bottom + top) / 2,
            text[name],
            transform=right_edge,
            ha="left",
            va="center",
            fontsize=9,
            fontweight="bold",
            color=ink,
            zorder=1,
        )
    for edge in (ALPS_LOW, 0.25, 1.0, 2.0):
        ax.axhline(edge, color="#ced4da", lw=0.8, zorder=1)

    ax.plot(values.index, values.to_numpy(), color=HISTORY_COLOUR, lw=1.4, zorder=3)
    inks = {name: ink for name, *_, ink in DRAWN_BANDS}
    ax.scatter(
        observed.index,
        observed.to_numpy(),
        c=[inks[alps_shown_band(v)] for v in observed],
        s=10,
        zorder=4,
        linewidths=0,
    )
    last_date, last_value = observed.index[-1], float(observed.iloc[-1])
    # WFP's bands grade spikes only: a price far below its usual level is named low.
    band = alps_shown_band(last_value)
    # The latest value, ringed on the line and named above the chart where no data can be.
    ax.plot([last_date], [last_value], "o", ms=11, mfc="none", mec=inks[band], mew=2, zorder=5)
    # One decimal, or as many as keep it in its band: 0.9758 is "0.98 (stress)", not "1.0".
    shown, decimals = shown_value(last_value, "alps", 1)
    ax.set_title(
        text["latest"].format(value=format_number(shown, lang, decimals), band=text[band])
        + f" · {month_year(last_date, lang)}",
        loc="right",
        fontsize=10,
        fontweight="bold",
        color=inks[band],
    )
    ax.set_ylim(low, high)
    room = (values.index[-1] - values.index[0]) * 0.015  # so the ring is not cut
    ax.set_xlim(values.index[0], values.index[-1] + room)
    style_date_axis(ax, lang)
    ax.set_ylabel(text["alps_ylabel"])
    ax.set_title(title, loc="left", fontsize=13, fontweight="bold")
    apply_font(ax)
    return fig
