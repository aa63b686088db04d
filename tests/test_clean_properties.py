"""Property tests of the cleaning pipeline on generated messy tables.

Whatever comes in: rows are conserved, the output meets the PriceTable contract, and cleaning
clean data changes nothing (flags included).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from forecast.clean import CleanOptions, clean
from forecast.errors import UsageError
from forecast.table import KEY, validate

TODAY = dt.date(2025, 12, 1)
SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

MARKETS = ["An Giang", "Đồng Tháp", "Bạc Liêu", "Mỏ Cày Bắc"]
BAD_ROWS = [
    {"price": "0"},
    {"price": "abc"},
    {"price": ""},
    {"price": "-12"},
    {"date": "8/15/1900"},
    {"date": "not a date"},
    {"date": "2031-01-15"},
    {"priceflag": "forecast"},
    {"unit": ""},
    {"market": "  "},
]


def _price_text(price: float, style: str) -> object:
    if style == "float":
        return price
    if style == "english":
        return f"{price:.2f}"
    if style == "vietnamese":  # 45.000 đ: whole number, '.' grouping thousands
        return f"{round(price):,}".replace(",", ".") + " đ"
    return f"{round(price)}"


def _date_value(month: pd.Timestamp, day: int, style: str) -> object:
    stamp = month + pd.Timedelta(days=day)
    if style == "iso":
        return stamp.strftime("%Y-%m-%d")
    if style == "wfp":
        return f"{stamp.month}/{stamp.day}/{stamp.year}"
    if style == "month":
        return stamp.strftime("%Y-%m")
    return stamp


@st.composite
def raw_frames(draw, weekly: bool = False) -> pd.DataFrame:
    """One to three series with duplicate, conflicting, missing and bad rows mixed in."""
    rows = []
    date_style = draw(st.sampled_from(["iso", "wfp", "month", "typed"]))
    # m/d/yyyy on the 15th settles the day order, as in the WFP mirror.
    day = 14 if weekly or date_style == "wfp" else draw(st.sampled_from([0, 14]))
    for _ in range(draw(st.integers(1, 3))):
        key = {
            "commodity": draw(st.sampled_from(["Rice", "Coconut"])),
            "market": draw(st.sampled_from(MARKETS)),
            "price_type": "Wholesale",
            "currency": draw(st.sampled_from(["VND", "đ", "VNĐ"])),
            "priceflag": draw(st.sampled_from(["actual", "", "actual,aggregate"])),
        }
        level = draw(st.floats(1_000, 100_000))
        offsets = draw(st.lists(st.integers(0, 40), min_size=1, max_size=18))
        for offset in offsets:
            if weekly:
                base = pd.Timestamp("2023-01-02") + pd.Timedelta(weeks=offset)
                date = _date_value(base, draw(st.integers(0, 6)), "iso")
            else:
                base = pd.Timestamp("2019-01-01") + pd.DateOffset(months=offset)
                date = _date_value(base, day, date_style if date_style != "month" else "month")
            move = draw(st.floats(0.5, 2.0))
            unit, per_unit = draw(st.sampled_from([("kg", 1), ("KG", 1), ("yến", 10), ("tạ", 100)]))
            price = level * move * per_unit
            style = draw(st.sampled_from(["float", "english", "vietnamese", "plain"]))
            rows.append({**key, "date": date, "unit": unit, "price": _price_text(price, style)})
    good = rows[0]
    for bad in draw(st.lists(st.sampled_from(BAD_ROWS), max_size=3)):
        rows.append({**good, **bad})
    frame = pd.DataFrame(rows)
    order = draw(st.permutations(range(len(frame))))
    return frame.iloc[list(order)].reset_index(drop=True)


def _check(result) -> None:
    report = result.report
    assert report.rows_in == report.rows_kept + report.rows_merged + report.rows_rejected
    assert len(result.prices) == report.rows_kept + report.interpolated
    assert len(result.rejected) == report.rows_rejected == sum(report.reasons.values())
    assert result.rejected["reason"].map(lambda r: isinstance(r, str) and r != "").all()
    prices = result.prices
    validate(prices)
    assert not prices.duplicated(list(KEY) + ["date"]).any()
    assert all(math.isfinite(p) and p > 0 for p in prices["price"])
    assert prices["price"].dtype == np.float64


@SETTINGS
@given(raw_frames(), st.sampled_from(["flag", "reject"]), st.integers(0, 3))
def test_rows_are_conserved_and_output_is_a_price_table(frame, outliers, max_gap):
    result = clean(frame, CleanOptions(today=TODAY, outliers=outliers, max_gap=max_gap))
    _check(result)
    if outliers == "flag":
        assert not result.rejected["reason"].str.contains("outlier").any()


@SETTINGS
@given(raw_frames())
def test_cleaning_clean_data_changes_nothing(frame):
    first = clean(frame, CleanOptions(today=TODAY))
    second = clean(first.prices, CleanOptions(today=TODAY))
    _check(second)
    pd.testing.assert_frame_equal(second.prices, first.prices)
    assert (second.report.rows_rejected, second.report.rows_merged, second.report.interpolated) == (
        0,
        0,
        0,
    )


@SETTINGS
@given(raw_frames(weekly=True), st.sampled_from(["weekly", "monthly"]))
def test_weekly_data_on_either_grid(frame, freq):
    options = CleanOptions(today=TODAY, freq=freq)
    try:
        first = clean(frame, options)
    except UsageError as refused:
        # Weeks drawn a month apart on one day of the month look like monthly prices,
        # which are not spread onto weeks: only then is weekly refused.
        assert freq == "weekly" and "weekly does not fit the data" in str(refused)
        dates = clean(frame, CleanOptions(today=TODAY)).prices["date"]
        assert dates.dt.is_month_start.all()
        return
    _check(first)
    validate(first.prices, freq)
    second = clean(first.prices, options)
    pd.testing.assert_frame_equal(second.prices, first.prices)


@settings(max_examples=40, deadline=None)
@given(st.floats(1e-3, 1e9), st.sampled_from(["english", "vietnamese", "plain", "float"]))
def test_written_prices_read_back(price, style):
    from forecast.clean.numbers import parse_price

    expected = (
        price if style == "float" else (round(price, 2) if style == "english" else round(price))
    )
    assume(expected > 0)
    value = parse_price(_price_text(price, style)).value
    assert math.isclose(value, expected, rel_tol=1e-12)


@given(
    st.from_regex(r"\A[0-9]{1,9}(\.[0-9]{1,6})?\Z"),
    st.sampled_from([None, ".", ","]),
)
def test_plain_number_shortcut_reads_as_the_general_parser_does(text, decimal):
    import re

    import forecast.clean.numbers as numbers

    def read():
        try:
            return numbers.parse_price(text, decimal)
        except numbers.PriceError as err:
            return str(err)

    fast = read()
    shortcut = numbers._PLAIN
    numbers._PLAIN = re.compile(r"(?!)")  # matches nothing: the general path only
    try:
        general = read()
    finally:
        numbers._PLAIN = shortcut
    assert fast == general
