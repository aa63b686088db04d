"""What-if scenarios (forecast.scenarios) and interval calibration (forecast.calibration)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.calendar import load_calendar, match_commodity, validate_calendar
from forecast.calibration import CALIBRATION_COLUMNS, calibration_table
from forecast.errors import UsageError
from forecast.forecasting import ForecastSpec
from forecast.scenarios import (
    Scenario,
    compare_outlooks,
    delay_season,
    outlook_changes,
    price_shock,
    shift_harvest,
)
from forecast.table import KEY, validate


def _series(commodity: str, market: str, prices, start="2015-01-01") -> pd.DataFrame:
    dates = pd.date_range(start, periods=len(prices), freq="MS")
    return pd.DataFrame(
        {
            "commodity": commodity,
            "market": market,
            "price_type": "Wholesale",
            "unit": "kg",
            "currency": "VND",
            "date": dates,
            "price": np.asarray(prices, dtype=float),
            "flags": "",
        }
    )


def _seasonal(n: int = 60, amplitude: float = 0.1) -> np.ndarray:
    """A flat price with a yearly cycle: lowest in March, highest in September."""
    months = np.arange(n) % 12 + 1
    return 8000 * (1 + amplitude * np.cos(2 * np.pi * (months - 9) / 12))


@pytest.fixture
def prices() -> pd.DataFrame:
    rice = _series("Rice", "An Giang", _seasonal(60))
    oil = _series("Coconut oil", "world", np.linspace(1000, 1500, 48), start="2016-01-01")
    return validate(pd.concat([rice, oil], ignore_index=True))


# --- shift_harvest --------------------------------------------------------------------------


def test_shift_harvest_wraps_past_december():
    calendar = load_calendar()
    shifted = shift_harvest(calendar, 2)
    rice = shifted[shifted["season"] == "Thu Đông"].iloc[0]
    # Thu Đông: planted Jul–Sep, harvested Oct–Dec -> Sep–Nov, harvested Dec–Feb.
    assert (rice["plant_start"], rice["plant_end"]) == (9, 11)
    assert (rice["harvest_start"], rice["harvest_end"]) == (12, 2)
    pomelo = shifted[shifted["commodity"] == "Pomelo"].iloc[0]
    assert (pomelo["harvest_start"], pomelo["harvest_end"]) == (2, 3)  # Dec–Jan + 2
    # Empty months stay empty; the result is still a valid calendar.
    assert pd.isna(pomelo["plant_start"]) and pd.isna(pomelo["peak_start"])
    validate_calendar(shifted)
    assert shifted["source"].str.contains("what-if").all()


def test_shift_harvest_backwards_and_full_year():
    calendar = load_calendar()
    earlier = shift_harvest(calendar, -3)
    first = earlier[earlier["season"] == "Đông Xuân"].iloc[0]
    assert (first["harvest_start"], first["harvest_end"]) == (11, 1)  # Feb–Apr - 3
    assert (first["peak_start"], first["plant_start"]) == (12, 8)
    same = shift_harvest(calendar, 12)
    pd.testing.assert_frame_equal(same, calendar)
    assert shift_harvest(calendar, 0) is not calendar  # a copy, never the caller's frame
    with pytest.raises(UsageError):
        shift_harvest(calendar, 1.5)


# --- price_shock ----------------------------------------------------------------------------


def test_price_shock_touches_only_the_chosen_series_last_price(prices):
    shocked = price_shock(prices, 20, series="Rice|An Giang")
    changed = shocked["price"] != prices["price"]
    assert changed.sum() == 1
    row = shocked[changed].iloc[0]
    assert (
        row["commodity"] == "Rice"
        and row["date"] == prices.loc[prices["commodity"] == "Rice", "date"].max()
    )
    assert row["price"] == pytest.approx(prices.loc[changed, "price"].iloc[0] * 1.2)
    pd.testing.assert_series_equal(shocked["flags"], prices["flags"])  # flags stay in contract
    validate(shocked)
    assert "+20%" in shocked.attrs["scenario"]
    assert prices["price"].equals(validate(prices)["price"])  # the input is not modified


def test_price_shock_now_is_each_series_latest_price(prices):
    shocked = price_shock(prices, -10)
    changed = shocked[shocked["price"] != prices["price"]]
    # The two series end on different months: each gets its own latest price shocked.
    assert sorted(changed["commodity"]) == ["Coconut oil", "Rice"]
    last = prices.groupby("commodity")["date"].max()
    assert all(changed["date"].to_numpy() == last[changed["commodity"]].to_numpy())
    ratio = shocked.loc[changed.index, "price"] / prices.loc[changed.index, "price"]
    assert np.allclose(ratio, 0.9)


def test_price_shock_at_a_date_moves_every_price_from_it(prices):
    shocked = price_shock(prices, 50, at="2019-07-01", series="Coconut oil")
    changed = shocked["price"] != prices["price"]
    expected = (prices["commodity"] == "Coconut oil") & (prices["date"] >= "2019-07-01")
    assert changed.equals(expected)


def test_price_shock_refuses_nonsense(prices):
    with pytest.raises(UsageError):
        price_shock(prices, -100)
    with pytest.raises(UsageError):
        price_shock(prices, 10, series="Durian")
    with pytest.raises(UsageError):
        price_shock(prices, 10, at="not a date")
    with pytest.raises(UsageError):
        price_shock(prices, 10, at="2030-01-01")


# --- compare_outlooks -----------------------------------------------------------------------


def test_compare_outlooks_columns_and_naive_shock(prices):
    spec = ForecastSpec(model="naive", horizon=6, levels=(80,), use_calendar=False)
    out = compare_outlooks(
        prices,
        {
            "baseline": {},
            "+20% now": {"shock": 20, "shock_series": "Rice"},
            "longer": {"horizon": 9},
        },
        spec,
        engine="local",
    )
    assert list(out.columns) == [
        "scenario",
        *KEY,
        "date",
        "forecast",
        "lower_80",
        "upper_80",
        "model",
        "step",
    ]
    assert list(out["scenario"].unique()) == ["baseline", "+20% now", "longer"]
    sizes = out.groupby(["scenario", "commodity"]).size()
    assert sizes["baseline"].eq(6).all() and sizes["longer"].eq(9).all()
    assert (
        out.groupby(["scenario", "commodity"])["step"]
        .max()
        .equals(out.groupby(["scenario", "commodity"]).size())
    )
    changes = outlook_changes(out)
    rice = changes[(changes["scenario"] == "+20% now") & (changes["commodity"] == "Rice")]
    assert np.allclose(rice["change_pct"], 20.0)  # the naive carries the shocked price
    oil = changes[(changes["scenario"] == "+20% now") & (changes["commodity"] == "Coconut oil")]
    assert np.allclose(oil["change_pct"], 0.0)  # not shocked: the baseline's forecast
    longer = changes[changes["scenario"] == "longer"]
    assert longer.loc[longer["step"] <= 6, "change_pct"].abs().max() == pytest.approx(0.0)
    assert longer.loc[longer["step"] > 6, "baseline"].isna().all()


def test_harvest_delay_leaves_another_countrys_rice_alone(prices):
    thai = _series("Rice", "Bangkok", _seasonal(60)).assign(currency="THB")
    both = validate(pd.concat([prices, thai], ignore_index=True))
    spec = ForecastSpec(model="naive", horizon=12, levels=(80,), use_calendar=False)
    out = compare_outlooks(
        both, {"baseline": {}, "late": {"harvest_delay": 2}}, spec, engine="local"
    )
    changes = outlook_changes(out)
    # The same prices, but Thailand's: Viet Nam's calendar moves only the Mekong's rice.
    assert np.allclose(changes.loc[changes["currency"] == "THB", "change_pct"], 0.0)
    assert changes.loc[changes["market"] == "An Giang", "change_pct"].abs().max() > 5
    assert any("Bangkok" in n and "another country's" in n for n in out.attrs["notes"])


def test_harvest_delay_moves_the_typical_year(prices):
    spec = ForecastSpec(model="naive", horizon=12, levels=(80,), use_calendar=False)
    out = compare_outlooks(
        prices, {"baseline": {}, "late": {"harvest_delay": 2}}, spec, engine="local"
    )
    changes = outlook_changes(out).set_index(["commodity", "date"])
    rice = changes.loc["Rice"]
    months = rice.index.month
    # March is usually the cheapest month; two months late, March has January's price level
    # (higher) and May has March's (lower).
    assert rice.loc[months == 3, "change_pct"].iloc[0] > 5
    assert rice.loc[months == 5, "change_pct"].iloc[0] < -5
    assert np.allclose(changes.loc["Coconut oil", "change_pct"], 0.0)  # no calendar row
    assert any("Coconut oil" in note and "unchanged" in note for note in out.attrs["notes"])
    # Ranges move with the forecast.
    late = out[(out["scenario"] == "late") & (out["commodity"] == "Rice")]
    base = out[(out["scenario"] == "baseline") & (out["commodity"] == "Rice")]
    ratio = late["forecast"].to_numpy() / base["forecast"].to_numpy()
    assert np.allclose(late["upper_80"].to_numpy() / base["upper_80"].to_numpy(), ratio)


def test_delay_season_by_twelve_months_changes_nothing(prices):
    forecasts = pd.DataFrame(
        {
            **{c: prices.loc[prices["commodity"] == "Rice", c].iloc[0] for c in KEY},
            "date": pd.date_range("2020-01-01", periods=12, freq="MS"),
            "forecast": 8000.0,
        }
    )
    moved, notes = delay_season(forecasts, prices, 12)
    assert np.allclose(moved["forecast"], 8000.0) and not notes


def test_compare_outlooks_refuses_unknown_changes(prices):
    with pytest.raises(UsageError, match="unknown change"):
        compare_outlooks(prices, {"x": {"shok": 20}}, ForecastSpec(model="naive"))
    with pytest.raises(UsageError):
        compare_outlooks(prices, {}, ForecastSpec(model="naive"))
    with pytest.raises(UsageError):
        outlook_changes(
            compare_outlooks(
                prices, {"a": {}}, ForecastSpec(model="naive", horizon=2), engine="local"
            ),
            baseline="baseline",
        )
    assert Scenario.from_dict("s", {"shock": 5}).shock == 5


def test_rice_calendar_matches_for_delay():
    # The delay uses the calendar to decide which series a harvest drives.
    calendar = load_calendar()
    assert not match_commodity("Rice, Viet Namese 5%", calendar).empty
    assert match_commodity("Coconut oil", calendar).empty


# --- calibration_table ----------------------------------------------------------------------


def _backtest_table() -> pd.DataFrame:
    """Two models, ten points: the oracle's ranges hold every actual, the other's half."""
    actual = np.arange(10, dtype=float) + 100
    rows = []
    for model, miss in (("oracle", np.zeros(10, bool)), ("narrow", np.arange(10) % 2 == 0)):
        shift = np.where(miss, 50.0, 0.0)  # a missed point's range sits far above it
        rows.append(
            pd.DataFrame(
                {
                    "model": model,
                    "cutoff": pd.Timestamp("2020-01-01"),
                    "step": range(1, 11),
                    "actual": actual,
                    "forecast": actual + shift,
                    "lower_50": actual + shift - 1,
                    "upper_50": actual + shift + 1,
                    "lower_90": actual + shift - 2,
                    "upper_90": actual + shift + 2,
                    "error": "",
                }
            )
        )
    failure = rows[0].iloc[:1].assign(actual=np.nan, forecast=np.nan, error="boom")
    failure[["lower_50", "upper_50", "lower_90", "upper_90"]] = np.nan
    return pd.concat([*rows, failure], ignore_index=True)


def test_calibration_table_oracle_and_narrow():
    table = calibration_table(_backtest_table())
    assert list(table.columns) == ["model", *CALIBRATION_COLUMNS]
    assert list(table["model"]) == ["narrow", "narrow", "oracle", "oracle"]
    assert list(table["level"]) == [50, 90, 50, 90]
    oracle = table[table["model"] == "oracle"]
    assert np.allclose(oracle["coverage"], 1.0) and (oracle["n"] == 10).all()
    assert np.allclose(oracle["gap"], [0.5, 0.1])
    narrow = table[table["model"] == "narrow"]
    assert np.allclose(narrow["coverage"], 0.5) and np.allclose(narrow["nominal"], [0.5, 0.9])


def test_calibration_table_levels_and_groups():
    bt = _backtest_table()
    one = calibration_table(bt, levels=[90.0], by=())
    assert len(one) == 1 and one["level"].iloc[0] == 90
    assert one["coverage"].iloc[0] == pytest.approx(0.75) and one["n"].iloc[0] == 20
    by_step = calibration_table(bt, levels=(50,), by=("model", "step"))
    assert len(by_step) == 20
    assert by_step.loc[by_step["model"] == "narrow", "coverage"].isin([0.0, 1.0]).all()
    with pytest.raises(UsageError, match="no level 80"):
        calibration_table(bt, levels=(80,))
    with pytest.raises(UsageError):
        calibration_table(bt.drop(columns=["lower_50", "upper_50", "lower_90", "upper_90"]))


def test_a_typical_year_with_holes_moves_nothing_and_says_so():
    """Three years of coconut with three months missing: the typical year has no level for
    some months, which the delay took as average (a -18 % move with "no notes")."""
    months = pd.date_range("2023-11-01", periods=36, freq="MS")
    months = months[~months.isin(pd.to_datetime(["2025-02-01", "2025-03-01", "2025-04-01"]))]
    key = ("Dừa", "Mỏ Cày Bắc", "Farmgate", "nut", "VND")
    history = pd.DataFrame(
        {
            **dict(zip(KEY, key, strict=True)),
            "date": months,
            "price": 4000.0 * (1 + 0.2 * np.cos(2 * np.pi * months.month / 12)),
            "flags": "",
        }
    )
    forecasts = pd.DataFrame(
        {
            **dict(zip(KEY, key, strict=True)),
            "date": pd.date_range("2026-11-01", periods=12, freq="MS"),
            "forecast": 4000.0,
        }
    )
    moved, notes = delay_season(forecasts, history, 2)
    assert np.allclose(moved["forecast"], 4000.0)
    # Each month is seen in one year at most: no typical level anywhere, said as such.
    assert len(notes) == 1 and "no typical year to move" in notes[0]
    assert "months seen in at least 2 years" in notes[0] and notes[0].endswith("unchanged")
