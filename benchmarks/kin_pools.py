"""Kin pools for a bulletin: one pass over the file for every horizon, against one per horizon.

    python benchmarks/kin_pools.py              # rewrites ## Kin pools for bulletins in RESULTS.md
    python benchmarks/kin_pools.py --no-write   # prints only

A bulletin forecasts each series as far as it lags (its horizon is the bulletin's plus the
periods since its last price), and ``auto`` gives a series too short to backtest its kin's
moves, pooled per horizon (``forecast.kin``). The pools were built one horizon at a time,
each a pass over the whole file (``KinPools(prices, horizon, window)``); they are now built
for every horizon in one pass (``KinPools.for_horizons``). Both ways are in the code, so
this script times them side by side on the same prices, in the same process, rounds
interleaved, and checks that they build the same pools.

Data: the Sri Lanka WFP file in ``../shared/data`` (1,442 series, mostly one or two years
long, many markets opening at once: the case where series lag by many different periods),
read and cleaned by cropcast's own importer, cut at each ``--as-of`` date as
``cropcast bulletin --as-of`` cuts it; the series forecast are those a bulletin keeps.
Without ``../shared`` the script says so and stops.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy  # noqa: E402  (machine description and RESULTS.md sections are shared)

ROOT = accuracy.ROOT
HEADING = "## Kin pools for bulletins"
SRI_LANKA = ROOT.parent / "shared" / "data" / "wfp" / "wfp_food_prices_lka.csv"
AS_OF = ("2024-03", "2025-06")
BULLETIN_HORIZON = 3


def load(path: Path):
    from forecast.clean.pipeline import clean
    from forecast.io import read_prices
    from forecast.table import observed_prices

    return observed_prices(clean(read_prices(path)).prices)


def bulletin_series(prices, as_of):
    """``(known, current, horizons)``: the prices as of ``as_of``, the series a bulletin
    then forecasts (a price in its last ``MAX_AGE_MONTHS``), and their horizons (the
    bulletin's plus each one's lag), as ``forecast.bulletin.facts`` finds them."""
    import pandas as pd

    from forecast.bulletin.facts import MAX_AGE_MONTHS, truncate
    from forecast.forecasting import ForecastSpec
    from forecast.table import KEY, iter_series

    known = truncate(prices, as_of)
    as_of = pd.Timestamp(as_of)
    last = known.groupby(list(KEY), observed=True)["date"].transform("max")
    current = known[last > as_of - pd.DateOffset(months=MAX_AGE_MONTHS)]
    spec = ForecastSpec(horizon=BULLETIN_HORIZON, counted_from=as_of)
    needed = sorted({spec.for_series(y).horizon for _, y in iter_series(current)})
    return known, current, needed


def same(a, b) -> bool:
    import numpy as np

    if a._short != b._short or a._flat != b._flat or a._pools.keys() != b._pools.keys():
        return False
    return all(
        np.array_equal(a._pools[k].errors, b._pools[k].errors, equal_nan=True)
        and np.array_equal(a._pools[k].dates, b._pools[k].dates)
        and np.array_equal(a._pools[k].owners, b._pools[k].owners)
        for k in a._pools
    )


def sri_lanka_options(argv: list[str] | None, doc: str) -> argparse.Namespace | None:
    """The options of a benchmark on the Sri Lanka file (``--rounds``, ``--results``,
    ``--no-write``); ``None``, said, when ../shared/data is not beside the checkout."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if not SRI_LANKA.is_file():
        print(f"{SRI_LANKA} not found: this benchmark needs ../shared/data beside the checkout")
        return None
    return args


def main(argv: list[str] | None = None) -> int:
    args = sri_lanka_options(argv, __doc__)
    if args is None:
        return 1

    from forecast.auto import AutoForecaster
    from forecast.kin import KinPools

    window = AutoForecaster().calibration_window
    prices = load(SRI_LANKA)
    rows = []
    for as_of in AS_OF:
        cut, current, needed = bulletin_series(prices, as_of)
        times: dict[str, list[float]] = {"one by one": [], "one pass": []}
        for round_ in range(args.rounds):
            order = list(times) if round_ % 2 == 0 else list(times)[::-1]
            for way in order:
                start = time.perf_counter()
                if way == "one by one":
                    alone = {h: KinPools(cut, h, window) for h in needed}
                else:
                    together = KinPools.for_horizons(cut, needed, window)
                times[way].append(time.perf_counter() - start)
        identical = all(same(alone[h], together[h]) for h in needed)
        n_series = current.drop_duplicates(
            ["commodity", "market", "price_type", "unit", "currency"]
        )
        rows.append((as_of, len(n_series), needed, times, identical))
        print(as_of, len(needed), {k: [round(t, 2) for t in v] for k, v in times.items()})

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        HEADING,
        "",
        f"Run {stamp} on {accuracy.machine()}. Command: `python benchmarks/kin_pools.py "
        f"--rounds {args.rounds}` (rounds interleaved, median shown).",
        "",
        "Building the kin pools a bulletin needs (every horizon its series lag to, bulletin "
        f"horizon {BULLETIN_HORIZON}; the series with a price in the 12 months before the "
        "bulletin date) on the Sri Lanka WFP file cut at each date, from all its prices then: "
        "one pass per horizon (`KinPools` for each) against one pass for all "
        "(`KinPools.for_horizons`).",
        "",
        "| as of | series | horizons | one by one s | one pass s | ratio | same pools |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for as_of, n_series, needed, times, identical in rows:
        by_one, by_pass = (statistics.median(times[k]) for k in ("one by one", "one pass"))
        lines.append(
            f"| {as_of} | {n_series:,} | {len(needed)} ({needed[0]}-{needed[-1]}) | "
            f"{by_one:.2f} | {by_pass:.2f} | {by_one / by_pass:.1f}× | "
            f"{'yes' if identical else 'NO'} |"
        )
    lines += [
        "",
        "Each series is read and its last-price moves measured once, at the longest horizon "
        "(a shorter horizon's moves are a longer one's first steps); each horizon then keeps "
        "the rows it kept alone, so its pools, and the bulletin, are unchanged.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        accuracy.write_section(args.results, text, HEADING)
        print(f"wrote {args.results}")
    return 0 if all(r[4] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
