"""Series overviews: the last prices that come years after the rest (a mistyped year?)."""

from __future__ import annotations

import pandas as pd

from forecast.summary import late_last_prices


def _series(market: str, dates: list[str], flags: dict[str, str] | None = None):
    flags = flags or {}
    return pd.DataFrame(
        {
            "commodity": "Rice",
            "market": market,
            "price_type": "Retail",
            "unit": "kg",
            "currency": "VND",
            "date": pd.to_datetime(dates),
            "price": 8000.0,
            "flags": [flags.get(d, "") for d in dates],
        }
    )


MONTHS = [f"2020-{m:02d}-01" for m in range(1, 7)]


def test_a_price_or_two_years_after_the_rest_are_named_with_the_last_before_them():
    table = pd.concat(
        [
            _series("three late", [*MONTHS, "2024-01-01", "2024-02-01", "2024-03-01"]),
            _series("one late", ["2026-06-01", *MONTHS]),  # out of order in the file
            _series("two gaps", ["2010-01-01", *MONTHS, "2023-05-01", "2023-06-01"]),
            _series("two before", ["2020-01-01", "2020-02-01", "2025-01-01"]),
            _series("no gap", MONTHS),
            _series("eleven months", [*MONTHS, "2021-05-01"]),  # under a year: not late
            # A price a year, all along (a test's annual file): no price is late.
            _series("yearly", [f"{y}-01-01" for y in range(2010, 2026)]),
            # An estimate cleaning filled is no price: the gap runs from the last real one.
            _series(
                "estimate", [*MONTHS, "2020-07-01", "2023-01-01"], {"2020-07-01": "interpolated"}
            ),
        ],
        ignore_index=True,
    )
    late = late_last_prices(table)
    assert list(late["market"]) == ["one late", "two gaps", "estimate"]  # the table's order
    rows = late.set_index("market")
    assert rows.loc["one late", "late"] == [pd.Timestamp("2026-06-01")]
    assert rows.loc["one late", "before"] == pd.Timestamp("2020-06-01")
    assert rows.loc["one late", "last"] == pd.Timestamp("2026-06-01")
    assert rows.loc["two gaps", "late"] == [pd.Timestamp("2023-05-01"), pd.Timestamp("2023-06-01")]
    assert rows.loc["two gaps", "before"] == pd.Timestamp("2020-06-01")
    assert rows.loc["estimate", "before"] == pd.Timestamp("2020-06-01")


def test_a_table_with_no_real_prices_names_nothing():
    only_estimates = _series("a", MONTHS, {d: "interpolated" for d in MONTHS})
    for table in (only_estimates, only_estimates.iloc[:0]):
        late = late_last_prices(table)
        assert late.empty and "late" in late.columns


def test_late_prices_keep_the_tables_own_dates_far_years_and_time_zones():
    """Review: dates read as nanoseconds overflowed past 2262 (a datetime64[s] year 2500),
    and a +07:00 date came back as UTC, a day early."""
    far = _series("far", [*MONTHS, "2500-01-01"])
    far["date"] = far["date"].astype("datetime64[s]")
    late = late_last_prices(far)
    assert list(late["last"]) == [pd.Timestamp("2500-01-01")]
    local = _series("local", [*MONTHS, "2025-01-01"])
    local["date"] = local["date"].dt.tz_localize("Asia/Ho_Chi_Minh")
    late = late_last_prices(local)
    assert late["last"].iloc[0] == pd.Timestamp("2025-01-01", tz="Asia/Ho_Chi_Minh")
    assert late["before"].iloc[0] == pd.Timestamp("2020-06-01", tz="Asia/Ho_Chi_Minh")
