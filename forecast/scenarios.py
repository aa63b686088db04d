"""What-if outlooks: the forecast when the harvest is late, prices jump now, or we look further.

The questions a planner asks, each answered by changing one input of an ordinary forecast
and comparing the outlook with the baseline, series by series:

* :func:`shift_harvest` moves a harvest calendar's months (wrapping past December);
* :func:`price_shock` multiplies the latest prices of chosen series;
* :func:`compare_outlooks` forecasts the baseline and every scenario into one long table
  with a ``scenario`` column, and :func:`outlook_changes` sets each scenario against the
  baseline date by date.

Choices
-------
**"Now" is the latest observation of each series.** Series end at different months (WFP's
An Giang rice in 2022, the Pink Sheet in 2025), so a shock "now" multiplies the last price
of each selected series, whatever its date. ``at=`` instead multiplies every price on or
after that date: a jump that happened then and has lasted. Series with no price on or after
``at`` are left as they are.

**Flags are left alone.** ``flags`` records what cleaning did to an observation
(``interpolated``, ``outlier``...); a what-if price is not an observation, so no mark is
invented for it. A shocked table is for forecasting at once, never for storing: it carries
``attrs["scenario"]`` (e.g. ``"price +20% at the latest price of 1 series"``) for display.

**A late harvest moves the typical year, not the models' calendar features.** In every past
year the harvest came in the same months, so the calendar features are a fixed function of
the month and no model can tell the harvest's effect from the month's. Feeding shifted
features to the forecast period alone moved ``gbm``'s outlook by under 2 %, sent Prophet's to
four times the price on An Giang rice, and changes nothing for models that ignore features
(``auto``'s default candidates). So :func:`compare_outlooks` applies a delay of ``k`` months
to the finished forecast, for series with calendar rows of their own commodity and country
(:func:`forecast.calendar.match_series`): the outlook for a period in month ``m`` is
multiplied by ``S(m - k) / S(m)``, where ``S`` is the series' typical year
(:func:`forecast.typical_year.seasonal_index`: each month's median price relative to the
12 months around it, over the series' last 25 years, as notebook 02 and the charts show
it). Where the forecast follows the typical year this moves its season ``k`` months later;
where it does not (a flat forecast), the factor is still the change a late season brings:
how much dearer or cheaper month ``m`` is when it looks like month ``m - k``. Ranges move
with the point forecast. The whole typical year moves: in the Mekong Delta one
late rice crop delays the next, and the price season is the harvest's. Series with no calendar
row, rows of another country only (Thai rice against Viet Nam's calendar), or too short for
a typical year, are unchanged (a note says why). The rule works for
every model, and a planner can check it against the seasonal chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from numbers import Real

import numpy as np
import pandas as pd

from forecast.calendar import MONTH_COLUMNS, match_commodity, match_series
from forecast.checks import check_horizon
from forecast.errors import UsageError
from forecast.models import check_model_name
from forecast.table import KEY, iter_series, observed_prices, select_series, series_label

#: Columns of :func:`compare_outlooks` in front of the forecast contract's columns.
SCENARIO_COLUMN = "scenario"


# --------------------------------------------------------------------------- the changes


def shift_harvest(calendar: pd.DataFrame, months: int) -> pd.DataFrame:
    """A calendar whose planting, harvest and peak months are ``months`` later.

    Parameters
    ----------
    calendar
        A validated calendar (:func:`forecast.calendar.load_calendar`).
    months
        Whole months; negative moves the seasons earlier. Months wrap: December + 2 is
        February, so a season may newly wrap past the year end (harvest 11–1).

    Returns
    -------
    pd.DataFrame
        A copy with every month column shifted (empty months stay empty) and ``source``
        saying the timing is a what-if, so the shifted rows are never mistaken for a
        published calendar.
    """
    if isinstance(months, bool) or int(months) != months:
        raise UsageError(f"months={months!r} must be a whole number", "shift_harvest")
    months = int(months)
    out = calendar.copy()
    if months % 12 == 0:
        return out
    for column in MONTH_COLUMNS:
        values = out[column].astype("Int64")
        out[column] = ((values - 1 + months) % 12 + 1).astype("Int64")
    out["source"] = out["source"].astype(str) + f" [what-if: shifted {months:+d} months]"
    return out


def _patterns(series: str | Sequence[str] | None) -> list[str] | None:
    if series is None:
        return None
    return [series] if isinstance(series, str) else list(series)


def price_shock(
    prices: pd.DataFrame,
    pct: float,
    at=None,
    series: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Prices with the latest price(s) of some series moved by ``pct`` percent.

    Parameters
    ----------
    prices
        A PriceTable.
    pct
        The change in percent: ``20`` multiplies by 1.2, ``-10`` by 0.9. Must be > -100.
    at
        ``None`` (default): "now", the latest observation of each selected series (see the
        module notes). A date: every price of the selected series on or after it.
    series
        Patterns of :func:`forecast.table.select_series` (``"Rice|An Giang"``) choosing the
        series to shock; ``None`` shocks every series.

    Returns
    -------
    pd.DataFrame
        A copy of ``prices`` with the chosen prices multiplied; ``flags`` untouched;
        ``attrs["scenario"]`` describes the change.

    Raises
    ------
    UsageError
        For ``pct <= -100``, an unreadable ``at``, or when no price matches.
    """
    try:
        pct = float(pct)
    except (TypeError, ValueError):
        raise UsageError(f"pct={pct!r} is not a number", "price_shock") from None
    if not np.isfinite(pct) or pct <= -100:
        raise UsageError(
            f"a change of {pct:g}% would leave no positive price",
            "price_shock",
            "Use a percentage above -100, e.g. 20 for +20%",
        )
    if not prices.index.is_unique:  # rows are picked by label below
        prices = prices.reset_index(drop=True)
    chosen = select_series(prices, _patterns(series))
    if at is None:
        last = chosen.groupby(list(KEY), sort=False, observed=True)["date"].transform("max")
        hit = chosen.index[chosen["date"] == last]
        where = "the latest price"
    else:
        try:
            stamp = pd.Timestamp(at)
        except (TypeError, ValueError):
            stamp = pd.NaT
        if pd.isna(stamp):
            raise UsageError(f"at={at!r} is not a date", "price_shock", "Use e.g. '2025-06-01'")
        hit = chosen.index[chosen["date"] >= stamp]
        where = f"prices from {stamp.date()}"
    if len(hit) == 0:
        raise UsageError(
            "no price to shock",
            "price_shock",
            "Check the series patterns and the date 'at'",
        )
    out = prices.copy()
    out.loc[hit, "price"] = out.loc[hit, "price"].astype(float) * (1 + pct / 100)
    n = out.loc[hit, list(KEY)].drop_duplicates().shape[0]
    out.attrs["scenario"] = f"price {pct:+g}% at {where} of {n} series"
    return out


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Scenario:
    """One what-if: the changes applied to the baseline forecast (all optional).

    Attributes
    ----------
    harvest_delay
        Months the harvest comes late (negative: early); see the module notes.
    shock
        Percent change of the shocked prices (``20`` is +20 %); 0 is no shock.
    shock_series
        :func:`forecast.table.select_series` patterns for the shocked series; ``None``: all.
    shock_at
        ``None`` shocks the latest price of each series ("now"); a date shocks prices from it.
    horizon
        Forecast periods instead of the baseline's.
    model
        Model name instead of the baseline's.
    """

    harvest_delay: int = 0
    shock: float = 0.0
    shock_series: str | tuple[str, ...] | None = None
    shock_at: object = None
    horizon: int | None = None
    model: str | None = None

    @classmethod
    def from_dict(cls, name: str, params: Mapping | Scenario) -> Scenario:
        """A scenario from its dict (``{"shock": 20}``); unknown keys are a ``UsageError``."""
        if isinstance(params, Scenario):
            return params
        if not isinstance(params, Mapping):
            raise UsageError(f"scenario {name!r} must be a dict of changes, e.g. {{'shock': 20}}")
        known = [f.name for f in fields(cls)]
        unknown = [k for k in params if k not in known]
        if unknown:
            raise UsageError(
                f"scenario {name!r}: unknown change {unknown[0]!r}",
                "compare_outlooks",
                f"Use: {', '.join(known)}",
            )
        try:
            return cls(**params)
        except UsageError as error:  # said with the scenario's name
            raise UsageError(f"scenario {name!r}: {error.what}", error.where, error.fix) from None

    def __post_init__(self) -> None:
        # Checked here, not only in from_dict: a Scenario made directly skipped the checks,
        # and harvest_delay=1.5 moved the season by int(1.5) months without a word.
        delay = self.harvest_delay
        if isinstance(delay, bool) or not isinstance(delay, Real) or int(delay) != delay:
            raise UsageError(
                f"harvest_delay {delay!r} must be whole months", "Scenario", "Use e.g. 2 or -1"
            )
        object.__setattr__(self, "harvest_delay", int(delay))
        if self.horizon is not None:  # 0 was taken as "the baseline's horizon"
            object.__setattr__(self, "horizon", check_horizon(self.horizon))
        if self.model is not None:
            check_model_name(self.model, "Scenario(model)")


def _month_of_period(dates: pd.Series) -> np.ndarray:
    """The month each period mostly lies in: a Monday's week counts in its Thursday's month."""
    index = pd.DatetimeIndex(dates)
    shift = np.where(index.day_of_week == 0, 3, 0)
    return (index + pd.to_timedelta(shift, unit="D")).month.to_numpy()


def _delay_factors(y: pd.Series, dates: pd.Series, months: int) -> np.ndarray:
    """``S(m - months) / S(m)`` for each forecast date, ``S`` the typical year of ``y``."""
    from forecast.typical_year import seasonal_index

    typical = seasonal_index(y).set_index("month")["median"]
    level = (1 + typical / 100).reindex(range(1, 13)).to_numpy()
    month = _month_of_period(dates)
    earlier = (month - 1 - months) % 12 + 1
    needed = sorted({int(m) for m in (*month, *earlier)})
    holes = [m for m in needed if not np.isfinite(level[m - 1])]
    if holes:
        # A short or gappy history has no typical level for some months; taking them as
        # average would move prices by a season the data never showed, without a word.
        raise ValueError(
            f"its typical year has no level for month {', '.join(map(str, holes))} yet"
        )
    return level[earlier - 1] / level[month - 1]


def delay_season(
    forecasts: pd.DataFrame,
    prices: pd.DataFrame,
    months: int,
    calendar: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Forecasts with the typical year moved ``months`` later where a harvest drives it.

    See the module notes for the rule. Returns the adjusted forecasts (point and every
    ``lower_L``/``upper_L``) and notes naming the series left unchanged and why.
    """
    if calendar is None:
        from forecast.calendar import load_calendar

        calendar = load_calendar()
    out = forecasts.copy()
    notes: list[str] = []
    bounds = [c for c in out.columns if c == "forecast" or c.startswith(("lower_", "upper_"))]
    # The typical year of prices someone wrote, as everywhere (forecast.typical_year).
    history = dict(iter_series(observed_prices(prices)))
    for key, rows in out.groupby(list(KEY), sort=True, observed=True):
        label = series_label(key)
        if match_series(tuple(key), calendar).empty:
            why = (
                f"no harvest calendar row for {key[0]!r}"
                if match_commodity(key[0], calendar).empty
                else f"the calendar's {key[0]!r} rows are another country's"
            )
            notes.append(f"{label}: {why}; unchanged")
            continue
        try:
            factor = _delay_factors(history[tuple(key)], rows["date"], int(months))
        except (KeyError, ValueError) as exc:
            notes.append(f"{label}: no typical year to move ({exc}); unchanged")
            continue
        out.loc[rows.index, bounds] = rows[bounds].to_numpy(dtype=float) * factor[:, None]
    return out, notes


def compare_outlooks(
    prices: pd.DataFrame,
    scenarios: Mapping[str, Mapping | Scenario],
    spec=None,
    *,
    calendar: pd.DataFrame | None = None,
    engine: str = "processes",
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Forecast the baseline and each scenario; one long table with a ``scenario`` column.

    Parameters
    ----------
    prices
        A PriceTable (the real history).
    scenarios
        Name -> changes, e.g. ``{"baseline": {}, "harvest 2 months late":
        {"harvest_delay": 2}, "+20% now": {"shock": 20}, "24 months": {"horizon": 24}}``.
        Keys of a change dict are the fields of :class:`Scenario`; an empty dict is the
        baseline. Names keep their order in the output.
    spec
        The baseline :class:`forecast.forecasting.ForecastSpec` (model, horizon, levels,
        calendar use); default ``ForecastSpec()``.
    calendar
        The harvest calendar for features and for ``harvest_delay``; default the shipped
        Mekong Delta calendar, whose rows speak only for Vietnamese series.
    engine, n_jobs
        As in :func:`forecast.forecasting.forecast_prices`.

    Returns
    -------
    pd.DataFrame
        ``scenario``, the forecast contract's columns (KEY, ``date``, ``forecast``,
        ``lower_L``/``upper_L``, ``model``) and ``step`` (1 = first forecast period).
        ``attrs["notes"]`` lists ``"scenario: series: note"`` for fallbacks and unchanged
        series.

    Notes
    -----
    Work is shared: scenarios with the same model and horizon reuse one forecast of the
    history, a shock refits only the shocked series (every series is forecast on its own, so
    the others are the baseline's), and a harvest delay adjusts a forecast after it is made.
    """
    from forecast.forecasting import ForecastSpec, forecast_prices

    if not scenarios:
        raise UsageError(
            "no scenarios to compare", "compare_outlooks", "Pass e.g. {'baseline': {}}"
        )
    if not isinstance(scenarios, Mapping):
        raise UsageError(
            f"scenarios must be a dict of name -> changes, got a {type(scenarios).__name__}",
            "compare_outlooks",
            "Pass e.g. {'baseline': {}, '+20% now': {'shock': 20}}",
        )
    spec = spec or ForecastSpec()
    if not isinstance(spec, ForecastSpec):
        raise UsageError(
            f"spec must be a ForecastSpec, got a {type(spec).__name__}",
            "compare_outlooks",
            "Pass e.g. ForecastSpec(model='auto', horizon=12)",
        )
    parsed = {name: Scenario.from_dict(name, params) for name, params in scenarios.items()}
    if calendar is None and (spec.use_calendar or any(s.harvest_delay for s in parsed.values())):
        from forecast.calendar import load_calendar

        calendar = load_calendar()

    runs: dict[tuple, object] = {}

    def run(table: pd.DataFrame, s: ForecastSpec):
        # The real history is every run's kin and currency: a shocked series refitted
        # alone must see what the baseline saw, or the difference is not the shock's.
        return forecast_prices(
            table, s, engine=engine, n_jobs=n_jobs, calendar=calendar, kin_prices=prices
        )

    frames, notes = [], []
    for name, scenario in parsed.items():
        s = replace(
            spec,
            model=spec.model if scenario.model is None else scenario.model,
            horizon=spec.horizon if scenario.horizon is None else scenario.horizon,
        )
        if (s.model, s.horizon) not in runs:
            runs[(s.model, s.horizon)] = run(prices, s)
        base = runs[(s.model, s.horizon)]
        table = base.forecasts
        run_notes = base.notes
        if scenario.shock:
            shocked = price_shock(
                prices, scenario.shock, at=scenario.shock_at, series=scenario.shock_series
            )
            changed = shocked["price"].to_numpy() != prices["price"].to_numpy()
            keys = shocked.loc[changed, list(KEY)].drop_duplicates()
            touched = shocked.merge(keys, on=list(KEY))
            again = run(touched, s)
            keep = table.merge(keys, on=list(KEY), how="left", indicator=True)["_merge"]
            table = pd.concat(
                [table[(keep == "left_only").to_numpy()], again.forecasts], ignore_index=True
            )
            touched_labels = {series_label(tuple(k)) for k in keys.itertuples(index=False)}
            run_notes = [n for n in run_notes if n[0] not in touched_labels] + again.notes
        if scenario.harvest_delay:
            table, delayed = delay_season(table, prices, scenario.harvest_delay, calendar)
            notes += [f"{name}: {n}" for n in delayed]
        notes += [f"{name}: {label}: {note}" for label, note in run_notes]
        table = table.sort_values([*KEY, "date"], kind="stable").reset_index(drop=True)
        table.insert(0, SCENARIO_COLUMN, name)
        table["step"] = table.groupby(list(KEY), sort=False).cumcount() + 1
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    out.attrs["notes"] = notes
    return out


def outlook_changes(outlooks: pd.DataFrame, baseline: str = "baseline") -> pd.DataFrame:
    """Each scenario's forecast against the baseline's, series by series and date by date.

    Parameters
    ----------
    outlooks
        Output of :func:`compare_outlooks`.
    baseline
        The scenario every other is compared with.

    Returns
    -------
    pd.DataFrame
        ``scenario``, KEY, ``date``, ``step``, ``forecast``, ``baseline`` (the baseline's
        forecast that date; NaN beyond its horizon) and ``change_pct``
        (``100 * (forecast / baseline - 1)``), for every scenario but the baseline.
    """
    names = outlooks[SCENARIO_COLUMN].unique()
    if baseline not in names:
        raise UsageError(
            f"no scenario named {baseline!r}",
            "outlook_changes(baseline=...)",
            f"Scenarios: {', '.join(map(str, names))}",
        )
    on = [*KEY, "date"]
    base = outlooks.loc[outlooks[SCENARIO_COLUMN] == baseline, [*on, "forecast"]]
    others = outlooks.loc[
        outlooks[SCENARIO_COLUMN] != baseline, [SCENARIO_COLUMN, *on, "step", "forecast"]
    ]
    out = others.merge(base.rename(columns={"forecast": "baseline"}), on=on, how="left")
    out["change_pct"] = 100 * (out["forecast"] / out["baseline"] - 1)
    return out.reset_index(drop=True)


__all__ = [
    "SCENARIO_COLUMN",
    "Scenario",
    "compare_outlooks",
    "delay_season",
    "outlook_changes",
    "price_shock",
    "shift_harvest",
]
