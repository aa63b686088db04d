"""Readers: files as users download them -> one raw long table (``RawPrices``).

Readers only locate and map columns; they do not parse dates or numbers (cleaning does, so
that every refused row is reported with its reason). See ``read_prices``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: Columns of ``RawPrices.table``. Values are as found in the file (usually strings).
RAW_COLUMNS = ("row", "date", "commodity", "market", "price_type", "unit", "currency", "price",
               "priceflag")


@dataclass
class RawPrices:
    """What a reader found in one file, before cleaning.

    Attributes
    ----------
    table
        One row per observation with ``RAW_COLUMNS``: ``row`` is the 1-based data-row number
        in the source (the key into ``original``); the other columns hold the raw values.
        ``priceflag`` is ``""`` where the file has none.
    original
        The file's own columns, as read, indexed by ``row``: the rejected-rows file is built
        from it so a user sees the row they wrote.
    source
        File name the rows came from.
    kind
        ``"wfp"``, ``"pinksheet"`` or ``"table"`` (generic CSV/TSV/Excel/Parquet).
    notes
        What the reader did that a user should know (e.g. "skipped the HXL tag row").
    """

    table: pd.DataFrame
    original: pd.DataFrame
    source: str
    kind: str
    notes: list[str] = field(default_factory=list)
