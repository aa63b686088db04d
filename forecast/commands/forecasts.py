"""``cropcast forecast`` and ``cropcast backtest``: forecasts, their tables, leaderboards."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from forecast.commands.shared import (
    DataFreqOption,
    DayfirstOption,
    DbOption,
    DecimalOption,
    DefaultOption,
    EngineOption,
    FileChucOption,
    HorizonOption,
    InputOption,
    JobsOption,
    LevelsOption,
    MapOption,
    QuietOption,
    SchedulerOption,
    SeriesOption,
    SheetOption,
    as_quoted,
    by_reason,
    by_reason_line,
    check_output_suffix,
    chuc_words,
    console,
    counted,
    engine_options,
    files_read,
    label,
    load_for_forecast,
    money,
    money_range,
    note_flat_forecasts,
    note_long_horizon,
    note_mostly_estimated,
    note_past_forecasts,
    note_unscored_forecasts,
    note_wide_ranges,
    parse_levels,
    parse_pairs,
    pct_change,
    print_failures,
    print_table,
    progress_bar,
    refuse_overwrite,
    say_note,
    starting_after_held,
    store_to_read,
    write_as_given,
)
from forecast.errors import UsageError

#: More series than this get one overview table, a row each, instead of a table each.
OVERVIEW_ABOVE = 8


def print_forecasts(
    run, prices, levels, horizon: int, output=None, held=None, per_chuc=None
) -> None:
    """A table per series (last price, then steps 1, 3, 6 and the horizon), or, for more
    than ``OVERVIEW_ABOVE`` series, one overview table: a hundred tables scroll away.

    ``held``: the latest prices left out as probably mistyped (``HeldBack`` by series key),
    shown under the last price used, so that step 1 does not seem to skip a period.
    ``per_chuc``: the series the depot writes per chục, with the nuts in each one's chục
    (``forecast.bulletin.depot``): shown per chục, as the bulletin and the chart show them."""
    from forecast.table import KEY, series_label

    last = prices.sort_values("date").groupby(list(KEY)).tail(1).set_index(list(KEY))
    outer = max(levels)
    if len(run.series) > OVERVIEW_ABOVE:
        print_overview(run, last, outer, horizon, held, per_chuc)
        return
    steps = sorted({1, min(3, horizon), min(6, horizon), horizon})
    # Skipped steps are said: dates 02-16, 03-02, 03-09 read as a gap in the forecast.
    caption = (
        f"Steps {', '.join(map(str, steps[:-1]))} and {steps[-1]} of {horizon}; "
        + (f"{output.name} has every step." if output else "--output writes every step.")
        if len(steps) < horizon
        else None
    )
    for result in run.series:
        key = result.key
        last_row = last.loc[key]
        shown, nuts = as_quoted(key, per_chuc)
        table = Table(
            title=f"{series_label(shown)}{chuc_words(nuts)}  ·  {result.model}",
            title_justify="left",
            caption=caption,
            caption_justify="left",
        )
        # A date or range folded over two lines ("7,623 –" over "9,703") reads as two
        # values: they never wrap, and a terminal too narrow for them gets blocks.
        table.add_column("date", no_wrap=True)
        table.add_column("step", justify="right", no_wrap=True)
        table.add_column("forecast", justify="right")
        table.add_column(f"{outer}% range", justify="right", no_wrap=True)
        table.add_column("vs last", justify="right")
        frame = result.forecast
        period = _period_format(frame, last_row["date"])  # weeks by their Monday
        table.add_row(
            f"{last_row['date']:{period}} (last)", "", money(last_row["price"] * nuts), "", ""
        )
        for typo in (held or {}).get(key, ()):
            if typo.date > last_row["date"]:
                table.add_row(
                    f"{typo.date:{period}} (held)",
                    "",
                    money(typo.price * nuts),
                    "mistyped? not used",
                    "",
                    style="dim",
                )
        for step in steps:
            row = frame.iloc[step - 1]
            lower, upper = row[f"lower_{outer}"], row[f"upper_{outer}"]
            table.add_row(
                f"{row['date']:{period}}",
                str(step),
                money(row["forecast"] * nuts),
                # No range when a series is too short to measure how its price moves.
                money_range(lower * nuts, upper * nuts, row["forecast"] * nuts),
                pct_change(row["forecast"], last_row["price"]),
            )
        print_table(table)
        if result.note:
            console.print(f"  note: {result.note}", markup=False, highlight=False)


def print_overview(run, last, outer, horizon: int, held=None, per_chuc=None) -> None:
    """One row per series: the last price, the forecast at the horizon with its change and
    range, the model; a note shared by many series is printed once. A series whose latest
    price was held back as probably mistyped (``held``) has its last price used marked."""

    models = {result.model for result in run.series}
    one_model = len(models) == 1
    title = f"{len(run.series)} series, {horizon} periods ahead"
    marked = {key for key, found in (held or {}).items() if found}
    caption = "One table per series, with more steps: pick a few with --series."
    if any(result.key in marked for result in run.series):
        caption += " *: a later price was left out as probably mistyped (see the note)."
    table = Table(
        title=title + (f" · {next(iter(models))}" if one_model else ""),
        title_justify="left",
        caption=caption,
        caption_justify="left",
        box=box.SIMPLE_HEAD,  # no vertical rules: an 80-column terminal fits every column
    )
    # The series name and the range may wrap; the numbers never do.
    table.add_column("series", min_width=23, ratio=1)
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
        shown, nuts = as_quoted(result.key, per_chuc)
        lower, upper = end[f"lower_{outer}"] * nuts, end[f"upper_{outer}"] * nuts
        star = "*" if result.key in marked else ""
        cells = [
            _series_cell(shown, nuts),
            f"{last_row['date']:{_period_format(frame, last_row['date'])}}{star}",
            money(last_row["price"] * nuts),
            money(end["forecast"] * nuts),
            pct_change(end["forecast"], last_row["price"]),
            money_range(lower, upper, end["forecast"] * nuts),
        ]
        table.add_row(*cells, *([] if one_model else [result.model]))
    print_table(table)
    for note, labels in by_reason(run.notes):
        who = labels[0] if len(labels) == 1 else f"{len(labels):,} series, e.g. {labels[0]}"
        console.print(f"  note ({who}): {note}", markup=False, highlight=False)


def _series_cell(key, nuts: int = 1):
    """The series on two lines: what and where, then (dimmed) the price type and unit. On an
    80-column terminal the one-line label wrapped into three lines, cut anywhere."""
    from rich.text import Text

    from forecast.table import price_unit

    commodity, market, price_type, unit, currency = key
    cell = Text(f"{commodity} · {market}")
    cell.append(f"\n{price_type}, {price_unit(currency, unit)}{chuc_words(nuts)}", style="dim")
    return cell


def _period_format(frame, last_date) -> str:
    """Monthly prices are named by their month, weekly ones by their Monday: the first step
    after the last price tells (a week's Monday may be the 1st, as 1 December 2025 is)."""
    import pandas as pd

    first = pd.Timestamp(frame["date"].iloc[0])
    weekly = (first - pd.Timestamp(last_date)).days < 28
    return "%Y-%m-%d" if weekly else "%Y-%m"


def _score_cell(value) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.3f}"


def print_explain(run) -> None:
    from forecast.table import series_label

    for result in run.series:
        console.print(f"[bold]{series_label(result.key)}[/bold]: {result.model}", highlight=False)
        explain = result.explain or {}
        if not explain:  # a single model asked for, or what a failed one fell back to
            why = result.note or "(no selection: a single model was asked for)"
            console.print(f"  {why}", markup=False, highlight=False)
            continue
        table = Table(box=box.SIMPLE_HEAD)
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
        print_table(table)
        for note in explain.get("notes", []):
            console.print(f"  {note}", markup=False, highlight=False)


def forecast_cmd(
    input_: InputOption = None,
    series: SeriesOption = None,
    horizon: HorizonOption = 12,
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            help=(
                "auto, naive, snaive, drift, window, ets, theta, arima, prophet, gbm,"
                " prophet_default."
            ),
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
    decimal: DecimalOption = None,
    dayfirst: DayfirstOption = None,
    chuc: FileChucOption = None,
    sheet: SheetOption = None,
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
    refuse_overwrite(output, "--output", files_read(input_, db))
    run_on = engine_options(engine, jobs, scheduler, "processes")
    if input_ is not None:  # the commonest mistake, refused before any worker starts
        check_path(input_)
    with started(**run_on, modules=model_imports(model)) as run_on:
        from forecast.forecasting import ForecastSpec, forecast_prices

        spec = ForecastSpec(
            model=model, horizon=horizon, levels=level_values, use_calendar=not no_calendar
        )
        archive_in = store_to_read(input_, db) if input_ is None else db
        reports: list = []  # the file's cleaning report: outputs name series as it does
        held: dict = {}  # prices left out as probably mistyped, as a bulletin leaves them
        # Series the depot writes per chục are shown (and, from the store, written) per
        # chục, as the bulletin and the chart quote them: a file read names them as it does.
        per_chuc: dict = {}
        prices, every = load_for_forecast(
            input_,
            series,
            freq,
            map_,
            default,
            db,
            spec,
            decimal,
            dayfirst,
            chuc=chuc,
            sheet=sheet,
            reports=reports,
            held=held,
            quoted=per_chuc,
        )
        spec = starting_after_held(spec, prices, {k: [h.date for h in v] for k, v in held.items()})
        note_long_horizon(prices, horizon)
        n_series = prices.groupby(["commodity", "market", "price_type", "unit", "currency"]).ngroups
        with progress_bar(n_series, quiet) as bar:
            task = bar.add_task("forecasting", total=n_series) if bar else None
            run = forecast_prices(
                prices,
                spec,
                **run_on,
                on_done=(lambda _r: bar.advance(task)) if bar else None,
                kin_prices=every,
            )
        note_flat_forecasts(input_, db, prices, run.forecasts)
        note_mostly_estimated(input_, db, prices)
        note_wide_ranges(run.forecasts, per_chuc=per_chuc)
        note_unscored_forecasts(input_, db, run, spec.model)
        if output is not None:
            written = run.forecasts if reports else _per_chuc_out(run.forecasts, per_chuc, output)
            write_as_given(written, output, reports, input_, every_name=True, quoted=per_chuc)
        note_past_forecasts(
            run.forecasts, horizon
        )  # of the forecasts made (a failed write has none)
        run_id = None
        if archive_in is not None and not no_archive:
            from forecast.store import (
                StoreNotWritable,
                archive_forecasts,
                open_store,
                store_to_fill,
            )

            try:
                # With --input, --db may name no store yet: made now, and removed again
                # when the run does not go in (a Ctrl-C), as ingest's first file's.
                store = store_to_fill(archive_in) if input_ is not None else open_store(archive_in)
                source = input_.name if input_ is not None else "store"
                try:
                    run_id = archive_forecasts(
                        store.made(), run, spec, prices["date"].max(), source=source
                    )
                except BaseException:
                    store.remove_if_unfilled()
                    raise
            except StoreNotWritable as exc:
                # The forecasts are made (and written): a store shared read-only keeps no
                # run of ours, which is said, even with --quiet, and is no failure.
                say_note(
                    f"this run was not archived in {exc.where}: {exc.what}; the "
                    "forecasts are made (add --no-archive to skip archiving)"
                )
        # Series whose model failed and got a fallback forecast; never silent, even with -q.
        failed = [(label(s.key), s.note) for s in run.series if s.model != spec.model]
        if explain:  # asked for by name: printed even with --quiet
            print_explain(run)
        if quiet:
            print_failures(failed, n_series)
            _exit_if_not_run(run)
            return
        # With --explain too: why a forecast was made is no substitute for the forecast.
        print_forecasts(run, prices, spec.levels, spec.horizon, output, held, per_chuc)
        if output is not None:
            console.print(
                f"wrote {counted(len(run.forecasts), 'row')} ({n_series:,} series × {horizon}) "
                f"to {output}",
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
        _exit_if_not_run(run)


def _per_chuc_out(forecasts, per_chuc: dict, output: Path):
    """The store's forecasts as written to ``output``: the series its depots write per chục
    quoted per chục, said on stderr (the store keeps them per nut)."""
    from forecast.bulletin.depot import quote_per_chuc

    quoted = quote_per_chuc(forecasts, per_chuc)
    moved = quoted["unit"] != forecasts["unit"]
    if moved.any():
        from forecast.table import KEY

        n = quoted.loc[moved, list(KEY)].drop_duplicates()
        sizes = sorted(set(per_chuc.values()))
        say_note(
            f"{output.name} quotes {len(n):,} series per chục (of "
            f"{' or '.join(map(str, sizes))} nuts), as the store's latest files of them do "
            "(e.g. " + label(tuple(n.iloc[0])) + "); the store keeps them per nut"
        )
    return quoted


def _exit_if_not_run(run) -> None:
    """Exit 75 (try again later) when a Dask cluster had no worker for some series: their
    naive stand-ins are written and said, but a script gating on the exit code published
    a file of them as a forecast (exit 0). A model that failed on a series, or a worker
    that died on it every time, is that series' own and stays exit 0 with its note."""
    if any(result.not_run for result in run.series):
        raise typer.Exit(75)


def _refuse_nothing_backtested(prices, names: list[str], horizon: int, failed) -> None:
    """No model scored a single window of any series: one error line, not a table of nan.

    When every series was too short for the horizon and a shorter one leaves a window, the
    option is at fault (exit 2) and the line gives the longest horizon that works; else the
    data are (exit 1) and it gives the commonest reasons.
    """
    from forecast.backtest import longest_horizon
    from forecast.errors import InputError
    from forecast.models import make_model
    from forecast.table import iter_series

    n = len(failed)
    reasons = by_reason_line(failed, shown=2)
    # backtest_job gives every model the cutoffs of the one needing the most prices (for
    # that series' frequency: snaive needs 53 weekly prices).
    models = [make_model(name) for name in names]
    series = [y for _, y in iter_series(prices)]
    needs = [max(m.needs(y) for m in models) for y in series]
    need = max(needs, default=1)
    longest = max((longest_horizon(y, k) for y, k in zip(series, needs, strict=True)), default=0)
    if longest >= horizon:  # a window there was: the models failed, not the horizon
        none = "the only series" if n == 1 else f"none of the {n} series"
        raise InputError(f"{none} could not be backtested: {reasons}")
    if longest > 0:
        raise UsageError(
            f"{horizon} periods ahead leave no backtest window in "
            f"{'the series' if n == 1 else f'any of the {n} series'} (a window needs {need} "
            "prices before its cutoff and the horizon after it)",
            "--horizon",
            f"The longest that leaves one is --horizon {longest}",
        )
    raise InputError(
        f"{'the only series is not' if n == 1 else f'none of the {n} series is'} long enough "
        f"to backtest: {reasons}",
        None,
        "Backtest longer series ('cropcast data list' shows their spans)",
    )


def _print_backtest_failures(failed: list[tuple[str, str]], scored: set[str], n_series: int):
    """A backtest fails per model: a line for the series where every model failed, and one
    for those where some failed and the others were scored. A series too short for any
    window is no failure, and a note says it is left out ("1 of 26 series failed" named
    Bạc Liêu's 18 months in the embedded data's backtest)."""

    from forecast.backtest import TOO_SHORT_TO_BACKTEST

    # "naive, snaive: too short to backtest: ...": every model failed for that one reason
    # (_failed_models), which a series with no window gives them all alike.
    short = [
        (name, reason.removeprefix(TOO_SHORT_TO_BACKTEST))
        for name, why in failed
        if name not in scored
        and (reason := why.partition(": ")[2]).startswith(TOO_SHORT_TO_BACKTEST)
    ]
    if short:
        are = "is" if len(short) == 1 else "are"
        say_note(
            f"{len(short):,} of {n_series:,} series {are} too short to backtest, so "
            f"no model is scored on {'it' if len(short) == 1 else 'them'} (the table counts "
            f"{'it' if len(short) == 1 else 'them'} under failed): "
            f"{by_reason_line(short)}"
        )
    named = {name for name, _ in short}
    print_failures([f for f in failed if f[0] not in scored and f[0] not in named], n_series)
    partly = [f for f in failed if f[0] in scored]
    print_failures(partly, n_series, "had a model fail (the others were scored)")


def _failed_models(rows) -> str:
    """One series' failures in words: "auto: too short ...", or "every model: ..." when
    all the models failed for the same reason, as a series too short to backtest does."""
    first = rows.drop_duplicates("model")
    if len(first) > 1 and first["error"].nunique() == 1:
        return f"{', '.join(first['model'])}: {first['error'].iloc[0]}"
    return "; ".join(f"{m}: {e}" for m, e in zip(first["model"], first["error"], strict=True))


def backtest_cmd(
    input_: InputOption = None,
    series: SeriesOption = None,
    models: Annotated[
        str,
        typer.Option(
            # The default in words that wrap: "[default: naive,snaive,ets,the…" at 80 columns.
            help="Comma-separated models to compare (default: naive, snaive, ets, theta, auto).",
            show_default=False,
        ),
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
    decimal: DecimalOption = None,
    dayfirst: DayfirstOption = None,
    chuc: FileChucOption = None,
    sheet: SheetOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Compare models on past windows: MASE, sMAPE, interval coverage, time.

    MASE divides each window's error by the series' seasonal-naive error before its cutoff
    (the price a year before as the forecast); where that history holds fewer than 12
    year-apart pairs of prices, by its last-price error (the price a period before), a
    smaller scale, so a short series' MASE reads higher. sMAPE is 0-200 (M4).
    """
    from forecast.checks import check_horizon, check_path, check_whole_number
    from forecast.engine import started
    from forecast.models import check_model_name, model_imports

    # Checked before the workers start, which start before pandas is imported (as forecast).
    names = [m.strip() for m in models.split(",") if m.strip()]
    if not names:
        raise UsageError("no models given", "--models", "Use e.g. --models naive,ets,auto")
    for name in names:
        check_model_name(name, "--models")
    check_output_suffix(output, name="backtest")
    refuse_overwrite(output, "--output", files_read(input_, db))
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
        # The whole file too: auto measures its currency's inflation on it, as forecast does.
        reports: list = []  # the file's cleaning report: outputs name series as it does
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
            chuc=chuc,
            sheet=sheet,
            reports=reports,
        )
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
                currency_prices=every,
            )
        key = ["commodity", "market", "price_type", "unit", "currency"]
        failed = [
            (label(tuple(k)), _failed_models(rows))
            for k, rows in table[table["error"] != ""].groupby(key, sort=True)
        ]
        # Series where some model still scored are told apart from those where none did.
        scored = {label(tuple(k)) for k, _ in table[table["error"] == ""].groupby(key)}
        if not (table["error"] == "").any():  # before writing a table of failures only
            _refuse_nothing_backtested(prices, names, horizon, failed)
        if output is not None:
            # Without the fit times: they differ from run to run and engine to engine,
            # and the leaderboard reports them.
            write_as_given(table.drop(columns="seconds"), output, reports, input_)
        if quiet:
            _print_backtest_failures(failed, scored, n_series)
            return
        board = leaderboard(table, prices, seconds)
        view = Table(
            title=f"Backtest: {n_series} series, horizon {horizon}, up to {windows} windows",
            caption="MASE: error / the history's seasonal-naive error (its last-price error "
            "where it has fewer than 12 year-apart pairs of prices); coverage should match its "
            "level",
            caption_justify="left",  # a centred paragraph left "level" alone mid-line
        )
        names = {"mase": "MASE", "smape": "sMAPE", "seconds": "seconds"}
        # The median is said below the table where it ranks otherwise: a column more did not
        # fit 80 columns.
        by_median = board.sort_values("median_mase", kind="stable")
        board = board.drop(columns="median_mase")
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
        print_table(view)
        if list(by_median["model"]) != list(board["model"]):
            # Mean MASE ranks the models, as the M competitions do; a few series far off
            # can decide it (four short coconut series at MASE 11-21 did, on the embedded data).
            console.print(
                "by median MASE, which a few series far off sway less: "
                + ", ".join(f"{m} {v:.3f}" for m, v in by_median[["model", "median_mase"]].values),
                markup=False,
                highlight=False,
            )
        if output is not None:
            console.print(f"wrote {counted(len(table), 'row')} to {output}", markup=False)
        _print_backtest_failures(failed, scored, n_series)
