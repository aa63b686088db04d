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

A series whose commodity has no kin with moves in its months (a commodity no other market
sells) takes, second, the moves of the file's other commodities of its price type and
currency (:data:`BROAD`). On the same design set, with every same-commodity series left out
to simulate it, those broad kin held 83-86 % and 98 % at 80 % and 95 % against 51-83 % and
58-93 % with the series' own moves, with a better interval score at every length (-10 %
and -1 % on the whole years, -35 % and -57 % cut to two prices): wider than its own
commodity's kin, which are tried first, but far better than a few moves of its own. A
series alone in its price type too (one wholesale price in a retail file) takes, third,
every other series in its currency (:data:`WIDEST`); before, its ranges stayed empty.
A commodity that other markets sold only in other years (a market's series from 2020, the
others' from 2023) is the same case: its own commodity's moves of those other years were
tried in place of the other commodities' in its span, on 1,952 held-out years of Sri Lanka
short series, and gave a worse interval score (+22 % at 80 %, +25 % at 95 %; they covered
91 % and 97 %): the years a price was seen in say more of its moves than its commodity does.

Only series too short to backtest take kin, and series whose price never moved over the
calibration window (an administered price: its own moves, all zero, would give ranges of
no width): a longer series has enough of its own history, and ``backtest`` never uses kin
(the kin's later prices would leak into earlier windows).
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
#: Where a series with no kin of its own commodity looks next: every other series of its
#: price type and currency in the file (one economy's prices, in one currency's inflation).
BROAD: tuple[str, ...] = ("price_type", "currency")
#: Last, a series alone in its price type (one wholesale yam price among retail ones)
#: takes every other series in its currency: without it its ranges were empty.
WIDEST: tuple[str, ...] = ("currency",)
#: Last of all, a series alone in its currency (one price in birr in a file of shillings)
#: takes every other series of the file: moves are in percent, so a currency's own level
#: does not enter them. Without it, its range columns were empty.
EVERY: tuple[str, ...] = ()
#: The kin levels in the order a series tries them, with what each is in words.
LEVELS: tuple[tuple[tuple[str, ...], str], ...] = (
    (KIN, "the same commodity, price type and currency in other markets"),
    (BROAD, "other commodities of the same price type and currency"),
    (WIDEST, "other series in the same currency"),
    (EVERY, "the file's series in other currencies"),
)
#: Most rows (cutoffs, each with ``horizon`` steps) of kin moves a series takes along. On
#: the design set, 500 rows gave the coverage of all of them to 0.2 points and an interval
#: score within 2 %; a job's kin take 48 KB at 12 steps.
MAX_KIN_ERRORS = 500
#: Most rows a kin group keeps while the jobs run (about 1 MB at 12 steps). A group whose
#: markets would hold more keeps an even share of each market's rows, taken as each is
#: read, so that the memory of a national file stays flat in its number of markets.
POOL_ROWS = 20 * MAX_KIN_ERRORS


def kin_of(key: tuple, columns: tuple[str, ...] = KIN) -> tuple:
    """The kin group of a series key: its commodity, price type and currency (``columns``)."""
    return tuple(key[KEY.index(column)] for column in columns)


def too_short_to_backtest(n_prices: int, horizon: int) -> bool:
    """Whether a series of ``n_prices`` observed prices may be too short for ``auto`` to
    backtest: with more it always can; with fewer, gaps decide (see :func:`takes_kin`)."""
    from forecast.auto import MIN_TRAIN

    return n_prices < MIN_TRAIN + horizon


def takes_kin(y: pd.Series, horizon: int) -> bool:
    """Whether ``auto`` fits ``y`` without a backtest, the only case that uses kin."""
    from forecast.auto import can_backtest

    return too_short_to_backtest(int(y.notna().sum()), horizon) and not can_backtest(y, horizon)


#: Prices this close (relatively) are one price: interpolation between equal prices in logs
#: leaves float noise.
FLAT_TOLERANCE = 1e-9


def short_series(prices: pd.DataFrame, horizon: int) -> pd.Series:
    """Observed prices per series (indexed by key), for the series that may be too short to
    backtest."""
    counts = prices.groupby(list(KEY), observed=True, sort=True)["price"].count()
    return counts[[too_short_to_backtest(int(n), horizon) for n in counts]]


def flat_series(prices: pd.DataFrame, window: int | None = None) -> list[tuple]:
    """The keys of the series whose prices did not move over their last ``window`` periods
    (``None``: ever), two prices at least: bread at a subsidised 50 for years. Its own moves
    are all zero, so ranges read off them have no width, which is no measure of what a
    change of policy may do."""
    recent = prices
    if window is not None:
        ordered = prices.sort_values([*KEY, "date"], kind="stable")
        recent = ordered.groupby(list(KEY), observed=True, sort=False).tail(int(window) + 1)
    recent = recent[recent["price"].notna()]
    spread = recent.groupby(list(KEY), observed=True, sort=True)["price"].agg(
        ["min", "max", "count"]
    )
    # Relative: a gap filled in logs between two equal prices comes out 310.29999...
    still = (spread["max"] <= spread["min"] * (1 + FLAT_TOLERANCE)) & (spread["count"] >= 2)
    # A fixed price whose unit changed once (150 a kg, then 15,000 a quintal), or with one
    # mistyped price (260 among 50s), is as flat to the models, which join such a jump and
    # leave such a typo out (forecast.models.base.join_jumps).
    from forecast.models.base import JUMP_TIMES, SPIKE_TIMES, join_jumps

    far = min(JUMP_TIMES, SPIKE_TIMES)
    jumped = spread.index[(spread["max"] >= spread["min"] * far) & (spread["count"] >= 2)]
    if len(jumped):
        rows = recent.set_index(list(KEY)).loc[jumped]
        for key, series in rows.groupby(level=list(range(len(KEY))), sort=False):
            joined = join_jumps(series.set_index("date")["price"].sort_index())[0].dropna()
            still[key] = len(joined) >= 2 and joined.max() <= joined.min() * (1 + FLAT_TOLERANCE)
    return [tuple(key) for key in spread.index[still]]


def _market(key: tuple) -> str:
    """A key's market as the case-twin check compares it (see note_case_twins)."""
    return " ".join(str(key[KEY.index("market")]).casefold().split())


class KinPools:
    """Per kin group and frequency, the pooled last-price log errors of its series
    (``rows x horizon``), with the date each row's move starts from.

    ``for_series(key, y)`` gives one series its kin's errors, its own rows left out (it
    brings its own). Built only for the groups of the series that may take kin: ``keys``,
    by default those with fewer prices than a backtest needs. Each level of
    :data:`LEVELS` has its pools: a series with nothing from its own commodity takes the
    moves of the other commodities of its price type and currency.
    """

    def __init__(
        self, prices: pd.DataFrame, horizon: int, window: int, keys=None, *, flat=None, fill=True
    ):
        """``keys``: the series that may take kin (default: the short ones and the flat
        ones); ``flat``: the file's flat series, when the caller has found them already;
        ``fill=False``: the caller fills the pools (see :meth:`for_horizons`)."""
        self.horizon = int(horizon)
        self.window = int(window)
        flat = set(flat_series(prices, window) if flat is None else flat)
        if keys is None:
            keys = [*short_series(prices, horizon).index, *flat]
        self._short = {tuple(key) for key in keys}
        self._flat = flat & self._short  # these take kin however long they are
        self._pools: dict[tuple, _Pool] = {}  # (level, *group, season length) -> pool
        if fill and self._short:
            _fill([self], prices)

    @classmethod
    def for_horizons(cls, prices: pd.DataFrame, horizons, window: int) -> dict[int, KinPools]:
        """One pool per horizon, each what ``KinPools(prices, horizon, window)`` builds,
        from one pass over the file's series (see :func:`_fill`)."""
        flat = flat_series(prices, window)
        pools = {
            horizon: cls(prices, horizon, window, flat=flat, fill=False)
            for horizon in sorted({int(h) for h in horizons})
        }
        _fill([pool for pool in pools.values() if pool._short], prices)
        return pools

    def for_series(self, key: tuple, y: pd.Series) -> np.ndarray | None:
        """The kin errors series ``key`` (prices ``y``) takes; ``None`` when auto will
        backtest it, or it has no kin with moves."""
        found = self.with_source(key, y)
        return None if found is None else found[0]

    def with_source(self, key: tuple, y: pd.Series) -> tuple[np.ndarray, str] | None:
        """``(errors, source)``: :meth:`for_series`'s errors and, in words, whose they are.

        Only the kin's moves that start in the months (weeks) the series itself spans, from
        its first price, or a season before its last if that is earlier, to its last: a
        short series' own moves show the regime it was seen in, and its kin's other years
        would mix in others (with every year of long kin, the ranges of the default data's
        short cuts held 93 % and 99 % at 80 % and 95 % with a worse interval score; with
        the series' own span, 84 % and 94 % with a better one). A kin in the same market
        spelt another way (a case twin) is the series itself, and is left out too. The
        levels are tried in order; the first with enough moves in the span for a range
        (``MIN_FALLBACK_SCORES``) is taken; else the first with a few in the span, when the
        series' own moves make them enough; else the first with enough in any year; else
        the few.
        """
        from forecast.auto import enough_moves
        from forecast.models.base import season_length

        key = tuple(key)
        if key not in self._short or not self._pools:
            return None
        if not (takes_kin(y, self.horizon) or key in self._flat):
            return None
        observed = y.dropna().index
        if not len(observed):
            return None
        season = season_length(y)
        ago = observed[-1] - pd.DateOffset(**({"weeks": 52} if season == 52 else {"months": 12}))
        since, until = min(observed[0], ago).to_datetime64(), observed[-1].to_datetime64()
        fewer = None
        for level, (columns, source) in enumerate(LEVELS):
            kin = self._moves(key, level, columns, season, since, until)
            if kin is not None and len(kin) and np.nanmax(np.abs(kin), initial=0.0) > 0:
                if enough_moves(kin):
                    return kin, source
                # A few moves of its own commodity (a market that opened last month) are
                # too few for a range: a broader level may have enough; else these.
                fewer = fewer or (kin, source)
        if fewer and enough_moves(np.concatenate([self._own_moves(y), fewer[0]])):
            return fewer  # with the series' own moves, the few in its span are enough
        # Else, for a series whose kin moved too little or not at all in its own span (one
        # price in 2020, the file's other series in 2024-25): the kin's moves of any year.
        # Wider than its own years' would be, but a range, where a few moves gave none (a
        # one-price series then had empty range columns).
        for level, (columns, source) in enumerate(LEVELS):
            kin = self._moves(key, level, columns, season)
            if kin is not None and enough_moves(kin):
                return kin, f"{source}, in other years than its own"
        return fewer

    def _own_moves(self, y: pd.Series) -> np.ndarray:
        """The series' own last-price moves, as auto pools them with its kin's."""
        from forecast.auto import last_price_errors

        return last_price_errors(y, self.horizon, self.window)

    def _moves(self, key, level, columns, season, since=None, until=None) -> np.ndarray | None:
        """The kin's moves at ``level``, the series' own markets left out, those starting
        from ``since`` to ``until`` when given, at most :data:`MAX_KIN_ERRORS` rows."""
        pool = self._pools.get((level, *kin_of(key, columns), season))
        if pool is None:
            return None
        keep = ~np.isin(pool.owners, pool.markets.get(_identity(key, level), []))
        if since is not None:
            keep &= (pool.dates >= since) & (pool.dates <= until)
        kin = pool.errors[keep]
        if len(kin) > MAX_KIN_ERRORS:  # evenly spaced rows: every kin keeps its share
            kin = kin[_evenly(len(kin), MAX_KIN_ERRORS)]
        return kin

    def __bool__(self) -> bool:
        return bool(self._pools)


def _fill(targets: list[KinPools], prices: pd.DataFrame) -> None:
    """Fill the pools of ``targets`` (one window, a horizon each) in one pass over the file.

    A bulletin's series lag by up to a dozen periods, each lag a horizon of its own, and
    each horizon's pools took 1.2 s of the Sri Lanka file, most of it reading the series and
    measuring their moves: the same for every horizon, as a shorter horizon's moves are a
    longer one's first steps. So each series is read and measured once, at the longest
    horizon, and every target keeps the rows it would have kept alone.
    """
    from forecast.auto import last_price_errors
    from forecast.models.base import season_length

    if not targets:
        return
    window = targets[0].window
    every_series = prices.drop_duplicates(list(KEY))
    currencies = _group_sizes(every_series, WIDEST)
    # Markets per group, known before any is read, so each keeps its share.
    members = [_group_sizes(every_series, columns) for columns, _ in LEVELS]
    needs, read_currencies, whole_file = [], set(), False
    for target in targets:
        needed = [{kin_of(key, columns) for key in target._short} for columns, _ in LEVELS]
        # The whole file is read only for a series alone in its currency; else the
        # currencies of the short series hold every series any level needs (a national
        # file's other currencies cost nothing).
        if all(currencies.get(group, 0) > 1 for group in needed[-2]):
            needed[-1] = set()
            read_currencies |= {group[0] for group in needed[-2]}
        else:
            whole_file = True
        needs.append(needed)
    rows = slice(None) if whole_file else prices[WIDEST[0]].isin(read_currencies)
    longest = max(target.horizon for target in targets)
    gathered = [({}, {}) for _ in targets]  # per target: pool key -> parts, and -> markets read
    for key, y in iter_series(prices[rows]):
        season, measured = season_length(y), None
        for target, needed, (parts, read) in zip(targets, needs, gathered, strict=True):
            moves = None
            for level, (columns, _) in enumerate(LEVELS):
                group = kin_of(key, columns)
                if group not in needed[level]:
                    continue  # (a series in a currency no short series has is in no group)
                n_markets = int(members[level][group])
                # Weekly and monthly series are not kin (the pool key holds the season
                # length): a step is a week for one, a month for the other.
                pool_key = (level, *group, season)
                read[pool_key] = read.get(pool_key, 0) + 1
                if n_markets > POOL_ROWS and (read[pool_key] - 1) % -(-n_markets // POOL_ROWS):
                    continue  # more markets than rows: every k-th market, a row or more each
                if measured is None:  # once per series, for every target and level
                    # Row i is the move from the price at this date (see last_price_errors).
                    first = max(0, len(y) - 1 - window)
                    measured = last_price_errors(y, longest, window), y.index[first:-1].to_numpy()
                if moves is None:  # once per target, for every level that keeps this series
                    errors = measured[0][:, : target.horizon]
                    moves = errors, np.flatnonzero(np.isfinite(errors).any(axis=1))
                errors, moved = moves
                share = max(1, POOL_ROWS // n_markets)
                if n_markets * window > POOL_ROWS and len(moved) > share:
                    # Staggered from market to market, so that together they cover every date.
                    moved = moved[_staggered(len(moved), share, read[pool_key])]
                if len(moved):
                    parts.setdefault(pool_key, []).append((key, errors[moved], measured[1][moved]))
    for target, (parts, _) in zip(targets, gathered, strict=True):
        for pool_key, group in parts.items():  # a series alone here finds no kin in it
            target._pools[pool_key] = _Pool(
                errors=np.concatenate([e for _, e, _ in group]),
                dates=np.concatenate([d for _, _, d in group]),
                owners=np.concatenate([np.full(len(e), i) for i, (_, e, _) in enumerate(group)]),
                markets=_by_market((k for k, _, _ in group), pool_key[0]),
            )


def _group_sizes(distinct: pd.DataFrame, columns: tuple[str, ...]) -> dict[tuple, int]:
    """Group (a tuple, one column or more) -> how many series it holds."""
    if not columns:  # the whole file is one group
        return {(): len(distinct)}
    sizes = distinct.groupby(list(columns), observed=True).size()
    return {(k if isinstance(k, tuple) else (k,)): int(n) for k, n in sizes.items()}


def _identity(key: tuple, level: int) -> tuple:
    """What makes a pool member the series itself: its market as the case-twin check
    compares it, and at the broader levels its commodity and price type too (other
    commodities of the same market are kin there, and so is the retail price of a
    wholesale one at the widest)."""
    if level == 0:
        return (_market(key),)
    commodity, price_type = (
        " ".join(str(key[KEY.index(column)]).casefold().split())
        for column in ("commodity", "price_type")
    )
    return (commodity, price_type, _market(key))


def _by_market(keys, level: int) -> dict[tuple, list[int]]:
    """Identity (see :func:`_identity`) -> the members' positions with it."""
    out: dict[tuple, list[int]] = {}
    for i, key in enumerate(keys):
        out.setdefault(_identity(key, level), []).append(i)
    return out


def _evenly(n: int, size: int) -> np.ndarray:
    """``size`` evenly spaced positions out of ``n``, first and last included."""
    return np.linspace(0, n - 1, size).round().astype(int)


def _staggered(n: int, size: int, member: int) -> np.ndarray:
    """``size`` positions out of ``n``, evenly spaced, shifted by a fraction that differs
    from one ``member`` to the next (the golden ratio's, which never repeats)."""
    shift = (member * 0.6180339887498949) % 1
    return np.minimum((np.arange(size) + shift) * n / size, n - 1).astype(int)


@dataclass
class _Pool:
    """One kin group: error rows, the date each row's move starts from, whose row it is
    (``owners``: the position of its series among the group's, in key order) and which
    are one series (``markets``: identity -> positions; a series and its case twins)."""

    errors: np.ndarray
    dates: np.ndarray
    owners: np.ndarray
    markets: dict


class PoolsByHorizon:
    """:class:`KinPools` for series forecast to different horizons (a bulletin forecasts
    each series as far as it lags): one pool per horizon, built when a series first asks,
    for every horizon the forecast series need at once (see :func:`_fill`).

    A pool of one horizon is not cut from a longer one: a group of many markets keeps a
    staggered share of each market's rows with a move within its horizon, so a longer one
    keeps other rows, and a series' kin (and the outlook of one beside a lagging series)
    would differ from those of ``cropcast forecast`` at its own horizon.
    """

    def __init__(self, prices: pd.DataFrame, window: int, spec, forecast: pd.DataFrame):
        """``spec``: the :class:`forecast.forecasting.ForecastSpec` whose ``for_series``
        gives each series its horizon; ``forecast``: the series that will ask."""
        self._prices, self._window, self._spec = prices, int(window), spec
        self._forecast = forecast
        self._pools: dict[int, KinPools] | None = None

    def with_source(self, key: tuple, y: pd.Series) -> tuple[np.ndarray, str] | None:
        if self._pools is None:
            horizons = {self._horizon(k, y) for k, y in iter_series(self._forecast)}
            self._pools = KinPools.for_horizons(self._prices, horizons, self._window)
            self._forecast = None  # not kept while the jobs run
        return self._pools[self._horizon(key, y)].with_source(key, y)

    def _horizon(self, key: tuple, y: pd.Series) -> int:
        from forecast.auto import fitted_steps

        return fitted_steps(self._spec.for_series(y, key).horizon)


class WithKin(Iterator):
    """``iter_series`` items with each series' kin errors and their source in words added:
    ``(key, y, kin, source)``, or ``(key, y)`` when it takes none.

    Keeps ``len()``, which the engine uses to size its last chunks.
    """

    def __init__(self, series, pools: KinPools | PoolsByHorizon):
        self._series, self._pools, self._n = series, pools, len(series)

    def __next__(self):
        key, y = next(self._series)
        found = self._pools.with_source(key, y)
        return (key, y) if found is None else (key, y, *found)

    def __len__(self) -> int:
        return self._n


__all__ = [
    "BROAD",
    "KIN",
    "LEVELS",
    "MAX_KIN_ERRORS",
    "KinPools",
    "PoolsByHorizon",
    "WithKin",
    "kin_of",
    "short_series",
]
