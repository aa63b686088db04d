"""Taking series out of the store (``cropcast store remove``), never losing them.

A file ingested under another spelling (``retail`` beside ``Retail``, a currency ``NGHIN``)
leaves series that every forecast and bulletin then carries. Removing them moves their
prices, as they stand, into ``removals`` in one transaction; the counts still conserve
(``rows of prices + rows of removals = prices added``, see :func:`~forecast.store.audit`).
"""

from __future__ import annotations

import pandas as pd

from forecast.store.database import Store
from forecast.store.schema import utc_now
from forecast.table import KEY, select_series

_KEY = ", ".join(KEY)


def matching_series(store: Store, series: list[str]) -> pd.DataFrame:
    """The stored series ``--series`` patterns match, capitals as written: ``KEY`` columns,
    ``prices``, ``first`` and ``last`` date (empty when none match)."""
    with store.reading() as con:
        counts = con.execute(
            f"SELECT {_KEY}, count(*) AS prices, min(date) AS first, max(date) AS last "
            f"FROM prices GROUP BY ALL ORDER BY {_KEY}"
        ).df()
    if counts.empty:
        return counts
    counts = counts.astype({column: object for column in KEY})
    # Capitals count: the series to take out is most often the twin of a good one spelt
    # with other capitals ("retail" beside "Retail").
    return select_series(counts, series, exact_case=True).reset_index(drop=True)


def remove_series(store: Store, series: list[str]) -> pd.DataFrame:
    """Move every price of the series ``series`` matches into ``removals``; returns what
    :func:`matching_series` found (nothing is done when it is empty)."""
    found = matching_series(store, series)
    if found.empty:
        return found
    keys = found[list(KEY)]
    asked = " ; ".join(series)
    with store.writing() as con:
        con.register("chosen", keys)
        (removal_id,) = con.execute(
            "SELECT coalesce(max(removal_id), 0) + 1 FROM removals"
        ).fetchone()
        con.execute(
            f"""INSERT INTO removals
            SELECT ?, ?, ?, {_KEY}, date, price, flags, source, ingest_id
            FROM prices SEMI JOIN chosen USING ({_KEY})""",
            [removal_id, utc_now(), asked],
        )
        same = " AND ".join(f"prices.{k} = chosen.{k}" for k in KEY)
        con.execute(f"DELETE FROM prices USING chosen WHERE {same}")
        con.unregister("chosen")
    return found


__all__ = ["matching_series", "remove_series"]
