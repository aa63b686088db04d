"""``cropcast alerts``: the WFP ALPS and FAO IPA price anomaly indicators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from forecast.commands.shared import (
    DayfirstOption,
    DbOption,
    DecimalOption,
    DefaultOption,
    FileChucOption,
    Freq,
    InputOption,
    JobsOption,
    JsonOption,
    MapOption,
    SchedulerOption,
    SeriesOption,
    SheetOption,
    check_as_of,
    check_output_suffix,
    console,
    engine_options,
    files_read,
    load_for_forecast,
    local_cluster_started,
    money,
    note_stale_series,
    parse_as_of,
    parse_freq,
    print_table,
    progress_bar,
    refuse_overwrite,
    store_to_read,
    write_as_given,
)

ALPS_STYLES = {
    "low": "cyan",
    "normal": "green",
    "stress": "yellow",
    "alert": "dark_orange",
    "crisis": "bold red",
}
IPA_STYLES = {
    "unusually low": "cyan",
    "normal": "green",
    "moderately high": "yellow",
    "abnormally high": "bold red",
}
ALPS_FLAGGED = ("stress", "alert", "crisis")
IPA_FLAGGED = ("moderately high", "abnormally high", "unusually low")


def _indicator_cell(value: float, band, indicator: str, low: bool = False) -> str:
    """ "+0.997 moderately high": the value with as many decimals as keep it in its band
    (never "+1.00 moderately high"); an ALPS below -1 reads "low", not WFP's "normal"."""
    from forecast.anomaly import format_indicator

    if band is None or value != value:  # not qualifying, or NaN
        return "–"
    styles = ALPS_STYLES if indicator == "alps" else IPA_STYLES
    band = "low" if low else band
    return f"[{styles[band]}]{format_indicator(value, indicator)} {band}[/{styles[band]}]"


def _none_flagged(frame) -> str:
    """What was judged, when nothing is flagged: only series that got a value speak."""
    said = []
    for column, label in (("alps", "ALPS"), ("ipa", "IPA")):
        n = int(frame[column].notna().sum())
        if n:
            said.append(f"{label} normal for the {'one' if n == 1 else n} series scored")
        else:
            said.append(f"no series has an {label}")
    return "; ".join(said)


def _not_monthly_hint(input_: Path | None, store_path: Path | None) -> str | None:
    """How to score weekly prices, which ALPS and IPA cannot: fold them into months."""
    if input_ is not None:
        return (
            "Not monthly: weekly prices; add --freq monthly to fold them into months "
            "(each month's median)."
        )
    if store_path is not None:  # --freq monthly on a store picks monthly series, folds none
        return (
            "Not monthly: weekly prices; fold them into months from an export: "
            f"cropcast store export --db {store_path} -o prices.csv, then "
            "cropcast alerts -i prices.csv --freq monthly."
        )
    return None


def _no_recent_price_hint(frame, stamp, picked: bool) -> str | None:
    """When no series could be scored for want of a recent price (a series that stopped,
    picked alone): when they stopped and the --as-of that scores them then, as bulletin
    says (``picked``: --series chose them). Without it "no recent price (1)" was a dead
    end."""
    import pandas as pd

    from forecast.anomaly import MAX_AGE_MONTHS

    old = (frame["alps_reason"] == "no recent price") | (frame["ipa_reason"] == "no recent price")
    if not old.any():
        return None
    ends = frame.loc[old, "date"]
    when = ends.max()
    other = ", or other --series" if picked else ""
    if len(ends) == 1:
        return (
            f"No recent price: the series stopped in {when:%Y-%m}, more than "
            f"{MAX_AGE_MONTHS} months before {stamp:%Y-%m}; give --as-of {when:%Y-%m} to "
            f"score it as of then{other}."
        )
    # Only the series with a price near that month are scored there: said, not promised
    # for all (a review followed the hint and scored 1 of 5).
    with_it = int((ends >= when - pd.DateOffset(months=MAX_AGE_MONTHS)).sum())
    return (
        f"No recent price: {len(ends):,} series stopped more than {MAX_AGE_MONTHS} months "
        f"before {stamp:%Y-%m}, the latest in {when:%Y-%m}; give --as-of {when:%Y-%m} to "
        f"score the {with_it} with a price then{other} ('cropcast data list' shows when "
        "each stopped)."
    )


def _not_qualifying(frame, which: str) -> dict[str, int]:
    """Reason -> number of series that do not qualify for ALPS or IPA, most common first."""
    reasons = frame.loc[~frame[f"qualifies_{which}"].astype(bool), f"{which}_reason"]
    return {str(k): int(v) for k, v in reasons.value_counts().items()}


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
        typer.Option(
            help="Period to put a file's prices on; ALPS and IPA need monthly.",
            parser=parse_freq,
            metavar="[monthly|weekly]",
        ),
    ] = None,
    map_: MapOption = None,
    default: DefaultOption = None,
    decimal: DecimalOption = None,
    dayfirst: DayfirstOption = None,
    chuc: FileChucOption = None,
    sheet: SheetOption = None,
    db: DbOption = None,
    jobs: JobsOption = None,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            metavar="<engine>",
            help="Where per-series jobs run: local, processes or dask (default: this process "
            "below 1,000 series, else processes).",
            show_default=False,
        ),
    ] = None,
    scheduler: SchedulerOption = None,
    as_json: JsonOption = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Also write every series' indicators and reasons (.csv or .parquet).",
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No progress bar; with --output, no table either."),
    ] = False,
) -> None:
    """Series with unusually high or low prices now: WFP ALPS and FAO GIEWS IPA."""
    from forecast.anomaly import latest_alerts_by_series
    from forecast.table import price_unit

    stamp = parse_as_of(as_of)
    check_output_suffix(output, name="alerts")
    refuse_overwrite(output, "--output", files_read(input_, db))
    run_on = engine_options(engine, jobs, scheduler, None)
    reports: list = []  # the file's cleaning report: --output names series as it does
    prices, every = load_for_forecast(
        input_,
        series,
        freq,
        map_,
        default,
        db,
        None,
        decimal,
        dayfirst,
        False,
        chuc,
        sheet=sheet,
        reports=reports,
        stale_later=stamp is not None,  # judged against --as-of, not prices after it
    )
    check_as_of(stamp, prices)
    if stamp is not None:
        note_stale_series(prices, forecasting=False, as_of=stamp)
    # "Now" is the latest price of the whole file, not of the series picked: An Giang rice
    # alone (last price 2022-06) was scored as current, in a file that runs to 2025-11.
    stamp = stamp if stamp is not None else every["date"].max()
    n_series = prices.groupby(["commodity", "market", "price_type", "unit", "currency"]).ngroups
    with local_cluster_started(run_on) as run_on, progress_bar(n_series, as_json or quiet) as bar:
        task = bar.add_task("scoring", total=n_series) if bar else None
        frame = latest_alerts_by_series(
            prices, stamp, **run_on, on_done=(lambda: bar.advance(task)) if bar else None
        )
    flagged = (
        frame["alps_band"].isin(ALPS_FLAGGED)
        | frame["alps_low"].astype(bool)
        | frame["ipa_band"].isin(IPA_FLAGGED)
    )
    keep = (frame["qualifies_alps"] | frame["qualifies_ipa"]) if show_all else flagged
    shown = frame[keep].sort_values(["alps", "ipa"], ascending=False, na_position="last")
    # Scored but normal, left out of the table: counted, so no series goes unsaid.
    normal = int(((frame["qualifies_alps"] | frame["qualifies_ipa"]) & ~keep).sum())
    skipped = {"alps": _not_qualifying(frame, "alps"), "ipa": _not_qualifying(frame, "ipa")}
    if output is not None:
        from forecast.table import KEY

        every_series = frame.sort_values(list(KEY), kind="stable").reset_index(drop=True)
        # Named as the file names its series ("KG"), as forecast and backtest files are: a
        # review's alerts file said "kg" beside their "KG", and did not join.
        write_as_given(every_series.assign(as_of=stamp), output, reports, input_)
        if quiet and not as_json:
            return
    if as_json:
        out = shown.assign(date=shown["date"].dt.strftime("%Y-%m-%d")).astype(object)
        out = out.where(out.notna(), None)
        payload = {
            "as_of": f"{stamp:%Y-%m-%d}",
            "series": out.to_dict(orient="records"),
            "not_qualifying": skipped,
            "normal_not_listed": normal,
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
    scored = (frame["qualifies_alps"] | frame["qualifies_ipa"]).any()
    if not scored:  # "none in alert" would read as good news: nothing was judged at all
        console.print(f"No series could be scored as of {stamp:%Y-%m}{source}.", highlight=False)
    elif shown.empty:
        console.print(
            f"No price alerts as of {stamp:%Y-%m}{source}: {_none_flagged(frame)}.",
            highlight=False,
        )
    else:
        table = Table(
            title=f"Price alerts as of {stamp:%Y-%m}{source}",
            caption="ALPS (WFP): stress ≥ 0.25, alert ≥ 1, crisis ≥ 2; low < −1\n"
            "IPA (FAO): moderately high ≥ 0.5, abnormally high ≥ 1, unusually low < −1",
            caption_justify="left",
        )
        # Series name and price in two columns keep the indicators readable at 80 columns.
        table.add_column("series")
        # The month's price: a weekly series folded into months (--freq monthly) shows the
        # month's median, which "last price" misnamed.
        table.add_column("month's price", justify="right")
        table.add_column("ALPS", no_wrap=True)
        table.add_column("IPA", no_wrap=True)
        for row in shown.itertuples(index=False):
            table.add_row(
                f"{row.commodity} · {row.market} ({row.price_type})",
                f"{money(row.price)} {price_unit(row.currency, row.unit)} ({row.date:%Y-%m})",
                _indicator_cell(row.alps, row.alps_band, "alps", bool(row.alps_low)),
                _indicator_cell(row.ipa, row.ipa_band, "ipa"),
            )
        print_table(table)
        if normal:
            console.print(
                f"{normal:,} more series scored normal (--all lists them)",
                highlight=False,
            )
    # One line: "16 series do not qualify for ALPS: too short (5), ...; 16 for IPA: ..."
    parts = []
    for which, label in (("alps", "ALPS"), ("ipa", "IPA")):
        counts = skipped[which]
        if counts:
            reasons = ", ".join(f"{reason} ({n:,})" for reason, n in counts.items())
            total = sum(counts.values())
            verb = "does" if total == 1 else "do"
            lead = f"series {verb} not qualify for" if not parts else "for"
            parts.append(f"{total:,} {lead} {label}: {reasons}")
    if parts:
        console.print("; ".join(parts), highlight=False)
    if not scored and (stale := _no_recent_price_hint(frame, stamp, bool(series))):
        console.print(stale, highlight=False)
    hint = _not_monthly_hint(input_, store_path)
    if hint and "not monthly" in {**skipped["alps"], **skipped["ipa"]}:
        console.print(hint, highlight=False)
