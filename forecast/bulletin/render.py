"""Bulletin facts as text: Markdown, one self-contained HTML file, plain text, or SMS.

The order is that of Bến Tre's weekly bulletins: one summary sentence, a table by product
and market (unit, price, change since the previous period and a year ago, against the
5-year average, the outlook range and direction, the price alert), then notes per series
(harvest, alert), then how last period's forecast did where an earlier forecast was given.

* ``md``: a Markdown table; wide, for screens and chat apps that render tables.
* ``html``: one file with inline CSS and charts embedded as ``data:image/png;base64`` images:
  no link to any other file, font or script, so it opens offline and mails as is. The full
  table needs about 740 px, so below 760 px it becomes one card per series (a 360 px phone
  never scrolls sideways), and wider, a table too wide for its box scrolls inside it.
* ``txt``: plain text within 60 columns, one block per series.
* ``sms``: one message per line, each at most 160 GSM-7 septets: plain ASCII (Vietnamese
  without diacritics) where ``[ ] { } | ~ ^ \\`` count two; a bulletin too long for one
  message is split and numbered ``1/3 ``, ``2/3 ``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from forecast.bulletin.facts import BulletinFacts
from forecast.bulletin.html import (
    render_html,
)
from forecast.bulletin.parts import (
    accuracy_sentence,
    columns,
    kept_columns,
    legend,
    market_names,
    series_name,
    series_notes,
    stale_sentence,
    summary_sentence,
    table_rows,
    title,
)
from forecast.bulletin.sms import (
    sms_messages,
)
from forecast.bulletin.wording import (
    format_number,
    period_label,
    words,
)

FORMATS = ("md", "html", "txt", "sms")
TXT_WIDTH = 60


def render(
    facts: BulletinFacts,
    lang: str = "vi",
    fmt: str = "md",
    charts: Mapping[tuple, object] | None = None,
) -> str:
    """The bulletin in ``lang`` (``"vi"`` or ``"en"``) as ``fmt``.

    Parameters
    ----------
    facts
        What to say (:func:`forecast.bulletin.facts.bulletin_facts`).
    lang
        ``"vi"`` (default) or ``"en"``.
    fmt
        ``"md"``, ``"html"``, ``"txt"`` or ``"sms"``.
    charts
        For ``html`` only: per series key, a PNG (bytes) or a matplotlib Figure to embed
        (see :func:`forecast.bulletin.html.fan_charts`). Other formats ignore it.

    Returns
    -------
    str
        The text; for ``sms`` one message per line.
    """
    words(lang)  # checks lang
    if fmt == "md":
        return render_markdown(facts, lang)
    if fmt == "html":
        return render_html(facts, lang, charts)
    if fmt == "txt":
        return render_text(facts, lang)
    if fmt == "sms":
        return "\n".join(sms_messages(facts, lang)) + "\n"
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")


# --------------------------------------------------------------------------- Markdown


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(facts: BulletinFacts, lang: str = "vi") -> str:
    w = words(lang)
    out = [f"# {title(facts, lang)}", "", summary_sentence(facts, lang), ""]
    if facts.series:
        head = columns(facts, lang)
        out.append("| " + " | ".join(head) + " |")
        numbers = [3 <= i <= 7 for i in kept_columns(facts)]  # price to outlook: right-aligned
        out.append("|" + "|".join("---:" if n else "---" for n in numbers) + "|")
        for row in table_rows(facts, lang):
            out.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
        out += ["", f"_{legend(facts, lang)}_", ""]
    markets = market_names(facts, lang)
    noted = [(s, series_notes(s, lang)) for s in facts.series]
    noted = [(s, n) for s, n in noted if n]
    if noted:
        out += [f"## {w['notes']}", ""]
        for s, notes in noted:
            out.append(f"- **{series_name(s, lang, markets)}**: {' '.join(notes)}")
        out.append("")
    lines = [(s, accuracy_sentence(s, lang, facts.as_of)) for s in facts.series]
    lines = [(s, line) for s, line in lines if line]
    if lines:
        out += [f"## {w['accuracy_title']}", ""]
        for s, line in lines:
            out.append(f"- **{series_name(s, lang, markets)}**: {line}")
        out.append("")
    stale = stale_sentence(facts, lang)
    if stale:
        out += [f"_{stale}_", ""]
    return "\n".join(out).rstrip("\n") + "\n"


# --------------------------------------------------------------------------- plain text


def _wrap(text: str, indent: str = "", width: int = TXT_WIDTH) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent + "  " if indent else "",
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def render_text(facts: BulletinFacts, lang: str = "vi") -> str:
    """Plain text, every line within 60 columns: a block per series instead of a table."""
    head = title(facts, lang)
    out = [*_wrap(head.upper()), "=" * min(TXT_WIDTH, max(len(head), 1)), ""]
    out += _wrap(summary_sentence(facts, lang))
    names = columns(facts, lang)
    markets = market_names(facts, lang)
    for s, row in zip(facts.series, table_rows(facts, lang), strict=True):
        out += ["", *_wrap(series_name(s, lang, markets))]
        price = f"{format_number(s.price, lang)} {row[2]}"
        if not s.is_current(facts.as_of):
            price += f" ({period_label(s.date, s.freq, lang)})"
        out += _wrap(f"{names[3]}: {price}", "  ")
        for label, value in zip(names[4:], row[4:], strict=True):
            out += _wrap(f"{label}: {value}", "  ")
        for note in series_notes(s, lang):
            out += _wrap(f"* {note}", "  ")
        line = accuracy_sentence(s, lang, facts.as_of)
        if line:
            out += _wrap(f"* {line}", "  ")
    if facts.series:
        out += ["", *_wrap(legend(facts, lang))]
    stale = stale_sentence(facts, lang)
    if stale:
        out += ["", *_wrap(stale)]
    return "\n".join(out).rstrip("\n") + "\n"
