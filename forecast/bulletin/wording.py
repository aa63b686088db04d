"""Every word a bulletin says, per language: one table for Vietnamese, one for English.

Vietnamese is the default: farmers read it. Numbers follow each language's custom:
``45.000`` and ``2,31`` in Vietnamese, ``45,000`` and ``2.31`` in English. Commodity and
market names are translated from small tables; a name the table does not know is kept as
written (an English commodity name in a Vietnamese bulletin is better than a wrong one).

SMS text is the same wording folded to plain ASCII (:func:`to_ascii`): Vietnamese with
diacritics forces UCS-2 encoding and 70 characters a message, so SMS bulletins drop them,
as Bến Tre's own do ("Dua kho 130k/chuc").
"""

from __future__ import annotations

import math
import re
import unicodedata

import pandas as pd

from forecast.table import COUNT_WORDS, PIECE_UNITS

LANGS = ("vi", "en")

#: All sentence templates and labels. ``{x}`` fields are filled by ``render``.
WORDS: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Bản tin giá nông sản",
        "title_date": "Bản tin giá nông sản {date}",
        "overall": "Nhìn chung, {parts}.",
        "overall_none": "Chưa có đủ số liệu để so với kỳ trước.",
        "part": "giá {names} {verb}",
        "part_world": "giá {names} thế giới {verb}",
        "part_abroad": "giá {names} ở {place} {verb}",
        "named_world": "{name} thế giới",
        "named_abroad": "{name} ở {place}",
        "part_mixed": "giá {names} trái chiều (tăng ở {up}, giảm ở {down})",
        "others_stable": "giá các mặt hàng khác ổn định",
        "all_stable": "giá các mặt hàng ổn định",
        "stable_verb": "ổn định",
        "no_new_price": "{names} chưa có giá mới",
        "new_price_held_back": "giá mới của {names} có thể nhập sai, chưa dùng",
        "no_earlier_price": "{names} chưa có giá kỳ trước để so sánh",
        "overall_not_current": "Chưa có giá kỳ này để so với kỳ trước.",
        "and": "và",
        "list_sep": ", ",
        # summary verbs by movement and strength
        "rose_slight": "tăng nhẹ",
        "rose_moderate": "tăng",
        "rose_high": "tăng mạnh",
        "rose_severe": "tăng rất mạnh",
        "fell_slight": "giảm nhẹ",
        "fell_moderate": "giảm",
        "fell_high": "giảm mạnh",
        "fell_severe": "giảm rất mạnh",
        # table
        "col_product": "Mặt hàng",
        "col_market": "Thị trường",
        "col_unit": "Đơn vị",
        "col_price": "Giá",
        "col_prev_monthly": "So tháng trước",
        "col_prev_weekly": "So tuần trước",
        "col_prev_mixed": "So kỳ trước",
        "col_year": "So cùng kỳ năm trước",
        "col_five": "So TB 5 năm",
        "col_outlook_monthly": "Dự báo {n} tháng tới",
        "col_outlook_weekly": "Dự báo {n} tuần tới",
        "col_outlook_mixed": "Dự báo {n} kỳ tới",
        # "_one": the wording for a count of one (see :func:`counted`): "tuần tới", as one
        # says it, not "1 tuần tới"
        "col_outlook_monthly_one": "Dự báo tháng tới",
        "col_outlook_weekly_one": "Dự báo tuần tới",
        "col_outlook_mixed_one": "Dự báo kỳ tới",
        "col_anomaly": "Mức giá",
        "col_date": "Ngày giá",
        "missing": "–",
        "n_years": "{n} năm",
        # a year-ago change against the same week to last year's Tết, not 52 weeks back
        "by_tet": "cùng tuần so với Tết",
        "n_weeks": "{n} tuần",
        "n_months": "{n} tháng",
        "n_markets": "{n} thị trường",
        # a commodity's change in the summary, where its markets went different ways
        "n_of_markets": "{k}/{total} thị trường",
        "rising": "tăng",
        "falling": "giảm",
        "stable": "ổn định",
        "unclear": "chưa rõ tăng hay giảm",
        "too_few": "chưa đủ giá để dự báo",
        "too_old": "chưa có giá mới để dự báo",
        # WFP's bands (stress, alert, crisis) in a farmer's words for a price level: how
        # high the price is for its trend and season.
        "band_normal": "bình thường",
        "band_stress": "hơi cao",
        "band_alert": "cao",
        "band_crisis": "rất cao",
        # below WFP's bands: an ALPS under -1, the price far below its usual level
        "band_low": "thấp",
        "legend": (
            "! thay đổi trên 10% (mạnh), !! trên 25% (rất mạnh). "
            "Dự báo: cứ 10 lần thì khoảng 8 lần giá thực tế nằm trong khoảng này."
        ),
        "legend_alert": (
            "Mức giá: so với mức thường lệ theo xu hướng và mùa vụ (hơi cao, cao, rất cao; "
            "theo chỉ số ALPS của WFP)."
        ),
        "legend_low": "Thấp: giá thấp hơn hẳn mức thường lệ.",
        "notes": "Ghi chú",
        "accuracy_title": "Độ chính xác của dự báo trước",
        "revised_corrected": "Giá {date} đã được sửa: {price} (trước là {was}).",
        "revised_late": "Giá {date} ({price}) đến sau bản tin trước.",
        # notes
        "outlook_no_dip": "Dự báo trên chưa thấy mức giảm này.",
        "outlook_no_rise": "Dự báo trên chưa thấy mức tăng này.",
        "harvest_dip_peak": "{season}: thu hoạch rộ {months}, giá thường giảm.",
        "harvest_dip": "{season}: thu hoạch {months}, giá thường giảm.",
        "harvest_rise": "{season} ({months}): nhu cầu cao, giá thường tăng.",
        "harvest_rise_tet": "{season}: nhu cầu cao trước Tết ({tet}), giá thường tăng.",
        "harvest_rise_tet_after": (
            "{season}: nhu cầu cao trước Tết ({tet}), giá thường tăng; sau Tết giá thường giảm."
        ),
        "harvest_after_tet": "{season}: sau Tết ({tet}) giá thường giảm.",
        "harvest_output": "{season} ({months}): sản lượng tăng, giá thường giảm.",
        # The calendar's season, where this market's own prices did not go its way.
        "harvest_dip_peak_unseen": (
            "{season}: thu hoạch rộ {months}, nhưng giá ở thị trường này thường không giảm "
            "lúc này (theo số liệu {years} năm)."
        ),
        "harvest_dip_unseen": (
            "{season}: thu hoạch {months}, nhưng giá ở thị trường này thường không giảm lúc "
            "này (theo số liệu {years} năm)."
        ),
        "harvest_rise_unseen": (
            "{season} ({months}): nhu cầu cao, nhưng giá ở thị trường này thường không tăng "
            "lúc này (theo số liệu {years} năm)."
        ),
        "harvest_rise_tet_unseen": (
            "{season}: nhu cầu cao trước Tết ({tet}), nhưng giá ở thị trường này thường không "
            "tăng lúc này (theo số liệu {years} năm)."
        ),
        "harvest_output_unseen": (
            "{season} ({months}): sản lượng tăng, nhưng giá ở thị trường này thường không "
            "giảm lúc này (theo số liệu {years} năm)."
        ),
        # The same, where the season's months are below the year but not below the
        # bulletin's month ({since}): from here prices have usually risen into them.
        "harvest_dip_peak_unseen_from": (
            "{season}: thu hoạch rộ {months}, nhưng giá ở thị trường này thường không giảm từ "
            "{since} đến lúc đó (theo số liệu {years} năm)."
        ),
        "harvest_dip_unseen_from": (
            "{season}: thu hoạch {months}, nhưng giá ở thị trường này thường không giảm từ "
            "{since} đến lúc đó (theo số liệu {years} năm)."
        ),
        "harvest_rise_unseen_from": (
            "{season} ({months}): nhu cầu cao, nhưng giá ở thị trường này thường không tăng từ "
            "{since} đến lúc đó (theo số liệu {years} năm)."
        ),
        "harvest_rise_tet_unseen_from": (
            "{season}: nhu cầu cao trước Tết ({tet}), nhưng giá ở thị trường này thường không "
            "tăng từ {since} đến lúc đó (theo số liệu {years} năm)."
        ),
        "harvest_output_unseen_from": (
            "{season} ({months}): sản lượng tăng, nhưng giá ở thị trường này thường không "
            "giảm từ {since} đến lúc đó (theo số liệu {years} năm)."
        ),
        "held_back": (
            "Giá {price} ({date}) khác xa các kỳ trước (khoảng {around}), có thể nhập sai: "
            "không dùng trong bản tin."
        ),
        # The index's value is for analysts (the English bulletin, alerts): a farmer
        # reads the words.
        "anomaly_note": "Giá {band} bất thường so với xu hướng và mùa vụ.",
        "anomaly_low_note": "Giá thấp bất thường so với xu hướng và mùa vụ.",
        "anomaly_note_though_down": (
            "Giá vẫn {band} bất thường so với xu hướng và mùa vụ, dù đã giảm so với năm trước."
        ),
        "anomaly_low_note_though_up": (
            "Giá vẫn thấp bất thường so với xu hướng và mùa vụ, dù đã tăng so với năm trước."
        ),
        "accuracy": (
            "Kỳ trước dự báo giá {date} từ {low} đến {high}; giá thực tế {actual} ({verdict})."
        ),
        "accuracy_point": "Kỳ trước dự báo giá {date} là {forecast}; giá thực tế {actual}.",
        "accuracy_outlook": (
            "Kỳ trước dự báo giá {span} tới từ {low} đến {high}; giá {date}: {actual} ({verdict})."
        ),
        "accuracy_outlook_made": (
            "Bản tin {issued} dự báo giá {span} tới từ {low} đến {high}; giá {date}: {actual} "
            "({verdict})."
        ),
        "span_weekly": "{n} tuần",
        "span_monthly": "{n} tháng",
        "span_weekly_one": "tuần",
        "span_monthly_one": "tháng",
        "accuracy_made": (
            "Dự báo làm từ giá đến {made} cho giá {date}: từ {low} đến {high}; giá thực tế "
            "{actual} ({verdict})."
        ),
        "accuracy_point_made": (
            "Dự báo làm từ giá đến {made} cho giá {date}: {forecast}; giá thực tế {actual}."
        ),
        "verdict_inside": "trong khoảng dự báo",
        "verdict_above": "cao hơn dự báo",
        "verdict_below": "thấp hơn dự báo",
        "stale": "Không đưa vào (không có giá mới trong {months} tháng): {names}.",
        "model_note": "Ghi chú mô hình: {note}",
        "chart_alt": "Biểu đồ giá và dự báo: {name}",
        "season_prefix": "Vụ ",
        # sms
        "sms_outlook": "{n} {period} toi: {low}-{high}, {direction}.",
        "sms_outlook_point": "{n} {period} toi: {direction}.",
        "sms_period_monthly": "thang",
        "sms_period_weekly": "tuan",
        "sms_period_mixed": "ky",
        "sms_outlook_one": "{period} toi: {low}-{high}, {direction}.",
        "sms_outlook_point_one": "{period} toi: {direction}.",
        "sms_period_monthly_one": "Thang",
        "sms_period_weekly_one": "Tuan",
        "sms_period_mixed_one": "Ky",
        "sms_dip": "{season}: gia thuong giam {months}.",
        "sms_rise": "{season}: nhu cau cao, gia thuong tang {months}.",
        "sms_rise_tet": "{season}: gia thuong tang truoc Tet ({tet}).",
        "sms_rise_tet_after": "{season}: gia thuong tang truoc Tet ({tet}), giam sau Tet.",
        "sms_after_tet": "{season}: gia thuong giam sau Tet ({tet}).",
        "sms_output": "{season} ({months}): san luong tang, gia thuong giam.",
        "sms_dip_unseen": "{season}: thu hoach {months}, gia thi truong nay thuong khong giam.",
        "sms_rise_unseen": "{season}: nhu cau cao {months}, gia thi truong nay thuong khong tang.",
        "sms_rise_tet_unseen": (
            "{season}: nhu cau cao truoc Tet ({tet}), gia thi truong nay thuong khong tang."
        ),
        "sms_output_unseen": (
            "{season} ({months}): san luong tang, gia thi truong nay thuong khong giam."
        ),
        "sms_alert": "Canh bao: gia {band} bat thuong.",
        "sms_low": "Gia thap bat thuong.",
        "sms_revised_corrected": "Gia {date} da sua: {price} (truoc {was}).",
        "sms_revised_corrected_typo": "Gia {date} da sua: {price}.",
        "sms_head": "Gia nong san {date}.",
        # starts a message that goes on with a series split across messages
        "sms_continued": "{name} (tiep):",
    },
    "en": {
        "title": "Crop price bulletin",
        "title_date": "Crop price bulletin, {date}",
        "overall": "Overall, {parts}.",
        "overall_none": "Not enough prices yet to compare with the previous period.",
        "part": "{names} prices {verb}",
        "part_world": "world {names} prices {verb}",
        "part_abroad": "{names} prices in {place} {verb}",
        "named_world": "world {name}",
        "named_abroad": "{name} in {place}",
        "part_mixed": "{names} prices went different ways (up in {up}, down in {down})",
        "others_stable": "other prices held steady",
        "all_stable": "prices held steady",
        "stable_verb": "held steady",
        "no_new_price": "no new price yet for {names}",
        "new_price_held_back": "the new price for {names} looks mistyped and is not used",
        "no_earlier_price": "no earlier price to compare for {names}",
        "overall_not_current": "No price of this period yet to compare with the previous one.",
        "and": "and",
        "list_sep": ", ",
        "rose_slight": "rose slightly",
        "rose_moderate": "rose",
        "rose_high": "rose sharply",
        "rose_severe": "rose very sharply",
        "fell_slight": "fell slightly",
        "fell_moderate": "fell",
        "fell_high": "fell sharply",
        "fell_severe": "fell very sharply",
        "col_product": "Product",
        "col_market": "Market",
        "col_unit": "Unit",
        "col_price": "Price",
        "col_prev_monthly": "vs last month",
        "col_prev_weekly": "vs last week",
        "col_prev_mixed": "vs last period",
        "col_year": "vs last year",
        "col_five": "vs 5-yr avg",
        "col_outlook_monthly": "Next {n} months",
        "col_outlook_weekly": "Next {n} weeks",
        "col_outlook_mixed": "Next {n} periods",
        # "_one": the wording for a count of one (see :func:`counted`)
        "col_outlook_monthly_one": "Next month",
        "col_outlook_weekly_one": "Next week",
        "col_outlook_mixed_one": "Next period",
        "col_anomaly": "Price level",
        "col_date": "Price date",
        "missing": "–",
        "n_years": "{n} yrs",
        "by_tet": "same week to Tết",
        "n_weeks": "{n} weeks",
        "n_months": "{n} months",
        "n_years_one": "{n} yr",
        "n_weeks_one": "{n} week",
        "n_months_one": "{n} month",
        "n_markets": "{n} markets",
        # a commodity's change in the summary, where its markets went different ways
        "n_of_markets": "in {k} of {total} markets",  # two or more
        "n_markets_one": "{n} market",
        "rising": "rising",
        "falling": "falling",
        "stable": "stable",
        "unclear": "could go either way",
        "too_few": "too few prices to forecast",
        "too_old": "no recent price to forecast from",
        "band_normal": "normal",
        # WFP's bands (stress, alert, crisis) in plain words, as the Vietnamese says them.
        "band_stress": "a bit high",
        "band_alert": "high",
        "band_crisis": "very high",
        "band_low": "low",
        "legend": (
            "! change above 10% (high), !! above 25% (severe). "
            "Outlook: the price lands inside the range about 8 times in 10."
        ),
        "legend_alert": (
            "Price level: against the usual for the trend and season (WFP's ALPS: a bit "
            "high, high, very high are its stress, alert and crisis)."
        ),
        "legend_low": "Low: well below the usual level (ALPS below −1).",
        "notes": "Notes",
        "accuracy_title": "How the previous forecast did",
        "revised_corrected": "The price for {date} was corrected to {price} (it was {was}).",
        "revised_late": "The price for {date} ({price}) came after the last bulletin.",
        "outlook_no_dip": "The outlook above does not show that dip.",
        "outlook_no_rise": "The outlook above does not show that rise.",
        "harvest_dip_peak": "{season} harvest peaks in {months}: prices usually dip.",
        "harvest_dip": "{season} harvest in {months}: prices usually dip.",
        "harvest_rise": "{season} ({months}): demand peaks, prices usually rise.",
        "harvest_rise_tet": "{season}: demand peaks before Tết ({tet}), prices usually rise.",
        "harvest_rise_tet_after": (
            "{season}: demand peaks before Tết ({tet}), prices usually rise, then ease after it."
        ),
        "harvest_after_tet": "{season}: after Tết ({tet}), prices usually ease.",
        "harvest_output": "{season} ({months}): output rises, prices usually dip.",
        # The calendar's season, where this market's own prices did not go its way.
        "harvest_dip_peak_unseen": (
            "{season} harvest peaks in {months}, but this market's prices have not usually "
            "dipped then ({years} years of prices)."
        ),
        "harvest_dip_unseen": (
            "{season} harvest in {months}, but this market's prices have not usually dipped "
            "then ({years} years of prices)."
        ),
        "harvest_rise_unseen": (
            "{season} ({months}): demand peaks, but this market's prices have not usually "
            "risen then ({years} years of prices)."
        ),
        "harvest_rise_tet_unseen": (
            "{season}: demand peaks before Tết ({tet}), but this market's prices have not "
            "usually risen then ({years} years of prices)."
        ),
        "harvest_output_unseen": (
            "{season} ({months}): output rises, but this market's prices have not usually "
            "dipped then ({years} years of prices)."
        ),
        # The same, where the season's months are below the year but not below the
        # bulletin's month ({since}): from here prices have usually risen into them.
        "harvest_dip_peak_unseen_from": (
            "{season} harvest peaks in {months}, but this market's prices have not usually "
            "fallen from {since} to then ({years} years of prices)."
        ),
        "harvest_dip_unseen_from": (
            "{season} harvest in {months}, but this market's prices have not usually fallen "
            "from {since} to then ({years} years of prices)."
        ),
        "harvest_rise_unseen_from": (
            "{season} ({months}): demand peaks, but this market's prices have not usually "
            "risen from {since} to then ({years} years of prices)."
        ),
        "harvest_rise_tet_unseen_from": (
            "{season}: demand peaks before Tết ({tet}), but this market's prices have not "
            "usually risen from {since} to then ({years} years of prices)."
        ),
        "harvest_output_unseen_from": (
            "{season} ({months}): output rises, but this market's prices have not usually "
            "fallen from {since} to then ({years} years of prices)."
        ),
        "held_back": (
            "The price {price} ({date}) is far from the periods before (about {around}), "
            "perhaps mistyped: not used in this bulletin."
        ),
        "anomaly_note": "Price unusually high for the trend and season (ALPS {alps}: {wfp}).",
        "anomaly_low_note": "Price unusually low for the trend and season (ALPS {alps}).",
        "anomaly_note_though_down": (
            "Price still unusually high for the trend and season (ALPS {alps}: {wfp}), "
            "though down on last year."
        ),
        "anomaly_low_note_though_up": (
            "Price still unusually low for the trend and season (ALPS {alps}), though up on "
            "last year."
        ),
        "accuracy": (
            "Last period we expected {low}–{high} for {date}; the price was {actual} ({verdict})."
        ),
        "accuracy_point": "Last period we expected {forecast} for {date}; the price was {actual}.",
        "accuracy_outlook": (
            "Last period we expected {low}–{high} over the next {span}; for {date} the price "
            "was {actual} ({verdict})."
        ),
        "accuracy_outlook_made": (
            "The bulletin for {issued} expected {low}–{high} over the next {span}; for {date} "
            "the price was {actual} ({verdict})."
        ),
        "span_weekly": "{n} weeks",
        "span_monthly": "{n} months",
        "span_weekly_one": "week",
        "span_monthly_one": "month",
        "accuracy_made": (
            "From prices up to {made} we expected {low} to {high} for {date}; the price was "
            "{actual} ({verdict})."
        ),
        "accuracy_point_made": (
            "From prices up to {made} we expected {forecast} for {date}; the price was {actual}."
        ),
        "verdict_inside": "inside the range",
        "verdict_above": "above the range",
        "verdict_below": "below the range",
        "stale": "Left out (no price in the last {months} months): {names}.",
        "model_note": "Model note: {note}",
        "chart_alt": "Price and forecast chart: {name}",
        "season_prefix": "",
        "sms_outlook": "Next {n} {period}: {low}-{high}, {direction}.",
        "sms_outlook_point": "Next {n} {period}: {direction}.",
        "sms_outlook_one": "Next {period}: {low}-{high}, {direction}.",
        "sms_outlook_point_one": "Next {period}: {direction}.",
        "sms_period_monthly": "months",
        "sms_period_weekly": "weeks",
        "sms_period_mixed": "periods",
        "sms_period_monthly_one": "month",
        "sms_period_weekly_one": "week",
        "sms_period_mixed_one": "period",
        "sms_dip": "{season} harvest: prices usually dip in {months}.",
        "sms_rise": "{season}: demand high, prices usually rise in {months}.",
        "sms_rise_tet": "{season}: prices usually rise before Tet ({tet}).",
        "sms_rise_tet_after": "{season}: prices usually rise before Tet ({tet}), ease after.",
        "sms_after_tet": "{season}: prices usually ease after Tet ({tet}).",
        "sms_output": "{season} ({months}): output up, prices usually dip.",
        "sms_dip_unseen": "{season} harvest in {months}: this market's prices did not usually dip.",
        "sms_rise_unseen": (
            "{season}: demand high in {months}, this market's prices did not usually rise."
        ),
        "sms_rise_tet_unseen": (
            "{season}: demand high before Tet ({tet}), this market's prices did not usually rise."
        ),
        "sms_output_unseen": (
            "{season} ({months}): output up, this market's prices did not usually dip."
        ),
        "sms_alert": "Price {band} for the season.",
        "sms_low": "Price unusually low.",
        "sms_revised_corrected": "Price for {date} corrected: {price} (was {was}).",
        "sms_revised_corrected_typo": "Price for {date} corrected: {price}.",
        "sms_head": "Crop prices {date}.",
        "sms_continued": "{name} (cont.):",
    },
}

#: Commodity names in Vietnamese: the part before any "(" or "," is looked up here, the rest
#: (a grade or origin) in QUALIFIERS_VI. "Rice" in WFP and World Bank tables is milled rice
#: (gạo); paddy is lúa. Read backwards, the first English name of a Vietnamese one is its
#: English name: a kind the Mekong trade names in Vietnamese ("Dừa xiêm") is put into
#: English here, by what the kind is, since its Vietnamese word tells an English reader
#: nothing ("Coconut (xiêm)"); a named variety ("Ri6", "ST25", "da xanh") is kept as written.
COMMODITIES_VI: dict[str, str] = {
    "rice": "Gạo",
    "paddy": "Lúa",
    "rice (paddy)": "Lúa",
    "coconut": "Dừa",
    # The ripe nut with its brown husk, sold by the chục, not dried copra: "dried coconut"
    # is desiccated flesh in English.
    "coconut (mature)": "Dừa khô",
    "coconut (dried)": "Dừa khô",
    "coconut (drinking)": "Dừa xiêm",  # the small green coconut sold for its water
    "coconut (local)": "Dừa ta",
    "coconut (pandan)": "Dừa dứa",
    "coconut (macapuno)": "Dừa sáp",
    "pomelo": "Bưởi",
    "durian": "Sầu riêng",
    "coffee": "Cà phê",
    "coffee, robusta": "Cà phê Robusta",
    "coffee, arabica": "Cà phê Arabica",
    "cocoa": "Ca cao",
    "rubber": "Cao su",
    "sugar": "Đường",
    "sugar, world": "Đường",
    "palm oil": "Dầu cọ",
    "coconut oil": "Dầu dừa",
    "maize": "Ngô",
    "cassava": "Sắn",
    "cassava flour": "Bột sắn",
    "meat (chicken)": "Thịt gà",
    "meat (pork)": "Thịt heo",
    "pork": "Thịt heo",
    "pigs (live)": "Heo hơi",
    "dragon fruit": "Thanh long",
    "mango": "Xoài",
    "pepper": "Hồ tiêu",
    "cashew": "Điều",
    "soybeans": "Đậu nành",
    "wheat": "Lúa mì",
    "fish": "Cá",
    "eggs": "Trứng",
    # Kinds of egg, named like "meat (chicken)": the bird in brackets, so that the base is
    # "Eggs" (counted by the egg: COUNT_WORDS) and "gà" is not left in an English name.
    "eggs (chicken)": "Trứng gà",
    "eggs (duck)": "Trứng vịt",
    # WFP's and the World Bank's other common goods, so that a Vietnamese bulletin of
    # their prices does not read half in English ("Wheat flour", "Urea").
    "wheat flour": "Bột mì",
    "bread": "Bánh mì",
    "noodles": "Mì sợi",
    "lentils": "Đậu lăng",
    "beans": "Đậu",
    "groundnuts": "Đậu phộng",
    "peanuts": "Đậu phộng",
    "onions": "Hành tây",
    "garlic": "Tỏi",
    "potatoes": "Khoai tây",
    "sweet potatoes": "Khoai lang",
    "tomatoes": "Cà chua",
    "cabbage": "Bắp cải",
    "carrots": "Cà rốt",
    "chili": "Ớt",
    "bananas": "Chuối",
    "oranges": "Cam",
    "salt": "Muối",
    "milk": "Sữa",
    "oil (vegetable)": "Dầu thực vật",
    "oil (palm)": "Dầu cọ",
    "meat (beef)": "Thịt bò",
    "beef": "Thịt bò",
    "shrimp": "Tôm",
    "tea": "Chè",
    "urea": "Phân urê",
    "dap": "Phân DAP",
    "tsp": "Phân lân TSP",
    "potassium chloride": "Phân kali",
    "potash": "Phân kali",
    "phosphate rock": "Quặng phốt phát",
    "fertilizer": "Phân bón",
    "natural gas": "Khí đốt",
    "crude oil": "Dầu thô",
    "fuel (diesel)": "Dầu diesel",
    "fuel (petrol-gasoline)": "Xăng",
    "seedlings": "Cây giống",  # "Seedlings (pomelo)": "Cây giống bưởi"
}
QUALIFIERS_VI: dict[str, str] = {
    "white": "trắng",
    "red nadu": "đỏ nadu",
    "red": "đỏ",
    "green": "xanh",
    "black": "đen",
    "glutinous": "nếp",
    "red-fleshed": "ruột đỏ",
    "white-fleshed": "ruột trắng",
    "paddy": "lúa",
    "dried": "khô",
    "fresh": "tươi",
    "dry": "khô",
    "imported": "nhập khẩu",
    "local": "nội",
    "brown": "lứt",
    "broken": "tấm",
    "live": "hơi",
    "beans": "hạt",
    "fragrant": "thơm",
    "viet namese 5%": "Việt Nam 5% tấm",
    "thai 5%": "Thái Lan 5% tấm",
    "rss3": "RSS3",
    "tsr20": "TSR20",
    "world": "",
}
#: English display names where the source's own is awkward in a sentence.
COMMODITIES_EN: dict[str, str] = {
    "sugar, world": "Sugar",
    "rice, viet namese 5%": "Rice (Vietnamese 5% broken)",
    "rice, thai 5%": "Rice (Thai 5% broken)",
}
#: Vietnamese names back to English ("dừa khô" -> "coconut (mature)"), the first English
#: name of each; diacritics kept, so "Dưa" (melon) is not "Dừa" (coconut).
_EN_FROM_VI: dict[str, str] = {}
#: Market names: Vietnamese provinces with their diacritics; "world" is the world market.
MARKETS_VI: dict[str, str] = {
    "world": "Thế giới",
    "an giang": "An Giang",
    "bac lieu": "Bạc Liêu",
    "dong thap": "Đồng Tháp",
    "ben tre": "Bến Tre",
    "can tho": "Cần Thơ",
    "tien giang": "Tiền Giang",
    "vinh long": "Vĩnh Long",
    "tra vinh": "Trà Vinh",
    "soc trang": "Sóc Trăng",
    "kien giang": "Kiên Giang",
    "long an": "Long An",
    "ca mau": "Cà Mau",
    "hau giang": "Hậu Giang",
    "mo cay bac": "Mỏ Cày Bắc",
    "ho chi minh city": "TP. Hồ Chí Minh",
    "ha noi": "Hà Nội",
    "bangkok": "Bangkok",
}
MARKETS_EN: dict[str, str] = {"world": "World"}
#: Calendar season names in English; rice seasons keep their Vietnamese names, which the
#: trade uses in English too.
SEASONS_EN: dict[str, str] = {
    "Mùa mưa": "Rainy season",
    "Chính vụ": "Main season",
    "Vụ Tết": "Tết season",
    "Vụ tháng 4": "April season",
    "Vụ tháng 10": "October season",
}

#: English season names back to Vietnamese, for calendars written in English.
_SEASONS_VI_FROM_EN = {english.casefold(): vi for vi, english in SEASONS_EN.items()}

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS_EN_LONG = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def check_lang(lang: str) -> str:
    """``lang`` when it is ``"vi"`` or ``"en"``; ``ValueError`` otherwise."""
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


def words(lang: str) -> dict[str, str]:
    return WORDS[check_lang(lang)]


def counted(lang: str, key: str, n: int) -> str:
    """The template ``key`` for a count of ``n``: its ``_one`` form when ``n`` is 1 and the
    language has one ("Next month", not "Next 1 months"; Vietnamese has no plural)."""
    w = words(lang)
    return w.get(f"{key}_one", w[key]) if n == 1 else w[key]


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(text)).strip().casefold())


for _english, _vietnamese in COMMODITIES_VI.items():
    _EN_FROM_VI.setdefault(_key(_vietnamese), _english)
_EN_FROM_VI[_key("Lúa")] = "rice (paddy)"  # "rice" subscribers want paddy prices too
# Cocoa as depots write it too: "Cacao hạt khô" (dried beans) stayed Vietnamese in English.
_EN_FROM_VI[_key("Cacao")] = _EN_FROM_VI[_key("Ca cao")]
#: Vietnamese grades back to English ("trắng" -> "white"), for the rest of a Vietnamese name
#: that is one of them; a variety ("da xanh", "ST25", "Ri6") is a name and stays as written.
_QUALIFIERS_EN_FROM_VI: dict[str, str] = {
    _key(vietnamese): english
    for english, vietnamese in QUALIFIERS_VI.items()
    if vietnamese and _key(vietnamese) != english  # not grades written alike ("RSS3")
}


# --------------------------------------------------------------------------- names


def _leading_grades_in_english(text: str) -> str:
    """The known grades that start ``text`` in English, the rest (a variety) as written:
    "tươi OM 18" -> "fresh OM 18", "hạt" -> "beans", "xiêm xanh" unchanged."""
    rest, done = text.split(), []
    while rest:
        for n in range(len(rest), 0, -1):
            grade = _QUALIFIERS_EN_FROM_VI.get(_key(" ".join(rest[:n])))
            if grade:
                done.append(grade)
                rest = rest[n:]
                break
        else:
            break
    return " ".join(done + rest)


def _english_from_vietnamese(name: str) -> str | None:
    """ "Dừa khô" -> "Coconut (mature)", "Gạo trắng" and "Gạo (trắng)" -> "Rice (white)",
    "Dừa xiêm" -> "Coconut (drinking)", "Gạo ST25" -> "Rice (ST25)", "Lúa tươi OM 18" -> "Rice
    (paddy, fresh OM 18)": a Vietnamese name (the longest known start of it) in English, the
    rest translated when it is a known grade, its leading grade words translated otherwise
    and the variety's name after them kept as written; ``None`` when it does not start with
    a name in COMMODITIES_VI. "Cây giống bưởi" and "Giống bưởi da xanh" are "Pomelo
    seedlings" and "Pomelo seedlings (da xanh)"."""
    seedling = re.match(r"^\s*(?:cây\s+)?giống\s+(.+)$", unicodedata.normalize("NFC", name), re.I)
    if seedling:
        english = _english_from_vietnamese(seedling.group(1))
        if english is None:
            return None
        kind, bracket, rest = english.partition(" (")
        return f"{kind} seedlings{' (' + rest if bracket else ''}"
    words = str(name).split()
    for n in range(len(words), 0, -1):
        english = _EN_FROM_VI.get(_key(" ".join(words[:n])))
        if english:
            rest = " ".join(words[n:])
            if rest.startswith("(") and rest.endswith(")"):  # "Gạo (trắng)"
                rest = rest[1:-1].strip()
            grade = _QUALIFIERS_EN_FROM_VI.get(_key(rest))
            if grade:  # "Gạo Việt Nam 5% tấm" -> "Rice (Vietnamese 5% broken)"
                known = COMMODITIES_EN.get(_key(f"{english}, {grade}"))
                if known:
                    return known
                rest = grade
            else:  # "tươi OM 18" -> "fresh OM 18": grades first, then a variety's name
                rest = _leading_grades_in_english(rest)
            # A depot's grade by number, wherever it stands: "da xanh loại 1" -> "da xanh
            # grade 1" (the variety is a name; "loại" is a word an English reader lacks).
            rest = re.sub(r"\bloại\s+(\d+|[IVX]+)\b", r"grade \1", rest, flags=re.I)
            english = english[:1].upper() + english[1:]
            if not rest:
                return english
            return f"{english[:-1]}, {rest})" if english.endswith(")") else f"{english} ({rest})"
    return None


def commodity_name(name: str, lang: str) -> str:
    """``"Rice, Viet Namese 5%"`` -> ``"Gạo Việt Nam 5% tấm"`` (vi); English keeps an
    English name and puts a Vietnamese one into English where it knows it ("Dừa khô" ->
    "Coconut (mature)"), so an English reader of a Vietnamese sheet reads English.

    The whole name is looked up first, then its base (before ``(`` or ``,``) with the
    qualifier translated when known and kept as written otherwise.
    """
    check_lang(lang)
    if lang == "en":
        known = COMMODITIES_EN.get(_key(name)) or _english_from_vietnamese(name)
        if known:
            return known
        # "Coffee, Robusta" -> "Coffee (Robusta)": commas would break lists of names.
        base, comma, rest = str(name).partition(",")
        return f"{base.strip()} ({rest.strip()})" if comma and "(" not in name else str(name)
    whole = COMMODITIES_VI.get(_key(name))
    if whole:
        return whole
    plants = re.match(r"^\s*(.+?)\s+(?:seedlings?|saplings?)\s*$", str(name), re.I)
    if plants and _key(plants.group(1)) in COMMODITIES_VI:  # "Pomelo seedlings"
        return f"Cây giống {_qualifier_vi(plants.group(1))}"
    match = re.match(r"^\s*([^(,]+?)\s*(?:\((.*)\)|,(.*))?\s*$", str(name))
    if not match:
        return str(name)
    base, qualifier = match.group(1), match.group(2) or match.group(3)
    base_vi = COMMODITIES_VI.get(_key(base))
    if base_vi is None:
        return str(name)
    if not qualifier:
        return base_vi
    qual_vi = QUALIFIERS_VI.get(_key(qualifier))
    if qual_vi is None:  # "dry, katta": each part, as known ("Cá khô katta", not "Cá dry")
        qual_vi = " ".join(_qualifier_vi(part) for part in qualifier.split(",") if part.strip())
    return f"{base_vi} {qual_vi}".strip()


def _qualifier_vi(part: str) -> str:
    """One part of a qualifier in Vietnamese: a grade ("dry": "khô"), a product ("pomelo"
    in "Seedlings (pomelo)": "bưởi"), or as written (a variety: "katta", "ST25")."""
    grade = QUALIFIERS_VI.get(_key(part))
    if grade is not None:
        return grade
    product = COMMODITIES_VI.get(_key(part))
    if product is not None:
        return product[:1].lower() + product[1:]
    return part.strip()


def commodity_lower(name: str, lang: str) -> str:
    """The name inside a sentence: "giá gạo", "rice prices" (proper names keep capitals)."""
    text = commodity_name(name, lang)
    first = text.split(" ", 1)
    # Lower the first word only: "Cà phê Robusta" -> "cà phê Robusta", "Gạo Việt Nam ..."
    # -> "gạo Việt Nam ...".
    head = first[0]
    if not (len(head) > 1 and head.isupper()):
        head = head[:1].lower() + head[1:]
    return " ".join([head, *first[1:]])


#: The country a currency's prices are from, where it is not Viet Nam: a market priced in it
#: is named with it ("Colombo City (Sri Lanka)"), as a Mekong farmer reading "Dừa – Colombo
#: City 188 LKR/trái" took it for a coconut price near home.
CURRENCY_COUNTRIES: dict[str, tuple[str, str]] = {  # ISO 4217: (Vietnamese, English)
    "LKR": ("Sri Lanka", "Sri Lanka"),
    "THB": ("Thái Lan", "Thailand"),
    "KHR": ("Campuchia", "Cambodia"),
    "LAK": ("Lào", "Laos"),
    "MMK": ("Myanmar", "Myanmar"),
    "CNY": ("Trung Quốc", "China"),
    "IDR": ("Indonesia", "Indonesia"),
    "PHP": ("Philippines", "Philippines"),
    "MYR": ("Malaysia", "Malaysia"),
    "INR": ("Ấn Độ", "India"),
    "BDT": ("Bangladesh", "Bangladesh"),
    "PKR": ("Pakistan", "Pakistan"),
    "NPR": ("Nepal", "Nepal"),
}


def market_name(name: str, lang: str, currency: str | None = None) -> str:
    """A market as the bulletin names it: "Đồng Tháp" for WFP's "Dong Thap"; with
    ``currency``, its country after it where that is not Viet Nam (``CURRENCY_COUNTRIES``)."""
    table = MARKETS_VI if check_lang(lang) == "vi" else MARKETS_EN
    said = table.get(_key(name), str(name))
    where = country_name(currency, lang) if currency else None
    if where is None:
        return said
    return said if where.casefold() in said.casefold() else f"{said} ({where})"


def country_name(currency: str, lang: str) -> str | None:
    """The country of a currency abroad, in ``lang`` ("LKR": "Sri Lanka"; "THB": "Thái
    Lan", "Thailand"); ``None`` for one not in ``CURRENCY_COUNTRIES`` (the đồng, the dollar)."""
    country = CURRENCY_COUNTRIES.get(str(currency).strip().upper())
    return None if country is None else country[0 if check_lang(lang) == "vi" else 1]


def season_name(season: str, lang: str) -> str:
    """A calendar season as said in ``lang``: "Vụ Đông Xuân" (vi), "Đông Xuân" (en)."""
    if check_lang(lang) == "en":
        return SEASONS_EN.get(season, season)
    vietnamese = _SEASONS_VI_FROM_EN.get(season.strip().casefold())
    if vietnamese:  # a calendar of the user's written in English: "Main season"
        return vietnamese
    lowered = season.casefold()
    if lowered.startswith(("vụ", "mùa", "chính vụ")) or season.isascii():
        # "Vụ" goes before a Vietnamese season's name (Đông Xuân); an English one the
        # calendar does not know ("Winter crop") is kept as written, not "Vụ Winter crop".
        return season
    return f"{words(lang)['season_prefix']}{season}"


def base_commodity(commodity: str) -> str:
    """The commodity a name is a kind of, in English: "Rice" for "Rice (Thai 5% broken)",
    "Gạo trắng" or "Rice, Viet Namese 5%"; the name itself when it is no kind of another."""
    english = commodity_name(commodity, "en").strip()
    return re.split(r"[(,]", english, maxsplit=1)[0].strip()


def count_word(commodity: str, unit: str, lang: str) -> str | None:
    """How a piece of ``commodity`` is counted in ``lang`` ("trái" for a coconut, "quả" for
    an egg) when ``unit`` is per piece and COUNT_WORDS knows it; ``None`` otherwise."""
    if str(unit).strip().casefold() not in PIECE_UNITS:
        return None
    known = COUNT_WORDS.get(_key(base_commodity(commodity)))
    if known is None:
        return None
    return known[0] if check_lang(lang) == "en" else known[1]


def band_name(band: str | None, lang: str) -> str:
    if band is None:
        return words(lang)["missing"]
    return words(lang).get(f"band_{band}", band)


def join_names(names: list[str], lang: str) -> str:
    """ "a, b và c" / "a, b and c"."""
    w = words(lang)
    if len(names) <= 1:
        return "".join(names)
    return f"{w['list_sep'].join(names[:-1])} {w['and']} {names[-1]}"


# --------------------------------------------------------------------------- numbers


def _swap_separators(text: str, lang: str) -> str:
    if lang == "vi":
        return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def number_decimals(value: float) -> int:
    """The decimals :func:`format_number` prints ``value`` with by default: none from 100 up,
    2 from 1, 3 below."""
    return 0 if abs(value) >= 100 else 2 if abs(value) >= 1 else 3


def shown_number(value: float, decimals: int | None = None) -> float:
    """``value`` as :func:`format_number` prints it, as a number: 142,562.4 -> 142,562."""
    if decimals is None:
        decimals = number_decimals(value)
    return float(f"{value:.{decimals}f}")  # the digits an f-string prints


def format_number(value: float, lang: str, decimals: int | None = None) -> str:
    """``45000`` -> ``"45.000"`` (vi) / ``"45,000"`` (en); 2 decimals below 100, 3 below 1.

    A negative number has a true minus (``"−1,6"``), as the table's changes
    (:func:`format_pct`) and the legend's "ALPS dưới −1" have; one that rounds to nought
    has no sign.
    """
    if value is None or not math.isfinite(value):
        return words(lang)["missing"]
    if decimals is None:
        decimals = number_decimals(value)
    if shown_number(value, decimals) == 0:
        value = 0.0  # "0,0", not "−0,0"
    return _swap_separators(f"{value:,.{decimals}f}", lang).replace("-", "−")


def round_range(low: float, high: float) -> tuple[float, float, int, int]:
    """An outlook range to three significant figures, widened outwards (never narrowed).

    Returns the rounded ends and the decimals to print each with.
    """
    top = max(abs(low), abs(high), 1e-12)
    exponent = math.floor(math.log10(top)) - 2
    step = 10.0**exponent
    lo = math.floor(low / step + 1e-9) * step
    hi = math.ceil(high / step - 1e-9) * step
    decimals = low_decimals = max(0, -exponent)
    if low > 0 and lo <= 0:
        # A low end under the top's step ("0–104.000" for 900–104,000) would read as a
        # price of nothing: it keeps two significant figures of its own (and its own
        # decimals: the top's "1.620" is not "1.620,0").
        own = math.floor(math.log10(low)) - 1
        lo = math.floor(low / 10.0**own + 1e-9) * 10.0**own
        low_decimals = max(decimals, -own)
    return lo, hi, low_decimals, decimals


def shown_range(low: float, high: float) -> tuple[float, float]:
    """The ends of :func:`format_range` as numbers, as it prints them: what a reader sees."""
    lo, hi, lo_decimals, hi_decimals = round_range(low, high)
    return shown_number(lo, lo_decimals), shown_number(hi, hi_decimals)


def format_range(low: float, high: float, lang: str, sep: str = "–") -> str:
    lo, hi, lo_decimals, hi_decimals = round_range(low, high)
    return f"{format_number(lo, lang, lo_decimals)}{sep}{format_number(hi, lang, hi_decimals)}"


def format_pct(value: float | None, lang: str, decimals: int = 1) -> str:
    """``+2,5%`` (vi) / ``+2.5%`` (en); ``–`` when unknown. A true minus for falls."""
    if value is None or not math.isfinite(value):
        return words(lang)["missing"]
    if round(value, decimals) == 0:
        return _swap_separators(f"{0:.{decimals}f}%", lang)
    return _swap_separators(f"{value:+.{decimals}f}%", lang).replace("-", "−")


def money(value: float, currency: str, unit_word: str, lang: str, *, sms: bool = False) -> str:
    """A price with its unit: "45.000 đồng/kg" (vi), "45,000 đồng/kg" (en), as the table's
    unit column says it (``forecast.plots.unit_label``: đồng whatever the language); in an
    SMS, short: "6.450d/kg" (vi), "6,450 VND/kg" (en).

    ``unit_word`` is the quantity ("kg", "tấn", "trái").
    """
    number = format_number(value, lang)
    if currency.upper() == "VND":
        if not sms:
            return f"{number} đồng/{unit_word}"
        return f"{number}đ/{unit_word}" if lang == "vi" else f"{number} VND/{unit_word}"
    return f"{number} {currency}/{unit_word}"


# --------------------------------------------------------------------------- dates


def month_label(month: int, lang: str, long: bool = False) -> str:
    if check_lang(lang) == "vi":
        return f"tháng {month}" if long else f"T{month}"
    return (MONTHS_EN_LONG if long else MONTHS_EN)[month - 1]


def month_span(months: tuple[int, ...] | list[int], lang: str, *, short: bool = False) -> str:
    """Months in calendar words: "tháng 3", "tháng 7–8", "T12–1"; "March", "Jul–Aug"."""
    months = list(months)
    if not months:
        return ""
    first, last = months[0], months[-1]
    if check_lang(lang) == "vi":
        if first == last:
            return f"T{first}" if short else f"tháng {first}"
        return f"T{first}–{last}" if short else f"tháng {first}–{last}"
    if first == last:
        return MONTHS_EN[first - 1] if short else MONTHS_EN_LONG[first - 1]
    return f"{MONTHS_EN[first - 1]}–{MONTHS_EN[last - 1]}"


def short_day(date: pd.Timestamp, lang: str) -> str:
    """A day without its year, for an SMS: "17/2" (vi), "17 Feb" (en; "17/2" reads as the
    17th month to some English readers, and every other English text writes the month)."""
    date = pd.Timestamp(date)
    if check_lang(lang) == "vi":
        return f"{date.day}/{date.month}"
    return f"{date.day} {MONTHS_EN[date.month - 1]}"


def day_label(date: pd.Timestamp, lang: str) -> str:
    """A day as a farmer writes it: "17/2/2026" (vi), "17 Feb 2026" (en)."""
    date = pd.Timestamp(date)
    if check_lang(lang) == "vi":
        return f"{date.day}/{date.month}/{date.year}"
    return f"{date.day} {MONTHS_EN[date.month - 1]} {date.year}"


def period_label(date: pd.Timestamp, freq: str, lang: str) -> str:
    """The period a price belongs to: a month "T6/2022" (vi), "Jun 2022" (en); a week as
    its days, Monday to Sunday: "tuần 3–9/11/2025", "week of 3–9 Nov 2025".

    A weekly price is stored under its week's Monday, but a depot that collected on Friday
    7/11 would not recognise "3/11" as its week, nor find it in its file.
    """
    date = pd.Timestamp(date)
    vi = check_lang(lang) == "vi"
    if freq == "monthly":
        return f"T{date.month}/{date.year}" if vi else f"{MONTHS_EN[date.month - 1]} {date.year}"
    start = date - pd.Timedelta(days=date.day_of_week)
    end = start + pd.Timedelta(days=6)

    def day(d: pd.Timestamp, month: bool, year: bool) -> str:
        if vi:
            return f"{d.day}" + (f"/{d.month}" if month else "") + (f"/{d.year}" if year else "")
        return (
            f"{d.day}"
            + (f" {MONTHS_EN[d.month - 1]}" if month else "")
            + (f" {d.year}" if year else "")
        )

    # The first day says only what the last does not: "3–9/11", "27/10–2/11", across a year
    # both in full.
    new_year = start.year != end.year
    span = f"{day(start, new_year or start.month != end.month, new_year)}–{day(end, True, True)}"
    return f"tuần {span}" if vi else f"week of {span}"


# --------------------------------------------------------------------------- SMS


_ASCII_PUNCT = str.maketrans(
    {"–": "-", "—": "-", "−": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "...", "·": "-"}
)


def to_ascii(text: str) -> str:
    """Vietnamese without diacritics, in plain ASCII: "Lúa Đồng Tháp" -> "Lua Dong Thap".

    đ/Đ become d/D, combining marks are dropped, dashes and quotes become ASCII; any other
    non-ASCII character is dropped rather than sent as a broken glyph.
    """
    text = str(text).translate(_ASCII_PUNCT).replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return plain.encode("ascii", "ignore").decode("ascii")
