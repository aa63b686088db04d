"""Key text: commodity, market and price type as written, tidied.

Whitespace is stripped and collapsed and Unicode is NFC-composed, so "Mỏ Cày Bắc" typed with
combining marks and with precomposed letters is one market. Case is kept as written: names
are the user's, and "Bac Lieu" is not ours to retitle.
"""

from __future__ import annotations

import pandas as pd

from forecast.clean.base import TEXT_KEY, StepOutput, map_unique, split_rejected, tidy_text
from forecast.clean.options import CleanOptions


def tidy_keys(frame: pd.DataFrame, options: CleanOptions) -> StepOutput:
    """Step "key text": tidy commodity, market, price type; refuse rows missing one."""
    out = frame.assign(**{c: map_unique(frame[c], tidy_text) for c in TEXT_KEY})
    reasons = pd.Series(None, index=frame.index, dtype=object)
    for column in reversed(TEXT_KEY):
        reasons[out[column] == ""] = f"{column.replace('_', ' ')} is missing"
    kept, rejected = split_rejected(out, reasons)
    # Names the tidying changed ("Kano " and "Kano" are one market now): output tables
    # carry the tidied name, so a user joining them to the file by its text must hear of it.
    renamed = []
    for column in TEXT_KEY:
        raw = frame[column]
        written = raw.notna()
        if not isinstance(raw.dtype, pd.StringDtype):  # else every value there is text
            written &= map_unique(raw, lambda v: isinstance(v, str)).astype(bool)
        pairs = pd.DataFrame({"from": raw[written], "to": out.loc[written, column]})
        pairs = pairs[(pairs["from"] != pairs["to"]) & (pairs["to"] != "")].drop_duplicates()
        renamed += [
            {"column": column, "from": a, "to": b} for a, b in pairs.itertuples(index=False)
        ]
    notes = [f"{len(renamed)} {tidied_names(renamed)}"] if renamed else []
    return StepOutput(kept, rejected, notes, {"renamed": renamed})


def tidied_names(renamed: list[dict], shown: int = 2) -> str:
    """'name(s) tidied (...): 'Kano ' -> 'Kano'; ... and N more', for the notes of every
    command that read the file (``renamed``: the step's ``details["renamed"]``)."""
    import unicodedata

    def change(r) -> str:
        if unicodedata.normalize("NFC", r["from"]) == r["to"]:  # looks the same
            return f"{r['to']!r} (its accents written as separate marks)"
        return f"{r['from']!r} -> {r['to']!r}"

    listed = "; ".join(change(r) for r in renamed[:shown])
    more = f" and {len(renamed) - shown} more" if len(renamed) > shown else ""
    return f"name(s) tidied (spaces trimmed or collapsed, accents composed): {listed}{more}"
