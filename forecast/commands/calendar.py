"""``cropcast calendar``: harvest calendars."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from forecast.commands.shared import (
    CropcastGroup,
    JsonOption,
    Lang,
    console,
    lang_option,
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
    lang: lang_option(
        "Language of the table: vi names crops, seasons and months in Vietnamese."
    ) = Lang.en,
) -> None:
    """Month by month: when each crop is planted, harvested and peaks."""
    from forecast.calendar import calendar_table, load_calendar

    cal = load_calendar(file)
    table_frame = calendar_table(cal, commodity)
    if table_frame.empty:
        raise UsageError(
            f"no calendar rows match '{commodity}'",
            "--commodity",
            "Known crops: "
            + ", ".join(sorted(_crop_name(c, "en") for c in cal["commodity"].unique())),
        )
    if as_json:
        typer.echo(table_frame.to_json(orient="records", force_ascii=False))
        return
    from forecast.bulletin.wording import season_name

    lang = Lang(lang).value
    said = _WORDS[lang]
    # One character a month keeps twelve months on a phone-width terminal.
    marks = {
        "plant": "[green]·[/green]",
        "harvest": "[yellow]▒[/yellow]",
        "peak": "[bold red]█[/bold red]",
        "demand": "[magenta]↑[/magenta]",
        "output": "[yellow]+[/yellow]",
    }
    caption = (
        f"[green]·[/green] {said['plant']}  [yellow]▒[/yellow] {said['harvest']}  "
        f"[bold red]█[/bold red] {said['peak']}"
    )
    if (table_frame[list(range(1, 13))] == "demand").any().any():
        caption += f"  [magenta]↑[/magenta] {said['demand']}"
    if (table_frame[list(range(1, 13))] == "output").any().any():
        caption += f"  [yellow]+[/yellow] {said['output']}"
    caption += _tet_caption(table_frame, lang)
    # Name the region only where it differs from the calendar's main one (in the title).
    main_region = table_frame["region"].mode().iloc[0]
    asked = commodity
    crops = table_frame["commodity"].astype(str).unique()
    if commodity and lang == "vi" and len(crops) == 1:  # "rice" typed: the table says Lúa
        asked = _crop_name(crops[0], lang)
    title = said["title"] + (f": {asked}" if asked else "") + f" ({_region(main_region, lang)})"
    rows = []
    for _, row in table_frame.iterrows():
        # English keeps the calendar's names as written (Rice, Đông Xuân), as before.
        crop = _crop_name(str(row["commodity"]), lang)
        season = season_name(str(row["season"]), lang)  # "Rainy season", as bulletins say
        if row["region"] != main_region:
            crop = f"{crop} ({_region(row['region'], lang)})"
        rows.append((str(crop), str(season), [marks.get(str(row[m]), "") for m in range(1, 13)]))
    table = _calendar_table(title, caption, rows, said, compact=False)
    if not table_fits(table, console):
        # Boxed and padded, the months need about 66 columns: on a phone the crop column
        # came out empty and the last months were cut. Without boxes, crop and season in
        # one cell, it fits in about 40.
        table = _calendar_table(title, caption, rows, said, compact=True)
    console.print(table)


#: The table's words. A Vietnamese reader's months are numbers (tháng 1 to tháng 12), so
#: the month columns are 1 to 12, where English has one letter a month.
_WORDS = {
    "en": {
        "title": "Harvest calendar",
        "crop": "crop",
        "season": "season",
        "months": list("JFMAMJJASOND"),
        "plant": "planting",
        "harvest": "harvest",
        "peak": "peak",
        "demand": "demand (prices usually rise)",
        "output": "more output (picked all year)",
        "tet": "the {weeks} weeks before Tết day{when}, wherever they fall, not the months marked",
        "next": " (next: {day})",
    },
    "vi": {
        "title": "Lịch thời vụ",
        "crop": "cây trồng",
        "season": "vụ",
        "months": [str(month) for month in range(1, 13)],
        "plant": "xuống giống",
        "harvest": "thu hoạch",
        "peak": "thu hoạch rộ",
        "demand": "nhu cầu cao (giá thường tăng)",
        "output": "sản lượng tăng (hái quanh năm)",
        "tet": "{weeks} tuần trước Tết{when}, tính theo ngày Tết, không theo các tháng đánh dấu",
        "next": " (Tết tới: {day})",
    },
}


def _crop_name(commodity: str, lang: str) -> str:
    """The crop as the bulletins name it ("Coffee (Robusta)": "Coffee, Robusta" read as two
    crops); in Vietnamese as a grower does: the calendar's rice is the crop in the field,
    lúa, not the milled gạo that the bulletins price."""
    from forecast.bulletin.wording import commodity_name

    if lang == "vi" and commodity.strip().casefold() == "rice":
        return commodity_name("Rice (paddy)", lang)
    return commodity_name(commodity, lang)


def _region(region: str, lang: str) -> str:
    from forecast.plots.common import REGIONS_VI

    return REGIONS_VI.get(region, region) if lang == "vi" else region


def _tet_caption(table_frame, lang: str = "en") -> str:
    """A line for a season before Tết: bulletins and charts date it from Tết day, which
    moves from late January to late February, and these fixed months cannot show that."""
    import pandas as pd

    from forecast.bulletin.wording import day_label, season_name
    from forecast.calendar import TET_LEAD_WEEKS, next_tet

    seasons = table_frame["season"].astype(str)
    tied = seasons[seasons.str.casefold().str.contains("tết")]
    if tied.empty:
        return ""
    said = _WORDS[lang]
    names = dict.fromkeys(season_name(s, lang) for s in tied)
    tet = next_tet(pd.Timestamp.today())
    when = said["next"].format(day=day_label(tet, lang)) if tet is not None else ""
    return f"\n↑ {', '.join(names)}: " + said["tet"].format(weeks=TET_LEAD_WEEKS, when=when)


def _calendar_table(title: str, caption: str, rows: list, said: dict, compact: bool) -> Table:
    from rich import box

    if compact:
        table = Table(
            title=title, caption=caption, caption_justify="left", box=box.SIMPLE_HEAD, padding=0
        )
        table.add_column(f"{said['crop']} · {said['season']}", overflow="fold")
    else:
        table = Table(title=title, caption=caption, caption_justify="left")
        table.add_column(said["crop"])
        table.add_column(said["season"], no_wrap=True)
    for month in said["months"]:
        table.add_column(month, justify="center", min_width=1)
    for crop, season, months in rows:
        names = [f"{crop} · {season}"] if compact else [crop, season]
        table.add_row(*names, *months)
    return table
