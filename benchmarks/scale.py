"""How cropcast scales: series per second and peak memory, by engine and number of series.

    python benchmarks/scale.py                          # 100, 1,000 and 5,000 series, model auto
    python benchmarks/scale.py --sizes 100,1000 --model ets
    python benchmarks/scale.py --sizes 100 --no-write   # a quick look; RESULTS.md untouched

The series are the real monthly series of the embedded data (``data/prices.csv``), copied
until there are enough; each copy gets its own market name and every price multiplied by
``exp(e)``, ``e ~ N(0, noise^2)`` drawn per price from a seeded generator. So each series is
a real price history with its gaps and length, slightly perturbed, not a simulated one.

Each size runs on three set-ups, each in a fresh Python process (cold, as a command-line
run is): ``local`` with 1 core, ``processes`` with 2 workers (loky), and ``dask`` with a
``LocalCluster`` of 2 workers. The clock covers ``forecast_prices`` only (starting the
worker pool or cluster included; reading the data not). Peak memory is the resident set of
the whole process tree (main process, workers, Dask nannies), sampled every 50 ms, with the
main process and the largest worker also given apart. The forecasts of every set-up are
compared: they must agree to floating-point tolerance. Sizes up to ``--once-above`` (1,000)
run ``--rounds`` (3) interleaved rounds, and speed-ups are taken round by round, since this
kind of virtual machine drifts in speed by tens of percent between minutes.

The ``## Scale`` section of ``benchmarks/RESULTS.md`` is replaced (the file is created when
missing); other sections are left as they are.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SETUPS = {  # name -> (engine, workers)
    "local": ("local", 1),
    "processes": ("processes", 2),
    "dask": ("dask", 2),
}
HEADING = "## Scale"


# --- data --------------------------------------------------------------------------------------


def replicate(n_series: int, noise: float, seed: int):
    """``n_series`` monthly series: the embedded ones, copied with multiplicative noise."""
    import numpy as np
    import pandas as pd

    from forecast.datasets import load_default_prices
    from forecast.table import KEY, infer_freq

    prices = load_default_prices()
    monthly = [
        key
        for key, group in prices.groupby(list(KEY), sort=True)
        if infer_freq(group["date"]) == "monthly"
    ]
    base = prices.merge(pd.DataFrame(monthly, columns=list(KEY)), on=list(KEY))
    base["series"] = base.groupby(list(KEY), sort=True).ngroup()
    rng = np.random.default_rng(seed)
    copies = []
    for copy in range(-(-n_series // len(monthly))):
        part = base.copy()
        part["market"] = part["market"] + f" #{copy + 1:05d}"
        part["price"] = part["price"] * np.exp(rng.normal(0.0, noise, len(part)))
        part["series"] += copy * len(monthly)
        copies.append(part)
    table = pd.concat(copies, ignore_index=True)
    table = table[table["series"] < n_series].drop(columns="series")
    lengths = base.groupby("series").size()
    about = {"n": len(monthly), "shortest": int(lengths.min()), "longest": int(lengths.max())}
    return table.reset_index(drop=True), about


# --- memory and CPU of a process tree ------------------------------------------------------------


def sample(pid: int) -> dict[int, tuple[int, float]]:
    """Resident bytes and CPU seconds so far of ``pid`` and each of its descendants."""
    try:
        import psutil
    except ImportError:
        return _sample_proc(pid)
    out = {}
    try:
        main = psutil.Process(pid)
        processes = [main, *main.children(recursive=True)]
    except psutil.Error:
        return out
    for process in processes:
        with contextlib.suppress(psutil.Error):
            cpu = process.cpu_times()
            out[process.pid] = (process.memory_info().rss, cpu.user + cpu.system)
    return out


def _sample_proc(pid: int) -> dict[int, tuple[int, float]]:
    """The same from /proc (Linux), for a machine without psutil."""
    parents, found = {}, {}
    page, tick = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            rss = int((entry / "statm").read_text().split()[1]) * page
        except (OSError, ValueError):
            continue
        parents[int(entry.name)] = int(fields[1])
        found[int(entry.name)] = (rss, (int(fields[11]) + int(fields[12])) / tick)
    tree, frontier = [pid], [pid]
    while frontier:
        current = frontier.pop()
        children = [p for p, parent in parents.items() if parent == current]
        tree += children
        frontier += children
    return {p: found[p] for p in tree if p in found}


# --- one measured run (in a child process) -----------------------------------------------------


def child(args) -> None:
    """Load the data, forecast it on one engine, print the timing as JSON."""
    import pandas as pd

    from forecast.engine import started
    from forecast.forecasting import ForecastSpec, forecast_prices
    from forecast.models import model_imports

    prices = pd.read_parquet(args.data)
    spec = ForecastSpec(model=args.model, horizon=args.horizon)
    loaded = sample(os.getpid())[os.getpid()][0]
    Path(args.out + ".started").touch()  # the parent counts CPU from here...
    start = time.perf_counter()
    # As `cropcast forecast` does: workers started, then the series handed to them.
    with started(args.engine, args.jobs, None, model_imports(args.model)) as run_on:
        run = forecast_prices(prices, spec, **run_on)
    seconds = time.perf_counter() - start
    Path(args.out + ".finished").touch()  # ...to here
    run.forecasts.to_parquet(args.out, index=False)
    failed = sum(1 for s in run.series if s.model != spec.model)
    report = {"seconds": seconds, "series": len(run.series), "failed": failed, "loaded": loaded}
    print(json.dumps(report))


def measure(data: Path, out: Path, setup: str, args) -> dict:
    """Run one set-up in a fresh process; time it there, sample its memory from here."""
    engine, jobs = SETUPS[setup]
    command = [
        sys.executable,
        __file__,
        "--child",
        "--data",
        str(data),
        "--out",
        str(out),
        "--engine",
        engine,
        "--jobs",
        str(jobs),
        "--model",
        args.model,
        "--horizon",
        str(args.horizon),
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    peak = main = worker = 0
    cpu_start: dict[int, float] | None = None
    cpu_last: dict[int, float] = {}
    started, finished = Path(f"{out}.started"), Path(f"{out}.finished")
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        while process.poll() is None:
            now = sample(process.pid)
            own = now.get(process.pid, (0, 0.0))[0]
            others = [rss for p, (rss, _) in now.items() if p != process.pid]
            peak, main = max(peak, own + sum(others)), max(main, own)
            worker = max(worker, *others, 0)
            if cpu_start is None and started.exists():
                cpu_start = {p: cpu for p, (_, cpu) in now.items()}
            if cpu_start is not None and not finished.exists():
                # Processes that exit before the end (Dask workers) keep their last count.
                cpu_last.update({p: cpu for p, (_, cpu) in now.items()})
            time.sleep(0.05)
        output = process.stdout.read()
    if process.returncode:
        raise SystemExit(f"{setup} run failed (exit {process.returncode})")
    result = json.loads(output.strip().splitlines()[-1])
    mb = 1024 * 1024
    result.update(
        setup=setup,
        engine=engine,
        cores=jobs,
        peak_mb=peak / mb,
        main_mb=main / mb,
        worker_mb=worker / mb,
        loaded_mb=result.pop("loaded") / mb,
        cpu=sum(cpu - (cpu_start or {}).get(p, 0.0) for p, cpu in cpu_last.items()),
    )
    return result


def max_relative_difference(paths: list[Path]) -> float:
    """Largest relative difference between the forecasts of the set-ups, over every number."""
    import numpy as np
    import pandas as pd

    from forecast.table import KEY

    frames = [pd.read_parquet(p).sort_values([*KEY, "date"]).reset_index(drop=True) for p in paths]
    numbers = [
        c for c in frames[0].columns if c == "forecast" or c.startswith(("lower_", "upper_"))
    ]
    worst = 0.0
    for other in frames[1:]:
        if len(other) != len(frames[0]) or not other[list(KEY)].equals(frames[0][list(KEY)]):
            return float("inf")
        a, b = frames[0][numbers].to_numpy(float), other[numbers].to_numpy(float)
        both = ~(np.isnan(a) & np.isnan(b))
        scale = np.maximum(np.abs(a), 1e-12)
        diff = np.abs(a - b) / scale
        worst = max(worst, float(np.nanmax(np.where(both, diff, 0.0), initial=0.0)))
        if (np.isnan(a) != np.isnan(b)).any():
            return float("inf")
    return worst


# --- report --------------------------------------------------------------------------------------


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"Python {platform.python_version()}"]
    for name in ("pandas", "numpy", "statsmodels", "joblib", "dask", "distributed"):
        with contextlib.suppress(PackageNotFoundError):
            parts.append(f"{name} {version(name)}")
    return ", ".join(parts)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def section(rows: list[dict], checks: dict, args, real: dict, note: str) -> str:
    from forecast.engine import default_jobs

    when = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    lines = [
        HEADING,
        "",
        f"Measured by `python benchmarks/scale.py --sizes {args.sizes} --model {args.model} "
        f"--rounds {args.rounds} --once-above {args.once_above}` "
        f"on {when}: {cpu_name()}, {default_jobs()} cores; {versions()}.",
        "",
        f"**Data.** The {real['n']} real monthly series of the embedded data "
        f"(`data/prices.csv`: WFP and World Bank prices, {real['shortest']} to "
        f"{real['longest']} months long), replicated to each size: every "
        "copy gets its own market name and each price is multiplied by exp(e), "
        f"e ~ N(0, {args.noise}²), drawn per price (seed {args.seed}). Real series with "
        "multiplicative noise, not simulated ones.",
        "",
        f"**Work.** `forecast_prices` with model `{args.model}`, horizon {args.horizon}, "
        "80 and 95 % intervals, harvest-calendar features on. Each run is a fresh process, so "
        "the time includes starting the worker pool or Dask cluster (as a command-line run "
        "pays it, through `forecast.engine.started`: on Linux the workers fork from a fork "
        "server that preloaded the models), not reading the data. Speed-up is against "
        "`local` at the same size; "
        "efficiency is speed-up / cores. Memory is the peak resident set of the process tree "
        "(main process, workers, Dask nannies; pages shared between processes count once per "
        "process), sampled every 50 ms; *run* is what the main process added while "
        "forecasting, above what it held once the input table was read. CPU s is the CPU "
        "time of the whole tree while forecasting (worker start-up included): on a busy "
        "machine, where wall times mean little, it still shows what an engine adds.",
        "",
        f"**Rounds.** Sizes up to {args.once_above:,} series ran {args.rounds} rounds, larger "
        "ones one: each round runs every set-up back to back, in a rotating order, so a drift "
        "in this machine's speed hits all alike. A row is the set-up's median run (its memory "
        "and CPU too); speed-up is the median over rounds of local's time over the set-up's "
        "in the same round, and Dask is compared with processes the same way.",
        "",
        "| series | engine | cores | seconds | series/s | speed-up | efficiency | CPU s "
        "| peak MB (tree) | main MB | main MB (run) | largest worker MB | failed |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['series']:,} | {row['engine']} | {row['cores']} | {row['seconds']:.1f} "
            f"| {row['rate']:.1f} | {row['speedup']:.2f}× | {row['efficiency']:.0%} "
            f"| {row['cpu']:.1f} | {row['peak_mb']:,.0f} | {row['main_mb']:,.0f} "
            f"| {row['main_mb'] - row['loaded_mb']:+,.0f} | {row['worker_mb']:,.0f} "
            f"| {row['failed']} |"
        )
    lines += ["", "All rounds (seconds):", ""]
    lines += [
        f"- {row['series']:,} series, {row['setup']}: "
        + ", ".join(f"{s:.1f}" for s in row["all_seconds"])
        for row in rows
    ]
    lines += ["", "**Targets.**", ""]
    lines += [f"- {text}" for text in checks.values()]
    if note:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def checks_for(rows: list[dict], differences: dict[int, float]) -> dict:
    out = {}
    by = {(r["series"], r["setup"]): r for r in rows}
    sizes = sorted({r["series"] for r in rows})
    target = 1000 if any(s == 1000 for s in sizes) else max(sizes)
    proc = by.get((target, "processes"))
    if proc:
        ok = "met" if proc["speedup"] >= 1.8 else "NOT met"
        out["speedup"] = (
            f"Speed-up from 1 to 2 cores on {target:,} series: {proc['speedup']:.2f}× "
            f"(target ≥ 1.8×: {ok})."
        )
    local = by.get((target, "local"))
    extra = [
        f"{name} {row['cpu'] / local['cpu'] - 1:+.0%}"
        for name in ("processes", "dask")
        if local and local["cpu"] and (row := by.get((target, name)))
    ]
    if extra:
        out["cpu"] = (
            f"CPU time against local on {target:,} series: {', '.join(extra)} (starting "
            "workers, importing the models in each, shipping series and forecasts)."
        )
    dask = by.get((target, "dask"))
    if proc and dask:
        slower = dask.get("vs_processes", dask["seconds"] / proc["seconds"] - 1)
        ok = "met" if slower <= 0.15 else "NOT met"
        out["dask"] = (
            f"Dask LocalCluster against processes on {target:,} series: {slower:+.0%} time "
            f"(target within 15 %: {ok})."
        )
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        parts = []
        for setup in SETUPS:
            a, b = by.get((small, setup)), by.get((large, setup))
            if not (a and b):
                continue
            run_a, run_b = a["main_mb"] - a["loaded_mb"], b["main_mb"] - b["loaded_mb"]
            text = f"{setup}: main process while forecasting {run_a:+,.0f} → {run_b:+,.0f} MB"
            if setup != "local":
                text += f", largest worker {a['worker_mb']:,.0f} → {b['worker_mb']:,.0f} MB"
            parts.append(text)
        out["memory"] = (
            f"Memory from {small:,} to {large:,} series ({large // small}× as many): "
            + "; ".join(parts)
            + ". Workers hold a few chunks of series at a time, so their memory does not "
            "grow with the number of series; the main process holds the input table it was "
            "given (read before the clock starts) and the forecasts it returns."
        )
    worst = max(differences.values(), default=0.0)
    out["same"] = (
        "Forecasts identical on every engine: largest relative difference between set-ups "
        f"{worst:.1e} (tolerance 1e-9: {'met' if worst <= 1e-9 else 'NOT met'})."
    )
    return out


def write_section(path: Path, text: str, heading: str = HEADING) -> None:
    """Replace the ``heading`` section of ``path`` (up to the next ``## ``), or add it."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    lines = old.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        tail = "".join(lines[end:])
        new = "".join(lines[:start]) + text + ("\n" + tail if tail else "")
    path.write_text(new, encoding="utf-8")


# --- rounds ---------------------------------------------------------------------------------------


def rounds_for(size: int, args) -> int:
    """Interleaved rounds for ``size`` series: ``--rounds``, or one above ``--once-above``."""
    return 1 if size > args.once_above else args.rounds


def summarise(runs: dict[str, list[dict]]) -> list[dict]:
    """One row per set-up: its median run, with speed-ups taken round by round.

    Round ``i`` of every set-up ran back to back, so ``local_i / processes_i`` compares like
    with like even when the machine's speed drifts between rounds; the row gives the median
    of those ratios (and of ``dask_i / processes_i`` for Dask).
    """
    rows = []
    for setup, results in runs.items():
        seconds = [r["seconds"] for r in results]
        # The median run itself (the lower of the two middle ones for an even count), so
        # its seconds, memory and CPU belong together.
        row = dict(sorted(results, key=lambda r: r["seconds"])[(len(results) - 1) // 2])
        row["all_seconds"] = seconds
        row["rate"] = row["series"] / row["seconds"]
        local = [r["seconds"] for r in runs["local"]]
        row["speedup"] = statistics.median(a / b for a, b in zip(local, seconds, strict=True))
        row["efficiency"] = row["speedup"] / row["cores"]
        if setup == "dask" and "processes" in runs:
            pool = [r["seconds"] for r in runs["processes"]]
            row["vs_processes"] = statistics.median(
                d / p - 1 for d, p in zip(seconds, pool, strict=True)
            )
        rows.append(row)
    return rows


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="Numbers of series.")
    parser.add_argument("--model", default="auto", help="Forecast model (default: auto).")
    parser.add_argument("--horizon", type=int, default=12)
    parser.add_argument("--setups", default=",".join(SETUPS), help="local,processes,dask")
    parser.add_argument("--noise", type=float, default=0.05, help="sd of the log-price noise.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="Print only.")
    parser.add_argument("--note", default="", help="A sentence added under the targets.")
    parser.add_argument("--rounds", type=int, default=3, help="Interleaved rounds per size.")
    parser.add_argument(
        "--once-above", type=int, default=1000, help="Sizes above this run one round only."
    )
    # The child process's own options.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.child:
        child(args)
        return
    if args.rounds < 1:
        raise SystemExit(f"--rounds {args.rounds}: there must be at least one round")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    unknown = [s for s in setups if s not in SETUPS]
    if unknown:
        raise SystemExit(f"unknown set-up {unknown[0]!r}; choose from {', '.join(SETUPS)}")
    if "local" not in setups:
        raise SystemExit("the local set-up is the baseline of the speed-ups; keep it")
    setups = ["local"] + [s for s in setups if s != "local"]
    rows, differences = [], {}
    per_series: float | None = None  # local seconds per series, for the estimate
    # Runs still to do; two workers are taken to need a little over half the local time.
    pending = [
        (size, setup)
        for size in sorted(sizes)
        for _ in range(rounds_for(size, args))
        for setup in setups
    ]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cropcast-scale-") as tmp:
        for size in sorted(sizes):
            prices, real = replicate(size, args.noise, args.seed)
            data = Path(tmp) / f"prices-{size}.parquet"
            prices.to_parquet(data, index=False)
            runs: dict[str, list[dict]] = {setup: [] for setup in setups}
            for round_ in range(rounds_for(size, args)):
                # Rounds interleave the set-ups, in a rotating order, so that a drift in the
                # machine's speed hits them all alike; speed-ups are then taken per round.
                shift = round_ % len(setups)
                for setup in setups[shift:] + setups[:shift]:
                    if per_series is not None:
                        left = per_series * sum(
                            n * (1 if name == "local" else 0.55) for n, name in pending
                        )
                        print(f"  about {left / 60:.1f} min left", file=sys.stderr)
                    pending.remove((size, setup))
                    out = Path(tmp) / f"forecasts-{size}-{setup}-{round_}.parquet"
                    result = measure(data, out, setup, args)
                    result["out"] = out
                    runs[setup].append(result)
                    if setup == "local":
                        per_series = result["seconds"] / size
                    print(
                        f"{size:>6,} series  {setup:<9} round {round_ + 1}  "
                        f"{result['seconds']:8.1f} s  CPU {result['cpu']:.1f} s  "
                        f"peak {result['peak_mb']:,.0f} MB (main {result['main_mb']:,.0f}, "
                        f"worker {result['worker_mb']:,.0f})",
                        file=sys.stderr,
                    )
            rows += summarise(runs)
            differences[size] = max_relative_difference(
                [r["out"] for s in runs.values() for r in s]
            )
    print(f"done in {(time.perf_counter() - started) / 60:.1f} min", file=sys.stderr)
    text = section(rows, checks_for(rows, differences), args, real, args.note)
    print(text)
    if not args.no_write:
        write_section(args.results, text)
        print(f"wrote the {HEADING!r} section of {args.results}", file=sys.stderr)


if __name__ == "__main__":
    main()
