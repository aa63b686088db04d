"""Duplicates: one value per series and observed date.

Rows with the same key, date and price are one observation written twice: merged, counted.
Rows with the same key and date but different prices conflict: the median stands, the row is
flagged ``conflict`` and the report lists the key, date and values.
"""

from __future__ import annotations

from itertools import chain

import pandas as pd

from forecast.clean.base import StepOutput, add_mark, join_marks, label, split_marks
from forecast.clean.options import CleanOptions
from forecast.table import KEY


def combine(frame: pd.DataFrame, ids: list[str]) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """One row per ``ids`` group: median price, union of flags and source observations.

    Returns the combined frame (singles untouched) and two masks on it: rows made here from
    several rows, and those whose prices disagreed.
    """
    dup = frame.duplicated(ids, keep=False)
    if not dup.any():
        none = pd.Series(False, index=frame.index)
        return frame, none, none
    many = frame[dup]
    agg = {c: "first" for c in frame.columns if c not in ids}
    agg["price"] = "median"
    agg["flags"] = lambda s: join_marks(set().union(*map(split_marks, s)))
    agg["_obs"] = lambda s: tuple(sorted(chain.from_iterable(s)))
    grouped = many.groupby(ids, sort=False, dropna=False)
    merged = grouped.agg(agg).reset_index()
    spread = (grouped["price"].max() / grouped["price"].min()).reset_index(drop=True)
    # New labels after every label in use: rows refused earlier leave holes, so the count
    # of rows is no bound (a merged row labelled like a kept one got its outlier mark).
    integer = pd.api.types.is_integer_dtype(frame.index)
    start = max(len(frame), int(frame.index.max()) + 1) if integer else len(frame)
    merged.index = pd.RangeIndex(start, start + len(merged))
    differs = pd.Series(spread.to_numpy() - 1 > 1e-9, index=merged.index)
    out = pd.concat([frame[~dup], merged[frame.columns]])
    singles = pd.Series(False, index=frame.index[~dup])
    made = pd.concat([singles, pd.Series(True, index=merged.index)])
    return out, made, pd.concat([singles, differs])


def merge_duplicates(frame: pd.DataFrame, options: CleanOptions) -> StepOutput:
    """Step "duplicates": merge repeats of a key and observed date; resolve conflicts."""
    ids = list(KEY) + ["date"]
    out, _, differs = combine(frame, ids)
    if out is frame:
        return StepOutput(frame)
    out = out.assign(flags=add_mark(out["flags"], differs, "conflict"))
    conflicts = []
    values = frame.groupby(ids, sort=False)["price"].agg(list)
    for _, row in out[differs].iterrows():
        key = tuple(row[c] for c in KEY)
        conflicts.append(
            {
                "series": label(key),
                "date": row["date"].date().isoformat(),
                "values": [float(v) for v in values.loc[key + (row["date"],)]],
                "resolved": float(row["price"]),
            }
        )
    exact = int(out.loc[~differs, "_obs"].map(len).sub(1).clip(lower=0).sum())
    notes = []
    if exact:
        notes.append(f"{exact} exact duplicate rows merged")
    if conflicts:
        notes.append(f"{len(conflicts)} conflicting duplicates resolved by the median")
    return StepOutput(out, notes=notes, details={"conflicts": conflicts})
