"""What every cropcast chart shares: a figure that is safe to draw anywhere, the font, words
in English or Vietnamese, units in the user's terms, number and date labels, harvest shading,
and saving.

Charts build on :class:`matplotlib.figure.Figure` with an Agg canvas, never on pyplot's global
state, so they can be drawn in threads, worker processes and servers with no screen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import Formatter

from forecast.table import check_lang, unit_label

#: Ships with matplotlib and has every Vietnamese glyph (ă, ơ, ư, đ and the stacked tones).
FONT = "DejaVu Sans"

# The palette: dark history, warm forecast, green harvest; readable in grey print too.
HISTORY_COLOUR = "#1d3557"
FORECAST_COLOUR = "#d9480f"
HARVEST_COLOUR = "#2f9e44"
GAP_COLOUR = "#868e96"  # "no prices" over months a publisher did not price
HELD_BACK_COLOUR = "#c92a2a"  # a price left out as mistyped: for the depot to check
HARVEST_ALPHA, PEAK_ALPHA = 0.08, 0.22

TEXT = {
    "en": {
        "price": "Price",
        "no_prices": "no prices",
        "forecast": "Forecast",
        "range": "{level}% range",
        "harvest": "Harvest ({region})",
        "season": "{season} ({region})",
        "peak": "Harvest peak",
        "last": "Last: {value} ({date})",
        "average": "Average of the 12 months around",
        "season_ylabel": "% vs the 12 months around",
        "highest": "Usually highest: {month} ({pct})",
        "lowest": "Usually lowest: {month} ({pct})",
        "median": "Typical year: median of {n} years ({first}–{last})",
        "median_range": "Typical year: median of {fewest}–{n} years a month ({first}–{last})",
        "no_level": "No typical level yet (one year only): {months}",
        "iqr": "Middle half of years",
        "actual": "Actual price",
        "from": "Forecast from {date}",
        "cutoff": "Forecast made",
        "alps_ylabel": "ALPS: price vs. expected (std. deviations)",
        "alps": "ALPS",
        "latest": "Latest: {value} ({band})",
        "normal": "normal",
        "low": "low",
        "stress": "stress",
        "alert": "alert",
        "crisis": "crisis",
        "model": "model: {model}",
        "held_back": "Perhaps mistyped: not used",
        "beyond_up": "{level}% range goes up to {value}",
        "beyond_down": "{level}% range goes down to {value}",
    },
    "vi": {
        "price": "Giá",
        "no_prices": "không có giá",
        "forecast": "Dự báo",
        "range": "Vùng {level}%",  # "Khoảng 80%" read as "about 80 %"
        "harvest": "Thu hoạch ({region})",
        "season": "{season} ({region})",
        "peak": "Thu hoạch rộ",
        "last": "Mới nhất: {value} ({date})",
        "average": "Trung bình 12 tháng quanh đó",
        "season_ylabel": "% so với trung bình 12 tháng quanh đó",
        "highest": "Thường cao nhất: {month} ({pct})",
        "lowest": "Thường thấp nhất: {month} ({pct})",
        "median": "Năm điển hình: trung vị {n} năm ({first}–{last})",
        "median_range": "Năm điển hình: trung vị {fewest}–{n} năm mỗi tháng ({first}–{last})",
        "no_level": "Chưa có mức điển hình (mới có một năm): {months}",
        "iqr": "Một nửa số năm ở giữa",
        "actual": "Giá thực tế",
        "from": "Dự báo từ {date}",
        "cutoff": "Thời điểm dự báo",
        "alps_ylabel": "ALPS: giá so với mức dự kiến (độ lệch chuẩn)",
        "alps": "ALPS",
        "latest": "Mới nhất: {value} ({band})",
        "normal": "bình thường",
        "low": "thấp",
        "stress": "hơi cao",
        "alert": "cao",
        "crisis": "rất cao",
        "model": "mô hình: {model}",
        "held_back": "Có thể nhập sai: không dùng",
        "beyond_up": "Vùng {level}% lên đến {value}",
        "beyond_down": "Vùng {level}% xuống đến {value}",
    },
}

MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "vi": tuple(f"T{m}" for m in range(1, 13)),  # "tháng 3" is written T3 on charts and boards
}

REGIONS_VI = {
    "Mekong Delta": "ĐBSCL",
    "Central Highlands": "Tây Nguyên",
    "Southeast": "Đông Nam Bộ",
    "Central Highlands, Southeast": "Tây Nguyên, ĐNB",
    "Red River Delta": "ĐBSH",
}


def words(lang: str) -> dict[str, str]:
    return TEXT[check_lang(lang)]


def series_unit_label(key: tuple, lang: str = "en") -> str:
    """A series' price unit as its bulletin says it: :func:`unit_label`, with a piece counted
    as the commodity is ("LKR/trái" for Sri Lanka's coconuts in Vietnamese, where the charts
    said "LKR/cái" beside a bulletin's "LKR/trái")."""
    from forecast.bulletin.wording import count_word

    commodity, _market, _price_type, unit, currency = key
    label = unit_label(currency, unit, lang)
    piece = count_word(commodity, unit, lang)
    return f"{label.split('/', 1)[0]}/{piece}" if piece else label


#: Price types as a Vietnamese reader says them; others are kept as written.
_PRICE_TYPES_VI = {
    "wholesale": "Bán sỉ",  # as the Mekong Delta says it (the north's "bán buôn")
    "retail": "Bán lẻ",
    "farmgate": "Giá tại vườn",
    "producer": "Giá tại vườn",
    "international": "Thế giới",
}


def chart_title(key: tuple, lang: str = "en", unit: str | None = None) -> str:
    """A series' name as its chart's title: ``Rice | An Giang | Wholesale | đồng/kg`` in
    English (the names of the commodity and market kept as written), ``Gạo – An Giang |
    Bán sỉ | đồng/kg`` in Vietnamese, the series named as the bulletin names it.

    A Vietnamese reader got "Rice | Bac Lieu | Bán buôn" (two languages) and "Coconut oil |
    world | Thế giới" (the world twice): a price type that says the market again ("Thế
    giới" of a world price) is left out. The unit is :func:`series_unit_label`'s, as the y
    axis says it: ``Dừa | ... | đồng/nut`` in English, never ``VND/nut`` over ``đồng/trái``;
    ``unit`` gives the axis's words where the caller says the unit otherwise ("đồng/chục
    of 12 nuts")."""
    commodity, market, price_type, _unit, _currency = key
    unit_words = unit or series_unit_label(key, lang)
    if check_lang(lang) == "en":
        return f"{commodity} | {market} | {price_type} | {unit_words}"
    from forecast.bulletin.wording import commodity_name, market_name

    market_vi = market_name(market, lang)
    kind = _PRICE_TYPES_VI.get(str(price_type).strip().casefold(), str(price_type))
    parts = [f"{commodity_name(commodity, lang)} – {market_vi}"]
    if kind.casefold() != market_vi.casefold():
        parts.append(kind)
    return " | ".join([*parts, unit_words])


def format_number(value: float, lang: str = "en", decimals: int | None = None) -> str:
    """``45000`` -> ``"45,000"`` (en) or ``"45.000"`` (vi, as Vietnamese prices are written).

    ``decimals`` defaults to 0 from 100 up, else 2 (USD 4.35/kg).
    """
    if value is None or not np.isfinite(value):
        return "–"
    if decimals is None:
        decimals = 0 if abs(value) >= 100 else 2
    text = f"{value:,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text.replace("-", "−")


def format_percent(value: float, lang: str = "en") -> str:
    """``+4.2%`` / ``+4,2%`` with a true minus sign."""
    text = f"{value:+.1f}%"
    if lang == "vi":
        text = text.replace(".", ",")
    return text.replace("-", "−")


class PriceFormatter(Formatter):
    """Price ticks with the language's separators and one number of decimals for all ticks.

    ``2``, ``2.5``, ``3`` would look uneven; the axis shows ``2.0``, ``2.5``, ``3.0``, and
    ``45,000`` (en) or ``45.000`` (vi) for đồng.
    """

    def __init__(self, lang: str):
        self.lang = check_lang(lang)
        self.decimals: int | None = None

    def format_ticks(self, values) -> list[str]:
        self.decimals = next(
            (d for d in range(4) if np.allclose(np.round(values, d), values, rtol=0, atol=1e-9)),
            4,
        )
        try:
            return [self(v) for v in values]
        finally:
            self.decimals = None

    def __call__(self, x: float, pos=None) -> str:
        return format_number(x, self.lang, self.decimals)


def price_formatter(lang: str) -> PriceFormatter:
    """Axis tick labels for prices (see :class:`PriceFormatter`)."""
    return PriceFormatter(lang)


def month_name(month: int, lang: str) -> str:
    return MONTHS[check_lang(lang)][int(month) - 1]


def month_year(date: pd.Timestamp, lang: str) -> str:
    """``Jun 2022`` / ``T6/2022``."""
    sep = "/" if lang == "vi" else " "
    return f"{month_name(date.month, lang)}{sep}{date.year}"


#: Prices closer together than this are weekly, not monthly.
_WEEKLY_SPACING = pd.Timedelta(days=28)


def date_freq(*dates) -> str:
    """``"weekly"`` when any two of the dates (DatetimeIndex, Series or lists) are less than
    four weeks apart, else ``"monthly"``: how a chart should name a date of those series."""
    found = pd.DatetimeIndex([])
    for some in dates:
        found = found.append(pd.DatetimeIndex(pd.to_datetime(some)))
    found = found.dropna().unique().sort_values()
    if len(found) < 2:
        return "monthly"
    return "weekly" if (found[1:] - found[:-1]).min() < _WEEKLY_SPACING else "monthly"


def period_name(date: pd.Timestamp, freq: str, lang: str) -> str:
    """The period of ``date`` as the bulletin names it: a month (``Oct 2025``, ``T10/2025``)
    or, for weekly prices, its week (``week of 6–12 Oct 2025``, ``tuần 6–12/10/2025``)."""
    if freq != "weekly":
        return month_year(pd.Timestamp(date), lang)
    from forecast.bulletin.wording import period_label

    return period_label(pd.Timestamp(date), "weekly", check_lang(lang))


class DateFormatter(Formatter):
    """Date ticks with no locale: the year on a January tick, the month or day on others,
    and the year added to the first tick shown and to the first of each new year.

    With the year on January ticks only, an axis from April 2024 to October 2025 began
    "Apr, Jul, Oct" with no year, and one of a few months (a short backtest, weekly prices)
    or one crossing the new year in weeks ("23 Dec", "6 Jan") showed none at all.
    """

    def __init__(self, lang: str):
        self.lang = check_lang(lang)

    def format_ticks(self, values) -> list[str]:
        from matplotlib.dates import num2date

        shown = self._shown(values)
        labels, year = [], None
        for value, visible in zip(values, shown, strict=True):
            date = num2date(value)
            labels.append(self._label(date, with_year=visible and date.year != year))
            if visible:
                year = date.year
        return labels

    def _shown(self, values) -> list[bool]:
        """Which ticks fall inside the axis: the locator gives some beyond its ends too."""
        if self.axis is None:
            return [True] * len(values)
        low, high = sorted(self.axis.get_view_interval())
        return [low <= v <= high for v in values]

    def _label(self, date, *, with_year: bool) -> str:
        if date.month == 1 and date.day == 1:
            return str(date.year)
        month = month_name(date.month, self.lang)
        if with_year:
            month = month_year(date, self.lang)  # "Apr 2024", "T4/2024"
        return month if date.day == 1 else f"{date.day} {month}"

    def __call__(self, value: float, pos=None) -> str:
        from matplotlib.dates import num2date

        return self._label(num2date(value), with_year=False)


def date_formatter(lang: str) -> DateFormatter:
    """Date ticks that always show the year (see :class:`DateFormatter`)."""
    return DateFormatter(lang)


def style_date_axis(ax: Axes, lang: str) -> None:
    from matplotlib.dates import AutoDateLocator

    locator = AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(date_formatter(lang))


# --------------------------------------------------------------------------- figures


def figure_and_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """A new figure on an Agg canvas, or the figure holding the caller's ``ax``."""
    if ax is not None:
        get = getattr(ax, "get_figure", None)
        try:
            fig = get(root=True)  # the Figure even when ax sits in a SubFigure (mpl >= 3.10)
        except TypeError:
            fig = ax.figure
        return fig, ax
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)  # so fig.canvas.draw() and savefig work with no pyplot, no screen
    return fig, fig.add_subplot()


def plot_prices(ax: Axes, prices: pd.Series, **line) -> None:
    """``prices`` as a line, and each price with a gap on both sides as a dot: a line
    joins neighbours only, so a series of prices months apart drew nothing at all."""
    ax.plot(prices.index, prices.to_numpy(float), **line)
    there = prices.notna().to_numpy()
    before = np.r_[False, there[:-1]]
    after = np.r_[there[1:], False]
    lone = there & ~before & ~after
    if lone.any():
        colour, zorder = line.get("color"), line.get("zorder")
        size = 2.2 * float(line.get("linewidth", line.get("lw", 1.5)))
        ax.plot(
            prices.index[lone],
            prices.to_numpy(float)[lone],
            "o",
            color=colour,
            markersize=size,
            zorder=zorder,
            linestyle="none",
        )


def fit_limits(core: np.ndarray, outer: np.ndarray) -> tuple[float, float]:
    """Y limits that fit ``core`` (prices, forecasts, narrowest range) and let ``outer`` run off.

    A 95% range that quadruples by the last month would otherwise squash the history into a
    flat line; it is still drawn, just cut at the edge of the chart.
    """
    core = core[np.isfinite(core)]
    outer = outer[np.isfinite(outer)]
    lo, hi = float(core.min()), float(core.max())
    span = hi - lo or abs(hi) * 0.1 or 1.0
    if outer.size:
        lo = max(min(lo, float(outer.min())), lo - 0.5 * span)
        hi = min(max(hi, float(outer.max())), hi + 0.5 * span)
    if hi - lo < 0.02 * max(abs(hi), abs(lo)):
        # Flat (one price, or a price that never moved): a span of a few đồng would print
        # ticks like 6,999.96 ... 7,000.04 and make noise look like moves. ±5 % of the price.
        middle = (hi + lo) / 2
        lo, hi = middle - (0.05 * abs(middle) or 1.0), middle + (0.05 * abs(middle) or 1.0)
    pad = 0.05 * (hi - lo or 1.0)
    return max(lo - pad, 0.0) if lo >= 0 else lo - pad, hi + pad


def tidy_axes(ax: Axes) -> None:
    """Light grid, no box on the top and right: the data, not the frame."""
    ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def apply_font(ax: Axes) -> None:
    """Set DejaVu Sans on every text of the chart on ``ax``, tick labels made later included.

    Set per text, not in rcParams, so a chart never changes the fonts of other figures, nor
    of the caller's other axes when drawn with ``ax=``.
    """
    for text in ax.findobj(Text):
        text.set_fontfamily(FONT)
    ax.tick_params(labelfontfamily=FONT)


# --------------------------------------------------------------------------- harvest


def harvest_profile(harvest: pd.DataFrame | Iterable[int] | None) -> np.ndarray:
    """Harvest intensity by month number (index 1..12; 0 unused) from calendar rows.

    ``harvest`` is calendar rows of one commodity (:func:`forecast.calendar.match_commodity`),
    month numbers (each counted as a harvest month, no peak), or ``None`` (no harvest).
    """
    from forecast.calendar import HARVEST, harvest_intensity

    profile = np.zeros(13)
    if harvest is None:
        return profile
    if isinstance(harvest, pd.DataFrame):
        if harvest.empty:
            return profile
        months = pd.date_range("2001-01-01", periods=12, freq="MS")
        profile[1:] = harvest_intensity(months, harvest).to_numpy()
        return profile
    for month in harvest:
        if not 1 <= int(month) <= 12:
            raise ValueError(f"harvest month {month!r} is outside 1–12")
        profile[int(month)] = max(profile[int(month)], HARVEST)
    return profile


def harvest_region(harvest, lang: str) -> str:
    if isinstance(harvest, pd.DataFrame) and "region" in harvest and len(harvest):
        region = str(harvest["region"].iloc[0])
    else:
        region = "Mekong Delta"
    return REGIONS_VI.get(region, region) if lang == "vi" else region


def _year_round_seasons(harvest) -> list[str]:
    """The season names of a calendar whose every row is a crop picked all year (its
    ``picked`` column): the band then marks a season of more output or of demand, and
    calling it a harvest misleads, as the calendar's notes say. Else none."""
    from forecast.calendar import picked_all_year

    if not isinstance(harvest, pd.DataFrame) or harvest.empty or "season" not in harvest:
        return []
    # The words the bulletin's notes accept too ("quanh năm", "year-round").
    if not all(picked_all_year(row) for _, row in harvest.iterrows()):
        return []
    return list(dict.fromkeys(str(s) for s in harvest["season"]))


def harvest_handles(profile: np.ndarray, harvest, lang: str, *, tet: bool = False) -> list[Patch]:
    """Legend entries for the shading actually drawn (``tet``: a run-up to Tết was)."""
    from forecast.bulletin.wording import season_name
    from forecast.calendar import PEAK

    text = words(lang)
    handles = []
    if (profile > 0).any() or tet:
        region = harvest_region(harvest, lang)
        label = text["harvest"].format(region=region)
        seasons = _year_round_seasons(harvest)
        if seasons:  # coconut, pomelo: picked every month; the band is a season, not a harvest
            # In the chart's language, as the bulletin's notes name it: "Rainy season", not
            # the calendar's "Mùa mưa", on an English chart.
            names = dict.fromkeys(season_name(season, lang) for season in seasons)
            label = text["season"].format(season=", ".join(names), region=region)
        handles.append(Patch(facecolor=HARVEST_COLOUR, alpha=HARVEST_ALPHA * 2, label=label))
    if (profile >= PEAK).any():
        handles.append(Patch(facecolor=HARVEST_COLOUR, alpha=PEAK_ALPHA * 1.6, label=text["peak"]))
    return handles


def without_tet(harvest):
    """``(rows, tied)``: calendar rows but those of a run-up to Tết, and whether there were
    any. Tết moves from year to year, so such a season is shaded from Tết day (see
    :func:`shade_tet`), not on the calendar's months, as the bulletin's note dates it."""
    from forecast.calendar import tied_to_tet

    if not isinstance(harvest, pd.DataFrame) or harvest.empty or "season" not in harvest:
        return harvest, False
    tied = harvest.apply(tied_to_tet, axis=1).astype(bool)
    return harvest[~tied], bool(tied.any())


def shade_tet(ax: Axes, start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Shade the ``TET_LEAD_WEEKS`` before each Tết day between two dates; returns spans."""
    from forecast.calendar import TET_LEAD_WEEKS, tet_days

    start, end, drawn = pd.Timestamp(start), pd.Timestamp(end), 0
    for tet in tet_days():
        left, right = max(tet - pd.Timedelta(weeks=TET_LEAD_WEEKS), start), min(tet, end)
        if left < right:
            ax.axvspan(
                left, right, color=HARVEST_COLOUR, alpha=HARVEST_ALPHA, linewidth=0, zorder=0
            )
            drawn += 1
    return drawn


def shade_harvest_dates(ax: Axes, start: pd.Timestamp, end: pd.Timestamp, profile) -> int:
    """Shade the harvest months between two dates (peak darker); returns spans drawn.

    Consecutive months of one intensity become one span, so ten years stay light to draw.
    """
    from forecast.calendar import PEAK

    if not (profile > 0).any():
        return 0
    first = pd.Timestamp(start).to_period("M").to_timestamp()
    months = pd.date_range(first, pd.Timestamp(end), freq="MS")
    level = profile[months.month]
    drawn = 0
    i = 0
    while i < len(months):
        j = i
        while j + 1 < len(months) and level[j + 1] == level[i]:
            j += 1
        if level[i] > 0:
            left = max(months[i], pd.Timestamp(start))
            right = min(months[j] + pd.offsets.MonthBegin(1), pd.Timestamp(end))
            alpha = PEAK_ALPHA if level[i] >= PEAK else HARVEST_ALPHA
            ax.axvspan(left, right, color=HARVEST_COLOUR, alpha=alpha, linewidth=0, zorder=0)
            drawn += 1
        i = j + 1
    return drawn


# --------------------------------------------------------------------------- files


def series_slug(key: tuple | str) -> str:
    """An ASCII file name stem for a series key: 'rice-an-giang-wholesale-vnd-kg'.

    Vietnamese marks are dropped (Mỏ Cày Bắc -> mo-cay-bac; đ -> d).
    """
    if isinstance(key, str):
        parts = [key]
    else:
        commodity, market, price_type, unit, currency = key
        parts = [commodity, market, price_type, currency, unit]
    text = " ".join(str(p) for p in parts).replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "series"


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 150) -> Path:
    """Write ``fig`` as PNG, or SVG when ``path`` ends in ``.svg``; returns the path written.

    A path with no suffix gets ``.png``. Folders are created. SVG text is drawn as paths, so
    Vietnamese shows on machines without DejaVu Sans.

    Raises
    ------
    ValueError
        For a suffix other than ``.png`` or ``.svg``.
    """
    from forecast.io.replace import replaced

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == "":
        path = path.with_name(path.name + ".png")
        suffix = ".png"
    if suffix not in (".png", ".svg"):
        raise ValueError(f"cannot save a chart as '{path.suffix}': use .png or .svg")
    path.parent.mkdir(parents=True, exist_ok=True)
    # No timestamp in the file: the same chart gives the same bytes (diffable artefacts).
    metadata = {"Date": None} if suffix == ".svg" else None
    with replaced(path, "--out") as temporary:  # a chart cut short is no chart
        fig.savefig(temporary, format=suffix[1:], dpi=dpi, metadata=metadata)
    return path
