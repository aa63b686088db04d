"""WFP VAM food prices as published on HDX ("<Country> - Food Prices" CSV).

Two schemas are in the wild: the older one (``date, admin1, admin2, market, latitude,
longitude, category, commodity, unit, priceflag, pricetype, currency, price, usdprice``) and
the current one, which adds ``market_id`` and ``commodity_id``. Either may carry an HXL
hashtag row under the header. Dates may be ISO or m/d/yyyy (mirrors re-saved through a
spreadsheet); they are left as written for cleaning to parse.
"""

from __future__ import annotations

import pandas as pd

#: Header names that together identify a WFP/HDX price file.
SIGNATURE = frozenset(
    {"date", "admin1", "market", "commodity", "unit", "priceflag", "pricetype", "currency", "price"}
)
CURRENT_SCHEMA = frozenset({"market_id", "commodity_id"})

#: Contract column -> WFP column. ``market`` is WFP's market name as is; admin1/admin2 stay
#: in ``original`` only.
MAPPING = {
    "date": "date",
    "commodity": "commodity",
    "market": "market",
    "price_type": "pricetype",
    "unit": "unit",
    "currency": "currency",
    "price": "price",
    "priceflag": "priceflag",
}


def is_wfp(columns: list[str]) -> bool:
    """True when the header holds every column of the WFP signature."""
    return SIGNATURE.issubset(str(c).strip().lower() for c in columns)


def wfp_mapping(columns: list[str], user_mapping: dict[str, str] | None) -> dict[str, str]:
    """The WFP mapping, matched to the file's own spelling, overridden by the user's."""
    by_lower = {str(c).strip().lower(): c for c in columns}
    mapping = {key: by_lower[wfp] for key, wfp in MAPPING.items() if wfp in by_lower}
    mapping.update(user_mapping or {})
    return mapping


def wfp_notes(columns: list[str], frame: pd.DataFrame, flag_column: str | None) -> list[str]:
    """Which schema was detected, and the priceflag counts (``forecast`` rows are not data)."""
    lower = {str(c).strip().lower() for c in columns}
    if CURRENT_SCHEMA.issubset(lower):
        notes = ["WFP/HDX price file, current schema (with market_id, commodity_id)"]
    else:
        notes = ["WFP/HDX price file, older schema (no market_id, commodity_id)"]
    if flag_column is not None and flag_column in frame.columns:
        counts = frame[flag_column].value_counts(sort=True)
        notes.append(
            "priceflag values: " + ", ".join(f"{k or '(empty)'} {v}" for k, v in counts.items())
        )
    return notes
