"""What every cleaning step shares: its output, row rejection, flag marks, text folding.

A step is a pure function ``step(frame, options) -> StepOutput``. ``frame`` is the working
table: one row per observation, with ``_obs`` (a tuple of the input observations it stands
for, numbered 0..n-1 in the raw table; one number until duplicates are merged, empty for
interpolated rows), the raw text columns still needed for reasons, the parsed columns and ``flags``.
A step never changes the frame it is given; it returns a new one, the rows it refused (one
reason each) and notes for the report.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

#: Flag marks in the order they are written, so ``flags`` strings compare equal run to run.
MARK_ORDER: tuple[str, ...] = ("converted", "conflict", "aggregated", "interpolated", "outlier")

#: Key text columns besides ``unit`` and ``currency`` (which have their own steps).
TEXT_KEY: tuple[str, ...] = ("commodity", "market", "price_type")


@dataclass
class StepOutput:
    """What a step hands back: the new frame, refused rows, and what to tell the user.

    ``rejected`` has columns ``obs`` and ``reason`` (one line per input observation; the
    pipeline maps ``obs`` back to the file's ``row``). ``details``
    holds structured findings the report keeps (conversions, conflicts, gaps, ...).
    """

    frame: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=lambda: no_rejections())
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def no_rejections() -> pd.DataFrame:
    return pd.DataFrame({"obs": pd.Series(dtype="int64"), "reason": pd.Series(dtype=object)})


def split_rejected(frame: pd.DataFrame, reasons: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows with a reason (not None) leave ``frame``; each observation they hold gets it."""
    bad = reasons.notna()
    if not bad.any():
        return frame, no_rejections()
    rejected = pd.DataFrame({"obs": frame.loc[bad, "_obs"], "reason": reasons[bad].astype(object)})
    rejected = rejected.explode("obs").dropna(subset=["obs"])
    rejected["obs"] = rejected["obs"].astype("int64")
    return frame.loc[~bad], rejected.reset_index(drop=True)


def split_marks(text: object) -> set[str]:
    if not isinstance(text, str) or not text.strip():
        return set()
    return {part.strip() for part in text.split(";") if part.strip()}


def join_marks(marks: Iterable[str]) -> str:
    """Marks in :data:`MARK_ORDER`, unknown ones after them alphabetically, ``;``-joined."""
    rank = {mark: i for i, mark in enumerate(MARK_ORDER)}
    unique = set(marks)
    return ";".join(sorted(unique, key=lambda m: (rank.get(m, len(rank)), m)))


def add_mark(flags: pd.Series, mask: pd.Series, mark: str) -> pd.Series:
    """``flags`` with ``mark`` added where ``mask`` is true (a new Series)."""
    out = flags.copy()
    if mask.any():
        out.loc[mask] = [join_marks(split_marks(f) | {mark}) for f in flags.loc[mask]]
    return out


_SPACES = re.compile(r"\s+")


def counted(n: int, word: str) -> str:
    """'1 period', '1,234 periods': a count with its noun in the right number (the commands'
    own twin, ``forecast.commands.shared.counted``, keeps pandas off their start-up path)."""
    return f"{n:,} {word if n == 1 else word + 's'}"


def tidy_text(value: object) -> str:
    """Strip, collapse inner whitespace, NFC-compose; case kept as written. Missing -> ''."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if not isinstance(value, str):
        value = str(value)
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def fold(value: object) -> str:
    """Text for matching only: tidy, lower-case, without diacritics (``đ`` -> ``d``)."""
    return _fold(value if isinstance(value, str) else tidy_text(value))


@lru_cache(maxsize=1 << 16)
def _fold(text: str) -> str:
    # Cached: cleaning folds a file's few thousand distinct names once per row or series
    # (740,000 calls on a 900,000-row file).
    text = tidy_text(text).casefold().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def series_name(commodity: str, market: str, price_type: str | None = None) -> str:
    parts = [commodity, market] + ([price_type] if price_type else [])
    return " | ".join(parts)


def label(key: tuple) -> str:
    """'Rice | An Giang | Wholesale | VND/kg' for a full series key."""
    commodity, market, price_type, unit, currency = key
    return f"{commodity} | {market} | {price_type} | {currency}/{unit}"


def fmt_number(value: float) -> str:
    """A factor or price the way a reader wants it: 12, 0.75, 5317.5 (no trailing zeros)."""
    text = f"{value:.6g}" if abs(value) < 1e6 else f"{value:.0f}"
    return text


def times_exact(value: float, factor: float) -> float:
    """``value * factor`` as the decimals read: a price read 8.017 (thousand đồng) is
    8017 đồng, where binary floats make it 8016.999999999999 and tables then write that.
    The product of the shortest decimal texts, read back as a float."""
    from decimal import Decimal

    if not (math.isfinite(value) and math.isfinite(factor)):
        return value * factor
    return float(Decimal(repr(float(value))) * Decimal(repr(float(factor))))


def map_unique(values: pd.Series, func) -> pd.Series:
    """``func`` applied once per distinct value (NaN included), aligned to ``values``."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=False)
    results = np.empty(len(uniques), dtype=object)
    for i, value in enumerate(uniques):  # one by one: a tuple result must stay one value
        results[i] = func(value)
    return pd.Series(results[codes], index=values.index, dtype=object)


class Readings:
    """Each row's reading (a parsed price or date, or its error), each distinct one read
    for its fields once: readings come one object per distinct value (:func:`map_unique`),
    and a map per field over every row of a national file (a million) took 0.6 s each."""

    def __init__(self, found: pd.Series) -> None:
        rows = found.to_numpy(dtype=object)
        # The same object for every row of one value: told apart by identity, not value.
        self.codes = pd.factorize(np.fromiter(map(id, rows), np.int64, len(rows)))[0]
        where = np.zeros(self.codes.max() + 1 if len(rows) else 0, dtype=np.int64)
        where[self.codes] = np.arange(len(rows))  # a row of each (any: they are one object)
        self.distinct = rows[where]
        self.index = found.index

    def field(self, get, dtype=object) -> pd.Series:
        """``get(reading)`` for every row, as a Series of ``dtype``."""
        values = np.empty(len(self.distinct), dtype=dtype)
        values[:] = [get(r) for r in self.distinct]
        return pd.Series(values[self.codes], index=self.index, dtype=dtype)


def series_blocks(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[tuple, int, int]]]:
    """``frame`` sorted by series key and date, and each series' ``(key, start, stop)``."""
    key_cols = ["commodity", "market", "price_type", "unit", "currency"]
    ordered = frame.sort_values([*key_cols, "date"], kind="stable")
    # A series starts where any key column changes; compared as codes, in one pass (a
    # national file has a million rows), with a missing value equal to another.
    changed = np.zeros(len(ordered), bool)
    for column in key_cols:
        codes = pd.factorize(ordered[column], use_na_sentinel=True)[0]
        changed[1:] |= codes[1:] != codes[:-1]
    starts = np.flatnonzero(changed | (np.arange(len(ordered)) == 0))
    stops = np.append(starts[1:], len(ordered))
    firsts = ordered.iloc[starts]
    keys = zip(*(firsts[c].tolist() for c in key_cols), strict=True)
    blocks = list(zip(keys, starts.tolist(), stops.tolist(), strict=True))
    return ordered, blocks
