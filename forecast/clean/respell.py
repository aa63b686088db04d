"""Reading a table written in a user's spellings back onto cropcast's series.

Forecast files name each series as the input file did, in its units (``KG``, ``đồng``, a
price per ``50 KG`` bag: see ``forecast.commands.shared.write_as_given``). Last period's
forecasts (``bulletin --previous fc.csv``) come back in those spellings, perhaps from a file
that wrote a series otherwise than this period's does ("KG" then, "kg" now; bags then,
kilos now), or to a bulletin of the store, which keeps cropcast's names. Each of their keys
is matched to a series here as cleaning would name it: the same commodity, market and
price type but for case, spaces and accents, the same currency once read, and a unit that
converts into the series' own.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from forecast.clean.base import fold
from forecast.clean.currency import read_currency
from forecast.clean.units import unit_factor
from forecast.table import KEY, named_as_cropcast


def onto_series(
    table: pd.DataFrame,
    series: Iterable[tuple],
    chuc_sizes: dict[tuple, int] | None = None,
    chuc_size: int = 12,
) -> tuple[pd.DataFrame, list[tuple]]:
    """``table`` (forecasts: key columns, ``forecast``, ``lower_<L>``, ``upper_<L>``) with
    each key renamed onto one of ``series`` and its prices put in that series' unit and
    currency units; and the keys that meet none (in ``table``'s spelling).

    A series the table names exactly takes no other key's rows, and each series takes one
    key at most, the nearest unit first (the bag's forecast meets the bag series, the
    kilo's the kilo's, where a market prices both). ``chuc_sizes`` gives the nuts in a
    series' chục by (commodity, market, price type, currency), else ``chuc_size``."""
    known = set(series)
    present = set(table[list(KEY)].drop_duplicates().itertuples(index=False, name=None))
    by_name: dict[tuple, list[tuple]] = {}
    for key in known - present:
        by_name.setdefault(_name(key), []).append(key)
    fits = []
    for key in present - known:
        code, units = read_currency(key[4])
        for candidate in by_name.get(_name(key), []):
            if code != candidate[4]:
                continue
            size = (chuc_sizes or {}).get((*candidate[:3], candidate[4]), chuc_size)
            factor = unit_factor(key[3], candidate[3], size, commodity=candidate[0])
            if factor is not None:
                fits.append((abs(float(np.log(factor))), key, candidate, factor * units))
    entries, met, taken = [], set(), set()
    for _, key, candidate, factor in sorted(fits, key=lambda fit: fit[:3]):
        if key in met or candidate in taken:
            continue
        met.add(key)
        taken.add(candidate)
        entries.append({"series": list(candidate), "as_given": list(key), "factor": factor})
    unmatched = sorted(present - known - met)
    return named_as_cropcast(table, entries), unmatched


def _name(key: tuple) -> tuple:
    """Commodity, market and price type as matched: but for case, spaces and accents."""
    return tuple(fold(v) for v in key[:3])


def ungraded(unmatched: list[tuple], table: pd.DataFrame, chosen: Iterable[tuple]) -> list[tuple]:
    """Of ``unmatched`` keys (see :func:`onto_series`), those naming a series in ``chosen``
    that ``table`` (already renamed) holds no forecast of: spelled in a unit or currency
    that does not convert to the series' own, its forecast would go ungraded unsaid."""
    have = set(table[list(KEY)].drop_duplicates().itertuples(index=False, name=None))
    bare = {_name(key) for key in chosen if key not in have}
    return [key for key in unmatched if _name(key) in bare]
