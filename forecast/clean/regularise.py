"""Regularise: one value per series and period, short gaps filled, long gaps reported.

After :func:`forecast.clean.dates.assign_periods` every date is its period start. Several
observations inside one period (weekly data cleaned as monthly, two market days in a week)
become their median, flagged ``aggregated``. Interior gaps of up to ``max_gap`` periods are
filled by linear interpolation in log space (a constant growth rate between the neighbours),
flagged ``interpolated``; longer gaps stay gaps and are reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.clean.base import (
    StepOutput,
    add_mark,
    counted,
    label,
    map_unique,
    series_blocks,
    split_marks,
)
from forecast.clean.duplicates import combine, settle_groups
from forecast.clean.options import CleanOptions
from forecast.table import KEY


def aggregate_periods(frame: pd.DataFrame, options: CleanOptions) -> StepOutput:
    """Step "regularise": the median of several observations in one period, flagged."""
    ids = list(KEY) + ["date"]
    out, several, _ = combine(frame, ids)
    if out is frame:
        return StepOutput(frame)
    out = out.assign(flags=add_mark(out["flags"], several, "aggregated"))
    # As for conflicting duplicates: prices twofold apart in one period (5,040 on the 15th,
    # 49,500 on the 16th) have a median nobody paid; the ones near the series stand.
    out, groups = settle_groups(frame, out, out.index[several], ids, options.known_prices)
    by_unit = sum(g["rule"] == "unit" for g in groups)
    far = [g for g in groups if g["apart"]]  # the unit rule settles no prices twofold apart
    nearer = sum(g["rule"] == "nearest" for g in far)
    extra = int(frame.duplicated(ids).sum())
    note = (
        f"{counted(int(several.sum()), 'period')} held several observations: median taken "
        f"({counted(extra, 'row')} merged)"
        + (
            f"; in {by_unit} whose prices were written in different units, of those in the "
            "series' own unit"
            if by_unit
            else ""
        )
        + (
            f"; in {nearer} whose prices were twofold apart, of those near the series' own"
            if nearer
            else ""
        )
        + (
            f"; {len(far) - nearer} with prices twofold apart and no other price of the series "
            "to tell which is right: median of all"
            if len(far) > nearer
            else ""
        )
    )
    details = {"aggregated": int(several.sum()), "aggregated_apart": nearer}
    return StepOutput(out, notes=[note], details=details)


def steps_between(a: pd.Timestamp, b: pd.Timestamp, freq: str) -> int:
    """Whole periods of ``freq`` ('monthly' or 'weekly') from ``a`` to ``b``."""
    if freq == "monthly":
        return (b.year - a.year) * 12 + (b.month - a.month)
    return (b - a).days // 7


def _shift(date: pd.Timestamp, n: int, freq: str) -> pd.Timestamp:
    if freq == "monthly":
        return date + pd.DateOffset(months=n)
    return date + pd.Timedelta(weeks=n)


def _period_numbers(dates: pd.Series, freq: str) -> np.ndarray:
    """Each date's period counted from an epoch, so that periods apart subtract."""
    if freq == "monthly":
        return (dates.dt.year * 12 + dates.dt.month).to_numpy(dtype=np.int64)
    days = (dates.to_numpy() - np.datetime64("1970-01-01")) // np.timedelta64(1, "D")
    return days.astype(np.int64)


def fill_gaps(frame: pd.DataFrame, options: CleanOptions, *, freq: str) -> StepOutput:
    """Step "gaps": interpolate gaps of up to ``max_gap`` periods, report the longer ones."""
    ordered, blocks = series_blocks(frame)
    periods = _period_numbers(ordered["date"], freq)
    apart = np.diff(periods) if freq == "monthly" else np.diff(periods) // 7
    # Gaps are between neighbours of one series, found for every series in one pass: a
    # national file has 40,000 series.
    stops = np.array([stop for _, _, stop in blocks], dtype=int)
    last_of_series = np.zeros(len(ordered), bool)
    last_of_series[stops - 1] = True
    missing = np.where(last_of_series[:-1], 0, apart - 1) if len(ordered) else apart
    shifted: dict[tuple[pd.Timestamp, int], pd.Timestamp] = {}

    def shift(date: pd.Timestamp, n: int) -> pd.Timestamp:
        if (date, n) not in shifted:  # a few hundred dates, shifted by a few periods
            shifted[date, n] = _shift(date, n, freq)
        return shifted[date, n]

    block_of = np.repeat(np.arange(len(blocks)), np.diff(np.concatenate([[0], stops])))
    long = np.flatnonzero(missing > options.max_gap)
    filled = np.flatnonzero((missing > 0) & (missing <= options.max_gap))
    counts = missing[filled]
    left = np.repeat(filled, counts)  # each new period's price before the gap
    step = np.arange(len(left)) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    # Only the dates around gaps as Timestamps: a million of them took a second.
    wanted = np.unique(np.concatenate([filled, long, long + 1]))
    dates = dict(zip(wanted.tolist(), ordered["date"].iloc[wanted].tolist(), strict=True))
    gaps = [
        {
            "series": label(blocks[block_of[i]][0]),
            "from": shift(dates[i], 1).date().isoformat(),
            "to": shift(dates[i + 1], -1).date().isoformat(),
            "length": int(missing[i]),
        }
        for i in long
    ]
    logs = np.log(ordered["price"].to_numpy(dtype=float))
    share = step / (np.repeat(counts, counts) + 1)
    prices = np.exp(logs[left] + (logs[left + 1] - logs[left]) * share)
    new_rows = {
        **{c: ordered[c].iloc[left].tolist() for c in KEY},
        "date": [shift(dates[i], int(j)) for i, j in zip(left, step, strict=True)],
        "price": prices.tolist(),
        "flags": ["interpolated"] * len(left),
        "_obs": [()] * len(left),
    }
    notes = []
    if len(left):
        added = pd.DataFrame(new_rows)
        added["date"] = added["date"].astype(frame["date"].dtype)
        out = pd.concat([frame, added], ignore_index=True)
        notes.append(
            f"{counted(len(left), 'missing period')} filled by log interpolation "
            f"(gaps up to {options.max_gap})"
        )
    else:
        out = frame
    if gaps:
        notes.append(
            f"{counted(len(gaps), 'gap')} longer than {counted(options.max_gap, 'period')} "
            "left as gaps"
        )
    return StepOutput(out, notes=notes, details={"interpolated": len(left), "gaps": gaps})


def short_series(frame: pd.DataFrame, options: CleanOptions) -> StepOutput:
    """Step "eligibility": report series with fewer than ``min_length`` observations.

    Interpolated periods do not count as observations. Nothing is dropped.
    """
    observed = ~map_unique(frame["flags"], lambda f: "interpolated" in split_marks(f)).astype(bool)
    keys = zip(*(frame[c].tolist() for c in KEY), strict=True)
    counts: dict[tuple, int] = {}
    for key, seen in zip(keys, observed.tolist(), strict=True):
        counts[key] = counts.get(key, 0) + int(seen)
    counts = dict(sorted(counts.items()))
    short = [
        {"series": label(key), "length": int(n)}
        for key, n in counts.items()
        if n < options.min_length
    ]
    notes = (
        [
            f"{len(short):,} of {len(counts):,} series "
            f"{'has' if len(short) == 1 else 'have'} fewer than {options.min_length} observations"
        ]
        if short
        else []
    )
    return StepOutput(frame, notes=notes, details={"short_series": short, "series": len(counts)})
