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
* ``sms``: one message per line, each at most 160 plain ASCII characters (Vietnamese without
  diacritics); a bulletin too long for one message is split and numbered ``1/3 ``, ``2/3 ``.
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
from collections import Counter
from collections.abc import Mapping

from forecast.bulletin.facts import BulletinFacts, BulletinInputs, SeriesFacts
from forecast.bulletin.wording import (
    band_name,
    commodity_lower,
    commodity_name,
    format_number,
    format_pct,
    format_range,
    join_names,
    market_name,
    money,
    month_span,
    period_label,
    season_name,
    to_ascii,
    words,
)

FORMATS = ("md", "html", "txt", "sms")
SMS_LIMIT = 160
#: Chart size for a phone screen (see :func:`fan_charts`).
CHART_INCHES = (4.4, 3.8)
CHART_DPI = 130
TXT_WIDTH = 60
#: ALPS bands worth a note: the price is well above what trend and season explain (a
#: "stress" price, 0.25 to 1 standard deviation, shows in the table only).
NOTED_BANDS = ("alert", "crisis")
#: ALPS bands worth a line in an SMS (short messages carry only the loud ones).
SMS_BANDS = ("alert", "crisis")


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
        (see :func:`fan_charts`). Other formats ignore it.

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


# --------------------------------------------------------------------------- shared parts


def title(facts: BulletinFacts, lang: str) -> str:
    if facts.as_of is None or facts.as_of != facts.as_of:  # NaT
        return words(lang)["title"]
    freq = "monthly" if facts.freq == "mixed" else facts.freq
    return words(lang)["title_date"].format(date=period_label(facts.as_of, freq, lang))


def summary_sentence(facts: BulletinFacts, lang: str) -> str:
    """One sentence, Bến Tre style: which products rose, fell, or held steady.

    "Nhìn chung, giá gạo tăng; giá dừa giảm nhẹ; giá các mặt hàng khác ổn định."
    """
    w = words(lang)
    if not facts.summary:
        return w["overall_none"]
    groups: dict[str, list[str]] = {}
    for item in facts.summary:
        if item.movement == "stable":
            continue
        groups.setdefault(f"{item.movement}_{item.strength}", []).append(
            commodity_lower(item.commodity, lang)
        )
    order = [f"{m}_{s}" for m in ("rose", "fell") for s in ("severe", "high", "moderate", "slight")]
    parts = [
        w["part"].format(names=join_names(groups[verb], lang), verb=w[verb])
        for verb in order
        if verb in groups
    ]
    if any(item.movement == "stable" for item in facts.summary):
        parts.append(w["others_stable"] if parts else w["all_stable"])
    sentence = w["overall"].format(parts="; ".join(parts))
    return sentence[0].upper() + sentence[1:]


def _unit_word(s: SeriesFacts, lang: str) -> str:
    from forecast.plots import unit_label

    return unit_label(s.currency, s.unit, lang)


def _marked(change, lang: str, *, years: bool = False) -> str:
    if change is None:
        return words(lang)["missing"]
    text = format_pct(change.pct, lang)
    mark = {"high": " !", "severe": " !!"}.get(change.grade, "")
    if years and change.n_years is not None and change.n_years < 5:
        text += f" ({words(lang)['n_years'].format(n=change.n_years)})"
    return text + mark


def _outlook_cell(s: SeriesFacts, lang: str) -> str:
    w = words(lang)
    o = s.outlook
    if o is None:
        return w["missing"]
    direction = w[o.direction]
    if o.low is None:
        return direction
    return f"{format_range(o.low, o.high, lang)}, {direction}"


def _markets(facts: BulletinFacts, lang: str) -> dict[tuple, str]:
    """Market names, with the price type where one product has two in the same market."""
    count = Counter((s.commodity, s.market) for s in facts.series)
    out = {}
    for s in facts.series:
        name = market_name(s.market, lang)
        if count[(s.commodity, s.market)] > 1:
            name = f"{name} ({s.price_type})"
        out[s.key] = name
    return out


def _price_cell(s: SeriesFacts, facts: BulletinFacts, lang: str) -> str:
    text = format_number(s.price, lang)
    if facts.as_of is not None and s.date != facts.as_of:
        text += f" ({period_label(s.date, s.freq, lang)})"
    return text


def columns(facts: BulletinFacts, lang: str) -> list[str]:
    w = words(lang)
    freq = facts.freq
    horizon = max((s.outlook.periods for s in facts.series if s.outlook), default=facts.horizon)
    return [
        w["col_product"],
        w["col_market"],
        w["col_unit"],
        w["col_price"],
        w[f"col_prev_{freq}"],
        w["col_year"],
        w["col_five"],
        w[f"col_outlook_{freq}"].format(n=horizon),
        w["col_anomaly"],
    ]


def table_rows(facts: BulletinFacts, lang: str) -> list[list[str]]:
    """The table's cells, one row per series, in the order of :func:`columns`."""
    markets = _markets(facts, lang)
    return [
        [
            commodity_name(s.commodity, lang),
            markets[s.key],
            _unit_word(s, lang),
            _price_cell(s, facts, lang),
            _marked(s.vs_previous, lang),
            _marked(s.vs_year_ago, lang),
            _marked(s.vs_five_year, lang, years=True),
            _outlook_cell(s, lang),
            band_name(s.alps_band, lang),
        ]
        for s in facts.series
    ]


def series_name(s: SeriesFacts, lang: str, markets: dict[tuple, str] | None = None) -> str:
    market = markets[s.key] if markets else market_name(s.market, lang)
    return f"{commodity_name(s.commodity, lang)} – {market}"


def harvest_sentence(note, lang: str) -> str:
    w = words(lang)
    season = season_name(note.season, lang)
    months = month_span(note.months, lang)
    if note.effect == "rise":
        return w["harvest_rise"].format(season=season, months=months)
    key = "harvest_dip_peak" if note.kind == "peak" else "harvest_dip"
    return w[key].format(season=season, months=months)


def series_notes(s: SeriesFacts, lang: str) -> list[str]:
    """Harvest and price-alert notes of one series (may be empty)."""
    w = words(lang)
    notes = [harvest_sentence(note, lang) for note in s.harvest]
    if s.alps_band in NOTED_BANDS and s.alps is not None:
        notes.append(
            w["anomaly_note"].format(
                alps=format_number(s.alps, lang, 1), band=band_name(s.alps_band, lang)
            )
        )
    return notes


def accuracy_sentence(s: SeriesFacts, lang: str) -> str | None:
    a = s.accuracy
    if a is None:
        return None
    w = words(lang)
    unit = _unit_word(s, lang).split("/", 1)[-1]
    date = period_label(a.date, s.freq, lang)
    actual = money(a.actual, s.currency, unit, lang)
    if a.low is None:
        return w["accuracy_point"].format(
            date=date, forecast=format_number(a.forecast, lang), actual=actual
        )
    low, _, high = format_range(a.low, a.high, lang).partition("–")
    return w["accuracy"].format(
        date=date, low=low, high=high, actual=actual, verdict=w[f"verdict_{a.verdict}"]
    )


def stale_sentence(facts: BulletinFacts, lang: str) -> str | None:
    if not facts.stale:
        return None
    from forecast.bulletin.facts import MAX_AGE_MONTHS

    names = [f"{commodity_name(k[0], lang)} ({market_name(k[1], lang)})" for k in facts.stale]
    return words(lang)["stale"].format(months=MAX_AGE_MONTHS, names=", ".join(names))


def legend(facts: BulletinFacts, lang: str) -> str:
    return words(lang)["legend"].format(model=facts.model or "–")


# --------------------------------------------------------------------------- Markdown


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(facts: BulletinFacts, lang: str = "vi") -> str:
    w = words(lang)
    out = [f"# {title(facts, lang)}", "", summary_sentence(facts, lang), ""]
    if facts.series:
        head = columns(facts, lang)
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "|".join("---:" if 3 <= i <= 7 else "---" for i in range(len(head))) + "|")
        for row in table_rows(facts, lang):
            out.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
        out += ["", f"_{legend(facts, lang)}_", ""]
    markets = _markets(facts, lang)
    noted = [(s, series_notes(s, lang)) for s in facts.series]
    noted = [(s, n) for s, n in noted if n]
    if noted:
        out += [f"## {w['notes']}", ""]
        for s, notes in noted:
            out.append(f"- **{series_name(s, lang, markets)}**: {' '.join(notes)}")
        out.append("")
    lines = [(s, accuracy_sentence(s, lang)) for s in facts.series]
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
    markets = _markets(facts, lang)
    for s, row in zip(facts.series, table_rows(facts, lang), strict=True):
        out += ["", *_wrap(series_name(s, lang, markets))]
        price = f"{format_number(s.price, lang)} {row[2]}"
        if facts.as_of is not None and s.date != facts.as_of:
            price += f" ({period_label(s.date, s.freq, lang)})"
        out += _wrap(f"{names[3]}: {price}", "  ")
        for label, value in zip(names[4:], row[4:], strict=True):
            out += _wrap(f"{label}: {value}", "  ")
        for note in series_notes(s, lang):
            out += _wrap(f"* {note}", "  ")
        line = accuracy_sentence(s, lang)
        if line:
            out += _wrap(f"* {line}", "  ")
    if facts.series:
        out += ["", *_wrap(legend(facts, lang))]
    stale = stale_sentence(facts, lang)
    if stale:
        out += ["", *_wrap(stale)]
    return "\n".join(out).rstrip("\n") + "\n"


# --------------------------------------------------------------------------- SMS


def sms_series_text(s: SeriesFacts, facts: BulletinFacts, lang: str) -> str:
    """One series in SMS words (still with diacritics; :func:`sms_messages` folds them)."""
    w = words(lang)
    unit = _unit_word(s, lang).split("/", 1)[-1]
    market = market_name(s.market, lang)
    price = money(s.price, s.currency, unit, lang, sms=True)
    head = f"{commodity_name(s.commodity, lang)} {market} {price}"
    if facts.as_of is not None and s.date != facts.as_of:
        head += f" {period_label(s.date, s.freq, lang)}"
    if s.vs_previous is not None:
        head += f" ({format_pct(s.vs_previous.pct, lang, decimals=0)})"
    parts = [head + "."]
    if s.outlook is not None:
        period = w[f"sms_period_{s.freq}"]
        direction = w[s.outlook.direction]
        if s.outlook.low is not None:
            low, _, high = format_range(s.outlook.low, s.outlook.high, lang, "/").partition("/")
            parts.append(
                w["sms_outlook"].format(
                    n=s.outlook.periods,
                    period=period,
                    low=low,
                    high=high,
                    direction=direction,
                )
            )
        else:
            parts.append(
                w["sms_outlook_point"].format(
                    n=s.outlook.periods, period=period, direction=direction
                )
            )
    for note in s.harvest:
        template = w["sms_rise"] if note.effect == "rise" else w["sms_dip"]
        parts.append(
            template.format(
                season=season_name(note.season, lang),
                months=month_span(note.months, lang, short=True),
            )
        )
    if s.alps_band in SMS_BANDS:
        parts.append(w["sms_alert"].format(band=band_name(s.alps_band, lang)))
    return " ".join(parts)


def _split_words(text: str, cap: int) -> list[str]:
    chunks, current = [], ""
    for word in text.split():
        while len(word) > cap:  # a word longer than a message: cut it
            if current:
                chunks.append(current)
                current = ""
            chunks.append(word[:cap])
            word = word[cap:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= cap:
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


def _pack(units: list[str], cap: int) -> list[str]:
    """Greedy packing: a unit that fits whole in a message is never split across two."""
    messages: list[str] = []
    current = ""

    def add(piece: str) -> None:
        nonlocal current
        if not current:
            current = piece
        elif len(current) + 1 + len(piece) <= cap:
            current += " " + piece
        else:
            messages.append(current)
            current = piece

    for unit in units:
        if len(unit) <= cap:
            add(unit)
            continue
        for sentence in _sentences(unit):
            for piece in [sentence] if len(sentence) <= cap else _split_words(sentence, cap):
                add(piece)
    if current:
        messages.append(current)
    return messages


def pack_sms(units: list[str], limit: int = SMS_LIMIT) -> list[str]:
    """Pack ASCII text units into messages of at most ``limit`` characters.

    One message needs no number; several are numbered ``"1/3 "``, ``"2/3 "``..., the number
    counted within the limit.
    """
    units = [u.strip() for u in units if u.strip()]
    if not units:
        return []
    single = _pack(units, limit)
    if len(single) == 1:
        return single
    width = len(f"{len(single)}/{len(single)} ")
    while True:
        messages = _pack(units, limit - width)
        needed = len(f"{len(messages)}/{len(messages)} ")
        if needed <= width:
            break
        width = needed
    n = len(messages)
    return [f"{i}/{n} {m}" for i, m in enumerate(messages, start=1)]


def sms_messages(facts: BulletinFacts, lang: str = "vi", limit: int = SMS_LIMIT) -> list[str]:
    """The bulletin as SMS messages: plain ASCII, each at most ``limit`` characters."""
    w = words(lang)
    freq = "monthly" if facts.freq == "mixed" else facts.freq
    head = ""
    if facts.as_of is not None and facts.as_of == facts.as_of:
        head = w["sms_head"].format(date=period_label(facts.as_of, freq, lang)) + " "
    units = [to_ascii(head + summary_sentence(facts, lang))]
    units += [to_ascii(sms_series_text(s, facts, lang)) for s in facts.series]
    return pack_sms(units, limit)


# --------------------------------------------------------------------------- HTML

_CSS = """
*{box-sizing:border-box}
body{margin:0;padding:12px;font:16px/1.45 -apple-system,"Segoe UI",Roboto,"Noto Sans",
"DejaVu Sans",Arial,sans-serif;color:#1d2733;background:#fff}
main{max-width:960px;margin:0 auto}
h1{font-size:1.35em;margin:.2em 0 .5em;color:#1d3557}
h2{font-size:1.1em;margin:1.4em 0 .4em;color:#1d3557}
h3{font-size:1em;margin:1.2em 0 .3em}
p.summary{font-size:1.08em;font-weight:600;background:#eef4f8;padding:10px 12px;
border-left:4px solid #1d3557;margin:0 0 1em}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{padding:6px 8px;border-bottom:1px solid #dde3ea;text-align:left;vertical-align:top}
th{background:#1d3557;color:#fff;font-weight:600}
td.num{text-align:right}
.wide{overflow-x:auto}
tr:nth-child(even) td{background:#f7f9fb}
.high{color:#b35c00;font-weight:600}.severe{color:#c92a2a;font-weight:700}
.band-stress{color:#b35c00}.band-alert{color:#c92a2a;font-weight:600}
.band-crisis{color:#fff;background:#c92a2a !important;font-weight:700}
.legend{font-size:.82em;color:#555}
ul{padding-left:1.2em}
figure{margin:.6em 0 1.2em}
img{max-width:100%;height:auto;display:block}
figcaption{font-size:.82em;color:#555}
@media (max-width:760px){
body{padding:8px}
table,thead,tbody,tr,th,td{display:block;width:100%}
thead{position:absolute;left:-9999px;top:-9999px}
tr{border:1px solid #dde3ea;border-radius:8px;margin:0 0 10px;padding:4px 0;background:#fff}
tr:nth-child(even) td{background:transparent}
td{border:0;padding:3px 10px;display:flex;justify-content:space-between;gap:10px;
text-align:right;white-space:normal;overflow-wrap:anywhere}
td.num{white-space:normal}
td::before{content:attr(data-label);font-weight:600;color:#44505c;text-align:left;
flex:0 0 45%}
td.product{font-weight:700;font-size:1.05em;background:#eef4f8 !important}
}
""".strip()


def _png(chart: object, dpi: int = 100) -> bytes:
    if isinstance(chart, (bytes, bytearray)):
        return bytes(chart)
    buffer = io.BytesIO()
    chart.savefig(buffer, format="png", dpi=dpi)  # a matplotlib Figure
    return buffer.getvalue()


def _grade_class(change) -> str:
    if change is None:
        return ""
    return {"high": "high", "severe": "severe"}.get(change.grade, "")


def render_html(
    facts: BulletinFacts, lang: str = "vi", charts: Mapping[tuple, object] | None = None
) -> str:
    """One self-contained HTML page (inline CSS, base64 PNG charts, no scripts)."""
    w = words(lang)
    esc = html.escape
    head = columns(facts, lang)
    markets = _markets(facts, lang)
    body = [f"<h1>{esc(title(facts, lang))}</h1>"]
    body.append(f'<p class="summary">{esc(summary_sentence(facts, lang))}</p>')
    if facts.series:
        body.append('<div class="wide"><table>')
        body.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead>")
        body.append("<tbody>")
        for s, row in zip(facts.series, table_rows(facts, lang), strict=True):
            classes = [
                "product",
                "",
                "",
                "num",
                f"num {_grade_class(s.vs_previous)}",
                f"num {_grade_class(s.vs_year_ago)}",
                f"num {_grade_class(s.vs_five_year)}",
                "num",
                f"band-{s.alps_band}" if s.alps_band else "",
            ]
            cells = "".join(
                f'<td data-label="{esc(label)}"'
                + (f' class="{cls.strip()}"' if cls.strip() else "")
                + f">{esc(value)}</td>"
                for label, value, cls in zip(head, row, classes, strict=True)
            )
            body.append(f"<tr>{cells}</tr>")
        body.append("</tbody></table></div>")
        body.append(f'<p class="legend">{esc(legend(facts, lang))}</p>')
    charts = charts or {}
    blocks = []
    for s in facts.series:
        notes = series_notes(s, lang)
        chart = charts.get(s.key)
        if not notes and chart is None:
            continue
        name = series_name(s, lang, markets)
        block = [f"<h3>{esc(name)}</h3>"]
        if notes:
            block.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
        if chart is not None:
            data = base64.b64encode(_png(chart)).decode("ascii")
            alt = esc(w["chart_alt"].format(name=name))
            block.append(f'<figure><img src="data:image/png;base64,{data}" alt="{alt}"></figure>')
        blocks.append("\n".join(block))
    if blocks:
        body.append(f"<h2>{esc(w['notes'])}</h2>")
        body += blocks
    lines = [(s, accuracy_sentence(s, lang)) for s in facts.series]
    lines = [(s, line) for s, line in lines if line]
    if lines:
        body.append(f"<h2>{esc(w['accuracy_title'])}</h2><ul>")
        body += [
            f"<li><strong>{esc(series_name(s, lang, markets))}</strong>: {esc(line)}</li>"
            for s, line in lines
        ]
        body.append("</ul>")
    stale = stale_sentence(facts, lang)
    if stale:
        body.append(f'<p class="legend">{esc(stale)}</p>')
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title(facts, lang))}</title>\n<style>\n{_CSS}\n</style>\n</head>\n"
        "<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- charts


def fan_charts(
    inputs: BulletinInputs,
    lang: str = "vi",
    keys: set[tuple] | None = None,
    last_n: int = 36,
) -> dict[tuple, bytes]:
    """A fan chart PNG per series of the bulletin (or of ``keys``), sized for a phone.

    Uses :func:`forecast.plots.fan_chart` on a 4.4 × 3.8 inch figure at 130 dpi (572 px):
    text keeps its size relative to the chart's inches, so a narrow figure keeps it legible
    when a 360 px screen shrinks the image, and 130 dpi keeps it sharp on 1.5x screens.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from forecast.plots import fan_chart, unit_label
    from forecast.table import KEY, iter_series

    wanted = [s for s in inputs.facts.series if keys is None or s.key in keys]
    if not wanted or inputs.forecasts is None or inputs.forecasts.empty:
        return {}
    markets = _markets(inputs.facts, lang)
    keyset = {s.key for s in wanted}
    mask = inputs.prices[list(KEY)].apply(tuple, axis=1).isin(keyset)
    histories = dict(iter_series(inputs.prices[mask]))
    forecasts = {tuple(k): g for k, g in inputs.forecasts.groupby(list(KEY), sort=False)}
    out = {}
    for s in wanted:
        if s.key not in histories or s.key not in forecasts:
            continue
        fig = Figure(figsize=CHART_INCHES, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        fan_chart(
            histories[s.key],
            _charted(forecasts[s.key], s, inputs.facts.horizon),
            title=series_name(s, lang, markets),
            unit_label=unit_label(s.currency, s.unit, lang),
            harvest_months=inputs.calendar_rows.get(s.key),
            last_n=last_n,
            ax=ax,
            lang=lang,
        )
        _narrow_legend(ax)
        out[s.key] = _png(fig, CHART_DPI)
    return out


def _charted(forecast, s: SeriesFacts, horizon: int):
    """The forecast rows to draw: up to the end of the outlook the table states."""
    if s.outlook is None:
        return forecast.head(horizon)
    return forecast[forecast["date"] <= s.outlook.end]


def _narrow_legend(ax) -> None:
    """Three legend columns instead of one row: a row of six squeezes a phone-sized chart."""
    legend = ax.get_legend()
    if legend is None:
        return
    handles = list(getattr(legend, "legend_handles", None) or legend.legendHandles)
    labels = [text.get_text() for text in legend.get_texts()]
    ax.legend(
        handles=handles,
        labels=labels,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        fontsize=8,
        frameon=False,
        ncol=min(len(handles), 3),
    )
