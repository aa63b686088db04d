"""Dates: every way a price file writes a date -> a Timestamp and its granularity.

Accepted (see :func:`parse_date`):

* typed values: ``Timestamp``/``datetime``/``date`` (Excel cells read as dates), and Excel
  serial day numbers (``45306`` or ``"45306"``, five digits);
* ISO ``2024-01-15`` (an optional time of day is dropped), ``2024/01/15``, ``20240115``;
* ``m/d/yyyy`` (the WFP mirror) and ``dd/mm/yyyy`` (Vietnamese sheets), with ``/``, ``.`` or
  ``-``; two-digit years pivot on today's year (``08`` -> 2008, ``97`` -> 1997);
* ISO weeks ``2024-W07`` -> the Monday of that ISO week;
* months: ``2024-01``, Pink Sheet ``1960M01``, ``196001``, ``01/2024``, ``Tháng 1/2024``,
  ``T1/2024``, ``Jan 2024``, Excel's ``Jan-24`` (two-digit years pivot as above).

Which of day and month comes first is decided once per column (:func:`detect_dayfirst`).
Dates before 1950-01-01 or after today are refused with a reason: a real WFP file carries a
row dated 1900-08-15.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from forecast.clean.base import Readings, StepOutput, fold, label, map_unique, split_rejected
from forecast.clean.options import CleanOptions
from forecast.errors import InputError, UsageError

EARLIEST = pd.Timestamp("1950-01-01")

_TIME = r"(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]m)?(?:z|[+-]\d{2}:?\d{2})?)?"
_ISO = re.compile(rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
#: A statistics office's month, "202401" (YYYYMM): a year this side of 1950 and a month,
#: which no 6-digit day (150124 has no year 1501) reads as.
_COMPACT_MONTH = re.compile(r"^(19[5-9]\d|20\d\d)(0[1-9]|1[0-2])$")
_DMY = re.compile(rf"^(\d{{1,2}})[-/.](\d{{1,2}})[-/.](\d{{4}}|\d{{2}}){_TIME}$")
_WEEK = re.compile(r"^(\d{4})-?w(\d{1,2})(?:-?([1-7]))?$")
_YEAR_MONTH = re.compile(r"^(\d{4})(?:-|/|m)(\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(?:thang|t)?\s*(\d{1,2})\s*[-/.]\s*(\d{4})$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_NAMED = re.compile(r"^([a-z]{3,9})\.?[\s\-/,]*(\d{4})$|^(\d{4})[\s\-/]+([a-z]{3,9})\.?$")
#: Excel's "mmm-yy" month format ("Jan-15" is January 2015); with a space, "Jan 15" could be
#: a day of January, so only the hyphen or an apostrophe ("Jan'15") reads as a year.
_NAMED_SHORT_YEAR = re.compile(r"^([a-z]{3,9})\.?(?:-|'|\u2019)(\d{2})$")
#: A day, a month name and a year: Excel's "15-Jan-2018" / "15-Jan-18", "15 January 2018",
#: and the American "Jan 15, 2018".
_DAY_NAMED = re.compile(r"^(\d{1,2})[\s\-/.]*([a-z]{3,9})\.?[\s\-/.,]+(\d{4}|\d{2})$")
_NAMED_DAY = re.compile(r"^([a-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})$")
_MONTH_NAMES = {
    name: i
    for i, names in enumerate(
        [
            (),
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for name in names
}
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


class DateError(ValueError):
    """A value that is not a date; the message is the user-facing reason."""


@dataclass(frozen=True)
class ParsedDate:
    value: pd.Timestamp
    granularity: str  # "day", "week" or "month"


class AmbiguousDatesError(InputError):
    """Every date of the file reads both as dd/mm/yyyy and as mm/dd/yyyy, and nothing says
    which: the store may know from the files before (``forecast.store.ingest``)."""


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _year(text: str, today: date) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year <= today.year % 100 else 1900
    return year


def _day(year: int, month: int, day: int, raw: object) -> ParsedDate:
    try:
        return ParsedDate(pd.Timestamp(year=year, month=month, day=day), "day")
    except ValueError:
        raise DateError(f"date '{raw}' is not a valid date") from None


def _month(year: int, month: int, raw: object) -> ParsedDate:
    if not 1 <= month <= 12:
        raise DateError(f"date '{raw}' is not a valid date (month {month})")
    return ParsedDate(pd.Timestamp(year=year, month=month, day=1), "month")


def parse_date(
    value: object, dayfirst: bool | None = None, today: date | None = None
) -> ParsedDate:
    """One raw date value -> :class:`ParsedDate`; raises :class:`DateError` with the reason.

    ``dayfirst=None`` reads ``a/b/yyyy`` only when it is unambiguous (a field above 12, or
    both fields equal); columns decide once with :func:`detect_dayfirst`.
    """
    today = today or date.today()
    if _is_missing(value):
        raise DateError("date is missing")
    if isinstance(value, (pd.Timestamp, datetime, date, np.datetime64)):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_localize(None)
        return ParsedDate(stamp.normalize(), "day")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        number = float(value)
        if 10_000 <= number < 100_000:
            return ParsedDate(_EXCEL_EPOCH + pd.Timedelta(days=int(number)), "day")
        if number.is_integer() and (
            10_000_000 <= number < 100_000_000 or 100_000 <= number < 1_000_000
        ):
            value = str(int(number))
        else:
            raise DateError(f"date '{value}' is not a date")
    raw = value
    text = fold(value)
    if m := _ISO.match(text):
        return _day(int(m[1]), int(m[2]), int(m[3]), raw)
    if m := _DMY.match(text):
        first, second, year = int(m[1]), int(m[2]), _year(m[3], today)
        if dayfirst is None:
            if first > 12 >= second:
                dayfirst = True
            elif second > 12 >= first or first == second:
                dayfirst = False
            else:
                raise DateError(f"date '{raw}' could be dd/mm or mm/dd; set dayfirst")
        day, month = (first, second) if dayfirst else (second, first)
        if month > 12:
            order = "dd/mm/yyyy" if dayfirst else "mm/dd/yyyy"
            raise DateError(f"date '{raw}' is not a valid {order} date")
        return _day(year, month, day, raw)
    if m := _WEEK.match(text):
        try:
            return ParsedDate(pd.Timestamp(date.fromisocalendar(int(m[1]), int(m[2]), 1)), "week")
        except ValueError:
            raise DateError(f"date '{raw}' is not a valid ISO week") from None
    if m := _YEAR_MONTH.match(text):
        return _month(int(m[1]), int(m[2]), raw)
    if m := _MONTH_YEAR.match(text):
        return _month(int(m[2]), int(m[1]), raw)
    if m := _COMPACT.match(text):
        return _day(int(m[1]), int(m[2]), int(m[3]), raw)
    if m := _COMPACT_MONTH.match(text):
        return _month(int(m[1]), int(m[2]), raw)
    if _SERIAL.match(text):
        return ParsedDate(_EXCEL_EPOCH + pd.Timedelta(days=int(float(text))), "day")
    if m := _NAMED.match(text):
        name, year = (m[1], m[2]) if m[1] else (m[4], m[3])
        if name in _MONTH_NAMES:
            return _month(int(year), _MONTH_NAMES[name], raw)
    if (m := _NAMED_SHORT_YEAR.match(text)) and m[1] in _MONTH_NAMES:
        return _month(_year(m[2], today), _MONTH_NAMES[m[1]], raw)
    if (m := _DAY_NAMED.match(text)) and m[2] in _MONTH_NAMES:
        return _day(_year(m[3], today), _MONTH_NAMES[m[2]], int(m[1]), raw)
    if (m := _NAMED_DAY.match(text)) and m[1] in _MONTH_NAMES:
        return _day(int(m[3]), _MONTH_NAMES[m[1]], int(m[2]), raw)
    raise DateError(f"date '{raw}' is not a date")


def detect_dayfirst(
    values: pd.Series, default: bool | None = None, where: str | None = None
) -> tuple[bool | None, str | None]:
    """Decide day/month order for a column's ``a/b/yyyy`` values.

    Returns ``(dayfirst, note)``. ``dayfirst`` is ``None`` when the column has no such value
    or every such value reads the same both ways. A first field above 12 means dayfirst, a
    second above 12 means monthfirst. Evidence both ways, or none while the two readings
    differ, raises :class:`InputError` (a wrong guess would shift every date silently) unless
    ``default`` is given (WFP files are m/d/yyyy).
    """
    pairs = []
    for value in pd.unique(values.astype(object)):
        if isinstance(value, str) and (m := _DMY.match(fold(value))):
            pairs.append((int(m[1]), int(m[2]), value, m[3]))
    if not pairs:
        return None, None
    day_first = [raw for a, b, raw, _ in pairs if a > 12 >= b]
    month_first = [raw for a, b, raw, _ in pairs if b > 12 >= a]
    if day_first and month_first:
        raise InputError(
            f"dates mix dd/mm/yyyy ('{day_first[0]}') and mm/dd/yyyy ('{month_first[0]}')",
            where,
            "Pass --dayfirst or --monthfirst (in Python, dayfirst=True or False); rows that "
            "do not fit are then refused",
        )
    if day_first:
        return True, f"dates read as dd/mm/yyyy (e.g. '{day_first[0]}')"
    if month_first:
        return False, f"dates read as mm/dd/yyyy (e.g. '{month_first[0]}')"
    ambiguous = [raw for a, b, raw, _ in pairs if a != b]
    if not ambiguous:
        return None, None
    if default is not None:
        order = "dd/mm/yyyy" if default else "mm/dd/yyyy"
        return default, f"dates like '{ambiguous[0]}' are ambiguous; read as {order} (file default)"
    # Monthly prices dated on the 1st, over more than a year: one field is 1 on every date
    # while the other runs through the months. That field is the day: read the other way,
    # the dates would be the first days of January, year after year, and nothing else.
    firsts, seconds = {p[0] for p in pairs}, {p[1] for p in pairs}
    if len({p[3] for p in pairs}) >= 2:  # years
        if seconds == {1} and len(firsts) >= 3:
            note = f"dates like '{ambiguous[0]}' read as mm/dd/yyyy: the day is 1 on every date"
            return False, note
        if firsts == {1} and len(seconds) >= 3:
            note = f"dates like '{ambiguous[0]}' read as dd/mm/yyyy: the day is 1 on every date"
            return True, note
    raise AmbiguousDatesError(
        f"dates like '{ambiguous[0]}' could be dd/mm/yyyy or mm/dd/yyyy",
        where,
        "Pass --dayfirst for dd/mm/yyyy (Vietnamese sheets) or --monthfirst for mm/dd/yyyy "
        "(in Python, dayfirst=True or False)",
    )


def _refuse_the_wrong_order(
    raw: pd.Series, good: pd.Series, dayfirst: bool, today: date, where: str | None
) -> None:
    """Raise when the date order given (--dayfirst, --monthfirst) fails dates the other
    order reads, and the other order reads every date: the option is wrong, not the dates.
    A review ingested a dd/mm sheet with --monthfirst: 236 of 380 rows were refused and the
    other 144 went into the store with day and month swapped."""
    # Blank dates are no word on the order (one blank cell let a misread file through).
    present = ~map_unique(raw, _is_missing).astype(bool).to_numpy()
    raw, good = raw[present], good[present]
    failed = raw[~good.to_numpy(bool)]
    # A few odd dates may be typos in a file of the order given (01/13/2024 among dd/mm
    # months on the 1st); a file of one date (a week's sheet) that the order denies is the
    # option's. A misread order fails a third of dates or more (days 13 to 31).
    if failed.empty or (good.any() and (failed.nunique() < 2 or 3 * len(failed) < len(raw))):
        return

    def reads(value: object) -> bool:
        try:
            return EARLIEST <= parse_date(value, not dayfirst, today).value <= pd.Timestamp(today)
        except DateError:
            return False

    if not map_unique(raw, reads).astype(bool).all():
        return
    given, other = ("--dayfirst", "--monthfirst") if dayfirst else ("--monthfirst", "--dayfirst")
    order, other_order = ("dd/mm/yyyy", "mm/dd/yyyy")[:: 1 if dayfirst else -1]
    raise InputError(
        f"{len(failed):,} of {len(raw):,} dates are not valid {order} dates as {given} reads "
        f"them (e.g. '{failed.iloc[0]}'), but every date is a valid {other_order} date",
        where,
        f"Give {other} instead of {given} (or neither: cropcast tells the order from the dates)",
    )


def parse_dates(
    frame: pd.DataFrame,
    options: CleanOptions,
    *,
    default_dayfirst: bool | None = None,
    where: str | None = None,
) -> StepOutput:
    """Step "dates": ``date_raw`` -> ``date`` (Timestamp) and ``granularity``.

    Refuses unreadable dates and dates before 1950 or after ``options.today``. A non-empty
    frame where no date can be read at all raises :class:`InputError`.
    """
    today = options.today or date.today()
    notes: list[str] = []
    dayfirst = options.dayfirst
    if dayfirst is None:
        dayfirst, note = detect_dayfirst(frame["date_raw"], default_dayfirst, where)
        if note:
            notes.append(note)
    latest = pd.Timestamp(today)

    def read(value: object) -> ParsedDate | str:
        try:
            result = parse_date(value, dayfirst, today)
        except DateError as err:
            return str(err)
        shown = result.value.date().isoformat()
        if isinstance(value, str) and fold(value) != shown:
            shown = f"{shown} ('{value}')"
        if result.value < EARLIEST:
            return f"date {shown} is before 1950"
        if result.value > latest:
            return f"date {shown} is in the future (after {today.isoformat()})"
        return result

    found = map_unique(frame["date_raw"], read)
    readings = Readings(found)
    good = readings.field(lambda r: isinstance(r, ParsedDate), bool)
    if options.dayfirst is not None:
        _refuse_the_wrong_order(frame["date_raw"], good, options.dayfirst, today, where)
    if len(frame) and not good.any():
        future = all("is in the future" in str(r) for r in readings.distinct)
        raise InputError(
            f"no usable date in {len(frame)} rows (e.g. {found.iloc[0]})",
            where,
            # Every date after today: a year typed wrong (2027 for 2025), not the format.
            "Every date is after today: check the year typed in the dates, or this computer's clock"
            if future
            else "Check the date column mapping and format (ISO 2024-01-15, m/d/yyyy, "
            "dd/mm/yyyy, 2024-W07, 1960M01, 196001)",
        )
    reasons = found.where(~good, None)
    # Each distinct date converted once, then spread to its rows.
    dates = pd.to_datetime(
        pd.Series(
            [r.value if isinstance(r, ParsedDate) else pd.NaT for r in readings.distinct],
            dtype=object,
        )
    )
    out = frame.assign(
        date=pd.Series(dates.to_numpy()[readings.codes], index=frame.index),
        granularity=readings.field(lambda r: r.granularity if isinstance(r, ParsedDate) else ""),
    )
    kept, rejected = split_rejected(out, reasons)
    return StepOutput(kept, rejected, notes, {"dayfirst": dayfirst})


_KEYS = ("commodity", "market", "price_type", "unit", "currency")
#: Prices closer than this many days apart (median) are weekly data; further, monthly.
#: (Prices on fixed days of the month, twice a month or each dekad, are monthly whatever
#: their spacing: see ``_month_anchored``.)
WEEKLY_BELOW_DAYS = 20
#: A schedule fixed to days of the month takes this many of them at most (the 1st and 15th,
#: or 1st, 11th and 21st, month ends counting as one day) ...
ANCHOR_DAYS = 3
#: ... each seen in this many different months at least (a few weeks' catch-up file can
#: fall on three days of the month once each) ...
ANCHOR_MONTHS = 3
#: Series spaced closer than this in a file on fixed days of the month are weekly ones.
ANCHORED_FROM_DAYS = 9
#: How ``infer_frequency`` says a file keeps to fixed days of the month.
ANCHORED = "dates on the same days of every month"
#: Series this many days apart or more are monthly whatever is asked: weeks cannot be made
#: from them (a monthly price on the 15th is 28 to 31 days from the next).
MONTHLY_FROM_DAYS = 27


def _date_gaps(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Series code (``groupby(...).ngroup()``, first-seen order) and days since that series'
    previous distinct date, for every consecutive pair of dates within a series."""
    keys = [k for k in _KEYS if k in frame.columns]
    codes = frame.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    stamps = frame["date"].to_numpy(dtype="datetime64[ns]")
    order = np.lexsort((stamps, codes))
    codes, stamps = codes[order], stamps[order]
    days = np.diff(stamps) / np.timedelta64(1, "D")
    keep = (codes[1:] == codes[:-1]) & (days > 0)
    return codes[1:][keep], days[keep]


def series_spacing(frame: pd.DataFrame, gaps: tuple | None = None) -> pd.Series:
    """Median days between consecutive distinct dates of each series, indexed by its key
    (series with one date are left out). ``gaps``: ``_date_gaps(frame)`` if already known."""
    keys = [k for k in _KEYS if k in frame.columns]
    codes, days = gaps if gaps is not None else _date_gaps(frame)
    medians = pd.Series(days).groupby(codes).median()
    firsts = frame[keys].drop_duplicates()  # first-seen order, as ngroup(sort=False) numbers
    index = pd.MultiIndex.from_frame(firsts.iloc[medians.index.to_numpy()])
    return pd.Series(medians.to_numpy(), index=index)


def infer_frequency(frame: pd.DataFrame, gaps: tuple | None = None) -> tuple[str, str]:
    """The file's frequency when none is given: ``(freq, why)``.

    Week-coded dates -> weekly; month-coded dates -> monthly. Otherwise: all month starts ->
    monthly; else the median over series of each one's median spacing of consecutive dates:
    under 20 days -> weekly, else monthly (WFP's 15ths). Dates that are all Mondays are
    weekly under 28 days (a weekly series with gaps), monthly from 28 (prices on the first
    Monday of each month), and weekly when there is no spacing to measure. Dates on a few
    fixed days of the month, seen month after month (the 1st and 15th, each dekad), are
    monthly: weeks would make up one price in two or three.
    """
    granularity = set(frame["granularity"])
    if "week" in granularity and "month" not in granularity:
        return "weekly", "dates are ISO weeks"
    if "month" in granularity:
        return "monthly", "dates name months"
    dates = frame["date"]
    if len(dates) == 0 or dates.dt.is_month_start.all():
        return "monthly", "dates are month starts"
    mondays = bool((dates.dt.day_of_week == 0).all())
    codes, spacing = gaps if gaps is not None else _date_gaps(frame)
    if not len(spacing):
        if mondays:
            return "weekly", "dates are Mondays"
        return "monthly", "too few dates to tell; monthly by default"
    # Each series' median spacing, then the median over series: what most series say, not
    # most rows (7 of 62 series priced twice a month, half the rows, made a monthly file
    # weekly, and its 55 monthly series were spread onto weeks).
    median = float(pd.Series(spacing).groupby(codes).median().median())
    if median < WEEKLY_BELOW_DAYS and not mondays and (days := _month_anchored(frame)):
        return "monthly", f"{ANCHORED} ({days}), {median:g} days apart"
    freq = "weekly" if median < (28 if mondays else WEEKLY_BELOW_DAYS) else "monthly"
    on = "Mondays " if mondays else "observations are "
    return freq, f"{on}{median:g} days apart (median)"


#: What ``infer_frequency`` says when the dates themselves name their period: the
#: frequency is told, however few dates there are.
PERIOD_DATES = ("dates are ISO weeks", "dates name months")


def _month_anchored(frame: pd.DataFrame) -> str:
    """The days of the month most series keep to ("1 and 15", "10, 20 and month end"), or
    "" when most do not.

    A series keeps to them when two or three days of the month (the 28th and later count
    as one, "month end": February's 28th stands for the 30th), each seen in
    ``ANCHOR_MONTHS`` different months and holding a fifth of its dates, hold three in five
    of them (prices moved off a weekend to the Monday change nothing: a third moves).
    Weekly and fortnightly dates wander over every day of the month, and a few weeks'
    catch-up file falls on each of its days once. Judged per series (of two dates or
    more), so a weekly series in a file of twice-monthly ones is told apart.
    """
    keys = [k for k in _KEYS if k in frame.columns]
    dates = frame["date"]
    day = dates.dt.day.to_numpy()
    table = pd.DataFrame(
        {
            "series": frame.groupby(keys, sort=False, dropna=False).ngroup().to_numpy(),
            "day": np.where(day >= 28, 99, day),
            "month": dates.dt.to_period("M").to_numpy(),
            "date": dates.to_numpy(),
        }
    ).drop_duplicates(["series", "date"])
    totals = table.groupby("series").size()
    totals = totals[totals >= 2]  # a series of one date says nothing of a schedule
    table = table[table["series"].isin(totals.index)]
    per_day = table.groupby(["series", "day"]).agg(months=("month", "nunique"), n=("date", "size"))
    per_day = per_day.join(totals.rename("total"), on="series")
    # A schedule's day holds a fifth of the series' dates at least (a price moved off a
    # Sunday to the 2nd or 16th does not), month after month.
    strong = per_day[
        (per_day["months"] >= ANCHOR_MONTHS) & (per_day["n"] >= 0.2 * per_day["total"])
    ].reset_index()
    summary = strong.groupby("series").agg(
        days=("day", "size"), held=("n", "sum"), pattern=("day", lambda d: tuple(sorted(d)))
    )
    summary = summary.join(totals.rename("total"))
    anchored = summary[
        summary["days"].between(2, ANCHOR_DAYS) & (summary["held"] >= 0.6 * summary["total"])
    ]
    if 2 * len(anchored) <= len(totals):
        return ""
    pattern = anchored["pattern"].value_counts().index[0]
    names = ["month end" if d == 99 else str(d) for d in pattern]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _cleaned_weeks(dates: pd.Series, gaps: tuple[np.ndarray, np.ndarray]) -> bool:
    """A cleaned weekly table's dates: Mondays, not all of them the first of a month (a
    cleaned monthly table's are), so weeks however far apart a sparse series' prices are;
    but not a month's first Monday in every row with no two a week apart: prices read once
    a month on its first Monday, in a file laid out as a cleaned table. ``gaps`` is
    :func:`_date_gaps` of the table."""
    if not len(dates) or not (dates.dt.day_of_week == 0).all() or dates.dt.is_month_start.all():
        return False
    return not (dates.dt.day <= 7).all() or bool((gaps[1] == 7).any())


def _check_weeks_can_be_had(frame: pd.DataFrame) -> None:
    """Refuse weekly steps for a file of monthly prices: every series with three dates or
    more a month or more apart (median), each date one a month sets: the same day of every
    month (WFP's 15th, a month's 1st), a month's last day, or its first Monday.

    Folding weekly prices into months is a summary; spreading monthly ones onto weeks
    would make up three prices in four, and forecast in steps the data never showed. A
    weekly file with a monthly series in it is still spread (and noted), and so are
    weekly prices with long gaps, whose days of the month differ, and a series of two
    dates, too few to tell (two Mondays four weeks apart may be weekly prices).
    """
    keys = [k for k in _KEYS if k in frame.columns]
    counts = frame.groupby(keys, sort=False, dropna=False)["date"].transform("nunique")
    told = frame[counts >= 3]
    if told.empty:
        return
    spacing = series_spacing(told)
    if (spacing < MONTHLY_FROM_DAYS).any():
        return
    # Per series: the Pink Sheet's 1st beside WFP's 15th is two monthly schedules, and one
    # day for the whole file let --freq weekly spread them onto weeks (a test found it).
    dates = told["date"]
    days = pd.DataFrame(
        {
            "day": dates.dt.day.to_numpy(),
            "end": dates.dt.is_month_end.to_numpy(),
            "monday": ((dates.dt.day_of_week == 0) & (dates.dt.day <= 7)).to_numpy(),
        }
    )
    series = told.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    each = days.groupby(series).agg(
        days=("day", "nunique"), end=("end", "all"), monday=("monday", "all")
    )
    if not ((each["days"] == 1) | each["end"] | each["monday"]).all():
        return
    raise UsageError(
        f"weekly does not fit the data: every series' prices are about "
        f"{float(spacing.median()):.0f} days apart (monthly), so weeks would be made up",
        "--freq weekly",
        "Leave --freq out (or give --freq monthly) to keep the prices in months",
    )


def period_start(dates: pd.Series, freq: str) -> pd.Series:
    """Start of each date's period: month start (monthly) or the Monday (weekly)."""
    days = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    if freq == "monthly":
        starts = days.astype("datetime64[M]").astype("datetime64[D]")
    else:
        # numpy day 0 (1970-01-01) was a Thursday: Monday-based weekday = (days + 3) % 7.
        starts = days - ((days.astype("int64") + 3) % 7).astype("timedelta64[D]")
    return pd.Series(starts.astype("datetime64[ns]"), index=dates.index)


def assign_periods(
    frame: pd.DataFrame, options: CleanOptions, *, period_starts: bool = False
) -> StepOutput:
    """Step "frequency": choose the file's frequency and key every row by its period start.

    WFP dates are the 15th of the month: a monthly series is keyed by its month.
    ``period_starts``: the dates are a cleaned table's (it carries cropcast's ``flags``),
    so Mondays there are weeks, however far apart: a sparse weekly series cleaned again
    stays weekly, though its gaps may make its Mondays a month apart (median).
    """
    if options.freq:
        # Given (by --freq, or by the store for a file that cannot tell): folding or
        # spreading a series is then what was meant, nothing to report.
        freq, why, off = options.freq, "as given", []
        if freq == "weekly":
            _check_weeks_can_be_had(frame)
    else:
        gaps = _date_gaps(frame)  # one pass serves the inference and the per-series spacing
        freq, why = infer_frequency(frame, gaps)
        if period_starts and freq == "monthly" and _cleaned_weeks(frame["date"], gaps):
            freq, why = "weekly", "a cleaned table's dates, all Mondays"
        # Series whose own dates say otherwise: a monthly series in a weekly file is spread
        # onto weeks, a weekly one in a monthly file folded into medians. (Sparse series, a
        # price every two or three months, are not: months are their grid too, with gaps,
        # as in many WFP series.)
        spacing = series_spacing(frame, gaps)
        weekly = spacing < WEEKLY_BELOW_DAYS
        unlike = ~weekly if freq == "weekly" else weekly
        if why.startswith(ANCHORED):
            # Twice a month or each dekad (10 to 19 days apart): months are their grid. A
            # weekly series among them is still named.
            unlike = spacing < ANCHORED_FROM_DAYS
        off = [{"series": label(k), "days": float(d)} for k, d in spacing[unlike].items()]
    if freq == "weekly" and (frame["granularity"] == "month").any():
        example = frame.loc[frame["granularity"] == "month", "date_raw"].iloc[0]
        raise InputError(
            f"dates like '{example}' name a month; they cannot be put on weeks",
            None,
            "Clean this file as monthly (freq='monthly')",
        )
    out = frame.assign(date=period_start(frame["date"], freq))
    notes = [f"frequency {freq} ({why})"]
    if off:
        notes.append(
            f"{len(off):,} series {'has its' if len(off) == 1 else 'have their'} own spacing "
            f"(e.g. {off[0]['series']}: {off[0]['days']:g} days)"
        )
    return StepOutput(
        out, notes=notes, details={"freq": freq, "freq_why": why, "off_frequency": off}
    )


__all__ = [
    "DateError",
    "ParsedDate",
    "assign_periods",
    "detect_dayfirst",
    "infer_frequency",
    "parse_date",
    "parse_dates",
    "period_start",
]
