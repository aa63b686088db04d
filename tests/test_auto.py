"""``auto``: selection, weights, explain_, the fallback chain, dropped candidates, calibration.

Synthetic series with fixed seeds, so each test knows which candidate ought to win. Cheap
numpy candidates (naive, snaive, drift, window) keep the suite fast where the point is the
orchestration rather than the statistical models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from model_checks import check_estimator, check_forecast_frame

from forecast.auto import (
    FALLBACK_CHAIN,
    AutoForecaster,
    conformal_quantile,
    conformal_widths,
    currency_inflation,
    last_price_errors,
    one_sided_bounds,
    steady_inflation,
)
from forecast.errors import UsageError
from forecast.models import make_model
from forecast.models.base import Forecaster
from forecast.models.simple import Naive

CHEAP = ("naive", "snaive", "drift", "window")


def monthly(values, start: str = "2005-01-01") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq="MS", name="date")
    return pd.Series(np.asarray(values, dtype=float), index=index, name="price")


def seasonal_series(n: int = 120, seed: int = 3, amplitude: float = 0.3) -> pd.Series:
    """A strong yearly swing (30 % in logs) on a nearly flat level: seasonal models must win."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return monthly(
        np.exp(np.log(8000) + amplitude * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.01, n))
    )


def random_walk(n: int = 96, seed: int = 0, sd: float = 0.05) -> pd.Series:
    rng = np.random.default_rng(seed)
    return monthly(np.exp(np.log(100) + np.cumsum(rng.normal(0, sd, n))))


class Exploding(Forecaster):
    """A candidate whose fit always raises, as a statistical library does on odd data."""

    name = "exploding"
    min_length = 2

    def _fit(self, y, X):
        raise np.linalg.LinAlgError("singular matrix")


class RecordsExog(Naive):
    """Naive that remembers the exogenous frames it was given."""

    name = "records_exog"
    supports_exog = True
    seen: list = []

    def _fit(self, y, X):
        RecordsExog.seen.append(X)
        super()._fit(y, None)


def test_battery():
    check_estimator(lambda: AutoForecaster(candidates=CHEAP, n_windows=2), seasonal_series())


def test_seasonal_series_weights_favour_seasonal_models():
    model = AutoForecaster(candidates=CHEAP, n_windows=4, top_k=3).fit(seasonal_series())
    weights = model.explain_["weights"]
    assert sum(weights.values()) == pytest.approx(1.0)
    assert all(w > 0 for w in weights.values())
    assert model.explain_["candidates"][0] == "snaive"
    # The seasonal model is ranked first and weighted most; a flat model is far behind.
    assert max(weights, key=weights.get) == "snaive"
    scores = model.explain_["scores"]
    assert scores["snaive"]["mase"] < 0.5 * scores["naive"]["mase"]


def test_explain_content_and_forecast():
    y = seasonal_series()
    model = AutoForecaster(candidates=CHEAP, n_windows=3, step=1, top_k=2).fit(y)
    explain = model.explain_
    assert set(explain) >= {"candidates", "scores", "weights", "models", "calibration", "notes"}
    assert sorted(explain["candidates"]) == sorted(CHEAP)
    for label in CHEAP:
        assert set(explain["scores"][label]) == {"mase", "smape", "windows"}
        assert explain["scores"][label]["windows"] == 3
    # Scores rank the candidates; the two best are used.
    mase = [explain["scores"][c]["mase"] for c in explain["candidates"]]
    assert mase == sorted(mase)
    assert explain["models"] == explain["candidates"][:2] == list(explain["weights"])
    calibration = explain["calibration"]
    assert calibration["reference_errors"] > 10 * 12
    assert calibration["scale"] == pytest.approx(np.sqrt(calibration["ratio"]))
    assert explain["notes"] == []
    check_forecast_frame(model.predict(12), y, 12)


def test_explain_says_when_a_kept_candidate_fell_back_to_the_last_price():
    """Review: on a price that never moved, --explain gave theta a third of the weight and no
    note, while theta's own forecast had fallen back to naive (naive then carried two
    thirds). A member that fell back, at its fit or when it predicted, is said."""
    y = pd.Series(100.0, index=pd.date_range("2015-01-01", periods=60, freq="MS"))
    model = AutoForecaster(horizon=12).fit(y)
    fell = [label for label, m in model.members_.items() if getattr(m, "fallback_", None)]
    assert fell and set(fell) <= set(model.explain_["weights"])
    for label in fell:
        said = [n for n in model.explain_["notes"] if n.startswith(f"{label}: fell back to naive")]
        assert len(said) == 1 and said[0].endswith("so its weight is the last price's")
    model.predict(12)
    model.predict(12)  # said once, however often it predicts
    assert sum("fell back" in n for n in model.explain_["notes"]) == len(fell)
    # A member that holds its own: nothing said.
    moving = pd.Series(
        100 * np.exp(np.cumsum(np.random.default_rng(3).normal(0, 0.04, 60))), index=y.index
    )
    assert not any(
        "fell back" in n for n in AutoForecaster(horizon=12).fit(moving).explain_["notes"]
    )


def test_median_and_mean_combinations_use_equal_weights():
    y = seasonal_series()
    for combine in ("mean", "median"):
        weights = AutoForecaster(candidates=CHEAP, n_windows=2, combine=combine).fit(y).weights_
        assert list(weights.values()) == pytest.approx([1 / 3] * 3)


def test_too_short_to_backtest_combines_the_candidates_with_equal_weights():
    y = random_walk(10)
    model = AutoForecaster().fit(y)
    labels = ["naive", "ets(seasonal=False)", "theta"]
    assert model.explain_["models"] == labels
    assert model.explain_["weights"] == pytest.approx(dict.fromkeys(labels, 1 / 3))
    notes = " ".join(model.explain_["notes"])
    assert "too short to backtest" in notes and "equal weights on naive" in notes
    fc = model.predict(6, levels=(80, 95))
    # The point forecast is the geometric mean of the members' (a mean in logs).
    members = [make_model("naive"), make_model("ets", seasonal=False), make_model("theta")]
    logs = [np.log(m.fit(y).predict(6)["forecast"].to_numpy()) for m in members]
    np.testing.assert_allclose(fc["forecast"], np.exp(np.mean(logs, axis=0)), rtol=1e-9)
    check_forecast_frame(fc, y, 6)


def test_ranges_without_a_backtest_are_conformal_on_last_price_errors():
    # A jump in a short history: Gaussian ranges average it away, the last price's past
    # errors keep it.
    values = np.exp(np.log(100) + np.cumsum(np.r_[np.full(8, 0.01), 0.4, np.full(7, -0.01)]))
    y = monthly(values)
    model = AutoForecaster(horizon=12).fit(y)
    assert model.explain_["calibration"]["method"].endswith("(no backtest)")
    assert "ranges: conformal, from" in " ".join(model.explain_["notes"])
    fc = model.predict(12, levels=(80, 95))
    widths = conformal_widths(last_price_errors(y, 12, 240), (80, 95), 12)
    np.testing.assert_allclose(np.log(fc["upper_95"] / fc["forecast"]), widths[:, 1], rtol=1e-9)
    np.testing.assert_allclose(np.log(fc["forecast"] / fc["lower_80"]), widths[:, 0], rtol=1e-9)
    own = make_model("theta").fit(y).predict(12, levels=(95,))
    spread, own_spread = fc["upper_95"] / fc["lower_95"], own["upper_95"] / own["lower_95"]
    assert (spread > own_spread).all()
    check_forecast_frame(fc, y, 12)


def test_without_errors_to_learn_from_the_members_own_ranges_are_combined():
    flat = AutoForecaster().fit(monthly(np.full(12, 50.0)))  # every past error is zero
    few = AutoForecaster().fit(random_walk(4))  # six errors, fewer than ten
    for model in (flat, few):
        assert model.scale_ is None
        assert "ranges: the models' own" in " ".join(model.explain_["notes"])
    fc = few.predict(5, levels=(80, 95))
    members = list(few.members_.values())
    assert len(members) == 1  # four prices: only naive is long enough
    pd.testing.assert_frame_equal(fc, members[0].predict(5, levels=(80, 95)))
    check_forecast_frame(fc, random_walk(4), 5)
    np.testing.assert_allclose(flat.predict(3)["forecast"], 50.0, rtol=1e-12)


def _stuck(n_flat: int, then=(55.0,)) -> pd.Series:
    return monthly(np.r_[np.full(n_flat, 50.0), then])


@pytest.mark.parametrize("y", [_stuck(19), _stuck(34), _stuck(39), _stuck(70, (55, 55, 60))])
def test_a_price_stuck_for_months_keeps_its_last_price_inside_every_range(y):
    # Most past errors are zero, so the conformal band is a single price, and the
    # combination (smoothing toward 50) sits off the last price: the range must still hold
    # the last price, not claim the price must move.
    model = AutoForecaster().fit(y)
    fc = model.predict(12, levels=(80, 95))
    last = y.dropna().iloc[-1]
    assert np.isfinite(fc.to_numpy()).all()
    for level in (80, 95):
        assert (fc[f"lower_{level}"] <= last * (1 + 1e-12)).all()
        assert (fc[f"upper_{level}"] >= last * (1 - 1e-12)).all()
    check_forecast_frame(fc, y, 12)


def test_a_flat_history_before_a_late_move_gets_equal_weights_not_nan():
    # Every candidate's MASE is infinite (no in-sample move to scale by): equal weights.
    model = AutoForecaster().fit(_stuck(39))
    assert list(model.weights_.values()) == pytest.approx([1 / 3] * 3)
    assert np.isfinite(model.predict(3).to_numpy()).all()


def test_a_backtest_that_could_not_tell_the_candidates_apart_leaves_each_reading_in_range():
    """Review: a price flat for 59 months, then 50 % up. naive said 150, ETS and Theta (the
    move read as noise) about 100; equal weights gave 116, and past errors all zero but one
    gave it a range of no width: held to the last price, 116-150 at 80 and 95 %, the forecast
    on the edge of its own range and the other reading left out. The range now spans the
    candidates' forecasts wherever the backtest saw them forecast alike."""
    y = pd.Series(
        np.r_[np.full(59, 100.0), [150.0]],
        index=pd.date_range("2015-01-01", periods=60, freq="MS"),
    )
    model = AutoForecaster(horizon=12).fit(y)
    assert model.blind_backtest_
    out = model.predict(12, levels=(80, 95))
    readings = np.stack(
        [m.predict(12, levels=())["forecast"].to_numpy() for m in model.members_.values()]
    )
    for level in (80, 95):
        lower, upper = out[f"lower_{level}"].to_numpy(), out[f"upper_{level}"].to_numpy()
        assert (lower <= readings.min(axis=0) + 1e-9).all() and (upper >= 150 - 1e-9).all()
        assert (lower < out["forecast"].to_numpy()).all()
        assert (out["forecast"].to_numpy() < upper).all()
    assert readings.min() < 105  # the reading that the move was noise: now inside
    # The span is the 80 % range; 95 % is wider on both sides (it was the same range).
    assert (out["lower_95"] < out["lower_80"]).all() and (out["upper_95"] > out["upper_80"]).all()
    log_width = np.log(out["upper_95"] / out["lower_95"]) / np.log(
        out["upper_80"] / out["lower_80"]
    )
    np.testing.assert_allclose(log_width, 1.959964 / 1.281552, rtol=1e-4)
    # One level asked alone reads as it does beside the others.
    pd.testing.assert_frame_equal(
        model.predict(12, levels=(95,)), out[["forecast", "lower_95", "upper_95"]]
    )
    # A series whose candidates the backtest told apart keeps its conformal ranges alone.
    moving = pd.Series(
        100 * np.exp(np.cumsum(np.random.default_rng(5).normal(0, 0.04, 60))), index=y.index
    )
    assert not AutoForecaster(horizon=12).fit(moving).blind_backtest_


def test_the_members_own_ranges_combine_by_the_median_too():
    y = monthly(np.full(12, 50.0))  # no past move: the members' own ranges
    model = AutoForecaster(combine="median").fit(y)
    assert model.scale_ is None and len(model.members_) == 3
    fc = model.predict(4, levels=(80, 95))
    own = [m.predict(4, levels=(80, 95)) for m in model.members_.values()]
    expected = np.exp(np.median([np.log(f.to_numpy()) for f in own], axis=0))
    np.testing.assert_allclose(fc.to_numpy(), expected, rtol=1e-12)


class ForecastsNaN(Forecaster):
    """Fits, then forecasts NaN: must be dropped, as a backtest would drop it."""

    name = "nan"
    min_length = 2

    def _fit(self, y, X):
        pass

    def _predict(self, h, X_future, levels):
        return pd.DataFrame({"forecast": np.full(h, np.nan)})


def test_a_short_series_drops_a_candidate_that_fails_or_forecasts_nan():
    y = random_walk(10)
    candidates = {"naive": Naive, "boom": Exploding, "nan": ForecastsNaN}
    model = AutoForecaster(candidates=candidates).fit(y)
    assert list(model.members_) == ["naive"] and model.explain_["candidates"] == ["naive"]
    notes = " ".join(model.explain_["notes"])
    assert "boom: dropped" in notes and "nan: dropped" in notes
    assert np.isfinite(model.predict(6).to_numpy()).all()


def test_three_prices_end_at_naive():
    y = random_walk(3)
    model = AutoForecaster().fit(y)
    assert model.explain_["models"] == ["naive"]
    assert "equal weights on naive" in " ".join(model.explain_["notes"])
    check_forecast_frame(model.predict(4), y, 4)


def test_one_price_is_refused():
    with pytest.raises(ValueError, match="2"):
        AutoForecaster().fit(random_walk(1))


def test_failing_candidate_is_dropped_not_fatal():
    y = random_walk(80)
    candidates = {"naive": Naive, "boom": Exploding, "drift": lambda: make_model("drift")}
    model = AutoForecaster(candidates=candidates, n_windows=2).fit(y)
    assert "boom" not in model.explain_["scores"] and "boom" not in model.weights_
    assert any(
        note.startswith("boom: dropped") and "LinAlgError" in note
        for note in model.explain_["notes"]
    )
    assert set(model.weights_) == {"naive", "drift"}
    check_forecast_frame(model.predict(12), y, 12)


def test_every_candidate_failing_ends_in_the_fallback_chain():
    y = random_walk(80)
    model = AutoForecaster(candidates={"boom": Exploding}, n_windows=2).fit(y)
    assert model.explain_["models"] == [FALLBACK_CHAIN[0]]
    check_forecast_frame(model.predict(3), y, 3)


def test_exog_reaches_candidates_that_take_it():
    y = random_walk(60)
    X = pd.DataFrame({"harvest_intensity": np.tile([0.0, 0.5, 1.0], 20)}, index=y.index)
    RecordsExog.seen = []
    AutoForecaster(candidates={"rec": RecordsExog, "naive": Naive}, n_windows=2).fit(y, X)
    # Two backtest windows and the final fit, each with X aligned to its training part.
    assert len(RecordsExog.seen) == 3
    assert all(x is not None and x.index.equals(y.index[: len(x)]) for x in RecordsExog.seen)


def test_predict_beyond_the_backtest_horizon():
    y = random_walk(80)
    model = AutoForecaster(candidates=CHEAP, horizon=6, n_windows=3).fit(y)
    frame = model.predict(15)
    check_forecast_frame(frame, y, 15)
    width = np.log(frame["upper_80"] / frame["lower_80"]).to_numpy()
    assert (np.diff(width) >= -1e-12).all(), "intervals must not narrow further out"
    assert width[-1] > width[5]


def test_bad_options_are_usage_errors():
    with pytest.raises(UsageError, match="combine"):
        AutoForecaster(combine="best").fit(random_walk(60))
    with pytest.raises(UsageError, match="top_k"):
        AutoForecaster(top_k=0).fit(random_walk(60))


def test_conformal_quantile_rank_and_small_samples():
    scores = np.arange(1.0, 20.0)  # 19 scores: rank ceil(20 * 0.8) = 16
    assert conformal_quantile(scores, 80) == 16.0
    # 95 % of 19 scores needs rank 19: the largest.
    assert conformal_quantile(scores, 95) == 19.0
    # Too few for the rank: never below the largest error seen.
    assert conformal_quantile(np.array([1.0, 2.0]), 95) >= 2.0


def test_conformal_widths_grow_like_a_random_walk():
    rng = np.random.default_rng(1)
    errors = np.cumsum(rng.normal(0, 0.05, (400, 12)), axis=1)
    widths = conformal_widths(errors, (80, 95), 12)
    assert widths[:, 1] == pytest.approx(widths[:, 1])  # finite
    assert (widths[:, 1] > widths[:, 0]).all()
    # A random walk's 80 % half-width at step s is 1.28 * 0.05 * sqrt(s).
    expected = 1.2816 * 0.05 * np.sqrt(np.arange(1, 13))
    assert widths[:, 0] == pytest.approx(expected, rel=0.15)


def test_a_95_range_is_wider_than_the_80_one_when_past_moves_were_all_alike():
    """Sri Lanka's diesel, an administered price: in every market it moved once, by the same
    23 %, and stood still otherwise. The 80 % and 95 % quantiles of those moves are the same
    move, and both ranges were 77.74 to 117.92 around 95.74 at every step: a 95 % range no
    wider than the 80 % one claims no price can fall between them."""
    errors = np.zeros((120, 12))
    errors[::4] = np.log(117 / 95)  # a quarter of the moves: the one step, all alike
    widths = conformal_widths(errors, (80, 95), 12)
    assert widths[:, 0] == pytest.approx(np.full(12, np.log(117 / 95)))
    assert widths[:, 1] == pytest.approx(widths[:, 0] * 95 / 80)
    # Given in any order, and for any pair of levels: each wider than the one below.
    widths = conformal_widths(errors, (95, 50, 80), 12)
    assert (widths[:, 0] > widths[:, 2]).all() and (widths[:, 2] > widths[:, 1]).all()
    # Moves with tails are left as they are: the Gaussian 95 / 80 ratio is 1.53.
    rng = np.random.default_rng(2)
    normal = conformal_widths(rng.normal(0, 0.1, (400, 12)), (80, 95), 12)
    assert (normal[:, 1] / normal[:, 0]).min() > 1.3


def test_a_levels_range_does_not_depend_on_the_other_levels_asked():
    """A reviewer's paddy: its 80 % range was 78.95-129.74 asked alone or beside 95 %, and
    75.55-135.58 beside a 50 % one, nested against it. Each level is nested against 80 and
    95 % alone, computed whether asked or not."""
    rng = np.random.default_rng(5)
    errors = rng.normal(0, 0.02, (120, 12))
    errors[::3] = 0.2  # a third of the moves alike: the 50 % quantile near the 80 % one
    alone = {level: conformal_widths(errors, (level,), 12)[:, 0] for level in (50, 80, 90, 95)}
    for levels in [(50, 80), (80, 95), (95, 50, 80, 90), (60, 80, 99)]:
        widths = conformal_widths(errors, levels, 12)
        for i, level in enumerate(levels):
            if level in alone:
                assert widths[:, i] == pytest.approx(alone[level], rel=0, abs=0)
        assert (np.diff(widths[:, np.argsort(levels)], axis=1) > 0).all()  # still nested
    assert (alone[95] >= alone[80] * 95 / 80).all() and (alone[90] >= alone[80] * 90 / 80).all()


def test_a_price_that_swings_back_caps_the_growth_of_its_range():
    """Dambulla's carrots: a glut at step 4 (the one step with 20 errors) grown by sqrt(3)
    made a 95 % range of 5 to 3,742 around 139, though no later step ever moved as far.
    Steps with ten errors or more cap the growth; steps past them grow from the last cap."""
    rng = np.random.default_rng(4)
    errors = np.full((26, 12), np.nan)
    for step in range(12):
        n = 26 - 2 * step  # 26, 24, 22, 20 ... 4 errors: fewer the further ahead
        errors[:n, step] = rng.normal(0, 0.3, n)
    errors[0, 3] = 1.9  # the glut: the largest error, at step 4
    assert (np.isfinite(errors).sum(axis=0)[:4] >= 20).all()
    widths = conformal_widths(errors, (80, 95), 12)[:, 1]
    assert widths[3] == pytest.approx(1.9)  # 20 errors: rank 20 of 20 is the largest
    # Steps 5-9 hold 18 to 10 errors, all under the glut: no wider than step 4.
    assert widths[4:9] == pytest.approx(np.full(5, 1.9))
    # Steps 10-12 hold fewer than ten each: they grow from step 9 (1.9 * sqrt(12 / 9)), but
    # steps 5-12 together hold 56 errors, none near the glut, which would keep step 12 at
    # step 4's width: the cap is shrunk, the geometric mean of the two.
    assert widths[11] == pytest.approx(1.9 * (12 / 9) ** 0.25)
    assert (np.diff(widths) >= 0).all()


def test_steps_past_the_furthest_measured_one_grow_no_faster_than_their_own_errors():
    """Fish in Sri Lanka, July 2023: a thousand markets' first moves gave step 1 its 37
    errors, up to 0.95 (a 2.6-fold month); steps 2-10 held nine errors or fewer, none
    above 0.9. Grown from step 1 by sqrt(12), the 95 % range was 747 times wide."""
    rng = np.random.default_rng(5)
    errors = np.full((37, 12), np.nan)
    errors[:, 0] = rng.normal(0, 0.15, 37)
    errors[0, 0] = 0.95
    for step in range(1, 10):
        errors[: 10 - step, step] = rng.uniform(-0.6, 0.6, 10 - step)
    widths = conformal_widths(errors, (80, 95), 12)[:, 1]
    assert widths[0] == pytest.approx(0.95)  # 37 errors: rank 37 of 37, the largest
    pooled = np.abs(errors[:, 1:]) / np.sqrt(np.arange(2, 13))
    cap = conformal_quantile(pooled[np.isfinite(pooled)], 95)
    grown = 0.95 * np.sqrt(12)
    capped = min(grown, max(0.95, cap * np.sqrt(12)))
    assert widths[11] == pytest.approx(np.sqrt(grown * capped))  # the cap, shrunk
    assert widths[11] < grown * 0.75
    assert (np.diff(widths) >= 0).all()
    # A random walk's later errors are as large, scaled: the cap leaves its growth alone.
    walk = np.full((40, 12), np.nan)
    walk[:, 0] = rng.normal(0, 0.1, 40)
    for step in range(1, 10):
        walk[: 10 - step, step] = rng.normal(0, 0.1 * np.sqrt(step + 1), 10 - step)
    grown = conformal_widths(walk, (80, 95), 12)[:, 1]
    assert grown[11] == pytest.approx(grown[0] * np.sqrt(12), rel=0.25)


def test_a_single_prices_kin_errors_grow_as_their_further_steps_did():
    """One kin market's year of swings (Sri Lanka's carrots, June 2023), no step with 20
    errors: grown from all steps pooled by sqrt(12), a 95 % range 2,000 times wide. With
    ``further`` (a single price's kin-only errors) the further steps' errors cap it."""
    logs = np.log(400) + np.resize([0.0, 0.9, -0.2, 0.7, -0.6, 0.3], 13)
    errors = np.full((12, 12), np.nan)
    for cut in range(12):
        for step in range(1, 13 - cut):
            errors[cut, step - 1] = logs[cut + step] - logs[cut]
    plain = conformal_widths(errors, (80, 95), 12)
    capped = conformal_widths(errors, (80, 95), 12, further=True)
    pooled = np.abs(errors) / np.sqrt(np.arange(1, 13))
    base = conformal_quantile(pooled[np.isfinite(pooled)], 95)
    np.testing.assert_allclose(plain[:, 1], base * np.sqrt(np.arange(1, 13)))
    assert capped[0, 1] == pytest.approx(plain[0, 1])  # step 1: every step's errors
    # Step 12: steps 9-12 hold 4 + 3 + 2 + 1 = 10 errors, the fewest a quantile takes.
    tail = pooled[:, 8:]
    further = min(base, conformal_quantile(tail[np.isfinite(tail)], 95))
    expected = np.sqrt(base * further) * np.sqrt(12)  # the cap, shrunk
    assert capped[11, 1] == pytest.approx(max(expected, capped[:11, 1].max()))
    assert capped[11, 1] < plain[11, 1] * 0.7
    assert (np.diff(capped, axis=0) >= 0).all() and (capped[:, 1] >= capped[:, 0]).all()


@pytest.mark.slow
def test_coverage_on_random_walks_in_logs():
    hits = {80: [], 95: []}
    for seed in range(40):
        y = random_walk(108, seed=seed, sd=0.05)
        train, test = y.iloc[:-12], y.iloc[-12:].to_numpy()
        frame = AutoForecaster(candidates=CHEAP).fit(train).predict(12)
        for level in hits:
            inside = (frame[f"lower_{level}"] <= test) & (test <= frame[f"upper_{level}"])
            hits[level].extend(inside)
    assert 0.68 <= np.mean(hits[80]) <= 0.92
    assert 0.86 <= np.mean(hits[95]) <= 0.995


def _lebanon(seed: int = 3) -> pd.Series:
    """Three calm years, then four at 10 % a month: the last price lags such prices."""
    rng = np.random.default_rng(seed)
    steps = np.r_[rng.normal(0, 0.02, 36), 0.10 + rng.normal(0, 0.05, 48)]
    return pd.Series(
        np.exp(np.log(1500) + np.cumsum(steps)),
        index=pd.date_range("2016-01-01", periods=84, freq="MS"),
    )


def test_steady_inflation_is_told_from_calm_prices_and_from_a_few_jumps():
    y = _lebanon()
    assert steady_inflation(y) == pytest.approx(np.diff(np.log(y.to_numpy()))[-24:].mean())
    calm = pd.Series(np.exp(np.cumsum(np.full(84, 0.001))), index=y.index)
    assert steady_inflation(calm) is None
    jumps = pd.Series(np.exp(np.r_[np.zeros(78), np.full(6, np.log(3))]), index=y.index)
    assert steady_inflation(jumps) is None  # three jumps in two years: not a regime


def test_a_drift_joins_only_when_the_currency_inflates_too():
    """A boom in one commodity rises as steadily as hyperinflation, and then busts: the
    drift joins only when the currency's other prices rise alike."""
    y = _lebanon()
    boom = AutoForecaster(currency_inflation=0.004).fit(y)
    hyper = AutoForecaster(currency_inflation=0.08).fit(y)
    assert "drift(window=24)" not in boom.explain_["scores"]
    assert "drift(window=24)" in hyper.explain_["scores"]
    assert any("as its currency's did" in note for note in hyper.explain_["notes"])
    ahead = [float(m.predict(12)["forecast"].iloc[-1]) for m in (boom, hyper)]
    assert ahead[1] > ahead[0] > y.iloc[-1]  # the trend carries on further with the drift


def test_currency_inflation_is_the_median_monthly_series():
    y = _lebanon()
    sparse = y.iloc[::4] * 2  # a market reporting every fourth month: not a month's change
    rows = []
    series = [(y, "LBP"), (y * 1.5, "LBP"), (y * 0.8, "LBP"), (sparse, "LBP"), (y / y, "USD")]
    for i, (values, currency) in enumerate(series):
        rows.append(
            pd.DataFrame(
                {
                    "commodity": f"C{i}",
                    "market": "M",
                    "price_type": "Retail",
                    "unit": "kg",
                    "currency": currency,
                    "date": values.index,
                    "price": values.to_numpy(),
                }
            )
        )
    rates = currency_inflation(pd.concat(rows, ignore_index=True))
    assert rates == {"LBP": pytest.approx(steady_inflation(y))}  # one USD series tells nothing


def test_one_commoditys_boom_in_many_markets_is_no_currency_inflation():
    """Four coconut markets rising together beside one rice series made Sri Lanka's rupee
    "inflate" 2.8 % a month: a commodity's markets speak once."""
    y = _lebanon()
    rows = [
        pd.DataFrame(
            {
                "commodity": commodity,
                "market": market,
                "price_type": "Retail",
                "unit": "kg",
                "currency": "LKR",
                "date": values.index,
                "price": values.to_numpy(),
            }
        )
        for commodity, market, values in [
            *[("Coconut", f"M{i}", y * (1 + i / 10)) for i in range(4)],
            ("Rice", "M0", y / y * 200),
        ]
    ]
    assert currency_inflation(pd.concat(rows, ignore_index=True)) == {}
    # Varieties are one commodity: WFP's "Rice (white)", "Rice (red nadu)" ...
    varieties = [
        frame.assign(commodity=f"Rice ({kind})")
        for frame, kind in zip(rows[:4], ["white", "red nadu", "long grain", "samba"], strict=True)
    ]
    flat = [rows[4].assign(commodity=name) for name in ("Lentils", "Sugar")]
    assert currency_inflation(pd.concat([*varieties, *flat], ignore_index=True)) == {
        "LKR": pytest.approx(0.0)
    }


def test_currency_inflation_counts_only_the_series_still_priced():
    """Markets that stopped years ago (as half a WFP file's have) do not outvote the ones
    priced now: four flat series ending in 2012 beside three inflating to 2023."""
    inflating = _lebanon()
    assert inflating.index[-1] >= pd.Timestamp("2022-01-01")
    stale = pd.Series(500.0, index=pd.date_range("2008-01-01", "2012-12-01", freq="MS"))
    rows = [
        pd.DataFrame(
            {
                "commodity": f"C{i}",
                "market": "M",
                "price_type": "Retail",
                "unit": "kg",
                "currency": "LBP",
                "date": values.index,
                "price": values.to_numpy(),
            }
        )
        for i, values in enumerate([inflating, inflating * 2, inflating * 3, *[stale] * 4])
    ]
    rates = currency_inflation(pd.concat(rows, ignore_index=True))
    assert rates == {"LBP": pytest.approx(steady_inflation(inflating))}
    # The stale ones alone still tell their own years (no current series to prefer).
    assert currency_inflation(pd.concat(rows[3:], ignore_index=True)) == {"LBP": 0.0}
    # One later price of a series too short to tell (a new depot file) changes nothing.
    one = rows[0].iloc[:1].assign(commodity="New", date=pd.Timestamp("2024-02-01"))
    assert currency_inflation(pd.concat([*rows, one], ignore_index=True)) == rates


def test_steady_inflation_is_a_months_not_a_weeks():
    weekly = pd.Series(
        np.exp(np.cumsum(np.full(120, 0.03))),
        index=pd.date_range("2020-01-06", periods=120, freq="W-MON"),
    )
    assert steady_inflation(weekly) is None


def test_drift_over_a_window_follows_the_recent_trend():
    from forecast.models.simple import Drift

    y = _lebanon()
    recent = Drift(window=24).fit(y)
    assert recent.drift_ == pytest.approx(np.log(y.iloc[-1] / y.iloc[-25]) / 24)
    assert Drift().fit(y).drift_ < recent.drift_  # the calm years pull the whole-history one
    with pytest.raises(ValueError, match="window"):
        Drift(window=1).fit(y)


def test_a_typo_is_no_price_move_for_the_ranges():
    """'460.000' among weeks of '46.000' (and a filled gap on its way back), and a new
    currency unit: no move across them calibrates a range, which they stretched to a tenth
    and ten times the price, of the series and of every series taking it as kin."""
    typo = pd.Series(np.log([46000, 46500, 460000, 147000, 47000, 47500, 48000]))
    errors = last_price_errors(pd.Series(np.exp(typo)), 2, 10)
    assert np.nanmax(np.abs(errors)) < np.log(1.1)
    assert np.isfinite(errors[0, 0]) and np.isnan(errors[1, 0]) and np.isnan(errors[2, 0])
    new_unit = pd.Series([5000.0, 5100, 5200, 5.3, 5.4, 5.5])
    moves = last_price_errors(new_unit, 3, 10)
    assert np.nanmax(np.abs(moves)) < np.log(1.1) and np.isfinite(moves).sum() == 6


def test_spikes_are_found_as_pandas_rolling_medians_find_them():
    """_spikes compares each price with the medians of the (observed) three before and after
    it, in numpy since pandas' rolling median took most of a kin pool's build: the same
    answer as pandas', gaps and short ends included."""
    from forecast.auto import SPIKE, _median_of_three_before, _spikes

    rng = np.random.default_rng(11)
    found = 0
    for _ in range(400):
        n = int(rng.integers(1, 30))
        logy = np.cumsum(rng.normal(0, 0.6, n))
        logy[rng.random(n) < rng.random() * 0.6] = np.nan
        values = pd.Series(logy)
        before = values.shift(1).rolling(3, min_periods=1).median()
        after = values[::-1].shift(1).rolling(3, min_periods=1).median()[::-1]
        np.testing.assert_array_equal(_median_of_three_before(logy), before.to_numpy())
        up, down, far = values - before, values - after, np.log(SPIKE)
        spikes = ((up >= far) & (down >= far)) | ((up <= -far) & (down <= -far))
        np.testing.assert_array_equal(_spikes(logy), spikes.to_numpy())
        found += int(spikes.sum())
    assert found > 0  # the draws hold spikes, not only calm walks


def _inflating(rate: float, n: int = 120, seed: int = 3) -> pd.Series:
    rng = np.random.default_rng(seed)
    logs = np.log(100) + np.cumsum(rate + 0.04 * rng.standard_normal(n))
    return pd.Series(np.exp(logs), index=pd.date_range("2014-01-01", periods=n, freq="MS"))


def test_ranges_of_prices_that_only_rose_keep_to_that_side():
    """A currency losing 3 % a month: symmetric widths around a forecast lagging the drift
    put the 12-month 95 % range's lower end at a fraction of the price, a fall never seen,
    and its upper end under the prices to come."""
    y = _inflating(0.03)
    errors = last_price_errors(y, 12, 240)
    lower, upper = one_sided_bounds(errors, (80, 95), 12)
    assert (upper > lower).all() and (lower[-1] > 0).all()  # the whole range above today
    fc = make_model("auto", horizon=12, currency_inflation=0.03).fit(y).predict(12, levels=(80, 95))
    last = float(y.iloc[-1])
    assert (fc["lower_95"] >= last * 0.85).all() and fc["lower_95"].iloc[-1] == pytest.approx(last)
    assert fc["upper_95"].iloc[-1] > last * np.exp(12 * 0.03)  # the drift's path is inside
    assert (fc["lower_95"] <= fc["lower_80"]).all() and (fc["upper_80"] <= fc["upper_95"]).all()
    assert (fc["lower_80"] <= fc["forecast"]).all() and (fc["forecast"] <= fc["upper_80"]).all()
    # A price that moves both ways keeps symmetric ranges; so does one commodity's long rise
    # in a currency that does not inflate (a boom ends in a bust).
    assert one_sided_bounds(last_price_errors(_inflating(0.0), 12, 240), (80, 95), 12) is None
    # Inflation lifts prices: one falling in it keeps both sides (its upper end was pinned).
    assert one_sided_bounds(last_price_errors(_inflating(-0.03), 12, 240), (80, 95), 12) is None
    boom = make_model("auto", horizon=12, currency_inflation=0.001).fit(y).predict(6, levels=(95,))
    point = np.log(boom["forecast"])
    below, above = point - np.log(boom["lower_95"]), np.log(boom["upper_95"]) - point
    assert np.allclose(below, above)
    # Three years of an inflating currency: the 95 % range spans the moves seen, never a
    # Gaussian stand-in spread as far below the price as above (it reached 0.31x).
    short = make_model("auto", horizon=12, currency_inflation=0.04).fit(_inflating(0.04, n=40))
    ranges = short.predict(12, levels=(80, 95))
    worst = float(np.exp(np.nanmin(last_price_errors(_inflating(0.04, n=40), 12, 240)[:, -1])))
    assert ranges["lower_95"].iloc[-1] >= 0.999 * min(worst, 1) * _inflating(0.04, n=40).iloc[-1]


def test_windows_with_a_flat_history_are_left_out_of_the_scores_not_made_infinite():
    """One window whose history never moved (no MASE scale) made every candidate's mean
    MASE infinite, so they were weighted alike however they did in the other windows."""
    rng = np.random.default_rng(11)
    moving = 50 * np.exp(np.cumsum(rng.normal(0.0, 0.04, 20)))
    y = monthly(np.concatenate([np.full(36, 50.0), moving]))
    model = AutoForecaster(n_windows=3, step=6).fit(y)
    scores = model.explain_["scores"]
    assert all(np.isfinite(s["mase"]) for s in scores.values()), scores
    assert len(set(round(w, 6) for w in model.weights_.values())) > 1


@pytest.mark.slow
def test_a_shorter_forecast_is_the_start_of_the_longer_one():
    """Next month's forecast and range do not depend on how many months are asked for: a
    bulletin's 3-month outlook and ``cropcast forecast``'s 12 months agree on their first
    three. Real series: long ones, one too short to backtest (it takes kin), and one cut to
    30 prices, which a 3-step backtest window fits and a 12-step one does not."""
    from forecast.datasets import load_default_prices
    from forecast.forecasting import ForecastSpec, forecast_prices
    from forecast.table import KEY

    every = load_default_prices()
    markets = ["Dong Thap", "Bac Lieu", "Jaffna", "world"]
    chosen = every[every["market"].isin(markets) & every["commodity"].str.startswith(("R", "C"))]
    white = every[every["commodity"] == "Rice (white)"].sort_values("date").tail(30)
    white = white.assign(market="Colombo (last 30 prices)")
    prices = pd.concat([chosen, white], ignore_index=True)
    assert white["price"].notna().sum() == 30
    kin = pd.concat([every, white], ignore_index=True)

    def run(horizon):
        spec = ForecastSpec(horizon=horizon, use_calendar=False)
        return forecast_prices(prices, spec, engine="local", kin_prices=kin).forecasts

    three = run(3).set_index([*KEY, "date"])
    twelve = run(12).set_index([*KEY, "date"]).loc[three.index]
    assert three.index.get_level_values("market").nunique() == len(markets) + 1
    pd.testing.assert_frame_equal(three, twelve, rtol=1e-12)


def test_explain_names_a_fivefold_typo_by_its_month():
    """A review: --explain said "left out as typos, tenfold from the prices on both sides:
    2022-07-01" of a price 5.2 times its neighbours, a month a WFP file writes 2022-07-15."""
    months = pd.date_range("2018-01-01", periods=60, freq="MS")
    rng = np.random.default_rng(3)
    y = pd.Series(50 * np.exp(np.cumsum(rng.normal(0, 0.02, 60))), index=months, name="price")
    y.iloc[40] = y.iloc[39] * 5.2
    notes = make_model("auto", horizon=12).fit(y).explain_["notes"]
    said = [note for note in notes if note.startswith("left out as typos")]
    assert said == [
        f"left out as typos, 5-fold or more from the prices on both sides or "
        f"8-fold from one: {months[40]:%Y-%m}"
    ], notes
