"""The decimal point a publisher's file writes, told by its own numbers.

WFP/HDX files and the Pink Sheet are published with English decimals ("5317.5"), but a user
who opens a WFP file in a Vietnamese or European spreadsheet and saves it again gets ";"
between columns and decimal commas ("10,522", "0,3364", "5.318" for 5318). Reading such a
file with "." would make "5.318" five đồng and refuse "12,5", so the mark is told by the
numbers the same program wrote beside the prices: WFP's latitude and longitude (which are
never in the thousands, so their one mark can only be the decimal point), its ``usdprice``
and the prices themselves where they are clear ("12,5", "0.37", "1.234,5"). "." stands only
where nothing tells, so every file as published reads as it always did.
"""

from __future__ import annotations

import re

import pandas as pd

from forecast.clean.numbers import may_group_thousands

#: A coordinate: at most three digits before its one mark, which can only be a decimal point.
_COORDINATE = re.compile(r"[+\-]?\d{1,3}([.,])\d+")
#: One mark in a number: a decimal point beyond doubt unless it stands after one to three
#: digits (not a lone 0) before exactly three ("5.318" may be 5318).
_ONE_MARK = re.compile(r"[+\-]?(\d*)([.,])(\d+)")
#: Both marks, grouped thousands then a decimal point: "1.234,5", "1,234.5".
_BOTH_MARKS = re.compile(r"[+\-]?\d{1,3}(?:([.,])\d{3})+([.,])\d+")
#: WFP columns of coordinates and of other numbers written as its prices are.
_WFP_COORDINATES = ("latitude", "longitude")
_WFP_NUMBERS = ("usdprice",)


def _coordinate_mark(text: str) -> str | None:
    match = _COORDINATE.fullmatch(text.strip())
    return match[1] if match else None


def _number_mark(text: str) -> str | None:
    """The decimal point a number shows beyond doubt, or None ("5.318", "45", "1.234.567")."""
    text = text.strip()
    if match := _ONE_MARK.fullmatch(text):
        whole, mark, fraction = match.groups()
        return None if may_group_thousands(whole, fraction) else mark
    if (match := _BOTH_MARKS.fullmatch(text)) and match[1] != match[2]:
        return match[2]
    return None


def _evidence(values: pd.Series, read, name: str, found: dict[str, list[str]]) -> None:
    """Add to ``found`` (mark -> examples) each mark ``read`` sees in ``values``."""
    for text in values.dropna().astype(str).unique():
        mark = read(text)
        if mark is not None:
            found.setdefault(mark, []).append(f"{name} '{text.strip()}'")


def _wfp_column(original: pd.DataFrame, name: str) -> pd.Series | None:
    by_lower = {str(c).strip().lower(): c for c in original.columns}
    return original[by_lower[name]] if name in by_lower else None


def file_decimal_mark(
    kind: str, prices: pd.Series, original: pd.DataFrame
) -> tuple[str | None, str | None]:
    """``(decimal, note)``: the decimal point a WFP or Pink Sheet file's numbers show.

    "." when they show only "." or nothing (the files as published); "," with a note
    naming the numbers that say so; None (each price read as written, as a user's own
    sheet is) with a note when the file writes both, as only a hand-edited file would.
    Other kinds of file: ``(None, None)``, their prices tell on their own.
    """
    if kind not in ("wfp", "pinksheet"):
        return None, None
    found: dict[str, list[str]] = {}
    if kind == "wfp":
        for name, read in (
            *((c, _coordinate_mark) for c in _WFP_COORDINATES),
            *((c, _number_mark) for c in _WFP_NUMBERS),
        ):
            column = _wfp_column(original, name)
            if column is not None:
                _evidence(column, read, name, found)
    _evidence(prices, _number_mark, "price", found)
    if set(found) == {","}:
        examples = ", ".join(_one_per_column(found[","]))
        note = (
            "prices read with ',' as the decimal point and '.' grouping thousands, as the "
            f"file's numbers write them ({examples})"
        )
        return ",", note
    if set(found) == {".", ","}:
        # --decimal would refuse every price written the other way: point at the few
        # numbers that differ from the rest instead (a hand edit, as a rule).
        usual, odd = sorted(found, key=lambda mark: len(found[mark]), reverse=True)
        note = (
            f"the file writes decimals both with '.' ({found['.'][0]}) and with ',' "
            f"({found[','][0]}): each price is read as written; most of its numbers use "
            f"'{usual}', so check the {len(found[odd]):,} written with '{odd}' (e.g. "
            f"{found[odd][0]})"
        )
        return None, note
    return ".", None


def _one_per_column(examples: list[str], most: int = 3) -> list[str]:
    """The first example of each column, at most ``most``: "latitude '10,522'", ..."""
    seen: dict[str, str] = {}
    for example in examples:
        seen.setdefault(example.split(" ", 1)[0], example)
    return list(seen.values())[:most]
