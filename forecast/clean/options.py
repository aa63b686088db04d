"""The knobs of cleaning, grouped in one frozen dataclass (checked by :func:`check_options`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from forecast.errors import UsageError


@dataclass(frozen=True)
class CleanOptions:
    """How to clean one file.

    Attributes
    ----------
    freq
        ``"monthly"``, ``"weekly"`` or ``None`` to infer per file (see
        :func:`forecast.clean.dates.infer_frequency`).
    dayfirst
        ``True`` for dd/mm/yyyy, ``False`` for mm/dd/yyyy, ``None`` to detect from the column.
        Detection: a first field above 12 means dayfirst, a second field above 12 means
        monthfirst; if neither settles it (and the two readings differ), cleaning stops with an
        ``InputError`` asking for this option, except for WFP files, which are m/d/yyyy.
    keep_flags
        WFP ``priceflag`` values that are observed prices. Rows with any other flag are refused.
    chuc_size
        Nuts in one *chục* (12 in most markets; some count 14 or 16).
    rates, currency
        A rates table (``currency, to_currency, rate`` and optionally ``date``) and the target
        currency. Without both, no price changes currency.
    max_gap
        Interior gaps of up to this many periods are filled by log-linear interpolation and
        flagged ``interpolated``; longer gaps are left and reported.
    outliers
        ``"flag"`` marks outliers ``outlier`` and keeps them; ``"reject"`` refuses them.
    min_length
        Series with fewer observations are reported as short (never dropped).
    today
        Dates after this day are refused (default: the real today).
    decimal
        Override for the decimal separator of text prices: ``"."`` or ``","``. ``None`` reads
        each value by the rule in :mod:`forecast.clean.numbers` (WFP and Pink Sheet files
        default to ``"."``, as their publishers write English numbers).
    known_prices
        Prices already known for the file's series (``commodity, market, price_type,
        currency, unit, date, price``: a store's). A "56.500" its own series cannot tell
        is read as the known prices of the year around it say (56.5 nghìn đồng beside
        stored 56,000 đồng, not 56.5 million) before other markets' prices or the
        currency's habit decide.
    """

    freq: str | None = None
    dayfirst: bool | None = None
    keep_flags: tuple[str, ...] = ("actual", "aggregate")
    chuc_size: int = 12
    rates: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    currency: str | None = None
    max_gap: int = 2
    outliers: str = "flag"
    min_length: int = 24
    today: date | None = None
    decimal: str | None = None
    known_prices: pd.DataFrame | None = field(default=None, compare=False, repr=False)


def check_options(options: CleanOptions) -> CleanOptions:
    """Refuse option values that make no sense, with the fix."""
    if options.freq not in (None, "monthly", "weekly"):
        raise UsageError(f"unknown frequency {options.freq!r}", "freq", "Use 'monthly' or 'weekly'")
    if options.outliers not in ("flag", "reject"):
        raise UsageError(
            f"unknown outlier mode {options.outliers!r}",
            "outliers",
            "Use 'flag' (keep and mark) or 'reject'",
        )
    if int(options.chuc_size) != options.chuc_size or options.chuc_size < 1:
        raise UsageError(
            f"chục size {options.chuc_size} must be a whole number >= 1",
            "chuc_size",
            "Use e.g. 12, 14 or 16",
        )
    if int(options.max_gap) != options.max_gap or options.max_gap < 0:
        raise UsageError(f"max_gap {options.max_gap} must be a whole number >= 0", "max_gap")
    if options.min_length < 0:
        raise UsageError(f"min_length {options.min_length} must be >= 0", "min_length")
    if options.decimal not in (None, ".", ","):
        raise UsageError(f"decimal separator {options.decimal!r} is not '.' or ','", "decimal")
    if options.rates is not None:
        missing = {"currency", "to_currency", "rate"} - set(options.rates.columns)
        if missing:
            raise UsageError(
                f"rates table lacks column(s) {', '.join(sorted(missing))}",
                "rates",
                "Give columns currency, to_currency, rate and optionally date",
            )
    return options
