"""Forecast every series of a PriceTable: features, fit, predict, fall back, collect.

This is the stage the ``cropcast forecast`` command runs. Each series is one job (see
``forecast.engine``): the job carries only its own prices, builds its harvest features from
the calendar, fits the requested model and predicts. A series whose model fails gets the
naive forecast and a note, so the output always has one row per series and horizon step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache, partial

import numpy as np
import pandas as pd

from forecast.checks import check_horizon, check_levels
from forecast.errors import UsageError
from forecast.models import check_model_name, make_model
from forecast.models.base import future_index
from forecast.table import (
    KEY,
    checked_prices,
    infer_freq,
    iter_series,
    observed_prices,
    series_label,
)


@dataclass(frozen=True)
class ForecastSpec:
    """What to forecast: model name, horizon in periods, interval levels, calendar use."""

    model: str = "auto"
    horizon: int = 12
    levels: tuple = (80, 95)
    use_calendar: bool = True
    #: The date the ``horizon`` periods are counted from (a bulletin's date); ``None``: each
    #: series' own last date. A series whose last price is older is forecast as many periods
    #: further as it lags, so that every forecast covers the same periods after that date,
    #: while each series is fitted for its own horizon: ``auto``'s backtest and calibration
    #: depend on the horizon, and one lagging series gave every other series of a bulletin
    #: the ranges of a longer forecast than ``cropcast forecast`` makes for it.
    counted_from: pd.Timestamp | None = None
    #: Per series key, the date its forecast starts after, where its latest price there was
    #: held back as probably mistyped (``cropcast forecast``, ``plot``): it is fitted on the
    #: prices before and forecast as many periods further, those up to the date left out,
    #: so that its forecast covers the periods every other series' does.
    start_after: Mapping[tuple, pd.Timestamp] | None = None

    def __post_init__(self) -> None:
        # Kept as checked: a horizon of 6.0 stayed a float, and every model refused it.
        object.__setattr__(self, "horizon", check_horizon(self.horizon))
        object.__setattr__(self, "levels", check_levels(self.levels))
        check_model_name(self.model)  # unknown names fail here, before any work starts

    def for_series(self, y: pd.Series, key: tuple | None = None) -> ForecastSpec:
        """This spec with the horizon series ``y`` (of ``key``) needs (see ``counted_from``
        and ``start_after``)."""
        start = self.counted_from
        if start is None and self.start_after and key is not None:
            start = self.start_after.get(tuple(key))
        if start is None or not len(y):
            return replace(self, start_after=None) if self.start_after else self
        from forecast.clean.regularise import steps_between

        last, freq = pd.Timestamp(y.index[-1]), infer_freq(y.index)
        lag = max(0, steps_between(last, pd.Timestamp(start), freq))
        return replace(self, horizon=self.horizon + lag, counted_from=None, start_after=None)


#: How a note begins for a series with one price: no model fits it, so it repeats the
#: price. The end-of-run summary tells these apart from series whose model failed.
TOO_SHORT = "too short to forecast"


class SeriesForecast:
    """One series' result: the forecast, the model that made it, and what happened.

    Attributes: ``key``, ``forecast`` (a frame: ``date``, ``forecast``, ``lower_<L>`` and
    ``upper_<L>``, ``model``), ``model``, ``note``, ``explain`` and ``seconds``.

    The forecast is kept as two arrays and built into a frame when asked for: a 12-row
    DataFrame costs about 11 KB of Python objects, a gigabyte in the main process for
    100,000 series, where the arrays take a tenth of that and pickle faster on the way back
    from a worker.
    """

    __slots__ = (
        "key",
        "model",
        "note",
        "explain",
        "seconds",
        "not_run",
        "_dates",
        "_columns",
        "_values",
    )

    def __init__(
        self,
        key: tuple,
        forecast: pd.DataFrame,
        model: str,
        note: str = "",
        explain: dict | None = None,
        seconds: float = 0.0,
    ):
        self.key, self.model, self.note, self.seconds = key, model, note, seconds
        #: No worker was there to run it (a Dask cluster left without one): its naive
        #: forecast stands in until the run is made again (``forecast`` exits 75).
        self.not_run = False
        self.explain = {} if explain is None else explain
        self._dates = forecast["date"].to_numpy()
        self._columns = tuple(c for c in forecast.columns if c not in ("date", "model"))
        self._values = forecast[list(self._columns)].to_numpy(dtype=float)

    @property
    def forecast(self) -> pd.DataFrame:
        frame = pd.DataFrame(self._values, columns=list(self._columns))
        frame.insert(0, "date", self._dates)
        frame["model"] = self.model
        return frame

    def __len__(self) -> int:
        return len(self._dates)

    def __repr__(self) -> str:
        return f"SeriesForecast({self.key!r}, model={self.model!r}, steps={len(self)})"


@dataclass
class ForecastRun:
    """All series: the long forecast table (the data contract) and per-series notes."""

    forecasts: pd.DataFrame
    series: list[SeriesForecast]

    @property
    def notes(self) -> list[tuple[str, str]]:
        return [(series_label(s.key), s.note) for s in self.series if s.note]

    def refuse_unrun(self, made: str) -> None:
        """Raise :class:`~forecast.engine.SeriesNotRunError` (exit 75) when a Dask cluster
        had no worker for some series: what their naive stand-ins were for (a bulletin, a
        chart) is then ``made`` ("no bulletin was made")."""
        not_run = [s for s in self.series if s.not_run]
        if not_run:
            from forecast.engine import SeriesNotRunError

            raise SeriesNotRunError(made, len(not_run), len(self.series))


def harvest_features_for(key: tuple, dates: pd.DatetimeIndex, calendar) -> pd.DataFrame | None:
    """Harvest features for a series on ``dates``; ``None`` when no crop of its country matches."""
    if calendar is None:
        return None
    from forecast.calendar import harvest_features

    features = harvest_features(tuple(key), dates, calendar=calendar)
    return features if features.shape[1] else None


@cache
def takes_features(name: str) -> bool:
    """Whether model ``name`` fits on harvest features: only then are they built. Matching
    a series' commodity to the calendar's crops is text work, 1-2 ms a series, and ``auto``'s
    default candidates (naive, ETS, Theta) and every statistical model leave the features
    unused (11,500 series with naive: a quarter of the forecasting time)."""
    model = make_model(name)
    takes = getattr(model, "takes_features", None)
    return bool(takes() if callable(takes) else model.supports_exog)


def _fit_predict(
    name: str, y: pd.Series, X, X_future, spec: ForecastSpec, kin=None, source=None, inflation=None
):
    params = {}
    if name == "auto":
        from forecast.auto import fitted_steps

        params = {
            "horizon": fitted_steps(spec.horizon),
            "kin_errors": kin,
            "kin_source": source,
            "currency_inflation": inflation,
        }
    model = make_model(name, **params)
    model.fit(y, X)
    return model, model.predict(spec.horizon, X_future, spec.levels)


def forecast_series(
    item: tuple, spec: ForecastSpec, calendar=None, inflation: dict | None = None
) -> SeriesForecast:
    """Forecast one series; never raises for a bad series (falls back to naive, with a note).

    ``item`` is ``(key, y)``, or ``(key, y, kin, source)`` with the kin errors ``auto``
    pools into a short series' ranges and whose they are in words (see :mod:`forecast.kin`).
    ``inflation`` is :func:`forecast.auto.currency_inflation` of the file, for ``auto``.
    """
    import time

    key, y, kin, source = (*item, None, None)[:4]
    start = time.perf_counter()
    # A latest price held back: the periods up to its date are forecast, and left out.
    after = spec.start_after.get(tuple(key)) if spec.start_after else None
    spec = spec.for_series(y, key)
    X = X_future = None
    if spec.use_calendar and takes_features(spec.model):
        future = future_index(y, spec.horizon)
        features = harvest_features_for(key, y.index.append(future), calendar)
        if features is not None:
            X, X_future = features.loc[y.index], features.loc[future]
    note = ""
    try:
        rate = (inflation or {}).get(key[KEY.index("currency")])
        model, frame = _fit_predict(spec.model, y, X, X_future, spec, kin, source, rate)
        used = spec.model
        explain = dict(getattr(model, "explain_", {}) or {})
        fallback = getattr(model, "fallback_", None)
        if fallback:
            note = f"{spec.model} fell back: {fallback}"
    except Exception as exc:  # one odd series must never stop a batch
        note = f"{spec.model} failed ({type(exc).__name__}: {exc}); used naive"
        try:
            model, frame = _fit_predict("naive", y, X, X_future, spec)
            used, explain = "naive", {}
        except Exception as exc2:  # fewer than two prices: carry the last price
            n_prices = int(y.notna().sum())
            if n_prices < 2:
                prices = f"{n_prices} price{'s' if n_prices != 1 else ''}"
                note = f"{TOO_SHORT} ({prices}); repeated the last price"
            elif spec.model == "naive":  # not for want of prices: a failure, said as one
                note = f"naive failed ({type(exc2).__name__}: {exc2}); repeated the last price"
            else:
                note = (
                    f"{spec.model} failed ({type(exc).__name__}: {exc}) and naive too "
                    f"({type(exc2).__name__}: {exc2}); repeated the last price"
                )
            frame = _last_price(y, spec, kin if spec.model == "auto" else None)
            if spec.levels and frame[f"lower_{spec.levels[0]}"].notna().all():
                note += f", with ranges from its kin's moves ({source or 'other markets'})"
            elif spec.levels and n_prices < 2:  # no move, and no other series lent theirs
                why = "one price shows no move"
                if spec.model == "auto":
                    why += ", and the file's other series have too few moves to lend it"
                note += f"; no ranges ({why})"
            elif spec.levels:
                note += "; no ranges"
            used, explain = "last", {}
    frame = frame.reset_index().rename(columns={"index": "date"})
    if after is not None:
        frame = frame[frame["date"] > pd.Timestamp(after)].reset_index(drop=True)
    frame["model"] = used
    return SeriesForecast(key, frame, used, note, explain, time.perf_counter() - start)


def _last_price(y: pd.Series, spec: ForecastSpec, kin) -> pd.DataFrame:
    """The last price repeated; ranges only from kin moves (one price shows no move)."""
    from forecast.auto import conformal_widths, enough_moves

    index = future_index(y, spec.horizon)
    last = float(y.dropna().iloc[-1])
    frame = pd.DataFrame({"forecast": last}, index=index)
    widths = None
    if kin is not None and enough_moves(kin):  # what auto asks of a short series' own
        gap = len(y) - 1 - y.index.get_loc(y.last_valid_index())  # periods since the price
        # Its errors are all its kin's: the further steps' cap them (see conformal_widths).
        kin = np.asarray(kin, float)
        widths = conformal_widths(kin, spec.levels, spec.horizon, gap, further=True)
    for i, level in enumerate(spec.levels):
        frame[f"lower_{level}"] = np.nan if widths is None else last * np.exp(-widths[:, i])
        frame[f"upper_{level}"] = np.nan if widths is None else last * np.exp(widths[:, i])
    return frame


def series_failed(item: tuple[tuple, pd.Series], error: BaseException, spec: ForecastSpec):
    """The result for a series whose job failed outright: naive, made here, with a note."""
    from forecast.engine import NoWorkerError

    naive = forecast_series(item, replace(spec, model="naive", use_calendar=False))
    naive.not_run = isinstance(error, NoWorkerError)
    # A series no worker ran had no model fail ("naive failed ...; used naive" said so).
    what = "not run" if naive.not_run else f"{spec.model} failed"
    naive.note = f"{what} ({type(error).__name__}: {error}); used {naive.model}"
    return naive


def forecast_prices(
    prices: pd.DataFrame,
    spec: ForecastSpec | None = None,
    *,
    engine: str = "processes",
    n_jobs: int | None = None,
    scheduler=None,
    calendar=None,
    on_done: Callable[[SeriesForecast], None] | None = None,
    kin_prices: pd.DataFrame | None = None,
) -> ForecastRun:
    """Forecast every series in ``prices``.

    Parameters
    ----------
    prices
        A PriceTable.
    spec
        Model, horizon, levels (default: ``auto``, 12 periods, 80 and 95 %).
    engine, n_jobs, scheduler
        Where per-series jobs run (see ``forecast.engine.run_jobs``). A series whose job
        fails outright (its worker process died twice) gets the naive forecast and a note.
    calendar
        A harvest calendar (``forecast.calendar.load_calendar()``); loaded when ``None`` and
        ``spec.use_calendar``.
    on_done
        Called after each series (progress bars).
    kin_prices
        The PriceTable ``auto`` draws a short series' kin from (see :mod:`forecast.kin`):
        the whole file when ``prices`` is a selection of it, so that a series' ranges do
        not depend on which others were asked for. Default: ``prices``.
    """
    from forecast.engine import run_jobs

    spec = spec or ForecastSpec()
    if not isinstance(spec, ForecastSpec):
        raise UsageError(
            f"spec must be a ForecastSpec, got a {type(spec).__name__}",
            "forecast_prices",
            "Pass e.g. ForecastSpec(model='auto', horizon=12)",
        )
    prices = checked_prices(prices)
    if calendar is None and spec.use_calendar:
        from forecast.calendar import load_calendar

        calendar = load_calendar()
    # Models fit real prices and fill the gaps themselves (log-linearly, as cleaning does, so
    # the fits are the same); auto's ranges, inflation and "too short" counts then rest on
    # real prices only, not on estimates made from the prices around them.
    prices = observed_prices(prices)
    every = prices if kin_prices is None else observed_prices(kin_prices)
    inflation = None
    if spec.model == "auto":
        from forecast.auto import currency_inflation

        inflation = currency_inflation(every)
    job = partial(forecast_series, spec=spec, calendar=calendar, inflation=inflation)
    failed = partial(series_failed, spec=spec)
    items = iter_series(prices)
    if spec.model == "auto":
        from forecast.auto import AutoForecaster, fitted_steps
        from forecast.kin import KinPools, PoolsByHorizon, WithKin

        window = AutoForecaster().calibration_window
        if spec.counted_from is None and not spec.start_after:
            pools = KinPools(every, fitted_steps(spec.horizon), window)
            if pools:
                items = WithKin(items, pools)
        else:  # each series takes the kin a forecast of its own horizon gives it
            items = WithKin(items, PoolsByHorizon(every, window, spec, prices))
    results = []
    jobs = run_jobs(job, items, engine=engine, n_jobs=n_jobs, scheduler=scheduler, on_error=failed)
    for result in jobs:
        results.append(result)
        if on_done is not None:
            on_done(result)
    results.sort(key=lambda r: r.key)
    return ForecastRun(forecast_table(results, spec.levels), results)


def forecast_table(results: Sequence[SeriesForecast], levels: Sequence) -> pd.DataFrame:
    """The forecast output of the data contract: key, date, forecast, lower/upper, model."""
    columns = [*KEY, "date", "forecast"]
    for level in levels:
        columns += [f"lower_{level}", f"upper_{level}"]
    columns.append("model")
    if not results:
        return pd.DataFrame(columns=columns)
    numbers = columns[len(KEY) + 1 : -1]  # forecast, lower_<L>, upper_<L>, ...
    if any(list(result._columns) != numbers for result in results):  # levels other than asked
        table = pd.concat([result.forecast for result in results], ignore_index=True)
    else:  # from the arrays in one go, never one frame a series
        table = pd.DataFrame(np.concatenate([r._values for r in results]), columns=numbers)
        table.insert(0, "date", np.concatenate([r._dates for r in results]))
        table["model"] = np.repeat([r.model for r in results], [len(r) for r in results])
    # Key columns in one go: setting them frame by frame cost milliseconds a series, which
    # on 100,000 series is minutes after the last forecast came back.
    lengths = [len(result) for result in results]
    for i, name in enumerate(KEY):
        table[name] = np.repeat([result.key[i] for result in results], lengths).tolist()
    return table[columns]


def _number_texts(values: pd.Series) -> pd.Series:
    """Numbers as CSV text with twelve significant digits, vectorised (a backtest table has
    hundreds of thousands of cells): "510.0", not the "509.9999999999999" exp(log(510))
    gives; never exponent notation below 1e16; a whole number keeps its ".0", so the column
    reads back as decimals; nothing reads as thousands ("92.853" is written "92.8530")."""
    from forecast.io.files import THOUSANDS_LIKE

    v = values.to_numpy(dtype=float)
    # Below 1e-200 the scale factor would overflow; such a price does not exist anyway.
    scaled = np.isfinite(v) & (np.abs(v) > 1e-200)
    digits = np.zeros_like(v)
    digits[scaled] = 11 - np.floor(np.log10(np.abs(v[scaled])))
    factor = 10.0**digits
    rounded = np.where(scaled, np.round(v * factor) / factor, v)
    text = pd.Series(rounded.astype(str), index=values.index)
    small = text.str.contains("e-", regex=False)  # 5e-05: written out, as a person would
    if small.any():
        text[small] = [np.format_float_positional(x, trim="0") for x in rounded[small.to_numpy()]]
    text = text.where(~text.str.fullmatch(THOUSANDS_LIKE), text + "0")
    return text.where(np.isfinite(v), "")


def write_forecasts(forecasts: pd.DataFrame, path) -> None:
    """CSV or Parquet, chosen by the file extension."""
    from pathlib import Path

    from forecast.io.replace import replaced

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise UsageError(
            f"cannot write '{suffix or path.name}' files",
            "--output",
            "Use a .csv or .parquet file name",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced(path, "--output") as temporary:  # whole or not at all
        if suffix == ".parquet":
            forecasts.to_parquet(temporary, index=False)
        else:
            out = forecasts.copy()
            out["date"] = pd.to_datetime(out["date"]).dt.strftime("%Y-%m-%d")
            # Readable numbers that read back as written (see _number_texts).
            for column in out.columns[out.dtypes.map(pd.api.types.is_float_dtype)]:
                out[column] = _number_texts(out[column])
            out.to_csv(temporary, index=False, encoding="utf-8")


__all__ = [
    "ForecastRun",
    "ForecastSpec",
    "SeriesForecast",
    "forecast_prices",
    "forecast_series",
    "forecast_table",
    "write_forecasts",
]
