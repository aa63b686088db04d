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
    out, groups = settle_groups(frame, out, out.index[several], ids)
    far = [g for g in groups if g["apart"]]
    nearer = sum(g["rule"] == "nearest" for g in far)
    extra = int(frame.duplicated(ids).sum())
    note = (
        f"{counted(int(several.sum()), 'period')} held several observations: median taken "
        f"({counted(extra, 'row')} merged)"
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


def fill_gaps(frame: pd.DataFrame, options: CleanOptions, *, freq: str) -> StepOutput:
    """Step "gaps": interpolate gaps of up to ``max_gap`` periods, report the longer ones."""
    new_rows = []
    gaps = []
    ordered, blocks = series_blocks(frame)
    all_dates = ordered["date"].tolist()
    all_logs = np.log(ordered["price"].to_numpy(dtype=float))
    for key, start, stop in blocks:
        dates = all_dates[start:stop]
        logs = all_logs[start:stop]
        for i in range(len(dates) - 1):
            missing = steps_between(dates[i], dates[i + 1], freq) - 1
            if missing <= 0:
                continue
            if missing <= options.max_gap:
                for j in range(1, missing + 1):
                    share = j / (missing + 1)
                    new_rows.append(
                        {
                            **dict(zip(KEY, key, strict=True)),
                            "date": _shift(dates[i], j, freq),
                            "price": float(np.exp(logs[i] + (logs[i + 1] - logs[i]) * share)),
                            "flags": "interpolated",
                            "_obs": (),
                        }
                    )
            else:
                gaps.append(
                    {
                        "series": label(key),
                        "from": _shift(dates[i], 1, freq).date().isoformat(),
                        "to": _shift(dates[i + 1], -1, freq).date().isoformat(),
                        "length": missing,
                    }
                )
    notes = []
    if new_rows:
        added = pd.DataFrame(new_rows)
        added["date"] = added["date"].astype(frame["date"].dtype)
        out = pd.concat([frame, added], ignore_index=True)
        notes.append(
            f"{counted(len(new_rows), 'missing period')} filled by log interpolation "
            f"(gaps up to {options.max_gap})"
        )
    else:
        out = frame
    if gaps:
        notes.append(
            f"{counted(len(gaps), 'gap')} longer than {counted(options.max_gap, 'period')} "
            "left as gaps"
        )
    return StepOutput(out, notes=notes, details={"interpolated": len(new_rows), "gaps": gaps})


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
