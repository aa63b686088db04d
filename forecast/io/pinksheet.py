"""World Bank Commodity Markets "Pink Sheet" (``CMO-Historical-Data-Monthly.xlsx``).

Sheet "Monthly Prices" is wide: a few title rows, then a row of series names, a row of units
such as ``($/mt)``, a row of codes, then one row per month with ``1960M01`` in the first
column. The header rows are found by their content, not by number, because later downloads
have gained title rows before. Cells holding ``…``, ``..`` or ``...`` are the sheet's way of
writing "no value" in a wide layout: they are not observations and are skipped (counted in a
note). Everything else in a series column becomes one row of the long raw table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from forecast.io.files import cell_text, unique_names
from forecast.io.raw import RAW_COLUMNS

SHEET = "Monthly Prices"
MISSING_MARKERS = ("…", "..", "...")
_PERIOD = re.compile(r"^\s*\d{4}M\d{2}\s*$")
_UNIT = re.compile(r"^\s*\(.*\)\s*$")
_SCAN_ROWS = 60  # header search depth: the sheet has 7 header rows today


@dataclass(frozen=True)
class Layout:
    """0-based indexes of the header rows and of the first data row."""

    names: int
    units: int
    first_data: int


def find_layout(rows: list[tuple]) -> Layout | None:
    """Locate the name and unit rows above the first ``YYYYMmm`` row; None if not a Pink Sheet."""
    first = next(
        (
            i
            for i, r in enumerate(rows[:_SCAN_ROWS])
            if r and isinstance(r[0], str) and _PERIOD.match(r[0])
        ),
        None,
    )
    if first is None:
        return None
    units = None
    for i in range(first - 1, -1, -1):
        cells = [cell_text(v).strip() for v in rows[i][1:]]
        cells = [c for c in cells if c]
        if cells and sum(bool(_UNIT.match(c)) for c in cells) >= 0.5 * len(cells):
            units = i
            break
    if units is None:
        return None
    names = next(
        (i for i in range(units - 1, -1, -1) if any(cell_text(v).strip() for v in rows[i][1:])),
        None,
    )
    return None if names is None else Layout(names, units, first)


def series_name(raw: str) -> str:
    """'Coal, South African **' -> 'Coal, South African' (the stars point at a footnote)."""
    return re.sub(r"\s*\*+\s*$", "", raw).strip()


def parse_unit(header: str) -> tuple[str, str]:
    """Unit header -> (raw unit, currency), without changing any value.

    ``($/mt)`` -> ("mt", "USD"); ``(cents/kg)`` -> ("cents/kg", "USD"), so cleaning's unit
    step divides by 100; ``(2010=100)`` -> ("index", "XXX"), ISO 4217's "no currency".
    Anything else -> (the text inside the brackets, "").
    """
    inner = header.strip().removeprefix("(").removesuffix(")").strip()
    if re.fullmatch(r"\d{4}\s*=\s*100", inner):
        return "index", "XXX"
    match = re.fullmatch(r"(US\$|\$|cents|¢)\s*/\s*(.+)", inner, flags=re.IGNORECASE)
    if match is None:
        return inner, ""
    money, unit = match.group(1).lower(), match.group(2).strip()
    return (f"cents/{unit}", "USD") if money in ("cents", "¢") else (unit, "USD")


def read_pinksheet(
    rows: list[tuple], layout: Layout, sheet: str
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Wide sheet rows -> (long raw table, original wide rows as text, notes)."""
    names_row, units_row = rows[layout.names], rows[layout.units]
    series = [j for j in range(1, len(names_row)) if cell_text(names_row[j]).strip()]
    data = rows[layout.first_data :]
    width = max(series, default=0) + 1
    text = [[cell_text(v) for v in r[:width]] for r in data]
    # Sheet row numbers are 1-based, as Excel shows them.
    sheet_rows = list(range(layout.first_data + 1, layout.first_data + 1 + len(text)))
    headers = unique_names(
        ["date"] + [cell_text(names_row[j]).strip() or f"column {j + 1}" for j in range(1, width)]
    )
    # dtype=object keeps the typed prices (files.TypedNumber) for cleaning to read as
    # numbers: pandas 3's string type would hold their text only.
    original = pd.DataFrame(
        text, columns=headers, index=pd.Index(sheet_rows, name="row"), dtype=object
    )
    original = original[(original != "").any(axis=1)]

    pieces, markers, empty, notes, odd_units = [], {m: 0 for m in MISSING_MARKERS}, 0, [], []
    for j in series:
        values = original.iloc[:, j].str.strip()
        is_marker = values.isin(MISSING_MARKERS)
        for marker in MISSING_MARKERS:
            markers[marker] += int((values == marker).sum())
        is_empty = values == ""
        empty += int(is_empty.sum())
        keep = original[~(is_marker | is_empty)]
        unit_header = cell_text(units_row[j])
        unit, currency = parse_unit(unit_header)
        if not currency:
            odd_units.append(f"{series_name(cell_text(names_row[j]))} {unit_header.strip()}")
        pieces.append(
            pd.DataFrame(
                {
                    "row": keep.index.to_numpy(),
                    "date": keep["date"].to_numpy(),
                    "commodity": series_name(cell_text(names_row[j])),
                    "market": "world",
                    "price_type": "International",
                    "unit": unit,
                    "currency": currency,
                    "price": pd.Series(keep.iloc[:, j].to_numpy(), dtype=object),
                    "priceflag": "",
                }
            )
        )
    pieces = [p for p in pieces if len(p)]  # concat warns about empty frames on pandas 2
    table = (
        pd.concat(pieces, ignore_index=True)
        if pieces
        else pd.DataFrame({c: [] for c in RAW_COLUMNS})
    )[list(RAW_COLUMNS)]
    skipped = sum(markers.values())
    notes.append(
        f"World Bank Pink Sheet, sheet {sheet!r}: {len(series)} series, header rows "
        f"{layout.names + 1}-{layout.first_data}, data from row {layout.first_data + 1};"
        f" {len(table)} prices"
    )
    detail = ", ".join(f"{m!r} {n}" for m, n in markers.items() if n)
    notes.append(
        f"skipped {skipped} missing-value markers ({detail or 'none'}) and {empty} "
        "empty cells: in a wide sheet they mean 'no price that month'"
    )
    if odd_units:
        notes.append("unit headers not understood, currency left empty: " + "; ".join(odd_units))
    return table, original, notes
