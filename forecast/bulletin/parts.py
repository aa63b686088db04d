"""The pieces every bulletin format shares: title, summary, table cells, notes, legend.

Each takes the facts and a language and returns words; the formats (``render`` for Markdown
and text, ``html``, ``sms``) only lay them out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pandas as pd

from forecast.bulletin.facts import (
    Accuracy,
    BulletinFacts,
    CommodityMovement,
    SeriesFacts,
    period_of,
    period_step,
    verdict,
)
from forecast.bulletin.wording import (
    band_name,
    base_commodity,
    commodity_lower,
    commodity_name,
    count_word,
    counted,
    country_name,
    day_label,
    format_number,
    format_pct,
    format_range,
    join_names,
    market_name,
    money,
    month_span,
    period_label,
    season_name,
    shown_number,
    shown_range,
    words,
)

#: ALPS bands worth a note: the price is well above what trend and season explain (a
#: "stress" price, 0.25 to 1 standard deviation, shows in the table only). A low price (ALPS
#: below -1: :attr:`SeriesFacts.low`) gets a note too.
NOTED_BANDS = ("alert", "crisis")


def title(facts: BulletinFacts, lang: str) -> str:
    if facts.as_of is None or facts.as_of != facts.as_of:  # NaT
        return words(lang)["title"]
    freq = "monthly" if facts.freq == "mixed" else facts.freq
    when = period_label(facts.as_of, freq, lang)
    if freq == "monthly" and lang == "vi":  # a headline spells the month: "tháng 11/2025"
        when = f"tháng {facts.as_of.month}/{facts.as_of.year}"
    return words(lang)["title_date"].format(date=when)


def summary_sentence(facts: BulletinFacts, lang: str) -> str:
    """One sentence, Bến Tre style: which products rose, fell, or held steady.

    "Nhìn chung, giá gạo tăng; giá dừa giảm nhẹ; giá các mặt hàng khác ổn định."

    Only current series speak (``facts.summary``: see :meth:`SeriesFacts.is_current`); one
    product that held steady is named ("giá sầu riêng Ri6 ổn định"), not "the products".
    When the table also shows series whose latest price is older (coconut in June, in a
    November bulletin), "other prices held steady" would speak for them too, rising in the
    rows below: the steady ones are then named, and the older ones said to have no new price.
    """
    w = words(lang)
    if not facts.summary:
        # A new price that came and was held back is said as such, beside the products
        # with none: a subscriber to that product alone was told there was no price this
        # period.
        older, uncompared, held = _not_summed(facts, lang) if facts.series else ([], [], [])
        if held:
            return _sentence(_not_summed_parts(older, uncompared, held, lang), lang)
        if facts.series and not facts.current():
            return w["overall_not_current"]
        return w["overall_none"]
    names = headline_names(facts.summary, lang)
    # Prices here first, then the world's, then each country's: "giá gạo tăng; giá ca cao
    # và đường thế giới giảm; giá gạo trắng ở Sri Lanka tăng".
    places = list(dict.fromkeys([None, "world", *(item.place for item in facts.summary)]))
    groups: dict[tuple[str | None, str], list[str]] = {}
    for item in facts.summary:
        if item.movement in ("stable", "mixed"):
            continue
        verb = f"{item.movement}_{item.strength}"
        groups.setdefault((item.place, verb), []).append(names[item.commodity, item.place])
    order = [f"{m}_{s}" for m in ("rose", "fell") for s in ("severe", "high", "moderate", "slight")]
    parts = [
        _part(join_names(groups[place, verb], lang), w[verb], place, lang)
        for place in places
        for verb in order
        if (place, verb) in groups
    ]
    # A product whose markets went opposite ways says where each way, never "steady".
    parts += [
        w["part_mixed"].format(
            names=names[item.commodity, item.place],
            up=_markets_said(item.rose_in, lang),
            down=_markets_said(item.fell_in, lang),
        )
        for item in facts.summary
        if item.movement == "mixed"
    ]
    stable = [item for item in facts.summary if item.movement == "stable"]
    older, uncompared, held = _not_summed(facts, lang)
    if stable and (len(facts.summary) == 1 or older or uncompared or held):
        for place in places:
            steady = [names[item.commodity, place] for item in stable if item.place == place]
            if steady:
                parts.append(_part(join_names(steady, lang), w["stable_verb"], place, lang))
    elif stable:
        parts.append(w["others_stable"] if parts else w["all_stable"])
    return _sentence(parts + _not_summed_parts(older, uncompared, held, lang), lang)


def _not_summed_parts(older: list, uncompared: list, held: list, lang: str) -> list[str]:
    """What the summary says of the products it does not speak for (``_not_summed``)."""
    w, parts = words(lang), []
    if uncompared:
        parts.append(w["no_earlier_price"].format(names=join_names(uncompared, lang)))
    if older:
        parts.append(w["no_new_price"].format(names=join_names(older, lang)))
    if held:
        parts.append(w["new_price_held_back"].format(names=join_names(held, lang)))
    return parts


def _sentence(parts: list[str], lang: str) -> str:
    sentence = words(lang)["overall"].format(parts="; ".join(parts))
    return sentence[0].upper() + sentence[1:]


def _part(names: str, verb: str, place: str | None, lang: str) -> str:
    """ "giá {names} {verb}", with where those prices are when that is abroad."""
    w = words(lang)
    if place is None:
        return w["part"].format(names=names, verb=verb)
    if place == "world":
        return w["part_world"].format(names=names, verb=verb)
    return w["part_abroad"].format(names=names, verb=verb, place=country_name(place, lang))


def _with_markets(name: str, markets: str | None) -> str:
    """``name`` with its markets in brackets, inside the brackets it has: "pomelo (da xanh,
    Chợ Lách)", not "pomelo (da xanh) (Chợ Lách)" (a depot tester)."""
    if markets is None:
        return name
    if name.endswith(")"):
        return f"{name[:-1]}, {markets})"
    return f"{name} ({markets})"


def _not_summed(facts: BulletinFacts, lang: str) -> tuple[list[str], list[str]]:
    """The products the table shows that the summary does not speak for, as it names them:
    those with an older price than the bulletin's period, and those priced this period
    with no price the period before to compare (a coconut back at +41 % after months
    away, under "prices held steady"). "coconut", or "coconut (Jaffna)" where the same
    product's other markets are in the summary; and those whose price of this period was
    held back as mistyped (the summary said "no new price yet" beside its note). Returns
    ``(older, uncompared, held)``."""
    from forecast.bulletin.facts import place_abroad

    summed = {item.commodity for item in facts.summary}
    # Per list, each product's markets and the places they are in (see _placed).
    lists: dict[str, dict[str, list[str]]] = {"older": {}, "uncompared": {}, "held": {}}
    places: dict[tuple[str, str], set] = {}
    for s in facts.series:
        if not s.is_current(facts.as_of):
            # A new price came, held back as mistyped: not "no new price yet".
            mistyped = any(_in_period(h.date, facts.as_of, s.freq) for h in s.held_back)
            which = "held" if mistyped else "older"
        elif s.vs_previous is None:  # priced now, nothing the period before to compare
            which = "uncompared"
        else:
            continue
        lists[which].setdefault(s.commodity, []).append(s.market)
        places.setdefault((which, s.commodity), set()).add(place_abroad(s.market, s.currency))
    older, uncompared, held = lists["older"], lists["uncompared"], lists["held"]
    # A product whose other markets the summary speaks of, or named in two lists, is named
    # with its markets: "durian (Chợ A)", "durian (Chợ B)", not "durian" twice.
    both = (set(older) & set(uncompared)) | (set(held) & (set(older) | set(uncompared)))

    def named(which: str) -> list[str]:
        return [
            _placed(
                _with_markets(
                    commodity_lower(commodity, lang),
                    _markets_said(markets, lang) if commodity in summed | both else None,
                ),
                places[which, commodity],
                lang,
            )
            for commodity, markets in lists[which].items()
        ]

    return named("older"), named("uncompared"), named("held")


def _placed(name: str, places: set, lang: str) -> str:
    """A product's name with where it is, when all its series are in one place abroad:
    "dừa ở Sri Lanka", "dầu cọ thế giới" ("coconut in Sri Lanka", "world palm oil")."""
    (place,) = places if len(places) == 1 else (None,)
    if place is None:
        return name
    w = words(lang)
    if place == "world":
        return w["named_world"].format(name=name)
    return w["named_abroad"].format(name=name, place=country_name(place, lang))


def _in_period(date, as_of, freq: str) -> bool:
    from forecast.bulletin.facts import same_period

    return as_of is not None and same_period(date, as_of, freq)


#: Beyond this many markets the summary counts them ("rice (3 markets)") instead of naming them.
HEADLINE_MARKETS = 2


def headline_names(summary: Sequence[CommodityMovement], lang: str) -> dict[tuple, str]:
    """Each commodity of the summary as the sentence names it: "gạo", or with its markets,
    "gạo (Bangkok)", when its name alone would not tell it from another one the summary
    speaks of: "rice, rice (Thai 5% broken) and rice (Vietnamese 5% broken)" left the
    reader to guess whose "rice" rose. That is when it is the bare commodity ("Rice")
    beside a kind of it ("Rice (Thai 5% broken)"), or two commodities read alike in
    ``lang``. The kinds are told apart by their own names and stay as they are.

    Whether a name is bare is judged on its English name in both languages ("Gạo" and "Gạo
    trắng" are "Rice" and "Rice (white)"), so both bulletins name the same markets.
    """
    # By commodity and place: the sentence says where a place abroad is, so rice here and
    # rice in Sri Lanka are told apart by it, not by their markets.
    names = {(i.commodity, i.place): commodity_lower(i.commodity, lang) for i in summary}
    kinds = {(i.commodity, i.place): base_commodity(i.commodity).casefold() for i in summary}
    same_kind = Counter((kind, place) for (_, place), kind in kinds.items())
    same_name = Counter((name, place) for (_, place), name in names.items())
    for item in summary:
        at = (item.commodity, item.place)
        kind = kinds[at]
        bare = kind == commodity_name(item.commodity, "en").strip().casefold()
        unclear = (bare and same_kind[kind, item.place] > 1) or same_name[names[at], item.place] > 1
        if item.movement != "mixed" and 0 < item.agreeing < item.series:  # how many went it
            said = words(lang)["n_of_markets"].format(k=item.agreeing, total=item.series)
            names[at] = _with_markets(names[at], said)
        elif unclear and item.markets:
            names[at] = _with_markets(names[at], _markets_said(item.markets, lang))
    return names


def _markets_said(markets: Sequence[str], lang: str) -> str:
    if len(markets) > HEADLINE_MARKETS:
        return counted(lang, "n_markets", len(markets)).format(n=len(markets))
    return words(lang)["list_sep"].join(market_name(m, lang) for m in markets)


#: English plurals of the words a piece is counted by (``COUNT_WORDS``).
_PLURALS_EN = {"nut": "nuts", "egg": "eggs", "unit": "units"}


def unit_word(s: SeriesFacts, lang: str, *, explained: bool = True) -> str:
    """The series' unit as the table says it: "đồng/kg", "USD/tấn", "LKR/trái" (a coconut
    is counted by the trái, whatever the file called a piece: see ``COUNT_WORDS``).

    Prices in đồng say "đồng" in both languages; the quantity is in the bulletin's language:
    "đồng/trái" in Vietnamese, "đồng/nut" in English, as "LKR/nut". A price per chục stays
    per chục, the depot's unit, and in English says what one is, as English readers do not
    know it: "đồng/chục of 12 nuts" (of 14 where the depot counts 14: ``nuts_per_chuc``).
    ``explained=False`` gives the unit alone ("đồng/chục"), for the notes said after the
    one that explained it.
    """
    from forecast.clean.units import CHUC
    from forecast.plots import series_unit_label

    label = series_unit_label(s.key, lang)  # a coconut's piece counted: "LKR/trái"
    if explained and lang == "en" and str(s.unit).strip() == CHUC:
        return f"{label.split('/', 1)[0]}/{chuc_explained(s)}"
    if explained and str(s.unit).strip() == CHUC and s.nuts_per_chuc not in (None, 12):
        # A chục is 12 where it is not said; a depot counting 14 says so, or its 170.000
        # reads dearer than 146.000 per chục of 12, the same price a nut.
        counted_as = count_word(s.commodity, "nut", "vi") or "trái"
        return f"{label} ({s.nuts_per_chuc} {counted_as})"
    return label


def chuc_explained(s: SeriesFacts) -> str:
    """A chục in English words: "chục of 12 nuts", "chục of 14 nuts"; "chục of 12–16 nuts"
    (as markets count it) when the bulletin was not told the depot's count."""
    counted_as = count_word(s.commodity, "nut", "en") or "nut"
    plural = _PLURALS_EN.get(counted_as, counted_as)
    size = s.nuts_per_chuc
    return f"chục of {size if size else '12–16'} {plural}"


def _marked(change, lang: str, *, years: bool = False, freq: str = "monthly") -> str:
    if change is None:
        return words(lang)["missing"]
    text = format_pct(change.pct, lang)
    mark = {"high": " !", "severe": " !!"}.get(change.grade, "")
    if years and change.n_years is not None and change.n_years < 5:
        text += f" ({counted(lang, 'n_years', change.n_years).format(n=change.n_years)})"
    if change.n_periods:
        text += f" ({periods_back(change.n_periods, freq, lang)})"
    if change.by_tet:
        text += f" ({words(lang)['by_tet']})"
    return text + mark


def periods_back(n: int, freq: str, lang: str) -> str:
    """ "2 tuần", "2 months": how far back a change looks when the period before had no price."""
    key = "n_weeks" if freq == "weekly" else "n_months"
    return counted(lang, key, n).format(n=n)


def _outlook_cell(s: SeriesFacts, lang: str) -> str:
    w = words(lang)
    o = s.outlook
    if o is None:
        return w["missing"]
    direction = w[o.direction]
    if o.low is None:
        return direction
    return f"{format_range(o.low, o.high, lang)}, {direction}"


def market_names(facts: BulletinFacts, lang: str) -> dict[tuple, str]:
    """Market names, with the price type where one product has two in the same market."""
    count = Counter((s.commodity, s.market) for s in facts.series)
    out = {}
    for s in facts.series:
        name = market_name(s.market, lang, s.currency)
        if count[(s.commodity, s.market)] > 1:
            name = f"{name} ({s.price_type})"
        out[s.key] = name
    return out


def _price_cell(s: SeriesFacts, facts: BulletinFacts, lang: str) -> str:
    text = format_number(s.price, lang)
    if not s.is_current(facts.as_of):
        text += f" ({period_label(s.date, s.freq, lang)})"
    return text


#: Positions of the year-ago, 5-year and price-alert columns among every column (kept_columns).
YEAR_AGO_COLUMN, FIVE_YEAR_COLUMN, ALERT_COLUMN = 5, 6, 8


def kept_columns(facts: BulletinFacts) -> list[int]:
    """Positions of the columns the table shows: all but the year-ago change's and the
    5-year average's when no series has a price a year back, and the price alert's when no
    series could be scored (a depot's first year): a column of "–" in every row, and its
    lines of the legend, cost a phone's reader rows of a card and a paragraph of WFP's
    terms that tell nothing."""
    drop = set()
    for column, change in ((YEAR_AGO_COLUMN, "vs_year_ago"), (FIVE_YEAR_COLUMN, "vs_five_year")):
        if all(getattr(s, change) is None for s in facts.series):
            drop.add(column)
    if not shows_alerts(facts):
        drop.add(ALERT_COLUMN)
    return [i for i in range(ALERT_COLUMN + 1) if i not in drop]


def shows_alerts(facts: BulletinFacts) -> bool:
    """Whether any series has a price alert (ALPS) to show, or a low price."""
    return any(s.alps is not None or s.low for s in facts.series)


def columns(facts: BulletinFacts, lang: str) -> list[str]:
    w = words(lang)
    freq = facts.freq
    horizon = max((s.outlook.periods for s in facts.series if s.outlook), default=facts.horizon)
    every = [
        w["col_product"],
        w["col_market"],
        w["col_unit"],
        w["col_price"],
        w[f"col_prev_{freq}"],
        w["col_year"],
        w["col_five"],
        counted(lang, f"col_outlook_{freq}", horizon).format(n=horizon),
        w["col_anomaly"],
    ]
    return [every[i] for i in kept_columns(facts)]


def table_rows(facts: BulletinFacts, lang: str) -> list[list[str]]:
    """The table's cells, one row per series, in the order of :func:`columns`."""
    kept = kept_columns(facts)
    return [[row[i] for i in kept] for row in _every_cell(facts, lang)]


def _every_cell(facts: BulletinFacts, lang: str) -> list[list[str]]:
    markets = market_names(facts, lang)
    return [
        [
            commodity_name(s.commodity, lang),
            markets[s.key],
            unit_word(s, lang),
            _price_cell(s, facts, lang),
            _marked(s.vs_previous, lang, freq=s.freq),
            _marked(s.vs_year_ago, lang),
            _marked(s.vs_five_year, lang, years=True),
            _outlook_cell(s, lang),
            alert_cell(s, lang),
        ]
        for s in facts.series
    ]


def alert_cell(s: SeriesFacts, lang: str) -> str:
    """The price-alert cell: WFP's band in a farmer's words, or "thấp" (low) for a price
    more than one standard deviation below its usual level, never "bình thường" (normal)."""
    return band_name("low" if s.low else s.alps_band, lang)


def shown_alps(s: SeriesFacts, lang: str) -> str:
    """The ALPS to one decimal, or as many as keep it in its band (1.96 is "1,96", not "2,0",
    beside "cao"): see ``forecast.anomaly.shown_value``."""
    from forecast.anomaly import shown_value

    value, decimals = shown_value(s.alps, "alps", 1)
    return format_number(value, lang, decimals)


def series_name(s: SeriesFacts, lang: str, markets: dict[tuple, str] | None = None) -> str:
    market = markets[s.key] if markets else market_name(s.market, lang, s.currency)
    return f"{commodity_name(s.commodity, lang)} – {market}"


def tet_key(note, prefix: str) -> str:
    """The words of a note on the season before Tết: a rise before it, and the ease after
    it when the outlook runs past it; after it only, in Tết's own week or month."""
    if not note.before_tet:
        return f"{prefix}_after_tet"
    return f"{prefix}_rise_tet_after" if note.past_tet else f"{prefix}_rise_tet"


def harvest_sentence(note, lang: str) -> str:
    w = words(lang)
    season = season_name(note.season, lang)
    months = month_span(note.months, lang)
    since = month_span((note.unseen_since,), lang) if note.unseen_since else ""
    if note.tet is not None:  # the run-up to Tết, dated from Tết day
        key = tet_key(note, "harvest")
        if note.unseen_years is not None:  # this market's prices did not rise before it
            key = "harvest_rise_tet_unseen" + ("_from" if note.unseen_since else "")
        tet = day_label(note.tet, lang)
        return w[key].format(season=season, tet=tet, years=note.unseen_years, since=since)
    if note.effect == "rise":
        key = "harvest_rise"
    elif note.all_year:  # picked every month: these months bring more, not the harvest
        key = "harvest_output"
    else:
        key = "harvest_dip_peak" if note.kind == "peak" else "harvest_dip"
    if note.unseen_years is not None:  # this market's own prices did not go that way
        key += "_unseen" + ("_from" if note.unseen_since else "")
    return w[key].format(season=season, months=months, years=note.unseen_years, since=since)


def _unlike_outlook(note, outlook) -> str | None:
    """The words that say a season's usual move is not in the outlook beside it, or
    ``None``: a review read "46.400–58.300, ổn định" beside "sau Tết giá thường giảm", and
    "tăng" beside "thu hoạch rộ, giá thường giảm". Both are true (the calendar's usual
    move; this forecast of these prices), and said together. Not where the note already
    says this market's prices did not go that way, nor beside no direction, nor where the
    season comes after the outlook's periods (it cannot show a move not yet due)."""
    if outlook is None or note.unseen_years is not None or not note.in_outlook:
        return None
    if note.tet is not None:
        key = tet_key(note, "harvest")
        usual = {"harvest_after_tet": "dip", "harvest_rise_tet": "rise"}.get(key)
    else:
        usual = "rise" if note.effect == "rise" else "dip"
    if usual == "dip" and outlook.direction in ("rising", "stable"):
        return "outlook_no_dip"
    if usual == "rise" and outlook.direction in ("falling", "stable"):
        return "outlook_no_rise"
    return None


def series_notes(s: SeriesFacts, lang: str) -> list[str]:
    """Prices held back, harvest and price-alert notes of one series (may be empty)."""
    w = words(lang)
    unit = unit_word(s, lang, explained=False).split("/", 1)[-1]
    notes = [
        w["held_back"].format(
            price=money(h.price, s.currency, unit, lang),
            date=period_label(h.date, s.freq, lang),
            around=money(h.around, s.currency, unit, lang),
        )
        for h in s.held_back_named
    ]
    for r in s.revised_named:  # the change since the previous price says it otherwise
        notes.append(
            w[f"revised_{r.kind}"].format(
                date=period_phrase(r.date, s.freq, lang),
                price=money(r.price, s.currency, unit, lang),
                was=money(r.was, s.currency, unit, lang) if r.was is not None else "",
            )
        )
    for note in s.harvest:
        sentence = harvest_sentence(note, lang)
        unlike = _unlike_outlook(note, s.outlook)
        notes.append(f"{sentence} {w[unlike]}" if unlike else sentence)
    # A price far above its trend that fell on last year (cocoa after its 2024 peak) read
    # "down 29 %" beside "unusually high": both true, and said together.
    year = s.vs_year_ago.pct if s.vs_year_ago is not None else 0.0
    if s.alps_band in NOTED_BANDS and s.alps is not None:
        key = "anomaly_note_though_down" if year < 0 else "anomaly_note"
        # English names WFP's band beside its index (an analyst's words); both say the level.
        said = band_name(s.alps_band, lang)
        notes.append(w[key].format(alps=shown_alps(s, lang), band=said, wfp=s.alps_band))
    elif s.low:
        key = "anomaly_low_note_though_up" if year > 0 else "anomaly_low_note"
        notes.append(w[key].format(alps=shown_alps(s, lang)))
    return notes


def period_phrase(date, freq: str, lang: str) -> str:
    """A period as a sentence names it: "tuần 1–7/12/2025", "the week of 1–7 Dec 2025"
    (English says "for the week of", not "for week of"), "T12/2025"."""
    label = period_label(date, freq, lang)
    return f"the {label}" if lang == "en" and freq != "monthly" else label


def accuracy_sentence(s: SeriesFacts, lang: str, as_of=None) -> str | None:
    """How last period's forecast of ``s`` did; ``as_of`` is the bulletin's date (its
    period's bulletin is "this period"; ``None``: the graded price's)."""
    a = s.accuracy
    if a is None:
        return None
    w = words(lang)
    # The unit as the table says it ("đồng/chục of 14 nuts"): in Markdown and HTML the line
    # stands in a section of its own, under the notes, far from the row that explained it.
    unit = unit_word(s, lang).split("/", 1)[-1]
    date = period_phrase(a.date, s.freq, lang)
    actual = money(a.actual, s.currency, unit, lang)
    # "Last period" only when it was: a forecast from prices weeks older says when it was
    # made, or a farmer takes a six-week-old range for last week's. Counted back from the
    # bulletin's period: after a missed week, the week before's grading came again as
    # "last period" though it was the bulletin two weeks back that made it.
    now = a.date
    if as_of is not None and not pd.isna(as_of):
        now = max(now, period_of(as_of, s.freq))
    made = {}
    if a.made is not None and a.made < now - period_step(s.freq):
        made = {"made": period_label(a.made, s.freq, lang)}
    if a.low is None:
        return w["accuracy_point_made" if made else "accuracy_point"].format(
            date=date, forecast=format_number(a.forecast, lang), actual=actual, **made
        )
    low, _, high = format_range(a.low, a.high, lang).partition("–")
    key, span = "accuracy", {}
    if a.outlook_periods:  # the outlook's one range, as the bulletin that sent it printed it
        key = "accuracy_outlook"
        freq = "monthly" if s.freq == "monthly" else "weekly"
        n = a.outlook_periods
        span = {"span": counted(lang, f"span_{freq}", n).format(n=n)}
        # Named by that bulletin's own period, which its outlook follows: after a week with
        # no new file, "from prices up to 19-25/10 for the 3 weeks after" named the weeks
        # before the ones it printed.
        issued = pd.Timestamp(a.outlook_start) - period_step(s.freq)
        made = {}
        if issued < now - period_step(s.freq):
            made = {"issued": period_phrase(issued, s.freq, lang)}
    return w[f"{key}_made" if made else key].format(
        date=date,
        low=low,
        high=high,
        actual=actual,
        verdict=w[f"verdict_{printed_verdict(a)}"],
        **made,
        **span,
    )


def printed_verdict(a: Accuracy) -> str:
    """How the forecast did, judged on the numbers the sentence prints: the range rounded
    outwards, the price as shown. On the unrounded ones a price of 142.500 was "below" a
    range printed "142.000 to 151.000" (its low end was 142.562): a farmer reads the
    sentence, not the archive."""
    return verdict(shown_number(a.actual), *shown_range(a.low, a.high))


def stale_sentence(facts: BulletinFacts, lang: str) -> str | None:
    if not facts.stale:
        return None
    from forecast.bulletin.facts import MAX_AGE_MONTHS

    # Two spellings read alike ("dừa khô" left out beside "Dừa khô" in the table, both
    # "Coconut (mature)"): the one left out is named as the file spells it too.
    spellings: dict[tuple, set] = {}
    for commodity, market in [(s.commodity, s.market) for s in facts.series] + [
        (k[0], k[1]) for k in facts.stale
    ]:
        spellings.setdefault((commodity_name(commodity, lang), market), set()).add(commodity)
    names = []
    for k in facts.stale:
        name = commodity_name(k[0], lang)
        if len(spellings[(name, k[1])]) > 1:
            name += f" '{k[0]}'"
        names.append(f"{name} ({market_name(k[1], lang, k[4])})")
    return words(lang)["stale"].format(months=MAX_AGE_MONTHS, names=", ".join(names))


def legend(facts: BulletinFacts, lang: str) -> str:
    # No model name: "theta" or "naive" means nothing to a farmer (analysts see it in
    # the forecast command's output).
    w = words(lang)
    if not shows_alerts(facts):  # no price-alert column: nothing of ALPS to explain
        return w["legend"]
    if any(s.low for s in facts.series):  # "thấp" is not one of WFP's bands: say what it is
        return f"{w['legend']} {w['legend_alert']} {w['legend_low']}"
    return f"{w['legend']} {w['legend_alert']}"
