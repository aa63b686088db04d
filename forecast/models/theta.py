"""The Theta method (Assimakopoulos & Nikolopoulos) on log prices, via statsmodels.

Theta is simple exponential smoothing plus half the linear trend, and a strong benchmark on
monthly series (it won M3). Seasonality is removed first only when a test finds it.

Intervals: statsmodels' are those of the ARIMA(0,1,1) with drift that Theta is equivalent
to, centred on the Theta forecast. But the forecast is not that ARIMA's: with theta = 2 it
carries on only half the fitted trend, and its SES level lags a trend, so on a steady trend
it falls further behind the price at every step while statsmodels' range stays as narrow
as the noise around the trend (a series rising 3 % a month with 0.2 % noise: 0 % of a
held-out year inside the 95 % range). So each step's range is widened to the method's own
h-step error, measured in the history (see :func:`_interval_sd`), where that is the larger.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from forecast.models.base import Forecaster, fill_log, normal_quantile, season_length
from forecast.models.simple import (
    FIT_ERRORS,
    GUARD_HORIZON,
    Naive,
    frame_is_finite,
    guard_limit,
    guard_text,
    log_history,
    single_threaded,
    within_guard,
)


def _fit_theta(logy: pd.Series, m: int, deseasonalize: bool):
    """Fit statsmodels' ThetaModel (its residual variance is left for ``_predict``)."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.forecasting.theta import ThetaModel

    endog = pd.Series(logy.to_numpy(), index=pd.RangeIndex(len(logy)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        model = ThetaModel(
            endog,
            period=m,
            deseasonalize=deseasonalize,
            use_test=True,
            # Logs turn multiplicative seasonality into additive; "auto" would pick
            # multiplicative because log prices happen to be positive.
            method="additive",
            # Test the seasonal autocorrelation of monthly changes, not levels: on a
            # trending or random-walk price the level ACF at lag 12 is large without any
            # seasonal pattern, and the undifferenced test would deseasonalise noise.
            difference=True,
        )
        return model.fit()


#: Fewest in-sample h-step errors that measure step h's spread (:func:`_interval_sd`) ...
MIN_STEP_ERRORS = 12
#: ... and fewest h-step stretches of history they must span: h-step errors from
#: consecutive origins overlap, so 13 twelve-step errors of a 25-month series are one
#: episode seen 13 times (two Sri Lankan coconut series that doubled in a few months got a
#: 95 % range of a third to 3.6 times the forecast a year on from them).
MIN_STEP_WINDOWS = 3
#: The median of |Z| for a standard normal Z: median(|error|) / this is a normal sd.
MEDIAN_ABS_Z = 0.6744897501960817


def _sigma2(result) -> float:
    """Theta's residual variance, for intervals only.

    statsmodels computes it with an ARIMA(0,1,1) fit that costs as much as the Theta fit
    itself, so it is left until intervals are asked for: ``auto`` fits Theta in its
    backtests and combination without ever needing it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the ARIMA fit may warn about its starting values
        return float(result.sigma2)


def _step_errors(logy: np.ndarray, observed: np.ndarray, result, theta: float, steps: int):
    """The Theta method's own h-step log errors in the history: one row per origin, one
    column per step h = 1 .. ``steps``, NaN where there is no observed price h steps on.

    From every origin t (the first t log prices, the last of them observed) the forecast is
    made exactly as statsmodels' ``forecast`` makes it from the end of the series, with the
    fitted alpha and trend slope b0: the SES level after t prices of the deseasonalised
    series plus ``(theta - 1) / theta * b0 * (h - 1 + 1/alpha - (1 - alpha)**t / alpha)``
    (``forecast_components``), plus the season, which the price at t + h carries too, so it
    cancels from the error and the deseasonalised series is compared directly. Errors
    whose target price was interpolated (inside a gap) are left out: a straight line in
    logs is easy to forecast. Each column uses every origin with a price h steps later,
    whatever ``steps`` is, so a shorter forecast's ranges are the start of a longer one's.
    """
    n = len(logy)
    alpha, b0 = float(result.params["alpha"]), float(result.params["b0"])
    weight = (theta - 1) / theta
    period = int(result.model.period)
    # The fitted season, as forecast_components gives it for the periods after the end
    # (zero when the series was not deseasonalised), put back on the history's positions.
    season = result.forecast_components(period)["seasonal"].to_numpy()
    desea = logy - season[(np.arange(n) - n) % period]
    # statsmodels' SES starts from the first value ("known" initial level): the level after
    # t prices is level[t], level[0] = desea[0]. (A loop: ~0.3 ms on 800 months.)
    level = np.empty(n + 1)
    level[0] = desea[0]
    for t in range(n):
        level[t + 1] = alpha * desea[t] + (1 - alpha) * level[t]
    origins = np.arange(1, n)  # t prices seen; the last step has no price after it
    origins = origins[observed[origins - 1]]
    h = np.arange(1, steps + 1)
    ahead = np.broadcast_to(h - 1.0, (len(origins), steps)).copy()
    if alpha > 0:
        ahead += 1 / alpha - (1 - alpha) ** origins[:, None] / alpha
    forecast = level[origins][:, None] + weight * b0 * ahead
    target = origins[:, None] + h - 1  # position of the price h steps after origin t
    inside = target < n
    at = np.where(inside, target, 0)
    return np.where(inside & observed[at], desea[at] - forecast, np.nan)


def _interval_sd(model: Theta, steps: int, sigma2: float) -> np.ndarray:
    """The sd of the log forecast at steps 1..``steps``: statsmodels' where it is the wider,
    else the spread of the method's own h-step errors in the history (:func:`_step_errors`).

    That spread is ``median(|error|) / 0.6745``: the sd of the normal distribution that
    would hold half the errors, as they fell, within +-0.6745 sd of the forecast. It is
    measured about zero, not about the errors' mean, so a forecast that is systematically
    behind (half the trend, a lagging level) is counted as that far off, whatever its
    noise. A median, because price errors have heavy tails: their root mean square (the
    few 1973-74 and 2008 moves weigh in squared) covered 88.5 % of the benchmark's
    held-out year at 80 % (and 85.6 % of three pooled years), where statsmodels' range
    covered 83.7 % (78.3 %); see benchmarks/RESULTS.md. The errors are in-sample
    (parameters fitted on the whole history), so if anything a little small: they are a
    floor under statsmodels' interval, which is kept wherever it is the wider.

    Steps with fewer than ``MIN_STEP_ERRORS`` errors, or fewer than ``MIN_STEP_WINDOWS``
    times h, and the steps after them, grow on from the last step that had them by what
    statsmodels' sd adds; a history too short for even step 1 keeps statsmodels' intervals.
    """
    alpha = float(model.result_.params["alpha"])
    # statsmodels' prediction_intervals: sigma2 * (1 + (h - 1) * (1 + (alpha - 1) ** 2)).
    growth = np.sqrt(1 + np.arange(steps) * (1 + (alpha - 1) ** 2))
    sd = np.sqrt(sigma2) * growth
    logy = fill_log(model.y_)
    observed = model.y_.loc[logy.index[0] : logy.index[-1]].notna().to_numpy()
    # Steps n and beyond have no price in the history to check them against.
    known = min(steps, len(logy) - 1)
    if known < 1:
        return sd
    errors = _step_errors(logy.to_numpy(), observed, model.result_, float(model.theta), known)
    # The steps measured are those before the first with too few errors (found the same
    # way for any ``steps``, so a step's range does not depend on the horizon asked for).
    count = np.isfinite(errors).sum(axis=0)
    h = np.arange(1, known + 1)
    short = np.flatnonzero((count < MIN_STEP_ERRORS) | (count < MIN_STEP_WINDOWS * h))
    last = int(short[0]) if len(short) else known
    if last < 1:
        return sd
    spread = np.empty(steps)
    # Running maximum: a price further ahead is no easier to forecast, though the median of
    # a step's errors may dip below the step before's by chance.
    spread[:last] = np.maximum.accumulate(
        np.nanmedian(np.abs(errors[:, :last]), axis=0) / MEDIAN_ABS_Z
    )
    # Past the steps measured, it grows by what statsmodels' sd adds, not in proportion:
    # grown by sqrt(h / that step) from a short boom and bust (an onion series of 21 prices
    # that went 130 -> 508 -> 158, measured to step 3), the 95 % range a year on ran from a
    # sixteenth to 18 times the forecast.
    spread[last:] = spread[last - 1] + sd[last:] - sd[last - 1]
    return np.maximum(sd, spread)


class Theta(Forecaster):
    """Standard Theta method on log prices with a seasonality test.

    Parameters
    ----------
    theta
        Weight of the trend line (2 is the classic method; 1 is SES with drift off). Must
        be >= 1.
    deseasonalize
        Allow additive deseasonalising (used only with two full seasons and when the
        seasonal autocorrelation test at 90% finds seasonality).

    Attributes
    ----------
    spec_ : str
        ``"Theta"``, ``"Theta(deseasonalized)"`` or ``"naive"``.
    deseasonalized_ : bool
        Whether the seasonality test fired and the series was deseasonalised.
    alpha_ : float
        SES smoothing parameter.
    drift_ : float
        Slope of the fitted log-linear trend per period (the forecast uses
        ``(theta - 1) / theta`` of it).
    fallback_ : str or None
        Why the Theta fit was not used, or ``None``.
    result_ : statsmodels ThetaModelResults or None
    """

    name = "theta"
    min_length = 5

    def __init__(self, theta: float = 2.0, deseasonalize: bool = True):
        self.theta = theta
        self.deseasonalize = deseasonalize

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        if not float(self.theta) >= 1:
            raise ValueError(f"theta must be >= 1, got {self.theta!r}")
        logy, self.offset_ = log_history(y)
        n, m = len(logy), season_length(y)
        self.last_log_ = float(logy.iloc[-1])
        self.guard_ = guard_limit(logy)
        self.naive_ = Naive().fit(y)
        self.spec_, self.result_, self.fallback_ = "naive", None, None
        self.deseasonalized_, self.alpha_, self.drift_ = False, np.nan, np.nan
        try:
            with single_threaded():
                result = _fit_theta(logy, m, bool(self.deseasonalize) and n >= 2 * m)
            path = result.forecast(GUARD_HORIZON, theta=float(self.theta)).to_numpy()
        except FIT_ERRORS as exc:
            self.fallback_ = f"Theta fit failed ({exc}); used naive"
            return
        if not within_guard(path, self.last_log_, self.guard_):
            self.fallback_ = (
                f"Theta forecast left {guard_text(self.guard_)} within {GUARD_HORIZON} "
                "periods; used naive"
            )
            return
        seasonal = result.forecast_components(1)["seasonal"].to_numpy()
        self.result_ = result
        self.deseasonalized_ = bool(np.any(seasonal != 0))
        self.spec_ = "Theta(deseasonalized)" if self.deseasonalized_ else "Theta"
        self.alpha_ = float(result.params["alpha"])
        self.drift_ = float(result.params["b0"])

    def _predict(self, h: int, X_future: pd.DataFrame | None, levels: tuple) -> pd.DataFrame:
        if self.result_ is None:
            return self.naive_._predict(h, None, levels)
        steps, theta = h + self.offset_, float(self.theta)
        if levels:
            try:
                with single_threaded():
                    sigma2, why = _sigma2(self.result_), "residual variance not finite"
            except FIT_ERRORS as exc:
                sigma2, why = np.nan, str(exc)
            if not np.isfinite(sigma2):
                self.fallback_ = f"Theta interval fit failed ({why}); used naive"
                return self.naive_._predict(h, None, levels)
        with single_threaded(), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = self.result_.forecast(steps, theta=theta).to_numpy()[self.offset_ :]
            out = pd.DataFrame({"forecast": np.exp(mean)})
            if levels:
                sd = _interval_sd(self, steps, sigma2)[self.offset_ :]
            for level in levels:
                z = normal_quantile(0.5 + float(level) / 200)
                out[f"lower_{level}"] = np.exp(mean - z * sd)
                out[f"upper_{level}"] = np.exp(mean + z * sd)
        if not (within_guard(mean, self.last_log_, self.guard_) and frame_is_finite(out)):
            # Only reachable beyond the fit-time guard horizon: refuse an exploding path.
            self.fallback_ = f"Theta forecast exploded at horizon {h}; used naive"
            return self.naive_._predict(h, None, levels)
        return out
