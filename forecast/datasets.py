"""The embedded default dataset: where it lives, how to load it, how it is rebuilt.

``data/prices.csv`` is a PriceTable written by cropcast's own importers and cleaning from the
publishers' files (see ``data/README.md``). In a checkout it sits beside ``forecast/``; in an
installed copy it is the package ``cropcast_data`` (pyproject maps ``data/`` to that name).
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import CropcastError, InputError
from forecast.io.files import THOUSANDS_LIKE
from forecast.table import COLUMNS, KEY, validate

DEFAULT_PRICES = "prices.csv"


def data_dir() -> Path:
    """The folder holding the embedded data (checkout first, then the installed package)."""
    checkout = Path(__file__).resolve().parents[1] / "data"
    if (checkout / DEFAULT_PRICES).is_file():
        return checkout
    try:
        installed = Path(str(importlib.resources.files("cropcast_data")))
    except ModuleNotFoundError:
        installed = None
    if installed is not None and (installed / DEFAULT_PRICES).is_file():
        return installed
    raise InputError(
        "the embedded default data (data/prices.csv) is missing",
        str(checkout),
        "Reinstall cropcast, or rebuild it with: python -m forecast.datasets build",
    )


def read_price_table(path: str | Path) -> pd.DataFrame:
    """Read a file already in PriceTable format (CSV or Parquet) and validate it."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(
            path,
            dtype={c: str for c in KEY} | {"flags": str},
            keep_default_na=False,
            encoding="utf-8",
        )
    frame["date"] = pd.to_datetime(frame["date"])
    frame["price"] = frame["price"].astype(float)
    frame["flags"] = frame["flags"].fillna("").astype(str)
    return validate(frame)


def write_price_table(prices: pd.DataFrame, path: str | Path, where: str | None = None) -> None:
    """Write a PriceTable as CSV (UTF-8, ISO dates) or Parquet, chosen by extension, whole
    or not at all (see :mod:`forecast.io.replace`; ``where`` names the option for errors)."""
    from forecast.io.replace import replaced

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = validate(prices)[list(COLUMNS)]
    with replaced(path, where) as temporary:
        _write_table(frame, temporary, parquet=path.suffix.lower() == ".parquet")


def _write_table(frame: pd.DataFrame, path: Path, parquet: bool) -> None:
    if parquet:
        frame.to_parquet(path, index=False)
    else:
        out = frame.copy()
        out["date"] = out["date"].dt.strftime("%Y-%m-%d")
        # A reload must give the same prices, bit for bit: the shortest text that reads
        # back as the same float, never in exponent form (ten significant digits wrote
        # 123456789012 as 1.23456789e+11, and a stored 13333.333333333332 as
        # 13333.33333); and no price may read as thousands: "92.853" is written "92.8530"
        # (forecast.clean.numbers).
        text = out["price"].map(exact_text)
        out["price"] = text.where(~text.str.fullmatch(THOUSANDS_LIKE), text + "0")
        out.to_csv(path, index=False, encoding="utf-8")


def exact_text(price: float) -> str:
    """``price`` as the shortest positional text that reads back as the same float
    (``8467.25``, ``123456789012``: every digit, never an exponent)."""
    return np.format_float_positional(price, unique=True, trim="-")


def load_default_prices() -> pd.DataFrame:
    """The embedded default PriceTable."""
    return read_price_table(data_dir() / DEFAULT_PRICES)


def load_input(
    path: str | Path | None = None,
    *,
    mapping: dict[str, str] | None = None,
    defaults: dict[str, str] | None = None,
    options=None,
    sheet: str | None = None,
):
    """Prices to work on: the embedded data, or a user's file run through cleaning.

    Returns ``(prices, clean_result)``; ``clean_result`` is ``None`` for the embedded data,
    which was cleaned when it was built. ``sheet``: the workbook's sheet to read (see
    :func:`forecast.io.read_prices`).
    """
    if path is None:
        return load_default_prices(), None
    from forecast.clean import CleanOptions, clean
    from forecast.io import read_prices

    raw = read_prices(path, mapping=mapping, defaults=defaults, sheet=sheet)
    result = clean(raw, options or CleanOptions())
    if result.prices.empty:
        raise InputError(
            "no usable prices left after cleaning",
            str(path),
            "Run 'cropcast data check FILE' to see why each row was refused",
        )
    return result.prices, result


def notebook_prices(file: str | Path | None = None, store: str | Path | None = None):
    """The prices a planner's notebook explores, and where they came from, in words.

    ``file``: the planner's own price file (any format cropcast reads), cleaned as
    ``cropcast forecast --input`` cleans it. Else ``store``, a cropcast store, when it exists
    and holds prices. Else the embedded data.
    """
    # Coconuts a depot wrote per chục are quoted per chục again, as the bulletin and `plot`
    # quote them (forecast.bulletin.depot): cleaning keeps them per nut, and a planner's
    # chart of "9.833 đồng" a nut matched no price the depot or its farmers ever quote.
    from forecast.bulletin.depot import quote_per_chuc

    if file is not None:
        from forecast.bulletin.depot import written_per_chuc

        prices, cleaned = load_input(file)
        return quote_per_chuc(prices, written_per_chuc(cleaned.report, prices)), f"your file {file}"
    if store is not None and Path(store).is_file():
        from forecast.bulletin.depot import stored_per_chuc
        from forecast.store import load_prices, open_store, written_prices

        opened = open_store(store)
        stored = load_prices(opened)
        if not stored.empty:
            sizes = stored_per_chuc(*written_prices(opened))
            return quote_per_chuc(stored, sizes), f"the store {store}"
    return load_default_prices(), "the embedded data (data/prices.csv)"


def prices_line(prices: pd.DataFrame, source: str) -> str:
    """The line each planner's notebook opens with: how many prices in how many series, from
    where. Cleaning's estimates (filled into short gaps) are no prices: they are counted
    apart, so every notebook gives the same count for the same data."""
    from forecast.table import interpolated

    estimates = int(interpolated(prices).sum())
    line = (
        f"{len(prices) - estimates:,} prices in {prices.groupby(list(KEY)).ngroups:,} series, "
        f"from {source}"
    )
    if estimates:
        line += f" (and {estimates:,} estimate{'s' * (estimates != 1)} cleaning filled into gaps)"
    return line


#: Years of prices a series needs for everything notebook 02 shows (IPA needs five:
#: forecast.anomaly.IPA_MIN_MONTHS), and enough for notebook 03's three backtest windows.
NOTEBOOK_MIN_YEARS = 5


def longest_series(
    prices: pd.DataFrame, n: int, min_years: float = NOTEBOOK_MIN_YEARS
) -> tuple[list[str], str]:
    """A notebook's ``SERIES`` when none of the embedded data's names is in ``prices``: the
    labels of the ``n`` series with the most prices (estimates not counted) among those with
    at least ``min_years`` years of them (12 a year when monthly, 52 when weekly) and prices
    in most periods of their span (:data:`forecast.anomaly.MIN_COVERAGE`, as ALPS and IPA
    ask), and what was chosen, in words. When no series has that many, the ``n`` longest, and
    the words say none has (a short history has no typical year, ALPS or IPA yet)."""
    from forecast.anomaly import MIN_COVERAGE
    from forecast.table import observed_prices, series_label

    observed = observed_prices(prices).dropna(subset=["price"])
    if observed.empty:
        return [], "no series has a price"
    groups = observed.groupby(list(KEY), sort=True)
    monthly = groups["date"].agg(lambda dates: bool(dates.dt.is_month_start.all()))
    a_year = monthly.map({True: 12, False: 52})
    count = groups["price"].size()
    span = (groups["date"].max() - groups["date"].min()).dt.days / 365.25 * a_year + 1
    years = (count / a_year).sort_values(ascending=False, kind="stable")
    # As the indicators ask (forecast.anomaly): prices in most periods of the series' span.
    covered = (count / span).reindex(years.index) >= MIN_COVERAGE - 0.01
    enough = years[(years >= min_years) & covered]
    if len(enough):
        picked = enough.head(n)
        words = (
            f"the {len(picked)} longest of the {len(enough):,} series with {min_years:g} years "
            "of prices or more, few missing"
            if len(enough) > n
            else f"the {len(picked)} series with {min_years:g} years of prices or more, few missing"
        )
    else:
        picked = years.head(n)
        words = (
            f"the {len(picked)} longest series, though none has {min_years:g} years of prices "
            "with few missing (too short or gappy for some of what follows)"
        )
    return [series_label(key) for key in picked.index], words


def notebook_choice(
    prices: pd.DataFrame, series: list[str], defaults: list[str], doing: str = "exploring"
) -> tuple[list[str], str]:
    """A notebook's ``SERIES`` to run on, and what to print about it ("" for nothing).

    ``series`` as the user left it, ``defaults`` the notebook's own (the embedded data's
    names). When ``series`` is still the defaults, a user's file or store may hold some of
    them: those found are kept and the others are named as left out; with none found, the
    :func:`longest_series` (as many as the defaults). A ``series`` the user edited is kept as
    it is: :func:`notebook_series` then names a pattern that matches nothing."""
    from forecast.table import select_series

    if list(series) != list(defaults):
        return list(series), ""
    found = [p for p in defaults if not select_series(prices, [p]).empty]
    if len(found) == len(defaults):
        return found, ""
    if not found:
        picked, which = longest_series(prices, len(defaults))
        return picked, (
            f"none of the embedded data's series is here; {doing} {which}: "
            + "; ".join(picked)
            + " (edit SERIES to choose)"
        )
    missing = [p for p in defaults if p not in found]
    return found, (
        f"not in these prices, left out of the notebook's default SERIES: "
        f"{', '.join(map(repr, missing))}; {doing} {'; '.join(found)} "
        "(edit SERIES to choose others)"
    )


def notebook_series(prices: pd.DataFrame, patterns: list[str]) -> pd.DataFrame:
    """The rows of the series a notebook's ``SERIES`` names; an error naming some series
    there are when a pattern matches none (own prices, the embedded data's names)."""
    from forecast.errors import UsageError
    from forecast.table import select_series, series_label

    missing = [p for p in patterns if select_series(prices, [p]).empty]
    if missing:
        labels = prices[list(KEY)].drop_duplicates().head(5).itertuples(index=False, name=None)
        raise UsageError(
            f"no series matches {', '.join(map(repr, missing))}",
            "SERIES",
            "Name parts of your series, e.g. " + "; ".join(series_label(k) for k in labels),
        )
    return select_series(prices, patterns)


# --- Rebuilding the embedded data from the publishers' files ---------------------------------

#: Pink Sheet series in the default data (the names as the sheet writes them).
PINK_SHEET_SERIES = (
    "Rice, Viet Namese 5%",
    "Rice, Thai 5%",
    "Coffee, Robusta",
    "Coconut oil",
    "Palm oil",
    "Rubber, RSS3",
    "Rubber, TSR20",
    "Sugar, world",
    "Cocoa",
)

#: Sri Lanka rice series with at least six years of prices (enough to backtest), and
#: coconut (priced per piece) in the same markets: short, but the crop Bến Tre lives on.
SRI_LANKA_RICE = ("Rice (white)", "Rice (red nadu)")
SRI_LANKA_MIN_MONTHS = 72
SRI_LANKA_COCONUT_MIN_MONTHS = 24


@dataclass
class BuildSummary:
    source: str
    rows_in: int
    rows_kept: int
    rows_rejected: int
    series: int


def build_default_data(shared: Path, out_dir: Path) -> list[BuildSummary]:
    """Rebuild ``data/prices.csv`` from the publishers' files in ``shared``.

    Uses the same readers and cleaning a user runs; nothing is hand-edited.
    """
    from forecast.clean import CleanOptions, clean
    from forecast.io import read_prices

    parts: list[pd.DataFrame] = []
    summaries: list[BuildSummary] = []
    sources = [
        (shared / "wfp" / "wfp_food_prices_vnm.csv", None),
        (shared / "wfp" / "wfp_food_prices_tha.csv", None),
        (shared / "wfp" / "wfp_food_prices_lka.csv", "lka"),
        (shared / "worldbank" / "CMO-Historical-Data-Monthly.xlsx", "pink"),
    ]
    for path, which in sources:
        if not path.is_file():
            raise InputError("publisher file not found", str(path), "Pass --shared DIR")
        result = clean(read_prices(path), CleanOptions(freq="monthly"))
        prices = result.prices
        if which == "pink":
            names = {n.strip() for n in PINK_SHEET_SERIES}
            prices = prices[prices["commodity"].str.strip().isin(names)]
        elif which == "lka":
            counts = prices.groupby(list(KEY))["price"].transform("size")
            rice = prices["commodity"].isin(SRI_LANKA_RICE) & (counts >= SRI_LANKA_MIN_MONTHS)
            rice_markets = set(prices.loc[rice, "market"])
            coconut = (
                (prices["commodity"] == "Coconut")
                & prices["market"].isin(rice_markets)
                & (counts >= SRI_LANKA_COCONUT_MIN_MONTHS)
            )
            prices = prices[rice | coconut]
        parts.append(prices)
        summaries.append(
            BuildSummary(
                path.name,
                result.report.rows_in,
                result.report.rows_kept,
                result.report.rows_rejected,
                prices.groupby(list(KEY)).ngroups,
            )
        )
    table = validate(pd.concat(parts, ignore_index=True), freq="monthly")
    write_price_table(table, out_dir / DEFAULT_PRICES)
    return summaries


def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m forecast.datasets")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="rebuild data/prices.csv from the publishers' files")
    root = Path(__file__).resolve().parents[1]
    build.add_argument("--shared", type=Path, default=root.parent / "shared" / "data")
    build.add_argument("--out", type=Path, default=root / "data")
    args = parser.parse_args(argv)
    try:
        built = build_default_data(args.shared, args.out)
    except CropcastError as exc:  # one line, as the cropcast command gives
        import sys

        print(f"error: {exc}. The publishers' files are listed in data/README.md", file=sys.stderr)
        return 2
    for s in built:
        print(
            f"{s.source}: {s.rows_in} rows in, {s.rows_kept} kept, "
            f"{s.rows_rejected} rejected; {s.series} series in the default data"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
