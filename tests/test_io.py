"""Readers: real publisher files, generic tables, encodings, formats and bad input."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from forecast.errors import InputError, UsageError
from forecast.io import RAW_COLUMNS, RawPrices, read_prices

VN_MARKET, VN_COMMODITY = "Mỏ Cày Bắc", "Dừa khô"
MISSING_MARKERS = {"…", "..", "..."}


def _write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def _check_shape(raw: RawPrices) -> None:
    assert tuple(raw.table.columns) == RAW_COLUMNS
    assert raw.original.index.name == "row"
    assert set(raw.table["row"]) <= set(raw.original.index)


# --- real files ------------------------------------------------------------------------------


def test_wfp_vnm_keeps_every_row_raw(shared_data):
    raw = read_prices(shared_data / "wfp" / "wfp_food_prices_vnm.csv")
    _check_shape(raw)
    assert raw.kind == "wfp"
    assert len(raw.table) == 389  # 311 actual + 78 forecast: cleaning, not reading, drops them
    assert raw.table["priceflag"].value_counts().to_dict() == {"actual": 311, "forecast": 78}
    assert not raw.table["date"].str.startswith("#").any()
    assert raw.table["date"].iloc[0] == "1/15/2008"  # m/d/yyyy left for cleaning to parse
    assert (raw.table["price"] == "0").sum() == 30  # zero prices reach cleaning unaltered
    assert raw.table["row"].tolist() == list(range(1, 390))
    assert any("older schema" in n for n in raw.notes)
    assert not any("HXL" in n for n in raw.notes)


def test_wfp_tha_skips_and_notes_the_hxl_row(shared_data):
    raw = read_prices(shared_data / "wfp" / "wfp_food_prices_tha.csv")
    _check_shape(raw)
    assert len(raw.table) == 849
    assert len(raw.original) == 849
    assert not raw.table["date"].str.startswith("#").any()
    assert any("HXL" in n for n in raw.notes)
    first = raw.table.iloc[0]
    assert (
        first["date"],
        first["commodity"],
        first["market"],
        first["price_type"],
        first["unit"],
        first["currency"],
        first["price"],
    ) == ("2000-01-15", "Cassava flour", "Bangkok", "Wholesale", "KG", "THB", "5.45")


def test_wfp_lka_current_schema(shared_data):
    raw = read_prices(shared_data / "wfp" / "wfp_food_prices_lka.csv")
    _check_shape(raw)
    assert len(raw.table) == 30541
    assert any("current schema" in n for n in raw.notes)
    assert "market_id" in raw.original.columns
    # Quoted commas inside a commodity name stay one value.
    assert "Chili (red, dry raw)" in set(raw.table["commodity"])
    assert not raw.table["date"].str.startswith("#").any()
    assert not raw.table["price"].str.contains("\r").any()  # CRLF file


def test_wfp_markets_file_is_not_prices(shared_data):
    with pytest.raises(InputError) as err:
        read_prices(shared_data / "wfp" / "wfp_markets_lka.csv")
    assert "wfp_markets_lka.csv" in str(err.value)
    assert "'date'" in str(err.value) and "'price'" in str(err.value)


def _pink_expected_cells(path) -> int:
    # Independent count with pandas: data rows are those dated YYYYMmm, series columns are
    # those with a name in the row just above the first "($/...)"-style unit row.
    sheet = pd.read_excel(path, sheet_name="Monthly Prices", header=None, dtype=object)
    is_data = sheet[0].astype(str).str.fullmatch(r"\d{4}M\d{2}")
    first = is_data.idxmax()
    units = next(
        i
        for i in range(first - 1, -1, -1)
        if sheet.iloc[i, 1:].astype(str).str.startswith("(").any()
    )
    named = sheet.iloc[units - 1, 1:].notna()
    cells = sheet.loc[is_data, named[named].index]
    present = cells.notna() & ~cells.isin(list(MISSING_MARKERS))
    return int(present.to_numpy().sum())


def test_pinksheet_long_table_is_every_present_cell(shared_data):
    path = shared_data / "worldbank" / "CMO-Historical-Data-Monthly.xlsx"
    raw = read_prices(path)
    _check_shape(raw)
    assert raw.kind == "pinksheet"
    assert len(raw.table) == _pink_expected_cells(path)
    assert not raw.table["price"].str.strip().isin(MISSING_MARKERS).any()
    assert (raw.table["price"].str.strip() != "").all()
    assert set(raw.table["market"]) == {"world"}
    assert set(raw.table["price_type"]) == {"International"}
    assert raw.table["commodity"].nunique() == 71
    assert not raw.table["commodity"].str.contains(r"\*|\s$").any()
    rice = raw.table[raw.table["commodity"] == "Rice, Viet Namese 5%"].sort_values("row")
    assert set(rice["unit"]) == {"mt"} and set(rice["currency"]) == {"USD"}
    assert rice["date"].iloc[0] == "2003M12"
    assert len(rice) == 264 - 11  # 2003-12 .. 2025-11, 11 months missing
    gas = raw.table[raw.table["commodity"] == "Natural gas index"]
    assert set(gas["unit"]) == {"index"} and set(gas["currency"]) == {"XXX"}
    assert raw.original.loc[8, "date"] == "1960M01"  # row = the sheet's own row number
    assert any("missing-value markers" in n for n in raw.notes)


def test_pinksheet_other_sheet_is_not_a_pinksheet(shared_data):
    path = shared_data / "worldbank" / "CMO-Historical-Data-Monthly.xlsx"
    with pytest.raises(InputError, match="CMO-Historical-Data-Monthly.xlsx"):
        read_prices(path, sheet="Description", kind="pinksheet")


# --- Pink Sheet layout found by content -----------------------------------------------------


def test_pinksheet_layout_with_extra_title_row(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Monthly Prices"
    rows = [
        ["World Bank Commodity Price Data (The Pink Sheet)"],
        ["a new title line"],
        ["Updated on ..."],
        [],
        [None, "Rice, Viet Namese 5%", "Sugar, EU **", "Index X"],
        [None, "($/mt)", "(cents/kg)", "(2010=100)"],
        [None, "RICE_05_VNM", "SUGAR_EU", "iX"],
        ["2003M11", "…", 20.5, 99.1],
        ["2003M12", 197, "..", "..."],
    ]
    for r in rows:
        ws.append(r)
    path = tmp_path / "cmo.xlsx"
    book.save(path)
    raw = read_prices(path)
    assert raw.kind == "pinksheet"
    got = raw.table.set_index(["commodity", "date"])
    assert len(got) == 3
    assert tuple(
        got.loc[("Rice, Viet Namese 5%", "2003M12"), ["row", "unit", "currency", "price"]]
    ) == (9, "mt", "USD", "197")
    assert tuple(got.loc[("Sugar, EU", "2003M11"), ["unit", "currency", "price"]]) == (
        "cents/kg",
        "USD",
        "20.5",
    )
    assert tuple(got.loc[("Index X", "2003M11"), ["unit", "currency"]]) == ("index", "XXX")
    assert any("3 missing-value markers" in n for n in raw.notes)


# --- generic tables ---------------------------------------------------------------------------


def test_mapping_and_defaults(tmp_path):
    path = _write(
        tmp_path / "ben_tre.csv", "Ngày,Giá,Chợ,Hàng\n2024-01-15,65000,Mỏ Cày Bắc,Dừa khô\n"
    )
    raw = read_prices(
        path,
        mapping={"date": "Ngày", "price": "Giá", "market": "Chợ", "commodity": "Hàng"},
        defaults={"currency": "VND", "price_type": "Retail", "unit": "nut"},
    )
    _check_shape(raw)
    assert raw.kind == "table"
    assert raw.table.drop(columns="row").iloc[0].to_dict() == {
        "date": "2024-01-15",
        "commodity": "Dừa khô",
        "market": "Mỏ Cày Bắc",
        "price_type": "Retail",
        "unit": "nut",
        "currency": "VND",
        "price": "65000",
        "priceflag": "",
    }
    assert list(raw.original.columns) == ["Ngày", "Giá", "Chợ", "Hàng"]
    assert any("default" in n and "VND" in n for n in raw.notes)


def test_vietnamese_aliases_without_mapping(tmp_path):
    path = _write(
        tmp_path / "gia.csv",
        "NGÀY,Mặt hàng,Huyện,Đơn vị,Tiền tệ,Loại giá,giá\n"
        "15/01/2024,Dừa khô,Mỏ Cày Bắc,trái,VND,Bán lẻ,6.500\n",
    )
    row = read_prices(path).table.iloc[0]
    assert (
        row["date"],
        row["commodity"],
        row["market"],
        row["unit"],
        row["currency"],
        row["price_type"],
        row["price"],
    ) == ("15/01/2024", "Dừa khô", "Mỏ Cày Bắc", "trái", "VND", "Bán lẻ", "6.500")


def test_english_aliases_and_dvt(tmp_path):
    path = _write(
        tmp_path / "p.csv",
        "DATE,Product,Market,ĐVT,Currency,Price Type,PRICE,NA_col\n"
        "2024-02-01,Rice,An Giang,kg,VND,Wholesale,NA,NA\n",
    )
    row = read_prices(path).table.iloc[0]
    assert row["unit"] == "kg" and row["price_type"] == "Wholesale"
    assert row["price"] == "NA"  # not turned into NaN: cleaning reports it


def test_default_does_not_override_a_column(tmp_path):
    path = _write(
        tmp_path / "p.csv",
        "date,commodity,market,unit,currency,price_type,price\n"
        "2024-02-01,Rice,An Giang,kg,USD,Retail,1\n",
    )
    raw = read_prices(path, defaults={"currency": "VND"})
    assert raw.table["currency"].tolist() == ["USD"]
    assert any("ignored --default currency" in n for n in raw.notes)


def test_a_default_fills_a_columns_blank_cells_only(tmp_path):
    """A test: a unit column left blank on every row was refused row by row ("no usable
    rows ... Check the column mapping"), and --default unit=kg was ignored, as the file had
    a unit column."""
    path = _write(
        tmp_path / "p.csv",
        "date,commodity,market,unit,currency,price_type,price\n"
        "2024-02-01,Rice,An Giang,,VND,Retail,9000\n"
        "2024-03-01,Rice,An Giang,tạ,VND,Retail,900000\n"
        "2024-04-01,Rice,An Giang, ,VND,Retail,9100\n",
    )
    raw = read_prices(path, defaults={"unit": "kg"})
    assert raw.table["unit"].tolist() == ["kg", "tạ", "kg"]  # the unit written stands
    assert "unit = 'kg' for the 2 rows whose unit column ('unit') is blank (default)" in raw.notes
    from forecast.clean import clean

    blank = read_prices(path)
    blank = RawPrices(blank.table.assign(unit=""), blank.original, blank.source, blank.kind)
    with pytest.raises(InputError) as err:
        clean(blank)
    assert "or give them for every blank row: --default unit=kg (your values)" in str(err.value)


def test_missing_column_names_found_columns_and_closest(tmp_path):
    path = _write(
        tmp_path / "cho_thi_xa.csv",
        "Ngày,Giá bán lẻ,Chợ,Mặt hàng\n2024-01-15,6500,Mỏ Cày Bắc,Dừa khô\n",
    )
    with pytest.raises(InputError) as err:
        read_prices(path, defaults={"unit": "nut", "currency": "VND", "price_type": "Retail"})
    text = str(err.value)
    assert "cho_thi_xa.csv" in text
    assert "'price'" in text and "closest match: 'Giá bán lẻ'" in text
    assert "columns found: Ngày, Giá bán lẻ, Chợ, Mặt hàng" in text
    assert "--map price=Giá bán lẻ" in text
    assert "'date'" not in text  # only what is missing is named


def test_missing_key_column_suggests_a_default(tmp_path):
    path = _write(tmp_path / "p.csv", "date,price,market,commodity,unit,price_type\n1,2,3,4,5,6\n")
    with pytest.raises(InputError, match=r"'currency'.*--default <name>=<value> for currency$"):
        read_prices(path)


def test_a_sheet_without_a_unit_column_whose_prices_say_their_unit(tmp_path):
    head = "date,price,market,commodity,currency,price_type\n"
    path = _write(
        tmp_path / "p.csv",
        head + "2024-01-15,45.000đ/kg,A,Bưởi,VND,Retail\n2024-02-15,46000,A,Bưởi,VND,Retail\n",
    )
    raw = read_prices(path)
    assert raw.table["unit"].tolist() == ["", ""]  # for the prices to fill, or be refused
    assert any("no unit column" in note for note in raw.notes)
    plain = _write(tmp_path / "q.csv", head + "2024-01-15,45000,A,Bưởi,VND,Retail\n")
    with pytest.raises(InputError, match="'unit'"):  # no price says a unit: still refused
        read_prices(plain)


DEPOT = "Ngày,Mặt hàng,Chợ,ĐVT,Loại giá,{price}\n2024-01-05,Lúa,Cai Lậy,kg,Bán sỉ,7.5\n"


@pytest.mark.parametrize(
    ("price", "currency"),
    [
        ("Giá (x1000đ)", "x1000đ"),
        ("Giá [1.000đ/kg]", "1.000đ/kg"),
        ("Price (VND '000)", "VND '000"),
    ],
)
def test_a_price_header_naming_its_currency_gives_the_rows_theirs(tmp_path, price, currency):
    from forecast.clean import CleanOptions, clean

    raw = read_prices(_write(tmp_path / "depot.csv", DEPOT.format(price=price)))
    assert raw.table["currency"].tolist() == [currency]
    assert raw.table["price"].tolist() == ["7.5"]
    assert f"currency {currency!r} for every row, from the price column {price!r}" in raw.notes
    assert clean(raw, CleanOptions()).prices["price"].tolist() == [7_500]


def test_a_price_header_in_thousands_and_a_currency_elsewhere_is_refused(tmp_path):
    text = "Ngày,Mặt hàng,Chợ,ĐVT,Loại giá,Tiền tệ,Giá (x1000đ)\n2024-01-05,Lúa,A,kg,Sỉ,VND,7.5\n"
    path = _write(tmp_path / "both.csv", text)
    with pytest.raises(InputError, match=r"both\.csv: the price column 'Giá \(x1000đ\)' counts"):
        read_prices(path)
    # Mapped by hand with a default currency, the header still says its thousands.
    depot = _write(tmp_path / "depot.csv", DEPOT.format(price="Giá (x1000đ)"))
    with pytest.raises(InputError, match="and --default currency names their currency too"):
        read_prices(depot, mapping={"price": "Giá (x1000đ)"}, defaults={"currency": "VND"})


def test_a_price_header_with_a_unit_in_brackets_names_no_currency(tmp_path):
    path = _write(tmp_path / "kg.csv", DEPOT.format(price="Giá (kg)"))
    with pytest.raises(InputError, match="no column for 'price'"):
        read_prices(path)


def _vnm_sheet(shared_data, tmp_path, price_header: str, per: float, **extra) -> Path:
    """The real Vietnamese rice prices as a depot's sheet: Vietnamese headers, no unit
    column, prices per ``per`` kg under ``price_header``."""
    wfp = pd.read_csv(shared_data / "wfp" / "wfp_food_prices_vnm.csv", dtype=str)
    wfp = wfp[wfp["priceflag"] == "actual"]
    sheet = pd.DataFrame(
        {
            "Ngày": wfp["date"],
            "Tỉnh": wfp["admin1"],
            "Chợ": wfp["market"],
            "Mặt hàng": "Lúa gạo",
            "Loại giá": "Bán buôn",
            **extra,
            price_header: (wfp["price"].astype(float) * per).round(2),
        }
    )
    path = tmp_path / "gia.csv"
    sheet.to_csv(path, index=False)
    return path


def test_a_unit_in_the_price_header_is_the_rows_unit(shared_data, tmp_path):
    """'Giá (đồng/tạ)': per tạ (100 kg). It was read per --default unit=kg, 100x too dear."""
    from forecast.clean import CleanOptions, clean

    path = _vnm_sheet(shared_data, tmp_path, "Giá (đồng/tạ)", 100)
    raw = read_prices(path)
    assert set(raw.table["unit"]) == {"tạ"} and set(raw.table["currency"]) == {"đồng/tạ"}
    assert "unit 'tạ' for every row, from the price column 'Giá (đồng/tạ)'" in raw.notes
    prices = clean(raw, CleanOptions()).prices
    first = prices[prices["market"] == "An Giang"].iloc[0]
    assert (first["unit"], first["currency"], first["price"]) == ("kg", "VND", 5317.5)
    with pytest.raises(InputError) as err:
        read_prices(path, defaults={"unit": "kg"})
    assert (
        "the price column 'Giá (đồng/tạ)' gives prices per 'tạ' but --default unit=kg says "
        "per 'kg'" in str(err.value)
    )
    # Said both ways alike is no conflict.
    assert set(read_prices(path, defaults={"unit": "tạ"}).table["unit"]) == {"tạ"}


def test_a_unit_column_against_the_price_header_is_refused(tmp_path):
    text = "Ngày,Chợ,Mặt hàng,Loại giá,Đơn vị,Giá (đồng/tạ)\n2008-01-15,A,Lúa,Sỉ,{unit},531800\n"
    with pytest.raises(InputError) as err:
        read_prices(_write(tmp_path / "kg.csv", text.format(unit="kg")))
    assert "gives prices per 'tạ' but the unit column 'Đơn vị' says 'kg' (row 1)" in str(err.value)
    assert read_prices(_write(tmp_path / "ta.csv", text.format(unit="Tạ"))).table["unit"][0] == "Tạ"


def test_no_unit_column_never_suggests_a_column_of_other_things(shared_data, tmp_path):
    """'Tỉnh' (provinces) is close to 'unit' by its letters: it was suggested, --map unit=Tỉnh."""
    path = _vnm_sheet(shared_data, tmp_path, "Giá (nghìn đồng)", 1 / 1000)
    with pytest.raises(InputError) as err:
        read_prices(path)
    text = str(err.value)
    assert "no column for 'unit';" in text and "Tỉnh" not in text.split("columns found")[0]
    assert text.endswith(
        "Use --default unit=kg (the unit the prices are per) or --map unit=<column>"
    )
    # A column of units is still suggested by its close name.
    units = _vnm_sheet(shared_data, tmp_path, "Giá (nghìn đồng)", 1 / 1000, Units="kg")
    with pytest.raises(InputError, match="closest match: 'Units'.*--map unit=Units"):
        read_prices(units)


def test_mapping_to_absent_column(tmp_path):
    path = _write(tmp_path / "p.csv", "Ngày,Giá,Chợ\n2024-01-15,1,X\n")
    # The option is wrong, not the file: exit 2, as the README says of a bad option.
    with pytest.raises(UsageError) as err:
        read_prices(path, mapping={"price": "Gia ban"})
    assert err.value.exit_code == 2
    text = str(err.value)
    assert "p.csv" in text and "'Gia ban'" in text and "columns found: Ngày, Giá, Chợ" in text


def test_mapping_tolerates_missing_accents(tmp_path):
    path = _write(tmp_path / "p.csv", "Ngày,Giá,Chợ\n2024-01-15,1,X\n")
    raw = read_prices(
        path,
        mapping={"price": "Gia", "date": "ngay", "market": "cho"},
        defaults={"commodity": "Rice", "unit": "kg", "currency": "VND", "price_type": "Retail"},
    )
    assert raw.table[["date", "price", "market"]].iloc[0].tolist() == ["2024-01-15", "1", "X"]


def test_unknown_mapping_key_is_a_usage_error(tmp_path):
    path = _write(tmp_path / "p.csv", "date,price\n1,2\n")
    with pytest.raises(UsageError, match="prix"):
        read_prices(path, mapping={"prix": "price"})
    with pytest.raises(UsageError, match="kind"):
        read_prices(path, kind="csv")


def test_header_only_says_no_data_rows(tmp_path):
    path = _write(tmp_path / "only_header.csv", "Ngày,Giá\n\n")
    with pytest.raises(InputError, match=r"only_header\.csv: has a header but no data rows"):
        read_prices(path)


def test_line_wider_than_header_is_refused(tmp_path):
    # An unquoted decimal comma splits a value: pandas would drop the extra part silently.
    # The file's only line: no stray line among good ones, so no table of that shape.
    path = _write(tmp_path / "wide.csv", "date,price,market\n2024-01-15,6500,5,Ben Tre\n")
    with pytest.raises(
        InputError,
        match=r"wide\.csv: does not look like a table of the header's 3 columns: 1 of 1 lines "
        r"do not split into them \(line 2: 4 values, expected 3\)",
    ):
        read_prices(path)


DEFAULTS = {"commodity": "Rice", "unit": "kg", "currency": "VND", "price_type": "Retail"}
LKA_LINES = 200  # header, HXL tag row and 198 prices


def _lka_slice(shared_data, tmp_path, breaks: dict[int, tuple[str, str]]):
    """The first lines of the real Sri Lanka file, with lines (numbered as an editor numbers
    them) broken by replacing text in them: ``{17: ("Colombo City", "Colombo, City")}``."""
    source = shared_data / "wfp" / "wfp_food_prices_lka.csv"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)[:LKA_LINES]
    for number, (old, new) in breaks.items():
        assert old in lines[number - 1]
        lines[number - 1] = lines[number - 1].replace(old, new, 1)
    path = tmp_path / "lka.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path, lines


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        (("Colombo City", "Colombo, City"), "line 17: 17 values, expected 16"),
        (("Colombo City", '"Colombo City'), 'line 17: a quote (") opens a value and is not'),
        (("Colombo City,368", '"Colombo City,"368'), 'line 17: a quote (") closes in the'),
    ],
)
def test_a_broken_line_is_refused_and_the_rest_read(shared_data, tmp_path, broken, reason):
    from forecast.clean import CleanOptions, clean

    path, lines = _lka_slice(shared_data, tmp_path, {17: broken})
    raw = read_prices(path)
    assert raw.kind == "wfp"
    assert len(raw.table) == LKA_LINES - 2  # every price line a row, the broken one too
    (row,) = raw.table.index[raw.table["line_error"] != ""]
    assert raw.table.loc[row, "line_error"].startswith(reason)
    # Its values as written stay with it, for the rejected-rows file: nothing is lost.
    written = raw.original.loc[raw.table.loc[row, "row"]]
    assert ",".join(written) == lines[16].rstrip("\n")
    result = clean(raw, CleanOptions())
    assert result.report.rows_rejected == 1
    assert result.rejected["reason"].str.startswith(reason).tolist() == [True]
    # The rows after it are read as they would be without it.
    intact = clean(read_prices(_lka_slice(shared_data, tmp_path, {})[0]), CleanOptions())
    assert len(result.prices) > 0
    assert result.report.rows_kept == intact.report.rows_kept - 1


def test_more_than_a_few_broken_lines_are_no_table(shared_data, tmp_path):
    breaks = {n: ("cereals and tubers", "cereals, tubers") for n in range(10, 16)}
    path, _ = _lka_slice(shared_data, tmp_path, breaks)
    with pytest.raises(
        InputError,
        match=r"lka\.csv: does not look like a table of the header's 16 columns: 6 of 199 lines "
        r"do not split into them \(line 10: 17 values, expected 16, and 5 more\)",
    ):
        read_prices(path)
    # Five are a few: refused one by one.
    path, _ = _lka_slice(shared_data, tmp_path, dict(list(breaks.items())[:5]))
    assert (read_prices(path).table["line_error"] != "").sum() == 5


def test_a_quote_left_open_on_the_last_line_is_refused(tmp_path):
    head = "date,commodity,market,price_type,unit,currency,price\r\n"
    rows = [f'2024-{m:02d}-15,Lúa,Chợ A,Retail,kg,VND,"7,{m}"\r\n' for m in range(1, 13)]
    rows[-1] = '2024-12-15,Lúa,Chợ A,Retail,kg,VND,"7,12'
    raw = read_prices(_write(tmp_path / "p.csv", head + "".join(rows)))
    reasons = raw.table["line_error"].tolist()
    assert reasons[:-1] == [""] * 11
    assert reasons[-1] == 'line 13: a quote (") opens a value and is not closed on that line'


def test_lines_ending_in_a_carriage_return_alone(tmp_path):
    # Old Mac exports end lines with "\r": two lines, not one with a stray newline in it.
    text = "date,price,market\r2024-01-15,6500,A\r2024-02-15,6600,A\r"
    raw = read_prices(_write(tmp_path / "mac.csv", text), defaults=DEFAULTS)
    assert raw.table["price"].tolist() == ["6500", "6600"]


def test_trailing_separators_are_harmless(tmp_path):
    path = _write(
        tmp_path / "p.csv",
        "date,price,market,commodity,unit,currency,price_type\n"
        "2024-01-15,6500,A,Rice,kg,VND,Retail,,\n",
    )
    assert read_prices(path).table["price"].tolist() == ["6500"]


def test_hxl_row_in_generic_table(tmp_path):
    path = _write(tmp_path / "p.csv", "date,price,market\n#date,#value,#loc\n2024-01-01,5,A\n")
    raw = read_prices(
        path,
        defaults={"commodity": "Rice", "unit": "kg", "currency": "VND", "price_type": "Retail"},
    )
    assert raw.table["date"].tolist() == ["2024-01-01"]
    assert raw.table["row"].tolist() == [1]
    assert any("HXL" in n for n in raw.notes)


# --- encodings and delimiters ----------------------------------------------------------------

VN_TEXT = (
    "Ngày\tGiá\tChợ\tMặt hàng\tĐơn vị\tTiền tệ\tLoại giá\n"
    f"2024-01-15\t65000\t{VN_MARKET}\t{VN_COMMODITY}\tkg\tVND\tRetail\n"
)


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le-bom", "utf-16-be-bom", "utf-8-sig", "utf-8"]
)
def test_round_trip_keeps_vietnamese(tmp_path, encoding):
    boms = {
        "utf-16-le-bom": (b"\xff\xfe", "utf-16-le"),
        "utf-16-be-bom": (b"\xfe\xff", "utf-16-be"),
    }
    path = tmp_path / "ben_tre.txt"
    if encoding in boms:
        bom, codec = boms[encoding]
        path.write_bytes(bom + VN_TEXT.encode(codec))
    else:
        _write(path, VN_TEXT, encoding)
    raw = read_prices(path)
    assert raw.table["market"].tolist() == [VN_MARKET]
    assert raw.table["commodity"].tolist() == [VN_COMMODITY]
    assert list(raw.original.columns)[0] == "Ngày"  # no BOM glued to the first header
    assert not any("not UTF-8" in n for n in raw.notes)


def test_excel_unicode_text_export(tmp_path):
    # Excel's "Unicode text" export: UTF-16 LE with BOM, tab separated, CRLF, .txt
    frame = pd.DataFrame(
        {"Ngày": ["2024-01-15"], "Giá": ["65000"], "Chợ": [VN_MARKET], "Mặt hàng": [VN_COMMODITY]}
    )
    path = tmp_path / "export.txt"
    frame.to_csv(path, sep="\t", index=False, encoding="utf-16", lineterminator="\r\n")
    raw = read_prices(path, defaults={"unit": "kg", "currency": "VND", "price_type": "Retail"})
    assert raw.table.iloc[0][["market", "commodity", "price"]].tolist() == [
        VN_MARKET,
        VN_COMMODITY,
        "65000",
    ]


def test_cp1258_fallback_with_note(tmp_path):
    # Windows Vietnamese writes tones as combining marks after a base letter.
    text = (
        "Ngày,Giá,Chợ,Mặt hàng\n2024-01-15,65000,Mo\u0309 Cày B\u0103\u0301c,D\u01b0\u0300a khô\n"
    )
    path = tmp_path / "legacy.csv"
    path.write_bytes(
        text.replace("Chợ", "Cho")
        .replace("Mặt hàng", "Mat hang")
        .replace("Ngày", "Ngay")
        .replace("Giá", "Gia")
        .encode("cp1258")
    )
    raw = read_prices(path, defaults={"unit": "kg", "currency": "VND", "price_type": "Retail"})
    assert raw.table["market"].tolist() == [VN_MARKET]
    assert raw.table["commodity"].tolist() == [VN_COMMODITY]
    assert any("cp1258" in n for n in raw.notes)


def test_western_windows_text_is_not_read_as_vietnamese(tmp_path):
    """cp1252 'São Tomé', 'Feijão': read as cp1258 they were 'Săo Tomé', 'Feijăo', and the
    note told the user to pass an encoding no command takes."""
    text = "date,market,commodity,unit,price_type,currency,price\n"
    text += (
        "2023-01-15,São Tomé,Feijão,KG,Retail,STN,45.5\n2023-02-15,Lisboa,Limões,KG,Retail,EUR,2\n"
    )
    raw = read_prices(_write(tmp_path / "pt.csv", text, "cp1252"))
    assert raw.table["market"].tolist() == ["São Tomé", "Lisboa"]
    assert raw.table["commodity"].tolist() == ["Feijão", "Limões"]
    (note,) = [n for n in raw.notes if "UTF-8" in n]
    assert "cp1252" in note and "e.g. 'São'" in note and "re-save the file as UTF-8" in note
    assert "pass the encoding" not in note


def test_vietnamese_windows_text_is_still_vietnamese(tmp_path):
    # cp1258 writes "Đồng Tháp", "Bạc Liêu" with tones as marks after their vowel.
    markets = ["\u0110\u00f4\u0300ng Tháp", "Ba\u0323c Liêu"]
    text = "date,market,currency,price\n"
    text += "".join(f"2024-01-15,{m},VNĐ,6500\n" for m in markets)
    defaults = {"commodity": "Lúa", "unit": "kg", "price_type": "Retail"}
    raw = read_prices(_write(tmp_path / "vn.csv", text, "cp1258"), defaults=defaults)
    assert raw.table["market"].tolist() == ["Đồng Tháp", "Bạc Liêu"]
    assert any("cp1258" in n for n in raw.notes)
    # Names without tones: "VNĐ" alone still says Vietnamese ("VNÐ" in cp1252).
    plain = text.replace(markets[0], "Dong Thap").replace(markets[1], "Bac Lieu")
    raw = read_prices(_write(tmp_path / "plain.csv", plain, "cp1258"), defaults=defaults)
    assert set(raw.table["currency"]) == {"VNĐ"}


@pytest.mark.parametrize(
    ("name", "sep"),
    [("p.tsv", "\t"), ("p.csv", ";"), ("p.txt", "\t"), ("p.dat", "|"), ("p.csv", ",")],
)
def test_delimiter_sniffing(tmp_path, name, sep):
    lines = (
        ["date", "commodity", "market", "unit", "currency", "price_type", "price"],
        ["15/01/2024", "Chili (red, dry)", "Bến Tre", "kg", "VND", "Retail", "65.000,5"],
    )
    text = (
        "\n".join(sep.join(f'"{v}"' if sep in v or "," in v else v for v in line) for line in lines)
        + "\n"
    )
    raw = read_prices(_write(tmp_path / name, text))
    row = raw.table.iloc[0]
    assert row["commodity"] == "Chili (red, dry)"
    assert row["price"] == "65.000,5"
    assert row["market"] == "Bến Tre"


# --- Excel and Parquet ----------------------------------------------------------------------


def test_excel_with_title_rows_and_blank_rows(tmp_path):
    path = tmp_path / "huyen.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, sheet_name="Ghi chú", index=False)
        dates = [pd.Timestamp("2024-01-15"), None, pd.Timestamp("2024-02-15")]
        frame = pd.DataFrame(
            {"Ngày": dates, "Giá": [65000.0, None, 6500.5], "Chợ": [VN_MARKET, None, VN_MARKET]}
        )
        frame.to_excel(writer, sheet_name="Giá dừa", index=False, startrow=2)
        writer.sheets["Giá dừa"]["A1"] = "Bảng giá dừa khô - huyện Mỏ Cày Bắc"
    defaults = {"commodity": VN_COMMODITY, "unit": "nut", "currency": "VND", "price_type": "Retail"}
    raw = read_prices(path, sheet="Giá dừa", defaults=defaults)
    assert raw.table[["row", "date", "price", "market"]].values.tolist() == [
        [1, "2024-01-15", "65000", VN_MARKET],
        [3, "2024-02-15", "6500.5", VN_MARKET],
    ]
    assert any("blank row" in n for n in raw.notes)
    with pytest.raises(InputError) as err:
        read_prices(path, sheet="Sheet9")
    assert "huyen.xlsx" in str(err.value) and "Giá dừa" in str(err.value)


def test_a_sheet_for_a_file_that_is_no_workbook_is_refused(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("date,price\n2024-01-01,5\n")
    with pytest.raises(UsageError) as err:
        read_prices(path, sheet="VNM", defaults={"commodity": "Rice"})
    assert "p.csv" in str(err.value) and "--sheet 'VNM'" in str(err.value)


def test_a_workbooks_other_sheets_are_named_in_the_read_note(tmp_path):
    path = tmp_path / "two.xlsx"
    frame = pd.DataFrame({"date": ["2024-01-01"], "price": ["5"]})
    with pd.ExcelWriter(path) as writer:
        for name in ("VNM", "THA", "LKA"):
            frame.to_excel(writer, sheet_name=name, index=False)
    defaults = {"commodity": "Rice", "market": "A", "unit": "kg", "currency": "VND"}
    defaults["price_type"] = "Retail"
    raw = read_prices(path, defaults=defaults)
    assert "read sheet 'VNM'; also in the workbook: THA, LKA (use --sheet)" in raw.notes
    chosen = read_prices(path, sheet="THA", defaults=defaults)
    assert "read sheet 'THA'; also in the workbook: VNM, LKA" in chosen.notes


def test_parquet_typed_values_become_text(tmp_path):
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-01-15", "2024-02-15"]),
            "price": [65000.0, float("nan")],
            "market": [VN_MARKET, VN_MARKET],
            "commodity": [VN_COMMODITY] * 2,
            "unit": ["kg"] * 2,
            "currency": ["VND"] * 2,
            "price_type": ["Retail"] * 2,
        }
    )
    path = tmp_path / "p.parquet"
    frame.to_parquet(path)
    raw = read_prices(path)
    assert raw.table["date"].tolist() == ["2024-01-15", "2024-02-15"]
    assert raw.table["price"].tolist() == ["65000", ""]
    assert raw.table["market"].tolist() == [VN_MARKET] * 2


# --- bad input ------------------------------------------------------------------------------


def _bad_files(tmp_path):
    rng = random.Random(0)
    png = b"\x89PNG\r\n\x1a\n" + rng.randbytes(200)
    book = openpyxl.Workbook()
    book.save(tmp_path / "book.xlsx")
    (tmp_path / "folder.csv").mkdir()
    return {
        "missing.csv": None,
        "folder.csv": None,
        "empty.csv": b"",
        "header_only.csv": b"date,price,market\n",
        "header_hxl_only.csv": b"date,price\n#date,#value\n",
        "random.csv": rng.randbytes(4096),
        "random.xyz": rng.randbytes(4096),
        "image.csv": png,
        "old.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
        "not_a_book.xlsx": b"PK\x03\x04" + rng.randbytes(300),
        "not_parquet.parquet": b"PAR1" + rng.randbytes(300),
        "blank_lines.csv": b"\n\n  \n",
    }


@pytest.mark.parametrize(
    "name",
    [
        "missing.csv",
        "folder.csv",
        "empty.csv",
        "header_only.csv",
        "header_hxl_only.csv",
        "random.csv",
        "random.xyz",
        "image.csv",
        "old.xls",
        "not_a_book.xlsx",
        "not_parquet.parquet",
        "blank_lines.csv",
    ],
)
def test_bad_input_is_one_clear_error(tmp_path, name):
    content = _bad_files(tmp_path)[name]
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_prices(path)
    assert name in str(err.value)
    assert err.value.fix  # always says how to fix it


def test_excel_missing_sheet_lists_sheets(tmp_path):
    path = tmp_path / "book.xlsx"
    pd.DataFrame({"date": ["x"], "price": ["1"]}).to_excel(path, sheet_name="Data", index=False)
    with pytest.raises(InputError, match=r"book\.xlsx.*'Monthly Prices'.*Data"):
        read_prices(path, sheet="Monthly Prices")


def test_pinksheet_kind_on_csv(tmp_path):
    path = _write(tmp_path / "p.csv", "date,price\n1,2\n")
    with pytest.raises(InputError, match=r"p\.csv"):
        read_prices(path, kind="pinksheet")
    with pytest.raises(InputError, match=r"p\.csv.*WFP"):
        read_prices(path, kind="wfp")


def test_reading_never_changes_the_file(tmp_path, shared_data):
    path = tmp_path / "copy.csv"
    path.write_bytes((shared_data / "wfp" / "wfp_food_prices_tha.csv").read_bytes())
    before = hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns
    read_prices(path)
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) == before


def test_notes_are_plain_sentences(shared_data):
    raw = read_prices(shared_data / "wfp" / "wfp_food_prices_tha.csv")
    assert all(isinstance(n, str) and not re.search(r"[{}]", n) for n in raw.notes)


def test_a_typed_three_decimal_number_stays_a_number():
    from forecast.clean.numbers import parse_price
    from forecast.io.files import cell_text

    text = cell_text(92.853)
    assert text == "92.8530" and parse_price(text).value == 92.853
    assert not parse_price(text).ambiguous
    assert cell_text(5317.5) == "5317.5" and cell_text(45000.0) == "45000"


def test_a_parquet_decimal_column_is_read_as_numbers(tmp_path):
    from decimal import Decimal

    from forecast.io.files import cell_text

    assert cell_text(Decimal("92.853")) == "92.8530" and cell_text(Decimal("45000")) == "45000"
    assert cell_text(Decimal("NaN")) == ""


# --- typed numbers are numbers: --decimal is the decimal point of text ----------------------

#: Typed in their cells; half of them have a fraction, as "2.25" and "12,5" are written.
TYPED = [2.25, 3, 2.125, 4, 2.5, 2]
_HEADER = ["date", "commodity", "market", "price_type", "unit", "currency", "price"]


def _typed_book(path, prices):
    """A workbook of one monthly series whose price cells hold ``prices`` as given: numbers
    typed as numbers, strings as text."""
    book = openpyxl.Workbook()
    book.active.append(_HEADER)
    for month, price in enumerate(prices, start=1):
        book.active.append([f"2024-{month:02d}-01", "Rice", "A", "Retail", "kg", "USD", price])
    book.save(path)
    return path


def _cleaned(path, decimal):
    from forecast.clean import CleanOptions, clean

    return clean(read_prices(path), CleanOptions(decimal=decimal))


def test_typed_numbers_read_exactly_whatever_the_decimal_point_of_text(tmp_path):
    """--decimal , refused half these prices (the typed 2.125 quoted as '2.1250') and filled
    their months with interpolated estimates: it was applied to the numbers' text."""
    import pickle

    from forecast.io.files import TypedNumber, cell_text

    book = _typed_book(tmp_path / "typed.xlsx", TYPED)
    for decimal in (None, ".", ","):
        result = _cleaned(book, decimal)
        assert result.rejected.empty, result.rejected["reason"].tolist()
        assert result.prices["price"].tolist() == TYPED  # exactly: not padded, not rounded
        assert (result.prices["flags"] == "").all()  # observations, none interpolated
    # The text a user reads stays as before; the number rides along, pickled too.
    typed = cell_text(2.125)
    assert isinstance(typed, TypedNumber) and (typed, typed.number) == ("2.1250", 2.125)
    again = pickle.loads(pickle.dumps(typed))
    assert isinstance(again, TypedNumber) and again.number == 2.125
    # Written as text, the same prices still obey --decimal (with ',' the text "2.125"
    # groups thousands, 2125, as "45.000" does).
    lines = [f"2024-{m:02d}-01,Rice,A,Retail,kg,USD,{p}" for m, p in enumerate(TYPED, start=1)]
    _write(tmp_path / "t.csv", "\n".join([",".join(_HEADER), *lines]) + "\n")
    refused = _cleaned(tmp_path / "t.csv", ",").rejected["reason"]
    assert refused.tolist() == [
        f"price '{p}' is not a number with decimal separator ','" for p in ("2.25", "2.5")
    ]


def test_a_typed_number_refused_is_quoted_as_typed(tmp_path):
    """A typed -1234567.89 was refused as "price '-1.23457e+06' is not positive"."""
    book = _typed_book(tmp_path / "neg.xlsx", [-1234567.89, -2.125, 0, 12.5])
    reasons = _cleaned(book, None).rejected["reason"].tolist()
    assert reasons == [f"price '{p}' is not positive" for p in ("-1234567.89", "-2.125", "0")], (
        reasons
    )


def test_a_typed_whole_number_refused_is_quoted_whole(tmp_path):
    """A Parquet int64 -123456789012345678 was quoted '-1.2345678901234568e+17'."""
    path = tmp_path / "typed64.parquet"
    frame = pd.DataFrame(
        {
            "date": ["2024-01-01", "2024-02-01"],
            "commodity": "Rice",
            "market": "A",
            "price_type": "Retail",
            "unit": "kg",
            "currency": "USD",
            "price": pd.array([-123456789012345678, 12], dtype="int64"),
        }
    )
    frame.to_parquet(path)
    reasons = _cleaned(path, None).rejected["reason"].tolist()
    assert reasons == ["price '-123456789012345678' is not positive"], reasons


def test_a_column_of_typed_numbers_and_text_reads_each_as_what_it_is(tmp_path):
    """Typed numbers beside text written with a decimal comma (a sheet typed in by hand):
    --decimal , reads the text, the numbers are numbers. A text "12.5" beside a typed 12.5
    (the same string) is still text, and refused, whichever comes first."""
    mixed = _typed_book(tmp_path / "mixed.xlsx", [2.25, "12,5", 2.125, "3,75", 4, "2,5"])
    result = _cleaned(mixed, ",")
    assert result.rejected.empty, result.rejected["reason"].tolist()
    assert result.prices["price"].tolist() == [2.25, 12.5, 2.125, 3.75, 4, 2.5]
    for prices in ([12.5, "12.5", 13, 12, 12.5, 13], ["12.5", 12.5, 13, 12, 12.5, 13]):
        result = _cleaned(_typed_book(tmp_path / "same.xlsx", prices), ",")
        assert result.rejected["reason"].tolist() == [
            "price '12.5' is not a number with decimal separator ','"
        ]
        typed_rows = [i for i, p in enumerate(prices) if not isinstance(p, str)]
        kept = result.prices[~result.prices["flags"].str.contains("interpolated")]
        assert kept["price"].tolist() == [prices[i] for i in typed_rows]


def test_a_parquet_float_column_is_numbers_and_a_text_column_obeys_decimal(tmp_path):
    base = {
        "date": [f"2024-{m:02d}-01" for m in range(1, 7)],
        **{c: v for c, v in zip(_HEADER[1:6], ["Rice", "A", "Retail", "kg", "USD"], strict=True)},
    }
    floats = tmp_path / "floats.parquet"
    pd.DataFrame({**base, "price": [float(p) for p in TYPED]}).to_parquet(floats)
    result = _cleaned(floats, ",")
    assert result.rejected.empty and result.prices["price"].tolist() == TYPED
    text = tmp_path / "text.parquet"
    pd.DataFrame({**base, "price": ["2,25", "3", "2,125", "4", "12,5", "12.5"]}).to_parquet(text)
    result = _cleaned(text, ",")
    assert result.prices["price"].tolist()[:5] == [2.25, 3, 2.125, 4, 12.5]
    assert result.rejected["reason"].tolist() == [
        "price '12.5' is not a number with decimal separator ','"
    ]


# --- two columns under one name -------------------------------------------------------------


def test_two_price_columns_under_one_name_are_refused_not_guessed(tmp_path):
    header = ["date", "commodity", "market", "price_type", "unit", "currency", "price", "price"]
    row = ["2020-01-15", "Maize", "Nairobi", "Retail", "KG", "KES", "40", "41"]
    csv_path = tmp_path / "two.csv"
    csv_path.write_text(",".join(header) + "\n" + ",".join(row) + "\n", "utf-8")
    book = openpyxl.Workbook()
    book.active.append(header)
    book.active.append(row)
    xlsx_path = tmp_path / "two.xlsx"
    book.save(xlsx_path)
    for path in (csv_path, xlsx_path):
        with pytest.raises(InputError, match="columns 7 and 8 are both named 'price'") as info:
            read_prices(path)
        assert path.name in str(info.value) and "Rename or delete one" in str(info.value)
    # Alike after tidying ("Price " and "price") is alike too.
    csv_path.write_text(",".join([*header[:7], "Price "]) + "\n" + ",".join(row) + "\n", "utf-8")
    with pytest.raises(InputError, match="columns 7 and 8 are both named 'price'"):
        read_prices(csv_path)
    # Two columns of one name that cropcast does not read are no one's business, even when
    # the name could have been a key's ("location" for the market) had the file no market.
    for extra in ("note", "location"):
        names = [*header[:7], extra, extra]
        csv_path.write_text(",".join(names) + "\n" + ",".join([*row[:7], "a", "b"]) + "\n", "utf-8")
        raw = read_prices(csv_path)
        assert raw.table["price"].tolist() == ["40"] and raw.table["market"].tolist() == ["Nairobi"]


def test_a_workbook_saved_under_a_csv_name_is_read_as_the_workbook_it_is(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["date", "commodity", "market", "price_type", "unit", "currency", "price"])
    book.active.append(["2020-01-15", "Maize", "Nairobi", "Retail", "KG", "KES", 40.5])
    path = tmp_path / "prices.csv"
    book.save(path)
    raw = read_prices(path)
    assert raw.table["price"].tolist() == ["40.5"] and raw.table["market"].tolist() == ["Nairobi"]


# --- after a review of the reading changes -------------------------------------------------


def _price_table_file(path, flags, dates, prices) -> str:
    rows = [
        f"Rice,A,Retail,kg,LKR,{d},{p},{f}" for d, p, f in zip(dates, prices, flags, strict=True)
    ]
    header = "commodity,market,price_type,unit,currency,date,price,flags\n"
    return _write(path, header + "\n".join(rows) + "\n")


def test_a_users_own_flags_column_is_not_taken_for_cropcasts_marks(tmp_path):
    """'not interpolated' in a column named flags is a note, not cropcast's mark: the prices
    stay observations (alerts and bulletins skip estimates)."""
    dates = [f"{d:%Y-%m-%d}" for d in pd.date_range("2020-01-01", periods=6, freq="MS")]
    notes = _price_table_file(tmp_path / "notes.csv", ["not interpolated"] * 6, dates, range(6))
    assert "flags" not in read_prices(notes).table.columns
    marks = ["", "interpolated", "", "outlier;converted", "", ""]
    ours = _price_table_file(tmp_path / "ours.csv", marks, dates, range(1, 7))
    assert read_prices(ours).table["flags"].fillna("").tolist() == marks


def test_a_cleaned_table_with_its_columns_renamed_keeps_its_marks_through_map(tmp_path):
    """A cleaned table whose other columns an analyst renamed (and reordered), read back
    with --map: its estimates stayed 'interpolated'; they were read as observed prices."""
    dates = [f"{d:%Y-%m-%d}" for d in pd.date_range("2020-01-01", periods=6, freq="MS")]
    marks = ["", "interpolated", "", "outlier", "", ""]
    rows = [
        f"{d},Rice,{p},A,Retail,kg,LKR,{f}"
        for d, p, f in zip(dates, range(1, 7), marks, strict=True)
    ]
    path = _write(
        tmp_path / "renamed.csv",
        "Month,Product,Value,Market,Type,Unit,Cur,flags\n" + "\n".join(rows) + "\n",
    )
    mapping = {
        "date": "Month",
        "commodity": "Product",
        "price": "Value",
        "market": "Market",
        "price_type": "Type",
        "unit": "Unit",
        "currency": "Cur",
    }
    raw = read_prices(path, mapping=mapping)
    assert raw.table["flags"].fillna("").tolist() == marks
    # A partial mapping (a currency given, not read) is not cropcast's table: flags stay out.
    partial = {k: v for k, v in mapping.items() if k != "currency"}
    other = read_prices(path, mapping=partial, defaults={"currency": "LKR"})
    assert "flags" not in other.table.columns


def test_a_cleaned_weekly_table_with_nothing_flagged_and_month_long_gaps_stays_weekly(tmp_path):
    """No estimates to mark (gaps too long to fill) and no two prices a week apart: its
    Mondays, not the first of a month as a cleaned monthly table's, still say weeks."""
    from forecast.clean import CleanOptions, clean

    weeks = pd.date_range("2024-01-01", periods=12, freq="5W-MON")
    path = _price_table_file(
        tmp_path / "w.csv", [""] * 12, [f"{d:%Y-%m-%d}" for d in weeks], range(70, 82)
    )
    again = clean(read_prices(path), CleanOptions())
    assert again.report.freq == "weekly"
    assert again.prices["date"].tolist() == list(weeks)


def test_first_monday_readings_in_a_price_table_file_stay_monthly(tmp_path):
    from forecast.clean import CleanOptions, clean

    months = pd.date_range("2022-01-01", periods=24, freq="MS")
    mondays = [f"{pd.offsets.Week(weekday=0).rollforward(d):%Y-%m-%d}" for d in months]
    path = _price_table_file(
        tmp_path / "m.csv", [""] * 24, mondays, [75 + i % 3 for i in range(24)]
    )
    assert clean(read_prices(path), CleanOptions()).report.freq == "monthly"


def test_a_corrected_typo_in_a_cleaned_file_loses_its_outlier_mark(tmp_path):
    from forecast.clean import CleanOptions, clean

    dates = [f"{d:%Y-%m-%d}" for d in pd.date_range("2020-01-01", periods=12, freq="MS")]
    prices = [58 + i % 3 for i in range(12)]
    flags = [""] * 12
    flags[6] = "outlier"  # was 880; the user typed the right price over it
    path = _price_table_file(tmp_path / "edited.csv", flags, dates, prices)
    cleaned = clean(read_prices(path), CleanOptions()).prices
    assert not cleaned["flags"].str.contains("outlier").any()


def test_a_marked_price_smaller_than_the_columns_thousands_is_counted_in_them(tmp_path):
    from forecast.clean import CleanOptions, clean

    text = "date,commodity,market,price_type,unit,currency,price\n" + "".join(
        f"2024-{m:02d}-15,Lúa,Chợ A,Retail,kg,nghìn đồng,{p}\n"
        for m, p in enumerate(["45", "46", "47đ", "45.000đ", "48"], start=1)
    )
    prices = clean(read_prices(_write(tmp_path / "n.csv", text)), CleanOptions()).prices
    assert prices["price"].tolist() == [45_000, 46_000, 47_000, 45_000, 48_000]


def test_two_price_headers_naming_currencies_ask_which(tmp_path):
    text = "date,commodity,market,unit,Price (USD),Price (VND)\n2024-01-15,Rice,A,kg,0.30,7500\n"
    path = _write(tmp_path / "two.csv", text)
    with pytest.raises(InputError, match=r"two\.csv: two price columns, 'Price \(USD\)' and"):
        read_prices(path, defaults={"price_type": "Retail"})
    raw = read_prices(path, mapping={"price": "Price (VND)"}, defaults={"price_type": "Retail"})
    assert raw.table["price"].tolist() == ["7500"]


def test_a_comma_in_every_row_of_one_market_is_no_stray_line(tmp_path):
    """Sixty rows of one market with an unquoted comma in its name would drop the whole
    series under any share of a long file: the file is refused, in one line."""
    head = "date,commodity,market,price_type,unit,currency,price\n"
    rows = [
        f"{d:%Y-%m-%d},Rice,{market},Retail,kg,VND,{7000 + i}\n"
        for market in [f"M{j}" for j in range(99)] + ["Chợ Lớn, Quận 5"]
        for i, d in enumerate(pd.date_range("2020-01-15", periods=60, freq="MS"))
    ]
    path = _write(tmp_path / "lost.csv", head + "".join(rows))
    with pytest.raises(InputError, match=r"60 of 6000 lines do not split"):
        read_prices(path)


def test_a_quote_left_open_on_the_last_line_counts_once(tmp_path):
    head = "date,commodity,market,price_type,unit,currency,price\n"
    rows = [f"2024-{m:02d}-15,Lúa,Chợ A,Retail,kg,VND,7{m}00\n" for m in range(1, 7)]
    rows[-1] = '2024-06-15,Lúa,"Chợ A"x,Retail,kg,VND,"7600'
    raw = read_prices(_write(tmp_path / "q.csv", head + "".join(rows)))
    assert (raw.table["line_error"] != "").sum() == 1


def test_a_whole_dong_price_in_a_trieu_column_is_not_scaled_a_million_times(tmp_path):
    from forecast.clean import CleanOptions, clean

    text = "date,commodity,market,price_type,unit,currency,price\n" + "".join(
        f"2024-{m:02d}-15,Lúa,Chợ A,Wholesale,tấn,triệu đồng,{p}\n"
        for m, p in enumerate(['"7,4"', '"7,5"', "7.600.000đ", '"7,7"'], start=1)
    )
    prices = clean(read_prices(_write(tmp_path / "t.csv", text)), CleanOptions()).prices
    assert prices["price"].tolist() == [7_400_000, 7_500_000, 7_600_000, 7_700_000]


def test_two_quotes_left_open_do_not_swallow_the_lines_between(tmp_path):
    """Lines 11 and 21 each open a quote: read as csv reads them, lines 12-20 become one
    market name of the right width. Each broken line is refused; the lines between are rows."""
    head = "date,commodity,market,price_type,unit,currency,price\n"
    rows = [f"2024-01-{d:02d},Lúa,Chợ A,Retail,kg,VND,70{d:02d}\n" for d in range(1, 21)]
    for d in (10, 20):
        rows[d - 1] = rows[d - 1].replace(",Chợ A,", ',"Chợ A,')
    raw = read_prices(_write(tmp_path / "open2.csv", head + "".join(rows)))
    broken = raw.table.loc[raw.table["line_error"] != "", "row"].tolist()
    assert broken == [10, 20]
    assert raw.table["market"].tolist().count("Chợ A") == 18
    # A note written over two lines inside quotes is one value, as before.
    note = head + '2024-01-01,Lúa,"Chợ A\nphía bắc",Retail,kg,VND,7001\n' + "".join(rows[1:9])
    raw = read_prices(_write(tmp_path / "note.csv", note))
    assert "line_error" not in raw.table
    assert raw.table["market"].iloc[0] == "Chợ A\nphía bắc"


def test_an_excel_sep_line_names_the_separator_and_is_no_header(tmp_path):
    """Excel writes (and honours) a first line "sep=;": it is not the header, and a line
    refused after it is counted from the top of the file."""
    path = tmp_path / "sep.csv"
    path.write_text(
        "sep=;\n"
        "date;commodity;market;price_type;unit;currency;price\n"
        "2024-01-15;Rice;A;Retail;kg;VND;9000\n"
        "2024-02-15;Rice;A;Retail;kg;VND;9100;x\n"
        "2024-03-15;Rice;A;Retail;kg;VND;9200\n",
        encoding="utf-8",
    )
    raw = read_prices(path)
    assert list(raw.table["price"].iloc[[0, 2]]) == ["9000", "9200"]
    assert list(raw.table["line_error"]) == ["", "line 4: 8 values, expected 7", ""]
    assert any("first line 'sep=;'" in note for note in raw.notes), raw.notes
    assert any("line 4: 8 values, expected 7" in note for note in raw.notes), raw.notes


@pytest.mark.parametrize(
    "page",
    [
        "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Sign in</body></html>\n",
        "\ufeff  <html lang='en'>\n<body>404 Not Found</body>\n</html>\n",
    ],
)
def test_a_web_page_saved_as_csv_is_named_for_what_it_is(tmp_path, page):
    path = tmp_path / "prices.csv"
    path.write_text(page, encoding="utf-8")
    with pytest.raises(InputError, match="is a web page .HTML., not a price table"):
        read_prices(path)


@pytest.mark.parametrize(
    "answer", ['{"a":1}\n', '[\n  {"date": "2024-01-01", "price": 9000}\n]\n', '[["date"]]']
)
def test_json_saved_as_a_price_file_is_named_for_what_it_is(tmp_path, answer):
    """Review: '{"a":1}' was said to have "a header but no data rows"."""
    path = tmp_path / "data.json"
    path.write_text(answer, encoding="utf-8")
    with pytest.raises(InputError, match="is JSON, not a price table") as err:
        read_prices(path)
    assert "pd.read_json(...).to_csv(...)" in str(err.value)
    # A table whose first column name is in brackets is still a table (read, then short
    # of columns).
    table = tmp_path / "t.csv"
    table.write_text("[date],price\n2024-01-01,9000\n", encoding="utf-8")
    with pytest.raises(InputError, match="no column for 'commodity'"):
        read_prices(table)


@pytest.mark.parametrize(
    ("parts", "said", "fix"),
    [
        ({"prices.csv": "date,price\n2024-01-01,9000\n"}, r"a zip archive \(prices.csv\)", "Unzip"),
        (
            {"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"},
            r"an OpenDocument spreadsheet \(.ods\)",
            "save it as .xlsx or CSV",
        ),
        ({"[Content_Types].xml": "<x/>", "word/document.xml": "<x/>"}, "a Word document", "CSV"),
        (
            {"[Content_Types].xml": "<x/>", "xl/workbook.bin": "\x00"},
            r"an Excel binary workbook \(.xlsb\)",
            "save it as .xlsx or CSV",
        ),
    ],
)
def test_a_zip_that_is_no_workbook_is_named_for_what_it_is(tmp_path, parts, said, fix):
    """A zipped CSV was told 'is not a readable Excel workbook (There is no item named
    [Content_Types].xml in the archive): open it in Excel and save it again as .xlsx'."""
    import zipfile

    path = tmp_path / "prices.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    with pytest.raises(InputError, match=said) as caught:
        read_prices(path)
    assert fix in str(caught.value) and "Excel workbook" not in str(caught.value)


@pytest.mark.parametrize("name", ["prices.xlsx", "prices.parquet", "prices.csv"])
def test_a_damaged_workbook_is_said_to_be_damaged_not_told_to_be_a_workbook(tmp_path, name):
    """A review: an .xlsx file of noise was told "is binary, not a text table. Give a CSV,
    TSV, Excel (.xlsx) or Parquet file", of a file named .xlsx."""
    path = tmp_path / name
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(InputError) as caught:
        read_prices(path)
    said = str(caught.value)
    if name.endswith(".csv"):
        assert "is binary, not a text table" in said
    else:
        suffix = name.rsplit(".", 1)[1]
        assert f"is named .{suffix} but is not" in said and "damaged" in said, said
        assert "save or export it again" in said and "Give a CSV" not in said


def test_a_stray_quote_in_a_long_file_is_named_by_its_line(tmp_path):
    """Past csv's 128 KB a quote left open made the whole file one value: refused with the
    parser's words and no line number, where a short file's stray quote is refused alone."""
    header = "date,market,commodity,unit,currency,price_type,price"
    rows = [
        f"2015-{1 + i % 12:02d}-01,Chợ số {i // 12},Lúa,kg,VND,Retail,{7000 + i}"
        for i in range(5000)
    ]
    rows[9] = rows[9].replace("Chợ", '"Chợ', 1)
    path = tmp_path / "district.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 11 opens a quote \(\"\) that no later line closes"):
        read_prices(path)
    # One value longer than 128 KB near the top: one line too, not an unexpected csv.Error.
    long = tmp_path / "long.csv"
    long.write_text(header + "\n" + "2015-01-01,A,Lúa,kg,VND,Retail," + "9" * 200_000 + "\n")
    with pytest.raises(InputError, match="no value is longer than 128 KB"):
        read_prices(long)


def test_an_output_to_stdout_sent_to_a_log_keeps_the_log(tmp_path):
    """`cropcast bulletin -o /dev/stdout >> bulletins.log` (or -o out.csv, a link to
    /dev/stdout) truncated the log, or replaced it through the link: its lines were lost.
    A path that leads to /dev or /proc is now appended to, whole."""
    import os

    from forecast.io.replace import replaced

    log = tmp_path / "bulletins.log"
    log.write_text("last week's bulletin\n")
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)  # as a shell's >> opens stdout
    try:
        stdout = f"/proc/self/fd/{fd}"
        with replaced(stdout) as path:
            path.write_text("this week's\n")
        link = tmp_path / "out.csv"
        link.symlink_to(stdout)
        with replaced(link) as path:
            path.write_text("and a table\n")
    finally:
        os.close(fd)
    assert log.read_text() == "last week's bulletin\nthis week's\nand a table\n"
    assert link.is_symlink()


def test_an_output_replaced_whole_keeps_what_the_path_is(tmp_path):
    """Review: writing through a temporary file replaced a symlink with a file (its target
    unchanged), made a 600 file world-readable, split a hard-linked file from its twin, and,
    as root, turned /dev/null into a file."""
    import os
    import stat

    from forecast.io.replace import replaced

    target = tmp_path / "target.csv"
    target.write_text("old\n")
    os.chmod(target, 0o600)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    with replaced(link) as path:
        path.write_text("new\n")
    assert link.is_symlink() and target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    twin = tmp_path / "twin.csv"
    os.link(target, twin)
    with replaced(target) as path:
        path.write_text("newer\n")
    assert twin.read_text() == "newer\n"
    with replaced("/dev/null") as path:
        path.write_text("nothing\n")  # a temporary file, its bytes then sent to the device
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    # A new output gets the mode any new file gets here (the umask's), not the private
    # mode its temporary file had while it was written.
    umask = os.umask(0o022)
    try:
        with replaced(tmp_path / "new.csv") as path:
            path.write_text("first\n")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o644


def test_no_room_for_the_temporary_file_leaves_the_old_output_whole(tmp_path, monkeypatch):
    """Review: a disk with no room for one more file had the output written in place and
    cut mid-row, where the old one should have stayed."""
    import errno
    from pathlib import Path

    from forecast.errors import CropcastError
    from forecast.io.replace import replaced

    output = tmp_path / "fc.csv"
    output.write_text("the old forecasts\n")

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "touch", full)
    with pytest.raises(CropcastError, match="what was there is unchanged"), replaced(output):
        raise AssertionError("nothing may be written")
    assert output.read_text() == "the old forecasts\n"
