"""``auto``: per series, backtest candidate models, combine the best, calibrate the intervals.

What ``AutoForecaster.fit`` does with one series
------------------------------------------------
1. Backtests every candidate on ``n_windows`` rolling origins ``step`` periods apart, each
   forecasting ``horizon`` periods; the last window ends on the last price. All candidates
   share the same cutoffs (:func:`forecast.backtest.cutoffs`), so their scores compare.
   The commands fit it for ``fitted_steps(h)`` periods to forecast ``h``: at least 12, so a
   shorter forecast is the start of the longer one.
2. Ranks the candidates by mean MASE over the windows, keeps the ``top_k`` best and weights
   them by inverse MASE shrunk toward equal weights by ``shrink`` (``combine="inverse_mase"``),
   or takes their plain mean or median. Combining beats picking: on a few windows the best
   model is often best by luck, and on crop prices every candidate is close to a random walk.
3. Refits the kept candidates on the whole series and combines their log forecasts.
4. Calibrates the intervals by conformal prediction (see :func:`conformal_widths`).

Calibration
-----------
A series' last few backtest windows cover two years at most, and reusing the windows that
chose the weights flatters the combination: intervals read off those errors alone covered
86 % instead of 95 % on our design set. So the per-step scores are the absolute log errors of
the last-price forecast at *every* cutoff of the last ``calibration_window`` periods (cheap:
no fitting), and the split-conformal quantile of those, per horizon step, is rescaled to the
combination by ``sqrt(ratio)``, ``ratio`` being the root mean square error of the combination
over that of the last price on the shared backtest windows. The square root shrinks a noisy,
optimistic ratio toward 1. Steps with too few scores (short series) pool the steps with a
``sqrt(step)`` scaling, as for a random walk; steps beyond ``horizon`` extend that way too.
Every range holds the last price: a price that sat still for months has mostly zero errors,
and a narrow band around a combination drifted off the last price would claim it must move.

Fallback chain
--------------
A batch never dies because one series is odd. In order:

1. A candidate that fails on any backtest window (an exception, or a non-finite forecast),
   or whose final fit fails, is dropped with a note; the weights of the rest are renormalised.
2. A series too short to backtest (``MIN_TRAIN`` prices before a cutoff plus ``horizon``
   after it) combines, with equal weights, every candidate it is long enough for that fits:
   there is no backtest to weight them, and on short series the plain combination of the
   default three beat each of them (see "Short histories" in benchmarks/RESULTS.md).
   Its ranges are conformal too, from the last price's past errors as above with no ratio
   (there is no backtest to measure one), pooled with those of its kin when given
   (``kin_errors``: the same commodity in other markets, see :mod:`forecast.kin`), when
   there are at least ``MIN_FALLBACK_SCORES`` of them and they are not all zero; otherwise
   the members' own ranges, combined in logs as the point is (weighted mean, or median).
   On a few years of history a model's own Gaussian ranges are too sure of themselves:
   Theta's held 72 % of prices at 95 % on the benchmark's held-out years cut to their last
   8-30 prices.
3. A series where every candidate was dropped gets the first model of ``FALLBACK_CHAIN``
   (``theta``, then ``naive``) that it is long enough for and that fits, calibrated as in 2.
4. ``naive`` needs two prices; with fewer, ``fit`` raises ``ValueError`` like every model.

Every step taken is written to ``explain_["notes"]``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from forecast.backtest import Windows, cutoffs, resolve_models
from forecast.errors import UsageError
from forecast.metrics import mase_scale
from forecast.models import make_model
from forecast.models.base import (
    JUMP_AT,
    SPIKE_TIMES,
    Forecaster,
    normal_quantile,
    season_length,
)

#: Default candidates: the last price, ETS without seasonal terms (simple or damped trend,
#: AICc) and Theta (deseasonalised when a test finds seasonality), all on log prices. Drift,
#: seasonal naive, seasonal ETS and ARIMA were tried and left out: no more accurate on our
#: design set, and slower (see benchmarks/RESULTS.md).
DEFAULT_CANDIDATES = ("naive", ("ets", {"seasonal": False}), "theta")
#: Models tried, in order, when every candidate failed.
FALLBACK_CHAIN = ("theta", "naive")
#: Fewest prices before a backtest cutoff: two seasons, so seasonal candidates can be fitted
#: and a score is not pure noise.
MIN_TRAIN = 24
#: A move from one price to the next this many times or more is a typo or a new currency
#: unit, not a price move (see last_price_errors): the models' own rule.
TYPO_JUMP = JUMP_AT
#: A price this many times its neighbours on both sides is a typo (see _spikes).
SPIKE = 3.0
#: Fewest reference errors a horizon step needs for its own conformal quantile.
MIN_SCORES = 20
#: Fewest last-price errors (all steps) that calibrate the ranges of a series too short to
#: backtest: five observed prices give ten.
MIN_FALLBACK_SCORES = 10
COMBINES = ("inverse_mase", "mean", "median")
#: Fewest steps ``auto`` backtests and calibrates, however few are asked for: the weights,
#: the backtest ratio and the growth of the ranges past the measured steps all depend on
#: the steps measured, so a 3-month forecast (a bulletin's) gave next month another
#: forecast and a range up to 8 % apart from the 12-month one's (``cropcast forecast``'s
#: default) on the same prices. Fitted for at least this many, the first steps agree.
LEAST_FITTED_STEPS = 12


def fitted_steps(horizon: int) -> int:
    """The steps ``auto`` is fitted for to forecast ``horizon``: at least
    ``LEAST_FITTED_STEPS``, so that a shorter forecast is the start of the longer one."""
    return max(int(horizon), LEAST_FITTED_STEPS)


#: Periods over which steady inflation is judged and its drift measured (two years).
INFLATION_WINDOW = 24
#: Steady inflation: a mean log change of at least this a period (2 %, about 27 % a year) ...
INFLATION_RATE = 0.02
#: ... that many standard errors above zero: a regime, not a few jumps.
INFLATION_T = 3.0
#: Fewest commodities (with monthly series) of a currency that tell its inflation from one
#: commodity's boom.
INFLATION_SERIES = 3
#: A series tells of its currency's inflation now when its last price is within this many
#: months of the currency's latest.
INFLATION_CURRENT = 12


def steady_inflation(y: pd.Series) -> float | None:
    """The mean log change of the last ``INFLATION_WINDOW`` periods when prices rose steadily
    and fast over them (hyperinflation: Lebanon 2020-23, Sudan, Zimbabwe), else ``None``.

    Such a series is a trend in logs that every default candidate lags: Theta draws its
    drift through calm years too, a damped trend damps it, the last price stays put. On 48
    simulated series at 3-10 % a month, the 80 % ranges held 52 % of the next year's prices.
    A commodity boom rises as steadily (cocoa 2023-24, palm oil 2021-22) and then busts:
    ``auto`` adds a drift only when the prices of its currency rose so too
    (``currency_inflation``, see :func:`currency_inflation`), which a boom's do not.
    """
    from forecast.models.base import season_length

    if season_length(y) != 12:  # the rates are a month's: weekly prices are not judged
        return None
    recent = np.log(y.to_numpy(dtype=float))[-(INFLATION_WINDOW + 1) :]
    if np.isfinite(recent).sum() < INFLATION_WINDOW:  # a gap or so allowed, not half a window
        return None
    changes = np.diff(recent)  # a gap leaves NaN: the moves of the months with prices
    changes = changes[np.isfinite(changes)]
    mean, sd = float(changes.mean()), float(changes.std(ddof=1))
    if mean < INFLATION_RATE or mean < INFLATION_T * sd / math.sqrt(len(changes)):
        return None
    return mean


def currency_inflation(prices: pd.DataFrame) -> dict[str, float]:
    """Per currency: the median over its commodities of the median, over each one's monthly
    series still priced (a price in the ``INFLATION_CURRENT`` months to the currency's
    latest), of each series' mean log change a month over its last ``INFLATION_WINDOW``
    months with prices. What a currency's inflation does to all its prices, where one
    commodity's boom moves only its own; a currency with fewer than ``INFLATION_SERIES``
    such commodities cannot tell the two apart and gets none."""
    from forecast.table import KEY

    priced = prices[prices["price"] > 0].sort_values([*KEY, "date"], kind="stable")
    recent = priced.groupby(list(KEY), observed=True, sort=False).tail(INFLATION_WINDOW + 1)
    ends = recent.groupby(list(KEY), observed=True, sort=False).agg(
        first=("price", "first"),
        last=("price", "last"),
        count=("price", "count"),
        start=("date", "first"),
        end=("date", "last"),
    )
    months = (ends["end"].dt.year - ends["start"].dt.year) * 12 + (
        ends["end"].dt.month - ends["start"].dt.month
    )
    # Monthly series with prices in most months: a change per month, not per price (a
    # market reporting every fourth month would read four times its inflation).
    steps = ends["count"] - 1
    # Only series still priced: a market that stopped years ago tells of its own years, and
    # in a WFP file half the series may have (Sri Lanka's: 51 of its 100 longest).
    # "Now" is the latest end among the series that can tell (one new price of a short or
    # weekly series must not make every long one stale and hide the inflation).
    ends = ends[(ends["count"] >= INFLATION_WINDOW) & (months >= steps) & (months <= 2 * steps)]
    currency = ends.index.get_level_values(KEY.index("currency"))
    latest = ends["end"].groupby(currency).transform("max")
    ends = ends[ends["end"] >= latest - pd.DateOffset(months=INFLATION_CURRENT)]
    rates = np.log(ends["last"] / ends["first"]) / months[ends.index]
    # A commodity's markets first: four coconut markets in a boom are one commodity's word,
    # and made Sri Lanka's rupee "inflate" 2.8 % a month beside one rice series.
    # Varieties are one commodity: WFP's "Rice (white)" and "Rice (red nadu)" are rice.
    names = pd.Index(rates.index.get_level_values(KEY.index("commodity")).astype(str))
    base = names.str.split("(").str[0].str.split(",").str[0].str.strip().str.casefold()
    by_commodity = rates.groupby(
        [rates.index.get_level_values(KEY.index("currency")), base]
    ).median()
    grouped = by_commodity.groupby(level=0)
    return {
        str(c): float(r)
        for (c, r), n in zip(grouped.median().items(), grouped.size(), strict=True)
        if n >= INFLATION_SERIES
    }


def can_backtest(y: pd.Series, horizon: int) -> bool:
    """Whether ``auto`` (with its default windows) has a backtest window for ``y``:
    ``MIN_TRAIN`` observed prices before a cutoff ``horizon`` periods before its end."""
    return bool(cutoffs(y, Windows(horizon=int(horizon), n_windows=1), min_train=MIN_TRAIN))


def enough_moves(errors: np.ndarray) -> bool:
    """Whether past price moves (log errors, NaN for none) can calibrate conformal ranges
    without a backtest: ``MIN_FALLBACK_SCORES`` of them at least, and not all zero."""
    scores = np.abs(np.asarray(errors, dtype=float))
    scores = scores[np.isfinite(scores)]
    return len(scores) >= MIN_FALLBACK_SCORES and bool(scores.any())


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The split-conformal quantile of non-negative ``scores`` at ``level`` percent.

    The ``ceil((n + 1) L / 100)``-th smallest score covers a new exchangeable score with
    probability at least ``L`` %. When ``n`` is too small for that rank, a Gaussian bound on
    the root mean square, never below the largest score, stands in.
    """
    scores = np.sort(np.asarray(scores, dtype=float)[np.isfinite(scores)])
    n = len(scores)
    if n == 0:
        return float("nan")
    rank = math.ceil((n + 1) * float(level) / 100)
    if rank <= n:
        return float(scores[rank - 1])
    rms = float(np.sqrt(np.mean(scores**2)))
    return max(normal_quantile(0.5 + float(level) / 200) * rms, float(scores[-1]))


def last_price_errors(y: pd.Series, horizon: int, window: int) -> np.ndarray:
    """Log errors of the last-price forecast, cutoffs x steps (NaN where a price is missing).

    Cutoffs are the last ``window`` periods whose price is observed; only pairs of observed
    prices count, since interpolated ones would make the errors look smaller than they are,
    and none across a tenfold jump between two prices (``TYPO_JUMP``).
    """
    logy = np.log(y.to_numpy(dtype=float))
    n = len(logy)
    positions = np.arange(max(0, n - 1 - window), n - 1)
    errors = np.full((len(positions), horizon), np.nan)
    # A tenfold move from one price to the next is a typo or a new currency unit (even
    # hyperinflation moves a few tens of percent a month): a move across it is no price
    # move a range should cover, and one such move in a short series, or in its kin's pool,
    # stretched every range to a tenth and ten times the price.
    filled = logy[np.maximum.accumulate(np.where(np.isnan(logy), 0, np.arange(n)))]  # ffill
    steps = np.diff(filled, prepend=np.nan)
    jumps = np.cumsum(np.nan_to_num(np.abs(steps)) >= np.log(TYPO_JUMP) - 1e-9)
    spikes = _spikes(logy)
    for s in range(1, horizon + 1):
        targets = positions + s
        ok = targets < n
        errors[ok, s - 1] = logy[targets[ok]] - logy[positions[ok]]
        reach = np.minimum(targets, n - 1)
        across = (jumps[reach] > jumps[positions]) | spikes[reach] | spikes[positions]
        errors[ok & across, s - 1] = np.nan
    return errors


def _spikes(logy: np.ndarray) -> np.ndarray:
    """Prices ``SPIKE`` times or more above (or below) both the median of the three prices
    before and of the three after: "460.000" among weeks of "46.000", and the gap filled on
    its way back. A new level (a new currency unit) is near one side's median, not a spike."""
    before = _median_of_three_before(logy)
    after = _median_of_three_before(logy[::-1])[::-1]
    up, down = logy - before, logy - after
    far = np.log(SPIKE)
    return ((up >= far) & (down >= far)) | ((up <= -far) & (down <= -far))


def _median_of_three_before(logy: np.ndarray) -> np.ndarray:
    """Per price, the median of the observed ones among the three before it (NaN if none),
    as pandas' ``shift(1).rolling(3, min_periods=1).median()`` gives it, in numpy: that
    took 1.2 ms a series, most of a kin pool's build (1,442 series a horizon)."""
    n = len(logy)
    windows = np.lib.stride_tricks.sliding_window_view(
        np.concatenate([np.full(3, np.nan), logy]), 3
    )[:n]
    ordered = np.sort(windows, axis=1)  # NaN last
    observed = np.count_nonzero(~np.isnan(windows), axis=1)
    two = (ordered[:, 0] + ordered[:, 1]) / 2
    return np.where(observed == 3, ordered[:, 1], np.where(observed == 2, two, ordered[:, 0]))


def conformal_widths(
    errors: np.ndarray,
    levels: Sequence[float],
    h: int,
    offset: int = 0,
    scale: float = 1.0,
    further: bool = False,
) -> np.ndarray:
    """Half-widths on the log scale, ``h x len(levels)``, from per-step errors.

    Parameters
    ----------
    errors
        Log errors, rows = cutoffs, column ``s - 1`` = ``s`` steps ahead (NaN: none).
    levels
        Interval levels in percent.
    h
        Forecast steps wanted.
    offset
        Periods between the last price and the end of the series (trailing gap): forecast
        step ``j`` is ``j + offset`` periods after the last price.
    scale
        Multiplies every width (the combination's error relative to the errors given).
    further
        Also cap the steps that no measured step precedes by the errors of the further
        steps (see :func:`_scaled_tail`): for a single price, whose errors are all its
        kin's. Not for a series' own short history, whose longer errors come from a few
        overlapping windows of one stretch: there the full cap under-covered (``short.py``'s cuts,
        95 % ranges of auto without kin: 86.7 % to 83.8 %, interval score +9 %).

    Steps with at least ``MIN_SCORES`` errors get their own conformal quantile. The others,
    and steps beyond the last column, grow from the furthest step before them that has its
    own, by the square root of the steps (``w(a) * sqrt(s / a)``); with no such step, from
    the pooled quantile of ``|error| / sqrt(step)``, times ``sqrt(step)``. Growing from the
    furthest measured step, not from the pool (which its many one-step errors dominate),
    keeps a price that swings back (vegetables: a glut, then a shortage) from a 12-month
    range of its one-month swing times sqrt(12): on the design set's short series (Sri Lanka
    WFP, 2,091 held-out years) it cut the interval score at steps 7-12 by 10 % (80 %) and
    16 % (95 %), covering 83 % and 91 % there (86 % and 93 % before). Where such a step
    has ``MIN_FALLBACK_SCORES`` errors of its own, their quantile (never below the furthest
    measured step's) caps that growth, and steps past it grow from it: on the design set's
    Sri Lanka series not in the default data (944 held-out years, ranges around the last
    price), it changed the ranges of 23, whose interval score fell 10 % (80 %) and 26 %
    (95 %), covering 93 % and 96 % there (95 % and 100 % before); the rest are unchanged.
    Past the furthest measured step, the errors of the steps beyond it, pooled with the
    ``sqrt(step)`` scaling, cap that growth when they are ``MIN_FALLBACK_SCORES`` or more
    (see :func:`_scaled_tail`, which says why the cap is shrunk); with ``further``, the
    steps before any measured one are capped so too. Measured on the Sri Lanka WFP file cut
    at six dates from June 2023 (a month after 1,000 markets opened) to June 2024, every
    series forecast 12 months and scored on the prices that came (70,961; a design set:
    the benchmarks' held-out years were not looked at): coverage 82.7 % and 93.9 % at 80
    and 95 % (83.3 % and 94.0 % before), interval score 3.3 % and 11.9 % lower, 95 %
    ranges wider than 100 times (top over bottom) 537 where they were 1,686; on the July
    2023 cut (two prices a series) 19 % lower at 95 %, and on single prices 27 % (90.3 %
    and 97.7 % inside, 92.2 % and 98.2 % before). The full cap scored lower still (-5.0 %
    and -17.0 %) but made some series' ranges too narrow. ``benchmarks/short.py``'s cuts
    of the default data moved within 0.2 % (interval score) and 0.1 point (coverage); the
    accuracy benchmark's series measure every step and are unchanged.
    Widths never narrow with the step and are nested across levels.
    """
    asked = len(levels)
    levels = [*levels, *(a for a in NESTING_ANCHORS if a not in levels)]  # see nested
    n_steps = errors.shape[1]
    steps = np.arange(1, h + 1) + offset
    root = np.sqrt(np.arange(1, n_steps + 1))
    pooled = np.abs(errors) / root
    counts = np.isfinite(errors).sum(axis=0)
    measured = np.flatnonzero(counts >= MIN_SCORES) + 1
    tail = np.cumsum(counts[::-1])[::-1]  # errors at steps t and on
    widths = np.zeros((h, len(levels)))
    for i, level in enumerate(levels):
        base = conformal_quantile(pooled.ravel(), level)
        own = {int(a): conformal_quantile(np.abs(errors[:, a - 1]), level) for a in measured}
        # Beyond the furthest measured step, a step with a few errors of its own caps the
        # growth with their quantile (never below that step's): a price that swings back (a
        # glut, then a shortage) moved no further in 12 months than in 4, and the 95 % range
        # of Dambulla's carrots, one glut at step 4 grown by sqrt(3), was 5 to 3,742 around
        # 139. Steps past those grow from the last one capped.
        anchors = dict(own)
        if len(measured):
            a = int(measured[-1])
            for s in range(a + 1, n_steps + 1):
                if counts[s - 1] >= MIN_FALLBACK_SCORES:
                    mine = conformal_quantile(np.abs(errors[:, s - 1]), level)
                    anchors[s] = min(own[a] * math.sqrt(s / a), max(own[a], mine))
        # Past the furthest measured step, and where no step up to ``s`` is measured, the
        # errors of the further steps, scaled, say how fast the price really spread.
        furthest = int(measured[-1]) if len(measured) else 0
        past = _scaled_tail(pooled, counts, furthest + 1, level) if furthest else None
        for j, s in enumerate(steps):
            before = [a for a in anchors if a <= s]
            if before:
                a = max(before)
                widths[j, i] = anchors[a] * math.sqrt(s / a)  # s == a: its own width
                if past is not None and s > furthest:
                    capped = min(widths[j, i], max(own[furthest], past * math.sqrt(s)))
                    widths[j, i] = math.sqrt(widths[j, i] * capped)  # shrunk: see _scaled_tail
            else:
                capped = base
                # From the furthest step up to s whose steps on hold enough errors.
                held = np.flatnonzero(tail[: min(int(s), n_steps)] >= MIN_FALLBACK_SCORES)
                if further and len(held):
                    capped = min(base, _scaled_tail(pooled, counts, int(held[-1]) + 1, level))
                widths[j, i] = math.sqrt(base * capped) * math.sqrt(s)  # shrunk, as above
    widths = np.nan_to_num(widths) * scale
    widths = np.maximum.accumulate(widths, axis=0)
    return nested(widths, levels)[:, :asked]


#: The levels every other level is nested against (see :func:`nested`): always computed.
NESTING_ANCHORS = (80, 95)


def nested(widths: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Widths (steps x levels) with each level's at least that of each lower level of
    ``NESTING_ANCHORS`` times ``higher / lower`` (1.19 from 80 to 95 %), the 95 % one
    nested first. ``levels`` must hold the anchors.

    Against the anchors alone, not the other levels asked for: nested against the next
    lower level asked, a 50 % range asked beside it widened the 80 % one (78.95-129.74 to
    75.55-135.58), and a range must not depend on which others are shown. Each level keeps
    its own quantile where that is wider; the nested widths still grow with the level.

    Conformal quantiles of a few alike moves (an administered fuel price that moved once,
    by the same step in every market; five one-month moves of a sparse series) are the same
    at 80 and 95 %, and a 95 % range as narrow as the 80 % one claims that no price can
    fall between them. The ratio is what moves spread evenly between none and the largest
    would give, the least-spread case; moves with tails (Gaussian: 1.53, prices' moves: more)
    are left as they are. On the short series of the Sri Lanka file not in the default data
    (60,021 prices in 12-month forecasts from five cuts, June 2023 to June 2024) it moved
    95 % coverage from 89.12 to 89.16 % and its interval score 1 % up (the wider ranges cost
    more than the few prices they caught): the price of ranges that say what they mean.
    """
    anchors = sorted(NESTING_ANCHORS)
    where = {float(level): i for i, level in enumerate(levels)}
    for lower, higher in zip(anchors[:-1], anchors[1:], strict=True):
        low, high = where[float(lower)], where[float(higher)]
        widths[:, high] = np.maximum(widths[:, high], widths[:, low] * higher / lower)
    for i, level in enumerate(levels):
        for anchor in anchors:
            if float(anchor) < float(level):
                floor = widths[:, where[float(anchor)]] * float(level) / anchor
                widths[:, i] = np.maximum(widths[:, i], floor)
    return widths


def _scaled_tail(pooled: np.ndarray, counts: np.ndarray, first: int, level: float) -> float | None:
    """The conformal quantile of the errors at steps ``first`` and on, each divided by the
    square root of its step (``pooled``), when they hold ``MIN_FALLBACK_SCORES`` errors
    together; ``None`` otherwise.

    Grown by ``sqrt(s)``, it caps the width of a step ``s`` that has too few errors of its
    own. A random walk's ``|error| / sqrt(step)`` is alike at every step, but a price whose
    one-month moves are mostly swings that do not add up (a new market's first prices;
    carrots, fish and pumpkins, a glut then a shortage) moved far less in 12 months than
    its one-month moves grown by sqrt(12) claim. Fish in Sri Lanka in July 2023 had 37
    one-month errors up to 0.95 (a thousand markets' first moves) and nine or fewer at each
    later step, none above 0.9: grown from the first, the 95 % range at 12 months was 747
    times wide.

    The cap is shrunk: the width is the geometric mean of the grown one and the capped one
    (as auto shrinks its backtest ratio by a square root). Those further errors are few,
    from overlapping windows of one or two kin's year, and on a random walk they are
    often smaller than its spread by chance: with one kin market of 13 prices, the full
    cap put 48 % of 12-step 95 % widths below 0.7 of the true one, where growing them
    put 18 % and the shrunk cap 37 %. A review found real series it made too narrow
    (pineapples after June 2023: 70 % of prices inside 95 % ranges, 93 % before).
    """
    if first > len(counts) or counts[first - 1 :].sum() < MIN_FALLBACK_SCORES:
        return None
    scaled = pooled[:, first - 1 :].ravel()
    return conformal_quantile(scaled[np.isfinite(scaled)], level)


#: Past moves this one-sided (the share of the furthest measured step's last-price errors
#: above zero) are a drift, not noise around the price: a currency losing its
#: value (Sudan, Zimbabwe, Lebanon: 79-100 % of 12-month moves up in WFP's series, where
#: the default data's series are 43-71 %).
ONE_SIDED = 0.85


def _signed_quantile(errors: np.ndarray, tail: float) -> float:
    """The conformal rank of signed ``errors`` at ``tail`` percent from the bottom: the
    ``ceil((n + 1) t)``-th smallest, the largest when ``n`` is too small for that rank (the
    ranges then span the moves seen, no Gaussian stand-in, which is symmetric)."""
    ordered = np.sort(errors)
    rank = math.ceil((len(ordered) + 1) * tail / 100)
    return float(ordered[min(rank, len(ordered)) - 1])


def one_sided_bounds(
    errors: np.ndarray, levels: Sequence[float], h: int, offset: int = 0
) -> tuple[np.ndarray, np.ndarray] | None:
    """Log bounds around the last price, ``(lower, upper)`` each ``h x len(levels)``, from
    the signed quantiles of the last-price errors per step, when those errors are
    one-sided upwards (``ONE_SIDED``); ``None`` otherwise.

    Symmetric widths around a forecast that lags such a drift put the lower end of a
    Sudanese millet's 12-month 95 % range at a seventh of its price, a fall it never
    made, and its upper end under the prices that came (80 % ranges held 53 % of a
    simulated year). Signed quantiles keep the side the prices moved to: ``(1 - L) / 2`` and
    ``(1 + L) / 2``, each step from its own errors, steps past the furthest with
    ``MIN_SCORES`` of them grown linearly from it (a drift grows with the steps).
    """
    counts = np.isfinite(errors).sum(axis=0)
    measured = np.flatnonzero(counts >= MIN_SCORES) + 1
    if not len(measured):
        return None
    furthest = int(measured[-1])
    moves = errors[:, furthest - 1]
    moves = moves[np.isfinite(moves) & (moves != 0)]
    if not len(moves) or float((moves > 0).mean()) < ONE_SIDED:
        return None  # inflation lifts prices: a price falling in it keeps both sides
    lower, upper = np.zeros((h, len(levels))), np.zeros((h, len(levels)))
    has_own = set(measured.tolist())
    for j, s in enumerate(np.arange(1, h + 1) + offset):
        own = int(s) if int(s) in has_own else furthest
        grow = max(1.0, s / own) if own == furthest else 1.0
        e = errors[:, own - 1]
        e = e[np.isfinite(e)]
        for i, level in enumerate(levels):
            tail = (100 + float(level)) / 2
            upper[j, i] = _signed_quantile(e, tail) * grow
            lower[j, i] = -_signed_quantile(-e, tail) * grow
    return lower, upper


class AutoForecaster(Forecaster):
    """Backtest candidates per series, combine the best, calibrate intervals by conformal.

    Parameters
    ----------
    candidates
        Registry names, or ``(name, params)`` pairs (``("ets", {"seasonal": False})``, labelled
        ``"ets(seasonal=False)"``), or a mapping label -> zero-argument factory returning an
        unfitted model.
    horizon
        Periods each backtest window forecasts, and the steps calibrated one by one.
    n_windows
        Most backtest windows per series (short series get fewer).
    step
        Periods between backtest cutoffs.
    top_k
        How many of the best-scoring candidates are combined.
    combine
        ``"inverse_mase"`` (weights 1 / MASE shrunk toward equal), ``"mean"`` or ``"median"``
        of the kept candidates' log forecasts.
    shrink
        Share of equal weight mixed into inverse-MASE weights (0: pure inverse MASE).
    calibration_window
        Periods of recent history whose last-price errors calibrate the intervals.
    seed
        Passed to candidates given by name that store a ``seed`` (Prophet, GBM).
    kin_errors
        Last-price log errors of the series' kin (the same commodity, price type and
        currency in other markets; ``rows x steps``, see :mod:`forecast.kin`). Used only
        when the series is too short to backtest: pooled with its own errors for the ranges.
    kin_source
        Whose the kin errors are, in words, for ``explain_`` (default: the same commodity,
        price type and currency in other markets).

    Attributes
    ----------
    explain_ : dict
        ``candidates`` (labels scored, best first), ``scores`` (label -> ``mase``, ``smape``,
        ``windows``), ``weights`` (label -> weight, the models used), ``models`` (labels used),
        ``calibration`` (``method``, ``reference_errors``, ``ratio``, ``scale``) and
        ``notes`` (what fell back and why).
    members_ : dict
        Label -> fitted candidate used in the forecast.
    weights_ : dict
        Label -> combination weight (sums to 1).
    """

    name = "auto"
    supports_exog = True
    supports_intervals = True
    #: The end of the fallback chain, naive, needs two prices.
    min_length = 2

    def __init__(
        self,
        candidates: Sequence[str | tuple[str, dict]] | Mapping[str, Callable] = DEFAULT_CANDIDATES,
        horizon: int = 12,
        n_windows: int = 1,
        step: int = 6,
        top_k: int = 3,
        combine: str = "inverse_mase",
        shrink: float = 0.5,
        calibration_window: int = 240,
        seed: int = 0,
        kin_errors: np.ndarray | None = None,
        kin_source: str | None = None,
        currency_inflation: float | None = None,
    ):
        self.candidates = candidates
        self.horizon = horizon
        self.n_windows = n_windows
        self.step = step
        self.top_k = top_k
        self.combine = combine
        self.shrink = shrink
        self.calibration_window = calibration_window
        self.seed = seed
        self.kin_errors = kin_errors
        self.kin_source = kin_source
        self.currency_inflation = currency_inflation

    # -- fit ----------------------------------------------------------------------------------

    def _check_params(self) -> Windows:
        where = "AutoForecaster"
        if self.combine not in COMBINES:
            raise UsageError(f"combine={self.combine!r} is not one of {', '.join(COMBINES)}", where)
        if int(self.top_k) != self.top_k or self.top_k < 1:
            raise UsageError(f"top_k={self.top_k!r} must be a whole number >= 1", where)
        if not 0 <= float(self.shrink) <= 1:
            raise UsageError(f"shrink={self.shrink!r} must be in [0, 1]", where)
        if int(self.calibration_window) != self.calibration_window or self.calibration_window < 1:
            raise UsageError(f"calibration_window={self.calibration_window!r} must be >= 1", where)
        return Windows(horizon=self.horizon, n_windows=self.n_windows, step=self.step)

    def _factories(self) -> dict[str, Callable]:
        """Label -> factory. Names and (name, params) pairs become registry models."""
        if isinstance(self.candidates, Mapping):
            return resolve_models(self.candidates)
        factories = {}
        for entry in self.candidates:
            name, params = (entry, {}) if isinstance(entry, str) else entry
            resolve_models([name])  # an unknown name is a UsageError listing the valid ones
            label = name + (
                "(" + ", ".join(f"{k}={v!r}" for k, v in params.items()) + ")" if params else ""
            )
            if "seed" in make_model(name, **params).get_params():
                params = {"seed": int(self.seed), **params}
            factories[label] = _Candidate(name, dict(params))
        if not factories:
            raise UsageError("no candidates", "AutoForecaster(candidates=...)")
        return factories

    def takes_features(self) -> bool:
        """Whether a candidate fits on exogenous features (harvest intensity); the default
        candidates do not, and features built for them would go unused."""
        return any(factory().supports_exog for factory in self._factories().values())

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        windows = self._check_params()
        self.notes_: list[str] = []
        self.members_, self.weights_, self.scale_ = {}, {}, None
        self.blind_backtest_ = False  # see _combine_fit
        self.last_ = float(np.log(y.dropna().iloc[-1])) if y.notna().any() else float("nan")
        self.calibration_ = {"method": "none yet"}
        self.offset_ = len(y) - 1 - y.index.get_loc(y.last_valid_index())
        from forecast.table import dated  # a month as the notes quote it: "2012-03"

        for when, times in self.joins_:
            self.notes_.append(
                f"prices before {dated(when, y.index)} scaled by {1 / times:.3g} to join those "
                f"after, across a {_fold(times)} then (a new currency unit, a unit change "
                f"or a typo)"
            )
        if self.typos_:
            self.notes_.append(
                f"left out as typos, {SPIKE_TIMES:g}-fold or more from the prices on both "
                f"sides or {TYPO_JUMP:g}-fold from one: "
                f"{', '.join(dated(d, y.index) for d in self.typos_)}"
            )
        factories = self._factories()
        broad = self.currency_inflation is not None and self.currency_inflation >= INFLATION_RATE
        # Ranges keep to the side prices moved to only in a monthly series of a currency
        # losing its value (one_sided_bounds): a commodity's years-long boom ends in a bust.
        self.inflating_ = broad and season_length(y) == 12
        if broad and (rate := steady_inflation(y)) is not None:
            label = f"drift(window={INFLATION_WINDOW})"
            factories[label] = _Candidate("drift", {"window": INFLATION_WINDOW})
            self.notes_.append(
                f"prices rose {100 * math.expm1(rate):.1f} % a period, steadily, over the last "
                f"{INFLATION_WINDOW}, as its currency's did: {label} joins the candidates"
            )
        scores, forecasts, actual, positions = self._backtest(y, X, factories, windows)
        # A window of missing actuals or a flat history leaves MASE undefined: rank it last.
        ranked = sorted(
            scores, key=lambda c: (not np.isfinite(scores[c]["mase"]), scores[c]["mase"])
        )
        if ranked:
            self._combine_fit(y, X, factories, ranked, scores, forecasts, actual, positions)
        elif not positions:
            self._combine_unscored(y, X, factories)
        if not self.members_:
            self._fallback(y, X)
        self._note_fallen_back()
        self.explain_ = {
            "candidates": ranked or [label for label in factories if label in self.members_],
            "scores": scores,
            "weights": dict(self.weights_),
            "models": list(self.members_),
            "calibration": self.calibration_,
            "notes": self.notes_,
        }

    def _backtest(self, y, X, factories, windows):
        """Scores (label -> dict), log forecasts (label -> windows x steps), log actuals
        (windows x steps) and the cutoff positions."""
        n_obs = int(y.notna().sum())
        min_lengths = {label: factory().needs(y) for label, factory in factories.items()}
        usable = [label for label in factories if min_lengths[label] <= n_obs]
        for label in factories.keys() - set(usable):
            self.notes_.append(f"{label}: needs {min_lengths[label]} prices, got {n_obs}; left out")
        need = max([MIN_TRAIN, *(min_lengths[label] for label in usable)])
        positions = [y.index.get_loc(c) for c in cutoffs(y, windows, min_train=need)]
        h = windows.horizon
        if not positions:
            self.notes_.append(
                f"too short to backtest: {n_obs} prices; needs {need} before a cutoff and "
                f"{h} periods after it"
                + (" (auto backtests 12 steps at least)" if h == LEAST_FITTED_STEPS else "")
            )
            return {}, {}, None, []
        logy = np.log(y.to_numpy(dtype=float))
        actual = np.stack([logy[p + 1 : p + 1 + h] for p in positions])
        # MASE scale per window: the in-sample seasonal naive error up to its cutoff.
        scale = np.array(
            [mase_scale(y.iloc[: p + 1].to_numpy(), season_length(y)) for p in positions]
        )
        scores, forecasts = {}, {}
        for label in usable:
            try:
                log_fc = np.stack([self._window(y, X, factories[label], p, h) for p in positions])
            except Exception as exc:  # one failing candidate must not stop the series
                self.notes_.append(
                    f"{label}: dropped, backtest failed ({type(exc).__name__}: {exc})"
                )
                continue
            a, f = np.exp(actual), np.exp(log_fc)
            # A window whose actual prices are all missing, or whose history was flat (no
            # MASE scale), scores NaN and is left out of the mean: one infinite window made
            # every candidate's mean infinite (Urea, flat for four years, then a step),
            # weighting them alike however they did after. All NaN: ranked last.
            with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # "mean of empty slice"
                mase = np.where(scale > 0, np.nanmean(np.abs(a - f), axis=1) / scale, np.nan)
                smape = np.nanmean(200 * np.abs(a - f) / (a + f), axis=1)
                mean_mase, mean_smape = float(np.nanmean(mase)), float(np.nanmean(smape))
            forecasts[label] = log_fc
            scores[label] = {"mase": mean_mase, "smape": mean_smape, "windows": len(positions)}
        return scores, forecasts, actual, positions

    @staticmethod
    def _window(y, X, factory, pos: int, h: int) -> np.ndarray:
        """Log forecast of one candidate fitted on ``y[: pos + 1]``."""
        train = y.iloc[: pos + 1]
        X_train = None if X is None else X.reindex(train.index)
        X_future = None if X is None else X.reindex(y.index[pos + 1 : pos + 1 + h])
        fc = factory().fit(train, X_train).predict(h, X_future, levels=())["forecast"]
        values = fc.to_numpy(dtype=float)
        if not (np.isfinite(values).all() and (values > 0).all()):
            raise ValueError("forecast not finite and positive")
        return np.log(values)

    def _weights(self, ranked, scores) -> dict[str, float]:
        kept = ranked[: int(self.top_k)]
        if self.combine == "inverse_mase":
            inv = np.array([1 / max(scores[label]["mase"], 1e-9) for label in kept])
            # A flat history has no MASE scale (infinite MASE, weight 0 for all): equal.
            if not np.isfinite(inv).all() or inv.sum() <= 0:
                inv = np.ones(len(kept))
            w = (1 - self.shrink) * inv / inv.sum() + self.shrink / len(kept)
        else:
            w = np.full(len(kept), 1 / len(kept))
        return {label: float(v) for label, v in zip(kept, w / w.sum(), strict=True)}

    def _combine_logs(self, logs: list[np.ndarray]) -> np.ndarray:
        stack = np.stack(logs)
        if self.combine == "median":
            return np.median(stack, axis=0)
        return np.tensordot(np.array(list(self.weights_.values())), stack, axes=1)

    def _combine_fit(self, y, X, factories, ranked, scores, forecasts, actual, positions) -> None:
        weights = self._weights(ranked, scores)
        for label in list(weights):
            try:
                self.members_[label] = factories[label]().fit(y, X)
            except Exception as exc:  # the candidate fails, not the series
                self.notes_.append(
                    f"{label}: dropped, final fit failed ({type(exc).__name__}: {exc})"
                )
                weights.pop(label)
        if not weights:
            return
        total = sum(weights.values())
        self.weights_ = {label: w / total for label, w in weights.items()}
        # Calibration: the combination's backtest errors against the last price's on the
        # same windows give the ratio; recent last-price errors give the per-step quantiles.
        combined = self._combine_logs([forecasts[label] for label in self.weights_])
        last = np.log(y.ffill().to_numpy(dtype=float))[positions]
        naive_errors = actual - last[:, None]
        errors = actual - combined
        ok = np.isfinite(naive_errors) & np.isfinite(errors)
        reference = math.sqrt(np.mean(naive_errors[ok] ** 2)) if ok.any() else 0.0
        ratio = math.sqrt(np.mean(errors[ok] ** 2)) / reference if reference > 0 else 1.0
        # The candidates forecast alike in every backtest window (a price flat for years,
        # then a late move): the backtest could not tell them apart, nor say how far apart
        # their readings of today's price may run. See _span_candidates.
        kept = np.stack([forecasts[label] for label in self.weights_])
        self.blind_backtest_ = bool(np.nanmax(np.ptp(kept, axis=0), initial=0.0) < 1e-9)
        self.scale_ = math.sqrt(ratio)
        self.reference_ = last_price_errors(y, actual.shape[1], int(self.calibration_window))
        self.calibration_ = {
            "method": "conformal: last-price log errors per step, times sqrt(ratio)",
            "reference_errors": int(np.isfinite(self.reference_).sum()),
            "ratio": float(ratio),
            "scale": float(self.scale_),
        }
        from forecast.kin import FLAT_TOLERANCE

        moved = np.nan_to_num(np.abs(self.reference_)) > FLAT_TOLERANCE  # log moves: relative
        if self.kin_errors is not None and not moved.any():
            # A price that never moved (an administered price) has no moves of its own to
            # measure; its kin's say what a change may bring. The range still holds it.
            from forecast.kin import LEVELS

            kin = _steps(self.kin_errors, actual.shape[1])
            self.reference_, self.scale_ = np.concatenate([self.reference_, kin]), 1.0
            n_kin = int(np.isfinite(kin).sum())
            self.calibration_.update(
                method="conformal: the kin's last-price log errors (the price never moved)",
                kin_errors=n_kin,
                ratio=1.0,
                scale=1.0,
            )
            source = self.kin_source or LEVELS[0][1]
            self.notes_.append(f"ranges: the price never moved; from {n_kin} kin moves ({source})")

    def _combine_unscored(self, y, X, factories) -> None:
        """Too short to backtest: equal weights on every candidate long enough that fits."""
        n_obs = int(y.notna().sum())
        for label, factory in factories.items():
            model = factory()
            if model.needs(y) > n_obs:
                continue  # _backtest noted it
            try:
                model.fit(y, X)
                values = model.predict(int(self.horizon), levels=())["forecast"].to_numpy()
                if not (np.isfinite(values).all() and (values > 0).all()):
                    raise ValueError("forecast not finite and positive")
            except Exception as exc:  # the candidate fails, not the series
                self.notes_.append(f"{label}: dropped, fit failed ({type(exc).__name__}: {exc})")
                continue
            self.members_[label] = model
        if not self.members_:
            return
        self.weights_ = {label: 1 / len(self.members_) for label in self.members_}
        self.notes_.append(f"no backtest: equal weights on {', '.join(self.members_)}")
        self._calibrate_unscored(y)

    def _fallback(self, y, X) -> None:
        n_obs = int(y.notna().sum())
        for label in FALLBACK_CHAIN:
            model = make_model(label)
            if n_obs < model.needs(y):
                continue
            try:
                self.members_ = {label: model.fit(y, X)}
            except Exception as exc:  # the chain exists for exactly this
                self.notes_.append(f"fallback {label} failed ({type(exc).__name__}: {exc})")
                continue
            self.weights_ = {label: 1.0}
            self.notes_.append(f"fallback: used {label}")
            self._calibrate_unscored(y)
            return
        raise ValueError(f"auto needs at least {self.min_length} prices, got {n_obs}")

    def _calibrate_unscored(self, y) -> None:
        """Conformal ranges without a backtest: the members' own are too narrow when short.

        The series' own last-price errors, and its kin's when given (``kin_errors``).
        """
        h = int(self.horizon)
        own = last_price_errors(y, h, int(self.calibration_window))
        kin = _steps(self.kin_errors, h)
        reference = np.concatenate([own, kin])
        scores = np.abs(reference[np.isfinite(reference)])
        n_kin = int(np.isfinite(kin).sum())
        if not enough_moves(reference):
            if not scores.any():
                why = (
                    "the price never moved"
                    if len(scores)
                    else "no two prices near enough to measure a move"
                )
            else:
                why = f"{len(scores)} past last-price error(s), {MIN_FALLBACK_SCORES} needed"
            self.notes_.append(f"ranges: the models' own ({why})")
            self.calibration_ = {"method": "the models' own ranges (no backtest)"}
            return
        self.reference_, self.scale_ = reference, 1.0
        self.calibration_ = {
            "method": "conformal: last-price log errors per step, no ratio (no backtest)"
            + (", with the kin's" if n_kin else ""),
            "reference_errors": len(scores),
            "kin_errors": n_kin,
            "ratio": 1.0,
            "scale": 1.0,
        }
        from forecast.kin import LEVELS

        source = self.kin_source or LEVELS[0][1]  # the same commodity, in other markets
        kin_note = f" ({n_kin} of them from kin: {source})" if n_kin else ""
        self.notes_.append(
            f"ranges: conformal, from {len(scores)} past last-price errors{kin_note}"
        )

    def _note_fallen_back(self) -> None:
        """Name a kept candidate that fell back to the last price itself (Theta on a price
        that never moved, an ETS forecast that exploded when predicted): --explain gave
        "theta" a third of the weight and not a word that the third was the naive
        forecast's. The weights stand, as the backtest scored them; the note says what
        each one carries."""
        for label, member in self.members_.items():
            why = getattr(member, "fallback_", None)
            note = f"{label}: fell back to naive ({why}), so its weight is the last price's"
            if why and note not in self.notes_:
                self.notes_.append(note)

    # -- predict ------------------------------------------------------------------------------

    def _predict(self, h: int, X_future: pd.DataFrame | None, levels: tuple) -> pd.DataFrame:
        out = self._combine_predictions(h, X_future, levels)
        self._note_fallen_back()  # a member's forecast may have exploded only now
        return out

    def _combine_predictions(
        self, h: int, X_future: pd.DataFrame | None, levels: tuple
    ) -> pd.DataFrame:
        if self.scale_ is None:  # the members' own ranges, combined in logs like the point
            frames = [m.predict(h, X_future, levels) for m in self.members_.values()]
            columns = frames[0].columns
            logs = np.stack([np.log(f[columns].to_numpy(dtype=float)) for f in frames])
            out = pd.DataFrame(np.exp(self._combine_logs(list(logs))), columns=columns)
            return self._hold_last_price(out, levels)
        logs = [
            np.log(member.predict(h, X_future, ())["forecast"].to_numpy(dtype=float))
            for member in self.members_.values()
        ]
        point = self._combine_logs(logs)
        out = pd.DataFrame({"forecast": np.exp(point)})
        widths = conformal_widths(self.reference_, levels, h, self.offset_, self.scale_)
        for i, level in enumerate(levels):
            out[f"lower_{level}"] = np.exp(point - widths[:, i])
            out[f"upper_{level}"] = np.exp(point + widths[:, i])
        if self.blind_backtest_:
            self._span_candidates(out, logs, levels)
        # Only where the currency inflates, as for the drift candidate: a short history
        # that happened to rise is no drift to keep to (the short-history benchmark's
        # interval scores got 2-6 % worse when every one-sided series kept to its side),
        # nor a commodity's years-long boom, which ends in a bust.
        drift = (
            one_sided_bounds(self.reference_, levels, h, self.offset_) if self.inflating_ else None
        )
        if drift is not None:  # the prices (nearly) only rose: keep to that side
            lower, upper = drift
            for i, level in enumerate(levels):
                out[f"lower_{level}"] = np.exp(np.minimum(self.last_ + lower[:, i], point))
                out[f"upper_{level}"] = np.exp(np.maximum(self.last_ + upper[:, i], point))
        return self._hold_last_price(out, levels)

    @staticmethod
    def _span_candidates(out: pd.DataFrame, logs: list[np.ndarray], levels: tuple) -> None:
        """Stretch every range over the candidates' own forecasts, where the backtest was
        blind (the candidates forecast alike in all its windows: the price had not moved).
        A price flat for five years, then 50 % up in its last month: naive said 150, ETS and
        Theta (which read the move as noise) 100, the weights were equal, and the past
        errors, all zero but one, gave the combination (116) a range of no width; held to
        the last price it read 116-150 at 80 and at 95 %, the forecast on its edge. Which
        reading is right, no backtest showed: the range spans both.

        The candidates' span is read as the 80 % range; another level stretches it, each
        side in logs about the forecast, by its normal quantile over 80 %'s (95 %: 1.53
        times), so that 95 % is no longer the same range as 80 % (it was, for every level)."""
        point = np.log(out["forecast"].to_numpy(dtype=float))
        below, above = point - np.min(logs, axis=0), np.max(logs, axis=0) - point
        for level in levels:
            stretch = normal_quantile(0.5 + level / 200) / normal_quantile(0.9)
            low, high = np.exp(point - stretch * below), np.exp(point + stretch * above)
            out[f"lower_{level}"] = np.minimum(out[f"lower_{level}"], low)
            out[f"upper_{level}"] = np.maximum(out[f"upper_{level}"], high)

    def _hold_last_price(self, out: pd.DataFrame, levels: tuple) -> pd.DataFrame:
        """Stretch every range to hold the last price: where a price sat still for months
        most past errors are zero, and a narrow band around a combination that has drifted
        off the last price would claim the price must move."""
        last = math.exp(self.last_)
        for level in levels:
            out[f"lower_{level}"] = np.minimum(out[f"lower_{level}"], last)
            out[f"upper_{level}"] = np.maximum(out[f"upper_{level}"], last)
        return out


def _fold(times: float) -> str:
    """ "100-fold rise" or "1000-fold fall" for a move of ``times``."""
    return f"{times:.3g}-fold rise" if times >= 1 else f"{1 / times:.3g}-fold fall"


def _steps(errors: np.ndarray | None, h: int) -> np.ndarray:
    """``errors`` (rows x steps) with exactly ``h`` step columns: cut, or padded with NaN."""
    errors = np.empty((0, h)) if errors is None else np.asarray(errors, dtype=float)
    if errors.ndim != 2 or not len(errors):
        return np.empty((0, h))
    errors = errors[:, :h]
    return np.pad(errors, ((0, 0), (0, h - errors.shape[1])), constant_values=np.nan)


class _Candidate:
    """A picklable factory ``make_model(name, **params)``."""

    def __init__(self, name: str, params: dict):
        self.name, self.params = name, params

    def __call__(self):
        return make_model(self.name, **self.params)
