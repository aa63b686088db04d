"""``cropcast bulletin``: the farmers' price outlook, weekly or monthly; ``bulletin send``."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from forecast.commands.shared import (
    CropcastGroup,
    DayfirstOption,
    DbOption,
    DecimalOption,
    DefaultOption,
    FileChucOption,
    InputOption,
    JobsOption,
    MapOption,
    QuietOption,
    SchedulerOption,
    SeriesOption,
    SheetOption,
    check_as_of,
    check_output_folder,
    console,
    counted,
    engine_options,
    files_read,
    label,
    load_for_forecast,
    local_cluster_started,
    note_flat_forecasts,
    note_held_back,
    note_jumps,
    note_outliers,
    parse_as_of,
    parse_choice,
    progress_bar,
    refuse_overwrite,
    say_note,
    store_previous_forecasts,
    store_to_read,
    where_to_fix,
)
from forecast.errors import InputError, UsageError

bulletin_app = typer.Typer(
    cls=CropcastGroup,
    help="Farmer bulletins: summary, price table, outlook and harvest notes; send them.",
    invoke_without_command=True,
)


class BulletinLang(str, Enum):
    vi = "vi"
    en = "en"


class BulletinFormat(str, Enum):
    md = "md"
    html = "html"
    txt = "txt"
    sms = "sms"


_FORMAT_WORDS = {
    BulletinFormat.md: "Markdown",
    BulletinFormat.html: "HTML",
    BulletinFormat.txt: "plain text",
    BulletinFormat.sms: "SMS text",
}
#: The formats a bulletin file's extension names (.txt may be plain text or SMS).
_SUFFIX_FORMATS = {
    ".md": (BulletinFormat.md,),
    ".markdown": (BulletinFormat.md,),
    ".html": (BulletinFormat.html,),
    ".htm": (BulletinFormat.html,),
    ".txt": (BulletinFormat.txt, BulletinFormat.sms),
    ".sms": (BulletinFormat.sms,),
}


def _format_for(fmt: BulletinFormat | None, out: Path | None) -> BulletinFormat:
    """--format, else the one -o's extension names, else Markdown; a --format the file's
    extension contradicts is refused (Markdown went into bulletin.html without a word)."""
    named = _SUFFIX_FORMATS.get(out.suffix.lower(), ()) if out is not None else ()
    if fmt is None:
        return named[0] if named else BulletinFormat.md
    if named and fmt not in named:
        raise UsageError(
            f"a {fmt.value} bulletin into a {out.suffix.lower()} file",
            "--format",
            f"Use --format {named[0].value}, or name the file bulletin"
            f"{'.txt' if fmt is BulletinFormat.sms else '.' + fmt.value}",
        )
    return fmt


#: File names a bulletin is never written to: tables and workbooks.
_DATA_SUFFIXES = (".csv", ".parquet", ".xlsx", ".xls", ".json", ".tsv")
#: Documents and images cropcast does not write: a bulletin.pdf got Markdown text.
_DOCUMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".odt", ".rtf", ".png", ".jpg", ".jpeg", ".svg")


BulletinModelOption = Annotated[
    str,
    typer.Option(
        "--model", "-m", help="Forecast model for the outlook (naive, snaive, ets, theta, ...)."
    ),
]
BulletinHorizonOption = Annotated[
    int, typer.Option("--horizon", "-h", help="Periods the outlook covers.")
]
# The bulletin's own options, taken after 'send' as well as before it (a user tries both).
NoChartsOption = Annotated[
    bool, typer.Option("--no-charts", help="HTML without the fan charts (smaller).")
]
PreviousOption = Annotated[
    Path | None,
    typer.Option(
        "--previous", help="Last period's forecasts ('cropcast forecast -o'): adds how they did."
    ),
]
NoArchiveOption = Annotated[
    bool,
    typer.Option(
        "--no-archive",
        help="Do not keep this bulletin's outlook in the store (it is kept so that the next "
        "bulletin says how it did).",
    ),
]
BulletinEngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        metavar="<engine>",
        help="Where the forecasts run: local, processes or dask (default: this process for "
        "naive, snaive, drift and window, else processes).",
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
    reading: dict | None = None,
    keep: list | None = None,
    refuse_stale: bool = False,
):
    """Prices -> forecasts, alerts, facts; model notes go to stderr. ``reading``: how the
    file writes decimals, dates and chục, and the workbook sheet to read
    (``load_for_forecast``'s ``decimal``, ``dayfirst``, ``chuc`` and ``sheet``). A series
    the file wrote per chục is quoted per chục (see :mod:`forecast.bulletin.depot`).
    ``keep``: a list that receives a function keeping the outlook in the store the bulletin
    was made from (today's bulletins only: an --as-of before the latest period gets none),
    for the caller to call once the bulletin went out, so that next period's "previous
    forecast" line grades what the farmers were sent. ``refuse_stale``: a bulletin dated
    by prices long past (no --as-of) is refused, not only noted (see :func:`_check_fresh`)."""
    from forecast.bulletin import make_bulletin
    from forecast.bulletin.depot import quote_per_chuc
    from forecast.bulletin.facts import MAX_AGE_MONTHS
    from forecast.forecasting import ForecastSpec

    spec = ForecastSpec(model=model, horizon=horizon)  # bad model or horizon: one line, exit 2
    if horizon > BULLETIN_MAX_HORIZON:  # "Next 1000 months: 700-105,000" is no outlook
        raise UsageError(
            f"a bulletin looks {horizon} periods ahead; its outlook covers "
            f"{BULLETIN_MAX_HORIZON} periods at most (months, or weeks for weekly prices)",
            "--horizon",
            "Use e.g. --horizon 3, or 'cropcast forecast' for longer",
        )
    stamp = parse_as_of(as_of)
    reports: list = []
    per_chuc: dict = {}  # series quoted per chục: a file says how it wrote each, the store's
    # ingests how its files did; the embedded data keeps canonical units
    prices, every = load_for_forecast(
        input_,
        series,
        None,
        map_,
        default,
        db,
        spec,
        **(reading or {}),
        reports=reports,
        quoted=per_chuc,
        outliers_later=True,
        stale_later=True,  # said below, as the bulletin leaves them out: note_left_out
    )
    if previous is None:  # the store's archived forecasts, for "last month we expected"
        previous = store_previous_forecasts(input_, db, stamp)
    else:
        previous = _previous_onto(previous, prices, every, per_chuc, (reading or {}).get("chuc"))
    if per_chuc:
        prices, every = quote_per_chuc(prices, per_chuc), quote_per_chuc(every, per_chuc)
        previous = quote_per_chuc(previous, per_chuc)
    if stamp is None:
        stamp = _dated_by_all(prices, every, MAX_AGE_MONTHS)
        if not prices.empty:  # dated by its prices: are they this period's?
            _check_fresh(prices, stamp, refuse=refuse_stale)
    revised = _revised_since_sent(input_, db, prices, stamp, per_chuc)
    # Before the forecasts: a bulletin needs a price in the 12 months before its date.
    check_as_of(stamp, prices, MAX_AGE_MONTHS)
    n_series = prices.groupby(["commodity", "market", "price_type", "unit", "currency"]).ngroups
    from forecast.models import model_imports

    modules = model_imports(model)
    with (
        local_cluster_started(run_on or {}, modules) as run_on,
        progress_bar(n_series, quiet) as bar,
    ):
        task = bar.add_task("forecasting", total=n_series) if bar else None
        inputs = make_bulletin(
            prices,
            model=model,
            horizon=horizon,
            as_of=stamp,
            previous_forecasts=previous,
            **(run_on or {}),
            on_done=(lambda _r: bar.advance(task)) if bar else None,
            kin_prices=every,
            nuts_per_chuc=per_chuc,
            revised=revised,
        )
    note_flat_forecasts(input_, db, prices, inputs.forecasts)
    # The outliers the outlook used: those held back as mistyped the bulletin names itself
    # ("có thể nhập sai: không dùng"), and they skew nothing.
    store_path = store_to_read(input_, db) if input_ is None else None
    where = input_ or store_path
    fix, _ = where_to_fix(input_, store_path, reports[0] if reports else None)
    if where is not None:
        note_outliers(inputs.prices, where, "outlook", fix=fix)
        held = {s.key: list(s.held_back) for s in inputs.facts.series if s.held_back}
        note_held_back(inputs.prices, held, fix, "held back from the bulletin")
    # From the prices the outlook used: before, a typo it held back was named twice (per
    # nut from the store, then per chục), and one after --as-of too.
    note_jumps(inputs.prices, where, fix)
    # Today's bulletin (an --as-of in the latest period too), not one written as of before.
    if keep is not None and (stamp is None or stamp >= prices["date"].max()):
        keep.append(lambda: _archive_outlook(input_, db, inputs, per_chuc, model, horizon))
    if not inputs.facts.series:
        raise UsageError(
            "no series has a price in the 12 months before the bulletin date",
            "--as-of",
            "Choose an earlier --as-of or other --series",
        )
    note_left_out(inputs.facts, prices)
    note_misspelt_products(inputs.facts, every, input_, store_to_read(input_, db), db)
    err = Console(stderr=True)
    for item in inputs.facts.series:
        if item.note and not quiet:
            err.print(f"note: {label(item.key)}: {item.note}", markup=False, highlight=False)
    short = tuple(
        item.key
        for item in inputs.facts.series
        if item.outlook is not None and item.outlook.direction == "too_few"
    )
    if short and not quiet:
        note = too_few_prices_note(short)
        err.print(note, markup=False, highlight=False, soft_wrap=True)
    return inputs


#: A bulletin dated by its prices is stale when they are more periods than this before
#: today's: November's prices go out in December, last week's on Monday.
STALE_AFTER_PERIODS = 2


def _today():
    import pandas as pd

    return pd.Timestamp.today().normalize()


def _check_fresh(prices, stamp, *, refuse: bool) -> None:
    """Whether the bulletin, dated by its prices (``stamp``, or the latest price's date when
    ``None``), speaks of today: a WFP file's June 2022 prices made a "next 3 months" outlook
    an officer could send in December 2026, with no word that it was 53 months old. A
    bulletin to print gets a note; one to send is refused, unless --as-of dates it so."""
    import pandas as pd

    when = pd.Timestamp(stamp if stamp is not None else prices["date"].max())
    today = _today()
    monthly = bool(prices["date"].dt.is_month_start.all())
    if monthly:
        behind = (today.year - when.year) * 12 + today.month - when.month
        unit, given = "month", f"{when:%Y-%m}"
    else:
        behind = (today - when).days // 7
        unit, given = "week", f"{when:%Y-%m-%d}"
    if behind <= STALE_AFTER_PERIODS:
        return
    said = (
        f"the latest prices are of {given}, {behind} {unit}s before today ({today:%Y-%m-%d}): "
        f"a farmer would read the outlook as this {unit}'s"
    )
    if refuse:
        raise UsageError(
            said,
            "--as-of",
            f"Bring newer prices, or give --as-of {given} to send that bulletin as of then",
        )
    say_note(f"{said}. Bring newer prices before sending it, or give --as-of {given}")


#: A series with fewer prices than this, one letter from another, is said as a likely
#: misspelling in the bulletin that shows it (two old series one letter apart are two).
NEW_SERIES_PRICES = 12


def note_misspelt_products(facts, every, input_, store_path, db, shown: int = 2) -> None:
    """One line on stderr for the bulletin's new series whose product or market is one
    letter from another series' (``forecast.table.one_letter_twins``): ingest said it, but
    whoever sends the bulletin may not have read that, and "Bưởi da xah" went out by SMS
    as a product of its own (a depot tester). Which spelling is right the prices cannot
    tell: the fix is named for the new one, "if" it is the misspelt one; in the file read
    (``input_``), or in the store (``store_path``, the --db given as ``db``)."""
    import shlex

    from forecast.table import KEY, one_letter_twins, series_label

    shown_keys = {s.key for s in facts.series}
    if not shown_keys:
        return
    counts = every.groupby(list(KEY), observed=True).size()
    pairs = []
    for a, b in one_letter_twins(every):
        for new, old in ((a, b), (b, a)):
            if new in shown_keys and counts.get(new, 0) < NEW_SERIES_PRICES <= counts.get(old, 0):
                pairs.append((new, old))
    if not pairs:
        return
    examples = "; ".join(
        f"'{series_label(new)}' ({counted(int(counts[new]), 'price')}) beside "
        f"'{series_label(old)}' ({int(counts[old]):,})"
        for new, old in pairs[:shown]
    )
    more = f" and {len(pairs) - shown} more" if len(pairs) > shown else ""
    if input_ is not None or store_path is None:
        fix = f"spell it as the other in {input_.name}" if input_ is not None else "spell it alike"
    else:
        where = f" --db {shlex.quote(str(db))}" if db is not None else ""
        fix = (
            f"take it out with 'cropcast store remove -s "
            f"{shlex.quote(series_label(pairs[0][0]))}{where}' and ingest its prices under the "
            "other name"
        )
    say_note(
        f"{len(pairs)} new series in this bulletin {'is' if len(pairs) == 1 else 'are'} one "
        f"letter from a series with a longer history: {examples}{more}; if the new one is "
        f"misspelt, {fix} before sending"
    )


def note_left_out(facts, prices, shown: int = 2) -> None:
    """One line on stderr for the series the bulletin leaves out (``facts.stale``): no price
    in the ``MAX_AGE_MONTHS`` months before its date. ``forecast``'s note on series that
    stopped ("their forecasts start from their own last price") was said of them here too,
    where they are not forecast, and not said against the bulletin's own date (--as-of).
    Said on stderr whatever the format: an SMS bulletin does not list them, a file
    written with -o is not read at once."""
    from forecast.bulletin.facts import MAX_AGE_MONTHS, truncate
    from forecast.table import KEY, series_label, table_freq

    # A week's bulletin names weeks: "(2023-02): ... (from 2023-02)" of a bulletin of the
    # week of 30 January, and a series from 6 February, read as one month (a review).
    day = "%Y-%m-%d" if table_freq(prices) == "weekly" else "%Y-%m"
    # Series whose first price comes after the bulletin's date (--as-of) are not in it
    # either: a planner who asked for Colombo's coconuts as of 2022-06 got rice alone, and
    # no word why (they start in 2023-06).
    firsts = prices.groupby(list(KEY), observed=True)["date"].min()
    later = firsts[firsts > facts.as_of].sort_values()
    if not later.empty:
        examples = "; ".join(
            f"{series_label(key)} (from {first:{day}})" for key, first in later[:shown].items()
        )
        more = f" and {len(later) - shown} more" if len(later) > shown else ""
        them = "it" if len(later) == 1 else "them"
        say_note(
            f"{len(later):,} series {'is' if len(later) == 1 else 'are'} left out of the "
            "bulletin, with no "
            f"price on or before its date ({facts.as_of:{day}}): {examples}{more}; give a "
            f"later --as-of to include {them}"
        )
    if not facts.stale:
        return
    # The prices the bulletin was made from (make_bulletin's), where each stale series is.
    last = truncate(prices, facts.as_of).groupby(list(KEY), observed=True)["date"].max()
    oldest_first = sorted(facts.stale, key=lambda key: (last[key], key))
    examples = "; ".join(f"{series_label(key)} ({last[key]:{day}})" for key in oldest_first[:shown])
    left = len(facts.stale)
    more = f" and {left - shown} more" if left > shown else ""
    say_note(
        f"{left} of {left + len(facts.series) + len(later)} series "
        f"{'is' if left == 1 else 'are'} "
        f"left out of the bulletin, "
        f"with no price in the {MAX_AGE_MONTHS} months before its date "
        f"({facts.as_of:{day}}): {examples}{more}"
    )


def _revised_since_sent(input_, db, prices, stamp, per_chuc: dict):
    """The store's prices that changed under the last bulletin it kept before this one,
    dated ``stamp`` (corrected by a later file, or come late), in the bulletin's units;
    ``None`` without a store."""
    path = store_to_read(input_, db)
    if path is None:
        return None
    import pandas as pd

    from forecast.bulletin.depot import quote_per_chuc
    from forecast.bulletin.facts import period_of, truncate
    from forecast.store import changed_since_bulletin, open_store

    known = truncate(prices, stamp)
    if known.empty:
        return None
    # This bulletin's period starts on its week's Monday or its month's first day,
    # whichever is later: a month's bulletin and a week's both find the one before theirs.
    stamp = known["date"].max() if stamp is None or pd.isna(stamp) else stamp
    start = max(period_of(stamp, "weekly"), period_of(stamp, "monthly"))
    changed = changed_since_bulletin(open_store(path), known["date"].max(), start)
    if changed.empty or not per_chuc:
        return changed
    was = quote_per_chuc(changed.assign(price=changed["was"]), per_chuc)["price"]
    return quote_per_chuc(changed, per_chuc).assign(was=was)


def _note_ungraded(earlier, inputs, path) -> None:
    """A --previous file that grades no series of the bulletin is said: its "how the
    previous forecast did" line was missing without a word (another file's forecasts, or
    forecasts of periods the bulletin has no price of)."""
    if earlier is None or earlier.empty or not inputs.facts.series:
        return
    if any(s.accuracy is not None for s in inputs.facts.series):
        return
    dates = earlier["date"]
    say_note(
        f"--previous {path.name}: none of its forecasts is of a series and period this "
        f"bulletin has a price for (it forecasts {dates.min():%Y-%m-%d} to "
        f"{dates.max():%Y-%m-%d}; the bulletin's prices are of {inputs.facts.as_of:%Y-%m-%d}), "
        "so the bulletin says nothing of how it did"
    )


def _previous_onto(previous, prices, every, per_chuc: dict, chuc: int | None):
    """--previous's forecasts on this run's series: a forecast file names them as its input
    file did, in its units ("KG", per bag: write_as_given), perhaps otherwise than this
    period's file or the store does (``per_chuc``: the nuts in each series' chục). A series
    chosen here that --previous forecast only in a unit or currency that does not convert
    is said: its grade would be missing unsaid."""
    from forecast.clean.respell import onto_series, ungraded
    from forecast.table import KEY, series_label

    def keys(frame) -> set:
        return set(frame[list(KEY)].drop_duplicates().itertuples(index=False, name=None))

    previous, unmatched = onto_series(previous, keys(every), per_chuc, chuc or 12)
    missed = ungraded(unmatched, previous, keys(prices))
    if missed:
        say_note(
            f"{len(missed):,} series of --previous meet no series here in their unit or "
            f"currency, e.g. {series_label(missed[0])}: not graded"
        )
    return previous


def _dated_by_all(prices, every, max_age_months: int):
    """The bulletin's date when no --as-of is given: the latest price of all the data, not
    of the series --series chose. A series that stopped is then shown as one with no new
    price, as in the whole bulletin, instead of dating the bulletin back to its last price
    (a June 2022 bulletin for An Giang rice, from data running to 2025). ``None`` when the
    chosen series run to the end (the bulletin's own default)."""
    import pandas as pd

    from forecast.errors import CropcastError
    from forecast.table import KEY, infer_freq, told_freq

    if every is None or every.empty or prices.empty:
        return None
    # A chosen week dated Monday the 1st is on the frequency told for it in the whole table.
    told = told_freq(every)
    chosen = prices[list(KEY)].drop_duplicates().itertuples(index=False, name=None)
    said = {told(key) for key in chosen}
    try:
        freq = infer_freq(prices["date"], said.pop() if len(said) == 1 else None)
    except CropcastError:  # weeks and months chosen together: the bulletin's own default
        return None
    # Only series on the chosen ones' grid: a week starting 1 December is not a month of
    # prices after November's (a store may hold weekly and monthly series).
    on_grid = (
        every["date"].dt.is_month_start if freq == "monthly" else every["date"].dt.day_of_week == 0
    )
    alike = on_grid.groupby([every[c] for c in KEY], observed=True).transform("all")
    latest, theirs = every.loc[alike, "date"].max(), prices["date"].max()
    if pd.isna(latest) or theirs >= latest:
        return None
    if theirs <= latest - pd.DateOffset(months=max_age_months):
        when = f"{theirs:%Y-%m}" if freq == "monthly" else f"{theirs:%Y-%m-%d}"  # its week
        raise UsageError(
            f"the series chosen stopped in {when}, more than {max_age_months} months "
            f"before the data's latest price ({latest:%Y-%m})",
            "--series",
            f"Give --as-of {when} for a bulletin as of then, or other --series",
        )
    return pd.Timestamp(latest)


#: The furthest a farmers' bulletin looks ahead, in periods.
BULLETIN_MAX_HORIZON = 24


def _archive_outlook(input_, db, inputs, per_chuc, model: str, horizon: int) -> None:
    """The bulletin's forecasts into its store, in the store's units, as a run whose source
    is "bulletin" (see ``forecast.store.previous_forecasts``)."""
    path = store_to_read(input_, db)
    if path is None or inputs.forecasts is None or inputs.forecasts.empty:
        return
    from types import SimpleNamespace

    from forecast.bulletin.depot import quote_per_nut
    from forecast.forecasting import ForecastSpec
    from forecast.store import StoreNotWritable, archive_forecasts, open_store

    forecasts = quote_per_nut(inputs.forecasts, per_chuc)
    spec = ForecastSpec(model=model, horizon=horizon)
    as_of = inputs.prices["date"].max()
    try:
        store = open_store(path)
        if _kept_already(store, forecasts, model, horizon, as_of):
            return
        run = SimpleNamespace(forecasts=forecasts)
        archive_forecasts(store, run, spec, as_of, source="bulletin")
    except StoreNotWritable as exc:
        # Called once the bulletin is written or sent: failing now would have a rerun
        # send it twice. Said, even with --quiet; next period's "previous forecast" line
        # has nothing to grade.
        say_note(
            f"the bulletin's outlook was not kept in {exc.where}: {exc.what}; next "
            "period's bulletin cannot grade it"
        )


def _kept_already(store, forecasts, model: str, horizon: int, as_of) -> bool:
    """Whether the store's latest bulletin run from the same prices holds these very
    forecasts (the same bulletin in another format, or sent after a preview). Another
    --series, or prices a later file corrected, make another run, which is kept."""
    import numpy as np
    import pandas as pd

    from forecast.store import archived_forecasts, forecast_runs
    from forecast.table import KEY

    runs = forecast_runs(store)
    same = runs[
        (runs["source"] == "bulletin")
        & (runs["model"] == model)
        & (runs["horizon"] == horizon)
        & (pd.to_datetime(runs["as_of"]) == pd.Timestamp(as_of))
    ]
    if same.empty:
        return False
    earlier = archived_forecasts(store, int(same["run_id"].max()))
    columns = [*KEY, "date"]
    mine = forecasts.assign(date=pd.to_datetime(forecasts["date"])).sort_values(columns)
    theirs = earlier.assign(date=pd.to_datetime(earlier["date"])).sort_values(columns)
    if len(mine) != len(theirs):
        return False
    keys_match = (mine[columns].to_numpy() == theirs[columns].to_numpy()).all()
    values = mine["forecast"].to_numpy(float), theirs["forecast"].to_numpy(float)
    return bool(keys_match and np.allclose(*values, rtol=1e-9, equal_nan=True))


def too_few_prices_note(keys: tuple[tuple, ...]) -> str:
    """One line for all series too short for an outlook, instead of a note (or a model
    failure) each."""
    from forecast.bulletin.facts import MIN_OUTLOOK_PRICES

    have, them = ("has", "it") if len(keys) == 1 else ("have", "them")
    example = label(keys[0]) + (f" and {len(keys) - 1:,} more" if len(keys) > 1 else "")
    return (
        f"note: {len(keys):,} series {have} fewer than {MIN_OUTLOOK_PRICES} prices "
        f"({example}): the bulletin gives no outlook for {them} yet"
    )


@bulletin_app.callback()
def bulletin_cmd(
    ctx: typer.Context,
    input_: InputOption = None,
    series: SeriesOption = None,
    lang: Annotated[
        BulletinLang,
        typer.Option(
            "--lang",
            help="Language.",
            parser=parse_choice(BulletinLang, "--lang"),
            metavar="[vi|en]",
        ),
    ] = BulletinLang.vi,
    fmt: Annotated[
        BulletinFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="md, html, txt or sms (default: from the -o file name's extension, else md).",
            parser=parse_choice(BulletinFormat, "--format"),
            metavar="[md|html|txt|sms]",
        ),
    ] = None,
    as_of: BulletinAsOfOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "--output", "-o", help="Write here instead of printing."),
    ] = None,
    model: BulletinModelOption = "auto",
    horizon: BulletinHorizonOption = 3,
    no_charts: NoChartsOption = False,
    previous: PreviousOption = None,
    map_: MapOption = None,
    default: DefaultOption = None,
    decimal: DecimalOption = None,
    dayfirst: DayfirstOption = None,
    chuc: FileChucOption = None,
    sheet: SheetOption = None,
    db: DbOption = None,
    jobs: JobsOption = None,
    engine: BulletinEngineOption = None,
    scheduler: SchedulerOption = None,
    no_archive: NoArchiveOption = False,
    quiet: QuietOption = False,
) -> None:
    """Write the price bulletin: one summary sentence, a table, outlook and harvest notes.

    With no options: the embedded data in Vietnamese Markdown on stdout. 'send' delivers it,
    with the options given before 'send' too (bulletin --db STORE send ...).
    """
    if ctx.invoked_subcommand is not None:
        # 'send' reads the options given here (``_send_options``): returning unsaid
        # sent the embedded data to the district's farmers instead of --db's prices.
        _refuse_what_send_cannot_use(ctx)
        return
    from forecast.bulletin import fan_charts, render

    fmt = _format_for(fmt, out)
    name = f"bulletin.{'txt' if fmt is BulletinFormat.sms else fmt.value}"
    if out is not None and out.is_dir():  # say so now, not after the forecasts have run
        raise UsageError("is a folder; -o needs a file name", str(out), f"Use e.g. -o {out / name}")
    check_output_folder(out, "-o", name)
    reads = {**files_read(input_, db), "the previous forecasts (--previous)": previous}
    refuse_overwrite(out, "--out", reads)
    if out is not None and out.suffix.lower() in _DATA_SUFFIXES:
        # A bulletin is text for people; a table name would get Markdown without a word.
        raise UsageError(
            f"a bulletin is {_FORMAT_WORDS[fmt]}, not a {out.suffix.lower()[1:].upper()} table",
            str(out),
            f"Use e.g. -o {out.with_name(name)}, or --format to choose another kind of text",
        )
    if out is not None and out.suffix.lower() in _DOCUMENT_SUFFIXES:
        raise UsageError(
            f"cropcast writes a bulletin as text (Markdown, HTML, plain or SMS), not as a "
            f"{out.suffix.lower()[1:].upper()} file",
            str(out),
            f"Use e.g. -o {out.with_name('bulletin.html')} (a browser prints it to PDF)",
        )
    earlier = None
    if previous is not None:
        from forecast.bulletin.facts import read_forecasts

        earlier = read_forecasts(previous)
    run_on = engine_options(engine, jobs, scheduler, None)
    keep: list | None = None if no_archive else []
    inputs = _make_bulletin(
        input_,
        series,
        model,
        horizon,
        as_of,
        quiet,
        earlier,
        map_,
        default,
        db,
        run_on,
        {"decimal": decimal, "dayfirst": dayfirst, "chuc": chuc, "sheet": sheet},
        keep=keep,
    )
    _note_ungraded(earlier, inputs, previous)
    charts = None
    if fmt is BulletinFormat.html and not no_charts:
        charts = fan_charts(inputs, lang.value)
    text = render(inputs.facts, lang.value, fmt.value, charts)
    if out is None:
        typer.echo(text, nl=False)
    else:
        from forecast.io.replace import replaced

        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            with replaced(out, "-o") as temporary:  # whole or not at all
                temporary.write_text(
                    text, encoding="ascii" if fmt is BulletinFormat.sms else "utf-8"
                )
        except OSError as exc:  # a file where a folder should be, no permission, a full disk
            raise UsageError(
                f"cannot write there: {exc.strerror or exc}", str(out), "Choose another -o"
            ) from None
    for kept in keep or ():  # the bulletin is out: keep its outlook
        kept()
    if out is not None and not quiet:
        console.print(
            f"wrote the {fmt.value} bulletin ({len(inputs.facts.series)} series) to {out}",
            markup=False,
        )


#: The options of a bulletin file that a delivery has no use for, and why.
_NOT_FOR_SEND = {
    "lang": (
        "each subscriber gets the language of their row in --subscribers",
        "Remove --lang, or set the language column of --subscribers",
    ),
    "fmt": (
        "send e-mails HTML with a plain-text copy and writes SMS text into --outbox",
        "Remove --format",
    ),
    "out": (
        "send writes its SMS files into --outbox and e-mails the rest",
        "Remove it, or give 'send' --outbox FOLDER",
    ),
}


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether the user gave option ``name`` rather than leaving its default. (Compared by
    name: Typer may bring its own copy of Click's ``ParameterSource``.)"""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def _option_name(ctx: typer.Context, name: str) -> str:
    """The option as the user writes it: ``--db`` for ``db``, ``-f/--format`` for ``fmt``."""
    param = next(p for p in ctx.command.params if p.name == name)
    return "/".join(sorted(param.opts, key=len))


def _refuse_what_send_cannot_use(ctx: typer.Context) -> None:
    """One line for an option given before 'send' that a delivery cannot use: said, not
    silently dropped."""
    for name, (why, fix) in _NOT_FOR_SEND.items():
        if _given(ctx, name):
            raise UsageError(
                f"does not apply to 'bulletin send': {why}", _option_name(ctx, name), fix
            )


def _shown(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def _send_options(ctx: typer.Context) -> dict:
    """send's options, with those given before 'send' (``bulletin --db STORE send``): such
    an option is used unless send's own is given too; given both ways with two values,
    which one the user meant is not guessed (but --map and --default, which may be
    repeated, are read from both sides). --previous, --no-charts and --no-archive may be
    given on either side."""
    group = ctx.parent
    options = {**group.params, **ctx.params}
    for name, value in group.params.items():
        if not _given(group, name):
            continue
        if name in ("map_", "default") and name in ctx.params and _given(ctx, name):
            # --map and --default may be repeated: both sides' pairs are read (parse_pairs
            # refuses a name given in two of them).
            options[name] = [*value, *ctx.params[name]]
            continue
        if name in ctx.params and _given(ctx, name) and ctx.params[name] != value:
            raise UsageError(
                f"given twice, as {_shown(value)} before 'send' and {_shown(ctx.params[name])} "
                "after it",
                _option_name(group, name),
                "Give it once",
            )
        options[name] = value
    return options


def _check_writable(outbox: Path) -> None:
    """Make ``outbox`` and write a file into it, before anything is sent: a folder that
    cannot be written was found after the e-mails had gone, and the rerun sent them twice.
    (Asking for write permission is no answer for root, who is told yes regardless.)"""
    import os

    probe = outbox / f".cropcast-{os.getpid()}.probe"
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(
            f"cannot write SMS files there: {(exc.strerror or str(exc)).lower()}",
            f"--outbox {outbox}",
            "Name a folder you can write to; nothing was sent",
        ) from None


@bulletin_app.command("send")
def bulletin_send(
    ctx: typer.Context,
    subscribers: Annotated[
        Path,
        typer.Option(
            "--subscribers",
            help="CSV with columns name, email, phone, language, commodities (';'-separated).",
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
    model: BulletinModelOption = "auto",
    horizon: BulletinHorizonOption = 3,
    map_: MapOption = None,
    default: DefaultOption = None,
    decimal: DecimalOption = None,
    dayfirst: DayfirstOption = None,
    chuc: FileChucOption = None,
    sheet: SheetOption = None,
    db: DbOption = None,
    jobs: JobsOption = None,
    engine: BulletinEngineOption = None,
    scheduler: SchedulerOption = None,
    no_charts: NoChartsOption = False,
    previous: PreviousOption = None,
    no_archive: NoArchiveOption = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="No progress bar; the delivery table, the result, still prints."
        ),
    ] = False,
) -> None:
    """Send each subscriber their commodities in their language: e-mail and SMS files.

    Exits 1 when any delivery failed (after 3 attempts; the others are still delivered) or
    when every one was skipped (no subscriber's commodities have a series). Options given
    before 'send' (cropcast bulletin --db STORE send ...) are used as if given here.
    """
    from forecast.bulletin.deliver import check_sender, deliver, parse_smtp, read_subscribers

    options = _send_options(ctx)

    # Every option is checked before anything is sent: a bad --outbox found after the
    # e-mails had gone out meant sending them all twice on the rerun.
    if outbox.exists() and not outbox.is_dir():
        raise UsageError("is a file; --outbox needs a folder", str(outbox), "Name a folder")
    if any(parent.is_file() for parent in outbox.parents):
        raise UsageError(
            "cannot be made: a file is in its path", str(outbox), "Name another folder"
        )
    try:
        check_sender(sender)
    except ValueError as exc:
        raise UsageError(str(exc), "--from", "Use e.g. --from bantin@example.vn") from None
    people = read_subscribers(subscribers)
    if not dry_run and any(p.phone for p in people):
        _check_writable(outbox)
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
    run_on = engine_options(options["engine"], options["jobs"], options["scheduler"], None)
    earlier = None
    if options["previous"] is not None:
        from forecast.bulletin.facts import read_forecasts

        earlier = read_forecasts(options["previous"])
    keep: list | None = None if options["no_archive"] else []
    inputs = _make_bulletin(
        options["input_"],
        options["series"],
        options["model"],
        options["horizon"],
        options["as_of"],
        options["quiet"],
        earlier,
        options["map_"],
        options["default"],
        options["db"],
        run_on,
        {name: options[name] for name in ("decimal", "dayfirst", "chuc", "sheet")},
        keep=keep,
        refuse_stale=True,
    )
    _note_ungraded(earlier, inputs, options["previous"])
    report = deliver(
        inputs,
        people,
        smtp=server,
        outbox=outbox,
        sender=sender,
        dry_run=dry_run,
        charts=not options["no_charts"],
    )
    # What the farmers were sent, kept for next period's "previous forecast" line; nothing
    # when no delivery went out.
    if not dry_run and any(line.status in ("sent", "written") for line in report):
        for kept in keep or ():
            kept()
    styles = {"sent": "green", "written": "green", "dry-run": "cyan", "merged": "cyan"}
    styles["skipped"] = "yellow"
    table = Table(title=f"Bulletin delivery ({counted(len(people), 'subscriber')})")
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
        # The table cuts long errors at 80 columns: the first one, whole, says what to fix.
        first = failed[0]
        Console(stderr=True, soft_wrap=True).print(
            f"error: {len(failed):,} of {len(report):,} deliveries failed; {first.name} "
            f"({first.channel}): {first.error}. "
            + (
                "Check --smtp (the mail server and port), or try the run with --dry-run"
                if first.channel == "email"
                else "Check that --outbox is a folder you can write to"
            ),
            markup=False,
        )
        raise typer.Exit(1)
    if not any(line.status in ("sent", "written", "dry-run") for line in report):
        # Every line skipped: a run that delivered nothing must not look like a success.
        raise InputError(
            "nothing was delivered: no subscriber's commodities have a series with recent prices",
            str(subscribers),
            "Check the commodities column against the bulletin's series (the table says which)",
        )
