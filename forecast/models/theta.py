"""The Theta method (Assimakopoulos & Nikolopoulos) on log prices, via statsmodels.

Theta is simple exponential smoothing plus half the linear trend, and a strong benchmark on
monthly series (it won M3). Seasonality is removed first only when a test finds it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from forecast.models.base import Forecaster, season_length
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


def _sigma2(result) -> float:
    """Theta's residual variance, for intervals only.

    statsmodels computes it with an ARIMA(0,1,1) fit that costs as much as the Theta fit
    itself, so it is left until intervals are asked for: ``auto`` fits Theta in its
    backtests and combination without ever needing it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the ARIMA fit may warn about its starting values
        return float(result.sigma2)


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
            for level in levels:
                pi = self.result_.prediction_intervals(steps, theta=theta, alpha=1 - level / 100)
                out[f"lower_{level}"] = np.exp(pi["lower"].to_numpy()[self.offset_ :])
                out[f"upper_{level}"] = np.exp(pi["upper"].to_numpy()[self.offset_ :])
        if not (within_guard(mean, self.last_log_, self.guard_) and frame_is_finite(out)):
            # Only reachable beyond the fit-time guard horizon: refuse an exploding path.
            self.fallback_ = f"Theta forecast exploded at horizon {h}; used naive"
            return self.naive_._predict(h, None, levels)
        return out
