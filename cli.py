"""cropcast command line: thin commands over the ``forecast`` package, printed with Rich.

Every command works with no arguments on the embedded default data. Errors a user can fix
print one line on stderr and exit non-zero; ``--debug`` shows the traceback instead.

This file assembles the app; each command lives in ``forecast/commands/``, a module per
command or group, and what they share (options, loading, one-line errors) in its
``shared`` module.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from forecast.commands import alerts, bulletin, calendar, charts, data, forecasts, store
from forecast.commands.shared import CropcastGroup

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
    app(prog_name="cropcast")


if __name__ == "__main__":
    sys.exit(main())
