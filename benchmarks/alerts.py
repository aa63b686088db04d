"""Price alerts on a national file: a hundred series a job, against one series a job.

    python benchmarks/alerts.py              # rewrites ## Alerts on a national file in RESULTS.md
    python benchmarks/alerts.py --no-write   # prints only

``cropcast alerts`` scores ALPS and IPA per series through the engine
(``forecast.anomaly.latest_alerts_by_series``). It ran one series a job, and a job's own
cost (grouping, merging the indicators' tables) was most of a series' cost; it now runs
``SERIES_PER_JOB`` series a job. Both ways are one setting apart, so this script times them
side by side on the same prices, in the same process, rounds interleaved, in process
(``--engine local``: the work itself, without the workers' start) and on two worker
processes (what the command does), and checks that every way gives the same table.

Data: the Sri Lanka WFP file in ``../shared/data`` (1,442 series, most of them too short
for either indicator), read and cleaned by cropcast's own importer. Without ``../shared``
the script says so and stops.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy  # noqa: E402  (machine description and RESULTS.md sections are shared)
from kin_pools import SRI_LANKA, load, sri_lanka_options  # noqa: E402  (the same file)

ROOT = accuracy.ROOT
HEADING = "## Alerts on a national file"
ENGINES = (("local", None), ("processes", 2))


def main(argv: list[str] | None = None) -> int:
    args = sri_lanka_options(argv, __doc__)
    if args is None:
        return 1

    import pandas as pd

    from forecast import anomaly
    from forecast.table import KEY

    prices = load(SRI_LANKA)
    n_series = len(prices.drop_duplicates(list(KEY)))
    batched = anomaly.SERIES_PER_JOB
    ways = {"one a job": 1, f"{batched} a job": batched}
    rows, tables = [], []
    for engine, n_jobs in ENGINES:
        times: dict[str, list[float]] = {way: [] for way in ways}
        for round_ in range(args.rounds):
            order = list(ways) if round_ % 2 == 0 else list(ways)[::-1]
            for way in order:
                anomaly.SERIES_PER_JOB = ways[way]
                start = time.perf_counter()
                table = anomaly.latest_alerts_by_series(prices, engine=engine, n_jobs=n_jobs)
                times[way].append(time.perf_counter() - start)
                tables.append(table)
        anomaly.SERIES_PER_JOB = batched
        rows.append((engine, n_jobs, times))
        print(engine, {k: [round(t, 2) for t in v] for k, v in times.items()})
    try:
        for table in tables[1:]:
            pd.testing.assert_frame_equal(table, tables[0])
        identical = True
    except AssertionError:
        identical = False

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        HEADING,
        "",
        f"Run {stamp} on {accuracy.machine()}. Command: `python benchmarks/alerts.py "
        f"--rounds {args.rounds}` (rounds interleaved, median shown).",
        "",
        f"ALPS and IPA of every series of the Sri Lanka WFP file ({n_series:,} series, "
        "cleaned by cropcast's importer), through `latest_alerts_by_series` as `cropcast "
        "alerts` runs it: one series a job against "
        f"{batched} a job, in process and on two worker processes.",
        "",
        f"| engine | one a job s | {batched} a job s | ratio | same table |",
        "|---|---:|---:|---:|---|",
    ]
    for engine, n_jobs, times in rows:
        one, many = (statistics.median(times[way]) for way in ways)
        where = engine if n_jobs is None else f"{engine}, {n_jobs} workers"
        lines.append(
            f"| {where} | {one:.2f} | {many:.2f} | {one / many:.1f}× | "
            f"{'yes' if identical else 'NO'} |"
        )
    one, many = (statistics.median(rows[0][2][way]) for way in ways)  # in process
    lines += [
        "",
        f"In process, a series costs {1000 * many / n_series:.1f} ms {batched} a job, and "
        f"{1000 * one / n_series:.1f} ms one a job: the job's own grouping and merging, once "
        "a series. Most of this file's series are too short for either indicator and were "
        "scored, one a job, only to say so.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        accuracy.write_section(args.results, text, HEADING)
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
