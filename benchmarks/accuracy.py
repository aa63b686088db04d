"""Accuracy of ``auto`` and every cropcast model against the common peers, on held-out real prices.

    python benchmarks/accuracy.py                     # the full run; rewrites ## Accuracy
    python benchmarks/accuracy.py --origins 3         # also the two years before (more points)
    python benchmarks/accuracy.py --models auto,naive,ets --no-write   # a quick look
    python benchmarks/accuracy.py --design            # auto on the design set (prints only)

Run it with the dev venv (pandas 3). The statsforecast peers need pandas < 3, so the script
calls itself in a second interpreter, ``--sf-python`` (default ``/root/sfvenv/bin/python``,
or ``$CROPCAST_SF_PYTHON``), as ``accuracy.py peers IN.csv OUT.csv``: that mode imports only
pandas, numpy and statsforecast, reads the training parts and writes the peers' forecasts,
which the main run merges. Without that interpreter the statsforecast rows are left out and
the report says so.

Protocol
--------
* Data: the embedded ``data/prices.csv`` (``forecast.datasets.load_default_prices``); every
  monthly series with at least 72 observed prices (six years).
* Held out: the last 12 months of each series. Every method is fitted on the months before
  and forecasts 12; nothing fitted, selected or calibrated sees the held-out months (auto's
  backtest windows all end at the last training month). ``--origins N`` repeats this with the
  held-out year moved back 12 and 24 ... months (training cut before it); the target table
  is origin 0, the others are reported apart as a robustness check.
* Methods: ``auto`` and each single cropcast model, all at their defaults; peers: seasonal
  naive and naive (cropcast's, identical point forecasts to statsforecast's), Prophet with
  default settings on raw prices (``ProphetDefault``) and statsforecast's AutoETS, AutoARIMA,
  AutoTheta (season_length=12, raw prices, gaps linearly interpolated since statsforecast
  takes no NaN) and their mean, SF-combo (bounds: the mean of the three models' bounds).
* Metrics (``forecast.metrics``): MASE with the seasonal (m = 12) in-sample scale of the
  training part, sMAPE (0-200), the geometric mean over series of MAE relative to naive, and
  the share of held-out prices inside the 80 % and 95 % intervals (pooled over all points).
  Time is the wall time of fit + predict per series, summed over series (two series run at
  once, one per core; statsforecast's per-model time includes its share of numba compiling
  after a warm-up).
* Targets (from the issue): auto's mean MASE and mean sMAPE at least 5 % below the best peer
  (SF-combo or AutoETS alone, whichever is better on that metric), and below naive; 80 %
  intervals covering 75-85 %, 95 % covering 90-98 %.

``--design [DIR]`` runs auto and naive against the peers on the series auto was designed on
(:func:`design_prices`, built from the publishers' files in ``DIR``, default
``../shared/data``), at three origins; it prints and writes nothing.

The ``## Accuracy`` section of ``benchmarks/RESULTS.md`` is replaced (the file is created
when missing); other sections are left as they are.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADING = "## Accuracy"
UNSEEN_HEADING = "## Accuracy on unseen series"
H = 12
LEVELS = (80, 95)
MIN_PRICES = 72
CROPCAST_MODELS = (
    "auto",
    "naive",
    "snaive",
    "drift",
    "window",
    "ets",
    "theta",
    "arima",
    "gbm",
    "prophet",
)
PEERS_CROPCAST = {"prophet_default": "forecast.models.prophet:ProphetDefault"}
SF_MODELS = ("AutoETS", "AutoARIMA", "AutoTheta")
SF_PYTHON = os.environ.get("CROPCAST_SF_PYTHON", "/root/sfvenv/bin/python")
BOUNDS = [f"{side}_{level}" for level in LEVELS for side in ("lower", "upper")]


# --- the statsforecast peers (runs in the pandas-2 interpreter; no cropcast import) -------------


def run_peers(train_csv: str, out_csv: str) -> None:
    """Fit AutoETS, AutoARIMA and AutoTheta on every ``unique_id`` and write their forecasts."""
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    train = pd.read_csv(train_csv, parse_dates=["ds"])
    makers = {"AutoETS": AutoETS, "AutoARIMA": AutoARIMA, "AutoTheta": AutoTheta}
    # Warm-up on a toy series so numba's compile time is not billed to the first model.
    toy = train[train["unique_id"] == train["unique_id"].iloc[0]].tail(48)
    for make in makers.values():
        StatsForecast(models=[make(season_length=12)], freq="MS").forecast(df=toy, h=2)
    frames = []
    for name, make in makers.items():
        start = time.perf_counter()
        sf = StatsForecast(models=[make(season_length=12)], freq="MS", n_jobs=2)
        fc = sf.forecast(df=train, h=H, level=list(LEVELS))
        seconds = time.perf_counter() - start
        fc = fc.reset_index() if "unique_id" not in fc.columns else fc
        out = pd.DataFrame({"unique_id": fc["unique_id"], "ds": fc["ds"], "model": name})
        out["forecast"] = fc[name].to_numpy()
        for level in LEVELS:
            out[f"lower_{level}"] = fc[f"{name}-lo-{level}"].to_numpy()
            out[f"upper_{level}"] = fc[f"{name}-hi-{level}"].to_numpy()
        out["seconds"] = seconds / train["unique_id"].nunique()
        frames.append(out)
    pd.concat(frames).to_csv(out_csv, index=False)


# --- cropcast models (dev venv) ------------------------------------------------------------------


def held_out_tasks(prices, n_origins: int):
    """``(key, origin, y_train, y_test)`` for each monthly series with >= 72 prices."""
    from forecast.table import iter_series

    tasks = []
    for key, y in iter_series(prices):
        if not (y.index.freqstr or "").startswith("MS"):
            continue
        for origin in range(n_origins):
            end = len(y) - origin * H
            train, test = y.iloc[: end - H], y.iloc[end - H : end]
            if int(y.iloc[:end].notna().sum()) < MIN_PRICES or test.notna().sum() == 0:
                continue
            tasks.append((key, origin, train, test))
    return tasks


def make(name: str, inflation: float | None = None):
    import importlib

    from forecast.models import make_model

    if name in PEERS_CROPCAST:
        module, cls = PEERS_CROPCAST[name].split(":")
        return getattr(importlib.import_module(module), cls)()
    if name == "auto":  # as `cropcast forecast` runs it: its currency's inflation known
        return make_model(name, currency_inflation=inflation)
    return make_model(name)


#: Models already run once in this process: the first fit pays for imports (statsmodels,
#: Prophet, scikit-learn), which a timing per series should not.
_WARM: set[str] = set()


def fit_all(task, models: tuple[str, ...], inflation: float | None = None):
    """Every cropcast method on one held-out task: long rows and per-method seconds.
    ``inflation``: the currency's (``forecast.auto.currency_inflation``) before the cutoff."""
    import numpy as np
    import pandas as pd

    key, origin, train, test = task
    frames = []
    for name in models:
        if name not in _WARM:
            _WARM.add(name)
            with warnings.catch_warnings(), contextlib.suppress(Exception):
                warnings.simplefilter("ignore")
                make(name).fit(train.iloc[-48:]).predict(2)
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frame = make(name, inflation).fit(train).predict(H, levels=LEVELS)
            error = ""
        except Exception as exc:  # a failed method is a row in the table, not a dead run
            frame = pd.DataFrame(np.nan, index=test.index, columns=["forecast", *BOUNDS])
            error = f"{type(exc).__name__}: {exc}"
        frame = frame.reset_index(drop=True)
        frame["seconds"] = time.perf_counter() - start
        frame["model"], frame["error"] = name, error
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["date"] = np.tile(test.index.to_numpy(), len(models))
    out["actual"] = np.tile(test.to_numpy(dtype=float), len(models))
    out["cutoff"], out["origin"], out["step"] = (
        train.index[-1],
        origin,
        np.tile(np.arange(1, H + 1), len(models)),
    )
    for column, value in zip(
        ("commodity", "market", "price_type", "unit", "currency"), key, strict=True
    ):
        out[column] = value
    return out


def _job(item):
    task, models, inflation = item
    return fit_all(task, models, inflation)


def inflation_before(prices, tasks) -> list[float | None]:
    """Per task: its currency's inflation as the file showed it up to the task's cutoff
    (every series of the file cut there), as ``cropcast forecast`` would have seen it."""
    from forecast.auto import currency_inflation
    from forecast.table import KEY

    cache: dict = {}
    out = []
    for key, _, train, _ in tasks:
        end = train.index[-1]
        if end not in cache:
            cache[end] = currency_inflation(prices[prices["date"] <= end])
        out.append(cache[end].get(key[KEY.index("currency")]))
    return out


def peers_table(tasks, sf_python: str):
    """statsforecast forecasts for every task, via the pandas-2 interpreter (or None)."""
    import numpy as np
    import pandas as pd

    if not Path(sf_python).is_file():
        return None, f"statsforecast peers skipped: {sf_python} not found"
    rows, ids = [], {}
    for i, (key, origin, train, test) in enumerate(tasks):
        # statsforecast takes no NaN: gaps are linearly interpolated (raw prices).
        filled = train.interpolate(limit_area="inside").dropna()
        ids[str(i)] = (key, origin, train, test)
        rows.append(pd.DataFrame({"unique_id": str(i), "ds": filled.index, "y": filled.to_numpy()}))
    with tempfile.TemporaryDirectory() as tmp:
        train_csv, out_csv = Path(tmp) / "train.csv", Path(tmp) / "peers.csv"
        pd.concat(rows).to_csv(train_csv, index=False)
        done = subprocess.run(
            [sf_python, __file__, "peers", str(train_csv), str(out_csv)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            tail = done.stderr.strip().splitlines()[-3:]
            return None, "statsforecast peers failed: " + " | ".join(tail)
        sf = pd.read_csv(out_csv, dtype={"unique_id": str}, parse_dates=["ds"])
    combo = sf.groupby(["unique_id", "ds"], as_index=False)[["forecast", *BOUNDS, "seconds"]]
    combo = combo.agg({"forecast": "mean", **{b: "mean" for b in BOUNDS}, "seconds": "sum"})
    combo["model"] = "SF-combo"
    sf = pd.concat([sf, combo], ignore_index=True)
    sf["model"] = sf["model"].replace({m: f"SF-{m}" for m in SF_MODELS})
    frames = []
    for uid, group in sf.groupby("unique_id"):
        key, origin, train, test = ids[uid]
        for _, g in group.groupby("model"):
            g = g.sort_values("ds").reset_index(drop=True)
            out = g[["forecast", *BOUNDS, "seconds", "model"]].copy()
            out["error"] = ""
            out["date"], out["actual"] = test.index.to_numpy(), test.to_numpy(dtype=float)
            out["cutoff"], out["origin"], out["step"] = train.index[-1], origin, np.arange(1, H + 1)
            for column, value in zip(
                ("commodity", "market", "price_type", "unit", "currency"), key, strict=True
            ):
                out[column] = value
            frames.append(out)
    return pd.concat(frames, ignore_index=True), ""


# --- scoring and report --------------------------------------------------------------------------


def summarise(table, history):
    """One row per model: the report's columns."""
    import numpy as np

    from forecast.metrics import relative_mae_geomean, score
    from forecast.table import KEY

    per_series = score(table, ("mase", "smape", "mae"), history=history, by=(*KEY, "model"))
    pooled = score(table, ("coverage",), history=history, by=("model",)).set_index("model")
    seconds = table.drop_duplicates([*KEY, "model"]).groupby("model")["seconds"].sum()
    out = per_series.groupby("model").agg(
        series=("mase", "size"),
        mase_mean=("mase", "mean"),
        mase_median=("mase", "median"),
        smape_mean=("smape", "mean"),
    )
    out["rel_mae"] = relative_mae_geomean(per_series, baseline="naive")
    out["coverage_80"] = pooled["coverage_80"]
    out["coverage_95"] = pooled["coverage_95"]
    out["failed"] = table.groupby("model")["error"].apply(lambda e: (e != "").sum() // H)
    out["seconds"] = seconds
    out["per_series_s"] = seconds / out["series"]
    return out.replace([np.inf, -np.inf], np.nan).sort_values("mase_mean"), per_series


def verdict(summary) -> tuple[list[str], dict]:
    """The target checks, as text lines, and the ratios."""
    lines, ratios = [], {}
    if "auto" not in summary.index:
        return ["auto was not run."], ratios
    auto = summary.loc["auto"]
    peers = [p for p in ("SF-combo", "SF-AutoETS") if p in summary.index]
    for metric, label in (("mase_mean", "mean MASE"), ("smape_mean", "mean sMAPE")):
        if peers:
            best = min(peers, key=lambda p: summary.loc[p, metric])
            ratio = auto[metric] / summary.loc[best, metric] - 1
            ratios[f"{metric}_vs_best_peer"] = ratio
            ok = "met" if ratio <= -0.05 else "NOT met"
            lines.append(
                f"- auto vs best peer ({best}) on {label}: {100 * ratio:+.1f} % "
                f"(target <= -5 %: {ok})"
            )
        naive_ratio = auto[metric] / summary.loc["naive", metric] - 1
        ratios[f"{metric}_vs_naive"] = naive_ratio
        lines.append(
            f"- auto vs naive on {label}: {100 * naive_ratio:+.1f} % "
            f"(target < 0: {'met' if naive_ratio < 0 else 'NOT met'})"
        )
    for level, (lo, hi) in ((80, (0.75, 0.85)), (95, (0.90, 0.98))):
        cov = auto[f"coverage_{level}"]
        lines.append(
            f"- auto {level} % intervals cover {100 * cov:.1f} % "
            f"(target {100 * lo:.0f}-{100 * hi:.0f} %: {'met' if lo <= cov <= hi else 'NOT met'})"
        )
    if not peers:
        lines.append("- statsforecast peers missing: the best-peer target could not be checked.")
    return lines, ratios


def markdown_table(summary) -> str:
    header = (
        "| method | series | mean MASE | median MASE | mean sMAPE | rel. MAE (naive = 1) | "
        "cover 80 % | cover 95 % | failed | s / series |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    rows = [header]
    for model, r in summary.iterrows():
        name = f"**{model}**" if model == "auto" else model
        rows.append(
            f"| {name} | {int(r['series'])} | {r['mase_mean']:.3f} | {r['mase_median']:.3f} | "
            f"{r['smape_mean']:.2f} | {r['rel_mae']:.3f} | {100 * r['coverage_80']:.1f} | "
            f"{100 * r['coverage_95']:.1f} | {int(r['failed'])} | {r['per_series_s']:.2f} |"
        )
    return "\n".join(rows)


def machine() -> str:
    import pandas as pd
    import statsmodels

    return (
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"pandas {pd.__version__}, statsmodels {statsmodels.__version__}"
    )


def write_section(path: Path, text: str, heading: str = HEADING) -> None:
    """Replace the ``heading`` section of ``path`` (up to the next ``## ``), or add it."""
    lines = (
        path.read_text(encoding="utf-8").splitlines() if path.is_file() else ["# Benchmarks", ""]
    )
    new = text.rstrip("\n").splitlines()
    if heading in lines:
        start = lines.index(heading)
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        lines[start:end] = [*new, ""]
    else:
        if lines and lines[-1].strip():
            lines.append("")
        lines.extend([*new, ""])
    path.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


# --- the design set ----------------------------------------------------------------------------


def design_prices(shared: Path):
    """The series auto was designed on: none of the benchmark's held-out months.

    Pink Sheet and Sri Lanka series *not* in the default data (read and cleaned as a user
    would), plus the default data's own series, every one cut 12 months before its end so
    that no design origin reaches the benchmark's held-out year.
    """
    import pandas as pd

    from forecast.datasets import load_default_prices
    from forecast.table import KEY, validate

    table = pd.concat([outside_prices(shared), load_default_prices()], ignore_index=True)
    last = table.groupby(list(KEY))["date"].transform("max")
    table = table[table["date"] <= last - pd.DateOffset(months=H)]
    return validate(table, freq="monthly")


def outside_prices(shared: Path):
    """The Pink Sheet and Sri Lanka series *not* in the default data, whole, read and
    cleaned as a user would. Their last 12 months are the unseen year of ``--unseen``: the
    design set stopped 12 months before each series' end."""
    import pandas as pd

    from forecast.clean import CleanOptions, clean
    from forecast.datasets import PINK_SHEET_SERIES
    from forecast.io import read_prices
    from forecast.table import validate

    pink = clean(
        read_prices(shared / "worldbank" / "CMO-Historical-Data-Monthly.xlsx"),
        CleanOptions(freq="monthly"),
    ).prices
    pink = pink[~pink["commodity"].str.strip().isin({n.strip() for n in PINK_SHEET_SERIES})]
    lka = clean(
        read_prices(shared / "wfp" / "wfp_food_prices_lka.csv"), CleanOptions(freq="monthly")
    ).prices
    # Rice and coconut in any Sri Lankan market: the default data's commodities there.
    lka = lka[~lka["commodity"].isin(("Rice (white)", "Rice (red nadu)", "Coconut"))]
    return validate(pd.concat([pink, lka], ignore_index=True), freq="monthly")


#: What --unseen measures, under its table.
UNSEEN_NOTES = """\
### Reading these numbers

These are the series auto was designed on (see "How auto's settings were chosen" under
Accuracy), but not their last 12 months: the design set stopped a year before each series'
end, so this year is as unseen as the benchmark's held-out year, on about three times as many
series, about half of them energy, metals and fertilisers rather than crops. The cropcast
rows and the statsforecast rows forecast the same months from the same prices (statsforecast's
with their gaps filled in a line, as it takes none)."""

#: How auto's settings were chosen; measured with --design and offline simulations on the
#: design set (see design_prices), never on the benchmark's held-out months.
DESIGN_NOTES = """\
### Reading these numbers

A score on one held-out year of about twenty series is a small sample, and its errors are
correlated (world rice, palm and coconut oil prices move together). On the design set below,
auto's margin over the best peer was about 1 % in mean MASE and nil in mean sMAPE; read a
larger margin on one held-out year as partly that year's luck, and the pooled years as the
steadier guide. On a larger unseen year (65 series outside the default data, "Accuracy on
unseen series" below) auto was level with SF-AutoETS and 1 % ahead of the last price.
Intervals are calibrated on the price moves of the last 20 years, so in a year calmer than
usual they hold more than they claim, and in a shock year less; pooled over years and over
the design set they cover close to 80 % and 95 %.

### How auto's settings were chosen

On a **design set**, never on the held-out months above: about 80 series, 62 of them World Bank
Pink Sheet series not in the default data (energy, metals, fertilisers, food, beverages), 2 Sri
Lanka wheat-flour series and the default data's own series, every one cut 12 months before its
end; forecasts from three origins (12, 24 and 36 months before the cut), about 240 held-out
years (`python benchmarks/accuracy.py --design` reruns the final comparison). Each candidate's
forecasts were cached at every cutoff auto's rules could need, and about 800 rule sets were
simulated from the cache: candidate pools from {naive, seasonal naive, drift, window mean, ETS
with and without seasonal specifications, Theta, ARIMA(1,1,0)}; 1 to 12 windows, step 1 to 6;
top 1 to all; inverse-MASE weights (shrink 0 to 1), mean, median; intervals from the
combination's own backtest errors (pooled with a fitted power-law spread or sqrt(step)) or from
last-price errors (the method kept; 5 to 40 years of cutoffs; ratio shrink 0 to 1).

What we found:

- Every sensible pool lands within about 2 % of naive on mean MASE; the best of the ~800 (an
  optimistic pick) was 3 % below naive and 2.7 % below SF-combo (sMAPE 1.5 % below). Mean MASE
  is dominated by a few big moves (2021-22 energy and fertiliser prices, 2024 cocoa) that no
  model saw coming; median MASE separates models more (auto 0.94, naive and SF-combo 0.99).
- Seasonal naive in a pool whose members are always kept cost about 10 % (on these prices it
  wins a backtest window by luck now and then), drift about 1 %: both kept out.
- More windows changed mean MASE by less than 0.5 % (the three candidates are always all kept,
  so windows only move the weights) while each adds about 0.17 s per series: one window.
- ETS with seasonal specifications instead of without: 0.1 % better, twice the time. Fitting on
  the last 20 years only (for speed) cost ETS 1.5 to 2 %: the full history is used.
- Intervals from the combination's own few backtest windows covered 71-78 % (80 %) and 82-89 %
  (95 %): too few, too recent and flattering errors. Last-price errors at every cutoff of the
  last 20 years, scaled by the square root of the combination's error ratio: 79 % and 95 %.
- After the held-out year above was run (its intervals held 87 % and 99 %), one more interval
  method was tried, on the design set only: each last-price error divided by the price's
  recent volatility (root mean square monthly log change over the 12, 24, 36 or 60 months
  before its cutoff, plain or mixed half and half with the 20-year one, or exponentially
  weighted with a half-life of 6 to 24 months), and the quantile multiplied back by today's.
  Coverage by origin year evened out (74-82 % at 80 % became 78-83 %), but the interval
  (Winkler) score, which rewards narrow ranges that still hold the price, got worse at 95 %
  in every variant (+9 % to +55 %) and moved -3 % to +7 % at 80 %. The method was kept.
  (Offline simulation from the design cache, where the kept method covers 77.7 % and 93.6 %.)
- The implemented auto on the design set (`--design`, 240 held-out years): mean MASE 1.548 vs
  SF-combo 1.561 (-0.8 %), naive 1.569 (-1.3 %), AutoETS 1.572 (-1.5 %); mean sMAPE 14.00 vs
  13.96 (+0.3 %), 14.12 (-0.8 %), 14.12 (-0.8 %); coverage 79.0 % and 95.0 %; 0.26 s per series.
  So the 5 % margin over the best peer was out of reach on the design set with these building
  blocks, before the benchmark above was run.
- ETS's damped trend may damp down to 0.5 since 2026-11-30 (statsmodels' floor is 0.8). Every
  damped fit of the default data's series sat on 0.8, where a trend goes on four times its
  last step: a review found a price that doubled in its last month forecast at 5.4 times that
  price a year on (ETS alone; auto 1.9 times). Chosen on the design set only: ETS's mean MASE
  1.574 -> 1.555 and sMAPE 14.17 -> 13.89; auto 1.548 -> 1.548 and 14.00 -> 13.99, coverage
  79.0 / 95.0 -> 79.5 / 95.3 %; a floor of 0.3 did no better (1.554, 13.89) and fitted slower.
  The table above was run after that choice.
- Two more building blocks were tried after the unseen year below was first run, and not built
  (offline experiments; their scripts were not kept). *A global model* (2026-12-03): one ridge
  regression (or gradient boosting) over every series of the file, fitted per cutoff on the
  rows whose target month is at or before it, forecasting the log change 1-12 months on from
  recent returns, the price against its 12- and 36-month means, its volatility, the month and
  the mean return of all series. Chosen on the design set (ridge, target scaled by the series'
  volatility: mean MASE 1.500 vs auto's 1.548, sMAPE 13.50 vs 13.99, most of it from the
  all-series returns and from the 2022-23 origins alone), it was then run once on the unseen
  year: 1.281 / 11.50 against auto's 1.249 / 11.09 and naive's 1.262 / 11.20. Three shared
  years are too few to trust a bet that all commodities keep moving together. *A market's gap
  to its commodity's other markets* (Sri Lanka, cutoffs 2023-12 to 2024-12): prices do move
  back towards the median of the other markets (fitted slope 0.4-0.6 at 1-12 months), but a
  fixed 0.3 of the gap cut the last price's mean absolute error by only 2-3.5 %, and needs
  many markets a commodity.

Disclosure: before auto's design was settled, one plumbing run of this script (naive, seasonal
naive, drift and the statsforecast peers; auto not run) printed the peers' numbers on these
held-out months. No auto setting was chosen from it; every choice above rests on the design set.
"""


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["peers"]:
        run_peers(argv[1], argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=None, help="comma-separated cropcast models")
    parser.add_argument("--origins", type=int, default=1, help="held-out years per series")
    parser.add_argument("--sf-python", default=SF_PYTHON)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--save", type=Path, help="also write the long forecast table (CSV)")
    parser.add_argument("--prices", type=Path, help="a PriceTable file instead of data/prices.csv")
    parser.add_argument(
        "--design",
        type=Path,
        nargs="?",
        const=ROOT.parent / "shared" / "data",
        default=None,
        help="run on the design set built from this folder of publisher files (prints only)",
    )
    parser.add_argument(
        "--unseen",
        type=Path,
        nargs="?",
        const=ROOT.parent / "shared" / "data",
        default=None,
        help="run on the last year of the series outside the default data, from this folder "
        "of publisher files: a year neither the design set nor the default data holds",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    import pandas as pd

    from forecast.datasets import load_default_prices, read_price_table
    from forecast.engine import run_jobs
    from forecast.table import KEY, iter_series

    heading = HEADING
    if args.design:
        prices, origins, write = design_prices(args.design), 3, False
        default_models = "auto,naive"
    elif args.unseen:
        prices, origins, write = outside_prices(args.unseen), 1, not args.no_write
        default_models = "auto,naive,snaive,ets,theta"
        heading = UNSEEN_HEADING
    else:
        prices = read_price_table(args.prices) if args.prices else load_default_prices()
        origins, write = args.origins, not args.no_write
        default_models = ",".join([*CROPCAST_MODELS, *PEERS_CROPCAST])
    models = tuple(m.strip() for m in (args.models or default_models).split(",") if m.strip())
    history = dict(iter_series(prices))
    tasks = held_out_tasks(prices, origins)
    print(f"{len({t[0] for t in tasks})} series, {len(tasks)} held-out years", flush=True)

    start = time.perf_counter()
    rates = inflation_before(prices, tasks)
    jobs = [(t, models, rate) for t, rate in zip(tasks, rates, strict=True)]
    frames = list(run_jobs(_job, jobs, n_jobs=args.jobs))
    cropcast_seconds = time.perf_counter() - start
    start = time.perf_counter()
    sf, sf_note = peers_table(tasks, args.sf_python)
    sf_seconds = time.perf_counter() - start
    table = pd.concat([*frames, *([sf] if sf is not None else [])], ignore_index=True)
    table = table.sort_values([*KEY, "origin", "model", "step"]).reset_index(drop=True)
    if args.save:
        table.to_csv(args.save, index=False)

    summaries = {
        o: summarise(table[table["origin"] == o], history)[0]
        for o in sorted(table["origin"].unique())
    }
    summary = summaries[0]
    lines, _ = verdict(summary)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = "python benchmarks/accuracy.py" + (
        " --design"
        if args.design
        else " --unseen"
        if args.unseen
        else f" --origins {origins}"
        if origins > 1
        else ""
    )
    where = (
        "design-set series (see design_prices)"
        if args.design
        else "Pink Sheet and WFP Sri Lanka series outside the default data (see outside_prices)"
        if args.unseen
        else "monthly series of `data/prices.csv`"
    )
    n_series = int(summary["series"].max())
    text = [
        heading,
        "",
        f"Run {stamp} on {machine()}. Command: `{command}` (statsforecast peers in "
        f"`{args.sf_python}`, pandas 2). Cropcast models ran in {cropcast_seconds:.0f} s on 2 "
        f"processes, statsforecast in {sf_seconds:.0f} s.{' ' + sf_note if sf_note else ''}",
        "",
        f"**Data.** The {n_series} {where} with at least {MIN_PRICES} prices"
        + (
            ""
            if args.unseen
            else " (WFP Thailand, Viet Nam and Sri Lanka markets; World Bank Pink Sheet world "
            "prices)"
        )
        + f". Each is fitted on all but its last {H} months and forecasts "
        f"those {H} months, which no method, and nothing in auto's selection or calibration, "
        f"saw. MASE uses the seasonal (m = 12) in-sample scale of the training part; rel. MAE "
        f"is the geometric mean over series of MAE / naive's MAE; coverage is pooled over all "
        f"held-out prices; s / series is the wall time of fit + predict (two series at once).",
        "",
        markdown_table(summary),
        "",
        "**Targets.**",
        "",
        *lines,
    ]
    if len(summaries) > 1:
        # One pseudo-series per (series, origin), so every held-out year counts once.
        pooled = table.assign(market=table["market"] + " @" + table["origin"].astype(str))
        hist = {
            (k[0], f"{k[1]} @{o}", *k[2:]): y for k, y in history.items() for o in range(origins)
        }
        all_summary, _ = summarise(pooled, hist)
        all_lines, _ = verdict(all_summary)
        text += [
            "",
            f"**Robustness: {origins} held-out years per series pooled** (the last year, and "
            f"the years ending 12, 24 ... months before it, each fitted only on the months "
            f"before it; {int(all_summary['series'].max())} held-out years).",
            "",
            markdown_table(all_summary),
            "",
            *all_lines,
        ]
    if args.unseen:
        text += ["", UNSEEN_NOTES]
    elif not args.design:
        text += ["", DESIGN_NOTES]
    report = "\n".join(text) + "\n"
    print(report)
    if write:
        write_section(args.results, report, heading)
        print(f"wrote the {heading} section of {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
