"""Taking series out of the store (``cropcast store remove``), never losing them.

A file ingested under another spelling (``retail`` beside ``Retail``, a currency ``NGHIN``)
leaves series that every forecast and bulletin then carries; a mistyped date (2026 for
2021) leaves a price that a corrected file does not take out (it adds the right date beside
it), and the series' forecast starts from it. Removing them moves their
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


def matching_prices(store: Store, series: list[str], dates: list[str]) -> pd.DataFrame:
    """The stored prices of the series ``series`` matches dated as ``dates`` asks (each a
    day, ``2026-06-01``, or a month, ``2026-06``), with the interpolated estimates that
    lean on them: key, ``date``, ``estimate`` (bool). Cleaning interpolated those between
    a removed price and the real prices around it, so they would keep a mistyped price's
    trace in the series."""
    found = matching_series(store, series)
    if found.empty:
        return pd.DataFrame(columns=[*KEY, "date", "estimate"])
    with store.reading() as con:
        con.register("chosen", found[list(KEY)])
        rows = con.execute(
            f"SELECT {_KEY}, date, flags FROM prices SEMI JOIN chosen USING ({_KEY}) "
            f"ORDER BY {_KEY}, date"
        ).df()
        con.unregister("chosen")
    rows = rows.astype({column: object for column in KEY})
    rows["date"] = pd.to_datetime(rows["date"])
    estimate = rows["flags"].fillna("").str.split(";").map(lambda marks: "interpolated" in marks)
    estimate = estimate.astype(bool)
    by_date = _asked(rows, dates)
    asked = pd.Series(False, index=rows.index)
    for matched in by_date.values():
        asked |= matched
    # A date whose price cleaning made is no price to take out: it goes with a real one.
    taken = asked & ~estimate
    for _, group in rows.groupby(list(KEY), sort=False, observed=True):
        real = group.index[~estimate[group.index]]
        for at in group.index[asked[group.index] & ~estimate[group.index]]:
            # The estimates between the real prices on either side of a removed one.
            position = real.get_loc(at)
            start = group.loc[real[position - 1], "date"] if position else group["date"].min()
            end = group.loc[real[position + 1], "date"] if position + 1 < len(real) else None
            inside = (group["date"] > start) & (group["date"] < end if end is not None else True)
            taken[group.index[inside & estimate[group.index]]] = True
    out = rows.loc[taken, [*KEY, "date"]].assign(estimate=estimate[taken]).reset_index(drop=True)
    # Each date asked for, said if it found no real price: on an estimate only, or nothing.
    out.attrs["estimates_only"] = [
        d for d, m in by_date.items() if not (m & ~estimate).any() and (m & estimate).any()
    ]
    out.attrs["no_price"] = [d for d, m in by_date.items() if not m.any()]
    return out


def _asked(rows: pd.DataFrame, dates: list[str]) -> dict[str, pd.Series]:
    """Per date asked for, the rows it names: a month (2026-06) its prices; a day, the
    price of that day or of the period holding it, as the user's file dated it (WFP's 15th
    is its month's price, stored on the 1st; a Friday is its week's, stored on Monday)."""
    keys = [rows[c] for c in KEY]
    when = rows["date"]
    monthly = when.dt.is_month_start.groupby(keys, observed=True).transform("all")
    weekly = (when.dt.day_of_week == 0).groupby(keys, observed=True).transform("all")
    month = when.dt.strftime("%Y-%m")
    out = {}
    for text in dates:
        if len(text) == 7:
            out[text] = month == text
            continue
        day = pd.Timestamp(text)
        monday = day - pd.Timedelta(days=day.day_of_week)
        out[text] = (
            (when == day) | (monthly & (when == day.replace(day=1))) | (weekly & (when == monday))
        )
    return out


def remove_series(store: Store, series: list[str], dates: list[str] | None = None) -> pd.DataFrame:
    """Move every price of the series ``series`` matches into ``removals`` (with ``dates``,
    only the prices :func:`matching_prices` finds); returns the series found, as
    :func:`matching_series` does, counting only what went (nothing is done when none)."""
    if dates:
        chosen = matching_prices(store, series, dates)
        found = _counted(chosen)
    else:
        found = matching_series(store, series)
        chosen = found[list(KEY)]
    if found.empty:
        return found
    asked = " ; ".join(series) + "".join(f" --date {date}" for date in dates or ())
    columns = [*KEY, "date"] if dates else list(KEY)
    using = ", ".join(columns)
    with store.writing() as con:
        con.register("chosen", chosen[columns])
        (removal_id,) = con.execute(
            "SELECT coalesce(max(removal_id), 0) + 1 FROM removals"
        ).fetchone()
        con.execute(
            f"""INSERT INTO removals
            SELECT ?, ?, ?, {_KEY}, date, price, flags, source, ingest_id
            FROM prices SEMI JOIN chosen USING ({using})""",
            [removal_id, utc_now(), asked],
        )
        same = " AND ".join(f"prices.{k} = chosen.{k}" for k in columns)
        con.execute(f"DELETE FROM prices USING chosen WHERE {same}")
        con.unregister("chosen")
    return found


def _counted(chosen: pd.DataFrame) -> pd.DataFrame:
    """Prices to remove counted per series, as :func:`matching_series` counts them, and
    ``estimates`` (how many of them are interpolated)."""
    if chosen.empty:
        return pd.DataFrame(columns=[*KEY, "prices", "first", "last", "estimates"])
    return (
        chosen.groupby(list(KEY), sort=True, observed=True)
        .agg(
            prices=("date", "size"),
            first=("date", "min"),
            last=("date", "max"),
            estimates=("estimate", "sum"),
        )
        .reset_index()
    )


__all__ = ["matching_prices", "matching_series", "remove_series"]
