"""Cleaning the publishers' real files (skipped where ../shared/data is absent)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import pytest

from forecast.clean import CleanOptions, clean
from forecast.errors import InputError
from forecast.io import read_prices
from forecast.table import KEY, validate

TODAY = dt.date(2025, 12, 1)


@pytest.fixture(scope="module")
def vnm(shared_data):
    path = shared_data / "wfp" / "wfp_food_prices_vnm.csv"
    return clean(read_prices(path), CleanOptions(today=TODAY))


def _balanced(result) -> None:
    report = result.report
    assert report.rows_in == report.rows_kept + report.rows_merged + report.rows_rejected
    assert len(result.prices) == report.rows_kept + report.interpolated
    validate(result.prices, "monthly")


def test_vnm_keeps_the_311_actual_rows(vnm):
    _balanced(vnm)
    assert vnm.report.rows_in == 389
    assert (vnm.report.rows_kept, vnm.report.rows_merged) == (311, 0)
    assert vnm.report.freq == "monthly"


def test_vnm_refuses_the_78_forecast_rows_with_a_reason(vnm):
    assert len(vnm.rejected) == 78
    assert vnm.rejected["reason"].str.contains("forecast").all()
    assert (vnm.rejected["priceflag"] == "forecast").all()
    # The refused rows are the file's own rows: its columns, its row numbers.
    assert {"admin1", "latitude", "usdprice", "row", "reason"} <= set(vnm.rejected.columns)
    assert vnm.rejected["row"].min() == 312


def test_vnm_has_three_series_keyed_by_month(vnm):
    prices = vnm.prices
    assert sorted(prices["market"].unique()) == ["An Giang", "Bac Lieu", "Dong Thap"]
    assert prices.groupby(list(KEY)).ngroups == 3
    assert set(prices["unit"]) == {"kg"} and set(prices["currency"]) == {"VND"}
    assert prices["date"].dt.is_month_start.all()
    first = prices[prices["market"] == "An Giang"].iloc[0]
    assert (first["date"], first["price"]) == (pd.Timestamp("2008-01-01"), 5317.5)


def test_vnm_long_gap_stays_a_gap(vnm):
    an_giang = vnm.prices[vnm.prices["market"] == "An Giang"].set_index("date")
    assert an_giang.loc["2019-05-01":"2020-12-01"].empty
    assert pd.Timestamp("2019-04-01") in an_giang.index
    assert pd.Timestamp("2021-01-01") in an_giang.index
    gaps = {(g["series"].split(" | ")[1], g["from"], g["to"], g["length"]) for g in vnm.report.gaps}
    assert ("An Giang", "2019-05-01", "2020-12-01", 20) in gaps
    assert ("Dong Thap", "2018-04-01", "2020-12-01", 33) in gaps
    # The single missing months (2018-12, 2019-02) are filled and flagged.
    filled = an_giang[an_giang["flags"].str.contains("interpolated")].index
    assert list(filled) == [pd.Timestamp("2018-12-01"), pd.Timestamp("2019-02-01")]


def test_vnm_bac_lieu_is_short_but_kept(vnm):
    assert vnm.report.short_series == [
        {"series": "Rice | Bac Lieu | Wholesale | VND/kg", "length": 18}
    ]


def test_a_row_dated_1900_is_refused_with_a_reason(shared_data, tmp_path):
    source = shared_data / "wfp" / "wfp_food_prices_vnm.csv"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[5].startswith("3/15/2008,An Giang,")
    lines[5] = lines[5].replace("3/15/2008", "8/15/1900", 1)
    path = tmp_path / "wfp_food_prices_vnm.csv"
    path.write_text("".join(lines), encoding="utf-8")
    result = clean(read_prices(path), CleanOptions(today=TODAY))
    _balanced(result)
    bad = result.rejected[result.rejected["date"] == "8/15/1900"]
    assert bad["reason"].tolist() == ["date 1900-08-15 ('8/15/1900') is before 1950"]
    assert bad["row"].tolist() == [5]
    assert result.report.rows_kept == 310


def test_tha_cleaned_twice_is_cleaned_once(shared_data, tmp_path):
    from forecast.datasets import write_price_table

    first = clean(read_prices(shared_data / "wfp" / "wfp_food_prices_tha.csv"), CleanOptions())
    assert {"interpolated", "outlier"} <= set(first.prices["flags"])  # flags to keep
    once = tmp_path / "once.csv"
    write_price_table(first.prices, once)
    second = clean(read_prices(once), CleanOptions())
    assert second.report.freq == first.report.freq == "monthly"
    pd.testing.assert_frame_equal(second.prices, first.prices, check_exact=False, rtol=1e-9)
    twice = tmp_path / "twice.csv"
    write_price_table(second.prices, twice)
    assert twice.read_bytes() == once.read_bytes()


def test_lka_many_short_series(shared_data):
    result = clean(
        read_prices(shared_data / "wfp" / "wfp_food_prices_lka.csv"), CleanOptions(today=TODAY)
    )
    _balanced(result)
    assert result.report.rows_rejected == 0
    assert result.report.series == 1442
    # Monthly throughout, sparse series included: no series is said to be another frequency.
    assert result.report.freq == "monthly" and result.report.off_frequency == []
    units = set(result.prices["unit"])
    assert {"kg", "unit", "L"} <= units and "750 ML" not in units and "nut" not in units
    (oil,) = [c for c in result.report.conversions if c["from"] == "750 ML"]
    assert (oil["to"], oil["rows"]) == ("L", 20)


@pytest.mark.slow
def test_pink_sheet(shared_data):
    result = clean(
        read_prices(shared_data / "worldbank" / "CMO-Historical-Data-Monthly.xlsx"),
        CleanOptions(today=TODAY),
    )
    _balanced(result)
    rice = result.prices[result.prices["commodity"] == "Rice, Viet Namese 5%"]
    assert set(rice["unit"]) == {"mt"} and set(rice["currency"]) == {"USD"}
    assert rice["date"].min() == pd.Timestamp("2003-12-01")
    assert result.report.freq == "monthly"


@pytest.mark.slow  # reads and cleans the whole sheet twice: about 3 s alone
def test_pink_sheet_typed_prices_ignore_a_decimal_comma(shared_data):
    """The Pink Sheet's prices are typed numbers: --decimal , (for text written "12,5")
    refused 42,971 of its 49,759 as "price '112.5' is not a number with decimal separator
    ','", 20 series losing every price, and forecasts ran on the whole-number months. Typed
    numbers are read as they are: the same table as without --decimal."""
    raw = read_prices(shared_data / "worldbank" / "CMO-Historical-Data-Monthly.xlsx")
    comma = clean(raw, CleanOptions(decimal=",", today=TODAY))
    assert (comma.report.rows_in, comma.report.rows_rejected) == (49759, 0)
    assert comma.prices["commodity"].nunique() == 71
    pd.testing.assert_frame_equal(comma.prices, clean(raw, CleanOptions(today=TODAY)).prices)


# --- WFP files saved again by a spreadsheet with decimal commas -------------------------------

#: The numbers a WFP file writes, which a European or Vietnamese Excel writes with commas.
WFP_NUMBERS = ["latitude", "longitude", "price", "usdprice"]


def _wfp_rows(path) -> pd.DataFrame:
    """A WFP file's rows as text, without its HXL tag row."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return frame[~frame["date"].str.startswith("#")].reset_index(drop=True)


def _save_as_excel_eu(frame: pd.DataFrame, path, numbers=WFP_NUMBERS) -> None:
    """As a European (or Vietnamese) Excel saves it: ';' between columns, decimal commas."""
    frame = frame.assign(**{c: frame[c].str.replace(".", ",", regex=False) for c in numbers})
    frame.to_csv(path, sep=";", index=False, encoding="utf-8-sig")


def test_a_wfp_file_saved_with_decimal_commas_reads_as_the_original(shared_data, tmp_path):
    """'5317,5' and '0,3364' beside latitudes like '10,522': before, every decimal price was
    refused ("not a number with decimal separator '.'"), 99 of the 311 actual rows."""
    source = shared_data / "wfp" / "wfp_food_prices_vnm.csv"
    _save_as_excel_eu(_wfp_rows(source), tmp_path / "vnm_eu.csv")
    original = clean(read_prices(source), CleanOptions(today=TODAY))
    resaved = clean(read_prices(tmp_path / "vnm_eu.csv"), CleanOptions(today=TODAY))
    _balanced(resaved)
    pd.testing.assert_frame_equal(resaved.prices, original.prices)
    assert resaved.report.reasons == original.report.reasons  # the 78 forecast rows only
    assert any("',' as the decimal point" in n and "'10,522'" in n for n in resaved.report.notes)


def test_dong_grouped_with_a_dot_in_a_decimal_comma_wfp_file_are_thousands(shared_data, tmp_path):
    """A Vietnamese Excel writes 5318 đồng as '5.318' and 0.3364 USD as '0,3364': the price
    was read as 5.318 đồng, a thousand times too cheap, without a word."""
    rows = _wfp_rows(shared_data / "wfp" / "wfp_food_prices_vnm.csv")
    rows = rows[rows["priceflag"] == "actual"]
    whole = rows["price"].astype(float).add(0.5).astype(int)
    rows = rows.assign(price=whole.map(lambda p: f"{p:,}".replace(",", ".")))
    path = tmp_path / "vnm_vi.csv"
    _save_as_excel_eu(rows, path, numbers=["latitude", "longitude", "usdprice"])
    result = clean(read_prices(path), CleanOptions(today=TODAY))
    assert result.report.rows_rejected == 0
    first = result.prices[result.prices["market"] == "An Giang"].iloc[0]
    assert first["price"] == 5318  # '5.318', written for 5317.5
    observed = ~result.prices["flags"].str.contains("interpolated")
    assert sorted(result.prices.loc[observed, "price"]) == sorted(whole)


def test_three_decimals_in_a_decimal_comma_wfp_file_are_decimals(shared_data, tmp_path):
    """Thai baht '13,125' beside '12,5': was 13125 (and '12,5' refused)."""
    rows = _wfp_rows(shared_data / "wfp" / "wfp_food_prices_tha.csv")
    rows.loc[0, "price"] = "13.125"
    rows.to_csv(tmp_path / "tha.csv", index=False)
    _save_as_excel_eu(rows, tmp_path / "tha_eu.csv")
    original = clean(read_prices(tmp_path / "tha.csv"), CleanOptions(today=TODAY))
    resaved = clean(read_prices(tmp_path / "tha_eu.csv"), CleanOptions(today=TODAY))
    assert resaved.report.rows_rejected == 0
    pd.testing.assert_frame_equal(resaved.prices, original.prices)
    assert 13.125 in set(resaved.prices["price"])


def test_a_decimal_point_given_against_the_file_names_the_right_one(shared_data, tmp_path):
    """Every price refused for its decimal point: the fix is --decimal, not --map."""
    _save_as_excel_eu(
        _wfp_rows(shared_data / "wfp" / "wfp_food_prices_tha.csv"), tmp_path / "t.csv"
    )
    with pytest.raises(InputError, match=r"use --decimal ,$") as err:
        clean(read_prices(tmp_path / "t.csv"), CleanOptions(today=TODAY, decimal="."))
    assert "--map" not in str(err.value)


@pytest.mark.parametrize("name", ["vnm", "tha", "lka"])
def test_the_published_wfp_files_are_read_with_a_decimal_point(shared_data, name):
    from forecast.clean.decimal_mark import file_decimal_mark

    raw = read_prices(shared_data / "wfp" / f"wfp_food_prices_{name}.csv")
    assert file_decimal_mark(raw.kind, raw.table["price"], raw.original) == (".", None)


def test_a_wfp_series_priced_in_two_currencies_is_said(shared_data, tmp_path):
    """Colombo's white rice priced again in USD (from usdprice) in the same file: two series,
    as before, and now a note, as a user's own sheet gets."""
    rows = _wfp_rows(shared_data / "wfp" / "wfp_food_prices_lka.csv")
    rice = rows[
        (rows["market"] == "Colombo City")
        & (rows["commodity"] == "Rice (white)")
        & (rows["pricetype"] == "Retail")
    ]
    in_usd = rice.assign(currency="USD", price=rice["usdprice"])
    pd.concat([rice, in_usd]).to_csv(tmp_path / "lka.csv", index=False)
    result = clean(read_prices(tmp_path / "lka.csv"), CleanOptions(today=TODAY))
    assert result.report.split == [
        {
            "series": "Rice (white) | Colombo City | Retail",
            "kind": "currencies",
            "values": ["LKR", "USD"],
        }
    ]
    assert set(result.prices["currency"]) == {"LKR", "USD"}


def test_one_price_hand_written_with_a_comma_is_pointed_at_not_the_whole_file(
    shared_data, tmp_path
):
    """The Thai file with one price edited to "12,5": --decimal , would refuse every other
    price, so the note names the odd one out instead of suggesting the option."""
    from forecast.clean.decimal_mark import file_decimal_mark

    source = shared_data / "wfp" / "wfp_food_prices_tha.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    header = next(csv.reader([lines[0]]))
    at = header.index("price")
    row = next(csv.reader([lines[2]]))
    row[at] = row[at].replace(".", ",") if "." in row[at] else row[at] + ",5"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row)
    lines[2] = out.getvalue().rstrip("\n")
    edited = tmp_path / "tha.csv"
    edited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw = read_prices(edited)
    mark, note = file_decimal_mark(raw.kind, raw.table["price"], raw.original)
    assert mark is None
    assert "most of its numbers use '.', so check the 1 written with ','" in note
    assert "--decimal" not in note
