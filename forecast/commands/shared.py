"""What every cropcast command shares: the console, one-line errors, options, loading.

Imports only Typer, Rich and cropcast's errors at module level: ``cropcast --help`` and the
argument checks that run before the workers start must not wait for pandas.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from enum import Enum
from itertools import pairwise
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from typer.core import TyperGroup

from forecast.errors import CropcastError, UsageError


class _Console(Console):
    """Rich's console, ending like a Unix tool when the reader leaves the pipe."""

    def on_broken_pipe(self) -> None:
        # Rich's own exits 1, which `data check` uses to say rows would be refused.
        self.quiet = True
        _stdout_to_devnull()
        raise SystemExit(141)


def _stdout_to_devnull() -> None:
    """Point stdout at nothing, so that the exit's own flush cannot fail again."""
    with suppress(OSError, ValueError):  # a stdout with no file behind it (tests)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


console = _Console()


class _NoteHandler(logging.Handler):
    """Warnings from the package's own loggers (a worker process died) as ``note:`` lines on
    the stderr of the moment (a test runner swaps it), above any progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        say_note(record.getMessage())


def _say_package_warnings() -> None:
    logger = logging.getLogger("forecast")
    if not any(isinstance(h, _NoteHandler) for h in logger.handlers):
        logger.addHandler(_NoteHandler(logging.WARNING))
        logger.propagate = False  # not twice through a root handler


#: A command a note gives to paste: kept whole on a line of its own when the note wraps (a
#: break between its arguments made a paste run half of it).
_COMMAND_IN_NOTE = re.compile(r"cropcast store remove .*? --yes|'cropcast [^']*'")
_NO_BREAK = "\u00a0"  # textwrap breaks lines at ASCII whitespace only


def say_note(text: str) -> None:
    """A note on stderr: ``note: text``, one line. On a terminal it is wrapped at its words
    to the terminal's width (as Rich finds it for stderr, the progress bars' own, whatever
    stdout is), the lines after the first indented under its text: the terminal cut long
    notes at its edge in mid-word ('se' / 'ries'). A command to paste stays whole. Piped
    into a log or a script it stays one line, to grep."""
    line = f"note: {text}"
    err = Console(stderr=True)
    if err.is_terminal:
        import textwrap

        kept = _COMMAND_IN_NOTE.sub(lambda m: m.group(0).replace(" ", _NO_BREAK), line)
        line = "\n".join(
            textwrap.fill(
                part,
                width=max(err.width - 1, 40),
                subsequent_indent=" " * len("note: "),
                break_long_words=False,
                break_on_hyphens=False,
            )
            for part in kept.split("\n")
        ).replace(_NO_BREAK, " ")
    typer.echo(line, err=True)


#: Click's usage errors (a bad option value, an unknown option or command), from the click
#: Typer vendors (typer >= 0.20) or the separate one.
_ClickUsageError = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


def _usage_error_line(exc, ctx) -> None:
    """Click's usage error as one line, not Typer's box: what is wrong and where to look.

    ``cropcast`` alone still prints its help (click signals that with a usage error too).
    """
    if type(exc).__name__ == "NoArgsIsHelpError":
        raise exc
    # Some parser errors carry no context: then the command last resolved is the one.
    where = exc.ctx.command_path if exc.ctx is not None else ctx.meta.get(_COMMAND, "cropcast")
    what = " ".join(exc.format_message().split()).rstrip(".")
    stop = "" if what.endswith(("?", "!")) else "."  # not "Did you mean 'plot'?."
    typer.echo(f"error: {what}{stop} Run '{where} --help' for the options", err=True)
    raise typer.Exit(exc.exit_code)


_COMMAND = "cropcast.command"  # ctx.meta key: the command being run, for usage errors

#: Words a user types for what a command does (the brief speaks of "charts"), and the
#: command that does it; Click's own guess offers names spelt alike ('charts': 'alerts').
COMMAND_WORDS = {
    "chart": "plot",
    "charts": "plot",
    "graph": "plot",
    "draw": "plot",
    "predict": "forecast",
    "forecasts": "forecast",
    "import": "ingest",
    "load": "ingest",
    "add": "ingest",
    "alert": "alerts",
    "calendars": "calendar",
    "bulletins": "bulletin",
    "newsletter": "bulletin",
}


def one_line_paragraphs(text: str) -> str:
    """``text`` (a docstring) with each paragraph's lines joined; a paragraph Click is told
    to keep as it is (``\\b`` first) is kept."""
    import inspect

    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        p if p.startswith("\b") else " ".join(line.strip() for line in p.splitlines())
        for p in paragraphs
    )


def _refuse_empty_paths(command) -> None:
    """Every path option or argument of ``command`` refuses an empty value (a script's
    unset variable, ``-o "$OUT"``): Typer reads '' as the current folder, so the refusal
    named '.' ("'.' is a folder"), which the user never typed. (A path option with a
    parser of its own, plot's ``--out``, says it its own way.)"""
    for param in command.params:
        described = getattr(param, "type_descriptor", None)
        if (
            described is None
            or described.annotation not in (Path, list[Path])
            or getattr(described.parameter_info, "parser", None) is not None
            or "process_value" in vars(param)  # wrapped already
        ):
            continue
        param.process_value = _nonempty(param, param.process_value)


#: Typer (0.29) names an option's value by its Python type; these read as the user's words.
_VALUE_NAMES = {"<str>": "<text>", "<list[str]>": "<text>", "<list[Path]>": "<path>"}


def _readable_types(command, ctx) -> None:
    """The value each option and argument of ``command`` takes, in the help's words:
    Typer's rich help wrote ``<bool>`` beside every flag (``--quiet <bool>``, as if it took
    a value; its plain help writes nothing there) and Python's types for text and files
    (``--series <list[str]>``, ``FILES <list[Path]>``)."""
    for param in [*command.params, command.get_help_option(ctx)]:
        option = hasattr(param, "is_flag")  # an argument's metavar is its name, not its type
        if param is None or "display_type_rich" in vars(param) or option and param.metavar:
            continue  # done already, or an option whose value its declaration names
        if option and param.is_flag:
            param.display_type_rich = _no_value
            continue
        shown = param.display_type_rich(ctx=ctx)
        if shown in _VALUE_NAMES:
            param.display_type_rich = _named(_VALUE_NAMES[shown])


def _no_value(ctx) -> None:
    return None


def _named(words: str):
    return lambda ctx: words


def _nonempty(param, process_value):
    def checked(ctx, value):
        given = value if isinstance(value, list | tuple) else [value]
        if any(isinstance(one, str) and not one.strip() for one in given):
            raise typer.BadParameter(
                "the value is empty (an unset variable in a script?); give a path",
                ctx=ctx,
                param=param,
            )
        return process_value(ctx, value)

    return checked


def _show_reading(command) -> None:
    """``command`` shows on a terminal what reading and cleaning its file do, when that
    takes long (see forecast.commands.status); not with --quiet."""
    if "invoke" in vars(command):
        return  # wrapped already
    # A group too: `bulletin` reads its file in the group's own callback (its subcommands,
    # looked up through the group, are wrapped in their turn and show their own).
    invoke = command.invoke

    def shown(ctx):
        from forecast.commands.status import reading_status

        with reading_status(quiet=bool(ctx.params.get("quiet"))):
            return invoke(ctx)

    command.invoke = shown


def _check_args(command) -> None:
    """Two readings of a command's arguments that Click gets wrong for a user:

    * A flag and its opposite both given (``--dayfirst --monthfirst``) are refused by
      name: Click takes the last one, and a file was read month-first by a user who had
      asked for day-first too.
    * ``-h`` alone shows the help where ``-h`` is nothing else: it is what a user types
      first for help, and was refused ("No such option: -h"). Where ``-h`` is
      ``--horizon``, the refusal says so and where the help is: a script's ``-h "$H"``
      with ``H`` unset must still fail, not print the help and exit 0.
    """
    pairs = [
        param
        for param in command.params
        if getattr(param, "secondary_opts", None) and getattr(param, "opts", None)
    ]
    horizon = next((p for p in command.params if "-h" in (getattr(p, "opts", None) or ())), None)
    if "parse_args" in vars(command):  # checked already
        return
    parse_args = command.parse_args

    def checked(ctx, args):
        if list(args) == ["-h"]:
            if horizon is not None:
                raise typer.BadParameter(
                    "-h is the horizon here and needs a number of periods, e.g. -h 12 "
                    "(--help shows the help)",
                    ctx=ctx,
                    param=horizon,
                )
            typer.echo(command.get_help(ctx))
            ctx.exit(0)
        options = args[: args.index("--")] if "--" in args else args
        for param in pairs:
            said = [a for a in options if a in param.opts or a in param.secondary_opts]
            other = [a for a in said if (a in param.opts) != (said[0] in param.opts)]
            if other:  # named in the order typed
                raise typer.BadParameter(
                    f"{said[0]} and {other[0]} say opposite things; give one of them",
                    ctx=ctx,
                    param=param,
                )
        return parse_args(ctx, args)

    command.parse_args = checked


class CropcastGroup(TyperGroup):
    """Turns a ``CropcastError`` anywhere below into one line on stderr and its exit code;
    so too click's usage errors (exit 2)."""

    def format_commands(self, ctx, formatter) -> None:
        """The plain help's commands (a terminal under 80 columns, see cli.py), each with
        its whole description wrapped: Click cut them to the line ('the store,...')."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10**4)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def get_command(self, ctx, name):
        """The command, its help's paragraphs each on one line: Typer (0.29) keeps a
        docstring's line breaks past the first paragraph, so at 80 columns every source
        line ended early ("a currency" / "'NGHIN')" / "leaves series..."), and Rich wraps
        one-line paragraphs to the terminal instead."""
        command = super().get_command(ctx, name)
        if command is not None and command.help:
            command.help = one_line_paragraphs(command.help)
        if command is not None:
            _refuse_empty_paths(command)
            _check_args(command)
            _readable_types(command, ctx)
            _show_reading(command)
        return command

    def get_params(self, ctx):
        _readable_types(self, ctx)  # the root's and each group's own (--debug, --help)
        return super().get_params(ctx)

    def resolve_command(self, ctx, args):
        if args and args[0] in COMMAND_WORDS and args[0] not in self.commands:
            # A word for what a command does, not its name: "charts" was offered 'alerts'.
            given, meant = args[0], COMMAND_WORDS[args[0]]
            if meant in self.commands:
                raise _ClickUsageError(f"No such command '{given}'. Did you mean '{meant}'?", ctx)
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta[_COMMAND] = f"{ctx.command_path} {name}"  # meta is shared down the tree
        return name, command, rest

    def parse_args(self, ctx, args):
        if list(args) == ["-h"]:  # what a user types first for help (see _check_args)
            typer.echo(self.get_help(ctx))
            ctx.exit(0)
        try:  # the root's own options: `cropcast --bogus`
            return super().parse_args(ctx, args)
        except _ClickUsageError as exc:
            _usage_error_line(exc, ctx)

    def invoke(self, ctx):
        _say_package_warnings()
        try:
            return super().invoke(ctx)
        except _ClickUsageError as exc:  # a command's options, or a command not known
            _usage_error_line(exc, ctx)
        except CropcastError as exc:
            if _debug(ctx):
                raise
            typer.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # The reader left (`cropcast data check F | head`): stop quietly, as Unix tools
            # do (output through `console` ends in _Console.on_broken_pipe instead).
            _stdout_to_devnull()
            ctx.exit(141)
        except OSError as exc:
            if _debug(ctx):
                raise
            from forecast.io.replace import FULL

            if exc.filename is None and exc.errno in FULL:  # printing to a full disk
                typer.echo(f"error: could not write the output: {exc.strerror.lower()}", err=True)
                ctx.exit(1)
            if exc.filename is None or not exc.strerror:
                _unexpected(ctx, exc)
            # A path the user gave: a directory where a file goes, a folder that does not
            # exist or cannot be written. Theirs to fix, as a bad option is.
            typer.echo(f"error: {path_error_line(exc)}", err=True)
            ctx.exit(2)
        except UnicodeEncodeError as exc:  # an output that cannot carry "Lúa"
            if _debug(ctx):
                raise
            typer.echo(
                f"error: the output cannot show '{exc.object[exc.start : exc.end]}' (its "
                f"encoding is {exc.encoding}). Set PYTHONIOENCODING=utf-8, or a UTF-8 locale",
                err=True,
            )
            ctx.exit(1)
        except Exception as exc:
            # Typer's own signals (Exit, Abort, usage errors) pass through untouched; whether
            # click is vendored (typer >= 0.20) or separate, they come from those modules.
            if type(exc).__module__.split(".")[0] in ("typer", "click") or _debug(ctx):
                raise
            if _interrupted_query(exc):  # Ctrl-C while DuckDB worked: DuckDB's own error
                typer.echo("interrupted", err=True)
                ctx.exit(130)
            _unexpected(ctx, exc)


def path_error_line(exc: OSError) -> str:
    """The error line for an output path that could not be written, naming the cause.

    "no such file or directory" for /proc/fc.csv sent users looking for a typo, and the
    hint that charts take a folder fits only a file and a folder taken for each other.
    """
    from forecast.io.replace import folder_refused

    path = Path(exc.filename)
    why = exc.strerror.lower()
    if isinstance(exc, FileExistsError):  # making a folder where a file is
        return f"{path}: is a file, not a folder. {_FILE_OR_FOLDER}"
    if isinstance(exc, (IsADirectoryError, NotADirectoryError)):
        return f"{path}: {why}. {_FILE_OR_FOLDER}"
    if folder_refused(exc, path):  # the folder is there, and takes no new file (or folder)
        return (
            f"{path}: the folder {path.parent} cannot be written ({why}). "
            "Write into a folder you can write to"
        )
    return f"{path}: {why}. Check the path, and that what is written goes into a folder that exists"


_FILE_OR_FOLDER = "Check the path: charts take a folder, tables and bulletins a file name"


def _interrupted_query(exc: BaseException) -> bool:
    """DuckDB turns Ctrl-C into its own error (``InterruptException``, or a RuntimeError
    "Query interrupted" from a result being fetched): the store rolls back as it would."""
    return type(exc).__name__ == "InterruptException" or str(exc).strip() == "Query interrupted"


def _command_words(ctx) -> list[str]:
    """The command's words after 'cropcast' ("data", "list"): --debug goes before them."""
    words = []
    root = ctx.find_root() if ctx is not None else None
    while ctx is not None and ctx.parent is not None:
        words.insert(0, ctx.info_name)
        ctx = ctx.parent
    if words or root is None:
        return words
    # Raised where only the root's context is at hand (the command's own had closed): the
    # command's names as typed ("ingest"; "store", "remove").
    group = root.command
    for arg in sys.argv[1:]:
        if arg.startswith("-"):
            continue
        sub = getattr(group, "commands", {}).get(arg)
        if sub is None:
            break
        words.append(arg)
        group = sub
    return words


def _unexpected(ctx, exc: BaseException) -> None:
    """A bug: still one line, with the way to see more."""
    where = traceback.extract_tb(exc.__traceback__)[-1]
    again = " ".join(["cropcast", "--debug", *_command_words(ctx), "..."])
    typer.echo(
        f"error: unexpected {type(exc).__name__}: {exc} (at {Path(where.filename).name}:"
        f"{where.lineno}). Run again as '{again}' for the traceback and report it",
        err=True,
    )
    ctx.exit(1)


def _debug(ctx) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("debug"))


class Freq(str, Enum):
    monthly = "monthly"
    weekly = "weekly"


# --- options and their parsing ----------------------------------------------------------------

# Lists: each may be given more than once, and parse_pairs reads them as one list of pairs.
MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        metavar="<text>",
        help="Column mapping, e.g. 'date=Ngày, price=Giá, market=Chợ' (may be repeated)",
    ),
]
DefaultOption = Annotated[
    list[str] | None,
    typer.Option(
        "--default",
        metavar="<text>",
        help="Values for columns the file lacks, e.g. 'currency=VND, price_type=Retail, "
        "unit=kg' (may be repeated)",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
#: --sheet on every command that reads a price file: which sheet of an .xlsx workbook.
SheetOption = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        help="The sheet of an Excel workbook to read (default: the first).",
        show_default=False,
    ),
]


def parse_freq(value) -> Freq:
    # Typer's own Enum check prints a usage box; parse_choice gives the one promised line.
    return parse_choice(Freq, "--freq")(value)


_FREQ = {"parser": parse_freq, "metavar": "[monthly|weekly]"}
CleanFreqOption = Annotated[Freq | None, typer.Option(help="Period to put prices on.", **_FREQ)]
DayfirstOption = Annotated[
    bool | None, typer.Option("--dayfirst/--monthfirst", help="How to read 03/04/2024.")
]
ChucOption = Annotated[int, typer.Option(help="Nuts per chục.")]
#: --chuc on ingest: unset, a series takes the chục of the store's latest file of it.
IngestChucOption = Annotated[
    int | None,
    typer.Option(
        "--chuc",
        help="Nuts per chục in the files (default: as the store's latest file of the series "
        "was read, else 12).",
    ),
]
#: --chuc on commands that read a file or the store: given only with a file.
FileChucOption = Annotated[
    int | None, typer.Option("--chuc", help="Nuts per chục in the file (default 12).")
]
DecimalOption = Annotated[
    str | None,
    typer.Option(help="The prices' decimal point, '.' or ',' (default: read from the file)."),
]
DataFreqOption = Annotated[
    Freq | None, typer.Option(help="Period of the data (default: as found).", **_FREQ)
]
HorizonOption = Annotated[int, typer.Option("--horizon", "-h", help="Periods ahead.")]
LevelsOption = Annotated[str, typer.Option(help="Interval levels in percent.")]


#: A pair each option accepts, for its errors' examples (--default takes no date or price).
_PAIR_EXAMPLES = {"--map": "date=Ngày", "--default": "currency=VND"}
#: The names --map and --default take.
_PAIR_NAMES = (
    "date",
    "commodity",
    "market",
    "price_type",
    "unit",
    "currency",
    "price",
    "priceflag",
)
#: A comma followed by a word and '=': where the next NAME=VALUE pair may start.
_PAIR_START = re.compile(r",(?=\s*([^\W\d]\w*)\s*=)")


def parse_pairs(text: str | list[str] | None, option: str) -> dict[str, str] | None:
    """'a=b,c=d' -> {'a': 'b', 'c': 'd'}; a malformed pair is a usage error.

    In --map a comma starts a new pair where a NAME= follows it, so a column named with a
    comma maps as written: 'price=Giá (đ, kg)', 'price=Giá (loại=1, units=kg)'; a pair
    with a misspelt name ('unit=Đơn vị,Units=kg') reads as part of the column before it,
    which the file lacks, and the column's lookup names the misspelling
    (forecast.io.table). --default's values are no column names: there any WORD= starts
    a pair, and a misspelt one is refused ('price_type=Retail,units=kg' had stored every
    price as of type 'Retail,units=kg').

    The option given more than once (a list) is one list of pairs, each option's text
    starting a pair of its own: the last alone was read, and the others dropped unsaid."""
    texts = [text] if isinstance(text, str) else [t for t in text or () if t]
    if not texts:
        return None
    pairs = {}
    parts = [part for t in texts for part in _split_pairs(t, anything=option == "--default")]
    for part in parts:
        if "=" not in part:
            example = _PAIR_EXAMPLES.get(option, "date=Ngày")
            raise UsageError(f"'{part}' is not NAME=VALUE", option, f"Use e.g. {option} {example}")
        name, value = part.split("=", 1)
        # The same pair again (on both sides of 'bulletin … send') says nothing new; another
        # value would win silently as the last: VND prices labelled USD.
        if pairs.get(name.strip()) == value.strip():
            continue
        if name.strip() in pairs:
            raise UsageError(
                f"'{name.strip()}' is given twice ({name.strip()}={pairs[name.strip()]} and "
                f"{part.strip()})",
                option,
                "Give each name once",
            )
        pairs[name.strip()] = value.strip()
    return pairs


def _split_pairs(text: str, anything: bool) -> list[str]:
    """``text`` cut at each comma where a pair starts (see :func:`parse_pairs`): before any
    WORD= (``anything``), else before a NAME= only."""
    cuts = [0] + [
        found.start()
        for found in _PAIR_START.finditer(text)
        if anything or found.group(1) in _PAIR_NAMES
    ]
    return [text[a + (a > 0) : b] for a, b in pairwise([*cuts, len(text)])]


def clean_options(
    freq: Freq | None = None,
    dayfirst: bool | None = None,
    chuc: int = 12,
    decimal: str | None = None,
):
    from forecast.clean import CleanOptions
    from forecast.clean.units import MAX_CHUC

    if chuc < 1:
        raise UsageError(f"chục size {chuc} must be at least 1", "--chuc", "Use e.g. --chuc 12")
    if chuc > MAX_CHUC:  # --chuc 1000 stored coconuts at 119 đồng a nut, and files followed it
        raise UsageError(
            f"a chục of {chuc} nuts is no chục: a depot's holds 10 to 16 or so (at most "
            f"{MAX_CHUC} taken)",
            "--chuc",
            "Give the nuts the depot counts in its chục, e.g. --chuc 12 or --chuc 14",
        )
    if decimal not in (None, ".", ","):
        raise UsageError(
            f"decimal point '{decimal}' is neither '.' nor ','", "--decimal", "Use --decimal ."
        )
    return CleanOptions(
        freq=freq.value if freq else None, dayfirst=dayfirst, chuc_size=chuc, decimal=decimal
    )


def label(key) -> str:
    from forecast.table import series_label

    return series_label(key)


def quoted_per_chuc(store_path: Path | None, report, every) -> dict[tuple, int]:
    """The series quoted per chục, with the nuts in each one's chục: as the file read
    (its cleaning ``report``) wrote them, else as the store's latest file of each did; none
    for the embedded data, which keeps canonical units. Bulletins, charts and forecast
    tables alike, and the notes beside them."""
    from forecast.bulletin.depot import stored_per_chuc, written_per_chuc

    if report is not None:
        return written_per_chuc(report, every)
    if store_path is None:
        return {}
    from forecast.store import open_store, written_prices

    return stored_per_chuc(*written_prices(open_store(store_path)))


def as_quoted(key: tuple, per_chuc: dict | None) -> tuple[tuple, int]:
    """``key`` as the depot quotes it (``per_chuc``: :func:`quoted_per_chuc`), and the nuts
    its prices are multiplied by (1 for a series not written per chục)."""
    from forecast.bulletin.depot import series_of
    from forecast.clean.units import CHUC

    nuts = (per_chuc or {}).get(series_of(key)) if key[3] == "nut" else None
    if not nuts:
        return key, 1
    commodity, market, price_type, _unit, currency = key
    return (commodity, market, price_type, CHUC, currency), nuts


def chuc_words(nuts: int) -> str:
    return f" of {nuts} nuts" if nuts > 1 else ""


def quoted_label(key: tuple, per_chuc: dict | None) -> tuple[str, int]:
    """The name a note gives series ``key`` and the nuts its prices are multiplied by: per
    chục where the command's table quotes it so ("VND/chục of 14 nuts" beside a table of
    85.000 a chục, not "VND/nut" and 6.071)."""
    from forecast.table import series_label

    shown, nuts = as_quoted(key, per_chuc)
    return series_label(shown) + chuc_words(nuts), nuts


# --- per-series commands: input, engine, progress, failures -----------------------------------

InputOption = Annotated[
    Path | None,
    typer.Option(
        "--input",
        "-i",
        help=(
            "A price file (raw files are cleaned first); default: the store (--db,"
            " $CROPCAST_DB or ./cropcast.duckdb) if there is one, else the embedded data."
        ),
    ),
]
SeriesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--series",
        "-s",
        help="Only series whose key contains this, e.g. 'Rice|An Giang' (may be repeated).",
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
        metavar="<engine>",
        help="Where per-series jobs run: processes (default; --jobs of them), local (this "
        "process), dask (a Dask cluster: --scheduler, else a local one of --jobs workers).",
        show_default=False,
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Dask scheduler address, e.g. tcp://HOST:8786 (implies --engine dask).",
    ),
]


def engine_options(
    engine: str | None, jobs: int | None, scheduler: str | None, default: str | None
) -> dict:
    """--engine, --jobs and --scheduler, checked before any work, as keyword arguments: a
    scheduler that refuses is said at once, not after the file is read and Dask's client
    has waited 10 s (alerts, bulletin and plot start no workers early to find out)."""
    from forecast.engine import _reach_scheduler, check_engine, default_jobs

    if engine is None:
        engine = "dask" if scheduler is not None else default
    if engine is not None:
        engine = engine.strip().lower()
    check_engine("processes" if engine is None else engine, jobs, scheduler)  # "" is refused
    if engine == "dask" and scheduler is not None:
        _reach_scheduler(scheduler.strip())
    elif jobs is not None and jobs > (cores := default_jobs()) and engine != "local":
        # Per-series fits use a core each: more workers than cores only start and hold
        # processes (--jobs 999 on one series ran 150 s and took gigabytes).
        jobs = cores
    return {"engine": engine, "n_jobs": jobs, "scheduler": scheduler}


@contextmanager
def local_cluster_started(run_on: dict, modules=()) -> Iterator[dict]:
    """``run_on`` with a Dask LocalCluster starting in the background for ``--engine dask``
    without ``--scheduler`` (see :func:`forecast.engine.started`); else ``run_on`` as is.

    alerts and bulletin let the engine pick, so they start no workers early; but a cluster
    their jobs started in the command's own thread, and a Ctrl-C as it started, printed
    30-60 lines of Dask's tracebacks after "interrupted" (bulletin 7 of 7 at 1.2-1.4 s).
    ``started`` starts it in a thread of its own and stops it as forecast's.
    """
    if run_on.get("engine") == "dask" and run_on.get("scheduler") is None:
        from forecast.engine import started

        with started(**run_on, modules=modules) as started_on:
            yield started_on
    else:
        yield run_on


def by_reason(labelled: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """``(series label, reason)`` pairs -> ``(reason, labels)``, the commonest reason first."""
    groups: dict[str, list[str]] = {}
    for label, why in labelled:
        groups.setdefault(why, []).append(label)
    return sorted(groups.items(), key=lambda item: -len(item[1]))


def print_failures(failed: list[tuple[str, str]], total: int, what: str = "failed") -> None:
    """At the end of a run, on stderr: a line for the series too short to forecast (one
    price, repeated) and a line for those whose model failed, each with the commonest
    reasons first, given once with the first series it hit. ``what`` is what happened to
    those series ("failed"; a backtest's "had a model fail": its other models scored)."""
    from forecast.forecasting import TOO_SHORT

    short = [(name, why) for name, why in failed if why.startswith(TOO_SHORT)]
    # No worker ran them (forecasting.series_failed): "not run", not "failed".
    unrun = [(name, why) for name, why in failed if why.startswith("not run (")]
    broken = [(name, why) for name, why in failed if not why.startswith((TOO_SHORT, "not run ("))]
    console = Console(stderr=True)
    if short:
        # "too short to forecast (1 price); repeated the last price; no ranges (...)": the
        # line's head says the first two, each group its ranges.
        tails = [(name, why.split("repeated the last price", 1)[-1]) for name, why in short]
        are = "is" if len(short) == 1 else "are"
        console.print(
            f"note: {len(short):,} of {total:,} series {are} too short to forecast (one price), so "
            f"the forecast repeats it: {by_reason_line(tails, sep='')}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if unrun:
        console.print(
            f"{len(unrun):,} of {total:,} series not run: {by_reason_line(unrun)}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if broken:
        console.print(
            f"{len(broken):,} of {total:,} series {what}: {by_reason_line(broken)}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def by_reason_line(labelled: list[tuple[str, str]], sep: str = ": ", shown: int = 5) -> str:
    """``A and 2 more: why; B: other why``, the commonest reasons first, at most ``shown``."""
    reasons = by_reason(labelled)
    line = "; ".join(
        f"{labels[0]}{f' and {len(labels) - 1:,} more' if len(labels) > 1 else ''}"
        f"{sep if why else ''}{why}"
        for why, labels in reasons[:shown]
    )
    more = f"; and {len(reasons) - shown:,} other reasons" if len(reasons) > shown else ""
    return line + more


def check_output_suffix(
    output: Path | None,
    option: str = "--output",
    suffixes: tuple[str, ...] = (".csv", ".parquet"),
    name: str = "forecast",
) -> None:
    """Tables are written as CSV or Parquet, by the file extension: any other name is
    refused before the work (a table once went into prices.xlsx as CSV text). ``name`` is
    the file name the error's example suggests, without its extension."""
    # A folder first: its name has no extension, and "cannot write 'out' files" hid that.
    check_output_folder(output, option, name + suffixes[0])
    if output is not None and output.suffix.lower() not in suffixes:
        kinds = " or ".join(suffixes)
        raise UsageError(
            f"cannot write '{output.suffix or output.name}' files",
            option,
            f"Use a {kinds} file name",
        )


def check_output_folder(
    output: Path | None, option: str = "--output", example: str = "forecast.csv"
) -> None:
    """Refuse, before the work, an output that is a folder, or whose folder cannot be: a
    file stands where one of its folders goes (``-o fc.csv/bt.csv``). Folders that do not
    exist yet are made now, and said; the refusal came only after a backtest's minutes.
    ``example`` is a file name to suggest in the folder."""
    if output is None:
        return
    if Path(output).is_dir():
        raise UsageError(
            f"'{output}' is a folder, not a file name",
            option,
            f"Give a file name in it, e.g. {option} {Path(output) / example}",
        )
    parent = _nearest_there(Path(output).parent)
    if parent is None:
        return
    if not parent.is_dir():
        raise UsageError(
            f"'{parent}' is a file, not a folder, so '{output}' cannot be written",
            option,
            "Give a file name in a folder",
        )
    # An existing file the folder takes no new file beside is written through (io.replace).
    if not (Path(output).exists() and os.access(output, os.W_OK)) and not _takes_files(parent):
        # Said now: the write's own refusal came only after the forecast's minutes.
        raise UsageError(
            f"'{output}' cannot be written: the folder '{parent}' does not let you "
            "add files (no rights, or a read-only disk)",
            option,
            "Write into a folder you can write to",
        )
    folder = Path(output).parent
    if parent != folder:
        # Made now, and said: a mistyped folder ("-o /nonexist/dir/fc.csv") was made without
        # a word when the file was written, and the file sought where it was meant to go.
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                f"'{output}' cannot be written: the folder {parent} cannot be written "
                f"({exc.strerror or exc})",
                option,
                "Write into a folder you can write to",
            ) from None
        say_note(f"{option}: the folder '{folder}' was not there; it is made")


def chart_folder(text: str | Path) -> Path:
    """--out as given: an empty one (a script's unset variable, `--out "$DIR"`) drew the
    charts into the current folder, where Path('') is '.'; `--out .` still does. (The
    default reaches here as a Path.)"""
    if isinstance(text, Path):
        return text
    if not text.strip():
        raise UsageError(
            "no folder given (the value is empty)",
            "--out",
            "Give the folder for the charts, e.g. --out charts",
        )
    return Path(text)


def check_chart_folder(out: Path, option: str = "--out") -> None:
    """Refuse, before the drawing, a chart folder that cannot be: a file where it (or one of
    its folders) goes, or a folder that takes no new files. Said after the work, it cost a
    run's forecasts."""
    out = Path(out)
    nearest = _nearest_there(out)
    if nearest is None:
        return
    if not nearest.is_dir():
        raise UsageError(
            f"'{nearest}' is a file, not a folder, so charts cannot go into '{out}'",
            option,
            "Charts take a folder: give one, e.g. --out charts",
        )
    if not _takes_files(nearest):
        raise UsageError(
            f"charts cannot go into '{out}': the folder '{nearest}' does not let you add "
            "files (no rights, or a read-only disk)",
            option,
            "Write into a folder you can write to",
        )


def _nearest_there(path: Path) -> Path | None:
    """``path`` or the nearest of its folders that is there: where what is written goes in
    (folders that do not exist yet are made when it is written)."""
    return next((p for p in (path, *path.parents) if p.exists()), None)


def _takes_files(folder: Path) -> bool:
    """Whether a new file (or folder) can be made in ``folder``. ``os.access`` answers for
    root too on a read-only disk (EROFS), and says yes to root elsewhere, as the write would,
    except where no file can be made at all (``/proc``, ``/sys``: the chart or table was
    refused only after the forecasts), so a yes is tried with an empty file, removed at once."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    import tempfile

    try:
        handle, probe = tempfile.mkstemp(prefix=".cropcast-", dir=folder)
    except OSError:
        return False
    os.close(handle)
    with suppress(OSError):
        os.unlink(probe)
    return True


def parse_levels(text: str) -> tuple:
    from forecast.checks import check_levels

    items = [v.strip() for v in text.split(",")]
    if not any(items):
        raise UsageError("no levels given", "--levels", "Use e.g. --levels 80,95")
    if not all(items):  # "80,,95": a level lost in typing, not one to skip unsaid
        raise UsageError(f"'{text}' lists an empty level", "--levels", "Use e.g. --levels 80,95")
    try:
        values = [float(v) for v in items]
    except ValueError:
        raise UsageError(
            f"'{text}' is not a list of numbers", "--levels", "Use e.g. --levels 80,95"
        ) from None
    return check_levels(values)


def refuse_overwrite(written: Path | None, option: str, read: dict[str, Path | None]) -> None:
    """A usage error when ``written`` (what ``option`` names) is a file the command reads:
    ``read`` maps what each is ("the input file (--input)") to its path. Writing would
    destroy the prices (or the store, or the rows) the command needs, often the user's only
    copy of them.

    Paths are compared resolved (relative or absolute, through symlinks), and as the same
    file on disk when both exist (a hard link).
    """
    if written is None:
        return
    for what, path in read.items():
        if path is None:
            continue
        same = written.resolve() == path.resolve()
        if not same and written.exists() and path.exists():
            with suppress(OSError):
                same = os.path.samefile(written, path)
        if same:
            raise UsageError(
                f"{option} would overwrite {what}",
                str(written),
                f"Choose another {option} path",
            )


DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help=(
            "The price store (default: $CROPCAST_DB, else ./cropcast.duckdb: ingest makes it, "
            "other commands read it if it exists)."
        ),
        show_default=False,
    ),
]


def files_read(input_: Path | None, db: Path | None) -> dict[str, Path | None]:
    """The files a per-series command reads, that its --output must not overwrite."""
    store = db if db is not None else store_location(input_, db)  # ./cropcast.duckdb too
    return {"the input price file (--input)": input_, "the price store (--db)": store}


def store_location(input_: Path | None, db: Path | None) -> Path | None:
    """Where the store a command would read is: none with --input, nor when no store is named
    and ./cropcast.duckdb does not exist. What an --output must not overwrite, full or empty;
    it opens nothing, so the checks before the workers start stay light."""
    from forecast.store import resolve_location

    if input_ is not None:
        return None
    path, explicit = resolve_location(db)
    return path if explicit or path.exists() else None


def store_to_read(input_: Path | None, db: Path | None) -> Path | None:
    """The store a command reads (see :func:`store_location`), except ./cropcast.duckdb found
    without being named and holding no prices: then the embedded data is used, as on a fresh
    checkout."""
    from forecast.store import resolve_location

    path = store_location(input_, db)
    if path is None or resolve_location(db)[1]:
        return path
    return None if _empty_default_store(path) else path


_NOTED_EMPTY: set[Path] = set()


def _empty_default_store(path: Path) -> bool:
    """Whether ./cropcast.duckdb, found without being named, holds no prices (an ingest
    whose files were all refused leaves one): then the command uses the embedded data, as
    before the store existed, and says so once, instead of refusing to run at all."""
    from forecast.store import open_store

    store = open_store(path)
    with store.reading() as con:
        empty = con.execute("SELECT count(*) FROM prices").fetchone()[0] == 0
    if empty and path.resolve() not in _NOTED_EMPTY:
        _NOTED_EMPTY.add(path.resolve())
        say_note(
            f"{path} holds no prices yet, so the embedded data is used; "
            "add prices with: cropcast ingest FILE"
        )
    return empty


def stored_prices(path: Path, freq: Freq | None):
    """The stored prices; with --freq, only the series on that frequency."""
    from forecast.errors import InputError
    from forecast.store import load_prices, open_store, series_frequencies
    from forecast.table import KEY

    store = open_store(path)
    prices = load_prices(store)
    if prices.empty:
        raise InputError(
            "the store holds no prices yet", str(path), "Add some with: cropcast ingest FILE"
        )
    if freq is not None:
        # The store's word, as 'store info' counts: a week starting on Monday the 1st is
        # no month for having a month's date.
        on = series_frequencies(store)
        wanted = on.loc[on["freq"] == freq.value, list(KEY)]
        prices = prices.merge(wanted, on=list(KEY), how="inner")
        if prices.empty:
            raise UsageError(
                f"the store holds no {freq.value} series",
                "--freq",
                "Leave --freq out to use every series in the store",
            )
    return prices


def _where_listed(input_: Path | None, db: Path | None, store_path: Path | None) -> str:
    """The arguments that make ``cropcast data list`` list what a command read."""
    if input_ is not None:
        return f" {input_}"
    if store_path is not None and db is not None:
        return f" --db {db}"
    return ""


def load_for_forecast(
    input_: Path | None,
    series: list[str] | None,
    freq: Freq | None,
    map_: str | None = None,
    default: str | None = None,
    db: Path | None = None,
    spec=None,
    decimal: str | None = None,
    dayfirst: bool | None = None,
    forecasting: bool = True,
    chuc: int | None = None,
    reports: list | None = None,
    quoted: dict | None = None,
    outliers_later: bool = False,
    sheet: str | None = None,
    stale_later: bool = False,
    held: dict | None = None,
):
    """``(chosen, every)``: the prices a command works on (the file (cleaned), the store or the
    embedded data, filtered: --input wins; then the store, see ``store_to_read``) and the
    whole table they were chosen from, where ``auto`` finds a short series' kin
    (``forecast_prices(kin_prices=every)``), so that its ranges do not depend on --series.
    ``spec`` is the forecast to come (a ``ForecastSpec``): with one, the note on prices that
    never changed waits for the forecast (:func:`note_flat_forecasts`). ``decimal`` is
    --decimal and ``dayfirst`` --dayfirst/--monthfirst: how the file writes its
    prices' decimal point and its dates; ``chuc`` is --chuc, the nuts in its chục. A
    ``reports`` list receives the file's cleaning report (a file was read and cleaned).
    ``quoted``: a dict that receives the series the command quotes per chục again
    (:func:`quoted_per_chuc`; bulletins, charts, forecast tables), so their conversion to
    nuts needs no note, and the notes on their prices quote them so too. ``sheet`` is
    --sheet, the workbook's sheet.
    ``forecasting=False`` (alerts, charts that forecast nothing) leaves out the notes that
    speak of forecasts. ``outliers_later``: the command names the outliers and the tenfold
    moves itself, after its work (a bulletin leaves out the prices it holds back as
    mistyped, and says so; it uses no price after its --as-of).
    ``stale_later``: the command says itself what it does with the series that stopped (a
    bulletin leaves out those with no price in the 12 months before its date, which are
    not forecast: "their forecasts start from their own last price" was untrue there).
    ``held``: a dict that receives the prices left out of ``chosen`` as probably mistyped,
    by series key, as a bulletin leaves them out (``hold_back_mistyped``; forecast and
    plot), and they are named on stderr.
    """
    from forecast.datasets import load_input
    from forecast.table import select_series

    # A bad one fails before reading.
    options = clean_options(freq, dayfirst, 12 if chuc is None else chuc, decimal)
    given = {
        "--decimal": decimal,
        "--dayfirst/--monthfirst": dayfirst,
        "--chuc": chuc,
        "--sheet": sheet,
    }
    for option, value in given.items():
        if value is not None and input_ is None:
            says = "says how a file is written"
            if option == "--sheet":
                says = "picks a workbook's sheet"
            raise UsageError(
                f"{option} {says}, and no file was given",
                option,
                f"Give the file with --input, or leave {option} out",
            )
    store_path, cleaned = store_to_read(input_, db), None
    if store_path is not None:
        prices = stored_prices(store_path, freq)
    else:
        prices, cleaned = load_input(
            input_,
            mapping=parse_pairs(map_, "--map"),
            defaults=parse_pairs(default, "--default"),
            options=options,
            sheet=sheet,
        )
        if cleaned is not None:
            note_file_read(cleaned.report, input_, sheet)
            note_refused_rows(cleaned.report, input_)
            if reports is not None:
                reports.append(cleaned.report)
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
            f"Run 'cropcast data list{_where_listed(input_, db, store_path)}' to see "
            f"the series names{' in the store' if store_path is not None else ''}",
        )
    if cleaned is not None:
        # What cleaning did to the user's file (the store said it at ingest).
        note_off_frequency(cleaned.report, chosen, input_)
        note_thousands(cleaned.report, input_)
        note_conflicts(cleaned.report, chosen, input_)
        note_conversions(cleaned.report, chosen, input_, quoted is not None)
        note_split(cleaned.report, chosen, input_)
        note_several_per_period(cleaned.report, chosen, input_)
    per_chuc: dict = {}
    if quoted is not None:
        per_chuc = quoted_per_chuc(store_path, cleaned and cleaned.report, prices)
        quoted.update(per_chuc)
    # What the prices show is said wherever they came from: a forecast of the store said
    # nothing of series that ended a year before the rest, while one of its export did.
    typo, spelling = where_to_fix(input_, store_path, cleaned and cleaned.report)
    if held is not None:
        chosen, found = hold_back_latest(chosen, prices)
        held.update(found)
        note_held_back(chosen, found, typo, "left out", per_chuc=per_chuc)  # as bulletins do
        moves = list(tenfold_moves(chosen))  # read by both notes: found once
    elif outliers_later:  # a bulletin holds them back itself, and says so (no notes here)
        moves = None
    else:
        # Alerts and backtests use every price, but say which latest ones forecasts and
        # bulletins leave out: their tenfold-move note said forecasts joined the series
        # across a typo that the forecast and the bulletin had held back.
        judged, found = hold_back_latest(chosen, prices)
        them = "it" if sum(map(len, found.values())) == 1 else "them"
        note_held_back(
            chosen,
            found,
            typo,
            f"used here, though forecasts and bulletins leave {them} out",
            per_chuc=per_chuc,
        )
        moves = list(tenfold_moves(judged))
    # The embedded data's outliers are its publishers', past anyone's fixing here.
    if not outliers_later and (input_ is not None or store_path is not None):
        note_outliers(
            chosen,
            input_,
            "forecast" if forecasting else "alerts",
            fix=typo,
            moves=moves,
            per_chuc=per_chuc,
        )
    if not outliers_later:  # a bulletin names them from the prices it used: note_jumps
        note_jumps(chosen, input_, typo, moves, per_chuc)
    if not stale_later:
        # A backtest (forecasting, with no forecast to come) starts nothing from them.
        note_stale_series(chosen, forecasting and spec is not None)
    if (spec is not None or not forecasting) and (input_ is not None or store_path is not None):
        # The user's dates, theirs to fix, where a forecast starts from the last price
        # (forecast, bulletin, a fan chart) or an alert scores it; a backtest scores
        # windows before it.
        note_lone_last_prices(
            chosen,
            typo,
            db=None if store_path is None else str(db) if db is not None else "",
            alerts=not forecasting,
        )
    note_case_twins(chosen, spelling, forecasting)
    if spec is None and forecasting:  # else after the forecast: note_flat_forecasts
        note_flat_series(chosen)
    return chosen, prices


def where_to_fix(input_: Path | None, store_path: Path | None, report=None) -> tuple[str, str]:
    """How the notes on the prices read tell the user to set a typo right, and two spellings
    of one series: in the file read, or through the store's ingest; the embedded data holds
    the prices as their publishers wrote them. A PriceTable cropcast wrote (the file's
    cleaning ``report`` says so) is set right where it came from: "spell them alike in
    export.csv" sent users to edit a store's export, and the store kept both names."""
    from forecast.io import CLEANED_TABLE

    notes = report.notes if report is not None else []
    if input_ is not None and any(note.startswith(CLEANED_TABLE) for note in notes):
        name = input_.name
        return (
            f"fix it in the file {name} was cleaned from, or, if {name} is a store export, "
            "ingest a corrected file",
            f"spell them alike in the files {name} was made from, or, if it is a store "
            "export, take the misspelt one out of the store with 'cropcast store remove -s "
            "NAME' and spell it alike in the files you ingest",
        )
    if input_ is not None:
        return f"fix it in {input_.name}", f"spell them alike in {input_.name}"
    if store_path is not None:
        return "ingest a corrected file", (
            "take the misspelt one out with 'cropcast store remove -s NAME' and spell it "
            "alike in the files you ingest"
        )
    published = "the embedded data keeps prices and names as WFP and the World Bank wrote them"
    return published, published


def note_encoding(report) -> None:
    """One line on stderr, even with --quiet, when the file was not UTF-8 and its encoding
    was guessed: a wrong guess garbles every accented name in the forecasts ("Feijăo")
    without any other sign."""
    from forecast.io.files import encoding_note

    note = encoding_note(report.notes)
    if note is not None:
        say_note(note)


def counted(n: int, word: str) -> str:
    """'1 row', '2 rows', '1,234 prices': a count with its noun in the right number."""
    return f"{n:,} {word if n == 1 else word + 's'}"


def note_file_read(report, path: Path, sheet: str | None) -> None:
    """What a command that read ``path`` says of the reading itself, even with --quiet: a
    guessed encoding, a workbook's sheets not read, and names tidied."""
    note_encoding(report)
    note_other_sheets(report, path, sheet)
    note_renamed(report, path)


def note_renamed(report, path: Path) -> None:
    """A line on stderr when cleaning tidied names of the file (``"Kano "`` is ``Kano``,
    two spaces one, accents composed): series named alike but for that are one series,
    their prices merged. (Forecast files name them as the file does: write_as_given.)"""
    renamed = getattr(report, "renamed", None)
    if not renamed:
        return
    from forecast.clean.text import tidied_names

    said = tidied_names(renamed).replace("name(s) tidied", f"name(s) in {path.name} tidied", 1)
    say_note(f"{len(renamed):,} {said}; names alike but for that are one series")


def write_as_given(
    table,
    output: Path,
    reports: list,
    path: Path | None,
    every_name: bool = False,
    quoted: dict | None = None,
) -> None:
    """Write ``table`` (forecasts or a backtest) to ``output`` with each series named as
    the file read (``path``, its cleaning report in ``reports``) writes it, in its units;
    one note line says which, as the tables printed use cropcast's names.

    ``every_name`` (forecasts): a series the file names two ways over time (per "50 KG",
    then per "KG"; in SLL, then in SLE) is one series to cropcast, forecast once, and
    written under each name, in each name's unit: a file's series counted by their names
    then each have their forecast, none missing. ``quoted``: the series the tables printed
    quote per chục (``forecast.bulletin.depot``), as the file is written."""
    import pandas as pd

    from forecast.forecasting import write_forecasts
    from forecast.table import KEY, named_as_given

    entries = [e for report in reports for e in getattr(report, "as_given", [])]
    written = set(table[list(KEY)].drop_duplicates().itertuples(index=False, name=None))
    entries = [e for e in entries if tuple(e["series"]) in written]
    named = named_as_given(table, entries)
    retired = [
        e
        for report in (reports if every_name else [])
        for e in getattr(report, "retired_names", [])
        if tuple(e["series"]) in written
    ]
    if retired:
        names = {tuple(e["series"]): e["as_given"] for e in entries}
        named = pd.concat([named, _under_old_names(table, retired)], ignore_index=True)
        say_note(
            f"{output.name} also writes {len(retired):,} series under the other "
            f"name its older prices have in {path.name if path else 'the file'} (e.g. "
            f"{_renaming(retired[0], names)}), in that name's unit: one series to cropcast, "
            "forecast once"
        )
    write_forecasts(named, output)
    # Series the tables quote per chục too (``quoted``: the forecast's) differ from them in
    # nothing the note would say ("prices per 'chục', not per nut" beside a table per chục).
    entries = [e for e in entries if not _only_chuc_quoted(e, quoted or {})]
    if entries and path is not None:
        examples = []
        for e in entries[:3]:
            for column, given, ours in zip(KEY, e["as_given"], e["series"], strict=True):
                if column == "unit" and e["factor"] != 1.0:
                    examples.append(f"prices per {given!r}, not per {ours}")
                elif given != ours:
                    examples.append(f"{given!r} for {ours!r}")
        shown = "; ".join(list(dict.fromkeys(examples))[:3])  # each change once
        say_note(
            f"{output.name} names {len(entries):,} series as {path.name} does, in its "
            f"units (e.g. {shown}); the tables here use cropcast's names"
        )


def _only_chuc_quoted(entry: dict, quoted: dict) -> bool:
    """Whether a series named as given differs from cropcast's name only in being per chục,
    as the tables quote it too."""
    from forecast.bulletin.depot import series_of
    from forecast.table import KEY

    ours, given = entry["series"], entry["as_given"]
    if series_of(tuple(ours)) not in quoted:
        return False
    return all(g == o for c, g, o in zip(KEY, given, ours, strict=True) if c != "unit")


def _under_old_names(table, retired: list[dict]):
    """The rows of ``table`` of each series in ``retired`` again, under its old name and in
    that name's unit (one merge: a national file has thousands of them)."""
    import pandas as pd

    from forecast.table import KEY, price_columns

    new = [f"_new_{c}" for c in KEY]
    names = pd.DataFrame(
        [(*e["series"], *e["as_given"], e["factor"]) for e in retired],
        columns=[*KEY, *new, "_factor"],
    )
    extra = table.merge(names, on=list(KEY), how="inner", sort=False)
    for column, renamed in zip(KEY, new, strict=True):
        extra[column] = extra[renamed]
    # The file's prices times the factor are cropcast's (1/50 from a 50 KG bag to a kg).
    for column in price_columns(table):
        extra[column] = extra[column].to_numpy(dtype=float) / extra["_factor"].to_numpy()
    return extra[list(table.columns)]


def _renaming(entry: dict, names: dict) -> str:
    """ "'SLL' for 'SLE'" / "'50 KG' for 'KG'": how a retired name differs from the one the
    series is written under (``names``: by series, where that is not cropcast's)."""
    series = tuple(entry["series"])
    pairs = [
        f"{given!r} for {ours!r}"
        for given, ours in zip(entry["as_given"], names.get(series, series), strict=True)
        if given != ours
    ]
    return ", ".join(pairs) or repr(" | ".join(entry["as_given"]))


def note_other_sheets(report, path: Path, sheet: str | None = None) -> None:
    """The reader's note that a workbook holds sheets it did not read, on stderr: the
    prices forecast are one sheet's, and the user may have meant another. Nothing when
    --sheet chose the sheet."""
    from forecast.io import OTHER_SHEETS

    if sheet is not None:
        return
    for note in report.notes:
        if OTHER_SHEETS in note:
            say_note(f"{path.name}: {note}")


def split_left_out(reasons: list[tuple[str, int]]) -> tuple[list, list]:
    """Cleaning's ``(reason, rows)`` pairs as (those it leaves out by design, whatever the
    file: a publisher's own forecasts, see ``forecast.clean.flags.left_out_by_design``;
    the rows to fix)."""
    from forecast.clean.flags import left_out_by_design

    by_design = [(reason, n) for reason, n in reasons if left_out_by_design(reason)]
    return by_design, [(reason, n) for reason, n in reasons if not left_out_by_design(reason)]


def listed_reasons(pairs: list[tuple[str, int]], shown: int = 3) -> str:
    """ "12 × market is missing, 1 × price is missing and 2 more reasons"."""
    more = f" and {len(pairs) - shown} more reasons" if len(pairs) > shown else ""
    return ", ".join(f"{n:,} × {reason}" for reason, n in pairs[:shown]) + more


def note_refused_rows(report, path: Path) -> None:
    """One line on stderr when cleaning refused rows of the file, even with --quiet.

    A refused row is data the command did not use (a missing price, a missing market, a
    date that is not one); a series whose every row was refused is not forecast at all, so
    the user must hear of it here, not only from ``cropcast data check``: the line names
    them (``report.lost``), each by its whole key as the file writes it.
    """
    if not report.rows_rejected:
        return
    # A WFP file's own forecasts are no rows to fix: said apart, as ingest says them.
    by_design, reasons = split_left_out(report.reasons.most_common())
    left_out = sum(n for _, n in by_design)
    if left_out and not reasons and not report.lost:
        listed = listed_reasons(by_design)
        say_note(f"{left_out:,} rows of {path.name} left out as always ({listed})")
        return
    shown = listed_reasons(reasons)
    if left_out:
        shown += f"; besides {left_out:,} rows left out as always ({listed_reasons(by_design)})"
    gone = report.lost
    lost = ""
    if gone:
        names = ", ".join(gone[:3]) + (f" and {len(gone) - 3:,} more" if len(gone) > 3 else "")
        have, get = ("series has", "gets") if len(gone) == 1 else ("series have", "get")
        lost = f"; {len(gone):,} {have} no price left and {get} no forecast: {names}"
    say_note(
        f"cleaning refused {report.rows_rejected - left_out:,} of "
        f"{report.rows_in - left_out:,} rows of {path.name} "
        f"({shown}){lost}; "
        f"'cropcast data check {path}' lists them"
    )


def note_thousands(report, path: Path) -> None:
    """A line on stderr for prices like "93.100" read as thousands on a guess, and one for
    such prices read as decimals because the prices around them say so.

    The two readings are a thousand times apart (see ``forecast.clean.numbers``), so either
    is said even with --quiet, with the way to read them the other way.
    """
    guessed = report.thousands.get("guessed", 0)
    # In đồng the currency is the reason, and --decimal would only make them a few đồng;
    # a file with đồng and dollars says each apart (the dollars' line offered it for all).
    small = report.thousands.get(
        "guessed_in_small_unit", guessed if report.thousands.get("guessed_small_unit") else 0
    )
    for n, key, in_small_unit in (
        (guessed - small, "guessed_example", False),
        (small, "guessed_small_example", True),
    ):
        if not n:
            continue
        example = report.thousands.get(key) or report.thousands["guessed_example"]
        sep = "," if "," in example["raw"] else "."
        prices, were = ("prices", "were") if n > 1 else ("price", "was")
        why = (
            "as their currency's prices are written, a price of a few đồng being none"
            if in_small_unit
            else "and nothing in their series tells otherwise"
        )
        fix = "" if in_small_unit else f"; if they are decimals, add --decimal {sep}"
        if fix and small:  # --decimal reads the whole file: the đồng would be a few đồng
            fix += " in a file of their own (it would read the đồng prices so too)"
        say_note(
            f"{n:,} {prices} in {path} like '{example['raw']}' {were} read as "
            f"{example['value']:g} (thousands: '{sep}' before three digits groups thousands, "
            f"{why}){fix}"
        )
    decimals = report.thousands.get("decimals", 0)
    if decimals and not report.thousands.get("decimals_beyond_doubt"):
        example = report.thousands["decimals_example"]
        prices, were = ("prices", "were") if decimals > 1 else ("price", "was")
        whole = example["raw"].replace(".", "").replace(",", "")
        other = "," if "." in example["raw"] else "."
        why = report.thousands.get(
            "decimals_why", "the clear prices around them in their series say"
        )
        say_note(
            f"{decimals} {prices} in {path} like '{example['raw']}' {were} read as "
            f"{example['value']:g} (decimals: as {why}); if they group thousands, add "
            f"--decimal {other} (or write {whole})"
        )


def note_off_frequency(report, prices, path: Path) -> None:
    """One line on stderr for series put on a frequency their own dates do not say.

    Cleaning puts a whole file on one frequency (the one most of its dates say): a monthly
    series in a weekly file is spread onto weeks and forecast in weeks; a weekly one in a
    monthly file is folded into monthly medians. Either may be what the user wants, but not
    without knowing. Only the series the command works on (``prices``, after --series) are
    named.
    """
    from forecast.table import KEY, series_label

    chosen = {
        series_label(key) for key in prices[list(KEY)].drop_duplicates().itertuples(index=False)
    }
    off = [o for o in report.off_frequency if o["series"] in chosen]
    if report.freq == "weekly":
        then = "spread onto weekly steps and forecast in weeks"
        fix = "a file of their own (or --freq monthly for the whole file)"
    else:
        then = "folded into monthly medians and forecast in months"
        fix = "a file of their own with --freq weekly"
    if not off:
        return
    low, high = min(o["days"] for o in off), max(o["days"] for o in off)
    apart = f"{low:.0f} day" + ("s" if round(low) != 1 else "")
    if round(high) != round(low):
        apart = f"{low:.0f}-{high:.0f} days"
    more = f" and {len(off) - 1:,} more" if len(off) > 1 else ""
    has, were = ("has", "it was") if len(off) == 1 else ("have", "they were")
    say_note(
        f"{path.name} reads as {report.freq}, but {len(off):,} series {has} prices about "
        f"{apart} apart ({off[0]['series']}{more}): {were} {then}; if that is not what you "
        f"want, use {fix}"
    )


def _marked(prices, mark: str):
    """Rows whose cleaning flags hold ``mark`` ("conflict", "outlier", ...)."""
    return prices["flags"].astype(str).str.contains(mark, regex=False)


def note_conflicts(report, prices, path: Path) -> None:
    """One line on stderr when a series had different prices on one date in the file.

    Cleaning keeps their median, a price nobody may have paid (or, when they are far apart,
    the one nearer the series' other prices), and the forecast starts from it when it is the
    last: the user must hear of it here, not only from ``data check``.
    """
    from forecast.table import KEY, series_label

    flagged = _marked(prices, "conflict")
    if not flagged.any():
        return
    chosen = {series_label(tuple(row)) for row in prices.loc[flagged, list(KEY)].itertuples(False)}
    examples = [c for c in report.conflicts if c["series"] in chosen]
    n = len(examples) or int(flagged.sum())
    example, kept = "", "the median was kept"
    if examples:
        example, kept = conflicts_said(examples)
    dates = "dates" if n > 1 else "date"
    say_note(
        f"{n:,} {dates} in {path.name} had different prices in the same series; "
        f"{kept}{example}; 'cropcast data check {path}' lists them"
    )


def conflicts_said(conflicts: list[dict]) -> tuple[str, str]:
    """An example of ``conflicts`` (a cleaning report's) and which price each kept:
    (", e.g. Dừa khô | Mỏ Cày Bắc 2026-11-16: 9,417 (chục), 11,000 (trái) -> 9,417 (per
    chục)", "the median was kept, or, on 1 of them ..."). Shared by the notes of commands
    that read a file and by ingest."""
    from forecast.clean.report import conflict_values

    # Which price a rule keeps, and when it applies.
    rules = {
        "nearest": ("the one nearer the series' prices around it", "twofold apart or more"),
        "unit": ("the one in the series' own unit", "written in two units"),
    }
    # A slip set right, or a unit told apart, is the one to see.
    c = next((c for c in conflicts if c.get("rule") in rules), conflicts[0])
    example = f", e.g. {c['series']} {c['date']}: {conflict_values(c, money)}"
    counts = {rule: sum(c.get("rule") == rule for c in conflicts) for rule in rules}
    for rule, n in counts.items():
        if n == len(conflicts):
            kept, when = rules[rule]
            return example, f"{kept} was kept ({when})"
    kept = "the median was kept" + "".join(
        f", or, on {n:,} of them ({rules[rule][1]}), {rules[rule][0]}"
        for rule, n in counts.items()
        if n
    )
    return example, kept


def _of_chosen(prices):
    """Whether a cleaning report's entry (a conversion, a split) is of a series in ``prices``
    (those a command works on, after --series): by commodity and market, and by price type
    and currency where the entry names them. A note on a file's series named rice (tạ ->
    kg) beside the coconut forecast."""
    from forecast.clean.base import series_name

    keys = prices[["commodity", "market", "price_type", "currency"]].drop_duplicates()
    pairs = {series_name(c, m) for c, m in zip(keys["commodity"], keys["market"], strict=True)}
    named = {series_name(*row[:3]) for row in keys.itertuples(index=False, name=None)}
    full = set(keys.itertuples(index=False, name=None))

    def chosen(entry: dict) -> bool:
        if "price_type" in entry:  # a unit conversion: the series but its unit
            return tuple(entry[c] for c in keys.columns) in full
        if entry["series"].count(" | ") == 2:  # a split: commodity | market | price type
            return entry["series"] in named
        return entry["series"] in pairs

    return chosen


def note_conversions(report, prices, path: Path, quotes_chuc: bool = False) -> None:
    """One line on stderr when cleaning rescaled prices to one unit per series (a 90 KG bag
    to kg, 750 ML to L), one when it read prices in thousands of a currency as whole units
    ("nghìn đồng" -> VND), and one when it put a currency's old code into its new one at the
    legal rate (SLL -> SLE): the forecast is in the unit it names, not the file's, and a
    reader comparing it with the file must know. Only the series in ``prices`` (after
    --series) are counted and named: the others are not forecast."""
    from forecast.clean.units import from_chuc

    chosen = _of_chosen(prices)
    for kind, what, new in (
        ("currency scale", "put prices in whole currency units", "currency unit"),
        ("redenomination", "put a currency's old code into its new one", "currency code"),
        ("unit", "put prices in one unit per series", "unit"),
    ):
        scaled = [
            c
            for c in report.conversions
            if c["kind"] == kind
            and c["factor"] != 1
            and not (quotes_chuc and from_chuc(c))
            and chosen(c)
        ]
        if not scaled:
            continue
        n = len(scaled)
        # Forecast and backtest files are given back in the file's unit (write_as_given);
        # a currency's scale or code stays cropcast's everywhere.
        per = (
            "prices shown here are per the new unit (forecast files per the file's)"
            if kind == "unit"
            else f"forecasts are per the new {new}"
        )
        say_note(
            f"{n:,} {kind} {'conversions' if n > 1 else 'conversion'} {what}, "
            f"e.g. {scaled[0]['text']}; {per}: "
            f"'cropcast data check {path}' lists them"
        )


def note_split(report, prices, path: Path) -> None:
    """One line on stderr when a sheet priced one commodity, market and price type in
    several units or currencies: they are forecast as separate series (not refused, not
    converted by a guessed weight or rate), which is a slip to fix at the source if it was.
    Only those in ``prices`` (after --series) are counted and named."""
    split = [s for s in report.split if _of_chosen(prices)(s)]
    if not split:
        return
    first = split[0]
    n = len({s["series"] for s in split})  # one priced both ways counts once
    many = f"{n:,} commodities and markets are" if n > 1 else "1 commodity and market is"
    say_note(
        f"{many} priced in several units or currencies and forecast as separate "
        f"series, e.g. {first['series']} ({', '.join(first['values'])}); if that is a slip, "
        f"fix it in {path.name}"
    )


def note_several_per_period(report, prices, path: Path) -> None:
    """One line on stderr when periods held several prices of a series (daily prices in a
    file read as weekly, two prices in a month): the forecast starts from their median."""
    from forecast.table import KEY, dated, series_label

    several = _marked(prices, "aggregated")
    if not several.any():
        return
    period = {"weekly": "week", "monthly": "month"}.get(report.freq or "", "period")
    n, first = int(several.sum()), prices[several].iloc[0]
    periods = period + ("s" if n != 1 else "")
    series = several.groupby([prices[c] for c in KEY], observed=True).any().sum()
    say_note(
        f"{n:,} {periods} of {path.name} held several prices of one series ({series} "
        f"series, e.g. {series_label(tuple(first[list(KEY)]))} "
        f"{dated(first['date'], monthly=report.freq == 'monthly')}); "
        f"each {period}'s median was kept"
        + (
            f" (in {report.aggregated_apart}, of prices twofold apart, those near the series')"
            if getattr(report, "aggregated_apart", 0)
            else ""
        )
        + f", as the file reads as {report.freq or 'one period'}"
    )


def note_jumps(
    prices, path: Path | None, fix: str | None = None, moves=None, per_chuc: dict | None = None
) -> None:
    """One line on stderr for series whose price moves tenfold or more from one price to
    the next (a new currency unit under the same code, a unit change, a run of typos), and
    one for single prices fivefold from the prices on both sides, or tenfold from one
    (typos: :data:`forecast.models.base.SPIKE_TIMES`), as the models
    see them (:func:`forecast.models.base.join_jumps`, on the prices as written, not
    cleaning's estimates in gaps). Cleaning keeps them; the models join the runs and leave
    the typos out, which is wrong if a run is a typo, or a typo a price: the user must
    know where they are. ``fix`` says how to set a typo right (default: in the file);
    ``moves`` is :func:`tenfold_moves` of ``prices`` where the caller has it; ``per_chuc``
    the series the command's output quotes per chục, quoted so here too."""
    import numpy as np

    from forecast.models.base import JUMP_AT, SPIKE_TIMES
    from forecast.table import dated

    joins, typos = [], []
    for key, series, joined, left_out in tenfold_moves(prices) if moves is None else moves:
        for when in left_out:
            i = series.index.get_loc(when)
            around = (series.iloc[i - 1] * series.iloc[i + 1]) ** 0.5
            typos.append((abs(np.log(series.iloc[i] / around)), key, when, i, series))
        kept = series.drop(left_out)
        for when, times in joined:
            joins.append((abs(np.log(times)), key, kept.index.get_loc(when) - 1, kept))
    fix = fix or f"fix it in {path.name}"
    if joins:
        _, key, i, kept = max(joins, key=lambda j: j[0])
        n = len({j[1] for j in joins})
        which = "series moves" if n == 1 else "series move"
        name, nuts = quoted_label(key, per_chuc)
        say_note(
            f"{n:,} {which} {JUMP_AT:g}-fold or more from one price to the next, e.g. "
            f"{name}: {money(kept.iloc[i] * nuts)} ({dated(kept.index[i], kept.index)}) "
            f"-> {money(kept.iloc[i + 1] * nuts)} ({dated(kept.index[i + 1], kept.index)}); "
            f"forecasts scale the "
            f"prices before such a move to join the prices after it, as a new currency unit "
            f"or a unit change; if it is a typo, {fix}"
        )
    if typos:
        _, key, when, i, series = max(typos, key=lambda t: t[0])
        n = len(typos)
        which = "price stands" if n == 1 else "prices stand"
        price, sides = series.iloc[i], (series.iloc[i - 1], series.iloc[i + 1])
        # Tenfold from one side only, as a rule: "10-fold apart from the prices on both
        # sides" beside the outlier note's "9.7× the prices around it" for the same price.
        far = max(sides, key=lambda side: abs(np.log(price / side)))
        times = f"{price / far:.3g}×" if price > far else f"1/{far / price:.3g} of"
        name, nuts = quoted_label(key, per_chuc)
        say_note(
            f"{n:,} {which} {SPIKE_TIMES:g}-fold or more from the prices on both sides, "
            f"or {JUMP_AT:g}-fold from one, while those agree, e.g. "
            f"{name} {dated(when, series.index)}: {money(price * nuts)} between "
            f"{money(sides[0] * nuts)} "
            f"and {money(sides[1] * nuts)} ({times} {money(far * nuts)}); "
            f"forecasts leave such a price out as a typo: {fix}"
        )


def tenfold_moves(prices) -> Iterator[tuple]:
    """``(key, prices, joined, left_out)`` for each series whose price moves tenfold or more
    from one price to the next, as the models see them (``join_jumps`` on the prices as
    written): the runs they join and the single prices they leave out as typos."""
    import numpy as np

    from forecast.models.base import JUMP_TIMES, SPIKE_TIMES, join_jumps
    from forecast.table import KEY, observed_prices

    ordered = observed_prices(prices).dropna(subset=["price"]).sort_values([*KEY, "date"])
    step = np.log(ordered["price"]).groupby([ordered[c] for c in KEY], observed=True).diff()
    far = step.abs() >= np.log(min(JUMP_TIMES, SPIKE_TIMES)) - 1e-9  # a typo's, a jump's
    if not far.any():
        return
    suspects = ordered[far].drop_duplicates(list(KEY))[list(KEY)]
    ordered = ordered.merge(suspects, on=list(KEY))
    for key, rows in ordered.groupby(list(KEY), observed=True, sort=True):
        series = rows.set_index("date")["price"]
        _, joined, left_out = join_jumps(series)
        yield key, series, joined, left_out


def _times_around(ratio: float) -> str:
    """ "9.71× the prices around it"; below them "1/10.1 of", which reads better than 0.0989×."""
    if ratio >= 1:
        return f"{ratio:.3g}× the prices around it"
    return f"1/{1 / ratio:.3g} of the prices around it"


#: Flagged prices this many times the prices around them (or this many times below) are
#: named on stderr as possible typos; nearer ones stay flagged in the table, unsaid.
NOTED_OUTLIER = 1.2


def note_outliers(
    prices,
    path: Path | None,
    skews: str = "forecast",
    shown: int = 2,
    fix: str | None = None,
    moves=None,
    per_chuc: dict | None = None,
) -> None:
    """One line on stderr naming the most extreme prices cleaning flagged and kept.

    Cleaning never deletes a price that only looks wrong (a crisis is real), but a typo
    (13500 for 135) ruins its series' forecast, so the user is told where to look: the
    flagged prices furthest from the prices around them, in either direction. ``per_chuc``:
    the series the command's output quotes per chục, quoted so here too.
    """
    import numpy as np

    from forecast.table import KEY, dated

    flagged = _marked(prices, "outlier")
    if not flagged.any():
        return
    # Against the prices around it (a year's window): a whole-history median would call
    # every old price of an inflating series extreme.
    times = (prices["price"] / _nearby_median(prices, flagged))[flagged].dropna()
    # Only prices a typo could have made: in a price that sat still for months cleaning
    # flags a 4 % step too (it stands out from no movement at all), and "1.05× the prices
    # around it ... if one is a typo" sent users hunting for nothing.
    times = times[np.abs(np.log(times)) >= np.log(NOTED_OUTLIER)]
    flagged_n = int(flagged.sum())  # the count ingest and data check give
    if skews != "alerts" and not times.empty:
        # Prices the models leave out as typos are note_jumps' to name: "kept ... it skews
        # its series' forecast" beside "forecasts leave such a price out" for one price.
        moves = tenfold_moves(prices) if moves is None else moves
        left_out = {(*key, when) for key, _, _, dates in moves for when in dates}
        if left_out:
            rows = prices.loc[times.index, [*KEY, "date"]].itertuples(index=False, name=None)
            kept = [row not in left_out for row in rows]
            flagged_n -= kept.count(False)  # named by note_jumps, not counted here either
            times = times[kept]
    if times.empty:
        return
    worst = np.log(times).abs().sort_values(ascending=False).index[:shown]

    def dates_of(i):  # the dates of row i's series
        key = prices.loc[i, list(KEY)]
        return prices.loc[(prices[list(KEY)] == key).all(axis=1), "date"]

    def said(i) -> str:
        name, nuts = quoted_label(tuple(prices.loc[i, list(KEY)]), per_chuc)
        when = dated(prices.loc[i, "date"], dates_of(i))
        return f"{name} {when}: {money(prices.loc[i, 'price'] * nuts)} ({_times_around(times[i])})"

    examples = "; ".join(said(i) for i in worst)
    n = len(times)
    what = (
        f"{n:,} prices look like outliers and were"
        if n > 1
        else "1 price looks like an outlier and was"
    )
    # Said against the count cleaning flagged (ingest and data check give that one): "130
    # prices look like outliers" beside ingest's 205 read as two counts of one thing.
    among = (
        f" ({NOTED_OUTLIER:g}× or more off the prices around them, of {flagged_n:,} "
        "cleaning flagged)"
        if flagged_n > n
        else ""
    )
    say_note(
        f"{what} kept{among}, e.g. {examples}; if one is a typo, it skews its series' "
        f"{skews}: {fix or f'check {path.name}'}"
    )


def hold_back_latest(prices, every):
    """``(kept, held)``: ``prices`` without the latest prices a forecast leaves out as
    probably mistyped, and those by series key (``HeldBack`` each), ``every`` the whole
    table whose other markets may vouch for a jump. One decision on a price three times off,
    shared with the bulletin (``hold_back_mistyped``): a latest price typed 5x became the
    forecast's start (and its trend) while the bulletin held it back. The latest price
    alone: the models leave out older spikes and join tenfold moves (a new currency unit)
    themselves, and say so (``note_jumps``); a tenfold move seen in the latest price only
    (a dropped decimal point, 20202 for 202.02) is held back too, as the bulletin holds it,
    until a second price at its level confirms it (a test found the forecast 100 times the
    bulletin's outlook)."""
    from forecast.bulletin.facts import hold_back_mistyped

    if prices.empty:
        return prices, {}
    return hold_back_mistyped(prices, every, latest_only=True)


def starting_after_held(spec, prices, held: dict):
    """``spec`` forecasting each series whose latest price was held back (``held``: the
    dates held back, by series key) from that price's date on (``ForecastSpec.start_after``):
    its forecast covers the periods it would have."""
    from dataclasses import replace

    from forecast.table import KEY

    if not held:
        return spec
    ends = prices.groupby(list(KEY), observed=True, sort=False)["date"].max()
    start = {}
    for key, dates in held.items():
        latest = max(dates)
        if key in ends.index and latest > ends[key]:
            start[tuple(key)] = latest
    return replace(spec, start_after=start) if start else spec


def note_held_back(
    prices, held: dict, fix: str, what: str, shown: int = 2, per_chuc: dict | None = None
) -> None:
    """One line on stderr naming the prices ``what`` ("held back from the bulletin") as
    probably mistyped (``held``: by series key, ``HeldBack`` each, ``prices`` the ones
    used), and where a series' forecast now starts, for whoever ingests the prices.
    ``per_chuc``: the series the command's output quotes per chục, quoted so here too."""
    import pandas as pd

    from forecast.table import KEY, dated

    pairs = [(key, h) for key, found in held.items() for h in found]
    if not pairs:
        return
    ends = prices.groupby(list(KEY), observed=True, sort=False)["date"].max()

    def said(key, h) -> str:
        dates = prices.loc[(prices[list(KEY)] == pd.Series(key, index=list(KEY))).all(axis=1)]
        name, nuts = quoted_label(key, per_chuc)
        text = (
            f"{name} {dated(h.date, dates['date'])}: {money(h.price * nuts)} "
            f"(about {money(h.around * nuts)})"
        )
        last = ends.get(tuple(key))
        if last is not None and h.date > last:  # its latest: the forecast starts before it
            text += f", its forecast starts from {dated(last, dates['date'])}'s price"
        return text

    pairs.sort(key=lambda pair: pair[1].date, reverse=True)
    examples = "; ".join(said(key, h) for key, h in pairs[:shown])
    more = f" and {len(pairs) - shown} more" if len(pairs) > shown else ""
    which = "price is" if len(pairs) == 1 else "prices are"
    say_note(
        f"{len(pairs):,} {which} {what} as probably mistyped (three times or more from the "
        f"prices around), e.g. {examples}{more}: {fix}"
    )


def _nearby_median(prices, rows, half: int = 6, least: int = 3):
    """The median of each of ``rows``' prices and the ``half`` on either side of it in its
    series (by date); NaN where fewer than ``least`` are prices.

    Only the few rows asked for are computed: a rolling median over every series of a large
    file took half a second per hundred series, for the note's two examples.
    """
    import numpy as np
    import pandas as pd

    from forecast.table import KEY

    ordered = prices.assign(_at=np.arange(len(prices))).sort_values([*KEY, "date"])
    values = ordered["price"].to_numpy(dtype=float)
    series = ordered.groupby(list(KEY), observed=True, sort=False).ngroup().to_numpy()
    firsts = np.flatnonzero(np.diff(series, prepend=series[0] - 1))  # where each series starts
    ends = np.append(firsts[1:], len(series))
    where = np.empty(len(ordered), dtype=int)  # row position -> position in date order
    where[ordered["_at"].to_numpy()] = np.arange(len(ordered))
    medians = np.full(len(prices), np.nan)
    for row in np.flatnonzero(np.asarray(rows)):
        at = where[row]
        block = np.searchsorted(firsts, at, side="right") - 1
        window = values[max(firsts[block], at - half) : min(ends[block], at + half + 1)]
        window = window[~np.isnan(window)]
        if len(window) >= least:
            medians[row] = np.median(window)
    return pd.Series(medians, index=prices.index)


def note_stale_series(prices, forecasting: bool = True, shown: int = 2, as_of=None) -> None:
    """One line on stderr for series whose prices stop a year or more before the file's
    (before ``as_of``, an ``--as-of`` date, when given: the prices after it are not read).

    Their forecasts start from their own last price, years ago perhaps: a reader of the
    output should not take them for an outlook from today.
    """
    import pandas as pd

    from forecast.table import KEY, series_label

    if as_of is not None:
        prices = prices[prices["date"] <= as_of]
        if prices.empty:
            return
    last = prices.groupby(list(KEY), observed=True)["date"].max()
    latest = last.max() if as_of is None else pd.Timestamp(as_of)
    stale = last[last <= latest - pd.DateOffset(months=12)].sort_values()
    if stale.empty:
        return
    examples = "; ".join(
        f"{series_label(key)} ({date:%Y-%m})" for key, date in stale[:shown].items()
    )
    more = f" and {len(stale) - shown} more" if len(stale) > shown else ""
    start = ""
    if forecasting:
        start = "; " + (
            "its forecast starts from its own last price"
            if len(stale) == 1
            else "their forecasts start from their own last price"
        )
    say_note(
        f"{len(stale):,} of {len(last):,} series {'ends' if len(stale) == 1 else 'end'} "
        f"a year or more before {'the latest price' if as_of is None else '--as-of'} "
        f"({latest:%Y-%m}): {examples}{more}{start}"
    )


def note_lone_last_prices(
    prices, fix: str, shown: int = 2, db: str | None = None, alerts: bool = False
) -> None:
    """One line on stderr for series whose last price or two come a year or more after the
    prices before them (see :func:`forecast.summary.late_last_prices`). A date typed 2026
    for 2021 made a series' one price of 2026 the start of its forecast, five years after
    its others, and the note on stale series then named the series that were right.

    ``db``: the prices are the store's (the --db given, or '' for the default store), where
    a corrected file does not take the mistyped price out (it adds the right one beside
    it): the fix names the ``store remove --date`` that does. Else ``fix`` says how to set
    the date right."""
    from forecast.summary import late_last_prices
    from forecast.table import KEY, dated, series_label

    lone = late_last_prices(prices)
    if lone.empty:
        return
    labels = [series_label(key) for key in lone[list(KEY)].itertuples(index=False)]
    # Every late price, as data check names them: "2025-05, after none since 2024-02" of
    # Bandarawela's beans, whose 2025-04 was late too (and the remove command took both).
    examples = "; ".join(
        f"{label}: {' and '.join(dated(d, [*row.late, row.before]) for d in row.late)}, "
        f"after none since {row.before:%Y-%m}"
        for label, row in zip(labels[:shown], lone.head(shown).itertuples(index=False), strict=True)
    )
    more = f" and {len(lone) - shown:,} more" if len(lone) > shown else ""
    has = "has its last price" if len(lone) == 1 else "have their last price"
    their = "its forecast starts" if len(lone) == 1 else "their forecasts start"
    their += " from there"
    if alerts:  # an alert scores the series' last price
        their = "its alert is on that price" if len(lone) == 1 else "their alerts are on them"
    if db is not None:
        fix = late_prices_removal(labels[0], lone["late"].iloc[0], db, lone["before"].iloc[0])
        if len(lone) > 1:
            fix += ", and so for the others"
    say_note(
        f"{len(lone):,} series {has} (or two) a year or more after the prices before "
        f"({examples}{more}): {their}; if a date is mistyped, {fix}"
    )


def late_prices_removal(label: str, dates, db: str, before=None) -> str:
    """How to take mistyped late prices out of the store (``db``: the --db given, or '' for
    the default store): ingesting the corrected file adds the right date beside them, and
    the series' forecast still started from the wrong one. The command is quoted for a
    shell, to be pasted: a store path with a space in it split in two."""
    import shlex

    from forecast.table import dated

    where = f" --db {shlex.quote(db)}" if db else ""
    # A month as a month (2026-06): the user's file may write its 15th.
    span = [*dates, *([] if before is None else [before])]
    days = " ".join(f"--date {dated(date, span)}" for date in dates)
    return (
        f"take {'it' if len(dates) == 1 else 'them'} out with: cropcast store remove -s "
        f"{shlex.quote(label)} {days}{where} --yes (a corrected file adds the right date but "
        f"leaves {'that price' if len(dates) == 1 else 'those prices'})"
    )


#: A horizon further ahead than this many years is said to be a guess in its far steps.
LONG_HORIZON_YEARS = 10


def today():
    """Today's date (a function, so that tests can set the day)."""
    import pandas as pd

    return pd.Timestamp.today().normalize()


#: Periods a forecast may start before today's without a note: October's prices are
#: forecast in early December, before November's come (as the bulletin's STALE_AFTER_PERIODS).
PAST_PERIODS_SAID = 2


def note_past_forecasts(forecasts, horizon: int) -> None:
    """One line on stderr when ``forecasts`` start ``PAST_PERIODS_SAID`` periods or more
    before today's: a planner read An Giang's forecasts for July 2022 to June 2023 in
    December 2026 as an outlook, with nothing said of it (the table's last-price date is
    easy to pass over). Forecasting from old prices is no mistake (a backtest by hand, the
    only file a user has), so it is said, not refused; the bulletin, read by farmers,
    refuses stale prices. Counted from the forecasts of the series that end latest, as
    they start: after a latest price held back as mistyped too. Series that stop before the
    others are said apart (:func:`note_stale_series`)."""
    if forecasts.empty:
        return
    from forecast.bulletin.facts import period_of, periods_between
    from forecast.table import KEY, dated, table_freq

    freq = "weekly" if table_freq(forecasts) == "weekly" else "monthly"
    starts = forecasts.groupby(list(KEY), observed=True, sort=False)["date"].min()
    first = starts.max()
    past = periods_between(first, period_of(today(), freq), freq)
    unit, given = freq.removesuffix("ly"), dated(first, monthly=freq == "monthly")
    if past < PAST_PERIODS_SAID:
        return
    what = (
        f"every step of the {horizon}-{unit} forecast is already past"
        if past >= horizon
        else f"their first {past} {unit}s are already past"
    )
    # The forecasts of series that end earlier start earlier (the Thai file's cassava flour
    # in 2020-02, the rest in 2020-04): "or before" for them.
    earlier = " or before" if (starts < first).any() else ""
    say_note(
        f"these forecasts start in {given}{earlier}, {past} {unit}s before today "
        f"({today():%Y-%m-%d}): {what}; bring newer prices for an outlook from today"
    )


def note_long_horizon(prices, horizon: int) -> None:
    """One line on stderr when ``horizon`` looks further ahead than ``LONG_HORIZON_YEARS``
    (and than how many series' own history): --horizon 1000 forecast to the year 2107 with
    a 95 % range of 2.3-27,193, unsaid. The models extend their last pattern as far as
    asked; the data say nothing of prices that far off. A horizon merely longer than some
    series' history is not said: most WFP series are a year or two long, and a 12-month
    forecast of them is the common case, whose short series are said elsewhere."""
    if horizon <= LONG_HORIZON_YEARS * 12:  # ten years of the longest periods, months
        return  # the common case: no pass over every series' dates
    import pandas as pd

    from forecast.table import KEY, series_label

    dates = prices.groupby(list(KEY), observed=True)["date"]
    first, last = dates.min(), dates.max()
    monthly = dates.agg(lambda d: bool(d.dt.is_month_start.all()))
    months = (last.dt.year - first.dt.year) * 12 + last.dt.month - first.dt.month + 1
    weeks = (last - first).dt.days // 7 + 1
    history = months.where(monthly, weeks)
    per_year = monthly.map({True: 12, False: 52})
    if not (horizon > LONG_HORIZON_YEARS * per_year).any():
        return
    short = history[horizon > history]
    ends = [
        day + (pd.DateOffset(months=horizon) if on_months else pd.DateOffset(weeks=horizon))
        for day, on_months in zip(last, monthly, strict=True)
    ]
    reasons = [f"more than {LONG_HORIZON_YEARS} years ahead"]
    if not short.empty:
        key, periods = short.index[0], int(short.iloc[0])
        unit = "months" if monthly[key] else "weeks"
        example = "e.g. " if len(short) > 1 else ""
        reasons.append(
            f"longer than the history of {len(short):,} of {len(history):,} series ({example}"
            f"{series_label(key)}: {periods} {unit})"
        )
    say_note(
        f"--horizon {horizon} reaches {max(ends):%Y-%m}, {' and '.join(reasons)}: the "
        "far steps are guesses, and their ranges say how little is known, not where prices "
        "will be"
    )


def note_case_twins(prices, fix: str, forecasting: bool = True) -> None:
    """One line on stderr for series whose names differ only in capitals, spacing or accents.

    "Rice | Colombo" and "rice | colombo", or "Mỏ Cày Bắc" and "Mo Cay Bac", are two series
    to the cleaner (names are data, and it does not rewrite them), but usually one series
    whose spelling changed: each half is then forecast from half the history. The user
    decides; the line says how to make them one (``fix``, see :func:`where_to_fix`).
    """
    from forecast.table import case_twins, series_label

    twins = case_twins(prices)
    if not twins:
        return
    first = " and ".join(f"'{series_label(key)}'" for key in twins[0])
    more = len(twins) - 1
    more = f" (and {more} more such group{'s' if more > 1 else ''})" if more else ""
    say_note(
        f"{first} differ only in capitals, spaces or accents{more} and are "
        f"{'forecast' if forecasting else 'kept'} apart; if they are one series, {fix}"
    )


def note_flat_series(prices, forecasts=None, shown: int = 2) -> None:
    """One line on stderr for series whose price never changed: their ranges have no width.

    A price fixed for its whole history gives no measure of how far it may move, so its
    forecast ranges collapse onto the price. That is what the data says, not a certainty.
    With ``forecasts``, only the flat series with a range of no width there are named: an
    ``auto`` forecast may have borrowed moves from the series' kin (``forecast.kin``).
    """
    import numpy as np
    import pandas as pd

    from forecast.kin import FLAT_TOLERANCE, flat_series
    from forecast.table import KEY, series_label

    flat = flat_series(prices)
    partly: set = set()
    if forecasts is not None and flat:
        bounds = [c for c in forecasts.columns if c.startswith("lower_")]
        width = pd.concat(
            [forecasts["upper_" + c[6:]] / forecasts[c] - 1 for c in bounds], axis=1
        ).fillna(np.inf)
        # A series is named when one of its levels has no width at some step (the first
        # steps are the narrowest); "in places" when its kin's moves widened the others.
        by = [forecasts[k] for k in KEY]
        zero = width <= FLAT_TOLERANCE
        some = zero.groupby(by, observed=True).any().any(axis=1)
        every = zero.groupby(by, observed=True).all().all(axis=1)
        flat = [key for key in flat if bool(some.get(key, False))]
        partly = {key for key in flat if not bool(every.get(key, False))}
    for group, where in (
        ([k for k in flat if k not in partly], "no width"),
        (
            [k for k in flat if k in partly],
            "no width in places (the first steps or the 80 %; moves of the same commodity "
            "elsewhere widen the rest)",
        ),
    ):
        if not group:
            continue
        examples = "; ".join(series_label(key) for key in group[:shown])
        more = f" and {len(group) - shown} more" if len(group) > shown else ""
        their = "their ranges have" if len(group) > 1 else "its ranges have"
        say_note(
            f"{len(group):,} series never changed price ({examples}{more}): {their} "
            f"{where}, because the history shows no move to measure, not because the price "
            "is certain"
        )


def note_flat_forecasts(input_: Path | None, db: Path | None, prices, forecasts) -> None:
    """After a forecast of the user's prices (a file or the store, not the embedded data):
    :func:`note_flat_series` from its ranges. A depot's store holds weeks of unchanged
    prices as often as a file does, and its ranges of no width need the note as much."""
    if input_ is not None or store_to_read(input_, db) is not None:
        note_flat_series(prices, forecasts)


#: A range whose upper end is this many times its lower end at a series' last step says
#: little of where the price goes: named after a forecast.
WIDE_RANGE_TIMES = 10.0


def note_wide_ranges(forecasts, shown: int = 2, per_chuc: dict | None = None) -> None:
    """The series whose widest range spans ``WIDE_RANGE_TIMES`` or more by their last step,
    widest first: a review found Dambulla's tomatoes at 5.68-1,884 around 125 (331-fold)
    a year on, unsaid among 1,442 series. Honest (their past moves were that wild, or too
    few to say more), and worth a word before anyone plans on them. ``per_chuc``: the
    series the command's output quotes per chục, quoted so here too."""
    import numpy as np

    from forecast.table import KEY

    uppers = [c for c in forecasts.columns if str(c).startswith("upper_")]
    if forecasts.empty or not uppers:
        return
    widest = max(uppers, key=lambda c: float(str(c).split("_", 1)[1]))
    lower = "lower_" + widest.split("_", 1)[1]
    last = forecasts.sort_values("date").groupby(list(KEY), sort=False).tail(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        times = last[widest].to_numpy(float) / last[lower].to_numpy(float)
    wide = last[np.isfinite(times) & (times >= WIDE_RANGE_TIMES)]
    if wide.empty:
        return
    order = np.argsort(-(wide[widest].to_numpy(float) / wide[lower].to_numpy(float)))

    def said(row) -> str:
        name, nuts = quoted_label(tuple(row[list(KEY)]), per_chuc)
        return (
            f"{name}: {money(row[lower] * nuts)}-{money(row[widest] * nuts)} "
            f"around {money(row['forecast'] * nuts)}"
        )

    examples = "; ".join(said(row) for _, row in wide.iloc[order[:shown]].iterrows())
    n, total = len(wide), last.shape[0]
    more = f" and {n - shown:,} more" if n > shown else ""
    has = "has" if n == 1 else "have"
    level = widest.split("_", 1)[1]
    say_note(
        f"{n:,} of {total:,} series {has} {level}% ranges {WIDE_RANGE_TIMES:g}-fold wide or "
        f"more by their last step ({examples}{more}): their past moves were that wild, or "
        "too few to say more; read them as where the price may go, not where it will"
    )


def note_mostly_estimated(input_: Path | None, db: Path | None, prices) -> None:
    """After a forecast of the user's prices: the series with as many prices cleaning
    filled in as real ones. A price every three months in a monthly file (a quarterly
    series) is two-thirds interpolated: its forecast and ranges follow a line smoother than
    any price it had, and the run said nothing (``data check`` lists the gaps filled)."""
    if input_ is None and store_to_read(input_, db) is None:
        return
    from forecast.table import KEY, interpolated, series_label

    filled = interpolated(prices)
    if not filled.any():
        return
    counts = (
        prices.assign(_filled=filled).groupby(list(KEY), sort=False)["_filled"].agg(["sum", "size"])
    )
    mostly = counts[counts["sum"] * 2 >= counts["size"]]
    if mostly.empty:
        return
    key, row = next(iter(mostly.iterrows()))
    real, estimated = int(row["size"] - row["sum"]), int(row["sum"])
    more = f" and {len(mostly) - 1:,} more" if len(mostly) > 1 else ""
    has = "has" if len(mostly) == 1 else "have"
    say_note(
        f"{len(mostly):,} of {len(counts):,} series {has} as many estimated prices as "
        f"real ones or more ({series_label(tuple(key))}: {real:,} real, {estimated:,} "
        f"filled in between{more}): prices a few periods apart, whose gaps cleaning filled "
        "by interpolation, so their forecasts and ranges follow a smoother line than their "
        "prices did; read their ranges as too narrow"
    )


def note_unscored_forecasts(input_: Path | None, db: Path | None, run, model: str) -> None:
    """After an ``auto`` forecast of the user's prices: the series too short to backtest,
    on stderr, even with --quiet. Their forecasts weigh the candidates that fit equally and
    their ranges come from past moves, not a backtest; the table gave three weeks' prices
    12-week ranges without a word, where the bulletin says "no outlook yet"."""
    if model != "auto" or (input_ is None and store_to_read(input_, db) is None):
        return
    from forecast.table import series_label

    unscored = [
        s for s in run.series if s.model == "auto" and s.explain and not s.explain.get("scores")
    ]
    if not unscored:
        return
    named = "; ".join(series_label(s.key) for s in unscored[:2])
    more = f" and {len(unscored) - 2:,} more" if len(unscored) > 2 else ""
    say_note(
        f"{len(unscored):,} of {len(run.series):,} series had too few prices "
        f"for auto to backtest ({named}{more}): their forecasts weigh the models that fit "
        "equally, unscored, and their ranges come from past price moves (their own, or "
        "their kin's), not from a backtest; --explain says per series"
    )


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
    console = Console(stderr=True)
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        # Piped into a log, a bar cannot redraw: it would leave only an empty line.
        disable=not console.is_terminal,
    )


def pct_change(new: float, old: float) -> str:
    change = 100 * (new / old - 1)
    if abs(change) < 0.05:  # exp(log(p)) is not always p: no "-0.0%" for an unchanged price
        change = 0.0
    return f"{change:+.1f}%"


def _decimals(size: float, currency: str | None) -> int | None:
    """Decimals a price of this size is written with: none above 100 (and in đồng, which
    has no smaller coin, from 1 up), cents above 1; ``None`` below 1 (significant digits)."""
    if size >= 100 or (size >= 1 and str(currency).strip().upper() == "VND"):
        return 0
    return 2 if size >= 1 else None


def money(value: float, currency: str | None = None) -> str:
    """A price or a price error for a table: whole above 100, cents above 1, three
    significant digits below, never in scientific notation ('0.00005', not '5e-05').
    Below a millionth it is float noise around zero (a perfect forecast's error) and
    reads '0'. In đồng (``currency`` VND), which has no smaller coin, whole from 1 up: an
    error of '50.00' beside '500' in one column read as two kinds of number."""
    if value != value:  # NaN
        return "–"
    size = abs(value)
    digits = _decimals(size, currency)
    if digits is not None:
        return f"{value:,.{digits}f}"
    if size >= 1e-4:  # where 'g' still writes fixed point
        return f"{value:,.3g}"
    fixed = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if float(fixed) == 0 else fixed


def money_range(lower: float, upper: float, like: float, currency: str | None = None) -> str:
    """A range ``lower – upper`` written to the precision of ``like`` (its forecast): each
    end by its own size wrote '80.85 – 504' beside a forecast of 202. An end that would read
    0 at that precision keeps its own digits (no price is 0). ``none`` for no range."""
    if lower != lower:  # NaN: too short to measure how its price moves
        return "none"
    digits = _decimals(abs(like), currency)

    def written(value: float) -> str:
        if digits is None or round(value, digits) == 0:
            return money(value, currency)
        return f"{value:,.{digits}f}"

    return f"{written(lower)} – {written(upper)}"


def parse_choice(enum: type[Enum], option: str):
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
                f"'{value}' is not one of {choices}",
                option,
                f"Use e.g. {option} {next(iter(enum)).value}",
            ) from None

    parse.__name__ = enum.__name__.lower()
    return parse


class Lang(str, Enum):
    en = "en"
    vi = "vi"


def lang_option(help: str):
    """``--lang en|vi``, one 'error:' line for any other, with ``help`` for its command."""
    return Annotated[
        Lang,
        typer.Option(parser=parse_choice(Lang, "--lang"), metavar="[en|vi]", help=help),
    ]


def parse_as_of(text: str | None):
    """'2025-06' or '2025-06-01' -> Timestamp; anything else is a usage error.

    A date with slashes is day first or month first as its numbers tell (13/06/2022 is 13
    June); '05/06/2022' could be either, and was read as 6 May where a Vietnamese reader
    means 5 June, so it is refused."""
    if text is None:
        return None
    import unicodedata

    import pandas as pd

    written = text
    if re.fullmatch(r"\s*\d{4}\s*", text):  # read as its January: a bulletin of the wrong month
        year = text.strip()
        raise UsageError(
            f"'{year}' is a year; --as-of needs a month", "--as-of", f"Use e.g. --as-of {year}-12"
        )
    if m := re.search(
        r"(\d{4})\s*-?\s*[Qq]([1-4])|[Qq]([1-4])\s*-?\s*(\d{4})|\b([1-4])\s*[Qq]\s*-?\s*(\d{4})",
        text,
    ):
        # pandas read '2022Q2' (and '2Q2022') as its first month, April: a quarter is no month.
        year, quarter = next(
            (m.group(y), m.group(q)) for y, q in ((1, 2), (4, 3), (6, 5)) if m.group(y)
        )
        last = 3 * int(quarter)
        raise UsageError(
            f"'{text.strip()}' is a quarter; --as-of needs a month",
            "--as-of",
            f"Use e.g. --as-of {year}-{last:02d}, the quarter's last month",
        )
    # A month as a bulletin writes it: "T6/2022", "tháng 6/2022", "Tháng 6 năm 2022".
    if m := re.fullmatch(
        r"\s*(?:t|tháng|thang)\s*(\d{1,2})\s*(?:[/.-]|\s(?:năm|nam)?)\s*(\d{4})\s*",
        unicodedata.normalize("NFC", text),  # a Mac's shell may send "á" as a + accent
        re.IGNORECASE,
    ):
        text = f"{m.group(2)}-{int(m.group(1)):02d}"
    if m := re.fullmatch(r"\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})\s*", text):
        first, _, second, year = m.groups()
        first, second, year = int(first), int(second), int(year)
        if len(m.group(4)) == 2:  # '22 is 2022, '99 is 1999: never a year still to come
            year += 2000 if 2000 + year <= pd.Timestamp.today().year else 1900
        if 1 <= first <= 12 and 1 <= second <= 12 and first != second:
            from forecast.bulletin.wording import MONTHS_EN_LONG as months

            raise UsageError(
                f"'{text}' could be {first} {months[second - 1]} or {second} {months[first - 1]}",
                "--as-of",
                f"Write it as {year}-{second:02d}-{first:02d} or {year}-{first:02d}-{second:02d}",
            )
        day, month = (first, second) if first > 12 else (second, first)
        text = f"{year}-{month:02d}-{day:02d}"
    try:
        stamp = pd.Timestamp(text)
    except (TypeError, ValueError):
        stamp = pd.NaT
    # A date without its year ('June', 'June 5') is read in the year 1 by pandas.
    if pd.isna(stamp) or not _year_written(stamp, text):
        raise UsageError(
            f"'{written}' is not a date", "--as-of", "Give a year and month, e.g. --as-of 2025-06"
        )
    return stamp


def _year_written(stamp, text: str) -> bool:
    """Whether ``text`` writes the year pandas read from it, in four digits."""
    return f"{stamp.year:04d}" in re.findall(r"\d{4}", text)


def check_as_of(stamp, prices, after_months: int = 12) -> None:
    """--as-of within the data: no later than ``after_months`` past its last price, nor
    after today, nor before its first. Outside, every series is "no price yet" or "no
    recent price", and a report of none in trouble would read as good news about a time
    the data do not cover.
    """
    if stamp is None or prices.empty:
        return
    import pandas as pd

    first, last = prices["date"].min(), prices["date"].max()
    # Nor after today: a bulletin dated June 2027 was written from November 2026's prices.
    today = pd.Timestamp.today().normalize()
    latest = min(last + pd.DateOffset(months=after_months), max(today, last))
    span = (
        f"The data run from {first:%Y-%m-%d} to {last:%Y-%m-%d}: choose an --as-of from "
        f"{first:%Y-%m-%d} to {latest:%Y-%m-%d}"
    )
    if stamp < first:
        raise UsageError(f"no prices on or before {stamp:%Y-%m-%d}", "--as-of", span)
    if stamp > last + pd.DateOffset(months=after_months):
        raise UsageError(
            f"{stamp:%Y-%m-%d} is more than {after_months} months after the last price",
            "--as-of",
            span,
        )
    if stamp > latest:
        raise UsageError(
            f"{stamp:%Y-%m-%d} is after today ({today:%Y-%m-%d}), and no price is known then",
            "--as-of",
            span,
        )


def store_previous_forecasts(input_: Path | None, db: Path | None, as_of=None):
    """The store's archived forecasts a bulletin checks against the prices (None without one)."""
    path = store_to_read(input_, db)
    if path is None:
        return None
    from forecast.store import open_store, previous_forecasts

    return previous_forecasts(open_store(path), as_of)


#: Narrowest a column whose words fold (``overflow="fold"``) may be and still be read,
#: its padding included.
FOLDED_WIDTH = 16


def table_fits(table, out) -> bool:
    """Whether Rich lays ``table`` out at ``out``'s width without cutting a word: every
    column at least as wide as its longest word (Rich narrows the widest columns first,
    below that, whatever their words), or, where its words fold across lines,
    ``FOLDED_WIDTH``; and nothing but blanks and borders past the terminal's edge."""
    from rich.measure import Measurement

    unlimited = out.options.update_width(10**4)
    # Measured without a width limit: within one, Rich reports the limit as the minimum.
    smallest = Measurement.get(out, unlimited, table).minimum
    try:  # Rich's own layout; private, so an older or newer Rich only gets the check above
        words = [table._measure_column(out, unlimited, c).minimum for c in table.columns]
        # As Rich lays it out: the columns share the width its borders leave.
        inside = out.options.update_width(out.width - table._extra_width)
        widths = table._calculate_column_widths(out, inside)
    except (AttributeError, TypeError):
        return smallest <= out.width
    needs = [
        min(word, FOLDED_WIDTH) if column.overflow == "fold" else word
        for word, column in zip(words, table.columns, strict=True)
    ]
    if smallest - sum(words) + sum(needs) > out.width:  # borders and padding, then columns
        return False
    if any(width < need for width, need in zip(widths, needs, strict=True)):
        return False
    # Columns that may not wrap can leave the table wider than the terminal, which then
    # crops its right end (a range cut to '12,26', a column gone): its lines, uncropped,
    # must fit (blank padding past the edge is no loss).
    from rich.segment import Segment

    for line in Segment.split_lines(out.render(table, out.options)):
        cropped = "".join(segment.text for segment in line if not segment.control)[out.width :]
        # (Past the edge, blanks and box drawing, U+2500-257F, are no loss.)
        if any(not (ch.isspace() or 0x2500 <= ord(ch) < 0x2580) for ch in cropped):
            return False
    return True


def _widest_rows(table, first: int = 50):
    """``table`` cut to its first ``first`` rows and, of each column, the row with its
    longest cell and the one with its longest word: what decides whether it fits. Measured
    whole, a list of 13,000 series was laid out twice, 20 s before a line was printed."""
    if table.row_count <= 4 * first:
        return table
    import copy

    from rich.text import Text

    def text(cell) -> str:
        return cell.plain if isinstance(cell, Text) else str(cell)

    keep = set(range(first))
    for column in table.columns:
        cells = [text(cell) for cell in column.cells]
        keep.add(max(range(len(cells)), key=lambda i: len(cells[i])))
        keep.add(max(range(len(cells)), key=lambda i: max(map(len, cells[i].split()), default=0)))
    rows = sorted(keep)
    sample = copy.copy(table)
    sample.rows = [table.rows[i] for i in rows]
    sample.columns = [copy.copy(column) for column in table.columns]
    for column, whole in zip(sample.columns, table.columns, strict=True):
        cells = list(whole.cells)
        if not hasattr(column, "_cells"):  # Rich's private store: another Rich, the whole
            return table
        column._cells = [cells[i] for i in rows]
    return sample


def print_table(table, out=None) -> None:
    """Print a Rich table, or, when the terminal is too narrow for it (a phone over SSH,
    a split window), each row as a block: its first cell, then one ``header  value`` line
    per other cell.

    Rich fits a table that is too wide by cutting cells ("8,6…"), folding numbers across
    lines or dropping whole columns; a block per row keeps every value whole. A column
    whose words may fold (names in a long list) keeps the table down to ``FOLDED_WIDTH``.
    """
    from rich.table import Table as _Table
    from rich.text import Text

    out = out or console
    if table_fits(_widest_rows(table), out):
        out.print(table)
        return
    if table.title:
        out.print(table.title, highlight=False)
    columns = table.columns
    cells = [list(column.cells) for column in columns]

    def new_block():
        block = _Table.grid(padding=(0, 1))
        # Headers wrap too: on a very narrow screen a header that may not left its value
        # no room at all.
        block.add_column(style="dim", ratio=1)
        block.add_column(overflow="fold", ratio=2)
        return block

    # A value wider than its column (a range of hundreds of millions at 30 columns) folded
    # over two lines ("95,425,221 –" over "121,802,140"): it takes a line of its own. The
    # column is what the labels' column (a third of the width, or the longest label of the
    # values left in it) and the space between leave.
    def room(labels) -> int:
        longest = max((label.cell_len for label in labels), default=0)
        return out.width - 1 - max(longest, (out.width - 1) // 3)

    for row in range(table.row_count):
        out.print(cells[0][row], highlight=False)
        items = []
        for column, values in zip(columns[1:], cells[1:], strict=True):
            value = values[row]
            if isinstance(value, str) and not value.strip():
                continue
            header = column.header
            if isinstance(header, str):
                header = Text.from_markup(" ".join(header.split()))
            label = Text("  ") + header if isinstance(header, Text) else Text("  ")
            shown = out.render_str(value) if isinstance(value, str) else value
            width = shown.cell_len if isinstance(shown, Text) else 0
            items.append((label, value, shown, width))
        own: set[int] = set()
        while True:  # the widest set apart leaves its label out of the column: look again
            kept = [i for i in range(len(items)) if i not in own]
            wide = [i for i in kept if items[i][3] > room([items[k][0] for k in kept])]
            if not wide:
                break
            own.add(max(wide, key=lambda i: items[i][3]))
        block = new_block()
        for i, (label, value, shown, width) in enumerate(items):
            if i not in own:
                block.add_row(label, value)
                continue
            if block.row_count:
                out.print(block)
                block = new_block()
            out.print(label, style="dim", highlight=False)
            # Indented where it fits so; a value wider than the terminal still folds.
            out.print(Text(" " * max(0, min(4, out.width - width))) + shown, highlight=False)
        if block.row_count:
            out.print(block)
    if table.caption:
        out.print(table.caption, highlight=False)
