"""cropcast command line: thin commands over the ``forecast`` package, printed with Rich.

Every command works with no arguments on the embedded default data. Errors a user can fix
print one line on stderr and exit non-zero; ``--debug`` shows the traceback instead.

This file assembles the app; each command lives in ``forecast/commands/``, a module per
command or group, and what they share (options, loading, one-line errors) in its
``shared`` module.
"""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

try:  # a Ctrl-C while the commands load (the first 0.2 s) printed a traceback
    import typer

    from forecast.commands import alerts, bulletin, calendar, charts, data, forecasts, store
    from forecast.commands.shared import CropcastGroup
except KeyboardInterrupt:
    import signal

    # A second Ctrl-C (users press twice) would end the exit itself with SIGINT (exit -2).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    print("interrupted", file=sys.stderr)
    raise SystemExit(130) from None

app = typer.Typer(
    cls=CropcastGroup,
    help="Crop price forecasts, harvest calendars and farmer bulletins.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(data.data_app, name="data")
app.add_typer(calendar.calendar_app, name="calendar")
app.command("forecast")(forecasts.forecast_cmd)
app.command("backtest")(forecasts.backtest_cmd)
app.command("alerts")(alerts.alerts_cmd)
app.command("plot")(charts.plot_cmd)
app.add_typer(bulletin.bulletin_app, name="bulletin")
app.add_typer(store.store_app, name="store")
app.command("ingest")(store.ingest_cmd)
app.command("accuracy")(store.accuracy_cmd)


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """Crop price forecasts, harvest calendars and farmer bulletins."""


def main() -> None:
    """Console entry point (``cropcast``)."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        # Under a profiler or a debugger (`python -m cProfile -o F cli.py`), which has
        # its own work to do after this returns: a normal exit.
        app(prog_name="cropcast")
        return
    try:
        _stop_once_on_ctrl_c()
        _plain_help_when_narrow()
        try:
            app(prog_name="cropcast")
        finally:
            # The command is over: a Ctrl-C from here on raises nothing (see _leave). One
            # landing in the lines below, before _leave, printed a traceback (3 runs of 17).
            _over()
    except SystemExit as done:  # how every command ends, well or badly
        if _stopped_by_typer(done):
            print("interrupted", file=sys.stderr)
        _leave(done.code)
    except KeyboardInterrupt:  # raised outside a command: while it was starting
        print("interrupted", file=sys.stderr)
        _leave(130)
    _leave(0)


def _stopped_by_typer(done: SystemExit) -> bool:
    """Whether Typer ended the command for a Ctrl-C before the command ran (while it built
    the commands' options, 0.15-0.2 s in: Typer's ``Exit(130) from KeyboardInterrupt``),
    saying nothing: the command's own Ctrl-C says "interrupted" itself."""
    seen = done.__context__
    while seen is not None:
        if isinstance(seen.__cause__, KeyboardInterrupt):
            return True
        seen = seen.__context__
    return False


#: Narrower than this, ``--help`` is Click's plain text (see _plain_help_when_narrow).
RICH_HELP_WIDTH = 80


def _plain_help_when_narrow() -> None:
    """On a terminal narrower than ``RICH_HELP_WIDTH`` (a phone over SSH, a split window)
    Rich's help panels cut option names and defaults ('--no-expla…', '[defa…'); Click's
    plain help wraps every line instead."""
    from forecast.commands.shared import console

    if console.width >= RICH_HELP_WIDTH:
        return
    # Click wraps at 50 columns at least, unless told the width (the commands' contexts
    # inherit it from the root's); and it keeps 30 columns for option names, which left
    # their help 10 at 40 columns, words split: there, a name longer than a third of the
    # width has a line of its own, its help below it.
    app.info.context_settings = {"terminal_width": console.width}
    context = typer.main.get_command(app).context_class

    class NarrowHelp(context.formatter_class):
        def write_dl(self, rows, col_max=30, col_spacing=2):
            super().write_dl(rows, min(col_max, self.width // 3), col_spacing)

    context.formatter_class = NarrowHelp
    apps = [app]
    while apps:
        typer_app = apps.pop()
        typer_app.rich_markup_mode = None
        apps += [group.typer_instance for group in typer_app.registered_groups]


#: A Ctrl-C this long after the first ends the process at once: the stop itself is stuck.
INSIST_SECONDS = 3.0
#: The longest a Ctrl-C is put off while an import runs (see _stop_once_on_ctrl_c): the
#: imports it waits for take a second at most (statsmodels 0.65 s, scikit-learn 0.55 s).
PUT_OFF_SECONDS = 2.0
#: When the command began to stop: its first Ctrl-C, or its end (see _leave). A Ctrl-C
#: after that raises nothing.
_stopping: list[float] = []


def _stop_once_on_ctrl_c() -> None:
    """The first Ctrl-C stops the command (``KeyboardInterrupt``, "interrupted", exit 130);
    more in the next ``INSIST_SECONDS`` are ignored while it stops, and one after that ends
    the process at once.

    A terminal sends Ctrl-C to the workers too, and users press it twice: the second
    landed in the worker pool's shutdown, printed four tracebacks and left the process
    waiting for workers nobody had told to stop, for good.

    The first is put off (10 ms at a time, ``PUT_OFF_SECONDS`` at most) while this thread
    imports a module (see ``_importing``), an import takes Python's import lock, or a
    garbage collector's callback runs. Raised in the collector's clean-up of an import's
    lock, it was swallowed and left the import lock held: a Dask cluster starting in
    another thread waited for it at its next import, and the command for the cluster, for
    good (a Ctrl-C 0.5-0.9 s into a Dask run, 1 run in 8). Raised in Dask's collector
    callback, it was swallowed and the run went on (2 Ctrl-C in 24, 2 s into a Dask run).
    Not put off while the lock is merely held: another thread may hold it for long, and a
    Ctrl-C was then put off until the run had ended.
    """
    import os
    import signal
    import time

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return
    first = _stopping
    pressed: list[float] = []  # when the Ctrl-C being put off was pressed

    def on_ctrl_c(signum, frame):
        if not first:
            now = time.monotonic()
            if not pressed:
                pressed.append(now)
            # Put off PUT_OFF_SECONDS at most: an import that hangs must not hold it for good.
            if now - pressed[0] < PUT_OFF_SECONDS and (
                _importing(frame) or _taking_import_lock(frame) or _in_gc_callback(frame)
            ):
                signal.setitimer(signal.ITIMER_REAL, 0.01)  # asked again, as SIGALRM
                return
            first.append(now)
            raise KeyboardInterrupt
        if signum == signal.SIGINT and time.monotonic() - first[0] > INSIST_SECONDS:
            os._exit(130)

    signal.signal(signal.SIGINT, on_ctrl_c)
    signal.signal(signal.SIGALRM, on_ctrl_c)


#: importlib's functions an import runs under: loading a module, and waiting for one
#: another thread is loading.
_IMPORTS = ("_find_and_load", "_lock_unlock_module")


def _importing(frame) -> bool:
    """Whether ``frame`` runs inside an import (see ``_IMPORTS``). A compiled module's
    start-up swallows what its Python calls raise, and a Ctrl-C raised there (numpy.random's
    ``abc.register``, 4 runs in 775 of `data list` Ctrl-C'd 0.33-0.40 s in) was lost: the
    command ran on and exited 0, and Ctrl-C again did nothing for 3 s. Raised while this
    thread waited for a module another was importing (the workers' start-up thread), it
    broke importlib's lock and ended in a traceback and exit 1."""
    while frame is not None:
        code = frame.f_code
        if code.co_filename == "<frozen importlib._bootstrap>" and code.co_name in _IMPORTS:
            return True
        frame = frame.f_back
    return False


def _taking_import_lock(frame) -> bool:
    """Whether ``frame`` is one of the two importlib functions that take Python's import
    lock (``_get_module_lock``, and ``cb``, the clean-up of a module lock), where an
    interrupt between taking it and the ``try`` that gives it back would keep it."""
    return frame is not None and (
        frame.f_code.co_filename == "<frozen importlib._bootstrap>"
        and frame.f_code.co_name in ("_get_module_lock", "cb")
    )


def _in_gc_callback(frame) -> bool:
    """Whether ``frame`` runs inside one of the garbage collector's callbacks or a
    ``__del__``, which swallow what they raise."""
    import gc

    codes = {getattr(getattr(c, "__func__", c), "__code__", None) for c in gc.callbacks}
    while frame is not None:
        if frame.f_code in codes or frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def _over() -> None:
    """Mark the command as stopping, if no Ctrl-C has yet: a Ctrl-C now raises nothing."""
    import time

    if not _stopping:
        _stopping.append(time.monotonic())


def _leave(code: int | str | None) -> NoReturn:
    """End the process once the command is done, skipping the interpreter's teardown.

    Python's own exit frees pandas, scipy and statsmodels module by module after the
    command has finished: 0.15-0.3 s of every run, as long as a forecast of ten series.
    Nothing cropcast writes waits for it: files, charts and the store are closed by the
    ``with`` blocks that wrote them. What does matter at exit still runs, as in a normal
    exit: the wait for other threads (the start-up thread of the workers), the ``atexit``
    handlers (the worker pool's shutdown, logging), and the flush of stdout and stderr.
    """
    import atexit
    import os
    import threading

    # The command is over: a Ctrl-C now (pressed as the run ended) would raise in the
    # clean-up below, in loky's join of its pool or in multiprocessing's finalizers, and
    # print a 40-line traceback and exit -2 (6 of 30 Ctrl-C 0-30 ms after a processes run
    # wrote its output), or cut the finalizers short and leave the semaphores they unlink
    # for the resource tracker to report as leaked. It is ignored, as a second Ctrl-C is;
    # one INSIST_SECONDS later ends a stuck exit at once.
    _over()
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): Python prints it, exit code 1
        print(code, file=sys.stderr)
        code = 1
    wait_for_threads = getattr(threading, "_shutdown", None)  # what Python's exit calls first
    if wait_for_threads is not None:
        wait_for_threads()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with it closed (`cropcast --help >&-`)
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader left, the stream was closed, disk full
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
