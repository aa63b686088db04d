"""``auto``: per series, backtest candidate models, combine the best, calibrate the intervals.

What ``AutoForecaster.fit`` does with one series
------------------------------------------------
1. Keeps the last ``max_history`` periods. Older prices barely move a 12-month forecast of
   a smoothing model, and they make every fit slower.
2. Backtests every candidate on ``n_windows`` rolling origins ``step`` periods apart, each
   forecasting ``horizon`` periods (:func:`forecast.backtest.backtest_series`). All candidates
   share the same cutoffs, so their scores compare.
3. Ranks the candidates by mean MASE over the windows, keeps the ``top_k`` best and weights
   them by inverse MASE shrunk toward equal weights by ``shrink`` (``combine="inverse_mase"``),
   or takes their plain mean or median. Combining beats picking: the best model on a few
   windows is often best by luck, and averages of good models won M4.
4. Refits the kept candidates on the whole series and combines their log forecasts.
5. Calibrates the intervals by split conformal prediction on the combination's own backtest
   log errors (see :func:`conformal_widths`), so the 80 % and 95 % intervals cover what they
   claim on the series' recent behaviour instead of trusting each model's formula.

Fallback chain
--------------
A batch never dies because one series is odd. In order:

1. A candidate whose backtest fails on any window, or whose final fit fails, is dropped with
   a note; the weights of the rest are renormalised.
2. A series too short to backtest (fewer than ``MIN_TRAIN`` prices before a cutoff plus
   ``horizon`` after it), or one where every candidate was dropped, gets the first model of
   ``FALLBACK_CHAIN`` (``theta``, then ``naive``) that it is long enough for and that fits,
   with that model's own intervals (there are no errors to calibrate them on).
3. ``naive`` needs two prices; with fewer, ``fit`` raises ``ValueError`` like every model.

Every step taken is written to ``explain_["notes"]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from forecast.backtest import Windows, backtest_series, resolve_models
from forecast.errors import UsageError
from forecast.metrics import mase_scale
from forecast.models import make_model
from forecast.models.base import Forecaster, season_length

#: Candidates by default: cheap, robust on monthly commodity prices, and different enough
#: from each other that their errors partly cancel.
DEFAULT_CANDIDATES = ("naive", "snaive", "drift", "ets", "theta")
#: Models tried, in order, when a series cannot be backtested.
FALLBACK_CHAIN = ("theta", "naive")
#: Fewest prices a training part of a backtest window holds: two seasons, so seasonal
#: candidates are fitted and scores are not pure noise.
MIN_TRAIN = 24
COMBINES = ("inverse_mase", "mean", "median")


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The split-conformal quantile of non-negative ``scores`` at ``level`` percent.

    The ``ceil((n + 1) L / 100)``-th smallest score covers a new exchangeable score with
    probability at least ``L`` %. When ``n`` is too small for that rank, a Gaussian bound on
    the root mean square, never below the largest score, stands in.
    """
    scores = np.sort(scores[np.isfinite(scores)])
    n = len(scores)
    if n == 0:
        return float("nan")
    rank = math.ceil((n + 1) * float(level) / 100)
    if rank <= n:
        return float(scores[rank - 1])
    rms = float(np.sqrt(np.mean(scores**2)))
    return max(float(stats.norm.ppf(0.5 + float(level) / 200)) * rms, float(scores[-1]))


def spread_curve(errors: np.ndarray) -> tuple[float, float]:
    """Fit ``rms error at step s = a * s ** b`` to backtest log errors (windows x steps).

    With a handful of windows the spread of each step alone is noise; a power law in the
    step borrows strength across steps and extrapolates beyond the backtest horizon. ``b``
    is kept in [0, 1]: errors do not shrink with the horizon, nor grow faster than linearly.
    """
    steps = np.arange(1, errors.shape[1] + 1)
    count = np.isfinite(errors).sum(axis=0)
    ok = count > 0
    rms = np.sqrt(np.nanmean(np.where(np.isfinite(errors), errors**2, np.nan)[:, ok], axis=0))
    steps, count = steps[ok], count[ok]
    positive = rms > 0
    if positive.sum() >= 2:
        b, log_a = np.polyfit(np.log(steps[positive]), np.log(rms[positive]), 1,
                              w=np.sqrt(count[positive]))
        b = float(np.clip(b, 0.0, 1.0))
        # Refit the level with the clipped slope so the curve still matches the errors.
        log_a = float(np.average(np.log(rms[positive]) - b * np.log(steps[positive]),
                                 weights=count[positive]))
        return float(np.exp(log_a)), b
    # One usable step: assume a random walk (spread grows as sqrt(steps)).
    base = float(np.max(rms / np.sqrt(steps))) if rms.size else 0.0
    return base, 0.5


def conformal_widths(
    errors: np.ndarray, levels: Sequence[float], h: int, offset: int = 0
) -> np.ndarray:
    """Half-widths on the log scale, ``h x len(levels)``, from backtest log errors.

    Errors are divided by the fitted spread of their step (:func:`spread_curve`), pooled
    across windows and steps, and the conformal quantile of their absolute values, times the
    spread at each forecast step, is the half-width. Widths are made non-decreasing in the
    step and in the level, so intervals never narrow further out and stay nested.
    """
    a, b = spread_curve(errors)
    steps = np.arange(1, errors.shape[1] + 1)
    scale = a * steps.astype(float) ** b
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.abs(errors) / scale
    scores = scores[np.isfinite(scores)]
    future = (np.arange(1, h + 1) + offset).astype(float)
    spread = a * future**b
    widths = np.empty((h, len(levels)))
    for i, level in enumerate(levels):
        widths[:, i] = conformal_quantile(scores, level) * spread
    widths = np.maximum.accumulate(np.nan_to_num(widths), axis=0)
    order = np.argsort(levels)
    widths[:, order] = np.maximum.accumulate(widths[:, order], axis=1)
    return widths


class AutoForecaster(Forecaster):
    """Backtest candidates per series, combine the best, calibrate intervals by conformal.

    Parameters
    ----------
    candidates
        Registry names (``("naive", "ets", "theta")``) or a mapping label -> zero-argument
        factory returning an unfitted model.
    horizon
        Periods each backtest window forecasts; the calibration is per step up to it and
        extrapolated beyond.
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
    max_history
        Periods of history used (the most recent); ``None`` uses all.
    seed
        Passed to candidates that take a ``seed`` (Prophet, GBM).

    Attributes
    ----------
    explain_ : dict
        ``candidates`` (labels backtested, best first), ``scores`` (label -> ``mase``,
        ``smape``, ``windows``), ``weights`` (label -> weight of the models used), ``models``
        (labels used, best first), ``calibration`` (``errors`` used, ``spread_a``,
        ``spread_b``) and ``notes`` (what fell back and why).
    members_ : dict
        Label -> fitted candidate used in the forecast.
    weights_ : dict
        Label -> combination weight (sums to 1).
    errors_ : numpy.ndarray or None
        Backtest log errors of the combination, windows x steps (None without a backtest).
    """

    name = "auto"
    supports_exog = True
    supports_intervals = True
    #: The end of the fallback chain, naive, needs two prices.
    min_length = 2

    def __init__(
        self,
        candidates: Sequence[str] | Mapping[str, Callable] = DEFAULT_CANDIDATES,
        horizon: int = 12,
        n_windows: int = 6,
        step: int = 2,
        top_k: int = 3,
        combine: str = "inverse_mase",
        shrink: float = 0.5,
        max_history: int | None = 240,
        seed: int = 0,
    ):
        self.candidates = candidates
        self.horizon = horizon
        self.n_windows = n_windows
        self.step = step
        self.top_k = top_k
        self.combine = combine
        self.shrink = shrink
        self.max_history = max_history
        self.seed = seed

    # -- fit ----------------------------------------------------------------------------------

    def _factories(self) -> dict[str, Callable]:
        factories = resolve_models(self.candidates)
        if not isinstance(self.candidates, Mapping):
            # Registry names: build with the seed where the model stores one.
            for label in factories:
                if "seed" in make_model(label).get_params():
                    factories[label] = _SeededFactory(label, int(self.seed))
        return factories

    def _check_params(self) -> None:
        where = "AutoForecaster"
        if self.combine not in COMBINES:
            raise UsageError(f"combine={self.combine!r} is not one of {', '.join(COMBINES)}", where)
        if int(self.top_k) != self.top_k or self.top_k < 1:
            raise UsageError(f"top_k={self.top_k!r} must be a whole number >= 1", where)
        if not 0 <= float(self.shrink) <= 1:
            raise UsageError(f"shrink={self.shrink!r} must be in [0, 1]", where)
        if self.max_history is not None and self.max_history < MIN_TRAIN + self.horizon:
            raise UsageError(
                f"max_history={self.max_history!r} must be None or >= {MIN_TRAIN + self.horizon}",
                where,
            )

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        self._check_params()
        windows = Windows(horizon=self.horizon, n_windows=self.n_windows, step=self.step)
        if self.max_history is not None and len(y) > self.max_history:
            y = y.iloc[-int(self.max_history) :]
        self.notes_: list[str] = []
        self.members_, self.weights_, self.errors_ = {}, {}, None
        self.spread_ = (float("nan"), float("nan"))
        factories = self._factories()
        n_obs = int(y.notna().sum())
        scores, forecasts, cutoffs = self._backtest(y, X, factories, windows, n_obs)
        ranked = sorted(scores, key=lambda label: scores[label]["mase"])
        if ranked:
            self._combine(y, X, factories, ranked, scores, forecasts, cutoffs)
        if not self.members_:
            self._fallback(y, X)
        self.explain_ = {
            "candidates": ranked,
            "scores": scores,
            "weights": dict(self.weights_),
            "models": list(self.members_),
            "calibration": {
                "errors": 0 if self.errors_ is None else int(np.isfinite(self.errors_).sum()),
                "spread_a": self.spread_[0],
                "spread_b": self.spread_[1],
            },
            "notes": self.notes_,
        }

    def _backtest(self, y, X, factories, windows, n_obs):
        """Scores (label -> dict), log forecasts (label -> windows x steps) and cutoffs."""
        min_lengths = {label: int(factory().min_length) for label, factory in factories.items()}
        usable = {label: f for label, f in factories.items() if min_lengths[label] <= n_obs}
        for label in factories.keys() - usable.keys():
            self.notes_.append(f"{label}: needs {min_lengths[label]} prices, got {n_obs}; left out")
        need = max([MIN_TRAIN, *(min_lengths[label] for label in usable)])
        shared = Windows(windows.horizon, windows.n_windows, windows.step, min_train=need)
        scores, forecasts, cutoffs = {}, {}, None
        for label, factory in usable.items():
            frame = backtest_series(y, factory, shared, levels=(), X=X)
            failed = frame["error"] != ""
            if failed.any():
                message = frame.loc[failed, "error"].iloc[0]
                if frame["cutoff"].isna().all():
                    # Too short for any window: the same for every candidate.
                    self.notes_.append(f"not backtested: {message}")
                    break
                self.notes_.append(f"{label}: dropped, backtest failed ({message})")
                continue
            wide_f = frame.pivot(index="cutoff", columns="step", values="forecast")
            wide_a = frame.pivot(index="cutoff", columns="step", values="actual")
            if cutoffs is None:
                cutoffs = wide_f.index
                actual = wide_a.to_numpy(dtype=float)
                scale = np.array([mase_scale(y.loc[:c].to_numpy(), season_length(y))
                                  for c in cutoffs])
            fc = wide_f.to_numpy(dtype=float)
            with np.errstate(invalid="ignore", divide="ignore"):
                mase = np.nanmean(np.abs(actual - fc), axis=1) / scale
                smape = 200 * np.nanmean(np.abs(actual - fc) / (actual + fc), axis=1)
            forecasts[label] = np.log(fc)
            scores[label] = {
                "mase": float(np.nanmean(mase)),
                "smape": float(np.nanmean(smape)),
                "windows": len(cutoffs),
            }
        if cutoffs is not None:
            self.actual_log_ = np.log(actual)
        return scores, forecasts, cutoffs

    def _weights(self, ranked, scores) -> dict[str, float]:
        kept = ranked[: int(self.top_k)]
        if self.combine == "inverse_mase":
            inv = np.array([1 / max(scores[label]["mase"], 1e-9) for label in kept])
            w = (1 - self.shrink) * inv / inv.sum() + self.shrink / len(kept)
        else:
            w = np.full(len(kept), 1 / len(kept))
        return {label: float(v) for label, v in zip(kept, w / w.sum(), strict=True)}

    def _combine_logs(self, logs: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
        stack = np.stack(logs)
        if self.combine == "median":
            return np.median(stack, axis=0)
        return np.tensordot(weights, stack, axes=1)

    def _combine(self, y, X, factories, ranked, scores, forecasts, cutoffs) -> None:
        weights = self._weights(ranked, scores)
        for label in list(weights):
            try:
                self.members_[label] = factories[label]().fit(y, X)
            except Exception as exc:  # any failure of one candidate is that candidate's only
                self.notes_.append(f"{label}: dropped, final fit failed ({type(exc).__name__}: "
                                   f"{exc})")
                weights.pop(label)
        if not weights:
            return
        total = sum(weights.values())
        self.weights_ = {label: w / total for label, w in weights.items()}
        w = np.array(list(self.weights_.values()))
        combined = self._combine_logs([forecasts[label] for label in self.weights_], w)
        self.errors_ = self.actual_log_ - combined
        self.spread_ = spread_curve(self.errors_)

    def _fallback(self, y, X) -> None:
        n_obs = int(y.notna().sum())
        for label in FALLBACK_CHAIN:
            model = make_model(label)
            if n_obs < model.min_length:
                continue
            try:
                self.members_ = {label: model.fit(y, X)}
            except Exception as exc:  # the chain exists for exactly this
                self.notes_.append(f"fallback {label} failed ({type(exc).__name__}: {exc})")
                continue
            self.weights_ = {label: 1.0}
            self.notes_.append(f"fallback: used {label} with its own intervals")
            return
        raise ValueError(f"auto needs at least {self.min_length} prices, got {n_obs}")

    # -- predict ------------------------------------------------------------------------------

    def _predict(self, h: int, X_future: pd.DataFrame | None, levels: tuple) -> pd.DataFrame:
        if self.errors_ is None:
            (member,) = self.members_.values()
            return member.predict(h, X_future, levels).reset_index(drop=True)
        logs = [
            np.log(member.predict(h, X_future, ()).to_numpy(dtype=float)[:, 0])
            for member in self.members_.values()
        ]
        point = self._combine_logs(logs, np.array(list(self.weights_.values())))
        out = pd.DataFrame({"forecast": np.exp(point)})
        widths = conformal_widths(self.errors_, levels, h)
        for i, level in enumerate(levels):
            out[f"lower_{level}"] = np.exp(point - widths[:, i])
            out[f"upper_{level}"] = np.exp(point + widths[:, i])
        return out


class _SeededFactory:
    """A picklable factory ``make_model(name, seed=seed)``."""

    def __init__(self, name: str, seed: int):
        self.name, self.seed = name, seed

    def __call__(self):
        return make_model(self.name, seed=self.seed)
