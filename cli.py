"""cropcast command line: thin commands over the ``forecast`` package, printed with Rich.

Every command works with no arguments on the embedded default data. Errors a user can fix
print one line on stderr and exit non-zero; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import json
import sys
import traceback
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from forecast.errors import CropcastError, UsageError

console = Console()


class CropcastGroup(TyperGroup):
    """Turns a ``CropcastError`` anywhere below into one line on stderr and its exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CropcastError as exc:
            if _debug(ctx):
                raise
            typer.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:
            # Typer's own signals (Exit, Abort, usage errors) pass through untouched; whether
            # click is vendored (typer >= 0.20) or separate, they come from those modules.
            if type(exc).__module__.split(".")[0] in ("typer", "click") or _debug(ctx):
                raise
            # A bug: still one line, with the way to see more.
            where = traceback.extract_tb(exc.__traceback__)[-1]
            typer.echo(
                f"error: unexpected {type(exc).__name__}: {exc} (at {Path(where.filename).name}:"
                f"{where.lineno}). Run again with --debug for the traceback and report it",
                err=True,
            )
            ctx.exit(1)


def _debug(ctx) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("debug"))


app = typer.Typer(
    cls=CropcastGroup,
    help="Crop price forecasts, harvest calendars and farmer bulletins.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(
    cls=CropcastGroup, help="Inspect and clean price files.", no_args_is_help=True
)
calendar_app = typer.Typer(cls=CropcastGroup, help="Harvest calendars.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(calendar_app, name="calendar")


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """Crop price forecasts, harvest calendars and farmer bulletins."""


class Freq(str, Enum):
    monthly = "monthly"
    weekly = "weekly"


# --- shared option parsing ---------------------------------------------------------------------

MapOption = Annotated[
    str | None,
    typer.Option("--map", help="Column mapping, e.g. date=Ngày,price=Giá,market=Chợ"),
]
DefaultOption = Annotated[
    str | None,
    typer.Option(
        "--default",
        help="Values for columns the file lacks, e.g. currency=VND,price_type=Retail,unit=kg",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
CleanFreqOption = Annotated[Freq | None, typer.Option(help="Period to put prices on.")]
DayfirstOption = Annotated[
    bool | None, typer.Option("--dayfirst/--monthfirst", help="How to read 03/04/2024.")
]
ChucOption = Annotated[int, typer.Option(help="Nuts per chục.")]
DataFreqOption = Annotated[
    Freq | None, typer.Option(help="Period of the data (default: as found).")
]
HorizonOption = Annotated[int, typer.Option("--horizon", "-h", help="Periods ahead.")]
LevelsOption = Annotated[str, typer.Option(help="Interval levels in percent.")]


def parse_pairs(text: str | None, option: str) -> dict[str, str] | None:
    """'a=b,c=d' -> {'a': 'b', 'c': 'd'}; a malformed pair is a usage error."""
    if not text:
        return None
    pairs = {}
    for part in text.split(","):
        if "=" not in part:
            raise UsageError(f"'{part}' is not NAME=VALUE", option, f"Use e.g. {option} date=Ngày")
        name, value = part.split("=", 1)
        pairs[name.strip()] = value.strip()
    return pairs


def clean_options(freq: Freq | None = None, dayfirst: bool | None = None, chuc: int = 12):
    from forecast.clean import CleanOptions

    if chuc < 1:
        raise UsageError(f"chục size {chuc} must be at least 1", "--chuc", "Use e.g. --chuc 12")
    return CleanOptions(freq=freq.value if freq else None, dayfirst=dayfirst, chuc_size=chuc)


def _label(key) -> str:
    from forecast.table import series_label

    return series_label(key)


# --- data ----------------------------------------------------------------------------------------


@data_app.command("list")
def data_list(
    file: Annotated[
        Path | None, typer.Argument(help="A price file; default: the embedded data.")
    ] = None,
    map_: MapOption = None,
    default: DefaultOption = None,
    freq: CleanFreqOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the series: key, span, number of prices and gaps."""
    from forecast.datasets import load_input
    from forecast.summary import series_overview

    prices, _ = load_input(
        file,
        mapping=parse_pairs(map_, "--map"),
        defaults=parse_pairs(default, "--default"),
        options=clean_options(freq),
    )
    overview = series_overview(prices)
    if as_json:
        out = overview.assign(
            first=overview["first"].astype(str), last=overview["last"].astype(str)
        )
        typer.echo(json.dumps(out.to_dict(orient="records"), ensure_ascii=False, indent=1))
        return
    table = Table(
        title=f"{len(overview)} series" + (f" in {file.name}" if file else " (embedded data)")
    )
    table.add_column("commodity")
    table.add_column("market")
    table.add_column("type")
    table.add_column("unit", no_wrap=True)
    table.add_column("span", no_wrap=True)
    table.add_column("prices", justify="right")
    table.add_column("gaps", justify="right")
    for row in overview.itertuples(index=False):
        table.add_row(
            row.commodity,
            row.market,
            row.price_type,
            f"{row.currency}/{row.unit}",
            f"{row.first:%Y-%m}–{row.last:%Y-%m}",
            str(row.count),
            str(row.missing),
        )
    console.print(table)


def _print_report(report, file: Path) -> None:
    console.print(f"[bold]{file.name}[/bold]")
    for line in report.lines():
        console.print(f"  {line}", markup=False, highlight=False)


@data_app.command("check")
def data_check(
    file: Annotated[Path, typer.Argument(help="The price file to check.")],
    map_: MapOption = None,
    default: DefaultOption = None,
    freq: CleanFreqOption = None,
    dayfirst: DayfirstOption = None,
    chuc: ChucOption = 12,
    as_json: JsonOption = False,
) -> None:
    """Report what cleaning would do; exit 1 when rows would be rejected."""
    from forecast.clean import clean
    from forecast.io import read_prices

    raw = read_prices(
        file, mapping=parse_pairs(map_, "--map"), defaults=parse_pairs(default, "--default")
    )
    result = clean(raw, clean_options(freq, dayfirst, chuc))
    if as_json:
        typer.echo(json.dumps(result.report.to_dict(), ensure_ascii=False, indent=1, default=str))
    else:
        _print_report(result.report, file)
    if result.report.rows_rejected:
        raise typer.Exit(1)


@data_app.command("clean")
def data_clean(
    file: Annotated[Path, typer.Argument(help="The price file to clean.")],
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
    chuc: ChucOption = 12,
    as_json: JsonOption = False,
) -> None:
    """Clean a price file into the PriceTable format."""
    from forecast.clean import clean
    from forecast.datasets import write_price_table
    from forecast.io import read_prices

    if output.resolve() == file.resolve() or (rejected and rejected.resolve() == file.resolve()):
        raise UsageError(
            "the output would overwrite the input file", str(file), "Choose another -o path"
        )
    raw = read_prices(
        file, mapping=parse_pairs(map_, "--map"), defaults=parse_pairs(default, "--default")
    )
    result = clean(raw, clean_options(freq, dayfirst, chuc))
    write_price_table(result.prices, output)
    if rejected is not None:
        rejected.parent.mkdir(parents=True, exist_ok=True)
        result.rejected.to_csv(rejected, index=False, encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(result.report.to_dict(), ensure_ascii=False, indent=1, default=str))
        return
    _print_report(result.report, file)
    console.print(f"wrote {len(result.prices)} prices to {output}", markup=False)
    if rejected is not None:
        console.print(f"wrote {len(result.rejected)} rejected rows to {rejected}", markup=False)
    elif len(result.rejected):
        console.print(
            f"{len(result.rejected)} rows were rejected; "
            "add --rejected FILE to keep them with reasons",
            markup=False,
        )


# --- forecast and backtest ------------------------------------------------------------------------

InputOption = Annotated[
    Path | None,
    typer.Option(
        "--input", "-i", help="A price file (raw files are cleaned first); default: embedded data."
    ),
]
SeriesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--series", "-s", help="Only series whose key contains this, e.g. 'Rice|An Giang'."
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or tables.")]
JobsOption = Annotated[
    int | None, typer.Option("--jobs", "-j", help="Worker processes (default: all cores).")
]
EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        metavar="[local|processes|dask]",
        help="Where per-series jobs run: processes (default; --jobs of them), local (this "
        "process), dask (a Dask cluster: --scheduler, else a local one of --jobs workers).",
        show_default=False,
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (implies --engine dask).",
    ),
]


def engine_options(
    engine: str | None, jobs: int | None, scheduler: str | None, default: str | None
) -> dict:
    """--engine, --jobs and --scheduler, checked before any work, as keyword arguments."""
    from forecast.engine import check_engine

    if engine is None:
        engine = "dask" if scheduler is not None else default
    if engine is not None:
        engine = engine.strip().lower()
    check_engine(engine or "processes", jobs, scheduler)
    return {"engine": engine, "n_jobs": jobs, "scheduler": scheduler}


def by_reason(labelled: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """``(series label, reason)`` pairs -> ``(reason, labels)``, the commonest reason first."""
    groups: dict[str, list[str]] = {}
    for label, why in labelled:
        groups.setdefault(why, []).append(label)
    return sorted(groups.items(), key=lambda item: -len(item[1]))


def print_failures(failed: list[tuple[str, str]], total: int) -> None:
    """One line on stderr at the end of a run: how many series failed, and why (the
    commonest reasons first, each given once with the first series it hit)."""
    if not failed:
        return
    reasons = by_reason(failed)
    shown = "; ".join(
        f"{labels[0]}{f' and {len(labels) - 1:,} more' if len(labels) > 1 else ''}: {why}"
        for why, labels in reasons[:5]
    )
    more = f"; and {len(reasons) - 5:,} other reasons" if len(reasons) > 5 else ""
    Console(stderr=True).print(
        f"{len(failed):,} of {total:,} series failed: {shown}{more}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def check_output_suffix(output: Path | None) -> None:
    """Forecast and backtest tables are written as CSV or Parquet, by the file extension."""
    if output is not None and output.suffix.lower() not in (".csv", ".parquet"):
        raise UsageError(
            f"cannot write '{output.suffix or output.name}' files",
            "--output",
            "Use a .csv or .parquet file name",
        )


def parse_levels(text: str) -> tuple:
    from forecast.checks import check_levels

    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(
            f"'{text}' is not a list of numbers", "--levels", "Use e.g. --levels 80,95"
        ) from None
    if not values:
        raise UsageError("no levels given", "--levels", "Use e.g. --levels 80,95")
    return check_levels(values)


DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="The price store (default: $CROPCAST_DB, else ./cropcast.duckdb if it exists).",
        show_default=False,
    ),
]


def store_to_read(input_: Path | None, db: Path | None) -> Path | None:
    """The store a command reads: none with --input, nor when no store is named and
    ./cropcast.duckdb does not exist (then the embedded data is used, as on a fresh checkout).
    """
    from forecast.store import resolve_location

    if input_ is not None:
        return None
    path, explicit = resolve_location(db)
    return path if explicit or path.exists() else None


def _store_prices(path: Path, freq: Freq | None):
    """The stored prices; with --freq, only the series on that frequency."""
    from forecast.errors import InputError
    from forecast.store import load_prices, open_store
    from forecast.table import KEY

    prices = load_prices(open_store(path))
    if prices.empty:
        raise InputError(
            "the store holds no prices yet", str(path), "Add some with: cropcast ingest FILE"
        )
    if freq is not None:
        starts = prices["date"].dt.is_month_start
        monthly = starts.groupby([prices[c] for c in KEY], sort=False).transform("all")
        prices = prices[monthly if freq is Freq.monthly else ~monthly]
        if prices.empty:
            raise UsageError(
                f"the store holds no {freq.value} series",
                "--freq",
                "Leave --freq out to use every series in the store",
            )
    return prices


def load_series(
    input_: Path | None,
    series: list[str] | None,
    freq: Freq | None,
    map_: str | None = None,
    default: str | None = None,
    db: Path | None = None,
):
    """The prices a command works on: the file (cleaned), the store or the embedded data,
    filtered. --input wins; then the store (see ``store_to_read``); then the embedded data.
    """
    from forecast.datasets import load_input
    from forecast.table import select_series

    store_path = store_to_read(input_, db)
    if store_path is not None:
        prices = _store_prices(store_path, freq)
    else:
        prices, _ = load_input(
            input_,
            mapping=parse_pairs(map_, "--map"),
            defaults=parse_pairs(default, "--default"),
            options=clean_options(freq),
        )
    if freq is not None and input_ is None and store_path is None:
        from forecast.table import infer_freq

        found = {infer_freq(g["date"]) for _, g in prices.groupby(["commodity", "market"])}
        if found != {freq.value}:
            raise UsageError(
                f"--freq {freq.value} does not fit the data, which is {', '.join(sorted(found))}",
                "--freq",
                "Leave --freq out to use the data's own frequency",
            )
    chosen = select_series(prices, series)
    if chosen.empty:
        raise UsageError(
            f"no series matches {' or '.join(repr(s) for s in series)}",
            "--series",
            "Run 'cropcast data list' to see the series names",
        )
    return chosen


def progress_bar(total: int, quiet: bool, what: str = "series"):
    """A Rich progress bar (done/total, rate, ETA) when there is more than a few series."""
    from contextlib import nullcontext

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:.1f} {what}/s" if speed else f"– {what}/s")

    if quiet or total <= 3:
        return nullcontext(None)
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def _pct(new: float, old: float) -> str:
    change = 100 * (new / old - 1)
    if abs(change) < 0.05:  # exp(log(p)) is not always p: no "-0.0%" for an unchanged price
        change = 0.0
    return f"{change:+.1f}%"


def _money(value: float) -> str:
    if value != value:  # NaN
        return "–"
    return (
        f"{value:,.0f}"
        if abs(value) >= 100
        else f"{value:,.3g}"
        if abs(value) < 1
        else f"{value:,.2f}"
    )


#: More series than this get one overview table, a row each, instead of a table each.
OVERVIEW_ABOVE = 8


def print_forecasts(run, prices, levels, horizon: int) -> None:
    """A table per series (last price, then steps 1, 3, 6 and the horizon), or, for more
    than ``OVERVIEW_ABOVE`` series, one overview table: a hundred tables scroll away."""
    from forecast.table import KEY, series_label

    last = prices.sort_values("date").groupby(list(KEY)).tail(1).set_index(list(KEY))
    outer = max(levels)
    if len(run.series) > OVERVIEW_ABOVE:
        print_overview(run, last, outer, horizon)
        return
    steps = sorted({1, min(3, horizon), min(6, horizon), horizon})
    for result in run.series:
        key = result.key
        last_row = last.loc[key]
        table = Table(title=f"{series_label(key)}  ·  {result.model}", title_justify="left")
        table.add_column("date")
        table.add_column("forecast", justify="right")
        table.add_column(f"{outer}% range", justify="right")
        table.add_column("vs last", justify="right")
        table.add_row(f"{last_row['date']:%Y-%m} (last)", _money(last_row["price"]), "", "")
        frame = result.forecast
        for step in steps:
            row = frame.iloc[step - 1]
            lower, upper = row[f"lower_{outer}"], row[f"upper_{outer}"]
            table.add_row(
                f"{row['date']:%Y-%m}",
                _money(row["forecast"]),
                # No range when a series is too short to measure how its price moves.
                f"{_money(lower)} – {_money(upper)}" if lower == lower else "none",
                _pct(row["forecast"], last_row["price"]),
            )
        console.print(table)
        if result.note:
            console.print(f"  note: {result.note}", markup=False, highlight=False)


def print_overview(run, last, outer, horizon: int) -> None:
    """One row per series: the last price, the forecast at the horizon with its change and
    range, the model; a note shared by many series is printed once."""
    from forecast.table import series_label

    models = {result.model for result in run.series}
    one_model = len(models) == 1
    title = f"{len(run.series)} series, {horizon} periods ahead"
    table = Table(
        title=title + (f" · {next(iter(models))}" if one_model else ""),
        title_justify="left",
        caption="One table per series, with more steps: pick a few with --series.",
        caption_justify="left",
        box=box.SIMPLE_HEAD,  # no vertical rules: an 80-column terminal fits every column
    )
    # The series name and the range may wrap; the numbers never do.
    table.add_column("series", min_width=20, ratio=1)
    table.add_column("last", no_wrap=True)
    table.add_column("price", justify="right", no_wrap=True)
    table.add_column(f"step {horizon}", justify="right", no_wrap=True)
    table.add_column("vs last", justify="right", no_wrap=True)
    table.add_column(f"{outer}% range", justify="right")
    if not one_model:
        table.add_column("model", no_wrap=True)
    for result in run.series:
        last_row = last.loc[result.key]
        frame = result.forecast
        end = frame.iloc[-1]
        lower, upper = end[f"lower_{outer}"], end[f"upper_{outer}"]
        cells = [
            series_label(result.key),
            f"{last_row['date']:{_period_format(frame)}}",
            _money(last_row["price"]),
            _money(end["forecast"]),
            _pct(end["forecast"], last_row["price"]),
            f"{_money(lower)} – {_money(upper)}" if lower == lower else "none",
        ]
        table.add_row(*cells, *([] if one_model else [result.model]))
    console.print(table)
    for note, labels in by_reason(run.notes):
        who = labels[0] if len(labels) == 1 else f"{len(labels)} series, e.g. {labels[0]}"
        console.print(f"  note ({who}): {note}", markup=False, highlight=False)


def _period_format(frame) -> str:
    """Monthly prices are named by their month, weekly ones by their Monday."""
    dates = frame["date"]
    weekly = len(dates) > 1 and (dates.iloc[1] - dates.iloc[0]).days < 28
    return "%Y-%m-%d" if weekly else "%Y-%m"


def _score_cell(value) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.3f}"


def print_explain(run) -> None:
    from forecast.table import series_label

    for result in run.series:
        console.print(f"[bold]{series_label(result.key)}[/bold]: {result.model}", highlight=False)
        explain = result.explain or {}
        if not explain:
            console.print("  (no selection: a single model was asked for)")
            continue
        table = Table(show_edge=False)
        table.add_column("candidate")
        table.add_column("weight", justify="right")
        scores = explain.get("scores", {})
        score_names = sorted({m for s in scores.values() for m in s})
        for name in score_names:
            table.add_column(name, justify="right")
        weights = explain.get("weights", {})
        for cand in explain.get("candidates", list(scores)):
            table.add_row(
                cand,
                f"{weights.get(cand, 0):.2f}",
                *[_score_cell(scores.get(cand, {}).get(m, float("nan"))) for m in score_names],
            )
        console.print(table)
        for note in explain.get("notes", []):
            console.print(f"  {note}", markup=False, highlight=False)


@app.command("forecast")
def forecast_cmd(
    input_: InputOption = None,
    series: SeriesOption = None,
    horizon: HorizonOption = 12,
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            help="auto, naive, snaive, drift, window, ets, theta, arima, prophet, gbm.",
        ),
    ] = "auto",
    levels: LevelsOption = "80,95",
    freq: DataFreqOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write forecasts (.csv or .parquet).")
    ] = None,
    jobs: JobsOption = None,
    engine: EngineOption = None,
    scheduler: SchedulerOption = None,
    explain: Annotated[
        bool, typer.Option(help="Show per series the models used, weights and backtest scores.")
    ] = False,
    no_calendar: Annotated[
        bool, typer.Option("--no-calendar", help="Do not use harvest calendar features.")
    ] = False,
    map_: MapOption = None,
    default: DefaultOption = None,
    db: DbOption = None,
    no_archive: Annotated[
        bool,
        typer.Option("--no-archive", help="Do not keep these forecasts in the store."),
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Forecast prices with intervals: the store, the embedded data, or your file.

    Forecasts from the store (or --input with --db) are archived there for 'cropcast accuracy'.
    """
    from forecast.checks import check_horizon, check_path
    from forecast.engine import started
    from forecast.models import check_model_name, model_imports

    # The arguments are checked before the workers start (an error then costs no start-up),
    # and the workers start before pandas and the models are imported here, so that their
    # own imports overlap this process's. The data's own checks come after, when it is read.
    check_horizon(horizon)
    level_values = parse_levels(levels)
    check_model_name(model)
    parse_pairs(map_, "--map")
    parse_pairs(default, "--default")
    check_output_suffix(output)
    run_on = engine_options(engine, jobs, scheduler, "processes")
    if input_ is not None:  # the commonest mistake, refused before any worker starts
        check_path(input_)
    with started(**run_on, modules=model_imports(model)) as run_on:
        from forecast.forecasting import ForecastSpec, forecast_prices, write_forecasts

        spec = ForecastSpec(
            model=model, horizon=horizon, levels=level_values, use_calendar=not no_calendar
        )
        prices = load_series(input_, series, freq, map_, default, db)
        archive_in = store_to_read(input_, db) if input_ is None else db
        n_series = prices.groupby(["commodity", "market", "price_type", "unit", "currency"]).ngroups
        with progress_bar(n_series, quiet) as bar:
            task = bar.add_task("forecasting", total=n_series) if bar else None
            run = forecast_prices(
                prices,
                spec,
                **run_on,
                on_done=(lambda _r: bar.advance(task)) if bar else None,
            )
        if output is not None:
            write_forecasts(run.forecasts, output)
        run_id = None
        if archive_in is not None and not no_archive:
            from forecast.store import archive_forecasts, open_store

            store = open_store(archive_in, create=input_ is not None)
            source = input_.name if input_ is not None else "store"
            run_id = archive_forecasts(store, run, spec, prices["date"].max(), source=source)
        # Series whose model failed and got a fallback forecast; never silent, even with -q.
        failed = [(_label(s.key), s.note) for s in run.series if s.model != spec.model]
        if quiet:
            print_failures(failed, n_series)
            return
        if explain:
            print_explain(run)
        else:
            print_forecasts(run, prices, spec.levels, spec.horizon)
        if output is not None:
            console.print(
                f"wrote {len(run.forecasts)} rows ({n_series} series × {horizon}) to {output}",
                markup=False,
            )
        if run_id is not None:
            console.print(
                f"archived as forecast run #{run_id} in {store.path}; "
                "'cropcast accuracy' scores it when the prices come",
                markup=False,
                highlight=False,
            )
        print_failures(failed, n_series)


@app.command("backtest")
def backtest_cmd(
    input_: InputOption = None,
    series: SeriesOption = None,
    models: Annotated[
        str, typer.Option(help="Comma-separated models to compare.")
    ] = "naive,snaive,ets,theta,auto",
    horizon: HorizonOption = 12,
    windows: Annotated[int, typer.Option(help="Rolling-origin windows per series (at most).")] = 3,
    levels: LevelsOption = "80,95",
    freq: DataFreqOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the long backtest table.")
    ] = None,
    jobs: JobsOption = None,
    engine: EngineOption = None,
    scheduler: SchedulerOption = None,
    map_: MapOption = None,
    default: DefaultOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Compare models on past windows: MASE, sMAPE, interval coverage, time."""
    from forecast.checks import check_horizon, check_path, check_whole_number
    from forecast.engine import started
    from forecast.models import check_model_name, model_imports

    # Checked before the workers start, which start before pandas is imported (as forecast).
    names = [m.strip() for m in models.split(",") if m.strip()]
    if not names:
        raise UsageError("no models given", "--models", "Use e.g. --models naive,ets,auto")
    for name in names:
        check_model_name(name)
    check_output_suffix(output)
    parse_pairs(map_, "--map")
    parse_pairs(default, "--default")
    level_values = parse_levels(levels)
    check_horizon(horizon)
    check_whole_number(windows, "windows", "--windows", 3)
    run_on = engine_options(engine, jobs, scheduler, "processes")
    if input_ is not None:
        check_path(input_)
    with started(**run_on, modules=[m for name in names for m in model_imports(name)]) as run_on:
        from forecast.backtest import Windows
        from forecast.evaluation import backtest_prices, leaderboard

        spec_windows = Windows(horizon=horizon, n_windows=windows)
        prices = load_series(input_, series, freq, map_, default, db)
        n_series = prices.groupby(["commodity", "market", "price_type", "unit", "currency"]).ngroups
        with progress_bar(n_series, quiet) as bar:
            task = bar.add_task("backtesting", total=n_series) if bar else None
            table, seconds = backtest_prices(
                prices,
                names,
                spec_windows,
                level_values,
                **run_on,
                on_done=(lambda: bar.advance(task)) if bar else None,
            )
        if output is not None:
            from forecast.forecasting import write_forecasts

            write_forecasts(table, output)
        key = ["commodity", "market", "price_type", "unit", "currency"]
        failed = [
            (_label(tuple(k)), f"{rows['model'].iloc[0]}: {rows['error'].iloc[0]}")
            for k, rows in table[table["error"] != ""].groupby(key, sort=True)
        ]
        if quiet:
            print_failures(failed, n_series)
            return
        board = leaderboard(table, prices, seconds)
        view = Table(
            title=f"Backtest: {n_series} series, horizon {horizon}, up to {windows} windows",
            caption="MASE < 1 beats the seasonal naive forecast; coverage should match its level",
        )
        names = {"mase": "MASE", "smape": "sMAPE", "seconds": "seconds"}
        for col in board.columns:
            title = names.get(col, str(col))
            if col.startswith("coverage_"):
                title = f"{col.split('_', 1)[1]}% cover"
            view.add_column(title, justify="left" if col == "model" else "right")
        for row in board.itertuples(index=False):
            cells = []
            for col, value in zip(board.columns, row, strict=True):
                if col.startswith("coverage_"):
                    cells.append(f"{value:.0%}")
                elif col == "smape":
                    cells.append(f"{value:.1f}")
                elif isinstance(value, float):
                    cells.append(f"{value:.3f}" if col != "seconds" else f"{value:.1f}")
                else:
                    cells.append(str(value))
            view.add_row(*cells)
        console.print(view)
        if output is not None:
            console.print(f"wrote {len(table)} rows to {output}", markup=False)
        print_failures(failed, n_series)


# --- alerts (anomaly indicators) ---

ALPS_STYLES = {"normal": "green", "stress": "yellow", "alert": "dark_orange", "crisis": "bold red"}
IPA_STYLES = {
    "unusually low": "cyan",
    "normal": "green",
    "moderately high": "yellow",
    "abnormally high": "bold red",
}
ALPS_FLAGGED = ("stress", "alert", "crisis")
IPA_FLAGGED = ("moderately high", "abnormally high", "unusually low")


def parse_as_of(text: str | None):
    """'2025-06' or '2025-06-01' -> Timestamp; anything else is a usage error."""
    if text is None:
        return None
    import pandas as pd

    try:
        stamp = pd.Timestamp(text)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise UsageError(f"'{text}' is not a date", "--as-of", "Use e.g. --as-of 2025-06")
    return stamp


def _indicator_cell(value: float, band, styles: dict[str, str]) -> str:
    if band is None or value != value:  # not qualifying, or NaN
        return "–"
    return f"[{styles[band]}]{value:+.2f} {band}[/{styles[band]}]"


def _not_qualifying(frame, which: str) -> dict[str, int]:
    """Reason -> number of series that do not qualify for ALPS or IPA, most common first."""
    reasons = frame.loc[~frame[f"qualifies_{which}"].astype(bool), f"{which}_reason"]
    return {str(k): int(v) for k, v in reasons.value_counts().items()}


@app.command("alerts")
def alerts_cmd(
    input_: InputOption = None,
    series: SeriesOption = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Judge at this month, e.g. 2024-06 (default: latest date)."),
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also list qualifying series whose prices are normal.")
    ] = False,
    freq: Annotated[
        Freq | None,
        typer.Option(help="Period to put a file's prices on; ALPS and IPA need monthly."),
    ] = None,
    map_: MapOption = None,
    default: DefaultOption = None,
    db: DbOption = None,
    jobs: JobsOption = None,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            metavar="[local|processes|dask]",
            help="Where per-series jobs run (default: this process below 1,000 series, "
            "else processes).",
            show_default=False,
        ),
    ] = None,
    scheduler: SchedulerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Series with unusually high or low prices now: WFP ALPS and FAO GIEWS IPA."""
    from forecast.anomaly import latest_alerts_by_series

    stamp = parse_as_of(as_of)
    run_on = engine_options(engine, jobs, scheduler, None)
    prices = load_series(input_, series, freq, map_, default, db)
    n_series = prices.groupby(["commodity", "market", "price_type", "unit", "currency"]).ngroups
    with progress_bar(n_series, as_json) as bar:
        task = bar.add_task("scoring", total=n_series) if bar else None
        frame = latest_alerts_by_series(
            prices, stamp, **run_on, on_done=(lambda: bar.advance(task)) if bar else None
        )
    when = stamp if stamp is not None else prices["date"].max()
    flagged = frame["alps_band"].isin(ALPS_FLAGGED) | frame["ipa_band"].isin(IPA_FLAGGED)
    keep = (frame["qualifies_alps"] | frame["qualifies_ipa"]) if show_all else flagged
    shown = frame[keep].sort_values(["alps", "ipa"], ascending=False, na_position="last")
    skipped = {"alps": _not_qualifying(frame, "alps"), "ipa": _not_qualifying(frame, "ipa")}
    if as_json:
        out = shown.assign(date=shown["date"].dt.strftime("%Y-%m-%d")).astype(object)
        out = out.where(out.notna(), None)
        payload = {
            "as_of": f"{when:%Y-%m-%d}",
            "series": out.to_dict(orient="records"),
            "not_qualifying": skipped,
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1, default=str))
        return
    store_path = store_to_read(input_, db)
    source = (
        f" in {input_.name}"
        if input_
        else f" in {store_path.name}"
        if store_path
        else " (embedded data)"
    )
    if shown.empty:
        console.print(
            f"No series in stress, alert or crisis and none abnormal as of {when:%Y-%m}{source}.",
            highlight=False,
        )
    else:
        table = Table(
            title=f"Price alerts as of {when:%Y-%m}{source}",
            caption="ALPS (WFP): stress ≥ 0.25, alert ≥ 1, crisis ≥ 2\n"
            "IPA (FAO): moderately high ≥ 0.5, abnormally high ≥ 1, unusually low < −1",
        )
        # Series name and price in two columns keep the indicators readable at 80 columns.
        table.add_column("series")
        table.add_column("last price", justify="right")
        table.add_column("ALPS", no_wrap=True)
        table.add_column("IPA", no_wrap=True)
        for row in shown.itertuples(index=False):
            table.add_row(
                f"{row.commodity} · {row.market} ({row.price_type.lower()})",
                f"{_money(row.price)} {row.currency}/{row.unit} ({row.date:%Y-%m})",
                _indicator_cell(row.alps, row.alps_band, ALPS_STYLES),
                _indicator_cell(row.ipa, row.ipa_band, IPA_STYLES),
            )
        console.print(table)
    # One line: "16 series do not qualify for ALPS: too short (5), ...; 16 for IPA: ..."
    parts = []
    for which, label in (("alps", "ALPS"), ("ipa", "IPA")):
        counts = skipped[which]
        if counts:
            reasons = ", ".join(f"{reason} ({n})" for reason, n in counts.items())
            lead = "series do not qualify for" if not parts else "for"
            parts.append(f"{sum(counts.values())} {lead} {label}: {reasons}")
    if parts:
        console.print("; ".join(parts), highlight=False)


# --- plot ---


class ChartKind(str, Enum):
    fan = "fan"
    season = "season"
    backtest = "backtest"
    alerts = "alerts"


class Lang(str, Enum):
    en = "en"
    vi = "vi"


def _choice(enum: type[Enum], option: str):
    """A parser for a str Enum option: a bad value is one 'error:' line and exit 2.

    Typer's own Enum check prints a usage box; the CLI promises one line.
    """

    def parse(value) -> Enum:
        if isinstance(value, enum):
            return value
        try:
            return enum(str(value).strip().lower())
        except ValueError:
            choices = ", ".join(member.value for member in enum)
            raise UsageError(
                f"'{value}' is not one of {choices}", option, f"Use e.g. {option} {choices[:2]}"
            ) from None

    parse.__name__ = enum.__name__.lower()
    return parse


def _draw_chart(job: dict) -> tuple[Path | None, str]:
    """Draw and save one series' chart; ``(path, "")`` or ``(None, why it was skipped)``.

    Module-level so the engine can run it in worker processes: the charts build on
    matplotlib's Figure, not pyplot, so each process draws on its own.
    """
    from forecast import plots
    from forecast.table import infer_freq, series_label

    key, y, kind, lang, data = job["key"], job["y"], job["kind"], job["lang"], job["data"]
    label = series_label(key)
    try:
        if kind == "fan":
            # Five years of history by default: enough to see seasons, not so much that
            # the forecast is a sliver at the right edge.
            last_n = job["last"] or 5 * (12 if infer_freq(y.dropna().index) == "monthly" else 52)
            fig = plots.fan_chart(
                y,
                data,
                title=label,
                unit_label=plots.unit_label(key[4], key[3], lang),
                harvest_months=job["harvest"],
                last_n=last_n,
                lang=lang,
            )
        elif kind == "season":
            fig = plots.seasonal_profile(y, title=label, harvest_rows=job["harvest"], lang=lang)
        elif kind == "backtest":
            if data is None:
                raise ValueError("too short for a backtest window")
            fig = plots.backtest_chart(y, data, title=label, lang=lang)
        else:
            from forecast.anomaly import alps, alps_eligibility

            # Each series is judged up to its own last price: the chart shows its history,
            # even for a series that stopped years before the others.
            frame = alps(data)
            if frame.empty:
                reason = alps_eligibility(data)["reason"].iloc[0]
                raise ValueError(f"does not qualify for ALPS ({reason})")
            fig = plots.alerts_chart(frame, title=label, lang=lang)
    except ValueError as exc:  # too short or too sparse for this chart: say so, go on
        return None, f"skipped {label}: {exc}"
    return plots.save_figure(fig, job["path"]), ""


@app.command("plot")
def plot_cmd(
    input_: InputOption = None,
    series: SeriesOption = None,
    kind: Annotated[
        ChartKind,
        typer.Option(
            "--kind",
            "-k",
            parser=_choice(ChartKind, "--kind"),
            metavar="[fan|season|backtest|alerts]",
            help="fan: forecast with ranges; season: the typical year; backtest: past "
            "forecasts vs actual prices; alerts: the ALPS price-spike indicator.",
        ),
    ] = ChartKind.fan,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the chart files.")] = Path(
        "charts"
    ),
    svg: Annotated[bool, typer.Option("--svg", help="Write SVG instead of PNG.")] = False,
    horizon: Annotated[
        int, typer.Option("--horizon", "-h", help="Periods ahead (fan, backtest).")
    ] = 12,
    model: Annotated[
        str, typer.Option("--model", "-m", help="Model for fan and backtest charts.")
    ] = "auto",
    lang: Annotated[
        Lang,
        typer.Option(
            parser=_choice(Lang, "--lang"),
            metavar="[en|vi]",
            help="Language of the chart text; vi also writes 45.000 for forty-five thousand.",
        ),
    ] = Lang.en,
    last: Annotated[
        int | None,
        typer.Option("--last", help="Periods of history in fan charts (default: 5 years)."),
    ] = None,
    windows: Annotated[int, typer.Option(help="Backtest windows per series.")] = 3,
    freq: DataFreqOption = None,
    jobs: JobsOption = None,
    engine: EngineOption = None,
    scheduler: SchedulerOption = None,
    map_: MapOption = None,
    default: DefaultOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Draw one chart per series into --out and print the file paths."""
    from forecast.engine import run_jobs
    from forecast.errors import InputError
    from forecast.plots import series_slug
    from forecast.table import KEY, iter_series

    kind, lang = ChartKind(kind), Lang(lang)
    if last is not None and last < 1:
        raise UsageError(f"--last {last} must be at least 1", "--last", "Use e.g. --last 36")
    if kind is ChartKind.fan:
        from forecast.forecasting import ForecastSpec

        spec = ForecastSpec(model=model, horizon=horizon)  # bad values fail before any work
    elif kind is ChartKind.backtest:
        from forecast.backtest import Windows
        from forecast.models import model_class

        model_class(model)
        spec_windows = Windows(horizon=horizon, n_windows=windows)
    run_on = engine_options(engine, jobs, scheduler, "processes")
    prices = load_series(input_, series, freq, map_, default, db)
    items = list(iter_series(prices))
    suffix = ".svg" if svg else ".png"

    with progress_bar(len(items), quiet, "series") as bar:

        def advance(task):
            return (lambda *_: bar.advance(task)) if bar else None

        data: dict = {}
        if kind is ChartKind.fan:
            from forecast.forecasting import forecast_prices

            task = bar.add_task("forecasting", total=len(items)) if bar else None
            run = forecast_prices(prices, spec, **run_on, on_done=advance(task))
            data = {result.key: result.forecast for result in run.series}
        elif kind is ChartKind.backtest:
            from forecast.evaluation import backtest_prices

            task = bar.add_task("backtesting", total=len(items)) if bar else None
            table, _ = backtest_prices(
                prices, [model], spec_windows, (80, 95), **run_on, on_done=advance(task)
            )
            data = {tuple(k): g for k, g in table.groupby(list(KEY), sort=False)}
        elif kind is ChartKind.alerts:
            data = {tuple(k): g for k, g in prices.groupby(list(KEY), sort=False)}
        harvest = {}
        if kind in (ChartKind.fan, ChartKind.season):
            from forecast.calendar import load_calendar, match_commodity

            calendar = load_calendar()
            harvest = {key: match_commodity(key[0], calendar) for key, _ in items}

        jobs_list, stems = [], set()
        for key, y in items:
            base = f"{series_slug(key)}-{kind.value}"
            stem, n = base, 1
            while stem in stems:  # two keys with one slug ("Rice (white)", "Rice, white")
                n += 1
                stem = f"{base}-{n}"
            stems.add(stem)
            jobs_list.append(
                {
                    "key": key,
                    "y": y,
                    "kind": kind.value,
                    "lang": lang.value,
                    "data": data.get(key),
                    "harvest": harvest.get(key),
                    "last": last,
                    "path": out / f"{stem}{suffix}",
                }
            )
        task = bar.add_task("drawing", total=len(items)) if bar else None
        results = []
        # Charts are files for this machine: Dask workers elsewhere would write them there.
        draw_on = {**run_on, "engine": "processes", "scheduler": None}
        if run_on["engine"] != "dask":
            draw_on = run_on
        for result in run_jobs(_draw_chart, jobs_list, **draw_on):
            results.append(result)
            if bar:
                bar.advance(task)

    order = {str(job["path"]): i for i, job in enumerate(jobs_list)}
    written = sorted((p for p, _ in results if p is not None), key=lambda p: order[str(p)])
    skipped = [note for p, note in results if p is None]
    if not quiet:
        errors = Console(stderr=True)
        for note in skipped:
            errors.print(note, markup=False, highlight=False, soft_wrap=True)
    if not written:
        raise InputError(
            f"no {kind.value} chart could be drawn",
            None,
            skipped[0] if skipped else "Choose other series with --series",
        )
    for path in written:
        console.print(str(path), markup=False, highlight=False, soft_wrap=True)


# --- bulletin ---

bulletin_app = typer.Typer(
    cls=CropcastGroup,
    help="Farmer bulletins: summary, price table, outlook and harvest notes; send them.",
    invoke_without_command=True,
)
app.add_typer(bulletin_app, name="bulletin")


class BulletinLang(str, Enum):
    vi = "vi"
    en = "en"


class BulletinFormat(str, Enum):
    md = "md"
    html = "html"
    txt = "txt"
    sms = "sms"


BulletinModelOption = Annotated[
    str,
    typer.Option(
        "--model", "-m", help="Forecast model for the outlook (naive, snaive, ets, theta, ...)."
    ),
]
BulletinHorizonOption = Annotated[
    int, typer.Option("--horizon", "-h", help="Periods the outlook covers.")
]
BulletinEngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        metavar="[local|processes|dask]",
        help="Where the forecasts run (default: this process for naive, snaive, drift and "
        "window, else processes).",
        show_default=False,
    ),
]
BulletinAsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Write the bulletin as it would have been then, e.g. 2022-06."),
]


def _make_bulletin(
    input_,
    series,
    model: str,
    horizon: int,
    as_of: str | None,
    quiet: bool,
    previous=None,
    map_: str | None = None,
    default: str | None = None,
    db: Path | None = None,
    run_on: dict | None = None,
):
    """Prices -> forecasts, alerts, facts; model notes go to stderr."""
    from forecast.bulletin import make_bulletin
    from forecast.forecasting import ForecastSpec

    ForecastSpec(model=model, horizon=horizon)  # bad model or horizon: one line, exit 2
    stamp = parse_as_of(as_of)
    prices = load_series(input_, series, None, map_, default, db)
    if previous is None:  # the store's archived forecasts, for "last month we expected"
        previous = store_previous_forecasts(input_, db, stamp)
    if stamp is not None and not (prices["date"] <= stamp).any():
        raise UsageError(
            f"no prices on or before {stamp:%Y-%m-%d}",
            "--as-of",
            f"The data start on {prices['date'].min():%Y-%m-%d}",
        )
    n_series = prices.groupby(["commodity", "market", "price_type", "unit", "currency"]).ngroups
    with progress_bar(n_series, quiet) as bar:
        task = bar.add_task("forecasting", total=n_series) if bar else None
        inputs = make_bulletin(
            prices,
            model=model,
            horizon=horizon,
            as_of=stamp,
            previous_forecasts=previous,
            **(run_on or {}),
            on_done=(lambda _r: bar.advance(task)) if bar else None,
        )
    if not inputs.facts.series:
        raise UsageError(
            "no series has a price in the 12 months before the bulletin date",
            "--as-of",
            "Choose an earlier --as-of or other --series",
        )
    err = Console(stderr=True)
    for item in inputs.facts.series:
        if item.note and not quiet:
            err.print(f"note: {_label(item.key)}: {item.note}", markup=False, highlight=False)
    return inputs


@bulletin_app.callback()
def bulletin_cmd(
    ctx: typer.Context,
    input_: InputOption = None,
    series: SeriesOption = None,
    lang: Annotated[BulletinLang, typer.Option("--lang", help="Language.")] = BulletinLang.vi,
    fmt: Annotated[
        BulletinFormat, typer.Option("--format", "-f", help="md, html, txt or sms.")
    ] = BulletinFormat.md,
    as_of: BulletinAsOfOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of printing.")
    ] = None,
    model: BulletinModelOption = "theta",
    horizon: BulletinHorizonOption = 3,
    no_charts: Annotated[
        bool, typer.Option("--no-charts", help="HTML without the fan charts (smaller).")
    ] = False,
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous",
            help="Last period's forecasts ('cropcast forecast -o'): adds how they did.",
        ),
    ] = None,
    map_: MapOption = None,
    default: DefaultOption = None,
    db: DbOption = None,
    jobs: JobsOption = None,
    engine: BulletinEngineOption = None,
    scheduler: SchedulerOption = None,
    quiet: QuietOption = False,
) -> None:
    """Write the price bulletin: one summary sentence, a table, outlook and harvest notes.

    With no options: the embedded data in Vietnamese Markdown on stdout. 'send' delivers it.
    """
    if ctx.invoked_subcommand is not None:
        return
    from forecast.bulletin import fan_charts, render

    earlier = None
    if previous is not None:
        from forecast.bulletin.facts import read_forecasts

        earlier = read_forecasts(previous)
    run_on = engine_options(engine, jobs, scheduler, None)
    inputs = _make_bulletin(
        input_, series, model, horizon, as_of, quiet, earlier, map_, default, db, run_on
    )
    charts = None
    if fmt is BulletinFormat.html and not no_charts:
        charts = fan_charts(inputs, lang.value)
    text = render(inputs.facts, lang.value, fmt.value, charts)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="ascii" if fmt is BulletinFormat.sms else "utf-8")
    if not quiet:
        console.print(
            f"wrote the {fmt.value} bulletin ({len(inputs.facts.series)} series) to {out}",
            markup=False,
        )


@bulletin_app.command("send")
def bulletin_send(
    subscribers: Annotated[
        Path,
        typer.Option(
            "--subscribers", help="CSV: name,email,phone,language,commodities (';'-separated)."
        ),
    ],
    smtp: Annotated[
        str | None, typer.Option("--smtp", help="Mail server HOST:PORT, e.g. localhost:25.")
    ] = None,
    outbox: Annotated[
        Path, typer.Option("--outbox", help="Folder for SMS files, one per phone.")
    ] = Path("outbox"),
    sender: Annotated[
        str, typer.Option("--from", help="Sender address.")
    ] = "bantin@cropcast.local",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Render and write SMS files; send no e-mail.")
    ] = False,
    input_: InputOption = None,
    series: SeriesOption = None,
    as_of: BulletinAsOfOption = None,
    model: BulletinModelOption = "theta",
    horizon: BulletinHorizonOption = 3,
    map_: MapOption = None,
    default: DefaultOption = None,
    db: DbOption = None,
    jobs: JobsOption = None,
    engine: BulletinEngineOption = None,
    scheduler: SchedulerOption = None,
    quiet: QuietOption = False,
) -> None:
    """Send each subscriber their commodities in their language: e-mail and SMS files.

    Exits 1 when any delivery failed (after 3 attempts); the others are still delivered.
    """
    from forecast.bulletin.deliver import deliver, parse_smtp, read_subscribers

    people = read_subscribers(subscribers)
    server = None
    if smtp is not None:
        try:
            server = parse_smtp(smtp)
        except ValueError as exc:
            raise UsageError(str(exc), "--smtp", "Use e.g. --smtp localhost:25") from None
    elif not dry_run and any(p.email for p in people):
        raise UsageError(
            "e-mail subscribers need a mail server", "--smtp", "Add --smtp HOST:PORT or --dry-run"
        )
    run_on = engine_options(engine, jobs, scheduler, None)
    inputs = _make_bulletin(
        input_, series, model, horizon, as_of, quiet, None, map_, default, db, run_on
    )
    report = deliver(inputs, people, smtp=server, outbox=outbox, sender=sender, dry_run=dry_run)
    styles = {"sent": "green", "written": "green", "dry-run": "cyan", "skipped": "yellow"}
    table = Table(title=f"Bulletin delivery ({len(people)} subscribers)")
    for column in ("subscriber", "channel", "address", "status", "attempts", "series", "error"):
        table.add_column(column, justify="right" if column == "attempts" else "left")
    for line in report:
        style = styles.get(line.status, "bold red")
        table.add_row(
            line.name,
            line.channel,
            line.address,
            f"[{style}]{line.status}[/{style}]",
            str(line.attempts),
            str(len(line.series)),
            line.error,
        )
    console.print(table)
    failed = [line for line in report if line.failed]
    if failed:
        Console(stderr=True).print(
            f"error: {len(failed)} of {len(report)} deliveries failed", markup=False
        )
        raise typer.Exit(1)


# --- store: ingest, accuracy, store info / export ------------------------------------------------

store_app = typer.Typer(
    cls=CropcastGroup, help="The price store: what it holds; export it.", no_args_is_help=True
)
app.add_typer(store_app, name="store")

WaitOption = Annotated[
    float,
    typer.Option("--wait", help="Seconds to wait while another cropcast process uses the store."),
]


def store_previous_forecasts(input_: Path | None, db: Path | None, as_of=None):
    """The store's archived forecasts a bulletin checks against the prices (None without one)."""
    path = store_to_read(input_, db)
    if path is None:
        return None
    from forecast.store import open_store, previous_forecasts

    return previous_forecasts(open_store(path), as_of)


def _print_ingest(results) -> None:
    """Per file: what it was, how its rows were cleaned and how its prices met the store."""
    for r in results:
        if r.status == "duplicate":
            console.print(
                f"[bold]{r.file}[/bold]  [yellow]already in the store[/yellow] as ingest "
                f"#{r.ingest_id} ({r.ingested_at:%Y-%m-%d %H:%M} UTC, same sha256): "
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
        revised = f"[bold yellow]{r.revised:,} revised[/bold yellow]" if r.revised else "0 revised"
        console.print(
            f"  prices  {r.added:,} added, {r.unchanged:,} unchanged, {revised}"
            + (f"; {rep.interpolated:,} interpolated" if rep.interpolated else ""),
            highlight=False,
        )
        for reason, n in rep.reasons.most_common(3):
            console.print(f"  refused {n:,} × {reason}", markup=False, highlight=False)
        if len(rep.reasons) > 3:
            console.print(f"  refused ... and {len(rep.reasons) - 3} more reasons", markup=False)
        if r.revised:
            replaced = r.estimates_replaced
            what = f", {replaced} of them interpolated estimates now observed" if replaced else ""
            console.print(
                f"  revised {r.revised:,} stored prices{what}; the old values stay in the "
                "store's revisions:",
                markup=False,
                highlight=False,
            )
            for row in r.revisions.head(10).itertuples(index=False):
                key = (row.commodity, row.market, row.price_type, row.unit, row.currency)
                console.print(
                    f"    {_label(key)} {row.date:%Y-%m-%d}: {_money(row.old_price)} → "
                    f"{_money(row.new_price)} (was from {row.old_source})",
                    markup=False,
                    highlight=False,
                )
            if r.revised > 10:
                console.print(f"    ... and {r.revised - 10:,} more", markup=False)


@app.command("ingest")
def ingest_cmd(
    files: Annotated[
        list[Path],
        typer.Argument(help="Price files to add (CSV, Excel, Parquet; WFP, Pink Sheet)."),
    ],
    db: DbOption = None,
    map_: MapOption = None,
    default: DefaultOption = None,
    freq: CleanFreqOption = None,
    dayfirst: DayfirstOption = None,
    chuc: ChucOption = 12,
    wait: WaitOption = 30.0,
    as_json: JsonOption = False,
) -> None:
    """Clean price files and add them to the store, one transaction per file.

    The same file again adds nothing; a file that fails cleaning changes nothing.

    A new price for a stored period is kept as a revision (the old value stays) and listed.

    The store: --db, else $CROPCAST_DB, else ./cropcast.duckdb (made when missing).
    """
    from forecast.store import StoreBusyError, ingest_file, open_store

    options = clean_options(freq, dayfirst, chuc)
    mapping, defaults = parse_pairs(map_, "--map"), parse_pairs(default, "--default")
    store = open_store(db, create=True, wait=wait)
    results, failures = [], []
    for file in files:
        try:
            results.append(
                ingest_file(store, file, options=options, mapping=mapping, defaults=defaults)
            )
        except StoreBusyError:
            raise
        except CropcastError as exc:
            if len(files) == 1:
                raise
            failures.append((file, exc))
    if as_json:
        payload = {
            "store": str(store.path),
            "files": [r.to_dict() for r in results],
            "errors": [{"file": str(f), "error": str(e)} for f, e in failures],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1, default=str))
    elif results:
        _print_ingest(results)
    for file, exc in failures:
        typer.echo(f"error: {exc} (store unchanged for {file.name})", err=True)
    if failures:
        raise typer.Exit(max(exc.exit_code for _, exc in failures))


def _pct_cell(value: float) -> str:
    return "–" if value != value else f"{value:.0%}"


@app.command("accuracy")
def accuracy_cmd(
    db: DbOption = None,
    series: SeriesOption = None,
    as_json: JsonOption = False,
) -> None:
    """How archived forecasts did against the prices that came later: MAE, MAPE, coverage.

    Per series and model; interpolated prices are estimates, not actuals, and are not scored.
    """
    from rich import box

    from forecast.store import accuracy, forecast_runs, open_store

    store = open_store(db)
    table = accuracy(store, series=series)
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
        if runs:
            console.print(
                f"{runs} archived forecast runs in {store.path}, none with actual prices yet: "
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
    view = Table(
        title=f"Archived forecasts vs the prices that came, {first:%Y-%m} to {last:%Y-%m}",
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
            f"{row['commodity']} · {row['market']} ({row['price_type'].lower()}, "
            f"{row['currency']}/{row['unit']})",
            str(row["model"]),
            str(row["n"]),
            _money(row["mae"]),
            f"{row['mape']:.1f}%",
            *[_pct_cell(row[f"coverage_{level}"]) for level in levels],
        )
    console.print(view)
    for row in overall.to_dict(orient="records"):
        covers = ", ".join(
            f"{level}% cover {_pct_cell(row[f'coverage_{level}'])}" for level in levels
        )
        console.print(
            f"{row['model']} over all series: MAPE {row['mape']:.1f}%, {covers} (n={row['n']})",
            markup=False,
            highlight=False,
        )


@store_app.command("info")
def store_info_cmd(db: DbOption = None, as_json: JsonOption = False) -> None:
    """What the store holds: series, prices, ingests, rejected rows, revisions, forecast runs.

    Also checks that counts conserve across its tables; exits 1 when they do not.
    """
    from rich import box

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
        facts.add_row(
            "forecast runs",
            f"{info['forecast_runs']:,}",
            f"last {info['last_forecast_run']}" if info["last_forecast_run"] else "",
        )
        console.print(facts)
        if info["recent_ingests"]:
            log = Table(title="Latest ingests", title_justify="left", box=box.SIMPLE_HEAD)
            for column in ("#", "file", "date", "rows in", "rejected", "added", "revised"):
                log.add_column(
                    column,
                    justify="left" if column in ("file", "date") else "right",
                    overflow="fold",
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
            console.print(log)
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
            parser=_choice(ExportFormat, "--format"),
            metavar="[csv|parquet]",
            help="File format (default: from the file name).",
        ),
    ] = None,
    db: DbOption = None,
    series: SeriesOption = None,
) -> None:
    """Write the stored (cleaned) prices out as a PriceTable file: CSV or Parquet."""
    from forecast.store import export_prices, open_store

    store = open_store(db)
    if output.resolve() == store.path.resolve():
        raise UsageError("the output would overwrite the store", str(output), "Choose another -o")
    rows = export_prices(store, output, ExportFormat(fmt).value if fmt else None, series)
    console.print(f"wrote {rows:,} prices to {output}", markup=False, highlight=False)


# --- calendar ------------------------------------------------------------------------------------


@calendar_app.command("show")
def calendar_show(
    commodity: Annotated[str | None, typer.Option(help="Only this crop, e.g. Rice or Lúa.")] = None,
    file: Annotated[
        Path | None, typer.Option("--calendar", help="A calendar CSV; default: Mekong Delta.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Month by month: when each crop is planted, harvested and peaks."""
    from forecast.calendar import calendar_table, load_calendar

    cal = load_calendar(file)
    table_frame = calendar_table(cal, commodity)
    if table_frame.empty:
        raise UsageError(
            f"no calendar rows match '{commodity}'",
            "--commodity",
            f"Known crops: {', '.join(sorted(cal['commodity'].unique()))}",
        )
    if as_json:
        typer.echo(table_frame.to_json(orient="records", force_ascii=False))
        return
    # One character a month keeps twelve months on a phone-width terminal.
    marks = {
        "plant": "[green]·[/green]",
        "harvest": "[yellow]▒[/yellow]",
        "peak": "[bold red]█[/bold red]",
    }
    table = Table(
        title="Harvest calendar" + (f": {commodity}" if commodity else ""),
        caption="[green]·[/green] planting  [yellow]▒[/yellow] harvest  "
        "[bold red]█[/bold red] peak",
    )
    table.add_column("crop")
    table.add_column("season", no_wrap=True)
    for month in "JFMAMJJASOND":
        table.add_column(month, justify="center", min_width=1)
    # Name the region only where it differs from the calendar's main one (in the title).
    main_region = table_frame["region"].mode().iloc[0]
    table.title += f" ({main_region})"
    for _, row in table_frame.iterrows():
        crop = str(row["commodity"])
        if row["region"] != main_region:
            crop += f" ({row['region']})"
        table.add_row(crop, str(row["season"]), *[marks.get(str(row[m]), "") for m in range(1, 13)])
    console.print(table)


def main() -> None:
    """Console entry point (``cropcast``)."""
    app(prog_name="cropcast")


if __name__ == "__main__":
    sys.exit(main())
