"""Charts from real prices: titles, labels, bands, harvest shading, Vietnamese text, files.

Sample PNGs land in ``tests/artefacts/`` (gitignored) for a person to look at.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_checks import coconut_depot_files, one_error_line
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from typer.testing import CliRunner

from forecast.backtest import Windows
from forecast.calendar import load_calendar, match_commodity
from forecast.datasets import load_default_prices
from forecast.evaluation import backtest_prices
from forecast.forecasting import ForecastSpec, forecast_prices
from forecast.plots import (
    FONT,
    alerts_chart,
    alps_band,
    backtest_chart,
    chart_title,
    fan_chart,
    format_number,
    save_figure,
    seasonal_index,
    seasonal_profile,
    series_slug,
    series_unit_label,
    unit_label,
)
from forecast.plots.common import HARVEST_ALPHA, HARVEST_COLOUR, PEAK_ALPHA, fit_limits, words
from forecast.table import KEY, iter_series, price_unit, select_series, series_label

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return load_default_prices()


@pytest.fixture(scope="module")
def calendar() -> pd.DataFrame:
    return load_calendar()


def one_series(prices: pd.DataFrame, pattern: str) -> tuple[tuple, pd.Series, pd.DataFrame]:
    chosen = select_series(prices, [pattern])
    (key, y), *rest = list(iter_series(chosen))
    assert not rest, f"{pattern!r} matches several series"
    return key, y, chosen


def naive_forecast(chosen: pd.DataFrame, horizon: int = 12) -> pd.DataFrame:
    return forecast_prices(chosen, ForecastSpec("naive", horizon), n_jobs=1).forecasts


def draw(fig: Figure) -> list[str]:
    """Render with Agg; return the messages of any 'Glyph ... missing' warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def harvest_spans(ax) -> list[tuple[float, float, float]]:
    """(left, right, alpha) of the harvest shading on ``ax``, x in data units."""
    spans = []
    for patch in ax.patches:
        if to_hex(patch.get_facecolor(), keep_alpha=False) == HARVEST_COLOUR:
            left, right = patch.get_x(), patch.get_x() + patch.get_width()
            spans.append((left, right, patch.get_alpha()))
    return spans


def shade_at(ax, x: float) -> float:
    """Alpha of the harvest shading at ``x`` (0 when unshaded)."""
    return max((a for left, right, a in harvest_spans(ax) if left <= x < right), default=0.0)


def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def save_artefact(fig: Figure, name: str) -> Path:
    path = save_figure(fig, ARTEFACTS / name)
    assert path.read_bytes().startswith(PNG_MAGIC)
    return path


# --------------------------------------------------------------------------- units, numbers


@pytest.mark.parametrize(
    ("currency", "unit", "lang", "expected"),
    [
        ("VND", "kg", "vi", "đồng/kg"),
        ("VND", "kg", "en", "đồng/kg"),
        ("VND", "nut", "vi", "đồng/trái"),
        ("VND", "dozen", "vi", "đồng/tá"),
        ("THB", "kg", "vi", "THB/kg"),
        ("THB", "kg", "en", "THB/kg"),
        ("USD", "mt", "vi", "USD/tấn"),
        ("USD", "mt", "en", "USD/t"),
        ("LKR", "nut", "en", "LKR/nut"),
        ("VND", "nut", "en", "đồng/nut"),  # đồng in both languages, the quantity in English
        ("VND", "mt", "en", "đồng/t"),
        ("USD", "bunch", "en", "USD/bunch"),
        ("XXX", "index", "en", "index"),
        ("VND", "cây", "en", "đồng/plant"),  # a seedling's price, per plant
        ("VND", "cây", "vi", "đồng/cây"),  # the World Bank's indices: no currency, not "XXX/"
    ],
)
def test_unit_label_in_the_users_terms(currency, unit, lang, expected):
    assert unit_label(currency, unit, lang) == expected
    # A table's: the stored unit after the currency, an index's alone.
    assert price_unit(currency, unit) == ("index" if currency == "XXX" else f"{currency}/{unit}")


def test_numbers_in_vietnamese_and_english_style():
    assert format_number(45000, "vi") == "45.000"
    assert format_number(45000, "en") == "45,000"
    assert format_number(1234567.0, "vi") == "1.234.567"
    assert format_number(4.5, "vi") == "4,50"
    assert format_number(-1.5, "en", 1) == "−1.5"


def test_series_slug_is_ascii_and_readable():
    assert series_slug(("Dừa", "Mỏ Cày Bắc", "Farmgate", "nut", "VND")) == (
        "dua-mo-cay-bac-farmgate-vnd-nut"
    )
    assert series_slug(("Rice (white)", "Colombo City", "Retail", "kg", "LKR")) == (
        "rice-white-colombo-city-retail-lkr-kg"
    )
    assert series_slug(("Đậu", "x", "y", "kg", "VND")).isascii()


# --------------------------------------------------------------------------- fan chart


def test_fan_chart_rice_an_giang_in_vietnamese(prices, calendar):
    key, y, chosen = one_series(prices, "Rice|An Giang")
    forecast = naive_forecast(chosen)
    rows = match_commodity(key[0], calendar)
    fig = fan_chart(
        y,
        forecast,
        title=series_label(key),
        unit_label=unit_label("VND", "kg", "vi"),
        harvest_months=rows,
        last_n=60,
        lang="vi",
    )
    assert draw(fig) == []
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Rice | An Giang | Wholesale | VND/kg"
    assert ax.get_ylabel() == "đồng/kg"
    assert ax.title.get_fontfamily() == [FONT]

    # Two bands (80 % and 95 %): the 80 % band holds the forecast, the 95 % band holds both.
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    wide, narrow = bands  # drawn widest first, so the narrow band sits on top
    dates = date2num(pd.DatetimeIndex(forecast["date"]))
    median = np.column_stack([dates, forecast["forecast"]])
    inner = np.column_stack(
        [np.r_[dates, dates], np.r_[forecast["lower_80"] * 1.001, forecast["upper_80"] * 0.999]]
    )
    assert narrow.get_paths()[0].contains_points(median[1:]).all()
    assert wide.get_paths()[0].contains_points(inner[1:]).all()
    assert narrow.get_alpha() > wide.get_alpha()  # the 95 % band is the lighter one

    # Đông Xuân peaks in March (darker), Hè Thu in Jul-Aug; May and June are not harvest.
    assert shade_at(ax, date2num(pd.Timestamp("2022-03-15"))) == PEAK_ALPHA
    assert shade_at(ax, date2num(pd.Timestamp("2022-02-15"))) == HARVEST_ALPHA
    assert shade_at(ax, date2num(pd.Timestamp("2022-05-15"))) == 0
    assert shade_at(ax, date2num(pd.Timestamp("2023-03-15"))) == PEAK_ALPHA  # forecast period
    assert "Thu hoạch (ĐBSCL)" in legend_texts(ax)
    assert "Thu hoạch rộ" in legend_texts(ax)  # as the bulletins and the calendar say it
    assert "Vùng 80%" in legend_texts(ax)

    # The last price is marked and written the Vietnamese way; thousands use dots.
    last = float(y.dropna().iloc[-1])
    assert any(format_number(last, "vi") in t.get_text() for t in ax.texts)
    assert any("T6/2022" in t.get_text() for t in ax.texts)
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert any("." in t and t.replace(".", "").isdigit() for t in ticks), ticks
    assert not any("," in t for t in ticks)
    # History is cut to the last 60 months.
    assert ax.get_xlim()[0] == pytest.approx(date2num(y.index[-60]))
    # WFP did not price An Giang's rice from 2019-05 to 2020-12: no harvest is shaded over
    # the empty axis there (a planner read them as harvests), and the gap is named.
    assert shade_at(ax, date2num(pd.Timestamp("2020-03-15"))) == 0
    assert shade_at(ax, date2num(pd.Timestamp("2019-08-15"))) == 0
    assert shade_at(ax, date2num(pd.Timestamp("2019-03-15"))) == PEAK_ALPHA  # before the gap
    assert shade_at(ax, date2num(pd.Timestamp("2021-03-15"))) == PEAK_ALPHA  # after it
    (gap,) = [t for t in ax.texts if t.get_text() == "không có giá"]
    middle = pd.Timestamp(gap.get_position()[0])
    assert pd.Timestamp("2019-05-01") < middle < pd.Timestamp("2020-12-01")
    # A window that starts inside the gap (30 months back from 2022-06: 2020-01) has no
    # price before it there: the gap is found on the whole history (a review).
    late = fan_chart(
        y, forecast, title="", unit_label="", harvest_months=rows, last_n=30, lang="vi"
    ).axes[0]
    assert shade_at(late, date2num(pd.Timestamp("2020-03-15"))) == 0
    assert shade_at(late, date2num(pd.Timestamp("2021-03-15"))) == PEAK_ALPHA
    assert [t.get_text() for t in late.texts].count("không có giá") == 1
    save_artefact(fig, "fan-rice-an-giang-vi.png")


def test_fan_chart_commodity_without_calendar_has_no_harvest(prices, calendar):
    key, y, chosen = one_series(prices, "Cassava flour")
    rows = match_commodity(key[0], calendar)
    assert rows.empty
    fig = fan_chart(
        y,
        naive_forecast(chosen),
        title=series_label(key),
        unit_label=unit_label(key[4], key[3], "en"),
        harvest_months=rows,
        last_n=48,
    )
    assert draw(fig) == []
    ax = fig.axes[0]
    assert ax.get_ylabel() == "THB/kg"
    assert harvest_spans(ax) == []
    assert not any("Harvest" in t for t in legend_texts(ax))
    assert ax.get_legend().get_title().get_text() == "model: naive"
    save_artefact(fig, "fan-cassava-bangkok-en.png")


def test_fan_chart_thai_rice_gets_no_mekong_calendar(prices, calendar):
    key, y, chosen = one_series(prices, "Rice, Thai")
    fig = fan_chart(
        y,
        naive_forecast(chosen),
        title=series_label(key),
        unit_label=unit_label(key[4], key[3], "en"),
        harvest_months=match_commodity(key[0], calendar),
        last_n=36,
    )
    assert fig.axes[0].get_ylabel() == "USD/t"
    assert harvest_spans(fig.axes[0]) == []


def test_fan_chart_wfp_viet_nam_file(shared_data, calendar):
    from forecast.clean import CleanOptions, clean
    from forecast.io import read_prices

    result = clean(read_prices(shared_data / "wfp" / "wfp_food_prices_vnm.csv"), CleanOptions())
    key, y, chosen = one_series(result.prices, "Rice|Dong Thap")
    assert key[3:] == ("kg", "VND")
    fig = fan_chart(
        y,
        naive_forecast(chosen, 6),
        title=series_label(key),
        unit_label=unit_label(key[4], key[3], "en"),
        harvest_months=match_commodity(key[0], calendar),
    )
    assert draw(fig) == []
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == series_label(key)
    assert ax.get_ylabel() == "đồng/kg"
    assert "Harvest (Mekong Delta)" in legend_texts(ax)
    assert shade_at(ax, date2num(pd.Timestamp("2015-03-15"))) == PEAK_ALPHA
    # The whole history is shown when last_n is None; gaps stay gaps (NaN in the line).
    history_line = ax.lines[0]
    assert len(history_line.get_xdata()) == len(y)
    assert np.isnan(np.asarray(history_line.get_ydata(), float)).sum() == y.isna().sum()
    save_artefact(fig, "fan-wfp-rice-dong-thap-en.png")


def test_fan_chart_accepts_month_numbers_and_forecast_indexed_by_date(prices):
    key, y, chosen = one_series(prices, "Rice|Dong Thap")
    forecast = naive_forecast(chosen, 3).set_index("date")
    fig = fan_chart(y, forecast, title="t", unit_label="u", harvest_months=[4, 5], last_n=24)
    alphas = {a for _, _, a in harvest_spans(fig.axes[0])}
    assert alphas == {HARVEST_ALPHA}  # month numbers carry no peak


def test_a_price_with_gaps_on_both_sides_is_drawn_as_a_dot():
    """A reviewer's series of prices some months apart drew an empty chart: a line joins
    neighbours only. Each lone price is a dot; prices with a neighbour stay a line alone."""
    dates = pd.date_range("2023-01-01", periods=12, freq="MS")
    history = pd.Series([50.0, 51, np.nan, 55, np.nan, np.nan, 60, np.nan, 58, 59, np.nan, 62])
    history.index = dates
    forecast = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=3, freq="MS"),
            "forecast": 62.0,
            "lower_80": 55.0,
            "upper_80": 70.0,
        }
    )
    fig = fan_chart(history, forecast, title="t", unit_label="u")
    dots = [
        line
        for line in fig.axes[0].get_lines()
        if line.get_marker() == "o" and line.get_linestyle() == "None" and len(line.get_xdata()) > 1
    ]
    assert len(dots) == 1
    lone = pd.DatetimeIndex(["2023-04-01", "2023-07-01", "2023-12-01"])
    assert list(date2num(dots[0].get_xdata())) == list(date2num(lone))
    assert list(dots[0].get_ydata()) == [55.0, 60.0, 62.0]


def test_charts_draw_on_the_callers_axes(prices, calendar):
    key, y, chosen = one_series(prices, "Rice|An Giang")
    fig = Figure(figsize=(12, 10))
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2)
    table, _ = backtest_prices(chosen, ["naive"], Windows(6, 2), n_jobs=1)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=24, freq="MS"),
            "alps": np.linspace(-1, 2.5, 24),
        }
    )
    made = [
        fan_chart(y, naive_forecast(chosen), title="a", unit_label="u", ax=axes[0, 0]),
        seasonal_profile(y, title="b", ax=axes[0, 1]),
        backtest_chart(y, table, title="c", ax=axes[1, 0]),
        alerts_chart(frame, title="d", ax=axes[1, 1]),
    ]
    assert all(f is fig for f in made)
    assert [ax.get_title(loc="left") for ax in axes.flat] == ["a", "b", "c", "d"]
    assert len(fig.axes) == 4
    assert draw(fig) == []


# --------------------------------------------------------------------------- seasonal profile


def synthetic_march_dip(years: int = 6, dip: float = 0.15, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2015-01-01", periods=12 * years, freq="MS")
    trend = 10_000 * 1.05 ** (np.arange(len(dates)) / 12)  # 5 % a year: the average absorbs it
    season = np.where(dates.month == 3, 1 - dip, 1.0)
    noise = rng.normal(1, 0.01, len(dates))
    return pd.Series(trend * season * noise, index=dates, name="price")


def test_seasonal_index_finds_the_march_trough():
    index = seasonal_index(synthetic_march_dip())
    assert list(index.columns) == ["month", "median", "q25", "q75", "years"]
    assert list(index["month"]) == list(range(1, 13))
    assert index.loc[index["median"].idxmin(), "month"] == 3
    march = index.set_index("month").loc[3]
    assert -17 < march["median"] < -12  # 15 % below the other months, ~13.9 % below the mean
    assert march["q25"] <= march["median"] <= march["q75"]
    # A month counts where the 12 months around it have prices: not the first and last half year.
    assert (index["years"] == 5).all()
    # The trend does not leak into the year's ends: December is no dearer than July.
    others = index.set_index("month")["median"].drop(3)
    assert others.max() - others.min() < 2
    assert (index.attrs["first_year"], index.attrs["last_year"]) == (2015, 2020)


def test_seasonal_index_weekly_prices_and_partial_years():
    monthly = synthetic_march_dip(years=4)
    weekly_dates = pd.date_range("2015-01-05", "2018-12-31", freq="W-MON")
    weekly = monthly.reindex(weekly_dates.to_period("M").to_timestamp()).set_axis(weekly_dates)
    assert seasonal_index(weekly).set_index("month")["median"].idxmin() == 3
    # A year with only half its months does not count.
    cut = monthly.loc[:"2018-06-01"]
    assert seasonal_index(cut).attrs["last_year"] == 2017


def test_a_fan_chart_moves_only_the_forecast_months_harvest():
    """Notebook 04's late harvest drew the harvests of 2021-2022 two months late too."""
    dates = pd.date_range("2021-01-01", periods=24, freq="MS")
    history = pd.Series(np.linspace(100, 120, 24), index=dates)
    future = pd.date_range("2023-01-01", periods=12, freq="MS")
    forecast = pd.DataFrame(
        {"date": future, "forecast": 120.0, "lower_80": 110.0, "upper_80": 130.0}
    )
    args = {"title": "t", "unit_label": "đồng/kg", "harvest_months": [3]}
    ax = fan_chart(history, forecast, **args, future_harvest_months=[5]).axes[0]
    shaded = {
        month: shade_at(ax, date2num(pd.Timestamp(f"{month}-15"))) > 0
        for month in ("2021-03", "2021-05", "2022-03", "2022-05", "2023-03", "2023-05")
    }
    assert shaded == {
        "2021-03": True,
        "2021-05": False,
        "2022-03": True,
        "2022-05": False,
        "2023-03": False,  # the forecast's harvest moved two months on
        "2023-05": True,
    }
    same = fan_chart(history, forecast, **args).axes[0]  # without: one calendar throughout
    assert shade_at(same, date2num(pd.Timestamp("2023-03-15"))) > 0
    # The last price's month (December 2022) is the past's: its harvest stays.
    december = fan_chart(
        history,
        forecast,
        title="t",
        unit_label="đồng/kg",
        harvest_months=[12],
        future_harvest_months=[2],
    ).axes[0]
    at = {
        m: shade_at(december, date2num(pd.Timestamp(f"{m}-15"))) > 0
        for m in ("2022-12", "2023-02", "2023-12")
    }
    assert at == {"2022-12": True, "2023-02": True, "2023-12": False}


def test_a_month_seen_in_one_year_has_no_typical_level():
    """Two and a half years (a new store): January to June had one year each, and the chart
    drew that year's prices as the typical year, with a band of no width that looked sure."""
    short = synthetic_march_dip(years=3).loc["2015-01-01":"2017-06-01"]
    index = seasonal_index(short).set_index("month")
    once = index["years"] < 2
    assert once.any() and index.loc[once, ["median", "q25", "q75"]].isna().all().all()
    assert index.loc[~once, "median"].notna().all()
    # The chart names no dearest or cheapest month (the missing ones may be), and says which
    # months have no level.
    ax = seasonal_profile(short, title="t").axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert not [t for t in texts if t.startswith("Usually")]
    assert "No typical level yet (one year only): Jan–Jun" in texts
    # Two years of prices: every month seen twice, never with a year around it; said so.
    with pytest.raises(ValueError, match=r"half years of prices\); this series has 24 months"):
        seasonal_index(synthetic_march_dip(years=3).loc["2015-01-01":"2016-12-01"])
    # A month more gives July alone a level: one dot is no typical year either.
    with pytest.raises(ValueError, match="needs 6 months seen in at least 2 years"):
        seasonal_index(synthetic_march_dip(years=3).loc["2015-01-01":"2017-01-01"])
    # The legend says how many years a month rests on where they differ.
    mixed = synthetic_march_dip(years=4).loc["2015-01-01":"2018-06-01"]
    counts = seasonal_index(mixed)["years"]
    assert counts.min() >= 2 and counts.min() < counts.max()
    legend = seasonal_profile(mixed, title="t").axes[0].get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert f"median of {counts.min()}–{counts.max()} years a month" in texts[0]


def test_the_typical_year_is_that_of_the_last_25_years():
    """Notebook 02 took prices since 2000 and notebook 04's scenarios the whole history since
    1960: one series, two typical years (cocoa dearest in July, and in September). The typical
    year is now the last TYPICAL_YEARS years' wherever it is read, the year before them still
    making the average around its first months."""
    from forecast.typical_year import TYPICAL_YEARS

    old = synthetic_march_dip(years=20, seed=1)  # 2015-2034: a March dip
    old.index = old.index - pd.DateOffset(years=20)  # 1995-2014
    recent = synthetic_march_dip(years=TYPICAL_YEARS, dip=0.0, seed=2)  # 2015 on: no season
    recent = recent * old.iloc[-1] / recent.iloc[0]
    both = pd.concat([old, recent])
    index = seasonal_index(both)
    last = both.index.max().year
    assert index.attrs["first_year"] == last - TYPICAL_YEARS + 1
    assert index.attrs["last_year"] == last
    assert index["years"].max() == TYPICAL_YEARS
    assert abs(index.set_index("month").loc[3, "median"]) < 1.5  # the old dip is gone
    # The whole history would have kept it (what notebook 04 read).
    assert seasonal_index(old).set_index("month").loc[3, "median"] < -12


def test_seasonal_index_needs_two_full_years():
    with pytest.raises(ValueError, match="at least 2 years"):
        seasonal_index(synthetic_march_dip(years=1))


def test_seasonal_profile_rice_an_giang(prices, calendar):
    key, y, _ = one_series(prices, "Rice|An Giang")
    fig = seasonal_profile(
        y, title=series_label(key), harvest_rows=match_commodity(key[0], calendar)
    )
    assert draw(fig) == []
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == series_label(key)
    assert ax.get_ylabel() == "% vs the 12 months around"
    assert [t.get_text() for t in ax.get_xticklabels()][:3] == ["Jan", "Feb", "Mar"]
    # Harvest months shaded, March (Đông Xuân peak) darker, May not at all.
    assert shade_at(ax, 3) == PEAK_ALPHA
    assert shade_at(ax, 2) == HARVEST_ALPHA
    assert shade_at(ax, 5) == 0
    texts = [t.get_text() for t in ax.texts]
    index = seasonal_index(y).set_index("month")["median"]
    peak, trough = index.idxmax(), index.idxmin()
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    assert any(t.startswith(f"Usually highest: {months[peak - 1]}") for t in texts), texts
    assert any(t.startswith(f"Usually lowest: {months[trough - 1]}") for t in texts), texts
    # Median line and the interquartile band.
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 1
    assert any(t.startswith("Typical year: median of") for t in legend_texts(ax))
    save_artefact(fig, "season-rice-an-giang-en.png")


def test_seasonal_profile_vietnamese_text_renders(prices, calendar):
    key, y, _ = one_series(prices, "Rice, Viet Namese")
    fig = seasonal_profile(
        y,
        title="Gạo xuất khẩu 5% tấm: giá thường đạt đỉnh khi nào?",
        harvest_rows=match_commodity(key[0], calendar),
        lang="vi",
    )
    assert draw(fig) == []
    ax = fig.axes[0]
    assert ax.get_ylabel() == "% so với trung bình 12 tháng quanh đó"
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "T1"
    assert any(t.get_text().startswith("Thường cao nhất: T") for t in ax.texts)
    save_artefact(fig, "season-rice-viet-5-vi.png")


def test_missing_glyph_check_would_catch_a_missing_glyph():
    """The check above is not vacuous: a glyph DejaVu Sans lacks does warn."""
    fig = Figure()
    FigureCanvasAgg(fig)
    fig.add_subplot().set_title("稻", fontfamily=FONT)
    assert draw(fig)


def test_seasonal_profile_without_calendar(prices):
    _, y, _ = one_series(prices, "Sugar")
    fig = seasonal_profile(y, title="Sugar")
    assert harvest_spans(fig.axes[0]) == []


# --------------------------------------------------------------------------- backtest


@pytest.fixture(scope="module")
def viet_rice_backtest(prices):
    key, y, chosen = one_series(prices, "Rice, Viet Namese")
    table, _ = backtest_prices(chosen, ["naive", "drift"], Windows(6, 3), n_jobs=1)
    return key, y, table


def test_backtest_chart_real_rice(viet_rice_backtest):
    key, y, table = viet_rice_backtest
    fig = backtest_chart(y, table, title=series_label(key), model="naive")
    assert draw(fig) == []
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == series_label(key)
    assert ax.get_ylabel() == "USD/t"
    cutoffs = sorted(table["cutoff"].unique())
    assert len(cutoffs) == 3
    forecast_lines = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(forecast_lines) == 3
    colours = {to_hex(line.get_color()) for line in forecast_lines}
    assert len(colours) == 3  # one colour per cutoff
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 3  # 80 % bands
    cutoff_lines = [line for line in ax.lines if line.get_linestyle() == ":"]
    assert sorted(pd.Timestamp(line.get_xdata()[0]) for line in cutoff_lines) == cutoffs
    texts = legend_texts(ax)
    assert texts[0] == "Actual price"
    assert sum(t.startswith("Forecast from") for t in texts) == 3
    assert ax.get_legend().get_title().get_text() == "model: naive"
    save_artefact(fig, "backtest-rice-viet-5-en.png")


def test_weekly_backtest_names_each_forecast_by_its_week():
    """Weekly cutoffs two weeks apart were both "Forecast from Oct 2025": each is named by
    the week it was made from, as the bulletin names weeks; monthly ones keep their month."""
    dates = pd.date_range("2024-06-03", periods=76, freq="W-MON")
    y = pd.Series(45000.0 + 500 * np.sin(np.arange(76) / 5), index=dates, name="price")
    chosen = pd.DataFrame({"date": dates, "price": y.to_numpy()}).assign(
        commodity="Bưởi da xanh",
        market="Mỏ Cày Bắc",
        price_type="Wholesale",
        unit="kg",
        currency="VND",
    )
    table, _ = backtest_prices(chosen, ["naive"], Windows(2, 3), n_jobs=1)
    cutoffs = sorted(pd.to_datetime(table["cutoff"].unique()))
    assert len(cutoffs) == 3 and len({c.month for c in cutoffs}) < 3  # two in one month
    for lang, start in (("en", "Forecast from week of "), ("vi", "Dự báo từ tuần ")):
        fig = backtest_chart(y, table, title="t", lang=lang)
        named = [t for t in legend_texts(fig.axes[0]) if t.startswith(start)]
        assert len(named) == 3 and len(set(named)) == 3, named
    from forecast.bulletin.wording import period_label

    assert named == ["Dự báo từ " + period_label(c, "weekly", "vi") for c in cutoffs]
    first = cutoffs[0]  # a Monday: its week runs to Sunday
    sunday = first + pd.Timedelta(days=6)
    en = legend_texts(backtest_chart(y, table, title="t").axes[0])
    assert en[1].startswith(f"Forecast from week of {first.day}"), en
    assert en[1].endswith(f"{sunday.day} {sunday:%b} {sunday.year}"), en


def test_monthly_backtest_names_each_forecast_by_its_month(viet_rice_backtest):
    _, y, table = viet_rice_backtest
    fig = backtest_chart(y, table, title="t", model="naive", lang="vi")
    named = [t for t in legend_texts(fig.axes[0]) if t.startswith("Dự báo từ ")]
    months = sorted(pd.to_datetime(table["cutoff"].unique()))
    assert named == [f"Dự báo từ T{m.month}/{m.year}" for m in months]


def one_wide_forecast(months: int = 30) -> tuple[pd.Series, pd.DataFrame]:
    """Steady prices and, from one cutoff, a forecast whose 80 % range opens very wide."""
    dates = pd.date_range("2023-01-01", periods=months, freq="MS")
    y = pd.Series(100.0 + 2 * np.sin(np.arange(months)), index=dates, name="price")
    cutoff, ahead = dates[-7], dates[-6:]
    spread = np.linspace(20, 90, 6)
    table = pd.DataFrame(
        {"cutoff": cutoff, "date": ahead, "forecast": 100.0, "model": "naive"}
        | {"lower_80": 100 - spread, "upper_80": 100 + spread}
    )
    return y, table


def test_a_backtest_range_fits_on_the_chart_and_its_swatch_has_its_colour():
    """A store's series showed its 80 % range cut off at the bottom of the chart, and the
    legend's swatch for it was grey beside purple bands: the limits hold every range, and
    the swatch is made of the ranges' own colours."""
    from matplotlib.patches import Rectangle

    y, table = one_wide_forecast()
    ax = backtest_chart(y, table, title="t").axes[0]
    low, high = ax.get_ylim()
    assert low <= table["lower_80"].min() and high >= table["upper_80"].max(), (low, high)
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    drawn = to_hex(band.get_facecolor()[0], keep_alpha=True)
    swatches = {
        to_hex(r.get_facecolor(), keep_alpha=True)
        for r in ax.get_legend().findobj(Rectangle)
        if r.get_visible()
    }
    assert drawn in swatches, (drawn, swatches)


@pytest.mark.parametrize(
    ("first", "last", "years"),
    [
        ("2025-03-03", "2025-06-30", {"2025"}),  # a few months, no January
        ("2024-11-04", "2025-02-24", {"2024", "2025"}),  # weeks across the new year
        ("2024-04-01", "2025-10-01", {"2024", "2025"}),  # from April to the next October
    ],
)
def test_a_date_axis_always_says_the_year(first, last, years):
    """Only January ticks said the year: an axis of a few months, or starting in April,
    showed months with no year, and one of weeks across the new year none at all."""
    from forecast.plots.common import style_date_axis

    for lang in ("en", "vi"):
        fig = Figure(figsize=(10, 5))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        dates = pd.date_range(first, last, freq="W-MON")
        ax.plot(dates, np.arange(len(dates)))
        ax.set_xlim(dates[0], dates[-1])
        style_date_axis(ax, lang)
        fig.canvas.draw()
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert any(year in labels[0] for year in years), labels
        assert all(any(year in label for label in labels) for year in years), labels


def test_backtest_chart_asks_which_model(viet_rice_backtest):
    _, y, table = viet_rice_backtest
    with pytest.raises(ValueError, match="drift, naive"):
        backtest_chart(y, table, title="t")
    with pytest.raises(ValueError, match="no rows for model 'ets'"):
        backtest_chart(y, table, title="t", model="ets")


# --------------------------------------------------------------------------- alerts


def test_alps_band_edges():
    assert [alps_band(v) for v in (-3, 0.24, 0.25, 0.99, 1, 1.99, 2, 9)] == [
        "normal",
        "normal",
        "stress",
        "stress",
        "alert",
        "alert",
        "crisis",
        "crisis",
    ]


def test_alerts_chart_small_frame():
    dates = pd.date_range("2021-01-01", periods=36, freq="MS")
    frame = pd.DataFrame(
        {
            "commodity": "Dừa",
            "market": "Mỏ Cày Bắc",
            "price_type": "Farmgate",
            "unit": "nut",
            "currency": "VND",
            "date": dates,
            "price": 5000.0,
            "fitted": 5000.0,
            "alps": np.sin(np.arange(36) / 4) * 2.4,
        }
    )
    frame = frame.drop(index=[10, 11])  # a gap stays a gap
    fig = alerts_chart(frame, title="Dừa khô | Mỏ Cày Bắc", lang="vi")
    assert draw(fig) == []
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.texts]
    for band in ("bình thường", "hơi cao", "cao", "rất cao"):  # the bulletin's words
        assert band in labels
    assert len(ax.patches) == 5  # the four WFP bands, and "low" below -1
    assert "ALPS" in ax.get_ylabel()
    alps_line = max(ax.lines, key=lambda line: len(line.get_xdata()))
    assert np.isnan(np.asarray(alps_line.get_ydata(), float)).sum() == 2
    assert ax.get_title(loc="right").startswith("Mới nhất: ")
    assert ax.get_title(loc="right").endswith("T12/2023")


def test_alerts_chart_real_alps(prices):
    anomaly = pytest.importorskip("forecast.anomaly")
    key, _, chosen = one_series(prices, "Rice, Viet Namese")
    frame = anomaly.alps(chosen)
    fig = alerts_chart(frame, title=series_label(key))
    assert draw(fig) == []
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == series_label(key)
    labels = [t.get_text() for t in ax.texts]
    assert {"normal", "stress", "alert", "crisis"} <= set(labels)
    latest = frame.sort_values("date").iloc[-1]
    assert ax.get_title(loc="right").startswith("Latest: ")
    # WFP's band, or "low" for a price far below its usual level (Viet rice in late 2025),
    # drawn as a band of its own below -1, where its points sit.
    named = "low" if latest["alps"] < anomaly.ALPS_LOW else latest["band"]
    assert f"({named})" in ax.get_title(loc="right")
    assert "low" in labels
    save_artefact(fig, "alerts-rice-viet-5-en.png")


def test_alerts_chart_refuses_several_series():
    frame = pd.DataFrame(
        {
            **{c: ["a", "b"] for c in KEY},
            "date": pd.to_datetime(["2020-01-01", "2020-01-01"]),
            "alps": [0.1, 0.2],
        }
    )
    with pytest.raises(ValueError, match="several series"):
        alerts_chart(frame, title="t")


# --------------------------------------------------------------------------- files


def test_save_figure_png_svg_and_suffixes(tmp_path):
    fig = Figure()
    fig.add_subplot().set_title("Giá lúa Đông Xuân")
    png = save_figure(fig, tmp_path / "a" / "chart.png")
    assert png.read_bytes().startswith(PNG_MAGIC)
    svg = save_figure(fig, tmp_path / "chart.svg")
    assert svg.read_text().lstrip().startswith("<?xml")
    assert save_figure(fig, tmp_path / "plain").name == "plain.png"
    with pytest.raises(ValueError, match=".jpg"):
        save_figure(fig, tmp_path / "chart.jpg")


# --------------------------------------------------------------------------- CLI

runner = CliRunner()


def run_cli(*args):
    from cli import app

    return runner.invoke(app, ["plot", *map(str, args)])


def written_paths(result) -> list[Path]:
    return [Path(line) for line in result.stdout.splitlines() if line.strip()]


def test_plot_season_reads_the_typical_year_from_written_prices_as_the_bulletin_does(tmp_path):
    """Cleaning fills two-month gaps with estimates; counted as prices, they made 2021 a year
    of 12 months and the chart drew a typical year of two years, where the bulletin's
    harvest note (written prices only: 8 months in 2021) had one year, too few."""
    months = pd.date_range("2019-07-01", "2022-06-01", freq="MS")
    gaps = ("2021-03", "2021-04", "2021-08", "2021-09")
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    rows += [
        f"{d:%Y-%m-%d},Lúa,Mỏ Cày Bắc,Farmgate,kg,VND,{7000 + 50 * d.month}"
        for d in months
        if f"{d:%Y-%m}" not in gaps
    ]
    path = tmp_path / "lua.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run_cli("--kind", "season", "-i", path, "-o", tmp_path / "charts")
    assert not list((tmp_path / "charts").glob("*")), result.output
    assert "this series has 1" in result.output, result.output


@pytest.mark.slow
def test_cli_plot_fan_png(tmp_path):
    result = run_cli("-s", "Rice|An Giang", "--model", "naive", "--out", tmp_path, "-j", "1")
    assert result.exit_code == 0, result.output
    paths = written_paths(result)
    assert paths == [tmp_path / "rice-an-giang-wholesale-vnd-kg-fan.png"]
    data = paths[0].read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 20_000


def test_an_empty_chart_folder_is_refused_not_taken_for_the_current_one(tmp_path, monkeypatch):
    """`--out "$DIR"` with DIR unset drew the charts into the current folder (Path('') is
    '.'), exit 0; `--out .` still means it."""
    monkeypatch.chdir(tmp_path)
    for empty in ("", "  "):
        result = run_cli("-s", "Rice|An Giang", "--model", "naive", "--out", empty, "-j", "1")
        assert result.exit_code == 2, result.output
        assert one_error_line(result) == (
            "error: --out: no folder given (the value is empty). Give the folder for the "
            "charts, e.g. --out charts"
        )
    assert not list(tmp_path.iterdir())
    here = run_cli("-s", "Rice|An Giang", "--model", "naive", "--out", ".", "-j", "1", "-q")
    assert here.exit_code == 0, here.output
    assert [p.name for p in tmp_path.iterdir()] == ["rice-an-giang-wholesale-vnd-kg-fan.png"]
    # No --out: the default folder, charts (its first cut read the default as text, and
    # failed on it: "unexpected AttributeError").
    default = run_cli("-s", "Rice|An Giang", "--model", "naive", "-j", "1", "-q")
    assert default.exit_code == 0, default.output
    assert (tmp_path / "charts" / "rice-an-giang-wholesale-vnd-kg-fan.png").exists()


@pytest.mark.slow
def test_cli_plot_svg_in_vietnamese(tmp_path):
    result = run_cli(
        "-s", "Rice|Dong Thap", "--model", "naive", "--out", tmp_path, "--svg", "--lang", "vi"
    )
    assert result.exit_code == 0, result.output
    (path,) = written_paths(result)
    assert path.suffix == ".svg"
    assert path.read_text().lstrip().startswith("<?xml")


@pytest.mark.slow
def test_cli_plot_season_many_series_skips_the_short_ones(tmp_path):
    result = run_cli("--kind", "season", "-s", "Coconut|LKR", "-s", "Rice|VND", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in written_paths(result))
    assert names == [
        "rice-an-giang-wholesale-vnd-kg-season.png",
        "rice-dong-thap-wholesale-vnd-kg-season.png",
    ]
    # Two years of coconut prices and 18 months of Bac Lieu rice are too short: said, not hidden.
    assert result.stderr.count("skipped") == 5
    assert "Rice | Bac Lieu" in result.stderr
    # Quiet, not silent: one line says how many were skipped.
    quiet = run_cli("--kind", "season", "-s", "Coconut|LKR", "-s", "Rice|VND", "-o", tmp_path, "-q")
    assert quiet.exit_code == 0, quiet.output
    # (The other line says which of the embedded series stopped years before the rest.)
    skipped = [line for line in quiet.stderr.splitlines() if "skipped" in line]
    assert len(skipped) == 1 and skipped[0].startswith("note: 5 of 7 charts skipped, e.g. ")


@pytest.mark.slow
def test_cli_plot_skips_name_the_series_in_the_charts_language(tmp_path):
    """In --lang vi the "skipped ..." line said "Rice | Bac Lieu | Bán buôn": the series is
    named as on the Vietnamese charts (the message stays English, as all stderr does)."""
    result = run_cli("--kind", "season", "--lang", "vi", "-s", "Rice|VND", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert "skipped Gạo – Bạc Liêu | Bán sỉ | đồng/kg: a seasonal profile needs" in (result.stderr)


@pytest.mark.slow
def test_cli_plot_with_no_chart_drawn_says_why_in_one_line(tmp_path):
    """Nothing drawn printed the "skipped ..." line, then an error repeating it: two lines."""
    result = run_cli("--kind", "season", "-s", "Bac Lieu", "-o", tmp_path)
    assert result.exit_code == 1
    line = one_error_line(result)
    assert line.startswith(
        "error: no season chart could be drawn: Rice | Bac Lieu | Wholesale | đồng/kg: "
        "a seasonal profile needs at least 2 years"
    ), line
    many = run_cli("--kind", "season", "-s", "Coconut|LKR", "-o", tmp_path, "--lang", "vi")
    assert "could be drawn for 4 series, e.g. Dừa – Colombo City | Bán lẻ" in one_error_line(many)


@pytest.fixture(scope="module")
def weekly_store(tmp_path_factory) -> Path:
    """A store of one weekly series, three years of Mondays, made by `cropcast ingest`."""
    from cli import app

    folder = tmp_path_factory.mktemp("weekly")
    dates = pd.date_range("2023-01-02", periods=156, freq="W-MON")
    prices = 46_000 + 3_000 * np.sin(np.arange(156) / 8)
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "price": prices.round()}).assign(
        commodity="Pomelo", market="Ben Tre", price_type="Wholesale", unit="kg", currency="VND"
    ).to_csv(folder / "weeks.csv", index=False)
    db = folder / "weeks.duckdb"
    made = runner.invoke(
        app, ["ingest", str(folder / "weeks.csv"), "--db", str(db), "--freq", "weekly"]
    )
    assert made.exit_code == 0, made.output
    return db


@pytest.mark.slow
def test_cli_plot_alerts_of_weekly_prices_says_how_to_fold_them(weekly_store, tmp_path):
    """`alerts` explains how to score weekly prices; `plot --kind alerts` only said they do
    not qualify. It gives the same way round: export the store, fold the file into months."""
    result = run_cli("--kind", "alerts", "--db", weekly_store, "-o", tmp_path)
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "does not qualify for ALPS (not monthly)" in line
    assert f"cropcast store export --db {weekly_store} -o prices.csv" in line
    assert line.endswith("then cropcast plot --kind alerts -i prices.csv --freq monthly"), line


def test_chart_titles_speak_the_charts_language():
    key = ("Dừa", "Mỏ Cày Bắc", "Wholesale", "nut", "VND")
    assert chart_title(key, "en") == "Dừa | Mỏ Cày Bắc | Wholesale | đồng/nut"
    assert chart_title(key, "vi") == "Dừa – Mỏ Cày Bắc | Bán sỉ | đồng/trái"
    world = ("Rice, Thai 5%", "world", "International", "mt", "USD")
    assert chart_title(world, "en") == "Rice, Thai 5% | world | International | USD/t"


@pytest.mark.parametrize(
    ("key", "title"),
    [
        (("Rice", "Bac Lieu", "Wholesale", "kg", "VND"), "Gạo – Bạc Liêu | Bán sỉ | đồng/kg"),
        (("Coconut oil", "world", "International", "mt", "USD"), "Dầu dừa – Thế giới | USD/tấn"),
        (
            ("Rice, Thai 5%", "world", "International", "mt", "USD"),
            "Gạo Thái Lan 5% tấm – Thế giới | USD/tấn",
        ),
    ],
)
def test_a_vietnamese_title_names_the_series_as_the_bulletin_does(key, title):
    """`plot --lang vi` titled "Rice | Bac Lieu | Bán buôn" (two languages) and "Coconut oil |
    world | Thế giới" (the world twice) where the bulletin says "Gạo – Bạc Liêu" and "Dầu dừa
    – Thế giới"."""
    assert chart_title(key, "vi") == title


def test_a_chart_counts_a_coconut_as_the_bulletin_does():
    """Sri Lanka's coconuts are priced per 'unit': the charts said 'LKR/cái' where the
    bulletin says 'LKR/trái'."""
    key = ("Coconut", "Colombo City", "Retail", "unit", "LKR")
    assert chart_title(key, "vi") == "Dừa – Colombo City | Bán lẻ | LKR/trái"
    assert series_unit_label(key, "vi") == "LKR/trái"
    assert series_unit_label(key, "en") == "LKR/nut"
    # A piece of what no count word knows keeps the unit's own word.
    assert series_unit_label(("Bricks", "A", "Retail", "unit", "LKR"), "vi") == "LKR/cái"


def test_an_english_chart_says_its_unit_one_way_in_title_and_axis(tmp_path, monkeypatch):
    """`plot --lang en` titled a coconut chart "... | VND/nut" over a y axis of "đồng/trái":
    two languages and two units for one price. The title says the axis's unit."""
    import forecast.plots as plots
    from forecast.commands.charts import _draw_chart

    dates = pd.date_range("2023-01-02", periods=60, freq="W-MON")
    y = pd.Series(6000.0 + 20 * (np.arange(60) % 9), index=dates, name="price")
    key = ("Dừa xiêm xanh", "Mỏ Cày Bắc", "Wholesale", "nut", "VND")
    chosen = pd.DataFrame({"date": dates, "price": y.to_numpy()}).assign(
        **dict(zip(KEY, key, strict=True))
    )
    drawn = []
    real = plots.fan_chart

    def keep(*args, **kwargs):  # the figure `plot` draws, to read its title and axis
        drawn.append(real(*args, **kwargs))
        return drawn[-1]

    monkeypatch.setattr(plots, "fan_chart", keep)
    for lang, unit in (("en", "đồng/nut"), ("vi", "đồng/trái")):
        job = {"key": key, "y": y, "kind": "fan", "lang": lang, "data": naive_forecast(chosen)}
        job |= {"harvest": None, "last": None, "path": tmp_path / f"{lang}.png"}
        path, why = _draw_chart(job)
        assert path is not None, why
        ax = drawn[-1].axes[0]
        assert ax.get_ylabel() == unit
        assert ax.get_title(loc="left").endswith(f" | {unit}"), ax.get_title(loc="left")


@pytest.mark.parametrize(
    ("commodity", "lang", "label"),
    [
        ("Coconut", "en", "Rainy season (Mekong Delta)"),
        ("Coconut", "vi", "Mùa mưa (ĐBSCL)"),
        ("Pomelo", "en", "Tết season (Mekong Delta)"),
        ("Pomelo", "vi", "Vụ Tết (ĐBSCL)"),
    ],
)
def test_a_season_band_is_named_in_the_charts_language(calendar, commodity, lang, label):
    """English charts of coconut and pomelo said "Mùa mưa (Mekong Delta)" and "Vụ Tết
    (Mekong Delta)" beside English notes saying "Rainy season" and "Tết season": the band
    is named as the bulletin's notes name the season."""
    dates = pd.date_range("2023-01-02", periods=130, freq="W-MON")
    y = pd.Series(6000.0 + 30 * (np.arange(130) % 7), index=dates, name="price")
    chosen = pd.DataFrame({"date": dates, "price": y.to_numpy()}).assign(
        commodity=commodity, market="Mỏ Cày Bắc", price_type="Wholesale", unit="kg", currency="VND"
    )
    rows = match_commodity(commodity, calendar)
    fig = fan_chart(
        y,
        naive_forecast(chosen),
        title="t",
        unit_label=unit_label("VND", "kg", lang),
        harvest_months=rows,
        lang=lang,
    )
    texts = legend_texts(fig.axes[0])
    assert label in texts, texts
    if lang == "en":
        assert not any("Mùa" in t or "Vụ" in t for t in texts), texts
    profile = seasonal_profile(y, title="t", harvest_rows=rows, lang=lang)  # named alike
    assert label in legend_texts(profile.axes[0])


def test_the_tet_band_is_dated_from_tet_day_not_the_calendars_months(calendar):
    """A review: pomelo's pre-Tết band was the calendar's December-January whatever the
    year, six weeks before a mid-February Tết (17/2/2026) and gone in the two weeks before
    it, when prices peak. It is the six weeks before each Tết day, as the bulletin says."""
    import matplotlib.dates as mdates
    from matplotlib.patches import Rectangle

    from forecast.calendar import TET_LEAD_WEEKS

    dates = pd.date_range("2024-10-07", periods=70, freq="W-MON")  # to 2026-02-02
    y = pd.Series(40000.0 + 300 * (np.arange(70) % 5), index=dates, name="price")
    chosen = pd.DataFrame({"date": dates, "price": y.to_numpy()}).assign(
        commodity="Pomelo", market="Mỏ Cày Bắc", price_type="Wholesale", unit="kg", currency="VND"
    )
    fig = fan_chart(
        y,
        naive_forecast(chosen, horizon=4),
        title="t",
        unit_label=unit_label("VND", "kg", "en"),
        harvest_months=match_commodity("Pomelo", calendar),
        lang="en",
    )
    ax = fig.axes[0]
    spans = []
    for patch in ax.patches:  # axvspan's rectangles, in data units on x
        if isinstance(patch, Rectangle) and patch.get_height() >= 1:  # axes-high
            left = mdates.num2date(patch.get_x()).replace(tzinfo=None)
            right = mdates.num2date(patch.get_x() + patch.get_width()).replace(tzinfo=None)
            spans.append((pd.Timestamp(left).normalize(), pd.Timestamp(right).normalize()))
    lead = pd.Timedelta(weeks=TET_LEAD_WEEKS)
    tets = [pd.Timestamp("2025-01-29"), pd.Timestamp("2026-02-17")]
    assert sorted(spans) == [(tets[0] - lead, tets[0]), (tets[1] - lead, tets[1])], spans
    assert "Tết season (Mekong Delta)" in legend_texts(ax)


def test_a_flat_price_gets_a_readable_axis_not_a_few_dong_of_noise():
    lo, hi = fit_limits(np.array([7000.0, 7000.0]), np.array([]))
    assert lo < 7000 * 0.96 and hi > 7000 * 1.04


@pytest.mark.slow
def test_cli_plot_backtest_and_alerts(tmp_path):
    result = run_cli(
        "--kind", "backtest", "-s", "Rice, Viet", "-m", "naive", "-h", "6", "-o", tmp_path
    )
    assert result.exit_code == 0, result.output
    assert [p.name for p in written_paths(result)] == [
        "rice-viet-namese-5-world-international-usd-mt-backtest.png"
    ]
    pytest.importorskip("forecast.anomaly")
    result = run_cli("--kind", "alerts", "-s", "Rice, Viet", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    (path,) = written_paths(result)
    assert path.name.endswith("-alerts.png") and path.read_bytes().startswith(PNG_MAGIC)


@pytest.mark.parametrize(
    ("args", "option"),
    [(("--kind", "pie"), "--kind"), (("--lang", "fr"), "--lang"), (("--last", "0"), "--last")],
)
def test_cli_plot_bad_option_is_one_line_exit_2(args, option, tmp_path):
    result = run_cli(*args, "-o", tmp_path)
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and option in lines[0], lines
    assert not list(tmp_path.iterdir())


def test_the_last_price_is_labelled_by_its_week_or_its_month():
    from forecast.plots.fan import _when

    weekly = pd.Series(1.0, index=pd.date_range("2025-11-03", periods=6, freq="W-MON"))
    assert _when(weekly, "vi") == "tuần 8–14/12/2025"
    assert _when(weekly, "en") == "week of 8–14 Dec 2025"
    monthly = pd.Series(1.0, index=pd.date_range("2022-01-01", periods=6, freq="MS"))
    assert _when(monthly, "vi") == "T6/2022"


def test_a_rising_year_does_not_make_december_look_dear():
    """Against each calendar year's own mean, a price rising 20 % a year with no season at
    all came out with December 9 % above the year and January 9 % below it."""
    dates = pd.date_range("2010-01-01", periods=120, freq="MS")
    y = pd.Series(1000 * 1.2 ** (np.arange(120) / 12), index=dates)
    index = seasonal_index(y).set_index("month")["median"]
    assert index.abs().max() < 0.5


def test_the_last_price_label_of_a_few_weeks_stays_inside_the_chart():
    """Four weekly prices leave no room left of the dot: the label ran across the price axis
    and its unit; it goes right of the dot, over the fan, instead."""
    dates = pd.date_range("2025-11-03", periods=4, freq="W-MON")
    chosen = pd.DataFrame(
        {
            "date": dates,
            "commodity": "Lúa",
            "market": "Chợ Mỏ Cày",
            "price_type": "Retail",
            "unit": "kg",
            "currency": "VND",
            "price": [7780.0, 7800.0, 7790.0, 7800.0],
        }
    )
    y = chosen.set_index("date")["price"].asfreq("W-MON")
    fig = fan_chart(y, naive_forecast(chosen), title="Lúa", unit_label="đồng/kg")
    draw(fig)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    label = next(t for t in ax.texts if t.get_text().startswith("Last: 7,800"))
    assert label.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x0
    # A long history keeps it left of the dot, clear of the fan.
    long = _gap_free_series(60)
    fig = fan_chart(long, naive_forecast(_as_table(long)), title="x", unit_label="đồng/kg")
    draw(fig)
    ax = fig.axes[0]
    label = next(t for t in ax.texts if t.get_text().startswith("Last:"))
    assert label.get_horizontalalignment() == "right"


def _gap_free_series(n: int) -> pd.Series:
    dates = pd.date_range("2020-01-01", periods=n, freq="MS")
    return pd.Series(np.linspace(7000.0, 8000.0, n), index=dates, name="price")


def _as_table(y: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {"date": y.index, "commodity": "Lúa", "market": "A", "price_type": "Retail"}
    ).assign(unit="kg", currency="VND", price=y.to_numpy())


def test_series_typed_with_decomposed_accents_match_the_composed_names():
    """A Mac or a shell may send "Dừa" decomposed (u, horn, grave); cleaning writes names
    composed, and --series matched nothing."""
    import unicodedata

    prices = pd.DataFrame(
        {
            "commodity": ["Dừa khô", "Bưởi"],
            "market": "Mỏ Cày Bắc",
            "price_type": "Farmgate",
            "unit": "nut",
            "currency": "VND",
        }
    )
    typed = unicodedata.normalize("NFD", "dừa khô|mỏ cày")
    assert typed != "dừa khô|mỏ cày"
    assert select_series(prices, [typed])["commodity"].tolist() == ["Dừa khô"]
    # And the other way round: a name stored decomposed matches a composed pattern.
    stored = prices.assign(commodity=prices["commodity"].str.normalize("NFD"))
    assert len(select_series(stored, ["Dừa khô"])) == 1


def test_a_series_typed_without_accents_matches_its_accented_name():
    """Two reviewers typed --series "Mo Cay Bac" for "Mỏ Cày Bắc" and were told it matched
    nothing: a phone or a shell without a Vietnamese keyboard. Matching nothing as typed, a
    pattern matches without accents on either side; matching as typed, its accents count."""
    prices = pd.DataFrame(
        {
            "commodity": ["Dừa khô", "Bưởi da xanh", "Rice"],
            "market": ["Mỏ Cày Bắc", "Mỏ Cày Bắc", "Bạc Liêu"],
            "price_type": "Farmgate",
            "unit": "kg",
            "currency": "VND",
        }
    )
    assert len(select_series(prices, ["Mo Cay Bac"])) == 2
    assert select_series(prices, ["buoi|mo cay"])["commodity"].tolist() == ["Bưởi da xanh"]
    assert select_series(prices, ["Đà Lạt"]).empty and select_series(prices, ["Da Lat"]).empty
    assert select_series(prices.assign(market="Đồng Tháp"), ["dong thap"]).shape[0] == 3
    # Accents that match as typed count: "Bắc" is not "Bạc Liêu".
    assert select_series(prices, ["Bắc"])["market"].unique().tolist() == ["Mỏ Cày Bắc"]
    # WFP writes its Vietnamese markets without accents; a Vietnamese user types them.
    wfp = prices.assign(market=["Mo Cay Bac", "Mo Cay Bac", "Bac Lieu"])
    assert select_series(wfp, ["Rice|Bạc Liêu"])["market"].tolist() == ["Bac Lieu"]
    assert select_series(wfp, ["Bắc"]).shape[0] == 3  # as typed, nothing: then "bac"


def test_the_names_a_bulletin_prints_select_the_series_they_name():
    """A review: the bulletin prints "Gạo – An Giang", "Ca cao – Thế giới", and a subscriber
    of "Ca cao" is sent cocoa, but --series "Gạo|An Giang" and "Ca cao" matched nothing."""
    prices = pd.DataFrame(
        {
            "commodity": ["Rice", "Rice", "Cocoa", "Coffee, Robusta", "Coconut"],
            "market": ["An Giang", "Dong Thap", "world", "world", "Jaffna"],
            "price_type": ["Wholesale", "Wholesale", "International", "International", "Retail"],
            "unit": ["kg", "kg", "kg", "kg", "unit"],
            "currency": ["VND", "VND", "USD", "USD", "LKR"],
        }
    )
    others = pd.DataFrame(
        {
            "commodity": ["Coconut oil", "Wheat"],
            "market": "world",
            "price_type": "International",
            "unit": "mt",
            "currency": "USD",
        }
    )
    prices = pd.concat([prices, others], ignore_index=True)

    def chosen(pattern):
        found = select_series(prices, [pattern])
        return (found["commodity"] + "|" + found["market"]).tolist()

    assert chosen("Gạo|An Giang") == ["Rice|An Giang"]
    assert chosen("gao") == ["Rice|An Giang", "Rice|Dong Thap"]  # typed without accents
    assert chosen("Ca cao") == ["Cocoa|world"]
    assert chosen("Cà phê|Thế giới") == ["Coffee, Robusta|world"]
    assert chosen("Dừa|Sri Lanka") == ["Coconut|Jaffna"]  # the country a bulletin adds
    assert chosen("Sầu riêng") == []  # a name of no series here still matches nothing
    # A product's name as a subscriber's word: "Dừa" is not "Dầu dừa" (coconut oil), "Lúa"
    # is not "Lúa mì" (wheat), as bulletin send reads them (a review).
    assert chosen("Dừa") == ["Coconut|Jaffna"] and chosen("Lúa") == []
    assert chosen("Dầu dừa") == ["Coconut oil|world"] and chosen("Lúa mì") == ["Wheat|world"]
    # Matching as typed comes first: "Rice" is not also what "Rice" means in Vietnamese.
    assert chosen("Rice|Dong") == ["Rice|Dong Thap"]


def test_a_series_label_copied_from_the_output_selects_that_series():
    """Notes name a series 'Rice | An Giang | Wholesale | VND/kg' and the forecast table
    'Rice · An Giang'; pasted into --series, both matched nothing ("VND/kg" is no column)."""
    prices = pd.DataFrame(
        {
            "commodity": ["Rice", "Rice", "Rice"],
            "market": ["An Giang", "An Giang", "Cần Thơ"],
            "price_type": "Wholesale",
            "unit": ["kg", "50 kg", "kg"],
            "currency": "VND",
        }
    )
    noted = series_label(tuple(prices.iloc[0][list(KEY)]))
    assert noted == "Rice | An Giang | Wholesale | VND/kg"
    assert select_series(prices, [noted])["unit"].tolist() == ["kg"]
    assert len(select_series(prices, ["Rice · An Giang"])) == 2
    # A whole label names that series alone, not those whose names contain its parts.
    longer = prices.assign(commodity="Rice (glutinous)", market="An Giang (Châu Phú)")
    both = pd.concat([prices, longer], ignore_index=True)
    assert select_series(both, [noted])["commodity"].tolist() == ["Rice"]
    assert select_series(both, ["rice | an giang | wholesale | vnd/kg"]).shape[0] == 1
    assert len(select_series(both, ["Rice|An Giang"])) == 5  # parts: substrings, as before
    assert select_series(prices, ["VND/50 kg"])["unit"].tolist() == ["50 kg"]
    assert select_series(prices, ["Rice | Hà Nội"]).empty


def test_a_chart_title_copied_into_series_selects_that_series():
    """An English chart's title says 'đồng/kg' and 'USD/t' where notes say 'VND/kg' and
    'USD/mt'; pasted into --series it matched nothing."""
    prices = pd.DataFrame(
        {
            "commodity": ["Rice", "Rice", "Rice (glutinous)", "Palm oil"],
            "market": ["Bac Lieu", "Bac Lieu", "Bac Lieu (Giá Rai)", "world"],
            "price_type": ["Wholesale", "Wholesale", "Wholesale", "International"],
            "unit": ["kg", "50 kg", "kg", "mt"],
            "currency": ["VND", "VND", "VND", "USD"],
        }
    )
    pieces = pd.DataFrame(
        {
            "commodity": ["Coconut", "Coconut", "Eggs", "Dừa khô", "Dừa khô", "Bưởi"],
            "market": ["Ampara", "Ampara", "Ampara", "Mỏ Cày Bắc", "Mỏ Cày Bắc", "Mỏ Cày Bắc"],
            "price_type": "Retail",
            "unit": ["nut", "kg", "unit", "nut", "kg", "unit"],
            "currency": ["LKR", "LKR", "LKR", "VND", "VND", "VND"],
        }
    )
    prices = pd.concat([prices, pieces], ignore_index=True)
    for i in (0, 3, 4, 5, 6, 7, 8, 9):
        key = tuple(prices.iloc[i][list(KEY)])
        title = chart_title(key, "en")
        assert title.endswith(("đồng/kg", "USD/t", "/nut", "/egg", "/fruit", "LKR/kg")), title
        chosen = select_series(prices, [title])
        assert chosen.index.tolist() == [i], title  # that series alone
    # Nuts quoted by the chục, as the fan chart and bulletin say them in English.
    chuc = chart_title(tuple(prices.iloc[7][list(KEY)]), "en", unit="đồng/chục of 12 nuts")
    assert select_series(prices, [chuc]).index.tolist() == [7]
    # A unit none of the place's series is named by selects none, whatever is there.
    for wrong in (
        "Rice | Bac Lieu | Wholesale | đồng/t",
        "Coconut | Ampara | Retail | LKR/t",
        "Eggs | Ampara | Retail | LKR/kg",
        "Dừa khô | Mỏ Cày Bắc | Retail | đồng/dozen",
    ):
        assert select_series(prices, [wrong]).empty, wrong
    # Capitals count where asked (store remove): "Kg" is not the kg series, nor any other.
    assert select_series(prices, ["Coconut | Ampara | Retail | LKR/Kg"], exact_case=True).empty
    diesel = pd.DataFrame([["Fuel (diesel)", "Ampara", "Retail", "L", "LKR"]], columns=list(KEY))
    title = "Fuel (diesel) | Ampara | Retail | LKR/L"
    assert len(select_series(diesel, [title], exact_case=True)) == 1
    assert select_series(diesel, [title.lower()], exact_case=True).empty
    assert len(select_series(diesel, [title.replace("/L", "/l")])) == 1  # capitals aside
    assert select_series(prices, ["Rice|đồng/kg"])["commodity"].tolist() == [
        "Rice",
        "Rice (glutinous)",
    ]


def _depot_store(tmp_path) -> tuple[Path, Path]:
    """A depot's file of Dừa khô per chục (a year, monthly), ingested with ``--chuc 14``
    into a store beside a file of Dừa xiêm per trái."""
    from cli import app

    chuc, each = coconut_depot_files(tmp_path, pomelo=False)
    db = tmp_path / "store.duckdb"
    for path, option in ((chuc, ["--chuc", "14"]), (each, [])):
        made = runner.invoke(app, ["ingest", str(path), *option, "--db", str(db)])
        assert made.exit_code == 0, made.output
    return db, chuc


@pytest.mark.slow
def test_charts_quote_prices_in_the_unit_the_depot_traded_them(tmp_path, monkeypatch):
    """`plot` of a store drew dried coconuts at "9.833 đồng/trái" where the bulletin and the
    depot say "118.000 đồng/chục": the charts quote a series per chục as the bulletin does
    (the depot's chục of 14 remembered by the store, 12 for a file read as cleaning's
    default), and a series written per trái stays per trái."""
    import forecast.plots as plots

    db, chuc = _depot_store(tmp_path)
    written = pd.read_csv(chuc)  # the depot's prices, per chục
    drawn = []
    for name in ("fan_chart", "backtest_chart"):
        real = getattr(plots, name)

        def keep(*args, real=real, **kwargs):  # the figures `plot` draws, with their prices
            drawn.append((args[0], real(*args, **kwargs)))
            return drawn[-1][1]

        monkeypatch.setattr(plots, name, keep)

    def charts(*args):
        drawn.clear()
        result = run_cli(*args, "-m", "naive", "-h", "2", "-j", "1", "-o", tmp_path / "c", "-q")
        assert result.exit_code == 0, result.output
        return {fig.axes[0].get_ylabel(): (y, fig) for y, fig in drawn}

    for lang, per_chuc, per_nut in (
        ("vi", "đồng/chục (14 trái)", "đồng/trái"),
        ("en", "đồng/chục of 14 nuts", "đồng/nut"),
    ):
        for kind in ("fan", "backtest"):
            found = charts("--db", db, "--kind", kind, "--lang", lang, "--windows", "1")
            assert sorted(found) == sorted([per_chuc, per_nut]), list(found)
            y, fig = found[per_chuc]
            assert y.dropna().to_numpy() == pytest.approx(written["price"].to_numpy())
            assert fig.axes[0].get_title(loc="left").endswith(f" | {per_chuc}")
    # Of the file itself, read with cleaning's chục of 12: the same prices, per chục of 12.
    found = charts("-i", chuc, "--lang", "en")
    (unit,) = found
    assert unit == "đồng/chục of 12 nuts"
    assert found[unit][0].dropna().to_numpy() == pytest.approx(written["price"].to_numpy())
    label = next(
        t.get_text() for t in found[unit][1].axes[0].texts if t.get_text().startswith("Last")
    )
    assert f"{written['price'].iloc[-1]:,}" in label


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_a_price_the_forecast_left_out_as_a_typo_is_marked_not_charted(tmp_path, lang, monkeypatch):
    """Bưởi at 451.000 among weeks of 35-50 thousand: the forecast and the bulletin left it
    out as mistyped, but the fan chart drew it at full height, its axis ran to 450,000 and
    the real prices were a flat line. The chart leaves it out of the line and the axis, as
    the forecast did, and marks it with its price, as the bulletin names it."""
    import forecast.plots as plots
    from forecast.bulletin.facts import hold_back_mistyped
    from forecast.commands.charts import _draw_chart

    dates = pd.date_range("2025-01-06", periods=80, freq="W-MON")
    y = pd.Series(42_000 + 6_000 * np.sin(np.arange(80) / 6), index=dates, name="price").round()
    typo = dates[50]
    y[typo] = y[typo] * 10  # a slipped zero
    key = ("Bưởi da xanh", "Chợ Mỏ Cày", "Farmgate", "kg", "VND")
    chosen = pd.DataFrame({"date": dates, "price": y.to_numpy()}).assign(
        **dict(zip(KEY, key, strict=True))
    )
    drawn = []
    real = plots.fan_chart
    monkeypatch.setattr(
        plots, "fan_chart", lambda *a, **k: drawn.append(real(*a, **k)) or drawn[-1]
    )
    job = {"key": key, "y": y, "kind": "fan", "lang": lang, "data": naive_forecast(chosen)}
    job |= {"harvest": None, "last": None, "model": "naive", "path": tmp_path / "fan.png"}
    path, why = _draw_chart(job)
    assert path is not None, why
    ax = drawn[-1].axes[0]
    others = y.drop(typo)
    low, high = ax.get_ylim()
    assert others.max() <= high < 2 * others.max()  # the prices the forecast used set the axis
    history = ax.lines[0]
    assert y[typo] not in history.get_ydata()
    # Marked with its price, and the legend says why it is not used.
    assert any(t.get_text().startswith(format_number(y[typo], lang)) for t in ax.texts)
    assert words(lang)["held_back"] in legend_texts(ax)
    # The price the bulletin holds back from the same prices.
    _kept, held = hold_back_mistyped(chosen)
    assert [h.date for h in held[key]] == [typo]
    # A chart with no typo has no such mark.
    job |= {"y": others, "data": naive_forecast(chosen[chosen["date"] != typo])}
    assert _draw_chart(job)[0] is not None
    assert words(lang)["held_back"] not in legend_texts(drawn[-1].axes[0])


@pytest.mark.slow
def test_charts_of_twin_series_say_which_series_each_numbered_file_is(tmp_path, monkeypatch):
    """ "Tân Thành Bình" and "Tan Thanh Binh" make one ASCII file name: the second chart was
    "...-fan-2.png", and nothing said which of the two series it was."""
    import forecast.plots as plots

    rows = ["date,commodity,market,price_type,unit,currency,price"]
    for market, base in (("Tân Thành Bình", 40), ("Tan Thanh Binh", 30)):
        rows += [
            f"2024-{m:02d}-01,Bưởi,{market},Farmgate,kg,VND,{base + m}000" for m in range(1, 13)
        ]
    path = tmp_path / "buoi.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    titles = {}
    real = plots.save_figure

    def keep(fig, where, **kwargs):  # which series each file holds: its chart's title
        titles[Path(where).name] = fig.axes[0].get_title(loc="left")
        return real(fig, where, **kwargs)

    monkeypatch.setattr(plots, "save_figure", keep)
    result = run_cli("-i", path, "-m", "naive", "-h", "2", "-j", "1", "-o", tmp_path / "c", "-q")
    assert result.exit_code == 0, result.output
    files = [p.name for p in written_paths(result)]
    assert len(files) == 2 and len({name.rsplit("-fan", 1)[0] for name in files}) == 1, files
    (note,) = [line for line in result.stderr.splitlines() if "are numbered" in line]
    for name in files:
        market = re.search(re.escape(name) + r" is 'Bưởi \| ([^|]+) \|", note)
        assert market is not None, note
        assert f" | {market[1].strip()} | " in titles[name], (name, titles[name])


def test_a_range_cut_at_the_charts_edge_says_how_far_it_goes():
    """A review: a 95 % band running off the top of a fan chart read as a range that
    stopped there. Where the widest range leaves the axis (which fits the prices and the
    narrower range), the chart says how far it goes, at that edge; in range, nothing."""
    history = pd.Series(
        100.0 + np.arange(24) % 3, index=pd.date_range("2023-01-01", periods=24, freq="MS")
    )
    forecast = pd.DataFrame(
        {
            "date": pd.date_range("2025-01-01", periods=3, freq="MS"),
            "forecast": 101.0,
            "lower_80": [95.0, 93, 90],
            "upper_80": [107.0, 109, 112],
            "lower_95": [80.0, 60, 40],
            "upper_95": [130.0, 400, 726],
        }
    )

    def said(lang, frame=forecast):
        fig = fan_chart(history, frame, title="t", unit_label="u", lang=lang)
        texts = [t.get_text() for t in fig.axes[0].texts]
        return [t for t in texts if "95%" in t], fig.axes[0].get_ylim()

    english, (low, high) = said("en")
    assert high < 726 and low > 40  # both ends cut
    assert english == ["95% range goes up to 726", "95% range goes down to 40.00"]
    assert said("vi")[0] == ["Vùng 95% lên đến 726", "Vùng 95% xuống đến 40,00"]
    within = forecast.assign(upper_95=[110.0, 113, 116], lower_95=[92.0, 89, 86])
    assert said("en", within)[0] == []
