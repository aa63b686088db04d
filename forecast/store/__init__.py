"""The store: one embedded DuckDB database with the cleaned prices and every forecast issued.

It never loses or silently rewrites a price: each file is added in one transaction
(:func:`ingest_file`), a file seen before (same sha256) adds nothing, and a new value for a
stored period keeps the old one in ``revisions``. Interpolated estimates are derived: when
real prices arrive around one, it is interpolated again (the old estimate kept as a
revision). Forecasts are archived
(:func:`archive_forecasts`) and scored when their actuals arrive (:func:`accuracy`).

Where: ``--db PATH``, else ``$CROPCAST_DB``, else ``./cropcast.duckdb``
(:func:`resolve_location`). Modules: ``schema`` (tables, migrations), ``database`` (open,
check, create, wait for locks), ``ingest``, ``contents`` (load, info, export, audit),
``archive`` (forecast runs), ``accuracy``.
"""

from forecast.store.accuracy import accuracy, forecast_errors
from forecast.store.archive import (
    archive_forecasts,
    archived_forecasts,
    forecast_runs,
    previous_forecasts,
)
from forecast.store.contents import (
    audit,
    export_prices,
    ingest_log,
    load_prices,
    store_info,
    written_prices,
)
from forecast.store.database import (
    DEFAULT_NAME,
    DEFAULT_WAIT,
    ENV_VAR,
    Store,
    StoreBusyError,
    open_store,
    resolve_location,
)
from forecast.store.ingest import IngestResult, file_sha256, ingest_clean, ingest_file
from forecast.store.schema import CURRENT_VERSION

__all__ = [
    "CURRENT_VERSION",
    "DEFAULT_NAME",
    "DEFAULT_WAIT",
    "ENV_VAR",
    "IngestResult",
    "Store",
    "StoreBusyError",
    "accuracy",
    "archive_forecasts",
    "archived_forecasts",
    "audit",
    "export_prices",
    "file_sha256",
    "forecast_errors",
    "forecast_runs",
    "ingest_clean",
    "ingest_file",
    "ingest_log",
    "load_prices",
    "open_store",
    "previous_forecasts",
    "resolve_location",
    "store_info",
    "written_prices",
]
