"""The written account of a cleaning run: counts, reasons, conversions, conflicts, gaps.

Conservation: ``rows_in == rows_kept + rows_merged + rows_rejected``, where ``rows_kept``
counts output rows that stand for input rows (one each) and ``rows_merged`` the extra input
rows folded into them (duplicates, several observations in one period). Interpolated rows
are added, not kept: ``len(prices) == rows_kept + interpolated``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from forecast.clean.base import counted


@dataclass
class CleanReport:
    """What cleaning did to one file.

    Attributes
    ----------
    source
        The file (or "table" for a DataFrame).
    rows_in, rows_kept, rows_merged, rows_rejected
        Row accounting (see the module docstring).
    reasons
        Why rows were refused: reason -> count.
    freq
        The frequency the prices were put on.
    freq_why
        Why: "as given", "dates are ISO weeks", "observations are 30 days apart (median)",
        "too few dates to tell; monthly by default"...
    dayfirst
        How the dates were read: ``True`` dd/mm/yyyy, ``False`` mm/dd/yyyy, ``None`` when no
        date could be read either way (ISO dates, or days above 12 only where they tell).
    series
        Number of series in the output.
    conversions
        One entry per series and unit (or currency) change: ``series, from, to, rows, factor``
        (or ``rate``) and a readable ``text``.
    conflicts
        Same key and date, different prices: ``series, date, values, resolved, rule``
        (``median``, or ``nearest``: of prices twofold apart, the one nearer the series').
    outliers
        ``series, date, price, local_median, score`` per flagged (or refused) point.
    interpolated
        Number of periods filled by interpolation.
    gaps
        Gaps left unfilled: ``series, from, to, length`` (periods).
    short_series
        ``series, length`` for series shorter than ``min_length`` (kept).
    renamed
        ``column, from, to`` per name the tidying changed (spaces trimmed or collapsed,
        accents composed): output tables carry ``to``.
    respelled
        ``column, from, to, series`` per unit or currency the file writes otherwise than
        outputs do (``KG`` is ``kg``, ``usd`` is ``USD``), with no change to the prices;
        ``series`` lists the (commodity, market, price type) that write it so.
    as_given
        Per series the file names otherwise than outputs do: ``series`` (cropcast's key),
        ``as_given`` (the key as the file writes it) and ``factor`` (by which the file's
        prices were multiplied into cropcast's unit: 1/50 from a price per "50 KG" to one
        per kg). Forecast and backtest outputs name those series as the file does, in its
        units.
    retired_names
        As ``as_given``, for the other names a series' older prices have in the file: per
        "50 KG" before per "KG", in SLL before SLE (one series to cropcast). Forecast files
        write the series under each of them too.
    lost
        The series (as the file writes their commodity, market, price type, unit and
        currency) whose every row was refused: no price of theirs is left.
    off_frequency
        ``series, days`` for series whose own median spacing (days) says another frequency
        than the file's: spread onto weeks, or folded into monthly medians.
    split
        A user's own sheet pricing one commodity, market and price type in several units or
        currencies, kept as that many series: ``series, kind`` ("units" or "currencies"),
        ``values``.
    thousands
        How prices like "1.500" were read (see ``forecast.clean.numbers``): ``decimals``,
        ``thousands``, ``guessed`` (counts) and an example of each reading.
    steps
        Per step: ``name, rows_in, rows_out, rejected, notes``.
    notes
        Everything else a user should know (reader notes, decisions taken).
    """

    source: str = ""
    rows_in: int = 0
    rows_kept: int = 0
    rows_merged: int = 0
    rows_rejected: int = 0
    reasons: Counter = field(default_factory=Counter)
    freq: str | None = None
    freq_why: str = ""
    dayfirst: bool | None = None
    series: int = 0
    conversions: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    outliers: list[dict[str, Any]] = field(default_factory=list)
    interpolated: int = 0
    #: Periods whose several prices were twofold apart: those near the series' kept.
    aggregated_apart: int = 0
    gaps: list[dict[str, Any]] = field(default_factory=list)
    short_series: list[dict[str, Any]] = field(default_factory=list)
    renamed: list[dict[str, Any]] = field(default_factory=list)
    respelled: list[dict[str, Any]] = field(default_factory=list)
    as_given: list[dict[str, Any]] = field(default_factory=list)
    retired_names: list[dict[str, Any]] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    off_frequency: list[dict[str, Any]] = field(default_factory=list)
    split: list[dict[str, Any]] = field(default_factory=list)
    thousands: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        """Whether every input row is kept, merged or rejected exactly once."""
        return self.rows_in == self.rows_kept + self.rows_merged + self.rows_rejected

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (for ``--json``)."""
        data = asdict(self)
        data["reasons"] = dict(self.reasons.most_common())
        return data

    def lines(self, limit: int = 10) -> list[str]:
        """A short human summary, one fact a line; long lists are cut at ``limit``."""
        name = self.source or "table"
        out = [
            f"{name}: {self.rows_in} rows in -> {self.rows_kept} kept, {self.rows_merged} "
            f"merged, {self.rows_rejected} rejected; {self.series} series"
            + (f", {self.freq}" if self.freq else ""),
        ]

        def listed(title: str, items: list[str]) -> None:
            if not items:
                return
            out.append(f"{title}:")
            out.extend(f"  {item}" for item in items[:limit])
            if len(items) > limit:
                out.append(f"  ... and {len(items) - limit} more")

        from forecast.clean.flags import left_out_by_design

        listed(
            "rejected",
            [
                f"{n} x {reason}"
                + (" (left out as always: nothing to fix)" * left_out_by_design(reason))
                # The rows to fix first, then those nothing in the file can fix.
                for reason, n in sorted(
                    self.reasons.most_common(), key=lambda pair: left_out_by_design(pair[0])
                )
            ],
        )
        listed("series with no row left", self.lost)
        listed("converted", [c["text"] for c in self.conversions])
        nearer = any(c.get("rule") == "nearest" for c in self.conflicts)
        by_unit = any(c.get("rule") == "unit" for c in self.conflicts)
        listed(
            "conflicts (median kept"
            + ("; '(nearer)': twofold apart, the price nearer the series' others" * nearer)
            + (
                "; 'the one written per X': written in different units, the series' own "
                "(its usual unit, or the one nearer its prices)" * by_unit
            )
            + ")",
            [f"{c['series']} {c['date']}: {conflict_values(c)}" for c in self.conflicts],
        )
        listed(
            "outliers",
            [
                f"{o['series']} {o['date']}: {o['price']:g} "
                f"(local median {o['local_median']:g}, score {o['score']:g})"
                for o in self.outliers
            ],
        )
        if self.interpolated:
            out.append(f"interpolated: {counted(self.interpolated, 'period')}")
        listed(
            "gaps left",
            [
                f"{g['series']}: {g['from']} to {g['to']} ({counted(g['length'], 'period')})"
                for g in self.gaps
            ],
        )
        listed(
            "short series",
            [f"{s['series']}: {counted(s['length'], 'observation')}" for s in self.short_series],
        )
        listed(
            f"spacing unlike the file's ({self.freq})",
            [f"{o['series']}: {o['days']:g} days apart (median)" for o in self.off_frequency],
        )
        listed("notes", self.notes)
        return out


def conflict_values(conflict: dict, number=lambda v: f"{v:g}") -> str:
    """A conflict's prices and the one kept, each price shown by ``number``: "253, 2531 ->
    253 (nearer)", or, of prices written in different units (shown in the series' unit),
    "9416.67 (written per chục), 11000 (written per trái) -> 9416.67 (the one written per
    chục)": each in the series' unit (per nut), not per chục."""
    units = conflict.get("units") if conflict.get("rule") == "unit" else None
    shown = [
        number(v) + (f" (written per {units[i]})" if units else "")
        for i, v in enumerate(conflict["values"])
    ]
    kept = (
        f" (the one written per {conflict['kept_unit']}"
        + (", nearer the series' prices)" if conflict.get("unit_by") == "level" else ")")
        if units
        else " (nearer)"
        if conflict.get("rule") == "nearest"
        else ""
    )
    return f"{', '.join(shown)} -> {number(conflict['resolved'])}{kept}"
