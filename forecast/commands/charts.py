"""``cropcast plot``: charts of prices, forecasts, seasons and harvests."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from forecast.commands.shared import (
    DataFreqOption,
    DayfirstOption,
    DbOption,
    DecimalOption,
    DefaultOption,
    EngineOption,
    FileChucOption,
    InputOption,
    JobsOption,
    Lang,
    MapOption,
    QuietOption,
    SchedulerOption,
    SeriesOption,
    SheetOption,
    chart_folder,
    check_chart_folder,
    console,
    engine_options,
    files_read,
    lang_option,
    load_for_forecast,
    local_cluster_started,
    note_flat_forecasts,
    note_past_forecasts,
    parse_choice,
    progress_bar,
    refuse_overwrite,
    say_note,
    starting_after_held,
    store_to_read,
)
from forecast.errors import UsageError


class ChartKind(str, Enum):
    fan = "fan"
    season = "season"
    backtest = "backtest"
    alerts = "alerts"


def _draw_chart(job: dict) -> tuple[Path | None, str]:
    """Draw and save one series' chart; ``(path, "")`` or ``(None, why it was skipped)``.

    Module-level so the engine can run it in worker processes: the charts build on
    matplotlib's Figure, not pyplot, so each process draws on its own.
    """
    from forecast import plots
    from forecast.table import infer_freq

    key, y, kind, lang, data = job["key"], job["y"], job["kind"], job["lang"], job["data"]
    unit = _unit_words(key, lang, job.get("nuts_per_chuc"))
    label = plots.chart_title(key, lang, unit)
    try:
        if kind == "fan":
            # Five years of history by default: enough to see seasons, not so much that
            # the forecast is a sliver at the right edge.
            last_n = job["last"] or 5 * (12 if infer_freq(y.dropna().index) == "monthly" else 52)
            fig = plots.fan_chart(
                y,
                data,
                title=label,
                unit_label=unit,
                harvest_months=job["harvest"],
                last_n=last_n,
                lang=lang,
                held_back=_held_back(y, job),
            )
        elif kind == "season":
            fig = plots.seasonal_profile(y, title=label, harvest_rows=job["harvest"], lang=lang)
        elif kind == "backtest":
            if data is None:
                raise ValueError("too short for a backtest window")
            fig = plots.backtest_chart(y, data, title=label, unit_label=unit, lang=lang)
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


def _held_marks(held: dict | None, per_chuc: dict) -> dict:
    """The prices held back as mistyped, by series key, as dated prices in the chart's unit
    (per chục where the depot quotes so, as the chart's)."""
    import pandas as pd

    from forecast.bulletin.depot import quote_per_chuc
    from forecast.table import KEY

    rows = [(*key, h.date, h.price) for key, found in (held or {}).items() for h in found]
    if not rows:
        return {}
    frame = quote_per_chuc(pd.DataFrame(rows, columns=[*KEY, "date", "price"]), per_chuc)
    return {
        tuple(key): group.set_index("date")["price"].sort_index()
        for key, group in frame.groupby(list(KEY), sort=False)
    }


def _held_back(y, job: dict):
    """What the chart leaves out of its line and marks: the prices held back as mistyped
    (as `cropcast forecast` and the bulletin hold them back) and those the model left out
    as tenfold jumps."""
    import pandas as pd

    typos = _left_out_as_typos(y, job.get("model", "auto"))
    held = job.get("held")
    if held is None or held.empty:
        return typos
    both = pd.concat([typos, held])
    return both[~both.index.duplicated()].sort_index()


def _left_out_as_typos(y, model: str):
    """The prices the forecast left out as typos, by date (a price tenfold from the agreeing
    prices on both sides: ``forecast.models.base.join_jumps``), for the chart to leave out
    too; none for a model that sees the prices as they are."""
    import pandas as pd

    from forecast.models import model_class
    from forecast.models.base import join_jumps

    if not model_class(model).joins_jumps:
        return pd.Series(dtype=float)
    _joined, _joins, typos = join_jumps(y)
    return y.loc[typos]


def _unit_words(key: tuple, lang: str, nuts_per_chuc: int | None) -> str:
    """The series' unit as its bulletin's table says it: "đồng/chục", and in English
    "đồng/chục of 12 nuts", as English readers do not know a chục. The bulletin's own
    wording (``unit_word``) reads only these fields of a series' facts."""
    from types import SimpleNamespace

    from forecast.bulletin.parts import unit_word

    commodity, _market, _price_type, unit, _currency = key
    series = SimpleNamespace(key=key, commodity=commodity, unit=unit, nuts_per_chuc=nuts_per_chuc)
    return unit_word(series, lang)


def plot_cmd(
    input_: InputOption = None,
    series: SeriesOption = None,
    kind: Annotated[
        ChartKind,
        typer.Option(
            "--kind",
            "-k",
            parser=parse_choice(ChartKind, "--kind"),
            metavar="<kind>",
            help="fan: forecast with ranges; season: the typical year; backtest: past "
            "forecasts vs actual prices; alerts: the ALPS price-spike indicator.",
        ),
    ] = ChartKind.fan,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Folder for the chart files.", parser=chart_folder, metavar="<path>"
        ),
    ] = Path("charts"),
    svg: Annotated[bool, typer.Option("--svg", help="Write SVG instead of PNG.")] = False,
    horizon: Annotated[
        int, typer.Option("--horizon", "-h", help="Periods ahead (fan, backtest).")
    ] = 12,
    model: Annotated[
        str, typer.Option("--model", "-m", help="Model for fan and backtest charts.")
    ] = "auto",
    lang: lang_option(
        "Language of the chart text; vi also writes 45.000 for forty-five thousand."
    ) = Lang.en,
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
    decimal: DecimalOption = None,
    dayfirst: DayfirstOption = None,
    chuc: FileChucOption = None,
    sheet: SheetOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Draw one chart per series into --out and print the file paths."""
    from contextlib import nullcontext

    from forecast.bulletin.depot import quote_per_chuc, series_of
    from forecast.engine import run_jobs
    from forecast.errors import InputError
    from forecast.models import model_imports
    from forecast.plots import series_slug
    from forecast.table import KEY, iter_series, observed_prices

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
    # The charts' folder: made where the file is, it would fail after all the work.
    refuse_overwrite(out, "--out", files_read(input_, db))
    check_chart_folder(out)
    run_on = engine_options(engine, jobs, scheduler, "processes")
    fan = spec if kind is ChartKind.fan else None
    # Only fan and backtest charts forecast: the notes of the others do not speak of forecasts.
    forecasting = kind in (ChartKind.fan, ChartKind.backtest)
    per_chuc: dict = {}  # series quoted per chục, as the bulletin quotes them
    # A fan chart forecasts as `cropcast forecast` does: without the prices it holds back as
    # mistyped, which it marks.
    held: dict | None = {} if kind is ChartKind.fan else None
    prices, every = load_for_forecast(
        input_,
        series,
        freq,
        map_,
        default,
        db,
        fan,
        decimal,
        dayfirst,
        forecasting,
        chuc,
        quoted=per_chuc,
        sheet=sheet,
        held=held,
    )
    # Prices in the unit the depot quotes them in, as the bulletin does: "118.000 đồng/chục"
    # of dried coconuts, not "9.833 đồng/trái", a number no depot quotes.
    prices, every = quote_per_chuc(prices, per_chuc), quote_per_chuc(every, per_chuc)
    held_marks = _held_marks(held, per_chuc)
    if held_marks:
        spec = starting_after_held(spec, prices, {k: m.index for k, m in held_marks.items()})
    # A typical year is of prices someone wrote, as the bulletin's harvest notes read it:
    # cleaning's estimates in a gap made one more year count here than there.
    items = list(iter_series(observed_prices(prices) if kind is ChartKind.season else prices))
    suffix = ".svg" if svg else ".png"

    # A Dask cluster only for the charts that forecast (drawing runs on this machine).
    workers = (
        local_cluster_started(run_on, model_imports(model)) if forecasting else nullcontext(run_on)
    )
    with workers as run_on, progress_bar(len(items), quiet, "series") as bar:

        def advance(task):
            return (lambda *_: bar.advance(task)) if bar else None

        data: dict = {}
        if kind is ChartKind.fan:
            from forecast.forecasting import forecast_prices

            task = bar.add_task("forecasting", total=len(items)) if bar else None
            run = forecast_prices(prices, spec, **run_on, on_done=advance(task), kin_prices=every)
            run.refuse_unrun("no chart was drawn")  # a naive stand-in's fan is no forecast
            note_flat_forecasts(input_, db, prices, run.forecasts)
            note_past_forecasts(run.forecasts, spec.horizon)
            data = {result.key: result.forecast for result in run.series}
        elif kind is ChartKind.backtest:
            from forecast.evaluation import backtest_prices

            task = bar.add_task("backtesting", total=len(items)) if bar else None
            table, _ = backtest_prices(
                prices,
                [model],
                spec_windows,
                (80, 95),
                **run_on,
                on_done=advance(task),
                currency_prices=every,
            )
            data = {tuple(k): g for k, g in table.groupby(list(KEY), sort=False)}
        elif kind is ChartKind.alerts:
            data = {tuple(k): g for k, g in prices.groupby(list(KEY), sort=False)}
        harvest = {}
        if kind in (ChartKind.fan, ChartKind.season):
            from forecast.calendar import load_calendar, match_series

            calendar = load_calendar()
            harvest = {key: match_series(key, calendar) for key, _ in items}

        jobs_list, stems, slugs = [], set(), {}
        for key, y in items:
            base = f"{series_slug(key)}-{kind.value}"
            stem, n = base, 1
            while stem in stems:  # two keys with one slug ("Rice (white)", "Rice, white")
                n += 1
                stem = f"{base}-{n}"
            stems.add(stem)
            slugs.setdefault(base, []).append(key)
            jobs_list.append(
                {
                    "key": key,
                    "y": y,
                    "kind": kind.value,
                    "lang": lang.value,
                    "data": data.get(key),
                    "harvest": harvest.get(key),
                    "last": last,
                    "model": model,
                    "held": held_marks.get(key),
                    "path": out / f"{stem}{suffix}",
                    "nuts_per_chuc": per_chuc.get(series_of(key)),
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
    # Sorted: the workers finish in any order, and the same run should say the same.
    skipped = sorted(note for p, note in results if p is None)
    if not written:  # one line, the reason in it: not each skip said, then said again
        raise InputError(
            _none_drawn(kind.value, skipped), None, _fix_for_none(kind, prices, input_, db)
        )
    errors = Console(stderr=True)
    if not quiet:
        for note in skipped:
            errors.print(note, markup=False, highlight=False, soft_wrap=True)
    elif skipped:  # quiet, not silent: a missing chart is still said, in one line
        say_note(f"{len(skipped):,} of {len(results):,} charts skipped, e.g. {skipped[0]}")
    for path in written:
        console.print(str(path), markup=False, highlight=False, soft_wrap=True)
    _note_numbered_twins(jobs_list, slugs, written)


def _note_numbered_twins(jobs: list[dict], slugs: dict, written: list[Path]) -> None:
    """A line on stderr, even with --quiet, naming the series of each file numbered apart
    from a twin: "Tân Thành Bình" and "Tan Thanh Binh" make one ASCII name, and "-fan-2"
    alone did not say which of the two a file is."""
    from forecast.table import series_label

    drawn = {str(path) for path in written}
    for keys in slugs.values():
        files = [
            f"{job['path'].name} is '{series_label(job['key'])}'"
            for job in jobs
            if job["key"] in keys and str(job["path"]) in drawn
        ]
        if len(keys) > 1 and len(files) > 1:
            say_note(
                "charts of series whose names differ only in capitals, spaces, accents "
                f"or punctuation are numbered: {', '.join(files)}"
            )


def _none_drawn(kind: str, skipped: list[str]) -> str:
    """What went wrong when no chart was drawn: the (first) series and its reason."""
    what = f"no {kind} chart could be drawn"
    if not skipped:
        return what
    first = skipped[0].removeprefix("skipped ")
    if len(skipped) == 1:
        return f"{what}: {first}"
    return f"{what} for {len(skipped):,} series, e.g. {first}"


def _fix_for_none(kind: ChartKind, prices, input_: Path | None, db: Path | None) -> str:
    """How to get a chart after all. ALPS scores monthly prices only: weekly ones are folded
    into months as ``cropcast alerts`` says, from the file or from an export of the store."""
    from forecast.anomaly import alps_eligibility

    if kind is ChartKind.alerts and (alps_eligibility(prices)["reason"] == "not monthly").any():
        if input_ is not None:
            return (
                "Not monthly: weekly prices; add --freq monthly to fold them into months "
                "(each month's median)"
            )
        store_path = store_to_read(input_, db)
        if store_path is not None:  # --freq monthly on a store picks monthly series, folds none
            return (
                "Not monthly: weekly prices; fold them into months from an export: "
                f"cropcast store export --db {store_path} -o prices.csv, then "
                "cropcast plot --kind alerts -i prices.csv --freq monthly"
            )
    return "Choose other series with --series"
