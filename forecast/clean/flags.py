"""Price flags: only observed prices go on (WFP ``priceflag``)."""

from __future__ import annotations

import pandas as pd

from forecast.clean.base import StepOutput, map_unique, split_rejected, tidy_text
from forecast.clean.options import CleanOptions

#: Why a publisher's own forecast row is left out (WFP's priceflag 'forecast').
FORECAST_REASON = "price flag 'forecast' is not an observed price"


def flag_reason(value: object, keep: frozenset[str]) -> str | None:
    """Why a ``priceflag`` value is refused, or ``None`` to keep it.

    The flag may list several values (``"actual,aggregate"``); every one must be kept. An
    empty flag (a file without the column) is kept.
    """
    text = tidy_text(value)
    parts = [p.strip().casefold() for p in text.split(",") if p.strip()]
    refused = [p for p in parts if p not in keep]
    if not refused:
        return None
    if "forecast" in refused:
        return FORECAST_REASON
    return f"price flag '{text}' is not one of the kept flags ({', '.join(sorted(keep))})"


def filter_price_flags(frame: pd.DataFrame, options: CleanOptions) -> StepOutput:
    """Step "price flags": refuse rows whose ``priceflag`` is not in ``options.keep_flags``."""
    keep = frozenset(f.strip().casefold() for f in options.keep_flags)
    reasons = map_unique(frame["priceflag"], lambda v: flag_reason(v, keep))
    kept, rejected = split_rejected(frame, reasons)
    return StepOutput(kept, rejected)


def left_out_by_design(reason: str) -> bool:
    """Whether cleaning refuses rows for ``reason`` by design, whatever the file: a
    publisher's own forecasts (WFP's 'forecast' rows), which are no observed prices.
    Nothing in the file is to fix for these, and a file is not mostly refused for them;
    every other reason, an unknown or misspelt flag ('actaul') too, is a row to fix."""
    return reason == FORECAST_REASON
