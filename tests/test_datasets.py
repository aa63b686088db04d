"""The embedded default data: valid, credited, and exactly what the importers produce."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.datasets import (
    build_default_data,
    data_dir,
    load_default_prices,
    read_price_table,
    write_price_table,
)
from forecast.table import KEY, validate


def test_default_data_is_a_valid_price_table_under_5_mb():
    prices = load_default_prices()
    validate(prices, freq="monthly")
    assert (data_dir() / "prices.csv").stat().st_size < 5 * 1024 * 1024
    series = prices.groupby(list(KEY)).size()
    assert len(series) >= 20
    markets = set(prices["market"])
    assert {"An Giang", "Dong Thap", "Bangkok", "world"} <= markets
    world = set(prices.loc[prices["market"] == "world", "commodity"])
    assert {"Rice, Viet Namese 5%", "Rice, Thai 5%", "Coffee, Robusta", "Coconut oil"} <= world


def test_default_data_readme_credits_publishers_and_licences():
    text = (data_dir() / "README.md").read_text(encoding="utf-8")
    for needle in (
        "World Food Programme",
        "CC BY-IGO",
        "World Bank",
        "CC BY 4.0",
        "python -m forecast.datasets build",
    ):
        assert needle in text


def test_price_table_round_trip_is_exact(tmp_path):
    prices = load_default_prices()
    for name in ("p.csv", "p.parquet"):
        write_price_table(prices, tmp_path / name)
        back = read_price_table(tmp_path / name)
        pd.testing.assert_frame_equal(back, prices)


def test_vietnamese_text_survives_the_round_trip(tmp_path):
    prices = pd.DataFrame(
        {
            "commodity": ["Dừa khô"],
            "market": ["Mỏ Cày Bắc"],
            "price_type": ["Giá bán buôn"],
            "unit": ["nut"],
            "currency": ["VND"],
            "date": pd.to_datetime(["2024-01-01"]),
            "price": [10833.33],
            "flags": [""],
        }
    )
    write_price_table(prices, tmp_path / "p.csv")
    assert read_price_table(tmp_path / "p.csv")["market"].iloc[0] == "Mỏ Cày Bắc"


@pytest.mark.slow
def test_embedded_data_is_what_the_importers_build(shared_data, tmp_path):
    build_default_data(shared_data, tmp_path)
    rebuilt = read_price_table(tmp_path / "prices.csv")
    pd.testing.assert_frame_equal(rebuilt, load_default_prices())


def _a_year_of_prices(path, header: str, row) -> object:
    """``path`` written with ``header`` and ``row(m)`` for the months m = 1..12."""
    path.write_text("\n".join([header, *(row(m) for m in range(1, 13))]) + "\n", "utf-8")
    return path


def test_a_planner_notebook_takes_a_file_else_the_embedded_data(tmp_path):
    from forecast.datasets import load_default_prices, notebook_prices, notebook_series
    from forecast.errors import UsageError

    prices, source = notebook_prices()
    assert source.startswith("the embedded data") and len(prices) == len(load_default_prices())
    own = _a_year_of_prices(
        tmp_path / "gia.csv",
        "Ngày,Chợ,Mặt hàng,Loại giá,Đơn vị,Tiền tệ,Giá",
        lambda m: f"15/{m:02d}/2024,Mỏ Cày Bắc,Dừa khô,Bán lẻ,trái,VND,{7000 + 100 * m}",
    )
    mine, source = notebook_prices(own, store=tmp_path / "no.duckdb")
    assert source == f"your file {own}"
    assert notebook_series(mine, ["Dừa|Mỏ Cày"])["price"].tolist()[-1] == 8200
    with pytest.raises(UsageError, match="no series matches 'Rice'") as info:
        notebook_series(mine, ["Rice"])
    assert "Mỏ Cày Bắc" in str(info.value)


def test_a_planner_notebook_quotes_coconuts_per_chuc_as_the_depot_wrote_them(tmp_path):
    """Cleaning keeps a chục of dried coconuts per nut; the notebooks charted '10.000 đồng' a
    nut where the bulletin and plot quote the depot's '120.000 đồng/chục'."""
    from forecast.datasets import notebook_prices
    from forecast.store import ingest_file, open_store

    depot = _a_year_of_prices(
        tmp_path / "dua.csv",
        "date,commodity,market,price_type,unit,currency,price",
        lambda m: f"2024-{m:02d}-01,Dừa khô,Mỏ Cày Bắc,Farmgate,chục,VND,{120000 + 1000 * m}",
    )
    mine, _ = notebook_prices(depot)
    assert set(mine["unit"]) == {"chục"} and mine["price"].iloc[-1] == pytest.approx(132000)
    store = tmp_path / "s.duckdb"
    ingest_file(open_store(store, create=True), depot)
    stored, source = notebook_prices(store=store)
    assert source == f"the store {store}"
    assert set(stored["unit"]) == {"chục"} and stored["price"].iloc[-1] == pytest.approx(132000)


def test_every_notebook_counts_prices_as_notebook_01_does():
    """Notebook 01 said 7,974 prices in the embedded data, notebooks 02-04 7,994 for the same
    data: they counted cleaning's 20 estimates as prices. One line for all, estimates apart."""
    from forecast.datasets import load_default_prices, prices_line
    from forecast.table import interpolated

    prices = load_default_prices()
    estimates = int(interpolated(prices).sum())
    assert estimates > 0  # the embedded data has some: the line must say them apart
    line = prices_line(prices, "the embedded data")
    assert line.startswith(f"{len(prices) - estimates:,} prices in 26 series, from the embedded")
    assert line.endswith(f"(and {estimates:,} estimates cleaning filled into gaps)")
    written = prices[~interpolated(prices)]
    assert prices_line(written, "x") == f"{len(written):,} prices in 26 series, from x"


def _monthly(commodity: str, market: str, months: pd.DatetimeIndex) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "commodity": commodity,
            "market": market,
            "price_type": "Retail",
            "unit": "kg",
            "currency": "LKR",
            "date": months,
            "price": 100.0 + np.arange(len(months)),
            "flags": "",
        }
    )


def test_a_notebooks_own_series_are_long_enough_to_analyse():
    """With none of the embedded data's names in a file, notebook 02 explored the first five
    series alphabetically (Sri Lanka's bananas, 25 months each: no typical year, ALPS or
    IPA). The fallback takes the longest with five years of prices, few missing."""
    from forecast.datasets import longest_series

    prices = pd.concat(
        [
            _monthly("Apples", "A", pd.date_range("2023-01-01", periods=25, freq="MS")),
            _monthly("Apples", "B", pd.date_range("2023-01-01", periods=24, freq="MS")),
            # 100 prices over 16 years: long, but too gappy for ALPS and IPA
            _monthly("Beans", "A", pd.date_range("2005-01-01", periods=200, freq="MS")[::2]),
            _monthly("Rice", "A", pd.date_range("2010-01-01", periods=96, freq="MS")),
            _monthly("Rice", "B", pd.date_range("2012-01-01", periods=72, freq="MS")),
        ],
        ignore_index=True,
    )
    picked, words = longest_series(prices, 5)
    assert picked == ["Rice | A | Retail | LKR/kg", "Rice | B | Retail | LKR/kg"]
    assert words == "the 2 series with 5 years of prices or more, few missing"
    picked, words = longest_series(prices, 1)
    assert picked == ["Rice | A | Retail | LKR/kg"] and words.startswith("the 1 longest of the 2")
    # Estimates are no prices: 70 months of which 20 filled leave 50 written, under 5 years.
    filled = _monthly("Rice", "C", pd.date_range("2015-01-01", periods=70, freq="MS"))
    filled.loc[filled.index[1:41:2], "flags"] = "interpolated"
    picked, words = longest_series(pd.concat([prices.iloc[:49], filled]), 2)
    assert picked == ["Rice | C | Retail | LKR/kg", "Apples | A | Retail | LKR/kg"]
    assert "none has 5 years of prices" in words


def test_a_notebook_runs_on_the_default_series_a_file_has():
    """Notebook 04 on WFP's Viet Nam file raised "no series matches 'Rice, Viet Namese', ...":
    An Giang rice was there, the world's prices not, and the fallback was only for none. The
    notebook's own SERIES, left as it is, keeps the defaults found and names those left out;
    one the user edited is kept, for notebook_series to name what matches nothing."""
    from forecast.datasets import notebook_choice, notebook_series
    from forecast.errors import UsageError

    defaults = ["Rice|A", "Coconut oil", "Coffee, Robusta"]
    prices = pd.concat(
        [
            _monthly("Rice", "A", pd.date_range("2010-01-01", periods=96, freq="MS")),
            _monthly("Beans", "B", pd.date_range("2012-01-01", periods=72, freq="MS")),
        ],
        ignore_index=True,
    )
    series, said = notebook_choice(prices, list(defaults), defaults)
    assert series == ["Rice|A"]
    assert said == (
        "not in these prices, left out of the notebook's default SERIES: 'Coconut oil', "
        "'Coffee, Robusta'; exploring Rice|A (edit SERIES to choose others)"
    )
    assert set(notebook_series(prices, series)["commodity"]) == {"Rice"}
    # none of them: the longest series, as many as the defaults
    beans = prices[prices["commodity"] == "Beans"]
    series, said = notebook_choice(beans, defaults, defaults, "comparing")
    assert series == ["Beans | B | Retail | LKR/kg"]
    assert said.startswith("none of the embedded data's series is here; comparing the 1 series")
    # all of them: as they are, nothing to say
    assert notebook_choice(prices, ["Rice", "Beans"], ["Rice", "Beans"]) == (["Rice", "Beans"], "")
    # edited by the user: kept, and what matches nothing is an error naming it
    edited = ["Rice|A", "Coconut oil"]
    assert notebook_choice(prices, edited, defaults) == (edited, "")
    assert notebook_choice(beans, ["Rice"], defaults) == (["Rice"], "")
    with pytest.raises(UsageError, match="no series matches 'Coconut oil'") as info:
        notebook_series(prices, edited)
    assert "Beans | B" in str(info.value)


def test_rebuilding_without_the_publishers_files_is_one_error_line(tmp_path, capsys):
    from forecast.datasets import _main

    assert _main(["build", "--shared", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "data/README.md" in err[0]


def test_a_written_price_table_reads_back_bit_for_bit(tmp_path):
    """CSV keeps every digit: ten significant digits wrote a stored 13333.333333333332 (a
    chục of 12 nuts at 160,000) as 13333.33333 and 123,456,789,012 rials as 1.23456789e+11,
    which reads back 12 rials short."""
    prices = [160000 / 12, 123456789012.0, 92.853, 0.1 + 0.2, 5700.0]
    table = pd.DataFrame(
        {
            "commodity": [f"C{i}" for i in range(len(prices))],
            "market": "M",
            "price_type": "Retail",
            "unit": "kg",
            "currency": "IRR",
            "date": pd.Timestamp("2025-01-01"),
            "price": prices,
            "flags": "",
        }
    )
    path = tmp_path / "prices.csv"
    write_price_table(table, path)
    text = path.read_text(encoding="utf-8")
    assert "e+" not in text and "123456789012," in text and "92.8530," in text
    back = read_price_table(path)
    assert back["price"].tolist() == prices  # exact, not approximately
