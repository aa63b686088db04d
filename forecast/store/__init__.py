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
``archive`` (forecast runs), ``scoring`` (accuracy of archived forecasts).
"""

import importlib

#: Where each name lives. Imported on first use (PEP 562): the commands check paths with
#: ``resolve_location`` before their workers start, and must not wait for pandas then.
_WHERE = {
    "accuracy": "scoring",
    "forecast_errors": "scoring",
    "archive_forecasts": "archive",
    "archived_forecasts": "archive",
    "forecast_runs": "archive",
    "previous_forecasts": "archive",
    "changed_since_bulletin": "archive",
    "audit": "contents",
    "export_prices": "contents",
    "ingest_log": "contents",
    "load_prices": "contents",
    "series_frequencies": "contents",
    "store_info": "contents",
    "written_prices": "contents",
    "DEFAULT_NAME": "database",
    "DEFAULT_WAIT": "database",
    "ENV_VAR": "database",
    "Store": "database",
    "StoreBusyError": "database",
    "StoreNotWritable": "database",
    "store_to_fill": "database",
    "open_store": "database",
    "resolve_location": "database",
    "IngestResult": "ingest",
    "file_sha256": "ingest",
    "ingest_clean": "ingest",
    "ingest_file": "ingest",
    "CURRENT_VERSION": "schema",
}


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'forecast.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"forecast.store.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CURRENT_VERSION",
    "DEFAULT_NAME",
    "DEFAULT_WAIT",
    "ENV_VAR",
    "IngestResult",
    "Store",
    "StoreBusyError",
    "StoreNotWritable",
    "store_to_fill",
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
    "series_frequencies",
    "previous_forecasts",
    "changed_since_bulletin",
    "resolve_location",
    "store_info",
    "written_prices",
]
