"""ALPS and IPA: checked against sums done by hand and an independent least-squares fit.

The ALPS expectations are computed here with ``np.linalg.lstsq`` on a design built another way
(12 month dummies and no intercept: the same fitted values as intercept + 11 dummies), so a
slip in ``forecast.anomaly``'s design, trend or ddof shows up as a mismatch.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from forecast.anomaly import (
    ALPS_LOW,
    alps,
    alps_band,
    alps_eligibility,
    format_indicator,
    ipa,
    ipa_band,
    ipa_eligibility,
    latest_alerts,
    shown_value,
)
from forecast.datasets import load_default_prices
from forecast.errors import UsageError
from forecast.table import KEY

runner = CliRunner()
RICE_KEY = ("Rice", "Mỏ Cày Bắc", "Farmgate", "kg", "VND")


@pytest.fixture(scope="module")
def embedded() -> pd.DataFrame:
    """The embedded default data, loaded once for this module."""
    return load_default_prices()


def price_table(dates, prices, key=RICE_KEY) -> pd.DataFrame:
    frame = pd.DataFrame({"date": pd.DatetimeIndex(dates), "price": np.asarray(prices, float)})
    for column, value in zip(KEY, key, strict=True):
        frame[column] = value
    frame["flags"] = ""
    return frame[[*KEY, "date", "price", "flags"]]


def monthly(start: str, n: int, key=RICE_KEY, seed: int = 0) -> pd.DataFrame:
    """``n`` months of positive prices with a season and noise, from ``start``."""
    dates = pd.date_range(start, periods=n, freq="MS")
    rng = np.random.default_rng(seed)
    prices = 100 * (1 + 0.1 * np.sin(dates.month / 2)) * np.exp(rng.normal(0, 0.05, n))
    return price_table(dates, prices, key)


def expected_alps(dates: pd.DatetimeIndex, prices: np.ndarray, log: bool = True) -> np.ndarray:
    """ALPS by plain least squares: price ~ trend + one dummy per calendar month."""
    months = dates.year * 12 + dates.month
    trend = (months - months.min()).to_numpy(float)
    dummies = np.eye(12)[dates.month - 1]
    design = np.column_stack([trend, dummies])
    y = np.log(prices) if log else prices
    beta = np.linalg.lstsq(design, y, rcond=None)[0]
    resid = y - design @ beta
    n_coef = 13  # trend + 12 month levels (= intercept + 11 dummies)
    sigma = np.sqrt(np.sum(resid**2) / (len(y) - n_coef))
    return resid / sigma


# --- ALPS on real series --------------------------------------------------------------------


def bangkok_rice(shared_data) -> pd.DataFrame:
    """WFP's Bangkok wholesale rice, April 2016 - March 2020 (48 months), read directly."""
    raw = pd.read_csv(shared_data / "wfp" / "wfp_food_prices_tha.csv", skiprows=[1])
    rice = raw[(raw["market"] == "Bangkok") & (raw["commodity"] == "Rice")]
    # WFP dates are the 15th; key by month.
    dates = pd.to_datetime(rice["date"]).dt.to_period("M").dt.to_timestamp()
    frame = price_table(dates, rice["price"], ("Rice", "Bangkok", "Wholesale", "kg", "THB"))
    return frame[frame["date"].between("2016-04-01", "2020-03-01")].reset_index(drop=True)


@pytest.mark.parametrize("scale", ["log", "level"])
def test_alps_matches_least_squares_on_bangkok_rice(shared_data, scale):
    prices = bangkok_rice(shared_data)
    assert len(prices) == 48
    out = alps(prices, scale=scale)
    expected = expected_alps(
        pd.DatetimeIndex(prices["date"]), prices["price"].to_numpy(), log=scale == "log"
    )
    assert list(out["date"]) == list(prices["date"])
    np.testing.assert_allclose(out["alps"], expected, rtol=0, atol=1e-9)
    # March 2020: panic buying at the start of COVID lifted rice to 13.62 THB/kg.
    march = out.set_index("date").loc["2020-03-01"]
    assert march["price"] == 13.62
    assert march["band"] == "crisis" and march["alps"] >= 2
    # ``fitted`` is the "normal" price in THB: the residual over sigma gives ALPS back.
    resid = np.log(out["price"] / out["fitted"]) if scale == "log" else out["price"] - out["fitted"]
    sigma = np.sqrt(np.sum(resid**2) / (48 - 13))
    np.testing.assert_allclose(out["alps"], resid / sigma, atol=1e-9)


def test_alps_matches_least_squares_on_embedded_series_with_gaps(embedded):
    prices = embedded
    colombo = prices[(prices["commodity"] == "Rice (white)") & (prices["market"] == "Colombo City")]
    window = colombo[colombo["date"] >= "2021-07-01"]
    # Drop three months so the trend must count months, not rows.
    window = window[
        ~window["date"].isin(pd.to_datetime(["2022-02-01", "2023-05-01", "2024-09-01"]))
    ]
    assert window["date"].max() == pd.Timestamp("2025-06-01")
    out = alps(window)
    expected = expected_alps(pd.DatetimeIndex(window["date"]), window["price"].to_numpy())
    np.testing.assert_allclose(out["alps"], expected, rtol=0, atol=1e-9)
    assert set(out["band"]) <= {"normal", "stress", "alert", "crisis"}


def test_alps_as_of_ignores_later_prices():
    prices = monthly("2018-01-01", 60)
    cut = alps(prices, as_of="2021-06")
    alone = alps(prices[prices["date"] <= "2021-06-01"])
    assert cut["date"].max() == pd.Timestamp("2021-06-01")
    pd.testing.assert_frame_equal(cut, alone)


def test_alps_of_a_perfect_seasonal_trend_is_zero_not_noise():
    dates = pd.date_range("2020-01-01", periods=48, freq="MS")
    prices = np.exp(0.01 * np.arange(48) + 0.1 * np.cos(dates.month))
    out = alps(price_table(dates, prices))
    assert (out["alps"] == 0).all() and (out["band"] == "normal").all()


# --- bands ----------------------------------------------------------------------------------


def test_alps_band_edges():
    values = [-3.0, 0.0, 0.249, 0.25, 0.999, 1.0, 1.999, 2.0, 5.0, np.nan]
    assert list(alps_band(values)) == [
        *("normal", "normal", "normal", "stress", "stress"),
        *("alert", "alert", "crisis", "crisis", None),
    ]


def test_ipa_band_edges():
    values = [-1.0001, -1.0, 0.0, 0.4999, 0.5, 0.9999, 1.0, 3.0, np.nan]
    assert list(ipa_band(values)) == [
        *("unusually low", "normal", "normal", "normal", "moderately high"),
        *("moderately high", "abnormally high", "abnormally high", None),
    ]


def shown_band(value: float, indicator: str) -> str:
    """The band a value is shown in: WFP's (or low below -1) for ALPS, FAO's for the IPA."""
    if indicator == "ipa":
        return ipa_band([value])[0]
    return "low" if value < ALPS_LOW else alps_band([value])[0]


EDGES = {"alps": (-1.0, 0.25, 1.0, 2.0), "ipa": (-1.0, 0.5, 1.0)}


@pytest.mark.parametrize("indicator", ["alps", "ipa"])
@pytest.mark.parametrize("least", [1, 2])
def test_a_shown_value_stays_on_its_own_side_of_every_threshold(indicator, least):
    """0.9972 printed "1.00" beside "moderately high", 0.2472 "+0.25 normal", 1.96 "2.0"
    beside "alert": the band came from the value, the digits from rounding it."""
    offsets = [1e-12, 1e-6, 4e-5, 4e-4, 0.0028, 0.004, 0.04, 0.049, 0.051]
    for edge in EDGES[indicator]:
        for value in [edge, *(edge + d for d in offsets), *(edge - d for d in offsets)]:
            shown, decimals = shown_value(value, indicator, least)
            printed = format_indicator(value, indicator, least)
            assert float(printed) == shown
            assert shown_band(float(printed), indicator) == shown_band(value, indicator), value
            assert least <= decimals <= least + 1
            assert abs(shown - value) < 10.0 ** -(decimals - 1)
    # Far from the edges nothing changes: the usual decimals, rounded as usual.
    assert shown_value(0.6214, indicator, least) == (round(0.6214, least), least)


# --- qualification --------------------------------------------------------------------------


def one(frame: pd.DataFrame) -> pd.Series:
    assert len(frame) == 1
    return frame.iloc[0]


def test_alps_needs_36_months():
    short = one(alps_eligibility(monthly("2020-01-01", 35)))
    assert not short["qualifies"] and short["reason"] == "too short" and short["months"] == 35
    enough = one(alps_eligibility(monthly("2020-01-01", 36)))
    assert enough["qualifies"] and enough["reason"] == ""
    assert alps(monthly("2020-01-01", 35)).empty
    assert len(alps(monthly("2020-01-01", 36))) == 36


def test_coverage_boundary_is_70_percent():
    full = monthly("2020-01-01", 40)  # 40-month span
    inner = full["date"].iloc[1:-1]
    exactly = full[~full["date"].isin(inner.iloc[:12])]  # 28 of 40 = 70 %
    below = full[~full["date"].isin(inner.iloc[:13])]  # 27 of 40
    at = one(alps_eligibility(exactly))
    assert at["qualifies"] and at["months"] == 40 and at["coverage"] == pytest.approx(0.7)
    under = one(alps_eligibility(below))
    assert not under["qualifies"] and under["reason"] == "too many gaps"


def test_interpolated_prices_are_not_observations():
    full = monthly("2020-01-01", 40)
    inner = full["date"].iloc[1:-1]
    sparse = full[~full["date"].isin(inner.iloc[:13])]  # 27 of 40 observed
    filled = pd.concat(
        [sparse, full[full["date"].isin(inner.iloc[:13])].assign(flags="interpolated")]
    )
    row = one(alps_eligibility(filled))
    assert not row["qualifies"] and row["reason"] == "too many gaps"
    # An outlier is a price all the same: a spike is what ALPS is for.
    flagged = full.assign(flags="outlier")
    assert one(alps_eligibility(flagged))["qualifies"] and len(alps(flagged)) == 40


def test_last_price_must_be_at_most_6_months_old():
    prices = monthly("2020-01-01", 40)  # last price April 2023
    six = one(alps_eligibility(prices, as_of="2023-10-01"))
    assert six["qualifies"]
    seven = one(alps_eligibility(prices, as_of="2023-11-01"))
    assert not seven["qualifies"] and seven["reason"] == "no recent price"
    assert seven["last_date"] == pd.Timestamp("2023-04-01")
    # Default as_of: the latest date in the table, here set by another series.
    later = monthly("2020-01-01", 47, key=("Maize", "An Giang", "Wholesale", "kg", "VND"))
    both = alps_eligibility(pd.concat([prices, later])).set_index("commodity")
    assert both.loc["Rice", "reason"] == "no recent price" and both.loc["Maize", "qualifies"]


def test_ipa_needs_60_months():
    assert one(ipa_eligibility(monthly("2019-01-01", 59)))["reason"] == "too short"
    assert one(ipa_eligibility(monthly("2019-01-01", 60)))["qualifies"]
    assert ipa(monthly("2019-01-01", 59)).empty


def test_a_series_whose_latest_ipa_cannot_be_computed_does_not_qualify_and_says_why():
    """Span, coverage and age passed, but the growth the latest month needs was missing: the
    series "qualified" with no IPA, no reason, and counted as "none abnormal"."""
    dates = pd.date_range("2016-01-01", "2023-12-01", freq="MS")
    full = monthly("2016-01-01", len(dates))
    # No price in June 2022, nor in December of 2019-2021 (all else priced: 92 % coverage).
    gone = pd.to_datetime(["2022-06-01", "2019-12-01", "2020-12-01", "2021-12-01"])
    prices = full[~full["date"].isin(gone)]
    cases = {
        # September 2022: June 2022 (3 months before) is missing.
        "2022-09": "no price 3 months before 2022-09",
        # June 2023: June 2022 (12 months before) is missing.
        "2023-06": "no price 12 months before 2023-06",
        # December 2022: its 12-month growth needs December 2021.
        "2022-12": "no price 12 months before 2022-12",
        # December 2023: 12-month growth to December in 2017, 2018 and 2023: 3 years, enough.
        "2023-12": "",
    }
    for as_of, reason in cases.items():
        row = one(ipa_eligibility(prices, as_of))
        assert row["reason"] == reason, as_of
        assert row["qualifies"] == (reason == "")
        latest = one(latest_alerts(prices, as_of))
        assert latest["qualifies_ipa"] == (reason == "") and latest["ipa_reason"] == reason
        assert np.isnan(latest["ipa"]) == (reason != "")
    # With December 2017 gone too, December 2023 has 12-month growth in one year only.
    fewer = prices[prices["date"] != "2017-12-01"]
    row = one(ipa_eligibility(fewer, "2023-12"))
    assert not row["qualifies"]
    assert row["reason"] == "fewer than 3 years of 12-month growth for December"
    # The history stays in ipa(): earlier months have their values.
    history = ipa(prices, as_of="2022-09").set_index("date")["ipa"]
    assert np.isnan(history.iloc[-1]) and np.isfinite(history.loc["2022-05-01"])


def test_a_series_with_a_cpi_gap_says_the_cpi_is_missing():
    prices = monthly("2018-01-01", 72)
    cpi = pd.Series(100.0, index=pd.DatetimeIndex(prices["date"]))
    assert one(ipa_eligibility(prices, cpi=cpi))["qualifies"]
    latest = prices["date"].max()
    assert one(ipa_eligibility(prices, cpi=cpi.drop(latest)))["reason"] == (
        f"no CPI for {latest:%Y-%m}"
    )
    year_before = latest - pd.DateOffset(months=12)
    assert one(ipa_eligibility(prices, cpi=cpi.drop(year_before)))["reason"] == (
        f"no CPI for {year_before:%Y-%m}"
    )


def test_odd_series_are_reported_not_fatal():
    weekly = price_table(
        pd.date_range("2020-01-06", periods=200, freq="W-MON"),
        np.linspace(10, 12, 200),
        ("Coconut", "Mỏ Cày Bắc", "Farmgate", "dozen", "VND"),
    )
    tiny = price_table(["2024-01-01"], [5.0], ("Durian", "Cái Mơn", "Farmgate", "kg", "VND"))
    good = monthly("2019-01-01", 72)
    prices = pd.concat([good, weekly, tiny], ignore_index=True)
    reasons = alps_eligibility(prices).set_index("commodity")["reason"]
    assert reasons.to_dict() == {"Coconut": "not monthly", "Durian": "too short", "Rice": ""}
    assert set(alps(prices)["commodity"]) == {"Rice"}
    assert set(ipa(prices)["commodity"]) == {"Rice"}
    latest = latest_alerts(prices).set_index("commodity")
    assert len(latest) == 3
    assert latest.loc["Rice", "qualifies_alps"] and latest.loc["Rice", "qualifies_ipa"]
    assert np.isnan(latest.loc["Durian", "alps"]) and latest.loc["Durian", "alps_band"] is None


# --- IPA: a worked example --------------------------------------------------------------------


def worked_example() -> pd.DataFrame:
    """Jan 2020 - Dec 2024 at 100 a kg, except each April at 100 * (1 + r)^3.

    So April's quarterly growth (January -> April) is exactly r: 0, 0.10, 0, 0.10, 0.20.
    """
    dates = pd.date_range("2020-01-01", "2024-12-01", freq="MS")
    prices = np.full(len(dates), 100.0)
    for year, r in zip(range(2020, 2025), [0.0, 0.10, 0.0, 0.10, 0.20], strict=True):
        prices[(dates.year == year) & (dates.month == 4)] = 100 * (1 + r) ** 3
    return price_table(dates, prices)


def test_ipa_worked_example_april_2024():
    out = ipa(worked_example()).set_index("date")
    april = out.loc["2024-04-01"]
    # Quarterly CGR, April 2024: (172.8 / 100)^(1/3) - 1 = 1.2 - 1 = 0.20.
    assert april["price"] == pytest.approx(172.8)
    assert april["cqgr"] == pytest.approx(0.20, abs=1e-12)
    # April's quarterly growth by year 2020..2024: 0, .1, 0, .1, .2, time weights 1..5 (sum 15).
    mean_q = (1 * 0 + 2 * 0.1 + 3 * 0 + 4 * 0.1 + 5 * 0.2) / 15  # = 1.6 / 15 = 0.10667
    ss_q = 1 * mean_q**2 + 2 * (0.1 - mean_q) ** 2 + 3 * mean_q**2
    ss_q += 4 * (0.1 - mean_q) ** 2 + 5 * (0.2 - mean_q) ** 2  # = 0.089333
    std_q = np.sqrt(ss_q / (15 * (5 - 1) / 5))  # = sqrt(0.089333 / 12) = 0.086281
    assert april["ipa_q"] == pytest.approx((0.2 - mean_q) / std_q, abs=1e-9)  # 1.0817
    assert april["ipa_q"] == pytest.approx(1.0817, abs=1e-4)
    # Annual CGR, April 2024: (172.8 / 133.1)^(1/12) - 1 = (1.2 / 1.1)^(1/4) - 1 = 0.021991.
    assert april["cagr"] == pytest.approx((1.2 / 1.1) ** 0.25 - 1, abs=1e-12)
    # April's annual growth 2021..2024 (2020 has no April 2019), weights 2..5 (sum 14).
    a = np.array([1.1**0.25 - 1, (1 / 1.1) ** 0.25 - 1, 1.1**0.25 - 1, (1.2 / 1.1) ** 0.25 - 1])
    w = np.array([2, 3, 4, 5])
    mean_a = (w @ a) / 14  # = 0.013143
    std_a = np.sqrt((w @ (a - mean_a) ** 2) / (14 * (4 - 1) / 4))  # = 0.022151
    assert april["ipa_a"] == pytest.approx((a[-1] - mean_a) / std_a, abs=1e-9)  # 0.3995
    # IPA = 0.4 * 1.0817 + 0.6 * 0.3995 = 0.6724: moderately high.
    assert april["ipa"] == pytest.approx(0.4 * april["ipa_q"] + 0.6 * april["ipa_a"], abs=1e-12)
    assert april["ipa"] == pytest.approx(0.6724, abs=1e-4)
    assert april["band"] == "moderately high"
    # A month whose growth never varies (May: February -> May is always 0) is normal: IPA 0.
    assert out.loc["2024-05-01", "ipa_q"] == 0


def test_ipa_equal_weights_use_the_sample_standard_deviation():
    out = ipa(worked_example(), weighting="equal").set_index("date")
    r = np.array([0.0, 0.1, 0.0, 0.1, 0.2])
    expected = (0.2 - r.mean()) / r.std(ddof=1)
    assert out.loc["2024-04-01", "ipa_q"] == pytest.approx(expected, abs=1e-9)


def test_ipa_gamma_weighs_the_quarterly_part():
    only_q = ipa(worked_example(), gamma=1.0).set_index("date").loc["2024-04-01"]
    assert only_q["ipa"] == pytest.approx(only_q["ipa_q"])
    with pytest.raises(UsageError):
        ipa(worked_example(), gamma=1.5)


# --- IPA with a CPI ---------------------------------------------------------------------------


def test_cpi_equal_to_the_price_makes_growth_zero():
    prices = worked_example()
    cpi = prices[[*KEY, "date"]].assign(cpi=prices["price"])  # one CPI per series
    out = ipa(prices, cpi=cpi)
    known = out.dropna(subset=["cagr"])
    assert len(known) == 48
    np.testing.assert_allclose(known[["cqgr", "cagr"]], 0, atol=1e-12)
    assert (known["ipa"] == 0).all() and (known["band"] == "normal").all()
    np.testing.assert_allclose(out["real_price"], 1.0)


def test_cpi_rising_1_percent_a_month_lowers_growth_by_that_much(embedded):
    prices = embedded
    cocoa = prices[prices["commodity"] == "Cocoa"]
    months = np.arange(len(cocoa))
    cpi = pd.Series(250 * 1.01**months, index=pd.DatetimeIndex(cocoa["date"]))
    nominal = ipa(cocoa).set_index("date")
    real = ipa(cocoa, cpi=cpi).set_index("date")
    # Real growth g' = (1 + g) / 1.01 - 1 for any compound rate, quarterly or annual.
    np.testing.assert_allclose(real["cqgr"], (1 + nominal["cqgr"]) / 1.01 - 1, atol=1e-12)
    np.testing.assert_allclose(real["cagr"], (1 + nominal["cagr"]) / 1.01 - 1, atol=1e-12)
    # A constant CPI (any base) changes nothing.
    flat = ipa(cocoa, cpi=pd.Series(123.0, index=cpi.index)).set_index("date")
    np.testing.assert_allclose(flat["ipa"], nominal["ipa"], atol=1e-9)
    assert (real["real_price"] != real["price"]).all()


def test_bad_cpi_is_a_usage_error():
    prices = worked_example()
    with pytest.raises(UsageError, match="greater than zero"):
        ipa(prices, cpi=pd.Series(-1.0, index=pd.DatetimeIndex(prices["date"])))
    with pytest.raises(UsageError, match="'date' and 'cpi'"):
        ipa(prices, cpi=pd.DataFrame({"month": [1]}))


# --- latest alerts ----------------------------------------------------------------------------


def test_latest_alerts_on_embedded_data(embedded):
    prices = embedded
    latest = latest_alerts(prices)
    assert len(latest) == prices.groupby(list(KEY)).ngroups
    assert list(latest.columns[:5]) == list(KEY)
    qualifies = alps_eligibility(prices).set_index(list(KEY))["qualifies"]
    assert (latest.set_index(list(KEY))["qualifies_alps"] == qualifies).all()
    assert latest["qualifies_alps"].any() and not latest["qualifies_alps"].all()
    # The ALPS shown is the last one alps() gives for that series.
    thai = latest.set_index("commodity").loc["Rice, Thai 5%"]
    full = alps(prices)
    assert thai["alps"] == full[full["commodity"] == "Rice, Thai 5%"]["alps"].iloc[-1]
    assert thai["date"] == prices["date"].max()
    unqualified = latest[~latest["qualifies_alps"]]
    assert unqualified["alps"].isna().all() and (unqualified["alps_reason"] != "").all()


def test_latest_alerts_as_of_a_past_month(embedded):
    latest = latest_alerts(embedded, as_of="2019-06").set_index("market")
    an_giang = latest[latest["commodity"] == "Rice"].loc["An Giang"]
    assert an_giang["date"] == pd.Timestamp("2019-04-01")  # 2 months behind: still qualifies
    assert an_giang["qualifies_alps"] and an_giang["alps_band"] is not None
    with pytest.raises(UsageError, match="not a date"):
        latest_alerts(embedded, as_of="someday")


# --- the `alerts` command -------------------------------------------------------------------


def run(*args: str):
    return runner.invoke(app, ["alerts", *map(str, args)])


def test_alerts_command_on_embedded_data():
    result = run()
    assert result.exit_code == 0, result.output
    assert "Price alerts as of 2025-11 (embedded data)" in result.stdout
    assert "series do not qualify for ALPS: no recent price" in result.stdout
    # The price type as stored: 'retail' and 'Retail' are two series (store remove).
    assert "(International)" in result.stdout and "(international)" not in result.stdout


def test_alerts_json_structure(embedded):
    result = run("--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"as_of", "series", "not_qualifying", "normal_not_listed"}
    assert payload["as_of"] == "2025-11-01"
    assert payload["series"], "the embedded data has series in alert"
    for row in payload["series"]:
        assert set(row) >= {*KEY, "date", "price", "alps", "alps_band", "ipa", "ipa_band"}
        assert row["alps_band"] in ("stress", "alert", "crisis") or row["ipa_band"] in (
            "moderately high",
            "abnormally high",
            "unusually low",
        )
    not_alps = (~alps_eligibility(embedded)["qualifies"]).sum()
    assert sum(payload["not_qualifying"]["alps"].values()) == not_alps
    everything = json.loads(run("--json", "--all").stdout)["series"]
    assert len(everything) > len(payload["series"])
    assert any(row["alps_band"] == "normal" for row in everything)
    # Those left out are counted, here and in the table's line: no series goes unsaid.
    assert payload["normal_not_listed"] == len(everything) - len(payload["series"])
    assert f"{payload['normal_not_listed']} more series scored normal (--all" in run().stdout
    assert "more series scored normal" not in run("--all").stdout


def test_alerts_series_and_as_of():
    result = run("--series", "Rice|An Giang", "--as-of", "2019-06", "--all", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["series"]
    assert [(r["commodity"], r["market"], r["date"]) for r in rows] == [
        ("Rice", "An Giang", "2019-04-01")
    ]


def test_alerts_on_a_picked_series_speak_of_the_files_now():
    """An Giang rice stopped in 2022-06; picked alone, it was scored as current."""
    alone = json.loads(run("--series", "Rice|An Giang", "--all", "--json").stdout)
    assert alone["as_of"] == "2025-11-01"
    assert alone["series"] == []
    assert alone["not_qualifying"]["alps"] == {"no recent price": 1}
    said = run("--series", "Rice|An Giang").stdout
    assert "No series could be scored as of 2025-11" in said and "no recent price" in said


def test_a_picked_series_that_stopped_is_told_the_as_of_that_scores_it():
    """Review: alerts -s "An Giang" said "No series could be scored ... no recent price (1)"
    and no more, where bulletin says when it stopped and which --as-of to give."""
    said = run("--series", "Rice|An Giang")
    assert said.exit_code == 0, said.output
    hint = " ".join(said.stdout.split())
    assert "stopped in 2022-06" in hint and "give --as-of 2022-06" in hint, hint
    then = run("--series", "Rice|An Giang", "--as-of", "2022-06", "--json")
    assert json.loads(then.stdout)["not_qualifying"]["alps"] == {}
    # Several that stopped at different times: --as-of the latest scores only those with a
    # price then, and the hint says how many, not "them" (a review scored 1 of 5).
    several = run("--series", "Bangkok", "--series", "An Giang")
    hint = " ".join(several.stdout.split())
    assert "5 series stopped" in hint and "give --as-of 2022-06 to score the 1 with" in hint
    then = run("--series", "Bangkok", "--series", "An Giang", "--as-of", "2022-06", "--json")
    assert json.loads(then.stdout)["not_qualifying"]["alps"] == {"no recent price": 4}


def test_series_that_stopped_are_judged_against_the_as_of_date_not_later_prices():
    """A review: alerts --as-of 2022-06 said "9 of 12 series end a year or more before the
    latest price (2025-11)", of prices it did not read; three of them ran to 2022."""
    then = " ".join(run("--series", "Rice", "--as-of", "2022-06").stderr.split())
    assert "6 of 12 series end a year or more before --as-of (2022-06)" in then, then
    assert "2025-11" not in then
    now = " ".join(run("--series", "Rice").stderr.split())
    assert "9 of 12 series end a year or more before the latest price (2025-11)" in now, now


WEEKLY_DEFAULTS = "commodity=Coconut,market=Mỏ Cày Bắc,price_type=Farmgate,unit=dozen,currency=VND"


def weekly_file(tmp_path) -> list:
    """A depot's weekly prices, 2019-2024, December 2024 up 60 %; the options to read it."""
    dates = pd.date_range("2019-01-07", "2024-12-30", freq="W-MON")
    noise = np.random.default_rng(1).normal(0, 0.03, len(dates))
    prices = 12000 * (1 + 0.1 * np.sin(dates.month.to_numpy() / 2)) * np.exp(noise)
    prices[-4:] *= 1.6  # December 2024: a jump the depot would notice
    path = tmp_path / "dua_kho.csv"
    pd.DataFrame({"Ngày": dates.strftime("%d/%m/%Y"), "Giá": prices}).to_csv(path, index=False)
    return [path, "--map", "date=Ngày,price=Giá", "--default", WEEKLY_DEFAULTS]


def test_alerts_on_a_weekly_file_put_on_months(tmp_path):
    base = ["--input", *weekly_file(tmp_path), "--json"]
    weekly = json.loads(run(*base).stdout)
    assert weekly["not_qualifying"]["alps"] == {"not monthly": 1}
    result = run(*base, "--freq", "monthly")
    assert result.exit_code == 0, result.output
    monthly_rows = json.loads(result.stdout)["series"]
    assert [(r["date"], r["alps_band"]) for r in monthly_rows] == [("2024-12-01", "crisis")]


def test_alerts_say_a_latest_price_forecasts_hold_back_is_used_here(tmp_path):
    """Review: alerts said of a latest price typed 72,000 for 7,200 that "forecasts scale
    the prices before such a move to join the prices after it", while the forecast and the
    bulletin left it out as probably mistyped."""
    months = pd.date_range("2020-01-01", periods=48, freq="MS")
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    rows += [
        f"{d:%Y-%m-%d},Rice,A,Retail,kg,VND,{7200 + 10 * (i % 12) if i < 47 else 72000}"
        for i, d in enumerate(months)
    ]
    path = tmp_path / "typo.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run("--input", path)
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert "1 price is used here, though forecasts and bulletins leave it out as probably " in said
    assert "Rice | A | Retail | VND/kg 2023-12: 72,000 (about 7,300): fix it in typo.csv" in said
    assert "forecasts scale the prices" not in said


def test_alerts_bad_as_of_is_one_error_line():
    result = run("--as-of", "2025-13")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --as-of: '2025-13' is not a date")
    assert "Traceback" not in result.output


def test_weekly_prices_are_told_how_to_be_scored_and_the_way_works(tmp_path):
    """ "No series could be scored ... not monthly (1)" was a dead end."""
    path, *reading = weekly_file(tmp_path)
    said = run("--input", path, *reading)
    assert said.exit_code == 0, said.output
    assert "not monthly (1)" in said.stdout and "--freq monthly" in said.stdout
    # Following it scores the series.
    folded = json.loads(run("--input", path, *reading, "--freq", "monthly", "--json").stdout)
    assert [r["alps_band"] for r in folded["series"]] == ["crisis"]
    # From a store --freq monthly picks monthly series and folds none: the hint says what works.
    db = tmp_path / "depot.duckdb"
    ingested = runner.invoke(app, ["ingest", str(path), *map(str, reading), "--db", str(db)])
    assert ingested.exit_code == 0, ingested.output
    from_store = run("--db", db)
    assert "not monthly (1)" in from_store.stdout
    hint = " ".join(from_store.stdout.split())  # the console wraps long lines
    assert "cropcast store export" in hint and "--freq monthly" in hint
    assert run("--db", db, "--freq", "monthly").exit_code != 0  # not the way
    export = tmp_path / "prices.csv"
    done = runner.invoke(app, ["store", "export", "--db", str(db), "-o", str(export)])
    assert done.exit_code == 0, done.output
    exported = json.loads(run("--input", export, "--freq", "monthly", "--json").stdout)
    assert [r["alps_band"] for r in exported["series"]] == ["crisis"]


# --- the alerts command on real files --------------------------------------------------------


def test_alerts_never_count_a_series_without_an_ipa_as_normal(shared_data, tmp_path):
    """WFP's Viet Nam rice stops from May 2019 to December 2020: in 2021 the IPA lacks the
    price of a year before. Both series "qualified", had no IPA and no reason, and the
    command said "none abnormal"."""
    path = shared_data / "wfp" / "wfp_food_prices_vnm.csv"
    for as_of in ("2021-01", "2021-06", "2021-09", "2021-12"):
        out = tmp_path / f"alerts-{as_of}.csv"
        result = run("--input", path, "--as-of", as_of, "--all", "-o", out, "-q")
        assert result.exit_code == 0, result.output
        table = pd.read_csv(out, keep_default_na=False, na_values={"ipa": [""]})
        assert (table["qualifies_ipa"] == table["ipa"].notna()).all(), as_of
        rice = table[table["market"].isin(["An Giang", "Dong Thap"])]
        assert len(rice) == 2 and not rice["qualifies_ipa"].any()
        assert rice["ipa_reason"].str.contains(f"12 months before {as_of}").all(), as_of
    said = run("--input", path, "--as-of", "2021-09").stdout
    assert "none abnormal" not in said and "IPA normal" not in said
    assert "no price 12 months before 2021-09 (2)" in " ".join(said.split())


BAND_WORDS = "moderately high|abnormally high|unusually low|normal|stress|alert|crisis|low"


def shown_rows(text: str) -> list[list[tuple[float, str]]]:
    """(value, band) of the ALPS and IPA cells of each row the alerts table prints."""
    cell = rf"([+-]\d+\.\d+) ({BAND_WORDS})\b"
    rows = [re.findall(cell, line) for line in text.splitlines()]
    return [[(float(v), b) for v, b in row] for row in rows if row]


def test_alerts_print_each_value_on_its_bands_side(shared_data):
    """Gold's IPA 0.9972 printed "+1.00 moderately high" under "abnormally high >= 1"; palm
    oil's ALPS 0.2472 "+0.25 normal"."""
    pink = shared_data / "worldbank" / "CMO-Historical-Data-Monthly.xlsx"
    rows = []
    for as_of, picked in (("2025-07", ["Gold"]), ("2024-09", ["Palm oil", "Sunflower oil"])):
        args = ["--input", pink, "--as-of", as_of, "--all"]
        for name in picked:
            args += ["--series", name]
        result = run(*args)
        assert result.exit_code == 0, result.output
        rows += shown_rows(result.stdout)
    assert len(rows) == 3 and all(len(row) == 2 for row in rows)
    for (alps_value, alps_said), (ipa_value, ipa_said) in rows:
        assert shown_band(alps_value, "alps") == alps_said, (alps_value, alps_said)
        assert shown_band(ipa_value, "ipa") == ipa_said, (ipa_value, ipa_said)


def test_alerts_show_a_price_far_below_its_usual_level_as_low(shared_data):
    """Viet Nam 5 % rice (ALPS -1.56) and chicken (-2.17) in November 2025 read "normal"."""
    pink = shared_data / "worldbank" / "CMO-Historical-Data-Monthly.xlsx"
    args = ["--input", pink, "--as-of", "2025-11", "--series", "Rice, Viet", "--series", "Chicken"]
    rows = json.loads(run(*args, "--all", "--json").stdout)["series"]
    assert len(rows) == 2
    for row in rows:
        assert row["alps_low"] == (row["alps"] < ALPS_LOW)
        assert row["alps_band"] == alps_band([row["alps"]])[0]  # WFP's band, kept as WFP's
    low = [row for row in rows if row["alps_low"]]
    assert low, "both were more than 1 standard deviation below their usual level"
    # Listed without --all: a low price is news, as an unusually low IPA is.
    table = run(*args).stdout
    for row in low:
        assert f"{format_indicator(row['alps'], 'alps')} low" in table
    assert f"{format_indicator(low[0]['alps'], 'alps')} normal" not in table


def test_the_alerts_chart_names_its_latest_value_on_its_bands_side():
    """Gold's ALPS 0.9758 was titled "Latest: 1.0 (stress)"."""
    from forecast.plots.alerts import alerts_chart

    dates = pd.date_range("2020-01-01", periods=4, freq="MS")
    for last in (0.9758, 0.2472, 1.96, 1.04, 2.01):
        frame = pd.DataFrame({"date": dates, "alps": [0.1, -0.5, 0.6, last]})
        fig = alerts_chart(frame, title="Gold")
        title = fig.axes[0].get_title(loc="right")
        value, band = re.match(r"Latest: (\S+) \((\w+)\)", title).groups()
        assert band == alps_band([last])[0]
        assert alps_band([float(value.replace("−", "-"))])[0] == band, title
        import matplotlib.pyplot as plt

        plt.close(fig)
    # Far below its usual level: named low, as the table and the bulletin name it.
    frame = pd.DataFrame({"date": dates, "alps": [0.1, -0.5, 0.6, -1.56]})
    for lang, low in (("en", "low"), ("vi", "thấp")):
        fig = alerts_chart(frame, title="Rice", lang=lang)
        assert fig.axes[0].get_title(loc="right").split("(")[1].startswith(f"{low})")
        plt.close(fig)


def test_alps_reads_a_new_unit_as_the_forecast_does():
    """A review: prices written per kg after years per 10 kg (tenfold below, with the
    month's own move: 9.7 times) scored ALPS 'crisis' on the trend fitted across the
    fall. The score is fitted on the prices joined as the forecast joins them, the same as
    on the prices in one unit throughout; the fitted price is told in each price's unit."""
    one_unit = monthly("2019-01-01", 72, seed=3)
    written = one_unit.copy()
    new_unit = written["date"] >= "2024-07-01"
    written.loc[new_unit, "price"] = written.loc[new_unit, "price"] / 10 * 1.03
    joined = alps(written).set_index("date")
    # In one unit throughout, the month of the change moved by nothing (as the join takes it).
    same = written.copy()
    step = same.loc[new_unit, "price"].iloc[0] / same.loc[~new_unit, "price"].iloc[-1]
    same.loc[~new_unit, "price"] *= step
    expected = alps(same).set_index("date")
    np.testing.assert_allclose(joined["alps"], expected["alps"], atol=1e-9)
    assert (joined["band"] == expected["band"]).all()
    assert joined["alps"].abs().max() < 3  # no crisis from the unit
    before = joined.loc[joined.index < "2024-07-01"]
    np.testing.assert_allclose(before["price"], written.loc[~new_unit, "price"].to_numpy())
    assert (before["fitted"] / before["price"]).between(0.7, 1.4).all()  # in its own unit


def test_alps_does_not_join_a_jump_only_the_latest_price_shows():
    """A review: a latest price typed with a slipped zero (88,320 among prices of 9,200)
    was joined as a new unit, the history scaled up to it, and read "low". A jump only the
    latest price shows stays a price (a crisis); one a second price confirms is joined."""
    prices = monthly("2020-01-01", 49, seed=5)
    prices.loc[prices.index[-1], "price"] *= 9.6
    latest = alps(prices).iloc[-1]
    assert latest["band"] == "crisis" and latest["alps"] > 3, latest
    confirmed = monthly("2020-01-01", 50, seed=5)
    confirmed.loc[confirmed.index[-2:], "price"] /= 9.6  # two prices in the new unit
    assert abs(alps(confirmed).iloc[-1]["alps"]) < 2.5
