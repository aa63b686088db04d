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
    table: pd.DataFrame, series: Iterable[tuple], chuc_size: int = 12
) -> tuple[pd.DataFrame, list[tuple]]:
    """``table`` (forecasts: key columns, ``forecast``, ``lower_<L>``, ``upper_<L>``) with
    each key renamed onto one of ``series`` and its prices put in that series' unit and
    currency units; and the keys that meet none of them (in ``table``'s spelling)."""
    known = set(series)
    by_name: dict[tuple, list[tuple]] = {}
    for key in known:
        by_name.setdefault(tuple(fold(v) for v in key[:3]), []).append(key)
    entries, unmatched = [], []
    for key in table[list(KEY)].drop_duplicates().itertuples(index=False, name=None):
        if key in known:
            continue
        code, units = read_currency(key[4])
        fits = []
        for candidate in by_name.get(tuple(fold(v) for v in key[:3]), []):
            factor = unit_factor(key[3], candidate[3], chuc_size)
            if factor is not None and code == candidate[4]:
                fits.append((abs(np.log(factor)), candidate, factor * units))
        if not fits:
            unmatched.append(key)
            continue
        # A bag's price meets the bag's own series (a kg and a 50 kg series side by side)
        # before it meets the kilo's.
        _, candidate, factor = min(fits, key=lambda fit: fit[0])
        entries.append({"series": list(candidate), "as_given": list(key), "factor": factor})
    return named_as_cropcast(table, entries), unmatched
