"""Seasonal ARIMA on log prices with a small, time-bounded AICc order search.

No pmdarima: the search is a short, fixed plan over statsmodels' SARIMAX, simplest models
first, so that when the time budget runs out the best model found so far is a sensible one.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.models.base import Forecaster, future_index, normal_intervals, season_length
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


@dataclass(frozen=True)
class ARIMASpec:
    """One SARIMAX specification.

    ``trend`` is ``"c"`` (a drift when d = 1, a mean when d = 0) or ``None``.
    """

    order: tuple[int, int, int]
    seasonal_order: tuple[int, int, int, int] = (0, 0, 0, 0)
    trend: str | None = None

    @property
    def label(self) -> str:
        p, d, q = self.order
        text = f"ARIMA({p},{d},{q})"
        P, D, Q, m = self.seasonal_order
        if P or D or Q:
            text += f"({P},{D},{Q})[{m}]"
        if self.trend:
            text += " with drift" if d else " with mean"
        return text

    @property
    def n_params(self) -> int:
        p, _, q = self.order
        P, _, Q, _ = self.seasonal_order
        return p + q + P + Q + (self.trend is not None) + 1  # + innovation variance


def choose_d(logy: np.ndarray) -> int:
    """0 only when the tests agree the log price is stationary; 1 otherwise.

    KPSS alone (null: stationary) lacks power on short series: on simulated random walks of
    40-180 months it kept d = 0 in 25-45% of cases, and a mean-reverting model then gives
    far too narrow intervals. So d = 0 needs both KPSS not rejecting stationarity at 10%
    and ADF rejecting a unit root at 5% (3-7% of random walks, 45-80% of AR(1) with
    phi = 0.7). Short series (fewer than 24 points) get d = 1: crop prices are close to
    random walks and neither test has power there.
    """
    if len(logy) < 24 or np.ptp(logy) == 0:
        return 1
    from statsmodels.tools.sm_exceptions import InterpolationWarning
    from statsmodels.tsa.stattools import adfuller, kpss

    with warnings.catch_warnings():
        # KPSS reports p-values only within its table (0.01..0.1) and warns outside it.
        warnings.simplefilter("ignore", InterpolationWarning)
        kpss_p = kpss(logy, regression="c", nlags="auto", result_object=True).pvalue
    if kpss_p < 0.1:
        return 1
    with warnings.catch_warnings():
        # ADF's lag search fits regressions that a long flat stretch makes rank-deficient
        # (SingularMatrixWarning, eleven of them on stderr); it still ranks the lags by AIC.
        warnings.simplefilter("ignore")
        adf_p = adfuller(logy, autolag="AIC", result_object=True).pvalue
    return 0 if adf_p < 0.05 else 1


def seasonal_autocorrelation(x: np.ndarray, m: int) -> bool:
    """Whether the lag-``m`` autocorrelation of ``x`` is significant at 90%.

    The same test ThetaModel and the forecast package use (Bartlett variance of r_m).
    Seasonal SARIMAX fits are the slowest of the search, so they are tried only when the
    differenced series shows a seasonal pattern.
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) <= 2 * m:
        return False
    from statsmodels.tsa.stattools import acf

    if np.ptp(x) == 0:  # a price that never moved: no autocorrelation to speak of
        return False
    r = acf(x, nlags=m, fft=True)
    stat = len(x) * r[m] ** 2 / (1 + 2 * np.sum(r[1:m] ** 2))
    return bool(stat > 2.705543454095404)  # chi2(1) 90% quantile


def _fit_spec(endog: np.ndarray, spec: ARIMASpec):
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        # "Non-stationary starting autoregressive parameters" and similar: the optimiser
        # copes, and AICc ranks the outcome.
        warnings.filterwarnings("ignore", category=UserWarning, module="statsmodels")
        model = SARIMAX(
            endog, order=spec.order, seasonal_order=spec.seasonal_order, trend=spec.trend
        )
        return model.fit(disp=False)


def _log_forecast(result, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and predictive sd on the log scale for the next ``steps`` periods.

    The innovation variance is the MLE (SSE / n); scaled by n / (n - k) for the k estimated
    parameters, as for ETS, so short series do not get overconfident intervals.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pred = result.get_forecast(steps)
        mean = np.asarray(pred.predicted_mean, dtype=float)
        variance = np.asarray(pred.var_pred_mean, dtype=float)
    n, k = float(result.nobs_effective), float(len(result.params))
    return mean, np.sqrt(variance * n / max(n - k, 1.0))


class ARIMA(Forecaster):
    """SARIMAX on log prices, orders chosen by AICc within a time budget.

    The differencing order ``d`` comes from KPSS and ADF tests (see :func:`choose_d`). The
    search then fits, simplest first, ARIMA(p, d, q) for p, q up to ``max_p``/``max_q``;
    then the best of those with drift (when d = 1); then, for a series with at least three
    seasons whose differenced log prices show lag-12 autocorrelation, the best so far with a
    seasonal AR(1) or MA(1) term. The search stops once ``time_budget`` seconds have
    passed (the first model is always fitted) and keeps the best so far. Gaps are left as
    missing values: the Kalman filter handles them exactly.

    Parameters
    ----------
    time_budget
        Seconds the order search may take.
    max_p, max_q
        Largest non-seasonal AR and MA orders tried.
    seasonal
        Try seasonal AR/MA terms.

    Attributes
    ----------
    spec_ : str
        Chosen model, e.g. ``"ARIMA(1,1,0)(1,0,0)[12]"``, or ``"naive"``.
    d_ : int
        Differencing order from the unit-root tests.
    candidates_ : dict[str, float]
        AICc of every specification tried, in the order tried (``inf`` if the fit failed).
    budget_exhausted_ : bool
        Whether the search stopped early on ``time_budget``.
    search_seconds_ : float
        Time the search took.
    fallback_ : str or None
        Why the AICc-best model was not used, or ``None``.
    result_ : statsmodels SARIMAXResults or None
    """

    name = "arima"
    min_length = 6

    def __init__(
        self, time_budget: float = 5.0, max_p: int = 2, max_q: int = 2, seasonal: bool = True
    ):
        self.time_budget = time_budget
        self.max_p = max_p
        self.max_q = max_q
        self.seasonal = seasonal

    def _check_params(self) -> None:
        if not float(self.time_budget) >= 0:
            raise ValueError(f"time_budget must be >= 0 seconds, got {self.time_budget!r}")
        for name in ("max_p", "max_q"):
            value = getattr(self, name)
            if int(value) != value or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")

    def _plan(self, d: int, n: int) -> list[ARIMASpec]:
        """Non-seasonal orders, simplest first, that leave room for estimation.

        With d = 1 they are fitted without drift (crop prices rarely trend for long); drift
        is tried afterwards on the best order. With d = 0 the mean is always included.
        """
        trend = "c" if d == 0 else None
        orders = sorted(
            ((p, q) for p in range(int(self.max_p) + 1) for q in range(int(self.max_q) + 1)),
            key=lambda pq: (sum(pq), pq),
        )
        plan = [ARIMASpec((p, d, q), trend=trend) for p, q in orders]
        return [spec for spec in plan if self._room(spec, n)]

    @staticmethod
    def _room(spec: ARIMASpec, n: int) -> bool:
        """Whether ``n`` points leave a few degrees of freedom beyond the parameters."""
        return n - spec.order[1] >= spec.n_params + 3

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        self._check_params()
        logy, self.offset_ = log_history(y)
        filled = logy.to_numpy()
        # The Kalman filter handles gaps exactly, so ARIMA sees the real gaps, not the fill.
        endog = np.log(y.loc[logy.index[0] : logy.index[-1]].to_numpy(dtype=float))
        n, m = len(filled), season_length(y)
        self.last_log_ = float(filled[-1])
        self.guard_ = guard_limit(filled)
        self.naive_ = Naive().fit(y)
        self.d_ = choose_d(filled)

        start = time.perf_counter()
        self.candidates_, self.budget_exhausted_ = {}, False
        fits: list[tuple[float, int, ARIMASpec, object]] = []

        def try_spec(spec: ARIMASpec) -> bool:
            """Fit one spec unless the budget is spent; False means stop searching."""
            if self.candidates_ and time.perf_counter() - start > float(self.time_budget):
                self.budget_exhausted_ = True
                return False
            try:
                result = _fit_spec(endog, spec)
                aicc = float(result.aicc)
            except FIT_ERRORS:
                result, aicc = None, np.inf
            self.candidates_[spec.label] = aicc
            if result is not None and np.isfinite(aicc):
                fits.append((aicc, len(fits), spec, result))
            return True

        def try_variant(spec: ARIMASpec) -> None:
            if (
                not self.budget_exhausted_
                and self._room(spec, n)
                and (spec.label not in self.candidates_)
            ):
                try_spec(spec)

        def best() -> ARIMASpec:
            return min(fits, key=lambda item: item[:2])[2]

        with single_threaded():
            for spec in self._plan(self.d_, n):
                if not try_spec(spec):
                    break
            if fits and self.d_ == 1:
                try_variant(ARIMASpec(best().order, trend="c"))
            if (
                fits
                and self.seasonal
                and n >= 3 * m
                and seasonal_autocorrelation(np.diff(filled, n=self.d_), m)
            ):
                base = best()
                for seasonal_order in ((1, 0, 0, m), (0, 0, 1, m)):
                    try_variant(ARIMASpec(base.order, seasonal_order, base.trend))
        self.search_seconds_ = time.perf_counter() - start

        self.spec_, self.result_, self.fallback_ = "naive", None, None
        rejected = []
        for _, _, spec, result in sorted(fits, key=lambda item: item[:2]):
            if within_guard(_log_forecast(result, GUARD_HORIZON)[0], self.last_log_, self.guard_):
                self.spec_, self.result_ = spec.label, result
                break
            rejected.append(spec.label)
        if rejected:
            self.fallback_ = (
                f"{', '.join(rejected)} forecast left {guard_text(self.guard_)} within "
                f"{GUARD_HORIZON} periods; used {self.spec_}"
            )
        elif self.result_ is None:
            self.fallback_ = "no ARIMA specification could be fitted; used naive"

    def _predict(self, h: int, X_future: pd.DataFrame | None, levels: tuple) -> pd.DataFrame:
        if self.result_ is None:
            return self.naive_._predict(h, None, levels)
        with single_threaded():
            mean, sd = _log_forecast(self.result_, h + self.offset_)
        mean, sd = mean[self.offset_ :], sd[self.offset_ :]
        out = normal_intervals(mean, sd, levels, future_index(self.y_, h))
        if not (within_guard(mean, self.last_log_, self.guard_) and frame_is_finite(out)):
            # Only reachable beyond the fit-time guard horizon: refuse an exploding path.
            self.fallback_ = f"{self.spec_} forecast exploded at horizon {h}; used naive"
            return self.naive_._predict(h, None, levels)
        return out
