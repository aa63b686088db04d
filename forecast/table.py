"""The PriceTable: the one long table every stage of cropcast reads and writes.

Guarantees (checked by :func:`validate`, which raises :class:`SchemaError`):

* Columns ``commodity, market, price_type, unit, currency`` (the series key), ``date``,
  ``price`` and ``flags`` are present. Key columns are non-empty strings.
* ``date`` is a Timestamp at the start of its period: the first of the month for monthly
  series, a Monday for weekly series. Within a series dates are on one regular frequency
  (gaps allowed, but every date lies on the grid).
* ``price`` is a finite float greater than zero, per ``unit``, in ``currency``.
* ``flags`` is a string: empty, or ``;``-joined marks such as ``interpolated``, ``outlier``,
  ``aggregated``, ``converted``.
* The key plus ``date`` is unique. Rows are sorted by key, then date.

Forecast output has the key columns, ``date``, ``forecast``, ``lower_<L>``/``upper_<L>`` per
level, and ``model``; backtest output adds ``cutoff`` and ``actual``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from functools import lru_cache

import numpy as np
import pandas as pd

from forecast.errors import SchemaError

KEY: tuple[str, ...] = ("commodity", "market", "price_type", "unit", "currency")
#: Canonical units (forecast.clean.units) in the words used at the depot, (en, vi): the
#: charts' and bulletins' "đồng/kg" and "USD/t" (:func:`forecast.plots.unit_label`).
UNIT_WORDS: dict[str, tuple[str, str]] = {
    "kg": ("kg", "kg"),
    "mt": ("t", "tấn"),
    "lb": ("lb", "pound"),
    "nut": ("nut", "trái"),
    "unit": ("unit", "cái"),  # a piece (an egg): cái reads back as unit, quả as nut
    "dozen": ("dozen", "tá"),  # exactly 12; a chục (12 to 16 nuts) is converted to nuts
    "chục": ("chục", "chục"),  # bulletins quote a series written per chục that way again
    "l": ("L", "lít"),
    "cây": ("plant", "cây"),  # a seedling's price: per plant ("đồng/cây" read as Vietnamese)
}
#: The languages charts and bulletins speak.
LANGS = ("en", "vi")
#: How one piece of a commodity is counted, (en, vi), for prices per piece (units "unit" and
#: "nut"), by the commodity's English name before any "(" or ",": Mekong depots count fruit
#: and nuts by the "trái", eggs by the "quả". Others keep the unit's own word ("cái", "trái").
COUNT_WORDS: dict[str, tuple[str, str]] = {
    "coconut": ("nut", "trái"),
    "pomelo": ("fruit", "trái"),
    "durian": ("fruit", "trái"),
    "mango": ("fruit", "trái"),
    "dragon fruit": ("fruit", "trái"),
    "jackfruit": ("fruit", "trái"),
    "pineapple": ("fruit", "trái"),
    "eggs": ("egg", "quả"),
    "egg": ("egg", "quả"),
}
#: The units priced per piece, whose word COUNT_WORDS may give.
PIECE_UNITS = ("unit", "nut")
COLUMNS: tuple[str, ...] = (*KEY, "date", "price", "flags")

#: pandas offset aliases for the frequencies cropcast models.
FREQ_ALIASES = {"monthly": "MS", "weekly": "W-MON"}


def _examples(frame: pd.DataFrame, mask: pd.Series, columns: list[str], n: int = 3) -> str:
    rows = frame.loc[mask, [c for c in columns if c in frame.columns]].head(n)
    return "; ".join(
        ", ".join(f"{c}={row[c]!r}" for c in rows.columns) for _, row in rows.iterrows()
    )


def empty_price_table() -> pd.DataFrame:
    """A PriceTable with no rows and the right dtypes."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    frame["date"] = pd.to_datetime(frame["date"])
    frame["price"] = frame["price"].astype(float)
    return frame


def _not_text(values: pd.Series, empty_too: bool) -> pd.Series:
    """Per row, whether a value is not a string (or, with ``empty_too``, is blank), without a
    Python call per row: ``validate`` runs before every forecast, and a million rows took
    seconds that way."""
    # Judged once per distinct value (a key column holds a few hundred), missing ones bad.
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    judged = np.array(
        [not isinstance(v, str) or (empty_too and not v.strip()) for v in uniques] + [True]
    )
    return pd.Series(judged[codes], index=values.index)  # code -1 (missing) takes the last


def validate(prices: pd.DataFrame, freq: str | None = None) -> pd.DataFrame:
    """Check ``prices`` against the PriceTable contract and return it sorted.

    Parameters
    ----------
    prices
        A candidate PriceTable.
    freq
        ``"monthly"`` or ``"weekly"`` to check every date lies on that grid; ``None`` accepts
        either per series.

    Raises
    ------
    SchemaError
        Naming the column, the rule and a few offending rows.
    """
    missing = [c for c in COLUMNS if c not in prices.columns]
    if missing:
        raise SchemaError(
            missing[0],
            "required column is missing",
            f"columns found: {', '.join(map(str, prices.columns))}",
            fix="Rename or map the column (e.g. --map price=Giá)",
        )
    frame = prices.copy()
    ids = list(KEY) + ["date"]
    for column in KEY:
        bad = _not_text(frame[column], empty_too=True)
        if bad.any():
            raise SchemaError(column, "must be a non-empty string", _examples(frame, bad, ids))
    if not pd.api.types.is_datetime64_any_dtype(frame["date"]):
        raise SchemaError("date", "must be a datetime column", str(frame["date"].dtype))
    if frame["date"].isna().any():
        raise SchemaError(
            "date", "must not be missing", _examples(frame, frame["date"].isna(), ids)
        )
    if not pd.api.types.is_float_dtype(frame["price"]):
        try:
            frame["price"] = frame["price"].astype(float)
        except (TypeError, ValueError) as exc:
            raise SchemaError("price", "must be numeric", str(exc)) from None
    price = frame["price"].to_numpy()
    bad = ~np.isfinite(price) | (price <= 0)
    if bad.any():
        raise SchemaError(
            "price",
            "must be finite and > 0",
            _examples(frame, pd.Series(bad, frame.index), ids + ["price"]),
        )
    bad = _not_text(frame["flags"], empty_too=False)
    if bad.any():
        raise SchemaError(
            "flags", "must be a string ('' when unflagged)", _examples(frame, bad, ids)
        )
    dup = frame.duplicated(ids, keep=False)
    if dup.any():
        raise SchemaError(
            "date", "key plus date must be unique", _examples(frame, dup, ids + ["price"])
        )
    normalized = frame["date"].dt.normalize() != frame["date"]
    if normalized.any():
        raise SchemaError(
            "date", "must be a period start with no time of day", _examples(frame, normalized, ids)
        )
    month_start = frame["date"].dt.is_month_start
    monday = frame["date"].dt.day_of_week == 0
    if freq == "monthly":
        off = ~month_start
    elif freq == "weekly":
        off = ~monday
    elif freq is None:
        # Each series must sit on one grid: all month starts, or all Mondays.
        # Group on the key columns themselves: joining them row by row is slow on big tables.
        keys = [frame[c] for c in KEY]
        all_ms = month_start.groupby(keys, sort=False).transform("all")
        all_mon = monday.groupby(keys, sort=False).transform("all")
        off = ~(all_ms | all_mon)
    else:
        raise ValueError(f"unknown frequency {freq!r}; use 'monthly' or 'weekly'")
    if off.any():
        rule = {
            "monthly": "must be the first day of a month",
            "weekly": "must be a Monday",
            None: "must be period starts on one frequency per series (month starts or Mondays)",
        }[freq]
        raise SchemaError("date", rule, _examples(frame, off, ids))
    return frame.sort_values(ids, kind="stable").reset_index(drop=True)[
        list(COLUMNS) + [c for c in frame.columns if c not in COLUMNS]
    ]


def checked_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """``prices`` checked against the contract (:func:`validate`) before a forecast or a
    backtest, as a table is read back or made by hand: ``flags`` missing or blank (a
    cleaned CSV's empty flags read as NaN) are ``''``, dates written as text are parsed,
    and a missing price (NaN, as :func:`observed_prices` blanks estimates) is a gap.

    A negative price was forecast at -5, a missing column failed as a KeyError inside a
    worker, a key and date given twice as a reindex error. 0.5 s for 400,000 rows, against
    minutes of fitting them.
    """
    if not isinstance(prices, pd.DataFrame):
        raise TypeError(f"prices must be a PriceTable (a DataFrame), got a {type(prices).__name__}")
    fixes = {}
    if "flags" not in prices.columns:
        fixes["flags"] = ""
    elif prices["flags"].isna().any():
        fixes["flags"] = prices["flags"].astype(object).where(prices["flags"].notna(), "")
    if "date" in prices.columns and not pd.api.types.is_datetime64_any_dtype(prices["date"]):
        with contextlib.suppress(TypeError, ValueError):  # else validate says what it holds
            fixes["date"] = pd.to_datetime(prices["date"], format="ISO8601")
    price = prices["price"] if "price" in prices.columns else None
    gaps = price is not None and pd.api.types.is_numeric_dtype(price) and price.isna().any()
    if gaps:  # checked as prices where there are some; gaps are the models' own
        fixes["price"] = price.astype(float).fillna(1.0)
        fixes["_gap"] = price.isna()
    out = validate(prices.assign(**fixes) if fixes else prices)
    if gaps:
        out.loc[out["_gap"].to_numpy(bool), "price"] = np.nan
        out = out.drop(columns="_gap")
    return out


def interpolated(prices: pd.DataFrame) -> np.ndarray:
    """Per row, whether cleaning filled the price in (flag ``interpolated``): an estimate,
    not a price anyone wrote. All False for a table without flags."""
    if "flags" not in prices.columns:
        return np.zeros(len(prices), bool)
    return prices["flags"].astype(str).str.contains("interpolated", regex=False).to_numpy()


def observed_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """``prices`` with the interpolated estimates blanked (NaN), their rows kept.

    What models fit and backtests score: an estimate filled between two real prices is
    made from the later one, so a backtest window whose cutoff falls in a filled gap would
    train on a price after its cutoff, and score against estimates as if they were actual
    prices. Models fill interior gaps themselves, log-linearly as cleaning does, from the
    prices they are given, so a fit on the full history is unchanged.
    """
    filled = interpolated(prices)
    if not filled.any():
        return prices
    out = prices.copy()
    out.loc[filled, "price"] = np.nan
    return out


def dated(when, dates=None, *, monthly: bool | None = None) -> str:
    """A price's period as a note quotes it: a month as '2012-03', since cleaning keys a
    monthly price to the 1st and the user's file may write the 15th (WFP does), so
    '2012-03-01' is not in it to find; a week or a day by its date. Monthly when ``monthly``
    says so, else when every one of ``dates`` (the series') is a month start."""
    if monthly is None:
        idx = pd.DatetimeIndex([] if dates is None else dates)
        monthly = len(idx) > 1 and bool(idx.is_month_start.all())
    return f"{when:%Y-%m}" if monthly else f"{when:%Y-%m-%d}"


def series_label(key: tuple) -> str:
    """A readable one-line name for a series key: 'Rice | An Giang | Wholesale | VND/kg'."""
    commodity, market, price_type, unit, currency = key
    return f"{commodity} | {market} | {price_type} | {currency}/{unit}"


def case_twins(prices: pd.DataFrame) -> list[list[tuple]]:
    """The series keys of ``prices`` that differ only in capitals, spacing or accents, in
    groups ("Mỏ Cày Bắc" and "Mo Cay Bac"), each group and key in the order first seen.

    Cleaning keeps them apart (names are data, and it does not rewrite them), but they are
    usually one series whose spelling changed: each half is then worked on with half the
    history, so every command that reads names says so.
    """
    from forecast.clean.base import fold

    groups: dict[tuple, list[tuple]] = {}
    for key in prices[list(KEY)].drop_duplicates().itertuples(index=False, name=None):
        groups.setdefault(tuple(map(fold, key)), []).append(key)
    return [group for group in groups.values() if len(group) > 1]


#: Names shorter than this (folded) are not compared letter by letter: "Ri6" and "Ri5",
#: "Lúa" and "Lúa" + a letter, are as likely two things as one typed wrong.
ONE_LETTER_MIN = 5


def one_letter_twins(
    keys: pd.DataFrame, known: pd.DataFrame | None = None
) -> list[tuple[tuple, tuple]]:
    """Pairs of series keys whose commodity (or market) names are one letter apart (a
    letter typed wrong, left out, added, or two swapped: "Bưởi da xah" and "Bưởi da
    xanh"), their other names alike but for accents, capitals or spaces.

    With ``known``, each pair is (a key of ``keys``, a key of ``known``); without, pairs
    within ``keys``, each once. A letter that is a digit does not count ("Gạo 504" and
    "Gạo 505" are two varieties), nor names shorter than ``ONE_LETTER_MIN``.
    """
    from forecast.clean.base import fold

    def folded(frame):
        unique = frame[list(KEY)].drop_duplicates().reset_index(drop=True)
        return unique, unique.apply(lambda column: column.map(fold))

    mine, mine_folded = folded(keys)
    theirs, theirs_folded = (mine, mine_folded) if known is None else folded(known)
    pairs: list[tuple[tuple, tuple]] = []
    for name in ("commodity", "market"):
        values = set(mine_folded[name]) | set(theirs_folded[name])
        near = _one_letter_pairs(values)
        if not near:
            continue
        others = [c for c in KEY if c != name]
        apart = pd.DataFrame(near + [(b, a) for a, b in near], columns=["_a", "_b"])
        left = mine_folded.assign(_i=range(len(mine))).rename(columns={name: "_a"})
        right = theirs_folded.assign(_j=range(len(theirs))).rename(columns={name: "_b"})
        found = left.merge(apart, on="_a").merge(right, on=["_b", *others])
        if known is None:
            found = found[found["_i"] < found["_j"]]
        for i, j in zip(found["_i"], found["_j"], strict=True):
            a, b = tuple(mine.iloc[i]), tuple(theirs.iloc[j])
            at = KEY.index(name)
            if not _codes_apart(str(a[at]), str(b[at])):
                pairs.append((a, b))
    return pairs


def _codes_apart(a: str, b: str) -> bool:
    """Whether names ``a`` and ``b`` differ only in a word written in capitals, a code:
    the Pink Sheet's "Wheat, US HRW" and "Wheat, US SRW" are two wheats (hard and soft red
    winter), and the spelling note's remove command would have deleted one."""
    import re

    words_a, words_b = re.findall(r"\w+", a), re.findall(r"\w+", b)
    if len(words_a) != len(words_b):
        return False
    apart = [(x, y) for x, y in zip(words_a, words_b, strict=True) if x != y]
    # Short: "SORGUM" for "SORGHUM" in a file written in capitals is a misspelling still.
    return len(apart) == 1 and all(2 <= len(w) <= CODE_LETTERS and w.isupper() for w in apart[0])


#: The most letters of a word in capitals read as a code ("HRW", "DAP", "TSP").
CODE_LETTERS = 4


def _one_letter_pairs(values: set[str]) -> list[tuple[str, str]]:
    """The pairs of ``values`` one letter apart. Found through each name with one letter
    left out (two names one letter apart share one such), not by comparing every pair: a
    national file has thousands of markets."""
    by_gap: dict[str, set[str]] = {}
    for value in values:
        if len(value) < ONE_LETTER_MIN:
            continue
        by_gap.setdefault(value, set()).add(value)
        for i in range(len(value)):
            by_gap.setdefault(value[:i] + value[i + 1 :], set()).add(value)
    pairs = {
        (a, b)
        for group in by_gap.values()
        if len(group) > 1
        for a in group
        for b in group
        if a < b and _one_letter_apart(a, b)
    }
    return sorted(pairs)


def _one_letter_apart(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one letter changed, left out or added, or by two
    neighbouring letters swapped; never by a digit."""
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            changed = {a[diff[0]], b[diff[0]]}
        elif (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0] : diff[1] + 1] == (b[diff[1]] + b[diff[0]])
        ):  # two neighbours swapped
            changed = {a[diff[0]], a[diff[1]]}
        else:
            return False
    else:
        longer, shorter = (a, b) if len(a) > len(b) else (b, a)
        if len(longer) - len(shorter) != 1:
            return False
        i = next(
            (i for i, (x, y) in enumerate(zip(shorter, longer[:-1], strict=True)) if x != y),
            len(shorter),
        )
        if longer[i + 1 :] != shorter[i:]:
            return False
        changed = {longer[i]}
    return not any(c.isdigit() for c in changed)


def infer_freq(dates: pd.Series | pd.DatetimeIndex, prevailing: str | None = None) -> str:
    """'monthly' when every date is a month start, 'weekly' when every date is a Monday.

    Dates that are all Mondays falling on a 1st (the week of 1 December 2025) cannot tell:
    they are weekly when their index says so (``freq`` W-MON, as :func:`iter_series` puts
    a series on its grid) or when the table's other series are (``prevailing``, see
    :func:`table_freq`), else monthly. A new product's one price in a weekly store made
    its series monthly, and with it the whole bulletin.
    """
    idx = pd.DatetimeIndex(dates)
    month_starts = len(idx) > 0 and bool(idx.is_month_start.all())
    mondays = len(idx) > 0 and bool((idx.day_of_week == 0).all())
    if month_starts and mondays:
        weekly = idx.freqstr == "W-MON" or prevailing == "weekly"
        return "weekly" if weekly else "monthly"
    if month_starts:
        return "monthly"
    if mondays:
        return "weekly"
    raise SchemaError("date", "dates are neither all month starts nor all Mondays")


def told_freq(prices: pd.DataFrame) -> Callable[[tuple], str | None]:
    """Per series key, what :func:`infer_freq` is to take as ``prevailing`` for it: the
    frequency the table was told for that series (``attrs["series_freq"]``, which the store
    sets for the few series whose dates cannot tell in a store of weekly and monthly
    series), else the table's own (:func:`table_freq`)."""
    hints = prices.attrs.get("series_freq") or {}
    prevailing = table_freq(prices) if len(prices) else None
    return lambda key: hints.get(tuple(key), prevailing)


def table_freq(prices: pd.DataFrame) -> str | None:
    """The frequency every series of ``prices`` is on, or ``None`` when they differ: what
    a series whose dates cannot tell follows (see :func:`infer_freq`).

    A table's own word comes first: ``attrs["freq"]``, which cleaning sets to the
    frequency it read the file on and the store to its series' one frequency; a selection
    keeps it. (A week's depot file dated Monday 1 December has no other date to tell by.)
    """
    told = prices.attrs.get("freq")
    if told in FREQ_ALIASES:
        return told
    try:
        return infer_freq(prices["date"])
    except SchemaError:
        return None


class SeriesIterator(Iterator):
    """The iterator ``iter_series`` returns: a generator that also knows its length, so an
    engine can size its last chunks (``len()`` is the number of series, sent or not)."""

    def __init__(self, series: Iterator, n_series: int):
        self._series, self._n = series, n_series

    def __next__(self):
        return next(self._series)

    def __len__(self) -> int:
        return self._n


def iter_series(prices: pd.DataFrame) -> SeriesIterator:
    """Yield ``(key, y)`` per series, ``y`` a price Series on a regular DatetimeIndex.

    Gaps inside a series become NaN so the index is regular; models that cannot take NaN
    must handle them (most fill in log space before fitting).

    Series come out in key order, one at a time. Iterating a groupby would first copy the
    whole table sorted by key; this keeps row positions instead (16 bytes a row), so memory
    stays flat while an engine streams a large table's series to its workers.
    """
    ids = prices.groupby(list(KEY), sort=True, observed=True).ngroup()
    ids = ids.fillna(-1).to_numpy(dtype=np.int64)  # -1: a missing key, dropped
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.diff(sorted_ids, prepend=-2))
    starts = starts[sorted_ids[starts] >= 0]
    ends = np.append(starts[1:], len(order))[: len(starts)]
    del ids, sorted_ids
    keys = prices[list(KEY)].iloc[order[starts]].itertuples(index=False, name=None)
    dates = prices["date"].to_numpy()
    values = prices["price"].to_numpy(dtype=float)
    series = _series(keys, starts, ends, order, dates, values, told_freq(prices))
    return SeriesIterator(series, len(starts))


def _series(keys, starts, ends, order, dates, values, told) -> Iterator:
    for key, start, end in zip(keys, starts, ends, strict=True):
        rows = order[start:end]
        y = pd.Series(values[rows], index=pd.DatetimeIndex(dates[rows], name="date"))
        y = y.sort_index()
        freq = FREQ_ALIASES[infer_freq(y.index, told(key))]
        y = y.reindex(_full_range(y.index[0], y.index[-1], freq))
        y.index.name = "date"
        y.name = "price"
        yield tuple(key), y


def _full_range(first: pd.Timestamp, last: pd.Timestamp, freq: str) -> pd.DatetimeIndex:
    """``pd.date_range(first, last, freq=freq)``: the same dates, unit and ``freq``, faster.

    ``date_range`` steps month by month (or week by week) in Python, which matters when a
    table has 100,000 series to hand out; most of them share their first and last dates.
    """
    # The unit is part of the key: equal Timestamps of other units hash alike.
    return _shared_range(first, last, freq, first.unit).copy()  # a copy: callers may rename it


@lru_cache(maxsize=4096)
def _shared_range(first, last, freq: str, unit: str) -> pd.DatetimeIndex:
    # Periods are plain integers, so this is faster than date_range even when not shared.
    periods = pd.period_range(first, last, freq="M" if freq == "MS" else "W-SUN")
    full = periods.to_timestamp(how="start").as_unit(unit)
    if full.freq is None:  # under three periods: too few to carry a frequency; rare, so slow
        full = pd.date_range(first, last, freq=freq)
    return full


def price_columns(table: pd.DataFrame) -> list[str]:
    """The columns of a price, forecast or backtest table that hold prices (``price``,
    ``forecast``, ``actual``, ``lower_<L>``, ``upper_<L>``): what a change of unit scales."""
    return [
        c
        for c in table.columns
        if c in ("price", "forecast", "actual") or str(c).startswith(("lower_", "upper_"))
    ]


def named_as_given(table: pd.DataFrame, entries: list[dict]) -> pd.DataFrame:
    """``table`` (forecasts or a backtest) with each series in ``entries`` named as its file
    writes it, and its prices (``forecast``, ``actual``, ``lower_<L>``, ``upper_<L>``) in
    the file's unit: the cleaning report's ``as_given`` (see ``forecast.clean.pipeline``).
    Prices are modelled in cropcast's names and units, and reported in the user's."""
    return _renamed(table, entries, back=False)


def named_as_cropcast(table: pd.DataFrame, entries: list[dict]) -> pd.DataFrame:
    """The inverse of :func:`named_as_given`: a forecast file written so (``bulletin
    --previous fc.csv``) read back in cropcast's names and units, to meet its series."""
    return _renamed(table, entries, back=True)


def _renamed(table: pd.DataFrame, entries: list[dict], back: bool) -> pd.DataFrame:
    if not entries or not len(table):
        return table
    old, new = ("as_given", "series") if back else ("series", "as_given")
    names = pd.DataFrame(
        [(*e[old], *e[new], e["factor"]) for e in entries],
        columns=[*KEY, *(f"_new_{c}" for c in KEY), "_factor"],
    )
    out = table.merge(names, on=list(KEY), how="left", sort=False)
    mapped = out["_factor"].notna().to_numpy()
    for column in KEY:
        out[column] = out[column].where(~mapped, out[f"_new_{column}"])
    # The file's prices times the factor are cropcast's (1/50 from a 50 KG bag to a kg).
    factor = out["_factor"].fillna(1.0).to_numpy()
    for column in price_columns(table):
        values = out[column].to_numpy(dtype=float)
        out[column] = values * factor if back else values / factor
    return out[list(table.columns)].set_axis(table.index)


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


#: ISO 4217's code for "no currency": the World Bank's indices (2010 = 100) carry it.
NO_CURRENCY = "XXX"


def price_unit(currency: str, unit: str) -> str:
    """What a price is counted in, for a table: "VND/kg"; an index, which has no
    currency, "index" (not "XXX/index")."""
    return str(unit) if str(currency).strip().upper() == NO_CURRENCY else f"{currency}/{unit}"


def unit_label(currency: str, unit: str, lang: str = "en") -> str:
    """A price unit as the user says it: ``"VND", "kg"`` -> ``"đồng/kg"``.

    Prices in đồng say so in both languages, as the depots and the bulletins write them
    (``đồng/kg``); other currencies keep their ISO code. The unit is in ``lang``: ``đồng/trái``
    and ``USD/tấn`` in Vietnamese, ``đồng/nut`` and ``USD/t`` in English (a "trái" on an
    English chart whose title says "nut" would be two languages and two units). Units
    cropcast does not know are kept as written.

    Parameters
    ----------
    currency
        ISO 4217 code, e.g. ``"VND"``, ``"USD"``, ``"THB"``.
    unit
        The canonical unit of the series: ``kg``, ``mt``, ``lb``, ``nut``, ``dozen``, ``L``.
    lang
        ``"en"`` or ``"vi"``.
    """
    check_lang(lang)
    currency = str(currency).strip()
    unit = str(unit).strip()
    known = UNIT_WORDS.get(unit.lower())
    if currency.upper() == "VND":
        currency = "đồng"
    if currency.upper() == NO_CURRENCY:  # an index: "index", not "XXX/index"
        return unit
    if known is None:
        return f"{currency}/{unit}"
    return f"{currency}/{known[1] if lang == 'vi' else known[0]}"


def _chart_units(currency: pd.Series, unit: pd.Series) -> pd.Series:
    """Each row's price unit as an English chart says it (:func:`unit_label`): "đồng/kg"
    for VND per kg, "USD/t" for USD per mt; one label per pair, not per row."""
    said = {pair: unit_label(*pair, "en") for pair in set(zip(currency, unit, strict=True))}
    return pd.Series([said[p] for p in zip(currency, unit, strict=True)], index=currency.index)


#: The words charts count a piece by, in English ("LKR/egg"), and the chục nuts are quoted by.
_COUNTED = {*(en for en, _vi in COUNT_WORDS.values()), "chục"}


def _titled(text: dict[str, pd.Series], parts: list[str], fold) -> pd.Series:
    """Rows of the series an English chart's title names (``parts``, folded): its
    commodity, market and price type, then its price unit as the chart says it, which
    names the currency ("đồng" for VND) and the unit in the chart's words: "USD/t" for
    mt, a count word for a price per piece ("LKR/nut", "đồng/fruit", "LKR/egg"), "đồng/chục
    of 12 nuts" for nuts quoted by the chục. Several series of the place and currency are
    told apart by the unit: its own name or word, or a count word for the one priced per
    piece. A unit none of them is named by selects none."""
    no = pd.Series(False, index=text["unit"].index)
    if len(parts) != 4 or "/" not in parts[3]:
        return no
    money, _, said = parts[3].partition("/")
    said = said.split(" of ")[0].strip()  # "chục of 12 nuts"
    money = fold("VND") if money.strip() == "đồng" else money.strip()
    place = pd.Series(True, index=no.index)
    named = zip(("commodity", "market", "price_type", "currency"), [*parts[:3], money], strict=True)
    for column, part in named:
        place &= text[column].str.normalize("NFC").map(fold, na_action="ignore") == part
    if not place.any():
        return no
    unit = text["unit"][place].str.strip()
    # Capitals count where asked (store remove): "LKR/l" is not the "L" series there.
    words = {u: {fold(u), *(fold(w) for w in UNIT_WORDS.get(u.lower(), ()))} for u in unit.unique()}
    own = unit.map(lambda u: said in words[u])
    if not own.any() and said in _COUNTED:  # "nut", "egg", "fruit", "chục": per piece
        own = unit.str.lower().isin([*PIECE_UNITS, "chục"])
    return own.reindex(no.index, fill_value=False)


def select_series(
    prices: pd.DataFrame, patterns: str | list[str] | None, *, exact_case: bool = False
) -> pd.DataFrame:
    """Rows whose series label contains any of ``patterns`` (case-insensitive, unless
    ``exact_case``: "retail" is then not "Retail").

    A pattern may hold several parts separated by ``|``; all parts must match
    (``"Rice|An Giang"`` is rice in An Giang). A label copied from the output matches
    too: notes name a series 'Rice | An Giang | Wholesale | VND/kg' (that series alone, not
    'Rice (glutinous) | An Giang (Châu Phú) | ...' as well) and the forecast table 'Rice · An
    Giang', so ``·`` separates parts as well and "VND/kg" is a part. Accents
    match however they are typed: a shell or a Mac may send "Dừa" decomposed (u + horn +
    grave), which cleaning composes. A pattern that matches nothing as typed is matched
    without accents on either side (unless ``exact_case``): "Mo Cay Bac" is "Mỏ Cày Bắc",
    typed on a keyboard without them, and "Bạc Liêu" WFP's "Bac Lieu"; where it matches as
    typed, the accents count ("Bắc" is not "Bạc Liêu"). Matching nothing still, it is
    matched against the names bulletins print, in Vietnamese and English: "Gạo|An Giang"
    is WFP's rice there, "Ca cao" the Pink Sheet's cocoa.
    """
    import unicodedata

    if isinstance(patterns, str):  # one pattern: iterated, "Coffee" matched every "e"
        patterns = [patterns]
    if not patterns:
        return prices
    # The label as notes print it ('Rice | An Giang | Wholesale | VND/kg') names one series:
    # not also 'Rice (glutinous) | An Giang (Châu Phú) | ...', as its parts would. Parts are
    # matched in it and in the unit and currency alone.
    fold = (lambda text: text) if exact_case else str.casefold
    text = {column: prices[column].astype(str) for column in KEY}
    named = text["commodity"]
    for column in ("market", "price_type"):
        named = named + " | " + text[column]
    named = named + " | " + text["currency"] + "/" + text["unit"]
    # A part may be a chart's unit too: "Rice|đồng/kg", "USD/t" (a whole title: _titled).
    charted = _chart_units(text["currency"], text["unit"])
    labels = named + " | " + text["unit"] + " | " + text["currency"] + " | " + charted
    named, labels = (
        column.str.normalize("NFC").map(fold, na_action="ignore") for column in (named, labels)
    )
    keep = pd.Series(False, index=prices.index)
    bare = None  # the labels without accents, made only when a pattern needs them
    said = None  # the names bulletins print, made only when a pattern needs them too
    for pattern in patterns:
        pattern = unicodedata.normalize("NFC", pattern)
        parts = [fold(p.strip()) for p in re.split(r"[|·]", pattern) if p.strip()]
        whole = named == " | ".join(parts)
        if not whole.any():
            whole = _titled(text, parts, fold)
        if whole.any():
            keep |= whole
            continue
        hit = pd.Series(True, index=prices.index)
        for part in parts:
            hit &= labels.str.contains(part, regex=False)
        # "Mo Cay Bac" for "Mỏ Cày Bắc", "Bạc Liêu" for WFP's "Bac Lieu": matching nothing as
        # typed, a pattern is matched folded (cleaning's matching text: no accents) on
        # either side. Not where capitals count (exact_case): folding drops them too.
        if not hit.any() and not exact_case:
            from forecast.clean.base import fold as folded

            if bare is None:
                bare = labels.map(folded, na_action="ignore")
            hit = pd.Series(True, index=prices.index)
            for part in parts:
                hit &= bare.str.contains(folded(part), regex=False)
        # "Gạo|An Giang", "Dừa", "Ca cao", "Cà phê|Thế giới": the names a bulletin prints
        # match the series they name, a product's as a subscriber's word does
        # (``bulletin.deliver.matches``: "Dừa" is coconut, not coconut oil, "Lúa" not
        # wheat), a market's as a bulletin names it, with its country abroad.
        if not hit.any() and not exact_case:
            if said is None:
                said = _said_in_bulletins(prices)
            hit = pd.Series(True, index=prices.index)
            for part in parts:
                hit &= said[0].str.contains(folded(part), regex=False) | said[1](part)
        keep |= hit
    return prices[keep]


def _said_in_bulletins(prices: pd.DataFrame):
    """``(markets, product)``: each row's market as bulletins name it, in both languages,
    folded ("an giang | an giang"), and a function of a word giving the rows whose product
    it names as a subscriber's word does. Worked out once per distinct value."""
    from forecast.bulletin.deliver import matches
    from forecast.bulletin.wording import market_name
    from forecast.clean.base import fold

    places = prices[["market", "currency"]].astype(str)
    names = {
        (market, currency): fold(
            " | ".join(market_name(market, lang, currency) for lang in ("vi", "en"))
        )
        for market, currency in places.drop_duplicates().itertuples(index=False, name=None)
    }
    markets = pd.Series(
        [names[k] for k in places.itertuples(index=False, name=None)], index=prices.index
    )
    commodities = prices["commodity"].astype(str)

    def product(word: str) -> pd.Series:
        named = {c for c in commodities.unique() if matches(c, word)}
        return commodities.isin(named)

    return markets, product
