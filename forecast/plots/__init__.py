"""Figures: fan charts, seasonal profiles, backtests and price alerts.

Every chart function returns a :class:`matplotlib.figure.Figure` built without pyplot (an Agg
canvas, so it draws in threads, worker processes and on servers with no screen); it never
shows or saves anything. Pass ``ax=`` to draw into your own layout, and :func:`save_figure`
to write PNG or SVG. Text is set in DejaVu Sans (every Vietnamese glyph) per figure, never in
the global rcParams. ``lang="vi"`` gives Vietnamese words, ``T3`` for March and ``45.000``
for forty-five thousand.

::

    fan_chart(history, forecast, title=..., unit_label=unit_label("VND", "kg", "vi"), lang="vi")
    seasonal_profile(history, title=..., harvest_rows=match_commodity("Rice", load_calendar()))
    backtest_chart(history, backtest_rows, title=...)
    alerts_chart(alps_rows, title=...)
"""

from forecast.plots.alerts import ALPS_BANDS, alerts_chart, alps_band
from forecast.plots.backtest import backtest_chart
from forecast.plots.common import (
    FONT,
    chart_title,
    format_number,
    save_figure,
    series_slug,
    series_unit_label,
    unit_label,
)
from forecast.plots.coverage import COVERAGE_LONGEST, coverage_chart
from forecast.plots.fan import fan_chart, forecast_levels
from forecast.plots.seasonal import seasonal_index, seasonal_profile

__all__ = [
    "ALPS_BANDS",
    "COVERAGE_LONGEST",
    "FONT",
    "alerts_chart",
    "alps_band",
    "backtest_chart",
    "chart_title",
    "coverage_chart",
    "fan_chart",
    "forecast_levels",
    "format_number",
    "save_figure",
    "seasonal_index",
    "seasonal_profile",
    "series_slug",
    "series_unit_label",
    "unit_label",
]
