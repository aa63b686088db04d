"""The cleaning pipeline: named pure steps from a raw table to a valid PriceTable.

Order matters and is fixed: a row refused by one step never reaches the next, so every
refused row carries exactly one reason.

0. lines         refuse rows the reader could not split into columns (only when any)
1. price flags   refuse non-observed prices (``forecast``)
2. key text      tidy commodity / market / price type
3. dates         parse; refuse unreadable, pre-1950 and future dates
4. prices        parse numbers; refuse non-numbers, missing, zero, negative
5. currency names  ISO codes (and a currency's old code converted to its new one, at the
   legal rate, in a file holding both: SLL and SLE)
6. units         canonical unit per series, prices converted
7. currencies    convert with a rates table, only when asked
   (one unit and currency per series: a sheet or WFP file mixing them is noted; see consistency)
8. duplicates    merge repeats of key + observed date; median of conflicts (of
                 prices twofold apart, the one nearer the series' own)
9. frequency     monthly/weekly; dates -> period starts
10. regularise   median of several observations in a period
11. outliers     Hampel filter, flag (or refuse)
12. gaps         interpolate short gaps, report long ones
13. eligibility  report short series
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import partial

import pandas as pd

from forecast.clean.base import (
    StepOutput,
    fold,
    join_marks,
    map_unique,
    no_rejections,
    series_name,
    split_marks,
    split_rejected,
    tidy_text,
)
from forecast.clean.consistency import one_unit_and_currency
from forecast.clean.currency import (
    REDENOMINATIONS,
    convert_currencies,
    join_redenominations,
    normalise_currencies,
)
from forecast.clean.dates import assign_periods, parse_dates
from forecast.clean.decimal_mark import file_decimal_mark
from forecast.clean.duplicates import merge_duplicates
from forecast.clean.flags import filter_price_flags
from forecast.clean.numbers import parse_prices
from forecast.clean.options import CleanOptions, check_options
from forecast.clean.outliers import find_outliers
from forecast.clean.regularise import aggregate_periods, fill_gaps, short_series
from forecast.clean.report import CleanReport
from forecast.clean.text import tidy_keys
from forecast.clean.units import convert_units
from forecast.errors import InputError, UsageError
from forecast.io import RAW_COLUMNS, RawPrices
from forecast.progress import tell
from forecast.table import COLUMNS, KEY, empty_price_table, validate

Step = Callable[[pd.DataFrame, CleanOptions], StepOutput]

#: Raw columns a plain DataFrame must have (``priceflag`` and ``flags`` are optional).
REQUIRED = ("date", "commodity", "market", "price_type", "unit", "currency", "price")


@dataclass
class CleanResult:
    """A cleaned file: the PriceTable, the report, and the refused rows as the user wrote them.

    ``rejected`` holds the file's own columns plus ``row`` (first) and ``reason`` (last).
    """

    prices: pd.DataFrame
    report: CleanReport
    rejected: pd.DataFrame


@dataclass(frozen=True)
class _Input:
    work: pd.DataFrame
    original: pd.DataFrame
    source: str
    kind: str
    notes: tuple[str, ...]
    cleaned: bool  # it carries cropcast's flags: a PriceTable, its dates period starts
    broken_lines: bool  # the reader found lines it could not split into columns


def _intake(raw: RawPrices | pd.DataFrame) -> _Input:
    if isinstance(raw, RawPrices):
        table, original = raw.table, raw.original
        source, kind, notes = raw.source, raw.kind, tuple(raw.notes)
    elif isinstance(raw, pd.DataFrame):
        table = raw.reset_index(drop=True)
        if "row" not in table.columns:
            table = table.assign(row=range(1, len(table) + 1))
        original = table.set_index("row")
        source, kind, notes = "table", "table", ()
    else:
        raise UsageError(
            f"cannot clean a {type(raw).__name__}",
            "clean",
            "Pass the RawPrices from forecast.io.read_prices or a DataFrame",
        )
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise InputError(
            f"column(s) {', '.join(missing)} missing (found: {', '.join(map(str, table.columns))})",
            source,
            f"Map them when reading (raw columns: {', '.join(RAW_COLUMNS)})",
        )
    rows = pd.to_numeric(table["row"], errors="coerce")
    if rows.isna().any():
        raise InputError(
            "row numbers are missing",
            source,
            "Give each raw observation its file row number in 'row'",
        )
    # One file row may hold several observations (the Pink Sheet's wide rows), so rows are
    # not unique: observations are tracked by position (``_obs``) and mapped back to rows.
    rows = rows.astype("int64").reset_index(drop=True)
    empty = pd.Series("", index=table.index, dtype=object)
    flags = (
        map_unique(table["flags"], lambda f: join_marks(split_marks(f)))
        if "flags" in table
        else empty
    )
    work = pd.DataFrame(
        {
            "_obs": [(i,) for i in range(len(table))],
            "row": rows,
            "date_raw": table["date"].astype(object),
            "price_raw": table["price"].astype(object),
            "unit_raw": table["unit"].astype(object),
            "currency_raw": table["currency"].astype(object),
            "priceflag": table["priceflag"].astype(object) if "priceflag" in table else empty,
            "commodity": table["commodity"].astype(object),
            "market": table["market"].astype(object),
            "price_type": table["price_type"].astype(object),
            "flags": flags.astype(object),
        }
    ).reset_index(drop=True)
    if "line_error" in table:
        work["line_error"] = table["line_error"].fillna("").astype(str).to_numpy()
    if original.index.name != "row":
        original = original.rename_axis("row")
    if original.index.has_duplicates:
        original = original[~original.index.duplicated()]
    return _Input(work, original, source, kind, notes, "flags" in table, "line_error" in table)


def build_steps(
    kind: str,
    source: str,
    cleaned: bool = False,
    broken_lines: bool = False,
    decimal: tuple[str | None, str | None] = (None, None),
) -> list[tuple[str, Step]]:
    """The named steps, with what is known about the file bound in (``cleaned``: it is a
    PriceTable cropcast wrote, with its ``flags``; ``broken_lines``: the reader found lines
    it could not split into columns; ``decimal``: the decimal point the file's numbers
    show and the note saying so, see :func:`file_decimal_mark`)."""
    return [
        *([("lines", refuse_broken_lines)] if broken_lines else []),
        ("price flags", filter_price_flags),
        ("key text", tidy_keys),
        # The WFP mirror writes m/d/yyyy; other files must settle it or say so.
        (
            "dates",
            partial(parse_dates, default_dayfirst=False if kind == "wfp" else None, where=source),
        ),
        # WFP and the World Bank write English decimals ("5317.5"), unless a spreadsheet
        # saved the file again with decimal commas: their numbers tell.
        (
            "prices",
            partial(
                parse_prices, default_decimal=decimal[0], decimal_note=decimal[1], where=source
            ),
        ),
        ("currency names", normalise_currencies),
        ("redenominations", join_redenominations),
        ("units", convert_units),
        ("currencies", partial(convert_currencies, where=source)),
        # Not for the Pink Sheet: each of its columns is a series of its own name.
        *(
            [("one unit and currency per series", one_unit_and_currency)]
            if kind in ("table", "wfp")
            else []
        ),
        ("duplicates", merge_duplicates),
        ("frequency", partial(assign_periods, period_starts=cleaned)),
        ("regularise", aggregate_periods),
        ("outliers", find_outliers),
        ("gaps", lambda frame, options: fill_gaps(frame, options, freq=options.freq)),
        ("eligibility", short_series),
    ]


#: A key name left blank on rows, and the --default that fills it (with an example value).
_BLANK_NAMES = {
    "unit is missing": "unit=kg",
    "price type is missing": "price_type=Retail",
    "currency is missing": "currency=VND",
    "market is missing": "market=NAME",
    "commodity is missing": "commodity=NAME",
}


def _fix_for_blank_names(reasons) -> str:
    """How to fix a file whose every row was refused: where key names were left blank, the
    ``--default`` that fills them (a column of blank units named no column and no fix)."""
    defaults = [flag for reason, flag in _BLANK_NAMES.items() if reasons.get(reason)]
    if not defaults:
        return "Check the column mapping and the options"
    given = " ".join(f"--default {flag}" for flag in defaults)
    return (
        f"Fill the blank names in the file, or give them for every blank row: {given} (your values)"
    )


def refuse_broken_lines(frame: pd.DataFrame, options: CleanOptions) -> StepOutput:
    """Step "lines": refuse the rows of lines the reader could not split into the header's
    columns ("line 17: 8 values, expected 7"), the file's other rows being read."""
    reasons = frame["line_error"].where(frame["line_error"] != "", None)
    kept, rejected = split_rejected(frame.drop(columns="line_error"), reasons)
    return StepOutput(kept, rejected)


def _rejected_rows(
    parts: list[pd.DataFrame], rows_of: pd.Series, original: pd.DataFrame
) -> pd.DataFrame:
    refused = pd.concat(parts, ignore_index=True) if parts else no_rejections()
    refused = refused.sort_values("obs", kind="stable").reset_index(drop=True)
    rows = original.reindex(rows_of.to_numpy()[refused["obs"].to_numpy()])
    rows = rows.rename_axis("row").reset_index()
    rows["reason"] = refused["reason"].to_numpy()
    return rows


#: The raw columns that name a series, as the file writes them.
_RAW_KEY = ("commodity", "market", "price_type", "unit_raw", "currency_raw")
#: A reason refusing a line for its number of values: "line 17: 8 values, expected 7".
_LINE_SHAPE = re.compile(r"line \d+: \d+ values?, expected")


def _lost_series(work: pd.DataFrame, refused: list[pd.DataFrame], frame: pd.DataFrame) -> list[str]:
    """The series whose every row was refused, as the file writes them, in file order.

    Compared on the file's own text (tidied; units and currencies also casefolded), so a
    series lost beside a kept one of the same commodity and market (its wholesale prices
    all 0, its bag prices all missing) is named too. A row merged into another series (a
    90 KG bag converted to kg) is kept, not lost. A row with no commodity, or neither a
    date nor a price (a sheet's footer, "Nguồn: ..."), names no series; a series whose
    market is blank throughout is named, with "(blank)". Nor does a line refused for its
    shape: its values after the extra one are shifted (the series of unit "000,kg" from an
    unquoted "41,000"; market "cát" from "Xoài, cát"), and which series it was cannot be
    told. Its refusal names it by its line ("line 26: 6 values, expected 5")."""
    names = pd.DataFrame({c: map_unique(work[c], lambda v: tidy_text(v)) for c in _RAW_KEY})
    given = [work[c].fillna("").astype(str).str.strip() != "" for c in ("date_raw", "price_raw")]
    named = (names["commodity"] != "") & (given[0] | given[1])
    refused_obs = [
        o
        for part in refused
        for o, reason in zip(part["obs"], part["reason"], strict=True)
        if named.iloc[o] and not _LINE_SHAPE.match(str(reason))
    ]
    if not refused_obs:
        return []
    keys = names.assign(**{c: names[c].str.casefold() for c in ("unit_raw", "currency_raw")})
    codes = keys.groupby(list(_RAW_KEY), sort=False, dropna=False).ngroup().to_numpy()
    kept_obs = [o for obs in frame["_obs"] for o in obs] if len(frame) else []
    kept = set(codes[kept_obs].tolist())
    lost, seen = [], set()
    for o in sorted(refused_obs):
        code = int(codes[o])
        if code in kept or code in seen:
            continue
        seen.add(code)
        lost.append(" | ".join(v or "(blank)" for v in names.iloc[o]))
    return lost


def _as_given(work: pd.DataFrame, frame: pd.DataFrame, report: CleanReport) -> list[dict]:
    """Per series whose key the file writes otherwise than cropcast does: its key as the
    file writes it (as its latest price is written) and ``factor``, by which the
    file's prices were multiplied into cropcast's unit (1/50 from a price per "50 KG" to
    one per kg).

    Outputs name each series so (see :func:`forecast.table.named_as_given`): a checker's
    join of forecasts to its own held-out prices on the key columns found 6 of 85 series,
    its "KG", "usd" and "maize " written as kg, USD and maize, a "750 ML" bottle per litre.
    A column is given back only where the file's text is that name respelled (case, spaces,
    accents; "đồng" for VND) or a unit cropcast converted at a known factor; a currency
    converted at a rate, or scaled from thousands, stays cropcast's.
    """
    lineage = frame[[*KEY, "date"]].assign(_obs=frame["_obs"]).explode("_obs")
    lineage = lineage.dropna(subset="_obs").astype({"_obs": "int64"})
    if not len(lineage):
        return []
    raw = work.loc[lineage["_obs"].to_numpy(), list(_RAW_KEY)]
    raw = raw.astype(str).where(raw.notna(), "").set_axis(lineage.index)
    raw.columns = [f"as_written_{c}" for c in raw.columns]
    both = pd.concat([lineage, raw], axis=1)
    # The spelling of each series' latest price: a series that went from "50 KG" to kg
    # continues in kg, and so will the prices a forecast is checked against. Where its
    # latest date holds two spellings, the one the series writes most, then the file's last.
    columns = [*KEY, *raw.columns]
    spelled_so = both.groupby(columns, sort=False)["_obs"]
    both["uses"] = spelled_so.transform("size")
    last_date = both.groupby(list(KEY), sort=False)["date"].transform("max")
    latest = both[both["date"] == last_date].sort_values(["uses", "_obs"])
    given = latest.drop_duplicates(subset=list(KEY), keep="last")[columns].sort_values(list(KEY))
    spelled = {(r["column"], tidy_text(r["from"]), r["to"]) for r in report.respelled}
    factors = {
        (c["commodity"], c["market"], c["price_type"], c["currency"], c["from"]): c["factor"]
        for c in report.conversions
        if c.get("kind") == "unit"
    }
    # A series' older prices under a retired currency code (SLL before SLE): named so, at
    # the legal rate, as a unit converted at a known factor is.
    codes = {
        (c["series"], c["from"]): c["factor"]
        for c in report.conversions
        if c.get("kind") == "redenomination"
    }

    def name_as_written(key, text, old_code: bool = False):
        """``key`` named as ``text`` writes it, and the factor from its prices to ours;
        ``None`` for a retired code's spelling that is not one (``old_code``)."""
        unit, currency = key[3], key[4]
        names = [
            t if t.strip() and fold(t) == fold(name) else name
            for t, name in zip(text[:3], key[:3], strict=True)
        ]
        written, factor = tidy_text(text[3]), 1.0
        if (*key[:3], currency, written) in factors:
            factor = float(factors[(*key[:3], currency, written)])
        elif not (written and (fold(written) == fold(unit) or ("unit", written, unit) in spelled)):
            written = ""
        names.append(text[3] if written else unit)
        said = tidy_text(text[4])
        respelled = said and (
            fold(said) == fold(currency) or ("currency", said, currency) in spelled
        )
        if not respelled and old_code:
            retired = codes.get((series_name(*key[:3]), said.upper()))
            if retired is None:
                # Prices coded SLL at the SLE level already, kept as they are (see the
                # redenominations step): the file's own numbers, under the file's code.
                known = REDENOMINATIONS.get(said.upper())
                if known is None or known[0] != currency:
                    return None
                retired = 1.0
            return [*names, said], factor * float(retired)
        names.append(text[4] if respelled else currency)
        return names, factor

    entries, taken, chosen = [], {}, {}  # taken: who each name would be written for
    for row in given.itertuples(index=False, name=None):
        key, text = row[:5], row[5:10]
        chosen[key] = text
        names, factor = name_as_written(key, text)
        taken.setdefault(tuple(names), set()).add(key)
        if tuple(names) != tuple(key) or factor != 1.0:
            entries.append({"series": list(key), "as_given": names, "factor": factor})
    # The other names the file gives a series' older prices (per "50 KG" before per "KG",
    # in SLL before SLE): a forecast file writes the series under each as well (see
    # ``forecast.commands.shared.write_as_given``), so that no series of the file lacks one.
    spellings = spelled_so.size().index.to_frame(index=False)  # grouped once, above
    spellings = spellings[spellings.duplicated(list(KEY), keep=False)]  # series of several
    retired = []
    for row in spellings.itertuples(index=False, name=None):
        key, text = row[:5], row[5:10]
        if text == chosen.get(key):
            continue
        found = name_as_written(key, text, old_code=True)
        if found is None or tuple(found[0]) == tuple(name_as_written(key, chosen[key])[0]):
            continue  # the same name (a spelling that differs only in spaces or case)
        # Two spellings of one old name ("SLL", "SLL ") are one name, written once.
        if ("retired", key) not in taken.setdefault(tuple(found[0]), set()):
            taken[tuple(found[0])].add(("retired", key))
            retired.append({"series": list(key), "as_given": found[0], "factor": found[1]})
    # Two series the file would name alike keep cropcast's names, which tell them apart; an
    # old name another series also has is not written.
    clash = {key for keys in taken.values() if len(keys) > 1 for key in keys}
    report.retired_names = [e for e in retired if ("retired", tuple(e["series"])) not in clash]
    return [e for e in entries if tuple(e["series"]) not in clash]


def clean(raw: RawPrices | pd.DataFrame, options: CleanOptions | None = None) -> CleanResult:
    """Clean one file's raw prices into a valid PriceTable, with a report and refused rows.

    Parameters
    ----------
    raw
        What :func:`forecast.io.read_prices` returned, or a DataFrame holding the raw columns
        (``row`` is added as 1..n when absent and the frame itself is the original).
    options
        :class:`CleanOptions`; defaults infer the frequency and the date order.

    Raises
    ------
    InputError
        When nothing in a non-empty file can be used (no readable date, no usable price,
        every row refused), or a currency has no rate to the target.
    UsageError
        For option values that make no sense.
    """
    try:
        return _clean(raw, options)
    finally:
        tell("")  # over, however it ended


def _clean(raw: RawPrices | pd.DataFrame, options: CleanOptions | None) -> CleanResult:
    options = check_options(options or CleanOptions())
    options = replace(options, today=options.today or date.today())
    data = _intake(raw)
    report = CleanReport(source=data.source, rows_in=len(data.work), notes=list(data.notes))
    frame = data.work
    refused: list[pd.DataFrame] = []
    if len(frame):
        decimal = file_decimal_mark(data.kind, data.work["price_raw"], data.original)
        steps = build_steps(data.kind, data.source, data.cleaned, data.broken_lines, decimal)
        for number, (name, step) in enumerate(steps, 1):
            tell(f"cleaning {data.source}: {name} ({number} of {len(steps)})")
            out = step(frame, options)
            refused.append(out.rejected)
            report.reasons.update(out.rejected["reason"])
            report.notes.extend(out.notes)
            report.steps.append(
                {
                    "name": name,
                    "rows_in": len(frame),
                    "rows_out": len(out.frame),
                    "rejected": len(out.rejected),
                    "notes": list(out.notes),
                }
            )
            for key, value in out.details.items():
                if key in ("conversions", "respelled"):  # more than one step adds to these
                    getattr(report, key).extend(value)
                elif key == "freq":
                    options = replace(options, freq=value)
                    report.freq = value
                elif key != "aggregated":
                    setattr(report, key, value)
            frame = out.frame
            if not len(frame):
                top = "; ".join(f"{n} x {r}" for r, n in report.reasons.most_common(3))
                raise InputError(
                    f"no usable rows: all {report.rows_in} rows were refused ({top})",
                    data.source,
                    _fix_for_blank_names(report.reasons),
                )
    tell(f"cleaning {data.source}: the report")
    report.rows_rejected = sum(len(part) for part in refused)
    report.lost = _lost_series(data.work, refused, frame)
    if len(frame):
        lineage = frame["_obs"].map(len)
        report.rows_kept = int((lineage > 0).sum())
        report.rows_merged = int((lineage - 1).clip(lower=0).sum())
        prices = frame[list(COLUMNS)].assign(price=frame["price"].astype(float))
        prices = prices.assign(
            **{c: prices[c].astype(object) for c in COLUMNS if c not in ("date", "price")}
        )
        prices = validate(prices, options.freq)
        # The frequency it was read on: a week dated Monday the 1st is no month (table_freq).
        prices.attrs["freq"] = options.freq
        report.as_given = _as_given(data.work, frame, report)
    else:
        prices = empty_price_table()
    return CleanResult(prices, report, _rejected_rows(refused, data.work["row"], data.original))


__all__ = ["CleanResult", "build_steps", "clean"]
