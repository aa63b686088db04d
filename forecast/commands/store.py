"""``cropcast ingest``, ``accuracy`` and ``store``: the price store and its forecasts."""

from __future__ import annotations

import json
import math
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from forecast.commands.shared import (
    CleanFreqOption,
    CropcastGroup,
    DayfirstOption,
    DbOption,
    DecimalOption,
    DefaultOption,
    IngestChucOption,
    JsonOption,
    MapOption,
    SeriesOption,
    SheetOption,
    check_output_folder,
    clean_options,
    console,
    counted,
    label,
    listed_reasons,
    money,
    note_lone_last_prices,
    note_other_sheets,
    note_thousands,
    parse_choice,
    parse_pairs,
    print_table,
    split_left_out,
)
from forecast.errors import CropcastError, UsageError

store_app = typer.Typer(
    cls=CropcastGroup,
    help="The price store: what it holds; export it; remove series or mistyped prices.",
    no_args_is_help=True,
)

WaitOption = Annotated[
    float,
    typer.Option("--wait", help="Seconds to wait while another cropcast process uses the store."),
]


def _print_ingest(results) -> None:
    """Per file: what it was, how its rows were cleaned and how its prices met the store."""
    for r in results:
        if r.status == "duplicate":
            named = f"{r.earlier_file}, " if r.earlier_file and r.earlier_file != r.file else ""
            # Other options that read the same prices (--freq monthly on a file read as
            # monthly): said so, as the options differ from the earlier ingest's.
            how = (
                "same bytes, and these options read the same prices"
                if r.same_prices
                else "same bytes read the same way"
            )
            console.print(
                f"[bold]{r.file}[/bold]  [yellow]already in the store[/yellow] as ingest "
                f"#{r.ingest_id} ({named}{r.ingested_at:%Y-%m-%d %H:%M} UTC, {how}): "
                "nothing added",
                highlight=False,
            )
            continue
        rep = r.report
        console.print(
            f"[bold]{r.file}[/bold]  [green]added[/green] as ingest #{r.ingest_id} "
            f"({r.seconds:.1f} s)",
            highlight=False,
        )
        rejected = (
            f"[red]{rep.rows_rejected:,} rejected[/red]" if rep.rows_rejected else "0 rejected"
        )
        console.print(
            f"  rows    {rep.rows_in:,} in: {rep.rows_kept:,} kept, {rep.rows_merged:,} merged, "
            f"{rejected}",
            highlight=False,
        )
        if rep.conflicts:
            # Merged prices that differed: the store keeps one price nobody may have typed.
            from forecast.commands.shared import conflicts_said

            example, kept = conflicts_said(rep.conflicts)
            n = len(rep.conflicts)
            console.print(
                f"  merged  {n:,} {'dates' if n > 1 else 'date'} had different prices in one "
                f"series: {kept}{example}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        revised = f"[bold yellow]{r.revised:,} revised[/bold yellow]" if r.revised else "0 revised"
        console.print(
            f"  prices  {r.added:,} added, {r.unchanged:,} unchanged, {revised}"
            + (f"; {rep.interpolated:,} interpolated" if rep.interpolated else "")
            # Said, as `data check` says it: a mistyped 10x price is stored as typed.
            + (
                f"; {len(rep.outliers):,} flagged as outliers (kept; 'cropcast data check' "
                "lists them)"
                if rep.outliers
                else ""
            ),
            highlight=False,
        )
        from forecast.io.files import encoding_note

        # A wrong guess garbles every accented name the store keeps, for good.
        guessed = encoding_note(rep.notes)
        _print_chuc(rep.conversions, r.per_chuc)
        # Names tidied ("Kano " is Kano): the store keeps the tidied name, and a series
        # spelled so joins the one stored under it.
        from forecast.clean.text import tidied_names

        tidied = [f"{len(rep.renamed)} {tidied_names(rep.renamed)}"] if rep.renamed else []
        for sentence in [*([guessed] if guessed else []), *tidied, *r.read_as]:
            console.print(f"  note    {sentence}", markup=False, highlight=False, soft_wrap=True)
        if r.units_kept:
            first, n = r.units_kept[0], len(r.units_kept)
            more = f" and {n - 1:,} more series" if n > 1 else ""
            console.print(
                f"  unit    {first['series']}{more}: priced per piece, kept under the store's "
                f"unit '{first['stored_unit']}' (this file's '{first['file_unit']}') so "
                "their history stays one series",
                markup=False,
                highlight=False,
            )
        if r.put_back:
            # The reading asked for again (the dd/mm one after a --monthfirst misreading):
            # not 'the file again', as the store no longer held its prices.
            ids = ", ".join(f"#{b['ingest_id']}" for b in r.put_back)
            n = sum(b["prices"] for b in r.put_back)
            console.print(
                f"  again   this file was read so before, and another reading of it since "
                f"(ingest {ids}) replaced {n:,} of those prices: they are put back; prices "
                "other files corrected stand",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        for reason, n in rep.reasons.most_common(3):
            console.print(f"  refused {n:,} × {reason}", markup=False, highlight=False)
        if len(rep.reasons) > 3:
            console.print(f"  refused ... and {len(rep.reasons) - 3} more reasons", markup=False)
        if r.revised:
            replaced = r.estimates_replaced
            what = f", {replaced} of them interpolated estimates now observed" if replaced else ""
            _print_price_changes(
                f"  revised {r.revised:,} stored prices{what}; the old values stay in the "
                "store's revisions:",
                r.revisions,
                r.revised,
                shown=10,
            )
            _print_year_apart(r)
        _print_new_beside_stored(
            r.twins,
            "spelling",
            "'{new}' went in as a new series, but the store holds '{stored}' (only accents, "
            "capitals or spaces differ): if they are one series, take the new one out with "
            "'cropcast store remove -s \"{new}\"' and spell the file as the store does",
        )
        for group in r.twins_in_file[:3]:
            names = " and ".join(f"'{name}'" for name in group)
            console.print(
                f"  [bold yellow]spelling[/bold yellow] {names} went in as separate series "
                "(only accents, capitals or spaces differ): if they are one series, take the "
                "misspelt one out with 'cropcast store remove -s NAME' and spell it alike in "
                "the files you ingest",
                highlight=False,
                soft_wrap=True,
            )
        if len(r.twins_in_file) > 3:
            more = len(r.twins_in_file) - 3
            console.print(f"  spelling ... and {more:,} more such groups", markup=False)
        _print_new_beside_stored(
            r.near_twins,
            "spelling",
            "'{new}' went in as a new series, but the store holds '{stored}' (one letter "
            "apart): if they are one series, take the new one out with 'cropcast store remove "
            '-s "{new}"\' and spell the file as the store does',
        )
        _print_new_beside_stored(
            r.near_twins_in_file,
            "spelling",
            "'{new}' and '{stored}' went in as separate series (one letter apart): if they "
            "are one series, take the misspelt one out with 'cropcast store remove -s NAME' "
            "and spell it alike in the files you ingest",
        )
        renamed = [pair for pair in r.other_units if _redenominated(*pair)]
        _print_new_beside_stored(
            [pair for pair in r.other_units if pair not in renamed],
            "unit",
            "'{new}' went in as a new series beside the stored '{stored}' (another unit or "
            "currency): if they are one series, write the file's unit and currency as the "
            "store's",
        )
        _print_new_beside_stored(
            renamed,
            "currency",
            "'{new}' went in as a new series beside the stored '{stored}': one currency "
            "under its old and new codes, kept apart across files (a single file holding "
            "both codes has its old prices converted at the legal rate)",
        )
        for unlike in r.chuc_unlike[:3]:
            console.print(
                f"  [bold yellow]chục[/bold yellow] {unlike['series']} read per chục of "
                f"{unlike['now']} nuts; the store's latest file of it, per chục of "
                f"{unlike['stored']}. If this file's chục is {unlike['stored']} too, write "
                f"its unit 'chục ({unlike['stored']} trái)' and ingest it again (or give "
                f"--chuc {unlike['stored']} when every chục in the file holds "
                f"{unlike['stored']}); its prices are then revised. If the depot now counts "
                f"{unlike['now']}, nothing to do",
                highlight=False,
                soft_wrap=True,
            )
        if len(r.outliers):
            _print_outliers(r.outliers, r.per_chuc)
        if len(r.reestimated):
            _print_price_changes(
                f"  re-estimated {len(r.reestimated):,} interpolated prices between their new "
                "real neighbours; the old estimates stay in the store's revisions:",
                r.reestimated,
                len(r.reestimated),
                shown=5,
            )


def _redenominated(new: str, stored: str) -> bool:
    """Whether two series labels ('... | SLE/kg', '... | SLL/kg') differ by a currency's
    old and new codes only."""
    from forecast.clean.currency import redenomination_plan

    a, b = new.rsplit(" | ", 1)[-1], stored.rsplit(" | ", 1)[-1]
    (code_a, _, unit_a), (code_b, _, unit_b) = a.partition("/"), b.partition("/")
    if unit_a != unit_b or new.rsplit(" | ", 1)[0] != stored.rsplit(" | ", 1)[0]:
        return False
    plan = redenomination_plan({code_a, code_b})
    return plan.get(code_a, ("",))[0] == code_b or plan.get(code_b, ("",))[0] == code_a


def _print_new_beside_stored(pairs: list[tuple[str, str]], label: str, text: str) -> None:
    """A line for each of the first three (new series, stored series) pairs, then a count:
    a series meant as a stored one went in as a series of its own."""
    for new, stored in pairs[:3]:
        console.print(
            f"  [bold yellow]{label}[/bold yellow] " + text.format(new=new, stored=stored),
            highlight=False,
            soft_wrap=True,
        )
    if len(pairs) > 3:
        console.print(f"  {label} ... and {len(pairs) - 3:,} more such series", markup=False)


def _print_chuc(conversions: list[dict], per_chuc: dict[tuple, int]) -> None:
    """The series read per chục, with the nuts in it: a wrong --chuc changes every price
    the store keeps, and the bulletin quotes the series per that chục again where most of
    its prices are (``per_chuc``)."""
    from forecast.clean.units import from_chuc

    read = [c for c in conversions if from_chuc(c)]
    if not read:
        return
    sizes = sorted({round(1 / float(c["factor"])) for c in read})
    series = list(dict.fromkeys(c["series"] for c in read))  # a conversion per unit written
    first = series[0] + (f" and {len(series) - 1:,} more series" if len(series) > 1 else "")
    keys = {
        tuple(c.get(k) for k in ("commodity", "market", "price_type", "currency")) for c in read
    }
    quoted = len(keys & set(per_chuc))
    bulletins = (
        "quoted per chục again in bulletins"
        if quoted == len(keys)
        else "quoted per chục again in bulletins where most of a series' prices are"
        if quoted
        else "quoted per their other unit in bulletins, as most of their prices are"
    )
    # "(--chuc)" where the option (or its default) set the size; a unit that says its nuts
    # ("chục (14 trái)") set its own.
    from forecast.clean.units import says_its_nuts

    said = [says_its_nuts(c["from"]) for c in read]
    where = "" if all(said) else " (--chuc)" if not any(said) else " (--chuc, or as written)"
    console.print(
        f"  unit    {first} read per chục of {' or '.join(map(str, sizes))} nuts{where}; "
        f"stored per nut, {bulletins}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _print_outliers(rows, per_chuc: dict[tuple, int] | None = None, shown: int = 5) -> None:
    """The prices whose ``outlier`` mark the store's whole history set or took off: a typo in
    a week's file shows here, at ingest, not in next week's bulletin. A series the file
    wrote per chục is quoted per chục, as the depot typed it (and per nut, as stored)."""
    per_chuc = per_chuc or {}

    def say(row) -> str:
        size = per_chuc.get((row.commodity, row.market, row.price_type, row.currency))
        if not size or row.unit != "nut":
            return _outlier_text(row)
        median = row.local_median
        around = "" if math.isnan(median) else f" (around it: {money(median * size)})"
        return f"{money(row.price * size)} a chục of {size}{around}; {money(row.price)} a nut"

    for mark, heading in (
        (
            "flagged",
            "[bold yellow]outlier[/bold yellow] {what} out from the stored history "
            "(marked, kept); if a typo, ingest a corrected file:",
        ),
        ("cleared", "outlier mark taken off {what}: the prices since bear it out:"),
    ):
        part = rows[rows["mark"] == mark]
        if part.empty:
            continue
        n = len(part)
        if mark == "flagged":
            what = "1 price stands" if n == 1 else f"{n:,} prices stand"
        else:
            what = "1 price" if n == 1 else f"{n:,} prices"
        console.print("  " + heading.format(what=what), highlight=False)
        _print_rows(part, shown, say)


def _outlier_text(row) -> str:
    # Only a price flagged now has a median it stands out from.
    median = row.local_median
    around = "" if math.isnan(median) else f" (around it: {money(median)})"
    return f"{money(row.price)}{around}"


def _print_year_apart(r) -> None:
    """The revisions a year before a recent file's other prices, said as a likely mistyped
    year, with how to put the old price back (the file that had it is in the store already,
    so ingesting it again adds nothing)."""
    import pandas as pd

    apart = r.year_apart_revisions()
    if apart.empty:
        return
    first = apart.iloc[0]
    others = r.file_dates.difference(pd.DatetimeIndex(apart["date"].unique()))
    n = len(apart)
    was = "price is" if n == 1 else "prices are"
    console.print(
        f"  [bold yellow]date[/bold yellow]    {n:,} revised {was} "
        f"dated about a year or more before the file's other prices ({first['date']:%Y-%m-%d}, "
        f"beside {others.min():%Y-%m-%d}"
        + (f" to {others.max():%Y-%m-%d}" if others.max() != others.min() else "")
        + f"). If a year is mistyped, put the old {'price' if n == 1 else 'prices'} back "
        f"({'' if n == 1 else 'e.g. '}{money(first['old_price'])} on "
        f"{first['date']:%Y-%m-%d}) with a file of {'that date and price' if n == 1 else 'them'}"
        ", then ingest the row with its right year",
        highlight=False,
        soft_wrap=True,
    )


def _print_price_changes(heading: str, rows, total: int, shown: int) -> None:
    """A heading, the first ``shown`` old -> new prices (with the file a revised one came
    from), and how many more."""
    console.print(heading, markup=False, highlight=False)

    def change(row) -> str:
        source = getattr(row, "old_source", None)
        was = f" (was from {source})" if source is not None else ""
        old, new = money(row.old_price), money(row.new_price)
        if old == new:  # a revision within the table's rounding (2.15 -> 2.154): every digit
            from forecast.datasets import exact_text

            old, new = exact_text(row.old_price), exact_text(row.new_price)
        return f"{old} → {new}{was}"

    _print_rows(rows, shown, change, total)


def _print_rows(rows, shown: int, say, total: int | None = None) -> None:
    """The first ``shown`` rows, each as its series, date and ``say(row)``; how many more."""
    for row in rows.head(shown).itertuples(index=False):
        key = (row.commodity, row.market, row.price_type, row.unit, row.currency)
        console.print(
            f"    {label(key)} {row.date:%Y-%m-%d}: {say(row)}", markup=False, highlight=False
        )
    total = len(rows) if total is None else total
    if total > shown:
        console.print(f"    ... and {total - shown:,} more", markup=False)


#: A file of which more than this share of rows cleaning refused exits 1 (see _refused_rows).
MOSTLY_REFUSED = 0.5


def _data_check_command(file: Path, given: list[str], read_with: dict) -> str:
    """'cropcast data check FILE ...' with the options the ingest read the file with (as
    given, then those taken from the store), quoted for pasting into a shell."""
    import shlex

    args = ["cropcast", "data", "check", str(file), *given]
    if "dayfirst" in read_with and not {"--dayfirst", "--monthfirst"} & set(given):
        args.append("--dayfirst" if read_with["dayfirst"] else "--monthfirst")
    if "freq" in read_with and "--freq" not in given:
        args += ["--freq", str(read_with["freq"])]
    return " ".join(shlex.quote(a) for a in args)


def _refused_rows(result, file: Path, given: list[str]) -> tuple[list[str], str | None]:
    """What to say on stderr of the rows cleaning refused in a file: how many, why, and the
    'cropcast data check' command (with the options given) that lists them; for a file
    already in the store, those its first ingest refused (the store's rejected table).

    Rows cleaning leaves out by design (a price flag not kept: WFP's own 'forecast' rows)
    are said as such, with nothing to fix, and are not counted. A file of which most of the
    other rows were refused (more than :data:`MOSTLY_REFUSED`) was not used as given: its
    line is an error and the command exits 1, though the prices it kept went in; a few
    refused rows are a note, and the exit stays 0.

    Returns the lines (with their 'note:'/'error:') and, for a file mostly refused, the
    error's message (also the JSON's).
    """
    if result.status == "duplicate":
        rows_in, rejected = result.earlier_rows_in, result.earlier_rejected
        reasons = sorted(result.earlier_reasons.items(), key=lambda item: -item[1])
    else:
        rows_in, rejected = result.report.rows_in, result.report.rows_rejected
        reasons = result.report.reasons.most_common()
    if not rejected:
        return [], None
    by_design, reasons = split_left_out(reasons)
    left_out = sum(n for _, n in by_design)
    refused, rows = rejected - left_out, rows_in - left_out

    when = f"when it was ingested as #{result.ingest_id}, " if result.status == "duplicate" else ""
    as_always = f"{left_out:,} rows left out as always ({listed_reasons(by_design)})"
    if not refused:
        return [f"note: {file.name}: {when}{as_always}; nothing to fix"], None
    mostly = refused > MOSTLY_REFUSED * rows
    besides = f", besides {as_always}" if left_out else ""
    went = (
        f"only the other {counted(rows - refused, 'row')} went into the store; "
        if mostly
        else "the store keeps them in its rejected table; "
    )
    command = _data_check_command(file, given, result.read_with)
    message = (
        f"{file.name}: {when}cleaning refused {refused:,} of {rows:,} rows "
        f"({listed_reasons(reasons)})"
        f"{besides}; {went}'{command}' lists them: fix them in the file (or give "
        "--map/--default for what it lacks) and ingest it again"
    )
    return [f"{'error' if mostly else 'note'}: {message}"], message if mostly else None


def ingest_cmd(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Price files to add (CSV, Excel, Parquet; WFP, Pink Sheet).", metavar="FILES"
        ),
    ],
    db: DbOption = None,
    map_: MapOption = None,
    default: DefaultOption = None,
    freq: CleanFreqOption = None,
    dayfirst: DayfirstOption = None,
    decimal: DecimalOption = None,
    chuc: IngestChucOption = None,
    sheet: SheetOption = None,
    wait: WaitOption = 30.0,
    as_json: JsonOption = False,
) -> None:
    """Clean price files and add them to the store, one transaction per file.

    The same file again adds nothing; a file that fails cleaning changes nothing.

    Rows cleaning refused are said on stderr with the 'cropcast data check' command that
    lists them; when most of a file's rows are refused the command exits 1 (the rest went in).
    Rows it always leaves out (WFP's 'forecast' rows) are said as such, and not counted.

    A new price for a stored period is kept as a revision (the old value stays) and listed.

    Interpolated prices are re-estimated between the real ones that arrive around them.

    The store: --db, else $CROPCAST_DB, else ./cropcast.duckdb (made with the first file
    that goes in).
    """
    from forecast.store import StoreBusyError, ingest_file, store_to_fill

    options = clean_options(freq, dayfirst, 12 if chuc is None else chuc, decimal)
    mapping, defaults = parse_pairs(map_, "--map"), parse_pairs(default, "--default")
    if not 0 <= wait < float("inf"):  # NaN too: it waited with no limit, 'nan' accepted
        raise UsageError(
            f"{wait:g} is not a number of seconds of 0 or more",
            "--wait",
            "Use e.g. --wait 30 (0 does not wait)",
        )
    store = store_to_fill(db, wait=wait)  # made when a file's prices are ready to go in
    given = _given_options(map_, default, freq, dayfirst, decimal, chuc, sheet)
    # errors: in the files' order, each file that fails or is mostly refused (exit 1).
    results, entries, said, errors, failures = [], [], [], [], []
    for file in files:
        try:
            result = ingest_file(
                store,
                file,
                options=options,
                mapping=mapping,
                defaults=defaults,
                sheet=sheet,
                chuc_from_store=chuc is None,  # else the user's word: no note either
            )
            results.append(result)
            lines, refused = _refused_rows(result, file, given)
            said += lines
            entries.append(result.to_dict() | {"mostly_refused": refused is not None})
            if refused is not None:  # mostly refused: an error, as its exit code says
                errors.append({"file": str(file), "error": refused})
            if result.report is not None:  # one sheet of several went in
                note_other_sheets(result.report, file, sheet)
                # "2.450" read as 2,450 on a guess: said as forecast says it, with the fix
                # (--decimal ., which reads the same file again).
                note_thousands(result.report, file)
        except StoreBusyError:
            raise
        except CropcastError as exc:
            if len(files) == 1:
                raise
            failures.append((file, exc))
            errors.append({"file": str(file), "error": str(exc)})
    if as_json:
        payload = {"store": str(store.path), "files": entries, "errors": errors}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1, default=str))
    elif results:
        _print_ingest(results)
    for line in said:
        typer.echo(line, err=True)
    _note_late_last_prices(store, results, db)
    for file, exc in failures:
        typer.echo(f"error: {exc} (store unchanged for {file.name})", err=True)
    mostly_refused = len(errors) - len(failures)
    codes = [exc.exit_code for _, exc in failures] + [1] * mostly_refused
    if codes:
        raise typer.Exit(max(codes))


def _note_late_last_prices(store, results, db: Path | None) -> None:
    """Said at ingest, where the mistyped year (2026 for 2021) enters the store: the
    series this ingest wrote prices of whose last price or two come a year or more after
    the ones before. Said first by ``forecast``, it came after the store had kept it."""
    from forecast.store import load_prices

    added = [result.ingest_id for result in results if result.status == "added"]
    if added:
        touched = load_prices(store, touched_by=added)
        note_lone_last_prices(touched, "", db="" if db is None else str(db))


def _given_options(map_, default, freq, dayfirst, decimal, chuc, sheet) -> list[str]:
    """The reading options given to ingest, as arguments 'cropcast data check' takes."""
    given = []
    for option, value in (("--map", map_), ("--default", default), ("--sheet", sheet)):
        for text in [value] if isinstance(value, str) else value or ():
            given += [option, text]
    if freq is not None:
        given += ["--freq", getattr(freq, "value", str(freq))]
    if dayfirst is not None:
        given.append("--dayfirst" if dayfirst else "--monthfirst")
    if decimal is not None:
        given += ["--decimal", decimal]
    if chuc is not None and chuc != 12:
        given += ["--chuc", str(chuc)]
    return given


def _pct_cell(value: float) -> str:
    return "–" if value != value else f"{value:.0%}"


def accuracy_cmd(
    db: DbOption = None,
    series: SeriesOption = None,
    as_json: JsonOption = False,
) -> None:
    """How archived forecasts did against the prices that came later: MAE, MAPE, coverage.

    Per series and model; interpolated prices are estimates, not actuals, and are not scored.
    """

    from forecast.store import forecast_runs, open_store
    from forecast.store.scoring import accuracy

    store = open_store(db)
    if series:
        _refuse_series_not_stored(store, series)
    table = accuracy(store, series=series)
    if series and table.empty and not accuracy(store).empty:
        # Scores exist, for other series: the filter is the user's to fix, not the store.
        raise UsageError(
            f"no scored series matches {' or '.join(repr(s) for s in series)}",
            "--series",
            "Run without --series to see the series that have scores",
        )
    overall = accuracy(store, by=("model",), series=series)
    if as_json:
        out = {}
        for name, frame in (("series", table), ("models", overall)):
            frame = frame.assign(
                first=frame["first"].map(lambda d: f"{d:%Y-%m-%d}"),
                last=frame["last"].map(lambda d: f"{d:%Y-%m-%d}"),
            ).astype(object)
            out[name] = frame.where(frame.notna(), None).to_dict(orient="records")
        typer.echo(json.dumps(out, ensure_ascii=False, indent=1, default=str))
        return
    if table.empty:
        runs = len(forecast_runs(store))
        if runs and series:
            _refuse_series_never_forecast(store, series)
        if runs:
            console.print(
                f"{counted(runs, 'archived forecast run')} in {store.path}, "
                "none with actual prices yet: "
                "ingest newer prices, then run this again.",
                markup=False,
                highlight=False,
            )
        else:
            console.print(
                f"No archived forecasts in {store.path} yet: run 'cropcast forecast' "
                "(it archives), ingest newer prices later, then run this again.",
                markup=False,
                highlight=False,
            )
        return
    levels = [c.split("_", 1)[1] for c in table.columns if c.startswith("coverage_")]
    first, last = table["first"].min(), table["last"].max()
    # Weeks need their days: a month of weekly scores read "2025-12 to 2025-12" (and still
    # did when its Mondays fell on the 1st, so the store's frequencies decide, not the day).
    from forecast.store.contents import series_frequencies
    from forecast.table import KEY

    freqs = series_frequencies(store).merge(table[list(KEY)].drop_duplicates(), on=list(KEY))
    spell = "%Y-%m" if set(freqs["freq"]) <= {"monthly"} else "%Y-%m-%d"
    view = Table(
        title=f"Archived forecasts vs the prices that came, {first:{spell}} to {last:{spell}}",
        caption="MAE in the series' currency/unit; MAPE: mean absolute % error; "
        "cover: share of prices inside the range, near its level when honest",
        box=box.SIMPLE_HEAD,
    )
    for column in ("series", "model", "n", "MAE", "MAPE"):
        view.add_column(column, justify="left" if column in ("series", "model") else "right")
    for level in levels:
        view.add_column(f"{level}%", justify="right", no_wrap=True)
    for row in table.to_dict(orient="records"):
        view.add_row(
            f"{row['commodity']} · {row['market']} ({row['price_type']}, "
            f"{row['currency']}/{row['unit']})",
            str(row["model"]),
            str(row["n"]),
            money(row["mae"], row["currency"]),
            f"{row['mape']:.1f}%",
            *[_pct_cell(row[f"coverage_{level}"]) for level in levels],
        )
    print_table(view)
    for row in overall.to_dict(orient="records"):
        covers = ", ".join(
            f"{level}% cover {_pct_cell(row[f'coverage_{level}'])}" for level in levels
        )
        console.print(
            f"{row['model']} over all series: MAPE {row['mape']:.1f}%, {covers} (n={row['n']})",
            markup=False,
            highlight=False,
        )
    _say_outliers_scored(store, series)


def _refuse_series_not_stored(store, series: list[str]) -> None:
    """A --series that matches no series in the store is a usage error, scores or none: a
    typo said "1 archived forecast runs ..., none with actual prices yet" (exit 0) until
    the store held scores."""
    from forecast.store import load_prices

    if load_prices(store, series).empty:
        raise UsageError(
            f"no series in the store matches {' or '.join(repr(s) for s in series)}",
            "--series",
            f"Run 'cropcast data list --db {store.path}' to see the stored series",
        )


def _refuse_series_never_forecast(store, series: list[str]) -> None:
    """A --series in the store that no archived run forecast: "none with actual prices yet:
    ingest newer prices" was a dead end, newer prices would never score it."""
    from forecast.store import load_prices
    from forecast.store.archive import forecast_series
    from forecast.table import select_series

    if select_series(forecast_series(store), series).empty:
        # Only the patterns that name stored series: forecasting 'Zzz' would fail too.
        series = [s for s in series if not load_prices(store, [s]).empty] or series
        given = " ".join(f'--series "{s}"' for s in series)
        raise UsageError(
            f"no archived forecast run covers {' or '.join(repr(s) for s in series)}",
            "--series",
            f"Forecast {'it' if len(series) == 1 else 'them'} first: "
            f"'cropcast forecast --db {store.path} {given}'",
        )


def _say_outliers_scored(store, series) -> None:
    """A line for the scored prices the store marks as outliers: one typo ("1.180.000" for
    118.000 a chục) made a series' MAPE 36 %, and the table did not say why. They stay
    scored: the store also marks real steps in a price that sat still."""
    from forecast.store.scoring import forecast_errors
    from forecast.table import KEY, select_series, series_label

    marked = select_series(forecast_errors(store, outliers=True), series)
    if marked.empty:
        return
    prices = marked.drop_duplicates([*KEY, "date"])
    first = prices.iloc[0]
    marks = "is marked as an outlier" if len(prices) == 1 else "are marked as outliers"
    console.print(
        f"{len(prices):,} of the prices scored {marks}, e.g. "
        f"{series_label(tuple(first[c] for c in KEY))} {first['date']:%Y-%m-%d}: "
        f"{money(first['actual'])}; if one is a typo, its series' scores are off: ingest a "
        "corrected file",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@store_app.command("info")
def store_info_cmd(db: DbOption = None, as_json: JsonOption = False) -> None:
    """What the store holds: series, prices, ingests, rejected rows, revisions, forecast runs.

    Also checks that counts conserve across its tables; exits 1 when they do not.
    """

    from forecast.store import open_store, store_info

    info = store_info(open_store(db))
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False, indent=1, default=str))
    else:
        by_freq = ", ".join(f"{n:,} {f}" for f, n in info["series_by_freq"].items())
        span = f"{info['first_date']} to {info['last_date']}" if info["prices"] else "–"
        facts = Table(
            title=f"{info['path']} ({info['bytes'] / 1e6:.1f} MB, "
            f"schema v{info['schema_version']})",
            title_justify="left",
            show_header=False,
        )
        facts.add_column("what")
        facts.add_column("", justify="right")
        facts.add_column("")
        facts.add_row("series", f"{info['series']:,}", by_freq)
        facts.add_row(
            "prices", f"{info['prices']:,}", f"{span}; {info['interpolated']:,} interpolated"
        )
        facts.add_row("ingests", f"{info['ingests']:,}", "files added")
        facts.add_row(
            "rejected rows", f"{info['rejected_rows']:,}", "refused by cleaning, with reasons"
        )
        facts.add_row("revisions", f"{info['revisions']:,}", "stored prices later replaced")
        if info["removed"]:
            facts.add_row("removed", f"{info['removed']:,}", "prices 'store remove' took out, kept")
        facts.add_row(
            "forecast runs",
            f"{info['forecast_runs']:,}",
            f"last {info['last_forecast_run']}" if info["last_forecast_run"] else "",
        )
        print_table(facts)
        if info["recent_ingests"]:
            log = Table(title="Latest ingests", title_justify="left", box=box.SIMPLE_HEAD)
            for column in ("#", "file", "date", "rows in", "rejected", "added", "revised"):
                log.add_column(
                    column,
                    justify="left" if column in ("file", "date") else "right",
                    # a number or date is never cut or folded across lines: too narrow
                    # a terminal gets a block per ingest instead
                    no_wrap=column != "file",
                    overflow="fold" if column == "file" else "ellipsis",
                )
            for r in info["recent_ingests"]:
                log.add_row(
                    str(r["ingest_id"]),
                    r["file_name"],
                    r["ingested_at"][:10],
                    *[
                        f"{r[c]:,}"
                        for c in ("rows_in", "rows_rejected", "prices_added", "prices_revised")
                    ],
                )
            print_table(log)
        if not info["problems"]:
            console.print(
                "[green]counts conserve[/green]: rows in = kept + merged + rejected for every "
                "ingest, and every price written stands or is kept as a revision"
            )
    if info["problems"]:
        err = Console(stderr=True)
        for problem in info["problems"]:
            err.print(f"error: {problem}", markup=False, highlight=False)
        raise typer.Exit(1)


@store_app.command("remove")
def store_remove_cmd(
    series: Annotated[
        list[str],
        typer.Option(
            "--series",
            "-s",
            help="Series to take out: parts of their names as --series elsewhere, but "
            'capitals count ("Bưởi|retail" is not "Bưởi|Retail").',
        ),
    ],
    dates: Annotated[
        list[str] | None,
        typer.Option(
            "--date",
            "-d",
            help="Only the prices of this day (2026-06-01) or month (2026-06): a mistyped "
            "date. Repeat it for more.",
            metavar="<date>",
        ),
    ] = None,
    db: DbOption = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Remove them (without it, only list what would go).")
    ] = False,
) -> None:
    """Take series out of the store, or some of their prices, kept aside (a misspelt series,
    a mistyped date).

    A file ingested under another spelling ("retail" beside "Retail", a currency "NGHIN")
    leaves series that forecasts and bulletins then carry. A date typed 2026 for 2021 leaves
    a price that the corrected file does not take out (it adds the right date beside it):
    --date takes out that price alone, with any estimates cleaning interpolated from it.
    The prices move to the store's removals table (store info counts them), never deleted.
    Without --yes, only lists what would go.
    """
    from forecast.store import open_store
    from forecast.store.removal import matching_prices, matching_series, remove_series
    from forecast.table import KEY, series_label

    if not all(any(part.strip() for part in pattern.split("|")) for pattern in series):
        # An empty pattern matches every series: one slip of the shell would empty the store.
        raise UsageError(
            "an empty --series matches every series", "--series", "Give a part of a name"
        )
    dates = [_removal_date(text) for text in dates or ()]
    store = open_store(db)
    if dates:
        from forecast.store.removal import _counted

        chosen = matching_prices(store, series, dates)
        _refuse_dates_without_price(chosen, series, dates, store.path)
        found = _counted(chosen)
    else:
        found = matching_series(store, series)
    if yes and not found.empty:
        found = remove_series(store, series, dates)
    if found.empty:
        listed = f"Run 'cropcast data list --db {store.path}' to see the stored series"
        if dates and not matching_series(store, series).empty:
            raise UsageError(
                f"no stored price of {' or '.join(repr(s) for s in series)} is dated "
                f"{' or '.join(dates)}",
                "--date",
                f"{listed} and their spans",
            )
        raise UsageError(
            f"no stored series matches {' or '.join(repr(s) for s in series)}",
            "--series",
            listed,
        )
    listing = Table(box=box.SIMPLE_HEAD, title_justify="left")
    for column in ("series", "prices", "from", "to"):
        listing.add_column(column, justify="right" if column == "prices" else "left")
    for row in found.itertuples(index=False):
        key = tuple(getattr(row, k) for k in KEY)
        listing.add_row(
            series_label(key), f"{row.prices:,}", f"{row.first:%Y-%m-%d}", f"{row.last:%Y-%m-%d}"
        )
    print_table(listing)
    n_series, n_prices = len(found), int(found["prices"].sum())
    what = f"{n_series:,} series ({counted(n_prices, 'price')})"
    if dates:
        estimates = int(found["estimates"].sum())
        asked = "the price" if n_prices - estimates == 1 else "the prices"
        what = f"{counted(n_prices, 'price')} of {n_series:,} series" + (
            f" ({estimates:,} of them interpolated by cleaning from {asked} asked for)"
            if estimates
            else ""
        )
    if yes:
        console.print(
            f"removed {what} from {store.path}; "
            f"{'it is' if n_prices == 1 else 'they are'} kept in its removals table",
            markup=False,
            highlight=False,
        )
    else:
        console.print(
            f"would remove {what}; nothing removed: "
            f"add --yes to remove {'it' if n_prices == 1 else 'them'}",
            markup=False,
            highlight=False,
        )


def _refuse_dates_without_price(chosen, series: list[str], dates: list[str], path) -> None:
    """Each --date must name a price someone wrote: one that names none was dropped
    without a word beside one that did, and one on an estimate removed the estimate as
    "1 price (1 of them interpolated by cleaning from the price asked for)"."""
    names = " or ".join(repr(s) for s in series)
    on_estimate = chosen.attrs.get("estimates_only", [])
    if on_estimate:
        raise UsageError(
            f"{on_estimate[0]} of {names} holds only an estimate cleaning interpolated between "
            "real prices, not a price anyone wrote",
            "--date",
            "An estimate goes out with the real price beside it: give that price's date",
        )
    missing = chosen.attrs.get("no_price", [])
    if missing and len(missing) < len(dates):  # all missing: said below, series or date
        raise UsageError(
            f"no stored price of {names} is dated {' or '.join(missing)}",
            "--date",
            f"Run 'cropcast data list --db {path}' to see the stored series and their spans",
        )


def _removal_date(text: str) -> str:
    """A --date of store remove as the store's dates read: a day (2026-06-01) or a month
    (2026-06); anything else is refused, so that no price goes on a guess."""
    import re
    from datetime import date

    given = text.strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", given)
    try:
        if match is None:
            raise ValueError
        year, month, day = (int(part) if part else 1 for part in match.groups())
        date(year, month, day)
    except ValueError:
        raise UsageError(
            f"'{text}' is not a day or a month",
            "--date",
            "Give it as 2026-06-01 (a day) or 2026-06 (a month)",
        ) from None
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if match.group(3) else "")


class ExportFormat(str, Enum):
    csv = "csv"
    parquet = "parquet"


@store_app.command("export")
def store_export_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format",
            "-f",
            parser=parse_choice(ExportFormat, "--format"),
            metavar="[csv|parquet]",
            help="File format (default: from the file name).",
        ),
    ] = None,
    db: DbOption = None,
    series: SeriesOption = None,
) -> None:
    """Write the stored (cleaned) prices out as a PriceTable file: CSV or Parquet."""
    from forecast.store import export_prices, open_store

    check_output_folder(output, "--output", "prices.csv")  # said before the store is read
    store = open_store(db)
    if output.resolve() == store.path.resolve():
        raise UsageError("the output would overwrite the store", str(output), "Choose another -o")
    rows = export_prices(store, output, ExportFormat(fmt).value if fmt else None, series)
    console.print(f"wrote {counted(rows, 'price')} to {output}", markup=False, highlight=False)
