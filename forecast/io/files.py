"""Bytes -> cells: format and encoding sniffing, delimiter sniffing (path checks: forecast.checks).

Everything here turns a file into a table of strings (or, for Excel, rows of cell values) and
refuses, with one clear ``InputError``, anything that is not a readable table. Nothing here
knows about price columns; nothing here writes to the input file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import decimal
import io
import math
import re
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import InputError

TEXT, EXCEL, PARQUET = "text", "excel", "parquet"

# Magic numbers of files people rename to .csv by mistake; named so the error says what it is.
_BINARY_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF document",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
    b"SQLite format 3": "an SQLite database",
}
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls (and old .doc)
_DELIMITERS = (",", "\t", ";", "|")


def _check_workbook(path: Path) -> None:
    """A zip file that is not an .xlsx workbook says what it is: a zipped CSV was told to be
    opened in Excel and saved again as .xlsx."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            kind = (
                archive.read("mimetype")[:80].decode("ascii", "replace")
                if "mimetype" in names
                else ""
            )
    except (zipfile.BadZipFile, OSError, KeyError):
        return  # read_sheet says it is not a readable workbook
    if "xl/workbook.xml" in names or not names:
        return
    if "xl/workbook.bin" in names:
        raise InputError(
            "is an Excel binary workbook (.xlsb), which cropcast cannot read",
            path.name,
            "Open it in Excel or LibreOffice and save it as .xlsx or CSV",
        )
    if "opendocument.spreadsheet" in kind:
        raise InputError(
            "is an OpenDocument spreadsheet (.ods), which cropcast cannot read",
            path.name,
            "Open it in LibreOffice and save it as .xlsx or CSV",
        )
    what = {"word/document.xml": "a Word document", "ppt/presentation.xml": "a PowerPoint file"}
    for part, document in what.items():
        if part in names:
            raise InputError(
                f"is {document}, not a price table",
                path.name,
                "Give a CSV, TSV, Excel (.xlsx) or Parquet file",
            )
    files = [n for n in names if not n.endswith("/")]
    shown = ", ".join(files[:3]) + (f" and {len(files) - 3:,} more" if len(files) > 3 else "")
    raise InputError(
        f"is a zip archive ({shown}), not a price table",
        path.name,
        "Unzip it and give the file inside",
    )


def sniff_format(path: Path) -> tuple[str, list[str]]:
    """Decide ``"text"``, ``"excel"`` or ``"parquet"`` from the file's first bytes.

    Content wins over the extension: spreadsheet tools often save tab-separated text as
    ``.xls`` and users rename files, so the extension only breaks ties.
    """
    with path.open("rb") as handle:
        head = handle.read(16)
    suffix = path.suffix.lower()
    notes: list[str] = []
    if head.startswith(b"PK\x03\x04"):
        _check_workbook(path)
        fmt = EXCEL
    elif head.startswith(b"PAR1"):
        fmt = PARQUET
    elif head.startswith(_OLE2):
        raise InputError(
            "is an Excel 97-2003 workbook (.xls), which cropcast cannot read",
            path.name,
            "Open it in Excel or LibreOffice and save it as .xlsx or CSV",
        )
    else:
        for magic, what in _BINARY_MAGIC.items():
            if head.startswith(magic):
                raise InputError(
                    f"is {what}, not a price table",
                    path.name,
                    "Give a CSV, TSV, Excel (.xlsx) or Parquet file",
                )
        fmt = TEXT
    expected = {
        ".xlsx": EXCEL,
        ".xlsm": EXCEL,
        ".xls": EXCEL,
        ".parquet": PARQUET,
        ".pq": PARQUET,
    }.get(suffix, TEXT)
    if fmt != expected:
        notes.append(
            f"{path.name} is named {suffix or 'without an extension'} but holds "
            f"{fmt} data; read it as {fmt}"
        )
    return fmt, notes


def decode(data: bytes, name: str, encoding: str | None = None) -> tuple[str, list[str]]:
    """Bytes -> text, detecting UTF-8 (with or without BOM) and UTF-16/32 with a BOM.

    Falls back to cp1258 (Windows Vietnamese) or cp1252 (Windows Western European), as the
    letters say, then latin-1, with a note, because a silent wrong guess would garble
    market names without anyone noticing.
    """
    notes: list[str] = []
    if encoding:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise InputError(
                f"unknown encoding {encoding!r}",
                name,
                "Use a Python codec name such as utf-8, utf-16 or cp1258",
            ) from None
        except UnicodeDecodeError as exc:
            raise InputError(
                f"cannot be decoded as {encoding} ({exc.reason} at byte {exc.start})",
                name,
                "Leave the encoding out to detect it",
            ) from None
        return _check_text(text.lstrip("\ufeff"), name), notes
    codec = _bom_codec(data) or _utf16_without_bom(data)
    if codec is None and b"\x00" in data[:4096]:
        raise _binary(name)
    try:
        text = data.decode(codec or "utf-8")
    except UnicodeDecodeError:
        if codec:  # a BOM that lies, or a UTF-16 file cut in half
            raise InputError(
                f"starts like {codec} but cannot be decoded as it",
                name,
                "Export the file again as UTF-8 CSV",
            ) from None
        text, used = _legacy_decode(data)
        notes.append(_guessed_note(name, used, text))
    return _check_text(text.lstrip("\ufeff"), name), notes


#: What the note on a file read in a guessed encoding says after the file's name.
NOT_UTF8 = " is not UTF-8; read it as "


def _guessed_note(name: str, used: str, text: str) -> str:
    """The note on a guessed encoding, with a word it decoded for the user to judge."""
    word = _ACCENTED_WORD.search(text[:20000])
    example = f" (e.g. '{word[0][:30]}')" if word else ""
    return (
        f"{name}{NOT_UTF8}{used}, a guess{example}: if accented names look wrong, "
        "re-save the file as UTF-8 (in Excel: 'CSV UTF-8')"
    )


def encoding_note(notes: list[str]) -> str | None:
    """The reader's note on a file whose encoding it guessed, if any."""
    return next((note for note in notes if NOT_UTF8 in note), None)


#: A word holding a letter beyond ASCII, as a table's cell writes it.
_ACCENTED_WORD = re.compile(r"[^\s,;|\t\"]*[^\x00-\x7f][^\s,;|\t\"]*")


def _bom_codec(data: bytes) -> str | None:
    # UTF-32 first: its little-endian BOM begins with the UTF-16 one.
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return codec
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    # Mostly-ASCII UTF-16 has a zero in every other byte; random binary has them scattered.
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / len(sample[0::2])
    odd = sample[1::2].count(0) / len(sample[1::2])
    if odd > 0.4 and even < 0.05:
        return "utf-16-le"
    if even > 0.4 and odd < 0.05:
        return "utf-16-be"
    return None


_CP1258 = "cp1258 (Windows Vietnamese)"
_CP1252 = "cp1252 (Windows Western European)"


def _legacy_decode(data: bytes) -> tuple[str, str]:
    """Text from a file that is not UTF-8: Windows Vietnamese or Western European, as its
    letters say (see :func:`_reads_as_vietnamese`), else latin-1, which reads any bytes."""
    try:
        vietnamese = data.decode("cp1258")
    except UnicodeDecodeError:
        vietnamese = None
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if vietnamese is not None and (western is None or _reads_as_vietnamese(vietnamese)):
        # cp1258 writes Vietnamese tones as combining marks; NFC makes them the same
        # characters a UTF-8 file would hold, so "Mỏ Cày" matches across files.
        return unicodedata.normalize("NFC", vietnamese), _CP1258
    if western is not None:
        return western, _CP1252
    return data.decode("latin-1"), "latin-1"


#: The combining tones cp1258 writes after a vowel; cp1252 reads their bytes as Ì Ò Þ ì ò.
_TONES = "\u0300\u0301\u0303\u0309\u0323"
#: Letters that may follow ă and ơ in a Vietnamese syllable (tones aside): "ăn", "ơi";
#: ơ may end one ("mơ"), ă never does.
_AFTER = {"ă": "cmnpt", "ơ": "imnpt"}
#: The characters whose place tells the two encodings apart.
_TELLING = re.compile(f"[{_TONES}đĐăĂơƠ]")


def _is_vowel(ch: str) -> bool:
    return bool(ch) and unicodedata.normalize("NFD", ch)[0].lower() in "aeiouy"


def _reads_as_vietnamese(text: str) -> bool:
    """Whether text decoded as cp1258 reads as Vietnamese rather than as cp1252 garbled.

    The bytes the two encodings read differently are Vietnamese letters and tones in cp1258
    (ă ơ đ and tones after a vowel) and Western letters in cp1252 (ã õ ð, ì ò after a
    consonant). Where cp1258 gives what Vietnamese never writes ("Săo" for "São": ă before
    a vowel or ending a word; a tone after a consonant; đ inside a word), the text is
    cp1252. Such letters outnumbering the well-formed Vietnamese ones make it cp1252; a tie
    (no such letter at all) keeps cp1258, the reading cropcast has always made.
    """
    well = ill = 0
    for found in _TELLING.finditer(text):
        i, ch = found.start(), found[0]
        before = text[i - 1] if i else ""
        after = text[i + 1 : i + 4].lstrip(_TONES)[:1]
        if ch in _TONES:
            ok = _is_vowel(before)
        elif ch.lower() == "đ":  # starts a syllable, or ends "VNĐ", the currency
            ok = not before.isalpha() or text[max(i - 2, 0) : i].lower() == "vn"
        elif after.isalpha():
            ok = after.lower() in _AFTER[ch.lower()]
        else:
            ok = ch.lower() == "ơ"
        well, ill = well + ok, ill + (not ok)
    return well >= ill


def _check_text(text: str, name: str) -> str:
    sample = text[:20000]
    control = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n\f")
    if "\x00" in sample or control > max(2, len(sample) // 100):
        raise _binary(name)
    return text


def _binary(name: str) -> InputError:
    """A binary file that is no table we read. Named as a workbook or Parquet file, it is
    one damaged or cut short: "Give ... Excel (.xlsx)" of an .xlsx file read as nonsense."""
    suffix = Path(str(name)).suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".parquet", ".pq"):
        kind = "a Parquet file" if suffix in (".parquet", ".pq") else "an Excel workbook"
        return InputError(
            f"is named {suffix} but is not {kind} that can be read: damaged, or only partly "
            "downloaded or copied",
            name,
            "Open it where it was made and save or export it again",
        )
    return InputError(
        "is binary, not a text table", name, "Give a CSV, TSV, Excel (.xlsx) or Parquet file"
    )


def sniff_delimiter(text: str, prefer: str = ",") -> str:
    """The delimiter giving the most columns that stay consistent over the first lines.

    ``csv.Sniffer`` is easily fooled by commas inside values (decimal commas, "Chili (red,
    dry)"), so each candidate is tried with a real CSV parser and scored on the header width
    and on how many of the next lines have that same width.
    """
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    best, best_score = prefer, (False, 1)
    for delim in (prefer, *[d for d in _DELIMITERS if d != prefer]):
        try:
            rows = list(csv.reader(lines, delimiter=delim))
        except csv.Error:  # a field over csv's 128 KB limit: not this delimiter's to judge
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        rest = rows[1:]
        consistent = not rest or sum(len(r) == width for r in rest) >= 0.9 * len(rest)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _unreadable(exc: Exception, text: str, name: str) -> InputError:
    """One line for a file no parser can split: the stray quote when one is to blame."""
    quote = _stray_quote_line(text)
    if quote is not None:  # the rest of the file read as one value, past csv's 128 KB
        return InputError(
            f'line {quote} opens a quote (") that no later line closes, so the rest of the '
            "file reads as one value",
            name,
            'Remove the stray " or close it',
        )
    return InputError(
        f"cannot be read as a table ({exc})",
        name,
        "Check that every line has the same number of columns, and no value is longer than 128 KB",
    )


def _stray_quote_line(text: str) -> int | None:
    """The line (1-based) whose quote the rest of the file never closes, or None: quotes
    are counted from the top, and the text after the last even count holds an odd one."""
    open_at, inside = None, False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.count('"') % 2:
            inside = not inside
            open_at = number if inside else None
    return open_at if inside else None


#: Excel's first line naming the separator ("sep=;"), which Excel itself honours.
_SEP_LINE = re.compile(r'^\ufeff?\s*"?sep=(.)"?[ \t]*\r?$', re.IGNORECASE)


def _excel_sep_line(text: str) -> tuple[str, str | None]:
    """``text`` without a first line "sep=X", and X; ``(text, None)`` without one."""
    first, newline, rest = text.partition("\n")
    match = _SEP_LINE.match(first)
    if not match:
        return text, None
    return rest, match[1]


def _refuse_web_page(text: str, name: str) -> None:
    """A download that saved a web page (an error or sign-in page) under a .csv name."""
    head = text.lstrip("\ufeff \t\r\n")[:1000].lower()
    if head.startswith(("<!doctype html", "<html", "<?xml")) or "<html" in head[:200]:
        excel = name.lower().endswith((".xls", ".xlsx"))  # a web "Export to Excel"
        raise InputError(
            "is a web page (HTML), not a price table",
            name,
            "Open it in Excel and save it as .xlsx or CSV"
            if excel
            else "The download probably failed or ended on a sign-in page: download the CSV again",
        )
    # An API's answer saved as a file ('{"a": 1}' read as a header with no rows).
    if head.startswith("{") or (head.startswith("[") and head[1:].lstrip()[:1] in '{["'):
        raise InputError(
            "is JSON, not a price table",
            name,
            "Give a CSV, TSV, Excel (.xlsx) or Parquet table with the columns date, commodity, "
            "market, price_type, unit, currency, price (with pandas: "
            "pd.read_json(...).to_csv(...))",
        )


def read_delimited(path: Path, encoding: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """A CSV/TSV/semicolon file as a DataFrame of strings, exactly as written.

    A few lines that do not split into the header's columns (an unquoted separator inside
    a value, a quote left open) are kept as rows with their reason in :data:`LINE_ERROR`,
    for cleaning to refuse; more than a few make the file no table of that shape.
    """
    text, notes = decode(path.read_bytes(), path.name, encoding)
    if not text.strip():
        raise InputError("holds only blank lines", path.name, "Export the table again")
    _refuse_web_page(text, path.name)
    text, delim = _excel_sep_line(text)
    if not text.strip():  # nothing but Excel's "sep=;" line
        raise InputError(
            "holds no table, only its 'sep=' line", path.name, "Export the table again"
        )
    delim_line = delim is not None
    if delim_line:
        notes.append(
            f"columns are separated by {_DELIM_NAMES.get(delim, repr(delim))}, as the "
            f"file's first line 'sep={delim}' says"
        )
    else:
        prefer = "\t" if path.suffix.lower() in (".tsv", ".tab", ".txt", ".xls") else ","
        delim = sniff_delimiter(text, prefer)
        if delim != ",":
            notes.append(f"columns are separated by {_DELIM_NAMES[delim]}")
    lines = _Lines(text)
    header, broken = _broken_lines(lines, delim, path.name)
    width = len(header)
    if broken:
        _check_broken(broken, lines.listed, width, path.name)
        text = _with_placeholders(lines.listed, broken, delim, width)
    try:
        with warnings.catch_warnings():
            # Extra fields were checked to be empty (trailing separators); dropping them
            # loses nothing, so pandas' ParserWarning would only be noise.
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            # dtype=str + keep_default_na=False: "NA", "", "0" reach cleaning unaltered.
            # index_col=False: never turn the first column into an index silently.
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delim,
                dtype=str,
                keep_default_na=False,
                index_col=False,
                skip_blank_lines=True,
            )
    except (pd.errors.ParserError, csv.Error) as exc:
        raise _unreadable(exc, text, path.name) from None
    frame.columns = [str(c) for c in frame.columns]
    if broken:
        if delim_line:  # the lines read came after the file's "sep=" line: count it too
            broken = [replace(line, number=line.number + 1) for line in broken]
        frame = _put_back(frame, broken)
        notes.append(
            f"{len(broken)} line(s) do not split into the header's {width} columns and are "
            f"refused (e.g. {broken[0].reason})"
        )
    # The header as written: pandas renames a second "price" to "price.1".
    frame.attrs["header"] = header
    return frame, notes


class _Lines:
    """A text's lines ("\r\n" and "\r" end lines too), read on from any of them; listed
    only when a broken line asks for them (a good file is read once, in one pass)."""

    def __init__(self, text: str):
        self.text = text
        self._listed: list[str] | None = None
        # Old Mac files end lines with "\r" alone; translating every file's line ends for
        # them would cost a copy of the text.
        self._newline = None if text.count("\r") != text.count("\r\n") else "\n"

    @property
    def listed(self) -> list[str]:
        if self._listed is None:
            self._listed = io.StringIO(self.text, newline=self._newline).readlines()
        return self._listed

    def lines(self, start: int) -> Iterator[str]:
        """The lines from ``start`` (0-based) on."""
        if start == 0:
            return io.StringIO(self.text, newline=self._newline)
        return iter(self.listed[start:])

    def last(self) -> str:
        """The last line (blank when the text ends in an empty line)."""
        text = self.text
        end = len(text) - (2 if text.endswith("\r\n") else text.endswith(("\n", "\r")))
        return text[max(text.rfind("\n", 0, end), text.rfind("\r", 0, end)) + 1 : end]


#: The column :func:`read_delimited` adds when it refused lines: why, per row ("" for the
#: rows read). No header names a column so.
LINE_ERROR = "\ue000line error"
#: What stands in for a refused line while pandas reads the others, so rows keep their order.
_PLACEHOLDER = "\ue000"
#: Lines refused one by one, the rest read, when at most this many, and fewer than half:
#: more are no stray typo but another shape (a market name with a comma in every row of its
#: series would drop the whole series, quietly, under any share of a long file).
BROKEN_LINES_ALLOWED = 5


@dataclass(frozen=True)
class BrokenLine:
    """A line that does not split into the header's columns: its number in the file, its
    values as written (fitted to the header's columns, the extra ones kept in the last) and
    why ("line 17: 8 values, expected 7")."""

    number: int
    cells: list[str]
    why: str
    #: Counts toward the few a file may have (``BROKEN_LINES_ALLOWED``); a line short of a
    #: value no other row leaves blank does not: it is one row's slip, refused alone.
    counted: bool = True

    @property
    def reason(self) -> str:
        return f"line {self.number}: {self.why}"


def _broken_lines(lines: _Lines, delim: str, name: str) -> tuple[list[str], list[BrokenLine]]:
    """The header (as written) and the lines that do not split into its columns.

    pandas drops values beyond the header's width with only a warning, and one quote left
    open swallows the lines after it (or stops the file): a reader must lose neither.
    """
    broken: list[BrokenLine] = []
    short: list[tuple[int, list[str]]] = []
    start = 1
    try:
        header, fit = _all_lines_fit(lines, delim)
        if fit:
            return header, broken
        width = len(header)
        while start is not None:
            start = _scan(lines, start, delim, width, broken, short)
        broken += _short_of_a_value(lines, delim, width, short)
    except csv.Error as exc:
        raise _unreadable(exc, lines.text, name) from None
    # One line found twice (a quote closed mid-value, then left open at the end) is one
    # line: its last reason, the one that names the quote left open, stands.
    once = {line.number: line for line in broken}
    return header, [once[number] for number in sorted(once)]


def _all_lines_fit(lines: _Lines, delim: str) -> tuple[list[str], bool]:
    """The header, and whether every line after it is one row of its width (or blank):
    most files, told in one pass at the csv module's speed, no line looked at alone."""
    reader = csv.reader(lines.lines(0), delimiter=delim)
    header = next(reader, [])
    widths = Counter(map(len, reader))
    rows = 1 + sum(widths.values())
    fit = set(widths) <= {len(header), 0} and reader.line_num == rows
    return header, fit and not _unclosed_quote(lines.last(), delim)


def _short_of_a_value(
    lines: _Lines, delim: str, width: int, short: list[tuple[int, list[str]]]
) -> list[BrokenLine]:
    """The ``short`` lines (number, values) that lack a value every full row has: a line
    missing its price type ("2012-03-15,Rice,An Giang,KG,VND,7255.0") was read with its
    values shifted left, a series "Rice | An Giang | KG | VND | 7255.0" made up and its
    price "missing". A row merely short of values its column leaves blank elsewhere (a last
    "notes" column) is read as pandas reads it, as before."""
    if not short:
        return []
    blank_somewhere = [False] * width
    reader = csv.reader(lines.lines(1), delimiter=delim)
    for row in reader:
        if len(row) == width:
            for i, value in enumerate(row):
                if not blank_somewhere[i] and not value.strip():
                    blank_somewhere[i] = True
    return [
        BrokenLine(number, _fit(row, width, delim), f"{len(row)} values, expected {width}", False)
        for number, row in short
        if not all(blank_somewhere[len(row) :])
    ]


def _scan(
    lines: _Lines, start: int, delim: str, width: int, broken: list, short: list | None = None
) -> int | None:
    """Read the records from line ``start`` (0-based) on, adding the broken ones to
    ``broken`` and those short of values, but otherwise whole, to ``short``. Returns where
    to read on after a quote left open (the line after it)."""
    reader = csv.reader(lines.lines(start), delimiter=delim)
    done = spans = 0  # lines read before the current record; lines it spans
    first = start
    for row in reader:
        if len(row) == width and reader.line_num == done + 1:  # most lines: read on
            done += 1
            continue
        first, spans, done = start + done + 1, reader.line_num - done, reader.line_num
        wide = len(row) > width and any(v.strip() for v in row[width:])
        if spans > 1 and (
            wide or len(row) != width or _rows_inside(lines, first, spans, delim, width)
        ):
            # A value that spans lines and leaves the row the wrong width: the quote that
            # opened it was never closed on its line, and swallowed the lines after it.
            broken.append(_misquoted_line(lines.listed, first, delim, width, _OPEN))
            return first
        if wide:
            cells = _fit(row, width, delim)
            broken.append(BrokenLine(first, cells, f"{len(row)} values, expected {width}"))
        elif 0 < len(row) < width and _misquoted(lines.listed[first - 1], delim):
            # A quote closed in the middle of a value ('"Chợ A,Lúa,"7,5"') runs values
            # together; a row merely short of its last, empty values is read as pandas does.
            broken.append(_misquoted_line(lines.listed, first, delim, width, _MIDDLE))
        elif 0 < len(row) < width and short is not None and spans == 1:
            short.append((first, row))  # judged once the whole file is read
    # The file may end inside a quote: its last record tells, one line but for a value
    # that spans lines.
    end = start + done  # the last line's number
    if not done:
        return None
    spanning = spans > 1 and first + spans - 1 == end
    first = first if spanning else end
    if _unclosed_quote("".join(lines.listed[first - 1 :]) if spanning else lines.last(), delim):
        broken.append(_misquoted_line(lines.listed, first, delim, width, _OPEN))
        return first
    return None


def _rows_inside(lines: _Lines, first: int, spans: int, delim: str, width: int) -> bool:
    """Whether a value spanning lines swallowed rows: a line inside it splits, alone, into
    the header's columns (two quotes left open, ten lines apart, make one record of the
    right width out of the lines between them; a note written over two lines does not)."""
    inside = lines.listed[first : first + spans - 1]
    return any(
        len(next(csv.reader([line.rstrip("\r\n")], delimiter=delim), [])) == width
        for line in inside
    )


#: Why a line's quotes break it: left open (swallowing the lines after it), or closed
#: inside a value ('"Chợ A,Lúa,"7,5"', running values together).
_OPEN = 'a quote (") opens a value and is not closed on that line'
_MIDDLE = 'a quote (") closes in the middle of a value'


def _misquoted_line(lines: list[str], number: int, delim: str, width: int, why: str):
    """The broken line ``number``, split at every separator: its quotes are not trusted."""
    line = lines[number - 1].rstrip("\r\n")
    cells = next(csv.reader([line], delimiter=delim, quoting=csv.QUOTE_NONE))
    return BrokenLine(number, _fit(cells, width, delim), why)


def _misquoted(line: str, delim: str) -> bool:
    """Whether a line's quotes do not enclose whole values, as a strict csv reader says."""
    try:
        list(csv.reader([line.rstrip("\r\n")], delimiter=delim, strict=True))
    except csv.Error:
        return True
    return False


def _unclosed_quote(text: str, delim: str) -> bool:
    """Whether ``text`` ends inside a quoted value, read as the csv module reads quotes."""
    quoted, at_start, closed = False, True, False
    for ch in text:
        if quoted:
            if ch == '"':
                quoted, closed = False, True
            continue
        if ch == '"' and (at_start or closed):  # a value's opening quote, or a doubled one
            quoted = True
        at_start, closed = ch in (delim, "\n", "\r"), False
    return quoted


def _fit(cells: list[str], width: int, delim: str) -> list[str]:
    """``cells`` in ``width`` columns: the extra ones joined into the last, none lost."""
    if len(cells) > width:
        return [*cells[: width - 1], delim.join(cells[width - 1 :])]
    return cells + [""] * (width - len(cells))


def _check_broken(broken: list[BrokenLine], lines: list[str], width: int, name: str) -> None:
    """Refuse the file when its broken lines are more than a stray few."""
    broken = [line for line in broken if line.counted]
    if not broken:
        return
    data_lines = sum(1 for line in lines[1:] if line.strip())
    if len(broken) <= BROKEN_LINES_ALLOWED and 2 * len(broken) < data_lines:
        return
    more = f", and {len(broken) - 1:,} more" if len(broken) > 1 else ""
    raise InputError(
        f"does not look like a table of the header's {width} columns: {len(broken)} of "
        f"{data_lines} lines do not split into them ({broken[0].reason}{more})",
        name,
        "Check the separator and quote values that contain it, or export the table again",
    )


def _with_placeholders(lines: list[str], broken: list[BrokenLine], delim: str, width: int) -> str:
    """The text with each broken line replaced by a row pandas reads, marked by its index."""
    lines = list(lines)
    for i, line in enumerate(broken):
        lines[line.number - 1] = f"{_PLACEHOLDER}{i}{delim * (width - 1)}\n"
    return "".join(lines)


def _put_back(frame: pd.DataFrame, broken: list[BrokenLine]) -> pd.DataFrame:
    """Each placeholder row holds its broken line's values again, and its reason."""
    first = frame.iloc[:, 0]
    marked = first.str.startswith(_PLACEHOLDER)
    reasons = pd.Series("", index=frame.index, dtype=object)
    frame = frame.copy()
    for row, mark in first[marked].items():
        line = broken[int(mark[len(_PLACEHOLDER) :])]
        frame.iloc[frame.index.get_loc(row)] = line.cells[: frame.shape[1]]
        reasons[row] = line.reason
    frame[LINE_ERROR] = reasons
    return frame


_DELIM_NAMES = {"\t": "tabs", ";": "semicolons", "|": "vertical bars", ",": "commas"}


def read_sheet(
    path: Path, sheet: str | None, prefer: str | None = None
) -> tuple[str, list[tuple], list[str]]:
    """``(name, rows, names)``: rows of cell values from one sheet of an .xlsx workbook, and
    the names of all its sheets (a reader says which were not read).

    ``sheet`` names the sheet (an error lists the real ones); without it, ``prefer`` when the
    workbook has it, else the first sheet.
    """
    import openpyxl  # imported here: only Excel users pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    # Read from the bytes, not the name: openpyxl judges a path by its extension, and a
    # workbook saved as "prices.csv" is still a workbook.
    data = io.BytesIO(path.read_bytes())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it cannot read
            book = openpyxl.load_workbook(data, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(
            f"is not a readable Excel workbook ({exc})",
            path.name,
            "Open it in Excel or LibreOffice and save it again as .xlsx",
        ) from None
    try:
        names = book.sheetnames
        if sheet is not None and sheet not in names:
            raise InputError(
                f"has no sheet named {sheet!r} (sheets: {', '.join(names)})",
                path.name,
                "Use --sheet with one of those names",
            )
        name = sheet or (prefer if prefer in names else names[0])
        rows = list(book[name].iter_rows(values_only=True))
    finally:
        book.close()
    width = max((len(r) for r in rows), default=0)
    return name, [tuple(r) + (None,) * (width - len(r)) for r in rows], list(names)


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file as a DataFrame of strings (typed values written as text, numbers as
    :class:`TypedNumber`)."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many unrelated types for a bad file
        raise InputError(
            f"is not a readable Parquet file ({type(exc).__name__}: {exc})",
            path.name,
            "Write it again with pandas.DataFrame.to_parquet",
        ) from None
    frame = frame.reset_index(drop=True)
    cells = np.frompyfunc(cell_text, 1, 1)(frame.astype(object).to_numpy())
    # dtype=object keeps each TypedNumber (pandas 3 would make a column of strings its own
    # string type, which holds the text only).
    return pd.DataFrame(cells, columns=[str(c) for c in frame.columns], dtype=object)


#: Number text a reader could take for thousands: one to three digits, a point, exactly
#: three digits ("92.853"). The reading rule itself is forecast.clean.numbers._to_float.
THOUSANDS_LIKE = r"[1-9]\d{0,2}\.\d{3}"


def plain_decimal(text: str) -> str:
    """A number's text that cannot read as thousands: "92.853" -> "92.8530" (same value)."""
    return text + "0" if re.fullmatch(THOUSANDS_LIKE, text) else text


class TypedNumber(str):
    """A number typed in a cell (Excel, Parquet): the text :func:`cell_text` writes for it,
    holding the number itself in ``number``.

    Cleaning reads ``number``, not the text, so ``--decimal`` (how prices written as text
    write their decimal point) never applies to it: the Pink Sheet's typed 112.5 was refused
    with ``--decimal ,`` as the text "112.5", and a typed 2.125 as "2.1250". Everywhere else
    it is the text (notes, refused rows, the guesses that read a file's writing). The
    readers keep it in object columns: pandas 3 makes a column of strings its own string
    type, which holds the text only.
    """

    number: float | int

    def __new__(cls, text: str, number: float | int) -> TypedNumber:
        self = super().__new__(cls, text)
        self.number = number
        return self

    def __getnewargs__(self) -> tuple[str, float | int]:  # copied and pickled whole
        return str(self), self.number


def cell_text(value: object) -> str:
    """One typed cell (Excel, Parquet) as the text a user would read in it.

    Integral floats lose their ``.0`` (Excel stores every number as a float); dates at
    midnight are written as ISO dates. Missing cells become ``""``. Numbers come back as
    :class:`TypedNumber`, which keeps the number for cleaning to read as it is.
    """
    if value is None or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return ""
        if number.is_integer() and abs(number) < 1e15:
            return TypedNumber(str(int(number)), number)
        return TypedNumber(plain_decimal(repr(number)), number)
    if isinstance(value, (int, np.integer)):
        return TypedNumber(str(int(value)), int(value))
    if isinstance(value, decimal.Decimal):  # Parquet decimal columns: typed numbers too
        return cell_text(float(value)) if value.is_finite() else ""
    if isinstance(value, (dt.datetime, np.datetime64)):
        stamp = pd.Timestamp(value)
        if pd.isna(stamp):
            return ""
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique the way pandas does it: 'Giá', 'Giá.1'."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name}.{count}")
    return out
