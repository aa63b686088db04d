"""The raw table every reader produces: ``RawPrices`` and its columns ``RAW_COLUMNS``.

Kept apart from ``forecast.io.__init__`` so the format modules can build it without an import
cycle; import both names from ``forecast.io``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: Columns of ``RawPrices.table``. Values are as found in the file (usually strings).
RAW_COLUMNS = (
    "row",
    "date",
    "commodity",
    "market",
    "price_type",
    "unit",
    "currency",
    "price",
    "priceflag",
)


@dataclass
class RawPrices:
    """What a reader found in one file, before cleaning.

    Attributes
    ----------
    table
        One row per observation with ``RAW_COLUMNS``: ``row`` is the 1-based data-row number
        in the source (the key into ``original``); the other columns hold the raw values.
        ``priceflag`` is ``""`` where the file has none. A PriceTable cropcast wrote (a
        cleaned file) adds its ``flags`` column, and a CSV with lines that do not split
        into its header's columns a ``line_error`` column (the reason, "" for the rows
        read), for cleaning to refuse those rows. For CSV/TSV/Parquet/Excel tables the
        first data row is 1 (header rows and an HXL tag row are not counted); for the Pink
        Sheet ``row`` is the sheet's own row number, and one sheet row gives many observations.
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
