"""cropcast: crop price and seasonal forecasting.

The flow, one module (or subpackage) a stage::

    forecast.io        read + map columns            -> RawPrices
    forecast.clean     parse, normalise, dedupe,      -> CleanResult(prices, report, rejected)
                       regularise, flag
    forecast.calendar  harvest calendars              -> harvest features, season labels
    forecast.models    one module per model family    -> fit(y, X) / predict(h, X_future, levels)
    forecast.backtest  rolling-origin windows         -> long table with cutoff; metrics
    forecast.auto      choose/combine per series, conformal calibration

Nothing here prints or parses argv except ``forecast.commands``, the commands ``cli.py``
assembles into the ``cropcast`` app.
"""

__version__ = "0.1.0"
