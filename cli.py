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
data_app = typer.Typer(cls=CropcastGroup, help="Inspect and clean price files.", no_args_is_help=True)
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
    file: Annotated[Path | None, typer.Argument(help="A price file; default: the embedded data.")] = None,
    map_: MapOption = None,
    default: DefaultOption = None,
    freq: Annotated[Freq | None, typer.Option(help="Period to put prices on.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the series: key, span, number of prices and gaps."""
    from forecast.datasets import load_input
    from forecast.summary import series_overview

    prices, _ = load_input(
        file, mapping=parse_pairs(map_, "--map"), defaults=parse_pairs(default, "--default"),
        options=clean_options(freq),
    )
    overview = series_overview(prices)
    if as_json:
        out = overview.assign(first=overview["first"].astype(str), last=overview["last"].astype(str))
        typer.echo(json.dumps(out.to_dict(orient="records"), ensure_ascii=False, indent=1))
        return
    table = Table(title=f"{len(overview)} series" + (f" in {file.name}" if file else " (embedded data)"))
    for col in ("commodity", "market", "price_type", "unit", "currency"):
        table.add_column(col.replace("_", " "))
    table.add_column("from")
    table.add_column("to")
    table.add_column("prices", justify="right")
    table.add_column("gaps", justify="right")
    for row in overview.itertuples(index=False):
        table.add_row(
            row.commodity, row.market, row.price_type, row.unit, row.currency,
            f"{row.first:%Y-%m}", f"{row.last:%Y-%m}", str(row.count), str(row.missing),
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
    freq: Annotated[Freq | None, typer.Option(help="Period to put prices on.")] = None,
    dayfirst: Annotated[bool | None, typer.Option("--dayfirst/--monthfirst", help="How to read 03/04/2024.")] = None,
    chuc: Annotated[int, typer.Option(help="Nuts per chục.")] = 12,
    as_json: JsonOption = False,
) -> None:
    """Report what cleaning would do; exit 1 when rows would be rejected."""
    from forecast.clean import clean
    from forecast.io import read_prices

    raw = read_prices(file, mapping=parse_pairs(map_, "--map"), defaults=parse_pairs(default, "--default"))
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
    output: Annotated[Path, typer.Option("--output", "-o", help="Clean PriceTable (.csv or .parquet).")],
    rejected: Annotated[Path | None, typer.Option(help="Where to write refused rows with reasons.")] = None,
    map_: MapOption = None,
    default: DefaultOption = None,
    freq: Annotated[Freq | None, typer.Option(help="Period to put prices on.")] = None,
    dayfirst: Annotated[bool | None, typer.Option("--dayfirst/--monthfirst", help="How to read 03/04/2024.")] = None,
    chuc: Annotated[int, typer.Option(help="Nuts per chục.")] = 12,
    as_json: JsonOption = False,
) -> None:
    """Clean a price file into the PriceTable format."""
    from forecast.clean import clean
    from forecast.datasets import write_price_table
    from forecast.io import read_prices

    if output.resolve() == file.resolve() or (rejected and rejected.resolve() == file.resolve()):
        raise UsageError("the output would overwrite the input file", str(file), "Choose another -o path")
    raw = read_prices(file, mapping=parse_pairs(map_, "--map"), defaults=parse_pairs(default, "--default"))
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
            f"{len(result.rejected)} rows were rejected; add --rejected FILE to keep them with reasons",
            markup=False,
        )


# --- calendar ------------------------------------------------------------------------------------


@calendar_app.command("show")
def calendar_show(
    commodity: Annotated[str | None, typer.Option(help="Only this crop, e.g. Rice or Lúa.")] = None,
    file: Annotated[Path | None, typer.Option("--calendar", help="A calendar CSV; default: Mekong Delta.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Month by month: when each crop is planted, harvested and peaks."""
    from forecast.calendar import calendar_table, load_calendar

    cal = load_calendar(file)
    table_frame = calendar_table(cal, commodity)
    if table_frame.empty:
        raise UsageError(
            f"no calendar rows match '{commodity}'", "--commodity",
            f"Known crops: {', '.join(sorted(cal['commodity'].unique()))}",
        )
    if as_json:
        typer.echo(table_frame.to_json(orient="records", force_ascii=False))
        return
    # One character a month keeps twelve months on a phone-width terminal.
    marks = {"plant": "[green]·[/green]", "harvest": "[yellow]▒[/yellow]", "peak": "[bold red]█[/bold red]"}
    table = Table(
        title="Harvest calendar" + (f": {commodity}" if commodity else ""),
        caption="[green]·[/green] planting  [yellow]▒[/yellow] harvest  [bold red]█[/bold red] peak",
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
