"""Price-anomaly indicators: WFP's ALPS and FAO GIEWS's IPA, series by series.

Both work on monthly series of a PriceTable and never stop the batch on one odd series: a
series that does not qualify is reported (``*_eligibility`` gives the reason), not an error.

Choices where the published descriptions are vague
---------------------------------------------------
**as_of.** Every function looks at the data up to ``as_of`` (default: the latest date in the
table, across all series). Later prices are ignored, so ``as_of`` shows what the indicators
said then. Like WFP and FAO, each indicator is fitted on the whole history up to ``as_of``,
so past values change a little when a month is added.

**Qualification (both).** Monthly series only. ``months`` is the span from the first to the
last price (both included); ``coverage`` is prices / months. A series needs a price at most
6 months before ``as_of`` (6 months old passes, 7 fails). When several rules fail, ``reason``
names the first in this order: not monthly, too short, too many gaps, no recent price
(lasting problems first, so counts tell an analyst what waiting will not fix); a series
whose first price is after ``as_of`` has "no price yet". Weekly series do not qualify: clean
them onto months first (``CleanOptions(freq="monthly")``, ``cropcast alerts --freq monthly``).

**A value, or no qualification.** A series qualifies for the IPA only when the IPA of its
latest price can be computed (:func:`ipa_eligibility`): that needs the prices 3 and 12 months
before it and at least 3 years of growth for its calendar month, and a gap in the history can
leave them out although span, coverage and age pass. The reason then says what is missing
("no price 12 months before 2021-09", "fewer than 3 years of 12-month growth for September").
:func:`latest_alerts` keeps the rule for both indicators: a series that qualifies has a value.

**Observed prices only.** Prices that cleaning flagged ``interpolated`` are made up, so they
neither count as observed months nor enter a fit (WFP counts observed months). Prices flagged
``outlier`` stay: a spike is what these indicators are for.

**ALPS (WFP Alert for Price Spikes).** OLS of price on an intercept, a linear time trend (in
months, so gaps are respected) and 11 month dummies (January is the base), then
``ALPS_t = (P_t - P^_t) / s`` (``P`` the log price by default, see below), with ``s`` the
residual standard deviation with ``ddof`` equal to the number of fitted coefficients (normally
13): the OLS standard error of the regression, what statsmodels reports as ``sqrt(scale)``.
WFP's technical note describes a trend plus month dummies but its exact trend form is not
confirmed. We fit **log prices** by default: where prices multiply over the years (65-year
Pink Sheet series; Colombo rice, 30 -> 254 LKR/kg since 2006) residuals in levels grow with the
price, so recent months look extreme against a standard deviation set by cheap years (latest
values in levels / logs: coconut oil 3.55 / 1.68, cocoa 2.13 / 1.02, Colombo rice 1.75 / 1.18).
Harvest dips also scale with the price. Where prices did not grow much the two agree within
about 0.15 (Bangkok rice 2000-2020, Thai 5 % rice); ``scale="level"`` reproduces the level form.
``fitted`` is always in price units (``exp`` of the log fit). Qualifies with at least 36
months, 70 % coverage and a recent price (WFP's rules).

**Low prices.** WFP's bands grade spikes only: ``band`` is "normal" for any value below 0.25,
however low, and stays WFP's band here. A value below ``ALPS_LOW`` (-1: the price more than one
standard deviation below what trend and season explain) is a price far below its usual level,
not a normal one: :func:`latest_alerts` marks it in ``alps_low`` beside WFP's band, and the
alerts table and the bulletin show it as low, never as normal.

**Shown values.** A value printed rounded must not contradict its band: an IPA of 0.9972 is
below FAO's 1, so it is not shown as "1.00" beside "moderately high". :func:`shown_value`
gives the number and decimals that keep a value in its own band.

**IPA (FAO GIEWS Indicator of Price Anomalies, SDG 2.c.1).** Compound growth rates over 3 and
12 months, ``CGR = (P_t / P_{t-k})^(1/k) - 1``, only where both prices exist (no gap filling).
The SDG 2.c.1 formula standardises the plain CGR; the volatility adjustment of FAO's 2015
working paper is not applied. For each calendar month, growth is standardised with a weighted
mean and weighted standard deviation over every year up to ``as_of`` (the current one included,
as FAO does for its history). FAO weights by time; we could not confirm the exact weights, so
year ``y`` gets weight ``y - first_year + 1`` (linear, recent years count more);
``weighting="equal"`` gives equal weights. The weighted standard deviation is
``sqrt(sum w (x - m)^2 / (sum w * (N - 1) / N))`` (Baquedano 2015, eq. 5), which is the usual
sample standard deviation when weights are equal. A calendar month needs growth in at least 3
years, otherwise its IPA is NaN; when all its growth rates are equal the IPA is 0 (no anomaly
is possible). ``IPA = gamma * IPA_Q + (1 - gamma) * IPA_A``, gamma = 0.4 as FAO uses. A series
qualifies with at least 60 months (5 years: at least 4 annual growth rates per calendar month),
70 % coverage and a recent price. A CPI, when given, deflates prices first; its base year does
not matter because only ratios enter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.errors import SchemaError, UsageError
from forecast.models.base import jump_factors
from forecast.table import KEY, infer_freq, interpolated

ALPS_MIN_MONTHS = 36
IPA_MIN_MONTHS = 60
MIN_COVERAGE = 0.7
MAX_AGE_MONTHS = 6
MIN_YEARS_PER_MONTH = 3
GAMMA = 0.4

ALPS_BANDS = ("normal", "stress", "alert", "crisis")
IPA_BANDS = ("unusually low", "normal", "moderately high", "abnormally high")
#: Below this ALPS a price is far below its usual level: shown as low, not as WFP's "normal".
ALPS_LOW = -1.0

ELIGIBILITY_COLUMNS = [*KEY, "qualifies", "months", "coverage", "last_date", "reason"]
ALPS_COLUMNS = [*KEY, "date", "price", "fitted", "alps", "band"]
IPA_COLUMNS = [*KEY, "date", "price", "real_price", "cqgr", "cagr", "ipa_q", "ipa_a", "ipa", "band"]
ALERT_COLUMNS = [
    *KEY,
    *("date", "price", "alps", "alps_band", "alps_low", "ipa", "ipa_band"),
    *("qualifies_alps", "qualifies_ipa", "alps_reason", "ipa_reason"),
]


def alps_band(values) -> np.ndarray:
    """ALPS band per value: < 0.25 normal (negatives too), < 1 stress, < 2 alert, else crisis.

    An edge belongs to the band above it (0.25 is stress). NaN gives None.
    """
    v = np.asarray(values, dtype=float)
    choice = np.select([v >= 2, v >= 1, v >= 0.25], ["crisis", "alert", "stress"], "normal")
    return np.where(np.isnan(v), None, choice.astype(object))


def ipa_band(values) -> np.ndarray:
    """IPA band per value: >= 1 abnormally high, >= 0.5 moderately high, < -1 unusually low.

    -1 itself is normal (FAO: "below -1"). NaN gives None.
    """
    v = np.asarray(values, dtype=float)
    conditions = [v >= 1, v >= 0.5, v < -1]
    choice = np.select(
        conditions, ["abnormally high", "moderately high", "unusually low"], "normal"
    )
    return np.where(np.isnan(v), None, choice.astype(object))


def alps_low(values) -> np.ndarray:
    """Whether each ALPS value is below ``ALPS_LOW`` (-1): a price far below its usual level,
    which WFP's bands call "normal". NaN gives False."""
    v = np.asarray(values, dtype=float)
    return np.where(np.isnan(v), False, v < ALPS_LOW)


def alps_shown_band(value: float) -> str:
    """The band an ALPS value is shown in (table, bulletin, chart): WFP's, or "low" below
    ``ALPS_LOW``."""
    return "low" if value < ALPS_LOW else str(alps_band([value])[0])


def shown_value(value: float, indicator: str = "alps", least: int = 2) -> tuple[float, int]:
    """``(number, decimals)`` to print ``value`` with, on the same side of every threshold.

    Rounding must not carry a value across a threshold it has not reached: an IPA of 0.9972 is
    "moderately high" and is shown as 0.997, not as 1.00 under "abnormally high >= 1"; an ALPS
    of 1.96 ("alert") as 1.96 with ``least=1``, not as 2.0 ("crisis" from 2). ``least``
    decimals when they keep the band, else one more; a value closer still to an edge is cut
    at that many decimals toward its own band (0.99996 -> 0.999, -1.00004 -> -1.001: the
    IPA's -1 itself is normal). ``indicator`` is ``"alps"`` (WFP's edges 0.25, 1, 2, and
    ``ALPS_LOW``, -1) or ``"ipa"`` (-1, 0.5, 1). NaN comes back as it is.

    Examples
    --------
    >>> shown_value(0.9972, "ipa"), shown_value(0.6214, "ipa")
    ((0.997, 3), (0.62, 2))
    >>> shown_value(1.96, "alps", least=1)
    (1.96, 2)
    """
    if indicator not in ("alps", "ipa"):
        raise UsageError(f"unknown indicator {indicator!r}", "indicator", "Use 'alps' or 'ipa'")
    value = float(value)
    if not np.isfinite(value):
        return value, least
    band = alps_shown_band if indicator == "alps" else (lambda v: ipa_band([v])[0])
    own = band(value)
    for decimals in (least, least + 1):
        shown = float(f"{value:.{decimals}f}")  # the digits an f-string prints
        if band(shown) == own:
            return shown, decimals
    # Rounding crossed an edge: cut the other way, toward the value's own band.
    scale = 10.0**decimals
    cut = np.floor(value * scale) if shown > value else np.ceil(value * scale)
    return float(f"{cut / scale:.{decimals}f}"), decimals


def format_indicator(value: float, indicator: str = "alps", least: int = 2) -> str:
    """``value`` as :func:`shown_value` prints it, signed: "+0.997", "-1.56" (English digits)."""
    shown, decimals = shown_value(value, indicator, least)
    return f"{shown:+.{decimals}f}"


# --- qualification -------------------------------------------------------------------------


def _resolve_as_of(prices: pd.DataFrame, as_of) -> pd.Timestamp | None:
    if as_of is None:
        return None if prices.empty else pd.Timestamp(prices["date"].max())
    try:
        stamp = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise UsageError(f"as_of {as_of!r} is not a date", None, "Use e.g. 2025-06 or 2025-06-01")
    return stamp


def _observed(prices: pd.DataFrame) -> pd.DataFrame:
    return prices[~interpolated(prices)]


def _months_between(start: pd.Timestamp, end: pd.Timestamp) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _is_monthly(dates: pd.Series) -> bool:
    try:
        return infer_freq(dates) == "monthly"
    except SchemaError:  # neither month starts nor Mondays: report it, do not stop the batch
        return False


def _eligibility(prices: pd.DataFrame, as_of, min_months: int) -> pd.DataFrame:
    stamp = _resolve_as_of(prices, as_of)
    rows = []
    for key, group in _observed(prices).groupby(list(KEY), sort=True, observed=True):
        dates = pd.DatetimeIndex(group["date"]).sort_values()
        dates = dates[dates <= stamp]
        if dates.empty:
            rows.append((*key, False, 0, np.nan, pd.NaT, "no price yet"))
            continue
        months = _months_between(dates[0], dates[-1]) + 1
        # 28 of 40 months is exactly 70 % and must pass despite float rounding.
        enough_cover = len(dates) / months >= MIN_COVERAGE - 1e-12
        reason = ""
        if not _is_monthly(group["date"]):
            reason = "not monthly"
        elif months < min_months:
            reason = "too short"
        elif not enough_cover:
            reason = "too many gaps"
        elif _months_between(dates[-1], stamp) > MAX_AGE_MONTHS:
            reason = "no recent price"
        rows.append((*key, not reason, months, len(dates) / months, dates[-1], reason))
    frame = pd.DataFrame(rows, columns=ELIGIBILITY_COLUMNS)
    frame["last_date"] = pd.to_datetime(frame["last_date"])
    return frame


def alps_eligibility(prices: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Which series qualify for ALPS as of ``as_of``, and why not.

    Parameters
    ----------
    prices
        A PriceTable.
    as_of
        Date to judge at (str or Timestamp); default the latest date in ``prices``.

    Returns
    -------
    DataFrame
        KEY + ``qualifies, months, coverage, last_date, reason`` (``reason`` empty when it
        qualifies): at least 36 months, 70 % of them priced, a price at most 6 months old.
    """
    return _eligibility(prices, as_of, ALPS_MIN_MONTHS)


def ipa_eligibility(
    prices: pd.DataFrame, as_of=None, cpi: pd.Series | pd.DataFrame | None = None
) -> pd.DataFrame:
    """Which series qualify for the IPA: as :func:`alps_eligibility` but at least 60 months,
    and the IPA of the latest price must be computable.

    That needs the (deflated, with ``cpi``: see :func:`ipa`) prices 3 and 12 months before
    the latest one, and growth in at least 3 years for its calendar month; otherwise
    ``reason`` says what is missing, e.g. "no price 12 months before 2021-09" or "fewer than
    3 years of 12-month growth for September".
    """
    return _ipa_run(prices, GAMMA, cpi, as_of, "time")[1]


def _qualifying(prices: pd.DataFrame, eligibility: pd.DataFrame, as_of, columns=("price",)):
    """Yield ``(key, frame)`` per qualifying series: ``columns`` on every month of its span
    up to ``as_of``, NaN in gaps."""
    keys = set(map(tuple, eligibility.loc[eligibility["qualifies"], list(KEY)].to_numpy()))
    if not keys:
        return
    cut = _observed(prices[prices["date"] <= _resolve_as_of(prices, as_of)])
    for key, group in cut.groupby(list(KEY), sort=True, observed=True):
        if tuple(key) not in keys:
            continue
        group = group.set_index("date").sort_index()
        # numpy month arithmetic: pandas' date_range is slow enough to matter per series.
        months = group.index.to_numpy().astype("datetime64[M]")
        every = np.arange(months[0], months[-1] + 1).astype("datetime64[ns]")
        yield tuple(key), group[list(columns)].reindex(pd.DatetimeIndex(every, name="date"))


def _frame(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.concat(parts, ignore_index=True)[columns]


# --- ALPS ----------------------------------------------------------------------------------


def _alps_one(y: pd.Series, scale: str) -> pd.DataFrame:
    obs = y.dropna()
    dates = obs.index
    trend = (dates.year - y.index[0].year) * 12 + dates.month - y.index[0].month
    dummies = (dates.month.to_numpy()[:, None] == np.arange(2, 13)).astype(float)
    design = np.column_stack([np.ones(len(obs)), trend.to_numpy(float), dummies])
    # Fitted across a tenfold jump (a new currency unit, a unit change) as the forecast
    # joins it, and told in each price's own unit: a price per kg after years per 10 kg
    # was a "crisis" of ALPS 4.6.
    factor = jump_factors(obs).to_numpy(float)
    joined = obs.to_numpy() * factor
    values = np.log(joined) if scale == "log" else joined
    # lstsq copes with a calendar month never priced (a zero column): rank drops by one.
    beta, _, rank, _ = np.linalg.lstsq(design, values, rcond=None)
    fitted = design @ beta
    resid = values - fitted
    sigma = np.sqrt(resid @ resid / (len(values) - rank))
    # A perfect fit leaves rounding noise; dividing by it would invent anomalies.
    tiny = sigma <= 1e-12 * max(1.0, np.abs(values).max())
    score = np.zeros_like(resid) if tiny else resid / sigma
    return pd.DataFrame(
        {
            "date": dates,
            "price": obs.to_numpy(),
            "fitted": (np.exp(fitted) if scale == "log" else fitted) / factor,
            "alps": score,
            "band": alps_band(score),
        }
    )


def alps(prices: pd.DataFrame, as_of=None, scale: str = "log") -> pd.DataFrame:
    """WFP's Alert for Price Spikes for every qualifying monthly series.

    Parameters
    ----------
    prices
        A PriceTable.
    as_of
        Use prices up to this date and qualify series at it; default the latest date.
    scale
        ``"log"`` (default) fits log prices; ``"level"`` fits prices as they are.

    Returns
    -------
    DataFrame
        KEY + ``date, price, fitted, alps, band``, one row per priced month. ``fitted`` is the
        "normal" price from trend and season; ``band`` is normal, stress, alert or crisis.
    """
    if scale not in ("log", "level"):
        raise UsageError(f"unknown scale {scale!r}", "scale", "Use 'log' or 'level'")
    eligibility = alps_eligibility(prices, as_of)
    parts = []
    for key, frame in _qualifying(prices, eligibility, as_of):
        try:
            part = _alps_one(frame["price"], scale)
        except np.linalg.LinAlgError:  # SVD did not converge: skip this series only
            continue
        parts.append(part.assign(**dict(zip(KEY, key, strict=True))))
    return _frame(parts, ALPS_COLUMNS)


# --- IPA -----------------------------------------------------------------------------------


def _weighted_mean_std(values: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    n = len(values)
    mean = float(np.sum(weights * values) / np.sum(weights))
    var = np.sum(weights * (values - mean) ** 2) / (np.sum(weights) * (n - 1) / n)
    return mean, float(np.sqrt(var))


def _cgr(prices: np.ndarray, k: int) -> np.ndarray:
    """Compound growth over ``k`` months, ``(P_t / P_{t-k})^(1/k) - 1``; NaN where unknown."""
    out = np.full(len(prices), np.nan)
    out[k:] = (prices[k:] / prices[:-k]) ** (1 / k) - 1
    return out


def _standardise(growth: np.ndarray, dates: pd.DatetimeIndex, weighting: str) -> np.ndarray:
    """Each value against the weighted mean and std of its calendar month across years."""
    out = np.full(len(growth), np.nan)
    month, year = dates.month.to_numpy(), dates.year.to_numpy()
    for m in range(1, 13):
        at = np.flatnonzero((month == m) & ~np.isnan(growth))
        if len(at) < MIN_YEARS_PER_MONTH:
            continue
        values = growth[at]
        # Time weights: the series' first year weighs 1, the next 2, and so on.
        weights = year[at] - year[0] + 1.0 if weighting == "time" else np.ones(len(at))
        mean, std = _weighted_mean_std(values, weights)
        tiny = std <= 1e-12 * max(1.0, abs(mean))
        out[at] = 0.0 if tiny else (values - mean) / std
    return out


def _deflate(prices: pd.DataFrame, cpi) -> pd.Series:
    """Prices divided by the CPI of their month (NaN where the CPI has no value)."""
    if cpi is None:
        return prices["price"]
    if isinstance(cpi, pd.Series):
        index = cpi.copy()
        index.index = pd.DatetimeIndex(index.index)
        factor = prices["date"].map(index).astype(float)
    elif isinstance(cpi, pd.DataFrame) and {"date", "cpi"} <= set(cpi.columns):
        # Extra key columns (e.g. currency or market) say which series a CPI belongs to.
        on = ["date", *[c for c in KEY if c in cpi.columns]]
        table = cpi[[*on, "cpi"]].assign(date=pd.to_datetime(cpi["date"]))
        factor = prices[on].merge(table, on=on, how="left")["cpi"].set_axis(prices.index)
    else:
        raise UsageError(
            "cpi must be a Series indexed by date, or a DataFrame with 'date' and 'cpi'", "cpi"
        )
    factor = pd.to_numeric(factor, errors="coerce")
    if (factor <= 0).any():
        raise UsageError("CPI values must be greater than zero", "cpi")
    return prices["price"] / factor


def _ipa_one(frame: pd.DataFrame, gamma: float, weighting: str) -> pd.DataFrame:
    """The IPA on every month of ``frame``'s grid (gaps included: their rows are NaN)."""
    real = frame["real_price"]
    # Growth across a tenfold jump is no growth: joined as the forecast joins it.
    joined = (real * jump_factors(real)).to_numpy()
    real = real.to_numpy()
    cqgr, cagr = _cgr(joined, 3), _cgr(joined, 12)
    ipa_q = _standardise(cqgr, frame.index, weighting)
    ipa_a = _standardise(cagr, frame.index, weighting)
    score = gamma * ipa_q + (1 - gamma) * ipa_a
    out = pd.DataFrame(
        {
            "date": frame.index,
            "price": frame["price"].to_numpy(),
            "real_price": real,
            "cqgr": cqgr,
            "cagr": cagr,
            "ipa_q": ipa_q,
            "ipa_a": ipa_a,
            "ipa": score,
            "band": ipa_band(score),
        }
    )
    return out


def _why_no_ipa(frame: pd.DataFrame, out: pd.DataFrame) -> str:
    """Why the IPA of the last month of ``frame`` (a series' grid) is missing; "" if it is not.

    ``out`` is :func:`_ipa_one` of ``frame``. Said as an analyst would check it: a price
    missing 3 or 12 months before (or the CPI of a month), else too few years of growth.
    """
    last = out.iloc[-1]
    if not np.isnan(last["ipa"]):
        return ""
    when = frame.index[-1]
    price, real = frame["price"].to_numpy(), frame["real_price"].to_numpy()
    if np.isnan(real[-1]):
        return f"no CPI for {when:%Y-%m}"
    no_price, no_cpi = [], []
    for k in (3, 12):
        if len(frame) <= k or np.isnan(price[-1 - k]):
            no_price.append(k)
        elif np.isnan(real[-1 - k]):
            no_cpi.append(when - pd.DateOffset(months=k))
    if no_price:
        months = " and ".join(map(str, no_price))
        return f"no price{'s' if len(no_price) > 1 else ''} {months} months before {when:%Y-%m}"
    if no_cpi:
        return f"no CPI for {' or '.join(f'{d:%Y-%m}' for d in no_cpi)}"
    short = [k for k, column in ((3, "ipa_q"), (12, "ipa_a")) if np.isnan(last[column])]
    if short:
        growth = " and ".join(f"{k}-month" for k in short)
        return f"fewer than {MIN_YEARS_PER_MONTH} years of {growth} growth for {when.month_name()}"
    return f"no IPA for {when:%Y-%m}"  # not reached: the parts above cover every NaN


def _ipa_run(prices, gamma, cpi, as_of, weighting) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(ipa, eligibility)``: the IPA of every series that meets the span, coverage and age
    rules, and the eligibility table with those whose latest IPA is NaN not qualifying."""
    if not 0 <= gamma <= 1:
        raise UsageError(f"gamma {gamma} must lie between 0 and 1", "gamma", "FAO uses 0.4")
    if weighting not in ("time", "equal"):
        raise UsageError(f"unknown weighting {weighting!r}", "weighting", "Use 'time' or 'equal'")
    eligibility = _eligibility(prices, as_of, IPA_MIN_MONTHS)
    both = prices.assign(real_price=_deflate(prices, cpi))
    parts, missing = [], {}
    for key, frame in _qualifying(both, eligibility, as_of, ("price", "real_price")):
        out = _ipa_one(frame, gamma, weighting)
        why = _why_no_ipa(frame, out)
        if why:
            missing[key] = why
        part = out[frame["price"].notna().to_numpy()]
        parts.append(part.assign(**dict(zip(KEY, key, strict=True))))
    if missing:
        at = eligibility[list(KEY)].apply(tuple, axis=1).map(missing)
        eligibility.loc[at.notna(), "qualifies"] = False
        eligibility["reason"] = at.where(at.notna(), eligibility["reason"])
    return _frame(parts, IPA_COLUMNS), eligibility


def ipa(
    prices: pd.DataFrame,
    gamma: float = GAMMA,
    cpi: pd.Series | pd.DataFrame | None = None,
    as_of=None,
    weighting: str = "time",
) -> pd.DataFrame:
    """FAO GIEWS Indicator of Price Anomalies for every qualifying monthly series.

    Parameters
    ----------
    prices
        A PriceTable.
    gamma
        Weight of the quarterly indicator, in [0, 1]; FAO uses 0.4.
    cpi
        Optional CPI to deflate prices first: a Series indexed by month start (for every
        series), or a DataFrame with ``date``, ``cpi`` and any key columns to match on (e.g.
        ``currency``). Months without a CPI get no growth rates.
    as_of
        Use prices up to this date and qualify series at it; default the latest date.
    weighting
        ``"time"`` (default, recent years weigh more) or ``"equal"``.

    Returns
    -------
    DataFrame
        KEY + ``date, price, real_price, cqgr, cagr, ipa_q, ipa_a, ipa, band``, one row per
        priced month. ``real_price`` is ``price`` without a CPI. ``band`` is unusually low,
        normal, moderately high or abnormally high (missing where the IPA is NaN). Every
        series long, full and recent enough has its history here, even one whose latest IPA
        cannot be computed (it does not qualify: :func:`ipa_eligibility` says why).
    """
    return _ipa_run(prices, gamma, cpi, as_of, weighting)[0]


# --- both, at one date ---------------------------------------------------------------------


def latest_alerts(
    prices: pd.DataFrame, as_of=None, cpi: pd.Series | pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per series: its last price up to ``as_of`` with both indicators there.

    Returns
    -------
    DataFrame
        KEY + ``date, price, alps, alps_band, alps_low, ipa, ipa_band, qualifies_alps,
        qualifies_ipa, alps_reason, ipa_reason``. ``date`` is the series' last priced month up
        to ``as_of`` (a qualifying series may be up to 6 months behind; NaT when it has no
        price yet). A series qualifies exactly when it has the value: indicators are NaN
        (bands None) for series that do not qualify, and ``*_reason`` says why. ``alps_band``
        is WFP's band ("normal" below 0.25, however low); ``alps_low`` says the ALPS is below
        ``ALPS_LOW`` (-1), a price far below its usual level.
    """
    stamp = _resolve_as_of(prices, as_of)
    if stamp is None:
        return _frame([], ALERT_COLUMNS)
    cut = _observed(prices[prices["date"] <= stamp])
    last = (
        cut.sort_values("date").groupby(list(KEY), observed=True).tail(1)[[*KEY, "date", "price"]]
    )
    on = [*KEY, "date"]
    a = alps(prices, stamp)[[*on, "alps", "band"]].rename(columns={"band": "alps_band"})
    by_ipa, qi = _ipa_run(prices, GAMMA, cpi, stamp, "time")
    i = by_ipa[[*on, "ipa", "band"]].rename(columns={"band": "ipa_band"})
    qa = alps_eligibility(prices, stamp)[[*KEY, "qualifies", "reason"]]
    qi = qi[[*KEY, "qualifies", "reason"]]
    qa = qa.rename(columns={"qualifies": "qualifies_alps", "reason": "alps_reason"})
    qi = qi.rename(columns={"qualifies": "qualifies_ipa", "reason": "ipa_reason"})
    # Start from the eligibility tables so a series with no price yet is still reported.
    out = (
        qa.merge(qi, on=list(KEY))
        .merge(last, on=list(KEY), how="left")
        .merge(a, on=on, how="left")
        .merge(i, on=on, how="left")
    )
    for column in ("alps", "ipa"):
        out[column] = out[column].astype(float)
        # A qualifying series always has its value; should one not (a fit that failed), it
        # does not qualify rather than pass silently with nothing to show.
        lost = out[f"qualifies_{column}"].astype(bool) & out[column].isna()
        out.loc[lost, f"qualifies_{column}"] = False
        out.loc[lost, f"{column}_reason"] = f"{column.upper()} could not be computed"
        out[f"{column}_band"] = (
            out[f"{column}_band"].astype(object).where(out[column].notna(), None)
        )
    out["alps_low"] = alps_low(out["alps"])
    return out.sort_values(list(KEY)).reset_index(drop=True)[ALERT_COLUMNS]


#: Below this many series ``latest_alerts_by_series`` runs in process by default: the
#: indicators take milliseconds a series, less than starting worker processes costs.
LOCAL_BELOW = 1000


#: Series per job of ``latest_alerts_by_series``: a job's own cost (grouping, merging) is
#: most of a series' (1,442 Sri Lanka series: 63 s one a job, 2.1 s all in one call).
SERIES_PER_JOB = 100


def _alerts_job(item: tuple[tuple, pd.DataFrame], as_of, cpi) -> tuple[int, pd.DataFrame]:
    """The alerts of a job's series (``item``: their keys and prices), and how many series
    that is; a series that breaks the job is scored alone, so that only it fails
    (``_alerts_failed``)."""
    keys, frame = item
    try:
        return len(keys), latest_alerts(frame, as_of, cpi)
    except Exception:
        if len(keys) == 1:
            raise
    parts = []
    for key, rows in frame.groupby(list(KEY), sort=True, observed=True).indices.items():
        one = (key,), frame.take(rows)
        try:
            parts.append(latest_alerts(one[1], as_of, cpi))
        except Exception as exc:
            parts.append(_alerts_failed(one, exc))
    return len(keys), _frame(parts, ALERT_COLUMNS)


def _alerts_failed(item: tuple[tuple, pd.DataFrame], error: BaseException) -> pd.DataFrame:
    from forecast.engine import NoWorkerError, SeriesNotRunError

    if isinstance(error, NoWorkerError):
        # No worker scored it: "no series could be scored" and exit 0 read as no alert.
        raise SeriesNotRunError("no alert was computed") from None
    reason = f"failed: {type(error).__name__}: {error}"
    rows = []
    for key in item[0]:
        row = dict(zip(KEY, key, strict=True))
        row.update(date=pd.NaT, price=np.nan, alps=np.nan, alps_band=None, alps_low=False)
        row.update(ipa=np.nan)
        row.update(ipa_band=None, qualifies_alps=False, qualifies_ipa=False)
        row.update(alps_reason=reason, ipa_reason=reason)
        rows.append(row)
    return pd.DataFrame(rows, columns=ALERT_COLUMNS)


def latest_alerts_by_series(
    prices: pd.DataFrame,
    as_of=None,
    cpi: pd.Series | pd.DataFrame | None = None,
    *,
    engine: str | None = None,
    n_jobs: int | None = None,
    scheduler=None,
    on_done=None,
) -> pd.DataFrame:
    """:func:`latest_alerts` with one job per series on an engine (``forecast.engine``).

    The same table. ``as_of`` is resolved once for all series first (default: the latest
    date in the table), as ``latest_alerts`` does. ``engine=None`` calls ``latest_alerts``
    on the whole table for fewer than ``LOCAL_BELOW`` series (faster than one job a series),
    else uses worker processes. A series whose job fails outright is kept, not qualifying,
    with the error as its reasons.
    """
    from functools import partial

    from forecast.engine import check_engine, run_jobs

    check_engine(engine or "processes", n_jobs, scheduler)
    stamp = _resolve_as_of(prices, as_of)
    if stamp is None:
        return latest_alerts(prices, as_of, cpi)
    groups = prices.groupby(list(KEY), sort=True, observed=True)
    if engine is None:
        if groups.ngroups < LOCAL_BELOW:
            out = latest_alerts(prices, stamp, cpi)
            for _ in range(groups.ngroups if on_done is not None else 0):
                on_done()
            return out
        engine = "processes"
    from forecast.engine import NoWorkerError, WorkerLostError

    job = partial(_alerts_job, as_of=stamp, cpi=cpi)
    # Row positions per series, not groupby iteration (which first copies the whole table);
    # SERIES_PER_JOB series a job, each job with its own series only.
    rows_of = groups.indices
    keys = list(rows_of)

    def items(batch_size: int, of: list):
        for i in range(0, len(of), batch_size):
            batch = tuple(of[i : i + batch_size])
            yield batch, prices.take(np.concatenate([rows_of[key] for key in batch]))

    lost: list[tuple] = []

    def failed(item, error: BaseException) -> tuple[int, pd.DataFrame | None]:
        # A worker that died under a job of many series: they go again one a job, so
        # that the one that kills it fails alone, as with one series a job.
        died = isinstance(error, WorkerLostError) and not isinstance(error, NoWorkerError)
        if died and len(item[0]) > 1:
            lost.extend(item[0])
            return 0, None
        return len(item[0]), _alerts_failed(item, error)

    parts = []
    for batch_size, of in ((SERIES_PER_JOB, keys), (1, lost)):
        for n, part in run_jobs(
            job,
            items(batch_size, of),
            engine=engine,
            n_jobs=n_jobs,
            scheduler=scheduler,
            on_error=failed,
            series_in=lambda item: len(item[0]),
        ):
            if part is not None:
                parts.append(part)
            for _ in range(n if on_done is not None else 0):
                on_done()
    out = _frame([p for p in parts if not p.empty], ALERT_COLUMNS)
    return out.sort_values(list(KEY)).reset_index(drop=True)
