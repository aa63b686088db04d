"""The model interface every forecaster follows (scikit-learn conventions, absorbed).

* ``__init__`` stores keyword arguments only; checks happen in ``fit``.
* ``fit(y, X=None) -> self``: one series, a price Series on a regular DatetimeIndex (with a
  ``freq``), possibly with NaN gaps. ``X`` holds exogenous features on the same index.
* ``predict(h, X_future=None, levels=(80, 95)) -> DataFrame`` indexed by the ``h`` next period
  starts, with ``forecast`` and ``lower_<L>``/``upper_<L>`` per level, in price units.
* Learned state ends in ``_``. ``predict`` before ``fit`` raises ``NotFittedError``.
* Capabilities are declared as class attributes, never guessed.
* Prices are modelled in logs and back-transformed at the end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

from forecast.checks import check_horizon, check_levels
from forecast.errors import NotFittedError


def fill_log(y: pd.Series) -> pd.Series:
    """Log prices with interior gaps filled by linear interpolation (log space), edges trimmed.

    Models need a complete series; interpolating in logs keeps the fill between its
    neighbours in percent terms.
    """
    logy = np.log(y.astype(float))
    first, last = logy.first_valid_index(), logy.last_valid_index()
    if first is None:
        return logy.iloc[0:0]
    logy = logy.loc[first:last]
    return logy.interpolate(method="linear", limit_area="inside")


#: A move this many times (or this fraction) from one price to the next is a new currency
#: unit, a unit change or a typo, not a price move (see join_jumps) ...
JUMP_TIMES = 10.0
#: ... give or take the period's own move: a unit change comes with one (a price per kg
#: after years per 10 kg, in a month prices rose 3 %, is 9.7 times below the one before,
#: and was not joined: "-90 % vs last year"). So a move of ``JUMP_AT`` times or more is one.
#: Of the 37,077 one-step moves of the real files in ../shared/data none lies between 7
#: and 10 times; 8 lie between 4 and 7.
JUMP_SLACK = 1.25
JUMP_AT = JUMP_TIMES / JUMP_SLACK
#: ... when the two prices are at most this many days apart. Across a longer gap a rise
#: that large may be inflation (Sudan's sugar: 10 % a month for 42 months); a tenfold fall
#: never is.
JUMP_WITHIN_DAYS = 366


#: A jump must also be this many times the series' typical move over the periods it spans:
#: prices rising 35 % a month (Zimbabwe, 2008) move twelvefold over nine months without one.
JUMP_RATE_TIMES = 3.0


#: A single price this many times above (or below) the prices on both sides of it, which
#: agree, is a typo too, though neither move reaches tenfold: 451.000 among weeks of 47.000
#: (9.6 times) skewed the forecast above the last price, and a bulletin held it back (it
#: holds back three times, where other markets did not move alike). In the real files of
#: ../shared/data (1,500 series, Sri Lanka's vegetables among them) no price stands even 4
#: times apart from both neighbours; two stand 3.1 and 3.4 times apart (cowpeas, cabbage).
SPIKE_TIMES = 5.0


def tenfold_moves(observed: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """For a series' observed prices (no NaN, dates ascending): which steps from one price to
    the next are jumps (``len - 1`` booleans) and which prices are typos (``len``).

    A jump moves ``JUMP_AT`` times or more; a rise only within ``JUMP_WITHIN_DAYS`` and by
    ``JUMP_RATE_TIMES`` the series' typical move (the median absolute log move per period,
    of the moves under tenfold) over the periods between, or more. A typo is a price a jump away on
    one side whose neighbours on both sides agree (within a factor of sqrt(10)) while it
    stands apart from each by at least as much: 19,180 between 1,900 and 1,940; or a price
    ``SPIKE_TIMES`` or more from both neighbours, the same way, which agree within
    sqrt(``SPIKE_TIMES``): 451,000 between 47,000 and 48,000.
    """
    n = len(observed)
    if n < 2:
        return np.zeros(max(n - 1, 0), bool), np.zeros(n, bool)
    logs = np.log(observed.to_numpy(dtype=float))
    step = np.diff(logs)
    days = np.diff(observed.index.to_numpy()) / np.timedelta64(1, "D")
    periods = np.maximum(days / max(float(np.median(days)), 1.0), 1.0)
    far = np.log(JUMP_AT) - 1e-9
    rates = (np.abs(step) / periods)[np.abs(step) < far]  # the jumps' own would count too
    typical = float(np.median(rates)) if len(rates) else 0.0
    # A rise may be inflation: within a year, and beyond the series' own pace; a tenfold
    # fall never is (onions at 69 ouguiya, then 5.4 after two years: a new unit).
    rise = (days <= JUMP_WITHIN_DAYS) & (step >= JUMP_RATE_TIMES * typical * periods)
    jump = (np.abs(step) >= far) & ((step < 0) | rise)
    typo = np.zeros(n, bool)
    if n >= 3:
        before, after = step[:-1], step[1:]
        apart = np.minimum(np.abs(before), np.abs(after))
        agree = np.abs(before + after)
        turns = np.sign(before) != np.sign(after)
        typo[1:-1] = (
            (jump[:-1] | jump[1:]) & turns & (agree <= np.log(JUMP_TIMES) / 2) & (apart >= agree)
        ) | ((apart >= np.log(SPIKE_TIMES) - 1e-9) & turns & (agree <= np.log(SPIKE_TIMES) / 2))
    return jump, typo


def join_jumps(
    y: pd.Series,
) -> tuple[pd.Series, list[tuple[pd.Timestamp, float]], list[pd.Timestamp]]:
    """``y`` with its tenfold jumps (see :func:`tenfold_moves`) joined: the joined series,
    the joins made (first date after, the move's factor) and the dates of single-price
    typos left out.

    Without it a model sees the jump as a price move: ETS and Theta smooth the log level
    across it, and a last price a hundredth of the one before was forecast at 2.5 times
    itself, a blend of two currencies. Joined, the prices before a jump are scaled to the
    prices after it, so the forecast starts from the last price, the new level, and learns
    its moves from the whole history; the step across the jump becomes zero, since what the
    price did then is unknown. A typo (13500 among 135s) is left out (a gap, which the
    models fill), and its neighbours' move kept.
    """
    factors, joins, spikes = _join_factors(y)
    if spikes:
        y = y.copy()
        y.loc[spikes] = np.nan
    return (y * factors).rename(y.name), joins, spikes


def jump_factors(y: pd.Series) -> pd.Series:
    """What each price of ``y`` is multiplied by to join its tenfold jumps as
    :func:`join_jumps` does (1 where there is none), typos kept: price alerts and a
    bulletin's changes compare prices across a new currency unit as the forecast does (a
    price per kg and one per 10 kg compared read "+900 %", and "crisis").

    A jump only the latest price shows is not joined: that is more often a slipped zero
    than a new unit (forecasts and bulletins hold such a price back), and alerts, which
    score every price, read 88,320 among prices of 9,200 as "low", the history scaled to
    it. A second price at the new level confirms it."""
    return _join_factors(y, latest=False)[0]


def _join_factors(y: pd.Series, latest: bool = True) -> tuple[pd.Series, list, list]:
    """:func:`join_jumps`' factors over ``y``'s index (a typo takes the next price's), its
    joins and its typos; ``latest=False``: a jump into the last price is left unjoined."""
    observed = y.dropna()
    jump, typo = tenfold_moves(observed)
    spikes = list(observed.index[typo])
    if spikes:
        observed = observed.drop(spikes)
        jump, _ = tenfold_moves(observed)
    if not latest and len(jump):
        jump[-1] = False
    if not jump.any():
        return pd.Series(1.0, index=y.index), [], spikes
    step = np.diff(np.log(observed.to_numpy(dtype=float)))
    # Each price moves by every jump after it: the sum of those steps, from the end.
    shift = np.append(np.cumsum((step * jump)[::-1])[::-1], 0.0)
    factors = pd.Series(np.exp(shift), index=observed.index).reindex(y.index).bfill()
    joins = [(observed.index[i + 1], float(np.exp(step[i]))) for i in np.flatnonzero(jump)]
    return factors.fillna(1.0), joins, spikes


def future_index(y: pd.Series, h: int) -> pd.DatetimeIndex:
    """The ``h`` period starts after the last date of ``y``."""
    freq = y.index.freq or pd.infer_freq(y.index)
    if freq is None:
        raise ValueError("series index has no regular frequency")
    return pd.date_range(y.index[-1], periods=h + 1, freq=freq)[1:]


def period_kind(freq) -> str | None:
    """'monthly', 'weekly' or 'daily' for a pandas frequency of one month, one week or
    seven days, or one day; ``None`` for any other (quarters, fortnights, hours)."""
    from pandas.tseries import offsets

    if freq is None:
        return None
    offset = pd.tseries.frequencies.to_offset(freq)
    if isinstance(offset, offsets.MonthBegin | offsets.MonthEnd) and offset.n == 1:
        return "monthly"
    if isinstance(offset, offsets.Week) and offset.n == 1:
        return "weekly"
    if isinstance(offset, offsets.Day) and offset.n in (1, 7):
        return "weekly" if offset.n == 7 else "daily"
    return None


def check_price_series(y: object, model: str, kinds: Sequence[str]) -> pd.Series:
    """Refuse, with what to do, a ``y`` that ``fit`` would otherwise fit wrongly or fail on
    deep inside a model: not one Series, dates out of order or twice, dates that are not one
    a period, prices that are not positive numbers.

    Daily prices were fitted with a season of 12 (days), quarterly ones with 12 quarters.
    Returns ``y``, its numbers held as objects made floats.
    """
    if not isinstance(y, pd.Series):
        got = type(y).__name__
        hint = " (pick its price column, e.g. df['price'])" if isinstance(y, pd.DataFrame) else ""
        raise TypeError(f"y must be one pandas Series of prices, got a {got}{hint}")
    if not isinstance(y.index, pd.DatetimeIndex):
        raise TypeError("y must have a DatetimeIndex (the dates of its prices)")
    if y.dtype == object:  # numbers held as objects (a column built row by row) are fine
        with contextlib.suppress(TypeError, ValueError):
            y = y.astype(float)
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        raise TypeError(
            f"y's prices must be numbers, got dtype {y.dtype}: convert them first, e.g. "
            "pd.to_numeric(y)"
        )
    if y.index.has_duplicates:
        twice = y.index[y.index.duplicated()][0]
        raise ValueError(
            f"y has more than one price dated {twice:%Y-%m-%d}: give one price per period "
            "(e.g. y.groupby(level=0).median())"
        )
    if not y.index.is_monotonic_increasing:
        raise ValueError("y's dates are not in order: sort them first, y.sort_index()")
    values = y.to_numpy(dtype=float)
    if np.isinf(values).any():
        raise ValueError("prices must be finite: y holds an infinite price")
    if (values[~np.isnan(values)] <= 0).any():
        raise ValueError("prices must be positive: y holds a price of zero or less")
    freq = y.index.freq or (pd.infer_freq(y.index) if len(y) >= 3 else None)
    kind = period_kind(freq)
    if len(y) >= 3 and kind not in kinds:
        taken = " or ".join(f"{k} ({PERIOD_STARTS[k]})" for k in kinds)
        on = (
            "MS" if y.index.is_month_start.all() else
            "W-MON" if (y.index.day_of_week == 0).all() else None
        )  # fmt: skip
        if freq is None and on is not None:  # period starts with periods left out
            grid = pd.date_range(y.index[0], y.index[-1], freq=on)
            raise ValueError(
                f"y has {len(y):,} of the {len(grid):,} periods from {y.index[0]:%Y-%m-%d} to "
                f"{y.index[-1]:%Y-%m-%d}: {model} takes every period, a missing price as "
                f"NaN: y.asfreq('{on}')"
            )
        what = (
            f"{kind} prices" if kind else
            f"dates {', '.join(f'{d:%Y-%m-%d}' for d in y.index[:3])}, ..."
        )  # fmt: skip
        raise ValueError(
            f"{model} takes {taken} prices, one a period with gaps as NaN, and y has {what}: "
            "put them on period starts, e.g. y.resample('MS').mean() (weeks: 'W-MON')"
        )
    return y


#: Where each kind of period starts, as the data contract dates it.
PERIOD_STARTS = {"monthly": "month starts", "weekly": "Mondays", "daily": "days"}


def check_features(X: object, dates: pd.DatetimeIndex) -> None:
    """``X`` must be a DataFrame with a row for every date ``y`` has a price on: a model
    joins it on the dates, and an ``X`` indexed 0..n-1 (or a year off) was dropped without
    a word."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame of features, got a {type(X).__name__}")
    missing = dates.difference(X.index)
    if len(missing):
        raise ValueError(
            f"X has no row for {len(missing):,} of y's {len(dates):,} priced dates (the first "
            f"{missing[0]:%Y-%m-%d}): give X on y's dates, e.g. X.reindex(y.index)"
        )


def season_length(y: pd.Series) -> int:
    """12 for monthly data, 52 for weekly."""
    freq = y.index.freqstr or pd.infer_freq(y.index) or ""
    return 52 if freq.startswith("W") else 12


def normal_quantile(p: float) -> float:
    """The standard normal quantile. The standard library's, not scipy.stats': importing
    that costs most of a second in every worker process, and per-series jobs need nothing
    else from it."""
    return NormalDist().inv_cdf(float(p))


def normal_intervals(
    mean_log: np.ndarray, sd_log: np.ndarray, levels: Sequence[float], index: pd.DatetimeIndex
) -> pd.DataFrame:
    """Forecast frame from a Gaussian predictive distribution on the log scale.

    The point forecast is the median (exp of the log mean): for a farmer "the middle of the
    range" is the honest summary, and it keeps quantiles consistent.
    """
    out = pd.DataFrame({"forecast": np.exp(mean_log)}, index=index)
    for level in levels:
        z = normal_quantile(0.5 + float(level) / 200)
        out[f"lower_{level}"] = np.exp(mean_log - z * sd_log)
        out[f"upper_{level}"] = np.exp(mean_log + z * sd_log)
    return out


class Forecaster:
    """Base class: shared checks; subclasses implement ``_fit`` and ``_predict``."""

    #: Registry name.
    name: str = ""
    #: Accepts exogenous features ``X`` / ``X_future``.
    supports_exog: bool = False
    #: Produces prediction intervals.
    supports_intervals: bool = True
    #: Fewest observed (non-NaN) points ``fit`` needs.
    min_length: int = 2
    #: Fits the series with its tenfold jumps joined (:func:`join_jumps`).
    joins_jumps: bool = True
    #: The kinds of period (see :func:`period_kind`) ``fit`` takes: a season is 12 months
    #: or 52 weeks; other periods have none the models know.
    frequencies: tuple[str, ...] = ("monthly", "weekly")

    def needs(self, y: pd.Series) -> int:
        """Fewest observed prices ``fit`` needs for a series like ``y`` (its frequency may
        matter: a seasonal model needs a season plus one, 13 months or 53 weeks)."""
        return int(self.min_length)

    def get_params(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def fit(self, y: pd.Series, X: pd.DataFrame | None = None):
        name = self.name or type(self).__name__
        y = check_price_series(y, name, self.frequencies)
        n_obs = int(y.notna().sum())
        if n_obs < self.min_length:
            raise ValueError(f"{name} needs at least {self.min_length} prices, got {n_obs}")
        if X is not None and self.supports_exog:
            check_features(X, y.index[y.notna().to_numpy()])
        self.joins_, self.typos_ = [], []
        if self.joins_jumps:
            y, self.joins_, self.typos_ = join_jumps(y)
        self.y_ = y
        self.freq_ = y.index.freq or pd.infer_freq(y.index)
        self._fit(y, X if self.supports_exog else None)
        self.fitted_ = True
        return self

    def predict(
        self, h: int, X_future: pd.DataFrame | None = None, levels: Sequence[float] = (80, 95)
    ) -> pd.DataFrame:
        if not getattr(self, "fitted_", False):
            raise NotFittedError(f"{type(self).__name__} is not fitted", fix="Call fit(y) first")
        h = check_horizon(h)
        levels = check_levels(levels)
        out = self._predict(h, X_future if self.supports_exog else None, levels)
        out.index = future_index(self.y_, h)
        out.index.name = "date"
        return out

    # Subclasses implement these.
    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:  # pragma: no cover
        raise NotImplementedError

    def _predict(
        self, h: int, X_future: pd.DataFrame | None, levels: tuple
    ) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError
