"""The store's tables, and the migrations that build them one schema version at a time.

``cropcast_schema`` holds one row per migration applied (``version, applied_at, what``); the
store's version is the highest. A file without that table is not a cropcast store, and
cropcast never writes to it. Migrations only add: a store made by an older cropcast is
brought up to date the first time a newer one opens it, inside one transaction.

Tables (version 3):

``ingests``
    One row per file added: name, sha256, byte size, the cleaning counts (``rows_in =
    rows_kept + rows_merged + rows_rejected``), how its prices landed (``rows_kept +
    rows_interpolated = prices_added + prices_unchanged + prices_revised``), when, and the
    full cleaning report as JSON.
``prices``
    The PriceTable (key, ``date``, ``price``, ``flags``) plus ``source`` (file name) and
    ``ingest_id`` of the ingest that wrote the current value. Key plus date is the primary key.
``rejected``
    Rows cleaning refused: ``ingest_id``, ``file_row``, ``reason`` and the row as written
    (``original``, JSON).
``revisions``
    Every stored value a later ingest replaced: the old value with its flags, source and
    ingest, and the new value with the ingest that brought it. An interpolated estimate
    re-estimated between new real neighbours is kept the same way (``new_flags`` then
    still ``interpolated``).
``removals``
    Prices ``cropcast store remove`` took out of ``prices`` (a series ingested under a
    misspelt name): each row as it stood, with its ingest, and the removal's number, time
    and the ``--series`` asked (``asked``).
``forecast_runs``, ``forecasts``, ``forecast_intervals``
    The forecast archive: one row per run (model asked for, ``as_of`` = last price date,
    horizon, levels), one per series and period (``step``, ``forecast``, model used), and
    one per interval level.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone

#: The table that marks a file as a cropcast store.
VERSION_TABLE = "cropcast_schema"

_KEY_DDL = """
    commodity VARCHAR NOT NULL,
    market VARCHAR NOT NULL,
    price_type VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    currency VARCHAR NOT NULL"""

_KEY = "commodity, market, price_type, unit, currency"

#: (what it does, statements), version n is ``MIGRATIONS[n - 1]``.
MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "price history: ingests, prices, rejected rows, revisions",
        (
            """CREATE TABLE ingests (
                ingest_id INTEGER PRIMARY KEY,
                file_name VARCHAR NOT NULL,
                sha256 VARCHAR NOT NULL UNIQUE,
                file_bytes BIGINT NOT NULL,
                kind VARCHAR,
                freq VARCHAR,
                rows_in INTEGER NOT NULL,
                rows_kept INTEGER NOT NULL,
                rows_merged INTEGER NOT NULL,
                rows_rejected INTEGER NOT NULL,
                rows_interpolated INTEGER NOT NULL,
                prices_added INTEGER NOT NULL,
                prices_unchanged INTEGER NOT NULL,
                prices_revised INTEGER NOT NULL,
                ingested_at TIMESTAMP NOT NULL,
                report VARCHAR NOT NULL
            )""",
            f"""CREATE TABLE prices ({_KEY_DDL},
                date DATE NOT NULL,
                price DOUBLE NOT NULL CHECK (price > 0 AND isfinite(price)),
                flags VARCHAR NOT NULL DEFAULT '',
                source VARCHAR NOT NULL,
                ingest_id INTEGER NOT NULL,
                PRIMARY KEY ({_KEY}, date)
            )""",
            """CREATE TABLE rejected (
                ingest_id INTEGER NOT NULL,
                file_row BIGINT,
                reason VARCHAR NOT NULL,
                original VARCHAR NOT NULL
            )""",
            f"""CREATE TABLE revisions (
                ingest_id INTEGER NOT NULL,{_KEY_DDL},
                date DATE NOT NULL,
                old_price DOUBLE NOT NULL,
                old_flags VARCHAR NOT NULL,
                old_source VARCHAR NOT NULL,
                old_ingest_id INTEGER NOT NULL,
                new_price DOUBLE NOT NULL,
                new_flags VARCHAR NOT NULL
            )""",
        ),
    ),
    (
        "forecast archive: forecast_runs, forecasts, forecast_intervals",
        (
            """CREATE TABLE forecast_runs (
                run_id INTEGER PRIMARY KEY,
                created_at TIMESTAMP NOT NULL,
                model VARCHAR NOT NULL,
                as_of DATE NOT NULL,
                horizon INTEGER NOT NULL,
                levels VARCHAR NOT NULL,
                n_series INTEGER NOT NULL,
                source VARCHAR NOT NULL,
                use_calendar BOOLEAN NOT NULL
            )""",
            f"""CREATE TABLE forecasts (
                run_id INTEGER NOT NULL,{_KEY_DDL},
                date DATE NOT NULL,
                step INTEGER NOT NULL,
                forecast DOUBLE,
                model VARCHAR NOT NULL,
                PRIMARY KEY (run_id, {_KEY}, date)
            )""",
            f"""CREATE TABLE forecast_intervals (
                run_id INTEGER NOT NULL,{_KEY_DDL},
                date DATE NOT NULL,
                level DOUBLE NOT NULL,
                lower DOUBLE,
                upper DOUBLE,
                PRIMARY KEY (run_id, {_KEY}, date, level)
            )""",
        ),
    ),
)

MIGRATIONS += (
    (
        "removals: the prices 'cropcast store remove' took out, kept",
        (
            f"""CREATE TABLE removals (
                removal_id INTEGER NOT NULL,
                removed_at TIMESTAMP NOT NULL,
                asked VARCHAR NOT NULL,{_KEY_DDL},
                date DATE NOT NULL,
                price DOUBLE NOT NULL,
                flags VARCHAR NOT NULL,
                source VARCHAR NOT NULL,
                ingest_id INTEGER NOT NULL
            )""",
        ),
    ),
)

#: The schema version this cropcast writes.
CURRENT_VERSION = len(MIGRATIONS)


def utc_now() -> datetime:
    """Now in UTC, without tzinfo: how the store writes times (TIMESTAMP columns)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def user_tables(con) -> list[str]:
    """Names of the permanent tables in the open database."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND NOT temporary ORDER BY table_name"
    ).fetchall()
    return [name for (name,) in rows]


@functools.cache
def current_tables() -> frozenset[str]:
    """The tables a store at :data:`CURRENT_VERSION` has (made once, in memory)."""
    import duckdb

    con = duckdb.connect()
    try:
        migrate(con)
        return frozenset(user_tables(con))
    finally:
        con.close()


def schema_version(con) -> int | None:
    """The store's schema version; ``None`` when the file has no ``cropcast_schema`` table."""
    if VERSION_TABLE not in user_tables(con):
        return None
    (version,) = con.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}").fetchone()
    return int(version)


def migrate(con) -> list[int]:
    """Bring the open database up to :data:`CURRENT_VERSION`; returns the versions applied.

    The caller holds the transaction, so a migration is all in or all out.
    """
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} ("
        "version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL, what VARCHAR NOT NULL)"
    )
    current = schema_version(con) or 0
    applied = []
    for version, (what, statements) in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        for statement in statements:
            con.execute(statement)
        con.execute(f"INSERT INTO {VERSION_TABLE} VALUES (?, ?, ?)", [version, utc_now(), what])
        applied.append(version)
    return applied
