"""Adding a price file to the store: clean it, then write it in one transaction.

How a cleaned price meets the store (key plus date):

* not stored yet: **added** (interpolated estimates too, flagged ``interpolated``);
* stored with the same price (relative difference under 1e-9), or the new value is only an
  interpolated estimate: **unchanged**; the stored row stands, an estimate never replaces a
  stored price;
* stored with another price, or stored as an estimate and now observed: **revised**; the
  stored value moves to ``revisions`` (with its flags, source and ingest) and the new one
  takes its place. Nothing is overwritten without a trace.

Outlier marks are derived too. A weekly depot file holds one price per series, too few for
cleaning to tell a typo ("460.000" among weeks of "46.000") from a price, so after the write
each series the file touched is tested again over its whole stored history, as cleaning one
file holding all of it would (:func:`_review_outliers`): prices that stand out are marked
``outlier``, and a mark the longer history no longer supports (a jump later prices confirmed)
is taken off. Only the mark changes, never a price; the ingest lists both.

Interpolated estimates are derived data: after the file's prices are written, each estimate
of the series it touched is interpolated again (log-linear, as cleaning does) between the
real prices now stored on either side (:func:`_refresh_estimates`). One an earlier ingest
wrote and that moved is **re-estimated**: the old value goes to ``revisions`` as any
replaced value does (its ``new_flags`` still ``interpolated``, which tells it from a
revision), so an estimate never lies outside its real neighbours.

So for every ingest ``rows_in = rows_kept + rows_merged + rows_rejected`` (the cleaning
report) and ``rows_kept + rows_interpolated = prices_added + prices_unchanged +
prices_revised``; :func:`forecast.store.contents.audit` checks these against the tables.

A file is known by the sha256 of its bytes (and the sheet, when one of a workbook's is
chosen): the same file again adds nothing. Read with other options it is another reading
only when the prices it yields differ: each ingest records ``content_sha256`` in its report
(the bytes' sha256 with the cleaned prices and refused rows, :func:`content_sha256`), and a
reading whose content an earlier ingest of the same bytes had is that ingest again
(``--freq monthly`` on a file already read as monthly, ``--chuc 14`` on a file with no
chục, ``--sheet`` naming the sheet read by default), so it undoes no correction a later
file made. But only while the store still holds that reading: where another reading of the
same bytes (``--monthfirst``, a misreading) has since replaced its prices, it is read again
and puts them back (:func:`_displaced`); a later correction by another file still stands.
A file that
fails cleaning, or whose series would mix frequencies with the stored ones, changes nothing;
nor does a Ctrl-C. A new store is made only when a file's prices are ready to go in, and
removed again when they do not (refused or interrupted in the transaction).

Test hook: when ``CROPCAST_TEST_PAUSE_IN_INGEST`` is set, the ingest writes one line to
stderr (``PAUSE_MESSAGE``) after writing its rows and before committing, then sleeps: that
many seconds when it is a number, else until the file it names exists. A test can then kill
the process inside the transaction, or hold the store while another process tries it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.clean.units import ONE_PIECE
from forecast.errors import InputError, UsageError
from forecast.store.database import Store
from forecast.store.schema import utc_now
from forecast.table import COLUMNS, KEY, series_label, validate

#: The test hook's environment variable (seconds to pause before COMMIT).
PAUSE_ENV = "CROPCAST_TEST_PAUSE_IN_INGEST"
PAUSE_MESSAGE = "cropcast test hook: paused inside the ingest transaction"

_KEY = ", ".join(KEY)
_JOIN_KEY = " AND ".join(f"prices.{c} = c.{c}" for c in (*KEY, "date"))
_ESTIMATE = "list_contains(string_split({}, ';'), 'interpolated')"


#: A price this many days or more before a recent file's other prices is "a year apart"
#: (see IngestResult.year_apart_revisions) ...
YEAR_APART_DAYS = 330
#: ... in a file whose other prices lie within this many days (a week's or a month's sheet).
RECENT_FILE_DAYS = 62


@dataclass
class IngestResult:
    """What one ``ingest`` did with one file.

    ``status`` is ``"added"`` (a new ingest, ``ingest_id``) or ``"duplicate"`` (the same
    bytes were ingested before as ``ingest_id``; nothing was written). ``revisions`` lists
    the stored values this file replaced: key, ``date``, ``old_price``, ``old_flags``,
    ``old_source``, ``new_price``, ``new_flags``. ``reestimated`` lists, in the same
    columns, the stored interpolated estimates this file's real prices moved (see
    :func:`_refresh_estimates`). ``units_kept`` names the series priced per piece that
    joined their stored history under its unit's name.
    """

    file: str
    sha256: str
    status: str
    ingest_id: int
    ingested_at: datetime
    report: Any = None  # CleanReport; None for a duplicate
    added: int = 0
    unchanged: int = 0
    revised: int = 0
    revisions: pd.DataFrame = field(default_factory=pd.DataFrame)
    reestimated: pd.DataFrame = field(default_factory=pd.DataFrame)
    seconds: float = 0.0
    #: Series priced per piece kept under the stored unit's name (see _keep_stored_count_units).
    units_kept: list[dict] = field(default_factory=list)
    #: Stored prices whose ``outlier`` mark this ingest set or took off (see _review_outliers).
    outliers: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: (new series, stored series) spelled alike but for accents, capitals or spaces.
    twins: list[tuple[str, str]] = field(default_factory=list)
    #: Groups of the file's own series spelled alike but for accents, capitals or spaces.
    twins_in_file: list[list[str]] = field(default_factory=list)
    #: (new series, stored series) whose commodity or market is one letter apart.
    near_twins: list[tuple[str, str]] = field(default_factory=list)
    #: Pairs of the file's own series whose commodity or market is one letter apart.
    near_twins_in_file: list[tuple[str, str]] = field(default_factory=list)
    #: (new series, stored series) alike but for the unit or the currency.
    other_units: list[tuple[str, str]] = field(default_factory=list)
    #: What the file could not tell and was read as the store's files were (date order,
    #: frequency), one sentence each (see _clean_as_the_store_reads).
    read_as: list[str] = field(default_factory=list)
    #: Series this file read per a chục of other size than the store's latest file of it
    #: did: ``series``, ``now``, ``stored`` (nuts in the chục; see _chuc_unlike).
    chuc_unlike: list[dict] = field(default_factory=list)
    #: Series this file wrote per chục (most of their prices), by (commodity, market,
    #: price_type, currency), with the nuts in its chục: quoted so in ingest's lines.
    per_chuc: dict[tuple, int] = field(default_factory=dict)
    #: A reading an earlier ingest had, read again because other readings of the same bytes
    #: had replaced some of its prices (see _displaced): per such ingest, ``ingest_id``,
    #: ``file`` and ``prices`` (how many of its values this ingest put back).
    put_back: list[dict] = field(default_factory=list)
    #: For a duplicate: the name the same bytes were ingested under before.
    earlier_file: str | None = None
    #: For a duplicate: True when it was known by its cleaned prices (other options that
    #: read the same prices, see content_sha256), not by the options themselves.
    same_prices: bool = False
    #: For a duplicate: the earlier ingest's rows in and refused, and the refusals' reasons
    #: (the store keeps the refused rows in its ``rejected`` table).
    earlier_rows_in: int = 0
    earlier_rejected: int = 0
    earlier_reasons: dict[str, int] = field(default_factory=dict)
    #: Options the file could not tell and were taken from the store (``dayfirst``,
    #: ``freq``), so that 'cropcast data check' reads the file as the ingest did.
    read_with: dict[str, Any] = field(default_factory=dict)
    #: The dates of the file's prices, as cleaning put them (see year_apart_revisions).
    file_dates: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([]))

    def year_apart_revisions(self) -> pd.DataFrame:
        """The revisions dated a year or more before every other date of a file whose other
        dates lie within ``RECENT_FILE_DAYS``: a week's sheet with one row typed 2025 for
        2026 revised last year's durian price in silence, and the bulletin's "vs last year"
        went from +2.2 % to -1.1 % for the same price."""
        if self.revisions.empty or len(self.file_dates) < 2:
            return self.revisions.iloc[0:0]
        latest = self.file_dates.max()
        old = self.file_dates[self.file_dates <= latest - pd.Timedelta(days=YEAR_APART_DAYS)]
        rest = self.file_dates.difference(old)
        if old.empty or rest.empty or (rest.max() - rest.min()).days > RECENT_FILE_DAYS:
            return self.revisions.iloc[0:0]
        return self.revisions[self.revisions["date"].isin(old)]

    @property
    def estimates_replaced(self) -> int:
        """Revisions where an observed price replaced an interpolated estimate."""
        if self.revisions.empty:
            return 0
        return int(self.revisions["old_flags"].map(_is_estimate).sum())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``--json``)."""
        out: dict[str, Any] = {
            "file": self.file,
            "sha256": self.sha256,
            "status": self.status,
            "ingest_id": self.ingest_id,
            "ingested_at": f"{self.ingested_at:%Y-%m-%dT%H:%M:%S}Z",
            "seconds": round(self.seconds, 3),
        }
        if self.status == "duplicate":
            out |= {
                "same_prices": self.same_prices,
                "earlier_rows_in": self.earlier_rows_in,
                "earlier_rows_rejected": self.earlier_rejected,
                "earlier_reasons": dict(self.earlier_reasons),
            }
        if self.report is not None:
            report = self.report
            out |= {
                "rows_in": report.rows_in,
                "rows_kept": report.rows_kept,
                "rows_merged": report.rows_merged,
                "rows_rejected": report.rows_rejected,
                "rows_interpolated": report.interpolated,
                "freq": report.freq,
                "reasons": dict(report.reasons.most_common()),
            }
        out |= {
            "prices_added": self.added,
            "prices_unchanged": self.unchanged,
            "prices_revised": self.revised,
            "prices_reestimated": len(self.reestimated),
            "units_kept": list(self.units_kept),
            "read_as": list(self.read_as),
            "put_back_over": list(self.put_back),
            "chuc_unlike_store": list(self.chuc_unlike),
            "outliers": outlier_records(self.outliers),
            "spelled_like_stored": [{"new": a, "stored": b} for a, b in self.twins],
            "spelled_alike_in_file": [list(group) for group in self.twins_in_file],
            "one_letter_from_stored": [{"new": a, "stored": b} for a, b in self.near_twins],
            "one_letter_apart_in_file": [list(pair) for pair in self.near_twins_in_file],
            "other_unit_than_stored": [{"new": a, "stored": b} for a, b in self.other_units],
            "revisions": [
                {
                    "series": series_label(tuple(row[c] for c in KEY)),
                    "date": f"{row['date']:%Y-%m-%d}",
                    "old_price": row["old_price"],
                    "new_price": row["new_price"],
                    "old_flags": row["old_flags"],
                    "old_source": row["old_source"],
                }
                for row in self.revisions.to_dict(orient="records")
            ],
            "reestimated": [
                {
                    "series": series_label(tuple(row[c] for c in KEY)),
                    "date": f"{row['date']:%Y-%m-%d}",
                    "old_price": row["old_price"],
                    "new_price": row["new_price"],
                }
                for row in self.reestimated.to_dict(orient="records")
            ],
        }
        return out


def _is_estimate(flags) -> bool:
    return isinstance(flags, str) and "interpolated" in flags.split(";")


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes (how the store recognises a file it has seen)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_ingest(
    store: Store, sha256: str, content: str | None = None, bytes_sha256: str | None = None
) -> dict | None:
    """The earlier ingest of a file with these bytes read this way (``sha256``), or, given
    ``content``, whose reading yielded the same prices (:func:`content_sha256`):
    ``ingest_id, file_name, ingested_at, same_prices`` and its rows in and refused. Given
    the bytes' own sha256, ``read_since`` says whether a later ingest read these bytes
    (another reading may have replaced the prices this one stored)."""
    with store.reading() as con:
        found = _find(con, sha256, content)
        if found is not None and bytes_sha256 is not None:
            ids = _same_bytes(con, bytes_sha256)
            found["read_since"] = any(i > found["ingest_id"] for i in ids)
        return found


def _same_bytes(con, bytes_sha256: str) -> list[int]:
    """The ingests of these bytes, however read: each records its bytes' sha256 in its
    report (``bytes_sha256``); one made before that is known only when it read the file as
    it is (its sha256 is then the bytes')."""
    rows = con.execute(
        "SELECT ingest_id FROM ingests WHERE sha256 = ? "
        "OR json_extract_string(report, '$.bytes_sha256') = ? ORDER BY ingest_id",
        [bytes_sha256, bytes_sha256],
    ).fetchall()
    return [int(i) for (i,) in rows]


def _find(con, sha256: str, content: str | None = None) -> dict | None:
    # Ingests before content_sha256 was recorded have none, and are known by sha256 only;
    # without ``content`` no report is read (the same options again: no cleaning either).
    # The latest match: a reading put back (see _displaced) is the one whose prices stand.
    by_content = " OR json_extract_string(report, '$.content_sha256') = ?" if content else ""
    row = con.execute(
        f"""SELECT ingest_id, file_name, ingested_at, sha256 <> ? AS same_prices, rows_in,
            rows_rejected, json_extract_string(report, '$.reasons'),
            json_extract_string(report, '$.read_with')
        FROM ingests WHERE sha256 = ?{by_content}
        ORDER BY ingest_id DESC LIMIT 1""",
        [sha256, sha256, *([content] if content else [])],
    ).fetchall()  # to the end: the connection goes on to write (fetchone leaves it open)
    if not row:
        return None
    row = row[0]
    return {
        "ingest_id": int(row[0]),
        "file_name": row[1],
        "ingested_at": row[2],
        "same_prices": bool(row[3]),
        "rows_in": int(row[4]),
        "rows_rejected": int(row[5]),
        "reasons": json.loads(row[6]) if row[6] else {},
        "read_with": json.loads(row[7]) if row[7] else {},
    }


def _duplicate(name: str, sha256: str, earlier: dict, start: float) -> IngestResult:
    return IngestResult(
        file=name,
        sha256=sha256,
        status="duplicate",
        ingest_id=earlier["ingest_id"],
        ingested_at=earlier["ingested_at"],
        seconds=time.perf_counter() - start,
        earlier_file=earlier["file_name"],
        same_prices=earlier["same_prices"],
        earlier_rows_in=earlier["rows_in"],
        earlier_rejected=earlier["rows_rejected"],
        earlier_reasons=earlier["reasons"],
        read_with=earlier["read_with"],
    )


def content_sha256(file_sha256: str, result) -> str:
    """What a reading of a file yields, as a sha256: the file's bytes (``file_sha256``), the
    frequency, every cleaned price (key, date, price to 12 significant digits, flags) and
    every refused row (row and reason).

    Two readings of the same bytes with equal content store the same prices: the second
    is the first again, however its options were written (``--freq monthly`` on a file
    read as monthly by its dates, ``--dayfirst`` on one whose days above 12 said so,
    ``--sheet`` naming the sheet a workbook is read from by default). The sheet is not in
    it: a workbook's other sheet yields other prices, so another content.
    """
    prices = result.prices
    frame = pd.DataFrame({c: prices[c].astype(str).to_numpy() for c in KEY})
    frame["date"] = pd.to_datetime(prices["date"]).dt.strftime("%Y-%m-%d").to_numpy()
    frame["price"] = [f"{float(p):.12g}" for p in prices["price"]]
    flags = prices["flags"].fillna("").astype(str)
    # A flag set, however ordered (few distinct values: each is put in order once).
    canonical = {f: ";".join(sorted(set(f.split(";")) - {""})) for f in flags.unique()}
    frame["flags"] = flags.map(canonical).to_numpy()
    frame = frame.sort_values(list(frame.columns), kind="stable")  # key, date, price, flags
    refused = _rejected_frame(result.rejected)[["file_row", "reason"]].astype(str)
    refused = refused.sort_values(["file_row", "reason"], kind="stable")
    digest = hashlib.sha256(f"{file_sha256}\0content\0{result.report.freq}\0".encode())
    for table in (frame, refused):
        lines = zip(*(table[c].to_numpy() for c in table.columns), strict=True)
        digest.update("\n".join("\x1f".join(line) for line in lines).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def ingest_file(
    store: Store,
    path: str | Path,
    *,
    options=None,
    mapping: dict[str, str] | None = None,
    defaults: dict[str, str] | None = None,
    sheet: str | None = None,
    chuc_from_store: bool | None = None,
) -> IngestResult:
    """Clean one price file and add it to the store (one transaction).

    Parameters
    ----------
    store
        From :func:`forecast.store.open_store`.
    path
        A price file as :func:`forecast.io.read_prices` reads it.
    options, mapping, defaults, sheet
        :class:`~forecast.clean.CleanOptions`, and the reader's column mapping, defaults and
        workbook sheet.
    chuc_from_store
        ``True``: no ``--chuc`` was given, and series written per chục are read per the
        chục of the store's latest file of them (see :func:`_chuc_as_stored`); ``False``:
        ``options.chuc_size`` was given; ``None``: as given, but said where unlike the
        store's (see :func:`_chuc_unlike`).

    Raises
    ------
    InputError
        The file cannot be read or cleaned, or a series in it is on another frequency than
        the same series in the store. The store is then unchanged; one made for this file
        (its first) is removed again, as on a Ctrl-C (:meth:`Store.remove_if_unfilled`).
    """
    from forecast.checks import check_path
    from forecast.clean import CleanOptions
    from forecast.io import read_prices

    start = time.perf_counter()
    path = check_path(path)
    sha256, name = file_sha256(path), path.name
    bytes_sha = sha256
    if sheet is not None:
        # A workbook's sheets hold different prices: each is an ingest of its own, else the
        # second sheet of a workbook would be "already in the store" and never added.
        sha256 = hashlib.sha256(f"{sha256}\0sheet\0{sheet}".encode()).hexdigest()
        name = f"{path.name} (sheet {sheet})"
    as_it_is = sha256
    reading = _reading(options, mapping, defaults)
    if reading:
        # Read another way (--chuc 14, --decimal ., another --map): another reading of the
        # same bytes, whose prices revise the first's; else the fix the first one's note
        # suggested would be "already in the store", and the misread prices would stay.
        sha256 = hashlib.sha256(f"{sha256}\0reading\0{reading}".encode()).hexdigest()
    earlier = find_ingest(store, sha256, bytes_sha256=bytes_sha) if store.path.exists() else None
    if earlier is not None and not earlier["read_since"]:
        # Known bytes, read the same way, and not read otherwise since: skip the cleaning
        # too. When a later ingest read these bytes another way, the file is cleaned and
        # its prices compared with the stored ones (ingest_clean, _displaced).
        return _duplicate(name, sha256, earlier, start)
    raw = read_prices(path, mapping=mapping, defaults=defaults, sheet=sheet)
    result, read_as, read_with = _clean_as_the_store_reads(store, raw, options or CleanOptions())
    # The chục of each series the file writes per chục, and the store's before this file is
    # its latest (one query of the store).
    from forecast.bulletin.depot import written_per_chuc

    per_chuc = written_per_chuc(result.report, result.prices)
    stored = {} if chuc_from_store is False else _stored_chuc(store, result)
    default_chuc = (options or CleanOptions()).chuc_size == CleanOptions().chuc_size
    chuc_unlike = _chuc_unlike(_plain(per_chuc, result), stored) if default_chuc else []
    # Read per the store's chục when every series the file writes per chục is stored per
    # one chục: a new market's coconuts took another's 14 (a second test); one chục a file.
    sizes = {stored.get(key) for key in per_chuc}
    if chuc_from_store and chuc_unlike and len(sizes) == 1 and None not in sizes:
        (size,) = sizes
        result, read_as, read_with = _chuc_as_stored(
            store, raw, options or CleanOptions(), size, chuc_unlike
        )
        per_chuc = written_per_chuc(result.report, result.prices)
        chuc_unlike = _chuc_unlike(_plain(per_chuc, result), stored)
        # Recorded as read per that chục: --chuc 12 then is another reading, whose prices
        # revise these, not "already in the store".
        from dataclasses import replace

        per = _reading(replace(options or CleanOptions(), chuc_size=size), mapping, defaults)
        sha256 = hashlib.sha256(f"{as_it_is}\0reading\0{per}".encode()).hexdigest()
    # Options given but reading what an earlier ingest of these bytes read (--freq monthly
    # on a file its dates made monthly): that ingest again, not a reading that would put
    # its prices back over a later file's corrections. The bytes' sha256 alone, not the
    # --sheet given: naming the sheet read by default reads the same prices, and another
    # sheet's prices already differ. Whether the store still holds them is decided inside
    # the write transaction, against the prices as they are then (ingest_clean).
    content = content_sha256(bytes_sha, result)
    try:
        ingested = ingest_clean(
            store.made(),  # a new store is made now, with prices to hold
            result,
            file_name=name,
            sha256=sha256,
            file_bytes=path.stat().st_size,
            kind=raw.kind,
            start=start,
            content=content,
            read_with=read_with,
            bytes_sha256=bytes_sha,
        )
    except BaseException:
        # Refused or interrupted (Ctrl-C) after the store was made for it: the store made
        # for this first file goes too, so the path names no empty store.
        store.remove_if_unfilled()
        raise
    if ingested.status == "added":
        ingested.read_as = read_as
        ingested.chuc_unlike = chuc_unlike
        # Most of a series' prices, as a bulletin quotes it: a Dừa xiêm written per trái
        # but for one row per chục was quoted "112,000 a chục of 14" (a test).
        ingested.per_chuc = per_chuc
        ingested.read_with = read_with
        ingested.file_dates = pd.DatetimeIndex(result.prices["date"].unique()).sort_values()
    return ingested


def _chuc_as_stored(store: Store, raw, options, size: int, unlike: list[dict]):
    """The file cleaned again per the chục (``size``) the store's latest file of its series
    was read with: a week's file ingested without the ``--chuc 14`` of its history read
    121.000 đồng per chục of 12, and the bulletin told farmers Dừa khô rose 20.7 %. A chục,
    like a date order, is what the file cannot tell; ``--chuc`` given is the user's word (a
    depot that now counts 12). Returns the cleaning result, the notes and the options taken
    from the store."""
    from dataclasses import replace

    result, notes, read_with = _clean_as_the_store_reads(
        store, raw, replace(options, chuc_size=size)
    )
    series = unlike[0]["series"] + (f" and {len(unlike) - 1:,} more" if len(unlike) > 1 else "")
    said = (
        f"{series} read per chục of {size} nuts, as the store's latest file of it was (if "
        f"this file's chục holds {options.chuc_size}, ingest it again with --chuc "
        f"{options.chuc_size})"
    )
    return result, [*notes, said], read_with | {"chuc_size": size}


def _stored_chuc(store: Store, result) -> dict[tuple, int]:
    """The store's chục of its series (``forecast.bulletin.depot.stored_per_chuc``), read
    only when the file writes something per chục."""
    from forecast.bulletin.depot import stored_per_chuc
    from forecast.clean.units import from_chuc
    from forecast.store.contents import written_prices

    if not store.path.exists() or not any(from_chuc(c) for c in result.report.conversions):
        return {}
    return stored_per_chuc(*written_prices(store))


def _plain(per_chuc: dict[tuple, int], result) -> dict[tuple, int]:
    """``per_chuc`` but the series whose unit says its nuts ("chục (14 trái)"): those are
    as the depot wrote them, neither read per the store's chục nor said to be unlike it (a
    review found both said of a week written "chục (14 trái)" beside a store's 12)."""
    from forecast.clean.units import from_chuc, says_its_nuts

    sized = {
        (c.get("commodity"), c.get("market"), c.get("price_type"), c.get("currency"))
        for c in result.report.conversions
        if from_chuc(c) and says_its_nuts(c["from"])
    }
    return {key: size for key, size in per_chuc.items() if key not in sized}


def _chuc_unlike(now: dict[tuple, int], stored: dict[tuple, int]) -> list[dict]:
    """The series this file read per a chục of another size than the store's latest file of
    them (``now``, ``stored``: series -> nuts): a week's file ingested without the ``--chuc
    14`` the history was read with makes 112.000 đồng per chục of 12 read 9,333 a nut where
    last week's 111.000 per 14 read 7,929, and the bulletin tells farmers the price rose
    17.7 %. Said, with the option that reads it as before, where it is not read so."""
    return [
        {"series": " | ".join(map(str, key)), "now": size, "stored": stored[key]}
        for key, size in now.items()
        if key in stored and stored[key] != size
    ]


#: CleanOptions that change no stored price: ``today`` only refuses future dates, and
#: ``min_length`` only names short series in the report.
_NOT_READING = ("today", "min_length")


def _reading(options, mapping, defaults) -> str:
    """How a file was asked to be read beyond its bytes, as text ('' when as it is): the
    cleaning options that differ from the defaults (but :data:`_NOT_READING`), the rates
    table's contents, the column mapping and the defaults."""
    from dataclasses import fields

    from forecast.clean import CleanOptions

    asked: dict[str, Any] = {}
    if options is not None:
        plain = CleanOptions()

        def canonical(name: str, value):
            # Flags are a set, however listed; and a list is the tuple it equals.
            return tuple(sorted(value)) if name == "keep_flags" else value

        for f in fields(options):
            if not f.compare or f.name in _NOT_READING:
                continue
            value = canonical(f.name, getattr(options, f.name))
            if value != canonical(f.name, getattr(plain, f.name)):
                asked[f.name] = list(value) if isinstance(value, tuple) else value
        if options.rates is not None:
            text = options.rates.to_csv(index=False).encode()
            asked["rates"] = hashlib.sha256(text).hexdigest()
    if mapping:
        asked["map"] = sorted(mapping.items())
    if defaults:
        asked["default"] = sorted(defaults.items())
    return json.dumps(asked, sort_keys=True, default=str) if asked else ""


def _clean_as_the_store_reads(store: Store, raw, options):
    """Clean a file, reading what it cannot tell by itself as the store's earlier files were.

    A depot's weekly file holds one date: "07/11/2025" reads as 7 November or 11 July, and
    one date has no spacing to tell weeks from months. Without ``--dayfirst`` or ``--freq``
    such a file takes the date order of the store's latest ingest that had one, and the
    frequency of the stored series it touches (all of them weekly, or all monthly); the
    report's notes say so. A file that tells (a day above 12, dates a week apart) is read as
    it tells, and the store then refuses a series whose frequency would change, as before.

    Returns the cleaning result, the notes, and the options taken from the store
    (``dayfirst``, ``freq``; empty when the file told them or they were given).
    """
    from dataclasses import replace

    from forecast.clean import clean
    from forecast.clean.dates import PERIOD_DATES, AmbiguousDatesError
    from forecast.store.contents import known_prices

    # A "56.500" in nghìn đồng that the file cannot tell: 56.5 beside stored 56,000 đồng.
    if options.decimal is None:
        options = replace(options, known_prices=known_prices(store))
    notes = []
    read_with: dict[str, Any] = {}
    if options.dayfirst is not None and raw.kind not in ("wfp", "pinksheet"):
        # The order given stands, but a store whose sheets were read the other way is said:
        # a week's 05/01/2026 read with --monthfirst went in as May, 17 weeks off.
        remembered = _stored_date_order(store, raw, most=True)
        if remembered is not None and remembered[0] != options.dayfirst:
            given, stored = ("dd/mm/yyyy", "mm/dd/yyyy")[:: 1 if options.dayfirst else -1]
            flag = "--dayfirst" if options.dayfirst else "--monthfirst"
            other = "--monthfirst" if options.dayfirst else "--dayfirst"
            notes.append(
                f"dates read as {given}, as {flag} says, where the store's ingests read theirs "
                f"as {stored} (#{remembered[1]} the latest): if this file is written so too, "
                f"ingest it again with {other}, and take out the misdated prices with "
                "'cropcast store remove --date'"
            )
    try:
        result = clean(raw, options)
    except AmbiguousDatesError:
        remembered = _stored_date_order(store, raw) if options.dayfirst is None else None
        if remembered is None:
            raise
        dayfirst, ingest_id = remembered
        options = replace(options, dayfirst=dayfirst)
        read_with["dayfirst"] = dayfirst
        order = "dd/mm/yyyy" if dayfirst else "mm/dd/yyyy"
        notes.append(f"dates read as {order}, as the store's ingest #{ingest_id} read them")
        result = clean(raw, options)
    if options.freq is None and _most_dates(result.prices) <= 1:
        stored = _stored_frequency(store, result.prices)
        if stored is None and result.report.freq_why not in PERIOD_DATES:
            # Nothing stored to follow, and one date a series tells no spacing: a guess
            # here sets the store's frequency for good. A week's file dated on a Friday
            # made a monthly store, and each later week revised the one before it.
            raise UsageError(
                "every series in this file has one date, so it cannot tell weekly prices "
                "from monthly ones, and the store has no series of one frequency to follow",
                str(raw.source),
                "Give --freq weekly (or --freq monthly) with this file; later files follow it",
            )
        if stored is not None and stored != result.report.freq:
            options = replace(options, freq=stored)
            read_with["freq"] = stored
            result = clean(raw, options)
            notes.append(
                f"prices taken as {stored}, as the stored series are (one date tells no spacing)"
            )
        if stored == "monthly" and not _month_days(raw, result.report.dayfirst):
            # A week's price, dated mid-month, becomes the month's: each later week of the
            # month then replaces it (kept in revisions) rather than joining a median.
            notes.append(
                "each price stands for its month, as the stored series are monthly: a later "
                "file of the same month replaces it (the old price kept in the revisions); "
                "weekly prices need a store of their own, started with --freq weekly"
            )
    elif (
        options.freq is None
        and result.report.freq == "monthly"
        and _most_dates(result.prices) <= FEW_DATES
        and _stored_frequency(store, result.prices, touched_only=True) == "weekly"
    ):
        # The file's few dates read as monthly by their spacing (a catch-up file of weeks
        # far apart): beside its own stored series, all weekly, they are weeks, if weeks
        # fit them at all (monthly prices on the 15th do not, and are refused below). The
        # other way is not taken: weeks folded into a stored month would revise its price
        # with part of a month; the refusal says to give --freq monthly.
        try:
            followed = clean(raw, replace(options, freq="weekly"))
        except (UsageError, InputError):  # monthly prices, or dates naming months
            pass
        else:
            result = followed
            read_with["freq"] = "weekly"
            notes.append(
                "prices taken as weekly, as the stored series are (by their spacing alone "
                "the file's dates read as monthly)"
            )
    result.report.notes.extend(notes)
    return result, notes, read_with


def _month_days(raw, dayfirst: bool | None) -> bool:
    """Whether every date of the file is one a monthly price is dated by: the 1st, the
    15th (WFP's) or a month's end (unreadable dates, refused anyway, do not count)."""
    from forecast.clean.dates import parse_date

    days = []
    for value in raw.table["date"].drop_duplicates():
        with suppress(Exception):
            days.append(pd.Timestamp(parse_date(value, dayfirst).value))
    return all(d.day in (1, 15) or d.is_month_end for d in days)


def _stored_date_order(store: Store, raw, most: bool = False) -> tuple[bool, int] | None:
    """(dayfirst, ingest_id) of the latest ingest that read its dates one way or the other,
    among those whose prices the store holds for the file's commodities and markets; with
    none, among the user's own sheets. A WFP or Pink Sheet file's order is its format's
    (m/d/yyyy, 1960M01), never a depot's: a depot file is not read by it. ``most``: of the
    order most of those ingests read (``None`` when as many read each)."""
    if not store.path.exists():  # a store still to be made remembers nothing
        return None
    table = raw.table
    names = table[["commodity", "market"]].astype(str).apply(lambda c: c.str.strip().str.lower())
    pairs = names.drop_duplicates()
    with store.reading() as con:
        found = con.execute(
            # The report's word read once per ingest, before the join (see SERIES_FREQUENCY).
            "SELECT i.ingest_id, i.dayfirst, "
            "lower(p.commodity) AS commodity, lower(p.market) AS market, i.kind "
            "FROM (SELECT ingest_id, kind, json_extract(report, '$.dayfirst') AS dayfirst "
            "FROM ingests) i "
            "JOIN (SELECT DISTINCT ingest_id, commodity, market FROM prices) p "
            "USING (ingest_id) WHERE i.dayfirst IN ('true', 'false')"
        ).df()
    found = found[~found["kind"].isin(["wfp", "pinksheet"])]  # their format's order
    if found.empty:
        return None
    touched = found.merge(pairs, on=["commodity", "market"])
    if touched.empty:
        touched = found
    touched = touched.drop_duplicates("ingest_id").sort_values("ingest_id")
    if most:  # the order most of those ingests read (a mistaken latest one is outvoted)
        orders = touched["dayfirst"].astype(str).str.strip('"')
        counts = orders.value_counts()
        if len(counts) > 1 and counts.iloc[0] == counts.iloc[1]:
            return None  # as many each way: nothing to say
        touched = touched[(orders == counts.index[0]).to_numpy()]
    latest = touched.iloc[-1]
    return str(latest["dayfirst"]).strip('"') == "true", int(latest["ingest_id"])


#: A file with this many dates a series or fewer cannot tell weeks from months by itself.
FEW_DATES = 4


def _most_dates(prices: pd.DataFrame) -> int:
    """The most prices (estimates aside) any series of the file has: with one, or a few,
    the file's own spacing cannot tell its frequency."""
    from forecast.table import interpolated

    real = prices[~interpolated(prices)]
    return int(real.groupby(list(KEY))["date"].nunique().max()) if len(real) else 0


def _stored_frequency(store: Store, prices: pd.DataFrame, touched_only: bool = False) -> str | None:
    """ "weekly" or "monthly" when the stored series the file touches (or, if it touches
    none and not ``touched_only``, all stored series) are all on that frequency
    (:data:`~forecast.store.contents.SERIES_FREQUENCY`); ``None`` if they mix or none is
    stored."""
    from forecast.store.contents import SERIES_FREQUENCY

    if not store.path.exists():
        return None
    with store.reading() as con:
        stored = con.execute(SERIES_FREQUENCY).df()
    touched = stored.merge(prices[list(KEY)].drop_duplicates(), on=list(KEY))
    chosen = touched if len(touched) or touched_only else stored
    freqs = set(chosen["freq"])
    return freqs.pop() if len(freqs) == 1 else None


def ingest_clean(
    store: Store,
    result,
    *,
    file_name: str,
    sha256: str,
    file_bytes: int = 0,
    kind: str | None = None,
    start: float | None = None,
    content: str | None = None,
    read_with: dict | None = None,
    bytes_sha256: str | None = None,
) -> IngestResult:
    """Write a :class:`~forecast.clean.CleanResult` to the store in one transaction.

    ``sha256`` identifies the file read one way; when it is already in the store (another
    process may have added it meanwhile), or an ingest with the same ``content``
    (:func:`content_sha256`) is, nothing is written and the result says ``"duplicate"``;
    given the file's ``bytes_sha256``, only while no other reading of those bytes has
    replaced its stored prices (:func:`_displaced`), else it is read again and puts back
    those prices alone. ``content``, ``read_with`` (options taken from the store) and
    ``bytes_sha256`` go in the ingest's report.
    """
    start = time.perf_counter() if start is None else start
    report = result.report
    prices = validate(result.prices)[list(COLUMNS)]
    prices = prices.assign(date=pd.to_datetime(prices["date"]).astype("datetime64[ns]"))
    rejected = _rejected_frame(result.rejected)
    with store.writing() as con:
        earlier = _find(con, sha256, content)
        if earlier is not None and bytes_sha256 is None:
            return _duplicate(file_name, sha256, earlier, start)
        con.register("cropcast_incoming", prices)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE incoming AS SELECT {_KEY}, "
            "CAST(date AS DATE) AS date, price, flags FROM cropcast_incoming"
        )
        con.unregister("cropcast_incoming")
        kept = _keep_stored_count_units(con)
        # A reading an earlier ingest had (this sha256, or this content): the file again,
        # unless another reading of the same bytes has since replaced some of its prices
        # (--monthfirst after the dd/mm reading). Then it is read again, and puts back only
        # those: a value another file wrote is a correction that stands, and a price the
        # store no longer has was removed (store remove) and stays out.
        again: list[int] = []
        if earlier is not None:
            again = _same_bytes(con, bytes_sha256)
            if not _displaced(con, again):
                return _duplicate(file_name, sha256, earlier, start)
            # The ingest names the reading again; its sha256 must be its own.
            sha256 = hashlib.sha256(f"{sha256}\0again\0{max(again)}".encode()).hexdigest()
        _check_frequencies(con, file_name)
        twins = _spelled_like_stored(con)
        twins_in_file = _spelled_alike_in_file(con, twins)
        near_twins, near_twins_in_file = _one_letter_from_names(con)
        other_units = _other_unit_than_stored(con)
        # Read again (``again``): only values another reading of these bytes wrote change.
        ours = f"p.ingest_id IN ({', '.join(map(str, again))})" if again else "true"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE classified AS
            SELECT i.*, p.price AS old_price, p.flags AS old_flags, p.source AS old_source,
                p.ingest_id AS old_ingest_id,
                CASE
                    WHEN p.price IS NULL THEN {"'same'" if again else "'add'"}
                    WHEN {_ESTIMATE.format("i.flags")} THEN 'same'
                    WHEN NOT ({ours}) THEN 'same'
                    WHEN abs(i.price - p.price) > 1e-9 * abs(p.price) THEN 'revise'
                    WHEN {_ESTIMATE.format("p.flags")} THEN 'revise'
                    ELSE 'same'
                END AS action
            FROM incoming i LEFT JOIN prices p USING ({_KEY}, date)"""
        )
        counts = dict(con.execute("SELECT action, count(*) FROM classified GROUP BY 1").fetchall())
        added, unchanged, revised = (int(counts.get(a, 0)) for a in ("add", "same", "revise"))
        (ingest_id,) = con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingests").fetchone()
        now = utc_now()
        con.execute(
            "INSERT INTO ingests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ingest_id,
                file_name,
                sha256,
                int(file_bytes),
                kind,
                report.freq,
                report.rows_in,
                report.rows_kept,
                report.rows_merged,
                report.rows_rejected,
                int(report.interpolated),
                added,
                unchanged,
                revised,
                now,
                json.dumps(
                    report.to_dict()
                    | ({"content_sha256": content} if content else {})
                    | ({"bytes_sha256": bytes_sha256} if bytes_sha256 else {})
                    | ({"read_with": read_with} if read_with else {}),
                    ensure_ascii=False,
                    default=str,
                ),
            ],
        )
        con.execute(
            f"INSERT INTO prices SELECT {_KEY}, date, price, flags, ?, ? "
            "FROM classified WHERE action = 'add'",
            [file_name, ingest_id],
        )
        con.execute(
            f"""INSERT INTO revisions SELECT ?, {_KEY}, date, old_price, old_flags, old_source,
                old_ingest_id, price, flags FROM classified WHERE action = 'revise'""",
            [ingest_id],
        )
        con.execute(
            f"""UPDATE prices SET price = c.price, flags = c.flags, source = ?, ingest_id = ?
            FROM classified c WHERE c.action = 'revise' AND {_JOIN_KEY}""",
            [file_name, ingest_id],
        )
        reestimated = _refresh_estimates(con, file_name, ingest_id)
        outliers = _review_outliers(con)
        if len(outliers):  # the ingest's own record says which marks it moved
            (text,) = con.execute(
                "SELECT report FROM ingests WHERE ingest_id = ?", [ingest_id]
            ).fetchone()
            record = json.loads(text) | {"outliers": outlier_records(outliers)}
            con.execute(
                "UPDATE ingests SET report = ? WHERE ingest_id = ?",
                [json.dumps(record, ensure_ascii=False, default=str), ingest_id],
            )
        if len(rejected):
            con.register("cropcast_rejected", rejected)
            con.execute(
                "INSERT INTO rejected SELECT ?, file_row, reason, original FROM cropcast_rejected",
                [ingest_id],
            )
            con.unregister("cropcast_rejected")
        put_back = (
            [
                {"ingest_id": int(i), "file": f, "prices": int(n)}
                for i, f, n in con.execute(
                    "SELECT old_ingest_id, any_value(old_source), count(*) FROM classified "
                    "WHERE action = 'revise' GROUP BY 1 ORDER BY 1"
                ).fetchall()
            ]
            if again
            else []
        )
        revisions = con.execute(
            f"""SELECT {_KEY}, date, old_price, old_flags, old_source, price AS new_price,
                flags AS new_flags FROM classified WHERE action = 'revise'
            ORDER BY {_KEY}, date"""
        ).df()
        con.execute("DROP TABLE incoming")
        con.execute("DROP TABLE classified")
        _pause_for_tests()
    if not revisions.empty:
        revisions["date"] = pd.to_datetime(revisions["date"]).astype("datetime64[ns]")
    return IngestResult(
        file=file_name,
        sha256=sha256,
        status="added",
        ingest_id=int(ingest_id),
        ingested_at=now,
        report=report,
        added=added,
        unchanged=unchanged,
        revised=revised,
        revisions=revisions,
        reestimated=reestimated,
        seconds=time.perf_counter() - start,
        units_kept=kept,
        outliers=outliers,
        twins=twins,
        twins_in_file=twins_in_file,
        near_twins=near_twins,
        near_twins_in_file=near_twins_in_file,
        other_units=other_units,
        put_back=put_back,
    )


def _displaced(con, same_bytes: list[int]) -> int:
    """How many prices of ``incoming`` (a reading an earlier ingest had) the store now holds
    otherwise, as written by another reading of the same bytes (ingests ``same_bytes``).

    Why only those: the same file again must not undo a later file's corrections (gia_sua.csv
    revising gia_thang.csv's December), so where another file wrote the stored value this
    reading is still the file again. But a misreading of the same bytes (``--monthfirst``
    after the dd/mm reading) replaced this reading's prices with its own; the reading asked
    for again is then a new word on those dates, and puts them back. Values this reading
    would not change (equal, or only an estimate here) and dates no longer stored do not
    count.
    """
    if not same_bytes:
        return 0
    ids = ", ".join(map(str, same_bytes))
    ((n,),) = con.execute(
        f"""SELECT count(*) FROM incoming i JOIN prices p USING ({_KEY}, date)
        WHERE p.ingest_id IN ({ids}) AND NOT {_ESTIMATE.format("i.flags")}
          AND (abs(i.price - p.price) > 1e-9 * abs(p.price) OR {_ESTIMATE.format("p.flags")})"""
    ).fetchall()
    return int(n)


def _refresh_estimates(con, file_name: str, ingest_id: int) -> pd.DataFrame:
    """Interpolate the estimates of the series in ``incoming`` again, between the real prices
    now stored on either side; returns the re-estimated ones (revision columns).

    An estimate was interpolated between the real prices its own file had. A later real
    price inside that gap, or a revised neighbour, leaves it stale (possibly outside its
    neighbours), and forecasts read it. A moved estimate that an earlier ingest wrote goes
    to ``revisions``, like any replaced value; one this ingest wrote was never committed and
    is only corrected. Real prices are never touched.
    """
    rows = con.execute(
        f"""WITH touched AS (SELECT DISTINCT {_KEY} FROM incoming),
        holey AS (SELECT DISTINCT {_KEY} FROM prices SEMI JOIN touched USING ({_KEY})
            WHERE {_ESTIMATE.format("flags")})
        SELECT {_KEY}, date, price, flags, source, ingest_id FROM prices
        SEMI JOIN holey USING ({_KEY}) ORDER BY {_KEY}, date"""
    ).df()
    columns = [*KEY, "date", "old_price", "old_flags", "old_source", "new_price", "new_flags"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows["date"] = pd.to_datetime(rows["date"]).astype("datetime64[ns]")
    estimate = rows["flags"].map(_is_estimate).to_numpy(bool)
    fresh = rows["price"].to_numpy(float, copy=True)
    for _, part in rows.groupby(list(KEY), sort=False):
        dates = part["date"].dt
        # Where each date sits: months for a monthly series (all on the 1st, as the store
        # tells frequencies apart), else days; interpolation only needs the proportions.
        if (dates.day == 1).all():
            position = (dates.year * 12 + dates.month).to_numpy(float)
        else:
            position = (part["date"] - pd.Timestamp(0)).dt.days.to_numpy(float)
        real = ~estimate[part.index]
        if real.sum() < 2:
            continue
        known, logs = position[real], np.log(part["price"].to_numpy(float)[real])
        inside = ~real & (position > known[0]) & (position < known[-1])
        fresh[part.index[inside]] = np.exp(np.interp(position[inside], known, logs))
    stored = rows["price"].to_numpy(float)
    moved = estimate & (np.abs(fresh - stored) > 1e-9 * stored)
    if not moved.any():
        return pd.DataFrame(columns=columns)
    changed = rows[moved].assign(new_price=fresh[moved])
    con.register("cropcast_reestimated", changed)
    con.execute(
        f"""INSERT INTO revisions SELECT ?, {_KEY}, CAST(date AS DATE), price, flags, source,
            ingest_id, new_price, flags FROM cropcast_reestimated WHERE ingest_id <> ?""",
        [ingest_id, ingest_id],
    )
    con.execute(
        f"""UPDATE prices SET price = c.new_price, source = ?, ingest_id = ?
        FROM (SELECT {_KEY}, CAST(date AS DATE) AS date, new_price FROM cropcast_reestimated) c
        WHERE {_JOIN_KEY}""",
        [file_name, ingest_id],
    )
    con.unregister("cropcast_reestimated")
    earlier = changed[changed["ingest_id"] != ingest_id].rename(
        columns={"price": "old_price", "flags": "old_flags", "source": "old_source"}
    )
    return earlier.assign(new_flags=earlier["old_flags"])[columns].reset_index(drop=True)


def _spelled_like_stored(con) -> list[tuple[str, str]]:
    """Series of ``incoming`` new to the store whose names differ from a stored series' only
    in accents, capitals or spaces ("Dua kho | Cho Lach" beside "Dừa khô | Chợ Lách"): a
    correction typed on another keyboard goes in as a series of its own, so say so now."""
    from forecast.clean.base import fold

    new = con.execute(
        f"SELECT DISTINCT {_KEY} FROM incoming ANTI JOIN prices USING ({_KEY})"
    ).fetchall()
    if not new:
        return []
    stored = {}
    for key in con.execute(f"SELECT DISTINCT {_KEY} FROM prices").fetchall():
        stored.setdefault(tuple(map(fold, key)), key)
    return [
        (series_label(key), series_label(stored[folded]))
        for key in new
        if (folded := tuple(map(fold, key))) in stored
    ]


def _spelled_alike_in_file(con, like_stored: list[tuple[str, str]]) -> list[list[str]]:
    """The file's own series whose names differ only in accents, capitals or spaces ("Tan
    Thanh Binh" beside "Tân Thành Bình" in one sheet): both go in, as series of their own,
    and a store's first file has no stored name to compare with. Groups whose new series
    ``like_stored`` already names are left to that line."""
    from forecast.table import case_twins

    keys = con.execute(f"SELECT DISTINCT {_KEY} FROM incoming ORDER BY ALL").df()
    said = {new for new, _ in like_stored}
    groups = [[series_label(key) for key in group] for group in case_twins(keys)]
    return [group for group in groups if not said.intersection(group)]


def _one_letter_from_names(con) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Series of ``incoming`` new to the store whose commodity or market is one letter from
    a stored one's ("Bưởi da xah" beside "Bưởi da xanh"), and pairs of the file's own series
    so, one of them new (a store's first file): a typo goes in as a series of its own, and
    out to farmers in the next bulletin, so say so now."""
    from forecast.table import one_letter_twins

    new = con.execute(f"SELECT DISTINCT {_KEY} FROM incoming ANTI JOIN prices USING ({_KEY})").df()
    stored = con.execute(f"SELECT DISTINCT {_KEY} FROM prices").df()
    beside = []
    if not new.empty and not stored.empty:
        beside = [(series_label(a), series_label(b)) for a, b in one_letter_twins(new, stored)]
    said = {a for a, _ in beside}
    fresh = {series_label(tuple(key)) for key in new.itertuples(index=False, name=None)}
    mine = con.execute(f"SELECT DISTINCT {_KEY} FROM incoming ORDER BY ALL").df()
    pairs = [(series_label(a), series_label(b)) for a, b in one_letter_twins(mine)]
    # A pair the store holds already was said when it went in: each later file's would
    # say it again (a review).
    in_file = [pair for pair in pairs if fresh.intersection(pair) and not said.intersection(pair)]
    return beside, in_file


def _other_unit_than_stored(con) -> list[tuple[str, str]]:
    """Series of ``incoming`` new to the store beside a stored one of the same commodity,
    market and price type in another unit or currency ("per quintal" beside "per kg", "KES"
    beside "KSH"): the same prices written another way go in as a series of their own, and
    the forecast of the stored one stops at its last price, so say so now."""
    names = "commodity, market, price_type"
    rows = con.execute(
        f"""WITH new AS (SELECT DISTINCT {_KEY} FROM incoming ANTI JOIN prices USING ({_KEY}))
        SELECT DISTINCT n.commodity, n.market, n.price_type, n.unit, n.currency,
            p.unit AS stored_unit, p.currency AS stored_currency
        FROM new n JOIN (SELECT DISTINCT {_KEY} FROM prices) p USING ({names})
        ORDER BY ALL"""
    ).fetchall()
    return [(series_label(row[:5]), series_label((*row[:3], row[5], row[6]))) for row in rows]


#: Columns of ``IngestResult.outliers``: ``mark`` is "flagged" or "cleared"; ``local_median``
#: the median of the prices around it, what the price stands out from.
OUTLIER_COLUMNS = (*KEY, "date", "price", "local_median", "mark")


def _review_outliers(con) -> pd.DataFrame:
    """Clean's outlier step over the whole stored history of every series in ``incoming``
    (it judges earlier marks again), its marks written back; returns the prices whose mark
    changed (``OUTLIER_COLUMNS``; ``local_median`` only for those it flagged)."""
    from forecast.clean import CleanOptions
    from forecast.clean.outliers import find_outliers

    rows = con.execute(
        f"""WITH touched AS (SELECT DISTINCT {_KEY} FROM incoming)
        SELECT {_KEY}, date, price, flags FROM prices SEMI JOIN touched USING ({_KEY})
        WHERE NOT {_ESTIMATE.format("flags")} ORDER BY {_KEY}, date"""
    ).df()
    if rows.empty:
        return pd.DataFrame(columns=list(OUTLIER_COLUMNS))
    rows["date"] = pd.to_datetime(rows["date"]).astype("datetime64[ns]")
    judged = find_outliers(rows, CleanOptions(outliers="flag"))
    moved = (judged.frame["flags"] != rows["flags"]).to_numpy()
    if not moved.any():
        return pd.DataFrame(columns=list(OUTLIER_COLUMNS))
    changed = rows[moved].assign(flags=judged.frame["flags"][moved])
    around = {(o["series"], o["date"]): o["local_median"] for o in judged.details["outliers"]}
    changed["local_median"] = [
        around.get((series_label(key), f"{date:%Y-%m-%d}"), np.nan)
        for key, date in zip(
            changed[list(KEY)].itertuples(index=False), changed["date"], strict=True
        )
    ]
    changed["mark"] = np.where(changed["flags"].str.contains("outlier"), "flagged", "cleared")
    con.register("cropcast_marks", changed)
    con.execute(
        f"""UPDATE prices SET flags = c.flags
        FROM (SELECT {_KEY}, CAST(date AS DATE) AS date, flags FROM cropcast_marks) c
        WHERE {_JOIN_KEY}"""
    )
    con.unregister("cropcast_marks")
    return changed[list(OUTLIER_COLUMNS)].reset_index(drop=True)


def outlier_records(outliers: pd.DataFrame) -> list[dict]:
    """``IngestResult.outliers`` as JSON-ready records."""
    return [
        {
            "series": series_label(tuple(row[c] for c in KEY)),
            "date": f"{row['date']:%Y-%m-%d}",
            "price": float(row["price"]),
            "local_median": None if pd.isna(row["local_median"]) else float(row["local_median"]),
            "mark": row["mark"],
        }
        for row in outliers.to_dict(orient="records")
    ]


def _rejected_frame(rejected: pd.DataFrame) -> pd.DataFrame:
    """Refused rows as ``file_row, reason, original`` (the row as written, JSON)."""
    if rejected is None or rejected.empty:
        return pd.DataFrame({"file_row": [], "reason": [], "original": []})
    columns = [c for c in rejected.columns if c not in ("row", "reason")]
    body = rejected[columns].astype(object)
    body = body.where(body.notna(), None)
    originals = [
        json.dumps(dict(zip(columns, values, strict=True)), ensure_ascii=False, default=str)
        for values in body.itertuples(index=False, name=None)
    ]
    rows = pd.to_numeric(rejected["row"], errors="coerce").astype("Int64")
    return pd.DataFrame(
        {
            "file_row": rows.reset_index(drop=True),
            "reason": rejected["reason"].astype(str).to_numpy(),
            "original": originals,
        }
    )


def piece_unit_renames(con, table: str) -> list[tuple]:
    """``(commodity, market, price_type, unit, currency, stored unit)`` for each series of
    ``table`` (a relation with the key columns) priced per piece whose history the store
    holds under the other piece unit's name.

    Both units are one piece, so no price changes; only the name joins the history. A
    series whose own name is stored, that ``table`` has under both names, or that the store
    holds under both, is left alone.
    """
    # Until eggs' "Unit" became "unit" (November 2026), every piece was a "nut".
    pieces = ", ".join(f"'{u}'" for u in ONE_PIECE)
    same = " AND ".join(
        f"{{a}}.{c} = {{b}}.{c}" for c in ("commodity", "market", "price_type", "currency")
    )
    return con.execute(
        f"""SELECT DISTINCT i.commodity, i.market, i.price_type, i.unit, i.currency, s.unit
        FROM {table} i JOIN (SELECT DISTINCT commodity, market, price_type, currency, unit
                              FROM prices WHERE unit IN ({pieces})) s
            ON {same.format(a="i", b="s")} AND i.unit <> s.unit
        WHERE i.unit IN ({pieces})
          AND NOT EXISTS (SELECT 1 FROM prices p WHERE {same.format(a="p", b="i")}
                          AND p.unit = i.unit)
          AND NOT EXISTS (SELECT 1 FROM {table} j WHERE {same.format(a="j", b="i")}
                          AND j.unit <> i.unit AND j.unit IN ({pieces}))
          AND NOT EXISTS (SELECT 1 FROM prices q WHERE {same.format(a="q", b="i")}
                          AND q.unit IN ({pieces}) AND q.unit <> s.unit)
        ORDER BY 1, 2, 3, 5"""
    ).fetchall()


def _keep_stored_count_units(con) -> list[dict]:
    """Incoming series priced per piece take the piece unit their stored history has
    (:func:`piece_unit_renames`). Returns ``{series, file_unit, stored_unit}`` per series
    renamed, for the ingest's result."""
    renamed = piece_unit_renames(con, "incoming")
    for commodity, market, price_type, unit, currency, stored in renamed:
        con.execute(
            "UPDATE incoming SET unit = ? WHERE commodity = ? AND market = ? AND price_type = ? "
            "AND currency = ? AND unit = ?",
            [stored, commodity, market, price_type, currency, unit],
        )
    return [
        {"series": series_label((c, m, t, stored, cur)), "file_unit": unit, "stored_unit": stored}
        for c, m, t, unit, cur, stored in renamed
    ]


def _check_frequencies(con, file_name: str) -> None:
    """Refuse a file whose series would mix month starts and Mondays with the stored ones."""
    conflicts = con.execute(
        f"""WITH touched AS (SELECT DISTINCT {_KEY} FROM incoming),
        dates AS (
            SELECT {_KEY}, date, 'store' AS side FROM prices SEMI JOIN touched USING ({_KEY})
            UNION ALL SELECT {_KEY}, date, 'file' AS side FROM incoming
        )
        SELECT {_KEY},
            bool_and(day(date) = 1) FILTER (WHERE side = 'store') AS store_monthly,
            bool_and(day(date) = 1) FILTER (WHERE side = 'file') AS file_monthly
        FROM dates GROUP BY ALL
        HAVING NOT (bool_and(day(date) = 1) OR bool_and(isodow(date) = 1))
        ORDER BY ALL LIMIT 3"""
    ).fetchall()
    if not conflicts:
        return
    first = conflicts[0]

    def name(monthly) -> str:
        return "monthly" if monthly else "weekly"

    stored, incoming = name(first[5]), name(first[6])
    # Weeks fold into months; months cannot be spread onto weeks (--freq weekly refuses a
    # file of monthly prices), so that case needs series, or a store, of their own.
    fix = (
        f"Ingest it with --freq {stored} so the store keeps one frequency per series"
        if stored == "monthly"
        else "Monthly prices cannot join weekly series (weeks would be made up): ingest "
        "them into a store of their own (--db FILE)"
    )
    raise InputError(
        f"series {series_label(first[:5])} is {stored} in the store but {incoming} in this file"
        + (f" (and {len(conflicts) - 1:,}+ more series)" if len(conflicts) > 1 else ""),
        file_name,
        f"{fix}; the store is unchanged",
    )


def _pause_for_tests() -> None:
    value = os.environ.get(PAUSE_ENV, "").strip()
    if not value:
        return
    sys.stderr.write(PAUSE_MESSAGE + "\n")
    sys.stderr.flush()
    try:
        time.sleep(float(value))
    except ValueError:  # a file name: wait until the test creates it (at most 5 minutes)
        deadline = time.monotonic() + 300
        while not Path(value).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
