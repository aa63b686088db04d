"""Reading and cleaning a national file: where the time goes, step by step.

    python benchmarks/cleaning.py                          # rewrites ## Cleaning a national file
    python benchmarks/cleaning.py --against a0badf2        # and times that commit beside it
    python benchmarks/cleaning.py --copies 5 --no-write    # a quick look; RESULTS.md untouched

A national system's file has about a million rows and 40,000 series, and cleaning one is the
first thing every command does with it. Such a file is made here from the Sri Lanka WFP file
in ``../shared/data`` (30,000 rows, 1,442 series): ``--copies`` copies of it, each copy's
markets renamed ("Colombo 7") and its prices moved by 2 % multiplicative noise, so the copies
are distinct series that still look like real ones (gaps, traps and all). Without
``../shared`` the script says so and stops.

Each round reads and cleans the file in a fresh process, as a command does, and a listener
(``forecast.progress``) times each step. With ``--against REV``, the same rounds run
interleaved on that commit (checked out into a temporary git worktree), each step's median
side by side, and the script checks that both clean the file to the same table and report.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy  # noqa: E402  (machine description and RESULTS.md sections are shared)

ROOT = accuracy.ROOT
HEADING = "## Cleaning a national file"
SRI_LANKA = ROOT.parent / "shared" / "data" / "wfp" / "wfp_food_prices_lka.csv"
NOISE = 0.02

# Run in a fresh process with the tree to time first on sys.path: reads and cleans the file,
# and prints each step's seconds and a digest of what came out, as JSON.
CHILD = """
import hashlib, json, sys, time
import forecast
assert forecast.__file__.startswith(sys.argv[2]), (forecast.__file__, sys.argv[2])
from forecast.progress import listening
from forecast.datasets import load_input
steps, last = {}, [time.perf_counter(), ""]
def hear(what):
    now = time.perf_counter()
    if last[1]:  # "cleaning national.csv: outliers (13 of 15)" is "outliers"
        name = last[1].split(": ", 1)[-1].split(" (")[0]
        name = "reading" if name.startswith("reading ") else name
        steps[name] = steps.get(name, 0.0) + now - last[0]
    last[:] = [now, what]
start = time.perf_counter()
with listening(hear):
    prices, result = load_input(sys.argv[1])
hear("")
digest = hashlib.sha256()
digest.update(prices.to_csv(index=False).encode())
digest.update(repr(result.report).encode())
print(json.dumps({"steps": steps, "total": time.perf_counter() - start,
                  "rows": len(prices), "digest": digest.hexdigest()}))
"""


def national_file(copies: int, folder: Path) -> Path:
    """``copies`` copies of the Sri Lanka file, markets renamed and prices moved by noise."""
    import numpy as np
    import pandas as pd

    header = pd.read_csv(SRI_LANKA, nrows=1)  # WFP's HXL tag row stays, as WFP writes it
    source = pd.read_csv(SRI_LANKA, skiprows=[1], low_memory=False)
    rng = np.random.default_rng(7)
    parts = []
    for k in range(copies):
        part = source.copy()
        part["market"] = part["market"] + f" {k}"
        part["price"] = (part["price"] * np.exp(rng.normal(0, NOISE, len(part)))).round(2)
        parts.append(part)
    path = folder / "national.csv"
    pd.concat([header, *parts]).to_csv(path, index=False)
    return path


def time_once(tree: Path, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}  # before an installed cropcast
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(tree)],
        env=env,
        cwd=tree,  # "-c" puts the working directory first on sys.path
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"cleaning failed in {tree}:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", metavar="REV", help="a commit to time beside this tree")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if not SRI_LANKA.is_file():
        print(f"{SRI_LANKA} not found: this benchmark needs ../shared/data beside the checkout")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        trees = {"this tree": ROOT}
        git = ["git", "-C", str(ROOT), "worktree"]
        if args.against:
            old = folder / "against"
            subprocess.run([*git, "add", "-q", "--detach", str(old), args.against], check=True)
            trees[args.against] = old
        try:
            path = national_file(args.copies, folder)
            runs: dict[str, list[dict]] = {name: [] for name in trees}
            for round_ in range(args.rounds):
                order = list(trees) if round_ % 2 == 0 else list(trees)[::-1]
                for name in order:
                    runs[name].append(time_once(trees[name], path))
                    took = runs[name][-1]["total"]
                    print(f"round {round_ + 1}, {name}: {took:.1f} s", flush=True)
        finally:
            if args.against:
                subprocess.run([*git, "remove", "--force", str(old)], check=False)
    text = report(args, runs)
    print(text)
    if not args.no_write:
        accuracy.write_section(args.results, text, HEADING)
    return 0


def report(args, runs: dict[str, list[dict]]) -> str:
    names = list(runs)
    first = runs[names[0]][0]
    steps = list(first["steps"])
    for name in names[1:]:
        steps += [s for s in runs[name][0]["steps"] if s not in steps]

    def median(name: str, step: str | None) -> float:
        if step is None:
            return statistics.median(r["total"] for r in runs[name])
        return statistics.median(r["steps"].get(step, 0.0) for r in runs[name])

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = f"python benchmarks/cleaning.py --copies {args.copies} --rounds {args.rounds}"
    if args.against:
        command += f" --against {args.against}"
    lines = [
        HEADING,
        "",
        f"Run {stamp} on {accuracy.machine()}. Command: `{command}` (each round a fresh "
        "process; rounds interleaved, median shown).",
        "",
        f"The file: {args.copies} copies of the Sri Lanka WFP file, markets renamed and prices "
        f"moved by {NOISE:.0%} noise: {first['rows']:,} rows once cleaned. Seconds per step "
        "of `load_input`, as the status line names them.",
        "",
        "| step | "
        + " | ".join(f"{n} s" for n in names)
        + (" | ratio |" if len(names) > 1 else " |"),
        "|---|" + "---:|" * len(names) + ("---:|" if len(names) > 1 else ""),
    ]
    for step in [*steps, None]:
        values = [median(n, step) for n in names]
        label = "**total**" if step is None else step
        cells = " | ".join(f"{v:.2f}" for v in values)
        ratio = f" | {values[1] / values[0]:.2f}×" if len(names) > 1 and values[0] else ""
        if len(names) > 1 and not values[0]:
            ratio = " | –"
        lines.append(f"| {label} | {cells}{ratio} |")
    if len(names) > 1:
        same = len({r["digest"] for n in names for r in runs[n]}) == 1
        lines += [
            "",
            f"Ratio: {names[1]}'s seconds over this tree's. Both clean the file to the same "
            f"table and report (SHA-256 of the table's CSV and the report): "
            f"{'yes' if same else 'NO'}.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
