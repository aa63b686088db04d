"""Generic tables: find the contract columns in a table of strings and build the raw table.

A column is found by an explicit ``mapping`` (contract name -> file column) or by a known
alias, compared without case, accents, spaces or punctuation, so "Ngày", "NGAY" and "ngay"
all name the date. Key columns a file lacks may come from ``defaults`` (constant values).
"""

from __future__ import annotations

import difflib
import re
import unicodedata

import pandas as pd

from forecast.errors import InputError, UsageError
from forecast.io.files import cell_text, unique_names
from forecast.io.raw import RAW_COLUMNS

REQUIRED = ("date", "price")
KEY_COLUMNS = ("commodity", "market", "price_type", "unit", "currency")
CONTRACT = (*REQUIRED, *KEY_COLUMNS, "priceflag")

#: Known names per contract column, normalised (see ``normalize_name``), best first: when
#: several file columns match, the one matching the earlier alias wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "ngay", "ngaythang", "thoigian"),
    "price": ("price", "gia", "giaban", "dongia"),
    "commodity": ("commodity", "product", "item", "crop", "mathang", "sanpham", "hanghoa"),
    "market": ("market", "cho", "diadiem", "location", "huyen", "district"),
    "unit": ("unit", "donvi", "dvt", "donvitinh"),
    "currency": ("currency", "tiente"),
    "price_type": ("pricetype", "loaigia"),
    "priceflag": ("priceflag",),
}


def normalize_name(name: object) -> str:
    """Lower-case ASCII letters and digits only: 'Đơn vị tính' -> 'donvitinh'."""
    # NFKD splits accents off the letters; đ/Đ is a letter of its own and needs mapping.
    text = unicodedata.normalize("NFKD", str(name)).replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def check_options(mapping: dict[str, str] | None, defaults: dict[str, str] | None) -> None:
    """Refuse mapping/default keys that are not contract columns (a usage mistake)."""
    for option, given, allowed in (
        ("--map", mapping, CONTRACT),
        ("--default", defaults, (*KEY_COLUMNS, "priceflag")),
    ):
        for key in given or {}:
            if key not in allowed:
                raise UsageError(
                    f"{option} {key}=...: {key!r} is not a column cropcast uses",
                    None,
                    f"Use one of: {', '.join(allowed)}",
                )


def find_columns(
    columns: list[str],
    mapping: dict[str, str] | None,
    defaults: dict[str, str] | None,
    source: str,
    frame: pd.DataFrame | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Contract name -> file column, from ``mapping`` first, then aliases.

    Raises
    ------
    InputError
        When a mapped column is not in the file, or a required column is neither found nor
        given a default; the message lists the columns found and the closest match by name
        (among the columns whose values could be it, when ``frame`` holds them).
    """
    notes: list[str] = []
    found: dict[str, str] = {}
    by_norm: dict[str, list[str]] = {}
    for column in columns:
        by_norm.setdefault(normalize_name(column), []).append(column)
    for key, wanted in (mapping or {}).items():
        found[key] = _mapped_column(key, wanted, columns, by_norm, source)
    used = set(found.values())
    for key, aliases in ALIASES.items():
        if key in found:
            continue
        hits = [c for alias in aliases for c in by_norm.get(alias, []) if c not in used]
        if hits:
            found[key] = hits[0]
            used.add(hits[0])
            if len(hits) > 1:
                notes.append(
                    f"several columns could be the {key} ({', '.join(map(repr, hits))});"
                    f" used {hits[0]!r} (use --map {key}=<column> to choose)"
                )
    missing = [k for k in (*REQUIRED, *KEY_COLUMNS) if k not in found and k not in (defaults or {})]
    if missing:
        raise _missing_error(missing, columns, used, source, frame)
    return found, notes


#: A header with its currency in brackets at the end: "Giá (x1000đ)", "Price (USD/kg)".
_BRACKETED_CURRENCY = re.compile(r"^(?P<name>.*?\S)\s*[(\[](?P<currency>[^()\[\]]+)[)\]]\s*$")


def price_header_currency(
    columns: list[str], mapping: dict[str, str] | None, source: str = "the header"
) -> tuple[str, str, str] | None:
    """``(column, name, currency)`` for a price column whose header names the prices'
    currency in brackets ("Giá (x1000đ)" -> "Giá", "x1000đ": depots' sheets often count in
    thousands there); None when the price column (as mapped, else a plain "Giá" or
    "Price") says none."""
    from forecast.clean.currency import names_a_currency

    if mapping and "price" in mapping:
        wanted = mapping["price"]  # as --map finds it: exactly, else without accents
        loose = [c for c in columns if normalize_name(c) == normalize_name(wanted)]
        candidates = [wanted] if wanted in columns else loose[:1] if len(loose) == 1 else []
    elif any(normalize_name(c) in ALIASES["price"] for c in columns):
        return None
    else:
        candidates = columns
    found = []
    for column in candidates:
        match = _BRACKETED_CURRENCY.match(str(column).strip())
        if not match or not names_a_currency(match["currency"]):
            continue
        if candidates is columns and normalize_name(match["name"]) not in ALIASES["price"]:
            continue
        found.append((column, match["name"], match["currency"].strip()))
    if len(found) > 1:  # "Price (USD)" and "Price (VND)": which holds the prices is the user's
        names = " and ".join(repr(f[0]) for f in found)
        raise InputError(
            f"two price columns, {names}",
            source,
            f"Say which one holds the prices, e.g. --map price={found[0][0]!r}",
        )
    return found[0] if found else None


def has_column(columns: list[str], mapping: dict[str, str] | None, key: str) -> bool:
    """Whether the file gives ``key`` a column, mapped or by one of its usual names."""
    return key in (mapping or {}) or any(normalize_name(c) in ALIASES[key] for c in columns)


def is_price_table(header: list[str]) -> bool:
    """Whether a header is a PriceTable's, as cropcast writes it (any column order)."""
    from forecast.table import COLUMNS

    names = [str(h).strip() for h in header]
    return len(names) == len(COLUMNS) and set(names) == set(COLUMNS)


def check_duplicate_columns(header: list[str], chosen: dict[str, str], source: str) -> None:
    """Refuse a column cropcast reads whose name the header holds twice (two "price"
    columns): which one holds the prices is the user's to say; taking the first would drop
    the other in silence. Columns it does not read may share names freely."""
    names = [normalize_name(h) for h in header]
    for key, column in chosen.items():
        places = [i for i, name in enumerate(names, 1) if name == normalize_name(column)]
        if len(places) > 1:
            raise InputError(
                f"columns {places[0]} and {places[1]} are both named "
                f"{str(header[places[0] - 1]).strip()!r}, and cropcast reads one as the {key}",
                source,
                "Rename or delete one of them",
            )


def _mapped_column(
    key: str, wanted: str, columns: list[str], by_norm: dict[str, list[str]], source: str
) -> str:
    if wanted in columns:
        return wanted
    # Accept "Gia" for "Giá": a terminal without a Vietnamese keyboard should still work.
    loose = by_norm.get(normalize_name(wanted), [])
    if len(loose) == 1:
        return loose[0]
    close = difflib.get_close_matches(wanted, columns, n=1, cutoff=0.4)
    hint = f"; closest match: {close[0]!r}" if close else ""
    # 'unit=Đơn vị,foo=Chợ': a comma starts a pair only before a name cropcast uses, so
    # 'foo=Chợ' was read as part of the unit's column name.
    glued = re.search(r",\s*([^\W\d]\w*)\s*=", wanted)
    if glued and glued.group(1) not in CONTRACT:
        head = wanted[: glued.start()]
        if head in columns or len(by_norm.get(normalize_name(head), [])) == 1:
            raise UsageError(
                f"--map {glued.group(1)}=...: {glued.group(1)!r} is not a column cropcast uses",
                None,
                f"Use one of: {', '.join(CONTRACT)}",
            )
    # The option is wrong, not the file (exit 2, as a --series that matches nothing).
    raise UsageError(
        f"--map {key}={wanted}: no column {wanted!r} in the file (columns found: "
        f"{_listing(columns)}){hint}",
        source,
        f"Use --map {key}=<column> with one of the columns found",
    )


def _missing_error(
    missing: list[str],
    columns: list[str],
    used: set[str],
    source: str,
    frame: pd.DataFrame | None = None,
) -> InputError:
    free = [c for c in columns if c not in used]
    parts, fixes, unguessed = [], [], []
    for key in missing:
        close = _closest(key, [c for c in free if _could_hold(key, frame, c)])
        parts.append(f"{key!r}" + (f" (closest match: {close!r})" if close else ""))
        if close:
            fixes.append(f"--map {key}={close}")
        elif key in REQUIRED:
            fixes.append(f"--map {key}=<column>")
        else:
            unguessed.append(key)
    if unguessed == ["unit"]:
        # The unit is what a user knows without looking at the file: the prices are per kg.
        fixes.append("--default unit=kg (the unit the prices are per) or --map unit=<column>")
    elif unguessed:
        example = " (e.g. --default unit=kg)" if "unit" in unguessed else ""
        fixes.append(
            f"--map <name>=<column> or --default <name>=<value> for {', '.join(unguessed)}"
            + example
        )
    what = f"no column for {', '.join(parts)}; columns found: {_listing(columns)}"
    return InputError(what, source, "Use " + "; ".join(fixes))


def _could_hold(key: str, frame: pd.DataFrame | None, column: str) -> bool:
    """Whether ``column``'s values could be ``key``'s: a unit or currency column is
    suggested only when most of its values read as units or currencies ("Tỉnh", a column of
    provinces, is no unit however close its name)."""
    if frame is None or key not in ("unit", "currency") or column not in frame:
        return True
    from forecast.clean.currency import names_a_currency
    from forecast.clean.units import parse_unit

    values = frame[column].astype(str).str.strip()
    values = values[values != ""].drop_duplicates().head(50)
    if values.empty:
        return True
    if key == "unit":
        fits = values.map(lambda v: parse_unit(v).known)
    else:
        fits = values.map(lambda v: names_a_currency(v) or bool(re.fullmatch(r"[A-Z]{3}", v)))
    return 2 * int(fits.sum()) >= len(values)


def _listing(columns: list[str], limit: int = 20) -> str:
    shown = ", ".join(columns[:limit])
    return shown if len(columns) <= limit else f"{shown} ... ({len(columns) - limit} more)"


def _closest(key: str, columns: list[str]) -> str | None:
    best, best_ratio = None, 0.6
    for column in columns:
        norm = normalize_name(column)
        for alias in ALIASES[key]:
            ratio = difflib.SequenceMatcher(None, alias, norm).ratio()
            if ratio > best_ratio:
                best, best_ratio = column, ratio
    return best


def skip_hxl_row(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Drop an HDX hashtag row (``#date,#adm1+name,...``) under the header: it is not data."""
    if frame.empty:
        return frame, []
    first = [str(v).strip() for v in frame.iloc[0] if str(v).strip()]
    if first and all(v.startswith("#") for v in first):
        note = f"skipped the HXL tag row under the header ({','.join(first[:3])},...)"
        return frame.iloc[1:].reset_index(drop=True), [note]
    return frame, []


def build_raw_table(
    frame: pd.DataFrame,
    found: dict[str, str],
    defaults: dict[str, str] | None,
    source: str,
    implied: dict[str, str | None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The raw table (``RAW_COLUMNS``) and the numbered original rows.

    Rows are numbered before blank rows are dropped, so ``row`` still points at the data row
    a user sees in the file. No value is parsed or judged here: cleaning does that.
    ``implied``: defaults the reader found itself (in the price header, in the prices), with
    the note to give instead of "(default)", or None for none.
    """
    notes: list[str] = []
    original = frame.copy()
    original.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    blank = (original.astype(str).apply(lambda s: s.str.strip()) == "").all(axis=1)
    if blank.any():
        notes.append(f"skipped {int(blank.sum())} blank row(s)")
        original = original[~blank]
    if original.empty:
        raise InputError(
            "has a header but no data rows",
            source,
            "Check that you exported the whole table, not only its header",
        )
    out = pd.DataFrame({"row": original.index.to_numpy()})
    for key in RAW_COLUMNS[1:]:
        if key == "price" and key in found:
            # dtype=object keeps typed prices (files.TypedNumber) for cleaning to read as
            # numbers: a column of strings would become pandas 3's string type, text only.
            out[key] = pd.Series(original[found[key]].to_numpy(), dtype=object)
        elif key in found:
            out[key] = original[found[key]].to_numpy()
        else:
            out[key] = (defaults or {}).get(key, "")
    for key, value in (defaults or {}).items():
        if key in found:
            # A default fills the column's blank cells (a column of units left empty was
            # refused row by row, and --default unit=kg, the fix, was ignored); the names
            # written stand.
            blank = out[key].map(lambda v: not cell_text(v).strip()).to_numpy(bool)
            if blank.any():
                out.loc[blank, key] = value
                notes.append(
                    f"{key} = {value!r} for the {int(blank.sum()):,} rows whose {key} column "
                    f"({found[key]!r}) is blank (default)"
                )
                continue
            notes.append(
                f"ignored --default {key}={value}: the file has a {key} column ({found[key]!r})"
            )
        elif implied is not None and key in implied:
            if implied[key] is not None:
                notes.append(implied[key])
        else:
            notes.append(f"{key} = {value!r} for every row (default)")
    return out, original, notes


#: The error of a sheet with no value in any cell.
EMPTY_SHEET = "the sheet is empty"


def sheet_table(rows: list[tuple], source: str) -> pd.DataFrame:
    """Rows of one Excel sheet -> a DataFrame of strings under its header row.

    The header is the first row (of the first 20) naming at least two known columns, else
    the first non-empty row: district sheets often start with a title line or two.
    """
    text = [[cell_text(v) for v in r] for r in rows]
    known = {a for aliases in ALIASES.values() for a in aliases}
    filled = [i for i, r in enumerate(text) if any(c.strip() for c in r)]
    if not filled:
        # read_prices names the sheet and the workbook's others (--sheet) around this.
        raise InputError(EMPTY_SHEET, source, "Save the prices in it")
    header = next(
        (i for i in filled[:20] if sum(normalize_name(c) in known for c in text[i]) >= 2), filled[0]
    )
    names = unique_names([c.strip() or f"column {j + 1}" for j, c in enumerate(text[header])])
    frame = pd.DataFrame(text[header + 1 :], columns=names, dtype=object)
    # Columns with neither a header nor any value are sheet padding, not data.
    keep = [
        c
        for j, c in enumerate(names)
        if text[header][j].strip() or (frame[c].str.strip() != "").any()
    ]
    frame = frame[keep]
    frame.attrs["header"] = [str(c).strip() for c in text[header]]
    return frame
