"""Step "one unit and currency per series": say where a sheet prices one thing two ways.

Unit and currency are part of the series key (the data contract): "Eggs, Unit" and "Eggs,
KG", or bread priced in USD and in local currency, are distinct series. In a user's own
sheet the same is often a slip (coconuts per kg and per nut in one market, a few prices in
dollars among the đồng), and in a WFP file too, which users edit (a few rows re-priced in
USD) or which WFP itself prices by the bag and by the kilo; but guessing a weight per nut or
an exchange rate would silently change data, and refusing the whole file would stop every
other series for one. So the prices stay as written, in series of their own, and the report
says where, for the user to know and to fix at the source if it was a slip. (The Pink
Sheet names each of its series apart: it has nothing to say there.)
"""

from __future__ import annotations

import pandas as pd

from forecast.clean.base import StepOutput
from forecast.clean.options import CleanOptions


def one_unit_and_currency(frame: pd.DataFrame, options: CleanOptions) -> StepOutput:
    """Note each (commodity, market, price_type) priced in several units or currencies."""
    split = []
    where = ["commodity", "market", "price_type"]
    for column, kind in (("unit", "units"), ("currency", "currencies")):
        # Each distinct pairing once, then only those priced more than one way: a national
        # file has a million rows and 40,000 series, of which a handful are split.
        distinct = frame[[*where, column]].drop_duplicates()
        several = distinct[distinct.duplicated(where, keep=False)]
        found = several.groupby(where, sort=True, observed=True)[column].unique()
        for (commodity, market, price_type), values in found.items():
            split.append(
                {
                    "series": f"{commodity} | {market} | {price_type}",
                    "kind": kind,
                    "values": sorted(map(str, values)),
                }
            )
    notes = [
        f"{s['series']} is priced in {len(s['values'])} {s['kind']} "
        f"({', '.join(s['values'])}): kept as {len(s['values'])} series"
        for s in split
    ]
    return StepOutput(frame, notes=notes, details={"split": split})
