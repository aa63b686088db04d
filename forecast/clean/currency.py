"""Currencies: names -> ISO 4217 codes; conversion only when asked, never silently.

"đ", "đồng", "VNĐ", "dong", "₫" are VND; "$", "US$" are USD; "baht", "฿" THB; "Rs" LKR.
A price marked "$" or "Rs" is in its currency column's dollars or rupees (COP, INR), and
"FCFA" in its column's CFA francs (XOF, XAF).
Other text is upper-cased as written. A currency counted in thousands or millions, as
Vietnamese sheets often write it ("nghìn đồng", "1000 VND", "VND '000", "triệu đồng",
"x1000đ", "1.000đ", "đ x 1000"), is
that currency, and its prices are scaled to whole units (45 -> 45,000), with a note. A row
without a currency takes one written in its price ("45.000 đ"); a file with no currency at
all whose marked prices all name one currency is in that currency. A price mark that
contradicts the currency column refuses the row.

With ``CleanOptions.rates`` and ``CleanOptions.currency``, prices in other currencies are
converted: a ``currency -> target`` rate, or the inverse of ``target -> currency``. With a
``date`` column in the rates table each row takes the latest rate on or before its date (the
first rate for rows before it). A currency with no rate stops cleaning with an InputError.

A file priced in both a currency's old and new code (Sierra Leone's leone, SLL until 2022,
SLE after, 1,000 to 1) has its old prices converted at the fixed legal rate
(``REDENOMINATIONS``), with a note: the two codes are one currency, and the series they
split in two are one price history.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forecast.clean.base import (
    StepOutput,
    add_mark,
    fmt_number,
    fold,
    map_unique,
    series_name,
    split_rejected,
    tidy_text,
    times_exact,
)
from forecast.clean.numbers import MULTIPLIER_WORDS
from forecast.clean.options import CleanOptions
from forecast.errors import InputError

_NAMES = {
    "d": "VND",
    "dong": "VND",
    "vnd": "VND",
    "₫": "VND",
    "vn dong": "VND",
    "viet nam dong": "VND",
    "vietnam dong": "VND",
    "vietnamese dong": "VND",
    "$": "USD",
    "us$": "USD",
    "usd": "USD",
    "us dollar": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "฿": "THB",
    "baht": "THB",
    "thb": "THB",
    "rs": "LKR",
    "rs.": "LKR",
    "lkr": "LKR",
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "rp": "IDR",
    "rupiah": "IDR",
    # Written in WFP's and ministries' sheets rather than the ISO code, as the price marks
    # read them (forecast.clean.numbers): "KSh 45" in a KSh column is one currency.
    "ksh": "KES",
    "kshs": "KES",
    "ush": "UGX",
    "ushs": "UGX",
    "tsh": "TZS",
    "tshs": "TZS",
    "₦": "NGN",
    "kip": "LAK",
    "riel": "KHR",
    "birr": "ETB",
    "naira": "NGN",
}
#: Price marks that several currencies write (forecast.clean.numbers reads "$ 4.50" as "$"):
#: the currencies each may be, and the one it is in a file without a currency column.
_SHARED_MARKS = {
    "$": (
        "USD",
        frozenset(
            {
                *("USD", "AUD", "CAD", "NZD", "SGD", "HKD", "TWD", "LRD", "ZWL", "ZWG", "MXN"),
                *("COP", "CLP", "ARS", "NAD", "JMD", "TTD", "BSD", "BBD", "BZD", "FJD", "GYD"),
                *("SRD", "SBD", "XCD", "DOP", "UYU", "CUP"),
            }
        ),
    ),
    "Rs": ("LKR", frozenset({"LKR", "INR", "PKR", "NPR", "MUR", "SCR"})),
    "FCFA": ("FCFA", frozenset({"XOF", "XAF", "FCFA", "CFA", "F CFA"})),
}


def mark_currency(mark: str | None, written: str) -> str | None:
    """The currency a price mark names, given the currency column's (``written``, '' if
    blank): "Rs 100" in a column of INR is INR, "$ 4.50" of COP is COP; without a column
    the mark's usual one (USD, LKR)."""
    if mark not in _SHARED_MARKS:
        return mark
    usual, may_be = _SHARED_MARKS[mark]
    return written if written in may_be else usual


#: A unit after the currency, as a price column's header or cell may carry it ("đ/kg").
_PER_UNIT = re.compile(r"\s*/.*$")
#: How many units a currency's prices count, written before it ("nghìn đồng", "1000 VND",
#: "k VND", "triệu đ") or after it ("VND '000", "VND (000)", "VND thousands"); on folded text.
_SCALES = {
    **{fold(word): factor for word, factor in MULTIPLIER_WORDS},  # nghìn, k, triệu, tỷ ...
    **dict.fromkeys(("thousand", "thousands", "1000", "1.000", "1,000"), 1e3),
    **dict.fromkeys(("'000", "000", "(000)", "('000)", "000s", "'000s"), 1e3),
    **dict.fromkeys(("million", "millions", "1000000", "1.000.000"), 1e6),
    **dict.fromkeys(("1,000,000", "'000,000", "(000,000)", "mn"), 1e6),
}
#: Vietnamese scale words that, alone in a currency column, mean thousands (millions) of
#: đồng: no other currency is counted in them. ("k" alone stays as written: it is also the
#: kwacha's, kyat's and kina's sign.)
_VIETNAMESE_SCALES = frozenset(("nghin", "ngan", "trieu"))
_ISO_CODE = re.compile(r"[a-z]{3}")
#: Brackets around the whole currency, as a price column's header writes it: "(x1000đ)".
_ENCLOSED = re.compile(r"^\((.*)\)$")
#: A multiplication sign before a number: "x1000 VND", "×1000 đồng", "đ x 1000".
_TIMES = re.compile(r"(?:^|(?<=[\s(]))[x×*]\s*(?=\d)")
#: A number glued to the currency after it: "1000đ", "1.000đ".
_GLUED = re.compile(r"^(\d[\d.,]*)(?=[^\d\s.,'])")


def _currency_name(text: str) -> str | None:
    """A known currency name's ISO code, or a three-letter code as written."""
    return _NAMES.get(text) or (text.upper() if _ISO_CODE.fullmatch(text) else None)


def read_currency(value: object) -> tuple[str, float]:
    """Currency text -> (ISO code, units per price): "nghìn đồng" -> ("VND", 1000.0),
    "đ/kg" -> ("VND", 1.0); ("", 1.0) when missing. A scale word is read only beside a
    currency name or a three-letter code ("1000 KES"), so other text stays as written."""
    key = _PER_UNIT.sub("", fold(value)) or fold(value)
    if not key:
        return "", 1.0
    if key.endswith(".") and key[:-1] in _NAMES:  # an abbreviation's dot: "Ksh.", "Rs."
        key = key[:-1]
    if key in _NAMES:
        return _NAMES[key], 1.0
    if key in _VIETNAMESE_SCALES:  # "nghìn" alone, as a Vietnamese sheet heads its prices
        return "VND", _SCALES[key]
    spaced = _spaced(key)
    first, _, rest = spaced.partition(" ")
    before, _, last = spaced.rpartition(" ")
    for scale, name in ((first, rest), (last, before)):
        units = _SCALES.get(scale) or _SCALES.get(scale.strip("()"))
        if units and (code := _currency_name(name.strip())):
            return code, units
    return (key.upper() if key.isascii() else str(value).strip().upper()), 1.0


def _spaced(key: str) -> str:
    """Folded currency text with its scale a word of its own, as depots' sheets write it
    glued or multiplied: "(x1000đ)", "1.000đ", "đ x 1000" -> "1000 d", "1.000 d", "d 1000"."""
    key = _ENCLOSED.sub(r"\1", key).strip()
    key = _TIMES.sub("", key)
    return _GLUED.sub(r"\1 ", key)


def counted_units(
    units: pd.Series, marks: pd.Series, scaled: pd.Series, prices: pd.Series | None = None
) -> pd.Series:
    """Per row: how many units of its currency its price counts: its currency's scale
    (``units``, as :func:`read_currency` reads "nghìn đồng" or "x1000đ": 1000), but 1 for a
    price that says its own amount, by a multiplier word ("45 nghìn") or a currency mark
    ("45.000đ" is đồng, not thousands of them): such a price is not scaled twice. Given the
    ``prices``, a marked one smaller than the scale ("47đ" among nghìn đồng) is counted in
    it: written whole, it would be written in thousands or more."""
    units = units.astype(float)
    marked = marks.map(lambda m: isinstance(m, str) and bool(m)).astype(bool)
    if prices is not None:
        # Against a thousand, not the scale: "750.000đ" in a triệu đồng column is whole đồng.
        small = pd.to_numeric(prices, errors="coerce") < np.minimum(units, 1000)
        marked &= ~small.fillna(False).astype(bool)
    own = scaled.eq(True) | marked
    return units.where(~own, 1.0)


def names_a_currency(text: object) -> bool:
    """Whether text is a currency cropcast knows, perhaps counted in thousands ("đ",
    "x1000đ", "VND/kg", "KES '000"), not any three letters ("ton", "bag")."""
    code, units = read_currency(text)
    return units != 1 or code in _NAMES.values()


def is_currency_name(text: object) -> bool:
    """Whether folded text names a currency cropcast knows ("usd", "dong", "baht")."""
    return fold(text) in _NAMES


def normalise_currency(value: object) -> str:
    """Currency text -> ISO code ("đồng" -> "VND", "đ/kg" -> "VND"); '' when missing."""
    return read_currency(value)[0]


def normalise_currencies(frame: pd.DataFrame, options: CleanOptions) -> StepOutput:
    """Step "currency names": ``currency_raw`` -> ISO ``currency``.

    Refuses rows with no currency anywhere and rows whose price names another currency.
    """
    raw = map_unique(frame["currency_raw"], tidy_text).tolist()
    read = map_unique(frame["currency_raw"], read_currency)
    written = [code for code, _ in read]
    none = pd.Series(None, index=frame.index, dtype=object)
    price_marks = frame.get("price_currency", none)
    scaled = frame.get("price_scaled", none)
    scale = counted_units(read.map(lambda r: r[1]), price_marks, scaled, frame.get("price"))
    marks = [
        mark_currency(m, w) if isinstance(m, str) and m else None
        for m, w in zip(price_marks.tolist(), written, strict=True)
    ]
    notes = []
    marked = {m for m in marks if m}
    fallback = None
    if not any(written) and len(marked) == 1:
        # A sheet without a currency column, where some prices say "đ": the file is in VND.
        (fallback,) = marked
        notes.append(
            f"no currency column; prices are marked {fallback}, so all rows are {fallback}"
        )
    code = [w or m or fallback or "" for w, m in zip(written, marks, strict=True)]
    taken = sum(1 for w, m in zip(written, marks, strict=True) if not w and m)
    if taken and fallback is None:
        notes.append(f"currency taken from the price text for {taken} rows")
    reasons = [
        "currency is missing"
        if not c
        else f"price '{p}' is in {m} but the currency is {c}"
        if m and m != c
        else None
        for c, m, p in zip(code, marks, frame["price_raw"].tolist(), strict=True)
    ]
    out = frame.assign(currency=pd.Series(code, index=frame.index, dtype=object))
    if "price" in out and scale.ne(1).any():
        pairs = pd.Series(list(zip(out["price"].astype(float), scale.astype(float), strict=True)))
        scaled = map_unique(pairs, lambda pair: times_exact(*pair))
        out["price"] = scaled.to_numpy(dtype=float)
    kept, rejected = split_rejected(out, pd.Series(reasons, index=frame.index, dtype=object))
    renamed: dict[tuple[str, str, float], int] = {}
    for text, iso, units in zip(raw, code, scale.tolist(), strict=True):
        if text and (text != iso or units != 1):
            renamed[(text, iso, units)] = renamed.get((text, iso, units), 0) + 1
    for (text, iso, units), n in sorted(renamed.items()):
        scaled = f", prices x{units:,.0f}" if units != 1 else ""
        notes.append(f"currency '{text}' read as {iso}{scaled} ({n} rows)")
    # Read as a code without a change of scale ("usd", "đồng"): outputs write the code.
    names = frame[["commodity", "market", "price_type"]].itertuples(index=False, name=None)
    where: dict[tuple[str, str], set] = {}
    for name, text, iso in zip(names, raw, code, strict=True):
        if text and text != iso:
            where.setdefault((text, iso), set()).add(name)
    respelled = [
        {"column": "currency", "from": text, "to": iso, "series": sorted(where[(text, iso)])}
        for text, iso, units in sorted(renamed)
        if units == 1 and iso
    ]
    details = {"conversions": _scalings(kept, scale), "respelled": respelled}
    return StepOutput(kept, rejected, notes, details)


def _scalings(kept: pd.DataFrame, scale: pd.Series) -> list[dict]:
    """Per series and currency text: the prices scaled from thousands (or millions) of it."""
    scaled = kept[scale.reindex(kept.index).ne(1)]
    conversions = []
    columns = ["commodity", "market", "currency_raw", "currency"]
    for (commodity, market, raw, iso), group in scaled.groupby(columns, sort=True):
        series = series_name(commodity, market)
        units = float(scale[group.index[0]])
        conversions.append(
            {
                "kind": "currency scale",
                "series": series,
                "from": tidy_text(raw),
                "to": iso,
                "rows": len(group),
                "factor": units,
                "text": f"{series}: {tidy_text(raw)} -> {iso}, {len(group)} rows, x{units:,.0f}",
            }
        )
    return conversions


#: Redenominations since WFP began collecting prices: old ISO code -> (new code, old units
#: per new one, when). Fixed by law, so converting needs no rate from the user.
REDENOMINATIONS = {
    "AFA": ("AFN", 1000, "October 2002"),
    "TRL": ("TRY", 1_000_000, "January 2005"),
    "MGF": ("MGA", 5, "January 2005"),
    "MZM": ("MZN", 1000, "July 2006"),
    "SDD": ("SDG", 100, "January 2007"),
    "GHC": ("GHS", 10_000, "July 2007"),
    "VEB": ("VEF", 1000, "January 2008"),
    "ZMK": ("ZMW", 1000, "January 2013"),
    "BYR": ("BYN", 10_000, "July 2016"),
    "MRO": ("MRU", 10, "January 2018"),
    "STD": ("STN", 1000, "January 2018"),
    "VEF": ("VES", 100_000, "August 2018"),
    "SLL": ("SLE", 1000, "July 2022"),
}


def redenomination_plan(present: set[str]) -> dict[str, tuple[str, int, str]]:
    """Old code -> (the newest code of its chain in ``present``, old units per new one, when
    that code came): VEB -> VES through VEF, in a file holding VEB and VES."""
    plan = {}
    for code in sorted(present):
        step, units = code, 1
        while step in REDENOMINATIONS:
            step, times, when = REDENOMINATIONS[step]
            units *= times
            if step in present:
                plan[code] = (step, units, when)
    return plan


def join_redenominations(frame: pd.DataFrame, options: CleanOptions) -> StepOutput:
    """Step "redenominations": a file priced in a currency's old and new codes (SLL and
    SLE) has its old prices converted to the new code at the legal rate, with a note.

    Kept apart, every series priced across the change split in two: the new part, a few
    years long, got ranges from those years only, and the old part was forecast for months
    already past. A file in the old code alone is left in it (nothing says the user wants
    the new one). Prices written in the old code but at the new level are kept as they are
    (see :func:`_already_new`).
    """
    plan = redenomination_plan(set(frame["currency"]))
    if not plan:
        return StepOutput(frame)
    price = frame["price"].astype(float).copy()
    currency = frame["currency"].copy()
    notes, conversions = [], []
    for code, (new, units, when) in plan.items():
        coded = frame["currency"] == code
        already = _already_new(frame, coded, new, units)
        rows = coded & ~frame.index.isin(already)
        price[rows] = price[rows] / units
        currency[coded] = new
        if rows.any():
            notes.append(
                f"{int(rows.sum())} prices in {code} converted to {new} at the legal rate "
                f"({units:,} {code} = 1 {new}, since {when}): one currency, two codes"
            )
        if len(already):
            notes.append(
                f"{len(already)} prices coded {code} are at the {new} level already (after "
                f"a {units:,}-fold fall in their series, or beside the {new} prices of their "
                f"commodity) and kept as they are"
            )
        # Per price type too: a market's retail rice converted, its wholesale rice coded
        # SLL but at the SLE level already, kept; a forecast file names each as the file
        # does, at its own factor (forecast.clean.pipeline._as_given).
        by = ["commodity", "market", "price_type"]
        for (commodity, market, price_type), group in frame[rows].groupby(by, sort=True):
            series = series_name(commodity, market, price_type)
            conversions.append(
                {
                    "kind": "redenomination",
                    "series": series,
                    "from": code,
                    "to": new,
                    "rows": len(group),
                    "factor": 1 / units,
                    "text": f"{series}: {code} -> {new}, {len(group)} rows, ÷{units:,}",
                }
            )
    out = frame.assign(price=price, currency=currency)
    out = out.assign(flags=add_mark(out["flags"], price != frame["price"], "converted"))
    return StepOutput(out, notes=notes, details={"conversions": conversions})


#: Below this many old units per new one a fall in a series' prices cannot be told from a
#: new currency unit (an onion's price falls threefold after the harvest; MRO -> MRU is 10).
ALREADY_NEW_UNITS = 100


def _already_new(frame: pd.DataFrame, coded: pd.Series, new: str, units: int) -> pd.Index:
    """Rows coded in an old currency whose prices are in the new one already.

    Only for redenominations of ``ALREADY_NEW_UNITS`` or more, where the two levels are
    far apart: a series whose prices sit nearer its commodity's prices in the new code
    than ``units`` times them (restated in new leones but still coded SLL), and a series'
    prices after a fall of about ``units`` times (within a factor of 3) between two
    consecutive prices, when the prices after the fall stay there (the median of the six
    after, about ``units`` times below the six before; one old price typed ×1000 falls back
    to its own level, which is no new unit).
    """
    if units < ALREADY_NEW_UNITS or not coded.any():
        return frame.index[:0]
    logs = np.log(frame["price"].astype(float))
    unit_text = frame["unit_raw"].map(fold) if "unit_raw" in frame else frame["currency"]
    kind = [frame["commodity"], frame["price_type"], unit_text]
    in_new = frame["currency"] == new
    reference = logs[in_new].groupby([k[in_new] for k in kind]).median()
    # Levels compare only over the same years: Venezuela's bolívar lost a hundred million
    # times its value between VEB's prices and VES's.
    since = frame.loc[in_new, "date"].min() - pd.DateOffset(years=1)
    near, far = np.log(units) - np.log(3), np.log(units) + np.log(3)
    found: list = []
    for key, series in logs[coded].groupby([k[coded] for k in kind + [frame["market"]]]):
        ordered = series.loc[frame.loc[series.index, "date"].sort_values(kind="stable").index]
        values = ordered.to_numpy()
        falls = np.flatnonzero((-np.diff(values) >= near) & (-np.diff(values) <= far))
        fell = False
        for i in falls[::-1]:
            before = np.median(values[max(0, i - 5) : i + 1])
            after = np.median(values[i + 1 : i + 7])
            if near <= before - after <= far:
                found.extend(ordered.index[i + 1 :])
                fell = True
                break
        # No such fall: restated whole, when the prices of the new code's years sit at its
        # commodity's new level (a series that fell mid-way has old prices there too).
        ref = reference.get(key[:3])
        recent = series[frame.loc[series.index, "date"] >= since]
        # Nine in ten, not all: one old price typed x1000 is no new level.
        new_level = (recent < ref + np.log(units) / 2).mean() if ref is not None else 0.0
        if not fell and len(recent) and new_level >= 0.9:
            found.extend(series.index)
    return pd.Index(found)


def _rates_table(rates: pd.DataFrame) -> pd.DataFrame:
    # "1 VND '000 = 0.039 USD" is 0.039 USD for 1,000 VND: rates are per whole unit.
    source, target = rates["currency"].map(read_currency), rates["to_currency"].map(read_currency)
    scale = target.map(lambda r: r[1]) / source.map(lambda r: r[1])
    table = pd.DataFrame(
        {
            "currency": source.map(lambda r: r[0]),
            "to_currency": target.map(lambda r: r[0]),
            "rate": pd.to_numeric(rates["rate"], errors="coerce").astype(float) * scale,
        }
    )
    if "date" in rates.columns:
        table["date"] = pd.to_datetime(rates["date"])
    table = table[table["rate"].gt(0) & table["rate"].notna()]
    inverse = table.assign(
        currency=table["to_currency"], to_currency=table["currency"], rate=1.0 / table["rate"]
    )
    # Direct rates win over inverted ones for the same pair (and date).
    both = pd.concat([table.assign(_direct=0), inverse.assign(_direct=1)], ignore_index=True)
    keys = ["currency", "to_currency"] + (["date"] if "date" in both.columns else [])
    return (
        both.sort_values(keys + ["_direct"])
        .drop_duplicates(keys, keep="first")
        .drop(columns="_direct")
        .reset_index(drop=True)
    )


def convert_currencies(
    frame: pd.DataFrame, options: CleanOptions, *, where: str | None = None
) -> StepOutput:
    """Step "currencies": convert to ``options.currency`` with ``options.rates`` (if asked)."""
    if options.currency is None:
        notes = (
            ["rates given without a target currency: nothing converted"]
            if options.rates is not None
            else []
        )
        return StepOutput(frame, notes=notes)
    target = normalise_currency(options.currency)
    others = sorted(set(frame["currency"]) - {target})
    if not others:
        return StepOutput(frame)
    rates = _rates_table(options.rates) if options.rates is not None else None
    known = set() if rates is None else set(rates.loc[rates["to_currency"] == target, "currency"])
    for currency in others:
        if currency not in known:
            raise InputError(
                f"currency '{currency}' cannot be reconciled: no rate to {target}",
                where,
                "Add it to the rates table",
            )
    assert rates is not None
    rates = rates[rates["to_currency"] == target]
    rate = pd.Series(1.0, index=frame.index)
    notes: list[str] = []
    conversions = []
    for currency in others:
        rows = frame["currency"] == currency
        pair = rates[rates["currency"] == currency]
        if "date" in pair.columns and pair["date"].notna().any():
            pair = pair.dropna(subset=["date"]).sort_values("date")
            dates = frame.loc[rows, "date"]
            position = pair["date"].searchsorted(dates, side="right") - 1
            early = int((position < 0).sum())
            if early:
                notes.append(
                    f"{early} {currency} rows are older than the first rate; used the first rate"
                )
            rate[rows] = pair["rate"].to_numpy()[position.clip(min=0)]
            shown = "dated rates"
        else:
            rate[rows] = float(pair["rate"].iloc[0])
            shown = f"rate {fmt_number(float(pair['rate'].iloc[0]))}"
        for (commodity, market), group in frame[rows].groupby(["commodity", "market"], sort=True):
            series = series_name(commodity, market)
            conversions.append(
                {
                    "kind": "currency",
                    "series": series,
                    "from": currency,
                    "to": target,
                    "rows": len(group),
                    "rate": shown,
                    "text": f"{series}: {currency} -> {target}, {len(group)} rows, {shown}",
                }
            )
    moved = frame["currency"] != target
    out = frame.assign(price=frame["price"] * rate, currency=target)
    out = out.assign(flags=add_mark(out["flags"], moved, "converted"))
    return StepOutput(out, notes=notes, details={"conversions": conversions})


__all__ = [
    "convert_currencies",
    "is_currency_name",
    "names_a_currency",
    "normalise_currencies",
    "normalise_currency",
    "read_currency",
]
