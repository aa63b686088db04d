"""Duplicates: one value per series and observed date.

Rows with the same key, date and price are one observation written twice: merged, counted.
Rows with the same key and date but different prices conflict: the median stands, the row is
flagged ``conflict`` and the report lists the key, date and values. Where the prices are
``FAR_APART`` or more apart, their median is no price at all (the median of 253 and 2,531 is
1,392, which nobody paid): one of them is a typo or another unit, so the one nearer the
series' own prices on the dates around it stands instead.
"""

from __future__ import annotations

from itertools import chain

import numpy as np
import pandas as pd

from forecast.clean.base import StepOutput, add_mark, counted, join_marks, label, split_marks
from forecast.clean.options import CleanOptions
from forecast.table import KEY

#: Conflicting prices this many times apart (largest over smallest) are not two readings of
#: one price, whose median is a fair compromise, but a price and a slip (a decimal point, a
#: 50 kg sack for a kg): the one nearer the series' neighbouring prices is kept.
FAR_APART = 2.0
#: Prices on each side of a date that tell where the series stood (see ``nearest_to_series``).
NEIGHBOURS = 3


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
    out, groups = settle_groups(frame, out, out.index[differs], ids, options.known_prices)
    conflicts = [
        {
            "series": label(g["key"]),
            "date": g["date"].date().isoformat(),
            "values": g["values"],
            "resolved": g["resolved"],
            "rule": g["rule"],
            **({k: g[k] for k in ("units", "kept_unit", "unit_by")} if g["rule"] == "unit" else {}),
        }
        for g in groups
    ]
    exact = int(out.loc[~differs, "_obs"].map(len).sub(1).clip(lower=0).sum())
    notes = []
    if exact:
        notes.append(f"{counted(exact, 'exact duplicate row')} merged")
    if conflicts:
        rules = {
            "median": "by the median",
            "unit": "by the price in the series' own unit",
            "nearest": "by the price nearer the series' others (twofold apart)",
        }
        used = [(rule, sum(c["rule"] == rule for c in conflicts)) for rule in rules]
        used = [(rule, n) for rule, n in used if n]
        how = (
            f" {rules[used[0][0]]}"
            if len(used) == 1
            else ": " + ", ".join(f"{n} {rules[rule]}" for rule, n in used)
        )
        notes.append(f"{counted(len(conflicts), 'conflicting duplicate')} resolved{how}")
    return StepOutput(out, notes=notes, details={"conflicts": conflicts})


def settle_groups(
    frame: pd.DataFrame,
    out: pd.DataFrame,
    rows: pd.Index,
    ids: list[str],
    known: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[dict]]:
    """The prices of ``frame`` that :func:`combine` merged into ``rows`` of ``out``, settled:
    their median stands, or, where they were written in different units (a chục and a trái),
    the price in the unit most of the series is written in (or, tied, the one nearer its
    prices: :func:`_level_before`), or, where they are ``FAR_APART``
    or more apart, the price near the series' own (:func:`nearest_to_series`). Returns
    ``out`` and, per row, ``key``, ``date``, ``values`` (the prices merged), ``resolved``,
    ``rule`` (``median``, ``unit`` or ``nearest``; ``unit`` adds ``units``, each value's
    written unit, ``kept_unit``, and ``unit_by``: ``count`` or ``level``) and ``apart``
    (whether they were far apart).
    Conflicting duplicates and several prices in one period are settled alike. Where the
    file has as many prices of the series in each unit (a week's sheet: one each), the
    unit whose price is nearer the series' level stands: its prices in ``known`` (a store's,
    ``CleanOptions.known_prices``) before that date, else its other prices in the file."""
    values = frame.groupby(ids, sort=False)["price"].agg(list)
    written, usual = _written_units(frame, ids)
    groups, far = [], []
    for row, found in out.loc[rows].iterrows():
        key = tuple(found[c] for c in KEY)
        prices = [float(v) for v in values.loc[key + (found["date"],)]]
        apart = max(prices) >= FAR_APART * min(prices)
        group = {
            "key": key,
            "date": found["date"],
            "values": prices,
            "resolved": float(found["price"]),
            "rule": "median",
            "apart": apart,
        }
        groups.append(group)
        # Twofold apart, one of them is a slip (1.300.000 a chục beside 11.000 a trái):
        # the price near the series' own stands, whatever unit it was written in.
        units = None if apart else written.get(key + (found["date"],))
        if units is not None:
            kept_unit = _usual_unit(units, usual, key)
            nearer = kept_unit is None
            if nearer:
                level = _level_before(known, frame, key, found["date"])
                kept_unit = _nearest_unit(prices, units, level)
            if kept_unit is not None:
                # A dozen's price and one nut's (a sack's and a kilo's) are two prices, not
                # two readings of one: their median is a price nobody paid. The one written
                # in the series' own unit stands.
                kept = float(
                    np.median([p for p, u in zip(prices, units, strict=True) if u == kept_unit])
                )
                out.at[row, "price"] = kept
                group.update(resolved=kept, rule="unit", units=list(units), kept_unit=kept_unit)
                group["unit_by"] = "level" if nearer else "count"
        if apart:
            far.append((row, key, group))
    if far:
        out = nearest_to_series(out, far)
    return out, groups


def _written_units(frame: pd.DataFrame, ids: list[str]) -> tuple[dict, pd.Series | None]:
    """The ``ids`` groups written in more than one unit, each with its rows' written units
    in row order (as first written: "trái" for "quả" and "Trái" too, one unit as cleaning
    reads them), and how many rows of each series each is written in; ``({}, None)``
    without a unit column. Groups of one unit, nearly all of them, are left out early: a
    lookup a group cost 25 % more cleaning time on a million rows."""
    if "unit_raw" not in frame:
        return {}, None
    from forecast.clean.base import map_unique, tidy_text
    from forecast.clean.units import parse_unit

    text = map_unique(frame["unit_raw"], tidy_text)

    def unit_of(written: str) -> tuple:
        unit = parse_unit(written)
        return (unit.name, unit.size, unit.price_scale)

    first: dict[tuple, str] = {}  # a unit -> as first written
    for written in pd.unique(text):
        first.setdefault(unit_of(written), written)
    table = frame[ids].assign(_unit=map_unique(text, lambda t: first[unit_of(t)]).to_numpy())
    several = table[table.duplicated(ids, keep=False)]
    if several.empty:
        return {}, None
    mixed = several.groupby(ids, sort=False)["_unit"].transform("nunique") > 1
    if not mixed.any():
        return {}, None
    written = several[mixed].groupby(ids, sort=False)["_unit"].agg(list).to_dict()
    usual = table.groupby([*KEY, "_unit"], sort=False).size()
    return written, usual


def _usual_unit(units: list, usual: pd.Series, key: tuple) -> str | None:
    """Of a group's written units, the one most of the series' rows are written in (``None``
    when two tie)."""
    counts = sorted(((int(usual.loc[key + (u,)]), u) for u in set(units)), reverse=True)
    return counts[0][1] if counts[0][0] > counts[1][0] else None


def _level_before(known, frame: pd.DataFrame, key: tuple, date) -> float | None:
    """The log median of the series' ``NEIGHBOURS`` known prices before ``date`` (a store's),
    else of its prices in ``frame`` on other dates around it; ``None`` when it has none."""
    for table, around in ((known, False), (frame, True)):
        if table is None or table.empty:
            continue
        same = np.logical_and.reduce(
            [table[c].to_numpy() == v for c, v in zip(KEY, key, strict=True)]
        )
        rows = table[same]
        dates = pd.to_datetime(rows["date"])
        if around:
            # Nearest dates first, either side: a week's sheet has none, a history many.
            distance = (dates - date).abs()
            rows = rows[(dates != date).to_numpy()].assign(_d=distance[dates != date])
            prices = rows.nsmallest(2 * NEIGHBOURS, "_d")["price"]
        else:
            prices = rows[(dates < date).to_numpy()].assign(_t=dates[dates < date])
            prices = prices.nlargest(NEIGHBOURS, "_t")["price"]
        prices = pd.to_numeric(prices, errors="coerce").dropna()
        prices = prices[prices > 0]
        if len(prices):
            return float(np.median(np.log(prices.to_numpy(float))))
    return None


def _nearest_unit(prices: list[float], units: list, level: float | None):
    """Of the written units, the one whose prices' median is nearest (in log) ``level``."""
    if level is None:
        return None
    medians = {
        u: float(np.median([p for p, w in zip(prices, units, strict=True) if w == u]))
        for u in dict.fromkeys(units)
    }
    return min(medians, key=lambda u: abs(np.log(medians[u]) - level))


def nearest_to_series(out: pd.DataFrame, far: list[tuple]) -> pd.DataFrame:
    """For each ``(row, key, conflict)`` in ``far``, keep the value nearest (in log) the
    median of the series' ``NEIGHBOURS`` prices on each side that are not in ``far``
    themselves (conflicts of close prices, settled by their median, count), or, of several
    values, the median of those within ``FAR_APART`` of it (four weekly prices, one a slip:
    the other three's median); the median of all stays where the series has no such price.
    Updates each conflict's ``resolved`` and ``rule`` ("nearest") in place."""
    out = out.copy()
    agreed = out[~out.index.isin([row for row, _, _ in far])]
    keys = pd.MultiIndex.from_frame(agreed[list(KEY)])
    wanted = agreed[keys.isin([key for _, key, _ in far])]
    # Each series once, sorted by date: a scan of the table per conflict took 23 s on
    # 3,000 conflicts in 33,000 rows.
    series = {
        key: (group["date"].to_numpy(), group["price"].to_numpy(dtype=float))
        for key, group in wanted.sort_values("date").groupby(list(KEY), sort=False)
    }
    for row, key, conflict in far:
        if key not in series:
            continue  # nothing tells which: the median stands
        dates, prices = series[key]
        at = np.searchsorted(dates, out.at[row, "date"].to_datetime64())
        stop = at + 1 if at < len(dates) and dates[at] == out.at[row, "date"] else at
        around = np.concatenate(
            [prices[max(0, at - NEIGHBOURS) : at], prices[stop : stop + NEIGHBOURS]]
        )
        if not len(around):
            continue
        level = float(np.median(np.log(around)))
        offered = np.asarray(conflict["values"], dtype=float)
        logs = np.log(offered)
        nearest = logs[np.argmin(np.abs(logs - level))]
        kept = float(np.median(offered[np.abs(logs - nearest) < np.log(FAR_APART)]))
        out.at[row, "price"] = kept
        conflict.update(resolved=kept, rule="nearest")
    return out
