"""Prices: numbers as people write them -> positive finite floats.

Typed numbers pass through. Text is read as follows (:func:`parse_price`):

* currency marks are dropped and remembered: ``đ``, ``₫``, ``VND``, ``đồng`` (-> VND),
  ``$``, ``USD`` (-> USD), ``฿``/``baht`` (-> THB): ``"45.000 đ"``, ``"45.000đ"``;
* a multiplier word scales: ``k``/``nghìn``/``ngàn`` x1,000, ``tr``/``triệu`` x1,000,000,
  ``tỷ`` x1,000,000,000: ``"130k"`` = 130000, ``"1,2 triệu"`` = 1200000;
* spaces between digit groups are thousands separators: ``"6 450"`` = 6450;
* scientific notation, as R writes round numbers, is a number: ``"1e+05"`` = 100000;
* with both ``.`` and ``,`` the later one is the decimal point: ``"1.234,5"``, ``"1,234.5"``;
* one separator used more than once groups thousands: ``"1.234.567"``;
* a single ``.`` or ``,`` after one to three digits and before exactly three groups
  thousands (``"45.000"`` = 45000, ``"1,500"`` = 1500); before one, two, or four or more
  digits, after four or more (``"1234.567"``), or after a lone ``0``, it is the decimal
  point (``"5317.5"``, ``"45,5"``, ``"0.500"``).

The last rule is a guess for values like ``"1.500"``, and the prices around it decide
(:func:`_settle_thousands`): such a price takes the reading (thousands, or a thousand times
less) nearer the clearly written prices just before and after it in its series; with nothing
to tell, thousands stays, and the report says so. ``CleanOptions.decimal`` overrides it per
file (``"."`` or ``","``). WFP and Pink Sheet files take the one their own numbers show,
``"."`` as published (:mod:`forecast.clean.decimal_mark`). Typed numbers (Excel, Parquet,
read as :class:`~forecast.io.files.TypedNumber`) are numbers, read as they are whatever
the decimal point of text, and cropcast writes its own CSVs so that no price reads as
thousands (``"92.8530"``).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.clean.base import (
    Readings,
    StepOutput,
    fold,
    map_unique,
    split_rejected,
    tidy_text,
    times_exact,
)
from forecast.clean.options import CleanOptions
from forecast.errors import InputError
from forecast.io.files import THOUSANDS_LIKE, TypedNumber


def _point_in(text: str) -> str:
    """The separator a number's text writes last, "." in "1.500" and "," in "1,500": read
    as its decimal point, it makes the text a decimal."""
    return "," if text.rfind(",") > text.rfind(".") else "."


#: Words written for "no value" (the Pink Sheet's "…" and "..", spreadsheet exports).
MISSING = {"", "…", "...", "..", "-", "--", "—", "na", "n/a", "nan", "null", "none", "#n/a"}

_CURRENCY_MARKS = [  # longest first so "vnđ" is not read as "đ"
    ("vnđ", "VND"),
    ("vnd", "VND"),
    ("đồng", "VND"),
    ("dong", "VND"),
    ("đ", "VND"),
    ("₫", "VND"),
    ("us$", "USD"),
    ("usd", "USD"),
    ("$", "$"),  # dollars and pesos: the currency column says which (USD without one)
    ("baht", "THB"),
    ("thb", "THB"),
    ("฿", "THB"),
    ("eur", "EUR"),
    ("€", "EUR"),
    ("lkr", "LKR"),
    ("rs.", "Rs"),  # rupees: the currency column says which (LKR without one)
    ("rs", "Rs"),
    ("₨", "Rs"),
    # Where WFP works most: "KSh 45" was refused with a hint to map the price column.
    ("kshs", "KES"),
    ("ksh", "KES"),
    ("kes", "KES"),
    ("ngn", "NGN"),
    ("₦", "NGN"),
    ("birr", "ETB"),
    ("etb", "ETB"),
    ("ghs", "GHS"),
    ("₵", "GHS"),
    ("ugx", "UGX"),
    ("ushs", "UGX"),
    ("ush", "UGX"),
    ("tzs", "TZS"),
    ("tshs", "TZS"),
    ("tsh", "TZS"),
    ("bdt", "BDT"),
    ("৳", "BDT"),
    ("inr", "INR"),
    ("₹", "INR"),
    ("pkr", "PKR"),
    ("idr", "IDR"),
    ("php", "PHP"),
    ("₱", "PHP"),
    ("mmk", "MMK"),
    ("khr", "KHR"),
    ("៛", "KHR"),
    ("lak", "LAK"),
    ("kip", "LAK"),
    ("₭", "LAK"),
    ("riel", "KHR"),
    ("xof", "XOF"),
    ("xaf", "XAF"),
    # CFA francs, West (XOF) or Central (XAF): the currency column says which.
    ("f cfa", "FCFA"),
    ("fcfa", "FCFA"),
    ("cfa", "FCFA"),
    ("afn", "AFN"),
    ("afs", "AFN"),
    ("tk", "BDT"),
    ("yer", "YER"),
    ("htg", "HTG"),
    ("gtq", "GTQ"),
    ("sdg", "SDG"),
    ("syp", "SYP"),
    ("lbp", "LBP"),
]
#: Currency marks that are abbreviations, written with a dot as often as not ("Tk. 60").
_ABBREVIATED = frozenset(("tk", "ksh", "kshs", "tsh", "tshs", "ush", "ushs", "afs", "rs"))
#: Words that multiply a number, as prices and currency columns write them.
MULTIPLIER_WORDS = [
    ("triệu", 1e6),
    ("trieu", 1e6),
    ("tr", 1e6),
    ("nghìn", 1e3),
    ("nghin", 1e3),
    ("ngàn", 1e3),
    ("ngan", 1e3),
    ("tỷ", 1e9),
    ("ty", 1e9),
    ("k", 1e3),
]
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f']+")
_BODY = re.compile(r"^[+\-−]?(\d[\d.,]*|[.,]\d+)$")
#: A plain number, "12000" or "5317.5" (not three decimals: "1.500" may mean 1500).
_PLAIN = re.compile(r"[0-9]+(\.(?:[0-9]{1,2}|[0-9]{4,}))?")
_GROUPED = re.compile(r"^\d{1,3}(?:X\d{3})+$")
#: Scientific notation as R and spreadsheets write large round numbers: "1e+05", "4.006E5".
_SCIENTIFIC = re.compile(r"^[+]?(?:\d+(?:([.,])\d*)?|([.,])\d+)e[+\-]?\d{1,3}$")


class PriceError(ValueError):
    """A value that is not a usable price; the message is the user-facing reason."""


class DecimalMismatch(PriceError):
    """A price written with another decimal point than the one given ("12,5" with '.')."""

    def __init__(self, raw: object, decimal: str):
        super().__init__(f"price '{raw}' is not a number with decimal separator '{decimal}'")
        self.raw, self.decimal = raw, decimal

    @property
    def other(self) -> str:
        """The decimal point the price seems to be written with."""
        return "," if self.decimal == "." else "."


@dataclass(frozen=True)
class ParsedPrice:
    value: float
    currency: str | None = None  # a currency written inside the price ("45.000 đ")
    ambiguous: bool = False  # read by the "exactly three digits" rule ("1.500")
    dot_decimal: bool = False  # clearly uses "." as its decimal point ("5317.5")
    unit: str | None = None  # a unit written after the price ("45.000đ/kg" -> "kg")
    scaled: bool = False  # a multiplier word scaled it ("45 nghìn" -> 45,000)


def _strip_marks(text: str) -> tuple[str, str | None, float]:
    currency = None
    multiplier = 1.0
    changed = True
    while changed:
        changed = False
        for mark, code in _CURRENCY_MARKS:
            # A dot after a mark is an abbreviation's, no decimal point: "Tk. 60", "Ksh.45",
            # "Birr. 60" and "60 Birr." are 60. Glued to the digits it is one only for marks
            # written as abbreviations: "USD.50" is half a dollar, as it always read.
            if text.startswith(mark):
                rest = text[len(mark) :]
                dotted = rest.startswith(".") and (mark in _ABBREVIATED or not rest[1:2].strip())
                text = rest[dotted:]
            elif text.endswith(mark + "."):
                text = text[: -len(mark) - 1]
            elif text.endswith(mark):
                text = text[: -len(mark)]
            else:
                continue
            text, currency, changed = text.strip(), code, True
            break
        for word, factor in MULTIPLIER_WORDS:
            if text.endswith(word) and text[: -len(word)].rstrip()[-1:].isdigit():
                text, multiplier, changed = text[: -len(word)].strip(), multiplier * factor, True
                break
    return text, currency, multiplier


#: A unit after the price ("45.000đ/kg", "12.000 đ / trái"), and the ways a sheet closes
#: a whole amount or brackets its currency ("45.000,-đ", "45.000,- ", "45.000 (đ)").
_PER_UNIT = re.compile(r"^(.*\d[^/]*?)\s*/\s*([^\d/]*[^\W\d_][^\d/]*)$")
_WHOLE_AMOUNT = re.compile(r"(?<=\d)[.,]-")
_BRACKETED = re.compile(r"\(\s*([^\d()]+?)\s*\)")


def _strip_unit(text: str) -> tuple[str, str | None]:
    """``text`` without a "/unit" ending, ",-" or brackets around a mark; the unit, if any."""
    text = _BRACKETED.sub(r" \1", _WHOLE_AMOUNT.sub("", text)).strip()
    if match := _PER_UNIT.match(text):
        return match[1].strip(), match[2].strip()
    return text, None


def _grouped(whole: str, sep: str) -> bool:
    return bool(_GROUPED.match(whole.replace(sep, "X")))


def may_group_thousands(whole: str, fraction: str) -> bool:
    """Whether one mark between ``whole`` and ``fraction`` may group thousands ("5.318" may
    be 5318): exactly three digits after it, one to three (not a lone 0) before it;
    "1234.567" can only be a decimal."""
    return len(fraction) == 3 and 1 <= len(whole) <= 3 and whole != "0"


def _to_float(body: str, raw: object, decimal: str | None) -> tuple[float, bool, bool]:
    """Digits with separators -> (value, ambiguous, dot_decimal)."""
    dots, commas = body.count("."), body.count(",")
    not_number = PriceError(f"price '{raw}' is not a number")
    # With the decimal point given (--decimal), a price that says otherwise is refused.
    not_given = DecimalMismatch(raw, decimal) if decimal else not_number
    if dots and commas:
        dec = "." if body.rfind(".") > body.rfind(",") else ","
        thousands = "," if dec == "." else "."
        whole, _, frac = body.rpartition(dec)
        if body.count(dec) > 1 or not _grouped(whole, thousands):
            raise not_number
        if decimal is not None and dec != decimal:
            raise not_given
        return float(f"{whole.replace(thousands, '')}.{frac}"), False, dec == "."
    if not dots and not commas:
        return float(body), False, False
    sep = "." if dots else ","
    if body.count(sep) > 1:
        if not _grouped(body, sep):
            raise not_number
        if sep == decimal:
            raise not_given
        return float(body.replace(sep, "")), False, False
    whole, _, frac = body.partition(sep)
    if decimal is not None:
        if sep == decimal:
            return float(f"{whole or '0'}.{frac}"), False, sep == "."
        if may_group_thousands(whole, frac):
            return float(whole + frac), False, False
        raise not_given
    if may_group_thousands(whole, frac):
        return float(whole + frac), True, False
    return float(f"{whole or '0'}.{frac}"), False, sep == "."


def _as_typed(text: str) -> str:
    """A typed number's cell text without the "0" :func:`plain_decimal` adds ("2.1250"
    keeps 2.125 from reading as thousands; quoted, it reads as typed, "2.125")."""
    return text[:-1] if text.endswith("0") and re.fullmatch(THOUSANDS_LIKE, text[:-1]) else text


def parse_price(value: object, decimal: str | None = None) -> ParsedPrice:
    """One raw price -> :class:`ParsedPrice`; raises :class:`PriceError` with the reason."""
    typed = isinstance(value, TypedNumber)
    typed_text = str(value) if typed else None
    if typed:
        # Typed in its cell (Excel, Parquet), not written: no decimal point to read, so
        # --decimal does not apply, and the number is exact (its text pads 2.125 "2.1250").
        value = value.number
    if isinstance(value, bool):
        raise PriceError(f"price '{value}' is not a number")
    if value is None:
        raise PriceError("price is missing")
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if math.isnan(number):
            raise PriceError("price is missing")
        parsed = ParsedPrice(number)
        raw = f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)
        if typed:  # quoted as its cell reads: -1234567.89, not "-1.23457e+06"
            raw = _as_typed(typed_text)
    elif isinstance(value, str) and decimal in (None, ".") and (plain := _PLAIN.fullmatch(value)):
        # Most prices in most files: read directly, the same as the general path below
        # would, which costs tens of microseconds a price (seconds on a long file).
        parsed = ParsedPrice(float(value), dot_decimal=plain.group(1) is not None)
        raw = value
    else:
        raw = tidy_text(value)
        text = raw.casefold()
        if text in MISSING or fold(text) in MISSING:
            raise PriceError(f"price '{raw}' is missing" if raw else "price is missing")
        text, unit = _strip_unit(text)
        text, currency, multiplier = _strip_marks(text)
        text = _SPACES.sub("", text)
        if scientific := _SCIENTIFIC.match(text):
            # No one groups thousands in a mantissa: its one mark is the decimal point.
            point = scientific[1] or scientific[2]
            if point and decimal is not None and point != decimal:
                raise DecimalMismatch(raw, decimal)
            number = float(text.replace(",", ".")) * multiplier
            parsed = ParsedPrice(
                number, currency, dot_decimal=point == ".", unit=unit, scaled=multiplier != 1
            )
        elif not _BODY.match(text):
            if text in ("inf", "+inf", "-inf", "infinity"):
                raise PriceError(f"price '{raw}' is not finite")
            raise PriceError(f"price '{raw}' is not a number")
        else:
            negative = text[0] in "-−"
            body = text.lstrip("+-−")
            number, ambiguous, dot_decimal = _to_float(body, raw, decimal)
            if ambiguous and multiplier != 1:  # "45.333 nghìn", "1.500 triệu": a few of them
                number, ambiguous = number / 1000, False
            if multiplier != 1:
                number = times_exact(number, multiplier)
            number = -number if negative else number
            parsed = ParsedPrice(number, currency, ambiguous, dot_decimal, unit, multiplier != 1)
    if not math.isfinite(parsed.value):
        raise PriceError(f"price '{raw}' is not finite")
    if parsed.value <= 0:
        raise PriceError(f"price '{raw}' is not positive")
    return parsed


def parse_prices(
    frame: pd.DataFrame,
    options: CleanOptions,
    *,
    default_decimal: str | None = None,
    decimal_note: str | None = None,
    where: str | None = None,
) -> StepOutput:
    """Step "prices": ``price_raw`` -> float ``price`` and ``price_currency`` (a mark seen).

    ``default_decimal`` is the decimal point when ``options.decimal`` gives none, and
    ``decimal_note`` says why (a note of the report when it is used).

    A non-empty frame where no price can be read at all raises :class:`InputError`.
    """
    decimal = options.decimal or default_decimal
    found = _read_each(frame["price_raw"], functools.partial(_read_price, decimal=decimal))
    if default_decimal is not None and not options.decimal:
        found = _small_units_stay_open(frame, found)
    read = Readings(found)
    good = read.field(lambda r: isinstance(r, ParsedPrice), bool)
    if len(frame) and not good.any():
        raise InputError(
            f"no usable price in {len(frame)} rows (e.g. {found.iloc[0]})",
            where,
            _no_price_hint(found),
        )
    price = read.field(lambda r: r.value if isinstance(r, ParsedPrice) else np.nan, float)
    ambiguous = read.field(lambda r: isinstance(r, ParsedPrice) and r.ambiguous, bool)
    notes, details = [], {}
    if decimal_note and not options.decimal:
        notes.append(decimal_note)
    notes += _decimal_mismatch_note(found, read)
    marks = read.field(lambda r: r.currency if isinstance(r, ParsedPrice) else None)
    scaled = read.field(lambda r: isinstance(r, ParsedPrice) and r.scaled, bool)
    if ambiguous.any():
        price, more, details = _settle_thousands(
            frame,
            price,
            ambiguous,
            marks,
            scaled,
            known_prices=options.known_prices,
            chuc=options.chuc_size,
        )
        notes += more
    out = frame.assign(
        price=price,
        price_currency=marks,
        price_unit=read.field(lambda r: r.unit if isinstance(r, ParsedPrice) else None),
        price_scaled=scaled,
    )
    reasons = read.field(lambda r: None if isinstance(r, ParsedPrice) else str(r))
    kept, rejected = split_rejected(out, reasons)
    return StepOutput(kept, rejected, notes, details)


def _small_units_stay_open(frame: pd.DataFrame, found: pd.Series) -> pd.Series:
    """A publisher's file whose numbers write '.' as the decimal point (WFP's coordinates)
    has its "7.615" read as 7.615; in đồng and the like no price is a few units, so there
    such a price (one hand-added to the file, as Vietnamese writes 7,615 đồng) is read
    again as the prices around it say, "45.000" thousands as everywhere else. A published
    file never writes one: its đồng prices are "7615" or "7615.5"."""
    if "currency_raw" not in frame:
        return found
    from forecast.clean.currency import read_currency

    read = map_unique(frame["currency_raw"], read_currency)
    # Not "nghìn đồng": counted in thousands, its "7.615" is 7,615 đồng as read.
    small = read.map(lambda r: r[0] in SMALL_UNIT_CURRENCIES and r[1] == 1).astype(bool)
    if not small.any():
        return found
    raw = frame["price_raw"].astype(str).str.strip()
    open_ = small & raw.str.fullmatch(r"[1-9]\d{0,2}[.,]\d{3}\D*")
    if not open_.any():
        return found
    found = found.copy()
    found[open_] = _read_each(frame.loc[open_, "price_raw"], _read_price)
    return found


def _read_each(values: pd.Series, read) -> pd.Series:
    """``read`` once per distinct price, typed numbers apart from text: a typed 12.5 and a
    text "12.5" are equal strings that ``--decimal ,`` reads apart (the number as it is, the
    text refused), and reading them once would give both the first one's reading."""
    typed = np.fromiter((isinstance(v, TypedNumber) for v in values), bool, len(values))
    if typed.all() or not typed.any():
        return map_unique(values, read)
    found = np.empty(len(values), dtype=object)
    found[typed] = map_unique(values[typed], read).to_numpy()
    found[~typed] = map_unique(values[~typed], read).to_numpy()
    return pd.Series(found, index=values.index, dtype=object)


def _read_price(value: object, decimal: str | None = None) -> ParsedPrice | PriceError:
    """:func:`parse_price`, its error returned rather than raised (one a row, mapped)."""
    try:
        return parse_price(value, decimal)
    except PriceError as err:
        return err


def _mismatches(found: pd.Series) -> pd.Series:
    return found.map(lambda r: isinstance(r, DecimalMismatch)).astype(bool)


def _no_price_hint(found: pd.Series) -> str:
    """How to fix a file none of whose prices read: the decimal point when most prices are
    written with the other one ("5,45" read with '.'), else the price column's mapping."""
    mismatch = _mismatches(found)
    if 2 * mismatch.sum() > len(found):
        other = found[mismatch].iloc[0].other
        return f"Its prices write '{other}' as the decimal point: use --decimal {other}"
    return "Check that the price column is mapped (e.g. --map price=Giá)"


def _decimal_mismatch_note(found: pd.Series, read: Readings) -> list[str]:
    """A note when prices were refused for their decimal point: the rows are reported one by
    one, but the fix for all of them is one option."""
    mismatch = read.field(lambda r: isinstance(r, DecimalMismatch), bool)
    if not mismatch.any():
        return []
    first = found[mismatch].iloc[0]
    return [
        f"{int(mismatch.sum())} prices like '{first.raw}' were refused as not written with "
        f"'{first.decimal}' as the decimal point; if '{first.other}' is their decimal point, "
        f"use --decimal {first.other}"
    ]


#: The columns that tell one series from another at this step (units not yet converted).
_SERIES = ("commodity", "market", "price_type", "unit_raw", "currency_raw")


#: "51,750": a comma before three digits, no dot anywhere (Vietnamese writing, read as a
#: decimal comma where the currency counts in thousands).
_DECIMAL_COMMA = re.compile(r"[^.]*\d,\d{3}(?!\d)[^.]*")
#: Thousands grouped beyond doubt, with '.' ("1.234.567", "1.234,5") or ',' ("1,512.34").
_GROUPS = {
    ".": re.compile(r"\d\.\d{3}(?:\.\d{3}|,\d)"),
    ",": re.compile(r"\d,\d{3}(?:,\d{3}|\.\d)"),
}
#: A decimal point beyond doubt: one, two, or four and more digits after it ("0.37", "45,5"),
#: or three after a whole part no thousands group could be ("0.827", "1126.250": see
#: may_group_thousands), as a program writing every price with three decimals leaves them.
_DECIMALS = {
    mark: re.compile(
        rf"(?:\d{m}(?:\d{{1,2}}|\d{{4,}})|(?<![\d.,])(?:0|[1-9]\d{{3,}}){m}\d{{3}})(?![\d.,])"
    )
    for mark, m in ((".", r"\."), (",", ","))
}


#: A price written with exactly three digits after the mark, nothing else ("102.420").
_FIXED_THREE = {".": r"\d+\.\d{3}", ",": r"\d+,\d{3}"}


def _judge_by_kin(
    frame: pd.DataFrame, logs: pd.Series, clear: pd.Series, rows: pd.Series, zero_free: pd.Series
):
    """``(judged, decimal)`` for ambiguous ``rows`` whose own series cannot tell: the median
    clear price of the same commodity, unit and currency in the file's other series (three
    at least) says which reading is nearer, the two being a thousand times apart, further
    than markets or years of inflation differ: "1.276" diesel per litre in USD beside "1.3"
    elsewhere. Thousands so told are judged; decimals only where the series' ambiguous
    prices (almost) never end in 0, since a market writing dong in shorthand ("45.5" for
    45,500) must not turn another's "45.000" into 45."""
    columns = [c for c in ("commodity", "unit_raw", "currency_raw") if c in frame]
    none = pd.Series(False, index=frame.index)
    if len(columns) < 3 or not rows.any():
        return none, none
    kin = frame.groupby(columns, dropna=False, sort=False).ngroup()
    enough = clear.groupby(kin).transform("sum") >= 3
    median = logs.where(clear).groupby(kin).transform("median")
    told = rows & enough & median.notna()
    nearer = (logs - np.log(1000) - median).abs() < (logs - median).abs()
    decimal = told & nearer & zero_free
    return decimal | (told & ~nearer), decimal


#: Known prices further than this from a price's date tell nothing of its reading.
KNOWN_WITHIN = np.timedelta64(366, "D")
#: A reference price further than this from both readings of "56.500" tells neither (a
#: factor of about 30: the two readings are 1,000 apart).
_NEAR = np.log(31.6)
#: A file that writes this many prices with a plain decimal point ("35.38") for each
#: three-decimal one read as decimals by its series' clear prices writes decimals beyond
#: doubt (see ``decimals_beyond_doubt``).
PLAIN_DECIMALS = 3


def _judge_by_known(
    frame: pd.DataFrame, logs: pd.Series, rows: pd.Series, known: pd.DataFrame | None, chuc: int
):
    """``(judged, decimal)`` for ambiguous ``rows`` by their series' ``known`` prices
    (``CleanOptions.known_prices``) within ``KNOWN_WITHIN`` of each row's date: their mean
    log price per base unit (a kilo, a nut; a unit cropcast does not know, "bó", against the same
    unit), against the row's two readings per base unit ("56.500" per yến is 5,650 or 5.65
    đồng a kilo). The nearer reading wins when it is within a factor of 30 of the known
    price. Prices years apart tell nothing: a 2017 back-fill of Sudan's millet is not read
    by its 2024 prices, a thousand times higher after years of inflation."""
    from forecast.clean.currency import read_currency
    from forecast.clean.units import parse_unit

    none = pd.Series(False, index=frame.index)
    needed = {"commodity", "market", "price_type", "unit_raw", "currency_raw", "date"}
    if known is None or known.empty or not rows.any() or not needed <= set(frame.columns):
        return none, none

    def per_base(unit: object) -> tuple[str, float]:
        parsed = parse_unit(unit, chuc)
        if not parsed.known:
            return f"other:{parsed.name}", 1.0
        return parsed.dimension, parsed.size / parsed.price_scale

    base_of = {u: per_base(u) for u in known["unit"].unique()}
    stored = known.assign(
        _dim=known["unit"].map(lambda u: base_of[u][0]),
        _log=np.log(known["price"].astype(float))
        - np.log(known["unit"].map(lambda u: base_of[u][1]).astype(float)),
        _day=pd.to_datetime(known["date"]).to_numpy(dtype="datetime64[ns]"),
    ).sort_values("_day", kind="stable")
    mine = frame.loc[rows]
    unit = map_unique(mine["unit_raw"], per_base)
    wanted = pd.DataFrame(
        {
            "commodity": mine["commodity"],
            "market": mine["market"],
            "price_type": mine["price_type"],
            "currency": map_unique(mine["currency_raw"], lambda c: read_currency(c)[0]),
            "_dim": unit.map(lambda u: u[0]),
            "_day": mine["date"].to_numpy(dtype="datetime64[ns]"),
        },
        index=mine.index,
    )
    keys = ["commodity", "market", "price_type", "currency", "_dim"]
    ref = pd.Series(np.nan, index=mine.index)
    known_by = dict(list(stored.groupby(keys, dropna=False, sort=False)))
    for key, part in wanted.groupby(keys, dropna=False, sort=False):
        group = known_by.get(key)
        if group is None:
            continue
        # The mean known log price within a year of each row, by cumulative sums: one pass
        # a series, however many rows (a row-by-row median took 2 s on a 5,000-row file).
        days, sums = group["_day"].to_numpy(), np.r_[0.0, np.cumsum(group["_log"].to_numpy())]
        lo = np.searchsorted(days, part["_day"].to_numpy() - KNOWN_WITHIN, side="left")
        hi = np.searchsorted(days, part["_day"].to_numpy() + KNOWN_WITHIN, side="right")
        with np.errstate(invalid="ignore", divide="ignore"):
            ref[part.index] = np.where(hi > lo, (sums[hi] - sums[lo]) / (hi - lo), np.nan)
    base = logs[rows] - np.log(unit.map(lambda u: u[1]).astype(float))
    as_thousands = (base - ref).abs()
    as_decimal = (base - np.log(1000) - ref).abs()
    judged = ref.notna() & (np.minimum(as_thousands, as_decimal) < _NEAR)
    decimal = judged & (as_decimal < as_thousands)
    # One reading a series in one file: its rows beyond a year of the known prices but
    # within a year of rows they judged read as most of those do (a 2023-24 file was read
    # half as 57,000 đồng, half as 57 million, where the store's 2022 prices reached). Not
    # further: a back-fill years before is no evidence of the same reading.
    series = pd.Series(
        list(zip(*(mine[c] for c in _SERIES if c in mine), strict=True)), index=mine.index
    )
    days = wanted["_day"]
    for _, part in pd.DataFrame({"series": series, "day": days}).groupby("series", sort=False):
        told = part.index[judged[part.index].to_numpy()]
        rest = part.index[~judged[part.index].to_numpy()]
        if not len(told) or not len(rest):
            continue
        order = np.argsort(days[told].to_numpy(), kind="stable")
        told_days = days[told].to_numpy()[order]
        votes = np.r_[0, np.cumsum(decimal[told].to_numpy()[order])]
        when = days[rest].to_numpy()
        lo = np.searchsorted(told_days, when - KNOWN_WITHIN, side="left")
        hi = np.searchsorted(told_days, when + KNOWN_WITHIN, side="right")
        near = hi > lo
        share = np.where(near, (votes[hi] - votes[lo]) / np.maximum(hi - lo, 1), 0.0)
        judged[rest[near]] = True
        decimal[rest[near]] = share[near] > 0.5
    return judged.reindex(frame.index, fill_value=False), decimal.reindex(
        frame.index, fill_value=False
    )


#: Currencies whose unit is worth so little that no price in the thousands could be a few
#: units (a kilo of rice for 45 đồng): "45.000" in them is read as thousands unless the
#: series' own clear prices, or the user, say otherwise, never on other series' word.
#: Clear decimal points ("40.5") in the whole file that make its lone "1.536" a decimal.
FILE_POINTS = 12

SMALL_UNIT_CURRENCIES = frozenset(
    {
        *("VND", "IDR", "LAK", "KHR", "IRR", "UZS", "MMK", "LBP", "SYP", "GNF", "PYG"),
        *("COP", "UGX", "TZS", "MGA", "BIF", "CDF", "MNT", "KRW", "IQD", "SLL", "RWF", "STD"),
        # CFA francs: a kilo of anything costs tens to thousands of them, never a few.
        *("XOF", "XAF", "FCFA", "CFA"),
    }
)


def _currencies(
    frame: pd.DataFrame, marks: pd.Series, scaled: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Per row: its currency as the file writes it (an ISO code where known), and how many
    units its price counts (1000 for "45" nghìn đồng, 1 for "45.000đ" beside it): a currency
    counted in thousands is no small unit ("45.5" nghìn đồng is a fine price), so it gets a
    code of its own here."""
    from forecast.clean.currency import counted_units, read_currency

    if "currency_raw" not in frame:
        return pd.Series("", index=frame.index), pd.Series(1.0, index=frame.index)
    read = map_unique(frame["currency_raw"], read_currency)
    code = read.map(lambda r: r[0] if r[1] == 1 else f"{r[0]} x{r[1]:g}").astype(str)
    return code, counted_units(read.map(lambda r: r[1]), marks, scaled)


def _small_unit(currency: pd.Series, marks: pd.Series, series: pd.Series) -> pd.Series:
    """Per row: whether its series is in a small-unit currency: by its currency column, or,
    where that column is blank, by a currency mark on a price of its series (``marks``, as
    :func:`parse_price` read them: a file without currencies whose prices say "đ" here and
    there is in đồng throughout, bar the prices marked "$")."""
    blank = ~currency.astype(bool)
    dong = blank & marks.isin(SMALL_UNIT_CURRENCIES)
    if blank.all():  # no currency written anywhere: the marks speak for the file
        other = marks.notna() & ~marks.isin(SMALL_UNIT_CURRENCIES)
        return pd.Series(bool(dong.any()), index=currency.index) & ~other
    named = currency.isin(SMALL_UNIT_CURRENCIES)
    return named | (dong.groupby(series).transform("any").astype(bool) & blank)


def _file_says_decimals(
    frame: pd.DataFrame, clear: pd.Series, zero_free: pd.Series, currency: pd.Series
):
    """Per row: whether the way its currency's prices are written in the file makes its
    "1.276" a decimal, when few of its series' ambiguous prices end in 0 (``zero_free``: a
    program's decimals seldom do; thousands mostly do: "45.000").

    Yes when that currency's prices group thousands with the other mark ("1,512.34" beside
    "1.276") and never with this one, or use this mark as a decimal point ("0.37", three
    at least) and never group with it. Failing that, yes when the whole file does the
    latter, ``FILE_POINTS`` times at least: a program writes every currency alike, so
    diesel's "1.536" USD a litre beside years of "40.5" AFN is 1.536 (it was read 1,536
    USD). A few dollar prices written the English way ("1.45") do not make a sheet's
    "4.480" shillings decimals. The caller leaves đồng and the like out: their "45.000"
    stays thousands.
    """
    raw = frame["price_raw"].astype(str)
    mark = pd.Series(np.where(raw.str.contains(",", regex=False), ",", "."), index=frame.index)
    grouping = {m: raw.str.contains(pattern) for m, pattern in _GROUPS.items()}
    grouped = {m: found.groupby(currency).transform("sum") > 0 for m, found in grouping.items()}
    says = pd.Series(False, index=frame.index)
    for m, other in ((".", ","), (",", ".")):
        point = clear & raw.str.contains(_DECIMALS[m])
        points = point.groupby(currency).transform("sum")
        says |= (mark == m) & ~grouped[m] & (grouped[other] | (points >= 3))
        in_file = int(point.sum()) >= FILE_POINTS and not grouping[m].any()
        says |= (mark == m) & in_file
    # A file written in a fixed three-decimal format is settled before (_fixed_three_format).
    return says & zero_free


def _fixed_three_format(
    frame: pd.DataFrame, clear: pd.Series, currency: pd.Series, small_unit: pd.Series
) -> pd.Series:
    """Per row: whether its price is one of a file (or a currency of it) written in a fixed
    three-decimal format ("%.3f", Excel's 0.000): every price with exactly three digits
    after one mark, none grouped with it, and at least one no thousands group could be
    ("1072.500", "0.827"). Thousands grouping never writes "1072.500" (it is "1.072.500"),
    nor a price under a thousand with a mark at all ("850"), so one such price settles it:
    "591.000" beside it is 591, not 591,000, whatever the prices around it. Small-unit
    currencies (đồng) are left to their own evidence: a file in đồng written "%.3f" shows it
    in its own prices ("45000.000").
    """
    raw = frame["price_raw"].astype(str).str.strip()
    out = pd.Series(False, index=frame.index)
    for m in (".", ","):
        three = raw.str.fullmatch(_FIXED_THREE[m])
        if not three.any():
            continue
        fixed = three | raw.eq("")
        grouped = raw.str.contains(_GROUPS[m])  # "1.072.500": thousands, not this format
        points = clear & raw.str.contains(_DECIMALS[m])
        by_currency = pd.DataFrame({"fixed": fixed, "grouped": grouped, "points": points})
        by_currency = by_currency.groupby(currency)
        in_currency = (
            by_currency["fixed"].transform("all")
            & ~by_currency["grouped"].transform("any")
            & by_currency["points"].transform("any")
        )
        in_file = bool(fixed.all()) and not grouped.any() and bool(points.any())
        out |= three & (in_currency | in_file) & ~small_unit
    return out


def _settle_thousands(
    frame: pd.DataFrame,
    price: pd.Series,
    ambiguous: pd.Series,
    marks: pd.Series,
    scaled: pd.Series,
    known_prices: pd.DataFrame | None = None,
    chuc: int = 12,
):
    """Each "1.500"-like price (read as 1500) is read the way the prices around it say.

    The two readings are a thousand times apart, so the clearly written prices of its own
    series ("1480", "5317.5", "93.1") tell which it is: the reading nearer, in logs, to the
    clear prices just before and after it in time (a price that rose from 8 to 3,000 over
    the years is judged by its neighbours, not by its early years). Decimals need the clear
    prices to be a fair share of the series (a third at least, and two): a dong series with
    a "45.5" typo among its "45.000"s stays in thousands. Two are enough when the ambiguous
    prices (almost) never end in 0, as a program writing decimals leaves them ("5.225" among
    "5.45"s: "5.450" is written "5.45"). A series with no such evidence
    keeps the guess, thousands ("45.000" is how dong are written), and the report says so;
    other series, perhaps in another currency, do not decide for it. Prices ``known_prices`` of
    its series beforehand (a store's, see ``CleanOptions.known_prices``) come next.

    Returns the prices, the notes and ``details["thousands"]``: ``decimals`` and
    ``thousands`` (how many prices were read each way), ``guessed`` (thousands without
    evidence) and an example ``raw`` value with its ``value`` for each.
    """
    columns = [c for c in _SERIES if c in frame]
    series = (
        frame.groupby(columns, dropna=False, sort=False).ngroup()
        if columns
        else pd.Series(0, index=frame.index)
    )
    currency, units = _currencies(frame, marks, scaled)
    # Compared in whole units: "45" nghìn đồng beside "45.000đ" is one price, not two.
    logs = np.log((price * units).where(price > 0))
    clear = logs.notna() & ~ambiguous
    priced = logs.notna().groupby(series).transform("sum")
    share = clear.groupby(series).transform("sum")
    # A program writing decimals drops trailing zeros ("5.45", not "5.450"), so its
    # three-decimal prices never end in 0, and only the tenth of them that happened to end
    # in 0 come out clear; prices grouped in thousands mostly end in 0 ("45.000", "12.500").
    # Ambiguous prices that (almost) never end in 0 need fewer clear ones beside them.
    ends_in_zero = ambiguous & frame["price_raw"].astype(str).str.contains(r"[.,]\d\d0(?!\d)")
    n_ambiguous = ambiguous.groupby(series).transform("sum")
    n_zero = ends_in_zero.groupby(series).transform("sum")
    zero_free = (n_ambiguous >= 3) & (10 * n_zero <= n_ambiguous)
    small_unit = _small_unit(currency, marks, series)
    # A file (or currency) written in a fixed three-decimal format: its format decides for
    # every one of its prices, before any series' neighbours do.
    fixed_format = ambiguous & _fixed_three_format(frame, clear, currency, small_unit)
    # A series of two or three prices, one of them clear ("113.34", "187.735"): that one
    # tells, as long as no smaller unit (đồng) makes "45.000" thousands regardless.
    few = (share == 1) & (3 * share >= priced) & ~small_unit
    fair = (share >= 2) & ((3 * share >= priced) | zero_free) | few
    # The clear prices nearest in time before and after each row, within its series.
    order = (
        frame.assign(_series=series)
        .sort_values(["_series", "date"] if "date" in frame else ["_series"], kind="stable")
        .index
    )
    known = logs.where(clear).loc[order]
    by = series.loc[order]
    before, after = known.groupby(by).ffill(), known.groupby(by).bfill()
    reference = pd.concat([before, after], axis=1).mean(axis=1).reindex(frame.index)
    decimal = pd.Series(False, index=frame.index)
    judged = ambiguous & reference.notna() & fair & ~fixed_format
    decimal[judged] = (logs - np.log(1000) - reference).abs() < (logs - reference).abs()
    # Thousands confirmed by clear prices around them, even too few for decimals.
    told = ambiguous & reference.notna() & (judged | ((logs - reference).abs() < _NEAR))
    told |= fixed_format
    # No clear price of its own in the file: the series' known prices (the store's), which
    # are its own, in đồng too.
    known_judged, known_decimal = _judge_by_known(
        frame, logs, ambiguous & ~told, known_prices, chuc
    )
    told |= known_judged
    # Still none: the same commodity's elsewhere, then the way the file writes its
    # currency (never for đồng and the like: see SMALL_UNIT_CURRENCIES).
    open_rows = ambiguous & ~told
    kin_judged = kin_decimal = file_decimal = pd.Series(False, index=frame.index)
    if open_rows.any():
        open_rows &= ~small_unit
        # One or two ambiguous prices, none ending in 0, beside at least three clear prices
        # of the same commodity a thousand times nearer ("186.125" beside "185.25"s): the
        # kin are evidence enough, in a currency where a price of a few units is possible.
        no_zero = n_zero == 0
        kin_zero_free = zero_free | ((n_ambiguous < 3) & no_zero)
        kin_judged, kin_decimal = _judge_by_kin(frame, logs, clear, open_rows, kin_zero_free)
        file_decimal = open_rows & ~kin_judged
        if file_decimal.any():  # the file-wide look costs a pass over every price
            # Where the file's own prices in this currency say decimals beyond doubt, a
            # tenth or so ending in 0 is what a fixed three-decimal format leaves ("202.370"
            # in "%.3f"); grouped thousands end in 0 far more often ("45.000", "12.500").
            few_zeros = ((n_ambiguous >= 3) & (4 * n_zero <= n_ambiguous)) | (
                (n_ambiguous < 3) & no_zero
            )
            file_decimal &= _file_says_decimals(frame, clear, few_zeros, currency)
    # Prices counted in thousands of their currency ("nghìn đồng") are small numbers, and
    # Vietnamese writes a decimal comma: with nothing else to tell, "51,750" is 51.75
    # thousand (51,750 đ). "12.500" (a dot groups thousands in Vietnamese) keeps the guess.
    comma = frame["price_raw"].astype(str).str.fullmatch(_DECIMAL_COMMA)
    counted = (ambiguous & ~told) & comma & units.gt(1)
    own_decimal = decimal.copy()
    decimal |= known_decimal | kin_decimal | file_decimal | counted | fixed_format
    told |= kin_judged | file_decimal | counted
    guessed = ambiguous & ~told
    price = price.where(~decimal, price / 1000)
    thousands = ambiguous & ~decimal
    raw = frame["price_raw"]
    readings = (("decimals", decimal), ("thousands", thousands & ~guessed), ("guessed", guessed))
    details = {
        "thousands": {
            "decimals": int(decimal.sum()),
            "thousands": int(thousands.sum()),
            "guessed": int(guessed.sum()),
            **{
                f"{name}_example": {
                    "raw": str(raw[rows].iloc[0]),
                    "value": float(price[rows].iloc[0]),
                }
                for name, rows in readings
                if rows.any()
            },
        }
    }
    small = guessed & small_unit
    if guessed.any():  # in đồng and the like, the currency itself is the reason
        details["thousands"]["guessed_small_unit"] = bool(small[guessed].all())
        details["thousands"]["guessed_in_small_unit"] = int(small.sum())
        if small.any() and (guessed & ~small).any():  # each kind its own example
            for name, rows in (("guessed", guessed & ~small), ("guessed_small", small)):
                details["thousands"][f"{name}_example"] = {
                    "raw": str(raw[rows].iloc[0]),
                    "value": float(price[rows].iloc[0]),
                }
    notes = []
    whys = (
        (own_decimal, "the clear prices around them in their series say"),
        (known_decimal, "their series' prices already in the store say"),
        (kin_decimal, "the same commodity's clear prices in other markets say"),
        (counted, "their currency counts in thousands (or more)"),
        (
            file_decimal,
            "the file's other numbers say",
        ),
        (fixed_format, "the file writes every price with three decimals, some beyond doubt"),
    )
    if decimal.any():  # why the example was read so
        first = decimal.idxmax()
        details["thousands"]["decimals_why"] = next(why for rows, why in whys if rows[first])
        # Read so by their own series' clear prices, in a file that writes its decimal point
        # plainly in most prices ("35.38", "1.63000011444"): a reading beyond doubt, which
        # the commands need not say (a Pink Sheet export said "1233 prices like '35.375'
        # were read as 35.375" on every run). Data check's notes still list them.
        example = str(raw[first])
        point = "." if "." in example else ","
        plain = raw.astype(str).str.fullmatch(rf"\s*-?\d+{re.escape(point)}(\d{{1,2}}|\d{{4,}})\s*")
        details["thousands"]["decimals_beyond_doubt"] = bool(
            not (decimal & ~own_decimal).any() and plain.sum() >= PLAIN_DECIMALS * decimal.sum()
        )
    for rows, why in whys:
        if rows.any():
            notes.append(
                f"{int(rows.sum())} prices like '{raw[rows].iloc[0]}' were read as decimals "
                f"({price[rows].iloc[0]:g}), as {why}"
            )
    # The option that reads them the other way: the separator they were read as grouping
    # is then the decimal point (the CLI's --decimal; CleanOptions.decimal in Python).
    if (thousands & ~guessed).any():
        rows = thousands & ~guessed
        example = raw[rows].iloc[0]
        notes.append(
            f"{int(rows.sum())} prices like '{example}' were read as thousands "
            f"({price[rows].iloc[0]:g}), as the clear prices around them (in their series or "
            "their commodity's other markets) say; "
            f"add --decimal {_point_in(example)} to read them as decimals"
        )
    # No price is a few đồng: --decimal would only read those as one (as forecast's and
    # ingest's note say, commands.shared.note_thousands), so it is offered for the others.
    for rows, in_small_unit in ((guessed & ~small, False), (small, True)):
        if not rows.any():
            continue
        example = raw[rows].iloc[0]
        said = (
            f"{int(rows.sum())} prices like '{example}' read as thousands "
            f"({price[rows].iloc[0]:g}: '.'/',' before exactly three digits)"
        )
        if in_small_unit:
            notes.append(f"{said}, as their currency's prices are written")
        else:
            # --decimal reads the whole file: beside đồng it would make those a few đồng.
            too = (
                f" (it reads the đồng ones like '{raw[small].iloc[0]}' so too: clean the "
                "others in a file of their own)"
                if small.any()
                else ""
            )
            notes.append(
                f"{said} with nothing in their series to tell; add --decimal "
                f"{_point_in(example)} if they are decimals{too}"
            )
    return price, notes, details
