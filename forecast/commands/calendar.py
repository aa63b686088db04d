"""``cropcast calendar``: harvest calendars."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from forecast.commands.shared import (
    CropcastGroup,
    JsonOption,
    console,
    table_fits,
)
from forecast.errors import UsageError

calendar_app = typer.Typer(cls=CropcastGroup, help="Harvest calendars.", no_args_is_help=True)


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
        "demand": "[magenta]↑[/magenta]",
        "output": "[yellow]+[/yellow]",
    }
    caption = "[green]·[/green] planting  [yellow]▒[/yellow] harvest  [bold red]█[/bold red] peak"
    if (table_frame[list(range(1, 13))] == "demand").any().any():
        caption += "  [magenta]↑[/magenta] demand (prices usually rise)"
    if (table_frame[list(range(1, 13))] == "output").any().any():
        caption += "  [yellow]+[/yellow] more output (picked all year)"
    caption += _tet_caption(table_frame)
    # Name the region only where it differs from the calendar's main one (in the title).
    main_region = table_frame["region"].mode().iloc[0]
    title = "Harvest calendar" + (f": {commodity}" if commodity else "") + f" ({main_region})"
    rows = []
    for _, row in table_frame.iterrows():
        crop = str(row["commodity"])
        if row["region"] != main_region:
            crop += f" ({row['region']})"
        rows.append((crop, str(row["season"]), [marks.get(str(row[m]), "") for m in range(1, 13)]))
    table = _calendar_table(title, caption, rows, compact=False)
    if not table_fits(table, console):
        # Boxed and padded, the months need about 66 columns: on a phone the crop column
        # came out empty and the last months were cut. Without boxes, crop and season in
        # one cell, it fits in about 40.
        table = _calendar_table(title, caption, rows, compact=True)
    console.print(table)


def _tet_caption(table_frame) -> str:
    """A line for a season before Tết: bulletins and charts date it from Tết day, which
    moves from late January to late February, and these fixed months cannot show that."""
    import pandas as pd

    from forecast.bulletin.wording import day_label
    from forecast.calendar import TET_LEAD_WEEKS, next_tet

    seasons = table_frame["season"].astype(str)
    tied = seasons[seasons.str.casefold().str.contains("tết")]
    if tied.empty:
        return ""
    name = ", ".join(dict.fromkeys(tied))
    tet = next_tet(pd.Timestamp.today())
    when = f" (next: {day_label(tet, 'en')})" if tet is not None else ""
    return (
        f"\n↑ {name}: the {TET_LEAD_WEEKS} weeks before Tết day{when}, wherever they fall, "
        f"not the months marked"
    )


def _calendar_table(title: str, caption: str, rows: list, compact: bool) -> Table:
    from rich import box

    if compact:
        table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, padding=0)
        table.add_column("crop · season", overflow="fold")
    else:
        table = Table(title=title, caption=caption)
        table.add_column("crop")
        table.add_column("season", no_wrap=True)
    for month in "JFMAMJJASOND":
        table.add_column(month, justify="center", min_width=1)
    for crop, season, months in rows:
        names = [f"{crop} · {season}"] if compact else [crop, season]
        table.add_row(*names, *months)
    return table
