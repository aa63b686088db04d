"""Time ``cropcast forecast`` end to end from the shell: every engine, and a Prophet loop.

    python benchmarks/speed.py                  # 5 rounds, writes "## Speed from the shell"
    python benchmarks/speed.py --rounds 2 --no-write

Two files of 100 monthly series each:

``unseen``
    WFP Sri Lanka series from ``../shared/data`` that are not in the embedded data (the 100
    longest: 25 to 222 months), read and cleaned by cropcast's own WFP importer, with the
    prices it interpolated dropped again, so the gaps are there as a user's file has them.
    Skipped, with a note, when ``../shared`` is not beside the checkout.
``embedded``
    The 26 embedded series copied with 5 % multiplicative noise (as ``scale.py`` does), 18
    to 791 months: longer histories, so more work per series.

Each command is a fresh process timed by the wall clock, as a user's shell would time it
(start-up, imports, reading, cleaning, writing and exit included). Rounds interleave the
commands in a rotating order, so a drift in the machine hits all alike; medians are
reported, and ratios are taken within each round. The *ceiling* column estimates the most
``--jobs 2`` could gain over ``--jobs 1`` if everything but Python's start and the workers'
imports split perfectly.

``jobs 1`` / ``jobs 2`` / ``dask 2``
    ``cropcast forecast --input F --quiet --output O`` with ``--jobs 1``, ``--jobs 2``, and
    ``--engine dask --jobs 2`` (a LocalCluster). Their forecasts must agree.
``prophet loop``
    ``Prophet()`` with default settings fitted on each series' prices and predicting 12
    months, one series after another, in one process (reading the file included, cleaning
    not): the peer of issue 3's speed target. It takes minutes, so by default it runs in
    the first round only (``--prophet-rounds``).

Then ``cropcast forecast --jobs 1`` runs once under cProfile, and the table says where its
time goes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
SHARED_LKA = ROOT.parent / "shared" / "data" / "wfp" / "wfp_food_prices_lka.csv"
HEADING = "## Speed from the shell"
COMMANDS = {
    "jobs 1": ["--jobs", "1"],
    "jobs 2": ["--jobs", "2"],
    "dask 2": ["--engine", "dask", "--jobs", "2"],
}
#: Functions whose cumulative time the profile reports, with what they are in words.
PROFILED = {
    "cli.py:main": "the command, after Python started and imported cli",
    "shared.py:load_for_forecast": "reading and cleaning the file",
    "forecasting.py:forecast_prices": "forecasting every series",
    "kin.py:__init__": "pooling the short series' kin moves (before the fits)",
    "auto.py:_backtest": "auto: backtest window of the candidates",
    "auto.py:_combine_fit": "auto: final fits of the kept candidates",
    "auto.py:_combine_unscored": "auto: short series, equal-weight fits (no backtest)",
    "ets.py:_fit": "ETS fits (every call)",
    "theta.py:_fit": "Theta fits (every call)",
    "theta.py:_sigma2": "Theta interval variance (ARIMA fit; only for its own ranges)",
    "auto.py:_predict": "auto: combining and calibrating the forecasts",
    "forecasting.py:write_forecasts": "writing the output file",
}


# --- data ----------------------------------------------------------------------------------------


def unseen_file(folder: Path, n_series: int) -> Path | None:
    """The ``n_series`` longest Sri Lanka series not in the embedded data, gaps kept."""
    import pandas as pd

    from forecast.datasets import load_default_prices
    from forecast.table import KEY

    if not SHARED_LKA.exists():
        return None
    cleaned = folder / "lka_clean.csv"
    subprocess.run(
        [*cropcast(), "data", "clean", str(SHARED_LKA), "-o", str(cleaned), "--freq", "monthly"],
        check=True,
        capture_output=True,
    )
    prices = pd.read_csv(cleaned, keep_default_na=False, na_values=[""])
    prices["flags"] = prices["flags"].fillna("")
    prices = prices[~prices["flags"].str.contains("interpolated")]
    embedded = set(map(tuple, load_default_prices()[list(KEY)].drop_duplicates().to_numpy()))
    sizes = prices.groupby(list(KEY)).size()
    sizes = sizes[[key not in embedded for key in sizes.index]]
    longest = sizes.sort_values(ascending=False, kind="stable").index[:n_series]
    keep = prices.set_index(list(KEY)).index.isin(longest)
    path = folder / "unseen.csv"
    prices.loc[keep, ["date", *KEY, "price"]].to_csv(path, index=False)
    return path


def embedded_file(folder: Path, n_series: int) -> Path:
    from scale import replicate

    table, _ = replicate(n_series, 0.05, 0)
    path = folder / "embedded.csv"
    table[["date", "commodity", "market", "price_type", "unit", "currency", "price"]].to_csv(
        path, index=False
    )
    return path


def describe(path: Path) -> str:
    import pandas as pd

    from forecast.table import KEY

    sizes = pd.read_csv(path).groupby(list(KEY)).size()
    return f"{len(sizes)} series, {int(sizes.min())} to {int(sizes.max())} prices"


# --- timing --------------------------------------------------------------------------------------


def cropcast() -> list[str]:
    """The console command, from this interpreter's environment."""
    script = Path(sys.executable).with_name("cropcast")
    return [str(script)] if script.exists() else [sys.executable, str(ROOT / "cli.py")]


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr}")
    return seconds


def prophet_loop(path: Path, horizon: int) -> None:
    """Child: Prophet with default settings on every series of ``path``, one after another."""
    import logging

    import pandas as pd
    from prophet import Prophet

    for name in ("cmdstanpy", "prophet"):
        logging.getLogger(name).setLevel(logging.ERROR)
    prices = pd.read_csv(path, parse_dates=["date"])
    key = ["commodity", "market", "price_type", "unit", "currency"]
    for _, group in prices.groupby(key, sort=False):
        frame = group[["date", "price"]].rename(columns={"date": "ds", "price": "y"})
        model = Prophet()
        model.fit(frame)
        model.predict(model.make_future_dataframe(horizon, freq="MS"))


def time_file(path: Path, rounds: int, prophet_rounds: int, folder: Path) -> tuple[dict, float]:
    """Median seconds per command, and the largest difference between engines' forecasts."""
    from scale import max_relative_difference

    runs: dict[str, list[float]] = {name: [] for name in [*COMMANDS, "prophet loop"]}
    outputs = {name: folder / f"{path.stem}-{name.replace(' ', '')}.parquet" for name in COMMANDS}
    names = list(COMMANDS)
    for round_ in range(rounds):
        # A rotating order, as scale.py's: a command that always ran first (or right after
        # a Dask cluster shut down) would meet the machine in the same state every round.
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            extra = COMMANDS[name]
            out = outputs[name]
            command = [*cropcast(), "forecast", "--input", str(path), "--quiet", "-o", str(out)]
            runs[name].append(timed([*command, *extra]))
        if round_ < prophet_rounds:  # minutes a round, and far from the others
            loop = [sys.executable, __file__, "--prophet-loop", str(path)]
            runs["prophet loop"].append(timed(loop))
        print(
            f"  round {round_ + 1}: "
            + ", ".join(f"{name} {s[-1]:.1f} s" for name, s in runs.items() if s),
            file=sys.stderr,
        )
    return runs, max_relative_difference(list(outputs.values()))


def import_floor(rounds: int = 3) -> tuple[float, float]:
    """Median seconds for a fresh interpreter to import ``cli``, and to import what a worker
    needs before its first auto fit (what the fork server preloads)."""
    models = (
        "import importlib; from forecast.models import model_imports; "
        "[importlib.import_module(m) for m in ('forecast.engine', *model_imports('auto'))]"
    )
    cli = statistics.median(timed([sys.executable, "-c", "import cli"]) for _ in range(rounds))
    worker = statistics.median(timed([sys.executable, "-c", models]) for _ in range(rounds))
    return cli, worker


def paired(a: list[float], b: list[float]) -> float:
    """The median over rounds of ``a / b``: commands of one round ran back to back, so their
    ratio holds even when the machine's speed drifts between rounds."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def ceiling(jobs_1: float, floor: float) -> float:
    """About the most two cores can gain when ``floor`` seconds cannot be split and all the
    rest of a ``jobs_1``-second run splits perfectly. An estimate, not a strict bound: the
    main process reads while the workers import, and writing and exit do not split."""
    return jobs_1 / (floor + (jobs_1 - floor) / 2)


# --- profile -------------------------------------------------------------------------------------


def profile(path: Path, folder: Path) -> tuple[float, list[tuple[str, str, float, int]]]:
    """Wall time of a cProfile'd ``--jobs 1`` run, and the cumulative time of ``PROFILED``."""
    import pstats

    stats_file = folder / "forecast.prof"
    out = folder / "profiled.parquet"
    command = [sys.executable, "-m", "cProfile", "-o", str(stats_file), cropcast()[-1]]
    args = ["forecast", "--input", str(path), "--quiet", "-o", str(out), "--jobs", "1"]
    seconds = timed([*command, *args])
    stats = pstats.Stats(str(stats_file)).stats
    rows = []
    for target, words in PROFILED.items():
        file_name, function = target.split(":")
        calls, cumulative = 0, 0.0
        for (filename, _, name), (_, ncalls, _, cum, _) in stats.items():
            if name == function and filename.endswith(os.sep + file_name):
                calls, cumulative = calls + ncalls, cumulative + cum
        if calls:
            rows.append((target, words, cumulative, calls))
    return seconds, rows


# --- report --------------------------------------------------------------------------------------


def section(results: list[dict], rounds: int, notes: list[str], floor: tuple) -> str:
    from scale import cpu_name, versions

    from forecast.engine import default_jobs

    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        HEADING,
        "",
        f"Measured by `python benchmarks/speed.py --rounds {rounds}` on {when}: {cpu_name()}, "
        f"{default_jobs()} cores; {versions()}. Each command is a fresh process timed from "
        "the shell (start-up, imports, reading, cleaning, writing and exit included); rounds "
        "interleave the commands in a rotating order; each command's median is shown, and "
        "speed-up and Dask's distance are the medians of the ratios within each round.",
        "",
        "| file | series | jobs 1 s | jobs 2 s | dask 2 s | Prophet loop s | speed-up 1 → 2 "
        "| ceiling | dask vs jobs 2 | jobs 2 vs Prophet loop | forecasts agree |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        nan = float("nan")  # a command not run (--prophet-rounds 0)
        m = {name: statistics.median(s) if s else nan for name, s in r["runs"].items()}
        speedup = paired(r["runs"]["jobs 1"], r["runs"]["jobs 2"])
        dask = paired(r["runs"]["dask 2"], r["runs"]["jobs 2"]) - 1
        lines.append(
            f"| {r['name']} | {r['about']} | {m['jobs 1']:.1f} | {m['jobs 2']:.1f} "
            f"| {m['dask 2']:.1f} | {m['prophet loop']:.1f} | {speedup:.2f}× "
            f"| {ceiling(m['jobs 1'], sum(floor)):.2f}× "
            f"| {dask:+.0%} | {m['jobs 2'] / m['prophet loop']:.2f}× "
            f"| {'yes' if r['difference'] <= 1e-9 else 'NO'} ({r['difference']:.0e}) |"
        )
    lines += [
        "",
        f"*Ceiling*: a fresh interpreter takes {floor[0]:.2f} s to import `cli` and then "
        f"{floor[1]:.2f} s more to import what a worker needs before its first fit (pandas, "
        "scipy, statsmodels and cropcast's models; median of 3). No worker fits before "
        "that, however early it starts, so even if all the rest split perfectly over two "
        "cores, `--jobs 2` could be about jobs 1 / (floor + (jobs 1 - floor) / 2) times "
        "faster than `--jobs 1` at most (an estimate: reading overlaps the workers' imports, "
        "and writing and exit do not split).",
    ]
    lines += ["", "All rounds (seconds):", ""]
    for r in results:
        for name, seconds in r["runs"].items():
            lines.append(f"- {r['name']}, {name}: " + ", ".join(f"{s:.1f}" for s in seconds))
    for r in results:
        if not r.get("profile"):
            continue
        wall, rows = r["profile"]
        lines += [
            "",
            f"**Where the time goes** ({r['name']} file, `--jobs 1` under cProfile: {wall:.1f} s "
            "wall, profiling overhead included; nested rows are part of the rows above them):",
            "",
            "| function | what it is | seconds | share | calls |",
            "|---|---|---:|---:|---:|",
        ]
        for target, words, cumulative, calls in rows:
            lines.append(
                f"| `{target}` | {words} | {cumulative:.2f} | {cumulative / wall:.0%} | {calls} |"
            )
    lines += ["", *notes, ""]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--prophet-rounds", type=int, default=1, help="Rounds with the loop.")
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--files", default="unseen,embedded", help="unseen,embedded")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--note", action="append", default=[], help="A sentence for the notes.")
    parser.add_argument("--prophet-loop", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--horizon", type=int, default=12, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prophet_loop:
        prophet_loop(args.prophet_loop, args.horizon)
        return
    notes = list(args.note)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in args.files.split(","):
            path = unseen_file(folder, args.series) if name == "unseen" else None
            if name == "embedded":
                path = embedded_file(folder, args.series)
            if path is None:
                notes.append(f"The {name} file was skipped: {SHARED_LKA} is not here.")
                continue
            print(f"{name}: {describe(path)}", file=sys.stderr)
            runs, difference = time_file(path, args.rounds, args.prophet_rounds, folder)
            results.append(
                {
                    "name": name,
                    "about": describe(path),
                    "runs": runs,
                    "difference": difference,
                    "profile": profile(path, folder),
                }
            )
    text = section(results, args.rounds, notes, import_floor())
    print(text)
    if not args.no_write:
        from scale import write_section

        write_section(args.results, text, HEADING)
        print(f"wrote the {HEADING!r} section of {args.results}", file=sys.stderr)


if __name__ == "__main__":
    main()
