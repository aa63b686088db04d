"""What the store holds: the prices as a PriceTable, a summary, an export, and an audit.

:func:`audit` checks that counts conserve across the tables. For every ingest ``X``:

1. ``rows_in = rows_kept + rows_merged + rows_rejected`` (the cleaning report);
2. ``rows_kept + rows_interpolated = prices_added + prices_unchanged + prices_revised``;
3. ``rows_rejected`` = rows of ``rejected`` with ``ingest_id = X``;
4. ``prices_revised`` = rows of ``revisions`` with ``ingest_id = X`` whose new value is
   observed; the others (new value still ``interpolated``) are the estimates ``X``
   re-estimated, ``R``;
5. ``prices_added + prices_revised + R`` = rows of ``prices`` (and of ``removals``: prices
   ``cropcast store remove`` took out) still from ``X`` plus rows of ``revisions`` that
   replaced a value from ``X`` (each value X wrote stands, was removed, or was replaced
   exactly once);

and overall ``rows of prices + rows of removals = sum of prices_added``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from forecast.errors import InputError, UsageError
from forecast.store.database import Store
from forecast.store.schema import schema_version
from forecast.table import COLUMNS, KEY, select_series, validate

_KEY = ", ".join(KEY)
#: Each stored series' frequency (``KEY`` columns, ``freq``): monthly when its dates are all
#: 1sts, weekly when they are not; a series whose every date is a Monday that is a 1st (the
#: week of 1 December 2025) is on the frequency its ingests cleaned it on, its dates cannot
#: tell.
#: The ingests' word is read once per ingest before the join: joined whole, each price row
#: carried its ingest's report (3.5 MB for a 240,000-row file), and DuckDB ran out of memory
#: at 11 GB.
SERIES_FREQUENCY = f"""SELECT {_KEY}, CASE
        WHEN NOT bool_and(day(p.date) = 1) THEN 'weekly'
        WHEN NOT bool_and(isodow(p.date) = 1) THEN 'monthly'
        ELSE coalesce(max(i.freq), 'monthly')
    END AS freq
    FROM prices p LEFT JOIN (
        SELECT ingest_id, json_extract_string(report, '$.freq') AS freq FROM ingests
    ) i USING (ingest_id) GROUP BY {_KEY}"""


def series_frequencies(store: Store) -> pd.DataFrame:
    """Each stored series' frequency: the ``KEY`` columns and ``freq`` (``SERIES_FREQUENCY``)."""
    with store.reading() as con:
        frame = con.execute(SERIES_FREQUENCY).df()
    return frame.astype({column: object for column in (*KEY, "freq")})


def known_prices(store: Store) -> pd.DataFrame | None:
    """The stored observed prices (not estimates, not outliers) with their dates, as
    ``CleanOptions.known_prices`` takes them; ``None`` without a store."""
    if not store.path.exists():
        return None
    with store.reading() as con:
        frame = con.execute(
            f"""SELECT {_KEY}, date, price FROM prices
            WHERE NOT list_has_any(string_split(flags, ';'), ['interpolated', 'outlier'])"""
        ).df()
    return frame.astype({column: object for column in KEY})


def load_prices(
    store: Store, series: list[str] | None = None, touched_by: list[int] | None = None
) -> pd.DataFrame:
    """The stored prices as a valid PriceTable (current values; revisions are not in it).

    ``series`` filters as ``--series`` does (see :func:`forecast.table.select_series`);
    ``touched_by`` keeps the series (whole) that any of these ingests wrote a price of.
    """
    where = ""
    if touched_by is not None:
        ids = ", ".join(str(int(i)) for i in touched_by) or "NULL"
        where = (
            f"WHERE ({_KEY}) IN (SELECT DISTINCT ({_KEY}) FROM prices WHERE ingest_id IN ({ids}))"
        )
    with store.reading() as con:
        frame = con.execute(
            f"SELECT {_KEY}, date, price, flags FROM prices {where} ORDER BY {_KEY}, date"
        ).df()
    for column in (*KEY, "flags"):
        frame[column] = frame[column].astype(object)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    frame["price"] = frame["price"].astype(float)
    frame = select_series(frame, series)
    if frame.empty:
        return frame[list(COLUMNS)].reset_index(drop=True)
    frame = validate(frame)
    # The store's word on the frequency: a new product's first price, dated Monday 1
    # December in a weekly store, is a week (table_freq), and so in a store of weekly and
    # monthly series, for the series whose dates cannot tell (attrs["series_freq"]; few).
    freqs = series_frequencies(store)
    if freqs["freq"].nunique() == 1:
        frame.attrs["freq"] = str(freqs["freq"].iloc[0])
    else:
        dates = frame["date"]
        untold = (
            (dates.dt.is_month_start & (dates.dt.day_of_week == 0))
            .groupby([frame[c] for c in KEY], observed=True)
            .all()
        )
        untold = untold[untold].index
        if len(untold):
            told = freqs.set_index(list(KEY))["freq"]
            frame.attrs["series_freq"] = {
                tuple(key): str(told[key]) for key in untold if key in told.index
            }
    return frame


def written_prices(store: Store) -> tuple[pd.DataFrame, list[tuple[int, list[dict]]]]:
    """How the stored prices were written: the observed (not interpolated) current prices
    counted per series (``commodity, market, price_type, unit, currency``) and ``ingest_id``
    (``prices``, and the latest one's ``last_date``),
    and each ingest's unit conversions (``[(ingest_id, [conversion, ...]), ...]``, as the
    cleaning report of its file recorded them: ``from``, ``to``, ``factor``, ``rows``).

    The store keeps one canonical unit per series; this is what it remembers of the units a
    depot's files wrote (a chục of 14 nuts, a price per trái).
    """
    import json

    with store.reading() as con:
        counts = con.execute(
            f"SELECT {_KEY}, ingest_id, count(*) AS prices, max(date) AS last_date FROM prices "
            "WHERE flags NOT LIKE '%interpolated%' "
            f"GROUP BY {_KEY}, ingest_id ORDER BY {_KEY}, ingest_id"
        ).df()
        reports = con.execute("SELECT ingest_id, report FROM ingests ORDER BY ingest_id").fetchall()
    conversions = [
        (int(ingest_id), list(json.loads(report).get("conversions") or []))
        for ingest_id, report in reports
    ]
    return counts, conversions


def ingest_log(store: Store) -> pd.DataFrame:
    """One row per ingest, oldest first (the ``ingests`` table without the JSON report)."""
    with store.reading() as con:
        return con.execute("SELECT * EXCLUDE (report) FROM ingests ORDER BY ingest_id").df()


def store_info(store: Store, last: int = 10) -> dict[str, Any]:
    """A JSON-ready summary: counts, span, the last ``last`` ingests, and the audit."""
    with store.reading() as con:
        version = schema_version(con)

        def one(sql: str):
            return con.execute(sql).fetchone()

        n_prices, n_series, first, last_date, estimates = one(
            f"""SELECT count(*), count(DISTINCT ({_KEY})), min(date), max(date),
                count(*) FILTER (WHERE list_contains(string_split(flags, ';'), 'interpolated'))
            FROM prices"""
        )
        (n_ingests,) = one("SELECT count(*) FROM ingests")
        (n_rejected,) = one("SELECT count(*) FROM rejected")
        (n_revisions,) = one("SELECT count(*) FROM revisions")
        (n_removed,) = one("SELECT count(*) FROM removals")
        n_runs, last_run = one("SELECT count(*), max(created_at) FROM forecast_runs")
        (n_forecasts,) = one("SELECT count(*) FROM forecasts")
        freq_counts = con.execute(
            f"SELECT freq, count(*) FROM ({SERIES_FREQUENCY}) GROUP BY freq ORDER BY freq"
        ).fetchall()
        columns = (
            "ingest_id, file_name, ingested_at, rows_in, rows_kept, rows_merged, "
            "rows_rejected, prices_added, prices_unchanged, prices_revised"
        )
        recent = con.execute(
            f"SELECT {columns} FROM ingests ORDER BY ingest_id DESC LIMIT ?", [last]
        ).fetchall()
    names = [c.strip() for c in columns.split(",")]
    recent_rows = []
    for values in reversed(recent):
        row = dict(zip(names, values, strict=True))
        row["ingested_at"] = f"{row['ingested_at']:%Y-%m-%d %H:%M:%S}Z"
        recent_rows.append(row)
    size = store.path.stat().st_size if store.path.exists() else 0
    return {
        "path": str(store.path),
        "bytes": size,
        "schema_version": version,
        "series": int(n_series),
        "series_by_freq": {str(f): int(n) for f, n in freq_counts},
        "prices": int(n_prices),
        "interpolated": int(estimates),
        "first_date": f"{first:%Y-%m-%d}" if first is not None else None,
        "last_date": f"{last_date:%Y-%m-%d}" if last_date is not None else None,
        "ingests": int(n_ingests),
        "rejected_rows": int(n_rejected),
        "revisions": int(n_revisions),
        "removed": int(n_removed),
        "forecast_runs": int(n_runs),
        "forecast_rows": int(n_forecasts),
        "last_forecast_run": f"{last_run:%Y-%m-%d %H:%M:%S}Z" if last_run is not None else None,
        "recent_ingests": recent_rows,
        "problems": audit(store),
    }


def audit(store: Store) -> list[str]:
    """Counts that do not conserve across the tables (see the module docstring); [] is good."""
    with store.reading() as con:
        rows = con.execute(
            """WITH
            rej AS (SELECT ingest_id, count(*) AS n FROM rejected GROUP BY ALL),
            rev_new AS (SELECT ingest_id,
                count(*) FILTER (WHERE NOT {estimate}) AS n,
                count(*) FILTER (WHERE {estimate}) AS reestimated
                FROM revisions GROUP BY ALL),
            rev_old AS (SELECT old_ingest_id AS ingest_id, count(*) AS n FROM revisions
                GROUP BY ALL),
            cur AS (SELECT ingest_id, count(*) AS n FROM prices GROUP BY ALL),
            gone AS (SELECT ingest_id, count(*) AS n FROM removals GROUP BY ALL)
            SELECT i.ingest_id, i.file_name, i.rows_in, i.rows_kept, i.rows_merged,
                i.rows_rejected, i.rows_interpolated, i.prices_added, i.prices_unchanged,
                i.prices_revised, coalesce(rej.n, 0), coalesce(rev_new.n, 0),
                coalesce(rev_new.reestimated, 0), coalesce(rev_old.n, 0),
                coalesce(cur.n, 0) + coalesce(gone.n, 0)
            FROM ingests i
            LEFT JOIN rej USING (ingest_id) LEFT JOIN rev_new USING (ingest_id)
            LEFT JOIN rev_old USING (ingest_id) LEFT JOIN cur USING (ingest_id)
            LEFT JOIN gone USING (ingest_id)
            ORDER BY i.ingest_id""".format(
                estimate="list_contains(string_split(new_flags, ';'), 'interpolated')"
            )
        ).fetchall()
        # A removed price still counts as written by its ingest: it stands in ``removals``.
        (n_prices,) = con.execute(
            "SELECT (SELECT count(*) FROM prices) + (SELECT count(*) FROM removals)"
        ).fetchone()
        (orphans,) = con.execute(
            "SELECT count(*) FROM prices ANTI JOIN ingests USING (ingest_id)"
        ).fetchone()
    problems = []
    for (
        ingest_id,
        name,
        rows_in,
        kept,
        merged,
        rejected,
        interpolated,
        added,
        unchanged,
        revised,
        n_rejected,
        n_revised,
        n_reestimated,
        n_replaced,
        n_current,
    ) in rows:
        where = f"ingest #{ingest_id} ({name})"
        if rows_in != kept + merged + rejected:
            problems.append(
                f"{where}: rows in {rows_in} != kept {kept} + merged {merged} + rejected {rejected}"
            )
        if kept + interpolated != added + unchanged + revised:
            problems.append(
                f"{where}: kept {kept} + interpolated {interpolated} != added {added} + "
                f"unchanged {unchanged} + revised {revised}"
            )
        if n_rejected != rejected:
            problems.append(f"{where}: {n_rejected} rejected rows stored, report says {rejected}")
        if n_revised != revised:
            problems.append(f"{where}: {n_revised} revisions stored, ingest says {revised}")
        wrote = added + revised + n_reestimated
        if wrote != n_current + n_replaced:
            problems.append(
                f"{where}: wrote {wrote} values but {n_current} stand (or were removed) and "
                f"{n_replaced} were replaced"
            )
    total_added = sum(r[7] for r in rows)
    if n_prices != total_added:
        problems.append(f"{n_prices} prices stored but ingests added {total_added}")
    if orphans:
        problems.append(f"{orphans} prices name an ingest that is not in the log")
    return problems


def export_prices(
    store: Store, path: str | Path, fmt: str | None = None, series: list[str] | None = None
) -> int:
    """Write the stored prices as a PriceTable file (``csv`` or ``parquet``); returns rows.

    ``fmt`` defaults to the file's extension; a format that contradicts the extension is a
    usage error rather than a file with a misleading name.
    """
    from forecast.datasets import write_price_table

    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if fmt is None:  # from the name: the option to blame is --output
        if suffix not in ("csv", "parquet"):
            raise UsageError(
                f"cannot tell a format from {path.name!r}: prices are exported as .csv or .parquet",
                "--output",
                f"Use e.g. -o {path.stem or 'prices'}.csv",
            )
        fmt = suffix
    fmt = fmt.lower()
    if fmt not in ("csv", "parquet"):
        raise UsageError(f"cannot export '{fmt}' files", "--format", "Use csv or parquet")
    if suffix != fmt:
        raise UsageError(
            f"the file name {path.name!r} does not end in .{fmt}",
            "--output",
            f"Use e.g. -o prices.{fmt}",
        )
    prices = load_prices(store, series)
    if prices.empty and series and not load_prices(store).empty:
        # The store holds prices; the filter matched none of them.
        raise UsageError(
            f"no stored series matches {' or '.join(repr(s) for s in series)}",
            "--series",
            f"Run 'cropcast data list --db {store.path}' to see the stored series",
        )
    if prices.empty:
        raise InputError(
            "the store holds no prices", str(store.path), "Add some with: cropcast ingest FILE"
        )
    write_price_table(prices, path, "--output")
    return len(prices)
