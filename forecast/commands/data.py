"""``cropcast data``: list, check and clean price files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from forecast.commands.shared import (
    ChucOption,
    CleanFreqOption,
    CropcastGroup,
    DayfirstOption,
    DbOption,
    DecimalOption,
    DefaultOption,
    JsonOption,
    MapOption,
    SheetOption,
    check_output_suffix,
    clean_options,
    console,
    counted,
    hold_back_latest,
    money,
    note_file_read,
    parse_pairs,
    print_table,
    refuse_overwrite,
    split_left_out,
    store_to_read,
    stored_prices,
)
from forecast.errors import UsageError

data_app = typer.Typer(
    cls=CropcastGroup, help="Inspect and clean price files.", no_args_is_help=True
)


@data_app.command("list")
def data_list(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="A price file; default: the store if there is one, else the embedded data.",
            metavar="FILE",
        ),
    ] = None,
    map_: MapOption = None,
    default: DefaultOption = None,
    freq: CleanFreqOption = None,
    dayfirst: DayfirstOption = None,
    decimal: DecimalOption = None,
    chuc: ChucOption = 12,
    sheet: SheetOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """List the series: key, span, number of prices and gaps.

    Of the file; else of the store when there is one, as forecast reads it; else of the
    embedded data.
    """
    from forecast.datasets import load_input
    from forecast.summary import series_overview
    from forecast.table import price_unit

    if sheet is not None and file is None:
        raise UsageError(
            "--sheet picks a workbook's sheet, and no file was given",
            "--sheet",
            "Give the workbook, or leave --sheet out",
        )
    store_path = store_to_read(file, db)
    if store_path is not None:
        prices, cleaned = stored_prices(store_path, freq), None  # as forecast reads it
    else:
        prices, cleaned = load_input(
            file,
            mapping=parse_pairs(map_, "--map"),
            defaults=parse_pairs(default, "--default"),
            options=clean_options(freq, dayfirst, chuc, decimal),
            sheet=sheet,
        )
    if cleaned is not None:
        note_file_read(cleaned.report, file, sheet)
    overview = series_overview(prices)
    if as_json:
        out = overview.assign(
            first=overview["first"].astype(str), last=overview["last"].astype(str)
        )
        typer.echo(json.dumps(out.to_dict(orient="records"), ensure_ascii=False, indent=1))
        return
    table = Table(
        title=f"{len(overview):,} series"
        + (
            f" in {file.name}"
            if file
            else f" in the store {store_path}"
            if store_path is not None
            else " (embedded data)"
        ),
        box=box.SIMPLE_HEAD,  # no column rules: six more columns for the names
    )
    # One column for the name, whose words wrap: at 80 columns, three name columns cut
    # "Trincomalee" to "Trincom…", and a block per series would take 1,442 x 6 lines for a
    # national file.
    table.add_column("series", overflow="fold")
    table.add_column("unit", no_wrap=True)
    table.add_column("span", no_wrap=True)
    table.add_column("prices", justify="right", no_wrap=True)
    table.add_column("gaps", justify="right", no_wrap=True)
    if estimated := int(overview["estimated"].sum()):
        table.caption_justify = "left"
        table.caption = (
            f"prices: as written; gaps: periods without one, of which cleaning "
            f"estimated {estimated:,} from the prices around them"
        )
    for row in overview.itertuples(index=False):
        # Weeks by their Monday: "2025-11–2025-12" hid which weeks a series holds.
        day = "%Y-%m-%d" if row.freq == "weekly" else "%Y-%m"
        table.add_row(
            f"{row.commodity} · {row.market} · {row.price_type}",
            price_unit(row.currency, row.unit),
            f"{row.first:{day}}–{row.last:{day}}",
            str(row.count),
            str(row.missing),
        )
    print_table(table)


def _print_list(heading: str, items: list[str], shown: int | None = None) -> None:
    """A heading and its items, indented under the report; the first ``shown`` of them
    and how many more (``None``: all). Nothing for no items."""
    if not items:
        return
    console.print(f"  {heading}:", markup=False, highlight=False)
    for item in items[:shown]:
        console.print(f"    {item}", markup=False, highlight=False)
    if shown is not None and len(items) > shown:
        console.print(f"    ... and {len(items) - shown:,} more", markup=False, highlight=False)


def _print_report(
    report,
    file: Path,
    twins: list[list[str]],
    late: list[dict],
    held: list[dict] = (),
    tenfold: list[dict] = (),
    shown: int = 10,
) -> None:
    from forecast.models.base import JUMP_AT

    console.print(f"[bold]{file.name}[/bold]")
    lines = report.lines(limit=shown)
    for line in lines:
        console.print(f"  {line}", markup=False, highlight=False)
    _print_list(
        "latest prices forecasts and bulletins leave out as probably mistyped (three times "
        f"the prices before or more, until a second price confirms them; fix them in "
        f"{file.name})",
        [
            f"{item['series']} {item['date']}: {money(item['price'])} "
            f"(about {money(item['around'])})"
            for item in held
        ],
        shown,
    )
    _print_list(
        f"moves of {JUMP_AT:g}-fold or more (tenfold, give or take the period's own move), "
        "which forecasts handle by rule (a joined move is taken "
        "for a new currency unit or unit; a price left out, for a typo; if that is wrong, "
        f"fix it in {file.name})",
        [
            f"{item['series']} {item['date']}: {money(item['price'])}, left out"
            if item["what"] == "left out"
            else f"{item['series']}: {money(item['price_before'])} ({item['before']}) -> "
            f"{money(item['price'])} ({item['date']}), joined"
            for item in tenfold
        ],
        shown,
    )
    # A year typed 2026 for 2021: the forecast would start from that one price.
    _print_list(
        "last prices a year or more after the others (a mistyped year?)",
        [
            f"{item['series']}: {' and '.join(item['late'])}, after none since {item['before']}"
            for item in late
        ],
        shown,
    )
    _print_list(
        "names alike but for capitals, spaces or accents (kept as separate series; if one "
        f"series, spell them alike in {file.name})",
        [" and ".join(f"'{name}'" for name in names) for names in twins],
    )
    if len(lines) < len(report.lines(limit=len(lines) + 1_000_000)):
        # "... and 2 more" hid the gaps left, with no word of where the rest were.
        console.print(
            f"  lists above are cut at {shown} (... and N more): add --json to see every item",
            markup=False,
            highlight=False,
        )


def _case_twins(prices) -> list[list[str]]:
    """The cleaned series whose names differ only in capitals, spaces or accents ("Tan
    Thanh Binh" beside "Tân Thành Bình"), by label: cleaning keeps them apart, so the
    check that lists what cleaning did must name them before they reach a forecast."""
    from forecast.table import case_twins, series_label

    return [[series_label(key) for key in group] for group in case_twins(prices)]


def _held_latest(prices):
    """The latest prices a forecast, a fan chart and a bulletin leave out as probably
    mistyped (``forecast.commands.shared.hold_back_latest``), by label, and ``prices``
    without them: a review's check said "1 outlier flagged (kept)" of a price every command
    then left out."""
    from forecast.table import KEY, dated, series_label

    kept, held = hold_back_latest(prices, prices)
    out = []
    for key, found in held.items():
        dates = prices.loc[(prices[list(KEY)] == list(key)).all(axis=1), "date"]
        for h in found:  # months as months (2026-07): the file may write the 15th
            out.append(
                {
                    "series": series_label(key),
                    "date": dated(h.date, dates),
                    "price": h.price,
                    "around": float(f"{h.around:.12g}"),  # exp(log): 8639.999999999998
                }
            )
    return out, kept


def _tenfold_listed(prices) -> list[dict]:
    """The moves of tenfold or more forecasts handle by rule (``forecast.models.base
    .join_jumps``), by label: ``"joined"`` (the prices before scaled to meet those after, as
    a new currency unit) or ``"left out"`` (a single price, as a typo). A review's check
    named neither, where every forecast then said so."""
    from forecast.commands.shared import tenfold_moves
    from forecast.table import dated, series_label

    out = []
    for key, series, joined, left_out in tenfold_moves(prices):
        for when in left_out:
            out.append(
                {
                    "series": series_label(key),
                    "what": "left out",
                    "date": dated(when, series.index),
                    "price": float(series[when]),
                }
            )
        kept = series.drop(left_out)
        for when, _ in joined:
            i = kept.index.get_loc(when)
            out.append(
                {
                    "series": series_label(key),
                    "what": "joined",
                    "date": dated(when, kept.index),
                    "price": float(kept.iloc[i]),
                    "before": dated(kept.index[i - 1], kept.index),
                    "price_before": float(kept.iloc[i - 1]),
                }
            )
    return out


def _late_last_prices(prices) -> list[dict]:
    """The cleaned series whose last price or two come a year or more after the ones before
    (see :func:`forecast.summary.late_last_prices`), by label, dates as notes say them."""
    from forecast.summary import late_last_prices
    from forecast.table import KEY, dated, series_label

    # Months as months (2026-07): the file wrote the 15th, and 2026-07-01 is not in it.
    return [
        {
            "series": series_label(tuple(getattr(row, k) for k in KEY)),
            "late": [dated(date, [*row.late, row.before]) for date in row.late],
            "before": dated(row.before, [*row.late, row.before]),
        }
        for row in late_last_prices(prices).itertuples(index=False)
    ]


@data_app.command("check")
def data_check(
    file: Annotated[Path, typer.Argument(help="The price file to check.", metavar="FILE")],
    map_: MapOption = None,
    default: DefaultOption = None,
    freq: CleanFreqOption = None,
    dayfirst: DayfirstOption = None,
    decimal: DecimalOption = None,
    chuc: ChucOption = 12,
    sheet: SheetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Report what cleaning would do; exit 1 when rows would be refused that need fixing.

    Rows cleaning always leaves out (WFP's own 'forecast' rows) are listed but do not count:
    a file as WFP publishes it passes.
    """
    from forecast.clean import clean
    from forecast.io import read_prices

    raw = read_prices(
        file,
        mapping=parse_pairs(map_, "--map"),
        defaults=parse_pairs(default, "--default"),
        sheet=sheet,
    )
    result = clean(raw, clean_options(freq, dayfirst, chuc, decimal))
    twins = _case_twins(result.prices)
    late = _late_last_prices(result.prices)
    held, kept = _held_latest(result.prices)
    tenfold = _tenfold_listed(kept)  # a latest price held back is no move forecasts join
    by_design, to_fix = split_left_out(result.report.reasons.most_common())
    if as_json:
        payload = result.report.to_dict()
        payload["rows_to_fix"] = sum(n for _, n in to_fix)
        payload["rows_left_out_as_always"] = sum(n for _, n in by_design)
        payload["case_twins"] = twins
        payload["late_last_prices"] = late
        payload["held_back_latest"] = held
        payload["tenfold_moves"] = tenfold
        payload["rejected_rows"] = _rejected_records(result.rejected)
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1, default=str))
    else:
        _print_report(result.report, file, twins, late, held, tenfold)
        _print_rejected(result.rejected, file)
    # A WFP file's own forecasts are no rows to fix: the file as published passes.
    if to_fix:
        raise typer.Exit(1)


def _rejected_records(rejected) -> list[dict]:
    """Every refused row as the file wrote it: ``row`` (the data row, 1 the first after the
    header; a workbook's own row number for the Pink Sheet), its cells, ``reason``."""
    if rejected is None or rejected.empty:
        return []
    return json.loads(
        rejected.astype(object)
        .where(rejected.notna(), None)
        .to_json(orient="records", force_ascii=False)
    )


def _print_rejected(rejected, file: Path, shown: int = 10) -> None:
    """The first refused rows, a line each, and how to have them all: the notes of other
    commands send users here to see them."""
    if rejected is None or rejected.empty:
        return
    from forecast.clean.flags import left_out_by_design

    # The rows to fix first: 78 WFP 'forecast' rows listed ahead hid the one typo.
    as_always = rejected["reason"].map(left_out_by_design)
    rejected = rejected.sort_values(
        "reason", key=lambda r: r.map(left_out_by_design), kind="stable"
    )
    n = len(rejected)
    cells = [c for c in rejected.columns if c not in ("row", "reason")]
    what = "rows left out as always" if as_always.all() else "refused rows"
    console.print(
        f"  {what} ({'all' if n <= shown else f'the first {shown} of {n:,}'}; 'row' counts "
        "data rows from 1 after the header):",
        markup=False,
        highlight=False,
    )
    for record in rejected.head(shown).itertuples(index=False):
        values = dict(zip(rejected.columns, record, strict=True))
        written = ", ".join(
            str(values[c]) for c in cells if values[c] is not None and str(values[c]) != "nan"
        )
        console.print(
            f"    row {values['row']}: {written}: {values['reason']}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if n > shown:
        console.print(
            f"    ... all {n:,} with 'cropcast data clean {file} -o clean.csv --rejected "
            "refused.csv', or --json",
            markup=False,
            highlight=False,
        )


@data_app.command("clean")
def data_clean(
    file: Annotated[Path, typer.Argument(help="The price file to clean.", metavar="FILE")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Clean PriceTable (.csv or .parquet).")
    ],
    rejected: Annotated[
        Path | None, typer.Option(help="Where to write refused rows with reasons.")
    ] = None,
    map_: MapOption = None,
    default: DefaultOption = None,
    freq: CleanFreqOption = None,
    dayfirst: DayfirstOption = None,
    decimal: DecimalOption = None,
    chuc: ChucOption = 12,
    sheet: SheetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Clean a price file into the PriceTable format."""
    from forecast.clean import clean
    from forecast.datasets import write_price_table
    from forecast.io import read_prices

    check_output_suffix(output, name="prices")
    check_output_suffix(rejected, "--rejected", (".csv",), "rejected")
    refuse_overwrite(output, "--output", {"the input file": file})
    # Written after the cleaned table, one file would keep only the refused rows.
    reads = {"the input file": file, "the cleaned table (--output)": output}
    refuse_overwrite(rejected, "--rejected", reads)
    raw = read_prices(
        file,
        mapping=parse_pairs(map_, "--map"),
        defaults=parse_pairs(default, "--default"),
        sheet=sheet,
    )
    result = clean(raw, clean_options(freq, dayfirst, chuc, decimal))
    if rejected is None:
        write_price_table(result.prices, output, "--output")
    else:
        from forecast.io.replace import replaced

        # The refused rows first, to a file beside theirs, and the cleaned table inside: a
        # --rejected that cannot be written (a full disk) replaced the user's --output,
        # then said "nothing was written"; now neither file changes.
        rejected.parent.mkdir(parents=True, exist_ok=True)
        with replaced(rejected, "--rejected") as temporary:
            result.rejected.to_csv(temporary, index=False, encoding="utf-8")
            write_price_table(result.prices, output, "--output")
    twins, late = _case_twins(result.prices), _late_last_prices(result.prices)
    if as_json:
        payload = result.report.to_dict() | {"case_twins": twins, "late_last_prices": late}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1, default=str))
        return
    _print_report(result.report, file, twins, late)
    console.print(f"wrote {counted(len(result.prices), 'price')} to {output}", markup=False)
    if rejected is not None:
        console.print(
            f"wrote {counted(len(result.rejected), 'rejected row')} to {rejected}", markup=False
        )
    elif len(result.rejected):
        console.print(
            f"{counted(len(result.rejected), 'row')} "
            f"{'was' if len(result.rejected) == 1 else 'were'} rejected; "
            f"add --rejected FILE to keep {'it' if len(result.rejected) == 1 else 'them'} "
            "with reasons",
            markup=False,
        )
