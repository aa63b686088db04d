"""Harvest calendars: when each crop is planted and picked, as features for the models.

A calendar is a CSV file (UTF-8) with one row per commodity and season::

    commodity,region,season,plant_start,plant_end,harvest_start,harvest_end,peak_start,peak_end,source
    Rice,Mekong Delta,Đông Xuân,11,12,2,4,3,3,"FAO GIEWS country brief Viet Nam; ..."

Guarantees of a frame returned by :func:`load_calendar` (checked by :func:`validate_calendar`,
which raises :class:`~forecast.errors.InputError` naming the file, the row and the fix):

* It has at least one row and all the columns above (extra columns are kept, after them).
  An optional ``country`` column says whose seasons a row describes: a row of a country
  in :data:`COUNTRIES` ("Viet Nam", as every row of the shipped calendar) is used only
  for that country's price series (:func:`match_series`). An optional ``picked`` column
  says ``all year`` for a crop picked every month, whose row marks a season of more output
  (coconut in the rainy season) or of demand, not the only months it is picked
  (:func:`picked_all_year`).
* ``commodity``, ``region``, ``season`` and ``source`` are non-empty strings: every timing
  says where it comes from.
* Months are whole numbers 1–12 (dtype ``Int64``). A window runs from its start month to its
  end month *inclusive* and may wrap past December (harvest 11–1 is Nov, Dec, Jan).
* ``harvest_start``/``harvest_end`` are always set. The plant and peak pairs are both set or
  both empty (perennial crops have no planting months; many sources name no peak).
* The peak lies inside the harvest window.
* ``(commodity, region, season)`` is unique.

Dates are read by period: a month start is its month; a Monday starts a week and takes the
month holding most of that week (its Thursday, as ISO weeks do).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.errors import InputError

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+; only the annotations need it
    from importlib.resources.abc import Traversable

MONTH_COLUMNS: tuple[str, ...] = (
    "plant_start",
    "plant_end",
    "harvest_start",
    "harvest_end",
    "peak_start",
    "peak_end",
)
TEXT_COLUMNS: tuple[str, ...] = ("commodity", "region", "season", "source")
COLUMNS: tuple[str, ...] = ("commodity", "region", "season", *MONTH_COLUMNS, "source")

#: Intensity of a harvest month and of a peak month (0 outside the harvest).
HARVEST = 0.5
PEAK = 1.0

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Names a price series may carry for each calendar commodity, written with their diacritics.
# A plain-ASCII word in a series name matches an alias word with its marks stripped ("Lua" is
# "Lúa"), but a word that carries marks must carry the same ones: "Dưa hấu" (watermelon) and
# "Dứa" (pineapple) are not "Dừa" (coconut).
_ALIASES: dict[str, list[str]] = {
    "rice": ["rice", "paddy", "lúa", "gạo"],
    "coconut": ["coconut", "coconuts", "dừa"],
    "durian": ["durian", "durians", "sầu riêng"],
    "pomelo": ["pomelo", "pomelos", "bưởi"],
    "dragon fruit": ["dragon fruit", "pitaya", "pitahaya", "thanh long"],
    "mango": ["mango", "mangos", "mangoes", "xoài"],
    "coffee robusta": ["coffee", "robusta", "cà phê"],
    "pepper": ["pepper", "peppercorn", "peppercorns", "tiêu"],
    "cashew": ["cashew", "cashews", "điều"],
}
# Names that contain an alias but are another product or another country's crop: their
# prices follow world markets or other calendars, so a Mekong calendar would mislead.
_EXCLUDE_ALL = [
    "oil",  # coconut oil, palm oil, dầu dừa: world vegetable-oil prices
    "dầu",
    # Seedlings and seed ("Cây giống bưởi", "Lúa giống"): a nursery's price, no harvest's.
    # One of Mỏ Cày Bắc's own products, and a pomelo seedling was told of Tết's demand.
    "giống",
    "seed",
    "seeds",
    "seedling",
    "seedlings",
    "sapling",
    "saplings",
    # Goods made from a crop (coconut candy, jelly, flour, milk, coir): a factory's price.
    *["kẹo", "thạch", "mứt", "bánh", "bột", "sữa", "xơ"],
    *["candy", "jelly", "flour", "milk", "coir", "fibre", "fiber", "desiccated"],
]
_EXCLUDE: dict[str, list[str]] = {
    "rice": ["thai", "lúa mì", "lúa mạch"],  # Thai export grades; wheat; barley
    "coconut": ["dưa hấu", "dưa leo", "dưa lưới", "dưa gang", "dưa chuột"],  # melons in ASCII
    "coffee robusta": ["arabica", "chè"],  # cà phê chè is arabica: other regions and calendar
    "pepper": ["bell", "sweet", "chili", "chilli", "capsicum", "ớt", "tiểu mạch"],
}


def months_between(start: int, end: int) -> list[int]:
    """Months from ``start`` to ``end`` inclusive, wrapping past December.

    ``months_between(11, 1)`` is ``[11, 12, 1]``; ``months_between(3, 3)`` is ``[3]``.
    """
    return [(start - 1 + k) % 12 + 1 for k in range((end - start) % 12 + 1)]


def _span(start: int, end: int) -> str:
    """'Mar' or 'Nov–Jan', for messages."""
    if start == end:
        return MONTH_NAMES[start - 1]
    return f"{MONTH_NAMES[start - 1]}–{MONTH_NAMES[end - 1]}"


# --------------------------------------------------------------------------- loading


def default_calendar_path() -> Path | Traversable:
    """The shipped Mekong Delta calendar.

    Looks first in ``data/calendars/`` of the checkout this package sits in, then in the
    installed package ``cropcast_data`` (pyproject maps ``data/`` to it).

    Raises
    ------
    InputError
        When neither copy exists (a broken install).
    """
    checkout = Path(__file__).resolve().parents[1] / "data" / "calendars" / "mekong_delta.csv"
    if checkout.is_file():
        return checkout
    try:
        # One name per step: data/ has no __init__.py, and a namespace package's
        # MultiplexedPath.joinpath takes a single name before Python 3.12.
        packaged = resources.files("cropcast_data") / "calendars" / "mekong_delta.csv"
    except ModuleNotFoundError:
        packaged = None
    if packaged is not None and packaged.is_file():
        return packaged
    raise InputError(
        "the shipped harvest calendar is missing",
        str(checkout),
        "Reinstall cropcast, or pass a calendar file",
    )


def load_calendar(path: str | Path | Traversable | None = None) -> pd.DataFrame:
    """Read and validate a harvest calendar CSV.

    Parameters
    ----------
    path
        The calendar file; ``None`` reads the shipped Mekong Delta calendar.

    Returns
    -------
    pd.DataFrame
        Columns ``COLUMNS`` (then any extra ones), months as ``Int64``; see the module notes.

    Raises
    ------
    InputError
        One line naming the file, the row and how to fix it.
    """
    if path is None:
        path = default_calendar_path()
    elif isinstance(path, (str, os.PathLike)):
        path = Path(path)
    name = path.name
    if isinstance(path, Path) and path.is_dir():
        raise InputError("is a folder", str(path), "Give the calendar CSV file in it")
    if not path.is_file():
        raise InputError(
            "calendar file not found",
            str(path),
            "Check the path, or leave it out to use the shipped Mekong Delta calendar",
        )
    try:
        # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the file is not UTF-8 text", name, "Save it as 'CSV UTF-8'") from None
    if not text.strip():
        raise InputError(
            "the calendar file is empty", name, f"Start with the header: {','.join(COLUMNS)}"
        )
    from forecast.io.files import sniff_delimiter

    # Excel saves "CSV" with ';' where ',' is the decimal mark (Vietnamese, European).
    sep = sniff_delimiter(text)
    try:
        # Read everything as text so validation can say which cell is wrong and why.
        frame = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False, sep=sep)
    except pd.errors.ParserError as exc:
        raise InputError(f"not a readable CSV ({exc})", name, "Check quotes and commas") from None
    return validate_calendar(frame, name)


def _parse_month(value: object) -> int | None:
    """A month cell as an int, ``None`` when empty; ``ValueError`` when not a whole number."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    if text == "":
        return None
    number = float(text)  # ValueError for "Mar"; "3.0" (a re-saved float column) is fine
    if not number.is_integer():
        raise ValueError(text)
    return int(number)


def _check_row(row: pd.Series, where: str) -> dict[str, object]:
    """One calendar row, stripped and typed; ``InputError`` at the first problem."""
    record: dict[str, object] = {}
    for column in TEXT_COLUMNS:
        value = "" if pd.isna(row[column]) else str(row[column]).strip()
        if not value:
            fix = (
                "Say where the timing comes from, e.g. 'FAO GIEWS country brief Viet Nam'"
                if column == "source"
                else f"Fill in the {column}"
            )
            raise InputError(f"{column} is empty", where, fix)
        record[column] = value
    for column in MONTH_COLUMNS:
        try:
            month = _parse_month(row[column])
        except ValueError:
            raise InputError(
                f"{column}={str(row[column]).strip()!r} is not a whole month number",
                where,
                "Write months as numbers 1–12 (e.g. 3 for March)",
            ) from None
        if month is not None and not 1 <= month <= 12:
            raise InputError(
                f"{column}={month} is outside 1–12", where, "Months are 1–12 (1 = January)"
            )
        record[column] = month
    for kind in ("plant", "harvest", "peak"):
        start, end = record[f"{kind}_start"], record[f"{kind}_end"]
        if kind == "harvest" and (start is None or end is None):
            empty = "harvest_start" if start is None else "harvest_end"
            raise InputError(f"{empty} is empty", where, "Every row needs its harvest months")
        if (start is None) != (end is None):
            empty, filled = (
                (f"{kind}_end", f"{kind}_start")
                if end is None
                else (f"{kind}_start", f"{kind}_end")
            )
            raise InputError(
                f"{empty} is empty but {filled} is set",
                where,
                f"Fill both {kind} months (the same month twice for one month) or neither",
            )
    hs, he, ps, pe = (record[c] for c in ("harvest_start", "harvest_end", "peak_start", "peak_end"))
    if ps is not None and not set(months_between(ps, pe)) <= set(months_between(hs, he)):
        raise InputError(
            f"peak {_span(ps, pe)} (peak_start={ps}, peak_end={pe}) lies outside the "
            f"harvest {_span(hs, he)}",
            where,
            "The peak must fall inside the harvest (a season may wrap: harvest 11–1 "
            "holds Nov, Dec, Jan)",
        )
    return record


def validate_calendar(frame: pd.DataFrame, name: str = "calendar") -> pd.DataFrame:
    """Check a calendar table (as read, cells may be text) and return it typed.

    Parameters
    ----------
    frame
        One row per commodity and season with ``COLUMNS``.
    name
        How to name the table in errors (the file name).

    Raises
    ------
    InputError
        The first problem found, with the row number (1 = first data row; the file line is
        one more, after the header).
    """
    frame = frame.rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            name,
            f"The header must be: {','.join(COLUMNS)}",
        )
    if frame.empty:
        raise InputError("the calendar has no rows", name, "Add one row per commodity and season")

    records = []
    seen: dict[tuple, int] = {}
    for number, (_, row) in enumerate(frame.iterrows(), start=1):
        where = f"{name}, row {number} (line {number + 1})"
        record = _check_row(row, where)
        key = (record["commodity"], record["region"], record["season"])
        if key in seen:
            raise InputError(
                f"duplicate of row {seen[key]} ({' / '.join(key)})",
                where,
                "Give each season of a commodity and region one row",
            )
        seen[key] = number
        records.append(record)

    out = pd.DataFrame(records, columns=list(COLUMNS))
    out = out.astype({c: "Int64" for c in MONTH_COLUMNS})
    extra = frame[[c for c in frame.columns if c not in COLUMNS]].reset_index(drop=True)
    return pd.concat([out, extra], axis=1)


# --------------------------------------------------------------------------- matching


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", _fold(text)).replace("đ", "d")
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", _fold(text))


def _contains(words: list[str], phrase: str) -> bool:
    """Whether ``phrase`` occurs as consecutive words of ``words`` (see ``_ALIASES``)."""
    wanted = _words(phrase)
    plain = [_strip_marks(w) for w in wanted]
    n = len(wanted)
    for i in range(len(words) - n + 1):
        if all(
            word == w or (word.isascii() and word == p)
            for word, w, p in zip(words[i : i + n], wanted, plain, strict=True)
        ):
            return True
    return False


def _commodity_key(name: str) -> str:
    return " ".join(_strip_marks(w) for w in _words(name))


def _matches(series_name: str, calendar_commodity: str) -> bool:
    words = _words(series_name)
    key = _commodity_key(calendar_commodity)
    # A commodity with no alias list (a user's own calendar) matches its own full name.
    aliases = _ALIASES.get(key, [calendar_commodity])
    excluded = _EXCLUDE_ALL + _EXCLUDE.get(key, [])
    return any(_contains(words, a) for a in aliases) and not any(
        _contains(words, x) for x in excluded
    )


def match_commodity(commodity: str, calendar: pd.DataFrame) -> pd.DataFrame:
    """The calendar rows for a price series' commodity name.

    Matching ignores case and punctuation and accepts English or Vietnamese names:
    "Rice (paddy)", "Rice, Viet Namese 5%", "Lúa", "Gạo", "Coconut (dried)", "Dừa", "Bưởi",
    "Sầu riêng", "Thanh long", "Xoài", "Tiêu", "Điều", "Cà phê". Names written without
    diacritics match too ("Dua kho" is dried coconut, as Bến Tre SMS bulletins write it).
    Processed goods and other origins do not match: "Coconut oil" and "Palm oil" are world
    vegetable-oil prices, "Rice, Thai 5%" follows Thailand's crop, "Coffee, Arabica" (cà phê
    chè) is not robusta. Nor do seedlings ("Cây giống bưởi") or goods made from a crop ("Kẹo
    dừa", "Coconut milk"): a nursery or a factory sets their prices, not the harvest.

    The calendar is regional: :func:`match_series` also checks a row's country against the
    series' market.

    Parameters
    ----------
    commodity
        The series' ``commodity`` value.
    calendar
        A validated calendar (:func:`load_calendar`).

    Returns
    -------
    pd.DataFrame
        The matching rows in calendar order (index reset); empty when none match.
    """
    mask = calendar["commodity"].map(lambda c: _matches(commodity, c)).astype(bool)
    return calendar[mask].reset_index(drop=True)


#: How to tell a price series from a country that calendars are written for: the currency
#: its markets price in, and the country's name as commodities and markets spell it
#: (compared without case, spaces or diacritics: "Việt Nam", "Viet Namese 5%").
COUNTRIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Viet Nam": ("VND", ("vietnam",)),
}


def calendar_applies(key: tuple, country: str | None = "Viet Nam") -> bool:
    """Whether a calendar row of ``country`` speaks for a price series.

    A series is the country's when it is priced in its currency or names the country in
    its commodity or market. Viet Nam's seasons (the shipped calendar) are not Thailand's or
    Sri Lanka's, and world robusta prices follow Brazil's crop as much as Viet Nam's, so
    such series get no harvest features, notes or chart bands from Viet Nam's rows. A row
    with no country, or a country not in :data:`COUNTRIES`, speaks for every series: the
    caller chose the calendar.
    """
    if not isinstance(country, str) or country.strip() not in COUNTRIES:
        return True
    currency, names = COUNTRIES[country.strip()]
    commodity, market, _, _, series_currency = key
    text = _strip_marks(f"{commodity} {market}").replace(" ", "")
    return str(series_currency).strip().upper() == currency or any(n in text for n in names)


def match_series(key: tuple, calendar: pd.DataFrame) -> pd.DataFrame:
    """The calendar rows for a price series: its commodity's, from its country.

    ``key`` is the series key in ``KEY`` order (commodity, market, price_type, unit,
    currency). The rows are :func:`match_commodity`'s, less those whose ``country`` column
    (optional; the shipped calendar's rows say "Viet Nam") is not the series' own
    (:func:`calendar_applies`).
    """
    rows = match_commodity(key[0], calendar)
    if rows.empty or "country" not in rows.columns:
        return rows
    keep = [calendar_applies(tuple(key), country) for country in rows["country"]]
    return rows[keep].reset_index(drop=True)


# --------------------------------------------------------------------------- features


def _as_index(dates: Iterable) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(dates)
    index.name = "date"
    return index


def _period_months(index: pd.DatetimeIndex) -> np.ndarray:
    """The month each period mostly lies in (see the module notes on Mondays)."""
    # A week starting Mon 29 Jan has four of its days in February: count it there.
    shift = np.where(index.day_of_week == 0, 3, 0)
    return (index + pd.to_timedelta(shift, unit="D")).month.to_numpy()


def _windows(row: pd.Series) -> tuple[list[int], list[int]]:
    """(harvest months, peak months) of one calendar row."""
    harvest = months_between(int(row["harvest_start"]), int(row["harvest_end"]))
    peak = (
        []
        if pd.isna(row["peak_start"])
        else months_between(int(row["peak_start"]), int(row["peak_end"]))
    )
    return harvest, peak


def harvest_intensity(dates: Iterable, rows: pd.DataFrame) -> pd.Series:
    """How much of the crop is being picked in each period, in [0, 1].

    0 outside every harvest, ``HARVEST`` (0.5) in a harvest month, ``PEAK`` (1.0) in a peak
    month; where seasons overlap (rice Hè Thu and Thu Đông in October) the larger value.

    Parameters
    ----------
    dates
        Period starts: month starts or Mondays.
    rows
        Calendar rows of one commodity (:func:`match_commodity`); empty gives all zeros.

    Returns
    -------
    pd.Series
        Float, indexed by ``dates``.
    """
    index = _as_index(dates)
    profile = np.zeros(13)  # by month number; slot 0 unused
    for _, row in rows.iterrows():
        harvest, peak = _windows(row)
        profile[harvest] = np.maximum(profile[harvest], HARVEST)
        profile[peak] = PEAK
    return pd.Series(profile[_period_months(index)], index=index, name="harvest_intensity")


def season_label(dates: Iterable, rows: pd.DataFrame) -> pd.Series:
    """The season being harvested in each period, ``""`` when none.

    Overlapping seasons are joined in calendar order: ``"Hè Thu / Thu Đông"``.
    """
    index = _as_index(dates)
    labels: dict[int, list[str]] = {m: [] for m in range(1, 13)}
    for _, row in rows.iterrows():
        for month in _windows(row)[0]:
            labels[month].append(row["season"])
    by_month = {m: " / ".join(names) for m, names in labels.items()}
    return pd.Series(
        [by_month[m] for m in _period_months(index)], index=index, name="season", dtype=object
    )


def months_to_next_harvest(dates: Iterable, rows: pd.DataFrame) -> pd.Series:
    """Whole months from each period to the next harvest start; 0 during a harvest.

    Counts across the year end: in November with a harvest starting in February, 3.

    Raises
    ------
    ValueError
        When ``rows`` is empty: there is no harvest to count to.
    """
    if rows.empty:
        raise ValueError("no calendar rows: there is no harvest to count to")
    index = _as_index(dates)
    profile = np.full(13, 12)
    for _, row in rows.iterrows():
        harvest, _ = _windows(row)
        start = int(row["harvest_start"])
        for month in range(1, 13):
            wait = 0 if month in harvest else (start - month) % 12
            profile[month] = min(profile[month], wait)
    return pd.Series(
        profile[_period_months(index)], index=index, name="months_to_harvest", dtype="int64"
    )


def harvest_features(
    commodity: str | tuple, dates: Iterable, calendar: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Exogenous harvest features for one price series, past or future dates alike.

    Parameters
    ----------
    commodity
        The series' key (matched by :func:`match_series`: a series from another country
        than a row's gets none of it), or a bare commodity name (:func:`match_commodity`).
    dates
        The periods to describe: the history's index, or the forecast periods.
    calendar
        A validated calendar; ``None`` uses the shipped Mekong Delta calendar.

    Returns
    -------
    pd.DataFrame
        Indexed by ``dates`` with float columns ``harvest_intensity`` and
        ``months_to_harvest``; with no columns at all when no calendar row matches, so
        models fit without exogenous features.
    """
    index = _as_index(dates)
    calendar = load_calendar() if calendar is None else calendar
    rows = (
        match_commodity(commodity, calendar)
        if isinstance(commodity, str)
        else match_series(tuple(commodity), calendar)
    )
    if rows.empty:
        return pd.DataFrame(index=index)
    return pd.DataFrame(
        {
            "harvest_intensity": harvest_intensity(index, rows).to_numpy(),
            "months_to_harvest": months_to_next_harvest(index, rows).to_numpy(dtype=float),
        },
        index=index,
    )


# --------------------------------------------------------------------------- reporting


#: Calendar seasons that are demand peaks (prices usually rise) rather than harvest gluts,
#: when the calendar has no ``price_effect`` column: the pre-Tết season.
DEMAND_SEASON_WORDS = ("tết",)

#: Lunar New Year (Tết) day in Việt Nam, 2000-2040, as the ``holidays`` package gives it
#: (a test compares them). Prophet's models take the package's, with this table as a safety
#: net; a bulletin dates the pre-Tết season from it (see :func:`next_tet`).
# fmt: off
TET_DATES = (
    "2000-02-05", "2001-01-24", "2002-02-12", "2003-02-01", "2004-01-22", "2005-02-09",
    "2006-01-29", "2007-02-17", "2008-02-07", "2009-01-26", "2010-02-14", "2011-02-03",
    "2012-01-23", "2013-02-10", "2014-01-31", "2015-02-19", "2016-02-08", "2017-01-28",
    "2018-02-16", "2019-02-05", "2020-01-25", "2021-02-12", "2022-02-01", "2023-01-22",
    "2024-02-10", "2025-01-29", "2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13",
    "2030-02-02", "2031-01-23", "2032-02-11", "2033-01-31", "2034-02-19", "2035-02-08",
    "2036-01-28", "2037-02-15", "2038-02-04", "2039-01-24", "2040-02-12",
)
# fmt: on

#: The pre-Tết demand season, in weeks before Tết day. Tết moves between 21 January and 20
#: February, so a season pinned to months (the calendar's "December to January", from a
#: late-January Tết) told farmers of it six weeks early in a year of a mid-February Tết and
#: said nothing in the two weeks before it, when pomelo prices peak. Six weeks is that
#: source's span ahead of a late-January Tết.
TET_LEAD_WEEKS = 6


@lru_cache(maxsize=1)
def tet_days() -> pd.DatetimeIndex:
    """:data:`TET_DATES` as dates, in order (parsed once: every pomelo series asks)."""
    return pd.DatetimeIndex(pd.to_datetime(TET_DATES))


def next_tet(date) -> pd.Timestamp | None:
    """The first Tết day after ``date`` (a period's start: the day itself counts), or ``None``
    beyond the table's years."""
    days = tet_days()
    later = days[days >= pd.Timestamp(date).normalize()]
    return later[0] if len(later) else None


def tied_to_tet(row: pd.Series) -> bool:
    """Whether a calendar row's season is the run-up to Tết (its name says Tết, and it is a
    demand season): dated from Tết day each year, not from the row's months."""
    return season_effect(row) == "rise" and "tết" in str(row["season"]).casefold()


def season_effect(row: pd.Series) -> str:
    """What a calendar row's season does to prices: ``"dip"`` (a harvest glut, the usual)
    or ``"rise"`` (a demand season: pomelo before Tết), from its ``price_effect`` column
    when the calendar has one, else from the season's name."""
    declared = str(row.get("price_effect", "") or "").strip().casefold()
    if declared in ("dip", "low", "fall", "giảm"):
        return "dip"
    if declared in ("rise", "high", "peak", "tăng"):
        return "rise"
    season = str(row["season"]).casefold()
    return "rise" if any(w in season for w in DEMAND_SEASON_WORDS) else "dip"


#: What a ``picked`` cell says of a crop picked every month (see :func:`picked_all_year`).
ALL_YEAR_WORDS = ("all year", "every month", "year-round", "year round", "quanh năm")


def picked_all_year(row: pd.Series) -> bool:
    """Whether a calendar row's crop is picked every month (its ``picked`` column says ``all
    year``): the row's months are then a rise in output (or demand), not the harvest, and a
    bulletin must not say "harvest in May to November" of nuts picked in every month."""
    value = row.get("picked", "")
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return False
    return str(value).strip().casefold() in ALL_YEAR_WORDS


def calendar_table(calendar: pd.DataFrame, commodity: str | None = None) -> pd.DataFrame:
    """Month-by-month view of a calendar, for ``cropcast calendar show``.

    Parameters
    ----------
    calendar
        A validated calendar.
    commodity
        Keep only rows matching this name (:func:`match_commodity`); ``None`` keeps all.

    Returns
    -------
    pd.DataFrame
        One row per calendar row: ``commodity``, ``region``, ``season``, then integer
        columns 1..12 holding ``"plant"``, ``"harvest"``, ``"peak"``, ``"demand"``,
        ``"output"`` or ``""``. Peak marks replace harvest marks; a demand season's months (see
        :func:`season_effect`) are ``"demand"``, not a harvest; those of a crop picked every
        month (:func:`picked_all_year`: coconut's rainy season) are ``"output"``, more of it,
        not its only harvest; month labels are left to the renderer (T1..T12 or Jan..Dec).
    """
    rows = calendar if commodity is None else match_commodity(commodity, calendar)
    records = []
    for _, row in rows.iterrows():
        marks = dict.fromkeys(range(1, 13), "")
        if not pd.isna(row["plant_start"]):
            for month in months_between(int(row["plant_start"]), int(row["plant_end"])):
                marks[month] = "plant"
        harvest, peak = _windows(row)
        if season_effect(row) == "rise":  # prices climb on demand: not a glut to plan around
            marks.update(dict.fromkeys([*harvest, *peak], "demand"))
        elif picked_all_year(row):  # coconut is picked every month: more then, not only then
            marks.update(dict.fromkeys([*harvest, *peak], "output"))
        else:
            marks.update(dict.fromkeys(harvest, "harvest"))
            marks.update(dict.fromkeys(peak, "peak"))
        records.append(
            {
                "commodity": row["commodity"],
                "region": row["region"],
                "season": row["season"],
                **marks,
            }
        )
    return pd.DataFrame(records, columns=["commodity", "region", "season", *range(1, 13)])


def harvest_note_months(rows: pd.DataFrame) -> dict[str, list[int]]:
    """Peak months per season, for sentences like "the harvest peaks in March".

    Parameters
    ----------
    rows
        Calendar rows of one commodity (:func:`match_commodity`).

    Returns
    -------
    dict[str, list[int]]
        Season name -> peak months in order (``[12, 1]`` for a Dec–Jan peak); an empty
        list when the source names no peak (say "harvest from ... to ..." instead).

    Raises
    ------
    ValueError
        When two rows share a season name (rows of several commodities).
    """
    notes: dict[str, list[int]] = {}
    for _, row in rows.iterrows():
        if row["season"] in notes:
            raise ValueError(f"season {row['season']!r} appears twice; pass one commodity's rows")
        notes[row["season"]] = _windows(row)[1]
    return notes
