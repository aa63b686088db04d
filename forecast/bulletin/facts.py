"""The facts a bulletin states, computed before any wording: numbers and labels, no text.

Per series (one commodity in one market), as FEWS NET and WFP market monitors do:

* the latest price and its date;
* the change since the previous period (the period just before, on the series' grid;
  ``None`` when that period has no price: a gap is not bridged);
* the change since a year ago (12 months, or 52 weeks, before, or for a week the nearest
  one within two of it, ``YEAR_AGO_WEEKS``; ``None`` when missing);
* the change against the 5-year average for the same calendar month: the mean over the five
  years before the latest price of each year's mean price in that month, using the years that
  exist (``n_years`` says how many; ``None`` when fewer than ``MIN_AVERAGE_YEARS``, 2: the
  "average" of one year is last year's price again, under another name);
* the outlook for the next ``horizon`` periods: the 80 % range over those periods (lowest
  lower bound to highest upper bound) and a direction from the median of the point
  forecasts' changes against the latest price: within ``STABLE_OUTLOOK_PCT`` (3 %) either
  way is *stable* (with a range within ``STABLE_RANGE_PCT``, 20 %, of the price), above is
  *rising*, below *falling*, and *unclear* where the range is so wide that the price is
  hardly more likely to go that way than the other; none (a word saying why) for a series
  of too few prices or whose last price is too far behind the bulletin's
  (``OUTLOOK_MAX_AGE``);
* the WFP ALPS band of the latest price (``None`` when the series does not qualify), and
  whether the price is *low*: an ALPS below -1 (``forecast.anomaly.ALPS_LOW``), more than one
  standard deviation below what trend and season explain, which WFP's bands (they grade
  spikes only) call "normal" and a farmer must not read as normal;
* harvest notes from the calendar, only for a season under way (the bulletin's month is one
  of its months) or coming within the outlook window or the next two months, naming the
  peak months when the calendar gives a peak; a season whose peak has passed (Hè Thu, peak
  July to August, in September) is not noted while its harvest tails off. Each note says
  whether prices usually dip (a harvest glut) or rise (a demand season such as the pre-Tết
  pomelo season), and for a crop picked all year (coconut) that the months are a rise in
  output, not the only months it is picked;
* optionally, how the forecast archived one period ago did against the price that came;
* prices held back as probably mistyped (:func:`hold_back_mistyped`): a price three times or
  more above (or below) the prices around it, "460.000" among weeks of "46.000". A bulletin
  that printed it would tell every farmer the price rose 900 %; it states the prices without
  it and names it in a note, so the depot can check it.

Changes are graded as FEWS NET does: above 10 % *high*, above 25 % *severe*. For the summary
sentence (which products rose, fell or held steady since the previous period) a change within
``STABLE_CHANGE_PCT`` (2 %) is *stable*, up to 5 % *slight*, up to 10 % *moderate*. The summary
speaks only of *current* series, whose latest price lies in the bulletin's own period (its
month, or its Monday-to-Sunday week: :meth:`SeriesFacts.is_current`); the table marks the
others with their price's date, and the summary must not report their last move, months old,
as this period's news.

The Mekong Delta calendar describes Vietnamese crops (its rows say ``country`` Viet Nam),
so harvest notes are given only for series that are Vietnamese: priced in đồng, or naming
Viet Nam in the commodity or market (``forecast.calendar.match_series``). Thai rice or Sri
Lankan coconuts follow other calendars. The models, charts and scenarios draw the line in
the same place.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from forecast.clean.options import CleanOptions
from forecast.models.base import jump_factors
from forecast.table import KEY, infer_freq, interpolated, observed_prices, told_freq

#: A change since the previous period smaller than this (in %) is "stable" in the summary.
STABLE_CHANGE_PCT = 2.0
#: Up to this (in %) a change is "slight" ("tăng nhẹ"), then "moderate" up to HIGH_PCT.
SLIGHT_CHANGE_PCT = 5.0
#: FEWS NET: changes above 10 % are called high, above 25 % severe.
HIGH_PCT = 10.0
SEVERE_PCT = 25.0
#: A median forecast change within this (in %) of the latest price is a "stable" outlook.
STABLE_OUTLOOK_PCT = 3.0
#: A "stable" outlook's range stays within this (in %) of the latest price either way;
#: wider, the outlook is "unclear".
STABLE_RANGE_PCT = 20.0
#: An outlook whose range makes its direction this likely or less is "unclear", not
#: "rising" or "falling" (see :func:`outlook`).
UNCLEAR_BELOW_CHANCE = 0.6
#: The outlook and harvest window also covers at least this many months ahead.
HARVEST_LOOKAHEAD_MONTHS = 2
#: Series with no price in this many months before the bulletin date are left out.
MAX_AGE_MONTHS = 12
#: The 5-year average needs this many years of the month: one year is last year's price.
MIN_AVERAGE_YEARS = 2
# A weekly year-ago price missing 52 weeks back: these weeks back stand in, nearest first.
YEAR_AGO_WEEKS = (51, 53, 50, 54)
#: Models so fast that worker processes only add start-up time.
CHEAP_MODELS = ("naive", "snaive", "drift", "window")
#: The bulletin's default model: the forecast's (``cropcast forecast``), so the two agree,
#: and its ranges calibrated: "8 times in 10" holds for auto's 80 % ranges, not for one
#: model's own (theta's held 51 % of Sri Lanka's short coconut series in a backtest).
DEFAULT_MODEL = "auto"


#: A price this many times above or below the prices around it is held back as mistyped.
MISTYPED = 3.0


@dataclass(frozen=True)
class HeldBack:
    """A price the bulletin did not use: it looked mistyped (see :func:`hold_back_mistyped`)."""

    date: pd.Timestamp
    price: float
    around: float  # what the bulletin shows instead: the price before it, or those around it


@dataclass(frozen=True)
class Revised:
    """A price that changed under the last bulletin sent: ``kind`` ``"corrected"`` (a file
    after it replaced ``was``, the value it had) or ``"late"`` (it came after it)."""

    date: pd.Timestamp
    price: float
    was: float | None
    kind: str


@dataclass(frozen=True)
class Change:
    """A price against a reference price: ``pct`` is ``100 * (price / reference - 1)``."""

    pct: float
    reference: float
    reference_date: pd.Timestamp | None = None
    n_years: int | None = None  # for the 5-year average: how many years it averages
    #: Against the previous price: the periods back it is, when not one (a week missed).
    n_periods: int | None = None
    #: Against a year ago: the week as far from last year's Tết as this one is from this
    #: year's, not the week 52 back (see :func:`week_a_tet_ago`).
    by_tet: bool = False

    @property
    def grade(self) -> str:
        """FEWS NET grade: ``"severe"`` (> 25 %), ``"high"`` (> 10 %) or ``"normal"``."""
        return grade(self.pct)


@dataclass(frozen=True)
class Outlook:
    """The next ``periods`` periods: 80 % range, median change and its direction."""

    periods: int
    start: pd.Timestamp
    end: pd.Timestamp
    low: float | None
    high: float | None
    level: float | None  # the interval level of low/high (80 when forecast)
    median_pct: float
    direction: str  # "rising", "falling", "stable", "unclear" (a range too wide to tell)
    model: str


@dataclass(frozen=True)
class HarvestNote:
    """A calendar season near enough to move prices.

    ``months`` are the peak months when the calendar names a peak (``kind == "peak"``), else
    the harvest months (``kind == "harvest"``). ``effect`` is ``"dip"`` for a harvest glut or
    ``"rise"`` for a demand season.
    """

    season: str
    months: tuple[int, ...]
    kind: str
    effect: str
    #: The crop is picked every month and ``months`` are when output rises (coconut in the
    #: rainy season): "output rises", not "harvest in May to November".
    all_year: bool = False
    #: Tết day, for the season before it (pomelo's): it is dated from Tết, which moves
    #: between late January and late February, not from the calendar's months.
    tet: pd.Timestamp | None = None
    #: The outlook reaches past Tết day, when the demand is over and prices usually ease.
    past_tet: bool = False
    #: Some of the outlook comes before Tết day; not so in Tết's own week or month, whose
    #: outlook is all after it (the note then says only that prices usually ease).
    before_tet: bool = True
    #: Where the series' own prices did not go the calendar's way in ``months`` (not
    #: cheaper than the year around them, for a dip), how many years of prices say so (the
    #: fewest any of those months was seen in); ``None`` when they did, or the prices are
    #: too few to tell (see :func:`unseen_effect`).
    unseen_years: int | None = None
    #: The bulletin's month, where the season's months were below the year around them (as
    #: the calendar says) but not below that month: from it prices usually went the other
    #: way (see :func:`unseen_effect`'s ``now``); ``None`` otherwise.
    unseen_since: int | None = None
    #: Whether the season's months (the run-up's weeks, for Tết) overlap the outlook's
    #: periods: one that starts after them (March's harvest beside a December-February
    #: outlook) is news, but the outlook cannot be said to miss its move.
    in_outlook: bool = True


@dataclass(frozen=True)
class Accuracy:
    """What the forecast archived before ``date`` expected, against the price that came."""

    date: pd.Timestamp
    low: float | None
    high: float | None
    forecast: float
    actual: float
    #: The last price the forecast saw (an archived run's cutoff), when known.
    made: pd.Timestamp | None = None
    #: Periods of the bulletin outlook whose printed range ``low`` to ``high`` is (the
    #: range over all of them, as its table and SMS said it); ``None``: the range is the
    #: forecast's for ``date`` alone (a forecast file's, or a run that was no bulletin).
    outlook_periods: int | None = None
    #: The first period of that outlook (the period after its bulletin's).
    outlook_start: pd.Timestamp | None = None

    @property
    def verdict(self) -> str:
        """``"inside"``, ``"above"`` or ``"below"`` the range (``"no range"`` without one),
        on the unrounded numbers. A bulletin judges the numbers it prints instead
        (``forecast.bulletin.parts.printed_verdict``)."""
        return verdict(self.actual, self.low, self.high)


def verdict(actual: float, low: float | None, high: float | None) -> str:
    """``"inside"``, ``"above"`` or ``"below"`` the range from ``low`` to ``high`` (ends
    inside), or ``"no range"`` when an end is missing."""
    if low is None or high is None:
        return "no range"
    if actual > high:
        return "above"
    if actual < low:
        return "below"
    return "inside"


@dataclass(frozen=True)
class SeriesFacts:
    """Everything a bulletin says about one series."""

    key: tuple
    freq: str  # "monthly" or "weekly"
    date: pd.Timestamp
    price: float
    vs_previous: Change | None
    vs_year_ago: Change | None
    vs_five_year: Change | None
    outlook: Outlook | None
    alps_band: str | None
    alps: float | None
    harvest: tuple[HarvestNote, ...] = ()
    accuracy: Accuracy | None = None
    note: str = ""  # e.g. the forecast model fell back
    held_back: tuple[HeldBack, ...] = ()  # prices left out as probably mistyped
    # A price per chục: the nuts in that chục (12, or 14 if the depot wrote --chuc 14);
    # None when unknown or not per chục.
    nuts_per_chuc: int | None = None
    #: Prices that changed under the last bulletin sent (see :class:`Revised`).
    revised: tuple[Revised, ...] = ()

    @property
    def revised_named(self) -> tuple[Revised, ...]:
        """The changed prices the notes name: the latest and the one the change since the
        previous price compares with, which the last bulletin showed otherwise or not at all
        (its readers were sent "117.000 (−4 %)" and read "117.000 (−3 %)" against a
        corrected 121.000)."""
        # The latest price too: after a missed period it is the one last bulletin showed.
        shown = {pd.Timestamp(self.date)}
        if self.vs_previous is not None and self.vs_previous.reference_date is not None:
            shown.add(pd.Timestamp(self.vs_previous.reference_date))
        return tuple(r for r in self.revised if r.date in shown)

    commodity = property(lambda self: self.key[0])
    market = property(lambda self: self.key[1])
    price_type = property(lambda self: self.key[2])
    unit = property(lambda self: self.key[3])
    currency = property(lambda self: self.key[4])

    @property
    def low(self) -> bool:
        """Whether the price is far below its usual level: an ALPS below ``ALPS_LOW`` (-1),
        in WFP's "normal" band, which grades spikes only."""
        from forecast.anomaly import ALPS_LOW

        return self.alps is not None and self.alps < ALPS_LOW

    @property
    def held_back_named(self) -> tuple[HeldBack, ...]:
        """The held-back prices the bulletin names to its readers: those of the periods its
        numbers speak of, the latest two (the price and its change) and the same period a
        year before. An older one (a depot's typo in September, still held back in
        November) is no news to a farmer, who cannot fix it: named again every week for a
        year, it crowded the notes. Its chart still marks it, and stderr names every one
        for whoever ingests the prices."""
        # The change since the previous price reaches back to it over any gap (a missed
        # week), past a price held back there; the year-ago change compares with this very
        # period a year back, no other.
        since = self.date - period_step(self.freq)
        if self.vs_previous is not None and self.vs_previous.reference_date is not None:
            since = min(since, pd.Timestamp(self.vs_previous.reference_date))
        year = pd.DateOffset(weeks=52) if self.freq == "weekly" else pd.DateOffset(years=1)
        ago = {self.date - year}
        if self.freq == "weekly":
            ago.add(week_a_tet_ago(self.date))  # a Tết week's year-ago week
        return tuple(h for h in self.held_back if h.date >= since or h.date in ago)

    def is_current(self, as_of) -> bool:
        """Whether the latest price is of the period holding ``as_of`` (``None``: yes).

        Periods, not dates, are compared: a bulletin dated 15 June holds the June price (dated
        1 June) and the week's price (dated its Monday) as this period's.
        """
        if as_of is None or pd.isna(as_of):
            return True
        return same_period(self.date, pd.Timestamp(as_of), self.freq)

    @property
    def movement(self) -> str:
        """Since the previous period: ``"rose"``, ``"fell"``, ``"stable"`` or ``"unknown"``."""
        if self.vs_previous is None:
            return "unknown"
        return movement(self.vs_previous.pct)


@dataclass(frozen=True)
class CommodityMovement:
    """One line of the summary: a commodity's median change since the previous period."""

    commodity: str
    pct: float
    #: "rose", "fell", "stable", or "mixed": its markets went both ways, and fewer than
    #: half went the median's way (coconut at -10 % in one depot, +12 % in the other).
    movement: str
    strength: str  # "stable", "slight", "moderate", "high", "severe" ("mixed" when mixed)
    #: The markets of the series it sums up, so the summary can name them where the
    #: commodity's name alone does not tell it apart ("rice" beside "rice (Thai 5%)").
    markets: tuple[str, ...] = ()
    #: Of the ``series`` it sums up, how many moved its way (``movement``): "rice fell
    #: slightly" spoke for three markets, one of which had risen.
    agreeing: int = 0
    series: int = 0
    #: The markets whose price rose and fell, for a "mixed" summary to name them.
    rose_in: tuple[str, ...] = ()
    fell_in: tuple[str, ...] = ()
    #: Where its prices are, when all of them are in one place abroad: "world" (a world
    #: market price) or the currency of a market abroad ("LKR"); ``None`` otherwise. "Giá
    #: gạo trắng tăng" of Colombo's rice read, in a Bến Tre bulletin, as rice here.
    place: str | None = None


@dataclass(frozen=True)
class BulletinFacts:
    """The whole bulletin's facts: per-series facts and the summary."""

    as_of: pd.Timestamp
    series: tuple[SeriesFacts, ...]
    horizon: int
    model: str
    summary: tuple[CommodityMovement, ...] = ()
    stale: tuple[tuple, ...] = ()  # series left out: no price in MAX_AGE_MONTHS

    @property
    def freq(self) -> str:
        """The bulletin's period: "monthly", "weekly", or "mixed"."""
        found = {s.freq for s in self.series}
        return found.pop() if len(found) == 1 else "mixed"

    def rose(self) -> list[str]:
        return [m.commodity for m in self.summary if m.movement == "rose"]

    def fell(self) -> list[str]:
        return [m.commodity for m in self.summary if m.movement == "fell"]

    def stable(self) -> list[str]:
        return [m.commodity for m in self.summary if m.movement == "stable"]

    def current(self) -> list[SeriesFacts]:
        """The series whose latest price is of the bulletin's period (the others' show their
        date in the table)."""
        return [s for s in self.series if s.is_current(self.as_of)]

    def select(self, keep: Callable[[tuple], bool]) -> BulletinFacts:
        """The series whose key ``keep`` accepts (stale ones too), the summary recomputed."""
        chosen = tuple(s for s in self.series if keep(s.key))
        stale = tuple(k for k in self.stale if keep(k))
        return replace(self, series=chosen, summary=summarise(chosen, self.as_of), stale=stale)


# --------------------------------------------------------------------------- grading


def grade(pct: float) -> str:
    """FEWS NET: ``"severe"`` above 25 %, ``"high"`` above 10 %, else ``"normal"``."""
    size = abs(pct)
    if size > SEVERE_PCT:
        return "severe"
    if size > HIGH_PCT:
        return "high"
    return "normal"


def movement(pct: float) -> str:
    """``"stable"`` within ``STABLE_CHANGE_PCT``, else ``"rose"`` or ``"fell"``."""
    if abs(pct) < STABLE_CHANGE_PCT:
        return "stable"
    return "rose" if pct > 0 else "fell"


def strength(pct: float) -> str:
    """How big a change is: stable, slight (< 5 %), moderate (<= 10 %), high, severe."""
    size = abs(pct)
    if size < STABLE_CHANGE_PCT:
        return "stable"
    if size < SLIGHT_CHANGE_PCT:
        return "slight"
    if size <= HIGH_PCT:
        return "moderate"
    return grade(pct)


#: Weeks before and after Tết whose year-ago change compares with the same week to last
#: year's Tết: the run-up's demand (``TET_LEAD_WEEKS``, 6) and the ease after it.
TET_WEEKS_BEFORE, TET_WEEKS_AFTER = 6, 4


def week_a_tet_ago(monday: pd.Timestamp) -> pd.Timestamp | None:
    """The week (its Monday) as far before or after last year's Tết as ``monday``'s week
    is from this year's, for a week within ``TET_WEEKS_BEFORE`` before Tết to
    ``TET_WEEKS_AFTER`` after it; ``None`` otherwise, or where that is the week 52 back.

    Tết moves by up to four weeks between years: the week before Tết 2026 (17 February),
    compared with the week 52 back, met the week after Tết 2025 (29 January), when pomelo
    prices have fallen back, and read "+40 % on last year" of a usual run-up."""
    from forecast.calendar import tet_days

    days = tet_days()
    monday = pd.Timestamp(monday).normalize()
    i = int(np.argmin(np.abs((days - monday).days)))
    offset = monday - days[i]
    if i == 0 or not -TET_WEEKS_BEFORE * 7 <= offset.days <= TET_WEEKS_AFTER * 7 + 6:
        return None
    then = period_of(days[i - 1] + offset, "weekly")
    return None if then == monday - pd.DateOffset(weeks=52) else then


def period_of(date, freq: str) -> pd.Timestamp:
    """The start of ``date``'s period: its month's first day, or its week's Monday."""
    from forecast.clean.dates import period_start

    return period_start(pd.Series([pd.Timestamp(date)]), freq).iloc[0]


def same_period(date: pd.Timestamp, as_of: pd.Timestamp, freq: str) -> bool:
    """Whether ``date`` lies in the month (``"monthly"``) or Monday-to-Sunday week holding
    ``as_of``."""
    date, as_of = pd.Timestamp(date), pd.Timestamp(as_of)
    if freq == "monthly":
        return (date.year, date.month) == (as_of.year, as_of.month)
    return date.to_period("W-SUN") == as_of.to_period("W-SUN")


def summarise(series: Sequence[SeriesFacts], as_of=None) -> tuple[CommodityMovement, ...]:
    """Per commodity and place (in order of first appearance), the median change over its
    markets: rice here and rice in Sri Lanka are two lines (see :func:`place_abroad`).

    Only series current at ``as_of`` count (:meth:`SeriesFacts.is_current`; ``None``: all).
    """
    changes: dict[tuple, list[float]] = {}
    markets: dict[tuple, list[str]] = {}
    moved: dict[tuple, list[tuple[str, str]]] = {}
    for item in series:
        if item.vs_previous is not None and item.is_current(as_of):
            group = (item.commodity, place_abroad(item.market, item.currency))
            changes.setdefault(group, []).append(item.vs_previous.pct)
            moved.setdefault(group, []).append((item.market, item.movement))
            seen = markets.setdefault(group, [])
            if item.market not in seen:
                seen.append(item.market)
    out = []
    for (commodity, place), values in changes.items():
        pct = float(np.median(values))
        way = movement(pct)
        ways = [movement(value) for value in values]
        agreeing = ways.count(way)
        # How strongly: as the markets that went the median's way moved. "Rice (2 of 3
        # markets) rose slightly" was said of +4.7 % and +6.4 %, beside a third at -1 %.
        its_way = [v for v, w in zip(values, ways, strict=True) if w == way]
        size = strength(float(np.median(its_way or pct)))
        if "rose" in ways and "fell" in ways and 2 * agreeing < len(values):
            # The median of -10 % and +12 % is "steady", which neither depot was.
            way = size = "mixed"
        group = (commodity, place)
        out.append(
            CommodityMovement(
                commodity,
                pct,
                way,
                size,
                tuple(markets[group]),
                agreeing=agreeing,
                series=len(values),
                rose_in=_markets_where(moved[group], "rose"),
                fell_in=_markets_where(moved[group], "fell"),
                place=place,
            )
        )
    return tuple(out)


def _markets_where(moved: list[tuple[str, str]], way: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(market for market, went in moved if went == way))


def place_abroad(market: str, currency: str) -> str | None:
    """ "world" for a world market price, the currency of a market abroad whose country the
    bulletin can name ("LKR"), else ``None`` (a market here, or nowhere it can say)."""
    from forecast.bulletin.wording import CURRENCY_COUNTRIES

    if str(market).strip().casefold() == "world":
        return "world"
    currency = str(currency).strip().upper()
    return currency if currency in CURRENCY_COUNTRIES else None


# --------------------------------------------------------------------------- one series


def period_step(freq: str) -> pd.DateOffset:
    """One period of ``freq``: a month, or a week."""
    return pd.DateOffset(months=1) if freq == "monthly" else pd.DateOffset(weeks=1)


def _change(price: float, reference: float | None, when=None, n_years=None) -> Change | None:
    if reference is None or not np.isfinite(reference) or reference <= 0:
        return None
    return Change(100.0 * (price / reference - 1.0), float(reference), when, n_years)


def _price_at(y: pd.Series, date: pd.Timestamp) -> float | None:
    value = y.get(date)
    return None if value is None or not np.isfinite(value) else float(value)


def five_year_average(y: pd.Series, date: pd.Timestamp, years: int = 5) -> tuple[float, int]:
    """Mean price in ``date``'s calendar month over the ``years`` years before it.

    Each year's prices in that month are averaged first, so a weekly series counts every
    year once. Returns ``(mean, number of years found)``; ``(nan, 0)`` when none.
    """
    months = y[(y.index.month == date.month) & y.notna()]
    months = months[(months.index.year >= date.year - years) & (months.index.year < date.year)]
    if months.empty:
        return float("nan"), 0
    by_year = months.groupby(months.index.year).mean()
    return float(by_year.mean()), int(len(by_year))


def price_changes(y: pd.Series, freq: str) -> tuple[Change | None, Change | None, Change | None]:
    """(vs previous period, vs a year ago, vs the 5-year average for the month) at y's end."""
    y = y.dropna()
    date, price = y.index[-1], float(y.iloc[-1])
    previous = date - period_step(freq)
    year_ago = date - (pd.DateOffset(years=1) if freq == "monthly" else pd.DateOffset(weeks=52))
    by_tet = week_a_tet_ago(date) if freq == "weekly" else None
    year_ago = by_tet or year_ago
    mean, n_years = five_year_average(y, date)
    vs_previous = _change(price, _price_at(y, previous), previous)
    # A week (or month) with no price: against the last one before it, and said so ("2
    # tuần"), rather than no change at all for every product of a depot that skipped a
    # week. As far back as cleaning fills gaps (their estimates are not prices, and the
    # caller leaves them out), and no further.
    for n in range(2, CleanOptions.max_gap + 2):
        if vs_previous is not None:
            break
        before = date - n * period_step(freq)
        found = _change(price, _price_at(y, before), before)
        vs_previous = None if found is None else replace(found, n_periods=n)
    vs_year = _change(price, _price_at(y, year_ago), year_ago)
    # A depot that skipped that one week would lose the year-ago change of every product:
    # the nearest week within two of it is the same time of year (a month has no stand-in).
    for weeks in YEAR_AGO_WEEKS if freq == "weekly" else ():
        if vs_year is not None:
            break
        near = year_ago + pd.DateOffset(weeks=52 - weeks)
        vs_year = _change(price, _price_at(y, near), near)
    if vs_year is not None and by_tet is not None:
        vs_year = replace(vs_year, by_tet=True)
    return (
        vs_previous,
        vs_year,
        _change(price, mean if n_years >= MIN_AVERAGE_YEARS else None, None, n_years),
    )


def outlook(forecast: pd.DataFrame, price: float, horizon: int, after=None) -> Outlook | None:
    """Range and direction over ``horizon`` forecast periods of one series.

    ``forecast`` is in the forecast-output format (``date``, ``forecast``, ``lower_<L>``,
    ``upper_<L>``, ``model``). The periods are the first ``horizon`` rows dated after
    ``after`` (the bulletin date; ``None``: the first rows). The range uses the 80 %
    interval, or the narrowest level given. ``None`` when no row is left.
    """
    if forecast is None or forecast.empty:
        return None
    rows = forecast.sort_values("date")
    if after is not None:
        rows = rows[pd.to_datetime(rows["date"]) > pd.Timestamp(after)]
    rows = rows.head(horizon)
    if rows.empty:
        return None
    levels = sorted(float(c.split("_", 1)[1]) for c in rows.columns if c.startswith("lower_"))
    level = 80.0 if 80.0 in levels else (levels[0] if levels else None)
    low = high = None
    if level is not None:
        name = f"{level:g}"
        lows, highs = rows[f"lower_{name}"].astype(float), rows[f"upper_{name}"].astype(float)
        if lows.notna().all() and highs.notna().all():
            low, high = float(lows.min()), float(highs.max())
    changes = 100.0 * (rows["forecast"].astype(float).to_numpy() / price - 1.0)
    median_pct = float(np.median(changes))
    if abs(median_pct) < STABLE_OUTLOOK_PCT:
        direction = "stable" if _narrow(low, high, price) else "unclear"
    elif _way_chance(median_pct, low, high, level) <= UNCLEAR_BELOW_CHANCE:
        direction = "unclear"
    else:
        direction = "rising" if median_pct > 0 else "falling"
    model = str(rows["model"].iloc[0]) if "model" in rows.columns else ""
    return Outlook(
        periods=len(rows),
        start=pd.Timestamp(rows["date"].iloc[0]),
        end=pd.Timestamp(rows["date"].iloc[-1]),
        low=low,
        high=high,
        level=level if low is not None else None,
        median_pct=median_pct,
        direction=direction,
        model=model,
    )


def _narrow(low, high, price: float) -> bool:
    """Whether a range stays within ``STABLE_RANGE_PCT`` of the price either way (no range:
    yes). A review read "82.000–145.000, ổn định" (-25 % to +33 %): no farmer calls that
    stable, whatever the middle of it does."""
    if low is None or high is None:
        return True
    bound = STABLE_RANGE_PCT / 100.0
    return low >= price * (1 - bound) and high <= price * (1 + bound)


def _way_chance(median_pct: float, low, high, level) -> float:
    """How likely the price goes the outlook's way: the range read as a normal spread of
    log prices, at its level, around the median change. 1 without a range.

    A reviewer's series read "tăng" (rising) beside a range of -47 % to +107 %: +5 % in
    the middle of a range that wide is a coin toss (54 %), where +4 % in 92-118 is not (66
    %). At or below :data:`UNCLEAR_BELOW_CHANCE` the direction is "unclear"."""
    from statistics import NormalDist

    if low is None or high is None or not 0 < low < high or level is None:
        return 1.0
    z = NormalDist().inv_cdf(0.5 + float(level) / 200.0)  # 1.28 for an 80 % range
    spread = math.log(high / low) / (2.0 * z)
    return NormalDist().cdf(abs(math.log1p(median_pct / 100.0)) / spread)


#: Fewest prices a series needs before a bulletin shows its outlook: a model fitted on five
#: weeks of a new product gave a range of ±1.7 % where an old one's was ±16 %.
MIN_OUTLOOK_PRICES = 12


#: Periods a series' last price may be before the bulletin's and still give an outlook:
#: a weekly rice price last written in May read "next 3 weeks: 6,570-8,240" in November,
#: a forecast 27 weeks out told as the coming weeks'.
OUTLOOK_MAX_AGE = {"weekly": 8, "monthly": 3}
#: Outlooks that say why there is none, in place of a range and a direction.
NO_OUTLOOK = ("too_few", "too_old")


def _honest(
    found: Outlook | None, n_prices: int, age: int = 0, freq: str = "monthly"
) -> Outlook | None:
    """``found``, or an outlook that says why it cannot tell (no range, no direction): for
    a series of fewer than ``MIN_OUTLOOK_PRICES`` prices, too few; for one whose last
    price is more than ``OUTLOOK_MAX_AGE`` periods (``age``) before the bulletin's, too
    old."""
    if found is None:
        return found
    if n_prices < MIN_OUTLOOK_PRICES:
        return replace(found, low=None, high=None, level=None, direction="too_few")
    if age > OUTLOOK_MAX_AGE.get(freq, OUTLOOK_MAX_AGE["monthly"]):
        return replace(found, low=None, high=None, level=None, direction="too_old")
    return found


def periods_between(start: pd.Timestamp, end: pd.Timestamp, freq: str) -> int:
    """Whole periods from ``start``'s to ``end``'s (0 in the same one)."""
    if freq == "weekly":
        return int((end.normalize() - start.normalize()).days // 7)
    return (end.year - start.year) * 12 + end.month - start.month


def upcoming_months(date: pd.Timestamp, freq: str, horizon: int) -> list[int]:
    """Calendar months of the outlook periods and of at least the next two months (not
    ``date``'s own month, unless a weekly outlook stays in it)."""
    step = period_step(freq)
    dates = [date + step * k for k in range(1, horizon + 1)]
    dates += [date + pd.DateOffset(months=k) for k in range(1, HARVEST_LOOKAHEAD_MONTHS + 1)]
    months: list[int] = []
    for d in sorted(dates):
        # A week is its Thursday's month, as the calendar counts it (its most days): the
        # week from Monday 30 November is December's, and a rainy-season note (May to
        # November) ended beside it.
        month = (d + pd.Timedelta(days=3)).month if freq == "weekly" else d.month
        if month not in months:
            months.append(month)
    return months


#: How many years each of a harvest note's months must have in a series' own typical year
#: before the bulletin weighs the calendar's "prices usually dip" against it.
SEEN_YEARS = 3


#: How far (percentage points of the typical year) a season's level may sit above the
#: bulletin's month and "prices usually dip" still be said from here (below it, for a
#: rise): within half a point the typical year cannot tell, and the calendar's word stands.
#: An Giang's June -3.6 % against its July and August's -2.7 % is no dip from June (a
#: planner read "prices usually dip" beside that typical year: a margin of a whole point
#: had let it pass), nor Đồng Tháp's January -1.6 % against its March peak's -1.0 %.
FROM_NOW_MARGIN_PCT = 0.5


def unseen_effect(
    typical: pd.DataFrame | None, months, effect: str, now: int | None = None
) -> tuple[int | None, int | None]:
    """Whether ``months`` did not do to this series' prices what the calendar says
    (``effect``: "dip" or "rise"): ``(years, since)``, the years of prices that say so
    (``None`` when they did, or are too few to tell) and, where only the bulletin's month
    ``now`` tells against the calendar, that month (else ``None``).

    ``typical`` is the series' :func:`forecast.typical_year.seasonal_index`. The calendar
    speaks for a region; a market's own prices may not follow it: WFP's An Giang rice was
    dearest in November, in the Thu Đông harvest, where the bulletin said "prices usually
    dip" (its October to December 1.1 % above the year around them, over 14 years). So
    where at least half the note's months were seen in ``SEEN_YEARS`` years or more (a
    month never priced, a December with no prices, has no typical level) and their
    typical level went the other way (0 or above for a dip), the note says so instead.
    The count is the fewest years any of those months was seen in.

    ``now``, the bulletin's month, when it comes before the season: a farmer reads "giá
    thường giảm" as "from here, prices usually fall", so the season's level must also be
    below this month's (for a rise, above). WFP's Đồng Tháp rice in June was at its
    cheapest of the year (3.9 % below it), and Hè Thu's July and August, though 0.7 % below
    the year, were 3.2 points above June: "prices usually fall" would have a farmer sell
    early. A season above this month by less than ``FROM_NOW_MARGIN_PCT`` still counts.
    """
    if typical is None:
        return None, None
    by_month = typical.set_index("month")
    rows = by_month.reindex(list(months))
    seen = rows[rows["median"].notna() & (rows["years"] >= SEEN_YEARS)]
    if seen.empty or len(seen) * 2 < len(rows):
        return None, None
    level = float(seen["median"].mean())
    years = int(seen["years"].min())
    if not (level < 0 if effect == "dip" else level > 0):
        return years, None
    if now is not None and now not in months and now in by_month.index:
        here = by_month.loc[now]
        if pd.notna(here["median"]) and here["years"] >= SEEN_YEARS:
            if effect == "dip":
                went = level < here["median"] + FROM_NOW_MARGIN_PCT
            else:
                went = level > here["median"] - FROM_NOW_MARGIN_PCT
            if not went:
                return years, now
    return None, None


def _typical_year(history: pd.Series | None) -> pd.DataFrame | None:
    if history is None:
        return None
    from forecast.typical_year import seasonal_index

    try:
        return seasonal_index(history)
    except ValueError:  # too short for a typical year: the calendar's word stands
        return None


def harvest_notes(
    key: tuple,
    date: pd.Timestamp,
    freq: str,
    horizon: int,
    calendar: pd.DataFrame | None,
    history: pd.Series | None = None,
) -> tuple[HarvestNote, ...]:
    """Calendar seasons under way at ``date`` or coming in the upcoming window (see the
    module notes). ``history``, the series' prices, tells a season its prices here have not
    followed (:func:`unseen_effect`)."""
    if calendar is None:
        return ()
    from forecast.calendar import (
        TET_LEAD_WEEKS,
        harvest_note_months,
        match_series,
        months_between,
        next_tet,
        picked_all_year,
        season_effect,
        tied_to_tet,
    )

    rows = match_series(key, calendar)
    if rows.empty:
        return ()
    peaks = harvest_note_months(rows)
    # The bulletin's own month too: a harvest under way is news.
    upcoming = set(upcoming_months(date, freq, horizon))
    window = {date.month, *upcoming}
    notes = []
    step = period_step(freq)
    # The outlook's periods run from the one after the bulletin's to the end of the last,
    # counted from the start of the bulletin's period (an --as-of of 20 January is January's
    # bulletin, whose outlook starts in February, not on 20 February).
    start_of = period_of(date, freq)
    outlook_start, outlook_end = start_of + step, start_of + step * (horizon + 1)
    # The look-ahead runs to the end of its last month, as the other seasons' months do
    # (a November bulletin looks to January: the run-up to a mid-February Tết is in it).
    lookahead = start_of + pd.DateOffset(months=HARVEST_LOOKAHEAD_MONTHS)
    ahead = max(outlook_end, lookahead.to_period("M").end_time.normalize())
    covered = set(
        pd.period_range(outlook_start, outlook_end - pd.Timedelta(days=1), freq="M").month
    )
    typical = None
    for _, row in rows.iterrows():
        tet = next_tet(start_of) if tied_to_tet(row) else None
        if tet is not None:
            # The run-up to Tết, from Tết day: under way or starting within the window.
            start = tet - pd.Timedelta(weeks=TET_LEAD_WEEKS)
            if start <= ahead:
                if typical is None and history is not None:  # once a series, when needed
                    typical, history = _typical_year(history), None
                run_up = months_between(start.month, tet.month)  # the weeks before Tết
                # Only the rise before Tết is weighed: the ease after it is another claim,
                # said alone in Tết's own period.
                unseen = (
                    unseen_effect(typical, run_up, "rise", start_of.month)
                    if outlook_start < tet
                    else (None, None)
                )
                notes.append(
                    HarvestNote(
                        season=str(row["season"]),
                        months=tuple(dict.fromkeys([max(start, start_of).month, tet.month])),
                        kind="harvest",
                        effect="rise",
                        all_year=picked_all_year(row),
                        tet=tet,
                        past_tet=outlook_end > tet,
                        before_tet=outlook_start < tet,
                        unseen_years=unseen[0],
                        unseen_since=unseen[1],
                        # Half an outlook period of the run-up at least: the weeks to
                        # 27 December held two days of a run-up from the 26th, and the note
                        # said the outlook "does not show that rise" (a depot tester).
                        in_outlook=min(tet, outlook_end) - max(start, outlook_start)
                        >= (outlook_end - outlook_start) / (2 * horizon)
                        or outlook_start >= tet,
                    )
                )
            continue
        harvest = months_between(int(row["harvest_start"]), int(row["harvest_end"]))
        if not window.intersection(harvest):
            continue
        peak = peaks.get(row["season"], [])
        # A harvest tailing off after its peak (Hè Thu in September, peak July to August):
        # the note would name a glut that is over.
        now = harvest.index(date.month) if date.month in harvest else -1
        if peak and now > harvest.index(peak[-1]):
            continue
        # A crop picked all year whose season of more output ends with this month
        # (coconut's rainy season, May to November, in November's last week): "more nuts,
        # lower prices" says the opposite of the outlook's weeks after it. (A harvest's own
        # last month, Thu Đông's December, is still news: the rice is being cut.)
        ending = now == len(harvest) - 1 and not upcoming.intersection(harvest)
        if not peak and ending and picked_all_year(row):
            continue
        if typical is None and history is not None:  # once a series, only when needed
            typical, history = _typical_year(history), None
        effect = season_effect(row)
        years, since = unseen_effect(typical, peak or harvest, effect, start_of.month)
        notes.append(
            HarvestNote(
                season=str(row["season"]),
                months=tuple(peak or harvest),
                kind="peak" if peak else "harvest",
                effect=effect,
                all_year=picked_all_year(row),
                unseen_years=years,
                unseen_since=since,
                in_outlook=bool(covered.intersection(peak or harvest)),
            )
        )
    return tuple(notes)


def accuracy(previous: pd.DataFrame | None, key: tuple, date, actual: float) -> Accuracy | None:
    """The archived forecast for ``date`` of this series, against the price that came.

    ``previous`` is in the forecast-output format; with a ``cutoff`` column (a forecast
    archive or backtest) the latest forecast made before ``date`` is used, and with a
    ``rank`` (``forecast.store.previous_forecasts``) the runs in its order: a bulletin's
    is graded on the outlook range it printed, by the first bulletin whose outlook holds
    ``date`` (a bulletin of a week with no new file forecast from the prices of the one
    before, its outlook a week later: the week it does not reach is the earlier one's).
    """
    if previous is None or previous.empty:
        return None
    mask = pd.Series(True, index=previous.index)
    for name, value in zip(KEY, key, strict=True):
        mask &= previous[name] == value
    series = previous[mask]
    rows = series[pd.to_datetime(series["date"]) == date]
    if "cutoff" in rows.columns:
        rows = rows[pd.to_datetime(rows["cutoff"]) < date].sort_values("cutoff")
        rows = rows.sort_values("rank") if "rank" in rows.columns else rows.iloc[::-1]
    else:
        rows = rows.iloc[::-1]
    if rows.empty:
        return None
    levels = sorted(float(c.split("_", 1)[1]) for c in rows.columns if c.startswith("lower_"))
    level = 80.0 if 80.0 in levels else (levels[0] if levels else None)
    for i, (_, row) in enumerate(rows.iterrows()):
        sent = _sent_outlook(series, row, date)
        if row.get("source") == "bulletin" and sent is None:
            continue  # its outlook did not reach this period: it told no range of it
        if sent is None and i > 0:
            break  # after a bulletin's, no other run's range: the farmers read none
        low = high = None
        if sent is not None:  # graded on the range the farmers read, not one they never saw
            low, high = sent.low, sent.high
        elif level is not None:
            lo, hi = row[f"lower_{level:g}"], row[f"upper_{level:g}"]
            if pd.notna(lo) and pd.notna(hi):
                low, high = float(lo), float(hi)
        made = pd.Timestamp(row["cutoff"]) if "cutoff" in rows.columns else None
        return Accuracy(
            pd.Timestamp(date),
            low,
            high,
            float(row["forecast"]),
            float(actual),
            made,
            None if sent is None else sent.periods,
            None if sent is None else sent.start,
        )
    return None


def _sent_outlook(series: pd.DataFrame, row: pd.Series, date) -> Outlook | None:
    """The outlook a bulletin's archived run printed for one series (``series``: its
    archived rows; ``row``: the one forecasting ``date``), when ``date`` is one of its
    periods and it had a range. A bulletin prints one 80 % range over its outlook ("3
    tuần tới: 37.800–46.800"); its line grading the next price quoted that week's own
    range (40.100–44.100), which no farmer was sent."""
    if row.get("source") != "bulletin" or pd.isna(row.get("run_horizon")):
        return None
    # Its outlook is its last periods: a run keeps its last price's date, and a bulletin of
    # a week with no new price forecast from the week before (its range was another).
    horizon = int(row["run_horizon"])
    run = series[series["run_id"] == row["run_id"]].sort_values("date").tail(horizon)
    sent = outlook(run, 1.0, horizon)
    if sent is None or sent.low is None or not sent.start <= pd.Timestamp(date) <= sent.end:
        return None
    return sent


def series_facts(
    key: tuple,
    y: pd.Series,
    forecast: pd.DataFrame | None = None,
    *,
    horizon: int = 3,
    alert: dict | None = None,
    calendar: pd.DataFrame | None = None,
    previous_forecasts: pd.DataFrame | None = None,
    as_of=None,
    observed: int | None = None,
    prevailing: str | None = None,
) -> SeriesFacts:
    """The facts of one series. ``observed``: its prices that are not interpolated
    estimates (default: all of ``y``), which decide whether it has an outlook.

    Parameters
    ----------
    key
        The series key (``KEY`` order).
    y
        Its prices, indexed by date (gaps may be absent or NaN).
    forecast
        Its forecast rows (forecast-output format), or ``None`` for no outlook.
    horizon
        How many forecast periods the outlook covers.
    alert
        Its row of ``forecast.anomaly.latest_alerts`` as a dict, or ``None``.
    calendar
        A harvest calendar, or ``None`` for no harvest notes.
    previous_forecasts
        Archived forecasts (forecast-output format) for the accuracy line, or ``None``.
    as_of
        The bulletin date (default: the latest price's). A series whose last price is
        older still gets its outlook and harvest notes for the periods after ``as_of``:
        the forecast must then reach that far (see :func:`make_bulletin`).
    """
    y = y.sort_index().astype(float)
    # The grid: gaps and estimates blanked still sit on it; a series whose dates cannot
    # tell (one week dated Monday the 1st) is on the table's frequency (``prevailing``).
    freq = infer_freq(y.index, prevailing)
    y = y.dropna()
    date, price = pd.Timestamp(y.index[-1]), float(y.iloc[-1])
    when = max(date, pd.Timestamp(as_of)) if as_of is not None else date
    # Across a tenfold jump (a new currency unit, a unit change) as the forecast joins it.
    vs_previous, vs_year, vs_five = price_changes(y * jump_factors(y), freq)
    band = alps = None
    if alert:
        raw_band = alert.get("alps_band")
        band = None if raw_band is None or pd.isna(raw_band) else str(raw_band)
        raw = alert.get("alps")
        alps = None if raw is None or pd.isna(raw) else float(raw)
    ahead = _honest(
        outlook(forecast, price, horizon, after=when),
        len(y) if observed is None else observed,
        periods_between(date, when, freq),
        freq,
    )
    too_few = ahead is not None and ahead.direction in NO_OUTLOOK
    return SeriesFacts(
        key=tuple(key),
        freq=freq,
        date=date,
        price=price,
        vs_previous=vs_previous,
        vs_year_ago=vs_year,
        vs_five_year=vs_five,
        outlook=ahead,
        alps_band=band,
        alps=alps,
        harvest=harvest_notes(key, when, freq, horizon, calendar, history=y),
        # A series too short for an outlook is too short to grade one.
        accuracy=None if too_few else accuracy(previous_forecasts, tuple(key), date, price),
    )


# --------------------------------------------------------------------------- the bulletin


def hold_back_mistyped(
    prices: pd.DataFrame,
    kin_prices: pd.DataFrame | None = None,
    *,
    latest_only: bool = False,
    below: float | None = None,
) -> tuple[pd.DataFrame, dict[tuple, list[HeldBack]]]:
    """``prices`` without the ones that look mistyped, and those, by series key.

    ``latest_only``: only a series' latest price is judged; ``below``: only moves of less
    than that many times (``cropcast forecast`` leaves the older ones, and tenfold moves, to
    its models' own rules, which say what they do with them).

    A real price of its series' last ``JUDGED_MONTHS`` (what the bulletin's changes compare) is
    suspect when it is ``MISTYPED`` times or more above or below both the median of the
    three real prices before it and of the three after it (auto's spike rule), or, for the
    latest price, both the median of the (up to) three before it and the price just before
    it: a jump is judged once, when it comes; the price after it stands at the new level, or
    continues a move the bulletin already shows, and is used (a new currency unit, or a real
    jump, is used from its second period). A series of two prices is not judged. A slipped
    zero or a price per bag in a column per kg moves threefold; crop prices rarely do, and
    when they do (Sri Lanka's carrots in January 2024, its tomatoes in April 2024, in every
    market) the same commodity's prices in other markets move with them: a suspect price
    whose kin (same commodity, price type and currency, in ``kin_prices``, default
    ``prices``) moved at least half as far the same way that period is kept, unless its move
    is a power of ten (``_slipped_zeros``), which one clerk's slip across one file's markets
    makes and no market does. The estimates cleaning interpolated toward a held-back price go
    with it. Interpolated estimates are never tested themselves.
    """
    if prices.empty:
        return prices, {}
    prices = prices.assign(_at=np.arange(len(prices)))  # positions: labels may repeat
    rows, logs, before, after, position, size = _neighbours(prices)
    move, far = logs - before, np.log(MISTYPED)
    spike = ((move >= far) & (logs - after >= far)) | ((move <= -far) & (logs - after <= -far))
    previous = np.where(position > 0, np.roll(logs, 1), np.nan)
    latest = (position == size - 1) & (np.abs(move) >= far) & (np.abs(logs - previous) >= far)
    # From each series' own last price: its changes compare from there.
    last = rows.groupby(list(KEY), sort=False, observed=True)["date"].transform("max")
    recent = rows["date"] >= last - pd.DateOffset(months=JUDGED_MONTHS)
    suspect = (latest if latest_only else spike | latest) & (size >= 3) & recent.to_numpy()
    if below is not None:
        suspect &= np.abs(move) < np.log(below)
    if not suspect.any():
        return prices.drop(columns="_at"), {}
    kin = _kin_moves(rows[suspect], prices if kin_prices is None else kin_prices)
    drop, held = set(), {}
    for i in np.flatnonzero(suspect):
        row = rows.iloc[i]
        key = tuple(row[list(KEY)])
        if not _slipped_zeros(move[i]):
            others = kin.get(tuple(row[["commodity", "price_type", "currency", "date"]]))
            others = None if others is None else others.loc[others["key"] != key, "move"]
            if others is not None and len(others.dropna()):
                middle = float(others.median())
                if np.sign(middle) == np.sign(move[i]) and abs(middle) >= abs(move[i]) / 2:
                    continue  # the market moved, not a finger
        # What the bulletin shows instead: the price before it (the latest one's), or, inside
        # the history, the prices around it.
        around = previous[i] if position[i] == size[i] - 1 else before[i]
        held.setdefault(key, []).append(
            HeldBack(pd.Timestamp(row["date"]), float(row["price"]), float(np.exp(around)))
        )
        drop.add(int(row["_at"]))
        # The estimates between its real neighbours were drawn toward it.
        after_date = rows["date"].iloc[i + 1] if position[i] < size[i] - 1 else pd.Timestamp.max
        before_date = rows["date"].iloc[i - 1] if position[i] > 0 else pd.Timestamp.min
        drop |= set(_estimates_between(prices, key, before_date, after_date))
    kept = prices[~prices["_at"].isin(drop)]
    return kept.drop(columns="_at"), held


#: Months back from the latest price whose prices a bulletin judges: its changes compare
#: the latest price with the period before and the same period a year before.
JUDGED_MONTHS = 13


def _slipped_zeros(move: float) -> bool:
    """Whether a log move is about a power of ten (9.8 or 12 times, not 6.9): a slipped zero
    or a unit's count (a price per chục of 12) that no market's kin can vouch for."""
    decades = abs(move) / np.log(10)
    return round(decades) >= 1 and abs(decades - round(decades)) < 0.1


def _estimates_between(prices: pd.DataFrame, key: tuple, start, stop) -> list[int]:
    """Positions (``_at``) of ``key``'s interpolated prices strictly between two dates."""
    same = np.logical_and.reduce([prices[c].to_numpy() == v for c, v in zip(KEY, key, strict=True)])
    inside = same & (prices["date"] > start).to_numpy() & (prices["date"] < stop).to_numpy()
    return prices["_at"].to_numpy()[inside & interpolated(prices)].tolist()


def _neighbours(prices: pd.DataFrame):
    """The real prices of ``prices`` sorted by series and date, with their logs, the median
    of the (up to) three real prices before and after each, its position in its series
    and its series' size."""
    columns = [*KEY, "date", "price", *(["_at"] if "_at" in prices.columns else [])]
    rows = prices.loc[~interpolated(prices), columns].sort_values([*KEY, "date"])
    groups = rows.groupby(list(KEY), sort=False, observed=True)
    position, size = groups.cumcount().to_numpy(), groups["price"].transform("size").to_numpy()
    logs = np.log(rows["price"].to_numpy(float))
    before = _median_of_three(logs, position, +1)
    after = _median_of_three(logs, size - 1 - position, -1)
    return rows, logs, before, after, position, size


def _kin_moves(suspects: pd.DataFrame, kin_prices: pd.DataFrame) -> dict[tuple, pd.DataFrame]:
    """(commodity, price type, currency, date) -> the moves (log price minus the median of
    the three before) of every series of ``kin_prices`` with a real price then, keyed."""
    columns = ["commodity", "price_type", "currency", "date"]
    wanted = suspects[columns].drop_duplicates()
    rows, logs, before, _, _, _ = _neighbours(
        kin_prices.merge(wanted[columns[:3]].drop_duplicates())
    )
    table = rows.assign(move=logs - before, key=list(map(tuple, rows[list(KEY)].to_numpy())))
    table = table.merge(wanted, on=columns)
    return {tuple(k): g for k, g in table.groupby(columns)}


def _median_of_three(logs: np.ndarray, room: np.ndarray, direction: int) -> np.ndarray:
    """Per row, the median of the (up to) three rows before it (``direction=+1``) or after
    it (``-1``) in its own series; ``room`` is how many rows it has on that side."""
    near = np.full((3, len(logs)), np.nan)
    for k in (1, 2, 3):
        shifted = np.roll(logs, direction * k)
        near[k - 1] = np.where(room >= k, shifted, np.nan)
    with warnings.catch_warnings():  # a series' first row has none: NaN, said quietly
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(near, axis=0)


def truncate(prices: pd.DataFrame, as_of) -> pd.DataFrame:
    """The prices known at ``as_of`` (dates on or before it): the history as it was then."""
    if as_of is None:
        return prices
    return prices[prices["date"] <= pd.Timestamp(as_of)]


def bulletin_facts(
    prices: pd.DataFrame,
    forecasts: pd.DataFrame | None = None,
    *,
    as_of=None,
    horizon: int = 3,
    alerts: pd.DataFrame | None = None,
    calendar: pd.DataFrame | None = None,
    previous_forecasts: pd.DataFrame | None = None,
    max_age_months: int | None = MAX_AGE_MONTHS,
    notes: dict[tuple, str] | None = None,
    held_back: dict[tuple, list[HeldBack]] | None = None,
    nuts_per_chuc: dict[tuple, int] | None = None,
    revised: dict[tuple, list[Revised]] | None = None,
) -> BulletinFacts:
    """Facts for every series of ``prices`` as known at ``as_of``.

    Parameters
    ----------
    prices
        A PriceTable; rows after ``as_of`` are ignored.
    forecasts
        Forecast output (``ForecastRun.forecasts``) made from those prices; ``None`` gives
        no outlook.
    as_of
        The bulletin date; ``None`` is the latest date in ``prices``.
    horizon
        Periods the outlook covers (the first ``horizon`` forecast rows of each series).
    alerts
        ``forecast.anomaly.latest_alerts`` output (one row per series), or ``None``.
    calendar
        A harvest calendar (``forecast.calendar.load_calendar()``), or ``None``.
    previous_forecasts
        Archived earlier forecasts for the accuracy line, or ``None`` to omit it.
    max_age_months
        Leave out series with no price in this many months before ``as_of`` (``None``
        keeps all); they are listed in ``BulletinFacts.stale``.
    notes
        Per-series remarks (e.g. the model fell back), by key.
    held_back
        Prices left out of ``prices`` as probably mistyped, by key
        (:func:`hold_back_mistyped`); each series' facts name its own.
    nuts_per_chuc
        For series quoted per chục, the nuts in each one's chục, by (commodity, market,
        price_type, currency), as ``forecast.bulletin.depot.quote_per_chuc`` was given them.
    revised
        Prices that changed under the last bulletin sent, by key (:func:`revised_by_series`);
        each series' notes name the one its change since the previous price compares with.
    """
    from forecast.bulletin.depot import series_of
    from forecast.clean.units import CHUC

    nuts_per_chuc = nuts_per_chuc or {}
    prices = truncate(prices, as_of)
    if prices.empty:
        return BulletinFacts(pd.Timestamp(as_of) if as_of else pd.NaT, (), horizon, "")
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(prices["date"].max())
    oldest = as_of - pd.DateOffset(months=max_age_months) if max_age_months else None
    by_key = {}
    if forecasts is not None and not forecasts.empty:
        by_key = {tuple(k): g for k, g in forecasts.groupby(list(KEY), sort=False)}
    alert_rows = {}
    if alerts is not None and not alerts.empty:
        alert_rows = {tuple(r[c] for c in KEY): r for r in alerts.to_dict("records")}
    kept, stale = [], []
    told = told_freq(prices)
    for key, group in prices.groupby(list(KEY), sort=True, observed=True):
        key = tuple(key)
        # Changes are against prices someone wrote: cleaning's estimates for a missed week
        # are blanked (their dates kept), so "since last week" skips to the week before.
        y = observed_prices(group).set_index("date")["price"]
        if oldest is not None and y.index.max() <= oldest:
            stale.append(key)
            continue
        facts = series_facts(
            key,
            y,
            by_key.get(key),
            horizon=horizon,
            alert=alert_rows.get(key),
            calendar=calendar,
            previous_forecasts=previous_forecasts,
            as_of=as_of,
            observed=int((~interpolated(group)).sum()) if "flags" in group else None,
            prevailing=told(key),
        )
        if notes and notes.get(key):
            facts = replace(facts, note=notes[key])
        if held_back and held_back.get(key):
            facts = replace(facts, held_back=tuple(held_back[key]))
        if revised and revised.get(key):
            facts = replace(facts, revised=tuple(revised[key]))
        if key[3] == CHUC and nuts_per_chuc.get(series_of(key)):
            facts = replace(facts, nuts_per_chuc=int(nuts_per_chuc[series_of(key)]))
        kept.append(facts)
    models = sorted({s.outlook.model for s in kept if s.outlook and s.outlook.model})
    return BulletinFacts(
        as_of=as_of,
        series=tuple(kept),
        horizon=horizon,
        model=", ".join(models),
        summary=summarise(kept, as_of),
        stale=tuple(stale),
    )


@dataclass(frozen=True)
class BulletinInputs:
    """Everything behind a bulletin, kept for charts: the facts and the tables they came from."""

    facts: BulletinFacts
    prices: pd.DataFrame
    forecasts: pd.DataFrame
    calendar_rows: dict[tuple, pd.DataFrame] = field(default_factory=dict)  # for shading
    #: Series with fewer prices than the model needs, forecast by their last price instead
    #: (see :func:`too_few_prices`).
    too_few_prices: tuple[tuple, ...] = ()


def too_few_prices(prices: pd.DataFrame, model: str) -> tuple[tuple, ...]:
    """Keys of the series with fewer prices than ``model`` needs to fit (its ``min_length``).

    The forecast gives them the last price (naive) as it does when a model fails, but a
    series of a few weeks is no failure: a bulletin says once how many there were, rather
    than one model note each.
    """
    from forecast.models import model_class
    from forecast.table import observed_prices

    need = model_class(model).min_length
    # Real prices, as the forecast counts them: an interpolated estimate fits nothing.
    real = observed_prices(prices).dropna(subset=["price"])
    counts = real.groupby(list(KEY), observed=True).size()
    return tuple(tuple(key) for key in counts[counts < need].index)


def make_bulletin(
    prices: pd.DataFrame,
    *,
    model: str = DEFAULT_MODEL,
    horizon: int = 3,
    as_of=None,
    previous_forecasts: pd.DataFrame | None = None,
    max_age_months: int | None = MAX_AGE_MONTHS,
    n_jobs: int | None = None,
    engine: str | None = None,
    scheduler=None,
    on_done: Callable | None = None,
    kin_prices: pd.DataFrame | None = None,
    nuts_per_chuc: dict[tuple, int] | None = None,
    revised: pd.DataFrame | None = None,
) -> BulletinInputs:
    """Forecast, score anomalies and gather the facts: the whole bulletin, before wording.

    The history is cut at ``as_of`` first, so the bulletin is the one that would have been
    written then. Series left out as stale are not forecast. ``engine=None`` runs the
    benchmark models (naive, snaive, drift, window: microseconds a series) in this process,
    where starting worker processes would cost more than the fits, and others in processes.
    ``scheduler`` is a Dask scheduler for ``engine="dask"`` (see ``forecast.engine``).
    ``kin_prices`` is the table ``auto`` finds short series' kin in (default: ``prices``),
    cut at ``as_of`` like the prices. ``nuts_per_chuc``: for series quoted per chục, the
    nuts in each one's chục (see :func:`bulletin_facts`), so English bulletins can say it.
    ``revised``: ``forecast.store.changed_since_bulletin``'s rows, in these prices' units.
    """
    from forecast.calendar import load_calendar, match_series
    from forecast.forecasting import ForecastSpec, forecast_prices

    known = truncate(prices, as_of)
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(known["date"].max())
    # Dated by the file, typo or not; the kin that may vouch for a jump are every market's,
    # whichever series were chosen.
    kin_prices = None if kin_prices is None else truncate(kin_prices, as_of)
    known, held_back = hold_back_mistyped(known, known if kin_prices is None else kin_prices)
    if max_age_months:
        last = known.groupby(list(KEY), observed=True)["date"].transform("max")
        current = known[last > as_of - pd.DateOffset(months=max_age_months)]
    else:
        current = known
    calendar = load_calendar()
    # A series whose last price is older than the bulletin date is forecast further, so
    # its outlook covers the same periods after the bulletin date as the others'.
    spec = ForecastSpec(model=model, horizon=horizon, levels=(80, 95), counted_from=as_of)
    if current.empty:
        forecasts, notes = pd.DataFrame(columns=[*KEY, "date", "forecast", "model"]), {}
        few = ()
    else:
        if engine is None:
            engine = "local" if model in CHEAP_MODELS else "processes"
        run = forecast_prices(
            current,
            spec,
            n_jobs=n_jobs,
            engine=engine,
            scheduler=scheduler,
            calendar=calendar,
            on_done=on_done,
            kin_prices=kin_prices,
        )
        # Naive stand-ins for series no worker ran are no outlook to send farmers (a
        # review's 'send' wrote them to the outbox, exit 0): no bulletin, exit 75.
        run.refuse_unrun("no bulletin was made")
        forecasts = run.forecasts
        few = too_few_prices(current, model)
        notes = {s.key: s.note for s in run.series if s.note and s.key not in few}
    alerts = _alerts(current, as_of)
    facts = bulletin_facts(
        known,
        forecasts,
        as_of=as_of,
        horizon=horizon,
        alerts=alerts,
        calendar=calendar,
        previous_forecasts=previous_forecasts,
        max_age_months=max_age_months,
        notes=notes,
        held_back=held_back,
        nuts_per_chuc=nuts_per_chuc,
        revised=revised_by_series(revised),
    )
    # Series with too few prices for an outlook: no forecast to chart or to keep.
    too_few = {s.key for s in facts.series if s.outlook and s.outlook.direction in NO_OUTLOOK}
    if too_few and not forecasts.empty:
        shown = ~pd.MultiIndex.from_frame(forecasts[list(KEY)]).isin(list(too_few))
        forecasts = forecasts[shown]
    rows = {}
    for item in facts.series:
        found = match_series(item.key, calendar)
        if not found.empty:
            rows[item.key] = found
    return BulletinInputs(facts, current, forecasts, rows, few)


def revised_by_series(revised: pd.DataFrame | None) -> dict[tuple, list[Revised]]:
    """``forecast.store.changed_since_bulletin`` rows (in the bulletin's units), by series."""
    if revised is None or revised.empty:
        return {}
    out: dict[tuple, list[Revised]] = {}
    for row in revised.to_dict("records"):
        was = None if pd.isna(row["was"]) else float(row["was"])
        out.setdefault(tuple(row[c] for c in KEY), []).append(
            Revised(pd.Timestamp(row["date"]), float(row["price"]), was, str(row["kind"]))
        )
    return out


def read_forecasts(path) -> pd.DataFrame:
    """Archived forecasts (``cropcast forecast -o FILE``, CSV or Parquet) for the accuracy line.

    Raises
    ------
    InputError
        When the file is missing, a folder, empty or lacks the forecast-output columns.
    """
    from pathlib import Path

    from forecast.errors import InputError

    path = Path(path)
    again = "Use a file written by 'cropcast forecast -o FILE'"
    if path.is_dir():
        raise InputError("is a folder, not a forecast file", str(path), again)
    if not path.is_file():
        raise InputError("forecast file not found", str(path), "Check the path")
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype={c: str for c in KEY}, keep_default_na=False)
    except pd.errors.EmptyDataError:  # 0 bytes or blank lines only: no header to read
        raise InputError("the forecast file is empty", str(path), again) from None
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError, OSError) as exc:
        # A workbook, an image, a UTF-16 save: what 'cropcast forecast -o' writes is UTF-8
        # CSV or Parquet, so any other file is not one of its forecasts.
        what = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else "cannot be read"
        raise InputError(
            f"not a forecast file ({what}: {type(exc).__name__})", str(path), again
        ) from None
    missing = [c for c in (*KEY, "date", "forecast") if c not in frame.columns]
    if missing:
        raise InputError(
            f"not a forecast file: missing {', '.join(missing)}",
            path.name,
            again,
        )
    # An edited file's slip is refused with its row: a date of '2023-13-45' read "unexpected
    # DateParseError", and a range of 99,999-7,300 went into a farmer's bulletin as graded.
    for column in ("date", "cutoff"):
        if column in frame.columns:
            frame[column] = _forecast_column(frame[column], path, column, dates=True)
    bounds = [c for c in frame.columns if c.startswith(("lower_", "upper_"))]
    for column in ("forecast", *bounds):
        frame[column] = _forecast_column(frame[column], path, column, dates=False)
    for lower in (c for c in bounds if c.startswith("lower_")):
        upper = "upper_" + lower.split("_", 1)[1]
        if upper in frame.columns:
            crossed = frame[lower] > frame[upper]
            if crossed.any():
                row = int(crossed.to_numpy().argmax())
                raise InputError(
                    f"row {row + 1}: {lower} {frame[lower].iloc[row]:g} is above {upper} "
                    f"{frame[upper].iloc[row]:g}",
                    path.name,
                    f"{again}, as it wrote it",
                )
    return frame


def _dates_as_cleaning_reads(values: pd.Series, path) -> pd.Series:
    """Dates a spreadsheet rewrote ('7/1/2022' for 2022-07-01), read as price files' are:
    the day and month told apart by a day above 12 or by the 1st on every date; NaT where
    a value is no date. Where that leaves both orders open, forecasts' dates still tell:
    they are periods' starts, every one a month's first day or a Monday. Else refused: a
    guess would grade the wrong month."""
    from datetime import date

    from forecast.clean.dates import DateError, detect_dayfirst, parse_date
    from forecast.errors import InputError

    def read(dayfirst: bool | None) -> pd.Series:
        def one(value) -> pd.Timestamp:
            try:
                return pd.Timestamp(parse_date(value, dayfirst, date.today()).value)
            except DateError:
                return pd.NaT

        return values.map(one)

    try:
        dayfirst, _ = detect_dayfirst(values.astype(str), where=path.name)
    except InputError:
        starts = [
            dates
            for dates in (read(True), read(False))
            if dates.notna().all()
            and ((dates.dt.day == 1).all() or (dates.dt.day_of_week == 0).all())
        ]
        if len(starts) == 1:
            return starts[0]
        raise InputError(
            f"dates like '{values.iloc[0]}' could be dd/mm/yyyy or mm/dd/yyyy",
            path.name,
            "Save the file with dates as YYYY-MM-DD, as 'cropcast forecast -o' writes them",
        ) from None
    return read(dayfirst)


def _forecast_column(values: pd.Series, path, column: str, *, dates: bool) -> pd.Series:
    """A --previous file's column as dates or positive prices; a cell that is neither (but
    empty) is an InputError naming its row, counted from 1 after the header."""
    from forecast.errors import InputError

    if dates:
        read = pd.to_datetime(values, errors="coerce", format="ISO8601")
        written = values.notna() & (values.astype(str).str.strip() != "")
        if (read.isna() & written).any():  # re-saved by a spreadsheet: '7/1/2022'
            read = read.fillna(_dates_as_cleaning_reads(values[read.isna() & written], path))
        bad = read.isna() & written
        why = "is not a date (YYYY-MM-DD)"
    else:
        read = pd.to_numeric(values, errors="coerce")
        text = values.astype(str).str.strip()
        bad = (read.isna() & values.notna() & (text != "") & (text.str.lower() != "nan")) | (
            read <= 0
        )
        why = "is not a price above 0"
    if bad.any():
        row = int(bad.to_numpy().argmax())
        value = values.iloc[row]
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        raise InputError(
            f"row {row + 1}: {column} '{shown}' {why}",
            path.name,
            "Use a file written by 'cropcast forecast -o FILE', as it wrote it",
        )
    return read


def _alerts(prices: pd.DataFrame, as_of) -> pd.DataFrame | None:
    """ALPS bands of the latest prices; ``None`` when there is nothing to score."""
    if prices.empty:
        return None
    from forecast.anomaly import latest_alerts

    return latest_alerts(prices, as_of=as_of)
