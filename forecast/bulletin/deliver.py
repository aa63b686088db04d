"""Send each subscriber their own bulletin: e-mail over SMTP, SMS files for a gateway.

Subscribers are a CSV file (UTF-8) with the columns ``name,email,phone,language,commodities``:

* ``language`` is ``vi`` or ``en`` (empty means ``vi``);
* ``commodities`` is ``;``-separated names matched without regard to case as whole words
  from the start of the series' commodity or its Vietnamese name ("rice" matches "Rice
  (white)" and "Rice, Thai 5%"; "gạo" and "gao" match them too; "Bưởi" matches "Bưởi da
  xanh"), unless the name starts with a longer product's ("coconut" does not match "Coconut
  oil", nor "Lúa" "Lúa mì"); a bracketed qualifier given is matched whole ("Rice (red)"
  does not match "Rice (red nadu)"); names written with diacritics are compared with them
  ("Dừa" does not match "Dưa hấu"), names written without are compared without;
* ``email`` or ``phone`` may be empty, not both.

Each subscriber gets only their commodities, in their language. E-mail is HTML (charts
embedded) with a plain-text alternative, sent with ``smtplib``; each phone gets a file
``<outbox>/<digits>.txt`` with one SMS per line for the gateway to pick up. Rows whose phones
have the same digits ("0901 234 567", "0901234567") share that file: one SMS with all their
commodities, in the first row's language, the later rows reported "merged". A failed delivery
is tried again (3 attempts, waiting 0.5 s then 1 s), then reported; it never stops the
deliveries to the others.
"""

from __future__ import annotations

import csv
import functools
import re
import smtplib
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from forecast.bulletin.facts import BulletinFacts, BulletinInputs
from forecast.bulletin.html import fan_charts
from forecast.bulletin.parts import title
from forecast.bulletin.render import render
from forecast.bulletin.wording import (
    COMMODITIES_VI,
    LANGS,
    commodity_name,
    to_ascii,
)
from forecast.errors import InputError

SUBSCRIBER_COLUMNS = ("name", "email", "phone", "language", "commodities")
ATTEMPTS = 3
BACKOFF_SECONDS = (0.5, 1.0)
SMTP_TIMEOUT = 20.0
MAX_BAD_ROWS_SHOWN = 5  # bad subscriber rows named in the one error line; the rest counted
DEFAULT_SENDER = "bantin@cropcast.local"


@dataclass(frozen=True)
class Subscriber:
    name: str
    email: str
    phone: str
    language: str
    commodities: tuple[str, ...]


@dataclass
class Delivery:
    """One line of the delivery report."""

    name: str
    channel: str  # "email" or "sms"
    address: str
    status: str  # "sent", "written", "dry-run", "failed", "skipped", "merged" (see deliver)
    attempts: int = 0
    error: str = ""
    series: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status == "failed"


# --------------------------------------------------------------------------- subscribers


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", str(text)).strip().casefold()


def _plain(text: str) -> str:
    return to_ascii(_fold(text)).casefold()


def _check_phone(phone: str, where: str) -> None:
    """Refuse a phone number a spreadsheet has mangled, before an SMS goes to a stranger:
    "9.01235E+08" (scientific notation), "901234567.0" (a number cell's decimal), a bare
    "901234567" (a number cell drops the leading 0), two numbers in one cell, or too few
    digits. Numbers written as text ("0901 234 567", "+84 90...", "(202) 555-0123",
    "028.3829.0000", "030/1234567") are taken as written."""
    written = phone.strip()
    digits = re.sub(r"\D", "", written)
    fix = (
        "Format the phone column as text in the spreadsheet, and write the number with its "
        "leading 0 or its country code (e.g. 0912345678 or +84 912 345 678)"
    )
    if not digits:
        raise InputError(f"'{phone}' has no digits", where, "Write e.g. 0912345678")
    if re.fullmatch(r"\d[.,]\d*[eE][+-]?\d+|\d+\.0+", written):
        raise InputError(f"'{phone}' is a spreadsheet number, not a phone number", where, fix)
    parts = [re.sub(r"\D", "", p) for p in re.split(r"[/;,]|\bor\b|\bhoặc\b", written)]
    if len([p for p in parts if len(p) >= 8]) > 1 or len(digits) > 15:
        raise InputError(f"'{phone}' holds more than one number", where, "Give one a row")
    if len(digits) < 8:
        raise InputError(f"'{phone}' has too few digits for a phone number", where, fix)
    if re.fullmatch(r"[1-9]\d{8,9}", written):  # a bare number cell: its 0 may be gone
        raise InputError(f"'{phone}' may have lost its leading 0", where, fix)


def _subscriber(raw: dict, header: list[str], delimiter: str, where: str) -> Subscriber:
    """One row of the subscribers file as a subscriber; an ``InputError`` naming ``where``."""
    extra = [value for value in raw.pop(None, []) if (value or "").strip()]
    if extra:  # more values than columns (Excel's trailing empty cells are no values)
        raise InputError(
            f"{len(header) + len(extra)} values, expected {len(header)}",
            where,
            "Quote the commodities when there are several (\"Rice;Dừa\"): a ';' starts a new column"
            if delimiter == ";"
            else f"Separate commodities with ';' (a '{delimiter}' starts a new column), "
            'or quote a value that holds one ("Coffee, Robusta")',
        )
    row = {(k or "").strip().casefold(): (v or "").strip() for k, v in raw.items()}
    language = row["language"].casefold() or "vi"
    if language not in LANGS:
        raise InputError(
            f"language '{row['language']}' is not one of {', '.join(LANGS)}",
            where,
            "Write vi or en",
        )
    if not row["email"] and not row["phone"]:
        raise InputError("neither email nor phone is given", where, "Fill one or both")
    if row["email"] and not re.fullmatch(r"[^@\s]+@[^@\s]+", row["email"]):
        raise InputError(f"'{row['email']}' is not an e-mail address", where)
    if row["email"] and not row["email"].isascii():
        # Accented addresses need SMTPUTF8, which few mail servers offer: every try
        # would fail at sending time, after the others had gone out.
        raise InputError(
            f"'{row['email']}' has accents, which mail servers refuse",
            where,
            "Write the address as the mailbox owner gave it, without accents",
        )
    if row["phone"]:
        _check_phone(row["phone"], where)
    wanted = tuple(c.strip() for c in row["commodities"].split(";") if c.strip())
    if not wanted:
        raise InputError("no commodities", where, "List them separated by ';', e.g. Rice;Coconut")
    return Subscriber(
        row["name"] or row["email"] or row["phone"],
        row["email"],
        row["phone"],
        language,
        wanted,
    )


def read_subscribers(path: str | Path) -> list[Subscriber]:
    """Read and check a subscribers CSV (see the module notes).

    Raises
    ------
    InputError
        One line naming the file, the row and what to fix: missing file or columns, a bad
        language, a row with neither e-mail nor phone, or no commodities. Every row is
        checked first: several bad rows are named together, and nobody is sent anything.
    """
    path = Path(path)
    name = path.name
    if path.is_dir():
        raise InputError("is a folder", str(path), "Give the subscribers CSV file in it")
    if not path.is_file():
        raise InputError("subscribers file not found", str(path), "Check the path")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the file is not UTF-8 text", name, "Save it as 'CSV UTF-8'") from None
    from forecast.io.files import sniff_delimiter

    # Excel saves "CSV" with ';' where ',' is the decimal mark (Vietnamese, European).
    delimiter = sniff_delimiter(text)
    reader = csv.DictReader(text.splitlines(), delimiter=delimiter)
    header = [(h or "").strip().casefold() for h in (reader.fieldnames or [])]
    missing = [c for c in SUBSCRIBER_COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            name,
            f"The header must be: {','.join(SUBSCRIBER_COLUMNS)}",
        )
    out, bad = [], []
    for number, raw in enumerate(reader, start=1):
        where = f"{name}, row {number} (line {number + 1})"
        try:
            out.append(_subscriber(raw, header, delimiter, where))
        except InputError as exc:
            bad.append((number, exc))
    if len(bad) == 1:
        raise bad[0][1]
    if bad:
        # Every bad row at once: fixed one by one, a file of many would take as many runs.
        shown = "; ".join(f"row {n}: {exc.what}" for n, exc in bad[:MAX_BAD_ROWS_SHOWN])
        more = (
            f"; and {len(bad) - MAX_BAD_ROWS_SHOWN} more" if len(bad) > MAX_BAD_ROWS_SHOWN else ""
        )
        # Each way to fix them once: one row's message said how ("Write the phone as
        # text"), and a list of many had lost it.
        fixes = list(dict.fromkeys(exc.fix for _, exc in bad if exc.fix))
        raise InputError(
            f"{len(bad)} of {len(out) + len(bad)} rows cannot be used ({shown}{more})",
            name,
            "; ".join([*fixes, "then send again: nothing was sent"]),
        )
    if not out:
        raise InputError("the subscribers file has no rows", name, "Add one row per subscriber")
    return out


def _words(text: str, plain: bool) -> tuple[str, ...]:
    """Whole words, case-folded; ``plain``: without diacritics too."""
    return tuple(re.findall(r"\w+", _plain(text) if plain else _fold(text)))


@functools.cache
def _products(plain: bool) -> frozenset[tuple[str, ...]]:
    """Names of more than one word that are products of their own ("coconut oil", "Dầu dừa",
    "Lúa mì", "Cà phê"), from the name table; not graded ones ("coffee, robusta", "Dừa khô"
    from "coconut (dried)"), which are still their first word's product."""
    names = [n for k, vi in COMMODITIES_VI.items() if not re.search(r"[(,]", k) for n in (k, vi)]
    return frozenset(w for w in (_words(n, plain) for n in names) if len(w) > 1)


def _tokens(text: str, plain: bool) -> tuple[str, ...]:
    """Whole words and brackets, case-folded: "Rice (red)" is ``rice ( red )``, so a
    bracketed qualifier ends where it ends ("(red)" is not the start of "(red nadu)").
    A bracket left open ("Rice (red") is closed."""
    tokens = re.findall(r"\w+|[()]", _plain(text) if plain else _fold(text))
    return (*tokens, *")" * (tokens.count("(") - tokens.count(")")))


def matches(commodity: str, wanted: str) -> bool:
    """Whether a subscriber's word ``wanted`` names ``commodity`` (see the module notes).

    Whole words from the start of the series' name (or its Vietnamese or English name:
    "coconut" is "Dừa khô", a Vietnamese store read by an English subscriber): "Bưởi" is
    "Bưởi da xanh", "rice" is "Rice, Thai 5%"; not from inside it, where "dừa" would be
    "Dầu dừa" (coconut oil). A longer product name the series also starts with wins:
    "coconut" is not "Coconut oil", "Lúa" not "Lúa mì" (wheat). A bracketed qualifier the
    subscriber gives is matched whole: "Rice (red)" is "Rice (red)", not "Rice (red nadu)",
    where "Rice" is both. Written with diacritics, words are compared with them ("Dừa" is
    not "Dưa hấu", watermelon); without ("dua"), folded on both sides, as nothing tells dừa
    from dưa then.
    """
    plain = wanted.isascii()
    if not _words(wanted, plain):
        return False
    bracketed = "(" in wanted
    for name in (commodity, commodity_name(commodity, "vi"), commodity_name(commodity, "en")):
        # Brackets count only where both sides write them: "Rice white" is "Rice (white)",
        # and "Gạo (trắng)" is the Vietnamese name "Gạo trắng", whose words must then end
        # there ("Gạo (đỏ)" is not "Gạo đỏ nadu").
        both = bracketed and "(" in name
        want, have = (_tokens, _tokens) if both else (_words, _words)
        want, have = want(wanted, plain), have(name, plain)
        longer = [p for p in _products(plain) if len(p) > len(want) and have[: len(p)] == p]
        whole = bracketed and not both
        if (have == want if whole else have[: len(want)] == want) and not longer:
            return True
    return False


def facts_for(facts: BulletinFacts, subscriber: Subscriber) -> tuple[BulletinFacts, list[str]]:
    """The subscriber's part of the bulletin, and the words that matched no series."""
    known = [s.commodity for s in facts.series] + [k[0] for k in facts.stale]
    unknown = [w for w in subscriber.commodities if not any(matches(c, w) for c in known)]
    chosen = facts.select(lambda key: any(matches(key[0], w) for w in subscriber.commodities))
    return chosen, unknown


# --------------------------------------------------------------------------- sending


def phone_digits(phone: str) -> str:
    """The number without its spacing: "0901 234 567" and "0901-234-567" are one phone, and
    so is "+84 901 234 567" (Viet Nam's code for the trunk 0, as phones here are written)."""
    digits = re.sub(r"[^0-9]", "", phone)
    international = phone.strip().startswith(("+84", "0084")) or (
        digits.startswith("84") and len(digits) == 11
    )
    if international:
        digits = "0" + digits[4:] if digits.startswith("0084") else "0" + digits[2:]
    return digits


def phone_file(outbox: Path, phone: str) -> Path:
    return outbox / f"{phone_digits(phone)}.txt"


def email_message(
    facts: BulletinFacts,
    subscriber: Subscriber,
    sender: str,
    charts: dict | None = None,
) -> EmailMessage:
    """The e-mail: plain text first, HTML (with embedded charts) as the alternative."""
    lang = subscriber.language
    message = EmailMessage()
    message["Subject"] = title(facts, lang)  # the bulletin's own headline
    message["From"] = sender
    message["To"] = subscriber.email
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(render(facts, lang, "txt"))
    message.add_alternative(render(facts, lang, "html", charts), subtype="html")
    return message


def _attempt(action: Callable[[], None], attempts: int, backoff: Sequence[float]):
    """Run ``action`` up to ``attempts`` times; returns (tries, last error or '')."""
    error = ""
    for tries in range(1, attempts + 1):
        try:
            action()
            return tries, ""
        except (smtplib.SMTPException, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}".strip()
            if tries < attempts:
                time.sleep(backoff[min(tries - 1, len(backoff) - 1)] if backoff else 0)
    return attempts, error


def send_email(message: EmailMessage, host: str, port: int, timeout: float = SMTP_TIMEOUT):
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        smtp.send_message(message)


def deliver(
    inputs: BulletinInputs,
    subscribers: Sequence[Subscriber],
    *,
    smtp: tuple[str, int] | None,
    outbox: str | Path,
    sender: str = DEFAULT_SENDER,
    dry_run: bool = False,
    attempts: int = ATTEMPTS,
    backoff: Sequence[float] = BACKOFF_SECONDS,
    charts: bool = True,
) -> list[Delivery]:
    """Send every subscriber their bulletin; one report line per subscriber and channel.

    Parameters
    ----------
    inputs
        The bulletin (:func:`forecast.bulletin.facts.make_bulletin`).
    subscribers
        From :func:`read_subscribers`.
    smtp
        ``(host, port)`` of the mail server; may be ``None`` with ``dry_run``.
    outbox
        Folder for the SMS files (created).
    sender
        The ``From`` address.
    dry_run
        Render everything and write the SMS files, but send no e-mail.
    attempts, backoff
        Tries per delivery and the waits between them, in seconds.
    charts
        Embed fan charts in the HTML e-mails.
    """
    if smtp is None and not dry_run and any(s.email for s in subscribers):
        raise ValueError("an SMTP server is needed to send e-mail (or use dry_run)")
    outbox = Path(outbox)
    report: list[Delivery] = []
    chart_cache: dict[str, dict] = {}
    # One phone, one SMS file: rows whose phones are the same number (written differently,
    # or a household's shared phone) get one SMS, in the first row's language, with all
    # their commodities. Else the later row's file would replace the earlier one unsaid.
    sharing: dict[str, list[int]] = {}
    for row, subscriber in enumerate(subscribers, start=1):
        if subscriber.phone:
            sharing.setdefault(phone_digits(subscriber.phone), []).append(row)
    for row, subscriber in enumerate(subscribers, start=1):
        channels = [("email", subscriber.email), ("sms", subscriber.phone)]
        for channel, address in channels:
            if not address:
                continue
            who, shared = subscriber, ""
            rows = sharing[phone_digits(address)] if channel == "sms" else [row]
            if len(rows) > 1 and rows[0] == row:
                wanted = (c for r in rows for c in subscribers[r - 1].commodities)
                who = replace(subscriber, commodities=tuple(dict.fromkeys(wanted)))
                shared = f"one SMS for rows {', '.join(map(str, rows))} (same phone)"
            elif len(rows) > 1:
                first = subscribers[rows[0] - 1]
                shared = f"same phone as row {rows[0]} ({first.name}): in that row's SMS"
                if first.language != subscriber.language:
                    shared += f", in {first.language}"
            facts, unknown = facts_for(inputs.facts, who)
            labels = [f"{s.commodity} ({s.market})" for s in facts.series]
            note = f"no series for: {', '.join(unknown)}" if unknown else ""
            if any("," in word for word in unknown):  # "Rice, Dừa" quoted as one
                note += " (separate commodities with ';')"
            note = "; ".join(x for x in (note, shared) if x)
            line = Delivery(subscriber.name, channel, address, "", 0, note, labels)
            report.append(line)
            if rows[0] != row:  # written with the first row's SMS
                line.status = "merged"
                continue
            if not facts.series:
                line.status = "skipped"
                line.error = note or "no recent prices for these commodities"
                continue
            if channel == "sms":
                text = render(facts, who.language, "sms")
                path = phone_file(outbox, address)

                def write(path=path, text=text) -> None:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text, encoding="ascii")

                line.attempts, error = _attempt(write, attempts, backoff)
                line.status = "failed" if error else "written"
            else:
                lang = subscriber.language
                if charts and lang not in chart_cache:
                    chart_cache[lang] = fan_charts(inputs, lang)
                message = email_message(facts, subscriber, sender, chart_cache.get(lang))
                if dry_run:
                    line.status = "dry-run"
                    continue

                def send(message=message, server=smtp) -> None:
                    send_email(message, *server)

                line.attempts, error = _attempt(send, attempts, backoff)
                line.status = "failed" if error else "sent"
            if error:
                line.error = "; ".join(x for x in (error, note) if x)
    return report


def parse_smtp(text: str) -> tuple[str, int]:
    """``"HOST:PORT"`` -> ``(host, port)``; ``ValueError`` when malformed."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"'{text}' is not HOST:PORT")
    if "/" in host or "@" in host:  # "smtp://host:25", "user@host:25": a URL, not a host
        raise ValueError(f"'{text}' is not HOST:PORT (no scheme or user)")
    return host.strip("[]"), int(port)


def check_sender(text: str) -> str:
    """The ``From`` address, checked: ``"bantin@example.vn"`` or ``"Bản tin <bantin@...>"``
    (a display name may have accents, the address may not: few mail servers take them);
    ``ValueError`` otherwise."""
    from email.utils import parseaddr

    _, address = parseaddr(text)
    local, at, domain = address.rpartition("@")
    whole = at and local and domain and address.isascii() and not re.search(r"[\s<>]", address)
    if not whole or text.count("<") != text.count(">"):
        raise ValueError(f"'{text}' is not an e-mail address")
    return text
