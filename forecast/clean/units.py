"""Units: the many ways a unit is written -> one canonical unit per series, prices converted.

Unit text is matched case- and diacritic-insensitively (:func:`parse_unit`). Three dimensions
are known, each with a base unit:

* mass, base ``kg``: g, lạng (100 g), kg, yến (10 kg), tạ (100 kg), tấn/mt/ton/tonne
  (1,000 kg), lb (0.45359237 kg), oz;
* count, base ``nut`` (one piece of anything counted: a coconut, an egg; WFP writes "Unit"):
  trái, quả, cái, nut, unit, each, piece; chục (``CleanOptions.chuc_size`` nuts, 12 by
  default, 14 or 16 in some markets); dozen/tá (12);
* volume, base ``L``: L, lít, ml.

A leading quantity is a pack: ``"50 KG"`` (a WFP bag) is 50 kg, ``"750 ML"`` is 0.75 L.
A currency prefix is dropped (``"$/mt"`` -> mt, ``"đ/kg"`` -> kg) and ``"cents/kg"`` (the
Pink Sheet) is kg with prices divided by 100.

The canonical unit of a series (commodity, market, price type, currency and dimension): when
every row shares one standard unit (kg, mt, lb, nut, dozen, L) that unit stays, so the Pink
Sheet's $/mt series stays "mt"; otherwise the dimension's base unit. Rows in different
dimensions (kg and nut) become different series: the unit is part of the key, nothing is
lost. Unknown units stay as written, lower-cased, each its own series, and are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
)
from forecast.clean.options import CleanOptions

BASE = {"mass": "kg", "count": "nut", "volume": "L"}
#: Units a series keeps when all its rows use them (trade units readers expect).
STANDARD = {"kg", "mt", "lb", "nut", "dozen", "L"}

# name -> (dimension, base units per one, canonical name)
_MASS = {
    "g": 0.001, "gr": 0.001, "gram": 0.001, "grams": 0.001, "gam": 0.001,
    "lang": 0.1, "kg": 1.0, "kgs": 1.0, "kilo": 1.0, "kilos": 1.0, "kilogram": 1.0,
    "kilograms": 1.0, "ki": 1.0, "ky": 1.0, "yen": 10.0, "ta": 100.0, "quintal": 100.0,
    "tan": 1000.0, "t": 1000.0, "mt": 1000.0, "ton": 1000.0, "tons": 1000.0, "tonne": 1000.0,
    "tonnes": 1000.0, "metric ton": 1000.0, "metric tons": 1000.0, "lb": 0.45359237,
    "lbs": 0.45359237, "pound": 0.45359237, "pounds": 0.45359237, "oz": 0.028349523125,
}
_COUNT = {
    "nut": 1.0, "nuts": 1.0, "unit": 1.0, "units": 1.0, "each": 1.0, "ea": 1.0, "piece": 1.0,
    "pieces": 1.0, "pc": 1.0, "pcs": 1.0, "trai": 1.0, "qua": 1.0, "cai": 1.0, "dozen": 12.0,
    "doz": 12.0, "dz": 12.0,
}
_VOLUME = {"l": 1.0, "lit": 1.0, "litre": 1.0, "liter": 1.0, "litres": 1.0, "liters": 1.0,
           "ltr": 1.0, "ml": 0.001, "millilitre": 0.001, "milliliter": 0.001}
#: Words that must be read before diacritics are dropped ("tá" a dozen, not "tạ" 100 kg).
_ACCENTED = {"tá": ("count", 12.0, "dozen")}
_NAMES = {"kg": "kg", "kgs": "kg", "kilo": "kg", "kilos": "kg", "kilogram": "kg",
          "kilograms": "kg", "ki": "kg", "ky": "kg", "mt": "mt", "t": "mt", "tan": "mt",
          "ton": "mt", "tons": "mt", "tonne": "mt", "tonnes": "mt", "metric ton": "mt",
          "metric tons": "mt", "lb": "lb", "lbs": "lb", "pound": "lb", "pounds": "lb",
          "g": "g", "gr": "g", "gram": "g", "grams": "g", "gam": "g", "lang": "lạng",
          "yen": "yến", "ta": "tạ", "quintal": "quintal", "oz": "oz", "dozen": "dozen",
          "doz": "dozen", "dz": "dozen", "chuc": "chục", "ml": "ml"}
_CURRENCY_PREFIX = re.compile(r"^(?:us\$|\$|usd|vnd|vnđ|dong|đ|d|thb|baht|lkr|rs\.?|eur|€)\s*/\s*")
_CENTS = re.compile(r"^(?:us\s*)?(?:cents?|¢|c)\s*/\s*")
_PER = re.compile(r"^(?:per|/)\s*")
_PACK = re.compile(
    r"^(\d+(?:[.,]\d+)?)\s*([^\d\s].*?)(?:\s+(?:bag|sack|bao|bottle|can|pack|tin))?$")


@dataclass(frozen=True)
class ParsedUnit:
    """A unit read from text.

    ``size`` is how many base units one raw unit holds; ``name`` the canonical name of the
    unit itself ("kg", "mt", "chục", "50 kg"); ``price_scale`` multiplies prices (0.01 for
    cents).
    """

    dimension: str      # "mass", "count", "volume" or "other"
    size: float
    name: str
    price_scale: float = 1.0

    @property
    def known(self) -> bool:
        return self.dimension != "other"


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


def parse_unit(value: object, chuc_size: int = 12) -> ParsedUnit:
    """Unit text -> :class:`ParsedUnit` (an unknown unit is kept as lower-cased text)."""
    accented = tidy_text(value).casefold()
    text = fold(value)
    scale = 1.0
    if _CENTS.match(text):
        text, scale = _CENTS.sub("", text), 0.01
        accented = _CENTS.sub("", accented)
    else:
        text = _CURRENCY_PREFIX.sub("", text)
        accented = _CURRENCY_PREFIX.sub("", accented)
    text, accented = _PER.sub("", text).strip(), _PER.sub("", accented).strip()
    if found := _single(text, accented, chuc_size):
        dimension, size, name = found
        return ParsedUnit(dimension, size, name, scale)
    if (m := _PACK.match(text)) and (found := _single(m[2].strip(), m[2].strip(), chuc_size)):
        dimension, size, name = found
        count = float(m[1].replace(",", "."))
        if count > 0:
            if count == 1:
                return ParsedUnit(dimension, size, name, scale)
            return ParsedUnit(dimension, size * count, f"{fmt_number(count)} {name}", scale)
    name = accented or ""
    return ParsedUnit("other", 1.0, name, scale)


def _factor_text(factor: float) -> str:
    if factor >= 1:
        return f"×{fmt_number(factor)}"
    return f"÷{fmt_number(1 / factor)}"


def convert_units(frame: pd.DataFrame, options: CleanOptions) -> StepOutput:
    """Step "units": ``unit_raw`` -> canonical ``unit``; prices converted to it.

    Rows whose price changes are flagged ``converted``; each conversion is listed in the
    report ("Coconut | Mỏ Cày Bắc: chục -> nut, 34 rows, ÷12"). A missing unit is refused.
    """
    parsed = map_unique(frame["unit_raw"], lambda v: parse_unit(v, options.chuc_size))
    reasons = parsed.map(lambda u: "unit is missing" if not u.name else None)
    frame, rejected = split_rejected(frame, reasons)
    parsed = parsed.loc[frame.index]
    dimension = parsed.map(lambda u: u.dimension if u.known else f"other:{u.name}")
    name = parsed.map(lambda u: u.name)
    scaled = parsed.map(lambda u: u.price_scale != 1.0)
    group_cols = ["commodity", "market", "price_type", "currency"]
    groups = [frame[c] for c in group_cols] + [dimension]
    n_names = name.groupby(groups, sort=False).transform("nunique")
    any_scaled = scaled.groupby(groups, sort=False).transform("any")
    keep_own = (n_names == 1) & ~any_scaled & name.isin(STANDARD)
    known = parsed.map(lambda u: u.known)
    target = np.where(keep_own | ~known, name, dimension.map(lambda d: BASE.get(d, "")))
    target = pd.Series(target, index=frame.index, dtype=object)
    target_size = pd.Series(
        [_single_size(t, u) for t, u in zip(target, parsed, strict=True)], index=frame.index)
    raw_size = parsed.map(lambda u: u.size)
    scale = parsed.map(lambda u: u.price_scale)
    factor = (scale * target_size / raw_size).astype(float)
    # A factor within rounding of 1 is no conversion (kg stays kg).
    factor = factor.where((factor - 1).abs() > 1e-12, 1.0)
    out = frame.assign(unit=target, price=frame["price"] * factor)
    out = out.assign(flags=add_mark(out["flags"], factor != 1.0, "converted"))
    conversions = []
    notes = []
    changed = pd.DataFrame({"commodity": frame["commodity"], "market": frame["market"],
                            "price_type": frame["price_type"], "currency": frame["currency"],
                            "from": map_unique(frame["unit_raw"], tidy_text), "to": target,
                            "factor": factor})
    moved = changed[changed["factor"] != 1.0]
    for (commodity, market, price_type, currency, unit_from, unit_to, fac), group in moved.groupby(
            list(changed.columns), sort=True):
        series = series_name(commodity, market)
        text = f"{series}: {unit_from} -> {unit_to}, {len(group)} rows, {_factor_text(fac)}"
        if parsed.loc[group.index].map(lambda u: u.price_scale != 1.0).any():
            text += " (cents -> whole currency)"
        conversions.append({"kind": "unit", "series": series, "price_type": price_type,
                            "currency": currency, "from": unit_from, "to": unit_to,
                            "rows": len(group), "factor": float(fac), "text": text})
    renamed = pd.DataFrame({"raw": map_unique(frame["unit_raw"], tidy_text), "unit": target})
    renamed = renamed[(factor == 1.0) & known
                      & (map_unique(renamed["raw"], fold) != map_unique(renamed["unit"], fold))]
    for (raw, unit), group in renamed.groupby(["raw", "unit"], sort=True):
        notes.append(f"unit '{raw}' read as {unit} ({len(group)} rows)")
    unknown = name[~parsed.map(lambda u: u.known)]
    for unit, count in unknown.value_counts().sort_index().items():
        notes.append(f"unit '{unit}' is not a known unit; kept as its own unit ({count} rows)")
    return StepOutput(out, rejected, notes, {"conversions": conversions})


def _single_size(target: str, unit: ParsedUnit) -> float:
    """Base units in one ``target`` unit of ``unit``'s dimension."""
    if not unit.known or target == unit.name:
        return unit.size if unit.known else 1.0
    if target in BASE.values():
        return 1.0
    return {"mt": 1000.0, "lb": 0.45359237, "dozen": 12.0}.get(target, 1.0)
