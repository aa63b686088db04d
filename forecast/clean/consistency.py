"""Step "one unit and currency per series": a user's own sheet must not mix them.

In a publisher's file (WFP, the Pink Sheet) unit and currency are part of the publisher's own
series key: "Maize, KG" and "Maize, 50 KG bag" may be one series after conversion, but
"Eggs, Unit" and "Eggs, KG", or the same bread priced in USD and in local currency, are
distinct series there, and cleaning keeps them apart. In a user's own sheet a commodity and
market priced both per kg and per nut (or in đồng and in dollars) is a mistake to fix at the
source: guessing a weight per nut, or an exchange rate, would silently change data. So for
those files this step stops with one clear error.
"""

from __future__ import annotations

import pandas as pd

from forecast.clean.base import StepOutput
from forecast.clean.options import CleanOptions
from forecast.errors import InputError


def one_unit_and_currency(
    frame: pd.DataFrame, options: CleanOptions, *, where: str | None = None
) -> StepOutput:
    """Raise ``InputError`` when a (commodity, market, price_type) mixes units or currencies."""
    groups = frame.groupby(["commodity", "market", "price_type"], sort=True)
    units = groups["unit"].unique()
    mixed = units[units.map(len) > 1]
    if len(mixed):
        (commodity, market, price_type), found = next(iter(mixed.items()))
        written = sorted(
            set(
                frame.loc[
                    (frame["commodity"] == commodity) & (frame["market"] == market), "unit_raw"
                ].astype(str)
            )
        )
        raise InputError(
            f"series '{commodity} | {market} | {price_type}' mixes units that cannot be "
            f"converted into one another ({', '.join(written)})",
            where,
            "Write one unit per commodity and market (e.g. price per kg), or split the file",
        )
    currencies = groups["currency"].unique()
    mixed = currencies[currencies.map(len) > 1]
    if len(mixed):
        (commodity, market, price_type), found = next(iter(mixed.items()))
        raise InputError(
            f"series '{commodity} | {market} | {price_type}' mixes currencies "
            f"{' and '.join(sorted(found))}, which cannot be reconciled without exchange rates",
            where,
            "Convert the prices to one currency first, or give a rates table",
        )
    return StepOutput(frame)
