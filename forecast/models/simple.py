"""Benchmark forecasters: naive, seasonal naive, drift and window average.

They are the yardsticks every other model must beat, and the fallback when a statistical
fit fails, so they are pure numpy (no statsmodels) and fit in microseconds.

The module also holds the few helpers the statistical families share: the log history with
its trailing gap, and the guard against exploding forecasts.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pandas as pd

from forecast.models.base import (
    Forecaster,
    fill_log,
    future_index,
    normal_intervals,
    season_length,
)

#: A forecast that moves more than this factor away from the last price within the guard
#: horizon is treated as a failed fit (no crop price goes x10 or /10 by the model's say-so).
GUARD_FACTOR = 10.0
#: Months (periods) over which statistical fits are checked for explosion at fit time.
GUARD_HORIZON = 60
#: For series whose steady move carries them past GUARD_FACTOR within GUARD_HORIZON: how
#: much further (in logs) than that move a forecast may go (see guard_limit).
GUARD_MARGIN = 1.5
#: What a statsmodels fit raises on data it cannot handle (singular matrices, degenerate
#: series); the caller then tries a simpler specification or the naive fallback.
FIT_ERRORS = (
    ValueError,
    IndexError,
    ZeroDivisionError,
    OverflowError,
    FloatingPointError,
    np.linalg.LinAlgError,
)


def single_threaded(user_api: str = "blas") -> contextlib.AbstractContextManager:
    """Limit BLAS (or, with ``user_api="openmp"``, OpenMP) to one thread while a model fits.

    State-space matrices here are tiny, so BLAS threads only add overhead; with several
    series fitted in parallel processes they oversubscribe the CPUs and made SARIMAX fits
    5-10x slower in our measurements.
    """
    controller = _controller()
    if controller is None:  # pragma: no cover - threadpoolctl is a declared dependency
        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api=user_api)


_made: list = []  # [(modules loaded when it was made, controller)]


def _controller():
    """This process's threadpoolctl controller, made again only after new imports.

    ``threadpool_limits(...)`` builds a new controller on every call, and that reads
    ``/proc/self/maps`` and inspects every loaded library: 2 ms a fit, 1.3 s of a 100-series
    run (657 fits), mostly in the kernel. A controller knows the libraries loaded when it
    was made, so one is reused until a module was imported since (scikit-learn brings its
    own OpenMP, statsmodels scipy's own OpenBLAS).
    """
    import sys

    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover
        return None
    if not _made or _made[0][0] != len(sys.modules):
        _made[:] = [(len(sys.modules), ThreadpoolController())]
    return _made[0][1]


def log_history(y: pd.Series) -> tuple[pd.Series, int]:
    """Gap-filled log prices and the number of periods between the last price and the end.

    A series may end in NaN (no price reported for the last months) while the forecast dates
    still start after its last index date, so a model must forecast ``offset`` extra steps and
    drop them.

    Returns
    -------
    tuple of (pandas.Series, int)
        Log prices from the first to the last observed price, interior gaps interpolated,
        and the count of trailing NaN periods.
    """
    logy = fill_log(y)
    offset = len(y) - 1 - y.index.get_loc(logy.index[-1])
    return logy, int(offset)


def observed_log_changes(y: pd.Series, lag: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Log changes between consecutive observed prices and the periods each one spans.

    Interpolated values would make the changes inside a gap artificially smooth and shrink
    the volatility estimate, so gaps are used as one change spanning several periods.
    With ``lag > 1`` (seasonal differences) only pairs observed exactly ``lag`` apart count.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        Changes and their spans in periods.
    """
    logy = np.log(y.to_numpy(dtype=float))
    if lag == 1:
        pos = np.flatnonzero(np.isfinite(logy))
        return np.diff(logy[pos]), np.diff(pos).astype(float)
    change = logy[lag:] - logy[:-lag]
    change = change[np.isfinite(change)]
    return change, np.full(change.shape, float(lag))


def guard_limit(logy: pd.Series) -> float:
    """How far (in log) a forecast may move from the last price before it counts as exploded.

    ``GUARD_FACTOR`` (tenfold), or, for a series whose prices rose (or fell) steadily, the
    way their steady move would carry them over ``GUARD_HORIZON`` periods, half as far again
    (``GUARD_MARGIN``): the median yearly change of its last ``GUARD_HORIZON`` periods, per
    period, times ``GUARD_HORIZON``. Hyperinflation (Lebanon's prices rose about 10 % a
    month for years) is a trend the prices showed, not a model's whim, and a tenfold guard
    left such forecasts at the last price while prices went on rising. A median, because a one-off
    jump (a kept typo, a new currency unit) is not a trend and must not open the guard.
    """
    values = np.asarray(logy, dtype=float)[-(GUARD_HORIZON + 1) :]
    limit = float(np.log(GUARD_FACTOR))
    # Year-on-year changes: prices that rise in steps (35 % every third month) have a median
    # monthly change of 0, but not a median yearly one; a one-off jump is in a few of them.
    lag = 12 if len(values) > 24 else 1
    changes = values[lag:] - values[:-lag]
    changes = changes[np.isfinite(changes)]
    if not len(changes):
        return limit
    steady = abs(float(np.median(changes))) / lag * GUARD_HORIZON
    return max(limit, GUARD_MARGIN * steady)


def guard_text(limit: float) -> str:
    """'[last/10, last*10]' for a limit of log(10): the band the guard keeps forecasts in."""
    factor = f"{math.exp(limit):.3g}"
    return f"[last/{factor}, last*{factor}]"


def within_guard(path_log: np.ndarray, last_log: float, limit: float | None = None) -> bool:
    """Whether a log forecast path is finite and stays within ``limit`` (default: the log of
    ``GUARD_FACTOR``; see :func:`guard_limit`) of the last log price."""
    path_log = np.asarray(path_log, dtype=float)
    limit = float(np.log(GUARD_FACTOR)) if limit is None else limit
    return bool(
        np.isfinite(path_log).all() and np.abs(path_log - last_log).max(initial=0.0) <= limit
    )


def frame_is_finite(frame: pd.DataFrame) -> bool:
    """Whether every forecast and bound is finite and positive."""
    values = frame.to_numpy(dtype=float)
    return bool(np.isfinite(values).all() and (values > 0).all())


def _rms(values: np.ndarray, ddof: int = 0) -> float:
    values = np.asarray(values, dtype=float)
    if values.size <= ddof:
        return 0.0
    return float(np.sqrt(np.sum(values**2) / (values.size - ddof)))


class Naive(Forecaster):
    """The last price, carried forward.

    Intervals treat log prices as a random walk: the sd of monthly log changes times
    ``sqrt(steps ahead)``.

    Attributes
    ----------
    last_log_ : float
        Log of the last observed price.
    sigma_ : float
        Random-walk sd of one-period log changes.
    offset_ : int
        Trailing periods without a price.
    """

    name = "naive"
    min_length = 2

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        logy, self.offset_ = log_history(y)
        self.last_log_ = float(logy.iloc[-1])
        change, span = observed_log_changes(y)
        # A gap of g periods is one change with variance g * sigma^2: scale it back.
        self.sigma_ = _rms(change / np.sqrt(span))

    def _predict(self, h: int, X_future: pd.DataFrame | None, levels: tuple) -> pd.DataFrame:
        steps = np.arange(1, h + 1) + self.offset_
        mean = np.full(h, self.last_log_)
        return normal_intervals(
            mean, self.sigma_ * np.sqrt(steps), levels, future_index(self.y_, h)
        )


class SeasonalNaive(Forecaster):
    """The price one season (12 months, 52 weeks) earlier.

    Intervals use the sd of seasonal log differences times ``sqrt(k)``, ``k`` the number of
    seasons ahead, as for a seasonal random walk.

    Attributes
    ----------
    season_ : int
        Season length in periods.
    last_season_ : numpy.ndarray
        Log prices of the last full season (gaps interpolated).
    sigma_ : float
        Sd of seasonal log differences.
    offset_ : int
        Trailing periods without a price.
    """

    name = "snaive"
    #: One monthly season plus one; weekly series need 53 (see ``needs``).
    min_length = 13

    def needs(self, y: pd.Series) -> int:
        return season_length(y) + 1

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        m = season_length(y)
        n_obs = int(y.notna().sum())
        logy, self.offset_ = log_history(y)
        if n_obs < m + 1:
            raise ValueError(f"{self.name} needs at least {m + 1} prices, got {n_obs}")
        self.season_ = m
        self.last_season_ = logy.to_numpy()[-m:]
        change, _ = observed_log_changes(y, lag=m)
        if change.size == 0:
            # Every observed price lacks its partner a season earlier: fall back on the
            # interpolated series rather than claim zero uncertainty.
            filled = logy.to_numpy()
            change = filled[m:] - filled[:-m]
        self.sigma_ = _rms(change)

    def _predict(self, h: int, X_future: pd.DataFrame | None, levels: tuple) -> pd.DataFrame:
        steps = np.arange(1, h + 1) + self.offset_
        mean = self.last_season_[(steps - 1) % self.season_]
        seasons_ahead = (steps - 1) // self.season_ + 1
        sd = self.sigma_ * np.sqrt(seasons_ahead)
        return normal_intervals(mean, sd, levels, future_index(self.y_, h))


class Drift(Forecaster):
    """The last price plus the average monthly log change (a straight line in logs).

    Intervals include the uncertainty of the estimated drift:
    ``sigma * sqrt(k * (1 + k / T))`` for ``k`` steps ahead and ``T`` changes in the sample.

    Parameters
    ----------
    window
        Average the changes of the last ``window`` periods only (``None``: the whole
        history). A regime of high inflation that began two years ago is its recent
        drift, not the average of calm years and that.

    Attributes
    ----------
    last_log_ : float
        Log of the last observed price.
    drift_ : float
        Mean one-period log change.
    sigma_ : float
        Sd of one-period log changes around the drift.
    offset_ : int
        Trailing periods without a price.
    """

    name = "drift"
    min_length = 3

    def __init__(self, window: int | None = None):
        self.window = window

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        if self.window is not None and (int(self.window) != self.window or self.window < 2):
            raise ValueError(f"window must be a whole number >= 2, got {self.window!r}")
        logy, self.offset_ = log_history(y)
        values = logy.to_numpy()
        if self.window is not None:
            values = values[-(int(self.window) + 1) :]
            y = y.loc[logy.index[-len(values)] :]
        self.n_changes_ = len(values) - 1
        self.last_log_ = float(values[-1])
        self.drift_ = float((values[-1] - values[0]) / self.n_changes_)
        change, span = observed_log_changes(y)
        self.sigma_ = _rms((change - self.drift_ * span) / np.sqrt(span), ddof=1)

    def _predict(self, h: int, X_future: pd.DataFrame | None, levels: tuple) -> pd.DataFrame:
        steps = np.arange(1, h + 1) + self.offset_
        mean = self.last_log_ + self.drift_ * steps
        sd = self.sigma_ * np.sqrt(steps * (1 + steps / self.n_changes_))
        return normal_intervals(mean, sd, levels, future_index(self.y_, h))


class WindowAverage(Forecaster):
    """The mean log price over the last ``window`` periods, held flat.

    Parameters
    ----------
    window
        Number of recent periods to average (shorter series use what they have).

    Attributes
    ----------
    window_ : int
        Window actually used.
    level_ : float
        Mean log price of the window.
    sigma_ : float
        Sd of one-step errors of the window mean over the history.
    offset_ : int
        Trailing periods without a price.

    Notes
    -----
    The ``k``-step error variance grows as it would for a random walk forecast by a window
    mean, ``s^2 (k + c)`` with ``c = (w - 1)(2w - 1) / (6w)``, scaled so the one-step value
    matches the observed one-step error sd: crop prices behave close to random walks, and a
    flat interval would be overconfident a year out.
    """

    name = "window"
    min_length = 3

    def __init__(self, window: int = 6):
        self.window = window

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        if int(self.window) != self.window or self.window < 1:
            raise ValueError(f"window must be a whole number >= 1, got {self.window!r}")
        logy, self.offset_ = log_history(y)
        values = logy.to_numpy()
        # Keep at least one out-of-window point so the error sd can be estimated.
        w = min(int(self.window), len(values) - 1)
        self.window_ = w
        self.level_ = float(values[-w:].mean())
        means = pd.Series(values).rolling(w).mean().to_numpy()
        errors = values[w:] - means[w - 1 : -1]
        self.sigma_ = _rms(errors)

    def _predict(self, h: int, X_future: pd.DataFrame | None, levels: tuple) -> pd.DataFrame:
        steps = np.arange(1, h + 1) + self.offset_
        w = self.window_
        c = (w - 1) * (2 * w - 1) / (6 * w)
        sd = self.sigma_ * np.sqrt((steps + c) / (1 + c))
        return normal_intervals(np.full(h, self.level_), sd, levels, future_index(self.y_, h))
