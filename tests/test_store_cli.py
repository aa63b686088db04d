"""`cropcast ingest`, `accuracy`, `store info/export` and `--db` on the other commands; a
process killed inside an ingest, two ingests at once, and bad database files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from cli_checks import coconut_depot_files, depot_file, one_error_line, run
from test_store import BAD_KINDS, SERIES, _make_bad, price, price_file

from forecast.store import audit, load_prices, open_store
from forecast.store.ingest import PAUSE_ENV, PAUSE_MESSAGE

ROOT = Path(__file__).resolve().parents[1]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def info(db) -> dict:
    result = run("store", "info", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(autouse=True)
def workdir(tmp_path, monkeypatch):
    """Each test in its own folder, so ./cropcast.duckdb is never a real one."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CROPCAST_DB", raising=False)
    return tmp_path


def cli_process(
    *args, cwd: Path, pause: float | str | None = None, stdout=subprocess.PIPE, ctrl_c=False
):
    """``cropcast ARGS`` in another process (the store's locks are per process). With
    ``ctrl_c``, a SIGINT is a terminal's Ctrl-C to it, even when pytest runs in the
    background (whose children inherit SIGINT ignored)."""
    env = {k: v for k, v in os.environ.items() if k != "CROPCAST_DB"}
    if pause is not None:
        env[PAUSE_ENV] = str(pause)
    return subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), *map(str, args)],
        cwd=cwd,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)) if ctrl_c else None,
    )


def wait_for_pause(proc) -> None:
    """Read the child's stderr until the test hook says it is inside the transaction."""
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if PAUSE_MESSAGE in line:
            return
    raise AssertionError(f"the ingest never paused: {''.join(seen)}")


# --- ingest --------------------------------------------------------------------------------------


def test_ingest_summary_and_the_same_file_again(tmp_path):
    a = price_file(tmp_path / "a.csv", bad_rows=2)
    result = run("ingest", a, "--db", "s.duckdb")
    assert result.exit_code == 0, result.output
    assert "a.csv  added as ingest #1" in result.stdout
    assert "50 in: 48 kept, 0 merged, 2 rejected" in result.stdout
    assert "48 added, 0 unchanged, 0 revised" in result.stdout
    assert "refused 1 × price 'n/a0' is not a number" in result.stdout
    again = run("ingest", a, "--db", "s.duckdb")
    assert again.exit_code == 0, again.output
    assert "already in the store as ingest #1" in again.stdout
    assert "nothing added" in again.stdout
    assert info("s.duckdb")["ingests"] == 1
    # A copy under another name: the clerk is told which file it already was.
    copy = tmp_path / "gia_tuan_copy.csv"
    copy.write_bytes(a.read_bytes())
    renamed = run("ingest", copy, "--db", "s.duckdb")
    assert "gia_tuan_copy.csv  already in the store as ingest #1 (a.csv, " in renamed.stdout


def test_ingest_says_how_many_prices_it_flagged_as_outliers(tmp_path):
    """A price typed ten times too high was stored as typed without a word: `data check`
    counted it, `ingest` did not."""
    clean = run("ingest", price_file(tmp_path / "a.csv"), "--db", "a.duckdb")
    assert clean.exit_code == 0, clean.output
    assert "outlier" not in clean.stdout
    typo = price_file(tmp_path / "b.csv", change={(0, 12): price(10_000, 12) * 10})
    result = run("ingest", typo, "--db", "b.duckdb")
    assert result.exit_code == 0, result.output
    assert "; 1 flagged as outliers (kept;" in result.stdout


def test_ingest_says_which_price_it_kept_of_a_date_priced_twice(tmp_path):
    """Review: one week's Dừa khô at 113.000 per chục and 11.000 per trái went into the store
    as their median per nut, a price nobody typed; ingest said only '1 merged'."""
    chuc, _ = coconut_depot_files(tmp_path, pomelo=False)
    chuc.write_text(
        chuc.read_text(encoding="utf-8")
        + "2024-12-01,Dừa khô,Mỏ Cày Bắc,Wholesale,trái,VND,15000\n",
        encoding="utf-8",
    )
    result = run("ingest", chuc, "--db", "d.duckdb")
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert "13 in: 12 kept, 1 merged" in said
    assert (
        "merged 1 date had different prices in one series: the one in the series' own unit "
        "was kept (written in two units), e.g. Dừa khô | Mỏ Cày Bắc | "
        "Wholesale | VND/nut "
        "2024-12-01: 13,500 (written per chục), 15,000 (written per trái) -> 13,500 (the one "
        "written per chục)"
    ) in said
    stored = load_prices(open_store("d.duckdb"))
    assert stored.loc[stored["date"] == "2024-12-01", "price"].tolist() == [162_000 / 12]
    # A week's sheet has one price in each unit: the one nearer the stored prices stands
    # (a second test: the median of 113.000 per chục and 11.000 per trái was kept).
    week = tmp_path / "week.csv"
    week.write_text(
        "date,commodity,market,price_type,unit,currency,price\n"
        "2025-01-01,Dừa khô,Mỏ Cày Bắc,Wholesale,trái,VND,15000\n"
        "2025-01-01,Dừa khô,Mỏ Cày Bắc,Wholesale,chục,VND,163000\n",
        encoding="utf-8",
    )
    weekly = run("ingest", week, "--db", "d.duckdb")
    assert weekly.exit_code == 0, weekly.output
    said = " ".join(weekly.stdout.split())
    assert "-> 13,583 (the one written per chục, nearer the series' prices)" in said
    stored = load_prices(open_store("d.duckdb"))
    assert stored.loc[stored["date"] == "2025-01-01", "price"].tolist() == [
        pytest.approx(163_000 / 12)
    ]


def test_a_product_name_one_letter_off_is_said_at_ingest(tmp_path):
    """Review: next week's file spelled 'Bưởi da xah' for 'Bưởi da xanh'. It went in as a
    series of its own without a word, and out by SMS to farmers ('Buoi da xah ... chua du
    gia de du bao'). Only names that differed in accents or capitals were said."""
    mondays = pd.date_range("2026-01-05", periods=20, freq="W-MON")
    week = {"Bưởi da xanh": (mondays, lambda i: 42_000 + 100 * i)}
    run("ingest", depot_file(tmp_path / "history.csv", week), "--db", "d.duckdb")
    typo = {"Bưởi da xan": ([mondays[-1] + pd.Timedelta(weeks=1)], lambda i: 44_000)}
    result = run("ingest", depot_file(tmp_path / "w21.csv", typo), "--db", "d.duckdb")
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert (
        "spelling 'Bưởi da xan | Mỏ Cày Bắc | Farmgate | VND/kg' went in as a new series, but "
        "the store holds 'Bưởi da xanh | Mỏ Cày Bắc | Farmgate | VND/kg' (one letter apart): "
        "if they are one series, take the new one out with 'cropcast store remove -s "
        '"Bưởi da xan | Mỏ Cày Bắc | Farmgate | VND/kg"\''
    ) in said
    # The command it gives finds that series, and that one only: "Bưởi da xan|Mỏ Cày Bắc"
    # found the real "Bưởi da xanh" too, and with --yes took its history out.
    listed = run(
        "store", "remove", "-s", "Bưởi da xan | Mỏ Cày Bắc | Farmgate | VND/kg", "--db", "d.duckdb"
    )
    assert "would remove 1 series (1 price)" in " ".join(listed.stdout.split())
    # A store's first file: its own two spellings, and a variety number, which is no typo.
    both = {
        "Sầu riêng Ri6": (mondays, lambda i: 80_000),
        "Sầu riêng Ri7": (mondays, lambda i: 90_000),
        "Bưởi da xanh": (mondays, lambda i: 42_000),
        "Buoi da xan": (mondays[:1], lambda i: 41_000),
        # Codes in capitals are names of their own: the Pink Sheet's hard and soft red
        # winter wheats (the note's remove command would have deleted one).
        "Wheat US HRW": (mondays, lambda i: 7_000),
        "Wheat US SRW": (mondays, lambda i: 6_500),
        # ... but a long word in capitals typed wrong is a misspelling still.
        "SORGHUM": (mondays, lambda i: 1_000),
        "SORGUM": (mondays[:1], lambda i: 1_000),
    }
    first = run("ingest", depot_file(tmp_path / "both.csv", both), "--db", "new.duckdb")
    said = " ".join(first.stdout.split())
    assert said.count("(one letter apart)") == 2
    assert "'SORGHUM | Mỏ Cày Bắc | Farmgate | VND/kg' and 'SORGUM |" in said
    assert "'Buoi da xan | Mỏ Cày Bắc | Farmgate | VND/kg' and 'Bưởi da xanh |" in said
    assert "Ri6" not in said
    # Both stored now: a later file holding both is not told again (a review).
    later = {name: ([mondays[-1] + pd.Timedelta(weeks=1)], lambda i: 41_500) for name in both}
    again = run("ingest", depot_file(tmp_path / "later.csv", later), "--db", "new.duckdb")
    assert again.exit_code == 0 and "one letter apart" not in again.stdout
    ingested = json.loads(
        run("ingest", depot_file(tmp_path / "w22.csv", typo), "--db", "d.duckdb", "--json").stdout
    )
    assert ingested["files"][0]["one_letter_from_stored"] == []  # xan is stored now: not new


def test_a_forecast_from_the_store_quotes_a_depots_chuc_as_its_bulletin_does(tmp_path):
    """Review: the forecast table showed Dừa khô at 9,750 per nut, the bulletin and chart at
    117.000 per chục; and `forecast -o` wrote it per nut from the store but per chục from
    the file itself."""
    chuc, each = coconut_depot_files(tmp_path, pomelo=False)
    for path in (chuc, each):
        assert run("ingest", path, "--db", "d.duckdb").exit_code == 0
    out = tmp_path / "fc.csv"
    args = ("-m", "naive", "-h", 2, "--no-archive", "--db", "d.duckdb", "-o", out)
    result = run("forecast", *args)
    assert result.exit_code == 0, result.output
    assert "Dừa khô | Mỏ Cày Bắc | Wholesale | VND/chục of 12 nuts" in result.stdout
    assert "│  162,000 │" in result.stdout  # December's 162.000 per chục, carried on
    assert "Dừa xiêm | Mỏ Cày Bắc | Wholesale | VND/nut" in result.stdout  # written per trái
    written = pd.read_csv(out).groupby("commodity").first()
    assert written.loc["Dừa khô", "unit"] == "chục"
    assert written.loc["Dừa khô", "forecast"] == pytest.approx(162_000)
    assert written.loc["Dừa xiêm", "unit"] == "nut"
    assert "fc.csv quotes 1 series per chục (of 12 nuts)" in " ".join(result.stderr.split())
    # The store keeps them per nut, and the archive with it.
    stored = load_prices(open_store("d.duckdb"))
    assert set(stored["unit"]) == {"nut"}


def test_a_date_order_given_against_the_stores_is_said(tmp_path):
    """A second test: a week's 05/01/2026 ingested with --monthfirst into a store of dd/mm
    sheets went in as May, 17 weeks off, without a word (the order given stands)."""

    def sheet(name: str, dates: list[str]):
        path = tmp_path / name
        rows = ["date,commodity,market,price_type,unit,currency,price"]
        rows += [f"{d},Bưởi,Mỏ Cày Bắc,Retail,kg,VND,42000" for d in dates]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        return path

    days = ["01/12/2025", "08/12/2025", "15/12/2025", "22/12/2025", "29/12/2025"]
    assert run("ingest", sheet("h.csv", days), "--db", "o.duckdb").exit_code == 0
    week = sheet("w.csv", ["05/01/2026"])
    wrong = run("ingest", week, "--db", "o.duckdb", "--monthfirst")
    assert wrong.exit_code == 0, wrong.output
    said = " ".join(wrong.stdout.split())
    assert (
        "dates read as mm/dd/yyyy, as --monthfirst says, where the store's ingests read theirs "
        "as dd/mm/yyyy (#1 the latest): if this file is written so too, ingest it again with "
        "--dayfirst"
    ) in said
    # The fix is not said to go against the store: one ingest each way says nothing.
    fixed = run("ingest", week, "--db", "o.duckdb", "--dayfirst")
    assert fixed.exit_code == 0 and "dates read as" not in fixed.stdout
    assert "2026-01-05" in set(load_prices(open_store("o.duckdb"))["date"].dt.strftime("%Y-%m-%d"))


def test_ingest_adds_each_sheet_of_one_workbook(tmp_path):
    """Two sheets of one workbook are two ingests: the second is not 'already in the store'
    for sharing the first's bytes; without --sheet the sheets not read are named."""
    book = tmp_path / "book.xlsx"
    with pd.ExcelWriter(book) as writer:
        for name, series in (("VNM", SERIES[:1]), ("THA", SERIES[1:2])):
            frame = pd.read_csv(price_file(tmp_path / f"{name}.csv", series=series), dtype=str)
            frame.to_excel(writer, sheet_name=name, index=False)
    first = run("ingest", book, "--db", "s.duckdb")
    assert first.exit_code == 0, first.output
    assert "note: book.xlsx: read sheet 'VNM'; also in the workbook: THA" in first.stderr
    tha = run("ingest", book, "--sheet", "THA", "--db", "s.duckdb")
    assert tha.exit_code == 0, tha.output
    assert "book.xlsx (sheet THA)  added as ingest #2" in tha.stdout
    again = run("ingest", book, "--sheet", "THA", "--db", "s.duckdb")
    assert "already in the store as ingest #2" in again.stdout
    assert len(load_prices(open_store("s.duckdb"))[["commodity", "market"]].drop_duplicates()) == 2
    on_csv = run("ingest", tmp_path / "VNM.csv", "--sheet", "VNM", "--db", "s.duckdb")
    assert on_csv.exit_code == 2 and "picks a sheet" in one_error_line(on_csv)


def test_the_same_file_read_another_way_is_ingested_again(tmp_path):
    """Same bytes with other reading options (--chuc 14, --decimal .) are a new reading that
    revises the first; before, they were "already in the store" and the misread stayed."""
    path = tmp_path / "dua.csv"
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    rows += [
        f"2025-{m:02d}-01,Dừa xiêm,Chợ Lách,Retail,chục,VND,{156000 + 1000 * m}"
        for m in range(1, 7)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    first = run("ingest", path, "--db", "s.duckdb")
    assert first.exit_code == 0, first.output

    def last_price() -> float:
        return float(load_prices(open_store("s.duckdb"))["price"].iloc[-1])

    assert last_price() == pytest.approx(162000 / 12)  # per nut, 12 to the chục
    again = run("ingest", path, "--db", "s.duckdb", "--chuc", "14")
    assert again.exit_code == 0, again.output
    assert "already in the store" not in again.stdout and "6 revised" in again.stdout
    assert last_price() == pytest.approx(162000 / 14)
    same = run("ingest", path, "--db", "s.duckdb", "--chuc", "14")
    assert "already in the store" in same.stdout and "read the same way" in same.stdout
    # Without --chuc, the file is read per the store's latest chục of the series (14): the
    # prices ingest #2 stored.
    plain = run("ingest", path, "--db", "s.duckdb")
    assert "already in the store as ingest #2" in " ".join(plain.stdout.split()), plain.stdout
    assert last_price() == pytest.approx(162000 / 14)
    # As first read (--chuc 12), after the --chuc 14 reading replaced its prices: the store
    # no longer holds them, so it is a new word, and the latest reading is the one stored.
    twelve = run("ingest", path, "--db", "s.duckdb", "--chuc", "12")
    said = " ".join(twelve.stdout.split())
    assert "added as ingest #3" in said and "6 revised" in said, said
    assert "another reading of it since (ingest #2) replaced 6 of those prices" in said
    assert last_price() == pytest.approx(162000 / 12)
    assert "already in the store as ingest #3" in run("ingest", path, "--db", "s.duckdb").stdout


def _monthly_depot_file(tmp_path):
    """Two years of a depot's monthly pomelo prices, dd/mm/yyyy, Vietnamese headers:
    ``(months, price by month, path)``."""
    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    base = {m: 40_000 + 500 * i for i, m in enumerate(months)}
    path = tmp_path / "gia_thang.csv"
    rows = ["Ngày,Mặt hàng,Chợ,Giá,Đơn vị"]
    rows += [f"{m:%d/%m/%Y},Bưởi da xanh,Mỏ Cày Bắc,{p},kg" for m, p in base.items()]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return months, base, path


def test_options_that_read_the_same_prices_are_the_file_again(tmp_path):
    """A file read as monthly and dd/mm/yyyy by its own dates, ingested again with --freq
    monthly (or --dayfirst, or a --chuc it has no chục for), was a "new reading": it put its
    prices back over a later file's corrections. The same prices are the same file; a
    reading that changes them (--monthfirst) is still a new one."""
    months, base, path = _monthly_depot_file(tmp_path)
    fixed_months = list(months[-6::3])
    fix = tmp_path / "gia_sua.csv"
    fixes = {m: base[m] + 1_000 for m in fixed_months}
    fix_rows = [
        "Ngày,Mặt hàng,Chợ,Giá,Đơn vị",
        *(f"{m:%d/%m/%Y},Bưởi da xanh,Mỏ Cày Bắc,{p},kg" for m, p in fixes.items()),
    ]
    fix.write_text("\n".join(fix_rows) + "\n", encoding="utf-8")
    db, given = "s.duckdb", ("--default", "currency=VND,price_type=Retail")
    assert run("ingest", path, "--db", db, *given).exit_code == 0
    corrected = run("ingest", fix, "--db", db, *given)
    assert corrected.exit_code == 0 and f"{len(fixes)} revised" in corrected.stdout

    def stored() -> dict:
        prices = load_prices(open_store(db))
        return dict(zip(prices["date"], prices["price"], strict=True))

    before = stored()
    assert {m: before[m] for m in fixes} == pytest.approx(fixes)
    for options in (("--freq", "monthly"), ("--dayfirst",), ("--chuc", "14")):
        again = run("ingest", path, "--db", db, *given, *options)
        assert again.exit_code == 0, again.output
        said = " ".join(again.stdout.split())
        assert "already in the store as ingest #1" in said, (options, said)
        assert "these options read the same prices" in said and "revised" not in said
        assert stored() == before  # the corrections stand
    assert info(db)["ingests"] == 2
    # 01/02/2023 read as 2 January: each year's 12 prices fold into its January.
    other = run("ingest", path, "--db", db, *given, "--monthfirst", "--freq", "monthly")
    assert other.exit_code == 0, other.output
    assert "added as ingest #3" in other.stdout and stored() != before


def test_the_reading_a_misreading_replaced_is_read_again(tmp_path):
    """gia_thang.csv read dd/mm (#1), then misread with --monthfirst (#2, each January
    revised), then with --dayfirst to undo it: 'already in the store as ingest #1 (..., these
    options read the same prices): nothing added', and the store kept #2's prices; the plain
    re-run said the same. The store no longer held #1's prices, so it is read again and puts
    them back; then it is the file again."""
    months, base, path = _monthly_depot_file(tmp_path)
    given = ("--default", "currency=VND,price_type=Retail")

    def stored(db) -> dict:
        prices = load_prices(open_store(db))
        return dict(zip(prices["date"], prices["price"], strict=True))

    for undo in (("--dayfirst",), ()):  # the fingerprint path; the options as given
        db = f"s{len(undo)}.duckdb"
        assert run("ingest", path, "--db", db, *given).exit_code == 0
        mis = run("ingest", path, "--db", db, *given, "--monthfirst", "--freq", "monthly")
        assert mis.exit_code == 0 and "2 revised" in mis.stdout, mis.output
        assert stored(db) != base
        back = run("ingest", path, "--db", db, *given, *undo)
        assert back.exit_code == 0, back.output
        said = " ".join(back.stdout.split())
        assert "added as ingest #3" in said and "2 revised" in said, (undo, said)
        assert "another reading of it since (ingest #2) replaced 2 of those prices" in said
        assert stored(db) == base
        for again in (undo, ("--freq", "monthly")):
            same = run("ingest", path, "--db", db, *given, *again)
            said = " ".join(same.stdout.split())
            assert same.exit_code == 0 and "already in the store as ingest #3" in said, said
        assert info(db)["ingests"] == 3 and stored(db) == base
        assert audit(open_store(db)) == []


def test_rows_refused_are_said_with_the_check_that_lists_them(tmp_path):
    """A sheet whose commodity is written once per block (merged cells) lost most of its
    rows: ingest exited 0, never said which rows or how to see them, and the same file again
    said only "already in the store". Now each says how many rows were refused and the
    'cropcast data check' command, with the options given, that lists them; a file mostly
    refused exits 1 (its kept prices went in)."""
    import shlex

    blocks = {"Bưởi da xanh": ("kg", 45_000), "Dừa": ("trái", 12_000)}
    months = pd.date_range("2023-01-01", periods=12, freq="MS")
    rows = ["Tháng;Loại;Nơi bán;Giá bán;ĐVT"]
    for name, (unit, start) in blocks.items():
        for i, m in enumerate(months):
            written = name if i == 0 else ""  # as merged cells read: blank below the first
            rows.append(f"{m:%Y-%m-%d};{written};Mỏ Cày Bắc;{start + 100 * i};{unit}")
    path = tmp_path / "gộp ô.csv"  # a space in the name: the command must quote it
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    blank = len(blocks) * (len(months) - 1)
    given = [
        "--map",
        "date=Tháng, commodity=Loại, market=Nơi bán, price=Giá bán, unit=ĐVT",
        "--default",
        "currency=VND,price_type=Retail",
        "--freq",  # one price a series left: the store's first file says its frequency
        "monthly",
    ]
    first = run("ingest", path, "--db", "s.duckdb", *given)
    assert first.exit_code == 1, first.output
    assert "added as ingest #1" in first.stdout  # the rows kept went in
    line = one_error_line(first)
    assert f"cleaning refused {blank} of {len(rows) - 1} rows" in line
    assert f"{blank} × commodity is missing" in line
    assert "only the other 2 rows went into the store" in line  # each block's first row
    command = line.split("'", 1)[1].rsplit("' lists them", 1)[0]
    words = shlex.split(command)
    assert words[:4] == ["cropcast", "data", "check", str(path)] and words[4:] == given
    check = run(*words[1:])  # pasted, it lists the same refused rows
    assert check.exit_code == 1, check.output
    assert f"(the first 10 of {blank};" in " ".join(check.stdout.split())
    again = run("ingest", path, "--db", "s.duckdb", *given)
    assert again.exit_code == 1 and "already in the store as ingest #1" in again.stdout
    line = one_error_line(again)
    assert f"when it was ingested as #1, cleaning refused {blank} of {len(rows) - 1}" in line
    assert command in line
    # A few rows refused: a note, not an error; the prices went in, the exit is 0.
    few = price_file(tmp_path / "a.csv", bad_rows=2)
    noted = run("ingest", few, "--db", "few.duckdb")
    assert noted.exit_code == 0, noted.output
    assert "note: a.csv: cleaning refused 2 of 50 rows" in noted.stderr
    assert f"'cropcast data check {few}' lists them" in noted.stderr


def test_the_sheet_read_by_default_named_with_sheet_is_the_file_again(tmp_path):
    """A workbook read by default from its first sheet, corrected by a later file, then
    ingested with --sheet naming that sheet: 'added as ingest #3 ... 1 revised', the
    correction undone. It is the same prices: already in the store as ingest #1."""
    book = tmp_path / "bảng giá.xlsx"
    with pd.ExcelWriter(book) as writer:
        for name, series in (("Bưởi", SERIES[:1]), ("Xoài", SERIES[1:2])):
            frame = pd.read_csv(price_file(tmp_path / f"{name}.csv", series=series), dtype=str)
            frame.to_excel(writer, sheet_name=name, index=False)
    db = "s.duckdb"
    assert run("ingest", book, "--db", db).exit_code == 0
    fix = price_file(tmp_path / "sua.csv", range(20, 21), series=SERIES[:1], change={(0, 20): 1})
    assert "1 revised" in run("ingest", fix, "--db", db).stdout
    before = load_prices(open_store(db))
    named = run("ingest", book, "--db", db, "--sheet", "Bưởi")
    assert named.exit_code == 0, named.output
    said = " ".join(named.stdout.split())
    assert "already in the store as ingest #1" in said and "nothing added" in said, said
    pd.testing.assert_frame_equal(load_prices(open_store(db)), before)
    assert info(db)["ingests"] == 2


def test_a_publishers_forecast_rows_are_not_refused_rows_to_fix(tmp_path):
    """A WFP file of 57 actual and 78 forecast rows exited 1 ('cleaning refused 78 of 135
    rows ... fix them in the file'): its forecasts, which cleaning always leaves out, were
    counted as refused rows. They are said as what they are and not counted: the threshold
    and the advice are for the other rows."""
    header = (
        "date,admin1,admin2,market,latitude,longitude,category,commodity,unit,priceflag,"
        "pricetype,currency,price,usdprice"
    )

    def wfp(path: Path, actual: int, forecast: int, blank: int = 0) -> Path:
        rows = [header]
        months = pd.date_range("2019-01-15", periods=actual + forecast, freq="MS")
        for i, m in enumerate(months):
            flag, value = ("actual", 8_000 + 10 * i) if i < actual else ("forecast", 0.0)
            market = "" if i < blank else "An Giang"  # a row cleaning refuses
            rows.append(
                f"{m.month}/15/{m.year},An Giang,Chau Phu,{market},10.5,105.1,cereals and "
                f"tubers,Rice,KG,{flag},Wholesale,VND,{value},0.35"
            )
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        return path

    mostly_forecasts = wfp(tmp_path / "wfp_vnm.csv", actual=57, forecast=78)
    first = run("ingest", mostly_forecasts, "--db", "s.duckdb")
    assert first.exit_code == 0, first.output
    assert "added as ingest #1" in first.stdout
    (line,) = first.stderr.splitlines()
    assert line.startswith("note: wfp_vnm.csv: 78 rows left out as always (78 × price flag")
    assert "fix them" not in line and "error" not in line
    again = run("ingest", mostly_forecasts, "--db", "s.duckdb")  # said so from the store
    assert again.exit_code == 0, again.output
    assert "when it was ingested as #1, 78 rows left out as always" in again.stderr
    # Rows refused besides the forecasts are counted against the rest: 3 of 20, a note.
    some = wfp(tmp_path / "wfp_some.csv", actual=20, forecast=30, blank=3)
    noted = run("ingest", some, "--db", "some.duckdb")
    assert noted.exit_code == 0, noted.output
    (line,) = noted.stderr.splitlines()
    assert line.startswith("note: wfp_some.csv: cleaning refused 3 of 20 rows (3 × market")
    assert "besides 30 rows left out as always (30 × price flag 'forecast'" in line
    # Most of the rest refused: still an error.
    most = wfp(tmp_path / "wfp_most.csv", actual=20, forecast=30, blank=11)
    failed = run("ingest", most, "--db", "most.duckdb")
    assert failed.exit_code == 1, failed.output
    assert "cleaning refused 11 of 20 rows" in one_error_line(failed)


def test_a_real_wfp_files_forecasts_are_said_as_left_out(shared_data, tmp_path):
    """Viet Nam's WFP file: its 78 forecast rows were 'refused' with advice to fix them."""
    result = run("ingest", shared_data / "wfp" / "wfp_food_prices_vnm.csv", "--db", "s.duckdb")
    assert result.exit_code == 0, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("note: wfp_food_prices_vnm.csv: ") and "left out as always" in line
    assert "× price flag 'forecast' is not an observed price" in line
    assert "fix them" not in line and "cleaning refused" not in line


def test_a_mostly_refused_file_is_an_error_in_the_json_too(tmp_path):
    """`ingest --json` exited 1 for a mostly refused file while its payload said 'added'
    with no error; the reason was only on stderr. The file's entry and "errors" say it."""
    good = price_file(tmp_path / "good.csv")
    bad = price_file(tmp_path / "bad.csv", range(3), series=SERIES[:1], bad_rows=5)
    result = run("ingest", good, bad, "--db", "s.duckdb", "--json")
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    files = {f["file"]: f for f in payload["files"]}
    assert files["bad.csv"]["status"] == "added"  # its kept prices went in
    assert (files["good.csv"]["mostly_refused"], files["bad.csv"]["mostly_refused"]) == (
        False,
        True,
    )
    (error,) = payload["errors"]
    assert error["file"] == str(bad)
    assert error["error"].startswith("bad.csv: cleaning refused 5 of 8 rows")
    assert f"error: {error['error']}" in result.stderr.splitlines()  # the same message
    again = run("ingest", bad, "--db", "s.duckdb", "--json")  # the re-run: exit 1, and says so
    assert again.exit_code == 1, again.output
    payload = json.loads(again.stdout)
    assert payload["files"][0]["status"] == "duplicate" and payload["files"][0]["mostly_refused"]
    assert payload["errors"][0]["error"].startswith("bad.csv: when it was ingested as #")
    fine = run("ingest", good, "--db", "s.duckdb", "--json")
    assert fine.exit_code == 0 and json.loads(fine.stdout)["errors"] == []


def test_a_week_without_chuc_is_read_per_the_stored_historys_chuc(tmp_path):
    """The history was read with --chuc 14; next week's file ingested without it read
    112.000 per chục of 12, and the bulletin told farmers the price rose 17.7 % (it rose
    0.9 %). A review found the ingest's warning easy to miss: the file is now read per the
    store's chục, as a file's date order is, and --chuc given is the user's word."""

    def week(name: str, day: str, price: int):
        path = tmp_path / name
        rows = ["date,commodity,market,price_type,unit,currency,price"]
        rows.append(f"{day},Dừa khô,Mỏ Cày Bắc,Retail,chục,VND,{price}")
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        return path

    db = tmp_path / "depot.duckdb"
    for i, day in enumerate(("2025-11-03", "2025-11-10", "2025-11-17")):
        args = ("--db", db, "--chuc", "14", "--freq", "weekly")
        assert run("ingest", week(f"w{i}.csv", day, 111_000), *args).exit_code == 0
    late = week("w3.csv", "2025-11-24", 112_000)
    forgot = run("ingest", late, "--db", db)
    assert forgot.exit_code == 0, forgot.output
    said = " ".join(forgot.stdout.split())
    assert (
        "note Dừa khô | Mỏ Cày Bắc | Retail | VND read per chục of 14 nuts, as the store's "
        "latest file of it was (if this file's chục holds 12, ingest it again with --chuc 12)"
    ) in said
    stored = load_prices(open_store(db))
    assert stored["price"].iloc[-1] == pytest.approx(112_000 / 14)
    bulletin = run("bulletin", "--db", db, "--no-archive", "-f", "txt", "-m", "naive", "-q")
    assert bulletin.exit_code == 0, bulletin.output
    assert "112.000 đồng/chục" in bulletin.stdout and "+0,9%" in bulletin.stdout
    # The depot now counts 12: --chuc 12 revises the week, and is not warned about.
    counted = run("ingest", late, "--db", db, "--chuc", "12")
    assert counted.exit_code == 0, counted.output
    said = " ".join(counted.stdout.split())
    assert "1 revised" in said and "store's latest file" not in said
    assert load_prices(open_store(db))["price"].iloc[-1] == pytest.approx(112_000 / 12)
    # Series the store reads per different chục (14 here, 16 there) are not guessed: the
    # file is read per 12, and each is said, with the option that reads it as before.
    two = tmp_path / "two.duckdb"
    for market, chuc in (("Mỏ Cày Bắc", 14), ("Chợ Lách", 16)):
        path = tmp_path / f"{chuc}.csv"
        path.write_text(
            "date,commodity,market,price_type,unit,currency,price\n"
            f"2025-11-24,Dừa khô,{market},Retail,chục,VND,111000\n",
            encoding="utf-8",
        )
        assert run("ingest", path, "--db", two, "--chuc", chuc, "--freq", "weekly").exit_code == 0
    both = tmp_path / "both.csv"
    both.write_text(
        "date,commodity,market,price_type,unit,currency,price\n"
        "2025-12-01,Dừa khô,Mỏ Cày Bắc,Retail,chục,VND,113000\n"
        "2025-12-01,Dừa khô,Chợ Lách,Retail,chục,VND,113000\n",
        encoding="utf-8",
    )
    said = " ".join(run("ingest", both, "--db", two).stdout.split())
    assert "write its unit 'chục (14 trái)' and ingest it again" in said
    assert "write its unit 'chục (16 trái)' and ingest it again" in said
    # As told: each market's chục written in the file, which one --chuc for the file cannot
    # say (a depot's sheet with Mỏ Cày Bắc's 14 beside Chợ Lách's 16).
    both.write_text(
        "date,commodity,market,price_type,unit,currency,price\n"
        "2025-12-01,Dừa khô,Mỏ Cày Bắc,Retail,chục (14 trái),VND,113000\n"
        "2025-12-01,Dừa khô,Chợ Lách,Retail,chục 16,VND,113000\n",
        encoding="utf-8",
    )
    said = " ".join(run("ingest", both, "--db", two).stdout.split())
    assert "revised 2" in said and "read per chục of 14 or 16 nuts; stored per nut" in said, said
    stored = load_prices(open_store(two)).set_index(["market", "date"])["price"]
    assert stored[("Mỏ Cày Bắc", pd.Timestamp("2025-12-01"))] == pytest.approx(113_000 / 14)
    assert stored[("Chợ Lách", pd.Timestamp("2025-12-01"))] == pytest.approx(113_000 / 16)
    # A market new to the store beside one it reads per 14: the new one is not given the
    # other's 14 (a test: 100.000 per chục read 7,143 a nut); the file is read per 12, said.
    beside = tmp_path / "beside.csv"
    beside.write_text(
        "date,commodity,market,price_type,unit,currency,price\n"
        "2025-12-01,Dừa khô,Mỏ Cày Bắc,Retail,chục,VND,112000\n"
        "2025-12-01,Dừa khô,Phước Mỹ Trung,Retail,chục,VND,100000\n",
        encoding="utf-8",
    )
    third = tmp_path / "third.duckdb"
    args = ("--db", third, "--chuc", "14", "--freq", "weekly")
    assert run("ingest", week("h.csv", "2025-11-24", 111_000), *args).exit_code == 0
    said = " ".join(run("ingest", beside, "--db", third).stdout.split())
    assert "as the store's latest file of it was" not in said
    assert "write its unit 'chục (14 trái)' and ingest it again (or give --chuc 14" in said
    new = load_prices(open_store(third))
    assert new.loc[new["market"] == "Phước Mỹ Trung", "price"].tolist() == [
        pytest.approx(100_000 / 12)
    ]


def test_data_list_lists_the_store_a_forecast_reads(tmp_path):
    """With a store, `forecast -s X` matching nothing sent users to `cropcast data list`,
    which listed the embedded data (where "Rice|An Giang" is), not the store."""
    db = tmp_path / "s.duckdb"
    assert run("ingest", price_file(tmp_path / "a.csv"), "--db", db).exit_code == 0
    listed = run("data", "list", "--db", db, "--json")
    assert listed.exit_code == 0, listed.output
    stored = {(s["commodity"], s["market"]) for s in json.loads(listed.stdout)}
    assert stored == set(
        load_prices(open_store(db))[["commodity", "market"]].itertuples(index=False, name=None)
    )
    assert len(stored) == 2  # not the embedded data's 26
    weekly = run("data", "list", "--db", db, "--freq", "weekly")  # as forecast reads it
    assert weekly.exit_code == 2 and "holds no weekly series" in one_error_line(weekly)
    missing = run("forecast", "--db", db, "-s", "Robusta", "-q")  # embedded, not stored
    assert missing.exit_code == 2
    line = one_error_line(missing)
    assert f"Run 'cropcast data list --db {db}' to see the series names in the store" in line


def test_ingest_reports_revisions(tmp_path):
    run("ingest", price_file(tmp_path / "a.csv"), "--db", "s.duckdb")
    b = price_file(tmp_path / "b.csv", range(25), change={(0, 5): 12_345.0})
    result = run("ingest", b, "--db", "s.duckdb", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)["files"][0]
    assert (payload["prices_added"], payload["prices_revised"]) == (2, 1)
    assert payload["revisions"][0]["new_price"] == 12_345.0
    assert payload["revisions"][0]["old_source"] == "a.csv"
    c = price_file(tmp_path / "c.csv", range(25), change={(0, 5): 13_000.0})
    text = run("ingest", c, "--db", "s.duckdb").stdout
    assert "1 revised" in text and "old values stay in the store's revisions" in text
    assert "Rice | An Giang | Wholesale | VND/kg 2016-06-01: 12,345 → 13,000 (was from b.csv)" in (
        " ".join(text.split())
    )
    # A revision inside the table's rounding shows the digits that changed, not "x → x".
    d = price_file(tmp_path / "d.csv", range(25), change={(0, 5): 13_000.4})
    text = " ".join(run("ingest", d, "--db", "s.duckdb").stdout.split())
    assert "2016-06-01: 13000 → 13000.4 (was from c.csv)" in text


def test_a_real_price_that_arrives_re_estimates_its_neighbour(shared_data, tmp_path):
    """Thai WFP prices without Bangkok rice's May and June 2018 (interpolated between April's
    12.00 and July's 10.95 baht); then May comes (12.11): June is interpolated again."""
    source = shared_data / "wfp" / "wfp_food_prices_tha.csv"
    lines = source.read_text().splitlines()
    late = [
        i
        for i, line in enumerate(lines)
        if line[:7] in ("2018-05", "2018-06") and ",Bangkok," in line and ",Rice," in line
    ]
    assert len(late) == 2
    (tmp_path / "holey.csv").write_text(
        "\n".join(line for i, line in enumerate(lines) if i not in late) + "\n"
    )
    (tmp_path / "may.csv").write_text("\n".join([*lines[:2], lines[late[0]]]) + "\n")
    assert run("ingest", tmp_path / "holey.csv", "--db", "s.duckdb").exit_code == 0
    result = run("ingest", tmp_path / "may.csv", "--db", "s.duckdb")
    assert result.exit_code == 0, result.output
    assert "re-estimated 1 interpolated prices" in result.stdout
    rice = load_prices(open_store("s.duckdb"), ["Rice|Bangkok"]).set_index("date")
    june = rice.loc[pd.Timestamp("2018-06-01")]
    assert june["flags"] == "interpolated"
    assert june["price"] == pytest.approx((12.11 * 10.95) ** 0.5)
    assert rice.loc[pd.Timestamp("2018-05-01"), "price"] == pytest.approx(12.11)
    assert info("s.duckdb")["problems"] == []


def test_a_typo_week_is_named_at_ingest_and_kept_out_of_the_bulletin(tmp_path):
    """The depot's weekly files, one with a slipped zero: ingest names it, the forecast
    from the store notes it, and the farmers' bulletin does not announce a 900 % rise."""
    from test_store import weekly_files

    weeks = [46_000 * (1.01 ** (i % 3)) for i in range(12)] + [460_000]
    files = weekly_files(tmp_path, weeks)
    db = tmp_path / "depot.duckdb"
    before = run("ingest", *files[:-1], "--db", db, "--freq", "weekly")
    assert before.exit_code == 0 and "outlier" not in before.stdout, before.output
    typo = run("ingest", files[-1], "--db", db, "--freq", "weekly")
    assert typo.exit_code == 0, typo.output
    said = " ".join(typo.stdout.split())
    assert "outlier 1 price stands out from the stored history" in said, said
    assert "Lúa | Chợ A | Retail | VND/kg 2026-03-30: 460,000" in said
    forecast = run("forecast", "--db", db, "-m", "naive", "-q", "-o", tmp_path / "fc.csv")
    assert forecast.exit_code == 0, forecast.output
    assert "2026-03-30: 460,000" in forecast.stderr and "ingest a corrected file" in forecast.stderr
    bulletin = run("bulletin", "--db", db, "-m", "naive", "-q")
    assert bulletin.exit_code == 0, bulletin.output
    said = "460.000 đồng/kg (tuần 30/3–5/4/2026) khác xa các kỳ trước"
    assert said in bulletin.stdout, bulletin.stdout
    assert "+9" not in bulletin.stdout  # no "+900 %" anywhere


def test_a_new_stores_first_one_date_files_must_say_their_frequency(tmp_path):
    """A week's file dated on a Friday made a monthly store (one date tells no spacing):
    each later week then revised the one before it, as both fell in one month. The first
    file must say --freq; files after it follow the store."""
    import pandas as pd
    from test_store import lua_file

    db = tmp_path / "depot.duckdb"
    fridays = pd.date_range("2025-11-21", periods=3, freq="W-FRI")
    files = []
    for i, day in enumerate(fridays):
        path = tmp_path / f"week_{i}.csv"
        lua_file(path, {f"{day:%Y-%m-%d}": 8_600 - 100 * i})
        files.append(path)
    refused = run("ingest", files[0], "--db", db)
    assert refused.exit_code == 2
    line = one_error_line(refused)
    assert "cannot tell weekly prices from monthly ones" in line and "--freq weekly" in line
    assert not db.exists()
    assert run("ingest", files[0], "--db", db, "--freq", "weekly").exit_code == 0
    later = run("ingest", *files[1:], "--db", db)
    assert later.exit_code == 0, later.output
    assert "revised" not in " ".join(later.stdout.split()).replace("0 revised", "")
    export = tmp_path / "all.csv"
    assert run("store", "export", "--db", db, "-o", export).exit_code == 0
    stored = pd.read_csv(export)
    assert sorted(stored["price"]) == [8_400, 8_500, 8_600]  # three weeks, none lost
    assert (pd.to_datetime(stored["date"]).dt.day_of_week == 0).all()
    # A catch-up file of two weeks three weeks apart reads as monthly by its spacing; beside
    # the weekly stored series it is weeks (it was refused: "weekly in the store but monthly").
    gap = tmp_path / "catch_up.csv"
    lua_file(gap, {"2025-12-12": 8_300, "2026-01-02": 8_200})
    caught = run("ingest", gap, "--db", db)
    assert caught.exit_code == 0, caught.output
    assert "prices taken as weekly, as the stored series are" in " ".join(caught.stdout.split())
    spaced = tmp_path / "spaced.csv"
    spaced.write_text(
        lua_file(tmp_path / "x.csv", {"2026-01-09": 8_100})
        .read_text("utf-8")
        .replace("Chợ A", "Chợ A "),
        "utf-8",
    )
    named = run("ingest", spaced, "--db", db)
    assert "name(s) tidied" in named.stdout and "'Chợ A ' -> 'Chợ A'" in named.stdout
    # A first week whose Monday is a 1st (1 December 2025): its stored date says weekly and
    # monthly alike, so the ingest that stored it, given --freq weekly, says which.
    december = tmp_path / "december.duckdb"
    first = lua_file(tmp_path / "w49.csv", {"2025-12-05": 8_700})
    assert run("ingest", first, "--db", december, "--freq", "weekly").exit_code == 0
    told = json.loads(run("store", "info", "--db", december, "--json").stdout)
    assert told["series_by_freq"] == {"weekly": 1}  # not "monthly" for its 1 December
    listed = run("data", "list", "--db", december, "--freq", "weekly")
    assert listed.exit_code == 0 and "Lúa" in listed.stdout, listed.output  # so data list
    assert run("data", "list", "--db", december, "--freq", "monthly").exit_code == 2
    second = run("ingest", lua_file(tmp_path / "w50.csv", {"2025-12-12": 8_800}), "--db", december)
    assert second.exit_code == 0, second.output
    assert "prices taken as weekly" in " ".join(second.stdout.split())


def test_a_new_products_first_week_on_monday_the_1st_stays_weekly(tmp_path):
    """Review: in a weekly store, a product whose one price was dated Monday 1 December
    2025 read as monthly everywhere after ingest: 'data list' gave it months, its forecast
    stepped by months, and the whole bulletin became December's ('T12/2025', '3 thang
    toi'). A file of that one week alone, given --freq weekly, did the same."""
    from test_store import lua_file

    db = tmp_path / "depot.duckdb"
    mondays = pd.date_range("2025-06-02", "2025-11-24", freq="W-MON")
    history = lua_file(tmp_path / "weeks.csv", {f"{d:%Y-%m-%d}": 7_000 + 10 * i
                                                for i, d in enumerate(mondays)})  # fmt: skip
    assert run("ingest", history, "--db", db, "--freq", "weekly").exit_code == 0
    week = tmp_path / "week_49.csv"
    week.write_text(
        "date,commodity,market,price_type,unit,currency,price\n"
        "2025-12-01,Lúa,Chợ A,Retail,kg,VND,7300\n2025-12-01,Xoài,Chợ A,Retail,kg,VND,25000\n",
        "utf-8",
    )
    assert run("ingest", week, "--db", db).exit_code == 0
    listed = json.loads(run("data", "list", "--db", db, "--json").stdout)
    assert {s["commodity"]: s["freq"] for s in listed} == {"Lúa": "weekly", "Xoài": "weekly"}
    out = tmp_path / "fc.csv"
    made = run("forecast", "--db", db, "-s", "Xoài", "-h", 3, "-q", "-o", out)
    assert made.exit_code == 0, made.output
    assert list(pd.read_csv(out)["date"]) == ["2025-12-08", "2025-12-15", "2025-12-22"]
    sms = run("bulletin", "--db", db, "--format", "sms", "-m", "naive")
    assert sms.exit_code == 0, sms.output
    assert "tuan 1-7/12/2025" in sms.stdout and "3 tuan toi" in sms.stdout, sms.stdout
    assert "T12/2025" not in sms.stdout and "thang toi" not in sms.stdout
    # The same week alone in a file, read as weekly: no other date to tell by.
    alone = run("forecast", "-i", week, "--freq", "weekly", "-h", 2, "-q", "-o", out)
    assert alone.exit_code == 0, alone.output
    assert set(pd.read_csv(out)["date"]) == {"2025-12-08", "2025-12-15"}


def test_a_weeks_price_taken_as_its_month_says_the_next_week_replaces_it(tmp_path):
    """A week's file beside a monthly store became the month's price, and the next week's
    replaced it, without a word that weeks were not kept; a file on the 15th is a month's."""
    from test_store import lua_file

    db = tmp_path / "monthly.duckdb"
    history = {f"2025-{m:02d}-15": 7000 + 10 * m for m in range(1, 11)}
    assert run("ingest", lua_file(tmp_path / "history.csv", history), "--db", db).exit_code == 0
    week = run("ingest", lua_file(tmp_path / "w45.csv", {"2025-11-07": 7120}), "--db", db)
    assert week.exit_code == 0, week.output
    said = " ".join(week.stdout.split())
    assert "each price stands for its month" in said and "--freq weekly" in said
    month = run("ingest", lua_file(tmp_path / "dec.csv", {"2025-12-15": 7130}), "--db", db)
    assert month.exit_code == 0 and "stands for its month" not in month.stdout


def test_a_twice_monthly_depots_next_month_is_told_how_to_go_in(tmp_path):
    """A depot pricing on the 1st and 15th: its two years read as monthly (the fixed days
    tell), but its next month's two dates, 14 days apart, read as weekly by themselves.
    They are not folded into the stored month on their own (weeks folded so would revise a
    month's price with part of it): the refusal says --freq monthly, and that works."""
    from test_store import lua_file

    db = tmp_path / "semi.duckdb"
    history = {
        f"{year}-{month:02d}-{day:02d}": 7000 + 10 * month + day
        for year in (2022, 2023)
        for month in range(1, 13)
        for day in (1, 15)
    }
    assert run("ingest", lua_file(tmp_path / "history.csv", history), "--db", db).exit_code == 0
    nxt = lua_file(tmp_path / "jan.csv", {"2024-01-01": 7100, "2024-01-15": 7120})
    refused = run("ingest", nxt, "--db", db)
    assert refused.exit_code == 1 and "Ingest it with --freq monthly" in refused.stderr
    result = run("ingest", nxt, "--db", db, "--freq", "monthly")
    assert result.exit_code == 0, result.output
    stored = load_prices(open_store(db))
    assert (stored["date"].dt.day == 1).all() and len(stored) == 25
    # Dates enough to tell (20 weeks) are read as they tell: refused, as before.
    weeks = {f"{d:%Y-%m-%d}": 7200 for d in pd.date_range("2024-02-05", periods=20, freq="W-MON")}
    refused = run("ingest", lua_file(tmp_path / "weeks.csv", weeks), "--db", db)
    assert refused.exit_code == 1 and "monthly in the store but weekly" in refused.stderr


def test_a_series_in_another_unit_than_the_stored_one_is_named_at_ingest(tmp_path):
    """Teff stored per kg, then a file per quintal (a unit cropcast does not convert): a new
    series beside the stored one, whose forecast stops at its last price. Said at ingest."""
    db = tmp_path / "u.duckdb"
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    first = _write(
        tmp_path / "kg.csv",
        rows + [f"2024-0{m}-15,Teff,Addis,Retail,KG,ETB,4{m}" for m in (1, 2, 3)],
    )
    assert run("ingest", first, "--db", db).exit_code == 0
    later = _write(tmp_path / "q.csv", rows + ["2024-04-15,Teff,Addis,Retail,Quintal,ETB,4800"])
    result = run("ingest", later, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    (pair,) = json.loads(result.stdout)["files"][0]["other_unit_than_stored"]
    assert pair == {
        "new": "Teff | Addis | Retail | ETB/quintal",
        "stored": "Teff | Addis | Retail | ETB/kg",
    }
    again = _write(tmp_path / "kg2.csv", rows + ["2024-05-15,Teff,Addis,Retail,KG,ETB,49"])
    same = run("ingest", again, "--db", db)
    assert same.exit_code == 0 and "another unit or currency" not in same.stdout


def _write(path, rows):
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_correction_typed_without_accents_is_named_at_ingest(tmp_path):
    """'Lua | Cho A' is a new series to the store, beside the stored 'Lúa | Chợ A': the clerk
    hears it at once, not from next week's bulletin with two rice rows."""
    from test_store import lua_file, weekly_files

    db = tmp_path / "depot.duckdb"
    first = run("ingest", *weekly_files(tmp_path, [46_000] * 3), "--db", db, "--freq", "weekly")
    assert first.exit_code == 0, first.output
    fix = tmp_path / "fix.csv"
    lua_file(fix, {"2026-01-19": 46_500})
    fix.write_text(fix.read_text(encoding="utf-8").replace("Lúa,Chợ A", "Lua,Cho a"), "utf-8")
    result = run("ingest", fix, "--db", db)
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert (
        "spelling 'Lua | Cho a | Retail | VND/kg' went in as a new series, but the store holds "
        "'Lúa | Chợ A | Retail | VND/kg'" in said
    ), said
    payload = json.loads(run("ingest", fix, "--db", db, "--json").stdout)
    assert payload["files"][0]["status"] == "duplicate"
    again = lua_file(tmp_path / "again.csv", {"2026-01-26": 46_600})
    assert "spelling" not in run("ingest", again, "--db", db).stdout  # spelled as stored


def test_ingest_finds_the_store_by_option_env_or_default(tmp_path, monkeypatch):
    a = price_file(tmp_path / "a.csv", range(6))
    assert run("ingest", a).exit_code == 0
    assert (tmp_path / "cropcast.duckdb").is_file()
    monkeypatch.setenv("CROPCAST_DB", str(tmp_path / "env" / "x.duckdb"))
    assert run("ingest", a).exit_code == 0
    assert info(tmp_path / "env" / "x.duckdb")["ingests"] == 1


def test_a_file_that_fails_changes_nothing_and_the_others_go_in(tmp_path):
    run("ingest", price_file(tmp_path / "a.csv"), "--db", "s.duckdb")
    before = sha(tmp_path / "s.duckdb")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "date,commodity,market,price_type,unit,currency,price\n2020-01-15,R,M,W,kg,VND,x\n"
    )
    result = run("ingest", bad, "--db", "s.duckdb")
    assert result.exit_code == 1
    assert "bad.csv" in one_error_line(result)
    assert sha(tmp_path / "s.duckdb") == before
    good = price_file(tmp_path / "good.csv", range(30))
    mixed = run("ingest", bad, good, "--db", "s.duckdb")
    assert mixed.exit_code == 1
    assert "store unchanged for bad.csv" in one_error_line(mixed)
    assert "good.csv  added as ingest #2" in mixed.stdout
    assert audit(open_store("s.duckdb")) == []


# --- bad database files --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["text", "other-duckdb", "empty-duckdb", "second-half-damaged"])
def test_bad_database_is_one_line_and_left_untouched(kind, tmp_path):
    path = _make_bad(kind, tmp_path)
    assert kind in BAD_KINDS
    before = sha(path)
    a = price_file(tmp_path / "a.csv", range(6))
    commands = [
        ("ingest", a, "--db", path),
        ("forecast", "--db", path, "-m", "naive", "-h", "2", "-q", "-j", "1"),
        ("store", "info", "--db", path),
        ("store", "export", "--db", path, "-o", tmp_path / "out.csv"),
        ("accuracy", "--db", path),
    ]
    for command in commands:
        result = run(*command)
        assert result.exit_code != 0, (command, result.output)
        assert str(path) in one_error_line(result)
        assert sha(path) == before, command


def test_missing_named_store_is_one_line(tmp_path):
    result = run("forecast", "--db", tmp_path / "nope.duckdb", "-m", "naive", "-q")
    assert result.exit_code == 1
    assert "no cropcast store here" in one_error_line(result)
    assert not (tmp_path / "nope.duckdb").exists()


# --- reading from the store ----------------------------------------------------------------------


def test_forecast_reads_the_store_and_archives(tmp_path):
    run("ingest", price_file(tmp_path / "a.csv"), "--db", "s.duckdb")
    out = tmp_path / "fc.csv"
    result = run("forecast", "--db", "s.duckdb", "-m", "naive", "-h", 3, "-j", 1, "-o", out)
    assert result.exit_code == 0, result.output
    assert "archived as forecast run #1" in result.stdout
    fc = pd.read_csv(out)
    assert set(fc["commodity"]) == {"Rice", "Coffee"} and len(fc) == 6
    assert info("s.duckdb")["forecast_runs"] == 1
    quiet = run("forecast", "--db", "s.duckdb", "-m", "naive", "-h", 3, "-j", 1, "--no-archive")
    assert quiet.exit_code == 0 and "archived" not in quiet.stdout
    assert info("s.duckdb")["forecast_runs"] == 1


def test_a_stored_price_that_never_changed_is_said_as_from_a_file(tmp_path):
    # A depot's weeks of one price give ranges of no width: the note that says why was
    # printed for a file and not for the same prices read from the store.
    flat = {(0, i): 8200.0 for i in range(24)}
    run("ingest", price_file(tmp_path / "a.csv", change=flat), "--db", "s.duckdb")
    result = run("forecast", "--db", "s.duckdb", "-m", "naive", "-h", 3, "-j", 1, "-q")
    assert result.exit_code == 0, result.output
    assert "1 series never changed price (Rice | An Giang" in result.stderr
    embedded = run("forecast", "-m", "naive", "-h", 2, "-s", "Robusta", "-q", "-j", 1)
    assert "never changed price" not in embedded.stderr


def test_without_a_store_the_embedded_data_is_used_and_no_file_made(tmp_path):
    result = run("forecast", "-m", "naive", "-h", 2, "-s", "Rice|An Giang", "-q", "-j", 1)
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "cropcast.duckdb").exists()


def test_default_store_is_read_and_input_overrides_it(tmp_path):
    run("ingest", price_file(tmp_path / "a.csv"))
    out = tmp_path / "fc.csv"
    assert run("forecast", "-m", "naive", "-h", 2, "-j", 1, "-q", "-o", out).exit_code == 0
    assert set(pd.read_csv(out)["commodity"]) == {"Rice", "Coffee"}
    own = price_file(tmp_path / "own.csv", range(30), series=(("Pepper", "Gia Lai", 1e5),))
    assert (
        run("forecast", "-i", own, "-m", "naive", "-h", 2, "-j", 1, "-q", "-o", out).exit_code == 0
    )
    assert set(pd.read_csv(out)["commodity"]) == {"Pepper"}
    assert info("cropcast.duckdb")["forecast_runs"] == 1  # --input alone archives nothing


def test_db_on_backtest_alerts_and_freq(tmp_path):
    run("ingest", price_file(tmp_path / "a.csv", range(48)), "--db", "s.duckdb")
    run(
        "ingest",
        price_file(
            tmp_path / "w.csv", range(60), weekly=True, series=(("Pepper", "Gia Lai", 1e5),)
        ),
        "--db",
        "s.duckdb",
    )
    back = run(
        "backtest",
        "--db",
        "s.duckdb",
        "--models",
        "naive",
        "-h",
        3,
        "--windows",
        1,
        "--freq",
        "monthly",
        "-j",
        1,
    )
    assert back.exit_code == 0, back.output
    alerts = run("alerts", "--db", "s.duckdb", "--freq", "monthly", "--json", "--all")
    assert alerts.exit_code == 0, alerts.output
    assert json.loads(alerts.stdout)["as_of"] == "2019-12-01"
    weekly = run("alerts", "--db", "s.duckdb", "--freq", "weekly", "--json")
    assert weekly.exit_code == 0, weekly.output
    assert json.loads(weekly.stdout)["as_of"] == "2019-02-18"  # 60 Mondays from 2018-01-01


def test_accuracy_of_a_stored_series_no_run_forecast_says_to_forecast_it(tmp_path):
    """Review: 'accuracy -s Wheat', stored but never forecast, said "none with actual prices
    yet: ingest newer prices, then run this again", which would never score it."""
    run("ingest", price_file(tmp_path / "a.csv", range(24)), "--db", "s.duckdb")
    run("forecast", "--db", "s.duckdb", "-s", "Rice", "-m", "naive", "-h", 6, "-j", 1, "-q")
    coffee = run("accuracy", "--db", "s.duckdb", "-s", "Coffee")
    assert coffee.exit_code == 2
    line = one_error_line(coffee)
    assert "no archived forecast run covers 'Coffee'" in line and '--series "Coffee"' in line
    both = one_error_line(run("accuracy", "--db", "s.duckdb", "-s", "Coffee", "-s", "Dak Lak"))
    assert "Forecast them first" in both and '--series "Coffee" --series "Dak Lak"' in both
    # A pattern no stored series matches is not suggested for forecasting.
    typo = one_error_line(run("accuracy", "--db", "s.duckdb", "-s", "Coffee", "-s", "Tea"))
    assert "Forecast it first" in typo and "Tea" not in typo.split("Forecast")[1]
    rice = run("accuracy", "--db", "s.duckdb", "-s", "Rice")
    assert rice.exit_code == 0 and "none with actual prices yet" in " ".join(rice.stdout.split())


def test_archive_then_accuracy_and_the_bulletin_line(tmp_path):
    run("ingest", price_file(tmp_path / "a.csv", range(24)), "--db", "s.duckdb")
    result = run("accuracy", "--db", "s.duckdb")
    assert result.exit_code == 0 and "No archived forecasts" in result.stdout
    run("forecast", "--db", "s.duckdb", "-m", "naive", "-h", 6, "-j", 1, "-q")
    waiting = " ".join(run("accuracy", "--db", "s.duckdb").stdout.split())
    assert "1 archived forecast run in" in waiting and "none with actual prices yet" in waiting
    # A --series matching no stored series is refused before scores exist too (it said
    # "1 archived forecast runs ..., none with actual prices yet", exit 0).
    typo = run("accuracy", "--db", "s.duckdb", "--series", "Durian")
    assert typo.exit_code == 2
    assert "no series in the store matches 'Durian'" in one_error_line(typo)
    assert run("accuracy", "--db", "s.duckdb", "-s", "Rice").exit_code == 0  # stored, unscored
    run("ingest", price_file(tmp_path / "b.csv", range(30)), "--db", "s.duckdb")
    scored = run("accuracy", "--db", "s.duckdb", "--json")
    assert scored.exit_code == 0, scored.output
    rows = json.loads(scored.stdout)["series"]
    assert {(r["commodity"], r["model"], r["n"]) for r in rows} == {
        ("Rice", "naive", 6),
        ("Coffee", "naive", 6),
    }
    table = run("accuracy", "--db", "s.duckdb")
    assert "Rice · An Giang" in table.stdout and "naive over all series" in table.stdout
    # A filter that matches none of the scored series is the user's to fix (it said
    # "none with actual prices yet", exit 0).
    nothing = run("accuracy", "--db", "s.duckdb", "--series", "Nope")
    assert nothing.exit_code == 2
    assert "no series in the store matches 'Nope'" in one_error_line(nothing)
    bulletin = run(
        "bulletin",
        "--db",
        "s.duckdb",
        "--as-of",
        "2018-03",
        "--lang",
        "en",
        "-f",
        "txt",
        "-m",
        "naive",
        "-s",
        "Rice",
        "-q",
    )
    assert bulletin.exit_code == 0, bulletin.output
    # The run saw prices to Dec 2017: three months before, so it says when, not "last period".
    assert "From prices up to Dec 2017 we expected" in " ".join(bulletin.stdout.split())


def test_accuracy_shows_the_price_type_as_stored(tmp_path):
    """Review: accuracy named a series stored as "Retail" "(retail, VND/kg)", lowered,
    where "retail" and "Retail" are two series in the store (store remove -s tells them
    apart): a store holding both showed two rows alike. Each row says its own."""

    def weeks(path, n):
        rows = ["date,commodity,market,price_type,unit,currency,price"]
        for i, monday in enumerate(pd.date_range("2023-01-02", periods=n, freq="W-MON")):
            rows.append(f"{monday:%Y-%m-%d},Bưởi,Mỏ Cày Bắc,Retail,kg,VND,{40000 + 300 * (i % 5)}")
            rows.append(f"{monday:%Y-%m-%d},Bưởi,Mỏ Cày Bắc,retail,kg,VND,{38000 + 300 * (i % 4)}")
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        return path

    assert run("ingest", weeks(tmp_path / "a.csv", 30), "--db", "s.duckdb").exit_code == 0
    run("forecast", "--db", "s.duckdb", "-m", "naive", "-h", 4, "-j", 1, "-q")
    assert run("ingest", weeks(tmp_path / "b.csv", 34), "--db", "s.duckdb").exit_code == 0
    table = run("accuracy", "--db", "s.duckdb")
    assert table.exit_code == 0, table.output
    assert "Bưởi · Mỏ Cày Bắc (Retail, VND/kg)" in table.stdout, table.stdout
    assert "Bưởi · Mỏ Cày Bắc (retail, VND/kg)" in table.stdout, table.stdout


def test_a_forecast_that_was_right_scores_an_mae_of_0(tmp_path):
    """The prices after the cutoff repeat the last one, so naive was exactly right: MAE and
    MAPE are 0, not the float noise of a price carried through logs (3.64e-12)."""
    run("ingest", price_file(tmp_path / "a.csv", range(24)), "--db", "s.duckdb")
    run("forecast", "--db", "s.duckdb", "-m", "naive", "-h", 6, "-j", 1, "-q")
    held = {(s, i): price(base, 23) for s, (_, _, base) in enumerate(SERIES) for i in range(24, 30)}
    run("ingest", price_file(tmp_path / "b.csv", range(30), change=held), "--db", "s.duckdb")
    scored = run("accuracy", "--db", "s.duckdb", "--json")
    assert scored.exit_code == 0, scored.output
    rows = json.loads(scored.stdout)["series"]
    assert [(r["n"], r["mae"], r["mape"]) for r in rows] == [(6, 0, 0), (6, 0, 0)]
    table = run("accuracy", "--db", "s.duckdb")
    assert table.exit_code == 0, table.output
    for commodity, market, _ in SERIES:
        row = next(line for line in table.stdout.splitlines() if f"{commodity} · {market}" in line)
        cells = row.split()
        n, mae, mape = cells[cells.index("naive") + 1 :][:3]
        assert (n, mae, mape) == ("6", "0", "0.0%"), row


def test_money_never_shows_float_noise_nor_scientific_notation():
    from forecast.commands.shared import money

    for noise in (2e-11, -3.6e-12, 7.1e-15, 0.0):
        assert money(noise) == "0"
    for value in (1e-5, 3.7e-5, 1.23e-4, 0.0315, 0.5, 7.5, 42.125, 8433.3, 1.5e9):
        text = money(value)
        assert "e" not in text and float(text.replace(",", "")) == pytest.approx(value, rel=0.01)
    assert money(-0.00002) == "-0.00002"  # a real small difference keeps its sign
    assert money(float("nan")) == "–"


def test_a_range_is_written_to_its_forecasts_precision():
    """'80.85 – 504' beside a forecast of 202: each end was written by its own size."""
    from forecast.commands.shared import money_range

    assert money_range(80.853, 504.2, 202.0) == "81 – 504"
    assert money_range(8.114, 20.12, 12.77) == "8.11 – 20.12"
    assert money_range(58.2, 150.0, 45.0) == "58.20 – 150.00"
    assert money_range(0.31, 1500.0, 400.0) == "0.31 – 1,500"  # no end reads 0
    assert money_range(0.0123, 0.0456, 0.03) == "0.0123 – 0.0456"
    assert money_range(float("nan"), float("nan"), 5.0) == "none"


def test_float_noise_is_no_forecast_error():
    import numpy as np

    from forecast.store.scoring import without_float_noise

    actual = np.array([8433.3, 41.7, 100.0, np.nan])
    forecast = np.array([np.exp(np.log(8433.3)), 41.7 + 1e-14, 100.01, 5.0])
    cleaned = without_float_noise(actual, forecast)
    assert (cleaned[:2] == actual[:2]).all()  # equal but for the last digits: equal
    assert cleaned[2] == 100.01 and cleaned[3] == 5.0  # a real error stays


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_store_export_round_trip(fmt, tmp_path):
    from forecast.datasets import read_price_table

    run("ingest", price_file(tmp_path / "a.csv", drop=((1, 3),)), "--db", "s.duckdb")
    out = tmp_path / f"prices.{fmt}"
    result = run("store", "export", "--db", "s.duckdb", "--format", fmt, "-o", out)
    assert result.exit_code == 0, result.output
    assert "wrote 48 prices" in result.stdout
    back = read_price_table(out)
    stored = load_prices(open_store("s.duckdb"))
    columns = ["commodity", "market", "date", "flags"]
    pd.testing.assert_frame_equal(back[columns], stored[columns], check_dtype=False)
    assert (back["flags"] == "interpolated").sum() == 1
    assert (back["price"] - stored["price"]).abs().max() < 1e-3
    wrong = run("store", "export", "--db", "s.duckdb", "--format", "parquet", "-o", "x.csv")
    assert wrong.exit_code == 2 and "does not end in .parquet" in one_error_line(wrong)
    # A name with no format in it is the name's fault: "--format" was blamed, though not given.
    text = run("store", "export", "--db", "s.duckdb", "-o", "x.txt")
    line = one_error_line(text)
    assert text.exit_code == 2 and line.startswith("error: --output: cannot tell a format"), line
    assert "Use e.g. -o x.csv" in line and not Path("x.txt").exists()
    # A filter that matches nothing is the filter's fault, not an empty store's.
    none = run("store", "export", "--db", "s.duckdb", "-o", tmp_path / f"none.{fmt}", "-s", "zzz")
    assert none.exit_code == 2
    assert "no stored series matches 'zzz'" in one_error_line(none)


def test_store_info(tmp_path):
    run("ingest", price_file(tmp_path / "a.csv", bad_rows=1), "--db", "s.duckdb")
    text = run("store", "info", "--db", "s.duckdb")
    assert text.exit_code == 0, text.output
    assert "counts conserve" in text.stdout
    data = info("s.duckdb")
    assert (data["series"], data["prices"], data["rejected_rows"]) == (2, 48, 1)
    assert data["problems"] == [] and data["schema_version"] >= 2


def test_accuracy_names_the_scored_prices_marked_as_outliers(tmp_path):
    """A typo a hundred times the price made a series' MAPE 36 % while the bulletin held
    the same price back as a likely typo, and the table said nothing of it."""
    from test_store import SERIES

    run("ingest", price_file(tmp_path / "a.csv", range(24)), "--db", "s.duckdb")
    run("forecast", "--db", "s.duckdb", "-m", "naive", "-h", 6, "-j", 1, "-q")
    typo = {(0, 27): price(SERIES[0][2], 27) * 100}
    run("ingest", price_file(tmp_path / "b.csv", range(30), change=typo), "--db", "s.duckdb")
    scored = run("accuracy", "--db", "s.duckdb", "--json")
    rows = {r["commodity"]: r for r in json.loads(scored.stdout)["series"]}
    assert (rows["Rice"]["n"], rows["Coffee"]["n"]) == (6, 6)  # scored, not hidden
    said = " ".join(run("accuracy", "--db", "s.duckdb").stdout.split())
    assert "1 of the prices scored is marked as an outlier, e.g. Rice" in said
    assert "ingest a corrected file" in said
    assert "marked as outliers" not in run("accuracy", "--db", "s.duckdb", "-s", "Coffee").stdout


def test_accuracy_on_a_real_series(shared_data, tmp_path):
    """Thai WFP prices cut at 2018, forecast naive, then the whole file: 2019 is scored."""
    lines = (shared_data / "wfp" / "wfp_food_prices_tha.csv").read_text().splitlines()
    cut = [line for i, line in enumerate(lines) if i < 2 or line[:4] < "2019"]
    (tmp_path / "tha_2018.csv").write_text("\n".join(cut) + "\n")
    assert run("ingest", tmp_path / "tha_2018.csv", "--db", "s.duckdb").exit_code == 0
    result = run(
        "forecast", "--db", "s.duckdb", "-m", "naive", "-h", 12, "-s", "Bangkok", "-j", 1, "-q"
    )
    assert result.exit_code == 0, result.output
    full = run("ingest", shared_data / "wfp" / "wfp_food_prices_tha.csv", "--db", "s.duckdb")
    assert full.exit_code == 0 and "0 revised" in full.stdout
    rows = json.loads(run("accuracy", "--db", "s.duckdb", "--json").stdout)["series"]
    rice = next(r for r in rows if r["commodity"] == "Rice")
    assert rice["n"] == 12 and 0 < rice["mape"] < 50
    assert all(r["n"] >= 10 for r in rows) and len(rows) >= 3


def test_accuracy_scores_a_real_series_that_lagged_the_others(shared_data, tmp_path):
    """Thai WFP prices cut at 2018, Bangkok maize two months earlier: the run's as_of is
    December, but maize was forecast from October and all 12 of its months are scored."""
    source = shared_data / "wfp" / "wfp_food_prices_tha.csv"
    lines = source.read_text().splitlines()

    def before_the_cut(line: str) -> bool:
        if ",Bangkok," in line and ",Maize," in line:
            return line[:7] < "2018-11"
        return line[:4] < "2019"

    cut = [line for i, line in enumerate(lines) if i < 2 or before_the_cut(line)]
    (tmp_path / "tha_cut.csv").write_text("\n".join(cut) + "\n")
    assert run("ingest", tmp_path / "tha_cut.csv", "--db", "s.duckdb").exit_code == 0
    result = run(
        "forecast", "--db", "s.duckdb", "-m", "naive", "-h", 12, "-s", "Bangkok", "-j", 1, "-q"
    )
    assert result.exit_code == 0, result.output
    assert run("ingest", source, "--db", "s.duckdb").exit_code == 0
    rows = json.loads(run("accuracy", "--db", "s.duckdb", "--json").stdout)["series"]
    maize = next(r for r in rows if r["commodity"] == "Maize")
    assert maize["n"] == 12 and maize["first"].startswith("2018-11")
    rice = next(r for r in rows if r["commodity"] == "Rice")
    assert rice["n"] == 12 and rice["first"].startswith("2019-01")


# --- processes: killed mid-ingest, two at once ----------------------------------------------------


def _killed_mid_ingest(store: Path, file: Path, cwd: Path) -> None:
    proc = cli_process("ingest", file, "--db", store, cwd=cwd, pause=60, stdout=subprocess.DEVNULL)
    try:
        wait_for_pause(proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def test_killed_mid_ingest_leaves_the_file_all_out(tmp_path):
    run("ingest", price_file(tmp_path / "a.csv", range(24)), "--db", "s.duckdb")
    store = open_store("s.duckdb")
    before = load_prices(store)
    big = price_file(tmp_path / "big.csv", range(120), change={(0, 5): 1.5e4})
    _killed_mid_ingest(tmp_path / "s.duckdb", big, tmp_path)
    after = open_store("s.duckdb")
    pd.testing.assert_frame_equal(load_prices(after), before)
    assert info("s.duckdb")["ingests"] == 1 and info("s.duckdb")["revisions"] == 0
    again = run("ingest", big, "--db", "s.duckdb", "--json")
    assert again.exit_code == 0, again.output
    payload = json.loads(again.stdout)["files"][0]
    assert (payload["status"], payload["prices_added"], payload["prices_revised"]) == (
        "added",
        192,
        1,
    )
    assert audit(after) == []


@pytest.mark.slow
def test_killed_mid_ingest_of_a_real_file(shared_data, tmp_path):
    # Viet Nam's file, with its WFP 'forecast' rows and duplicate keys: Sri Lanka's 31,000
    # rows made this the suite's slowest test (36 s) for nothing the kill tells apart.
    vnm = shared_data / "wfp" / "wfp_food_prices_vnm.csv"
    run("ingest", shared_data / "wfp" / "wfp_food_prices_tha.csv", "--db", "s.duckdb")
    before = load_prices(open_store("s.duckdb"))
    _killed_mid_ingest(tmp_path / "s.duckdb", vnm, tmp_path)
    store = open_store("s.duckdb")
    pd.testing.assert_frame_equal(load_prices(store), before)
    again = run("ingest", vnm, "--db", "s.duckdb", "--json")
    assert again.exit_code == 0, again.output
    payload = json.loads(again.stdout)["files"][0]
    assert payload["status"] == "added"
    assert payload["prices_added"] == payload["rows_kept"] + payload["rows_interpolated"]
    assert info("s.duckdb")["prices"] == len(before) + payload["prices_added"]
    assert audit(store) == []


def _no_store(path: Path) -> None:
    assert not path.exists() and not path.with_name(path.name + ".wal").exists()
    assert not list(path.parent.glob(f".{path.name}.*"))  # nor a half-made one


def _refuse_in_the_transaction(monkeypatch, error: BaseException) -> None:
    """The ingest's transaction fails once the file's prices are in it: as a file whose
    series mix frequencies with the store's is refused, or a Ctrl-C lands."""
    import forecast.store.ingest as ingest_module

    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(ingest_module, "_refresh_estimates", refuse)


def test_a_first_ingest_refused_after_the_store_was_made_leaves_no_store(tmp_path, monkeypatch):
    """A first file refused after the store was made for it (inside its transaction) left
    the new store behind, empty: 'data list' then said 'the store holds no prices yet'. A
    store that was there before, even an empty one, stays as it was."""
    from forecast.errors import InputError

    a = price_file(tmp_path / "a.csv", range(24))
    b = price_file(tmp_path / "b.csv", range(30), series=(("Pepper", "Gia Lai", 1e5),))
    with monkeypatch.context() as patched:
        _refuse_in_the_transaction(patched, InputError("refused", "a.csv", "Fix it"))
        refused = run("ingest", a, "--db", "s.duckdb")
        assert refused.exit_code == 1 and "refused" in one_error_line(refused)
        _no_store(tmp_path / "s.duckdb")
        default = run("ingest", a)  # ./cropcast.duckdb
        assert default.exit_code == 1
        _no_store(tmp_path / "cropcast.duckdb")
        both = run("ingest", a, b, "--db", "s.duckdb")  # each file refused in turn
        assert both.exit_code == 1 and both.stderr.count("store unchanged") == 2
        _no_store(tmp_path / "s.duckdb")
    assert run("ingest", a, "--db", "s.duckdb").exit_code == 0
    before = load_prices(open_store("s.duckdb"))
    open_store(tmp_path / "empty.duckdb", create=True)
    with monkeypatch.context() as patched:
        _refuse_in_the_transaction(patched, InputError("refused", "b.csv", "Fix it"))
        assert run("ingest", b, "--db", "s.duckdb").exit_code == 1
        assert run("ingest", b, "--db", "empty.duckdb").exit_code == 1
    pd.testing.assert_frame_equal(load_prices(open_store("s.duckdb")), before)
    assert info("s.duckdb")["ingests"] == 1 and info("empty.duckdb")["ingests"] == 0
    # Made by this ingest for a first file that went in, it stays for a second one refused.
    with monkeypatch.context() as patched:
        import forecast.store.ingest as ingest_module

        real = ingest_module._refresh_estimates
        calls = []

        def second_refused(*args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                raise InputError("refused", "b.csv", "Fix it")
            return real(*args, **kwargs)

        patched.setattr(ingest_module, "_refresh_estimates", second_refused)
        partly = run("ingest", a, b, "--db", "t.duckdb")
    assert partly.exit_code == 1 and "a.csv  added as ingest #1" in partly.stdout
    assert info("t.duckdb")["ingests"] == 1


@pytest.mark.parametrize("where", ["transaction", "made"])
def test_a_ctrl_c_in_a_first_ingest_leaves_no_store(tmp_path, monkeypatch, where):
    """A Ctrl-C in the first ingest into a new store, once the store was made (in its
    transaction, or just after the file was made), left the store empty: 'interrupted',
    then 'the store holds no prices yet'. A store that was there stays as it was."""
    import duckdb

    import forecast.store.database as database

    a = price_file(tmp_path / "a.csv", range(24))
    b = price_file(tmp_path / "b.csv", range(30), series=(("Pepper", "Gia Lai", 1e5),))
    errors = [KeyboardInterrupt(), duckdb.InterruptException("INTERRUPT Error: Interrupted!")]
    for error in errors:
        with monkeypatch.context() as patched:
            if where == "transaction":
                _refuse_in_the_transaction(patched, error)
            else:
                real = database._create

                def made_then_ctrl_c(*args, error=error, real=real):
                    real(*args)
                    raise error

                patched.setattr(database, "_create", made_then_ctrl_c)
            for db in (["--db", "s.duckdb"], []):
                result = run("ingest", a, *db)
                assert result.exit_code == 130, result.output
                assert result.stderr.strip() == "interrupted"
                _no_store(tmp_path / "s.duckdb")
                _no_store(tmp_path / "cropcast.duckdb")
    assert run("ingest", a, "--db", "s.duckdb").exit_code == 0
    before = load_prices(open_store("s.duckdb"))
    with monkeypatch.context() as patched:
        _refuse_in_the_transaction(patched, KeyboardInterrupt())
        assert run("ingest", b, "--db", "s.duckdb").exit_code == 130
    pd.testing.assert_frame_equal(load_prices(open_store("s.duckdb")), before)
    assert info("s.duckdb")["ingests"] == 1


def test_a_ctrl_c_archiving_forecasts_in_a_new_store_leaves_no_store(tmp_path, monkeypatch):
    """forecast --input FILE --db NEW makes the store to archive its run in: a Ctrl-C
    before the run was in left it, empty. A store that was there keeps what it held."""
    import forecast.store as store_module

    own = price_file(tmp_path / "a.csv", range(24))
    args = ("forecast", "-i", own, "-m", "naive", "-h", 2, "-j", 1, "-q", "--db", "s.duckdb")

    def interrupted(store, *args, **kwargs):
        with store.writing() as con:  # its rows in, not committed
            con.execute("DELETE FROM cropcast_schema")
            raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(store_module, "archive_forecasts", interrupted)
        result = run(*args)
        assert result.exit_code == 130, result.output
        _no_store(tmp_path / "s.duckdb")
    assert run("ingest", own, "--db", "s.duckdb").exit_code == 0
    with monkeypatch.context() as patched:
        patched.setattr(store_module, "archive_forecasts", interrupted)
        assert run(*args).exit_code == 130
    assert info("s.duckdb")["ingests"] == 1 and open_store("s.duckdb").check() > 0


def test_a_ctrl_c_inside_the_first_ingests_transaction_leaves_no_store(tmp_path):
    """A terminal's Ctrl-C (SIGINT) to `cropcast ingest` inside the first ingest into a new
    store, its prices written and not committed (the test hook's pause): exit 130 and no
    store, where the empty store stayed."""
    a = price_file(tmp_path / "a.csv", range(24))
    proc = cli_process("ingest", a, "--db", "s.duckdb", cwd=tmp_path, pause=60, ctrl_c=True)
    try:
        wait_for_pause(proc)
        assert (tmp_path / "s.duckdb").exists()  # made, its first file's prices going in
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted"
    _no_store(tmp_path / "s.duckdb")
    assert run("ingest", a, "--db", "s.duckdb").exit_code == 0  # and a new start works


@pytest.mark.slow
def test_an_ingest_waiting_on_a_first_one_that_is_stopped_makes_the_store_itself(tmp_path):
    """A review: a second ingest waiting (--wait) on a first ingest into a new store, when
    the first was Ctrl-C'd and removed the store it had made, failed "cannot read the store
    (No such file or directory)" and left none; before that removal it went in. It makes
    the store itself now, as it would have had it come first."""
    a = price_file(tmp_path / "a.csv", range(24))
    b = price_file(tmp_path / "b.csv", range(30), series=(("Pepper", "Gia Lai", 1e5),))
    first = cli_process("ingest", a, "--db", "s.duckdb", cwd=tmp_path, pause=60, ctrl_c=True)
    second = None
    try:
        wait_for_pause(first)
        second = cli_process("ingest", b, "--db", "s.duckdb", "--wait", "60", cwd=tmp_path)
        time.sleep(3)  # the second is waiting for the first's lock (its start-up, loaded)
    finally:
        first.send_signal(signal.SIGINT)
        _, err_first = first.communicate(timeout=60)
    out_second, err_second = second.communicate(timeout=120)
    assert first.returncode == 130, err_first
    assert second.returncode == 0, (err_first, err_second)
    assert "added as ingest #1" in out_second, (out_second, err_second)
    stored = load_prices(open_store(tmp_path / "s.duckdb"))
    assert set(stored["commodity"]) == {"Pepper"} and set(stored["market"]) == {"Gia Lai"}


@pytest.mark.slow
def test_two_ingests_at_once_wait_or_fail_clearly(tmp_path):
    a = price_file(tmp_path / "a.csv", range(36))
    b = price_file(tmp_path / "b.csv", range(40), series=(("Pepper", "Gia Lai", 1e5),))
    go = tmp_path / "go"
    # The first holds the store inside its transaction until the test creates `go`.
    first = cli_process("ingest", a, "--db", "s.duckdb", cwd=tmp_path, pause=go)
    wait_for_pause(first)
    second = cli_process("ingest", a, b, "--db", "s.duckdb", "--wait", "120", cwd=tmp_path)
    impatient = cli_process("ingest", b, "--db", "s.duckdb", "--wait", "0.5", cwd=tmp_path)
    try:
        _, err_imp = impatient.communicate(timeout=120)
    finally:
        go.touch()
    out_first, err_first = first.communicate(timeout=120)
    out_second, err_second = second.communicate(timeout=120)
    assert impatient.returncode == 75, err_imp
    lines = [line for line in err_imp.splitlines() if line.strip()]
    assert len(lines) == 1 and "in use by another cropcast process" in lines[0]
    assert first.returncode == 0, err_first
    assert "added as ingest #1" in out_first
    # The second waited for the first, then found a.csv in and added only b.csv.
    assert second.returncode == 0, err_second
    assert "already in the store as ingest #1" in out_second
    assert "b.csv  added as ingest #2" in out_second
    store = open_store("s.duckdb")
    data = info("s.duckdb")
    assert data["ingests"] == 2 and data["prices"] == 72 + 40
    assert audit(store) == []


def test_a_one_week_file_is_read_as_the_stored_history_was(tmp_path):
    """A weekly depot file holds one date: '07/11/2025' could be 7 November or 11 July, and
    one date has no spacing to tell weeks from months. The store remembers how its files
    read (dd/mm, weekly), so the week goes in without --dayfirst or --freq, and says so."""
    history = tmp_path / "lich_su.csv"
    rows = ["Ngày,Mặt hàng,Chợ,Đơn vị tính,Giá"]
    for week in range(12):
        day = pd.Timestamp("2025-08-01") + pd.Timedelta(weeks=week)  # Fridays
        rows.append(f'{day:%d/%m/%Y},Bưởi,Mỏ Cày Bắc,kg,"{45000 + 100 * week:,}"')
    history.write_text("\n".join(rows) + "\n", encoding="utf-8")
    defaults = ["--default", "currency=VND,price_type=Farmgate"]
    assert run("ingest", history, *defaults, "--dayfirst").exit_code == 0
    # A WFP file read since (m/d/yyyy, its format's order) does not decide the depot's.
    wfp = tmp_path / "wfp.csv"
    wfp.write_text(
        "date,admin1,admin2,market,latitude,longitude,category,commodity,unit,priceflag,"
        "pricetype,currency,price,usdprice\n"
        + "".join(
            f"{m}/15/2024,Hanoi,Hanoi,Hanoi,21.0,105.8,cereals and tubers,Rice,KG,actual,"
            f"Retail,VND,{12000 + m},0.5\n"
            for m in range(1, 13)
        ),
        encoding="utf-8",
    )
    read = run("ingest", wfp)
    assert read.exit_code == 0, read.output
    week = tmp_path / "gia_tuan.csv"
    week.write_text(
        'Ngày,Mặt hàng,Chợ,Đơn vị tính,Giá\n07/11/2025,Bưởi,Mỏ Cày Bắc,kg,"46,300"\n', "utf-8"
    )
    result = run("ingest", week, *defaults)
    assert result.exit_code == 0, result.output
    assert "dates read as dd/mm/yyyy, as the store's ingest #1 read them" in result.stdout
    assert "prices taken as weekly, as the stored series are" in result.stdout
    with open_store(Path("cropcast.duckdb")).reading() as con:
        (report,) = con.execute("SELECT report FROM ingests ORDER BY ingest_id DESC").fetchone()
    assert "(as asked)" not in report and "prices taken as weekly" in report
    stored = load_prices(open_store(Path("cropcast.duckdb")))
    stored = stored[stored["commodity"] == "Bưởi"]
    assert stored["date"].max() == pd.Timestamp("2025-11-03")  # the Monday of 7 Nov's week
    assert stored["date"].dt.day_of_week.eq(0).all() and stored["price"].iloc[-1] == 46300
    # A file that tells for itself is read as it tells: the store then refuses a new
    # frequency for its series, as before.
    months = tmp_path / "thang.csv"
    months.write_text(
        'Ngày,Mặt hàng,Chợ,Đơn vị tính,Giá\n15/12/2025,Bưởi,Mỏ Cày Bắc,kg,"47,000"\n'
        '15/01/2026,Bưởi,Mỏ Cày Bắc,kg,"47,500"\n15/02/2026,Bưởi,Mỏ Cày Bắc,kg,"47,800"\n',
        "utf-8",
    )
    refused = run("ingest", months, *defaults)
    assert refused.exit_code == 1 and "is weekly in the store but monthly" in refused.stderr
    # Its advice works: not --freq weekly (weeks made up from months: refused), a store of
    # their own.
    assert "--freq" not in refused.stderr and "a store of their own (--db FILE)" in refused.stderr
    weeks = run("ingest", months, *defaults, "--freq", "weekly")
    assert weeks.exit_code == 2 and "weekly does not fit the data" in weeks.stderr
    own = run("ingest", months, *defaults, "--db", tmp_path / "thang.duckdb")
    assert own.exit_code == 0, own.output


def test_a_one_date_file_in_a_monthly_store_stays_monthly_and_iso_dates_say_nothing(tmp_path):
    history = tmp_path / "history.csv"
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    rows += [f"2024-{m:02d}-15,Rice,A,Retail,kg,VND,{9000 + m}" for m in range(1, 13)]
    history.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert run("ingest", history).exit_code == 0
    one = tmp_path / "one.csv"
    one.write_text(rows[0] + "\n2025-01-15,Rice,A,Retail,kg,VND,9100\n", encoding="utf-8")
    result = run("ingest", one)
    assert result.exit_code == 0, result.output
    assert "note" not in result.stdout  # monthly either way; ISO dates have one order
    assert load_prices(open_store(Path("cropcast.duckdb")))["date"].max() == pd.Timestamp(
        "2025-01-01"
    )


def test_ingest_says_when_it_guessed_the_files_encoding(tmp_path):
    """The store keeps the names for good: a guessed encoding is said at ingest, as the
    reading commands say it."""
    path = tmp_path / "western.csv"
    text = "date,commodity,market,price_type,unit,currency,price\n"
    text += "".join(f"2024-{m:02d}-15,Feijão,São Tomé,Retail,kg,STN,{40 + m}\n" for m in (1, 2, 3))
    path.write_bytes(text.encode("cp1252"))
    result = run("ingest", path)
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert "note western.csv is not UTF-8; read it as cp1252" in said
    assert set(load_prices(open_store(Path("cropcast.duckdb")))["market"]) == {"São Tomé"}


@pytest.mark.parametrize("command", [["bulletin", "-f", "txt", "-o"], ["plot", "--out"]])
def test_an_output_over_the_store_found_without_db_is_refused(tmp_path, command, monkeypatch):
    """./cropcast.duckdb (or $CROPCAST_DB) is read without --db: writing over it would
    destroy every price and forecast it keeps."""
    assert run("ingest", price_file(tmp_path / "a.csv", range(24))).exit_code == 0
    store = Path("cropcast.duckdb").resolve()
    before = store.read_bytes()
    result = run(*command, "cropcast.duckdb", "-m", "naive", "-j", 1, "-q")
    assert result.exit_code == 2, result.output
    assert "would overwrite the price store (--db)" in one_error_line(result)
    monkeypatch.setenv("CROPCAST_DB", str(store))
    elsewhere = tmp_path / "sub"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run(*command, store, "-m", "naive", "-j", 1, "-q")
    assert result.exit_code == 2, result.output
    assert store.read_bytes() == before


def test_a_bulletin_keeps_its_outlook_and_the_next_one_grades_it(tmp_path):
    """The "previous forecast" line grades what the farmers were sent: the bulletin's own
    outlook (kept in the store as a run from "bulletin"), even when an analyst's forecast
    from the same prices was archived after it."""
    from forecast.store import forecast_runs, previous_forecasts

    assert run("ingest", price_file(tmp_path / "a.csv", range(24))).exit_code == 0
    sent = run("bulletin", "-m", "naive", "-j", 1, "-q", "-s", "Rice")
    assert sent.exit_code == 0, sent.output
    # The same bulletin as SMS, and dated on its own latest month: kept once, not thrice.
    assert run("bulletin", "-m", "naive", "-j", 1, "-q", "-s", "Rice", "-f", "sms").exit_code == 0
    same_day = run("bulletin", "-m", "naive", "-j", 1, "-q", "-s", "Rice", "--as-of", "2017-12")
    assert same_day.exit_code == 0, same_day.output
    assert run("forecast", "-m", "drift", "-h", 3, "-j", 1, "-q").exit_code == 0
    # Neither a bulletin of an earlier date nor --no-archive keeps anything.
    assert run("bulletin", "-m", "naive", "-j", 1, "-q", "--as-of", "2017-06").exit_code == 0
    assert run("bulletin", "-m", "naive", "-j", 1, "-q", "--no-archive").exit_code == 0
    store = open_store(Path("cropcast.duckdb"))
    runs = forecast_runs(store)
    assert list(runs["source"]) == ["bulletin", "store"]
    assert list(runs["model"]) == ["naive", "drift"]
    assert run("ingest", price_file(tmp_path / "b.csv", range(25))).exit_code == 0
    graded = previous_forecasts(store)
    rice = graded[graded["commodity"] == "Rice"]
    first = rice[rice["rank"] == 1]  # the first choice; later ranks are offered behind it
    assert set(first["run_id"]) == {int(runs["run_id"].iloc[0])}  # the bulletin's, not drift's
    assert set(first["model"]) == {"naive"}
    after = run("bulletin", "-m", "naive", "-j", 1, "-q", "-s", "Rice", "--lang", "en")
    assert "Last period we expected" in " ".join(after.stdout.split())


def test_a_product_too_new_for_an_outlook_is_neither_kept_nor_graded(tmp_path):
    """Five real prices three weeks apart (cleaning interpolates the weeks between): still
    too few for an outlook, so the bulletin keeps no forecast of it to grade next week."""
    from forecast.store import archived_forecasts, forecast_runs

    mondays = pd.date_range("2025-05-05", periods=30, freq="W-MON")
    products = {
        "Bưởi": (mondays, lambda i: 45000 + 200 * (i % 3)),
        "Chanh": (mondays[-13::3], lambda i: 19000 + 100 * i),
    }
    path = depot_file(tmp_path / "depot.csv", products, market="M")
    assert run("ingest", path).exit_code == 0
    stored = load_prices(open_store(Path("cropcast.duckdb")))
    assert (stored["commodity"] == "Chanh").sum() > 12  # with the estimates between
    result = run("bulletin", "-m", "theta", "-j", 1, "-q")
    assert result.exit_code == 0, result.output
    chanh = next(line for line in result.stdout.splitlines() if "| Chanh |" in line)
    assert "chưa đủ giá để dự báo" in chanh
    store = open_store(Path("cropcast.duckdb"))
    (run_id,) = forecast_runs(store)["run_id"]
    kept = archived_forecasts(store, int(run_id))
    assert set(kept["commodity"]) == {"Bưởi"}


def test_a_one_week_forecast_for_a_monday_the_first_is_cut_off_a_week_before():
    """Monday 1 December 2025 is a month start too: the stored weekly prices, not the date,
    say that the forecast was made from the week before (24 November), not a month back."""
    from forecast.store import archived_forecasts, forecast_runs

    mondays = pd.date_range("2025-06-02", "2025-11-24", freq="W-MON")
    path = Path("weekly.csv")
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    rows += [
        f"{d:%Y-%m-%d},Pomelo,A,Farmgate,kg,VND,{45000 + 100 * (i % 3)}"
        for i, d in enumerate(mondays)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert run("ingest", path).exit_code == 0
    assert run("forecast", "-m", "naive", "-h", 1, "-j", 1, "-q").exit_code == 0
    store = open_store(Path("cropcast.duckdb"))
    (run_id,) = forecast_runs(store)["run_id"]
    kept = archived_forecasts(store, int(run_id))
    assert list(kept["date"]) == [pd.Timestamp("2025-12-01")]
    assert list(kept["cutoff"]) == [pd.Timestamp("2025-11-24")]


def test_another_selection_or_corrected_prices_make_another_kept_outlook(tmp_path):
    """Kept once per identical bulletin, but a bulletin of other series, or one made after a
    file corrected a price, is another outlook the farmers may have been sent."""
    from forecast.store import forecast_runs

    assert run("ingest", price_file(tmp_path / "a.csv", range(24))).exit_code == 0
    store = open_store(Path("cropcast.duckdb"))
    assert run("bulletin", "-m", "naive", "-j", 1, "-q", "-s", "Rice").exit_code == 0
    assert run("bulletin", "-m", "naive", "-j", 1, "-q", "-s", "Rice").exit_code == 0
    assert len(forecast_runs(store)) == 1
    assert run("bulletin", "-m", "naive", "-j", 1, "-q", "-s", "Coffee").exit_code == 0
    assert len(forecast_runs(store)) == 2
    fixed = price_file(tmp_path / "b.csv", range(24), change={(0, 23): 99_999})
    assert run("ingest", fixed).exit_code == 0
    assert run("bulletin", "-m", "naive", "-j", 1, "-q", "-s", "Rice").exit_code == 0
    assert len(forecast_runs(store)) == 3


def test_a_bulletin_sent_as_of_an_earlier_date_keeps_nothing(tmp_path):
    from forecast.store import forecast_runs

    assert run("ingest", price_file(tmp_path / "a.csv", range(24))).exit_code == 0
    people = tmp_path / "subscribers.csv"
    people.write_text("name,email,phone,language,commodities\nBa,,0901234567,vi,Rice\n", "utf-8")
    base = ["bulletin", "send", "--subscribers", people, "--outbox", tmp_path / "out"]
    back = run(*base, "-m", "naive", "-j", 1, "-q", "--as-of", "2017-06")
    assert back.exit_code == 0, back.output
    assert forecast_runs(open_store(Path("cropcast.duckdb"))).empty
    today = run(*base, "-m", "naive", "-j", 1, "-q")
    assert today.exit_code == 0, today.output
    assert list(forecast_runs(open_store(Path("cropcast.duckdb")))["source"]) == ["bulletin"]


def test_an_empty_default_store_left_by_a_refused_ingest_does_not_stop_forecasts(workdir):
    """A first ingest whose files were all refused made ./cropcast.duckdb with no prices;
    after it the quick start's `cropcast forecast` refused to run in that folder. Now the
    store is made only when a file's prices go in; one left empty (by an older cropcast)
    is passed over for the embedded data."""
    from forecast.commands.shared import _NOTED_EMPTY

    _NOTED_EMPTY.clear()
    bad = workdir / "gia.csv"
    bad.write_text("Ngày,Giá\n01/11/2025,7800\n", encoding="utf-8")
    refused = run("ingest", bad)
    assert refused.exit_code != 0 and "store unchanged" not in refused.stdout
    assert not (workdir / "cropcast.duckdb").exists()
    assert run("ingest", bad, bad).exit_code != 0  # two files, both refused: still none
    assert not (workdir / "cropcast.duckdb").exists()
    open_store(workdir / "cropcast.duckdb", create=True)  # as an older cropcast left it
    result = run("forecast", "--series", "Rice|An Giang", "--horizon", 3, "--jobs", 1)
    assert result.exit_code == 0, result.output
    assert "cropcast.duckdb holds no prices yet, so the embedded data is used" in result.stderr
    assert "Rice" in result.stdout
    # Empty or not, the store is no place to write forecasts.
    over = run("forecast", "--jobs", 1, "--output", workdir / "cropcast.duckdb")
    assert over.exit_code == 2 and (workdir / "cropcast.duckdb").stat().st_size > 0
    # Named with --db, an empty store is the user's choice: said as an error, as before.
    named = run("forecast", "--db", workdir / "cropcast.duckdb", "--jobs", 1)
    assert named.exit_code != 0
    assert "the store holds no prices yet" in named.output
    # Once prices arrive, the store is read again.
    good = workdir / "gia_ok.csv"
    good.write_text(
        "date,commodity,market,price_type,unit,currency,price\n"
        + "".join(
            f"2025-{m:02d}-01,Lúa,Mỏ Cày,Retail,kg,VND,{7000 + 50 * m}\n" for m in range(1, 12)
        ),
        encoding="utf-8",
    )
    assert run("ingest", good).exit_code == 0
    stored = run("forecast", "--horizon", 3, "--jobs", 1)
    assert stored.exit_code == 0, stored.output
    assert "Lúa" in stored.stdout and "Rice" not in stored.stdout


@pytest.mark.parametrize("kind", ["InterruptException", "RuntimeError"])
def test_ctrl_c_while_duckdb_works_is_interrupted_not_a_crash(tmp_path, monkeypatch, kind):
    """DuckDB turns Ctrl-C into its own error: it read 'unexpected RuntimeError: Query
    interrupted ... report it', exit 1. The store itself rolls back."""
    import duckdb

    import forecast.store as store_module

    def interrupted(*args, **kwargs):
        if kind == "InterruptException":
            raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(store_module, "ingest_file", interrupted)
    result = run("ingest", price_file(tmp_path / "a.csv", range(24)), "--db", tmp_path / "s.duckdb")
    assert result.exit_code == 130, result.output
    assert result.stderr.strip() == "interrupted"


def test_a_price_guessed_as_thousands_is_said_and_the_fix_it_names_works(tmp_path):
    """'2.450' alone in a week's file reads as 2,450 (a guess); ingest said nothing, and the
    --decimal . that `data check` suggests was then "already in the store". (Stored coffee
    prices would tell it: the store holds tea only.)"""
    head = "date,commodity,market,price_type,unit,currency,price\n"
    week1 = tmp_path / "w1.csv"
    week1.write_text(
        head
        + "".join(
            f"2025-10-{d:02d},Tea,M,Retail,kg,USD,2.{p}\n"
            for d, p in ((6, 15), (13, 30), (20, 25), (27, 40))
        ),
        encoding="utf-8",
    )
    week2 = tmp_path / "w2.csv"
    week2.write_text(head + "2025-11-03,Coffee,M,Retail,kg,USD,2.450\n", encoding="utf-8")
    assert run("ingest", week1, "--db", "s.duckdb").exit_code == 0
    guessed = run("ingest", week2, "--db", "s.duckdb")
    assert guessed.exit_code == 0, guessed.output
    assert "like '2.450' was read as 2450" in guessed.stderr and "--decimal ." in guessed.stderr
    fixed = run("ingest", week2, "--db", "s.duckdb", "--decimal", ".")
    assert fixed.exit_code == 0 and "1 revised" in fixed.stdout
    coffee = load_prices(open_store("s.duckdb")).query("commodity == 'Coffee'")
    assert coffee["price"].tolist() == [2.45]


def test_a_read_only_store_says_so_and_forecasts_still_run(tmp_path, monkeypatch):
    """DuckDB's "Permission denied" (a read-only store, or its folder, where the .wal goes)
    read as a program bug ("unexpected TransactionException ... report it") or as damage
    ("restore it from a backup"). Now: one line saying it is a permission, the store
    unchanged; and a forecast from such a store is made, with a note that it was not
    archived. (Tests run as root, who may write anything: DuckDB's refusal is simulated.)"""
    import duckdb

    import forecast.store.database as database

    assert run("ingest", price_file(tmp_path / "a.csv"), "--db", "s.duckdb").exit_code == 0
    before = hashlib.sha256(Path("s.duckdb").read_bytes()).hexdigest()

    class ReadOnly:
        Error, IOException = duckdb.Error, duckdb.IOException
        SerializationException = duckdb.SerializationException

        @staticmethod
        def connect(path, read_only=False):
            if not read_only:
                raise duckdb.IOException(f'IO Error: Cannot open file "{path}": Permission denied')
            return duckdb.connect(path, read_only=True)

    monkeypatch.setattr(database, "_duckdb", lambda: ReadOnly)
    refused = run("ingest", price_file(tmp_path / "b.csv", range(30)), "--db", "s.duckdb")
    line = one_error_line(refused)
    assert refused.exit_code == 1 and "cannot write the store: permission denied" in line
    assert "the store is unchanged" in line and "backup" not in line
    out = tmp_path / "fc.csv"
    made = run("forecast", "--db", "s.duckdb", "-m", "naive", "-h", 2, "-j", 1, "-q", "-o", out)
    assert made.exit_code == 0, made.output
    assert "this run was not archived in s.duckdb" in made.stderr and out.exists()
    # A bulletin is written (or sent) before its outlook is kept: failing then would have a
    # rerun send it twice. It says so and exits 0.
    page = tmp_path / "b.md"
    sent = run("bulletin", "--db", "s.duckdb", "-m", "naive", "-j", 1, "-q", "-o", page)
    assert sent.exit_code == 0, sent.output
    assert "outlook was not kept in s.duckdb" in sent.stderr and page.exists()
    assert hashlib.sha256(Path("s.duckdb").read_bytes()).hexdigest() == before


def test_store_remove_lists_then_takes_out_a_misspelt_series(tmp_path):
    """'retail' beside 'Retail' stayed in every forecast for good; now it can be taken out."""
    from test_store import lua_file

    db = tmp_path / "s.duckdb"
    good = lua_file(tmp_path / "a.csv", {"2025-10-06": 7000, "2025-10-13": 7100})
    assert run("ingest", good, "--db", db, "--freq", "weekly").exit_code == 0
    stray = tmp_path / "b.csv"
    one_week = good.read_text("utf-8").replace("Retail", "retail").splitlines()[:2]
    stray.write_text("\n".join(one_week) + "\n", "utf-8")
    assert run("ingest", stray, "--db", db, "--freq", "weekly").exit_code == 0
    asked = run("store", "remove", "--db", db, "-s", "Lúa|retail")
    said = " ".join(asked.stdout.split())
    assert asked.exit_code == 0 and "(1 price); nothing removed: add --yes to remove it" in said
    assert len(load_prices(open_store(db))) == 3  # a listing only
    done = run("store", "remove", "--db", db, "-s", "Lúa|retail", "--yes")
    said = " ".join(done.stdout.split())
    assert done.exit_code == 0 and "removed 1 series (1 price)" in said and "it is kept" in said
    left = load_prices(open_store(db))
    assert left["price_type"].tolist() == ["Retail", "Retail"]
    assert audit(open_store(db)) == []
    for empty in ("", " ", "|"):  # would match every series, alone or beside another
        refused = run("store", "remove", "--db", db, "-s", empty, "--yes")
        assert refused.exit_code == 2 and one_error_line(refused), refused.output
        refused = run("store", "remove", "--db", db, "-s", "Lúa|retail", "-s", empty, "--yes")
        assert refused.exit_code == 2 and one_error_line(refused), refused.output
    assert len(load_prices(open_store(db))) == 2
    again = run("store", "remove", "--db", db, "-s", "Lúa|retail", "--yes")
    assert again.exit_code == 2 and one_error_line(again) and "no stored series" in again.stderr


def _typo_year_files(tmp_path) -> tuple[Path, Path]:
    """Two markets' monthly rice to 2021-06; in the first file, A's last month typed 2026."""
    head = "date,commodity,market,price_type,unit,currency,price\n"
    months = pd.date_range("2018-01-01", "2021-06-01", freq="MS")
    rows = [
        f"{d:%Y-%m-%d},Rice,{market},Retail,kg,VND,{base + 10 * i}"
        for market, base in (("A", 8000), ("B", 9000))
        for i, d in enumerate(months)
    ]
    good, typo = tmp_path / "rice.csv", tmp_path / "rice_typo.csv"
    good.write_text(head + "\n".join(rows) + "\n", "utf-8")
    rows[len(months) - 1] = rows[len(months) - 1].replace("2021-06-01", "2026-06-01", 1)
    typo.write_text(head + "\n".join(rows) + "\n", "utf-8")
    return good, typo


def test_a_mistyped_year_is_said_at_ingest_and_store_remove_date_takes_it_out(tmp_path):
    """Review: a date typed 2026 for 2021 entered the store unsaid, and forecast then told
    the user to ingest a corrected file, which adds the right date beside the wrong one:
    the forecast still started from 2026, and removing the series lost its good prices."""
    db = tmp_path / "my store.duckdb"  # a space: the command said is quoted to be pasted
    good, typo = _typo_year_files(tmp_path)
    first = run("ingest", typo, "--db", db)
    assert first.exit_code == 0, first.output
    said = " ".join(first.stderr.split())
    command = re.search(r"take it out with: (cropcast store remove .+? --yes)", said)
    assert command is not None, said
    assert "--date 2026-06 " in command.group(1)  # a month as the file's months read
    assert "(Rice | A | Retail | VND/kg: 2026-06, after none since 2021-05)" in said
    assert "Rice | B" not in said
    # The corrected file adds 2021-06 and leaves 2026-06: still said, the same way.
    fixed = run("ingest", good, "--db", db)
    assert fixed.exit_code == 0 and command.group(1) in " ".join(fixed.stderr.split())
    stored = load_prices(open_store(db))
    assert len(stored) == 85 and "2026-06-01" in stored["date"].astype(str).tolist()
    # The command as the note gives it, split as a shell would.
    args = shlex.split(command.group(1))[1:]
    assert args[:2] == ["store", "remove"] and "--yes" in args and "--db" in args
    listed = run(*[a for a in args if a != "--yes"])
    assert listed.exit_code == 0 and "nothing removed" in listed.stdout
    assert len(load_prices(open_store(db))) == 85  # a listing only
    done = run(*args)
    assert done.exit_code == 0, done.output
    assert "removed 1 price of 1 series" in " ".join(done.stdout.split())
    stored = load_prices(open_store(db))
    assert len(stored) == 84 and stored["date"].max() == pd.Timestamp("2021-06-01")
    assert audit(open_store(db)) == []  # kept in the removals table: the counts conserve
    out = tmp_path / "fc.csv"
    forecast = run("forecast", "--db", db, "-m", "naive", "-j", 1, "-q", "-o", out)
    assert forecast.exit_code == 0 and "a year or more" not in forecast.stderr, forecast.stderr
    assert pd.read_csv(out)["date"].min() == "2021-07-01"
    # Asked again, or for a date it never had, or one that is not a date: refused.
    again = run(*args)
    assert again.exit_code == 2 and "no stored price of" in one_error_line(again)
    for wrong in ("2026-13", "26-06-01", "June"):
        refused = run("store", "remove", "--db", db, "-s", "Rice|A", "--date", wrong, "--yes")
        assert refused.exit_code == 2, refused.output
        assert f"--date: '{wrong}' is not a day or a month" in one_error_line(refused)
    assert len(load_prices(open_store(db))) == 84


def test_store_remove_date_takes_the_estimates_interpolated_from_the_price_too(tmp_path):
    """An estimate cleaning interpolated between a removed price and its neighbour would
    keep the removed price's trace in the series: it goes with it, and is said."""
    db = tmp_path / "s.duckdb"
    head = "date,commodity,market,price_type,unit,currency,price\n"
    months = pd.date_range("2020-01-01", "2021-12-01", freq="MS")
    skipped = {months[10], months[11], months[15]}  # interpolated by cleaning
    rows = [f"{d:%Y-%m-%d},Rice,A,Retail,kg,VND,{8000 + 10 * i}"
            for i, d in enumerate(months) if d not in skipped]  # fmt: skip
    (tmp_path / "p.csv").write_text(head + "\n".join(rows) + "\n", "utf-8")
    assert run("ingest", tmp_path / "p.csv", "--db", db).exit_code == 0
    before = load_prices(open_store(db))
    assert before["flags"].str.contains("interpolated").sum() == 3
    done = run("store", "remove", "--db", db, "-s", "Rice|A", "--date", "2020-10", "--yes")
    assert done.exit_code == 0, done.output
    said = " ".join(done.stdout.split())
    assert (
        "removed 3 prices of 1 series (2 of them interpolated by cleaning from the price asked for)"
        in said
    )
    after = load_prices(open_store(db))
    gone = set(before["date"]) - set(after["date"])
    assert gone == {months[9], months[10], months[11]}
    assert audit(open_store(db)) == []


def test_a_typo_in_a_file_per_chuc_is_quoted_per_chuc_at_ingest(tmp_path):
    """The ingest's outlier line quoted 130,000 a nut for a '1.560.000' typed per chục: the
    depot looks for what it typed."""
    head = "date,commodity,market,price_type,unit,currency,price\n"
    weeks = pd.date_range("2025-05-05", periods=26, freq="W-MON")
    history = tmp_path / "history.csv"
    history.write_text(
        head
        + "".join(
            f"{d:%Y-%m-%d},Dừa khô,M,Retail,chục,VND,{156_000 + 1_000 * (i % 3)}\n"
            for i, d in enumerate(weeks)
        ),
        "utf-8",
    )
    typo = tmp_path / "typo.csv"
    typo.write_text(head + "2025-11-03,Dừa khô,M,Retail,chục,VND,1560000\n", "utf-8")
    db = tmp_path / "s.duckdb"
    assert run("ingest", history, "--db", db, "--freq", "weekly").exit_code == 0
    said = " ".join(run("ingest", typo, "--db", db).stdout.split())
    assert "1,560,000 a chục of 12" in said and "130,000 a nut" in said, said
    # A series written per trái but for a row per chục is quoted per trái (a test read
    # Dừa xiêm's typo as "112,000 a chục of 14").
    each = tmp_path / "each.csv"
    each.write_text(
        head
        + "".join(f"{d:%Y-%m-%d},Dừa xiêm,M,Retail,trái,VND,8000\n" for d in weeks)
        + f"{weeks[0]:%Y-%m-%d},Dừa xiêm,M,Retail,chục,VND,90000\n",
        "utf-8",
    )
    assert run("ingest", each, "--db", db).exit_code == 0
    slip = tmp_path / "slip.csv"
    slip.write_text(
        head
        + "2025-11-03,Dừa xiêm,M,Retail,trái,VND,80000\n"
        + "2025-11-10,Dừa xiêm,M,Retail,trái,VND,8100\n"
        + "2025-11-10,Dừa xiêm,M,Retail,chục,VND,96000\n",  # one row per chục in it
        "utf-8",
    )
    said = " ".join(run("ingest", slip, "--db", db).stdout.split())
    assert "80,000" in said and "a chục of" not in said, said
    assert "quoted per their other unit in bulletins, as most of their prices are" in said


def test_notes_beside_a_table_per_chuc_quote_its_prices_per_chuc(tmp_path):
    """forecast's table showed Dừa xiêm at 85,000 a chục of 14 while its note said the
    held-back 840,000 was '60,000 (about 6,071)' per nut: two prices for one week."""
    head = "date,commodity,market,price_type,unit,currency,price\n"
    weeks = pd.date_range("2025-05-05", periods=30, freq="W-MON")
    typed = [84_000 + 1_000 * (i % 3) for i in range(len(weeks) - 1)] + [840_000]
    rows = "".join(
        f"{d:%Y-%m-%d},Dừa xiêm,M,Retail,chục,VND,{p}\n" for d, p in zip(weeks, typed, strict=True)
    )
    # Dừa khô's prices typed in thousands for 15 weeks, then in đồng: a tenfold join, said
    # per chục as its table quotes it.
    rows += "".join(
        f"{d:%Y-%m-%d},Dừa khô,M,Retail,chục,VND,{130 + i % 2 if i < 15 else 130_000 + i % 2}\n"
        for i, d in enumerate(weeks)
    )
    path = tmp_path / "weeks.csv"
    path.write_text(head + rows, "utf-8")
    db = tmp_path / "s.duckdb"
    assert run("ingest", path, "--db", db, "--freq", "weekly", "--chuc", 14).exit_code == 0
    args = ("-m", "naive", "-h", 2, "-j", 1, "--no-archive")
    for command in (("forecast", "--db", db, *args), ("forecast", "-i", path, *args)):
        result = run(*command, *(("--chuc", 14) if "-i" in command else ()))
        assert result.exit_code == 0, result.output
        (note,) = [line for line in result.stderr.splitlines() if "mistyped" in line]
        # The note names the series and its prices as the table does, per chục of 14.
        assert "VND/chục of 14 nuts 2025-11-24: 840,000 (about 85,000)" in note, note
        assert "│ 2025-11-24 (held) │" in result.stdout and "840,000" in result.stdout
        (jump,) = [line for line in result.stderr.splitlines() if "-fold or more from one" in line]
        assert (
            "Dừa khô | M | Retail | VND/chục of 14 nuts: 130 (2025-08-11) -> 130,001 (2025-08-18)"
            in jump
        )
    # alerts quote the store's nuts throughout, table and notes alike.
    alerts = run("alerts", "--db", db)
    (note,) = [line for line in alerts.stderr.splitlines() if "forecasts and bulletins" in line]
    assert "VND/nut 2025-11-24: 60,000 (about 6,071)" in note, note


def test_old_currency_codes_beside_stored_new_ones_are_said_to_be_one_currency(tmp_path):
    """Review: the hint said to write the file's currency as the store's, which would
    have stored old leones as SLE, a thousand times too high."""
    months = pd.date_range("2020-01-01", periods=42, freq="MS")
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    old = [
        f"{d:%Y-%m-%d},Rice,Freetown,Retail,KG,SLL,{8000 + 50 * i}" for i, d in enumerate(months)
    ]
    new = [
        f"{d:%Y-%m-%d},Rice,Freetown,Retail,KG,SLE,{10 + i / 20:g}" for i, d in enumerate(months)
    ]
    sll, sle = tmp_path / "sll.csv", tmp_path / "sle.csv"
    sll.write_text("\n".join(rows + old[:30]) + "\n")
    sle.write_text("\n".join(rows + new[30:]) + "\n")
    apart = tmp_path / "two.duckdb"
    assert run("ingest", sll, "--db", apart).exit_code == 0
    hint = run("ingest", sle, "--db", apart)
    assert hint.exit_code == 0
    assert "one currency under its old and new codes, kept apart across files" in hint.stdout
    assert "write the file's unit and currency as the store's" not in hint.stdout


def test_a_file_spelling_one_market_two_ways_is_named_at_ingest(tmp_path):
    """A store's first file writing 'Tân Thành Bình' and 'Tan Thanh Binh' put both in as
    series of their own, unsaid: nothing was stored to compare them with."""
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    for i, day in enumerate(pd.date_range("2025-06-02", periods=10, freq="W-MON")):
        market = "Tân Thành Bình" if i < 6 else "Tan Thanh Binh"
        rows.append(f"{day:%Y-%m-%d},Dừa khô,{market},Farmgate,nut,VND,{11000 + 100 * i}")
    path = _write(tmp_path / "dua.csv", rows)
    db = tmp_path / "depot.duckdb"
    result = run("ingest", path, "--db", db, "--freq", "weekly")
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert (
        "spelling 'Dừa khô | Tan Thanh Binh | Farmgate | VND/nut' and 'Dừa khô | Tân Thành Bình "
        "| Farmgate | VND/nut' went in as separate series" in said
    ), said
    assert "cropcast store remove -s NAME" in said
    again = _write(
        tmp_path / "dua2.csv", [*rows, "2025-08-11,Dừa khô,Tan Thanh Binh,Farmgate,nut,VND,12000"]
    )
    payload = json.loads(run("ingest", again, "--db", db, "--json").stdout)["files"][0]
    assert payload["spelled_alike_in_file"] == [
        [
            "Dừa khô | Tan Thanh Binh | Farmgate | VND/nut",
            "Dừa khô | Tân Thành Bình | Farmgate | VND/nut",
        ]
    ]
    alike = _write(
        tmp_path / "alike.csv", [r.replace("Tan Thanh Binh", "Tân Thành Bình") for r in rows]
    )
    assert "spelling" not in run("ingest", alike, "--db", tmp_path / "other.duckdb").stdout


def test_weekly_scores_are_dated_by_day_and_dong_errors_are_whole(tmp_path):
    """A review read 'Archived forecasts vs the prices that came, 2025-12 to 2025-12' over
    weeks of December, and an MAE column of đồng mixing '500' and '50.00'; a re-review,
    the same title when the scored Monday was the 1st."""
    from test_store import lua_file

    mondays = pd.date_range(end="2025-11-24", periods=30, freq="W-MON")
    history = {f"{d:%Y-%m-%d}": 7_000 + (25 if i % 2 else 0) for i, d in enumerate(mondays)}
    assert run("ingest", lua_file(tmp_path / "a.csv", history), "--db", "s.duckdb").exit_code == 0
    forecast = ("forecast", "--db", "s.duckdb", "-m", "naive", "-h", 4, "-j", 1, "-q")
    assert run(*forecast).exit_code == 0
    later = pd.date_range("2025-12-01", periods=3, freq="W-MON")
    weeks = {f"{d:%Y-%m-%d}": 7_000 + 30 * (i + 1) for i, d in enumerate(later)}
    first = lua_file(tmp_path / "b.csv", dict(list(weeks.items())[:1]))
    assert run("ingest", first, "--db", "s.duckdb").exit_code == 0
    one = " ".join(run("accuracy", "--db", "s.duckdb").stdout.split())
    assert "came, 2025-12-01 to 2025-12-01" in one, one
    assert run("ingest", lua_file(tmp_path / "c.csv", weeks), "--db", "s.duckdb").exit_code == 0
    table = run("accuracy", "--db", "s.duckdb")
    assert table.exit_code == 0, table.output
    said = " ".join(table.stdout.split())
    assert "came, 2025-12-01 to 2025-12-15" in said, said
    # Errors of 5, 35 and 65 đồng against the last price, 7,025: a mean of 35, not '35.00'.
    assert re.search(r"naive\s+3\s+35\s+0\.5%", table.stdout), table.stdout


def test_a_full_disk_at_commit_is_one_line_and_the_store_unchanged(tmp_path, monkeypatch):
    """A review filled the disk under an ingest: DuckDB's commit failed writing its .wal,
    said as "unexpected TransactionException ... report it". The transaction is rolled
    back; the line now says what happened and the fix."""
    import duckdb

    from forecast.store import database

    db = tmp_path / "s.duckdb"
    assert run("ingest", price_file(tmp_path / "a.csv", range(24)), "--db", db).exit_code == 0
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    real_connect = database.Store._connect

    class NoRoomToCommit:
        def __init__(self, con):
            self._con = con

        def execute(self, sql, *args, **kwargs):
            if sql.strip() == "COMMIT":
                raise duckdb.TransactionException(
                    f'TransactionContext Error: Failed to commit: Could not write file "{db}.wal"'
                    ": No space left on device"
                )
            return self._con.execute(sql, *args, **kwargs)

        def __getattr__(self, name):
            return getattr(self._con, name)

    def connect(self, read_only):
        con = real_connect(self, read_only)
        return con if read_only else NoRoomToCommit(con)

    monkeypatch.setattr(database.Store, "_connect", connect)
    refused = run("ingest", price_file(tmp_path / "b.csv", range(30)), "--db", db)
    assert refused.exit_code == 1
    line = one_error_line(refused)
    assert "cannot write the store: no space left on the disk" in line, line
    assert line.endswith("Free some space, or give another --db; the store is unchanged")
    monkeypatch.setattr(database.Store, "_connect", real_connect)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux's /proc")
def test_a_store_where_no_file_can_be_made_is_one_line(tmp_path):
    """--db /proc/x.duckdb: DuckDB cannot open the new file, which read "unexpected
    IOException" with 'cropcast --debug  ...' (no command named) as the way to see more."""
    made = run("ingest", price_file(tmp_path / "a.csv", range(24)), "--db", "/proc/x.duckdb")
    assert made.exit_code == 1
    line = one_error_line(made)
    assert line.startswith("error: /proc/x.duckdb: cannot make a store there (") and (
        "Give a --db in a folder you can write to" in line
    )


def test_a_wait_that_is_no_number_of_seconds_is_refused(tmp_path):
    """A review gave --wait nan (it waited with no limit) and --wait -1 (it said "waited
    -1 s" and exited 75 as if the store were busy)."""
    path = price_file(tmp_path / "a.csv", range(24))
    for wait in ("nan", "-1", "inf"):
        refused = run("ingest", path, "--db", "s.duckdb", "--wait", wait)
        assert refused.exit_code == 2, (wait, refused.output)
        assert one_error_line(refused).startswith("error: --wait: "), refused.stderr
    assert not (tmp_path / "s.duckdb").exists()
    assert run("ingest", path, "--db", "s.duckdb", "--wait", "0").exit_code == 0


def test_store_remove_date_names_a_price_as_the_file_dated_it_and_refuses_no_price(tmp_path):
    """Re-review: --date 2026-06-15 (the file's day for June's price) found nothing, a date
    on an estimate only removed the estimate as '1 price', and a second --date that named
    nothing was dropped unsaid beside one that did."""
    db = tmp_path / "s.duckdb"
    head = "date,commodity,market,price_type,unit,currency,price\n"
    months = [d for d in pd.date_range("2020-01-15", "2021-12-15", freq="MS") if d.month != 4]
    rows = [f"{d + pd.Timedelta(days=14):%Y-%m-%d},Gạo,Chợ A,Retail,kg,VND,{8000 + 10 * i}"
            for i, d in enumerate(months)]  # fmt: skip
    path = tmp_path / "gao.csv"
    path.write_text(head + "\n".join(rows) + "\n", "utf-8")
    assert run("ingest", path, "--db", db).exit_code == 0
    stored = load_prices(open_store(db))
    assert "interpolated" in stored.set_index("date").loc["2020-04-01", "flags"]  # a gap filled

    def remove(*dates):
        return run("store", "remove", "-s", "Gạo", "--db", db,
                   *[a for d in dates for a in ("--date", d)])  # fmt: skip

    day = remove("2021-06-15")  # June's price, as the file dated it
    assert day.exit_code == 0 and "would remove 1 price of 1 series" in day.stdout, day.output
    estimate = remove("2020-04")
    assert estimate.exit_code == 2
    line = one_error_line(estimate)
    assert "2020-04 of 'Gạo' holds only an estimate cleaning interpolated" in line, line
    one_missing = remove("2021-06", "2099-01")
    assert one_missing.exit_code == 2
    assert "no stored price of 'Gạo' is dated 2099-01" in one_error_line(one_missing)
    assert len(load_prices(open_store(db))) == len(stored)  # nothing went


def test_a_first_week_on_monday_the_1st_stays_weekly_in_a_store_of_both_frequencies(tmp_path):
    """Re-review: the store's word covered a store whose series share one frequency only;
    beside a monthly series, the new product's week read as monthly again."""
    from test_store import lua_file

    db = tmp_path / "both.duckdb"
    mondays = pd.date_range("2025-06-02", "2025-11-24", freq="W-MON")
    weeks = lua_file(tmp_path / "weeks.csv", {f"{d:%Y-%m-%d}": 7_000 + 10 * i
                                              for i, d in enumerate(mondays)})  # fmt: skip
    assert run("ingest", weeks, "--db", db, "--freq", "weekly").exit_code == 0
    months = pd.date_range("2023-01-01", periods=30, freq="MS") + pd.Timedelta(days=14)
    coffee = lua_file(tmp_path / "coffee.csv", {f"{d:%Y-%m-%d}": 90_000 + 100 * i
                      for i, d in enumerate(months)}, commodity="Cà phê")  # fmt: skip
    assert run("ingest", coffee, "--db", db).exit_code == 0
    week = lua_file(tmp_path / "week49.csv", {"2025-12-01": 25_000}, commodity="Xoài")
    assert run("ingest", week, "--db", db, "--freq", "weekly").exit_code == 0
    listed = json.loads(run("data", "list", "--db", db, "--json").stdout)
    assert {s["commodity"]: s["freq"] for s in listed} == {
        "Cà phê": "monthly", "Lúa": "weekly", "Xoài": "weekly"
    }  # fmt: skip
    out = tmp_path / "fc.csv"
    assert run("forecast", "--db", db, "-s", "Xoài", "-h", 2, "-q", "-o", out).exit_code == 0
    assert list(pd.read_csv(out)["date"]) == ["2025-12-08", "2025-12-15"]
    sms = run("bulletin", "--db", db, "-s", "Xoài", "--format", "sms", "-m", "naive")
    assert sms.exit_code == 0 and "tuan 1-7/12/2025" in sms.stdout, sms.output


def test_a_row_a_year_before_a_weeks_other_prices_is_said_when_it_revises(tmp_path):
    """A depot's week sheet had one row typed 23/11/2025 for 2026: it revised last year's
    durian price without a word, and the bulletin's "vs last year" went from +2.2 % to
    -1.1 % for the same price. A history file revising old prices is not said."""
    head = "date,commodity,market,price_type,unit,currency,price\n"
    mondays = pd.date_range("2024-11-04", "2026-11-16", freq="W-MON")
    history = tmp_path / "history.csv"
    history.write_text(
        head
        + "".join(
            f"{d:%Y-%m-%d},Sầu riêng,M,Wholesale,kg,VND,{90_000 + 1_000 * (i % 3)}\n"
            f"{d:%Y-%m-%d},Bưởi,M,Wholesale,kg,VND,{45_000 + 1_000 * (i % 3)}\n"
            for i, d in enumerate(mondays)
        ),
        "utf-8",
    )
    db = tmp_path / "s.duckdb"
    assert run("ingest", history, "--db", db).exit_code == 0
    week = tmp_path / "week.csv"
    week.write_text(
        head + "2025-11-24,Sầu riêng,M,Wholesale,kg,VND,94000\n"
        "2026-11-23,Bưởi,M,Wholesale,kg,VND,46000\n",
        "utf-8",
    )
    said = " ".join(run("ingest", week, "--db", db).stdout.split())
    assert (
        "date 1 revised price is dated about a year or more before the file's other prices "
        "(2025-11-24, beside 2026-11-23). If a year is mistyped, put the old price back "
        "(91,000 on 2025-11-24)"
    ) in said, said
    # The same old price revised by a file of many dates (a corrected history): no word.
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(
        history.read_text("utf-8").replace(
            "2025-11-10,Sầu riêng,M,Wholesale,kg,VND,92000",
            "2025-11-10,Sầu riêng,M,Wholesale,kg,VND,92500",
        ),
        "utf-8",
    )
    again = " ".join(run("ingest", fixed, "--db", db).stdout.split())
    assert "revised" in again and "a year or more before" not in again, again


def test_a_chuc_written_with_its_nuts_is_not_read_per_the_stores_chuc(tmp_path):
    """A week written "chục (14 trái)" beside a store read per 12 was said to be read per
    12 "as the store's latest file of it was", and told to write 'chục (12 trái)' (a
    review): the depot wrote its 14 on purpose, and it is read so, in silence."""
    head = "date,commodity,market,price_type,unit,currency,price\n"
    history = tmp_path / "h.csv"
    history.write_text(
        head + "2025-11-17,Dừa khô,Bến Tre,Retail,chục,VND,119000\n"
        "2025-11-24,Dừa khô,Bến Tre,Retail,chục,VND,120000\n",
        "utf-8",
    )
    db = tmp_path / "s.duckdb"
    assert run("ingest", history, "--db", db, "--freq", "weekly").exit_code == 0
    week = tmp_path / "w.csv"
    week.write_text(head + "2025-12-01,Dừa khô,Bến Tre,Retail,chục (14 trái),VND,140000\n", "utf-8")
    said = " ".join(run("ingest", week, "--db", db).stdout.split())
    assert "read per chục of 14 nuts; stored per nut" in said, said
    assert "as the store's latest file" not in said and "chục (12 trái)" not in said, said
    stored = load_prices(open_store(db)).set_index("date")["price"]
    assert stored[pd.Timestamp("2025-12-01")] == pytest.approx(10_000)
