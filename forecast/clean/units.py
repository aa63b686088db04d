"""Units: the many ways a unit is written -> one canonical unit per series, prices converted.

Unit text is matched case- and diacritic-insensitively (:func:`parse_unit`). Three dimensions
are known, each with a base unit:

* mass, base ``kg``: g, lạng (100 g), kg, yến (10 kg), tạ (100 kg), tấn/mt/ton/tonne
  (1,000 kg), lb (0.45359237 kg), oz;
* count: ``nut`` (trái, quả, nut: a coconut, a pomelo) and ``unit`` (unit, each, piece,
  cái: an egg; WFP writes "Unit"), one piece each; chục (``CleanOptions.chuc_size`` nuts,
  12 by default, 14 or 16 in some markets; a chục of eggs is 10, and eggs are units, never
  nuts); dozen/tá (12). A series mixing count units is
  put in nuts when one of them is a nut or a chục, in units otherwise;
* volume, base ``L``: L, lít, ml.

A leading quantity is a pack: ``"50 KG"`` (a WFP bag) is 50 kg, ``"750 ML"`` is 0.75 L.
A currency prefix is dropped (``"$/mt"`` -> mt, ``"đ/kg"`` -> kg) and ``"cents/kg"`` (the
Pink Sheet) is kg with prices divided by 100.

The canonical unit of a series (commodity, market, price type, currency and dimension): when
every row shares one standard unit (kg, mt, lb, nut, unit, dozen, L) that unit stays, so the Pink
Sheet's $/mt series stays "mt"; otherwise the dimension's base unit. Rows in different
dimensions (kg and nut) become different series: the unit is part of the key, nothing is
lost. Unknown units stay as written, lower-cased, each its own series, and are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from forecast.clean.base import (
    Readings,
    StepOutput,
    add_mark,
    fmt_number,
    fold,
    map_unique,
    series_name,
    split_rejected,
    tidy_text,
)
from forecast.clean.options import CleanOptions

BASE = {"mass": "kg", "count": "nut", "volume": "L"}
#: Units a series keeps when all its rows use them (trade units readers expect).
STANDARD = {"kg", "mt", "lb", "nut", "unit", "dozen", "L"}
#: The count units of one piece each: a fruit or a nut, and a piece of anything else.
ONE_PIECE = ("nut", "unit")
#: Count units that are a piece of anything, not a fruit or a nut (eggs are not "nuts").
_PIECES = ("unit", "units", "each", "ea", "piece", "pieces", "pc", "pcs", "cai")

# name -> (dimension, base units per one, canonical name)
_MASS = {
    "g": 0.001,
    "gr": 0.001,
    "gram": 0.001,
    "grams": 0.001,
    "gam": 0.001,
    "lang": 0.1,
    "kg": 1.0,
    "kgs": 1.0,
    "kilo": 1.0,
    "kilos": 1.0,
    "kilogram": 1.0,
    "kilograms": 1.0,
    "ki": 1.0,
    "ky": 1.0,
    "yen": 10.0,
    "ta": 100.0,
    # No "quintal": 100 kg in Ethiopia, 100 lb (45.4 kg) in Guatemala, Honduras and Bolivia.
    # Read as either, a series switching from quintals to pounds jumped 2.2x; it stays a unit
    # of its own, as "arroba" and "libra" do.
    "tan": 1000.0,
    "t": 1000.0,
    "mt": 1000.0,
    "ton": 1000.0,
    "tons": 1000.0,
    "tonne": 1000.0,
    "tonnes": 1000.0,
    "metric ton": 1000.0,
    "metric tons": 1000.0,
    "lb": 0.45359237,
    "lbs": 0.45359237,
    "pound": 0.45359237,
    "pounds": 0.45359237,
    "oz": 0.028349523125,
}
_COUNT = {
    "nut": 1.0,
    "nuts": 1.0,
    "unit": 1.0,
    "units": 1.0,
    "each": 1.0,
    "ea": 1.0,
    "piece": 1.0,
    "pieces": 1.0,
    "pc": 1.0,
    "pcs": 1.0,
    "trai": 1.0,
    "qua": 1.0,
    "cai": 1.0,
    "dozen": 12.0,
    "doz": 12.0,
    "dz": 12.0,
}
_VOLUME = {
    "l": 1.0,
    "lit": 1.0,
    "litre": 1.0,
    "liter": 1.0,
    "litres": 1.0,
    "liters": 1.0,
    "ltr": 1.0,
    "ml": 0.001,
    "millilitre": 0.001,
    "milliliter": 0.001,
}
#: Words that must be read before diacritics are dropped ("tá" a dozen, not "tạ" 100 kg).
_ACCENTED = {"tá": ("count", 12.0, "dozen")}
_NAMES = {
    "kg": "kg",
    "kgs": "kg",
    "kilo": "kg",
    "kilos": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "ki": "kg",
    "ky": "kg",
    "mt": "mt",
    "t": "mt",
    "tan": "mt",
    "ton": "mt",
    "tons": "mt",
    "tonne": "mt",
    "tonnes": "mt",
    "metric ton": "mt",
    "metric tons": "mt",
    "lb": "lb",
    "lbs": "lb",
    "pound": "lb",
    "pounds": "lb",
    "g": "g",
    "gr": "g",
    "gram": "g",
    "grams": "g",
    "gam": "g",
    "lang": "lạng",
    "yen": "yến",
    "ta": "tạ",
    "quintal": "quintal",
    "oz": "oz",
    "dozen": "dozen",
    "doz": "dozen",
    "dz": "dozen",
    "chuc": "chục",
    "ml": "ml",
    **dict.fromkeys(_PIECES, "unit"),
}
_CURRENCY_PREFIX = re.compile(r"^(?:us\$|\$|usd|vnd|vnđ|dong|đ|d|thb|baht|lkr|rs\.?|eur|€)\s*/\s*")
_CENTS = re.compile(r"^(?:us\s*)?(?:cents?|¢|c)\s*/\s*")
_PER = re.compile(r"^(?:per|/)\s*")
_PACK = re.compile(
    r"^(\d+(?:[.,]\d+)?)\s*([^\d\s].*?)(?:\s+(?:bag|sack|bao|bottle|can|pack|tin))?$"
)
#: The container first, as Vietnamese writes it: "bao 50kg" (a 50 kg sack of rice or
#: fertiliser), "bag of 25 kg", "chai (1 lít)"; folded text (no accents: túi is tui).
_PACK_FIRST = re.compile(
    r"^(?:bag|sack|bao|bottle|can|pack|tin|tui|chai)(?:\s+of)?\s*\(?\s*"
    r"(\d+(?:[.,]\d+)?)\s*([^\d\s()][^()]*?)\s*\)?$"
)


@dataclass(frozen=True)
class ParsedUnit:
    """A unit read from text.

    ``size`` is how many base units one raw unit holds; ``name`` the canonical name of the
    unit itself ("kg", "mt", "chục", "50 kg"); ``price_scale`` multiplies prices (0.01 for
    cents).
    """

    dimension: str  # "mass", "count", "volume" or "other"
    size: float
    name: str
    price_scale: float = 1.0

    @property
    def known(self) -> bool:
        return self.dimension != "other"


_ABBREVIATION_DOT = re.compile(r"(?<=[^\W\d_])\.$")


#: A chục that says its nuts: "chục (14 trái)", "chục 14", "chục14", "chục of 14 nuts"
#: (the forecast table's own words), on folded text. A depot writing Mỏ Cày Bắc's chục of
#: 14 beside Bến Tre's 12 in one sheet can write each as it is, which --chuc (one size a
#: file) cannot.
_CHUC_OF = re.compile(r"^chuc\s*(?:of\s*)?\(?\s*(\d{1,2})\s*(?:trai|qua|nuts?)?\s*\)?$")
#: The most nuts a chục holds, written or given (--chuc): a dozen, counted generously (12
#: to 16); --chuc 1000 had stored coconuts at 119 đồng a nut.
MAX_CHUC = 30
#: The nuts a written chục may hold.
CHUC_SIZES = range(2, MAX_CHUC + 1)


def _single(word: str, accented: str, chuc_size: int) -> tuple[str, float, str] | None:
    if accented in _ACCENTED:
        return _ACCENTED[accented]
    if word == "chuc":
        return "count", float(chuc_size), "chục"
    for dimension, table in (("mass", _MASS), ("count", _COUNT), ("volume", _VOLUME)):
        if word in table:
            base = BASE[dimension]
            name = _NAMES.get(word, base if table[word] == 1.0 else word)
            return dimension, table[word], name
    return None


def _is_currency(text: str) -> bool:
    from forecast.clean.currency import is_currency_name

    return text in ("lcu", "local currency", "local currency unit") or is_currency_name(text)


def parse_unit(value: object, chuc_size: int = 12) -> ParsedUnit:
    """Unit text -> :class:`ParsedUnit` (an unknown unit is kept as lower-cased text)."""
    accented = tidy_text(value).casefold()
    text = fold(value)
    scale = 1.0
    if _CENTS.match(text):
        text, scale = _CENTS.sub("", text), 0.01
        accented = _CENTS.sub("", accented)
    elif not _is_currency(_CURRENCY_PREFIX.sub("", text)):
        # "$/mt" is per mt in dollars; "USD/LCU" (WFP's exchange rates) is not per "lcu".
        text = _CURRENCY_PREFIX.sub("", text)
        accented = _CURRENCY_PREFIX.sub("", accented)
    text, accented = _PER.sub("", text).strip(), _PER.sub("", accented).strip()
    # An abbreviation's dot: "Kg.", "25 Kg.", "lbs." are kg and pounds.
    text, accented = _ABBREVIATION_DOT.sub("", text), _ABBREVIATION_DOT.sub("", accented)
    if found := _single(text, accented, chuc_size):
        dimension, size, name = found
        return ParsedUnit(dimension, size, name, scale)
    if (m := _CHUC_OF.match(text)) and int(m[1]) in CHUC_SIZES:
        return ParsedUnit("count", float(m[1]), CHUC, scale)
    m = _PACK.match(text) or _PACK_FIRST.match(text)
    if m and (found := _single(m[2].strip(), m[2].strip(), chuc_size)):
        dimension, size, name = found
        count = float(m[1].replace(",", "."))
        if count > 0:
            if count == 1:
                return ParsedUnit(dimension, size, name, scale)
            return ParsedUnit(dimension, size * count, f"{fmt_number(count)} {name}", scale)
    name = accented or ""
    return ParsedUnit("other", 1.0, name, scale)


def parse_unit_of(text: object, commodity: object = None, chuc_size: int = 12) -> ParsedUnit:
    """:func:`parse_unit` for a price of ``commodity``: an egg's chục is ten, not a nut's."""
    return _egg_unit(text) if _is_eggs(commodity) else parse_unit(text, chuc_size)


def unit_factor(
    text: object, target: str, chuc_size: int = 12, commodity: object = None
) -> float | None:
    """What a price per ``text`` is multiplied by to be one per ``target`` (cropcast's unit
    of a series), as cleaning converts it: 1/50 from "50 KG" to kg, 50 from kg to "50 kg",
    1 from "KG", 1/12 from chục to nut (1/10 for ``commodity`` eggs); None where the two
    are not the same kind of unit."""
    unit, wanted = (
        parse_unit_of(text, commodity, chuc_size),
        parse_unit_of(target, commodity, chuc_size),
    )
    if not unit.known or not wanted.known:
        return 1.0 if fold(text) == fold(target) else None
    if unit.dimension != wanted.dimension:
        return None
    # Base units (kg, L, nuts) in one of each: a price per unit is per its size of them.
    return (unit.price_scale / wanted.price_scale) * wanted.size / unit.size


#: The name of the Vietnamese unit of 12 to 16 nuts (see ``CleanOptions.chuc_size``).
CHUC = "chục"


def says_its_nuts(unit: object) -> bool:
    """Whether a unit written per chục says how many nuts it holds ("chục (14 trái)"), so
    that neither --chuc nor the store's chục sets them."""
    return parse_unit(unit, 0).size > 0


def from_chuc(conversion: dict, chuc_size: int = 12) -> bool:
    """Whether a conversion of the cleaning report put prices written per chục into nuts."""
    return (
        conversion.get("kind") == "unit"
        and conversion.get("to") == "nut"
        and parse_unit(conversion["from"], chuc_size).name == CHUC
    )


def _factor_text(factor: float) -> str:
    if factor >= 1:
        return f"×{fmt_number(factor)}"
    return f"÷{fmt_number(1 / factor)}"


def _combos(
    frame: pd.DataFrame, written: pd.Series, parsed: pd.Series
) -> tuple[np.ndarray, list[tuple]]:
    """Each row's code, and the distinct (commodity, market, price type, currency, written
    unit, parsed unit) in the order they first appear: the codes index them."""
    # A parsed unit is one object per distinct text: coded once per object, by value
    # (" kg" and "kg" are one unit), so no row's unit is hashed.
    value_code: dict = {}
    units = Readings(parsed).field(lambda u: value_code.setdefault(u, len(value_code)), int)
    keys = pd.DataFrame(
        {
            "commodity": frame["commodity"].to_numpy(),
            "market": frame["market"].to_numpy(),
            "price_type": frame["price_type"].to_numpy(),
            "currency": frame["currency"].to_numpy(),
            "written": written.to_numpy(),
            "unit": units.to_numpy(),
        }
    )
    # Numbered as they first appear; any row of one names it alike.
    codes = keys.groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
    row = np.zeros(codes.max() + 1 if len(codes) else 0, dtype=np.int64)
    row[codes] = np.arange(len(codes))
    readings = parsed.to_numpy(dtype=object)
    columns = [frame[c].to_numpy() for c in ("commodity", "market", "price_type", "currency")]
    combos = [
        (*(column[i] for column in columns), written.iat[i], readings[i]) for i in row.tolist()
    ]
    return codes, combos


def _parallel_units(
    frame: pd.DataFrame,
    codes: np.ndarray,
    combos: list[tuple],
    series_units: dict,
    freq: str | None,
) -> dict[tuple, dict[str, int]]:
    """The (series, dimension) groups priced in two units of a kind, side by side, each with
    its units' clusters (see :func:`_one_unit_each_price`).

    A market that sells maize by the kilo and by the 90 kg bag in the same months has two
    series, at two price levels (a bag's kilo is cheaper): put into one unit they would
    collide period by period and their median would be neither's price. Side by side means
    two periods at least (of the file's frequency, ``freq`` or as the dates say), and a
    quarter of the periods of the unit seen least, hold prices in both units that differ,
    per base unit, by 2 % or more (median). A series that switched units (kg one year, yến
    the next) shares a period or so; a sheet writing each price in kg and again in yến has
    equal prices; both stay one series, put into one unit, and so do kg and yến written
    alike beside a bag priced apart. Periods, not days, so that a second cleaning of
    cleaned prices (dates moved to their period's start) decides alike.
    """
    from forecast.clean.dates import infer_frequency, period_start

    mixed = {group for group, units in series_units.items() if len({u.name for u in units}) > 1}
    if not mixed or "date" not in frame or "granularity" not in frame:
        return {}
    # Per row, from its combination's.
    names = np.empty(len(combos), dtype=object)
    names[:] = [c[5].name for c in combos]
    names = names[codes]
    if freq is None:  # each written unit a series of its own, as the dates would say
        freq = infer_frequency(frame.assign(unit=names))[0]
    periods = period_start(frame["date"], freq)
    # Prices filled in by an earlier cleaning are not prices anyone wrote: left out, so a
    # second cleaning sees the periods the first saw.
    filled = frame["flags"].astype(str).str.contains("interpolated", regex=False)
    groups = pd.Series([(*c[:4], c[5].dimension) for c in combos], dtype=object)
    group_codes, uniques = pd.factorize(groups)
    in_mixed = np.array([g in mixed for g in groups], dtype=bool)[codes]
    keep = in_mixed & ~(filled | periods.isna()).to_numpy()
    if not keep.any():
        return {}
    scale = np.array([c[5].price_scale / c[5].size for c in combos], dtype=float)[codes]
    table = pd.DataFrame(
        {
            "group": group_codes[codes],
            "unit": names,
            "period": periods.to_numpy(),
            "price": frame["price"].to_numpy(dtype=float) * scale,  # per base unit
        }
    )[keep]
    table = table[np.isfinite(table["price"]) & (table["price"] > 0)]
    # One price per unit and period, the median of prices as regularising will take it.
    per_period = table.groupby(["group", "unit", "period"], sort=False)["price"].median()
    per_period = per_period.reset_index()
    seen = per_period.groupby(["group", "unit"]).size()
    pairs = per_period.merge(per_period, on=["group", "period"])
    pairs = pairs[pairs["unit_x"] < pairs["unit_y"]]
    if pairs.empty:
        return {}
    pairs = pairs.assign(gap=np.abs(np.log(pairs["price_x"] / pairs["price_y"])))
    shared = pairs.groupby(["group", "unit_x", "unit_y"]).agg(
        n=("gap", "size"), gap=("gap", "median")
    )
    first = seen.reindex(
        pd.MultiIndex.from_arrays(
            [shared.index.get_level_values(0), shared.index.get_level_values(1)]
        )
    )
    second = seen.reindex(
        pd.MultiIndex.from_arrays(
            [shared.index.get_level_values(0), shared.index.get_level_values(2)]
        )
    )
    fewest = np.minimum(first.to_numpy(), second.to_numpy())  # of the two units compared
    together = (shared["n"].to_numpy() >= 2) & (4 * shared["n"].to_numpy() >= fewest)
    apart = together & (shared["gap"].to_numpy() >= np.log(1.02))
    alike = together & ~apart  # written twice at one price: one unit
    groups, unit_x, unit_y = (shared.index.get_level_values(i) for i in range(3))
    out: dict[tuple, dict[str, int]] = {}
    for code in set(groups[apart]):
        rows = groups == code

        def pairs_where(mask, rows=rows) -> list[tuple[str, str]]:
            return list(zip(unit_x[rows & mask], unit_y[rows & mask], strict=True))

        out[tuple(uniques[code])] = _one_unit_each_price(
            sorted(seen.loc[code].index), pairs_where(alike), pairs_where(apart)
        )
    return out


def _one_unit_each_price(units: list[str], same: list, different: list) -> dict[str, int]:
    """Unit -> cluster: units written at one price (kg and yến side by side, equal per kg)
    share a cluster, put into one unit; a unit priced apart (the 90 kg bag) is its own. If
    a chain of equal prices would join two units priced apart, each keeps its own."""
    cluster = {unit: i for i, unit in enumerate(units)}
    for a, b in same:
        old, new = cluster[b], cluster[a]
        cluster = {u: new if c == old else c for u, c in cluster.items()}
    if any(cluster[a] == cluster[b] for a, b in different):
        return {unit: i for i, unit in enumerate(units)}
    return cluster


def convert_units(frame: pd.DataFrame, options: CleanOptions) -> StepOutput:
    """Step "units": ``unit_raw`` -> canonical ``unit``; prices converted to it.

    Rows whose price changes are flagged ``converted``; each conversion is listed in the
    report ("Coconut | Mỏ Cày Bắc: chục -> nut, 34 rows, ÷12"). A missing unit is refused.
    """
    read = partial(parse_unit, chuc_size=options.chuc_size)
    notes_in: list[str] = []
    said = frame["price_unit"] if "price_unit" in frame else pd.Series(None, index=frame.index)
    said = said.where(said.notna() & (said.astype(str) != ""), None)
    if said.notna().any():
        # "45.000đ/kg": a unit in the price fills a blank unit column, and must agree with
        # a written one (a price per trái in a column of kg is refused, not converted).
        blank = map_unique(frame["unit_raw"], lambda v: not tidy_text(v)).astype(bool)
        taken = said.notna() & blank
        if taken.any():
            notes_in.append(f"unit taken from the price text for {int(taken.sum())} rows")
            frame = frame.assign(unit_raw=frame["unit_raw"].where(~taken, said))
    parsed = map_unique(frame["unit_raw"], read)
    eggs = map_unique(frame["commodity"], _is_eggs).astype(bool)
    if eggs.any():
        parsed[eggs] = map_unique(frame.loc[eggs, "unit_raw"], _egg_unit)
    reasons = parsed.map(lambda u: "unit is missing" if not u.name else None)
    if said.notna().any():
        from_price = map_unique(said.fillna(""), read)
        clash = said.notna() & (from_price.map(lambda u: u.name) != parsed.map(lambda u: u.name))
        for i in frame.index[clash & reasons.isna()]:
            reasons[i] = (
                f"price '{frame.at[i, 'price_raw']}' is per {said[i]} but the unit is "
                f"{frame.at[i, 'unit_raw']}"
            )
    frame, rejected = split_rejected(frame, reasons)
    parsed = parsed.loc[frame.index]
    written = map_unique(frame["unit_raw"], tidy_text)
    # Decide once per distinct (series, written unit); rows then take their answer. Found
    # by codes, not a tuple a row: a national file's million rows took 1.5 s so.
    codes, combos = _combos(frame, written, parsed)
    counts = dict(zip(combos, np.bincount(codes, minlength=len(combos)).tolist(), strict=True))
    series_units: dict[tuple, set] = {}
    for commodity, market, price_type, currency, _, unit in counts:
        group = (
            commodity,
            market,
            price_type,
            currency,
            unit.dimension if unit.known else f"other:{unit.name}",
        )
        series_units.setdefault(group, set()).add(unit)
    parallel = _parallel_units(frame, codes, combos, series_units, options.freq)
    decided: dict[tuple, tuple[str, float]] = {}
    for combo in counts:
        unit = combo[5]
        if not unit.known:
            decided[combo] = (unit.name, unit.price_scale)
            continue
        group = (*combo[:4], unit.dimension)
        siblings = series_units[group]
        if group in parallel:  # priced apart, side by side: a series per price level
            clusters = parallel[group]
            siblings = {u for u in siblings if clusters[u.name] == clusters[unit.name]}
            if len(siblings) == 1:  # the bag beside the kilo: its own unit
                decided[combo] = (unit.name, unit.price_scale)
                continue
        names = {u.name for u in siblings}
        keep_own = (
            len(names) == 1
            and unit.name in STANDARD
            and all(u.price_scale == 1.0 for u in siblings)
        )
        target = unit.name if keep_own else _base(unit.dimension, names)
        factor = unit.price_scale * _single_size(target, unit) / unit.size
        decided[combo] = (target, 1.0 if abs(factor - 1) <= 1e-12 else factor)
    target = np.empty(len(combos), dtype=object)
    target[:] = [decided[c][0] for c in combos]
    factor = np.array([decided[c][1] for c in combos], dtype=float)[codes]
    moved = pd.Series(factor != 1.0, index=frame.index)
    out = frame.assign(
        unit=pd.Series(target[codes], index=frame.index, dtype=object),
        price=frame["price"].to_numpy(dtype=float) * factor,
    )
    out = out.assign(flags=add_mark(out["flags"], moved, "converted"))
    conversions = []
    notes = []
    tally: dict[tuple, int] = {}
    for (commodity, market, price_type, currency, raw, unit), n in counts.items():
        to, fac = decided[(commodity, market, price_type, currency, raw, unit)]
        if fac != 1.0:
            key = (commodity, market, price_type, currency, raw, to, fac, unit.price_scale)
            tally[key] = tally.get(key, 0) + n
    for (commodity, market, price_type, currency, raw, to, fac, scale), n in sorted(tally.items()):
        series = series_name(commodity, market)
        # The whole name: the USD and ZWL series of one market (or its retail and wholesale
        # prices) were two identical lines.
        text = f"{series} | {price_type} | {currency}: {raw} -> {to}, {n} rows, {_factor_text(fac)}"
        if scale != 1.0:
            text += " (cents -> whole currency)"
        conversions.append(
            {
                "kind": "unit",
                "series": series,
                "commodity": commodity,
                "market": market,
                "price_type": price_type,
                "currency": currency,
                "from": raw,
                "to": to,
                "rows": n,
                "factor": float(fac),
                "text": text,
            }
        )
    renamed: dict[tuple[str, str], int] = {}
    unknown: dict[str, int] = {}
    respelled: dict[tuple[str, str], set] = {}
    for combo, n in counts.items():
        raw, unit = combo[4], combo[5]
        to, fac = decided[combo]
        if not unit.known:
            unknown[unit.name] = unknown.get(unit.name, 0) + n
        elif fac == 1.0 and fold(raw) != fold(to):
            renamed[(raw, to)] = renamed.get((raw, to), 0) + n
        if fac == 1.0 and raw and raw != to:  # "KG" is kg: outputs write kg
            respelled.setdefault((raw, to), set()).add(combo[:3])
    for (raw, to), n in sorted(renamed.items()):
        notes.append(f"unit '{raw}' read as {to} ({n} rows)")
    for name, n in sorted(unknown.items()):
        notes.append(f"unit '{name}' is not a known unit; kept as its own unit ({n} rows)")
    details = {
        "conversions": conversions,
        "respelled": [
            {"column": "unit", "from": a, "to": b, "series": sorted(respelled[(a, b)])}
            for a, b in sorted(respelled)
        ],
    }
    return StepOutput(out, rejected, notes_in + notes, details)


#: A chục of eggs is ten (Vietnamese "chục" is ten; only the fruit trade counts 12 to 16).
EGGS_IN_A_CHUC = 10


def _is_eggs(commodity: object) -> bool:
    """Whether a commodity is eggs: counted in units, ten a chục. By its head noun: first in
    Vietnamese ("Trứng gà", not "Mì trứng" or "Bánh trứng"), first or last in English
    ("Eggs - chicken", "Duck eggs", "Eggs (local)"), not a dish ("Egg noodles", "Egg plant")."""
    words = re.findall(r"\w+", tidy_text(commodity).casefold())
    if not words:
        return False
    if words[0] == "trứng":
        return True
    dishes = {"noodle", "noodles", "plant", "plants", "roll", "rolls", "tart", "tarts"}
    return bool({words[0], words[-1]} & {"egg", "eggs"}) and not dishes & set(words)


def _egg_unit(value: object) -> ParsedUnit:
    """An egg's unit: a chục is ``EGGS_IN_A_CHUC`` eggs, and a trái or quả is a unit (an egg is
    no nut), so eggs per chục and per quả are one series in units."""
    unit = parse_unit(value, EGGS_IN_A_CHUC)
    if unit.dimension != "count" or unit.name.split(" ")[-1] not in ("nut", CHUC):
        return unit  # a dozen stays a dozen, a unit a unit
    # "10 unit": a pack of ten, which becomes units as "10 pcs" does.
    name = "unit" if unit.size == 1 else f"{fmt_number(unit.size)} unit"
    return ParsedUnit("count", unit.size, name, unit.price_scale)


def _base(dimension: str, names: set[str]) -> str:
    """The unit a series mixing ``names`` of one dimension is put in: its base, except
    that counts of pieces (eggs, "Unit" and "10 pcs") are units, not nuts."""
    # The name's last word: a pack of nuts ("10 nut") is nuts too.
    if dimension == "count" and not {n.split(" ")[-1] for n in names} & {"nut", "chục"}:
        return "unit"
    return BASE[dimension]


def _single_size(target: str, unit: ParsedUnit) -> float:
    """Base units in one ``target`` unit of ``unit``'s dimension."""
    if not unit.known or target == unit.name:
        return unit.size if unit.known else 1.0
    if target in BASE.values() or target in ONE_PIECE:
        return 1.0
    return {"mt": 1000.0, "lb": 0.45359237, "dozen": 12.0}.get(target, 1.0)
