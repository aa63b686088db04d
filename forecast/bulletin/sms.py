"""Bulletins as SMS: one message per line, each at most 160 GSM-7 septets.

Vietnamese goes without diacritics (they would force UCS-2 and 70 characters a message), so
the text is plain ASCII, which GSM 03.38 sends one septet a character except ``[ ] { } | ~
^ \\`` (and ``€``, form feed): those go through the extension table, two septets each, and
are counted so. A bulletin too long for one message is split at sentence and word boundaries
and numbered ``1/3 ``, ``2/3 ``; a message that goes on with a series split across messages
starts with its name (``Gao (tiep):``, ``Rice (cont.):``), so its notes stay its own.
"""

from __future__ import annotations

from collections.abc import Callable

from forecast.bulletin.facts import MISTYPED, BulletinFacts, SeriesFacts
from forecast.bulletin.parts import (
    period_phrase,
    periods_back,
    summary_sentence,
    tet_key,
    unit_word,
)
from forecast.bulletin.wording import (
    band_name,
    commodity_name,
    counted,
    format_number,
    format_pct,
    format_range,
    market_name,
    money,
    month_span,
    period_label,
    season_name,
    short_day,
    to_ascii,
    words,
)

SMS_LIMIT = 160
#: A message with any character outside GSM-7 is sent as UCS-2: 70 UTF-16 units.
UCS2_LIMIT = 70
#: GSM 03.38: the default alphabet (one septet each) and the extension table (an escape
#: septet plus one: two each).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
#: ALPS bands worth a line in an SMS (short messages carry only the loud ones).
SMS_BANDS = ("alert", "crisis")


def sms_series_text(s: SeriesFacts, facts: BulletinFacts, lang: str) -> str:
    """One series in SMS words (still with diacritics; :func:`sms_messages` folds them)."""
    w = words(lang)
    unit = unit_word(s, lang).split("/", 1)[-1]
    market = market_name(s.market, lang, s.currency)
    price = money(s.price, s.currency, unit, lang, sms=True)
    head = f"{commodity_name(s.commodity, lang)} {market} {price}"
    if not s.is_current(facts.as_of):
        head += f" {period_label(s.date, s.freq, lang)}"
    if s.vs_previous is not None:
        change = format_pct(s.vs_previous.pct, lang, decimals=0)
        if s.vs_previous.n_periods:  # the period before had no price
            change += f" {periods_back(s.vs_previous.n_periods, s.freq, lang)}"
        head += f" ({change})"
    parts = [head + "."]
    # The change above is from a price the last bulletin showed otherwise. (One that came
    # late is a price that was: said in the longer formats only, as a late file would add
    # a sentence to every series.)
    for r in s.revised_named:
        if r.kind == "corrected":
            price, was = format_number(r.price, lang), format_number(r.was, lang)
            # A value the last bulletin held back as mistyped was never in an SMS: its
            # correction is said without it (an SMS reader was never sent "410.000").
            typo = max(r.was / r.price, r.price / r.was) >= MISTYPED
            key = "sms_revised_corrected_typo" if typo else "sms_revised_corrected"
            date = period_phrase(r.date, s.freq, lang)
            parts.append(w[key].format(date=date, price=price, was=was))
    if s.outlook is not None:
        n = s.outlook.periods
        period = counted(lang, f"sms_period_{s.freq}", n)
        direction = w[s.outlook.direction]
        if s.outlook.low is not None:
            low, _, high = format_range(s.outlook.low, s.outlook.high, lang, "/").partition("/")
            parts.append(
                counted(lang, "sms_outlook", n).format(
                    n=s.outlook.periods,
                    period=period,
                    low=low,
                    high=high,
                    direction=direction,
                )
            )
        else:
            parts.append(
                counted(lang, "sms_outlook_point", n).format(
                    n=s.outlook.periods, period=period, direction=direction
                )
            )
    for note in s.harvest:
        key = "sms_rise" if note.effect == "rise" else "sms_dip"
        if note.effect != "rise" and note.all_year:
            key = "sms_output"
        if note.unseen_years is not None:  # this market's own prices did not go that way
            key += "_unseen"
        template = w[key]
        if note.tet is not None:  # dated from Tết day: "truoc Tet (17/2)"
            template = w[tet_key(note, "sms")]
            if note.unseen_years is not None:
                template = w["sms_rise_tet_unseen"]
        parts.append(
            template.format(
                season=season_name(note.season, lang),
                months=month_span(note.months, lang, short=True),
                tet=short_day(note.tet, lang) if note.tet is not None else "",
            )
        )
    if s.alps_band in SMS_BANDS:
        parts.append(w["sms_alert"].format(band=band_name(s.alps_band, lang)))
    elif s.low:  # far below its usual level: the SMS farmer is told too, as the others are
        parts.append(w["sms_low"])
    return " ".join(parts)


def is_gsm(text: str) -> bool:
    """Whether ``text`` can go as GSM-7 (default alphabet and extension table only)."""
    return all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text)


def septets(text: str) -> int:
    """GSM-7 length: an extension-table character takes two septets."""
    return len(text) + sum(ch in GSM_EXTENSION for ch in text)


def ucs2_units(text: str) -> int:
    """UCS-2 (UTF-16) length: a character beyond the BMP takes two units."""
    return len(text.encode("utf-16-le")) // 2


def to_gsm(text: str) -> str:
    """SMS text that is GSM-7 for sure: :func:`to_ascii`, then the ASCII GSM-7 lacks.

    A backquote becomes ``'`` and control characters go (one alone would make the whole
    message UCS-2, 70 characters); runs of whitespace become one space (a newline would
    break the one-message-per-line file).
    """
    text = to_ascii(text).replace("`", "'")
    return " ".join("".join(ch for ch in word if ch.isprintable()) for word in text.split())


def _cut(word: str, cap: int, measure: Callable[[str], int]) -> tuple[str, str]:
    """The longest head of ``word`` within ``cap`` (as ``measure`` counts), and the rest."""
    size = 0
    for i, ch in enumerate(word):
        size += measure(ch)
        if size > cap:
            return word[: max(i, 1)], word[max(i, 1) :]
    return word, ""


def _split_words(text: str, cap: int, measure: Callable[[str], int]) -> list[str]:
    chunks, current = [], ""
    for word in text.split():
        while measure(word) > cap:  # a word longer than a message: cut it
            if current:
                chunks.append(current)
                current = ""
            head, word = _cut(word, cap, measure)
            chunks.append(head)
        if not current:
            current = word
        elif measure(current) + 1 + measure(word) <= cap:
            current += " " + word
        else:
            chunks.append(current)
            current = word
    if current:
        chunks.append(current)
    return chunks


def _sentences(text: str) -> list[str]:
    out, current = [], []
    for word in text.split():
        current.append(word)
        if word.endswith((".", ";")):
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return out


def _pack(
    units: list[str], labels: list[str], cap: int, measure: Callable[[str], int]
) -> list[str]:
    """Greedy packing: a unit that fits whole in a message is never split across two.

    A unit too long for one message is split at sentences (then words). A piece of it that
    has to start a new message starts with the unit's label ("Gao (tiep):"): unlabelled, the
    tail of a split series (its outlook, harvest note, alert) would open the next message
    and read as a note on the series that follows it there.
    """
    messages: list[str] = []
    current = ""

    def add(piece: str, label: str = "") -> None:
        nonlocal current
        if current and measure(current) + 1 + measure(piece) <= cap:
            current += " " + piece  # right after the unit's own previous piece: no label
            return
        if current:
            messages.append(current)
        current = f"{label} {piece}" if label else piece

    for unit, label in zip(units, labels, strict=True):
        if measure(unit) <= cap:
            add(unit)
            continue
        if measure(label) > cap // 2:  # keep room for the text it labels
            label = _split_words(label, cap // 2, measure)[0]
        room = cap - measure(label) - 1 if label else cap  # a piece must fit after its label
        head, *rest = _sentences(unit)
        first, *more = _split_words(head, cap, measure)  # it names its series: no label
        if more:  # a head longer than a message: its tail goes on as the other sentences
            rest.insert(0, " ".join(more))
        add(first)
        for sentence in rest:
            fits = measure(sentence) <= room
            for piece in [sentence] if fits else _split_words(sentence, room, measure):
                add(piece, label)
    if current:
        messages.append(current)
    return messages


def pack_sms(
    units: list[str], limit: int = SMS_LIMIT, labels: list[str] | None = None
) -> list[str]:
    """Pack text units into messages of at most ``limit`` GSM-7 septets.

    One message needs no number; several are numbered ``"1/3 "``, ``"2/3 "``..., the number
    counted within the limit. Text with a character outside GSM-7 goes as UCS-2, so then
    every message is held to :data:`UCS2_LIMIT` UTF-16 units (or ``limit``, if lower).
    ``labels``, one per unit, start any message that goes on with a unit split across
    messages (``""``: none).
    """
    labels = labels if labels is not None else [""] * len(units)
    pairs = [(u.strip(), label.strip()) for u, label in zip(units, labels, strict=True)]
    units = [u for u, _ in pairs if u]
    labels = [label for u, label in pairs if u]
    if not units:
        return []
    measure = septets
    if not all(is_gsm(u) for u in units + labels):
        measure, limit = ucs2_units, min(limit, UCS2_LIMIT)
    single = _pack(units, labels, limit, measure)
    if len(single) == 1:
        return single
    width = len(f"{len(single)}/{len(single)} ")
    while True:
        messages = _pack(units, labels, limit - width, measure)
        needed = len(f"{len(messages)}/{len(messages)} ")
        if needed <= width:
            break
        width = needed
    n = len(messages)
    return [f"{i}/{n} {m}" for i, m in enumerate(messages, start=1)]


def sms_messages(facts: BulletinFacts, lang: str = "vi", limit: int = SMS_LIMIT) -> list[str]:
    """The bulletin as SMS messages: plain ASCII, each at most ``limit`` GSM-7 septets."""
    w = words(lang)
    freq = "monthly" if facts.freq == "mixed" else facts.freq
    head = ""
    if facts.as_of is not None and facts.as_of == facts.as_of:
        head = w["sms_head"].format(date=period_label(facts.as_of, freq, lang)) + " "
    units = [to_gsm(head + summary_sentence(facts, lang))]
    units += [to_gsm(sms_series_text(s, facts, lang)) for s in facts.series]
    return pack_sms(units, limit, ["", *(_label(s, facts, lang) for s in facts.series)])


#: At most this many septets of a series' name go before its continued text.
LABEL_NAME_SEPTETS = 48


def _label(s: SeriesFacts, facts: BulletinFacts, lang: str) -> str:
    """What starts a message going on with ``s``: its commodity, and its market when the
    bulletin has that commodity in more than one (an outlook or alert is the market's)."""
    name = commodity_name(s.commodity, lang)
    if sum(other.commodity == s.commodity for other in facts.series) > 1:
        name = f"{name} {market_name(s.market, lang, s.currency)}"
    name = _split_words(to_gsm(name), LABEL_NAME_SEPTETS, septets)[0]
    return to_gsm(words(lang)["sms_continued"].format(name=name))
