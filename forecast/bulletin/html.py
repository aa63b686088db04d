"""Bulletins as one self-contained HTML file, with a fan chart per series for phones.

Inline CSS and charts embedded as ``data:image/png;base64`` images: no link to any other
file, font or script, so it opens offline and mails as is. The full table needs about
740 px, so below 760 px it becomes one card per series (a 360 px phone never scrolls
sideways), and wider, a table too wide for its box scrolls inside it.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from itertools import pairwise

import pandas as pd

from forecast.bulletin.facts import BulletinFacts, BulletinInputs, SeriesFacts
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
    unit_word,
)
from forecast.bulletin.wording import (
    words,
)

#: Chart size for a phone screen (see :func:`fan_charts`).
CHART_INCHES = (4.4, 3.8)
CHART_DPI = 130


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
.band-low{color:#1c5fa8}.band-stress{color:#b35c00}.band-alert{color:#c92a2a;font-weight:600}
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
    """The chart as a PNG of at most 256 colours: a bulletin of 14 charts was 894 KB, 644 KB
    of it true-colour charts, heavy on a farmer's phone data; in a palette of 256 they are
    a third of that, and a chart of a few inks and their blends looks the same."""
    if isinstance(chart, (bytes, bytearray)):
        return bytes(chart)
    from PIL import Image  # matplotlib's own dependency

    buffer = io.BytesIO()
    chart.savefig(buffer, format="png", dpi=dpi)  # a matplotlib Figure
    buffer.seek(0)
    with Image.open(buffer) as image:
        # No dithering: its speckles cost bytes and blur thin lines.
        palette = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


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
    markets = market_names(facts, lang)
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
                "band-low" if s.low else f"band-{s.alps_band}" if s.alps_band else "",
            ]
            classes = [classes[i] for i in kept_columns(facts)]
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
    lines = [(s, accuracy_sentence(s, lang, facts.as_of)) for s in facts.series]
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

    from forecast.plots import fan_chart
    from forecast.table import KEY, iter_series

    wanted = [s for s in inputs.facts.series if keys is None or s.key in keys]
    if not wanted or inputs.forecasts is None or inputs.forecasts.empty:
        return {}
    markets = market_names(inputs.facts, lang)
    keyset = {s.key for s in wanted}
    mask = inputs.prices[list(KEY)].apply(tuple, axis=1).isin(keyset)
    histories = dict(iter_series(inputs.prices[mask]))
    forecasts = {tuple(k): g for k, g in inputs.forecasts.groupby(list(KEY), sort=False)}
    out = {}
    for s in wanted:
        if s.key not in histories or s.key not in forecasts:
            continue
        history, held_back = histories[s.key], _held_back(s)
        fig = Figure(figsize=CHART_INCHES, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        fan_chart(
            history,
            _charted(forecasts[s.key], s, inputs.facts.horizon),
            title=series_name(s, lang, markets),
            unit_label=unit_word(s, lang),  # the table's words: "LKR/trái", not "LKR/cái"
            harvest_months=inputs.calendar_rows.get(s.key),
            # Reaching back for a held-back price the notes name, not for an older one.
            last_n=_periods_shown(history, _held_back(s, named=True), last_n),
            ax=ax,
            lang=lang,
            held_back=held_back,
        )
        _narrow_legend(ax)
        _title_on_the_chart(fig, ax, CHART_DPI)
        _spaced_date_ticks(fig, ax, CHART_DPI)
        out[s.key] = _png(fig, CHART_DPI)
    return out


def _held_back(s: SeriesFacts, named: bool = False) -> pd.Series:
    """The prices the bulletin held back as mistyped (``named``: those its notes name), by
    date: its chart marks them as ``plot``'s fan chart does."""
    held = s.held_back_named if named else s.held_back
    dates = pd.DatetimeIndex([h.date for h in held])
    return pd.Series([h.price for h in held], index=dates, dtype=float)


def _periods_shown(history: pd.Series, held_back: pd.Series, last_n: int) -> int:
    """``last_n`` periods, or back to the price before the first held-back one: a 451.000
    a week before the 36 weeks charted was named in the note above a chart that did not
    show it, and on the chart's edge its mark would sit on the price axis."""
    if held_back.empty:
        return last_n
    return max(last_n, int((history.index >= held_back.index.min()).sum()) + 1)


def _charted(forecast, s: SeriesFacts, horizon: int):
    """The forecast rows to draw: up to the end of the outlook the table states."""
    if s.outlook is None:
        return forecast.head(horizon)
    return forecast[forecast["date"] <= s.outlook.end]


#: The least room between two date labels, in ems of their font: "T2/2026T3" read as one.
DATE_LABEL_GAP_EMS = 0.8


def _title_on_the_chart(fig, ax, dpi: int) -> None:
    """The title in as many lines as keep it on a phone-sized chart: "Pomelo (da xanh grade
    1) – Mỏ Cày Bắc" ran off its right edge, cut at "Mỏ Cày Bắ"."""
    import textwrap

    title = ax.get_title(loc="left")
    if not title:
        return
    fig.set_dpi(dpi)  # measured at the size the PNG is saved
    renderer = fig.canvas.get_renderer()
    artist = ax._left_title  # fan_chart's title (matplotlib keeps it so: no public name)
    room = fig.bbox.width * 0.95 - artist.get_window_extent(renderer).x0
    width = artist.get_window_extent(renderer).width
    if width <= room:
        return
    per_line = max(10, int(len(title) * room / width))
    artist.set_text("\n".join(textwrap.wrap(title, per_line)))  # its size and weight kept


def _spaced_date_ticks(fig, ax, dpi: int) -> None:
    """Fewer date ticks until their labels stand apart at the chart's size.

    The date axis asks for up to 9 ticks whatever the chart's width, and a phone-sized
    chart of 36 weeks or months had a tick a month with labels running together
    ("T2/2026T3"). Labels are measured as drawn, so both languages' month names and a
    year on the first label count."""
    from matplotlib.dates import AutoDateLocator

    fig.set_dpi(dpi)  # measured at the size the PNG is saved
    for most in range(9, 1, -1):
        if _date_labels_apart(fig, ax):
            return
        ax.xaxis.set_major_locator(AutoDateLocator(minticks=2, maxticks=most))


def _date_labels_apart(fig, ax) -> bool:
    """Whether each date label on ``ax`` ends a gap before the next begins."""
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()  # constrained layout: the axes' width as saved
    left, right = ax.get_window_extent(renderer).intervalx
    boxes = sorted(
        (label.get_window_extent(renderer) for label in ax.get_xticklabels() if label.get_text()),
        key=lambda box: box.x0,
    )
    boxes = [box for box in boxes if left - 1 <= (box.x0 + box.x1) / 2 <= right + 1]
    if not boxes:
        return True
    size = ax.get_xticklabels()[0].get_fontsize() * fig.dpi / 72  # an em, in pixels
    return all(a.x1 + DATE_LABEL_GAP_EMS * size <= b.x0 for a, b in pairwise(boxes))


def _narrow_legend(ax) -> None:
    """Two legend columns instead of one row (a row of six squeezes a phone-sized chart), in
    the tick labels' size: at 8 points, on a 360 px screen, it read at about 9 px beside
    the page's 16 px text."""
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
        fontsize=10,
        frameon=False,
        # Three columns of 10-point words outgrow the 4.4-inch chart ("Có thể nhập sai:
        # không dùng"), and the layout squeezed the plot to a sliver.
        ncol=min(len(handles), 2),
    )
