"""The `data` and `calendar` commands: output on real files, and one clear line on bad input."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_checks import one_error_line, run


def test_data_list_embedded_default_data():
    result = run("data", "list", "--json")
    assert result.exit_code == 0, result.output
    series = json.loads(result.stdout)
    names = {(s["commodity"], s["market"]) for s in series}
    assert ("Rice", "An Giang") in names
    assert ("Rice, Viet Namese 5%", "world") in names
    an_giang = next(s for s in series if (s["commodity"], s["market"]) == ("Rice", "An Giang"))
    # The real gap 2019-05 .. 2020-12 is reported, not hidden.
    assert an_giang["missing"] >= 20
    assert an_giang["unit"] == "kg" and an_giang["currency"] == "VND"
    # Prices are those written: cleaning's estimates are counted among the gaps it filled.
    from forecast.datasets import load_default_prices
    from forecast.table import interpolated

    every = load_default_prices()
    rows = (every["commodity"] == "Rice") & (every["market"] == "An Giang")
    filled = int(interpolated(every[rows]).sum())
    assert filled > 0 and an_giang["estimated"] == filled
    assert an_giang["count"] == rows.sum() - filled
    span = pd.date_range(an_giang["first"], an_giang["last"], freq="MS")
    assert an_giang["count"] + an_giang["missing"] == len(span)
    table = run("data", "list").stdout
    assert f"estimated {sum(s['estimated'] for s in series)}" in " ".join(table.split())


def test_data_list_table_output():
    result = run("data", "list")
    assert result.exit_code == 0
    assert "embedded data" in result.stdout
    assert "An Giang" in result.stdout


def test_data_list_gives_a_weekly_series_span_in_days(tmp_path):
    """A weekly store's spans read '2025-11–2025-12', whichever weeks they held."""
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    rows += [
        f"{d:%Y-%m-%d},Dừa,Mỏ Cày Bắc,Farmgate,kg,VND,12000"
        for d in pd.date_range("2025-11-03", periods=9, freq="W-MON")
    ]
    path = tmp_path / "dua.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run("data", "list", path, "--freq", "weekly")
    assert result.exit_code == 0, result.output
    assert "2025-11-03–2025-12-29" in result.stdout
    assert "2021-01–2022-06" in run("data", "list").stdout  # Bac Lieu: months stay


def test_data_list_reads_a_file_as_data_check_does(tmp_path):
    """It says "pass --dayfirst" on ambiguous dates: then it must take it."""
    path = tmp_path / "lua.csv"
    path.write_text(
        "date,commodity,market,price_type,unit,currency,price\n"
        '02/03/2024,Lúa,Chợ A,Retail,kg,VND,"7,5"\n'
        '02/04/2024,Lúa,Chợ A,Retail,kg,VND,"7,6"\n',
        encoding="utf-8",
    )
    result = run("data", "list", path, "--dayfirst", "--decimal", ",", "--json")
    assert result.exit_code == 0, result.output
    (series,) = json.loads(result.stdout)
    assert (series["first"][:7], series["last"][:7]) == ("2024-03", "2024-04")


def test_data_check_vnm_lists_the_rows_it_leaves_out_and_passes_the_file(shared_data, tmp_path):
    """WFP's own 'forecast' rows are left out as always, with nothing to fix: a review found
    'data check' exiting 1 on the file as HDX publishes it, failing a script that gates on
    it. A row to fix still exits 1, and is listed ahead of the 78."""
    result = run("data", "check", shared_data / "wfp" / "wfp_food_prices_vnm.csv", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["rows_to_fix"], report["rows_left_out_as_always"]) == (0, 78)
    assert report["rows_in"] == 389
    assert report["rows_rejected"] == 78
    assert (
        report["rows_in"] == report["rows_kept"] + report["rows_merged"] + report["rows_rejected"]
    )
    # Every refused row, as the file wrote it, with its reason: the other commands' notes
    # send users here to see them (it had only the counts).
    rows = report["rejected_rows"]
    assert len(rows) == 78 and all(r["priceflag"] == "forecast" for r in rows)
    assert rows[0]["reason"] == "price flag 'forecast' is not an observed price"
    text = run("data", "check", shared_data / "wfp" / "wfp_food_prices_vnm.csv")
    said = " ".join(text.stdout.split())
    assert "78 x price flag 'forecast' is not an observed price (left out as always" in said
    assert "rows left out as always (the first 10 of 78;" in said
    assert f"row {rows[0]['row']}: {rows[0]['date']}," in said
    assert "--rejected refused.csv', or --json" in said
    # One actual price mistyped: a row to fix, said first.
    lines = (shared_data / "wfp" / "wfp_food_prices_vnm.csv").read_text().splitlines()
    typo = next(i for i, line in enumerate(lines) if ",actual," in line and i > 100)
    lines[typo] = lines[typo].rsplit(",", 2)[0] + ",7.5OO,0.3"
    mistyped = tmp_path / "vnm.csv"
    mistyped.write_text("\n".join(lines) + "\n", encoding="utf-8")
    checked = run("data", "check", mistyped)
    assert checked.exit_code == 1, checked.output
    said = " ".join(checked.stdout.split())
    assert "refused rows (the first 10 of 79;" in said
    assert said.index("7.5OO") < said.index("forecast, Wholesale")
    assert json.loads(run("data", "check", mistyped, "--json").stdout)["rows_to_fix"] == 1


def test_data_check_clean_file_exits_0(shared_data):
    result = run("data", "check", shared_data / "wfp" / "wfp_food_prices_tha.csv")
    assert result.exit_code == 0, result.output
    assert "849 rows in" in result.stdout


def test_data_clean_writes_prices_and_rejected_rows(shared_data, tmp_path):
    source = tmp_path / "vnm.csv"
    shutil.copy(shared_data / "wfp" / "wfp_food_prices_vnm.csv", source)
    before = source.read_bytes()
    out, rejected = tmp_path / "clean.csv", tmp_path / "rejected.csv"
    result = run("data", "clean", source, "-o", out, "--rejected", rejected)
    assert result.exit_code == 0, result.output
    assert source.read_bytes() == before  # the input is never modified
    prices = pd.read_csv(out)
    assert set(prices["market"]) == {"An Giang", "Dong Thap", "Bac Lieu"}
    assert (prices["price"] > 0).all()
    refused = pd.read_csv(rejected, dtype=str)
    assert len(refused) == 78
    assert (refused["priceflag"] == "forecast").all()  # the original row, as written
    assert refused["reason"].str.contains("forecast").all()


def test_a_column_named_with_a_comma_maps_as_the_hint_writes_it(tmp_path):
    """The hint said --map price=Giá (đ, kg), and the comma then split the mapping."""
    sheet = tmp_path / "gia.csv"
    sheet.write_text(
        'date,commodity,market,price_type,unit,currency,"Giá (đ, kg)"\n'
        + "".join(f"2024-{m:02d}-01,Rice,A,Retail,kg,VND,{12000 + m}\n" for m in range(1, 7)),
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = run("data", "clean", sheet, "-o", out, "--map", "price=Giá (đ, kg)")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["price"].tolist() == [12001, 12002, 12003, 12004, 12005, 12006]
    both = run("data", "clean", sheet, "-o", out, "--map", "market=market, price=Giá (đ, kg)")
    assert both.exit_code == 0, both.output


def test_data_clean_vietnamese_sheet_with_mapping(tmp_path):
    sheet = tmp_path / "gia_dua.csv"
    sheet.write_text(
        "Ngày,Giá,Chợ,Mặt hàng,ĐVT\n"
        "15/01/2024,130.000 đ,Mỏ Cày Bắc,Dừa khô,chục\n"
        '15/02/2024,"1,2 triệu",Mỏ Cày Bắc,Dừa khô,chục\n'
        "15/03/2024,abc,Mỏ Cày Bắc,Dừa khô,chục\n",
        encoding="utf-8",
    )
    out, rejected = tmp_path / "out.csv", tmp_path / "rej.csv"
    result = run(
        "data",
        "clean",
        sheet,
        "-o",
        out,
        "--rejected",
        rejected,
        "--default",
        "currency=VND,price_type=Retail",
        "--dayfirst",
        "--chuc",
        "12",
    )
    assert result.exit_code == 0, result.output
    prices = pd.read_csv(out, encoding="utf-8")
    assert prices["market"].tolist() == ["Mỏ Cày Bắc", "Mỏ Cày Bắc"]
    assert prices["unit"].unique().tolist() == ["nut"]
    assert prices["price"].tolist() == pytest.approx([130_000 / 12, 1_200_000 / 12])
    refused = pd.read_csv(rejected, dtype=str)
    assert refused["Giá"].tolist() == ["abc"]


#: Weeks between 30 prices over two years: a few a week apart, most gaps three to six weeks.
SPARSE_WEEKS = [1, 4, 5, 1, 6, 4, 5, 1, 4, 6, 5, 1, 4, 3, 6, 1, 4, 5, 5, 4, 1, 3, 4, 6, 1, 4, 2]


def _sparse_weekly_sheet(path, thursdays: bool) -> None:
    """A weekly rice series with many missing weeks: ISO weeks, or the Thursday of each."""
    weeks = pd.Series([0, *SPARSE_WEEKS]).cumsum()
    mondays = pd.Timestamp("2023-01-02") + pd.to_timedelta(weeks, unit="W")
    dates = (
        (mondays + pd.Timedelta(days=3)).dt.strftime("%Y-%m-%d")
        if thursdays
        else [f"{d.isocalendar().year}-W{d.isocalendar().week:02d}" for d in mondays]
    )
    lines = [f"{d},Lúa,Cai Lậy,Wholesale,kg,VND,{7000 + 37 * (i % 9)}" for i, d in enumerate(dates)]
    path.write_text("date,commodity,market,price_type,unit,currency,price\n" + "\n".join(lines))


@pytest.mark.parametrize("thursdays", [False, True])
def test_cleaning_a_cleaned_sparse_weekly_file_again_changes_nothing(tmp_path, thursdays):
    raw, once, twice = tmp_path / "raw.csv", tmp_path / "once.csv", tmp_path / "twice.csv"
    _sparse_weekly_sheet(raw, thursdays)
    weekly = ["--freq", "weekly"] if thursdays else []  # ISO weeks say it themselves
    first = run("data", "clean", raw, "-o", once, "--json", *weekly)
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["freq"] == "weekly"
    assert report["interpolated"] > 0 and report["gaps"]  # short gaps filled, long ones left
    second = run("data", "clean", once, "-o", twice, "--json")
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["freq"] == "weekly"
    # The same prices, dates and flags: filled prices stay flagged, not turned observations.
    assert twice.read_text(encoding="utf-8") == once.read_text(encoding="utf-8")
    assert "interpolated" in once.read_text(encoding="utf-8")


def test_a_broken_line_in_a_real_file_is_one_refused_row(shared_data, tmp_path):
    lines = (shared_data / "wfp" / "wfp_food_prices_lka.csv").read_text(encoding="utf-8")
    lines = lines.splitlines(keepends=True)[:200]
    lines[16] = lines[16].replace("Colombo City", "Colombo, City", 1)  # line 17
    path = tmp_path / "lka.csv"
    path.write_text("".join(lines), encoding="utf-8")
    check = run("data", "check", path, "--json")
    assert check.exit_code == 1, check.output  # rows refused
    report = json.loads(check.stdout)
    assert report["reasons"] == {"line 17: 17 values, expected 16": 1}
    assert report["rows_in"] == 198 and report["rows_kept"] + report["rows_merged"] == 197
    out = tmp_path / "fc.csv"
    result = run("forecast", "-i", path, "-o", out, "-m", "naive", "-h", 1, "-j", 1)
    assert result.exit_code == 0, result.output
    assert "cleaning refused 1 of 198 rows of lka.csv (1 × line 17: 17 values, expected 16)" in (
        result.stderr
    )
    assert "Colombo City" in set(pd.read_csv(out)["market"])


def test_data_clean_refuses_to_overwrite_its_input(tmp_path):
    sheet = tmp_path / "p.csv"
    sheet.write_text(
        "date,price,commodity,market,unit,currency,price_type\n2024-01-01,5,Rice,A,kg,VND,Retail\n"
    )
    before = sheet.read_bytes()
    result = run("data", "clean", sheet, "-o", sheet)
    assert result.exit_code == 2
    assert "overwrite" in one_error_line(result)
    assert sheet.read_bytes() == before


def test_data_clean_writes_only_the_kinds_of_file_it_names(tmp_path):
    """CSV text went into prices.xlsx, exit 0."""
    sheet = tmp_path / "p.csv"
    sheet.write_text(
        "date,price,commodity,market,unit,currency,price_type\n2024-01-01,5,Rice,A,kg,VND,Retail\n"
    )
    for args, message in (
        (["-o", tmp_path / "prices.xlsx"], "error: --output: cannot write '.xlsx' files"),
        (["-o", tmp_path / "prices"], "error: --output: cannot write 'prices' files"),
        (
            ["-o", tmp_path / "ok.csv", "--rejected", tmp_path / "bad.parquet"],
            "error: --rejected: cannot write '.parquet' files. Use a .csv file name",
        ),
    ):
        result = run("data", "clean", sheet, *args)
        assert result.exit_code == 2, result.output
        assert one_error_line(result).startswith(message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]
    assert run("data", "clean", sheet, "-o", tmp_path / "ok.parquet").exit_code == 0


def test_data_clean_refuses_one_file_for_the_table_and_the_refused_rows(tmp_path):
    sheet = tmp_path / "p.csv"
    sheet.write_text(
        "date,price,commodity,market,unit,currency,price_type\n2024-01-01,5,Rice,A,kg,VND,Retail\n"
        "2024-02-01,,Rice,A,kg,VND,Retail\n"
    )
    before = sheet.read_bytes()
    same = tmp_path / "same.csv"
    result = run("data", "clean", sheet, "-o", same, "--rejected", same)
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"error: {same}: --rejected would overwrite the cleaned table (--output). "
        "Choose another --rejected path"
    )
    assert not same.exists()
    # The input named as --rejected: the option named is --rejected, not -o.
    result = run("data", "clean", sheet, "-o", tmp_path / "c.csv", "--rejected", sheet)
    assert result.exit_code == 2
    assert one_error_line(result).endswith("Choose another --rejected path")
    assert sheet.read_bytes() == before


def _book(path, sheets: dict):
    """An .xlsx workbook of ``sheets``: name -> DataFrame (empty: a blank sheet)."""
    with pd.ExcelWriter(path) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False, header=not frame.empty)
    return path


PRICES = pd.DataFrame(
    {
        "date": [f"2024-{m:02d}-01" for m in range(1, 7)],
        "price": [5, 6, 7, 6, 5, 6],
        "commodity": "Rice",
        "market": "A",
        "unit": "kg",
        "currency": "VND",
        "price_type": "Retail",
    }
)


def test_data_commands_read_the_sheet_given_and_say_which_were_not(tmp_path):
    book = _book(tmp_path / "b.xlsx", {"notes": pd.DataFrame({"Ghi chú": ["x"]}), "gia": PRICES})
    first = run("data", "check", book)
    assert first.exit_code == 1
    line = one_error_line(first)
    assert line.startswith("error: b.xlsx: sheet 'notes': no column for 'date'")
    assert "Read another sheet with --sheet gia, or use --map" in line
    check = run("data", "check", book, "--sheet", "gia")
    assert check.exit_code == 0, check.output
    assert "read sheet 'gia'; also in the workbook: notes" in check.stdout
    out = tmp_path / "c.csv"
    clean = run("data", "clean", book, "--sheet", "gia", "-o", out)
    assert clean.exit_code == 0, clean.output
    assert len(pd.read_csv(out)) == 6
    listed = run("data", "list", book, "--sheet", "gia", "--json")
    assert listed.exit_code == 0 and json.loads(listed.stdout)[0]["market"] == "A"
    missing = run("data", "check", book, "--sheet", "Sheet9")
    assert "has no sheet named 'Sheet9' (sheets: notes, gia)" in one_error_line(missing)
    csv = tmp_path / "p.csv"
    PRICES.to_csv(csv, index=False)
    for command in (("check", csv), ("list", csv), ("clean", csv, "-o", tmp_path / "d.csv")):
        result = run("data", *command, "--sheet", "gia")
        assert result.exit_code == 2
        assert "--sheet 'gia' picks a sheet of an Excel workbook" in one_error_line(result)


def test_decimal_comma_leaves_a_workbooks_typed_prices_as_typed(tmp_path):
    """--decimal , refused the typed 5.5 and 6.25 as text ("price '6.25' is not a number
    with decimal separator ','") and the commands went on with their months interpolated;
    every command reads files through the same reader and cleaning."""
    typed = PRICES.assign(price=[5.5, 6, 6.25, 6, 5.5, 6])
    book = _book(tmp_path / "typed.xlsx", {"gia": typed})
    check = run("data", "check", book, "--decimal", ",", "--json")
    assert check.exit_code == 0, check.output
    report = json.loads(check.stdout)
    assert (report["rows_kept"], report["rows_rejected"], report["interpolated"]) == (6, 0, 0)
    out = tmp_path / "c.csv"
    assert run("data", "clean", book, "--decimal", ",", "-o", out).exit_code == 0
    assert pd.read_csv(out)["price"].tolist() == typed["price"].tolist()


def test_an_empty_first_sheet_points_at_the_sheet_with_prices(tmp_path):
    book = _book(tmp_path / "e.xlsx", {"Sheet1": pd.DataFrame(), "data": PRICES})
    result = run("data", "check", book)
    assert result.exit_code == 1
    assert one_error_line(result) == (
        "error: e.xlsx: sheet 'Sheet1' is empty. Read another sheet with --sheet data"
    )
    alone = _book(tmp_path / "one.xlsx", {"Sheet": pd.DataFrame()})
    result = run("data", "check", alone)
    assert "--sheet" not in one_error_line(result)
    assert "sheet 'Sheet' is empty, and the workbook has no other" in result.stderr


HEADER = "date,price,commodity,market,unit,currency,price_type\n"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", "empty"),
        ("header.csv", HEADER.encode(), "no data rows"),
        ("garbage.csv", bytes(range(256)) * 4, "binary"),
        ("nan.csv", (HEADER + "2024-01-01,,Rice,A,kg,VND,Retail\n" * 3).encode(), "price"),
        ("columns.csv", "Ngày,Giá tiền\n2024-01-01,5\n".encode(), "columns found"),
    ],
)
def test_bad_input_gives_one_clear_line(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    result = run("data", "check", path)
    assert result.exit_code != 0
    line = one_error_line(result)
    assert expected in line
    assert name in line  # where
    assert path.read_bytes() == content


def test_missing_file(tmp_path):
    result = run("data", "list", tmp_path / "nope.csv")
    assert result.exit_code == 1
    assert "not found" in one_error_line(result)


def test_wrong_column_names_suggest_the_closest(tmp_path):
    path = tmp_path / "typo.csv"
    path.write_text(
        "date,pricee,commodity,market,unit,currency,price_type\n2024-01-01,5,R,A,kg,VND,Retail\n"
    )
    line = one_error_line(run("data", "check", path))
    assert "pricee" in line


def test_debug_shows_the_traceback(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = run("--debug", "data", "check", path)
    assert result.exit_code != 0
    assert result.exception is not None  # raised, not swallowed into one line


def test_an_unexpected_error_names_the_command_to_run_again(monkeypatch, capsys):
    """Raised where only the root's context was at hand (a store's commit), the line said
    'cropcast --debug  ...', naming no command."""
    import click
    import typer

    from cli import app
    from forecast.commands.shared import _unexpected

    root = click.Context(typer.main.get_command(app), info_name="cropcast")
    monkeypatch.setattr(sys, "argv", ["cropcast", "store", "remove", "-s", "Lúa", "--yes"])
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        with pytest.raises(click.exceptions.Exit):
            _unexpected(root, exc)
    said = capsys.readouterr().err
    assert "Run again as 'cropcast --debug store remove ...' for the traceback" in said, said


def test_bad_map_option_is_a_usage_error(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(HEADER + "2024-01-01,5,Rice,A,kg,VND,Retail\n")
    result = run("data", "check", path, "--map", "date")
    assert result.exit_code == 2
    assert "NAME=VALUE" in one_error_line(result)


def test_calendar_show_and_filter():
    result = run("calendar", "show", "--commodity", "Lúa")
    assert result.exit_code == 0, result.output
    assert "Đông Xuân" in result.stdout and "Hè Thu" in result.stdout
    assert "Durian" not in result.stdout
    result = run("calendar", "show", "--json")
    rows = json.loads(result.stdout)
    dong_xuan = next(r for r in rows if r["season"] == "Đông Xuân")
    assert dong_xuan["3"] == "peak"


def test_calendar_show_says_the_season_before_tet_is_dated_from_tet_day():
    """A review: the table marks pomelo's Vụ Tết in December and January, where bulletins
    and charts date it from Tết day (the six weeks before 17/2 in 2026)."""
    import pandas as pd

    from forecast.calendar import next_tet

    pomelo = run("calendar", "show", "--commodity", "Bưởi")
    assert pomelo.exit_code == 0, pomelo.output
    tet = next_tet(pd.Timestamp.today())
    said = " ".join(pomelo.stdout.split())  # as wrapped to the terminal
    assert f"↑ Tết season: the 6 weeks before Tết day (next: {tet.day} {tet:%b} {tet.year})" in said
    assert "Tết day" not in run("calendar", "show", "--commodity", "Lúa").stdout


@pytest.mark.parametrize("width", [100, 40])
def test_calendar_show_in_vietnamese_names_crops_seasons_and_months_as_growers_do(
    width, monkeypatch, tmp_path
):
    """`calendar show --commodity Lúa` listed its crop as Rice, its months as J F M, its
    legend as planting and harvest, for an extension officer reading Vietnamese."""
    import pandas as pd

    from forecast.calendar import next_tet
    from forecast.commands.shared import console

    monkeypatch.setattr(console, "_width", width)
    rice = run("calendar", "show", "--commodity", "rice", "--lang", "vi")
    assert rice.exit_code == 0, rice.output
    said = " ".join(rice.stdout.split())  # as wrapped to the terminal
    assert said.startswith("Lịch thời vụ: Lúa (ĐBSCL)")  # the crop in the field, not gạo
    if width > 60:  # boxed: each season whole in its cell
        for season in ("Vụ Đông Xuân", "Vụ Hè Thu", "Vụ Thu Đông"):
            assert season in said
    assert {"Đông", "Xuân", "Hè", "Thu"} <= set(said.split())
    assert "Rice" not in said and "Gạo" not in said and "planting" not in said
    assert "· xuống giống ▒ thu hoạch █ thu hoạch rộ" in said
    lines = rice.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= width and "…" not in rice.stdout
    months = [str(month) for month in range(1, 13)]
    assert any(line.replace("┃", " ").split()[-12:] == months for line in lines)
    # Vietnamese grower's names of every crop, the region said as they say it.
    every = " ".join(run("calendar", "show", "--lang", "vi").stdout.split())
    for crop in ("Lúa", "Dừa", "Sầu riêng", "Bưởi", "Thanh long", "Xoài", "Hồ tiêu", "Điều"):
        assert crop in every
    assert "(Tây Nguyên)" in every and "Mekong" not in every
    # Pepper and cashew under the regions that grow them (a planner found them under the
    # Mekong Delta, which grows neither).
    if width > 60:  # a crop's name and region in its cell, not wrapped
        assert "Hồ tiêu (Tây Nguyên, ĐNB)" in every and "Điều (Đông Nam Bộ)" in every
    tet = next_tet(pd.Timestamp.today())
    assert f"↑ Vụ Tết: 6 tuần trước Tết (Tết tới: {tet.day}/{tet.month}/{tet.year})" in every
    # A calendar of the user's, written in English: its known seasons in Vietnamese, the
    # others as written (it read "Vụ Main season", "Vụ Winter crop").
    own = tmp_path / "cal.csv"
    own.write_text(
        "commodity,region,country,season,plant_start,plant_end,harvest_start,harvest_end,"
        "peak_start,peak_end,source\n"
        "Cassava,Red River Delta,Viet Nam,Main season,,,11,3,1,1,x\n"
        "Maize,Red River Delta,Viet Nam,Winter crop,9,10,12,1,,,x\n"
        "Rice,Red River Delta,Viet Nam,Chiêm Xuân,1,2,5,6,,,x\n",
        encoding="utf-8",
    )
    theirs = run("calendar", "show", "--calendar", own, "--lang", "vi")
    assert theirs.exit_code == 0, theirs.output
    words = " ".join(theirs.stdout.split())
    assert {"Chính", "Winter", "crop", "Chiêm", "Xuân", "(ĐBSH)"} <= set(words.split())
    assert "Main" not in words and "Vụ Winter" not in words
    if width > 60:  # boxed: each season whole in its cell
        assert "Chính vụ" in words and "Winter crop" in words and "Vụ Chiêm Xuân" in words
    # English is as it was: the calendar's own names.
    english = " ".join(run("calendar", "show", "--commodity", "Lúa").stdout.split())
    assert english.startswith("Harvest calendar: Lúa (Mekong Delta)") and "Rice" in english


def test_calendar_month_13_is_one_clear_line(tmp_path):
    cal = tmp_path / "cal.csv"
    cal.write_text(
        "commodity,region,season,plant_start,plant_end,harvest_start,harvest_end,peak_start,peak_end,source\n"
        "Rice,Mekong Delta,Đông Xuân,11,12,2,13,3,3,test\n",
        encoding="utf-8",
    )
    result = run("calendar", "show", "--calendar", cal)
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "13" in line and "harvest_end" in line


def test_calendar_unknown_crop():
    result = run("calendar", "show", "--commodity", "Banana")
    assert result.exit_code == 2
    assert "Known crops" in one_error_line(result)


@pytest.mark.parametrize(
    ("args", "says", "help_of"),
    [
        (["forecast", "--horizon", "abc"], "--horizon", "cropcast forecast"),
        (["forecast", "--horizon"], "requires an argument", "cropcast forecast"),
        (["forecast", "--bogus"], "No such option: --bogus", "cropcast forecast"),
        (["nope"], "No such command 'nope'", "cropcast"),
        # A word for what a command does is pointed at it (Click's guess for 'charts' was
        # 'alerts'), without "?." at the end of the question.
        (["charts"], "No such command 'charts'. Did you mean 'plot'? Run", "cropcast"),
        (["forcast"], "Did you mean 'forecast'? Run", "cropcast"),
        (["data", "chek"], "Did you mean 'check'? Run", "cropcast data"),
        (["--bogus"], "No such option: --bogus", "cropcast"),
        (["data", "clean", "x.csv"], "Missing option '--output'", "cropcast data clean"),
        (["data", "clean", "x.csv", "--output"], "requires an argument", "cropcast data clean"),
        (["bulletin", "send", "--bogus"], "--bogus", "cropcast bulletin send"),
    ],
)
def test_usage_errors_are_one_line_naming_the_help_to_read(args, says, help_of):
    """Click's own usage errors, not only cropcast's, are one line and exit 2 (not Typer's
    box of five lines)."""
    result = run(*args)
    assert result.exit_code == 2
    line = one_error_line(result)
    # The program's name is the runner's here ("root"), "cropcast" from the shell.
    program, command = help_of.split(" ", 1) if " " in help_of else (help_of, "")
    assert program == "cropcast" and says in line and "Run '" in line
    assert line.endswith(f"{' ' if command else ''}{command} --help' for the options")
    assert result.stdout == ""


def test_cropcast_alone_still_prints_its_help():
    result = run()
    assert "Usage:" in result.output and "forecast" in result.output
    assert "error:" not in result.output


def test_dong_added_by_hand_to_a_wfp_file_are_not_read_as_a_few_dong(tmp_path):
    """WFP's coordinates write '.' as the decimal point, so its prices are read with '.':
    "7.615" đồng added by hand (Vietnamese writing 7,615) came out 7.615 đồng, silently.
    A published file never writes one, and in dollars the reading stays."""
    header = (
        "date,admin1,admin2,market,latitude,longitude,category,commodity,unit,priceflag,"
        "pricetype,currency,price,usdprice"
    )
    place = "An Giang,Chau Phu,An Giang,10.522,105.126,cereals and tubers,Rice,KG,actual"
    rows = [f"{m}/15/2012,{place},Wholesale,VND,{7500 + 10 * m},0.36" for m in range(1, 13)]
    added = [f"{m}/15/2013,{place},Wholesale,VND,7.{600 + 5 * m},0.36" for m in (1, 2, 3)]
    path = tmp_path / "wfp_vnm.csv"
    path.write_text("\n".join([header, *rows, *added]) + "\n", encoding="utf-8")
    out = tmp_path / "clean.csv"
    result = run("data", "clean", path, "-o", out)
    assert result.exit_code == 0, result.output
    prices = pd.read_csv(out)
    assert prices["price"].tail(3).tolist() == [7605, 7610, 7615]
    assert "were read as thousands" in " ".join(result.stdout.split())
    dollars = path.read_text(encoding="utf-8").replace(",VND,", ",USD,")
    (tmp_path / "usd.csv").write_text(dollars, encoding="utf-8")
    assert run("data", "clean", tmp_path / "usd.csv", "-o", out).exit_code == 0
    assert pd.read_csv(out)["price"].tail(3).tolist() == [7.605, 7.61, 7.615]


def test_a_wfp_file_with_decimal_commas_is_cleaned_and_a_wrong_decimal_named(shared_data, tmp_path):
    """The Thai WFP file saved by a European Excel: read as published, with a note; given
    --decimal . against it, the one error line names --decimal , (it named --map)."""
    wfp = pd.read_csv(shared_data / "wfp" / "wfp_food_prices_tha.csv", dtype=str).iloc[1:]
    numbers = ["latitude", "longitude", "price", "usdprice"]
    wfp = wfp.assign(**{c: wfp[c].str.replace(".", ",", regex=False) for c in numbers})
    path = tmp_path / "tha_eu.csv"
    wfp.to_csv(path, sep=";", index=False)
    out = tmp_path / "clean.csv"
    result = run("data", "clean", path, "-o", out)
    assert result.exit_code == 0, result.output
    assert "',' as the decimal point" in result.stdout.replace("\n", " ")
    assert pd.read_csv(out)["price"].iloc[0] == 5.45
    wrong = run("data", "clean", path, "-o", out, "--decimal", ".")
    assert wrong.exit_code == 1
    line = one_error_line(wrong)
    assert line.endswith("use --decimal ,") and "--map" not in line


@pytest.mark.parametrize("command", ["data clean", "forecast", "store export"])
def test_a_write_cut_short_leaves_the_old_output_whole_and_says_so(tmp_path, monkeypatch, command):
    """Review: a full disk (or a file-size limit) cut the output mid-row, after the old
    file was gone; the truncated CSV read back as valid, with series missing, and the
    only message was "unexpected OSError ... report it"."""
    import errno

    prices = tmp_path / "prices.csv"
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    rows += [f"2020-{m:02d}-01,Rice,Kano,Retail,KG,NGN,{400 + m}" for m in range(1, 13)]
    prices.write_text("\n".join(rows) + "\n")
    monkeypatch.setenv("CROPCAST_DB", str(tmp_path / "store.duckdb"))
    if command == "store export":
        assert run("ingest", prices).exit_code == 0
    output = tmp_path / "out.csv"
    output.write_text("the old output\n")
    real_to_csv = pd.DataFrame.to_csv

    def full_disk(self, path=None, *args, **kwargs):
        if path is None:
            return real_to_csv(self, path, *args, **kwargs)
        with open(path, "w") as half:
            half.write("commodity,mar")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    args = {
        "data clean": ("data", "clean", prices, "-o", output),
        "forecast": ("forecast", "-i", prices, "-m", "naive", "-j", 1, "-q", "-o", output),
        "store export": ("store", "export", "-o", output),
    }[command]
    result = run(*args)
    assert result.exit_code == 1
    line = one_error_line(result)
    assert line.startswith("error: --output: could not write ") and "no space left" in line
    assert "what was there is unchanged" in line
    assert output.read_text() == "the old output\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_rejected_file_that_cannot_be_written_leaves_the_cleaned_output_as_it_was(
    tmp_path, monkeypatch
):
    """Review: with no room for --rejected, 'data clean' had already replaced the user's
    --output with the new table, then said "nothing was written"."""
    import errno

    prices = tmp_path / "prices.csv"
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    rows += [f"2020-{m:02d}-01,Rice,Kano,Retail,KG,NGN,{400 + m}" for m in range(1, 13)]
    rows.append("2021-01-01,Rice,Kano,Retail,KG,NGN,n/a")
    prices.write_text("\n".join(rows) + "\n")
    output, refused = tmp_path / "out.csv", tmp_path / "refused.csv"
    output.write_text("the old output\n")
    refused.write_text("the old refused rows\n")
    real_to_csv = pd.DataFrame.to_csv

    def full_disk_for_refused_rows(self, path=None, *args, **kwargs):
        if path is not None and Path(path).name.startswith(".refused.csv"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_to_csv(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk_for_refused_rows)
    result = run("data", "clean", prices, "-o", output, "--rejected", refused)
    assert result.exit_code == 1
    line = one_error_line(result)
    assert line.startswith("error: --rejected: could not write ") and "unchanged" in line
    assert output.read_text() == "the old output\n"
    assert refused.read_text() == "the old refused rows\n"
    monkeypatch.setattr(pd.DataFrame, "to_csv", real_to_csv)
    assert run("data", "clean", prices, "-o", output, "--rejected", refused).exit_code == 0
    assert len(pd.read_csv(output)) == 12 and len(pd.read_csv(refused)) == 1


def test_map_and_default_given_more_than_once_are_all_read(tmp_path):
    """A review gave '--map "price=Giá sỉ" --map market=Chợ': the first was dropped without
    a word, and the error offered the retail column as the price. Each option given is
    read, each its own pairs; a name in two of them is refused as in one."""
    path = tmp_path / "vi.csv"
    path.write_text(
        "Ngày,Giá bán lẻ,Giá sỉ,Chợ\n2024-01-01,100,80,A\n2024-02-01,110,90,A\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    cleaned = run(
        "data", "clean", path, "-o", out,
        "--map", "price=Giá sỉ", "--map", "market=Chợ, date=Ngày",
        "--default", "commodity=Rice,price_type=Wholesale", "--default", "unit=kg,currency=VND",
    )  # fmt: skip
    assert cleaned.exit_code == 0, cleaned.output
    table = pd.read_csv(out)
    assert table["price"].tolist() == [80, 90]  # wholesale, as mapped first
    assert set(table["price_type"]) == {"Wholesale"} and set(table["currency"]) == {"VND"}
    twice = run("data", "check", path, "--map", "price=Giá sỉ", "--map", "price=Giá bán lẻ")
    assert twice.exit_code == 2
    assert one_error_line(twice).startswith("error: --map: 'price' is given twice")


def test_a_name_given_twice_in_default_or_map_is_refused():
    """Review: --default currency=VND,currency=USD labelled đồng prices USD, silently."""
    from forecast.commands.shared import parse_pairs
    from forecast.errors import UsageError

    with pytest.raises(UsageError, match="'currency' is given twice"):
        parse_pairs("currency=VND,currency=USD", "--default")
    result = run("data", "check", "nothing.csv", "--map", "price=value,price=date")
    assert result.exit_code == 2
    assert one_error_line(result).startswith("error: --map: 'price' is given twice")


@pytest.mark.parametrize(
    ("option", "given", "name"),
    [
        ("--default", "currency=VND,price_type=Retail,units=kg", "units"),
        ("--default", "price_type=Retail, foo=1", "foo"),
        ("--map", "date=Ngày,price=Giá,Unit=Đơn vị", "Unit"),
        ("--map", "date=Ngày,price=Giá,comodity=Mặt hàng", "comodity"),
        ("--map", "date=Ngày,price=Giá,unit=Đơn vị,foo=Chợ", "foo"),
    ],
)
def test_a_misspelt_name_after_a_comma_is_refused_not_glued_to_the_value_before(
    tmp_path, option, given, name
):
    """Review: --default price_type=Retail,units=kg stored every price as of type
    'Retail,units=kg', and --map unit=Đơn vị,foo=Chợ said no column 'Đơn vị,foo=Chợ'."""
    sheet = tmp_path / "gia.csv"
    sheet.write_text(
        "Ngày,Mặt hàng,Chợ,Giá,Đơn vị\n2025-03-01,Dừa,Mỏ Cày Bắc,45000,chục\n", encoding="utf-8"
    )
    pairs = {"--map": "date=Ngày,commodity=Mặt hàng,market=Chợ,price=Giá,unit=Đơn vị"}
    pairs.update({"--default": "currency=VND,price_type=Retail", option: given})
    result = run("data", "check", sheet, *[x for pair in pairs.items() for x in pair])
    assert result.exit_code == 2, result.output
    assert one_error_line(result).startswith(
        f"error: {option} {name}=...: '{name}' is not a column cropcast uses"
    )


def test_a_column_named_with_a_comma_and_an_equals_sign_still_maps(tmp_path):
    from forecast.commands.shared import parse_pairs

    assert parse_pairs("price=Giá (loại=1, kg),market=Chợ", "--map") == {
        "price": "Giá (loại=1, kg)",
        "market": "Chợ",
    }
    assert parse_pairs("price=Giá (đ, loại=1)", "--map") == {"price": "Giá (đ, loại=1)"}
    # A review: a column named "Giá (loại=1, units=kg)" could no longer be mapped.
    for column in ("Giá (loại=1, units=kg)", "Giá (loại=1, Unit=kg)"):
        assert parse_pairs(f"price={column},market=Chợ", "--map") == {
            "price": column,
            "market": "Chợ",
        }
        sheet = tmp_path / "gia.csv"
        sheet.write_text(
            f'Ngày,Mặt hàng,Chợ,"{column}"\n2025-03-01,Dừa,Mỏ Cày Bắc,45000\n', "utf-8"
        )
        mapped = "date=Ngày,commodity=Mặt hàng,market=Chợ,price=" + column
        result = run(
            "data",
            "check",
            sheet,
            "--map",
            mapped,
            "--default",
            "currency=VND,unit=kg,price_type=Retail",
        )
        assert result.exit_code == 0, result.output
        assert "1 kept" in result.stdout, result.stdout


def test_an_as_of_date_with_slashes_is_read_as_its_numbers_tell_or_refused():
    """Review: --as-of 05/06/2022 made the bulletin of May where a Vietnamese reader means
    5 June; 13/06/2022 was June."""
    from forecast.commands.shared import parse_as_of
    from forecast.errors import UsageError

    assert parse_as_of("13/06/2022") == pd.Timestamp("2022-06-13")
    assert parse_as_of("06/13/2022") == pd.Timestamp("2022-06-13")
    assert parse_as_of("05/05/2022") == pd.Timestamp("2022-05-05")
    assert parse_as_of("2022-06") == pd.Timestamp("2022-06-01")
    for ambiguous in ("05/06/2022", "05-06-2022", "5.6.2022", "5/6/22"):
        with pytest.raises(UsageError, match="could be 5 June or 6 May"):
            parse_as_of(ambiguous)
    assert parse_as_of("13-6-22") == pd.Timestamp("2022-06-13")
    assert parse_as_of("13/06/99") == pd.Timestamp("1999-06-13")
    for wrong in ("31/02/2022", "00/06/2022"):
        with pytest.raises(UsageError, match=f"'{wrong}' is not a date"):
            parse_as_of(wrong)


def test_an_as_of_month_written_as_a_bulletin_writes_it_is_read():
    """A review: --as-of "tháng 6/2022" was refused while "T6/2022", the bulletin's own
    way, worked."""
    import unicodedata

    from forecast.commands.shared import parse_as_of
    from forecast.errors import UsageError

    june = pd.Timestamp("2022-06-01")
    for written in ("T6/2022", "tháng 6/2022", "Tháng 06/2022", "thang 6-2022", "Tháng 6 năm 2022"):
        assert parse_as_of(written) == june, written
    assert parse_as_of(unicodedata.normalize("NFD", "tháng 6/2022")) == june
    with pytest.raises(UsageError, match="'tháng 13/2022' is not a date"):
        parse_as_of("tháng 13/2022")


@pytest.mark.parametrize("command", ["bulletin", "alerts"])
def test_an_as_of_without_a_year_or_month_is_refused(command):
    """Review: --as-of June was read in the year 1 ("no prices on or before 1-06-01"), and
    --as-of 2022 made a bulletin of January 2022, unsaid."""
    word = run(command, "--as-of", "June")
    assert word.exit_code == 2
    line = one_error_line(word)
    assert "'June' is not a date" in line and "--as-of 2025-06" in line
    year = run(command, "--as-of", "2022")
    assert year.exit_code == 2
    line = one_error_line(year)
    assert "'2022' is a year" in line and "--as-of 2022-12" in line
    # A quarter was read as its first month (2022Q2 as April), unsaid.
    quarter = run(command, "--as-of", "2022Q2")
    assert quarter.exit_code == 2
    assert "'2022Q2' is a quarter" in one_error_line(quarter) and "2022-06" in quarter.output
    assert run(command, "--as-of", "2Q2022").exit_code == 2  # the quarter first


def test_a_pipe_for_a_file_is_said_to_be_one(tmp_path):
    """Review: `data clean <(zcat F.gz)` said "the file is empty (0 bytes)": a pipe's size
    is 0 whatever it carries."""
    import os

    pipe = tmp_path / "prices.csv"
    os.mkfifo(pipe)
    result = run("data", "clean", pipe, "-o", tmp_path / "out.csv")
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "is a pipe or a device, not a file" in line and "Save it to a file first" in line


def test_an_output_that_cannot_carry_accents_is_one_line(tmp_path):
    """Review: PYTHONIOENCODING=ascii gave "unexpected UnicodeEncodeError ... report it"."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = subprocess.run(
        [sys.executable, "-m", "cli", "calendar", "show", "--commodity", "Lúa"],
        capture_output=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 1
    lines = done.stderr.decode("ascii", "backslashreplace").strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the output cannot show ")
    assert "Set PYTHONIOENCODING=utf-8" in lines[0]


@pytest.mark.parametrize("width", [40, 60])
def test_the_calendar_keeps_every_month_and_crop_on_a_phone(monkeypatch, width):
    """Boxed, the calendar needs about 66 columns: at 60 its crop column came out empty and
    December was cut, at 40 July to December. Narrower, it drops the boxes and puts crop
    and season in one cell."""
    from forecast.commands.shared import console

    monkeypatch.setattr(console, "_width", width)
    result = run("calendar", "show")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= width and "…" not in result.stdout
    assert any(line.split()[-12:] == list("JFMAMJJASOND") for line in lines if line.strip())
    words = result.stdout.split()
    for crop in ("Rice", "Coconut", "Durian", "Pomelo", "Cashew", "Highlands)"):
        assert crop in words
    assert "rise)" in words  # the legend, whole


def test_help_on_a_narrow_terminal_is_plain_text_with_every_option_whole():
    """Rich's help panels cut option names and defaults below 80 columns ('--no-expla…',
    '[defa…'); there the help is Click's plain text, which wraps; wider, the panels stay."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    def help_at(width: int, *command: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "cli", *command, "--help"],
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": str(width), "PYTHONIOENCODING": "utf-8"},
            cwd=Path(__file__).resolve().parents[1],
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    for width in (40, 60):
        text = help_at(width, "forecast")
        assert "…" not in text and "╭" not in text
        # Click gave option names 30 columns and their help 10 ("$CR" / "OPCAST_DB"): a
        # name longer than a third of the width now has a line of its own.
        assert max(len(line) for line in text.splitlines()) <= width
        for option in ("--no-explain", "--no-calendar", "--scheduler", "--levels", "--map"):
            assert option in text
        assert "[default: 12]" in " ".join(text.split())  # a default, whole
        assert "$CROPCAST_DB" in text
        # A group's commands with their whole descriptions: Click cut them to the line.
        listed = " ".join(help_at(width).split())
        assert "forecast Forecast prices with intervals: the store, the embedded data, or" in listed
        assert "your file." in listed and "the store,..." not in listed
    wide = help_at(120, "forecast")
    assert "╭" in wide and "…" not in wide


def test_a_ctrl_c_inside_a_garbage_collector_callback_is_put_off():
    """Raised inside one (Dask registers one), the interrupt was swallowed: the run went on."""
    import gc
    import sys

    import cli

    seen = []

    def callback(phase, info):
        seen.append(cli._in_gc_callback(sys._getframe()))

    gc.callbacks.append(callback)
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(callback)
    assert seen and all(seen)
    assert not cli._in_gc_callback(sys._getframe())


def test_a_ctrl_c_is_put_off_only_where_it_would_be_swallowed_or_keep_a_lock():
    """Put off while the import lock was merely held, a Ctrl-C waited for another thread's
    import and, once, for the whole run (exit 0): only the two importlib functions that
    take the lock, and __del__, put it off."""
    import importlib._bootstrap as bootstrap
    import sys

    import cli

    class Finalised:
        def __del__(self):
            seen.append(cli._in_gc_callback(sys._getframe()))

    seen = []
    Finalised()
    assert seen == [True]
    assert not cli._taking_import_lock(sys._getframe())
    assert bootstrap._get_module_lock.__code__.co_name == "_get_module_lock"
    frame = type("Frame", (), {"f_code": bootstrap._get_module_lock.__code__})()
    assert cli._taking_import_lock(frame)


#: Every command with a help screen of its own.
COMMANDS = [
    (),
    ("forecast",),
    ("backtest",),
    ("alerts",),
    ("plot",),
    ("ingest",),
    ("accuracy",),
    ("data",),
    ("data", "list"),
    ("data", "check"),
    ("data", "clean"),
    ("calendar",),
    ("calendar", "show"),
    ("bulletin",),
    ("bulletin", "send"),
    ("store",),
    ("store", "info"),
    ("store", "remove"),
    ("store", "export"),
]


@pytest.mark.parametrize("command", [(), *COMMANDS], ids=lambda c: " ".join(c) or "cropcast")
def test_help_names_each_value_in_words_and_gives_flags_none(command, monkeypatch):
    """Typer (0.29) wrote '--quiet <bool>' and '--help <bool>', as if a flag took a value,
    and Python's types for text ('--series <list[str]>')."""
    monkeypatch.setenv("COLUMNS", "120")
    result = run(*command, "--help")
    assert result.exit_code == 0, result.output
    assert not re.search(r"<(bool|str|list\[\w+\])>", result.output), result.output
    help_line = next(line for line in result.output.splitlines() if "--help" in line)
    assert re.search(r"--help\s+Show this message", help_line), help_line
    if command == ("forecast",):
        assert re.search(r"--series\s+-s\s+<text>", result.output)
        assert re.search(r"--quiet\s+-q\s+No progress bar", result.output)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_at_80_columns_cuts_nothing_and_fills_its_lines(command, monkeypatch):
    """At 80 columns (a default terminal), --help cut 'naive,snaive,ets,the…' and
    'bantin@cropcast.l…', split '[local|processes|da' / 'sk]', and ended description lines
    where the docstring's source lines ended ('a currency' / '"NGHIN")' / 'leaves ...')."""
    monkeypatch.setenv("COLUMNS", "80")
    result = run(*command, "--help")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "…" not in result.output
    assert all(len(line) <= 80 for line in lines)
    # Option metavars and defaults are whole: none ends or starts a line half a word.
    assert not any(re.search(r"\[[a-z|]+\s", line) for line in lines)  # '[local|processes|da'
    # The description (between the usage line and the first box): each line but a
    # paragraph's last reaches near the edge.
    usage = next(i for i, line in enumerate(lines) if "Usage:" in line)
    box = next((i for i, line in enumerate(lines) if "╭" in line), len(lines))
    description = [line.strip() for line in lines[usage + 1 : box]]
    for this, following in zip(description, description[1:], strict=False):
        if this and following:  # not a paragraph's last line
            assert len(this) + 1 + len(following.split()[0]) > 78, (this, following)


def _started_and_interrupted(where: str) -> subprocess.CompletedProcess:
    """``cropcast forecast`` started as its console script does, with a Ctrl-C (a
    KeyboardInterrupt) raised at ``where``: "import" (while cli imports the commands, the
    first 0.15 s; "import twice": a second Ctrl-C as the process then exits) or "typer"
    (while Typer builds the command, 0.15-0.2 s)."""
    code = f"""
import atexit, builtins, os, signal, sys
where = {where!r}
if where == "import twice":
    atexit.register(os.kill, os.getpid(), signal.SIGINT)
if where.startswith("import"):
    real = builtins.__import__
    def patched(name, *args, **kwargs):
        if name == "forecast.commands":
            raise KeyboardInterrupt
        return real(name, *args, **kwargs)
    builtins.__import__ = patched
else:
    import typer.core
    def patched(self, *args, **kwargs):
        raise KeyboardInterrupt
    typer.core.TyperGroup.make_context = patched
sys.argv = ["cropcast", "forecast", "-q"]
from cli import main
sys.exit(main())
"""
    return _python(code)


def _python(code: str) -> subprocess.CompletedProcess:
    """``code`` run by a fresh Python in the checkout (as the console command runs cli)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=60,
    )


@pytest.mark.parametrize("where", ["import", "import twice", "typer"])
def test_a_ctrl_c_as_the_command_starts_says_interrupted(where):
    """In the first 0.15 s a Ctrl-C printed a traceback (exit -2), and once that said
    "interrupted", a second within 10 ms ended the exit with SIGINT (exit -2); 0.15-0.2 s
    in, Typer ended the command with exit 130 and said nothing."""
    done = _started_and_interrupted(where)
    assert done.returncode == 130, done.stderr
    assert done.stderr == "interrupted\n"


def test_a_ctrl_c_as_the_command_exits_leaves_the_exit_to_finish():
    """A Ctrl-C pressed as a run ended raised in the exit's clean-up: in loky's join of its
    pool, a 40-line traceback and exit -2; in multiprocessing's finalizers, which it cut
    short, the semaphores they unlink were left, and the resource tracker said "There
    appear to be 1 leaked semaphore objects to clean up at shutdown" after the run."""
    code = """
import multiprocessing, os, signal, sys, time
from multiprocessing import util
import cli
signal.signal(signal.SIGINT, signal.default_int_handler)  # a terminal's, even under `pytest &`
cli._stop_once_on_ctrl_c()
lock = multiprocessing.get_context("forkserver").Lock()  # a semaphore the tracker knows
def ctrl_c():  # runs first among the exit's finalizers
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.05)
util.Finalize(None, ctrl_c, exitpriority=100)
cli._leave(0)
"""
    done = _python(code)
    assert (done.returncode, done.stderr) == (0, "")


def test_a_ctrl_c_between_the_command_and_its_exit_is_ignored():
    """A Ctrl-C landing after the command returned and before the exit began (in main's
    handling of its SystemExit) printed a 42-line traceback and exit -2 (3 runs of 17)."""
    code = """
import os, signal, sys, time
import cli
signal.signal(signal.SIGINT, signal.default_int_handler)  # a terminal's, even under `pytest &`
def ctrl_c_then_ask(done):  # pressed as main looks at how the command ended
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.05)
    return False
cli._stopped_by_typer = ctrl_c_then_ask
sys.argv = ["cropcast", "data", "list", "--json"]
cli.main()
"""
    done = _python(code)
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)  # the listing, whole


def _accent_twins_file(tmp_path):
    """Weekly coconut prices of one market, written 'Tân Thành Bình' for six weeks and
    'Tan Thanh Binh' (typed without accents) for four: one market to its depot, two series
    to cleaning."""
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    mondays = pd.date_range("2025-06-02", periods=10, freq="W-MON")
    for i, day in enumerate(mondays):
        market = "Tân Thành Bình" if i < 6 else "Tan Thanh Binh"
        rows.append(f"{day:%Y-%m-%d},Dừa khô,{market},Farmgate,nut,VND,{11000 + 100 * i}")
    path = tmp_path / "dua.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


TWINS = [
    "Dừa khô | Tan Thanh Binh | Farmgate | VND/nut",
    "Dừa khô | Tân Thành Bình | Farmgate | VND/nut",
]


def test_data_check_and_clean_name_markets_that_differ_only_in_accents(tmp_path):
    """README: names that differ only in capitals, spaces or accents are forecast apart, and
    'data check FILE lists them': they were said only by forecast, once they were in a store."""
    path = _accent_twins_file(tmp_path)
    checked = run("data", "check", path)
    assert checked.exit_code == 0, checked.output
    said = " ".join(checked.stdout.split())
    assert "names alike but for capitals, spaces or accents" in said
    assert f"spell them alike in {path.name}" in said
    assert " and ".join(f"'{name}'" for name in TWINS) in said
    payload = json.loads(run("data", "check", path, "--json").stdout)
    assert payload["case_twins"] == [TWINS]
    cleaned = run("data", "clean", path, "-o", tmp_path / "clean.csv", "--json")
    assert json.loads(cleaned.stdout)["case_twins"] == [TWINS]
    said = " ".join(run("data", "clean", path, "-o", tmp_path / "c2.csv").stdout.split())
    assert " and ".join(f"'{name}'" for name in TWINS) in said
    alike = tmp_path / "alike.csv"
    alike.write_text(path.read_text("utf-8").replace("Tan Thanh Binh", "Tân Thành Bình"), "utf-8")
    assert json.loads(run("data", "check", alike, "--json").stdout)["case_twins"] == []
    assert "names alike" not in run("data", "check", alike).stdout


def test_data_check_says_how_to_see_what_its_summary_cut(tmp_path):
    """Review: the summary ended "... and 2 more" (the gaps left among them), and nothing
    said --json shows them all."""
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    for i in range(12):  # twelve short series: the list of them is cut at ten
        rows += [f"2024-{m:02d}-01,Maize,M{i:02d},Retail,kg,KES,{40 + m}" for m in range(1, 6)]
    path = tmp_path / "maize.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    for command in (("check",), ("clean", "-o", tmp_path / "clean.csv")):
        result = run("data", *command, path)
        assert result.exit_code == 0, result.output
        said = " ".join(result.stdout.split())
        assert "... and 2 more" in said
        assert "lists above are cut at 10 (... and N more): add --json to see every item" in said
    payload = json.loads(run("data", "check", path, "--json").stdout)
    assert len(payload["short_series"]) == 12
    few = tmp_path / "few.csv"
    few.write_text("\n".join(rows[:11]) + "\n", encoding="utf-8")
    assert "lists are cut" not in run("data", "check", few).stdout


def test_a_ctrl_c_in_a_compiled_modules_import_is_not_lost(tmp_path):
    """A compiled module's start-up swallows what its Python calls raise: a Ctrl-C raised
    there (numpy.random's abc.register, 4 runs in 775) was lost, and the command ran on to
    exit 0. It is put off until the import is done."""
    (tmp_path / "swallows.py").write_text(
        "import os, signal, time\n"
        "try:  # as a compiled module's start-up does\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(0.05)\n"
        "except KeyboardInterrupt:\n"
        "    pass\n",
        encoding="utf-8",
    )
    body = "import swallows\nfor _ in range(100):  # the command going on\n    time.sleep(0.01)"
    done = _with_ctrl_c_handled(tmp_path, body)
    assert done.returncode == 130, done.stderr


def test_a_ctrl_c_during_an_import_that_hangs_is_put_off_two_seconds_at_most(tmp_path):
    """Put off while an import ran, a Ctrl-C during one that hung waited for it for good."""
    (tmp_path / "hangs.py").write_text(
        "import os, signal, time\nos.kill(os.getpid(), signal.SIGINT)\ntime.sleep(30)\n",
        encoding="utf-8",
    )
    import time

    start = time.monotonic()
    done = _with_ctrl_c_handled(tmp_path, "import hangs")
    assert done.returncode == 130, done.stderr
    assert time.monotonic() - start < 15  # PUT_OFF_SECONDS and start-up, not the 30 s


def test_a_ctrl_c_while_waiting_for_another_threads_import_stops_cleanly(tmp_path):
    """Raised while the main thread waited for a module the workers' start-up thread was
    importing, a Ctrl-C broke importlib's lock: a KeyError traceback and exit 1."""
    (tmp_path / "slow.py").write_text("import time\ntime.sleep(1.0)\n", encoding="utf-8")
    body = """
threading.Thread(target=lambda: __import__("slow"), daemon=True).start()
time.sleep(0.2)
threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
import slow  # waits for the thread's import
time.sleep(2)
"""
    done = _with_ctrl_c_handled(tmp_path, body)
    assert (done.returncode, done.stderr) == (130, "")


def _with_ctrl_c_handled(tmp_path, body: str) -> subprocess.CompletedProcess:
    """``body`` run with cropcast's Ctrl-C handling, the modules in ``tmp_path`` importable;
    a Ctrl-C that reaches it exits 130."""
    import textwrap

    code = f"""
import os, signal, sys, threading, time
import cli
signal.signal(signal.SIGINT, signal.default_int_handler)  # a terminal's, even under `pytest &`
cli._stop_once_on_ctrl_c()
sys.path.insert(0, {str(tmp_path)!r})
try:
{textwrap.indent(body.strip(), "    ")}
except KeyboardInterrupt:
    sys.exit(130)
"""
    return _python(code)


@pytest.mark.parametrize(
    "args",
    [
        ("forecast", "-o", ""),
        ("forecast", "--input", " "),
        ("backtest", "--db", ""),
        ("alerts", "-o", ""),
        ("bulletin", "--previous", ""),
        ("bulletin", "-o", ""),
        ("data", "check", ""),
        ("data", "clean", "data/prices.csv", "-o", "clean.csv", "--rejected", ""),
        ("calendar", "show", "--calendar", ""),
        ("ingest", "data/prices.csv", ""),
        ("store", "export", "-o", ""),
    ],
)
def test_an_empty_path_is_refused_by_its_option_not_read_as_the_current_folder(
    args, tmp_path, monkeypatch
):
    # A script's unset variable (`-o "$OUT"`): Typer read '' as '.', and the refusal
    # named '.' ("'.' is a folder"), a path the user never typed; nothing may be written.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    shutil.copy(Path(__file__).parents[1] / "data" / "prices.csv", tmp_path / "data")
    result = run(*args)
    assert result.exit_code == 2, result.output
    line = one_error_line(result)
    assert "the value is empty (an unset variable in a script?); give a path" in line, line
    assert "'.'" not in line and ".:" not in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


@pytest.mark.parametrize(
    "args",
    [
        ("data", "check", "data/prices.csv", "--dayfirst", "--monthfirst"),
        ("forecast", "-i", "data/prices.csv", "--monthfirst", "-q", "--dayfirst", "-o", "f.csv"),
        ("ingest", "data/prices.csv", "--monthfirst", "--dayfirst"),
    ],
)
def test_a_flag_and_its_opposite_together_are_refused(args, tmp_path, monkeypatch):
    # Click took the last one: a file was read month-first by a user who had also asked
    # for day-first, and nothing said so.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    shutil.copy(Path(__file__).parents[1] / "data" / "prices.csv", tmp_path / "data")
    result = run(*args)
    assert result.exit_code == 2, result.output
    first, second = [a for a in args if a in ("--dayfirst", "--monthfirst")]
    line = one_error_line(result)
    assert f"{first} and {second} say opposite things; give one of them" in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # nothing read or written
    alone = run(*[a for a in args if a != second])
    assert alone.exit_code == 0, alone.output


@pytest.mark.parametrize(
    "command", [(), ("data",), ("data", "check"), ("store", "export"), ("calendar", "show")]
)
def test_h_alone_shows_the_help(command):
    # What a user types first for help: refused before ("No such option: -h").
    shown = run(*command, "-h")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == run(*command, "--help").stdout and "Usage:" in shown.stdout


@pytest.mark.parametrize("command", [("forecast",), ("backtest",), ("bulletin", "send")])
def test_h_alone_where_it_is_the_horizon_says_so_and_fails(command):
    # A script's `-h "$H"` with H unset must not print the help and exit 0 as if done.
    result = run(*command, "-h")
    assert result.exit_code == 2, result.output
    line = one_error_line(result)
    assert "-h is the horizon here and needs a number of periods, e.g. -h 12" in line, line
    assert "(--help shows the help)" in line and result.stdout == ""


def test_data_check_names_a_latest_price_the_forecasts_leave_out_as_mistyped(tmp_path):
    """A review: the check said "1 outlier flagged (kept)", exit 0, of a latest price typed
    5x that forecast, plot and bulletin all leave out. It says so, and where to fix it; a
    price a fifth up is no typo and is not named."""
    months = pd.date_range("2022-01-01", periods=24, freq="MS")
    prices = [8600 + 20 * (i % 4) for i in range(len(months))]

    def check(last: float) -> tuple[str, dict]:
        path = tmp_path / "rice.csv"
        rows = ["date,commodity,market,price_type,unit,currency,price"]
        rows += [
            f"{d:%Y-%m-%d},Rice,An Giang,Wholesale,kg,VND,{p}"
            for d, p in zip(months, [*prices[:-1], last], strict=True)
        ]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        text, as_json = run("data", "check", path), run("data", "check", path, "--json")
        assert text.exit_code == 0 and as_json.exit_code == 0, text.output
        return " ".join(text.stdout.split()), json.loads(as_json.stdout)

    before = prices[-2]  # the price the forecast starts from instead
    said, as_json = check(before * 5)
    assert "latest prices forecasts and bulletins leave out as probably mistyped" in said
    line = f"Rice | An Giang | Wholesale | VND/kg 2023-12: {before * 5:,} (about {before:,})"
    assert line in said, said
    (held,) = as_json["held_back_latest"]
    assert held == {
        "series": "Rice | An Giang | Wholesale | VND/kg",
        "date": "2023-12",
        "price": before * 5.0,
        "around": float(before),
    }
    said, as_json = check(prices[-2] * 1.2)
    assert "probably mistyped" not in said and as_json["held_back_latest"] == []


def test_data_check_names_the_tenfold_moves_forecasts_join_or_leave_out(tmp_path):
    """A review: forecasts said "1 series moves 10-fold or more ... forecasts scale the
    prices before such a move" and "1 price stands 5-fold ... left out as a typo", where the
    check, run first, named neither."""
    months = pd.date_range("2019-01-01", periods=36, freq="MS")
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    for i, d in enumerate(months):
        price = 8000.0 + 10 * i
        price = price * 20 if i == 10 else price / 1000 if i >= 24 else price  # typo; new unit
        rows.append(f"{d:%Y-%m-%d},Rice,A,Wholesale,kg,XYZ,{price:g}")
    path = tmp_path / "moves.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    text, as_json = run("data", "check", path), run("data", "check", path, "--json")
    assert text.exit_code == 0 and as_json.exit_code == 0, text.output
    said = " ".join(text.stdout.split())
    assert (
        "moves of 8-fold or more (tenfold, give or take the period's own move), which "
        "forecasts handle by rule" in said
    ), said
    assert "Rice | A | Wholesale | XYZ/kg 2019-11: 162,000, left out" in said
    assert "Rice | A | Wholesale | XYZ/kg: 8,230 (2020-12) -> 8.24 (2021-01), joined" in said
    moves = json.loads(as_json.stdout)["tenfold_moves"]
    assert [(m["what"], m["date"]) for m in moves] == [
        ("left out", "2019-11"),
        ("joined", "2021-01"),
    ]
    # A file of steady prices names none.
    path.write_text("\n".join(rows[:10]) + "\n", encoding="utf-8")
    assert json.loads(run("data", "check", path, "--json").stdout)["tenfold_moves"] == []


def test_data_check_names_a_last_price_years_after_the_rest_of_its_series(tmp_path):
    """Review: a date typed 2026 for 2021 passed 'data check' with only a 60-period gap in
    its list, and went on into forecasts (and a store) as the series' latest price."""
    head = "date,commodity,market,price_type,unit,currency,price"
    months = pd.date_range("2018-01-01", "2021-06-01", freq="MS")
    rows = [f"{d:%Y-%m-%d},Rice,{m},Retail,kg,VND,{8000 + i}"
            for m in ("A", "B") for i, d in enumerate(months)]  # fmt: skip
    rows[len(months) - 1] = rows[len(months) - 1].replace("2021-06-01", "2026-06-01")
    path = tmp_path / "typo.csv"
    path.write_text("\n".join([head, *rows]) + "\n", "utf-8")
    checked = run("data", "check", path)
    assert checked.exit_code == 0, checked.output  # no row to fix: a date to look at
    said = " ".join(checked.stdout.split())
    assert (
        "last prices a year or more after the others (a mistyped year?): "
        "Rice | A | Retail | VND/kg: 2026-06, after none since 2021-05"  # months, as notes
    ) in said, said
    assert "Rice | B | Retail | VND/kg: 20" not in said
    as_json = json.loads(run("data", "check", path, "--json").stdout)
    assert as_json["late_last_prices"] == [
        {"series": "Rice | A | Retail | VND/kg", "late": ["2026-06"], "before": "2021-05"}
    ]
    cleaned = run("data", "clean", path, "-o", tmp_path / "c.csv", "--json")
    assert json.loads(cleaned.stdout)["late_last_prices"] == as_json["late_last_prices"]
    path.write_text("\n".join([head, *rows]).replace("2026-06-01", "2021-06-01") + "\n", "utf-8")
    assert "a mistyped year" not in run("data", "check", path).stdout
    assert json.loads(run("data", "check", path, "--json").stdout)["late_last_prices"] == []


def test_a_long_table_is_judged_by_its_widest_rows_alone():
    """Measured whole, a list of 13,000 series was laid out twice before a line printed:
    its first rows and each column's longest cell and longest word decide whether it fits."""
    import io

    from rich.console import Console
    from rich.table import Table

    from forecast.commands.shared import _widest_rows, table_fits

    def listing(far_word: str) -> Table:
        table = Table()
        table.add_column("series", overflow="fold")
        table.add_column("span", no_wrap=True)
        for i in range(1000):
            name = far_word if i == 777 else f"Rice · market {i}"
            table.add_row(name, "2004-01–2025-06")
        return table

    for width in (40, 60, 100):
        out = Console(file=io.StringIO(), width=width)
        for word in ("Rice · Colombo", "Rice·" + "x" * 45):
            table = listing(word)
            sample = _widest_rows(table)
            assert sample.row_count < 60 and table.row_count == 1000
            assert table_fits(sample, out) == table_fits(table, out), (width, word)
