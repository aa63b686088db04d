"""Rolling-origin backtests: refit at each cutoff, forecast ``horizon`` periods, keep the actuals.

This module only *generates* forecasts; :mod:`forecast.metrics` scores them (Prophet's split
between ``cross_validation`` and ``performance_metrics``). Options travel in one frozen
:class:`Windows`, and every function returns one long DataFrame:

================  ==========================================================================
column            meaning
================  ==========================================================================
KEY columns       the series key (``backtest`` and ``backtest_job`` only)
``model``         the model name (``backtest`` and ``backtest_job`` only)
``cutoff``        last date of the training part; the model saw ``y[:cutoff]`` inclusive
``date``          the forecast date; ``cutoff < date <= cutoff + horizon periods``
``step``          periods ahead, ``1..horizon`` (nullable ``Int64``)
``actual``        the observed price on ``date``; NaN where the series has a gap
``forecast``      the point forecast
``lower_L``       interval bounds for each level ``L``; NaN when the model gives none
``upper_L``
``error``         ``""`` on forecast rows; the failure as text on a failure row
================  ==========================================================================

Failures are rows, not exceptions. A model that fails on one window leaves one row with that
``cutoff``, ``date`` NaT, NaN numbers and the message in ``error``; a series too short for any
window leaves one such row with ``cutoff`` NaT. So one bad series never kills a batch, nothing
is lost silently, and ``bt[bt["error"] == ""]`` selects the forecasts. Bad *options* (levels,
windows, unknown model names) still raise :class:`~forecast.errors.UsageError` up front.

Window placement: the last window's forecast ends on the last date of ``y``; each earlier
window's cutoff is ``step`` periods earlier; windows whose training part has fewer than
``min_train`` observed prices are dropped, so ``n_windows`` is a maximum. ``backtest`` gives
all models on a series the same cutoffs (the most demanding model's ``min_length`` decides),
so their scores are comparable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import pandas as pd

from forecast.checks import check_levels, check_whole_number
from forecast.errors import SchemaError, UsageError
from forecast.models import REGISTRY, make_model, model_class
from forecast.table import KEY, iter_series, observed_prices

#: A zero-argument callable returning a new, unfitted model.
ModelFactory = Callable[[], object]
#: ``features(key, dates) -> DataFrame`` of exogenous features indexed by ``dates``.
Features = Callable[[tuple, pd.DatetimeIndex], pd.DataFrame]


@dataclass(frozen=True)
class Windows:
    """Where the backtest windows go.

    Parameters
    ----------
    horizon
        Periods forecast from each cutoff.
    n_windows
        The most windows per series; a short series gets fewer (see ``min_train``).
    step
        Periods between consecutive cutoffs. ``None`` means ``horizon``: windows that do not
        overlap, so each actual is scored once and windows are not near-copies of each other
        (with ``step=1`` three windows share most of their dates). Resolved at construction,
        so ``Windows(horizon=6).step == 6``.
    min_train
        The fewest observed (non-NaN) prices a training part must hold. ``backtest_series``
        raises it to the model's declared ``min_length`` when that is larger.

    Raises
    ------
    UsageError
        When a value is not a whole number >= 1.
    """

    horizon: int = 12
    n_windows: int = 3
    step: int | None = None
    min_train: int = 1

    def __post_init__(self) -> None:
        # frozen=True forbids normal assignment; normalising once here keeps every
        # reader of .step free of the None case.
        set_ = partial(object.__setattr__, self)
        set_("horizon", check_whole_number(self.horizon, "horizon", "--horizon", 12))
        set_("n_windows", check_whole_number(self.n_windows, "n_windows", "--windows", 3))
        step = self.horizon if self.step is None else self.step
        set_("step", check_whole_number(step, "step", "--step", self.horizon))
        set_("min_train", check_whole_number(self.min_train, "min_train", "--min-train", 24))


#: How the failure rows of a series with no window begin (the CLI tells them apart).
TOO_SHORT_TO_BACKTEST = "too short to backtest: "


def _check_series(y: pd.Series) -> None:
    if not isinstance(y.index, pd.DatetimeIndex):
        raise SchemaError(
            "date",
            "the series must have a DatetimeIndex",
            fix="Build series with forecast.table.iter_series",
        )
    # Windows are counted in positions, which only means "periods" on a regular grid.
    if y.index.freq is None and len(y) >= 3 and pd.infer_freq(y.index) is None:
        raise SchemaError(
            "date",
            "the series must be on one regular frequency, gaps as NaN",
            fix="Build series with forecast.table.iter_series",
        )


def _cutoff_positions(
    y: pd.Series, windows: Windows, min_train: int, on_price: bool = False
) -> list[int]:
    _check_series(y)
    need = max(int(min_train), windows.min_train, 1)
    priced = y.notna().to_numpy()
    observed = np.cumsum(priced)  # observed[p]: prices in y[: p + 1]
    last = len(y) - 1 - windows.horizon
    positions = []
    pos = last
    while len(positions) < windows.n_windows:
        # Earlier cutoffs only have less history, so the first too-short one ends the search.
        if pos < 0 or observed[pos] < need:
            break
        if on_price and not priced[pos]:
            # A cutoff inside a gap cleaning left (no price, not even an estimate): the
            # model's last price is older, and its "12 steps ahead" would be 20 or 40 from
            # what it knew, which no forecast issued from a last price ever is. The window
            # moves back to the last price before the gap. (Reported backtests only: auto's
            # own one window, which only weights its candidates, was designed without it.)
            pos = int(np.flatnonzero(priced[:pos])[-1])
            continue
        # A window whose periods all fall in a gap (months the publisher did not report)
        # has nothing to score: the one a step earlier stands in for it, so a gappy series
        # is not ranked on fewer windows than it asked for.
        if observed[pos + windows.horizon] > observed[pos]:
            positions.append(pos)
        pos -= windows.step
    return positions[::-1]


def longest_horizon(y: pd.Series, min_train: int = 1) -> int:
    """The longest horizon that leaves ``y`` one backtest window: ``min_train`` observed
    prices up to a cutoff and the periods after it to the end (0: none does)."""
    observed = np.cumsum(y.notna().to_numpy())
    enough = np.flatnonzero(observed >= max(int(min_train), 1))  # cutoffs with the history
    return len(y) - 1 - int(enough[0]) if len(enough) else 0


def cutoffs(
    y: pd.Series, windows: Windows, min_train: int = 1, on_price: bool = False
) -> list[pd.Timestamp]:
    """Rolling-origin cutoffs for ``y``, earliest first.

    Parameters
    ----------
    y
        A price series on a regular DatetimeIndex, gaps as NaN (as from ``iter_series``).
    windows
        Horizon, most windows, step and minimum training size.
    min_train
        Fewest observed prices in ``y[:cutoff]``; the larger of this and
        ``windows.min_train`` applies.
    on_price
        Put every cutoff on a price (as :func:`backtest_series` does): one that falls in a
        gap moves back to the last price before it.

    Returns
    -------
    list of Timestamp
        At most ``windows.n_windows`` cutoffs. The last is ``horizon`` periods before the
        last date of ``y``, the others ``step`` periods apart (see ``on_price``), and a window
        with no observed price to score (it lies in a gap) is skipped; empty when ``y`` is
        too short.
    """
    return [y.index[pos] for pos in _cutoff_positions(y, windows, min_train, on_price)]


def _columns(levels: Sequence[float]) -> list[str]:
    bounds = [f"{side}_{level}" for level in levels for side in ("lower", "upper")]
    return ["cutoff", "date", "step", "actual", "forecast", *bounds, "error"]


def _failure(levels: Sequence[float], cutoff: pd.Timestamp | None, error: object) -> pd.DataFrame:
    """One failure row; ``error`` is an exception or a message."""
    if isinstance(error, BaseException):
        error = f"{type(error).__name__}: {error}"
    row = pd.DataFrame(
        {
            "cutoff": pd.Series([cutoff], dtype="datetime64[ns]"),
            "date": pd.Series([pd.NaT], dtype="datetime64[ns]"),
            "step": pd.array([pd.NA], dtype="Int64"),
        }
    )
    for column in _columns(levels)[3:-1]:
        row[column] = np.nan
    row["error"] = str(error)
    return row


def _forecast_window(
    y: pd.Series,
    pos: int,
    model_factory: ModelFactory,
    h: int,
    levels: tuple,
    X: pd.DataFrame | None,
) -> pd.DataFrame:
    cutoff = y.index[pos]
    dates = y.index[pos + 1 : pos + 1 + h]
    y_train = y.iloc[: pos + 1]
    try:
        model = model_factory()
        X_train = None if X is None else X.reindex(y_train.index)
        X_future = None if X is None else X.reindex(dates)
        model.fit(y_train, X_train)
        pred = model.predict(h, X_future=X_future, levels=levels)
        if len(pred) != h or not pred.index.equals(dates):
            raise ValueError(
                f"predict returned {len(pred)} rows, not the {h} periods after {cutoff.date()}"
            )
    # The batch boundary: statsmodels, Prophet and scikit-learn raise many exception types
    # on a hard series, and one of them must not stop the other series. BaseException
    # (Ctrl-C) still stops everything.
    except Exception as exc:
        return _failure(levels, cutoff, exc)
    frame = pd.DataFrame(
        {
            "cutoff": pd.Series(cutoff, index=range(h), dtype="datetime64[ns]"),
            "date": dates.astype("datetime64[ns]"),
            "step": pd.array(range(1, h + 1), dtype="Int64"),
            "actual": y.iloc[pos + 1 : pos + 1 + h].to_numpy(dtype=float),
            "forecast": pred["forecast"].to_numpy(dtype=float),
        }
    )
    for column in _columns(levels)[5:-1]:
        frame[column] = pred[column].to_numpy(dtype=float) if column in pred else np.nan
    frame["error"] = ""
    return frame


def _min_length(model_factory: ModelFactory, y: pd.Series) -> int:
    # A declared capability, read from an unfitted instance: __init__ only stores
    # arguments, so building one is cheap. For ``y``'s frequency: a seasonal naive needs a
    # season plus one, 53 prices on weekly series where its declared minimum says 13.
    model = model_factory()
    needs = getattr(model, "needs", None)
    return int(needs(y) if needs is not None else getattr(model, "min_length", 1))


def backtest_series(
    y: pd.Series,
    model_factory: ModelFactory,
    windows: Windows = Windows(),
    levels: Sequence[float] = (80, 95),
    X: pd.DataFrame | None = None,
    *,
    history_set_by: str | None = None,
) -> pd.DataFrame:
    """Backtest one model on one series.

    Parameters
    ----------
    y
        A price series on a regular DatetimeIndex, gaps as NaN (as from ``iter_series``).
    model_factory
        Zero-argument callable returning a new, unfitted model; each window gets a fresh one.
    windows
        Horizon, most windows, step and minimum training size.
    levels
        Interval levels in percent.
    X
        Exogenous features indexed by date, covering ``y``'s dates. Each window fits on
        ``X`` aligned to ``y[:cutoff]`` and predicts with ``X`` on the forecast dates.
    history_set_by
        The model whose needs set ``windows.min_train`` (``backtest_job`` shares one set of
        cutoffs): named where a series is too short, since "naive needs 13 prices" is false.

    Returns
    -------
    DataFrame
        ``cutoff, date, step, actual, forecast, lower_L, upper_L..., error``, one row per
        window and step; failures as rows (see the module docstring).

    Raises
    ------
    UsageError
        For bad ``levels``.
    SchemaError
        When ``y`` is not on a regular DatetimeIndex.
    """
    levels = check_levels(levels)
    try:
        min_length = _min_length(model_factory, y)
    except Exception as exc:  # a factory that cannot build is a failure of this series only
        return _failure(levels, None, exc)
    positions = _cutoff_positions(y, windows, min_length, on_price=True)
    if not positions:
        need = max(min_length, windows.min_train)
        whose = ""
        if history_set_by:  # on every model's row alike, so the summary says it once
            whose = f" ({history_set_by}'s need: every model is scored on the same windows)"
        return _failure(
            levels,
            None,
            f"{TOO_SHORT_TO_BACKTEST}{int(y.notna().sum())} prices over {len(y)} periods; "
            f"needs {need} up to a cutoff{whose} and {windows.horizon} periods after it",
        )
    frames = [
        _forecast_window(y, pos, model_factory, windows.horizon, levels, X) for pos in positions
    ]
    return pd.concat(frames, ignore_index=True)


def backtest_job(
    series: tuple[tuple, pd.Series],
    *,
    models: Mapping[str, ModelFactory],
    windows: Windows = Windows(),
    levels: Sequence[float] = (80, 95),
    features: Features | None = None,
) -> pd.DataFrame:
    """Backtest every model on one series: the unit of work an engine maps over series.

    It takes one ``(key, y)`` item of ``iter_series`` and the options by keyword, so
    ``partial(backtest_job, models=..., windows=...)`` maps straight over
    ``iter_series(prices)``, e.g. with ``forecast.engine.run_jobs``. The arguments are plain
    data plus module-level callables, so the job pickles to a worker process when ``models``
    comes from :func:`resolve_models` with registry names. It never raises for a bad series.

    Parameters
    ----------
    series
        ``(key, y)``: the series key in ``KEY`` order and the series as from ``iter_series``.
    models
        Model name -> zero-argument factory.
    windows, levels
        As for :func:`backtest_series`.
    features
        Optional ``features(key, dates) -> DataFrame``; called once with ``y.index`` (every
        training and forecast date of every window). If it fails, each model gets a failure
        row for this series.

    Notes
    -----
    All models share one set of cutoffs: ``windows.min_train`` is raised to the largest
    ``min_length`` among ``models``, so scores compare models on the same windows.

    Returns
    -------
    DataFrame
        KEY columns, ``model``, then the :func:`backtest_series` columns.
    """
    key, y = series
    levels = check_levels(levels)
    X, feature_error = None, None
    if features is not None:
        try:
            X = features(key, y.index)
        except Exception as exc:  # a feature table failing for one series fails that series only
            feature_error = f"features: {type(exc).__name__}: {exc}"
    # Every model gets the same cutoffs, set by the model needing the most history, so models
    # are compared on the same windows (a model with an extra, early, data-poor window
    # would otherwise be scored on harder cases than the rest).
    needs = {}
    for name, factory in models.items():
        # A factory that fails here fails again in backtest_series, which records it.
        with suppress(Exception):
            needs[name] = _min_length(factory, y)
    need = max([windows.min_train, *needs.values()])
    # The model whose need set the windows, named in a too-short series' message when it
    # raised another model's: "naive needs 13" was snaive's need.
    raised = bool(needs) and max(needs.values()) == need > min(needs.values())
    set_by = max(needs, key=needs.get) if raised else None
    shared = replace(windows, min_train=need)
    frames = []
    for name, factory in models.items():
        started = time.perf_counter()
        if feature_error is None:
            frame = backtest_series(y, factory, shared, levels, X, history_set_by=set_by)
        else:
            frame = _failure(levels, None, feature_error)
        frame.insert(0, "model", name)
        # Wall time of this model on this series, repeated on its rows (the leaderboard's
        # "seconds" sums one value per series and model).
        frame["seconds"] = time.perf_counter() - started
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    for i, (column, value) in enumerate(zip(KEY, key, strict=True)):
        out.insert(i, column, value)
    return out


def resolve_models(models: Mapping[str, ModelFactory] | Sequence[str] | str) -> dict:
    """Model name -> factory, from registry names or a mapping of factories.

    Names become ``functools.partial(make_model, name)``, which pickles by reference, so
    the registry module is imported where the job runs, not here.

    Raises
    ------
    UsageError
        For an unknown name, a factory that is not callable, or no models at all.
    """
    if isinstance(models, str):
        models = [models]
    if isinstance(models, Mapping):
        factories = dict(models)
        for name, factory in factories.items():
            if not callable(factory):
                raise UsageError(
                    f"model '{name}' is not a callable factory",
                    "models",
                    "Pass e.g. {'ets': lambda: make_model('ets')}",
                )
    else:
        factories = {}
        for name in models:
            if name not in REGISTRY:
                model_class(name)  # raises the UsageError listing valid names
            factories[name] = partial(make_model, name)
    if not factories:
        raise UsageError("no models to backtest", "--model", f"Choose from: {', '.join(REGISTRY)}")
    return factories


def backtest(
    prices: pd.DataFrame,
    models: Mapping[str, ModelFactory] | Sequence[str],
    windows: Windows = Windows(),
    levels: Sequence[float] = (80, 95),
    features: Features | None = None,
) -> pd.DataFrame:
    """Backtest each model on each series of a PriceTable (sequentially).

    Parameters
    ----------
    prices
        A PriceTable (see :mod:`forecast.table`).
    models
        Registry names (``["snaive", "ets"]``) or a mapping name -> zero-argument factory.
    windows
        Horizon, most windows, step and minimum training size.
    levels
        Interval levels in percent.
    features
        Optional ``features(key, dates) -> DataFrame`` of exogenous features per series.

    Returns
    -------
    DataFrame
        KEY columns, ``model``, ``cutoff, date, step, actual, forecast, lower_L, upper_L...,
        error``. Failures are rows with a message in ``error``; they never stop the batch.
        Score it with :func:`forecast.metrics.score`.
    """
    levels = check_levels(levels)
    factories = resolve_models(models)
    job = partial(backtest_job, models=factories, windows=windows, levels=levels, features=features)
    # Sequential on purpose; an engine can map the same job (it pickles), but may return
    # results in completion order, so a caller doing that should sort by KEY afterwards.
    frames = list(map(job, iter_series(observed_prices(prices))))  # see backtest_prices
    if not frames:
        empty = _failure(levels, None, "").iloc[0:0]
        empty.insert(0, "model", pd.Series(dtype=object))
        for i, column in enumerate(KEY):
            empty.insert(i, column, pd.Series(dtype=object))
        return empty
    return pd.concat(frames, ignore_index=True)
