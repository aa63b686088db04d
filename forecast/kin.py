"""Kin: the same commodity, price type and currency in the file's other markets.

A series with a year or two of prices has seen few of the moves its price is capable of,
and one with a handful of prices has seen almost none. ``auto`` reads its ranges off the
series' own past moves (see :mod:`forecast.auto`), so on such a series they come out too
narrow, and with fewer than ``MIN_FALLBACK_SCORES`` moves it had only its models' own
Gaussian ranges, which held 58 % of prices at 95 % from two prices on our design set.

Markets of one commodity move alike in size, if not in step. So before the per-series jobs
start, this stage pools the past last-price moves (log errors, unit-free) of every series of
each commodity, price type and currency, and a series too short to backtest takes its kin's
moves along with its own. On the design set (the Sri Lanka WFP series not in the default
data, 1,225 held-out years with 6 to 35 prices before them) this cut the interval score by
6 % at 80 % and 14 % at 95 % with coverage unchanged (83 % and 92 %); cut to 2 or 4 prices,
coverage rose from 51-76 % to 82 % (80 %) and from 58-85 % to 92 % (95 %). See "Short
histories" in benchmarks/RESULTS.md.

Only series too short to backtest take kin: a longer series has enough of its own history,
and ``backtest`` never uses kin (the kin's later prices would leak into earlier windows).
A job carries its own kin pool, at most :data:`MAX_KIN_ERRORS` rows, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.table import KEY, iter_series

#: What makes two series kin: everything in the key but the market (and the unit: log
#: moves do not depend on whether a price is per kg or per 50 kg).
KIN: tuple[str, ...] = ("commodity", "price_type", "currency")
#: Most rows (cutoffs, each with ``horizon`` steps) of kin moves a series takes along. On
#: the design set, 500 rows gave the coverage of all of them to 0.2 points and an interval
#: score within 2 %, and a job stays under 50 KB.
MAX_KIN_ERRORS = 500
#: Most rows a kin group keeps while the jobs run (about 1 MB at 12 steps), whatever the
#: number of its markets: the memory of a national file stays flat in its series.
POOL_ROWS = 20 * MAX_KIN_ERRORS


def kin_of(key: tuple) -> tuple:
    """The kin group of a series key: its commodity, price type and currency."""
    return tuple(key[KEY.index(column)] for column in KIN)


def too_short_to_backtest(n_prices: int, horizon: int) -> bool:
    """Whether ``auto`` will have no backtest window for a series of ``n_prices`` prices."""
    from forecast.auto import MIN_TRAIN

    return n_prices < MIN_TRAIN + horizon


def short_series(prices: pd.DataFrame, horizon: int) -> pd.Series:
    """Observed prices per series (indexed by key), for the series too short to backtest."""
    counts = prices.groupby(list(KEY), observed=True, sort=True)["price"].count()
    return counts[[too_short_to_backtest(int(n), horizon) for n in counts]]


class KinPools:
    """Per kin group, the pooled last-price log errors of its series (``rows x horizon``).

    ``for_series(key)`` gives one series its kin's errors, its own rows left out (it brings
    its own). Built only for the groups of the series that take kin: ``keys``, by default
    those too short to backtest.
    """

    def __init__(self, prices: pd.DataFrame, horizon: int, window: int, keys=None):
        from forecast.auto import last_price_errors

        self.horizon = int(horizon)
        if keys is None:
            keys = short_series(prices, horizon).index
        self._short = {tuple(key) for key in keys}
        groups = {kin_of(key) for key in self._short}
        self._pools: dict[tuple, _Pool] = {}
        if not groups:
            return
        # No series takes moves from before its own first price or its last season, so a
        # group keeps none older than its short series' earliest (13 months covers a
        # season of 12 months or 52 weeks): memory follows the short series' span, not the
        # kin's history.
        spans = prices.groupby(list(KEY), observed=True)["date"].agg(["min", "max"])
        spans = spans[spans.index.isin(list(self._short))]
        oldest = {}
        for key, first, last in spans.itertuples(name=None):
            since = min(first, last - pd.DateOffset(months=13))
            oldest[kin_of(key)] = min(since, oldest.get(kin_of(key), since))
        in_groups = pd.MultiIndex.from_frame(prices[list(KIN)]).isin(list(groups))
        parts: dict[tuple, list] = {}
        for key, y in iter_series(prices[in_groups]):
            errors = last_price_errors(y, self.horizon, int(window))
            # Row i is the move from the price at this date (see last_price_errors).
            dates = y.index[max(0, len(y) - 1 - int(window)) : len(y) - 1]
            keep = np.isfinite(errors).any(axis=1) & (dates >= oldest[kin_of(key)])
            if keep.any():
                parts.setdefault(kin_of(key), []).append(
                    (tuple(key), errors[keep], dates[keep].to_numpy())
                )
        for group, members in parts.items():  # a series alone here finds no kin in it
            pool = _Pool(
                errors=np.concatenate([e for _, e, _ in members]),
                dates=np.concatenate([d for _, _, d in members]),
                owners=np.concatenate([np.full(len(e), i) for i, (_, e, _) in enumerate(members)]),
                members={k: i for i, (k, _, _) in enumerate(members)},
            )
            if len(pool.errors) > POOL_ROWS:  # thousands of markets: a bounded even sample
                rows = _evenly(len(pool.errors), POOL_ROWS)
                pool.errors, pool.dates, pool.owners = (
                    pool.errors[rows],
                    pool.dates[rows],
                    pool.owners[rows],
                )
            self._pools[group] = pool

    def for_series(self, key: tuple, y: pd.Series) -> np.ndarray | None:
        """The kin errors series ``key`` (prices ``y``) takes; ``None``: long enough, or no
        kin with moves.

        Only the kin's moves from the months (weeks) the series itself has prices for, and
        at least the last season: a short series' own moves show the regime it was seen
        in, and its kin's older years would mix in others. With every year of long kin, the
        ranges of the default data's short cuts held 93 % and 99 % at 80 % and 95 % with a
        worse interval score; with the series' own span, 84 % and 94 % with a better one.
        """
        from forecast.models.base import season_length

        key = tuple(key)
        if key not in self._short or kin_of(key) not in self._pools:
            return None
        pool = self._pools[kin_of(key)]
        observed = y.dropna().index
        weekly = season_length(y) == 52
        season_ago = y.index[-1] - pd.DateOffset(**({"weeks": 52} if weekly else {"months": 12}))
        since = min(observed[0], season_ago) if len(observed) else season_ago
        keep = (pool.owners != pool.members.get(key, -1)) & (pool.dates >= since.to_datetime64())
        kin = pool.errors[keep]
        if len(kin) > MAX_KIN_ERRORS:  # evenly spaced rows: every kin series keeps its share
            kin = kin[_evenly(len(kin), MAX_KIN_ERRORS)]
        if not len(kin) or not np.nanmax(np.abs(kin), initial=0.0) > 0:
            return None
        return kin

    def __bool__(self) -> bool:
        return bool(self._pools)


def _evenly(n: int, size: int) -> np.ndarray:
    """``size`` evenly spaced positions out of ``n``, first and last included."""
    return np.linspace(0, n - 1, size).round().astype(int)


@dataclass
class _Pool:
    """One kin group: error rows, the date each row's move starts from, whose row it is."""

    errors: np.ndarray
    dates: np.ndarray
    owners: np.ndarray
    members: dict


class WithKin(Iterator):
    """``iter_series`` items with each series' kin errors added: ``(key, y, kin)``.

    Keeps ``len()``, which the engine uses to size its last chunks.
    """

    def __init__(self, series, pools: KinPools):
        self._series, self._pools, self._n = series, pools, len(series)

    def __next__(self):
        key, y = next(self._series)
        return key, y, self._pools.for_series(key, y)

    def __len__(self) -> int:
        return self._n


__all__ = ["KIN", "MAX_KIN_ERRORS", "KinPools", "WithKin", "kin_of", "short_series"]
