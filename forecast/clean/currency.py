"""Currencies: names -> ISO 4217 codes; conversion only when asked, never silently.

"đ", "đồng", "VNĐ", "dong", "₫" are VND; "$", "US$" are USD; "baht", "฿" THB; "Rs" LKR.
Other text is upper-cased as written. A row without a currency takes one written in its
price ("45.000 đ"); a file with no currency at all whose marked prices all name one currency
is in that currency. A price mark that contradicts the currency column refuses the row.

With ``CleanOptions.rates`` and ``CleanOptions.currency``, prices in other currencies are
converted: a ``currency -> target`` rate, or the inverse of ``target -> currency``. With a
``date`` column in the rates table each row takes the latest rate on or before its date (the
first rate for rows before it). A currency with no rate stops cleaning with an InputError.
"""

from __future__ import annotations

import re

import pandas as pd

from forecast.clean.base import (
    StepOutput,
    add_mark,
    fmt_number,
    fold,
    map_unique,
    series_name,
    split_rejected,
    tidy_text,
)
from forecast.clean.options import CleanOptions
from forecast.errors import InputError

_NAMES = {
    "d": "VND",
    "dong": "VND",
    "vnd": "VND",
    "₫": "VND",
    "vn dong": "VND",
    "viet nam dong": "VND",
    "vietnam dong": "VND",
    "vietnamese dong": "VND",
    "$": "USD",
    "us$": "USD",
    "usd": "USD",
    "us dollar": "USD",
    "dollar": "USD",
    "฿": "THB",
    "baht": "THB",
    "thb": "THB",
    "rs": "LKR",
    "rs.": "LKR",
    "lkr": "LKR",
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "rp": "IDR",
    "rupiah": "IDR",
}
#: A unit after the currency, as a price column's header or cell may carry it ("đ/kg").
_PER_UNIT = re.compile(r"\s*/.*$")


def normalise_currency(value: object) -> str:
    """Currency text -> ISO code ("đồng" -> "VND", "đ/kg" -> "VND"); '' when missing."""
    key = _PER_UNIT.sub("", fold(value)) or fold(value)
    if not key:
        return ""
    return _NAMES.get(key, key.upper() if key.isascii() else str(value).strip().upper())


def normalise_currencies(frame: pd.DataFrame, options: CleanOptions) -> StepOutput:
    """Step "currency names": ``currency_raw`` -> ISO ``currency``.

    Refuses rows with no currency anywhere and rows whose price names another currency.
    """
    raw = map_unique(frame["currency_raw"], tidy_text).tolist()
    written = map_unique(frame["currency_raw"], normalise_currency).tolist()
    marks = frame["price_currency"].tolist() if "price_currency" in frame else [None] * len(frame)
    marks = [m if isinstance(m, str) and m else None for m in marks]
    notes = []
    marked = {m for m in marks if m}
    fallback = None
    if not any(written) and len(marked) == 1:
        # A sheet without a currency column, where some prices say "đ": the file is in VND.
        (fallback,) = marked
        notes.append(
            f"no currency column; prices are marked {fallback}, so all rows are {fallback}"
        )
    code = [w or m or fallback or "" for w, m in zip(written, marks, strict=True)]
    taken = sum(1 for w, m in zip(written, marks, strict=True) if not w and m)
    if taken and fallback is None:
        notes.append(f"currency taken from the price text for {taken} rows")
    reasons = [
        "currency is missing"
        if not c
        else f"price '{p}' is in {m} but the currency is {c}"
        if m and m != c
        else None
        for c, m, p in zip(code, marks, frame["price_raw"].tolist(), strict=True)
    ]
    out = frame.assign(currency=pd.Series(code, index=frame.index, dtype=object))
    kept, rejected = split_rejected(out, pd.Series(reasons, index=frame.index, dtype=object))
    renamed: dict[tuple[str, str], int] = {}
    for text, iso in zip(raw, code, strict=True):
        if text and text != iso:
            renamed[(text, iso)] = renamed.get((text, iso), 0) + 1
    for (text, iso), n in sorted(renamed.items()):
        notes.append(f"currency '{text}' read as {iso} ({n} rows)")
    return StepOutput(kept, rejected, notes)


def _rates_table(rates: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "currency": rates["currency"].map(normalise_currency),
            "to_currency": rates["to_currency"].map(normalise_currency),
            "rate": pd.to_numeric(rates["rate"], errors="coerce").astype(float),
        }
    )
    if "date" in rates.columns:
        table["date"] = pd.to_datetime(rates["date"])
    table = table[table["rate"].gt(0) & table["rate"].notna()]
    inverse = table.assign(
        currency=table["to_currency"], to_currency=table["currency"], rate=1.0 / table["rate"]
    )
    # Direct rates win over inverted ones for the same pair (and date).
    both = pd.concat([table.assign(_direct=0), inverse.assign(_direct=1)], ignore_index=True)
    keys = ["currency", "to_currency"] + (["date"] if "date" in both.columns else [])
    return (
        both.sort_values(keys + ["_direct"])
        .drop_duplicates(keys, keep="first")
        .drop(columns="_direct")
        .reset_index(drop=True)
    )


def convert_currencies(
    frame: pd.DataFrame, options: CleanOptions, *, where: str | None = None
) -> StepOutput:
    """Step "currencies": convert to ``options.currency`` with ``options.rates`` (if asked)."""
    if options.currency is None:
        notes = (
            ["rates given without a target currency: nothing converted"]
            if options.rates is not None
            else []
        )
        return StepOutput(frame, notes=notes)
    target = normalise_currency(options.currency)
    others = sorted(set(frame["currency"]) - {target})
    if not others:
        return StepOutput(frame)
    rates = _rates_table(options.rates) if options.rates is not None else None
    known = set() if rates is None else set(rates.loc[rates["to_currency"] == target, "currency"])
    for currency in others:
        if currency not in known:
            raise InputError(
                f"currency '{currency}' cannot be reconciled: no rate to {target}",
                where,
                "Add it to the rates table",
            )
    assert rates is not None
    rates = rates[rates["to_currency"] == target]
    rate = pd.Series(1.0, index=frame.index)
    notes: list[str] = []
    conversions = []
    for currency in others:
        rows = frame["currency"] == currency
        pair = rates[rates["currency"] == currency]
        if "date" in pair.columns and pair["date"].notna().any():
            pair = pair.dropna(subset=["date"]).sort_values("date")
            dates = frame.loc[rows, "date"]
            position = pair["date"].searchsorted(dates, side="right") - 1
            early = int((position < 0).sum())
            if early:
                notes.append(
                    f"{early} {currency} rows are older than the first rate; used the first rate"
                )
            rate[rows] = pair["rate"].to_numpy()[position.clip(min=0)]
            shown = "dated rates"
        else:
            rate[rows] = float(pair["rate"].iloc[0])
            shown = f"rate {fmt_number(float(pair['rate'].iloc[0]))}"
        for (commodity, market), group in frame[rows].groupby(["commodity", "market"], sort=True):
            series = series_name(commodity, market)
            conversions.append(
                {
                    "kind": "currency",
                    "series": series,
                    "from": currency,
                    "to": target,
                    "rows": len(group),
                    "rate": shown,
                    "text": f"{series}: {currency} -> {target}, {len(group)} rows, {shown}",
                }
            )
    moved = frame["currency"] != target
    out = frame.assign(price=frame["price"] * rate, currency=target)
    out = out.assign(flags=add_mark(out["flags"], moved, "converted"))
    return StepOutput(out, notes=notes, details={"conversions": conversions})


__all__ = ["convert_currencies", "normalise_currencies", "normalise_currency"]
