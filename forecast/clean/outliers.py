"""Outliers: a Hampel filter on log prices, per series.

For each observation, take the window of the ``WINDOW`` observations centred on it (fewer at
the ends), its median ``m`` of log prices and its scaled MAD ``s`` (1.4826 x median absolute
deviation from ``m``, so ``s`` estimates a standard deviation). The point is an outlier when
``|log p - m| > THRESHOLD x s``. ``s`` is floored at the series' typical one-period move
(1.4826 x median |Δ log p|; in a series so short that a price's own moves are half of
them, and the price is ``SLIP_TIMES`` from the prices around it, the median of the
series' moves without it, or a typo would set its own floor) and
at ``FLOOR`` (1 %), so a flat stretch (MAD 0) does not turn a small tick into an outlier.

Working on the level in a centred window makes a one-period spike stand out while a lasting
level shift does not (the window's median moves with it). Windows count observations, not
periods; interpolated points are skipped, so cleaning cleaned data flags the same points.
Series with fewer than ``MIN_POINTS`` observations are not tested. A price with fewer than
``NEAR_PRICES`` others of its window within a year (the first after years without prices)
has too little of its own time there: it is judged by its commodity's prices in other
markets that day (``ACROSS_TIMES`` from their median), or with none only ``ALONE_TIMES``
above its window's median or ``ALONE_FALL`` below it.

``CleanOptions.outliers="flag"`` (the default) marks them ``outlier`` and keeps them;
``"reject"`` refuses them (gap filling then treats them as missing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.clean.base import (
    StepOutput,
    add_mark,
    counted,
    fmt_number,
    join_marks,
    label,
    map_unique,
    series_blocks,
    split_marks,
    split_rejected,
)
from forecast.clean.options import CleanOptions
from forecast.table import KEY

WINDOW = 7
THRESHOLD = 3.5
#: A price whose window holds fewer than ``NEAR_PRICES`` others within ``NEAR_DAYS`` of it
#: has too little of its own time to be judged by (the first prices after years without
#: any: the rest of the window is years older) ...
NEAR_DAYS = 366
NEAR_PRICES = 3
#: ... so it is judged by the same commodity's price in other markets that day, when at
#: least ``OTHER_MARKETS`` have one: flagged this many times from their median (Jaffna's
#: 113.75 rupees for rice in 2004 beside Ampara's 41.75; Yola's 1,249 naira in 2025, four
#: years after its last price, beside 1,187-1,401 in four other markets, is a price) ...
OTHER_MARKETS = 2
ACROSS_TIMES = 2.0
#: ... and, with none, flagged only this many times above its window's median (a new unit
#: or a typo: years of inflation move a price a few times) ...
ALONE_TIMES = 10.0
#: ... or this many times below it: no inflation brings a price down (a dropped zero, 520
#: for 4,200, two years after).
ALONE_FALL = 10**0.5
FLOOR = 0.01
#: In a series of a few prices, one this many times above (or below) the prices around it
#: is judged without its own moves setting its floor: a slipped digit, not a market move.
SLIP_TIMES = 3.0
MIN_POINTS = 5
_MAD_SCALE = 1.4826


def hampel(
    log_prices: np.ndarray, window: int = WINDOW, threshold: float = THRESHOLD
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outlier mask, robust score and local median for one series of log prices (in order)."""
    x = np.asarray(log_prices, dtype=float)
    score, median = hampel_blocks(x, np.array([0]), np.array([len(x)]), window)
    return score > threshold, score, median


def _block_medians(values: np.ndarray, block: np.ndarray, n_blocks: int) -> np.ndarray:
    """The median of ``values`` in each block (``block``: each value's block number); NaN
    for a block with none. The middle of each block's sorted values, or the mean of the two
    middles, as ``np.median`` takes it, so the result is the same to the bit."""
    order = np.lexsort((values, block))
    ordered = values[order]
    counts = np.bincount(block, minlength=n_blocks)
    first = np.cumsum(counts) - counts
    out = np.full(n_blocks, np.nan)
    has = counts > 0
    low = ordered[(first + (counts - 1) // 2)[has]]
    high = ordered[(first + counts // 2)[has]]
    out[has] = (low + high) / 2
    return out


def _window_medians(windows: np.ndarray) -> np.ndarray:
    """Each row's median, over its values that are not NaN (a window cut short at a
    series' end is padded with NaN), taken as ``np.median`` takes it."""
    ordered = np.sort(windows, axis=1)  # NaN sorts last
    counts = (~np.isnan(windows)).sum(axis=1)
    rows = np.arange(len(windows))
    return (ordered[rows, (counts - 1) // 2] + ordered[rows, counts // 2]) / 2


def hampel_blocks(
    logs: np.ndarray, starts: np.ndarray, stops: np.ndarray, window: int = WINDOW
) -> tuple[np.ndarray, np.ndarray]:
    """Robust score and local median of every price of many series at once.

    ``logs`` holds the series one after the other, each in date order, the series ``k``
    at ``starts[k]:stops[k]`` (together covering ``logs``). A series shorter than
    ``MIN_POINTS`` scores 0 with its own price as median. One pass over every series: a
    national file has 40,000, and a call each took seconds.
    """
    x = np.asarray(logs, dtype=float)
    n = len(x)
    lengths = stops - starts
    block = np.repeat(np.arange(len(starts)), lengths)
    first, last = starts[block], stops[block] - 1
    half = window // 2
    # Every price's window, cut at its series' ends (NaN there).
    at = np.arange(n)[:, None] + np.arange(-half, half + 1)[None, :]
    inside = (at >= first[:, None]) & (at <= last[:, None])
    windows = np.where(inside, x[np.clip(at, 0, max(n - 1, 0))], np.nan)
    median = _window_medians(windows)
    mad = _MAD_SCALE * _window_medians(np.abs(windows - median[:, None]))
    # A series' typical one-period move: the median of its moves.
    moves = np.abs(np.diff(x))
    same = block[1:] == block[:-1]
    typical = _MAD_SCALE * _block_medians(moves[same], block[1:][same], len(starts))[block]
    # A median of moves is set by a price's own moves (two inside the series, one at an
    # end) where they are half of them: in five prices a typo's two of four (13,500 among
    # 130,000s) made its floor ~1.7, and it stood 1.3 from the median. There it is judged
    # by the moves of the series without it. In longer series the others' moves set the
    # median; leaving its own out there only shuffled close calls (Colombo's red nadu, 16 %
    # below its neighbours in April 2012, 3.49 robust SDs among 94 prices, became 3.54).
    # Only prices inside a series of ``MIN_POINTS`` have that many (2 x 2 >= 5 - 1), and
    # only for a slip (a third, or three times, of the prices around it): a 5 % bump among
    # five prices that moved 1 % stood 4.6 robust SDs out without its own moves.
    own = (lengths[block] == MIN_POINTS) & (np.arange(n) != first) & (np.arange(n) != last)
    for i in np.flatnonzero(own & (np.abs(x - median) >= np.log(SLIP_TIMES))):
        rest = np.delete(x[first[i] : last[i] + 1], i - first[i])
        typical[i] = _MAD_SCALE * float(np.median(np.abs(np.diff(rest))))
    score = np.abs(x - median) / np.maximum(mad, np.maximum(typical, FLOOR))
    short = lengths[block] < MIN_POINTS
    score[short], median[short] = 0.0, x[short]
    return score, median


def _near_prices(days: np.ndarray, block: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """For each price (series one after the other, each by date; ``block``: each price's
    series): how many others in its Hampel window are within ``NEAR_DAYS`` of it."""
    n, count = len(days), np.zeros(len(days), dtype=int)
    for offset in range(1, window // 2 + 1):
        if offset >= n:
            break
        near = (days[offset:] - days[:-offset] <= NEAR_DAYS) & (block[offset:] == block[:-offset])
        count[offset:] += near  # the price offset places before
        count[: n - offset] += near  # the price offset places after
    return count


def _from_other_markets(ordered: pd.DataFrame, logs: np.ndarray) -> np.ndarray:
    """How far (absolute log) each price is from the median of its commodity's prices that
    day, itself included, where ``OTHER_MARKETS`` other markets have one; NaN elsewhere."""
    keys = [ordered[c] for c in ("commodity", "price_type", "unit", "currency", "date")]
    groups = pd.Series(logs, index=ordered.index).groupby(keys, observed=True, sort=False)
    median = groups.transform("median").to_numpy()
    enough = groups.transform("size").to_numpy() > OTHER_MARKETS
    return np.where(enough, np.abs(logs - median), np.nan)


def find_outliers(frame: pd.DataFrame, options: CleanOptions) -> StepOutput:
    """Step "outliers": flag (or refuse) spikes per series."""
    observed = ~map_unique(frame["flags"], lambda f: "interpolated" in split_marks(f)).astype(bool)
    candidates, blocks = series_blocks(frame[observed])
    logs = np.log(candidates["price"].to_numpy(dtype=float))
    days = (candidates["date"].to_numpy() - np.datetime64("1970-01-01")) / np.timedelta64(1, "D")
    across = _from_other_markets(candidates, logs)
    starts = np.array([start for _, start, _ in blocks], dtype=int)
    stops = np.array([stop for _, _, stop in blocks], dtype=int)
    score, median = hampel_blocks(logs, starts, stops)
    block = np.repeat(np.arange(len(blocks)), stops - starts)
    hit = score > THRESHOLD
    few = _near_prices(days, block) < NEAR_PRICES
    if (hit & few).any():
        moved = logs - median
        far = (moved >= np.log(ALONE_TIMES) - 1e-9) | (moved <= -np.log(ALONE_FALL) + 1e-9)
        judged = np.where(np.isnan(across), far, across >= np.log(ACROSS_TIMES) - 1e-9)
        hit &= ~few | judged
    tested_keys = {key for key, start, stop in blocks if stop - start >= MIN_POINTS}
    mask = pd.Series(False, index=frame.index)
    found = []
    reasons = pd.Series(None, index=frame.index, dtype=object)
    for i in np.flatnonzero(hit):
        row = candidates.iloc[i]
        index = candidates.index[i]
        price, z, local = float(row["price"]), float(score[i]), float(np.exp(median[i]))
        mask[index] = True
        found.append(
            {
                "series": label(blocks[block[i]][0]),
                "date": row["date"].date().isoformat(),
                "price": price,
                "local_median": local,
                "score": round(z, 2),
            }
        )
        reasons[index] = (
            f"price {fmt_number(price)} is an outlier ({z:.1f} robust SDs "
            f"from the local median {fmt_number(local)})"
        )
    # Marks from an earlier cleaning of a series tested now are judged again: a typo since
    # corrected loses its own. A series too short to test keeps what it was told.
    earlier = map_unique(frame["flags"], lambda f: "outlier" in split_marks(f)).astype(bool)
    if earlier.any():
        keys = zip(*(frame[c].tolist() for c in KEY), strict=True)
        earlier &= pd.Series([k in tested_keys for k in keys], index=frame.index)
    if earlier.any():
        flags = frame["flags"].copy()
        flags[earlier] = [join_marks(split_marks(f) - {"outlier"}) for f in flags[earlier]]
        frame = frame.assign(flags=flags)
    if options.outliers == "reject":
        kept, rejected = split_rejected(frame, reasons)
        notes = [f"{counted(len(found), 'outlier')} refused"] if found else []
        return StepOutput(kept, rejected, notes, {"outliers": found})
    out = frame.assign(flags=add_mark(frame["flags"], mask, "outlier"))
    notes = [f"{counted(len(found), 'outlier')} flagged (kept)"] if found else []
    return StepOutput(out, notes=notes, details={"outliers": found})
