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
from forecast.clean.units import parse_unit_of, unit_factor
from forecast.table import KEY, named_as_cropcast


def onto_series(
    table: pd.DataFrame,
    series: Iterable[tuple],
    chuc_sizes: dict[tuple, int] | None = None,
    chuc_size: int = 12,
) -> tuple[pd.DataFrame, list[tuple]]:
    """``table`` (forecasts: key columns, ``date``, ``forecast``, ``lower_<L>``,
    ``upper_<L>``) with each key renamed onto one of ``series`` and its prices put in that
    series' unit and currency units; and the keys that meet none (in ``table``'s spelling).

    A key meets the series cleaning would have put its prices in: the one series of its
    commodity, market, price type, currency and kind of unit (bags then kilos, "KG" then
    kg), or, where a market prices that in several units side by side (kilos and 50 kg
    bags, kept apart as price levels of their own), the series in its very unit, else
    none. Where two keys meet one series on one date, the series' own spelling stands,
    then the table's first. ``chuc_sizes`` gives the nuts in a series' chục by (commodity,
    market, price type, currency), else ``chuc_size``."""
    known = set(series)
    present = table[list(KEY)].drop_duplicates().itertuples(index=False, name=None)
    kinds: dict[tuple, list[tuple]] = {}
    for key in known:
        kinds.setdefault((*_name(key), key[4], _unit(key).dimension), []).append(key)
    entries, unmatched, distance = [], [], {}
    for key in present:
        if key in known:
            continue
        code, units = read_currency(key[4])
        unit = _unit(key)
        side_by_side = kinds.get((*_name(key), code, unit.dimension), [])
        if len(side_by_side) > 1:
            side_by_side = [s for s in side_by_side if _unit(s).name == unit.name]
        factor = None
        if len(side_by_side) == 1:
            (candidate,) = side_by_side
            size = (chuc_sizes or {}).get((*candidate[:3], candidate[4]), chuc_size)
            factor = unit_factor(key[3], candidate[3], size, commodity=candidate[0])
        if factor is None:
            unmatched.append(key)
            continue
        entries.append({"series": list(candidate), "as_given": list(key), "factor": factor * units})
        distance[key] = abs(float(np.log(factor)))  # of the unit alone, not the currency's scale
    # Where keys meet one series on one date, the series' own spelling stands, then the
    # nearest unit: "KG" for kg before a "50 KG" bag's forecast divided by 50 (a market
    # that priced both then prices kilos only now), then the table's first.
    keys = list(table[list(KEY)].itertuples(index=False, name=None))
    rank = pd.DataFrame(
        {"own": [key not in known for key in keys], "unit": [distance.get(k, 0.0) for k in keys]},
        index=table.index,
    )
    renamed = named_as_cropcast(table, entries)
    first = renamed.loc[rank.sort_values(["own", "unit"], kind="stable").index]
    kept = first[~first.duplicated([*KEY, "date"])].sort_index()
    return kept, sorted(unmatched)


def _unit(key: tuple):
    """A key's unit as cleaning reads it (eggs count ten to a chục)."""
    return parse_unit_of(key[3], key[0])


def _name(key: tuple) -> tuple:
    """Commodity, market and price type as matched: but for case, spaces and accents."""
    return tuple(fold(v) for v in key[:3])


def ungraded(unmatched: list[tuple], table: pd.DataFrame, chosen: Iterable[tuple]) -> list[tuple]:
    """Of ``unmatched`` keys (see :func:`onto_series`), those naming a series in ``chosen``
    that ``table`` (already renamed) holds no forecast of, in a currency or kind of unit
    that does not convert to the series' own (EUR for USD, litres for kilos, crates for
    baskets): its grade would go missing unsaid. A unit kept apart (a stopped tonne series
    beside a new bag one) is another series, not this one's forecast."""
    have = set(table[list(KEY)].drop_duplicates().itertuples(index=False, name=None))
    bare: dict[tuple, list[tuple]] = {}
    for key in chosen:
        if key not in have:
            bare.setdefault(_name(key), []).append(key)
    return [
        key
        for key in unmatched
        if any(
            read_currency(key[4])[0] != series[4]
            or unit_factor(key[3], series[3], commodity=series[0]) is None
            for series in bare.get(_name(key), [])
        )
    ]
