"""Readers: files as users download them -> one raw long table (``RawPrices``).

Readers only locate and map columns; they do not parse dates or numbers (cleaning does, so
that every refused row is reported with its reason). See ``read_prices``.

Modules: ``files`` (file checks, format/encoding/delimiter sniffing), ``table`` (generic
column mapping), ``wfp`` (WFP/HDX price CSVs), ``pinksheet`` (World Bank Pink Sheet).
"""

from __future__ import annotations

import contextlib
import shlex
from pathlib import Path

import pandas as pd

from forecast.checks import check_path
from forecast.errors import InputError, UsageError
from forecast.io import files, pinksheet, wfp
from forecast.io.raw import RAW_COLUMNS, RawPrices
from forecast.io.table import (
    EMPTY_SHEET,
    build_raw_table,
    check_duplicate_columns,
    check_options,
    find_columns,
    has_column,
    is_price_table,
    price_header_currency,
    sheet_table,
    skip_hxl_row,
)
from forecast.progress import telling

__all__ = ["CLEANED_TABLE", "KINDS", "OTHER_SHEETS", "RAW_COLUMNS", "RawPrices", "read_prices"]

#: How the note on a workbook's other sheets, the ones not read, begins: "read sheet 'VNM';
#: also in the workbook: THA (use --sheet)". Commands that do not print the reader's notes
#: print this one (a forecast of the wrong sheet must not pass for one of the right).
OTHER_SHEETS = "also in the workbook:"
#: The reader's note on a PriceTable cropcast wrote (``data clean``, ``store export``): a
#: name or price to set right there is set right in what it was made from.
CLEANED_TABLE = "a cleaned PriceTable"

#: Values of ``read_prices(kind=...)``.
KINDS = ("auto", "table", "wfp", "pinksheet")


def read_prices(
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    defaults: dict[str, str] | None = None,
    sheet: str | None = None,
    kind: str = "auto",
    encoding: str | None = None,
) -> RawPrices:
    """Read one price file into a raw long table, without judging any value.

    Parameters
    ----------
    path
        A CSV/TSV/semicolon-separated text file, an ``.xlsx`` workbook or a Parquet file. The
        format is sniffed from the content; the extension only breaks ties.
    mapping
        Contract column -> file column, e.g. ``{"date": "Ngày", "price": "Giá"}``. Columns
        not mapped are found by their usual names (English or Vietnamese).
    defaults
        Constant values for key columns the file lacks, e.g. ``{"currency": "VND"}``.
    sheet
        Excel sheet to read; default "Monthly Prices" when present, else the first sheet.
        Given for a file that is not a workbook, it is refused.
    kind
        ``"auto"`` (detect), ``"table"``, ``"wfp"`` or ``"pinksheet"``.
    encoding
        Text encoding; default detects UTF-8 (with or without BOM) and UTF-16/32 with a BOM,
        falling back to cp1258 or cp1252 (as the file's letters say), then latin-1, with a
        note.

    Returns
    -------
    RawPrices
        ``table`` with ``RAW_COLUMNS`` (all values strings as found, except ``row``),
        ``original`` indexed by ``row``, and notes on what the reader did.

    Raises
    ------
    InputError
        The file is missing, empty, binary, has no data rows, lacks a required column, or
        names a sheet it does not have. The message names the file and how to fix it.
    UsageError
        An unknown ``kind``, a mapping/default key that is not a contract column, or a
        ``sheet`` for a file that is not a workbook.
    """
    with telling(f"reading {Path(str(path)).name}"):
        return _read_prices(path, mapping, defaults, sheet, kind, encoding)


def _read_prices(path, mapping, defaults, sheet, kind, encoding) -> RawPrices:
    if kind not in KINDS:
        raise UsageError(f"unknown file kind {kind!r}", None, f"Use one of: {', '.join(KINDS)}")
    check_options(mapping, defaults)
    path = check_path(path)
    fmt, notes = files.sniff_format(path)
    if sheet is not None and fmt != files.EXCEL:
        # Ignoring it would read the file anyway, perhaps not the one the user meant.
        what = "a Parquet file" if fmt == files.PARQUET else "a text (CSV) file"
        raise UsageError(
            f"--sheet {sheet!r} picks a sheet of an Excel workbook, and this is {what}",
            path.name,
            "Leave --sheet out, or give the .xlsx workbook",
        )
    if fmt == files.EXCEL:
        prefer = pinksheet.SHEET if kind in ("auto", "pinksheet") else None
        sheet_name, rows, names = files.read_sheet(path, sheet, prefer)
        if kind in ("auto", "pinksheet"):
            layout = pinksheet.find_layout(rows)
            if layout is not None:
                if mapping or defaults:
                    notes.append("--map/--default ignored: the Pink Sheet layout is fixed")
                table, original, more = pinksheet.read_pinksheet(rows, layout, sheet_name)
                if table.empty:
                    raise InputError(
                        f"sheet {sheet_name!r} has Pink Sheet headers but no prices",
                        path.name,
                        "Download the file again",
                    )
                return RawPrices(table, original, path.name, "pinksheet", notes + more)
        if kind == "pinksheet":
            raise InputError(
                f"sheet {sheet_name!r} has no Pink Sheet layout (series names and "
                "units like ($/mt) above dates like 1960M01)",
                path.name,
                "Use --sheet 'Monthly Prices' or read it as a plain table",
            )
        others = [name for name in names if name != sheet_name]
        read = f"read sheet {sheet_name!r}"
        if others:  # a user who did not know the workbook had more must hear of them
            read += f"; {OTHER_SHEETS} {', '.join(others)}"
            read += "" if sheet is not None else " (use --sheet)"
        try:
            frame = sheet_table(rows, path.name)
            return _read_table(frame, path.name, mapping, defaults, kind, [*notes, read])
        except InputError as exc:
            raise _sheet_error(exc, sheet_name, others, chosen=sheet is not None) from None
    elif kind == "pinksheet":
        raise InputError(
            "is not an Excel workbook, so not a Pink Sheet",
            path.name,
            "Give CMO-Historical-Data-Monthly.xlsx as downloaded",
        )
    elif fmt == files.PARQUET:
        frame = files.read_parquet(path)
    else:
        frame, more = files.read_delimited(path, encoding)
        notes += more
    return _read_table(frame, path.name, mapping, defaults, kind, notes)


def _sheet_error(exc: InputError, name: str, others: list[str], chosen: bool) -> InputError:
    """``exc`` (a sheet that is empty or holds no price table) naming the sheet read and,
    when the workbook has others and none was chosen, the way to read one of them: the first
    sheet of a workbook is often notes or a title page."""
    empty = exc.what == EMPTY_SHEET
    what = f"sheet {name!r} is empty" if empty else f"sheet {name!r}: {exc.what}"
    if not others:
        what += ", and the workbook has no other" if empty else ""
        return InputError(what, exc.where, exc.fix)
    if chosen:
        return InputError(what, exc.where, exc.fix)
    pick = f"--sheet (one of {', '.join(others)})"
    if len(others) == 1:
        pick = f"--sheet {shlex.quote(others[0])}"
    if empty or not exc.fix:
        return InputError(what, exc.where, f"Read another sheet with {pick}")
    # The first sheet of a workbook is often notes or a title page: the likelier fix first.
    fix = f"Read another sheet with {pick}, or {exc.fix[0].lower()}{exc.fix[1:]}"
    return InputError(what, exc.where, fix)


def _units_from_prices(frame, columns, mapping, defaults, source):
    """``(found, notes, defaults)`` for a sheet with no unit column whose prices say their
    unit ("45.000đ/kg"): the unit column is left blank for the prices to fill (a price
    without one is then refused, row by row). ``(None, None, None)`` otherwise."""
    from forecast.clean.numbers import PriceError, parse_price

    relaxed = {**(defaults or {}), "unit": ""}
    try:
        found, notes = find_columns(columns, mapping, relaxed, source)
    except InputError:
        return None, None, None
    written = frame[found["price"]].dropna().astype(str).head(200)
    with_unit = 0
    for value in written:
        with contextlib.suppress(PriceError):
            with_unit += parse_price(value).unit is not None
    if not len(written) or 2 * with_unit < len(written):
        return None, None, None
    notes.append("no unit column: each price's unit is read from its text ('45.000đ/kg')")
    return found, notes, relaxed


def _currency_from_header(from_header, columns, mapping, defaults, source):
    """``(mapping, defaults)`` reading the prices from the column whose header names their
    currency ("Giá (x1000đ)"), and that currency for every row when nothing else names it.

    Raises
    ------
    InputError
        When the header counts the prices in thousands (or more) and a currency column or
        ``--default currency`` names their currency too: which one holds is the user's to say.
    """
    from forecast.clean.currency import read_currency

    column, name, currency = from_header
    mapping = {**(mapping or {}), "price": column}
    given = "--default currency" if "currency" in (defaults or {}) else None
    if has_column(columns, mapping, "currency"):
        given = "the currency column"
    if given is None:
        return mapping, {**(defaults or {}), "currency": currency}
    if read_currency(currency)[1] != 1:
        raise InputError(
            f"the price column {column!r} counts its prices in {currency!r} and {given} "
            "names their currency too",
            source,
            f"Say it once: write {currency!r} as the currency and name the price column "
            f"{name!r}, or drop {given}",
        )
    return mapping, defaults


def header_unit(currency: str) -> str | None:
    """The unit a price header names after its currency ("đồng/tạ" -> "tạ"), or None."""
    _, slash, unit = currency.rpartition("/")
    if not slash or not unit.strip():
        return None
    return unit.strip()


def _same_unit(a: str, b: str) -> bool:
    """Whether two unit texts name one unit ("kg", "KG", "kilo"), as cleaning reads units."""
    from forecast.clean.units import parse_unit

    first, second = parse_unit(a), parse_unit(b)
    if first.known and second.known:
        return (first.dimension, first.size) == (second.dimension, second.size)
    return first.name == second.name


def _unit_from_header(from_header, columns, mapping, defaults, source):
    """``defaults`` with the unit the price header names ("Giá (đồng/tạ)": per tạ) for
    every row, when the file has no unit column: a price per tạ read as per kg would be
    a hundred times too dear.

    Raises
    ------
    InputError
        When ``--default unit`` names another unit: which one holds is the user's to say.
    """
    column, _, currency = from_header
    unit = header_unit(currency)
    if unit is None or has_column(columns, mapping, "unit"):
        return defaults  # a unit column is checked against the header once it is found
    given = (defaults or {}).get("unit")
    if given and not _same_unit(given, unit):
        raise InputError(
            f"the price column {column!r} gives prices per {unit!r} but --default "
            f"unit={given} says per {given!r}",
            source,
            f"Say it once: drop --default unit (the header's {unit!r} is then used), or "
            f"correct the header if the prices are per {given!r}",
        )
    return {**(defaults or {}), "unit": unit}


def _check_unit_column(from_header, original, found, source) -> None:
    """Refuse a unit column that names another unit than the price header ("Giá (đồng/tạ)"
    beside a unit column of "kg"): either reading may be a hundred times wrong."""
    column, _, currency = from_header
    unit = header_unit(currency)
    if unit is None or "unit" not in found:
        return
    values = original[found["unit"]].astype(str).str.strip()
    for row, value in values[values != ""].drop_duplicates().items():
        if not _same_unit(value, unit):
            raise InputError(
                f"the price column {column!r} gives prices per {unit!r} but the unit "
                f"column {found['unit']!r} says {value!r} (row {row})",
                source,
                "Say it once: correct the price header or the unit column, whichever is "
                "wrong (--map unit=<column> chooses another column)",
            )


def cropcast_marks(flags: pd.Series) -> bool:
    """Whether every value of a ``flags`` column is cropcast's marks or empty (a cleaned
    table with nothing to flag): a user's notes ("checked", "not interpolated") are not."""
    from forecast.clean.base import MARK_ORDER, split_marks

    marks = set().union(*map(split_marks, flags.fillna("").astype(str).unique()))
    return marks <= set(MARK_ORDER)


def _header_notes(from_header, found, defaults) -> dict[str, str]:
    """The notes saying the currency and unit of every row came from the price column's
    header ("Giá (đồng/tạ)"), not from a --default the user did not give."""
    column, _, currency = from_header
    unit = header_unit(currency)
    return {
        key: f"{key} {value!r} for every row, from the price column {column!r}"
        for key, value in (("currency", currency), ("unit", unit))
        if value is not None and key not in found and (defaults or {}).get(key) == value
    }


def _own_output(header: list[str], found: dict[str, str]) -> bool:
    """Whether the file is a PriceTable cropcast wrote: its header as written, or with every
    other column renamed and read back through --map (a "flags" column kept its name). A
    renamed table's estimates were read as observed prices before."""
    from forecast.table import COLUMNS

    if is_price_table(header):
        return True
    names = {str(h).strip() for h in header}
    return "flags" in names and all(column in found for column in COLUMNS if column != "flags")


def _column_named(columns: list[str], name: str) -> str:
    return next(c for c in columns if str(c).strip() == name)


def _read_table(
    frame: pd.DataFrame,
    source: str,
    mapping: dict[str, str] | None,
    defaults: dict[str, str] | None,
    kind: str,
    notes: list[str],
) -> RawPrices:
    """Map the columns of a table of strings (WFP preset or generic) into ``RawPrices``."""
    header = frame.attrs.get("header", list(frame.columns))  # as written, before renaming
    columns = [c for c in frame.columns if c != files.LINE_ERROR]
    if kind == "wfp" and not wfp.is_wfp(columns):
        missing = sorted(wfp.SIGNATURE - {str(c).strip().lower() for c in columns})
        raise InputError(
            f"is not a WFP/HDX price file: no column {', '.join(missing)}",
            source,
            "Read it as a plain table (kind 'table') with --map",
        )
    is_wfp = kind in ("auto", "wfp") and wfp.is_wfp(columns)
    frame, more = skip_hxl_row(frame)
    notes += more
    line_errors = frame.pop(files.LINE_ERROR) if files.LINE_ERROR in frame else None
    if frame.empty:
        # Said before any column check: "no data" is the real problem with such a file.
        raise InputError(
            "has a header but no data rows",
            source,
            "Check that you exported the whole table, not only its header",
        )
    if is_wfp:
        mapping = wfp.wfp_mapping(columns, mapping)
    from_header = None if is_wfp else price_header_currency(columns, mapping, source)
    if from_header:
        mapping, defaults = _currency_from_header(from_header, columns, mapping, defaults, source)
        defaults = _unit_from_header(from_header, columns, mapping, defaults, source)
    try:
        found, more = find_columns(columns, mapping, defaults, source, frame)
    except InputError as missing:
        found, more, defaults = _units_from_prices(frame, columns, mapping, defaults, source)
        if found is None:
            raise missing from None
    check_duplicate_columns(header, found, source)
    implied = _header_notes(from_header, found, defaults) if from_header else {}
    if "unit" not in found and (defaults or {}).get("unit") == "":  # blank for the prices
        implied["unit"] = None
    table, original, built = build_raw_table(frame, found, defaults, source, implied)
    if from_header:
        _check_unit_column(from_header, original, found, source)
    if line_errors is not None:  # lines the file could not split: for cleaning to refuse
        table["line_error"] = line_errors.to_numpy()[table["row"].to_numpy() - 1]
    flags = original[_column_named(columns, "flags")] if _own_output(header, found) else None
    if flags is not None and cropcast_marks(flags):
        # Cropcast's own output: its flags say which prices it filled in or doubted, and a
        # second cleaning must keep them so (an interpolated price is no observation). A
        # column of that name holding anything else is the user's, and read as before.
        table["flags"] = flags.to_numpy()
        built.append(f"{CLEANED_TABLE}: its flags (interpolated, outlier, ...) are kept")
    if is_wfp:
        notes += wfp.wfp_notes(columns, original, found.get("priceflag"))
    else:
        renamed = ", ".join(f"{k}={v!r}" for k, v in found.items() if v != k)
        notes += [f"columns used: {renamed}"] if renamed else []
    return RawPrices(table, original, source, "wfp" if is_wfp else "table", notes + more + built)
