"""The forecast archive: every forecast cropcast issued, kept to be scored when prices come.

A run (``forecast_runs``) is one ``cropcast forecast``: the model asked for, ``as_of`` (the
last price date it saw), horizon, levels, how many series and where the prices came from.
Its rows are ``forecasts`` (key, date, ``step``, ``forecast``, the model each series used)
and ``forecast_intervals`` (one row per level), which :func:`archived_forecasts` turns back
into the forecast-output table (``lower_<L>``/``upper_<L>`` columns).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from forecast.store.database import Store
from forecast.store.ingest import piece_unit_renames
from forecast.store.schema import utc_now
from forecast.table import KEY

_KEY = ", ".join(KEY)


_F_KEY = ", ".join(f"f.{c}" for c in KEY)
_I_KEY = ", ".join(f"i.{c}" for c in KEY)

# Each series' own cutoff in a run: the period before its first forecast date. A run's
# ``as_of`` is its latest price over all series, so a series whose prices lag the others
# (still at December when another has January) was forecast from its own last price, and
# its first forecast dates may fall on or before ``as_of``; matching by ``as_of`` would never
# score them. A series is monthly when its stored prices are all dated the 1st (else, not in
# the store, when its forecasts are): a one-step weekly forecast for Monday 1 December is
# weekly, and a bulletin saying when a forecast was made must not name a month back.
_SERIES_CUTOFFS = f"""stored_monthly AS (
    SELECT {_KEY}, bool_and(day(date) = 1) AS monthly FROM prices GROUP BY ALL
),
series_cutoffs AS (
    SELECT run_id, {_KEY}, CAST(CASE
        WHEN coalesce(any_value(s.monthly), bool_and(day(f.date) = 1))
        THEN min(f.date) - INTERVAL 1 MONTH ELSE min(f.date) - INTERVAL 7 DAY END AS DATE)
        AS cutoff
    FROM forecasts f LEFT JOIN stored_monthly s USING ({_KEY}) GROUP BY ALL
)"""


# Each bulletin run's outlook, per series: its last ``horizon`` forecasts, which start the
# period after the bulletin's own (a run keeps its last price's date, not its bulletin's).
_BULLETIN_OUTLOOKS = f"""bulletin_outlooks AS (
    SELECT f.run_id, {_F_KEY}, f.date AS outlook_start
    FROM forecasts f JOIN forecast_runs fr USING (run_id)
    WHERE fr.source = 'bulletin'
    QUALIFY f.step = max(f.step) OVER (PARTITION BY f.run_id, {_F_KEY}) - fr.horizon + 1
)"""


def _level_name(level: float) -> str:
    return f"{float(level):g}"


def archive_forecasts(store: Store, run, spec, as_of, *, source: str = "store") -> int:
    """Keep a :class:`~forecast.forecasting.ForecastRun` in the store; returns its run id.

    Parameters
    ----------
    run, spec
        What :func:`forecast.forecasting.forecast_prices` returned, and the
        :class:`~forecast.forecasting.ForecastSpec` it ran with.
    as_of
        The last price date the forecasts saw, over all series (kept with the run; accuracy
        counts actuals after each series' own last price, see ``_SERIES_CUTOFFS``).
    source
        Where the prices came from: ``"store"``, or a file name.
    """
    table = run.forecasts.copy()
    levels = [_level_name(level) for level in spec.levels]
    table["date"] = pd.to_datetime(table["date"]).astype("datetime64[ns]")
    table = table.sort_values([*KEY, "date"], kind="stable").reset_index(drop=True)
    table["step"] = table.groupby(list(KEY), sort=False).cumcount() + 1
    points = table[[*KEY, "date", "step", "forecast", "model"]].assign(
        forecast=table["forecast"].astype(float)
    )
    intervals = pd.concat(
        [
            table[[*KEY, "date"]].assign(
                level=float(level),
                lower=table[f"lower_{level}"].astype(float),
                upper=table[f"upper_{level}"].astype(float),
            )
            for level in levels
            if f"lower_{level}" in table.columns
        ]
        or [pd.DataFrame(columns=[*KEY, "date", "level", "lower", "upper"])],
        ignore_index=True,
    )
    n_series = table.groupby(list(KEY)).ngroups if len(table) else 0
    with store.writing() as con:
        # Series priced per piece are archived under the unit their stored prices have
        # (an older cropcast called eggs' pieces "nut"), or accuracy would never meet them.
        con.register("cropcast_keys", points[list(KEY)].drop_duplicates())
        renames = piece_unit_renames(con, "cropcast_keys")
        con.unregister("cropcast_keys")
        for commodity, market, price_type, unit, currency, stored in renames:
            for frame in (points, intervals):
                rows = (
                    (frame["commodity"] == commodity)
                    & (frame["market"] == market)
                    & (frame["price_type"] == price_type)
                    & (frame["currency"] == currency)
                    & (frame["unit"] == unit)
                )
                frame.loc[rows, "unit"] = stored
        (run_id,) = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM forecast_runs").fetchone()
        con.execute(
            "INSERT INTO forecast_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                utc_now(),
                spec.model,
                pd.Timestamp(as_of).date(),
                int(spec.horizon),
                ",".join(levels),
                int(n_series),
                str(source),
                bool(spec.use_calendar),
            ],
        )
        con.register("cropcast_points", points)
        con.execute(
            f"""INSERT INTO forecasts SELECT ?, {_KEY}, CAST(date AS DATE), step, forecast,
                model FROM cropcast_points""",
            [run_id],
        )
        con.unregister("cropcast_points")
        if len(intervals):
            con.register("cropcast_intervals", intervals)
            con.execute(
                f"""INSERT INTO forecast_intervals SELECT ?, {_KEY}, CAST(date AS DATE), level,
                    lower, upper FROM cropcast_intervals""",
                [run_id],
            )
            con.unregister("cropcast_intervals")
    return int(run_id)


def forecast_runs(store: Store) -> pd.DataFrame:
    """One row per archived run, oldest first."""
    with store.reading() as con:
        return con.execute("SELECT * FROM forecast_runs ORDER BY run_id").df()


def forecast_series(store: Store) -> pd.DataFrame:
    """The series (key columns) any archived run forecast."""
    with store.reading() as con:
        return _frame(con, f"SELECT DISTINCT {_KEY} FROM forecasts", [])


def _widen(points: pd.DataFrame, intervals: pd.DataFrame, ids: Sequence[str]) -> pd.DataFrame:
    """Long intervals -> ``lower_<L>``/``upper_<L>`` columns beside each forecast point."""
    out = points.copy()
    for level in sorted(intervals["level"].unique()) if len(intervals) else []:
        part = intervals[intervals["level"] == level].drop(columns="level")
        name = _level_name(level)
        part = part.rename(columns={"lower": f"lower_{name}", "upper": f"upper_{name}"})
        out = out.merge(part, on=list(ids), how="left")
    return out


def _frame(con, sql: str, params: list) -> pd.DataFrame:
    frame = con.execute(sql, params).df()
    for column in KEY:
        if column in frame:
            frame[column] = frame[column].astype(object)
    for column in ("date", "cutoff"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return frame


def _output(points: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    """Forecast-output column order: key, date, forecast, lower/upper per level, model, rest."""
    ids = ["run_id", *KEY, "date"]
    wide = _widen(points, intervals, ids)
    levels = [c for c in wide.columns if c.startswith(("lower_", "upper_"))]
    levels.sort(key=lambda c: (float(c.split("_", 1)[1]), c.startswith("upper_")))
    first = [*KEY, "date", "forecast", *levels, "model"]
    rest = [c for c in wide.columns if c not in first]
    return wide[first + rest].sort_values([*KEY, "date"], kind="stable").reset_index(drop=True)


def archived_forecasts(store: Store, run_id: int) -> pd.DataFrame:
    """One archived run in the forecast-output format, plus ``run_id``, ``step``, ``cutoff``
    (each series' last price date the run saw)."""
    with store.reading() as con:
        points = _frame(
            con,
            f"""WITH {_SERIES_CUTOFFS}
            SELECT {_F_KEY}, f.date, f.forecast, f.model, f.run_id, f.step, c.cutoff
            FROM forecasts f JOIN series_cutoffs c USING (run_id, {_KEY}) WHERE f.run_id = ?""",
            [run_id],
        )
        intervals = _frame(
            con,
            f"SELECT run_id, {_KEY}, date, level, lower, upper FROM forecast_intervals "
            "WHERE run_id = ?",
            [run_id],
        )
    return _output(points, intervals)


#: How far back :func:`previous_forecasts` offers runs, before a series' last price: a
#: bulletin of a week with no new file forecast from the same prices as the one before,
#: its outlook a week later, so the period it does not reach is graded on an earlier
#: run's; no bulletin outlook reaches further than 24 months (a fixed count of runs dropped
#: the one that printed it behind four missed weeks, or bulletins kept with other options).
OFFERED_MONTHS = 25


def previous_forecasts(store: Store, as_of=None) -> pd.DataFrame | None:
    """The forecasts a bulletin dated ``as_of`` can check against the prices that came.

    For each series: the archived runs of the :data:`OFFERED_MONTHS` before its last price
    (``rank`` 1 the first choice) that saw it only up to a date before that series' last
    price on or before ``as_of``, and whose prices up to then no later file corrected (of
    runs from the same prices, a bulletin's, whose outlook the farmers read, first), in the
    forecast-output format with ``cutoff`` (the series' last price date the run saw),
    ``run_id``, ``rank``, and the run's ``source`` and ``run_horizon`` (a bulletin's
    outlook is graded on the range it printed, by the latest bulletin whose outlook holds
    the period: see ``forecast.bulletin.facts.accuracy``). A series whose last price a
    bulletin of an earlier period already showed (no new price since; that bulletin's
    outlook starts on or before ``as_of``, or some of its series have newer prices now)
    has none: that bulletin graded it, and a week with no new price would say the same
    grade again.
    ``as_of=None`` means the latest prices. ``None`` when no run qualifies.
    """
    limit = pd.Timestamp(as_of if as_of is not None else "2262-01-01").date()
    this_period = None if as_of is None else limit  # None: the latest price's
    with store.reading() as con:
        (has_runs,) = con.execute("SELECT count(*) FROM forecast_runs").fetchone()
        if not has_runs:
            return None
        chosen = f"""
            WITH latest AS (
                SELECT {_KEY}, max(date) AS last_date FROM prices
                WHERE date <= ? GROUP BY ALL
            ),
            {_SERIES_CUTOFFS},
            -- A run fitted on a price since corrected (a typo the next file put right)
            -- forecast from a price that never was: it says nothing of the forecasts.
            corrected AS (
                SELECT DISTINCT c.run_id, {", ".join(f"c.{k}" for k in KEY)}
                FROM series_cutoffs c
                JOIN forecast_runs fr USING (run_id)
                JOIN revisions r USING ({_KEY})
                JOIN ingests i ON i.ingest_id = r.ingest_id
                WHERE r.date <= c.cutoff AND i.ingested_at > fr.created_at
                    -- an estimate replaced or re-estimated was no price the run trusted
                    AND NOT list_contains(string_split(r.old_flags, ';'), 'interpolated')
            ),
            -- A series with no new price since a bulletin of an earlier period showed its
            -- latest: that bulletin graded the price, and the farmers read it there.
            {_BULLETIN_OUTLOOKS},
            -- Of an earlier period too: a bulletin whose series have newer prices now than
            -- it had. A monthly price in a weekly bulletin looks ahead to next month, so
            -- its outlook's start alone did not tell the next weeks from the one it came.
            bulletin_reach AS (
                SELECT b.run_id, max(l.last_date) AS reach
                FROM bulletin_outlooks b JOIN latest l USING ({_KEY}) GROUP BY b.run_id
            ),
            shown AS (
                SELECT DISTINCT {_KEY} FROM bulletin_outlooks b
                JOIN series_cutoffs c USING (run_id, {_KEY}) JOIN latest l USING ({_KEY})
                JOIN bulletin_reach r USING (run_id) JOIN forecast_runs fr USING (run_id)
                WHERE c.cutoff = l.last_date
                    AND (b.outlook_start <= coalesce(?, (SELECT max(last_date) FROM latest))
                        OR r.reach > fr.as_of)
            ),
            -- Of the runs from the same prices, a bulletin's: what the farmers were sent.
            picked AS (
                SELECT c.*, row_number() OVER (
                    PARTITION BY {", ".join(f"c.{k}" for k in KEY)}
                    ORDER BY c.cutoff DESC, fr.source = 'bulletin' DESC, c.run_id DESC) AS rank
                FROM series_cutoffs c JOIN latest l USING ({_KEY})
                JOIN forecast_runs fr USING (run_id)
                ANTI JOIN corrected USING (run_id, {_KEY})
                ANTI JOIN shown USING ({_KEY})
                WHERE c.cutoff < l.last_date
                    AND c.cutoff >= l.last_date - INTERVAL {OFFERED_MONTHS} MONTH
            )"""
        points = _frame(
            con,
            chosen
            + f"""SELECT {_F_KEY}, f.date, f.forecast, f.model, f.run_id,
                f.step, p.cutoff, p.rank, fr.source, fr.horizon AS run_horizon
            FROM forecasts f JOIN picked p USING (run_id, {_KEY})
            JOIN forecast_runs fr USING (run_id)""",
            [limit, this_period],
        )
        intervals = _frame(
            con,
            chosen
            + f"""SELECT i.run_id, {_I_KEY}, i.date, i.level, i.lower,
                i.upper FROM forecast_intervals i JOIN picked p USING (run_id, {_KEY})""",
            [limit, this_period],
        )
    if points.empty:
        return None
    return _output(points, intervals)


def changed_since_bulletin(store: Store, latest, period_start) -> pd.DataFrame:
    """Prices that changed under the last bulletin sent before this one (whose latest price
    is dated ``latest``, and whose own period starts on ``period_start``): ``KEY``,
    ``date``, ``price`` (as stored now), ``was`` (the value the bulletin had; NaN for a
    price that came late) and ``kind``, ``"corrected"`` or ``"late"``. Empty without such
    a bulletin run.

    A run keeps its last price's date, not its bulletin's (a week with no new file makes a
    bulletin from last week's prices), so a bulletin run's period is told by its outlook:
    its last ``horizon`` forecasts per series, which start the period after its own. The
    last bulletin sent is the latest run archived from a bulletin whose outlook starts on
    or before ``period_start`` (another format of this very bulletin is no earlier one).
    A price is corrected when a file ingested after that run replaced it and its date is
    one the run saw; it came late when it was first ingested after that run, dated after
    the run's prices and up to ``latest``. A bulletin that says neither shows "117.000
    (−3 %)" to farmers who were sent "117.000 (−4 %)". An estimate replaced by a real
    price is the real price coming late, not a correction.
    """
    latest, period_start = pd.Timestamp(latest).date(), pd.Timestamp(period_start).date()
    with store.reading() as con:
        frame = _frame(
            con,
            f"""
            WITH {_BULLETIN_OUTLOOKS},
            outlooks AS (
                SELECT run_id, min(outlook_start) AS outlook_start
                FROM bulletin_outlooks GROUP BY run_id
            ),
            sent AS (
                SELECT fr.created_at, fr.as_of FROM forecast_runs fr JOIN outlooks USING (run_id)
                WHERE outlooks.outlook_start <= ?
                ORDER BY fr.created_at DESC LIMIT 1
            ),
            -- What that bulletin had: the value the first ingest after it replaced.
            replaced AS (
                SELECT {_KEY}, r.date, arg_min(r.old_price, r.ingest_id) AS was,
                    arg_min(list_contains(string_split(r.old_flags, ';'), 'interpolated'),
                        r.ingest_id) AS was_estimate
                FROM revisions r JOIN ingests i USING (ingest_id) CROSS JOIN sent
                WHERE i.ingested_at > sent.created_at AND r.date <= sent.as_of
                GROUP BY ALL
            )
            SELECT {", ".join(f"p.{k}" for k in KEY)}, p.date, p.price, x.was,
                CASE WHEN x.was IS NOT NULL AND NOT x.was_estimate THEN 'corrected'
                    ELSE 'late' END AS kind
            FROM prices p JOIN ingests i ON i.ingest_id = p.ingest_id CROSS JOIN sent
            LEFT JOIN replaced x ON {" AND ".join(f"x.{k} = p.{k}" for k in KEY)}
                AND x.date = p.date
            WHERE NOT list_contains(string_split(p.flags, ';'), 'interpolated')
              AND p.date <= ?
              AND ((x.was IS NOT NULL AND NOT x.was_estimate AND x.was <> p.price)
                   OR (i.ingested_at > sent.created_at AND p.date > sent.as_of
                       AND p.date < ?))
            ORDER BY ALL""",
            [period_start, latest, latest],
        )
    frame.loc[frame["kind"] == "late", "was"] = float("nan")
    return frame
