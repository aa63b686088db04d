"""Farmer bulletins: outlook facts -> words in Vietnamese or English -> md/html/txt/sms -> delivery.

Four stages, one module each, so each can be tested and changed alone:

* :mod:`~forecast.bulletin.facts`: numbers and labels per series (changes, outlook, alert,
  harvest, accuracy), no text;
* :mod:`~forecast.bulletin.wording`: every word per language (``vi`` default, ``en``);
* :mod:`~forecast.bulletin.render`: ``render(facts, lang, fmt, charts)`` -> str, from the
  shared pieces of :mod:`~forecast.bulletin.parts`; the HTML file and its charts in
  :mod:`~forecast.bulletin.html`, SMS packing in :mod:`~forecast.bulletin.sms`;
* :mod:`~forecast.bulletin.deliver`: subscribers, e-mail over SMTP, SMS files for a gateway.

::

    inputs = make_bulletin(load_default_prices(), model="snaive", horizon=3)
    text = render(inputs.facts, lang="vi", fmt="md")
"""

from forecast.bulletin.facts import (
    BulletinFacts,
    BulletinInputs,
    SeriesFacts,
    bulletin_facts,
    make_bulletin,
    series_facts,
)
from forecast.bulletin.html import fan_charts
from forecast.bulletin.render import FORMATS, render
from forecast.bulletin.sms import sms_messages

__all__ = [
    "FORMATS",
    "BulletinFacts",
    "BulletinInputs",
    "SeriesFacts",
    "bulletin_facts",
    "fan_charts",
    "make_bulletin",
    "render",
    "series_facts",
    "sms_messages",
]
