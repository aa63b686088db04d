"""Prophet on log prices with sampled intervals, and Prophet with default settings as a peer.

``ProphetModel`` is the tuned one: log prices (so seasonality and regressors act in percent
terms and forecasts stay positive), a yearly Fourier series sized for the data's frequency,
Việt Nam's holidays for weekly and daily data (Tết moves between late January and February,
which a yearly seasonality cannot follow), exogenous columns as extra regressors, and
intervals at any set of levels read from one set of predictive samples.

``ProphetDefault`` is ``Prophet()`` untouched on raw prices, the peer a benchmark compares
against ("would a user have done as well by calling Prophet themselves?").

Prophet itself is imported on first use, inside ``quiet()``, so importing this module is cheap
and Prophet's import-time chatter ("Importing plotly failed") stays out of the user's terminal.
A new ``Prophet`` object is built on every ``fit``: Prophet objects cannot be refitted, and
reusing one would carry state from an earlier series.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

import numpy as np
import pandas as pd

from forecast.calendar import tet_days
from forecast.errors import UsageError
from forecast.models.base import Forecaster, future_index, period_kind
from forecast.models.gbm import exog_columns, exog_frame, periods_per_year

log = logging.getLogger(__name__)


#: Yearly Fourier order by data frequency: 5 pairs is all 12 points a year can carry
#: (6 would fit the months exactly); finer data can afford Prophet's default 10.
YEARLY_ORDER = {"monthly": 5, "weekly": 10, "daily": 10}
#: Periods sampled at least per forecast, a year of them (see ProphetModel._predict).
SAMPLED_STEPS = {"monthly": 12, "weekly": 52, "daily": 365}


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence Prophet and cmdstanpy for the duration, then restore the user's settings.

    cmdstanpy installs its own INFO handler ("Chain [1] start processing") and Prophet logs
    at INFO; both are raised to WARNING/ERROR only inside the block. Anything else written to
    stdout/stderr is captured and passed to this module's logger at DEBUG, so it is not lost.
    Logger levels and ``sys.stdout``/``sys.stderr`` are process-wide, so two threads fitting
    Prophet at once could restore each other's settings early; the engine runs models in
    processes, where this cannot happen.
    """
    levels = {
        "cmdstanpy": logging.ERROR,
        "prophet": logging.WARNING,
        "prophet.plot": logging.CRITICAL,
    }
    saved = {}
    for name, level in levels.items():
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.setLevel(level)
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
        if sink.getvalue().strip():
            log.debug("prophet output: %s", sink.getvalue().strip())


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed NumPy's global generator (Prophet samples from it) and restore it afterwards."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _prophet_class():
    with quiet():
        from prophet import Prophet
    return Prophet


def is_viet_nam(country: str) -> bool:
    return country.upper().replace(" ", "") in ("VN", "VNM", "VIETNAM")


def tet_dates(years: range) -> pd.DatetimeIndex:
    """Tết (Lunar New Year day) in ``years``, from the ``holidays`` package or the table."""
    try:
        with quiet():
            from prophet.make_holidays import make_holidays_df
        table = make_holidays_df(list(years), "VN")
        dates = pd.DatetimeIndex(table.loc[table["holiday"] == "Lunar New Year", "ds"])
    except (ImportError, AttributeError, KeyError, NotImplementedError):
        dates = pd.DatetimeIndex([])
    if len(dates) == 0:
        # The holidays package is missing or renamed the day: use the fixed table.
        dates = tet_days()
        dates = dates[dates.year.isin(list(years))]
    return dates.sort_values()


def weekly_holidays(country: str, index: pd.DatetimeIndex, years: range) -> pd.DataFrame:
    """Holidays snapped onto the week that contains them, for weekly series.

    Prophet marks a holiday only on rows whose ``ds`` equals the holiday's date, so on weekly
    data (one row a week) a holiday falling mid-week would never be seen: each holiday is
    moved to the start of the week containing it. Substituted and "observed" days off are
    dropped (one-off dummies that only soak up noise). For Việt Nam the days around Lunar New
    Year become one "Tết" week (the week of the first day), with the two weeks before it, when
    demand for fruit and gifts peaks, and the week after, when markets reopen slowly.
    """
    with quiet():
        from prophet.make_holidays import make_holidays_df

    step = index[1] - index[0]
    anchor = index[0]
    try:
        table = make_holidays_df(list(years), country)
    except AttributeError as err:  # Prophet's way of saying "no such country"
        if not is_viet_nam(country):
            raise UsageError(
                f"no holiday calendar for country '{country}'",
                "ProphetModel(holidays_country)",
                "Use an ISO code such as 'VN', or None",
            ) from err
        table = pd.DataFrame({"ds": tet_dates(years), "holiday": "Lunar New Year"})
    names = table["holiday"].astype(str)
    one_offs = names.str.contains(r"observed|substituted|Day off", case=False)
    tet_cluster = names.str.contains("Lunar New Year") & (names != "Lunar New Year")
    table = table.loc[~one_offs & ~tet_cluster].copy()
    table["ds"] = anchor + ((pd.to_datetime(table["ds"]) - anchor) // step) * step
    tet = table.loc[table["holiday"] == "Lunar New Year", "ds"]
    table = table.loc[table["holiday"] != "Lunar New Year"]
    weeks = {"Tết": 0, "Tết -2 weeks": -2, "Tết -1 week": -1, "Tết +1 week": 1} if len(tet) else {}
    shifted = [pd.DataFrame({"ds": tet + n * step, "holiday": name}) for name, n in weeks.items()]
    table = pd.concat([table, *shifted])
    return table.drop_duplicates().reset_index(drop=True)


def sample_intervals(
    samples: np.ndarray,
    point: np.ndarray,
    levels: tuple,
    index: pd.DatetimeIndex,
    transform=np.exp,
) -> pd.DataFrame:
    """Forecast frame with intervals read as quantiles of predictive samples (rows = dates).

    All levels come from the same samples, so intervals are nested by construction.
    """
    out = pd.DataFrame({"forecast": transform(point)}, index=index)
    for level in levels:
        tail = float(level) / 200
        lower, upper = np.quantile(samples, [0.5 - tail, 0.5 + tail], axis=1)
        out[f"lower_{level}"] = transform(lower)
        out[f"upper_{level}"] = transform(upper)
    return out


class ProphetModel(Forecaster):
    """Prophet on log prices; intervals from predictive samples at any levels.

    Parameters
    ----------
    seasonality
        ``"auto"``: yearly Fourier order 5 for monthly data, 10 for weekly and daily, and none
        for less than two years of data; True: those orders whatever the length; an int sets
        the order; 0, False or None turns it off.
    holidays_country
        Country whose holidays enter weekly and daily models (Tết for "VN"); None for none.
        Monthly data gets none: a month is too coarse for a holiday dummy.
    n_samples
        Predictive samples drawn for the intervals (Prophet's ``uncertainty_samples``).
    changepoint_prior_scale
        Flexibility of the piecewise-linear trend (Prophet's default 0.05).
    seed
        Seeds Stan's optimiser and the sampling, so refits and re-predictions agree.

    Attributes
    ----------
    model_ : prophet.Prophet
        The fitted Prophet object (a new one on every fit).
    regressors_ : list of str
        Exogenous columns added as regressors (constant ones skipped).
    """

    name = "prophet"
    frequencies = ("monthly", "weekly", "daily")  # holidays mark days too
    supports_exog = True
    supports_intervals = True
    # 24 prices (two years of months): with 18 monthly prices there is no yearly shape to
    # fit, and the trend's changepoints gave 95 % ranges 250 times wide (Bạc Liêu rice:
    # 493-121,738 đồng/kg); such a series gets naive, with a note. 24 weekly prices (half a
    # year) gave ranges of about 3x at 12 weeks: counted in prices, not years. The
    # benchmark's prophet_default keeps Prophet's own 12: it is Prophet as shipped.
    min_length = 24

    def __init__(
        self,
        seasonality="auto",
        holidays_country: str | None = "VN",
        n_samples: int = 300,
        changepoint_prior_scale: float = 0.05,
        seed: int = 0,
    ):
        self.seasonality = seasonality
        self.holidays_country = holidays_country
        self.n_samples = n_samples
        self.changepoint_prior_scale = changepoint_prior_scale
        self.seed = seed

    def _yearly_order(self, kind: str, span_days: float) -> int:
        if self.seasonality is True:
            return YEARLY_ORDER[kind]
        if self.seasonality == "auto":
            # Like Prophet's own "auto": a yearly shape needs two years to be told from trend.
            return YEARLY_ORDER[kind] if span_days >= 730 else 0
        if self.seasonality is None or self.seasonality is False:
            return 0
        if isinstance(self.seasonality, (int, np.integer)) and self.seasonality >= 0:
            return int(self.seasonality)
        raise UsageError(
            f"seasonality={self.seasonality!r} is not 'auto', a Fourier order >= 0 or None",
            "ProphetModel(seasonality=...)",
        )

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        if int(self.n_samples) != self.n_samples or self.n_samples < 1:
            raise UsageError(f"n_samples={self.n_samples} must be >= 1", "ProphetModel")
        if not self.changepoint_prior_scale > 0:
            raise UsageError("changepoint_prior_scale must be > 0", "ProphetModel")
        Prophet = _prophet_class()

        observed = y.dropna()  # Prophet handles gaps by leaving the rows out
        kind = period_kind(self.freq_)  # fit took only monthly, weekly or daily
        span = (observed.index[-1] - observed.index[0]).days
        order = self._yearly_order(kind, span)

        holidays = None
        if self.holidays_country and kind == "weekly":
            years = range(y.index[0].year - 1, y.index[-1].year + 11)  # covers the horizon
            holidays = weekly_holidays(self.holidays_country, y.index, years)
        model = Prophet(
            growth="linear",
            yearly_seasonality=order if order else False,
            weekly_seasonality=kind == "daily",  # no within-week shape in weekly data
            daily_seasonality=False,
            holidays=holidays,
            changepoint_prior_scale=float(self.changepoint_prior_scale),
            uncertainty_samples=int(self.n_samples),
        )
        if self.holidays_country and kind == "daily":
            try:
                model.add_country_holidays(country_name=self.holidays_country)
            except AttributeError as err:  # Prophet's way of saying "no such country"
                if not is_viet_nam(self.holidays_country):
                    raise UsageError(
                        f"no holiday calendar for country '{self.holidays_country}'",
                        "ProphetModel(holidays_country)",
                        "Use an ISO code such as 'VN', or None",
                    ) from err
                # The holidays package could not answer for Việt Nam: Tết from the table,
                # from its eve to the fifth day.
                years = range(y.index[0].year - 1, y.index[-1].year + 11)
                model.holidays = pd.DataFrame(
                    {
                        "ds": tet_dates(years),
                        "holiday": "Tết",
                        "lower_window": -1,
                        "upper_window": 4,
                    }
                )

        # Log prices less their median's log: Prophet scales y by its largest absolute value,
        # so raw log prices made its priors, and the forecast, depend on the unit (a price in
        # đồng and in thousand đồng were forecast 0.6-2 % apart); their ratios do not.
        logs = np.log(observed.to_numpy(float))
        self.centre_ = float(np.median(logs))
        frame = pd.DataFrame({"ds": observed.index, "y": logs - self.centre_})
        self.regressors_ = exog_columns(X, observed.index)
        self.X_ = X[self.regressors_] if self.regressors_ else None
        if self.regressors_:
            values = exog_frame(
                self.X_, None, observed.index, self.freq_, periods_per_year(self.freq_)
            )
            for column in self.regressors_:
                model.add_regressor(column)
                frame[column] = values[column].to_numpy()

        with quiet():
            model.fit(frame, seed=int(self.seed))
        self.model_ = model

    def _future_frame(self, h: int, X_future: pd.DataFrame | None) -> pd.DataFrame:
        dates = future_index(self.y_, h)
        frame = pd.DataFrame({"ds": dates})
        if self.regressors_:
            values = exog_frame(self.X_, X_future, dates, self.freq_, periods_per_year(self.freq_))
            for column in self.regressors_:
                frame[column] = values[column].to_numpy()
        return frame

    def _predict(self, h: int, X_future: pd.DataFrame | None, levels: tuple) -> pd.DataFrame:
        # Sampled for a year at least, then cut: the trend's random future changepoints are
        # drawn along the whole horizon, so a 1-month forecast's first month differed from a
        # 12-month one's (57.26 against 57.29). Up to a year ahead, a shorter forecast is
        # now the start of a longer one.
        steps = max(h, SAMPLED_STEPS[period_kind(self.freq_)])
        future = self._future_frame(steps, X_future)
        with quiet(), seeded(self.seed):
            samples = self.model_.predictive_samples(future)["yhat"][:h] + self.centre_
        # The sample median: the middle of the range, consistent with the quantiles.
        point = np.median(samples, axis=1)
        return sample_intervals(samples, point, levels, pd.DatetimeIndex(future["ds"][:h]))


class ProphetDefault(Forecaster):
    """``Prophet()`` with its default settings on raw prices: the benchmark peer.

    Nothing is tuned: automatic seasonalities, no holidays, no log transform, the mean
    forecast ``yhat``. Intervals at the requested levels come from Prophet's own predictive
    samples (1000 by default), exactly how Prophet builds its ``yhat_lower``/``yhat_upper``
    at ``interval_width=0.8``. Raw-price Prophet can dip below zero; the output is floored at a
    millionth of the lowest observed price, as good as zero in price terms but positive, so
    the forecast contract holds and log-scale scores punish the miss instead of crashing.

    Parameters
    ----------
    seed
        Seeds the optimiser and the sampling, for reproducible benchmarks.
    """

    name = "prophet_default"
    frequencies = ("monthly", "weekly", "daily")  # holidays mark days too
    joins_jumps = False  # the peer as shipped sees the prices as they are
    supports_exog = False
    supports_intervals = True
    min_length = 12

    def __init__(self, seed: int = 0):
        self.seed = seed

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        Prophet = _prophet_class()
        observed = y.dropna()
        model = Prophet()
        with quiet():
            model.fit(
                pd.DataFrame({"ds": observed.index, "y": observed.to_numpy(float)}),
                seed=int(self.seed),
            )
        self.model_ = model
        self.floor_ = 1e-6 * float(observed.min())

    def _predict(self, h: int, X_future: pd.DataFrame | None, levels: tuple) -> pd.DataFrame:
        future = pd.DataFrame({"ds": future_index(self.y_, h)})
        with quiet(), seeded(self.seed):
            point = self.model_.predict(future)["yhat"].to_numpy()
            samples = self.model_.predictive_samples(future)["yhat"]
        out = sample_intervals(
            samples, point, levels, pd.DatetimeIndex(future["ds"]), transform=np.asarray
        )
        return out.clip(lower=self.floor_)
