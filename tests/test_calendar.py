"""Harvest calendars: the shipped file, validation messages, name matching and features."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecast.calendar as calendar_module
from forecast.calendar import (
    COLUMNS,
    HARVEST,
    PEAK,
    calendar_applies,
    calendar_table,
    default_calendar_path,
    harvest_features,
    harvest_intensity,
    harvest_note_months,
    load_calendar,
    match_commodity,
    match_series,
    months_between,
    months_to_next_harvest,
    season_label,
    validate_calendar,
)
from forecast.errors import InputError

HEADER = ",".join(COLUMNS)


@pytest.fixture(scope="module")
def calendar() -> pd.DataFrame:
    return load_calendar()


def write_calendar(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "calendar.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def one_season(harvest: tuple[int, int], peak: tuple[int, int] | None = None) -> pd.DataFrame:
    peak_start, peak_end = peak or (None, None)
    frame = pd.DataFrame(
        [
            {
                "commodity": "Test",
                "region": "Here",
                "season": "Main",
                "plant_start": None,
                "plant_end": None,
                "harvest_start": harvest[0],
                "harvest_end": harvest[1],
                "peak_start": peak_start,
                "peak_end": peak_end,
                "source": "test",
            }
        ]
    )
    return validate_calendar(frame)


def month_starts(*months: tuple[int, int]) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([pd.Timestamp(year, month, 1) for year, month in months])


# --------------------------------------------------------------------------- shipped file


def test_shipped_calendar_validates(calendar):
    assert list(calendar.columns[: len(COLUMNS)]) == list(COLUMNS)
    assert len(calendar) == 12
    assert str(default_calendar_path()).endswith("mekong_delta.csv")


def test_installed_copy_found_when_no_checkout(tmp_path, monkeypatch):
    # A non-editable install has no data/ beside the package, only cropcast_data.
    package = tmp_path / "site" / "cropcast_data" / "calendars"
    package.mkdir(parents=True)
    shutil.copy(default_calendar_path(), package / "mekong_delta.csv")
    # A regular package, like the real one (data/__init__.py), so it wins on sys.path order.
    (package.parent / "__init__.py").write_text("")
    monkeypatch.setattr(calendar_module, "__file__", str(tmp_path / "lib" / "forecast" / "c.py"))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "cropcast_data", raising=False)
    importlib.invalidate_caches()
    assert Path(str(default_calendar_path())).parent == package
    assert len(load_calendar()) == 12


def test_no_shipped_calendar_is_an_input_error(tmp_path, monkeypatch):
    monkeypatch.setattr(calendar_module, "__file__", str(tmp_path / "lib" / "forecast" / "c.py"))
    monkeypatch.setitem(sys.modules, "cropcast_data", None)  # import fails
    with pytest.raises(InputError, match="shipped harvest calendar is missing"):
        default_calendar_path()


def test_every_shipped_row_has_a_source(calendar):
    assert calendar["source"].str.strip().str.len().gt(0).all()


def test_shipped_seasons_keep_their_vietnamese_names(calendar):
    rice = calendar[calendar["commodity"] == "Rice"]
    assert list(rice["season"]) == ["Đông Xuân", "Hè Thu", "Thu Đông"]


@pytest.mark.parametrize(
    ("commodity", "season", "harvest", "peak"),
    [
        ("Rice", "Đông Xuân", (2, 4), (3, 3)),
        ("Rice", "Hè Thu", (7, 10), (7, 8)),
        ("Rice", "Thu Đông", (10, 12), None),
        ("Coconut", "Mùa mưa", (5, 11), None),
        ("Durian", "Chính vụ", (4, 7), (6, 7)),
        ("Pomelo", "Vụ Tết", (12, 1), None),
        ("Dragon fruit", "Chính vụ", (3, 9), None),
        ("Coffee, Robusta", "Chính vụ", (11, 1), (12, 12)),
        ("Pepper", "Chính vụ", (2, 4), None),
        ("Cashew", "Chính vụ", (1, 6), (3, 3)),
    ],
)
def test_shipped_timing_matches_domain_notes(calendar, commodity, season, harvest, peak):
    row = calendar[(calendar["commodity"] == commodity) & (calendar["season"] == season)]
    assert len(row) == 1
    row = row.iloc[0]
    assert (row["harvest_start"], row["harvest_end"]) == harvest
    if peak is None:
        assert pd.isna(row["peak_start"]) and pd.isna(row["peak_end"])
    else:
        assert (row["peak_start"], row["peak_end"]) == peak


def test_mango_has_two_seasons_and_coffee_is_central_highlands(calendar):
    assert len(match_commodity("Mango", calendar)) == 2
    assert match_commodity("Coffee, Robusta", calendar)["region"].tolist() == ["Central Highlands"]


# --------------------------------------------------------------------------- validation


def test_month_13_names_column_and_row(tmp_path):
    path = write_calendar(
        tmp_path,
        "Rice,Mekong Delta,A,,,2,4,,,src",
        "Rice,Mekong Delta,B,,,2,4,,,src",
        "Rice,Mekong Delta,C,,,2,4,,,src",
        "Rice,Mekong Delta,D,,,2,13,,,src",
    )
    with pytest.raises(InputError) as info:
        load_calendar(path)
    message = str(info.value)
    assert "harvest_end=13" in message
    assert "row 4" in message and "calendar.csv" in message
    assert "1–12" in message
    assert "\n" not in message


@pytest.mark.parametrize("value", ["Mar", "3.5", "x"])
def test_non_integer_month_rejected(tmp_path, value):
    path = write_calendar(tmp_path, f"Rice,Mekong Delta,A,,,{value},4,,,src")
    with pytest.raises(InputError, match=r"harvest_start=.* is not a whole month number"):
        load_calendar(path)


def test_a_semicolon_calendar_is_read_and_a_folder_is_named(tmp_path):
    """Excel saves "CSV" with ';' in Vietnamese settings: its five columns read as one were
    refused as "missing columns"."""
    path = write_calendar(tmp_path, "Rice,Mekong Delta,A,,,2,4,3,3,src")
    text = path.read_text(encoding="utf-8").replace(",", ";")
    path.write_text(text, encoding="utf-8")
    (row,) = load_calendar(path).itertuples(index=False)
    assert (row.harvest_start, row.harvest_end, row.peak_start) == (2, 4, 3)
    with pytest.raises(InputError, match="is a folder"):
        load_calendar(tmp_path)


def test_whole_float_month_accepted(tmp_path):
    # A pandas-resaved column with gaps writes 3.0 for 3.
    path = write_calendar(tmp_path, "Rice,Mekong Delta,A,,,2.0,4.0,3.0,3.0,src")
    assert load_calendar(path)["peak_start"].tolist() == [3]


@pytest.mark.parametrize(
    ("harvest", "peak"),
    [("2,4", "5,5"), ("11,1", "2,2"), ("11,1", "10,12"), ("2,4", "4,2")],
)
def test_peak_outside_harvest_rejected(tmp_path, harvest, peak):
    path = write_calendar(tmp_path, f"Rice,Mekong Delta,A,,,{harvest},{peak},src")
    with pytest.raises(InputError, match="lies outside the harvest"):
        load_calendar(path)


def test_peak_inside_wrapped_harvest_accepted(tmp_path):
    path = write_calendar(tmp_path, "Coffee,Here,A,,,11,1,12,1,src")
    assert len(load_calendar(path)) == 1


def test_missing_source_rejected(tmp_path):
    path = write_calendar(tmp_path, "Rice,Mekong Delta,A,,,2,4,3,3,  ")
    with pytest.raises(InputError, match="row 1.*source is empty"):
        load_calendar(path)


def test_missing_column_rejected(tmp_path):
    header = HEADER.replace(",peak_end", "")
    path = write_calendar(tmp_path, "Rice,Mekong Delta,A,,,2,4,3,src", header=header)
    with pytest.raises(InputError, match="missing column peak_end"):
        load_calendar(path)


def test_empty_file_rejected(tmp_path):
    path = tmp_path / "calendar.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        load_calendar(path)


def test_header_only_rejected(tmp_path):
    with pytest.raises(InputError, match="no rows"):
        load_calendar(write_calendar(tmp_path))


def test_half_filled_pair_rejected(tmp_path):
    path = write_calendar(tmp_path, "Rice,Mekong Delta,A,11,,2,4,,,src")
    with pytest.raises(InputError, match="plant_end is empty but plant_start is set"):
        load_calendar(path)


def test_duplicate_season_rejected(tmp_path):
    path = write_calendar(
        tmp_path, "Rice,Mekong Delta,A,,,2,4,,,src", "Rice,Mekong Delta,A,,,7,8,,,src"
    )
    with pytest.raises(InputError, match="row 2.*duplicate of row 1"):
        load_calendar(path)


def test_missing_file_rejected(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_calendar(tmp_path / "nope.csv")


def test_excel_bom_and_diacritics_read(tmp_path):
    path = tmp_path / "calendar.csv"
    path.write_text(HEADER + "\nDừa,Bến Tre,Mùa mưa,,,5,11,,,VnExpress\n", encoding="utf-8-sig")
    frame = load_calendar(path)
    assert frame.loc[0, "commodity"] == "Dừa" and frame.loc[0, "season"] == "Mùa mưa"


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Rice", "Rice"),
        ("Rice (paddy)", "Rice"),
        ("Rice, Viet Namese 5%", "Rice"),
        ("RICE (long grain)", "Rice"),
        ("Lúa", "Rice"),
        ("Gạo", "Rice"),
        ("Lúa Hè Thu", "Rice"),
        ("lua", "Rice"),
        ("Coffee, Robusta", "Coffee, Robusta"),
        ("Cà phê", "Coffee, Robusta"),
        ("Coconut (dried)", "Coconut"),
        ("Dừa", "Coconut"),
        ("Dua kho", "Coconut"),
        ("Bưởi", "Pomelo"),
        ("Bưởi da xanh", "Pomelo"),
        ("Sầu riêng", "Durian"),
        ("sau rieng Ri6", "Durian"),
        ("Thanh long", "Dragon fruit"),
        ("Dragon fruit (white flesh)", "Dragon fruit"),
        ("Xoài", "Mango"),
        ("Mangoes", "Mango"),
        ("Tiêu", "Pepper"),
        ("Hồ tiêu", "Pepper"),
        ("Pepper (black)", "Pepper"),
        ("Điều", "Cashew"),
        ("Hạt điều", "Cashew"),
        ("Cashew nuts", "Cashew"),
        # Not ours: world prices, processed goods, other crops or other calendars.
        ("Coconut oil", None),
        ("Oil (coconut)", None),
        ("Dầu dừa", None),
        ("Palm oil", None),
        ("Rice, Thai 5%", None),
        ("Coffee, Arabica", None),
        ("Cà phê chè", None),
        ("Dưa hấu", None),
        ("dua hau", None),
        ("Dứa", None),
        ("Lúa mì", None),
        ("Chili (red, dry raw)", None),
        ("Bell pepper", None),
        ("Mangosteen", None),
        ("Wheat flour", None),
        # Seedlings and goods made from a crop: a nursery's or a factory's price.
        ("Cây giống bưởi", None),
        ("Cay giong dua", None),
        ("Lúa giống", None),
        ("Coconut seedlings", None),
        ("Kẹo dừa", None),
        ("Thạch dừa", None),
        ("Bột gạo", None),
        ("Coconut milk", None),
        ("Desiccated coconut", None),
        ("", None),
    ],
)
def test_match_commodity(calendar, name, expected):
    rows = match_commodity(name, calendar)
    if expected is None:
        assert rows.empty
    else:
        assert not rows.empty
        assert set(rows["commodity"]) == {expected}


def test_own_calendar_commodity_matches_its_name(tmp_path):
    calendar = load_calendar(write_calendar(tmp_path, "Cocoa,Bến Tre,Chính vụ,,,3,6,,,src"))
    assert len(match_commodity("cocoa", calendar)) == 1
    assert match_commodity("Rice", calendar).empty


# --------------------------------------------------------------------------- features


def test_months_between_wraps():
    assert months_between(11, 1) == [11, 12, 1]
    assert months_between(3, 3) == [3]
    assert months_between(1, 12) == list(range(1, 13))


def test_wrapped_season_intensity():
    rows = one_season((11, 1))
    dates = month_starts((2023, 10), (2023, 11), (2023, 12), (2024, 1), (2024, 2))
    assert harvest_intensity(dates, rows).tolist() == [0.0, HARVEST, HARVEST, HARVEST, 0.0]


def test_peak_weighted_higher():
    rows = one_season((2, 4), peak=(3, 3))
    values = harvest_intensity(month_starts((2024, 2), (2024, 3), (2024, 4)), rows)
    assert values.tolist() == [HARVEST, PEAK, HARVEST]
    assert values.between(0, 1).all()


def test_overlapping_seasons_combine_by_max(calendar):
    rice = match_commodity("Rice", calendar)
    # Hè Thu (Jul–Oct, peak Jul–Aug) overlaps Thu Đông (Oct–Dec) in October.
    dates = month_starts((2024, 8), (2024, 10))
    assert harvest_intensity(dates, rice).tolist() == [PEAK, HARVEST]
    assert season_label(dates, rice).tolist() == ["Hè Thu", "Hè Thu / Thu Đông"]


def test_empty_rows_give_zero_intensity_and_no_label():
    rows = one_season((2, 4)).iloc[0:0]
    dates = month_starts((2024, 3))
    assert harvest_intensity(dates, rows).tolist() == [0.0]
    assert season_label(dates, rows).tolist() == [""]


def test_weekly_dates_take_the_month_holding_most_of_the_week():
    rows = one_season((2, 4), peak=(3, 3))
    weeks = pd.date_range("2024-01-22", "2024-03-04", freq="W-MON")
    values = harvest_intensity(weeks, rows)
    assert isinstance(values.index, pd.DatetimeIndex) and values.index.equals(weeks)
    # Mon 29 Jan to Sun 4 Feb has four days in February; Mon 26 Feb has three in March.
    expected = {
        "2024-01-22": 0.0,
        "2024-01-29": HARVEST,
        "2024-02-19": HARVEST,
        "2024-02-26": HARVEST,
        "2024-03-04": PEAK,
    }
    for day, value in expected.items():
        assert values[pd.Timestamp(day)] == value


def test_season_label():
    rows = one_season((11, 1))
    labels = season_label(month_starts((2024, 1), (2024, 2), (2024, 11)), rows)
    assert labels.tolist() == ["Main", "", "Main"]


def test_months_to_next_harvest_across_year_end():
    rows = one_season((2, 4))
    dates = month_starts((2023, 5), (2023, 11), (2023, 12), (2024, 1), (2024, 2), (2024, 4))
    assert months_to_next_harvest(dates, rows).tolist() == [9, 3, 2, 1, 0, 0]


def test_months_to_next_harvest_takes_nearest_season(calendar):
    mango = match_commodity("Mango", calendar)  # Apr–May and Oct
    dates = month_starts((2024, 1), (2024, 6), (2024, 10), (2024, 11))
    assert months_to_next_harvest(dates, mango).tolist() == [3, 4, 0, 5]


def test_months_to_next_harvest_needs_rows():
    with pytest.raises(ValueError, match="no calendar rows"):
        months_to_next_harvest(month_starts((2024, 1)), one_season((2, 4)).iloc[0:0])


def test_harvest_features(calendar):
    dates = pd.date_range("2022-01-01", periods=24, freq="MS")
    features = harvest_features("Coffee, Robusta", dates, calendar)
    assert list(features.columns) == ["harvest_intensity", "months_to_harvest"]
    assert features.index.equals(dates)
    assert all(np.issubdtype(t, np.floating) for t in features.dtypes)
    assert features.loc["2022-12-01", "harvest_intensity"] == PEAK
    assert features.loc["2022-08-01", "months_to_harvest"] == 3


def test_harvest_features_default_calendar():
    features = harvest_features("Lúa", pd.date_range("2024-01-01", periods=3, freq="MS"))
    assert features["harvest_intensity"].tolist() == [0.0, HARVEST, PEAK]


@pytest.mark.parametrize("name", ["Cassava flour", "Coconut oil"])
def test_harvest_features_empty_for_unknown_commodity(calendar, name):
    dates = pd.date_range("2024-01-01", periods=6, freq="MS")
    features = harvest_features(name, dates, calendar)
    assert features.shape == (6, 0)
    assert features.index.equals(dates)


@pytest.mark.parametrize(
    "key, applies",
    [
        (("Rice", "An Giang", "Wholesale", "kg", "VND"), True),
        (("Dừa khô", "Mỏ Cày Bắc", "Farmgate", "chục", "vnd"), True),
        (("Rice, Viet Namese 5%", "world", "Export", "mt", "USD"), True),  # Vietnamese export
        (("Rice", "Việt Nam national average", "Retail", "kg", "USD"), True),
        (("Rice", "Bangkok", "Wholesale", "kg", "THB"), False),
        (("Rice (red nadu)", "Colombo City", "Retail", "kg", "LKR"), False),
        (("Coconut", "Jaffna", "Retail", "nut", "LKR"), False),
        (("Coffee, Robusta", "world", "Export", "kg", "USD"), False),  # Brazil, Uganda too
    ],
)
def test_the_calendar_speaks_only_for_vietnamese_series(calendar, key, applies):
    assert calendar_applies(key) is applies
    rows = match_series(key, calendar)
    assert rows.empty is not applies  # every key above names a crop the calendar has
    if applies:
        pd.testing.assert_frame_equal(rows, match_commodity(key[0], calendar))
    else:
        assert list(rows.columns) == list(calendar.columns)


def test_a_calendar_without_countries_speaks_for_every_series(calendar):
    thai = ("Rice", "Bangkok", "Wholesale", "kg", "THB")
    own = calendar.drop(columns="country")
    assert len(match_series(thai, own)) == 3 and match_series(thai, calendar).empty
    # A country cropcast cannot recognise series of: the caller chose the calendar.
    assert len(match_series(thai, calendar.assign(country="Thailand"))) == 3
    mixed = calendar.assign(country=["Viet Nam", "", *["Viet Nam"] * (len(calendar) - 2)])
    assert match_series(thai, mixed)["season"].tolist() == [calendar["season"].iloc[1]]


def test_harvest_features_of_a_series_from_another_country_are_empty(calendar):
    dates = pd.date_range("2024-01-01", periods=6, freq="MS")
    thai = harvest_features(("Rice", "Bangkok", "Wholesale", "kg", "THB"), dates, calendar)
    mekong = harvest_features(("Rice", "An Giang", "Wholesale", "kg", "VND"), dates, calendar)
    assert thai.shape == (6, 0) and thai.index.equals(dates)
    pd.testing.assert_frame_equal(mekong, harvest_features("Rice", dates, calendar))


def test_forecasts_take_harvest_features_only_for_vietnamese_series(calendar):
    from forecast.datasets import load_default_prices
    from forecast.forecasting import harvest_features_for
    from forecast.table import iter_series

    with_features = {
        key[4]
        for key, y in iter_series(load_default_prices())
        if harvest_features_for(key, y.index, calendar) is not None
    }
    assert with_features == {"VND", "USD"}  # An Giang and Dong Thap rice; Viet Namese 5 %


def test_harvest_features_are_built_only_for_a_model_that_fits_on_them(calendar, monkeypatch):
    """Matching a commodity to the calendar is text work, 1-2 ms a series: auto's default
    candidates and the statistical models never read the features it built for them."""
    import forecast.forecasting as forecasting
    from forecast.datasets import load_default_prices
    from forecast.table import iter_series

    assert forecasting.takes_features("gbm") and forecasting.takes_features("prophet")
    for name in ("auto", "naive", "ets", "theta", "arima"):
        assert not forecasting.takes_features(name), name
    built = []
    real = forecasting.harvest_features_for
    monkeypatch.setattr(
        forecasting, "harvest_features_for", lambda *a: built.append(a[0]) or real(*a)
    )
    key, y = next(
        (k, y) for k, y in iter_series(load_default_prices()) if k[:2] == ("Rice", "An Giang")
    )
    for name, builds in (("naive", False), ("auto", False), ("gbm", True)):
        built.clear()
        spec = forecasting.ForecastSpec(model=name, horizon=3)
        forecasting.forecast_series((key, y), spec, calendar=calendar)
        assert bool(built) == builds, name
    # An auto whose candidates take them gets them.
    from forecast.auto import AutoForecaster

    assert AutoForecaster(candidates=["naive", "gbm"]).takes_features()
    assert not AutoForecaster().takes_features()


# --------------------------------------------------------------------------- reporting


def test_calendar_table(calendar):
    table = calendar_table(calendar, "Rice")
    assert list(table.columns) == ["commodity", "region", "season", *range(1, 13)]
    dong_xuan = table[table["season"] == "Đông Xuân"].iloc[0]
    assert [dong_xuan[m] for m in range(1, 13)] == [
        "",
        "harvest",
        "peak",
        "harvest",
        "",
        "",
        "",
        "",
        "",
        "",
        "plant",
        "plant",
    ]
    assert len(calendar_table(calendar)) == len(calendar)
    assert calendar_table(calendar, "Palm oil").empty
    # The pre-Tết pomelo season is demand, when prices rise: not drawn as a harvest glut.
    (tet,) = calendar_table(calendar, "Pomelo").itertuples(index=False)
    assert [tet[2 + m] for m in range(1, 13)] == ["demand", *[""] * 10, "demand"]
    # Coconut is picked every month: its rainy-season row is more output, not its harvest.
    (rainy,) = calendar_table(calendar, "Coconut").itertuples(index=False)
    assert [rainy[2 + m] for m in range(1, 13)] == [*[""] * 4, *["output"] * 7, ""]


def test_harvest_note_months(calendar):
    assert harvest_note_months(match_commodity("Rice", calendar)) == {
        "Đông Xuân": [3],
        "Hè Thu": [7, 8],
        "Thu Đông": [],
    }
    assert harvest_note_months(match_commodity("Coffee", calendar)) == {"Chính vụ": [12]}
